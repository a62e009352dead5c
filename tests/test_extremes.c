/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_extremes.c - whole runs at extreme but valid parameters, checked on
 * every step with the invariants of tests/invariants.h (no NaN or inf, no
 * negative stock, goods and money conserved, bounded values in range):
 *   - the baseline with all capacities zero, every agent fully sanctioned,
 *     all affinities 0 or 1, all routes closed, interdiction certain on
 *     every route, high flare-up rates, a 600-month horizon, every model
 *     parameter at its lower or its upper bound;
 *   - worlds of one agent, of one good, and of 64 agents (clones of the
 *     baseline's);
 *   - events that ramp or add to a boolean (membership), and events that
 *     set or add to a route limit that is absent (unlimited);
 *   - property-based: random valid configurations drawn from the bounds of
 *     param_table (1-12 agents, 1-5 goods, random routes, membership and
 *     open flags, 24-60 months), without and with random events.  A failing
 *     configuration is printed with its seed; rerun one alone with
 *     EXTREMES_SEED=S (and EXTREMES_EVENTS=1 for the part with events).
 *     EXTREMES_TRIALS=N changes the number of configurations (300).
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
#include "invariants.h"

#define WHY 2048

/* ---- building worlds --------------------------------------------------- */

static sim_config *load_text(const char *text)
{
    config_error e;
    sim_config *c = config_load_string(text, "baseline", &e);
    if (!c) {
        char line[1200];
        config_error_format(&e, line, sizeof line);
        fail_msg("%s", line);
    }
    return c;
}

static sim_config *baseline(void) { return load_text(sim_embedded_baseline); }

/* The baseline's parameters, a private copy to change. */
static model_params *baseline_copy(sim_config **c)
{
    *c = baseline();
    model_params *p = params_copy(config_params(*c));
    assert_non_null(p);
    return p;
}

static void resolve(model_params *p)
{
    char why[300];
    if (params_resolve(p, why, sizeof why))
        fail_msg("params_resolve: %s", why);
}

/* Remove the set/add events on parameters named `key` (e.g. "capacity"),
 * so that the value a test imposes is not scheduled away. */
static void drop_events(model_params *p, const char *key)
{
    int k = 0;
    for (int e = 0; e < p->n_events; e++) {
        const event_spec *ev = &p->events[e];
        if ((ev->kind == EV_SET || ev->kind == EV_ADD) && ev->ref.def &&
            strcmp(ev->ref.def->key, key) == 0)
            continue;
        p->events[k++] = *ev;
    }
    p->n_events = k;
}

/* A world of n agents cloned from b's (agent i is a copy of b's agent
 * i mod N, moved a little so that no two share a capacital), with b's
 * goods, pairs, and a copy of every route between the templates; b's
 * events are dropped. */
static model_params *clone_world(const model_params *b, int n)
{
    int nb = b->n_agents, g = b->n_goods, nr = 0;
    for (int pass = 0; pass < 2; pass++) {
        model_params *p = pass ? params_alloc(n, g, nr, 0) : NULL;
        int k = 0;
        for (int i = 0; i < n; i++)
            for (int j = i + 1; j < n; j++)
                for (int r = 0; r < b->n_routes; r++) {
                    int ti = i % nb, tj = j % nb;
                    const route_params *rt = &b->routes[r];
                    if (ti == tj || !((rt->ia == ti && rt->ib == tj) ||
                                      (rt->ia == tj && rt->ib == ti)))
                        continue;
                    if (!p) {
                        nr++;
                        continue;
                    }
                    route_params *q = &p->routes[k];
                    *q = *rt;
                    snprintf(q->name, PARAM_NAME_MAX, "r%d", k);
                    snprintf(q->a, PARAM_NAME_MAX, "G%03d", rt->ia == ti ? i : j);
                    snprintf(q->b, PARAM_NAME_MAX, "G%03d", rt->ia == ti ? j : i);
                    memcpy(&p->rg[(size_t)k * g], &b->rg[(size_t)r * g],
                           (size_t)g * sizeof *p->rg);
                    k++;
                }
        if (!p)
            continue;
        p->g = b->g;
        memcpy(p->goods, b->goods, (size_t)g * sizeof *p->goods);
        for (int i = 0; i < n; i++) {
            int ti = i % nb;
            p->agents[i] = b->agents[ti];
            snprintf(p->agents[i].code, PARAM_NAME_MAX, "G%03d", i);
            p->agents[i].lat += 0.37 * (i / nb);
            p->agents[i].lon += 0.53 * (i / nb);
            memcpy(&p->ag[(size_t)i * g], &b->ag[(size_t)ti * g],
                   (size_t)g * sizeof *p->ag);
            for (int j = 0; j < n; j++) {
                int tj = j % nb;
                p->aa[i * n + j] = b->aa[ti * nb + tj];
                p->pairs[i * n + j] = b->pairs[ti * nb + tj];
            }
        }
        snprintf(p->g.focus, PARAM_NAME_MAX, "G%03d", b->focus);
        snprintf(p->g.war_agent, PARAM_NAME_MAX, "G%03d", b->war_agent);
        resolve(p);
        return p;
    }
    return NULL;
}

/* b reduced to its good k alone (no input good). */
static model_params *one_good_world(const model_params *b, int k)
{
    int n = b->n_agents, g = b->n_goods, nr = b->n_routes;
    model_params *p = params_alloc(n, 1, nr, 0);
    assert_non_null(p);
    p->g = b->g;
    p->goods[0] = b->goods[k];
    p->goods[0].input[0] = '\0';
    p->goods[0].input_per_unit = 0.0;
    memcpy(p->agents, b->agents, (size_t)n * sizeof *p->agents);
    memcpy(p->aa, b->aa, (size_t)n * n * sizeof *p->aa);
    memcpy(p->pairs, b->pairs, (size_t)n * n * sizeof *p->pairs);
    memcpy(p->routes, b->routes, (size_t)nr * sizeof *p->routes);
    for (int i = 0; i < n; i++)
        p->ag[i] = b->ag[(size_t)i * g + k];
    for (int r = 0; r < nr; r++)
        p->rg[r] = b->rg[(size_t)r * g + k];
    resolve(p);
    return p;
}

/* ---- running ----------------------------------------------------------- */

static void run_checked(const char *what, const model_params *p, unsigned long seed,
                        inv_hook hook, void *ctx)
{
    char why[WHY];
    if (inv_run(p, seed, hook, ctx, NULL, why, sizeof why))
        fail_msg("%s (run seed %lu): %s", what, seed, why);
}

/* ---- hooks: what an extreme implies, checked on every step -------------- */

static int no_production(const model_state *s, void *ctx, char *why, size_t len)
{
    (void)ctx;
    for (size_t ik = 0; ik < (size_t)s->n * s->g; ik++)
        if (s->production[ik] != 0.0)
            return inv_fail(why, len, "production[%zu] = %g with zero capacity", ik,
                            s->production[ik]);
    return 0;
}

static int fully_sanctioned(const model_state *s, void *ctx, char *why, size_t len)
{
    (void)ctx;
    for (int i = 0; i < s->n; i++)
        if (s->sanctions[i] != 1.0)
            return inv_fail(why, len, "sanctions[%d] = %.17g, set to 1", i,
                            s->sanctions[i]);
    return 0;
}

static int no_bloc_flow(const model_state *s, void *ctx, char *why, size_t len)
{
    (void)ctx;
    for (size_t x = 0; x < (size_t)s->n * s->n * s->g; x++)
        if (s->flow[x] != 0.0)
            return inv_fail(why, len, "flow[%zu] = %g with every route closed", x,
                            s->flow[x]);
    return 0;
}

static int all_lost(const model_state *s, void *ctx, char *why, size_t len)
{
    (void)ctx;
    for (size_t x = 0; x < (size_t)s->n * s->n * s->g; x++)
        if (inv_rel(s->interdicted[x], s->flow[x]) > 1e-12)
            return inv_fail(why, len,
                            "flow[%zu] = %.17g but %.17g lost, with v = I = 1", x,
                            s->flow[x], s->interdicted[x]);
    for (size_t ik = 0; ik < (size_t)s->n * s->g; ik++)
        if (inv_rel(s->imports[ik], s->world_imports[ik]) > 1e-12)
            return inv_fail(why, len,
                            "imports[%zu] = %.17g, world imports %.17g: something "
                            "crossed a route with v = I = 1",
                            ik, s->imports[ik], s->world_imports[ik]);
    return 0;
}

/* ---- the extremes on the baseline ---------------------------------------- */

static void test_zero_capacity(void **state)
{
    (void)state;
    sim_config *c;
    model_params *p = baseline_copy(&c);
    for (size_t x = 0; x < (size_t)p->n_agents * p->n_goods; x++)
        p->ag[x].capacity = 0.0;
    drop_events(p, "capacity");
    run_checked("all capacities zero", p, 1, no_production, NULL);
    params_free(p);
    config_free(c);
}

static void test_all_sanctioned(void **state)
{
    (void)state;
    sim_config *c;
    model_params *p = baseline_copy(&c);
    for (int i = 0; i < p->n_agents; i++)
        p->agents[i].sanctions = 1.0;
    drop_events(p, "sanctions");
    run_checked("every agent's sanctions 1", p, 2, fully_sanctioned, NULL);
    /* the same with the Richardson feedback on, pushed hard */
    p->g.feedback = 1.0;
    p->g.fb_arms = 10.0;
    p->g.fb_grievance = 1.0;
    p->g.fb_restraint = 0.0;
    run_checked("sanctions 1 with feedback", p, 3, NULL, NULL);
    params_free(p);
    config_free(c);
}

static void set_affinities(model_params *p, double a)
{
    int n = p->n_agents;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
            if (i != j)
                p->pairs[i * n + j].affinity = p->pairs[i * n + j].affinity_base = a;
    drop_events(p, "affinity");
    drop_events(p, "affinity_base");
}

static void test_affinities_zero(void **state)
{
    (void)state;
    sim_config *c;
    model_params *p = baseline_copy(&c);
    set_affinities(p, 0.0);
    run_checked("all affinities 0", p, 4, NULL, NULL);
    p->g.sigma_a = 1.0; /* and as noisy as allowed */
    run_checked("all affinities 0, sigma_a 1", p, 5, NULL, NULL);
    params_free(p);
    config_free(c);
}

static void test_affinities_one(void **state)
{
    (void)state;
    sim_config *c;
    model_params *p = baseline_copy(&c);
    set_affinities(p, 1.0);
    run_checked("all affinities 1", p, 6, NULL, NULL);
    p->g.sigma_a = 1.0;
    run_checked("all affinities 1, sigma_a 1", p, 7, NULL, NULL);
    params_free(p);
    config_free(c);
}

static void test_one_agent(void **state)
{
    (void)state;
    sim_config *c = baseline();
    const model_params *b = config_params(c);
    model_params *p = clone_world(b, 1);
    assert_int_equal(p->n_routes, 0);
    p->g.months = 120;
    run_checked("one agent", p, 8, NULL, NULL);
    p->agents[0].member = 0.0; /* a lone candidate */
    run_checked("one agent, not a member", p, 9, NULL, NULL);
    params_free(p);
    config_free(c);
}

static void test_one_good(void **state)
{
    (void)state;
    sim_config *c = baseline();
    const model_params *b = config_params(c);
    for (int k = 0; k < b->n_goods; k++) {
        model_params *p = one_good_world(b, k);
        char what[96];
        snprintf(what, sizeof what, "one good (%s)", b->goods[k].name);
        run_checked(what, p, 10 + (unsigned long)k, NULL, NULL);
        params_free(p);
    }
    config_free(c);
}

static void test_64_agents(void **state)
{
    (void)state;
    sim_config *c = baseline();
    model_params *p = clone_world(config_params(c), 64);
    p->g.months = 60;
    run_checked("64 agents", p, 20, NULL, NULL);
    params_free(p);
    config_free(c);
}

static void test_600_months(void **state)
{
    (void)state;
    sim_config *c;
    model_params *p = baseline_copy(&c);
    p->g.months = 600;
    run_checked("600-month baseline", p, 21, NULL, NULL);
    params_free(p);
    config_free(c);
}

static void test_routes_closed(void **state)
{
    (void)state;
    sim_config *c;
    model_params *p = baseline_copy(&c);
    for (int r = 0; r < p->n_routes; r++)
        p->routes[r].open = 0.0;
    int k = 0;
    for (int e = 0; e < p->n_events; e++)
        if (p->events[e].kind != EV_ROUTE_OPEN)
            p->events[k++] = p->events[e];
    p->n_events = k;
    run_checked("all routes closed", p, 22, no_bloc_flow, NULL);
    params_free(p);
    config_free(c);
}

static void test_interdiction_certain(void **state)
{
    (void)state;
    sim_config *c;
    model_params *p = baseline_copy(&c);
    for (int r = 0; r < p->n_routes; r++)
        p->routes[r].open = p->routes[r].vulnerability = p->routes[r].interdiction =
            1.0;
    drop_events(p, "vulnerability");
    drop_events(p, "interdiction");
    run_checked("interdiction 1 everywhere", p, 23, all_lost, NULL);
    params_free(p);
    config_free(c);
}

static void test_flares(void **state)
{
    (void)state;
    sim_config *c;
    model_params *p = baseline_copy(&c);
    int n = p->n_agents;
    p->g.flare_rate = 10.0;
    p->g.flare_size = 1.0;
    p->g.rivalry_sigma = 1.0;
    for (int ij = 0; ij < n * n; ij++) {
        p->pairs[ij].flare_rate = 10.0;
        p->pairs[ij].flare_size = 1.0;
    }
    run_checked("flare rate 10, size 1 everywhere", p, 24, NULL, NULL);
    for (int ij = 0; ij < n * n; ij++)
        p->pairs[ij].flare_size = 0.01; /* many small ones */
    run_checked("flare rate 10, size 0.01 everywhere", p, 25, NULL, NULL);
    params_free(p);
    config_free(c);
}

/* Every numeric parameter of every scope at its bound: lower (which_max
 * 0) or upper (1).  Aside: the scenario and output groups, and the
 * capitals (all at one pole would be distance 0, which the loader
 * refuses). */
static void all_at_bound(model_params *p, int which_max)
{
    for (size_t t = 0; t < param_table_len; t++) {
        const param_def *d = &param_table[t];
        if (d->type == PT_STRING || d->type == PT_CHOICE ||
            (d->scope == SCOPE_GLOBAL &&
             (strcmp(d->group, "scenario") == 0 || strcmp(d->group, "output") == 0)) ||
            (d->scope == SCOPE_AGENT &&
             (strcmp(d->key, "lat") == 0 || strcmp(d->key, "lon") == 0)))
            continue;
        int n1, n2;
        param_extent(p, d->scope, &n1, &n2);
        for (int a = 0; a < n1; a++)
            for (int b = 0; b < n2; b++)
                param_set(p, (param_ref){d, a, b}, which_max ? d->max : d->min);
    }
    p->n_events = 0;
}

static void test_all_at_max(void **state)
{
    (void)state;
    sim_config *c;
    model_params *p = baseline_copy(&c);
    all_at_bound(p, 1);
    run_checked("every parameter at its upper bound", p, 26, NULL, NULL);
    params_free(p);
    config_free(c);
}

static void test_all_at_min(void **state)
{
    (void)state;
    sim_config *c;
    model_params *p = baseline_copy(&c);
    all_at_bound(p, 0);
    run_checked("every parameter at its lower bound", p, 27, NULL, NULL);
    params_free(p);
    config_free(c);
}

/* The baseline with a `variant` group appended to its text (the embedded
 * baseline has none), run with every check; a failure is printed and
 * counted in *failed.  The loader may refuse the variant instead: that is
 * a correct answer too (printed, not counted). */
static void run_variant(const char *variant, unsigned long seed, int *failed)
{
    size_t len = strlen(sim_embedded_baseline) + strlen(variant) + 2;
    char *text = malloc(len);
    assert_non_null(text);
    snprintf(text, len, "%s\n%s", sim_embedded_baseline, variant);
    config_error e;
    sim_config *c = config_load_string(text, "baseline", &e);
    free(text);
    if (!c) {
        char line[1200];
        config_error_format(&e, line, sizeof line);
        print_message("# baseline + %s: refused by the loader: %s\n", variant, line);
        return;
    }
    char why[WHY];
    int rc = inv_run(config_params(c), seed, NULL, NULL, NULL, why, sizeof why);
    config_free(c);
    if (rc) {
        print_message("# baseline + %s (run seed %lu): %s\n", variant, seed, why);
        ++*failed;
    }
}

/* Events on a boolean (membership) with a ramp, an add or a value of 0.5:
 * refused by the loader, or membership still 0 or 1 on every step. */
static void test_event_ramps_member(void **state)
{
    (void)state;
    int failed = 0;
    /* setting a membership at once keeps it 0 or 1 */
    run_variant("variant = { name = \"join\"; events = ( { month = 0; kind = \"set\"; "
                "path = \"agents.BLR.member\"; value = 1.0; } ); };",
                28, &failed);
    if (failed)
        fail_msg("setting a membership broke an invariant");
    /* adding to a membership, ramping it or setting a fraction is refused */
    const char *bad[] = {
        "variant = { events = ( { month = 0; kind = \"set\"; "
        "path = \"agents.BLR.member\"; value = 1.0; ramp = 4; } ); };",
        "variant = { events = ( { month = 0; kind = \"add\"; "
        "path = \"agents.VEN.member\"; value = 3.0; } ); };",
        "variant = { events = ( { month = 0; kind = \"set\"; "
        "path = \"agents.SYR.member\"; value = 0.5; } ); };",
    };
    for (int k = 0; k < 3; k++) {
        size_t n = strlen(sim_embedded_baseline) + strlen(bad[k]) + 2;
        char *text = malloc(n);
        snprintf(text, n, "%s\n%s", sim_embedded_baseline, bad[k]);
        config_error e;
        sim_config *c = config_load_string(text, "variant", &e);
        free(text);
        if (c) {
            config_free(c);
            fail_msg("event %d on a membership was accepted", k);
        }
        assert_non_null(strstr(e.reason, "true or false"));
    }
}

/* Events on a route limit that is absent (unlimited): setting it, or
 * adding to it, must give a finite limit or leave it unlimited - never
 * NaN flows. */
static void test_event_on_unlimited_limit(void **state)
{
    (void)state;
    int failed = 0;
    run_variant("variant = { name = \"set\"; events = ( { month = 2; kind = \"set\"; "
                "path = \"routes.rus_chn_sea.limit.oil\"; value = 1.0e7; } ); };",
                31, &failed);
    run_variant("variant = { name = \"ramp\"; events = ( { month = 2; kind = \"set\"; "
                "path = \"routes.rus_chn_sea.limit.oil\"; value = 1.0e7; ramp = 6; } ); };",
                32, &failed);
    run_variant("variant = { name = \"add\"; events = ( { month = 2; kind = \"add\"; "
                "path = \"routes.rus_chn_land.limit.oil\"; value = 5.0; } ); };",
                33, &failed);
    if (failed)
        fail_msg("%d of 3 events on an absent route limit broke an invariant", failed);
}

/* ---- property-based: random valid configurations -------------------------- */

static int n_choices(const char *choices)
{
    int n = 1;
    for (const char *q = choices; *q; q++)
        n += *q == '|';
    return n;
}

/* A value of parameter d within its bounds: the bounds themselves 5% of
 * the time each, else uniform, or log-uniform over ranges wider than three
 * decades (from 1e-6 when the lower bound is 0). */
static double draw_value(gsl_rng *r, const param_def *d)
{
    double lo = d->min, hi = d->max, u = gsl_rng_uniform(r);
    if (d->type == PT_BOOL)
        return u < 0.5 ? 0.0 : 1.0;
    if (d->type == PT_CHOICE)
        return (double)gsl_rng_uniform_int(r, (unsigned long)n_choices(d->choices));
    double v;
    if (u < 0.05)
        v = lo;
    else if (u < 0.10)
        v = hi;
    else if (lo >= 0.0 && hi > 1e3 * fmax(lo, 1e-6)) {
        double a = log(fmax(lo, 1e-6)), b = log(hi);
        v = exp(a + (b - a) * gsl_rng_uniform(r));
    } else {
        v = lo + (hi - lo) * gsl_rng_uniform(r);
    }
    v = fmin(fmax(v, lo), hi);
    return d->type == PT_INT ? fmin(fmax(round(v), lo), hi) : v;
}

static int is_run_setting(const param_def *d)
{
    return d->scope == SCOPE_GLOBAL &&
           (strcmp(d->group, "scenario") == 0 || strcmp(d->group, "output") == 0);
}

/* A random event of the loader's kinds, valid as the loader sees it:
 * values of `set` within bounds (booleans 0 or 1, never ramped), months
 * that may lie past the horizon.  Not on stocks: an event that sets a
 * stock moves goods outside the conservation law checked here. */
static void random_event(gsl_rng *r, model_params *p, event_spec *ev)
{
    int n = p->n_agents, nr = p->n_routes;
    memset(ev, 0, sizeof *ev);
    ev->month = (int)gsl_rng_uniform_int(r, (unsigned long)p->g.months + 3);
    ev->ramp = gsl_rng_uniform(r) < 0.5 ? 0 : (int)gsl_rng_uniform_int(r, 13);
    ev->actor = ev->target = -1;
    for (;;) {
        ev->kind = (event_kind)gsl_rng_uniform_int(r, EV_EXPEL + 1);
        if ((ev->kind == EV_ROUTE_OPEN || ev->kind == EV_ROUTE_CLOSE) && nr == 0)
            continue;
        if (ev->kind == EV_FLAREUP && n < 2)
            continue;
        break;
    }
    switch (ev->kind) {
    case EV_SET:
    case EV_ADD: {
        /* a scope first, then one of its parameters: each scope (routes'
         * limits too) is as likely as any other */
        const param_def *d;
        int n1, n2;
        for (;;) {
            param_scope sc = (param_scope)gsl_rng_uniform_int(r, SCOPE_COUNT);
            do
                d = &param_table[gsl_rng_uniform_int(r, param_table_len)];
            while (d->scope != sc);
            param_extent(p, d->scope, &n1, &n2);
            if (d->type == PT_STRING || d->type == PT_CHOICE || is_run_setting(d) ||
                d->live == LIVE_STOCK || n1 == 0 || n2 == 0 ||
                (d->scope == SCOPE_PAIR && n < 2))
                continue;
            break;
        }
        int e1 = (int)gsl_rng_uniform_int(r, (unsigned long)n1);
        int e2 = (int)gsl_rng_uniform_int(r, (unsigned long)n2);
        while (d->scope == SCOPE_PAIR && e2 == e1)
            e2 = (int)gsl_rng_uniform_int(r, (unsigned long)n2);
        ev->ref = (param_ref){d, e1, e2};
        if (d->type == PT_BOOL) {
            ev->kind = EV_SET;
            ev->ramp = 0;
        }
        ev->value = draw_value(r, d);
        if (ev->kind == EV_ADD)
            ev->value = (gsl_rng_uniform(r) < 0.5 ? -1.0 : 1.0) * ev->value;
        snprintf(ev->label, sizeof ev->label, "%s", d->key);
        if (d->scope == SCOPE_AGENT || d->scope == SCOPE_AGENT_GOOD ||
            d->scope == SCOPE_AGENT_AGENT || d->scope == SCOPE_PAIR)
            ev->actor = e1;
        if (d->scope == SCOPE_AGENT_AGENT || d->scope == SCOPE_PAIR)
            ev->target = e2;
        break;
    }
    case EV_ROUTE_OPEN:
    case EV_ROUTE_CLOSE:
        ev->actor = (int)gsl_rng_uniform_int(r, (unsigned long)nr);
        snprintf(ev->label, sizeof ev->label, "%s", p->routes[ev->actor].name);
        break;
    case EV_FLAREUP:
        ev->actor = (int)gsl_rng_uniform_int(r, (unsigned long)n);
        do
            ev->target = (int)gsl_rng_uniform_int(r, (unsigned long)n);
        while (ev->target == ev->actor);
        ev->value = 2.0 * gsl_rng_uniform(r) - 1.0;
        snprintf(ev->label, sizeof ev->label, "rivalry");
        break;
    case EV_UNFREEZE:
        ev->actor = (int)gsl_rng_uniform_int(r, (unsigned long)n);
        ev->value = exp(log(1e15) * gsl_rng_uniform(r));
        snprintf(ev->label, sizeof ev->label, "cash");
        break;
    default:
        ev->actor = (int)gsl_rng_uniform_int(r, (unsigned long)n);
        snprintf(ev->label, sizeof ev->label, "member");
        break;
    }
}

/* A random valid world: 1-12 agents, 1-5 goods, 0-40 routes, every
 * numeric parameter drawn within its bounds, random input goods, focus and
 * war agent, 24-60 months; with_events: 0-8 random events.  One line
 * describing it in desc. */
static model_params *random_world(gsl_rng *r, int with_events, char *desc,
                                  size_t len)
{
    int n = 1 + (int)gsl_rng_uniform_int(r, 12);
    int g = 1 + (int)gsl_rng_uniform_int(r, 5);
    int max_routes = n < 2 ? 0 : (3 * n < 40 ? 3 * n : 40);
    int nr = (int)gsl_rng_uniform_int(r, (unsigned long)max_routes + 1);
    int ne = with_events ? (int)gsl_rng_uniform_int(r, 9) : 0;
    model_params *p = params_alloc(n, g, nr, ne);
    assert_non_null(p);
    params_set_defaults(p);
    for (int i = 0; i < n; i++) {
        snprintf(p->agents[i].code, PARAM_NAME_MAX, "A%d", i);
        snprintf(p->agents[i].name, PARAM_NAME_MAX, "Agent %d", i);
    }
    for (int k = 0; k < g; k++) {
        snprintf(p->goods[k].name, PARAM_NAME_MAX, "g%d", k);
        snprintf(p->goods[k].unit, PARAM_NAME_MAX, "u%d", k);
    }
    for (int q = 0; q < nr; q++) {
        route_params *rt = &p->routes[q];
        int a = (int)gsl_rng_uniform_int(r, (unsigned long)n), b;
        do
            b = (int)gsl_rng_uniform_int(r, (unsigned long)n);
        while (b == a);
        snprintf(rt->name, PARAM_NAME_MAX, "r%d", q);
        snprintf(rt->a, PARAM_NAME_MAX, "A%d", a);
        snprintf(rt->b, PARAM_NAME_MAX, "A%d", b);
    }
    for (size_t t = 0; t < param_table_len; t++) {
        const param_def *d = &param_table[t];
        if (d->type == PT_STRING)
            continue;
        int n1, n2;
        param_extent(p, d->scope, &n1, &n2);
        for (int a = 0; a < n1; a++)
            for (int b = 0; b < n2; b++) {
                if (d->scope == SCOPE_PAIR && b < a)
                    continue; /* param_set writes both halves */
                double v = draw_value(r, d);
                if (d->scope == SCOPE_ROUTE_GOOD && gsl_rng_uniform(r) < 0.4)
                    v = HUGE_VAL; /* unlimited */
                param_set(p, (param_ref){d, a, b}, v);
            }
    }
    /* no two capitals at the same coordinates, which the loader refuses */
    for (int i = 0; i < n; i++)
        for (int j = 0; j < i; j++)
            if (p->agents[i].lat == p->agents[j].lat &&
                p->agents[i].lon == p->agents[j].lon) {
                p->agents[i].lon = 360.0 * gsl_rng_uniform(r) - 180.0;
                j = -1; /* compare again with every earlier one */
            }
    global_params *gp = &p->g;
    snprintf(gp->name, PARAM_NAME_MAX, "random");
    snprintf(gp->start, PARAM_NAME_MAX, "%04d-%02d",
             1990 + (int)gsl_rng_uniform_int(r, 100),
             1 + (int)gsl_rng_uniform_int(r, 12));
    gp->months = 24 + (int)gsl_rng_uniform_int(r, 37);
    gp->every = 1;
    gp->seed = 1;
    snprintf(gp->focus, PARAM_NAME_MAX, "A%d", (int)gsl_rng_uniform_int(r, (unsigned long)n));
    snprintf(gp->war_agent, PARAM_NAME_MAX, "A%d",
             (int)gsl_rng_uniform_int(r, (unsigned long)n));
    for (int k = 0; k < g; k++)
        if (g > 1 && gsl_rng_uniform(r) < 0.3) {
            int in;
            do
                in = (int)gsl_rng_uniform_int(r, (unsigned long)g);
            while (in == k);
            snprintf(p->goods[k].input, PARAM_NAME_MAX, "g%d", in);
        }
    resolve(p);
    for (int e = 0; e < ne; e++)
        random_event(r, p, &p->events[e]);
    /* sorted by month, as the loader leaves them (insertion: stable) */
    for (int e = 1; e < ne; e++) {
        event_spec x = p->events[e];
        int f = e - 1;
        for (; f >= 0 && p->events[f].month > x.month; f--)
            p->events[f + 1] = p->events[f];
        p->events[f + 1] = x;
    }
    int members = 0, open = 0;
    for (int i = 0; i < n; i++)
        members += p->agents[i].member != 0.0;
    for (int q = 0; q < nr; q++)
        open += p->routes[q].open != 0.0;
    snprintf(desc, len,
             "%d agents (%d members), %d goods, %d routes (%d open), %d events, "
             "%d months, %d rounds",
             n, members, g, nr, open, ne, gp->months, gp->rounds);
    return p;
}

/* What a random run exercised (a hook that never fails). */
typedef struct {
    int flow, lost, world, short_, trade, joined, members_changed;
    double m0;
} coverage;

static int observe(const model_state *s, void *ctx, char *why, size_t len)
{
    coverage *c = ctx;
    (void)why;
    (void)len;
    double members = 0;
    for (size_t x = 0; x < (size_t)s->n * s->n * s->g; x++) {
        c->flow |= s->flow[x] > 0.0;
        c->lost |= s->interdicted[x] > 0.0;
    }
    for (size_t ik = 0; ik < (size_t)s->n * s->g; ik++) {
        c->world |= s->world_imports[ik] > 0.0 || s->world_exports[ik] > 0.0;
        c->short_ |= s->shortfall[ik] > 0.0;
    }
    for (size_t ij = 0; ij < (size_t)s->n * s->n; ij++)
        c->trade |= s->trade_value[ij] > 0.0;
    for (int e = 0; e < s->n_ev; e++)
        c->joined |= s->ev[e].kind == EV_JOIN || s->ev[e].kind == EV_LEAVE;
    for (int i = 0; i < s->n; i++)
        members += s->member[i];
    if (s->t == 0)
        c->m0 = members;
    else
        c->members_changed |= members != c->m0;
    return 0;
}

static unsigned long env_ulong(const char *name, unsigned long def)
{
    const char *v = getenv(name);
    return v && *v ? strtoul(v, NULL, 10) : def;
}

/* Draw and run the configurations; print each one that breaks an
 * invariant with its seed, then fail with the count. */
static void property(int with_events, unsigned long first_seed)
{
    unsigned long trials = env_ulong("EXTREMES_TRIALS", 300);
    unsigned long only = env_ulong("EXTREMES_SEED", 0);
    if (only) {
        if ((env_ulong("EXTREMES_EVENTS", 0) != 0) != with_events)
            skip();
        first_seed = only;
        trials = 1;
    }
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    assert_non_null(r);
    int failed = 0;
    unsigned long first_bad = 0, months = 0;
    coverage total = {0};
    for (unsigned long t = 0; t < trials; t++) {
        unsigned long seed = first_seed + t;
        char desc[256], why[WHY];
        gsl_rng_set(r, seed);
        model_params *p = random_world(r, with_events, desc, sizeof desc);
        coverage c = {0};
        months += (unsigned long)p->g.months;
        if (inv_run(p, model_run_seed(seed, 0), observe, &c, NULL, why, sizeof why)) {
            print_message("# config seed %lu%s: %s: %s\n", seed,
                          with_events ? " (with events)" : "", desc, why);
            if (failed++ == 0)
                first_bad = seed;
        }
        total.flow += c.flow;
        total.lost += c.lost;
        total.world += c.world;
        total.short_ += c.short_;
        total.trade += c.trade;
        total.joined += c.joined;
        total.members_changed += c.members_changed;
        params_free(p);
    }
    gsl_rng_free(r);
    print_message("# %lu random configurations%s, %lu months; runs with bloc flows "
                  "%d, losses %d, world trade %d, shortfalls %d, payments %d, "
                  "joins or leaves %d, membership changes %d\n",
                  trials, with_events ? " with events" : "", months, total.flow,
                  total.lost, total.world, total.short_, total.trade, total.joined,
                  total.members_changed);
    if (failed)
        fail_msg("%d of %lu random configurations broke an invariant (first: "
                 "EXTREMES_SEED=%lu%s)",
                 failed, trials, first_bad, with_events ? " EXTREMES_EVENTS=1" : "");
}

static void test_random_configs(void **state)
{
    (void)state;
    property(0, 1000);
}

static void test_random_configs_with_events(void **state)
{
    (void)state;
    property(1, 5000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_zero_capacity),
        cmocka_unit_test(test_all_sanctioned),
        cmocka_unit_test(test_affinities_zero),
        cmocka_unit_test(test_affinities_one),
        cmocka_unit_test(test_one_agent),
        cmocka_unit_test(test_one_good),
        cmocka_unit_test(test_64_agents),
        cmocka_unit_test(test_600_months),
        cmocka_unit_test(test_routes_closed),
        cmocka_unit_test(test_interdiction_certain),
        cmocka_unit_test(test_flares),
        cmocka_unit_test(test_all_at_max),
        cmocka_unit_test(test_all_at_min),
        cmocka_unit_test(test_event_ramps_member),
        cmocka_unit_test(test_event_on_unlimited_limit),
        cmocka_unit_test(test_random_configs),
        cmocka_unit_test(test_random_configs_with_events),
    };
    return cmocka_run_group_tests_name("extreme parameters", tests, NULL, NULL);
}
