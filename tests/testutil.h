/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * testutil.h - small hand-built worlds for the unit tests.
 */
#ifndef SIM_TESTS_TESTUTIL_H
#define SIM_TESTS_TESTUTIL_H

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "model/model.h"
#include "model/params.h"

/* Three agents A, B (members) and C (candidate) on the equator one degree
 * of longitude apart, GDP 10, 20 and 30 USD a month; goods "ammo" (lots
 * of 10, price 100), "chips" (continuous, price 1) and, when asked for, a
 * third good "cars" (continuous, price 10); routes A-B, A-C, B-C (rail, no
 * cost, no interdiction, no limit) and `extra` more routes, copies of A-B
 * named x0, x1 ... that a test may turn into a second A-B route or into a
 * transit hub (a = "world", see tiny_hub).
 *
 * Every dynamic is off, so each test turns on only what it checks:
 *   - money: no goods are military, no war budget, no revenue, treasuries
 *     0 (nothing is bought or made with money);
 *   - production: no learning (rate 1), no strikes, no plans, no duds, no
 *     fire rationing (cover 0);
 *   - suppliers and payments: no good is controlled, no listing, no
 *     financial sanctions and fail_k 0 (no payment fails), no draws;
 *   - oil: no good goes by tanker;
 *   - routes: one route per pair, reliability 1, nothing abandoned;
 *   - relations: no noise, no flare-ups, crisis threshold 1 (never passed);
 *   - membership: all utility weights 0, join at 1 and leave below -1
 *     (never);
 *   - civilian trade: gravity_g 0 (none).
 * tiny_build() returns the world unresolved, for a test to change names
 * (route ends, input goods) before tiny_resolve(); tiny_params() does both. */
static inline model_params *tiny_build(int n_events, int n_goods, int extra)
{
    model_params *p = params_alloc(3, n_goods, 3 + extra, n_events);
    if (!p)
        return NULL;
    params_set_defaults(p);
    global_params *g = &p->g;
    snprintf(g->name, sizeof g->name, "tiny");
    snprintf(g->start, sizeof g->start, "2023-01");
    snprintf(g->focus, sizeof g->focus, "A");
    snprintf(g->war_agent, sizeof g->war_agent, "A");
    g->months = 6;
    g->seed = 1;
    g->every = 1;
    g->alpha = 1.0;
    g->beta = 0.0;
    g->candidate_weight = 0.5;
    g->rounds = 50;
    g->min_flow = 1e-9;
    g->earth_radius_km = 6371.0;
    g->gdp_scale = 1.0;
    g->gravity_a = g->gravity_b = g->gravity_c = 1.0;
    g->fb_aid_scale = 1.0;
    g->join_utility = 1.0;
    g->leave_utility = -1.0;
    g->crisis_threshold = 1.0;
    const char *codes[3] = {"A", "B", "C"};
    for (int i = 0; i < 3; i++) {
        agent_params *a = &p->agents[i];
        snprintf(a->code, sizeof a->code, "%s", codes[i]);
        snprintf(a->name, sizeof a->name, "Agent %s", codes[i]);
        a->member = i < 2;
        a->gdp = 10.0 * (i + 1);
        a->lat = 0.0;
        a->lon = (double)i;
    }
    const char *goods[3] = {"ammo", "chips", "cars"};
    const char *units[3] = {"rounds", "USD", "cars"};
    const double price[3] = {100.0, 1.0, 10.0};
    for (int k = 0; k < n_goods && k < 3; k++) {
        good_params *gp = &p->goods[k];
        snprintf(gp->name, sizeof gp->name, "%s", goods[k]);
        snprintf(gp->unit, sizeof gp->unit, "%s", units[k]);
        gp->price = price[k];
        gp->lot = k == 0 ? 10.0 : 0.0;
        gp->loss_conc = 50.0;
        gp->world_close = 1.0;
    }
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            pair_params *pp = &p->pairs[i * 3 + j];
            pp->affinity = pp->affinity_base = i == j ? 0.0 : 0.5;
        }
    const int ends[3][2] = {{0, 1}, {0, 2}, {1, 2}};
    for (int r = 0; r < 3 + extra; r++) {
        route_params *rt = &p->routes[r];
        int e = r < 3 ? r : 0;
        if (r < 3)
            snprintf(rt->name, sizeof rt->name, "r%d%d", ends[e][0], ends[e][1]);
        else
            snprintf(rt->name, sizeof rt->name, "x%d", r - 3);
        snprintf(rt->a, sizeof rt->a, "%s", codes[ends[e][0]]);
        snprintf(rt->b, sizeof rt->b, "%s", codes[ends[e][1]]);
        rt->mode = ROUTE_RAIL;
    }
    return p;
}

/* Resolve names; 0, or -1 (printed) when the test built something wrong. */
static inline int tiny_resolve(model_params *p)
{
    char why[256];
    if (params_resolve(p, why, sizeof why) != 0) {
        fprintf(stderr, "tiny_resolve: %s\n", why);
        return -1;
    }
    return 0;
}

/* Route r made a transit hub from the world to agent `to`, with markup
 * kappa, carrying only good k up to `limit` a month. */
static inline void tiny_hub(model_params *p, int r, const char *to, double kappa,
                            int k, double limit)
{
    route_params *rt = &p->routes[r];
    snprintf(rt->a, sizeof rt->a, "%s", ROUTE_WORLD);
    snprintf(rt->b, sizeof rt->b, "%s", to);
    rt->kappa = kappa;
    p->rg[(size_t)r * p->n_goods + k].limit = limit;
}

/* The two-good world, resolved. */
static inline model_params *tiny_params(int n_events)
{
    model_params *p = tiny_build(n_events, 2, 0);
    if (p && tiny_resolve(p) != 0) {
        params_free(p);
        return NULL;
    }
    return p;
}

#define AG(s, i, k) ((size_t)(i) * (size_t)(s)->g + (size_t)(k))
#define AP(s, i, j) ((size_t)(i) * (size_t)(s)->n + (size_t)(j))
#define APG(s, i, j, k)                                                       \
    (((size_t)(i) * (size_t)(s)->n + (size_t)(j)) * (size_t)(s)->g + (size_t)(k))
#define RG(s, r, k) ((size_t)(r) * (size_t)(s)->g + (size_t)(k))

#endif
