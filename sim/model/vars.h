/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * vars.h - the state variables a run exposes, by name: the one table of
 * them.  Each row gives a variable's shape, where its values live in
 * model_state, its units and what it means.  The result file (io/result/)
 * records and describes the variables from this table, and the measures
 * (measure.h: calibration targets, headline figures) look them up here;
 * the Python scripts read names and units from the files.  Pure data: no
 * HDF5, no I/O.
 *
 * Adding a variable is one row of state_vars[] (vars.c) and its field in
 * model_state.
 */
#ifndef SIM_MODEL_VARS_H
#define SIM_MODEL_VARS_H

#include <stddef.h>

#include "model.h"

/* Axes after (run, time). */
typedef enum {
    VAR_AG,   /* agent, good            */
    VAR_APG,  /* agent, partner, good   */
    VAR_AP,   /* agent, partner         */
    VAR_G,    /* good                   */
    VAR_A,    /* agent                  */
    VAR_BLOC, /* scalar                 */
    VAR_RG,   /* route, good            */
    VAR_SHAPE_COUNT
} var_shape;

/* The axes a shape is made of. */
typedef enum { AXIS_AGENT, AXIS_PARTNER, AXIS_GOOD, AXIS_ROUTE, AXIS_COUNT } var_axis;
#define VAR_MAX_AXES 3

/* What a record of the variable is over its month.  A state is the value at
 * the end of the month (CF cell_methods "time: point"); a flow is the
 * month's total (CF "time: sum" over time_bnds). */
typedef enum { VAR_STATE, VAR_FLOW } var_kind;

/* How the good's own unit (goods are counted in rounds, units, USD,
 * barrels...; the result file's good_unit(good)) enters the variable's
 * unit: not at all, as a factor (an amount of the good: stock, flows), or
 * as a divisor (a price per unit of the good). */
typedef enum { GOOD_UNIT_NONE = 0, GOOD_UNIT_TIMES = 1, GOOD_UNIT_PER = -1 } var_good_unit;

typedef struct {
    const char *name;
    var_shape shape;
    size_t offset;       /* into model_state: double * (arrays), double (VAR_BLOC) */
    /* A UDUNITS-2 unit string ("1", "month-1", "barrel month-1"), or one
     * with USD (money: the one unit UDUNITS lacks).  With a good_unit,
     * the factor common to every good: "month-1" for a flow in the good's
     * unit per month, "USD" for a price in USD per unit of the good. */
    const char *units;
    var_good_unit good_unit;
    var_kind kind;
    /* 0/1 flags: the meanings of 0 and 1, two words separated by a space
     * (CF flag_meanings, e.g. "outside member"); NULL otherwise. */
    const char *flags;
    const char *long_name;
} state_var;

/* At most this many rows (the result module sizes its tables by it). */
#define STATE_VARS_MAX 96

extern const state_var state_vars[];
extern const size_t state_vars_len;

/* The variable named `name`, or NULL. */
const state_var *state_var_find(const char *name);
/* Its values in s (one double for VAR_BLOC). */
const double *state_var_values(const model_state *s, const state_var *v);
/* Number of values per record in s. */
size_t state_var_count(const model_state *s, const state_var *v);
/* The axes of a shape, in order, into axes[VAR_MAX_AXES]; their number. */
int var_shape_axes(var_shape shape, var_axis *axes);
/* The name of an axis: "agent", "partner", "good", "route". */
const char *var_axis_name(var_axis a);

#endif
