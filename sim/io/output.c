/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * output.c - the result file: one HDF5 file that is also netCDF-4/CF.
 *
 * Layout (see OUTPUT.md):
 *   coordinates   [scenario(scenario)] run(run) time(time) agent(agent)
 *                 partner(partner) good(good) event(event) [route(route)],
 *                 each an HDF5 dimension scale; step(time), good_unit(good),
 *                 seed(run), [scenario_config(scenario)],
 *                 [route_a(route), route_b(route)]
 *   records       one dataset per variable of var_table[],
 *                 ([scenario,] run, time, ...) doubles, chunked along run
 *                 (one scenario per chunk) with whole time series in a
 *                 chunk, shuffle + deflate, _FillValue NaN
 *   events        [event_scenario,] event_run, event_step, ... on the
 *                 unlimited event dim, ordered by (scenario, run): kept in
 *                 memory (labels copied) and written by output_close()
 * The scenario dimension and its variables exist only with
 * opts.n_scenarios >= 2.
 *
 * A run is buffered in memory in an output_run (output_run_record copies
 * the state into it) and written by output_write_run() as one hyperslab per
 * variable.  The single-run API (output_begin_run...) wraps one output_run
 * held by the writer.  The file is written under ".<name>.tmp.<pid>" in the
 * destination directory and renamed to its final name by output_close()
 * after an fsync.
 */
#include "io/output.h"
#include "io/resultinfo.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <gsl/gsl_version.h>
#include <hdf5.h>
#include <hdf5_hl.h>
#include <libconfig.h>
#include <libdeflate.h>

#include "model/vars.h"
#include "version.h"


#define PROGRAM "bloc-sim"
#define CHUNK_MAX (1024.0 * 1024.0)    /* bytes: largest chunk            */
#define CHUNK_TARGET (256.0 * 1024.0)  /* bytes: aim when grouping runs   */
#define CHUNK_CACHE ((size_t)2 * 1024 * 1024) /* per dataset, > CHUNK_MAX      */
#define EVENT_CHUNK 1024               /* rows per chunk of event columns */
#define DEFLATE_LEVEL 1
/* libdeflate's level for blocks compressed by the program itself: its
 * level 2 is faster than its level 1 on these data, and as small */
#define BLOCK_DEFLATE_LEVEL 2
#define EVENT_FLUSH 4096 /* kept events that trigger a flush */
#define READER_SCAN_VALUES ((size_t)1 << 17) /* read at once by a scan */
#define HDF5_HEADROOM (16 << 20) /* bytes free before HDF5 is started */
#define HDF5_WRITE_ROOM (2 << 20) /* bytes free before a run is written */

#if defined(__GNUC__)
#define FMT(a, b) __attribute__((format(printf, a, b)))
#else
#define FMT(a, b)
#endif

/* ---- dimensions and the variable table --------------------------------- */

enum { DIM_RUN, DIM_TIME, DIM_AGENT, DIM_PARTNER, DIM_GOOD, DIM_EVENT,
       DIM_ROUTE, DIM_SCENARIO, DIM_PARAM, DIM_COUNT };

static const char *const dim_names[DIM_COUNT] = {
    "run", "time", "agent", "partner", "good", "event", "route", "scenario",
    "param"};

#define MAX_RANK 6 /* scenario, run, time, agent, partner, good */

/* The dimensions of a record variable after (run, time). */
/* Shapes are the model's (vars.h): VAR_AG, VAR_APG, ... */

static const struct {
    int rank;
    int dim[3];
} shape_dims[] = {
    [VAR_AG] = {2, {DIM_AGENT, DIM_GOOD, 0}},
    [VAR_APG] = {3, {DIM_AGENT, DIM_PARTNER, DIM_GOOD}},
    [VAR_AP] = {2, {DIM_AGENT, DIM_PARTNER, 0}},
    [VAR_G] = {1, {DIM_GOOD, 0, 0}},
    [VAR_A] = {1, {DIM_AGENT, 0, 0}},
    [VAR_BLOC] = {0, {0, 0, 0}},
    [VAR_RG] = {2, {DIM_ROUTE, DIM_GOOD, 0}},
};

#define U_GOOD "good units (see good_unit)"
#define U_GOOD_M "good units month-1 (see good_unit)"
#define U_PRICE "USD per good unit (see good_unit)"

/* One row per variable: name (also the model_state field), shape, units,
 * long_name.  Order is the order in the file. */
#define OUTPUT_VARS(X)                                                        \
    X(stock, VAR_AG, U_GOOD, "stock at the end of the month")                  \
    X(capacity, VAR_AG, U_GOOD_M, "production capacity")                       \
    X(production, VAR_AG, U_GOOD_M, "production")                              \
    X(consumption, VAR_AG, U_GOOD_M, "domestic consumption met from stock")    \
    X(shortfall, VAR_AG, U_GOOD_M, "domestic demand not met")                  \
    X(demand, VAR_AG, U_GOOD_M, "domestic final demand")                       \
    X(imports, VAR_AG, U_GOOD_M,                                               \
      "imports, rest of the world included")                                  \
    X(exports, VAR_AG, U_GOOD_M, "exports, rest of the world included")        \
    X(fire, VAR_AG, U_GOOD_M, "war demand met (fired, launched, used)")       \
    X(duds, VAR_AG, U_GOOD_M, "delivered units that failed")                   \
    X(shut_in, VAR_AG, U_GOOD_M, "output cut because no one could carry or take it") \
    X(supplier_share, VAR_AG, "1",                                             \
      "share of suppliers willing to sell to the war agent")                  \
    X(unit_cost, VAR_AG, "USD", "cost of one unit to the war budget")          \
    X(world_imports, VAR_AG, U_GOOD_M, "imports from the rest of the world")   \
    X(world_exports, VAR_AG, U_GOOD_M, "exports to the rest of the world")     \
    X(flow, VAR_APG, U_GOOD_M,                                                 \
      "shipped from agent to partner, before interdiction")                   \
    X(interdicted, VAR_APG, U_GOOD_M,                                          \
      "lost to interdiction on the way from agent to partner")                \
    X(route_flow, VAR_RG, U_GOOD_M,                                            \
      "shipped on the route, both directions, before interdiction")           \
    X(route_interdicted, VAR_RG, U_GOOD_M,                                     \
      "lost to interdiction on the route, both directions")                   \
    X(route_share, VAR_RG, "1", "share of the pair's flow senders put on the route") \
    X(trade_value, VAR_AP, "USD month-1",                                      \
      "value of strategic goods shipped from agent to partner")               \
    X(civilian_trade, VAR_AP, "USD month-1",                                   \
      "civilian (gravity) trade from agent to partner")                       \
    X(usd_share, VAR_AP, "1", "share of agent-partner settlement in USD")      \
    X(payment_friction, VAR_AP, "1", "share of the pair's payments that fail") \
    X(alt_payment, VAR_AP, "USD month-1",                                      \
      "payments the pair can settle outside exposed banks")                   \
    X(cancelled, VAR_AP, "USD month-1",                                        \
      "trade from agent to partner cancelled by failed payments")             \
    X(crisis, VAR_AP, "1", "pair in crisis (1) or not (0)")                    \
    X(cooperation, VAR_AP, "1", "affinity times trade ties (cohesion's graph)") \
    X(affinity, VAR_AP, "1", "affinity of agent to partner")                   \
    X(rivalry, VAR_AP, "1", "rivalry between agent and partner")               \
    X(price, VAR_G, U_PRICE, "world reference price")                          \
    X(discount, VAR_AG, "1", "discount on the agent's export price")           \
    X(sanctions, VAR_A, "1", "Western sanctions pressure")                     \
    X(gdp, VAR_A, "USD month-1", "nominal GDP")                                \
    X(member, VAR_A, "1", "bloc member (1) or not (0)")                        \
    X(treasury, VAR_A, "USD", "liquid balance of the treasury")                 \
    X(reserve, VAR_A, "USD", "reserve fund (e.g. Russia's National Wealth Fund)") \
    X(debt, VAR_A, "USD", "borrowed over the run")                             \
    X(revenue, VAR_A, "USD month-1", "government revenue")                     \
    X(spending, VAR_A, "USD month-1", "government spending")                   \
    X(oil_revenue, VAR_A, "USD month-1", "government revenue from oil")        \
    X(war_budget, VAR_A, "USD month-1", "war money of the month after cuts")   \
    X(shadow_fleet, VAR_A, "barrel month-1", "shadow-fleet capacity")          \
    X(shadow_share, VAR_A, "1",                                                \
      "share of its oil sold to the world on the shadow fleet")               \
    X(cohesion, VAR_BLOC, "1", "bloc cohesion: mean affinity among members")   \
    X(connectivity, VAR_BLOC, "1",                                             \
      "algebraic connectivity of the members' affinity graph per member")     \
    X(hub_share, VAR_BLOC, "1",                                                \
      "share of intra-bloc trade value that touches the busiest member")

typedef struct {
    const char *name;
    var_shape shape;
    const char *units;
    const char *long_name;
    /* the values come from the model's variable of the same name (vars.h) */
} out_var;

#define VAR_ROW(nm, sh, u, ln) {#nm, sh, u, ln},
#define VAR_NAME(nm, sh, u, ln) #nm,
static const out_var var_table[] = {OUTPUT_VARS(VAR_ROW)};
static const char *const var_names[] = {OUTPUT_VARS(VAR_NAME) NULL};
#define N_VARS (sizeof var_table / sizeof var_table[0])

/* The event table's columns, 1-D on the event dimension. */
typedef enum { COL_INT, COL_DOUBLE, COL_STRING } col_type;
enum { EC_SCENARIO, EC_RUN, EC_STEP, EC_KIND, EC_ACTOR, EC_TARGET, EC_VALUE,
       EC_LABEL, EC_COUNT };

static const struct {
    const char *name;
    col_type type;
    const char *units; /* NULL for strings */
    const char *long_name;
} ev_cols[EC_COUNT] = {
    /* only with a scenario dimension */
    {"event_scenario", COL_STRING, NULL,
     "scenario in which the event happened"},
    {"event_run", COL_INT, "1", "run in which the event happened"},
    {"event_step", COL_INT, "1", "step (month from the start) it applied at"},
    {"event_kind", COL_STRING, NULL, "kind of event"},
    {"event_actor", COL_STRING, NULL, "acting agent code (empty: none)"},
    {"event_target", COL_STRING, NULL, "target agent code (empty: none)"},
    {"event_value", COL_DOUBLE, "various (see event_kind and event_label)",
     "value set, added or transferred, or size of the flare-up"},
    {"event_label", COL_STRING, NULL, "parameter path or route name"},
};

/* ---- the writer -------------------------------------------------------- */

/* An event kept until output_close(), its label copied (owned). */
typedef struct {
    model_event ev;
    int scen, run;
    size_t seq; /* order of arrival */
} kept_event;

struct output {
    char *path, *tmp, *dir;
    char err[1024];
    char what[160];      /* "run 3" or "run 3 of scenario B", for messages */
    hid_t file, vstr;
    hid_t dxpl; /* transfer: a small conversion buffer (default 1 MiB) */
    hid_t coord[DIM_COUNT];
    hid_t step, good_unit, seed;
    hid_t param_value, point; /* sweeps: (run, param) and (run) */
    int n_params;
    int max_block; /* output_opts.runs_per_chunk */
    int block; /* runs in a chunk of every record variable (0: see
                * record_chunk) */
    hid_t var[N_VARS]; /* -1: not selected */
    hid_t col[EC_COUNT];
    /* fixed by output_open(); output_run_alloc() reads only these */
    int selected[N_VARS];
    size_t inner[N_VARS]; /* elements of one record of each variable */
    int n, g, nr, n_runs, n_rec, every;
    int n_scen;          /* scenarios; 1 without a scenario dimension */
    int scen_dim;        /* the file has a scenario dimension */
    char **scen_names;   /* [n_scen] with a scenario dimension */
    char *codes;         /* n agent codes, PARAM_NAME_MAX apart */
    /* changed by output_write_run() only */
    unsigned char *written;    /* [n_scen * n_runs]: (scenario, run) done */
    unsigned long long *seeds; /* [n_runs] seed written for each run */
    int *seed_scen;            /* [n_runs] scenario that wrote it, -1: none */
    kept_event *kept;          /* events not yet in the file */
    size_t n_kept, cap_kept;
    size_t ev_rows;            /* event rows already in the file */
    size_t low;                /* (scenario, run) keys below are all written */
    size_t flushed_low;        /* low at the last flush: the kept events
                                * are all above it (a flush before low
                                * moves would find nothing to write) */
    /* the single-run API */
    output_run *cur;     /* allocated at the first output_begin_run() */
    int run;             /* run being buffered, -1 between runs */
    unsigned long run_seed;
};

/* One run's records: buffers of the selected variables in one block. */
struct output_run {
    int n, g, nr, n_rec, every;
    const state_var *sv[N_VARS]; /* where each variable's values live */
    double *buf[N_VARS]; /* [n_rec * inner], NULL: not selected */
    size_t inner[N_VARS];
    double *block;
    size_t n_values;
    char err[256];
};

int output_var_known(const char *name)
{
    for (size_t v = 0; v < N_VARS; v++)
        if (strcmp(var_table[v].name, name) == 0)
            return 1;
    return 0;
}

const char *const *output_var_names(void) { return var_names; }

int output_n_records(const model_params *p)
{
    return p->g.every > 0 ? p->g.months / p->g.every : 0;
}

/* ---- errors ------------------------------------------------------------ */

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

/* The most telling line of the HDF5 error stack: the system's error message
 * when there is one, else the innermost description.  Clears the stack. */
static void h5_reason(char *buf, size_t len)
{
    reason_walk w = {buf, len, 0};
    snprintf(buf, len, "HDF5 error");
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, reason_cb, &w);
    H5Eclear2(H5E_DEFAULT);
}

/* Format "<what> in <file>: <HDF5 reason>" into o->err; returns -1. */
FMT(2, 3) static int fail(output *o, const char *fmt, ...)
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

/* Format "<what>: <strerror>" into o->err; returns -1. */
FMT(3, 4) static int fail_sys(output *o, int errnum, const char *fmt, ...)
{
    char what[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    snprintf(o->err, sizeof o->err, "%s: %s", what, strerror(errnum));
    return -1;
}

/* ---- small HDF5 helpers ------------------------------------------------ */

/* A string type: variable length (for datasets) or fixed `size`
 * (for attributes, which netCDF reads as text). */
static hid_t string_type(size_t size)
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
    hid_t t = string_type(len ? len : 1);
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

static double bytes_of(int rank, const hsize_t *c)
{
    double b = sizeof(double);
    for (int a = 0; a < rank; a++)
        b *= (double)c[a];
    return b;
}

/* Chunk of a record variable ([scenario,] run, time, ...), the run axis
 * at `ra`: `block` runs' whole series (the same number of runs for every
 * variable, so that a block of runs fills one chunk of each); with block
 * 0 (one run of some variable is over CHUNK_MAX), one scenario's and
 * run's series, split along time (then agent...) above CHUNK_MAX. */
static void record_chunk(int rank, int ra, const hsize_t *dims, int block,
                         hsize_t *chunk)
{
    for (int a = 0; a <= ra; a++)
        chunk[a] = 1;
    for (int a = ra + 1; a < rank; a++)
        chunk[a] = dims[a];
    if (block > 0) {
        chunk[ra] = (hsize_t)block;
        return;
    }
    for (int a = ra + 1; a < rank && bytes_of(rank, chunk) > CHUNK_MAX; a++) {
        double rest = bytes_of(rank, chunk) / (double)chunk[a];
        double c = floor(CHUNK_MAX / rest);
        chunk[a] = c < 1.0 ? 1 : (hsize_t)c;
    }
}

/* The run axis of a record variable ([scenario,] run, time, ...), or -1
 * for any other dataset. */
static int record_run_axis(int rank, const int *dim)
{
    if (rank >= 2 && dim[0] == DIM_RUN && dim[1] == DIM_TIME)
        return 0;
    if (rank >= 3 && dim[0] == DIM_SCENARIO && dim[1] == DIM_RUN &&
        dim[2] == DIM_TIME)
        return 1;
    return -1;
}

static int is_record(int rank, const int *dim)
{
    return record_run_axis(rank, dim) >= 0;
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
    default: return 0; /* DIM_EVENT grows */
    }
}

/* Storage of a dataset: creation order tracked, and for record variables
 * and event columns chunking and (numbers only) deflate, after shuffle
 * for the event columns.  The record variables are not shuffled: their
 * doubles repeat whole (zeros, flat series), which deflate finds better
 * in place (a sweep's file is 15% smaller, and as fast to write). */
static int set_storage(hid_t dcpl, hid_t ftype, int rank, const int *dim,
                       const hsize_t *dims, int block)
{
    static const double nan_fill = NAN;
    hsize_t chunk[MAX_RANK];
    int compress = H5Tis_variable_str(ftype) <= 0;
    if (H5Pset_attr_creation_order(dcpl, H5P_CRT_ORDER_TRACKED |
                                             H5P_CRT_ORDER_INDEXED) < 0)
        return -1;
    if (is_record(rank, dim)) {
        record_chunk(rank, record_run_axis(rank, dim), dims, block, chunk);
        if (H5Pset_fill_value(dcpl, H5T_NATIVE_DOUBLE, &nan_fill) < 0)
            return -1;
    } else if (dim[0] == DIM_EVENT) {
        chunk[0] = EVENT_CHUNK;
    } else {
        return 0;
    }
    if (H5Pset_chunk(dcpl, rank, chunk) < 0)
        return -1;
    if (compress && ((!is_record(rank, dim) && H5Pset_shuffle(dcpl) < 0) ||
                     H5Pset_deflate(dcpl, DEFLATE_LEVEL) < 0))
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

static hid_t create_dataset(output *o, const char *name, hid_t ftype,
                            int rank, const int *dim)
{
    hsize_t dims[MAX_RANK], maxdims[MAX_RANK];
    for (int a = 0; a < rank; a++) {
        dims[a] = dim_size(o, dim[a]);
        maxdims[a] = dim[a] == DIM_EVENT ? H5S_UNLIMITED : dims[a];
    }
    hid_t space = H5Screate_simple(rank, dims, maxdims);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    hid_t dapl = H5Pcreate(H5P_DATASET_ACCESS);
    hid_t ds = -1;
    if (space >= 0 && dcpl >= 0 && dapl >= 0 &&
        set_storage(dcpl, ftype, rank, dim, dims, o->block) == 0 &&
        H5Pset_chunk_cache(dapl, 521, chunk_cache_bytes(dcpl, ftype), 1.0) >= 0)
        ds = H5Dcreate2(o->file, name, ftype, space, H5P_DEFAULT, dcpl, dapl);
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
                        dim_names[dim[a]], name);
    return 0;
}

/* Create a variable with its scales attached, units (when not NULL),
 * long_name and, for record variables, a NaN _FillValue. */
static hid_t create_var(output *o, const char *name, hid_t ftype, int rank,
                        const int *dim, const char *units,
                        const char *long_name)
{
    static const double nan_fill = NAN;
    hid_t ds = create_dataset(o, name, ftype, rank, dim);
    if (ds < 0)
        return -1;
    int bad = attach_scales(o, ds, name, rank, dim) < 0 ||
              (units && attr_text(o, ds, name, "units", units) < 0) ||
              attr_text(o, ds, name, "long_name", long_name) < 0 ||
              (is_record(rank, dim) &&
               attr_scalar(o, ds, name, "_FillValue", H5T_IEEE_F64LE,
                           H5T_NATIVE_DOUBLE, &nan_fill) < 0);
    if (bad) {
        H5Dclose(ds);
        return -1;
    }
    return ds;
}

static int write_whole(output *o, hid_t ds, const char *name, hid_t mtype,
                       const void *buf)
{
    if (H5Dwrite(ds, mtype, H5S_ALL, H5S_ALL, o->dxpl, buf) < 0)
        return fail(o, "cannot write '%s'", name);
    return 0;
}

/* ---- file setup -------------------------------------------------------- */

static int make_paths(output *o, const char *path)
{
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    size_t dlen = (size_t)(base - path);
    size_t tlen = strlen(path) + 32;
    o->path = strdup(path);
    o->tmp = malloc(tlen);
    o->dir = !slash ? strdup(".") : strndup(path, dlen > 1 ? dlen - 1 : 1);
    if (!o->path || !o->tmp || !o->dir)
        return fail_sys(o, ENOMEM, "cannot create %s", path);
    snprintf(o->tmp, tlen, "%.*s.%s.tmp.%ld", (int)dlen, path, base,
             (long)getpid());
    if (base[0] == '\0')
        return fail_sys(o, EISDIR, "cannot create %s", path);
    return 0;
}

/* Create the temporary file, first with open(2) so that a missing or
 * unwritable directory is reported with the system's own words. */
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

static int create_file(output *o)
{
    struct stat st;
    if (stat(o->path, &st) == 0 && S_ISDIR(st.st_mode))
        return fail_sys(o, EISDIR, "cannot create %s", o->path);
    int fd = open(o->tmp, O_WRONLY | O_CREAT | O_TRUNC, 0666);
    if (fd < 0)
        return fail_sys(o, errno, "cannot create %s", o->path);
    close(fd);
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
        o->file = H5Fcreate(o->tmp, H5F_ACC_TRUNC, fcpl, fapl);
    if (o->file < 0)
        fail(o, "cannot create HDF5 file");
    if (fcpl >= 0)
        H5Pclose(fcpl);
    if (fapl >= 0)
        H5Pclose(fapl);
    if (o->file < 0) {
        unlink(o->tmp);
        return -1;
    }
    return 0;
}

static void default_history(char *buf, size_t len)
{
    time_t now = time(NULL);
    struct tm tmv;
    char stamp[32] = "";
    if (gmtime_r(&now, &tmv))
        strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tmv);
    snprintf(buf, len, "%s: written by %s", stamp, PROGRAM);
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
    snprintf(title, sizeof title, "%s results: scenario %s", PROGRAM,
             p->g.name);
    snprintf(source, sizeof source, "%s %s (git commit %s)", PROGRAM,
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
    for (int k = 0; k < opts->n_attrs; k++)
        if (attr_text(o, f, "/", opts->attr_names[k], opts->attr_values[k]) < 0)
            return -1;
    return 0;
}

/* A coordinate variable: created, made a dimension scale, written. */
static int create_coord(output *o, int d, hid_t ftype, const char *units,
                        const char *long_name, hid_t mtype, const void *vals)
{
    const char *name = dim_names[d];
    hid_t ds = create_dataset(o, name, ftype, 1, &d);
    if (ds < 0)
        return -1;
    o->coord[d] = ds;
    if (H5DSset_scale(ds, name) < 0)
        return fail(o, "cannot make '%s' a dimension scale", name);
    if ((units && attr_text(o, ds, name, "units", units) < 0) ||
        attr_text(o, ds, name, "long_name", long_name) < 0)
        return -1;
    return d == DIM_EVENT ? 0 : write_whole(o, ds, name, mtype, vals);
}

typedef struct {
    int *run, *step;
    double *time;
    const char **agent, **good, **unit, **route, **route_a, **route_b;
    const char **scen_config;
    const char *const *param;
} coord_values;

static void coord_values_free(coord_values *c)
{
    free(c->scen_config);
    free(c->run);
    free(c->step);
    free(c->time);
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
    if (!c->scen_config)
        return fail_sys(o, ENOMEM, "cannot create %s", o->path);
    for (int k = 0; k < o->n_scen; k++)
        c->scen_config[k] = opts->scenario_configs && opts->scenario_configs[k]
                                ? opts->scenario_configs[k]
                                : "";
    c->run = calloc((size_t)o->n_runs, sizeof *c->run);
    c->step = calloc((size_t)o->n_rec, sizeof *c->step);
    c->time = calloc((size_t)o->n_rec, sizeof *c->time);
    c->agent = calloc((size_t)o->n, sizeof *c->agent);
    c->good = calloc((size_t)o->g, sizeof *c->good);
    c->unit = calloc((size_t)o->g, sizeof *c->unit);
    c->route = calloc((size_t)o->nr + 1, sizeof *c->route);
    c->route_a = calloc((size_t)o->nr + 1, sizeof *c->route_a);
    c->route_b = calloc((size_t)o->nr + 1, sizeof *c->route_b);
    if (!c->run || !c->step || !c->time || !c->agent || !c->good ||
        !c->unit || !c->route || !c->route_a || !c->route_b)
        return fail_sys(o, ENOMEM, "cannot create %s", o->path);
    for (int r = 0; r < o->nr; r++) {
        c->route[r] = p->routes[r].name;
        c->route_a[r] = p->routes[r].ia < 0 ? ROUTE_WORLD /* a hub */
                                            : p->agents[p->routes[r].ia].code;
        c->route_b[r] = p->agents[p->routes[r].ib].code;
    }
    for (int r = 0; r < o->n_runs; r++)
        c->run[r] = r;
    for (int r = 0; r < o->n_rec; r++) {
        c->step[r] = (r + 1) * o->every - 1;
        c->time[r] = model_days_since_start(p, c->step[r]);
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
    if (o->scen_dim &&
        create_coord(o, DIM_SCENARIO, vs, NULL,
                     "scenario of a paired comparison (the runs of every "
                     "scenario share their seeds)",
                     vs, o->scen_names) < 0)
        return -1;
    if (create_coord(o, DIM_RUN, H5T_STD_I32LE, "1", "run index",
                     H5T_NATIVE_INT, c->run) < 0 ||
        create_coord(o, DIM_TIME, H5T_IEEE_F64LE, tunits,
                     "time (first day of the month recorded)",
                     H5T_NATIVE_DOUBLE, c->time) < 0 ||
        create_coord(o, DIM_AGENT, vs, NULL, "agent (state) code", vs,
                     c->agent) < 0 ||
        create_coord(o, DIM_PARTNER, vs, NULL, "partner agent code", vs,
                     c->agent) < 0 ||
        create_coord(o, DIM_GOOD, vs, NULL, "good", vs, c->good) < 0 ||
        create_coord(o, DIM_EVENT, H5T_STD_I32LE, "1", "event row index",
                     H5T_NATIVE_INT, NULL) < 0)
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
    hid_t t = o->coord[DIM_TIME];
    if (attr_text(o, t, "time", "calendar", "standard") < 0 ||
        attr_text(o, t, "time", "standard_name", "time") < 0 ||
        attr_text(o, t, "time", "axis", "T") < 0)
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

/* step(time), good_unit(good), seed(run), scenario_config(scenario) and
 * route_a, route_b(route); seeds are written per run. */
static int create_aux(output *o, const coord_values *c)
{
    int time_dim = DIM_TIME, good_dim = DIM_GOOD, run_dim = DIM_RUN;
    o->step = create_var(o, "step", H5T_STD_I32LE, 1, &time_dim, "1",
                         "index of the monthly step recorded (0: start month)");
    if (o->step < 0 ||
        write_whole(o, o->step, "step", H5T_NATIVE_INT, c->step) < 0)
        return -1;
    o->good_unit = create_var(o, "good_unit", o->vstr, 1, &good_dim, NULL,
                              "unit of one good");
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
        int pv[2] = {DIM_RUN, DIM_PARAM};
        o->param_value = create_var(o, "param_value", H5T_IEEE_F64LE, 2, pv, "1",
                                    "value of each swept parameter in the run "
                                    "(in the parameter's own unit)");
        o->point = create_var(o, "point", H5T_STD_I32LE, 1, &run_dim, "1",
                              "design point of the run (-1: run not done)");
        if (o->param_value < 0 || o->point < 0)
            return -1;
        /* -1 marks a run not (yet) done */
        int *none = malloc((size_t)o->n_runs * sizeof *none);
        if (!none)
            return fail_sys(o, ENOMEM, "cannot create %s", o->path);
        for (int r = 0; r < o->n_runs; r++)
            none[r] = -1;
        int bad = write_whole(o, o->point, "point", H5T_NATIVE_INT, none) < 0;
        free(none);
        if (bad)
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
        rc = create_aux(o, &c);
    coord_values_free(&c);
    return rc;
}

static size_t var_inner(const output *o, const out_var *v)
{
    size_t e = 1;
    for (int a = 0; a < shape_dims[v->shape].rank; a++)
        e *= (size_t)dim_size(o, shape_dims[v->shape].dim[a]);
    return e;
}

/* Leading dimensions of the record variables: ([scenario,] run, time). */
static int record_lead(const output *o)
{
    return o->scen_dim ? 3 : 2;
}

static int create_record_var(output *o, size_t v)
{
    const out_var *d = &var_table[v];
    int dim[MAX_RANK], lead = record_lead(o), k = 0;
    if (o->scen_dim)
        dim[k++] = DIM_SCENARIO;
    dim[k++] = DIM_RUN;
    dim[k++] = DIM_TIME;
    int rank = lead + shape_dims[d->shape].rank;
    for (int a = lead; a < rank; a++)
        dim[a] = shape_dims[d->shape].dim[a - lead];
    o->var[v] = create_var(o, d->name, H5T_IEEE_F64LE, rank, dim, d->units,
                           d->long_name);
    return o->var[v] < 0 ? -1 : 0;
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
        size_t v = 0;
        while (v < N_VARS && strcmp(var_table[v].name, opts->vars[i]) != 0)
            v++;
        if (v == N_VARS) {
            snprintf(o->err, sizeof o->err,
                     "cannot create %s: unknown output variable '%s'",
                     o->path ? o->path : "a result file", opts->vars[i]);
            return -1;
        }
        selected[v] = 1;
    }
    /* without routes there is no route axis to record on */
    for (size_t v = 0; v < N_VARS; v++) {
        if (o->nr == 0 && var_table[v].shape == VAR_RG)
            selected[v] = 0;
        o->inner[v] = selected[v] ? var_inner(o, &var_table[v]) : 0;
    }
    o->block = block_runs(o);
    return 0;
}

static int create_event_cols(output *o)
{
    char kinds[512] = "kind of event:";
    int dim = DIM_EVENT;
    for (int k = 0; k < EV_KIND_COUNT; k++) {
        size_t len = strlen(kinds);
        snprintf(kinds + len, sizeof kinds - len, " %s", event_kind_names[k]);
    }
    for (int c = o->scen_dim ? 0 : EC_SCENARIO + 1; c < EC_COUNT; c++) {
        hid_t ft = ev_cols[c].type == COL_INT      ? H5T_STD_I32LE
                   : ev_cols[c].type == COL_DOUBLE ? H5T_IEEE_F64LE
                                                   : o->vstr;
        o->col[c] = create_var(o, ev_cols[c].name, ft, 1, &dim, ev_cols[c].units,
                               c == EC_KIND ? kinds : ev_cols[c].long_name);
        if (o->col[c] < 0)
            return -1;
    }
    return 0;
}

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

/* Book-keeping of the runs written: which, and with which seed. */
static int alloc_books(output *o)
{
    size_t runs = (size_t)o->n_runs;
    o->written = calloc(runs * (size_t)o->n_scen, 1);
    o->seeds = calloc(runs, sizeof *o->seeds);
    o->seed_scen = malloc(runs * sizeof *o->seed_scen);
    if (!o->written || !o->seeds || !o->seed_scen)
        return fail_sys(o, ENOMEM, "cannot create %s", o->path);
    for (size_t r = 0; r < runs; r++)
        o->seed_scen[r] = -1;
    return 0;
}

static output *output_new(const model_params *p, const output_opts *opts)
{
    output *o = calloc(1, sizeof *o);
    if (!o)
        return NULL;
    o->file = o->vstr = o->step = o->good_unit = o->seed = o->dxpl = -1;
    o->param_value = o->point = -1;
    for (int d = 0; d < DIM_COUNT; d++)
        o->coord[d] = -1;
    for (size_t v = 0; v < N_VARS; v++)
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
    if (make_paths(o, opts->path) < 0 || check_args(o, p, opts) < 0 ||
        select_vars(o, opts, selected) < 0 || copy_scenarios(o, opts) < 0 ||
        copy_codes(o, p) < 0 || alloc_books(o) < 0 || create_file(o) < 0)
        return -1;
    o->vstr = string_type(H5T_VARIABLE);
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
        if (selected[v] && create_record_var(o, v) < 0)
            return -1;
    return create_event_cols(o);
}

static void output_free(output *o)
{
    output_run_free(o->cur);
    for (int k = 0; o->scen_names && k < o->n_scen; k++)
        free(o->scen_names[k]);
    free(o->scen_names);
    free(o->written);
    free(o->seeds);
    free(o->seed_scen);
    for (size_t e = 0; e < o->n_kept; e++)
        free((char *)o->kept[e].ev.label);
    free(o->kept);
    free(o->codes);
    free(o->path);
    free(o->tmp);
    free(o->dir);
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

/* ---- run buffers ------------------------------------------------------- */

output_run *output_run_alloc(const output *o)
{
    if (!o)
        return NULL;
    output_run *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->n = o->n;
    r->g = o->g;
    r->nr = o->nr;
    r->n_rec = o->n_rec;
    r->every = o->every;
    for (size_t v = 0; v < N_VARS; v++)
        if (o->selected[v]) {
            r->sv[v] = state_var_find(var_table[v].name);
            if (!r->sv[v]) { /* the two tables disagree: a build error */
                free(r);
                return NULL;
            }
            r->inner[v] = o->inner[v];
            r->n_values += (size_t)o->n_rec * o->inner[v];
        }
    r->block = malloc((r->n_values ? r->n_values : 1) * sizeof *r->block);
    if (!r->block) {
        free(r);
        return NULL;
    }
    size_t at = 0;
    for (size_t v = 0; v < N_VARS; v++)
        if (o->selected[v]) {
            r->buf[v] = r->block + at;
            at += (size_t)o->n_rec * o->inner[v];
        }
    output_run_reset(r);
    return r;
}

void output_run_free(output_run *r)
{
    if (!r)
        return;
    free(r->block);
    free(r);
}

void output_run_reset(output_run *r)
{
    if (!r)
        return;
    for (size_t e = 0; e < r->n_values; e++)
        r->block[e] = NAN;
    r->err[0] = '\0';
}

const char *output_run_error(const output_run *r)
{
    return r ? r->err : "no run buffer";
}

/* Does s have the sizes r was made for?  Routes count only when recorded. */
static int run_fits(const output_run *r, const model_state *s)
{
    if (s->n != r->n || s->g != r->g)
        return 0;
    for (size_t v = 0; v < N_VARS; v++)
        if (r->buf[v] && var_table[v].shape == VAR_RG && s->p &&
            s->p->n_routes != r->nr)
            return 0;
    return 1;
}

int output_run_record(output_run *r, const model_state *s)
{
    if (!r)
        return -1;
    if (!s || !run_fits(r, s)) {
        snprintf(r->err, sizeof r->err, "state and file differ in size");
        return -1;
    }
    if (s->t < 0 || (s->t + 1) % r->every != 0)
        return 0;
    int rec = (s->t + 1) / r->every - 1;
    if (rec >= r->n_rec) {
        snprintf(r->err, sizeof r->err,
                 "step %d is past the %d records of a run", s->t, r->n_rec);
        return -1;
    }
    for (size_t v = 0; v < N_VARS; v++) {
        if (!r->buf[v])
            continue;
        double *dst = r->buf[v] + (size_t)rec * r->inner[v];
        memcpy(dst, state_var_values(s, r->sv[v]), r->inner[v] * sizeof *dst);
    }
    return 0;
}

/* ---- writing a run ----------------------------------------------------- */

/* Write `count` elements starting at `start` of a dataset of `rank` axes. */
static int write_slab(output *o, hid_t ds, const char *name, int rank,
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

static int write_run_var(output *o, size_t v, int scen, int run,
                         const double *buf)
{
    const out_var *d = &var_table[v];
    hsize_t start[MAX_RANK] = {0}, count[MAX_RANK];
    int k = 0, lead = record_lead(o);
    if (o->scen_dim) {
        start[k] = (hsize_t)scen;
        count[k++] = 1;
    }
    start[k] = (hsize_t)run;
    count[k++] = 1;
    count[k++] = (hsize_t)o->n_rec;
    int rank = lead + shape_dims[d->shape].rank;
    for (int a = lead; a < rank; a++)
        count[a] = dim_size(o, shape_dims[d->shape].dim[a - lead]);
    return write_slab(o, o->var[v], d->name, rank, start, count,
                      H5T_NATIVE_DOUBLE, buf);
}

static const char *agent_code(const output *o, int i)
{
    return i >= 0 && i < o->n ? o->codes + (size_t)i * PARAM_NAME_MAX : "";
}

/* Event rows as columns, in one allocation. */
typedef struct {
    int *run, *step, *row;
    double *value;
    const char **scen, **kind, **actor, **target, **label;
} event_cols;

static int event_cols_fill(output *o, const kept_event *k, size_t n,
                           event_cols *c)
{
    c->row = malloc(n * sizeof *c->row);
    c->run = malloc(n * sizeof *c->run);
    c->step = malloc(n * sizeof *c->step);
    c->value = malloc(n * sizeof *c->value);
    c->scen = malloc(n * sizeof *c->scen);
    c->kind = malloc(n * sizeof *c->kind);
    c->actor = malloc(n * sizeof *c->actor);
    c->target = malloc(n * sizeof *c->target);
    c->label = malloc(n * sizeof *c->label);
    if (!c->row || !c->run || !c->step || !c->value || !c->scen ||
        !c->kind || !c->actor || !c->target || !c->label)
        return fail_sys(o, ENOMEM, "cannot write events to %s", o->path);
    for (size_t e = 0; e < n; e++) {
        const model_event *ev = &k[e].ev;
        c->row[e] = (int)e;
        c->scen[e] = o->scen_dim ? o->scen_names[k[e].scen] : "";
        c->run[e] = k[e].run;
        c->step[e] = ev->step;
        c->value[e] = ev->value;
        c->kind[e] = ev->kind >= 0 && ev->kind < EV_KIND_COUNT
                         ? event_kind_names[ev->kind]
                         : "unknown";
        c->actor[e] = agent_code(o, ev->actor);
        c->target[e] = agent_code(o, ev->target);
        c->label[e] = ev->label ? ev->label : "";
    }
    return 0;
}

static void event_cols_free(event_cols *c)
{
    free(c->row);
    free(c->run);
    free(c->step);
    free(c->value);
    free(c->scen);
    free(c->kind);
    free(c->actor);
    free(c->target);
    free(c->label);
}

static int extend(output *o, hid_t ds, const char *name, hsize_t size)
{
    if (H5Dset_extent(ds, &size) < 0)
        return fail(o, "cannot extend '%s'", name);
    return 0;
}

/* Room in *arr (capacity *cap, doubling from 64) for `need` events.  0,
 * or -1 when memory is short (*arr unchanged). */
static int kept_room(kept_event **arr, size_t *cap, size_t need)
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

/* Keep a run's events until output_close(), their labels copied (they
 * point into the caller's model state). */
static int keep_events(output *o, int scen, int run, const model_event *ev,
                       int n_ev)
{
    size_t n = (size_t)n_ev;
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
    for (size_t e = 0; rc == 0 && e < n; e++)
        c.row[e] = (int)(o->ev_rows + e);
    const void *data[EC_COUNT] = {c.scen, c.run, c.step, c.kind, c.actor,
                                  c.target, c.value, c.label};
    if (rc == 0)
        rc = extend(o, o->coord[DIM_EVENT], "event", total) < 0 ||
                     write_slab(o, o->coord[DIM_EVENT], "event", 1, &start,
                                &count, H5T_NATIVE_INT, c.row) < 0
                 ? -1
                 : 0;
    for (int k = 0; rc == 0 && k < EC_COUNT; k++) {
        hid_t mt = ev_cols[k].type == COL_INT      ? H5T_NATIVE_INT
                   : ev_cols[k].type == COL_DOUBLE ? H5T_NATIVE_DOUBLE
                                                   : o->vstr;
        if (o->col[k] < 0)
            continue; /* event_scenario without a scenario dimension */
        if (extend(o, o->col[k], ev_cols[k].name, total) < 0 ||
            write_slab(o, o->col[k], ev_cols[k].name, 1, &start, &count, mt,
                       data[k]) < 0)
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

/* At close: every kept event. */
static int write_events(output *o)
{
    return flush_events(o, (size_t)-1);
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
    char buf[320];
    const char *why =
        write_refused(o, scenario, run, seed, r, ev, n_ev, buf, sizeof buf);
    if (why) {
        snprintf(o->err, sizeof o->err, "cannot write %s to %s: %s", o->what,
                 o->path, why);
        return -1;
    }
    for (size_t v = 0; v < N_VARS; v++)
        if (o->var[v] >= 0 &&
            write_run_var(o, v, scenario, run, r->buf[v]) < 0)
            return -1;
    if (o->seed_scen[run] < 0) {
        unsigned long long s = seed;
        hsize_t start = (hsize_t)run, one = 1;
        if (write_slab(o, o->seed, "seed", 1, &start, &one, H5T_NATIVE_ULLONG,
                       &s) < 0)
            return -1;
        o->seeds[run] = s;
        o->seed_scen[run] = scenario;
    }
    if (n_ev > 0 && keep_events(o, scenario, run, ev, n_ev) < 0)
        return -1;
    o->written[(size_t)scenario * (size_t)o->n_runs + (size_t)run] = 1;
    /* events of the runs below the first unwritten one are final */
    size_t keys = (size_t)o->n_scen * (size_t)o->n_runs;
    while (o->low < keys && o->written[o->low])
        o->low++;
    if (o->n_kept >= EVENT_FLUSH && o->low > o->flushed_low &&
        flush_events(o, o->low) < 0)
        return -1;
    return 0;
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
    return write_slab(o, o->param_value, "param_value", 2, start, count,
                      H5T_NATIVE_DOUBLE, values) < 0 ||
                   write_slab(o, o->point, "point", 1, start, count, H5T_NATIVE_INT,
                              &point) < 0
               ? -1
               : 0;
}

/* ---- blocks of runs, written a chunk at a time ------------------------- */

struct output_block {
    int runs;                       /* runs in a block (o->block) */
    int n, g, nr, n_rec, every, n_runs, n_params;
    int selected[N_VARS];
    size_t per_run[N_VARS];         /* values of one run: n_rec * inner */
    double *data[N_VARS];           /* [runs * per_run] */
    unsigned char *packed[N_VARS];  /* the compressed chunk */
    size_t packed_len[N_VARS], packed_cap[N_VARS];
    int index, first, count;        /* block, its first run, runs in the file */
    unsigned char *filled;          /* [runs] */
    int n_filled;
    unsigned long long *seeds;      /* [runs] */
    int *points;                    /* [runs] */
    double *values;                 /* [runs * n_params] */
    kept_event *ev;                 /* the filled runs' events, labels owned */
    size_t n_ev, cap_ev;
    struct libdeflate_compressor *z;
    char err[256];
};

int output_block_runs(const output *o)
{
    return o && !o->scen_dim ? o->block : 0;
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

static void block_drop_events(output_block *b)
{
    for (size_t e = 0; e < b->n_ev; e++)
        free((char *)b->ev[e].ev.label);
    b->n_ev = 0;
}

void output_block_free(output_block *b)
{
    if (!b)
        return;
    block_drop_events(b);
    for (size_t v = 0; v < N_VARS; v++) {
        free(b->data[v]);
        free(b->packed[v]);
    }
    free(b->filled);
    free(b->seeds);
    free(b->points);
    free(b->values);
    free(b->ev);
    if (b->z)
        libdeflate_free_compressor(b->z);
    free(b);
}

output_block *output_block_alloc(const output *o)
{
    if (output_block_runs(o) < 1)
        return NULL;
    output_block *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    b->runs = o->block;
    b->n = o->n;
    b->g = o->g;
    b->nr = o->nr;
    b->n_rec = o->n_rec;
    b->every = o->every;
    b->n_runs = o->n_runs;
    b->n_params = o->n_params;
    size_t runs = (size_t)b->runs;
    int bad = !(b->filled = calloc(runs, 1)) ||
              !(b->seeds = calloc(runs, sizeof *b->seeds)) ||
              !(b->points = calloc(runs, sizeof *b->points)) ||
              !(b->values = calloc(runs * (size_t)(b->n_params + 1), sizeof *b->values)) ||
              !(b->z = libdeflate_alloc_compressor(BLOCK_DEFLATE_LEVEL));
    for (size_t v = 0; !bad && v < N_VARS; v++) {
        if (!(b->selected[v] = o->selected[v]))
            continue;
        b->per_run[v] = (size_t)o->n_rec * o->inner[v];
        size_t bytes = runs * b->per_run[v] * sizeof(double);
        b->packed_cap[v] = libdeflate_zlib_compress_bound(b->z, bytes);
        bad = !(b->data[v] = malloc(bytes)) ||
              !(b->packed[v] = malloc(b->packed_cap[v]));
    }
    if (bad) {
        output_block_free(b);
        return NULL;
    }
    output_block_start(b, 0);
    return b;
}

void output_block_start(output_block *b, int index)
{
    if (!b)
        return;
    block_drop_events(b);
    b->index = index;
    b->first = index * b->runs;
    b->count = b->n_runs - b->first < b->runs ? b->n_runs - b->first : b->runs;
    if (b->count < 0)
        b->count = 0;
    memset(b->filled, 0, (size_t)b->runs);
    b->n_filled = 0;
    b->err[0] = '\0';
}

int output_block_index(const output_block *b) { return b ? b->index : -1; }

int output_block_filled(const output_block *b) { return b ? b->n_filled : 0; }

const char *output_block_error(const output_block *b)
{
    return b ? b->err : "no block";
}

/* The run's seed, point, values and events into its slot. */
static int block_put_info(output_block *b, int slot, unsigned long seed,
                          const model_event *ev, int n_ev, int point,
                          const double *values)
{
    size_t n = n_ev > 0 ? (size_t)n_ev : 0;
    if (kept_room(&b->ev, &b->cap_ev, b->n_ev + n) < 0)
        return -1;
    for (size_t e = 0; e < n; e++) {
        kept_event *k = &b->ev[b->n_ev];
        k->ev = ev[e];
        k->scen = 0;
        k->run = b->first + slot;
        k->seq = e;
        if (ev[e].label && !(k->ev.label = strdup(ev[e].label)))
            return -1;
        b->n_ev++;
    }
    b->seeds[slot] = seed;
    b->points[slot] = point;
    if (b->n_params > 0 && values)
        memcpy(b->values + (size_t)slot * (size_t)b->n_params, values,
               (size_t)b->n_params * sizeof *values);
    b->filled[slot] = 1;
    b->n_filled++;
    return 0;
}

int output_block_put(output_block *b, int run, unsigned long seed,
                     const output_run *r, const model_event *ev, int n_ev,
                     int point, const double *values)
{
    if (!b || !r)
        return -1;
    int slot = run - b->first;
    const char *why = slot < 0 || slot >= b->count ? "it is not in the block"
                      : b->filled[slot]            ? "it is in the block already"
                      : n_ev < 0 || (n_ev > 0 && !ev) ? "bad event list"
                      : r->n != b->n || r->g != b->g || r->nr != b->nr ||
                              r->n_rec != b->n_rec || r->every != b->every
                          ? "the run buffer was made for another file"
                          : NULL;
    for (size_t v = 0; !why && v < N_VARS; v++)
        if (b->selected[v] != (r->buf[v] != NULL) ||
            (r->buf[v] && r->n_rec * r->inner[v] != b->per_run[v]))
            why = "the run buffer was made for another file";
    if (why) {
        snprintf(b->err, sizeof b->err, "cannot put run %d in block %d: %s", run,
                 b->index, why);
        return -1;
    }
    for (size_t v = 0; v < N_VARS; v++)
        if (b->selected[v])
            memcpy(b->data[v] + (size_t)slot * b->per_run[v], r->buf[v],
                   b->per_run[v] * sizeof(double));
    if (block_put_info(b, slot, seed, ev, n_ev, point, values) < 0) {
        snprintf(b->err, sizeof b->err, "cannot put run %d in block %d: out of "
                 "memory for its events", run, b->index);
        return -1;
    }
    return 0;
}

int output_block_pack(output_block *b)
{
    if (!b)
        return -1;
    for (size_t v = 0; v < N_VARS; v++) {
        if (!b->selected[v])
            continue;
        for (int slot = 0; slot < b->runs; slot++) /* the file's fill value */
            if (!b->filled[slot]) {
                double *d = b->data[v] + (size_t)slot * b->per_run[v];
                for (size_t e = 0; e < b->per_run[v]; e++)
                    d[e] = NAN;
            }
        size_t bytes = (size_t)b->runs * b->per_run[v] * sizeof(double);
        b->packed_len[v] = libdeflate_zlib_compress(b->z, b->data[v], bytes,
                                                    b->packed[v], b->packed_cap[v]);
        if (b->packed_len[v] == 0) { /* cannot happen with the bound's room */
            snprintf(b->err, sizeof b->err, "cannot compress block %d",
                     b->index);
            return -1;
        }
    }
    return 0;
}

/* Write `count` values of a per-run dataset from slot `from` of the block. */
static int block_slab(output *o, hid_t ds, const char *name, int rank,
                      int run, int count, int n_params, hid_t mtype,
                      const void *buf)
{
    hsize_t start[2] = {(hsize_t)run, 0}, n[2] = {(hsize_t)count, (hsize_t)n_params};
    return write_slab(o, ds, name, rank, start, n, mtype, buf);
}

/* The filled runs' seeds, points, values and events, as output_write_run
 * and output_write_point write them one run at a time. */
static int write_block_info(output *o, output_block *b)
{
    for (int s = 0; s < b->count;) {
        if (!b->filled[s]) {
            s++;
            continue;
        }
        int e = s;
        while (e < b->count && b->filled[e])
            e++;
        int run = b->first + s, n = e - s;
        if (block_slab(o, o->seed, "seed", 1, run, n, 1, H5T_NATIVE_ULLONG,
                       b->seeds + s) < 0 ||
            (o->n_params > 0 &&
             (block_slab(o, o->point, "point", 1, run, n, 1, H5T_NATIVE_INT,
                         b->points + s) < 0 ||
              block_slab(o, o->param_value, "param_value", 2, run, n, o->n_params,
                         H5T_NATIVE_DOUBLE,
                         b->values + (size_t)s * (size_t)o->n_params) < 0)))
            return -1;
        for (int k = s; k < e; k++) {
            o->seeds[b->first + k] = b->seeds[k];
            o->seed_scen[b->first + k] = 0;
            o->written[b->first + k] = 1;
        }
        s = e;
    }
    if (kept_room(&o->kept, &o->cap_kept, o->n_kept + b->n_ev) < 0)
        return fail_sys(o, ENOMEM, "cannot keep the events of %s for %s",
                        o->what, o->path);
    for (size_t e = 0; e < b->n_ev; e++) { /* the labels change owner */
        o->kept[o->n_kept + e] = b->ev[e];
        o->kept[o->n_kept + e].seq += o->n_kept;
    }
    o->n_kept += b->n_ev;
    b->n_ev = 0;
    size_t keys = (size_t)o->n_runs;
    while (o->low < keys && o->written[o->low])
        o->low++;
    if (o->n_kept >= EVENT_FLUSH && o->low > o->flushed_low &&
        flush_events(o, o->low) < 0)
        return -1;
    return 0;
}

/* Why block b cannot go to o, or NULL. */
static const char *block_refused(const output *o, const output_block *b)
{
    if (o->file < 0)
        return "the file is closed";
    if (output_block_runs(o) != b->runs || b->n != o->n || b->g != o->g ||
        b->nr != o->nr || b->n_rec != o->n_rec || b->n_runs != o->n_runs ||
        b->n_params != o->n_params)
        return "the block was made for another file";
    for (size_t v = 0; v < N_VARS; v++)
        if (b->selected[v] != o->selected[v])
            return "the block was made for another file";
    if (b->count < 1)
        return "the block is past the last run";
    for (int s = 0; s < b->count; s++)
        if (b->filled[s] && o->written[b->first + s])
            return "one of its runs was written already";
    return NULL;
}

int output_write_block(output *o, output_block *b)
{
    if (!o || !b)
        return -1;
    (void)H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    snprintf(o->what, sizeof o->what, "runs %d to %d", b->first,
             b->first + b->count - 1);
    const char *why = block_refused(o, b);
    if (why) {
        snprintf(o->err, sizeof o->err, "cannot write %s to %s: %s", o->what,
                 o->path, why);
        return -1;
    }
    hsize_t offset[MAX_RANK] = {(hsize_t)b->first};
    for (size_t v = 0; v < N_VARS; v++)
        if (b->selected[v] && b->n_filled > 0 &&
            H5Dwrite_chunk(o->var[v], H5P_DEFAULT, 0, offset, b->packed_len[v],
                           b->packed[v]) < 0)
            return fail(o, "cannot write %s of '%s'", o->what, var_table[v].name);
    return write_block_info(o, b);
}

/* ---- closing ----------------------------------------------------------- */

/* Close every dataset, then the file; the first failure is reported. */
static int close_all(output *o)
{
    int rc = 0;
    hid_t *ids[DIM_COUNT + N_VARS + EC_COUNT + 5];
    size_t n = 0;
    for (int d = 0; d < DIM_COUNT; d++)
        ids[n++] = &o->coord[d];
    for (size_t v = 0; v < N_VARS; v++)
        ids[n++] = &o->var[v];
    for (int c = 0; c < EC_COUNT; c++)
        ids[n++] = &o->col[c];
    ids[n++] = &o->step;
    ids[n++] = &o->good_unit;
    ids[n++] = &o->seed;
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

/* fsync the file, rename it to its final name, fsync the directory.  The
 * directory's fsync is best effort: the file is complete by then. */
static int publish(output *o)
{
    int fd = open(o->tmp, O_RDONLY);
    if (fd < 0)
        return fail_sys(o, errno, "cannot reopen %s to sync it", o->tmp);
    if (fsync(fd) != 0) {
        int e = errno;
        close(fd);
        return fail_sys(o, e, "cannot sync %s", o->tmp);
    }
    close(fd);
    if (rename(o->tmp, o->path) != 0)
        return fail_sys(o, errno, "cannot rename %s to %s", o->tmp, o->path);
    fd = open(o->dir, O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
    return 0;
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
    if (rc == 0 && o->file >= 0 && write_events(o) < 0)
        rc = -1;
    if (close_all(o) < 0)
        rc = -1;
    if (rc == 0)
        rc = publish(o);
    if (rc != 0) {
        unlink(o->tmp);
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
    int had_file = o->file >= 0;
    close_all(o);
    if (had_file)
        unlink(o->tmp);
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
    const double per_rec[] = {[VAR_AG] = n * g, [VAR_APG] = n * n * g,
                        [VAR_AP] = n * n, [VAR_G] = g, [VAR_A] = n,
                        [VAR_BLOC] = 1.0,
                        [VAR_RG] = (double)p->n_routes * g};
    for (size_t v = 0; v < N_VARS; v++) {
        int on = vars == NULL;
        for (int i = 0; !on && i < n_vars; i++)
            on = strcmp(vars[i], var_table[v].name) == 0;
        if (on)
            total += per_rec[var_table[v].shape];
    }
    return total * sizeof(double) * output_n_records(p) * (double)n_runs *
           (n_scenarios > 1 ? (double)n_scenarios : 1.0);
}

/* ---- reading runs back ------------------------------------------------- */

#define READER_BLOCK 1024 /* runs of seed, point, param_value read at once */
#define READER_EV_BLOCK 4096 /* event rows read at once */
#define READER_MDC_MIN ((size_t)1 << 20) /* HDF5 metadata cache, bytes */
#define READER_MDC_MAX ((size_t)4 << 20)

typedef struct {
    char *name, *value;
} reader_attr;

struct output_reader {
    char *path;
    char err[1024];
    hid_t file;
    reader_attr *attrs;
    int n_attrs;
    int n_runs, n_rec, n, g, nr, n_params, every; /* every 0: not given */
    char **agents, **goods, **routes, **params;   /* from the file */
    /* record variables in file order: var_table index and open dataset */
    int n_vars;
    size_t var_of[N_VARS];
    hid_t var_ds[N_VARS];
    int in_file[N_VARS];      /* by var_table index */
    size_t inner[N_VARS];     /* by var_table index */
    hid_t seed, point, param_value;
    /* a block of runs' seeds, points and parameter values */
    int blk_first, blk_n;
    unsigned long long *blk_seed;
    int *blk_point;
    double *blk_values;
    /* the event table, in file order, and rows ordered by run (stable) */
    size_t n_ev;
    int *ev_run, *ev_step, *ev_kind, *ev_actor, *ev_target;
    double *ev_value;
    const char **ev_label;    /* interned: lab[] */
    size_t *ev_order;         /* NULL: the file's order is by run */
    char **lab;               /* distinct labels */
    size_t n_lab, *slot, cap_slot; /* hash table of lab: index + 1, 0 empty */
    model_event *ev_out; /* the events given by output_reader_run() */
    size_t cap_out;
    hid_t vxpl;  /* reads: strings allocated on vpool (result_vlen_xfer) */
    void *vpool;
};

/* Format into r->err; returns -1.  The HDF5 error stack is cleared. */
FMT(2, 3) static int rd_fail(output_reader *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->err, sizeof r->err, fmt, ap);
    va_end(ap);
    H5Eclear2(H5E_DEFAULT);
    return -1;
}

/* "<what>: <HDF5 reason>" into r->err; returns -1. */
FMT(2, 3) static int rd_fail_h5(output_reader *r, const char *fmt, ...)
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

/* ---- attributes -------------------------------------------------------- */

/* An attribute as new text: strings as they are ("" for a null
 * dataspace), scalar integers and floats in decimal; NULL for anything
 * else or on failure. */
/* Attribute `name` of the file as text: a string as it is (read by
 * resultinfo's hardened reader), a single number printed; NULL when it is
 * absent or neither. */
static char *rd_attr_value(hid_t file, const char *name)
{
    char *val = result_attr_text(file, name);
    if (val)
        return val;
    hid_t a = H5Aopen(file, name, H5P_DEFAULT);
    hid_t t = a >= 0 ? H5Aget_type(a) : -1;
    H5T_class_t cls = t >= 0 ? H5Tget_class(t) : H5T_NO_CLASS;
    int sign = cls == H5T_INTEGER ? H5Tget_sign(t) != H5T_SGN_NONE : 0;
    if (t >= 0)
        H5Tclose(t);
    if (a >= 0)
        H5Aclose(a);
    char buf[40];
    unsigned long long u;
    long long i;
    double d;
    if (cls == H5T_INTEGER && !sign &&
        result_attr_number(file, name, H5T_NATIVE_ULLONG, &u) == 0)
        snprintf(buf, sizeof buf, "%llu", u);
    else if (cls == H5T_INTEGER && sign &&
             result_attr_number(file, name, H5T_NATIVE_LLONG, &i) == 0)
        snprintf(buf, sizeof buf, "%lld", i);
    else if (cls == H5T_FLOAT &&
             result_attr_number(file, name, H5T_NATIVE_DOUBLE, &d) == 0)
        snprintf(buf, sizeof buf, "%.17g", d);
    else
        return NULL;
    return strdup(buf);
}

/* The global attributes this program writes (and reads back), by name:
 * iterating over the attributes of a damaged file crashes libhdf5 1.10
 * (when it releases its attribute table). */
static const char *const known_attrs[] = {
    "Conventions", "title", "source", "history", "config", "master_seed",
    "scenario", "focus_agent", "start", "months", "record_every",
    "hdf5_version", "gsl_version", "libconfig_version", "sweep_hash",
    "event_log", "sweep_design", "sweep_points", "sweep_replicates", "shard"};
#define N_KNOWN_ATTRS (sizeof known_attrs / sizeof known_attrs[0])

static int rd_attrs(output_reader *r)
{
    r->attrs = calloc(N_KNOWN_ATTRS, sizeof *r->attrs);
    if (!r->attrs)
        return rd_nomem(r);
    for (size_t k = 0; k < N_KNOWN_ATTRS; k++) {
        const char *name = known_attrs[k];
        htri_t e = H5Aexists(r->file, name);
        if (e < 0)
            return rd_fail_h5(r, "cannot read the attributes of %s", r->path);
        char *val = e > 0 ? rd_attr_value(r->file, name) : NULL;
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

/* ---- datasets ---------------------------------------------------------- */

/* Open dataset `name` if it has rank `rank` and, where want[a] > 0, size
 * want[a] on axis a (dims gets the sizes, may be NULL).  -1, with a reason
 * in r->err, when it is absent or of another shape. */
static hid_t rd_open(output_reader *r, const char *name, int rank,
                     const hsize_t *want, hsize_t *dims)
{
    hsize_t d[MAX_RANK];
    if (H5Lexists(r->file, name, H5P_DEFAULT) <= 0) {
        rd_fail(r, "cannot read %s: it has no '%s' variable", r->path, name);
        return -1;
    }
    hid_t ds = H5Dopen2(r->file, name, H5P_DEFAULT);
    if (ds < 0) {
        rd_fail_h5(r, "cannot read '%s' in %s", name, r->path);
        return -1;
    }
    hid_t s = H5Dget_space(ds);
    int ok = s >= 0 && H5Sget_simple_extent_ndims(s) == rank &&
             rank <= MAX_RANK && H5Sget_simple_extent_dims(s, d, NULL) >= 0;
    for (int a = 0; ok && a < rank; a++) {
        ok = !want || want[a] == 0 || d[a] == want[a];
        if (dims)
            dims[a] = d[a];
    }
    if (s >= 0)
        H5Sclose(s);
    if (!ok) {
        H5Dclose(ds);
        rd_fail(r, "cannot read %s: '%s' does not have the shape this "
                "program writes", r->path, name);
        return -1;
    }
    return ds;
}

/* Length of the 1-D dataset `name`; 0 when absent (ok = 0 if of another
 * shape). */
static int rd_length(output_reader *r, const char *name, int *ok)
{
    hsize_t n = 0;
    *ok = 1;
    if (H5Lexists(r->file, name, H5P_DEFAULT) <= 0)
        return 0;
    hid_t ds = rd_open(r, name, 1, NULL, &n);
    if (ds < 0 || n > INT32_MAX) {
        *ok = 0;
        if (ds >= 0)
            rd_fail(r, "cannot read %s: '%s' is too long", r->path, name);
    }
    if (ds >= 0)
        H5Dclose(ds);
    return *ok ? (int)n : 0;
}

/* Elements [start, start+count) of a dataset of `rank` axes into buf
 * (memory type mtype).  0 or -1 with r->err. */
static int rd_slab(output_reader *r, hid_t ds, const char *name, int rank,
                   const hsize_t *start, const hsize_t *count, hid_t mtype,
                   void *buf)
{
    hid_t fs = H5Dget_space(ds);
    hid_t ms = H5Screate_simple(rank, count, NULL);
    int rc = 0;
    if (fs < 0 || ms < 0 ||
        H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL) < 0 ||
        H5Dread(ds, mtype, ms, fs, r->vxpl, buf) < 0)
        rc = rd_fail_h5(r, "cannot read '%s' in %s", name, r->path);
    if (fs >= 0)
        H5Sclose(fs);
    if (ms >= 0)
        H5Sclose(ms);
    return rc;
}

/* The 1-D string dataset `name` of n elements, as an array of n strings
 * in one allocation (one free()).  NULL with r->err. */
static char **rd_strings(output_reader *r, const char *name, size_t n)
{
    hsize_t want = (hsize_t)n;
    hid_t ds = rd_open(r, name, 1, &want, NULL);
    if (ds < 0)
        return NULL;
    char **raw = calloc(n ? n : 1, sizeof *raw), **out = NULL;
    hid_t t = string_type(H5T_VARIABLE);
    hid_t ft = H5Dget_type(ds);
    hid_t s = H5Dget_space(ds);
    if (!raw) {
        rd_nomem(r);
    } else if (t >= 0 && ft >= 0 && s >= 0 &&
               (H5Tget_class(ft) != H5T_STRING || H5Tis_variable_str(ft) <= 0)) {
        rd_fail(r, "cannot read %s: '%s' is not a variable of strings",
                r->path, name);
    } else if (t < 0 || ft < 0 || s < 0 ||
               (n > 0 && H5Dread(ds, t, H5S_ALL, H5S_ALL, r->vxpl, raw) < 0)) {
        rd_fail_h5(r, "cannot read '%s' in %s", name, r->path);
    } else {
        size_t bytes = n * sizeof *out;
        for (size_t i = 0; i < n; i++)
            bytes += strlen(raw[i] ? raw[i] : "") + 1;
        out = malloc(bytes ? bytes : 1);
        if (out) {
            char *at = (char *)(out + n);
            for (size_t i = 0; i < n; i++) {
                size_t len = strlen(raw[i] ? raw[i] : "");
                memcpy(at, raw[i] ? raw[i] : "", len + 1);
                out[i] = at;
                at += len + 1;
            }
        } else {
            rd_nomem(r);
        }
    }
    result_vlen_release(&r->vpool); /* the strings read, or left by a failure */
    if (s >= 0)
        H5Sclose(s);
    if (ft >= 0)
        H5Tclose(ft);
    if (t >= 0)
        H5Tclose(t);
    H5Dclose(ds);
    free(raw);
    return out;
}

/* ---- record variables -------------------------------------------------- */

static hsize_t rd_dim_size(const output_reader *r, int d)
{
    switch (d) {
    case DIM_AGENT:
    case DIM_PARTNER: return (hsize_t)r->n;
    case DIM_GOOD: return (hsize_t)r->g;
    case DIM_ROUTE: return (hsize_t)r->nr;
    default: return 0;
    }
}

/* A chunk cache that holds every chunk one run's slab touches, so that
 * reading the runs in order decompresses each chunk once. */
static void rd_chunk_cache(hid_t ds, hid_t dapl, int rank, const hsize_t *dims)
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
 * (var_table's), opened and checked.  Each is looked up by name: iterating
 * over the links of a damaged file crashes libhdf5 1.10 (a wild free when
 * it releases its link table). */
static int rd_vars(output_reader *r)
{
    for (size_t v = 0; v < N_VARS; v++) {
        htri_t e = H5Lexists(r->file, var_table[v].name, H5P_DEFAULT);
        if (e < 0)
            return rd_fail_h5(r, "cannot list the variables of %s", r->path);
        if (e > 0) {
            r->var_of[r->n_vars++] = v;
            r->in_file[v] = 1;
        }
    }
    for (int k = 0; k < r->n_vars; k++) {
        size_t v = r->var_of[k];
        const out_var *d = &var_table[v];
        hsize_t want[MAX_RANK], dims[MAX_RANK];
        int rank = 2 + shape_dims[d->shape].rank;
        want[0] = (hsize_t)r->n_runs;
        want[1] = (hsize_t)r->n_rec;
        r->inner[v] = 1;
        for (int a = 2; a < rank; a++) {
            want[a] = rd_dim_size(r, shape_dims[d->shape].dim[a - 2]);
            r->inner[v] *= (size_t)want[a];
        }
        hid_t ds = rd_open(r, d->name, rank, want, dims);
        for (int a = 0; ds >= 0 && a < rank; a++)
            if (want[a] == 0) { /* a route variable without a route axis */
                H5Dclose(ds);
                ds = -1;
                rd_fail(r, "cannot read %s: '%s' does not have the shape this "
                        "program writes", r->path, d->name);
            }
        if (ds < 0)
            return -1;
        hid_t dapl = H5Dget_access_plist(ds);
        if (dapl >= 0) {
            rd_chunk_cache(ds, dapl, rank, dims);
            H5Dclose(ds);
            ds = H5Dopen2(r->file, d->name, dapl);
            if (ds < 0) /* the reason first: the next HDF5 call clears it */
                rd_fail_h5(r, "cannot read '%s' in %s", d->name, r->path);
            H5Pclose(dapl);
        }
        if (ds < 0)
            return -1;
        r->var_ds[k] = ds;
    }
    return 0;
}

/* ---- events ------------------------------------------------------------ */

static int rd_agent_index(const output_reader *r, const char *code)
{
    if (!code[0])
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

/* Rows [first, first+count) of the event table, checked and converted:
 * kinds known, agents in the agent coordinate, runs in range. */
static int rd_event_block(output_reader *r, hid_t *ds, hid_t vt, size_t first,
                          size_t count, char **raw)
{
    static const char *const names[] = {"event_run", "event_step", "event_value",
                                        "event_kind", "event_actor",
                                        "event_target", "event_label"};
    hsize_t start = first, n = count;
    if (rd_slab(r, ds[0], names[0], 1, &start, &n, H5T_NATIVE_INT,
                r->ev_run + first) < 0 ||
        rd_slab(r, ds[1], names[1], 1, &start, &n, H5T_NATIVE_INT,
                r->ev_step + first) < 0 ||
        rd_slab(r, ds[2], names[2], 1, &start, &n, H5T_NATIVE_DOUBLE,
                r->ev_value + first) < 0)
        return -1;
    int rc = 0;
    for (int c = 0; c < 4 && rc == 0; c++)
        rc = rd_slab(r, ds[3 + c], names[3 + c], 1, &start, &n, vt,
                     raw + (size_t)c * count);
    for (size_t i = 0; rc == 0 && i < count; i++) {
        size_t e = first + i;
        const char *kind = raw[i] ? raw[i] : "";
        const char *actor = raw[count + i] ? raw[count + i] : "";
        const char *target = raw[2 * count + i] ? raw[2 * count + i] : "";
        const char *label = raw[3 * count + i] ? raw[3 * count + i] : "";
        int k = 0;
        while (k < EV_KIND_COUNT && strcmp(event_kind_names[k], kind) != 0)
            k++;
        r->ev_kind[e] = k;
        r->ev_actor[e] = rd_agent_index(r, actor);
        r->ev_target[e] = rd_agent_index(r, target);
        const char *why = k == EV_KIND_COUNT ? "an unknown kind"
                          : r->ev_actor[e] < -1 || r->ev_target[e] < -1
                              ? "an agent that is not in the agent coordinate"
                          : r->ev_run[e] < 0 || r->ev_run[e] >= r->n_runs
                              ? "a run index out of range"
                              : NULL;
        if (why)
            rc = rd_fail(r, "cannot read %s: event row %zu (run %d, %s, actor "
                         "'%s', target '%s') has %s", r->path, e, r->ev_run[e],
                         kind, actor, target, why);
        else if (!(r->ev_label[e] = rd_intern(r, label)))
            rc = rd_nomem(r);
    }
    result_vlen_release(&r->vpool); /* the strings read, or left by a failure */
    return rc;
}

/* Open the event column `name` (n rows); strings must be variable-length. */
static hid_t rd_event_col(output_reader *r, const char *name, int string)
{
    hsize_t want = (hsize_t)r->n_ev;
    hid_t ds = rd_open(r, name, 1, &want, NULL);
    if (ds < 0 || !string)
        return ds;
    hid_t t = H5Dget_type(ds);
    int ok = t >= 0 && H5Tget_class(t) == H5T_STRING && H5Tis_variable_str(t) > 0;
    if (t >= 0)
        H5Tclose(t);
    if (!ok) {
        H5Dclose(ds);
        rd_fail(r, "cannot read %s: '%s' is not a variable of strings", r->path,
                name);
        return -1;
    }
    return ds;
}

/* The whole event table, read a block of rows at a time, and (when the
 * file is not in run order, which the writer keeps) the rows ordered by
 * run for output_reader_run. */
static int rd_events(output_reader *r)
{
    static const char *const cols[7] = {"event_run", "event_step", "event_value",
                                        "event_kind", "event_actor",
                                        "event_target", "event_label"};
    int ok;
    int n = rd_length(r, "event", &ok);
    if (!ok)
        return -1;
    r->n_ev = (size_t)n;
    if (n == 0)
        return 0;
    size_t ne = r->n_ev, block = READER_EV_BLOCK;
    r->ev_run = malloc(ne * sizeof *r->ev_run);
    r->ev_step = malloc(ne * sizeof *r->ev_step);
    r->ev_kind = malloc(ne * sizeof *r->ev_kind);
    r->ev_actor = malloc(ne * sizeof *r->ev_actor);
    r->ev_target = malloc(ne * sizeof *r->ev_target);
    r->ev_value = malloc(ne * sizeof *r->ev_value);
    r->ev_label = malloc(ne * sizeof *r->ev_label);
    char **raw = calloc(4 * block, sizeof *raw);
    hid_t ds[7], vt = string_type(H5T_VARIABLE);
    int rc = 0, opened = 0;
    if (!r->ev_run || !r->ev_step || !r->ev_kind || !r->ev_actor ||
        !r->ev_target || !r->ev_value || !r->ev_label || !raw)
        rc = rd_nomem(r);
    else if (vt < 0)
        rc = rd_fail_h5(r, "cannot read %s", r->path);
    for (; rc == 0 && opened < 7; opened++)
        if ((ds[opened] = rd_event_col(r, cols[opened], opened >= 3)) < 0)
            rc = -1;
    if (rc < 0)
        opened--;
    for (size_t first = 0; rc == 0 && first < ne; first += block)
        rc = rd_event_block(r, ds, vt, first,
                            ne - first < block ? ne - first : block, raw);
    for (int c = 0; c < opened; c++)
        H5Dclose(ds[c]);
    if (vt >= 0)
        H5Tclose(vt);
    free(raw);
    if (rc < 0)
        return -1;
    /* rows by run, each run's in file order (a stable sort) */
    int sorted = 1;
    for (size_t e = 1; sorted && e < ne; e++)
        sorted = r->ev_run[e - 1] <= r->ev_run[e];
    if (sorted)
        return 0; /* ev_order NULL: the file's order */
    rd_row *rows = malloc(ne * sizeof *rows);
    r->ev_order = malloc(ne * sizeof *r->ev_order);
    if (!rows || !r->ev_order) {
        free(rows);
        return rd_nomem(r);
    }
    for (size_t e = 0; e < ne; e++) {
        rows[e].run = r->ev_run[e];
        rows[e].row = e;
    }
    qsort(rows, ne, sizeof *rows, rd_row_cmp);
    for (size_t e = 0; e < ne; e++)
        r->ev_order[e] = rows[e].row;
    free(rows);
    return 0;
}

/* ---- opening ----------------------------------------------------------- */

/* Open the file if it is HDF5 and ours, without a scenario axis. */
static int rd_file(output_reader *r)
{
    struct stat st;
    if (stat(r->path, &st) != 0)
        return rd_fail(r, "cannot open %s: %s", r->path, strerror(errno));
    if (S_ISDIR(st.st_mode))
        return rd_fail(r, "cannot open %s: %s", r->path, strerror(EISDIR));
    htri_t is = H5Fis_hdf5(r->path);
    if (is < 0 && access(r->path, R_OK) != 0)
        return rd_fail(r, "cannot open %s: %s", r->path, strerror(errno));
    if (is <= 0)
        return rd_fail(r, "cannot read %s: not an HDF5 file", r->path);
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
    r->file = H5Fopen(r->path, H5F_ACC_RDONLY, fapl >= 0 ? fapl : H5P_DEFAULT);
    if (r->file < 0) /* the reason first: the next HDF5 call clears it */
        rd_fail_h5(r, "cannot read %s: HDF5 cannot open it (damaged or "
                   "truncated?)", r->path);
    if (fapl >= 0)
        H5Pclose(fapl);
    if (r->file < 0)
        return -1;
    const char *missing = H5Lexists(r->file, "time", H5P_DEFAULT) <= 0
                              ? "'time' dimension"
                          : H5Aexists(r->file, "config") <= 0
                              ? "'config' attribute"
                              : NULL;
    if (missing)
        return rd_fail(r, "cannot read %s: not a result file of this program "
                       "(no %s)", r->path, missing);
    if (H5Lexists(r->file, "scenario", H5P_DEFAULT) > 0 ||
        H5Lexists(r->file, "event_scenario", H5P_DEFAULT) > 0)
        return rd_fail(r, "cannot read %s: it has a scenario axis (a 'sim "
                       "compare' file); runs can be read back only from files "
                       "without one", r->path);
    H5Eclear2(H5E_DEFAULT);
    return 0;
}

/* The sizes, coordinates and per-run variables. */
static int rd_coords(output_reader *r)
{
    int ok_run, ok_time, ok_agent, ok_good, ok_route, ok_param;
    r->n_runs = rd_length(r, "run", &ok_run);
    if (!ok_run)
        return -1;
    r->n_rec = rd_length(r, "time", &ok_time);
    if (!ok_time)
        return -1;
    r->n = rd_length(r, "agent", &ok_agent);
    if (!ok_agent)
        return -1;
    r->g = rd_length(r, "good", &ok_good);
    if (!ok_good)
        return -1;
    r->nr = rd_length(r, "route", &ok_route);
    if (!ok_route)
        return -1;
    r->n_params = rd_length(r, "param", &ok_param);
    if (!ok_param)
        return -1;
    const char *empty = r->n_runs < 1 ? "run" : r->n_rec < 1 ? "time"
                      : r->n < 1      ? "agent" : r->g < 1 ? "good" : NULL;
    if (empty)
        return rd_fail(r, "cannot read %s: its '%s' coordinate is missing or "
                       "empty", r->path, empty);
    if (!(r->agents = rd_strings(r, "agent", (size_t)r->n)) ||
        !(r->goods = rd_strings(r, "good", (size_t)r->g)) ||
        (r->nr > 0 && !(r->routes = rd_strings(r, "route", (size_t)r->nr))) ||
        (r->n_params > 0 &&
         !(r->params = rd_strings(r, "param", (size_t)r->n_params))))
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
    const char *every = NULL;
    for (int k = 0; k < r->n_attrs; k++)
        if (strcmp(r->attrs[k].name, "record_every") == 0)
            every = r->attrs[k].value;
    r->every = every ? atoi(every) : 0;
    r->blk_seed = malloc(READER_BLOCK * sizeof *r->blk_seed);
    r->blk_point = malloc(READER_BLOCK * sizeof *r->blk_point);
    r->blk_values = malloc(READER_BLOCK * ((size_t)r->n_params + 1) *
                           sizeof *r->blk_values);
    if (!r->blk_seed || !r->blk_point || !r->blk_values)
        return rd_nomem(r);
    return 0;
}

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
    r->file = r->seed = r->point = r->param_value = -1;
    r->vxpl = result_vlen_xfer(&r->vpool);
    for (size_t v = 0; v < N_VARS; v++)
        r->var_ds[v] = -1;
    if (r->vxpl < 0) {
        snprintf(err, errlen, "cannot read %s: out of memory", path);
        output_reader_close(r);
        return NULL;
    }
    if (rd_file(r) < 0 || rd_attrs(r) < 0 || rd_coords(r) < 0 ||
        rd_vars(r) < 0 || rd_events(r) < 0) {
        snprintf(err, errlen, "%s", r->err);
        output_reader_close(r);
        return NULL;
    }
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
    hid_t ids[] = {r->seed, r->point, r->param_value};
    for (size_t k = 0; k < sizeof ids / sizeof ids[0]; k++)
        if (ids[k] >= 0)
            H5Dclose(ids[k]);
    if (r->file >= 0)
        H5Fclose(r->file);
    if (r->vxpl >= 0)
        H5Pclose(r->vxpl);
    result_vlen_release(&r->vpool);
    H5Eclear2(H5E_DEFAULT);
    for (int k = 0; k < r->n_attrs; k++) {
        free(r->attrs[k].name);
        free(r->attrs[k].value);
    }
    free(r->attrs);
    free(r->agents);
    free(r->goods);
    free(r->routes);
    free(r->params);
    free(r->blk_seed);
    free(r->blk_point);
    free(r->blk_values);
    free(r->ev_run);
    free(r->ev_step);
    free(r->ev_kind);
    free(r->ev_actor);
    free(r->ev_target);
    free(r->ev_value);
    free(r->ev_label);
    free(r->ev_order);
    for (size_t k = 0; k < r->n_lab; k++)
        free(r->lab[k]);
    free(r->lab);
    free(r->slot);
    free(r->ev_out);
    free(r->path);
    free(r);
}

/* ---- queries ----------------------------------------------------------- */

const char *output_reader_attr(const output_reader *r, const char *name)
{
    for (int k = 0; r && name && k < r->n_attrs; k++)
        if (strcmp(r->attrs[k].name, name) == 0)
            return r->attrs[k].value;
    return NULL;
}

int output_reader_n_runs(const output_reader *r) { return r ? r->n_runs : 0; }

int output_reader_n_params(const output_reader *r) { return r ? r->n_params : 0; }

const char *output_reader_param_name(const output_reader *r, int k)
{
    return r && k >= 0 && k < r->n_params ? r->params[k] : NULL;
}

int output_reader_n_vars(const output_reader *r) { return r ? r->n_vars : 0; }

const char *output_reader_var_name(const output_reader *r, int k)
{
    return r && k >= 0 && k < r->n_vars ? var_table[r->var_of[k]].name : NULL;
}

const char *output_reader_error(const output_reader *r)
{
    return r ? r->err : "no result file";
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
        size_t v = r->var_of[k], per_run = (size_t)r->n_rec * r->inner[v];
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
        const out_var *d = &var_table[v];
        int rank = 2 + shape_dims[d->shape].rank;
        hsize_t start[MAX_RANK] = {0}, count[MAX_RANK];
        count[1] = (hsize_t)r->n_rec;
        for (int a = 2; a < rank; a++)
            count[a] = rd_dim_size(r, shape_dims[d->shape].dim[a - 2]);
        for (int first = 0; rc == 0 && first < r->n_runs; first += runs) {
            start[0] = (hsize_t)first;
            count[0] = (hsize_t)(r->n_runs - first < runs ? r->n_runs - first : runs);
            rc = rd_slab(r, r->var_ds[k], d->name, rank, start, count,
                         H5T_NATIVE_DOUBLE, buf);
            if (tick)
                tick(ctx);
        }
    }
    free(buf);
    return rc;
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

static int rd_check_run(output_reader *r, int run)
{
    if (run < 0 || run >= r->n_runs)
        return rd_fail(r, "cannot read run %d of %s: out of range (the file "
                       "has runs 0 to %d)", run, r->path, r->n_runs - 1);
    return 0;
}

/* Make run's seed, point and parameter values those of the cached block. */
static int rd_block(output_reader *r, int run)
{
    if (r->blk_n > 0 && run >= r->blk_first && run < r->blk_first + r->blk_n)
        return 0;
    int first = run - run % READER_BLOCK;
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

int output_reader_run_info(output_reader *r, int run, unsigned long *seed,
                           int *point, double *values)
{
    if (!r)
        return -1;
    if (rd_check_run(r, run) < 0 || rd_block(r, run) < 0)
        return -1;
    int i = run - r->blk_first;
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
                     "in the run buffer", var_table[v].name);
        else if (rec->buf[v] && !r->in_file[v])
            snprintf(why, sizeof why, "variable '%s' is in the run buffer but "
                     "not in the file", var_table[v].name);
        else if (rec->buf[v] && rec->inner[v] != r->inner[v])
            snprintf(why, sizeof why, "variable '%s' has another shape in the "
                     "run buffer", var_table[v].name);
    }
    if (why[0])
        return rd_fail(r, "cannot read run %d of %s: %s", run, r->path, why);
    return 0;
}

static int rd_records(output_reader *r, output_run *rec, int run)
{
    for (int k = 0; k < r->n_vars; k++) {
        size_t v = r->var_of[k];
        const out_var *d = &var_table[v];
        hsize_t start[MAX_RANK] = {0}, count[MAX_RANK];
        int rank = 2 + shape_dims[d->shape].rank;
        start[0] = (hsize_t)run;
        count[0] = 1;
        count[1] = (hsize_t)r->n_rec;
        for (int a = 2; a < rank; a++)
            count[a] = rd_dim_size(r, shape_dims[d->shape].dim[a - 2]);
        if (rd_slab(r, r->var_ds[k], d->name, rank, start, count,
                    H5T_NATIVE_DOUBLE, rec->buf[v]) < 0)
            return -1;
    }
    return 0;
}

/* Row of the event table at position k in run order. */
#define RD_ROW(r, k) ((r)->ev_order ? (r)->ev_order[k] : (k))

/* The run's events as model_events in r->ev_out; their number. */
static int rd_run_events(output_reader *r, int run, size_t *n_out)
{
    size_t lo = 0, hi = r->n_ev;
    while (lo < hi) { /* first row of the run in ev_order */
        size_t mid = lo + (hi - lo) / 2;
        if (r->ev_run[RD_ROW(r, mid)] < run)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t n = 0;
    while (lo + n < r->n_ev && r->ev_run[RD_ROW(r, lo + n)] == run)
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

int output_reader_run(output_reader *r, const model_params *p, int run,
                      output_run *rec, const model_event **ev, int *n_ev)
{
    if (ev)
        *ev = NULL;
    if (n_ev)
        *n_ev = 0;
    if (!r)
        return -1;
    (void)H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    size_t n = 0;
    if (rd_check_run(r, run) < 0 || rd_check_world(r, p, run) < 0 ||
        (rec && (rd_check_rec(r, rec, run) < 0 || rd_records(r, rec, run) < 0)) ||
        rd_run_events(r, run, &n) < 0)
        return -1;
    if (n > INT32_MAX)
        return rd_fail(r, "cannot read run %d of %s: too many events", run,
                       r->path);
    if (ev)
        *ev = n ? r->ev_out : NULL;
    if (n_ev)
        *n_ev = (int)n;
    r->err[0] = '\0';
    return 0;
}

/* ---- copying blocks between files --------------------------------------- */

/* Do the input's dataset of v and the output's have the same chunks and
 * filters, so that a chunk's bytes may be copied as they are? */
static int same_storage(hid_t in, hid_t out)
{
    hid_t a = H5Dget_create_plist(in), b = H5Dget_create_plist(out);
    hsize_t ca[MAX_RANK], cb[MAX_RANK];
    int same = a >= 0 && b >= 0 && H5Pget_layout(a) == H5D_CHUNKED &&
               H5Pget_layout(b) == H5D_CHUNKED;
    int ra = same ? H5Pget_chunk(a, MAX_RANK, ca) : -1;
    int rb = same ? H5Pget_chunk(b, MAX_RANK, cb) : -1;
    same = same && ra > 0 && ra == rb && memcmp(ca, cb, (size_t)ra * sizeof *ca) == 0;
    int nf = same ? H5Pget_nfilters(a) : -1;
    same = same && nf >= 0 && nf == H5Pget_nfilters(b);
    for (int f = 0; same && f < nf; f++) {
        unsigned fa, fb;
        size_t na = 0, nb = 0;
        H5Z_filter_t ia = H5Pget_filter2(a, (unsigned)f, &fa, &na, NULL, 0, NULL, NULL);
        H5Z_filter_t ib = H5Pget_filter2(b, (unsigned)f, &fb, &nb, NULL, 0, NULL, NULL);
        same = ia >= 0 && ia == ib;
    }
    if (a >= 0)
        H5Pclose(a);
    if (b >= 0)
        H5Pclose(b);
    H5Eclear2(H5E_DEFAULT);
    return same;
}

int output_copy_block(output *o, output_reader *in, const model_params *p,
                      output_block *b, int index)
{
    if (!o || !in || !b)
        return -1;
    output_block_start(b, index);
    if (b->count < 1 || in->n_runs != o->n_runs)
        return 1;
    hsize_t offset[MAX_RANK] = {(hsize_t)b->first};
    for (size_t v = 0; v < N_VARS; v++) {
        if (!b->selected[v])
            continue;
        int k = 0;
        while (k < in->n_vars && in->var_of[k] != v)
            k++;
        if (k == in->n_vars || !same_storage(in->var_ds[k], o->var[v]))
            return 1;
        hsize_t size = 0;
        uint32_t mask = 0;
        if (H5Dget_chunk_storage_size(in->var_ds[k], offset, &size) < 0 || size == 0) {
            H5Eclear2(H5E_DEFAULT);
            return 1;
        }
        if (size > b->packed_cap[v]) {
            unsigned char *grown = realloc(b->packed[v], (size_t)size);
            if (!grown) {
                snprintf(o->err, sizeof o->err, "cannot copy runs %d to %d from "
                         "%s: out of memory", b->first, b->first + b->count - 1,
                         in->path);
                return -1;
            }
            b->packed[v] = grown;
            b->packed_cap[v] = (size_t)size;
        }
        if (H5Dread_chunk(in->var_ds[k], H5P_DEFAULT, offset, &mask, b->packed[v]) < 0) {
            char why[400];
            h5_reason(why, sizeof why);
            snprintf(o->err, sizeof o->err, "cannot read runs %d to %d of '%s' "
                     "from %s: %s", b->first, b->first + b->count - 1,
                     var_table[v].name, in->path, why);
            return -1;
        }
        if (mask != 0)
            return 1; /* a filter was skipped: not our kind of chunk */
        b->packed_len[v] = (size_t)size;
    }
    double *values = b->n_params > 0 ? malloc((size_t)b->n_params * sizeof *values) : NULL;
    if (b->n_params > 0 && !values) {
        snprintf(o->err, sizeof o->err, "cannot copy runs from %s: out of memory",
                 in->path);
        return -1;
    }
    int rc = 0;
    for (int s = 0; rc == 0 && s < b->count; s++) {
        unsigned long seed;
        int point, n_ev, run = b->first + s;
        const model_event *ev;
        int d = output_reader_run_info(in, run, &seed, &point, values);
        if (d == 0)
            rc = 1; /* not every run of the block is in this input */
        else if (d < 0 || output_reader_run(in, p, run, NULL, &ev, &n_ev) < 0) {
            snprintf(o->err, sizeof o->err, "%s", output_reader_error(in));
            rc = -1;
        } else if (block_put_info(b, s, seed, ev, n_ev, point, values) < 0) {
            snprintf(o->err, sizeof o->err, "cannot copy run %d from %s: out of "
                     "memory", run, in->path);
            rc = -1;
        }
    }
    free(values);
    if (rc != 0) {
        block_drop_events(b);
        return rc;
    }
    return output_write_block(o, b) < 0 ? -1 : 0;
}
