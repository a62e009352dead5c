/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * model.c - allocation of a run and the twelve phases of one monthly step.
 *
 * The order of the phases is part of the model (see the README).  Every
 * buffer is allocated in model_alloc(); the step itself allocates nothing.
 */
#include "model.h"

#include "calendar.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_eigen.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_sort_vector.h>

#define IX_AG(s, i, k) ((size_t)(i) * (size_t)(s)->g + (size_t)(k))
#define IX_AP(s, i, j) ((size_t)(i) * (size_t)(s)->n + (size_t)(j))
#define IX_APG(s, i, j, k)                                                    \
    (((size_t)(i) * (size_t)(s)->n + (size_t)(j)) * (size_t)(s)->g + (size_t)(k))

static double clamp01(double x)
{
    if (!(x > 0.0))
        return 0.0; /* also maps NaN to 0, never reached in practice */
    return x < 1.0 ? x : 1.0;
}

static double pos(double x) { return x > 0.0 ? x : 0.0; }

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

#define MODEL_N_BUFFERS 64

/* Every double buffer of a state and its length: one list for allocation
 * and release. */
static size_t model_buffers(model_state *s, const model_params *p,
                            buf_spec *out)
{
    size_t n = (size_t)s->n, g = (size_t)s->g;
    const buf_spec list[] = {
        {&s->stock, n * g},          {&s->capacity, n * g},
        {&s->production, n * g},     {&s->consumption, n * g},
        {&s->shortfall, n * g},      {&s->demand, n * g},
        {&s->imports, n * g},        {&s->exports, n * g},
        {&s->world_imports, n * g},  {&s->world_exports, n * g},
        {&s->discount, n * g},       {&s->interdicted_in, n * g},
        {&s->flow, n * n * g},       {&s->interdicted, n * n * g},
        {&s->trade_value, n * n},    {&s->civilian_trade, n * n},
        {&s->usd_share, n * n},      {&s->affinity, n * n},
        {&s->rivalry, n * n},        {&s->dependence, n * n},
        {&s->competition, n * n},    {&s->fill, n * n},
        {&s->price, g},              {&s->price_shock, g},
        {&s->route_flow, (size_t)p->n_routes * g},
        {&s->route_interdicted, (size_t)p->n_routes * g},
        {&s->sanctions, n},          {&s->gdp, n},
        {&s->member, n},             {&s->cash, n},
        {&s->paid, n},               {&s->received, n},
        {&s->friction, n},           {&s->w_surplus, n * g},
        {&s->w_need, n * g},         {&s->w_need0, n * g},
        {&s->w_weight, n + 1},       {&s->w_prop, n * n},
        {&s->w_limit, n * n * g},    {&s->w_lap, n * n},
        {&s->w_eval, n},             {&s->w_link, n * n},
        {&s->w_dist, n * n},         {&s->w_distc, n * n},         {&s->w_route_factor, n * n},
        {&s->w_world, n},            {&s->w_pot, n * g},
        {&s->ramp_from, (size_t)p->n_events},
    };
    size_t count = sizeof list / sizeof list[0];
    memcpy(out, list, count * sizeof *out);
    return count;
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
    s->dist_c = NAN; /* w_distc not computed yet */
    buf_spec bufs[MODEL_N_BUFFERS];
    size_t nb = model_buffers(s, p, bufs);
    int ok = 1;
    for (size_t b = 0; b < nb; b++) {
        *bufs[b].slot = calloc(bufs[b].count + 1, sizeof(double));
        ok = ok && *bufs[b].slot;
    }
    s->join_count = calloc(n + 1, sizeof *s->join_count);
    s->w_members = calloc(n + 1, sizeof *s->w_members);
    s->cap_ev = p->n_events + (int)(n * n + 2 * n) + 8;
    s->ev = calloc((size_t)s->cap_ev, sizeof *s->ev);
    s->eig = calloc(n + 1, sizeof(gsl_eigen_symm_workspace *));
    /* routes by pair, in CSR form: pair_first[i*n+j] .. pair_first[..+1] */
    s->pair_first = calloc(n * n + 1, sizeof *s->pair_first);
    s->pair_route = calloc(2 * (size_t)p->n_routes + 1, sizeof *s->pair_route);
    ok = ok && s->join_count && s->w_members && s->ev && s->eig &&
         s->pair_first && s->pair_route;
    for (size_t m = 2; ok && m <= n; m++) {
        s->eig[m] = gsl_eigen_symm_alloc(m);
        ok = s->eig[m] != NULL;
    }
    if (!ok) {
        model_free(s);
        return NULL;
    }

    /* pair -> routes (both directions) */
    int *count = s->pair_first;
    for (int r = 0; r < p->n_routes; r++) {
        count[IX_AP(s, p->routes[r].ia, p->routes[r].ib) + 1]++;
        count[IX_AP(s, p->routes[r].ib, p->routes[r].ia) + 1]++;
    }
    for (size_t k = 1; k <= n * n; k++)
        count[k] += count[k - 1];
    for (int r = 0; r < p->n_routes; r++) {
        size_t ab = IX_AP(s, p->routes[r].ia, p->routes[r].ib);
        size_t ba = IX_AP(s, p->routes[r].ib, p->routes[r].ia);
        int k;
        for (k = count[ab]; s->pair_route[k] != 0; k++) {}
        s->pair_route[k] = r + 1;
        for (k = count[ba]; s->pair_route[k] != 0; k++) {}
        s->pair_route[k] = r + 1;
    }
    for (int k = 0; k < 2 * p->n_routes; k++)
        s->pair_route[k]--; /* stored +1 so that 0 meant empty */

    /* initial state */
    for (size_t i = 0; i < n; i++) {
        const agent_params *a = &p->agents[i];
        s->sanctions[i] = a->sanctions;
        s->gdp[i] = a->gdp;
        s->member[i] = a->member;
        s->cash[i] = a->cash;
        for (size_t k = 0; k < g; k++) {
            s->stock[IX_AG(s, i, k)] = p->ag[IX_AG(s, i, k)].stock;
            s->capacity[IX_AG(s, i, k)] = p->ag[IX_AG(s, i, k)].capacity;
            s->demand[IX_AG(s, i, k)] = p->ag[IX_AG(s, i, k)].demand;
        }
        for (size_t j = 0; j < n; j++) {
            const pair_params *pp = &p->pairs[IX_AP(s, i, j)];
            int self = i == j;
            s->affinity[IX_AP(s, i, j)] = self ? 0.0 : pp->affinity;
            s->rivalry[IX_AP(s, i, j)] = self ? 0.0 : pp->rivalry;
            s->usd_share[IX_AP(s, i, j)] = self ? 0.0 : pp->usd_share;
            s->w_dist[IX_AP(s, i, j)] =
                self ? 0.0 : model_distance(p, (int)i, (int)j);
        }
    }
    for (size_t k = 0; k < g; k++)
        s->price[k] = p->goods[k].price;
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
    free(s->ev);
    free(s->pair_first);
    free(s->pair_route);
    params_free(s->p);
    free(s);
}

static void log_event(model_state *s, event_kind kind, int actor, int target,
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

/* ---- phase 1: events ----------------------------------------------------- */

static double *live_slot(model_state *s, param_ref r)
{
    switch (r.def->live) {
    case LIVE_STOCK: return &s->stock[IX_AG(s, r.e1, r.e2)];
    case LIVE_SANCTIONS: return &s->sanctions[r.e1];
    case LIVE_GDP: return &s->gdp[r.e1];
    case LIVE_MEMBER: return &s->member[r.e1];
    case LIVE_CASH: return &s->cash[r.e1];
    case LIVE_AFFINITY: return &s->affinity[IX_AP(s, r.e1, r.e2)];
    case LIVE_RIVALRY: return &s->rivalry[IX_AP(s, r.e1, r.e2)];
    case LIVE_USD: return &s->usd_share[IX_AP(s, r.e1, r.e2)];
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
        *live = v;
        if (d->scope == SCOPE_PAIR && r.e1 != r.e2) {
            param_ref t = {d, r.e2, r.e1};
            *live_slot(s, t) = v;
        }
    }
}

void model_phase_events(model_state *s)
{
    model_params *p = s->p;
    for (int e = 0; e < p->n_events; e++) {
        const event_spec *ev = &p->events[e];
        int span = ev->ramp > 0 ? ev->ramp : 1;
        if (s->t < ev->month || s->t >= ev->month + span)
            continue;
        int first = s->t == ev->month;
        switch (ev->kind) {
        case EV_SET:
        case EV_ADD: {
            if (first)
                s->ramp_from[e] = current_value(s, ev->ref);
            double from = s->ramp_from[e];
            double to = ev->kind == EV_SET ? ev->value : from + ev->value;
            double frac = (double)(s->t - ev->month + 1) / span;
            /* from an unlimited value (a route limit) there is no ramp:
             * a set takes effect at once, an add leaves it unlimited */
            apply_value(s, ev->ref, isfinite(from) ? from + (to - from) * frac : to);
            if (first)
                log_event(s, ev->kind, ev->actor, ev->target, to, ev->label);
            break;
        }
        case EV_ROUTE_OPEN:
        case EV_ROUTE_CLOSE:
            p->routes[ev->actor].open = ev->kind == EV_ROUTE_OPEN;
            log_event(s, ev->kind, p->routes[ev->actor].ia,
                      p->routes[ev->actor].ib, p->routes[ev->actor].open,
                      ev->label);
            break;
        case EV_FLAREUP: {
            double *r1 = &s->rivalry[IX_AP(s, ev->actor, ev->target)];
            *r1 = clamp01(*r1 + ev->value);
            s->rivalry[IX_AP(s, ev->target, ev->actor)] = *r1;
            log_event(s, ev->kind, ev->actor, ev->target, ev->value, ev->label);
            break;
        }
        case EV_UNFREEZE:
            s->cash[ev->actor] += ev->value;
            log_event(s, ev->kind, ev->actor, -1, ev->value, ev->label);
            break;
        case EV_ADMIT:
        case EV_EXPEL:
            s->member[ev->actor] = ev->kind == EV_ADMIT;
            s->join_count[ev->actor] = 0;
            log_event(s, ev->kind, ev->actor, -1, s->member[ev->actor],
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
    int n = s->n;
    if (p->g.feedback != 0.0) {
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
            s->p->agents[i].sanctions = s->sanctions[i];
        }
    }
    for (int k = 0; k < s->g; k++) {
        const good_params *gp = &p->goods[k];
        if (gp->price_sigma > 0.0)
            s->price_shock[k] = s->price_shock[k] * (1.0 - gp->price_theta) +
                                gsl_ran_gaussian_ziggurat(r, gp->price_sigma);
        s->price[k] = gp->price * exp(s->price_shock[k]);
    }
    for (int i = 0; i < n; i++)
        s->gdp[i] *= 1.0 + p->agents[i].gdp_growth;
}

/* ---- phase 3: production ------------------------------------------------- */

/* Output an agent could reach this month with its inputs unconstrained. */
static double potential_output(const model_state *s, int i, int k)
{
    const model_params *p = s->p;
    double phi = p->goods[k].sensitivity;
    double dep = p->ag[IX_AG(s, i, k)].western_dep;
    return p->ag[IX_AG(s, i, k)].capacity *
           pos(1.0 - phi * s->sanctions[i] * dep);
}

void model_phase_production(model_state *s)
{
    const model_params *p = s->p;
    int n = s->n, g = s->g;
    for (int i = 0; i < n; i++) {
        for (int k = 0; k < g; k++) {
            size_t ik = IX_AG(s, i, k);
            s->capacity[ik] = p->ag[ik].capacity;
            s->demand[ik] = p->ag[ik].demand;
            s->consumption[ik] = 0.0;
            s->w_pot[ik] = potential_output(s, i, k);
        }
        /* Inputs come from the stock held at the start of the month; goods
         * that share an input are scaled down together when it is short. */
        for (int in = 0; in < g; in++) {
            double need = 0.0;
            for (int k = 0; k < g; k++)
                if (p->input_good[k] == in)
                    need += s->w_pot[IX_AG(s, i, k)] * p->goods[k].input_per_unit;
            if (need <= 0.0)
                continue;
            double have = s->stock[IX_AG(s, i, in)];
            double scale = need > have ? have / need : 1.0;
            double used = 0.0;
            for (int k = 0; k < g; k++)
                if (p->input_good[k] == in) {
                    s->w_pot[IX_AG(s, i, k)] *= scale;
                    used += s->w_pot[IX_AG(s, i, k)] * p->goods[k].input_per_unit;
                }
            if (used > have)
                used = have;
            s->stock[IX_AG(s, i, in)] -= used;
            s->consumption[IX_AG(s, i, in)] += used;
        }
        for (int k = 0; k < g; k++) {
            size_t ik = IX_AG(s, i, k);
            s->production[ik] = s->w_pot[ik];
            s->stock[ik] += s->w_pot[ik];
        }
    }
}

/* ---- phases 4-5: offers, needs and trade matching ------------------------ */

/* Demand including the inputs next month's full-capacity output needs. */
static double effective_demand(const model_state *s, int i, int k)
{
    const model_params *p = s->p;
    double d = p->ag[IX_AG(s, i, k)].demand;
    for (int o = 0; o < s->g; o++)
        if (p->input_good[o] == k)
            d += potential_output(s, i, o) * p->goods[o].input_per_unit;
    return d;
}

static double route_factor(const route_params *rt)
{
    return (1.0 - rt->vulnerability * rt->interdiction) / (1.0 + rt->kappa);
}

/* Best open route's factor per pair and total throughput per pair and good. */
static void prepare_routes(model_state *s)
{
    const model_params *p = s->p;
    int n = s->n, g = s->g;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            size_t ij = IX_AP(s, i, j);
            double best = 0.0;
            for (int k = 0; k < g; k++)
                s->w_limit[IX_APG(s, i, j, k)] = 0.0;
            for (int q = s->pair_first[ij]; q < s->pair_first[ij + 1]; q++) {
                int r = s->pair_route[q];
                const route_params *rt = &p->routes[r];
                if (rt->open == 0.0)
                    continue;
                double f = route_factor(rt);
                if (f > best)
                    best = f;
                for (int k = 0; k < g; k++)
                    s->w_limit[IX_APG(s, i, j, k)] +=
                        p->rg[(size_t)r * g + k].limit;
            }
            s->w_route_factor[ij] = best;
        }
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
    if (p->goods[k].controlled != 0.0 &&
        p->agents[i].secondary * s->sanctions[j] > p->agents[i].tolerance)
        return 0.0;
    double w = pow(a, p->g.alpha) * exp(-p->g.beta * s->rivalry[ij]) *
               s->w_route_factor[ij] * p->aa[ij].strategic;
    if (mi != mj)
        w *= p->g.candidate_weight;
    return w;
}

static void match_good(model_state *s, int k)
{
    const model_params *p = s->p;
    const good_params *gp = &p->goods[k];
    int n = s->n;
    double eps = p->g.min_flow;
    double *X = s->w_surplus + (size_t)k * n; /* reuse as per-good slices */
    double *M = s->w_need + (size_t)k * n;
    double *P = s->w_prop;                     /* proposals [i*n+j] */
    double *row = s->w_world;                  /* world weight per exporter */

    for (int i = 0; i < n; i++) {
        double S = s->stock[IX_AG(s, i, k)];
        double keep = (1.0 + p->ag[IX_AG(s, i, k)].reserve) *
                      effective_demand(s, i, k);
        X[i] = pos(S - keep);
        M[i] = pos(keep - S);
        if (X[i] < eps)
            X[i] = 0.0;
        if (M[i] < eps)
            M[i] = 0.0;
        s->w_need0[IX_AG(s, i, k)] = M[i];
        row[i] = gp->world_pull * X[i] *
                 pos(1.0 - gp->world_avoid * s->sanctions[i]);
    }
    /* link weights do not change within a step: compute them once */
    double *L = s->w_link;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
            L[IX_AP(s, i, j)] = X[i] > 0.0 && M[j] > 0.0 ? link_weight(s, i, j, k) : 0.0;
    for (int round = 0; round < p->g.rounds; round++) {
        double moved = 0.0;
        for (int i = 0; i < n; i++) {
            double total = row[i];
            for (int j = 0; j < n; j++) {
                double w = M[j] > 0.0 && X[i] > 0.0 &&
                                   s->w_limit[IX_APG(s, i, j, k)] > 0.0
                               ? M[j] * L[IX_AP(s, i, j)]
                               : 0.0;
                P[IX_AP(s, i, j)] = w;
                total += w;
            }
            for (int j = 0; j < n; j++) {
                double x = total > 0.0 ? X[i] * P[IX_AP(s, i, j)] / total : 0.0;
                double lim = s->w_limit[IX_APG(s, i, j, k)];
                P[IX_AP(s, i, j)] = x < lim ? x : lim;
            }
            if (total > 0.0 && row[i] > 0.0) {
                double x = X[i] * row[i] / total;
                s->world_exports[IX_AG(s, i, k)] += x;
                X[i] -= x;
                moved += x;
            }
        }
        for (int j = 0; j < n; j++) {
            double in = 0.0;
            for (int i = 0; i < n; i++)
                in += P[IX_AP(s, i, j)];
            double scale = in > M[j] ? M[j] / in : 1.0;
            for (int i = 0; i < n; i++) {
                double x = P[IX_AP(s, i, j)] * scale;
                if (x <= 0.0)
                    continue;
                s->flow[IX_APG(s, i, j, k)] += x;
                s->w_limit[IX_APG(s, i, j, k)] -= x;
                X[i] = pos(X[i] - x);
                M[j] = pos(M[j] - x);
                moved += x;
            }
        }
        for (int i = 0; i < n; i++) {
            if (X[i] < eps)
                X[i] = 0.0;
            if (M[i] < eps)
                M[i] = 0.0;
        }
        if (moved <= eps)
            break;
    }
    /* What the bloc did not take goes to, or comes from, the world. */
    for (int i = 0; i < n; i++) {
        size_t ik = IX_AG(s, i, k);
        if (row[i] > 0.0) {
            s->world_exports[ik] += X[i];
            X[i] = 0.0;
        }
        double open = pos(1.0 - s->sanctions[i] / gp->world_close);
        s->world_imports[ik] = M[i] * gp->world_access * (open < 1.0 ? open : 1.0);
    }
}

void model_phase_trade(model_state *s)
{
    int n = s->n, g = s->g;
    memset(s->flow, 0, (size_t)n * n * g * sizeof *s->flow);
    memset(s->world_exports, 0, (size_t)n * g * sizeof *s->world_exports);
    prepare_routes(s);
    for (int k = 0; k < g; k++)
        match_good(s, k);
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

/* ---- phase 6: prices, payment, settlement currency ------------------------ */

static double seller_discount(const model_state *s, int i, int k, double share)
{
    const good_params *gp = &s->p->goods[k];
    double d = gp->discount * s->sanctions[i] * (1.0 + gp->discount_conc * share);
    return d < gp->discount ? d : gp->discount;
}

void model_phase_prices(model_state *s)
{
    const model_params *p = s->p;
    int n = s->n, g = s->g;
    memset(s->trade_value, 0, (size_t)n * n * sizeof *s->trade_value);
    for (int i = 0; i < n; i++)
        s->paid[i] = s->received[i] = s->friction[i] = 0.0;
    for (int i = 0; i < n; i++)
        for (int k = 0; k < g; k++) {
            size_t ik = IX_AG(s, i, k);
            double total = s->exports[ik], weighted = 0.0;
            for (int j = 0; j < n; j++) {
                double x = s->flow[IX_APG(s, i, j, k)];
                if (x <= 0.0)
                    continue;
                double d = seller_discount(s, i, k, x / total);
                double value = x * s->price[k] * (1.0 - d);
                size_t ij = IX_AP(s, i, j);
                double fee = value * p->g.usd_friction * s->usd_share[ij] *
                             fmax(s->sanctions[i], s->sanctions[j]);
                s->trade_value[ij] += value;
                s->paid[j] += value;
                s->received[i] += value;
                s->friction[j] += fee;
                s->cash[j] -= value + fee;
                s->cash[i] += value;
                weighted += x * d;
            }
            double xw = s->world_exports[ik];
            if (xw > 0.0) {
                double d = seller_discount(s, i, k, xw / total);
                s->cash[i] += xw * s->price[k] * (1.0 - d);
                weighted += xw * d;
            }
            s->discount[ik] = total > 0.0 ? weighted / total
                                          : seller_discount(s, i, k, 0.0);
            double mw = s->world_imports[ik];
            if (mw > 0.0)
                s->cash[i] -= mw * s->price[k] *
                              (1.0 + p->goods[k].world_markup * s->sanctions[i]);
        }
    /* de-dollarisation under pressure, re-dollarisation without it */
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++) {
            size_t ij = IX_AP(s, i, j);
            double smax = fmax(s->sanctions[i], s->sanctions[j]);
            double u = s->usd_share[ij], thr = p->g.usd_threshold;
            u -= p->g.usd_drift * pos(smax - thr) * u;
            u += p->g.usd_relax * pos(thr - smax) * (p->pairs[ij].usd_base - u);
            u = clamp01(u);
            s->usd_share[ij] = s->usd_share[IX_AP(s, j, i)] = u;
        }
}

/* ---- phase 7: shipping and interdiction ---------------------------------- */

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

void model_phase_shipping(model_state *s, gsl_rng *r)
{
    const model_params *p = s->p;
    int n = s->n, g = s->g;
    size_t rg = (size_t)p->n_routes * g;
    memset(s->interdicted, 0, (size_t)n * n * g * sizeof *s->interdicted);
    memset(s->route_flow, 0, rg * sizeof *s->route_flow);
    memset(s->route_interdicted, 0, rg * sizeof *s->route_interdicted);
    for (int j = 0; j < n; j++)
        for (int k = 0; k < g; k++) {
            size_t jk = IX_AG(s, j, k);
            s->imports[jk] = s->world_imports[jk];
            s->interdicted_in[jk] = 0.0;
            s->stock[jk] += s->world_imports[jk];
        }
    int order[MODEL_MAX_PAIR_ROUTES];
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            size_t ij = IX_AP(s, i, j);
            int first = s->pair_first[ij], nr = s->pair_first[ij + 1] - first;
            if (nr == 0)
                continue;
            /* open routes of this pair, best first  */
            int m = 0;
            for (int q = 0; q < nr && m < MODEL_MAX_PAIR_ROUTES; q++) {
                int rt = s->pair_route[first + q];
                if (p->routes[rt].open == 0.0)
                    continue;
                int at = m++;
                while (at > 0 && route_factor(&p->routes[order[at - 1]]) <
                                     route_factor(&p->routes[rt])) {
                    order[at] = order[at - 1];
                    at--;
                }
                order[at] = rt;
            }
            for (int k = 0; k < g; k++) {
                double left = s->flow[IX_APG(s, i, j, k)];
                for (int q = 0; q < m && left > 0.0; q++) {
                    const route_params *rt = &p->routes[order[q]];
                    double lim = p->rg[(size_t)order[q] * g + k].limit;
                    double y = q == m - 1 || left < lim ? left : lim;
                    left -= y;
                    double lost = draw_loss(&p->goods[k], y,
                                            rt->vulnerability * rt->interdiction, r);
                    s->route_flow[(size_t)order[q] * g + k] += y;
                    s->route_interdicted[(size_t)order[q] * g + k] += lost;
                    s->interdicted[IX_APG(s, i, j, k)] += lost;
                    s->interdicted_in[IX_AG(s, j, k)] += lost;
                    s->imports[IX_AG(s, j, k)] += y - lost;
                    s->stock[IX_AG(s, j, k)] += y - lost;
                }
            }
        }
}

/* ---- phase 8: consumption ------------------------------------------------ */

void model_phase_consumption(model_state *s)
{
    int n = s->n, g = s->g;
    for (int i = 0; i < n; i++)
        for (int k = 0; k < g; k++) {
            size_t ik = IX_AG(s, i, k);
            double d = s->demand[ik];
            double c = d < s->stock[ik] ? d : s->stock[ik];
            s->consumption[ik] += c;
            s->shortfall[ik] = d - c;
            s->stock[ik] -= c;
        }
}

/* ---- phase 9: civilian trade (gravity) ----------------------------------- */

void model_phase_civilian(model_state *s)
{
    const global_params *gp = &s->p->g;
    int n = s->n;
    /* distance terms change only when an event changes the exponent */
    if (s->dist_c != gp->gravity_c) {
        for (size_t ij = 0; ij < (size_t)n * n; ij++)
            s->w_distc[ij] = pow(s->w_dist[ij], gp->gravity_c);
        s->dist_c = gp->gravity_c;
    }
    double *ya = s->w_eval, *yb = s->w_world; /* scratch, n each */
    for (int i = 0; i < n; i++) {
        ya[i] = pow(s->gdp[i] / gp->gdp_scale, gp->gravity_a);
        yb[i] = pow(s->gdp[i] / gp->gdp_scale, gp->gravity_b);
    }
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            size_t ij = IX_AP(s, i, j);
            if (i == j) {
                s->civilian_trade[ij] = 0.0;
                continue;
            }
            double smax = fmax(s->sanctions[i], s->sanctions[j]);
            s->civilian_trade[ij] =
                gp->gravity_g * ya[i] * yb[j] / s->w_distc[ij] *
                exp(gp->gravity_beta_s * smax * gp->western_share);
        }
}

/* ---- phase 10: relations ------------------------------------------------- */

/* Overlap of two exporters' sales to the same buyers, good by good, over
 * their mean bloc export value.  Sparse: only sellers with a flow to a
 * buyer are paired. */
static void update_competition(model_state *s)
{
    int n = s->n, g = s->g;
    double *E = s->w_eval;
    int *sellers = s->w_members;
    for (int i = 0; i < n; i++) {
        E[i] = 0.0;
        for (int j = 0; j < n; j++)
            for (int k = 0; k < g; k++)
                E[i] += s->flow[IX_APG(s, i, j, k)] * s->price[k];
    }
    memset(s->competition, 0, (size_t)n * n * sizeof *s->competition);
    for (int b = 0; b < n; b++)
        for (int k = 0; k < g; k++) {
            int m = 0;
            for (int i = 0; i < n; i++)
                if (s->flow[IX_APG(s, i, b, k)] > 0.0)
                    sellers[m++] = i;
            for (int x = 0; x < m; x++)
                for (int y = x + 1; y < m; y++) {
                    double fx = s->flow[IX_APG(s, sellers[x], b, k)];
                    double fy = s->flow[IX_APG(s, sellers[y], b, k)];
                    s->competition[IX_AP(s, sellers[x], sellers[y])] +=
                        (fx < fy ? fx : fy) * s->price[k];
                }
        }
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++) {
            double overlap = s->competition[IX_AP(s, i, j)];
            double c = overlap > 0.0 ? clamp01(overlap / (0.5 * (E[i] + E[j]))) : 0.0;
            s->competition[IX_AP(s, i, j)] = s->competition[IX_AP(s, j, i)] = c;
        }
}

/* Share of i's need (by value) that j filled this step. */
static void update_fill(model_state *s)
{
    int n = s->n, g = s->g;
    for (int i = 0; i < n; i++) {
        double need = 0.0;
        for (int k = 0; k < g; k++)
            need += s->w_need0[IX_AG(s, i, k)] * s->price[k];
        for (int j = 0; j < n; j++) {
            double got = 0.0;
            if (need > 0.0 && j != i)
                for (int k = 0; k < g; k++)
                    got += s->flow[IX_APG(s, j, i, k)] * s->price[k];
            s->fill[IX_AP(s, i, j)] = need > 0.0 ? clamp01(got / need) : 0.0;
        }
    }
}

void model_phase_relations(model_state *s, gsl_rng *r)
{
    const model_params *p = s->p;
    const global_params *gp = &p->g;
    int n = s->n;
    update_competition(s);
    update_fill(s);
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++) {
            size_t ij = IX_AP(s, i, j), ji = IX_AP(s, j, i);
            const pair_params *pp = &p->pairs[ij];
            double v = s->trade_value[ij] + s->trade_value[ji] +
                       s->civilian_trade[ij] + s->civilian_trade[ji];
            double ymin = fmin(s->gdp[i], s->gdp[j]);
            double dnew = ymin > 0.0 ? v / ymin : 0.0;
            double D = (1.0 - gp->dep_ewma) * s->dependence[ij] + gp->dep_ewma * dnew;
            s->dependence[ij] = s->dependence[ji] = D;
            double H = sqrt(s->sanctions[i] * s->sanctions[j]);
            double F = 0.5 * (s->fill[ij] + s->fill[ji]);
            double A = s->affinity[ij], R = s->rivalry[ij];
            double dA = gp->eta * (gp->b_threat * H + gp->b_dep * D +
                                   gp->b_fill * F - gp->b_rivalry * R -
                                   gp->b_comp * s->competition[ij] -
                                   gp->gamma * (A - pp->affinity_base));
            if (gp->sigma_a > 0.0)
                dA += gsl_ran_gaussian_ziggurat(r, gp->sigma_a);
            s->affinity[ij] = s->affinity[ji] = clamp01(A + dA);

            double dR = gp->rivalry_theta * (pp->rivalry_base - R);
            if (gp->rivalry_sigma > 0.0)
                dR += gsl_ran_gaussian_ziggurat(r, gp->rivalry_sigma);
            if (pp->flare_rate > 0.0) {
                unsigned int k = gsl_ran_poisson(r, pp->flare_rate);
                if (k > 0) {
                    dR += k * pp->flare_size;
                    log_event(s, EV_INCIDENT, i, j, k * pp->flare_size, "");
                }
            }
            s->rivalry[ij] = s->rivalry[ji] = clamp01(R + dR);
        }
}

/* ---- phase 11: cohesion -------------------------------------------------- */

void model_phase_cohesion(model_state *s)
{
    int n = s->n, m = 0;
    int *mem = s->w_members;
    for (int i = 0; i < n; i++)
        if (s->member[i] != 0.0)
            mem[m++] = i;
    s->cohesion = s->connectivity = s->hub_share = 0.0;
    if (m < 2)
        return;
    double sum = 0.0;
    gsl_matrix_view L = gsl_matrix_view_array(s->w_lap, (size_t)m, (size_t)m);
    gsl_matrix_set_zero(&L.matrix);
    for (int a = 0; a < m; a++)
        for (int b = 0; b < m; b++) {
            if (a == b)
                continue;
            double w = s->affinity[IX_AP(s, mem[a], mem[b])];
            gsl_matrix_set(&L.matrix, (size_t)a, (size_t)b, -w);
            *gsl_matrix_ptr(&L.matrix, (size_t)a, (size_t)a) += w;
            if (b > a)
                sum += w;
        }
    s->cohesion = sum / (0.5 * m * (m - 1));
    gsl_vector_view ev = gsl_vector_view_array(s->w_eval, (size_t)m);
    gsl_eigen_symm(&L.matrix, &ev.vector, s->eig[m]);
    gsl_sort_vector(&ev.vector);
    s->connectivity = clamp01(gsl_vector_get(&ev.vector, 1) / m);

    double total = 0.0, best = 0.0;
    for (int a = 0; a < m; a++) {
        double touch = 0.0;
        for (int b = 0; b < m; b++) {
            if (a == b)
                continue;
            double v = s->trade_value[IX_AP(s, mem[a], mem[b])];
            total += v;
            touch += v + s->trade_value[IX_AP(s, mem[b], mem[a])];
        }
        if (touch > best)
            best = touch;
    }
    s->hub_share = total > 0.0 ? clamp01(best / total) : 0.0;
}

/* ---- phase 12: membership ------------------------------------------------ */

void model_phase_membership(model_state *s)
{
    const global_params *gp = &s->p->g;
    int n = s->n, m = 0;
    for (int i = 0; i < n; i++) {
        s->w_members[i] = s->member[i] != 0.0; /* snapshot */
        m += s->w_members[i];
    }
    for (int i = 0; i < n; i++) {
        double sum = 0.0;
        int others = 0;
        for (int j = 0; j < n; j++)
            if (j != i && s->w_members[j]) {
                sum += s->affinity[IX_AP(s, i, j)];
                others++;
            }
        if (others == 0)
            continue;
        double mean = sum / others;
        if (s->w_members[i]) {
            if (mean < gp->exit_affinity) {
                s->member[i] = 0.0;
                s->join_count[i] = 0;
                log_event(s, EV_LEAVE, i, -1, mean, "");
            }
            continue;
        }
        if (mean >= gp->join_affinity && s->sanctions[i] >= gp->join_pressure)
            s->join_count[i]++;
        else
            s->join_count[i] = 0;
        if (s->join_count[i] >= gp->join_months) {
            s->member[i] = 1.0;
            s->join_count[i] = 0;
            log_event(s, EV_JOIN, i, -1, mean, "");
        }
    }
    (void)m;
}

/* ---- the step ------------------------------------------------------------ */

void model_step(model_state *s, gsl_rng *r)
{
    s->t++;
    s->n_ev = 0;
    model_phase_events(s);
    model_phase_drivers(s, r);
    model_phase_production(s);
    model_phase_trade(s);
    model_phase_prices(s);
    model_phase_shipping(s, r);
    model_phase_consumption(s);
    model_phase_civilian(s);
    model_phase_relations(s, r);
    model_phase_cohesion(s);
    model_phase_membership(s);
}
