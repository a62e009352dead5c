/* SPDX-License-Identifier: GPL-3.0-or-later */
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

static const cmd_opt calibrate_opts[] = {
    {OPT_TARGETS, "targets and free parameters (required; configs/targets.cfg "
                  "in the shared data)"},
    {OPT_OUTPUT, "the fitted values (default configs/calibrated.cfg)"},
    {OPT_CHECK, NULL},
    {OPT_REPLICATES, "runs per evaluation (default 20)"},
    {OPT_JOBS, NULL},
    {OPT_MAX_ITER, NULL},
    {OPT_SEED, NULL},
    {OPT_MONTHS, NULL},
    {OPT_SET, NULL},
    {OPT_MARKDOWN, NULL},
    {OPT_PROGRESS, NULL},
    {OPT_PROGRESS_EVERY, NULL},
    {OPT_QUIET, NULL},
    {0, NULL}};

static int cmd_calibrate_main(int argc, char **argv);

const cmd_spec cmd_calibrate_spec = {
    .name = "calibrate",
    .operands = "[SCENARIO.cfg]",
    .summary = "fit free parameters to public figures (--targets FILE)",
    .about =
        "Fit the `free` parameters of the targets file so that the means of an\n"
        "ensemble land on the public figures (GSL nmsimplex2; every evaluation\n"
        "runs the same seeds).  Prints, per target, the figure, the range\n"
        "accepted, the model's median and 5-95% range, and whether the median\n"
        "is inside; writes the fitted values (default configs/calibrated.cfg,\n"
        "which scenarios/baseline.cfg includes).  Without SCENARIO.cfg the\n"
        "built-in baseline is used.  The progress of the fit counts\n"
        "iterations against --max-iter (it often converges earlier).\n",
    .opts = calibrate_opts,
    .complete = "*.cfg",
    .main = cmd_calibrate_main,
};

/* The fit's progress: iterations, with the objective as a note. */
static void fit_progress(void *ctx, int it, int max_iter, double objective,
                         double size)
{
    char note[64];
    snprintf(note, sizeof note, "objective %.4g, simplex %.3g", objective, size);
    progress_note(ctx, note);
    progress_callback(ctx, it, max_iter);
}

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

static int cmd_calibrate_main(int argc, char **argv)
{
    static const char *const where[] = {"scenarios", NULL};
    static const char *const twhere[] = {"configs", NULL};
    cmd_args o;
    cmd_args_init(&o);
    o.replicates = 20;
    int rc = cmd_parse(&cmd_calibrate_spec, argc, argv, &o);
    if (rc == 0 && o.n_operands > 1) {
        cmd_error("calibrate", "unexpected argument '%s': one scenario at a time "
                  "(see 'sim calibrate --help')", o.operands[1]);
        rc = -1;
    }
    if (rc) {
        cmd_args_free(&o);
        return rc > 0 ? EXIT_OK : EXIT_INPUT;
    }
    int check = o.check, markdown = o.markdown, max_iter = o.max_iter;
    publish_catch_signals(); /* Ctrl-C, kill: no temporary file left */
    publish_inputs *inputs = NULL;
    sim_config *c = NULL;
    target_file *tf = NULL;
    double *values = NULL, *x = NULL;
    model_params *fitted = NULL;
    char *history = NULL, err[1024], found[4096], tfound[4096];
    const char *targets =
        o.targets ? cmd_find_file(o.targets, twhere, tfound, sizeof tfound) : NULL;
    const char *scenario =
        o.n_operands ? cmd_find_file(o.operands[0], where, found, sizeof found) : NULL;
    rc = EXIT_INPUT;
    if (!targets) {
        cmd_error("calibrate", "--targets FILE is required (see 'sim calibrate --help')");
        goto done;
    }
    if (!(c = cmd_load_scenario(scenario, &o)))
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
        if (!(inputs = calibrate_inputs(scenario, targets, dest))) {
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
        if (tf->n_free == 0) {
            cmd_error("calibrate", "%s has no free parameters (or use --check)", targets);
            goto done;
        }
        progress *pr = cmd_progress(&o, "calibrate", "iterations", max_iter);
        calib_opts co = {.base = p, .tf = tf, .replicates = n, .jobs = o.jobs,
                         .master = master, .max_iter = max_iter, .tol = 1e-3,
                         .progress = pr ? fit_progress : NULL, .progress_ctx = pr};
        calib_result r = {.x = x};
        int fit = calibrate_fit(&co, &r, err, sizeof err);
        if (fit == 0) /* converged early: the iterations it took are all */
            progress_callback(pr, r.iterations, r.iterations);
        progress_end(pr, fit == 0);
        if (fit) {
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
    cmd_args_free(&o);
    return rc;
}
