#!/usr/bin/python3
"""Compare a baseline result with the public figures it is calibrated to.

    /usr/bin/python3 analysis/calibration.py baseline.h5 [--check] [--markdown]

Prints one row per target: the public figure, the range accepted, the
model's value (median over runs for an ensemble) and whether it is inside.
With --check the exit status is 1 when any model value is outside its range.
The targets and their sources are listed in the README (Calibration).
"""
import argparse
import sys

import numpy as np
import xarray as xr

BBL_PER_TONNE = 7.33      # crude oil, barrels per metric tonne
DAYS_PER_MONTH = 365.25 / 12


def sel(da, **kw):
    return da.sel(**kw)


def per_run(da):
    """Reduce everything but `run`, keep a run axis."""
    return da if "run" in da.dims else da.expand_dims("run")


def targets(ds):
    t = ds.time
    y23 = dict(time=slice("2023-01-01", "2023-12-31"))
    tv = ds.trade_value + ds.civilian_trade
    pair = tv.sel(agent=["CHN", "RUS"], partner=["CHN", "RUS"]).sel(**y23)
    rows = [
        ("China-Russia trade 2023", "$240.1 bn", (220e9, 260e9), 1e9, "bn USD",
         pair.sum(["time", "agent", "partner"])),
        ("China exports to Russia 2023", "$111.0 bn", (100e9, 122e9), 1e9, "bn USD",
         tv.sel(agent="CHN", partner="RUS").sel(**y23).sum("time")),
        ("Russia exports to China 2023", "$129.1 bn", (116e9, 142e9), 1e9, "bn USD",
         tv.sel(agent="RUS", partner="CHN").sel(**y23).sum("time")),
        ("Russian crude to China 2023", "107 Mt", (95.0, 115.0), 1, "Mt",
         ds.flow.sel(agent="RUS", partner="CHN", good="oil").sel(**y23).sum("time")
         / BBL_PER_TONNE / 1e6),
        ("Iranian oil to China 2023", "1.0-1.3 mb/d", (1.0, 1.3), 1, "mb/d",
         ds.flow.sel(agent="IRN", partner="CHN", good="oil").sel(**y23).mean("time")
         / DAYS_PER_MONTH / 1e6),
        ("North Korean shells, Sep 2023-Feb 2024", "2.5-3 m rounds", (2.5e6, 3.0e6), 1e6,
         "m rounds",
         ds.flow.sel(agent="PRK", partner="RUS", good="shells")
         .sel(time=slice("2023-09-01", "2024-02-28")).sum("time")),
        ("Russian Shahed/Geran output 2023", "2,738", (2460.0, 3010.0), 1, "drones",
         ds.production.sel(agent="RUS", good="drones").sel(**y23).sum("time")),
        ("Russian Shahed/Geran output Jan-Mar 2024", "300-350 a month", (300.0, 350.0), 1,
         "drones/month",
         ds.production.sel(agent="RUS", good="drones")
         .sel(time=slice("2024-01-01", "2024-03-31")).mean("time")),
        ("Chinese dual-use exports to Russia 2023", "> $300 m a month", (300e6, 600e6), 1e6,
         "m USD/month",
         ds.flow.sel(agent="CHN", partner="RUS", good="chips").sel(**y23).mean("time")),
        ("Ruble/yuan share, Russia-China, Jan 2023", "> 70%", (0.70, 1.0), 0.01, "%",
         1 - ds.usd_share.sel(agent="CHN", partner="RUS").isel(time=0)),
        ("Ruble/yuan share, Russia-China, Oct 2023", "~95%", (0.93, 1.0), 0.01, "%",
         1 - ds.usd_share.sel(agent="CHN", partner="RUS").sel(time="2023-10").squeeze("time")),
        ("Russian shell fire 2023-24", "10,000-30,000 a day", (10000.0, 30000.0), 1,
         "rounds/day",
         ds.consumption.sel(agent="RUS", good="shells").mean("time") / DAYS_PER_MONTH),
        ("Urals price 2023", "~$63/bbl", (55.0, 70.0), 1, "USD/bbl",
         (ds.price.sel(good="oil") * (1 - ds.discount.sel(agent="RUS", good="oil")))
         .sel(**y23).mean("time")),
        ("Urals discount, Jan 2023", "~$40/bbl (Argus)", (25.0, 45.0), 1, "USD/bbl",
         (ds.price.sel(good="oil") * ds.discount.sel(agent="RUS", good="oil")).isel(time=0)),
        ("Urals discount, Nov 2023", "~$10/bbl", (7.0, 14.0), 1, "USD/bbl",
         (ds.price.sel(good="oil") * ds.discount.sel(agent="RUS", good="oil"))
         .sel(time="2023-11").squeeze("time")),
    ]
    return rows


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("result", help="a result file of the baseline (sim run)")
    ap.add_argument("--check", action="store_true", help="exit 1 if any value is outside its range")
    ap.add_argument("--markdown", action="store_true", help="print a Markdown table")
    a = ap.parse_args(argv)
    ds = xr.open_dataset(a.result)
    if ds.time.size < 22:
        sys.exit("calibration: the result must cover 2023-01 to 2024-10 at least")
    outside = 0
    if a.markdown:
        print("| quantity | public figure | range accepted | model | inside |")
        print("| --- | --- | --- | --- | --- |")
    for name, figure, (lo, hi), scale, unit, da in targets(ds):
        v = float(np.median(per_run(da).values))
        ok = lo <= v <= hi
        outside += not ok
        def fmt(x):
            if unit == "%":
                return f"{100 * x:.1f}"
            x /= scale
            return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.4g}"
        if a.markdown:
            print(f"| {name} | {figure} | {fmt(lo)}-{fmt(hi)} {unit} | {fmt(v)} {unit} | "
                  f"{'yes' if ok else '**no**'} |")
        else:
            print(f"{name:45s} {figure:22s} {fmt(lo):>9s} - {fmt(hi):<9s} {fmt(v):>9s} {unit:13s}"
                  f" {'inside' if ok else 'OUTSIDE'}")
    if a.check and outside:
        print(f"calibration: {outside} figure(s) outside their range", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
