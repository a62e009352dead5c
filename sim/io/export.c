/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * export.c - a result file as tidy CSV tables (see export.h).
 *
 * The file is read with the hardened readers of resultinfo.c (shapes
 * checked before every read, string lengths and counts bounded), so a
 * damaged or foreign file is an error with a reason, never a read out of
 * bounds.  What HDF5 itself does on a damaged file is out of our hands:
 * `sim export` runs this in a child process (cmd_guarded).
 */
#include "io/export.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <hdf5.h>

#include "io/output.h"
#include "io/resultinfo.h"
#include "model/vars.h"

#define EX_BLOCK ((size_t)1 << 18)    /* values read at once (2 MiB)    */
#define EX_ROWS 4096                  /* event and run rows at once     */
#define EX_MAX_RECORDS ((size_t)1 << 20) /* time coordinate read whole  */
#define EX_CHUNK_CACHE ((size_t)4 << 20) /* > the writer's largest chunk */
#define EX_CACHE_SLOTS 1009
#define EX_MAX_RANK 6 /* scenario, run, time, agent, partner, good */
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
    const char *name;
    char *final, *tmp;
    FILE *fp;
    int err; /* errno of the first failure, 0 */
} ex_out;

enum { OUT_VALUES, OUT_EVENTS, OUT_RUNS, N_OUTS };

/* A record variable to export. */
typedef struct {
    const char *name; /* static (output_var_names) */
    int rank;
    int role[EX_MAX_RANK];
    hsize_t dims[EX_MAX_RANK];
    char *unit;        /* the units as a CSV field */
    char **good_unit;  /* [n goods] the good's own unit put in; NULL: unit */
} ex_var;

typedef struct {
    const char *path;
    const export_opts *o;
    char *err;
    size_t errlen;
    hid_t f;
    char *scenario; /* the file's scenario name, as a CSV field */
    char *tunits;
    size_t n[N_ROLES];       /* coordinate lengths; n[R_SCEN] 0: none */
    char **label[N_ROLES];   /* CSV fields by index (R_RUN: none) */
    size_t maxlen[N_ROLES];  /* longest label */
    char **units;            /* good_unit, raw */
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
    H5Eclear2(H5E_DEFAULT);
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

static char *join_path(const char *dir, const char *prefix, const char *name,
                       const char *suffix)
{
    size_t n = strlen(dir) + strlen(prefix) + strlen(name) + strlen(suffix) + 2;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/%s%s%s", dir, prefix, name, suffix);
    return p;
}

static int write_failed(ex_ctx *c, const ex_out *w, int e)
{
    return fail(c, EXPORT_FAILED, "cannot write %s: %s", w->final,
                strerror(e ? e : EIO));
}

/* The directory (made when missing) and the temporary files. */
static int open_outputs(ex_ctx *c)
{
    static const char *const names[N_OUTS] = {EXPORT_VALUES, EXPORT_EVENTS,
                                              EXPORT_RUNS};
    const char *dir = c->o->dir;
    char suffix[32];
    struct stat st;
    snprintf(suffix, sizeof suffix, ".tmp.%ld",
             c->o->tmp_id ? c->o->tmp_id : (long)getpid());
    if (!dir || !dir[0])
        return fail(c, EXPORT_FAILED, "no output directory given");
    if (stat(dir, &st) == 0) {
        if (!S_ISDIR(st.st_mode))
            return fail(c, EXPORT_FAILED, "cannot write to %s: %s", dir,
                        strerror(ENOTDIR));
    } else if (errno != ENOENT || mkdir(dir, 0777) != 0) {
        return fail(c, EXPORT_FAILED, "cannot create %s: %s", dir,
                    strerror(errno));
    } else {
        c->made_dir = 1;
    }
    for (int k = 0; k < N_OUTS; k++) {
        ex_out *w = &c->out[k];
        w->name = names[k];
        w->final = join_path(dir, "", names[k], "");
        w->tmp = join_path(dir, ".", names[k], suffix);
        if (!w->final || !w->tmp)
            return nomem(c);
        int fd = open(w->tmp, O_WRONLY | O_CREAT | O_TRUNC, 0666);
        if (fd < 0)
            return fail(c, EXPORT_FAILED, "cannot create %s: %s", w->final,
                        strerror(errno));
        w->fp = fdopen(fd, "w");
        if (!w->fp) {
            close(fd);
            unlink(w->tmp);
            return nomem(c);
        }
        setvbuf(w->fp, NULL, _IOFBF, EX_BUFSIZ);
    }
    return 0;
}

/* Flush, sync and close every file, then give each its final name. */
static int publish(ex_ctx *c)
{
    for (int k = 0; k < N_OUTS; k++) {
        ex_out *w = &c->out[k];
        if (w->err == 0 && fflush(w->fp) != 0)
            w->err = errno ? errno : EIO;
        if (w->err == 0 && fsync(fileno(w->fp)) != 0)
            w->err = errno;
        if (fclose(w->fp) != 0 && w->err == 0)
            w->err = errno ? errno : EIO;
        w->fp = NULL;
        if (w->err)
            return write_failed(c, w, w->err);
    }
    for (int k = 0; k < N_OUTS; k++) {
        ex_out *w = &c->out[k];
        if (rename(w->tmp, w->final) != 0)
            return fail(c, EXPORT_FAILED, "cannot rename %s to %s: %s",
                        w->tmp, w->final, strerror(errno));
        free(w->tmp);
        w->tmp = NULL; /* published: not removed on a later failure */
    }
    int fd = open(c->o->dir, O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        fsync(fd); /* best effort: the files are complete by now */
        close(fd);
    }
    return 0;
}

/* After a failure: the temporary files, and the directory if made here. */
static void discard(ex_ctx *c)
{
    for (int k = 0; k < N_OUTS; k++) {
        ex_out *w = &c->out[k];
        if (w->fp)
            fclose(w->fp);
        w->fp = NULL;
        if (w->tmp)
            unlink(w->tmp);
    }
    if (c->made_dir)
        rmdir(c->o->dir);
}

void export_remove_temps(const char *dir, long tmp_id)
{
    static const char *const names[N_OUTS] = {EXPORT_VALUES, EXPORT_EVENTS,
                                              EXPORT_RUNS};
    char suffix[32];
    snprintf(suffix, sizeof suffix, ".tmp.%ld", tmp_id);
    for (int k = 0; k < N_OUTS; k++) {
        char *tmp = join_path(dir, ".", names[k], suffix);
        if (tmp)
            unlink(tmp);
        free(tmp);
    }
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

/* n strings of coordinate `name` as CSV fields into c->label[role]. */
static int load_labels(ex_ctx *c, int role, const char *name, size_t n)
{
    char **raw = result_strings(c->f, name, n, 0, n);
    if (!raw)
        return fail(c, EXPORT_BAD_INPUT, "cannot read %s: its '%s' coordinate "
                    "is missing or damaged", c->path, name);
    c->label[role] = calloc(n + 1, sizeof *c->label[role]);
    for (size_t i = 0; c->label[role] && i < n; i++) {
        if (!(c->label[role][i] = csv_field(raw[i])))
            break;
        size_t len = strlen(c->label[role][i]);
        c->maxlen[role] = len > c->maxlen[role] ? len : c->maxlen[role];
    }
    int ok = c->label[role] && (n == 0 || c->label[role][n - 1]);
    result_strings_free(raw, n);
    return ok ? 0 : nomem(c);
}

/* The record dates, YYYY-MM-DD, from `time` and its units. */
static int load_times(ex_ctx *c)
{
    size_t n = c->n[R_TIME];
    hsize_t zero = 0, cnt = n;
    if (n > EX_MAX_RECORDS)
        return fail(c, EXPORT_BAD_INPUT, "cannot read %s: 'time' has %zu "
                    "records, more than a result file holds", c->path, n);
    hid_t ds = H5Dopen2(c->f, "time", H5P_DEFAULT);
    if (ds >= 0)
        c->tunits = result_attr_text(ds, "units");
    double *t = malloc((n ? n : 1) * sizeof *t);
    int ok = ds >= 0 && t &&
             result_read(ds, H5T_NATIVE_DOUBLE, 1, &zero, &cnt, t) == 0;
    if (ds >= 0)
        H5Dclose(ds);
    char date[32];
    if (ok && n && result_date(c->tunits, t[0], date, sizeof date) < 0) {
        free(t);
        return fail(c, EXPORT_BAD_INPUT, "cannot read %s: 'time' is not in "
                    "units of \"days since YYYY-MM-DD\"", c->path);
    }
    c->label[R_TIME] = ok ? calloc(n + 1, sizeof(char *)) : NULL;
    for (size_t i = 0; c->label[R_TIME] && i < n; i++) {
        /* a time that is not a date (NaN, far out): an empty field */
        if (result_date(c->tunits, t[i], date, sizeof date) < 0)
            date[0] = '\0';
        if (!(c->label[R_TIME][i] = strdup(date)))
            break;
        if (strlen(date) > c->maxlen[R_TIME])
            c->maxlen[R_TIME] = strlen(date);
    }
    ok = ok && c->label[R_TIME] && (n == 0 || c->label[R_TIME][n - 1]);
    free(t);
    if (!ok)
        return c->label[R_TIME] ? nomem(c)
                                : fail(c, EXPORT_BAD_INPUT, "cannot read %s: "
                                       "'time' is damaged", c->path);
    return 0;
}

static int load_coords(ex_ctx *c)
{
    char *name = result_attr_text(c->f, "scenario");
    c->scenario = name ? csv_field(name) : NULL;
    free(name);
    if (!c->scenario)
        return fail(c, EXPORT_BAD_INPUT, "cannot read %s: its 'scenario' "
                    "attribute is damaged", c->path);
    c->n[R_SCEN] = result_length(c->f, "scenario");
    c->n[R_RUN] = result_length(c->f, "run");
    c->n[R_TIME] = result_length(c->f, "time");
    c->n[R_AGENT] = result_length(c->f, "agent");
    c->n[R_PARTNER] = result_length(c->f, "partner");
    c->n[R_ROUTE] = result_length(c->f, "route");
    c->n[R_GOOD] = result_length(c->f, "good");
    c->maxlen[R_SCEN] = strlen(c->scenario);
    c->maxlen[R_RUN] = 24;
    int rc = 0;
    if (c->n[R_SCEN])
        rc = load_labels(c, R_SCEN, "scenario", c->n[R_SCEN]);
    if (rc == 0)
        rc = load_times(c);
    if (rc == 0)
        rc = load_labels(c, R_AGENT, "agent", c->n[R_AGENT]);
    if (rc == 0 && c->n[R_PARTNER])
        rc = load_labels(c, R_PARTNER, "partner", c->n[R_PARTNER]);
    if (rc == 0 && c->n[R_ROUTE])
        rc = load_labels(c, R_ROUTE, "route", c->n[R_ROUTE]);
    if (rc == 0)
        rc = load_labels(c, R_GOOD, "good", c->n[R_GOOD]);
    if (rc)
        return rc;
    c->units = result_strings(c->f, "good_unit", c->n[R_GOOD], 0, c->n[R_GOOD]);
    if (!c->units)
        return fail(c, EXPORT_BAD_INPUT, "cannot read %s: its 'good_unit' "
                    "coordinate is missing or damaged", c->path);
    return 0;
}

/* ---- variables --------------------------------------------------------- */

/* The axes of a variable of this shape after (run, time). */
static int shape_roles(var_shape shape, int *role)
{
    switch (shape) {
    case VAR_AG: role[0] = R_AGENT; role[1] = R_GOOD; return 2;
    case VAR_APG:
        role[0] = R_AGENT; role[1] = R_PARTNER; role[2] = R_GOOD; return 3;
    case VAR_AP: role[0] = R_AGENT; role[1] = R_PARTNER; return 2;
    case VAR_G: role[0] = R_GOOD; return 1;
    case VAR_A: role[0] = R_AGENT; return 1;
    case VAR_RG: role[0] = R_ROUTE; role[1] = R_GOOD; return 2;
    default: return 0;
    }
}

/* units with the good's own unit put in: "good units month-1 (see
 * good_unit)" -> "rounds month-1", "USD per good unit (see good_unit)" ->
 * "USD per rounds". */
static char *unit_for_good(const char *units, const char *good_unit)
{
    static const char see[] = " (see good_unit)";
    const char *at = strstr(units, "good unit");
    size_t n = strlen(units) + strlen(good_unit) + 1;
    char *s = malloc(n), *q;
    if (!s)
        return NULL;
    if (!at) {
        snprintf(s, n, "%s", units);
    } else {
        size_t skip = strncmp(at, "good units", 10) == 0 ? 10 : 9;
        snprintf(s, n, "%.*s%s%s", (int)(at - units), units, good_unit,
                 at + skip);
    }
    if ((q = strstr(s, see)) != NULL)
        memmove(q, q + sizeof see - 1, strlen(q + sizeof see - 1) + 1);
    q = csv_field(s);
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

/* Check variable `name` against the coordinates and take its units. */
static int var_load(ex_ctx *c, const char *name, ex_var *v)
{
    const state_var *sv = state_var_find(name);
    int inner[3], n_inner = sv ? shape_roles(sv->shape, inner) : 0;
    hsize_t dims[EX_MAX_RANK];
    v->name = name;
    v->rank = 0;
    if (c->n[R_SCEN])
        v->role[v->rank++] = R_SCEN;
    v->role[v->rank++] = R_RUN;
    v->role[v->rank++] = R_TIME;
    for (int a = 0; a < n_inner; a++)
        v->role[v->rank++] = inner[a];
    hid_t ds = sv ? H5Dopen2(c->f, name, H5P_DEFAULT) : -1;
    hid_t s = ds >= 0 ? H5Dget_space(ds) : -1;
    int ok = s >= 0 && H5Sget_simple_extent_ndims(s) == v->rank &&
             H5Sget_simple_extent_dims(s, dims, NULL) == v->rank;
    for (int a = 0; ok && a < v->rank; a++) {
        v->dims[a] = c->n[v->role[a]];
        ok = dims[a] == v->dims[a];
    }
    char *units = ok ? result_attr_text(ds, "units") : NULL;
    if (s >= 0)
        H5Sclose(s);
    if (ds >= 0)
        H5Dclose(ds);
    if (!ok)
        return fail(c, EXPORT_BAD_INPUT, "cannot read %s: '%s' does not have "
                    "the dimensions of its coordinates", c->path, name);
    v->unit = csv_field(units ? units : "");
    int ok_units = v->unit != NULL;
    /* a variable on `good` in "good units": each good's own unit */
    if (ok_units && units && strstr(units, "good unit") && c->n[R_GOOD] &&
        v->role[v->rank - 1] == R_GOOD) {
        v->good_unit = calloc(c->n[R_GOOD] + 1, sizeof(char *));
        ok_units = v->good_unit != NULL;
        for (size_t k = 0; ok_units && k < c->n[R_GOOD]; k++)
            ok_units = (v->good_unit[k] = unit_for_good(units, c->units[k])) != NULL;
    }
    free(units);
    return ok_units ? 0 : nomem(c);
}

/* The variables asked for (checked), or every one in the file. */
static int choose_vars(ex_ctx *c)
{
    const char *const *all = output_var_names();
    const export_opts *o = c->o;
    int n_all = 0;
    while (all[n_all])
        n_all++;
    c->vars = calloc((size_t)(o->vars ? o->n_vars : n_all) + 1, sizeof *c->vars);
    if (!c->vars)
        return nomem(c);
    if (o->vars) {
        for (int k = 0; k < o->n_vars; k++) {
            const char *name = o->vars[k];
            int known = -1;
            for (int j = 0; j < n_all && known < 0; j++)
                if (strcmp(all[j], name) == 0)
                    known = j;
            if (known < 0)
                return fail(c, EXPORT_BAD_INPUT, "unknown variable '%s' ('sim "
                            "info FILE' lists those of a file)", name);
            for (int j = 0; j < k; j++)
                if (strcmp(o->vars[j], name) == 0)
                    return fail(c, EXPORT_BAD_INPUT, "variable '%s' given "
                                "twice", name);
            if (H5Lexists(c->f, name, H5P_DEFAULT) <= 0)
                return fail(c, EXPORT_BAD_INPUT, "%s does not record '%s'",
                            c->path, name);
            int rc = var_load(c, all[known], &c->vars[c->n_vars++]);
            if (rc)
                return rc;
        }
        return 0;
    }
    for (int j = 0; j < n_all; j++) {
        int rc = H5Lexists(c->f, all[j], H5P_DEFAULT) > 0
                     ? var_load(c, all[j], &c->vars[c->n_vars++])
                     : 0;
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
        snprintf(r->run, sizeof r->run, "%zu", i);
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
static void emit_slab(ex_ctx *c, const ex_var *v, const hsize_t *start,
                      const hsize_t *count, size_t n)
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
    hsize_t lo[EX_MAX_RANK] = {0}, ext[EX_MAX_RANK] = {0};
    hsize_t idx[EX_MAX_RANK] = {0}, start[EX_MAX_RANK] = {0};
    hsize_t count[EX_MAX_RANK] = {0};
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
    hsize_t step = c->block / inner > ext[s] ? ext[s] : c->block / inner;
    if (step == 0)
        step = 1;
    int rc = line_room(c, v);
    if (rc)
        return rc;
    hid_t dapl = H5Pcreate(H5P_DATASET_ACCESS);
    if (dapl >= 0)
        H5Pset_chunk_cache(dapl, EX_CACHE_SLOTS, EX_CHUNK_CACHE, 1.0);
    hid_t ds = H5Dopen2(c->f, v->name, dapl >= 0 ? dapl : H5P_DEFAULT);
    if (dapl >= 0)
        H5Pclose(dapl);
    if (ds < 0)
        return fail(c, EXPORT_BAD_INPUT, "cannot read '%s' in %s: the file is "
                    "damaged", v->name, c->path);
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
        if (result_read(ds, H5T_NATIVE_DOUBLE, v->rank, start, count, c->buf)) {
            rc = fail(c, EXPORT_BAD_INPUT, "cannot read '%s' in %s: the file "
                      "is damaged", v->name, c->path);
            break;
        }
        heartbeat(c, 0);
        emit_slab(c, v, start, count, inner * (size_t)count[s]);
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
    H5Dclose(ds);
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

/* An optional run column (seed, point): open when present with n rows. */
static hid_t open_column(ex_ctx *c, const char *name, int rank,
                         const hsize_t *dims, int *bad)
{
    hsize_t d[2];
    if (H5Lexists(c->f, name, H5P_DEFAULT) <= 0)
        return -1;
    hid_t ds = H5Dopen2(c->f, name, H5P_DEFAULT);
    hid_t s = ds >= 0 ? H5Dget_space(ds) : -1;
    int ok = s >= 0 && H5Sget_simple_extent_ndims(s) == rank &&
             H5Sget_simple_extent_dims(s, d, NULL) == rank && d[0] == dims[0] &&
             (rank == 1 || d[1] == dims[1]);
    if (s >= 0)
        H5Sclose(s);
    if (!ok && ds >= 0) {
        H5Dclose(ds);
        ds = -1;
    }
    if (!ok) {
        *bad = 1;
        fail(c, EXPORT_BAD_INPUT, "cannot read %s: '%s' does not have the "
             "dimensions of its coordinates", c->path, name);
    }
    return ds;
}

typedef struct {
    hid_t seed, point, values;
    size_t rows; /* runs read at once */
    size_t n_params;
    char **params;
    unsigned long long *seeds;
    long long *points;
    double *vals;
} ex_runs;

static void runs_close(ex_runs *r)
{
    if (r->seed >= 0)
        H5Dclose(r->seed);
    if (r->point >= 0)
        H5Dclose(r->point);
    if (r->values >= 0)
        H5Dclose(r->values);
    result_strings_free(r->params, r->n_params);
    free(r->seeds);
    free(r->points);
    free(r->vals);
}

static int runs_open(ex_ctx *c, ex_runs *r)
{
    hsize_t dims[2] = {c->n[R_RUN], 0};
    int bad = 0;
    r->seed = open_column(c, "seed", 1, dims, &bad);
    r->point = open_column(c, "point", 1, dims, &bad);
    r->n_params = result_length(c->f, "param");
    dims[1] = r->n_params;
    r->values = r->n_params ? open_column(c, "param_value", 2, dims, &bad) : -1;
    if (bad)
        return -1;
    if (r->n_params && (r->values < 0 ||
                        !(r->params = result_strings(c->f, "param", r->n_params,
                                                     0, r->n_params))))
        return fail(c, EXPORT_BAD_INPUT, "cannot read %s: its 'param' or "
                    "'param_value' is missing or damaged", c->path);
    r->rows = r->n_params > EX_BLOCK / EX_ROWS ? EX_BLOCK / r->n_params : EX_ROWS;
    if (r->rows == 0)
        r->rows = 1;
    r->seeds = malloc(r->rows * sizeof *r->seeds);
    r->points = malloc(r->rows * sizeof *r->points);
    r->vals = malloc(r->rows * (r->n_params + 1) * sizeof *r->vals);
    return r->seeds && r->points && r->vals ? 0 : nomem(c);
}

static void runs_header(ex_out *w, const ex_runs *r)
{
    out_puts(w, "run,seed");
    if (r->point >= 0)
        out_puts(w, ",point");
    for (size_t k = 0; r->params && k < r->n_params; k++) {
        out_put(w, ",", 1);
        out_field(w, r->params[k]);
    }
    out_put(w, "\n", 1);
}

static int runs_block(ex_ctx *c, ex_runs *r, size_t first, size_t n)
{
    hsize_t start[2] = {first, 0}, count[2] = {n, r->n_params};
    if ((r->seed >= 0 &&
         result_read(r->seed, H5T_NATIVE_ULLONG, 1, start, count, r->seeds)) ||
        (r->point >= 0 &&
         result_read(r->point, H5T_NATIVE_LLONG, 1, start, count, r->points)) ||
        (r->values >= 0 &&
         result_read(r->values, H5T_NATIVE_DOUBLE, 2, start, count, r->vals)))
        return fail(c, EXPORT_BAD_INPUT, "cannot read the runs' seeds or "
                    "parameters in %s: the file is damaged", c->path);
    heartbeat(c, 0);
    ex_out *w = &c->out[OUT_RUNS];
    char num[40];
    for (size_t i = 0; i < n; i++) {
        int len = snprintf(num, sizeof num, "%zu,", first + i);
        out_put(w, num, (size_t)len);
        if (r->seed >= 0) {
            len = snprintf(num, sizeof num, "%llu", r->seeds[i]);
            out_put(w, num, (size_t)len);
        }
        if (r->point >= 0) {
            len = snprintf(num, sizeof num, ",%lld", r->points[i]);
            out_put(w, num, (size_t)len);
        }
        for (size_t k = 0; k < r->n_params; k++) {
            out_put(w, ",", 1);
            out_put(w, num, format_value(r->vals[i * r->n_params + k], num,
                                         sizeof num));
        }
        out_put(w, "\n", 1);
    }
    c->count.runs += n;
    return w->err ? write_failed(c, w, w->err) : 0;
}

static int write_runs(ex_ctx *c)
{
    ex_runs r = {.seed = -1, .point = -1, .values = -1};
    int rc = runs_open(c, &r);
    if (rc == 0)
        runs_header(&c->out[OUT_RUNS], &r);
    for (size_t at = c->run_lo; rc == 0 && at < c->run_hi; at += r.rows)
        rc = runs_block(c, &r, at,
                        c->run_hi - at < r.rows ? c->run_hi - at : r.rows);
    runs_close(&r);
    return rc;
}

/* ---- events.csv -------------------------------------------------------- */

enum { EV_SCEN, EV_KIND, EV_ACTOR, EV_TARGET, EV_LABEL, EV_N_TEXT };
static const char *const ev_text[EV_N_TEXT] = {
    "event_scenario", "event_kind", "event_actor", "event_target",
    "event_label"};

typedef struct {
    hid_t run, step, value;
    long long runs[EX_ROWS], steps[EX_ROWS];
    double values[EX_ROWS];
    char **text[EV_N_TEXT];
} ex_events;

static void events_close(ex_events *e, size_t n)
{
    if (e->run >= 0)
        H5Dclose(e->run);
    if (e->step >= 0)
        H5Dclose(e->step);
    if (e->value >= 0)
        H5Dclose(e->value);
    for (int k = 0; k < EV_N_TEXT; k++) {
        result_strings_free(e->text[k], n);
        e->text[k] = NULL;
    }
}

static void event_row(ex_ctx *c, const ex_events *e, size_t i)
{
    ex_out *w = &c->out[OUT_EVENTS];
    char num[40], date[32] = "";
    if (e->text[EV_SCEN])
        out_field(w, e->text[EV_SCEN][i]);
    else
        out_puts(w, c->scenario);
    int len = snprintf(num, sizeof num, ",%lld,", e->runs[i]);
    out_put(w, num, (size_t)len);
    if (e->steps[i] >= 0)
        result_month_date(c->tunits, (long)e->steps[i], date, sizeof date);
    out_puts(w, date);
    len = snprintf(num, sizeof num, ",%lld", e->steps[i]);
    out_put(w, num, (size_t)len);
    for (int k = EV_KIND; k <= EV_TARGET; k++) {
        out_put(w, ",", 1);
        out_field(w, e->text[k][i]);
    }
    out_put(w, ",", 1);
    out_put(w, num, format_value(e->values[i], num, sizeof num));
    out_put(w, ",", 1);
    out_field(w, e->text[EV_LABEL][i]);
    out_put(w, "\n", 1);
    c->count.events++;
}

static int events_block(ex_ctx *c, ex_events *e, size_t n_ev, size_t first,
                        size_t n)
{
    hsize_t start = first, count = n;
    int ok = result_read(e->run, H5T_NATIVE_LLONG, 1, &start, &count, e->runs) == 0 &&
             result_read(e->step, H5T_NATIVE_LLONG, 1, &start, &count, e->steps) == 0 &&
             result_read(e->value, H5T_NATIVE_DOUBLE, 1, &start, &count, e->values) == 0;
    for (int k = 0; ok && k < EV_N_TEXT; k++)
        ok = (k == EV_SCEN && !c->n[R_SCEN]) ||
             (e->text[k] = result_strings(c->f, ev_text[k], n_ev, first, n)) != NULL;
    int rc = ok ? 0 : fail(c, EXPORT_BAD_INPUT, "cannot read the events in "
                           "%s: the event table is damaged", c->path);
    heartbeat(c, 0);
    for (size_t i = 0; ok && i < n; i++)
        if (!c->some_runs || (e->runs[i] >= (long long)c->run_lo &&
                              e->runs[i] < (long long)c->run_hi))
            event_row(c, e, i);
    for (int k = 0; k < EV_N_TEXT; k++) {
        result_strings_free(e->text[k], n);
        e->text[k] = NULL;
    }
    ex_out *w = &c->out[OUT_EVENTS];
    return rc ? rc : w->err ? write_failed(c, w, w->err) : 0;
}

static int write_events(ex_ctx *c)
{
    ex_events *e = calloc(1, sizeof *e);
    size_t n_ev = result_length(c->f, "event_run");
    if (!e)
        return nomem(c);
    out_puts(&c->out[OUT_EVENTS], events_header);
    e->run = e->step = e->value = -1;
    int rc = 0;
    if (n_ev) {
        e->run = H5Dopen2(c->f, "event_run", H5P_DEFAULT);
        e->step = H5Dopen2(c->f, "event_step", H5P_DEFAULT);
        e->value = H5Dopen2(c->f, "event_value", H5P_DEFAULT);
        if (e->run < 0 || e->step < 0 || e->value < 0)
            rc = fail(c, EXPORT_BAD_INPUT, "cannot read the events in %s: the "
                      "event table is incomplete or damaged", c->path);
    }
    for (size_t at = 0; rc == 0 && at < n_ev; at += EX_ROWS)
        rc = events_block(c, e, n_ev, at, n_ev - at < EX_ROWS ? n_ev - at : EX_ROWS);
    events_close(e, 0);
    free(e);
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
                  (double)result_length(c->f, "event_run");
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
        result_strings_free(c->label[r], c->n[r]);
    result_strings_free(c->units, c->n[R_GOOD]);
    for (int k = 0; c->vars && k < c->n_vars; k++)
        var_free(&c->vars[k]);
    free(c->vars);
    for (int k = 0; k < N_OUTS; k++) {
        free(c->out[k].final);
        free(c->out[k].tmp);
    }
    free(c->scenario);
    free(c->tunits);
    free(c->buf);
    free(c->line);
}

export_status export_csv(const char *path, const export_opts *o,
                         export_counts *counts, char *err, size_t errlen)
{
    ex_ctx c = {.path = path, .o = o, .err = err, .errlen = errlen,
                .block = o->block ? o->block : EX_BLOCK};
    output_library_init();
    err[0] = '\0';
    c.f = result_open(path, err, errlen);
    if (c.f < 0)
        return EXPORT_BAD_INPUT;
    int rc = load_coords(&c);
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
    H5Eclear2(H5E_DEFAULT);
    H5Fclose(c.f);
    return rc == 0 ? EXPORT_OK : rc == EXPORT_FAILED ? EXPORT_FAILED
                                                     : EXPORT_BAD_INPUT;
}
