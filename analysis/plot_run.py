#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""A one-page dashboard of a bloc-sim result: a run, an ensemble or a sweep.

    /usr/bin/python3 analysis/plot_run.py baseline.h5
    /usr/bin/python3 analysis/plot_run.py ensemble.h5 -o ens.png --agent RUS

Writes baseline.run.png and baseline.run.svg (2000 x 2500 pixels; -o
chooses another name).  The panels:

  - the focus agent's supply of two goods (default shells and drones) against
    its demand, with the shortfall: production, imports from the bloc,
    production + all imports, demand, shortfall;
  - production by agent, one panel per good;
  - oil reaching China by supplier (after interdiction), rest of the world
    included (--importer, --import-good choose another buyer or good);
  - sanctions pressure by agent (candidates dashed);
  - the affinity matrix at the first and at the last month;
  - the bloc's cohesion, connectivity and hub share;
  - membership over time (shaded: share of runs in which the agent is a
    member) with the events of the first run numbered on the time axis and
    listed; incidents are crosses, membership changes also show as dotted
    lines on the other time panels.

With several runs (an ensemble, or a sweep's runs) each line is the median
over runs and the band the 5-95% range.  Runs a sweep did not finish
(point = -1) are left out.  A panel whose variables the file does not record
says so.  For a `sim compare` file, --scenario picks the scenario.
Errors (a missing or foreign file, an unknown agent or good) are one line
`plot_run: ...` on stderr, exit status 2, and no image.
"""
import numpy as np

import resultlib as rl
from resultlib import mdates, plt

PROG = "plot_run"
MEMBERSHIP_KINDS = ("join", "leave", "admit", "expel")


def main(argv=None):
    ap = rl.parser(PROG, __doc__, "run.png")
    ap.add_argument("result", help="result file written by sim run, sim sweep, sim merge or sim compare")
    ap.add_argument("--agent", help="agent whose supply is shown (default the file's focus_agent)")
    ap.add_argument("--goods", default="shells,drones", metavar="G1,G2",
                    help="the two goods of the supply panels (default shells,drones)")
    ap.add_argument("--importer", default="CHN", help="buyer of the flows-by-supplier panel (default CHN)")
    ap.add_argument("--import-good", default="oil", help="good of the flows-by-supplier panel (default oil)")
    a = ap.parse_args(argv)

    res = rl.open_result(a.result, a.scenario)
    agent = res.check_name("agent", a.agent or res.focus)
    goods = [g.strip() for g in a.goods.split(",") if g.strip()]
    if not 1 <= len(goods) <= 2:
        rl.fail(f"--goods: give one or two goods (got '{a.goods}')")
    for g in goods:
        res.check_name("good", g)
    res.check_name("agent", a.importer)
    res.check_name("good", a.import_good)
    a.output = rl.output_for(a, a.result)
    rl.output_paths(a.output)

    rl.style()
    fig = plt.figure(figsize=(20, 25), layout="constrained")
    gs = fig.add_gridspec(6, 4, height_ratios=[1.05, 0.85, 0.9, 1.1, 0.85, 0.42])
    t = res.times()
    marks = membership_marks(res)
    name = res.agent_name(agent)
    fig.suptitle(f"bloc-sim: {res.describe()}\n{name} ({agent}) and the bloc, {t[0]:%Y-%m} to {t[-1]:%Y-%m}",
                 fontsize=16, fontweight="bold")

    time_axes = []
    for i, g in enumerate(goods):
        ax = fig.add_subplot(gs[0, 2 * i:2 * i + 2])
        supply_panel(ax, res, agent, g, t)
        time_axes.append(ax)
    sub = gs[1, :].subgridspec(1, len(res.goods()))
    for i, g in enumerate(res.goods()):
        ax = fig.add_subplot(sub[0, i])
        production_panel(ax, res, g, t, legend=(i == 0))
        time_axes.append(ax)
    ax = fig.add_subplot(gs[2, 0:2])
    imports_panel(ax, res, a.importer, a.import_good, t)
    time_axes.append(ax)
    ax = fig.add_subplot(gs[2, 2:4])
    sanctions_panel(ax, res, t)
    time_axes.append(ax)
    affinity_panels(fig, [fig.add_subplot(gs[3, 0]), fig.add_subplot(gs[3, 1])], res)
    ax = fig.add_subplot(gs[3, 2:4])
    cohesion_panel(ax, res, t)
    time_axes.append(ax)
    ax_tl = fig.add_subplot(gs[4, :])
    ax_list = fig.add_subplot(gs[5, :])
    timeline_panel(ax_tl, ax_list, res, t)

    for ax in time_axes:
        if ax.has_data():
            for when, label in marks:
                ax.axvline(when, color="0.35", ls=":", lw=1.0, zorder=0)
            rl.date_axis(ax, t, max_ticks=8 if ax.get_position().width > 0.3 else 4)
    rl.save(fig, a.output, source=a.result)


# ---- panels ---------------------------------------------------------------------

def supply_panel(ax, res, agent, good, t):
    unit = res.good_unit(good)
    title = f"{res.agent_name(agent)}: {good} supply, demand and shortfall"
    need = ("production", "imports", "world_imports", "demand", "shortfall")
    have = [v for v in need if res.has(v)]
    if not have:
        rl.not_recorded(ax, title, need)
        return
    sel = dict(agent=agent, good=good)
    series = []  # (label, DataArray over run and time, colour, style)
    d = {v: res.ds[v].sel(**sel) for v in have}
    if "production" in d:
        series.append(("production", d["production"], "#2e8b57", "-"))
    if "imports" in d and "world_imports" in d:
        series.append(("imports from the bloc", d["imports"] - d["world_imports"], "#e67e22", "-"))
    if "production" in d and "imports" in d:
        series.append(("production + imports", d["production"] + d["imports"], "#1f77b4", "-"))
    elif "imports" in d:
        series.append(("imports", d["imports"], "#e67e22", "-"))
    if "demand" in d:
        series.append(("demand", d["demand"], "black", "--"))
    if "shortfall" in d:
        series.append(("shortfall", d["shortfall"], "#c0392b", "-"))
    peak = max(float(np.nanmax(s[1].values)) if s[1].size else 0.0 for s in series)
    f, p = rl.nice_scale(peak)
    for label, da, c, ls in series:
        rl.plot_band(ax, t, da, label=label, color=c, scale=f, ls=ls, lw=2.2 if label == "shortfall" else 1.8)
    if "shortfall" in d:
        med = np.nanmedian(np.atleast_2d(d["shortfall"].transpose("run", "time").values), axis=0) / f
        ax.fill_between(t, 0, med, color="#c0392b", alpha=0.12, lw=0)
    ax.set_title(title)
    ax.set_ylabel(rl.axis_label(f"{good} per month", rl.scaled_unit(unit, p)))
    ax.set_ylim(bottom=0)
    rl.headroom(ax, 0.22)
    missing = [v for v in need if v not in have]
    if missing:
        ax.text(0.99, 0.02, "not recorded: " + ", ".join(missing), transform=ax.transAxes, ha="right",
                va="bottom", fontsize=8, color="0.4")
    ax.legend(loc="upper left", ncol=3, framealpha=0.85)


def production_panel(ax, res, good, t, legend):
    title = f"production of {good}"
    if not res.has("production"):
        rl.not_recorded(ax, title, ["production"])
        return
    da = res.ds["production"].sel(good=good)
    peak = float(da.max()) if da.size else 0.0
    f, p = rl.nice_scale(peak)
    drawn = 0
    for i, ag in enumerate(res.agents()):
        s = da.sel(agent=ag)
        if float(s.max()) <= 0:
            continue
        rl.plot_band(ax, t, s, label=ag, color=rl.agent_color(ag, i), scale=f)
        drawn += 1
    ax.set_title(title)
    ax.set_ylabel(rl.axis_label("per month", rl.scaled_unit(res.good_unit(good), p)))
    if drawn == 0:
        ax.text(0.5, 0.5, "no agent produces it", transform=ax.transAxes, ha="center", color="0.4")
    else:
        ax.set_ylim(bottom=0)
        ax.legend(loc="best", ncol=2, fontsize=8)


def imports_panel(ax, res, importer, good, t):
    title = f"{good} reaching {res.agent_name(importer)} by supplier (after interdiction)"
    need = ["flow", "interdicted"]
    if not res.has(*need):
        rl.not_recorded(ax, title, [v for v in need if not res.has(v)])
        return
    arrived = (res.ds["flow"] - res.ds["interdicted"]).sel(partner=importer, good=good)
    layers = []
    for i, ag in enumerate(res.agents()):
        s = arrived.sel(agent=ag)
        if float(s.max()) > 0:
            layers.append((ag, rl.median_runs(s).values, rl.agent_color(ag, i)))
    if res.has("world_imports"):
        w = res.ds["world_imports"].sel(agent=importer, good=good)
        if float(w.max()) > 0:
            layers.append(("rest of the world", rl.median_runs(w).values, "#bbbbbb"))
    unit = res.good_unit(good)
    ax.set_title(title)
    if not layers:
        ax.text(0.5, 0.5, f"no {good} reaches {importer}", transform=ax.transAxes, ha="center", color="0.4")
        return
    total = np.sum([layer[1] for layer in layers], axis=0)
    f, p = rl.nice_scale(float(np.nanmax(total)))
    ax.stackplot(t, *[layer[1] / f for layer in layers], labels=[layer[0] for layer in layers],
                 colors=[layer[2] for layer in layers], alpha=0.85)
    if res.has("imports"):
        rl.plot_band(ax, t, res.ds["imports"].sel(agent=importer, good=good), label=f"{importer}'s imports",
                     color="black", scale=f, lw=1.2, ls="--")
    ax.set_ylabel(rl.axis_label("per month", rl.scaled_unit(unit, p)))
    ax.set_ylim(bottom=0)
    rl.headroom(ax, 0.18)
    ax.legend(loc="upper left", ncol=5, framealpha=0.85)
    if res.runs > 1:
        ax.text(0.99, 0.02, "layers: medians over runs", transform=ax.transAxes, ha="right", fontsize=8,
                color="0.3")


def sanctions_panel(ax, res, t):
    title = "Western sanctions pressure"
    if not res.has("sanctions"):
        rl.not_recorded(ax, title, ["sanctions"])
        return
    member0 = res.ds["member"].isel(time=0).median("run").values if res.has("member") else None
    for i, ag in enumerate(res.agents()):
        cand = member0 is not None and member0[i] < 0.5
        rl.plot_band(ax, t, res.ds["sanctions"].sel(agent=ag), label=ag + (" (candidate)" if cand else ""),
                     color=rl.agent_color(ag, i), ls="--" if cand else "-")
    ax.set_title(title)
    ax.set_ylabel("pressure (0-1)")
    ax.set_ylim(0, 1.02)
    ax.legend(loc="lower left", ncol=4, fontsize=8, framealpha=0.85)


def affinity_panels(fig, axes, res):
    if not res.has("affinity"):
        for ax, when in zip(axes, ("first", "last")):
            rl.not_recorded(ax, f"affinity, {when} month", ["affinity"])
        return
    aff = res.ds["affinity"]
    codes = res.agents()
    t = res.times()
    im = None
    for ax, i, what in zip(axes, (0, len(t) - 1), ("first", "last")):
        m = np.array(aff.isel(time=i).median("run").transpose("agent", "partner").values, dtype=float)
        np.fill_diagonal(m, np.nan)
        im = ax.imshow(m, cmap="RdYlGn", vmin=0, vmax=1)
        n = len(codes)
        ax.set_xticks(range(n), codes, rotation=0 if n <= 8 else 90)
        ax.set_yticks(range(n), codes)
        ax.set_xlabel("partner")
        ax.set_ylabel("agent")
        ax.grid(False)
        for s in ax.spines.values():
            s.set_visible(False)
        if n <= 12:
            for r in range(n):
                for c in range(n):
                    if np.isfinite(m[r, c]):
                        ax.text(c, r, f"{m[r, c]:.2f}", ha="center", va="center", fontsize=8,
                                color="black" if 0.2 < m[r, c] < 0.85 else "white")
        ax.set_title(f"affinity, {what} month ({t[i]:%Y-%m})" + (", median" if res.runs > 1 else ""))
    cax = axes[1].inset_axes([1.06, 0.05, 0.05, 0.9])
    cax.grid(False)
    fig.colorbar(im, cax=cax, label="affinity of agent to partner (0-1)")


def cohesion_panel(ax, res, t):
    title = "bloc cohesion, connectivity and hub share"
    names = [("cohesion", "cohesion (mean affinity)", "#1f77b4"),
             ("connectivity", "connectivity (Laplacian \u03bb\u2082 / members)", "#2ca02c"),
             ("hub_share", "hub share (trade touching the busiest member)", "#9467bd")]
    have = [n for n in names if res.has(n[0])]
    if not have:
        rl.not_recorded(ax, title, [n[0] for n in names])
        return
    for v, label, c in have:
        rl.plot_band(ax, t, res.ds[v], label=label, color=c)
    ax.set_title(title)
    ax.set_ylabel("index (0-1)")
    ax.set_ylim(0, 1.05)
    ax.legend(loc="lower left", fontsize=8.5, framealpha=0.85)


def first_run_events(res):
    ev = res.events
    if ev.empty or "run" not in ev:
        return ev
    return ev[ev["run"] == ev["run"].min()]


def membership_marks(res):
    """(time, label) of the membership changes of the first run."""
    ev = first_run_events(res)
    if ev.empty:
        return []
    t = res.times()
    steps = list(res.ds["step"].values) if "step" in res.ds else list(range(len(t)))
    out = []
    for _, e in ev[ev["kind"].isin(MEMBERSHIP_KINDS)].iterrows():
        out.append((step_time(t, steps, int(e["step"])), f"{e['actor']} {e['kind']}"))
    return out


def step_time(t, steps, step):
    """The date of a model step (events may fall between recorded months)."""
    if step in steps:
        return t[steps.index(step)]
    base = t[0] - np.timedelta64(0, "D")
    return base + np.timedelta64(int(round((step - steps[0]) * 30.44)), "D")


def timeline_panel(ax, ax_list, res, t):
    codes = res.agents()
    rows = codes + ["(none)"]
    n = len(rows)
    ax.set_title("membership and events" + (" (shading: share of runs a member; events of the first run)"
                                             if res.runs > 1 else " (shading: member)"))
    if res.has("member"):
        share = res.ds["member"].mean("run").transpose("agent", "time").values
        # one cell a record, from the record's date to the next one's
        dt = (t[-1] - t[-2]) if len(t) > 1 else np.timedelta64(30, "D")
        edges = mdates.date2num(list(t) + [t[-1] + dt])
        ax.grid(False)
        for r in range(len(codes)):
            row = np.ma.masked_equal(share[r:r + 1, :], 0)
            ax.pcolormesh(edges, [r - 0.3, r + 0.3], 0.1 + 0.9 * row, cmap="Blues", vmin=0, vmax=2.2,
                          shading="flat", zorder=1)
    else:
        ax.text(0.995, 0.02, "member is not recorded in this file: no shading", transform=ax.transAxes,
                ha="right", va="bottom", color="0.4")
    ev = first_run_events(res)
    steps = list(res.ds["step"].values) if "step" in res.ds else list(range(len(t)))
    listed = []
    counts = {}
    gap = max(9.0, (t[-1] - t[0]).days / 100) if len(t) > 1 else 9.0  # days between markers of one month
    if not ev.empty:
        for _, e in ev.iterrows():
            actor = str(e.get("actor", ""))
            r = codes.index(actor) if actor in codes else n - 1
            when = step_time(t, steps, int(e["step"]))
            kind = str(e["kind"])
            if kind == "incident":
                ax.plot([when], [r], marker="x", color="#c0392b", ms=7, mew=1.8, zorder=4)
                continue
            k = counts.get((r, when), 0)
            counts[(r, when)] = k + 1
            x = when + np.timedelta64(int(gap * k), "D")
            listed.append(e)
            num = len(listed)
            face = "#fde9a9" if kind not in MEMBERSHIP_KINDS else "#a9e5b5"
            ax.text(x, r, str(num), ha="center", va="center", fontsize=7.5, zorder=5,
                    bbox=dict(boxstyle="circle,pad=0.25", fc=face, ec="0.3", lw=0.8))
    ax.set_yticks(range(n), [f"{c}  {res.agent_name(c)}" if c != "(none)" else "no actor" for c in rows])
    ax.set_ylim(n - 0.5, -0.5)
    ax.set_xlabel("month")
    ax.grid(axis="y", alpha=0)
    rl.date_axis(ax, t)
    dt = (t[-1] - t[-2]) if len(t) > 1 else np.timedelta64(30, "D")
    ax.set_xlim(t[0] - np.timedelta64(20, "D"), t[-1] + dt)
    incidents = int((ev["kind"] == "incident").sum()) if not ev.empty else 0
    ax.plot([], [], marker="x", ls="", color="#c0392b", label=f"incident: rivalry flare-up ({incidents})")
    ax.plot([], [], marker="o", ls="", mfc="#fde9a9", mec="0.3", ms=9, label="scheduled event (numbered)")
    ax.plot([], [], marker="o", ls="", mfc="#a9e5b5", mec="0.3", ms=9, label="membership change")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.09), ncol=3, fontsize=8.5, frameon=False)

    ax_list.axis("off")
    ax_list.set_title("numbered events" + (" of the first run" if res.runs > 1 else ""), loc="left")
    lines = [f"{i:>2}  {t_label(t, steps, int(e['step']))}  {event_text(e)}" for i, e in enumerate(listed, 1)]
    if not lines:
        lines = ["(no scheduled events)"]
    per_col, ncol = 8, 4
    if len(lines) > per_col * ncol:
        lines = lines[:per_col * ncol - 1] + [f"    ... and {len(lines) - per_col * ncol + 1} more"]
    for c in range(ncol):
        chunk = lines[c * per_col:(c + 1) * per_col]
        if chunk:
            ax_list.text(c / ncol, 1.0, "\n".join(chunk), transform=ax_list.transAxes, va="top", ha="left",
                         family="monospace", fontsize=8.5, linespacing=1.45)


def t_label(t, steps, step):
    return step_time(t, steps, step).strftime("%Y-%m")


def event_text(e):
    kind, actor, target = str(e["kind"]), str(e.get("actor", "")), str(e.get("target", ""))
    label, value = str(e.get("label", "")), float(e.get("value", np.nan))
    if kind in ("set", "add"):
        op = "=" if kind == "set" else "+="
        path = label if len(label) <= 32 else "\u2026" + label[-31:]
        return f"{path} {op} {rl.fmt_value(value)}"
    if kind in ("route_open", "route_close"):
        return f"{kind.replace('_', ' ')} {label}"
    if kind == "flareup":
        return f"flare-up {actor}-{target} +{value:.2f}"
    if kind == "unfreeze":
        return f"unfreeze {rl.money(value)} for {actor}"
    return f"{actor} {kind}s" if kind in ("join", "leave") else f"{kind} {actor}"


if __name__ == "__main__":
    rl.run_main(PROG, main)
