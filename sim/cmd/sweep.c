/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * sweep.c - `sim sweep`: a parameter sweep into one result file.
 */
#include "cmd.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "exp/merge.h"
#include "io/result/reader.h"
#include "exp/runner.h"
#include "exp/shard.h"
#include "exp/sweep.h"
#include "io/sweepfile.h"

static const cmd_opt sweep_opts_list[] = {
    {OPT_OUTPUT, "result file (default: <sweep file name>.h5, or "
                 "<name>_shard<I>.h5 for a shard)"},
    {OPT_JOBS, NULL},
    {OPT_SHARD, NULL},
    {OPT_RESUME, NULL},
    {OPT_CHECKPOINT, NULL},
    {OPT_DRY_RUN, NULL},
    {OPT_POSTERIOR, "replicate i at every point draws the same parameter set "
                    "from this posterior of `sim calibrate` (as run i of `sim "
                    "run` does); the axes apply after it; param_value also holds "
                    "the posterior's parameters as each run used them"},
    {OPT_PROGRESS, NULL},
    {OPT_PROGRESS_EVERY, NULL},
    {OPT_QUIET, NULL},
    {0, NULL}};

static int cmd_sweep_main(int argc, char **argv);

static const char sweep_after[] =
    "FILE may not be the sweep file, its scenario or a file they include.\n"
    "A shard's file holds its own runs, each labelled with its index in the\n"
    "sweep (run(run)), so that the shards' files join into the sweep's by\n"
    "`sim merge` or by `ncrcat`.\n"
    "\n"
    "Finished runs are kept in FILE.parts/ until the sweep is complete, in\n"
    "part files closed every --checkpoint seconds: a sweep killed at any\n"
    "moment (even SIGKILL) loses at most the runs of the part being written.\n"
    "--resume keeps every run of the closed parts and runs the others; the\n"
    "final data are those of an uninterrupted sweep.  SIGTERM or SIGINT\n"
    "finishes the runs under way, writes a valid FILE holding the runs done\n"
    "(labelled with their index in the sweep), keeps FILE.parts/ and exits 3.\n"
    "One process at a time works on FILE (a lock in FILE.parts/): a second\n"
    "sweep or --resume on it exits 2 naming the first; --resume takes up\n"
    "only the same job (shard, sweep file, scenario, --posterior).\n";

const cmd_spec cmd_sweep_spec = {
    .name = "sweep",
    .operands = "SWEEP.cfg",
    .summary = "a parameter sweep (grid, random, LHS, Sobol, Saltelli) into "
               "one file",
    .about =
        "Run every point of a sweep file's design, with its replicates, into one\n"
        "file: run r is replicate r % R of point r / R, param_value(run, param)\n"
        "holds its parameter values and point(run) its design point.  The\n"
        "replicates use the same seeds at every point (common random numbers);\n"
        "the data do not depend on --jobs.  A sweep file named without a\n"
        "directory that is not in the current directory is taken from the\n"
        "shared configs/sweeps (sim sweep example).\n",
    .after = sweep_after,
    .opts = sweep_opts_list,
    .complete = "*.cfg",
    .main = cmd_sweep_main,
};

static const cmd_opt mpi_opts[] = {
    {OPT_OUTPUT, "the result file (required); rank k writes OUT.h5.rank<k> "
                 "first"},
    {OPT_JOBS, "worker threads of each rank (default 1)"},
    {OPT_RESUME, NULL},
    {OPT_CHECKPOINT, NULL},
    {OPT_POSTERIOR, NULL},
    {OPT_QUIET, NULL},
    {0, NULL}};

const cmd_spec cmd_mpi_sweep_spec = {
    .name = "sweep",
    .operands = "SWEEP.cfg",
    .summary = "a sweep split over MPI ranks",
    .about =
        "Split a sweep's runs over the K ranks (rank k runs shard k/K of\n"
        "`sim sweep --shard`) and join them into OUT.h5; the data are those of\n"
        "`sim sweep` in one process.  A rank that fails is reported with its\n"
        "runs, and nothing is merged.  As root, Open MPI needs\n"
        "OMPI_ALLOW_RUN_AS_ROOT=1 and OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; more\n"
        "ranks than cores need mpirun --oversubscribe.\n",
    .after = sweep_after,
    .opts = mpi_opts,
    .complete = "*.cfg",
    .main = NULL,
};

#define PART_SECONDS 10.0 /* default --checkpoint */

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

static int cmd_sweep_main(int argc, char **argv)
{
    cmd_args a;
    cmd_args_init(&a);
    a.checkpoint = PART_SECONDS;
    int rc = cmd_parse(&cmd_sweep_spec, argc, argv, &a);
    if (rc == 0)
        rc = cmd_sweep_run(&a, argc, argv);
    else
        rc = rc > 0 ? EXIT_OK : EXIT_INPUT;
    cmd_args_free(&a);
    return rc;
}

int cmd_sweep_run(const cmd_args *args, int argc, char **argv)
{
    static const char *const where[] = {"configs/sweeps", "configs", NULL};
    char found[4096];
    const char *file = NULL, *outpath = args->output;
    int jobs = args->jobs, dry = args->dry_run, resume = args->resume, quiet = args->quiet;
    int shard_i = 0, shard_n = 1;
    double checkpoint = args->checkpoint;
    int rc = EXIT_INPUT;
    sweep_spec *s = NULL;
    sweep_plan *pl = NULL;
    char *text = NULL, *history = NULL, *path = NULL, **pnames = NULL;
    char **punits = NULL;
    publish_inputs *inputs = NULL;
    char **partfiles = NULL;
    int n_partfiles = 0;
    unsigned char *done_runs = NULL;
    sweep_parts *pt = NULL;
    progress *pr = NULL;
    char err[1024];
    posterior_file *post = NULL;
    param_ref *post_refs = NULL;
    if (args->n_operands > 1) {
        cmd_error("sweep", "unexpected argument '%s': one sweep file at a time "
                  "(see 'sim sweep --help')", args->operands[1]);
        return EXIT_INPUT;
    }
    if (args->n_operands == 0) {
        cmd_error("sweep", "no sweep file given (see 'sim sweep --help')");
        return EXIT_INPUT;
    }
    file = cmd_find_file(args->operands[0], where, found, sizeof found);
    if (args->shard) {
        char extra;
        if (sscanf(args->shard, "%d/%d%c", &shard_i, &shard_n, &extra) != 2 ||
            shard_n < 1 || shard_i < 0 || shard_i >= shard_n) {
            cmd_error("sweep", "--shard: '%s' is not I/N with 0 <= I < N", args->shard);
            return EXIT_INPUT;
        }
    }
    config_error ce;
    if (!(s = sweep_load(file, &ce))) {
        char line[1200];
        config_error_format(&ce, line, sizeof line);
        cmd_error("sweep", "%s", line);
        rc = cmd_config_exit(&ce);
        goto done;
    }
    if (!(pl = sweep_plan_alloc(s, err, sizeof err))) {
        cmd_error("sweep", "%s: %s", file, err);
        goto done;
    }
    const model_params *p = config_params(s->cfg);
    if (args->posterior &&
        !(post = cmd_load_posterior("sweep", args->posterior, p, &post_refs)))
        goto done;
    for (int k = 0; post && k < post->d; k++)
        for (int a = 0; a < s->n_axes; a++)
            if (strcmp(post->param_names[k], s->axes[a].path) == 0) {
                cmd_error("sweep", "--posterior %s: %s is also an axis of %s (sweep "
                          "the posterior's other parameters, or fix it)",
                          args->posterior, s->axes[a].path, file);
                goto done;
            }
    if (outpath) {
        path = strdup(outpath);
    } else {
        /* the sweep file's name in this directory, .h5 for its extension */
        const char *base = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
        const char *dot = strrchr(base, '.');
        int stem = dot ? (int)(dot - base) : (int)strlen(base);
        size_t len = strlen(base) + 32;
        if ((path = malloc(len))) {
            if (shard_n > 1)
                snprintf(path, len, "%.*s_shard%d.h5", stem, base, shard_i);
            else
                snprintf(path, len, "%.*s.h5", stem, base);
        }
    }
    if (!path) {
        cmd_error("sweep", "out of memory");
        rc = EXIT_RUNTIME;
        goto done;
    }
    /* the sweep file and what it includes, the scenario and its includes
     * (as the loader read them) */
    const sim_config *scen = s->cfg;
    if (!(inputs = cmd_inputs("sweep", &file, 1, &scen, 1)) ||
        (args->posterior && publish_inputs_add(inputs, args->posterior) < 0)) {
        if (inputs)
            cmd_error("sweep", "out of memory");
        rc = EXIT_RUNTIME;
        goto done;
    }
    /* runs are written, and dealt to shards, in blocks of B consecutive
     * runs: one chunk of every variable; every shard gets one at least */
    int block = sweep_block_runs(pl, shard_n);
    if (block < 0) {
        cmd_error("sweep", "%s: a recorded variable is unknown", file);
        goto done;
    }
    int mine = 0;
    sweep_opts so = {.shard_i = shard_i, .shard_n = shard_n,
                     .block = block > 0 ? block : 1, .blocks = block > 0};
    for (int r = 0; r < pl->n_runs; r++)
        mine += sweep_wants(&so, r);
    double bytes = output_estimate_bytes(p, (const char *const *)s->vars, s->n_vars,
                                         mine);
    if (dry) {
        double one = time_one_run(p);
        printf("sweep %s: design %s, %d point%s x %d replicate%s = %d run%s of %d "
               "months (%d ax%s)\n", file, s->design, pl->n_points,
               pl->n_points == 1 ? "" : "s", s->replicates,
               s->replicates == 1 ? "" : "s", pl->n_runs, pl->n_runs == 1 ? "" : "s",
               p->g.months, s->n_axes, s->n_axes == 1 ? "is" : "es");
        printf("blocks of %d runs (one chunk of every variable; shards are "
               "dealt whole blocks)\n", so.block);
        if (shard_n > 1)
            printf("shard %d/%d: %d of the runs\n", shard_i, shard_n, mine);
        printf("output %s: about %.3g MB before compression (%s)\n", path,
               bytes / 1e6, s->n_vars ? "the variables listed" : "every variable");
        printf("estimated compute: %.3g core-seconds (%.3g ms a run without output)\n",
               one * mine, one * 1e3);
        rc = EXIT_OK;
        goto done;
    }
    if ((rc = cmd_check_output("sweep", path, inputs)) != 0)
        goto done;
    rc = EXIT_INPUT;
    if (cmd_preflight("sweep", p, (const char *const *)s->vars, s->n_vars, 0,
                      pl->n_runs, jobs, path))
        goto done;
    /* the parts directory: finished runs, kept until the sweep is complete,
     * and the lock that keeps a second sweep off this output */
    char hash[32], shard[32];
    /* a posterior is part of what the parts must agree on */
    unsigned long long h = s->hash;
    for (const char *q = post ? post->fit_hash : ""; *q; q++)
        h = (h ^ (unsigned char)*q) * 0x100000001b3ULL;
    snprintf(hash, sizeof hash, "%016llx", h);
    snprintf(shard, sizeof shard, "%d/%d", shard_i, shard_n);
    done_runs = calloc((size_t)pl->n_runs + 1, 1);
    history = cmd_history(argc + 1, argv - 1);
    if (!done_runs || !history) {
        cmd_error("sweep", "out of memory");
        rc = EXIT_RUNTIME;
        goto done;
    }
    parts_job job = {.path = path, .kind = "sweep", .sweep_file = file,
                     .command = history, .hash = h, .shard_i = shard_i,
                     .shard_n = shard_n, .resume = resume};
    parts_status ps;
    int before = 0;
    if (!(pt = parts_open(&job, pl->n_runs, done_runs, &before, &ps, err, sizeof err))) {
        cmd_error("sweep", "%s", err);
        rc = ps == PARTS_REFUSED ? EXIT_INPUT : EXIT_RUNTIME;
        goto done;
    }
    /* the runs of this shard already done */
    if (before) {
        before = 0;
        for (int r = 0; r < pl->n_runs; r++)
            before += done_runs[r] && sweep_wants(&so, r);
    }
    text = config_resolved_text(s->cfg);
    so.post = post;
    so.post_refs = post_refs;
    int n_values = sweep_n_values(pl, &so);
    pnames = calloc((size_t)n_values + 1, sizeof *pnames);
    punits = calloc((size_t)n_values + 1, sizeof *punits);
    if (!text || !pnames || !punits) {
        cmd_error("sweep", "out of memory");
        rc = EXIT_RUNTIME;
        goto done;
    }
    for (int a = 0; a < s->n_axes; a++) {
        char unit[160];
        pnames[a] = s->axes[a].path;
        sweep_axis_unit(s, a, unit, sizeof unit);
        if (!(punits[a] = strdup(unit))) {
            cmd_error("sweep", "out of memory");
            rc = EXIT_RUNTIME;
            goto done;
        }
    }
    /* then the posterior's parameters, as each run used them */
    for (int k = 0; post && k < post->d; k++) {
        char unit[160];
        pnames[s->n_axes + k] = post->param_names[k];
        output_param_unit(p, post_refs[k], unit, sizeof unit);
        if (!(punits[s->n_axes + k] = strdup(unit))) {
            cmd_error("sweep", "out of memory");
            rc = EXIT_RUNTIME;
            goto done;
        }
    }
    /* a shard says which; a whole sweep's file carries no shard attribute,
     * so it is the same however it was computed */
    output_attr attrs[] = {
        {"sweep_hash", hash, 0},
        {"event_log", s->events ? "recorded" : "not recorded (sweep.events = false)", 0},
        {"sweep_design", s->design, 0},
        {"sweep_points", NULL, s->points},
        {"sweep_replicates", NULL, s->replicates},
        {"sweep_runs", NULL, pl->n_runs},
        {"posterior", args->posterior, 0},
        {"posterior_fit_hash", post ? post->fit_hash : "", 0},
        {"posterior_status", post ? post->status : "", 0},
        {"shard_index", NULL, shard_i},
        {"shard_count", NULL, shard_n}};
    /* the job's (carried over by merge_files), the posterior's, the shard's */
    enum { N_JOB_ATTRS = 6, N_POST_ATTRS = 3 };
    int n_attrs = N_JOB_ATTRS;
    if (post)
        n_attrs += N_POST_ATTRS;
    for (int k = 0; shard_n > 1 && k < 2; k++)
        attrs[n_attrs++] = attrs[N_JOB_ATTRS + N_POST_ATTRS + k];
    output_opts po = (output_opts){.config_text = text, .history = history,
                            .vars = (const char *const *)s->vars, .n_vars = s->n_vars,
                            .n_runs = pl->n_runs, .master_seed = pl->master,
                            .n_params = n_values,
                            .param_names = (const char *const *)pnames,
                            .param_units = (const char *const *)punits,
                            .attrs = attrs, .n_attrs = n_attrs,
                            .inputs = inputs,
                            /* the parts' chunks are the blocks */
                            .runs_per_chunk = block};
    parts_set_output(pt, p, &po);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    so.jobs = jobs;
    so.open_part = parts_open_part;
    so.close_part = parts_close_part;
    so.part_ctx = pt;
    so.part_seconds = checkpoint;
    so.skip = done_runs;
    so.stop = &stop_flag;
    pr = cmd_progress(args, "sweep", "runs", mine - before);
    so.progress = progress_callback;
    so.progress_ctx = pr;
    int ran = 0;
    int r = sweep_run(pl, &so, &ran, err, sizeof err);
    progress_end(pr, r == 0);
    if (r < 0) {
        cmd_error("sweep", "%s (finished runs are kept in %s: go on with --resume)",
                  err, parts_dir(pt));
        rc = EXIT_RUNTIME;
        goto done;
    }
    /* join the parts into the result */
    n_partfiles = parts_list(pt, &partfiles);
    merge_opts mo = {.path = path, .history = history,
                     .attrs = attrs + N_JOB_ATTRS, .n_attrs = n_attrs - N_JOB_ATTRS,
                     .inputs = inputs};
    int written = 0;
    if (r == 0 && n_partfiles == 1 && shard_n == 1) {
        /* one part holding every run: it is the result, as written (a
         * shard's is joined instead: its file holds its runs only) */
        int prc = publish_rename(partfiles[0], path, inputs, err, sizeof err);
        if (prc == PUBLISH_OK)
            goto finished;
        if (prc == PUBLISH_REFUSED) {
            cmd_error("sweep", "%s (finished runs are kept in %s)", err,
                      parts_dir(pt));
            goto done;
        }
        /* else the merge below makes the result */
    }
    if (n_partfiles == 0) { /* no run finished (or a shard with none) */
        output_opts eo = po;
        eo.path = path;
        output *o = output_open(p, &eo, err, sizeof err);
        if (!o || output_close(o, err, sizeof err)) {
            output_abort(o);
            n_partfiles = -2;
        }
    }
    if (n_partfiles == -2 || n_partfiles == -1 ||
        (n_partfiles > 0 &&
         merge_files((const char *const *)partfiles, n_partfiles, &mo, &written,
                     err, sizeof err))) {
        cmd_error("sweep", "%s (finished runs are kept in %s)",
                  n_partfiles == -1 ? "out of memory" : err, parts_dir(pt));
        rc = EXIT_RUNTIME;
        goto done;
    }
    if (r == 1) {
        cmd_error("sweep", "interrupted: %d of %d runs done and written to %s "
                  "(run(run) holds their indices); go on with --resume",
                  before + ran, mine, path);
        rc = EXIT_INTERRUPTED;
        goto done;
    }
finished:
    parts_finish(pt);
    pt = NULL;
    if (!quiet)
        printf("sweep %s: %d run%s (%d point%s x %d replicate%s%s%s) written to %s%s\n",
               file, mine, mine == 1 ? "" : "s", pl->n_points,
               pl->n_points == 1 ? "" : "s", s->replicates,
               s->replicates == 1 ? "" : "s", shard_n > 1 ? ", shard " : "",
               shard_n > 1 ? shard : "", path,
               before ? " (resumed: earlier runs kept)" : "");
    rc = EXIT_OK;
done:
    parts_close(pt); /* kept (interrupted or failed); the lock released */
    posterior_file_free(post);
    free(post_refs);
    if (partfiles)
        parts_free_names(partfiles, n_partfiles > 0 ? n_partfiles : 0);
    free(done_runs);
    for (int a = 0; punits && punits[a]; a++) /* NULL-terminated */
        free(punits[a]);
    free(punits);
    publish_inputs_free(inputs);
    free(pnames);
    free(text);
    free(history);
    free(path);
    sweep_plan_free(pl);
    sweep_free(s);
    return rc;
}
