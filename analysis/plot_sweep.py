#!/usr/bin/python3
"""How an output of a parameter sweep responds to the swept parameters.

    /usr/bin/python3 analysis/plot_sweep.py sweep.h5 --var shortfall --agent RUS --good drones \\
        --from 2024-01 --to 2024-12 -o sweep.png
    /usr/bin/python3 analysis/plot_sweep.py sweep.h5 --var cohesion --param agents.CHN.secondary \\
        --param caspian.interdiction -o sweep2.png

Writes sweep.png and sweep.svg.  The output is one variable (--var) of the
file, with its agent, partner, good and route chosen by --agent, --partner,
--good and --route: an agent defaults to the file's focus agent (or, when
only --partner is given, to the sum over exporting agents); partners and
routes not chosen are summed where that makes sense (flows, values); a
per-good variable needs --good.  It is taken at one month (--month, default
the last recorded), or averaged over a period (--from and --to; --stat sum
adds the months up instead).

  - no --param: one panel per swept parameter (at most 9), each a scatter
    of every run with a smoothed line;
  - one --param: that panel alone (1000 x 650 pixels);
  - two --param: a heatmap of the mean output in bins of the two
    parameters, each run a dot (1000 x 750 pixels).

The smoothed line is a LOWESS (locally weighted linear fit, tricube
weights, two robustness passes; --frac sets the span).  A parameter with at
most 8 distinct values (a grid axis, a list of values) is shown by level
instead: the median of the runs at each value with their 5-95% range.
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
    ap.add_argument("--frac", type=float, default=0.6, help="LOWESS span, a fraction of the runs (default 0.6)")
    ap.add_argument("--logx", action="store_true", help="parameters on a log scale (all must be > 0)")
    a = ap.parse_args(argv)
    if not 0.05 <= a.frac <= 1:
        rl.fail(f"--frac must be between 0.05 and 1 (got {a.frac})")

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
        heatmap(fig, ax, res, X[chosen[0]], X[chosen[1]], y, chosen, unit, a.var, a.logx)
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
            response(ax, res, X[name], y / f, name, a.frac, a.logx)
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
    rl.save(fig, a.output)


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


def response(ax, res, x, y, name, frac, logx):
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    levels = np.unique(x)
    ax.set_title(name, fontsize=10.5)
    ax.set_xlabel(param_label(res, name))
    if logx:
        ax.set_xscale("log")
    if x.size == 0:
        ax.text(0.5, 0.5, "no finite values", transform=ax.transAxes, ha="center", color="0.4")
        return
    if len(levels) <= LEVELS:
        # by level: jittered runs, median and 5-95% range at each value
        span = np.ptp(levels) if len(levels) > 1 else 1.0
        gaps = np.diff(levels).min() if len(levels) > 1 else span
        rng = np.random.default_rng(0)
        if logx:
            xj = x * np.exp(rng.uniform(-0.04, 0.04, x.size))
        else:
            xj = x + rng.uniform(-0.12, 0.12, x.size) * gaps
        ax.scatter(xj, y, s=14, color="#4a78b5", alpha=0.45, lw=0, label="runs")
        med = np.array([np.median(y[x == v]) for v in levels])
        lo = np.array([np.quantile(y[x == v], 0.05) for v in levels])
        hi = np.array([np.quantile(y[x == v], 0.95) for v in levels])
        ax.errorbar(levels, med, yerr=[med - lo, hi - med], color="#c0392b", lw=2, marker="o", ms=6,
                    capsize=5, label="median, 5-95%", zorder=4)
        ax.set_xticks(levels)
        ax.set_xticklabels([f"{v:g}" for v in levels])
    else:
        ax.scatter(x, y, s=14, color="#4a78b5", alpha=0.45, lw=0, label="runs")
        u = np.log(x) if logx else x
        grid = np.linspace(u.min(), u.max(), 120)
        fit = lowess(u, y, grid, frac)
        ax.plot(np.exp(grid) if logx else grid, fit, color="#c0392b", lw=2.4, label="LOWESS", zorder=4)
    ax.legend(loc="best", fontsize=8.5)


def lowess(x, y, at, frac=0.6, iters=2):
    """Locally weighted linear regression (Cleveland 1979): tricube weights
    over the nearest frac*n points, `iters` robustness passes with bisquare
    weights on the residuals; evaluated at the points `at`."""
    x = np.asarray(x, float)
    y = np.asarray(y, float)
    n = x.size
    k = int(min(n, max(3, np.ceil(frac * n))))
    robust = np.ones(n)
    if n > 3000:        # residual passes cost n^2: skip them on huge sweeps
        iters = 0
    for _ in range(iters):
        fitted = _local_fit(x, y, x, k, robust)
        r = y - fitted
        s = np.median(np.abs(r))
        if s <= 1e-12 * max(1.0, np.abs(y).max()):
            break
        robust = np.clip(1 - (r / (6 * s)) ** 2, 0, None) ** 2
    return _local_fit(x, y, np.asarray(at, float), k, robust)


def _local_fit(x, y, at, k, robust, chunk=512):
    out = np.empty(at.size)
    span = np.ptp(x) or 1.0
    for s in range(0, at.size, chunk):
        a = at[s:s + chunk, None]
        d = np.abs(x[None, :] - a)
        h = np.partition(d, k - 1, axis=1)[:, k - 1:k]
        h = np.maximum(h, 1e-12 * span)
        w = np.clip(1 - (d / (h * 1.000001)) ** 3, 0, None) ** 3 * robust[None, :]
        sw = w.sum(1)
        sw_safe = np.where(sw > 0, sw, 1)
        xm = (w * x).sum(1) / sw_safe
        ym = (w * y).sum(1) / sw_safe
        dx = x[None, :] - xm[:, None]
        var = (w * dx ** 2).sum(1)
        cov = (w * dx * (y[None, :] - ym[:, None])).sum(1)
        slope = np.where(var > 1e-12 * span ** 2 * np.maximum(sw, 1e-300), cov / np.where(var > 0, var, 1), 0.0)
        out[s:s + chunk] = np.where(sw > 0, ym + slope * (a[:, 0] - xm), np.nan)
    return out


def bins(x, logx):
    """(edges, labels, index of each value) for one heatmap axis: the
    distinct values when few, else equal-width bins."""
    levels = np.unique(x)
    if len(levels) <= 12:
        idx = np.searchsorted(levels, x)
        return None, [f"{v:g}" for v in levels], idx, len(levels)
    nb = int(np.clip(round(np.sqrt(x.size / 3)), 3, 10))
    u = np.log(x) if logx else x
    edges = np.linspace(u.min(), u.max(), nb + 1)
    idx = np.clip(np.searchsorted(edges, u, side="right") - 1, 0, nb - 1)
    e = np.exp(edges) if logx else edges
    return e, None, idx, nb


def heatmap(fig, ax, res, x, z, y, names, unit, var, logx):
    ok = np.isfinite(x) & np.isfinite(z) & np.isfinite(y)
    x, z, y = x[ok], z[ok], y[ok]
    ex, lx, ix, nx = bins(x, logx)
    ez, lz, iz, nz = bins(z, logx)
    total = np.zeros((nz, nx))
    count = np.zeros((nz, nx))
    np.add.at(total, (iz, ix), y)
    np.add.at(count, (iz, ix), 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(count > 0, total / count, np.nan)
    f, p = rl.nice_scale(np.nanmax(np.abs(mean)) if np.isfinite(mean).any() else 0)
    m = np.ma.masked_invalid(mean / f)
    cmap = plt.get_cmap("viridis").copy()
    cmap.set_bad("#dddddd")
    # plot in bin-index space so that categorical and binned axes look alike
    im = ax.imshow(m, origin="lower", aspect="auto", cmap=cmap, extent=(-0.5, nx - 0.5, -0.5, nz - 0.5))
    ax.grid(False)
    # the runs, placed inside their cells
    px = pos_in_bins(x, ex, ix, logx)
    pz = pos_in_bins(z, ez, iz, logx)
    ax.scatter(px, pz, s=8, c="white", edgecolors="black", linewidths=0.4, alpha=0.7, zorder=3, label="runs")
    if nx * nz <= 100:
        vals = m.compressed()
        mid = (vals.min() + vals.max()) / 2 if vals.size else 0
        for r in range(nz):
            for c in range(nx):
                if count[r, c] > 0:
                    ax.text(c, r, f"{rl.num(m[r, c])}\n(n={int(count[r, c])})", ha="center", va="center", fontsize=8,
                            color="white" if m[r, c] < mid else "black", zorder=4)
    for axis, edges, labels, n, setter, lim in ((ax.xaxis, ex, lx, nx, ax.set_xticks, ax.set_xlim),
                                               (ax.yaxis, ez, lz, nz, ax.set_yticks, ax.set_ylim)):
        if labels is not None:
            setter(range(n), labels)
        else:
            ticks = np.arange(n + 1) - 0.5
            setter(ticks, [f"{v:.3g}" for v in edges])
        lim(-0.5, n - 0.5)
    ax.set_xlabel(param_label(res, names[0]))
    ax.set_ylabel(param_label(res, names[1]))
    cb = fig.colorbar(im, ax=ax, shrink=0.9)
    cb.set_label(rl.axis_label(f"mean {var} of the runs in the cell", rl.scaled_unit(unit, p)))
    ax.legend(loc="upper right", bbox_to_anchor=(1.0, 1.07), fontsize=8.5, framealpha=0.9)


def pos_in_bins(v, edges, idx, logx):
    """A run's position in bin-index space (exact inside its bin)."""
    if edges is None:
        return idx.astype(float)
    u = np.log(v) if logx else v
    e = np.log(edges) if logx else edges
    width = np.diff(e)
    return idx - 0.5 + (u - e[idx]) / np.where(width[idx] > 0, width[idx], 1)


if __name__ == "__main__":
    rl.run_main(PROG, main)
