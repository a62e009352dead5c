#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""How an output of a parameter sweep responds to the swept parameters.

    /usr/bin/python3 analysis/plot_sweep.py sweep.h5 --var shortfall --agent RUS --good drones \\
        --from 2024-01 --to 2024-12 -o sweep.png
    /usr/bin/python3 analysis/plot_sweep.py sweep.h5 --var cohesion --param agents.CHN.secondary \\
        --param caspian.interdiction -o sweep2.png

Writes SWEEP.sweep.png and SWEEP.sweep.svg (-o chooses another name).
The output is one variable (--var) of the
file, with its agent, partner, good and route chosen by --agent, --partner,
--good and --route: an agent defaults to the file's focus agent (or, when
only --partner is given, to the sum over exporting agents); partners and
routes not chosen are summed where that makes sense (flows, values); a
per-good variable needs --good.  It is taken at one month (--month, default
the last recorded), or averaged over a period (--from and --to; --stat sum
adds the months up instead).

  - no --param: one panel per swept parameter (at most 9), each a scatter
    of every run with the binned means;
  - one --param: that panel alone (1000 x 650 pixels);
  - two --param: a heatmap of the mean output in cells of the two
    parameters, each run a dot (1000 x 750 pixels); grey cells hold no
    run, and the legend says how many there are.

A response panel draws no smoothed curve, which would draw noise as a
shape: the parameter's range is cut into bins of about equal counts
(--bins; a parameter with at most 8 distinct values, a grid axis or a list,
is shown by level), and each bin shows the mean of its runs with a 95% t
interval (scipy.stats).  A panel says so when no bin's interval excludes
the overall mean, and states its y range when that range is narrow (under
a tenth of its level), so a flat response does not look like an effect.
A parameter is named by its path (the file's `param` coordinate), by a
unique part of it, or by its index.  Runs the sweep did not finish
(point = -1, an interrupted sweep) are left out.  Errors (not a sweep, an
unknown variable, agent, good or parameter, a variable the sweep did not
record) are one line `plot_sweep: ...`, exit status 2, and no image.
"""
import textwrap

import numpy as np

import resultlib as rl
from resultlib import plt

PROG = "plot_sweep"
LEVELS = 8          # at most this many distinct values: shown by level


def main(argv=None):
    ap = rl.parser(PROG, __doc__, "sweep.png")
    ap.add_argument("result", help="sweep result (sim sweep, sim merge, sim-mpi)")
    ap.add_argument("--var", required=True, help="output variable, e.g. shortfall, production, cohesion")
    ap.add_argument("--agent", help="agent (default the focus agent, for variables per agent)")
    ap.add_argument("--partner", help="partner, for variables per agent pair (default: summed)")
    ap.add_argument("--good", help="good, for variables per good")
    ap.add_argument("--route", help="route, for route variables (default: summed)")
    ap.add_argument("--param", action="append", metavar="P",
                    help="swept parameter: path, unique part of it or index; give it twice for a heatmap")
    ap.add_argument("--month", help="the month (YYYY-MM or step; default the last recorded)")
    ap.add_argument("--from", dest="start", metavar="M1", help="first month of a period")
    ap.add_argument("--to", dest="end", metavar="M2", help="last month of a period")
    ap.add_argument("--stat", choices=("mean", "sum"), default="mean",
                    help="over a period: monthly mean (default) or sum")
    ap.add_argument("--bins", type=int, metavar="N",
                    help="bins of a parameter with many values (default: about sqrt(runs/3), 4 to 12)")
    ap.add_argument("--logx", action="store_true", help="parameters on a log scale (all must be > 0)")
    a = ap.parse_args(argv)
    if a.bins is not None and not 2 <= a.bins <= 50:
        rl.fail(f"--bins must be between 2 and 50 (got {a.bins})")

    res = rl.open_result(a.result, a.scenario)
    if "param_value" not in res.ds:
        rl.fail(f"{a.result} is not a sweep (no param_value; write one with `sim sweep`)")
    da = res.var(a.var)
    agent = a.agent
    if agent is None and "agent" in da.dims and a.partner is None:
        agent = res.focus
    sel = rl.select(res, da, agent=agent, partner=a.partner, good=a.good, route=a.route)
    i0, i1, when = res.period(a.month, a.start, a.end)
    y = sel.isel(time=slice(i0, i1 + 1))
    y = y.sum("time") if a.stat == "sum" else y.mean("time")
    y = np.asarray(y.values, dtype=float)

    names = [str(p) for p in res.ds["param"].values]
    chosen = [pick_param(res, names, p) for p in (a.param or [])]
    if len(chosen) > 2:
        rl.fail("--param: give at most two parameters")
    if len(chosen) == 2 and chosen[0] == chosen[1]:
        rl.fail(f"--param: {chosen[0]} given twice")
    pv = res.ds["param_value"]
    X = {p: np.asarray(pv.sel(param=p).values, dtype=float) for p in names}
    if a.logx:
        for p in (chosen or names):
            if np.nanmin(X[p]) <= 0:
                rl.fail(f"--logx: {p} takes values <= 0")
    a.output = rl.output_for(a, a.result)
    rl.output_paths(a.output)

    good_unit = res.good_unit(a.good) if a.good else None
    unit = rl.unit_text(da, good_unit)
    if a.stat == "sum" and i1 > i0:
        unit = unit.replace("/month", "")
    what = da.attrs.get("long_name", a.var)
    label = rl.selection_label(agent, a.partner, a.good, a.route)
    period = (f"{a.stat} over {when}" if i1 > i0 else f"in {when}")
    title = f"{a.var}" + (f" {label}" if label else "") + f", {period}"
    points = len(np.unique(res.ds["point"].values)) if "point" in res.ds else res.runs
    sub = f"{res.scenario_name} sweep: {res.runs} runs at {points} design points"

    rl.style()
    if len(chosen) == 2:
        fig = plt.figure(figsize=(10, 7.5), layout="constrained")
        ax = fig.add_subplot()
        heatmap(fig, ax, res, X[chosen[0]], X[chosen[1]], y, chosen, unit, a.var, a.logx, a.bins)
    else:
        params = chosen or names[:9]
        n = len(params)
        ncol = min(n, 3)
        nrow = int(np.ceil(n / ncol))
        size = (10, 6.5) if n == 1 else (6 * ncol, 1.0 + 4.8 * nrow)
        fig = plt.figure(figsize=size, layout="constrained")
        axes = fig.subplots(nrow, ncol, squeeze=False).ravel()
        f, p = rl.nice_scale(np.nanmax(np.abs(y)) if y.size else 0)
        for ax, name in zip(axes, params):
            response(ax, res, X[name], y / f, name, a.logx, a.bins)
            if n == 1:
                ax.set_title("")
            ax.set_ylabel(rl.axis_label(a.var, rl.scaled_unit(unit, p)))
        for ax in axes[n:]:
            ax.axis("off")
        if len(names) > 9 and not chosen:
            sub += f" (first 9 of {len(names)} parameters; choose with --param)"
    width = int(fig.get_figwidth() * 9)
    fig.suptitle("\n".join([textwrap.fill(title, width), textwrap.fill(f"{what}; {sub}", int(width * 1.15))]),
                 fontsize=13, fontweight="bold")
    rl.save(fig, a.output, source=a.result)


def pick_param(res, names, spec):
    if spec in names:
        return spec
    if spec.isdigit() and int(spec) < len(names):
        return names[int(spec)]
    hits = [n for n in names if spec in n]
    if len(hits) == 1:
        return hits[0]
    if hits:
        rl.fail(f"--param: '{spec}' matches several parameters: {', '.join(hits)}")
    rl.fail(f"no parameter '{spec}' in {res.path} (swept: {', '.join(names)})")


def param_label(res, name):
    return rl.axis_label(name, rl.param_unit(res, name))


def bin_edges(x, logx, nbins=None):
    """(edges, labels) of one parameter's bins: its distinct values when
    there are at most LEVELS (a grid axis, a list; labels then name them,
    edges None), else nbins bins of about equal counts (quantiles of x)."""
    levels = np.unique(x)
    if len(levels) <= LEVELS and nbins is None:
        return None, levels
    nb = nbins or int(np.clip(round(np.sqrt(x.size / 3)), 4, 12))
    nb = min(nb, len(levels))
    edges = np.unique(np.quantile(np.log(x) if logx else x, np.linspace(0, 1, nb + 1)))
    if logx:
        edges = np.exp(edges)
    return edges, None


def binned(x, y, edges, levels):
    """Per bin (or level): centre x, x range, mean of y, its 95% t interval
    half-width and the count; scipy.stats does the binning."""
    from scipy import stats
    if edges is None:
        idx = np.searchsorted(levels, x)
        nb = len(levels)
    else:
        idx = np.clip(np.searchsorted(edges, x, side="right") - 1, 0, len(edges) - 2)
        nb = len(edges) - 1
    out = []
    for b in range(nb):
        yy, xx = y[idx == b], x[idx == b]
        if yy.size == 0:
            continue
        m = float(np.mean(yy))
        half = (float(stats.t.ppf(0.975, yy.size - 1) * stats.sem(yy))
                if yy.size > 1 and np.ptp(yy) > 0 else 0.0)
        out.append((float(np.mean(xx)) if edges is not None else float(levels[b]),
                    (float(xx.min()), float(xx.max())), m, half, int(yy.size)))
    return out


def response(ax, res, x, y, name, logx, nbins=None):
    """The runs as dots and, per bin of the parameter (or per level), the
    mean with its 95% interval: no smoother, so no curve where the data
    show noise; a note when no bin differs from the overall mean, and when
    the y axis spans a narrow range."""
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    ax.set_title(name, fontsize=10.5)
    ax.set_xlabel(param_label(res, name))
    if logx:
        ax.set_xscale("log")
    if x.size == 0:
        ax.text(0.5, 0.5, "no finite values", transform=ax.transAxes, ha="center", color="0.4")
        return
    edges, levels = bin_edges(x, logx, nbins)
    rng = np.random.default_rng(0)
    if edges is None:  # by level: jitter the runs sideways
        gaps = np.diff(levels).min() if len(levels) > 1 else 1.0
        xj = x * np.exp(rng.uniform(-0.04, 0.04, x.size)) if logx else x + rng.uniform(-0.12, 0.12, x.size) * gaps
    else:
        xj = x
    ax.scatter(xj, y, s=12, color="#4a78b5", alpha=0.35, lw=0, label="runs", zorder=2)
    bins = binned(x, y, edges, levels)
    bx = np.array([b[0] for b in bins])
    bm = np.array([b[2] for b in bins])
    bh = np.array([b[3] for b in bins])
    what = "level" if edges is None else "bin"
    ax.errorbar(bx, bm, yerr=bh, color="#c0392b", lw=0, elinewidth=2.2, marker="o", ms=6, capsize=5,
                label=f"mean of the runs in each {what}, 95% interval", zorder=4)
    if edges is not None:  # each bin's extent
        ax.hlines(bm, [b[1][0] for b in bins], [b[1][1] for b in bins], color="#c0392b", lw=1, alpha=0.6,
                  zorder=3)
        for e in edges[1:-1]:
            ax.axvline(e, color="0.85", lw=0.8, zorder=0)
    else:
        ax.set_xticks(levels)
        ax.set_xticklabels([f"{v:g}" for v in levels])
    notes = []
    overall = float(np.mean(y))
    if len(bins) > 1 and np.all(np.abs(bm - overall) <= bh):
        notes.append(f"no {what}'s interval excludes the overall mean {rl.num(overall)}: no clear effect")
    lo, hi = ax.get_ylim()
    mid = max(abs(lo), abs(hi))
    if mid > 0 and (hi - lo) < 0.1 * mid:
        notes.append(f"narrow y axis: {rl.num(lo)} to {rl.num(hi)} (a span of {100 * (hi - lo) / mid:.2g}% "
                     f"of {rl.num(mid)})")
    if notes:
        ax.text(0.01, 0.01, "\n".join(notes), transform=ax.transAxes, fontsize=8, color="0.25", va="bottom",
                ha="left", bbox=dict(boxstyle="round", fc="white", ec="0.7", alpha=0.9), zorder=5)
    ax.legend(loc="upper right", fontsize=8.5)


def heat_axis(v, logx, nbins):
    """One heatmap axis: (edges in plot coordinates, index of each value,
    number of cells, labels or None, position of each value).  A
    parameter with few values is categorical (cells at 0, 1, ...); else
    its range is cut at round numbers that matplotlib's MaxNLocator picks
    (log axes: equal steps of the logarithm)."""
    from matplotlib.ticker import MaxNLocator
    levels = np.unique(v)
    if len(levels) <= 12 and nbins is None:
        idx = np.searchsorted(levels, v)
        return np.arange(len(levels) + 1) - 0.5, idx, len(levels), [f"{x:g}" for x in levels], idx.astype(float)
    nb = nbins or int(np.clip(round(np.sqrt(v.size / 3)), 3, 10))
    if logx:
        edges = np.geomspace(v.min(), v.max(), nb + 1)
    else:
        edges = MaxNLocator(nbins=nb, steps=[1, 2, 2.5, 5, 10]).tick_values(v.min(), v.max())
        edges = edges[(edges >= edges[edges <= v.min()].max()) & (edges <= edges[edges >= v.max()].min())]
    idx = np.clip(np.searchsorted(edges, v, side="right") - 1, 0, len(edges) - 2)
    return edges, idx, len(edges) - 1, None, v


def heatmap(fig, ax, res, x, z, y, names, unit, var, logx, nbins=None):
    from matplotlib.patches import Patch
    ok = np.isfinite(x) & np.isfinite(z) & np.isfinite(y)
    x, z, y = x[ok], z[ok], y[ok]
    ex, ix, nx, lx, px = heat_axis(x, logx, nbins)
    ez, iz, nz, lz, pz = heat_axis(z, logx, nbins)
    total = np.zeros((nz, nx))
    count = np.zeros((nz, nx))
    np.add.at(total, (iz, ix), y)
    np.add.at(count, (iz, ix), 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(count > 0, total / count, np.nan)
    f, p = rl.nice_scale(np.nanmax(np.abs(mean)) if np.isfinite(mean).any() else 0)
    m = np.ma.masked_invalid(mean / f)
    cmap = plt.get_cmap("viridis").copy()
    cmap.set_bad("#d9d9d9")
    ax.grid(False)
    im = ax.pcolormesh(ex, ez, m, cmap=cmap, shading="flat")
    if logx:
        if lx is None:
            ax.set_xscale("log")
        if lz is None:
            ax.set_yscale("log")
    ax.scatter(px, pz, s=8, c="white", edgecolors="black", linewidths=0.4, alpha=0.7, zorder=3, label="runs")
    if nx * nz <= 100:
        vals = m.compressed()
        mid = (vals.min() + vals.max()) / 2 if vals.size else 0
        cx = (ex[:-1] + ex[1:]) / 2 if not (logx and lx is None) else np.sqrt(ex[:-1] * ex[1:])
        cz = (ez[:-1] + ez[1:]) / 2 if not (logx and lz is None) else np.sqrt(ez[:-1] * ez[1:])
        for r in range(nz):
            for c in range(nx):
                if count[r, c] > 0:
                    ax.text(cx[c], cz[r], f"{rl.num(m[r, c])}\n(n={int(count[r, c])})", ha="center", va="center",
                            fontsize=8, color="white" if m[r, c] < mid else "black", zorder=4)
    if lx is not None:
        ax.set_xticks(range(nx), lx)
    if lz is not None:
        ax.set_yticks(range(nz), lz)
    ax.set_xlim(ex[0], ex[-1])
    ax.set_ylim(ez[0], ez[-1])
    ax.set_xlabel(param_label(res, names[0]))
    ax.set_ylabel(param_label(res, names[1]))
    cb = fig.colorbar(im, ax=ax, shrink=0.9)
    label = rl.axis_label(f"mean {var} of the runs in the cell", rl.scaled_unit(unit, p))
    vals = m.compressed()
    top = float(np.max(np.abs(vals))) if vals.size else 0.0
    if top > 0 and np.ptp(vals) < 0.1 * top:
        label += (f"\nnarrow colour scale: {rl.num(float(vals.min()))} to {rl.num(float(vals.max()))} "
                  f"(a span of {100 * np.ptp(vals) / top:.2g}% of {rl.num(top)})")
    cb.set_label(label)
    handles = [ax.collections[-1]]
    empty = int((count == 0).sum())
    if empty:
        handles.append(Patch(color="#d9d9d9", label=f"no run in this cell ({empty} of {nx * nz})"))
    ax.legend(handles=handles, loc="upper right", bbox_to_anchor=(1.0, 1.08), fontsize=8.5, framealpha=0.9,
              ncol=len(handles))


if __name__ == "__main__":
    rl.run_main(PROG, main)
