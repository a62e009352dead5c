/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * info.c - `sim info`: a readable summary of a result file.
 *
 * The summary: the global attributes, the coordinates, the recorded
 * variables, the number of events, and the headline figures for the focus
 * agent (total shortfall per good over the run, cohesion at the last
 * record), as median and 5-95% range across runs when the file holds
 * several; with a scenario dimension (paired comparisons), per scenario
 * with the paired differences.  Read through the one result reader
 * (io/result/reader.h).
 *
 * The file is read in a child process (cmd_guarded): HDF5 1.10 can crash
 * or loop on a damaged file (a corrupt global heap), and `info` is what
 * users point at files they are unsure of.  A crash or a hang becomes one
 * clear line and exit 2, like any other unreadable file.
 */
#include "cmd.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <gsl/gsl_statistics_double.h>

#include "exp/merge.h"
#include "io/result/reader.h"

/* A file that takes longer than 5 s plus 1 s per 100 MB is taken as
 * damaged (HDF5 loops forever on some corrupt heaps). */
#define INFO_SECONDS_BASE 5.0
#define INFO_SECONDS_PER_BYTE (1.0 / 100e6)
/* libhdf5 asks for gigabytes when a damaged heap gives it a huge length:
 * with this limit it gets NULL and fails at once. */
#define INFO_MAX_MEMORY (2048.0 * 1024 * 1024)
/* A summary reads at most this many values of one variable at once. */
#define INFO_MAX_VALUES ((size_t)64 << 20)

static const cmd_opt info_opts[] = {{0, NULL}};

static int cmd_info_main(int argc, char **argv);

const cmd_spec cmd_info_spec = {
    .name = "info",
    .operands = "FILE.h5",
    .summary = "summarise a result file",
    .about =
        "Summarise a result file: scenario, seed, runs, months, variables and\n"
        "the headline figures.  Exit 2 when the file is missing, damaged or not\n"
        "a result file of this program.\n",
    .opts = info_opts,
    .complete = "*.h5",
    .main = cmd_info_main,
};

/* ---- reading ------------------------------------------------------------------ */

static int var_index(const output_reader *r, const char *name)
{
    for (int k = 0; k < output_reader_n_vars(r); k++)
        if (strcmp(output_reader_var_name(r, k), name) == 0)
            return k;
    return -1;
}

/* An (agent, good) variable for agent `a` over all runs and records of
 * scenario `sc` (ignored without a scenario dimension), as
 * [run][rec][good]; NULL when not recorded or too large. */
static double *read_agent_goods(output_reader *r, const char *name, int sc,
                                int a)
{
    int k = var_index(r, name), scen = output_reader_n_scenarios(r) > 0;
    size_t start[6] = {0}, count[6];
    if (k < 0 || output_reader_var(r, k)->shape != VAR_AG)
        return NULL;
    int rank = output_reader_var_dims(r, k, count, NULL);
    if (scen) {
        start[1] = (size_t)sc;
        count[1] = 1;
    }
    start[rank - 2] = (size_t)a;
    count[rank - 2] = 1;
    size_t n = 1;
    for (int d = 0; d < rank; d++)
        n *= count[d];
    if (n > INFO_MAX_VALUES)
        return NULL;
    double *buf = malloc((n ? n : 1) * sizeof *buf);
    if (buf && output_reader_read(r, k, start, count, buf) < 0) {
        free(buf);
        buf = NULL;
    }
    return buf;
}

/* ---- calendar ------------------------------------------------------------------- */

/* "YYYY-MM" of a time value (the number itself when its units are not
 * "days since Y-M-D"). */
static void format_month(const output_reader *r, double t, char *buf, size_t len)
{
    char date[32];
    if (result_date(output_reader_time_units(r), t, date, sizeof date) < 0)
        snprintf(buf, len, "%g", t);
    else
        snprintf(buf, len, "%.7s", date);
}

/* ---- printing -------------------------------------------------------------------- */

static void print_names(FILE *out, const char *label, int n,
                        const char *(*name)(const output_reader *, int),
                        const char *(*unit)(const output_reader *, int),
                        const output_reader *r)
{
    fprintf(out, "%-12s %d:", label, n);
    for (int i = 0; i < n; i++) {
        fprintf(out, "%s %s", i ? "," : "", name(r, i));
        const char *u = unit ? unit(r, i) : NULL;
        if (u && u[0])
            fprintf(out, " (%s)", u);
    }
    fputc('\n', out);
}

/* The run labels as ranges, when they are not 0 .. n-1 (a shard). */
static void print_runs(FILE *out, const output_reader *r)
{
    int n = output_reader_n_runs(r), last = -1, identity = 1;
    for (int s = 0; s < n; s++) {
        int l = output_reader_run_label(r, s);
        identity &= l == s;
        last = l > last ? l : last;
    }
    fprintf(out, "%-12s %d%s", "runs", n,
            output_reader_n_scenarios(r) ? " per scenario (the same seeds in each)"
                                         : "");
    unsigned char *held = identity || last < 0 || last >= 100000000 ? NULL
                                                        : calloc((size_t)last + 1, 1);
    if (held) {
        char list[256];
        for (int s = 0; s < n; s++)
            held[output_reader_run_label(r, s)] = 1;
        merge_describe_runs(held, last + 1, 1, list, sizeof list);
        fprintf(out, " (runs %s of the job)", list);
        free(held);
    }
    fputc('\n', out);
}

static void print_header(FILE *out, const output_reader *r)
{
    int n_rec = output_reader_n_records(r);
    char first[48] = "?", last[48] = "?";
    long long v;
    format_month(r, output_reader_time(r, 0), first, sizeof first);
    format_month(r, output_reader_time(r, n_rec - 1), last, sizeof last);
    const char *source = output_reader_attr(r, "source");
    const char *history = output_reader_attr(r, "history");
    fprintf(out, "%-12s %s\n", "file", output_reader_path(r));
    fprintf(out, "%-12s %s\n", "scenario", output_reader_attr(r, "scenario"));
    fprintf(out, "%-12s %s\n", "source", source ? source : "?");
    for (const char *h = history; h && *h;) { /* one line each */
        size_t len = strcspn(h, "\n");
        fprintf(out, "%-12s %.*s\n", h == history ? "history" : "", (int)len, h);
        h += len + (h[len] == '\n');
    }
    if (output_reader_attr(r, "master_seed"))
        fprintf(out, "%-12s %s\n", "master seed", output_reader_attr(r, "master_seed"));
    if (output_reader_n_scenarios(r))
        print_names(out, "scenarios", output_reader_n_scenarios(r),
                    output_reader_scenario, NULL, r);
    print_runs(out, r);
    long long months = -1, every = -1;
    if (output_reader_attr_number(r, "months", &v) == 0)
        months = v;
    if (output_reader_attr_number(r, "record_every", &v) == 0)
        every = v;
    fprintf(out, "%-12s %d", "records", n_rec);
    if (every > 0 && months > 0)
        fprintf(out, every == 1 ? " (every month over %lld months)"
                                : " (every %lld months over %lld months)",
                every == 1 ? months : every, months);
    fputc('\n', out);
    fprintf(out, "%-12s %s .. %s\n", "time span", first, last);
    print_names(out, "agents", output_reader_n_agents(r), output_reader_agent,
                NULL, r);
    print_names(out, "goods", output_reader_n_goods(r), output_reader_good,
                output_reader_good_unit, r);
}

static void print_vars(FILE *out, const output_reader *r)
{
    int n = output_reader_n_vars(r);
    fprintf(out, "%-12s %d:", "variables", n);
    for (int k = 0; k < n; k++)
        fprintf(out, "%s %s", k ? "," : "", output_reader_var_name(r, k));
    fputc('\n', out);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* One value, or median and 5-95% range of the non-NaN values of x[n]
 * (reordered). */
static void print_stat(FILE *out, double *x, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (!isnan(x[i]))
            x[k++] = x[i];
    if (k == 0) {
        fprintf(out, "n/a");
        return;
    }
    if (n == 1) {
        fprintf(out, "%.6g", x[0]);
        return;
    }
    qsort(x, k, sizeof *x, cmp_double);
    fprintf(out, "median %.6g (5-95%%: %.6g .. %.6g)",
            gsl_stats_median_from_sorted_data(x, 1, k),
            gsl_stats_quantile_from_sorted_data(x, 1, k, 0.05),
            gsl_stats_quantile_from_sorted_data(x, 1, k, 0.95));
}

/* Goods with nonzero demand for agent `a` in any scenario (all goods
 * without `demand`). */
static void goods_in_demand(output_reader *r, int a, int *keep)
{
    size_t g = (size_t)output_reader_n_goods(r);
    size_t per_good = (size_t)output_reader_n_runs(r) *
                      (size_t)output_reader_n_records(r);
    int n_scen = output_reader_n_scenarios(r) ? output_reader_n_scenarios(r) : 1;
    for (size_t k = 0; k < g; k++)
        keep[k] = 0;
    for (int sc = 0; sc < n_scen; sc++) {
        double *d = read_agent_goods(r, "demand", sc, a);
        for (size_t k = 0; k < g; k++) {
            keep[k] |= d == NULL;
            for (size_t i = 0; d && i < per_good; i++)
                if (d[i * g + k] != 0.0 && !isnan(d[i * g + k]))
                    keep[k] = 1;
        }
        free(d);
    }
}

/* Per run, the sum over records of s[run][t][k] (NaN: nothing recorded). */
static void run_totals(const output_reader *r, const double *s, size_t k,
                       double *tot)
{
    size_t R = (size_t)output_reader_n_runs(r), T = (size_t)output_reader_n_records(r);
    size_t g = (size_t)output_reader_n_goods(r);
    for (size_t run = 0; run < R; run++) {
        double sum = 0.0;
        int any = 0;
        for (size_t t = 0; t < T; t++) {
            double v = s[(run * T + t) * g + k];
            if (!isnan(v)) {
                sum += v;
                any = 1;
            }
        }
        tot[run] = any ? sum : NAN;
    }
}

/* x[n_scen][n_runs]: one line per scenario with its figure across runs,
 * then one per later scenario with the paired differences from the first
 * (run by run: the scenarios share their seeds). */
static void print_scenario_rows(FILE *out, const output_reader *r,
                                const double *x)
{
    size_t R = (size_t)output_reader_n_runs(r), width = 12;
    int n_scen = output_reader_n_scenarios(r);
    double *tmp = malloc((R ? R : 1) * sizeof *tmp);
    char label[160];
    if (!tmp)
        return;
    for (int sc = 0; sc < n_scen; sc++) {
        size_t w = strlen(output_reader_scenario(r, sc)) +
                   (sc ? 3 + strlen(output_reader_scenario(r, 0)) : 0);
        width = w > width ? w : width;
    }
    width = width < sizeof label ? width : sizeof label - 1;
    for (int sc = 0; sc < n_scen; sc++) {
        memcpy(tmp, x + (size_t)sc * R, R * sizeof *tmp);
        fprintf(out, "    %-*s ", (int)width, output_reader_scenario(r, sc));
        print_stat(out, tmp, R);
        fputc('\n', out);
    }
    for (int sc = 1; sc < n_scen; sc++) {
        for (size_t run = 0; run < R; run++)
            tmp[run] = x[(size_t)sc * R + run] - x[run];
        snprintf(label, sizeof label, "%s - %s", output_reader_scenario(r, sc),
                 output_reader_scenario(r, 0));
        fprintf(out, "    %-*s ", (int)width, label);
        print_stat(out, tmp, R);
        fputc('\n', out);
    }
    free(tmp);
}

/* One run total per good, or (scenarios) per good one line per scenario
 * and one per difference from the first. */
static void print_shortfall(FILE *out, output_reader *r, int a)
{
    int n_scen = output_reader_n_scenarios(r), ns = n_scen ? n_scen : 1;
    size_t R = (size_t)output_reader_n_runs(r), g = (size_t)output_reader_n_goods(r);
    double **s = calloc((size_t)ns, sizeof *s);
    double *tot = calloc(R * (size_t)ns, sizeof *tot);
    int *keep = calloc(g, sizeof *keep);
    int shown = 0, have = 0;
    for (int sc = 0; s && sc < ns; sc++)
        have += (s[sc] = read_agent_goods(r, "shortfall", sc, a)) != NULL;
    if (s && tot && keep && have == ns) {
        goods_in_demand(r, a, keep);
        for (size_t k = 0; k < g; k++) {
            const char *unit = output_reader_good_unit(r, (int)k);
            if (!keep[k])
                continue;
            shown++;
            if (!n_scen) {
                run_totals(r, s[0], k, tot);
                fprintf(out, "  %-10s ", output_reader_good(r, (int)k));
                print_stat(out, tot, R);
                fprintf(out, " %s\n", unit);
                continue;
            }
            fprintf(out, "  %s (%s)\n", output_reader_good(r, (int)k), unit);
            for (int sc = 0; sc < ns; sc++)
                run_totals(r, s[sc], k, tot + (size_t)sc * R);
            print_scenario_rows(out, r, tot);
        }
    }
    if (s && have < ns)
        fprintf(out, "  shortfall not recorded\n");
    else if (shown == 0)
        fprintf(out, "  no good with demand\n");
    for (int sc = 0; s && sc < ns; sc++)
        free(s[sc]);
    free(s);
    free(tot);
    free(keep);
}

static void print_cohesion(FILE *out, output_reader *r)
{
    char when[48] = "?";
    int n_rec = output_reader_n_records(r), k = var_index(r, "cohesion");
    int n_scen = output_reader_n_scenarios(r);
    size_t R = (size_t)output_reader_n_runs(r);
    format_month(r, output_reader_time(r, n_rec - 1), when, sizeof when);
    fprintf(out, "cohesion at %s:", when);
    size_t count[3];
    double *c = NULL;
    if (k >= 0 && output_reader_var_dims(r, k, count, NULL) == (n_scen ? 3 : 2) &&
        R * (n_scen ? (size_t)n_scen : 1) <= INFO_MAX_VALUES) {
        size_t start[3] = {0};
        start[n_scen ? 2 : 1] = (size_t)n_rec - 1;
        count[n_scen ? 2 : 1] = 1;
        c = malloc(R * (n_scen ? (size_t)n_scen : 1) * sizeof *c);
        if (c && output_reader_read(r, k, start, count, c) < 0) {
            free(c);
            c = NULL;
        }
    }
    if (!c) {
        fprintf(out, " not recorded\n");
    } else if (n_scen) {
        /* read as [run][scenario]; the rows want [scenario][run] */
        double *t = calloc(R * (size_t)n_scen, sizeof *t);
        for (size_t run = 0; t && run < R; run++)
            for (int sc = 0; sc < n_scen; sc++)
                t[(size_t)sc * R + run] = c[run * (size_t)n_scen + (size_t)sc];
        fputc('\n', out);
        if (t)
            print_scenario_rows(out, r, t);
        free(t);
    } else {
        fputc(' ', out);
        print_stat(out, c, R);
        fputc('\n', out);
    }
    free(c);
}

static void print_headline(FILE *out, output_reader *r)
{
    const char *focus = output_reader_attr(r, "focus_agent");
    int a = 0, n = output_reader_n_agents(r), n_scen = output_reader_n_scenarios(r);
    int R = output_reader_n_runs(r), n_rec = output_reader_n_records(r);
    long long every = 1;
    output_reader_attr_number(r, "record_every", &every);
    fputc('\n', out);
    while (focus && a < n && strcmp(output_reader_agent(r, a), focus) != 0)
        a++;
    if (!focus || a == n) {
        fprintf(out, "focus agent '%s' is not among the agents\n",
                focus ? focus : "");
    } else {
        fprintf(out, "focus agent %s: total shortfall over the ", focus);
        if (every > 1)
            fprintf(out, "%d recorded months (one in %lld)", n_rec, every);
        else
            fprintf(out, "run");
        if (R > 1)
            fprintf(out, " (across %d runs%s: median and 5-95%% range)", R,
                    n_scen ? " per scenario" : "");
        else if (n_scen)
            fprintf(out, " (per scenario)");
        fprintf(out, "\n");
        print_shortfall(out, r, a);
    }
    print_cohesion(out, r);
}

int cmd_info_print(const char *path, FILE *out, char *err, size_t errlen)
{
    output_reader *r = output_reader_open(path, err, errlen);
    if (!r)
        return -1;
    print_header(out, r);
    print_vars(out, r);
    fprintf(out, "%-12s %zu\n", "events", output_reader_n_events(r));
    print_headline(out, r);
    output_reader_close(r);
    return 0;
}

/* ---- the command ---------------------------------------------------------------- */

/* In the child: the summary to fd, or the error line to stderr. */
static int child(void *arg, int fd)
{
    const char *path = arg;
    FILE *out = fdopen(fd, "w");
    char err[1024];
    if (!out)
        return EXIT_RUNTIME;
    if (cmd_info_print(path, out, err, sizeof err)) {
        cmd_error("info", "%s", err);
        fclose(out);
        return EXIT_INPUT;
    }
    return fclose(out) == 0 ? EXIT_OK : EXIT_RUNTIME;
}

static int cmd_info_main(int argc, char **argv)
{
    cmd_args a;
    cmd_args_init(&a);
    int rc = cmd_parse(&cmd_info_spec, argc, argv, &a);
    if (rc == 0 && a.n_operands > 1) {
        cmd_error("info", "unexpected argument '%s' (see 'sim info --help')",
                  a.operands[1]);
        rc = -1;
    } else if (rc == 0 && a.n_operands == 0) {
        cmd_error("info", "no file given (see 'sim info --help')");
        rc = -1;
    }
    if (rc) {
        cmd_args_free(&a);
        return rc > 0 ? EXIT_OK : EXIT_INPUT;
    }
    const char *path = a.operands[0];
    struct stat st;
    cmd_guard g = {.child = child, .arg = (void *)path, .keep = 1,
                   .max_memory = INFO_MAX_MEMORY,
                   .seconds = INFO_SECONDS_BASE +
                              (stat(path, &st) == 0
                                   ? (double)st.st_size * INFO_SECONDS_PER_BYTE
                                   : 0)};
    char *buf = NULL;
    size_t len = 0;
    rc = cmd_guarded("info", path, &g, &buf, &len);
    if (rc == EXIT_OK && buf)
        fwrite(buf, 1, len, stdout);
    free(buf);
    cmd_args_free(&a);
    return rc;
}
