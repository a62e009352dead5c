/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_model.c - each phase of the step against values computed by hand.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <gsl/gsl_rng.h>

#include "testutil.h"

#define TOL 1e-9

static model_state *tiny_state(model_params *p)
{
    model_state *s = model_alloc(p);
    params_free(p);
    assert_non_null(s);
    s->t = 0; /* phases run as in the first step */
    return s;
}

/* ---- calendar, geography, seeds ------------------------------------------ */

static void test_days_since_start(void **state)
{
    (void)state;
    model_params *p = tiny_params(0);
    assert_float_equal(model_days_since_start(p, 0), 0.0, 0.0);
    assert_float_equal(model_days_since_start(p, 1), 31.0, 0.0);
    assert_float_equal(model_days_since_start(p, 12), 365.0, 0.0);
    /* 2024 is a leap year: Jan 31 + Feb 29 */
    assert_float_equal(model_days_since_start(p, 14), 425.0, 0.0);
    p->start_year = 2023;
    p->start_month = 12;
    assert_float_equal(model_days_since_start(p, 1), 31.0, 0.0);
    assert_float_equal(model_days_since_start(p, 3), 31.0 + 31.0 + 29.0, 0.0);
    params_free(p);
}

static void test_distance(void **state)
{
    (void)state;
    model_params *p = tiny_params(0);
    /* one degree of longitude on the equator */
    assert_float_equal(model_distance(p, 0, 1), 6371.0 * acos(-1.0) / 180.0,
                       1e-9);
    /* Moscow - Beijing, great circle: 5,794 km */
    p->agents[0].lat = 55.7558;
    p->agents[0].lon = 37.6173;
    p->agents[1].lat = 39.9042;
    p->agents[1].lon = 116.4074;
    assert_float_equal(model_distance(p, 0, 1), 5794.0, 1.0);
    params_free(p);
}

static void test_run_seed(void **state)
{
    (void)state;
    unsigned long a = model_run_seed(20230101ULL, 0);
    assert_int_equal(a, model_run_seed(20230101ULL, 0));
    assert_int_not_equal(a, model_run_seed(20230101ULL, 1));
    assert_int_not_equal(a, model_run_seed(20230102ULL, 0));
    assert_true(a > 0 && a <= 0xffffffffUL);
    /* no collisions among the first 10,000 runs of one sweep */
    static unsigned long seen[10000];
    for (unsigned long r = 0; r < 10000; r++) {
        seen[r] = model_run_seed(42ULL, r);
        for (unsigned long q = 0; q < r; q++)
            assert_int_not_equal(seen[q], seen[r]);
    }
}

/* ---- phase 3: production ------------------------------------------------- */

static void test_production(void **state)
{
    (void)state;
    model_params *p = tiny_params(0);
    p->agents[0].sanctions = 0.4;
    p->goods[0].sensitivity = 0.5;
    p->ag[0].capacity = 100.0;     /* A ammo */
    p->ag[0].western_dep = 0.5;
    model_state *s = tiny_state(p);
    model_phase_production(s);
    /* 100 * (1 - 0.5 * 0.4 * 0.5) = 90 */
    assert_float_equal(s->production[AG(s, 0, 0)], 90.0, TOL);
    assert_float_equal(s->stock[AG(s, 0, 0)], 90.0, TOL);
    assert_float_equal(s->capacity[AG(s, 0, 0)], 100.0, TOL);
    model_free(s);
}

static void test_production_input_limit(void **state)
{
    (void)state;
    model_params *p = tiny_params(0);
    snprintf(p->goods[0].input, sizeof p->goods[0].input, "chips");
    p->goods[0].input_per_unit = 2.0;
    p->input_good[0] = 1;
    p->ag[0].capacity = 90.0; /* A ammo */
    p->ag[1].stock = 100.0;   /* A chips: enough for 50 */
    model_state *s = tiny_state(p);
    model_phase_production(s);
    assert_float_equal(s->production[AG(s, 0, 0)], 50.0, TOL);
    assert_float_equal(s->stock[AG(s, 0, 1)], 0.0, TOL);
    assert_float_equal(s->consumption[AG(s, 0, 1)], 100.0, TOL);
    /* with enough input, capacity binds and only what is used is consumed */
    s->stock[AG(s, 0, 1)] = 1000.0;
    s->stock[AG(s, 0, 0)] = 0.0;
    model_phase_production(s);
    assert_float_equal(s->production[AG(s, 0, 0)], 90.0, TOL);
    assert_float_equal(s->stock[AG(s, 0, 1)], 820.0, TOL);
    assert_float_equal(s->consumption[AG(s, 0, 1)], 180.0, TOL);
    model_free(s);
}

/* ---- phase 5: trade matching --------------------------------------------- */

/* A exports ammo (stock `x`, no demand); B and C need `mb` and `mc`. */
static model_state *market(double x, double mb, double mc, double ab,
                           double ac, int c_member)
{
    model_params *p = tiny_params(0);
    p->ag[0].stock = x;
    p->ag[2].demand = mb; /* B ammo (agent 1, good 0) */
    p->ag[4].demand = mc; /* C ammo */
    p->pairs[1].affinity = p->pairs[3].affinity = ab;
    p->pairs[2].affinity = p->pairs[6].affinity = ac;
    p->agents[2].member = c_member;
    return tiny_state(p);
}

static void test_trade_single(void **state)
{
    (void)state;
    model_state *s = market(100.0, 30.0, 0.0, 0.5, 0.5, 1);
    model_phase_trade(s);
    assert_float_equal(s->flow[APG(s, 0, 1, 0)], 30.0, TOL);
    assert_float_equal(s->exports[AG(s, 0, 0)], 30.0, TOL);
    assert_float_equal(s->stock[AG(s, 0, 0)], 70.0, TOL);
    assert_float_equal(s->world_exports[AG(s, 0, 0)], 0.0, TOL);
    model_free(s);
}

static void test_trade_water_filling(void **state)
{
    (void)state;
    /* weights 40*0.75 = 30 and 40*0.25 = 10: 50 splits 37.5 / 12.5 */
    model_state *s = market(50.0, 40.0, 40.0, 0.75, 0.25, 1);
    model_phase_trade(s);
    assert_float_equal(s->flow[APG(s, 0, 1, 0)], 37.5, TOL);
    assert_float_equal(s->flow[APG(s, 0, 2, 0)], 12.5, TOL);
    model_free(s);
    /* 100: round one gives B 75 (capped at 40) and C 25; round two sends
     * C its missing 15; 20 remain with A */
    s = market(100.0, 40.0, 40.0, 0.75, 0.25, 1);
    model_phase_trade(s);
    assert_float_equal(s->flow[APG(s, 0, 1, 0)], 40.0, TOL);
    assert_float_equal(s->flow[APG(s, 0, 2, 0)], 40.0, TOL);
    assert_float_equal(s->stock[AG(s, 0, 0)], 20.0, TOL);
    model_free(s);
}

static void test_trade_candidate_weight(void **state)
{
    (void)state;
    /* equal needs and affinities; C is a candidate at half weight: 2:1 */
    model_state *s = market(30.0, 40.0, 40.0, 0.5, 0.5, 0);
    model_phase_trade(s);
    assert_float_equal(s->flow[APG(s, 0, 1, 0)], 20.0, TOL);
    assert_float_equal(s->flow[APG(s, 0, 2, 0)], 10.0, TOL);
    model_free(s);
    /* candidates do not trade with candidates */
    s = market(0.0, 0.0, 40.0, 0.5, 0.5, 0);
    s->member[0] = 0.0;
    s->stock[AG(s, 0, 0)] = 100.0;
    model_phase_trade(s);
    assert_float_equal(s->flow[APG(s, 0, 2, 0)], 0.0, 0.0);
    model_free(s);
}

static void test_trade_refusals(void **state)
{
    (void)state;
    /* affinity to C below A's defection threshold: all goes to B */
    model_state *s = market(30.0, 40.0, 40.0, 0.5, 0.1, 1);
    s->p->agents[0].defection = 0.2;
    model_phase_trade(s);
    assert_float_equal(s->flow[APG(s, 0, 1, 0)], 30.0, TOL);
    assert_float_equal(s->flow[APG(s, 0, 2, 0)], 0.0, 0.0);
    model_free(s);
    /* controlled good: exposure 0.5 * s_B 0.8 = 0.4 > tolerance 0.3 */
    s = market(30.0, 40.0, 0.0, 0.5, 0.5, 1);
    s->p->goods[0].controlled = 1.0;
    s->p->agents[0].secondary = 0.5;
    s->p->agents[0].tolerance = 0.3;
    s->sanctions[1] = 0.8;
    model_phase_trade(s);
    assert_float_equal(s->flow[APG(s, 0, 1, 0)], 0.0, 0.0);
    /* under tolerance it flows */
    s->p->agents[0].tolerance = 0.5;
    s->stock[AG(s, 0, 0)] = 30.0;
    model_phase_trade(s);
    assert_float_equal(s->flow[APG(s, 0, 1, 0)], 30.0, TOL);
    model_free(s);
}

static void test_trade_routes(void **state)
{
    (void)state;
    /* a throughput limit caps the pair's flow */
    model_state *s = market(100.0, 40.0, 0.0, 0.5, 0.5, 1);
    s->p->rg[0 * 2 + 0].limit = 10.0; /* route A-B, ammo */
    model_phase_trade(s);
    assert_float_equal(s->flow[APG(s, 0, 1, 0)], 10.0, TOL);
    model_free(s);
    /* no open route, no trade */
    s = market(100.0, 40.0, 0.0, 0.5, 0.5, 1);
    s->p->routes[0].open = 0.0;
    model_phase_trade(s);
    assert_float_equal(s->flow[APG(s, 0, 1, 0)], 0.0, 0.0);
    model_free(s);
}

static void test_trade_world(void **state)
{
    (void)state;
    /* the world bids 0.3 * 100 = 30 against B's 30 * 0.5 = 15: B gets its
     * 30 (capped), the world takes the other 70 */
    model_state *s = market(100.0, 30.0, 0.0, 0.5, 0.5, 1);
    s->p->goods[0].world_pull = 0.3;
    model_phase_trade(s);
    assert_float_equal(s->flow[APG(s, 0, 1, 0)], 30.0, TOL);
    assert_float_equal(s->world_exports[AG(s, 0, 0)], 70.0, TOL);
    assert_float_equal(s->stock[AG(s, 0, 0)], 0.0, TOL);
    model_free(s);
    /* the world fills 0.5 of B's remaining need, less B's pressure
     * relative to world_close: 20 * 0.5 * (1 - 0.5/2) = 7.5 */
    s = market(10.0, 30.0, 0.0, 0.5, 0.5, 1);
    s->p->goods[0].world_access = 0.5;
    s->p->goods[0].world_close = 2.0;
    s->sanctions[1] = 0.5;
    model_phase_trade(s);
    assert_float_equal(s->flow[APG(s, 0, 1, 0)], 10.0, TOL);
    assert_float_equal(s->world_imports[AG(s, 1, 0)], 7.5, TOL);
    model_free(s);
}

/* ---- phase 6: prices and payment ----------------------------------------- */

static void test_prices(void **state)
{
    (void)state;
    model_state *s = market(100.0, 30.0, 0.0, 0.5, 0.5, 1);
    s->p->goods[0].discount = 0.2;
    s->p->g.usd_friction = 0.1;
    s->sanctions[0] = 0.5;
    s->sanctions[1] = 0.25;
    s->usd_share[AP(s, 0, 1)] = s->usd_share[AP(s, 1, 0)] = 0.4;
    model_phase_trade(s);
    model_phase_prices(s);
    /* discount min(0.2, 0.2 * 0.5) = 0.1: 30 * 100 * 0.9 = 2700 */
    assert_float_equal(s->discount[AG(s, 0, 0)], 0.1, TOL);
    assert_float_equal(s->trade_value[AP(s, 0, 1)], 2700.0, TOL);
    assert_float_equal(s->paid[1], 2700.0, TOL);
    assert_float_equal(s->received[0], 2700.0, TOL);
    /* friction 0.1 * 0.4 * max(0.5, 0.25) * 2700 = 54, paid by the buyer */
    assert_float_equal(s->friction[1], 54.0, TOL);
    assert_float_equal(s->cash[1], -2754.0, TOL);
    assert_float_equal(s->cash[0], 2700.0, TOL);
    model_free(s);
}

static void test_usd_share(void **state)
{
    (void)state;
    model_state *s = market(0.0, 0.0, 0.0, 0.5, 0.5, 1);
    s->p->g.usd_drift = 0.5;
    s->p->g.usd_threshold = 0.3;
    s->p->g.usd_relax = 0.2;
    s->sanctions[0] = 0.7;
    s->sanctions[1] = 0.1;
    s->sanctions[2] = 0.1;
    s->usd_share[AP(s, 0, 1)] = s->usd_share[AP(s, 1, 0)] = 0.5;
    s->usd_share[AP(s, 1, 2)] = s->usd_share[AP(s, 2, 1)] = 0.2;
    s->p->pairs[AP(s, 1, 2)].usd_base = 0.6;
    model_phase_prices(s);
    /* falls: 0.5 - 0.5 * (0.7 - 0.3) * 0.5 = 0.4 */
    assert_float_equal(s->usd_share[AP(s, 0, 1)], 0.4, TOL);
    assert_float_equal(s->usd_share[AP(s, 1, 0)], 0.4, TOL);
    /* recovers: 0.2 + 0.2 * (0.3 - 0.1) * (0.6 - 0.2) = 0.216 */
    assert_float_equal(s->usd_share[AP(s, 1, 2)], 0.216, TOL);
    model_free(s);
}

/* ---- phase 7: shipping --------------------------------------------------- */

static void test_shipping_certain(void **state)
{
    (void)state;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    model_state *s = market(100.0, 30.0, 0.0, 0.5, 0.5, 1);
    model_phase_trade(s);
    model_phase_shipping(s, r);
    assert_float_equal(s->imports[AG(s, 1, 0)], 30.0, TOL);
    assert_float_equal(s->stock[AG(s, 1, 0)], 30.0, TOL);
    assert_float_equal(s->interdicted[APG(s, 0, 1, 0)], 0.0, 0.0);
    model_free(s);
    s = market(100.0, 30.0, 0.0, 0.5, 0.5, 1);
    s->p->routes[0].vulnerability = 1.0;
    s->p->routes[0].interdiction = 1.0;
    /* a certainly interdicted route has weight 0: nothing is sent */
    model_phase_trade(s);
    assert_float_equal(s->flow[APG(s, 0, 1, 0)], 0.0, 0.0);
    model_free(s);
    gsl_rng_free(r);
}

static void test_shipping_binomial(void **state)
{
    (void)state;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 7);
    model_state *s = market(0.0, 0.0, 0.0, 0.5, 0.5, 1);
    s->p->routes[0].vulnerability = 0.6;
    s->p->routes[0].interdiction = 0.5; /* loss probability 0.3 */
    double shipped = 0.0, lost = 0.0;
    for (int rep = 0; rep < 200; rep++) {
        s->flow[APG(s, 0, 1, 0)] = 10000.0; /* 1,000 lots of 10 */
        s->flow[APG(s, 0, 1, 1)] = 10000.0; /* continuous chips */
        s->stock[AG(s, 1, 0)] = s->stock[AG(s, 1, 1)] = 0.0;
        model_phase_shipping(s, r);
        double l0 = s->interdicted[APG(s, 0, 1, 0)];
        /* whole lots are lost */
        assert_float_equal(fmod(l0, 10.0), 0.0, 1e-9);
        assert_float_equal(s->imports[AG(s, 1, 0)] + l0, 10000.0, 1e-6);
        assert_float_equal(s->imports[AG(s, 1, 1)] +
                               s->interdicted[APG(s, 0, 1, 1)],
                           10000.0, 1e-6);
        shipped += 20000.0;
        lost += l0 + s->interdicted[APG(s, 0, 1, 1)];
    }
    /* mean loss fraction 0.3; sd of the mean well under 0.005 */
    assert_float_equal(lost / shipped, 0.3, 0.01);
    model_free(s);
    gsl_rng_free(r);
}

static void test_shipping_route_split(void **state)
{
    (void)state;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    model_params *p = tiny_params(0);
    /* a second A-B route: limited, cheaper, and fully interdicted */
    model_params *q = params_alloc(3, 2, 4, 0);
    q->g = p->g;
    memcpy(q->goods, p->goods, 2 * sizeof *q->goods);
    memcpy(q->agents, p->agents, 3 * sizeof *q->agents);
    memcpy(q->ag, p->ag, 6 * sizeof *q->ag);
    memcpy(q->aa, p->aa, 9 * sizeof *q->aa);
    memcpy(q->pairs, p->pairs, 9 * sizeof *q->pairs);
    memcpy(q->routes, p->routes, 3 * sizeof *q->routes);
    memcpy(q->rg, p->rg, 6 * sizeof *q->rg);
    q->routes[3] = q->routes[0];
    snprintf(q->routes[3].name, sizeof q->routes[3].name, "r01bis");
    q->routes[3].vulnerability = q->routes[3].interdiction = 1.0;
    q->rg[0 * 2 + 0].limit = 25.0; /* the safe route carries 25 ammo */
    q->rg[3 * 2 + 0].limit = HUGE_VAL;
    char why[200];
    assert_int_equal(params_resolve(q, why, sizeof why), 0);
    params_free(p);
    model_state *s = tiny_state(q);
    /* the safe route (factor 1) fills first, up to its limit; the rest
     * goes by the interdicted one (factor 0) and is lost */
    s->flow[APG(s, 0, 1, 0)] = 100.0;
    model_phase_shipping(s, r);
    assert_float_equal(s->imports[AG(s, 1, 0)], 25.0, TOL);
    assert_float_equal(s->interdicted[APG(s, 0, 1, 0)], 75.0, TOL);
    assert_float_equal(s->interdicted_in[AG(s, 1, 0)], 75.0, TOL);
    /* and per route: r01 carried 25 safely, r01bis lost its 75 */
    assert_float_equal(s->route_flow[0 * 2 + 0], 25.0, TOL);
    assert_float_equal(s->route_interdicted[0 * 2 + 0], 0.0, 0.0);
    assert_float_equal(s->route_flow[3 * 2 + 0], 75.0, TOL);
    assert_float_equal(s->route_interdicted[3 * 2 + 0], 75.0, TOL);
    model_free(s);
    gsl_rng_free(r);
}

/* ---- phase 8: consumption ------------------------------------------------ */

static void test_consumption(void **state)
{
    (void)state;
    model_state *s = market(0.0, 30.0, 0.0, 0.5, 0.5, 1);
    s->stock[AG(s, 1, 0)] = 20.0;
    model_phase_consumption(s);
    assert_float_equal(s->consumption[AG(s, 1, 0)], 20.0, TOL);
    assert_float_equal(s->shortfall[AG(s, 1, 0)], 10.0, TOL);
    assert_float_equal(s->stock[AG(s, 1, 0)], 0.0, 0.0);
    s->stock[AG(s, 1, 0)] = 50.0;
    s->consumption[AG(s, 1, 0)] = 0.0;
    model_phase_consumption(s);
    assert_float_equal(s->shortfall[AG(s, 1, 0)], 0.0, 0.0);
    assert_float_equal(s->stock[AG(s, 1, 0)], 20.0, TOL);
    model_free(s);
}

/* ---- phase 9: civilian trade --------------------------------------------- */

static void test_civilian(void **state)
{
    (void)state;
    model_params *p = tiny_params(0);
    p->g.gravity_g = 2.0;
    p->g.gravity_beta_s = 1.0;
    p->g.western_share = 0.5;
    p->agents[0].sanctions = 0.4;
    model_state *s = tiny_state(p);
    model_phase_civilian(s);
    double d = 6371.0 * acos(-1.0) / 180.0;
    /* G * Y_A * Y_B / d * exp(1 * 0.4 * 0.5), Y_A = 10, Y_B = 20 */
    assert_float_equal(s->civilian_trade[AP(s, 0, 1)],
                       2.0 * 10.0 * 20.0 / d * exp(0.2), 1e-9);
    assert_float_equal(s->civilian_trade[AP(s, 0, 0)], 0.0, 0.0);
    model_free(s);
}

/* ---- phase 10: relations ------------------------------------------------- */

static void test_relations(void **state)
{
    (void)state;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    model_params *p = tiny_params(0);
    p->g.eta = 0.5;
    p->g.b_threat = 1.0;
    p->g.gamma = 1.0;
    p->g.rivalry_theta = 0.5;
    p->agents[0].sanctions = 0.64;
    p->agents[1].sanctions = 0.25;
    p->pairs[1].rivalry = p->pairs[3].rivalry = 0.6;
    p->pairs[1].rivalry_base = p->pairs[3].rivalry_base = 0.2;
    p->pairs[1].affinity_base = p->pairs[3].affinity_base = 0.3;
    model_state *s = tiny_state(p);
    model_phase_relations(s, r);
    /* A += 0.5 * (sqrt(0.64 * 0.25) - (0.5 - 0.3)) = 0.5 + 0.5 * 0.2 */
    assert_float_equal(s->affinity[AP(s, 0, 1)], 0.6, TOL);
    assert_float_equal(s->affinity[AP(s, 1, 0)], 0.6, TOL);
    /* R += 0.5 * (0.2 - 0.6) */
    assert_float_equal(s->rivalry[AP(s, 0, 1)], 0.4, TOL);
    model_free(s);
    gsl_rng_free(r);
}

static void test_relations_flareup(void **state)
{
    (void)state;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    model_params *p = tiny_params(0);
    p->pairs[1].flare_rate = p->pairs[3].flare_rate = 40.0;
    p->pairs[1].flare_size = p->pairs[3].flare_size = 0.1;
    model_state *s = tiny_state(p);
    model_phase_relations(s, r);
    /* ~40 flare-ups of 0.1: rivalry clipped at 1, one incident logged */
    assert_float_equal(s->rivalry[AP(s, 0, 1)], 1.0, 0.0);
    assert_int_equal(s->n_ev, 1);
    assert_int_equal(s->ev[0].kind, EV_INCIDENT);
    assert_int_equal(s->ev[0].actor, 0);
    assert_int_equal(s->ev[0].target, 1);
    assert_true(s->ev[0].value > 1.0);
    model_free(s);
    gsl_rng_free(r);
}

static void test_competition_and_fill(void **state)
{
    (void)state;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    model_state *s = market(0.0, 0.0, 0.0, 0.5, 0.5, 1);
    s->p->g.eta = 1.0;
    s->p->g.b_comp = 1.0;
    /* A and B both sell 10 ammo to C: overlap 1000 of mean exports 1000 */
    s->flow[APG(s, 0, 2, 0)] = 10.0;
    s->flow[APG(s, 1, 2, 0)] = 10.0;
    s->w_need0[AG(s, 2, 0)] = 40.0;
    model_phase_relations(s, r);
    assert_float_equal(s->competition[AP(s, 0, 1)], 1.0, TOL);
    /* C's need was 40 x 100, A filled 10 x 100 */
    assert_float_equal(s->fill[AP(s, 2, 0)], 0.25, TOL);
    assert_float_equal(s->fill[AP(s, 0, 2)], 0.0, 0.0);
    /* the competition term pulls A-B affinity down by 1: clipped at 0 */
    assert_float_equal(s->affinity[AP(s, 0, 1)], 0.0, 0.0);
    model_free(s);
    gsl_rng_free(r);
}

/* ---- phase 11: cohesion -------------------------------------------------- */

static void test_cohesion_complete(void **state)
{
    (void)state;
    model_params *p = tiny_params(0);
    p->agents[2].member = 1.0;
    for (int k = 0; k < 9; k++)
        p->pairs[k].affinity = (k % 4) ? 0.6 : 0.0;
    model_state *s = tiny_state(p);
    model_phase_cohesion(s);
    /* K3 with weights 0.6: eigenvalues 0, 1.8, 1.8 -> 1.8 / 3 */
    assert_float_equal(s->cohesion, 0.6, TOL);
    assert_float_equal(s->connectivity, 0.6, 1e-12);
    assert_float_equal(s->hub_share, 0.0, 0.0);
    model_free(s);
}

static void test_cohesion_path_and_hub(void **state)
{
    (void)state;
    model_params *p = tiny_params(0);
    p->agents[2].member = 1.0;
    for (int k = 0; k < 9; k++)
        p->pairs[k].affinity = 0.0;
    p->pairs[1].affinity = p->pairs[3].affinity = 1.0; /* A-B */
    p->pairs[5].affinity = p->pairs[7].affinity = 1.0; /* B-C */
    model_state *s = tiny_state(p);
    s->trade_value[AP(s, 0, 1)] = 10.0;
    s->trade_value[AP(s, 1, 2)] = 20.0;
    s->trade_value[AP(s, 2, 0)] = 30.0;
    model_phase_cohesion(s);
    /* path A-B-C: Laplacian eigenvalues 0, 1, 3 -> 1/3 */
    assert_float_equal(s->cohesion, 2.0 / 3.0, TOL);
    assert_float_equal(s->connectivity, 1.0 / 3.0, 1e-12);
    /* C touches 20 + 30 of 60 */
    assert_float_equal(s->hub_share, 50.0 / 60.0, TOL);
    /* one member: all zero */
    s->member[1] = s->member[2] = 0.0;
    model_phase_cohesion(s);
    assert_float_equal(s->cohesion, 0.0, 0.0);
    assert_float_equal(s->connectivity, 0.0, 0.0);
    model_free(s);
}

/* ---- phase 12: membership ------------------------------------------------ */

static void test_membership_join_and_leave(void **state)
{
    (void)state;
    model_params *p = tiny_params(0);
    p->agents[2].sanctions = 0.7;
    p->pairs[2].affinity = p->pairs[6].affinity = 0.8;
    p->pairs[5].affinity = p->pairs[7].affinity = 0.6;
    model_state *s = tiny_state(p);
    model_phase_membership(s);
    assert_float_equal(s->member[2], 0.0, 0.0);
    assert_int_equal(s->n_ev, 0);
    model_phase_membership(s); /* second month: joins */
    assert_float_equal(s->member[2], 1.0, 0.0);
    assert_int_equal(s->n_ev, 1);
    assert_int_equal(s->ev[0].kind, EV_JOIN);
    assert_float_equal(s->ev[0].value, 0.7, TOL);
    /* B's mean affinity to A and C drops below the exit threshold */
    s->n_ev = 0;
    s->affinity[AP(s, 0, 1)] = s->affinity[AP(s, 1, 0)] = 0.05;
    s->affinity[AP(s, 1, 2)] = s->affinity[AP(s, 2, 1)] = 0.05;
    model_phase_membership(s);
    assert_float_equal(s->member[1], 0.0, 0.0);
    assert_int_equal(s->ev[0].kind, EV_LEAVE);
    model_free(s);
}

static void test_membership_pressure_needed(void **state)
{
    (void)state;
    model_params *p = tiny_params(0);
    p->agents[2].sanctions = 0.5; /* below join_pressure 0.6 */
    p->pairs[2].affinity = p->pairs[6].affinity = 0.9;
    p->pairs[5].affinity = p->pairs[7].affinity = 0.9;
    model_state *s = tiny_state(p);
    for (int t = 0; t < 5; t++)
        model_phase_membership(s);
    assert_float_equal(s->member[2], 0.0, 0.0);
    model_free(s);
}

/* ---- phase 1: events ----------------------------------------------------- */

static void test_events_ramp_and_add(void **state)
{
    (void)state;
    model_params *p = tiny_params(2);
    const param_def *cap = param_find(SCOPE_AGENT_GOOD, NULL, "capacity");
    p->ag[0].capacity = 100.0;
    p->events[0] = (event_spec){.month = 1, .ramp = 4, .kind = EV_SET,
                                .ref = {cap, 0, 0}, .actor = 0, .target = -1,
                                .value = 200.0};
    p->events[1] = (event_spec){.month = 0, .ramp = 0, .kind = EV_ADD,
                                .ref = {cap, 1, 0}, .actor = 1, .target = -1,
                                .value = 50.0};
    model_state *s = model_alloc(p);
    params_free(p);
    const double expect[] = {100, 125, 150, 175, 200, 200};
    for (int t = 0; t < 6; t++) {
        s->t = t;
        s->n_ev = 0;
        model_phase_events(s);
        assert_float_equal(s->p->ag[0].capacity, expect[t], TOL);
        if (t == 0) {
            assert_int_equal(s->n_ev, 1);
            assert_int_equal(s->ev[0].kind, EV_ADD);
            assert_float_equal(s->p->ag[2].capacity, 50.0, TOL);
        }
        if (t == 1) {
            assert_int_equal(s->n_ev, 1);
            assert_int_equal(s->ev[0].kind, EV_SET);
            assert_float_equal(s->ev[0].value, 200.0, 0.0);
        }
    }
    model_free(s);
}

static void test_events_one_offs(void **state)
{
    (void)state;
    model_params *p = tiny_params(6);
    const param_def *aff = param_find(SCOPE_PAIR, NULL, "affinity");
    p->events[0] = (event_spec){.month = 0, .kind = EV_ROUTE_CLOSE, .actor = 0,
                                .target = -1};
    p->events[1] = (event_spec){.month = 0, .kind = EV_FLAREUP, .actor = 0,
                                .target = 1, .value = 0.3};
    p->events[2] = (event_spec){.month = 0, .kind = EV_UNFREEZE, .actor = 2,
                                .target = -1, .value = 6e9};
    p->events[3] = (event_spec){.month = 0, .kind = EV_ADMIT, .actor = 2,
                                .target = -1};
    p->events[4] = (event_spec){.month = 0, .kind = EV_EXPEL, .actor = 1,
                                .target = -1};
    p->events[5] = (event_spec){.month = 0, .kind = EV_SET, .ref = {aff, 2, 0},
                                .actor = 2, .target = 0, .value = 0.9};
    model_state *s = model_alloc(p);
    params_free(p);
    s->t = 0;
    model_phase_events(s);
    assert_int_equal(s->n_ev, 6);
    assert_float_equal(s->p->routes[0].open, 0.0, 0.0);
    assert_float_equal(s->rivalry[AP(s, 0, 1)], 0.3, TOL);
    assert_float_equal(s->rivalry[AP(s, 1, 0)], 0.3, TOL);
    assert_float_equal(s->cash[2], 6e9, 0.0);
    assert_float_equal(s->member[2], 1.0, 0.0);
    assert_float_equal(s->member[1], 0.0, 0.0);
    /* a live parameter changes the state, both directions of a pair */
    assert_float_equal(s->affinity[AP(s, 2, 0)], 0.9, 0.0);
    assert_float_equal(s->affinity[AP(s, 0, 2)], 0.9, 0.0);
    /* nothing is applied again in later months */
    s->t = 1;
    s->n_ev = 0;
    model_phase_events(s);
    assert_int_equal(s->n_ev, 0);
    model_free(s);
}

/* ---- phase 2: drivers ---------------------------------------------------- */

static void test_drivers_feedback(void **state)
{
    (void)state;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    model_params *p = tiny_params(0);
    p->g.feedback = 1.0;
    p->g.fb_arms = 0.1;
    p->g.fb_restraint = 0.5;
    p->g.fb_grievance = 0.01;
    p->g.fb_aid_scale = 1000.0;
    p->agents[1].sanctions = 0.2;
    p->agents[0].gdp_growth = 0.01;
    model_state *s = tiny_state(p);
    s->trade_value[AP(s, 1, 0)] = 2000.0; /* B supplied the war agent A */
    model_phase_drivers(s, r);
    /* 0.2 + 0.1 * 2 - 0.5 * 0.2 + 0.01 = 0.31 */
    assert_float_equal(s->sanctions[1], 0.31, TOL);
    /* A itself: aid received 2000 -> 0 + 0.2 - 0 + 0.01 */
    assert_float_equal(s->sanctions[0], 0.21, TOL);
    /* C: 0 - 0 + 0.01 */
    assert_float_equal(s->sanctions[2], 0.01, TOL);
    assert_float_equal(s->gdp[0], 10.1, TOL);
    /* prices without volatility stay at the reference */
    assert_float_equal(s->price[0], 100.0, 0.0);
    model_free(s);
    gsl_rng_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_days_since_start),
        cmocka_unit_test(test_distance),
        cmocka_unit_test(test_run_seed),
        cmocka_unit_test(test_production),
        cmocka_unit_test(test_production_input_limit),
        cmocka_unit_test(test_trade_single),
        cmocka_unit_test(test_trade_water_filling),
        cmocka_unit_test(test_trade_candidate_weight),
        cmocka_unit_test(test_trade_refusals),
        cmocka_unit_test(test_trade_routes),
        cmocka_unit_test(test_trade_world),
        cmocka_unit_test(test_prices),
        cmocka_unit_test(test_usd_share),
        cmocka_unit_test(test_shipping_certain),
        cmocka_unit_test(test_shipping_binomial),
        cmocka_unit_test(test_shipping_route_split),
        cmocka_unit_test(test_consumption),
        cmocka_unit_test(test_civilian),
        cmocka_unit_test(test_relations),
        cmocka_unit_test(test_relations_flareup),
        cmocka_unit_test(test_competition_and_fill),
        cmocka_unit_test(test_cohesion_complete),
        cmocka_unit_test(test_cohesion_path_and_hub),
        cmocka_unit_test(test_membership_join_and_leave),
        cmocka_unit_test(test_membership_pressure_needed),
        cmocka_unit_test(test_events_ramp_and_add),
        cmocka_unit_test(test_events_one_offs),
        cmocka_unit_test(test_drivers_feedback),
    };
    return cmocka_run_group_tests_name("model phases", tests, NULL, NULL);
}
