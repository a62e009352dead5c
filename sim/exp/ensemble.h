/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * ensemble.h - many runs of one parameter set, split over worker threads;
 * and batches of such ensembles (several scenarios) sharing the workers.
 *
 * Run r always uses the stream model_run_seed(master, r), and its results
 * go to slot r, so the outcome is the same for any number of threads.
 * With a posterior, run r also draws its parameter set from it
 * (posterior_pick(post, master, r)): the ensemble's spread is then
 * parameter uncertainty plus chance.
 */
#ifndef SIM_EXP_ENSEMBLE_H
#define SIM_EXP_ENSEMBLE_H

#include <stddef.h>

#include "exp/runner.h"
#include "io/result/output.h"
#include "io/posterior.h"
#include "model/measure.h"

typedef struct {
    const model_params *p;
    unsigned long long master;
    int first_run, n_runs;  /* runs first_run .. first_run+n_runs-1 */
    int jobs;               /* worker threads, >= 1 (ensemble_run only) */
    output *out;            /* NULL: nothing written */
    int scenario;           /* index on the file's scenario axis (0: none) */
    const measure_set *ms;  /* NULL: no measures */
    double *values;         /* [n_runs * ms->n], run-major */
    run_summary **sums;     /* [n_runs] or NULL */
    const posterior_file *post; /* NULL: every run uses p */
    const param_ref *post_refs; /* [post->d] from posterior_bind */
    int write_params;       /* write each run's particle and values with
                             * output_write_point (the file has the
                             * posterior's parameters as its params) */
    int *picked;            /* [n_runs]: the particle each run used, or NULL */
} ensemble;

/* 0, or -1 with one line in err (the first failure; other runs stop). */
int ensemble_run(const ensemble *e, char *err, size_t errlen);

/* How a batch of ensembles runs.  Their runs, member after member, are
 * one list that `jobs` workers take from, so a batch of small ensembles
 * keeps every worker busy. */
typedef struct {
    int jobs;
    int stop_on_failure; /* a failed member stops every member (else the
                            others go on) */
    /* `done` runs of `total` finished; called under the batch's lock */
    void (*progress)(void *ctx, long done, long total);
    void *progress_ctx;
    /* member m has no run left under way (all done, or it failed:
     * failed = 1, err its first error); called once per member, under the
     * batch's lock, which serialises every call into HDF5 (so it may close
     * the member's output) */
    void (*finished)(void *ctx, int m, int failed, const char *err);
    void *finished_ctx;
} ensemble_batch;

/* Run every member; the number of members that failed (each reported to
 * finished, if given), or -1 with err when the workers cannot start. */
int ensemble_run_many(const ensemble *const *e, int n, const ensemble_batch *b,
                      char *err, size_t errlen);

#endif
