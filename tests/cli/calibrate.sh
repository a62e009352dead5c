#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# calibrate.sh - `sim calibrate` by ABC-SMC as a user runs it: a fit and
# its file (read by xarray, with the README's snippet), the same posterior
# for any --jobs and any number of MPI ranks, resume after SIGKILL with the
# same posterior, SIGTERM, a fit that is not done (exit 5), identities,
# --fit-until, --recover, --posterior for run, compare and sweep, and bad
# input.  The posterior follows the result files' conventions (UDUNITS-2
# units, numbers as numbers, param_unit, history appended by --resume),
# and every file calibrate writes goes through the publisher: never over
# an input however spelt (the scenario, what it includes, the targets,
# the posterior read), a device or a FIFO.
. "$(dirname "$0")/common.inc"

cp -r "$ROOT/scenarios" "$ROOT/configs" "$W/"
T_ALL="--targets configs/targets.cfg"

# same_fit WHAT A B : the two posterior files hold the same data (every
# variable but the wall time `seconds`; attributes but history)
same_fit() {
    (cd "$W" && py --compare "$2" "$3") >"$T/log/cmp" 2>&1
    if grep -v '^differs: seconds ' "$T/log/cmp" | grep -q .; then
        not_ok "$1"
        show "$T/log/cmp"
    else
        ok "$1"
    fi
}

# ---- a one-parameter fit ------------------------------------------------------------
cat > "$W/fit.cfg" <<'CFG'
targets = (
  { name = "trade"; label = "China-Russia trade 2023"; variables = ["trade_value", "civilian_trade"];
    agents = ["CHN", "RUS"]; partners = ["CHN", "RUS"]; from = "2023-01"; to = "2023-12";
    scale = 1.0e9; unit = "bn USD"; value = 200.0; range = [190.0, 210.0]; },
  { name = "trade_h2"; label = "China-Russia trade, H2 2024"; variables = ["trade_value", "civilian_trade"];
    agents = ["CHN", "RUS"]; partners = ["CHN", "RUS"]; from = "2024-07"; to = "2024-12";
    scale = 1.0e9; unit = "bn USD"; value = 110.0; range = [100.0, 120.0]; }
);
free = ( { path = "world.gravity_g"; } );
CFG
sim calibrate --targets fit.cfg --particles 200 --jobs 2
expect_rc "a fit of gravity_g to one figure" 0
[ -f "$W/baseline_posterior.h5" ] && ok "written to <scenario>_posterior.h5" || not_ok "no baseline_posterior.h5"
[ ! -e "$W/baseline_posterior.h5.checkpoint" ] && ok "no checkpoint left after the fit" || not_ok "checkpoint left"
has "convergence reported" "$OUT" "ABC-SMC fit: 200 particles" "converged: tolerance 1 reached" \
    "generation    tolerance      acceptance  simulations      ESS"
has "the posterior table" "$OUT" "world.gravity_g" "uniform(min=100000000, max=1000000000)"
has "the targets from runs drawn from the posterior" "$OUT" \
    "model median and 5-95% of 100 runs drawn from the posterior"
expect_attr "the file says it converged" baseline_posterior.h5 status converged
# the README's xarray snippet runs on it
sed -n '/<!-- posterior-xarray -->/,/<!-- \/posterior-xarray -->/p' "$ROOT/README.md" |
    sed '/^<!--/d; /^```/d' > "$T/snippet.py"
[ -s "$T/snippet.py" ] && ok "the README has the xarray snippet" || not_ok "no README snippet"
(cd "$W" && "$PYTHON" "$T/snippet.py") >"$T/log/snippet" 2>&1
[ $? -eq 0 ] && ok "the README's xarray snippet runs on the file" || { not_ok "README snippet"; show "$T/log/snippet"; }
has "the snippet prints the status, the convergence and the posterior" "$T/log/snippet" \
    "converged" "acceptance_rate" "world.gravity_g"
"$PYTHON" - "$W/baseline_posterior.h5" >"$T/log/py" 2>&1 <<'PY'
import sys
import numpy as np
import xarray as xr
ds = xr.open_dataset(sys.argv[1])
g = ds.sizes["generation"]
assert ds.param_value.dims == ("generation", "particle", "param"), ds.param_value.dims
assert list(ds.param.values) == ["world.gravity_g"]
assert list(ds.stat.values) == ["trade", "trade_h2"]
w = ds.weight.isel(generation=-1).values
assert abs(w.sum() - 1) < 1e-12
assert float(ds.tolerance[-1]) == 1.0 and np.isinf(float(ds.tolerance[0]))
assert (np.diff(ds.tolerance.values[1:]) < 0).all()
d = ds.distance.isel(generation=-1).values
assert (d <= 1.0).all()                      # every accepted particle within tolerance
s = ds.stat_value.isel(generation=-1).sel(stat="trade").values
assert ((s >= 190) & (s <= 210)).all()       # max distance 1: inside the range
assert ds.attrs["converged"] == 1 and ds.attrs["particles"] == 200
assert ds.weight.attrs["units"] == "1" and "long_name" in ds.param_value.attrs
print("ok", g)
PY
[ $? -eq 0 ] && ok "xarray: dimensions, weights, tolerances, every accepted particle in range" ||
    { not_ok "xarray checks"; show "$T/log/py"; }

# ---- the same posterior for any number of threads ------------------------------------
sim calibrate --targets fit.cfg --particles 200 --jobs 1 -o j1.h5 -q
expect_rc "--jobs 1" 0
sim calibrate --targets fit.cfg --particles 200 --jobs 3 -o j3.h5 -q
expect_rc "--jobs 3" 0
same_fit "the same posterior with 1, 2 and 3 threads (bit for bit)" j1.h5 j3.h5
same_fit "the default-named fit is the same as well" j1.h5 baseline_posterior.h5

# ---- --fit-until: the later targets out of sample -------------------------------------
sim calibrate --targets fit.cfg --particles 200 --fit-until 2023-12 -o until.h5 --markdown
expect_rc "--fit-until 2023-12" 0
has "in-sample and out-of-sample tables" "$OUT" "**In sample** (targets dated up to 2023-12)" \
    "**Out of sample** (dated after 2023-12, not fitted)" "| China-Russia trade, H2 2024 | 2024-12 |"
(cd "$W" && "$PYTHON" -c "import xarray as xr; ds = xr.open_dataset('until.h5'); print(list(ds.stat_role.values), list(ds.stat_weight.values))") > "$T/log/roles" 2>&1
has "the file records the roles" "$T/log/roles" "['fit', 'out of sample'] [1.0, 0.0]"
sim calibrate --targets fit.cfg --fit-until 2022-12 -o nope.h5
expect_rc "--fit-until before every target" 2
message_is "no target is dated that early" && ok "said so" || { not_ok "message"; show "$ERR"; }
sim calibrate --targets fit.cfg --fit-until 2023-13 -o nope.h5
expect_rc "--fit-until 2023-13" 2

# ---- a fit that is not done ------------------------------------------------------------
sim calibrate $T_ALL --particles 100 --generations 3 -o short.h5 -q
expect_rc "three generations are not a fit" 5
message_is "the fit is not done (generation limit" "short.h5 records it" && ok "said so, one line" ||
    { not_ok "message"; show "$ERR"; }
expect_attr "the file says why" short.h5 status "generation limit"
expect_attr "and that it did not converge" short.h5 converged 0
sim calibrate --targets fit.cfg --particles 100 --tolerance 0.0001 --min-acceptance 0.05 -o stall.h5 -q
expect_rc "a tolerance the model cannot reach" 5
expect_attr "stalled" stall.h5 status stalled
sim calibrate --targets fit.cfg --particles 100 --generations 2 --write-config w.cfg -o wc.h5 -q
[ ! -e "$W/w.cfg" ] && ok "--write-config writes nothing when the fit is not done" || not_ok "w.cfg written"
sim run --posterior short.h5 --replicates 2 -o r_short.h5 -q
expect_rc "runs may still draw from an unfinished fit" 0
has "with a warning" "$ERR" "warning: short.h5 is not a finished fit (status generation limit"

# ---- resume after SIGKILL: the same posterior -------------------------------------------
sim calibrate $T_ALL --particles 150 --generations 8 -o whole.h5 -q
expect_rc "an uninterrupted fit of 8 generations" 5
(cd "$W" && exec "$SIM" calibrate $T_ALL --particles 150 --generations 8 -o killed.h5 -q) \
    >/dev/null 2>&1 &
pid=$!
i=0
while [ ! -e "$W/killed.h5.checkpoint" ] && [ $i -lt 600 ]; do sleep 0.05; i=$((i + 1)); done
sleep 0.3
kill -9 "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
if [ -e "$W/killed.h5.checkpoint" ] && [ ! -e "$W/killed.h5" ]; then
    ok "SIGKILL in the middle of the fit leaves its checkpoint and no result"
else
    not_ok "the fit was not killed in the middle (checkpoint or result missing)"
fi
gens=$( (cd "$W" && py --attr killed.h5.checkpoint generations) 2>&1)
ok "the checkpoint holds $gens generation(s)"
sim calibrate $T_ALL --particles 150 --generations 8 -o killed.h5 -q
expect_rc "without --resume the checkpoint is not overwritten" 2
message_is "killed.h5.checkpoint holds an interrupted fit: go on with --resume" &&
    ok "said so" || { not_ok "message"; show "$ERR"; }
sim calibrate $T_ALL --particles 150 --generations 8 -o killed.h5 --resume
expect_rc "--resume" 5
has "resumed from the checkpoint" "$ERR" "calibrate: resuming after generation"
same_fit "resume after SIGKILL gives the same posterior (bit for bit)" whole.h5 killed.h5
"$PYTHON" "$ROOT/tests/cli/check_cf.py" posterior "$W/killed.h5" --history 2 >"$T/log/cf" 2>&1
[ $? -eq 0 ] && ok "the resumed posterior: conventions, its history appended by --resume" ||
    { not_ok "the resumed posterior's conventions"; show "$T/log/cf"; }
[ ! -e "$W/killed.h5.checkpoint" ] && ok "the checkpoint is removed at the end" || not_ok "checkpoint left"
sim calibrate $T_ALL --particles 100 --generations 8 -o killed.h5 --resume -q
expect_rc "--resume with no checkpoint starts afresh" 5
# a checkpoint of another fit is refused
(cd "$W" && cp short.h5 other.h5.checkpoint)
sim calibrate $T_ALL --particles 150 -o other.h5 --resume
expect_rc "a checkpoint of another fit" 2
message_is "belongs to another fit" && ok "said so" || { not_ok "message"; show "$ERR"; }

# ---- SIGTERM: interrupted, resumable ------------------------------------------------------
(cd "$W" && exec "$SIM" calibrate $T_ALL --particles 150 --generations 8 -o term.h5 -q) \
    >/dev/null 2>"$T/log/term" &
pid=$!
i=0
while [ ! -e "$W/term.h5.checkpoint" ] && [ $i -lt 600 ]; do sleep 0.05; i=$((i + 1)); done
kill -TERM "$pid" 2>/dev/null
wait "$pid"
RC=$?
expect_rc "SIGTERM" 3
has "interrupted, resumable" "$T/log/term" "go on with --resume"
sim calibrate $T_ALL --particles 150 --generations 8 -o term.h5 --resume -q
expect_rc "resume after SIGTERM" 5
same_fit "resume after SIGTERM gives the same posterior" whole.h5 term.h5

# ---- the identity check -------------------------------------------------------------------
cat > "$W/id.cfg" <<'CFG'
targets = (
  { name = "ven"; label = "Venezuela's sanctions, Nov 2023"; variables = ["sanctions"]; agents = ["VEN"];
    from = "2023-11"; to = "2023-11"; reduce = "first"; value = 0.45; range = [0.4, 0.5]; },
  { name = "trade"; label = "China-Russia trade 2023"; variables = ["trade_value", "civilian_trade"];
    agents = ["CHN", "RUS"]; partners = ["CHN", "RUS"]; from = "2023-01"; to = "2023-12";
    scale = 1.0e9; value = 240.0; range = [220.0, 260.0]; }
);
free = ( { path = "world.gravity_g"; } );
CFG
sim calibrate --targets id.cfg --check
expect_rc "calibrate --check with a target a config sets" 0
has "listed as an identity, with the reason" "$OUT" "Identity, not evidence (left out of the fit):" \
    "Venezuela's sanctions, Nov 2023" "equals the value of an event on agents.VEN.sanctions"
[ "$(grep -c "China-Russia trade 2023" "$OUT")" -eq 1 ] && ok "the trade target is evidence (in the table only)" ||
    not_ok "trade listed as an identity"
sim calibrate --targets id.cfg --particles 100 -o id.h5 -q
expect_rc "a fit leaves the identity out" 0
(cd "$W" && "$PYTHON" -c "import xarray as xr; ds = xr.open_dataset('id.h5'); print(list(ds.stat_role.values))") > "$T/log/roles" 2>&1
has "the file records it" "$T/log/roles" "['identity', 'fit']"
sim calibrate --targets id.cfg --check --draws 0
! grep -q "Identity, not evidence" "$OUT" && ok "--draws 0: no identity check" || not_ok "--draws 0"

# ---- the recovery check --------------------------------------------------------------------
cat > "$W/rec.cfg" <<'CFG'
targets = (
  { name = "trade"; variables = ["trade_value", "civilian_trade"]; agents = ["CHN", "RUS"];
    partners = ["CHN", "RUS"]; from = "2023-01"; to = "2023-12"; scale = 1.0e9;
    value = 240.0; range = [230.0, 250.0]; },
  { name = "usd"; variables = ["usd_share"]; agents = ["CHN"]; partners = ["RUS"];
    from = "2023-10"; to = "2023-10"; reduce = "first"; value = 0.05; range = [0.03, 0.07]; }
);
free = ( { path = "world.gravity_g"; }, { path = "settlement.usd_adapt"; }, { path = "agents.PRK.stock.shells"; } );
CFG
sim calibrate --targets rec.cfg --recover --particles 400 --jobs 2
has "per parameter: truth, prior, posterior, covers, narrower" "$OUT" \
    "parameter                                 truth" "world.gravity_g" "settlement.usd_adapt" \
    "2 of 3 parameters recovered"
grep "agents.PRK.stock.shells" "$OUT" | grep -q " NO$" && ok "North Korea's shell stock, which no target sees, is reported not recovered" ||
    { not_ok "PRK stock row"; show "$OUT"; }
expect_rc "--recover with a parameter not recovered" 4
[ -f "$W/baseline_recovery.h5" ] && ok "the recovery fit is written" || not_ok "no baseline_recovery.h5"

# ---- --posterior for run, compare and sweep ------------------------------------------------
sim run --posterior baseline_posterior.h5 --replicates 6 --jobs 2 -o post_run.h5
expect_rc "run --posterior" 0
has "run says so" "$OUT" "parameters drawn from the posterior baseline_posterior.h5"
"$PYTHON" - "$W/post_run.h5" "$W/baseline_posterior.h5" >"$T/log/py" 2>&1 <<'PY'
import sys
import numpy as np
import xarray as xr
run, post = xr.open_dataset(sys.argv[1]), xr.open_dataset(sys.argv[2])
last = post.param_value.isel(generation=-1)
for r in range(run.sizes["run"]):
    k = int(run.point[r])
    assert run.param_value[r].item() == last[k, 0].item(), r
# point has _FillValue -1 (a run not done), which xarray decodes to floats
assert not np.isnan(run.point.values).any()
assert post.weight.isel(generation=-1)[run.point.values.astype(int)].min() > 0
assert len(set(run.param_value.values[:, 0])) > 1
print("ok")
PY
[ $? -eq 0 ] && ok "each run records its particle and uses its values" || { not_ok "run file"; show "$T/log/py"; }
"$PYTHON" "$ROOT/tests/cli/check_cf.py" posterior "$W/baseline_posterior.h5" --run "$W/post_run.h5" \
    >"$T/log/cf" 2>&1
[ $? -eq 0 ] && ok "the posterior and a run drawing from it: units, numbers, param_unit, history" ||
    { not_ok "the posterior's conventions"; show "$T/log/cf"; }
sim run --posterior baseline_posterior.h5 --replicates 6 --jobs 1 -o post_run1.h5 -q
compare "run --posterior: the same runs for any --jobs" same post_run.h5 post_run1.h5
sim compare scenarios/baseline.cfg scenarios/dedollarisation.cfg --posterior baseline_posterior.h5 \
    --replicates 6 -o post_cmp.h5 --markdown
expect_rc "compare --posterior" 0
has "compare adds the spread of the paired differences" "$OUT" \
    "| figure | baseline | dedollarisation | difference (95% interval) | 5-95% of run differences |"
sim compare scenarios/baseline.cfg scenarios/dedollarisation.cfg --posterior baseline_posterior.h5 \
    --replicates 6 -o post_cmp.h5
has "and says what the intervals mean" "$OUT" "covers parameter" "uncertainty and chance"
sim compare scenarios/baseline.cfg scenarios/dedollarisation.cfg --replicates 4 -o plain_cmp.h5
has "without a posterior: chance only" "$OUT" "reflects chance only"
cat > "$W/sw.cfg" <<'CFG'
sweep = { scenario = "scenarios/baseline.cfg"; design = "grid"; replicates = 2; };
axes = ( { path = "agents.CHN.secondary"; min = 0.0; max = 0.8; levels = 2; } );
CFG
sim sweep sw.cfg --posterior baseline_posterior.h5 -o post_sw.h5 -q
expect_rc "sweep --posterior" 0
(cd "$W" && "$PYTHON" -c "
import xarray as xr
s, r = xr.open_dataset('post_sw.h5'), xr.open_dataset('post_run.h5')
print(list(s.param.values))
v = s.param_value.sel(param='world.gravity_g').values
print(v[0] == v[2], v[1] == v[3], v[0] == r.param_value.values[0, 0], v[1] == r.param_value.values[1, 0])
") > "$T/log/sw" 2>&1
has "the sweep records the posterior's parameters; replicate i draws as run i" "$T/log/sw" \
    "['agents.CHN.secondary', 'world.gravity_g']" "True True True True"
cat > "$W/sw2.cfg" <<'CFG'
sweep = { scenario = "scenarios/baseline.cfg"; design = "grid"; replicates = 2; };
axes = ( { path = "world.gravity_g"; min = 1.0e8; max = 5.0e8; levels = 2; } );
CFG
sim sweep sw2.cfg --posterior baseline_posterior.h5 -o nope.h5 -q
expect_rc "sweep: a posterior parameter that is also an axis" 2
sim run --posterior fit.cfg -o nope.h5
expect_rc "run --posterior with a file that is not a posterior" 2
message_is "--posterior: fit.cfg is not an HDF5 file" && ok "said so" || { not_ok "message"; show "$ERR"; }
sim run --posterior post_run.h5 -o nope.h5
expect_rc "run --posterior with a result file" 2
message_is "is not a posterior file of sim calibrate" && ok "said so" || { not_ok "message"; show "$ERR"; }
[ ! -e "$W/nope.h5" ] && ok "no file after the refusals" || not_ok "a file was left"
sim calibrate --targets fit.cfg --check --posterior baseline_posterior.h5 --replicates 50
expect_rc "calibrate --check --posterior" 0
has "the table from runs drawn from the posterior" "$OUT" "each drawing its parameters"

# ---- bad input ------------------------------------------------------------------------------
sim calibrate --targets fit.cfg --distance euclid
expect_rc "--distance euclid" 2
sim calibrate --targets fit.cfg --particles 1
expect_rc "--particles 1" 2
sim calibrate --targets fit.cfg --alpha 1.5
expect_rc "--alpha 1.5" 2
sim calibrate --targets fit.cfg --posterior baseline_posterior.h5
expect_rc "--posterior without --check" 2
sim calibrate --targets fit.cfg --check --recover
expect_rc "--check with --recover" 2
cp "$W/fit.cfg" "$W/fit_copy.cfg"
sim calibrate --targets fit.cfg -o fit.cfg
expect_rc "-o naming the targets file" 2
message_is "refusing to write fit.cfg: it is one of the inputs" && ok "said so" || { not_ok "message"; show "$ERR"; }
cmp -s "$W/fit.cfg" "$W/fit_copy.cfg" && ok "the targets file is untouched" || not_ok "fit.cfg changed"
sim calibrate --targets fit.cfg -o /dev/null
expect_rc "-o /dev/null" 2
message_is "refusing to write /dev/null: it is a character device, not a regular file" &&
    ok "said so" || { not_ok "message"; show "$ERR"; }
# the publisher's refusals, for every file calibrate writes, before the fit
cp "$W/scenarios/baseline.cfg" "$W/scenario.before"
cp "$W/configs/default.cfg" "$W/default.before"
cp "$W/baseline_posterior.h5" "$W/posterior.before"
sim calibrate scenarios/baseline.cfg --targets fit.cfg -o ./scenarios/../scenarios/baseline.cfg
expect_rc "-o naming the scenario, spelt otherwise" 2
message_is "is the same file as the input scenarios/baseline.cfg" && ok "said so" ||
    { not_ok "message"; show "$ERR"; }
sim calibrate scenarios/baseline.cfg --targets fit.cfg -o configs/calibrated.cfg
expect_rc "-o naming the calibrated.cfg the scenario includes (a posterior is no config)" 2
sim calibrate scenarios/baseline.cfg --targets fit.cfg --write-config configs/default.cfg -o wd.h5
expect_rc "--write-config naming the default.cfg the scenario includes" 2
message_is "refusing to write configs/default.cfg" "input" && ok "said so" || { not_ok "message"; show "$ERR"; }
sim calibrate --targets fit.cfg -o same.h5 --write-config same.h5
expect_rc "--write-config naming the posterior file" 2
(cd "$W" && mkfifo fifo)
sim calibrate --targets fit.cfg -o wf.h5 --write-config fifo
expect_rc "--write-config naming a FIFO (no hang)" 2
message_is "refusing to write fifo: it is a FIFO" && ok "said so" || { not_ok "message"; show "$ERR"; }
sim calibrate --targets fit.cfg -o fifo
expect_rc "-o naming a FIFO" 2
sim run --posterior baseline_posterior.h5 --months 2 -o ./baseline_posterior.h5
expect_rc "run --posterior P -o P (spelt otherwise)" 2
message_is "is the same file as the input baseline_posterior.h5" && ok "said so" ||
    { not_ok "message"; show "$ERR"; }
sim compare scenarios/baseline.cfg scenarios/dedollarisation.cfg --posterior baseline_posterior.h5 \
    --months 2 --replicates 2 -o cmp2.h5 --table baseline_posterior.h5
expect_rc "compare --posterior P --table P" 2
sim sweep sw.cfg --posterior baseline_posterior.h5 -o baseline_posterior.h5 -q
expect_rc "sweep --posterior P -o P" 2
cmp -s "$W/scenarios/baseline.cfg" "$W/scenario.before" && cmp -s "$W/configs/default.cfg" "$W/default.before" &&
    cmp -s "$W/baseline_posterior.h5" "$W/posterior.before" && [ -p "$W/fifo" ] &&
    [ ! -e "$W/same.h5" ] && [ ! -e "$W/wd.h5" ] && [ ! -e "$W/cmp2.h5" ] &&
    ok "the scenario, its include, the posterior and the FIFO untouched, no file written" ||
    not_ok "an input changed or a file was written"
printf 'targets = ( { name = "x"; variables = ["stock"]; value = 1.0; range = [0.0, 2.0]; } );\nfree = ( { path = "agents.RUS.secondary"; } );\n' > "$W/noprior.cfg"
sim calibrate --targets noprior.cfg
expect_rc "a free parameter without a prior" 2
message_is "noprior.cfg:2" "free.agents.RUS.secondary" "has no prior in the scenario" &&
    ok "named with its line" || { not_ok "message"; show "$ERR"; }

# ---- MPI: the same posterior for any number of ranks ------------------------------------------
MPI=$(dirname "$SIM")/sim-mpi
if command -v mpirun >/dev/null 2>&1 && [ -x "$MPI" ]; then
    export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_plm_rsh_agent=false
    if [ "${SIM_SANITIZE:-}" = 1 ]; then
        ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0
        export ASAN_OPTIONS
    fi
    for k in 1 2 3; do
        (cd "$W" && timeout -k 5 300 mpirun --oversubscribe -n "$k" "$MPI" calibrate --targets fit.cfg \
            --particles 200 -o "mpi$k.h5" -q) >"$OUT" 2>"$ERR"
        RC=$?
        expect_rc "sim-mpi calibrate with $k rank(s)" 0
        same_fit "$k rank(s): the posterior of one process (bit for bit)" j1.h5 "mpi$k.h5"
    done
    (cd "$W" && timeout -k 5 300 mpirun --oversubscribe -n 2 "$MPI" calibrate $T_ALL \
        --particles 100 --generations 3 -o mpi_short.h5 -q) >"$OUT" 2>"$ERR"
    RC=$?
    expect_rc "sim-mpi calibrate: a fit not done" 5
    [ "$(grep -c 'the fit is not done' "$ERR")" -eq 1 ] && ok "reported once, by rank 0" ||
        { not_ok "messages"; show "$ERR"; }
else
    ok "mpi # skipped: mpirun or build/sim-mpi not available"
fi
finish
