/*
 * output.h - the result file: netCDF-4/CF-compatible HDF5.
 *
 * One writer per result file.  The file is created under a temporary name
 * in the destination directory and appears under its final name only after
 * output_close() has written, closed, fsynced and renamed it.
 *
 * Usage for R runs:
 *   output *o = output_open(p, &opts, err, sizeof err);
 *   for each run r:
 *       output_begin_run(o, r, seed);
 *       for each step: model_step(...); output_record(o, state);
 *       output_end_run(o, events, n_events);
 *   output_close(o, err, sizeof err);   (or output_abort(o) on failure)
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
int output_begin_run(output *o, int run, unsigned long seed);
/* Call after every model_step(); records when (s->t+1) % every == 0. */
int output_record(output *o, const model_state *s);
/* Write the buffered run and append its events. 0 or -1 (see output_error).
 * The events are those of the whole run (model_state.ev holds one step's):
 * the caller gathers them.  After any -1, call output_abort(). */
int output_end_run(output *o, const model_event *ev, int n_ev);
/* Finish: close, fsync, rename to the final name, free o.  0, or -1 with
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
/* Bytes the full file would hold for n_runs runs before compression. */
double output_estimate_bytes(const model_params *p, const char *const *vars,
                             int n_vars, int n_runs);

#endif
