/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * shard.h - a sweep's parts directory: the finished runs kept in part
 * files until the sweep is complete, the lock that lets one process at a
 * time work on an output, and the record that --resume checks.
 *
 * FILE.parts/ (io/publish.h's publish_sibling: shortened with a hash when
 * FILE's name is too long for the suffix) holds
 *   lock         flock()ed by the process working on FILE for its whole
 *                life; it names that process (pid, host, start, command)
 *   job          what the directory is for: the sweep's hash (sweep file
 *                and resolved scenario), the shard I/N, the sweep file
 *   part-NNNNNN.h5  closed part files, each holding some finished runs
 *
 * A second sweep or --resume on the same FILE while the first runs is
 * refused, naming the holder; the first finishes complete.  --resume
 * refuses a directory whose job differs (another shard, a changed sweep
 * file or scenario).  A directory without --resume is refused (it holds
 * finished runs).  sim-mpi takes the same lock on its final output for
 * the whole job (job "sim-mpi K ranks"), besides each rank's own.
 *
 *   sweep_parts *pt = parts_open(&job, n_runs, done, &why, err, len);
 *   ... sweep_run(.., .open_part = parts_open_part, .part_ctx = pt ..) ...
 *   parts_finish(pt);      (complete: the directory removed, lock released)
 *   parts_close(pt);       (interrupted or failed: kept, lock released)
 */
#ifndef SIM_EXP_SHARD_H
#define SIM_EXP_SHARD_H

#include <stddef.h>

#include "io/result/output.h"

typedef struct sweep_parts sweep_parts;

typedef struct {
    const char *path;        /* the result file: parts in PATH.parts/ */
    const char *kind;        /* "sweep" or "sim-mpi" */
    const char *sweep_file;  /* for the record and messages */
    const char *command;     /* the command line, to name the holder */
    unsigned long long hash; /* sweep_spec.hash (with --posterior's fit) */
    int shard_i, shard_n;
    int resume;              /* --resume: take up an existing directory */
} parts_job;

typedef enum {
    PARTS_OK,
    PARTS_REFUSED, /* held by another process, another job, no --resume:
                    * bad input, exit 2 */
    PARTS_FAILED   /* the system failed (cannot create, read): exit 1 */
} parts_status;

/* Create or (with job->resume) take up PATH.parts/, locked.  With done
 * (n_runs flags) the runs held by its parts are marked, each part checked
 * to be this job's; *n_before counts them (may be NULL).  NULL with
 * *status and a one-line reason in err. */
sweep_parts *parts_open(const parts_job *job, int n_runs, unsigned char *done,
                        int *n_before, parts_status *status, char *err,
                        size_t len);

/* How parts are written: a copy of opts (its path is set per part) for
 * the parameters p; both must outlive the parts. */
void parts_set_output(sweep_parts *pt, const model_params *p,
                      const output_opts *opts);
/* sweep_opts.open_part / close_part */
output *parts_open_part(void *ctx, char *err, size_t len);
int parts_close_part(void *ctx, output *o, char *err, size_t len);

/* The closed part files, sorted (malloc'ed names; parts_free_names). */
int parts_list(const sweep_parts *pt, char ***names);
void parts_free_names(char **names, int n);
/* The directory. */
const char *parts_dir(const sweep_parts *pt);

/* The sweep is complete: remove the directory, release the lock. */
void parts_finish(sweep_parts *pt);
/* Keep the directory (interrupted, failed), release the lock.  NULL is
 * harmless for both. */
void parts_close(sweep_parts *pt);

#endif
