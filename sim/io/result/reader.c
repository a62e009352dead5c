/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * reader.c - the one reader of result files (see reader.h): `sim info`,
 * `sim export`, `sim merge`, `sim sweep --resume`.
 *
 * Hardening: every object is looked up by name; every dataset's rank and
 * sizes are checked against the coordinates before it is read; strings are
 * allocated through a capped allocator kept on a list (a failed read
 * cannot leak or ask for gigabytes); counts are bounded; metadata caches
 * are kept small.
 */
#include "io/result/internal.h"
#include "io/result/h5read.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/calendar.h"

#define READER_BLOCK 1024    /* runs of seed, point, param_value read at once */
#define READER_EV_BLOCK 4096 /* event rows read at once */
#define READER_SCAN_VALUES ((size_t)1 << 17) /* read at once by a scan */
#define READER_MDC_MIN ((size_t)1 << 20)     /* HDF5 metadata cache, bytes */
#define READER_MDC_MAX ((size_t)4 << 20)
#define MAX_RECORDS ((size_t)1 << 20)

typedef struct {
    char *name, *value;
} reader_attr;

typedef struct {
    int label, slot;
} run_key;

struct output_reader {
    char *path;
    char err[1024];
    hid_t file, events;
    reader_attr *attrs;
    int n_attrs;
    int n_runs, n_rec, n, g, nr, n_params, n_scen, every;
    int *labels;               /* [n_runs] the run coordinate */
    run_key *by_label;         /* [n_runs] slots ordered by label */
    double *time;
    int *step;
    char *tunits;
    char **agents, **goods, **good_units, **routes, **params, **param_units,
        **scens;
    /* record variables in file order: table index and open dataset */
    int n_vars;
    size_t var_of[STATE_VARS_MAX];
    hid_t var_ds[STATE_VARS_MAX];
    int in_file[STATE_VARS_MAX]; /* by table index */
    size_t inner[STATE_VARS_MAX]; /* by table index */
    char *attr_buf;              /* output_reader_var_attr's answer */
    hid_t seed, point, param_value;
    /* a block of runs' seeds, points and parameter values */
    int blk_first, blk_n;
    unsigned long long *blk_seed;
    int *blk_point;
    double *blk_values;
    /* the event table */
    size_t n_ev;
    hid_t ev_ds[EC_COUNT];       /* open columns (event_scenario: scenarios) */
    char **ev_raw;               /* output_reader_events' strings */
    void *ev_pool;
    int *ev_nums;                /* its numbers: run, step */
    double *ev_vals;
    /* ... and, loaded at the first output_reader_run, the whole table with
     * rows ordered by run */
    int ev_loaded;
    int *ev_run, *ev_step, *ev_kind, *ev_actor, *ev_target;
    double *ev_value;
    const char **ev_label;    /* interned: lab[] */
    size_t *ev_order;         /* NULL: the file's order is by run */
    char **lab;               /* distinct labels */
    size_t n_lab, *slot, cap_slot; /* hash table of lab: index + 1, 0 empty */
    model_event *ev_out; /* the events given by output_reader_run() */
    size_t cap_out;
    hid_t vxpl;  /* reads: strings allocated on vpool */
    void *vpool;
};

/* ---- errors --------------------------------------------------------------------- */

/* Format into r->err; returns -1.  The HDF5 error stack is cleared. */
RESULT_FMT(2, 3) static int rd_fail(output_reader *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->err, sizeof r->err, fmt, ap);
    va_end(ap);
    H5Eclear2(H5E_DEFAULT);
    return -1;
}

/* "<what>: <HDF5 reason>" into r->err; returns -1. */
RESULT_FMT(2, 3) static int rd_fail_h5(output_reader *r, const char *fmt, ...)
{
    char what[600], why[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    h5_reason(why, sizeof why);
    snprintf(r->err, sizeof r->err, "%s: %s", what, why);
    return -1;
}

static int rd_nomem(output_reader *r)
{
    return rd_fail(r, "cannot read %s: out of memory", r->path);
}

/* ---- checked reads (h5read.h) ----------------------------------------------------- */

static h5read_ctx rd_ctx(output_reader *r)
{
    return (h5read_ctx){.path = r->path, .err = r->err, .errlen = sizeof r->err,
                        .xfer = r->vxpl, .pool = &r->vpool};
}

/* The global attributes this program writes, by name: iterating over the
 * attributes of a damaged file crashes libhdf5 1.10 (when it releases its
 * attribute table). */
static int rd_attrs(output_reader *r)
{
    size_t n = 0;
    while (result_known_attrs[n])
        n++;
    r->attrs = calloc(n + 1, sizeof *r->attrs);
    if (!r->attrs)
        return rd_nomem(r);
    for (size_t k = 0; k < n; k++) {
        const char *name = result_known_attrs[k];
        htri_t e = H5Aexists(r->file, name);
        if (e < 0)
            return rd_fail_h5(r, "cannot read the attributes of %s", r->path);
        char *val = e > 0 ? h5read_attr_value(r->file, name) : NULL;
        H5Eclear2(H5E_DEFAULT);
        if (!val)
            continue; /* absent or unreadable: as if absent */
        if (!(r->attrs[r->n_attrs].name = strdup(name))) {
            free(val);
            return rd_nomem(r);
        }
        r->attrs[r->n_attrs++].value = val;
    }
    return 0;
}

const char *output_reader_attr(const output_reader *r, const char *name)
{
    for (int k = 0; r && name && k < r->n_attrs; k++)
        if (strcmp(r->attrs[k].name, name) == 0)
            return r->attrs[k].value;
    return NULL;
}

int output_reader_attr_number(const output_reader *r, const char *name,
                              long long *value)
{
    const char *s = output_reader_attr(r, name);
    char *end;
    if (!s || !*s)
        return -1;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (*end || errno)
        return -1;
    *value = v;
    return 0;
}

/* ---- datasets ------------------------------------------------------------------------ */

/* Dataset `name` in loc of rank `rank` and the sizes want (h5read_dataset). */
static hid_t rd_open_in(output_reader *r, hid_t loc, const char *name,
                        int rank, const hsize_t *want, hsize_t *dims)
{
    h5read_ctx c = rd_ctx(r);
    return h5read_dataset(&c, loc, name, rank, want, dims);
}

static hid_t rd_open(output_reader *r, const char *name, int rank,
                     const hsize_t *want, hsize_t *dims)
{
    return rd_open_in(r, r->file, name, rank, want, dims);
}

/* Length of the 1-D dataset `name` in loc (h5read_length). */
static int rd_length_in(output_reader *r, hid_t loc, const char *name, int *ok)
{
    h5read_ctx c = rd_ctx(r);
    return h5read_length(&c, loc, name, ok);
}

/* A slab checked to lie inside the dataset (h5read_slab). */
static int rd_slab(output_reader *r, hid_t ds, const char *name, int rank,
                   const hsize_t *start, const hsize_t *count, hid_t mtype,
                   void *buf)
{
    h5read_ctx c = rd_ctx(r);
    return h5read_slab(&c, ds, name, rank, start, count, mtype, buf);
}

/* The 1-D string dataset `name` of n elements in loc, in one allocation
 * (h5read_strings). */
static char **rd_strings(output_reader *r, hid_t loc, const char *name, size_t n)
{
    h5read_ctx c = rd_ctx(r);
    return h5read_strings(&c, loc, name, n);
}

/* ---- opening ---------------------------------------------------------------------------- */

/* Open the file if it is HDF5 and ours. */
static int rd_file(output_reader *r)
{
    /* reading run after run needs little metadata: keep HDF5's metadata
     * cache small rather than growing with the chunk index */
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    H5AC_cache_config_t mdc;
    mdc.version = H5AC__CURR_CACHE_CONFIG_VERSION;
    if (fapl >= 0 && H5Pget_mdc_config(fapl, &mdc) >= 0) {
        mdc.set_initial_size = 1;
        mdc.initial_size = READER_MDC_MIN;
        mdc.min_size = READER_MDC_MIN;
        mdc.max_size = READER_MDC_MAX;
        if (H5Pset_mdc_config(fapl, &mdc) < 0)
            H5Eclear2(H5E_DEFAULT);
    }
    r->file = h5read_open(r->path, fapl >= 0 ? fapl : H5P_DEFAULT, r->err,
                          sizeof r->err);
    if (fapl >= 0)
        H5Pclose(fapl);
    if (r->file < 0)
        return -1;
    const char *missing = H5Lexists(r->file, "time", H5P_DEFAULT) <= 0
                              ? "'time' dimension"
                          : H5Aexists(r->file, "scenario") <= 0
                              ? "'scenario' attribute"
                          : H5Aexists(r->file, "config") <= 0
                              ? "'config' attribute"
                              : NULL;
    if (missing)
        return rd_fail(r, "%s is not a result file of this program (no %s)",
                       r->path, missing);
    htri_t g = H5Lexists(r->file, EVENTS_GROUP, H5P_DEFAULT);
    if (g <= 0 && H5Lexists(r->file, "event_run", H5P_DEFAULT) > 0)
        return rd_fail(r, "cannot read %s: it was written by an earlier version "
                       "of bloc-sim (an event table at the root, layout 1); "
                       "run it again to have it in the current layout",
                       r->path);
    if (g > 0) {
        H5O_info_t info;
        if (H5Oget_info_by_name(r->file, EVENTS_GROUP, &info, H5P_DEFAULT) < 0 ||
            info.type != H5O_TYPE_GROUP)
            return rd_fail(r, "cannot read %s: its '%s' is not a group",
                           r->path, EVENTS_GROUP);
        r->events = H5Gopen2(r->file, EVENTS_GROUP, H5P_DEFAULT);
        if (r->events < 0)
            return rd_fail_h5(r, "cannot read the group '%s' of %s",
                              EVENTS_GROUP, r->path);
    }
    H5Eclear2(H5E_DEFAULT);
    return 0;
}

static int key_cmp(const void *pa, const void *pb)
{
    const run_key *a = pa, *b = pb;
    if (a->label != b->label)
        return (a->label > b->label) - (a->label < b->label);
    return (a->slot > b->slot) - (a->slot < b->slot);
}

/* The run coordinate: labels in range, and the slots ordered by label. */
static int rd_runs(output_reader *r)
{
    hsize_t runs = (hsize_t)r->n_runs, zero = 0;
    hid_t ds = rd_open(r, "run", 1, &runs, NULL);
    r->labels = malloc(((size_t)r->n_runs + 1) * sizeof *r->labels);
    r->by_label = malloc(((size_t)r->n_runs + 1) * sizeof *r->by_label);
    int rc = ds < 0 ? -1 : !r->labels || !r->by_label ? rd_nomem(r) : 0;
    if (rc == 0)
        rc = rd_slab(r, ds, "run", 1, &zero, &runs, H5T_NATIVE_INT, r->labels);
    if (ds >= 0)
        H5Dclose(ds);
    for (int s = 0; rc == 0 && s < r->n_runs; s++) {
        if (r->labels[s] < 0)
            rc = rd_fail(r, "cannot read %s: run %d has the label %d (labels "
                         "are run indices, 0 or more)", r->path, s, r->labels[s]);
        r->by_label[s] = (run_key){r->labels[s], s};
    }
    if (rc == 0)
        qsort(r->by_label, (size_t)r->n_runs, sizeof *r->by_label, key_cmp);
    return rc;
}

static int rd_times(output_reader *r)
{
    hsize_t n = (hsize_t)r->n_rec, zero = 0;
    if ((size_t)r->n_rec > MAX_RECORDS)
        return rd_fail(r, "cannot read %s: 'time' has %d records, more than a "
                       "result file holds", r->path, r->n_rec);
    hid_t t = rd_open(r, "time", 1, &n, NULL);
    if (t < 0)
        return -1;
    r->tunits = h5read_attr_text(t, "units");
    r->time = malloc((size_t)n * sizeof *r->time);
    r->step = malloc((size_t)n * sizeof *r->step);
    int rc = !r->time || !r->step ? rd_nomem(r)
             : rd_slab(r, t, "time", 1, &zero, &n, H5T_NATIVE_DOUBLE, r->time);
    H5Dclose(t);
    if (rc < 0)
        return -1;
    for (int k = 0; k < r->n_rec; k++)
        r->step[k] = k;
    if (H5Lexists(r->file, "step", H5P_DEFAULT) > 0) {
        hid_t s = rd_open(r, "step", 1, &n, NULL);
        if (s < 0 || rd_slab(r, s, "step", 1, &zero, &n, H5T_NATIVE_INT, r->step) < 0)
            rc = -1;
        if (s >= 0)
            H5Dclose(s);
    }
    return rc;
}

/* The sizes, coordinates and per-run variables. */
static int rd_coords(output_reader *r)
{
    int ok[8];
    r->n_runs = rd_length_in(r, r->file, "run", &ok[0]);
    r->n_rec = rd_length_in(r, r->file, "time", &ok[1]);
    r->n = rd_length_in(r, r->file, "agent", &ok[2]);
    r->g = rd_length_in(r, r->file, "good", &ok[3]);
    r->nr = rd_length_in(r, r->file, "route", &ok[4]);
    r->n_params = rd_length_in(r, r->file, "param", &ok[5]);
    r->n_scen = rd_length_in(r, r->file, "scenario", &ok[6]);
    int partners = rd_length_in(r, r->file, "partner", &ok[7]);
    for (int k = 0; k < 8; k++)
        if (!ok[k])
            return -1;
    const char *empty = r->n_runs < 1 ? "run" : r->n_rec < 1 ? "time"
                      : r->n < 1      ? "agent" : r->g < 1 ? "good" : NULL;
    if (empty)
        return rd_fail(r, "cannot read %s: its '%s' coordinate is missing or "
                       "empty", r->path, empty);
    if (partners != 0 && partners != r->n)
        return rd_fail(r, "cannot read %s: 'partner' and 'agent' differ in "
                       "length", r->path);
    if (rd_runs(r) < 0 || rd_times(r) < 0)
        return -1;
    if (!(r->agents = rd_strings(r, r->file, "agent", (size_t)r->n)) ||
        !(r->goods = rd_strings(r, r->file, "good", (size_t)r->g)) ||
        !(r->good_units = rd_strings(r, r->file, "good_unit", (size_t)r->g)) ||
        (r->nr > 0 && !(r->routes = rd_strings(r, r->file, "route", (size_t)r->nr))) ||
        (r->n_scen > 0 &&
         !(r->scens = rd_strings(r, r->file, "scenario", (size_t)r->n_scen))) ||
        (r->n_params > 0 &&
         !(r->params = rd_strings(r, r->file, "param", (size_t)r->n_params))))
        return -1;
    if (r->n_params > 0 && H5Lexists(r->file, "param_unit", H5P_DEFAULT) > 0 &&
        !(r->param_units = rd_strings(r, r->file, "param_unit", (size_t)r->n_params)))
        return -1;
    hsize_t runs = (hsize_t)r->n_runs, pv[2] = {runs, (hsize_t)r->n_params};
    if ((r->seed = rd_open(r, "seed", 1, &runs, NULL)) < 0)
        return -1;
    if (H5Lexists(r->file, "point", H5P_DEFAULT) > 0 &&
        (r->point = rd_open(r, "point", 1, &runs, NULL)) < 0)
        return -1;
    if (r->n_params > 0 &&
        (r->param_value = rd_open(r, "param_value", 2, pv, NULL)) < 0)
        return -1;
    long long every;
    r->every = output_reader_attr_number(r, "record_every", &every) == 0 &&
                       every > 0 && every < INT32_MAX
                   ? (int)every
                   : 0;
    r->blk_seed = malloc(READER_BLOCK * sizeof *r->blk_seed);
    r->blk_point = malloc(READER_BLOCK * sizeof *r->blk_point);
    r->blk_values = malloc(READER_BLOCK * ((size_t)r->n_params + 1) *
                           sizeof *r->blk_values);
    if (!r->blk_seed || !r->blk_point || !r->blk_values)
        return rd_nomem(r);
    return 0;
}

/* ---- record variables ------------------------------------------------------------------ */

static hsize_t axis_size(const output_reader *r, var_axis a)
{
    switch (a) {
    case AXIS_AGENT:
    case AXIS_PARTNER: return (hsize_t)r->n;
    case AXIS_GOOD: return (hsize_t)r->g;
    case AXIS_ROUTE: return (hsize_t)r->nr;
    default: return 0;
    }
}

/* Axes of table variable v in a file: sizes and names; the rank. */
static int var_axes(const output_reader *r, size_t v, hsize_t *dims,
                    const char **names)
{
    var_axis ax[VAR_MAX_AXES];
    int n = var_shape_axes(state_vars[v].shape, ax), rank = 0;
    dims[rank] = (hsize_t)r->n_runs;
    names[rank++] = "run";
    if (r->n_scen > 0) {
        dims[rank] = (hsize_t)r->n_scen;
        names[rank++] = "scenario";
    }
    dims[rank] = (hsize_t)r->n_rec;
    names[rank++] = "time";
    for (int a = 0; a < n; a++) {
        dims[rank] = axis_size(r, ax[a]);
        names[rank++] = var_axis_name(ax[a]);
    }
    return rank;
}

/* A chunk cache that holds every chunk one run's slab touches, so that
 * reading the runs in order decompresses each chunk once. */
static void chunk_cache(hid_t ds, hid_t dapl, int rank, const hsize_t *dims)
{
    hsize_t chunk[MAX_RANK];
    hid_t dcpl = H5Dget_create_plist(ds);
    if (dcpl < 0)
        return;
    if (H5Pget_layout(dcpl) == H5D_CHUNKED &&
        H5Pget_chunk(dcpl, rank, chunk) == rank) {
        double touched = 1.0, bytes = sizeof(double);
        for (int a = 0; a < rank; a++) {
            bytes *= (double)chunk[a];
            if (a > 0 && chunk[a] > 0)
                touched *= ceil((double)dims[a] / (double)chunk[a]);
        }
        double total = touched * bytes + 4096.0;
        size_t slots = touched * 10.0 > 521.0 ? (size_t)(touched * 10.0) | 1 : 521;
        if (total < 1e9)
            H5Pset_chunk_cache(dapl, slots, (size_t)total, 0.75);
    }
    H5Pclose(dcpl);
}

/* The record variables present, in the order the writer creates them
 * (the table's), opened and checked.  Each is looked up by name: iterating
 * over the links of a damaged file crashes libhdf5 1.10 (a wild free when
 * it releases its link table). */
static int rd_vars(output_reader *r)
{
    for (size_t v = 0; v < N_VARS; v++) {
        htri_t e = H5Lexists(r->file, state_vars[v].name, H5P_DEFAULT);
        if (e < 0)
            return rd_fail_h5(r, "cannot list the variables of %s", r->path);
        if (e > 0) {
            r->var_of[r->n_vars++] = v;
            r->in_file[v] = 1;
        }
    }
    for (int k = 0; k < r->n_vars; k++) {
        size_t v = r->var_of[k];
        const char *name = state_vars[v].name, *names[MAX_RANK];
        hsize_t want[MAX_RANK], dims[MAX_RANK];
        int rank = var_axes(r, v, want, names), lead = r->n_scen > 0 ? 3 : 2;
        r->inner[v] = 1;
        for (int a = lead; a < rank; a++)
            r->inner[v] *= (size_t)want[a];
        hid_t ds = rd_open(r, name, rank, want, dims);
        for (int a = 0; ds >= 0 && a < rank; a++)
            if (want[a] == 0) { /* a route variable without a route axis */
                H5Dclose(ds);
                ds = -1;
                rd_fail(r, "cannot read %s: '%s' does not have the shape this "
                        "program writes", r->path, name);
            }
        if (ds < 0)
            return -1;
        hid_t t = H5Dget_type(ds);
        H5T_class_t cls = t >= 0 ? H5Tget_class(t) : H5T_NO_CLASS;
        if (t >= 0)
            H5Tclose(t);
        if (cls != H5T_FLOAT && cls != H5T_INTEGER) {
            H5Dclose(ds);
            return rd_fail(r, "cannot read %s: '%s' is not a variable of numbers",
                           r->path, name);
        }
        hid_t dapl = H5Dget_access_plist(ds);
        if (dapl >= 0) {
            chunk_cache(ds, dapl, rank, dims);
            H5Dclose(ds);
            ds = H5Dopen2(r->file, name, dapl);
            if (ds < 0) /* the reason first: the next HDF5 call clears it */
                rd_fail_h5(r, "cannot read '%s' in %s", name, r->path);
            H5Pclose(dapl);
        }
        if (ds < 0)
            return -1;
        r->var_ds[k] = ds;
    }
    return 0;
}

int output_reader_n_vars(const output_reader *r) { return r ? r->n_vars : 0; }

hid_t reader_var_dataset(const output_reader *r, size_t v)
{
    for (int k = 0; r && k < r->n_vars; k++)
        if (r->var_of[k] == v)
            return r->var_ds[k];
    return -1;
}

const char *output_reader_var_name(const output_reader *r, int k)
{
    return r && k >= 0 && k < r->n_vars ? state_vars[r->var_of[k]].name : NULL;
}

const state_var *output_reader_var(const output_reader *r, int k)
{
    return r && k >= 0 && k < r->n_vars ? &state_vars[r->var_of[k]] : NULL;
}

int output_reader_var_dims(const output_reader *r, int k, size_t *dims,
                           const char **names)
{
    if (!r || k < 0 || k >= r->n_vars)
        return 0;
    hsize_t d[MAX_RANK];
    const char *nm[MAX_RANK];
    int rank = var_axes(r, r->var_of[k], d, nm);
    for (int a = 0; a < rank; a++) {
        if (dims)
            dims[a] = (size_t)d[a];
        if (names)
            names[a] = nm[a];
    }
    return rank;
}

const char *output_reader_var_attr(output_reader *r, int k, const char *name)
{
    if (!r || k < 0 || k >= r->n_vars)
        return NULL;
    free(r->attr_buf);
    r->attr_buf = h5read_attr_text(r->var_ds[k], name);
    H5Eclear2(H5E_DEFAULT);
    return r->attr_buf;
}

int output_reader_read(output_reader *r, int k, const size_t *start,
                       const size_t *count, double *buf)
{
    if (!r || k < 0 || k >= r->n_vars)
        return -1;
    hsize_t s[MAX_RANK], c[MAX_RANK], d[MAX_RANK];
    const char *nm[MAX_RANK];
    int rank = var_axes(r, r->var_of[k], d, nm);
    for (int a = 0; a < rank; a++) {
        s[a] = (hsize_t)start[a];
        c[a] = (hsize_t)count[a];
    }
    return rd_slab(r, r->var_ds[k], state_vars[r->var_of[k]].name, rank, s, c,
                   H5T_NATIVE_DOUBLE, buf);
}

/* ---- the event table ---------------------------------------------------------------- */

/* Open the event columns (those of strings must be variable-length). */
static int rd_event_cols(output_reader *r)
{
    int ok;
    for (int c = 0; c < EC_COUNT; c++)
        r->ev_ds[c] = -1;
    if (r->events < 0 || H5Lexists(r->events, "event_run", H5P_DEFAULT) <= 0)
        return 0; /* no group, or no table in it: no events */
    int n = rd_length_in(r, r->events, "event_run", &ok);
    if (!ok)
        return -1;
    r->n_ev = (size_t)n;
    hsize_t want = (hsize_t)n;
    for (int c = 0; c < EC_COUNT; c++) {
        const char *name = result_ev_cols[c].name;
        if (c == EC_SCENARIO && r->n_scen == 0)
            continue;
        if (c == EC_UNIT && H5Lexists(r->events, name, H5P_DEFAULT) <= 0)
            continue; /* optional */
        hid_t ds = rd_open_in(r, r->events, name, 1, &want, NULL);
        if (ds < 0)
            return -1;
        r->ev_ds[c] = ds;
        if (result_ev_cols[c].type == COL_STRING && !h5read_is_vstring(ds))
            return rd_fail(r, "cannot read %s: '%s' is not a variable of strings",
                           r->path, name);
    }
    return 0;
}

size_t output_reader_n_events(const output_reader *r) { return r ? r->n_ev : 0; }

int output_reader_events(output_reader *r, size_t first, size_t count,
                         output_event_row *rows)
{
    enum { T_SCEN, T_KIND, T_ACTOR, T_TARGET, T_LABEL, T_UNIT, N_TEXT };
    static const int text_col[N_TEXT] = {EC_SCENARIO, EC_KIND, EC_ACTOR,
                                         EC_TARGET, EC_LABEL, EC_UNIT};
    if (!r || count > READER_EV_BLOCK || first > r->n_ev || count > r->n_ev - first)
        return r ? rd_fail(r, "cannot read events %zu to %zu of %s: not there",
                           first, first + count, r->path)
                 : -1;
    if (count == 0)
        return 0;
    h5read_release(&r->ev_pool);
    if (!r->ev_raw) {
        r->ev_raw = calloc((size_t)N_TEXT * READER_EV_BLOCK, sizeof *r->ev_raw);
        r->ev_nums = malloc((size_t)2 * READER_EV_BLOCK * sizeof *r->ev_nums);
        r->ev_vals = malloc(READER_EV_BLOCK * sizeof *r->ev_vals);
        if (!r->ev_raw || !r->ev_nums || !r->ev_vals)
            return rd_nomem(r);
    }
    hsize_t start = first, n = count;
    hid_t x = h5read_xfer(&r->ev_pool), t = h5_string_type(H5T_VARIABLE);
    hid_t saved = r->vxpl;
    int rc = x < 0 || t < 0 ? rd_nomem(r) : 0;
    r->vxpl = x;
    if (rc == 0 &&
        (rd_slab(r, r->ev_ds[EC_RUN], "event_run", 1, &start, &n, H5T_NATIVE_INT,
                 r->ev_nums) < 0 ||
         rd_slab(r, r->ev_ds[EC_STEP], "event_step", 1, &start, &n, H5T_NATIVE_INT,
                 r->ev_nums + READER_EV_BLOCK) < 0 ||
         rd_slab(r, r->ev_ds[EC_VALUE], "event_value", 1, &start, &n,
                 H5T_NATIVE_DOUBLE, r->ev_vals) < 0))
        rc = -1;
    memset(r->ev_raw, 0, (size_t)N_TEXT * READER_EV_BLOCK * sizeof *r->ev_raw);
    for (int k = 0; rc == 0 && k < N_TEXT; k++) {
        int c = text_col[k];
        if (r->ev_ds[c] >= 0)
            rc = rd_slab(r, r->ev_ds[c], result_ev_cols[c].name, 1, &start, &n, t,
                         r->ev_raw + (size_t)k * READER_EV_BLOCK);
    }
    r->vxpl = saved;
    if (x >= 0)
        H5Pclose(x);
    if (t >= 0)
        H5Tclose(t);
    if (rc < 0) {
        h5read_release(&r->ev_pool);
        return -1;
    }
    for (size_t i = 0; i < count; i++) {
        const char *txt[N_TEXT];
        for (int k = 0; k < N_TEXT; k++) {
            const char *s = r->ev_raw[(size_t)k * READER_EV_BLOCK + i];
            txt[k] = s ? s : "";
        }
        rows[i] = (output_event_row){
            .run = r->ev_nums[i], .step = r->ev_nums[READER_EV_BLOCK + i],
            .value = r->ev_vals[i], .scenario = txt[T_SCEN], .kind = txt[T_KIND],
            .actor = txt[T_ACTOR], .target = txt[T_TARGET], .label = txt[T_LABEL],
            .unit = txt[T_UNIT]};
    }
    return 0;
}

static int rd_agent_index(const output_reader *r, const char *code)
{
    if (!code || !code[0])
        return -1;
    for (int i = 0; i < r->n; i++)
        if (strcmp(r->agents[i], code) == 0)
            return i;
    return -2;
}

typedef struct {
    int run;
    size_t row;
} rd_row;

static int rd_row_cmp(const void *pa, const void *pb)
{
    const rd_row *a = pa, *b = pb;
    if (a->run != b->run)
        return a->run < b->run ? -1 : 1;
    return (a->row > b->row) - (a->row < b->row);
}

/* FNV-1a. */
static size_t hash_text(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return (size_t)(h ^ (h >> 29));
}

/* One copy of each distinct label (labels repeat: parameter paths, route
 * names), found through an open-addressing hash table. */
static const char *rd_intern(output_reader *r, const char *s)
{
    if (2 * (r->n_lab + 1) > r->cap_slot) {
        size_t cap = r->cap_slot ? 2 * r->cap_slot : 256;
        size_t *slot = calloc(cap, sizeof *slot);
        char **lab = realloc(r->lab, cap / 2 * sizeof *lab);
        if (!slot || !lab) {
            free(slot);
            if (lab)
                r->lab = lab;
            return NULL;
        }
        r->lab = lab;
        free(r->slot);
        r->slot = slot;
        r->cap_slot = cap;
        for (size_t i = 0; i < r->n_lab; i++) {
            size_t h = hash_text(r->lab[i]) & (cap - 1);
            while (slot[h])
                h = (h + 1) & (cap - 1);
            slot[h] = i + 1;
        }
    }
    size_t mask = r->cap_slot - 1, h = hash_text(s) & mask;
    for (; r->slot[h]; h = (h + 1) & mask)
        if (strcmp(r->lab[r->slot[h] - 1], s) == 0)
            return r->lab[r->slot[h] - 1];
    char *copy = strdup(s);
    if (!copy)
        return NULL;
    r->lab[r->n_lab++] = copy;
    r->slot[h] = r->n_lab;
    return copy;
}

/* The converted event table dropped (after a failure to load it: a later
 * call starts again). */
static void rd_drop_events(output_reader *r)
{
    free(r->ev_run);
    free(r->ev_step);
    free(r->ev_kind);
    free(r->ev_actor);
    free(r->ev_target);
    free(r->ev_value);
    free(r->ev_label);
    free(r->ev_order);
    r->ev_run = r->ev_step = NULL;
    r->ev_kind = NULL;
    r->ev_actor = r->ev_target = NULL;
    r->ev_value = NULL;
    r->ev_label = NULL;
    r->ev_order = NULL;
    r->ev_loaded = 0;
}

/* The whole event table, checked and converted (kinds known, agents in the
 * agent coordinate, runs 0 or more), and (when the file is not in run
 * order, which the writer keeps) the rows ordered by run. */
static int rd_load_events(output_reader *r)
{
    if (r->ev_loaded)
        return 0;
    size_t ne = r->n_ev;
    r->ev_run = malloc((ne + 1) * sizeof *r->ev_run);
    r->ev_step = malloc((ne + 1) * sizeof *r->ev_step);
    r->ev_kind = malloc((ne + 1) * sizeof *r->ev_kind);
    r->ev_actor = malloc((ne + 1) * sizeof *r->ev_actor);
    r->ev_target = malloc((ne + 1) * sizeof *r->ev_target);
    r->ev_value = malloc((ne + 1) * sizeof *r->ev_value);
    r->ev_label = malloc((ne + 1) * sizeof *r->ev_label);
    output_event_row *rows = calloc(READER_EV_BLOCK, sizeof *rows);
    int rc = 0;
    if (!r->ev_run || !r->ev_step || !r->ev_kind || !r->ev_actor ||
        !r->ev_target || !r->ev_value || !r->ev_label || !rows)
        rc = rd_nomem(r);
    for (size_t first = 0; rc == 0 && rows && first < ne; first += READER_EV_BLOCK) {
        size_t count = ne - first;
        if (count > READER_EV_BLOCK)
            count = READER_EV_BLOCK;
        rc = output_reader_events(r, first, count, rows);
        for (size_t i = 0; rc == 0 && i < count; i++) {
            size_t e = first + i;
            const output_event_row *w = &rows[i];
            int k = w->kind ? 0 : EV_KIND_COUNT;
            while (k < EV_KIND_COUNT && strcmp(event_kind_names[k], w->kind) != 0)
                k++;
            r->ev_run[e] = w->run;
            r->ev_step[e] = w->step;
            r->ev_value[e] = w->value;
            r->ev_kind[e] = k;
            r->ev_actor[e] = rd_agent_index(r, w->actor);
            r->ev_target[e] = rd_agent_index(r, w->target);
            const char *why = k == EV_KIND_COUNT ? "an unknown kind"
                              : r->ev_actor[e] < -1 || r->ev_target[e] < -1
                                  ? "an agent that is not in the agent coordinate"
                              : w->run < 0 ? "a negative run"
                                           : NULL;
            if (why)
                rc = rd_fail(r, "cannot read %s: event row %zu (run %d, %s, actor "
                             "'%s', target '%s') has %s", r->path, e, w->run,
                             w->kind, w->actor, w->target, why);
            else if (!(r->ev_label[e] = rd_intern(r, w->label)))
                rc = rd_nomem(r);
        }
    }
    free(rows);
    h5read_release(&r->ev_pool);
    if (rc < 0) {
        rd_drop_events(r);
        return -1;
    }
    r->ev_loaded = 1;
    /* rows by run, each run's in file order (a stable sort) */
    int sorted = 1;
    for (size_t e = 1; sorted && e < ne; e++)
        sorted = r->ev_run[e - 1] <= r->ev_run[e];
    if (sorted)
        return 0; /* ev_order NULL: the file's order */
    rd_row *order = malloc(ne * sizeof *order);
    r->ev_order = malloc(ne * sizeof *r->ev_order);
    if (!order || !r->ev_order) {
        free(order);
        rd_drop_events(r);
        return rd_nomem(r);
    }
    for (size_t e = 0; e < ne; e++) {
        order[e].run = r->ev_run[e];
        order[e].row = e;
    }
    qsort(order, ne, sizeof *order, rd_row_cmp);
    for (size_t e = 0; e < ne; e++)
        r->ev_order[e] = order[e].row;
    free(order);
    return 0;
}

/* Row of the event table at position k in run order. */
#define RD_ROW(r, k) ((r)->ev_order ? (r)->ev_order[k] : (k))

/* The events of the run labelled `label` as model_events in r->ev_out;
 * their number. */
static int rd_run_events(output_reader *r, int label, size_t *n_out)
{
    size_t lo = 0, hi = r->n_ev;
    while (lo < hi) { /* first row of the run in run order */
        size_t mid = lo + (hi - lo) / 2;
        if (r->ev_run[RD_ROW(r, mid)] < label)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t n = 0;
    while (lo + n < r->n_ev && r->ev_run[RD_ROW(r, lo + n)] == label)
        n++;
    if (n > r->cap_out) {
        model_event *grown = realloc(r->ev_out, n * sizeof *grown);
        if (!grown)
            return rd_nomem(r);
        r->ev_out = grown;
        r->cap_out = n;
    }
    for (size_t k = 0; k < n; k++) {
        size_t e = RD_ROW(r, lo + k);
        model_event *m = &r->ev_out[k];
        m->step = r->ev_step[e];
        m->kind = (event_kind)r->ev_kind[e];
        /* the file's agents are p's, in the same order (rd_check_world) */
        m->actor = r->ev_actor[e];
        m->target = r->ev_target[e];
        m->value = r->ev_value[e];
        m->label = r->ev_label[e];
    }
    *n_out = n;
    return 0;
}

/* ---- open and close ------------------------------------------------------------------ */

output_reader *output_reader_open(const char *path, char *err, size_t errlen)
{
    output_library_init();
    if (!path || !path[0]) {
        snprintf(err, errlen, "no result file given");
        return NULL;
    }
    output_reader *r = calloc(1, sizeof *r);
    if (!r || !(r->path = strdup(path))) {
        snprintf(err, errlen, "cannot read %s: out of memory", path);
        free(r);
        return NULL;
    }
    r->file = r->events = r->seed = r->point = r->param_value = -1;
    for (size_t v = 0; v < STATE_VARS_MAX; v++)
        r->var_ds[v] = -1;
    for (int c = 0; c < EC_COUNT; c++)
        r->ev_ds[c] = -1;
    r->vxpl = h5read_xfer(&r->vpool);
    if (r->vxpl < 0) {
        snprintf(err, errlen, "cannot read %s: out of memory", path);
        output_reader_close(r);
        return NULL;
    }
    if (rd_file(r) < 0 || rd_attrs(r) < 0 || rd_coords(r) < 0 ||
        rd_vars(r) < 0 || rd_event_cols(r) < 0) {
        snprintf(err, errlen, "%s", r->err);
        output_reader_close(r);
        return NULL;
    }
    H5Eclear2(H5E_DEFAULT);
    r->err[0] = '\0';
    return r;
}

void output_reader_close(output_reader *r)
{
    if (!r)
        return;
    for (int k = 0; k < r->n_vars; k++)
        if (r->var_ds[k] >= 0)
            H5Dclose(r->var_ds[k]);
    for (int c = 0; c < EC_COUNT; c++)
        if (r->ev_ds[c] >= 0)
            H5Dclose(r->ev_ds[c]);
    hid_t ids[] = {r->seed, r->point, r->param_value};
    for (size_t k = 0; k < sizeof ids / sizeof ids[0]; k++)
        if (ids[k] >= 0)
            H5Dclose(ids[k]);
    if (r->events >= 0)
        H5Gclose(r->events);
    if (r->file >= 0)
        H5Fclose(r->file);
    if (r->vxpl >= 0)
        H5Pclose(r->vxpl);
    h5read_release(&r->vpool);
    h5read_release(&r->ev_pool);
    H5Eclear2(H5E_DEFAULT);
    for (int k = 0; k < r->n_attrs; k++) {
        free(r->attrs[k].name);
        free(r->attrs[k].value);
    }
    free(r->attrs);
    free(r->labels);
    free(r->by_label);
    free(r->time);
    free(r->step);
    free(r->tunits);
    free(r->agents);
    free(r->goods);
    free(r->good_units);
    free(r->routes);
    free(r->params);
    free(r->param_units);
    free(r->scens);
    free(r->attr_buf);
    free(r->blk_seed);
    free(r->blk_point);
    free(r->blk_values);
    free(r->ev_raw);
    free(r->ev_nums);
    free(r->ev_vals);
    rd_drop_events(r);
    for (size_t k = 0; k < r->n_lab; k++)
        free(r->lab[k]);
    free(r->lab);
    free(r->slot);
    free(r->ev_out);
    free(r->path);
    free(r);
}

/* ---- queries ------------------------------------------------------------------------ */

const char *output_reader_error(const output_reader *r)
{
    return r ? r->err : "no result file";
}

const char *output_reader_path(const output_reader *r) { return r ? r->path : ""; }

int output_reader_n_runs(const output_reader *r) { return r ? r->n_runs : 0; }

int output_reader_run_label(const output_reader *r, int slot)
{
    return r && slot >= 0 && slot < r->n_runs ? r->labels[slot] : -1;
}

int output_reader_run_slot(const output_reader *r, int label)
{
    if (!r)
        return -1;
    int lo = 0, hi = r->n_runs;
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        if (r->by_label[mid].label < label)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < r->n_runs && r->by_label[lo].label == label ? r->by_label[lo].slot
                                                            : -1;
}

int output_reader_n_records(const output_reader *r) { return r ? r->n_rec : 0; }

double output_reader_time(const output_reader *r, int k)
{
    return r && k >= 0 && k < r->n_rec ? r->time[k] : NAN;
}

int output_reader_step(const output_reader *r, int k)
{
    return r && k >= 0 && k < r->n_rec ? r->step[k] : -1;
}

const char *output_reader_time_units(const output_reader *r)
{
    return r && r->tunits ? r->tunits : "";
}

#define NAME_AT(arr, n, k) (r && (arr) && (k) >= 0 && (k) < (n) ? (arr)[k] : NULL)

int output_reader_n_agents(const output_reader *r) { return r ? r->n : 0; }
const char *output_reader_agent(const output_reader *r, int i)
{
    return NAME_AT(r->agents, r->n, i);
}
int output_reader_n_goods(const output_reader *r) { return r ? r->g : 0; }
const char *output_reader_good(const output_reader *r, int k)
{
    return NAME_AT(r->goods, r->g, k);
}
const char *output_reader_good_unit(const output_reader *r, int k)
{
    return NAME_AT(r->good_units, r->g, k);
}
int output_reader_n_routes(const output_reader *r) { return r ? r->nr : 0; }
const char *output_reader_route(const output_reader *r, int k)
{
    return NAME_AT(r->routes, r->nr, k);
}
int output_reader_n_params(const output_reader *r) { return r ? r->n_params : 0; }
const char *output_reader_param_name(const output_reader *r, int k)
{
    return NAME_AT(r->params, r->n_params, k);
}
const char *output_reader_param_unit(const output_reader *r, int k)
{
    return r && k >= 0 && k < r->n_params ? (r->param_units ? r->param_units[k] : "1")
                                          : NULL;
}
int output_reader_n_scenarios(const output_reader *r) { return r ? r->n_scen : 0; }
const char *output_reader_scenario(const output_reader *r, int k)
{
    return NAME_AT(r->scens, r->n_scen, k);
}

int output_reader_runs_per_chunk(const output_reader *r)
{
    if (!r || r->n_vars < 1)
        return 0;
    hid_t dcpl = H5Dget_create_plist(r->var_ds[0]);
    hsize_t c[MAX_RANK];
    int rank = dcpl >= 0 && H5Pget_layout(dcpl) == H5D_CHUNKED
                   ? H5Pget_chunk(dcpl, MAX_RANK, c)
                   : -1;
    if (dcpl >= 0)
        H5Pclose(dcpl);
    H5Eclear2(H5E_DEFAULT);
    return rank >= 2 && c[0] <= (hsize_t)r->n_runs ? (int)c[0] : 0;
}

/* ---- runs ---------------------------------------------------------------------------- */

static int rd_check_run(output_reader *r, int slot)
{
    if (slot < 0 || slot >= r->n_runs)
        return rd_fail(r, "cannot read run %d of %s: out of range (the file "
                       "has runs 0 to %d)", slot, r->path, r->n_runs - 1);
    return 0;
}

/* Make slot's seed, point and parameter values those of the cached block. */
static int rd_block(output_reader *r, int slot)
{
    if (r->blk_n > 0 && slot >= r->blk_first && slot < r->blk_first + r->blk_n)
        return 0;
    int first = slot - slot % READER_BLOCK;
    int n = r->n_runs - first < READER_BLOCK ? r->n_runs - first : READER_BLOCK;
    hsize_t start[2] = {(hsize_t)first, 0},
            count[2] = {(hsize_t)n, (hsize_t)r->n_params};
    r->blk_n = 0;
    if (rd_slab(r, r->seed, "seed", 1, start, count, H5T_NATIVE_ULLONG,
                r->blk_seed) < 0 ||
        (r->point >= 0 && rd_slab(r, r->point, "point", 1, start, count,
                                  H5T_NATIVE_INT, r->blk_point) < 0) ||
        (r->param_value >= 0 &&
         rd_slab(r, r->param_value, "param_value", 2, start, count,
                 H5T_NATIVE_DOUBLE, r->blk_values) < 0))
        return -1;
    r->blk_first = first;
    r->blk_n = n;
    return 0;
}

int output_reader_run_info(output_reader *r, int slot, unsigned long *seed,
                           int *point, double *values)
{
    if (!r)
        return -1;
    if (rd_check_run(r, slot) < 0 || rd_block(r, slot) < 0)
        return -1;
    int i = slot - r->blk_first;
    unsigned long long s = r->blk_seed[i];
    int pt = r->point >= 0 ? r->blk_point[i] : -1;
    if (seed)
        *seed = (unsigned long)s;
    if (point)
        *point = pt;
    if (values && r->n_params > 0)
        memcpy(values, r->blk_values + (size_t)i * (size_t)r->n_params,
               (size_t)r->n_params * sizeof *values);
    return r->point >= 0 ? pt >= 0 : s != 0;
}

/* Does p describe the file's world: the same agents, goods and routes in
 * the same order?  The first difference is named. */
static int rd_check_world(output_reader *r, const model_params *p, int run)
{
    static const char *const what[] = {"agent", "good", "route"};
    if (!p)
        return rd_fail(r, "cannot read run %d of %s: no parameters given", run,
                       r->path);
    for (int w = 0; w < 3; w++) {
        int nf = w == 0 ? r->n : w == 1 ? r->g : r->nr;
        int np = w == 0 ? p->n_agents : w == 1 ? p->n_goods : p->n_routes;
        char **file = w == 0 ? r->agents : w == 1 ? r->goods : r->routes;
        for (int i = 0; i < nf || i < np; i++) {
            const char *in_p = i >= np  ? NULL
                               : w == 0 ? p->agents[i].code
                               : w == 1 ? p->goods[i].name
                                        : p->routes[i].name;
            const char *in_f = i < nf ? file[i] : NULL;
            if (in_p && in_f && strcmp(in_p, in_f) == 0)
                continue;
            if (!in_p)
                return rd_fail(r, "cannot read run %d of %s: its %s '%s' (number "
                               "%d) is not among the %d %ss of the parameters",
                               run, r->path, what[w], in_f, i, np, what[w]);
            if (!in_f)
                return rd_fail(r, "cannot read run %d of %s: the parameters' %s "
                               "'%s' (number %d) is not among the file's %d %ss",
                               run, r->path, what[w], in_p, i, nf, what[w]);
            return rd_fail(r, "cannot read run %d of %s: its %s number %d is "
                           "'%s' but '%s' in the parameters", run, r->path,
                           what[w], i, in_f, in_p);
        }
    }
    return 0;
}

/* Was rec made for an output of this file's shape and variables? */
static int rd_check_rec(output_reader *r, const output_run *rec, int run)
{
    char why[200] = "";
    if (rec->n != r->n || rec->g != r->g || rec->nr != r->nr ||
        rec->n_rec != r->n_rec)
        snprintf(why, sizeof why, "the run buffer has %d agents, %d goods, %d "
                 "routes and %d records, the file %d, %d, %d and %d", rec->n,
                 rec->g, rec->nr, rec->n_rec, r->n, r->g, r->nr, r->n_rec);
    else if (r->every > 0 && rec->every != r->every)
        snprintf(why, sizeof why, "the run buffer records every %d months, "
                 "the file every %d", rec->every, r->every);
    for (size_t v = 0; !why[0] && v < N_VARS; v++) {
        if (!rec->buf[v] && r->in_file[v])
            snprintf(why, sizeof why, "variable '%s' is in the file but not "
                     "in the run buffer", state_vars[v].name);
        else if (rec->buf[v] && !r->in_file[v])
            snprintf(why, sizeof why, "variable '%s' is in the run buffer but "
                     "not in the file", state_vars[v].name);
        else if (rec->buf[v] && rec->inner[v] != r->inner[v])
            snprintf(why, sizeof why, "variable '%s' has another shape in the "
                     "run buffer", state_vars[v].name);
    }
    if (why[0])
        return rd_fail(r, "cannot read run %d of %s: %s", run, r->path, why);
    return 0;
}

static int rd_records(output_reader *r, output_run *rec, int slot)
{
    for (int k = 0; k < r->n_vars; k++) {
        size_t v = r->var_of[k];
        hsize_t start[MAX_RANK] = {0}, count[MAX_RANK];
        const char *nm[MAX_RANK];
        int rank = var_axes(r, v, count, nm);
        start[0] = (hsize_t)slot;
        count[0] = 1;
        if (rd_slab(r, r->var_ds[k], state_vars[v].name, rank, start, count,
                    H5T_NATIVE_DOUBLE, rec->buf[v]) < 0)
            return -1;
    }
    return 0;
}

int output_reader_run(output_reader *r, const model_params *p, int slot,
                      output_run *rec, const model_event **ev, int *n_ev)
{
    if (ev)
        *ev = NULL;
    if (n_ev)
        *n_ev = 0;
    if (!r)
        return -1;
    (void)H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    if (r->n_scen > 0)
        return rd_fail(r, "cannot read %s: it has a scenario axis (a 'sim "
                       "compare' file); runs can be read back only from files "
                       "without one", r->path);
    size_t n = 0;
    if (rd_check_run(r, slot) < 0 || rd_check_world(r, p, slot) < 0 ||
        (rec && (rd_check_rec(r, rec, slot) < 0 || rd_records(r, rec, slot) < 0)) ||
        rd_load_events(r) < 0 || rd_run_events(r, r->labels[slot], &n) < 0)
        return -1;
    if (n > INT32_MAX)
        return rd_fail(r, "cannot read run %d of %s: too many events", slot,
                       r->path);
    if (ev)
        *ev = n ? r->ev_out : NULL;
    if (n_ev)
        *n_ev = (int)n;
    r->err[0] = '\0';
    return 0;
}

int output_reader_scan(output_reader *r, void (*tick)(void *ctx), void *ctx)
{
    if (!r)
        return -1;
    for (int run = 0; run < r->n_runs; run++)
        if (output_reader_run_info(r, run, NULL, NULL, NULL) < 0)
            return -1;
    double *buf = NULL;
    size_t cap = 0;
    int rc = 0;
    for (int k = 0; rc == 0 && k < r->n_vars; k++) {
        size_t v = r->var_of[k];
        hsize_t start[MAX_RANK] = {0}, count[MAX_RANK];
        const char *nm[MAX_RANK];
        int rank = var_axes(r, v, count, nm);
        size_t per_run = 1;
        for (int a = 1; a < rank; a++)
            per_run *= (size_t)count[a];
        int runs = per_run ? (int)(READER_SCAN_VALUES / per_run) : 1;
        runs = runs < 1 ? 1 : runs;
        if ((size_t)runs * per_run > cap) {
            free(buf);
            cap = (size_t)runs * per_run;
            if (!(buf = malloc(cap * sizeof *buf))) {
                rc = rd_nomem(r);
                break;
            }
        }
        for (int first = 0; rc == 0 && first < r->n_runs; first += runs) {
            start[0] = (hsize_t)first;
            count[0] = (hsize_t)(r->n_runs - first < runs ? r->n_runs - first : runs);
            rc = rd_slab(r, r->var_ds[k], state_vars[v].name, rank, start, count,
                         H5T_NATIVE_DOUBLE, buf);
            if (tick)
                tick(ctx);
        }
    }
    free(buf);
    if (rc == 0 && r->n_scen == 0)
        rc = rd_load_events(r);
    if (tick)
        tick(ctx);
    return rc;
}

/* ---- dates ---------------------------------------------------------------------------- */

/* Day number (days since 1970-01-01) of time t in units "days since
 * Y-M-D"; -1 when the units are not of that form, or t or the date lie
 * so far out that the arithmetic could overflow. */
static int day_of(const char *units, double t, long *day)
{
    int y, m, d;
    if (!units || sscanf(units, "days since %d-%d-%d", &y, &m, &d) != 3 ||
        !(fabs(t) < 1e8) || y < -100000 || y > 100000 || m < 1 || m > 12 ||
        d < 1 || d > 31)
        return -1;
    *day = calendar_days_from_civil(y, m, d) + (long)floor(t);
    return 0;
}

int result_date(const char *units, double t, char *buf, size_t len)
{
    long day, y, m;
    if (day_of(units, t, &day) < 0)
        return -1;
    calendar_civil_from_days(day, &y, &m);
    snprintf(buf, len, "%04ld-%02ld-%02ld", y, m,
             day - calendar_days_from_civil(y, m, 1) + 1);
    return 0;
}

int result_month_date(const char *units, long months, char *buf, size_t len)
{
    long day, y, m;
    if (labs(months) > 100000000L || day_of(units, 0.0, &day) < 0)
        return -1;
    calendar_civil_from_days(day, &y, &m);
    long k = y * 12 + (m - 1) + months; /* months since year 0 */
    long yy = k >= 0 ? k / 12 : -((11 - k) / 12);
    snprintf(buf, len, "%04ld-%02ld-01", yy, k - yy * 12 + 1);
    return 0;
}
