/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * calibrate.h - calibration of a scenario against a targets file.
 *
 * - The statistics are the measures of the targets file.  Each has a role:
 *   fitted (in the distance), out of sample (dated after --fit-until),
 *   identity (does not move across draws from the prior, or equals a
 *   number the config sets: not evidence), or a plain measure.
 * - calibrate_identity() measures every target across draws from the
 *   scenario's priors (all of them) and marks the identities.
 * - calibrate_fit() samples the posterior of the free parameters by
 *   ABC-SMC (exp/abc.h): a particle's statistics are the means of
 *   `replicates` runs, each statistic scaled by half its range.
 * - calibrate_evaluate() runs an ensemble of one parameter set (or of
 *   draws from a posterior) for tables of the targets.
 */
#ifndef SIM_EXP_CALIBRATE_H
#define SIM_EXP_CALIBRATE_H

#include <signal.h>
#include <stdint.h>
#include <stdio.h>

#include "exp/abc.h"
#include "io/posterior.h"
#include "io/targets.h"
#include "model/params.h"

typedef enum { ROLE_FIT, ROLE_OUT_OF_SAMPLE, ROLE_IDENTITY, ROLE_MEASURE } calib_role;
extern const char *const calib_role_names[];

/* A coefficient of variation across prior draws below this marks an
 * identity. */
#define CALIB_IDENTITY_CV 1e-3

/* The statistics of a targets file and their part in the fit. */
typedef struct {
    int m;
    double *observed;  /* [m] the public figure (NaN for a measure) */
    double *scale;     /* [m] half the range (1 for a measure) */
    double *weight;    /* [m] in the distance: the target's weight for
                        * ROLE_FIT, 0 otherwise */
    calib_role *role;  /* [m] */
    double *cv;        /* [m] across prior draws (NaN: not checked) */
    char (*why)[256];  /* [m] why an identity */
    char (*date)[8];   /* [m] "YYYY-MM", the last month measured */
} calib_stats;

/* Roles from the file: targets dated up to fit_until (a step; INT_MAX for
 * all) are fitted, later ones out of sample, measures measures.  NULL
 * when memory is short. */
calib_stats *calib_stats_alloc(const target_file *tf, const model_params *p,
                               int fit_until);
void calib_stats_free(calib_stats *st);

/* How the work is spread: threads, and ranks (see abc_opts). */
typedef struct {
    int jobs;
    int rank, n_ranks;
    int (*share)(void *ctx, unsigned char *buf, size_t bytes);
    void *share_ctx;
    volatile sig_atomic_t *stop;
    /* progress of a fit (see abc_opts; not of the identity check) */
    void (*on_particle)(void *ctx, int g, long done, long total);
    void (*on_generation)(void *ctx, const smc_history *h);
    void *progress_ctx;
} calib_exec;

/* Run `draws` draws from every prior of p and of the free parameters (the
 * fit's prior of a free parameter replaces the scenario's; one run each)
 * and mark as
 * ROLE_IDENTITY the targets whose coefficient of variation is below
 * CALIB_IDENTITY_CV or that equal a configured number (a parameter or an
 * event value) in every draw; st->cv and st->why are filled.  0, or -1
 * with err. */
int calibrate_identity(const model_params *p, const measure_set *ms,
                       const free_param *fp, int n_free, int draws,
                       uint64_t seed, const calib_exec *x, calib_stats *st,
                       char *err, size_t errlen);

typedef struct {
    int particles, max_generations, replicates, max_attempts;
    double alpha, tolerance, min_acceptance, min_ess;
    abc_distance_kind distance;
    uint64_t seed;
    int (*checkpoint)(void *ctx, const smc_history *h, abc_status st,
                      const char *reason, char *err, size_t errlen);
    void *checkpoint_ctx;
} calib_fit_opts;

/* Sample the posterior of tf's free parameters into h (resuming after the
 * generations h holds).  `observed` replaces st->observed when not NULL
 * (synthetic targets).  0 with *status and reason; -1 with err. */
int calibrate_fit(const model_params *base, const target_file *tf,
                  const calib_stats *st, const double *observed,
                  const calib_fit_opts *fo, const calib_exec *x, smc_history *h,
                  abc_status *status, char *reason, size_t len, char *err,
                  size_t errlen);

/* Measures of `replicates` runs of p (run r seeded model_run_seed(master,
 * r); drawing its parameters from post when not NULL): values[run * ms->n
 * + m].  0, or -1 with err. */
int calibrate_evaluate(const model_params *p, const measure_set *ms,
                       int replicates, int jobs, unsigned long long master,
                       const posterior_file *post, double *values, char *err,
                       size_t errlen);

/* Weighted quantiles q[nq] of parameter k in the last generation of h. */
void calibrate_param_quantiles(const smc_history *h, int k, const double *q,
                               int nq, double *out);

#endif
