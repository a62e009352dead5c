/*
 * ensemble.h - many runs of one parameter set, split over worker threads.
 *
 * Run r always uses the stream model_run_seed(master, r), and its results
 * go to slot r, so the outcome is the same for any number of threads.
 */
#ifndef SIM_EXP_ENSEMBLE_H
#define SIM_EXP_ENSEMBLE_H

#include <stddef.h>

#include "exp/runner.h"
#include "io/result/output.h"
#include "model/measure.h"

typedef struct {
    const model_params *p;
    unsigned long long master;
    int first_run, n_runs;  /* runs first_run .. first_run+n_runs-1 */
    int jobs;               /* worker threads, >= 1 */
    output *out;            /* NULL: nothing written */
    int scenario;           /* index on the file's scenario axis (0: none) */
    const measure_set *ms;  /* NULL: no measures */
    double *values;         /* [n_runs * ms->n], run-major */
    run_summary **sums;     /* [n_runs] or NULL */
} ensemble;

/* 0, or -1 with one line in err (the first failure; other runs stop). */
int ensemble_run(const ensemble *e, char *err, size_t errlen);

#endif
