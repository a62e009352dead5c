/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * posterior.c - ABC-SMC histories and their files (see posterior.h).
 */
#include "posterior.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <hdf5.h>
#include <hdf5_hl.h>

#include "io/config.h"
#include "io/result/h5read.h"
#include "io/result/output.h"
#include "model/seedhash.h"
#include "version.h"

/* ---- the history in memory ---------------------------------------------- */

smc_history *smc_history_alloc(int N, int d, int m)
{
    smc_history *h = calloc(1, sizeof *h);
    if (!h)
        return NULL;
    h->N = N;
    h->d = d;
    h->m = m;
    return h;
}

void smc_history_free(smc_history *h)
{
    if (!h)
        return;
    free(h->theta);
    free(h->weight);
    free(h->distance);
    free(h->stats);
    free(h->tolerance);
    free(h->ess);
    free(h->acceptance);
    free(h->simulations);
    free(h->proposals);
    free(h->seconds);
    free(h);
}

static int grow(double **a, size_t n)
{
    size_t bytes = n * sizeof(double);
    double *g = realloc(*a, bytes > 0 ? bytes : sizeof(double));
    if (!g)
        return -1;
    *a = g;
    return 0;
}

int smc_history_grow(smc_history *h)
{
    if (h->n_gen < h->cap_gen)
        return 0;
    size_t cap = h->cap_gen ? 2 * (size_t)h->cap_gen : 8;
    size_t N = (size_t)h->N;
    if (grow(&h->theta, cap * N * h->d) || grow(&h->weight, cap * N) ||
        grow(&h->distance, cap * N) || grow(&h->stats, cap * N * h->m) ||
        grow(&h->tolerance, cap) || grow(&h->ess, cap) || grow(&h->acceptance, cap) ||
        grow(&h->simulations, cap) || grow(&h->proposals, cap) || grow(&h->seconds, cap))
        return -1;
    h->cap_gen = (int)cap;
    return 0;
}

/* ---- writing --------------------------------------------------------------- */

typedef struct {
    hid_t file;
    hid_t dim[4];     /* generation, particle, param, stat */
    hid_t vstr;       /* variable-length UTF-8 string */
    char *err;
    size_t errlen;
    int failed;
} writer;

enum { D_GEN, D_PARTICLE, D_PARAM, D_STAT };
static const char *const dim_names[4] = {"generation", "particle", "param", "stat"};

static int wfail(writer *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int wfail(writer *w, const char *fmt, ...)
{
    if (!w->failed) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(w->err, w->errlen, fmt, ap);
        va_end(ap);
    }
    w->failed = 1;
    return -1;
}

static int attr_text(writer *w, hid_t loc, const char *name, const char *text)
{
    if (w->failed)
        return -1;
    hid_t t = H5Tcopy(H5T_C_S1), sp = H5Screate(H5S_SCALAR), a = -1;
    size_t n = strlen(text ? text : "");
    if (t >= 0 && sp >= 0 && H5Tset_size(t, n ? n : 1) >= 0 &&
        H5Tset_cset(t, H5T_CSET_UTF8) >= 0 && H5Tset_strpad(t, H5T_STR_NULLTERM) >= 0)
        a = H5Acreate2(loc, name, t, sp, H5P_DEFAULT, H5P_DEFAULT);
    int rc = a >= 0 && H5Awrite(a, t, n ? text : "") >= 0 ? 0 : -1;
    if (a >= 0)
        H5Aclose(a);
    if (sp >= 0)
        H5Sclose(sp);
    if (t >= 0)
        H5Tclose(t);
    return rc ? wfail(w, "cannot write attribute '%s'", name) : 0;
}

static int attr_number(writer *w, hid_t loc, const char *name, hid_t ftype,
                       hid_t mtype, const void *v)
{
    if (w->failed)
        return -1;
    hid_t sp = H5Screate(H5S_SCALAR), a = -1;
    if (sp >= 0)
        a = H5Acreate2(loc, name, ftype, sp, H5P_DEFAULT, H5P_DEFAULT);
    int rc = a >= 0 && H5Awrite(a, mtype, v) >= 0 ? 0 : -1;
    if (a >= 0)
        H5Aclose(a);
    if (sp >= 0)
        H5Sclose(sp);
    return rc ? wfail(w, "cannot write attribute '%s'", name) : 0;
}

static hsize_t dim_len(const smc_history *h, int d)
{
    switch (d) {
    case D_GEN: return (hsize_t)h->n_gen;
    case D_PARTICLE: return (hsize_t)h->N;
    case D_PARAM: return (hsize_t)h->d;
    default: return (hsize_t)h->m;
    }
}

/* A dataset over dims (rank <= 3) with scales attached, long_name and
 * units, written from buf (mtype) unless a dimension is empty. */
static int variable(writer *w, const smc_history *h, const char *name, int rank,
                    const int *dims, hid_t ftype, hid_t mtype, const void *buf,
                    const char *units, const char *long_name)
{
    if (w->failed)
        return -1;
    hsize_t n[3];
    hsize_t total = 1;
    for (int a = 0; a < rank; a++) {
        n[a] = dim_len(h, dims[a]);
        total *= n[a];
    }
    hid_t sp = H5Screate_simple(rank, n, NULL);
    hid_t ds = sp >= 0 ? H5Dcreate2(w->file, name, ftype, sp, H5P_DEFAULT,
                                    H5P_DEFAULT, H5P_DEFAULT)
                       : -1;
    int rc = ds >= 0 ? 0 : -1;
    for (int a = 0; rc == 0 && a < rank; a++)
        if (H5DSattach_scale(ds, w->dim[dims[a]], (unsigned)a) < 0)
            rc = -1;
    if (rc == 0 && total > 0 && buf && H5Dwrite(ds, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0)
        rc = -1;
    if (ds >= 0) {
        if (rc == 0 && units)
            rc = attr_text(w, ds, "units", units);
        if (rc == 0)
            rc = attr_text(w, ds, "long_name", long_name);
        H5Dclose(ds);
    }
    if (sp >= 0)
        H5Sclose(sp);
    return rc ? wfail(w, "cannot write '%s'", name) : 0;
}

/* A coordinate: integers 0..n-1, or the strings `names`. */
static int coordinate(writer *w, const smc_history *h, int d,
                      const char *const *names, const char *long_name)
{
    if (w->failed)
        return -1;
    hsize_t n = dim_len(h, d);
    hid_t sp = H5Screate_simple(1, &n, NULL);
    hid_t t = names ? w->vstr : H5T_STD_I32LE;
    hid_t ds = sp >= 0 ? H5Dcreate2(w->file, dim_names[d], t, sp, H5P_DEFAULT,
                                    H5P_DEFAULT, H5P_DEFAULT)
                       : -1;
    int rc = ds >= 0 && H5DSset_scale(ds, dim_names[d]) >= 0 ? 0 : -1;
    if (rc == 0 && n > 0) {
        if (names) {
            rc = H5Dwrite(ds, w->vstr, H5S_ALL, H5S_ALL, H5P_DEFAULT, names) < 0 ? -1 : 0;
        } else {
            int *idx = malloc(n * sizeof *idx);
            for (hsize_t k = 0; idx && k < n; k++)
                idx[k] = (int)k;
            rc = !idx || H5Dwrite(ds, H5T_NATIVE_INT, H5S_ALL, H5S_ALL, H5P_DEFAULT, idx) < 0
                     ? -1
                     : 0;
            free(idx);
        }
    }
    w->dim[d] = ds;
    if (sp >= 0)
        H5Sclose(sp);
    if (rc == 0)
        rc = attr_text(w, ds, "long_name", long_name);
    return rc ? wfail(w, "cannot write the coordinate '%s'", dim_names[d]) : 0;
}

static int strings(writer *w, const smc_history *h, const char *name, int d,
                   const char *const *s, const char *long_name)
{
    return variable(w, h, name, 1, &d, w->vstr, w->vstr, s, NULL, long_name);
}

/* A text attribute on the dataset `name` written already. */
static int annotate(writer *w, const char *name, const char *attr, const char *text)
{
    if (w->failed)
        return -1;
    hid_t ds = H5Dopen2(w->file, name, H5P_DEFAULT);
    if (ds < 0)
        return wfail(w, "cannot write attribute '%s' of '%s'", attr, name);
    int rc = attr_text(w, ds, attr, text);
    H5Dclose(ds);
    return rc;
}

static int write_vars(writer *w, const posterior_meta *pm, const char *const *units)
{
    const smc_history *h = pm->h;
    static const int g_p_d[3] = {D_GEN, D_PARTICLE, D_PARAM};
    static const int g_p_s[3] = {D_GEN, D_PARTICLE, D_STAT};
    static const int g_p[2] = {D_GEN, D_PARTICLE};
    static const int g[1] = {D_GEN};
    static const int st[1] = {D_STAT};
    hid_t F64 = H5T_IEEE_F64LE, D = H5T_NATIVE_DOUBLE;
    if (coordinate(w, h, D_GEN, NULL, "ABC-SMC generation (0: draws from the prior)") ||
        coordinate(w, h, D_PARTICLE, NULL, "particle of a generation") ||
        coordinate(w, h, D_PARAM, pm->param_names, "calibrated parameter (config path)") ||
        coordinate(w, h, D_STAT, pm->stat_names, "summary statistic (measure name)") ||
        strings(w, h, "prior", D_PARAM, pm->prior_texts, "prior distribution") ||
        strings(w, h, "param_unit", D_PARAM, units,
                "unit of the calibrated parameter (from the parameter table)") ||
        variable(w, h, "param_value", 3, g_p_d, F64, D, h->theta, "1",
                 "parameter value of a particle") ||
        /* as param_value in a sweep's result file (io/result) */
        annotate(w, "param_value", "coordinates", "param_unit") ||
        annotate(w, "param_value", "units_metadata", "param_unit") ||
        annotate(w, "param_value", "comment",
                 "The parameters have units of their own: the values of "
                 "parameter p are in param_unit(p); units is the factor "
                 "common to all (1).") ||
        variable(w, h, "weight", 2, g_p, F64, D, h->weight, "1",
                 "normalised importance weight of a particle") ||
        variable(w, h, "distance", 2, g_p, F64, D, h->distance, "1",
                 "distance of a particle's statistics to the targets "
                 "(deviations over scales: their largest, or root mean square)") ||
        variable(w, h, "stat_value", 3, g_p_s, F64, D, h->stats, NULL,
                 "simulated summary statistic of a particle") ||
        variable(w, h, "tolerance", 1, g, F64, D, h->tolerance, "1",
                 "tolerance of a generation (accepted distances are at most this)") ||
        variable(w, h, "ess", 1, g, F64, D, h->ess, "1",
                 "effective sample size of a generation (1 / sum of squared weights)") ||
        variable(w, h, "acceptance_rate", 1, g, F64, D, h->acceptance, "1",
                 "particles accepted per simulation") ||
        variable(w, h, "simulations", 1, g, F64, D, h->simulations, "1",
                 "simulations of the model in a generation") ||
        variable(w, h, "proposals", 1, g, F64, D, h->proposals, "1",
                 "proposals in a generation (those outside the prior too)") ||
        variable(w, h, "seconds", 1, g, F64, D, h->seconds, "s",
                 "wall time of a generation") ||
        variable(w, h, "target_value", 1, st, F64, D, pm->observed, NULL,
                 "public figure of a target (NaN for a plain measure)") ||
        variable(w, h, "target_low", 1, st, F64, D, pm->low, NULL,
                 "low end of the range accepted") ||
        variable(w, h, "target_high", 1, st, F64, D, pm->high, NULL,
                 "high end of the range accepted") ||
        variable(w, h, "stat_scale", 1, st, F64, D, pm->scale, NULL,
                 "scale of a statistic in the distance (half the range)") ||
        variable(w, h, "stat_weight", 1, st, F64, D, pm->weight, "1",
                 "weight of a statistic in the distance (0: left out)") ||
        strings(w, h, "stat_role", D_STAT, pm->stat_roles,
                "role: fit, out of sample, identity (not evidence) or measure") ||
        strings(w, h, "stat_label", D_STAT, pm->stat_labels, "description") ||
        strings(w, h, "stat_unit", D_STAT, pm->stat_units, "unit of the statistic") ||
        strings(w, h, "stat_date", D_STAT, pm->stat_dates,
                "last month the statistic measures (YYYY-MM)"))
        return -1;
    return 0;
}

/* The global attributes: text, and numbers as numbers. */
static int write_attrs(writer *w, const posterior_meta *pm)
{
    const smc_history *h = pm->h;
    char source[256];
    snprintf(source, sizeof source, "bloc-sim %s (git commit %s)", sim_version, sim_commit);
    int converged = pm->converged, N = h->N, gens = h->n_gen;
    hid_t f = w->file;
    if (attr_text(w, f, "Conventions", "CF-1.8") ||
        attr_text(w, f, "title", "bloc-sim calibration: ABC-SMC posterior") ||
        attr_text(w, f, "source", source) ||
        attr_text(w, f, "history", pm->history ? pm->history : "") ||
        attr_text(w, f, "config", pm->config_text ? pm->config_text : "") ||
        attr_text(w, f, "targets", pm->targets_text ? pm->targets_text : "") ||
        attr_text(w, f, "status", pm->status) ||
        attr_text(w, f, "status_reason", pm->reason ? pm->reason : "") ||
        attr_text(w, f, "fit_hash", pm->fit_hash ? pm->fit_hash : "") ||
        attr_number(w, f, "converged", H5T_STD_I32LE, H5T_NATIVE_INT, &converged) ||
        attr_number(w, f, "particles", H5T_STD_I32LE, H5T_NATIVE_INT, &N) ||
        attr_number(w, f, "generations", H5T_STD_I32LE, H5T_NATIVE_INT, &gens) ||
        attr_number(w, f, "master_seed", H5T_STD_U64LE, H5T_NATIVE_ULLONG, &pm->seed))
        return -1;
    for (int k = 0; k < pm->n_settings; k++)
        if (attr_number(w, f, pm->settings[k].name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE,
                        &pm->settings[k].value))
            return -1;
    return 0;
}

static int write_body(writer *w, const posterior_meta *pm)
{
    const smc_history *h = pm->h;
    const char **units = calloc((size_t)h->d + 1, sizeof *units);
    if (!units)
        return wfail(w, "out of memory");
    for (int k = 0; k < h->d; k++)
        units[k] = pm->param_units && pm->param_units[k] ? pm->param_units[k] : "1";
    int rc = write_vars(w, pm, units);
    free(units);
    return rc ? -1 : write_attrs(w, pm);
}

int posterior_write(const char *path, const posterior_meta *pm, char *err,
                    size_t errlen)
{
    output_library_init();
    /* the temporary (checked, registered, stale ones removed), then the
     * HDF5 file in it */
    publish_file *pf = publish_begin(path, pm->inputs, NULL, err, errlen);
    if (!pf)
        return -1;
    publish_close_fd(pf); /* HDF5 opens it by name */
    writer w = {.file = -1, .dim = {-1, -1, -1, -1}, .vstr = -1, .err = err,
                .errlen = errlen};
    hid_t fcpl = H5Pcreate(H5P_FILE_CREATE), fapl = H5Pcreate(H5P_FILE_ACCESS);
    unsigned order = H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED;
    if (fcpl >= 0 && fapl >= 0 && H5Pset_link_creation_order(fcpl, order) >= 0 &&
        H5Pset_attr_creation_order(fcpl, order) >= 0 &&
        H5Pset_libver_bounds(fapl, H5F_LIBVER_V18, H5F_LIBVER_V18) >= 0)
        w.file = H5Fcreate(publish_temp(pf), H5F_ACC_TRUNC, fcpl, fapl);
    if (fcpl >= 0)
        H5Pclose(fcpl);
    if (fapl >= 0)
        H5Pclose(fapl);
    if (w.file < 0) {
        snprintf(err, errlen, "cannot create %s: HDF5 cannot create the file", path);
        publish_abort(pf);
        H5Eclear2(H5E_DEFAULT);
        return -1;
    }
    w.vstr = H5Tcopy(H5T_C_S1);
    if (w.vstr < 0 || H5Tset_size(w.vstr, H5T_VARIABLE) < 0 ||
        H5Tset_cset(w.vstr, H5T_CSET_UTF8) < 0)
        wfail(&w, "cannot make a string type");
    write_body(&w, pm);
    for (int d = 0; d < 4; d++)
        if (w.dim[d] >= 0)
            H5Dclose(w.dim[d]);
    if (w.vstr >= 0)
        H5Tclose(w.vstr);
    if (H5Fclose(w.file) < 0)
        wfail(&w, "cannot close the file");
    if (w.failed) {
        char why[512];
        snprintf(why, sizeof why, "%s", err);
        snprintf(err, errlen, "cannot write %s: %s", path, why);
        publish_abort(pf);
        H5Eclear2(H5E_DEFAULT);
        return -1;
    }
    /* synced, checked again, renamed, the directory synced */
    return publish_commit(pf, pm->inputs, err, errlen) == PUBLISH_OK ? 0 : -1;
}

/* ---- reading --------------------------------------------------------------- */

void posterior_file_free(posterior_file *f)
{
    if (!f)
        return;
    smc_history_free(f->h);
    free(f->param_names);
    free(f->status);
    free(f->reason);
    free(f->fit_hash);
    free(f->history);
    free(f);
}

/* The whole dataset `name` of rank `rank` and exactly the given shape. */
static int read_all(h5read_ctx *c, hid_t file, const char *name, int rank,
                    const hsize_t *shape, double *buf)
{
    hsize_t start[3] = {0, 0, 0};
    hsize_t total = 1;
    for (int a = 0; a < rank; a++)
        total *= shape[a];
    hid_t ds = h5read_dataset(c, file, name, rank, shape, NULL);
    if (ds < 0)
        return -1;
    /* a dimension of length 0 is taken as any by h5read_dataset */
    hsize_t dims[3];
    hid_t sp = H5Dget_space(ds);
    int ok = sp >= 0 && H5Sget_simple_extent_dims(sp, dims, NULL) == rank;
    for (int a = 0; ok && a < rank; a++)
        ok = dims[a] == shape[a];
    if (sp >= 0)
        H5Sclose(sp);
    int rc = !ok ? h5read_fail(c, "cannot read %s: '%s' does not have the shape "
                               "this program writes", c->path, name)
             : total > 0 ? h5read_slab(c, ds, name, rank, start, shape,
                                       H5T_NATIVE_DOUBLE, buf)
                         : 0;
    H5Dclose(ds);
    return rc;
}

/* The sizes and attributes: 0, or -1 with err. */
static int read_head(h5read_ctx *c, hid_t file, posterior_file *f, int *particles,
                     int *gens, size_t *d, size_t *m)
{
    int ok[4];
    int nd = h5read_length(c, file, "param", &ok[0]);
    int nm = h5read_length(c, file, "stat", &ok[1]);
    int np = h5read_length(c, file, "particle", &ok[2]);
    int ng = h5read_length(c, file, "generation", &ok[3]);
    H5Eclear2(H5E_DEFAULT);
    if (h5read_attr_number(file, "particles", H5T_NATIVE_INT, particles) ||
        h5read_attr_number(file, "generations", H5T_NATIVE_INT, gens) ||
        !(f->status = h5read_attr_text(file, "status")) || nd <= 0)
        return h5read_fail(c, "%s is not a posterior file of sim calibrate", c->path);
    f->reason = h5read_attr_text(file, "status_reason");
    f->fit_hash = h5read_attr_text(file, "fit_hash");
    f->history = h5read_attr_text(file, "history");
    if (!f->history)
        f->history = strdup("");
    if (h5read_attr_number(file, "converged", H5T_NATIVE_INT, &f->converged) ||
        !f->reason || !f->fit_hash || !f->history || !ok[0] || !ok[1] || !ok[2] ||
        !ok[3] || *particles < 1 || *particles > 10000000 || *gens < 0 ||
        *gens > 100000 || nd > 10000 || nm > 100000 || np != *particles || ng != *gens)
        return h5read_fail(c, "%s: a damaged posterior file (attributes do not "
                           "match the dimensions)", c->path);
    *d = (size_t)nd;
    *m = (size_t)nm;
    return 0;
}

posterior_file *posterior_read(const char *path, char *err, size_t errlen)
{
    output_library_init();
    hid_t file = h5read_open(path, H5P_DEFAULT, err, errlen);
    if (file < 0)
        return NULL;
    void *pool = NULL;
    h5read_ctx c = {.path = path, .err = err, .errlen = errlen,
                    .xfer = h5read_xfer(&pool), .pool = &pool};
    posterior_file *f = calloc(1, sizeof *f);
    int particles = 0, gens = 0;
    size_t d = 0, m = 0;
    if (!f || c.xfer < 0) {
        snprintf(err, errlen, "cannot read %s: out of memory", path);
        goto bad;
    }
    if (read_head(&c, file, f, &particles, &gens, &d, &m))
        goto bad;
    f->d = (int)d;
    if (!(f->param_names = h5read_strings(&c, file, "param", d)))
        goto bad;
    if (!(f->h = smc_history_alloc(particles, (int)d, (int)m))) {
        snprintf(err, errlen, "cannot read %s: out of memory", path);
        goto bad;
    }
    for (f->h->n_gen = 0; f->h->cap_gen < gens; f->h->n_gen = f->h->cap_gen)
        if (smc_history_grow(f->h)) {
            snprintf(err, errlen, "cannot read %s: out of memory", path);
            goto bad;
        }
    f->h->n_gen = gens;
    hsize_t G = (hsize_t)gens, N = (hsize_t)particles;
    hsize_t s3d[3] = {G, N, d}, s3m[3] = {G, N, m}, s2[2] = {G, N}, s1[1] = {G};
    if (read_all(&c, file, "param_value", 3, s3d, f->h->theta) ||
        read_all(&c, file, "weight", 2, s2, f->h->weight) ||
        read_all(&c, file, "distance", 2, s2, f->h->distance) ||
        (m > 0 && read_all(&c, file, "stat_value", 3, s3m, f->h->stats)) ||
        read_all(&c, file, "tolerance", 1, s1, f->h->tolerance) ||
        read_all(&c, file, "ess", 1, s1, f->h->ess) ||
        read_all(&c, file, "acceptance_rate", 1, s1, f->h->acceptance) ||
        read_all(&c, file, "simulations", 1, s1, f->h->simulations) ||
        read_all(&c, file, "proposals", 1, s1, f->h->proposals) ||
        read_all(&c, file, "seconds", 1, s1, f->h->seconds)) {
        char why[1024];
        snprintf(why, sizeof why, "%s", err);
        snprintf(err, errlen, "%s: a damaged posterior file (cannot read its "
                 "generations: %s)", path, why);
        goto bad;
    }
    H5Pclose(c.xfer);
    h5read_release(&pool);
    H5Fclose(file);
    H5Eclear2(H5E_DEFAULT);
    return f;
bad:
    if (c.xfer >= 0)
        H5Pclose(c.xfer);
    h5read_release(&pool);
    H5Fclose(file);
    H5Eclear2(H5E_DEFAULT);
    posterior_file_free(f);
    return NULL;
}

/* ---- drawing runs' parameters ------------------------------------------------ */

/* Domain of the hash: a run's posterior draw, not its model stream. */
#define PICK_TAG 0x706f737465726f72ULL /* "posteror" */

int posterior_pick(const posterior_file *f, unsigned long long master, int run)
{
    const smc_history *h = f->h;
    const double *w = h->weight + (size_t)(h->n_gen - 1) * h->N;
    double u = seed_uniform(seed_hash(seed_hash(master, PICK_TAG), (uint64_t)run));
    double total = 0.0;
    for (int k = 0; k < h->N; k++)
        total += w[k];
    double target = u * total, cum = 0.0;
    for (int k = 0; k < h->N; k++) {
        cum += w[k];
        if (target < cum)
            return k;
    }
    for (int k = h->N - 1; k > 0; k--) /* rounding: the last with weight */
        if (w[k] > 0)
            return k;
    return 0;
}

int posterior_bind(const posterior_file *f, const model_params *p,
                   param_ref *refs, char *err, size_t errlen)
{
    if (!f->h || f->h->n_gen < 1) {
        snprintf(err, errlen, "the posterior holds no generation");
        return -1;
    }
    for (int k = 0; k < f->d; k++) {
        char why[300];
        if (config_resolve_path(p, f->param_names[k], &refs[k], why, sizeof why)) {
            snprintf(err, errlen, "its parameter %s: %s", f->param_names[k], why);
            return -1;
        }
        if (refs[k].def->type != PT_REAL) {
            snprintf(err, errlen, "its parameter %s is not real-valued", f->param_names[k]);
            return -1;
        }
    }
    return 0;
}

const double *posterior_particle(const posterior_file *f, int k)
{
    const smc_history *h = f->h;
    return h->theta + ((size_t)(h->n_gen - 1) * h->N + (size_t)k) * h->d;
}

void posterior_apply(const posterior_file *f, int k, const param_ref *refs,
                     model_params *p)
{
    const double *x = posterior_particle(f, k);
    for (int j = 0; j < f->d; j++)
        param_set(p, refs[j], x[j]);
}
