/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * vars.h - the state variables a run exposes, by name: their shape and
 * where they live in model_state.  The output writer and the measures of
 * the experiment layer (calibration targets, headline figures) both look
 * variables up here.
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
    VAR_RG    /* route, good            */
} var_shape;

typedef struct {
    const char *name;
    var_shape shape;
    size_t offset; /* into model_state: double * (arrays), double (VAR_BLOC) */
} state_var;

extern const state_var state_vars[];
extern const size_t state_vars_len;

/* The variable named `name`, or NULL. */
const state_var *state_var_find(const char *name);
/* Its values in s (one double for VAR_BLOC). */
const double *state_var_values(const model_state *s, const state_var *v);
/* Number of values per record in s. */
size_t state_var_count(const model_state *s, const state_var *v);

#endif
