#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# mpi.sh - `mpirun -n K build/sim-mpi sweep ...` gives the same data as the
# serial sweep for K = 1, 2, 3, and a failing rank is reported with its
# runs, not hung on.  Skipped where Open MPI or build/sim-mpi is missing.
. "$(dirname "$0")/common.inc"

MPI=$(dirname "$SIM")/sim-mpi
if ! command -v mpirun >/dev/null 2>&1 || [ ! -x "$MPI" ]; then
    ok "mpi # skipped: mpirun or build/sim-mpi not available"
    finish
fi
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_plm_rsh_agent=false
if [ "${SIM_SANITIZE:-}" = 1 ]; then
    # Under ASan, LeakSanitizer reports Open MPI's own allocations (its
    # dlopen'ed components free nothing at exit) and exits 1; our sweep
    # code is leak-checked by sweep.sh with the plain sim.
    ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0
    export ASAN_OPTIONS
fi
cp -r "$ROOT/scenarios" "$ROOT/configs" "$W/"
cat > "$W/configs/m.cfg" <<'CFG'
sweep = { scenario = "../scenarios/baseline.cfg"; design = "sobol"; points = 40;
          replicates = 2; variables = ["production", "flow", "cohesion"]; };
axes = ( { path = "agents.CHN.secondary"; min = 0.0; max = 0.8; },
         { path = "goods.oil.price"; min = 50.0; max = 120.0; scale = "log"; } );
CFG
sim sweep configs/m.cfg -o serial.h5 -q
expect_rc "the serial sweep" 0
for k in 1 2 3; do
    (cd "$W" && timeout -k 5 120 mpirun --oversubscribe -n "$k" "$MPI" sweep configs/m.cfg \
        -o "mpi$k.h5" -q) >"$OUT" 2>"$ERR"
    RC=$?
    expect_rc "mpirun -n $k" 0
    compare "MPI with $k ranks = serial" same serial.h5 "mpi$k.h5"
    [ -z "$(ls "$W" | grep "mpi$k.h5.rank")" ] && ok "no rank files left ($k ranks)" ||
        not_ok "rank files left behind ($k ranks)"
done
# one job per output: a second job while the first runs exits 2 naming it
# (rank 0 holds the lock on OUT.parts/ until its merge is done), and the
# first finishes complete
# (500 runs of 360 months: about 2 s on an idle machine, long
# enough for the second job and the SIGTERM below to find it running)
sed 's/^  months = 24;/  months = 360;/' "$W/scenarios/baseline.cfg" >"$W/scenarios/long.cfg"
sed -e 's|baseline.cfg|long.cfg|' -e 's/points = 40;/points = 250;/' "$W/configs/m.cfg" >"$W/configs/long.cfg"
sim sweep configs/long.cfg -o long_serial.h5 -q
expect_rc "the serial long sweep" 0
(cd "$W" && exec timeout -k 5 300 mpirun --oversubscribe -n 2 "$MPI" sweep configs/long.cfg \
    -o held.h5 -q) >"$T/log/first" 2>&1 &
pid=$!
wait_for "$W/held.h5.parts/lock" 20
(cd "$W" && timeout -k 5 120 mpirun --oversubscribe -n 2 "$MPI" sweep configs/long.cfg \
    -o held.h5 -q --resume) >"$OUT" 2>"$ERR"
RC=$?
expect_rc "a second MPI job on the output while the first runs" 2
has "... names the first" "$ERR" "held.h5 is being written by another sweep (pid" "sim-mpi sweep configs/long.cfg"
wait "$pid"
RC=$?
expect_rc "the first MPI job" 0
compare "... finishes complete: the serial sweep's data" same long_serial.h5 held.h5
[ ! -e "$W/held.h5.parts" ] && ok "... and removes its lock directory" || not_ok "held.h5.parts left behind"
# an interrupted job resumes only with the same number of ranks
(cd "$W" && exec timeout -k 5 300 mpirun --oversubscribe -n 2 "$MPI" sweep configs/long.cfg \
    -o cut.h5 -q --checkpoint 0) >"$T/log/cut" 2>&1 &
pid=$!
wait_for "$W/cut.h5.parts/lock" 20
sleep 0.5
kill -TERM "$pid"
wait "$pid"
if [ -d "$W/cut.h5.parts" ]; then
    (cd "$W" && timeout -k 5 120 mpirun --oversubscribe -n 3 "$MPI" sweep configs/long.cfg \
        -o cut.h5 -q --resume) >"$OUT" 2>"$ERR"
    RC=$?
    expect_rc "--resume of a 2-rank job with 3 ranks" 2
    has "... says how many ranks it needs" "$ERR" "it was started with 2 ranks, this job has 3"
    (cd "$W" && timeout -k 5 300 mpirun --oversubscribe -n 2 "$MPI" sweep configs/long.cfg \
        -o cut.h5 -q --resume) >"$OUT" 2>"$ERR"
    RC=$?
    expect_rc "--resume with 2 ranks" 0
    compare "... completes it: the serial sweep's data" same long_serial.h5 cut.h5
else
    not_ok "the interrupted MPI job kept no cut.h5.parts (it finished before SIGTERM?)"
    show "$T/log/cut"
fi
# sim-mpi shares sweep's options and their forms (the one table)
(cd "$W" && timeout -k 5 120 mpirun --oversubscribe -n 2 "$MPI" sweep --output=mpiopt.h5 -qj1 \
    -- configs/m.cfg) >"$OUT" 2>"$ERR"
RC=$?
expect_rc "mpirun sim-mpi sweep --output=FILE -qj1 -- SWEEP.cfg" 0
compare "sim-mpi with those forms = serial" same serial.h5 mpiopt.h5
(cd "$W" && timeout -k 5 60 mpirun --oversubscribe -n 2 "$MPI" sweep configs/m.cfg -o x.h5 --shard 0/2) \
    >"$OUT" 2>"$ERR"
RC=$?
expect_rc "sim-mpi sweep --shard (an option it does not take)" 2
if [ "$(grep -c "unknown option '--shard'" "$ERR")" -eq 1 ] && [ ! -e "$W/x.h5" ]; then
    ok "one line from rank 0 only, naming the option; nothing written"
else
    not_ok "sim-mpi's refusal of --shard"
    show "$ERR"
fi
"$MPI" sweep --help >"$OUT" 2>"$ERR" </dev/null
RC=$?
expect_rc "sim-mpi sweep --help" 0
has "sim-mpi sweep --help: from the table, with the root and oversubscribe notes" "$OUT" \
    "usage: sim-mpi sweep" "-o, --output FILE" "-j, --jobs J" "--resume" "--checkpoint S" \
    "OMPI_ALLOW_RUN_AS_ROOT=1" "--oversubscribe"

# a rank that fails: rank 1's work directory is taken by a stray file
touch "$W/bad.h5.rank1.parts"
(cd "$W" && timeout -k 5 120 mpirun --oversubscribe -n 3 "$MPI" sweep configs/m.cfg \
    -o bad.h5 -q) >"$OUT" 2>"$ERR"
RC=$?
[ "$RC" -ne 0 ] && [ "$RC" -ne 124 ] && ok "a failing rank fails the job, without hanging (exit $RC)" ||
    not_ok "failing rank: exit $RC"
has "the failing rank is reported with its runs" "$ERR" "rank 1 of 3 failed" "on its runs 6-11, 24-29, 42-47, 60-65, 78-79"
[ ! -e "$W/bad.h5" ] && ok "nothing merged after a failed rank" || not_ok "a file was merged"
finish
