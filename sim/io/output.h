/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * output.h - the result file: netCDF-4/CF-compatible HDF5.
 *
 * One writer per result file.  The file is created under a temporary name
 * in the destination directory and appears under its final name only after
 * output_close() has written, closed, fsynced and renamed it.
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
 * output_write_run touches the file, under the caller's mutex):
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
 * table is written by output_close(), ordered by (scenario, run) and within
 * a run as given, so the file does not depend on the order of writing (nor
 * on the number of threads).
 */
#ifndef SIM_IO_OUTPUT_H
#define SIM_IO_OUTPUT_H

#include <stddef.h>

#include "model/model.h"

typedef struct output output;

typedef struct {
    const char *path;        /* final file name                          */
    const char *config_text; /* resolved configuration (libconfig text)  */
    const char *history;     /* command line and time                    */
    const char *const *vars; /* names of variables to record; NULL: all  */
    int n_vars;
    int n_runs;              /* size of the run dimension                */
    unsigned long long master_seed;
    /* Paired comparisons: 0 or 1, no scenario dimension (the file is as
     * without these fields); >= 2, every record variable is
     * (scenario, run, time, ...), with a string coordinate scenario(scenario)
     * from scenario_names (distinct, non-empty) and scenario_config(scenario)
     * from scenario_configs (each scenario's resolved configuration; NULL
     * entries or array: empty).  All scenarios share p's agents, goods,
     * routes and record times, and every run's seed (seed(run)). */
    int n_scenarios;
    const char *const *scenario_names;
    const char *const *scenario_configs;
    /* Sweeps: n_params > 0 adds a string coordinate param(param) from
     * param_names, param_value(run, param) and point(run), written with
     * output_write_point(). */
    int n_params;
    const char *const *param_names;
    /* At most this many runs in a chunk (0: as many as fit in 256 KiB).  A
     * sweep's shards use fewer, so that every shard gets whole chunks. */
    int runs_per_chunk;
    /* More global string attributes (sweep_hash, shard, ...). */
    const char *const *attr_names;
    const char *const *attr_values;
    int n_attrs;
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
 * attributes and empty variables.  NULL on failure, with one line in err. */
output *output_open(const model_params *p, const output_opts *opts, char *err,
                    size_t errlen);
/* The single-run API: a wrapper around one output_run held by o.  With a
 * scenario dimension it writes scenario 0. */
int output_begin_run(output *o, int run, unsigned long seed);
/* Call after every model_step(); records when (s->t+1) % every == 0. */
int output_record(output *o, const model_state *s);
/* Write the buffered run; its events are copied and go to the file at
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
 * afterwards) for output_close() to write.  seed(run) is written once:
 * writing the same run in another scenario with another seed is an error
 * (scenarios use common random numbers), as is writing a (scenario, run)
 * twice.  r is not changed and may be reset and reused at once.
 * Not thread-safe: the caller serialises calls (one mutex around it), and
 * may call it from any thread.  0, or -1 (see output_error); after any -1
 * call output_abort(). */
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

/* Finish: write the events, close, fsync, rename to the final name, free o.
 * Runs never written stay NaN (seed 0).  0, or -1 with
 * err: then the temporary file is already removed, an existing file under
 * the final name is left as it was, and o must still be freed with
 * output_abort(o). */
int output_close(output *o, char *err, size_t errlen);
/* Give up: close and remove the temporary file.  NULL is harmless. */
void output_abort(output *o);
/* The last error, one line. */
const char *output_error(const output *o);

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

/* ---- reading runs back ------------------------------------------------- */

/*
 * A reader gives back the runs of a result file written by this program
 * (without a scenario axis), in the writer's own terms, so that they can be
 * fed to another output (merging the shards of a sweep, resuming one from
 * its part files):
 *   output_reader *in = output_reader_open(path, err, sizeof err);
 *   p from config_load_string(output_reader_attr(in, "config"), ...);
 *   output *o = output_open(p, &opts, ...);  vars from output_reader_var_name,
 *                                            params from ..._param_name
 *   output_run *rec = output_run_alloc(o);
 *   for each run r with output_reader_run_info(in, r, &seed, &pt, vals) == 1:
 *       output_reader_run(in, p, r, rec, &ev, &n_ev);
 *       output_write_run(o, 0, r, seed, rec, ev, n_ev);
 *       output_write_point(o, r, pt, vals);        (files with parameters)
 *   output_close(o, ...); output_reader_close(in);
 * Memory does not grow with the number of runs: records are read one run
 * at a time (one chunk's worth cached per variable), seeds and points a
 * block of runs at a time.  The event table is read whole at open.
 * A reader is not thread-safe; distinct readers may be used by distinct
 * threads only if HDF5 is built thread-safe.
 */
typedef struct output_reader output_reader;

/* Open a result file written by this program for reading.  NULL with one
 * line in err: a missing file, not HDF5, damaged or truncated, not ours (no
 * `time` dimension or `config` attribute, or coordinates or variables of
 * the wrong shape), or a file with a scenario axis (a `sim compare` file),
 * which readers do not handle. */
output_reader *output_reader_open(const char *path, char *err, size_t errlen);
/* Close and free; NULL is harmless. */
void output_reader_close(output_reader *r);
/* A global attribute as text ("config", "sweep_hash", "shard", "scenario",
 * ...), or NULL when absent.  Text attributes are given as they are;
 * scalar numbers as decimal text ("master_seed", "months": integers
 * exactly, floating point with %.17g).  Owned by the reader. */
const char *output_reader_attr(const output_reader *r, const char *name);
/* Size of the run dimension. */
int output_reader_n_runs(const output_reader *r);
/* Swept parameters: 0 without a param axis; names owned by the reader
 * (NULL for k out of range). */
int output_reader_n_params(const output_reader *r);
const char *output_reader_param_name(const output_reader *r, int k);
/* The record variables present, in file order (static names, NULL for k out
 * of range): the list to give output_open() as opts.vars. */
int output_reader_n_vars(const output_reader *r);
const char *output_reader_var_name(const output_reader *r, int k);
/* Run `run`: whether it is done (point >= 0 in a file with `point`, the
 * sweeps'; otherwise seed != 0), its seed, design point (-1 in a file
 * without `point`) and parameter values (values[n_params]; may be NULL,
 * untouched without parameters).  seed and point may be NULL.  1 done,
 * 0 not done, -1 error (see output_reader_error). */
int output_reader_run_info(output_reader *r, int run, unsigned long *seed,
                           int *point, double *values);
/* Read run `run`: its records into rec and its events.
 * rec must come from output_run_alloc() for an output opened with the same
 * world and the variables of output_reader_var_name() (shapes, every and
 * variables are checked; a mismatch is an error that names it); NULL reads
 * no records.  p must have the file's agents (same codes, same order),
 * goods and routes: the event's agents are resolved against p, and a
 * difference is an error that names the agent (good, route).  *ev gets the
 * run's events (the rows with event_run == run, in file order) as
 * model_events, labels pointing into the reader's storage; *ev and the
 * labels stay valid until the next output_reader_run() or close.  *ev is
 * NULL when *n_ev is 0.  ev and n_ev may both be NULL.  Runs not done read
 * as NaN with no events.  0, or -1 (see output_reader_error). */
int output_reader_run(output_reader *r, const model_params *p, int run,
                      output_run *rec, const model_event **ev, int *n_ev);
/* The last error, one line ("" when none). */
const char *output_reader_error(const output_reader *r);
/* Read every value of every record variable and every run's seed and
 * point, a bounded block at a time, calling tick(ctx) after each block
 * (tick may be NULL): a damaged file fails here, or (libhdf5 1.10 itself
 * crashes on some) takes down the process that calls it, which is why
 * `sim merge` calls it in a guarded child first.  0, or -1
 * (output_reader_error). */
int output_reader_scan(output_reader *r, void (*tick)(void *ctx), void *ctx);
/* Runs in a chunk of the file's record variables (0: none recorded). */
int output_reader_runs_per_chunk(const output_reader *r);

/* Copy block `index` from in to o, its compressed chunks as they are
 * (no decompression), when in holds every run of the block and stores
 * them as o does; b is the buffer used.  0 when copied; 1 when it cannot
 * be (the caller copies the runs one by one); -1 on error (output_error). */
int output_copy_block(output *o, output_reader *in, const model_params *p,
                      output_block *b, int index);

#endif
