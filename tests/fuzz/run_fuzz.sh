#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# run_fuzz.sh - run the libFuzzer harnesses built by tests/fuzz/fuzz.mk.
#   sh tests/fuzz/run_fuzz.sh regress DIR HARNESS...  replay the regression cases
#   sh tests/fuzz/run_fuzz.sh fuzz    DIR HARNESS...  replay them, then fuzz each
#                                                     for FUZZ_SECONDS
# DIR is $(BUILD)/fuzz: the binaries, corpus/HARNESS/ and HARNESS.dict
# (make_corpus.sh); logs/, artifacts/HARNESS/ and tmp/run.PID/ are written there.
#   FUZZ_SECONDS      per harness, default 60 (-max_total_time)
#   FUZZ_MAX_CRASHES  per harness, default 10
#   FUZZ_FLAGS        more libFuzzer flags for the fuzzing runs
#
# regress: every file in tests/fuzz/regressions/HARNESS/ is run once; each
# failing case is listed with its sanitizer summary and first frame in our
# code.
# fuzz: the regression cases first, then libFuzzer on corpus/HARNESS (new
# inputs are added there) and the regression cases that passed, with
# -rss_limit_mb=2048 -timeout=10 and DIR/HARNESS.dict.  A crash ends a
# libFuzzer run; the script starts another with the time left (up to
# FUZZ_MAX_CRASHES, default 10), so one `make fuzz` reports several crashes
# (libhdf5 has crashes of its own on damaged files, which would otherwise
# hide ours).  Crashing inputs are saved in DIR/artifacts/HARNESS/ and
# listed; one summary line per harness gives executions, exec/s, cov, ft
# and corpus size (of the last run) and time.
# Exit status 1 when any regression case or fuzzing run failed.
set -u
usage() {
    echo "usage: $0 fuzz|regress DIR HARNESS..." >&2
    exit 2
}
[ $# -ge 3 ] || usage
mode=$1
dir=$2
shift 2
case $mode in fuzz | regress) ;; *) usage ;; esac
REG=tests/fuzz/regressions
LIMITS="-rss_limit_mb=2048 -timeout=10"
failed=""
# this run's own temporary directory (two runs may share DIR)
tmp=$dir/tmp/run.$$
mkdir -p "$dir/logs" "$tmp"
# where fuzz_export and fuzz_merge write their tables and merged files:
# in memory when possible (the writers fsync), removed with the rest, also
# after a crash
out=""
if [ -d /dev/shm ] && [ -w /dev/shm ]; then
    out=$(mktemp -d /dev/shm/sim-fuzz.XXXXXX 2>/dev/null) || out=""
fi
[ -n "$out" ] || { out=$tmp/out && mkdir -p "$out"; }
FUZZ_OUT_DIR=$out
export FUZZ_OUT_DIR
trap 'rm -rf "$tmp" "$out"' EXIT
# fuzz_result's temporary file, the seeds, crash files of the replays
TMPDIR=$(cd "$tmp" && pwd)
export TMPDIR
# a stack with each undefined-behaviour report
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
export UBSAN_OPTIONS

# final_stat LOG NAME: a -print_final_stats value
final_stat() { sed -n "s/^stat::$2: *//p" "$1" | tail -n 1; }

# describe BIN FILE: "SUMMARY ... | first frame in sim/ (or tests/fuzz/)"
describe() {
    # shellcheck disable=SC2086
    out=$("$1" $LIMITS "$2" 2>&1)
    sum=$(echo "$out" | grep -E '^SUMMARY:|^fuzz_[a-z]+: |ERROR: libFuzzer' | head -n 1 |
        sed -e 's/ ([^ )]*+0x[0-9a-f]*) (BuildId: [0-9a-f]*)//' -e 's/^==[0-9]*== //')
    frame=$(echo "$out" | grep -E '^ +#[0-9]+ .* in [A-Za-z_0-9]+ .*(sim|tests/fuzz)/' |
        head -n 1 | sed 's/^ *#[0-9]* 0x[0-9a-f]* in //')
    lib=$(echo "$out" | grep -E '^ +#[0-9]+ .*\((/usr)?/lib/' | head -n 1 |
        sed -n 's/^ *#[0-9]* 0x[0-9a-f]* in \([^ ]*\) .*/\1/p')
    echo "${sum:-no failure on replay} | ${frame:-?}${lib:+ | first library frame: $lib}"
}

# regress H: replay the committed cases of harness H; the cases that pass
# are copied to $tmp/seeds-H/ (seeds for the fuzzing run)
regress() {
    h=$1
    seeds=$tmp/seeds-$h
    rm -rf "$seeds"
    mkdir -p "$seeds"
    set --
    for f in "$REG/$h"/*; do
        case ${f##*/} in README* | '*') continue ;; esac
        [ -f "$f" ] && set -- "$@" "$f"
    done
    if [ $# -eq 0 ]; then
        echo "fuzz-regress $h: no cases"
        return 0
    fi
    log=$dir/logs/$h.regress.log
    # shellcheck disable=SC2086
    "$dir/$h" $LIMITS -artifact_prefix="$tmp/" "$@" >"$log" 2>&1
    rc=$?
    if [ "$rc" -eq 0 ]; then
        cp "$@" "$seeds/"
        echo "fuzz-regress $h: $# cases passed"
        return 0
    fi
    bad=0
    for f in "$@"; do
        # shellcheck disable=SC2086
        if "$dir/$h" $LIMITS -artifact_prefix="$tmp/" "$f" >/dev/null 2>&1; then
            cp "$f" "$seeds/"
        else
            bad=$((bad + 1))
        fi
    done
    echo "fuzz-regress $h: FAILED: $bad of $# cases, log $log; each failing case:"
    for f in "$@"; do
        [ -f "$seeds/${f##*/}" ] || echo "  $f: $(describe "$dir/$h" "$f")"
    done
    return 1
}

# fuzz H: libFuzzer for FUZZ_SECONDS on corpus/H and the regression cases
# that pass; after a crash it starts again with the time left, up to
# FUZZ_MAX_CRASHES (10) crashes
fuzz() {
    h=$1
    art=$dir/artifacts/$h
    mkdir -p "$art" "$dir/corpus/$h"
    rm -f "$dir/logs/$h".fuzz.*.log
    ls "$art" >"$tmp/before" 2>/dev/null
    dict=
    [ -f "$dir/$h.dict" ] && dict="-dict=$dir/$h.dict"
    budget=${FUZZ_SECONDS:-60}
    start=$(date +%s)
    runs=0
    n=0
    crashes=0
    last=
    while :; do
        left=$((budget - ($(date +%s) - start)))
        [ "$left" -ge 1 ] || break
        n=$((n + 1))
        log=$dir/logs/$h.fuzz.$n.log
        # shellcheck disable=SC2086
        "$dir/$h" -max_total_time="$left" $LIMITS $dict -print_final_stats=1 \
            -artifact_prefix="$art/" ${FUZZ_FLAGS:-} \
            "$dir/corpus/$h" "$tmp/seeds-$h" >"$log" 2>&1
        rc=$?
        r=$(final_stat "$log" number_of_executed_units)
        runs=$((runs + ${r:-0}))
        l=$(grep -E '^#[0-9]+[[:space:]].*cov: ' "$log" | tail -n 1)
        [ -n "$l" ] && last=$l
        [ "$rc" -eq 0 ] && break
        crashes=$((crashes + 1))
        [ "$crashes" -lt "${FUZZ_MAX_CRASHES:-10}" ] || break
    done
    secs=$(($(date +%s) - start))
    cov=$(echo "$last" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
    ft=$(echo "$last" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
    corp=$(echo "$last" | sed -n 's/.* corp: \([^ ]*\).*/\1/p')
    rate="?"
    [ "$secs" -gt 0 ] && rate=$((runs / secs))
    echo "fuzz $h: $runs runs in $secs s ($rate exec/s), cov ${cov:-?}," \
        "ft ${ft:-?}, corpus ${corp:-?}, $crashes crash(es) in $n run(s)"
    # shellcheck disable=SC2012
    ls "$art" | sort >"$tmp/after"
    new=$(sort "$tmp/before" | comm -13 - "$tmp/after")
    if [ "$crashes" -gt 0 ] || [ -n "$new" ]; then
        echo "fuzz $h: FAILED, logs $dir/logs/$h.fuzz.*.log; new inputs in $art/:"
        for a in $new; do
            echo "  $a: $(describe "$dir/$h" "$art/$a")"
        done
        echo "  minimise: $dir/$h -minimize_crash=1 -max_total_time=120 ARTIFACT"
        echo "  a bug in our code: copy the minimised input to $REG/$h/"
        return 1
    fi
    return 0
}

for h in "$@"; do
    if [ ! -x "$dir/$h" ]; then
        echo "run_fuzz.sh: $dir/$h is not built" >&2
        exit 2
    fi
    regress "$h" || failed="$failed $h"
    if [ "$mode" = fuzz ]; then
        fuzz "$h" || failed="$failed $h"
    fi
    # the temporary files (also those of crashed processes)
    rm -rf "${tmp:?}/"* "${out:?}/"*
    mkdir -p "$out"
done
if [ -n "$failed" ]; then
    echo "fuzz: failed:$(echo "$failed" | tr ' ' '\n' | sort -u | tr '\n' ' ')"
    exit 1
fi
exit 0
