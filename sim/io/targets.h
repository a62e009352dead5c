/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * targets.h - measure files (libconfig): calibration targets with their
 * public figures, and the free parameters calibration may move.
 *
 *   targets = ( { name; label; figure; source; variables = [...];
 *                 agents = [...]; partners = [...]; goods = [...];
 *                 routes = [...]; from = "YYYY-MM"; to = "YYYY-MM";
 *                 reduce = "sum"|"mean"|"first"|"last"; scale; unit;
 *                 change = "difference"|"relative";
 *                 before = { from = "YYYY-MM"; to = "YYYY-MM"; };
 *                 value; range = [lo, hi]; weight; }, ... );
 *   measures = ( ... the same without value, range and weight ... );
 *   free = ( { path = "world.gravity_g"; [min = 1.0e8; max = 1.0e9;] }, ... );
 *
 * A target's date is its last month (`to`).  The free parameters are
 * those calibration samples, each from its prior in the scenario
 * (`<key>_prior`, io/priors.h); min and max truncate it for the fit, and
 * stand for a uniform prior between them when the scenario has none.
 */
#ifndef SIM_IO_TARGETS_H
#define SIM_IO_TARGETS_H

#include "io/config.h"
#include "model/measure.h"

typedef struct {
    char path[160];
    param_ref ref;
    prior pr;        /* its prior for the fit */
} free_param;

typedef struct {
    measure_set *ms;  /* targets first, then plain measures */
    free_param *free;
    int n_free;
} target_file;

/* Load and check against the scenario's parameters p (agents, goods,
 * routes, parameter paths, start date).  NULL with err on failure. */
target_file *targets_load(const char *path, const model_params *p,
                          config_error *err);
/* The same from text in memory; `name` stands for the file in messages. */
target_file *targets_load_string(const char *text, const char *name,
                                 const model_params *p, config_error *err);
void targets_free(target_file *t);

#endif
