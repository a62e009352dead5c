/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * runbuf.c - one run's records in memory (output_run): filled step by step
 * from the model's state, pure memory, one per worker thread.
 */
#include "io/result/internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

output_run *output_run_alloc(const output *o)
{
    if (!o)
        return NULL;
    output_run *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->n = o->n;
    r->g = o->g;
    r->nr = o->nr;
    r->n_rec = o->n_rec;
    r->every = o->every;
    for (size_t v = 0; v < N_VARS; v++)
        if (o->selected[v]) {
            r->sv[v] = &state_vars[v];
            r->inner[v] = o->inner[v];
            r->n_values += (size_t)o->n_rec * o->inner[v];
        }
    r->block = malloc((r->n_values ? r->n_values : 1) * sizeof *r->block);
    if (!r->block) {
        free(r);
        return NULL;
    }
    size_t at = 0;
    for (size_t v = 0; v < N_VARS; v++)
        if (o->selected[v]) {
            r->buf[v] = r->block + at;
            at += (size_t)o->n_rec * o->inner[v];
        }
    output_run_reset(r);
    return r;
}

void output_run_free(output_run *r)
{
    if (!r)
        return;
    free(r->block);
    free(r);
}

void output_run_reset(output_run *r)
{
    if (!r)
        return;
    for (size_t e = 0; e < r->n_values; e++)
        r->block[e] = NAN;
    r->err[0] = '\0';
}

const char *output_run_error(const output_run *r)
{
    return r ? r->err : "no run buffer";
}

/* Does s have the sizes r was made for?  Routes count only when recorded. */
static int run_fits(const output_run *r, const model_state *s)
{
    if (s->n != r->n || s->g != r->g)
        return 0;
    for (size_t v = 0; v < N_VARS; v++)
        if (r->buf[v] && state_vars[v].shape == VAR_RG && s->p &&
            s->p->n_routes != r->nr)
            return 0;
    return 1;
}

int output_run_record(output_run *r, const model_state *s)
{
    if (!r)
        return -1;
    if (!s || !run_fits(r, s)) {
        snprintf(r->err, sizeof r->err, "state and file differ in size");
        return -1;
    }
    if (s->t < 0 || (s->t + 1) % r->every != 0)
        return 0;
    int rec = (s->t + 1) / r->every - 1;
    if (rec >= r->n_rec) {
        snprintf(r->err, sizeof r->err,
                 "step %d is past the %d records of a run", s->t, r->n_rec);
        return -1;
    }
    for (size_t v = 0; v < N_VARS; v++) {
        if (!r->buf[v])
            continue;
        double *dst = r->buf[v] + (size_t)rec * r->inner[v];
        memcpy(dst, state_var_values(s, r->sv[v]), r->inner[v] * sizeof *dst);
    }
    return 0;
}
