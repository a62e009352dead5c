/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * reader.h - the one reader of result files: `sim info`, `sim export`,
 * `sim merge` and `sim sweep --resume` all read through it.
 *
 * Files cannot be trusted (a user points `sim info` at whatever he has): the
 * reader checks the shape of every dataset against the coordinates before
 * reading it, bounds what a damaged file can make it allocate (names, string
 * lengths, counts), looks every object up by name (iterating over the links
 * or attributes of a damaged file crashes libhdf5 1.10), and leaves no HDF5
 * identifier open.  What HDF5 itself does on a damaged file is out of its
 * hands: the commands read in a guarded child process (cmd/guard.c).
 *
 *   output_reader *r = output_reader_open(path, err, sizeof err);
 *   attributes, coordinates, variables: output_reader_attr, _n_runs, ...
 *   values: output_reader_read(r, k, start, count, buf)   any hyperslab
 *   runs (merge, resume): output_reader_run_info, output_reader_run
 *   events: output_reader_n_events, output_reader_events   a block of rows
 *   output_reader_close(r);
 *
 * Runs are addressed by slot, their position on the run axis; the run
 * coordinate gives each slot's label (output_reader_run_label), and the
 * event table names runs by label.  A reader is not thread-safe; distinct
 * readers may be used by distinct threads only if HDF5 is built
 * thread-safe.
 */
#ifndef SIM_IO_RESULT_READER_H
#define SIM_IO_RESULT_READER_H

#include <stddef.h>

#include "io/result/output.h"
#include "model/vars.h"

typedef struct output_reader output_reader;

/* Open a result file written by this program for reading.  NULL with one
 * line in err: a missing file, not HDF5, damaged or truncated, not ours (no
 * `time` dimension, no `scenario` or `config` attribute, or coordinates or
 * variables of the wrong shape), or written by an earlier version of the
 * layout. */
output_reader *output_reader_open(const char *path, char *err, size_t errlen);
/* Close and free; NULL is harmless. */
void output_reader_close(output_reader *r);
/* The last error, one line ("" when none). */
const char *output_reader_error(const output_reader *r);
const char *output_reader_path(const output_reader *r);

/* ---- attributes ---------------------------------------------------------- */

/* A global attribute that this program writes, as text ("config",
 * "sweep_hash", "history", "scenario", ...), or NULL when absent.  Text
 * attributes are given as they are; numbers as decimal text
 * ("master_seed", "months": integers exactly, floating point with
 * %.17g).  Owned by the reader. */
const char *output_reader_attr(const output_reader *r, const char *name);
/* The same attribute as a whole number: 0, or -1 when absent or not a
 * whole number. */
int output_reader_attr_number(const output_reader *r, const char *name,
                              long long *value);

/* ---- axes ---------------------------------------------------------------- */

int output_reader_n_runs(const output_reader *r);
/* The label of slot `slot` (the run's index in its job), -1 out of range. */
int output_reader_run_label(const output_reader *r, int slot);
/* The slot of the run labelled `label`, -1 when the file has none. */
int output_reader_run_slot(const output_reader *r, int label);
int output_reader_n_records(const output_reader *r);
/* Record k's time value (units: output_reader_time_units) and step. */
double output_reader_time(const output_reader *r, int k);
int output_reader_step(const output_reader *r, int k);
const char *output_reader_time_units(const output_reader *r);
/* Agents, goods (with each good's unit), routes, swept parameters (with
 * units) and scenarios (a `sim compare` file; 0 otherwise), as the
 * coordinates hold them; names owned by the reader, NULL out of range. */
int output_reader_n_agents(const output_reader *r);
const char *output_reader_agent(const output_reader *r, int i);
int output_reader_n_goods(const output_reader *r);
const char *output_reader_good(const output_reader *r, int k);
const char *output_reader_good_unit(const output_reader *r, int k);
int output_reader_n_routes(const output_reader *r);
const char *output_reader_route(const output_reader *r, int k);
int output_reader_n_params(const output_reader *r);
const char *output_reader_param_name(const output_reader *r, int k);
const char *output_reader_param_unit(const output_reader *r, int k);
int output_reader_n_scenarios(const output_reader *r);
const char *output_reader_scenario(const output_reader *r, int k);

/* ---- record variables ---------------------------------------------------- */

/* The record variables present, in file order (the table's order): the
 * list to give output_open() as opts.vars. */
int output_reader_n_vars(const output_reader *r);
const char *output_reader_var_name(const output_reader *r, int k);
/* Its row of the variable table (vars.h). */
const state_var *output_reader_var(const output_reader *r, int k);
/* Its axes, in order: the size of each and its name ("run", "scenario",
 * "time", "agent", ...).  The rank. */
int output_reader_var_dims(const output_reader *r, int k, size_t *dims,
                           const char **names);
/* A text attribute of the variable as the file holds it ("units",
 * "units_metadata", "long_name"), or NULL. */
const char *output_reader_var_attr(output_reader *r, int k, const char *name);
/* The hyperslab (start, count on each axis of output_reader_var_dims) of
 * variable k into buf (room for the product of count).  0, or -1 when the
 * slab does not lie inside it or HDF5 cannot read it. */
int output_reader_read(output_reader *r, int k, const size_t *start,
                       const size_t *count, double *buf);

/* ---- runs (sim merge, sim sweep --resume) --------------------------------- */

/* Slot `slot`: whether its run is done (point >= 0 in a file with `point`,
 * the sweeps'; otherwise seed != 0), its seed, design point (-1 in a file
 * without `point`) and parameter values (values[n_params]; may be NULL,
 * untouched without parameters).  seed and point may be NULL.  1 done,
 * 0 not done, -1 error (see output_reader_error). */
int output_reader_run_info(output_reader *r, int slot, unsigned long *seed,
                           int *point, double *values);
/* Read slot `slot`: its records into rec and its events.
 * rec must come from output_run_alloc() for an output opened with the same
 * world and the variables of output_reader_var_name() (shapes, every and
 * variables are checked; a mismatch is an error that names it); NULL reads
 * no records.  p must have the file's agents (same codes, same order),
 * goods and routes: the event's agents are resolved against p, and a
 * difference is an error that names the agent (good, route).  *ev gets the
 * run's events (the rows whose run is the slot's label, in file order) as
 * model_events, labels pointing into the reader's storage; *ev and the
 * labels stay valid until the next output_reader_run() or close.  *ev is
 * NULL when *n_ev is 0.  ev and n_ev may both be NULL.  Runs not done read
 * as NaN with no events.  Files with a scenario axis are refused.  0, or
 * -1 (see output_reader_error). */
int output_reader_run(output_reader *r, const model_params *p, int slot,
                      output_run *rec, const model_event **ev, int *n_ev);
/* Read every value of every record variable and every run's seed and
 * point, a bounded block at a time, and the event table, calling
 * tick(ctx) after each block (tick may be NULL): a damaged file fails
 * here, or (libhdf5 1.10 itself crashes on some) takes down the process
 * that calls it, which is why `sim merge` calls it in a guarded child
 * first.  0, or -1 (output_reader_error). */
int output_reader_scan(output_reader *r, void (*tick)(void *ctx), void *ctx);
/* Runs in a chunk of the file's record variables (0: none recorded). */
int output_reader_runs_per_chunk(const output_reader *r);

/* ---- the event table ------------------------------------------------------ */

/* One row of the event table; the strings belong to the reader and stay
 * valid until its next call. */
typedef struct {
    int run;            /* the run's label */
    int step;
    double value;
    const char *scenario; /* "" without a scenario axis */
    const char *kind, *actor, *target, *label, *unit;
} output_event_row;

size_t output_reader_n_events(const output_reader *r);
/* Rows [first, first + count) (count <= 4096) into rows[count].  0, or -1
 * when they are not there or HDF5 cannot read them. */
int output_reader_events(output_reader *r, size_t first, size_t count,
                         output_event_row *rows);

/* ---- dates ----------------------------------------------------------------- */

/* "YYYY-MM-DD" of the time value t in units "days since Y-M-D".  0, or -1
 * when the units are not of that form or t is not finite or far out. */
int result_date(const char *units, double t, char *buf, size_t len);
/* "YYYY-MM-01": the first day of the month `months` after the month of the
 * units' start date (a step of the model).  0, or -1 as result_date. */
int result_month_date(const char *units, long months, char *buf, size_t len);

#endif
