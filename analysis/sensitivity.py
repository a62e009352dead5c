#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""First-order and total Sobol' indices, with bootstrap 95% intervals, from a
saltelli sweep.

    /usr/bin/python3 analysis/sensitivity.py SWEEP.h5 --var NAME [--var NAME2 ...]
        [--agent A] [--good G] [--partner P] [--route R]
        [--month M | --from M1 --to M2] [--bootstrap 1000] [--seed S]
        [-o OUT.png] [--csv OUT.csv]

The file must come from `sim sweep` with `design = "saltelli"`: N * (d + 2)
design points for d axes, point k = b * N + j with block b = 0 (matrix A),
1 (B) and 2 + i (A_B^(i): A with column i taken from B), and run r is
replicate r % R of point r // R.  The file's sweep_design attribute must
say "saltelli" (files written before it existed have none), and the layout
is checked from the data as well: the number of points is a multiple of
d + 2, every run is done (point >= 0), the replicates of a point share its
parameter values, and row j of every A_B^(i) equals row j of A except in
column i, which equals row j of B.  Any other file (a single run, an
ensemble, a comparison, another design, an unfinished sweep or shard) is
refused.

The output of a run is one number: the variable at the chosen agent, good,
partner (or route), at month M, or averaged over the recorded months M1..M2
(both included; by default over every recorded month).  M is a month index
from 0 (the program's `step`, as in event months) or a YYYY-MM label.
--agent defaults to the file's focus agent; --good, --partner and --route
are needed when the variable has that dimension.

Replicates: the output is first averaged over the R replicates of each
design point (they differ only in their seeds, the same seeds at every
point), and the indices are estimated from those N * (d + 2) point means.
The indices therefore apportion the variance of the replicate-mean output;
the noise left in those means (the within-point variance divided by R)
shows up as extra variance, mostly in the total indices.

Estimators (Saltelli et al. 2010, Comput. Phys. Commun. 181, 259-270,
table 2), with f_A, f_B, f_ABi the outputs on the rows of A, B and A_B^(i):
    V     = variance of f_A and f_B pooled (2N values); every output is
            first centred on their mean (as SALib does), which leaves the
            estimators unbiased but keeps S1's error from growing with
            the output's mean
    S1_i  = mean_j( f_B[j] * (f_ABi[j] - f_A[j]) ) / V       (Saltelli 2010)
    ST_i  = mean_j( (f_A[j] - f_ABi[j])**2 ) / (2 V)          (Jansen 1999)
The 95% intervals are bootstrap percentiles: B resamples of the N rows j
with replacement (the same rows for A, B and every A_B^(i)).

Prints a table per variable (param, S1, S1 low, S1 high, ST, ST low,
ST high) and draws a bar chart with error bars, written as PNG and SVG
(-o out.png writes out.png and out.svg; default SWEEP.sobol.png in the
current directory); --csv writes the table as CSV.  The file is read and
the images saved by resultlib, as every script of analysis/ does.  Errors
are one line "sensitivity: ..." on stderr: exit 2 for bad usage or a
refused file (nothing is written), exit 1 when an output cannot be written
(nothing is left under the final names).
"""
import csv
import io
import os

import numpy as np

import resultlib as rl
from resultlib import fail

PROG = "sensitivity"


# ---- the estimators (pure functions) ------------------------------------------------

def sobol_indices(yA, yB, yAB):
    """First-order and total Sobol' indices from the outputs of a Saltelli
    design.

    yA, yB: shape (N,), the outputs on the rows of A and B.
    yAB:    shape (d, N), row i the outputs on the rows of A_B^(i).
    Also accepts a leading batch dimension: yA, yB (K, N) and yAB (d, K, N)
    give (d, K) results.

    Returns (S1, ST), each of shape (d,): S1 by Saltelli et al. (2010),
    ST by Jansen (1999), both over the variance of yA and yB pooled.  The
    outputs are first centred on the mean of yA and yB pooled, so the
    result does not change when a constant is added to every output.
    Where that variance is 0 the indices are NaN.
    """
    yA = np.asarray(yA, dtype=float)
    yB = np.asarray(yB, dtype=float)
    yAB = np.asarray(yAB, dtype=float)
    if yA.shape != yB.shape or yAB.shape[1:] != yA.shape or yAB.ndim != yA.ndim + 1:
        raise ValueError("sobol_indices: shapes yA %s, yB %s, yAB %s do not match"
                         % (yA.shape, yB.shape, yAB.shape))
    pooled = np.concatenate([yA, yB], axis=-1)
    # centre on the pooled mean: the estimators are shift-invariant in
    # expectation, but S1's sampling error grows with the mean otherwise
    mu = np.mean(pooled, axis=-1, keepdims=True)
    yA, yB, yAB = yA - mu, yB - mu, yAB - mu
    var = np.var(pooled, axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        s1 = np.mean(yB * (yAB - yA), axis=-1) / var
        st = 0.5 * np.mean((yA - yAB) ** 2, axis=-1) / var
    return s1, st


def sobol_bootstrap(yA, yB, yAB, n_boot=1000, level=0.95, seed=0, batch=None):
    """sobol_indices() with bootstrap percentile intervals.

    Resamples the N rows with replacement n_boot times (the same rows for
    yA, yB and every row of yAB), with numpy's default_rng(seed).
    Returns a dict of arrays of shape (d,): S1, S1_low, S1_high, ST,
    ST_low, ST_high; the point estimates are those of the full sample.
    """
    yA = np.asarray(yA, dtype=float)
    yB = np.asarray(yB, dtype=float)
    yAB = np.asarray(yAB, dtype=float)
    s1, st = sobol_indices(yA, yB, yAB)
    n = yA.shape[0]
    d = yAB.shape[0]
    if n_boot < 1:
        raise ValueError("sobol_bootstrap: n_boot must be at least 1")
    rng = np.random.default_rng(seed)
    # keep the temporaries near 2e6 doubles a batch
    if batch is None:
        batch = max(1, min(n_boot, 2000000 // max(1, n * (d + 2))))
    b1, bt = [], []
    done = 0
    while done < n_boot:
        k = min(batch, n_boot - done)
        idx = rng.integers(0, n, size=(k, n))
        r1, rt = sobol_indices(yA[idx], yB[idx], yAB[:, idx])
        b1.append(r1)
        bt.append(rt)
        done += k
    b1 = np.concatenate(b1, axis=1)
    bt = np.concatenate(bt, axis=1)
    q = [50.0 * (1.0 - level), 50.0 * (1.0 + level)]
    with np.errstate(invalid="ignore"):
        l1, h1 = np.nanpercentile(b1, q, axis=1) if np.isfinite(b1).any() else (s1 * np.nan,) * 2
        lt, ht = np.nanpercentile(bt, q, axis=1) if np.isfinite(bt).any() else (st * np.nan,) * 2
    return {"S1": s1, "S1_low": l1, "S1_high": h1,
            "ST": st, "ST_low": lt, "ST_high": ht}


def split_saltelli(y, d):
    """Split outputs in design-point order (point k = b*N + j) into
    (yA, yB, yAB) for d axes: N = len(y) / (d + 2)."""
    y = np.asarray(y, dtype=float)
    if y.ndim != 1 or len(y) % (d + 2):
        raise ValueError("split_saltelli: %d values are not N * (%d + 2)" % (len(y), d))
    n = len(y) // (d + 2)
    blocks = y.reshape(d + 2, n)
    return blocks[0], blocks[1], blocks[2:]


def check_saltelli_layout(x, d):
    """x: (P, d) parameter values of the design points in point order.
    Returns None when they follow the Saltelli layout, else the reason."""
    p = x.shape[0]
    if p % (d + 2):
        return "%d design points are not a multiple of d + 2 = %d" % (p, d + 2)
    n = p // (d + 2)
    if n < 2:
        return "base size N = %d: at least 2 are needed" % n
    a, b = x[:n], x[n:2 * n]
    if np.array_equal(a, b):
        return "matrices A and B are the same"
    for i in range(d):
        ab = x[(2 + i) * n:(3 + i) * n]
        want = a.copy()
        want[:, i] = b[:, i]
        bad = np.nonzero(~np.all(ab == want, axis=1))[0]
        if bad.size:
            return ("point %d is not row %d of A with column %d from B"
                    % ((2 + i) * n + bad[0], bad[0], i))
    return None


# ---- reading a sweep file ----------------------------------------------------------

def open_sweep(path):
    """Open a result file (resultlib) and check it is a complete saltelli
    sweep.  Returns (result, info): info has params, n_base, d, reps,
    n_points, n_runs."""
    res = rl.open_result(path, keep_scenario=True)
    ds = res.ds
    if res.kind == "compare":
        fail("%s: a comparison file (sim compare), not a saltelli sweep" % path)
    for v in ("param_value", "point"):
        if v not in ds:
            fail("%s: not a sweep (no '%s' variable: %s)"
                 % (path, v, "a single run or an ensemble" if "seed" in ds else "not a result of sim"))
    # runs of the sweep not in the file: a shard holds its own runs only
    # (sweep_runs counts the sweep's), an interrupted sweep those done
    in_file = res.runs + res.not_done
    total = max(int(ds.attrs.get("sweep_runs", in_file)), in_file)
    if total > res.runs:
        shard = ds.attrs.get("shard_index")
        hint = ("a shard (%s/%s): merge the shards with sim merge"
                % (shard, ds.attrs.get("shard_count")) if shard is not None
                else "finish it with sim sweep --resume")
        fail("%s: %d of %d runs not done or not in this file; %s"
             % (path, total - res.runs, total, hint))
    design = ds.attrs.get("sweep_design")
    if design is not None and str(design) != "saltelli":
        fail("%s: a %s sweep (its sweep_design attribute); Sobol indices need "
             "sim sweep with design = \"saltelli\"" % (path, design))
    params = [str(p) for p in ds["param"].values]
    d = len(params)
    point = np.asarray(ds["point"].values).astype(np.int64)
    n_runs = point.size
    n_points = int(point.max()) + 1 if n_runs else 0
    if n_points == 0 or n_runs % n_points:
        fail("%s: %d runs are not a whole number of replicates of %d points" % (path, n_runs, n_points))
    reps = n_runs // n_points
    if not np.array_equal(point, np.arange(n_runs) // reps):
        fail("%s: run r is not replicate r %% %d of point r / %d" % (path, reps, reps))
    pv = np.asarray(ds["param_value"].transpose("run", "param").values, dtype=float)
    pv = pv.reshape(n_points, reps, d)
    if not np.all(pv == pv[:, :1, :]):
        fail("%s: the replicates of a point have different parameter values" % path)
    why = check_saltelli_layout(pv[:, 0, :], d)
    if why:
        fail("%s: not a saltelli sweep (%s; sim sweep design = \"saltelli\" "
             "gives N * (d + 2) points in blocks A, B, A_B^(i))" % (path, why))
    return res, {"params": params, "d": d, "reps": reps, "n_points": n_points,
                 "n_base": n_points // (d + 2), "n_runs": n_runs}


def time_window(res, a):
    """The records to average, as a slice, and a label for the period
    (months checked by resultlib: YYYY-MM or a step from 0)."""
    if a.month is not None and (a.from_ is not None or a.to is not None):
        fail("give either --month or --from/--to, not both")
    if a.month is None and a.from_ is None and a.to is None:
        i0, i1 = 0, len(res.times()) - 1
    else:
        i0, i1, _ = res.period(a.month, a.from_, a.to)
    t = [d.strftime("%Y-%m") for d in res.times()]
    if i0 == i1:
        return slice(i0, i0 + 1), "in %s" % t[i0]
    return slice(i0, i1 + 1), "mean over %s..%s" % (t[i0], t[i1])


SELECTORS = ("agent", "partner", "good", "route")


def select_output(res, var, a, window):
    """The output per run (averaged over the window), its label, unit and
    the labels selected: every dimension of the variable besides run and
    time must be chosen (the agent defaults to the focus agent)."""
    da = res.var(var)
    if da.dims[:2] != ("run", "time"):
        fail("'%s' is not a variable of the runs over time" % var)
    sel = {}
    for dim in da.dims[2:]:
        if dim not in SELECTORS:
            fail("'%s' has a '%s' dimension, which cannot be selected" % (var, dim))
        want = getattr(a, dim)
        if want is None and dim == "agent":
            want = res.focus or None
        if want is None:
            fail("'%s' has a %s dimension: give --%s (one of %s)"
                 % (var, dim, dim, ", ".join(str(x) for x in res.ds[dim].values)))
        sel[dim] = res.check_name(dim, want)
    y = np.asarray(da.isel(time=window).sel(sel).transpose("run", "time").values, dtype=float)
    if not np.all(np.isfinite(y)):
        fail("'%s': missing or non-finite values in the selected records" % var)
    unit = rl.unit_text(da, res.good_unit(sel["good"]) if "good" in sel else None)
    label = ", ".join([var] + list(sel.values()))
    return y.mean(axis=1), label, unit, sel


# ---- output ------------------------------------------------------------------------

COLUMNS = ("S1", "S1_low", "S1_high", "ST", "ST_low", "ST_high")


def format_table(params, res):
    w = max([len("param")] + [len(p) for p in params])
    head = ("%-*s %8s %8s %8s %8s %8s %8s"
            % (w, "param", "S1", "S1 low", "S1 high", "ST", "ST low", "ST high"))
    rows = [head]
    for i, p in enumerate(params):
        rows.append("%-*s " % (w, p) + " ".join("%8.4f" % res[c][i] for c in COLUMNS))
    return "\n".join(rows)


def draw(results, info, a, period):
    """Horizontal bar chart, one panel per variable: the figure."""
    from resultlib import plt

    params = info["params"]
    d = len(params)
    nv = len(results)
    fig, axes = plt.subplots(nv, 1, figsize=(10, 1.2 + nv * (0.9 + 0.55 * d)),
                             squeeze=False, sharex=True)
    lows = [min(np.nanmin(r["res"]["S1_low"]), np.nanmin(r["res"]["ST_low"])) for r in results]
    highs = [max(np.nanmax(r["res"]["S1_high"]), np.nanmax(r["res"]["ST_high"])) for r in results]
    xmin = min(-0.05, min(lows) - 0.05)
    xmax = max(1.05, max(highs) + 0.05)
    xmax += 0.07 * (xmax - xmin)        # room for the value labels
    y = np.arange(d)
    h = 0.38
    colours = {"S1": "#1f77b4", "ST": "#d62728"}
    names = {"S1": "first order $S_1$", "ST": "total $S_T$"}
    for k, r in enumerate(results):
        ax = axes[k, 0]
        res = r["res"]
        for off, c in ((-h / 2, "S1"), (h / 2, "ST")):
            est = np.asarray(res[c])
            err = np.vstack([np.clip(est - res[c + "_low"], 0, None),
                             np.clip(res[c + "_high"] - est, 0, None)])
            ax.barh(y + off, est, height=h, color=colours[c], alpha=0.85,
                    label=names[c], xerr=err,
                    error_kw={"ecolor": "black", "capsize": 4, "elinewidth": 1.2})
            for yy, e, hi in zip(y + off, est, res[c + "_high"]):
                if np.isfinite(e):
                    ax.text(max(e, hi if np.isfinite(hi) else e, 0) + 0.012 * (xmax - xmin), yy,
                            "%.2f" % e, va="center", fontsize=8, color=colours[c])
        ax.axvline(0, color="black", lw=0.8)
        ax.axvline(1, color="grey", lw=0.6, ls=":")
        ax.set_yticks(y)
        ax.set_yticklabels(params)
        ax.invert_yaxis()
        ax.set_ylabel("swept parameter")
        unit = " [%s]" % r["unit"] if r["unit"] not in ("", "1") else ""
        ax.set_title("%s%s, %s" % (r["label"], unit, period), fontsize=10, loc="left")
        ax.grid(axis="x", alpha=0.3)
        ax.set_xlim(xmin, xmax)
    axes[-1, 0].set_xlabel("Sobol' index (share of the output variance)")
    fig.suptitle("Sobol' sensitivity indices, %s sweep %s\n"
                 "N = %d, d = %d, %d replicate%s a point averaged; "
                 "bars: 95%% bootstrap intervals (%d resamples)"
                 % (info.get("scenario", ""), os.path.basename(a.result),
                    info["n_base"], d, info["reps"], "" if info["reps"] == 1 else "s",
                    a.bootstrap), fontsize=11)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.tight_layout(rect=(0, 0.05 if nv == 1 else 0.035, 1, 1))
    fig.legend(handles, labels, loc="lower center", ncol=2, fontsize=9, frameon=False)
    return fig


def parse(argv):
    ap = rl.parser(PROG, __doc__, "sobol.png", scenario=False)
    ap.add_argument("result", help="result file of sim sweep with design = \"saltelli\"")
    ap.add_argument("--var", action="append", required=True,
                    help="output variable (repeat for several)")
    for dim in SELECTORS:
        ap.add_argument("--" + dim, action="append",
                        help="%s label, when the variable has that dimension"
                        % dim + (" (default: the focus agent)" if dim == "agent" else ""))
    ap.add_argument("--month", help="one month: index from 0 or YYYY-MM")
    ap.add_argument("--from", dest="from_", metavar="M1", help="first month averaged")
    ap.add_argument("--to", metavar="M2", help="last month averaged (included)")
    ap.add_argument("--bootstrap", type=int, default=1000, help="resamples (default 1000)")
    ap.add_argument("--seed", type=int, default=0, help="bootstrap seed (default 0)")
    ap.add_argument("--csv", help="also write the table as CSV")
    a = ap.parse_args(argv)
    for dim in SELECTORS:
        given = getattr(a, dim)
        if given is not None and len(given) > 1:
            ap.error("--%s given %d times: one selection applies to every --var "
                     "(run once per %s)" % (dim, len(given), dim))
        setattr(a, dim, given[0] if given else None)
    if a.bootstrap < 10:
        ap.error("--bootstrap: at least 10 resamples (got %d)" % a.bootstrap)
    if a.seed < 0:
        ap.error("--seed: must be >= 0")
    return a


def run(a):
    res, info = open_sweep(a.result)
    info["scenario"] = res.scenario_name
    window, period = time_window(res, a)
    used = set()
    results = []
    for var in a.var:
        y, label, unit, sel = select_output(res, var, a, window)
        used.update(sel)
        ym = y.reshape(info["n_points"], info["reps"]).mean(axis=1)
        yA, yB, yAB = split_saltelli(ym, info["d"])
        if np.var(np.concatenate([yA, yB])) == 0:
            fail("'%s' is the same (%g) at every point of A and B: its indices are undefined"
                 % (label, yA[0]))
        r = sobol_bootstrap(yA, yB, yAB, n_boot=a.bootstrap, seed=a.seed)
        results.append({"var": var, "label": label, "unit": unit, "sel": sel,
                        "res": r, "mean": float(np.mean(ym)), "sd": float(np.std(ym))})
    for dim in SELECTORS:
        if getattr(a, dim) is not None and dim not in used:
            fail("--%s: none of the variables has a %s dimension" % (dim, dim))
    a.output = rl.output_for(a, a.result)
    rl.output_paths(a.output)

    print("%s: saltelli sweep of scenario %s, N = %d, d = %d, %d replicate%s a point "
          "(averaged before estimating), %d runs"
          % (a.result, info["scenario"], info["n_base"], info["d"], info["reps"],
             "" if info["reps"] == 1 else "s", info["n_runs"]))
    print("Sobol' indices: S1 Saltelli (2010), ST Jansen (1999); "
          "95%% bootstrap intervals, %d resamples, seed %d" % (a.bootstrap, a.seed))
    for r in results:
        print()
        print("%s, %s: mean %.6g, sd %.6g%s across the design points"
              % (r["label"], period, r["mean"], r["sd"], " " + r["unit"] if r["unit"] else ""))
        print(format_table(info["params"], r["res"]))
        print("sum of S1 %.4f, of ST %.4f (ST - S1: interactions; "
              "with replicates, also noise left in the point means)"
              % (np.sum(r["res"]["S1"]), np.sum(r["res"]["ST"])))
    extra = {}
    if a.csv:
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(["var", "agent", "partner", "good", "route", "period", "param"] + list(COLUMNS))
        for r in results:
            for i, p in enumerate(info["params"]):
                w.writerow([r["var"]] + [r["sel"].get(k, "") for k in SELECTORS]
                           + [period, p] + ["%.6g" % r["res"][c][i] for c in COLUMNS])
        extra[a.csv] = buf.getvalue()
    print()
    fig = draw(results, info, a, period)
    rl.save(fig, a.output, source=a.result, extra=extra)


def main(argv=None):
    rl.run_main(PROG, lambda: run(parse(argv)))


if __name__ == "__main__":
    main()
