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
 * of longitude apart; two goods: "ammo" (lots of 10, price 100) and
 * "chips" (continuous, price 1); routes A-B, A-C, B-C with no cost and no
 * interdiction.  Every dynamic is switched off (rates and noise zero), so
 * each test turns on only what it checks. */
static inline model_params *tiny_params(int n_events)
{
    model_params *p = params_alloc(3, 2, 3, n_events);
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
    g->join_affinity = 0.6;
    g->join_pressure = 0.6;
    g->join_months = 2;
    g->exit_affinity = 0.1;
    g->usd_threshold = 1.0;
    g->fb_aid_scale = 1.0;
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
    const char *goods[2] = {"ammo", "chips"};
    for (int k = 0; k < 2; k++) {
        good_params *gp = &p->goods[k];
        snprintf(gp->name, sizeof gp->name, "%s", goods[k]);
        snprintf(gp->unit, sizeof gp->unit, "%s", k ? "USD" : "rounds");
        gp->price = k ? 1.0 : 100.0;
        gp->lot = k ? 0.0 : 10.0;
        gp->loss_conc = 50.0;
        gp->world_close = 1.0;
    }
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            pair_params *pp = &p->pairs[i * 3 + j];
            pp->affinity = pp->affinity_base = i == j ? 0.0 : 0.5;
        }
    const int ends[3][2] = {{0, 1}, {0, 2}, {1, 2}};
    for (int r = 0; r < 3; r++) {
        route_params *rt = &p->routes[r];
        snprintf(rt->name, sizeof rt->name, "r%d%d", ends[r][0], ends[r][1]);
        snprintf(rt->a, sizeof rt->a, "%s", codes[ends[r][0]]);
        snprintf(rt->b, sizeof rt->b, "%s", codes[ends[r][1]]);
        rt->mode = ROUTE_RAIL;
    }
    char why[256];
    if (params_resolve(p, why, sizeof why) != 0) {
        fprintf(stderr, "tiny_params: %s\n", why);
        params_free(p);
        return NULL;
    }
    return p;
}

#define AG(s, i, k) ((size_t)(i) * (size_t)(s)->g + (size_t)(k))
#define AP(s, i, j) ((size_t)(i) * (size_t)(s)->n + (size_t)(j))
#define APG(s, i, j, k)                                                       \
    (((size_t)(i) * (size_t)(s)->n + (size_t)(j)) * (size_t)(s)->g + (size_t)(k))

#endif
