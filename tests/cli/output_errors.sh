#!/bin/sh
# output_errors.sh - failures while writing the result file: exit 1 (never a
# crash), one clear message line, nothing under the final name, no
# temporary file left, and an existing file at that name untouched.
#   SIM     the program under test (may be relative to the repository root)
# Disk full is simulated with `ulimit -f` and, when mounting is permitted,
# with a 32 KiB tmpfs.
# Prints one "ok - ..." / "not ok - ..." line per check; exits 1 if any
# check failed.
set -u

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
: "${SIM:=build/sim}"
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

T=$(mktemp -d "${TMPDIR:-/tmp}/sim-output-errors.XXXXXX") || exit 1
MNT=""
cleanup() {
    if [ -n "$MNT" ]; then
        umount "$MNT" 2>/dev/null || umount -l "$MNT" 2>/dev/null
    fi
    rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP
mkdir "$T/w" "$T/log"
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

# sim [LIMIT] -- ARGS... : run in $T/w, under a file-size limit of LIMIT
# blocks when given; stdout discarded, stderr to $ERR through a pipe (a
# pipe is not limited, so the message always gets out); exit status in $RC.
sim() {
    limit=$1
    shift 2
    rm -f "$T/log/rc"
    {
        (
            cd "$T/w" || exit 99
            if [ -n "$limit" ]; then ulimit -f "$limit" || exit 98; fi
            exec timeout -k 5 120 "$SIM" "$@" >/dev/null
        )
        echo $? >"$T/log/rc"
    } 2>&1 | cat >"$ERR"
    RC=$(cat "$T/log/rc")
}

# expect_rc1 WHAT : exit 1; a signal (>= 128) is a crash
expect_rc1() {
    if [ "$RC" -eq 1 ]; then
        ok "$1: exit 1"
    elif [ "$RC" -ge 128 ]; then
        not_ok "$1: exit 1 (crashed: exit $RC, signal $((RC - 128)))"
        show "$ERR"
    else
        not_ok "$1: exit 1 (got $RC)"
        show "$ERR"
    fi
}
# expect_message WHAT FRAGMENT... : exactly one line "sim: ..." with all
expect_message() {
    what=$1
    shift
    missing=""
    for f in "$@"; do
        grep -qF -- "$f" "$ERR" || missing="$missing '$f'"
    done
    if [ -z "$missing" ] && [ "$(lines "$ERR")" = 1 ] && grep -q '^sim: ' "$ERR"; then
        ok "$what: one clear message line"
    else
        not_ok "$what: one clear message line holding $*${missing:+ (missing:$missing)}"
        show "$ERR"
    fi
}
# expect_dir WHAT DIR EXPECTED-LISTING : ls -A DIR, one line
expect_dir() {
    got=$(ls -A "$2" 2>&1 | tr '\n' ' ' | sed 's/ $//')
    if [ "$got" = "$3" ]; then
        ok "$1"
    else
        not_ok "$1 (found: '$got')"
    fi
}

# ---- a nonexistent directory, a directory, a file as directory -------------------
sim "" -- run -q -o "$T/nodir/x.h5"
expect_rc1 "output in a nonexistent directory"
expect_message "output in a nonexistent directory" "$T/nodir/x.h5" "No such file or directory"
if [ ! -e "$T/nodir" ]; then
    ok "output in a nonexistent directory: the directory is not created"
else
    not_ok "output in a nonexistent directory: the directory is not created"
fi
expect_dir "output in a nonexistent directory: nothing written in the working directory" "$T/w" ""

mkdir "$T/adir"
sim "" -- run -q -o "$T/adir"
expect_rc1 "output path is a directory"
expect_message "output path is a directory" "$T/adir" "Is a directory"
expect_dir "output path is a directory: directory left empty" "$T/adir" ""
expect_dir "output path is a directory: no temporary file next to it" "$T" "adir log w"

printf 'x\n' >"$T/plain"
sim "" -- run -q -o "$T/plain/x.h5"
expect_rc1 "output under a plain file"
expect_message "output under a plain file" "$T/plain/x.h5" "Not a directory"
rm -f "$T/plain"

# ---- disk full: a file-size limit --------------------------------------------------
# Size of a complete result, to pick limits that cut the write early,
# in the middle and near the end.  `ulimit -f` counts 512-byte blocks in
# sh (1024 in bash): limits up to 45% of the size fail with either unit.
mkdir "$T/full"
sim "" -- run -q -o "$T/full/ref.h5"
size=$(wc -c 2>/dev/null <"$T/full/ref.h5" || echo 0)
if [ "$RC" -eq 0 ] && [ "$size" -gt 20000 ]; then
    ok "control: a complete result is $size bytes"
else
    not_ok "control: a complete result can be written (exit $RC, $size bytes)"
    show "$ERR"
    size=300000
fi
cp "$T/full/ref.h5" "$T/existing.h5" 2>/dev/null || printf 'existing\n' >"$T/existing.h5"
rm -f "$T/full/ref.h5"
blocks=$((size / 512))
for limit in 1 $((blocks / 4)) $((blocks * 45 / 100)); do
    what="disk full (ulimit -f $limit)"
    rm -rf "$T/full" && mkdir "$T/full"
    sim "$limit" -- run -q -o "$T/full/r.h5"
    expect_rc1 "$what"
    expect_message "$what" "r.h5" "File too large"
    expect_dir "$what: no file under the final name, no temporary file" "$T/full" ""

    what="disk full (ulimit -f $limit), existing file"
    rm -rf "$T/full" && mkdir "$T/full"
    cp "$T/existing.h5" "$T/full/r.h5"
    sim "$limit" -- run -q -o "$T/full/r.h5"
    expect_rc1 "$what"
    if cmp -s "$T/existing.h5" "$T/full/r.h5"; then
        ok "$what: existing file byte-identical"
    else
        not_ok "$what: existing file byte-identical"
    fi
    expect_dir "$what: no temporary file left" "$T/full" "r.h5"
done
expect_dir "disk full: nothing written in the working directory" "$T/w" ""

# ---- disk full: a 32 KiB tmpfs ----------------------------------------------------------
mkdir "$T/mnt"
if mount -t tmpfs -o size=32k tmpfs "$T/mnt" 2>"$T/log/mount"; then
    MNT=$T/mnt
    sim "" -- run -q -o "$MNT/r.h5"
    expect_rc1 "tmpfs full"
    expect_message "tmpfs full" "r.h5" "No space left on device"
    expect_dir "tmpfs full: no file under the final name, no temporary file" "$MNT" ""

    # (a whole result does not fit in 32 KiB: a small stand-in)
    printf 'an earlier result\n' >"$MNT/r.h5"
    cp "$MNT/r.h5" "$T/log/before.h5"
    sim "" -- run -q -o "$MNT/r.h5"
    expect_rc1 "tmpfs full, existing file"
    expect_message "tmpfs full, existing file" "r.h5" "No space left on device"
    if cmp -s "$T/log/before.h5" "$MNT/r.h5"; then
        ok "tmpfs full, existing file: byte-identical"
    else
        not_ok "tmpfs full, existing file: byte-identical"
    fi
    expect_dir "tmpfs full, existing file: no temporary file left" "$MNT" "r.h5"
    if umount "$MNT"; then
        MNT=""
        ok "tmpfs unmounted"
    else
        not_ok "tmpfs unmounted"
    fi
else
    ok "tmpfs full # skipped: mount not permitted ($(head -n 1 "$T/log/mount"))"
fi

echo
if [ "$failures" -eq 0 ]; then
    echo "# output_errors.sh: all checks passed"
    exit 0
fi
echo "# output_errors.sh: $failures check(s) failed"
exit 1
