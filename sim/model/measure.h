/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * measure.h - scalar figures of a run: a sum over a selection of agents,
 * partners, goods or routes of one or more state variables, reduced over a
 * period of months (sum, mean, first or last), divided by a scale.  The
 * calibration targets and the headline figures of comparisons are
 * measures.
 *
 * A measure of change compares two windows: its value is the figure over
 * from..to minus (or relative to) the same figure over an earlier window
 * from0..to0, e.g. exports in the three months after a dated policy event
 * against the three months before it.
 */
#ifndef SIM_MODEL_MEASURE_H
#define SIM_MODEL_MEASURE_H

#include "model.h"
#include "vars.h"

#define MEASURE_MAX_VARS 4

typedef enum { REDUCE_SUM, REDUCE_MEAN, REDUCE_FIRST, REDUCE_LAST } measure_reduce;
typedef enum {
    CHANGE_NONE,       /* the figure over from..to                      */
    CHANGE_DIFFERENCE, /* figure(from..to) - figure(from0..to0)         */
    CHANGE_RELATIVE    /* figure(from..to) / figure(from0..to0) - 1     */
} measure_change;

typedef struct {
    char name[PARAM_NAME_MAX];
    char label[128], figure[64], source[256], unit[32];
    const state_var *var[MEASURE_MAX_VARS];
    double sign[MEASURE_MAX_VARS];                 /* +1 or -1 */
    int n_vars;
    unsigned char *agent, *partner, *good, *route; /* masks; NULL: all */
    int from, to;                                  /* steps, inclusive */
    measure_change change;
    int from0, to0;                                /* the earlier window */
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

/* Accumulators of one run: acc[MEASURE_SLOTS(ms)] and
 * cnt[MEASURE_SLOTS(ms)], zeroed by measure_begin. */
#define MEASURE_SLOTS(ms) (2 * (size_t)(ms)->n)
void measure_begin(const measure_set *ms, double *acc, int *cnt);
/* Add the state after a step (s->t is the step). */
void measure_step(const measure_set *ms, const model_state *s, double *acc,
                  int *cnt);
/* The values of the run: values[n] (NaN for a period outside the run). */
void measure_finish(const measure_set *ms, const double *acc, const int *cnt,
                    double *values);

#endif
