#!/bin/sh
# run_and_read.sh - `sim run` from another directory, then read the result
# with ncdump, h5dump, xarray/h5py (check_result.py) and `sim info`;
# determinism and the effect of --seed, --months and --set.
#   SIM     the program under test (may be relative to the repository root)
#   PYTHON  a Python with h5py, xarray, netCDF4 and numpy
# Prints one "ok - ..." / "not ok - ..." line per check; exits 1 if any
# check failed.
set -u

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
: "${SIM:=build/sim}" "${PYTHON:=/usr/bin/python3}"
abspath() {
    case $1 in
    /*) echo "$1" ;;
    */*) if [ -e "$PWD/$1" ]; then echo "$PWD/$1"; else echo "$ROOT/$1"; fi ;;
    *) echo "$1" ;;
    esac
}
SIM=$(abspath "$SIM")
if [ ! -x "$SIM" ] || [ -d "$SIM" ]; then
    echo "not ok - SIM=$SIM is not an executable (run make first)"
    exit 1
fi
PYTHON=$(abspath "$PYTHON")
CHECK_RESULT=$ROOT/tests/cli/check_result.py

T=$(mktemp -d "${TMPDIR:-/tmp}/sim-run-read.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
trap 'exit 130' INT TERM HUP
W=$T/w
mkdir "$W" "$T/log"
OUT=$T/log/stdout
ERR=$T/log/stderr

failures=0
ok() { echo "ok - $*"; }
not_ok() {
    echo "not ok - $*"
    failures=$((failures + 1))
}
show() {
    for f in "$@"; do
        [ -s "$f" ] && sed -n '1,15s/^/#   /p' "$f"
    done
    return 0
}
lines() { wc -l <"$1" | tr -d ' '; }

# sim ARGS... : run in $W, exit status in $RC
sim() {
    (cd "$W" && exec timeout -k 5 120 "$SIM" "$@") >"$OUT" 2>"$ERR"
    RC=$?
}
expect_rc() {
    if [ "$RC" -eq "$2" ]; then
        ok "$1: exit $2"
    else
        not_ok "$1: exit $2 (got $RC)"
        show "$ERR"
    fi
}
# has WHAT FILE FIXED-STRING...
has() {
    what=$1 file=$2
    shift 2
    missing=""
    for s in "$@"; do
        grep -qF -- "$s" "$file" || missing="$missing '$s'"
    done
    if [ -z "$missing" ]; then
        ok "$what"
    else
        not_ok "$what (missing:$missing)"
        show "$file"
    fi
}
py() { "$PYTHON" "$CHECK_RESULT" "$@"; }

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
# compare WHAT EXPECT A B : EXPECT is "same" or "differ"; for "differ" the
# remaining arguments are variables that must be among the differences.
compare() {
    what=$1 expect=$2 a=$3 b=$4
    shift 4
    (cd "$W" && py --compare "$a" "$b") >"$T/log/cmp" 2>&1
    crc=$?
    if [ "$expect" = same ]; then
        if [ "$crc" -eq 0 ]; then ok "$what"; else
            not_ok "$what (check_result.py --compare exit $crc)"
            show "$T/log/cmp"
        fi
        return
    fi
    missing=""
    for v in "$@"; do
        grep -q "^differs: $v " "$T/log/cmp" || missing="$missing $v"
    done
    if [ "$crc" -eq 3 ] && [ -z "$missing" ]; then
        ok "$what"
    else
        not_ok "$what (--compare exit $crc, expected 3${missing:+; no difference in:$missing})"
        show "$T/log/cmp"
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
if [ ! -s "$ERR" ]; then ok "sim run: nothing on stderr"; else
    not_ok "sim run: nothing on stderr"; show "$ERR"; fi

# ---- ncdump, h5dump ----------------------------------------------------------------
if command -v ncdump >/dev/null 2>&1; then
    (cd "$W" && ncdump -h baseline.h5) >"$T/log/ncdump" 2>&1
    nrc=$?
    if [ "$nrc" -eq 0 ]; then ok "ncdump -h baseline.h5: exit 0"; else
        not_ok "ncdump -h baseline.h5: exit 0 (got $nrc)"; show "$T/log/ncdump"; fi
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
    (cd "$W" && h5dump -H baseline.h5) >"$T/log/h5dump" 2>&1
    hrc=$?
    if [ "$hrc" -eq 0 ]; then ok "h5dump -H baseline.h5: exit 0"; else
        not_ok "h5dump -H baseline.h5: exit 0 (got $hrc)"; show "$T/log/h5dump"; fi
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
got=$( (cd "$W" && py --attr a.h5 master_seed) 2>&1)
if [ "$got" = 7 ]; then ok "a.h5: master_seed is 7"; else
    not_ok "a.h5: master_seed is 7 (got '$got')"; fi
got=$( (cd "$W" && py --attr c.h5 master_seed) 2>&1)
if [ "$got" = 8 ]; then ok "c.h5: master_seed is 8"; else
    not_ok "c.h5: master_seed is 8 (got '$got')"; fi

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

echo
if [ "$failures" -eq 0 ]; then
    echo "# run_and_read.sh: all checks passed"
    exit 0
fi
echo "# run_and_read.sh: $failures check(s) failed"
exit 1
