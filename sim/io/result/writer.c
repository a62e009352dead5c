/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * writer.c - the result file: one HDF5 file that is also netCDF-4/CF.
 *
 * Layout (README "Result files"):
 *   root      coordinates run(run) [scenario(scenario)] time(time)
 *             agent(agent) partner(partner) good(good) [route(route)]
 *             [param(param)], each an HDF5 dimension scale, run the only
 *             unlimited dimension; the dimension nv (2) of time_bnds;
 *             step(time), time_bnds(time, nv), good_unit(good), seed(run),
 *             [scenario_config(scenario)], [route_a, route_b(route)],
 *             [param_unit(param), param_value(run, param), point(run)]
 *   records   one dataset per variable of the table (model/vars.h),
 *             (run, [scenario,] time, ...) doubles, chunked by whole runs
 *             (one scenario per chunk), deflated, _FillValue NaN
 *   events    the group `events`: event_run, event_step, ... on its own
 *             unlimited dimension event, ordered by (scenario, run)
 * The records of runs go through blocks of runs (chunk.c) compressed by
 * the program and written as whole chunks.  The file is written under a
 * temporary name (io/publish.h) and published by output_close().
 */
#include "io/result/internal.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gsl/gsl_version.h>
#include <hdf5_hl.h>
#include <libconfig.h>

#include "version.h"

#define DEFLATE_LEVEL 1
#define EVENT_FLUSH 4096 /* kept events that trigger a flush */
#define HDF5_HEADROOM (16 << 20) /* bytes free before HDF5 is started */
#define HDF5_WRITE_ROOM (2 << 20) /* bytes free before a run is written */
#define CHUNK_CACHE ((size_t)2 * 1024 * 1024) /* per dataset, > CHUNK_MAX */
/* Hash slots of a dataset's chunk cache: it holds two chunks at most
 * (blocks are written whole with H5Dwrite_chunk, past the cache), and
 * each slot array is allocated with the dataset */
#define CHUNK_SLOTS 11

/* ---- the variable table ----------------------------------------------------- */

static const char *var_names[STATE_VARS_MAX + 1];
static pthread_once_t var_names_once = PTHREAD_ONCE_INIT;

static void fill_var_names(void)
{
    for (size_t v = 0; v < N_VARS; v++)
        var_names[v] = state_vars[v].name;
}

int output_var_known(const char *name) { return state_var_find(name) != NULL; }

const char *const *output_var_names(void)
{
    pthread_once(&var_names_once, fill_var_names);
    return var_names;
}

int output_n_records(const model_params *p)
{
    return p->g.every > 0 ? p->g.months / p->g.every : 0;
}

/* ---- errors --------------------------------------------------------------------- */

int writer_fail(output *o, const char *fmt, ...)
{
    char what[512], why[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    h5_reason(why, sizeof why);
    snprintf(o->err, sizeof o->err, "%s in %s: %s", what, o->path, why);
    return -1;
}

int writer_fail_sys(output *o, int errnum, const char *fmt, ...)
{
    char what[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    /* the program's own words for memory, as everywhere else */
    snprintf(o->err, sizeof o->err, "%s: %s", what,
             errnum == ENOMEM ? "out of memory" : strerror(errnum));
    return -1;
}

#define fail writer_fail
#define fail_sys writer_fail_sys

/* ---- attributes ------------------------------------------------------------------ */

static int attr_write(output *o, hid_t loc, const char *obj, const char *name,
                      hid_t ftype, hid_t space, hid_t mtype, const void *val)
{
    if (ftype < 0 || space < 0)
        return fail(o, "cannot create attribute '%s' of '%s'", name, obj);
    hid_t a = H5Acreate2(loc, name, ftype, space, H5P_DEFAULT, H5P_DEFAULT);
    if (a < 0)
        return fail(o, "cannot create attribute '%s' of '%s'", name, obj);
    int rc = 0;
    if (H5Awrite(a, mtype, val) < 0)
        rc = fail(o, "cannot write attribute '%s' of '%s'", name, obj);
    if (H5Aclose(a) < 0 && rc == 0)
        rc = fail(o, "cannot write attribute '%s' of '%s'", name, obj);
    return rc;
}

/* Text attribute (netCDF char); an empty one has a null dataspace. */
static int attr_text(output *o, hid_t loc, const char *obj, const char *name,
                     const char *val)
{
    size_t len = strlen(val);
    hid_t t = h5_string_type(len ? len : 1);
    hid_t s = H5Screate(len ? H5S_SCALAR : H5S_NULL);
    int rc = attr_write(o, loc, obj, name, t, s, t, val);
    if (t >= 0)
        H5Tclose(t);
    if (s >= 0)
        H5Sclose(s);
    return rc;
}

static int attr_scalar(output *o, hid_t loc, const char *obj, const char *name,
                       hid_t ftype, hid_t mtype, const void *val)
{
    hid_t s = H5Screate(H5S_SCALAR);
    int rc = attr_write(o, loc, obj, name, ftype, s, mtype, val);
    if (s >= 0)
        H5Sclose(s);
    return rc;
}

/* n doubles (flag_values of a double variable). */
static int attr_doubles(output *o, hid_t loc, const char *obj, const char *name,
                        const double *val, int n)
{
    hsize_t dim = (hsize_t)n;
    hid_t s = H5Screate_simple(1, &dim, NULL);
    int rc = attr_write(o, loc, obj, name, H5T_IEEE_F64LE, s, H5T_NATIVE_DOUBLE,
                        val);
    if (s >= 0)
        H5Sclose(s);
    return rc;
}

/* ---- datasets --------------------------------------------------------------------- */

static double bytes_of(int rank, const hsize_t *c)
{
    double b = sizeof(double);
    for (int a = 0; a < rank; a++)
        b *= (double)c[a];
    return b;
}

/* Is dim[] the axes of a record variable: (run, [scenario,] time, ...)? */
static int is_record(int rank, const int *dim)
{
    return (rank >= 2 && dim[0] == DIM_RUN && dim[1] == DIM_TIME) ||
           (rank >= 3 && dim[0] == DIM_RUN && dim[1] == DIM_SCENARIO &&
            dim[2] == DIM_TIME);
}

/* Chunk of a record variable: `block` runs, one scenario, whole series;
 * with block 0 (one run of some variable is over CHUNK_MAX), one run's
 * series split along time (then agent...) to stay within CHUNK_MAX. */
static void record_chunk(int rank, const int *dim, const hsize_t *dims,
                         int block, hsize_t *chunk)
{
    for (int a = 0; a < rank; a++)
        chunk[a] = dim[a] == DIM_SCENARIO ? 1 : dims[a];
    if (block > 0) {
        chunk[0] = (hsize_t)block;
        return;
    }
    chunk[0] = 1;
    for (int a = 1; a < rank && bytes_of(rank, chunk) > CHUNK_MAX; a++) {
        if (dim[a] == DIM_SCENARIO)
            continue;
        double rest = bytes_of(rank, chunk) / (double)chunk[a];
        double c = floor(CHUNK_MAX / rest);
        chunk[a] = c < 1.0 ? 1 : (hsize_t)c;
    }
}

static hsize_t dim_size(const output *o, int d)
{
    switch (d) {
    case DIM_RUN: return (hsize_t)o->n_runs;
    case DIM_TIME: return (hsize_t)o->n_rec;
    case DIM_AGENT:
    case DIM_PARTNER: return (hsize_t)o->n;
    case DIM_GOOD: return (hsize_t)o->g;
    case DIM_ROUTE: return (hsize_t)o->nr;
    case DIM_SCENARIO: return (hsize_t)o->n_scen;
    case DIM_PARAM: return (hsize_t)o->n_params;
    case DIM_NV: return 2;
    default: return 0; /* DIM_EVENT grows */
    }
}

static int unlimited(int d) { return d == DIM_RUN || d == DIM_EVENT; }

/* Storage: creation order tracked; chunked when a dimension is unlimited.
 * Record variables are deflated (their chunks are compressed by the
 * program, chunk.c), without shuffle: their doubles repeat whole (zeros,
 * flat series), which deflate finds better in place.  The small datasets
 * are not compressed: setting up zlib would cost more than it saves. */
static int set_storage(hid_t dcpl, int rank, const int *dim,
                       const hsize_t *dims, int block, hsize_t ev_chunk)
{
    static const double nan_fill = NAN;
    hsize_t chunk[MAX_RANK];
    int chunked = 0;
    if (H5Pset_attr_creation_order(dcpl, H5P_CRT_ORDER_TRACKED |
                                             H5P_CRT_ORDER_INDEXED) < 0)
        return -1;
    for (int a = 0; a < rank; a++)
        chunked |= unlimited(dim[a]);
    if (!chunked)
        return 0;
    if (is_record(rank, dim)) {
        record_chunk(rank, dim, dims, block, chunk);
        if (H5Pset_fill_value(dcpl, H5T_NATIVE_DOUBLE, &nan_fill) < 0)
            return -1;
    } else {
        for (int a = 0; a < rank; a++)
            chunk[a] = dim[a] == DIM_EVENT ? ev_chunk
                       : dim[a] == DIM_RUN
                           ? (dims[a] > RUN_CHUNK ? RUN_CHUNK
                              : dims[a] > 0   ? dims[a]
                                              : 1)
                           : (dims[a] > 0 ? dims[a] : 1);
    }
    if (H5Pset_chunk(dcpl, rank, chunk) < 0)
        return -1;
    if (is_record(rank, dim) && H5Pset_deflate(dcpl, DEFLATE_LEVEL) < 0)
        return -1;
    return 0;
}

/* Room for two chunks of the dataset: runs are written chunk by chunk, so
 * a larger cache would only grow memory with the number of runs. */
static size_t chunk_cache_bytes(hid_t dcpl, hid_t ftype)
{
    hsize_t c[MAX_RANK];
    int rank = H5Pget_layout(dcpl) == H5D_CHUNKED ? H5Pget_chunk(dcpl, MAX_RANK, c) : -1;
    if (rank <= 0)
        return CHUNK_CACHE;
    size_t bytes = H5Tget_size(ftype);
    for (int a = 0; a < rank; a++)
        bytes *= (size_t)c[a];
    return 2 * bytes + 1;
}

/* Rows in a chunk of the event columns: about 32 events a run (a run of
 * the baseline logs 13 to 27), from 64 to EVENT_CHUNK rows, so that a
 * single run's file does not hold kilobytes of empty rows. */
static hsize_t event_chunk(const output *o)
{
    double rows = 32.0 * o->n_runs * o->n_scen;
    return rows < 64 ? 64 : rows > EVENT_CHUNK ? EVENT_CHUNK : (hsize_t)rows;
}

/* Create a dataset in loc; fill (of ftype's native counterpart mtype) may
 * be NULL. */
static hid_t create_dataset(output *o, hid_t loc, const char *name,
                            hid_t ftype, int rank, const int *dim,
                            hid_t fill_type, const void *fill)
{
    hsize_t dims[MAX_RANK], maxdims[MAX_RANK];
    for (int a = 0; a < rank; a++) {
        dims[a] = dim_size(o, dim[a]);
        maxdims[a] = unlimited(dim[a]) ? H5S_UNLIMITED : dims[a];
    }
    hid_t space = H5Screate_simple(rank, dims, maxdims);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    hid_t dapl = H5Pcreate(H5P_DATASET_ACCESS);
    hid_t ds = -1;
    if (space >= 0 && dcpl >= 0 && dapl >= 0 &&
        set_storage(dcpl, rank, dim, dims, o->block, event_chunk(o)) == 0 &&
        (!fill || H5Pset_fill_value(dcpl, fill_type, fill) >= 0) &&
        H5Pset_chunk_cache(dapl, CHUNK_SLOTS, chunk_cache_bytes(dcpl, ftype), 1.0) >= 0)
        ds = H5Dcreate2(loc, name, ftype, space, H5P_DEFAULT, dcpl, dapl);
    if (ds < 0)
        fail(o, "cannot create dataset '%s'", name);
    if (space >= 0)
        H5Sclose(space);
    if (dcpl >= 0)
        H5Pclose(dcpl);
    if (dapl >= 0)
        H5Pclose(dapl);
    return ds;
}

static int attach_scales(output *o, hid_t ds, const char *name, int rank,
                         const int *dim)
{
    for (int a = 0; a < rank; a++)
        if (H5DSattach_scale(ds, o->coord[dim[a]], (unsigned)a) < 0)
            return fail(o, "cannot attach dimension '%s' to '%s'",
                        result_dim_names[dim[a]], name);
    return 0;
}

/* Create a variable in loc with its scales attached, units (when not
 * NULL), long_name and, for record variables, a NaN _FillValue. */
static hid_t create_var_in(output *o, hid_t loc, const char *name, hid_t ftype,
                           int rank, const int *dim, const char *units,
                           const char *long_name, hid_t fill_type,
                           const void *fill)
{
    static const double nan_fill = NAN;
    int record = is_record(rank, dim);
    hid_t ds = create_dataset(o, loc, name, ftype, rank, dim,
                              record ? H5T_NATIVE_DOUBLE : fill_type,
                              record ? &nan_fill : fill);
    if (ds < 0)
        return -1;
    int bad = attach_scales(o, ds, name, rank, dim) < 0 ||
              (units && attr_text(o, ds, name, "units", units) < 0) ||
              attr_text(o, ds, name, "long_name", long_name) < 0 ||
              (record && attr_scalar(o, ds, name, "_FillValue", H5T_IEEE_F64LE,
                                     H5T_NATIVE_DOUBLE, &nan_fill) < 0) ||
              (!record && fill &&
               attr_scalar(o, ds, name, "_FillValue", ftype, fill_type, fill) < 0);
    if (bad) {
        H5Dclose(ds);
        return -1;
    }
    return ds;
}

static hid_t create_var(output *o, const char *name, hid_t ftype, int rank,
                        const int *dim, const char *units,
                        const char *long_name)
{
    return create_var_in(o, o->file, name, ftype, rank, dim, units, long_name,
                         -1, NULL);
}

static int write_whole(output *o, hid_t ds, const char *name, hid_t mtype,
                       const void *buf)
{
    if (H5Dwrite(ds, mtype, H5S_ALL, H5S_ALL, o->dxpl, buf) < 0)
        return fail(o, "cannot write '%s'", name);
    return 0;
}

int writer_write_slab(output *o, hid_t ds, const char *name, int rank,
                      const hsize_t *start, const hsize_t *count, hid_t mtype,
                      const void *buf)
{
    hid_t fs = H5Dget_space(ds);
    hid_t ms = H5Screate_simple(rank, count, NULL);
    int rc = 0;
    if (fs < 0 || ms < 0 ||
        H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL) < 0 ||
        H5Dwrite(ds, mtype, ms, fs, o->dxpl, buf) < 0)
        rc = fail(o, "cannot write %s of '%s'", o->what, name);
    if (fs >= 0)
        H5Sclose(fs);
    if (ms >= 0)
        H5Sclose(ms);
    return rc;
}

/* ---- the file --------------------------------------------------------------------- */

/* HDF5's metadata cache may grow to 32 MiB with the number of chunks a
 * large sweep writes; a few MiB hold the working set, so memory stays flat
 * in the number of runs. */
static herr_t cap_metadata_cache(hid_t fapl)
{
    H5AC_cache_config_t c;
    c.version = H5AC__CURR_CACHE_CONFIG_VERSION;
    if (H5Pget_mdc_config(fapl, &c) < 0)
        return -1;
    c.set_initial_size = 1;
    c.initial_size = 1 << 20;
    c.max_size = 4 << 20;
    c.min_size = 1 << 20;
    return H5Pset_mdc_config(fapl, &c);
}

/* The temporary (io/publish.h), then the HDF5 file in it. */
static int create_file(output *o)
{
    int status;
    o->pub = publish_begin(o->path, o->inputs, &status, o->err, sizeof o->err);
    if (!o->pub)
        return -1;
    publish_close_fd(o->pub); /* HDF5 opens it by name */
    hid_t fcpl = H5Pcreate(H5P_FILE_CREATE);
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    unsigned order = H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED;
    if (fcpl >= 0 && fapl >= 0 &&
        H5Pset_link_creation_order(fcpl, order) >= 0 &&
        H5Pset_attr_creation_order(fcpl, order) >= 0 &&
        /* chunk B-tree nodes of 2k = 16 entries, not 64: a run's file
         * holds few chunks, and each node is allocated whole */
        H5Pset_istore_k(fcpl, 8) >= 0 &&
        H5Pset_libver_bounds(fapl, H5F_LIBVER_V18, H5F_LIBVER_V18) >= 0 &&
        cap_metadata_cache(fapl) >= 0)
        o->file = H5Fcreate(publish_temp(o->pub), H5F_ACC_TRUNC, fcpl, fapl);
    if (o->file < 0)
        fail(o, "cannot create HDF5 file");
    if (fcpl >= 0)
        H5Pclose(fcpl);
    if (fapl >= 0)
        H5Pclose(fapl);
    return o->file < 0 ? -1 : 0;
}

static void default_history(char *buf, size_t len)
{
    time_t now = time(NULL);
    struct tm tmv;
    char stamp[32] = "";
    if (gmtime_r(&now, &tmv))
        strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tmv);
    snprintf(buf, len, "%s: written by %s", stamp, RESULT_PROGRAM);
}

static int write_globals(output *o, const model_params *p,
                         const output_opts *opts)
{
    char title[256], source[256], hdf5v[32], cfgv[32], hist[128];
    unsigned maj, min, rel;
    const char *focus = p->g.focus[0] || p->focus < 0
                            ? p->g.focus
                            : p->agents[p->focus].code;
    int months = p->g.months, every = p->g.every;
    unsigned long long seed = opts->master_seed;
    hid_t f = o->file;
    snprintf(title, sizeof title, "%s results: scenario %s", RESULT_PROGRAM,
             p->g.name);
    snprintf(source, sizeof source, "%s %s (git commit %s)", RESULT_PROGRAM,
             sim_version, sim_commit);
    if (H5get_libversion(&maj, &min, &rel) < 0)
        maj = min = rel = 0;
    snprintf(hdf5v, sizeof hdf5v, "%u.%u.%u", maj, min, rel);
    snprintf(cfgv, sizeof cfgv, "%d.%d.%d", LIBCONFIG_VER_MAJOR,
             LIBCONFIG_VER_MINOR, LIBCONFIG_VER_REVISION);
    default_history(hist, sizeof hist);
    if (attr_text(o, f, "/", "Conventions", "CF-1.8") < 0 ||
        attr_text(o, f, "/", "title", title) < 0 ||
        attr_text(o, f, "/", "source", source) < 0 ||
        attr_text(o, f, "/", "history",
                  opts->history && opts->history[0] ? opts->history : hist) < 0 ||
        attr_text(o, f, "/", "config",
                  opts->config_text ? opts->config_text : "") < 0 ||
        attr_scalar(o, f, "/", "master_seed", H5T_STD_U64LE,
                    H5T_NATIVE_ULLONG, &seed) < 0 ||
        attr_text(o, f, "/", "scenario", p->g.name) < 0 ||
        attr_text(o, f, "/", "focus_agent", focus) < 0 ||
        attr_text(o, f, "/", "start", p->g.start) < 0 ||
        attr_scalar(o, f, "/", "months", H5T_STD_I32LE, H5T_NATIVE_INT,
                    &months) < 0 ||
        attr_scalar(o, f, "/", "record_every", H5T_STD_I32LE, H5T_NATIVE_INT,
                    &every) < 0 ||
        attr_text(o, f, "/", "hdf5_version", hdf5v) < 0 ||
        attr_text(o, f, "/", "gsl_version", gsl_version) < 0 ||
        attr_text(o, f, "/", "libconfig_version", cfgv) < 0)
        return -1;
    for (int k = 0; k < opts->n_attrs; k++) {
        const output_attr *a = &opts->attrs[k];
        int rc = a->text ? attr_text(o, f, "/", a->name, a->text)
                         : attr_scalar(o, f, "/", a->name, H5T_STD_I64LE,
                                       H5T_NATIVE_LLONG, &a->number);
        if (rc < 0)
            return -1;
    }
    return 0;
}

/* A coordinate variable: created, made a dimension scale, written. */
static int create_coord(output *o, int d, hid_t ftype, const char *units,
                        const char *long_name, hid_t mtype, const void *vals)
{
    const char *name = result_dim_names[d];
    hid_t ds = create_dataset(o, o->file, name, ftype, 1, &d, -1, NULL);
    if (ds < 0)
        return -1;
    o->coord[d] = ds;
    if (H5DSset_scale(ds, name) < 0)
        return fail(o, "cannot make '%s' a dimension scale", name);
    if ((units && attr_text(o, ds, name, "units", units) < 0) ||
        attr_text(o, ds, name, "long_name", long_name) < 0)
        return -1;
    return write_whole(o, ds, name, mtype, vals);
}

/* A dimension without a coordinate variable (nv; event in its group), as
 * netCDF-4 makes one: a scale named "This is a netCDF dimension but not a
 * netCDF variable." and its length, holding no data. */
static int create_dim_only(output *o, hid_t loc, int d)
{
    const char *name = result_dim_names[d];
    char scale[96];
    hid_t ds = create_dataset(o, loc, name, H5T_IEEE_F32LE, 1, &d, -1, NULL);
    if (ds < 0)
        return -1;
    o->coord[d] = ds;
    h5_dim_only_name((size_t)dim_size(o, d), scale, sizeof scale);
    if (H5DSset_scale(ds, scale) < 0)
        return fail(o, "cannot make '%s' a dimension", name);
    return 0;
}

typedef struct {
    int *step;
    double *time, *bnds;
    const char **agent, **good, **unit, **route, **route_a, **route_b;
    const char **scen_config, **param_unit;
    const char *const *param;
} coord_values;

static void coord_values_free(coord_values *c)
{
    free(c->scen_config);
    free(c->param_unit);
    free(c->step);
    free(c->time);
    free(c->bnds);
    free(c->agent);
    free(c->good);
    free(c->unit);
    free(c->route);
    free(c->route_a);
    free(c->route_b);
}

static int coord_values_fill(output *o, const model_params *p,
                             const output_opts *opts, coord_values *c)
{
    c->param = opts->param_names;
    c->scen_config = calloc((size_t)o->n_scen, sizeof *c->scen_config);
    c->param_unit = calloc((size_t)o->n_params + 1, sizeof *c->param_unit);
    if (!c->scen_config || !c->param_unit)
        return fail_sys(o, ENOMEM, "cannot create %s", o->path);
    for (int k = 0; k < o->n_scen; k++)
        c->scen_config[k] = opts->scenario_configs && opts->scenario_configs[k]
                                ? opts->scenario_configs[k]
                                : "";
    for (int k = 0; k < o->n_params; k++)
        c->param_unit[k] = opts->param_units && opts->param_units[k]
                               ? opts->param_units[k]
                               : "1";
    c->step = calloc((size_t)o->n_rec, sizeof *c->step);
    c->time = calloc((size_t)o->n_rec, sizeof *c->time);
    c->bnds = calloc(2 * (size_t)o->n_rec, sizeof *c->bnds);
    c->agent = calloc((size_t)o->n, sizeof *c->agent);
    c->good = calloc((size_t)o->g, sizeof *c->good);
    c->unit = calloc((size_t)o->g, sizeof *c->unit);
    c->route = calloc((size_t)o->nr + 1, sizeof *c->route);
    c->route_a = calloc((size_t)o->nr + 1, sizeof *c->route_a);
    c->route_b = calloc((size_t)o->nr + 1, sizeof *c->route_b);
    if (!c->step || !c->time || !c->bnds || !c->agent || !c->good ||
        !c->unit || !c->route || !c->route_a || !c->route_b)
        return fail_sys(o, ENOMEM, "cannot create %s", o->path);
    for (int r = 0; r < o->nr; r++) {
        c->route[r] = p->routes[r].name;
        c->route_a[r] = p->routes[r].ia < 0 ? ROUTE_WORLD /* a hub */
                                            : p->agents[p->routes[r].ia].code;
        c->route_b[r] = p->agents[p->routes[r].ib].code;
    }
    for (int r = 0; r < o->n_rec; r++) {
        c->step[r] = (r + 1) * o->every - 1;
        c->time[r] = model_days_since_start(p, c->step[r]);
        c->bnds[(size_t)2 * r] = c->time[r];
        c->bnds[(size_t)2 * r + 1] = model_days_since_start(p, c->step[r] + 1);
    }
    for (int i = 0; i < o->n; i++)
        c->agent[i] = p->agents[i].code;
    for (int k = 0; k < o->g; k++) {
        c->good[k] = p->goods[k].name;
        c->unit[k] = p->goods[k].unit;
    }
    return 0;
}

static int create_coords(output *o, const model_params *p,
                         const coord_values *c)
{
    char tunits[64];
    hid_t vs = o->vstr;
    snprintf(tunits, sizeof tunits, "days since %04d-%02d-01", p->start_year,
             p->start_month);
    if (create_coord(o, DIM_RUN, H5T_STD_I32LE, "1",
                     "run: its index in the job (ensemble or sweep) that made "
                     "it, which seeds its random numbers",
                     H5T_NATIVE_INT, o->labels) < 0 ||
        attr_text(o, o->coord[DIM_RUN], "run", "standard_name", "realization") < 0)
        return -1;
    if (o->scen_dim &&
        create_coord(o, DIM_SCENARIO, vs, NULL,
                     "scenario of a paired comparison (the runs of every "
                     "scenario share their seeds)",
                     vs, o->scen_names) < 0)
        return -1;
    if (create_coord(o, DIM_TIME, H5T_IEEE_F64LE, tunits,
                     "time (first day of the month recorded)",
                     H5T_NATIVE_DOUBLE, c->time) < 0 ||
        create_coord(o, DIM_AGENT, vs, NULL, "agent (state) code", vs,
                     c->agent) < 0 ||
        create_coord(o, DIM_PARTNER, vs, NULL, "partner agent code", vs,
                     c->agent) < 0 ||
        create_coord(o, DIM_GOOD, vs, NULL, "good", vs, c->good) < 0)
        return -1;
    /* a netCDF dimension cannot be empty: no routes, no route axis */
    if (o->nr > 0 &&
        create_coord(o, DIM_ROUTE, vs, NULL, "route name", vs, c->route) < 0)
        return -1;
    if (o->n_params > 0 &&
        create_coord(o, DIM_PARAM, vs, NULL,
                     "swept parameter (a path of the parameter table or a "
                     "named event's field)", vs, c->param) < 0)
        return -1;
    if (create_dim_only(o, o->file, DIM_NV) < 0)
        return -1;
    hid_t t = o->coord[DIM_TIME];
    if (attr_text(o, t, "time", "calendar", "standard") < 0 ||
        attr_text(o, t, "time", "standard_name", "time") < 0 ||
        attr_text(o, t, "time", "axis", "T") < 0 ||
        attr_text(o, t, "time", "bounds", "time_bnds") < 0 ||
        attr_text(o, t, "time", "comment",
                  "A record covers the month from time to the first day of "
                  "the next (time_bnds).  State variables (cell_methods "
                  "\"time: point\") hold their value at the end of that "
                  "month, flows (\"time: mean\", in units per month) the "
                  "month's total.") < 0)
        return -1;
    return 0;
}

/* A 1-D string variable on dimension d, written whole and closed. */
static int string_var(output *o, const char *name, int d,
                      const char *long_name, const char **vals)
{
    hid_t ds = create_var(o, name, o->vstr, 1, &d, NULL, long_name);
    int bad = ds < 0 || write_whole(o, ds, name, o->vstr, vals) < 0;
    if (ds >= 0 && H5Dclose(ds) < 0 && !bad)
        bad = fail(o, "cannot write '%s'", name);
    return bad ? -1 : 0;
}

/* step(time), time_bnds(time, nv), good_unit(good), seed(run),
 * scenario_config(scenario), route_a, route_b(route), param_unit(param),
 * param_value(run, param) and point(run); seeds, points and values are
 * written per block of runs. */
static int create_aux(output *o, const model_params *p, const coord_values *c)
{
    static const int no_point = -1;
    char tunits[64];
    int time_dim = DIM_TIME, good_dim = DIM_GOOD, run_dim = DIM_RUN;
    int bnds_dim[2] = {DIM_TIME, DIM_NV};
    snprintf(tunits, sizeof tunits, "days since %04d-%02d-01", p->start_year,
             p->start_month);
    o->step = create_var(o, "step", H5T_STD_I32LE, 1, &time_dim, "1",
                         "index of the monthly step recorded (0: start month)");
    if (o->step < 0 ||
        write_whole(o, o->step, "step", H5T_NATIVE_INT, c->step) < 0)
        return -1;
    o->time_bnds = create_var(o, "time_bnds", H5T_IEEE_F64LE, 2, bnds_dim,
                              tunits, "first and last instant of the month "
                              "recorded (its first day, the next month's)");
    if (o->time_bnds < 0 ||
        attr_text(o, o->time_bnds, "time_bnds", "calendar", "standard") < 0 ||
        write_whole(o, o->time_bnds, "time_bnds", H5T_NATIVE_DOUBLE, c->bnds) < 0)
        return -1;
    o->good_unit = create_var(o, "good_unit", o->vstr, 1, &good_dim, NULL,
                              "unit in which the good is counted");
    if (o->good_unit < 0 ||
        write_whole(o, o->good_unit, "good_unit", o->vstr, c->unit) < 0)
        return -1;
    o->seed = create_var(o, "seed", H5T_STD_U64LE, 1, &run_dim, "1",
                         o->scen_dim
                             ? "seed of the run's random number generator "
                               "(the same in every scenario)"
                             : "seed of the run's random number generator");
    if (o->seed < 0)
        return -1;
    if (o->scen_dim &&
        string_var(o, "scenario_config", DIM_SCENARIO,
                   "resolved configuration of the scenario (libconfig text)",
                   c->scen_config) < 0)
        return -1;
    if (o->nr > 0 &&
        (string_var(o, "route_a", DIM_ROUTE, "agent at one end of the route",
                    c->route_a) < 0 ||
         string_var(o, "route_b", DIM_ROUTE,
                    "agent at the other end of the route", c->route_b) < 0))
        return -1;
    if (o->n_params > 0) {
        int pv[2] = {DIM_RUN, DIM_PARAM}, pd = DIM_PARAM;
        o->param_unit = create_var(o, "param_unit", o->vstr, 1, &pd, NULL,
                                   "unit of the swept parameter (from the "
                                   "parameter table)");
        if (o->param_unit < 0 ||
            write_whole(o, o->param_unit, "param_unit", o->vstr, c->param_unit) < 0)
            return -1;
        o->param_value = create_var(o, "param_value", H5T_IEEE_F64LE, 2, pv, "1",
                                    "value of each swept parameter in the run");
        if (o->param_value < 0 ||
            attr_text(o, o->param_value, "param_value", "coordinates",
                      "param_unit") < 0 ||
            attr_text(o, o->param_value, "param_value", "units_metadata",
                      "param_unit") < 0 ||
            attr_text(o, o->param_value, "param_value", "comment",
                      "The parameters have units of their own: the values of "
                      "parameter p are in param_unit(p); units is the factor "
                      "common to all (1).") < 0)
            return -1;
        o->point = create_var_in(o, o->file, "point", H5T_STD_I32LE, 1, &run_dim,
                                 "1", "design point of the run (-1: run not "
                                 "done)", H5T_NATIVE_INT, &no_point);
        if (o->point < 0)
            return -1;
    }
    return 0;
}

static int write_coords(output *o, const model_params *p,
                        const output_opts *opts)
{
    coord_values c = {0};
    int rc = coord_values_fill(o, p, opts, &c);
    if (rc == 0)
        rc = create_coords(o, p, &c);
    if (rc == 0)
        rc = create_aux(o, p, &c);
    coord_values_free(&c);
    return rc;
}

/* ---- record variables ------------------------------------------------------ */

static size_t var_inner(const output *o, const state_var *v)
{
    var_axis ax[VAR_MAX_AXES];
    int n = var_shape_axes(v->shape, ax);
    size_t e = 1;
    for (int a = 0; a < n; a++)
        e *= (size_t)dim_size(o, result_axis_dim(ax[a]));
    return e;
}

/* The goods and their units, for the comment of a variable in the goods'
 * own units. */
static void goods_units_text(const model_params *p, char *buf, size_t len)
{
    size_t at = 0;
    buf[0] = '\0';
    for (int k = 0; k < p->n_goods && at + 1 < len; k++) {
        int w = snprintf(buf + at, len - at, "%s%s: %s", k ? ", " : "",
                         p->goods[k].name, p->goods[k].unit);
        if (w < 0)
            break;
        at += (size_t)w;
    }
}

/* The CF attributes from the table: cell_methods; for an amount in the
 * goods' units, the good_unit coordinate, units_metadata and a comment;
 * for a 0/1 flag, flag_values and flag_meanings. */
static int var_attributes(output *o, hid_t ds, const state_var *d,
                          const model_params *p)
{
    static const double flags[2] = {0.0, 1.0};
    if (attr_text(o, ds, d->name, "cell_methods",
                  d->kind == VAR_FLOW ? "time: mean" : "time: point") < 0)
        return -1;
    if (d->flags &&
        (attr_doubles(o, ds, d->name, "flag_values", flags, 2) < 0 ||
         attr_text(o, ds, d->name, "flag_meanings", d->flags) < 0))
        return -1;
    if (d->good_unit == GOOD_UNIT_NONE)
        return 0;
    char meta[128], goods[512], comment[1024];
    int one = strcmp(d->units, "1") == 0;
    if (d->good_unit == GOOD_UNIT_TIMES)
        snprintf(meta, sizeof meta, "good_unit%s%s", one ? "" : " ",
                 one ? "" : d->units);
    else
        snprintf(meta, sizeof meta, "%s good_unit-1", d->units);
    goods_units_text(p, goods, sizeof goods);
    snprintf(comment, sizeof comment,
             "The goods are counted in units of their own (%s): the values "
             "of good g are in %s with good_unit(g) put in; units holds the "
             "factor common to every good.", goods, meta);
    if (attr_text(o, ds, d->name, "coordinates", "good_unit") < 0 ||
        attr_text(o, ds, d->name, "units_metadata", meta) < 0 ||
        attr_text(o, ds, d->name, "comment", comment) < 0)
        return -1;
    return 0;
}

static int create_record_var(output *o, size_t v, const model_params *p)
{
    const state_var *d = &state_vars[v];
    var_axis ax[VAR_MAX_AXES];
    int n = var_shape_axes(d->shape, ax), dim[MAX_RANK], rank = 0;
    dim[rank++] = DIM_RUN;
    if (o->scen_dim)
        dim[rank++] = DIM_SCENARIO;
    dim[rank++] = DIM_TIME;
    for (int a = 0; a < n; a++)
        dim[rank++] = result_axis_dim(ax[a]);
    o->var[v] = create_var(o, d->name, H5T_IEEE_F64LE, rank, dim, d->units,
                           d->long_name);
    if (o->var[v] < 0)
        return -1;
    return var_attributes(o, o->var[v], d, p);
}

/* Runs in a chunk, the same for every record variable: as many whole
 * runs as keep the largest variable's chunk within CHUNK_TARGET (at least
 * one, at most every run and max_block); 0 when one run of a variable is
 * over CHUNK_MAX (its chunks then split a run's series along time). */
static int block_runs(const output *o)
{
    double most = 0;
    for (size_t v = 0; v < N_VARS; v++) {
        double b = (double)o->n_rec * (double)o->inner[v] * sizeof(double);
        if (o->selected[v] && b > most)
            most = b;
    }
    if (most > CHUNK_MAX)
        return 0;
    double k = most > 0 ? floor(CHUNK_TARGET / most) : 1.0;
    if (o->max_block > 0 && k > o->max_block)
        k = o->max_block;
    return k < 1.0 ? 1 : k > (double)o->n_runs ? o->n_runs : (int)k;
}

static int select_vars(output *o, const output_opts *opts, int *selected)
{
    for (size_t v = 0; v < N_VARS; v++)
        selected[v] = opts->vars == NULL;
    for (int i = 0; opts->vars && i < opts->n_vars; i++) {
        const state_var *sv = state_var_find(opts->vars[i]);
        if (!sv) {
            snprintf(o->err, sizeof o->err,
                     "cannot create %s: unknown output variable '%s'",
                     o->path ? o->path : "a result file", opts->vars[i]);
            return -1;
        }
        selected[sv - state_vars] = 1;
    }
    /* without routes there is no route axis to record on */
    for (size_t v = 0; v < N_VARS; v++) {
        if (o->nr == 0 && state_vars[v].shape == VAR_RG)
            selected[v] = 0;
        o->inner[v] = selected[v] ? var_inner(o, &state_vars[v]) : 0;
    }
    o->block = block_runs(o);
    return 0;
}

/* ---- the event table -------------------------------------------------------- */

int output_param_unit(const model_params *p, param_ref ref, char *buf,
                      size_t len)
{
    const param_def *d = ref.def;
    if (!d) {
        snprintf(buf, len, "1");
        return -1;
    }
    int good = d->scope == SCOPE_GOOD                                  ? ref.e1
               : d->scope == SCOPE_AGENT_GOOD || d->scope == SCOPE_ROUTE_GOOD ? ref.e2
                                                                       : -1;
    const char *unit = d->unit ? d->unit : "1";
    const char *at = strstr(unit, "good units");
    const char *per = strstr(unit, "per unit");
    if (good >= 0 && good < p->n_goods && at)
        snprintf(buf, len, "%.*s%s%s", (int)(at - unit), unit,
                 p->goods[good].unit, at + strlen("good units"));
    else if (good >= 0 && good < p->n_goods && per)
        snprintf(buf, len, "%.*sper %s%s", (int)(per - unit), unit,
                 p->goods[good].unit, per + strlen("per unit"));
    else
        snprintf(buf, len, "%s", unit);
    return 0;
}

/* The unit of each scheduled event's value, found again by its label. */
static int event_units(output *o, const model_params *p)
{
    o->n_ev_specs = p->n_events;
    o->ev_units = calloc((size_t)p->n_events + 1, sizeof *o->ev_units);
    o->ev_labels = calloc((size_t)p->n_events + 1, sizeof *o->ev_labels);
    if (!o->ev_units || !o->ev_labels)
        return fail_sys(o, ENOMEM, "cannot create %s", o->path);
    for (int e = 0; e < p->n_events; e++) {
        char unit[160];
        const event_spec *s = &p->events[e];
        if (s->kind != EV_SET && s->kind != EV_ADD)
            continue;
        output_param_unit(p, s->ref, unit, sizeof unit);
        if (!(o->ev_units[e] = strdup(unit)) ||
            !(o->ev_labels[e] = strdup(s->label)))
            return fail_sys(o, ENOMEM, "cannot create %s", o->path);
    }
    return 0;
}

static const char *event_unit(const output *o, const model_event *ev)
{
    switch (ev->kind) {
    case EV_SET:
    case EV_ADD:
        for (int e = 0; ev->label && e < o->n_ev_specs; e++)
            if (o->ev_labels[e] && strcmp(o->ev_labels[e], ev->label) == 0)
                return o->ev_units[e];
        return "1";
    case EV_UNFREEZE: return "USD";
    default: return "1"; /* 0/1 states, rivalry, affinity */
    }
}

static int create_events(output *o)
{
    char kinds[512] = "kind of event:";
    int dim = DIM_EVENT;
    hid_t gcpl = H5Pcreate(H5P_GROUP_CREATE);
    unsigned order = H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED;
    if (gcpl >= 0 && H5Pset_link_creation_order(gcpl, order) >= 0 &&
        H5Pset_attr_creation_order(gcpl, order) >= 0)
        o->events = H5Gcreate2(o->file, EVENTS_GROUP, H5P_DEFAULT, gcpl,
                               H5P_DEFAULT);
    if (gcpl >= 0)
        H5Pclose(gcpl);
    if (o->events < 0)
        return fail(o, "cannot create the group '%s'", EVENTS_GROUP);
    if (attr_text(o, o->events, EVENTS_GROUP, "title",
                  "event log: one row per applied event or logged incident, "
                  "ordered by run") < 0 ||
        create_dim_only(o, o->events, DIM_EVENT) < 0)
        return -1;
    for (int k = 0; k < EV_KIND_COUNT; k++) {
        size_t len = strlen(kinds);
        snprintf(kinds + len, sizeof kinds - len, " %s", event_kind_names[k]);
    }
    for (int c = o->scen_dim ? 0 : EC_SCENARIO + 1; c < EC_COUNT; c++) {
        const result_ev_col *col = &result_ev_cols[c];
        hid_t ft = col->type == COL_INT      ? H5T_STD_I32LE
                   : col->type == COL_DOUBLE ? H5T_IEEE_F64LE
                                             : o->vstr;
        o->col[c] = create_var_in(o, o->events, col->name, ft, 1, &dim,
                                  col->units, c == EC_KIND ? kinds : col->long_name,
                                  -1, NULL);
        if (o->col[c] < 0)
            return -1;
    }
    if (attr_text(o, o->col[EC_VALUE], "event_value", "units_metadata",
                  "event_unit") < 0)
        return -1;
    return 0;
}

/* ---- setup ------------------------------------------------------------------- */

static int check_args(output *o, const model_params *p, const output_opts *opts)
{
    const char *why = NULL;
    if (p->n_agents < 1 || p->n_goods < 1)
        why = "no agents or no goods";
    else if (p->g.every < 1 || output_n_records(p) < 1)
        why = "fewer months than output.every: nothing to record";
    else if (opts->n_runs < 1)
        why = "no runs";
    else if (opts->n_scenarios < 0)
        why = "negative number of scenarios";
    else if (p->start_month < 1 || p->start_month > 12)
        why = "start date not resolved";
    for (int r = 0; !why && opts->run_labels && r < opts->n_runs; r++)
        if (opts->run_labels[r] < 0 || (r > 0 && opts->run_labels[r] <=
                                                     opts->run_labels[r - 1]))
            why = "run labels not ascending from 0";
    if (why)
        snprintf(o->err, sizeof o->err, "cannot create %s: %s", o->path, why);
    return why ? -1 : 0;
}

/* Copy the scenario names: given, non-empty and distinct (they label the
 * scenario coordinate). */
static int copy_scenarios(output *o, const output_opts *opts)
{
    if (!o->scen_dim)
        return 0;
    if (!opts->scenario_names) {
        snprintf(o->err, sizeof o->err,
                 "cannot create %s: %d scenarios but no scenario names",
                 o->path, o->n_scen);
        return -1;
    }
    o->scen_names = calloc((size_t)o->n_scen, sizeof *o->scen_names);
    if (!o->scen_names)
        return fail_sys(o, ENOMEM, "cannot create %s", o->path);
    for (int k = 0; k < o->n_scen; k++) {
        const char *name = opts->scenario_names[k];
        const char *why = !name || !name[0] ? "is empty" : NULL;
        for (int j = 0; !why && j < k; j++)
            if (strcmp(name, o->scen_names[j]) == 0)
                why = "is given twice";
        if (why) {
            snprintf(o->err, sizeof o->err,
                     "cannot create %s: scenario name %d%s%s%s %s", o->path, k,
                     name ? " '" : "", name ? name : "", name ? "'" : "", why);
            return -1;
        }
        if (!(o->scen_names[k] = strdup(name)))
            return fail_sys(o, ENOMEM, "cannot create %s", o->path);
    }
    return 0;
}

/* Book-keeping of the runs written: which, with which seed, which blocks;
 * and the run coordinate. */
static int alloc_books(output *o, const output_opts *opts)
{
    size_t runs = (size_t)o->n_runs;
    o->written = calloc(runs * (size_t)o->n_scen, 1);
    o->seeds = calloc(runs, sizeof *o->seeds);
    o->seed_scen = malloc(runs * sizeof *o->seed_scen);
    o->labels = malloc(runs * sizeof *o->labels);
    o->n_blocks = o->block > 0 ? (o->n_runs + o->block - 1) / o->block : 0;
    o->blk_state = calloc((size_t)o->n_blocks * (size_t)o->n_scen + 1, 1);
    if (!o->written || !o->seeds || !o->seed_scen || !o->labels || !o->blk_state)
        return fail_sys(o, ENOMEM, "cannot create %s", o->path);
    for (size_t r = 0; r < runs; r++) {
        o->seed_scen[r] = -1;
        o->labels[r] = opts->run_labels ? opts->run_labels[r] : (int)r;
    }
    return 0;
}

static output *output_new(const model_params *p, const output_opts *opts)
{
    output *o = calloc(1, sizeof *o);
    if (!o)
        return NULL;
    o->file = o->vstr = o->events = o->step = o->good_unit = o->seed = -1;
    o->time_bnds = o->param_unit = o->dxpl = -1;
    o->param_value = o->point = -1;
    for (int d = 0; d < DIM_COUNT; d++)
        o->coord[d] = -1;
    for (size_t v = 0; v < STATE_VARS_MAX; v++)
        o->var[v] = -1;
    for (int c = 0; c < EC_COUNT; c++)
        o->col[c] = -1;
    o->n = p->n_agents;
    o->g = p->n_goods;
    o->nr = p->n_routes;
    o->n_runs = opts->n_runs;
    o->n_params = opts->n_params > 0 ? opts->n_params : 0;
    o->max_block = opts->runs_per_chunk > 0 ? opts->runs_per_chunk : 0;
    o->scen_dim = opts->n_scenarios >= 2;
    o->n_scen = o->scen_dim ? opts->n_scenarios : 1;
    o->every = p->g.every;
    o->n_rec = output_n_records(p);
    o->inputs = opts->inputs;
    o->run = -1;
    return o;
}

static int copy_codes(output *o, const model_params *p)
{
    o->codes = calloc((size_t)o->n, PARAM_NAME_MAX);
    if (!o->codes)
        return fail_sys(o, ENOMEM, "cannot create %s", o->path);
    for (int i = 0; i < o->n; i++)
        memcpy(o->codes + (size_t)i * PARAM_NAME_MAX, p->agents[i].code,
               PARAM_NAME_MAX);
    return 0;
}

static int setup(output *o, const model_params *p, const output_opts *opts)
{
    int *selected = o->selected;
    if (!(o->path = strdup(opts->path)))
        return fail_sys(o, ENOMEM, "cannot create %s", opts->path);
    if (check_args(o, p, opts) < 0 || select_vars(o, opts, selected) < 0 ||
        copy_scenarios(o, opts) < 0 || copy_codes(o, p) < 0 ||
        alloc_books(o, opts) < 0 || event_units(o, p) < 0 || create_file(o) < 0)
        return -1;
    o->vstr = h5_string_type(H5T_VARIABLE);
    if (o->vstr < 0)
        return fail(o, "cannot create a string type");
    /* HDF5 callocs its type-conversion buffer (1 MiB by default) on every
     * write that converts (strings); the coordinates need far less. */
    o->dxpl = H5Pcreate(H5P_DATASET_XFER);
    if (o->dxpl < 0 || H5Pset_buffer(o->dxpl, (size_t)64 * 1024, NULL, NULL) < 0)
        return fail(o, "cannot create a transfer property list");
    if (write_globals(o, p, opts) < 0 || write_coords(o, p, opts) < 0)
        return -1;
    for (size_t v = 0; v < N_VARS; v++)
        if (selected[v] && create_record_var(o, v, p) < 0)
            return -1;
    return create_events(o);
}

static void output_free(output *o)
{
    output_run_free(o->cur);
    pending_free(o);
    for (int k = 0; o->scen_names && k < o->n_scen; k++)
        free(o->scen_names[k]);
    free(o->scen_names);
    for (int e = 0; e < o->n_ev_specs; e++) {
        free(o->ev_units ? o->ev_units[e] : NULL);
        free(o->ev_labels ? o->ev_labels[e] : NULL);
    }
    free(o->ev_units);
    free(o->ev_labels);
    free(o->written);
    free(o->seeds);
    free(o->seed_scen);
    free(o->labels);
    free(o->blk_state);
    for (size_t e = 0; e < o->n_kept; e++)
        free((char *)o->kept[e].ev.label);
    free(o->kept);
    free(o->codes);
    free(o->path);
    free(o);
}

/* HDF5 before 1.14.1 crashes at exit after a failed H5Fclose (a full disk:
 * HDFFV-11052), in the handler H5open registers with atexit().  Opting out
 * works only before the library's first use, which output_open usually is;
 * otherwise it is harmless.  Every file is closed explicitly anyway.
 * Error printing is silenced: errors are reported as one line instead. */
void output_library_init(void)
{
    (void)H5dont_atexit(); /* fails only when called twice: harmless */
    /* HDF5 keeps freed blocks on free lists without limit by default; a
     * few MiB are enough, and memory then stays flat over long sweeps */
    (void)H5set_free_list_limits(1 << 20, 256 << 10, 1 << 20, 256 << 10,
                                 2 << 20, 512 << 10);
    (void)H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

int writer_room(output *o)
{
    /* HDF5 1.10 does not survive every failed allocation while it writes
     * (H5I_register exits the process with status 255): make sure it has
     * some room first, as output_open does.  The probe's memory stays in
     * the heap (main.c's thresholds) for HDF5 to use. */
    void *room = malloc(HDF5_WRITE_ROOM);
    if (!room) {
        snprintf(o->err, sizeof o->err, "cannot write %s to %s: out of memory "
                 "(HDF5 needs %d MiB free to write)", o->what, o->path,
                 HDF5_WRITE_ROOM >> 20);
        return -1;
    }
    memset(room, 0, 1); /* keep the probe from being optimised away */
    free(room);
    return 0;
}

output *output_open(const model_params *p, const output_opts *opts, char *err,
                    size_t errlen)
{
    output_library_init();
    if (!opts->path || !opts->path[0]) {
        snprintf(err, errlen, "no output file name given");
        return NULL;
    }
    /* HDF5 1.10 does not survive a failed allocation (it crashes in
     * H5AC_create, say): make sure it has room before it starts. */
    void *room = malloc(HDF5_HEADROOM);
    if (!room) {
        snprintf(err, errlen, "cannot create %s: out of memory (HDF5 needs "
                 "%d MiB free to start)", opts->path, HDF5_HEADROOM >> 20);
        return NULL;
    }
    memset(room, 0, 1); /* keep the probe from being optimised away */
    free(room);
    output *o = output_new(p, opts);
    if (!o) {
        snprintf(err, errlen, "cannot create %s: out of memory", opts->path);
        return NULL;
    }
    if (setup(o, p, opts) < 0) {
        snprintf(err, errlen, "%s", o->err);
        output_abort(o);
        return NULL;
    }
    return o;
}

/* ---- writing runs ------------------------------------------------------------ */

/* Write one run's variable directly (runs too large for blocks), through
 * HDF5's own filter. */
static int write_run_var(output *o, size_t v, int scen, int run,
                         const double *buf)
{
    const state_var *d = &state_vars[v];
    var_axis ax[VAR_MAX_AXES];
    int n = var_shape_axes(d->shape, ax), rank = 0;
    hsize_t start[MAX_RANK] = {0}, count[MAX_RANK];
    start[rank] = (hsize_t)run;
    count[rank++] = 1;
    if (o->scen_dim) {
        start[rank] = (hsize_t)scen;
        count[rank++] = 1;
    }
    count[rank++] = (hsize_t)o->n_rec;
    for (int a = 0; a < n; a++)
        count[rank++] = dim_size(o, result_axis_dim(ax[a]));
    return writer_write_slab(o, o->var[v], d->name, rank, start, count,
                             H5T_NATIVE_DOUBLE, buf);
}

static const char *agent_code(const output *o, int i)
{
    return i >= 0 && i < o->n ? o->codes + (size_t)i * PARAM_NAME_MAX : "";
}

/* Event rows as columns, in one allocation each. */
typedef struct {
    int *run, *step;
    double *value;
    const char **scen, **kind, **actor, **target, **unit, **label;
} event_cols;

static int event_cols_fill(output *o, const kept_event *k, size_t n,
                           event_cols *c)
{
    c->run = malloc(n * sizeof *c->run);
    c->step = malloc(n * sizeof *c->step);
    c->value = malloc(n * sizeof *c->value);
    c->scen = malloc(n * sizeof *c->scen);
    c->kind = malloc(n * sizeof *c->kind);
    c->actor = malloc(n * sizeof *c->actor);
    c->target = malloc(n * sizeof *c->target);
    c->unit = malloc(n * sizeof *c->unit);
    c->label = malloc(n * sizeof *c->label);
    if (!c->run || !c->step || !c->value || !c->scen || !c->kind ||
        !c->actor || !c->target || !c->unit || !c->label)
        return fail_sys(o, ENOMEM, "cannot write events to %s", o->path);
    for (size_t e = 0; e < n; e++) {
        const model_event *ev = &k[e].ev;
        c->scen[e] = o->scen_dim ? o->scen_names[k[e].scen] : "";
        c->run[e] = o->labels[k[e].run];
        c->step[e] = ev->step;
        c->value[e] = ev->value;
        c->kind[e] = ev->kind >= 0 && ev->kind < EV_KIND_COUNT
                         ? event_kind_names[ev->kind]
                         : "unknown";
        c->actor[e] = agent_code(o, ev->actor);
        c->target[e] = agent_code(o, ev->target);
        c->unit[e] = event_unit(o, ev);
        c->label[e] = ev->label ? ev->label : "";
    }
    return 0;
}

static void event_cols_free(event_cols *c)
{
    free(c->run);
    free(c->step);
    free(c->value);
    free(c->scen);
    free(c->kind);
    free(c->actor);
    free(c->target);
    free(c->unit);
    free(c->label);
}

static int extend(output *o, hid_t ds, const char *name, hsize_t size)
{
    if (H5Dset_extent(ds, &size) < 0)
        return fail(o, "cannot extend '%s'", name);
    return 0;
}

int kept_room(kept_event **arr, size_t *cap, size_t need)
{
    if (need <= *cap)
        return 0;
    size_t c = *cap ? *cap : 64;
    while (c < need)
        c *= 2;
    kept_event *grown = realloc(*arr, c * sizeof *grown);
    if (!grown)
        return -1;
    *arr = grown;
    *cap = c;
    return 0;
}

int writer_keep_events(output *o, int scen, int run, const kept_event *ev,
                       size_t n, int copy_labels)
{
    if (kept_room(&o->kept, &o->cap_kept, o->n_kept + n) < 0)
        return fail_sys(o, ENOMEM, "cannot keep the events of %s for %s",
                        o->what, o->path);
    for (size_t e = 0; e < n; e++) {
        kept_event *k = &o->kept[o->n_kept + e];
        *k = ev[e];
        if (scen >= 0) {
            k->scen = scen;
            k->run = run;
        }
        k->seq = o->n_kept + e;
        if (copy_labels && ev[e].ev.label &&
            !(k->ev.label = strdup(ev[e].ev.label))) {
            while (e-- > 0)
                free((char *)o->kept[o->n_kept + e].ev.label);
            return fail_sys(o, ENOMEM, "cannot keep the events of %s for %s",
                            o->what, o->path);
        }
        if (copy_labels && !ev[e].ev.label)
            k->ev.label = NULL;
    }
    o->n_kept += n;
    return 0;
}

int writer_keep_model_events(output *o, int scen, int run,
                             const model_event *ev, int n_ev)
{
    size_t n = n_ev > 0 ? (size_t)n_ev : 0;
    if (kept_room(&o->kept, &o->cap_kept, o->n_kept + n) < 0)
        return fail_sys(o, ENOMEM, "cannot keep the events of %s for %s",
                        o->what, o->path);
    for (size_t e = 0; e < n; e++) {
        kept_event *k = &o->kept[o->n_kept + e];
        k->ev = ev[e];
        k->scen = scen;
        k->run = run;
        k->seq = o->n_kept + e;
        if (ev[e].label && !(k->ev.label = strdup(ev[e].label))) {
            while (e-- > 0)
                free((char *)o->kept[o->n_kept + e].ev.label);
            return fail_sys(o, ENOMEM, "cannot keep the events of %s for %s",
                            o->what, o->path);
        }
    }
    o->n_kept += n;
    return 0;
}

static int kept_order(const void *pa, const void *pb)
{
    const kept_event *a = pa, *b = pb;
    if (a->scen != b->scen)
        return a->scen < b->scen ? -1 : 1;
    if (a->run != b->run)
        return a->run < b->run ? -1 : 1;
    return (a->seq > b->seq) - (a->seq < b->seq);
}

/* Append the kept events of the runs whose key (scenario * n_runs + run)
 * is below `limit`, by (scenario, run), each run's in its own order; keep
 * the rest.  Every run below `limit` is complete, so the table is the same
 * whatever order the runs were written in, and memory holds only the
 * events of runs written ahead of an unfinished one. */
static int flush_events(output *o, size_t limit)
{
    if (o->n_kept == 0)
        return 0;
    qsort(o->kept, o->n_kept, sizeof *o->kept, kept_order);
    size_t n = 0;
    while (n < o->n_kept &&
           (size_t)o->kept[n].scen * (size_t)o->n_runs + (size_t)o->kept[n].run < limit)
        n++;
    o->flushed_low = limit;
    if (n == 0)
        return 0;
    if (o->ev_rows + n > INT32_MAX) {
        snprintf(o->err, sizeof o->err,
                 "cannot write events to %s: more than %ld rows", o->path,
                 (long)INT32_MAX);
        return -1;
    }
    event_cols c = {0};
    hsize_t start = (hsize_t)o->ev_rows, count = (hsize_t)n,
            total = start + count;
    snprintf(o->what, sizeof o->what, "the events");
    int rc = event_cols_fill(o, o->kept, n, &c);
    const void *data[EC_COUNT] = {c.scen, c.run, c.step, c.kind, c.actor,
                                  c.target, c.value, c.unit, c.label};
    if (rc == 0)
        rc = extend(o, o->coord[DIM_EVENT], "event", total);
    for (int k = 0; rc == 0 && k < EC_COUNT; k++) {
        hid_t mt = result_ev_cols[k].type == COL_INT      ? H5T_NATIVE_INT
                   : result_ev_cols[k].type == COL_DOUBLE ? H5T_NATIVE_DOUBLE
                                                          : o->vstr;
        if (o->col[k] < 0)
            continue; /* event_scenario without a scenario dimension */
        if (extend(o, o->col[k], result_ev_cols[k].name, total) < 0 ||
            writer_write_slab(o, o->col[k], result_ev_cols[k].name, 1, &start,
                              &count, mt, data[k]) < 0)
            rc = -1;
    }
    event_cols_free(&c);
    if (rc)
        return -1;
    for (size_t e = 0; e < n; e++)
        free((char *)o->kept[e].ev.label);
    memmove(o->kept, o->kept + n, (o->n_kept - n) * sizeof *o->kept);
    o->n_kept -= n;
    o->ev_rows += n;
    return 0;
}

int writer_advance(output *o)
{
    size_t keys = (size_t)o->n_scen * (size_t)o->n_runs;
    while (o->low < keys && o->written[o->low])
        o->low++;
    if (o->n_kept >= EVENT_FLUSH && o->low > o->flushed_low &&
        flush_events(o, o->low) < 0)
        return -1;
    return 0;
}

/* Why (scenario, run) cannot be written, or NULL; `why` holds the longer
 * reasons. */
static const char *write_refused(const output *o, int scen, int run,
                                 unsigned long seed, const output_run *r,
                                 const model_event *ev, int n_ev, char *why,
                                 size_t whylen)
{
    if (o->file < 0)
        return "the file is closed";
    if (scen < 0 || scen >= o->n_scen)
        return o->scen_dim ? "scenario index out of range"
                           : "no scenario dimension: the scenario must be 0";
    if (run < 0 || run >= o->n_runs)
        return "run index out of range";
    if (!r)
        return "no run buffer";
    if (r->n != o->n || r->g != o->g || r->nr != o->nr ||
        r->n_rec != o->n_rec || r->every != o->every)
        return "the run buffer was made for another file";
    for (size_t v = 0; v < N_VARS; v++)
        if (o->selected[v] && (!r->buf[v] || r->inner[v] != o->inner[v]))
            return "the run buffer was made for another file";
    if (n_ev < 0 || (n_ev > 0 && !ev))
        return "bad event list";
    if (o->written[(size_t)scen * (size_t)o->n_runs + (size_t)run])
        return "it was written already";
    int from = o->seed_scen[run];
    if (from >= 0 && o->seeds[run] != (unsigned long long)seed) {
        snprintf(why, whylen,
                 "its seed %lu differs from seed %llu of run %d of scenario "
                 "'%s' (scenarios share each run's seed)",
                 seed, o->seeds[run], run, o->scen_names[from]);
        return why;
    }
    return NULL;
}

int output_write_run(output *o, int scenario, int run, unsigned long seed,
                     const output_run *r, const model_event *ev, int n_ev)
{
    if (!o)
        return -1;
    /* a thread-safe HDF5 keeps this setting per thread */
    (void)H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    if (o->scen_dim && scenario >= 0 && scenario < o->n_scen)
        snprintf(o->what, sizeof o->what, "run %d of scenario '%s'", run,
                 o->scen_names[scenario]);
    else if (o->scen_dim)
        snprintf(o->what, sizeof o->what, "run %d of scenario %d", run,
                 scenario);
    else
        snprintf(o->what, sizeof o->what, "run %d", run);
    if (writer_room(o) < 0)
        return -1;
    char buf[320];
    const char *why =
        write_refused(o, scenario, run, seed, r, ev, n_ev, buf, sizeof buf);
    if (why) {
        snprintf(o->err, sizeof o->err, "cannot write %s to %s: %s", o->what,
                 o->path, why);
        return -1;
    }
    if (o->block > 0) {
        if (pending_put(o, scenario, run, seed, r) < 0)
            return -1;
    } else {
        for (size_t v = 0; v < N_VARS; v++)
            if (o->var[v] >= 0 &&
                write_run_var(o, v, scenario, run, r->buf[v]) < 0)
                return -1;
        if (o->seed_scen[run] < 0) {
            unsigned long long s = seed;
            hsize_t start = (hsize_t)run, one = 1;
            if (writer_write_slab(o, o->seed, "seed", 1, &start, &one,
                                  H5T_NATIVE_ULLONG, &s) < 0)
                return -1;
        }
    }
    if (o->seed_scen[run] < 0) {
        o->seeds[run] = seed;
        o->seed_scen[run] = scenario;
    }
    if (n_ev > 0 && writer_keep_model_events(o, scenario, run, ev, n_ev) < 0)
        return -1;
    o->written[(size_t)scenario * (size_t)o->n_runs + (size_t)run] = 1;
    return writer_advance(o);
}

/* ---- the single-run API ------------------------------------------------ */

int output_begin_run(output *o, int run, unsigned long seed)
{
    if (o->run >= 0 || run < 0 || run >= o->n_runs) {
        snprintf(o->err, sizeof o->err,
                 "cannot begin run %d in %s: %s", run, o->path,
                 o->run >= 0 ? "another run is not finished"
                             : "run index out of range");
        return -1;
    }
    if (!o->cur && !(o->cur = output_run_alloc(o)))
        return fail_sys(o, ENOMEM, "cannot begin run %d in %s", run, o->path);
    output_run_reset(o->cur);
    o->run = run;
    o->run_seed = seed;
    return 0;
}

int output_record(output *o, const model_state *s)
{
    if (o->run < 0) {
        snprintf(o->err, sizeof o->err, "cannot record in %s: no run begun",
                 o->path);
        return -1;
    }
    if (output_run_record(o->cur, s) < 0) {
        snprintf(o->err, sizeof o->err, "cannot record in %s: %s", o->path,
                 output_run_error(o->cur));
        return -1;
    }
    return 0;
}

int output_end_run(output *o, const model_event *ev, int n_ev)
{
    if (o->run < 0) {
        snprintf(o->err, sizeof o->err, "cannot end a run in %s: none begun",
                 o->path);
        return -1;
    }
    if (output_write_run(o, 0, o->run, o->run_seed, o->cur, ev, n_ev) < 0)
        return -1;
    o->run = -1;
    return 0;
}

int output_write_point(output *o, int run, int point, const double *values)
{
    if (o->n_params == 0 || run < 0 || run >= o->n_runs) {
        snprintf(o->err, sizeof o->err, "cannot write the design point of run "
                 "%d in %s: %s", run, o->path,
                 o->n_params ? "run index out of range" : "the file has no parameters");
        return -1;
    }
    hsize_t start[2] = {(hsize_t)run, 0}, count[2] = {1, (hsize_t)o->n_params};
    return writer_write_slab(o, o->param_value, "param_value", 2, start, count,
                             H5T_NATIVE_DOUBLE, values) < 0 ||
                   writer_write_slab(o, o->point, "point", 1, start, count,
                                     H5T_NATIVE_INT, &point) < 0
               ? -1
               : 0;
}

/* ---- closing ----------------------------------------------------------- */

/* Close every dataset and group, then the file; the first failure is
 * reported. */
static int close_all(output *o)
{
    int rc = 0;
    hid_t *ids[DIM_COUNT + STATE_VARS_MAX + EC_COUNT + 8];
    size_t n = 0;
    for (int d = 0; d < DIM_COUNT; d++)
        ids[n++] = &o->coord[d];
    for (size_t v = 0; v < N_VARS; v++)
        ids[n++] = &o->var[v];
    for (int c = 0; c < EC_COUNT; c++)
        ids[n++] = &o->col[c];
    ids[n++] = &o->step;
    ids[n++] = &o->time_bnds;
    ids[n++] = &o->good_unit;
    ids[n++] = &o->seed;
    ids[n++] = &o->param_unit;
    ids[n++] = &o->param_value;
    ids[n++] = &o->point;
    for (size_t k = 0; k < n; k++) {
        char name[64] = "/?";
        if (*ids[k] < 0)
            continue;
        H5Iget_name(*ids[k], name, sizeof name);
        if (H5Dclose(*ids[k]) < 0 && rc == 0)
            rc = fail(o, "cannot write dataset '%s'", name + 1);
        *ids[k] = -1;
    }
    if (o->events >= 0 && H5Gclose(o->events) < 0 && rc == 0)
        rc = fail(o, "cannot write the group '%s'", EVENTS_GROUP);
    o->events = -1;
    if (o->vstr >= 0)
        H5Tclose(o->vstr);
    o->vstr = -1;
    if (o->dxpl >= 0)
        H5Pclose(o->dxpl);
    o->dxpl = -1;
    if (o->file >= 0 && H5Fclose(o->file) < 0 && rc == 0)
        rc = fail(o, "cannot write the file");
    o->file = -1;
    return rc;
}

int output_close(output *o, char *err, size_t errlen)
{
    if (!o) {
        snprintf(err, errlen, "no output file to close");
        return -1;
    }
    int rc = 0;
    if (o->run >= 0) {
        snprintf(o->err, sizeof o->err,
                 "cannot close %s: run %d was begun but not ended", o->path,
                 o->run);
        rc = -1;
    }
    if (rc == 0 && o->file >= 0 &&
        (pending_flush_all(o) < 0 || flush_events(o, (size_t)-1) < 0))
        rc = -1;
    if (close_all(o) < 0)
        rc = -1;
    if (rc == 0 && o->pub) {
        publish_file *pub = o->pub;
        o->pub = NULL; /* freed by publish_commit, whatever the outcome */
        if (publish_commit(pub, o->inputs, o->err, sizeof o->err) != PUBLISH_OK)
            rc = -1;
    }
    if (rc != 0) {
        publish_abort(o->pub);
        o->pub = NULL;
        snprintf(err, errlen, "%s", o->err);
        return -1; /* o is kept for output_error(); output_abort frees it */
    }
    output_free(o);
    return 0;
}

void output_abort(output *o)
{
    if (!o)
        return;
    close_all(o);
    publish_abort(o->pub);
    o->pub = NULL;
    H5Eclear2(H5E_DEFAULT);
    output_free(o);
}

const char *output_error(const output *o)
{
    return o ? o->err : "no output file";
}

double output_estimate_bytes(const model_params *p, const char *const *vars,
                             int n_vars, int n_runs)
{
    return output_estimate_bytes2(p, vars, n_vars, 0, n_runs);
}

double output_estimate_bytes2(const model_params *p, const char *const *vars,
                              int n_vars, int n_scenarios, int n_runs)
{
    double n = p->n_agents, g = p->n_goods, total = 0.0;
    const double per_rec[VAR_SHAPE_COUNT] = {
        [VAR_AG] = n * g, [VAR_APG] = n * n * g, [VAR_AP] = n * n,
        [VAR_G] = g,      [VAR_A] = n,           [VAR_BLOC] = 1.0,
        [VAR_RG] = (double)p->n_routes * g};
    for (size_t v = 0; v < N_VARS; v++) {
        int on = vars == NULL;
        for (int i = 0; !on && i < n_vars; i++)
            on = strcmp(vars[i], state_vars[v].name) == 0;
        if (on)
            total += per_rec[state_vars[v].shape];
    }
    return total * sizeof(double) * output_n_records(p) * (double)n_runs *
           (n_scenarios > 1 ? (double)n_scenarios : 1.0);
}

int output_block_size(const model_params *p, const char *const *vars,
                      int n_vars, int n_runs, int runs_per_chunk)
{
    output_opts opts = {.vars = vars, .n_vars = n_vars, .n_runs = n_runs,
                        .runs_per_chunk = runs_per_chunk};
    output *o = p ? output_new(p, &opts) : NULL;
    if (!o)
        return -1;
    int b = select_vars(o, &opts, o->selected) < 0 ? -1 : o->block;
    output_free(o);
    return b;
}
