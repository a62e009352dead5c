/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * posterior.h - the history of an ABC-SMC fit (every generation's
 * particles) and its file: netCDF-4/CF-compatible HDF5, readable by
 * xarray.
 *
 *   dimensions  generation, particle, param, stat
 *   param_value(generation, particle, param)  a particle's parameters, in
 *                                             the units param_unit(param)
 *   weight(generation, particle)              normalised importance weight
 *   distance(generation, particle)            to the targets (scaled)
 *   stat_value(generation, particle, stat)    its simulated statistics
 *   tolerance, ess, acceptance_rate, simulations, proposals,
 *   seconds (generation)                      per generation
 *   prior(param); target_value, target_low, target_high, stat_scale,
 *   stat_weight, stat_role, stat_label, stat_unit, stat_date (stat)
 *   global attributes: status, converged, status_reason, fit_hash, ...
 *
 * The posterior is the last generation: its particles with their weights.
 * Files are written through the publisher (io/publish.h): under a
 * temporary name, synced, renamed when complete, and never over a file
 * that is not a regular one or is one of the command's inputs.  They are
 * read back with the result module's checked reads (io/result/h5read.h).
 */
#ifndef SIM_IO_POSTERIOR_H
#define SIM_IO_POSTERIOR_H

#include <stddef.h>

#include "io/publish.h"
#include "model/params.h"

/* Every generation of a fit, in memory.  Arrays are [generation][...]. */
typedef struct {
    int n_gen, cap_gen;
    int N, d, m;          /* particles, parameters, statistics */
    double *theta;        /* [gen][N][d] */
    double *weight;       /* [gen][N], summing to 1 */
    double *distance;     /* [gen][N] */
    double *stats;        /* [gen][N][m] */
    double *tolerance;    /* [gen] (inf for generation 0) */
    double *ess;          /* [gen] effective sample size 1 / sum w^2 */
    double *acceptance;   /* [gen] N / simulations */
    double *simulations;  /* [gen] model simulations (a count) */
    double *proposals;    /* [gen] proposals, those outside the prior too */
    double *seconds;      /* [gen] wall time */
} smc_history;

smc_history *smc_history_alloc(int N, int d, int m);
void smc_history_free(smc_history *h);
/* Room for one more generation.  0, or -1 when memory is short. */
int smc_history_grow(smc_history *h);

/* A setting of the fit recorded as a global attribute. */
typedef struct {
    const char *name;
    double value;
} posterior_setting;

/* What a posterior file holds besides the history. */
typedef struct {
    const smc_history *h;
    const char *const *param_names;  /* [d] config paths */
    const char *const *param_units;  /* [d] their units, from the parameter
                                      * table (NULL: "1") */
    const char *const *prior_texts;  /* [d] */
    const char *const *stat_names;   /* [m] */
    const char *const *stat_labels;  /* [m] */
    const char *const *stat_units;   /* [m] */
    const char *const *stat_roles;   /* [m] "fit", "out of sample", ... */
    const char *const *stat_dates;   /* [m] "YYYY-MM" */
    const double *observed, *low, *high, *scale, *weight; /* [m] */
    const char *status, *reason;     /* see abc.h */
    int converged;
    const char *fit_hash;            /* what must match to resume */
    unsigned long long seed;
    const posterior_setting *settings;
    int n_settings;
    const char *config_text, *targets_text;
    const char *history;             /* earlier lines (a resumed fit's) and
                                      * this command's, one per line */
    const publish_inputs *inputs;    /* never written over (may be NULL) */
} posterior_meta;

/* Write the file at `path` through the publisher.  0, or -1 with one line
 * in err (a destination that is not a regular file or is one of
 * pm->inputs is refused). */
int posterior_write(const char *path, const posterior_meta *pm, char *err,
                    size_t errlen);

/* A posterior file read back. */
typedef struct {
    smc_history *h;
    int d;
    char **param_names;   /* [d] */
    char *status, *reason, *fit_hash;
    char *history;        /* the history attribute ("" when absent) */
    int converged;
} posterior_file;

/* Read `path` (the whole history).  NULL with one line in err. */
posterior_file *posterior_read(const char *path, char *err, size_t errlen);
void posterior_file_free(posterior_file *f);

/* ---- runs that draw their parameters from a posterior -------------------- */

/* The particle of the last generation that run `run` uses: drawn with
 * probability its weight, from a uniform variate hashed from (master,
 * run), so that a run's draw does not depend on the others. */
int posterior_pick(const posterior_file *f, unsigned long long master, int run);
/* Resolve the parameter names against p (refs[d]).  0, or -1 with err. */
int posterior_bind(const posterior_file *f, const model_params *p,
                   param_ref *refs, char *err, size_t errlen);
/* Set particle k's values in p (refs from posterior_bind). */
void posterior_apply(const posterior_file *f, int k, const param_ref *refs,
                     model_params *p);
/* The values of particle k of the last generation (d of them). */
const double *posterior_particle(const posterior_file *f, int k);

#endif
