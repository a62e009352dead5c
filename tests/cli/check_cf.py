#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""check_cf.py - what every reader of a result file must get right (OUTPUT.md,
"[v2] What every reader must get right"), checked with netCDF4, h5py,
xarray and Debian's udunits2, and the answers of NCO checked against h5py.

    check_cf.py layout FILE.h5 [--sweep] [--merged N]
        the layout: run the only unlimited dimension and the first axis of
        every run-indexed variable; the event log in the group `events` on
        its own dimension (xarray reads it with group="events"); every
        units string valid for UDUNITS-2 except those with USD (listed);
        run:standard_name = realization; cell_methods on every record
        variable (time: point for states, time: mean for flows per month)
        with time_bnds; flag_values/flag_meanings on 0/1 flags; the
        goods' units through the good_unit coordinate; with --sweep the
        numeric sweep attributes and param_unit; with --merged N at least
        N history lines
    check_cf.py posterior FILE.h5 [--history N] [--run RUN.h5]
        a posterior of `sim calibrate` follows the result files'
        conventions where they apply: every units string valid for UDUNITS-2
        (except USD); its counts, seed and settings numbers, not text;
        param_unit(param) holds each parameter's unit, named by
        param_value:coordinates; history without a line twice (with
        --history N, N lines, the last a --resume's); netCDF4 and xarray
        read it; with --run, RUN.h5 (drawing from it with --posterior)
        has the same param_unit and names the posterior's fit_hash
    check_cf.py ncra FILE.h5 MEAN.nc
        ncra's mean over run of every record variable equals the mean that
        numpy takes of the values h5py reads (relative 1e-12)
    check_cf.py ncrcat CAT.nc MERGED.h5
        the file ncrcat joined from shards holds, run by run (its run
        coordinate), the values of the file `sim merge` joined from them;
        the same coordinates; the same event rows
    check_cf.py ncks CUT.nc FILE.h5 FIRST LAST
        CUT.nc is FILE.h5 cut by `ncks -d run,FIRST,LAST`: every
        run-indexed variable holds runs FIRST..LAST, and the event rows of
        the runs kept (by their run label) are exactly those of FILE.h5

Prints one "ok - ..." / "not ok - ..." line per check; exit 1 if any
failed, 2 on bad usage.
"""
import subprocess
import sys

import h5py
import netCDF4
import numpy as np
import xarray as xr

FAILED = 0
TAG = ""
# The units strings with USD, the one unit UDUNITS-2 does not know: every
# other units string must be a UDUNITS-2 unit.
USD_UNITS = {"USD", "USD month-1"}



# capacities: rates per month held as the state at the end of the month
# (time: point), not monthly flows
RATE_STATES = {"capacity", "alt_payment", "shadow_fleet"}

def check(what, cond, detail=""):
    global FAILED
    if cond:
        print("ok - %s%s" % (TAG, what))
    else:
        FAILED += 1
        detail = " ".join(str(detail).split())
        print("not ok - %s%s%s" % (TAG, what, ": " + detail if detail else ""))
    return cond


def text(v):
    if isinstance(v, bytes):
        return v.decode()
    if isinstance(v, np.ndarray) and v.shape == ():
        return text(v[()])
    return str(v)


def udunits_ok(unit):
    """Does Debian's udunits2 recognise `unit`?"""
    r = subprocess.run(["udunits2", "-H", unit, "-W", ""], stdin=subprocess.DEVNULL,
                       capture_output=True, text=True, timeout=30)
    out = r.stdout + r.stderr
    return r.returncode == 0 and "Don't recognize" not in out and "ERROR" not in out.upper()


def record_vars(f):
    """Root variables over (run, [scenario,] time, ...) with cell_methods."""
    out = []
    for name, obj in f.items():
        if isinstance(obj, h5py.Dataset) and "cell_methods" in obj.attrs:
            out.append(name)
    return out


def dims_of(obj):
    return [d[0].name.rsplit("/", 1)[-1] if len(d) else None for d in obj.dims]


def all_units(f):
    """{units string: [variables]} of every dataset, groups included."""
    units = {}

    def visit(name, obj):
        if isinstance(obj, h5py.Dataset) and "units" in obj.attrs:
            units.setdefault(text(obj.attrs["units"]), []).append(name)
    f.visititems(visit)
    return units


# ---- layout -------------------------------------------------------------------------

def layout(path, sweep, merged):
    with netCDF4.Dataset(path) as nc:
        unlimited = [d for d, dim in nc.dimensions.items() if dim.isunlimited()]
        check("netCDF4: run is the only unlimited dimension at the root",
              unlimited == ["run"], unlimited)
        check("netCDF4: no event dimension at the root", "event" not in nc.dimensions,
              list(nc.dimensions))
        check("netCDF4: the group events has its own dimension event",
              "events" in nc.groups and "event" in nc.groups["events"].dimensions,
              list(nc.groups))
        run = nc.variables["run"]
        check('run:standard_name = "realization"',
              getattr(run, "standard_name", None) == "realization")
        bad = [v for v, var in nc.variables.items()
               if "run" in var.dimensions and var.dimensions[0] != "run"]
        check("run is the first axis of every run-indexed variable", not bad, bad)
    with xr.open_dataset(path, group="events") as ev:
        cols = ["event_run", "event_step", "event_kind", "event_actor",
                "event_target", "event_value", "event_unit", "event_label"]
        check('xarray.open_dataset(FILE, group="events") gives the event columns',
              all(c in ev and ev[c].dims == ("event",) for c in cols), list(ev))
    f = h5py.File(path, "r")
    units = all_units(f)
    usd = sorted(u for u in units if "USD" in u)
    check("the units with USD are those listed (%s)" % ", ".join(usd),
          set(usd) <= USD_UNITS, usd)
    bad = {u: v for u, v in units.items() if "USD" not in u and not udunits_ok(u)}
    check("every other units string is UDUNITS-2 (%d strings: %s)"
          % (len(units) - len(usd), ", ".join(sorted(u for u in units if "USD" not in u))),
          not bad, bad)
    recs = record_vars(f)
    check("record variables found", len(recs) > 0, recs)
    t = f["time"]
    check('time:bounds = "time_bnds"', text(t.attrs.get("bounds", "")) == "time_bnds")
    b = f["time_bnds"][()]
    tv = t[()]
    check("time_bnds: each record's month, [first day, next month's first day)",
          b.shape == (len(tv), 2) and np.array_equal(b[:, 0], tv) and
          bool(np.all(b[:, 1] - b[:, 0] >= 28)) and bool(np.all(b[:, 1] - b[:, 0] <= 31)),
          b[:3])
    cm = {text(f[v].attrs["cell_methods"]) for v in recs}
    check("cell_methods are time: point (states) and time: mean (flows per month)",
          cm <= {"time: point", "time: mean"} and
          all(text(f[v].attrs["cell_methods"]) == "time: mean" for v in recs
              if "month-1" in text(f[v].attrs.get("units_metadata", f[v].attrs["units"]))
              and v not in RATE_STATES), cm)
    for v in recs:
        dims = dims_of(f[v])
        if "good" in dims and "units_metadata" in f[v].attrs:
            ok = text(f[v].attrs.get("coordinates", "")) == "good_unit" and \
                "good_unit" in text(f[v].attrs["units_metadata"]) and \
                "comment" in f[v].attrs
            if not ok:
                check("%s: good_unit coordinate, units_metadata, comment" % v, False)
                break
    else:
        check("the variables in the goods' own units name good_unit (coordinates, "
              "units_metadata, comment)", True)
    if "member" in f:
        m = f["member"]
        fv = np.asarray(m.attrs.get("flag_values", []))
        vals = m[()]
        check("member: flag_values 0, 1 and two flag_meanings, values among them",
              list(fv) == [0.0, 1.0] and len(text(m.attrs.get("flag_meanings", "")).split()) == 2
              and bool(np.all(np.isin(vals[~np.isnan(vals)], fv))), fv)
    h = text(f.attrs["history"]).splitlines()
    check("history: no line twice (%d lines)" % len(h), len(set(h)) == len(h), h)
    if sweep:
        for a in ("sweep_points", "sweep_replicates", "sweep_runs"):
            v = f.attrs.get(a)
            check("%s is a number (%r)" % (a, v), isinstance(v, (np.integer, int)), type(v))
        pu = [text(u) for u in f["param_unit"][()]]
        check("param_unit(param) holds each parameter's unit (%s)" % ", ".join(pu),
              len(pu) == f["param"].shape[0] and all(pu) and
              text(f["param_value"].attrs.get("coordinates", "")) == "param_unit")
    if merged:
        h = text(f.attrs["history"]).splitlines()
        check("history keeps the inputs' lines, each once, and appends its own "
              "(%d lines)" % len(h),
              len(h) >= merged and "merge" in h[-1] and len(set(h)) == len(h), h)
    f.close()
    with xr.open_dataset(path) as ds:
        name = "production" if "production" in ds else recs[0]
        s = ds[name]
        check("xarray: %s has good_unit among its coordinates" % name,
              "good" not in s.dims or "good_unit" in s.coords, list(s.coords))


# ---- posterior files ---------------------------------------------------------------

POSTERIOR_NUMBERS = ("converged", "particles", "generations", "master_seed", "alpha",
                     "target_tolerance", "replicates", "identity_draws")


def posterior(path, lines, run):
    with h5py.File(path, "r") as f:
        units = all_units(f)
        usd = sorted(u for u in units if "USD" in u)
        check("the units with USD are those listed (%s)" % ", ".join(usd),
              set(usd) <= USD_UNITS, usd)
        bad = {u: v for u, v in units.items() if "USD" not in u and not udunits_ok(u)}
        check("every other units string is UDUNITS-2 (%s)" % ", ".join(sorted(units)),
              not bad, bad)
        notnum = [a for a in POSTERIOR_NUMBERS
                  if not isinstance(f.attrs.get(a), (np.integer, np.floating, int, float))]
        check("counts, seed and settings are numbers (%s)" % ", ".join(POSTERIOR_NUMBERS),
              not notnum, notnum)
        pu = [text(u) for u in f["param_unit"][()]]
        check("param_unit(param) holds each parameter's unit (%s), named by "
              "param_value:coordinates" % ", ".join(pu),
              len(pu) == f["param"].shape[0] and all(pu) and
              text(f["param_value"].attrs.get("coordinates", "")) == "param_unit")
        h = text(f.attrs["history"]).splitlines()
        check("history: no line twice (%d lines)" % len(h), len(set(h)) == len(h), h)
        if lines:
            check("history: %d lines, the last a --resume's" % lines,
                  len(h) == lines and "--resume" in h[-1] and "--resume" not in h[0], h)
        fit_hash = text(f.attrs["fit_hash"])
    with netCDF4.Dataset(path) as nc:
        check("netCDF4 reads it (%d variables)" % len(nc.variables), "param_value" in nc.variables)
    with xr.open_dataset(path) as ds:
        check("xarray: param_value over (generation, particle, param), param_unit a coordinate",
              ds.param_value.dims == ("generation", "particle", "param") and
              "param_unit" in ds.param_value.coords, ds.param_value.dims)
    if run:
        with h5py.File(run, "r") as r:
            ru = [text(u) for u in r["param_unit"][()]]
            check("the run file drawing from it has the same param_unit (%s)" % ", ".join(ru),
                  ru == pu, (ru, pu))
            check("the run file names the posterior's fit_hash",
                  text(r.attrs.get("posterior_fit_hash", "")) == fit_hash)


# ---- NCO ---------------------------------------------------------------------------

def ncra(path, mean):
    with h5py.File(path, "r") as f, h5py.File(mean, "r") as m:
        bad = []
        for v in record_vars(f):
            want = f[v][()].mean(axis=0)
            got = m[v][()]
            if got.shape != (1,) + want.shape or not np.allclose(got[0], want, rtol=1e-12,
                                                                 atol=0, equal_nan=True):
                bad.append(v)
        check("ncra: the mean over run of %d record variables equals numpy's "
              "(run is the record dimension)" % len(record_vars(f)), not bad, bad)
        check("ncra: one record (the run axis averaged)", m["run"].shape == (1,),
              m["run"].shape)


def events_of(f):
    g = f["events"]
    cols = [c for c in ("event_run", "event_step", "event_kind", "event_actor",
                        "event_target", "event_value", "event_unit", "event_label")
            if c in g]
    rows = list(zip(*[[text(x) if not isinstance(x, (np.floating, float)) else repr(float(x))
                       for x in g[c][()]] for c in cols]))
    return rows


def ncrcat(cat, merged):
    with h5py.File(cat, "r") as c, h5py.File(merged, "r") as m:
        order = np.argsort(c["run"][()], kind="stable")
        check("ncrcat: the run labels of the shards are the merged file's",
              np.array_equal(c["run"][()][order], m["run"][()]),
              (c["run"][()], m["run"][()]))
        bad = []
        for name, obj in m.items():
            if not isinstance(obj, h5py.Dataset) or name in ("run",) or name not in c:
                continue
            a, b = c[name][()], obj[()]
            if dims_of(obj)[:1] == ["run"]:
                a = a[order]
            if a.dtype.kind == "O" or b.dtype.kind == "O":
                same = [text(x) for x in np.ravel(a)] == [text(x) for x in np.ravel(b)]
            else:
                same = a.shape == b.shape and np.array_equal(a, b, equal_nan=True)
            if not same:
                bad.append(name)
        check("ncrcat: every variable holds the values of sim merge's, run by run",
              not bad, bad)
        ec, em = events_of(c), events_of(m)
        check("ncrcat: the event rows (%d) are sim merge's" % len(em),
              sorted(ec) == sorted(em), (len(ec), len(em)))


def ncks(cut, path, first, last):
    first, last = int(first), int(last)
    with h5py.File(cut, "r") as c, h5py.File(path, "r") as f:
        keep = f["run"][first:last + 1]
        check("ncks -d run,%d,%d: the run coordinate holds runs %s" % (first, last, list(keep)),
              np.array_equal(c["run"][()], keep), c["run"][()])
        bad = [v for v in record_vars(f) + ["seed"]
               if not np.array_equal(c[v][()], f[v][first:last + 1], equal_nan=True)]
        check("ncks -d run,%d,%d: every run-indexed variable holds those runs" % (first, last),
              not bad, bad)
        kept = set(int(k) for k in keep)
        want = [r for r in events_of(f) if int(r[0]) in kept]
        got = [r for r in events_of(c) if int(r[0]) in kept]
        check("ncks -d run,%d,%d: the event rows of the runs kept (%d) are exactly "
              "theirs" % (first, last, len(want)), got == want and len(want) > 0,
              (len(got), len(want)))
        check("ncks -d run,%d,%d: the event log is kept whole, every row naming its run "
              "(%d rows)" % (first, last, len(events_of(c))),
              sorted(events_of(c)) == sorted(events_of(f)))


def main(argv):
    global TAG
    if len(argv) < 1:
        print(__doc__)
        return 2
    cmd, args = argv[0], argv[1:]
    if cmd == "layout" and args:
        TAG = args[0].rsplit("/", 1)[-1] + ": "
        sweep = "--sweep" in args
        merged = int(args[args.index("--merged") + 1]) if "--merged" in args else 0
        layout(args[0], sweep, merged)
    elif cmd == "posterior" and args:
        TAG = args[0].rsplit("/", 1)[-1] + ": "
        lines = int(args[args.index("--history") + 1]) if "--history" in args else 0
        run = args[args.index("--run") + 1] if "--run" in args else None
        posterior(args[0], lines, run)
    elif cmd == "ncra" and len(args) == 2:
        TAG = args[0].rsplit("/", 1)[-1] + ": "
        ncra(*args)
    elif cmd == "ncrcat" and len(args) == 2:
        ncrcat(*args)
    elif cmd == "ncks" and len(args) == 4:
        TAG = args[1].rsplit("/", 1)[-1] + ": "
        ncks(*args)
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
