/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * runner.c - one run: seed, step, record, measure, summarise.
 */
#include "runner.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_rng.h>

run_summary *run_summary_alloc(int n_goods)
{
    run_summary *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->n_goods = n_goods;
    s->shortfall = calloc((size_t)n_goods + 1, sizeof(double));
    s->demand = calloc((size_t)n_goods + 1, sizeof(double));
    s->production = calloc((size_t)n_goods + 1, sizeof(double));
    s->imports = calloc((size_t)n_goods + 1, sizeof(double));
    if (!s->shortfall || !s->demand || !s->production || !s->imports) {
        run_summary_free(s);
        return NULL;
    }
    return s;
}

void run_summary_free(run_summary *s)
{
    if (!s)
        return;
    free(s->shortfall);
    free(s->demand);
    free(s->production);
    free(s->imports);
    free(s);
}

/* Growable copy of the run's event log (the model's per-step buffer is
 * overwritten every step). */
typedef struct {
    model_event *ev;
    int n, cap;
} event_log;

static int log_append(event_log *log, const model_event *ev, int n)
{
    if (n == 0)
        return 0;
    if (!log->ev || log->n + n > log->cap) {
        int cap = log->cap ? log->cap : 64;
        while (cap < log->n + n)
            cap *= 2;
        model_event *grown = realloc(log->ev, (size_t)cap * sizeof *grown);
        if (!grown)
            return -1;
        log->ev = grown;
        log->cap = cap;
    }
    memcpy(log->ev + log->n, ev, (size_t)n * sizeof *ev);
    log->n += n;
    return 0;
}

static void summarise_step(const model_state *s, run_summary *sum)
{
    int f = s->p->focus;
    for (int k = 0; k < s->g; k++) {
        size_t ik = (size_t)f * s->g + k;
        sum->shortfall[k] += s->shortfall[ik];
        sum->demand[k] += s->demand[ik];
        sum->production[k] += s->production[ik];
        sum->imports[k] += s->imports[ik];
    }
    sum->cohesion = s->cohesion;
    sum->connectivity = s->connectivity;
    sum->hub_share = s->hub_share;
    sum->members = 0;
    for (int i = 0; i < s->n; i++)
        sum->members += s->member[i] != 0.0;
    sum->months = s->t + 1;
    sum->n_events += s->n_ev;
}

int runner_run(const model_params *p, unsigned long long master, int run,
               const runner_io *io, char *err, size_t errlen)
{
    unsigned long seed = model_run_seed(master, (unsigned long)run);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    model_state *s = model_alloc(p);
    event_log log = {NULL, 0, 0};
    int nm = io->ms ? io->ms->n : 0;
    size_t slots = nm ? MEASURE_SLOTS(io->ms) : 0;
    int *cnt = calloc(slots + 1, sizeof *cnt);
    double *acc = calloc(slots + 1, sizeof *acc);
    int rc = 0;
    if (!rng || !s || !cnt || !acc) {
        snprintf(err, errlen, "out of memory allocating run %d", run);
        rc = -2;
        goto done;
    }
    gsl_rng_set(rng, seed);
    if (io->sum) {
        memset(io->sum->shortfall, 0, (size_t)p->n_goods * sizeof(double));
        memset(io->sum->demand, 0, (size_t)p->n_goods * sizeof(double));
        memset(io->sum->production, 0, (size_t)p->n_goods * sizeof(double));
        memset(io->sum->imports, 0, (size_t)p->n_goods * sizeof(double));
        io->sum->n_events = 0;
        io->sum->seed = seed;
    }
    if (io->rec)
        output_run_reset(io->rec);
    if (nm)
        measure_begin(io->ms, acc, cnt);
    for (int t = 0; t < p->g.months; t++) {
        model_step(s, rng);
        if (io->sum)
            summarise_step(s, io->sum);
        if (nm)
            measure_step(io->ms, s, acc, cnt);
        if (io->rec && output_run_record(io->rec, s)) {
            snprintf(err, errlen, "%s", output_run_error(io->rec));
            rc = -1;
            goto done;
        }
        if (io->sink && log_append(&log, s->ev, s->n_ev)) {
            snprintf(err, errlen, "out of memory logging events of run %d", run);
            rc = -2;
            goto done;
        }
    }
    if (nm)
        measure_finish(io->ms, acc, cnt, io->values);
    if (io->sink && io->sink(io->sink_ctx, run, seed, io->rec, log.ev, log.n))
        rc = -1;
done:
    free(cnt);
    free(acc);
    free(log.ev);
    model_free(s);
    gsl_rng_free(rng);
    return rc;
}
