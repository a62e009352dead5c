/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * budget.c - treasuries (phases 3 and 6): the war money of a month, the
 * prices and payments of trade, and the treasury's accounts.
 *
 * At the start of a month an agent may spend what it holds: its treasury
 * B, the revenue it expects (last month's), its reserve fund F above the
 * floor and its remaining borrowing room.
 * Planned spending (civilian share of GDP plus the war budget plan W) is
 * cut in proportion when that money is short, and every plan with it
 * (goods are paid as they are bought, so purchases are limited to the
 * money at hand, without the expected revenue):
 * military output, purchases and investment are scaled by the same
 * share, so they stop when money does, gradually.  The war money of the
 * month pays, in this order, for military production (production.c),
 * military imports and chips (trade and this file) and the capacity
 * pipeline (investment).
 *
 * After trade the accounts are settled:
 *   revenue   = revenue_share * GDP + oil_tax * value of oil output
 *               + receipts of state trade + licence fees
 *   spending  = civilian spending + war spending
 *   transfers = unfrozen assets and money set by events
 * and the fiscal rule moves oil revenue above its base (a fixed amount in
 * local currency, or the revenue at a base price) into the reserve fund,
 * or draws the fund when below.  A remaining deficit is borrowed up to
 * the cap; if even that does not cover it, the rest of the month's
 * spending is not made.  So every month
 *   B' = B + revenue - spending + transfers + financing,
 *   financing = fund draws + borrowing - fund deposits.
 */
#include "internal.h"

#include <math.h>
#include <string.h>

void budget_allow(model_state *s)
{
    const model_params *p = s->p;
    int n = s->n;
    for (int i = 0; i < n; i++) {
        const agent_params *a = &p->agents[i];
        /* money at hand, and the revenue of the month as last month's */
        double expect = s->t > 0 ? s->revenue[i]
                                 : a->revenue_share * s->gdp[i];
        double avail = s->treasury[i] + expect +
                       pos(s->reserve[i] - a->fund_floor) +
                       pos(a->debt_cap - s->debt[i]);
        double planned = a->civil_spending * s->gdp[i] + a->war_budget;
        double cut = planned > avail && planned > 0.0 ? avail / planned : 1.0;
        s->war_allow[i] = cut; /* share of the plan affordable this month */
        s->war_budget[i] = a->war_budget * cut;
        /* goods bought abroad are paid as they are bought: with money at
         * hand, not with the revenue the month is expected to bring */
        s->w_money[i] = s->war_budget[i];
        s->w_cash[i] = s->treasury[i] + pos(s->reserve[i] - a->fund_floor) +
                       pos(a->debt_cap - s->debt[i]);
        s->w_abroad[i] = 0.0;
        s->war_spent[i] = 0.0;
        s->revenue[i] = 0.0;
        /* the whole budget is spent: the war money pays for the goods of
         * the model first, the rest for everything else an army buys */
        s->spending[i] = (a->civil_spending * s->gdp[i] + a->war_budget) * cut;
        s->oil_revenue[i] = 0.0;
        s->paid[i] = s->received[i] = s->friction[i] = 0.0;
        s->financing[i] = 0.0;
    }
}

/* Discount of seller i on good k (goods not sold by tanker): its broad
 * sanctions times the good's discount, more for a dominant buyer. */
static double seller_discount(const model_state *s, int i, int k, double share)
{
    const good_params *gp = &s->p->goods[k];
    double d = gp->discount * s->sanctions[i] * (1.0 + gp->discount_conc * share);
    return d < gp->discount ? d : gp->discount;
}

/* Discount on a bloc sale of a tanker good: the seller's discount on its
 * world sales (arbitrage), more for a dominant buyer when the seller is
 * embargoed (a buyer of last resort). */
static double fleet_discount(const model_state *s, int i, int k, double share)
{
    const good_params *gp = &s->p->goods[k];
    double d = s->discount[IX_AG(s, i, k)] +
               gp->discount_conc * share * s->p->agents[i].embargo;
    return clamp01(d);
}

/* A sale of good k from i to j: value at the seller's price, the share
 * settled through payment agents pays their commission. */
static void settle_sale(model_state *s, int i, int j, int k, double value)
{
    const model_params *p = s->p;
    const good_params *gp = &p->goods[k];
    size_t ij = IX_AP(s, i, j);
    double v = s->pair_value[ij] + s->pair_value[IX_AP(s, j, i)];
    double alt = v > 0.0 ? fmin(1.0, s->alt_payment[ij] / v) : 0.0;
    double fee = value * p->g.alt_commission * alt;
    s->trade_value[ij] += value;
    s->paid[j] += value;
    s->received[i] += value;
    s->friction[j] += fee;
    if (gp->military != 0.0) {
        /* bought with war money; a state exporter's sale is revenue */
        pay_abroad(s, j, value + fee);
    }
    if (gp->military != 0.0 && p->ag[IX_AG(s, i, k)].unit_cost > 0.0)
        s->revenue[i] += value;
}

void model_phase_prices(model_state *s)
{
    const model_params *p = s->p;
    int n = s->n, g = s->g;
    memset(s->trade_value, 0, (size_t)n * n * sizeof *s->trade_value);
    for (int i = 0; i < n; i++)
        for (int k = 0; k < g; k++) {
            size_t ik = IX_AG(s, i, k);
            const good_params *gp = &p->goods[k];
            int tanker = gp->fleet != 0.0 && p->agents[i].absorption > 0.0;
            double total = s->exports[ik], weighted = 0.0;
            for (int j = 0; j < n; j++) {
                double x = s->flow[IX_APG(s, i, j, k)];
                if (x <= 0.0)
                    continue;
                double d = tanker ? fleet_discount(s, i, k, x / total)
                                  : seller_discount(s, i, k, x / total);
                settle_sale(s, i, j, k, x * s->price[k] * (1.0 - d));
                weighted += x * d;
            }
            double xw = s->world_exports[ik];
            if (!tanker) {
                /* tanker goods were priced by their channel (oil.c) */
                double d = seller_discount(s, i, k, total > 0.0 ? xw / total : 0.0);
                weighted += xw * d;
                s->discount[ik] = total > 0.0 ? weighted / total
                                              : seller_discount(s, i, k, 0.0);
            }
        }
    budget_settle(s);
}

/* Investment: the remaining war money funds the plans' gaps, each at most
 * gap * capex / build_spread a month; capacity arrives build_lag months
 * later. */
static void invest(model_state *s, int i)
{
    const model_params *p = s->p;
    int g = s->g;
    double want_total = 0.0;
    for (int k = 0; k < g; k++) {
        size_t ik = IX_AG(s, i, k);
        const agent_good_params *ag = &p->ag[ik];
        if (ag->plan_target <= 0.0 || ag->capex <= 0.0)
            continue;
        double gap = pos(ag->plan_target - s->capacity[ik] - s->pipe_total[ik]);
        want_total += gap * ag->capex / ag->build_spread;
    }
    if (want_total <= 0.0)
        return;
    double scale = s->war_allow[i]; /* cut with the rest of the plans */
    if (want_total * scale > s->w_money[i])
        scale = s->w_money[i] / want_total;
    for (int k = 0; k < g; k++) {
        size_t ik = IX_AG(s, i, k);
        const agent_good_params *ag = &p->ag[ik];
        if (ag->plan_target <= 0.0 || ag->capex <= 0.0)
            continue;
        double gap = pos(ag->plan_target - s->capacity[ik] - s->pipe_total[ik]);
        double pay = gap * ag->capex / ag->build_spread * scale;
        if (pay <= 0.0)
            continue;
        int lag = (int)lround(ag->build_lag);
        if (lag < 1)
            lag = 1;
        if (lag >= MODEL_PIPE_MONTHS)
            lag = MODEL_PIPE_MONTHS - 1;
        int slot = (s->t + lag) % MODEL_PIPE_MONTHS;
        s->pipe[ik * MODEL_PIPE_MONTHS + (size_t)slot] += pay / ag->capex;
        s->pipe_total[ik] += pay / ag->capex;
        s->w_money[i] = pos(s->w_money[i] - pay);
        s->war_spent[i] += pay;
    }
}

void budget_settle(model_state *s)
{
    const model_params *p = s->p;
    int n = s->n, g = s->g;
    for (int i = 0; i < n; i++) {
        const agent_params *a = &p->agents[i];
        invest(s, i);
        /* oil: the government's share of the value of the output, valued
         * at the realised price (Brent less the discount) */
        double oil_value = 0.0, realised = 0.0;
        for (int k = 0; k < g; k++) {
            if (p->goods[k].fleet == 0.0)
                continue;
            size_t ik = IX_AG(s, i, k);
            double price = s->price[k] * (1.0 - s->discount[ik]);
            oil_value += s->production[ik] * price;
            realised = price;
        }
        /* what the goods of the model cost comes out of the war budget;
         * should commissions and markups take it past the budget, the
         * treasury pays the excess too */
        s->spending[i] += pos(s->war_spent[i] - s->war_budget[i]);
        s->oil_revenue[i] = a->oil_tax * oil_value;
        s->revenue[i] += a->revenue_share * s->gdp[i] + s->oil_revenue[i];

        /* fiscal rule: oil revenue above its base is saved, below drawn */
        double base = s->oil_revenue[i];
        if (a->fiscal_price > 0.0 && realised > 0.0)
            base = s->oil_revenue[i] * a->fiscal_price / realised;
        else if (a->fiscal_base > 0.0)
            base = a->fiscal_base / a->fx;
        double financing = 0.0;
        double excess = s->oil_revenue[i] - base;
        if (excess > 0.0) {
            /* saved only out of money the treasury has this month */
            double room = pos(s->treasury[i] + s->revenue[i] - s->spending[i]);
            double saved = fmin(excess, room);
            s->reserve[i] += saved;
            financing -= saved;
        } else if (excess < 0.0) {
            double draw = fmin(-excess, pos(s->reserve[i] - a->fund_floor));
            s->reserve[i] -= draw;
            financing += draw;
        }
        double b = s->treasury[i] + s->revenue[i] - s->spending[i] + financing;
        if (b < 0.0) { /* the fund above its floor first, then borrowing */
            double draw = fmin(-b, pos(s->reserve[i] - a->fund_floor));
            s->reserve[i] -= draw;
            b += draw;
            financing += draw;
        }
        if (b < 0.0) {
            double borrow = fmin(-b, pos(a->debt_cap - s->debt[i]));
            s->debt[i] += borrow;
            b += borrow;
            financing += borrow;
        }
        if (b < 0.0) {
            /* revenue fell short of what was expected and nothing is left
             * to draw or borrow: the rest of the spending is not made (what
             * was bought was paid with money at hand, so it stays paid) */
            double unpaid = fmin(-b, pos(s->spending[i] - s->w_abroad[i]));
            s->spending[i] -= unpaid;
            b += unpaid;
        }
        if (b < 0.0) { /* rounding of the purchases against the money */
            s->spending[i] += b;
            b = 0.0;
        }
        s->treasury[i] = b;
        s->financing[i] = financing;
    }
}
