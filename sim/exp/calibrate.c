/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * calibrate.c - roles of the statistics, the identity check, ABC-SMC fits
 * of the model, ensembles for tables (see calibrate.h).
 */
#include "calibrate.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "exp/ensemble.h"
#include "exp/runner.h"
#include "io/priors.h"
#include "model/seedhash.h"

const char *const calib_role_names[] = {"fit", "out of sample", "identity",
                                        "measure"};

/* Domains of the seeds of the identity check. */
#define TAG_IDENTITY 0x6964656e74697479ULL /* "identity" */

calib_stats *calib_stats_alloc(const target_file *tf, const model_params *p,
                               int fit_until)
{
    int m = tf->ms->n;
    calib_stats *st = calloc(1, sizeof *st);
    if (!st)
        return NULL;
    st->m = m;
    st->observed = calloc((size_t)m + 1, sizeof *st->observed);
    st->scale = calloc((size_t)m + 1, sizeof *st->scale);
    st->weight = calloc((size_t)m + 1, sizeof *st->weight);
    st->role = calloc((size_t)m + 1, sizeof *st->role);
    st->cv = calloc((size_t)m + 1, sizeof *st->cv);
    st->why = calloc((size_t)m + 1, sizeof *st->why);
    st->date = calloc((size_t)m + 1, sizeof *st->date);
    if (!st->observed || !st->scale || !st->weight || !st->role || !st->cv ||
        !st->why || !st->date) {
        calib_stats_free(st);
        return NULL;
    }
    for (int k = 0; k < m; k++) {
        const measure *x = &tf->ms->m[k];
        long month = (long)p->start_year * 12 + (p->start_month - 1) + x->to;
        snprintf(st->date[k], sizeof st->date[k], "%04ld-%02ld", month / 12,
                 month % 12 + 1);
        st->cv[k] = NAN;
        if (!x->has_target) {
            st->role[k] = ROLE_MEASURE;
            st->observed[k] = NAN;
            st->scale[k] = 1.0;
            continue;
        }
        st->observed[k] = x->value;
        st->scale[k] = 0.5 * (x->hi - x->lo);
        st->role[k] = x->to <= fit_until ? ROLE_FIT : ROLE_OUT_OF_SAMPLE;
        st->weight[k] = st->role[k] == ROLE_FIT ? x->weight : 0.0;
    }
    return st;
}

void calib_stats_free(calib_stats *st)
{
    if (!st)
        return;
    free(st->observed);
    free(st->scale);
    free(st->weight);
    free(st->role);
    free(st->cv);
    free(st->why);
    free(st->date);
    free(st);
}

/* ---- simulating a parameter set ---------------------------------------------- */

typedef struct {
    const param_ref *refs;
    int d;
    const measure_set *ms;
    int replicates;
    model_params **work; /* [jobs] */
    double **vals;       /* [jobs][ms->n] */
    int jobs;
} model_sim;

static void model_sim_clean(model_sim *s)
{
    for (int k = 0; s->work && k < s->jobs; k++)
        params_free(s->work[k]);
    for (int k = 0; s->vals && k < s->jobs; k++)
        free(s->vals[k]);
    free(s->work);
    free(s->vals);
}

static int model_sim_init(model_sim *s, const model_params *base, const param_ref *refs,
                          int d, const measure_set *ms, int replicates, int jobs)
{
    *s = (model_sim){.refs = refs, .d = d, .ms = ms, .replicates = replicates,
                     .jobs = jobs < 1 ? 1 : jobs};
    s->work = calloc((size_t)s->jobs, sizeof(model_params *));
    s->vals = calloc((size_t)s->jobs, sizeof *s->vals);
    for (int k = 0; s->work && s->vals && k < s->jobs; k++) {
        s->work[k] = params_copy(base);
        s->vals[k] = calloc((size_t)ms->n + 1, sizeof **s->vals);
        if (!s->work[k] || !s->vals[k])
            break;
        if (k == s->jobs - 1)
            return 0;
    }
    model_sim_clean(s);
    return -1;
}

/* The statistics: means over the replicates (NaN when one is NaN). */
static int model_simulate(void *ctx, int worker, const double *theta, uint64_t seed,
                          double *stats, char *err, size_t errlen)
{
    model_sim *s = ctx;
    model_params *p = s->work[worker];
    double *v = s->vals[worker];
    int m = s->ms->n;
    for (int k = 0; k < s->d; k++)
        param_set(p, s->refs[k], theta[k]);
    for (int k = 0; k < m; k++)
        stats[k] = 0.0;
    for (int r = 0; r < s->replicates; r++) {
        runner_io io = {.ms = s->ms, .values = v};
        if (runner_run(p, seed, r, &io, err, errlen))
            return -1;
        for (int k = 0; k < m; k++)
            stats[k] += v[k];
    }
    for (int k = 0; k < m; k++)
        stats[k] /= s->replicates;
    return 0;
}

static abc_opts exec_opts(const calib_exec *x)
{
    return (abc_opts){.jobs = x->jobs, .rank = x->rank,
                      .n_ranks = x->n_ranks > 0 ? x->n_ranks : 1, .share = x->share,
                      .share_ctx = x->share_ctx, .stop = x->stop,
                      .on_particle = x->on_particle, .on_generation = x->on_generation,
                      .progress_ctx = x->progress_ctx};
}

/* ---- the identity check --------------------------------------------------- */

/* A number the configuration sets: a parameter instance or an event value. */
typedef struct {
    double v;
    param_ref ref; /* def NULL for an event */
    int event;
    int prior;     /* its column among the draws, or -1 */
} configured;

typedef struct {
    configured *c;
    int n, cap;
} configured_list;

static int push(configured_list *l, configured x)
{
    if (l->n == l->cap) {
        int cap = l->cap ? 2 * l->cap : 256;
        configured *g = realloc(l->c, (size_t)cap * sizeof *g);
        if (!g)
            return -1;
        l->c = g;
        l->cap = cap;
    }
    l->c[l->n++] = x;
    return 0;
}

static int same_ref(param_ref a, param_ref b)
{
    return a.def == b.def && ((a.e1 == b.e1 && a.e2 == b.e2) ||
                              (a.def->scope == SCOPE_PAIR && a.e1 == b.e2 && a.e2 == b.e1));
}

/* Every numeric parameter instance and event value of p; an instance
 * drawn (refs[d]) says which draw column holds its value.  NULL when
 * memory is short. */
static configured *configured_numbers(const model_params *p, const param_ref *refs,
                                      int n_refs, int *n)
{
    configured_list l = {NULL, 0, 0};
    for (size_t t = 0; t < param_table_len; t++) {
        const param_def *d = &param_table[t];
        if (d->type == PT_STRING)
            continue;
        int n1, n2;
        param_extent(p, d->scope, &n1, &n2);
        for (int a = 0; a < n1; a++)
            for (int b = 0; b < n2; b++) {
                param_ref r = {d, a, b};
                configured x = {.v = param_get(p, r), .ref = r, .event = -1, .prior = -1};
                for (int q = 0; q < n_refs; q++)
                    if (same_ref(refs[q], r))
                        x.prior = q;
                if (push(&l, x))
                    goto oom;
            }
    }
    for (int e = 0; e < p->n_events; e++)
        if (push(&l, (configured){.v = p->events[e].value, .event = e, .prior = -1}))
            goto oom;
    *n = l.n;
    return l.c ? l.c : calloc(1, sizeof *l.c);
oom:
    free(l.c);
    return NULL;
}

static int same_number(double a, double b)
{
    return isfinite(b) && (a == b || fabs(a - b) <= 1e-9 * fmax(fabs(a), fabs(b)));
}

/* Does statistic value v (of measure x) equal the number c?  The measure's
 * value before its scale, and for a sum its monthly mean, are compared. */
static int equals(const measure *x, double v, double c)
{
    if (!isfinite(v) || x->change != CHANGE_NONE)
        return 0;
    double raw = v * x->scale;
    return same_number(raw, c) ||
           (x->reduce == REDUCE_SUM && same_number(raw / (x->to - x->from + 1), c));
}

static void describe(const model_params *p, const configured *c, char *buf, size_t len)
{
    if (c->event >= 0) {
        const event_spec *e = &p->events[c->event];
        if (e->name[0])
            snprintf(buf, len, "the value of event %s (%s)", e->name, e->label);
        else
            snprintf(buf, len, "the value of an event on %s", e->label);
    } else {
        priors_param_path(p, c->ref, buf, len);
    }
}

int calibrate_identity(const model_params *p, const measure_set *ms,
                       const free_param *fp, int n_free, int draws,
                       uint64_t seed, const calib_exec *x, calib_stats *st,
                       char *err, size_t errlen)
{
    int d = 0, m = ms->n, rc = -1, n_conf = 0;
    prior *priors = calloc((size_t)(p->n_priors + n_free) + 1, sizeof *priors);
    param_ref *refs = calloc((size_t)(p->n_priors + n_free) + 1, sizeof *refs);
    int *slot = calloc((size_t)p->n_priors + 1, sizeof *slot); /* scenario prior -> draw */
    double *zero = calloc((size_t)m + 1, sizeof *zero);
    double *one = calloc((size_t)m + 1, sizeof *one);
    smc_history *h = smc_history_alloc(draws, d, m);
    configured *conf = NULL;
    unsigned char *cand = NULL;
    model_sim sim = {0};
    int have_sim = 0;
    if (!priors || !refs || !slot || !zero || !one || !h) {
        snprintf(err, errlen, "out of memory for the identity check");
        goto done;
    }
    /* the scenario's priors, with those of the free parameters */
    for (int k = 0; k < p->n_priors; k++) {
        priors[d] = p->priors[k].pr;
        refs[d] = p->priors[k].ref;
        slot[k] = d++;
    }
    for (int f = 0; f < n_free; f++) {
        const prior *in = params_prior_of(p, fp[f].ref);
        int k = -1;
        for (int q = 0; in && q < p->n_priors; q++)
            if (in == &p->priors[q].pr)
                k = q;
        if (k >= 0) {
            priors[slot[k]] = fp[f].pr;
        } else {
            priors[d] = fp[f].pr;
            refs[d++] = fp[f].ref;
        }
    }
    h->d = d;
    if (!(conf = configured_numbers(p, refs, d, &n_conf)) ||
        !(cand = calloc((size_t)n_conf + 1, 1))) {
        snprintf(err, errlen, "out of memory for the identity check");
        goto done;
    }
    for (int k = 0; k < m; k++)
        one[k] = 1.0;
    if (model_sim_init(&sim, p, refs, d, ms, 1, x->jobs)) {
        snprintf(err, errlen, "out of memory for the identity check");
        goto done;
    }
    have_sim = 1;
    /* generation 0 of an ABC run: draws from the prior, nothing rejected */
    abc_opts o = exec_opts(x);
    o.on_particle = NULL;
    o.on_generation = NULL;
    o.n_params = d;
    o.priors = priors;
    o.n_stats = m;
    o.observed = zero;
    o.scale = one;
    o.weight = zero;
    o.simulate = model_simulate;
    o.ctx = &sim;
    o.particles = draws;
    o.max_generations = 1;
    o.alpha = 0.5;
    o.tolerance = INFINITY;
    o.max_attempts = 1;
    o.seed = seed_hash(seed, TAG_IDENTITY);
    abc_status status;
    char reason[512];
    if (abc_fit(&o, h, &status, reason, sizeof reason, err, errlen))
        goto done;
    if (h->n_gen < 1) {
        snprintf(err, errlen, "the identity check was interrupted");
        goto done;
    }
    for (int k = 0; k < m; k++) {
        const measure *mx = &ms->m[k];
        double mean = 0.0, ss = 0.0;
        int n = 0;
        for (int i = 0; i < draws; i++) {
            double v = h->stats[(size_t)i * m + k];
            if (isfinite(v)) {
                mean += v;
                n++;
            }
        }
        mean = n ? mean / n : NAN;
        for (int i = 0; i < draws; i++) {
            double v = h->stats[(size_t)i * m + k];
            if (isfinite(v))
                ss += (v - mean) * (v - mean);
        }
        double sd = n > 1 ? sqrt(ss / (n - 1)) : NAN;
        st->cv[k] = sd == 0.0 ? 0.0 : sd / fabs(mean);
        if (!mx->has_target || n < draws)
            continue;
        /* a configured number the statistic equals in every draw */
        int found = -1;
        for (int c = 0; c < n_conf; c++) {
            cand[c] = 1;
            for (int i = 0; i < draws && cand[c]; i++) {
                double cv = conf[c].prior >= 0 ? h->theta[(size_t)i * d + conf[c].prior]
                                               : conf[c].v;
                cand[c] = (unsigned char)equals(mx, h->stats[(size_t)i * m + k], cv);
            }
            /* a varying parameter it follows says most */
            if (cand[c] && (found < 0 || (conf[found].prior < 0 && conf[c].prior >= 0)))
                found = c;
        }
        if (found >= 0) {
            char what[200];
            describe(p, &conf[found], what, sizeof what);
            snprintf(st->why[k], sizeof st->why[k], "equals %s, a number the "
                     "configuration sets, in each of %d draws from the prior",
                     what, draws);
        } else if (st->cv[k] < CALIB_IDENTITY_CV) {
            snprintf(st->why[k], sizeof st->why[k], "does not move: coefficient of "
                     "variation %.2g across %d draws from the prior", st->cv[k], draws);
        } else {
            continue;
        }
        st->role[k] = ROLE_IDENTITY;
        st->weight[k] = 0.0;
    }
    rc = 0;
done:
    if (have_sim)
        model_sim_clean(&sim);
    free(priors);
    free(refs);
    free(slot);
    free(zero);
    free(one);
    free(conf);
    free(cand);
    smc_history_free(h);
    return rc;
}

/* ---- the fit ------------------------------------------------------------------ */

int calibrate_fit(const model_params *base, const target_file *tf,
                  const calib_stats *st, const double *observed,
                  const calib_fit_opts *fo, const calib_exec *x, smc_history *h,
                  abc_status *status, char *reason, size_t len, char *err,
                  size_t errlen)
{
    int d = tf->n_free;
    prior *priors = calloc((size_t)d + 1, sizeof *priors);
    param_ref *refs = calloc((size_t)d + 1, sizeof *refs);
    model_sim sim;
    if (!priors || !refs || model_sim_init(&sim, base, refs, d, tf->ms, fo->replicates,
                                           x->jobs)) {
        free(priors);
        free(refs);
        snprintf(err, errlen, "out of memory for the calibration");
        return -1;
    }
    for (int k = 0; k < d; k++) {
        priors[k] = tf->free[k].pr;
        refs[k] = tf->free[k].ref;
    }
    abc_opts o = exec_opts(x);
    o.n_params = d;
    o.priors = priors;
    o.n_stats = st->m;
    o.observed = observed ? observed : st->observed;
    o.scale = st->scale;
    o.weight = st->weight;
    o.distance = fo->distance;
    o.simulate = model_simulate;
    o.ctx = &sim;
    o.particles = fo->particles;
    o.max_generations = fo->max_generations;
    o.alpha = fo->alpha;
    o.tolerance = fo->tolerance;
    o.min_acceptance = fo->min_acceptance;
    o.min_ess = fo->min_ess;
    o.max_attempts = fo->max_attempts;
    o.seed = fo->seed;
    o.checkpoint = fo->checkpoint;
    o.checkpoint_ctx = fo->checkpoint_ctx;
    int rc = abc_fit(&o, h, status, reason, len, err, errlen);
    model_sim_clean(&sim);
    free(priors);
    free(refs);
    return rc;
}

int calibrate_evaluate(const model_params *p, const measure_set *ms,
                       int replicates, int jobs, unsigned long long master,
                       const posterior_file *post, double *values, char *err,
                       size_t errlen)
{
    param_ref *refs = NULL;
    if (post) {
        refs = calloc((size_t)post->d + 1, sizeof *refs);
        if (!refs) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        char why[600];
        if (posterior_bind(post, p, refs, why, sizeof why)) {
            snprintf(err, errlen, "the posterior does not fit the scenario: %s", why);
            free(refs);
            return -1;
        }
    }
    ensemble e = {.p = p, .master = master, .first_run = 0, .n_runs = replicates,
                  .jobs = jobs, .ms = ms, .values = values, .post = post,
                  .post_refs = refs};
    int rc = ensemble_run(&e, err, errlen);
    free(refs);
    return rc;
}

void calibrate_param_quantiles(const smc_history *h, int k, const double *q,
                               int nq, double *out)
{
    size_t g = (size_t)h->n_gen - 1, N = (size_t)h->N;
    double *x = malloc(N * sizeof *x);
    for (size_t i = 0; x && i < N; i++)
        x[i] = h->theta[(g * N + i) * h->d + k];
    for (int j = 0; j < nq; j++)
        out[j] = x ? abc_weighted_quantile(x, h->weight + g * N, h->N, q[j]) : NAN;
    free(x);
}
