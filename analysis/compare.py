#!/usr/bin/python3
"""Two scenarios side by side, from a `sim compare` file.

    build/sim compare scenarios/baseline.cfg scenarios/sanctions_escalation.cfg \\
        --replicates 20 -o cmp.h5
    /usr/bin/python3 analysis/compare.py cmp.h5 -o compare.png

Writes compare.png and compare.svg (2000 x 2200 pixels).  The top half shows
the headline series of both scenarios over time, each as the median over
runs with its 5-95% band: the focus agent's shell shortfall, drone output
and drone shortfall; Iranian drones and North Korean shells arriving in it;
Chinese chips shipped to it; the USD share of its settlement with China;
China-North Korea rivalry; the bloc's cohesion, connectivity, hub share and
member count.  These follow configs/headlines.cfg; a series whose agents,
goods or variables the file lacks is marked as such.

The bottom half shows, for each headline figure, the distribution of the
paired differences B - A over runs (both scenarios ran with the same seeds,
so run r of A and run r of B share their random numbers): every run a dot,
the median, the 5-95% range, and the mean.  Totals are summed over the
period (--from, --to; default the whole run), shares and indices taken at
its last month, connectivity also averaged.  A file with more than two
scenarios needs --pair A B.  Errors (not a compare file, an unknown
scenario) are one line `compare: ...`, exit status 2, and no image.
"""
import numpy as np

import resultlib as rl
from resultlib import plt

PROG = "compare"
COLORS = ("#3b6fb6", "#d35400")

# (label, variable or "arrived" (flow - interdicted) or "members", selection,
#  reduction for the difference plot); {F} is the focus agent.
HEADLINES = [
    ("{F} shell shortfall", "shortfall", dict(agent="{F}", good="shells"), "sum"),
    ("{F} drone output", "production", dict(agent="{F}", good="drones"), "sum"),
    ("{F} drone shortfall", "shortfall", dict(agent="{F}", good="drones"), "sum"),
    ("Iranian drones arriving in {F}", "arrived", dict(agent="IRN", partner="{F}", good="drones"), "sum"),
    ("North Korean shells arriving in {F}", "arrived", dict(agent="PRK", partner="{F}", good="shells"), "sum"),
    ("Chinese chips shipped to {F}", "flow", dict(agent="CHN", partner="{F}", good="chips"), "sum"),
    ("USD share of {F}-China settlement", "usd_share", dict(agent="CHN", partner="{F}"), "last"),
    ("China-North Korea rivalry", "rivalry", dict(agent="CHN", partner="PRK"), "last"),
    ("bloc cohesion", "cohesion", {}, "last"),
    ("bloc connectivity", "connectivity", {}, "last"),
    ("bloc connectivity", "connectivity", {}, "mean"),
    ("bloc hub share", "hub_share", {}, "last"),
    ("bloc members", "members", {}, "last"),
]


def main(argv=None):
    ap = rl.parser(PROG, __doc__, "compare.png", scenario=False)
    ap.add_argument("result", help="file written by `sim compare A.cfg B.cfg -o FILE`")
    ap.add_argument("--pair", nargs=2, metavar=("A", "B"), help="the two scenarios (default the file's two)")
    ap.add_argument("--from", dest="start", metavar="M1", help="first month summed for the differences")
    ap.add_argument("--to", dest="end", metavar="M2", help="last month summed for the differences")
    a = ap.parse_args(argv)

    res = rl.open_result(a.result, keep_scenario=True)
    if res.kind != "compare":
        rl.fail(f"{a.result} is not a `sim compare` file (no scenario dimension)")
    if a.pair:
        pair = [res.check_name("scenario", s) for s in a.pair]
        if pair[0] == pair[1]:
            rl.fail(f"--pair: '{pair[0]}' given twice")
    elif len(res.scenarios) == 2:
        pair = res.scenarios
    else:
        rl.fail(f"{a.result} holds {len(res.scenarios)} scenarios: choose two with --pair "
                f"({', '.join(res.scenarios)})")
    i0, i1, when = res.period(None, a.start, a.end) if (a.start or a.end) else (0, len(res.times()) - 1, None)
    if when is None:
        t = res.times()
        when = f"{t[0]:%Y-%m} to {t[-1]:%Y-%m}"
    rl.output_paths(a.output)

    series = [headline(res, h, pair) for h in HEADLINES]
    rl.style()
    fig = plt.figure(figsize=(20, 22), layout="constrained")
    outer = fig.add_gridspec(2, 1, height_ratios=[1.25, 1.0])
    top = outer[0].subgridspec(3, 4)
    t = res.times()
    shown = [s for s in series if not (s["label"] == "bloc connectivity" and s["reduce"] == "mean")]
    for k, s in enumerate(shown[:12]):
        ax = fig.add_subplot(top[k // 4, k % 4])
        time_panel(ax, s, pair, t)
    bottom = outer[1].subgridspec(7, 2)
    for k, s in enumerate(series[:14]):
        ax = fig.add_subplot(bottom[k % 7, k // 7])
        diff_panel(ax, s, i0, i1)
    fig.suptitle(f"bloc-sim compare: {pair[1]} against {pair[0]}, {res.runs} paired runs (common random numbers)\n"
                 f"top: headline series, median and 5-95% range over runs; "
                 f"bottom: paired differences {pair[1]} \u2212 {pair[0]} over {when}",
                 fontsize=15, fontweight="bold")
    rl.save(fig, a.output)


def headline(res, spec, pair):
    """One headline: its values for both scenarios, array (2, run, time),
    or the reason it is missing."""
    label, var, sel, reduce = spec
    F = res.focus
    label = label.replace("{F}", F)
    sel = {k: v.replace("{F}", F) for k, v in sel.items()}
    out = dict(label=label, reduce=reduce, unit="", values=None, missing="")
    need = {"arrived": ["flow", "interdicted"], "members": ["member"]}.get(var, [var])
    lacking = [v for v in need if not res.has(v)]
    if lacking:
        out["missing"] = "not recorded: " + ", ".join(lacking)
        return out
    for dim, v in sel.items():
        if v not in [str(x) for x in res.ds[dim].values]:
            out["missing"] = f"no {dim} {v} in this file"
            return out
    if var == "arrived":
        da = res.ds["flow"].sel(**sel) - res.ds["interdicted"].sel(**sel)
        da.attrs = res.ds["flow"].attrs
    elif var == "members":
        da = res.ds["member"].sum("agent")
        da.attrs = {"units": "states"}
    else:
        da = res.ds[var].sel(**sel)
    da = da.sel(scenario=list(pair)).transpose("scenario", "run", "time")
    out["values"] = np.asarray(da.values, dtype=float)
    out["unit"] = rl.unit_text(res.ds[need[0]] if var != "members" else da,
                               res.good_unit(sel["good"]) if "good" in sel else None)
    if var == "members":
        out["unit"] = "states"
    return out


def time_panel(ax, s, pair, t):
    ax.set_title(s["label"])
    if s["values"] is None:
        rl.not_recorded(ax, s["label"], [s["missing"]])
        return
    v = s["values"]
    f, p = rl.nice_scale(np.nanmax(np.abs(v)))
    for k, name in enumerate(pair):
        med, lo, hi = rl.band(v[k] / f)
        ax.plot(t, med, color=COLORS[k], lw=2, label=name, ls="-" if k == 0 else "--")
        ax.fill_between(t, lo, hi, color=COLORS[k], alpha=0.2, lw=0)
    ax.set_ylabel(rl.scaled_unit(s["unit"], p) or "index (0-1)")
    if s["unit"] == "" and np.nanmax(v) <= 1.0:
        ax.set_ylim(0, 1.05)
    elif s["unit"] == "states":
        ax.set_ylim(0, np.nanmax(v) + 1)
        ax.yaxis.get_major_locator().set_params(integer=True)
    rl.date_axis(ax, t, max_ticks=5)
    ax.legend(loc="best", fontsize=8.5)


def reduce_runs(v, how, i0, i1):
    """Per-run figure of one scenario's (run, time) array over [i0, i1]."""
    w = v[:, i0:i1 + 1]
    if how == "sum":
        return w.sum(axis=1)
    if how == "mean":
        return w.mean(axis=1)
    return w[:, -1]


def diff_panel(ax, s, i0, i1):
    how = {"sum": "total", "mean": "mean", "last": "last month"}[s["reduce"]]
    name = f"{s['label']} ({how})"
    ax.set_yticks([])
    ax.grid(axis="y", alpha=0)
    ax.spines["left"].set_visible(False)
    if s["values"] is None:
        ax.text(0.0, 0.5, f"{name}: {s['missing']}", transform=ax.transAxes, va="center", color="0.4")
        ax.set_xticks([])
        ax.spines["bottom"].set_visible(False)
        return
    a = reduce_runs(s["values"][0], s["reduce"], i0, i1)
    b = reduce_runs(s["values"][1], s["reduce"], i0, i1)
    d = b - a
    unit = s["unit"].replace("/month", "") if s["reduce"] == "sum" else s["unit"]
    f, p = rl.nice_scale(np.nanmax(np.abs(d)) if d.size else 0)
    d = d / f
    med, lo, hi = rl.band(d)
    rng = np.random.default_rng(1)
    ax.axvline(0, color="0.3", lw=1)
    ax.hlines(0, lo, hi, color="#c0392b", lw=3, alpha=0.5, zorder=2)
    ax.scatter(d, rng.uniform(-0.25, 0.25, d.size), s=16, color="#444444", alpha=0.6, lw=0, zorder=3)
    ax.plot([med], [0], marker="D", color="#c0392b", ms=8, zorder=4)
    span = max(abs(lo), abs(hi), float(np.max(np.abs(d))))
    if span > 0 and np.isfinite(span):
        ax.set_xlim(min(float(d.min()), 0) - 0.12 * span, max(float(d.max()), 0) + 0.12 * span)
    else:
        ax.set_xlim(-1, 1)
        ax.text(0.53, 0.3, "no difference in any run", transform=ax.transAxes, ha="left", color="0.4")
    ax.set_ylim(-0.6, 0.9)
    u = rl.scaled_unit(unit, p)
    ax.text(0.0, 1.0, f"{name}:  mean {rl.num(float(np.mean(d)))}, median {rl.num(float(med))}, "
                      f"5-95% [{rl.num(float(lo))}, {rl.num(float(hi))}] {u}",
            transform=ax.transAxes, va="top", fontsize=9, fontweight="bold")
    ax.tick_params(axis="x", labelsize=8.5)


if __name__ == "__main__":
    rl.run_main(PROG, main)
