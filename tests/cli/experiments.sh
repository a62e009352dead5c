#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# experiments.sh - ensembles, paired comparisons, calibration and named
# events from the command line, as an analyst would use them.
. "$(dirname "$0")/common.inc"

S=$ROOT/scenarios
C=$ROOT/configs

# ---- ensembles -------------------------------------------------------------------
sim run --replicates 5 --jobs 1 -o ens1.h5
expect_rc "run --replicates 5 --jobs 1" 0
has "ensemble summary gives medians and ranges" "$OUT" "median [5%, 95%] of 5 runs" "cohesion"
sim run --replicates 5 --jobs 3 -o ens3.h5
expect_rc "run --replicates 5 --jobs 3" 0
compare "the ensemble's data do not depend on --jobs" same ens1.h5 ens3.h5
sim info ens1.h5
expect_rc "info on an ensemble" 0
has "info gives per-run medians" "$OUT" "runs         5" "median"
if "$PYTHON" - "$W/ens1.h5" <<'PY'
import sys, xarray as xr, numpy as np
ds = xr.open_dataset(sys.argv[1])
assert ds.sizes["run"] == 5, ds.sizes
seeds = ds.seed.values
assert len(set(seeds.tolist())) == 5, seeds
c = ds.cohesion.values
assert not np.allclose(c[0], c[1]), "replicates are identical"
PY
then ok "five replicates with five seeds and different trajectories"; else not_ok "ensemble file"; fi
for bad in "--replicates 0" "--replicates abc" "--jobs 0" "--jobs 2000"; do
    # shellcheck disable=SC2086
    sim run $bad -o bad.h5
    expect_rc "run $bad" 2
done
[ ! -e "$W/bad.h5" ] && ok "no file after bad ensemble flags" || not_ok "a file was left"

# ---- paired comparisons ----------------------------------------------------------
sim compare "$S/baseline.cfg" "$S/sanctions_escalation.cfg" --replicates 6 --jobs 2 -o cmp.h5
expect_rc "compare baseline and escalation" 0
has "compare prints paired differences" "$OUT" "A = baseline, B = sanctions_escalation: 6 paired runs" \
    "Russian drone output" "B - A [95% interval]"
if "$PYTHON" - "$W/cmp.h5" <<'PY'
import sys, xarray as xr
ds = xr.open_dataset(sys.argv[1])
assert list(ds.scenario.values) == ["baseline", "sanctions_escalation"], ds.scenario.values
assert ds.stock.dims[:2] == ("run", "scenario"), ds.stock.dims
a = ds.production.sel(scenario="baseline", agent="RUS", good="drones").sum("time")
b = ds.production.sel(scenario="sanctions_escalation", agent="RUS", good="drones").sum("time")
assert (b < a).all(), (a.values, b.values)
assert "scenario_config" in ds and "sanctions_escalation" in str(ds.scenario_config.values[1])
PY
then ok "the comparison file has a scenario axis that xarray selects on"; else not_ok "comparison file"; fi
(cd "$W" && ncdump -h cmp.h5) > "$T/log/ncdump" 2>&1 && grep -q "string scenario(scenario)" "$T/log/ncdump" &&
    ok "ncdump reads the comparison file" || not_ok "ncdump on the comparison file"
sim compare "$S/baseline.cfg" "$S/sanctions_relief.cfg" --replicates 2 -o nope.h5
expect_rc "compare scenarios of different lengths" 2
message_is "different months" "--months" && ok "the message says to use --months" || { not_ok "message"; show "$ERR"; }
sim compare "$S/baseline.cfg" --replicates 2
expect_rc "compare with one scenario" 2
sim compare "$S/baseline.cfg" "$S/dedollarisation.cfg" --replicates 2 --measures "$C/nothere.cfg" -o nope.h5
expect_rc "compare with a missing measures file" 2
[ ! -e "$W/nope.h5" ] && ok "no file after failed comparisons" || not_ok "a file was left"

# ---- calibration -----------------------------------------------------------------
sim calibrate --targets "$C/targets.cfg" --check --fit-until 2023-12
expect_rc "calibrate --check on the shipped baseline" 0
insample=$(awk '/^In sample/{f=1} /^Out of sample/{f=0} f' "$OUT")
[ "$(printf '%s\n' "$insample" | grep -c ' yes$')" -ge 15 ] &&
    [ "$(printf '%s\n' "$insample" | grep -c ' NO$')" -le 1 ] &&
    ok "15 or more fitted targets with their median inside the range, one at most outside" || { not_ok "targets inside"; show "$OUT"; }
grep -q '^Out of sample' "$OUT" && ok "the 2024 targets are reported out of sample" || { not_ok "no out-of-sample section"; show "$OUT"; }
sim calibrate --targets "$C/targets.cfg" --check --set agents.RUS.capacity.drones=40
expect_rc "calibrate --check with too few drones" 4
grep -q "Shahed/Geran output 2023 .* NO$" "$OUT" && ok "the drone target is reported outside" || { not_ok "NO row"; show "$OUT"; }
sim calibrate --check
expect_rc "calibrate without --targets" 2
printf 'targets = ( { name = "x"; variables = ["bogus"]; value = 1.0; range = [0.0, 2.0]; } );\n' > "$W/bad_targets.cfg"
sim calibrate --targets bad_targets.cfg --check
expect_rc "calibrate with a bad targets file" 2
message_is "bad_targets.cfg:1" "no variable named 'bogus'" && ok "bad targets: file, line and reason" || { not_ok "message"; show "$ERR"; }
cat > "$W/fit.cfg" <<'CFG'
targets = (
  { name = "trade"; variables = ["trade_value", "civilian_trade"]; agents = ["CHN", "RUS"];
    partners = ["CHN", "RUS"]; from = "2023-01"; to = "2023-12"; scale = 1.0e9;
    value = 200.0; range = [190.0, 210.0]; }
);
free = ( { path = "world.gravity_g"; } );
CFG
sim calibrate --targets fit.cfg --particles 200 --write-config fitted.cfg -o fit.h5 -q
expect_rc "calibrate a one-parameter fit" 0
has "the posterior medians are a calibrated group" "$W/fitted.cfg" "calibrated = {" '"world.gravity_g='
g=$(sed -n 's/.*"world.gravity_g=\([0-9.e+]*\)".*/\1/p' "$W/fitted.cfg")
sim calibrate --targets fit.cfg --check --set "world.gravity_g=$g" --replicates 4
expect_rc "the posterior median lands the target inside its range" 0

# ---- named events ------------------------------------------------------------------
sim run --set events.nk_shells.date=2023-05 -o early.h5 -q
expect_rc "--set events.nk_shells.date" 0
sim run -o base.h5 -q
compare "moving the North Korean shipments changes the run" differ base.h5 early.h5 flow
sim run --set events.nope.date=2023-05 -o nope.h5
expect_rc "--set on an unknown event" 2
message_is "no event named 'nope'" && ok "unknown event named" || { not_ok "message"; show "$ERR"; }
finish
