/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * model.c - allocation of a run and the twelve phases of one monthly step.
 *
 * The order of the phases is part of the model (see the README).  Every
 * buffer is allocated in model_alloc(); the step itself allocates nothing.
 */
#include "model.h"

#include "calendar.h"
#include "internal.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_eigen.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_sort_vector.h>

/* ---- seeds, calendar, geography ----------------------------------------- */

static uint64_t splitmix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

unsigned long model_run_seed(unsigned long long master, unsigned long run)
{
    uint64_t h = splitmix64(splitmix64((uint64_t)master) ^ (uint64_t)run);
    uint32_t folded = (uint32_t)(h ^ (h >> 32));
    return folded ? folded : 1u; /* mt19937 treats 0 as its default seed */
}

double model_days_since_start(const model_params *p, int step)
{
    long m0 = (long)p->start_year * 12 + (p->start_month - 1);
    long m = m0 + step;
    return (double)(calendar_days_from_civil(m / 12, m % 12 + 1, 1) -
                    calendar_days_from_civil(p->start_year, p->start_month, 1));
}

double model_distance(const model_params *p, int i, int j)
{
    const double rad = acos(-1.0) / 180.0;
    double la1 = p->agents[i].lat * rad, la2 = p->agents[j].lat * rad;
    double dla = la2 - la1, dlo = (p->agents[j].lon - p->agents[i].lon) * rad;
    double h = sin(dla / 2) * sin(dla / 2) +
               cos(la1) * cos(la2) * sin(dlo / 2) * sin(dlo / 2);
    return 2.0 * p->g.earth_radius_km * asin(sqrt(h < 1.0 ? h : 1.0));
}

/* ---- allocation ---------------------------------------------------------- */

typedef struct {
    double **slot;
    size_t count;
} buf_spec;

#define MODEL_N_BUFFERS 128

/* Every double buffer of a state and its length: one list for allocation
 * and release. */
static size_t model_buffers(model_state *s, const model_params *p,
                            buf_spec *out)
{
    size_t n = (size_t)s->n, g = (size_t)s->g, nr = (size_t)p->n_routes;
    const buf_spec list[] = {
        {&s->stock, n * g},          {&s->capacity, n * g},
        {&s->production, n * g},     {&s->consumption, n * g},
        {&s->shortfall, n * g},      {&s->demand, n * g},
        {&s->imports, n * g},        {&s->exports, n * g},
        {&s->world_imports, n * g},  {&s->world_exports, n * g},
        {&s->discount, n * g},       {&s->interdicted_in, n * g},
        {&s->fire, n * g},           {&s->duds, n * g},
        {&s->shut_in, n * g},        {&s->supplier_share, n * g},
        {&s->unit_cost, n * g},      {&s->cum_output, n * g},
        {&s->disrupted, n * g},      {&s->disrupt_left, n * g},
        {&s->pipe, n * g * MODEL_PIPE_MONTHS},
        {&s->pipe_total, n * g},     {&s->war_demand, n * g},
        {&s->flow, n * n * g},       {&s->interdicted, n * n * g},
        {&s->trade_value, n * n},    {&s->civilian_trade, n * n},
        {&s->usd_share, n * n},      {&s->affinity, n * n},
        {&s->rivalry, n * n},        {&s->dependence, n * n},
        {&s->competition, n * n},    {&s->fill, n * n},
        {&s->payment_friction, n * n}, {&s->alt_payment, n * n},
        {&s->usd_banked, n * n},
        {&s->cancelled, n * n},      {&s->crisis, n * n},
        {&s->crisis_left, n * n},    {&s->cooperation, n * n},
        {&s->bank_risk, n * n},      {&s->pair_value, n * n},
        {&s->supplier_risk, n * n},  {&s->w_willing, n * n},
        {&s->price, g},              {&s->price_shock, g},
        {&s->route_flow, nr * g},    {&s->route_interdicted, nr * g},
        {&s->route_share, nr * g},   {&s->route_loss, nr * g},
        {&s->route_cap, nr * g},
        {&s->sanctions, n},          {&s->gdp, n},
        {&s->member, n},             {&s->paid, n},
        {&s->received, n},           {&s->friction, n},
        {&s->treasury, n},           {&s->reserve, n},
        {&s->debt, n},               {&s->revenue, n},
        {&s->spending, n},           {&s->transfers, n},
        {&s->oil_revenue, n},        {&s->war_budget, n},
        {&s->war_spent, n},          {&s->war_allow, n},
        {&s->financing, n},
        {&s->shadow_fleet, n},       {&s->shadow_share, n},
        {&s->absorption, n},         {&s->lost_to_cap, n},
        {&s->absorb_open, n},
        {&s->utility, n},
        {&s->w_surplus, n * g},      {&s->w_need, n * g},
        {&s->w_need0, n * g},        {&s->w_weight, n + 1},
        {&s->w_prop, n * n},         {&s->w_limit, n * n * g},
        {&s->w_lap, n * n},          {&s->w_eval, n},
        {&s->w_link, n * n},         {&s->w_dist, n * n},
        {&s->w_distc, n * n},        {&s->w_route_factor, n * n * g},
        {&s->w_route_use, n * n * g},
        {&s->w_world, n},            {&s->w_pot, n * g},
        {&s->w_money, n},            {&s->w_will_draw, n * n},
        {&s->w_cash, n},             {&s->w_abroad, n},
        {&s->w_cancel, n * g},       {&s->w_fail, 2 * n * n},
        {&s->w_fail_key, 2 * n * n},
        {&s->ramp_from, (size_t)p->n_events},
    };
    size_t count = sizeof list / sizeof list[0];
    memcpy(out, list, count * sizeof *out);
    return count;
}

/* Risk that banks of a pair act on: a payment between i and j that
 * passes through i's banks risks secondary sanctions on them in
 * proportion to the financial sanctions on j, and the other way round. */
static double pair_bank_risk(const model_params *p, int i, int j)
{
    const agent_params *a = &p->agents[i], *b = &p->agents[j];
    return fmax(a->secondary * b->financial, b->secondary * a->financial);
}

model_state *model_alloc(const model_params *p)
{
    model_state *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->p = params_copy(p);
    if (!s->p) {
        free(s);
        return NULL;
    }
    size_t n = (size_t)p->n_agents, g = (size_t)p->n_goods;
    s->n = (int)n;
    s->g = (int)g;
    s->t = -1;
    buf_spec bufs[MODEL_N_BUFFERS];
    size_t nb = model_buffers(s, p, bufs);
    int ok = 1;
    for (size_t b = 0; b < nb; b++) {
        *bufs[b].slot = calloc(bufs[b].count + 1, sizeof(double));
        ok = ok && *bufs[b].slot;
    }
    s->join_count = calloc(n + 1, sizeof *s->join_count);
    s->w_members = calloc(2 * n + 1, sizeof *s->w_members);
    s->event_month = calloc((size_t)p->n_events + 1, sizeof *s->event_month);
    /* events, incidents, crises, strikes, joins and leaves of one step */
    s->cap_ev = p->n_events + (int)(2 * n * n + n * g + 2 * n) + 8;
    s->ev = calloc((size_t)s->cap_ev, sizeof *s->ev);
    s->eig = calloc(n + 1, sizeof(gsl_eigen_symm_workspace *));
    /* routes by pair, in CSR form: pair_first[i*n+j] .. pair_first[..+1] */
    s->pair_first = calloc(n * n + 1, sizeof *s->pair_first);
    s->pair_route = calloc(2 * (size_t)p->n_routes + 1, sizeof *s->pair_route);
    s->hub_first = calloc(n + 2, sizeof *s->hub_first);
    s->hub_route = calloc((size_t)p->n_routes + 1, sizeof *s->hub_route);
    ok = ok && s->join_count && s->w_members && s->ev && s->eig &&
         s->pair_first && s->pair_route && s->event_month && s->hub_first &&
         s->hub_route;
    for (size_t m = 2; ok && m <= n; m++) {
        s->eig[m] = gsl_eigen_symm_alloc(m);
        ok = s->eig[m] != NULL;
    }
    if (!ok) {
        model_free(s);
        return NULL;
    }

    /* pair -> routes between two agents (both directions); hubs, whose
     * end a is the world, are not listed */
    int *count = s->pair_first;
    for (int r = 0; r < p->n_routes; r++) {
        if (p->routes[r].ia < 0)
            continue;
        count[IX_AP(s, p->routes[r].ia, p->routes[r].ib) + 1]++;
        count[IX_AP(s, p->routes[r].ib, p->routes[r].ia) + 1]++;
    }
    for (size_t k = 1; k <= n * n; k++)
        count[k] += count[k - 1];
    for (int r = 0; r < p->n_routes; r++) {
        if (p->routes[r].ia < 0)
            continue;
        size_t ab = IX_AP(s, p->routes[r].ia, p->routes[r].ib);
        size_t ba = IX_AP(s, p->routes[r].ib, p->routes[r].ia);
        int k;
        for (k = count[ab]; s->pair_route[k] != 0; k++) {}
        s->pair_route[k] = r + 1;
        for (k = count[ba]; s->pair_route[k] != 0; k++) {}
        s->pair_route[k] = r + 1;
    }
    for (int k = 0; k < count[n * n]; k++)
        s->pair_route[k]--; /* stored +1 so that 0 meant empty */
    /* buyer -> hubs selling to it, in route order */
    for (int r = 0; r < p->n_routes; r++)
        if (p->routes[r].ia < 0)
            s->hub_first[p->routes[r].ib + 1]++;
    for (size_t i = 1; i <= n; i++)
        s->hub_first[i] += s->hub_first[i - 1];
    for (int r = 0, *fill = s->hub_first; r < p->n_routes; r++)
        if (p->routes[r].ia < 0) {
            int b = p->routes[r].ib, k = fill[b];
            while (s->hub_route[k] != 0)
                k++;
            s->hub_route[k] = r + 1;
        }
    for (int k = 0; k < s->hub_first[n]; k++)
        s->hub_route[k]--;

    /* initial state */
    for (size_t i = 0; i < n; i++) {
        const agent_params *a = &p->agents[i];
        s->sanctions[i] = a->sanctions;
        s->gdp[i] = a->gdp;
        s->member[i] = a->member;
        s->treasury[i] = a->treasury;
        s->reserve[i] = a->reserve_fund;
        s->shadow_fleet[i] = a->shadow_fleet;
        s->absorption[i] = a->absorption;
        for (size_t k = 0; k < g; k++) {
            size_t ik = IX_AG(s, i, k);
            const agent_good_params *ag = &p->ag[ik];
            s->stock[ik] = ag->stock;
            s->capacity[ik] = ag->capacity;
            s->demand[ik] = ag->demand + a->intensity * ag->doctrine;
            s->unit_cost[ik] = ag->unit_cost;
            s->cum_output[ik] = ag->experience;
            s->supplier_share[ik] = 1.0;
        }
        for (size_t j = 0; j < n; j++) {
            size_t ij = IX_AP(s, i, j);
            const pair_params *pp = &p->pairs[ij];
            int self = i == j;
            s->affinity[ij] = self ? 0.0 : pp->affinity;
            s->rivalry[ij] = self ? 0.0 : pp->rivalry;
            s->usd_banked[ij] = self ? 0.0 : pp->usd_share;
            s->alt_payment[ij] = self ? 0.0 : pp->alt_payment;
            s->bank_risk[ij] = self ? 0.0 : pair_bank_risk(p, (int)i, (int)j);
            s->supplier_risk[ij] = -1.0; /* no willingness computed yet */
            s->w_fail_key[2 * ij] = s->w_fail_key[2 * ij + 1] = -1.0;
            s->w_dist[ij] = self ? 0.0 : model_distance(p, (int)i, (int)j);
            s->w_distc[ij] = self ? 0.0 : log(s->w_dist[ij]); /* gravity */
        }
    }
    for (int r = 0; r < p->n_routes; r++) {
        const route_params *rt = &p->routes[r];
        for (size_t k = 0; k < g; k++) {
            s->route_loss[IX_RG(s, r, k)] = rt->vulnerability * rt->interdiction;
            double lim = p->rg[IX_RG(s, r, k)].limit;
            /* a hub carries only the goods it lists */
            s->route_cap[IX_RG(s, r, k)] = rt->ia < 0 && !isfinite(lim) ? 0.0 : lim;
        }
    }
    for (int e = 0; e < p->n_events; e++)
        s->event_month[e] = p->events[e].month;
    for (size_t k = 0; k < g; k++)
        s->price[k] = p->goods[k].price;
    routes_choose(s, 1.0); /* senders start on the cheapest routes */
    payment_start(s);      /* the pairs' trade before the first month */
    return s;
}

void model_free(model_state *s)
{
    if (!s)
        return;
    buf_spec bufs[MODEL_N_BUFFERS];
    size_t nb = model_buffers(s, s->p, bufs);
    for (size_t b = 0; b < nb; b++)
        free(*bufs[b].slot);
    if (s->eig)
        for (int m = 2; m <= s->n; m++)
            if (s->eig[m])
                gsl_eigen_symm_free(s->eig[m]);
    free(s->eig);
    free(s->join_count);
    free(s->w_members);
    free(s->event_month);
    free(s->ev);
    free(s->pair_first);
    free(s->pair_route);
    free(s->hub_first);
    free(s->hub_route);
    params_free(s->p);
    free(s);
}

void model_log(model_state *s, event_kind kind, int actor, int target,
               double value, const char *label)
{
    if (s->n_ev >= s->cap_ev)
        return; /* cannot happen: cap_ev bounds the events of one step */
    model_event *e = &s->ev[s->n_ev++];
    e->step = s->t;
    e->kind = kind;
    e->actor = actor;
    e->target = target;
    e->value = value;
    e->label = label ? label : "";
}

double model_beta_mean(gsl_rng *r, double m, double c)
{
    if (!(c > 0.0) || !(m > 0.0) || !(m < 1.0))
        return m;
    return gsl_ran_beta(r, m * c, (1.0 - m) * c);
}

/* ---- phase 1: events ----------------------------------------------------- */

static double *live_slot(model_state *s, param_ref r)
{
    switch (r.def->live) {
    case LIVE_STOCK: return &s->stock[IX_AG(s, r.e1, r.e2)];
    case LIVE_CAPACITY: return &s->capacity[IX_AG(s, r.e1, r.e2)];
    case LIVE_SANCTIONS: return &s->sanctions[r.e1];
    case LIVE_GDP: return &s->gdp[r.e1];
    case LIVE_MEMBER: return &s->member[r.e1];
    case LIVE_TREASURY: return &s->treasury[r.e1];
    case LIVE_AFFINITY: return &s->affinity[IX_AP(s, r.e1, r.e2)];
    case LIVE_RIVALRY: return &s->rivalry[IX_AP(s, r.e1, r.e2)];
    case LIVE_USD: return &s->usd_banked[IX_AP(s, r.e1, r.e2)];
    default: return NULL;
    }
}

static double current_value(model_state *s, param_ref r)
{
    double *live = live_slot(s, r);
    return live ? *live : param_get(s->p, r);
}

static void apply_value(model_state *s, param_ref r, double v)
{
    const param_def *d = r.def;
    if (d->type == PT_BOOL)
        v = v != 0.0; /* a ramp towards true is true at once, live state too */
    if (d->type != PT_BOOL && d->type != PT_CHOICE) {
        if (v < d->min)
            v = d->min;
        if (v > d->max)
            v = d->max;
    }
    param_set(s->p, r, v);
    double *live = live_slot(s, r);
    if (live) {
        if (d->live == LIVE_TREASURY)
            s->transfers[r.e1] += v - *live; /* money set by an event */
        *live = v;
        if (d->scope == SCOPE_PAIR && r.e1 != r.e2) {
            param_ref t = {d, r.e2, r.e1};
            *live_slot(s, t) = v;
        }
    }
}

/* Each run draws the month of every event that has a window, uniformly
 * within +-window of its date (never before the start). */
static void draw_event_months(model_state *s, gsl_rng *r)
{
    const model_params *p = s->p;
    for (int e = 0; e < p->n_events; e++) {
        int w = p->events[e].window;
        if (w <= 0)
            continue;
        int m = p->events[e].month +
                (int)gsl_rng_uniform_int(r, 2UL * (unsigned long)w + 1UL) - w;
        s->event_month[e] = m < 0 ? 0 : m;
    }
}

void model_phase_events(model_state *s, gsl_rng *r)
{
    model_params *p = s->p;
    if (s->t == 0)
        draw_event_months(s, r);
    for (int e = 0; e < p->n_events; e++) {
        const event_spec *ev = &p->events[e];
        int month = s->event_month[e];
        int span = ev->ramp > 0 ? ev->ramp : 1;
        if (s->t < month || s->t >= month + span)
            continue;
        int first = s->t == month;
        switch (ev->kind) {
        case EV_SET:
        case EV_ADD: {
            if (first)
                s->ramp_from[e] = current_value(s, ev->ref);
            double from = s->ramp_from[e];
            double to = ev->kind == EV_SET ? ev->value : from + ev->value;
            double frac = (double)(s->t - month + 1) / span;
            /* from an unlimited value (a route limit) there is no ramp:
             * a set takes effect at once, an add leaves it unlimited */
            apply_value(s, ev->ref, isfinite(from) ? from + (to - from) * frac : to);
            if (first)
                model_log(s, ev->kind, ev->actor, ev->target, to, ev->label);
            break;
        }
        case EV_ROUTE_OPEN:
        case EV_ROUTE_CLOSE:
            p->routes[ev->actor].open = ev->kind == EV_ROUTE_OPEN;
            model_log(s, ev->kind, p->routes[ev->actor].ia,
                      p->routes[ev->actor].ib, p->routes[ev->actor].open,
                      ev->label);
            break;
        case EV_FLAREUP: {
            double *r1 = &s->rivalry[IX_AP(s, ev->actor, ev->target)];
            *r1 = clamp01(*r1 + ev->value);
            s->rivalry[IX_AP(s, ev->target, ev->actor)] = *r1;
            model_log(s, ev->kind, ev->actor, ev->target, ev->value, ev->label);
            break;
        }
        case EV_UNFREEZE:
            s->treasury[ev->actor] += ev->value;
            s->transfers[ev->actor] += ev->value;
            model_log(s, ev->kind, ev->actor, -1, ev->value, ev->label);
            break;
        case EV_ADMIT:
        case EV_EXPEL:
            s->member[ev->actor] = ev->kind == EV_ADMIT;
            s->join_count[ev->actor] = 0;
            model_log(s, ev->kind, ev->actor, -1, s->member[ev->actor],
                      ev->label);
            break;
        default: break;
        }
    }
}

/* ---- phase 2: drivers ---------------------------------------------------- */

void model_phase_drivers(model_state *s, gsl_rng *r)
{
    const model_params *p = s->p;
    int n = s->n, g = s->g;
    if (p->g.feedback != 0.0) {
        /* Richardson: the West answers aid to the war agent; the pressure
         * is state (the parameters keep the scheduled values) */
        int w = p->war_agent;
        for (int i = 0; i < n; i++) {
            double aid = 0.0;
            if (i == w) {
                for (int j = 0; j < n; j++)
                    aid += s->trade_value[IX_AP(s, j, w)];
            } else {
                aid = s->trade_value[IX_AP(s, i, w)];
            }
            aid /= p->g.fb_aid_scale;
            double ds = p->g.fb_arms * aid - p->g.fb_restraint * s->sanctions[i] +
                        p->g.fb_grievance;
            s->sanctions[i] = clamp01(s->sanctions[i] + ds);
        }
    }
    for (int k = 0; k < g; k++) {
        const good_params *gp = &p->goods[k];
        if (gp->price_sigma > 0.0)
            s->price_shock[k] = s->price_shock[k] * (1.0 - gp->price_theta) +
                                gsl_ran_gaussian_ziggurat(r, gp->price_sigma);
        s->price[k] = gp->price * exp(s->price_shock[k]);
    }
    /* banks act on a change of sanctions with a lag */
    double lag = 1.0 / (1.0 + p->g.bank_lag);
    for (int i = 0; i < n; i++) {
        const agent_params *a = &p->agents[i];
        s->gdp[i] *= 1.0 + a->gdp_growth;
        for (int k = 0; k < g; k++) {
            size_t ik = IX_AG(s, i, k);
            s->war_demand[ik] = a->intensity * p->ag[ik].doctrine;
            s->demand[ik] = p->ag[ik].demand + s->war_demand[ik];
        }
        for (int j = i + 1; j < n; j++) {
            size_t ij = IX_AP(s, i, j);
            double b = s->bank_risk[ij];
            b += lag * (pair_bank_risk(p, i, j) - b);
            s->bank_risk[ij] = s->bank_risk[IX_AP(s, j, i)] = b;
        }
    }
    hubs_update(s);
}

/* ---- the step ------------------------------------------------------------ */

void model_step(model_state *s, gsl_rng *r)
{
    s->t++;
    s->n_ev = 0;
    memset(s->transfers, 0, (size_t)s->n * sizeof *s->transfers);
    model_phase_events(s, r);
    model_phase_drivers(s, r);
    model_phase_production(s, r);
    model_phase_trade(s, r);
    model_phase_prices(s);
    model_phase_shipping(s, r);
    model_phase_consumption(s);
    model_phase_civilian(s);
    model_phase_relations(s, r);
    model_phase_cohesion(s);
    model_phase_membership(s);
}
