/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_abc.c - priors, ABC-SMC, the posterior file, the identity check and
 * the recovery of known parameters.
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include <cmocka.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <pthread.h>

#include "cmd/cmd.h"
#include "exp/abc.h"
#include "exp/calibrate.h"
#include "exp/ensemble.h"
#include "io/config.h"
#include "io/posterior.h"
#include "io/targets.h"
#include "model/prior.h"
#include "model/seedhash.h"
#include "testutil.h"

static char tmpdir[] = "/tmp/sim-test-abc-XXXXXX";

static const char *tmp_path(const char *name)
{
    static char path[256];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    return path;
}

static const char *write_tmp(const char *name, const char *text)
{
    const char *path = tmp_path(name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

static prior parse_ok(const char *text)
{
    prior p;
    char why[256];
    if (prior_parse(text, &p, why, sizeof why))
        fail_msg("'%s': %s", text, why);
    return p;
}

/* ---- priors ------------------------------------------------------------------ */

static void test_prior_parse_and_format(void **state)
{
    (void)state;
    static const char *const texts[][2] = {
        {"uniform(min=0.1, max=10)", "uniform(min=0.1, max=10)"},
        {" lognormal( median = 2 , sd_log = 0.7 ) [ 0.1 , 10 ] ",
         "lognormal(median=2, sd_log=0.7) [0.1, 10]"},
        {"normal(sd=0.2, mean=0.5) [0, 1]", "normal(mean=0.5, sd=0.2) [0, 1]"},
        {"beta(a=2, b=5)", "beta(a=2, b=5)"},
        {"beta(mean=0.8, sd=0.1)", "beta(mean=0.8, sd=0.1)"},
        {"normal(mean=0, sd=1) [0, inf]", "normal(mean=0, sd=1) [0, inf]"},
        {"normal(mean=3e8, sd=1e7)", "normal(mean=300000000, sd=10000000)"},
    };
    for (size_t k = 0; k < sizeof texts / sizeof texts[0]; k++) {
        prior p = parse_ok(texts[k][0]);
        char buf[200];
        prior_format(&p, buf, sizeof buf);
        assert_string_equal(buf, texts[k][1]);
        prior q = parse_ok(buf); /* reads back to the same prior */
        assert_memory_equal(&p, &q, sizeof p);
    }
    prior b = parse_ok("beta(mean=0.8, sd=0.1)");
    /* mean a/(a+b) = 0.8, variance ab/((a+b)^2(a+b+1)) = 0.01 */
    assert_float_equal(b.a / (b.a + b.b), 0.8, 1e-12);
    assert_float_equal(b.a * b.b / ((b.a + b.b) * (b.a + b.b) * (b.a + b.b + 1)), 0.01,
                       1e-12);
}

static void test_prior_errors(void **state)
{
    (void)state;
    static const char *const bad[][2] = {
        {"gamma(a=1, b=2)", "unknown distribution 'gamma'"},
        {"normal(mean=1)", "expected ','"},
        {"normal(mean=1, sd=0)", "normal needs sd > 0"},
        {"normal(mean=1, sigma=2)", "normal takes mean= and sd=, not 'sigma'"},
        {"normal(mean=1, mean=2)", "given twice"},
        {"uniform(min=2, max=1)", "min < max"},
        {"lognormal(median=-1, sd_log=1)", "median > 0"},
        {"beta(mean=0.5, sd=0.6)", "sd^2 < mean*(1-mean)"},
        {"beta(a=1, sd=0.1)", "mixed with the other form"},
        {"normal(mean=nan, sd=1)", "not a finite number"},
        {"normal(mean=0, sd=1) [1, 0]", "low < high"},
        {"normal(mean=0, sd=1) [40, 50]", "almost no probability"},
        {"beta(a=2, b=2) [2, 3]", "no interval"},
        {"normal(mean=0, sd=1) x", "unexpected 'x'"},
        {"", "expected a name"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        prior p;
        char why[256] = "";
        assert_int_equal(prior_parse(bad[k][0], &p, why, sizeof why), -1);
        if (!strstr(why, bad[k][1]))
            fail_msg("'%s': '%s' does not say '%s'", bad[k][0], why, bad[k][1]);
    }
}

/* Simpson's rule of exp(log-density) over [a, b]. */
static double integral(const prior *p, double a, double b)
{
    int n = 20000;
    double h = (b - a) / n, s = 0.0;
    for (int k = 0; k <= n; k++) {
        double w = k == 0 || k == n ? 1 : (k % 2 ? 4 : 2);
        s += w * exp(prior_log_density(p, a + k * h));
    }
    return s * h / 3;
}

static void test_prior_density_and_quantiles(void **state)
{
    (void)state;
    /* each density, truncated or not, integrates to 1 over its support */
    static const char *const texts[] = {
        "uniform(min=1, max=3)", "normal(mean=1, sd=2) [0, 2]",
        "lognormal(median=2, sd_log=0.3) [1, 5]", "beta(a=2, b=5)",
        "beta(mean=0.3, sd=0.1) [0.1, 0.5]", "normal(mean=0, sd=1) [3, 6]"};
    for (size_t k = 0; k < sizeof texts / sizeof texts[0]; k++) {
        prior p = parse_ok(texts[k]);
        double lo = isfinite(p.lo) ? p.lo : -10, hi = isfinite(p.hi) ? p.hi : 10;
        assert_float_equal(integral(&p, lo, hi), 1.0, 1e-6);
        /* quantiles invert the distribution: the mass below q's quantile is q */
        for (double q = 0.1; q < 0.95; q += 0.2)
            assert_float_equal(integral(&p, lo, prior_quantile(&p, q)), q, 1e-6);
        assert_true(isinf(prior_log_density(&p, hi + 1)));
        assert_true(prior_log_density(&p, hi + 1) < 0);
    }
    prior n = parse_ok("normal(mean=2, sd=3)");
    assert_float_equal(prior_quantile(&n, 0.5), 2.0, 1e-12);
    assert_float_equal(prior_quantile(&n, 0.975), 2.0 + 3.0 * 1.959963984540054, 1e-9);
    assert_float_equal(prior_log_density(&n, 2.0), -log(3.0 * sqrt(2 * acos(-1.0))), 1e-12);
    prior ln = parse_ok("lognormal(median=5, sd_log=0.4)");
    assert_float_equal(prior_quantile(&ln, 0.5), 5.0, 1e-12);
    /* a half-normal: the median is sd * Phi^-1(0.75) */
    prior half = parse_ok("normal(mean=0, sd=1) [0, inf]");
    assert_float_equal(prior_quantile(&half, 0.5), gsl_cdf_ugaussian_Pinv(0.75), 1e-12);
    assert_float_equal(prior_log_density(&half, 0.0), log(2.0 / sqrt(2 * acos(-1.0))), 1e-12);
    /* a far tail keeps its digits: [6, 7] of a standard normal */
    prior tail = parse_ok("normal(mean=0, sd=1) [6, 7]");
    double med = prior_quantile(&tail, 0.5);
    assert_true(med > 6.0 && med < 6.2);
    /* the parameter's bounds truncate further */
    prior t = parse_ok("normal(mean=0, sd=1)");
    char why[256];
    assert_int_equal(prior_truncate(&t, 0.0, 1.0, why, sizeof why), 0);
    assert_float_equal(integral(&t, 0.0, 1.0), 1.0, 1e-6);
    assert_int_equal(prior_truncate(&t, 30.0, 40.0, why, sizeof why), -1);
}

static void test_prior_sampling(void **state)
{
    (void)state;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937), *q = gsl_rng_alloc(gsl_rng_mt19937);
    prior p = parse_ok("beta(a=2, b=5) [0.1, 0.9]");
    gsl_rng_set(r, 11);
    gsl_rng_set(q, 11);
    int n = 200000;
    double sum = 0.0;
    for (int k = 0; k < n; k++) {
        double x = prior_sample(&p, r);
        assert_true(x >= 0.1 && x <= 0.9);
        sum += x;
        (void)gsl_rng_uniform_pos(q); /* one variate a draw */
    }
    assert_int_equal(gsl_rng_get(r), gsl_rng_get(q));
    /* the truncated mean, by integration */
    double mean = 0.0, h = 0.8 / 20000;
    for (int k = 0; k < 20000; k++) {
        double x = 0.1 + (k + 0.5) * h;
        mean += x * exp(prior_log_density(&p, x)) * h;
    }
    assert_float_equal(sum / n, mean, 2e-3);
    gsl_rng_free(r);
    gsl_rng_free(q);
}

/* ---- priors in configs -------------------------------------------------------- */

/* A scenario beside the copy of scenarios/ (include paths are relative). */
static sim_config *load_text(const char *name, const char *text, config_error *e)
{
    char path[128];
    snprintf(path, sizeof path, "scenarios/%s", name);
    return config_load_file(write_tmp(path, text), e);
}

static const char *baseline_with(const char *extra)
{
    static char text[4096];
    snprintf(text, sizeof text, "@include \"baseline.cfg\"\n%s", extra);
    return text;
}

static void test_config_priors(void **state)
{
    (void)state;
    config_error e;
    /* the shipped configs carry priors; the resolved text prints them */
    sim_config *c = load_text("p.cfg", baseline_with(""), &e);
    if (!c)
        fail_msg("%s: %s: %s", e.file, e.key, e.reason);
    const model_params *p = config_params(c);
    assert_true(p->n_priors >= 10);
    param_ref ref;
    char why[256];
    assert_int_equal(config_resolve_path(p, "relations.gamma", &ref, why, sizeof why), 0);
    const prior *g = params_prior_of(p, ref);
    assert_non_null(g);
    assert_int_equal(g->kind, PRIOR_LOGNORMAL);
    /* truncated at 0.1 and 10: the median moves a little below 2 */
    assert_true(prior_quantile(g, 0.5) > 1.95 && prior_quantile(g, 0.5) < 2.0);
    char *text = config_resolved_text(c);
    assert_non_null(strstr(text, "gamma = 2.0; gamma_prior = \"lognormal(median=2, sd_log=0.7) [0.1, 10]\";"));
    /* the resolved text loads back with the same priors */
    sim_config *d = config_load_string(text, "resolved", &e);
    if (!d)
        fail_msg("resolved: %s: %s", e.key, e.reason);
    assert_int_equal(config_params(d)->n_priors, p->n_priors);
    for (int k = 0; k < p->n_priors; k++)
        assert_memory_equal(&config_params(d)->priors[k].pr, &p->priors[k].pr, sizeof(prior));
    free(text);
    /* --set of a prior, on a pair given in either order; copies keep them */
    assert_int_equal(config_apply_set(c, "pairs.RUS_CHN.affinity_prior=beta(mean=0.7, sd=0.1)", &e), 0);
    p = config_params(c);
    assert_int_equal(config_resolve_path(p, "pairs.CHN_RUS.affinity", &ref, why, sizeof why), 0);
    assert_non_null(params_prior_of(p, ref));
    model_params *copy = params_copy(p);
    assert_int_equal(copy->n_priors, p->n_priors);
    assert_non_null(params_prior_of(copy, ref));
    assert_ptr_not_equal(copy->priors, p->priors);
    params_free(copy);
    config_free(d);
    config_free(c);
}

/* The baseline with `old` replaced by `new` in (a copy of) default.cfg. */
static sim_config *baseline_edited(const char *old, const char *new, config_error *e)
{
    char *def = NULL, *base = NULL;
    size_t n = 0, m = 0;
    FILE *f = fopen("configs/default.cfg", "r"), *g = fopen("scenarios/baseline.cfg", "r");
    assert_non_null(f);
    assert_non_null(g);
    assert_int_equal(getdelim(&def, &n, '\0', f) > 0, 1);
    assert_int_equal(getdelim(&base, &m, '\0', g) > 0, 1);
    fclose(f);
    fclose(g);
    char *at = strstr(def, old), *inc = strstr(base, "default.cfg");
    assert_non_null(at);
    assert_non_null(inc);
    size_t len = strlen(def) + strlen(new) + strlen(base) + 64;
    char *text = malloc(len);
    snprintf(text, len, "%.*s%s%s", (int)(at - def), def, new, at + strlen(old));
    write_tmp("configs/edited.cfg", text);
    snprintf(text, len, "%.*sedited.cfg%s", (int)(inc - base), base, inc + strlen("default.cfg"));
    sim_config *c = config_load_file(write_tmp("scenarios/edited.cfg", text), e);
    free(text);
    free(def);
    free(base);
    return c;
}

static void test_config_prior_errors(void **state)
{
    (void)state;
    static const char *const bad[][4] = {
        {"gamma = 2.0;", "gamma = 2.0; gama_prior = \"uniform(min=0, max=1)\";",
         "relations.gama_prior", "no parameter 'relations.gama'"},
        {"gamma_prior = \"lognormal(median=2, sd_log=0.7) [0.1, 10]\";", "gamma_prior = 2.0;",
         "relations.gamma_prior", "expected a string"},
        {"gamma_prior = \"lognormal(median=2, sd_log=0.7) [0.1, 10]\";",
         "gamma_prior = \"normal(mean=2)\";", "relations.gamma_prior", "expected ','"},
        {"rounds = ", "rounds_prior = \"uniform(min=1, max=9)\"; rounds = ",
         "trade.rounds_prior", "only real-valued"},
        {"eta_prior = \"lognormal(median=0.1, sd_log=0.5) [0, 1]\";",
         "eta_prior = \"uniform(min=2, max=3)\";",
         "relations.eta_prior", "within the parameter's bounds [0, 1]"},
        {"    demand = {", "    demand = { tanks_prior = \"uniform(min=1, max=2)\";",
         "agents.RUS.demand.tanks_prior", "no good named 'tanks'"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        config_error e;
        memset(&e, 0, sizeof e);
        sim_config *c = baseline_edited(bad[k][0], bad[k][1], &e);
        if (c)
            fail_msg("case %zu loaded", k);
        assert_string_equal(e.key, bad[k][2]);
        if (!strstr(e.reason, bad[k][3]))
            fail_msg("case %zu: '%s' does not say '%s'", k, e.reason, bad[k][3]);
        assert_true(e.line > 0);
        assert_non_null(strstr(e.file, "configs/edited.cfg"));
    }
    /* --set: a bad prior is named */
    config_error e;
    sim_config *c = load_text("p.cfg", baseline_with(""), &e);
    assert_non_null(c);
    assert_int_equal(config_apply_set(c, "relations.gamma_prior=lognormal(median=0, sd_log=1)", &e), -1);
    assert_string_equal(e.file, "--set");
    assert_non_null(strstr(e.reason, "median > 0"));
    config_free(c);
}

/* ---- ABC-SMC on a known posterior -------------------------------------------- */

/* x_1..x_n ~ N(mu, 1): the statistic is the sample mean, N(mu, 1/n).  With
 * the prior mu ~ N(0, 1) the posterior is N(n xbar / (n + 1), 1 / (n + 1)). */
#define NORMAL_N 20

typedef struct {
    gsl_rng *rng[8];
} normal_ctx;

static int normal_simulate(void *ctx, int worker, const double *theta, uint64_t seed,
                           double *stats, char *err, size_t errlen)
{
    normal_ctx *c = ctx;
    (void)err;
    (void)errlen;
    gsl_rng_set(c->rng[worker], seed_fold32(seed));
    double s = 0.0;
    for (int k = 0; k < NORMAL_N; k++)
        s += theta[0] + gsl_ran_gaussian_ziggurat(c->rng[worker], 1.0);
    stats[0] = s / NORMAL_N;
    return 0;
}

typedef struct {
    normal_ctx ctx;
    prior pr;
    double observed, scale, weight;
    abc_opts o;
} normal_problem;

static void normal_setup(normal_problem *np, int particles, int jobs)
{
    memset(np, 0, sizeof *np);
    for (int k = 0; k < 8; k++)
        np->ctx.rng[k] = gsl_rng_alloc(gsl_rng_mt19937);
    np->pr = parse_ok("normal(mean=0, sd=1)");
    np->observed = 1.0;
    np->scale = 1.0 / sqrt(NORMAL_N); /* the statistic's sd */
    np->weight = 1.0;
    np->o = (abc_opts){.n_params = 1, .priors = &np->pr, .n_stats = 1,
                       .observed = &np->observed, .scale = &np->scale,
                       .weight = &np->weight, .simulate = normal_simulate,
                       .ctx = &np->ctx, .particles = particles, .max_generations = 40,
                       .alpha = 0.5, .tolerance = 0.05, .min_acceptance = 0.005,
                       .min_ess = 0.2, .max_attempts = 100000, .seed = 2024,
                       .jobs = jobs, .n_ranks = 1};
}

static void normal_clean(normal_problem *np)
{
    for (int k = 0; k < 8; k++)
        gsl_rng_free(np->ctx.rng[k]);
}

static smc_history *normal_fit(normal_problem *np, abc_status *st)
{
    smc_history *h = smc_history_alloc(np->o.particles, 1, 1);
    char reason[512], err[512];
    assert_int_equal(abc_fit(&np->o, h, st, reason, sizeof reason, err, sizeof err), 0);
    return h;
}

static void weighted_moments(const smc_history *h, double *mean, double *var)
{
    size_t g = (size_t)h->n_gen - 1, N = (size_t)h->N;
    double m = 0.0, v = 0.0;
    for (size_t i = 0; i < N; i++)
        m += h->weight[g * N + i] * h->theta[g * N + i];
    for (size_t i = 0; i < N; i++)
        v += h->weight[g * N + i] * (h->theta[g * N + i] - m) * (h->theta[g * N + i] - m);
    *mean = m;
    *var = v;
}

static void test_abc_known_posterior(void **state)
{
    (void)state;
    normal_problem np;
    normal_setup(&np, 2000, 2);
    abc_status st;
    smc_history *h = normal_fit(&np, &st);
    assert_int_equal(st, ABC_CONVERGED);
    double mean, var;
    weighted_moments(h, &mean, &var);
    double post_mean = NORMAL_N * 1.0 / (NORMAL_N + 1), post_var = 1.0 / (NORMAL_N + 1);
    print_message("ABC-SMC on N(mu, 1), n = %d, prior N(0, 1), xbar = 1: posterior mean "
                  "%.5f (exact %.5f), variance %.5f (exact %.5f), %d generations, "
                  "tolerance %.3g, ESS %.0f of %d\n", NORMAL_N, mean, post_mean, var,
                  post_var, h->n_gen, h->tolerance[h->n_gen - 1], h->ess[h->n_gen - 1],
                  h->N);
    /* tolerances: the mean within 0.02 (about 3 Monte Carlo errors of an
     * ESS of 1000), the variance within 10% */
    assert_float_equal(mean, post_mean, 0.02);
    assert_float_equal(var, post_var, 0.1 * post_var);
    /* the last tolerance is the target; tolerances fall; weights sum to 1 */
    assert_float_equal(h->tolerance[h->n_gen - 1], 0.05, 0.0);
    for (int g = 2; g < h->n_gen; g++)
        assert_true(h->tolerance[g] < h->tolerance[g - 1]);
    double w = 0.0;
    for (int i = 0; i < h->N; i++)
        w += h->weight[(size_t)(h->n_gen - 1) * h->N + i];
    assert_float_equal(w, 1.0, 1e-12);
    smc_history_free(h);
    normal_clean(&np);
}

static void assert_same_history(const smc_history *a, const smc_history *b)
{
    assert_int_equal(a->n_gen, b->n_gen);
    size_t G = (size_t)a->n_gen, N = (size_t)a->N;
    assert_memory_equal(a->theta, b->theta, G * N * a->d * sizeof(double));
    assert_memory_equal(a->weight, b->weight, G * N * sizeof(double));
    assert_memory_equal(a->distance, b->distance, G * N * sizeof(double));
    assert_memory_equal(a->stats, b->stats, G * N * a->m * sizeof(double));
    assert_memory_equal(a->tolerance, b->tolerance, G * sizeof(double));
    assert_memory_equal(a->ess, b->ess, G * sizeof(double));
    assert_memory_equal(a->simulations, b->simulations, G * sizeof(double));
    assert_memory_equal(a->proposals, b->proposals, G * sizeof(double));
}

static void test_abc_threads_bit_identical(void **state)
{
    (void)state;
    smc_history *h[3];
    int jobs[3] = {1, 2, 5};
    for (int k = 0; k < 3; k++) {
        normal_problem np;
        normal_setup(&np, 300, jobs[k]);
        abc_status st;
        h[k] = normal_fit(&np, &st);
        assert_int_equal(st, ABC_CONVERGED);
        normal_clean(&np);
    }
    assert_same_history(h[0], h[1]);
    assert_same_history(h[0], h[2]);
    for (int k = 0; k < 3; k++)
        smc_history_free(h[k]);
}

/* Ranks in one process: one thread a rank, share() through a barrier. */
typedef struct {
    pthread_barrier_t bar;
    pthread_mutex_t lock;
    unsigned char *sum;
    size_t bytes;
} fake_mpi;

static int fake_share(void *ctx, unsigned char *buf, size_t bytes)
{
    fake_mpi *f = ctx;
    if (pthread_barrier_wait(&f->bar) == PTHREAD_BARRIER_SERIAL_THREAD) {
        free(f->sum);
        f->sum = calloc(bytes, 1);
        f->bytes = bytes;
    }
    pthread_barrier_wait(&f->bar);
    pthread_mutex_lock(&f->lock);
    for (size_t k = 0; k < bytes; k++)
        f->sum[k] |= buf[k];
    pthread_mutex_unlock(&f->lock);
    pthread_barrier_wait(&f->bar);
    memcpy(buf, f->sum, bytes);
    pthread_barrier_wait(&f->bar);
    return 0;
}

typedef struct {
    fake_mpi *f;
    int rank, size;
    smc_history *h;
} rank_arg;

static void *rank_main(void *arg)
{
    rank_arg *a = arg;
    normal_problem np;
    normal_setup(&np, 300, 2);
    np.o.rank = a->rank;
    np.o.n_ranks = a->size;
    np.o.share = fake_share;
    np.o.share_ctx = a->f;
    a->h = smc_history_alloc(300, 1, 1);
    abc_status st;
    char reason[512], err[512];
    if (abc_fit(&np.o, a->h, &st, reason, sizeof reason, err, sizeof err) ||
        st != ABC_CONVERGED)
        a->h->n_gen = -1;
    normal_clean(&np);
    return NULL;
}

static void test_abc_ranks_bit_identical(void **state)
{
    (void)state;
    normal_problem np;
    normal_setup(&np, 300, 1);
    abc_status st;
    smc_history *one = normal_fit(&np, &st);
    normal_clean(&np);
    for (int size = 2; size <= 3; size++) {
        fake_mpi f = {.sum = NULL};
        pthread_barrier_init(&f.bar, NULL, (unsigned)size);
        pthread_mutex_init(&f.lock, NULL);
        pthread_t tid[3];
        rank_arg args[3];
        for (int r = 0; r < size; r++) {
            args[r] = (rank_arg){&f, r, size, NULL};
            pthread_create(&tid[r], NULL, rank_main, &args[r]);
        }
        for (int r = 0; r < size; r++)
            pthread_join(tid[r], NULL);
        for (int r = 0; r < size; r++) {
            assert_same_history(one, args[r].h);
            smc_history_free(args[r].h);
        }
        free(f.sum);
        pthread_barrier_destroy(&f.bar);
        pthread_mutex_destroy(&f.lock);
    }
    smc_history_free(one);
}

/* Stopping after any generation and going on gives the same history. */
static int stop_at;
static int checkpoints;
static int count_checkpoint(void *ctx, const smc_history *h, abc_status st,
                            const char *reason, char *err, size_t errlen)
{
    (void)ctx;
    (void)st;
    (void)reason;
    (void)err;
    (void)errlen;
    checkpoints++;
    assert_true(h->n_gen >= 1);
    return 0;
}

static void test_abc_resume_same_posterior(void **state)
{
    (void)state;
    normal_problem np;
    normal_setup(&np, 300, 2);
    abc_status st;
    smc_history *whole = normal_fit(&np, &st);
    for (stop_at = 1; stop_at < whole->n_gen; stop_at += 2) {
        np.o.max_generations = stop_at;
        checkpoints = 0;
        np.o.checkpoint = count_checkpoint;
        smc_history *h = normal_fit(&np, &st);
        assert_int_equal(st, ABC_GENERATION_LIMIT);
        assert_int_equal(h->n_gen, stop_at);
        assert_int_equal(checkpoints, stop_at);
        np.o.max_generations = 40;
        char reason[512], err[512];
        assert_int_equal(abc_fit(&np.o, h, &st, reason, sizeof reason, err, sizeof err), 0);
        assert_int_equal(st, ABC_CONVERGED);
        assert_same_history(whole, h);
        smc_history_free(h);
    }
    np.o.checkpoint = NULL;
    smc_history_free(whole);
    normal_clean(&np);
}

static void test_abc_stopping_rules(void **state)
{
    (void)state;
    normal_problem np;
    abc_status st;
    char reason[512], err[512];
    /* a tolerance below what the model reaches with that acceptance: stalled */
    normal_setup(&np, 200, 2);
    np.o.tolerance = 1e-6;
    np.o.min_acceptance = 0.05;
    smc_history *h = smc_history_alloc(200, 1, 1);
    assert_int_equal(abc_fit(&np.o, h, &st, reason, sizeof reason, err, sizeof err), 0);
    assert_int_equal(st, ABC_STALLED);
    assert_non_null(strstr(reason, "acceptance rate"));
    assert_true(h->acceptance[h->n_gen - 1] < 0.05);
    smc_history_free(h);
    /* too few attempts a particle: stalled, and the generation is not kept */
    np.o.min_acceptance = 0;
    np.o.max_attempts = 3;
    h = smc_history_alloc(200, 1, 1);
    assert_int_equal(abc_fit(&np.o, h, &st, reason, sizeof reason, err, sizeof err), 0);
    assert_int_equal(st, ABC_STALLED);
    assert_non_null(strstr(reason, "found no parameter set"));
    for (int g = 0; g < h->n_gen; g++)
        assert_true(h->simulations[g] <= 3.0 * 200);
    smc_history_free(h);
    /* the generation limit */
    np.o.max_attempts = 100000;
    np.o.tolerance = 0.05;
    np.o.max_generations = 2;
    h = smc_history_alloc(200, 1, 1);
    assert_int_equal(abc_fit(&np.o, h, &st, reason, sizeof reason, err, sizeof err), 0);
    assert_int_equal(st, ABC_GENERATION_LIMIT);
    assert_int_equal(h->n_gen, 2);
    /* a history already there is judged first: nothing more runs */
    abc_status again;
    assert_int_equal(abc_fit(&np.o, h, &again, reason, sizeof reason, err, sizeof err), 0);
    assert_int_equal(again, ABC_GENERATION_LIMIT);
    assert_int_equal(h->n_gen, 2);
    smc_history_free(h);
    /* a demanding ESS: degenerate */
    np.o.max_generations = 40;
    np.o.min_ess = 1.0;
    h = smc_history_alloc(200, 1, 1);
    assert_int_equal(abc_fit(&np.o, h, &st, reason, sizeof reason, err, sizeof err), 0);
    assert_int_equal(st, ABC_DEGENERATE);
    smc_history_free(h);
    normal_clean(&np);
    /* a signal before the start: interrupted, nothing run */
    normal_setup(&np, 200, 2);
    volatile sig_atomic_t stop = 1;
    np.o.stop = &stop;
    h = smc_history_alloc(200, 1, 1);
    assert_int_equal(abc_fit(&np.o, h, &st, reason, sizeof reason, err, sizeof err), 0);
    assert_int_equal(st, ABC_INTERRUPTED);
    assert_int_equal(h->n_gen, 0);
    smc_history_free(h);
    normal_clean(&np);
}

static void test_abc_distance_and_quantile(void **state)
{
    (void)state;
    double obs[3] = {10, 0, 5}, scale[3] = {2, 1, 1}, w[3] = {1, 2, 0};
    abc_opts o = {.n_stats = 3, .observed = obs, .scale = scale, .weight = w};
    double s[3] = {12, 0.5, 1e9};
    /* max(1 * |12-10|/2, 2 * |0.5|/1) = 1; rms sqrt((1 + 2*0.25) / 3) */
    assert_float_equal(abc_distance(&o, s), 1.0, 1e-15);
    o.distance = ABC_DISTANCE_RMS;
    assert_float_equal(abc_distance(&o, s), sqrt(1.5 / 3), 1e-15);
    s[1] = NAN;
    assert_true(isinf(abc_distance(&o, s)));
    s[1] = 0.5;
    s[2] = NAN; /* a statistic with no weight does not count */
    assert_true(isfinite(abc_distance(&o, s)));
    double x[5] = {5, 1, NAN, 3, 2}, wx[5] = {0.1, 0.1, 0.1, 0.4, 0.3};
    /* sorted: 1 (.1), 2 (.3), 3 (.4), 5 (.1), inf (.1) */
    assert_float_equal(abc_weighted_quantile(x, wx, 5, 0.1), 1, 0);
    assert_float_equal(abc_weighted_quantile(x, wx, 5, 0.5), 3, 0);
    assert_float_equal(abc_weighted_quantile(x, wx, 5, 0.85), 5, 0);
    assert_true(isinf(abc_weighted_quantile(x, wx, 5, 0.95)));
}

/* ---- the posterior file ---------------------------------------------------- */

static void test_posterior_file_round_trip(void **state)
{
    (void)state;
    normal_problem np;
    normal_setup(&np, 100, 1);
    abc_status st;
    smc_history *h = normal_fit(&np, &st);
    const char *pn[1] = {"agents.A.capacity.ammo"}, *pt[1] = {"normal(mean=0, sd=1)"};
    const char *sn[1] = {"out"}, *sl[1] = {"output"}, *su[1] = {"rounds"};
    const char *sr[1] = {"fit"}, *sd[1] = {"2023-06"};
    double lo = 0.5, hi = 1.5;
    posterior_setting set[1] = {{"alpha", 0.5}};
    posterior_meta pm = {.h = h, .param_names = pn, .prior_texts = pt, .stat_names = sn,
                         .stat_labels = sl, .stat_units = su, .stat_roles = sr,
                         .stat_dates = sd, .observed = &np.observed, .low = &lo,
                         .high = &hi, .scale = &np.scale, .weight = &np.weight,
                         .status = "converged", .reason = "because", .converged = 1,
                         .fit_hash = "abc123", .seed = 7, .settings = set,
                         .n_settings = 1, .config_text = "x = 1;",
                         .targets_text = "t", .history = "test"};
    char err[512];
    const char *path = tmp_path("post.h5");
    assert_int_equal(posterior_write(path, &pm, err, sizeof err), 0);
    posterior_file *f = posterior_read(path, err, sizeof err);
    if (!f)
        fail_msg("%s", err);
    assert_same_history(h, f->h);
    assert_memory_equal(h->seconds, f->h->seconds, (size_t)h->n_gen * sizeof(double));
    assert_string_equal(f->param_names[0], "agents.A.capacity.ammo");
    assert_string_equal(f->status, "converged");
    assert_string_equal(f->fit_hash, "abc123");
    assert_int_equal(f->converged, 1);
    /* draws follow the weights; a run's draw depends on the run alone */
    int n = 20000;
    double mean = 0.0;
    for (int r = 0; r < n; r++)
        mean += posterior_particle(f, posterior_pick(f, 99, r))[0];
    double wmean, wvar;
    weighted_moments(h, &wmean, &wvar);
    assert_float_equal(mean / n, wmean, 4 * sqrt(wvar / n));
    assert_int_equal(posterior_pick(f, 99, 17), posterior_pick(f, 99, 17));
    /* bound to a world that has the parameter: runs use particle values */
    model_params *p = tiny_params(0);
    param_ref ref;
    assert_int_equal(posterior_bind(f, p, &ref, err, sizeof err), 0);
    int k = posterior_pick(f, 99, 3);
    posterior_apply(f, k, &ref, p);
    assert_float_equal(p->ag[0].capacity, posterior_particle(f, k)[0], 0);
    posterior_file_free(f);
    /* a file that is not a posterior, a missing file, a directory */
    assert_null(posterior_read(tmp_path("nothere.h5"), err, sizeof err));
    assert_non_null(strstr(err, "No such file"));
    assert_null(posterior_read(tmpdir, err, sizeof err));
    write_tmp("text.h5", "not hdf5\n");
    assert_null(posterior_read(tmp_path("text.h5"), err, sizeof err));
    assert_non_null(strstr(err, "not an HDF5 file"));
    /* a directory as the destination is refused, nothing left behind */
    assert_int_equal(posterior_write(tmpdir, &pm, err, sizeof err), -1);
    params_free(p);
    smc_history_free(h);
    normal_clean(&np);
}

/* An ensemble drawing from a posterior: run r uses particle pick(r), so
 * the runs' values follow the particles. */
static void test_ensemble_draws_from_posterior(void **state)
{
    (void)state;
    smc_history *h = smc_history_alloc(3, 1, 0);
    assert_int_equal(smc_history_grow(h), 0);
    h->n_gen = 1;
    double theta[3] = {10, 20, 30}, w[3] = {0.2, 0.0, 0.8};
    memcpy(h->theta, theta, sizeof theta);
    memcpy(h->weight, w, sizeof w);
    char *names[1] = {strdup("agents.A.capacity.ammo")};
    posterior_file f = {.h = h, .d = 1, .param_names = names};
    model_params *p = tiny_params(0);
    config_error e;
    target_file *t = targets_load(write_tmp("m.cfg",
        "measures = ( { name = \"out\"; variables = [\"production\"]; agents = [\"A\"];\n"
        "  goods = [\"ammo\"]; } );\n"), p, &e);
    assert_non_null(t);
    int n = 200;
    double *v = calloc((size_t)n, sizeof *v);
    char err[256];
    assert_int_equal(calibrate_evaluate(p, t->ms, n, 3, 5, &f, v, err, sizeof err), 0);
    int seen[3] = {0, 0, 0};
    for (int r = 0; r < n; r++) {
        int k = posterior_pick(&f, 5, r);
        assert_float_equal(v[r], 6 * theta[k], 1e-9); /* 6 months at capacity */
        seen[k]++;
    }
    assert_int_equal(seen[1], 0); /* weight 0: never drawn */
    assert_true(seen[2] > seen[0]);
    free(v);
    free(names[0]);
    targets_free(t);
    params_free(p);
    smc_history_free(h);
}

/* ---- the identity check, fits of the model, recovery ------------------------ */

static void test_identity_flags_config_set_targets(void **state)
{
    (void)state;
    config_error e;
    sim_config *c = load_text("p.cfg", baseline_with(""), &e);
    assert_non_null(c);
    assert_int_equal(config_apply_set(c, "agents.CHN.capacity.chips_prior=uniform(min=4e8, max=8e8)", &e), 0);
    const model_params *p = config_params(c);
    target_file *t = targets_load(write_tmp("id.cfg",
        "targets = (\n"
        "  { name = \"ven\"; variables = [\"sanctions\"]; agents = [\"VEN\"]; from = \"2023-11\";\n"
        "    to = \"2023-11\"; reduce = \"first\"; value = 0.45; range = [0.4, 0.5]; },\n"
        "  { name = \"cap\"; variables = [\"capacity\"]; agents = [\"CHN\"]; goods = [\"chips\"];\n"
        "    from = \"2023-01\"; to = \"2023-03\"; reduce = \"sum\"; scale = 1.0e6;\n"
        "    value = 1800.0; range = [1500.0, 2100.0]; },\n"
        "  { name = \"trade\"; variables = [\"trade_value\", \"civilian_trade\"]; agents = [\"CHN\", \"RUS\"];\n"
        "    partners = [\"CHN\", \"RUS\"]; from = \"2023-01\"; to = \"2023-12\"; scale = 1.0e9;\n"
        "    value = 240.0; range = [220.0, 260.0]; }\n"
        ");\n"), p, &e);
    if (!t)
        fail_msg("%s: %s", e.key, e.reason);
    calib_stats *st = calib_stats_alloc(t, p, INT_MAX);
    calib_exec x = {.jobs = 2, .n_ranks = 1};
    char err[512];
    assert_int_equal(calibrate_identity(p, t->ms, NULL, 0, 30, 1, &x, st, err, sizeof err), 0);
    /* set by an event of the scenario */
    assert_int_equal(st->role[0], ROLE_IDENTITY);
    assert_non_null(strstr(st->why[0], "agents.VEN.sanctions"));
    assert_true(st->cv[0] < 1e-12);
    assert_float_equal(st->weight[0], 0.0, 0.0);
    /* equal (as a monthly mean) to a parameter drawn from its prior: it
     * varies, and it is still an identity */
    assert_int_equal(st->role[1], ROLE_IDENTITY);
    assert_non_null(strstr(st->why[1], "equals agents.CHN.capacity.chips"));
    assert_true(st->cv[1] > 0.05);
    /* evidence */
    assert_int_equal(st->role[2], ROLE_FIT);
    assert_true(st->cv[2] > CALIB_IDENTITY_CV);
    assert_float_equal(st->weight[2], 1.0, 0.0);
    calib_stats_free(st);
    targets_free(t);
    config_free(c);
}

static void test_roles_by_date(void **state)
{
    (void)state;
    model_params *p = tiny_params(0);
    config_error e;
    target_file *t = targets_load(write_tmp("d.cfg",
        "targets = (\n"
        "  { name = \"early\"; variables = [\"production\"]; to = \"2023-03\"; value = 1.0; range = [0.0, 2.0]; weight = 2.0; },\n"
        "  { name = \"late\"; variables = [\"production\"]; from = \"2023-04\"; value = 1.0; range = [0.0, 2.0]; }\n"
        ");\n"
        "measures = ( { name = \"m\"; variables = [\"stock\"]; } );\n"), p, &e);
    assert_non_null(t);
    calib_stats *st = calib_stats_alloc(t, p, 2); /* fit until 2023-03 */
    assert_int_equal(st->role[0], ROLE_FIT);
    assert_float_equal(st->weight[0], 2.0, 0);
    assert_float_equal(st->scale[0], 1.0, 0);
    assert_string_equal(st->date[0], "2023-03");
    assert_int_equal(st->role[1], ROLE_OUT_OF_SAMPLE);
    assert_float_equal(st->weight[1], 0.0, 0);
    assert_string_equal(st->date[1], "2023-06");
    assert_int_equal(st->role[2], ROLE_MEASURE);
    assert_true(isnan(st->observed[2]));
    calib_stats_free(st);
    targets_free(t);
    params_free(p);
}

/* Synthetic targets made by the model at known parameters: each
 * calibrated parameter's posterior covers the truth and is narrower than
 * its prior.  A parameter that no target sees keeps its prior. */
static void test_recovery_small(void **state)
{
    (void)state;
    model_params *p = tiny_params(0);
    p->ag[0].capacity = 75.0;  /* truth: A makes 75 ammo a month */
    p->ag[3].capacity = 40.0;  /* B makes 40 chips a month */
    config_error e;
    target_file *t = targets_load(write_tmp("r.cfg",
        "targets = (\n"
        "  { name = \"ammo\"; variables = [\"production\"]; agents = [\"A\"]; goods = [\"ammo\"];\n"
        "    value = 450.0; range = [420.0, 480.0]; },\n"
        "  { name = \"chips\"; variables = [\"production\"]; agents = [\"B\"]; goods = [\"chips\"];\n"
        "    reduce = \"mean\"; value = 40.0; range = [38.0, 42.0]; }\n"
        ");\n"
        "free = ( { path = \"agents.A.capacity.ammo\"; }, { path = \"agents.B.capacity.chips\"; },\n"
        "         { path = \"agents.C.capacity.ammo\"; } );\n"), p, &e);
    assert_null(t); /* no priors yet */
    assert_non_null(strstr(e.reason, "has no prior"));
    p->priors = calloc(3, sizeof *p->priors);
    p->n_priors = 3;
    const char *paths[3] = {"agents.A.capacity.ammo", "agents.B.capacity.chips",
                            "agents.C.capacity.ammo"};
    const char *priors[3] = {"uniform(min=1, max=200)", "lognormal(median=30, sd_log=0.5)",
                             "uniform(min=0, max=50)"};
    char why[256];
    for (int k = 0; k < 3; k++) {
        assert_int_equal(config_resolve_path(p, paths[k], &p->priors[k].ref, why, sizeof why), 0);
        p->priors[k].pr = parse_ok(priors[k]);
    }
    t = targets_load(tmp_path("r.cfg"), p, &e);
    if (!t)
        fail_msg("%s: %s", e.key, e.reason);
    calib_stats *st = calib_stats_alloc(t, p, INT_MAX);
    double truth[3] = {75.0, 40.0, 0.0}, obs[2], v[2];
    char err[512], reason[512];
    assert_int_equal(calibrate_evaluate(p, t->ms, 1, 1, 3, NULL, v, err, sizeof err), 0);
    obs[0] = v[0];
    obs[1] = v[1];
    assert_float_equal(obs[0], 450.0, 1e-9);
    calib_fit_opts fo = {.particles = 300, .max_generations = 30, .replicates = 1,
                         .max_attempts = 5000, .alpha = 0.5, .tolerance = 1.0,
                         .min_acceptance = 0.001, .min_ess = 0.1, .seed = 42};
    calib_exec x = {.jobs = 2, .n_ranks = 1};
    smc_history *h = smc_history_alloc(300, 3, 2);
    abc_status status;
    assert_int_equal(calibrate_fit(p, t, st, obs, &fo, &x, h, &status, reason,
                                   sizeof reason, err, sizeof err), 0);
    assert_int_equal(status, ABC_CONVERGED);
    static const double q[3] = {0.05, 0.5, 0.95};
    for (int k = 0; k < 3; k++) {
        double qq[3];
        calibrate_param_quantiles(h, k, q, 3, qq);
        const prior *pr = &t->free[k].pr;
        double ratio = (qq[2] - qq[0]) / (prior_quantile(pr, 0.95) - prior_quantile(pr, 0.05));
        print_message("recovery: %s truth %g, posterior %.4g [%.4g, %.4g], width %.2f of "
                      "the prior's\n", paths[k], truth[k], qq[1], qq[0], qq[2], ratio);
        if (k < 2) {
            assert_true(truth[k] >= qq[0] && truth[k] <= qq[2]);
            assert_true(ratio < 0.2);
        } else {
            assert_true(ratio > 0.8); /* no target sees it: the prior stays */
        }
    }
    smc_history_free(h);
    calib_stats_free(st);
    targets_free(t);
    params_free(p);
}

int main(void)
{
    char cp[512];
    if (!mkdtemp(tmpdir))
        return 1;
    snprintf(cp, sizeof cp, "cp -r scenarios configs %s/", tmpdir);
    if (system(cp) != 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_prior_parse_and_format),
        cmocka_unit_test(test_prior_errors),
        cmocka_unit_test(test_prior_density_and_quantiles),
        cmocka_unit_test(test_prior_sampling),
        cmocka_unit_test(test_config_priors),
        cmocka_unit_test(test_config_prior_errors),
        cmocka_unit_test(test_abc_distance_and_quantile),
        cmocka_unit_test(test_abc_known_posterior),
        cmocka_unit_test(test_abc_threads_bit_identical),
        cmocka_unit_test(test_abc_ranks_bit_identical),
        cmocka_unit_test(test_abc_resume_same_posterior),
        cmocka_unit_test(test_abc_stopping_rules),
        cmocka_unit_test(test_posterior_file_round_trip),
        cmocka_unit_test(test_ensemble_draws_from_posterior),
        cmocka_unit_test(test_identity_flags_config_set_targets),
        cmocka_unit_test(test_roles_by_date),
        cmocka_unit_test(test_recovery_small),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    if (system(cmd) != 0)
        return 1;
    return rc;
}
