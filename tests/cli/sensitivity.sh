#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# sensitivity.sh - analysis/sensitivity.py: the Sobol' estimators recover
# the Ishigami function's analytic indices (tests/test_sensitivity.py), and
# on a small saltelli sweep of the real program the script prints the
# table, writes the chart (PNG and SVG) and the CSV, finds an inert axis
# inert and the dominant one dominant; it refuses, in one line with exit 2
# and no image, any file that is not a complete saltelli sweep, unknown
# variables and labels, and bad months.
#   SIM     the program under test (may be relative to the repository root)
#   PYTHON  a Python with numpy, xarray and matplotlib (/usr/bin/python3)
# shellcheck source-path=SCRIPTDIR source=common.inc
. "$(dirname "$0")/common.inc"

if [ "${SIM_SANITIZE:-}" = 1 ]; then
    # these checks are of the Python scripts; the sim runs they make are
    # exercised under ASan by sweep.sh, tools.sh and export.sh
    ok "$NAME # skipped under SANITIZE=1: it tests Python scripts, not sim"
    finish
fi

SENS=$ROOT/analysis/sensitivity.py
# sens ARGS... : run sensitivity.py in $W, output to $OUT/$ERR, status in $RC
sens() {
    (cd "$W" && exec timeout -k 5 120 "$PYTHON" "$SENS" "$@") >"$OUT" 2>"$ERR"
    RC=$?
}

# ---- the estimators: Ishigami and friends ----------------------------------------
timeout 120 "$PYTHON" "$ROOT/tests/test_sensitivity.py" >"$T/log/unit" 2>&1
urc=$?
sed -n -e 's/^ok - /ok - test_sensitivity.py: /p' -e 's/^not ok - /not ok - test_sensitivity.py: /p' \
    -e '/^#   /p' "$T/log/unit"
n=$(grep -c '^not ok' "$T/log/unit")
failures=$((failures + n))
if [ "$urc" -ne 0 ] && [ "$n" -eq 0 ]; then
    not_ok "test_sensitivity.py: exit $urc"
    show "$T/log/unit"
fi

# ---- a small saltelli sweep of the real program --------------------------------------
cp -r "$ROOT/scenarios" "$ROOT/configs" "$W/"
sed 's/^  months = 24;/  months = 12;/' "$ROOT/scenarios/baseline.cfg" >"$W/scenarios/short.cfg"
grep -q '^  months = 12;' "$W/scenarios/short.cfg" || not_ok "scenarios/short.cfg: months not set"
# sanctions.aid_scale only matters with sanctions.feedback = true, which the
# baseline does not set: an inert axis, whose indices must be 0 exactly
cat >"$W/configs/salt.cfg" <<'CFG'
sweep = { scenario = "../scenarios/short.cfg"; design = "saltelli"; points = 32; replicates = 2;
          variables = ["shortfall", "production", "cohesion"]; };
axes = ( { path = "goods.drones.sensitivity"; min = 0.2; max = 0.8; },
         { path = "agents.CHN.listing"; min = 0.1; max = 0.6; },
         { path = "sanctions.aid_scale"; min = 1e8; max = 1e11; scale = "log"; } );
CFG
sim sweep configs/salt.cfg -o salt.h5 --jobs 2 -q
expect_rc "saltelli sweep, N = 32, 3 axes, 2 replicates" 0

sens salt.h5 --var shortfall --good drones --var cohesion --bootstrap 500 --seed 4 \
    -o out/salt.png --csv out/salt.csv
if [ "$RC" -eq 1 ] && [ "$(lines "$ERR")" = 1 ] && grep -q "^sensitivity: cannot write .*out/" "$ERR" &&
    [ ! -e "$W/out" ]; then
    ok "an output in a missing directory: exit 1, one line, nothing written"
else
    not_ok "an output in a missing directory: exit 1, one line, nothing written (exit $RC)"
    show "$ERR"
fi
mkdir -p "$W/out"
sens salt.h5 --var shortfall --good drones --var cohesion --bootstrap 500 --seed 4 \
    -o out/salt.png --csv out/salt.csv
if [ "$RC" -eq 0 ]; then ok "sensitivity.py on the sweep: exit 0"; else
    not_ok "sensitivity.py on the sweep: exit 0 (got $RC)"; show "$ERR"; fi
cp "$OUT" "$T/log/table"
sed -n '1,30s/^/#   /p' "$T/log/table"
has "the table has its header and one row per axis" "$T/log/table" \
    "N = 32, d = 3, 2 replicates a point (averaged before estimating), 320 runs" \
    "param" "S1 low" "S1 high" "ST low" "ST high" \
    "goods.drones.sensitivity " "agents.CHN.listing " "sanctions.aid_scale " \
    "shortfall, RUS, drones, mean over 2023-01..2023-12" "cohesion, mean over"
if [ ! -s "$ERR" ]; then ok "nothing on stderr"; else not_ok "nothing on stderr"; show "$ERR"; fi
if "$PYTHON" - "$W/out/salt.csv" "$T/log/table" <<'PY'
import csv, math, sys
rows = list(csv.DictReader(open(sys.argv[1])))
assert len(rows) == 6, len(rows)
ix = {(r["var"], r["param"]): {k: float(r[k]) for k in
      ("S1", "S1_low", "S1_high", "ST", "ST_low", "ST_high")} for r in rows}
for key, v in ix.items():
    assert all(math.isfinite(x) for x in v.values()), (key, v)
    assert v["S1_low"] <= v["S1"] + 1e-12 and v["S1"] <= v["S1_high"] + 1e-12 or \
        v["S1_high"] - v["S1_low"] < 1e-9, (key, v)     # a point estimate may stray a little
    assert -0.5 < v["S1"] < 1.5 and -1e-12 <= v["ST"] < 2.0, (key, v)
    # a total index is never clearly below the first-order one
    assert v["ST"] >= v["S1"] - (v["S1_high"] - v["S1_low"]) - 0.05, (key, v)
# the inert axis: exactly 0 (its A_B runs are the A runs, bit for bit)
for var in ("shortfall", "cohesion"):
    z = ix[(var, "sanctions.aid_scale")]
    assert all(x == 0 for x in z.values()), (var, z)
# drone output lost to Western-input dependence drives the drone shortfall
d = ix[("shortfall", "goods.drones.sensitivity")]
assert d["ST"] > 0.5 and d["S1"] > 0.5 and d["ST_low"] > ix[("shortfall", "agents.CHN.listing")]["ST_high"], d
# the printed table and the CSV agree
table = open(sys.argv[2]).read()
assert "%8.4f" % d["S1"] in table and "%8.4f" % d["ST"] in table
PY
then ok "indices finite, intervals sensible, inert axis exactly 0, dominant axis dominant"
else not_ok "the indices of the small sweep"; fi
if "$PYTHON" - "$W/out/salt.png" "$W/out/salt.svg" <<'PY'
import struct, sys
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
w, h = struct.unpack(">II", data[16:24])
assert w >= 800 and h >= 400 and len(data) > 20000, (w, h, len(data))
svg = open(sys.argv[2]).read()
for s in ("<svg", "Sobol", "goods.drones.sensitivity", "swept parameter"):
    assert s in svg, s
PY
then ok "a PNG and an SVG bar chart, with title and labelled axes"; else not_ok "the chart files"; fi
has "it says what it wrote" "$T/log/table" "wrote out/salt.png" "wrote out/salt.svg" "wrote out/salt.csv"

# the same seed, the same numbers; one month and a window
sens salt.h5 --var shortfall --good drones --var cohesion --bootstrap 500 --seed 4 \
    -o again.png --csv again.csv
if cmp -s "$W/out/salt.csv" "$W/again.csv"; then ok "the same --seed gives the same CSV"
else not_ok "the same --seed gives the same CSV"; fi
sens salt.h5 --var shortfall --agent RUS --good drones --month 2023-06 --bootstrap 100 -o m.png
if [ "$RC" -eq 0 ] && grep -q "in 2023-06" "$OUT"; then ok "--month 2023-06"
else not_ok "--month 2023-06 (exit $RC)"; show "$ERR"; fi
sens salt.h5 --var cohesion --from 3 --to 8 --bootstrap 100 -o w.png
if [ "$RC" -eq 0 ] && grep -q "mean over 2023-04..2023-09" "$OUT"; then ok "--from 3 --to 8 (month indices from 0)"
else not_ok "--from 3 --to 8 (exit $RC)"; show "$ERR" "$OUT"; fi

# a sweep merged from shards gives the same numbers
sim sweep configs/salt.cfg --shard 0/2 -o shard.h5 -q
sim sweep configs/salt.cfg --shard 1/2 -o shard1.h5 -q
sim merge -o merged.h5 shard.h5 shard1.h5
sens merged.h5 --var shortfall --good drones --var cohesion --bootstrap 500 --seed 4 \
    -o merged.png --csv merged.csv
if [ "$RC" -eq 0 ] && cmp -s "$W/out/salt.csv" "$W/merged.csv"; then
    ok "a sweep merged from two shards gives the same CSV"
else
    not_ok "a sweep merged from two shards gives the same CSV (exit $RC)"; show "$ERR"
fi

# ---- refusals: one line, exit 2, no image ----------------------------------------------
sim run -q --replicates 2 --months 6 -o ens.h5
sim compare scenarios/baseline.cfg scenarios/dedollarisation.cfg --replicates 2 --months 6 -o cmp.h5
# an LHS of 10 points over 3 axes: as many points as a saltelli design of N = 2
sed -e 's/design = "saltelli"; points = 32;/design = "lhs"; points = 10; seed = 3;/' \
    "$W/configs/salt.cfg" >"$W/configs/lhs.cfg"
sim sweep configs/lhs.cfg -o lhs.h5 -q
printf 'not hdf5\n' >"$W/text.h5"
refuse() { # refuse WHAT FRAGMENT ARGS...
    what=$1 frag=$2
    shift 2
    rm -f "$W/r.png" "$W/r.svg"
    sens "$@" -o r.png
    if [ "$RC" -eq 2 ] && [ "$(lines "$ERR")" = 1 ] && grep -q "^sensitivity: .*$frag" "$ERR" &&
        [ ! -e "$W/r.png" ] && [ ! -e "$W/r.svg" ]; then
        ok "refuses $what"
    else
        not_ok "refuses $what (exit $RC, expected 2, one line with '$frag', no image)"
        show "$ERR" "$OUT"
    fi
}
refuse "an ensemble" "not a sweep" ens.h5 --var cohesion
refuse "a comparison" "comparison file" cmp.h5 --var cohesion
refuse "a shard (runs not done)" "runs not done" shard.h5 --var cohesion
refuse "another design" "a lhs sweep (its sweep_design attribute)" lhs.h5 --var cohesion
refuse "a text file" "not a result file" text.h5 --var cohesion
refuse "a missing file" "no such file" nothere.h5 --var cohesion
refuse "an unknown variable" "'bogus' is not recorded" salt.h5 --var bogus
refuse "a variable not recorded" "'flow' is not recorded" salt.h5 --var flow
refuse "an unknown agent" "no agent 'USA'" salt.h5 --var shortfall --agent USA --good shells
refuse "a good dimension without --good" "give --good" salt.h5 --var shortfall
refuse "a month not recorded" "not recorded" salt.h5 --var cohesion --month 40
refuse "--month with --from" "not both" salt.h5 --var cohesion --month 2 --from 1
refuse "an output constant over the design" "undefined" salt.h5 --var production --agent CHN --good oil
refuse "a selector no variable has" "none of the variables" salt.h5 --var cohesion --partner CHN
refuse "no --var" "required" salt.h5

finish
