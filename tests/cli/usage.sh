#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
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
has "sim info --help: usage" "$OUT" "usage: sim info [OPTION]... FILE.h5"
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
for cmd in run check info compare calibrate sweep merge export; do
    usage_error "unknown flag" "unknown option '--frobnicate' (see 'sim $cmd --help')" $cmd --frobnicate
done
usage_error "unknown short flag" "unknown option '-x'" run -x
usage_error "unknown short flag in a bundle" "unknown option '-x'" run -qx
usage_error "-o with two scenarios" "-o names one file, and 2 scenarios are given" run a.cfg b.cfg -o x.h5
usage_error "an ambiguous abbreviation" "option '--se' is ambiguous: --seed, --set" run --se 1
usage_error "a flag given a value" "option --quiet takes no value" run --quiet=yes
usage_error "an option of another command" "unknown option '--shard'" run --shard 0/2
usage_error "--jobs out of range" "--jobs: '0' is not a whole number from 1 to" sweep x.cfg --jobs=0
usage_error "--format not a format" "--format: 'html' is not one of: text md csv" compare a.cfg b.cfg --format html
usage_error "check with two scenarios" "unexpected argument 'b.cfg'" check a.cfg b.cfg
usage_error "help for no command" "no command 'nothing'" help nothing

for opt in -o --output --seed --months --set; do
    usage_error "missing value" "option $opt needs a value" run $opt
done
usage_error "missing value" "option --set needs a value" check --set
usage_error "empty value" "scenario.seed" run --seed=

usage_error "no file" "no file given" info
usage_error "-- ends the options: -q is a file" "-q: cannot open" check -- -q
usage_error "-- ends the options: --help is a file" "--help: cannot open" run -- --help
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

# ---- one option parser: every form, every command ---------------------------
# --opt=value, --opt value, -oFILE, -o FILE, bundled -qo FILE, abbreviations
# and options after the operands give the same run as the plain form.
run_to "run --seed 7 --months 3 (the plain form)" "$T/p0.h5" --seed 7 --months 3
for form in "--seed=7 --months=3 -o$T/pA.h5" "--months 3 --seed 7 --output=$T/pA.h5" \
    "--output $T/pA.h5 --see=7 --mon 3" "-qo $T/pA.h5 --seed 7 --months 3"; do
    rm -f "$T/pA.h5"
    # shellcheck disable=SC2086 # the forms are words
    sim run $form
    if [ "$RC" -eq 0 ] && [ -s "$T/pA.h5" ]; then
        compare "run $form: the same run as the plain form" same "$T/p0.h5" "$T/pA.h5"
    else
        not_ok "run $form: exit 0 and the file written (exit $RC)"
        show "$ERR"
    fi
done
rm -f "$T/pA.h5"
sim run -q --outdir "$T" --seed 7 -- "$ROOT/scenarios/baseline.cfg" --months=3
expect_rc "run -- SCENARIO --months=3 (after --, --months=3 is an operand)" 2
has "run -- ... --months=3: the operand is taken as a scenario file" "$ERR" "--months=3: cannot open" \
    "1 of 2 scenarios failed: --months=3"
[ -s "$T/baseline.h5" ] && ok "run -- ...: the scenario that did not fail is kept" ||
    not_ok "run -- ...: the good scenario's file is missing"
sim run -q "$ROOT/scenarios/baseline.cfg" --seed 7 --months 3 -o "$T/pB.h5"
expect_rc "run SCENARIO then options" 0
compare "options after the scenario: the same run" same "$T/p0.h5" "$T/pB.h5"
# the sweep takes every form too (it refused --jobs=2 and --output once)
printf 'sweep = { scenario = "%s/scenarios/baseline.cfg"; design = "grid";\n  replicates = 1; variables = ["cohesion"]; };\naxes = ( { path = "agents.CHN.secondary"; values = [0.1, 0.5]; } );\n' \
    "$ROOT" >"$W/tiny.cfg"
sim sweep tiny.cfg --jobs=2 --output sw1.h5 -q
expect_rc "sweep --jobs=2 --output FILE" 0
sim sweep -qj2 -osw2.h5 -- tiny.cfg
expect_rc "sweep -qj2 -oFILE -- SWEEP.cfg" 0
compare "sweep: both forms give the same data" same sw1.h5 sw2.h5
rm -f "$W/sw1.h5" "$W/sw2.h5" "$W/tiny.cfg"
# every command's --help lists only options the command accepts
for cmd in run check info compare calibrate sweep merge export; do
    sim $cmd --help
    opts=$(grep -oE -- '^  (-[a-z], |    )--[a-z-]+' "$OUT" | grep -oE -- '--[a-z-]+')
    bad=""
    for o in $opts; do
        [ "$o" = --help ] && continue
        sim $cmd "$o=" x
        if grep -q "unknown option" "$ERR"; then bad="$bad $o"; fi
    done
    if [ -z "$bad" ]; then
        ok "sim $cmd --help: every option it lists is accepted ($(echo $opts | wc -w) options)"
    else
        not_ok "sim $cmd --help: options listed but refused:$bad"
    fi
done
expect_nothing_written "option forms"
sim help sweep
cp "$OUT" "$T/help1"
sim sweep --help
expect_same_as "sim help sweep is sim sweep --help" "$T/help1"

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
