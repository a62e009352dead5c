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

# ---- sweeps: memory flat in the number of runs, cost of recording ------------------
mk_sweep() { # points file
    cat > "$2" <<CFG
sweep = { scenario = "$(pwd)/scenarios/baseline.cfg"; design = "random"; points = $1;
          seed = 5; replicates = 2; };
axes = ( { path = "agents.CHN.secondary"; min = 0.0; max = 0.8; },
         { path = "routes.caspian.interdiction"; min = 0.0; max = 1.0; } );
CFG
}
mk_sweep 500 "$dir/s1k.cfg"
mk_sweep 5000 "$dir/s10k.cfg"
peak() { /usr/bin/time -f '%M %e' "$SIM" sweep "$1" -o "$2" -q 2>&1 >/dev/null | tail -n 1; }
set -- $(peak "$dir/s1k.cfg" "$dir/s1k.h5"); m1=$1 t1=$2
set -- $(peak "$dir/s10k.cfg" "$dir/s10k.h5"); m10=$1 t10=$2
printf 'sweep peak memory: 1,000 runs %s KB, 10,000 runs %s KB (ratio %s)\n' "$m1" "$m10" \
    "$(awk -v a="$m1" -v b="$m10" 'BEGIN { printf "%.2f", b / a }')"
out=$("$BUILD/tests/bench_step" --sweep-no-output "$dir/s10k.cfg")
per_run=$(echo "$out" | sed -n 1p)
set -- $(echo "$out" | sed -n 2p); t_off=$1 runs=$2
t_bare=$("$BUILD/tests/bench_step" --bare-writer "$runs" "$per_run")
awk -v on="$t10" -v off="$t_off" -v bare="$t_bare" -v n="$runs" -v size="$(wc -c < "$dir/s10k.h5")" 'BEGIN {
    printf "sweep of %d runs, 1 thread: %.0f runs/s recorded (%.2f s, file %.1f MB), %.0f runs/s without output (%.2f s): ratio %.2f\n",
        n, n / on, on, size / 1e6, n / off, off, off / on
    w = on - off
    printf "writing time %.2f s against %.2f s for a bare HDF5 writer of the same values: ratio %.2f\n", w, bare, w / bare
}'
