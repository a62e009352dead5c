/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * export.c - `sim export`: a result file as tidy CSV tables for
 * spreadsheets, R and pandas (the format: io/export.h).
 *
 * The file is read in a child process (cmd_guarded), as `sim info` reads
 * it: a crash or a hang of HDF5 on a damaged file becomes one line and
 * exit 2.  The child sends a heartbeat after every block it reads; one
 * that sends none for EXPORT_STALL_SECONDS is taken as hung.  Its address
 * space is limited to EXPORT_MAX_MEMORY.
 */
#include "cmd.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "io/export.h"

/* Reading one block takes well under a second; HDF5 looping on a damaged
 * heap never sends the next heartbeat. */
#define EXPORT_STALL_SECONDS 10.0
/* The export needs some 20 MB whatever the file (blocks, a chunk cache,
 * the coordinates); libhdf5 asks for gigabytes when a damaged heap gives
 * it a huge length: it then gets NULL and fails at once. */
#define EXPORT_MAX_MEMORY (1024.0 * 1024 * 1024)
#define EXPORT_MAX_VARS 64

static const cmd_opt export_options[] = {
    {OPT_CSV, NULL}, {OPT_VARS, NULL}, {OPT_RUNS, NULL}, {OPT_QUIET, NULL},
    {0, NULL}};

static int cmd_export_main(int argc, char **argv);

const cmd_spec cmd_export_spec = {
    .name = "export",
    .operands = "FILE.h5",
    .summary = "a result file as tidy CSV tables (--csv DIR) for R and pandas",
    .about =
        "Write a result file as tidy (long) CSV tables for spreadsheets, R and\n"
        "pandas, into DIR (made when missing; files there of the same names are\n"
        "replaced):\n"
        "  values.csv  scenario,run,time,agent,partner,route,good,variable,value,unit\n"
        "              one row per recorded value; time is the record's date\n"
        "              (YYYY-MM-DD); a column that does not apply to a variable\n"
        "              is empty; NA marks a missing value (a run not done)\n"
        "  events.csv  scenario,run,time,step,kind,actor,target,value,label\n"
        "  runs.csv    run,seed[,point][,one column per swept parameter]\n",
    .after =
        "The three files are replaced together or not at all.  Exit 2 when the\n"
        "file is missing, damaged or not a result file of this program, or a\n"
        "variable or run is not in it, or DIR (or a table's name in it) is not\n"
        "a directory (a regular file) or is FILE.h5 itself; exit 1 when DIR\n"
        "cannot be written (nothing is left under the final names then).\n",
    .opts = export_options,
    .complete = "*.h5",
    .main = cmd_export_main,
};

typedef struct {
    const char *path;
    export_opts o;
    int quiet;
} export_job;

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void beat(void *arg, int done_reading)
{
    const int *fd = arg;
    char b = done_reading ? CMD_GUARD_DONE : '.';
    ssize_t w = write(*fd, &b, 1);
    (void)w; /* a lost heartbeat only shortens the parent's patience */
}

/* In the child: the export, its summary line on stdout. */
static int child(void *arg, int fd)
{
    export_job *job = arg;
    export_counts n;
    char err[1024];
    double t0 = now_seconds();
    job->o.progress = beat;
    job->o.progress_arg = &fd;
    export_status st = export_csv(job->path, &job->o, &n, err, sizeof err);
    if (st != EXPORT_OK) {
        cmd_error("export", "%s", err);
        return st == EXPORT_FAILED ? EXIT_RUNTIME : EXIT_INPUT;
    }
    if (!job->quiet)
        printf("wrote %s/: %s %llu rows, %s %llu rows, %s %llu rows in %.2f s\n",
               job->o.dir, EXPORT_VALUES, n.values, EXPORT_EVENTS, n.events,
               EXPORT_RUNS, n.runs, now_seconds() - t0);
    return fflush(stdout) == 0 ? EXIT_OK : EXIT_RUNTIME;
}

/* "A-B" or "N" into first and last; -1 when malformed. */
static int parse_runs(const char *s, long *first, long *last)
{
    char *end;
    errno = 0;
    if (*s < '0' || *s > '9')
        return -1;
    *first = strtol(s, &end, 10);
    *last = *first;
    if (*end == '-') {
        const char *b = end + 1;
        if (*b < '0' || *b > '9')
            return -1;
        *last = strtol(b, &end, 10);
    }
    return *end || errno || *last < *first ? -1 : 0;
}

/* "a,b,c" into vars (pointers into the copy *buf). */
static int parse_vars(const char *s, char **buf, const char **vars, int *n)
{
    *n = 0;
    if (!(*buf = strdup(s)))
        return -1;
    for (char *p = *buf, *next; p; p = next) {
        next = strchr(p, ',');
        if (next)
            *next++ = '\0';
        if (!*p || *n == EXPORT_MAX_VARS)
            return -1;
        vars[(*n)++] = p;
    }
    return 0;
}

static int cmd_export_main(int argc, char **argv)
{
    export_job job = {.o = {.last_run = -1}};
    const char *vars[EXPORT_MAX_VARS];
    char *vbuf = NULL;
    cmd_args a;
    cmd_args_init(&a);
    int rc = cmd_parse(&cmd_export_spec, argc, argv, &a);
    if (rc) {
        cmd_args_free(&a);
        return rc > 0 ? EXIT_OK : EXIT_INPUT;
    }
    rc = EXIT_INPUT;
    job.quiet = a.quiet;
    job.o.dir = a.csv;
    if (a.n_operands > 1) {
        cmd_error("export", "unexpected argument '%s': one file at a time "
                  "(see 'sim export --help')", a.operands[1]);
        goto done;
    }
    job.path = a.n_operands ? a.operands[0] : NULL;
    if (a.vars) {
        if (parse_vars(a.vars, &vbuf, vars, &job.o.n_vars)) {
            cmd_error("export", "--vars %s: expected names separated by commas "
                      "(at most %d)", a.vars, EXPORT_MAX_VARS);
            goto done;
        }
        job.o.vars = vars;
    }
    if (a.runs && parse_runs(a.runs, &job.o.first_run, &job.o.last_run)) {
        cmd_error("export", "--runs %s: expected a run N or a range A-B (A <= B)",
                  a.runs);
        goto done;
    }
    if (!job.path || !job.o.dir) {
        cmd_error("export", "%s (see 'sim export --help')",
                  !job.path ? "no file given" : "no output given: --csv DIR");
        goto done;
    }
    char err[1200];
    export_status st = export_check_dest(job.path, job.o.dir, err, sizeof err);
    if (st != EXPORT_OK) {
        cmd_error("export", "%s", err);
        rc = st == EXPORT_BAD_INPUT ? EXIT_INPUT : EXIT_RUNTIME;
        goto done;
    }
    struct stat sb;
    int existed = stat(job.o.dir, &sb) == 0;
    /* Ctrl-C, kill: the child removes its temporaries, then this ends */
    publish_catch_signals();
    cmd_guard g = {.child = child, .arg = &job, .seconds = EXPORT_STALL_SECONDS,
                   .progress = 1, .max_memory = EXPORT_MAX_MEMORY};
    rc = cmd_guarded("export", job.path, &g, NULL, NULL);
    if (rc != EXIT_OK) {
        /* what a killed child left behind (it removes its own otherwise):
         * its process is gone, so its temporaries are stale */
        publish_remove_stale(job.o.dir);
        if (!existed)
            rmdir(job.o.dir);
    }
done:
    free(vbuf);
    cmd_args_free(&a);
    return rc;
}
