/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * merge.c - combine result files of one job (see merge.h).
 *
 * One input is open at a time, so memory does not grow with the number
 * of inputs or runs (beyond a byte a run): a first pass checks identities
 * and which input holds which run, a second copies each input's runs.
 */
#include "merge.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/config.h"

#define MERGE_MAX_ATTRS 12

/* Attributes of the job carried over from the first input. */
static const char *const carried[] = {"sweep_hash", "event_log", "sweep_design",
                                      "sweep_points", "sweep_replicates"};
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
    char *job, *config, *hash, *seed;
    char *kept[N_CARRIED]; /* the carried attributes, NULL when absent */
    char **vars, **params;
    int n_runs, n_vars, n_params;
    int runs_per_chunk; /* the inputs', kept so that chunks copy whole */
} job_info;

static char *dup_or_null(const char *s) { return s ? strdup(s) : NULL; }

static void job_free(job_info *j)
{
    free(j->job);
    free(j->config);
    free(j->hash);
    free(j->seed);
    for (size_t k = 0; k < N_CARRIED; k++)
        free(j->kept[k]);
    for (int k = 0; j->vars && k < j->n_vars; k++)
        free(j->vars[k]);
    for (int k = 0; j->params && k < j->n_params; k++)
        free(j->params[k]);
    free(j->vars);
    free(j->params);
}

/* The identity of a job: its sweep hash, or its configuration. */
static const char *job_of(const output_reader *r)
{
    const char *h = output_reader_attr(r, "sweep_hash");
    return h ? h : output_reader_attr(r, "config");
}

static int job_read(output_reader *r, job_info *j)
{
    j->job = dup_or_null(job_of(r));
    j->config = dup_or_null(output_reader_attr(r, "config"));
    j->hash = dup_or_null(output_reader_attr(r, "sweep_hash"));
    j->seed = dup_or_null(output_reader_attr(r, "master_seed"));
    for (size_t k = 0; k < N_CARRIED; k++) {
        const char *v = output_reader_attr(r, carried[k]);
        if (v && !(j->kept[k] = strdup(v)))
            return -1;
    }
    j->runs_per_chunk = output_reader_runs_per_chunk(r);
    j->n_runs = output_reader_n_runs(r);
    j->n_vars = output_reader_n_vars(r);
    j->n_params = output_reader_n_params(r);
    j->vars = calloc((size_t)j->n_vars + 1, sizeof *j->vars);
    j->params = calloc((size_t)j->n_params + 1, sizeof *j->params);
    if (!j->job || !j->config || !j->vars || !j->params)
        return -1;
    for (int k = 0; k < j->n_vars; k++)
        if (!(j->vars[k] = strdup(output_reader_var_name(r, k))))
            return -1;
    for (int k = 0; k < j->n_params; k++)
        if (!(j->params[k] = strdup(output_reader_param_name(r, k))))
            return -1;
    return 0;
}

/* Pass 1: identities and who holds which run (exactly once). */
static int scan(const char *const *inputs, int n, job_info *job,
                unsigned char *held, int *owner, int *written, char *err,
                size_t errlen)
{
    for (int k = 0; k < n; k++) {
        output_reader *r = output_reader_open(inputs[k], err, errlen);
        if (!r)
            return -1;
        int rc = -1;
        const char *id = job_of(r);
        if (k == 0 && job_read(r, job)) {
            snprintf(err, errlen, "%s: not a result of this program, or out of "
                     "memory", inputs[k]);
        } else if (!id || strcmp(id, job->job) != 0 ||
                   output_reader_n_runs(r) != job->n_runs) {
            snprintf(err, errlen, "%s comes from another job than %s (a different "
                     "sweep or configuration)", inputs[k], inputs[0]);
        } else {
            rc = 0;
            for (int run = 0; rc == 0 && run < job->n_runs; run++) {
                unsigned long seed;
                int point, d = output_reader_run_info(r, run, &seed, &point, NULL);
                if (d < 0) {
                    snprintf(err, errlen, "%s: %s", inputs[k], output_reader_error(r));
                    rc = -1;
                } else if (d && held[run]) {
                    snprintf(err, errlen, "run %d is in both %s and %s", run,
                             inputs[owner[run]], inputs[k]);
                    rc = -1;
                } else if (d) {
                    held[run] = 1;
                    owner[run] = k;
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

/* Copy one run of input `in` into the writer. */
static int copy_run(output_reader *in, const char *input, int run,
                    const job_info *job, const model_params *p, output *out,
                    output_run *rec, double *values, char *err, size_t errlen)
{
    unsigned long seed;
    int point, n_ev;
    const model_event *ev;
    output_run_reset(rec);
    if (output_reader_run_info(in, run, &seed, &point, values) < 0 ||
        output_reader_run(in, p, run, rec, &ev, &n_ev)) {
        snprintf(err, errlen, "%s: run %d: %s", input, run, output_reader_error(in));
        return -1;
    }
    if (output_write_run(out, 0, run, seed, rec, ev, n_ev) ||
        (job->n_params && output_write_point(out, run, point, values))) {
        snprintf(err, errlen, "%s", output_error(out));
        return -1;
    }
    return 0;
}

/* Pass 2: input k's runs into the writer: a block of runs that input k
 * holds whole is copied as its compressed chunks are (output_copy_block),
 * any other run one by one. */
static int copy_runs(const char *input, int k, const job_info *job,
                     const model_params *p, const int *owner,
                     const unsigned char *held, output *out, output_run *rec,
                     output_block *blk, double *values, char *err, size_t errlen)
{
    output_reader *in = output_reader_open(input, err, errlen);
    if (!in)
        return -1;
    int B = blk ? output_block_runs(out) : 0, rc = 0;
    for (int first = 0; rc == 0 && first < job->n_runs;) {
        int last = B > 0 ? first + B : first + 1, whole = B > 0;
        if (last > job->n_runs)
            last = job->n_runs;
        for (int run = first; whole && run < last; run++)
            whole = held[run] && owner[run] == k;
        int copied = whole ? output_copy_block(out, in, p, blk, first / B) : 1;
        if (copied < 0) {
            snprintf(err, errlen, "%s", output_error(out));
            rc = -1;
        }
        for (int run = first; copied == 1 && rc == 0 && run < last; run++)
            if (held[run] && owner[run] == k)
                rc = copy_run(in, input, run, job, p, out, rec, values, err, errlen);
        first = last;
    }
    output_reader_close(in);
    return rc;
}

int merge_files(const char *const *inputs, int n, const merge_opts *o,
                int *done, char *err, size_t errlen)
{
    job_info job = {0};
    unsigned char *held = NULL;
    int *owner = NULL;
    sim_config *cfg = NULL;
    output *out = NULL;
    output_run *rec = NULL;
    output_block *blk = NULL;
    double *values = NULL;
    int rc = -1, written = 0;
    if (n < 1) {
        snprintf(err, errlen, "no files to merge");
        goto done;
    }
    /* the first input's run count sizes the tables */
    output_reader *first = output_reader_open(inputs[0], err, errlen);
    if (!first)
        goto done;
    int n_runs = output_reader_n_runs(first);
    output_reader_close(first);
    held = calloc((size_t)n_runs + 1, 1);
    owner = calloc((size_t)n_runs + 1, sizeof *owner);
    if (!held || !owner) {
        snprintf(err, errlen, "out of memory");
        goto done;
    }
    if (scan(inputs, n, &job, held, owner, &written, err, errlen))
        goto done;
    if (o->require_complete && written < job.n_runs) {
        char list[512];
        merge_describe_runs(held, job.n_runs, 0, list, sizeof list);
        snprintf(err, errlen, "%d of %d runs are in none of the files: %s",
                 job.n_runs - written, job.n_runs, list);
        goto done;
    }
    /* the writer, set up as the job's own */
    config_error ce;
    if (!(cfg = config_load_string(job.config, inputs[0], &ce))) {
        snprintf(err, errlen, "%s: its configuration cannot be read back: %s",
                 inputs[0], ce.reason);
        goto done;
    }
    const model_params *p = config_params(cfg);
    const char *names[MERGE_MAX_ATTRS], *vals[MERGE_MAX_ATTRS];
    int na = 0;
    for (size_t k = 0; k < N_CARRIED; k++)
        if (job.kept[k]) {
            names[na] = carried[k];
            vals[na++] = job.kept[k];
        }
    for (int k = 0; k < o->n_attrs && na < MERGE_MAX_ATTRS; k++) {
        names[na] = o->attr_names[k];
        vals[na++] = o->attr_values[k];
    }
    output_opts opts = {.path = o->path, .config_text = job.config,
                        .history = o->history,
                        .vars = (const char *const *)job.vars, .n_vars = job.n_vars,
                        .n_runs = job.n_runs,
                        .master_seed = job.seed ? strtoull(job.seed, NULL, 10)
                                                : (unsigned long long)p->g.seed,
                        .n_params = job.n_params,
                        .param_names = (const char *const *)job.params,
                        .attr_names = names, .attr_values = vals, .n_attrs = na,
                        .runs_per_chunk = job.runs_per_chunk};
    values = calloc((size_t)job.n_params + 1, sizeof *values);
    if (!values || !(out = output_open(p, &opts, err, errlen)))
        goto done;
    if (!(rec = output_run_alloc(out)) ||
        (output_block_runs(out) > 0 && !(blk = output_block_alloc(out)))) {
        snprintf(err, errlen, "out of memory for a run's records");
        goto done;
    }
    for (int k = 0; k < n; k++)
        if (copy_runs(inputs[k], k, &job, p, owner, held, out, rec, blk, values,
                      err, errlen))
            goto done;
    if (output_close(out, err, errlen))
        goto done;
    out = NULL;
    rc = 0;
done:
    output_abort(out);
    output_block_free(blk);
    output_run_free(rec);
    free(held);
    free(owner);
    free(values);
    job_free(&job);
    config_free(cfg);
    if (done)
        *done = rc == 0 ? written : 0;
    return rc;
}
