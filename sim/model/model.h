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

/* Months a capacity pipeline looks ahead (build_lag is capped to this). */
#define MODEL_PIPE_MONTHS 48

typedef struct model_state {
    model_params *p; /* private copy, changed by events */
    int n, g;
    int t;           /* index of the step last completed, -1 before the first */

    /* agent x good */
    double *stock, *capacity, *production, *consumption, *shortfall, *demand;
    double *imports, *exports, *world_imports, *world_exports, *discount;
    double *fire;            /* war demand met (shells fired, drones launched) */
    double *duds;            /* delivered units that failed */
    double *shut_in;         /* output cut because no one could carry or take it */
    double *supplier_share;  /* share of suppliers willing to sell controlled goods */
    double *unit_cost;       /* USD per unit (learning curve) */
    double *cum_output;      /* cumulative output, for the learning curve */
    double *disrupted;       /* share of capacity out after strikes */
    double *disrupt_left;    /* months until it is repaired */
    double *pipe;            /* [ik*MODEL_PIPE_MONTHS + slot]: capacity due */
    double *pipe_total;      /* capacity under construction */
    double *war_demand;      /* intensity x doctrine */
    double *interdicted_in;  /* lost on the way to this agent */
    /* agent x partner x good */
    double *flow, *interdicted;
    /* agent x partner */
    double *trade_value, *civilian_trade, *usd_share, *affinity, *rivalry;
    double *dependence, *competition, *fill;
    double *payment_friction; /* share of the pair's payments that fail */
    double *usd_banked;      /* USD share of the payments made through banks */
    double *alt_payment;     /* USD/month settled outside exposed banks */
    double *cancelled;       /* USD/month of the pair's trade cancelled */
    double *crisis;          /* 1 while the pair is in crisis, else 0 */
    double *crisis_left;     /* months of crisis left */
    double *cooperation;     /* affinity x ties: cohesion's graph */
    double *bank_risk;       /* sanctions risk banks act on (lagged) */
    double *pair_value;      /* USD/month traded by the pair, last month */
    double *supplier_risk;   /* cached risk behind w_willing */
    double *w_willing;       /* share of willing suppliers at that risk */
    /* route x good [r*g + k]: both directions of the route together */
    double *route_flow, *route_interdicted, *route_share, *route_loss;
    double *route_cap;       /* hubs: capacity now */
    /* good */
    double *price, *price_shock;
    /* agent */
    double *sanctions, *gdp, *member, *paid, *received, *friction;
    double *treasury, *reserve, *debt, *revenue, *spending, *transfers;
    double *oil_revenue, *war_budget, *war_spent, *war_allow, *financing;
    double *shadow_fleet, *shadow_share, *absorption, *lost_to_cap;
    double *absorb_open; /* 1 - world_avoid*s when absorption last moved */
    double *utility;
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
    double *w_route_use; /* pair x good: sum of the pair's route shares */
    double *w_money;    /* agent: war money left this month */
    double *w_cash;     /* agent: money at hand left for buying abroad */
    double *w_abroad;   /* agent: paid to other states this month */
    double *w_will_draw; /* exporter x buyer: willing suppliers this month */
    double *w_cancel;   /* agent x good: purchases cancelled this month */
    double *w_fail, *w_fail_key; /* pair x {USD, other}: cached failure rates */
    int *w_members;
    int *pair_first, *pair_route; /* routes of each pair (CSR, both ways) */
    int *hub_first, *hub_route;   /* hubs selling to each agent (CSR) */
    int *event_month;   /* per scheduled event: its month in this run */
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
void model_phase_events(model_state *s, gsl_rng *r);
void model_phase_drivers(model_state *s, gsl_rng *r);
void model_phase_production(model_state *s, gsl_rng *r);
void model_phase_trade(model_state *s, gsl_rng *r);
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
