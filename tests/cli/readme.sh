#!/bin/sh
# readme.sh - the README tells the truth: its quick start is two commands
# ending in `make test` (what CI runs) that install what the tests need;
# its calibration table and every scenario table are exactly what the
# program prints today.
. "$(dirname "$0")/common.inc"

# section START END: the README lines between two marker lines, markers out
section() {
    sed -n "/$1/,/$2/p" "$ROOT/README.md" | grep -v '^<!--'
}

steps=$(section '<!-- quickstart -->' '<!-- \/quickstart -->' | grep -v '^```' | grep -cv '^[[:space:]]*$')
[ "$steps" -eq 2 ] && ok "quick start has two commands" || not_ok "quick start has $steps commands"
last=$(section '<!-- quickstart -->' '<!-- \/quickstart -->' | grep -v '^```' | grep -v '^[[:space:]]*$' | tail -n 1)
[ "$last" = "make test" ] && ok "the test command is 'make test'" || not_ok "test command is '$last'"
first=$(section '<!-- quickstart -->' '<!-- \/quickstart -->' | grep apt-get)
for pkg in libgsl-dev libconfig-dev libhdf5-dev libdeflate-dev hdf5-tools netcdf-bin libcmocka-dev python3-h5py python3-xarray python3-pandas python3-matplotlib; do
    case "$first" in
        *" $pkg "*) ok "quick start installs $pkg" ;;
        *) not_ok "quick start does not install $pkg" ;;
    esac
done

section '<!-- calibration -->' '<!-- \/calibration -->' > "$T/readme.md"
(cd "$ROOT" && timeout 120 "$SIM" calibrate --targets configs/targets.cfg --check --markdown) > "$T/cal.md"
rc=$?
[ "$rc" -eq 0 ] && ok "the shipped baseline is inside every target range (calibrate --check)" ||
    not_ok "calibrate --check exit $rc"
if cmp -s "$T/cal.md" "$T/readme.md"; then
    ok "README calibration table is what sim calibrate prints"
else
    not_ok "README calibration table differs from sim calibrate:"
    diff "$T/readme.md" "$T/cal.md" | sed 's/^/#   /'
fi

# every <!-- compare FILE [ARGS] --> block
grep -n '^<!-- compare ' "$ROOT/README.md" | while IFS= read -r mark; do
    line=${mark%%:*}
    args=$(echo "${mark#*:}" | sed 's/^<!-- compare //; s/ -->$//')
    sed -n "$((line + 1)),\$p" "$ROOT/README.md" | sed '/^<!-- \/compare -->/,$d' > "$T/want.md"
    # shellcheck disable=SC2086
    (cd "$ROOT" && timeout 300 "$SIM" compare scenarios/baseline.cfg $args --replicates 30 --markdown -o "$T/c.h5") > "$T/got.md"
    if cmp -s "$T/want.md" "$T/got.md"; then
        echo "ok - README table for $args is what sim compare prints"
    else
        echo "not ok - README table for $args differs:"
        diff "$T/want.md" "$T/got.md" | sed 's/^/#   /'
        echo FAIL >> "$T/compare_failures"
    fi
done
[ ! -e "$T/compare_failures" ] || not_ok "$(wc -l < "$T/compare_failures") scenario table(s) out of date"
n=$(grep -c '^<!-- compare ' "$ROOT/README.md")
want=$(ls "$ROOT"/scenarios/*.cfg | grep -cv '/baseline.cfg$')
[ "$n" -eq "$want" ] && ok "the README has a table for each of the $want scenarios" || not_ok "$n scenario tables for $want scenarios"
finish
