/*
 * sweep.c - `sim sweep`: a parameter sweep into one result file.
 */
#include "cmd.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "exp/runner.h"
#include "exp/sweep.h"
#include "io/sweepfile.h"

static const char sweep_usage[] =
    "usage: sim sweep SWEEP.cfg [-o FILE] [--jobs J] [--dry-run] [--progress] [-q]\n"
    "\n"
    "Run every point of a sweep file's design, with its replicates, into one\n"
    "file: run r is replicate r %% R of point r / R, param_value(run, param)\n"
    "holds its parameter values and point(run) its design point.  The\n"
    "replicates use the same seeds at every point (common random numbers);\n"
    "the data do not depend on --jobs.\n"
    "\n"
    "  -o FILE        result file (default: <sweep file name>.h5)\n"
    "  --jobs J       worker threads (default 1)\n"
    "  --dry-run      print the runs, months, estimated bytes and core-seconds\n"
    "  --progress     a progress line on stderr even when it is not a terminal\n"
    "\n"
    "SIGTERM or SIGINT finishes the runs under way, writes a valid file in\n"
    "which point(run) = -1 marks the runs not done, and exits 3.\n";

static volatile sig_atomic_t stop_flag = 0;

static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Seconds of one run of the base scenario, for the dry run's estimate. */
static double time_one_run(const model_params *p)
{
    char err[256];
    runner_io io = {0};
    double t0 = now();
    int n = 0;
    do {
        if (runner_run(p, 1, n, &io, err, sizeof err))
            return -1;
        n++;
    } while (now() - t0 < 0.2 && n < 100);
    return (now() - t0) / n;
}

int cmd_sweep(int argc, char **argv)
{
    const char *file = NULL, *outpath = NULL;
    int jobs = 1, dry = 0, show_progress = isatty(STDERR_FILENO), quiet = 0;
    int rc = EXIT_INPUT;
    sweep_spec *s = NULL;
    sweep_plan *pl = NULL;
    output *out = NULL;
    char *text = NULL, *history = NULL, *path = NULL, **pnames = NULL;
    char err[1024];
    for (int k = 1; k < argc; k++) {
        const char *a = argv[k];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(sweep_usage, stdout);
            return EXIT_OK;
        } else if (strcmp(a, "--dry-run") == 0) {
            dry = 1;
        } else if (strcmp(a, "--progress") == 0) {
            show_progress = 1;
        } else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
            quiet = 1;
        } else if (strcmp(a, "-o") == 0 || strcmp(a, "--jobs") == 0) {
            if (k + 1 >= argc) {
                cmd_error("sweep", "option %s needs a value", a);
                return EXIT_INPUT;
            }
            if (a[1] == 'o') {
                outpath = argv[++k];
                continue;
            }
            char *end;
            long j = strtol(argv[++k], &end, 10);
            if (*end || j < 1 || j > CMD_MAX_JOBS) {
                cmd_error("sweep", "--jobs: '%s' is not a whole number from 1 to %d",
                          argv[k], CMD_MAX_JOBS);
                return EXIT_INPUT;
            }
            jobs = (int)j;
        } else if (a[0] == '-' || file) {
            cmd_error("sweep", "unexpected argument '%s' (see 'sim sweep --help')", a);
            return EXIT_INPUT;
        } else {
            file = a;
        }
    }
    if (!file) {
        cmd_error("sweep", "no sweep file given (see 'sim sweep --help')");
        return EXIT_INPUT;
    }
    config_error ce;
    if (!(s = sweep_load(file, &ce))) {
        char line[1200];
        config_error_format(&ce, line, sizeof line);
        cmd_error("sweep", "%s", line);
        goto done;
    }
    if (!(pl = sweep_plan_alloc(s, err, sizeof err))) {
        cmd_error("sweep", "%s: %s", file, err);
        goto done;
    }
    const model_params *p = config_params(s->cfg);
    if (outpath) {
        path = strdup(outpath);
    } else if ((path = malloc(strlen(file) + 4))) {
        const char *base = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
        strcpy(path, base);
        char *dot = strrchr(path, '.');
        strcpy(dot ? dot : path + strlen(path), ".h5");
    }
    if (!path) {
        cmd_error("sweep", "out of memory");
        rc = EXIT_RUNTIME;
        goto done;
    }
    double bytes = output_estimate_bytes(p, (const char *const *)s->vars, s->n_vars,
                                         pl->n_runs);
    if (dry) {
        double one = time_one_run(p);
        printf("sweep %s: design %s, %d points x %d replicates = %d runs of %d "
               "months (%d axes)\n", file, s->design, pl->n_points, s->replicates,
               pl->n_runs, p->g.months, s->n_axes);
        printf("output %s: about %.3g MB before compression (%s)\n", path, bytes / 1e6,
               s->n_vars ? "the variables listed" : "every variable");
        printf("estimated compute: %.3g core-seconds (%.3g ms a run without output)\n",
               one * pl->n_runs, one * 1e3);
        rc = EXIT_OK;
        goto done;
    }
    if (cmd_preflight("sweep", p, (const char *const *)s->vars, s->n_vars, 0,
                      pl->n_runs, jobs, path))
        goto done;
    text = config_resolved_text(s->cfg);
    history = cmd_history(argc + 1, argv - 1);
    pnames = calloc((size_t)s->n_axes, sizeof *pnames);
    if (!text || !history || !pnames) {
        cmd_error("sweep", "out of memory");
        rc = EXIT_RUNTIME;
        goto done;
    }
    for (int a = 0; a < s->n_axes; a++)
        pnames[a] = s->axes[a].path;
    output_opts opts = {.path = path, .config_text = text, .history = history,
                        .vars = (const char *const *)s->vars, .n_vars = s->n_vars,
                        .n_runs = pl->n_runs, .master_seed = pl->master,
                        .n_params = s->n_axes,
                        .param_names = (const char *const *)pnames};
    if (!(out = output_open(p, &opts, err, sizeof err))) {
        cmd_error("sweep", "%s", err);
        rc = EXIT_RUNTIME;
        goto done;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sweep_opts so = {.jobs = jobs, .out = out, .stop = &stop_flag,
                     .progress = show_progress ? stderr : NULL};
    int done_runs = 0;
    int r = sweep_run(pl, &so, &done_runs, err, sizeof err);
    if (r < 0 || output_close(out, err, sizeof err)) {
        cmd_error("sweep", "%s", err);
        rc = EXIT_RUNTIME;
        goto done;
    }
    out = NULL;
    if (r == 1) {
        cmd_error("sweep", "interrupted: %d of %d runs done and written to %s "
                  "(point(run) = -1 marks the others)", done_runs, pl->n_runs, path);
        rc = EXIT_INTERRUPTED;
        goto done;
    }
    if (!quiet)
        printf("sweep %s: %d runs (%d points x %d replicates) written to %s\n", file,
               pl->n_runs, pl->n_points, s->replicates, path);
    rc = EXIT_OK;
done:
    output_abort(out);
    free(pnames);
    free(text);
    free(history);
    free(path);
    sweep_plan_free(pl);
    sweep_free(s);
    return rc;
}
