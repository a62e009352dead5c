/*
 * calibrate.c - `sim calibrate`: fit the free parameters of a targets file
 * (GSL Nelder-Mead on ensemble means, common random numbers), print the
 * table of targets, and write the fitted values as a libconfig file that
 * the baseline includes.  With --check, only the table.
 */
#include "cmd.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "exp/calibrate.h"
#include "io/targets.h"

static const char calibrate_usage[] =
    "usage: sim calibrate [SCENARIO.cfg] --targets FILE [-o FILE] [--check]\n"
    "                     [--replicates N] [--jobs J] [--max-iter K]\n"
    "                     [--seed N] [--months N] [--set path=value]...\n"
    "                     [--markdown] [-q]\n"
    "\n"
    "Fit the `free` parameters of the targets file so that the means of an\n"
    "ensemble land on the public figures (GSL nmsimplex2; every evaluation\n"
    "runs the same seeds).  Prints, per target, the figure, the range\n"
    "accepted, the model's median and 5-95% range, and whether the median\n"
    "is inside; writes the fitted values (default configs/calibrated.cfg,\n"
    "which scenarios/baseline.cfg includes).  Without SCENARIO.cfg the\n"
    "built-in baseline is used.\n"
    "\n"
    "  --targets FILE      targets and free parameters (configs/targets.cfg)\n"
    "  --check             no fit: print the table for the scenario as it is;\n"
    "                      exit 4 if a median lies outside its range\n"
    "  --replicates N      runs per evaluation (default 20)\n"
    "  --jobs J            worker threads (default 1)\n"
    "  --max-iter K        simplex iterations (default 400)\n"
    "  --markdown          print the table as Markdown\n";

static int print_table(const measure_set *ms, const double *values, int n,
                       int markdown)
{
    int outside = 0;
    if (markdown) {
        printf("| target | public figure | range accepted | model median | model 5-95%% | inside |\n");
        printf("| --- | --- | --- | ---: | ---: | --- |\n");
    } else {
        printf("%-50s %-22s %-22s %11s %25s %s\n", "target", "public figure",
               "range", "median", "5-95%", "inside");
    }
    for (int k = 0; k < ms->n; k++) {
        const measure *m = &ms->m[k];
        double med, lo, hi;
        cmd_quantiles(values + k, (size_t)ms->n, n, &med, &lo, &hi);
        char range[64] = "";
        const char *in = "";
        if (m->has_target) {
            int ok = med >= m->lo && med <= m->hi;
            outside += !ok;
            in = ok ? "yes" : (markdown ? "**no**" : "NO");
            snprintf(range, sizeof range, "%.4g-%.4g %s", m->lo, m->hi, m->unit);
        }
        if (markdown)
            printf("| %s | %s | %s | %.4g %s | %.4g-%.4g | %s |\n", m->label,
                   m->figure, range, med, m->unit, lo, hi, in);
        else
            printf("%-50.50s %-22.22s %-22.22s %11.4g %12.4g-%-12.4g %s\n",
                   m->label, m->figure, range, med, lo, hi, in);
    }
    return outside;
}

#define CALIBRATED_MARK "# calibrated.cfg - written by `sim calibrate`"

/* The files the fit reads, less `dest` when it holds what an earlier
 * calibration wrote and is not the scenario or targets file itself (the
 * baseline includes configs/calibrated.cfg, which a new fit replaces: its
 * values are read before the fit starts). */
static publish_inputs *calibrate_inputs(const char *scenario,
                                        const char *targets, const char *dest)
{
    const char *files[2] = {scenario, targets};
    char first[sizeof CALIBRATED_MARK] = "";
    FILE *f = fopen(dest, "r");
    if (f) {
        if (!fgets(first, sizeof first, f))
            first[0] = '\0';
        fclose(f);
    }
    publish_inputs *in = cmd_inputs("calibrate", files, 2);
    publish_inputs *top = cmd_inputs("calibrate", NULL, 0);
    int ok = in && top && publish_inputs_add(top, targets) == 0 &&
             (!scenario || publish_inputs_add(top, scenario) == 0);
    if (ok && strcmp(first, CALIBRATED_MARK) == 0 &&
        !publish_inputs_match(top, dest))
        publish_inputs_remove(in, dest);
    publish_inputs_free(top);
    if (!ok) {
        publish_inputs_free(in);
        return NULL;
    }
    return in;
}

/* Write the fitted values through the publisher (temporary name, sync,
 * rename). */
static int write_calibrated(const char *path, const publish_inputs *in,
                            const target_file *tf, const double *x,
                            const char *command, const calib_result *r,
                            char *err, size_t len)
{
    publish_file *pf = publish_begin(path, in, NULL, err, len);
    FILE *f = pf ? publish_stream(pf) : NULL;
    if (!f) {
        if (pf)
            snprintf(err, len, "cannot create %s: out of memory", path);
        publish_abort(pf);
        return -1;
    }
    char date[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", &tm);
    fprintf(f, CALIBRATED_MARK "; the baseline includes it.\n"
               "# Its overrides are applied after configs/default.cfg.\n"
               "# Objective %.6g after %d iterations (%d evaluations)%s.\n"
               "calibrated = {\n  command = \"%s\";\n  date = \"%s\";\n  set = [\n",
            r->objective, r->iterations, r->evaluations,
            r->converged ? ", converged" : ", stopped at the iteration limit",
            command, date);
    for (int k = 0; k < tf->n_free; k++)
        fprintf(f, "    \"%s=%.10g\"%s\n", tf->free[k].path, x[k],
                k + 1 < tf->n_free ? "," : "");
    fprintf(f, "  ];\n};\n");
    return publish_commit(pf, in, err, len) == PUBLISH_OK ? 0 : -1;
}

int cmd_calibrate(int argc, char **argv)
{
    const char **sets = calloc((size_t)argc + 1, sizeof *sets);
    scenario_opts o = {.sets = sets, .replicates = 20, .jobs = 1};
    publish_catch_signals(); /* Ctrl-C, kill: no temporary file left */
    const char *targets = NULL;
    int check = 0, markdown = 0, max_iter = 400, rc = EXIT_INPUT;
    sim_config *c = NULL;
    target_file *tf = NULL;
    double *values = NULL, *x = NULL;
    model_params *fitted = NULL;
    char *history = NULL, err[1024];
    publish_inputs *inputs = NULL;
    if (!sets)
        return EXIT_RUNTIME;
    for (int k = 1; k < argc; k++) {
        if (strcmp(argv[k], "-h") == 0 || strcmp(argv[k], "--help") == 0) {
            fputs(calibrate_usage, stdout);
            free(sets);
            return EXIT_OK;
        }
        if (strcmp(argv[k], "--check") == 0 || strcmp(argv[k], "--markdown") == 0) {
            *(argv[k][2] == 'c' ? &check : &markdown) = 1;
            continue;
        }
        if (strcmp(argv[k], "--targets") == 0 || strcmp(argv[k], "--max-iter") == 0) {
            if (k + 1 >= argc) {
                cmd_error("calibrate", "option %s needs a value", argv[k]);
                goto done;
            }
            if (argv[k][2] == 't') {
                targets = argv[++k];
                continue;
            }
            char *end;
            long v = strtol(argv[++k], &end, 10);
            if (*end || v < 1 || v > 100000) {
                cmd_error("calibrate", "--max-iter: '%s' is not a whole number "
                          "from 1 to 100000", argv[k]);
                goto done;
            }
            max_iter = (int)v;
            continue;
        }
        int used = cmd_scenario_option("calibrate", argc, argv, &k, &o);
        if (used < 0)
            goto done;
        if (used)
            continue;
        if (argv[k][0] == '-' || o.scenario) {
            cmd_error("calibrate", "unexpected argument '%s' (see 'sim calibrate --help')",
                      argv[k]);
            goto done;
        }
        o.scenario = argv[k];
    }
    if (!targets) {
        cmd_error("calibrate", "--targets FILE is required (see 'sim calibrate --help')");
        goto done;
    }
    if (!(c = cmd_load_scenario(&o)))
        goto done;
    const model_params *p = config_params(c);
    config_error ce;
    if (!(tf = targets_load(targets, p, &ce))) {
        char line[1200];
        config_error_format(&ce, line, sizeof line);
        cmd_error("calibrate", "%s", line);
        goto done;
    }
    /* the destination, refused now rather than after the fit */
    const char *dest = o.output ? o.output : "configs/calibrated.cfg";
    if (!check) {
        if (!(inputs = calibrate_inputs(o.scenario, targets, dest))) {
            rc = EXIT_RUNTIME;
            goto done;
        }
        if ((rc = cmd_check_output("calibrate", dest, inputs)) != 0)
            goto done;
        rc = EXIT_INPUT;
    }
    int n = o.replicates;
    unsigned long long master = (unsigned long long)p->g.seed;
    values = calloc((size_t)n * tf->ms->n + 1, sizeof *values);
    x = calloc((size_t)tf->n_free + 1, sizeof *x);
    fitted = params_copy(p);
    history = cmd_history(argc + 1, argv - 1);
    if (!values || !x || !fitted || !history) {
        cmd_error("calibrate", "out of memory");
        rc = EXIT_RUNTIME;
        goto done;
    }
    if (!check) {
        calib_opts co = {.base = p, .tf = tf, .replicates = n, .jobs = o.jobs,
                         .master = master, .max_iter = max_iter, .tol = 1e-3,
                         .progress = o.quiet ? NULL : stderr};
        calib_result r = {.x = x};
        if (tf->n_free == 0) {
            cmd_error("calibrate", "%s has no free parameters (or use --check)", targets);
            goto done;
        }
        if (calibrate_fit(&co, &r, err, sizeof err)) {
            cmd_error("calibrate", "%s", err);
            rc = EXIT_RUNTIME;
            goto done;
        }
        for (int k = 0; k < tf->n_free; k++)
            param_set(fitted, tf->free[k].ref, x[k]);
        if (write_calibrated(dest, inputs, tf, x, history, &r, err, sizeof err)) {
            cmd_error("calibrate", "%s", err);
            rc = EXIT_RUNTIME;
            goto done;
        }
        if (!o.quiet) {
            printf("fitted %d parameters in %d iterations (%d evaluations of %d runs), "
                   "objective %.4g%s; wrote %s\n", tf->n_free, r.iterations,
                   r.evaluations, n, r.objective,
                   r.converged ? "" : " (iteration limit reached)", dest);
            for (int k = 0; k < tf->n_free; k++)
                printf("  %-32s %.6g\n", tf->free[k].path, x[k]);
        }
    }
    if (calibrate_evaluate(fitted, tf->ms, n, o.jobs, master, values, err, sizeof err)) {
        cmd_error("calibrate", "%s", err);
        rc = EXIT_RUNTIME;
        goto done;
    }
    int outside = 0;
    if (!o.quiet || check)
        outside = print_table(tf->ms, values, n, markdown);
    rc = check && outside ? EXIT_OUTSIDE : EXIT_OK;
done:
    publish_inputs_free(inputs);
    targets_free(tf);
    free(values);
    free(x);
    params_free(fitted);
    free(history);
    config_free(c);
    free(sets);
    return rc;
}
