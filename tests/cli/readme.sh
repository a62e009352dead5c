#!/bin/sh
# readme.sh - the README tells the truth: its quick start is two commands
# ending in `make test` (what CI runs), its calibration table is exactly
# what analysis/calibration.py prints for the built-in baseline, and every
# calibrated figure is inside its range.
# shellcheck source-path=SCRIPTDIR source=common.inc
. "$(dirname "$0")/common.inc"

# section NAME : the lines of README.md between <!-- NAME --> and
# <!-- /NAME -->, without the markers
section() {
    sed -n "/<!-- $1 -->/,/<!-- \\/$1 -->/p" "$ROOT/README.md" | grep -v '^<!--'
}

# commands : the commands of the quick start, one a line
commands() { section quickstart | grep -v '^```' | grep -v '^[[:space:]]*$'; }

steps=$(commands | grep -c '')
if [ "$steps" -eq 2 ]; then ok "quick start has two commands"; else
    not_ok "quick start has $steps commands"; fi
last=$(commands | tail -n 1)
if [ "$last" = "make test" ]; then ok "the test command is 'make test'"; else
    not_ok "test command is '$last'"; fi
first=$(section quickstart | grep apt-get)
for pkg in libgsl-dev libconfig-dev libhdf5-dev hdf5-tools netcdf-bin libcmocka-dev python3-h5py python3-xarray; do
    case "$first" in
        *" $pkg "*) ok "quick start installs $pkg" ;;
        *) not_ok "quick start does not install $pkg" ;;
    esac
done

if (cd "$T" && timeout 60 "$SIM" run -q -o base.h5); then
    ok "baseline runs"
else
    not_ok "baseline run failed"
fi
if (cd "$ROOT" && timeout 120 "$PYTHON" analysis/calibration.py "$T/base.h5" --check > "$T/cal.txt"); then
    ok "every calibrated figure is inside its range"
else
    not_ok "calibration figures outside their range:"
    grep OUTSIDE "$T/cal.txt"
fi
(cd "$ROOT" && "$PYTHON" analysis/calibration.py "$T/base.h5" --markdown > "$T/cal.md")
section calibration > "$T/readme.md"
if cmp -s "$T/cal.md" "$T/readme.md"; then
    ok "README calibration table is what the program prints"
else
    not_ok "README calibration table differs from analysis/calibration.py:"
    diff "$T/readme.md" "$T/cal.md"
fi
finish
