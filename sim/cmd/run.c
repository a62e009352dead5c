/*
 * run.c - `sim run`: a run, or an ensemble of replicates, of a scenario
 * into one result file.
 */
#include "cmd.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "exp/ensemble.h"
#include "io/result/output.h"

static const char run_usage[] =
    "usage: sim run [SCENARIO.cfg] [-o FILE] [--seed N] [--months N]\n"
    "               [--set path=value]... [--replicates N] [--jobs J] [-q]\n"
    "\n"
    "Run a scenario and write its trajectories to an HDF5 (netCDF-4) file.\n"
    "Without SCENARIO.cfg the built-in baseline runs (scenarios/baseline.cfg\n"
    "as compiled into this binary).\n"
    "\n"
    "  -o, --output FILE   result file (default: <scenario name>.h5)\n"
    "  --seed N            master seed (overrides scenario.seed)\n"
    "  --months N          number of monthly steps (overrides scenario.months)\n"
    "  --set path=value    override any parameter, e.g.\n"
    "                      --set agents.RUS.sanctions=0.8\n"
    "                      --set routes.caspian.open=false\n"
    "                      --set events.nk_shells.date=2023-06 (repeatable)\n"
    "  --replicates N      an ensemble: N runs on the file's run axis, run r\n"
    "                      seeded from hash(master seed, r)\n"
    "  --jobs J            worker threads (default 1); the data do not\n"
    "                      depend on J\n"
    "  -q, --quiet         print nothing on success\n";

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

int cmd_run(int argc, char **argv)
{
    double t0 = now_seconds();
    publish_catch_signals(); /* Ctrl-C, kill: no temporary file left */
    const char **sets = calloc((size_t)argc + 1, sizeof *sets);
    scenario_opts o = {.sets = sets, .replicates = 1, .jobs = 1};
    int rc = EXIT_INPUT, n = 0;
    sim_config *c = NULL;
    output *out = NULL;
    run_summary **sums = NULL;
    char *text = NULL, *history = NULL, *path = NULL;
    publish_inputs *inputs = NULL;
    if (!sets) {
        cmd_error("run", "out of memory");
        return EXIT_RUNTIME;
    }
    for (int k = 1; k < argc; k++) {
        if (strcmp(argv[k], "-h") == 0 || strcmp(argv[k], "--help") == 0) {
            fputs(run_usage, stdout);
            free(sets);
            return EXIT_OK;
        }
        int used = cmd_scenario_option("run", argc, argv, &k, &o);
        if (used < 0)
            goto done;
        if (used)
            continue;
        if (argv[k][0] == '-' || o.scenario) {
            cmd_error("run", "unexpected argument '%s' (see 'sim run --help')",
                      argv[k]);
            goto done;
        }
        o.scenario = argv[k];
    }
    if (!(c = cmd_load_scenario(&o)))
        goto done;
    const model_params *p = config_params(c);
    n = o.replicates;
    if (o.output) {
        path = strdup(o.output);
    } else {
        path = malloc(strlen(p->g.name) + 4);
        if (path)
            sprintf(path, "%s.h5", p->g.name);
    }
    if (!path)
        cmd_error("run", "out of memory");
    if (!path || !(inputs = cmd_inputs("run", &o.scenario, 1))) {
        rc = EXIT_RUNTIME;
        goto done;
    }
    if ((rc = cmd_check_output("run", path, inputs)) != 0)
        goto done;
    rc = EXIT_INPUT;
    text = config_resolved_text(c);
    history = cmd_history(argc + 1, argv - 1);
    sums = calloc((size_t)n, sizeof(run_summary *));
    int ok = path && text && history && sums;
    for (int r = 0; ok && r < n; r++)
        ok = (sums[r] = run_summary_alloc(p->n_goods)) != NULL;
    if (!ok) {
        cmd_error("run", "out of memory");
        rc = EXIT_RUNTIME;
        goto done;
    }
    int n_vars;
    const char *const *vars = config_output_vars(c, &n_vars);
    if (cmd_preflight("run", p, vars, n_vars, 0, n, o.jobs, path))
        goto done;
    output_opts opts = {.path = path, .config_text = text, .history = history,
                        .vars = vars, .n_vars = n_vars, .n_runs = n,
                        .master_seed = (unsigned long long)p->g.seed,
                        .inputs = inputs};
    char err[1024];
    out = output_open(p, &opts, err, sizeof err);
    if (!out) {
        cmd_error("run", "%s", err);
        rc = EXIT_RUNTIME;
        goto done;
    }
    ensemble e = {.p = p, .master = (unsigned long long)p->g.seed,
                  .n_runs = n, .jobs = o.jobs, .out = out, .sums = sums};
    if (ensemble_run(&e, err, sizeof err) || output_close(out, err, sizeof err)) {
        cmd_error("run", "%s", err);
        rc = EXIT_RUNTIME;
        goto done;
    }
    out = NULL;
    if (!o.quiet) {
        char first[16], last[16];
        span(p, sums[0]->months, first, last);
        printf("scenario %s: %d months simulated (%s to %s), seed %llu%s\n",
               p->g.name, sums[0]->months, first, last,
               (unsigned long long)p->g.seed, n > 1 ? ", ensemble" : "");
        if (n == 1)
            print_single(p, sums[0]);
        else
            print_ensemble(p, sums, n);
        printf("wrote %s in %.3f s\n", path, now_seconds() - t0);
    }
    rc = EXIT_OK;
done:
    output_abort(out);
    publish_inputs_free(inputs);
    for (int r = 0; sums && r < n; r++)
        run_summary_free(sums[r]);
    free(sums);
    free(text);
    free(history);
    free(path);
    config_free(c);
    free(sets);
    return rc;
}
