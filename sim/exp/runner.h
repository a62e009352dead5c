/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * runner.h - drive one run of the model from start to end.
 *
 * The single code path for a run: `sim run`, ensembles, comparisons,
 * calibration, the tests and the benchmark all call runner_run().
 */
#ifndef SIM_EXP_RUNNER_H
#define SIM_EXP_RUNNER_H

#include <stddef.h>

#include "io/result/output.h"
#include "model/measure.h"
#include "model/model.h"

/* Headline figures of one run, for the focus agent and the bloc. */
typedef struct {
    int months;
    unsigned long seed;
    int n_goods;
    double *shortfall;  /* [n_goods] focus agent, summed over the run */
    double *demand;     /* [n_goods] focus agent, summed over the run */
    double *production; /* [n_goods] focus agent, summed over the run */
    double *imports;    /* [n_goods] focus agent, summed over the run */
    double cohesion, connectivity, hub_share; /* at the last step */
    int members;        /* at the last step */
    int n_events;       /* applied events and logged incidents */
} run_summary;

run_summary *run_summary_alloc(int n_goods);
void run_summary_free(run_summary *s);

/* Receives a finished run while its state (and so its event labels) still
 * exists.  Returns 0, or -1 with a message left where the caller finds it. */
typedef int (*runner_sink)(void *ctx, int run, unsigned long seed,
                           const output_run *rec, const model_event *ev,
                           int n_ev);

/* What a run produces; every part is optional (NULL). */
typedef struct {
    output_run *rec;        /* records the trajectories            */
    runner_sink sink;       /* gets rec and the event log at the end */
    void *sink_ctx;
    run_summary *sum;       /* headline figures                    */
    const measure_set *ms;  /* measures to compute ...             */
    double *values;         /* ... into values[ms->n]              */
} runner_io;

/* Run p over its horizon with the stream of run `run` of master seed
 * `master` (model_run_seed).  0; -1 when recording or the sink failed
 * (message in err); -2 when memory is short. */
int runner_run(const model_params *p, unsigned long long master, int run,
               const runner_io *io, char *err, size_t errlen);

#endif
