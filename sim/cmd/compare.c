/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * compare.c - `sim compare BASE.cfg S1.cfg [S2.cfg ...]`: scenarios run
 * with the same seeds (common random numbers), the paired differences of
 * each scenario's headline figures from the base with 95% intervals, as
 * one table (text, Markdown or CSV), and every ensemble in one file with
 * a `scenario` axis.
 */
#include "cmd.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>

#include "exp/ensemble.h"
#include "io/result/output.h"
#include "io/targets.h"

static const cmd_opt compare_opts[] = {
    {OPT_REPLICATES, "runs per scenario (default 30)"},
    {OPT_JOBS, "worker threads (default 1), shared by the runs of every "
               "scenario"},
    {OPT_SEED, "master seed (default: the base scenario's)"},
    {OPT_MONTHS, NULL},
    {OPT_SET, "override a parameter in every scenario (repeatable)"},
    {OPT_MEASURES, NULL},
    {OPT_OUTPUT, "the result file (default BASE_vs_S1.h5; with more "
                 "scenarios BASE_vs_S1_S2....h5)"},
    {OPT_FORMAT, NULL},
    {OPT_MARKDOWN, NULL},
    {OPT_TABLE, NULL},
    {OPT_POSTERIOR, "run r of every scenario draws the same parameter set from "
                    "this posterior of `sim calibrate` (picked by weight with "
                    "hash(seed, r)); the table adds the 5-95% range of the runs' "
                    "paired differences"},
    {OPT_PROGRESS, NULL},
    {OPT_PROGRESS_EVERY, NULL},
    {OPT_QUIET, "print no table on stdout (--table still writes one)"},
    {0, NULL}};

static int cmd_compare_main(int argc, char **argv);

const cmd_spec cmd_compare_spec = {
    .name = "compare",
    .operands = "BASE.cfg SCENARIO.cfg...",
    .summary = "paired ensembles of scenarios against a base (same seeds)",
    .about =
        "Run the base scenario and every other scenario with the same seeds\n"
        "(common random numbers) and print one table: for each headline\n"
        "figure, the mean of the base and of each scenario, and each\n"
        "scenario's mean paired difference from the base with its 95% t\n"
        "interval.  Every ensemble goes to one file on a `scenario` axis.\n"
        "The overrides apply to every scenario; the master seed is --seed or\n"
        "the base's.  The scenarios must share their agents, goods, routes\n"
        "and months (use --months).\n"
        "\n"
        "--format csv gives one row per figure and scenario:\n"
        "  figure,unit,base,scenario,base_mean,scenario_mean,difference,low,high,runs\n"
        "(with --posterior, two more columns: run_low,run_high).\n",
    .after =
        "The 95% interval is that of the mean difference (a t interval over\n"
        "the pairs).  Without --posterior it reflects chance only, the\n"
        "parameters taken as they are; with --posterior, chance and what we\n"
        "do not know about the parameters.  The 5-95% range of the run\n"
        "differences says how far one pair of runs may differ.\n",
    .opts = compare_opts,
    .complete = "*.cfg",
    .main = cmd_compare_main,
};

/* Can b's runs share a's file?  Same agents, goods, routes and records. */
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

/* Means and the paired difference of figure k between scenario s and the
 * base. */
typedef struct {
    double base, mean, diff, lo, hi;
    double run_lo, run_hi; /* 5% and 95% of the runs' differences */
    int runs;
} paired;

static paired pair_stats(const double *va, const double *vb, int n, int nm,
                         int k)
{
    double *d = malloc(((size_t)n + 1) * sizeof *d), med;
    double sa = 0, sb = 0, sd = 0, sdd = 0;
    int m = 0;
    for (int r = 0; r < n; r++) {
        double a = va[(size_t)r * nm + k], b = vb[(size_t)r * nm + k];
        if (!isfinite(a) || !isfinite(b))
            continue;
        sa += a;
        sb += b;
        sd += b - a;
        sdd += (b - a) * (b - a);
        m++;
    }
    double tq = m > 1 ? gsl_cdf_tdist_Pinv(0.975, m - 1) : NAN;
    paired p = {.runs = m};
    p.base = sa / m;
    p.mean = sb / m;
    double md = sd / m;
    double var = m > 1 ? (sdd - m * md * md) / (m - 1) : NAN;
    double half = tq * sqrt(fmax(var, 0.0) / m);
    /* differences at rounding level are zero */
    double eps = 1e-9 * (fabs(p.base) + fabs(p.mean));
    if (fabs(md) <= eps && half <= eps)
        md = half = 0.0;
    p.diff = md;
    p.lo = md - half;
    p.hi = md + half;
    p.run_lo = p.run_hi = NAN;
    if (d) {
        for (int r = 0; r < n; r++)
            d[r] = vb[(size_t)r * nm + k] - va[(size_t)r * nm + k];
        cmd_quantiles(d, 1, n, &med, &p.run_lo, &p.run_hi);
        if (fabs(p.run_lo) <= eps && fabs(p.run_hi) <= eps)
            p.run_lo = p.run_hi = 0.0;
        free(d);
    }
    return p;
}

/* A growing text buffer. */
typedef struct {
    char *s;
    size_t len, cap;
    int failed;
} text;

static void put(text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(text *t, const char *fmt, ...)
{
    va_list ap;
    for (;;) {
        va_start(ap, fmt);
        int n = t->failed ? -1
                          : vsnprintf(t->s ? t->s + t->len : NULL,
                                      t->s ? t->cap - t->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0) {
            t->failed = 1;
            return;
        }
        if (t->s && t->len + (size_t)n < t->cap) {
            t->len += (size_t)n;
            return;
        }
        size_t cap = (t->cap ? 2 * t->cap : 4096) + (size_t)n;
        char *grown = realloc(t->s, cap);
        if (!grown) {
            t->failed = 1;
            return;
        }
        t->s = grown;
        t->cap = cap;
    }
}

/* A CSV field: quoted when it holds a comma, a quote or a line break. */
static void put_csv(text *t, const char *s)
{
    if (!strpbrk(s, ",\"\n\r")) {
        put(t, "%s", s);
        return;
    }
    put(t, "\"");
    for (; *s; s++) {
        if (*s == '"')
            put(t, "\"\"");
        else
            put(t, "%c", *s);
    }
    put(t, "\"");
}

enum { FMT_TEXT, FMT_MD, FMT_CSV };

/* The table of the figures of scenarios 1..ns-1 against scenario 0. */
static void table(text *t, int fmt, const measure_set *ms, double *const *v,
                  int ns, int n, const char *const *names,
                  unsigned long long master, const char *posterior)
{
    int nm = ms->n, spread = posterior != NULL;
    if (fmt == FMT_CSV) {
        put(t, "figure,unit,base,scenario,base_mean,scenario_mean,difference,"
               "low,high,runs%s\n", spread ? ",run_low,run_high" : "");
        for (int k = 0; k < nm; k++)
            for (int s = 1; s < ns; s++) {
                paired p = pair_stats(v[0], v[s], n, nm, k);
                put_csv(t, ms->m[k].label);
                put(t, ",");
                put_csv(t, ms->m[k].unit);
                put(t, ",");
                put_csv(t, names[0]);
                put(t, ",");
                put_csv(t, names[s]);
                put(t, ",%.10g,%.10g,%.10g,%.10g,%.10g,%d", p.base, p.mean,
                    p.diff, p.lo, p.hi, p.runs);
                if (spread)
                    put(t, ",%.10g,%.10g", p.run_lo, p.run_hi);
                put(t, "\n");
            }
        return;
    }
    if (fmt == FMT_MD) {
        put(t, "| figure | %s |", names[0]);
        for (int s = 1; s < ns; s++) {
            put(t, ns == 2 ? " %s | difference (95%% interval) |"
                           : " %s | %s - %s (95%% interval) |",
                names[s], names[s], names[0]);
            if (spread)
                put(t, " 5-95%% of run differences |");
        }
        put(t, "\n| --- | ---: |");
        for (int s = 1; s < ns; s++)
            put(t, spread ? " ---: | ---: | ---: |" : " ---: | ---: |");
        put(t, "\n");
        for (int k = 0; k < nm; k++) {
            const measure *x = &ms->m[k];
            paired p0 = pair_stats(v[0], v[1], n, nm, k);
            put(t, "| %s (%s) | %.4g |", x->label, x->unit, p0.base);
            for (int s = 1; s < ns; s++) {
                paired p = pair_stats(v[0], v[s], n, nm, k);
                put(t, " %.4g | %+.4g [%+.4g, %+.4g] |", p.mean, p.diff, p.lo,
                    p.hi);
                if (spread)
                    put(t, " %+.4g to %+.4g |", p.run_lo, p.run_hi);
            }
            put(t, "\n");
        }
        return;
    }
    if (ns == 2) {
        put(t, "A = %s, B = %s: %d paired runs each, master seed %llu\n",
            names[0], names[1], n, master);
        if (spread)
            put(t, "each pair draws its parameters from the posterior %s: the 95%% "
                   "interval of the mean difference covers parameter uncertainty "
                   "and chance; 5-95%% of run differences is the spread of one "
                   "pair\n", posterior);
        else
            put(t, "the 95%% interval of the mean difference reflects chance only "
                   "(the parameters as they are; --posterior adds their "
                   "uncertainty)\n");
        put(t, "%-48s %12s %12s %26s%s\n", "figure (mean of runs)", "A", "B",
            "B - A [95% interval]", spread ? "   5-95% of run differences" : "");
        for (int k = 0; k < nm; k++) {
            paired p = pair_stats(v[0], v[1], n, nm, k);
            put(t, "%-48.48s %12.4g %12.4g %+12.4g [%+.4g, %+.4g] %s", ms->m[k].label,
                p.base, p.mean, p.diff, p.lo, p.hi, ms->m[k].unit);
            if (spread)
                put(t, "   %+.4g to %+.4g", p.run_lo, p.run_hi);
            put(t, "\n");
        }
        return;
    }
    put(t, "base = %s; %d scenarios against it, %d paired runs each, master "
           "seed %llu\n", names[0], ns - 1, n, master);
    put(t, "columns: the mean of the base, then each scenario's mean paired "
           "difference from it [95%% interval]%s\n",
        spread ? " (5-95% of the run differences)" : "");
    if (spread)
        put(t, "each run draws its parameters from the posterior %s: the intervals "
               "cover parameter uncertainty and chance\n", posterior);
    int w = 21; /* the label column: the longest "label (unit)" */
    for (int k = 0; k < nm; k++) {
        int len = (int)(strlen(ms->m[k].label) + strlen(ms->m[k].unit) + 3);
        w = len > w ? len : w;
    }
    w = w > 72 ? 72 : w;
    put(t, "%-*s %11s", w, "figure (mean of runs)", names[0]);
    for (int s = 1; s < ns; s++)
        put(t, s + 1 < ns ? "  %-34s" : "  %s", names[s]);
    put(t, "\n");
    for (int k = 0; k < nm; k++) {
        paired p0 = pair_stats(v[0], v[1], n, nm, k);
        char label[160];
        snprintf(label, sizeof label, "%s (%s)", ms->m[k].label, ms->m[k].unit);
        put(t, "%-*.*s %11.4g", w, w, label, p0.base);
        for (int s = 1; s < ns; s++) {
            paired p = pair_stats(v[0], v[s], n, nm, k);
            char cell[160];
            int at = snprintf(cell, sizeof cell, "%+.4g [%+.4g, %+.4g]", p.diff, p.lo,
                              p.hi);
            if (spread)
                snprintf(cell + at, sizeof cell - (size_t)at, " (%+.4g to %+.4g)",
                         p.run_lo, p.run_hi);
            put(t, s + 1 < ns ? "  %-34s" : "  %s", cell);
        }
        put(t, "\n");
    }
}

/* The format of --table FILE: --format, --markdown, or FILE's extension. */
static int table_format(const cmd_args *a, const char *file)
{
    if (a->format)
        return strcmp(a->format, "md") == 0 ? FMT_MD
               : strcmp(a->format, "csv") == 0 ? FMT_CSV
                                                : FMT_TEXT;
    if (a->markdown)
        return FMT_MD;
    const char *dot = file ? strrchr(file, '.') : NULL;
    if (dot && strcmp(dot, ".md") == 0)
        return FMT_MD;
    if (dot && strcmp(dot, ".csv") == 0)
        return FMT_CSV;
    return FMT_TEXT;
}

static int clash(const char *const *names, int ns)
{
    for (int s = 0; s < ns; s++)
        for (int t = 0; t < s; t++)
            if (strcmp(names[s], names[t]) == 0)
                return 1;
    return 0;
}

/* Unique scenario names: each scenario's name; when two are the same, the
 * file names' stems; when those are too, A and B (two scenarios) or S<k>. */
static void unique_names(const char **names, char **own, int ns,
                         const char *const *files)
{
    if (!clash(names, ns))
        return;
    for (int s = 0; s < ns; s++) {
        const char *base = strrchr(files[s], '/') ? strrchr(files[s], '/') + 1
                                                   : files[s];
        size_t len = strcspn(base, ".");
        if (!(own[s] = malloc(len + 16)))
            return;
        snprintf(own[s], len + 16, "%.*s", (int)len, base);
        names[s] = own[s];
    }
    if (!clash(names, ns))
        return;
    for (int s = 0; s < ns; s++) {
        if (ns == 2)
            snprintf(own[s], 16, "%s", s ? "B" : "A");
        else
            snprintf(own[s], 16, "S%d", s);
    }
}

static int cmd_compare_main(int argc, char **argv)
{
    static const char *const where[] = {"scenarios", NULL};
    static const char *const mwhere[] = {"configs", NULL};
    cmd_args a;
    cmd_args_init(&a);
    a.replicates = 30;
    int rc = cmd_parse(&cmd_compare_spec, argc, argv, &a);
    if (rc) {
        cmd_args_free(&a);
        return rc > 0 ? EXIT_OK : EXIT_INPUT;
    }
    publish_catch_signals(); /* Ctrl-C, kill: no temporary file left */
    rc = EXIT_INPUT;
    int ns = a.n_operands;
    sim_config **c = calloc((size_t)ns + 1, sizeof(sim_config *));
    double **values = calloc((size_t)ns + 1, sizeof *values);
    char **texts = calloc((size_t)ns + 1, sizeof *texts);
    char **own = calloc((size_t)ns + 1, sizeof *own);
    char (*files)[4096] = calloc((size_t)ns + 1, sizeof *files);
    const char **names = calloc((size_t)ns + 1, sizeof *names);
    const char **file_ptrs = calloc((size_t)ns + 1, sizeof *file_ptrs);
    ensemble *ens = calloc((size_t)ns + 1, sizeof *ens);
    const ensemble **members = calloc((size_t)ns + 1, sizeof(const ensemble *));
    target_file *tf = NULL;
    output *out = NULL;
    publish_inputs *inputs = NULL;
    char *history = NULL, *path = NULL;
    text tab = {0};
    progress *pr = NULL;
    char err[1024];
    posterior_file *post = NULL;
    char **punits = NULL;
    param_ref **refs = calloc((size_t)ns + 1, sizeof(param_ref *));
    if (!c || !values || !texts || !own || !files || !names || !file_ptrs ||
        !ens || !members || !refs) {
        cmd_error("compare", "out of memory");
        rc = EXIT_RUNTIME;
        goto done;
    }
    if (ns < 2) {
        cmd_error("compare", "two scenario files are needed, the base and one to "
                  "compare with it (see 'sim compare --help')");
        goto done;
    }
    for (int s = 0; s < ns; s++) {
        file_ptrs[s] = cmd_find_file(a.operands[s], where, files[s], sizeof files[s]);
        if (!(c[s] = cmd_load_scenario(file_ptrs[s], &a, &rc)))
            goto done;
    }
    const model_params *pa = config_params(c[0]);
    for (int s = 1; s < ns; s++)
        if (!same_shape(pa, config_params(c[s]), err, sizeof err)) {
            cmd_error("compare", "cannot pair %s and %s: %s", a.operands[0],
                      a.operands[s], err);
            goto done;
        }
    if (a.posterior) {
        /* every scenario has the posterior's parameters; run r of each
         * draws the same particle */
        if (!(post = cmd_load_posterior("compare", a.posterior, pa, &refs[0])))
            goto done;
        for (int s = 1; s < ns; s++) {
            refs[s] = calloc((size_t)post->d + 1, sizeof **refs);
            if (!refs[s] || posterior_bind(post, config_params(c[s]), refs[s], err,
                                           sizeof err)) {
                cmd_error("compare", "--posterior %s: %s: %s", a.posterior,
                          a.operands[s], refs[s] ? err : "out of memory");
                goto done;
            }
        }
        if (!(punits = cmd_posterior_units(post, pa, refs[0]))) {
            cmd_error("compare", "out of memory");
            rc = EXIT_RUNTIME;
            goto done;
        }
    }
    config_error ce;
    char mfound[4096];
    tf = a.measures ? targets_load(cmd_find_file(a.measures, mwhere, mfound,
                                                 sizeof mfound),
                                   pa, &ce)
                    : targets_load_string(sim_embedded_headlines,
                                          "headlines.cfg (built in)", pa, &ce);
    if (!tf) {
        char line[1200];
        config_error_format(&ce, line, sizeof line);
        cmd_error("compare", "%s", line);
        rc = cmd_config_exit(&ce);
        goto done;
    }
    unsigned long long master = (unsigned long long)pa->g.seed;
    int n = a.replicates, nm = tf->ms->n;
    for (int s = 0; s < ns; s++)
        names[s] = config_params(c[s])->g.name;
    unique_names(names, own, ns, (const char *const *)a.operands);
    if (a.output) {
        path = strdup(a.output);
    } else {
        size_t len = 16;
        for (int s = 0; s < ns; s++)
            len += strlen(names[s]) + 1;
        if ((path = malloc(len))) {
            size_t at = (size_t)snprintf(path, len, "%s_vs", names[0]);
            for (int s = 1; s < ns; s++)
                at += (size_t)snprintf(path + at, len - at, "_%s", names[s]);
            snprintf(path + at, len - at, ".h5");
        }
    }
    file_ptrs[ns] = a.measures ? mfound : NULL; /* read too */
    if (!path)
        cmd_error("compare", "out of memory");
    if (!path || !(inputs = cmd_inputs("compare", &file_ptrs[ns], 1,
                                          (const sim_config *const *)c, ns)) ||
        (a.posterior && publish_inputs_add(inputs, a.posterior) < 0)) {
        if (path && inputs)
            cmd_error("compare", "out of memory");
        rc = EXIT_RUNTIME;
        goto done;
    }
    if ((rc = cmd_check_output("compare", path, inputs)) != 0)
        goto done;
    rc = EXIT_INPUT;
    history = cmd_history(argc + 1, argv - 1);
    int ok = path && history;
    for (int s = 0; ok && s < ns; s++) {
        texts[s] = config_resolved_text(c[s]);
        values[s] = calloc((size_t)n * nm + 1, sizeof *values[s]);
        ok = texts[s] && values[s];
    }
    if (!ok) {
        cmd_error("compare", "out of memory");
        rc = EXIT_RUNTIME;
        goto done;
    }
    if (a.table) {
        if (publish_same_target(a.table, path)) {
            cmd_error("compare", "--table %s is the result file %s: give another "
                      "name", a.table, path);
            goto done;
        }
        if ((rc = cmd_check_output("compare", a.table, inputs)) != 0)
            goto done;
        rc = EXIT_INPUT;
    }
    int n_vars;
    const char *const *vars = config_output_vars(c[0], &n_vars);
    if (cmd_preflight("compare", pa, vars, n_vars, ns, n, a.jobs, path))
        goto done;
    const output_attr attrs[] = {
        {"posterior", a.posterior ? a.posterior : "", 0},
        {"posterior_fit_hash", post ? post->fit_hash : "", 0},
        {"posterior_status", post ? post->status : "", 0}};
    output_opts opts = {.path = path, .config_text = texts[0], .history = history,
                        .vars = vars, .n_vars = n_vars, .n_runs = n,
                        .master_seed = master, .n_scenarios = ns,
                        .scenario_names = names,
                        .scenario_configs = (const char *const *)texts,
                        .n_params = post ? post->d : 0,
                        .param_names = post ? (const char *const *)post->param_names : NULL,
                        .param_units = (const char *const *)punits,
                        .attrs = attrs, .n_attrs = post ? 3 : 0,
                        .inputs = inputs};
    out = output_open(pa, &opts, err, sizeof err);
    if (!out) {
        cmd_error("compare", "%s", err);
        rc = EXIT_RUNTIME;
        goto done;
    }
    for (int s = 0; s < ns; s++) {
        ens[s] = (ensemble){.p = config_params(c[s]), .master = master,
                            .n_runs = n, .out = out, .scenario = s,
                            .ms = tf->ms, .values = values[s], .post = post,
                            .post_refs = refs[s], .write_params = post && s == 0};
        members[s] = &ens[s];
    }
    pr = cmd_progress(&a, "compare", "runs", (long)ns * n);
    ensemble_batch eb = {.jobs = a.jobs, .stop_on_failure = 1,
                         .progress = progress_callback, .progress_ctx = pr};
    int failed = ensemble_run_many(members, ns, &eb, err, sizeof err);
    progress_end(pr, failed == 0);
    if (failed) {
        cmd_error("compare", "%s", err);
        rc = EXIT_RUNTIME;
        goto done;
    }
    if (output_close(out, err, sizeof err)) {
        out = NULL;
        cmd_error("compare", "%s", err);
        rc = EXIT_RUNTIME;
        goto done;
    }
    out = NULL;
    if (a.table) {
        table(&tab, table_format(&a, a.table), tf->ms, values, ns, n, names, master,
              post ? a.posterior : NULL);
        if (tab.failed) {
            cmd_error("compare", "out of memory");
            rc = EXIT_RUNTIME;
            goto done;
        }
        /* the result file is an input of the table now */
        if (publish_inputs_add(inputs, path) != 0 ||
            cmd_write_file("compare", a.table, tab.s, tab.len, inputs)) {
            rc = EXIT_RUNTIME;
            goto done;
        }
        tab.len = 0;
    }
    if (!a.quiet) {
        int fmt = a.format ? table_format(&a, NULL) : a.markdown ? FMT_MD : FMT_TEXT;
        table(&tab, fmt, tf->ms, values, ns, n, names, master,
              post ? a.posterior : NULL);
        if (fmt == FMT_TEXT)
            put(&tab, "wrote %s%s%s\n", path, a.table ? " and " : "",
                a.table ? a.table : "");
        if (tab.failed) {
            cmd_error("compare", "out of memory");
            rc = EXIT_RUNTIME;
            goto done;
        }
        fwrite(tab.s, 1, tab.len, stdout);
    }
    rc = EXIT_OK;
done:
    output_abort(out);
    publish_inputs_free(inputs);
    targets_free(tf);
    posterior_file_free(post);
    free(punits);
    for (int s = 0; refs && s < ns; s++)
        free(refs[s]);
    free(refs);
    for (int s = 0; s < ns; s++) {
        if (c)
            config_free(c[s]);
        if (values)
            free(values[s]);
        if (texts)
            free(texts[s]);
        if (own)
            free(own[s]);
    }
    free(c);
    free(values);
    free(texts);
    free(own);
    free(files);
    free(names);
    free(file_ptrs);
    free(ens);
    free(members);
    free(tab.s);
    free(history);
    free(path);
    cmd_args_free(&a);
    return rc;
}
