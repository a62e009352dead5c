/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * merge.c - combine result files of one job (see merge.h).
 *
 * One input is open at a time, so memory does not grow with the number
 * of inputs (and by a few bytes a run only): a first pass checks identities
 * and which input holds which run, a second copies each input's runs.
 * Runs are known by their label, their index in the job: the inputs may
 * hold the whole run axis with some runs not done (a sweep's parts) or
 * only their own runs (shards).
 */
#include "merge.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/config.h"
#include "io/result/reader.h"

#define MERGE_MAX_ATTRS 16
#define MERGE_MAX_HISTORY (1 << 20) /* bytes of history carried over */

/* Attributes of the job carried over from the first input: text or
 * numbers. */
static const struct {
    const char *name;
    int number;
} carried[] = {{"sweep_hash", 0},   {"event_log", 0},
               {"sweep_design", 0}, {"sweep_points", 1},
               {"sweep_replicates", 1}, {"sweep_runs", 1},
               {"posterior", 0}, {"posterior_fit_hash", 0},
               {"posterior_status", 0}};
#define N_CARRIED (sizeof carried / sizeof carried[0])

void merge_describe_runs(const unsigned char *held, int n_runs, int want,
                         char *buf, size_t len)
{
    size_t at = 0;
    buf[0] = '\0';
    for (int r = 0; r < n_runs; r++) {
        if (held[r] != want)
            continue;
        int e = r;
        while (e + 1 < n_runs && held[e + 1] == want)
            e++;
        char item[48];
        if (e > r)
            snprintf(item, sizeof item, "%s%d-%d", at ? ", " : "", r, e);
        else
            snprintf(item, sizeof item, "%s%d", at ? ", " : "", r);
        if (at + strlen(item) + 4 >= len) {
            snprintf(buf + at, len - at, "...");
            return;
        }
        memcpy(buf + at, item, strlen(item) + 1);
        at += strlen(item);
        r = e;
    }
}

/* What the first input says about the job, kept after it is closed. */
typedef struct {
    char *job, *config, *seed;
    char *kept[N_CARRIED]; /* the carried attributes, NULL when absent */
    char **vars, **params, **units;
    int n_runs;  /* runs of the job */
    int n_vars, n_params;
    int runs_per_chunk; /* the inputs', kept so that chunks copy whole */
    char *history; /* the inputs' history lines, each once */
    size_t hist_len;
} job_info;

static char *dup_or_null(const char *s) { return s ? strdup(s) : NULL; }

static void job_free(job_info *j)
{
    free(j->job);
    free(j->config);
    free(j->seed);
    for (size_t k = 0; k < N_CARRIED; k++)
        free(j->kept[k]);
    for (int k = 0; j->vars && k < j->n_vars; k++)
        free(j->vars[k]);
    for (int k = 0; j->params && k < j->n_params; k++) {
        free(j->params[k]);
        free(j->units[k]);
    }
    free(j->vars);
    free(j->params);
    free(j->units);
    free(j->history);
}

/* The identity of a job: its sweep hash, or its configuration. */
static const char *job_of(const output_reader *r)
{
    const char *h = output_reader_attr(r, "sweep_hash");
    return h ? h : output_reader_attr(r, "config");
}

/* The runs of the job the input belongs to: sweep_runs, or its run axis. */
static int job_runs(const output_reader *r)
{
    long long n;
    if (output_reader_attr_number(r, "sweep_runs", &n) == 0 && n > 0 &&
        n <= 1000000000LL)
        return (int)n;
    return output_reader_n_runs(r);
}

/* Add each line of r's history not seen yet to the job's. */
static int add_history(job_info *j, const output_reader *r)
{
    const char *h = output_reader_attr(r, "history");
    while (h && *h) {
        size_t len = strcspn(h, "\n");
        int seen = 0;
        for (const char *at = j->history; at && *at && !seen;) {
            size_t l = strcspn(at, "\n");
            seen = l == len && memcmp(at, h, len) == 0;
            at += l + (at[l] == '\n');
        }
        if (!seen && len > 0 && j->hist_len + len + 2 < MERGE_MAX_HISTORY) {
            char *grown = realloc(j->history, j->hist_len + len + 2);
            if (!grown)
                return -1;
            j->history = grown;
            memcpy(j->history + j->hist_len, h, len);
            j->hist_len += len;
            j->history[j->hist_len++] = '\n';
            j->history[j->hist_len] = '\0';
        }
        h += len + (h[len] == '\n');
    }
    return 0;
}

static int job_read(output_reader *r, job_info *j)
{
    j->job = dup_or_null(job_of(r));
    j->config = dup_or_null(output_reader_attr(r, "config"));
    j->seed = dup_or_null(output_reader_attr(r, "master_seed"));
    for (size_t k = 0; k < N_CARRIED; k++) {
        const char *v = output_reader_attr(r, carried[k].name);
        if (v && !(j->kept[k] = strdup(v)))
            return -1;
    }
    j->runs_per_chunk = output_reader_runs_per_chunk(r);
    j->n_runs = job_runs(r);
    j->n_vars = output_reader_n_vars(r);
    j->n_params = output_reader_n_params(r);
    j->vars = calloc((size_t)j->n_vars + 1, sizeof *j->vars);
    j->params = calloc((size_t)j->n_params + 1, sizeof *j->params);
    j->units = calloc((size_t)j->n_params + 1, sizeof *j->units);
    if (!j->job || !j->config || !j->vars || !j->params || !j->units)
        return -1;
    for (int k = 0; k < j->n_vars; k++)
        if (!(j->vars[k] = strdup(output_reader_var_name(r, k))))
            return -1;
    for (int k = 0; k < j->n_params; k++)
        if (!(j->params[k] = strdup(output_reader_param_name(r, k))) ||
            !(j->units[k] = strdup(output_reader_param_unit(r, k))))
            return -1;
    return 0;
}

/* Who holds which run of the job: input owner[label], at slot[label]. */
typedef struct {
    unsigned char *held;
    int *owner, *slot;
} holdings;

/* Pass 1: identities and who holds which run (exactly once). */
static int scan(const char *const *inputs, int n, job_info *job,
                holdings *h, int *written, char *err, size_t errlen)
{
    for (int k = 0; k < n; k++) {
        output_reader *r = output_reader_open(inputs[k], err, errlen);
        if (!r)
            return -1;
        int rc = -1;
        const char *id = job_of(r);
        if (output_reader_n_scenarios(r) > 0) {
            snprintf(err, errlen, "%s has a scenario axis (a 'sim compare' "
                     "file): only the files of a sweep or an ensemble are "
                     "merged", inputs[k]);
        } else if (k == 0 && job_read(r, job)) {
            snprintf(err, errlen, "%s: not a result of this program, or out of "
                     "memory", inputs[k]);
        } else if (!id || strcmp(id, job->job) != 0 || job_runs(r) != job->n_runs) {
            snprintf(err, errlen, "%s comes from another job than %s (a different "
                     "sweep or configuration)", inputs[k], inputs[0]);
        } else if (add_history(job, r) < 0) {
            snprintf(err, errlen, "out of memory");
        } else {
            rc = 0;
            for (int s = 0; rc == 0 && s < output_reader_n_runs(r); s++) {
                int d = output_reader_run_info(r, s, NULL, NULL, NULL);
                int label = output_reader_run_label(r, s);
                if (d < 0) {
                    snprintf(err, errlen, "%s: %s", inputs[k], output_reader_error(r));
                    rc = -1;
                } else if (d && label >= job->n_runs) {
                    snprintf(err, errlen, "%s: run %d is past the %d runs of its "
                             "job", inputs[k], label, job->n_runs);
                    rc = -1;
                } else if (d && h->held[label]) {
                    snprintf(err, errlen, "run %d is in both %s and %s", label,
                             inputs[h->owner[label]], inputs[k]);
                    rc = -1;
                } else if (d) {
                    h->held[label] = 1;
                    h->owner[label] = k;
                    h->slot[label] = s;
                    (*written)++;
                }
            }
        }
        output_reader_close(r);
        if (rc)
            return -1;
    }
    return 0;
}

/* Copy the run of the input at slot `from` to the output's slot `to`. */
static int copy_run(output_reader *in, const char *input, int from, int to,
                    const job_info *job, const model_params *p, output *out,
                    output_run *rec, double *values, char *err, size_t errlen)
{
    unsigned long seed;
    int point, n_ev;
    const model_event *ev;
    output_run_reset(rec);
    if (output_reader_run_info(in, from, &seed, &point, values) < 0 ||
        output_reader_run(in, p, from, rec, &ev, &n_ev)) {
        snprintf(err, errlen, "%s: run %d: %s", input,
                 output_reader_run_label(in, from), output_reader_error(in));
        return -1;
    }
    if (output_write_run(out, 0, to, seed, rec, ev, n_ev) ||
        (job->n_params && output_write_point(out, to, point, values))) {
        snprintf(err, errlen, "%s", output_error(out));
        return -1;
    }
    return 0;
}

/* Pass 2: input k's runs into the writer: a block of output slots whose
 * runs input k holds whole, chunk-aligned, is copied as its compressed
 * chunks are (output_copy_block), any other run one by one.  labels[s] is
 * the run of output slot s. */
static int copy_runs(const char *input, int k, const job_info *job,
                     const model_params *p, const holdings *h, const int *labels,
                     int n_out, output *out, output_run *rec, output_block *blk,
                     double *values, char *err, size_t errlen)
{
    output_reader *in = output_reader_open(input, err, errlen);
    if (!in)
        return -1;
    int B = blk ? output_block_runs(out) : 0, rc = 0;
    for (int first = 0; rc == 0 && first < n_out;) {
        int last = B > 0 ? first + B : first + 1, whole = B > 0;
        if (last > n_out)
            last = n_out;
        for (int s = first; whole && s < last; s++)
            whole = h->held[labels[s]] && h->owner[labels[s]] == k &&
                    h->slot[labels[s]] == h->slot[labels[first]] + (s - first);
        int copied = whole ? output_copy_block(out, in, h->slot[labels[first]], p,
                                               blk, first / B)
                           : 1;
        if (copied < 0) {
            snprintf(err, errlen, "%s", output_error(out));
            rc = -1;
        }
        for (int s = first; copied == 1 && rc == 0 && s < last; s++)
            if (h->held[labels[s]] && h->owner[labels[s]] == k)
                rc = copy_run(in, input, h->slot[labels[s]], s, job, p, out, rec,
                              values, err, errlen);
        first = last;
    }
    output_reader_close(in);
    return rc;
}

/* The history of the merged file: the inputs' lines, then this one (once:
 * a sweep joining its own parts has their line already). */
static char *merged_history(const job_info *job, const char *line)
{
    size_t len = strlen(line ? line : "");
    for (const char *at = job->history; at && *at && len;) {
        size_t l = strcspn(at, "\n");
        if (l == len && memcmp(at, line, len) == 0) {
            line = NULL;
            break;
        }
        at += l + (at[l] == '\n');
    }
    size_t n = job->hist_len + strlen(line ? line : "") + 1;
    char *h = malloc(n);
    if (h)
        snprintf(h, n, "%s%s", job->history ? job->history : "", line ? line : "");
    if (h && n > 1 && h[n - 2] == '\n')
        h[n - 2] = '\0'; /* no empty last line */
    return h;
}

int merge_files(const char *const *inputs, int n, const merge_opts *o,
                int *done, char *err, size_t errlen)
{
    job_info job = {0};
    holdings h = {0};
    int *labels = NULL;
    sim_config *cfg = NULL;
    output *out = NULL;
    output_run *rec = NULL;
    output_block *blk = NULL;
    double *values = NULL;
    char *history = NULL;
    int rc = -1, written = 0;
    if (n < 1) {
        snprintf(err, errlen, "no files to merge");
        goto done;
    }
    /* the first input's job sizes the tables */
    output_reader *first = output_reader_open(inputs[0], err, errlen);
    if (!first)
        goto done;
    int n_runs = job_runs(first);
    output_reader_close(first);
    h.held = calloc((size_t)n_runs + 1, 1);
    h.owner = calloc((size_t)n_runs + 1, sizeof *h.owner);
    h.slot = calloc((size_t)n_runs + 1, sizeof *h.slot);
    if (!h.held || !h.owner || !h.slot) {
        snprintf(err, errlen, "out of memory");
        goto done;
    }
    if (scan(inputs, n, &job, &h, &written, err, errlen))
        goto done;
    if (o->require_complete && written < job.n_runs) {
        char list[512];
        merge_describe_runs(h.held, job.n_runs, 0, list, sizeof list);
        snprintf(err, errlen, "%d of %d runs are in none of the files: %s",
                 job.n_runs - written, job.n_runs, list);
        goto done;
    }
    /* the output's runs: every run of the job (then all are held, or some
     * are not done), or only those held, each with its label */
    int compact = !o->require_complete && written > 0 && written < job.n_runs;
    int n_out = compact ? written : job.n_runs;
    labels = malloc(((size_t)n_out + 1) * sizeof *labels);
    if (!labels) {
        snprintf(err, errlen, "out of memory");
        goto done;
    }
    for (int r = 0, s = 0; r < job.n_runs; r++)
        if (!compact || h.held[r])
            labels[s++] = r;
    /* the writer, set up as the job's own */
    config_error ce;
    if (!(cfg = config_load_string(job.config, inputs[0], &ce))) {
        snprintf(err, errlen, "%s: its configuration cannot be read back: %s",
                 inputs[0], ce.reason);
        goto done;
    }
    const model_params *p = config_params(cfg);
    output_attr attrs[MERGE_MAX_ATTRS];
    int na = 0;
    for (size_t k = 0; k < N_CARRIED; k++)
        if (job.kept[k]) {
            attrs[na] = (output_attr){carried[k].name,
                                      carried[k].number ? NULL : job.kept[k],
                                      strtoll(job.kept[k], NULL, 10)};
            na++;
        }
    for (int k = 0; k < o->n_attrs && na < MERGE_MAX_ATTRS; k++)
        attrs[na++] = o->attrs[k];
    if (!(history = merged_history(&job, o->history))) {
        snprintf(err, errlen, "out of memory");
        goto done;
    }
    output_opts opts = {.path = o->path, .config_text = job.config,
                        .history = history,
                        .vars = (const char *const *)job.vars, .n_vars = job.n_vars,
                        .n_runs = n_out, .run_labels = compact ? labels : NULL,
                        .master_seed = job.seed ? strtoull(job.seed, NULL, 10)
                                                : (unsigned long long)p->g.seed,
                        .n_params = job.n_params,
                        .param_names = (const char *const *)job.params,
                        .param_units = (const char *const *)job.units,
                        .attrs = attrs, .n_attrs = na,
                        .runs_per_chunk = job.runs_per_chunk,
                        .inputs = o->inputs};
    values = calloc((size_t)job.n_params + 1, sizeof *values);
    if (!values || !(out = output_open(p, &opts, err, errlen)))
        goto done;
    if (!(rec = output_run_alloc(out)) ||
        (output_block_runs(out) > 0 && !(blk = output_block_alloc(out)))) {
        snprintf(err, errlen, "out of memory for a run's records");
        goto done;
    }
    for (int k = 0; k < n; k++)
        if (copy_runs(inputs[k], k, &job, p, &h, labels, n_out, out, rec, blk,
                      values, err, errlen))
            goto done;
    if (output_close(out, err, errlen))
        goto done;
    out = NULL;
    rc = 0;
done:
    output_abort(out);
    output_block_free(blk);
    output_run_free(rec);
    free(h.held);
    free(h.owner);
    free(h.slot);
    free(labels);
    free(values);
    free(history);
    job_free(&job);
    config_free(cfg);
    if (done)
        *done = rc == 0 ? written : 0;
    return rc;
}
