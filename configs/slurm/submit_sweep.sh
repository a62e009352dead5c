#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# submit_sweep.sh - a sweep as a Slurm job array plus a dependent merge.
#   configs/slurm/submit_sweep.sh SWEEP.cfg OUTDIR TASKS [SIM]
# Prints the two job ids.  The result is OUTDIR/sweep.h5.
set -euo pipefail
if [ $# -lt 3 ]; then
    echo "usage: $0 SWEEP.cfg OUTDIR TASKS [path/to/sim]" >&2
    exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
sweep=$(realpath "$1")
outdir=$(realpath -m "$2")
tasks=$3
sim=$(realpath "${4:-$here/../../build/sim}")
mkdir -p "$outdir"
env="ALL,SIM=$sim,SWEEP=$sweep,OUTDIR=$outdir"
array=$(sbatch --parsable --chdir="$outdir" --array="0-$((tasks - 1))" \
    --export="$env" "$here/sweep_array.sbatch")
merge=$(sbatch --parsable --chdir="$outdir" --dependency="afterok:$array" \
    --export="$env" "$here/merge.sbatch")
echo "array job $array, merge job $merge: result $outdir/sweep.h5"
