#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The bloc's trade network in chosen months, drawn on a map-like layout.

    /usr/bin/python3 analysis/plot_trade.py baseline.h5
    /usr/bin/python3 analysis/plot_trade.py ensemble.h5 --month 2023-06 2024-12 -o trade.png

Writes baseline.trade.png and baseline.trade.svg (-o chooses another
name): one row per month (default the last
recorded month; a month is YYYY-MM or a step number, first or last), 1800
pixels wide and 850 high for one month (+750 a further month).

Each agent sits at its capital's longitude and latitude, read from the
resolved configuration stored in the file (long empty stretches of longitude
are shortened; a circle layout is used if the configuration gives none).
Filled circles are bloc members that month, open circles candidates.  Each
arrow is a flow of one good from exporter to importer, coloured by good,
its width growing with the value shipped (flow x world price, before
interdiction).  A red core and a red `-x%` mark the share lost to
interdiction.  The table beside each map lists the largest flows.  With
several runs, flows, losses and prices are medians over runs.  A file that
does not record `price` (a sweep, say) is valued at the configured reference
prices, and says so.  For a `sim compare` file, --scenario picks the
scenario.  Errors are one line `plot_trade: ...`, exit status 2, no image.
"""
import numpy as np

import resultlib as rl
from resultlib import plt

PROG = "plot_trade"
W_MIN, W_MAX = 0.8, 14.0      # arrow widths (points)
NODE = 30                     # node diameter (points)
LON_GAP = 25.0                # longest stretch of empty longitude drawn


def main(argv=None):
    ap = rl.parser(PROG, __doc__, "trade.png")
    ap.add_argument("result", help="result file recording flow (sim run, sweep, merge or compare)")
    ap.add_argument("--month", nargs="+", default=["last"], metavar="M",
                    help="months to draw: YYYY-MM, a step number, first or last (default last); "
                         "give the result file before this option")
    ap.add_argument("--good", metavar="G1,G2", help="only these goods (default all)")
    ap.add_argument("--min-value", type=float, default=0.0, metavar="USD",
                    help="leave out flows worth less than this a month (default 0: draw all)")
    ap.add_argument("--top", type=int, default=16, metavar="N", help="rows in each table (default 16)")
    a = ap.parse_args(argv)

    res = rl.open_result(a.result, a.scenario)
    flow = res.var("flow")
    months = [m for spec in a.month for m in spec.split(",") if m.strip()]
    idx = [res.month_index(m) for m in months]
    goods = res.goods()
    if a.good:
        goods = [res.check_name("good", g.strip()) for g in a.good.split(",") if g.strip()]
    a.output = rl.output_for(a, a.result)
    rl.output_paths(a.output)

    inter = res.ds["interdicted"] if res.has("interdicted") else None
    prices, price_note = price_table(res, goods, idx)
    data = [month_flows(res, flow, inter, prices[k], goods, i) for k, i in enumerate(idx)]
    vmax = max((f["value"] for d in data for f in d), default=0.0)
    pos, layout_note = layout(res)

    rl.style()
    n = len(idx)
    fig = plt.figure(figsize=(18, 1.0 + 7.5 * n))
    t = res.times()
    fig.suptitle(f"bloc-sim: trade in strategic goods, {res.describe(band=False)}", fontsize=15, fontweight="bold",
                 y=1 - 0.35 / fig.get_figheight())
    notes = [layout_note, "arrow width: value shipped a month (before interdiction)"]
    if price_note:
        notes.append(price_note)
    if inter is None:
        notes.append("interdicted is not recorded: losses not shown")
    fig.text(0.5, 1 - 0.75 / fig.get_figheight(), "; ".join(notes), ha="center", fontsize=9.5, color="0.3")
    H = fig.get_figheight()
    for k, (i, flows) in enumerate(zip(idx, data)):
        top = 1 - (1.0 + 7.5 * k) / H
        ax = fig.add_axes([0.02, top - 7.0 / H, 0.63, 6.6 / H])
        tab = fig.add_axes([0.665, top - 7.0 / H, 0.325, 6.6 / H])
        member = res.ds["member"].isel(time=i).median("run") if res.has("member") else None
        draw_map(ax, res, pos, flows, vmax, member, a.min_value, goods)
        total = rl.money(sum(f["value"] for f in flows))
        ax.set_title(f"{t[i]:%Y-%m}: {len(flows)} flows worth {total} a month", fontsize=12)
        draw_table(tab, res, flows, a.top, t[i])
        if k == 0:
            legend(tab, res, goods, vmax, inter is not None)
    rl.save(fig, a.output, source=a.result)


def price_table(res, goods, idx):
    """{good: price} for each month index, and a note when the file has no
    price variable (reference prices from the configuration instead)."""
    if res.has("price"):
        p = res.ds["price"]
        return [{g: float(p.isel(time=i).sel(good=g).median("run")) for g in goods} for i in idx], ""
    cfg = res.cfg()
    ref = {}
    for g in goods:
        v = cfg.get(f"goods.{g}.price")
        if not v or not isinstance(v[0], (int, float)):
            rl.fail(f"'price' is not recorded in {res.path} and its configuration gives no price of {g}")
        ref[g] = float(v[0])
    return [ref for _ in idx], "price not recorded: valued at the configured reference prices"


def month_flows(res, flow, inter, price, goods, i):
    """The flows of one month: a list of dicts, largest value first."""
    f = np.asarray(flow.isel(time=i).transpose("run", "agent", "partner", "good").values, dtype=float)
    lost = (np.asarray(inter.isel(time=i).transpose("run", "agent", "partner", "good").values, dtype=float)
            if inter is not None else np.zeros_like(f))
    agents = res.agents()
    partners = [str(p) for p in res.ds.partner.values]
    all_goods = res.goods()
    out = []
    for g in goods:
        gi = all_goods.index(g)
        qty = np.median(f[:, :, :, gi], axis=0)
        lq = np.median(lost[:, :, :, gi], axis=0)
        for ai, ag in enumerate(agents):
            for pi, pa in enumerate(partners):
                q = qty[ai, pi]
                if q <= 0 or ag == pa:
                    continue
                out.append(dict(src=ag, dst=pa, good=g, qty=q, value=q * price[g],
                                lost=min(1.0, lq[ai, pi] / q) if q > 0 else 0.0))
    out.sort(key=lambda d: -d["value"])
    return out


def layout(res):
    """{agent: (x, y)} and a note on how the agents are placed."""
    pos = rl.agent_positions(res)
    if pos is None:
        n = len(res.agents())
        ang = np.pi / 2 - 2 * np.pi * np.arange(n) / n
        return ({a: (40 * np.cos(t), 25 * np.sin(t)) for a, t in zip(res.agents(), ang)},
                "agents on a circle (the configuration gives no lat/lon)")
    # shorten empty stretches of longitude so that a far agent (Venezuela)
    # does not squeeze the others
    lons = sorted(set(p[0] for p in pos.values()))
    shift, new = 0.0, {}
    for k, lon in enumerate(lons):
        if k and lon - lons[k - 1] > LON_GAP:
            shift += lon - lons[k - 1] - LON_GAP
        new[lon] = lon - shift
    note = "agents at their capitals' longitude and latitude"
    if shift:
        note += f" (empty stretches of longitude over {LON_GAP:.0f}\u00b0 shortened)"
    return {a: (new[p[0]], p[1]) for a, p in pos.items()}, note


def width(v, vmax):
    return W_MIN + (W_MAX - W_MIN) * np.sqrt(max(v, 0.0) / vmax) if vmax > 0 else W_MIN


def draw_map(ax, res, pos, flows, vmax, member, min_value, goods):
    from matplotlib.patches import FancyArrowPatch
    xs = np.array([p[0] for p in pos.values()])
    ys = np.array([p[1] for p in pos.values()])
    dx, dy = max(np.ptp(xs), 20.0), max(np.ptp(ys), 15.0)
    ax.set_xlim(xs.min() - 0.08 * dx, xs.max() + 0.08 * dx)
    ax.set_ylim(ys.min() - 0.16 * dy, ys.max() + 0.14 * dy)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)
    ax.set_facecolor("#f4f7fb")
    for s in ax.spines.values():
        s.set_visible(True)
        s.set_color("0.75")
    # arrows: several goods between one ordered pair bend by different amounts
    count = {}
    for f in sorted(flows, key=lambda d: -d["value"]):
        if f["value"] < min_value or f["src"] not in pos or f["dst"] not in pos:
            continue
        key = (f["src"], f["dst"])
        k = count.get(key, 0)
        count[key] = k + 1
        rad = 0.14 + 0.12 * k
        w = width(f["value"], vmax)
        color = rl.good_color(f["good"], goods.index(f["good"]) if f["good"] in goods else 0)
        a0, a1 = pos[f["src"]], pos[f["dst"]]
        arrow = FancyArrowPatch(a0, a1, connectionstyle=f"arc3,rad={rad}",
                                arrowstyle=f"-|>,head_length={0.4 + w * 0.05:.2f},head_width={0.3 + w * 0.04:.2f}",
                                mutation_scale=10, lw=w, color=color, alpha=0.72,
                                shrinkA=NODE / 2 + 2, shrinkB=NODE / 2 + 3, zorder=2)
        ax.add_patch(arrow)
        if f["lost"] >= 0.01:
            core = FancyArrowPatch(a0, a1, connectionstyle=f"arc3,rad={rad}", arrowstyle="-",
                                   lw=max(w * f["lost"], min(1.0, 0.45 * w)), color="#e0201b", ls=(0, (4, 2)),
                                   shrinkA=NODE / 2 + 2, shrinkB=NODE / 2 + 3 + w * 0.9, zorder=3)
            ax.add_patch(core)
        if f["lost"] >= 0.005:
            mx, my = arc_mid(ax, a0, a1, rad)
            ax.text(mx, my, f"\u2212{100 * f['lost']:.1f}%", color="#c0100b", fontsize=8, ha="center",
                    va="center", zorder=6, bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none", alpha=0.8))
    for i, ag in enumerate(res.agents()):
        if ag not in pos:
            continue
        x, y = pos[ag]
        is_member = member is None or float(member.sel(agent=ag)) >= 0.5
        c = rl.agent_color(ag, i)
        ax.scatter([x], [y], s=NODE ** 2, c=[c] if is_member else ["white"], edgecolors=[c], linewidths=2.5,
                   zorder=7)
        ax.text(x, y, ag, ha="center", va="center", fontsize=8.5, fontweight="bold",
                color="white" if is_member else c, zorder=8)
        ax.annotate(res.agent_name(ag) + ("" if is_member else " (candidate)"), (x, y),
                    xytext=(0, -NODE / 2 - 4), textcoords="offset points", ha="center", va="top", fontsize=9,
                    zorder=8, bbox=dict(boxstyle="round,pad=0.1", fc="#f4f7fb", ec="none", alpha=0.7))


def arc_mid(ax, a0, a1, rad):
    """Midpoint of matplotlib's arc3 curve (a quadratic Bezier built in
    display space) in data coordinates."""
    tr = ax.transData
    p0, p1 = tr.transform(a0), tr.transform(a1)
    mid = (p0 + p1) / 2
    d = p1 - p0
    c = mid + rad * np.array([d[1], -d[0]])
    return tr.inverted().transform(0.25 * p0 + 0.5 * c + 0.25 * p1)


def draw_table(ax, res, flows, top, when):
    ax.axis("off")
    ax.set_title(f"largest flows, {when:%Y-%m}", loc="left", fontsize=11)
    rows = [f"{'from':<4}  {'to':<4}{'good':<7}{'a month':>18}{'value':>10}{'lost':>7}"]
    for f in flows[:top]:
        unit = res.good_unit(f["good"])
        rows.append(f"{f['src']:<4}\u2192 {f['dst']:<4}{f['good']:<7}{rl.fmt_value(f['qty'], unit):>18}"
                    f"{rl.money(f['value']):>10}{100 * f['lost']:>6.1f}%")
    if len(flows) > top:
        rest = sum(f["value"] for f in flows[top:])
        rows.append(f"... {len(flows) - top} smaller flows worth {rl.money(rest)}")
    if not flows:
        rows.append("(no flows between bloc agents)")
    ax.text(0.0, 0.97, "\n".join(rows), transform=ax.transAxes, va="top", ha="left", family="monospace",
            fontsize=9, linespacing=1.5)


def legend(ax, res, goods, vmax, with_losses):
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch
    handles = [Patch(color=rl.good_color(g, i), alpha=0.75, label=f"{g} ({res.good_unit(g)})")
               for i, g in enumerate(goods)]
    if vmax > 0:
        for v in key_values(vmax):
            handles.append(Line2D([], [], color="0.4", lw=width(v, vmax), label=f"{rl.money(v)} a month"))
    if with_losses:
        handles.append(Line2D([], [], color="#e0201b", lw=2, ls=(0, (4, 2)), label="lost to interdiction (1% or more)"))
    handles.append(Line2D([], [], marker="o", ls="", mfc="0.5", mec="0.5", ms=10, label="member"))
    handles.append(Line2D([], [], marker="o", ls="", mfc="white", mec="0.5", mew=2, ms=10, label="candidate"))
    ax.legend(handles=handles, loc="lower left", ncol=2, fontsize=9, frameon=False, handlelength=3.5,
              title="goods, value a month, status", title_fontsize=9.5, alignment="left")


def key_values(vmax):
    """Two or three round values for the width key, below vmax."""
    top = 10 ** np.floor(np.log10(vmax))
    vals = [top, top / 10, top / 100]
    return [v for v in vals if v >= vmax / 1000][:3]


if __name__ == "__main__":
    rl.run_main(PROG, main)
