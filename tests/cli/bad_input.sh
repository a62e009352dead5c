#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# bad_input.sh - every class of bad input: exit 2, a one-line message
# "sim: FILE:LINE: KEY: REASON" (or "sim: --set: KEY: REASON"), and no
# output file, temporary file or other file left behind; an existing file
# at the -o path is left byte-identical.
#   SIM     the program under test (may be relative to the repository root)
#   PYTHON  a Python with h5py and xarray (unused here)
# Prints one "ok - ..." / "not ok - ..." line per check; exits 1 if any
# check failed.
# shellcheck source-path=SCRIPTDIR source=common.inc
. "$(dirname "$0")/common.inc"
# $W, the working directory, holds the scenario files.
O=$T/o     # output directory: must stay empty after a failing run
mkdir "$O"

# ---- the test scenario: the default world and two events ----------------------
cp "$ROOT/configs/default.cfg" "$W/default.cfg"
cat >"$W/scen.cfg" <<'EOF'
# bad_input.sh: a short scenario on the default world
@include "default.cfg"

scenario = {
  name = "badinput";
  start = "2023-01";
  months = 3;
  seed = 1;
  focus = "RUS";
};

events = (
  { date = "2023-02"; kind = "set"; path = "agents.RUS.sanctions"; value = 0.8; },
  { month = 1; kind = "flareup"; a = "CHN"; b = "RUS"; value = 0.1; }
);
EOF

# Control: the unmodified copy is valid, so each failure below comes from
# the one change made to it.
sim run scen.cfg -q -o "$O/out.h5"
if [ "$RC" -eq 0 ] && [ -s "$O/out.h5" ]; then
    ok "control: the unmodified scenario runs (exit 0, file written)"
else
    not_ok "control: the unmodified scenario runs (exit $RC)"
    show "$ERR"
fi
cp "$O/out.h5" "$T/result.h5" 2>/dev/null || : >"$T/result.h5"
rm -rf "$O" && mkdir "$O"

# edited FROM TO NAME FILTER... : $W/TO = $W/FROM through FILTER (a
# command reading stdin).  The filter must change the file.
edited() {
    from=$1 to=$2 name=$3
    shift 3
    "$@" <"$W/$from" >"$W/$to"
    if cmp -s "$W/$from" "$W/$to"; then
        not_ok "setup $name: the edit did not change $from"
        return 1
    fi
    return 0
}
# variant NAME FILTER... : d_NAME.cfg = default.cfg through FILTER,
# s_NAME.cfg = scen.cfg including it.
variant() {
    sed "s#\"default.cfg\"#\"d_$1.cfg\"#" "$W/scen.cfg" >"$W/s_$1.cfg"
    edited default.cfg "d_$1.cfg" "$@"
}
# scen_variant NAME FILTER... : s_NAME.cfg = scen.cfg through FILTER
scen_variant() { edited scen.cfg "s_$1.cfg" "$@"; }

# run_bad FRAGMENT... -- ARGS... : sim run ARGS -o $O/out.h5
run_bad() {
    while [ "$1" != "--" ]; do shift; done
    shift
    sim run "$@" -o "$O/out.h5"
}

# expect_bad NAME FRAGMENT... -- ARGS... : `sim run ARGS -o $O/out.h5`
# exits 2, prints one line "sim: ..." holding every FRAGMENT on stderr and
# nothing on stdout, and writes nothing (no output, no temporary file, no
# file in the working directory).
expect_bad() {
    name=$1
    shift
    rm -rf "$O" && mkdir "$O"
    ls -A "$W" >"$T/log/before"
    run_bad "$@"
    expect_rc "$name" 2
    if message_is "$@" && [ ! -s "$OUT" ]; then
        ok "$name: one-line message with$frags"
    else
        not_ok "$name: one-line message with$frags${missing:+ (missing:$missing)}"
        show "$ERR" "$OUT"
    fi
    ls -A "$W" >"$T/log/after"
    if [ -z "$(ls -A "$O")" ] && cmp -s "$T/log/before" "$T/log/after"; then
        ok "$name: no output file, no temporary file"
    else
        not_ok "$name: no output file, no temporary file (found: $(ls -A "$O" | tr '\n' ' ')$(diff "$T/log/before" "$T/log/after" | sed -n 's/^> //p' | tr '\n' ' '))"
    fi
    cp "$ERR" "$T/log/run_err"
}

# expect_bad_both NAME FRAGMENT... -- ARGS... : expect_bad, then `sim check
# ARGS` fails the same way as that `sim run` (exit 2, the same message).
expect_bad_both() {
    expect_bad "$@"
    shift
    while [ "$1" != "--" ]; do shift; done
    shift
    sim check "$@"
    if [ "$RC" -eq 2 ] && cmp -s "$ERR" "$T/log/run_err" && [ ! -s "$OUT" ]; then
        ok "$name: sim check exits 2 with the same message"
    else
        not_ok "$name: sim check exits 2 with the same message (exit $RC)"
        show "$ERR"
    fi
}

# ---- libconfig syntax errors ------------------------------------------------------
if variant syntax sed 's/^\(  alpha = \)\(2.0;\)/\1= \2/'; then
    L=$(lineof "$W/d_syntax.cfg" "alpha = = 2.0;")
    expect_bad_both "syntax error in an included file" "d_syntax.cfg:$L: " "syntax error" \
        -- s_syntax.cfg
fi
if scen_variant syntax2 sed 's/^  months = 3;/  months = 3 +;/'; then
    L=$(lineof "$W/s_syntax2.cfg" "months = 3 +;")
    expect_bad "syntax error in the scenario file" "s_syntax2.cfg:$L: " "syntax error" \
        -- s_syntax2.cfg
fi

# ---- unknown key --------------------------------------------------------------------
if variant unknown sed 's/^  alpha = 2.0;/  alpha = 2.0; alphx = 1.0;/'; then
    L=$(lineof "$W/d_unknown.cfg" "alphx = 1.0;")
    expect_bad_both "unknown key" "d_unknown.cfg:$L: trade.alphx: unknown key" \
        -- s_unknown.cfg
fi

# ---- wrong type -------------------------------------------------------------------------
if scen_variant wrongtype sed 's/^  months = 3;/  months = "3";/'; then
    L=$(lineof "$W/s_wrongtype.cfg" 'months = "3";')
    expect_bad_both "wrong type (string for months)" \
        "s_wrongtype.cfg:$L: scenario.months: wrong type" "integer" "string" \
        -- s_wrongtype.cfg
fi

# ---- out of bounds ------------------------------------------------------------------------
# agents.RUS.capacity.shells: the first "shells = " line after "RUS = {"
neg_capacity() {
    awk '/^  RUS = \{/ { r = 1 } r && /^    capacity = \{/ { c = 1 }
         c && !done && /^      shells = / { sub(/shells = [^;]*;/, "shells = -1.0;"); done = 1 }
         { print }'
}
if variant negcap neg_capacity; then
    L=$(lineof "$W/d_negcap.cfg" "shells = -1.0;")
    expect_bad_both "out of bounds: negative capacity" \
        "d_negcap.cfg:$L: agents.RUS.capacity.shells: must be between 0 and" "(got -1)" \
        -- s_negcap.cfg
fi
vuln() {
    awk '/^  caspian = \{/ { c = 1 }
         c && !done && /vulnerability = / { sub(/vulnerability = [^;]*;/, "vulnerability = 1.2;"); done = 1 }
         { print }'
}
if variant vuln vuln; then
    L=$(lineof "$W/d_vuln.cfg" "vulnerability = 1.2;")
    expect_bad_both "out of bounds: route vulnerability 1.2" \
        "d_vuln.cfg:$L: routes.caspian.vulnerability: must be between 0 and 1 (got 1.2)" \
        -- s_vuln.cfg
fi
if scen_variant zero sed 's/^  months = 3;/  months = 0;/'; then
    L=$(lineof "$W/s_zero.cfg" "months = 0;")
    expect_bad_both "out of bounds: zero months" \
        "s_zero.cfg:$L: scenario.months: must be between 1 and" "(got 0)" -- s_zero.cfg
fi
if scen_variant huge sed 's/^  months = 3;/  months = 1000000000;/'; then
    L=$(lineof "$W/s_huge.cfg" "months = 1000000000;")
    expect_bad_both "out of bounds: months = 1000000000" \
        "s_huge.cfg:$L: scenario.months: must be between 1 and" "(got 1000000000)" \
        -- s_huge.cfg
fi
if scen_variant evvalue sed 's/value = 0.8;/value = 1.5;/'; then
    L=$(lineof "$W/s_evvalue.cfg" "value = 1.5;")
    expect_bad "out of bounds: an event setting sanctions to 1.5" \
        "s_evvalue.cfg:$L: events.[0]" "agents.RUS.sanctions" "must be between 0 and 1" \
        -- s_evvalue.cfg
fi

# ---- missing required key ----------------------------------------------------------------
if scen_variant missing sed '/^  months = 3;/d'; then
    L=$(lineof "$W/s_missing.cfg" "scenario = {")
    expect_bad_both "missing required key (scenario.months)" \
        "s_missing.cfg:$L: scenario.months: missing required key" -- s_missing.cfg
fi

# ---- duplicates ------------------------------------------------------------------------------
# A second RUS right after "agents = {": the original RUS is the duplicate.
dup_agent() {
    awk '{ print } /^agents = \{/ && !done {
        print "  RUS = { name = \"Dup\"; member = true; gdp = 1.0; lat = 1.0; lon = 1.0; sanctions = 0.1; };"
        done = 1 }'
}
if variant dupagent dup_agent; then
    L=$(lineof "$W/d_dupagent.cfg" "  RUS = {" 2)
    expect_bad "duplicated agent" "d_dupagent.cfg:$L: agents.RUS: " "duplicate" \
        -- s_dupagent.cfg
fi
dup_good() {
    awk '{ print } /^goods = \{/ && !done {
        print "  shells = { unit = \"rounds\"; price = 1.0; };"; done = 1 }'
}
if variant dupgood dup_good; then
    L=$(lineof "$W/d_dupgood.cfg" "  shells = {" 2)
    expect_bad "duplicated good" "d_dupgood.cfg:$L: goods.shells: " "duplicate" \
        -- s_dupgood.cfg
fi
dup_pair() {
    awk '{ print } /^pairs = \{/ && !done { print "  RUS_CHN = { affinity = 0.1; };"; done = 1 }'
}
if variant duppair dup_pair; then
    L2=$(lineof "$W/d_duppair.cfg" "  CHN_RUS = {")
    expect_bad "duplicated pair (RUS_CHN and CHN_RUS)" "d_duppair.cfg:$L2: pairs.CHN_RUS: duplicate pair" \
        -- s_duppair.cfg
fi

# ---- unknown agents ------------------------------------------------------------------------
route_xyz() { sed '/^  caspian = {/s/b = "RUS"/b = "XYZ"/'; }
if variant route route_xyz; then
    L=$(lineof "$W/d_route.cfg" 'b = "XYZ"')
    expect_bad_both "a route naming an unknown agent" \
        "d_route.cfg:$L: routes.caspian.b: no agent named 'XYZ'" -- s_route.cfg
fi
pair_xyz() {
    awk '{ print } /^pairs = \{/ && !done { print "  CHN_XYZ = { affinity = 0.3; };"; done = 1 }'
}
if variant pair pair_xyz; then
    L=$(lineof "$W/d_pair.cfg" "CHN_XYZ = {")
    expect_bad_both "a pair naming an unknown agent" \
        "d_pair.cfg:$L: pairs.CHN_XYZ: " "unknown agent" -- s_pair.cfg
fi
if scen_variant evagent sed 's/path = "agents.RUS.sanctions"/path = "agents.XYZ.sanctions"/'; then
    L=$(lineof "$W/s_evagent.cfg" "agents.XYZ.sanctions")
    expect_bad_both "an event path naming an unknown agent" \
        "s_evagent.cfg:$L: events.[0]" "no agent named 'XYZ'" -- s_evagent.cfg
fi
if scen_variant evflare sed 's/a = "CHN"/a = "XYZ"/'; then
    L=$(lineof "$W/s_evflare.cfg" 'a = "XYZ"')
    expect_bad "a flare-up event naming an unknown agent" \
        "s_evflare.cfg:$L: events.[1].a: no agent named 'XYZ'" -- s_evflare.cfg
fi
if scen_variant evparam sed 's/path = "agents.RUS.sanctions"/path = "agents.RUS.sanctionz"/'; then
    L=$(lineof "$W/s_evparam.cfg" "agents.RUS.sanctionz")
    expect_bad_both "an event naming an unknown parameter" \
        "s_evparam.cfg:$L: events.[0]" "unknown parameter 'agents.RUS.sanctionz'" \
        -- s_evparam.cfg
fi

# ---- files that are not configurations --------------------------------------------------
: >"$W/empty.cfg"
expect_bad_both "an empty file" "empty.cfg: " "empty" -- empty.cfg
printf '\177ELF\002\001\001\000\000\000\000\000\000\000\000\000\003\000>\000' >"$W/binary.cfg"
expect_bad_both "a binary file" "binary.cfg: " "not a text file" -- binary.cfg
cp "$T/result.h5" "$W/result.h5"
expect_bad "a result file given as scenario" "result.h5: " "not a text file" -- result.h5
expect_bad_both "a nonexistent scenario file" "nosuch.cfg: " "No such file or directory" \
    -- nosuch.cfg
# A missing @include: the message should say which file is missing.
sed 's#"default.cfg"#"nosuch_include.cfg"#' "$W/scen.cfg" >"$W/s_noinclude.cfg"
L=$(lineof "$W/s_noinclude.cfg" "@include")
expect_bad "a missing @include file" "s_noinclude.cfg:$L: " "nosuch_include.cfg" \
    -- s_noinclude.cfg

# ---- --set, --seed, --months -------------------------------------------------------------
expect_bad_both "a bad --set path (unknown parameter)" \
    "sim: --set: agents.RUS.nope: unknown parameter" -- --set agents.RUS.nope=1
expect_bad "a bad --set path (unknown agent)" \
    "sim: --set: agents.XYZ.sanctions: no agent named 'XYZ'" -- --set agents.XYZ.sanctions=0.5
expect_bad "a bad --set path (no '=')" "sim: --set: " "path=value" -- --set agents.RUS.sanctions
expect_bad_both "a bad --set value (not a number)" \
    "sim: --set: agents.RUS.sanctions: 'abc' is not a number" -- --set agents.RUS.sanctions=abc
expect_bad "a bad --set value (not a boolean)" \
    "sim: --set: routes.caspian.open: 'maybe' is not true or false" -- --set routes.caspian.open=maybe
expect_bad_both "a --set value out of bounds" \
    "sim: --set: agents.RUS.sanctions: must be between 0 and 1 (got 1.5)" \
    -- --set agents.RUS.sanctions=1.5
expect_bad "a --set value out of bounds, on a scenario file" \
    "sim: --set: routes.caspian.vulnerability: must be between 0 and 1 (got 1.2)" \
    -- scen.cfg --set routes.caspian.vulnerability=1.2
expect_bad "--months 0" "sim: --months: scenario.months: must be between 1 and" "(got 0)" \
    -- --months 0
expect_bad "--seed abc" "sim: --seed: scenario.seed: 'abc' is not a number" -- --seed abc
expect_bad "--seed -1" "sim: --seed: scenario.seed: must be between 0 and" -- --seed -1
# 2^53 + 1 is above the documented maximum (2^53) and not representable:
# it must be refused, not silently rounded to another seed.
expect_bad "--seed 9007199254740993 (above 2^53)" "sim: --seed: scenario.seed: " \
    -- --seed 9007199254740993

# ---- flags ------------------------------------------------------------------------------
expect_bad "a bad flag" "sim: run: unknown option '--bogus'" -- --bogus
expect_bad "a bad flag after a scenario" "sim: run: unknown option '--bogus'" -- scen.cfg --bogus

# ---- an existing file at the -o path is left alone ---------------------------------------
# keep NAME CONTENT-FILE ARGS... : put CONTENT-FILE at $O/out.h5, run the
# failing ARGS, the file must be byte-identical and alone in $O.
keep() {
    name=$1 content=$2
    shift 2
    rm -rf "$O" && mkdir "$O"
    cp "$content" "$O/out.h5"
    before=$(md5sum <"$O/out.h5")
    sim run "$@" -o "$O/out.h5"
    after=$(md5sum <"$O/out.h5" 2>/dev/null)
    if [ "$RC" -eq 2 ] && [ "$before" = "$after" ] && [ "$(ls -A "$O")" = "out.h5" ]; then
        ok "existing -o file byte-identical after a failing run: $name"
    else
        not_ok "existing -o file byte-identical after a failing run: $name (exit $RC, files: $(ls -A "$O" | tr '\n' ' '))"
        show "$ERR"
    fi
}
printf 'precious data\n' >"$T/precious.txt"
keep "unknown key (text file)" "$T/precious.txt" s_unknown.cfg
keep "syntax error (result file)" "$T/result.h5" s_syntax.cfg
keep "--set out of bounds (result file)" "$T/result.h5" --set agents.RUS.sanctions=1.5
keep "nonexistent scenario (result file)" "$T/result.h5" nosuch.cfg
keep "bad flag (text file)" "$T/precious.txt" --bogus

finish
