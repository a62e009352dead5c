/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * design.c - grids on the fly; random, Latin hypercube, Sobol and Saltelli
 * designs stored as a row-major n_points x n_axes matrix of unit-cube
 * coordinates.  (GSL's own allocators, gsl_rng_alloc and gsl_qrng_alloc,
 * call GSL's error handler when memory runs out; the default one aborts.)
 */
#include "design.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_qrng.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

struct design {
    design_kind kind;
    int n_axes, n_points;
    int base;            /* SALTELLI: N; otherwise n_points */
    design_axis *axes;   /* [n_axes]; LIST values point into `values` */
    double *values;      /* all LIST values, copied */
    double *unit;        /* [n_points * n_axes]; NULL for GRID */
    int *levels;         /* GRID: [n_axes] levels per axis */
    long long *stride;   /* GRID: [n_axes] points per step of axis a */
};

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static const char *kind_name(design_kind k)
{
    switch (k) {
    case DESIGN_GRID: return "grid";
    case DESIGN_RANDOM: return "random";
    case DESIGN_LHS: return "lhs";
    case DESIGN_SOBOL: return "sobol";
    case DESIGN_SALTELLI: return "saltelli";
    }
    return "?";
}

/* 0, or -1 with err: one axis is well formed for a design of this kind. */
static int check_axis(design_kind kind, const design_axis *ax, int a,
                      char *err, size_t errlen)
{
    switch (ax->kind) {
    case AXIS_LIST:
        if (ax->n_values < 1 || !ax->values) {
            set_err(err, errlen, "axis %d: a list needs at least one value "
                    "(got %d)", a, ax->values ? ax->n_values : 0);
            return -1;
        }
        for (int i = 0; i < ax->n_values; i++)
            if (!isfinite(ax->values[i])) {
                set_err(err, errlen, "axis %d: list value %d is not a finite "
                        "number", a, i);
                return -1;
            }
        return 0;
    case AXIS_LINEAR:
    case AXIS_LOG: {
        const char *name = ax->kind == AXIS_LOG ? "log" : "linear";
        if (!isfinite(ax->min) || !isfinite(ax->max)) {
            set_err(err, errlen, "axis %d: %s range must be finite (got %g "
                    "to %g)", a, name, ax->min, ax->max);
            return -1;
        }
        if (ax->kind == AXIS_LOG && !(ax->min > 0)) {
            set_err(err, errlen, "axis %d: log range needs min > 0 (got "
                    "%g)", a, ax->min);
            return -1;
        }
        if (!(ax->min < ax->max)) {
            set_err(err, errlen, "axis %d: %s range needs min < max (got "
                    "%g to %g)", a, name, ax->min, ax->max);
            return -1;
        }
        if (kind == DESIGN_GRID && ax->n_values < 1) {
            set_err(err, errlen, "axis %d: a grid needs at least one level "
                    "on a %s axis (got %d)", a, name, ax->n_values);
            return -1;
        }
        return 0;
    }
    }
    set_err(err, errlen, "axis %d: unknown axis kind %d", a, (int)ax->kind);
    return -1;
}

/* Copy the axes and their list values into d. */
static int copy_axes(design *d, const design_axis *axes)
{
    size_t nv = 0;
    for (int a = 0; a < d->n_axes; a++)
        if (axes[a].kind == AXIS_LIST)
            nv += (size_t)axes[a].n_values;
    d->axes = malloc((size_t)d->n_axes * sizeof *d->axes);
    d->values = malloc((nv + 1) * sizeof *d->values);  /* + 1: never 0 */
    if (!d->axes || !d->values)
        return -1;
    size_t off = 0;
    for (int a = 0; a < d->n_axes; a++) {
        d->axes[a] = axes[a];
        if (axes[a].kind == AXIS_LIST) {
            memcpy(d->values + off, axes[a].values,
                   (size_t)axes[a].n_values * sizeof *d->values);
            d->axes[a].values = d->values + off;
            off += (size_t)axes[a].n_values;
        } else {
            d->axes[a].values = NULL;
        }
    }
    return 0;
}

static int fill_random(design *d, unsigned long seed)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    if (!r)
        return -1;
    gsl_rng_set(r, seed);
    size_t n = (size_t)d->n_points * (size_t)d->n_axes;
    for (size_t i = 0; i < n; i++)
        d->unit[i] = gsl_rng_uniform(r);
    gsl_rng_free(r);
    return 0;
}

/* (j + U) / n, nudged so that floor(u * n) == j exactly in double
 * arithmetic (for large n, j + U can round up to j + 1). */
static double stratum_point(int j, int n, double U)
{
    double u = ((double)j + U) / (double)n;
    while (u > 0 && floor(u * n) > j)
        u = nextafter(u, 0.0);
    while (u < 1 && floor(u * n) < j)
        u = nextafter(u, 1.0);
    return u;
}

static int fill_lhs(design *d, unsigned long seed)
{
    int n = d->n_points;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    int *perm = malloc((size_t)n * sizeof *perm);
    if (!r || !perm) {
        if (r)
            gsl_rng_free(r);
        free(perm);
        return -1;
    }
    gsl_rng_set(r, seed);
    for (int a = 0; a < d->n_axes; a++) {
        for (int k = 0; k < n; k++)
            perm[k] = k;
        gsl_ran_shuffle(r, perm, (size_t)n, sizeof *perm);
        for (int k = 0; k < n; k++)
            d->unit[(size_t)k * d->n_axes + a] =
                stratum_point(perm[k], n, gsl_rng_uniform(r));
    }
    free(perm);
    gsl_rng_free(r);
    return 0;
}

/* The first n points of a fresh Sobol sequence of dimension dim, into
 * out[n * dim] row-major.  GSL's sequence ends after 2^30 points, beyond
 * DESIGN_MAX_POINTS. */
static int sobol_points(int dim, int n, double *out)
{
    gsl_qrng *q = gsl_qrng_alloc(gsl_qrng_sobol, (unsigned)dim);
    if (!q)
        return -1;
    for (int k = 0; k < n; k++)
        if (gsl_qrng_get(q, out + (size_t)k * dim)) {
            gsl_qrng_free(q);
            return -1;
        }
    gsl_qrng_free(q);
    return 0;
}

static int fill_saltelli(design *d)
{
    int dim = d->n_axes, N = d->base, dd = 2 * dim;
    double *x = malloc((size_t)N * (size_t)dd * sizeof *x);
    if (!x || sobol_points(dd, N, x)) {
        free(x);
        return -1;
    }
    for (int b = 0; b < dim + 2; b++)
        for (int j = 0; j < N; j++) {
            const double *xa = x + (size_t)j * dd;  /* A row j */
            const double *xb = xa + dim;             /* B row j */
            double *row = d->unit + ((size_t)b * N + j) * dim;
            for (int a = 0; a < dim; a++)
                row[a] = b == 1 || b == 2 + a ? xb[a] : xa[a];
        }
    free(x);
    return 0;
}

static int setup_grid(design *d, char *err, size_t errlen)
{
    d->levels = malloc((size_t)d->n_axes * sizeof *d->levels);
    d->stride = malloc((size_t)d->n_axes * sizeof *d->stride);
    if (!d->levels || !d->stride) {
        set_err(err, errlen, "out of memory for a grid of %d axes",
                d->n_axes);
        return -1;
    }
    long long total = 1;
    for (int a = d->n_axes - 1; a >= 0; a--) {
        d->levels[a] = d->axes[a].n_values;
        d->stride[a] = total;
        total *= d->levels[a];
        if (total > DESIGN_MAX_POINTS) {
            set_err(err, errlen, "the grid has too many points (more than "
                    "%d): reduce the levels", DESIGN_MAX_POINTS);
            return -1;
        }
    }
    d->n_points = d->base = (int)total;
    return 0;
}

design *design_alloc(design_kind kind, const design_axis *axes, int n_axes,
                     int n_points, unsigned long seed, char *err,
                     size_t errlen)
{
    if (kind < DESIGN_GRID || kind > DESIGN_SALTELLI) {
        set_err(err, errlen, "unknown design kind %d", (int)kind);
        return NULL;
    }
    const char *name = kind_name(kind);
    if (n_axes < 1 || !axes) {
        set_err(err, errlen, "a %s design needs at least one axis", name);
        return NULL;
    }
    for (int a = 0; a < n_axes; a++)
        if (check_axis(kind, &axes[a], a, err, errlen))
            return NULL;

    long long total = 0;  /* points, for the non-grid kinds */
    if (kind != DESIGN_GRID) {
        if (n_points < 1) {
            set_err(err, errlen, "a %s design needs at least one %s "
                    "(got %d)", name,
                    kind == DESIGN_SALTELLI ? "base sample" : "point",
                    n_points);
            return NULL;
        }
        long long dim = kind == DESIGN_SALTELLI ? 2LL * n_axes : n_axes;
        if ((kind == DESIGN_SOBOL || kind == DESIGN_SALTELLI) &&
            dim > DESIGN_MAX_SOBOL_DIM) {
            if (kind == DESIGN_SALTELLI)
                set_err(err, errlen, "a saltelli design of %d axes needs a "
                        "Sobol sequence of dimension %lld; GSL's goes up to "
                        "%d (at most %d axes)", n_axes, 2LL * n_axes,
                        DESIGN_MAX_SOBOL_DIM, DESIGN_MAX_SOBOL_DIM / 2);
            else
                set_err(err, errlen, "a sobol design of %d axes needs a "
                        "Sobol sequence of dimension %d; GSL's goes up to "
                        "%d", n_axes, n_axes, DESIGN_MAX_SOBOL_DIM);
            return NULL;
        }
        total = kind == DESIGN_SALTELLI
                    ? (long long)n_points * ((long long)n_axes + 2)
                    : n_points;
        if (total > DESIGN_MAX_POINTS) {
            set_err(err, errlen, "a %s design of %lld points is too large "
                    "(at most %d)", name, total, DESIGN_MAX_POINTS);
            return NULL;
        }
        /* total <= 1e9 and n_axes <= INT_MAX: no overflow in 64 bits */
        if (total * n_axes > DESIGN_MAX_CELLS ||
            (unsigned long long)(total * n_axes) > SIZE_MAX / sizeof(double)) {
            set_err(err, errlen, "a %s design of %lld points and %d axes "
                    "is too large (points x axes at most %d)", name, total,
                    n_axes, DESIGN_MAX_CELLS);
            return NULL;
        }
    }

    design *d = calloc(1, sizeof *d);
    if (!d) {
        set_err(err, errlen, "out of memory for a %s design", name);
        return NULL;
    }
    d->kind = kind;
    d->n_axes = n_axes;
    if (copy_axes(d, axes)) {
        set_err(err, errlen, "out of memory for a %s design's axes", name);
        design_free(d);
        return NULL;
    }
    if (kind == DESIGN_GRID) {
        if (setup_grid(d, err, errlen)) {
            design_free(d);
            return NULL;
        }
        return d;
    }

    d->n_points = (int)total;
    d->base = n_points;
    d->unit = malloc((size_t)total * (size_t)n_axes * sizeof *d->unit);
    if (!d->unit) {
        set_err(err, errlen, "out of memory for a %s design of %lld points "
                "and %d axes", name, total, n_axes);
        design_free(d);
        return NULL;
    }
    int rc = 0;
    switch (kind) {
    case DESIGN_RANDOM: rc = fill_random(d, seed); break;
    case DESIGN_LHS: rc = fill_lhs(d, seed); break;
    case DESIGN_SOBOL: rc = sobol_points(n_axes, n_points, d->unit); break;
    case DESIGN_SALTELLI: rc = fill_saltelli(d); break;
    case DESIGN_GRID: break;
    }
    if (rc) {
        set_err(err, errlen, "cannot generate the %s design of %lld points "
                "(out of memory)", name, total);
        design_free(d);
        return NULL;
    }
    return d;
}

void design_free(design *d)
{
    if (!d)
        return;
    free(d->axes);
    free(d->values);
    free(d->unit);
    free(d->levels);
    free(d->stride);
    free(d);
}

design_kind design_get_kind(const design *d) { return d->kind; }
int design_n_points(const design *d) { return d->n_points; }
int design_n_axes(const design *d) { return d->n_axes; }
int design_base_size(const design *d) { return d->base; }

static int in_range(const design *d, int k, int a)
{
    return d && k >= 0 && k < d->n_points && a >= 0 && a < d->n_axes;
}

int design_level(const design *d, int k, int a)
{
    if (!in_range(d, k, a) || d->kind != DESIGN_GRID)
        return -1;
    return (int)(((long long)k / d->stride[a]) % d->levels[a]);
}

double design_unit(const design *d, int k, int a)
{
    if (!in_range(d, k, a))
        return NAN;
    if (d->kind != DESIGN_GRID)
        return d->unit[(size_t)k * d->n_axes + a];
    int i = design_level(d, k, a), n = d->levels[a];
    if (d->axes[a].kind == AXIS_LIST)
        return (i + 0.5) / n;
    return n == 1 ? 0.0 : (double)i / (n - 1);
}

/* u in [0,1] onto axis ax; the ends exactly. */
static double map_unit(const design_axis *ax, double u)
{
    switch (ax->kind) {
    case AXIS_LIST: {
        double f = floor(u * ax->n_values);
        int i = f < 0 ? 0 : f >= ax->n_values ? ax->n_values - 1 : (int)f;
        return ax->values[i];
    }
    case AXIS_LINEAR:
        if (u <= 0)
            return ax->min;
        if (u >= 1)
            return ax->max;
        return ax->min + u * (ax->max - ax->min);
    case AXIS_LOG:
        if (u <= 0)
            return ax->min;
        if (u >= 1)
            return ax->max;
        return exp(log(ax->min) + u * (log(ax->max) - log(ax->min)));
    }
    return NAN;
}

double design_value(const design *d, int k, int a)
{
    if (!in_range(d, k, a))
        return NAN;
    if (d->kind == DESIGN_GRID && d->axes[a].kind == AXIS_LIST)
        return d->axes[a].values[design_level(d, k, a)];
    return map_unit(&d->axes[a], design_unit(d, k, a));
}

int design_block(const design *d, int k, int *row)
{
    if (row)
        *row = -1;
    if (!d || d->kind != DESIGN_SALTELLI || k < 0 || k >= d->n_points)
        return -1;
    if (row)
        *row = k % d->base;
    return k / d->base;
}
