/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * export.c - a result file as tidy CSV tables (see export.h).
 *
 * The file is read through the one result reader (io/result/reader.h:
 * shapes checked before every read, string lengths and counts bounded), so
 * a damaged or foreign file is an error with a reason, never a read out of
 * bounds.  What HDF5 itself does on a damaged file is out of our hands:
 * `sim export` runs this in a child process (cmd_guarded).  The tables
 * are published together (io/publish.h).
 */
#include "io/export.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/publish.h"
#include "io/result/reader.h"

#define EX_BLOCK ((size_t)1 << 18)    /* values read at once (2 MiB)    */
#define EX_ROWS 4096                  /* event and run rows at once     */
#define EX_MAX_RANK 6 /* run, scenario, time, agent, partner, good */
#define EX_BUFSIZ ((size_t)1 << 16)

#ifdef __GNUC__
#define FMT(a, b) __attribute__((format(printf, a, b)))
#else
#define FMT(a, b)
#endif

/* The axes a value can have, and its columns in values.csv. */
enum { R_SCEN, R_RUN, R_TIME, R_AGENT, R_PARTNER, R_ROUTE, R_GOOD, N_ROLES };

static const char values_header[] =
    "scenario,run,time,agent,partner,route,good,variable,value,unit\n";
static const char events_header[] =
    "scenario,run,time,step,kind,actor,target,value,label\n";

/* One output file, written under its temporary name. */
typedef struct {
    publish_file *pub;
    FILE *fp;
    char *final;
    int err; /* errno of the first failure, 0 */
} ex_out;

enum { OUT_VALUES, OUT_EVENTS, OUT_RUNS, N_OUTS };
static const char *const out_names[N_OUTS] = {EXPORT_VALUES, EXPORT_EVENTS,
                                              EXPORT_RUNS};

/* A record variable to export. */
typedef struct {
    int k;             /* the reader's index */
    const char *name;  /* static (the variable table) */
    int rank;
    int role[EX_MAX_RANK];
    size_t dims[EX_MAX_RANK];
    char *unit;        /* the units as a CSV field */
    char **good_unit;  /* [n goods] the good's own unit put in; NULL: unit */
} ex_var;

typedef struct {
    const char *path;
    const export_opts *o;
    char *err;
    size_t errlen;
    output_reader *r;
    publish_inputs *inputs;  /* the file read: no table may be it */
    char *scenario; /* the file's scenario name, as a CSV field */
    const char *tunits;
    size_t n[N_ROLES];       /* coordinate lengths; n[R_SCEN] 0: none */
    char **label[N_ROLES];   /* CSV fields by index (R_RUN: none) */
    size_t maxlen[N_ROLES];  /* longest label */
    size_t run_lo, run_hi;   /* runs exported: [run_lo, run_hi) */
    int some_runs;           /* not all of them */
    ex_var *vars;
    int n_vars;
    double *buf;             /* one block */
    size_t block;
    char *line;              /* one row of values.csv */
    size_t line_cap;
    ex_out out[N_OUTS];
    int made_dir;
    export_counts count;
} ex_ctx;

/* ---- errors ------------------------------------------------------------ */

FMT(3, 4) static int fail(ex_ctx *c, int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err, c->errlen, fmt, ap);
    va_end(ap);
    return status;
}

static int nomem(ex_ctx *c)
{
    return fail(c, EXPORT_FAILED, "cannot export %s: out of memory", c->path);
}

static void heartbeat(const ex_ctx *c, int done_reading)
{
    if (c->o->progress)
        c->o->progress(c->o->progress_arg, done_reading);
}

/* ---- CSV fields -------------------------------------------------------- */

static int needs_quotes(const char *s)
{
    return strpbrk(s, ",\"\r\n") != NULL;
}

/* s as a CSV field (a new string): quoted, quotes doubled, when needed. */
static char *csv_field(const char *s)
{
    if (!needs_quotes(s))
        return strdup(s);
    size_t n = 3;
    for (const char *p = s; *p; p++)
        n += *p == '"' ? 2 : 1;
    char *q = malloc(n), *at = q;
    if (!q)
        return NULL;
    *at++ = '"';
    for (const char *p = s; *p; p++) {
        if (*p == '"')
            *at++ = '"';
        *at++ = *p;
    }
    *at++ = '"';
    *at = '\0';
    return q;
}

/* ---- output files ------------------------------------------------------ */

static void out_put(ex_out *w, const char *s, size_t n)
{
    if (w->err == 0 && fwrite(s, 1, n, w->fp) != n)
        w->err = errno ? errno : EIO;
}

static void out_puts(ex_out *w, const char *s) { out_put(w, s, strlen(s)); }

/* A string as a CSV field, quoted when needed. */
static void out_field(ex_out *w, const char *s)
{
    if (!needs_quotes(s)) {
        out_puts(w, s);
        return;
    }
    out_put(w, "\"", 1);
    for (const char *p = s; *p; p++)
        out_put(w, *p == '"' ? "\"\"" : p, *p == '"' ? 2 : 1);
    out_put(w, "\"", 1);
}

static char *join_path(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/%s", dir, name);
    return p;
}

static int write_failed(ex_ctx *c, const ex_out *w, int e)
{
    return fail(c, EXPORT_FAILED, "cannot write %s: %s", w->final,
                strerror(e ? e : EIO));
}

export_status export_check_dest(const char *path, const char *dir, char *err,
                                size_t errlen)
{
    if (publish_check_dir(dir, err, errlen) != PUBLISH_OK)
        return EXPORT_BAD_INPUT;
    publish_inputs *in = publish_inputs_alloc();
    if (!in || publish_inputs_add(in, path) < 0) {
        publish_inputs_free(in);
        snprintf(err, errlen, "cannot export %s: out of memory", path);
        return EXPORT_FAILED;
    }
    struct stat st;
    int rc = EXPORT_OK;
    for (int k = 0; rc == EXPORT_OK && k < N_OUTS && stat(dir, &st) == 0; k++) {
        char *final = join_path(dir, out_names[k]);
        if (!final)
            rc = EXPORT_FAILED;
        else if (publish_check(final, in, err, errlen) == PUBLISH_REFUSED)
            rc = EXPORT_BAD_INPUT;
        free(final);
    }
    publish_inputs_free(in);
    return rc;
}

/* The directory (made when missing) and the temporary files. */
static int open_outputs(ex_ctx *c)
{
    const char *dir = c->o->dir;
    struct stat st;
    if (!dir || !dir[0])
        return fail(c, EXPORT_FAILED, "no output directory given");
    if (stat(dir, &st) == 0) {
        if (!S_ISDIR(st.st_mode))
            return fail(c, EXPORT_BAD_INPUT, "refusing to write into %s: it is "
                        "not a directory", dir);
    } else if (errno != ENOENT || mkdir(dir, 0777) != 0) {
        return fail(c, EXPORT_FAILED, "cannot create %s: %s", dir,
                    strerror(errno));
    } else {
        c->made_dir = 1;
    }
    for (int k = 0; k < N_OUTS; k++) {
        ex_out *w = &c->out[k];
        int status;
        if (!(w->final = join_path(dir, out_names[k])))
            return nomem(c);
        w->pub = publish_begin(w->final, c->inputs, &status, c->err, c->errlen);
        if (!w->pub)
            return status == PUBLISH_REFUSED ? EXPORT_BAD_INPUT : EXPORT_FAILED;
        if (!(w->fp = publish_stream(w->pub)))
            return nomem(c);
        setvbuf(w->fp, NULL, _IOFBF, EX_BUFSIZ);
    }
    return 0;
}

/* Every table complete: publish them together. */
static int publish(ex_ctx *c)
{
    publish_file *f[N_OUTS];
    for (int k = 0; k < N_OUTS; k++) {
        ex_out *w = &c->out[k];
        if (w->err == 0 && fflush(w->fp) != 0)
            w->err = errno ? errno : EIO;
        if (w->err)
            return write_failed(c, w, w->err);
    }
    for (int k = 0; k < N_OUTS; k++) {
        f[k] = c->out[k].pub;
        c->out[k].pub = NULL; /* freed by publish_commit_all */
        c->out[k].fp = NULL;
    }
    int rc = publish_commit_all(f, N_OUTS, c->inputs, c->err, c->errlen);
    return rc == PUBLISH_OK ? 0
           : rc == PUBLISH_REFUSED ? EXPORT_BAD_INPUT
                                   : EXPORT_FAILED;
}

/* After a failure: the temporary files, and the directory if made here. */
static void discard(ex_ctx *c)
{
    for (int k = 0; k < N_OUTS; k++) {
        publish_abort(c->out[k].pub);
        c->out[k].pub = NULL;
        c->out[k].fp = NULL;
    }
    if (c->made_dir)
        rmdir(c->o->dir);
}

/* ---- numbers ----------------------------------------------------------- */

/* v as the shortest text that reads back as v (NA, Inf, -Inf); length. */
static size_t format_value(double v, char *buf, size_t len)
{
    if (isnan(v))
        return (size_t)snprintf(buf, len, "NA");
    if (isinf(v))
        return (size_t)snprintf(buf, len, v > 0 ? "Inf" : "-Inf");
    if (v == floor(v) && fabs(v) < 1e15)
        return (size_t)snprintf(buf, len, "%lld", (long long)v);
    int n = 0;
    for (int prec = 15; prec <= 17; prec++) {
        n = snprintf(buf, len, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    return (size_t)n;
}

/* ---- the file's coordinates -------------------------------------------- */

/* Labels of a role as CSV fields into c->label[role], from the reader's
 * names. */
static int load_labels(ex_ctx *c, int role, size_t n,
                       const char *(*name)(const output_reader *, int))
{
    c->label[role] = calloc(n + 1, sizeof *c->label[role]);
    for (size_t i = 0; c->label[role] && i < n; i++) {
        if (!(c->label[role][i] = csv_field(name(c->r, (int)i))))
            break;
        size_t len = strlen(c->label[role][i]);
        c->maxlen[role] = len > c->maxlen[role] ? len : c->maxlen[role];
    }
    return c->label[role] && (n == 0 || c->label[role][n - 1]) ? 0 : nomem(c);
}

/* The record dates, YYYY-MM-DD, from `time` and its units. */
static int load_times(ex_ctx *c)
{
    size_t n = c->n[R_TIME];
    const char *units = output_reader_time_units(c->r);
    char date[32];
    if (n && result_date(units, output_reader_time(c->r, 0), date, sizeof date) < 0)
        return fail(c, EXPORT_BAD_INPUT, "cannot read %s: 'time' is not in "
                    "units of \"days since YYYY-MM-DD\"", c->path);
    c->label[R_TIME] = calloc(n + 1, sizeof(char *));
    for (size_t i = 0; c->label[R_TIME] && i < n; i++) {
        /* a time that is not a date (NaN, far out): an empty field */
        if (result_date(units, output_reader_time(c->r, (int)i), date,
                        sizeof date) < 0)
            date[0] = '\0';
        if (!(c->label[R_TIME][i] = strdup(date)))
            break;
        if (strlen(date) > c->maxlen[R_TIME])
            c->maxlen[R_TIME] = strlen(date);
    }
    return c->label[R_TIME] && (n == 0 || c->label[R_TIME][n - 1]) ? 0 : nomem(c);
}

static int load_coords(ex_ctx *c)
{
    const char *name = output_reader_attr(c->r, "scenario");
    if (!name || !(c->scenario = csv_field(name)))
        return fail(c, name ? EXPORT_FAILED : EXPORT_BAD_INPUT,
                    "cannot read %s: its 'scenario' attribute is damaged", c->path);
    c->tunits = output_reader_time_units(c->r);
    c->n[R_SCEN] = (size_t)output_reader_n_scenarios(c->r);
    c->n[R_RUN] = (size_t)output_reader_n_runs(c->r);
    c->n[R_TIME] = (size_t)output_reader_n_records(c->r);
    c->n[R_AGENT] = (size_t)output_reader_n_agents(c->r);
    c->n[R_PARTNER] = c->n[R_AGENT];
    c->n[R_ROUTE] = (size_t)output_reader_n_routes(c->r);
    c->n[R_GOOD] = (size_t)output_reader_n_goods(c->r);
    c->maxlen[R_SCEN] = strlen(c->scenario);
    c->maxlen[R_RUN] = 24;
    int rc = 0;
    if (c->n[R_SCEN])
        rc = load_labels(c, R_SCEN, c->n[R_SCEN], output_reader_scenario);
    if (rc == 0)
        rc = load_times(c);
    if (rc == 0)
        rc = load_labels(c, R_AGENT, c->n[R_AGENT], output_reader_agent);
    if (rc == 0)
        rc = load_labels(c, R_PARTNER, c->n[R_PARTNER], output_reader_agent);
    if (rc == 0 && c->n[R_ROUTE])
        rc = load_labels(c, R_ROUTE, c->n[R_ROUTE], output_reader_route);
    if (rc == 0)
        rc = load_labels(c, R_GOOD, c->n[R_GOOD], output_reader_good);
    return rc;
}

/* ---- variables --------------------------------------------------------- */

/* The unit of a value of good `good_unit` from the file's units_metadata
 * ("good_unit month-1" -> "rounds month-1", "USD good_unit-1" -> "USD per
 * rounds"). */
static char *unit_for_good(const char *meta, const char *good_unit)
{
    static const char tok[] = "good_unit";
    size_t n = strlen(meta) + 4 * (strlen(good_unit) + 4) + 1;
    char *s = malloc(n), *at = s;
    if (!s)
        return NULL;
    *s = '\0';
    for (const char *p = meta; *p;) {
        const char *hit = strstr(p, tok);
        if (!hit) {
            snprintf(at, n - (size_t)(at - s), "%s", p);
            break;
        }
        at += snprintf(at, n - (size_t)(at - s), "%.*s", (int)(hit - p), p);
        p = hit + sizeof tok - 1;
        if (strncmp(p, "-1", 2) == 0) {
            at += snprintf(at, n - (size_t)(at - s), "per %s", good_unit);
            p += 2;
        } else {
            at += snprintf(at, n - (size_t)(at - s), "%s", good_unit);
        }
        if (at - s >= (ptrdiff_t)n - 1)
            break;
    }
    char *q = csv_field(s);
    free(s);
    return q;
}

static void var_free(ex_var *v)
{
    free(v->unit);
    for (size_t k = 0; v->good_unit && v->good_unit[k]; k++)
        free(v->good_unit[k]);
    free(v->good_unit);
}

static int role_of(const char *axis)
{
    static const char *const names[N_ROLES] = {"scenario", "run",   "time",
                                               "agent",    "partner", "route",
                                               "good"};
    for (int r = 0; r < N_ROLES; r++)
        if (strcmp(names[r], axis) == 0)
            return r;
    return -1;
}

/* Variable k of the file: its axes and units. */
static int var_load(ex_ctx *c, int k, ex_var *v)
{
    size_t dims[EX_MAX_RANK];
    const char *axes[EX_MAX_RANK];
    v->k = k;
    v->name = output_reader_var_name(c->r, k);
    v->rank = output_reader_var_dims(c->r, k, dims, axes);
    for (int a = 0; a < v->rank; a++) {
        v->role[a] = role_of(axes[a]);
        v->dims[a] = dims[a];
        if (v->role[a] < 0)
            return fail(c, EXPORT_BAD_INPUT, "cannot read %s: '%s' has an axis "
                        "'%s' that values.csv has no column for", c->path,
                        v->name, axes[a]);
    }
    const char *units = output_reader_var_attr(c->r, k, "units");
    v->unit = csv_field(units ? units : "");
    if (!v->unit)
        return nomem(c);
    const char *meta = output_reader_var_attr(c->r, k, "units_metadata");
    /* a variable in the goods' own units: each good's unit put in */
    if (meta && strstr(meta, "good_unit") && c->n[R_GOOD] &&
        v->role[v->rank - 1] == R_GOOD) {
        char *m = strdup(meta);
        v->good_unit = calloc(c->n[R_GOOD] + 1, sizeof(char *));
        int ok = m && v->good_unit;
        for (size_t g = 0; ok && g < c->n[R_GOOD]; g++)
            ok = (v->good_unit[g] = unit_for_good(
                      m, output_reader_good_unit(c->r, (int)g))) != NULL;
        free(m);
        if (!ok)
            return nomem(c);
    }
    return 0;
}

/* The variables asked for (checked), or every one in the file. */
static int choose_vars(ex_ctx *c)
{
    const export_opts *o = c->o;
    int n_file = output_reader_n_vars(c->r);
    c->vars = calloc((size_t)(o->vars ? o->n_vars : n_file) + 1, sizeof *c->vars);
    if (!c->vars)
        return nomem(c);
    if (!o->vars) {
        for (int k = 0; k < n_file; k++) {
            int rc = var_load(c, k, &c->vars[c->n_vars++]);
            if (rc)
                return rc;
        }
        return 0;
    }
    for (int j = 0; j < o->n_vars; j++) {
        const char *name = o->vars[j];
        if (!output_var_known(name))
            return fail(c, EXPORT_BAD_INPUT, "unknown variable '%s' ('sim "
                        "info FILE' lists those of a file)", name);
        for (int i = 0; i < j; i++)
            if (strcmp(o->vars[i], name) == 0)
                return fail(c, EXPORT_BAD_INPUT, "variable '%s' given "
                            "twice", name);
        int k = 0;
        while (k < n_file && strcmp(output_reader_var_name(c->r, k), name) != 0)
            k++;
        if (k == n_file)
            return fail(c, EXPORT_BAD_INPUT, "%s does not record '%s'",
                        c->path, name);
        int rc = var_load(c, k, &c->vars[c->n_vars++]);
        if (rc)
            return rc;
    }
    return 0;
}

/* ---- values.csv -------------------------------------------------------- */

/* The fields of the row being written, by role, and the unit. */
typedef struct {
    const char *field[N_ROLES];
    char run[24];
    const char *unit;
} ex_row;

static void row_set(const ex_ctx *c, const ex_var *v, ex_row *r, int axis,
                    size_t i)
{
    int role = v->role[axis];
    if (role == R_RUN) {
        snprintf(r->run, sizeof r->run, "%d", output_reader_run_label(c->r, (int)i));
        return;
    }
    r->field[role] = c->label[role][i];
    if (role == R_GOOD && v->good_unit)
        r->unit = v->good_unit[i];
}

/* s copied to at (no terminating null): the end. */
static char *append(char *at, const char *s)
{
    while (*s)
        *at++ = *s++;
    return at;
}

static void row_write(ex_ctx *c, const ex_var *v, const ex_row *r, double x)
{
    char *at = c->line;
    for (int f = 0; f < N_ROLES; f++) {
        at = append(at, f == R_RUN ? r->run : r->field[f]);
        *at++ = ',';
    }
    at = append(at, v->name);
    *at++ = ',';
    at += format_value(x, at, 32);
    *at++ = ',';
    at = append(at, r->unit);
    *at++ = '\n';
    out_put(&c->out[OUT_VALUES], c->line, (size_t)(at - c->line));
}

/* Room for the longest row of v. */
static int line_room(ex_ctx *c, const ex_var *v)
{
    size_t need = strlen(v->name) + strlen(v->unit) + 64;
    for (int f = 0; f < N_ROLES; f++)
        need += c->maxlen[f] + 1;
    for (size_t k = 0; v->good_unit && v->good_unit[k]; k++)
        need += strlen(v->good_unit[k]);
    if (need <= c->line_cap)
        return 0;
    char *line = realloc(c->line, need);
    if (!line)
        return nomem(c);
    c->line = line;
    c->line_cap = need;
    return 0;
}

/* The rows of the slab (start, count) read into c->buf. */
static void emit_slab(ex_ctx *c, const ex_var *v, const size_t *start,
                      const size_t *count, size_t n)
{
    ex_row r = {.unit = v->unit};
    size_t pos[EX_MAX_RANK] = {0};
    for (int f = 0; f < N_ROLES; f++)
        r.field[f] = "";
    r.field[R_SCEN] = c->scenario;
    for (int a = 0; a < v->rank; a++)
        row_set(c, v, &r, a, (size_t)start[a]);
    for (size_t e = 0; e < n; e++) {
        row_write(c, v, &r, c->buf[e]);
        for (int a = v->rank - 1; a >= 0; a--) {
            if (++pos[a] < count[a]) {
                row_set(c, v, &r, a, (size_t)(start[a] + pos[a]));
                break;
            }
            pos[a] = 0;
            row_set(c, v, &r, a, (size_t)start[a]);
        }
    }
    c->count.values += n;
}

/* Variable v, a block of at most c->block values at a time: the axes after
 * a split axis whole, the split axis in steps, the axes before it one
 * index at a time. */
static int export_var(ex_ctx *c, const ex_var *v)
{
    size_t lo[EX_MAX_RANK] = {0}, ext[EX_MAX_RANK] = {0};
    size_t idx[EX_MAX_RANK] = {0}, start[EX_MAX_RANK] = {0};
    size_t count[EX_MAX_RANK] = {0};
    size_t inner = 1;
    for (int a = 0; a < v->rank; a++) {
        int run = v->role[a] == R_RUN;
        lo[a] = run ? c->run_lo : 0;
        ext[a] = run ? c->run_hi - c->run_lo : v->dims[a];
        if (ext[a] == 0)
            return 0;
    }
    int s = v->rank - 1;
    while (s > 0 && ext[s] > 0 && ext[s] <= c->block / inner)
        inner *= (size_t)ext[s--];
    /* axes > s hold `inner` values; axis s goes `step` indices at a time */
    size_t step = c->block / inner > ext[s] ? ext[s] : c->block / inner;
    if (step == 0)
        step = 1;
    int rc = line_room(c, v);
    if (rc)
        return rc;
    for (int a = 0; a < v->rank; a++) {
        idx[a] = lo[a];
        start[a] = lo[a];
        count[a] = a < s ? 1 : ext[a];
    }
    for (;;) {
        start[s] = idx[s];
        count[s] = lo[s] + ext[s] - idx[s] < step ? lo[s] + ext[s] - idx[s] : step;
        for (int a = 0; a < s; a++)
            start[a] = idx[a];
        if (output_reader_read(c->r, v->k, start, count, c->buf)) {
            rc = fail(c, EXPORT_BAD_INPUT, "%s", output_reader_error(c->r));
            break;
        }
        heartbeat(c, 0);
        emit_slab(c, v, start, count, inner * count[s]);
        if (c->out[OUT_VALUES].err) {
            rc = write_failed(c, &c->out[OUT_VALUES], c->out[OUT_VALUES].err);
            break;
        }
        /* the next block: along s, then the axes before it */
        int a = s;
        idx[a] += count[s];
        while (a > 0 && idx[a] >= lo[a] + ext[a]) {
            idx[a] = lo[a];
            idx[--a]++;
        }
        if (idx[a] >= lo[a] + ext[a])
            break;
    }
    return rc;
}

static int write_values(ex_ctx *c)
{
    out_puts(&c->out[OUT_VALUES], values_header);
    for (int k = 0; k < c->n_vars; k++) {
        int rc = export_var(c, &c->vars[k]);
        if (rc)
            return rc;
    }
    return 0;
}

/* ---- runs.csv ---------------------------------------------------------- */

static void runs_header(ex_ctx *c, int points)
{
    ex_out *w = &c->out[OUT_RUNS];
    out_puts(w, "run,seed");
    if (points)
        out_puts(w, ",point");
    for (int k = 0; k < output_reader_n_params(c->r); k++) {
        out_put(w, ",", 1);
        out_field(w, output_reader_param_name(c->r, k));
    }
    out_put(w, "\n", 1);
}

static int write_runs(ex_ctx *c)
{
    int n_params = output_reader_n_params(c->r), points = n_params > 0;
    double *vals = malloc(((size_t)n_params + 1) * sizeof *vals);
    ex_out *w = &c->out[OUT_RUNS];
    char num[40];
    if (!vals)
        return nomem(c);
    runs_header(c, points);
    int rc = 0;
    for (size_t run = c->run_lo; rc == 0 && run < c->run_hi; run++) {
        unsigned long seed;
        int point;
        if (output_reader_run_info(c->r, (int)run, &seed, &point, vals) < 0) {
            rc = fail(c, EXPORT_BAD_INPUT, "%s", output_reader_error(c->r));
            break;
        }
        if ((run - c->run_lo) % EX_ROWS == 0)
            heartbeat(c, 0);
        int len = snprintf(num, sizeof num, "%d,%lu",
                           output_reader_run_label(c->r, (int)run), seed);
        out_put(w, num, (size_t)len);
        if (points) {
            len = snprintf(num, sizeof num, ",%d", point);
            out_put(w, num, (size_t)len);
        }
        for (int k = 0; k < n_params; k++) {
            out_put(w, ",", 1);
            out_put(w, num, format_value(vals[k], num, sizeof num));
        }
        out_put(w, "\n", 1);
        c->count.runs++;
        if (w->err)
            rc = write_failed(c, w, w->err);
    }
    free(vals);
    return rc;
}

/* ---- events.csv -------------------------------------------------------- */

/* Is the run labelled `label` among the runs exported? */
static int run_exported(const ex_ctx *c, int label)
{
    if (!c->some_runs)
        return 1;
    int slot = output_reader_run_slot(c->r, label);
    return slot >= 0 && (size_t)slot >= c->run_lo && (size_t)slot < c->run_hi;
}

static void event_row(ex_ctx *c, const output_event_row *e)
{
    ex_out *w = &c->out[OUT_EVENTS];
    char num[40], date[32] = "";
    if (c->n[R_SCEN])
        out_field(w, e->scenario);
    else
        out_puts(w, c->scenario);
    int len = snprintf(num, sizeof num, ",%d,", e->run);
    out_put(w, num, (size_t)len);
    if (e->step >= 0)
        result_month_date(c->tunits, (long)e->step, date, sizeof date);
    out_puts(w, date);
    len = snprintf(num, sizeof num, ",%d", e->step);
    out_put(w, num, (size_t)len);
    const char *text[] = {e->kind, e->actor, e->target};
    for (int k = 0; k < 3; k++) {
        out_put(w, ",", 1);
        out_field(w, text[k]);
    }
    out_put(w, ",", 1);
    out_put(w, num, format_value(e->value, num, sizeof num));
    out_put(w, ",", 1);
    out_field(w, e->label);
    out_put(w, "\n", 1);
    c->count.events++;
}

static int write_events(ex_ctx *c)
{
    size_t n_ev = output_reader_n_events(c->r);
    output_event_row *rows = malloc(EX_ROWS * sizeof *rows);
    if (!rows)
        return nomem(c);
    out_puts(&c->out[OUT_EVENTS], events_header);
    int rc = 0;
    for (size_t at = 0; rc == 0 && at < n_ev; at += EX_ROWS) {
        size_t n = n_ev - at;
        if (n > EX_ROWS)
            n = EX_ROWS;
        if (output_reader_events(c->r, at, n, rows) < 0) {
            rc = fail(c, EXPORT_BAD_INPUT, "%s", output_reader_error(c->r));
            break;
        }
        heartbeat(c, 0);
        for (size_t i = 0; i < n; i++)
            if (run_exported(c, rows[i].run))
                event_row(c, &rows[i]);
        ex_out *w = &c->out[OUT_EVENTS];
        if (w->err)
            rc = write_failed(c, w, w->err);
    }
    free(rows);
    return rc;
}

/* ---- entry ------------------------------------------------------------- */

static int check_runs(ex_ctx *c)
{
    const export_opts *o = c->o;
    size_t n = c->n[R_RUN];
    if (o->first_run < 0 || (o->last_run >= 0 && o->last_run < o->first_run))
        return fail(c, EXPORT_BAD_INPUT, "runs %ld-%ld: not a range of runs",
                    o->first_run, o->last_run);
    if ((size_t)o->first_run >= n || (o->last_run >= 0 && (size_t)o->last_run >= n))
        return fail(c, EXPORT_BAD_INPUT, "runs %ld-%ld asked for, but %s has "
                    "%zu run%s", o->first_run, o->last_run >= 0 ? o->last_run
                    : (long)n - 1, c->path, n, n == 1 ? "" : "s");
    c->run_lo = (size_t)o->first_run;
    c->run_hi = o->last_run >= 0 ? (size_t)o->last_run + 1 : n;
    c->some_runs = c->run_lo > 0 || c->run_hi < n;
    return 0;
}

/* Refuse up front a file with more rows than o->max_rows. */
static int check_size(ex_ctx *c)
{
    double rows = (double)(c->run_hi - c->run_lo) +
                  (double)output_reader_n_events(c->r);
    for (int k = 0; k < c->n_vars; k++) {
        double n = 1.0;
        for (int a = 0; a < c->vars[k].rank; a++)
            n *= c->vars[k].role[a] == R_RUN ? (double)(c->run_hi - c->run_lo)
                                             : (double)c->vars[k].dims[a];
        rows += n;
    }
    if (c->o->max_rows > 0 && rows > c->o->max_rows)
        return fail(c, EXPORT_BAD_INPUT, "%s would give %.0f rows, more than "
                    "the limit of %.0f", c->path, rows, c->o->max_rows);
    return 0;
}

static void ctx_free(ex_ctx *c)
{
    for (int r = 0; r < N_ROLES; r++)
        for (size_t i = 0; c->label[r] && i < c->n[r]; i++)
            free(c->label[r][i]);
    for (int r = 0; r < N_ROLES; r++)
        free(c->label[r]);
    for (int k = 0; c->vars && k < c->n_vars; k++)
        var_free(&c->vars[k]);
    free(c->vars);
    for (int k = 0; k < N_OUTS; k++)
        free(c->out[k].final);
    free(c->scenario);
    free(c->buf);
    free(c->line);
    publish_inputs_free(c->inputs);
}

export_status export_csv(const char *path, const export_opts *o,
                         export_counts *counts, char *err, size_t errlen)
{
    ex_ctx c = {.path = path, .o = o, .err = err, .errlen = errlen,
                .block = o->block ? o->block : EX_BLOCK};
    err[0] = '\0';
    c.r = output_reader_open(path, err, errlen);
    if (!c.r)
        return EXPORT_BAD_INPUT;
    int rc = 0;
    if (!(c.inputs = publish_inputs_alloc()) ||
        publish_inputs_add(c.inputs, path) < 0)
        rc = nomem(&c);
    if (rc == 0)
        rc = load_coords(&c);
    if (rc == 0)
        rc = check_runs(&c);
    if (rc == 0)
        rc = choose_vars(&c);
    if (rc == 0)
        rc = check_size(&c);
    if (rc == 0 && !(c.buf = malloc(c.block * sizeof *c.buf)))
        rc = nomem(&c);
    if (rc == 0)
        rc = open_outputs(&c);
    if (rc == 0)
        rc = write_runs(&c);
    if (rc == 0)
        rc = write_values(&c);
    if (rc == 0)
        rc = write_events(&c);
    if (rc == 0) {
        heartbeat(&c, 1);
        rc = publish(&c);
    }
    if (rc != 0)
        discard(&c);
    if (rc == 0 && counts)
        *counts = c.count;
    ctx_free(&c);
    output_reader_close(c.r);
    return rc == 0 ? EXPORT_OK : rc == EXPORT_FAILED ? EXPORT_FAILED
                                                     : EXPORT_BAD_INPUT;
}
