#!/bin/sh
# usage.sh - command-line usage of `sim`: help, version, usage errors, and
# `sim check` printing a resolved configuration that loads back to the same
# run.
#   SIM     the program under test (may be relative to the repository root)
#   PYTHON  a Python with h5py and xarray
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

T=$(mktemp -d "${TMPDIR:-/tmp}/sim-usage.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
trap 'exit 130' INT TERM HUP
mkdir "$T/w" "$T/log"
OUT=$T/log/stdout
ERR=$T/log/stderr

failures=0
ok() { echo "ok - $*"; }
not_ok() {
    echo "not ok - $*"
    failures=$((failures + 1))
}
# Show what the program printed, as comment lines, after a failed check.
show() {
    for f in "$@"; do
        [ -s "$f" ] && sed -n '1,15s/^/#   /p' "$f"
    done
    return 0
}

# sim ARGS... : run the program in the work directory ($T/w), stdout and
# stderr to $OUT and $ERR, exit status in $RC.  A hang is a failure (124).
sim() {
    (cd "$T/w" && exec timeout -k 5 120 "$SIM" "$@") >"$OUT" 2>"$ERR"
    RC=$?
}

lines() { wc -l <"$1" | tr -d ' '; }

# expect_rc WHAT RC : exit status check
expect_rc() {
    if [ "$RC" -eq "$2" ]; then
        ok "$1: exit $2"
    else
        not_ok "$1: exit $2 (got $RC)"
        show "$ERR"
    fi
}

# expect_error WHAT FRAGMENT : stderr is exactly one line "sim: ..." holding
# FRAGMENT, stdout is empty.
expect_error() {
    if [ "$(lines "$ERR")" = 1 ] && grep -q '^sim: ' "$ERR" &&
        grep -qF -- "$2" "$ERR" && [ ! -s "$OUT" ]; then
        ok "$1: one-line message '$2' on stderr"
    else
        not_ok "$1: one-line message '$2' on stderr, nothing on stdout"
        show "$ERR" "$OUT"
    fi
}

# expect_nothing_written WHAT : the work directory is still empty
expect_nothing_written() {
    if [ -z "$(ls -A "$T/w")" ]; then
        ok "$1: no file written"
    else
        not_ok "$1: no file written (found: $(ls -A "$T/w" | tr '\n' ' '))"
        rm -rf "$T/w" && mkdir "$T/w"
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

# ---- help ---------------------------------------------------------------------
for h in --help -h help; do
    sim $h
    expect_rc "sim $h" 0
    has "sim $h: usage on stdout names the commands and exit codes" "$OUT" \
        "usage: sim COMMAND" "run [SCENARIO.cfg]" "check [SCENARIO.cfg]" \
        "info FILE.h5" "exit codes" "--version"
    if [ ! -s "$ERR" ]; then ok "sim $h: nothing on stderr"; else
        not_ok "sim $h: nothing on stderr"; show "$ERR"; fi
done

sim run --help
expect_rc "sim run --help" 0
has "sim run --help: documents every option" "$OUT" "usage: sim run" \
    "-o, --output FILE" "--seed N" "--months N" "--set path=value" \
    "-q, --quiet"
sim run -h
expect_rc "sim run -h" 0
sim check --help
expect_rc "sim check --help" 0
has "sim check --help: usage" "$OUT" "usage: sim check" "--set"
sim info --help
expect_rc "sim info --help" 0
has "sim info --help: usage" "$OUT" "usage: sim info FILE.h5"
expect_nothing_written "help"

# ---- version ------------------------------------------------------------------
sim --version
expect_rc "sim --version" 0
VERSION=$(sed -n 's/^VERSION *:= *//p' "$ROOT/Makefile")
first=$(head -n 1 "$OUT")
if echo "$first" | grep -Eq "^sim $VERSION \\(commit [0-9a-f]{7,40}(-dirty)?\\)\$"; then
    ok "sim --version: 'sim $VERSION (commit <hex>)'"
else
    not_ok "sim --version: 'sim $VERSION (commit <hex>)' (got '$first')"
fi
commit=$(echo "$first" | sed -n 's/.*(commit \([0-9a-f]*\).*/\1/p')
if ! command -v git >/dev/null 2>&1 || ! git -C "$ROOT" rev-parse HEAD >/dev/null 2>&1; then
    ok "sim --version: commit is known to git # skipped: no git repository"
elif [ -n "$commit" ] && git -C "$ROOT" rev-parse -q --verify "$commit^{commit}" >/dev/null; then
    ok "sim --version: commit $commit is a commit of this repository"
else
    not_ok "sim --version: commit '$commit' is a commit of this repository"
fi
has "sim --version: library versions" "$OUT" "HDF5 " "GSL " "libconfig "
sim -V
expect_rc "sim -V" 0

# ---- usage errors -------------------------------------------------------------
sim
expect_rc "sim (no command)" 2
if grep -qF "usage: sim COMMAND" "$ERR" && [ ! -s "$OUT" ]; then
    ok "sim (no command): usage on stderr, not stdout"
else
    not_ok "sim (no command): usage on stderr, not stdout"
    show "$ERR" "$OUT"
fi

sim frobnicate
expect_rc "sim frobnicate (unknown command)" 2
expect_error "sim frobnicate" "unknown command 'frobnicate'"
sim --frobnicate
expect_rc "sim --frobnicate (unknown flag)" 2
expect_error "sim --frobnicate" "'--frobnicate'"

for cmd in run check info; do
    sim $cmd --frobnicate
    expect_rc "sim $cmd --frobnicate (unknown flag)" 2
    expect_error "sim $cmd --frobnicate" "unexpected argument '--frobnicate'"
done
sim run -x
expect_rc "sim run -x (unknown short flag)" 2
expect_error "sim run -x" "'-x'"
sim run a.cfg b.cfg
expect_rc "sim run a.cfg b.cfg (two scenarios)" 2
expect_error "sim run a.cfg b.cfg" "'b.cfg'"

for opt in -o --output --seed --months --set; do
    sim run $opt
    expect_rc "sim run $opt (missing value)" 2
    expect_error "sim run $opt" "option $opt needs a value"
done
sim check --set
expect_rc "sim check --set (missing value)" 2
expect_error "sim check --set" "option --set needs a value"
sim run --seed=
expect_rc "sim run --seed= (empty value)" 2
expect_error "sim run --seed=" "scenario.seed"

sim info
expect_rc "sim info (no file)" 2
expect_error "sim info" "no file given"
sim info a.h5 b.h5
expect_rc "sim info a.h5 b.h5 (two files)" 2
expect_nothing_written "usage errors"

# ---- sim check: the resolved configuration loads back -------------------------
sim check
expect_rc "sim check (built-in baseline)" 0
cp "$OUT" "$T/resolved.cfg"
if [ ! -s "$ERR" ]; then ok "sim check: nothing on stderr"; else
    not_ok "sim check: nothing on stderr"; show "$ERR"; fi
has "sim check: prints a full configuration" "$T/resolved.cfg" \
    "scenario = {" 'name = "baseline";' "months = 24;" "seed = " \
    "goods = {" "agents = {" "pairs = {" "routes = {" "events = ("
expect_nothing_written "sim check"

sim check "$ROOT/scenarios/baseline.cfg"
expect_rc "sim check scenarios/baseline.cfg" 0
if cmp -s "$OUT" "$T/resolved.cfg"; then
    ok "sim check: scenarios/baseline.cfg resolves like the built-in baseline"
else
    not_ok "sim check: scenarios/baseline.cfg resolves like the built-in baseline"
    diff "$T/resolved.cfg" "$OUT" | sed -n '1,10s/^/#   /p'
fi

sim check "$T/resolved.cfg"
expect_rc "sim check resolved.cfg" 0
if cmp -s "$OUT" "$T/resolved.cfg"; then
    ok "sim check resolved.cfg prints resolved.cfg again (fixed point)"
else
    not_ok "sim check resolved.cfg prints resolved.cfg again (fixed point)"
    diff "$T/resolved.cfg" "$OUT" | sed -n '1,10s/^/#   /p'
fi

# compare A B : data of two result files identical (history ignored)
compare_same() {
    what=$1
    "$PYTHON" "$CHECK_RESULT" --compare "$2" "$3" >"$T/log/cmp" 2>&1
    crc=$?
    if [ "$crc" -eq 0 ]; then
        ok "$what"
    else
        not_ok "$what (check_result.py --compare exit $crc)"
        show "$T/log/cmp"
    fi
}

# run_to WHAT FILE ARGS... : sim run -q ARGS -o FILE, must exit 0
run_to() {
    what=$1 file=$2
    shift 2
    sim run -q -o "$file" "$@"
    if [ "$RC" -eq 0 ] && [ -s "$file" ]; then
        ok "$what: exit 0, wrote $(basename "$file")"
    else
        not_ok "$what: exit 0, wrote $(basename "$file") (exit $RC)"
        show "$ERR"
    fi
}

run_to "run scenarios/baseline.cfg --seed 11" "$T/orig.h5" \
    "$ROOT/scenarios/baseline.cfg" --seed 11
run_to "run resolved.cfg --seed 11" "$T/resolved.h5" "$T/resolved.cfg" --seed 11
run_to "run (built-in) --seed 11" "$T/builtin.h5" --seed 11
compare_same "original and resolved configuration give identical data (seed 11)" \
    "$T/orig.h5" "$T/resolved.h5"
compare_same "file and built-in baseline give identical data (seed 11)" \
    "$T/orig.h5" "$T/builtin.h5"

# Overrides survive the round trip too.
sim check --seed 5 --months 6 --set agents.RUS.sanctions=0.5 \
    --set routes.caspian.open=false
expect_rc "sim check --seed 5 --months 6 --set ..." 0
cp "$OUT" "$T/resolved2.cfg"
has "sim check with overrides: months and seed resolved" "$T/resolved2.cfg" \
    "months = 6;" "seed = 5"
rus=$(awk '/^agents = \{/ { a = 1 } a && /^  RUS = \{/ { r = 1 }
           r && /^    sanctions = / { print; exit }' "$T/resolved2.cfg")
case $rus in
*"sanctions = 0.5;"*) ok "sim check with overrides: agents.RUS.sanctions = 0.5" ;;
*) not_ok "sim check with overrides: agents.RUS.sanctions = 0.5 (got '$rus')" ;;
esac
run_to "run resolved2.cfg" "$T/r2.h5" "$T/resolved2.cfg"
run_to "run --seed 5 --months 6 --set ... (same overrides)" "$T/set2.h5" \
    --seed 5 --months 6 --set agents.RUS.sanctions=0.5 \
    --set routes.caspian.open=false
compare_same "resolved configuration with overrides reproduces the run" \
    "$T/r2.h5" "$T/set2.h5"

# The largest seed (2^53 - 1) survives the text round trip exactly.
big=9007199254740991
sim check --seed $big --months 2
expect_rc "sim check --seed $big" 0
cp "$OUT" "$T/big.cfg"
run_to "run big.cfg" "$T/big1.h5" "$T/big.cfg"
run_to "run --seed $big --months 2" "$T/big2.h5" --seed $big --months 2
compare_same "seed $big survives sim check and loads back" \
    "$T/big1.h5" "$T/big2.h5"
got=$("$PYTHON" "$CHECK_RESULT" --attr "$T/big1.h5" master_seed 2>&1)
if [ "$got" = "$big" ]; then
    ok "master_seed attribute is $big"
else
    not_ok "master_seed attribute is $big (got '$got')"
fi

echo
if [ "$failures" -eq 0 ]; then
    echo "# usage.sh: all checks passed"
    exit 0
fi
echo "# usage.sh: $failures check(s) failed"
exit 1
