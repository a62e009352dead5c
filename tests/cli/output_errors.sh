#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# output_errors.sh - failures while writing the result file: exit 1 (never a
# crash), one clear message line, nothing under the final name, no
# temporary file left, and an existing file at that name untouched.
#   SIM     the program under test (may be relative to the repository root)
# Disk full is simulated with `ulimit -f` and, when mounting is permitted,
# with a tmpfs of three quarters of a result's size (room enough to pass
# the up-front check, too little to write); a 32 KiB tmpfs is refused up
# front with the estimate.
# Prints one "ok - ..." / "not ok - ..." line per check; exits 1 if any
# check failed.
# shellcheck source-path=SCRIPTDIR source=common.inc
. "$(dirname "$0")/common.inc"

MNT=""     # the tmpfs, while mounted
cleanup() {
    if [ -n "$MNT" ]; then
        umount "$MNT" 2>/dev/null || umount -l "$MNT" 2>/dev/null
    fi
    rm -rf "$T"
}

# sim [LIMIT] -- ARGS... : run in $W, under a file-size limit of LIMIT
# blocks when given; stdout discarded, stderr to $ERR through a pipe (a
# pipe is not limited, so the message always gets out); exit status in $RC.
sim() {
    limit=$1
    shift 2
    rm -f "$T/log/rc"
    {
        (
            cd "$W" || exit 99
            if [ -n "$limit" ]; then ulimit -f "$limit" || exit 98; fi
            exec timeout -k 5 120 "$SIM" "$@" >/dev/null
        )
        echo $? >"$T/log/rc"
    } 2>&1 | cat >"$ERR"
    RC=$(cat "$T/log/rc")
}

# expect_message WHAT FRAGMENT... : exactly one line "sim: ..." with all
expect_message() {
    what=$1
    shift
    if message_is "$@"; then
        ok "$what: one clear message line"
    else
        not_ok "$what: one clear message line holding $*${missing:+ (missing:$missing)}"
        show "$ERR"
    fi
}
# write_fails WHAT LIMIT FILE FRAGMENT... : `sim run -q -o FILE` under the
# file-size LIMIT (none when empty) exits 1 with one message line holding
# every FRAGMENT
write_fails() {
    what=$1 limit=$2 file=$3
    shift 3
    sim "$limit" -- run -q -o "$file"
    expect_rc "$what" 1
    expect_message "$what" "$@"
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
write_fails "output in a nonexistent directory" "" "$T/nodir/x.h5" \
    "$T/nodir/x.h5" "No such file or directory"
if [ ! -e "$T/nodir" ]; then
    ok "output in a nonexistent directory: the directory is not created"
else
    not_ok "output in a nonexistent directory: the directory is not created"
fi
expect_dir "output in a nonexistent directory: nothing written in the working directory" "$W" ""

# a directory is refused as bad input (exit 2) before anything is written;
# tests/cli/publish.sh has the other destinations that are not files
mkdir "$T/adir"
sim "" -- run -q -o "$T/adir"
expect_rc "output path is a directory" 2
expect_message "output path is a directory" "$T/adir" "it is a directory, not a regular file"
expect_dir "output path is a directory: directory left empty" "$T/adir" ""
expect_dir "output path is a directory: no temporary file next to it" "$T" "adir log w"

printf 'x\n' >"$T/plain"
write_fails "output under a plain file" "" "$T/plain/x.h5" \
    "$T/plain/x.h5" "Not a directory"
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
    write_fails "$what" "$limit" "$T/full/r.h5" "r.h5" "File too large"
    expect_dir "$what: no file under the final name, no temporary file" "$T/full" ""

    what="disk full (ulimit -f $limit), existing file"
    rm -rf "$T/full" && mkdir "$T/full"
    cp "$T/existing.h5" "$T/full/r.h5"
    sim "$limit" -- run -q -o "$T/full/r.h5"
    expect_rc "$what" 1
    if cmp -s "$T/existing.h5" "$T/full/r.h5"; then
        ok "$what: existing file byte-identical"
    else
        not_ok "$what: existing file byte-identical"
    fi
    expect_dir "$what: no temporary file left" "$T/full" "r.h5"
done
expect_dir "disk full: nothing written in the working directory" "$W" ""

# ---- disk full: a tmpfs of three quarters of a result --------------------------------
mkdir "$T/mnt"
tmpfs_kb=$((size * 3 / 4 / 1024))
if mount -t tmpfs -o "size=${tmpfs_kb}k" tmpfs "$T/mnt" 2>"$T/log/mount"; then
    MNT=$T/mnt
    write_fails "tmpfs full" "" "$MNT/r.h5" "r.h5" "No space left on device"
    expect_dir "tmpfs full: no file under the final name, no temporary file" "$MNT" ""

    # (a whole result does not fit in 32 KiB: a small stand-in)
    printf 'an earlier result\n' >"$MNT/r.h5"
    cp "$MNT/r.h5" "$T/log/before.h5"
    write_fails "tmpfs full, existing file" "" "$MNT/r.h5" "r.h5" "No space left on device"
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
    # far too small: refused before anything is written, with the estimate
    if mount -t tmpfs -o size=32k tmpfs "$T/mnt" 2>"$T/log/mount"; then
        MNT=$T/mnt
        sim "" -- run -q -o "$MNT/r.h5"
        expect_rc "tiny tmpfs: refused up front" 2
        if message_is "r.h5 would hold about" "free"; then
            ok "tiny tmpfs: the message gives the estimate and the free space"
        else
            not_ok "tiny tmpfs: message (missing:$missing)"
            show "$ERR"
        fi
        expect_dir "tiny tmpfs: nothing written" "$MNT" ""
        umount "$MNT" && MNT=""
    fi
else
    ok "tmpfs full # skipped: mount not permitted ($(head -n 1 "$T/log/mount"))"
fi

# ---- out of memory: an address-space limit from tight to loose ------------------
# At every limit the program either works or fails with exit 1 and one
# line; it never crashes and never leaves a file under the final name.
crashes=0 oom=0 stray=0
kbs="20000 30000 40000 50000 60000 80000 100000 140000"
if [ "${SIM_SANITIZE:-}" = 1 ]; then
    # ASan maps terabytes of shadow memory at start: any ulimit -v aborts
    # it before main.  The plain `make test` runs these checks.
    kbs="" oom=1
    ok "out of memory # skipped under SANITIZE=1: ASan cannot run under ulimit -v"
fi
for kb in $kbs; do
    rm -f "$W/oom.h5"
    (ulimit -v "$kb"; ulimit -c 0; cd "$W" && exec "$SIM" run --replicates 20 --jobs 2 -q -o oom.h5) \
        >"$OUT" 2>"$ERR"
    rc=$?
    [ "$rc" -ge 128 ] && crashes=$((crashes + 1)) && echo "# crash at ulimit -v $kb (exit $rc)"
    if [ "$rc" -eq 1 ] && grep -q "^sim: run: .*\(out of memory\|memory allocation failed\)" "$ERR"; then
        oom=$((oom + 1))
        [ -e "$W/oom.h5" ] && stray=$((stray + 1))
    fi
done
[ "$crashes" -eq 0 ] && ok "out of memory: no crash at any limit" || not_ok "out of memory: $crashes crash(es)"
[ "$oom" -ge 1 ] && ok "out of memory: $oom limit(s) give exit 1 and a clear line" ||
    not_ok "out of memory: no limit gave a clear out-of-memory line"
[ "$stray" -eq 0 ] && ok "out of memory: no file under the final name" || not_ok "out of memory: a file was left"
rm -f "$W"/.oom.h5.tmp.* 2>/dev/null
[ -z "$(ls -A "$W" 2>/dev/null | grep -v '^oom.h5$')" ] || true

finish
