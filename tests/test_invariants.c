/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_invariants.c - whole runs: conservation of goods and money on every
 * step, bounded quantities, no NaN, determinism, and a known answer for a
 * fixed seed; on the baseline and on randomised valid configurations.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>
#include <gsl/gsl_rng.h>

#include "cmd/cmd.h"
#include "io/config.h"
#include "testutil.h"

static sim_config *baseline(void)
{
    config_error e;
    sim_config *c = config_load_string(sim_embedded_baseline, "baseline", &e);
    if (!c) {
        char line[1200];
        config_error_format(&e, line, sizeof line);
        fail_msg("%s", line);
    }
    return c;
}

static double rel(double a, double b)
{
    double scale = fmax(1.0, fmax(fabs(a), fabs(b)));
    return fabs(a - b) / scale;
}

#define CHECK_CLOSE(a, b, what, ...)                                          \
    do {                                                                      \
        if (rel((a), (b)) > 1e-9)                                             \
            fail_msg("%s: %.17g != %.17g " what, __func__, (double)(a),       \
                     (double)(b), __VA_ARGS__);                               \
    } while (0)

static void check_finite(const double *x, size_t n, const char *name)
{
    for (size_t k = 0; k < n; k++)
        if (!isfinite(x[k]))
            fail_msg("%s[%zu] is not finite", name, k);
}

static void check_range(const double *x, size_t n, const char *name, double lo,
                        double hi)
{
    for (size_t k = 0; k < n; k++)
        if (!(x[k] >= lo && x[k] <= hi))
            fail_msg("%s[%zu] = %g outside [%g, %g]", name, k, x[k], lo, hi);
}

/* Every invariant of one step, given the stock before it. */
static void check_step(const model_state *s, const double *prev_stock)
{
    int n = s->n, g = s->g;
    size_t ng = (size_t)n * g, nn = (size_t)n * n, nng = nn * g;
    const struct {
        const double *x;
        size_t len;
        const char *name;
    } all[] = {
        {s->stock, ng, "stock"},           {s->production, ng, "production"},
        {s->consumption, ng, "consumption"}, {s->shortfall, ng, "shortfall"},
        {s->imports, ng, "imports"},       {s->exports, ng, "exports"},
        {s->world_imports, ng, "world_imports"},
        {s->world_exports, ng, "world_exports"},
        {s->flow, nng, "flow"},            {s->interdicted, nng, "interdicted"},
        {s->trade_value, nn, "trade_value"},
        {s->civilian_trade, nn, "civilian_trade"},
        {s->dependence, nn, "dependence"}, {s->price, (size_t)g, "price"},
        {s->gdp, (size_t)n, "gdp"},        {s->cash, (size_t)n, "cash"},
        {s->capacity, ng, "capacity"},     {s->demand, ng, "demand"},
    };
    for (size_t v = 0; v < sizeof all / sizeof all[0]; v++) {
        check_finite(all[v].x, all[v].len, all[v].name);
        if (all[v].x != s->cash)
            check_range(all[v].x, all[v].len, all[v].name, 0.0, HUGE_VAL);
    }
    check_range(s->affinity, nn, "affinity", 0, 1);
    check_range(s->rivalry, nn, "rivalry", 0, 1);
    check_range(s->usd_share, nn, "usd_share", 0, 1);
    check_range(s->competition, nn, "competition", 0, 1);
    check_range(s->fill, nn, "fill", 0, 1);
    check_range(s->sanctions, (size_t)n, "sanctions", 0, 1);
    check_range(s->member, (size_t)n, "member", 0, 1);
    check_range(s->discount, ng, "discount", 0, 1);
    check_range(&s->cohesion, 1, "cohesion", 0, 1);
    check_range(&s->connectivity, 1, "connectivity", 0, 1);
    check_range(&s->hub_share, 1, "hub_share", 0, 1);
    for (int i = 0; i < n; i++)
        assert_true(s->member[i] == 0.0 || s->member[i] == 1.0);

    double paid = 0, received = 0;
    for (int i = 0; i < n; i++) {
        double out_value = 0, in_value = 0;
        for (int j = 0; j < n; j++) {
            out_value += s->trade_value[AP(s, i, j)];
            in_value += s->trade_value[AP(s, j, i)];
        }
        /* money: the exporter receives what the importer pays */
        CHECK_CLOSE(out_value, s->received[i], "received by %d", i);
        CHECK_CLOSE(in_value, s->paid[i], "paid by %d", i);
        paid += s->paid[i];
        received += s->received[i];
        for (int k = 0; k < g; k++) {
            double shipped = 0, arrived = 0;
            for (int j = 0; j < n; j++) {
                shipped += s->flow[APG(s, i, j, k)];
                arrived += s->flow[APG(s, j, i, k)] - s->interdicted[APG(s, j, i, k)];
                assert_true(s->interdicted[APG(s, j, i, k)] <=
                            s->flow[APG(s, j, i, k)] * (1 + 1e-12));
            }
            /* goods: exports and imports include the rest of the world;
             * imports count what arrived after interdiction */
            CHECK_CLOSE(s->exports[AG(s, i, k)],
                        shipped + s->world_exports[AG(s, i, k)], "exports %d %d",
                        i, k);
            CHECK_CLOSE(s->imports[AG(s, i, k)],
                        arrived + s->world_imports[AG(s, i, k)], "imports %d %d",
                        i, k);
            double expect = prev_stock[AG(s, i, k)] + s->production[AG(s, i, k)] +
                            s->imports[AG(s, i, k)] - s->exports[AG(s, i, k)] -
                            s->consumption[AG(s, i, k)];
            /* to rounding of the largest term (a clamp at zero may absorb
             * a few ulps when exports equal the stock) */
            double scale = fmax(fmax(prev_stock[AG(s, i, k)], s->production[AG(s, i, k)]),
                                fmax(s->imports[AG(s, i, k)],
                                     fmax(s->exports[AG(s, i, k)],
                                          s->consumption[AG(s, i, k)])));
            if (fabs(s->stock[AG(s, i, k)] - expect) > 1e-9 * fmax(1.0, scale))
                fail_msg("stock of %d good %d: %.17g != %.17g", i, k,
                         s->stock[AG(s, i, k)], expect);
        }
    }
    CHECK_CLOSE(paid, received, "bloc total%s", "");
    /* every bloc flow goes by a route; losses per route add up per pair */
    for (int k = 0; k < g; k++) {
        double by_pair = 0, lost_pair = 0, by_route = 0, lost_route = 0;
        for (size_t ij = 0; ij < nn; ij++) {
            by_pair += s->flow[ij * g + k];
            lost_pair += s->interdicted[ij * g + k];
        }
        for (int r = 0; r < s->p->n_routes; r++) {
            by_route += s->route_flow[(size_t)r * g + k];
            lost_route += s->route_interdicted[(size_t)r * g + k];
        }
        CHECK_CLOSE(by_route, by_pair, "route flows, good %d", k);
        CHECK_CLOSE(lost_route, lost_pair, "route losses, good %d", k);
    }
}

/* Run p to its horizon checking every step; returns the final state. */
static model_state *checked_run(const model_params *p, unsigned long seed)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, seed);
    model_state *s = model_alloc(p);
    assert_non_null(s);
    size_t ng = (size_t)s->n * s->g;
    double *prev = malloc(ng * sizeof *prev);
    for (int t = 0; t < p->g.months; t++) {
        memcpy(prev, s->stock, ng * sizeof *prev);
        model_step(s, r);
        assert_int_equal(s->t, t);
        check_step(s, prev);
    }
    free(prev);
    gsl_rng_free(r);
    return s;
}

static void test_baseline_invariants(void **state)
{
    (void)state;
    sim_config *c = baseline();
    model_state *s = checked_run(config_params(c), 1);
    model_free(s);
    config_free(c);
}

/* Chips consumed as drone inputs are counted in consumption, so the
 * "demand split" check above is on final demand only when no input was
 * used; check the split directly where there is no input use. */
static void test_shortfall_split(void **state)
{
    (void)state;
    sim_config *c = baseline();
    const model_params *p = config_params(c);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    model_state *s = model_alloc(p);
    int shells = params_good_index(p, "shells");
    for (int t = 0; t < p->g.months; t++) {
        model_step(s, r);
        for (int i = 0; i < s->n; i++) {
            size_t ik = AG(s, i, shells);
            assert_float_equal(s->consumption[ik] + s->shortfall[ik],
                               s->demand[ik], 1e-6);
        }
    }
    model_free(s);
    gsl_rng_free(r);
    config_free(c);
}

/* A random valid configuration: the baseline with every numeric model
 * parameter redrawn (within its bounds) around its value, random
 * membership and routes. */
static model_params *randomised(const model_params *base, gsl_rng *r)
{
    model_params *p = params_copy(base);
    for (size_t k = 0; k < param_table_len; k++) {
        const param_def *d = &param_table[k];
        if (d->type == PT_STRING || d->type == PT_CHOICE || d->type == PT_INT ||
            d->scope == SCOPE_GLOBAL)
            continue;
        int n1, n2;
        param_extent(p, d->scope, &n1, &n2);
        for (int a = 0; a < n1; a++)
            for (int b = 0; b < n2; b++) {
                param_ref ref = {d, a, b};
                double v = param_get(p, ref);
                if (d->type == PT_BOOL)
                    v = gsl_rng_uniform(r) < 0.5;
                else if (d->max <= 1.0 || strcmp(d->key, "sanctions") == 0)
                    v = d->min + (d->max - d->min) * gsl_rng_uniform(r);
                else if (isfinite(v))
                    v *= exp(gsl_rng_uniform(r) * 2.0 - 1.0); /* x e^[-1,1] */
                if (isfinite(v))
                    param_set(p, ref, fmin(fmax(v, d->min), d->max));
            }
    }
    p->g.sigma_a = 0.1 * gsl_rng_uniform(r);
    p->g.rivalry_sigma = 0.1 * gsl_rng_uniform(r);
    p->g.feedback = gsl_rng_uniform(r) < 0.5;
    p->g.months = 36;
    return p;
}

static void test_random_configs(void **state)
{
    (void)state;
    sim_config *c = baseline();
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 2024);
    for (int trial = 0; trial < 200; trial++) {
        model_params *p = randomised(config_params(c), r);
        model_state *s = checked_run(p, (unsigned long)trial + 1);
        model_free(s);
        params_free(p);
    }
    gsl_rng_free(r);
    config_free(c);
}

static void test_tiny_world_invariants(void **state)
{
    (void)state;
    /* the hand-built world of the phase tests with everything on */
    model_params *p = tiny_params(0);
    for (int i = 0; i < 3; i++)
        for (int k = 0; k < 2; k++) {
            p->ag[i * 2 + k].capacity = 50.0 * (i + 1) * (k + 1);
            p->ag[i * 2 + k].demand = 40.0 * (3 - i);
            p->ag[i * 2 + k].reserve = 0.5;
            p->ag[i * 2 + k].stock = 100.0;
        }
    p->goods[0].world_pull = 0.5;
    p->goods[1].world_access = 0.5;
    p->goods[1].world_close = 2.0;
    for (int r = 0; r < 3; r++) {
        p->routes[r].vulnerability = 0.5;
        p->routes[r].interdiction = 0.4;
    }
    p->g.sigma_a = 0.05;
    p->g.months = 60;
    model_state *s = checked_run(p, 3);
    model_free(s);
    params_free(p);
}

/* Same seed: the same bits.  Another seed: another trajectory. */
static void test_determinism(void **state)
{
    (void)state;
    sim_config *c = baseline();
    const model_params *p = config_params(c);
    model_state *a = checked_run(p, model_run_seed(5, 0));
    model_state *b = checked_run(p, model_run_seed(5, 0));
    model_state *d = checked_run(p, model_run_seed(5, 1));
    size_t ng = (size_t)a->n * a->g, nn = (size_t)a->n * a->n;
    assert_memory_equal(a->stock, b->stock, ng * sizeof(double));
    assert_memory_equal(a->flow, b->flow, nn * a->g * sizeof(double));
    assert_memory_equal(a->affinity, b->affinity, nn * sizeof(double));
    assert_memory_equal(a->price, b->price, a->g * sizeof(double));
    assert_memory_equal(&a->connectivity, &b->connectivity, sizeof(double));
    assert_memory_not_equal(a->affinity, d->affinity, nn * sizeof(double));
    assert_memory_not_equal(a->price, d->price, a->g * sizeof(double));
    model_free(a);
    model_free(b);
    model_free(d);
    config_free(c);
}

/* Known answer: the baseline, master seed 20230101, run 0, 12 months.
 * Two values follow by hand from the configuration: the Alabuga ramp
 * reaches 350 drones a month in month 11, less 0.5 * 0.8 * 0.3 for
 * sanctions (raised to 0.8 by EO 14114), = 308; North Korea ships the
 * full 350k + 100k route limit.  The others were produced by this code and
 * are pinned so that any change to the model's arithmetic or random stream
 * is seen. */
#define KA_SEED 1130685873UL
#define KA_RUS_SHELL_STOCK 203369.19219999993
#define KA_PRK_RUS_SHELLS 450000
#define KA_RUS_DRONES 308
#define KA_RUS_CHN_OIL 75038723.333483666
#define KA_OIL_PRICE 77.907473330747692
#define KA_AFF_RUS_CHN 0.71855928609330477
#define KA_CONNECTIVITY 0.60988916603407739
#define KA_USD_RUS_CHN 0.033615223227387046

static void test_known_answer(void **state)
{
    (void)state;
    sim_config *c = baseline();
    config_error e;
    assert_int_equal(config_apply_set(c, "scenario.months=12", &e), 0);
    const model_params *p = config_params(c);
    assert_int_equal((long long)p->g.seed, 20230101LL);
    unsigned long seed = model_run_seed(20230101ULL, 0);
    assert_int_equal(seed, KA_SEED);
    model_state *s = checked_run(p, seed);
    int rus = params_agent_index(p, "RUS"), prk = params_agent_index(p, "PRK");
    int chn = params_agent_index(p, "CHN");
    int shells = params_good_index(p, "shells"), oil = params_good_index(p, "oil");
    int drones = params_good_index(p, "drones");
    assert_float_equal(s->stock[AG(s, rus, shells)], KA_RUS_SHELL_STOCK, 1e-6);
    assert_float_equal(s->flow[APG(s, prk, rus, shells)], KA_PRK_RUS_SHELLS, 1e-6);
    assert_float_equal(s->production[AG(s, rus, drones)], KA_RUS_DRONES, 1e-9);
    assert_float_equal(s->flow[APG(s, rus, chn, oil)], KA_RUS_CHN_OIL, 1e-3);
    assert_float_equal(s->price[oil], KA_OIL_PRICE, 1e-9);
    assert_float_equal(s->affinity[AP(s, rus, chn)], KA_AFF_RUS_CHN, 1e-12);
    assert_float_equal(s->connectivity, KA_CONNECTIVITY, 1e-12);
    assert_float_equal(s->usd_share[AP(s, rus, chn)], KA_USD_RUS_CHN, 1e-12);
    model_free(s);
    config_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_baseline_invariants),
        cmocka_unit_test(test_shortfall_split),
        cmocka_unit_test(test_tiny_world_invariants),
        cmocka_unit_test(test_random_configs),
        cmocka_unit_test(test_determinism),
        cmocka_unit_test(test_known_answer),
    };
    return cmocka_run_group_tests_name("whole runs", tests, NULL, NULL);
}
