#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# bench.sh - speed figures (make bench).  Prints, never fails on a number.
set -eu
: "${SIM:=build/sim}" "${BUILD:=build}"
"$BUILD/tests/bench_step"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
# whole process: `sim --version` (start-up alone) and `sim run` of the
# 120-month baseline, file written; the mean wall time of n, and the CPU
# time (user + system) of the n together, which a loaded machine disturbs
# less
whole() { # n label command...
    n=$1 label=$2
    shift 2
    start=$(date +%s%N)
    cpu=$( { /usr/bin/time -f '%U %S' sh -c 'i=0; while [ $i -lt '"$n"' ]; do "$@" >/dev/null; i=$((i + 1)); done' sh "$@"; } 2>&1 >/dev/null | tail -n 1)
    end=$(date +%s%N)
    awk -v w=$(( (end - start) / n )) -v c="$cpu" -v n="$n" -v l="$label" 'BEGIN {
        split(c, t, " ")
        printf "%s (mean of %d): %.1f ms wall, %.1f ms CPU\n", l, n, w / 1e6, (t[1] + t[2]) * 1000 / n }'
}
linked=$(if ldd "$SIM" 2>/dev/null | grep -q libhdf5; then echo "HDF5 linked dynamically"; else echo "HDF5 linked statically"; fi)
echo "whole process ($linked, $(ldd "$SIM" 2>/dev/null | wc -l) shared objects loaded):"
whole 40 "  sim --version" "$SIM" --version
whole 20 "  sim run --months 120 (target <= 20 ms)" "$SIM" run --months 120 -q -o "$dir/b.h5"
printf '  the file: %d bytes\n' "$(wc -c < "$dir/b.h5")"

# ---- calibration: the shipped fit (README, Calibration): 1,000 particles, 2 threads ----
/usr/bin/time -f '%e %U %S' "$SIM" calibrate --targets configs/targets.cfg --fit-until 2023-12 \
    --particles 1000 --replicates 3 --jobs 2 -o "$dir/post.h5" > "$dir/cal.txt" 2> "$dir/cal.err" || true
wall=$(tail -n 1 "$dir/cal.err" | awk '{ print $1 }')
cpu=$(tail -n 1 "$dir/cal.err" | awk '{ printf "%.1f", $2 + $3 }')
printf 'calibration (ABC-SMC, %s; 1,000 particles, 2 threads): %s s wall, %s s CPU (limit 10 minutes)\n' \
    "$(sed -n 1p "$dir/cal.txt" | sed 's/^ABC-SMC fit: //')" "$wall" "$cpu"
awk '/^generation/ { on = 1; next } on && NF == 6 { n++; sims += $4 } on && NF != 6 { exit }
     END { printf "  %d generations, %d simulations of the model\n", n, sims }' "$dir/cal.txt"

# ---- sweeps: memory flat in the number of runs, cost of recording ------------------
# Throughput per core is runs per CPU-second (user + system, whole process,
# the least of three runs), so that it depends little on the load of the
# machine and not on --jobs.
mk_sweep() { # points file [extra sweep keys]
    cat > "$2" <<CFG
sweep = { scenario = "$(pwd)/scenarios/baseline.cfg"; design = "random"; points = $1;
          seed = 5; replicates = 2; ${3:-} };
axes = ( { path = "agents.CHN.secondary"; min = 0.0; max = 0.8; },
         { path = "routes.caspian.interdiction"; min = 0.0; max = 1.0; } );
CFG
}
mk_sweep 500 "$dir/s1k.cfg"
mk_sweep 5000 "$dir/s10k.cfg"
mk_sweep 5000 "$dir/s10k_ev.cfg" "events = true;"
# peak KB, wall s, CPU s of a recorded sweep
sweep_cost() { # sweep file, output, more options
    f=$1 o=$2
    shift 2
    /usr/bin/time -f '%M %e %U %S' "$SIM" sweep "$f" -o "$o" -q "$@" 2>&1 >/dev/null | tail -n 1 |
        awk '{ printf "%s %s %.2f\n", $1, $2, $3 + $4 }'
}
set -- $(sweep_cost "$dir/s1k.cfg" "$dir/s1k.h5"); m1=$1
# the CPU figures are the least of three runs (the least disturbed)
least() { awk -v a="$1" -v b="$2" 'BEGIN { print (b != "" && b + 0 < a + 0) ? b : a }'; }
c_on="" c_ev=""
for rep in 1 2 3; do
    set -- $(sweep_cost "$dir/s10k.cfg" "$dir/s10k.h5"); m10=$1 w_on=$2 c_on=$(least "$3" "$c_on")
    set -- $(sweep_cost "$dir/s10k_ev.cfg" "$dir/s10k_ev.h5"); c_ev=$(least "$3" "$c_ev")
done
# a part closed every second, as in a sweep longer than --checkpoint: the
# parts are joined at the end
c_cp=""
for rep in 1 2 3; do
    set -- $(sweep_cost "$dir/s10k.cfg" "$dir/s10k_cp.h5" --checkpoint 1); c_cp=$(least "$3" "$c_cp")
done
printf 'sweep peak memory: 1,000 runs %s KB, 10,000 runs %s KB (ratio %s)\n' "$m1" "$m10" \
    "$(awk -v a="$m1" -v b="$m10" 'BEGIN { printf "%.2f", b / a }')"
"$BUILD/tests/bench_step" --sweep-no-output "$dir/s10k.cfg" > "$dir/off.txt" 2> "$dir/off.time" ||
    { echo "bench: the sweep without output failed" >&2; exit 1; }
per_run=$(sed -n 1p "$dir/off.txt")
set -- $(sed -n 2p "$dir/off.txt"); runs=$2
c_off=""
for rep in 1 2 3; do
    c=$(/usr/bin/time -f '%U %S' "$BUILD/tests/bench_step" --sweep-no-output "$dir/s10k.cfg" 2>&1 >/dev/null |
        tail -n 1 | awk '{ printf "%.2f", $1 + $2 }')
    c_off=$(least "$c" "$c_off")
done
t_bare=$("$BUILD/tests/bench_step" --bare-writer "$runs" "$per_run")
awk -v on="$c_on" -v off="$c_off" -v ev="$c_ev" -v cp="$c_cp" -v wall="$w_on" -v bare="$t_bare" -v n="$runs" \
    -v size="$(wc -c < "$dir/s10k.h5")" -v size_ev="$(wc -c < "$dir/s10k_ev.h5")" 'BEGIN {
    printf "sweep of %d runs, 1 thread, default recording: %.0f runs per CPU-second (%.2f s CPU, %.2f s wall, file %.1f MB)\n",
        n, n / on, on, wall, size / 1e6
    printf "  the same sweep without output: %.0f runs per CPU-second (%.2f s): throughput ratio %.2f (target >= 0.75)\n",
        n / off, off, off / on
    printf "  with a part closed every second (ten times the default rate) and the parts joined at the end: %.0f runs per CPU-second (%.2f s): ratio %.2f\n",
        n / cp, cp, off / cp
    printf "  with the event log too (sweep.events = true): %.0f runs per CPU-second (%.2f s, file %.1f MB): ratio %.2f\n",
        n / ev, ev, size_ev / 1e6, off / ev
    w = on - off
    printf "writing time %.2f s CPU against %.2f s for a bare HDF5 writer of the same values: ratio %.2f\n", w, bare, w / bare
}'
