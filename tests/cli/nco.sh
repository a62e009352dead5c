#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# nco.sh - the result files as netCDF users read them (OUTPUT.md, "[v2] What
# every reader must get right"), on a run file, an ensemble, two shards of a
# sweep and their merge, and a comparison:
#   - NCO: `ncra` averages over run (the only record dimension) to the mean
#     numpy takes; `ncrcat` of two shards holds sim merge's values run by
#     run; `ncks -d run,A,B` keeps those runs of every run-indexed variable
#     and, by their run labels, exactly their events; `ncwa -a run` as ncra
#   - the layout: UDUNITS-2 units (udunits2) except those with USD,
#     realization, cell_methods, time_bnds, flags, good_unit, param_unit,
#     numeric sweep attributes, history appended by merge
#   - the readers: ncdump (whole files), h5dump, h5py, netCDF4 and xarray,
#     the group events included
# These are the commands of README "Working with results" (the R example is
# run by r_hdf5r.sh).
#   SIM     the program under test; PYTHON /usr/bin/python3
# shellcheck source-path=SCRIPTDIR source=common.inc
. "$(dirname "$0")/common.inc"
CF=$ROOT/tests/cli/check_cf.py

for tool in ncra ncrcat ncks ncwa ncdump h5dump udunits2; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        not_ok "$tool is not installed (Debian: nco, netcdf-bin, hdf5-tools, udunits-bin)"
        finish
    fi
done

# cf WHAT ARGS... : check_cf.py's checks, its lines passed on
cf() {
    what=$1
    shift
    "$PYTHON" "$CF" "$@" >"$T/log/cf" 2>&1
    crc=$?
    cat "$T/log/cf"
    if [ "$crc" -ne 0 ]; then
        grep -q '^not ok' "$T/log/cf" || not_ok "$what: check_cf.py failed (exit $crc)"
        failures=$((failures + $(grep -c '^not ok' "$T/log/cf")))
    fi
}
# nco WHAT CMD... : an NCO command in $W, exit 0 expected
nco() {
    what=$1
    shift
    (cd "$W" && timeout -k 5 120 "$@") >"$T/log/nco" 2>&1
    nrc=$?
    if [ "$nrc" -eq 0 ]; then ok "$what: $*"; else
        not_ok "$what: $* (exit $nrc)"
        show "$T/log/nco"
    fi
}

# ---- the files ----------------------------------------------------------------
sim run -q --months 6 -o run.h5
expect_rc "a run" 0
sim run -q --months 6 --replicates 6 --jobs 2 -o ens.h5
expect_rc "an ensemble of 6" 0
cat >"$W/sw.cfg" <<CFG
sweep = { scenario = "$ROOT/scenarios/baseline.cfg"; design = "lhs"; points = 5;
          seed = 2; replicates = 2; events = true; };
axes = ( { path = "agents.CHN.secondary"; min = 0.0; max = 0.8; },
         { path = "goods.oil.price"; min = 50.0; max = 120.0; } );
CFG
sim sweep sw.cfg --shard 0/2 -q -o s0.h5
expect_rc "sweep shard 0/2" 0
sim sweep sw.cfg --shard 1/2 -q -o s1.h5
expect_rc "sweep shard 1/2" 0
sim merge -o merged.h5 s0.h5 s1.h5
expect_rc "sim merge of the two shards" 0
sim compare "$ROOT/scenarios/baseline.cfg" "$ROOT/scenarios/dedollarisation.cfg" \
    --replicates 3 --months 6 -q -o cmp.h5
expect_rc "a comparison" 0

# ---- the layout ------------------------------------------------------------------
cf "run.h5" layout "$W/run.h5"
cf "ens.h5" layout "$W/ens.h5"
cf "s0.h5" layout "$W/s0.h5" --sweep
cf "merged.h5" layout "$W/merged.h5" --sweep --merged 3
cf "cmp.h5" layout "$W/cmp.h5"

# ---- NCO -------------------------------------------------------------------------
for f in run ens merged; do
    nco "$f.h5" ncra -O "$f.h5" "$f-mean.nc"
    cf "ncra" ncra "$W/$f.h5" "$W/$f-mean.nc"
done
# ncwa over run gives ncra's means
nco "ens.h5" ncwa -O -a run ens.h5 ens-ncwa.nc
if "$PYTHON" - "$W/ens-mean.nc" "$W/ens-ncwa.nc" <<'PY'
import sys, h5py, numpy as np
a, b = h5py.File(sys.argv[1]), h5py.File(sys.argv[2])
for v in ("stock", "flow", "cohesion", "price"):
    assert np.allclose(a[v][0], b[v][()], rtol=1e-12), v
PY
then ok "ncwa -a run: the same means as ncra"; else not_ok "ncwa -a run: the means differ from ncra's"; fi

nco "shards" ncrcat -O s0.h5 s1.h5 cat.nc
cf "ncrcat" ncrcat "$W/cat.nc" "$W/merged.h5"

nco "ens.h5" ncks -O -d run,2,4 ens.h5 cut.nc
cf "ncks" ncks "$W/cut.nc" "$W/ens.h5" 2 4
nco "merged.h5" ncks -O -d run,3,7 merged.h5 cut2.nc
cf "ncks" ncks "$W/cut2.nc" "$W/merged.h5" 3 7
# the event log alone, and the ensemble's trajectories without it
nco "ens.h5" ncks -O -G : -g events ens.h5 events.nc
nco "ens.h5" ncra -O -x -g events ens.h5 mean-only.nc
if ncdump -h "$W/mean-only.nc" | grep -q "group: events"; then
    not_ok "ncra -x -g events: the event log is left out"
else ok "ncra -x -g events: the ensemble mean without the event log"; fi

# ---- the readers: every kind of file, whole --------------------------------------
for f in run ens s0 merged cmp; do
    if (cd "$W" && ncdump "$f.h5") >"$T/log/dump" 2>&1 && grep -q "group: events" "$T/log/dump" &&
        ! grep -q phony_dim "$T/log/dump"; then
        ok "$f.h5: ncdump reads it whole, the group events too"
    else
        not_ok "$f.h5: ncdump"
        show "$T/log/dump"
    fi
    if (cd "$W" && h5dump "$f.h5") >"$T/log/dump" 2>&1 && grep -q 'GROUP "events"' "$T/log/dump"; then
        ok "$f.h5: h5dump reads it whole"
    else
        not_ok "$f.h5: h5dump"
        show "$T/log/dump"
    fi
    if "$PYTHON" - "$W/$f.h5" >"$T/log/py" 2>&1 <<'PY'
import sys, h5py, netCDF4, numpy as np, xarray as xr
path = sys.argv[1]
with h5py.File(path) as f:
    f.visititems(lambda n, o: o[()] if isinstance(o, h5py.Dataset) else None)
with netCDF4.Dataset(path) as nc:
    for v in nc.variables.values():
        v[:]
    for v in nc.groups["events"].variables.values():
        v[:]
with xr.open_dataset(path) as ds, xr.open_dataset(path, group="events") as ev:
    ds.load()
    ev.load()
    assert ev.event_run.size == 0 or set(ev.event_run.values) <= set(ds.run.values), \
        "event runs not among the run labels"
    df = ev.to_dataframe()
    cols = [c for c in df.columns if c != "event_scenario"]
    assert cols[:2] == ["event_run", "event_step"], list(df.columns)
PY
    then ok "$f.h5: h5py, netCDF4 and xarray (with group=\"events\") read every variable"
    else
        not_ok "$f.h5: h5py, netCDF4 or xarray"
        show "$T/log/py"
    fi
done

finish
