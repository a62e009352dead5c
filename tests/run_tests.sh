#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# run_tests.sh - run every cmocka binary given as argument, then the
# command-line tests (tests/cli/*.sh), and print one closing line
# "N passed, N failed".  Exit 0 only when everything passed.
#   SIM     the program under test (build/sim)
#   PYTHON  the Python that has h5py and xarray (/usr/bin/python3)
set -u
: "${SIM:=build/sim}" "${PYTHON:=/usr/bin/python3}" "${BUILD:=build}"
export SIM PYTHON BUILD
passed=0
failed=0
failures=""
for bin in "$@"; do
    echo "== $bin"
    t0=$(date +%s)
    if "$bin"; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        failures="$failures $bin"
    fi
    echo "== $bin: $(( $(date +%s) - t0 )) s"
done
for script in tests/cli/*.sh; do
    [ -f "$script" ] || continue
    echo "== $script"
    t0=$(date +%s)
    if sh "$script"; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        failures="$failures $script"
    fi
    echo "== $script: $(( $(date +%s) - t0 )) s"
done
echo
[ -n "$failures" ] && echo "failed:$failures"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
