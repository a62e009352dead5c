/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * internal.h - what the phase files of the model share: index macros,
 * small numeric helpers and the event log.  Not part of the model's
 * interface (model.h is).
 */
#ifndef SIM_MODEL_INTERNAL_H
#define SIM_MODEL_INTERNAL_H

#include <stddef.h>

#include <gsl/gsl_rng.h>

#include "model.h"

#define IX_AG(s, i, k) ((size_t)(i) * (size_t)(s)->g + (size_t)(k))
#define IX_AP(s, i, j) ((size_t)(i) * (size_t)(s)->n + (size_t)(j))
#define IX_APG(s, i, j, k)                                                    \
    (((size_t)(i) * (size_t)(s)->n + (size_t)(j)) * (size_t)(s)->g + (size_t)(k))
#define IX_RG(s, r, k) ((size_t)(r) * (size_t)(s)->g + (size_t)(k))

static inline double clamp01(double x)
{
    if (!(x > 0.0))
        return 0.0; /* also maps NaN to 0 */
    return x < 1.0 ? x : 1.0;
}

static inline double pos(double x) { return x > 0.0 ? x : 0.0; }

/* A Beta draw with mean m and concentration c; m itself when c is 0 or m
 * is at a bound (no draw is made then). */
double model_beta_mean(gsl_rng *r, double m, double c);

/* War money agent i can still pay abroad this month, and paying `v` of
 * it (to another state, the world or a hub). */
static inline double war_money_abroad(const model_state *s, int i)
{
    return s->w_money[i] < s->w_cash[i] ? s->w_money[i] : s->w_cash[i];
}

static inline void pay_abroad(model_state *s, int i, double v)
{
    s->w_money[i] = pos(s->w_money[i] - v);
    s->w_cash[i] = pos(s->w_cash[i] - v);
    s->w_abroad[i] += v;
    s->war_spent[i] += v;
}

/* Append one entry to the step's event log. */
void model_log(model_state *s, event_kind kind, int actor, int target,
               double value, const char *label);

/* Share of suppliers whose risk tolerance, Beta with mean mu and
 * concentration conc, exceeds risk. */
double supply_willing(double risk, double mu, double conc);

/* Phase pieces that live in their own files (called from model_step). */
void budget_allow(model_state *s);          /* start of month: war money  */
void budget_settle(model_state *s);         /* after trade: the treasury  */
void payment_friction_update(model_state *s, gsl_rng *r); /* before trade */
void payment_start(model_state *s);         /* pair values at the start  */
void oil_world_sales(model_state *s, int i, int k, double offered);
void routes_choose(model_state *s, double rate); /* route shares          */
void routes_prepare(model_state *s, gsl_rng *r); /* limits and factors    */
void hubs_update(model_state *s);           /* hub capacities             */
void hubs_sell(model_state *s, int j, int k, double *need);

#endif
