#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# readme.sh - the README tells the truth: its quick start is two commands
# ending in `make test` (what CI runs) that install what the tests need;
# the quick start's sample output, its calibration table and every scenario
# table are exactly what the program prints today (regenerated here, never
# written into this test).
#
# After a change of the model, `make readme` (README_UPDATE=1 here)
# rewrites those blocks of README.md from the program instead of failing.
. "$(dirname "$0")/common.inc"

README=$ROOT/README.md
# section START END: the README lines between two marker lines, markers out
section() {
    sed -n "/$1/,/$2/p" "$README" | grep -v '^<!--'
}

steps=$(section '<!-- quickstart -->' '<!-- \/quickstart -->' | grep -v '^```' | grep -cv '^[[:space:]]*$')
[ "$steps" -eq 2 ] && ok "quick start has two commands" || not_ok "quick start has $steps commands"
last=$(section '<!-- quickstart -->' '<!-- \/quickstart -->' | grep -v '^```' | grep -v '^[[:space:]]*$' | tail -n 1)
[ "$last" = "make test" ] && ok "the test command is 'make test'" || not_ok "test command is '$last'"
first=$(section '<!-- quickstart -->' '<!-- \/quickstart -->' | grep apt-get)
for pkg in libgsl-dev libconfig-dev libhdf5-dev libdeflate-dev hdf5-tools netcdf-bin nco udunits-bin libcmocka-dev \
    python3-h5py python3-xarray python3-pandas python3-matplotlib python3-scipy python3-libconf \
    man-db r-cran-hdf5r; do
    case "$first" in
        *" $pkg "*) ok "quick start installs $pkg" ;;
        *) not_ok "quick start does not install $pkg" ;;
    esac
done

# check_block WHAT START_LINE GOT [FENCED] : the README lines after the marker
# line START_LINE (exactly), up to the next <!-- /...--> line, are GOT (a
# file); FENCED: they sit inside a ``` block.  With README_UPDATE=1 the
# README is rewritten instead.
check_block() {
    what=$1 start=$2 got=$3 fenced=${4:-}
    "$PYTHON" - "$README" "$start" "$got" "$fenced" "${README_UPDATE:-}" "${MASK:-}" <<'PY' >"$T/log/block" 2>&1
import re, sys
path, start, got, fenced, update, mask = sys.argv[1:7]
lines = open(path).read().split("\n")
new = open(got).read().rstrip("\n").split("\n")
if fenced:
    new = ["```"] + new + ["```"]
i = lines.index(start) + 1
j = i
while not lines[j].startswith("<!-- /"):
    j += 1
have = lines[i:j]
norm = (lambda ls: [re.sub(mask, "#", l) for l in ls]) if mask else (lambda ls: ls)
if norm(have) == norm(new):
    sys.exit(0)
if update:
    lines[i:j] = new
    open(path, "w").write("\n".join(lines))
    print("updated")
    sys.exit(0)
import difflib
sys.stdout.writelines(l + "\n" for l in difflib.unified_diff(have, new, "README", "program", lineterm="", n=0))
sys.exit(1)
PY
    if [ $? -eq 0 ]; then
        if grep -q updated "$T/log/block"; then ok "$what (README updated)"; else ok "$what"; fi
    else
        not_ok "$what: the README differs from the program (make readme updates it):"
        sed 's/^/#   /' "$T/log/block" | head -30
    fi
}

# the quick start's sample output: `sim run` of the built-in baseline (the
# time it took aside)
(cd "$W" && timeout 60 "$SIM" run) >"$T/run.txt" 2>"$ERR"
rc=$?
[ "$rc" -eq 0 ] && ok "sim run, as in the quick start" || not_ok "sim run: exit $rc"
MASK=' in [0-9.]+ s$' check_block "the quick start's sample output is what sim run prints" \
    '<!-- quickstart-output: sim run -->' "$T/run.txt" fenced
rm -f "$W/baseline.h5"

(cd "$ROOT" && timeout 120 "$SIM" calibrate --targets configs/targets.cfg --check --fit-until 2023-12 --markdown) > "$T/cal.md"
rc=$?
[ "$rc" -eq 0 ] && ok "the shipped baseline is inside every fitted target range (calibrate --check --fit-until 2023-12)" ||
    not_ok "calibrate --check exit $rc"
check_block "README calibration table is what sim calibrate prints" '<!-- calibration -->' "$T/cal.md"

# every <!-- compare FILE [ARGS] --> block
n=0
grep '^<!-- compare ' "$README" >"$T/marks"
while IFS= read -r line; do
    args=$(echo "$line" | sed 's/^<!-- compare //; s/ -->$//')
    # shellcheck disable=SC2086
    (cd "$ROOT" && timeout 300 "$SIM" compare scenarios/baseline.cfg $args --replicates 30 --markdown -o "$T/c.h5") > "$T/got.md"
    check_block "README table for $args is what sim compare prints" "$line" "$T/got.md"
    n=$((n + 1))
done <"$T/marks"
want=$(ls "$ROOT"/scenarios/*.cfg | grep -cv '/baseline.cfg$')
[ "$n" -eq "$want" ] && ok "the README has a table for each of the $want scenarios" || not_ok "$n scenario tables for $want scenarios"
finish
