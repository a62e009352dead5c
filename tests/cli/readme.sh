#!/bin/sh
# readme.sh - the README tells the truth: its quick start is two commands
# ending in `make test` (what CI runs), its calibration table is exactly
# what analysis/calibration.py prints for the built-in baseline, and every
# calibrated figure is inside its range.
set -u
here=$(cd "$(dirname "$0")/../.." && pwd)
SIM=$(cd "$here" && realpath "${SIM:-build/sim}")
PYTHON=${PYTHON:-/usr/bin/python3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
ok() { echo "ok - $1"; }
notok() { echo "not ok - $1"; fails=$((fails + 1)); }

steps=$(sed -n '/<!-- quickstart -->/,/<!-- \/quickstart -->/p' "$here/README.md" |
        grep -v '^<!--' | grep -v '^```' | grep -cv '^[[:space:]]*$')
[ "$steps" -eq 2 ] && ok "quick start has two commands" || notok "quick start has $steps commands"
last=$(sed -n '/<!-- quickstart -->/,/<!-- \/quickstart -->/p' "$here/README.md" |
       grep -v '^<!--' | grep -v '^```' | grep -v '^[[:space:]]*$' | tail -n 1)
[ "$last" = "make test" ] && ok "the test command is 'make test'" || notok "test command is '$last'"
first=$(sed -n '/<!-- quickstart -->/,/<!-- \/quickstart -->/p' "$here/README.md" | grep apt-get)
for pkg in libgsl-dev libconfig-dev libhdf5-dev hdf5-tools netcdf-bin libcmocka-dev python3-h5py python3-xarray; do
    case "$first" in
        *" $pkg "*) ok "quick start installs $pkg" ;;
        *) notok "quick start does not install $pkg" ;;
    esac
done

if (cd "$tmp" && timeout 60 "$SIM" run -q -o base.h5); then
    ok "baseline runs"
else
    notok "baseline run failed"
fi
if (cd "$here" && timeout 120 "$PYTHON" analysis/calibration.py "$tmp/base.h5" --check > "$tmp/cal.txt"); then
    ok "every calibrated figure is inside its range"
else
    notok "calibration figures outside their range:"
    grep OUTSIDE "$tmp/cal.txt"
fi
(cd "$here" && "$PYTHON" analysis/calibration.py "$tmp/base.h5" --markdown > "$tmp/cal.md")
sed -n '/<!-- calibration -->/,/<!-- \/calibration -->/p' "$here/README.md" |
    grep -v '^<!--' > "$tmp/readme.md"
if cmp -s "$tmp/cal.md" "$tmp/readme.md"; then
    ok "README calibration table is what the program prints"
else
    notok "README calibration table differs from analysis/calibration.py:"
    diff "$tmp/readme.md" "$tmp/cal.md"
fi
if [ "$fails" -eq 0 ]; then
    echo "# readme.sh: all checks passed"
else
    echo "# readme.sh: $fails check(s) failed"
    exit 1
fi
