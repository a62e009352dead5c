#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""An agent's supply of one good, and its shortfall, from a result file.

    /usr/bin/python3 analysis/plot_shells.py baseline.h5 [--agent RUS] [--good shells]

Writes baseline.shells.png and baseline.shells.svg (1440 x 660 pixels; -o
chooses another name).  Supply is stacked: own production, the arrivals
from each bloc partner (shipped less interdicted) and imports from the rest
of the world; demand and shortfall are drawn over it.  --agent defaults to
the file's focus agent.  With several runs (an ensemble, a sweep's runs)
each layer is the median over runs.  For a `sim compare` file, --scenario
picks the scenario.  Errors (a missing or foreign file, an unknown agent
or good, a variable the file does not record) are one line
`plot_shells: ...`, exit status 2, and no image.
"""
import resultlib as rl
from resultlib import plt

PROG = "plot_shells"
NEED = ("production", "flow", "interdicted", "world_imports", "demand", "shortfall")


def main(argv=None):
    ap = rl.parser(PROG, __doc__, "shells.png")
    ap.add_argument("result", help="result file (sim run, sim sweep, sim merge or sim compare)")
    ap.add_argument("--agent", help="agent code (default the file's focus agent)")
    ap.add_argument("--good", default="shells", help="good name (default shells)")
    a = ap.parse_args(argv)

    res = rl.open_result(a.result, a.scenario)
    agent = res.check_name("agent", a.agent or res.focus)
    good = res.check_name("good", a.good)
    for name in NEED:
        res.var(name)  # says "not recorded" or "no variable"
    a.output = rl.output_for(a, a.result)
    rl.output_paths(a.output)

    ds = res.ds
    sel = dict(agent=agent, good=good)
    med = rl.median_runs
    unit = res.good_unit(good)
    arrived = med((ds.flow - ds.interdicted).sel(partner=agent, good=good))
    layers = [("own production", med(ds.production.sel(**sel)))]
    for p in arrived.agent.values:
        series = arrived.sel(agent=p)
        if float(series.sum()) > 0:
            layers.append((f"from {p}", series))
    layers.append(("from the rest of the world", med(ds.world_imports.sel(**sel))))

    t = res.times()
    rl.style()
    fig, ax = plt.subplots(figsize=(14.4, 6.6), layout="constrained")
    colors = [rl.agent_color(agent)] + [rl.agent_color(str(lab[5:]), i) for i, (lab, _) in
                                        enumerate(layers[1:-1])] + ["0.6"]
    ax.stackplot(t, *[s.values for _, s in layers], labels=[lab for lab, _ in layers], alpha=0.8,
                 colors=colors)
    ax.plot(t, med(ds.demand.sel(**sel)).values, "k-", lw=2, label="demand")
    ax.plot(t, med(ds.shortfall.sel(**sel)).values, "--", color="#c0392b", lw=2, label="shortfall")
    ax.set_title(f"{res.agent_name(agent)} ({agent}): {good} supply, demand and shortfall; "
                 f"{res.describe(band=False)}")
    ax.set_ylabel(rl.axis_label(f"{good} a month", unit))
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=9)
    rl.date_axis(ax, t)
    rl.save(fig, a.output, source=a.result)


if __name__ == "__main__":
    rl.run_main(PROG, main)
