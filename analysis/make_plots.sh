#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# make_plots.sh - what `make plots` runs: the example results and every
# figure of analysis/, into one directory.
#
#   SIM=build/sim PYTHON=/usr/bin/python3 OUT=build/plots sh analysis/make_plots.sh
#
# Runs the baseline, a baseline ensemble of 20 replicates, the example sweep
# (configs/sweeps/example.cfg) and a comparison of the baseline with
# sanctions escalation (10 paired replicates), then draws each figure as
# PNG and SVG, named after its input (baseline.run.png, ...).  It also runs
# the Saltelli sweep configs/sweeps/sensitivity.cfg and draws its Sobol
# indices.  Prints every path it writes.  The README gives its time.  Any
# failure stops it with a non-zero status.
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
OUT=$(cd "$OUT" && pwd)
A=analysis

# ---- results ------------------------------------------------------------------
"$SIM" run -q -o "$OUT/baseline.h5"
echo "wrote $OUT/baseline.h5"
"$SIM" run -q --replicates 20 --jobs 2 -o "$OUT/ensemble.h5"
echo "wrote $OUT/ensemble.h5"
rm -rf "$OUT/sweep.h5" "$OUT/sweep.h5.parts"
"$SIM" sweep configs/sweeps/example.cfg -o "$OUT/sweep.h5" --jobs 2 -q
echo "wrote $OUT/sweep.h5"
"$SIM" compare scenarios/baseline.cfg scenarios/sanctions_escalation.cfg --replicates 10 --jobs 2 \
    -o "$OUT/compare.h5" >"$OUT/compare.txt"
echo "wrote $OUT/compare.h5 and $OUT/compare.txt"

# ---- figures (each named after its input: baseline.h5 -> baseline.run.png) ----
cd "$OUT"
P="$PYTHON $ROOT/$A"
rm -f ./*.png ./*.svg
$P/plot_run.py baseline.h5
$P/plot_run.py ensemble.h5
$P/plot_trade.py baseline.h5
$P/plot_trade.py ensemble.h5 --month 2023-06 2024-12
$P/plot_shells.py ensemble.h5
$P/plot_sweep.py sweep.h5 --var shortfall --agent RUS --good drones --from 2024-01 --to 2024-12
$P/plot_sweep.py sweep.h5 --var shortfall --agent RUS --good drones --from 2024-01 --to 2024-12 \
    --param agents.CHN.secondary --param routes.caspian.interdiction -o sweep.heatmap.png
$P/compare.py compare.h5

# ---- Sobol indices of the saltelli sweep ----------------------------------------------
cd "$ROOT"
rm -rf "$OUT/sensitivity.h5" "$OUT/sensitivity.h5.parts"
"$SIM" sweep configs/sweeps/sensitivity.cfg -o "$OUT/sensitivity.h5" --jobs 2 -q
echo "wrote $OUT/sensitivity.h5"
cd "$OUT"
$P/sensitivity.py sensitivity.h5 --var shortfall --agent RUS --good drones \
    --from 2024-01 --to 2024-12 >sensitivity.txt
grep '^wrote ' sensitivity.txt
echo "wrote $OUT/sensitivity.txt (the table of indices)"
