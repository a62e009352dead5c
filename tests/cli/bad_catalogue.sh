#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# bad_catalogue.sh - run every case of the bad-input catalogue,
# tests/bad_inputs/NN_name/, and check that each fails cleanly: the expected
# exit code, exactly one line on stderr starting with "sim: " and holding
# the expected fragment(s), and no file created, changed or removed in the
# working directory (no output, no temporary .NAME.tmp.PID file).
#   SIM     the program under test (may be relative to the repository root)
#   PYTHON  a Python with h5py (a few cases make a foreign HDF5 file with it)
# Prints one "ok - ..." / "not ok - ..." line per case; exits 1 if any
# case failed.
#
# A case is a directory tests/bad_inputs/NN_name/ holding
#   cmd       one line: the arguments after `sim`, in sh syntax (quotes
#             work); it may use $ROOT, the repository root
#   expect    line 1: the exit code; line 2: a fragment of the message;
#             optional further lines: more fragments (all must appear)
#   setup     optional: sh commands run in the working directory first,
#             with ROOT, SIM and PYTHON set (e.g. to make a corrupt file)
#   about     optional: one line saying what the case is
#   timeout   optional: seconds before the program is killed (default
#             CASE_TIMEOUT, 30); for cases that are known to hang
#   any other file (case.cfg, targets.cfg, ...): copied to the working
#             directory, which also holds configs/default.cfg as
#             default.cfg and the shared fragments of tests/bad_inputs/_lib/
#             (globals.cfg: the global groups of the default world)
# Each case runs in a fresh directory under a file-size limit of 4 GiB, so
# a program that does not refuse a huge job fails the case instead of
# filling the disk, and is killed after CASE_TIMEOUT seconds (default 30):
# a hang is a failure.
# shellcheck source-path=SCRIPTDIR source=common.inc
. "$(dirname "$0")/common.inc"
CAT=$ROOT/tests/bad_inputs
: "${CASE_TIMEOUT:=30}"
export ROOT SIM PYTHON

# snapshot DIR : every directory and file under DIR, files with their
# checksum (one md5sum for all: forks are slow on a loaded machine)
snapshot() {
    (cd "$1" && {
        find . -mindepth 1 -type d
        find . -type f -exec md5sum {} + | awk '{ print $2, $1 }'
    } | LC_ALL=C sort)
}

n=0
for dir in "$CAT"/[0-9]*/; do
    [ -f "$dir/cmd" ] || continue
    dir=${dir%/}
    name=$(basename "$dir")
    n=$((n + 1))
    W=$T/cases/$name
    mkdir -p "$W"
    cp "$ROOT/configs/default.cfg" "$W/default.cfg"
    cp "$CAT"/_lib/* "$W/"
    for f in "$dir"/*; do
        case $(basename "$f") in
        cmd | expect | setup | about | timeout | no-sanitize) ;;
        *) cp "$f" "$W/" ;;
        esac
    done
    if [ "${SIM_SANITIZE:-}" = 1 ] && [ -f "$dir/no-sanitize" ]; then
        # HDF5's own memory error on this file is caught by ASan in the
        # child before it can become a signal; the plain `make test` runs it
        ok "$name # skipped under SANITIZE=1: $(head -n 1 "$dir/no-sanitize")"
        continue
    fi
    if [ -f "$dir/setup" ] && ! (cd "$W" && sh "$dir/setup") >"$T/log/setup" 2>&1; then
        not_ok "$name: setup failed"
        show "$T/log/setup"
        continue
    fi
    snapshot "$W" >"$T/log/before"
    want_rc=$(sed -n 1p "$dir/expect")
    limit=$CASE_TIMEOUT
    [ -f "$dir/timeout" ] && limit=$(cat "$dir/timeout")
    # the fragments: every line of expect after the first
    sed -n '2,$p' "$dir/expect" >"$T/log/frags"
    eval "set -- $(cat "$dir/cmd")"
    # (the shell's own stderr off meanwhile: no "Segmentation fault" line;
    # a second try when the program could not be started, as while `make`
    # replaces it)
    for try in 1 2; do
        exec 3>&2 2>/dev/null
        (exec >"$OUT" 2>"$ERR" && cd "$W" && ulimit -f 4194304 &&
            exec timeout -k 5 "$limit" "$SIM" "$@")
        RC=$?
        exec 2>&3 3>&-
        [ "$RC" -eq 126 ] && [ "$try" = 1 ] && sleep 2 && continue
        break
    done
    snapshot "$W" >"$T/log/after"

    problems=""
    if [ "$RC" -ge 124 ] && [ "$RC" -ne "$want_rc" ]; then
        case $RC in
        124 | 137) problems="$problems; hung (killed after $limit s)" ;;
        125 | 126 | 127) problems="$problems; could not run $SIM (exit $RC)" ;;
        *) problems="$problems; crashed (exit $RC, signal $((RC - 128)))" ;;
        esac
    elif [ "$RC" -ne "$want_rc" ]; then
        problems="$problems; exit $RC, expected $want_rc"
    fi
    nl=$(lines "$ERR")
    if [ "$nl" != 1 ]; then
        problems="$problems; $nl lines on stderr, expected 1"
    elif ! grep -q '^sim: ' "$ERR"; then
        problems="$problems; stderr does not start with 'sim: '"
    fi
    while IFS= read -r frag; do
        [ -n "$frag" ] || continue
        grep -qF -- "$frag" "$ERR" || problems="$problems; no '$frag' in the message"
    done <"$T/log/frags"
    if ! cmp -s "$T/log/before" "$T/log/after"; then
        changed=$(diff "$T/log/before" "$T/log/after" | sed -n 's/^[<>] \.\///p' |
            cut -d' ' -f1 | sort -u | tr '\n' ' ')
        problems="$problems; files created, changed or removed: $changed"
    fi
    about=$(cat "$dir/about" 2>/dev/null || :)
    if [ -z "$problems" ]; then
        ok "$name: ${about:+$about: }exit $want_rc, one line: $(cat "$ERR")"
    else
        not_ok "$name: ${about:+$about: }${problems#; }"
        echo "#   command: sim $(cat "$dir/cmd")"
        show "$ERR"
    fi
    rm -rf "$W"
done
if [ "$n" -lt 45 ]; then
    not_ok "the catalogue has $n cases, expected at least 45"
else
    ok "the catalogue has $n cases"
fi

finish
