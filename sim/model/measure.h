/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * measure.h - scalar figures of a run: a sum over a selection of agents,
 * partners, goods or routes of one or more state variables, reduced over a
 * period of months (sum, mean, first or last), divided by a scale.  The
 * calibration targets and the headline figures of comparisons are
 * measures.
 */
#ifndef SIM_MODEL_MEASURE_H
#define SIM_MODEL_MEASURE_H

#include "model.h"
#include "vars.h"

#define MEASURE_MAX_VARS 4

typedef enum { REDUCE_SUM, REDUCE_MEAN, REDUCE_FIRST, REDUCE_LAST } measure_reduce;

typedef struct {
    char name[PARAM_NAME_MAX];
    char label[128], figure[64], source[256], unit[32];
    const state_var *var[MEASURE_MAX_VARS];
    double sign[MEASURE_MAX_VARS];                 /* +1 or -1 */
    int n_vars;
    unsigned char *agent, *partner, *good, *route; /* masks; NULL: all */
    int from, to;                                  /* steps, inclusive */
    measure_reduce reduce;
    double scale;                                  /* value = reduced / scale */
    int has_target;
    double value, lo, hi, weight;                  /* the public figure */
} measure;

typedef struct {
    int n;
    measure *m;
    int n_agents, n_goods, n_routes;
} measure_set;

/* An empty set of n measures for worlds shaped like p.  NULL on ENOMEM. */
measure_set *measure_set_alloc(int n, const model_params *p);
void measure_set_free(measure_set *ms);

/* Accumulators of one run: acc[n] and cnt[n], zeroed by measure_begin. */
void measure_begin(const measure_set *ms, double *acc, int *cnt);
/* Add the state after a step (s->t is the step). */
void measure_step(const measure_set *ms, const model_state *s, double *acc,
                  int *cnt);
/* Turn accumulators into values (in place). */
void measure_finish(const measure_set *ms, double *acc, const int *cnt);

#endif
