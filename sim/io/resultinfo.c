/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * resultinfo.c - `sim info`: a readable summary of a result file.
 *
 * Reads with plain HDF5 calls what output.c writes: the global attributes,
 * the coordinates, the names of the recorded variables, the number of
 * events, and the headline figures for the focus agent (total shortfall per
 * good over the run, cohesion at the last record), as median and 5-95%
 * range across runs when the file holds several runs; with a scenario
 * dimension (paired comparisons), per scenario.
 */
#include "io/resultinfo.h"

#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <gsl/gsl_statistics_double.h>
#include <hdf5.h>
#include <hdf5_hl.h>

#include "io/output.h"
#include "model/calendar.h"

/* Limits of what a summary reads from a file it cannot trust. */
#define INFO_MAX_NAMES 100000
#define INFO_MAX_VALUES (64u << 20)
/* Type conversion buffer of a read (HDF5's default, 1 MiB, is allocated
 * and cleared afresh by every read that converts: strings, integers). */
#define INFO_CONV_BUFFER ((size_t)64 << 10)

/* What the summary needs from the file; freed by info_free(). */
typedef struct {
    char *scenario, *source, *history, *focus, *tunits;
    unsigned long long seed;
    int have_seed, months, every;
    size_t n_runs, n_rec, n_ev, n_agents, n_goods;
    size_t n_scen; /* 0: no scenario dimension */
    double *time;
    char **agents, **goods, **units, **scens;
} info;

/* ---- reading helpers --------------------------------------------------- */

char *result_attr_text(hid_t loc, const char *name)
{
    if (H5Aexists(loc, name) <= 0)
        return NULL;
    hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
    hid_t t = a >= 0 ? H5Aget_type(a) : -1;
    hid_t s = a >= 0 ? H5Aget_space(a) : -1;
    char *val = NULL;
    /* one string only: a crafted array would overrun the buffer */
    int one = s >= 0 && (H5Sget_simple_extent_type(s) == H5S_NULL ||
                         H5Sget_simple_extent_npoints(s) == 1);
    if (t >= 0 && s >= 0 && one && H5Tget_class(t) == H5T_STRING) {
        if (H5Sget_simple_extent_type(s) == H5S_NULL) {
            val = strdup("");
        } else if (H5Tis_variable_str(t) > 0) {
            char *v = NULL;
            if (H5Aread(a, t, &v) >= 0 && v)
                val = strdup(v);
            H5free_memory(v);
        } else {
            size_t n = H5Tget_size(t);
            val = calloc(n + 1, 1);
            if (val && H5Aread(a, t, val) < 0) {
                free(val);
                val = NULL;
            }
        }
    }
    if (s >= 0)
        H5Sclose(s);
    if (t >= 0)
        H5Tclose(t);
    if (a >= 0)
        H5Aclose(a);
    return val;
}

int result_attr_number(hid_t loc, const char *name, hid_t mtype, void *val)
{
    if (H5Aexists(loc, name) <= 0)
        return -1;
    hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
    hid_t s = a >= 0 ? H5Aget_space(a) : -1;
    hid_t t = a >= 0 ? H5Aget_type(a) : -1;
    H5T_class_t c = t >= 0 ? H5Tget_class(t) : H5T_NO_CLASS;
    /* a single number only: an array would overrun val */
    int rc = s >= 0 && H5Sget_simple_extent_npoints(s) == 1 &&
                     (c == H5T_INTEGER || c == H5T_FLOAT) &&
                     H5Aread(a, mtype, val) >= 0
                 ? 0
                 : -1;
    if (t >= 0)
        H5Tclose(t);
    if (s >= 0)
        H5Sclose(s);
    if (a >= 0)
        H5Aclose(a);
    return rc;
}

size_t result_length(hid_t file, const char *name)
{
    hsize_t n = 0;
    if (H5Lexists(file, name, H5P_DEFAULT) <= 0)
        return 0;
    hid_t ds = H5Dopen2(file, name, H5P_DEFAULT);
    hid_t s = ds >= 0 ? H5Dget_space(ds) : -1;
    if (s < 0 || H5Sget_simple_extent_ndims(s) != 1 ||
        H5Sget_simple_extent_dims(s, &n, NULL) < 0)
        n = 0;
    if (s >= 0)
        H5Sclose(s);
    if (ds >= 0)
        H5Dclose(ds);
    return (size_t)n;
}

/* Variable-length strings are allocated by this, which refuses lengths
 * no label could have: a damaged heap cannot make HDF5 ask for gigabytes.
 * Every block is kept on a list (a header before the string): when a read
 * fails half-way, HDF5 has converted some strings in a buffer of its own
 * that never reaches ours, so H5Dvlen_reclaim could not free them; the
 * list can. */
#define INFO_MAX_STRING (1u << 20)
typedef struct vlen_block {
    struct vlen_block *prev, *next;
    max_align_t align[];
} vlen_block;

static void *capped_alloc(size_t size, void *list)
{
    vlen_block **head = list;
    vlen_block *b = size > INFO_MAX_STRING ? NULL : malloc(sizeof *b + size);
    if (!b)
        return NULL;
    b->prev = NULL;
    b->next = *head;
    if (*head)
        (*head)->prev = b;
    *head = b;
    return b->align;
}

static void capped_free(void *mem, void *list)
{
    if (!mem)
        return;
    vlen_block **head = list;
    vlen_block *b = (vlen_block *)((char *)mem - offsetof(vlen_block, align));
    if (b->prev)
        b->prev->next = b->next;
    else
        *head = b->next;
    if (b->next)
        b->next->prev = b->prev;
    free(b);
}

static void capped_free_all(vlen_block **head)
{
    for (vlen_block *b = *head, *next; b; b = next) {
        next = b->next;
        free(b);
    }
    *head = NULL;
}

hid_t result_vlen_xfer(void **pool)
{
    hid_t x = H5Pcreate(H5P_DATASET_XFER);
    if (x >= 0 &&
        (H5Pset_vlen_mem_manager(x, capped_alloc, pool, capped_free, pool) < 0 ||
         H5Pset_buffer(x, INFO_CONV_BUFFER, NULL, NULL) < 0)) {
        H5Pclose(x);
        return -1;
    }
    return x;
}

void result_vlen_release(void **pool)
{
    capped_free_all((vlen_block **)pool);
}

char **result_strings(hid_t file, const char *name, size_t n, size_t first,
                      size_t count)
{
    if (count > INFO_MAX_NAMES || first > n || count > n - first)
        return NULL;
    char **out = calloc(count + 1, sizeof *out);
    char **raw = calloc(count + 1, sizeof *raw);
    hid_t ds = H5Lexists(file, name, H5P_DEFAULT) > 0
                   ? H5Dopen2(file, name, H5P_DEFAULT)
                   : -1;
    hid_t t = H5Tcopy(H5T_C_S1);
    hid_t s = ds >= 0 ? H5Dget_space(ds) : -1;
    hid_t ft = ds >= 0 ? H5Dget_type(ds) : -1;
    hsize_t len = 0, start = first, cnt = count;
    /* exactly n strings on one axis, or nothing is read */
    int shape = s >= 0 && ft >= 0 && H5Sget_simple_extent_ndims(s) == 1 &&
                H5Sget_simple_extent_dims(s, &len, NULL) == 1 && len == n &&
                H5Tget_class(ft) == H5T_STRING && H5Tis_variable_str(ft) > 0;
    if (ft >= 0)
        H5Tclose(ft);
    void *pool = NULL;
    hid_t x = result_vlen_xfer(&pool);
    hid_t ms = H5Screate_simple(1, &cnt, NULL);
    int ok = shape && out && raw && ds >= 0 && t >= 0 && s >= 0 && x >= 0 &&
             ms >= 0 &&
             H5Tset_size(t, H5T_VARIABLE) >= 0 &&
             H5Tset_cset(t, H5T_CSET_UTF8) >= 0 &&
             H5Sselect_hyperslab(s, H5S_SELECT_SET, &start, NULL, &cnt, NULL) >= 0 &&
             (count == 0 || H5Dread(ds, t, ms, s, x, raw) >= 0);
    for (size_t i = 0; ok && i < count; i++)
        ok = (out[i] = strdup(raw[i] ? raw[i] : "")) != NULL;
    result_vlen_release(&pool); /* the strings read, and any a failed read left */
    if (ms >= 0)
        H5Sclose(ms);
    if (x >= 0)
        H5Pclose(x);
    if (s >= 0)
        H5Sclose(s);
    if (t >= 0)
        H5Tclose(t);
    if (ds >= 0)
        H5Dclose(ds);
    free(raw);
    if (!ok && out) {
        result_strings_free(out, count);
        out = NULL;
    }
    return out;
}

/* A 1-D dataset of n variable-length strings, as n new strings. */
static char **read_strings(hid_t file, const char *name, size_t n)
{
    return result_strings(file, name, n, 0, n);
}

int result_read(hid_t ds, hid_t mtype, int rank, const hsize_t *start,
                const hsize_t *count, void *buf)
{
    hsize_t dims[8];
    hid_t fs = ds >= 0 ? H5Dget_space(ds) : -1;
    int fits = fs >= 0 && rank >= 1 && rank <= 8 &&
               H5Sget_simple_extent_ndims(fs) == rank &&
               H5Sget_simple_extent_dims(fs, dims, NULL) == rank;
    for (int a = 0; fits && a < rank; a++)
        fits = start[a] <= dims[a] && count[a] <= dims[a] - start[a];
    hid_t ms = fits ? H5Screate_simple(rank, count, NULL) : -1;
    hid_t x = fits ? H5Pcreate(H5P_DATASET_XFER) : -1;
    int ok = fits && ms >= 0 && x >= 0 &&
             H5Pset_buffer(x, INFO_CONV_BUFFER, NULL, NULL) >= 0 &&
             H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count,
                                 NULL) >= 0 &&
             H5Dread(ds, mtype, ms, fs, x, buf) >= 0;
    if (x >= 0)
        H5Pclose(x);
    if (ms >= 0)
        H5Sclose(ms);
    if (fs >= 0)
        H5Sclose(fs);
    return ok ? 0 : -1;
}

/* A hyperslab of doubles (start, count of `rank` axes) as a new array;
 * NULL when the dataset is absent or has another rank. */
static double *read_slab(hid_t file, const char *name, int rank,
                         const hsize_t *start, const hsize_t *count)
{
    if (H5Lexists(file, name, H5P_DEFAULT) <= 0)
        return NULL;
    size_t n = 1;
    for (int a = 0; a < rank; a++) {
        if (count[a] > INFO_MAX_VALUES || n * (size_t)count[a] > INFO_MAX_VALUES)
            return NULL; /* more than a summary should read: refuse */
        n *= (size_t)count[a];
    }
    hid_t ds = H5Dopen2(file, name, H5P_DEFAULT);
    double *buf = ds >= 0 ? malloc((n ? n : 1) * sizeof *buf) : NULL;
    if (buf && result_read(ds, H5T_NATIVE_DOUBLE, rank, start, count, buf) < 0) {
        free(buf);
        buf = NULL;
    }
    if (ds >= 0)
        H5Dclose(ds);
    return buf;
}

void result_strings_free(char **s, size_t n)
{
    for (size_t i = 0; s && i < n; i++)
        free(s[i]);
    free(s);
}

static void info_free(info *in)
{
    free(in->scenario);
    free(in->source);
    free(in->history);
    free(in->focus);
    free(in->tunits);
    free(in->time);
    result_strings_free(in->agents, in->n_agents);
    result_strings_free(in->goods, in->n_goods);
    result_strings_free(in->units, in->n_goods);
    result_strings_free(in->scens, in->n_scen);
}

static int info_read(hid_t f, info *in)
{
    hsize_t zero = 0, n_rec;
    in->scenario = result_attr_text(f, "scenario");
    in->source = result_attr_text(f, "source");
    in->history = result_attr_text(f, "history");
    in->focus = result_attr_text(f, "focus_agent");
    in->have_seed =
        result_attr_number(f, "master_seed", H5T_NATIVE_ULLONG, &in->seed) == 0;
    if (result_attr_number(f, "months", H5T_NATIVE_INT, &in->months) < 0)
        in->months = -1;
    if (result_attr_number(f, "record_every", H5T_NATIVE_INT, &in->every) < 0)
        in->every = -1;
    in->n_runs = result_length(f, "run");
    in->n_rec = result_length(f, "time");
    in->n_ev = result_length(f, "event");
    in->n_agents = result_length(f, "agent");
    in->n_goods = result_length(f, "good");
    in->n_scen = result_length(f, "scenario");
    n_rec = (hsize_t)in->n_rec;
    hid_t t = H5Dopen2(f, "time", H5P_DEFAULT);
    if (t >= 0) {
        in->tunits = result_attr_text(t, "units");
        H5Dclose(t);
    }
    in->time = n_rec ? read_slab(f, "time", 1, &zero, &n_rec) : NULL;
    in->agents = read_strings(f, "agent", in->n_agents);
    in->goods = read_strings(f, "good", in->n_goods);
    in->units = read_strings(f, "good_unit", in->n_goods);
    if (in->n_scen)
        in->scens = read_strings(f, "scenario", in->n_scen);
    return in->scenario && in->agents && in->goods &&
                   (in->n_scen == 0 || in->scens)
               ? 0
               : -1;
}

/* ---- calendar ---------------------------------------------------------- */

/* Day number (days since 1970-01-01) of time t in units "days since
 * Y-M-D"; -1 when the units are not of that form, or t or the date lie
 * so far out that the arithmetic could overflow. */
static int day_of(const char *units, double t, long *day)
{
    int y, m, d;
    if (!units || sscanf(units, "days since %d-%d-%d", &y, &m, &d) != 3 ||
        !(fabs(t) < 1e8) || y < -100000 || y > 100000 || m < 1 || m > 12 ||
        d < 1 || d > 31)
        return -1;
    *day = calendar_days_from_civil(y, m, d) + (long)floor(t);
    return 0;
}

int result_date(const char *units, double t, char *buf, size_t len)
{
    long day, y, m;
    if (day_of(units, t, &day) < 0)
        return -1;
    calendar_civil_from_days(day, &y, &m);
    snprintf(buf, len, "%04ld-%02ld-%02ld", y, m,
             day - calendar_days_from_civil(y, m, 1) + 1);
    return 0;
}

int result_month_date(const char *units, long months, char *buf, size_t len)
{
    long day, y, m;
    if (labs(months) > 100000000L || day_of(units, 0.0, &day) < 0)
        return -1;
    calendar_civil_from_days(day, &y, &m);
    long k = y * 12 + (m - 1) + months; /* months since year 0 */
    long yy = k >= 0 ? k / 12 : -((11 - k) / 12);
    snprintf(buf, len, "%04ld-%02ld-01", yy, k - yy * 12 + 1);
    return 0;
}

/* "YYYY-MM" of a time value in units "days since Y-M-D" (the number
 * itself when the units are not of that form). */
static void format_month(const info *in, double t, char *buf, size_t len)
{
    long day, yy, mm;
    if (day_of(in->tunits, t, &day) < 0) {
        snprintf(buf, len, "%g", t);
        return;
    }
    calendar_civil_from_days(day, &yy, &mm);
    snprintf(buf, len, "%04ld-%02ld", yy, mm);
}

/* ---- printing ---------------------------------------------------------- */

static void print_list(FILE *out, const char *label, char **items,
                       char **units, size_t n)
{
    fprintf(out, "%-12s %zu:", label, n);
    for (size_t i = 0; i < n; i++) {
        fprintf(out, "%s %s", i ? "," : "", items[i]);
        if (units && units[i] && units[i][0])
            fprintf(out, " (%s)", units[i]);
    }
    fputc('\n', out);
}

/* The recorded variables, in the writer's order (the order of creation
 * in every file it writes).  Each is looked up by name: iterating over a
 * damaged link table makes libhdf5 free a wild pointer
 * (tests/fuzz/hdf5-known/link-release-table-free.h5). */
static void print_vars(FILE *out, hid_t f)
{
    const char *const *all = output_var_names();
    size_t count = 0;
    for (size_t k = 0; all[k]; k++)
        count += H5Lexists(f, all[k], H5P_DEFAULT) > 0;
    fprintf(out, "%-12s %zu:", "variables", count);
    for (size_t k = 0, n = 0; all[k]; k++)
        if (H5Lexists(f, all[k], H5P_DEFAULT) > 0)
            fprintf(out, "%s %s", n++ ? "," : "", all[k]);
    fputc('\n', out);
}

static void print_header(FILE *out, const char *path, const info *in)
{
    char first[48] = "?", last[48] = "?";
    if (in->time && in->n_rec) {
        format_month(in, in->time[0], first, sizeof first);
        format_month(in, in->time[in->n_rec - 1], last, sizeof last);
    }
    fprintf(out, "%-12s %s\n", "file", path);
    fprintf(out, "%-12s %s\n", "scenario", in->scenario);
    fprintf(out, "%-12s %s\n", "source", in->source ? in->source : "?");
    if (in->history)
        fprintf(out, "%-12s %s\n", "history", in->history);
    if (in->have_seed)
        fprintf(out, "%-12s %llu\n", "master seed", in->seed);
    if (in->n_scen)
        print_list(out, "scenarios", in->scens, NULL, in->n_scen);
    fprintf(out, "%-12s %zu%s\n", "runs", in->n_runs,
            in->n_scen ? " per scenario (the same seeds in each)" : "");
    fprintf(out, "%-12s %zu", "records", in->n_rec);
    if (in->every > 0 && in->months > 0)
        fprintf(out, in->every == 1 ? " (every month over %d months)"
                                    : " (every %d months over %d months)",
                in->every == 1 ? in->months : in->every, in->months);
    fputc('\n', out);
    fprintf(out, "%-12s %s .. %s\n", "time span", first, last);
    print_list(out, "agents", in->agents, NULL, in->n_agents);
    print_list(out, "goods", in->goods, in->units, in->n_goods);
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

/* An (agent, good) variable for agent `a` over all runs and records of
 * scenario `sc` (ignored without a scenario dimension), as [run][rec][good];
 * NULL when not recorded. */
static double *read_agent_goods(hid_t f, const info *in, const char *name,
                                size_t sc, size_t a)
{
    hsize_t start[5] = {0}, count[5];
    int k = 0;
    if (in->n_scen) {
        start[k] = sc;
        count[k++] = 1;
    }
    count[k++] = in->n_runs;
    count[k++] = in->n_rec;
    start[k] = a;
    count[k++] = 1;
    count[k++] = in->n_goods;
    return read_slab(f, name, k, start, count);
}

/* Goods with nonzero demand for agent `a` in any scenario (all goods
 * without `demand`). */
static void goods_in_demand(hid_t f, const info *in, size_t a, int *keep)
{
    size_t per_good = in->n_runs * in->n_rec;
    size_t n_scen = in->n_scen ? in->n_scen : 1;
    for (size_t k = 0; k < in->n_goods; k++)
        keep[k] = 0;
    for (size_t sc = 0; sc < n_scen; sc++) {
        double *d = read_agent_goods(f, in, "demand", sc, a);
        for (size_t k = 0; k < in->n_goods; k++) {
            keep[k] |= d == NULL;
            for (size_t i = 0; d && i < per_good; i++)
                if (d[i * in->n_goods + k] != 0.0 &&
                    !isnan(d[i * in->n_goods + k]))
                    keep[k] = 1;
        }
        free(d);
    }
}

/* Per run, the sum over records of s[run][t][k] (NaN: nothing recorded). */
static void run_totals(const double *s, const info *in, size_t k, double *tot)
{
    for (size_t r = 0; r < in->n_runs; r++) {
        double sum = 0.0;
        int any = 0;
        for (size_t t = 0; t < in->n_rec; t++) {
            double v = s[(r * in->n_rec + t) * in->n_goods + k];
            if (!isnan(v)) {
                sum += v;
                any = 1;
            }
        }
        tot[r] = any ? sum : NAN;
    }
}

/* x[n_scen][n_runs]: one line per scenario with its figure across runs,
 * then one per later scenario with the paired differences from the first
 * (run by run: the scenarios share their seeds). */
static void print_scenario_rows(FILE *out, const info *in, const double *x)
{
    size_t R = in->n_runs, width = 12;
    double *tmp = malloc((R ? R : 1) * sizeof *tmp);
    char label[160];
    if (!tmp)
        return;
    for (size_t sc = 0; sc < in->n_scen; sc++) {
        size_t w = strlen(in->scens[sc]) + (sc ? 3 + strlen(in->scens[0]) : 0);
        width = w > width ? w : width;
    }
    width = width < sizeof label ? width : sizeof label - 1;
    for (size_t sc = 0; sc < in->n_scen; sc++) {
        memcpy(tmp, x + sc * R, R * sizeof *tmp);
        fprintf(out, "    %-*s ", (int)width, in->scens[sc]);
        print_stat(out, tmp, R);
        fputc('\n', out);
    }
    for (size_t sc = 1; sc < in->n_scen; sc++) {
        for (size_t r = 0; r < R; r++)
            tmp[r] = x[sc * R + r] - x[r];
        snprintf(label, sizeof label, "%s - %s", in->scens[sc], in->scens[0]);
        fprintf(out, "    %-*s ", (int)width, label);
        print_stat(out, tmp, R);
        fputc('\n', out);
    }
    free(tmp);
}

/* One run total per good, or (scenarios) per good one line per scenario
 * and one per difference from the first. */
static void print_shortfall(FILE *out, hid_t f, const info *in, size_t a)
{
    size_t n_scen = in->n_scen ? in->n_scen : 1;
    double **s = calloc(n_scen, sizeof *s);
    double *tot = calloc(in->n_runs * n_scen, sizeof *tot);
    int *keep = calloc(in->n_goods, sizeof *keep);
    size_t shown = 0, have = 0;
    for (size_t sc = 0; s && sc < n_scen; sc++)
        have += (s[sc] = read_agent_goods(f, in, "shortfall", sc, a)) != NULL;
    if (s && tot && keep && have == n_scen) {
        goods_in_demand(f, in, a, keep);
        for (size_t k = 0; k < in->n_goods; k++) {
            const char *unit = in->units ? in->units[k] : "";
            if (!keep[k])
                continue;
            shown++;
            if (!in->n_scen) {
                run_totals(s[0], in, k, tot);
                fprintf(out, "  %-10s ", in->goods[k]);
                print_stat(out, tot, in->n_runs);
                fprintf(out, " %s\n", unit);
                continue;
            }
            fprintf(out, "  %s (%s)\n", in->goods[k], unit);
            for (size_t sc = 0; sc < n_scen; sc++)
                run_totals(s[sc], in, k, tot + sc * in->n_runs);
            print_scenario_rows(out, in, tot);
        }
    }
    if (s && have < n_scen)
        fprintf(out, "  shortfall not recorded\n");
    else if (shown == 0)
        fprintf(out, "  no good with demand\n");
    for (size_t sc = 0; s && sc < n_scen; sc++)
        free(s[sc]);
    free(s);
    free(tot);
    free(keep);
}

static void print_cohesion(FILE *out, hid_t f, const info *in)
{
    char when[48] = "?";
    size_t n_scen = in->n_scen ? in->n_scen : 1;
    if (in->time)
        format_month(in, in->time[in->n_rec - 1], when, sizeof when);
    hsize_t start[3] = {0}, count[3];
    int k = 0;
    if (in->n_scen)
        count[k++] = n_scen;
    count[k++] = in->n_runs;
    start[k] = in->n_rec - 1;
    count[k++] = 1;
    double *c = read_slab(f, "cohesion", k, start, count);
    fprintf(out, "cohesion at %s:", when);
    if (!c)
        fprintf(out, " not recorded\n");
    else if (in->n_scen) {
        fputc('\n', out);
        print_scenario_rows(out, in, c);
    } else {
        fputc(' ', out);
        print_stat(out, c, in->n_runs);
        fputc('\n', out);
    }
    free(c);
}

static void print_headline(FILE *out, hid_t f, const info *in)
{
    size_t a = 0;
    if (in->n_runs == 0 || in->n_rec == 0)
        return;
    fputc('\n', out);
    while (in->focus && a < in->n_agents && strcmp(in->agents[a], in->focus) != 0)
        a++;
    if (!in->focus || a == in->n_agents) {
        fprintf(out, "focus agent '%s' is not among the agents\n",
                in->focus ? in->focus : "");
    } else {
        fprintf(out, "focus agent %s: total shortfall over the ", in->focus);
        if (in->every > 1)
            fprintf(out, "%zu recorded months (one in %d)", in->n_rec,
                    in->every);
        else
            fprintf(out, "run");
        if (in->n_runs > 1)
            fprintf(out, " (across %zu runs%s: median and 5-95%% range)",
                    in->n_runs, in->n_scen ? " per scenario" : "");
        else if (in->n_scen)
            fprintf(out, " (per scenario)");
        fprintf(out, "\n");
        print_shortfall(out, f, in, a);
    }
    print_cohesion(out, f, in);
}

/* ---- entry ------------------------------------------------------------- */

hid_t result_open(const char *path, char *err, size_t errlen)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    if (S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "cannot open %s: %s", path, strerror(EISDIR));
        return -1;
    }
    if (H5Fis_hdf5(path) <= 0) {
        snprintf(err, errlen, "%s is not an HDF5 file", path);
        return -1;
    }
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) {
        snprintf(err, errlen, "cannot open %s: HDF5 cannot read it", path);
        return -1;
    }
    const char *missing = H5Aexists(f, "scenario") <= 0 ? "'scenario' attribute"
                          : H5Lexists(f, "time", H5P_DEFAULT) <= 0
                              ? "'time' dimension"
                              : NULL;
    if (missing) {
        snprintf(err, errlen, "%s is not a result file of this program (no %s)",
                 path, missing);
        H5Fclose(f);
        return -1;
    }
    return f;
}

int result_info_print(const char *path, FILE *out, char *err, size_t errlen)
{
    info in = {0};
    output_library_init();
    hid_t f = result_open(path, err, errlen);
    if (f < 0)
        return -1;
    int rc = info_read(f, &in);
    if (rc < 0) {
        snprintf(err, errlen, "cannot read %s: coordinates missing or damaged",
                 path);
    } else {
        print_header(out, path, &in);
        print_vars(out, f);
        fprintf(out, "%-12s %zu\n", "events", in.n_ev);
        print_headline(out, f, &in);
    }
    info_free(&in);
    H5Eclear2(H5E_DEFAULT);
    H5Fclose(f);
    return rc;
}
