#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# sweep.sh - parameter sweeps from the command line: the design's runs in
# one file with param_value and point, data independent of --jobs, axes
# checked before anything runs, SIGTERM leaving a valid file (exit 3).
. "$(dirname "$0")/common.inc"

mkdir -p "$W/sweeps"
# sweep files live beside a copy of the scenarios, as in configs/sweeps/
cp -r "$ROOT/scenarios" "$ROOT/configs" "$W/"
# a 20-year baseline, so that the interrupted sweeps below outlast their
# signals on fast machines too
sed 's/^  months = 24;/  months = 240;/' "$ROOT/scenarios/baseline.cfg" > "$W/scenarios/long.cfg"
grep -q '^  months = 240;' "$W/scenarios/long.cfg" || not_ok "scenarios/long.cfg: months not set"
cat > "$W/configs/g.cfg" <<'CFG'
sweep = { scenario = "../scenarios/baseline.cfg"; design = "grid"; replicates = 2;
          variables = ["production", "flow", "cohesion"]; };
axes = ( { path = "agents.CHN.secondary"; min = 0.0; max = 0.8; levels = 3; },
         { path = "events.nk_shells.month"; values = [4.0, 10.0]; } );
CFG
sim sweep configs/g.cfg --dry-run
expect_rc "dry run" 0
has "the dry run gives runs, months, bytes and core-seconds" "$OUT" \
    "design grid, 6 points x 2 replicates = 12 runs of 24 months" "MB before compression" "core-seconds"
[ ! -e "$W/g.h5" ] && ok "a dry run writes nothing" || not_ok "a dry run wrote a file"

sim sweep configs/g.cfg -o g1.h5 --jobs 1 -q
expect_rc "grid sweep, 1 job" 0
sim sweep configs/g.cfg -o g3.h5 --jobs 3 -q
expect_rc "grid sweep, 3 jobs" 0
compare "the sweep's data do not depend on --jobs" same g1.h5 g3.h5
if "$PYTHON" - "$W/g1.h5" <<'PY'
import sys, xarray as xr, numpy as np
ds = xr.open_dataset(sys.argv[1])
assert ds.sizes["run"] == 12 and ds.sizes["param"] == 2, ds.sizes
assert list(ds.param.values) == ["agents.CHN.secondary", "events.nk_shells.month"]
pv = ds.param_value.values
# every combination of the levels exactly once (each twice: 2 replicates)
combos = sorted({(round(a, 12), b) for a, b in pv})
assert combos == [(0.0, 4.0), (0.0, 10.0), (0.4, 4.0), (0.4, 10.0), (0.8, 4.0), (0.8, 10.0)], combos
assert list(ds.point.values) == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
# common random numbers: replicate r has the same seed at every point
s = ds.seed.values.reshape(6, 2)
assert (s == s[0]).all() and s[0, 0] != s[0, 1], s
# the parameter matters: more secondary sanctions, fewer Chinese chips
d = ds.flow.sel(agent="CHN", partner="RUS", good="chips").sum("time").values.reshape(6, 2)
assert d[4:].mean() < 0.8 * d[:2].mean(), d
PY
then ok "grid: every combination, design points, common seeds, an effect"; else not_ok "grid sweep file"; fi
(cd "$W" && ncdump -h g1.h5) > "$T/log/nc" 2>&1 && grep -q "double param_value(run, param)" "$T/log/nc" &&
    ok "ncdump reads the sweep file" || not_ok "ncdump on the sweep file"

# axes checked up front
for case in 'path = "agents.CHN.bogus"; min = 0.0; max = 1.0;|unknown parameter' \
            'path = "agents.CHN.secondary"; min = 0.0; max = 1.5;|outside the bounds' \
            'path = "goods.oil.price"; min = 0.0; max = 90.0; scale = "log";|log scale needs min > 0' \
            'path = "events.nope.month"; values = [1.0];|no event named' \
            'path = "scenario.months"; values = [12, 36];|cannot be swept' \
            'path = "agents.CHN.secondary"; min = 0.5; max = 0.2;|must be below max'; do
    axis=${case%%|*} frag=${case#*|}
    printf 'sweep = { scenario = "../scenarios/baseline.cfg"; design = "lhs"; points = 4; };\naxes = ( { %s } );\n' \
        "$axis" > "$W/configs/bad.cfg"
    sim sweep configs/bad.cfg -o bad.h5
    expect_rc "bad axis ($frag)" 2
    message_is "bad.cfg:2" "$frag" && ok "bad axis names file, line and reason" || { not_ok "message"; show "$ERR"; }
done
printf 'sweep = { scenario = "../scenarios/baseline.cfg"; design = "latin"; };\naxes = ( { path = "agents.CHN.secondary"; min = 0.0; max = 1.0; } );\n' > "$W/configs/bad.cfg"
sim sweep configs/bad.cfg -o bad.h5
expect_rc "unknown design" 2
[ ! -e "$W/bad.h5" ] && ok "no file after a refused sweep" || not_ok "a refused sweep left a file"

# SIGTERM: the runs under way finish, the file is valid, exit 3
cat > "$W/configs/long.cfg" <<'CFG'
sweep = { scenario = "../scenarios/long.cfg"; design = "sobol"; points = 3000; replicates = 2;
          variables = ["production"]; };
axes = ( { path = "agents.CHN.secondary"; min = 0.0; max = 0.8; } );
CFG
(cd "$W" && exec "$SIM" sweep configs/long.cfg -o long.h5 --jobs 2 -q) 2>"$ERR" &
pid=$!
wait_for_part "$W/long.h5.parts"
sleep 0.5
kill -TERM "$pid"
wait "$pid"
RC=$?
expect_rc "SIGTERM during a sweep" 3
message_is "interrupted" "runs done" && ok "the interruption is reported" || { not_ok "message"; show "$ERR"; }
if "$PYTHON" - "$W/long.h5" <<'PY'
import sys, xarray as xr, numpy as np
ds = xr.open_dataset(sys.argv[1])
# the runs done, each labelled with its index in the sweep
run, total = ds.run.values, int(ds.attrs["sweep_runs"])
assert 0 < run.size < total, (run.size, total)
assert (np.diff(run) > 0).all() and run.max() < total, run
assert (ds.point.values == run // int(ds.attrs["sweep_replicates"])).all()
assert not np.isnan(ds.production.values).any()
PY
then ok "the interrupted file is valid and holds the runs done, labelled"; else not_ok "interrupted file"; fi

# ---- resume: SIGTERM then --resume, SIGKILL at random moments then --resume ----------
cat > "$W/configs/r.cfg" <<'CFG'
sweep = { scenario = "../scenarios/long.cfg"; design = "lhs"; points = 300; seed = 3;
          replicates = 2; variables = ["production", "cohesion"]; };
axes = ( { path = "agents.CHN.secondary"; min = 0.0; max = 0.8; },
         { path = "routes.caspian.interdiction"; min = 0.0; max = 1.0; } );
CFG
sim sweep configs/r.cfg -o whole.h5 --jobs 2 -q
expect_rc "the uninterrupted sweep" 0
[ ! -e "$W/whole.h5.parts" ] && ok "a finished sweep leaves no parts" || not_ok "parts left after a finished sweep"

(cd "$W" && exec "$SIM" sweep configs/r.cfg -o term.h5 --jobs 2 -q) 2>"$ERR" &
pid=$!
wait_for_part "$W/term.h5.parts"
kill -TERM "$pid"
wait "$pid"
RC=$?
expect_rc "SIGTERM" 3
sim sweep configs/r.cfg -o term.h5 --jobs 2 -q
expect_rc "rerun without --resume is refused (finished runs are kept)" 2
message_is "--resume" && ok "the refusal says --resume" || { not_ok "message"; show "$ERR"; }
sim sweep configs/r.cfg -o term.h5 --jobs 2 -q --resume
expect_rc "--resume after SIGTERM" 0
compare "resumed after SIGTERM = uninterrupted" same whole.h5 term.h5

# --checkpoint 0: a part file closed after every block, so that a kill
# finds finished runs to keep
kept=0
for delay in 0.05 0.2 0.45 0.7; do
    rm -rf "$W/kill.h5" "$W/kill.h5.parts"
    (cd "$W" && exec "$SIM" sweep configs/r.cfg -o kill.h5 --jobs 2 -q --checkpoint 0) 2>/dev/null &
    pid=$!
    sleep "$delay"
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    resumes=0
    while [ ! -f "$W/kill.h5" ] || [ -d "$W/kill.h5.parts" ]; do
        ls "$W/kill.h5.parts"/part-*.h5 >/dev/null 2>&1 && kept=$((kept + 1))
        # resume, killed again at once, until it completes
        (cd "$W" && exec "$SIM" sweep configs/r.cfg -o kill.h5 --jobs 2 -q --resume --checkpoint 0) 2>"$ERR" &
        pid=$!
        [ "$resumes" -eq 0 ] && { sleep 0.15; kill -KILL "$pid" 2>/dev/null; }
        wait "$pid" 2>/dev/null
        resumes=$((resumes + 1))
        [ "$resumes" -gt 5 ] && break
    done
    compare "SIGKILL after ${delay}s, killed again, resumed: identical data" same whole.h5 kill.h5
done
[ "$kept" -gt 0 ] && ok "killed sweeps left closed parts that --resume kept ($kept times)" ||
    not_ok "no kill left a closed part: the resume tests kept nothing"

# ---- one process per output: the lock in FILE.parts/ -----------------------------------
# A second sweep or --resume on an output while a first one writes it (a
# Slurm task requeued while the old one still runs): the second exits 2
# naming the first, which finishes complete.  (Two --resume at once used
# to lose runs and delete the parts.)
rm -rf "$W/lock.h5" "$W/lock.h5.parts"
(cd "$W" && exec "$SIM" sweep configs/r.cfg -o lock.h5 --jobs 1 -q) 2>"$T/log/first" &
pid=$!
n=0
while [ ! -s "$W/lock.h5.parts/lock" ] && [ "$n" -lt 200 ]; do
    sleep 0.05
    n=$((n + 1))
done
sim sweep configs/r.cfg -o lock.h5 --jobs 1 -q --resume
expect_rc "a second --resume on the output while the first runs" 2
message_is "lock.h5 is being written by another sweep (pid $pid on " &&
    ok "... names the first (pid $pid)" || { not_ok "message"; show "$ERR"; }
sim sweep configs/r.cfg -o lock.h5 --jobs 1 -q
expect_rc "a second sweep without --resume, meanwhile" 2
message_is "being written by another sweep (pid $pid on " "sim sweep configs/r.cfg -o lock.h5" &&
    ok "... names the first and its command" || { not_ok "message"; show "$ERR"; }
wait "$pid"
RC=$?
expect_rc "the first sweep" 0
compare "... finishes complete: the data of the uninterrupted sweep" same whole.h5 lock.h5
[ ! -e "$W/lock.h5.parts" ] && ok "... and removes its parts" || not_ok "parts left after the locked sweep"

# --resume refuses another shard, and a sweep file changed since
(cd "$W" && exec "$SIM" sweep configs/r.cfg -o other.h5 --jobs 2 -q --checkpoint 0) 2>/dev/null &
pid=$!
wait_for_part "$W/other.h5.parts"
kill -TERM "$pid"
wait "$pid"
RC=$?
expect_rc "SIGTERM (for the resume checks)" 3
sim sweep configs/r.cfg -o other.h5 -q --resume --shard 1/2
expect_rc "--resume with another --shard" 2
message_is "other.h5.parts cannot be resumed by this job: it holds shard 0/1, this is shard 1/2" &&
    ok "... names both shards (it reused the other shard's parts and exited 0)" || { not_ok "message"; show "$ERR"; }
sed 's/seed = 3;/seed = 4;/' "$W/configs/r.cfg" >"$W/configs/r2.cfg"
sim sweep configs/r2.cfg -o other.h5 -q --resume
expect_rc "--resume after the sweep file changed" 2
message_is "the sweep file or its scenario has changed since" &&
    ok "... says so" || { not_ok "message"; show "$ERR"; }
sed 's/months = 240;/months = 239;/' "$W/scenarios/long.cfg" >"$W/scenarios/long2.cfg"
sed 's|long.cfg|long2.cfg|' "$W/configs/r.cfg" >"$W/configs/r3.cfg"
sim sweep configs/r3.cfg -o other.h5 -q --resume
expect_rc "--resume after its scenario changed" 2
sim sweep configs/r.cfg -o other.h5 -q --resume --jobs 2
expect_rc "--resume as the job was" 0
compare "... completes it: the data of the uninterrupted sweep" same whole.h5 other.h5

# ---- shards and merge -----------------------------------------------------------------
for i in 0 1 2; do
    sim sweep configs/g.cfg --shard "$i/3" -o "shard_$i.h5" -q
    expect_rc "shard $i/3" 0
done
sim merge -o merged.h5 shard_0.h5 shard_1.h5 shard_2.h5
expect_rc "merge three shards" 0
compare "shards merged = the serial sweep" same g1.h5 merged.h5
sim merge -o m2.h5 shard_0.h5 shard_2.h5
expect_rc "merge with a shard missing" 2
message_is "runs are in none of the files" && ok "the missing runs are named" || { not_ok "message"; show "$ERR"; }
sim merge -o m3.h5 shard_0.h5 shard_1.h5 shard_1.h5 shard_2.h5
expect_rc "merge with a shard twice" 2
message_is "is in both" && ok "the duplicated run is named" || { not_ok "message"; show "$ERR"; }
sim sweep configs/r.cfg --shard 0/3 -o foreign.h5 -q
sim merge -o m4.h5 shard_0.h5 shard_1.h5 foreign.h5
expect_rc "merge with a shard of another sweep" 2
message_is "another job" && ok "the foreign shard is named" || { not_ok "message"; show "$ERR"; }
for f in m2 m3 m4; do [ ! -e "$W/$f.h5" ] || not_ok "a refused merge wrote $f.h5"; done
ok "refused merges write nothing"
finish
