# SPDX-License-Identifier: GPL-3.0-or-later
"""Shared helpers of the analysis scripts (plot_run.py, plot_trade.py,
plot_sweep.py, plot_shells.py, compare.py, sensitivity.py): open a bloc-sim
result file of any kind, select from it with checked names, take ensemble
medians and 5-95% bands, format units, read the resolved configuration
stored in the file (with Debian's python3-libconf), name a figure after its
input file, and save it as PNG and SVG without ever leaving a partial image
behind or replacing another input's figure.

Not a script: the others import it (`import resultlib as rl`).  Every error
of the user's making goes through `fail()`: one line `PROG: reason` on
stderr and exit status 2; an output that cannot be written is one line and
exit status 1.  Uses only Debian's python3-numpy, -xarray, -pandas, -h5py,
-matplotlib, -scipy and -libconf.
"""
import argparse
import importlib
import os
import re
import sys

import numpy as np


class _Lazy:
    """A module imported on first use, so that --help and most refusals do
    not pay for importing matplotlib, xarray and pandas."""

    def __init__(self, name, before=None):
        self._name, self._before, self._mod = name, before, None

    def __getattr__(self, attr):
        if self._mod is None:
            if self._before:
                self._before()
            self._mod = importlib.import_module(self._name)
        return getattr(self._mod, attr)


def _agg():
    import matplotlib
    matplotlib.use("Agg")


plt = _Lazy("matplotlib.pyplot", _agg)
mdates = _Lazy("matplotlib.dates", _agg)
xr = _Lazy("xarray")
pd = _Lazy("pandas")
h5py = _Lazy("h5py")

PROG = "resultlib"

# Colours kept the same in every figure.
AGENT_COLORS = {
    "RUS": "#c0392b", "CHN": "#e6a817", "IRN": "#2e8b57", "PRK": "#1f4e9c",
    "BLR": "#8e44ad", "VEN": "#d35400", "SYR": "#5d6d7e",
}
GOOD_COLORS = {"shells": "#7f4f24", "drones": "#6a3d9a", "chips": "#1f78b4", "oil": "#222222"}
_FALLBACK = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
             "#bcbd22", "#17becf")
DPI = 100


class Fail(Exception):
    """An error of the user's making: reported as one line, exit 2."""


class WriteFail(Exception):
    """An output that cannot be written: one line, exit 1 (as sim)."""


def fail(msg):
    raise Fail(msg)


def run_main(prog, main):
    """Run main(); report a Fail as `prog: message` and exit 2, a WriteFail
    with exit 1."""
    global PROG
    PROG = prog
    try:
        main()
    except Fail as e:
        print(f"{prog}: {e}", file=sys.stderr)
        sys.exit(2)
    except WriteFail as e:
        print(f"{prog}: {e}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)


# ---- command line ------------------------------------------------------------

class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit 2, like every other error
        print(f"{self.prog}: {message} (see --help)", file=sys.stderr)
        sys.exit(2)


def parser(prog, doc, default_output, scenario=True):
    """An argument parser whose --help shows the script's docstring; it has
    the options the scripts share: -o/--output and (with scenario) --scenario.
    default_output ("run.png") names the kind of figure: without -o the
    image is INPUT.run.png in the current directory (see output_for)."""
    ap = _Parser(prog=prog, description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    kind = os.path.splitext(default_output)[0]
    ap.add_argument("-o", "--output", default=None, metavar="OUT.png",
                    help=f"image to write; OUT.png and OUT.svg are both written (default "
                         f"INPUT.{kind}.png in the current directory, INPUT the result file's "
                         f"name without .h5)")
    ap.set_defaults(figure_kind=kind)
    if scenario:
        ap.add_argument("--scenario", metavar="NAME",
                        help="for a `sim compare` file: the scenario to plot (default the first)")
    return ap


# ---- opening a result ----------------------------------------------------------

class Result:
    """A result file, opened and checked.

    ds       the dataset: runs not done (point == -1) dropped, one scenario
             selected from a compare file unless keep_scenario
    path     the file name as given
    kind     "run", "ensemble", "sweep" or "compare"
    runs     the number of runs kept
    focus    the focus agent (global attribute focus_agent)
    config   the resolved configuration text (of the selected scenario)
    events   a pandas DataFrame of the events of the kept runs (and scenario)
    """

    def __init__(self, path, scenario=None, keep_scenario=False):
        self.path = path
        if not os.path.exists(path):
            fail(f"{path}: no such file")
        if os.path.isdir(path):
            fail(f"{path}: is a directory, not a result file")
        try:
            is_hdf5 = h5py.is_hdf5(path)
        except OSError as e:
            fail(f"{path}: cannot read: {e.strerror or e}")
        if not is_hdf5:
            fail(f"{path}: not a result file (not HDF5)")
        try:
            ds = xr.open_dataset(path)
        except Exception as e:  # netCDF4/h5py/xarray raise many kinds
            fail(f"{path}: not a result file (unreadable as netCDF-4: {_first_line(e)})")
        if not str(ds.attrs.get("source", "")).startswith("bloc-sim") or "time" not in ds.dims \
                or "run" not in ds.dims:
            fail(f"{path}: not a bloc-sim result file")
        self.scenarios = [str(s) for s in ds["scenario"].values] if "scenario" in ds.dims else []
        self.scenario_name = str(ds.attrs.get("scenario", ""))
        self.config = str(ds.attrs.get("config", ""))
        ev = _events(path)
        if self.scenarios and not keep_scenario:
            name = scenario or self.scenarios[0]
            if name not in self.scenarios:
                fail(f"no scenario '{name}' in {path} (scenarios: {', '.join(self.scenarios)})")
            i = self.scenarios.index(name)
            if "scenario_config" in ds:
                self.config = str(ds["scenario_config"].values[i])
            ds = ds.isel(scenario=i)
            self.scenario_name = name
            if "scenario" in ev:
                ev = ev[ev["scenario"] == name]
        elif scenario is not None and not self.scenarios:
            fail(f"--scenario: {path} is not a `sim compare` file")
        self.not_done = 0
        if "point" in ds:
            done = ds["point"].values >= 0
            self.not_done = int((~done).sum())
            if not done.any():
                fail(f"{path}: no run of the sweep is done (every point is -1)")
            if not done.all():
                kept = set(ds["run"].values[done].tolist())
                ds = ds.isel(run=np.flatnonzero(done))
                ev = ev[ev["run"].isin(kept)] if "run" in ev else ev
        self.ds = ds
        self.events = ev.reset_index(drop=True)
        self.runs = ds.sizes["run"]
        self.focus = str(ds.attrs.get("focus_agent", "")) or (str(ds.agent.values[0]) if "agent" in ds.dims else "")
        if self.scenarios and keep_scenario:
            self.kind = "compare"
        elif "param_value" in ds:
            self.kind = "sweep"
        else:
            self.kind = "ensemble" if self.runs > 1 else "run"
        self._cfg = None

    # -- names -------------------------------------------------------------
    def var(self, name):
        """The variable, or a one-line failure naming why it is missing."""
        if name in self.recorded():
            return self.ds[name]
        fail(f"'{name}' is not recorded in {self.path} (recorded: {', '.join(self.recorded())})")

    def has(self, *names):
        return all(n in self.ds.data_vars for n in names)

    def recorded(self):
        """The record variables of the file, in its order: those over run
        and time with a cell_methods attribute (the program's variable
        table is in the file, not in a copy here)."""
        return [v for v, da in self.ds.data_vars.items()
                if "time" in da.dims and "cell_methods" in da.attrs
                and ("run" in da.dims or "run" in self.ds.dims)]

    def check_name(self, dim, value, what=None):
        """`value` is a coordinate of dimension `dim`, or fail naming it."""
        what = what or dim
        if dim not in self.ds.dims:
            fail(f"{self.path} has no {what} dimension")
        values = [str(v) for v in self.ds[dim].values]
        if value not in values:
            fail(f"no {what} '{value}' in {self.path} ({what}s: {', '.join(values)})")
        return value

    def agents(self):
        return [str(a) for a in self.ds.agent.values]

    def goods(self):
        return [str(g) for g in self.ds.good.values]

    def good_unit(self, good):
        if "good_unit" in self.ds:
            return str(self.ds.good_unit.sel(good=good).values)
        return "units"

    # -- time --------------------------------------------------------------
    def times(self):
        return pd.to_datetime(self.ds.time.values)

    def month_index(self, spec, option="--month"):
        """Index on the time axis of a month given as YYYY-MM, a step number
        (0 is the first month), 'first' or 'last'."""
        t = self.times()
        labels = [d.strftime("%Y-%m") for d in t]
        steps = [int(s) for s in self.ds["step"].values] if "step" in self.ds else list(range(len(t)))
        s = str(spec).strip()
        if s == "last":
            return len(t) - 1
        if s == "first":
            return 0
        if re.fullmatch(r"\d{4}-\d{2}", s):
            if s in labels:
                return labels.index(s)
        elif re.fullmatch(r"-?\d+", s):
            if int(s) in steps:
                return steps.index(int(s))
        else:
            fail(f"{option}: '{spec}' is not a month (YYYY-MM, a step number, first or last)")
        fail(f"{option}: month '{spec}' is not recorded in {self.path} "
             f"(records {labels[0]} to {labels[-1]}, steps {steps[0]}..{steps[-1]}"
             f"{', every ' + str(steps[1] - steps[0]) + ' months' if len(steps) > 1 and steps[1] - steps[0] > 1 else ''})")

    def period(self, month=None, start=None, end=None):
        """(first index, last index, label) of --month or --from/--to; the
        last record by default."""
        if month is not None and (start is not None or end is not None):
            fail("give either --month or --from/--to, not both")
        t = self.times()
        if month is not None:
            i = self.month_index(month)
            return i, i, t[i].strftime("%Y-%m")
        if start is None and end is None:
            i = len(t) - 1
            return i, i, t[i].strftime("%Y-%m")
        i0 = self.month_index(start, "--from") if start is not None else 0
        i1 = self.month_index(end, "--to") if end is not None else len(t) - 1
        if i1 < i0:
            fail(f"--from {start} is after --to {end}")
        return i0, i1, f"{t[i0].strftime('%Y-%m')} to {t[i1].strftime('%Y-%m')}"

    # -- configuration -----------------------------------------------------
    def cfg(self):
        """The resolved configuration as {dotted path: (value, unit)}."""
        if self._cfg is None:
            self._cfg = read_config(self.config)
        return self._cfg

    def agent_name(self, code):
        v = self.cfg().get(f"agents.{code}.name")
        return v[0] if v and isinstance(v[0], str) else code

    def describe(self, band=True):
        """What the file is, for titles: the scenario and how the runs are
        summarised (median and 5-95% band, or median only)."""
        how = "median and 5-95% range" if band else "medians"
        if self.kind == "run":
            return f"{self.scenario_name}, one run"
        if self.kind == "sweep":
            return f"{self.scenario_name} sweep, {self.runs} runs: {how} over all runs"
        return f"{self.scenario_name}, {self.runs} runs: {how}"


def _first_line(e):
    s = str(e).strip().splitlines()
    return s[0] if s else type(e).__name__


def _events(path):
    """The event log, from the file's group `events` (empty when absent)."""
    try:
        with h5py.File(path, "r") as f:
            if "events" not in f:
                return pd.DataFrame({})
        ev = xr.open_dataset(path, group="events")
    except Exception as e:  # netCDF4/h5py/xarray raise many kinds
        fail(f"{path}: cannot read its event log (group 'events': {_first_line(e)})")
    cols = {}
    for k in ("run", "step", "kind", "actor", "target", "value", "unit", "label", "scenario"):
        if f"event_{k}" in ev and "event" in ev.dims:
            v = ev[f"event_{k}"].values
            cols[k] = [str(x) for x in v] if v.dtype == object else v
    ev.close()
    return pd.DataFrame(cols)


def open_result(path, scenario=None, keep_scenario=False):
    return Result(path, scenario, keep_scenario)


# ---- selecting ----------------------------------------------------------------

def select(res, da, agent=None, partner=None, good=None, route=None, sum_rest=True):
    """Select agent/partner/good/route from a variable, each name checked.
    Dimensions left unselected that are additive (agent, partner, route:
    sums) are summed when sum_rest; a good must be chosen (units differ)."""
    for dim, v in (("agent", agent), ("partner", partner), ("good", good), ("route", route)):
        if v is None:
            continue
        if dim not in da.dims:
            fail(f"'{da.name}' has no {dim} dimension (its dimensions: {', '.join(da.dims)}); drop --{dim}")
        res.check_name(dim, v)
        da = da.sel({dim: v})
    if "good" in da.dims:
        fail(f"'{da.name}' is per good: choose one with --good ({', '.join(res.goods())})")
    if sum_rest:
        for dim in ("agent", "partner", "route"):
            if dim in da.dims:
                if not additive(da):
                    fail(f"'{da.name}' ({da.attrs.get('units', '')}) cannot be summed over {dim}s: "
                         f"choose one with --{dim}")
                da = da.sum(dim)
    return da


def additive(da):
    """Can the variable be summed over agents or routes: an amount (of a
    good, in its own unit, or of money), not a share or an index."""
    u = str(da.attrs.get("units", ""))
    meta = str(da.attrs.get("units_metadata", ""))
    return ("good_unit" in meta and "good_unit-1" not in meta) or u.startswith("USD") \
        or "barrel" in u


def selection_label(agent=None, partner=None, good=None, route=None):
    """'RUS->CHN, drones', 'of RUS, shells', 'into RUS, drones', 'route caspian'."""
    if agent and partner:
        who = f"{agent}\u2192{partner}"
    elif agent:
        who = f"of {agent}"
    elif partner:
        who = f"into {partner}"
    else:
        who = ""
    if route:
        who = (who + " " if who else "") + f"on route {route}"
    return ", ".join(p for p in (who, good) if p)


# ---- ensemble statistics ----------------------------------------------------------

def band(values, axis=0):
    """(median, 5%, 95%) along an axis of a numpy array."""
    a = np.asarray(values, dtype=float)
    q = np.nanquantile(a, [0.5, 0.05, 0.95], axis=axis)
    return q[0], q[1], q[2]


def median_runs(da):
    return da.median("run") if "run" in da.dims else da


def plot_band(ax, t, da, label=None, color=None, scale=1.0, lw=1.8, ls="-", alpha=0.2, zorder=2):
    """A median line over runs with a 5-95% band when there are several."""
    arr = np.asarray(da.transpose("run", ...).values if "run" in da.dims else da.values[None, ...], dtype=float)
    arr = arr / scale
    med, lo, hi = band(arr)
    line, = ax.plot(t, med, color=color, lw=lw, ls=ls, label=label, zorder=zorder,
                    marker="o" if len(med) == 1 else None)
    if arr.shape[0] > 1:
        ax.fill_between(t, lo, hi, color=line.get_color(), alpha=alpha, lw=0, zorder=zorder - 1)
    return line


# ---- units and scales ------------------------------------------------------------

def unit_text(da, good_unit=None):
    """A variable's units for an axis label: for a variable in the goods'
    own units (its units_metadata names good_unit) the good's unit put in,
    `month-1` written `/month`, dimensionless as ''."""
    u = str(da.attrs.get("units", "")).strip()
    meta = str(da.attrs.get("units_metadata", "")).strip()
    if "good_unit" in meta:
        u = meta.replace("good_unit-1", f"per {singular(good_unit)}" if good_unit else "per unit")
        u = u.replace("good_unit", good_unit or "units")
    u = re.sub(r"\s*month-1", "/month", u)
    return "" if u in ("1", "") else u


def singular(unit):
    return {"rounds": "round", "units": "unit", "barrels": "barrel"}.get(unit or "", unit or "unit")


def nice_scale(maxabs):
    """(factor, prefix) so that maxabs/factor reads well: k, m, bn."""
    m = float(maxabs) if np.isfinite(maxabs) else 0.0
    for f, p in ((1e12, "tn"), (1e9, "bn"), (1e6, "m"), (1e4, "k")):
        if m >= f:
            return (f, p) if p != "k" else (1e3, "k")
    return 1.0, ""


def scaled_unit(unit, prefix):
    """'barrels/month' with prefix 'm' -> 'm barrels/month'; 'USD' -> 'bn USD'."""
    if not prefix:
        return unit
    return f"{prefix} {unit}" if unit else f"{prefix}"


def axis_label(name, unit):
    return f"{name} ({unit})" if unit else name


def fmt_value(v, unit=""):
    """A compact number: 1.2 bn, 350 k, 0.42."""
    f, p = nice_scale(abs(v))
    x = v / f
    s = f"{x:.3g}" if abs(x) < 1000 else f"{x:.0f}"
    return " ".join(t for t in (s + (" " + p if p else ""), unit) if t)


def num(v):
    """A number for a label: 3 significant digits, thousands written out."""
    return f"{v:,.0f}" if 1000 <= abs(v) < 1e7 else f"{v:.3g}"


def money(v):
    f, p = nice_scale(abs(v))
    return f"${v / f:.3g}{(' ' + p) if p else ''}"


# ---- figures -------------------------------------------------------------------------

def agent_color(code, i=0):
    return AGENT_COLORS.get(code, _FALLBACK[i % len(_FALLBACK)])


def good_color(good, i=0):
    return GOOD_COLORS.get(good, _FALLBACK[(i + 3) % len(_FALLBACK)])


def style():
    plt.rcParams.update({
        "font.size": 10, "axes.titlesize": 11, "axes.titleweight": "bold", "axes.labelsize": 10,
        "legend.fontsize": 8.5, "xtick.labelsize": 9, "ytick.labelsize": 9,
        "axes.grid": True, "grid.alpha": 0.3, "axes.spines.top": False, "axes.spines.right": False,
        "svg.fonttype": "none", "figure.dpi": DPI, "savefig.dpi": DPI,
    })


def date_axis(ax, t, max_ticks=8):
    """Months on a time axis, labelled YYYY-MM without crowding: ticks every
    1, 2, 3, 4, 6 or 12 months (or whole years), aligned on January."""
    span = max(1, len(t))
    if len(t) > 1:
        span = int(round((t[-1] - t[0]).days / 30.44)) + 1
    step = next((s for s in (1, 2, 3, 4, 6, 12) if span / s <= max_ticks), None)
    if step is None:
        years = int(np.ceil(span / 12 / max_ticks))
        ax.xaxis.set_major_locator(mdates.YearLocator(years))
    else:
        ax.xaxis.set_major_locator(mdates.MonthLocator(bymonth=range(1, 13, step)))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m"))
    if len(t) > 1:
        ax.set_xlim(t[0], t[-1])
    elif len(t) == 1:  # one record: a month either side
        ax.set_xlim(t[0] - np.timedelta64(31, "D"), t[0] + np.timedelta64(31, "D"))
    for lab in ax.get_xticklabels():
        lab.set_rotation(0)


def headroom(ax, frac=0.3):
    """Room above the data for a legend at the top."""
    lo, hi = ax.get_ylim()
    ax.set_ylim(lo, hi + (hi - lo) * frac)


def not_recorded(ax, title, names):
    ax.set_title(title)
    ax.text(0.5, 0.5, f"not recorded in this file:\n{', '.join(names)}", ha="center", va="center",
            transform=ax.transAxes, color="0.4")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)


def output_paths(out):
    """(png, svg) for -o: OUT.png or OUT.svg or OUT (no extension)."""
    base, ext = os.path.splitext(out)
    if ext.lower() not in (".png", ".svg", ""):
        fail(f"-o {out}: the image must end in .png (an .svg is written beside it)")
    if ext == "":
        base = out
    d = os.path.dirname(os.path.abspath(base))
    if not os.path.isdir(d):  # as sim: an output that cannot be written, exit 1
        raise WriteFail(f"cannot write {base}.png: no directory {d}")
    if not os.access(d, os.W_OK):
        raise WriteFail(f"cannot write {base}.png: {d} is not writable")
    for p in (base + ".png", base + ".svg"):
        if os.path.exists(p) and not os.path.isfile(p):
            fail(f"-o {out}: {p} exists and is not a regular file")
    return base + ".png", base + ".svg"


def output_for(a, source):
    """The image to write: -o as given, or else INPUT.KIND.png in the
    current directory (plot_run.py a.h5 -> a.run.png), where KIND is the
    figure's kind (the parser's default_output).  Without -o an existing
    image drawn from another input (its PNG's Source, written by save) is
    never replaced: that is refused, as is one that is not ours."""
    if a.output:
        return a.output
    stem = os.path.basename(source)
    for ext in (".h5", ".nc", ".hdf5"):
        if stem.endswith(ext):
            stem = stem[:-len(ext)]
            break
    out = f"{stem}.{a.figure_kind}.png"
    png, svg = out, out[:-4] + ".svg"
    if os.path.exists(png) or os.path.exists(svg):
        drawn = figure_source(png) if os.path.exists(png) else None
        if drawn != os.path.abspath(source):
            fail(f"{out} exists, drawn from {drawn or 'another file'}: not replaced "
                 f"(give -o to name the image)")
    return out


def figure_source(png):
    """The input an image of ours was drawn from (its PNG's Source text), or
    None."""
    try:
        from PIL import Image
        with Image.open(png) as im:
            return im.text.get("Source") if hasattr(im, "text") else None
    except Exception:  # not an image, or not a PNG: not ours
        return None


def save(fig, out, source=None, extra=None):
    """Write OUT.png and OUT.svg (with the input file `source` recorded in
    their metadata) and any extra {path: text} files; each goes to a
    temporary name and all are renamed only when every one is complete, so
    a failure leaves no image (exit 1)."""
    png, svg = output_paths(out)
    extra = extra or {}
    finals = [png, svg] + list(extra)
    tmp = [os.path.join(os.path.dirname(p) or ".", f".{os.path.basename(p)}.tmp{os.getpid()}")
           for p in finals]
    meta = {"Software": f"bloc-sim analysis/{PROG}.py"}
    if source:
        meta["Source"] = os.path.abspath(source)
    try:
        fig.savefig(tmp[0], format="png", dpi=DPI, metadata=meta)
        fig.set_layout_engine("none")  # laid out once: the SVG keeps the PNG's layout
        fig.savefig(tmp[1], format="svg", metadata={"Source": meta.get("Source", "")} if source else None)
        for t, p in zip(tmp[2:], extra):
            with open(t, "w", newline="") as f:
                f.write(extra[p])
        for t, p in zip(tmp, finals):
            os.replace(t, p)
    except OSError as e:
        raise WriteFail(f"cannot write {e.filename or png}: {e.strerror or e}")
    finally:
        for t in tmp:
            if os.path.exists(t):
                os.unlink(t)
        plt.close(fig)
    for p in finals:
        print(f"wrote {p}")
    return png, svg


# ---- the resolved configuration -------------------------------------------------------

def read_config(text):
    """The resolved configuration (the `config` attribute, libconfig text)
    as {dotted path: (value, unit)}: values read by Debian's python3-libconf;
    groups give their names to the path, lists and arrays their indices, and
    a list entry with a `name` is reachable by it too (events.nk_shells.month).
    The unit is the `# ...` comment the program writes after a setting, or
    after the group that holds it.  {} for text libconf cannot read."""
    import libconf
    try:
        tree = libconf.loads(text or "")
    except Exception:  # libconf raises its own errors and ValueError
        return {}
    out = {}

    def walk(path, v):
        if isinstance(v, dict):
            for k, x in v.items():
                walk(f"{path}.{k}" if path else k, x)
        elif isinstance(v, (list, tuple)):
            for i, x in enumerate(v):
                walk(f"{path}.{i}", x)
                if isinstance(x, dict) and isinstance(x.get("name"), str):
                    walk(f"{path}.{x['name']}", x)
        else:
            out[path] = v

    walk("", tree)
    units = config_units(text or "")
    return {k: (v, units.get(k, _group_unit(units, k))) for k, v in out.items()}


_GROUP = re.compile(r"^\s*([A-Za-z][-\w]*)\s*[=:]\s*\{\s*(?:#\s*(.*))?$")
_SETTING = re.compile(r"^\s*([A-Za-z][-\w]*)\s*[=:]\s*[^{(\[].*;\s*#\s*(.*)$")
_CLOSE = re.compile(r"^\s*\}\s*[;,]?\s*$")


def config_units(text):
    """{dotted path: unit} from the comments of the program's resolved
    configuration, which is written one setting a line: `key = value;  #
    unit` and `group = {  # unit of its settings`.  A reader of that
    layout, not of libconfig in general (values come from libconf)."""
    units, stack = {}, []
    for line in text.splitlines():
        m = _GROUP.match(line)
        if m:
            stack.append(m.group(1))
            if m.group(2):
                units[".".join(stack)] = m.group(2).strip()
            continue
        if _CLOSE.match(line):
            if stack:
                stack.pop()
            continue
        m = _SETTING.match(line)
        if m:
            units[".".join(stack + [m.group(1)])] = m.group(2).strip()
    return units


def _group_unit(units, path):
    parts = path.split(".")
    while len(parts) > 1:
        parts.pop()
        u = units.get(".".join(parts))
        if u is not None:
            return u
    return ""


def agent_positions(res):
    """{agent: (lon, lat)} from the configuration; None when any is missing."""
    cfg = res.cfg()
    pos = {}
    for a in res.agents():
        lat, lon = cfg.get(f"agents.{a}.lat"), cfg.get(f"agents.{a}.lon")
        if not lat or not lon or not all(isinstance(x[0], (int, float)) for x in (lat, lon)):
            return None
        pos[a] = (float(lon[0]), float(lat[0]))
    return pos


def param_unit(res, path):
    """The unit of a swept parameter path: the file's param_unit(param)
    (from the parameter table), else the configuration text."""
    if "param_unit" in res.ds and "param" in res.ds.dims:
        names = [str(p) for p in res.ds["param"].values]
        if path in names:
            u = str(res.ds["param_unit"].values[names.index(path)])
            return "" if u == "1" else re.sub(r"\s*month-1", "/month", u)
    m = re.fullmatch(r"events\.[^.]+\.(month|ramp|value)", path)
    if m:
        return {"month": "step", "ramp": "months", "value": ""}[m.group(1)]
    v = res.cfg().get(path)
    u = v[1] if v else ""
    if u in ("1", "YYYY-MM", "agent code", "good"):
        return ""
    parts = path.split(".")
    good = parts[1] if parts[0] == "goods" and len(parts) > 1 else parts[-1]
    if good in res.goods():
        gu = res.good_unit(good)
        u = u.replace("good units", gu).replace("per unit", f"per {singular(gu)}")
    return re.sub(r"\s*month-1", "/month", u)
