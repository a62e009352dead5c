/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * prior.c - prior distributions (see prior.h).
 */
#include "prior.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_sf_gamma.h>

/* Least probability a truncated prior may keep. */
#define MIN_MASS 1e-12

/* ---- the untruncated distributions ---------------------------------------- */

/* The standardised value of x for the normal family, or +-inf. */
static double zscore(const prior *p, double x)
{
    if (p->kind == PRIOR_LOGNORMAL) {
        if (x <= 0)
            return -INFINITY;
        x = log(x);
    }
    return (x - p->a) / p->b;
}

/* Lower tail P(X <= x) and upper tail P(X > x), each computed directly so
 * that neither loses precision far in its tail. */
static void tails(const prior *p, double x, double *lower, double *upper)
{
    switch (p->kind) {
    case PRIOR_UNIFORM: {
        double u = (x - p->a) / (p->b - p->a);
        u = u < 0 ? 0 : u > 1 ? 1 : u;
        *lower = u;
        *upper = 1 - u;
        return;
    }
    case PRIOR_NORMAL:
    case PRIOR_LOGNORMAL: {
        double z = zscore(p, x);
        *lower = gsl_cdf_ugaussian_P(z);
        *upper = gsl_cdf_ugaussian_Q(z);
        return;
    }
    case PRIOR_BETA:
        if (x <= 0) {
            *lower = 0;
            *upper = 1;
        } else if (x >= 1) {
            *lower = 1;
            *upper = 0;
        } else {
            *lower = gsl_cdf_beta_P(x, p->a, p->b);
            *upper = gsl_cdf_beta_Q(x, p->a, p->b);
        }
        return;
    }
    *lower = *upper = NAN;
}

static double from_lower(const prior *p, double P)
{
    switch (p->kind) {
    case PRIOR_UNIFORM: return p->a + P * (p->b - p->a);
    case PRIOR_NORMAL: return p->a + p->b * gsl_cdf_ugaussian_Pinv(P);
    case PRIOR_LOGNORMAL: return exp(p->a + p->b * gsl_cdf_ugaussian_Pinv(P));
    case PRIOR_BETA: return gsl_cdf_beta_Pinv(P, p->a, p->b);
    }
    return NAN;
}

static double from_upper(const prior *p, double Q)
{
    switch (p->kind) {
    case PRIOR_UNIFORM: return p->b - Q * (p->b - p->a);
    case PRIOR_NORMAL: return p->a + p->b * gsl_cdf_ugaussian_Qinv(Q);
    case PRIOR_LOGNORMAL: return exp(p->a + p->b * gsl_cdf_ugaussian_Qinv(Q));
    case PRIOR_BETA: return gsl_cdf_beta_Qinv(Q, p->a, p->b);
    }
    return NAN;
}

/* Untruncated log-density (-inf outside the natural support). */
static double log_pdf(const prior *p, double x)
{
    static const double log_sqrt_2pi = 0.91893853320467274178;
    switch (p->kind) {
    case PRIOR_UNIFORM:
        return x >= p->a && x <= p->b ? -log(p->b - p->a) : -INFINITY;
    case PRIOR_NORMAL: {
        double z = (x - p->a) / p->b;
        return -0.5 * z * z - log(p->b) - log_sqrt_2pi;
    }
    case PRIOR_LOGNORMAL: {
        if (!(x > 0))
            return -INFINITY;
        double lx = log(x), z = (lx - p->a) / p->b;
        return -0.5 * z * z - log(p->b) - log_sqrt_2pi - lx;
    }
    case PRIOR_BETA:
        if (!(x >= 0 && x <= 1))
            return -INFINITY;
        return (p->a - 1) * log(x) + (p->b - 1) * log1p(-x) -
               gsl_sf_lnbeta(p->a, p->b);
    }
    return -INFINITY;
}

/* ---- truncation ------------------------------------------------------------ */

/* The natural support of the family. */
static void natural(const prior *p, double *lo, double *hi)
{
    switch (p->kind) {
    case PRIOR_UNIFORM: *lo = p->a; *hi = p->b; return;
    case PRIOR_NORMAL: *lo = -INFINITY; *hi = INFINITY; return;
    case PRIOR_LOGNORMAL: *lo = 0; *hi = INFINITY; return;
    case PRIOR_BETA: *lo = 0; *hi = 1; return;
    }
}

static int set_support(prior *p, double lo, double hi, char *why, size_t len)
{
    if (!(lo < hi)) {
        snprintf(why, len, "the bounds leave no interval (low %g, high %g)", lo, hi);
        return -1;
    }
    double l1, u1, l2, u2;
    tails(p, lo, &l1, &u1);
    tails(p, hi, &l2, &u2);
    /* the mass from whichever tail keeps its digits */
    double mass = l1 > 0.5 ? u1 - u2 : l2 - l1;
    if (!(mass >= MIN_MASS)) {
        snprintf(why, len, "almost no probability (%.3g) lies within [%g, %g]",
                 mass > 0 ? mass : 0.0, lo, hi);
        return -1;
    }
    p->lo = lo;
    p->hi = hi;
    p->plo = l1;
    p->qlo = u1;
    p->phi = l2;
    p->qhi = u2;
    p->log_mass = log(mass);
    return 0;
}

int prior_truncate(prior *p, double lo, double hi, char *why, size_t len)
{
    double nlo = fmax(p->lo, lo), nhi = fmin(p->hi, hi);
    if (nlo == p->lo && nhi == p->hi)
        return 0;
    return set_support(p, nlo, nhi, why, len);
}

/* ---- use ------------------------------------------------------------------- */

double prior_log_density(const prior *p, double x)
{
    if (!(x >= p->lo && x <= p->hi))
        return -INFINITY;
    return log_pdf(p, x) - p->log_mass;
}

double prior_quantile(const prior *p, double q)
{
    if (!(q > 0))
        return p->lo;
    if (!(q < 1))
        return p->hi;
    double x = p->plo > 0.5 ? from_upper(p, p->qlo - q * (p->qlo - p->qhi))
                            : from_lower(p, p->plo + q * (p->phi - p->plo));
    return x < p->lo ? p->lo : x > p->hi ? p->hi : x;
}

double prior_sample(const prior *p, const gsl_rng *r)
{
    return prior_quantile(p, gsl_rng_uniform_pos(r));
}

/* ---- text ------------------------------------------------------------------ */

/* The shortest decimal that reads back as v ("inf", "-inf" for those). */
static void put_number(char *buf, size_t len, double v)
{
    if (isinf(v)) {
        snprintf(buf, len, "%s", v < 0 ? "-inf" : "inf");
        return;
    }
    if (v == floor(v) && fabs(v) < 1e16) {
        snprintf(buf, len, "%.0f", v);
        return;
    }
    for (int digits = 1; digits <= 17; digits++) {
        snprintf(buf, len, "%.*g", digits, v);
        if (strtod(buf, NULL) == v)
            return;
    }
}

void prior_format(const prior *p, char *buf, size_t len)
{
    static const char *const names[][3] = {
        {"uniform", "min", "max"}, {"normal", "mean", "sd"},
        {"lognormal", "median", "sd_log"}, {"beta", "a", "b"}};
    const char *const *n = names[p->kind];
    const char *k1 = p->moments ? "mean" : n[1], *k2 = p->moments ? "sd" : n[2];
    char a1[32], a2[32], lo[32], hi[32];
    put_number(a1, sizeof a1, p->arg1);
    put_number(a2, sizeof a2, p->arg2);
    if (!p->truncated) {
        snprintf(buf, len, "%s(%s=%s, %s=%s)", n[0], k1, a1, k2, a2);
        return;
    }
    put_number(lo, sizeof lo, p->wlo);
    put_number(hi, sizeof hi, p->whi);
    snprintf(buf, len, "%s(%s=%s, %s=%s) [%s, %s]", n[0], k1, a1, k2, a2, lo, hi);
}

/* ---- parsing --------------------------------------------------------------- */

typedef struct {
    const char *s;
    char *why;
    size_t len;
} lexer;

static void skip(lexer *x)
{
    while (isspace((unsigned char)*x->s))
        x->s++;
}

static int expect(lexer *x, char c, const char *what)
{
    skip(x);
    if (*x->s != c) {
        snprintf(x->why, x->len, "expected '%c' %s, found %s%.12s%s", c, what,
                 *x->s ? "'" : "", *x->s ? x->s : "the end", *x->s ? "'" : "");
        return -1;
    }
    x->s++;
    return 0;
}

static int word(lexer *x, char *out, size_t n)
{
    skip(x);
    size_t k = 0;
    while ((isalnum((unsigned char)*x->s) || *x->s == '_') && k + 1 < n)
        out[k++] = *x->s++;
    out[k] = '\0';
    if (k == 0) {
        snprintf(x->why, x->len, "expected a name at '%.12s'", x->s);
        return -1;
    }
    return 0;
}

static int number(lexer *x, double *v, int allow_inf)
{
    skip(x);
    char *end;
    *v = strtod(x->s, &end);
    if (end == x->s) {
        snprintf(x->why, x->len, "expected a number at '%.12s'", *x->s ? x->s : "the end");
        return -1;
    }
    if (isnan(*v) || (!allow_inf && isinf(*v))) {
        snprintf(x->why, x->len, "'%.*s' is not a finite number", (int)(end - x->s), x->s);
        return -1;
    }
    x->s = end;
    return 0;
}

int prior_parse(const char *text, prior *out, char *why, size_t len)
{
    static const char *const fam[][3] = {
        {"uniform", "min", "max"}, {"normal", "mean", "sd"},
        {"lognormal", "median", "sd_log"}, {"beta", "a", "b"}};
    lexer x = {text, why, len};
    char name[32], key[32];
    memset(out, 0, sizeof *out);
    if (word(&x, name, sizeof name))
        return -1;
    int kind = -1;
    for (int k = 0; k < 4; k++)
        if (strcmp(name, fam[k][0]) == 0)
            kind = k;
    if (kind < 0) {
        snprintf(why, len, "unknown distribution '%s' (uniform, normal, lognormal, beta)",
                 name);
        return -1;
    }
    out->kind = (prior_kind)kind;
    if (expect(&x, '(', "after the distribution's name"))
        return -1;
    /* two named arguments, in any order */
    double v[2] = {NAN, NAN};
    int moments = -1; /* beta: 0 for a/b, 1 for mean/sd */
    for (int k = 0; k < 2; k++) {
        if (k && expect(&x, ',', "between the arguments"))
            return -1;
        if (word(&x, key, sizeof key) || expect(&x, '=', "after an argument's name"))
            return -1;
        int slot = -1, mom = 0;
        for (int q = 0; q < 2; q++)
            if (strcmp(key, fam[kind][q + 1]) == 0)
                slot = q;
        if (slot < 0 && kind == PRIOR_BETA)
            for (int q = 0; q < 2; q++)
                if (strcmp(key, q ? "sd" : "mean") == 0) {
                    slot = q;
                    mom = 1;
                }
        if (slot < 0) {
            if (kind == PRIOR_BETA)
                snprintf(why, len, "beta takes a= and b=, or mean= and sd=, not '%s'", key);
            else
                snprintf(why, len, "%s takes %s= and %s=, not '%s'", fam[kind][0],
                         fam[kind][1], fam[kind][2], key);
            return -1;
        }
        if ((moments >= 0 && mom != moments) || !isnan(v[slot])) {
            snprintf(why, len, "'%s' given twice or mixed with the other form", key);
            return -1;
        }
        moments = mom;
        if (number(&x, &v[slot], 0))
            return -1;
    }
    if (expect(&x, ')', "after the two arguments"))
        return -1;
    out->moments = moments == 1;
    out->arg1 = v[0];
    out->arg2 = v[1];
    switch (out->kind) {
    case PRIOR_UNIFORM:
        if (!(v[0] < v[1])) {
            snprintf(why, len, "uniform needs min < max");
            return -1;
        }
        out->a = v[0];
        out->b = v[1];
        break;
    case PRIOR_NORMAL:
    case PRIOR_LOGNORMAL:
        if (!(v[1] > 0) || (out->kind == PRIOR_LOGNORMAL && !(v[0] > 0))) {
            snprintf(why, len, "%s", out->kind == PRIOR_NORMAL
                                         ? "normal needs sd > 0"
                                         : "lognormal needs median > 0 and sd_log > 0");
            return -1;
        }
        out->a = out->kind == PRIOR_LOGNORMAL ? log(v[0]) : v[0];
        out->b = v[1];
        break;
    case PRIOR_BETA:
        if (out->moments) {
            double m = v[0], var = v[1] * v[1];
            if (!(m > 0 && m < 1 && v[1] > 0 && var < m * (1 - m))) {
                snprintf(why, len, "beta needs 0 < mean < 1 and 0 < sd^2 < "
                         "mean*(1-mean) (here %g)", m * (1 - m));
                return -1;
            }
            double k = m * (1 - m) / var - 1;
            out->a = m * k;
            out->b = (1 - m) * k;
        } else {
            if (!(v[0] > 0 && v[1] > 0)) {
                snprintf(why, len, "beta needs a > 0 and b > 0");
                return -1;
            }
            out->a = v[0];
            out->b = v[1];
        }
        break;
    }
    double lo = -INFINITY, hi = INFINITY;
    natural(out, &lo, &hi);
    skip(&x);
    if (*x.s == '[') {
        double blo, bhi;
        x.s++;
        if (number(&x, &blo, 1) || expect(&x, ',', "between the bounds") ||
            number(&x, &bhi, 1) || expect(&x, ']', "after the bounds"))
            return -1;
        if (!(blo < bhi)) {
            snprintf(why, len, "the bounds need low < high");
            return -1;
        }
        out->truncated = 1;
        out->wlo = blo;
        out->whi = bhi;
        lo = fmax(lo, blo);
        hi = fmin(hi, bhi);
    }
    skip(&x);
    if (*x.s) {
        snprintf(why, len, "unexpected '%.12s' after the prior", x.s);
        return -1;
    }
    return set_support(out, lo, hi, why, len);
}
