/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_invariants.c - whole runs checked on every step with the invariants
 * of tests/invariants.h (goods and money conserved, treasuries' accounts,
 * bounded shares, nothing negative, NaN or infinite): the baseline over
 * several seeds, every shipped scenario, the tiny world with every
 * mechanism on (and a check that each mechanism did act), randomised
 * valid configurations around the baseline; and determinism.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>
#include <gsl/gsl_rng.h>

#include "cmd/cmd.h"
#include "invariants.h"
#include "io/config.h"

#define WHY 2048

static sim_config *load(const char *text, const char *path)
{
    config_error e;
    sim_config *c = text ? config_load_string(text, "baseline", &e)
                         : config_load_file(path, &e);
    if (!c) {
        char line[1200];
        config_error_format(&e, line, sizeof line);
        fail_msg("%s", line);
    }
    return c;
}

static sim_config *baseline(void) { return load(sim_embedded_baseline, NULL); }

static void run_checked(const char *what, const model_params *p, unsigned long seed,
                        inv_hook hook, void *ctx)
{
    char why[WHY];
    if (inv_run(p, seed, hook, ctx, NULL, why, sizeof why))
        fail_msg("%s (run seed %lu): %s", what, seed, why);
}

/* ---- the baseline and the shipped scenarios ------------------------------- */

static void test_baseline_invariants(void **state)
{
    (void)state;
    sim_config *c = baseline();
    for (unsigned long run = 0; run < 8; run++)
        run_checked("baseline", config_params(c), model_run_seed(20230101ULL, run),
                    NULL, NULL);
    config_free(c);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_scenarios_invariants(void **state)
{
    (void)state;
    DIR *d = opendir("scenarios");
    assert_non_null(d);
    char *names[64];
    int n = 0;
    const struct dirent *de;
    while ((de = readdir(d)) != NULL && n < 64) {
        size_t len = strlen(de->d_name);
        if (len > 4 && strcmp(de->d_name + len - 4, ".cfg") == 0) {
            names[n] = malloc(len + 16);
            snprintf(names[n], len + 16, "scenarios/%s", de->d_name);
            n++;
        }
    }
    closedir(d);
    qsort(names, (size_t)n, sizeof *names, cmp_str);
    int failed = 0;
    for (int k = 0; k < n; k++) {
        config_error e;
        sim_config *c = config_load_file(names[k], &e);
        char why[WHY];
        if (!c) {
            config_error_format(&e, why, sizeof why);
            print_message("# %s: refused by the loader: %s\n", names[k], why);
            failed++;
        }
        for (unsigned long run = 0; c && run < 3; run++)
            if (inv_run(config_params(c), model_run_seed(7ULL, run), NULL, NULL, NULL,
                        why, sizeof why)) {
                print_message("# %s (run seed %lu): %s\n", names[k],
                              model_run_seed(7ULL, run), why);
                failed++;
            }
        config_free(c);
        free(names[k]);
    }
    assert_true(n >= 8); /* the baseline and its seven variants at least */
    if (failed)
        fail_msg("%d scenario runs failed to load or broke an invariant", failed);
}

/* Shells and drones are nobody's input: what is fired and used, and what
 * is short, is the demand (duds are consumed too, but on top). */
static void test_shortfall_split(void **state)
{
    (void)state;
    sim_config *c = baseline();
    const model_params *p = config_params(c);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    model_state *s = model_alloc(p);
    const char *goods[] = {"shells", "drones"};
    for (int t = 0; t < p->g.months; t++) {
        model_step(s, r);
        for (int x = 0; x < 2; x++) {
            int k = params_good_index(p, goods[x]);
            assert_true(k >= 0);
            for (int i = 0; i < s->n; i++) {
                size_t ik = AG(s, i, k);
                double used = s->consumption[ik] - s->duds[ik];
                if (fabs(used + s->shortfall[ik] - s->demand[ik]) >
                    1e-9 * fmax(1.0, s->demand[ik]))
                    fail_msg("month %d agent %d %s: used %.17g + short %.17g != "
                             "demand %.17g",
                             t, i, goods[x], used, s->shortfall[ik], s->demand[ik]);
            }
        }
    }
    model_free(s);
    gsl_rng_free(r);
    config_free(c);
}

/* ---- the tiny world with every mechanism on --------------------------------- */

/* Goods: ammo (military, controlled, 2 chips a round, lots of 10), chips
 * (military, controlled) and oil (by tanker).  A is at war and sells oil;
 * B makes ammo and chips for it; C, a candidate, sells chips and oil.
 * Route x0 is a chip hub into A, x1 a second A-B route, limited and
 * interdicted. */
static model_params *tiny_all_on(void)
{
    model_params *p = tiny_build(0, 3, 2);
    assert_non_null(p);
    global_params *g = &p->g;
    g->months = 120;
    g->eta = 0.1;
    g->b_threat = 0.2;
    g->b_dep = 1.0;
    g->b_fill = 0.2;
    g->b_rivalry = 0.3;
    g->b_comp = 0.1;
    g->b_cancel = 0.5;
    g->gamma = 0.3;
    g->sigma_a = 0.02;
    g->dep_ewma = 0.2;
    g->rivalry_theta = 0.1;
    g->rivalry_sigma = 0.02;
    g->crisis_threshold = 0.45;
    g->crisis_hit = 0.02;
    g->crisis_months = 3.0;
    g->tie_full = 0.05;
    g->gravity_g = 0.05;
    g->gravity_beta_s = 0.5;
    g->western_share = 0.5;
    g->fail_k = 2.0;
    g->fail_conc = 50.0;
    g->bank_lag = 2.0;
    g->alt_growth = 0.2;
    g->alt_decay = 0.05;
    g->alt_commission = 0.02;
    g->usd_adapt = 0.2;
    g->usd_relax = 0.1;
    g->supplier_conc = 5.0;
    g->supplier_draw = 50.0;
    g->hub_mu = 0.4;
    g->price_cap = 60.0;
    g->shadow_cost = 3.0;
    g->absorb_slope = 0.5;
    g->absorb_max = 0.35;
    g->absorb_adapt = 0.1;
    g->shadow_invest = 0.5;
    g->shadow_capex = 5.0;
    g->shadow_growth_max = 0.05;
    g->designation_loss = 2.0;
    g->acceptance_loss = 5.0;
    g->route_adapt = 0.3;
    g->loss_memory = 0.5;
    g->route_abandon = 0.5;
    g->reliability = 0.85;
    g->reliability_conc = 20.0;
    g->w_affinity = 1.0;
    g->w_trade = 0.3;
    g->w_threat = 0.3;
    g->w_exposure = 0.5;
    g->w_crisis = 0.5;
    g->join_utility = 0.6;
    g->leave_utility = 0.2;
    g->join_months = 3;
    g->leave_months = 3;

    good_params *ammo = &p->goods[0], *chips = &p->goods[1], *oil = &p->goods[2];
    ammo->military = ammo->controlled = 1.0;
    ammo->discount = 0.2;
    ammo->cover = 2.0;
    ammo->ration = 0.5;
    snprintf(ammo->input, sizeof ammo->input, "chips");
    ammo->input_per_unit = 2.0;
    ammo->world_access = 0.1;
    ammo->world_markup = 0.5;
    chips->military = chips->controlled = 1.0;
    chips->world_pull = 0.2;
    chips->world_avoid = 0.5;
    chips->world_close = 2.0;
    snprintf(oil->name, sizeof oil->name, "oil");
    oil->fleet = 1.0;
    oil->price = 80.0;
    oil->price_theta = 0.2;
    oil->price_sigma = 0.05;
    oil->discount = 0.5;
    oil->discount_conc = 0.3;
    oil->world_pull = 1.0;
    oil->world_avoid = 0.5;
    oil->world_access = 1.0;
    oil->world_close = 100.0;

    agent_params *A = &p->agents[0], *B = &p->agents[1], *C = &p->agents[2];
    A->sanctions = 0.7;
    A->controls = 0.6;
    A->financial = 0.4;
    A->embargo = 0.3;
    A->cap_enforcement = 0.6;
    A->designations = 0.05;
    A->intensity = 1.0;
    A->treasury = 2000.0;
    A->reserve_fund = 3000.0;
    A->fund_floor = 500.0;
    A->debt_cap = 4000.0;
    A->revenue_share = 5.0; /* of GDP 10 a month: a state of oil and war */
    A->civil_spending = 3.0;
    A->war_budget = 2500.0;
    A->oil_tax = 0.02;       /* oil revenue about the rule's base: */
    A->fiscal_base = 12000.0; /* 1,200 USD a month at 10 per USD */
    A->fx = 10.0;
    A->freight = 5.0;
    A->quality = 3.0;
    A->shadow_fleet = 300.0;
    A->absorption = 600.0;
    A->tolerant = 0.5;
    B->sanctions = 0.2;
    B->secondary = 0.3;
    B->listing = 0.3;
    B->treasury = 5000.0;
    B->revenue_share = 0.5;
    B->civil_spending = 0.5;
    B->war_budget = 300.0;
    C->sanctions = 0.6;
    C->financial = 0.6;
    C->embargo = 1.0;
    C->designations = 0.02;
    C->treasury = 100.0;
    C->revenue_share = 0.1;
    C->civil_spending = 0.1;
    C->oil_tax = 0.3;
    C->shadow_fleet = 50.0;
    C->absorption = 100.0;
    C->tolerant = 0.8;

    agent_good_params *a = &p->ag[0]; /* A ammo, chips, oil */
    a[0].capacity = 40.0;
    a[0].stock = 100.0;
    a[0].doctrine = 100.0;
    a[0].unit_cost = 10.0;
    a[0].learning = 0.9;
    a[0].experience = 100.0;
    a[0].plan_target = 120.0;
    a[0].capex = 40.0;
    a[0].build_lag = 3.0;
    a[0].build_spread = 6.0;
    a[0].disruption_rate = 0.2;
    a[0].disruption_size = 0.2;
    a[0].disruption_months = 2.0;
    a[0].western_dep = 0.3;
    a[1].stock = 200.0;
    a[1].doctrine = 50.0;
    a[1].reserve = 1.0;
    a[2].capacity = 1000.0;
    a[2].demand = 300.0;
    a[2].stock = 300.0;
    a[2].reserve = 0.3;
    a[2].disruption_rate = 0.1;
    a[2].disruption_size = 0.05;
    agent_good_params *b = &p->ag[3]; /* B */
    b[0].capacity = 100.0;
    b[0].unit_cost = 5.0;
    b[0].stock = 200.0;
    b[0].dud = 0.1;
    b[1].capacity = 600.0;
    b[1].demand = 50.0;
    b[2].demand = 200.0;
    agent_good_params *cc = &p->ag[6]; /* C */
    cc[1].capacity = 100.0;
    cc[2].capacity = 200.0;
    cc[2].demand = 50.0;
    p->aa[0 * 3 + 1].licence = 0.2; /* A pays B for its ammo design */
    p->aa[1 * 3 + 0].strategic = 2.0;

    for (int ij = 0; ij < 9; ij++) {
        p->pairs[ij].usd_share = p->pairs[ij].usd_base = 0.5;
        p->pairs[ij].rivalry = p->pairs[ij].rivalry_base = 0.2;
        p->pairs[ij].flare_rate = 0.05;
        p->pairs[ij].flare_size = 0.3;
    }
    p->pairs[1].affinity = p->pairs[3].affinity = 0.8;
    p->pairs[1].affinity_base = p->pairs[3].affinity_base = 0.8;

    /* x0: chip hub into A; x1: a second A-B route, limited, interdicted */
    tiny_hub(p, 3, "A", 0.3, 1, 200.0);
    p->routes[3].enforcement = 0.2;
    p->routes[3].shrink = 0.2;
    p->routes[3].regrow = 0.1;
    p->routes[3].vulnerability = 0.1;
    p->routes[3].interdiction = 0.2;
    p->routes[0].kappa = 0.05;
    p->routes[0].vulnerability = 0.6;
    p->routes[0].interdiction = 0.4;
    p->routes[4].kappa = 0.1;
    p->routes[4].vulnerability = 0.2;
    p->routes[4].interdiction = 0.3;
    p->rg[4 * 3 + 0].limit = 30.0;
    for (int r = 0; r < 5; r++)
        p->routes[r].mode = ROUTE_SEA;
    assert_int_equal(tiny_resolve(p), 0);
    return p;
}

/* What acted in a run (a hook that never fails). */
typedef struct {
    int strike, built, learnt, licence, borrowed, deposit, draw, cut, hub,
        shut, shadow_grew, cancelled, alt_grew, crisis, duds, lost, rerouted,
        fire_rationed, joined_or_left, usd_moved, graded_supply;
    double alt0, shadow0, share0, usd0;
} acted;

static int observe(const model_state *s, void *ctx, char *why, size_t len)
{
    acted *a = ctx;
    (void)why;
    (void)len;
    for (int e = 0; e < s->n_ev; e++) {
        a->strike |= s->ev[e].kind == EV_STRIKE;
        a->crisis |= s->ev[e].kind == EV_CRISIS;
        a->joined_or_left |= s->ev[e].kind == EV_JOIN || s->ev[e].kind == EV_LEAVE;
    }
    a->built |= s->capacity[AG(s, 0, 0)] > 40.0;
    a->learnt |= s->unit_cost[AG(s, 0, 0)] < 10.0;
    a->licence |= s->received[1] > s->trade_value[AP(s, 1, 0)] + s->trade_value[AP(s, 1, 2)];
    a->borrowed |= s->debt[0] > 0.0;
    a->deposit |= s->financing[0] < 0.0;
    a->draw |= s->financing[0] > 0.0 && s->debt[0] == 0.0;
    a->cut |= s->war_allow[0] < 1.0;
    a->hub |= s->route_flow[RG(s, 3, 1)] > 0.0;
    a->shut |= s->shut_in[AG(s, 0, 2)] > 0.0 || s->shut_in[AG(s, 2, 2)] > 0.0;
    a->duds |= s->duds[AG(s, 0, 0)] > 0.0;
    a->lost |= s->interdicted[APG(s, 1, 0, 0)] > 0.0;
    a->fire_rationed |= s->fire[AG(s, 0, 0)] > 0.0 && s->fire[AG(s, 0, 0)] < 100.0 &&
                        s->stock[AG(s, 0, 0)] > 0.0;
    a->graded_supply |= s->supplier_share[AG(s, 1, 0)] > 0.0 &&
                        s->supplier_share[AG(s, 1, 0)] < 1.0;
    double alt = s->alt_payment[AP(s, 0, 1)];
    if (s->t == 0) {
        a->alt0 = alt;
        a->shadow0 = s->shadow_fleet[0];
        a->share0 = s->route_share[RG(s, 0, 0)];
        a->usd0 = s->usd_share[AP(s, 0, 1)];
    }
    a->cancelled |= s->cancelled[AP(s, 0, 1)] + s->cancelled[AP(s, 1, 0)] > 0.0;
    a->alt_grew |= alt > a->alt0;
    a->shadow_grew |= s->shadow_fleet[0] > a->shadow0;
    a->rerouted |= fabs(s->route_share[RG(s, 0, 0)] - a->share0) > 0.05;
    a->usd_moved |= fabs(s->usd_share[AP(s, 0, 1)] - a->usd0) > 0.01;
    return 0;
}

static void test_tiny_world_all_on(void **state)
{
    (void)state;
    model_params *p = tiny_all_on();
    /* a second world where A's fund is locked (floor above it) and its
     * oil pays less: deficits are borrowed, then spending is cut */
    model_params *q = params_copy(p);
    q->agents[0].fund_floor = 1e9;
    q->agents[0].debt_cap = 20000.0;
    acted all = {0};
    for (unsigned long seed = 1; seed <= 16; seed++) {
        acted a = {0};
        run_checked(seed % 2 ? "tiny world, everything on"
                             : "tiny world, everything on, no fund",
                    seed % 2 ? p : q, seed, observe, &a);
        int *x = &all.strike, *y = &a.strike;
        for (size_t f = 0; f < offsetof(acted, alt0) / sizeof(int); f++)
            x[f] |= y[f];
    }
    /* every mechanism acted in at least one of the runs: the invariants
     * were checked on each of them */
    const char *names[] = {"strike", "built", "learnt", "licence", "borrowed",
                           "deposit", "draw", "cut", "hub", "shut", "shadow_grew",
                           "cancelled", "alt_grew", "crisis", "duds", "lost",
                           "rerouted", "fire_rationed", "joined_or_left",
                           "usd_moved", "graded_supply"};
    const int *x = &all.strike;
    int missing = 0;
    for (size_t f = 0; f < sizeof names / sizeof names[0]; f++)
        if (!x[f]) {
            print_message("# no run of the tiny world showed '%s'\n", names[f]);
            missing++;
        }
    if (missing)
        fail_msg("%d mechanisms never acted in the tiny world", missing);
    params_free(p);
    params_free(q);
}

/* ---- randomised valid configurations around the baseline -------------------- */

/* The baseline with every numeric model parameter (global ones too, the
 * scenario and output groups aside) redrawn within its bounds around its
 * value: uniformly when its range is within [0,1], else times e^[-1,1];
 * booleans at random. */
static model_params *randomised(const model_params *base, gsl_rng *r)
{
    model_params *p = params_copy(base);
    for (size_t k = 0; k < param_table_len; k++) {
        const param_def *d = &param_table[k];
        if (d->type == PT_STRING || d->type == PT_CHOICE ||
            (d->scope == SCOPE_GLOBAL && (strcmp(d->group, "scenario") == 0 ||
                                          strcmp(d->group, "output") == 0)))
            continue;
        int n1, n2;
        param_extent(p, d->scope, &n1, &n2);
        for (int a = 0; a < n1; a++)
            for (int b = 0; b < n2; b++) {
                param_ref ref = {d, a, b};
                double v = param_get(p, ref);
                if (d->type == PT_BOOL)
                    v = gsl_rng_uniform(r) < 0.5;
                else if (d->min >= 0.0 && d->max <= 1.0)
                    v = d->min + (d->max - d->min) * gsl_rng_uniform(r);
                else if (isfinite(v))
                    v *= exp(gsl_rng_uniform(r) * 2.0 - 1.0); /* x e^[-1,1] */
                if (d->type == PT_INT)
                    v = round(v);
                if (isfinite(v))
                    param_set(p, ref, fmin(fmax(v, d->min), d->max));
            }
    }
    p->g.months = 36;
    return p;
}

static void test_random_configs(void **state)
{
    (void)state;
    sim_config *c = baseline();
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 2024);
    int failed = 0;
    for (int trial = 0; trial < 150; trial++) {
        model_params *p = randomised(config_params(c), r);
        char why[WHY];
        if (inv_run(p, (unsigned long)trial + 1, NULL, NULL, NULL, why, sizeof why)) {
            print_message("# randomised baseline, trial %d: %s\n", trial, why);
            failed++;
        }
        params_free(p);
    }
    gsl_rng_free(r);
    config_free(c);
    if (failed)
        fail_msg("%d of 150 randomised baselines broke an invariant", failed);
}

/* ---- determinism ------------------------------------------------------------ */

/* Same seed: the same bits.  Another seed: another trajectory. */
static void test_determinism(void **state)
{
    (void)state;
    sim_config *c = baseline();
    const model_params *p = config_params(c);
    model_state *a, *b, *d;
    char why[WHY];
    assert_int_equal(inv_run(p, model_run_seed(5, 0), NULL, NULL, &a, why, sizeof why), 0);
    assert_int_equal(inv_run(p, model_run_seed(5, 0), NULL, NULL, &b, why, sizeof why), 0);
    assert_int_equal(inv_run(p, model_run_seed(5, 1), NULL, NULL, &d, why, sizeof why), 0);
    size_t n = (size_t)a->n, ng = n * a->g, nn = n * n,
           rg = (size_t)p->n_routes * a->g;
    assert_memory_equal(a->stock, b->stock, ng * sizeof(double));
    assert_memory_equal(a->capacity, b->capacity, ng * sizeof(double));
    assert_memory_equal(a->flow, b->flow, nn * a->g * sizeof(double));
    assert_memory_equal(a->affinity, b->affinity, nn * sizeof(double));
    assert_memory_equal(a->payment_friction, b->payment_friction, nn * sizeof(double));
    assert_memory_equal(a->route_share, b->route_share, rg * sizeof(double));
    assert_memory_equal(a->treasury, b->treasury, n * sizeof(double));
    assert_memory_equal(a->shadow_fleet, b->shadow_fleet, n * sizeof(double));
    assert_memory_equal(a->price, b->price, a->g * sizeof(double));
    assert_memory_equal(&a->connectivity, &b->connectivity, sizeof(double));
    assert_memory_equal(a->event_month, b->event_month,
                        (size_t)p->n_events * sizeof(int));
    assert_memory_not_equal(a->affinity, d->affinity, nn * sizeof(double));
    assert_memory_not_equal(a->price, d->price, a->g * sizeof(double));
    assert_memory_not_equal(a->stock, d->stock, ng * sizeof(double));
    model_free(a);
    model_free(b);
    model_free(d);
    config_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_baseline_invariants),
        cmocka_unit_test(test_scenarios_invariants),
        cmocka_unit_test(test_shortfall_split),
        cmocka_unit_test(test_tiny_world_all_on),
        cmocka_unit_test(test_random_configs),
        cmocka_unit_test(test_determinism),
    };
    return cmocka_run_group_tests_name("whole runs", tests, NULL, NULL);
}
