#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# publish.sh - publishing never destroys (io/publish.h), the cases the
# bad-input catalogue cannot show in one run:
#   - /dev/null stays a character device after `sim run -o /dev/null`
#   - a 255-byte output name (NAME_MAX) is written: the temporary name is
#     shortened with a hash; a sweep's parts directory and sim-mpi's rank
#     files too
#   - SIGTERM and SIGINT during run, compare, export and merge: no temporary
#     file left, no file under the final name, an earlier file there kept;
#     the process ends by the signal (exit 143 and 130)
#   - the temporaries of a killed process (SIGKILL) are removed the next
#     time a file is written into their directory; a running process's are
#     not
#   - sim calibrate --write-config replaces the calibrated.cfg its scenario
#     includes (an earlier calibration's), never the scenario, the targets
#     or another include; its posterior never replaces calibrated.cfg
#   - an existing result is replaced; its directory holds nothing else
#   - a scenario given as a pipe (read once, by the loader): the files it
#     @includes are inputs all the same
#   SIM     the program under test; PYTHON /usr/bin/python3
# shellcheck source-path=SCRIPTDIR source=common.inc
. "$(dirname "$0")/common.inc"

# temps DIR : the temporaries of this program in DIR, one per line
temps() { ls -A "$1" | grep '\.sim-[0-9a-f]\{8\}-[0-9]*\.tmp$' || true; }

# ---- /dev/null ------------------------------------------------------------------
sim run --months 2 -q -o /dev/null
expect_rc "run -o /dev/null" 2
if [ -c /dev/null ]; then ok "/dev/null is still a character device"
else not_ok "/dev/null is no longer a character device"; fi

# ---- names of NAME_MAX bytes ----------------------------------------------------
long=$(printf 'r%.0s' $(seq 1 252)).h5 # 255 bytes
sim run --months 2 -q -o "$long"
expect_rc "run -o a 255-byte name" 0
[ -f "$W/$long" ] && [ -z "$(temps "$W")" ] && ok "the 255-byte file is there, no temporary left" ||
    not_ok "the 255-byte file: $(ls -A "$W" | head -3)"
"$PYTHON" "$CHECK_RESULT" --attr "$W/$long" scenario >"$T/log/scen" 2>&1 &&
    grep -qx baseline "$T/log/scen" && ok "the 255-byte file is a result file" ||
    not_ok "the 255-byte file cannot be read"
rm -f "$W/$long"
cat >"$W/sw.cfg" <<CFG
sweep = { scenario = "$ROOT/scenarios/baseline.cfg"; design = "grid"; replicates = 2;
          variables = ["production", "cohesion"]; };
axes = ( { path = "agents.CHN.secondary"; min = 0.0; max = 0.8; levels = 2; } );
CFG
long=$(printf 's%.0s' $(seq 1 250)).h5 # 253 bytes: FILE.parts would be 259
sim sweep sw.cfg --shard 0/2 -q -o "$long"
expect_rc "a shard of a sweep into a 253-byte name (its parts directory shortened)" 0
[ -f "$W/$long" ] && [ "$(ls -A "$W" | wc -l)" -eq 2 ] && ok "the shard is there, no parts left" ||
    not_ok "the 253-byte shard: $(ls -A "$W" | head -3)"
rm -f "$W/$long"

# ---- signals ----------------------------------------------------------------------
# killed SIG NAME DIR CMD... : start `sim CMD...` in $W, wait for its temporary
# in DIR, send SIG; it must end by that signal and leave no temporary in DIR
killed() {
    sig=$1 name=$2 dir=$3
    shift 3
    (cd "$W" && exec "$SIM" "$@") >/dev/null 2>"$ERR" &
    pid=$!
    seen=""
    for _ in $(seq 1 1000); do
        if [ -n "$(temps "$dir")" ]; then seen=1; break; fi
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.01
    done
    kill -"$sig" "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    krc=$?
    if [ -z "$seen" ]; then
        not_ok "$name: no temporary seen before the job ended (exit $krc): too fast to test"
        return
    fi
    case $sig in TERM) want=143 ;; INT) want=130 ;; *) want=137 ;; esac
    [ "$krc" -eq "$want" ] && ok "$name: SIG$sig ends it by the signal (exit $krc)" ||
        { not_ok "$name: SIG$sig: exit $krc, expected $want"; show "$ERR"; }
    [ -z "$(temps "$dir")" ] && ok "$name: SIG$sig leaves no temporary" ||
        not_ok "$name: SIG$sig left $(temps "$dir" | tr '\n' ' ')"
}

echo "an earlier result" >"$W/big.h5"
killed TERM "run" "$W" run --months 240 --replicates 400 -q -o big.h5
[ "$(cat "$W/big.h5")" = "an earlier result" ] && ok "run: the earlier file under the name is kept" ||
    not_ok "run: the earlier file was replaced"
killed INT "run" "$W" run --months 240 --replicates 400 -q -o big.h5
[ "$(cat "$W/big.h5")" = "an earlier result" ] && ok "run: the earlier file is still kept" ||
    not_ok "run: the earlier file was replaced"
rm -f "$W/big.h5"
killed TERM "compare" "$W" compare "$ROOT/scenarios/baseline.cfg" \
    "$ROOT/scenarios/dedollarisation.cfg" --replicates 300 -q -o cmp.h5
[ ! -e "$W/cmp.h5" ] && ok "compare: no file under the final name" || not_ok "compare: a file was left"

sim run --replicates 60 -q -o ens.h5
expect_rc "an ensemble to export" 0
mkdir "$W/csv"
killed TERM "export" "$W/csv" export ens.h5 --csv csv
[ -z "$(ls -A "$W/csv")" ] && ok "export: the directory is left as it was (empty)" ||
    not_ok "export: left $(ls -A "$W/csv" | tr '\n' ' ')"
killed INT "export" "$W/csv" export ens.h5 --csv csv
[ -z "$(ls -A "$W/csv")" ] && ok "export: still empty after SIGINT" ||
    not_ok "export: left $(ls -A "$W/csv" | tr '\n' ' ')"

cat >"$W/big.cfg" <<CFG
sweep = { scenario = "$ROOT/scenarios/baseline.cfg"; design = "random"; points = 3000;
          replicates = 2; seed = 4; events = true; };
axes = ( { path = "agents.CHN.secondary"; min = 0.0; max = 0.8; } );
CFG
sim sweep big.cfg --shard 0/2 -q --jobs 2 -o b0.h5
expect_rc "a big shard to merge" 0
sim sweep big.cfg --shard 1/2 -q --jobs 2 -o b1.h5
expect_rc "its other shard" 0
killed TERM "merge" "$W" merge -o merged.h5 b0.h5 b1.h5
[ ! -e "$W/merged.h5" ] && ok "merge: no file under the final name" || not_ok "merge: a file was left"

# ---- stale temporaries ------------------------------------------------------------
mkdir "$W/stale"
(cd "$W" && exec "$SIM" run --months 240 --replicates 400 -q -o stale/a.h5) 2>/dev/null &
pid=$!
for _ in $(seq 1 1000); do [ -n "$(temps "$W/stale")" ] && break; sleep 0.01; done
kill -KILL "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
left=$(temps "$W/stale")
[ -n "$left" ] && ok "SIGKILL leaves a temporary ($left)" || not_ok "no temporary after SIGKILL"
# the next writer into the directory removes it, and keeps its own
(cd "$W" && exec "$SIM" run --months 240 --replicates 400 -q -o stale/b.h5) 2>/dev/null &
live=$!
for _ in $(seq 1 1000); do
    temps "$W/stale" | grep -q '^\.b\.h5\.sim-' && break
    sleep 0.01
done
now=$(temps "$W/stale")
if [ -n "$left" ] && ! echo "$now" | grep -qxF "$left"; then
    ok "the dead process's temporary is removed by the next writer there"
else not_ok "the dead process's temporary is still there: $now"; fi
sim run --months 2 -q -o stale/c.h5
expect_rc "a run into the directory meanwhile" 0
temps "$W/stale" | grep -q '^\.b\.h5\.sim-' && ok "a running writer's temporary is left alone" ||
    not_ok "a running writer's temporary was removed: $(temps "$W/stale")"
kill -TERM "$live" 2>/dev/null
wait "$live" 2>/dev/null
[ -z "$(temps "$W/stale")" ] && ok "SIGTERM: the running writer removed its own" ||
    not_ok "left: $(temps "$W/stale")"

# ---- calibrate and the calibrated.cfg its scenario includes -------------------------
mkdir "$W/cal" "$W/cal/configs" "$W/cal/scenarios"
cp "$ROOT/configs/default.cfg" "$ROOT/configs/calibrated.cfg" "$W/cal/configs/"
cp "$ROOT/scenarios/baseline.cfg" "$W/cal/scenarios/"
cat >"$W/cal/fit.cfg" <<'CFG'
targets = ( { name = "oil"; label = "Russian oil produced"; figure = "1"; source = "test";
  variables = ["production"]; agents = ["RUS"]; goods = ["oil"]; from = "2023-01";
  to = "2023-06"; reduce = "mean"; scale = 1.0e6; unit = "Mbbl/month"; value = 300.0;
  range = [250.0, 350.0]; weight = 1.0; } );
free = ( { path = "world.gravity_g"; min = 1.0e8; max = 5.0e8; } );
CFG
cp "$W/cal/scenarios/baseline.cfg" "$T/log/scenario.before"
# a small fit that converges at once (the tolerance is wide)
FIT="--targets fit.cfg --months 6 --particles 20 --tolerance 1e6 --draws 0 -q"
cp "$W/cal/configs/calibrated.cfg" "$T/log/calibrated.before"
(cd "$W/cal" && timeout 300 "$SIM" calibrate scenarios/baseline.cfg $FIT \
    -o configs/calibrated.cfg) >"$OUT" 2>"$ERR"
RC=$?
expect_rc "calibrate: the posterior is refused as the calibrated.cfg the scenario includes" 2
cmp -s "$W/cal/configs/calibrated.cfg" "$T/log/calibrated.before" &&
    ok "calibrated.cfg untouched" || not_ok "calibrated.cfg changed"
(cd "$W/cal" && timeout 300 "$SIM" calibrate scenarios/baseline.cfg $FIT -o fit.h5 \
    --write-config configs/calibrated.cfg) >"$OUT" 2>"$ERR"
RC=$?
expect_rc "calibrate --write-config replaces the calibrated.cfg the scenario includes" 0
grep -q '"world.gravity_g=' "$W/cal/configs/calibrated.cfg" && ok "calibrated.cfg holds the fit" ||
    not_ok "calibrated.cfg does not hold the fit"
[ -z "$(temps "$W/cal")$(temps "$W/cal/configs")" ] && ok "no temporary left" ||
    not_ok "temporaries left"
(cd "$W/cal" && "$SIM" calibrate scenarios/baseline.cfg $FIT -o fit2.h5 \
    --write-config configs/default.cfg) >"$OUT" 2>"$ERR"
RC=$?
expect_rc "calibrate --write-config into the default.cfg the scenario includes" 2
message_is "configs/default.cfg" "input" && ok "refused: default.cfg is an input" ||
    { not_ok "message"; show "$ERR"; }
[ ! -e "$W/cal/fit2.h5" ] && ok "refused before the fit: no posterior written" ||
    not_ok "a posterior was written"
cmp -s "$W/cal/scenarios/baseline.cfg" "$T/log/scenario.before" &&
    ok "the scenario file is untouched" || not_ok "the scenario file changed"

# ---- replacing a result ------------------------------------------------------------
mkdir "$W/rep"
sim run --months 2 -q -o rep/x.h5
sim run --months 3 -q -o rep/x.h5
expect_rc "a result replaced" 0
[ "$(ls -A "$W/rep")" = "x.h5" ] && ok "the directory holds the new file only" ||
    not_ok "the directory holds $(ls -A "$W/rep" | tr '\n' ' ')"
[ "$(py --attr "$W/rep/x.h5" months)" = 3 ] && ok "the new file replaced the old" ||
    not_ok "not replaced"

# ---- a scenario given as a pipe ------------------------------------------------------
# the loader reads it once and keeps the list of the files it opened: what
# it includes (from the working directory) may not be written over
mkdir "$W/pipe"
cp "$ROOT/tests/bad_inputs/_lib/mini.cfg" "$ROOT/tests/bad_inputs/_lib/globals.cfg" "$W/pipe/"
before=$(cksum <"$W/pipe/globals.cfg")
(cd "$W/pipe" && cat mini.cfg | timeout -k 5 60 "$SIM" run /dev/stdin -q -o globals.cfg) \
    >"$OUT" 2>"$ERR"
RC=$?
expect_rc "run /dev/stdin (a pipe) -o the file it includes" 2
message_is "refusing to write globals.cfg: it is one of the inputs" &&
    ok "... names the include" || { not_ok "message"; show "$ERR"; }
[ "$(cksum <"$W/pipe/globals.cfg")" = "$before" ] && [ "$(ls -A "$W/pipe" | wc -l)" -eq 2 ] &&
    ok "... the include untouched, nothing written" ||
    not_ok "the include or its directory changed: $(ls -A "$W/pipe" | tr '\n' ' ')"
(cd "$W/pipe" && cat mini.cfg | timeout -k 5 60 "$SIM" run /dev/stdin -q -o p.h5) >"$OUT" 2>"$ERR"
RC=$?
expect_rc "run /dev/stdin (a pipe) -o a new file" 0

finish
