/*
 * cmd.h - the commands of the `sim` program and their exit codes.
 */
#ifndef SIM_CMD_CMD_H
#define SIM_CMD_CMD_H

#include <stdio.h>

#include "io/config.h"
#include "io/publish.h"

/* Exit codes (documented in the README and in `sim --help`). */
enum {
    EXIT_OK = 0,      /* success                                     */
    EXIT_RUNTIME = 1, /* runtime failure: I/O, disk full, no memory  */
    EXIT_INPUT = 2,   /* bad usage or bad input                      */
    EXIT_INTERRUPTED = 3, /* a sweep stopped by SIGTERM/SIGINT (other
                           * commands end by the signal itself, their
                           * temporary files removed: 130, 143)       */
    EXIT_OUTSIDE = 4  /* calibrate --check: a figure outside its range */
};


/* The baseline scenario compiled into the binary (build/gen/embedded.c). */
extern const char sim_embedded_baseline[];
extern const char sim_embedded_headlines[];
#define SIM_EMBEDDED_NAME "baseline.cfg (built in)"

int cmd_run(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_calibrate(int argc, char **argv);
int cmd_sweep(int argc, char **argv);
int cmd_merge(int argc, char **argv);
int cmd_export(int argc, char **argv);

/* Shared by the commands: scenario options. */
typedef struct {
    const char *scenario; /* NULL: the built-in baseline */
    const char *output;   /* -o */
    const char *seed;     /* --seed */
    const char *months;   /* --months */
    const char **sets;    /* --set, in order */
    int n_sets;
    int quiet;
    int replicates;       /* --replicates (default 1) */
    int jobs;             /* --jobs (default 1) */
} scenario_opts;

#define CMD_MAX_REPLICATES 1000000
#define CMD_MAX_JOBS 1024

/* Parse one scenario option at argv[*k] (advancing *k past its value).
 * 1 if consumed, 0 if not a scenario option, -1 on a usage error (printed). */
int cmd_scenario_option(const char *cmd, int argc, char **argv, int *k,
                        scenario_opts *o);
/* Load, apply --seed/--months/--set, validate.  Prints the error line and
 * returns NULL on failure. */
sim_config *cmd_load_scenario(const scenario_opts *o);
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
/* The files a command reads: each of files[n] (NULL entries skipped) with
 * every configuration it @includes (io/config.h).  NULL after printing
 * "out of memory". */
publish_inputs *cmd_inputs(const char *cmd, const char *const *files, int n);
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
/* "sim: <cmd>: <message>" on stderr. */
void cmd_error(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* The command line as one string, for the file's history (malloc'ed). */
char *cmd_history(int argc, char **argv);

#endif
