#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# plots.sh - the analysis scripts (plot_run.py, plot_trade.py, plot_sweep.py,
# plot_shells.py, compare.py; sensitivity.py has sensitivity.sh) draw every
# kind of result file the program writes: a run, an ensemble, a sweep (one
# with runs not done too, one merged from shards) and a comparison.  Each
# writes a PNG of the expected size and a parseable SVG, named after its
# input by default (a.h5 -> a.run.png) and never replacing the figure of
# another input; each refuses bad input with one line `NAME: ...`, exit 2
# and no image; --help works.  compare.py's figures are the program's:
# evaluated from configs/headlines.cfg, they equal `sim compare`'s table.
# The sweep panels draw binned means with intervals (no smoother) and say
# when nothing differs and when an axis is narrow; the heatmap explains its
# empty cells.
. "$(dirname "$0")/common.inc"

if [ "${SIM_SANITIZE:-}" = 1 ]; then
    # these checks are of the Python scripts; the sim runs they make are
    # exercised under ASan by sweep.sh, tools.sh and export.sh
    ok "$NAME # skipped under SANITIZE=1: it tests Python scripts, not sim"
    finish
fi

A=$ROOT/analysis

# ---- results --------------------------------------------------------------------
sim run -q -o run.h5
expect_rc "a run" 0
sim run -q --replicates 5 -o ens.h5
expect_rc "an ensemble of 5" 0
cat >"$W/tiny.cfg" <<EOF
sweep = {
  scenario = "$ROOT/scenarios/baseline.cfg";
  design = "grid";
  replicates = 2;
  variables = ["production", "shortfall", "imports", "flow", "interdicted", "cohesion"];
};
axes = (
  { path = "agents.CHN.secondary"; min = 0.0; max = 0.8; levels = 3; },
  { path = "routes.caspian.interdiction"; values = [0.1, 0.5, 0.9]; }
);
EOF
sim sweep tiny.cfg -o sweep.h5 -q
expect_rc "a grid sweep of 9 points x 2 replicates" 0
sim sweep tiny.cfg --shard 0/2 -o shard0.h5 -q && sim sweep tiny.cfg --shard 1/2 -o shard1.h5 -q &&
    sim merge -o merged.h5 shard0.h5 shard1.h5
expect_rc "the same sweep in two shards, merged" 0
sim compare "$ROOT/scenarios/baseline.cfg" "$ROOT/scenarios/sanctions_escalation.cfg" --replicates 4 -o cmp.h5
expect_rc "a comparison of 4 paired runs" 0
# an interrupted sweep: the last 6 runs not done (point = -1)
cp "$W/sweep.h5" "$W/part.h5"
if "$PYTHON" - "$W/part.h5" <<'PY'
import sys, h5py
with h5py.File(sys.argv[1], "r+") as f:
    p = f["point"][...]
    p[-6:] = -1
    f["point"][...] = p
PY
then ok "marked 6 runs of a sweep not done"; else not_ok "cannot edit part.h5"; fi
echo "not a result" >"$W/notes.h5"

# ---- helpers --------------------------------------------------------------------
# plot WHAT SCRIPT ARGS... : the script exits 0 and names both images it wrote
plot() {
    what=$1 script=$2
    shift 2
    (cd "$W" && exec timeout -k 5 120 "$PYTHON" "$A/$script" "$@") >"$OUT" 2>"$ERR"
    # shellcheck disable=SC2034 # read by expect_rc
    RC=$?
    expect_rc "$what" 0
}
# image WHAT BASE WIDTH HEIGHT MINBYTES : BASE.png is a PNG of that size and
# at least MINBYTES; BASE.svg is well-formed XML with an <svg> root
image() {
    if "$PYTHON" - "$W/$2" "$3" "$4" "$5" <<'PY' 2>"$ERR.img"
import struct, sys
import xml.etree.ElementTree as ET
base, w, h, least = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
data = open(base + ".png", "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
size = struct.unpack(">II", data[16:24])
assert size == (w, h), f"PNG is {size[0]}x{size[1]}, not {w}x{h}"
assert len(data) >= least, f"PNG has {len(data)} bytes, fewer than {least}"
root = ET.parse(base + ".svg").getroot()
assert root.tag.endswith("svg"), root.tag
PY
    then
        ok "$1: $3x$4 PNG and an SVG"
    else
        not_ok "$1: $3x$4 PNG and an SVG"
        show "$ERR.img"
    fi
}
# refuse WHAT FRAGMENT SCRIPT ARGS... : exit 2, one line `NAME: ...` holding
# FRAGMENT on stderr, and no image written (x_$IMG.png, x_$IMG.svg)
refuse() {
    what=$1 frag=$2 script=$3
    shift 3
    x=$W/x_$IMG
    rm -f "$x.png" "$x.svg"
    (cd "$W" && exec timeout -k 5 120 "$PYTHON" "$A/$script" "$@" -o "$x.png") >"$OUT" 2>"$ERR"
    # shellcheck disable=SC2034 # read by expect_rc
    RC=$?
    expect_rc "$what" 2
    name=${script%.py}
    if [ "$(lines "$ERR")" = 1 ] && grep -q "^$name: " "$ERR" && grep -qF -- "$frag" "$ERR"; then
        ok "$what: says '$frag'"
    else
        not_ok "$what: one line '$name: ...$frag...'"
        show "$ERR"
    fi
    if [ ! -e "$x.png" ] && [ ! -e "$x.svg" ]; then
        ok "$what: no image"
    else
        not_ok "$what: an image was left behind"
    fi
}

# ---- --help ---------------------------------------------------------------------
for s in plot_run plot_trade plot_sweep plot_shells compare sensitivity; do
    if "$PYTHON" "$A/$s.py" --help >"$OUT" 2>"$ERR" && grep -q "^usage: $s" "$OUT" && grep -q -- "-o OUT.png" "$OUT" &&
        grep -q "INPUT" "$OUT"; then
        ok "$s.py --help"
    else
        not_ok "$s.py --help"
        show "$OUT" "$ERR"
    fi
done

# ---- figures and refusals, in two lanes ---------------------------------------------
# Each lane runs in the background with its own OUT, ERR and log; its
# ok/not ok lines are printed, and its failures counted, once both are done.
lane_a() {
    plot "plot_run.py on a run" plot_run.py run.h5 -o run.png
    if grep -q "^wrote run.png$" "$OUT" && grep -q "^wrote run.svg$" "$OUT"; then
        ok "plot_run.py names what it wrote"
    else
        not_ok "plot_run.py does not name its images"
        show "$OUT"
    fi
    image "plot_run.py on a run" run 2000 2500 150000
    plot "plot_run.py on an ensemble" plot_run.py ens.h5 -o ens_run.png
    image "plot_run.py on an ensemble" ens_run 2000 2500 150000
    plot "plot_run.py on a sweep with runs not done" plot_run.py part.h5 -o part_run
    image "plot_run.py on a sweep with runs not done" part_run 2000 2500 100000

    refuse "plot_run.py, unknown agent" "no agent 'XYZ'" plot_run.py run.h5 --agent XYZ
    refuse "plot_run.py, missing file" "no such file" plot_run.py nothere.h5
    refuse "plot_trade.py, not a result file" "not a result file" plot_trade.py notes.h5
    refuse "plot_trade.py, month not recorded" "month '2031-01' is not recorded" plot_trade.py run.h5 --month 2031-01
    refuse "compare.py, not a comparison" "not a \`sim compare\` file" compare.py ens.h5
    refuse "compare.py, measures file missing" "no such file" compare.py cmp.h5 --measures nothere.cfg

    # plot_shells.py on every kind of file that records its variables
    plot "plot_shells.py on a run" plot_shells.py run.h5 -o shells.png
    image "plot_shells.py on a run" shells 1440 660 20000
    plot "plot_shells.py on an ensemble" plot_shells.py ens.h5 --agent RUS --good drones -o ens_shells.png
    image "plot_shells.py on an ensemble" ens_shells 1440 660 20000
    plot "plot_shells.py on a comparison (--scenario)" plot_shells.py cmp.h5 --scenario sanctions_escalation \
        -o cmp_shells.png
    image "plot_shells.py on a comparison" cmp_shells 1440 660 20000
    refuse "plot_shells.py, unknown agent" "no agent 'XYZ'" plot_shells.py run.h5 --agent XYZ
    refuse "plot_shells.py, a sweep without world_imports" "'world_imports' is not recorded" plot_shells.py sweep.h5
    refuse "plot_shells.py, not a result file" "not a result file" plot_shells.py notes.h5

    # named after the input; never another input's figure
    mkdir -p "$W/other"
    cp "$W/run.h5" "$W/other/run.h5"
    rm -f "$W"/run.run.png "$W"/run.run.svg
    plot "plot_run.py run.h5 (no -o)" plot_run.py run.h5
    if grep -q "^wrote run.run.png$" "$OUT" && [ -s "$W/run.run.png" ] && [ -s "$W/run.run.svg" ]; then
        ok "plot_run.py a.h5 writes a.run.png and a.run.svg"
    else
        not_ok "plot_run.py without -o: no run.run.png"
        show "$OUT"
    fi
    plot "plot_run.py run.h5 again (its own figure is redrawn)" plot_run.py run.h5
    sum=$(md5sum <"$W/run.run.png")
    (cd "$W" && exec timeout -k 5 120 "$PYTHON" "$A/plot_run.py" other/run.h5) >"$OUT" 2>"$ERR"
    RC=$?
    expect_rc "plot_run.py other/run.h5, where run.run.png is run.h5's figure" 2
    if [ "$(lines "$ERR")" = 1 ] && grep -qF "plot_run: run.run.png exists, drawn from $W/run.h5: not replaced" "$ERR" &&
        [ "$(md5sum <"$W/run.run.png")" = "$sum" ]; then
        ok "the other input's figure is named and left as it was"
    else
        not_ok "the other input's figure was replaced, or the refusal is unclear"
        show "$ERR"
    fi
    for s in plot_trade:trade plot_shells:shells; do
        plot "${s%%:*}.py ens.h5 (no -o)" "${s%%:*}.py" ens.h5
        [ -s "$W/ens.${s#*:}.png" ] && [ -s "$W/ens.${s#*:}.svg" ] && ok "${s%%:*}.py names its figure ens.${s#*:}.png" ||
            not_ok "${s%%:*}.py: no ens.${s#*:}.png"
    done
    plot "compare.py cmp.h5 (no -o)" compare.py cmp.h5
    [ -s "$W/cmp.compare.png" ] && ok "compare.py names its figure cmp.compare.png" || not_ok "no cmp.compare.png"
    if "$PYTHON" - "$W/cmp.compare.png" "$W/run.h5" <<'PY'
import sys
from PIL import Image
assert Image.open(sys.argv[1]).text["Source"].endswith("/cmp.h5")
PY
    then ok "the PNG records the file it was drawn from"; else not_ok "no Source in the PNG"; fi
}
lane_b() {
    plot "compare.py on a comparison" compare.py cmp.h5 -o cmp.png
    image "compare.py on a comparison" cmp 2000 2200 150000

    plot "plot_trade.py on a run" plot_trade.py run.h5 -o trade.png
    image "plot_trade.py on a run" trade 1800 850 60000
    plot "plot_trade.py on an ensemble, two months" plot_trade.py ens.h5 --month 2023-06 23 -o ens_trade.png
    image "plot_trade.py on an ensemble, two months" ens_trade 1800 1600 100000
    plot "plot_trade.py on a sweep (no price recorded)" plot_trade.py sweep.h5 --month first -o sweep_trade.png
    image "plot_trade.py on a sweep" sweep_trade 1800 850 60000
    if grep -q "reference prices" "$W/sweep_trade.svg"; then
        ok "plot_trade.py says it used reference prices"
    else
        not_ok "plot_trade.py does not say that price was not recorded"
    fi

    plot "plot_sweep.py, every parameter" plot_sweep.py sweep.h5 --var shortfall --good drones \
        --from 2024-01 --to 2024-12 -o sw_all.png
    image "plot_sweep.py, every parameter" sw_all 1200 580 40000
    plot "plot_sweep.py on a merged sweep, one parameter" plot_sweep.py merged.h5 --var flow --partner RUS \
        --good drones --param secondary -o sw_one.png
    image "plot_sweep.py on a merged sweep, one parameter" sw_one 1000 650 30000
    plot "plot_sweep.py, heatmap of two" plot_sweep.py part.h5 --var cohesion --param 0 --param 1 -o sw_heat.png
    image "plot_sweep.py, heatmap of two" sw_heat 1000 750 30000
    if grep -q "12 runs at 6 design points" "$W/sw_heat.svg"; then
        ok "plot_sweep.py leaves out the runs not done"
    else
        not_ok "plot_sweep.py kept runs that are not done"
    fi

    refuse "plot_sweep.py, unknown variable" "'nonsense' is not recorded" plot_sweep.py sweep.h5 --var nonsense
    refuse "plot_sweep.py, variable not recorded" "'stock' is not recorded" plot_sweep.py sweep.h5 --var stock --good oil
    refuse "plot_sweep.py, unknown good" "no good 'gold'" plot_sweep.py sweep.h5 --var shortfall --good gold
    refuse "plot_sweep.py, not a sweep" "not a sweep" plot_sweep.py run.h5 --var cohesion
    refuse "plot_sweep.py, --bins out of range" "--bins must be between 2 and 50" plot_sweep.py sweep.h5 \
        --var cohesion --bins 1

    # binned means, no smoother; the notes of a flat response and a narrow axis
    plot "plot_sweep.py on a merged sweep, binned" plot_sweep.py merged.h5 --var cohesion --param secondary \
        --bins 3 -o sw_bins.png
    if grep -q "mean of the runs in each bin, 95% interval" "$W/sw_bins.svg" &&
        ! grep -qi "lowess" "$W/sw_bins.svg"; then
        ok "plot_sweep.py draws bin means with 95% intervals, no LOWESS"
    else
        not_ok "plot_sweep.py: no binned means in the SVG"
    fi
    plot "plot_sweep.py, a parameter with no effect" plot_sweep.py sweep.h5 --var shortfall --good chips \
        --param interdiction -o sw_flat.png
    if grep -q "narrow y axis\|no clear effect" "$W/sw_flat.svg"; then
        ok "plot_sweep.py says when nothing differs or the axis is narrow"
    else
        not_ok "plot_sweep.py: no note on a flat response"
    fi
    plot "plot_sweep.py, heatmap of two binned parameters" plot_sweep.py sweep.h5 --var cohesion \
        --param 0 --param 1 --bins 4 -o sw_heat2.png
    image "plot_sweep.py, heatmap of two binned parameters" sw_heat2 1000 750 30000
    if grep -Eq "no run in this cell \([0-9]+ of [0-9]+\)" "$W/sw_heat2.svg" &&
        grep -q "narrow colour scale" "$W/sw_heat2.svg"; then
        ok "the heatmap explains its empty (grey) cells and its narrow colour scale"
    else
        not_ok "the heatmap does not explain its empty cells or its colour scale"
    fi
    refuse "compare.py, unknown scenario" "no scenario 'nope'" compare.py cmp.h5 --pair baseline nope
}
# compare.py's figures are the program's: its measures, from the same
# configs/headlines.cfg, equal the means `sim compare` prints
sim compare "$ROOT/scenarios/baseline.cfg" "$ROOT/scenarios/sanctions_escalation.cfg" --replicates 4 \
    -o cmp2.h5 --format csv
cp "$OUT" "$T/cmp.csv"
if "$PYTHON" - "$A" "$W/cmp2.h5" "$T/cmp.csv" <<'PY' >"$T/log/cross" 2>&1
import csv, sys
sys.path.insert(0, sys.argv[1])
import compare, resultlib as rl
res = rl.open_result(sys.argv[2], keep_scenario=True)
ms = compare.load_measures(compare.HEADLINES)
rows = list(csv.DictReader(open(sys.argv[3])))
assert len(rows) == len(ms), (len(rows), len(ms))
for m, r in zip(ms, rows):
    assert r["figure"] == m["label"], (r["figure"], m["label"])
    v = compare.measure_values(res, m)
    for got, want in ((v[0].mean(), float(r["base_mean"])), (v[1].mean(), float(r["scenario_mean"]))):
        assert abs(got - want) <= 1e-8 * max(1.0, abs(want)), (m["name"], got, want)
print(len(ms), "measures")
PY
then ok "compare.py's headline figures equal sim compare's ($(cat "$T/log/cross"))"
else not_ok "compare.py's figures differ from sim compare's"; show "$T/log/cross"; fi

(OUT=$T/log/a.out ERR=$T/log/a.err IMG=a && lane_a) >"$T/log/lane_a" 2>&1 &
pid_a=$!
(OUT=$T/log/b.out ERR=$T/log/b.err IMG=b && lane_b) >"$T/log/lane_b" 2>&1 &
pid_b=$!
wait "$pid_a" "$pid_b"
for l in a b; do
    cat "$T/log/lane_$l"
    failures=$((failures + $(grep -c '^not ok' "$T/log/lane_$l")))
done

finish
