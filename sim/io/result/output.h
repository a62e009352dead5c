/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * output.h - writing the result file: netCDF-4/CF-compatible HDF5 (the
 * layout: README "Result files" and ../shared OUTPUT.md).
 *
 * One writer per result file.  The file is written under a temporary name
 * in the destination directory (io/publish.h) and appears under its final
 * name only after output_close() has written, closed, synced and renamed
 * it.  Every record variable is chunked by whole runs and its chunks are
 * compressed by the program (libdeflate) and written as they are, for a
 * single run as for a sweep.
 *
 * Usage, one run at a time (the writer buffers the run):
 *   output *o = output_open(p, &opts, err, sizeof err);
 *   for each run r:
 *       output_begin_run(o, r, seed);
 *       for each step: model_step(...); output_record(o, state);
 *       output_end_run(o, events, n_events);
 *   output_close(o, err, sizeof err);   (or output_abort(o) on failure)
 *
 * Usage with worker threads (each worker owns its run buffer; only
 * output_write_run touches the writer, under the caller's mutex):
 *   output *o = output_open(p, &opts, err, sizeof err);      main thread
 *   worker:  output_run *r = output_run_alloc(o);
 *            for each (scenario, run) it is given:
 *                output_run_reset(r);
 *                for each step: model_step(...); output_run_record(r, state);
 *                lock; output_write_run(o, scenario, run, seed, r, ev, n_ev);
 *                unlock;
 *            output_run_free(r);
 *   output_close(o, err, sizeof err);                           main thread
 * Runs may be written in any order, each (scenario, run) once.  The event
 * table is ordered by (scenario, run) and within a run as given, so the
 * file does not depend on the order of writing (nor on the number of
 * threads).  A "run" in this API is a position on the file's run axis (a
 * slot); the run coordinate holds each slot's label, the run's index in
 * its job (output_opts.run_labels).
 */
#ifndef SIM_IO_RESULT_OUTPUT_H
#define SIM_IO_RESULT_OUTPUT_H

#include <stddef.h>

#include "io/publish.h"
#include "model/model.h"

typedef struct output output;

/* A global attribute: text, or (text NULL) a whole number. */
typedef struct {
    const char *name;
    const char *text;
    long long number;
} output_attr;

typedef struct {
    const char *path;        /* final file name                          */
    const char *config_text; /* resolved configuration (libconfig text)  */
    const char *history;     /* the history attribute: earlier lines (a
                              * merge's inputs') and the command line and
                              * time, one per line                      */
    const char *const *vars; /* names of variables to record; NULL: all  */
    int n_vars;
    int n_runs;              /* size of the run axis                     */
    /* The run coordinate: the label (the run's index in its job) of each
     * of the n_runs slots, ascending; NULL: 0 .. n_runs-1.  Files holding
     * part of a job (a shard) keep the job's indices, so that files joined
     * along the run axis (ncrcat, sim merge) keep distinct labels. */
    const int *run_labels;
    unsigned long long master_seed;
    /* Paired comparisons: 0 or 1, no scenario dimension (the file is as
     * without these fields); >= 2, every record variable is
     * (run, scenario, time, ...), with a string coordinate scenario(scenario)
     * from scenario_names (distinct, non-empty) and scenario_config(scenario)
     * from scenario_configs (each scenario's resolved configuration; NULL
     * entries or array: empty).  All scenarios share p's agents, goods,
     * routes and record times, and every run's seed (seed(run)). */
    int n_scenarios;
    const char *const *scenario_names;
    const char *const *scenario_configs;
    /* Sweeps: n_params > 0 adds a string coordinate param(param) from
     * param_names with its units param_unit(param) from param_units (NULL
     * entries or array: "1"), param_value(run, param) and point(run),
     * written with output_write_point(). */
    int n_params;
    const char *const *param_names;
    const char *const *param_units;
    /* At most this many runs in a chunk (0: as many as fit in 256 KiB).  A
     * sweep's shards use fewer, so that every shard gets whole chunks. */
    int runs_per_chunk;
    /* More global attributes (sweep_hash, sweep_points, ...). */
    const output_attr *attrs;
    int n_attrs;
    /* Files the command read: the destination must not be one of them
     * (io/publish.h).  May be NULL. */
    const publish_inputs *inputs;
} output_opts;

/* Optional: call first thing in main(), before any other HDF5 use.  Keeps
 * HDF5 1.10 from registering its atexit() handler, which crashes at exit
 * after a failed file close (disk full).  output_open() does the same, which
 * suffices when it is the program's first HDF5 call. */
void output_library_init(void);

/* Is `name` a variable the writer can record? */
int output_var_known(const char *name);
/* Names of all recordable variables, NULL-terminated. */
const char *const *output_var_names(void);

/* Create the file (under a temporary name) with dimensions, coordinates,
 * attributes and empty variables.  NULL on failure, with one line in err.
 * A destination that publish_check() refuses is refused here too; the
 * commands check it first, before any work, to exit 2 with that line. */
output *output_open(const model_params *p, const output_opts *opts, char *err,
                    size_t errlen);
/* The single-run API: a wrapper around one output_run held by o.  With a
 * scenario dimension it writes scenario 0. */
int output_begin_run(output *o, int run, unsigned long seed);
/* Call after every model_step(); records when (s->t+1) % every == 0. */
int output_record(output *o, const model_state *s);
/* Write the buffered run; its events are copied and go to the file by
 * output_close().  0 or -1 (see output_error).  The events are those of
 * the whole run (model_state.ev holds one step's): the caller gathers them.
 * After any -1, call output_abort(). */
int output_end_run(output *o, const model_event *ev, int n_ev);

/* ---- run buffers, one per worker --------------------------------------- */

typedef struct output_run output_run; /* one run's records, owned by a worker */

/* Buffers for the variables o records, filled with NaN; NULL when memory is
 * short.  Reads only what output_open() fixed (sizes, selected variables),
 * so any thread may call it while another writes with output_write_run().
 * The buffer does not refer to o afterwards (it may outlive it). */
output_run *output_run_alloc(const output *o);
/* Free r; NULL is harmless. */
void output_run_free(output_run *r);
/* Refill with NaN, for the next run. */
void output_run_reset(output_run *r);
/* As output_record(): call after every model_step(); records when
 * (s->t+1) % every == 0.  Pure memory, no HDF5: thread-safe for distinct r.
 * 0, or -1 with the reason in output_run_error(r). */
int output_run_record(output_run *r, const model_state *s);
/* The last error of output_run_record(), one line ("" when none). */
const char *output_run_error(const output_run *r);
/* Write the finished run r as (scenario, run) (scenario 0 without a
 * scenario dimension), with its seed, and keep a copy of its events (the
 * whole run's, labels included, so the caller may free the model state
 * afterwards).  The run goes into its block of runs in memory, which is
 * compressed and written as whole chunks once all its runs are in (or at
 * output_close).  seed(run) is written once: writing the same run in
 * another scenario with another seed is an error (scenarios use common
 * random numbers), as is writing a (scenario, run) twice.  r is not
 * changed and may be reset and reused at once.  Not thread-safe: the
 * caller serialises calls (one mutex around it), and may call it from any
 * thread.  0, or -1 (see output_error); after any -1 call output_abort(). */
int output_write_run(output *o, int scenario, int run, unsigned long seed,
                     const output_run *r, const model_event *ev, int n_ev);
/* Sweeps: the design point of a run and its parameter values
 * (values[n_params]).  Not thread-safe, like output_write_run. */
int output_write_point(output *o, int run, int point, const double *values);

/* ---- blocks of runs: whole chunks, compressed by the caller ------------ *
 *
 * Every record variable is chunked by the same number of whole runs, B
 * (output_block_runs): block k is runs k*B .. k*B+B-1, one chunk of each
 * variable.  A sweep fills a block with runs as they finish, compresses it
 * in its own thread (output_block_pack: no HDF5 call) and writes each
 * chunk as it is (output_write_block), with no read-back, conversion or
 * cache.  The bytes are those HDF5's deflate filter reads. */

typedef struct output_block output_block;

/* B, the runs in a block of o; 0 when o cannot take blocks (a scenario
 * dimension, or a run too large for one chunk). */
int output_block_runs(const output *o);
/* B of the file output_open would create for p with these variables (NULL:
 * all), runs and runs_per_chunk (output_opts), without creating it; -1 on
 * an unknown variable. */
int output_block_size(const model_params *p, const char *const *vars,
                      int n_vars, int n_runs, int runs_per_chunk);
/* A block for o's geometry, at block 0; NULL when out of memory or
 * output_block_runs(o) is 0.  Like output_run_alloc, it reads o only here. */
output_block *output_block_alloc(const output *o);
void output_block_free(output_block *b);
/* Empty b and make it block `index`. */
void output_block_start(output_block *b, int index);
int output_block_index(const output_block *b);
/* Runs put in b since output_block_start. */
int output_block_filled(const output_block *b);
/* Copy a finished run (in b's block) into b: its records, seed, events
 * (labels copied), design point and parameter values (values may be NULL
 * without parameters).  Pure memory.  0, or -1 (output_block_error). */
int output_block_put(output_block *b, int run, unsigned long seed,
                     const output_run *r, const model_event *ev, int n_ev,
                     int point, const double *values);
/* Compress b's chunks, the runs not put being NaN (the fill value).  Pure
 * memory: thread-safe for distinct blocks.  0, or -1. */
int output_block_pack(output_block *b);
const char *output_block_error(const output_block *b);
/* Write the packed block: its chunks, and the seeds, points, values and
 * events of the runs put in it.  None of them may be written already.
 * Not thread-safe (as output_write_run).  0, or -1 (output_error). */
int output_write_block(output *o, output_block *b);

/* Finish: write the blocks and events still in memory, close, sync,
 * rename to the final name, free o.  Runs never written stay NaN (seed 0,
 * point -1).  0, or -1 with err: then the temporary file is already
 * removed, an existing file under the final name is left as it was, and o
 * must still be freed with output_abort(o). */
int output_close(output *o, char *err, size_t errlen);
/* Give up: close and remove the temporary file.  NULL is harmless. */
void output_abort(output *o);
/* The last error, one line. */
const char *output_error(const output *o);

/* The unit of a parameter instance from the parameter table, with the
 * good's own unit put in ("good units month-1" -> "rounds month-1"), into
 * buf: the unit of a swept parameter's values and of a scheduled event's.
 * 0, or -1 (buf "1") when ref names no parameter. */
int output_param_unit(const model_params *p, param_ref ref, char *buf,
                      size_t len);

/* Number of records for a run of p (months / every). */
int output_n_records(const model_params *p);
/* Bytes the record variables would hold for n_runs runs before
 * compression (vars NULL: all variables). */
double output_estimate_bytes(const model_params *p, const char *const *vars,
                             int n_vars, int n_runs);
/* The same for n_scenarios scenarios (0 or 1: no scenario dimension) of
 * n_runs runs each. */
double output_estimate_bytes2(const model_params *p, const char *const *vars,
                              int n_vars, int n_scenarios, int n_runs);

/* ---- copying chunks between files (sim merge) --------------------------- */

struct output_reader;
/* Copy block `index` of o (slots index*B ..) from the reader's slots
 * starting at in_first, their compressed chunks as they are (no
 * decompression), when the input holds every run of the block, chunk-
 * aligned, and stores them as o does; b is the buffer used.  0 when
 * copied; 1 when it cannot be (the caller copies the runs one by one); -1
 * on error (output_error). */
int output_copy_block(output *o, struct output_reader *in, int in_first,
                      const model_params *p, output_block *b, int index);

#endif
