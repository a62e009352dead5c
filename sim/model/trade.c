/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * trade.c - phases 4 and 5: offers, needs and trade matching.
 *
 * Each agent offers its surplus X = max(0, S - (1+r)d) and asks for its
 * need M = max(0, (1+r)d - S), d being final demand (civilian plus war)
 * plus next month's input needs.  Military goods and chips are bought with
 * war money: an importer whose money does not cover its needs at world
 * prices scales them all down alike.
 *
 * For each good, every exporter splits its surplus over importers in
 * proportion to
 *   w = M_j * A^alpha * exp(-beta R) * route factor * strategic * (1 - f)
 * and the rest of the world bids alongside (world_pull * X * (1 -
 * world_avoid * s)).  Rounds repeat until nothing moves (water-filling),
 * within each pair's route capacity.  Controlled goods flow only from
 * willing suppliers (supply.c) and never between a pair in crisis.
 * A share f of each pair's payments fails (payment.c): that share of the
 * trade is cancelled, the goods stay with the seller and the buyer turns
 * to the world for them.  Members trade with members, candidates with
 * members at candidate_weight, never with each other.
 *
 * What the bloc leaves: tanker goods go to the world through oil.c
 * (fleet, cap, buyers, shut-in); other goods to the world when it buys
 * them.  The world sells a share world_access of the remaining need
 * (closing with the buyer's sanctions), and transit hubs sell chips.
 */
#include "internal.h"

#include <math.h>
#include <string.h>

/* Output an agent could reach next month with its inputs unconstrained. */
static double potential_output(const model_state *s, int i, int k)
{
    const model_params *p = s->p;
    size_t ik = IX_AG(s, i, k);
    double phi = p->goods[k].sensitivity;
    return s->capacity[ik] * (1.0 - s->disrupted[ik]) *
           pos(1.0 - phi * p->agents[i].controls * p->ag[ik].western_dep);
}

/* Demand including the inputs next month's output needs. */
static double effective_demand(const model_state *s, int i, int k)
{
    const model_params *p = s->p;
    double d = s->demand[IX_AG(s, i, k)];
    for (int o = 0; o < s->g; o++)
        if (p->input_good[o] == k)
            d += potential_output(s, i, o) * p->goods[o].input_per_unit;
    return d;
}

/* Weight of exporter i's link to importer j for good k, before the need. */
static double link_weight(const model_state *s, int i, int j, int k)
{
    const model_params *p = s->p;
    if (i == j)
        return 0.0;
    int mi = s->member[i] != 0.0, mj = s->member[j] != 0.0;
    if (!mi && !mj)
        return 0.0;
    size_t ij = IX_AP(s, i, j);
    double a = s->affinity[ij];
    if (a < p->agents[i].defection)
        return 0.0;
    if (p->goods[k].controlled != 0.0 && s->crisis[ij] != 0.0)
        return 0.0;
    double w = (p->g.alpha == 2.0 ? a * a : pow(a, p->g.alpha)) *
               exp(-p->g.beta * s->rivalry[ij]) * s->w_route_factor[IX_APG(s, i, j, k)] *
               p->aa[ij].strategic * (1.0 - s->payment_friction[ij]);
    if (mi != mj)
        w *= p->g.candidate_weight;
    return w;
}

/* Offers, needs and the war money's limit on military needs. */
static void offers_and_needs(model_state *s)
{
    const model_params *p = s->p;
    int n = s->n, g = s->g;
    double eps = p->g.min_flow;
    for (int i = 0; i < n; i++) {
        double bill = 0.0;
        for (int k = 0; k < g; k++) {
            size_t ik = IX_AG(s, i, k);
            double S = s->stock[ik];
            /* a state keeps reserve months of what it would need at war */
            double d = effective_demand(s, i, k);
            double wartime = p->ag[ik].demand + p->ag[ik].doctrine;
            double keep = (1.0 + p->ag[ik].reserve) * (d > wartime ? d : wartime);
            double X = pos(S - keep), M = pos(keep - S);
            s->w_surplus[(size_t)k * n + i] = X < eps ? 0.0 : X;
            s->w_need[(size_t)k * n + i] = M < eps ? 0.0 : M;
            if (p->goods[k].military != 0.0) /* with the payment agents' fee */
                bill += s->w_need[(size_t)k * n + i] * s->price[k] *
                        (1.0 + p->g.alt_commission);
        }
        /* cut with the rest of the plans, and within the money left */
        double f = s->war_allow[i];
        if (bill * f > war_money_abroad(s, i))
            f = war_money_abroad(s, i) / bill;
        if (f < 1.0) {
            for (int k = 0; k < g; k++)
                if (p->goods[k].military != 0.0)
                    s->w_need[(size_t)k * n + i] *= f;
        }
        for (int k = 0; k < g; k++) {
            s->w_need0[IX_AG(s, i, k)] = s->w_need[(size_t)k * n + i];
            s->w_cancel[IX_AG(s, i, k)] = 0.0;
        }
    }
}

/* Willing suppliers per exporter-buyer pair this month: the share at the
 * current risk (cached: the risk moves only with events), drawn around it
 * when suppliers.draw is set. */
static void draw_willing(model_state *s, gsl_rng *r)
{
    const model_params *p = s->p;
    int n = s->n, g = s->g;
    for (int i = 0; i < n; i++) {
        const agent_params *a = &p->agents[i];
        for (int j = 0; j < n; j++) {
            size_t ij = IX_AP(s, i, j);
            double risk = a->listing * p->agents[j].controls;
            if (risk != s->supplier_risk[ij]) {
                s->w_willing[ij] = supply_willing(risk, a->supplier_mu,
                                                  p->g.supplier_conc);
                s->supplier_risk[ij] = risk;
            }
            double w = s->w_willing[ij];
            if (w < 1.0 && j != i && s->member[j] + s->member[i] > 0.0)
                w = model_beta_mean(r, w, p->g.supplier_draw);
            s->w_will_draw[ij] = w;
        }
        for (int k = 0; k < g; k++)
            s->supplier_share[IX_AG(s, i, k)] =
                p->goods[k].controlled != 0.0 && p->war_agent != i
                    ? s->w_will_draw[IX_AP(s, i, p->war_agent)]
                    : 1.0;
    }
}

static void match_good(model_state *s, int k)
{
    const model_params *p = s->p;
    const good_params *gp = &p->goods[k];
    int n = s->n;
    double eps = p->g.min_flow;
    double *X = s->w_surplus + (size_t)k * n;
    double *M = s->w_need + (size_t)k * n;
    double *P = s->w_prop;   /* proposals [i*n+j] */
    double *row = s->w_world; /* world weight per exporter */
    double *L = s->w_link;
    int controlled = gp->controlled != 0.0;
    /* only agents with a surplus or a need take part: few per good */
    int *ex = s->w_members, *im = s->w_members + n, nx = 0, nm = 0;
    for (int i = 0; i < n; i++) {
        row[i] = gp->world_pull * X[i] * pos(1.0 - gp->world_avoid * s->sanctions[i]);
        if (X[i] > 0.0)
            ex[nx++] = i;
        if (M[i] > 0.0)
            im[nm++] = i;
    }
    if (nx == 0)
        return;
    /* link weights and the willing suppliers' share of each exporter's
     * surplus do not change within a step: set them once */
    for (int a = 0; a < nx; a++)
        for (int b = 0; b < nm; b++) {
            int i = ex[a], j = im[b];
            size_t ij = IX_AP(s, i, j);
            L[ij] = link_weight(s, i, j, k);
            if (L[ij] > 0.0) {
                /* only willing suppliers sell controlled goods, and senders
                 * giving up the pair's routes ship only their share */
                double use = s->w_route_use[IX_APG(s, i, j, k)];
                double cap = (controlled ? s->w_will_draw[ij] : 1.0) * use * X[i];
                double *lim = &s->w_limit[IX_APG(s, i, j, k)];
                if (cap < *lim)
                    *lim = cap;
            }
        }
    for (int round = 0; round < p->g.rounds; round++) {
        double moved = 0.0;
        for (int a = 0; a < nx; a++) {
            int i = ex[a];
            double total = row[i];
            for (int b = 0; b < nm; b++) {
                int j = im[b];
                size_t ij = IX_AP(s, i, j);
                double w = M[j] > 0.0 && X[i] > 0.0 &&
                                   s->w_limit[IX_APG(s, i, j, k)] > 0.0
                               ? M[j] * L[ij]
                               : 0.0;
                P[ij] = w;
                total += w;
            }
            for (int b = 0; b < nm; b++) {
                int j = im[b];
                size_t ij = IX_AP(s, i, j);
                double x = total > 0.0 ? X[i] * P[ij] / total : 0.0;
                double lim = s->w_limit[IX_APG(s, i, j, k)];
                P[ij] = x < lim ? x : lim;
            }
            if (total > 0.0 && row[i] > 0.0) {
                double x = X[i] * row[i] / total;
                s->world_exports[IX_AG(s, i, k)] += x;
                X[i] -= x;
                moved += x;
            }
        }
        for (int b = 0; b < nm; b++) {
            int j = im[b];
            double in = 0.0;
            for (int a = 0; a < nx; a++)
                in += P[IX_AP(s, ex[a], j)];
            double scale = in > M[j] ? M[j] / in : 1.0;
            for (int a = 0; a < nx; a++) {
                int i = ex[a];
                size_t ij = IX_AP(s, i, j);
                double x = P[ij] * scale;
                if (x <= 0.0)
                    continue;
                /* the failed share of the payment cancels that share */
                double got = x * (1.0 - s->payment_friction[ij]);
                s->flow[IX_APG(s, i, j, k)] += got;
                s->w_limit[IX_APG(s, i, j, k)] -= x;
                s->w_cancel[IX_AG(s, j, k)] += x - got;
                s->cancelled[ij] += (x - got) * s->price[k];
                X[i] = pos(X[i] - got);
                M[j] = pos(M[j] - x);
                moved += x;
            }
        }
        for (int a = 0; a < nx; a++)
            if (X[ex[a]] < eps)
                X[ex[a]] = 0.0;
        for (int b = 0; b < nm; b++)
            if (M[im[b]] < eps)
                M[im[b]] = 0.0;
        if (moved <= eps)
            break;
    }
}

/* What the bloc did not take goes to, or comes from, the world. */
static void world_trade(model_state *s, int k)
{
    const model_params *p = s->p;
    const good_params *gp = &p->goods[k];
    int n = s->n;
    double *X = s->w_surplus + (size_t)k * n;
    double *M = s->w_need + (size_t)k * n;
    for (int i = 0; i < n; i++) {
        size_t ik = IX_AG(s, i, k);
        if (gp->fleet != 0.0 && p->agents[i].absorption > 0.0) {
            oil_world_sales(s, i, k, s->world_exports[ik] + X[i]);
        } else if (s->w_world[i] > 0.0) {
            s->world_exports[ik] += X[i];
        }
        X[i] = 0.0;
        /* the need left, and what cancelled payments left unbought */
        double need = M[i] + s->w_cancel[ik];
        double open = pos(1.0 - s->sanctions[i] / gp->world_close);
        double y = need * gp->world_access * (open < 1.0 ? open : 1.0);
        if (gp->military != 0.0 && y > 0.0) {
            double unit = s->price[k] * (1.0 + gp->world_markup * s->sanctions[i]);
            y = fmin(y, war_money_abroad(s, i) / unit);
            pay_abroad(s, i, y * unit);
        }
        s->world_imports[ik] = y;
        need -= y;
        if (need > 0.0)
            hubs_sell(s, i, k, &need);
    }
}

void model_phase_trade(model_state *s, gsl_rng *r)
{
    const model_params *p = s->p;
    int n = s->n, g = s->g;
    size_t rg = (size_t)p->n_routes * g;
    memset(s->flow, 0, (size_t)n * n * g * sizeof *s->flow);
    memset(s->world_exports, 0, (size_t)n * g * sizeof *s->world_exports);
    memset(s->route_flow, 0, rg * sizeof *s->route_flow);
    memset(s->route_interdicted, 0, rg * sizeof *s->route_interdicted);
    memset(s->cancelled, 0, (size_t)n * n * sizeof *s->cancelled);
    payment_friction_update(s, r);
    routes_prepare(s, r);
    offers_and_needs(s);
    draw_willing(s, r);
    for (int k = 0; k < g; k++) {
        match_good(s, k);
        world_trade(s, k);
    }
    for (int i = 0; i < n; i++)
        for (int k = 0; k < g; k++) {
            size_t ik = IX_AG(s, i, k);
            double out = s->world_exports[ik];
            for (int j = 0; j < n; j++)
                out += s->flow[IX_APG(s, i, j, k)];
            s->exports[ik] = out;
            s->stock[ik] = pos(s->stock[ik] - out);
        }
}
