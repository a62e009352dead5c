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
#include "io/output.h"
#include "io/targets.h"

static const char compare_usage[] =
    "usage: sim compare A.cfg B.cfg [--replicates N] [--jobs J] [--seed N]\n"
    "                   [--months N] [--set path=value]... [--measures FILE]\n"
    "                   [--posterior FILE] [-o FILE] [--markdown] [-q]\n"
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
    "  --posterior FILE    run r of both scenarios draws the same parameter set\n"
    "                      from the posterior of `sim calibrate`; the table adds\n"
    "                      the 5-95% range of the paired differences of the runs\n"
    "\n"
    "The 95% interval is that of the mean difference (a t interval over the\n"
    "pairs): without --posterior it reflects chance only, with the parameters\n"
    "as they are; with --posterior, chance and what we do not know about the\n"
    "parameters.  The 5-95% range says how far one pair of runs may differ.\n"
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
                        const char *nb, int markdown, int spread)
{
    double tq = n > 1 ? gsl_cdf_tdist_Pinv(0.975, n - 1) : NAN;
    double *diff = spread ? malloc(((size_t)n + 1) * sizeof *diff) : NULL;
    if (spread && !diff)
        spread = 0;
    if (markdown) {
        printf("| figure | %s | %s | difference (95%% interval) |%s\n", na, nb,
               spread ? " 5-95% of run differences |" : "");
        printf("| --- | ---: | ---: | ---: |%s\n", spread ? " ---: |" : "");
    } else {
        printf("%-48s %12s %12s %26s%s\n", "figure (mean of runs)", "A", "B",
               "B - A [95% interval]", spread ? "   5-95% of run differences" : "");
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
        char range[80] = "";
        if (spread) {
            double med, lo, hi;
            for (int r = 0; r < n; r++)
                diff[r] = vb[(size_t)r * ms->n + k] - va[(size_t)r * ms->n + k];
            cmd_quantiles(diff, 1, n, &med, &lo, &hi);
            if (fabs(lo) <= eps && fabs(hi) <= eps)
                lo = hi = 0.0;
            snprintf(range, sizeof range, markdown ? " %+.4g to %+.4g |" : "   %+.4g to %+.4g",
                     lo, hi);
        }
        if (markdown)
            printf("| %s (%s) | %.4g | %.4g | %+.4g [%+.4g, %+.4g] |%s\n", x->label,
                   x->unit, ma, mb, md, md - half, md + half, range);
        else
            printf("%-48.48s %12.4g %12.4g %+12.4g [%+.4g, %+.4g] %s%s\n", x->label,
                   ma, mb, md, md - half, md + half, x->unit, range);
    }
    free(diff);
}

int cmd_compare(int argc, char **argv)
{
    const char **sets = calloc((size_t)argc + 1, sizeof *sets);
    scenario_opts o = {.sets = sets, .replicates = 30, .jobs = 1};
    const char *files[2] = {NULL, NULL}, *measures = NULL;
    int markdown = 0, rc = EXIT_INPUT;
    sim_config *c[2] = {NULL, NULL};
    target_file *tf = NULL;
    output *out = NULL;
    double *values[2] = {NULL, NULL};
    char *text[2] = {NULL, NULL}, *history = NULL, *path = NULL;
    char err[1024];
    posterior_file *post = NULL;
    param_ref *refs = NULL, *refs_b = NULL;
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
    if (o.posterior) {
        /* both scenarios must have the posterior's parameters */
        if (!(post = cmd_load_posterior("compare", o.posterior, pa, &refs)))
            goto done;
        refs_b = calloc((size_t)post->d + 1, sizeof *refs_b);
        if (!refs_b || posterior_bind(post, pb, refs_b, err, sizeof err)) {
            cmd_error("compare", "--posterior %s: %s: %s", o.posterior, files[1],
                      refs_b ? err : "out of memory");
            goto done;
        }
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
    static const char *const attr_names[] = {"posterior", "posterior_fit_hash",
                                             "posterior_status"};
    const char *attr_values[] = {o.posterior, post ? post->fit_hash : "",
                                 post ? post->status : ""};
    output_opts opts = {.path = path, .config_text = text[0], .history = history,
                        .vars = vars, .n_vars = n_vars, .n_runs = n,
                        .master_seed = master, .n_scenarios = 2,
                        .scenario_names = names, .scenario_configs = configs,
                        .n_params = post ? post->d : 0,
                        .param_names = post ? (const char *const *)post->param_names : NULL,
                        .attr_names = attr_names, .attr_values = attr_values,
                        .n_attrs = post ? 3 : 0};
    out = output_open(pa, &opts, err, sizeof err);
    if (!out) {
        cmd_error("compare", "%s", err);
        rc = EXIT_RUNTIME;
        goto done;
    }
    for (int s = 0; s < 2; s++) {
        /* with a posterior, run r of both draws the same parameters */
        ensemble e = {.p = s ? pb : pa, .master = master, .n_runs = n,
                      .jobs = o.jobs, .out = out, .scenario = s, .ms = tf->ms,
                      .values = values[s], .post = post, .post_refs = s ? refs_b : refs,
                      .write_params = post && s == 0};
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
        if (!markdown) {
            printf("A = %s, B = %s: %d paired runs each, master seed %llu\n",
                   names[0], names[1], n, master);
            if (post)
                printf("each pair draws its parameters from the posterior %s: the "
                       "95%% interval of the mean difference covers parameter\n"
                       "uncertainty and chance; 5-95%% of run differences is the "
                       "spread of one pair\n", o.posterior);
            else
                printf("the 95%% interval of the mean difference reflects chance "
                       "only (the parameters as they are; --posterior adds their "
                       "uncertainty)\n");
        }
        print_table(tf->ms, values[0], values[1], n, names[0], names[1], markdown,
                    post != NULL);
        if (!markdown)
            printf("wrote %s\n", path);
    }
    rc = EXIT_OK;
done:
    output_abort(out);
    posterior_file_free(post);
    free(refs);
    free(refs_b);
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
