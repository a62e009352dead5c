/*
 * runner.h - drive one run of the model from start to end, recording it.
 *
 * The single code path for a run: `sim run`, the tests and the benchmark
 * all call runner_run().
 */
#ifndef SIM_EXP_RUNNER_H
#define SIM_EXP_RUNNER_H

#include <stddef.h>

#include "io/output.h"
#include "model/model.h"

/* Headline figures of one run. */
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

/* Run params for their full horizon with the stream of run `run` of
 * master seed `master`.  `out` may be NULL (nothing recorded).
 * 0, -1 on an output error (message in err), -2 when memory is short. */
int runner_run(const model_params *p, unsigned long long master, int run,
               output *out, run_summary *sum, char *err, size_t errlen);

#endif
