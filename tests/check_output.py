#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Check a result file with the readers our users have: xarray, netCDF4, h5py.

usage: check_output.py FILE [--events N] [--expect AGENT GOOD RUN DATE VALUE]
                       [--scenarios A,B,...]
                       [--expect-scenario SCENARIO AGENT GOOD RUN DATE VALUE]

Exits 0 when every check passes; otherwise prints what failed and exits 1.
--expect asserts ds.stock.sel(agent=AGENT, good=GOOD, run=RUN, time=DATE)
equals VALUE exactly (a file without a scenario dimension).
--scenarios asserts the file has a scenario dimension with these names (in
order); without it the file must have none.
--expect-scenario asserts ds.stock.sel(scenario=SCENARIO, agent=AGENT,
good=GOOD, run=RUN, time=DATE) equals VALUE exactly.
"""
import argparse
import sys

import h5py
import netCDF4
import numpy as np
import xarray as xr

RECORD_DIMS = {
    "stock": ("agent", "good"),
    "flow": ("agent", "partner", "good"),
    "interdicted": ("agent", "partner", "good"),
    "trade_value": ("agent", "partner"),
    "price": ("good",),
    "gdp": ("agent",),
    "cohesion": (),
}
EVENT_COLS = ["event_run", "event_step", "event_kind", "event_actor",
              "event_target", "event_value", "event_label"]


def lead_dims(args):
    """The leading dimensions of every record variable."""
    return ("run", "scenario", "time") if args.scenarios else ("run", "time")


def check_scenarios(ds, ev, args):
    """The scenario coordinate, scenario_config and event_scenario, and
    selection by scenario name."""
    if not args.scenarios:
        assert "scenario" not in ds.dims, "unexpected scenario dimension"
        assert "scenario_config" not in ds and "event_scenario" not in ev
        return
    names = args.scenarios.split(",")
    assert list(ds.scenario.values) == names, list(ds.scenario.values)
    assert all(isinstance(s, str) for s in ds.scenario.values)
    assert ds.scenario_config.dims == ("scenario",), ds.scenario_config.dims
    assert all(isinstance(c, str) and c for c in ds.scenario_config.values)
    assert ds.seed.dims == ("run",), ds.seed.dims
    assert ev.event_scenario.dims == ("event",)
    assert set(ev.event_scenario.values) <= set(names), \
        set(ev.event_scenario.values)
    if "stock" in ds:
        for name in names:
            one = ds.stock.sel(scenario=name)
            assert one.dims == ("run", "time", "agent", "good"), one.dims
        agent, good = str(ds.agent.values[0]), str(ds.good.values[0])
        series = ds.stock.sel(scenario=names[0], agent=agent, good=good)
        assert series.dims == ("run", "time"), series.dims
    if args.expect_scenario:
        scen, agent, good, run, date, value = args.expect_scenario
        got = ds.stock.sel(scenario=scen, agent=agent, good=good,
                           run=int(run), time=np.datetime64(date)).item()
        assert got == float(value), \
            f"stock.sel(scenario={scen}, ...) = {got}, not {value}"


def check_xarray(path, args):
    with xr.open_dataset(path) as ds, xr.open_dataset(path, group="events") as ev:
        assert np.issubdtype(ds.time.dtype, np.datetime64), ds.time.dtype
        assert ds.time.attrs.get("long_name"), "time has no long_name"
        assert ds.attrs["Conventions"] == "CF-1.8"
        for key in ("title", "source", "history", "config", "scenario",
                    "master_seed", "hdf5_version", "gsl_version",
                    "libconfig_version", "focus_agent"):
            assert key in ds.attrs, f"global attribute {key} missing"
        for name, inner in RECORD_DIMS.items():
            if name in ds:
                assert ds[name].dims == lead_dims(args) + inner, \
                    f"{name}: dims {ds[name].dims}"
        for name, var in list(ds.variables.items()) + list(ev.variables.items()):
            assert "long_name" in var.attrs, f"{name} has no long_name"
            if var.dtype.kind in "fiu" and name not in ("time", "time_bnds"):
                assert "units" in var.attrs, f"{name} has no units"
        assert list(ds.agent.values) == list(ds.partner.values)
        assert all(isinstance(a, str) for a in ds.agent.values)
        # the event log is its own group: nothing on an event axis at the root
        assert "event" not in ds.dims, "an event dimension at the root"
        assert ev.sizes.get("event", 0) == args.events, ev.sizes
        for col in EVENT_COLS:
            assert ev[col].dims == ("event",), f"{col}: {ev[col].dims}"
        check_scenarios(ds, ev, args)
        if args.expect:
            agent, good, run, date, value = args.expect
            got = ds.stock.sel(agent=agent, good=good, run=int(run),
                               time=np.datetime64(date)).item()
            assert got == float(value), f"stock.sel(...) = {got}, not {value}"


def check_netcdf4(path, args):
    with netCDF4.Dataset(path) as nc:
        assert nc.groups["events"].dimensions["event"].size == args.events
        # run the only unlimited dimension at the root
        unlimited = [d for d, dim in nc.dimensions.items() if dim.isunlimited()]
        assert unlimited == ["run"], unlimited
        for dim in ("run", "time", "agent", "partner", "good"):
            assert dim in nc.dimensions, f"netCDF4: no dimension {dim}"
        assert not any(d.startswith("phony_dim") for d in nc.dimensions)
        assert nc.variables["agent"].dtype == str
        if args.scenarios:
            names = args.scenarios.split(",")
            assert nc.dimensions["scenario"].size == len(names)
            assert list(nc.variables["scenario"][:]) == names
            assert nc.variables["stock"].dimensions[:3] == lead_dims(args)
        else:
            assert "scenario" not in nc.dimensions


def check_h5py(path):
    runs_per_chunk = set()
    with h5py.File(path, "r") as f:
        order = f["/"].id.get_create_plist().get_link_creation_order()
        assert order & h5py.h5p.CRT_ORDER_TRACKED, "link order not tracked"
        for name, obj in f.items():
            if name == "events":
                assert isinstance(obj, h5py.Group), name
                continue
            assert isinstance(obj, h5py.Dataset), name
            if obj.attrs.get("CLASS") == b"DIMENSION_SCALE":
                continue
            assert "long_name" in obj.attrs, name
            for axis, dim in enumerate(obj.dims):
                assert len(dim) == 1, f"{name}: axis {axis} has {len(dim)} scales"
            if obj.ndim >= 2 and obj.dims[0][0].name == "/run" and \
                    "cell_methods" in obj.attrs:
                if obj.ndim >= 3 and obj.dims[1][0].name == "/scenario":
                    assert obj.chunks and obj.chunks[1] == 1, \
                        f"{name}: several scenarios per chunk"
                runs_per_chunk.add(check_chunks(name, obj, 0, 2 if
                                                obj.dims[1][0].name == "/scenario" else 1))
        assert len(runs_per_chunk) <= 1, \
            f"variables differ in runs per chunk: {sorted(runs_per_chunk)}"


def check_chunks(name, obj, ra, inner):
    """Chunked along run (axis ra), deflate only, at most 1 MiB; the whole
    time series in a chunk (axes from `inner` on) unless one run's series
    alone exceeds 1 MiB.  Returns the runs per chunk (the same for every
    variable of a file)."""
    assert obj.chunks, f"{name}: not chunked"
    assert obj.maxshape[ra] is None, f"{name}: run is not unlimited"
    assert obj.compression == "gzip" and not obj.shuffle, f"{name}: filters"
    nbytes = np.prod(obj.chunks) * obj.dtype.itemsize
    assert nbytes <= 1 << 20, f"{name}: chunk of {nbytes} bytes"
    one_run = np.prod(obj.shape[inner:]) * obj.dtype.itemsize
    if one_run <= 1 << 20:
        assert obj.chunks[inner:] == obj.shape[inner:], f"{name}: run split"
    else:
        assert obj.chunks[ra] == 1, f"{name}: several large runs per chunk"
    return obj.chunks[ra]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("path")
    ap.add_argument("--events", type=int, default=0)
    ap.add_argument("--expect", nargs=5,
                    metavar=("AGENT", "GOOD", "RUN", "DATE", "VALUE"))
    ap.add_argument("--scenarios", default="",
                    help="comma-separated scenario names the file must have")
    ap.add_argument("--expect-scenario", nargs=6,
                    metavar=("SCENARIO", "AGENT", "GOOD", "RUN", "DATE",
                             "VALUE"))
    args = ap.parse_args()
    try:
        check_xarray(args.path, args)
        check_netcdf4(args.path, args)
        check_h5py(args.path)
    except AssertionError as e:
        print(f"check_output.py: {args.path}: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
