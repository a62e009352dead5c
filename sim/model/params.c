/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * params.c - the parameter table and the plain-data helpers around it.
 */
#include "params.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define G(grp, k, t, u, lo, hi, req, d, fld, doc)                             \
    {SCOPE_GLOBAL, grp, k, t, u, lo, hi, req, d, NULL, NULL,                  \
     offsetof(global_params, fld), LIVE_NONE, doc}
#define GD(k, t, u, lo, hi, req, d, fld, doc)                                 \
    {SCOPE_GOOD, NULL, k, t, u, lo, hi, req, d, NULL, NULL,                   \
     offsetof(good_params, fld), LIVE_NONE, doc}
#define AG(k, t, u, lo, hi, req, d, fld, live, doc)                           \
    {SCOPE_AGENT, NULL, k, t, u, lo, hi, req, d, NULL, NULL,                  \
     offsetof(agent_params, fld), live, doc}
#define AGG(k, u, lo, hi, req, d, fld, live, doc)                             \
    {SCOPE_AGENT_GOOD, NULL, k, PT_REAL, u, lo, hi, req, d, NULL, NULL,       \
     offsetof(agent_good_params, fld), live, doc}
#define PR(k, u, lo, hi, from, fld, live, doc)                                \
    {SCOPE_PAIR, NULL, k, PT_REAL, u, lo, hi, 0, 0.0, from, NULL,             \
     offsetof(pair_params, fld), live, doc}
#define RT(k, t, u, lo, hi, req, d, ch, fld, doc)                             \
    {SCOPE_ROUTE, NULL, k, t, u, lo, hi, req, d, NULL, ch,                    \
     offsetof(route_params, fld), LIVE_NONE, doc}

#define BIG 1e15
#define REQ 1
#define OPT 0

const param_def param_table[] = {
    /* ---- scenario ---- */
    G("scenario", "name", PT_STRING, "", 0, 0, REQ, 0, name,
      "scenario name; the default output file is <name>.h5"),
    G("scenario", "start", PT_STRING, "YYYY-MM", 0, 0, REQ, 0, start,
      "calendar month of step 0"),
    G("scenario", "months", PT_INT, "month", 1, 1200, REQ, 0, months,
      "number of monthly steps"),
    G("scenario", "seed", PT_REAL, "1", 0, 9007199254740992.0, REQ, 0, seed,
      "master seed (an integer); run r is seeded from hash(seed, r)"),
    G("scenario", "focus", PT_STRING, "agent code", 0, 0, REQ, 0, focus,
      "agent whose shortfall is the headline figure"),
    /* ---- output ---- */
    G("output", "every", PT_INT, "month", 1, 1200, OPT, 1, every,
      "record the state every this many steps"),
    /* ---- trade matching ---- */
    G("trade", "alpha", PT_REAL, "1", 0, 20, REQ, 0, alpha,
      "exponent of affinity in the trade weight"),
    G("trade", "beta", PT_REAL, "1", 0, 50, REQ, 0, beta,
      "rivalry penalty in the trade weight exp(-beta*R)"),
    G("trade", "candidate_weight", PT_REAL, "1", 0, 1, REQ, 0,
      candidate_weight, "weight factor for member-candidate trade"),
    G("trade", "rounds", PT_INT, "1", 1, 1000, REQ, 0, rounds,
      "maximum water-filling rounds per good and step"),
    G("trade", "min_flow", PT_REAL, "good units", 0, BIG, REQ, 0, min_flow,
      "surplus or need below this is not traded"),
    /* ---- world: civilian gravity trade ---- */
    G("world", "gravity_g", PT_REAL, "USD month-1", 0, BIG, REQ, 0, gravity_g,
      "gravity constant G"),
    G("world", "gravity_a", PT_REAL, "1", 0, 3, REQ, 0, gravity_a,
      "exporter GDP elasticity"),
    G("world", "gravity_b", PT_REAL, "1", 0, 3, REQ, 0, gravity_b,
      "importer GDP elasticity"),
    G("world", "gravity_c", PT_REAL, "1", 0, 5, REQ, 0, gravity_c,
      "distance elasticity"),
    G("world", "gravity_beta_s", PT_REAL, "1", -20, 20, REQ, 0,
      gravity_beta_s, "trade diversion per unit max(s_i,s_j)*western_share"),
    G("world", "western_share", PT_REAL, "1", 0, 1, REQ, 0, western_share,
      "share of a sanctioned state's trade that was with the West"),
    G("world", "earth_radius_km", PT_REAL, "km", 1, 1e5, REQ, 0,
      earth_radius_km, "radius for great-circle distances"),
    G("world", "gdp_scale", PT_REAL, "USD month-1", 1, BIG, REQ, 0, gdp_scale,
      "GDP unit in the gravity equation"),
    /* ---- relations ---- */
    G("relations", "eta", PT_REAL, "month-1", 0, 1, REQ, 0, eta,
      "affinity adjustment rate"),
    G("relations", "b_threat", PT_REAL, "1", 0, 100, REQ, 0, b_threat,
      "weight of shared threat sqrt(s_i s_j)"),
    G("relations", "b_dep", PT_REAL, "1", 0, 1000, REQ, 0, b_dep,
      "weight of interdependence"),
    G("relations", "b_fill", PT_REAL, "1", 0, 100, REQ, 0, b_fill,
      "weight of reciprocity (requests filled)"),
    G("relations", "b_rivalry", PT_REAL, "1", 0, 100, REQ, 0, b_rivalry,
      "weight of rivalry"),
    G("relations", "b_comp", PT_REAL, "1", 0, 100, REQ, 0, b_comp,
      "weight of export competition"),
    G("relations", "gamma", PT_REAL, "1", 0, 100, REQ, 0, gamma,
      "pull of affinity back to its baseline"),
    G("relations", "sigma_a", PT_REAL, "month-1/2", 0, 1, REQ, 0, sigma_a,
      "affinity noise sd per month"),
    G("relations", "dep_ewma", PT_REAL, "1", 0, 1, REQ, 0, dep_ewma,
      "EWMA weight of the newest month in interdependence"),
    G("relations", "rivalry_theta", PT_REAL, "month-1", 0, 1, REQ, 0,
      rivalry_theta, "rivalry mean-reversion rate"),
    G("relations", "rivalry_sigma", PT_REAL, "month-1/2", 0, 1, REQ, 0,
      rivalry_sigma, "rivalry noise sd per month"),
    G("relations", "flare_rate", PT_REAL, "month-1", 0, 10, REQ, 0,
      flare_rate, "default Poisson rate of rivalry flare-ups per pair"),
    G("relations", "flare_size", PT_REAL, "1", 0, 1, REQ, 0, flare_size,
      "default size of one flare-up"),
    G("relations", "affinity_default", PT_REAL, "1", 0, 1, REQ, 0,
      affinity_default, "affinity of pairs not listed under pairs"),
    G("relations", "rivalry_default", PT_REAL, "1", 0, 1, REQ, 0,
      rivalry_default, "rivalry of pairs not listed under pairs"),
    G("relations", "usd_default", PT_REAL, "1", 0, 1, REQ, 0, usd_default,
      "USD settlement share of pairs not listed under pairs"),
    /* ---- settlement ---- */
    G("settlement", "usd_drift", PT_REAL, "month-1", 0, 10, REQ, 0, usd_drift,
      "fall of USD share per unit of pressure above threshold"),
    G("settlement", "usd_threshold", PT_REAL, "1", 0, 1, REQ, 0,
      usd_threshold, "pressure max(s_i,s_j) above which USD share falls"),
    G("settlement", "usd_relax", PT_REAL, "month-1", 0, 10, REQ, 0, usd_relax,
      "return of USD share to its base per unit of pressure below threshold"),
    G("settlement", "usd_friction", PT_REAL, "1", 0, 1, REQ, 0, usd_friction,
      "cost of a USD payment per unit of value and pressure"),
    /* ---- sanctions drivers ---- */
    G("sanctions", "feedback", PT_BOOL, "", 0, 1, REQ, 0, feedback,
      "Richardson feedback on sanctions pressure"),
    G("sanctions", "war_agent", PT_STRING, "agent code", 0, 0, REQ, 0,
      war_agent, "the agent whose supply the West punishes"),
    G("sanctions", "arms", PT_REAL, "month-1", 0, 10, REQ, 0, fb_arms,
      "Richardson a: response to aid to the war agent"),
    G("sanctions", "restraint", PT_REAL, "month-1", 0, 10, REQ, 0,
      fb_restraint, "Richardson m: restraint"),
    G("sanctions", "grievance", PT_REAL, "month-1", -1, 1, REQ, 0,
      fb_grievance, "Richardson r0: standing grievance"),
    G("sanctions", "aid_scale", PT_REAL, "USD month-1", 1, BIG, REQ, 0,
      fb_aid_scale, "aid value that counts as 1 in the feedback"),
    /* ---- membership ---- */
    G("membership", "join_affinity", PT_REAL, "1", 0, 1, REQ, 0,
      join_affinity, "mean affinity to members a candidate needs to join"),
    G("membership", "join_pressure", PT_REAL, "1", 0, 1, REQ, 0,
      join_pressure, "sanctions pressure a candidate needs to join"),
    G("membership", "join_months", PT_INT, "month", 1, 1200, REQ, 0,
      join_months, "months both conditions must hold"),
    G("membership", "exit_affinity", PT_REAL, "1", 0, 1, REQ, 0,
      exit_affinity, "mean affinity below which a member leaves"),

    /* ---- goods.<good>.<key> ---- */
    GD("unit", PT_STRING, "", 0, 0, REQ, 0, unit, "unit of one good"),
    GD("price", PT_REAL, "USD per unit", 0, BIG, REQ, 0, price,
       "reference world price"),
    GD("price_theta", PT_REAL, "month-1", 0, 1, OPT, 0, price_theta,
       "mean reversion of the log-price shock"),
    GD("price_sigma", PT_REAL, "month-1/2", 0, 1, OPT, 0, price_sigma,
       "sd of the log-price shock per month (0: fixed price)"),
    GD("sensitivity", PT_REAL, "1", 0, 1, REQ, 0, sensitivity,
       "phi: output lost per unit of s*western_dep"),
    GD("discount", PT_REAL, "1", 0, 0.9, REQ, 0, discount,
       "discount of a sanctioned seller per unit of its sanctions"),
    GD("discount_conc", PT_REAL, "1", 0, 10, REQ, 0, discount_conc,
       "extra discount per unit of the buyer's share of the seller's exports"),
    GD("lot", PT_REAL, "good units", 0, BIG, REQ, 0, lot,
       "shipment lot size for binomial losses; 0: continuous, Beta losses"),
    GD("loss_conc", PT_REAL, "1", 0.01, 1e6, REQ, 0, loss_conc,
       "Beta concentration of the loss fraction (continuous goods)"),
    GD("controlled", PT_BOOL, "", 0, 1, REQ, 0, controlled,
       "withheld by exporters whose secondary exposure exceeds tolerance"),
    GD("input", PT_STRING, "good", 0, 0, OPT, 0, input,
       "good consumed to produce this one (bill of materials)"),
    GD("input_per_unit", PT_REAL, "input units per unit", 0, BIG, OPT, 0,
       input_per_unit, "input needed per unit produced"),
    GD("world_pull", PT_REAL, "1", 0, 1000, REQ, 0, world_pull,
       "rest-of-world demand weight per unit of a seller's surplus"),
    GD("world_avoid", PT_REAL, "1", 0, 1, REQ, 0, world_avoid,
       "share of world demand lost per unit of the seller's sanctions"),
    GD("world_access", PT_REAL, "1", 0, 1, REQ, 0, world_access,
       "share of remaining need the world fills for an unsanctioned buyer"),
    GD("world_close", PT_REAL, "1", 0.01, 100, REQ, 0, world_close,
       "buyer sanctions at which the world stops selling"),
    GD("world_markup", PT_REAL, "1", 0, 100, REQ, 0, world_markup,
       "world price markup per unit of the buyer's sanctions"),

    /* ---- agents.<code>.<key> ---- */
    AG("name", PT_STRING, "", 0, 0, REQ, 0, name, LIVE_NONE, "full name"),
    AG("member", PT_BOOL, "", 0, 1, REQ, 0, member, LIVE_MEMBER,
       "bloc member at start (else candidate)"),
    AG("gdp", PT_REAL, "USD month-1", 0, BIG, REQ, 0, gdp, LIVE_GDP,
       "nominal GDP"),
    AG("gdp_growth", PT_REAL, "month-1", -0.5, 0.5, OPT, 0, gdp_growth,
       LIVE_NONE, "GDP growth rate"),
    AG("lat", PT_REAL, "degrees_north", -90, 90, REQ, 0, lat, LIVE_NONE,
       "latitude of the capital"),
    AG("lon", PT_REAL, "degrees_east", -180, 180, REQ, 0, lon, LIVE_NONE,
       "longitude of the capital"),
    AG("sanctions", PT_REAL, "1", 0, 1, REQ, 0, sanctions, LIVE_SANCTIONS,
       "Western sanctions pressure s"),
    AG("secondary", PT_REAL, "1", 0, 1, OPT, 0, secondary, LIVE_NONE,
       "secondary-sanctions intensity on this agent's trade with sanctioned states"),
    AG("tolerance", PT_REAL, "1", 0, 1, OPT, 1, tolerance, LIVE_NONE,
       "secondary exposure above which controlled goods are withheld"),
    AG("defection", PT_REAL, "1", 0, 1, OPT, 0, defection, LIVE_NONE,
       "affinity below which this agent refuses a partner"),
    AG("cash", PT_REAL, "USD", 0, BIG, OPT, 0, cash, LIVE_CASH,
       "liquid reserves at start"),

    /* ---- agents.<code>.<key>.<good> ---- */
    AGG("capacity", "good units month-1", 0, BIG, OPT, 0, capacity, LIVE_NONE,
        "production capacity"),
    AGG("stock", "good units", 0, BIG, OPT, 0, stock, LIVE_STOCK,
        "stock at start"),
    AGG("demand", "good units month-1", 0, BIG, OPT, 0, demand, LIVE_NONE,
        "domestic final demand"),
    AGG("reserve", "month", 0, 120, OPT, 0, reserve, LIVE_NONE,
        "months of demand kept back from export"),
    AGG("western_dep", "1", 0, 1, OPT, 0, western_dep, LIVE_NONE,
        "dependence of production on Western inputs"),

    /* ---- agents.<code>.strategic.<partner> ---- */
    {SCOPE_AGENT_AGENT, NULL, "strategic", PT_REAL, "1", 0, 100, OPT, 1, NULL,
     NULL, offsetof(agent_agent_params, strategic), LIVE_NONE,
     "strategic weight on supplying this partner"},

    /* ---- pairs.<A>_<B>.<key> (symmetric) ---- */
    PR("affinity", "1", 0, 1, "relations.affinity_default", affinity,
       LIVE_AFFINITY, "affinity at start"),
    PR("affinity_base", "1", 0, 1, "pairs.affinity", affinity_base,
       LIVE_NONE, "baseline A0 affinity reverts to"),
    PR("rivalry", "1", 0, 1, "relations.rivalry_default", rivalry,
       LIVE_RIVALRY, "rivalry at start"),
    PR("rivalry_base", "1", 0, 1, "pairs.rivalry", rivalry_base, LIVE_NONE,
       "baseline the rivalry process reverts to"),
    PR("flare_rate", "month-1", 0, 10, "relations.flare_rate", flare_rate,
       LIVE_NONE, "Poisson rate of flare-ups"),
    PR("flare_size", "1", 0, 1, "relations.flare_size", flare_size,
       LIVE_NONE, "size of one flare-up"),
    PR("usd_share", "1", 0, 1, "relations.usd_default", usd_share, LIVE_USD,
       "USD settlement share at start"),
    PR("usd_base", "1", 0, 1, "pairs.usd_share", usd_base, LIVE_NONE,
       "USD share settlement returns to without pressure"),

    /* ---- routes.<name>.<key> ---- */
    RT("a", PT_STRING, "agent code", 0, 0, REQ, 0, NULL, a, "one end"),
    RT("b", PT_STRING, "agent code", 0, 0, REQ, 0, NULL, b, "other end"),
    RT("mode", PT_CHOICE, "", 0, 0, REQ, 0, ROUTE_MODES, mode,
       "transport mode"),
    RT("kappa", PT_REAL, "1", 0, 100, REQ, 0, NULL, kappa,
       "transport cost per unit value"),
    RT("vulnerability", PT_REAL, "1", 0, 1, REQ, 0, NULL, vulnerability,
       "interdiction vulnerability v"),
    RT("interdiction", PT_REAL, "1", 0, 1, REQ, 0, NULL, interdiction,
       "interdiction intensity I; loss probability is v*I"),
    RT("open", PT_BOOL, "", 0, 1, OPT, 1, NULL, open, "route usable"),
    {SCOPE_ROUTE_GOOD, NULL, "limit", PT_REAL, "good units month-1", 0, BIG,
     OPT, HUGE_VAL, NULL, NULL, offsetof(route_good_params, limit), LIVE_NONE,
     "throughput limit (absent: unlimited)"},
};

const size_t param_table_len = sizeof param_table / sizeof param_table[0];

const char *const event_kind_names[EV_KIND_COUNT] = {
    "set",     "add",   "route_open", "route_close", "flareup", "unfreeze",
    "admit",   "expel", "join",       "leave",       "incident"};

/* ------------------------------------------------------------------------ */

model_params *params_alloc(int na, int ng, int nr, int ne)
{
    model_params *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->n_agents = na;
    p->n_goods = ng;
    p->n_routes = nr;
    p->n_events = ne;
    p->goods = calloc((size_t)ng + 1, sizeof *p->goods);
    p->agents = calloc((size_t)na + 1, sizeof *p->agents);
    p->ag = calloc((size_t)na * ng + 1, sizeof *p->ag);
    p->aa = calloc((size_t)na * na + 1, sizeof *p->aa);
    p->pairs = calloc((size_t)na * na + 1, sizeof *p->pairs);
    p->routes = calloc((size_t)nr + 1, sizeof *p->routes);
    p->rg = calloc((size_t)nr * ng + 1, sizeof *p->rg);
    p->events = calloc((size_t)ne + 1, sizeof *p->events);
    p->input_good = calloc((size_t)ng + 1, sizeof *p->input_good);
    if (!p->goods || !p->agents || !p->ag || !p->aa || !p->pairs ||
        !p->routes || !p->rg || !p->events || !p->input_good) {
        params_free(p);
        return NULL;
    }
    p->focus = p->war_agent = -1;
    return p;
}

void params_free(model_params *p)
{
    if (!p)
        return;
    free(p->goods);
    free(p->agents);
    free(p->ag);
    free(p->aa);
    free(p->pairs);
    free(p->routes);
    free(p->rg);
    free(p->events);
    free(p->input_good);
    free(p->priors);
    free(p);
}

model_params *params_copy(const model_params *s)
{
    model_params *p =
        params_alloc(s->n_agents, s->n_goods, s->n_routes, s->n_events);
    if (!p)
        return NULL;
    size_t na = (size_t)s->n_agents, ng = (size_t)s->n_goods,
           nr = (size_t)s->n_routes;
    p->g = s->g;
    memcpy(p->goods, s->goods, ng * sizeof *p->goods);
    memcpy(p->agents, s->agents, na * sizeof *p->agents);
    memcpy(p->ag, s->ag, na * ng * sizeof *p->ag);
    memcpy(p->aa, s->aa, na * na * sizeof *p->aa);
    memcpy(p->pairs, s->pairs, na * na * sizeof *p->pairs);
    memcpy(p->routes, s->routes, nr * sizeof *p->routes);
    memcpy(p->rg, s->rg, nr * ng * sizeof *p->rg);
    memcpy(p->events, s->events, (size_t)s->n_events * sizeof *p->events);
    memcpy(p->input_good, s->input_good, ng * sizeof *p->input_good);
    p->focus = s->focus;
    p->war_agent = s->war_agent;
    p->start_year = s->start_year;
    p->start_month = s->start_month;
    if (s->n_priors > 0) {
        p->priors = malloc((size_t)s->n_priors * sizeof *p->priors);
        if (!p->priors) {
            params_free(p);
            return NULL;
        }
        memcpy(p->priors, s->priors, (size_t)s->n_priors * sizeof *p->priors);
        p->n_priors = s->n_priors;
    }
    return p;
}

const param_def *param_find(param_scope scope, const char *group,
                            const char *key)
{
    for (size_t k = 0; k < param_table_len; k++) {
        const param_def *d = &param_table[k];
        if (d->scope != scope || strcmp(d->key, key) != 0)
            continue;
        if (scope == SCOPE_GLOBAL && strcmp(d->group, group) != 0)
            continue;
        return d;
    }
    return NULL;
}

static int scope_count1(const model_params *p, param_scope s)
{
    switch (s) {
    case SCOPE_GLOBAL: return 1;
    case SCOPE_GOOD: return p->n_goods;
    case SCOPE_ROUTE:
    case SCOPE_ROUTE_GOOD: return p->n_routes;
    default: return p->n_agents;
    }
}

static int scope_count2(const model_params *p, param_scope s)
{
    switch (s) {
    case SCOPE_AGENT_GOOD:
    case SCOPE_ROUTE_GOOD: return p->n_goods;
    case SCOPE_AGENT_AGENT:
    case SCOPE_PAIR: return p->n_agents;
    default: return 1;
    }
}

void param_extent(const model_params *p, param_scope scope, int *n1, int *n2)
{
    *n1 = scope_count1(p, scope);
    *n2 = scope_count2(p, scope);
}

void *param_addr(model_params *p, param_ref r)
{
    const param_def *d = r.def;
    if (!d)
        return NULL;
    int n1 = scope_count1(p, d->scope), n2 = scope_count2(p, d->scope);
    int e1 = d->scope == SCOPE_GLOBAL ? 0 : r.e1;
    int e2 = n2 == 1 ? 0 : r.e2;
    if (e1 < 0 || e1 >= n1 || e2 < 0 || e2 >= n2)
        return NULL;
    char *base = NULL;
    size_t i = (size_t)e1 * (size_t)n2 + (size_t)e2;
    switch (d->scope) {
    case SCOPE_GLOBAL: base = (char *)&p->g; break;
    case SCOPE_GOOD: base = (char *)&p->goods[e1]; break;
    case SCOPE_AGENT: base = (char *)&p->agents[e1]; break;
    case SCOPE_AGENT_GOOD: base = (char *)&p->ag[i]; break;
    case SCOPE_AGENT_AGENT: base = (char *)&p->aa[i]; break;
    case SCOPE_PAIR: base = (char *)&p->pairs[i]; break;
    case SCOPE_ROUTE: base = (char *)&p->routes[e1]; break;
    case SCOPE_ROUTE_GOOD: base = (char *)&p->rg[i]; break;
    default: return NULL;
    }
    return base + d->offset;
}

double param_get(const model_params *p, param_ref r)
{
    const void *a = param_addr((model_params *)p, r);
    if (!a)
        return NAN;
    switch (r.def->type) {
    case PT_INT:
    case PT_CHOICE: return (double)*(const int *)a;
    case PT_REAL:
    case PT_BOOL: return *(const double *)a;
    default: return NAN;
    }
}

static void set_one(model_params *p, param_ref r, double v)
{
    void *a = param_addr(p, r);
    if (!a)
        return;
    switch (r.def->type) {
    case PT_INT:
    case PT_CHOICE: *(int *)a = (int)lround(v); break;
    case PT_REAL: *(double *)a = v; break;
    case PT_BOOL: *(double *)a = v != 0.0 ? 1.0 : 0.0; break;
    default: break;
    }
}

void param_set(model_params *p, param_ref r, double v)
{
    set_one(p, r, v);
    if (r.def && r.def->scope == SCOPE_PAIR) {
        param_ref t = {r.def, r.e2, r.e1};
        set_one(p, t, v);
    }
}

void params_set_defaults(model_params *p)
{
    for (size_t k = 0; k < param_table_len; k++) {
        const param_def *d = &param_table[k];
        if (d->type == PT_STRING) {
            int n1 = scope_count1(p, d->scope), n2 = scope_count2(p, d->scope);
            for (int a = 0; a < n1; a++)
                for (int b = 0; b < n2; b++) {
                    char *s = param_addr(p, (param_ref){d, a, b});
                    if (s)
                        s[0] = '\0';
                }
            continue;
        }
        if (d->required || d->def_from)
            continue;
        int n1 = scope_count1(p, d->scope), n2 = scope_count2(p, d->scope);
        for (int a = 0; a < n1; a++)
            for (int b = 0; b < n2; b++)
                set_one(p, (param_ref){d, a, b}, d->def);
    }
}

const prior *params_prior_of(const model_params *p, param_ref r)
{
    for (int k = 0; k < p->n_priors; k++) {
        param_ref q = p->priors[k].ref;
        if (q.def == r.def && ((q.e1 == r.e1 && q.e2 == r.e2) ||
                               (q.def->scope == SCOPE_PAIR && q.e1 == r.e2 &&
                                q.e2 == r.e1)))
            return &p->priors[k].pr;
    }
    return NULL;
}

int params_agent_index(const model_params *p, const char *code)
{
    for (int i = 0; i < p->n_agents; i++)
        if (strcmp(p->agents[i].code, code) == 0)
            return i;
    return -1;
}

int params_good_index(const model_params *p, const char *name)
{
    for (int i = 0; i < p->n_goods; i++)
        if (strcmp(p->goods[i].name, name) == 0)
            return i;
    return -1;
}

int params_route_index(const model_params *p, const char *name)
{
    for (int i = 0; i < p->n_routes; i++)
        if (strcmp(p->routes[i].name, name) == 0)
            return i;
    return -1;
}

int params_resolve(model_params *p, char *why, size_t len)
{
    int y, m;
    char extra;
    if (sscanf(p->g.start, "%d-%d%c", &y, &m, &extra) != 2 || y < 1900 ||
        y > 2200 || m < 1 || m > 12) {
        snprintf(why, len,
                 "scenario.start: '%s' is not a month of the form YYYY-MM "
                 "(1900-2200)",
                 p->g.start);
        return -1;
    }
    p->start_year = y;
    p->start_month = m;
    if (p->g.seed != floor(p->g.seed)) {
        snprintf(why, len, "scenario.seed: %g is not an integer", p->g.seed);
        return -1;
    }
    p->focus = params_agent_index(p, p->g.focus);
    if (p->focus < 0) {
        snprintf(why, len, "scenario.focus: no agent named '%s'", p->g.focus);
        return -1;
    }
    p->war_agent = params_agent_index(p, p->g.war_agent);
    if (p->war_agent < 0) {
        snprintf(why, len, "sanctions.war_agent: no agent named '%s'",
                 p->g.war_agent);
        return -1;
    }
    for (int k = 0; k < p->n_goods; k++) {
        good_params *g = &p->goods[k];
        p->input_good[k] = -1;
        if (g->input[0] == '\0')
            continue;
        int in = params_good_index(p, g->input);
        if (in < 0) {
            snprintf(why, len, "goods.%s.input: no good named '%s'", g->name,
                     g->input);
            return -1;
        }
        if (in == k) {
            snprintf(why, len, "goods.%s.input: a good cannot be its own input",
                     g->name);
            return -1;
        }
        p->input_good[k] = in;
    }
    for (int r = 0; r < p->n_routes; r++) {
        route_params *rt = &p->routes[r];
        rt->ia = params_agent_index(p, rt->a);
        rt->ib = params_agent_index(p, rt->b);
        if (rt->ia < 0 || rt->ib < 0) {
            snprintf(why, len, "routes.%s.%s: no agent named '%s'", rt->name,
                     rt->ia < 0 ? "a" : "b", rt->ia < 0 ? rt->a : rt->b);
            return -1;
        }
        if (rt->ia == rt->ib) {
            snprintf(why, len, "routes.%s: both ends are '%s'", rt->name,
                     rt->a);
            return -1;
        }
    }
    return 0;
}
