/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * h5.c - the layout's names and small HDF5 helpers shared by the writer
 * and the reader (see internal.h).
 */
#include "io/result/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const result_dim_names[DIM_COUNT] = {
    "run", "scenario", "time", "agent", "partner", "good", "route", "param",
    "nv", "event"};

int result_axis_dim(var_axis a)
{
    switch (a) {
    case AXIS_AGENT: return DIM_AGENT;
    case AXIS_PARTNER: return DIM_PARTNER;
    case AXIS_GOOD: return DIM_GOOD;
    case AXIS_ROUTE: return DIM_ROUTE;
    default: return DIM_AGENT;
    }
}

const result_ev_col result_ev_cols[EC_COUNT] = {
    /* only with a scenario dimension */
    {"event_scenario", COL_STRING, NULL, "scenario in which the event happened"},
    {"event_run", COL_INT, "1",
     "run in which the event happened (its label on the run coordinate)"},
    {"event_step", COL_INT, "1", "step (month from the start) it applied at"},
    {"event_kind", COL_STRING, NULL, "kind of event"},
    {"event_actor", COL_STRING, NULL, "acting agent code (empty: none)"},
    {"event_target", COL_STRING, NULL, "target agent code (empty: none)"},
    {"event_value", COL_DOUBLE, "1",
     "value set, added or transferred, or size of the flare-up, in the unit "
     "of event_unit"},
    {"event_unit", COL_STRING, NULL,
     "unit of event_value (UDUNITS-2, or USD)"},
    {"event_label", COL_STRING, NULL, "parameter path or route name"},
};

const char *const result_known_attrs[] = {
    "Conventions", "title", "source", "history", "config", "master_seed",
    "scenario", "focus_agent", "start", "months", "record_every",
    "hdf5_version", "gsl_version", "libconfig_version", "sweep_hash",
    "event_log", "sweep_design", "sweep_points", "sweep_replicates",
    "sweep_runs", "shard_index", "shard_count", "posterior",
    "posterior_fit_hash", "posterior_status", NULL};

typedef struct {
    char *buf;
    size_t len;
    int have_sys;
} reason_walk;

static herr_t reason_cb(unsigned n, const H5E_error2_t *e, void *data)
{
    reason_walk *w = data;
    const char *key = "error message = '";
    const char *m = e->desc ? strstr(e->desc, key) : NULL;
    if (m && !w->have_sys) {
        m += strlen(key);
        snprintf(w->buf, w->len, "%.*s", (int)strcspn(m, "'"), m);
        w->have_sys = 1;
    } else if (n == 0 && e->desc && e->desc[0]) {
        snprintf(w->buf, w->len, "%s", e->desc);
    } else if (n == 0) {
        H5Eget_msg(e->min_num, NULL, w->buf, w->len);
    }
    return 0;
}

void h5_reason(char *buf, size_t len)
{
    reason_walk w = {buf, len, 0};
    snprintf(buf, len, "HDF5 error");
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, reason_cb, &w);
    H5Eclear2(H5E_DEFAULT);
}

hid_t h5_string_type(size_t size)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    if (t < 0)
        return -1;
    if (H5Tset_size(t, size) < 0 || H5Tset_cset(t, H5T_CSET_UTF8) < 0 ||
        (size != H5T_VARIABLE && H5Tset_strpad(t, H5T_STR_NULLTERM) < 0)) {
        H5Tclose(t);
        return -1;
    }
    return t;
}

/* netCDF-4 (libsrc4) names the scale of a dimension without a coordinate
 * variable so, the length right-aligned in ten characters. */
#define DIM_ONLY "This is a netCDF dimension but not a netCDF variable."

void h5_dim_only_name(size_t len, char *buf, size_t buflen)
{
    snprintf(buf, buflen, "%s%10zu", DIM_ONLY, len);
}

int h5_is_dim_only_name(const char *name)
{
    return name && strncmp(name, DIM_ONLY, strlen(DIM_ONLY)) == 0;
}
