#!/usr/bin/python3
"""Plot an agent's supply of one good, and its shortfall, from a result file.

    /usr/bin/python3 analysis/plot_shells.py baseline.h5 [-o shells.png]
        [--agent RUS] [--good shells]

Supply is split into own production, imports from each bloc partner (after
interdiction) and imports from the rest of the world; demand and shortfall
are drawn over it.  Uses only Debian's python3-xarray and python3-matplotlib.
With several runs (an ensemble), the median run-by-run value is drawn.
"""
import argparse
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import xarray as xr  # noqa: E402


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("result", help="result file written by `sim run`")
    ap.add_argument("-o", "--output", default="shells.png", help="image file (PNG or SVG)")
    ap.add_argument("--agent", default="RUS", help="agent code (default RUS)")
    ap.add_argument("--good", default="shells", help="good name (default shells)")
    a = ap.parse_args(argv)

    ds = xr.open_dataset(a.result)
    for name in ("production", "flow", "interdicted", "world_imports", "demand", "shortfall"):
        if name not in ds:
            sys.exit(f"plot_shells: {a.result} does not record '{name}'")
    if a.agent not in ds.agent.values or a.good not in ds.good.values:
        sys.exit(f"plot_shells: no agent '{a.agent}' or good '{a.good}' in {a.result}")
    sel = dict(agent=a.agent, good=a.good)
    med = lambda da: da.median("run") if "run" in da.dims else da  # noqa: E731
    unit = str(ds.good_unit.sel(good=a.good).values) if "good_unit" in ds else ""

    arrived = med((ds.flow - ds.interdicted).sel(partner=a.agent, good=a.good))
    layers = [("own production", med(ds.production.sel(**sel)))]
    for p in arrived.agent.values:
        series = arrived.sel(agent=p)
        if float(series.sum()) > 0:
            layers.append((f"from {p}", series))
    layers.append(("from rest of world", med(ds.world_imports.sel(**sel))))

    t = ds.time.values
    fig, ax = plt.subplots(figsize=(12, 5.5))
    ax.stackplot(t, *[l[1].values for l in layers], labels=[l[0] for l in layers], alpha=0.8)
    ax.plot(t, med(ds.demand.sel(**sel)).values, "k-", lw=2, label="demand")
    ax.plot(t, med(ds.shortfall.sel(**sel)).values, "r--", lw=2, label="shortfall")
    ax.set_title(f"{a.agent}: {a.good} supply, demand and shortfall ({ds.attrs.get('scenario', '')})")
    ax.set_xlabel("month")
    ax.set_ylabel(f"{a.good} per month ({unit})")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=9)
    ax.grid(alpha=0.3)
    fig.autofmt_xdate()
    fig.tight_layout()
    fig.savefig(a.output, dpi=120)
    print(f"wrote {a.output}")


if __name__ == "__main__":
    main()
