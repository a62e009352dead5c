/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * merge.h - combine result files holding disjoint runs of one job (the
 * parts of an interrupted sweep, the shards of a Slurm array, the files of
 * MPI ranks) into one file, through the same writer as a serial run: the
 * data of the merged file are those a single process would have written.
 */
#ifndef SIM_EXP_MERGE_H
#define SIM_EXP_MERGE_H

#include <stddef.h>

#include "io/publish.h"
#include "io/result/output.h"

typedef struct {
    const char *path;          /* the merged file */
    const char *history;       /* the command line (after the inputs' lines) */
    /* attributes beyond those carried over from the first input
     * (sweep_hash, event_log, sweep_design, sweep_points, sweep_replicates,
     * sweep_runs) */
    const output_attr *attrs;
    int n_attrs;
    int require_complete;      /* every run of the job must be present;
                                  else the file holds the runs present,
                                  each with its index in the job */
    const publish_inputs *inputs; /* the merged file may be none of them */
} merge_opts;

/* Merge the n inputs.  Every input must come from the same job (the same
 * `sweep_hash` attribute, or the same `config` when there is none), and no
 * run may be in two inputs.  The history attribute holds the inputs' lines
 * (each once, in order), then o->history.  0; -1 with one line in err;
 * with require_complete, a missing run is an error that names the runs.
 * *done (may be NULL) gets the number of runs written. */
int merge_files(const char *const *inputs, int n, const merge_opts *o,
                int *done, char *err, size_t errlen);

/* The runs (in 0..n_runs-1) held by none of the inputs, as text such as
 * "3-5, 9" (at most len bytes, "..." when cut). */
void merge_describe_runs(const unsigned char *held, int n_runs, int want,
                         char *buf, size_t len);

#endif
