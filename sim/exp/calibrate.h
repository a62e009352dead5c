/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * calibrate.h - fit free parameters so that ensemble means of measures
 * land on their public figures (GSL's Nelder-Mead simplex,
 * gsl_multimin_fminimizer_nmsimplex2, with common random numbers: every
 * evaluation runs the same seeds).
 */
#ifndef SIM_EXP_CALIBRATE_H
#define SIM_EXP_CALIBRATE_H

#include "io/targets.h"
#include "model/params.h"

typedef struct {
    const model_params *base;  /* the scenario to fit */
    const target_file *tf;     /* targets and free parameters */
    int replicates, jobs;      /* per evaluation */
    unsigned long long master; /* seeds: model_run_seed(master, 0..) */
    int max_iter;              /* simplex iterations */
    double tol;                /* stop when the simplex size falls below */
    /* after each iteration (or NULL): the iteration, of at most
     * max_iter, the objective and the simplex size */
    void (*progress)(void *ctx, int iteration, int max_iter,
                     double objective, double size);
    void *progress_ctx;
} calib_opts;

typedef struct {
    double *x;        /* fitted values [n_free], caller-allocated */
    double objective; /* at x */
    int iterations, evaluations, converged;
} calib_result;

/* Measures of `replicates` runs of p: values[run * ms->n + m]. */
int calibrate_evaluate(const model_params *p, const measure_set *ms,
                       int replicates, int jobs, unsigned long long master,
                       double *values, char *err, size_t errlen);

/* Sum over targets of weight * ((mean - value) / half-range)^2. */
double calibrate_objective(const measure_set *ms, const double *values,
                           int replicates);

/* Fit; r->x starts from the base values.  0, or -1 with err. */
int calibrate_fit(const calib_opts *o, calib_result *r, char *err,
                  size_t errlen);

#endif
