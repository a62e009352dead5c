/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * routes.c - routes: which a sender uses, what they carry, what is lost
 * (phases 5 and 7).
 *
 * For each pair and good the senders keep shares of their flow on each
 * open route.  A route's cost is its transport cost kappa plus its
 * expected loss, an EWMA of the losses the senders saw on it (or, when
 * they sent nothing, of the loss rate v*I known to all).  The shares move
 * each month at rate routing.adapt toward
 *   exp(-(cost - cheapest)/temperature), normalised,
 * and a route whose expected loss exceeds routing.abandon gets no share:
 * interdiction moves traffic to other routes within months, and a route
 * that loses most of what it carries is abandoned.  While the shares of a
 * pair's routes sum to less than one (every route being abandoned), the
 * senders ship only that share of what they would; a share below
 * routing.min_share is given up.
 *
 * A route with a throughput limit carries, each month, a Beta-drawn share
 * (mean routing.reliability) of it.  A pair's flow is split over its
 * routes by share, the excess over a route's capacity spilling to the
 * others.  On each route shells and drones are lost in whole lots
 * (gsl_ran_binomial, probability v*I), oil and chips lose a Beta fraction
 * with mean v*I.  A share dud of what arrives from a seller fails.
 */
#include "internal.h"

#include <math.h>
#include <string.h>

#include <gsl/gsl_randist.h>

void routes_choose(model_state *s, double rate)
{
    const model_params *p = s->p;
    const global_params *gp = &p->g;
    int n = s->n, g = s->g;
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++) {
            size_t ij = IX_AP(s, i, j);
            int first = s->pair_first[ij], nr = s->pair_first[ij + 1] - first;
            if (nr == 0)
                continue;
            double tgt[MODEL_MAX_PAIR_ROUTES];
            if (nr == 1) { /* one route: all or, if unusable, nothing */
                int r = s->pair_route[first];
                const route_params *rt = &p->routes[r];
                for (int k = 0; k < g; k++) {
                    size_t rk = IX_RG(s, r, k);
                    double target = rt->open != 0.0 && p->rg[rk].limit > 0.0 &&
                                    s->route_loss[rk] <= gp->route_abandon;
                    s->route_share[rk] += rate * (target - s->route_share[rk]);
                    if (s->route_share[rk] < gp->route_min)
                        s->route_share[rk] = 0.0; /* given up */
                }
                continue;
            }
            for (int k = 0; k < g; k++) {
                double cmin = HUGE_VAL, total = 0.0;
                for (int q = 0; q < nr; q++) {
                    int r = s->pair_route[first + q];
                    size_t rk = IX_RG(s, r, k);
                    const route_params *rt = &p->routes[r];
                    if (rt->open == 0.0 || p->rg[rk].limit <= 0.0 ||
                        s->route_loss[rk] > gp->route_abandon)
                        continue;
                    double c = rt->kappa + s->route_loss[rk];
                    cmin = c < cmin ? c : cmin;
                }
                for (int q = 0; q < nr; q++) {
                    int r = s->pair_route[first + q];
                    size_t rk = IX_RG(s, r, k);
                    const route_params *rt = &p->routes[r];
                    double target = 0.0;
                    if (rt->open != 0.0 && p->rg[rk].limit > 0.0 &&
                        s->route_loss[rk] <= gp->route_abandon)
                        target = exp(-(rt->kappa + s->route_loss[rk] - cmin) /
                                     gp->route_temp);
                    tgt[q] = target;
                    total += target;
                }
                for (int q = 0; q < nr; q++) {
                    int r = s->pair_route[first + q];
                    size_t rk = IX_RG(s, r, k);
                    double target = total > 0.0 ? tgt[q] / total : 0.0;
                    s->route_share[rk] += rate * (target - s->route_share[rk]);
                    if (s->route_share[rk] < gp->route_min)
                        s->route_share[rk] = 0.0; /* given up */
                }
            }
        }
}

void routes_prepare(model_state *s, gsl_rng *r)
{
    const model_params *p = s->p;
    const global_params *gp = &p->g;
    int n = s->n, g = s->g;
    /* this month's capacity of each limited route between agents */
    for (int q = 0; q < p->n_routes; q++) {
        if (p->routes[q].ia < 0)
            continue; /* hubs keep their own capacity (supply.c) */
        double rel = 1.0;
        int limited = 0;
        for (int k = 0; k < g; k++)
            limited |= isfinite(p->rg[IX_RG(s, q, k)].limit);
        if (limited)
            rel = model_beta_mean(r, gp->reliability, gp->reliability_conc);
        for (int k = 0; k < g; k++) {
            double lim = p->rg[IX_RG(s, q, k)].limit;
            s->route_cap[IX_RG(s, q, k)] = isfinite(lim) ? lim * rel : lim;
        }
    }
    size_t nng = (size_t)n * n * g;
    memset(s->w_route_factor, 0, nng * sizeof *s->w_route_factor);
    memset(s->w_limit, 0, nng * sizeof *s->w_limit);
    memset(s->w_route_use, 0, nng * sizeof *s->w_route_use);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            size_t ij = IX_AP(s, i, j);
            int first = s->pair_first[ij], nr = s->pair_first[ij + 1] - first;
            if (nr == 0)
                continue;
            for (int k = 0; k < g; k++) {
                double factor = 0.0, cap = 0.0, share = 0.0;
                for (int q = 0; q < nr; q++) {
                    int rt = s->pair_route[first + q];
                    size_t rk = IX_RG(s, rt, k);
                    const route_params *ro = &p->routes[rt];
                    if (ro->open == 0.0 || !(s->route_share[rk] > 0.0))
                        continue;
                    share += s->route_share[rk];
                    factor += s->route_share[rk] * (1.0 - s->route_loss[rk]) /
                              (1.0 + ro->kappa);
                    cap += s->route_cap[rk];
                }
                /* the senders' shares sum to less than one while they
                 * abandon every route of the pair: they ship that much less */
                size_t ijk = IX_APG(s, i, j, k);
                s->w_route_factor[ijk] = share > 0.0 ? factor / share : 0.0;
                s->w_route_use[ijk] = share < 1.0 ? share : 1.0;
                s->w_limit[ijk] = cap;
            }
        }
}

static double draw_loss(const good_params *gp, double y, double prob, gsl_rng *r)
{
    if (y <= 0.0 || prob <= 0.0)
        return 0.0;
    if (prob >= 1.0)
        return y;
    if (gp->lot > 0.0 && y / gp->lot < 4.0e9) {
        double lots = floor(y / gp->lot);
        double rest = y - lots * gp->lot;
        double lost = gp->lot * gsl_ran_binomial(r, prob, (unsigned int)lots);
        if (rest > 0.0 && gsl_rng_uniform(r) < prob)
            lost += rest;
        return lost < y ? lost : y;
    }
    return y * gsl_ran_beta(r, prob * gp->loss_conc, (1.0 - prob) * gp->loss_conc);
}

/* What reaches agent j: arrivals less duds into the stock. */
static void arrive(model_state *s, int from, int j, int k, double y)
{
    size_t jk = IX_AG(s, j, k);
    double dud = from >= 0 ? y * s->p->ag[IX_AG(s, from, k)].dud : 0.0;
    s->imports[jk] += y;
    s->stock[jk] += y - dud;
    s->duds[jk] += dud;
    s->consumption[jk] += dud;
}

void model_phase_shipping(model_state *s, gsl_rng *r)
{
    const model_params *p = s->p;
    const global_params *gp = &p->g;
    int n = s->n, g = s->g;
    memset(s->interdicted, 0, (size_t)n * n * g * sizeof *s->interdicted);
    for (int j = 0; j < n; j++)
        for (int k = 0; k < g; k++) {
            size_t jk = IX_AG(s, j, k);
            s->imports[jk] = 0.0;
            s->interdicted_in[jk] = 0.0;
            arrive(s, -1, j, k, s->world_imports[jk]);
        }
    /* hubs: the world's sales to their buyer, lost to seizures on the way */
    for (int q = 0; q < p->n_routes; q++) {
        const route_params *rt = &p->routes[q];
        if (rt->ia >= 0)
            continue;
        for (int k = 0; k < g; k++) {
            size_t rk = IX_RG(s, q, k), jk = IX_AG(s, rt->ib, k);
            double y = s->route_flow[rk];
            if (y <= 0.0)
                continue;
            double lost = draw_loss(&p->goods[k], y, rt->vulnerability * rt->interdiction, r);
            s->route_interdicted[rk] = lost;
            s->interdicted_in[jk] += lost;
            s->world_imports[jk] += y - lost;
            arrive(s, -1, rt->ib, k, y - lost);
        }
    }
    double rem[MODEL_MAX_PAIR_ROUTES];
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            size_t ij = IX_AP(s, i, j);
            int first = s->pair_first[ij], nr = s->pair_first[ij + 1] - first;
            if (nr == 0)
                continue;
            for (int k = 0; k < g; k++) {
                double left = s->flow[IX_APG(s, i, j, k)];
                if (left <= 0.0)
                    continue;
                double share = 0.0;
                for (int q = 0; q < nr; q++) {
                    int rt = s->pair_route[first + q];
                    size_t rk = IX_RG(s, rt, k);
                    rem[q] = p->routes[rt].open != 0.0 && s->route_share[rk] > 0.0
                                 ? s->route_cap[rk]
                                 : 0.0;
                    if (rem[q] > 0.0)
                        share += s->route_share[rk];
                }
                double total = left;
                /* by share first, then what is left where there is room */
                for (int pass = 0; pass < 2 && left > 0.0; pass++)
                    for (int q = 0; q < nr && left > 0.0; q++) {
                        int rt = s->pair_route[first + q];
                        size_t rk = IX_RG(s, rt, k);
                        if (rem[q] <= 0.0)
                            continue;
                        double want = pass == 0 && share > 0.0
                                          ? total * s->route_share[rk] / share
                                          : left;
                        double y = fmin(fmin(want, rem[q]), left);
                        if (y <= 0.0)
                            continue;
                        rem[q] -= y;
                        left -= y;
                        const route_params *ro = &p->routes[rt];
                        double lost = draw_loss(&p->goods[k], y,
                                                ro->vulnerability * ro->interdiction, r);
                        s->route_flow[rk] += y;
                        s->route_interdicted[rk] += lost;
                        s->interdicted[IX_APG(s, i, j, k)] += lost;
                        s->interdicted_in[IX_AG(s, j, k)] += lost;
                        arrive(s, i, j, k, y - lost);
                    }
                if (left > 0.0) {
                    /* rounding of the matching's limits: on the first
                     * route with a share, no loss drawn */
                    int rt = s->pair_route[first];
                    s->route_flow[IX_RG(s, rt, k)] += left;
                    arrive(s, i, j, k, left);
                }
            }
        }
    /* senders learn each route's loss, then re-plan their shares */
    double m = gp->loss_memory;
    for (int q = 0; q < p->n_routes; q++) {
        const route_params *rt = &p->routes[q];
        for (int k = 0; k < g; k++) {
            size_t rk = IX_RG(s, q, k);
            double seen = s->route_flow[rk] > 0.0
                              ? s->route_interdicted[rk] / s->route_flow[rk]
                              : rt->vulnerability * rt->interdiction;
            s->route_loss[rk] += m * (seen - s->route_loss[rk]);
        }
    }
    routes_choose(s, gp->route_adapt);
}
