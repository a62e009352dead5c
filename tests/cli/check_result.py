#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""check_result.py - read a result file of `sim run` the way a user would.

Usage:
  check_result.py FILE.h5 [--months N]
        Check the file with xarray and h5py: labelled coordinates, decoded
        time, units and long_name, no NaN, values in range, CF conventions,
        the config attribute, attached dimension scales.  Prints one
        "ok - ..." / "not ok - ..." line per check.  Exit 0 when all pass,
        1 when a check fails.
  check_result.py --compare A.h5 B.h5 [--ignore-attr NAME]...
        Compare every dataset (shape, type, values, attributes) and the
        global attributes of two files; `history` is always ignored.  Prints
        "differs: NAME" for every difference.  Exit 0 when identical, 3 when
        they differ.
  check_result.py --value FILE.h5 VAR [DIM=LABEL|DIM=#INDEX]...
        Print one value of VAR, selected by label (or by index with #).
  check_result.py --attr FILE.h5 NAME
        Print one global attribute.

Any other failure (unreadable file, bad usage) exits 2.
"""
import sys


def fail_usage(msg):
    print("check_result.py: " + msg, file=sys.stderr)
    sys.exit(2)


# ---- full check of one file -------------------------------------------------

UNIT_INTERVAL = ["affinity", "rivalry", "usd_share", "sanctions", "member",
                 "cohesion", "connectivity", "hub_share", "discount"]
NON_NEGATIVE = ["stock", "capacity", "production", "consumption", "shortfall",
                "demand", "imports", "exports", "world_imports",
                "world_exports", "flow", "interdicted", "trade_value",
                "civilian_trade", "price", "gdp"]
EXPECTED_VARS = ["stock", "capacity", "production", "consumption", "shortfall",
                 "demand", "imports", "exports", "flow", "interdicted",
                 "trade_value", "usd_share", "affinity", "rivalry", "price",
                 "sanctions", "gdp", "member", "cohesion", "connectivity",
                 "hub_share"]


class Checks:
    def __init__(self):
        self.failed = 0

    def check(self, cond, what, detail=""):
        if cond:
            print("ok - " + what)
        else:
            self.failed += 1
            detail = " ".join(str(detail).split())  # one line per check
            print("not ok - " + what + (": " + detail if detail else ""))
        return cond

    def run(self, what, fn):
        """Run fn() -> (cond, detail); an exception is a failure."""
        try:
            cond, detail = fn()
        except Exception as e:  # noqa: BLE001 - any error fails the check
            cond, detail = False, "%s: %s" % (type(e).__name__, e)
        return self.check(cond, what, detail)


def full_check(path, months):
    import numpy as np
    import pandas as pd
    import xarray as xr

    c = Checks()
    try:
        ds = xr.open_dataset(path)
    except Exception as e:  # noqa: BLE001
        c.check(False, "xarray.open_dataset(%s)" % path, str(e))
        h5_checks(c, path)
        return 1
    c.check(True, "xarray.open_dataset(%s)" % path)

    def has_vars():
        missing = [v for v in EXPECTED_VARS if v not in ds.variables]
        return not missing, "missing " + ", ".join(missing)
    c.run("variables present: " + ", ".join(EXPECTED_VARS), has_vars)

    def dims():
        want = {"time": months}
        bad = {d: ds.sizes.get(d) for d, n in want.items()
               if ds.sizes.get(d) != n}
        return not bad, "sizes %s, expected %s" % (dict(ds.sizes), want)
    c.run("time dimension has %d records" % months, dims)

    def labels():
        agents = [str(a) for a in ds.agent.values]
        goods = [str(g) for g in ds.good.values]
        ok = "RUS" in agents and "CHN" in agents and "shells" in goods \
            and list(ds.partner.values) == list(ds.agent.values)
        return ok, "agent=%s good=%s partner=%s" % (
            agents, goods, list(ds.partner.values))
    c.run("agent, partner and good are labelled coordinates", labels)

    def stock_sel():
        s = ds.stock.sel(agent="RUS", good="shells").isel(run=0)
        v = s.values
        ok = s.dims == ("time",) and v.shape == (months,) and \
            bool(np.all(v >= 0))
        return ok, "dims %s shape %s min %s" % (s.dims, v.shape,
                                                 np.min(v) if v.size else None)
    c.run('ds.stock.sel(agent="RUS", good="shells") is %d long and >= 0'
          % months, stock_sel)

    def flow_sel():
        s = ds.flow.sel(agent="PRK", partner="RUS", good="shells").isel(run=0)
        return s.shape == (months,), "shape %s" % (s.shape,)
    c.run('ds.flow.sel(agent="PRK", partner="RUS", good="shells") works',
          flow_sel)

    def time_decoded():
        t = ds.time.values
        if not np.issubdtype(t.dtype, np.datetime64):
            return False, "time dtype %s" % t.dtype
        idx = pd.DatetimeIndex(t)
        if len(idx) == 0 or idx[0] != pd.Timestamp("2023-01-01"):
            return False, "first time %s" % (idx[0] if len(idx) else None)
        want = pd.date_range("2023-01-01", periods=len(idx), freq="MS")
        return bool((idx == want).all()), "times %s" % list(idx.strftime(
            "%Y-%m-%d"))
    c.run("time decodes to datetime64, first 2023-01-01, monthly",
          time_decoded)

    def time_units():
        u = ds.time.encoding.get("units")
        return u == "days since 2023-01-01", "units %r" % u
    c.run('time units are "days since 2023-01-01"', time_units)

    def no_nan():
        bad = []
        for v in ds.variables:
            a = ds[v].values
            if a.dtype.kind in "fc" and np.isnan(a).any():
                bad.append("%s (%d NaN)" % (v, int(np.isnan(a).sum())))
            if a.dtype.kind == "M" and np.isnat(a).any():
                bad.append(v + " (NaT)")
        return not bad, ", ".join(bad)
    c.run("no NaN in any variable", no_nan)

    def finite():
        bad = [v for v in ds.variables if ds[v].dtype.kind == "f"
               and np.isinf(ds[v].values).any()]
        return not bad, ", ".join(bad)
    c.run("no infinity in any variable", finite)

    for v in UNIT_INTERVAL:
        def unit(v=v):
            a = ds[v].values
            return bool(np.all((a >= 0) & (a <= 1))), "range [%r, %r]" % (
                float(np.nanmin(a)), float(np.nanmax(a)))
        c.run("%s within [0, 1]" % v, unit)

    def member01():
        a = ds.member.values
        return bool(np.all((a == 0) | (a == 1))), "values %s" % np.unique(a)
    c.run("member is 0 or 1", member01)

    for v in NON_NEGATIVE:
        def nonneg(v=v):
            a = ds[v].values
            return bool(np.all(a >= 0)), "min %r" % float(np.nanmin(a))
        c.run("%s >= 0" % v, nonneg)

    def interdicted_le_flow():
        d = ds.interdicted.values - ds.flow.values
        tol = 1e-9 * np.maximum(1.0, np.abs(ds.flow.values))
        return bool(np.all(d <= tol)), "max excess %r" % float(np.max(d))
    c.run("interdicted <= flow", interdicted_le_flow)

    def conventions():
        return ds.attrs.get("Conventions") == "CF-1.8", \
            "Conventions %r" % ds.attrs.get("Conventions")
    c.run('Conventions == "CF-1.8"', conventions)

    def config_attr():
        cfg = ds.attrs.get("config")
        ok = isinstance(cfg, str) and "scenario = {" in cfg and \
            "agents = {" in cfg and "RUS = {" in cfg
        return ok, "config %r" % (cfg[:80] if isinstance(cfg, str) else cfg)
    c.run("config attribute holds the resolved configuration", config_attr)
    ds.close()
    h5_checks(c, path)
    return 1 if c.failed else 0


def h5_checks(c, path):
    """Raw HDF5: attributes and dimension scales."""
    import h5py
    try:
        f = h5py.File(path, "r")
    except Exception as e:  # noqa: BLE001
        c.check(False, "h5py.File(%s)" % path, str(e))
        return

    # netCDF-4's dimensions without a coordinate variable (nv, the event
    # dimension of the group `events`) are scales but no variables
    datasets = []
    f.visititems(lambda n, o: datasets.append(n)
                 if isinstance(o, h5py.Dataset) and not _dim_only(o) else None)

    def long_names():
        bad = [n for n in datasets if not _text_attr(f[n], "long_name")]
        return not bad, "no long_name: " + ", ".join(bad)
    c.run("every variable has a long_name", long_names)

    def units():
        # Strings (labels, event kinds) carry no unit; every numeric
        # variable, coordinates included, must have one.
        bad = [n for n in datasets
               if f[n].dtype.kind in "iufc" and not _text_attr(f[n], "units")]
        return not bad, "no units: " + ", ".join(bad)
    c.run("every numeric variable has units", units)

    def stock_scale():
        name = f["stock"].dims[2][0].name
        return name.endswith("agent"), "dims[2][0].name = %r" % name
    c.run("h5py: stock.dims[2][0] is the agent dimension scale", stock_scale)

    dim_names = {"stock": ["run", "time", "agent", "good"],
                 "flow": ["run", "time", "agent", "partner", "good"],
                 "affinity": ["run", "time", "agent", "partner"],
                 "cohesion": ["run", "time"],
                 "price": ["run", "time", "good"],
                 "sanctions": ["run", "time", "agent"]}
    for var, want in dim_names.items():
        def scales(var=var, want=want):
            got = []
            for d in f[var].dims:
                got.append(d[0].name.rsplit("/", 1)[-1] if len(d) else None)
            return got == want, "attached %s, expected %s" % (got, want)
        c.run("h5py: %s has scales %s attached" % (var, ",".join(want)),
              scales)

    def all_attached():
        bad = []
        for n in datasets:
            o = f[n]
            if o.ndim == 0 or _is_scale(o):
                continue
            for k, d in enumerate(o.dims):
                if len(d) == 0:
                    bad.append("%s[%d]" % (n, k))
        return not bad, "unattached: " + ", ".join(bad)
    c.run("h5py: every dimension of every variable has a scale attached",
          all_attached)
    f.close()


def _text_attr(obj, name):
    if name not in obj.attrs:
        return ""
    v = obj.attrs[name]
    if isinstance(v, bytes):
        v = v.decode("utf-8", "replace")
    return str(v).strip()


def _dim_only(obj):
    name = obj.attrs.get("NAME")
    if isinstance(name, bytes):
        name = name.decode()
    return _is_scale(obj) and str(name).startswith(
        "This is a netCDF dimension but not a netCDF variable")


def _is_scale(obj):
    cls = obj.attrs.get("CLASS")
    if isinstance(cls, bytes):
        cls = cls.decode()
    return cls == "DIMENSION_SCALE"


# ---- comparison ---------------------------------------------------------------

SKIP_DS_ATTRS = {"DIMENSION_LIST", "REFERENCE_LIST"}


def _equal(a, b):
    import numpy as np
    a = np.asarray(a)
    b = np.asarray(b)
    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    if a.dtype.kind in "fc":
        return bool(np.array_equal(a, b, equal_nan=True))
    if a.dtype.kind == "O":
        return [x for x in a.ravel()] == [y for y in b.ravel()]
    return bool(np.array_equal(a, b))


def compare(pa, pb, ignore):
    import h5py
    diffs = []
    with h5py.File(pa, "r") as fa, h5py.File(pb, "r") as fb:
        def names(f):
            out = {}
            f.visititems(lambda n, o: out.__setitem__(n, o)
                         if isinstance(o, h5py.Dataset) else None)
            return out
        da, db = names(fa), names(fb)
        for n in sorted(set(da) ^ set(db)):
            diffs.append((n, "only in " + (pa if n in da else pb)))
        for n in sorted(set(da) & set(db)):
            a, b = da[n], db[n]
            if a.shape != b.shape or a.dtype != b.dtype:
                diffs.append((n, "shape/type %s %s vs %s %s"
                              % (a.shape, a.dtype, b.shape, b.dtype)))
                continue
            if not _equal(a[()], b[()]):
                diffs.append((n, "values differ"))
            ka = set(a.attrs) - SKIP_DS_ATTRS
            kb = set(b.attrs) - SKIP_DS_ATTRS
            if ka != kb:
                diffs.append((n, "attribute names %s vs %s"
                              % (sorted(ka), sorted(kb))))
            for k in sorted(ka & kb):
                if not _equal(a.attrs[k], b.attrs[k]):
                    diffs.append((n, "attribute %s" % k))
            sa = [[d[k].name for k in range(len(d))] for d in a.dims]
            sb = [[d[k].name for k in range(len(d))] for d in b.dims]
            if sa != sb:
                diffs.append((n, "dimension scales %s vs %s" % (sa, sb)))
        ga = set(fa.attrs) - ignore
        gb = set(fb.attrs) - ignore
        for k in sorted(ga ^ gb):
            diffs.append(("/@" + k, "global attribute only in one file"))
        for k in sorted(ga & gb):
            if not _equal(fa.attrs[k], fb.attrs[k]):
                diffs.append(("/@" + k, "global attribute differs"))
    for n, why in diffs:
        print("differs: %s (%s)" % (n, why))
    if not diffs:
        print("identical: %s %s" % (pa, pb))
    return 3 if diffs else 0


# ---- single values --------------------------------------------------------------

def value(path, var, sels):
    import numpy as np
    import xarray as xr
    with xr.open_dataset(path) as ds:
        da = ds[var]
        for s in sels:
            if "=" not in s:
                fail_usage("selection %r is not DIM=LABEL or DIM=#INDEX" % s)
            dim, lab = s.split("=", 1)
            if lab.startswith("#"):
                da = da.isel({dim: int(lab[1:])})
            else:
                da = da.sel({dim: lab})
        v = da.values
        if np.ndim(v) != 0:
            fail_usage("selection leaves shape %s, not one value" % (v.shape,))
        print(repr(v.item()) if hasattr(v, "item") else v)
    return 0


def attr(path, name):
    import h5py
    with h5py.File(path, "r") as f:
        if name not in f.attrs:
            fail_usage("no global attribute %r in %s" % (name, path))
        v = f.attrs[name]
        if isinstance(v, bytes):
            v = v.decode()
        if hasattr(v, "item"):
            v = v.item()
        sys.stdout.write(str(v))
        if not str(v).endswith("\n"):
            sys.stdout.write("\n")
    return 0


def main(argv):
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        return 0 if argv else 2
    if argv[0] == "--compare":
        rest = argv[1:]
        ignore = {"history"}
        files = []
        while rest:
            a = rest.pop(0)
            if a == "--ignore-attr":
                if not rest:
                    fail_usage("--ignore-attr needs a name")
                ignore.add(rest.pop(0))
            else:
                files.append(a)
        if len(files) != 2:
            fail_usage("--compare needs two files")
        return compare(files[0], files[1], ignore)
    if argv[0] == "--value":
        if len(argv) < 3:
            fail_usage("--value FILE VAR [DIM=LABEL]...")
        return value(argv[1], argv[2], argv[3:])
    if argv[0] == "--attr":
        if len(argv) != 3:
            fail_usage("--attr FILE NAME")
        return attr(argv[1], argv[2])
    months = 24
    files = []
    rest = list(argv)
    while rest:
        a = rest.pop(0)
        if a == "--months":
            if not rest:
                fail_usage("--months needs a value")
            months = int(rest.pop(0))
        elif a.startswith("-"):
            fail_usage("unknown option %s" % a)
        else:
            files.append(a)
    if len(files) != 1:
        fail_usage("one result file expected")
    return full_check(files[0], months)


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except SystemExit:
        raise
    except Exception as e:  # noqa: BLE001
        print("check_result.py: %s: %s" % (type(e).__name__, e),
              file=sys.stderr)
        sys.exit(2)
