/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * vars.c - the named state variables (see vars.h).
 */
#include "vars.h"

#include <string.h>

#define V(nm, sh) {#nm, sh, offsetof(model_state, nm)}

const state_var state_vars[] = {
    V(stock, VAR_AG),         V(capacity, VAR_AG),
    V(production, VAR_AG),    V(consumption, VAR_AG),
    V(shortfall, VAR_AG),     V(demand, VAR_AG),
    V(imports, VAR_AG),       V(exports, VAR_AG),
    V(world_imports, VAR_AG), V(world_exports, VAR_AG),
    V(flow, VAR_APG),         V(interdicted, VAR_APG),
    V(route_flow, VAR_RG),    V(route_interdicted, VAR_RG),
    V(trade_value, VAR_AP),   V(civilian_trade, VAR_AP),
    V(usd_share, VAR_AP),     V(affinity, VAR_AP),
    V(rivalry, VAR_AP),       V(price, VAR_G),
    V(discount, VAR_AG),      V(sanctions, VAR_A),
    V(gdp, VAR_A),            V(member, VAR_A),
    V(cash, VAR_A),           V(cohesion, VAR_BLOC),
    V(connectivity, VAR_BLOC), V(hub_share, VAR_BLOC),
};

const size_t state_vars_len = sizeof state_vars / sizeof state_vars[0];

const state_var *state_var_find(const char *name)
{
    for (size_t k = 0; k < state_vars_len; k++)
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
