#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Two scenarios side by side, from a `sim compare` file.

    build/sim compare scenarios/baseline.cfg scenarios/sanctions_escalation.cfg \\
        --replicates 20 -o cmp.h5
    /usr/bin/python3 analysis/compare.py cmp.h5

Writes cmp.compare.png and cmp.compare.svg (2000 x 2200 pixels; -o chooses
another name).  The figures are the headline measures that `sim compare`
prints: those of configs/headlines.cfg (the file the program compiles in,
read from the shared data beside this script), or of --measures FILE as
given to sim compare.  Each measure sums its variables over its agents,
partners, goods or routes (a variable written -v is subtracted), divides
by its scale and reduces its months by sum, mean, first or last, as the
program does; with every month recorded the values are the program's.

The top half shows each measure's monthly series for both scenarios, the
median over runs with its 5-95% band (a measure that only reduces the same
series differently is drawn once).  The bottom half shows, for each
measure, the distribution over runs of the paired difference B - A (both
scenarios ran with the same seeds, so run r of A and run r of B share
their random numbers): every run a dot, the median, the 5-95% range and
the mean.  --from and --to narrow every measure's period.  A file with
more than two scenarios needs --pair A B.  A measure whose agents, goods
or variables the file lacks is marked as such.  Errors (not a compare
file, an unknown scenario, a measures file that cannot be read) are one
line `compare: ...`, exit status 2, and no image.
"""
import os

import numpy as np

import resultlib as rl
from resultlib import plt

PROG = "compare"
COLORS = ("#3b6fb6", "#d35400")
HEADLINES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "configs", "headlines.cfg")
SELECT = ("agents", "partners", "goods", "routes")


def main(argv=None):
    ap = rl.parser(PROG, __doc__, "compare.png", scenario=False)
    ap.add_argument("result", help="file written by `sim compare A.cfg B.cfg -o FILE`")
    ap.add_argument("--pair", nargs=2, metavar=("A", "B"), help="the two scenarios (default the file's two)")
    ap.add_argument("--measures", metavar="FILE",
                    help="headline measures, as for sim compare (default configs/headlines.cfg)")
    ap.add_argument("--from", dest="start", metavar="M1", help="first month of every measure's period")
    ap.add_argument("--to", dest="end", metavar="M2", help="last month of every measure's period")
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
    measures = load_measures(a.measures or HEADLINES)
    narrow = None
    if a.start or a.end:
        i0, i1, _ = res.period(None, a.start, a.end)
        narrow = (i0, i1)
    a.output = rl.output_for(a, a.result)
    rl.output_paths(a.output)

    series = [headline(res, m, pair, narrow) for m in measures]
    rl.style()
    fig = plt.figure(figsize=(20, 22), layout="constrained")
    outer = fig.add_gridspec(2, 1, height_ratios=[1.25, 1.0])
    t = res.times()
    shown, seen = [], set()
    for s in series:  # one time panel per distinct series
        if s["key"] not in seen:
            seen.add(s["key"])
            shown.append(s)
    cols = 4
    top = outer[0].subgridspec(max(1, -(-len(shown) // cols)), cols)
    for k, s in enumerate(shown):
        time_panel(fig.add_subplot(top[k // cols, k % cols]), s, pair, t)
    rows = max(1, -(-len(series) // 2))
    bottom = outer[1].subgridspec(rows, 2)
    for k, s in enumerate(series):
        diff_panel(fig.add_subplot(bottom[k % rows, k // rows]), s)
    fig.suptitle(f"bloc-sim compare: {pair[1]} against {pair[0]}, {res.runs} paired runs (common random numbers)\n"
                 f"top: headline series, median and 5-95% range over runs; "
                 f"bottom: paired differences {pair[1]} \u2212 {pair[0]} of each headline figure",
                 fontsize=15, fontweight="bold")
    rl.save(fig, a.output, source=a.result)


# ---- the measures ---------------------------------------------------------------

def load_measures(path):
    """The `measures` list of a measures file (configs/headlines.cfg or a
    targets file), read with libconf: dicts with name, label, unit,
    variables, the selections, from, to, reduce and scale."""
    import libconf
    if not os.path.exists(path):
        rl.fail(f"{path}: no such file (the headline measures; give --measures FILE)")
    try:
        with open(path) as f:
            cfg = libconf.load(f, includedir=os.path.dirname(path))
    except Exception as e:  # libconf's parse errors and OSError
        rl.fail(f"{path}: cannot read as a measures file: {rl._first_line(e)}")
    ms = cfg.get("measures")
    if not ms:
        rl.fail(f"{path}: no `measures` list")
    out = []
    for m in ms:
        d = {k: m.get(k) for k in ("name", "label", "unit", "from", "to")}
        d["variables"] = list(m.get("variables", []))
        d["reduce"] = m.get("reduce", "sum")
        d["scale"] = float(m.get("scale", 1.0))
        for k in SELECT:
            d[k] = list(m[k]) if k in m else None
        if not d["variables"] or d["reduce"] not in ("sum", "mean", "first", "last"):
            rl.fail(f"{path}: measure '{d['name']}' has no variables or an unknown reduce")
        out.append(d)
    return out


def measure_series(res, m, scenarios=None):
    """A measure's monthly value, before its reduction: array (scenario,
    run, time) for the scenarios given (all by default), divided by its
    scale; or a string saying why the file cannot give it."""
    ds = res.ds
    total = None
    for v in m["variables"]:
        sign, name = (-1.0, v[1:]) if v.startswith("-") else (1.0, v)
        if name not in ds.data_vars:
            return f"not recorded: {name}"
        da = ds[name]
        for key, dim in zip(SELECT, ("agent", "partner", "good", "route")):
            if m[key] is None or dim not in da.dims:
                continue
            have = [str(x) for x in ds[dim].values]
            lack = [x for x in m[key] if x not in have]
            if lack:
                return f"no {dim} {', '.join(lack)} in this file"
            da = da.sel({dim: m[key]})
        rest = [d for d in da.dims if d not in ("scenario", "run", "time")]
        da = sign * (da.sum(rest) if rest else da)
        total = da if total is None else total + da
    if scenarios is not None:
        total = total.sel(scenario=list(scenarios))
    return np.asarray(total.transpose("scenario", "run", "time").values, dtype=float) / m["scale"]


def period(res, m, narrow=None):
    """The measure's months as indices (first, last) of the time axis:
    its from/to (steps or YYYY-MM), within --from/--to."""
    n = len(res.times())
    i0 = res.month_index(m["from"], "from") if m.get("from") is not None else 0
    i1 = res.month_index(m["to"], "to") if m.get("to") is not None else n - 1
    if narrow:
        i0, i1 = max(i0, narrow[0]), min(i1, narrow[1])
    return i0, i1


def reduce_runs(v, how, i0, i1):
    """Per-run figure of a (run, time) array over months i0..i1."""
    w = v[:, i0:i1 + 1]
    if w.shape[1] == 0:
        return np.full(v.shape[0], np.nan)
    if how == "sum":
        return w.sum(axis=1)
    if how == "mean":
        return w.mean(axis=1)
    return w[:, 0] if how == "first" else w[:, -1]


def measure_values(res, m, scenarios=None, narrow=None):
    """The measure of every run: array (scenario, run), or a string."""
    x = measure_series(res, m, scenarios)
    if isinstance(x, str):
        return x
    i0, i1 = period(res, m, narrow)
    return np.stack([reduce_runs(x[s], m["reduce"], i0, i1) for s in range(x.shape[0])])


def headline(res, m, pair, narrow):
    out = dict(label=m["label"] or m["name"], unit=m["unit"] or "", reduce=m["reduce"], values=None,
               missing="", key=(tuple(m["variables"]),) + tuple(str(m[k]) for k in SELECT) + (m["scale"],))
    x = measure_series(res, m, pair)
    if isinstance(x, str):
        out["missing"] = x
        return out
    out["series"] = x
    out["values"] = measure_values(res, m, pair, narrow)
    return out


# ---- panels --------------------------------------------------------------------------

def time_panel(ax, s, pair, t):
    title = s["label"].replace(", last month", "").replace(", mean", "")
    ax.set_title(title)
    if s["values"] is None:
        rl.not_recorded(ax, title, [s["missing"]])
        return
    v = s["series"]
    f, p = rl.nice_scale(np.nanmax(np.abs(v)) if v.size else 0)
    for k, name in enumerate(pair):
        med, lo, hi = rl.band(v[k] / f)
        ax.plot(t, med, color=COLORS[k], lw=2, label=name, ls="-" if k == 0 else "--")
        ax.fill_between(t, lo, hi, color=COLORS[k], alpha=0.2, lw=0)
    unit = "" if s["unit"] in ("1", "") else s["unit"]
    ax.set_ylabel(rl.scaled_unit(unit, p) or "index (0-1)")
    if unit == "" and np.nanmax(v) <= 1.0:
        ax.set_ylim(0, 1.05)
    elif unit == "states":
        ax.set_ylim(0, np.nanmax(v) + 1)
        ax.yaxis.get_major_locator().set_params(integer=True)
    rl.date_axis(ax, t, max_ticks=5)
    ax.legend(loc="best", fontsize=8.5)


def diff_panel(ax, s):
    how = {"sum": "total", "mean": "mean", "first": "first month", "last": "last month"}[s["reduce"]]
    name = s["label"] if s["reduce"] in ("first", "last") or "mean" in s["label"] else f"{s['label']} ({how})"
    ax.set_yticks([])
    ax.grid(axis="y", alpha=0)
    ax.spines["left"].set_visible(False)
    if s["values"] is None:
        ax.text(0.0, 0.5, f"{name}: {s['missing']}", transform=ax.transAxes, va="center", color="0.4")
        ax.set_xticks([])
        ax.spines["bottom"].set_visible(False)
        return
    d = s["values"][1] - s["values"][0]
    unit = "" if s["unit"] in ("1", "") else s["unit"]
    f, p = rl.nice_scale(np.nanmax(np.abs(d)) if d.size and np.isfinite(d).any() else 0)
    d = d / f
    med, lo, hi = rl.band(d)
    rng = np.random.default_rng(1)
    ax.axvline(0, color="0.3", lw=1)
    ax.hlines(0, lo, hi, color="#c0392b", lw=3, alpha=0.5, zorder=2)
    ax.scatter(d, rng.uniform(-0.25, 0.25, d.size), s=16, color="#444444", alpha=0.6, lw=0, zorder=3)
    ax.plot([med], [0], marker="D", color="#c0392b", ms=8, zorder=4)
    span = max(abs(lo), abs(hi), float(np.nanmax(np.abs(d))) if d.size else 0.0)
    if span > 0 and np.isfinite(span):
        ax.set_xlim(min(float(np.nanmin(d)), 0) - 0.12 * span, max(float(np.nanmax(d)), 0) + 0.12 * span)
    else:
        ax.set_xlim(-1, 1)
        ax.text(0.53, 0.3, "no difference in any run", transform=ax.transAxes, ha="left", color="0.4")
    ax.set_ylim(-0.6, 0.9)
    u = rl.scaled_unit(unit, p)
    ax.text(0.0, 1.0, f"{name}:  mean {rl.num(float(np.nanmean(d)))}, median {rl.num(float(med))}, "
                      f"5-95% [{rl.num(float(lo))}, {rl.num(float(hi))}] {u}",
            transform=ax.transAxes, va="top", fontsize=9, fontweight="bold")
    ax.tick_params(axis="x", labelsize=8.5)


if __name__ == "__main__":
    rl.run_main(PROG, main)
