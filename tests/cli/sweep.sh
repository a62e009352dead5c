#!/bin/sh
# sweep.sh - parameter sweeps from the command line: the design's runs in
# one file with param_value and point, data independent of --jobs, axes
# checked before anything runs, SIGTERM leaving a valid file (exit 3).
. "$(dirname "$0")/common.inc"

mkdir -p "$W/sweeps"
# sweep files live beside a copy of the scenarios, as in configs/sweeps/
cp -r "$ROOT/scenarios" "$ROOT/configs" "$W/"
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
            'path = "scenario.months"; min = 1.0; max = 5.0;|values = [...]' \
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
sweep = { scenario = "../scenarios/baseline.cfg"; design = "sobol"; points = 3000; replicates = 2;
          variables = ["production"]; };
axes = ( { path = "agents.CHN.secondary"; min = 0.0; max = 0.8; } );
CFG
(cd "$W" && exec "$SIM" sweep configs/long.cfg -o long.h5 --jobs 2 -q) 2>"$ERR" &
pid=$!
sleep 1
kill -TERM "$pid"
wait "$pid"
RC=$?
expect_rc "SIGTERM during a sweep" 3
message_is "interrupted" "runs done" && ok "the interruption is reported" || { not_ok "message"; show "$ERR"; }
if "$PYTHON" - "$W/long.h5" <<'PY'
import sys, xarray as xr, numpy as np
ds = xr.open_dataset(sys.argv[1])
done = ds.point.values >= 0
assert 0 < done.sum() < ds.sizes["run"], done.sum()
x = ds.production.values
assert not np.isnan(x[done]).any() and np.isnan(x[~done]).all()
PY
then ok "the interrupted file is valid and marks the runs done"; else not_ok "interrupted file"; fi
finish
