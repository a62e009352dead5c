/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * abc.c - ABC-SMC (see abc.h).
 */
#include "abc.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "model/seedhash.h"

const char *const abc_status_names[] = {"running", "converged", "degenerate",
                                        "stalled", "generation limit",
                                        "interrupted"};

/* Domains of the hashed streams. */
enum { TAG_PARTICLE = 0x61626331, TAG_SIMULATION = 0x61626332 };

/* A particle's record in the generation buffer (doubles):
 * theta[d], distance, stats[m], proposals, simulations, flag. */
enum { FLAG_NONE = 0, FLAG_ACCEPTED = 1, FLAG_EXHAUSTED = 2, FLAG_FAILED = 3 };

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

double abc_distance(const abc_opts *o, const double *stats)
{
    double sum = 0.0, wsum = 0.0, most = 0.0;
    for (int k = 0; k < o->n_stats; k++) {
        double w = o->weight[k];
        if (w <= 0.0)
            continue;
        double z = (stats[k] - o->observed[k]) / o->scale[k];
        if (!isfinite(z))
            return INFINITY;
        sum += w * z * z;
        wsum += w;
        if (w * fabs(z) > most)
            most = w * fabs(z);
    }
    if (o->distance == ABC_DISTANCE_MAX)
        return most;
    return wsum > 0.0 ? sqrt(sum / wsum) : 0.0;
}

typedef struct {
    double x, w;
} xw;

static int by_x(const void *a, const void *b)
{
    double p = ((const xw *)a)->x, q = ((const xw *)b)->x;
    return p < q ? -1 : p > q ? 1 : 0;
}

double abc_weighted_quantile(const double *x, const double *w, int n, double q)
{
    xw *v = malloc((size_t)(n > 0 ? n : 1) * sizeof *v);
    if (!v || n < 1) {
        free(v);
        return NAN;
    }
    double total = 0.0;
    for (int k = 0; k < n; k++) {
        v[k].x = isfinite(x[k]) ? x[k] : INFINITY;
        v[k].w = w[k];
        total += w[k];
    }
    qsort(v, (size_t)n, sizeof *v, by_x);
    double cum = 0.0, r = v[n - 1].x;
    for (int k = 0; k < n; k++) {
        cum += v[k].w;
        if (cum >= q * total) {
            r = v[k].x;
            break;
        }
    }
    free(v);
    return r;
}

/* ---- stopping rules --------------------------------------------------------- */

static double next_tolerance(const abc_opts *o, const smc_history *h)
{
    size_t g = (size_t)h->n_gen - 1, N = (size_t)h->N;
    double eps = abc_weighted_quantile(h->distance + g * N, h->weight + g * N, h->N,
                                       o->alpha);
    return eps > o->tolerance ? eps : o->tolerance;
}

abc_status abc_judge(const abc_opts *o, const smc_history *h, char *reason,
                     size_t len)
{
    snprintf(reason, len, "%s", "");
    if (h->n_gen == 0)
        return ABC_RUNNING;
    int g = h->n_gen - 1;
    double eps = h->tolerance[g], ess = h->ess[g];
    if (eps <= o->tolerance) {
        if (ess >= o->min_ess * h->N) {
            snprintf(reason, len, "tolerance %.4g reached in generation %d with "
                     "ESS %.0f of %d", eps, g, ess, h->N);
            return ABC_CONVERGED;
        }
        snprintf(reason, len, "tolerance %.4g reached in generation %d, but the "
                 "ESS %.0f is below %.0f (%.2g of %d particles): the weights are "
                 "degenerate", eps, g, ess, o->min_ess * h->N, o->min_ess, h->N);
        return ABC_DEGENERATE;
    }
    if (g > 0 && h->acceptance[g] < o->min_acceptance) {
        snprintf(reason, len, "acceptance rate %.3g in generation %d is below %.3g at "
                 "tolerance %.4g, short of the target %.4g", h->acceptance[g], g,
                 o->min_acceptance, eps, o->tolerance);
        return ABC_STALLED;
    }
    double next = next_tolerance(o, h);
    if (!(next < eps)) {
        snprintf(reason, len, "the tolerance no longer shrinks (%.4g in generation %d, "
                 "target %.4g)", eps, g, o->tolerance);
        return ABC_STALLED;
    }
    if (h->n_gen >= o->max_generations) {
        snprintf(reason, len, "%d generations, the limit, reached tolerance %.4g, short "
                 "of the target %.4g", h->n_gen, eps, o->tolerance);
        return ABC_GENERATION_LIMIT;
    }
    return ABC_RUNNING;
}

/* ---- one generation ------------------------------------------------------ */

typedef struct {
    const abc_opts *o;
    const smc_history *h; /* generations before g */
    int g;
    double eps;
    int d, m, R;          /* record size R doubles */
    const double *L;      /* [d*d] lower Cholesky factor of the kernel */
    const double *cum;    /* [N] cumulative weights of generation g-1 */
    double *rec;          /* [N*R] */
    pthread_mutex_t lock;
    int next, failed, exhausted;
    long done, mine;      /* particles of this rank done, and in all */
    char err[1024];
} gen_ctx;

static double log_prior(const abc_opts *o, const double *theta)
{
    double lp = 0.0;
    for (int k = 0; k < o->n_params; k++)
        lp += prior_log_density(&o->priors[k], theta[k]);
    return lp;
}

/* The parent of a move: the first slot whose cumulative weight exceeds u. */
static int pick(const double *cum, int n, double u)
{
    double target = u * cum[n - 1];
    int lo = 0, hi = n - 1;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (cum[mid] > target)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

static int particle(gen_ctx *c, int worker, int i, gsl_rng *rng, double *theta,
                    double *z, char *err, size_t errlen)
{
    const abc_opts *o = c->o;
    int d = c->d, m = c->m, N = c->h->N;
    double *rec = c->rec + (size_t)i * c->R;
    uint64_t stream = seed_hash(seed_hash(seed_hash(o->seed, TAG_PARTICLE), (uint64_t)c->g),
                                (uint64_t)i);
    uint64_t sims = seed_hash(seed_hash(seed_hash(o->seed, TAG_SIMULATION), (uint64_t)c->g),
                              (uint64_t)i);
    gsl_rng_set(rng, seed_fold32(stream));
    double proposals = 0, simulations = 0;
    const double *prev = c->g > 0 ? c->h->theta + (size_t)(c->g - 1) * N * d : NULL;
    /* a attempts simulate; proposals outside the prior cost no simulation
     * (at most ABC_OUTSIDE_PER_ATTEMPT per attempt) */
    for (int a = 0; a < o->max_attempts;) {
        if (proposals >= (double)ABC_OUTSIDE_PER_ATTEMPT * o->max_attempts)
            break;
        proposals++;
        if (!prev) { /* generation 0 */
            for (int k = 0; k < d; k++)
                theta[k] = prior_sample(&o->priors[k], rng);
        } else {
            int j = pick(c->cum, N, gsl_rng_uniform(rng));
            for (int k = 0; k < d; k++)
                z[k] = gsl_ran_gaussian_ziggurat(rng, 1.0);
            for (int k = 0; k < d; k++) {
                double x = prev[(size_t)j * d + k];
                for (int q = 0; q <= k; q++)
                    x += c->L[k * d + q] * z[q];
                theta[k] = x;
            }
            if (!isfinite(log_prior(o, theta)))
                continue;
        }
        simulations++;
        a++;
        double *stats = rec + d + 1;
        if (o->simulate(o->ctx, worker, theta, seed_hash(sims, (uint64_t)(a - 1)), stats,
                        err, errlen)) {
            rec[d + m + 3] = FLAG_FAILED;
            return -1;
        }
        double dist = abc_distance(o, stats);
        if (c->g == 0 || dist <= c->eps) {
            memcpy(rec, theta, (size_t)d * sizeof *theta);
            rec[d] = dist;
            rec[d + m + 1] = proposals;
            rec[d + m + 2] = simulations;
            rec[d + m + 3] = FLAG_ACCEPTED;
            return 0;
        }
    }
    rec[d + m + 1] = proposals;
    rec[d + m + 2] = simulations;
    rec[d + m + 3] = FLAG_EXHAUSTED;
    return 0;
}

typedef struct {
    gen_ctx *c;
    int worker;
} worker_arg;

static void *worker(void *arg)
{
    worker_arg *wa = arg;
    gen_ctx *c = wa->c;
    const abc_opts *o = c->o;
    char err[1024] = "";
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    double *theta = calloc((size_t)c->d + 1, sizeof *theta);
    double *z = calloc((size_t)c->d + 1, sizeof *z);
    if (!rng || !theta || !z) {
        snprintf(err, sizeof err, "out of memory for a calibration worker");
        goto fail;
    }
    for (;;) {
        pthread_mutex_lock(&c->lock);
        /* after a failure, or a particle that found nothing (the
         * generation has stalled whatever the others find), stop */
        int i = c->failed || c->exhausted || (o->stop && *o->stop) ? c->h->N : c->next;
        if (i < c->h->N)
            c->next += o->n_ranks;
        pthread_mutex_unlock(&c->lock);
        if (i >= c->h->N)
            break;
        if (particle(c, wa->worker, i, rng, theta, z, err, sizeof err))
            goto fail;
        pthread_mutex_lock(&c->lock);
        if (c->rec[(size_t)i * c->R + c->d + c->m + 3] == FLAG_EXHAUSTED)
            c->exhausted = 1;
        c->done++;
        if (o->on_particle)
            o->on_particle(o->progress_ctx, c->g, c->done, c->mine);
        pthread_mutex_unlock(&c->lock);
    }
    gsl_rng_free(rng);
    free(theta);
    free(z);
    return NULL;
fail:
    gsl_rng_free(rng);
    free(theta);
    free(z);
    pthread_mutex_lock(&c->lock);
    if (!c->failed)
        snprintf(c->err, sizeof c->err, "%s", err);
    c->failed = 1;
    pthread_mutex_unlock(&c->lock);
    return NULL;
}

/* The lower Cholesky factor of twice the weighted covariance of generation
 * g-1 into L[d*d]; a ridge is added when the covariance is singular (a
 * parameter that no longer varies).  0, or -1. */
static int kernel(const abc_opts *o, const smc_history *h, double *L)
{
    int d = h->d, N = h->N;
    size_t g = (size_t)h->n_gen - 1;
    const double *th = h->theta + g * N * d, *w = h->weight + g * N;
    double *mu = calloc((size_t)d, sizeof *mu);
    gsl_matrix *C = gsl_matrix_calloc((size_t)d, (size_t)d);
    gsl_matrix *A = gsl_matrix_alloc((size_t)d, (size_t)d);
    int rc = -1;
    if (!mu || !C || !A)
        goto done;
    for (int i = 0; i < N; i++)
        for (int k = 0; k < d; k++)
            mu[k] += w[i] * th[(size_t)i * d + k];
    for (int i = 0; i < N; i++)
        for (int k = 0; k < d; k++)
            for (int q = 0; q <= k; q++) {
                double v = w[i] * (th[(size_t)i * d + k] - mu[k]) *
                           (th[(size_t)i * d + q] - mu[q]);
                gsl_matrix_set(C, (size_t)k, (size_t)q, gsl_matrix_get(C, (size_t)k, (size_t)q) + v);
            }
    for (int attempt = 0; attempt < 8 && rc != 0; attempt++) {
        double ridge = attempt ? pow(10.0, -14.0 + 2.0 * attempt) : 0.0;
        for (int k = 0; k < d; k++)
            for (int q = 0; q <= k; q++) {
                double v = 2.0 * gsl_matrix_get(C, (size_t)k, (size_t)q);
                if (k == q) {
                    /* a parameter that no longer varies moves a little still:
                     * a floor from its prior's spread */
                    double spread = prior_quantile(&o->priors[k], 0.95) -
                                    prior_quantile(&o->priors[k], 0.05);
                    double least = isfinite(spread) ? 1e-6 * spread * spread : 1e-12;
                    v = (v > least ? v : least) * (1.0 + ridge);
                }
                gsl_matrix_set(A, (size_t)k, (size_t)q, v);
                gsl_matrix_set(A, (size_t)q, (size_t)k, v);
            }
        if (gsl_linalg_cholesky_decomp1(A) == GSL_SUCCESS)
            rc = 0;
    }
    if (rc == 0)
        for (int k = 0; k < d; k++)
            for (int q = 0; q < d; q++)
                L[k * d + q] = q <= k ? gsl_matrix_get(A, (size_t)k, (size_t)q) : 0.0;
done:
    free(mu);
    gsl_matrix_free(C);
    gsl_matrix_free(A);
    return rc;
}

/* y = L^-1 x (forward substitution). */
static void solve_lower(const double *L, int d, const double *x, double *y)
{
    for (int k = 0; k < d; k++) {
        double v = x[k];
        for (int q = 0; q < k; q++)
            v -= L[k * d + q] * y[q];
        y[k] = v / L[k * d + k];
    }
}

/* Weights of generation g (in h, just added) from generation g-1. */
static int importance_weights(const abc_opts *o, smc_history *h, const double *L)
{
    int d = h->d, N = h->N;
    size_t g = (size_t)h->n_gen - 1;
    const double *th = h->theta + g * N * d, *pth = h->theta + (g - 1) * N * d;
    const double *pw = h->weight + (g - 1) * N;
    double *w = h->weight + g * N;
    double *py = malloc((size_t)N * d * sizeof *py), *y = malloc((size_t)d * sizeof *y);
    double *lw = malloc((size_t)N * sizeof *lw), *t = malloc((size_t)N * sizeof *t);
    if (!py || !y || !lw || !t) {
        free(py);
        free(y);
        free(lw);
        free(t);
        return -1;
    }
    for (int j = 0; j < N; j++)
        solve_lower(L, d, pth + (size_t)j * d, py + (size_t)j * d);
    double top = -INFINITY;
    for (int i = 0; i < N; i++) {
        solve_lower(L, d, th + (size_t)i * d, y);
        double mx = -INFINITY;
        for (int j = 0; j < N; j++) {
            if (!(pw[j] > 0)) {
                t[j] = -INFINITY;
                continue;
            }
            double s = 0.0;
            for (int k = 0; k < d; k++) {
                double e = y[k] - py[(size_t)j * d + k];
                s += e * e;
            }
            t[j] = log(pw[j]) - 0.5 * s;
            if (t[j] > mx)
                mx = t[j];
        }
        double sum = 0.0;
        for (int j = 0; j < N; j++)
            sum += exp(t[j] - mx);
        /* sum >= 1 when some parent has weight (the largest term is 1) */
        lw[i] = sum >= 1.0 ? log_prior(o, th + (size_t)i * d) - (mx + log(sum)) : -INFINITY;
        if (lw[i] > top)
            top = lw[i];
    }
    double total = 0.0;
    for (int i = 0; i < N; i++) {
        w[i] = isfinite(lw[i]) ? exp(lw[i] - top) : 0.0;
        total += w[i];
    }
    for (int i = 0; i < N; i++)
        w[i] /= total;
    free(py);
    free(y);
    free(lw);
    free(t);
    return 0;
}

/* Run generation g = h->n_gen.  0 (added to h); 1 interrupted; 2 a
 * particle exhausted its attempts (reason set); -1 error. */
static int generation(const abc_opts *o, smc_history *h, double eps, char *reason,
                      size_t len, char *err, size_t errlen)
{
    int d = h->d, m = h->m, N = h->N, g = h->n_gen;
    double t0 = now();
    gen_ctx c = {.o = o, .h = h, .g = g, .eps = eps, .d = d, .m = m, .R = d + m + 4,
                 .next = o->rank};
    for (int i = o->rank; i < N; i += o->n_ranks > 0 ? o->n_ranks : 1)
        c.mine++;
    double *L = calloc((size_t)d * d + 1, sizeof *L);
    double *cum = calloc((size_t)N + 1, sizeof *cum);
    c.rec = calloc((size_t)N * c.R, sizeof *c.rec);
    int rc = -1, jobs = o->jobs < 1 ? 1 : o->jobs;
    pthread_t *tid = calloc((size_t)jobs, sizeof *tid);
    worker_arg *args = calloc((size_t)jobs, sizeof *args);
    if (!L || !cum || !c.rec || !tid || !args) {
        snprintf(err, errlen, "out of memory for a generation of %d particles", N);
        goto done;
    }
    c.L = L;
    c.cum = cum;
    if (g > 0) {
        if (kernel(o, h, L)) {
            snprintf(err, errlen, "the kernel's covariance cannot be factorised "
                     "(generation %d)", g);
            goto done;
        }
        const double *pw = h->weight + (size_t)(g - 1) * N;
        double s = 0.0;
        for (int j = 0; j < N; j++)
            cum[j] = (s += pw[j]);
    }
    pthread_mutex_init(&c.lock, NULL);
    int started = 0;
    for (; jobs > 1 && started < jobs; started++) {
        args[started] = (worker_arg){&c, started};
        if (pthread_create(&tid[started], NULL, worker, &args[started]) != 0)
            break;
    }
    if (started == 0) {
        args[0] = (worker_arg){&c, 0};
        worker(&args[0]);
    }
    for (int k = 0; k < started; k++)
        pthread_join(tid[k], NULL);
    pthread_mutex_destroy(&c.lock);
    if (c.failed && o->n_ranks <= 1) {
        snprintf(err, errlen, "%s", c.err);
        goto done;
    }
    if (o->share && o->share(o->share_ctx, (unsigned char *)c.rec,
                             (size_t)N * c.R * sizeof *c.rec)) {
        snprintf(err, errlen, "cannot share the particles between ranks");
        goto done;
    }
    int missing = 0, exhausted = -1, failed = -1;
    for (int i = 0; i < N; i++) {
        double f = c.rec[(size_t)i * c.R + d + m + 3];
        missing += f == FLAG_NONE;
        if (f == FLAG_EXHAUSTED && exhausted < 0)
            exhausted = i;
        if (f == FLAG_FAILED && failed < 0)
            failed = i;
    }
    if (failed >= 0) {
        if (c.failed)
            snprintf(err, errlen, "%s", c.err);
        else
            snprintf(err, errlen, "a simulation failed on rank %d (particle %d)",
                     failed % (o->n_ranks > 0 ? o->n_ranks : 1), failed);
        goto done;
    }
    if (exhausted >= 0) {
        snprintf(reason, len, "a particle of generation %d found no parameter set "
                 "within tolerance %.4g in %d simulations (--max-attempts)", g, eps,
                 o->max_attempts);
        rc = 2;
        goto done;
    }
    if (missing) {
        rc = 1;
        goto done;
    }
    double props = 0, sims = 0;
    for (int i = 0; i < N; i++) {
        props += c.rec[(size_t)i * c.R + d + m + 1];
        sims += c.rec[(size_t)i * c.R + d + m + 2];
    }
    if (smc_history_grow(h)) {
        snprintf(err, errlen, "out of memory for generation %d", g);
        goto done;
    }
    h->n_gen = g + 1;
    for (int i = 0; i < N; i++) {
        const double *r = c.rec + (size_t)i * c.R;
        memcpy(h->theta + ((size_t)g * N + i) * d, r, (size_t)d * sizeof *r);
        h->distance[(size_t)g * N + i] = r[d];
        memcpy(h->stats + ((size_t)g * N + i) * m, r + d + 1, (size_t)m * sizeof *r);
        h->weight[(size_t)g * N + i] = 1.0 / N;
    }
    if (g > 0 && importance_weights(o, h, L)) {
        h->n_gen = g;
        snprintf(err, errlen, "out of memory for the weights of generation %d", g);
        goto done;
    }
    double sw2 = 0.0;
    for (int i = 0; i < N; i++)
        sw2 += h->weight[(size_t)g * N + i] * h->weight[(size_t)g * N + i];
    h->tolerance[g] = eps;
    h->ess[g] = 1.0 / sw2;
    h->acceptance[g] = N / sims;
    h->simulations[g] = sims;
    h->proposals[g] = props;
    h->seconds[g] = now() - t0;
    rc = 0;
done:
    free(L);
    free(cum);
    free(c.rec);
    free(tid);
    free(args);
    return rc;
}

/* Does any rank say yes?  (Every rank must ask: share is collective.) */
static int any_rank(const abc_opts *o, int yes)
{
    unsigned char b = yes ? 1 : 0;
    if (o->share && o->n_ranks > 1 && o->share(o->share_ctx, &b, 1))
        return 1;
    return b != 0;
}

int abc_fit(const abc_opts *o, smc_history *h, abc_status *status, char *reason,
            size_t len, char *err, size_t errlen)
{
    for (;;) {
        abc_status st = abc_judge(o, h, reason, len);
        if (st != ABC_RUNNING) {
            *status = st;
            return 0;
        }
        if (any_rank(o, o->stop && *o->stop)) {
            snprintf(reason, len, "interrupted after %d generations", h->n_gen);
            *status = ABC_INTERRUPTED;
            return 0;
        }
        double eps = h->n_gen == 0 ? INFINITY : next_tolerance(o, h);
        int rc = generation(o, h, eps, reason, len, err, errlen);
        if (rc < 0)
            return -1;
        if (rc == 1) {
            snprintf(reason, len, "interrupted in generation %d (%d generations kept)",
                     h->n_gen, h->n_gen);
            *status = ABC_INTERRUPTED;
            return 0;
        }
        if (rc == 2) {
            *status = ABC_STALLED;
            return 0;
        }
        char why[512];
        st = abc_judge(o, h, why, sizeof why);
        if (o->on_generation)
            o->on_generation(o->progress_ctx, h);
        int failed = o->checkpoint && o->checkpoint(o->checkpoint_ctx, h, st, why, err, errlen);
        if (any_rank(o, failed)) {
            if (!failed)
                snprintf(err, errlen, "the checkpoint failed on another rank");
            return -1;
        }
    }
}
