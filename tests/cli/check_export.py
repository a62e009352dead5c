#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""check_export.py - check the CSV tables of `sim export` against the
result file they came from, read independently with xarray and h5py.

    check_export.py FILE.h5 DIR [--vars a,b] [--runs A-B] [--next FILE.h5 DIR ...]

values.csv is read with pandas as users read it; each variable's rows
must be, in order, the variable's values (xarray's to_dataframe order:
scenario, run, time, agent, partner, route, good), bit for bit (NaN as
NA), with the coordinates' labels, the record's date and the unit;
events.csv must be the event table, runs.csv the seeds, design points and
parameter values.  Prints one line per check ("ok - ..." or
"not ok - ..."); exit 1 if any failed.
"""
import argparse
import os
import sys

import h5py
import numpy as np
import pandas as pd
import xarray as xr

VALUE_COLS = ['scenario', 'run', 'time', 'agent', 'partner', 'route', 'good',
              'variable', 'value', 'unit']
EVENT_COLS = ['scenario', 'run', 'time', 'step', 'kind', 'actor', 'target',
              'value', 'label']
DIM_COL = {'scenario': 'scenario', 'run': 'run', 'time': 'time',
           'agent': 'agent', 'partner': 'partner', 'route': 'route',
           'good': 'good'}
failed = 0
PREFIX = ''


def check(what, cond, detail=''):
    global failed
    if cond:
        print('ok - %s%s' % (PREFIX, what))
    else:
        failed += 1
        print('not ok - %s%s%s' % (PREFIX, what, ' (%s)' % detail if detail else ''))


def text(x):
    return x.decode() if isinstance(x, bytes) else str(x)


def unit_for(meta, good_unit):
    """The unit column of a variable in the goods' own units: its
    units_metadata with the good's unit put in for good_unit."""
    return meta.replace('good_unit-1', 'per ' + good_unit).replace('good_unit', good_unit)


def read_values(path):
    v = pd.read_csv(path, float_precision='round_trip',
                    dtype={'scenario': str, 'agent': str, 'partner': str,
                           'route': str, 'good': str, 'variable': str,
                           'unit': str})
    return v


def check_values(h5, d, vars_, runs):
    path = os.path.join(d, 'values.csv')
    plain = pd.read_csv(path, low_memory=False)   # as a user reads it
    check('values.csv: the columns', list(plain.columns) == VALUE_COLS,
          list(plain.columns))
    check('values.csv: run is int64, value float64',
          plain['run'].dtype == np.int64 and plain['value'].dtype == np.float64,
          '%s %s' % (plain['run'].dtype, plain['value'].dtype))
    t = pd.to_datetime(plain['time'], format='%Y-%m-%d')
    check('values.csv: time parses as dates', t.notna().all())
    v = read_values(path)
    ds = xr.open_dataset(h5)
    f = h5py.File(h5, 'r')
    scen_attr = text(f.attrs['scenario'])
    good_unit = [text(u) for u in f['good_unit'][()]]
    goods = [text(g) for g in f['good'][()]]
    record = [n for n in ds.data_vars if 'run' in ds[n].dims and
              'time' in ds[n].dims and n not in ('param_value',)]
    want = vars_ if vars_ else record
    got_vars = list(dict.fromkeys(v['variable']))
    check('values.csv: the variables, in order', got_vars == want,
          '%s != %s' % (got_vars, want))
    total = 0
    for name in want:
        da = ds[name]
        if runs:
            da = da.isel(run=slice(runs[0], runs[1] + 1))
        sub = v[v['variable'] == name]
        n = int(np.prod(da.shape))
        total += n
        if len(sub) != n:
            check('%s: %d rows (the product of its dimensions)' % (name, n),
                  False, 'got %d' % len(sub))
            continue
        ok = np.array_equal(sub['value'].to_numpy(), da.values.ravel(),
                            equal_nan=True)
        idx = pd.MultiIndex.from_product([da[dm].values for dm in da.dims],
                                         names=da.dims).to_frame(index=False)
        for dm in da.dims:
            col = sub[DIM_COL[dm]].to_numpy()
            if dm == 'time':
                same = (pd.to_datetime(col).to_numpy() ==
                        idx[dm].to_numpy()).all()
            elif dm == 'run':
                same = (col.astype(np.int64) ==
                        idx[dm].to_numpy().astype(np.int64)).all()
            else:
                same = (col == np.array([text(x) for x in idx[dm]])).all()
            ok = ok and same
            if not same:
                print('# %s: column %s differs' % (name, dm))
        for dm in ('agent', 'partner', 'route', 'good'):
            if dm not in da.dims and sub[dm].notna().any():
                ok = False
                print('# %s: column %s not empty' % (name, dm))
        if 'scenario' not in da.dims:
            ok = ok and (sub['scenario'] == scen_attr).all()
        units = da.attrs.get('units', '')
        meta = da.attrs.get('units_metadata', '')
        if 'good' in da.dims and 'good_unit' in meta:
            exp_unit = np.array([unit_for(meta, good_unit[goods.index(g)])
                                 for g in sub['good']])
        else:
            exp_unit = np.array([units] * len(sub))
        ok = ok and (sub['unit'].fillna('').to_numpy() == exp_unit).all()
        check('%s: %d rows, values bit for bit, labels, dates, unit' % (name, n),
              ok)
    check('values.csv: %d rows in all' % total, len(v) == total, len(v))
    f.close()
    ds.close()


def check_events(h5, d, runs):
    e = pd.read_csv(os.path.join(d, 'events.csv'), float_precision='round_trip',
                    keep_default_na=False, na_values=['NA'],
                    dtype={'actor': str, 'target': str, 'label': str,
                           'scenario': str, 'kind': str})
    check('events.csv: the columns', list(e.columns) == EVENT_COLS,
          list(e.columns))
    f = h5py.File(h5, 'r')
    g = f['events']  # the event log's group
    if 'event_run' not in g or len(g['event_run']) == 0:
        check('events.csv: no events', len(e) == 0)
        return
    run = g['event_run'][()]
    keep = np.ones(len(run), bool)
    if runs:  # positions on the run axis; the event table names run labels
        keep = np.isin(run, f['run'][runs[0]:runs[1] + 1])
    ok = len(e) == keep.sum()
    check('events.csv: one row per event (%d)' % keep.sum(), ok, len(e))
    if not ok or len(e) == 0:
        return
    cols = {'run': 'event_run', 'step': 'event_step', 'kind': 'event_kind',
            'actor': 'event_actor', 'target': 'event_target',
            'value': 'event_value', 'label': 'event_label'}
    for c, h in cols.items():
        x = g[h][()][keep]
        if x.dtype.kind in 'OS':
            x = np.array([text(s) for s in x])
            same = (e[c].to_numpy().astype(str) == x).all()
        else:
            same = np.array_equal(e[c].to_numpy(), x, equal_nan=True)
        check('events.csv: %s' % c, same)
    if 'event_scenario' in g:
        x = np.array([text(s) for s in g['event_scenario'][()][keep]])
        check('events.csv: scenario', (e['scenario'].to_numpy() == x).all())
    else:
        check('events.csv: scenario', (e['scenario'] == text(f.attrs['scenario'])).all())
    start = pd.Timestamp(text(f['time'].attrs['units']).split('since ')[1])
    want = [start + pd.DateOffset(months=int(s)) for s in e['step']]
    check('events.csv: time is the first day of the month applied',
          (pd.to_datetime(e['time']) == pd.Series(want)).all())
    f.close()


def check_runs(h5, d, runs):
    r = pd.read_csv(os.path.join(d, 'runs.csv'), float_precision='round_trip')
    f = h5py.File(h5, 'r')
    n = f['run'].shape[0]
    lo, hi = runs if runs else (0, n - 1)
    cols = ['run', 'seed']
    if 'point' in f:
        cols.append('point')
    params = [text(p) for p in f['param'][()]] if 'param' in f else []
    check('runs.csv: the columns', list(r.columns) == cols + params,
          list(r.columns))
    check('runs.csv: one row per run', len(r) == hi - lo + 1, len(r))
    if len(r) != hi - lo + 1:
        return
    check('runs.csv: run (its label)', (r['run'].to_numpy() == f['run'][lo:hi + 1]).all())
    seeds = f['seed'][lo:hi + 1]
    check('runs.csv: seed exact',
          [int(s) for s in r['seed']] == [int(s) for s in seeds])
    if 'point' in f:
        check('runs.csv: point', (r['point'].to_numpy() == f['point'][lo:hi + 1]).all())
    for k, p in enumerate(params):
        check('runs.csv: %s' % p, np.array_equal(
            r[p].to_numpy(), f['param_value'][lo:hi + 1, k], equal_nan=True))
    f.close()


def main():
    """Jobs separated by '--next': FILE DIR [--vars a,b] [--runs A-B]."""
    args, jobs = sys.argv[1:], [[]]
    for a in args:
        if a == '--next':
            jobs.append([])
        else:
            jobs[-1].append(a)
    for job in jobs:
        ap = argparse.ArgumentParser()
        ap.add_argument('h5')
        ap.add_argument('dir')
        ap.add_argument('--vars')
        ap.add_argument('--runs')
        a = ap.parse_args(job)
        vars_ = a.vars.split(',') if a.vars else None
        runs = None
        if a.runs:
            lo, _, hi = a.runs.partition('-')
            runs = (int(lo), int(hi or lo))
        global PREFIX
        PREFIX = a.dir + ': '
        check_values(a.h5, a.dir, vars_, runs)
        check_events(a.h5, a.dir, runs)
        check_runs(a.h5, a.dir, runs)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
