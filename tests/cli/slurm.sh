#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# slurm.sh - a sweep as a Slurm job array with a dependent merge, end to
# end on a real single-node Slurm started here (slurmctld and slurmd as
# root, munge) by the README's recipe (its <!-- slurm-local --> block, run
# as written): the merged file is identical in data to the sweep run in
# one process.  Skipped (with a line saying so) where Slurm is not
# installed or we are not root.  Leaves the machine as it found it.
. "$(dirname "$0")/common.inc"

if ! command -v sbatch >/dev/null 2>&1 || ! command -v slurmctld >/dev/null 2>&1 ||
    ! command -v munged >/dev/null 2>&1; then
    ok "slurm # skipped: slurm-wlm and munge are not installed"
    finish
fi
if [ "$(id -u)" -ne 0 ]; then
    ok "slurm # skipped: needs root to start slurmctld and slurmd"
    finish
fi

S=$T/slurm
mkdir -p "$S/state" "$S/spool" "$S/log"
started_munge=""
cleanup() {
    for pid in "$S/slurmd.pid" "$S/slurmctld.pid"; do
        [ -f "$pid" ] && kill "$(cat "$pid")" 2>/dev/null
    done
    sleep 1
    if [ -n "$started_munge" ] && [ -f /run/munge/munged.pid ]; then
        kill "$(cat /run/munge/munged.pid)" 2>/dev/null
    fi
    rm -rf "$T"
}

# ---- the README's recipe: munge, slurm.conf, slurmctld and slurmd -------------------
sed -n '/^<!-- slurm-local -->/,/^<!-- \/slurm-local -->/p' "$ROOT/README.md" |
    sed '/^<!--/d; /^```/d' >"$T/recipe.sh"
grep -q slurmctld "$T/recipe.sh" && ok "the README has the single-node recipe" ||
    not_ok "no <!-- slurm-local --> recipe in the README"
# shellcheck disable=SC1091 # the recipe sets started_munge and SLURM_CONF
. "$T/recipe.sh" >"$S/log/recipe.out" 2>&1
munge -n | unmunge >/dev/null 2>&1 && ok "munge authenticates" || not_ok "munge does not work"
up=""
for _ in $(seq 1 30); do
    if sinfo -h -o %T 2>/dev/null | grep -q idle; then up=1; break; fi
    sleep 1
done
if [ -n "$up" ]; then
    ok "slurmctld and slurmd up, node idle"
else
    not_ok "the Slurm node did not come up"
    show "$S/log/slurmctld.log" "$S/log/slurmd.log"
    finish
fi

# ---- the sweep, as an array of 3 tasks and a dependent merge ---------------------------
cp -r "$ROOT/scenarios" "$ROOT/configs" "$W/"
cat > "$W/configs/s.cfg" <<'CFG'
sweep = { scenario = "../scenarios/baseline.cfg"; design = "grid"; replicates = 2;
          variables = ["production", "flow", "cohesion"]; };
axes = ( { path = "agents.CHN.secondary"; min = 0.0; max = 0.8; levels = 3; },
         { path = "events.nk_shells.month"; values = [4.0, 10.0]; } );
CFG
"$ROOT/configs/slurm/submit_sweep.sh" "$W/configs/s.cfg" "$W/out" 3 "$SIM" >"$OUT" 2>"$ERR"
RC=$?
expect_rc "submit the array and the merge" 0
done_=""
for _ in $(seq 1 120); do
    if [ -z "$(squeue -h 2>/dev/null)" ]; then done_=1; break; fi
    sleep 1
done
[ -n "$done_" ] && ok "the jobs finished" || not_ok "the jobs did not finish in 120 s"
for i in 0 1 2; do
    if [ -f "$W/out/shard_$i.h5" ] &&
        [ "$(py --attr "$W/out/shard_$i.h5" shard_index 2>/dev/null)/$(py --attr "$W/out/shard_$i.h5" shard_count 2>/dev/null)" = "$i/3" ]; then
        ok "array task $i wrote shard $i/3 (SLURM_ARRAY_TASK_ID, SLURM_ARRAY_TASK_COUNT)"
    else
        not_ok "array task $i: no shard $i/3"
        show "$W/out"/sim-sweep-*_"$i".out
    fi
done
if [ -f "$W/out/sweep.h5" ]; then
    ok "the dependent merge job wrote sweep.h5"
else
    not_ok "no merged sweep.h5"
    show "$W/out"/sim-merge-*.out
fi
sim sweep "$W/configs/s.cfg" -o serial.h5 -q
expect_rc "the same sweep in one process" 0
compare "the Slurm result is identical in data to the serial one" same "$W/out/sweep.h5" serial.h5
finish
