#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# export.sh - `sim export FILE.h5 --csv DIR`: the tables of a run, an
# ensemble, a comparison and a sweep read back with pandas and checked
# value by value against the file read with xarray and h5py
# (check_export.py); --vars and --runs; files already in DIR replaced on
# success and untouched on failure; every error path with its exit code
# and one message line; damaged files (truncated, zeroed, the libhdf5
# crashers of tests/fuzz/hdf5-known/) give exit 2, never a crash; a full
# disk gives exit 1; and memory stays flat: the peak RSS of exporting a
# sweep ten times larger grows by less than half of its largest variable.
#   SIM     the program under test (may be relative to the repository root)
#   PYTHON  a Python with h5py, xarray and pandas
# Prints one "ok - ..." / "not ok - ..." line per check; exits 1 if any
# check failed.
# shellcheck source-path=SCRIPTDIR source=common.inc
. "$(dirname "$0")/common.inc"
CHECK_EXPORT=$ROOT/tests/cli/check_export.py

# checked FILE DIR [ARGS...] [--next FILE DIR ...] : check_export.py's
# checks (each line names the directory)
checked() {
    (cd "$W" && "$PYTHON" "$CHECK_EXPORT" "$@") >"$T/log/check" 2>&1
    crc=$?
    grep -E '^(not )?ok - ' "$T/log/check"
    n=$(grep -c '^not ok' "$T/log/check")
    failures=$((failures + n))
    if [ "$crc" -ne 0 ] && [ "$n" -eq 0 ]; then
        not_ok "check_export.py $*: exit $crc"
        show "$T/log/check"
    fi
}
# expect_message WHAT FRAGMENT... : exactly one line "sim: export: ..." with all
expect_message() {
    what=$1
    shift
    if message_is "sim: export: " "$@"; then
        ok "$what: one message line ($(cat "$ERR"))"
    else
        not_ok "$what: one message line holding $*${missing:+ (missing:$missing)}"
        show "$ERR"
    fi
}
# fails WHAT RC FRAGMENT... -- ARGS... : `sim ARGS` exits RC with one line
# "sim: export: ..." holding every FRAGMENT
fails() {
    what=$1 want=$2
    shift 2
    : >"$T/log/frags"
    while [ $# -gt 0 ] && [ "$1" != "--" ]; do
        printf '%s\n' "$1" >>"$T/log/frags"
        shift
    done
    shift
    sim "$@"
    expect_rc "$what" "$want"
    missing=""
    while IFS= read -r frag; do
        grep -qF -- "$frag" "$ERR" || missing="$missing '$frag'"
    done <"$T/log/frags"
    if [ -z "$missing" ] && [ "$(lines "$ERR")" = 1 ] &&
        grep -q '^sim: export: ' "$ERR"; then
        ok "$what: one message line ($(cat "$ERR"))"
    else
        not_ok "$what: one message line \"sim: export: ...\"${missing:+ (missing:$missing)}"
        show "$ERR"
    fi
}
# expect_dir WHAT DIR EXPECTED-LISTING : the names in DIR, hidden ones
# too, sorted, on one line
expect_dir() {
    got=$(cd "$2" 2>/dev/null && for e in .* *; do
        case $e in . | .. | '.*' | '*') ;; *) echo "$e" ;; esac
    done | LC_ALL=C sort | tr '\n' ' ' | sed 's/ $//')
    if [ "$got" = "$3" ]; then
        ok "$1"
    else
        not_ok "$1 (found: '$got')"
    fi
}

# ---- result files to export ----------------------------------------------------
sim run -q --months 6 -o single.h5
expect_rc "setup: a run" 0
sim run -q --months 4 --replicates 3 --jobs 2 -o ensemble.h5
expect_rc "setup: an ensemble" 0
sim run -q --months 6 --set output.every=2 -o every2.h5
expect_rc "setup: a record every 2 months" 0
sim compare "$ROOT/scenarios/baseline.cfg" "$ROOT/scenarios/dedollarisation.cfg" \
    --replicates 2 --months 3 -q -o compare.h5
expect_rc "setup: a comparison" 0
cat >"$W/sweep.cfg" <<EOF
sweep = {
  scenario = "$ROOT/scenarios/baseline.cfg";
  design = "lhs"; points = 4; seed = 7; replicates = 2;
  variables = ["production", "flow", "route_flow", "cohesion", "price"];
};
axes = (
  { path = "agents.CHN.secondary"; min = 0.0; max = 0.8; },
  { path = "routes.caspian.interdiction"; min = 0.0; max = 1.0; }
);
EOF
sim sweep sweep.cfg -o sweep.h5
expect_rc "setup: a sweep" 0

# ---- the tables, checked against the file ----------------------------------------
jobs=""
for h5 in single ensemble every2 compare sweep; do
    sim export "$h5.h5" --csv "out-$h5"
    expect_rc "export $h5.h5" 0
    has "export $h5.h5: the summary line" "$OUT" "wrote out-$h5/: values.csv " \
        "rows, events.csv " "rows, runs.csv "
    expect_no_stderr "export $h5.h5"
    expect_dir "export $h5.h5: the three tables, no temporary file" "$W/out-$h5" \
        "events.csv runs.csv values.csv"
    jobs="$jobs${jobs:+ --next} $h5.h5 out-$h5"
done
head -n 1 "$W/out-single/values.csv" >"$T/log/header"
has "values.csv: the header" "$T/log/header" \
    "scenario,run,time,agent,partner,route,good,variable,value,unit"
has "values.csv: a stock row with the good's unit" "$W/out-single/values.csv" \
    "baseline,0,2023-01-01,RUS,,,shells,stock," ",rounds"
has "values.csv: a route row" "$W/out-single/values.csv" ",,,caspian,drones,route_flow,"
has "values.csv: a bloc row" "$W/out-single/values.csv" "baseline,0,2023-06-01,,,,,cohesion,"
has "compare: the scenario column" "$W/out-compare/values.csv" "dedollarisation,1,2023-03-01,"
has "sweep: runs.csv names the parameters" "$W/out-sweep/runs.csv" \
    "run,seed,point,agents.CHN.secondary,routes.caspian.interdiction"

# ---- --vars, --runs, -q ------------------------------------------------------------
sim export sweep.h5 --csv sel --vars cohesion,flow --runs 2-5 -q
expect_rc "--vars cohesion,flow --runs 2-5 -q" 0
if [ ! -s "$OUT" ]; then ok "-q: nothing on stdout"; else not_ok "-q: nothing on stdout"; fi
sim export ensemble.h5 --csv one --runs 1 --vars stock -q
expect_rc "--runs 1" 0
# shellcheck disable=SC2086
checked $jobs --next sweep.h5 sel --vars cohesion,flow --runs 2-5 \
    --next ensemble.h5 one --vars stock --runs 1-1

# ---- files already there: replaced on success, untouched on failure --------------
mkdir "$W/keep"
printf 'an earlier table\n' >"$W/keep/values.csv"
printf 'notes\n' >"$W/keep/notes.txt"
sim export single.h5 --csv keep --vars nosuch
expect_rc "failure into a directory with files" 2
has "failure: values.csv untouched" "$W/keep/values.csv" "an earlier table"
expect_dir "failure: no file added" "$W/keep" "notes.txt values.csv"
sim export single.h5 --csv keep -q
expect_rc "success into a directory with files" 0
has "success: values.csv replaced" "$W/keep/values.csv" "scenario,run,time"
expect_dir "success: the tables and the other file" "$W/keep" \
    "events.csv notes.txt runs.csv values.csv"

# ---- bad usage and bad input: exit 2, one line, nothing written -------------------
fails "no arguments" 2 "no file given" -- export
fails "no --csv" 2 "no output given: --csv DIR" -- export single.h5
fails "unknown flag" 2 "unknown option '--bogus'" -- export single.h5 --csv x --bogus
fails "two files" 2 "one file at a time" -- export single.h5 ensemble.h5 --csv x
fails "--csv without a value" 2 "--csv needs a value" -- export single.h5 --csv
fails "--vars empty item" 2 "--vars stock,: expected names" -- export single.h5 --csv x --vars stock,
fails "--runs backwards" 2 "--runs 3-1: expected" -- export single.h5 --csv x --runs 3-1
fails "--runs not a number" 2 "--runs x: expected" -- export single.h5 --csv x --runs x
fails "--runs outside the file" 2 "runs 2-3 asked for, but ensemble.h5 has 3 runs" \
    -- export ensemble.h5 --csv x --runs 2-3
fails "missing file" 2 "cannot open nosuch.h5: No such file or directory" \
    -- export nosuch.h5 --csv x
mkdir "$W/adir"
fails "a directory as the file" 2 "cannot open adir: Is a directory" -- export adir --csv x
printf 'run,time\n0,1\n' >"$W/text.h5"
fails "a text file" 2 "text.h5 is not an HDF5 file" -- export text.h5 --csv x
"$PYTHON" -c "import h5py; f = h5py.File('$W/foreign.h5', 'w'); f['x'] = [1, 2]; f.close()"
fails "a foreign HDF5 file" 2 "foreign.h5 is not a result file of this program" \
    -- export foreign.h5 --csv x
fails "an unknown variable" 2 "unknown variable 'shells'" -- export single.h5 --csv x --vars stock,shells
fails "a variable given twice" 2 "variable 'flow' given twice" -- export single.h5 --csv x --vars flow,flow
fails "a variable the file does not record" 2 "sweep.h5 does not record 'stock'" \
    -- export sweep.h5 --csv x --vars stock
size=$(wc -c <"$W/single.h5")
for cut in 512 4096 $((size / 2)) $((size - 100)); do
    head -c "$cut" "$W/single.h5" >"$W/cut.h5"
    fails "truncated to $cut bytes" 2 "cut.h5" -- export cut.h5 --csv x
done
cp "$W/single.h5" "$W/zeroed.h5"
dd if=/dev/zero of="$W/zeroed.h5" bs=1 seek=96 count=4000 conv=notrunc 2>/dev/null
fails "metadata zeroed" 2 "zeroed.h5" -- export zeroed.h5 --csv x
# every file that crashes, hangs or exhausts libhdf5 itself
# (tests/fuzz/hdf5-known/): the child process's guard (a signal, 10 s
# without progress, an address-space limit)
for f in "$ROOT"/tests/fuzz/hdf5-known/*.h5; do
    name=$(basename "$f")
    if [ "${SIM_SANITIZE:-}" = 1 ]; then
        case $name in
        global-heap-read-overflow.h5 | *heap-segv.h5 | *heap-segv-v2.h5 | attr-exists-header-overflow.h5)
            ok "$name # skipped under SANITIZE=1: ASan reports libhdf5's own fault"
            continue ;;
        found-read_strings-huge-count.h5 | export-vlen-conversion-4gb.h5)
            ok "$name # skipped under SANITIZE=1: no address-space limit under ASan (libhdf5 takes GBs)"
            continue ;;
        esac
    fi
    start=$(date +%s)
    sim export "$f" --csv x -q
    # exit 2 with one line, or (a file whose damage only another reader
    # trips on) exit 0 with the tables; never a crash
    if [ "$RC" -eq 2 ] && [ "$(lines "$ERR")" = 1 ] &&
        grep -q "^sim: export: .*$name" "$ERR"; then
        ok "libhdf5 fault $name: exit 2, one line ($(cat "$ERR"))"
    elif [ "$RC" -eq 0 ] && [ -f "$W/x/values.csv" ] && [ ! -s "$ERR" ]; then
        ok "libhdf5 fault $name: exported (exit 0): export does not trip on this damage"
    else
        not_ok "libhdf5 fault $name: exit 2 and one line, or exit 0 (got $RC)"
        show "$ERR"
    fi
    rm -rf "$W/x"
    case $name in
    found-read_strings-huge-count.h5 | export-vlen-conversion-4gb.h5)
        secs=$(($(date +%s) - start))
        if [ "$secs" -le 5 ]; then
            ok "$name: refused in $secs s (libhdf5's 4 GB request fails under the limit)"
        else
            not_ok "$name: refused in $secs s (libhdf5's 4 GB request should fail at once)"
        fi ;;
    esac
done
if [ ! -e "$W/x" ]; then ok "bad input: no output directory made"; else
    not_ok "bad input: no output directory made"; fi

# ---- the output cannot be written: exit 1 -------------------------------------------
printf 'x\n' >"$W/plain"
fails "--csv a plain file" 2 "refusing to write into plain: it is a regular file, not a directory" -- export single.h5 --csv plain
fails "--csv under a plain file" 1 "cannot create plain/x: Not a directory" -- export single.h5 --csv plain/x
fails "--csv in a missing directory" 1 "cannot create nodir/x: No such file or directory" \
    -- export single.h5 --csv nodir/x
fails "--csv in /proc" 1 "cannot create /proc/bloc_sim_export" -- export single.h5 --csv /proc/bloc_sim_export

# disk full: a file-size limit (512-byte blocks in sh); stderr through a pipe
full() {
    rm -f "$T/log/rc"
    {
        (cd "$W" && ulimit -f "$1" && exec "$SIM" export sweep.h5 --csv "$2" -q)
        echo $? >"$T/log/rc"
    } 2>&1 | cat >"$ERR"
    RC=$(cat "$T/log/rc")
}
full 40 full-new
expect_rc "disk full (ulimit -f 40)" 1
expect_message "disk full" "full-new/values.csv: File too large"
if [ ! -e "$W/full-new" ]; then ok "disk full: the directory made for it removed"; else
    not_ok "disk full: the directory made for it removed ($(ls -A "$W/full-new"))"; fi
mkdir "$W/full-old"
cp "$W/out-single/values.csv" "$W/out-single/runs.csv" "$W/full-old/"
full 40 full-old
expect_rc "disk full, files there" 1
if cmp -s "$W/out-single/values.csv" "$W/full-old/values.csv" &&
    cmp -s "$W/out-single/runs.csv" "$W/full-old/runs.csv"; then
    ok "disk full: the files there byte-identical"
else
    not_ok "disk full: the files there byte-identical"
fi
expect_dir "disk full: no temporary file left" "$W/full-old" "runs.csv values.csv"

# ---- memory stays flat; speed ------------------------------------------------------
# Two sweeps of a 72-month scenario recording flow (196 values a month):
# 16 runs, and 160 (whose flow alone is 18 MB of doubles).
for n in 8 80; do
    cat >"$W/mem$n.cfg" <<EOF
sweep = {
  scenario = "$ROOT/scenarios/caspian_interdiction.cfg";
  design = "lhs"; points = $n; seed = 3; replicates = 2;
  variables = ["flow", "cohesion"];
};
axes = ( { path = "agents.CHN.secondary"; min = 0.0; max = 0.8; } );
EOF
    sim sweep "mem$n.cfg" -o "mem$n.h5" --jobs 2
    expect_rc "setup: a sweep of $((2 * n)) runs" 0
done
rss() { # rss FILE DIR : peak RSS in KiB of the export (the child included)
    (cd "$W" && /usr/bin/time -f %M -o "$T/log/rss" "$SIM" export "$1" --csv "$2" >"$OUT" 2>"$ERR")
    RC=$?
    tail -n 1 "$T/log/rss"
}
small=$(rss mem8.h5 mem-small)
expect_rc "export the 16-run sweep" 0
rm -rf "$W/mem-small"
start=$(date +%s.%N)
large=$(rss mem80.h5 mem-large)
end=$(date +%s.%N)
expect_rc "export the 160-run sweep" 0
rows=$(sed -n 's/.*values.csv \([0-9]*\) rows.*/\1/p' "$OUT")
echo "# peak RSS: $small KiB (16 runs), $large KiB (160 runs, $rows rows:" \
    "$(echo "$rows $start $end" | awk '{ printf "%.0f", $1 / ($3 - $2) }') rows/s)"
# flow in the large file is 160 x 72 x 196 doubles, 18 MB: a reader that
# held a variable whole would show it
if [ "${SIM_SANITIZE:-}" = 1 ]; then
    ok "memory flat # skipped under SANITIZE=1: ASan's shadow memory and quarantine"
elif [ -n "$small" ] && [ -n "$large" ] && [ "$large" -le $((small + 8192)) ]; then
    ok "memory flat: peak RSS $large KiB for 10x the runs, $small KiB for 1x (under +8 MiB)"
else
    not_ok "memory flat: peak RSS $large KiB for 10x the runs, $small KiB for 1x"
fi
rm -rf "$W/mem-large"

finish
