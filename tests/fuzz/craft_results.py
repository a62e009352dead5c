#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""craft_results.py - small HDF5 files shaped like result files but wrong in
one way each, for fuzz_result (seeds, and the regression cases in
tests/fuzz/regressions/fuzz_result/ were made with it).

    /usr/bin/python3 tests/fuzz/craft_results.py OUTDIR [NAME...]

Each file has what `sim info` needs to get past its first checks (the
`scenario` and `config` attributes, a `time` dataset with units, the group
`events` of the current layout) and then one thing a
damaged or foreign file may have: a coordinate of rank 2, a coordinate
longer than the one it is paired with, attributes holding arrays, times
that are not finite or far out of range, dimensions far larger than the
file.  Needs h5py and numpy.
"""
import os
import sys

import h5py
import numpy as np

STR = h5py.string_dtype('utf-8')


def strings(values):
    return np.array(values, dtype=object)


def base(path, time=(0.0, 31.0), agents=('RUS', 'CHN'), goods=('shells',),
         units=('rounds',), runs=True):
    f = h5py.File(path, 'w')
    f.attrs['scenario'] = 'crafted'
    f.attrs['config'] = ''
    f.attrs['focus_agent'] = 'RUS'
    f.create_group('events')
    t = f.create_dataset('time', data=np.array(time, dtype='f8'))
    t.attrs['units'] = 'days since 2023-01-01'
    if agents is not None:
        f.create_dataset('agent', data=strings(agents), dtype=STR)
    if goods is not None:
        f.create_dataset('good', data=strings(goods), dtype=STR)
    if units is not None:
        f.create_dataset('good_unit', data=strings(units), dtype=STR)
    if runs:  # one run: its coordinate and seed
        f.create_dataset('run', data=np.array([0], dtype='i4'))
        f.create_dataset('seed', data=np.array([1], dtype='u8'))
    return f


def ok(path):
    """A well-formed miniature: one run, two records, two agents, one good."""
    f = base(path)
    f.create_dataset('shortfall', data=np.ones((1, 2, 2, 1)))
    f.create_dataset('demand', data=np.ones((1, 2, 2, 1)))
    f.create_dataset('cohesion', data=np.full((1, 2), 0.5))
    f.close()


def dense(path):
    """Like ok, with links and attributes in creation order and more links
    than fit in the object header (dense storage: fractal heap and v2
    B-trees), as the result writer makes them."""
    f = h5py.File(path, 'w', libver=('v108', 'v108'), track_order=True)
    f.attrs['scenario'] = 'crafted'
    f.attrs['config'] = ''
    f.attrs['focus_agent'] = 'RUS'
    f.attrs['master_seed'] = np.uint64(1)
    f.attrs['months'] = np.int32(2)
    f.attrs['record_every'] = np.int32(1)
    t = f.create_dataset('time', data=np.array([0.0, 31.0]))
    t.attrs['units'] = 'days since 2023-01-01'
    f.create_dataset('run', data=np.array([0, 1], dtype='i4'))
    f.create_dataset('seed', data=np.array([1, 2], dtype='u8'))
    f.create_group('events')
    f.create_dataset('agent', data=strings(['RUS', 'CHN']), dtype=STR)
    f.create_dataset('good', data=strings(['shells']), dtype=STR)
    f.create_dataset('good_unit', data=strings(['rounds']), dtype=STR)
    for name in ('shortfall', 'demand', 'stock', 'production', 'imports'):
        f.create_dataset(name, data=np.ones((2, 2, 2, 1)))
    for name in ('cohesion', 'connectivity', 'hub_share'):
        f.create_dataset(name, data=np.full((2, 2), 0.5))
    f.close()


def coord_rank2(path):
    """`agent` is 2-D: length_of() gives 0, read_strings() reads 4."""
    f = base(path, agents=None)
    f.create_dataset('agent', data=strings([['RUS', 'CHN'], ['IRN', 'PRK']]),
                     dtype=STR)
    f.close()


def unit_longer(path):
    """`good_unit` has more entries than `good`."""
    base(path, goods=('shells',), units=('a', 'b', 'c', 'd', 'e')).close()


def scenario_longer(path):
    """The `scenario` axis is read with the length of a 2-D dataset."""
    f = base(path)
    f.create_dataset('scenario', data=strings([['a', 'b'], ['c', 'd']]),
                     dtype=STR)
    f.close()


def attr_vlen_array(path):
    """The `scenario` attribute is an array of 3 variable-length strings."""
    f = base(path)
    f.attrs['scenario'] = strings(['a', 'b', 'c'])
    f.close()


def attr_fixed_array(path):
    """`focus_agent` is an array of 4 fixed-length strings of 8 bytes."""
    f = base(path)
    f.attrs.create('focus_agent', np.array([b'RUS', b'CHN', b'IRN', b'PRK']),
                   dtype='S8')
    f.close()


def seed_array(path):
    """`master_seed` is an array of 64 integers (read into one)."""
    f = base(path)
    f.attrs['master_seed'] = np.arange(64, dtype='u8')
    f.attrs['months'] = np.arange(64, dtype='i4')
    f.close()


def time_huge(path):
    """A time far outside any calendar (1e300 days)."""
    base(path, time=(0.0, 1e300)).close()


def time_nan(path):
    """A time that is not a number."""
    base(path, time=(float('nan'), float('nan'))).close()


def time_units_odd(path):
    """Units with a year, month and day far out of range."""
    f = base(path, time=(0.0, 9223372036854774784.0))
    f['time'].attrs['units'] = 'days since 2147483647-2147483647-2147483647'
    f.close()


def huge_dims(path):
    """`time` declares 2^28 records (2 GiB of doubles) in a file of a few KB:
    chunked, nothing written."""
    f = base(path, time=(0.0,), runs=False)
    del f['time']
    t = f.create_dataset('time', shape=(1 << 28,), dtype='f8', chunks=(1024,))
    t.attrs['units'] = 'days since 2023-01-01'
    f.create_dataset('run', data=np.array([0], dtype='i4'))
    f.close()


def names_huge(path):
    """`agent` declares 2^28 names (chunked, nothing written): two arrays
    of 2^28 pointers (4 GiB) before a single name is read."""
    f = base(path, agents=None)
    f.create_dataset('agent', shape=(1 << 28,), dtype=STR, chunks=(1024,))
    f.close()


def product_overflow(path):
    """runs x records x goods overflows size_t: 2^62 runs (chunked, nothing
    written) x 2 records x 4 goods: read_slab() asks for 2^65 mod 2^64 = 0
    doubles, and calloc(2^62 runs, 8) in print_shortfall()."""
    goods = ('shells', 'drones', 'chips', 'oil')
    f = base(path, goods=goods, units=goods, runs=False)
    f.create_dataset('run', shape=(1 << 62,), dtype='i4', chunks=(1024,))
    f.create_dataset('shortfall', shape=(1 << 62, 2, 2, 4), dtype='f8',
                     chunks=(1, 2, 2, 4))
    f.create_dataset('cohesion', shape=(1 << 62, 2), dtype='f8',
                     chunks=(1, 2))
    f.close()


def export_base(path, runs=2, agents=('RUS', 'CHN'), goods=('shells',),
                scenarios=None):
    """(not a case) A miniature that `sim export` takes whole: a `run`
    coordinate, `partner`, a record variable of each shape, an event
    table; each case below then breaks one thing."""
    f = base(path, agents=agents, goods=goods, units=('rounds',) * len(goods),
             runs=False)
    f.create_dataset('run', data=np.arange(runs, dtype='i4'))
    f.create_dataset('partner', data=strings(agents), dtype=STR)
    f.create_dataset('seed', data=np.arange(1, runs + 1, dtype='u8'))
    lead = (runs, 2)
    if scenarios:
        f.create_dataset('scenario', data=strings(scenarios), dtype=STR)
        lead = (runs, len(scenarios), 2)
    na, ng = len(agents), len(goods)
    n = np.prod(lead)
    f.create_dataset('stock', data=np.arange(n * na * ng, dtype='f8')
                     .reshape(lead + (na, ng)))
    f.create_dataset('flow', data=np.full(lead + (na, na, ng), 0.5))
    f.create_dataset('cohesion', data=np.full(lead, 0.25))
    f['stock'].attrs['units'] = '1'
    f['stock'].attrs['units_metadata'] = 'good_unit'
    g = f['events']
    ev = {'event_run': np.array([0, 1], dtype='i4'),
          'event_step': np.array([0, 1], dtype='i4'),
          'event_value': np.array([1.0, 2.0])}
    for k, v in ev.items():
        g.create_dataset(k, data=v)
    for k in ('event_kind', 'event_actor', 'event_target', 'event_unit',
              'event_label'):
        g.create_dataset(k, data=strings(['set', 'join']), dtype=STR)
    if scenarios:
        g.create_dataset('event_scenario', data=strings(scenarios[:1] * 2),
                         dtype=STR)
    return f


def export_ok(path):
    """A miniature that exports whole: every table has rows."""
    export_base(path).close()


def export_quoted_names(path):
    """Codes and names with commas, quotes and a line break: the CSV
    fields must be quoted."""
    f = export_base(path, agents=('R,US', 'C"HN'), goods=('she\nlls',))
    f['events/event_label'][0] = 'a, "b"'
    f.close()


def export_scenarios(path):
    """A comparison: a scenario axis in front of every record variable."""
    export_base(path, scenarios=('a', 'b,c')).close()


def export_var_shape(path):
    """`stock` has 3 agents where the coordinate has 2."""
    f = export_base(path)
    del f['stock']
    f.create_dataset('stock', data=np.zeros((2, 2, 3, 1)))
    f.close()


def export_var_strings(path):
    """`cohesion` has the right shape but holds strings."""
    f = export_base(path)
    del f['cohesion']
    f.create_dataset('cohesion', data=strings([['a', 'b'], ['c', 'd']]),
                     dtype=STR)
    f.close()


def export_events_short(path):
    """`event_kind` is shorter than `event_run`."""
    f = export_base(path)
    del f['events/event_kind']
    f['events'].create_dataset('event_kind', data=strings(['set']), dtype=STR)
    f.close()


def export_events_missing(path):
    """The event table has `event_run` and nothing else."""
    f = export_base(path)
    for k in ('event_step', 'event_value', 'event_kind', 'event_actor',
              'event_target', 'event_unit', 'event_label'):
        del f['events/' + k]
    f.close()


def export_events_huge_steps(path):
    """Event steps and runs far out of any range (dates cannot be made)."""
    f = export_base(path)
    f['events/event_step'][:] = [-2147483648, 2147483647]
    f['events/event_run'][:] = [-1, 2147483647]
    f.close()


def export_params_mismatch(path):
    """Two parameter names, three values a run."""
    f = export_base(path)
    f.create_dataset('param', data=strings(['a', 'b']), dtype=STR)
    f.create_dataset('param_value', data=np.zeros((2, 3)))
    f.create_dataset('point', data=np.array([0, -1], dtype='i4'))
    f.close()


def export_seed_rank2(path):
    """`seed` is 2-D."""
    f = export_base(path)
    del f['seed']
    f.create_dataset('seed', data=np.zeros((2, 2), dtype='u8'))
    f.close()


def export_time_no_units(path):
    """`time` has no units: records cannot be dated."""
    f = export_base(path)
    del f['time'].attrs['units']
    f.close()


def layout1(path):
    """The layout of earlier versions: the event table at the root, no
    group `events` (refused with a line that says so)."""
    f = export_base(path)
    for k in list(f['events']):
        f.move('events/' + k, k)
    del f['events']
    f.close()


def export_runs_huge(path):
    """2^40 runs declared (chunked, nothing written): refused by the
    harness's row limit, never read."""
    f = export_base(path, runs=1)
    del f['run'], f['cohesion'], f['seed'], f['stock'], f['flow']
    f.create_dataset('run', shape=(1 << 40,), dtype='i4', chunks=(1024,))
    f.create_dataset('cohesion', shape=(1 << 40, 2), dtype='f8',
                     chunks=(1024, 2))
    f.close()


CASES = {name: fn for name, fn in globals().items()
         if callable(fn) and fn.__doc__ and
         name not in ('base', 'strings', 'export_base')}


def main(argv):
    if len(argv) < 2:
        sys.exit('usage: craft_results.py OUTDIR [NAME...]  (names: %s)'
                 % ', '.join(sorted(CASES)))
    out = argv[1]
    os.makedirs(out, exist_ok=True)
    for name in argv[2:] or sorted(CASES):
        CASES[name](os.path.join(out, 'crafted-%s.h5' % name))


if __name__ == '__main__':
    main(sys.argv)
