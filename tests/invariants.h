/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * invariants.h - the whole-run invariants of the model as plain functions
 * that report instead of aborting, so that a caller can say which
 * configuration (seed) broke them.  Used by test_invariants.c and
 * test_extremes.c.
 *
 *   char why[2048];
 *   if (inv_run(p, seed, NULL, NULL, NULL, why, sizeof why))
 *       fail_msg("%s", why);
 *
 * Checked after every step (inv_check_step), given the state before it:
 *   - every array of the state (workspaces aside) is finite, Inf as well
 *     as NaN (route capacities: finite where the route has a limit);
 *   - quantities of goods and money, fleets, capacities, pipelines,
 *     treasuries, reserves and debt are >= 0 (transfers, financing, price
 *     shocks and utilities may be negative);
 *   - shares lie in [0,1]: affinity, rivalry, competition, fill, USD
 *     share (of all payments and of banked ones), payment friction,
 *     cooperation, bank risk, supplier share,
 *     shadow share, discount, strike damage, the affordable share of the
 *     plan, route shares and expected losses, sanctions, cohesion,
 *     connectivity, hub share; member and crisis are 0 or 1;
 *   - the route shares of a pair add up, per good, to at most 1, and to
 *     exactly 0 or 1 when senders adapt at once (routing.adapt 1, no
 *     routing.min_share);
 *   - production <= capacity, shortfall <= demand, fire <= war demand,
 *     duds <= imports, losses <= what was shipped, a hub carries at most
 *     its capacity, a hub's capacity at most its limit, the pipeline's
 *     total is the sum of its slots;
 *   - goods: exports = flows + world exports, imports = arrivals after
 *     losses + world imports (hubs included), and
 *       stock = previous + production + imports - exports - consumption,
 *     production net of oil shut in, consumption including duds;
 *   - every bloc flow (and loss) goes by a route between the pair, and no
 *     route carries more than its capacity of the month;
 *   - controlled goods do not flow between a pair in crisis;
 *   - money: what each agent received is what its buyers paid it plus the
 *     licence fees due to it, what each paid is its purchases plus the
 *     licence fees it owes, and the bloc's payments add up;
 *   - treasuries: every month
 *       treasury = previous + revenue - spending + transfers + financing,
 *     financing = new debt - change of the reserve fund (money is never
 *     created), debt never falls and never rises above its cap, spending
 *     never exceeds the plan cut to the money of the month plus purchases
 *     past the war budget, and the treasury pays at least what the war
 *     money bought from other states.
 */
#ifndef SIM_TESTS_INVARIANTS_H
#define SIM_TESTS_INVARIANTS_H

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_rng.h>

#include "model/model.h"
#include "testutil.h"

static inline int inv_fail(char *why, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static inline int inv_fail(char *why, size_t len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, len, fmt, ap);
    va_end(ap);
    return -1;
}

static inline double inv_rel(double a, double b)
{
    double scale = fmax(1.0, fmax(fabs(a), fabs(b)));
    return fabs(a - b) / scale;
}


/* a <= b to rounding of the larger */
static inline int inv_le(double a, double b)
{
    return a <= b + 1e-9 * fmax(1.0, fmax(fabs(a), fabs(b)));
}

/* The state before a step that the invariants compare with. */
typedef struct {
    double *stock;                   /* agent x good */
    double *pipe_max;                /* agent x good: largest pipeline so far */
    double *treasury, *reserve, *debt; /* agent */
    double *crisis;                  /* agent x partner */
} inv_prev;

static inline int inv_prev_alloc(inv_prev *v, const model_state *s)
{
    size_t ng = (size_t)s->n * s->g, n = (size_t)s->n;
    v->stock = calloc(2 * ng + 3 * n + n * n + 1, sizeof(double));
    if (!v->stock)
        return -1;
    v->pipe_max = v->stock + ng;
    v->treasury = v->pipe_max + ng;
    v->reserve = v->treasury + n;
    v->debt = v->reserve + n;
    v->crisis = v->debt + n;
    return 0;
}

static inline void inv_prev_take(inv_prev *v, const model_state *s)
{
    size_t ng = (size_t)s->n * s->g, n = (size_t)s->n;
    memcpy(v->stock, s->stock, ng * sizeof(double));
    for (size_t ik = 0; ik < ng; ik++)
        v->pipe_max[ik] = fmax(v->pipe_max[ik], s->pipe_total[ik]);
    memcpy(v->treasury, s->treasury, n * sizeof(double));
    memcpy(v->reserve, s->reserve, n * sizeof(double));
    memcpy(v->debt, s->debt, n * sizeof(double));
    memcpy(v->crisis, s->crisis, n * n * sizeof(double));
}

static inline void inv_prev_free(inv_prev *v)
{
    free(v->stock);
    v->stock = NULL;
}

typedef struct {
    const double *x;
    size_t len;
    const char *name;
    double lo, hi; /* range; lo > hi: finite only */
} inv_array;

/* Is route r between two agents (not a hub)? */
static inline int inv_pair_route(const model_state *s, int r)
{
    return s->p->routes[r].ia >= 0;
}

static inline int inv_arrays(const model_state *s, char *why, size_t len)
{
    size_t n = (size_t)s->n, g = (size_t)s->g, ng = n * g, nn = n * n,
           nng = nn * g, rg = (size_t)s->p->n_routes * g;
    const double inf = HUGE_VAL;
    const inv_array all[] = {
        /* agent x good */
        {s->stock, ng, "stock", 0, inf},
        {s->capacity, ng, "capacity", 0, inf},
        {s->production, ng, "production", 0, inf},
        {s->consumption, ng, "consumption", 0, inf},
        {s->shortfall, ng, "shortfall", 0, inf},
        {s->demand, ng, "demand", 0, inf},
        {s->imports, ng, "imports", 0, inf},
        {s->exports, ng, "exports", 0, inf},
        {s->world_imports, ng, "world_imports", 0, inf},
        {s->world_exports, ng, "world_exports", 0, inf},
        {s->discount, ng, "discount", 0, 1},
        {s->fire, ng, "fire", 0, inf},
        {s->duds, ng, "duds", 0, inf},
        {s->shut_in, ng, "shut_in", 0, inf},
        {s->supplier_share, ng, "supplier_share", 0, 1},
        {s->unit_cost, ng, "unit_cost", 0, inf},
        {s->cum_output, ng, "cum_output", 0, inf},
        {s->disrupted, ng, "disrupted", 0, 1},
        {s->disrupt_left, ng, "disrupt_left", 0, inf},
        {s->pipe, ng * MODEL_PIPE_MONTHS, "pipe", 0, inf},
        {s->pipe_total, ng, "pipe_total", 0, inf},
        {s->war_demand, ng, "war_demand", 0, inf},
        {s->interdicted_in, ng, "interdicted_in", 0, inf},
        /* agent x partner x good */
        {s->flow, nng, "flow", 0, inf},
        {s->interdicted, nng, "interdicted", 0, inf},
        /* agent x partner */
        {s->trade_value, nn, "trade_value", 0, inf},
        {s->civilian_trade, nn, "civilian_trade", 0, inf},
        {s->usd_share, nn, "usd_share", 0, 1},
        {s->usd_banked, nn, "usd_banked", 0, 1},
        {s->affinity, nn, "affinity", 0, 1},
        {s->rivalry, nn, "rivalry", 0, 1},
        {s->dependence, nn, "dependence", 0, inf},
        {s->competition, nn, "competition", 0, 1},
        {s->fill, nn, "fill", 0, 1},
        {s->payment_friction, nn, "payment_friction", 0, 1},
        {s->alt_payment, nn, "alt_payment", 0, inf},
        {s->cancelled, nn, "cancelled", 0, inf},
        {s->crisis, nn, "crisis", 0, 1},
        {s->crisis_left, nn, "crisis_left", 0, inf},
        {s->cooperation, nn, "cooperation", 0, 1},
        {s->bank_risk, nn, "bank_risk", 0, 1},
        {s->pair_value, nn, "pair_value", 0, inf},
        /* route x good */
        {s->route_flow, rg, "route_flow", 0, inf},
        {s->route_interdicted, rg, "route_interdicted", 0, inf},
        {s->route_share, rg, "route_share", 0, 1},
        {s->route_loss, rg, "route_loss", 0, 1},
        /* good */
        {s->price, g, "price", 0, inf},
        {s->price_shock, g, "price_shock", 1, 0},
        /* agent */
        {s->sanctions, n, "sanctions", 0, 1},
        {s->gdp, n, "gdp", 0, inf},
        {s->member, n, "member", 0, 1},
        {s->paid, n, "paid", 0, inf},
        {s->received, n, "received", 0, inf},
        {s->friction, n, "friction", 0, inf},
        {s->treasury, n, "treasury", 0, inf},
        {s->reserve, n, "reserve", 0, inf},
        {s->debt, n, "debt", 0, inf},
        {s->revenue, n, "revenue", 0, inf},
        {s->spending, n, "spending", 1, 0}, /* >= 0 to rounding: inv_money */
        {s->transfers, n, "transfers", 1, 0},
        {s->oil_revenue, n, "oil_revenue", 0, inf},
        {s->war_budget, n, "war_budget", 0, inf},
        {s->war_spent, n, "war_spent", 0, inf},
        {s->war_allow, n, "war_allow", 0, 1},
        {s->financing, n, "financing", 1, 0},
        {s->shadow_fleet, n, "shadow_fleet", 0, inf},
        {s->shadow_share, n, "shadow_share", 0, 1},
        {s->absorption, n, "absorption", 0, inf},
        {s->lost_to_cap, n, "lost_to_cap", 0, inf},
        {s->utility, n, "utility", 1, 0},
        /* bloc */
        {&s->cohesion, 1, "cohesion", 0, 1},
        {&s->connectivity, 1, "connectivity", 0, 1},
        {&s->hub_share, 1, "hub_share", 0, 1},
    };
    for (size_t v = 0; v < sizeof all / sizeof all[0]; v++) {
        const inv_array *a = &all[v];
        for (size_t k = 0; k < a->len; k++) {
            double x = a->x[k];
            if (!isfinite(x))
                return inv_fail(why, len, "%s[%zu] = %g is not finite", a->name, k, x);
            if (a->lo <= a->hi && !(x >= a->lo && x <= a->hi))
                return inv_fail(why, len, "%s[%zu] = %.17g outside [%g, %g]", a->name,
                                k, x, a->lo, a->hi);
        }
    }
    for (size_t i = 0; i < n; i++)
        if (s->member[i] != 0.0 && s->member[i] != 1.0)
            return inv_fail(why, len, "member[%zu] = %.17g is neither 0 nor 1", i,
                            s->member[i]);
    for (size_t ij = 0; ij < nn; ij++)
        if (s->crisis[ij] != 0.0 && s->crisis[ij] != 1.0)
            return inv_fail(why, len, "crisis[%zu] = %.17g is neither 0 nor 1", ij,
                            s->crisis[ij]);
    /* route capacities: unlimited (Inf) only where the route has no limit;
     * a hub's capacity is within its limit */
    for (int r = 0; r < s->p->n_routes; r++)
        for (size_t k = 0; k < g; k++) {
            size_t rk = (size_t)r * g + k;
            double c = s->route_cap[rk], lim = s->p->rg[rk].limit;
            if (isnan(c) || c < 0.0 || (isinf(c) && isfinite(lim)))
                return inv_fail(why, len, "route_cap[%d, %zu] = %g (limit %g)", r, k, c,
                                lim);
            if (!inv_pair_route(s, r) && !(c <= (isfinite(lim) ? lim : 0.0)))
                return inv_fail(why, len, "hub %d good %zu: capacity %.17g, limit %g", r,
                                k, c, lim);
        }
    return 0;
}

/* Licence fees of the month: what i owes j on its military output. */
static inline double inv_licence(const model_state *s, int i, int j)
{
    const model_params *p = s->p;
    double fee = 0.0;
    if (i == j)
        return 0.0;
    double share = p->aa[(size_t)i * s->n + j].licence;
    if (!(share > 0.0))
        return 0.0;
    for (int k = 0; k < s->g; k++) {
        size_t ik = AG(s, i, k);
        double base = p->ag[ik].unit_cost;
        if (p->goods[k].military == 0.0 || !(base > 0.0))
            continue;
        /* made this month, before any was shut in; the learning factor is
         * the unit cost's ratio to its start */
        double q = s->production[ik] + s->shut_in[ik];
        double lf = s->unit_cost[ik] / base;
        fee += q * s->unit_cost[ik] * share * lf;
    }
    return fee;
}

static inline int inv_goods(const model_state *s, const inv_prev *prev, char *why,
                            size_t len)
{
    int n = s->n, g = s->g;
    for (int i = 0; i < n; i++)
        for (int k = 0; k < g; k++) {
            size_t ik = AG(s, i, k);
            double shipped = 0, arrived = 0, gross_in = 0;
            for (int j = 0; j < n; j++) {
                double f_out = s->flow[APG(s, i, j, k)];
                double f_in = s->flow[APG(s, j, i, k)];
                double lost_in = s->interdicted[APG(s, j, i, k)];
                shipped += f_out;
                arrived += f_in - lost_in;
                gross_in += f_in;
                if (!inv_le(lost_in, f_in))
                    return inv_fail(why, len,
                                    "%d->%d good %d: lost %.17g of %.17g shipped", j,
                                    i, k, lost_in, f_in);
            }
            if (!inv_le(s->production[ik], s->capacity[ik]))
                return inv_fail(why, len, "agent %d good %d: production %.17g > capacity %.17g",
                                i, k, s->production[ik], s->capacity[ik]);
            if (!inv_le(s->shortfall[ik], s->demand[ik]))
                return inv_fail(why, len, "agent %d good %d: shortfall %.17g > demand %.17g",
                                i, k, s->shortfall[ik], s->demand[ik]);
            if (!inv_le(s->fire[ik], s->war_demand[ik]))
                return inv_fail(why, len, "agent %d good %d: fire %.17g > war demand %.17g",
                                i, k, s->fire[ik], s->war_demand[ik]);
            if (!inv_le(s->duds[ik], s->imports[ik]))
                return inv_fail(why, len, "agent %d good %d: duds %.17g > imports %.17g",
                                i, k, s->duds[ik], s->imports[ik]);
            double slots = 0.0;
            for (int m = 0; m < MODEL_PIPE_MONTHS; m++)
                slots += s->pipe[ik * MODEL_PIPE_MONTHS + (size_t)m];
            /* to rounding of the largest pipeline it has held */
            double pscale = fmax(fmax(1.0, slots),
                                 fmax(s->pipe_total[ik], prev->pipe_max[ik]));
            if (fabs(slots - s->pipe_total[ik]) > 1e-9 * pscale)
                return inv_fail(why, len,
                                "agent %d good %d: pipeline total %.17g, slots %.17g", i,
                                k, s->pipe_total[ik], slots);
            /* exports and imports include the rest of the world; imports
             * count what arrived after interdiction */
            if (inv_rel(s->exports[ik], shipped + s->world_exports[ik]) > 1e-9)
                return inv_fail(why, len,
                                "agent %d good %d: exports %.17g != flows %.17g + "
                                "world %.17g",
                                i, k, s->exports[ik], shipped, s->world_exports[ik]);
            double in_scale = fmax(1.0, fmax(fmax(fabs(s->imports[ik]), gross_in),
                                             s->world_imports[ik]));
            if (fabs(s->imports[ik] - (arrived + s->world_imports[ik])) >
                1e-9 * in_scale)
                return inv_fail(why, len,
                                "agent %d good %d: imports %.17g != arrivals %.17g + "
                                "world %.17g (shipped to it %.17g)",
                                i, k, s->imports[ik], arrived, s->world_imports[ik],
                                gross_in);
            double expect = prev->stock[ik] + s->production[ik] + s->imports[ik] -
                            s->exports[ik] - s->consumption[ik];
            /* to rounding of the largest term (a clamp at zero may absorb
             * a few ulps when exports equal the stock) */
            double scale = fmax(fmax(prev->stock[ik], s->production[ik] + s->shut_in[ik]),
                                fmax(s->imports[ik],
                                     fmax(s->exports[ik], s->consumption[ik])));
            if (fabs(s->stock[ik] - expect) > 1e-9 * fmax(1.0, scale))
                return inv_fail(why, len,
                                "stock of agent %d good %d: %.17g, expected %.17g "
                                "(previous %.17g + production %.17g + imports "
                                "%.17g - exports %.17g - consumption %.17g; duds "
                                "%.17g, shut in %.17g)",
                                i, k, s->stock[ik], expect, prev->stock[ik],
                                s->production[ik], s->imports[ik], s->exports[ik],
                                s->consumption[ik], s->duds[ik], s->shut_in[ik]);
        }
    return 0;
}

static inline int inv_routes(const model_state *s, const inv_prev *prev, char *why,
                             size_t len)
{
    int n = s->n, g = s->g, nr = s->p->n_routes;
    size_t nn = (size_t)n * n;
    /* every bloc flow goes by a route between agents; losses add up */
    for (int k = 0; k < g; k++) {
        double by_pair = 0, lost_pair = 0, by_route = 0, lost_route = 0;
        for (size_t ij = 0; ij < nn; ij++) {
            by_pair += s->flow[ij * g + k];
            lost_pair += s->interdicted[ij * g + k];
        }
        for (int r = 0; r < nr; r++) {
            size_t rk = (size_t)r * g + k;
            if (!inv_le(s->route_interdicted[rk], s->route_flow[rk]))
                return inv_fail(why, len, "route %d good %d: lost %.17g of %.17g", r, k,
                                s->route_interdicted[rk], s->route_flow[rk]);
            /* a route carries at most its capacity of the month */
            if (!inv_le(s->route_flow[rk], s->route_cap[rk]))
                return inv_fail(why, len,
                                "route %d (%s) good %d carried %.17g, capacity %.17g",
                                r, inv_pair_route(s, r) ? "pair" : "hub", k,
                                s->route_flow[rk], s->route_cap[rk]);
            if (!inv_pair_route(s, r))
                continue;
            by_route += s->route_flow[rk];
            lost_route += s->route_interdicted[rk];
        }
        if (inv_rel(by_route, by_pair) > 1e-9)
            return inv_fail(why, len, "good %d: routes carried %.17g, pairs %.17g", k,
                            by_route, by_pair);
        if (inv_rel(lost_route, lost_pair) > 1e-9)
            return inv_fail(why, len, "good %d: routes lost %.17g, pairs %.17g", k,
                            lost_route, lost_pair);
        /* what hubs delivered is part of the buyer's world imports */
        for (int j = 0; j < n; j++) {
            double hub_in = 0.0;
            for (int r = 0; r < nr; r++)
                if (!inv_pair_route(s, r) && s->p->routes[r].ib == j)
                    hub_in += s->route_flow[(size_t)r * g + k] -
                              s->route_interdicted[(size_t)r * g + k];
            if (!inv_le(hub_in, s->world_imports[AG(s, j, k)]))
                return inv_fail(why, len,
                                "agent %d good %d: hubs delivered %.17g, world "
                                "imports %.17g",
                                j, k, hub_in, s->world_imports[AG(s, j, k)]);
        }
    }
    /* controlled goods do not flow between a pair in crisis (the crisis
     * of the month before: relations come after trade) */
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
            for (int k = 0; k < g; k++)
                if (prev->crisis[(size_t)i * n + j] != 0.0 &&
                    s->p->goods[k].controlled != 0.0 && s->flow[APG(s, i, j, k)] != 0.0)
                    return inv_fail(why, len,
                                    "%d->%d good %d: %.17g flowed during a crisis", i, j,
                                    k, s->flow[APG(s, i, j, k)]);
    /* route shares of each pair: at most 1 in all; 0 or 1 when senders
     * adapt at once and give up no small share */
    int at_once = s->p->g.route_adapt == 1.0 && s->p->g.route_min == 0.0;
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++)
            for (int k = 0; k < g; k++) {
                double sum = 0.0;
                int any = 0;
                for (int r = 0; r < nr; r++) {
                    const route_params *rt = &s->p->routes[r];
                    if ((rt->ia == i && rt->ib == j) || (rt->ia == j && rt->ib == i)) {
                        sum += s->route_share[(size_t)r * g + k];
                        any = 1;
                    }
                }
                if (!any)
                    continue;
                if (sum > 1.0 + 1e-9 ||
                    (at_once && fabs(sum) > 1e-9 && fabs(sum - 1.0) > 1e-9))
                    return inv_fail(why, len,
                                    "pair %d-%d good %d: route shares add up to %.17g", i,
                                    j, k, sum);
            }
    return 0;
}

static inline int inv_money(const model_state *s, const inv_prev *prev, char *why,
                            size_t len)
{
    int n = s->n;
    double paid = 0, received = 0;
    for (int i = 0; i < n; i++) {
        double out_value = 0, in_value = 0, fee_in = 0, fee_out = 0;
        for (int j = 0; j < n; j++) {
            out_value += s->trade_value[AP(s, i, j)];
            in_value += s->trade_value[AP(s, j, i)];
            fee_in += inv_licence(s, j, i);
            fee_out += inv_licence(s, i, j);
        }
        /* the exporter receives what the importer pays */
        if (inv_rel(out_value + fee_in, s->received[i]) > 1e-9)
            return inv_fail(why, len,
                            "agent %d received %.17g, sold %.17g + licence fees %.17g",
                            i, s->received[i], out_value, fee_in);
        if (inv_rel(in_value + fee_out, s->paid[i]) > 1e-9)
            return inv_fail(why, len,
                            "agent %d paid %.17g, bought %.17g + licence fees %.17g", i,
                            s->paid[i], in_value, fee_out);
        paid += s->paid[i];
        received += s->received[i];

        /* the treasury's accounts; spending is the plan cut to the money
         * of the month, plus purchases past the war budget, less what the
         * treasury could not pay in the end: to rounding of the larger */
        const agent_params *ap = &s->p->agents[i];
        double spend0 = (ap->civil_spending * s->gdp[i] + ap->war_budget) * s->war_allow[i] +
                        fmax(0.0, s->war_spent[i] - s->war_budget[i]);
        double before = prev->treasury[i];
        double expect = before + s->revenue[i] - s->spending[i] + s->transfers[i] +
                        s->financing[i];
        double scale = fmax(fmax(fabs(before), s->revenue[i]),
                            fmax(spend0, fmax(fabs(s->transfers[i]), fabs(s->financing[i]))));
        if (fabs(s->treasury[i] - expect) > 1e-9 * fmax(1.0, scale))
            return inv_fail(why, len,
                            "treasury of agent %d: %.17g, expected %.17g (previous "
                            "%.17g + revenue %.17g - spending %.17g + transfers "
                            "%.17g + financing %.17g)",
                            i, s->treasury[i], expect, before, s->revenue[i],
                            s->spending[i], s->transfers[i], s->financing[i]);
        if (!inv_le(s->spending[i], spend0) || !inv_le(0.0, s->spending[i] + 1e-9 * spend0))
            return inv_fail(why, len, "agent %d spent %.17g, its plan %.17g", i,
                            s->spending[i], spend0);
        double dd = s->debt[i] - prev->debt[i], dr = s->reserve[i] - prev->reserve[i];
        double fscale = fmax(fmax(fmax(s->debt[i], prev->debt[i]),
                                  fmax(s->reserve[i], prev->reserve[i])),
                             scale);
        if (fabs(s->financing[i] - (dd - dr)) > 1e-9 * fmax(1.0, fscale))
            return inv_fail(why, len,
                            "agent %d: financing %.17g, but debt moved %.17g and the "
                            "fund %.17g",
                            i, s->financing[i], dd, dr);
        if (dd < 0.0)
            return inv_fail(why, len, "agent %d: debt fell from %.17g to %.17g", i,
                            prev->debt[i], s->debt[i]);
        if (dd > 0.0 && !inv_le(s->debt[i], ap->debt_cap))
            return inv_fail(why, len, "agent %d borrowed up to %.17g, cap %.17g", i,
                            s->debt[i], ap->debt_cap);
        /* what the war money bought from other states, the treasury paid
         * for (to rounding; test_model.c, test_purchases_need_money_at_hand);
         * a state's own industry may go unpaid when revenue falls short */
        if (!inv_le(s->w_abroad[i], s->spending[i]))
            return inv_fail(why, len,
                            "agent %d paid %.17g abroad of war money, the treasury "
                            "paid %.17g",
                            i, s->w_abroad[i], s->spending[i]);
    }
    if (inv_rel(paid, received) > 1e-9)
        return inv_fail(why, len, "bloc paid %.17g, received %.17g", paid, received);
    return 0;
}

/* Every invariant of one step, given the state before it.  0, or -1 with
 * the first violation in why. */
static inline int inv_check_step(const model_state *s, const inv_prev *prev, char *why,
                                 size_t len)
{
    if (inv_arrays(s, why, len) || inv_goods(s, prev, why, len) ||
        inv_routes(s, prev, why, len) || inv_money(s, prev, why, len))
        return -1;
    return 0;
}

/* An extra check after each step (0, or -1 with a reason). */
typedef int (*inv_hook)(const model_state *s, void *ctx, char *why, size_t len);

/* Run p to its horizon from `seed`, checking every step (and `hook`, if
 * any).  On success 0, and *final (if given) is the last state, which the
 * caller frees.  On failure -1 with "month T: reason" in why. */
static inline int inv_run(const model_params *p, unsigned long seed, inv_hook hook,
                          void *ctx, model_state **final, char *why, size_t len)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    model_state *s = model_alloc(p);
    inv_prev prev = {0};
    int rc = 0;
    if (final)
        *final = NULL;
    if (!r || !s || inv_prev_alloc(&prev, s)) {
        rc = inv_fail(why, len, "out of memory");
        goto done;
    }
    gsl_rng_set(r, seed);
    for (int t = 0; t < p->g.months && rc == 0; t++) {
        char reason[1536];
        inv_prev_take(&prev, s);
        model_step(s, r);
        if (s->t != t)
            rc = inv_fail(reason, sizeof reason, "step counter %d", s->t);
        if (rc == 0)
            rc = inv_check_step(s, &prev, reason, sizeof reason);
        if (rc == 0 && hook)
            rc = hook(s, ctx, reason, sizeof reason);
        if (rc)
            inv_fail(why, len, "month %d: %s", t, reason);
    }
done:
    inv_prev_free(&prev);
    gsl_rng_free(r);
    if (rc == 0 && final)
        *final = s;
    else
        model_free(s);
    return rc;
}

#endif
