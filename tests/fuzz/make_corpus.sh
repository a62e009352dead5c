#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# make_corpus.sh - build the seed corpora and dictionaries of the fuzz
# harnesses (not committed; `make fuzz` calls it through fuzz.mk).
#   sh tests/fuzz/make_corpus.sh SIM OUT
#     SIM  the program (build/sim), used for `sim check` and result files
#     OUT  the fuzz directory ($(BUILD)/fuzz); writes
#          OUT/corpus/fuzz_config/  scenario texts: configs/*.cfg and
#                                   scenarios/*.cfg flattened (@include
#                                   resolved as sim/embed.awk does) and
#                                   their resolved form (`sim check`)
#          OUT/corpus/fuzz_set/     "path=value" lines: every parameter of
#                                   the resolved baseline, the scenarios'
#                                   variant.set lists, event fields
#          OUT/corpus/fuzz_include/ files joined by NUL bytes (a.cfg, b.cfg,
#                                   c.cfg, sub/d.cfg): each scenario with
#                                   default.cfg and calibrated.cfg as b and c,
#                                   and small cases of includes, comments,
#                                   strings and integers
#          OUT/corpus/fuzz_result/  result files (a run, an ensemble, a
#                                   comparison, a subset of variables, a
#                                   record every 2 months) and truncated
#                                   and bit-flipped copies
#          OUT/corpus/fuzz_export/  the same for a run, an ensemble, a
#                                   comparison and a sweep, and the crafted
#                                   files of regressions/fuzz_result/
#          OUT/corpus/fuzz_merge/   the same for a run, an ensemble, a
#                                   sweep, a sweep's shard, a comparison
#          OUT/fuzz_config.dict, OUT/fuzz_set.dict, OUT/fuzz_include.dict
#                                   libFuzzer dictionaries
# Run from the top of the repository.  Seeds are named seed-*; files the
# fuzzer added to a corpus directory are kept.
set -eu
SIM=$1
OUT=$2
TOP=$(pwd)
case $SIM in /*) ;; *) SIM=$(pwd)/$SIM ;; esac
C=$OUT/corpus
mkdir -p "$C/fuzz_config" "$C/fuzz_set" "$C/fuzz_include" "$C/fuzz_result"
rm -f "$C"/fuzz_config/seed-* "$C"/fuzz_set/seed-* "$C"/fuzz_include/seed-* \
    "$C"/fuzz_result/seed-*
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

# flatten DIR FILE: FILE with every @include replaced by the included text,
# include paths relative to DIR (the top file's directory), as embed.awk.
flatten() {
    awk -v dir="$1" '
    function emit(path,    line, inc) {
        while ((getline line < path) > 0) {
            if (line ~ /^[ \t]*@include[ \t]+"[^"]+"/) {
                inc = line
                sub(/^[ \t]*@include[ \t]+"/, "", inc)
                sub(/".*$/, "", inc)
                emit(dir "/" inc)
                continue
            }
            print line
        }
        close(path)
    }
    BEGIN { emit(ARGV[1]); exit 0 }' "$2"
}

# ---- fuzz_config ----------------------------------------------------------
for f in configs/*.cfg scenarios/*.cfg; do
    d=$(dirname "$f")
    b=$(basename "$f" .cfg)
    flatten "$d" "$f" >"$C/fuzz_config/seed-flat-$(basename "$d")-$b.cfg"
    # scenarios resolve; the other configs (targets, measures) do not
    if "$SIM" check "$f" >"$T/r.cfg" 2>/dev/null; then
        cp "$T/r.cfg" "$C/fuzz_config/seed-resolved-$b.cfg"
    fi
done
"$SIM" check >"$T/baseline.cfg"
cp "$T/baseline.cfg" "$C/fuzz_config/seed-resolved-builtin.cfg"
# the resolved baseline with output.variables and a named event
sed -e 's/^  every = 1;.*$/  every = 2;\n  variables = ["cohesion", "shortfall", "demand"];/' \
    -e 's/^  { month = 0; kind = "set"; path = "goods.oil.discount"/  { name = "oil"; month = 0; kind = "set"; path = "goods.oil.discount"/' \
    "$T/baseline.cfg" >"$T/variables.cfg"
cp "$T/variables.cfg" "$C/fuzz_config/seed-resolved-variables.cfg"

# ---- fuzz_set -------------------------------------------------------------
# every parameter of the resolved baseline as "path=value"
awk '
/^[ \t]*#/ { next }
/= \($/ { skip = 1; next }
skip { if ($0 ~ /^\);/) skip = 0; next }
{
    sub(/[ \t]*#.*$/, "")
    if ($0 ~ /^[ \t]*};?[ \t]*$/) { n--; next }
    if ($0 ~ /= \{[ \t]*$/) {
        name = $0; sub(/^[ \t]*/, "", name); sub(/[ \t]*=.*$/, "", name)
        stack[++n] = name; next
    }
    prefix = ""
    for (k = 1; k <= n; k++) prefix = prefix stack[k] "."
    line = $0
    if (line ~ /= \{ .*\};[ \t]*$/) {     # pairs: A_B = { k = v; ... };
        name = line; sub(/^[ \t]*/, "", name); sub(/[ \t]*=.*$/, "", name)
        prefix = prefix name "."
        sub(/^[^{]*\{[ \t]*/, "", line); sub(/[ \t]*\};[ \t]*$/, "", line)
    }
    m = split(line, parts, ";")
    for (k = 1; k <= m; k++) {
        kv = parts[k]
        if (kv !~ /=/ || kv ~ /\[/) continue
        key = kv; sub(/^[ \t]*/, "", key); sub(/[ \t]*=.*$/, "", key)
        val = kv; sub(/^[^=]*=[ \t]*/, "", val); sub(/[ \t]*$/, "", val)
        gsub(/^"|"$/, "", val)
        print prefix key "=" val
    }
}' "$T/baseline.cfg" >"$T/paths"
if [ "$(wc -l <"$T/paths")" -lt 100 ]; then
    echo "make_corpus.sh: too few parameter paths from 'sim check'" >&2
    exit 1
fi
split -l 8 "$T/paths" "$T/set-"
for f in "$T"/set-*; do
    cp "$f" "$C/fuzz_set/seed-params-${f##*/set-}"
done
# the scenarios' variant.set lists and calibrated.set (not flattened)
for f in scenarios/*.cfg configs/calibrated.cfg; do
    awk '/set = \[/ { on = 1 } on { print } on && /\]/ { on = 0 }' "$f" |
        grep -o '"[^"]*=[^"]*"' | tr -d '"' >"$T/s" || true
    if [ -s "$T/s" ]; then
        cp "$T/s" "$C/fuzz_set/seed-variant-$(basename "$f" .cfg)"
    fi
done
printf '%s\n' 'events.nk_shells.month=3' 'events.nk_shells.date=2024-01' \
    'events.nk_shells.value=2' 'events.nk_shells.ramp=4' \
    >"$C/fuzz_set/seed-events"
printf '%s\n' 'agents.RUS.sanctions=0.9' 'routes.caspian.open=false' \
    'scenario.months=30' 'scenario.seed=5' 'scenario.start=2022-12' \
    'scenario.name=x' 'scenario.focus=CHN' 'output.every=3' \
    >"$C/fuzz_set/seed-cli"
printf '%s\n' 'pairs.RUS_CHN.affinity_base=0.5' 'pairs.CHN_RUS.affinity_base=0.4' \
    'agents.PRK.strategic.RUS=1.5' 'agents.RUS.capacity.shells=375000' \
    'agents.RUS.demand.drones=2e3' 'goods.oil.discount=0.16' \
    >"$C/fuzz_set/seed-paths"
printf '%s\n' 'agents.RUS.sanctions' '=1' 'agents.USA.gdp=1' 'trade.alpha=abc' \
    'scenario.months=0' 'scenario.seed=9007199254740993' 'agents.RUS.lat=1e999' \
    'events.nope.month=1' 'agents..x=1' 'a.b.c.d.e.f=1' \
    >"$C/fuzz_set/seed-bad"

# ---- fuzz_include ---------------------------------------------------------
# files a.cfg, b.cfg, c.cfg, sub/d.cfg joined by NUL bytes (fuzz_include.c)
I=$C/fuzz_include
for f in scenarios/*.cfg; do
    {
        sed -e 's|"../configs/default.cfg"|"b.cfg"|' \
            -e 's|"../configs/calibrated.cfg"|"c.cfg"|' "$f"
        printf '\0'
        cat configs/default.cfg
        printf '\0'
        cat configs/calibrated.cfg
    } >"$I/seed-scenario-$(basename "$f" .cfg)"
done
# nested in a group, in a subdirectory and back, a cycle, text after the
# closing quote, comments and strings around @include, integers
printf 'g = {\n  @include "sub/d.cfg"\n};\n\0\0\0x = 1;\n@include "../b.cfg"\n' >"$I/seed-subdir"
printf '@include "b.cfg"\n\0@include "c.cfg"\n\0@include "a.cfg"\n' >"$I/seed-cycle"
printf '@include "b.cfg" y = 2; # after\n\0x = 1;' >"$I/seed-after-quote"
printf '/* @include "b.cfg"\n*/ s = "a\n@include \\"b.cfg\\"\n";\n# @include "c.cfg"\n' >"$I/seed-hidden"
printf 'a = 4294967297; b = -2147483649; c = 0xFFFFFFFFL; d = [1, 2L];\n@include "b.cfg"\n\0e = 9223372036854775807L; f = .5e3; g = 1e400;\n' >"$I/seed-integers"
printf '\357\273\277a = 1;\n@include "b.cfg"\n\0s = "open' >"$I/seed-bom-open-string"
printf '@include "b.cfg"\nx = 1;\n\0/* open\n' >"$I/seed-open-comment"
printf '@include "/dev/zero"\n@include "."\n@include ""\n@include "sub"\n' >"$I/seed-not-files"

# ---- dictionaries ---------------------------------------------------------
# dict_entry: one libFuzzer dictionary line per input line (quoted)
dict_entry() { sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/"/' -e 's/$/"/'; }
{
    sed 's/=.*$/=/' "$T/paths"
    printf '%s\n' 'events.nk_shells.month=' 'events.nk_shells.date=' \
        'events.nk_shells.value=' 'events.nk_shells.ramp=' \
        true false 0 1 -1 1e308 -0 nan inf 0x10 9007199254740992 \
        2023-01 RUS CHN IRN PRK BLR VEN SYR shells drones chips oil caspian
} | sort -u | dict_entry >"$OUT/fuzz_set.dict"
{
    grep -o '^[ \t]*[A-Za-z_][A-Za-z0-9_]* =' "$T/baseline.cfg" |
        sed -e 's/^[ \t]*//' -e 's/ =$//'
    # shellcheck disable=SC1003
    printf '%s\n' '=' ':' ';' ',' '{' '}' '(' ')' '[' ']' '"' '#' '//' '/*' \
        '*/' true false TRUE 0x 0x7fffffffffffffff 9223372036854775807L \
        1e308 -1e-308 .5 '\"' '\\' ' = { ' ' = ( ' ' = [ ' '};' ');' '];' \
        scenario goods agents pairs routes events variant calibrated \
        month date kind path value ramp route agent note name \
        question set command variables every \
        add route_open route_close flareup unfreeze admit expel \
        'agents.RUS.sanctions=' 2023-01 RUS CHN shells
} | sort -u | dict_entry >"$OUT/fuzz_config.dict"
{
    # shellcheck disable=SC1003
    printf '%s\n' '@include "a.cfg"' '@include "b.cfg"' '@include "c.cfg"' \
        '@include "sub/d.cfg"' '@include "../b.cfg"' '@include "' 'sub/' '../' \
        '/*' '*/' '#' '//' '"' '\"' '\\' ' = ' ';' '{' '}' '(' ')' '[' ']' \
        L LL 0x 2147483648 4294967297 9223372036854775807 9223372036854775808 \
        -9223372036854775809 1e400 .5 true
} | sort -u | dict_entry >"$OUT/fuzz_include.dict"
printf '"\\x00"\n"\\xef\\xbb\\xbf"\n"\\x0a"\n' >>"$OUT/fuzz_include.dict"

# ---- fuzz_result, fuzz_export, fuzz_merge -----------------------------------
# result files written by the program, then truncated and bit-flipped copies
R=$C/fuzz_result
E=$C/fuzz_export
M=$C/fuzz_merge
mkdir -p "$E" "$M"
rm -f "$E"/seed-* "$M"/seed-*
(
    cd "$T"
    "$SIM" run -q --months 3 -o single.h5
    "$SIM" run -q --months 2 --replicates 3 --jobs 1 -o ensemble.h5
    "$SIM" run -q variables.cfg --months 3 -o variables.h5
    "$SIM" run -q --months 6 --set output.every=2 -o every2.h5
    "$SIM" run -q --months 2 --set scenario.focus=CHN -o focus.h5
    # a small sweep (2 records a run), whole and as the first of two shards
    sed -e 's|"../../scenarios/baseline.cfg"|"'"$TOP"'/scenarios/baseline.cfg"|' \
        -e 's/points = 32;/points = 3;/' -e 's/every = 1;/every = 12;/' \
        "$TOP/configs/sweeps/example.cfg" >sweep.cfg
    "$SIM" sweep sweep.cfg -o sweep.h5 >/dev/null 2>&1
    "$SIM" sweep sweep.cfg --shard 1/2 -o shard.h5 >/dev/null 2>&1
    rm -rf sweep.h5.parts shard.h5.parts
)
"$SIM" compare scenarios/baseline.cfg scenarios/dedollarisation.cfg \
    --replicates 2 --months 2 -q -o "$T/compare.h5" >/dev/null
# flip FILE OFFSET MASK: xor one byte in place
flip() {
    b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
    [ -n "$b" ] || return 0
    # shellcheck disable=SC2059
    printf "\\$(printf '%03o' $((b ^ $3)))" |
        dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}
# seeds DIR NAME... : $T/NAME.h5 into DIR, whole, truncated at 7 lengths
# and with one byte changed at 13 places
seeds() {
    d=$1
    shift
    for name in "$@"; do
        f=$T/$name.h5
        [ -f "$f" ] || continue
        cp "$f" "$d/seed-$name.h5"
        size=$(wc -c <"$f")
        for cut in 8 96 512 2048 8192 $((size / 2)) $((size - 1)); do
            if [ "$cut" -lt "$size" ]; then
                head -c "$cut" "$f" >"$d/seed-$name-cut$cut.h5"
            fi
        done
        # bit flips: in the superblock, then spread over the file
        for at in 8 9 44 48 56 64 $((size / 17)) $((size / 7)) $((size / 5)) \
                  $((size / 3)) $((size / 2)) $((size * 2 / 3)) $((size - 100)); do
            g=$d/seed-$name-flip$at.h5
            cp "$f" "$g"
            flip "$g" "$at" 4
        done
    done
}
seeds "$R" single ensemble variables every2 focus compare
seeds "$E" single ensemble every2 compare sweep
seeds "$M" single ensemble sweep shard compare
# the same data in another layout (h5repack: no chunk B-tree, contiguous)
if command -v h5repack >/dev/null 2>&1; then
    h5repack -i "$T/single.h5" -o "$R/seed-repack-single.h5" >/dev/null 2>&1 || true
    h5repack -l CONTI -i "$T/compare.h5" -o "$R/seed-repack-compare.h5" >/dev/null 2>&1 || true
    cp "$R/seed-repack-single.h5" "$R/seed-repack-compare.h5" "$E/" 2>/dev/null || true
    h5repack -l CONTI -i "$T/shard.h5" -o "$M/seed-repack-shard.h5" >/dev/null 2>&1 || true
fi
# the crafted files of the other harnesses: seeds for export
cp tests/fuzz/regressions/fuzz_result/crafted-*.h5 "$E/" 2>/dev/null || true
for f in "$E"/crafted-*.h5; do
    [ -f "$f" ] && mv "$f" "$E/seed-${f##*/}"
done
count() { find "$1" -type f | wc -l; }
echo "make_corpus.sh: $(count "$C/fuzz_config") fuzz_config," \
    "$(count "$C/fuzz_set") fuzz_set, $(count "$I") fuzz_include, $(count "$R") fuzz_result," \
    "$(count "$E") fuzz_export, $(count "$M") fuzz_merge inputs in $C"
