/*
 * compare.c - `sim compare A.cfg B.cfg`: two scenarios run with the same
 * seeds (common random numbers), the paired differences of the headline
 * figures with 95% intervals, and both ensembles in one file with a
 * `scenario` axis.
 */
#include "cmd.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>

#include "exp/ensemble.h"
#include "io/result/output.h"
#include "io/targets.h"

static const char compare_usage[] =
    "usage: sim compare A.cfg B.cfg [--replicates N] [--jobs J] [--seed N]\n"
    "                   [--months N] [--set path=value]... [--measures FILE]\n"
    "                   [-o FILE] [--markdown] [-q]\n"
    "\n"
    "Run scenarios A and B with the same seeds (common random numbers) and\n"
    "print, for each headline figure, the mean of A, the mean of B and the\n"
    "mean paired difference B - A with its 95% interval.  Both ensembles go\n"
    "to one file (default A_vs_B.h5) on a `scenario` axis.  The overrides\n"
    "apply to both scenarios; the master seed is --seed or A's.\n"
    "\n"
    "  --replicates N      runs per scenario (default 30)\n"
    "  --jobs J            worker threads (default 1)\n"
    "  --measures FILE     headline figures (default: configs/headlines.cfg,\n"
    "                      compiled in)\n"
    "  --markdown          print the table as Markdown\n";


/* Can B's runs share A's file?  Same agents, goods, routes and records. */
static int same_shape(const model_params *a, const model_params *b, char *why,
                      size_t len)
{
    if (a->n_agents != b->n_agents || a->n_goods != b->n_goods ||
        a->n_routes != b->n_routes) {
        snprintf(why, len, "the scenarios differ in their agents, goods or routes");
        return 0;
    }
    for (int i = 0; i < a->n_agents; i++)
        if (strcmp(a->agents[i].code, b->agents[i].code) != 0) {
            snprintf(why, len, "agent %d is %s in A and %s in B", i,
                     a->agents[i].code, b->agents[i].code);
            return 0;
        }
    for (int k = 0; k < a->n_goods; k++)
        if (strcmp(a->goods[k].name, b->goods[k].name) != 0) {
            snprintf(why, len, "good %d differs", k);
            return 0;
        }
    for (int r = 0; r < a->n_routes; r++)
        if (strcmp(a->routes[r].name, b->routes[r].name) != 0) {
            snprintf(why, len, "route %d differs", r);
            return 0;
        }
    if (a->g.months != b->g.months || a->g.every != b->g.every ||
        a->start_year != b->start_year || a->start_month != b->start_month) {
        snprintf(why, len, "the scenarios cover different months (%d and %d "
                 "from %s and %s); use --months", a->g.months, b->g.months,
                 a->g.start, b->g.start);
        return 0;
    }
    return 1;
}

static void print_table(const measure_set *ms, const double *va,
                        const double *vb, int n, const char *na,
                        const char *nb, int markdown)
{
    double tq = n > 1 ? gsl_cdf_tdist_Pinv(0.975, n - 1) : NAN;
    if (markdown) {
        printf("| figure | %s | %s | difference (95%% interval) |\n", na, nb);
        printf("| --- | ---: | ---: | ---: |\n");
    } else {
        printf("%-48s %12s %12s %26s\n", "figure (mean of runs)", "A", "B",
               "B - A [95% interval]");
    }
    for (int k = 0; k < ms->n; k++) {
        double sa = 0, sb = 0, sd = 0, sdd = 0;
        int m = 0;
        for (int r = 0; r < n; r++) {
            double a = va[(size_t)r * ms->n + k], b = vb[(size_t)r * ms->n + k];
            if (!isfinite(a) || !isfinite(b))
                continue;
            sa += a;
            sb += b;
            sd += b - a;
            sdd += (b - a) * (b - a);
            m++;
        }
        double ma = sa / m, mb = sb / m, md = sd / m;
        double var = m > 1 ? (sdd - m * md * md) / (m - 1) : NAN;
        double half = tq * sqrt(fmax(var, 0.0) / m);
        /* differences at rounding level are zero */
        double eps = 1e-9 * (fabs(ma) + fabs(mb));
        if (fabs(md) <= eps && half <= eps)
            md = half = 0.0;
        const measure *x = &ms->m[k];
        if (markdown)
            printf("| %s (%s) | %.4g | %.4g | %+.4g [%+.4g, %+.4g] |\n", x->label,
                   x->unit, ma, mb, md, md - half, md + half);
        else
            printf("%-48.48s %12.4g %12.4g %+12.4g [%+.4g, %+.4g] %s\n", x->label,
                   ma, mb, md, md - half, md + half, x->unit);
    }
}

int cmd_compare(int argc, char **argv)
{
    const char **sets = calloc((size_t)argc + 1, sizeof *sets);
    scenario_opts o = {.sets = sets, .replicates = 30, .jobs = 1};
    publish_catch_signals(); /* Ctrl-C, kill: no temporary file left */
    const char *files[2] = {NULL, NULL}, *measures = NULL;
    int markdown = 0, rc = EXIT_INPUT;
    sim_config *c[2] = {NULL, NULL};
    target_file *tf = NULL;
    output *out = NULL;
    double *values[2] = {NULL, NULL};
    char *text[2] = {NULL, NULL}, *history = NULL, *path = NULL;
    publish_inputs *inputs = NULL;
    char err[1024];
    if (!sets)
        return EXIT_RUNTIME;
    for (int k = 1; k < argc; k++) {
        if (strcmp(argv[k], "-h") == 0 || strcmp(argv[k], "--help") == 0) {
            fputs(compare_usage, stdout);
            free(sets);
            return EXIT_OK;
        }
        if (strcmp(argv[k], "--markdown") == 0) {
            markdown = 1;
            continue;
        }
        if (strcmp(argv[k], "--measures") == 0) {
            if (k + 1 >= argc) {
                cmd_error("compare", "option --measures needs a value");
                goto done;
            }
            measures = argv[++k];
            continue;
        }
        int used = cmd_scenario_option("compare", argc, argv, &k, &o);
        if (used < 0)
            goto done;
        if (used)
            continue;
        if (argv[k][0] == '-' || files[1]) {
            cmd_error("compare", "unexpected argument '%s' (see 'sim compare --help')",
                      argv[k]);
            goto done;
        }
        files[files[0] ? 1 : 0] = argv[k];
    }
    if (!files[1]) {
        cmd_error("compare", "two scenario files are needed (see 'sim compare --help')");
        goto done;
    }
    for (int s = 0; s < 2; s++) {
        o.scenario = files[s];
        if (!(c[s] = cmd_load_scenario(&o)))
            goto done;
    }
    const model_params *pa = config_params(c[0]), *pb = config_params(c[1]);
    if (!same_shape(pa, pb, err, sizeof err)) {
        cmd_error("compare", "cannot pair %s and %s: %s", files[0], files[1], err);
        goto done;
    }
    config_error ce;
    tf = measures ? targets_load(measures, pa, &ce)
                  : targets_load_string(sim_embedded_headlines,
                                        "headlines.cfg (built in)", pa, &ce);
    if (!tf) {
        char line[1200];
        config_error_format(&ce, line, sizeof line);
        cmd_error("compare", "%s", line);
        goto done;
    }
    unsigned long long master = (unsigned long long)pa->g.seed;
    int n = o.replicates, nm = tf->ms->n;
    const char *names[2] = {pa->g.name, pb->g.name};
    if (strcmp(names[0], names[1]) == 0) {
        names[0] = "A";
        names[1] = "B";
    }
    if (o.output) {
        path = strdup(o.output);
    } else if ((path = malloc(strlen(names[0]) + strlen(names[1]) + 8))) {
        sprintf(path, "%s_vs_%s.h5", names[0], names[1]);
    }
    const char *read[3] = {files[0], files[1], measures};
    if (!path)
        cmd_error("compare", "out of memory");
    if (!path || !(inputs = cmd_inputs("compare", read, 3))) {
        rc = EXIT_RUNTIME;
        goto done;
    }
    if ((rc = cmd_check_output("compare", path, inputs)) != 0)
        goto done;
    rc = EXIT_INPUT;
    history = cmd_history(argc + 1, argv - 1);
    for (int s = 0; s < 2; s++) {
        text[s] = config_resolved_text(c[s]);
        values[s] = calloc((size_t)n * nm + 1, sizeof *values[s]);
    }
    if (!path || !history || !text[0] || !text[1] || !values[0] || !values[1]) {
        cmd_error("compare", "out of memory");
        rc = EXIT_RUNTIME;
        goto done;
    }
    int n_vars;
    const char *const *vars = config_output_vars(c[0], &n_vars);
    if (cmd_preflight("compare", pa, vars, n_vars, 2, n, o.jobs, path))
        goto done;
    const char *const configs[2] = {text[0], text[1]};
    output_opts opts = {.path = path, .config_text = text[0], .history = history,
                        .vars = vars, .n_vars = n_vars, .n_runs = n,
                        .master_seed = master, .n_scenarios = 2,
                        .scenario_names = names, .scenario_configs = configs,
                        .inputs = inputs};
    out = output_open(pa, &opts, err, sizeof err);
    if (!out) {
        cmd_error("compare", "%s", err);
        rc = EXIT_RUNTIME;
        goto done;
    }
    for (int s = 0; s < 2; s++) {
        ensemble e = {.p = s ? pb : pa, .master = master, .n_runs = n,
                      .jobs = o.jobs, .out = out, .scenario = s, .ms = tf->ms,
                      .values = values[s]};
        if (ensemble_run(&e, err, sizeof err)) {
            cmd_error("compare", "%s", err);
            rc = EXIT_RUNTIME;
            goto done;
        }
    }
    if (output_close(out, err, sizeof err)) {
        cmd_error("compare", "%s", err);
        rc = EXIT_RUNTIME;
        goto done;
    }
    out = NULL;
    if (!o.quiet) {
        if (!markdown)
            printf("A = %s, B = %s: %d paired runs each, master seed %llu\n",
                   names[0], names[1], n, master);
        print_table(tf->ms, values[0], values[1], n, names[0], names[1], markdown);
        if (!markdown)
            printf("wrote %s\n", path);
    }
    rc = EXIT_OK;
done:
    output_abort(out);
    publish_inputs_free(inputs);
    targets_free(tf);
    for (int s = 0; s < 2; s++) {
        config_free(c[s]);
        free(values[s]);
        free(text[s]);
    }
    free(history);
    free(path);
    free(sets);
    return rc;
}
