#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# tools.sh - every kind of result file opens in other people's tools:
# ncdump (-h and the full data), h5dump (-H and the full data) and
# xarray.open_dataset, with the expected dimension names, labelled string
# coordinates that .sel() selects on, time decoded to datetime64, and for
# sweeps param_value, point and seed.
#
# Kinds covered here: an ensemble (`run --replicates 3`), a sweep, one shard
# of a sweep (`--shard 0/2`, runs of the other shard not done), a merged
# sweep (`sim merge` of two shards) and a comparison (`sim compare`).  A
# single run is covered by run_and_read.sh (ncdump -h, h5dump -H and
# check_result.py's xarray checks) and not repeated; experiments.sh and
# sweep.sh check the contents of ensembles, comparisons and sweeps, not
# these tools.
#   SIM     the program under test (may be relative to the repository root)
#   PYTHON  a Python with xarray, numpy and pandas (/usr/bin/python3)
# shellcheck source-path=SCRIPTDIR source=common.inc
. "$(dirname "$0")/common.inc"

cp -r "$ROOT/scenarios" "$ROOT/configs" "$W/"
sed 's/^  months = 24;/  months = 6;/' "$ROOT/scenarios/baseline.cfg" >"$W/scenarios/short.cfg"
grep -q '^  months = 6;' "$W/scenarios/short.cfg" || not_ok "scenarios/short.cfg: months not set"
cat >"$W/configs/t.cfg" <<'CFG'
sweep = { scenario = "../scenarios/short.cfg"; design = "lhs"; points = 20; seed = 2; replicates = 2;
          variables = ["stock", "flow", "cohesion", "sanctions"]; };
axes = ( { path = "agents.CHN.secondary"; min = 0.0; max = 0.8; },
         { path = "events.nk_shells.month"; values = [2.0, 4.0]; } );
CFG

# ---- make one file of each kind ---------------------------------------------------------
sim run -q --replicates 3 --months 6 -o ensemble.h5
expect_rc "ensemble: sim run --replicates 3" 0
sim sweep configs/t.cfg -o sweep.h5 -q
expect_rc "sweep: sim sweep" 0
sim sweep configs/t.cfg --shard 0/2 -o shard0.h5 -q
expect_rc "sim sweep --shard 0/2" 0
sim sweep configs/t.cfg --shard 1/2 -o shard1.h5 -q
expect_rc "sim sweep --shard 1/2" 0
for i in 0 1; do
    if [ -s "$W/shard$i.h5" ]; then ok "sim sweep --shard $i/2 wrote shard$i.h5"
    else not_ok "sim sweep --shard $i/2 wrote shard$i.h5 (no such file)"; fi
done
sim merge -o merged.h5 shard0.h5 shard1.h5
expect_rc "merged sweep: sim merge" 0
# a sweep smaller than the shards: a shard may get no runs, but what the
# program says it wrote must exist (and be a valid, empty shard)
sed 's/points = 20;/points = 2;/' "$W/configs/t.cfg" >"$W/configs/tiny.cfg"
for i in 0 1 2; do
    sim sweep configs/tiny.cfg --shard "$i/3" -o "tiny$i.h5" -q
    if [ "$RC" -ne 0 ]; then
        not_ok "tiny sweep, --shard $i/3: exit $RC"; show "$ERR"
    elif [ ! -s "$W/tiny$i.h5" ]; then
        not_ok "tiny sweep, --shard $i/3: exit 0 but no tiny$i.h5"
    fi
done
sim merge -o tiny.h5 tiny0.h5 tiny1.h5 tiny2.h5
if [ "$RC" -eq 0 ] && [ -s "$W/tiny.h5" ]; then
    ok "a sweep of 4 runs in 3 shards: every shard file written, and merged"
else
    not_ok "a sweep of 4 runs in 3 shards: every shard file written, and merged (merge exit $RC)"
    show "$ERR"
fi
sim compare scenarios/baseline.cfg scenarios/caspian_interdiction.cfg --replicates 3 --months 6 -o compare.h5
expect_rc "comparison: sim compare baseline caspian_interdiction --replicates 3" 0

# tool KIND LOG CMD ARGS... : run CMD in $W (output to LOG); exit 0 expected
tool() {
    kind=$1 log=$2
    shift 2
    (cd "$W" && timeout -k 5 120 "$@") >"$log" 2>&1
    trc=$?
    if [ "$trc" -eq 0 ]; then ok "$kind: $*: exit 0"; else
        not_ok "$kind: $*: exit 0 (got $trc)"
        show "$log"
    fi
}
# no_phony KIND LOG : netCDF names every dimension from a scale (no phony_dim_N)
no_phony() {
    if grep -q "phony_dim" "$2"; then not_ok "$1: ncdump names every dimension (found phony_dim)"
    else ok "$1: ncdump names every dimension (no phony_dim)"; fi
}

# the header lines every kind shares (with or without a leading scenario)
common_nc() {
    echo "string agent(agent) ;"
    echo "string partner(partner) ;"
    echo "string good(good) ;"
    echo "string route(route) ;"
    echo 'time:units = "days since 2023-01-01" ;'
    echo 'time:calendar = "standard" ;'
    echo "time = 6 ;"
    echo "agent = 7 ;"
    echo "good = 4 ;"
    echo "uint64 seed(run) ;"
    echo ':Conventions = "CF-1.8" ;'
}

for kind in ensemble sweep shard0 merged compare; do
    file=$kind.h5
    if [ ! -s "$W/$file" ]; then
        not_ok "$kind: $file was not written; its tools checks skipped"
        continue
    fi
    # ---- ncdump ----
    tool "$kind" "$T/log/$kind.nc" ncdump -h "$file"
    no_phony "$kind" "$T/log/$kind.nc"
    common_nc >"$T/log/want"
    case $kind in
    ensemble)
        printf '%s\n' "run = UNLIMITED ; // (3 currently)" "double stock(run, time, agent, good) ;" \
            "double flow(run, time, agent, partner, good) ;" "double cohesion(run, time) ;" \
            "double route_flow(run, time, route, good) ;" >>"$T/log/want" ;;
    sweep | shard0 | merged)
        if [ "$kind" = shard0 ]; then echo "run = UNLIMITED ;"; else
            echo "run = UNLIMITED ; // (40 currently)"; fi >>"$T/log/want"
        printf '%s\n' "param = 2 ;" "string param(param) ;" "string param_unit(param) ;" \
            "double param_value(run, param) ;" "int point(run) ;" \
            "double stock(run, time, agent, good) ;" "double flow(run, time, agent, partner, good) ;" \
            "double cohesion(run, time) ;" "double sanctions(run, time, agent) ;" \
            ':sweep_hash = ' >>"$T/log/want" ;;
    compare)
        printf '%s\n' "scenario = 2 ;" "run = UNLIMITED ; // (3 currently)" "string scenario(scenario) ;" \
            "string scenario_config(scenario) ;" "double stock(run, scenario, time, agent, good) ;" \
            "double flow(run, scenario, time, agent, partner, good) ;" \
            "double cohesion(run, scenario, time) ;" "group: events {" \
            "string event_scenario(event) ;" >>"$T/log/want" ;;
    esac
    missing=""
    while IFS= read -r line; do
        grep -qF -- "$line" "$T/log/$kind.nc" || missing="$missing '$line'"
    done <"$T/log/want"
    if [ -z "$missing" ]; then ok "$kind: ncdump -h shows the dimensions and variables"; else
        not_ok "$kind: ncdump -h shows the dimensions and variables (missing:$missing)"
        show "$T/log/$kind.nc"
    fi
    tool "$kind" "$T/log/$kind.ncdata" ncdump "$file"
    # ---- h5dump ----
    tool "$kind" "$T/log/$kind.h5" h5dump -H "$file"
    want='DATASET "agent"|DATASET "good"|DATASET "time"|DATASET "stock"|DATASET "seed"|ATTRIBUTE "DIMENSION_LIST"|ATTRIBUTE "config"|ATTRIBUTE "Conventions"'
    case $kind in
    sweep | shard0 | merged) want="$want"'|DATASET "param_value"|DATASET "point"|DATASET "param"' ;;
    compare) want="$want"'|DATASET "scenario"|DATASET "scenario_config"' ;;
    esac
    missing=$(echo "$want" | tr '|' '\n' | while IFS= read -r s; do
        grep -qF -- "$s" "$T/log/$kind.h5" || printf " '%s'" "$s"
    done)
    if [ -z "$missing" ]; then ok "$kind: h5dump -H shows the datasets and attributes"; else
        not_ok "$kind: h5dump -H shows the datasets and attributes (missing:$missing)"
        show "$T/log/$kind.h5"
    fi
    tool "$kind" "$T/log/$kind.h5data" h5dump "$file"
    # ---- xarray ----
    if "$PYTHON" - "$W/$file" "$kind" >"$T/log/$kind.py" 2>&1 <<'PY'
import sys
import numpy as np
import pandas as pd
import xarray as xr

path, kind = sys.argv[1:3]
ds = xr.open_dataset(path)
lead = ("run", "scenario") if kind == "compare" else ("run",)
assert not [d for d in ds.dims if d.startswith("phony_dim")], ds.dims
# labelled string coordinates
for dim in ("agent", "partner", "good", "route"):
    assert dim in ds.coords, (dim, list(ds.coords))
    assert all(isinstance(v, str) for v in ds[dim].values), (dim, ds[dim].values)
assert list(ds.agent.values)[:4] == ["RUS", "CHN", "IRN", "PRK"], ds.agent.values
assert list(ds.good.values) == ["shells", "drones", "chips", "oil"], ds.good.values
assert list(ds.partner.values) == list(ds.agent.values)
# time decoded: datetime64, monthly from 2023-01-01
t = ds.time.values
assert np.issubdtype(t.dtype, np.datetime64), t.dtype
assert (pd.DatetimeIndex(t) == pd.date_range("2023-01-01", periods=6, freq="MS")).all(), t
# .sel on the labels, with a datetime too
s = ds.stock.sel(agent="RUS", good="shells")
assert s.dims == lead + ("time",), s.dims
f = ds.flow.sel(agent="PRK", partner="RUS", good="shells", time="2023-03-01")
assert f.dims == lead, f.dims
c = ds.cohesion.sel(time=slice("2023-02", "2023-04"))
assert c.sizes["time"] == 3, c.sizes
assert ds.stock.dims == lead + ("time", "agent", "good"), ds.stock.dims
assert ds.seed.dims == ("run",), ds.seed.dims
if kind in ("sweep", "shard0", "merged"):
    for v, dims in (("param_value", ("run", "param")), ("point", ("run",)), ("seed", ("run",))):
        assert v in ds and ds[v].dims == dims, (v, ds[v].dims if v in ds else None)
    assert list(ds.param.values) == ["agents.CHN.secondary", "events.nk_shells.month"], ds.param.values
    pv = ds.param_value.sel(param="events.nk_shells.month").values
    point = ds.point.values
    done = point >= 0
    assert set(pv[done].tolist()) <= {2.0, 4.0}, pv
    if kind == "shard0":   # its own runs only, labelled with their index
        run = ds.run.values
        assert 0 < run.size < 40 and done.all(), (run, point)
        assert (np.diff(run) > 0).all() and run.max() < 40, run
        assert (point == run // 2).all(), point
        assert not np.isnan(s.values).any()
    else:
        assert list(point) == [k // 2 for k in range(40)], point
        assert not np.isnan(s.values).any()
if kind == "compare":
    assert list(ds.scenario.values) == ["baseline", "caspian_interdiction"], ds.scenario.values
    d = ds.stock.sel(scenario="caspian_interdiction", agent="RUS", good="drones")
    assert d.dims == ("run", "time"), d.dims
    ev = xr.open_dataset(path, group="events")
    assert "scenario_config" in ds and "event_scenario" in ev, list(ev)
    assert set(ev.event_scenario.values) <= set(ds.scenario.values)
print("xarray ok:", dict(ds.sizes))
PY
    then ok "$kind: xarray.open_dataset: labelled coordinates, .sel, datetime64 time$(
        case $kind in sweep | shard0 | merged) echo ', param_value/point/seed' ;; compare) echo ', scenario axis' ;; esac)"
    else
        not_ok "$kind: xarray.open_dataset"
        show "$T/log/$kind.py"
    fi
done

finish
