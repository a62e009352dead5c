/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * run.c - `sim run`: a run, or an ensemble of replicates, of one or more
 * scenarios, each into its own result file.
 *
 * The runs of every scenario are one list shared by the --jobs workers.
 * A scenario that fails (a bad file, an output that cannot be written)
 * does not stop the others: each finished file is published as soon as
 * its last run is in, and the last line names the ones that failed.
 */
#include "cmd.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "exp/ensemble.h"
#include "io/result/output.h"

static const cmd_opt run_opts[] = {
    {OPT_OUTPUT, "result file (default: <scenario name>.h5); with one "
                 "scenario only"},
    {OPT_OUTDIR, "write each result as DIR/<scenario name>.h5 (DIR must "
                 "exist)"},
    {OPT_SEED, NULL},
    {OPT_MONTHS, NULL},
    {OPT_SET, NULL},
    {OPT_REPLICATES, "runs of each scenario (default 1): an ensemble on the "
                     "file's run axis, run r seeded from hash(master seed, r)"},
    {OPT_JOBS, "worker threads (default 1), shared by the runs of every "
               "scenario; the data do not depend on J"},
    {OPT_POSTERIOR, NULL},
    {OPT_PROGRESS, NULL},
    {OPT_PROGRESS_EVERY, NULL},
    {OPT_QUIET, NULL},
    {0, NULL}};

static int cmd_run_main(int argc, char **argv);

const cmd_spec cmd_run_spec = {
    .name = "run",
    .operands = "[SCENARIO.cfg]...",
    .summary = "run scenarios (default: the built-in baseline), each into an "
               "HDF5 file",
    .about =
        "Run a scenario and write its trajectories to an HDF5 (netCDF-4)\n"
        "file.  Without SCENARIO.cfg the built-in baseline runs\n"
        "(scenarios/baseline.cfg as compiled into this binary).  A scenario\n"
        "named without a directory that is not in the current directory is\n"
        "taken from the shared scenarios (sim run sanctions_relief).\n"
        "\n"
        "With several scenarios, each goes to its own <scenario name>.h5 (in\n"
        "--outdir DIR if given), their runs spread over the --jobs workers.\n"
        "A scenario that fails does not stop the others: every finished file\n"
        "is kept, and the last line names the scenarios that failed; the exit\n"
        "code is then 2 if one had bad input, else 1.\n",
    .after = NULL,
    .opts = run_opts,
    .complete = "*.cfg",
    .main = cmd_run_main,
};

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void span(const model_params *p, int months, char *first, char *last)
{
    int m0 = p->start_month - 1, ml = m0 + months - 1;
    snprintf(first, 16, "%04d-%02d", p->start_year, m0 + 1);
    snprintf(last, 16, "%04d-%02d", p->start_year + ml / 12, ml % 12 + 1);
}

static void print_single(const model_params *p, const run_summary *sum)
{
    printf("%s (%s), totals over the run:\n", p->agents[p->focus].name,
           p->agents[p->focus].code);
    printf("  %-10s %16s %16s %16s %9s\n", "good", "demand", "shortfall",
           "imported", "short %");
    for (int k = 0; k < p->n_goods; k++) {
        if (sum->demand[k] <= 0.0)
            continue;
        printf("  %-10s %16.0f %16.0f %16.0f %8.1f%%  (%s)\n",
               p->goods[k].name, sum->demand[k], sum->shortfall[k],
               sum->imports[k], 100.0 * sum->shortfall[k] / sum->demand[k],
               p->goods[k].unit);
    }
    printf("bloc at the end: %d members, cohesion %.3f, connectivity %.3f, "
           "hub share %.3f\n",
           sum->members, sum->cohesion, sum->connectivity, sum->hub_share);
    printf("events and incidents logged: %d\n", sum->n_events);
}

enum { F_SHORTFALL, F_IMPORTS, F_COHESION, F_CONNECTIVITY, F_HUB, F_MEMBERS };

static double summary_field(const run_summary *s, int field, int k)
{
    switch (field) {
    case F_SHORTFALL: return s->shortfall[k];
    case F_IMPORTS: return s->imports[k];
    case F_COHESION: return s->cohesion;
    case F_CONNECTIVITY: return s->connectivity;
    case F_HUB: return s->hub_share;
    default: return s->members;
    }
}

/* Median [5%, 95%] over the runs of one summary field. */
static void print_spread(const char *label, run_summary **s, int n, int field,
                         int k, const char *unit)
{
    double *x = malloc((size_t)n * sizeof *x), med, lo, hi;
    if (!x)
        return;
    for (int r = 0; r < n; r++)
        x[r] = summary_field(s[r], field, k);
    cmd_quantiles(x, 1, n, &med, &lo, &hi);
    printf("  %-28s %14.4g  [%.4g, %.4g]  %s\n", label, med, lo, hi, unit);
    free(x);
}

static void print_ensemble(const model_params *p, run_summary **s, int n)
{
    printf("%s (%s), totals over the run, median [5%%, 95%%] of %d runs:\n",
           p->agents[p->focus].name, p->agents[p->focus].code, n);
    char label[64];
    for (int k = 0; k < p->n_goods; k++) {
        if (s[0]->demand[k] <= 0.0)
            continue;
        snprintf(label, sizeof label, "%s shortfall", p->goods[k].name);
        print_spread(label, s, n, F_SHORTFALL, k, p->goods[k].unit);
        snprintf(label, sizeof label, "%s imported", p->goods[k].name);
        print_spread(label, s, n, F_IMPORTS, k, p->goods[k].unit);
    }
    printf("bloc at the end, median [5%%, 95%%]:\n");
    print_spread("cohesion", s, n, F_COHESION, -1, "");
    print_spread("connectivity", s, n, F_CONNECTIVITY, -1, "");
    print_spread("hub share", s, n, F_HUB, -1, "");
    print_spread("members", s, n, F_MEMBERS, -1, "");
}

/* One scenario of the batch. */
typedef struct {
    const char *file;     /* as given, or NULL: the built-in baseline */
    sim_config *c;
    char *path, *text;
    output *out;
    run_summary **sums;
    int rc;               /* EXIT_OK, or how it failed */
    char err[1024];       /* why, unless already printed */
    double seconds;       /* when its file was published */
    posterior_file *post; /* --posterior, bound to this scenario */
    param_ref *refs;
    char **units;         /* [post->d] their units (param_unit) */
    ensemble e;
} scenario;

typedef struct {
    scenario *s;
    int *member;          /* the scenario of each batch member */
    double t0;
} batch;

/* Under the batch's lock: publish a scenario's file, or drop it. */
static void finished(void *ctx, int m, int failed, const char *err)
{
    batch *b = ctx;
    scenario *s = &b->s[b->member[m]];
    char e[1024];
    if (!failed && output_close(s->out, e, sizeof e) == 0) {
        s->out = NULL;
        s->seconds = now_seconds() - b->t0;
        return;
    }
    if (!failed)
        err = e;
    output_abort(s->out);
    s->out = NULL;
    s->rc = EXIT_RUNTIME;
    snprintf(s->err, sizeof s->err, "%s", err);
}

/* Load scenario s and name its file: 0, or its exit code (the error
 * printed or left in s->err). */
static int prepare(scenario *s, const cmd_args *a, publish_inputs *inputs)
{
    static const char *const where[] = {"scenarios", NULL};
    char found[4096];
    const char *file = s->file ? cmd_find_file(s->file, where, found, sizeof found)
                               : NULL;
    int rc;
    if (!(s->c = cmd_load_scenario(file, a, &rc)))
        return rc;
    /* it and what it includes are inputs of every file of the batch */
    if (cmd_inputs_add_config(inputs, s->c) < 0) {
        snprintf(s->err, sizeof s->err, "out of memory");
        return EXIT_RUNTIME;
    }
    const model_params *p = config_params(s->c);
    int n = a->replicates;
    if (a->output) {
        s->path = strdup(a->output);
    } else {
        const char *dir = a->outdir ? a->outdir : "";
        size_t len = strlen(dir) + strlen(p->g.name) + 8;
        if ((s->path = malloc(len)))
            snprintf(s->path, len, "%s%s%s.h5", dir, *dir ? "/" : "", p->g.name);
    }
    s->text = config_resolved_text(s->c);
    s->sums = calloc((size_t)n, sizeof(run_summary *));
    int ok = s->path && s->text && s->sums;
    for (int r = 0; ok && r < n; r++)
        ok = (s->sums[r] = run_summary_alloc(p->n_goods)) != NULL;
    if (!ok) {
        snprintf(s->err, sizeof s->err, "out of memory");
        return EXIT_RUNTIME;
    }
    int n_vars;
    const char *const *vars = config_output_vars(s->c, &n_vars);
    if (cmd_preflight("run", p, vars, n_vars, 0, n, a->jobs, s->path))
        return EXIT_INPUT;
    if (a->posterior && !(s->post = cmd_load_posterior("run", a->posterior, p, &s->refs)))
        return EXIT_INPUT;
    if (s->post && !(s->units = cmd_posterior_units(s->post, p, s->refs))) {
        snprintf(s->err, sizeof s->err, "out of memory");
        return EXIT_RUNTIME;
    }
    return EXIT_OK;
}

/* Open scenario s's file (temporary until published): 0, or its exit
 * code with the reason in s->err. */
static int open_output(scenario *s, const cmd_args *a, const char *history,
                       const publish_inputs *inputs)
{
    const model_params *p = config_params(s->c);
    int n = a->replicates, n_vars;
    const char *const *vars = config_output_vars(s->c, &n_vars);
    const posterior_file *post = s->post;
    const output_attr attrs[] = {
        {"posterior", a->posterior ? a->posterior : "", 0},
        {"posterior_fit_hash", post ? post->fit_hash : "", 0},
        {"posterior_status", post ? post->status : "", 0}};
    output_opts opts = {.path = s->path, .config_text = s->text,
                        .history = history, .vars = vars, .n_vars = n_vars,
                        .n_runs = n, .master_seed = (unsigned long long)p->g.seed,
                        .n_params = post ? post->d : 0,
                        .param_names = post ? (const char *const *)post->param_names : NULL,
                        .param_units = (const char *const *)s->units,
                        .attrs = attrs, .n_attrs = post ? 3 : 0,
                        .inputs = inputs};
    if (!(s->out = output_open(p, &opts, s->err, sizeof s->err)))
        return EXIT_RUNTIME;
    /* with a posterior, run r draws its parameters from it */
    s->e = (ensemble){.p = p, .master = (unsigned long long)p->g.seed,
                      .n_runs = n, .jobs = a->jobs, .out = s->out,
                      .sums = s->sums, .post = post, .post_refs = s->refs,
                      .write_params = post != NULL};
    return EXIT_OK;
}

static void report(const scenario *s, const cmd_args *a)
{
    const model_params *p = config_params(s->c);
    char first[16], last[16];
    span(p, s->sums[0]->months, first, last);
    printf("scenario %s: %d months simulated (%s to %s), seed %llu%s\n",
           p->g.name, s->sums[0]->months, first, last,
           (unsigned long long)p->g.seed, a->replicates > 1 ? ", ensemble" : "");
    if (s->post)
        printf("parameters drawn from the posterior %s (%d parameters): the spread "
               "is parameter uncertainty plus chance\n", a->posterior, s->post->d);
    if (a->replicates == 1)
        print_single(p, s->sums[0]);
    else
        print_ensemble(p, s->sums, a->replicates);
    printf("wrote %s in %.3f s\n", s->path, s->seconds);
}

static void scenario_free(scenario *s, int n_runs)
{
    output_abort(s->out);
    for (int r = 0; s->sums && r < n_runs; r++)
        run_summary_free(s->sums[r]);
    free(s->sums);
    free(s->text);
    free(s->path);
    posterior_file_free(s->post);
    free(s->refs);
    free(s->units);
    config_free(s->c);
}

static int cmd_run_main(int argc, char **argv)
{
    cmd_args a;
    cmd_args_init(&a);
    int rc = cmd_parse(&cmd_run_spec, argc, argv, &a);
    if (rc) {
        cmd_args_free(&a);
        return rc > 0 ? EXIT_OK : EXIT_INPUT;
    }
    int n = a.n_operands > 0 ? a.n_operands : 1;
    if (a.output && n > 1) {
        cmd_error("run", "-o names one file, and %d scenarios are given: use "
                  "--outdir DIR (each goes to DIR/<scenario name>.h5)", n);
        cmd_args_free(&a);
        return EXIT_INPUT;
    }
    if (a.output && a.outdir) {
        cmd_error("run", "give either -o FILE or --outdir DIR, not both");
        cmd_args_free(&a);
        return EXIT_INPUT;
    }
    publish_catch_signals(); /* Ctrl-C, kill: no temporary file left */
    batch b = {.t0 = now_seconds()};
    scenario *s = calloc((size_t)n, sizeof *s);
    const ensemble **members = calloc((size_t)n, sizeof(const ensemble *));
    b.member = calloc((size_t)n, sizeof *b.member);
    char *history = cmd_history(argc + 1, argv - 1);
    publish_inputs *inputs = cmd_inputs("run", NULL, 0, NULL, 0);
    progress *pr = NULL;
    /* the posterior read is an input too */
    if (!s || !members || !b.member || !history || !inputs ||
        (a.posterior && publish_inputs_add(inputs, a.posterior) < 0)) {
        cmd_error("run", "out of memory");
        free(s);
        free(members);
        free(b.member);
        free(history);
        publish_inputs_free(inputs);
        cmd_args_free(&a);
        return EXIT_RUNTIME;
    }
    b.s = s;
    int n_members = 0;
    for (int k = 0; k < n; k++) {
        s[k].file = a.n_operands ? a.operands[k] : NULL;
        s[k].rc = prepare(&s[k], &a, inputs);
        /* two scenarios of one name would write one file */
        for (int j = 0; s[k].rc == EXIT_OK && j < k; j++)
            if (s[j].path && strcmp(s[j].path, s[k].path) == 0) {
                snprintf(s[k].err, sizeof s[k].err, "%s would write %s, as %s "
                         "does (give the scenarios different names)",
                         s[k].file ? s[k].file : "the baseline", s[k].path,
                         s[j].file ? s[j].file : "the baseline");
                s[k].rc = EXIT_INPUT;
            }
        if (s[k].rc != EXIT_OK && s[k].err[0]) {
            cmd_error("run", "%s", s[k].err);
            s[k].err[0] = '\0';
        }
    }
    /* every scenario's files known: no output may be one of them */
    for (int k = 0; k < n; k++) {
        if (s[k].rc == EXIT_OK)
            s[k].rc = cmd_check_output("run", s[k].path, inputs);
        if (s[k].rc == EXIT_OK)
            s[k].rc = open_output(&s[k], &a, history, inputs);
        if (s[k].rc == EXIT_OK) {
            b.member[n_members] = k;
            members[n_members++] = &s[k].e;
        } else if (s[k].err[0]) {
            cmd_error("run", "%s", s[k].err);
        }
    }
    if (n_members > 0) {
        long total = (long)n_members * a.replicates;
        pr = cmd_progress(&a, "run", "runs", total);
        ensemble_batch eb = {.jobs = a.jobs, .progress = progress_callback,
                             .progress_ctx = pr, .finished = finished,
                             .finished_ctx = &b};
        char err[1024];
        int failed = ensemble_run_many(members, n_members, &eb, err, sizeof err);
        progress_end(pr, failed == 0);
        if (failed < 0) {
            cmd_error("run", "%s", err);
            for (int j = 0; j < n_members; j++) {
                s[b.member[j]].rc = EXIT_RUNTIME;
                s[b.member[j]].err[0] = '\0';
            }
        }
        for (int j = 0; j < n_members; j++) {
            scenario *x = &s[b.member[j]];
            if (x->rc != EXIT_OK && x->err[0])
                cmd_error("run", "%s", x->err);
        }
    }
    rc = EXIT_OK;
    int failed = 0;
    for (int k = 0; k < n; k++) {
        if (s[k].rc == EXIT_OK && !a.quiet)
            report(&s[k], &a);
        failed += s[k].rc != EXIT_OK;
        rc = cmd_worse(rc, s[k].rc);
    }
    if (failed && n > 1) {
        char names[2048] = "";
        for (int k = 0, at = 0; k < n; k++)
            if (s[k].rc != EXIT_OK && at < (int)sizeof names)
                at += snprintf(names + at, sizeof names - (size_t)at, "%s%s",
                               at ? ", " : "", s[k].file ? s[k].file : "baseline");
        cmd_error("run", "%d of %d scenarios failed: %s", failed, n, names);
    }
    fflush(stdout);
    for (int k = 0; k < n; k++)
        scenario_free(&s[k], a.replicates);
    publish_inputs_free(inputs);
    free(s);
    free(members);
    free(b.member);
    free(history);
    cmd_args_free(&a);
    return rc;
}
