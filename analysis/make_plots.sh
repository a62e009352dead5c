#!/bin/sh
# make_plots.sh - what `make plots` runs: the example results and every
# figure of analysis/, into one directory.
#
#   SIM=build/sim PYTHON=/usr/bin/python3 OUT=build/plots sh analysis/make_plots.sh
#
# Runs the baseline, a baseline ensemble of 20 replicates, the example sweep
# (configs/sweeps/example.cfg) and a comparison of the baseline with
# sanctions escalation (10 paired replicates), then draws each figure as
# PNG and SVG.  When analysis/sensitivity.py is there it also runs a Saltelli
# sweep (configs/sweeps/sensitivity.cfg, or one written here on the example's
# axes) and draws its Sobol indices.  Prints every path it writes.  About a
# minute on 2 cores.  Any failure stops it with a non-zero status.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
: "${SIM:=build/sim}" "${PYTHON:=/usr/bin/python3}" "${OUT:=build/plots}"
case $SIM in /*) ;; */*) SIM=$ROOT/$SIM ;; esac
if [ ! -x "$SIM" ]; then
    echo "make_plots.sh: SIM=$SIM is not an executable (run make first)" >&2
    exit 1
fi
cd "$ROOT"
mkdir -p "$OUT"
A=analysis

# ---- results ------------------------------------------------------------------
"$SIM" run -q -o "$OUT/baseline.h5"
echo "wrote $OUT/baseline.h5"
"$SIM" run -q --replicates 20 --jobs 2 -o "$OUT/ensemble.h5"
echo "wrote $OUT/ensemble.h5"
rm -f "$OUT/sweep.h5"
"$SIM" sweep configs/sweeps/example.cfg -o "$OUT/sweep.h5" --jobs 2 -q
echo "wrote $OUT/sweep.h5"
"$SIM" compare scenarios/baseline.cfg scenarios/sanctions_escalation.cfg --replicates 10 --jobs 2 \
    -o "$OUT/compare.h5" >"$OUT/compare.txt"
echo "wrote $OUT/compare.h5 and $OUT/compare.txt"

# ---- figures ------------------------------------------------------------------
"$PYTHON" $A/plot_run.py "$OUT/baseline.h5" -o "$OUT/run_baseline.png"
"$PYTHON" $A/plot_run.py "$OUT/ensemble.h5" -o "$OUT/run_ensemble.png"
"$PYTHON" $A/plot_trade.py "$OUT/baseline.h5" -o "$OUT/trade_baseline.png"
"$PYTHON" $A/plot_trade.py "$OUT/ensemble.h5" --month 2023-06 2024-12 -o "$OUT/trade_ensemble.png"
"$PYTHON" $A/plot_sweep.py "$OUT/sweep.h5" --var shortfall --agent RUS --good drones \
    --from 2024-01 --to 2024-12 -o "$OUT/sweep_drone_shortfall.png"
"$PYTHON" $A/plot_sweep.py "$OUT/sweep.h5" --var shortfall --agent RUS --good drones \
    --from 2024-01 --to 2024-12 --param agents.CHN.secondary --param routes.caspian.interdiction \
    -o "$OUT/sweep_heatmap.png"
"$PYTHON" $A/compare.py "$OUT/compare.h5" -o "$OUT/compare.png"
"$PYTHON" $A/plot_shells.py "$OUT/ensemble.h5" -o "$OUT/shells.png"

# ---- Sobol indices, when the script exists ---------------------------------------
if [ -f $A/sensitivity.py ]; then
    cfg=configs/sweeps/sensitivity.cfg
    if [ ! -f "$cfg" ]; then
        cfg=$OUT/sensitivity_sweep.cfg
        cat >"$cfg" <<EOF
# written by analysis/make_plots.sh: a Saltelli design on the example's axes
sweep = {
  scenario = "$ROOT/scenarios/baseline.cfg";
  design = "saltelli";
  points = 64;
  replicates = 1;
  variables = ["production", "shortfall", "cohesion", "connectivity"];
};
axes = (
  { path = "agents.CHN.secondary"; min = 0.0; max = 0.8; },
  { path = "routes.caspian.interdiction"; min = 0.0; max = 1.0; },
  { path = "agents.RUS.sanctions"; min = 0.5; max = 0.95; }
);
EOF
        echo "wrote $cfg"
    fi
    rm -f "$OUT/sensitivity.h5"
    "$SIM" sweep "$cfg" -o "$OUT/sensitivity.h5" --jobs 2 -q
    echo "wrote $OUT/sensitivity.h5"
    "$PYTHON" $A/sensitivity.py "$OUT/sensitivity.h5" --var shortfall --agent RUS --good drones \
        --from 2024-01 --to 2024-12 -o "$OUT/sensitivity.png"
fi
