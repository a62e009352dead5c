/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * prior.h - prior distributions of parameters: parsed from a config
 * string, truncated to bounds, with log-densities, quantiles and draws.
 *
 * The grammar (spaces anywhere; arguments named, in any order):
 *
 *   PRIOR := DIST [ "[" LOW "," HIGH "]" ]
 *   DIST  := uniform(min=A, max=B)
 *          | normal(mean=M, sd=S)
 *          | lognormal(median=M, sd_log=S)       log x ~ N(log M, S^2)
 *          | beta(a=A, b=B) | beta(mean=M, sd=S)  on [0, 1]
 *   LOW, HIGH := a number, -inf or inf
 *
 * "[LOW, HIGH]" truncates the distribution to that interval (its density
 * renormalised).  The parameter's own bounds truncate it further
 * (prior_truncate).  Examples:
 *
 *   "uniform(min=0.1, max=10)"
 *   "lognormal(median=2, sd_log=0.7) [0.1, 10]"
 *   "normal(mean=0.5, sd=0.2) [0, 1]"
 *   "beta(mean=0.8, sd=0.1)"
 *
 * Pure: no I/O, no allocation.  Draws use one uniform variate each
 * (inverse CDF), so a stream's use does not depend on the value drawn.
 */
#ifndef SIM_MODEL_PRIOR_H
#define SIM_MODEL_PRIOR_H

#include <stddef.h>

#include <gsl/gsl_rng.h>

typedef enum { PRIOR_UNIFORM, PRIOR_NORMAL, PRIOR_LOGNORMAL, PRIOR_BETA } prior_kind;

typedef struct {
    prior_kind kind;
    int moments;        /* beta given as mean and sd (for printing)     */
    double arg1, arg2;  /* the two arguments as written                 */
    double a, b;        /* uniform: min, max; normal: mean, sd;
                         * lognormal: log(median), sd_log; beta: a, b   */
    double lo, hi;      /* support after truncation                     */
    int truncated;      /* "[wlo, whi]" was written                     */
    double wlo, whi;    /* the bounds as written                        */
    double plo, phi;    /* untruncated CDF at lo and at hi              */
    double qlo, qhi;    /* untruncated upper tail (1 - CDF) at lo, hi   */
    double log_mass;    /* log of the probability of [lo, hi]           */
} prior;

/* Parse `text`.  0, or -1 with the reason in why. */
int prior_parse(const char *text, prior *out, char *why, size_t len);
/* Truncate further to [lo, hi] (intersected with the current support;
 * prior_format still writes the bounds as written).
 * 0, or -1 with why when almost no probability (< 1e-12) is left. */
int prior_truncate(prior *p, double lo, double hi, char *why, size_t len);
/* Log-density at x (-inf outside the support). */
double prior_log_density(const prior *p, double x);
/* The q-quantile, 0 <= q <= 1, of the truncated distribution. */
double prior_quantile(const prior *p, double q);
/* One draw (uses exactly one gsl_rng_uniform_pos). */
double prior_sample(const prior *p, const gsl_rng *r);
/* The prior as text that prior_parse reads back to the same prior. */
void prior_format(const prior *p, char *buf, size_t len);

#endif
