/*
 * run.c - `sim run`: one run of a scenario into a result file.
 */
#include "cmd.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "exp/runner.h"
#include "io/output.h"

static const char run_usage[] =
    "usage: sim run [SCENARIO.cfg] [-o FILE] [--seed N] [--months N]\n"
    "               [--set path=value]... [-q]\n"
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
    "                      --set routes.caspian.open=false (repeatable)\n"
    "  -q, --quiet         print nothing on success\n";

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void print_summary(const model_params *p, const run_summary *sum,
                          const char *path, double seconds)
{
    char first[16], last[16];
    int y0 = p->start_year, m0 = p->start_month - 1;
    int ml = m0 + sum->months - 1;
    snprintf(first, sizeof first, "%04d-%02d", y0, m0 + 1);
    snprintf(last, sizeof last, "%04d-%02d", y0 + ml / 12, ml % 12 + 1);
    printf("scenario %s: %d months simulated (%s to %s), seed %llu\n",
           p->g.name, sum->months, first, last, (unsigned long long)p->g.seed);
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
    printf("wrote %s in %.3f s\n", path, seconds);
}

int cmd_run(int argc, char **argv)
{
    double t0 = now_seconds();
    const char **sets = calloc((size_t)argc + 1, sizeof *sets);
    scenario_opts o = {.sets = sets};
    int rc = EXIT_INPUT;
    sim_config *c = NULL;
    output *out = NULL;
    run_summary *sum = NULL;
    char *text = NULL, *history = NULL, *path = NULL;
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
    if (o.output) {
        path = strdup(o.output);
    } else {
        path = malloc(strlen(p->g.name) + 4);
        if (path)
            sprintf(path, "%s.h5", p->g.name);
    }
    text = config_resolved_text(c);
    history = cmd_history(argc + 1, argv - 1);
    sum = run_summary_alloc(p->n_goods);
    if (!path || !text || !history || !sum) {
        cmd_error("run", "out of memory");
        rc = EXIT_RUNTIME;
        goto done;
    }
    int n_vars;
    const char *const *vars = config_output_vars(c, &n_vars);
    output_opts opts = {.path = path, .config_text = text, .history = history,
                        .vars = vars, .n_vars = n_vars, .n_runs = 1,
                        .master_seed = (unsigned long long)p->g.seed};
    char err[1024];
    out = output_open(p, &opts, err, sizeof err);
    if (!out) {
        cmd_error("run", "%s", err);
        rc = EXIT_RUNTIME;
        goto done;
    }
    if (runner_run(p, (unsigned long long)p->g.seed, 0, out, sum, err,
                   sizeof err) ||
        output_close(out, err, sizeof err)) {
        cmd_error("run", "%s", err);
        output_abort(out);
        out = NULL;
        rc = EXIT_RUNTIME;
        goto done;
    }
    out = NULL;
    if (!o.quiet)
        print_summary(p, sum, path, now_seconds() - t0);
    rc = EXIT_OK;
done:
    output_abort(out);
    run_summary_free(sum);
    free(text);
    free(history);
    free(path);
    config_free(c);
    free(sets);
    return rc;
}
