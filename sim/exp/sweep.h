/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * sweep.h - parameter sweeps: a design of points over the axes of a sweep
 * file, replicates at each point, run over worker threads into one file.
 *
 * Run r is replicate r % R of point r / R (R replicates a point).  Its
 * seed is model_run_seed(master, r % R): every point uses the same
 * replicate seeds (common random numbers), which sharpens differences
 * between points and sensitivity estimates.  The data do not depend on
 * the number of threads.
 */
#ifndef SIM_EXP_SWEEP_H
#define SIM_EXP_SWEEP_H

#include <signal.h>

#include "exp/design.h"
#include "io/result/output.h"
#include "io/posterior.h"
#include "io/sweepfile.h"

typedef struct {
    const sweep_spec *spec;
    design *d;
    int n_points, n_runs;
    unsigned long long master;
} sweep_plan;

/* The design and run count of a loaded sweep.  NULL with err. */
sweep_plan *sweep_plan_alloc(const sweep_spec *s, char *err, size_t errlen);
void sweep_plan_free(sweep_plan *pl);

/* The axis values of a point (values[n_axes]). */
void sweep_point_values(const sweep_plan *pl, int point, double *values);

/* Where finished runs go: the sweep writes into "parts", files opened and
 * closed by the caller's functions.  Finished runs wait in blocks of
 * `block` runs (output_block_runs of the parts: one chunk of every
 * variable), each written whole when its last run is in; a part is closed
 * at the first block written once it has been open part_seconds (so that
 * a crash loses at most the runs of the part being written). */
typedef struct {
    int jobs;
    output *(*open_part)(void *ctx, char *err, size_t errlen); /* NULL: no output */
    int (*close_part)(void *ctx, output *o, char *err, size_t errlen);
    void *part_ctx;
    double part_seconds;         /* 0: a part for every block written */
    int block;                   /* runs in a block (>= 1); shards are dealt
                                  * blocks */
    int blocks;                  /* 0: the parts take no blocks (a run is
                                  * too large): runs are written one by one */
    const unsigned char *skip;   /* runs already done (resume), or NULL */
    int shard_i, shard_n;        /* only the runs of blocks k with
                                  * k % shard_n == shard_i */
    volatile sig_atomic_t *stop; /* set by a signal: finish the runs under
                                  * way, start no more */
    const posterior_file *post;  /* run r draws its parameters from it first
                                  * (particle posterior_pick(post, master,
                                  * r % R): the same draw at every point),
                                  * then the axes apply; NULL: none */
    const param_ref *post_refs;  /* [post->d] (posterior_bind) */
    /* `done` of the `total` runs this sweep does are finished (or NULL);
     * called under the sweep's lock */
    void (*progress)(void *ctx, long done, long total);
    void *progress_ctx;
} sweep_opts;

/* The unit of axis a's values, into buf: the parameter table's (with the
 * good's own unit put in), "1" for an event's month (a step), "month" for
 * its ramp, the unit of what it sets for its value. */
void sweep_axis_unit(const sweep_spec *s, int a, char *buf, size_t len);

/* Runs in a block when the plan's runs are split into shard_n shards: as
 * output_block_size for the recorded variables, at most n_runs / shard_n
 * so that every shard gets a block; 0 when one run is too large for
 * blocks; -1 on an unknown variable. */
int sweep_block_runs(const sweep_plan *pl, int shard_n);

/* The runs of shard i of n (blocks of `block` runs, block k to shard
 * k % n) as text such as "0-47, 144-191" (at most len bytes). */
void sweep_describe_shard(const sweep_plan *pl, int block, int i, int n,
                          char *buf, size_t len);

/* Does this sweep (shard) run r? */
int sweep_wants(const sweep_opts *o, int r);

/* The values a run records (param_value): the axes, then with a
 * posterior the values of its parameters as the run used them. */
int sweep_n_values(const sweep_plan *pl, const sweep_opts *o);

/* Run the plan's wanted runs not skipped.  0 when all are done; 1 when
 * stopped early (*done runs written); -1 with err on failure. */
int sweep_run(const sweep_plan *pl, const sweep_opts *o, int *done, char *err,
              size_t errlen);

#endif
