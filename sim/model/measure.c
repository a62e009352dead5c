/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * measure.c - scalar figures of a run (see measure.h).
 */
#include "measure.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

measure_set *measure_set_alloc(int n, const model_params *p)
{
    measure_set *ms = calloc(1, sizeof *ms);
    if (!ms)
        return NULL;
    ms->m = calloc((size_t)n + 1, sizeof *ms->m);
    if (!ms->m) {
        free(ms);
        return NULL;
    }
    ms->n = n;
    ms->n_agents = p->n_agents;
    ms->n_goods = p->n_goods;
    ms->n_routes = p->n_routes;
    return ms;
}

void measure_set_free(measure_set *ms)
{
    if (!ms)
        return;
    for (int k = 0; k < ms->n; k++) {
        free(ms->m[k].agent);
        free(ms->m[k].partner);
        free(ms->m[k].good);
        free(ms->m[k].route);
    }
    free(ms->m);
    free(ms);
}

void measure_begin(const measure_set *ms, double *acc, int *cnt)
{
    for (size_t k = 0; k < MEASURE_SLOTS(ms); k++) {
        acc[k] = 0.0;
        cnt[k] = 0;
    }
}

static int on(const unsigned char *mask, int i) { return !mask || mask[i]; }

/* Sum of one variable over the measure's selection. */
static double select_sum(const measure *m, const model_state *s,
                         const state_var *v)
{
    const double *x = state_var_values(s, v);
    int n = s->n, g = s->g, nr = s->p->n_routes;
    double sum = 0.0;
    switch (v->shape) {
    case VAR_AG:
        for (int i = 0; i < n; i++)
            for (int k = 0; k < g; k++)
                if (on(m->agent, i) && on(m->good, k))
                    sum += x[i * g + k];
        break;
    case VAR_APG:
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                for (int k = 0; k < g; k++)
                    if (on(m->agent, i) && on(m->partner, j) && on(m->good, k))
                        sum += x[((size_t)i * n + j) * g + k];
        break;
    case VAR_AP:
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                if (on(m->agent, i) && on(m->partner, j))
                    sum += x[(size_t)i * n + j];
        break;
    case VAR_G:
        for (int k = 0; k < g; k++)
            if (on(m->good, k))
                sum += x[k];
        break;
    case VAR_A:
        for (int i = 0; i < n; i++)
            if (on(m->agent, i))
                sum += x[i];
        break;
    case VAR_RG:
        for (int r = 0; r < nr; r++)
            for (int k = 0; k < g; k++)
                if (on(m->route, r) && on(m->good, k))
                    sum += x[r * g + k];
        break;
    default:
        sum = x[0];
        break;
    }
    return sum;
}

/* Fold x into slot k. */
static void accumulate(measure_reduce reduce, double x, double *acc, int *cnt)
{
    switch (reduce) {
    case REDUCE_SUM:
    case REDUCE_MEAN: *acc += x; break;
    case REDUCE_FIRST:
        if (*cnt == 0)
            *acc = x;
        break;
    case REDUCE_LAST: *acc = x; break;
    }
    (*cnt)++;
}

void measure_step(const measure_set *ms, const model_state *s, double *acc,
                  int *cnt)
{
    for (int k = 0; k < ms->n; k++) {
        const measure *m = &ms->m[k];
        int now = s->t >= m->from && s->t <= m->to;
        int before = m->change != CHANGE_NONE && s->t >= m->from0 && s->t <= m->to0;
        if (!now && !before)
            continue;
        double x = 0.0;
        for (int v = 0; v < m->n_vars; v++)
            x += m->sign[v] * select_sum(m, s, m->var[v]);
        if (now)
            accumulate(m->reduce, x, &acc[k], &cnt[k]);
        if (before)
            accumulate(m->reduce, x, &acc[ms->n + k], &cnt[ms->n + k]);
    }
}

/* The reduced figure of one window, NaN when it lies outside the run. */
static double reduced(measure_reduce reduce, double acc, int cnt)
{
    if (cnt == 0)
        return NAN;
    return reduce == REDUCE_MEAN ? acc / cnt : acc;
}

void measure_finish(const measure_set *ms, const double *acc, const int *cnt,
                    double *values)
{
    for (int k = 0; k < ms->n; k++) {
        const measure *m = &ms->m[k];
        double x = reduced(m->reduce, acc[k], cnt[k]);
        if (m->change == CHANGE_NONE) {
            values[k] = x / m->scale;
            continue;
        }
        double x0 = reduced(m->reduce, acc[ms->n + k], cnt[ms->n + k]);
        values[k] = m->change == CHANGE_DIFFERENCE ? (x - x0) / m->scale : x / x0 - 1.0;
    }
}
