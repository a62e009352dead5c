/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * vars.c - the named state variables (see vars.h): the one table.
 *
 * Order is the order in the result file.  Units: UDUNITS-2 strings, USD for
 * money; GOOD (good_unit TIMES) marks an amount in each good's own unit,
 * PER_GOOD (PER) a price per unit of the good.  STATE is the value at the
 * end of the month, FLOW the month's total (a rate per month).
 */
#include "vars.h"

#include <string.h>

#define V(nm, shape, units, good_unit, kind, flags, long_name)                 \
    {#nm, shape, offsetof(model_state, nm), units, good_unit, kind, flags,     \
     long_name}
#define NONE GOOD_UNIT_NONE
#define GOOD GOOD_UNIT_TIMES
#define PER_GOOD GOOD_UNIT_PER
#define STATE VAR_STATE
#define FLOW VAR_FLOW

const state_var state_vars[] = {
    V(stock, VAR_AG, "1", GOOD, STATE, NULL, "stock at the end of the month"),
    V(capacity, VAR_AG, "month-1", GOOD, STATE, NULL, "production capacity"),
    V(production, VAR_AG, "month-1", GOOD, FLOW, NULL, "production"),
    V(consumption, VAR_AG, "month-1", GOOD, FLOW, NULL,
      "domestic consumption met from stock"),
    V(shortfall, VAR_AG, "month-1", GOOD, FLOW, NULL, "domestic demand not met"),
    V(demand, VAR_AG, "month-1", GOOD, FLOW, NULL, "domestic final demand"),
    V(fire, VAR_AG, "month-1", GOOD, FLOW, NULL,
      "war demand met (fired, launched, used)"),
    V(duds, VAR_AG, "month-1", GOOD, FLOW, NULL, "delivered units that failed"),
    V(shut_in, VAR_AG, "month-1", GOOD, FLOW, NULL,
      "output cut because no one could carry or take it"),
    V(supplier_share, VAR_AG, "1", NONE, STATE, NULL,
      "share of suppliers willing to sell to the war agent"),
    V(unit_cost, VAR_AG, "USD", PER_GOOD, STATE, NULL,
      "cost of one unit to the war budget"),
    V(imports, VAR_AG, "month-1", GOOD, FLOW, NULL,
      "imports, rest of the world included"),
    V(exports, VAR_AG, "month-1", GOOD, FLOW, NULL,
      "exports, rest of the world included"),
    V(world_imports, VAR_AG, "month-1", GOOD, FLOW, NULL,
      "imports from the rest of the world"),
    V(world_exports, VAR_AG, "month-1", GOOD, FLOW, NULL,
      "exports to the rest of the world"),
    V(flow, VAR_APG, "month-1", GOOD, FLOW, NULL,
      "shipped from agent to partner, before interdiction"),
    V(interdicted, VAR_APG, "month-1", GOOD, FLOW, NULL,
      "lost to interdiction on the way from agent to partner"),
    V(route_flow, VAR_RG, "month-1", GOOD, FLOW, NULL,
      "shipped on the route, both directions, before interdiction"),
    V(route_interdicted, VAR_RG, "month-1", GOOD, FLOW, NULL,
      "lost to interdiction on the route, both directions"),
    V(route_share, VAR_RG, "1", NONE, STATE, NULL,
      "share of the pair's flow its senders put on the route"),
    V(trade_value, VAR_AP, "USD month-1", NONE, FLOW, NULL,
      "value of strategic goods shipped from agent to partner"),
    V(civilian_trade, VAR_AP, "USD month-1", NONE, FLOW, NULL,
      "civilian (gravity) trade from agent to partner"),
    V(usd_share, VAR_AP, "1", NONE, STATE, NULL,
      "share of agent-partner settlement in USD"),
    V(payment_friction, VAR_AP, "1", NONE, STATE, NULL,
      "share of the pair's payments that fail"),
    V(alt_payment, VAR_AP, "USD month-1", NONE, STATE, NULL,
      "payments the pair can settle outside exposed banks"),
    V(cancelled, VAR_AP, "USD month-1", NONE, FLOW, NULL,
      "trade from agent to partner cancelled by failed payments"),
    V(crisis, VAR_AP, "1", NONE, STATE, "calm crisis",
      "pair in crisis (1) or not (0)"),
    V(cooperation, VAR_AP, "1", NONE, STATE, NULL,
      "affinity times trade ties (cohesion's graph)"),
    V(affinity, VAR_AP, "1", NONE, STATE, NULL, "affinity of agent to partner"),
    V(rivalry, VAR_AP, "1", NONE, STATE, NULL, "rivalry between agent and partner"),
    V(price, VAR_G, "USD", PER_GOOD, STATE, NULL, "world reference price"),
    V(discount, VAR_AG, "1", NONE, STATE, NULL,
      "discount on the agent's export price"),
    V(sanctions, VAR_A, "1", NONE, STATE, NULL, "Western sanctions pressure"),
    V(gdp, VAR_A, "USD month-1", NONE, FLOW, NULL, "nominal GDP"),
    V(member, VAR_A, "1", NONE, STATE, "outside member",
      "bloc member (1) or not (0)"),
    V(treasury, VAR_A, "USD", NONE, STATE, NULL, "liquid balance of the treasury"),
    V(reserve, VAR_A, "USD", NONE, STATE, NULL,
      "reserve fund (e.g. Russia's National Wealth Fund)"),
    V(debt, VAR_A, "USD", NONE, STATE, NULL, "borrowed over the run"),
    V(revenue, VAR_A, "USD month-1", NONE, FLOW, NULL, "government revenue"),
    V(spending, VAR_A, "USD month-1", NONE, FLOW, NULL, "government spending"),
    V(oil_revenue, VAR_A, "USD month-1", NONE, FLOW, NULL,
      "government revenue from oil"),
    V(war_budget, VAR_A, "USD month-1", NONE, FLOW, NULL,
      "war money of the month after cuts"),
    V(shadow_fleet, VAR_A, "barrel month-1", NONE, STATE, NULL,
      "shadow-fleet capacity"),
    V(shadow_share, VAR_A, "1", NONE, STATE, NULL,
      "share of its oil sold to the world on the shadow fleet"),
    V(cohesion, VAR_BLOC, "1", NONE, STATE, NULL,
      "bloc cohesion: mean affinity among members"),
    V(connectivity, VAR_BLOC, "1", NONE, STATE, NULL,
      "algebraic connectivity of the members' cooperation graph per member"),
    V(hub_share, VAR_BLOC, "1", NONE, STATE, NULL,
      "share of intra-bloc trade value that touches the busiest member"),
};

const size_t state_vars_len = sizeof state_vars / sizeof state_vars[0];
_Static_assert(sizeof state_vars / sizeof state_vars[0] <= STATE_VARS_MAX,
               "more state variables than STATE_VARS_MAX (vars.h)");

const state_var *state_var_find(const char *name)
{
    for (size_t k = 0; name && k < state_vars_len; k++)
        if (strcmp(state_vars[k].name, name) == 0)
            return &state_vars[k];
    return NULL;
}

const double *state_var_values(const model_state *s, const state_var *v)
{
    const void *field = (const char *)s + v->offset;
    if (v->shape == VAR_BLOC)
        return field;
    const double *const *array = field;
    return *array;
}

size_t state_var_count(const model_state *s, const state_var *v)
{
    size_t n = (size_t)s->n, g = (size_t)s->g;
    switch (v->shape) {
    case VAR_AG: return n * g;
    case VAR_APG: return n * n * g;
    case VAR_AP: return n * n;
    case VAR_G: return g;
    case VAR_A: return n;
    case VAR_RG: return (size_t)s->p->n_routes * g;
    default: return 1;
    }
}

int var_shape_axes(var_shape shape, var_axis *axes)
{
    switch (shape) {
    case VAR_AG: axes[0] = AXIS_AGENT; axes[1] = AXIS_GOOD; return 2;
    case VAR_APG:
        axes[0] = AXIS_AGENT; axes[1] = AXIS_PARTNER; axes[2] = AXIS_GOOD;
        return 3;
    case VAR_AP: axes[0] = AXIS_AGENT; axes[1] = AXIS_PARTNER; return 2;
    case VAR_G: axes[0] = AXIS_GOOD; return 1;
    case VAR_A: axes[0] = AXIS_AGENT; return 1;
    case VAR_RG: axes[0] = AXIS_ROUTE; axes[1] = AXIS_GOOD; return 2;
    default: return 0;
    }
}

const char *var_axis_name(var_axis a)
{
    static const char *const names[AXIS_COUNT] = {"agent", "partner", "good",
                                                  "route"};
    return a >= 0 && a < AXIS_COUNT ? names[a] : "";
}
