/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * model.h - the state of one run and the monthly step.
 *
 * The model is pure: no files, no printing, no exit, no libconfig, no HDF5.
 * A run owns a private copy of its parameters (events change them) and
 * every buffer the step needs, allocated once in model_alloc().
 *
 * Array layouts (row-major, n agents, g goods):
 *   [i*g + k]            agent i, good k
 *   [(i*n + j)*g + k]    agent i to partner j, good k
 *   [i*n + j]            agent i, partner j
 */
#ifndef SIM_MODEL_MODEL_H
#define SIM_MODEL_MODEL_H

#include <gsl/gsl_eigen.h>
#include <gsl/gsl_rng.h>

#include "params.h"

/* One applied event or logged incident. */
typedef struct {
    int step;
    event_kind kind;
    int actor, target; /* agent indices, or -1 */
    double value;
    const char *label; /* parameter path or route name (points into params) */
} model_event;

/* Routes used between one pair of agents: more are refused by the loader. */
#define MODEL_MAX_PAIR_ROUTES 64

typedef struct model_state {
    model_params *p; /* private copy, changed by events */
    int n, g;
    int t;           /* index of the step last completed, -1 before the first */

    /* agent x good */
    double *stock, *capacity, *production, *consumption, *shortfall, *demand;
    double *imports, *exports, *world_imports, *world_exports, *discount;
    double *interdicted_in;  /* lost on the way to this agent */
    /* agent x partner x good */
    double *flow, *interdicted;
    /* agent x partner */
    double *trade_value, *civilian_trade, *usd_share, *affinity, *rivalry;
    double *dependence, *competition, *fill;
    /* route x good [r*g + k]: both directions of the route together */
    double *route_flow, *route_interdicted;
    /* good */
    double *price, *price_shock;
    /* agent */
    double *sanctions, *gdp, *member, *cash, *paid, *received, *friction;
    int *join_count;
    /* bloc */
    double cohesion, connectivity, hub_share;

    /* events applied or logged during the last step */
    model_event *ev;
    int n_ev, cap_ev;

    /* workspaces, sized once */
    double *w_surplus, *w_need, *w_weight, *w_prop, *w_limit, *w_need0;
    double *w_lap, *w_eval;
    double *w_link, *w_dist, *w_distc, *w_route_factor, *w_world, *w_pot;
    int *w_members;
    double dist_c;      /* gravity_c that w_distc was computed with */
    int *pair_first, *pair_route; /* routes of each pair (CSR, both ways) */
    double *ramp_from;  /* per scheduled event */
    gsl_eigen_symm_workspace **eig; /* [n+1], by member count */
} model_state;

/* Allocate a run from parameters (copied) and set the initial state.
 * Returns NULL when memory is short. model_free(NULL) is harmless. */
model_state *model_alloc(const model_params *p);
void model_free(model_state *s);

/* Advance one month: all twelve phases in order. */
void model_step(model_state *s, gsl_rng *r);

/* The phases, exposed for unit tests.  Each works on s in place. */
void model_phase_events(model_state *s);
void model_phase_drivers(model_state *s, gsl_rng *r);
void model_phase_production(model_state *s);
void model_phase_trade(model_state *s);
void model_phase_prices(model_state *s);
void model_phase_shipping(model_state *s, gsl_rng *r);
void model_phase_consumption(model_state *s);
void model_phase_civilian(model_state *s);
void model_phase_relations(model_state *s, gsl_rng *r);
void model_phase_cohesion(model_state *s);
void model_phase_membership(model_state *s);

/* Seed for run `run` of a sweep with master seed `master`: a 64-bit mix
 * (splitmix64) of both, folded to 32 bits for gsl_rng_mt19937. */
unsigned long model_run_seed(unsigned long long master, unsigned long run);

/* Great-circle distance (km) between agents i and j. */
double model_distance(const model_params *p, int i, int j);

/* Days from the start date to the first day of month `step`. */
double model_days_since_start(const model_params *p, int step);

#endif
