/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * payment.c - payments between a pair (phase 6) and civilian trade
 * (phase 9).
 *
 * What matters is whether a payment passes through banks exposed to
 * Western jurisdiction, whatever its currency.  A pair settles up to its
 * alternative-payment capacity P (regional banks, netting, payment agents,
 * barter) outside them; the rest, x = max(0, 1 - P/V) of the pair's trade
 * V, goes through banks, where a USD payment fails at
 *   f_usd = 1 - exp(-k * max(financial_i, financial_j))
 * and any other at
 *   f_loc = 1 - exp(-k * b_ij),
 * b_ij the risk the banks act on (secondary risk of one side's banks times
 * the financial sanctions on the other, followed with a lag).  The failed
 * share of the pair's trade,
 *   f = x * (u f_usd + (1 - u) f_loc),   u the USD share,
 * is cancelled (strategic goods in trade.c, civilian trade here), drawn
 * each month around f.  A plan can build P directly (alt_build, USD a
 * month of capacity added each month: CIPS links, netting schemes).
 * The USD share reported is that of all the pair's payments: u times
 * the banked share x, since what passes outside the banks is not in
 * dollars.  P grows by alt_growth per USD that failed and
 * decays when unused; traders leave the dollar as USD payments fail more
 * than others and drift back to their base share when they work.  The USD
 * share is an outcome; de-dollarisation weakens sanctions only as far as
 * it builds P.
 */
#include "internal.h"

#include <float.h>
#include <math.h>

/* 1 - exp(-fail_k * risk) for the USD (which 0) or other (1) payments of
 * pair ij, cached: the risks move only with events and the banks' lag. */
static double fail_rate(model_state *s, size_t ij, int which, double risk)
{
    size_t c = 2 * ij + (size_t)which;
    if (risk != s->w_fail_key[c]) {
        s->w_fail_key[c] = risk;
        s->w_fail[c] = 1.0 - exp(-s->p->g.fail_k * risk);
    }
    return s->w_fail[c];
}

void payment_friction_update(model_state *s, gsl_rng *r)
{
    const model_params *p = s->p;
    int n = s->n;
    double k = p->g.fail_k;
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++) {
            size_t ij = IX_AP(s, i, j), ji = IX_AP(s, j, i);
            double f = 0.0;
            double fin = fmax(p->agents[i].financial, p->agents[j].financial);
            if (k > 0.0 && (fin > 0.0 || s->bank_risk[ij] > 0.0)) {
                double v = s->pair_value[ij] + s->pair_value[ji];
                double x = v > 0.0 ? pos(1.0 - s->alt_payment[ij] / v)
                                   : (s->alt_payment[ij] > 0.0 ? 0.0 : 1.0);
                double u = s->usd_banked[ij];
                f = x * (u * fail_rate(s, ij, 0, fin) +
                         (1.0 - u) * fail_rate(s, ij, 1, s->bank_risk[ij]));
                if (v > 0.0) /* failures are drawn where payments are made */
                    f = model_beta_mean(r, f, p->g.fail_conc);
            }
            s->payment_friction[ij] = s->payment_friction[ji] = f;
        }
}

/* ---- phase 9: civilian trade (gravity) ----------------------------------- */

/* Gravity in logs, so that no combination of parameters within their
 * bounds overflows: the log of the flow is kept below the log of the
 * largest double less a margin for sums over pairs and months. */
static double gravity(const global_params *gp, double ya, double yb,
                      double distc_log, double smax)
{
    const double cap = log(DBL_MAX) - 64.0; /* numerical guard, not a model number */
    double l = log(gp->gravity_g) + gp->gravity_a * ya + gp->gravity_b * yb -
               distc_log + gp->gravity_beta_s * smax * gp->western_share;
    return gp->gravity_g > 0.0 ? exp(l < cap ? l : cap) : 0.0;
}

/* Civilian trade the gravity equation gives the pair (i, j) now. */
static double civilian_want(const model_state *s, int i, int j, const double *ya)
{
    const global_params *gp = &s->p->g;
    size_t ij = IX_AP(s, i, j);
    if (!(s->gdp[i] > 0.0 && s->gdp[j] > 0.0))
        return 0.0;
    double smax = fmax(s->sanctions[i], s->sanctions[j]);
    return gravity(gp, ya[i], ya[j],
                   gp->gravity_c > 0.0 ? gp->gravity_c * s->w_distc[ij] : 0.0, smax);
}

static void log_gdp(const model_state *s, double *ya)
{
    for (int i = 0; i < s->n; i++)
        ya[i] = s->gdp[i] > 0.0 ? log(s->gdp[i] / s->p->g.gdp_scale) : -HUGE_VAL;
}

void payment_start(model_state *s)
{
    int n = s->n;
    double *ya = s->w_eval;
    log_gdp(s, ya);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
            if (i != j)
                s->pair_value[IX_AP(s, i, j)] = civilian_want(s, i, j, ya);
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++) {
            size_t ij = IX_AP(s, i, j), ji = IX_AP(s, j, i);
            double v = s->pair_value[ij] + s->pair_value[ji];
            double banked = v > 0.0 ? pos(1.0 - s->alt_payment[ij] / v) : 1.0;
            s->usd_share[ij] = s->usd_share[ji] = s->usd_banked[ij] * banked;
        }
}

void model_phase_civilian(model_state *s)
{
    const global_params *gp = &s->p->g;
    const model_params *p = s->p;
    int n = s->n;
    double *ya = s->w_eval; /* scratch: log GDP in gravity units */
    log_gdp(s, ya);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            size_t ij = IX_AP(s, i, j);
            if (i == j) {
                s->civilian_trade[ij] = 0.0;
                continue;
            }
            double want = civilian_want(s, i, j, ya);
            double f = s->payment_friction[ij];
            s->civilian_trade[ij] = want * (1.0 - f);
            s->cancelled[ij] += want * f;
        }
    /* after the month's trade: alternative payments, USD share, the
     * pair's value for next month */
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++) {
            size_t ij = IX_AP(s, i, j), ji = IX_AP(s, j, i);
            double failed = s->cancelled[ij] + s->cancelled[ji];
            double v = s->trade_value[ij] + s->trade_value[ji] +
                       s->civilian_trade[ij] + s->civilian_trade[ji] + failed;
            double alt = s->alt_payment[ij];
            alt += gp->alt_growth * failed + p->pairs[ij].alt_build -
                   gp->alt_decay * pos(alt - v);
            alt = alt < 0.0 ? 0.0 : alt;
            s->alt_payment[ij] = s->alt_payment[ji] = alt;
            s->pair_value[ij] = s->pair_value[ji] = 0.5 * v;

            double fin = fmax(p->agents[i].financial, p->agents[j].financial);
            double f_usd = fail_rate(s, ij, 0, fin);
            double f_loc = fail_rate(s, ij, 1, s->bank_risk[ij]);
            double u = s->usd_banked[ij];
            u += -gp->usd_adapt * pos(f_usd - f_loc) * u +
                 gp->usd_relax * (1.0 - f_usd) * pos(p->pairs[ij].usd_base - u);
            u = clamp01(u);
            s->usd_banked[ij] = s->usd_banked[ji] = u;
            /* what passes outside the banks is not in dollars */
            double banked = v > 0.0 ? pos(1.0 - alt / v) : 1.0;
            s->usd_share[ij] = s->usd_share[ji] = u * banked;
        }
}
