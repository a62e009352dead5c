/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * calibrate.c - Nelder-Mead fit of free parameters to measure targets.
 *
 * Each free parameter x in [lo, hi] is searched as z = logit((x-lo)/(hi-lo)),
 * so the simplex never leaves the bounds.  Every evaluation runs the same
 * replicates (common random numbers), so the objective is a deterministic
 * function of the parameters.
 */
#include "calibrate.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_multimin.h>

#include "exp/ensemble.h"

int calibrate_evaluate(const model_params *p, const measure_set *ms,
                       int replicates, int jobs, unsigned long long master,
                       double *values, char *err, size_t errlen)
{
    ensemble e = {.p = p, .master = master, .first_run = 0,
                  .n_runs = replicates, .jobs = jobs, .ms = ms,
                  .values = values};
    return ensemble_run(&e, err, errlen);
}

double calibrate_objective(const measure_set *ms, const double *values,
                           int replicates)
{
    double f = 0.0;
    for (int k = 0; k < ms->n; k++) {
        const measure *m = &ms->m[k];
        if (!m->has_target || m->weight == 0.0)
            continue;
        double mean = 0.0;
        for (int r = 0; r < replicates; r++)
            mean += values[(size_t)r * ms->n + k];
        mean /= replicates;
        double z = (mean - m->value) / (0.5 * (m->hi - m->lo));
        f += isfinite(z) ? m->weight * z * z : 1e12;
    }
    return f;
}

typedef struct {
    const calib_opts *o;
    model_params *p;  /* working copy */
    double *values;
    int evaluations;
    int failed;
    char err[1024];
} fit_ctx;

static double to_x(const free_param *f, double z)
{
    return f->min + (f->max - f->min) / (1.0 + exp(-z));
}

static double to_z(const free_param *f, double x)
{
    double u = (x - f->min) / (f->max - f->min);
    u = fmin(fmax(u, 1e-6), 1.0 - 1e-6);
    return log(u / (1.0 - u));
}

static double objective(const gsl_vector *z, void *arg)
{
    fit_ctx *c = arg;
    const target_file *tf = c->o->tf;
    if (c->failed)
        return GSL_NAN;
    for (int k = 0; k < tf->n_free; k++)
        param_set(c->p, tf->free[k].ref, to_x(&tf->free[k], gsl_vector_get(z, (size_t)k)));
    c->evaluations++;
    if (calibrate_evaluate(c->p, tf->ms, c->o->replicates, c->o->jobs,
                           c->o->master, c->values, c->err, sizeof c->err)) {
        c->failed = 1;
        return GSL_NAN;
    }
    return calibrate_objective(tf->ms, c->values, c->o->replicates);
}

int calibrate_fit(const calib_opts *o, calib_result *r, char *err,
                  size_t errlen)
{
    const target_file *tf = o->tf;
    size_t n = (size_t)tf->n_free;
    if (n == 0) {
        snprintf(err, errlen, "no free parameters to fit");
        return -1;
    }
    fit_ctx c = {.o = o, .p = params_copy(o->base)};
    c.values = calloc((size_t)o->replicates * tf->ms->n + 1, sizeof *c.values);
    gsl_multimin_fminimizer *m =
        gsl_multimin_fminimizer_alloc(gsl_multimin_fminimizer_nmsimplex2, n);
    gsl_vector *z = gsl_vector_alloc(n), *step = gsl_vector_alloc(n);
    int rc = -1;
    if (!c.p || !c.values || !m || !z || !step) {
        snprintf(err, errlen, "out of memory for the calibration");
        goto done;
    }
    for (size_t k = 0; k < n; k++) {
        gsl_vector_set(z, k, to_z(&tf->free[k], param_get(o->base, tf->free[k].ref)));
        gsl_vector_set(step, k, 0.5);
    }
    gsl_multimin_function fn = {objective, n, &c};
    if (gsl_multimin_fminimizer_set(m, &fn, z, step) != GSL_SUCCESS || c.failed) {
        snprintf(err, errlen, "%s", c.failed ? c.err : "the simplex cannot start");
        goto done;
    }
    int it = 0, status = GSL_CONTINUE;
    while (status == GSL_CONTINUE && it < o->max_iter) {
        it++;
        if (gsl_multimin_fminimizer_iterate(m) != GSL_SUCCESS || c.failed)
            break;
        double size = gsl_multimin_fminimizer_size(m);
        status = gsl_multimin_test_size(size, o->tol);
        if (o->progress)
            o->progress(o->progress_ctx, it, o->max_iter, m->fval, size);
    }
    if (c.failed) {
        snprintf(err, errlen, "%s", c.err);
        goto done;
    }
    for (size_t k = 0; k < n; k++)
        r->x[k] = to_x(&tf->free[k], gsl_vector_get(m->x, k));
    r->objective = m->fval;
    r->iterations = it;
    r->evaluations = c.evaluations;
    r->converged = status == GSL_SUCCESS;
    rc = 0;
done:
    gsl_multimin_fminimizer_free(m);
    gsl_vector_free(z);
    gsl_vector_free(step);
    free(c.values);
    params_free(c.p);
    return rc;
}
