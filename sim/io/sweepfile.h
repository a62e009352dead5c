/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * sweepfile.h - sweep files (libconfig): a base scenario, the axes to vary
 * and the design that places points on them.
 *
 *   sweep = {
 *     scenario = "../../scenarios/baseline.cfg";  # relative to this file
 *     design = "lhs";            # grid | random | lhs | sobol | saltelli
 *     points = 64;               # random/lhs/sobol; saltelli: base size N
 *     seed = 1;                  # random and lhs designs
 *     replicates = 2;            # runs per point
 *     variables = ["production", "shortfall", "cohesion"];  # recorded;
 *                                # default: production, shortfall, imports,
 *                                # sanctions, member, cohesion,
 *                                # connectivity, hub_share
 *     every = 1;                 # record every k months
 *     events = false;            # record each run's event log (default
 *                                # false: in a sweep the scheduled events
 *                                # repeat in every run and the log would
 *                                # be half the file)
 *   };
 *   axes = (
 *     { path = "agents.CHN.secondary"; min = 0.0; max = 0.8; },
 *     { path = "goods.oil.price"; min = 50.0; max = 120.0; scale = "log";
 *       levels = 4; },                       # levels: grid designs
 *     { path = "events.nk_shells.month"; values = [4.0, 8.0, 12.0]; }
 *   );
 *
 * Every axis is checked against the scenario before anything runs: the
 * path must name a number (a parameter of the table, or the month, ramp or
 * value of a named event) and its range must lie within its bounds.
 */
#ifndef SIM_IO_SWEEPFILE_H
#define SIM_IO_SWEEPFILE_H

#include "io/config.h"

typedef enum { SWEEP_LIST, SWEEP_LINEAR, SWEEP_LOG } sweep_scale;
typedef enum { SWEEP_PARAM, SWEEP_EVENT_MONTH, SWEEP_EVENT_RAMP,
               SWEEP_EVENT_VALUE } sweep_target;

typedef struct {
    char path[160];
    sweep_target target;
    param_ref ref;     /* SWEEP_PARAM */
    int event;         /* index into params->events, event targets */
    sweep_scale scale;
    double min, max;   /* LINEAR/LOG */
    int levels;        /* grid levels of LINEAR/LOG axes */
    double *values;    /* LIST */
    int n_values;
} sweep_axis;

typedef struct {
    char file[4096];
    char scenario[4096];
    char design[16];
    int points, replicates, every;
    int events;        /* record the runs' event logs */
    unsigned long long seed;
    char **vars;       /* recorded variables */
    int n_vars;
    sweep_axis *axes;
    int n_axes;
    sim_config *cfg;   /* the base scenario, loaded */
    unsigned long long hash; /* of the resolved sweep: shards must agree */
} sweep_spec;

sweep_spec *sweep_load(const char *path, config_error *err);
void sweep_free(sweep_spec *s);

/* p with the axis values of one point applied (p is changed in place). */
void sweep_apply(const sweep_spec *s, model_params *p, const double *values);

#endif
