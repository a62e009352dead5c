/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_export.c - `sim export --csv` (io/export.c) on known answers: files
 * written through the writer from hand-filled states, every value a
 * known function of (variable, run, step, element), are exported and the
 * CSV tables read back: each row's labels, date, value (exactly) and
 * unit, the row counts (the product of the dimensions), with blocks of
 * every size, variables and runs selected, runs not done (NA), sweeps'
 * parameters, a comparison's scenarios (quoted when they hold commas or
 * quotes), the events; and the errors: what is refused, that nothing is
 * left under a final name, that files already there survive a failure.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <hdf5.h>

#include "io/export.h"
#include "io/publish.h"
#include "io/result/output.h"

#define NRUNS 4
#define MONTHS 5
#define FIXTURE_DIR "/tmp/test_export"
#define FIXTURE_VAL export_val
static double export_val(size_t v, int r, int t, size_t e);
#define FIXTURE_EVENTS
#include "outfixture.h"

/* The known value of variable v, run r, step t, element e: not a round
 * number (it must survive the text), negative for odd elements. */
static double export_val(size_t v, int r, int t, size_t e)
{
    double x = (double)(v + 1) * 1e4 + r * 1e3 + t * 1e2 + (double)e + 0.1 / 3.0;
    return e % 2 ? -x : x;
}

static size_t tvar_of(const char *name)
{
    for (size_t v = 0; v < N_TVARS; v++)
        if (strcmp(tvars[v].name, name) == 0)
            return v;
    fail_msg("variable %s not in the test's table", name);
    return 0;
}

/* The fixture's world, starting in November: the records cross a year. */
static model_params *export_params(int every)
{
    model_params *p = make_params(MONTHS, every);
    strcpy(p->g.start, "2023-11");
    p->start_month = 11;
    return p;
}


static unsigned long run_seed(int r)
{
    return 18446744073709551000UL - 17UL * (unsigned long)r; /* > 2^63 */
}

static const char *const pnames[2] = {"trade.alpha", "goods.oil, price"};

static double param_value(int r, int k) { return k ? 50.0 + r : 0.1 * r + 0.05; }

typedef struct {
    int every, n_params, n_scen;
    const int *which; /* runs written (NULL: all) */
    const char *const *scen_names;
} source;

static void write_source(const char *path, const source *src)
{
    char err[1024];
    model_params *p = export_params(src->every ? src->every : 1);
    output_opts o = {.path = path, .config_text = "scenario: { name = \"x\"; };",
                     .history = "test_export", .n_runs = NRUNS,
                     .master_seed = 42ULL, .n_params = src->n_params,
                     .param_names = src->n_params ? pnames : NULL,
                     .n_scenarios = src->n_scen,
                     .scenario_names = src->scen_names};
    output *out = output_open(p, &o, err, sizeof err);
    if (!out)
        fail_msg("output_open: %s", err);
    output_run *rec = output_run_alloc(out);
    model_state *s = make_state(p);
    assert_non_null(rec);
    for (int sc = 0; sc < (src->n_scen ? src->n_scen : 1); sc++)
        for (int r = 0; r < NRUNS; r++) {
            if (src->which && !src->which[r])
                continue;
            const model_event *ev;
            int n = run_events(r, &ev);
            output_run_reset(rec);
            for (int t = 0; t < MONTHS; t++) {
                fill_state(s, r + 10 * sc, t);
                assert_int_equal(output_run_record(rec, s), 0);
            }
            assert_int_equal(output_write_run(out, sc, r, run_seed(r), rec, ev, n), 0);
            if (src->n_params) {
                double values[2] = {param_value(r, 0), param_value(r, 1)};
                assert_int_equal(output_write_point(out, r, r / 2, values), 0);
            }
        }
    output_run_free(rec);
    free_state(s);
    params_free(p);
    if (output_close(out, err, sizeof err) != 0)
        fail_msg("output_close: %s", err);
}

/* ---- reading the CSV back ---------------------------------------------- */

typedef struct {
    char ***rows; /* rows[i][j]: field j of line i (the header is row 0) */
    int *n_fields;
    size_t n;
    char *text;
} csv;

static void csv_free(csv *c)
{
    for (size_t i = 0; i < c->n; i++) {
        for (int j = 0; j < c->n_fields[i]; j++)
            free(c->rows[i][j]);
        free(c->rows[i]);
    }
    free(c->rows);
    free(c->n_fields);
    free(c->text);
}

/* RFC 4180: fields separated by commas, quoted fields with "" for ". */
static void csv_read(const char *path, csv *c)
{
    memset(c, 0, sizeof *c);
    FILE *f = fopen(path, "r");
    if (!f)
        fail_msg("cannot open %s: %s", path, strerror(errno));
    size_t cap = 0, len = 0;
    char chunk[65536];
    size_t got;
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (len + got + 1 > cap) {
            cap = 2 * (len + got + 1);
            c->text = realloc(c->text, cap);
            assert_non_null(c->text);
        }
        memcpy(c->text + len, chunk, got);
        len += got;
    }
    fclose(f);
    assert_true(len > 0 && c->text[len - 1] == '\n');
    size_t rcap = 0;
    const char *p = c->text, *end = c->text + len;
    while (p < end) {
        if (c->n == rcap) {
            rcap = rcap ? 2 * rcap : 1024;
            c->rows = realloc(c->rows, rcap * sizeof *c->rows);
            c->n_fields = realloc(c->n_fields, rcap * sizeof *c->n_fields);
            assert_true(c->rows && c->n_fields);
        }
        char **fields = NULL;
        int nf = 0;
        for (;;) {
            char *fld = malloc((size_t)(end - p) + 1), *w = fld;
            assert_non_null(fld);
            if (*p == '"') {
                for (p++; p < end; p++) {
                    if (*p == '"' && p + 1 < end && p[1] == '"')
                        *w++ = *p++;
                    else if (*p == '"')
                        break;
                    else
                        *w++ = *p;
                }
                assert_true(p < end);
                p++;
            } else {
                while (p < end && *p != ',' && *p != '\n')
                    *w++ = *p++;
            }
            *w = '\0';
            fields = realloc(fields, ((size_t)nf + 1) * sizeof *fields);
            assert_non_null(fields);
            fields[nf++] = fld;
            assert_true(p < end && (*p == ',' || *p == '\n'));
            if (*p++ == '\n')
                break;
        }
        c->rows[c->n] = fields;
        c->n_fields[c->n++] = nf;
    }
}

static void expect_header(const csv *c, const char *const *names, int n)
{
    assert_true(c->n >= 1);
    assert_int_equal(c->n_fields[0], n);
    for (int j = 0; j < n; j++)
        assert_string_equal(c->rows[0][j], names[j]);
}

static double number(const char *s)
{
    if (strcmp(s, "NA") == 0)
        return NAN;
    char *end;
    double x = strtod(s, &end);
    if (*end || end == s)
        fail_msg("'%s' is not a number", s);
    return x;
}

/* "YYYY-MM-01" of month index m from the start (2023-11). */
static void month_date(int m, char *buf, size_t len)
{
    int k = 2023 * 12 + 10 + m;
    snprintf(buf, len, "%04d-%02d-01", k / 12, k % 12 + 1);
}

static const char *const value_cols[10] = {
    "scenario", "run", "time", "agent", "partner", "route", "good",
    "variable", "value", "unit"};

/* The labels of element e of a variable of kind k, and its good. */
static void element_labels(kind k, size_t e, const char **agent,
                           const char **partner, const char **route, int *good)
{
    *agent = *partner = *route = "";
    *good = -1;
    switch (k) {
    case K_AG: *agent = codes[e / NG]; *good = (int)(e % NG); break;
    case K_APG:
        *agent = codes[e / (NA * NG)];
        *partner = codes[e / NG % NA];
        *good = (int)(e % NG);
        break;
    case K_AP: *agent = codes[e / NA]; *partner = codes[e % NA]; break;
    case K_G: *good = (int)e; break;
    case K_A: *agent = codes[e]; break;
    case K_RG: *route = routes[e / NG]; *good = (int)(e % NG); break;
    default: break;
    }
}

/* The unit expected of variable v for good g. */
static void unit_of(size_t v, int g, char *buf, size_t len)
{
    const char *u = tvars[v].unit;
    const char *at = strstr(u, "rounds");
    if (at && g >= 0)
        snprintf(buf, len, "%.*s%s%s", (int)(at - u), u, units[g], at + 6);
    else
        snprintf(buf, len, "%s", u);
}

typedef struct {
    const char *const *vars; /* NULL: all, in the writer's order */
    int n_vars;
    int run_lo, run_hi;      /* inclusive */
    int every;
    const int *done;         /* runs written (NULL: all) */
    int n_scen;
    const char *const *scen;
} expect;

/* values.csv holds exactly the rows expected, in order. */
static void check_values(const char *dir, const expect *x)
{
    char path[512], date[16], unit[64], num[32];
    snprintf(path, sizeof path, "%s/values.csv", dir);
    csv c;
    csv_read(path, &c);
    expect_header(&c, value_cols, 10);
    const char *const *all = output_var_names();
    size_t row = 1;
    int n_rec = MONTHS / (x->every ? x->every : 1);
    int n_vars = x->vars ? x->n_vars : (int)N_TVARS;
    for (int vi = 0; vi < n_vars; vi++) {
        const char *name = x->vars ? x->vars[vi] : all[vi];
        size_t v = tvar_of(name);
        /* the file's order: run, [scenario,] time, ... */
        for (int r = x->run_lo; r <= x->run_hi; r++)
            for (int sc = 0; sc < (x->n_scen ? x->n_scen : 1); sc++)
                for (int i = 0; i < n_rec; i++) {
                    int t = (i + 1) * (x->every ? x->every : 1) - 1;
                    month_date(t, date, sizeof date);
                    for (size_t e = 0; e < kind_count(tvars[v].k); e++, row++) {
                        assert_true(row < c.n);
                        char **f = c.rows[row];
                        const char *agent, *partner, *route;
                        int g;
                        element_labels(tvars[v].k, e, &agent, &partner, &route, &g);
                        assert_int_equal(c.n_fields[row], 10);
                        assert_string_equal(f[0], x->n_scen ? x->scen[sc] : "unit-test");
                        snprintf(num, sizeof num, "%d", r);
                        assert_string_equal(f[1], num);
                        assert_string_equal(f[2], date);
                        assert_string_equal(f[3], agent);
                        assert_string_equal(f[4], partner);
                        assert_string_equal(f[5], route);
                        assert_string_equal(f[6], g >= 0 ? goods[g] : "");
                        assert_string_equal(f[7], name);
                        double want = x->done && !x->done[r]
                                          ? NAN
                                          : export_val(v, r + 10 * sc, t, e);
                        double got = number(f[8]);
                        if (isnan(want)) {
                            assert_string_equal(f[8], "NA");
                        } else if (got != want) {
                            fail_msg("%s run %d step %d element %zu: %s, "
                                     "expected %.17g", name, r, t, e, f[8], want);
                        }
                        unit_of(v, g, unit, sizeof unit);
                        assert_string_equal(f[9], unit);
                    }
                }
    }
    assert_int_equal(row, c.n); /* and nothing more */
    csv_free(&c);
}

static void check_events(const char *dir, const expect *x)
{
    static const char *const cols[9] = {"scenario", "run", "time", "step",
                                        "kind", "actor", "target", "value",
                                        "label"};
    char path[512], date[16], num[32];
    snprintf(path, sizeof path, "%s/events.csv", dir);
    csv c;
    csv_read(path, &c);
    expect_header(&c, cols, 9);
    size_t row = 1;
    for (int sc = 0; sc < (x->n_scen ? x->n_scen : 1); sc++)
        for (int r = x->run_lo; r <= x->run_hi; r++) {
            const model_event *ev;
            int n = x->done && !x->done[r] ? 0 : run_events(r, &ev);
            for (int k = 0; k < n; k++, row++) {
                assert_true(row < c.n);
                char **f = c.rows[row];
                assert_string_equal(f[0], x->n_scen ? x->scen[sc] : "unit-test");
                snprintf(num, sizeof num, "%d", r);
                assert_string_equal(f[1], num);
                month_date(ev[k].step, date, sizeof date);
                assert_string_equal(f[2], date);
                snprintf(num, sizeof num, "%d", ev[k].step);
                assert_string_equal(f[3], num);
                assert_string_equal(f[4], event_kind_names[ev[k].kind]);
                assert_string_equal(f[5], ev[k].actor >= 0 ? codes[ev[k].actor] : "");
                assert_string_equal(f[6], ev[k].target >= 0 ? codes[ev[k].target] : "");
                assert_true(number(f[7]) == ev[k].value);
                assert_string_equal(f[8], ev[k].label ? ev[k].label : "");
            }
        }
    assert_int_equal(row, c.n);
    csv_free(&c);
}

static void check_runs(const char *dir, const expect *x, int n_params)
{
    char path[512], num[32];
    snprintf(path, sizeof path, "%s/runs.csv", dir);
    csv c;
    csv_read(path, &c);
    const char *cols[5] = {"run", "seed", "point", pnames[0], pnames[1]};
    expect_header(&c, cols, n_params ? 5 : 2);
    assert_int_equal(c.n, (size_t)(x->run_hi - x->run_lo + 2));
    for (int r = x->run_lo; r <= x->run_hi; r++) {
        char **f = c.rows[r - x->run_lo + 1];
        int done = !x->done || x->done[r];
        snprintf(num, sizeof num, "%d", r);
        assert_string_equal(f[0], num);
        snprintf(num, sizeof num, "%lu", done ? run_seed(r) : 0UL);
        assert_string_equal(f[1], num);
        if (!n_params)
            continue;
        snprintf(num, sizeof num, "%d", done ? r / 2 : -1);
        assert_string_equal(f[2], num);
        /* as in the file: the writer leaves 0 for a run not done */
        for (int k = 0; k < 2; k++)
            assert_true(number(f[3 + k]) == (done ? param_value(r, k) : 0.0));
    }
    csv_free(&c);
}

static export_status run_export(const char *src, const char *dir,
                                const export_opts *base, export_counts *n,
                                char *err, size_t errlen)
{
    export_opts o = base ? *base : (export_opts){.last_run = -1};
    o.dir = dir;
    return export_csv(src, &o, n, err, errlen);
}

static void export_ok(const char *src, const char *dir, const export_opts *o,
                      export_counts *n)
{
    char err[1024];
    export_status st = run_export(src, dir, o, n, err, sizeof err);
    if (st != EXPORT_OK)
        fail_msg("export_csv: %d: %s", st, err);
}

/* Nothing but the three tables in dir (no temporary file left). */
static void expect_only_tables(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;
    assert_non_null(d);
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' && (!e->d_name[1] || strcmp(e->d_name, "..") == 0))
            continue;
        if (strcmp(e->d_name, "values.csv") && strcmp(e->d_name, "events.csv") &&
            strcmp(e->d_name, "runs.csv"))
            fail_msg("unexpected file %s in %s", e->d_name, dir);
        n++;
    }
    closedir(d);
    assert_int_equal(n, 3);
}

/* ---- tests ------------------------------------------------------------- */

static void test_all_values(void **state)
{
    (void)state;
    char src[256], dir[256];
    path_in_tmp(src, sizeof src, "all.h5");
    write_source(src, &(source){0});
    expect x = {.run_lo = 0, .run_hi = NRUNS - 1};
    /* blocks of every size: one value, a part of a record, records, runs.
     * Under AddressSanitizer (make test SANITIZE=1, which CI runs after the
     * plain suite) the sizes of one to a few values take two minutes, one
     * HDF5 read per value: the plain build checks them, the sanitized one
     * the default, a part of a record and whole runs. */
#if defined(__SANITIZE_ADDRESS__)
    static const size_t blocks[] = {0, 7, 100000};
#else
    static const size_t blocks[] = {0, 1, 5, 7, 18, 100, 1000, 100000};
#endif
    for (size_t b = 0; b < sizeof blocks / sizeof blocks[0]; b++) {
        snprintf(dir, sizeof dir, "%s/all-%zu", tmpdir, blocks[b]);
        export_counts n;
        export_ok(src, dir, &(export_opts){.last_run = -1, .block = blocks[b]}, &n);
        expect_only_tables(dir);
        check_values(dir, &x);
        check_events(dir, &x);
        check_runs(dir, &x, 0);
        size_t per_rec = 0;
        for (size_t v = 0; v < N_TVARS; v++)
            per_rec += kind_count(tvars[v].k);
        assert_int_equal(n.values, per_rec * NRUNS * MONTHS);
        assert_int_equal(n.events, 6);
        assert_int_equal(n.runs, NRUNS);
    }
}

static void test_every(void **state)
{
    (void)state;
    char src[256], dir[256];
    path_in_tmp(src, sizeof src, "every2.h5");
    write_source(src, &(source){.every = 2});
    path_in_tmp(dir, sizeof dir, "every2");
    export_ok(src, dir, NULL, NULL);
    check_values(dir, &(expect){.run_lo = 0, .run_hi = NRUNS - 1, .every = 2});
}

static void test_selection(void **state)
{
    (void)state;
    char src[256], dir[256];
    static const char *const vars[] = {"cohesion", "flow", "price", "route_flow"};
    path_in_tmp(src, sizeof src, "sel.h5");
    write_source(src, &(source){0});
    path_in_tmp(dir, sizeof dir, "sel");
    export_opts o = {.vars = vars, .n_vars = 4, .first_run = 1, .last_run = 2,
                     .block = 7};
    export_ok(src, dir, &o, NULL);
    expect x = {.vars = vars, .n_vars = 4, .run_lo = 1, .run_hi = 2};
    check_values(dir, &x);
    check_events(dir, &x);
    check_runs(dir, &x, 0);
    /* one run, to the end */
    o = (export_opts){.first_run = 3, .last_run = -1, .vars = vars + 1, .n_vars = 1};
    export_ok(src, dir, &o, NULL);
    x = (expect){.vars = vars + 1, .n_vars = 1, .run_lo = 3, .run_hi = 3};
    check_values(dir, &x);
    check_events(dir, &x);
}

static void test_not_done_and_params(void **state)
{
    (void)state;
    char src[256], dir[256];
    static const int which[NRUNS] = {1, 0, 1, 0};
    path_in_tmp(src, sizeof src, "sweep.h5");
    write_source(src, &(source){.n_params = 2, .which = which});
    path_in_tmp(dir, sizeof dir, "sweep");
    export_ok(src, dir, NULL, NULL);
    expect x = {.run_lo = 0, .run_hi = NRUNS - 1, .done = which};
    check_values(dir, &x);
    check_events(dir, &x);
    check_runs(dir, &x, 2);
}

static void test_scenarios(void **state)
{
    (void)state;
    char src[256], dir[256];
    static const char *const scen[2] = {"base, line", "say \"hi\""};
    path_in_tmp(src, sizeof src, "compare.h5");
    write_source(src, &(source){.n_scen = 2, .scen_names = scen});
    path_in_tmp(dir, sizeof dir, "compare");
    export_ok(src, dir, &(export_opts){.last_run = -1, .block = 11}, NULL);
    expect x = {.run_lo = 0, .run_hi = NRUNS - 1, .n_scen = 2, .scen = scen};
    check_values(dir, &x);
    check_events(dir, &x);
    check_runs(dir, &x, 0);
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    static char buf[4096];
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    buf[n] = '\0';
    if (f)
        fclose(f);
    return buf;
}

static void expect_error(const char *src, const char *dir, const export_opts *o,
                         export_status want, const char *part)
{
    char err[1024] = "";
    export_status st = run_export(src, dir, o, NULL, err, sizeof err);
    if (st != want)
        fail_msg("export_csv: %d, expected %d: %s", st, want, err);
    if (!strstr(err, part))
        fail_msg("message '%s' lacks '%s'", err, part);
    assert_null(strchr(err, '\n'));
}

static void test_errors(void **state)
{
    (void)state;
    char src[256], dir[256], path[512], bad[256];
    path_in_tmp(src, sizeof src, "err.h5");
    write_source(src, &(source){0});
    path_in_tmp(dir, sizeof dir, "err-out");

    /* the input: each refused before the directory is made */
    path_in_tmp(bad, sizeof bad, "missing.h5");
    expect_error(bad, dir, NULL, EXPORT_BAD_INPUT, "missing.h5: No such file or directory");
    path_in_tmp(bad, sizeof bad, "text.h5");
    write_text(bad, "scenario,run\n");
    expect_error(bad, dir, NULL, EXPORT_BAD_INPUT, "text.h5 is not an HDF5 file");
    path_in_tmp(bad, sizeof bad, "foreign.h5");
    hid_t f = H5Fcreate(bad, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    assert_true(f >= 0);
    H5Fclose(f);
    expect_error(bad, dir, NULL, EXPORT_BAD_INPUT, "not a result file of this program");
    static const char *const bogus[] = {"stock", "bogus"};
    expect_error(src, dir, &(export_opts){.vars = bogus, .n_vars = 2, .last_run = -1},
                 EXPORT_BAD_INPUT, "unknown variable 'bogus'");
    static const char *const twice[] = {"stock", "stock"};
    expect_error(src, dir, &(export_opts){.vars = twice, .n_vars = 2, .last_run = -1},
                 EXPORT_BAD_INPUT, "'stock' given twice");
    expect_error(src, dir, &(export_opts){.first_run = 2, .last_run = NRUNS},
                 EXPORT_BAD_INPUT, "has 4 runs");
    expect_error(src, dir, &(export_opts){.first_run = NRUNS, .last_run = -1},
                 EXPORT_BAD_INPUT, "has 4 runs");
    expect_error(src, dir, &(export_opts){.last_run = -1, .max_rows = 100},
                 EXPORT_BAD_INPUT, "more than the limit of 100");
    static const char *const one[] = {"cohesion"};
    path_in_tmp(bad, sizeof bad, "subset.h5");
    {
        char err[1024];
        model_params *p = export_params(1);
        output_opts oo = {.path = bad, .config_text = "", .n_runs = 1,
                          .vars = one, .n_vars = 1};
        output *o = output_open(p, &oo, err, sizeof err);
        assert_non_null(o);
        assert_int_equal(output_close(o, err, sizeof err), 0);
        params_free(p);
    }
    static const char *const stock[] = {"stock"};
    expect_error(bad, dir, &(export_opts){.vars = stock, .n_vars = 1, .last_run = -1},
                 EXPORT_BAD_INPUT, "subset.h5 does not record 'stock'");
    struct stat st;
    assert_int_equal(stat(dir, &st), -1); /* never made */

    /* the output */
    path_in_tmp(path, sizeof path, "plain");
    write_text(path, "x\n");
    expect_error(src, path, NULL, EXPORT_BAD_INPUT, "plain: it is not a directory");
    /* a table's name taken by a directory: refused before anything is
     * written, the tables already there kept (none half replaced) */
    char out[512], table[600];
    path_in_tmp(out, sizeof out, "taken");
    assert_int_equal(mkdir(out, 0777), 0);
    snprintf(table, sizeof table, "%s/values.csv", out);
    write_text(table, "old values\n");
    snprintf(table, sizeof table, "%s/events.csv", out);
    write_text(table, "old events\n");
    snprintf(table, sizeof table, "%s/runs.csv", out);
    assert_int_equal(mkdir(table, 0777), 0);
    expect_error(src, out, NULL, EXPORT_BAD_INPUT, "runs.csv: it is a directory");
    snprintf(table, sizeof table, "%s/values.csv", out);
    assert_string_equal(slurp(table), "old values\n");
    snprintf(table, sizeof table, "%s/events.csv", out);
    assert_string_equal(slurp(table), "old events\n");
    /* the input itself under a table's name */
    snprintf(table, sizeof table, "%s/runs.csv", out);
    assert_int_equal(rmdir(table), 0);
    assert_int_equal(link(src, table), 0);
    expect_error(table, out, NULL, EXPORT_BAD_INPUT, "is one of the inputs");
    assert_true(H5Fis_hdf5(table) > 0);
    snprintf(path, sizeof path, "%s/nodir/sub", tmpdir);
    expect_error(src, path, NULL, EXPORT_FAILED, "nodir/sub: No such file or directory");
    path_in_tmp(path, sizeof path, "plain/sub");
    expect_error(src, path, NULL, EXPORT_FAILED, "Not a directory");
}

/* A file-size limit (a full disk): exit EXPORT_FAILED, the directory made
 * for the export removed again, files already there untouched, no
 * temporary file left. */
static void test_disk_full(void **state)
{
    (void)state;
    char src[256], dir[256], path[512];
    struct rlimit old, lim;
    path_in_tmp(src, sizeof src, "full.h5");
    write_source(src, &(source){0});
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    signal(SIGXFSZ, SIG_IGN);
    lim = old;
    lim.rlim_cur = 20000; /* bytes: a part of values.csv */
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);

    path_in_tmp(dir, sizeof dir, "full-new");
    expect_error(src, dir, NULL, EXPORT_FAILED, "full-new/values.csv: File too large");
    struct stat st;
    assert_int_equal(stat(dir, &st), -1); /* made, then removed */

    path_in_tmp(dir, sizeof dir, "full-old");
    assert_int_equal(mkdir(dir, 0777), 0);
    snprintf(path, sizeof path, "%s/values.csv", dir);
    write_text(path, "an earlier export\n");
    snprintf(path, sizeof path, "%s/runs.csv", dir);
    write_text(path, "run,seed\n");
    expect_error(src, dir, NULL, EXPORT_FAILED, "File too large");
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
    snprintf(path, sizeof path, "%s/values.csv", dir);
    assert_string_equal(slurp(path), "an earlier export\n");
    snprintf(path, sizeof path, "%s/runs.csv", dir);
    assert_string_equal(slurp(path), "run,seed\n");
    snprintf(path, sizeof path, "%s/events.csv", dir);
    assert_int_equal(stat(path, &st), -1);
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;
    while (d && (e = readdir(d)) != NULL)
        n += e->d_name[0] != '.';
    if (d)
        closedir(d);
    assert_int_equal(n, 2); /* no temporary file (they start with '.') */
    snprintf(path, sizeof path, "%s/.values.csv.tmp.%ld", dir, (long)getpid());
    assert_int_equal(stat(path, &st), -1);

    /* with room again, the export replaces them */
    export_ok(src, dir, NULL, NULL);
    expect_only_tables(dir);
    check_values(dir, &(expect){.run_lo = 0, .run_hi = NRUNS - 1});
}

/* What a killed export leaves (its temporaries, named for its process)
 * is removed by publish_remove_stale() once the process is gone. */
static void test_remove_temps(void **state)
{
    (void)state;
    char dir[256], path[512], tmp[600];
    path_in_tmp(dir, sizeof dir, "killed");
    assert_int_equal(mkdir(dir, 0777), 0);
    /* a process that has exited: posix_spawn shares the address space until
     * the exec, so it works when this process has a large heap reserved (a
     * fork is refused then under the kernel's heuristic overcommit) */
    pid_t dead;
    char *const argv[] = {(char *)"true", NULL};
    extern char **environ;
    assert_int_equal(posix_spawn(&dead, "/bin/true", NULL, NULL, argv, environ), 0);
    assert_true(dead > 0);
    assert_int_equal(waitpid(dead, NULL, 0), dead);
    static const char *const names[] = {"values.csv", "events.csv", "runs.csv"};
    for (int k = 0; k < 3; k++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[k]);
        assert_int_equal(publish_temp_name(path, (long)dead, tmp, sizeof tmp), 0);
        write_text(tmp, "partial");
    }
    /* a live process's temporary stays: this one's parent */
    snprintf(path, sizeof path, "%s/runs.csv", dir);
    assert_int_equal(publish_temp_name(path, (long)getppid(), tmp, sizeof tmp), 0);
    write_text(tmp, "live");
    snprintf(path, sizeof path, "%s/values.csv", dir);
    write_text(path, "kept");
    assert_int_equal(publish_remove_stale(dir), 3);
    assert_string_equal(slurp(path), "kept");
    assert_string_equal(slurp(tmp), "live");
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;
    while (d && (e = readdir(d)) != NULL)
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    if (d)
        closedir(d);
    assert_int_equal(n, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_all_values),
        cmocka_unit_test(test_every),
        cmocka_unit_test(test_selection),
        cmocka_unit_test(test_not_done_and_params),
        cmocka_unit_test(test_scenarios),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_disk_full),
        cmocka_unit_test(test_remove_temps),
    };
    output_library_init();
    if (getenv("TEST_EXPORT_FILTER"))
        cmocka_set_test_filter(getenv("TEST_EXPORT_FILTER"));
    return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
