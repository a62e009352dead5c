#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# run_and_read.sh - `sim run` from another directory, then read the result
# with ncdump, h5dump, xarray/h5py (check_result.py) and `sim info`;
# determinism and the effect of --seed, --months and --set.
#   SIM     the program under test (may be relative to the repository root)
#   PYTHON  a Python with h5py, xarray, netCDF4 and numpy
# Prints one "ok - ..." / "not ok - ..." line per check; exits 1 if any
# check failed.
# shellcheck source-path=SCRIPTDIR source=common.inc
. "$(dirname "$0")/common.inc"

# check_file FILE MONTHS : check_result.py's own checks, labelled
check_file() {
    (cd "$W" && py "$1" --months "$2") >"$T/log/check" 2>&1
    crc=$?
    sed -e "s/^ok - /ok - $1: /" -e "s/^not ok - /not ok - $1: /" "$T/log/check"
    n=$(grep -c '^not ok' "$T/log/check")
    failures=$((failures + n))
    if [ "$crc" -ne 0 ] && [ "$n" -eq 0 ]; then
        not_ok "check_result.py $1: exit $crc"
        show "$T/log/check"
    fi
}
# tool_ok LOG CMD ARGS... : run CMD in $W, output to LOG, must exit 0
tool_ok() {
    log=$1
    shift
    (cd "$W" && "$@") >"$log" 2>&1
    trc=$?
    if [ "$trc" -eq 0 ]; then
        ok "$*: exit 0"
    else
        not_ok "$*: exit 0 (got $trc)"
        show "$log"
    fi
}
# value FILE VAR SEL... : print one value
value() { (cd "$W" && py --value "$@") 2>&1; }

# ---- sim run with no arguments, from another directory -----------------------
repo_had_baseline=no
[ -e "$ROOT/baseline.h5" ] && repo_had_baseline=yes
sim run
expect_rc "sim run (no arguments, cwd = temp dir)" 0
if [ -s "$W/baseline.h5" ] && [ "$(ls -A "$W")" = "baseline.h5" ]; then
    ok "sim run: wrote baseline.h5 in the current directory, and nothing else"
else
    not_ok "sim run: wrote baseline.h5 in the current directory, and nothing else (found: $(ls -A "$W" | tr '\n' ' '))"
fi
if [ "$repo_had_baseline" = no ] && [ -e "$ROOT/baseline.h5" ]; then
    not_ok "sim run: nothing written in the repository"
else
    ok "sim run: nothing written in the repository"
fi
has "sim run: summary names months, focus agent, goods, cohesion and the file" \
    "$OUT" "24 months" "Russia" "shells" "cohesion" "baseline.h5"
expect_no_stderr "sim run"

# ---- ncdump, h5dump ----------------------------------------------------------------
if command -v ncdump >/dev/null 2>&1; then
    tool_ok "$T/log/ncdump" ncdump -h baseline.h5
    has "ncdump -h: string coordinates" "$T/log/ncdump" \
        "string agent(agent) ;" "string partner(partner) ;" "string good(good) ;"
    has "ncdump -h: the variables with their dimensions" "$T/log/ncdump" \
        "double stock(run, time, agent, good) ;" \
        "double flow(run, time, agent, partner, good) ;" \
        "double affinity(run, time, agent, partner) ;" \
        "double rivalry(run, time, agent, partner) ;" \
        "double usd_share(run, time, agent, partner) ;" \
        "double sanctions(run, time, agent) ;" \
        "double member(run, time, agent) ;" \
        "double cohesion(run, time) ;" \
        "double connectivity(run, time) ;" \
        "double hub_share(run, time) ;"
    has "ncdump -h: time units and 24 records" "$T/log/ncdump" \
        'time:units = "days since 2023-01-01" ;' "time = 24 ;"
    has "ncdump -h: CF conventions" "$T/log/ncdump" ':Conventions = "CF-1.8" ;'
else
    not_ok "ncdump is installed"
fi
if command -v h5dump >/dev/null 2>&1; then
    tool_ok "$T/log/h5dump" h5dump -H baseline.h5
    has "h5dump -H: datasets and attributes" "$T/log/h5dump" \
        'DATASET "stock"' 'DATASET "agent"' 'ATTRIBUTE "Conventions"' \
        'ATTRIBUTE "config"'
else
    not_ok "h5dump is installed"
fi

# ---- xarray / h5py -----------------------------------------------------------------------
check_file baseline.h5 24

# The config attribute is a configuration that reproduces the run.
(cd "$W" && py --attr baseline.h5 config) >"$T/fromfile.cfg" 2>"$ERR"
sim check "$T/fromfile.cfg"
expect_rc "sim check on the file's config attribute" 0
sim run -q "$T/fromfile.cfg" -o "$T/again.h5"
expect_rc "sim run on the file's config attribute" 0
compare "the config attribute reproduces the run" same baseline.h5 "$T/again.h5"

# ---- sim info -----------------------------------------------------------------------
sim info baseline.h5
expect_rc "sim info baseline.h5" 0
has "sim info: names the scenario, seed and months" "$OUT" \
    "baseline" "20230101" "24"

printf 'just some text\n' >"$T/text.h5"
head -c 4096 "$W/baseline.h5" >"$T/truncated.h5"
"$PYTHON" -c 'import h5py, sys; h5py.File(sys.argv[1], "w")["x"] = [1, 2]' \
    "$T/foreign.h5" 2>"$T/log/py" || show "$T/log/py"
for bad in "text.h5:a text file" "truncated.h5:a truncated result" \
    "foreign.h5:an HDF5 file not written by sim" "nosuch.h5:a missing file"; do
    f=${bad%%:*} what=${bad#*:}
    sim info "$T/$f"
    expect_rc "sim info on $what" 2
    if [ "$(lines "$ERR")" = 1 ] && grep -q "^sim: info: .*$f" "$ERR" && [ ! -s "$OUT" ]; then
        ok "sim info on $what: one message line naming the file"
    else
        not_ok "sim info on $what: one message line naming the file"
        show "$ERR" "$OUT"
    fi
done

# ---- determinism and seeds ---------------------------------------------------------
sim run -q --seed 7 -o a.h5
expect_rc "sim run --seed 7 -o a.h5" 0
sim run -q --seed 7 -o b.h5
expect_rc "sim run --seed 7 -o b.h5" 0
sim run -q --seed 8 -o c.h5
expect_rc "sim run --seed 8 -o c.h5" 0
compare "two runs with --seed 7 give identical data" same a.h5 b.h5
compare "--seed 8 gives different trajectories than --seed 7" differ a.h5 c.h5 \
    affinity rivalry stock
expect_attr "a.h5: master_seed is 7" a.h5 master_seed 7
expect_attr "c.h5: master_seed is 8" c.h5 master_seed 8

# The comparison itself must see a one-value change.
cp "$W/a.h5" "$W/tampered.h5"
"$PYTHON" -c '
import h5py, sys
with h5py.File(sys.argv[1], "r+") as f:
    f["cohesion"][0, 3] = f["cohesion"][0, 3] + 1e-12
' "$W/tampered.h5" 2>"$T/log/py" || show "$T/log/py"
compare "check_result.py --compare sees one changed value" differ a.h5 tampered.h5 cohesion
rm -f "$W/tampered.h5"

# ---- --months ---------------------------------------------------------------------------
sim run --months 6 -o m6.h5
expect_rc "sim run --months 6" 0
has "sim run --months 6: summary says 6 months" "$OUT" "6 months simulated"
check_file m6.h5 6

# ---- --set ----------------------------------------------------------------------------------
sim run -q --set agents.RUS.sanctions=0.9 -o set.h5
expect_rc "sim run --set agents.RUS.sanctions=0.9" 0
compare "--set agents.RUS.sanctions=0.9 changes the result" differ baseline.h5 set.h5 \
    sanctions stock
v0=$(value baseline.h5 sanctions run=#0 time=#0 agent=RUS)
v1=$(value set.h5 sanctions run=#0 time=#0 agent=RUS)
if [ "$v0" = 0.75 ] && [ "$v1" = 0.9 ]; then
    ok "RUS sanctions in the first month: 0.75 by default, 0.9 with --set"
else
    not_ok "RUS sanctions in the first month: 0.75 by default, 0.9 with --set (got '$v0', '$v1')"
fi
other0=$(value baseline.h5 sanctions run=#0 time=#0 agent=CHN)
other1=$(value set.h5 sanctions run=#0 time=#0 agent=CHN)
if [ -n "$other0" ] && [ "$other0" = "$other1" ]; then
    ok "--set agents.RUS.sanctions leaves CHN's sanctions alone ($other0)"
else
    not_ok "--set agents.RUS.sanctions leaves CHN's sanctions alone (got '$other0', '$other1')"
fi
check_file set.h5 24

finish
