/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * cmd.h - the commands of the `sim` program and their exit codes.
 */
#ifndef SIM_CMD_CMD_H
#define SIM_CMD_CMD_H

#include <stdio.h>

#include "cmd/opts.h"
#include "cmd/progress.h"
#include "io/config.h"
#include "io/posterior.h"
#include "io/publish.h"

/* Exit codes (documented in the README and in `sim --help`). */
enum {
    EXIT_OK = 0,      /* success                                     */
    EXIT_RUNTIME = 1, /* runtime failure: I/O, disk full, no memory  */
    EXIT_INPUT = 2,   /* bad usage or bad input                      */
    EXIT_INTERRUPTED = 3, /* a sweep or a fit stopped by SIGTERM/SIGINT
                           * (other commands end by the signal itself,
                           * their temporary files removed: 130, 143) */
    EXIT_OUTSIDE = 4, /* calibrate --check: a figure outside its range;
                       * calibrate --recover: a parameter not recovered */
    EXIT_NOT_CONVERGED = 5 /* calibrate: the fit did not converge (the
                            * posterior file says why) */
};

/* The ranks a calibration runs on (set by sim-mpi; NULL: one process).
 * share() ORs a byte buffer over the ranks in place (MPI_BOR). */
typedef struct {
    int rank, size;
    int (*share)(void *ctx, unsigned char *buf, size_t bytes);
    void *ctx;
} cmd_cluster;
extern const cmd_cluster *cmd_calibrate_cluster;


/* The baseline scenario compiled into the binary (build/gen/embedded.c). */
extern const char sim_embedded_baseline[];
extern const char sim_embedded_headlines[];
#define SIM_EMBEDDED_NAME "baseline.cfg (built in)"

#define CMD_MAX_REPLICATES 1000000
#define CMD_MAX_JOBS 1024

/* The commands, for `sim --help`, the manual and the completion. */
extern const cmd_spec cmd_run_spec, cmd_check_spec, cmd_info_spec,
    cmd_compare_spec, cmd_calibrate_spec, cmd_sweep_spec, cmd_merge_spec,
    cmd_export_spec;
/* `mpirun -n K sim-mpi sweep`: its options (its main is sim/mpi_main.c). */
extern const cmd_spec cmd_mpi_sweep_spec;

/* The body of `sim sweep` once its options are parsed (sim-mpi calls it
 * for its rank's shard); argv, argv[-1] included, for the file's history. */
int cmd_sweep_run(const cmd_args *a, int argc, char **argv);

/* Load a scenario (NULL: the built-in baseline), apply --seed, --months
 * and --set, validate.  Prints the error line and returns NULL on
 * failure, with *rc the exit code (cmd_config_exit). */
sim_config *cmd_load_scenario(const char *file, const cmd_args *a, int *rc);
/* The exit code of a config_error: EXIT_RUNTIME when the machine failed
 * (no memory, too many open files), else EXIT_INPUT. */
int cmd_config_exit(const config_error *e);
/* A scenario, sweep, targets or measures file as named on the command
 * line: `name` itself when it exists or names a directory part; else the
 * first of DATADIR/SUBDIR/name and DATADIR/SUBDIR/name.cfg that exists,
 * for each shared data directory (cmd_data_dirs) and each of the
 * subdirectories given (NULL-terminated); else `name`.  Into buf. */
const char *cmd_find_file(const char *name, const char *const *subdirs,
                          char *buf, size_t len);
/* The shared data directories, in the order searched: $SIM_DATADIR,
 * <program>/../share/bloc-sim, the source tree the program was built in
 * (<program>/..), and the one it was configured for (sim_datadir); those
 * that hold scenarios/ or configs/.  Returns how many (at most max). */
int cmd_data_dirs(char (*dirs)[4096], int max);
/* The progress report a command's options ask for: on a terminal unless
 * -q (or with --progress), elsewhere only with --progress; NULL for
 * none. */
progress *cmd_progress(const cmd_args *a, const char *what, const char *unit,
                       long total);
/* Write text to path through the publisher (a temporary name in its
 * directory, fsync, rename; io/publish.h), refusing a path that is not a
 * regular file or is one of the inputs.  0, or -1 after an error line. */
int cmd_write_file(const char *cmd, const char *path, const char *text,
                   size_t len, const publish_inputs *inputs);
/* The worse of two exit codes: bad input over a runtime failure over
 * success. */
int cmd_worse(int a, int b);

/* A posterior file for runs of p (--posterior): read (first in a guarded
 * child), its parameters bound to p (*refs, malloc'ed).  A fit that did
 * not converge is used with a warning.  NULL after one error line
 * (exit 2). */
posterior_file *cmd_load_posterior(const char *cmd, const char *path,
                                   const model_params *p, param_ref **refs);
/* The units of the posterior's parameters in p, from the parameter table
 * (output_param_unit): f->d strings in one allocation (one free()), for
 * param_unit of the runs' files.  NULL when memory is short. */
char **cmd_posterior_units(const posterior_file *f, const model_params *p,
                           const param_ref *refs);
/* Median and the 5% and 95% quantiles of x[0], x[stride], ... (n values;
 * NaN values are left out; all NaN when none is left). */
void cmd_quantiles(const double *x, size_t stride, int n, double *median,
                   double *q05, double *q95);
/* Refuse up front a job that cannot fit: the run buffers of `jobs` workers
 * in memory, the file on the disk of `path`'s directory.  0, or -1 after
 * printing one line with the estimate (exit 2). */
int cmd_preflight(const char *cmd, const model_params *p,
                  const char *const *vars, int n_vars, int n_scenarios,
                  int n_runs, int jobs, const char *path);
/* Work on a result file in a child process: a crash or a hang of HDF5 on
 * a damaged file becomes one line and exit 2 instead of taking the
 * program down. */
#define CMD_GUARD_DONE 'd'
typedef struct {
    int (*child)(void *arg, int fd); /* runs in the child: its exit code;
                                        may write to fd (a pipe) */
    void *arg;
    double seconds; /* the child is killed after this long ... */
    int progress;   /* ... counted from its last write to fd when set
                       (a heartbeat), else from its start; in this mode a
                       byte CMD_GUARD_DONE says it is past its last HDF5
                       call: no limit from then on */
    int keep;       /* collect what it writes to fd (else discarded) */
    double max_memory; /* bytes of address space for the child (0: no
                          limit; none under AddressSanitizer): libhdf5
                          asks for gigabytes on some damaged files */
} cmd_guard;
/* Run g->child in a child process and wait for it: its exit code; or, when
 * it is killed by a signal or runs out of time, EXIT_INPUT after one line
 * "sim: <cmd>: cannot read <path>: ..." (the file is taken as damaged);
 * EXIT_RUNTIME when it cannot be started.  With g->keep, *out (malloc'ed,
 * may be NULL) and *out_len get what it wrote to fd (out may be NULL). */
int cmd_guarded(const char *cmd, const char *path, const cmd_guard *g,
                char **out, size_t *out_len);
/* The files a command reads: each of files[n] (a sweep, targets or
 * measures file; NULL entries skipped) with every configuration it
 * @includes (config_input_files), and every file each loaded scenario
 * cfgs[n_cfgs] was read from (config_file: the loader's own list, so a
 * scenario given as a pipe is not read again).  NULL after printing "out
 * of memory". */
publish_inputs *cmd_inputs(const char *cmd, const char *const *files, int n,
                           const sim_config *const *cfgs, int n_cfgs);
/* Add every file the scenario c was read from to in: 0, or -1 (out of
 * memory).  NULL adds nothing. */
int cmd_inputs_add_config(publish_inputs *in, const sim_config *c);
/* Refuse up front, before any work, an output that publishing would
 * refuse (io/publish.h): 0, or the exit code after printing one line
 * (EXIT_INPUT for a destination that is not a regular file or is an
 * input, EXIT_RUNTIME for a missing or unusable directory). */
int cmd_check_output(const char *cmd, const char *path,
                     const publish_inputs *in);
/* The summary of a result file that `sim info` prints.  0, or -1 with one
 * line in err (the file is missing, damaged or not a result file of this
 * program). */
int cmd_info_print(const char *path, FILE *out, char *err, size_t errlen);
/* Set: cmd_error prints nothing (the ranks of sim-mpi other than 0 while
 * they parse the line rank 0 reports on). */
extern int cmd_silent;
/* "sim: <cmd>: <message>" on stderr (cmd_program for "sim"). */
void cmd_error(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* The command line as one string, for the file's history (malloc'ed). */
char *cmd_history(int argc, char **argv);

#endif
