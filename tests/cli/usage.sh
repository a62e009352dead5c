#!/bin/sh
# usage.sh - command-line usage of `sim`: help, version, usage errors, and
# `sim check` printing a resolved configuration that loads back to the same
# run.
#   SIM     the program under test (may be relative to the repository root)
#   PYTHON  a Python with h5py and xarray
# Prints one "ok - ..." / "not ok - ..." line per check; exits 1 if any
# check failed.
# shellcheck source-path=SCRIPTDIR source=common.inc
. "$(dirname "$0")/common.inc"

# expect_error WHAT FRAGMENT : stderr is exactly one line "sim: ..." holding
# FRAGMENT, stdout is empty.
expect_error() {
    if message_is "$2" && [ ! -s "$OUT" ]; then
        ok "$1: one-line message '$2' on stderr"
    else
        not_ok "$1: one-line message '$2' on stderr, nothing on stdout"
        show "$ERR" "$OUT"
    fi
}

# usage_error DESCRIPTION FRAGMENT ARGS... : `sim ARGS` exits 2 with a
# one-line message holding FRAGMENT
usage_error() {
    desc=$1 frag=$2
    shift 2
    sim "$@"
    expect_rc "sim $* ($desc)" 2
    expect_error "sim $*" "$frag"
}

# expect_nothing_written WHAT : the work directory is still empty
expect_nothing_written() {
    if [ -z "$(ls -A "$W")" ]; then
        ok "$1: no file written"
    else
        not_ok "$1: no file written (found: $(ls -A "$W" | tr '\n' ' '))"
        rm -rf "$W" && mkdir "$W"
    fi
}

# expect_same_as WHAT FILE : the last run printed FILE on stdout, exactly
expect_same_as() {
    if cmp -s "$OUT" "$2"; then
        ok "$1"
    else
        not_ok "$1"
        diff "$2" "$OUT" | sed -n '1,10s/^/#   /p'
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

# ---- help ---------------------------------------------------------------------
for h in --help -h help; do
    sim $h
    expect_rc "sim $h" 0
    has "sim $h: usage on stdout names the commands and exit codes" "$OUT" \
        "usage: sim COMMAND" "run [SCENARIO.cfg]" "check [SCENARIO.cfg]" \
        "info FILE.h5" "exit codes" "--version"
    expect_no_stderr "sim $h"
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
if message_is "no command given" "sim --help" && [ ! -s "$OUT" ]; then
    ok "sim (no command): one line on stderr pointing to sim --help"
else
    not_ok "sim (no command): one line on stderr pointing to sim --help"
    show "$ERR" "$OUT"
fi

usage_error "unknown command" "unknown command 'frobnicate'" frobnicate
usage_error "unknown flag" "'--frobnicate'" --frobnicate
for cmd in run check info; do
    usage_error "unknown flag" "unexpected argument '--frobnicate'" $cmd --frobnicate
done
usage_error "unknown short flag" "'-x'" run -x
usage_error "two scenarios" "'b.cfg'" run a.cfg b.cfg

for opt in -o --output --seed --months --set; do
    usage_error "missing value" "option $opt needs a value" run $opt
done
usage_error "missing value" "option --set needs a value" check --set
usage_error "empty value" "scenario.seed" run --seed=

usage_error "no file" "no file given" info
sim info a.h5 b.h5
expect_rc "sim info a.h5 b.h5 (two files)" 2
expect_nothing_written "usage errors"

# ---- sim check: the resolved configuration loads back -------------------------
sim check
expect_rc "sim check (built-in baseline)" 0
cp "$OUT" "$T/resolved.cfg"
expect_no_stderr "sim check"
has "sim check: prints a full configuration" "$T/resolved.cfg" \
    "scenario = {" 'name = "baseline";' "months = 24;" "seed = " \
    "goods = {" "agents = {" "pairs = {" "routes = {" "events = ("
expect_nothing_written "sim check"

sim check "$ROOT/scenarios/baseline.cfg"
expect_rc "sim check scenarios/baseline.cfg" 0
expect_same_as "sim check: scenarios/baseline.cfg resolves like the built-in baseline" \
    "$T/resolved.cfg"

sim check "$T/resolved.cfg"
expect_rc "sim check resolved.cfg" 0
expect_same_as "sim check resolved.cfg prints resolved.cfg again (fixed point)" \
    "$T/resolved.cfg"

run_to "run scenarios/baseline.cfg --seed 11" "$T/orig.h5" \
    "$ROOT/scenarios/baseline.cfg" --seed 11
run_to "run resolved.cfg --seed 11" "$T/resolved.h5" "$T/resolved.cfg" --seed 11
run_to "run (built-in) --seed 11" "$T/builtin.h5" --seed 11
compare "original and resolved configuration give identical data (seed 11)" \
    same "$T/orig.h5" "$T/resolved.h5"
compare "file and built-in baseline give identical data (seed 11)" \
    same "$T/orig.h5" "$T/builtin.h5"

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
compare "resolved configuration with overrides reproduces the run" \
    same "$T/r2.h5" "$T/set2.h5"

# The largest seed (2^53 - 1) survives the text round trip exactly.
big=9007199254740991
sim check --seed $big --months 2
expect_rc "sim check --seed $big" 0
cp "$OUT" "$T/big.cfg"
run_to "run big.cfg" "$T/big1.h5" "$T/big.cfg"
run_to "run --seed $big --months 2" "$T/big2.h5" --seed $big --months 2
compare "seed $big survives sim check and loads back" \
    same "$T/big1.h5" "$T/big2.h5"
expect_attr "master_seed attribute is $big" "$T/big1.h5" master_seed "$big"

finish
