#!/bin/sh
# bench.sh - speed figures (make bench).  Prints, never fails on a number.
set -eu
: "${SIM:=build/sim}" "${BUILD:=build}"
"$BUILD/tests/bench_step"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
# whole process: `sim run` of the 120-month baseline, file written
n=20
start=$(date +%s%N)
i=0
while [ $i -lt $n ]; do
    "$SIM" run --months 120 -q -o "$dir/b.h5"
    i=$((i + 1))
done
end=$(date +%s%N)
ms=$(( (end - start) / n / 1000 ))
size=$(wc -c < "$dir/b.h5")
printf 'whole process, sim run --months 120 (mean of %d): %d.%03d ms, file %d bytes\n' \
    "$n" $((ms / 1000)) $((ms % 1000)) "$size"
