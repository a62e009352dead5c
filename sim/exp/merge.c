/*
 * merge.c - combine result files of one job (see merge.h).
 */
#include "merge.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/config.h"

#define MERGE_MAX_ATTRS 8

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

/* The identity of a job: its sweep hash, or its configuration. */
static const char *job_of(const output_reader *r)
{
    const char *h = output_reader_attr(r, "sweep_hash");
    return h ? h : output_reader_attr(r, "config");
}

int merge_files(const char *const *inputs, int n, const merge_opts *o,
                int *done, char *err, size_t errlen)
{
    output_reader **rd = calloc((size_t)n + 1, sizeof *rd);
    unsigned char *held = NULL;
    int *owner = NULL;
    sim_config *cfg = NULL;
    output *out = NULL;
    output_run *rec = NULL;
    double *values = NULL;
    const char **pnames = NULL;
    const char **vars = NULL;
    int rc = -1, n_runs = 0, written = 0;
    if (!rd) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (n < 1) {
        snprintf(err, errlen, "no files to merge");
        goto done;
    }
    for (int k = 0; k < n; k++) {
        if (!(rd[k] = output_reader_open(inputs[k], err, errlen)))
            goto done;
        const char *job = job_of(rd[k]);
        if (!job) {
            snprintf(err, errlen, "%s: not a result of this program", inputs[k]);
            goto done;
        }
        if (k > 0 && (strcmp(job, job_of(rd[0])) != 0 ||
                      output_reader_n_runs(rd[k]) != output_reader_n_runs(rd[0]))) {
            snprintf(err, errlen, "%s comes from another job than %s (a different "
                     "sweep or configuration)", inputs[k], inputs[0]);
            goto done;
        }
    }
    n_runs = output_reader_n_runs(rd[0]);
    int n_params = output_reader_n_params(rd[0]);
    held = calloc((size_t)n_runs + 1, 1);
    owner = calloc((size_t)n_runs + 1, sizeof *owner);
    values = calloc((size_t)n_params + 1, sizeof *values);
    if (!held || !owner || !values) {
        snprintf(err, errlen, "out of memory");
        goto done;
    }
    /* who holds which run: exactly once */
    for (int k = 0; k < n; k++)
        for (int r = 0; r < n_runs; r++) {
            unsigned long seed;
            int point, d = output_reader_run_info(rd[k], r, &seed, &point, NULL);
            if (d < 0) {
                snprintf(err, errlen, "%s: %s", inputs[k], output_reader_error(rd[k]));
                goto done;
            }
            if (!d)
                continue;
            if (held[r]) {
                snprintf(err, errlen, "run %d is in both %s and %s", r,
                         inputs[owner[r]], inputs[k]);
                goto done;
            }
            held[r] = 1;
            owner[r] = k;
            written++;
        }
    if (o->require_complete && written < n_runs) {
        char list[512];
        merge_describe_runs(held, n_runs, 0, list, sizeof list);
        snprintf(err, errlen, "%d of %d runs are in none of the files: %s",
                 n_runs - written, n_runs, list);
        goto done;
    }
    /* the writer, set up as the job's own */
    config_error ce;
    const char *text = output_reader_attr(rd[0], "config");
    if (!text || !(cfg = config_load_string(text, inputs[0], &ce))) {
        snprintf(err, errlen, "%s: its configuration cannot be read back: %s",
                 inputs[0], text ? ce.reason : "no config attribute");
        goto done;
    }
    int nv = output_reader_n_vars(rd[0]);
    vars = calloc((size_t)nv + 1, sizeof *vars);
    pnames = calloc((size_t)n_params + 1, sizeof *pnames);
    if (!vars || !pnames) {
        snprintf(err, errlen, "out of memory");
        goto done;
    }
    for (int v = 0; v < nv; v++)
        vars[v] = output_reader_var_name(rd[0], v);
    for (int q = 0; q < n_params; q++)
        pnames[q] = output_reader_param_name(rd[0], q);
    const model_params *p = config_params(cfg);
    const char *seed_text = output_reader_attr(rd[0], "master_seed");
    /* the job's identity travels with its runs; then the caller's */
    const char *names[MERGE_MAX_ATTRS], *vals[MERGE_MAX_ATTRS];
    int na = 0;
    const char *carried[] = {"sweep_hash"};
    for (int k = 0; k < 1; k++)
        if (output_reader_attr(rd[0], carried[k])) {
            names[na] = carried[k];
            vals[na++] = output_reader_attr(rd[0], carried[k]);
        }
    for (int k = 0; k < o->n_attrs && na < MERGE_MAX_ATTRS; k++) {
        names[na] = o->attr_names[k];
        vals[na++] = o->attr_values[k];
    }
    output_opts opts = {.path = o->path, .config_text = text, .history = o->history,
                        .vars = vars, .n_vars = nv, .n_runs = n_runs,
                        .master_seed = seed_text ? strtoull(seed_text, NULL, 10)
                                                 : (unsigned long long)p->g.seed,
                        .n_params = n_params, .param_names = pnames,
                        .attr_names = names, .attr_values = vals, .n_attrs = na};
    if (!(out = output_open(p, &opts, err, errlen)))
        goto done;
    if (!(rec = output_run_alloc(out))) {
        snprintf(err, errlen, "out of memory for a run's records");
        goto done;
    }
    for (int r = 0; r < n_runs; r++) {
        if (!held[r])
            continue;
        output_reader *in = rd[owner[r]];
        unsigned long seed;
        int point;
        const model_event *ev;
        int n_ev;
        output_run_reset(rec);
        if (output_reader_run_info(in, r, &seed, &point, values) < 0 ||
            output_reader_run(in, p, r, rec, &ev, &n_ev)) {
            snprintf(err, errlen, "%s: run %d: %s", inputs[owner[r]], r,
                     output_reader_error(in));
            goto done;
        }
        if (output_write_run(out, 0, r, seed, rec, ev, n_ev) ||
            (n_params && output_write_point(out, r, point, values))) {
            snprintf(err, errlen, "%s", output_error(out));
            goto done;
        }
    }
    if (output_close(out, err, errlen))
        goto done;
    out = NULL;
    rc = 0;
done:
    output_abort(out);
    output_run_free(rec);
    for (int k = 0; k < n; k++)
        output_reader_close(rd[k]);
    free(rd);
    free(held);
    free(owner);
    free(values);
    free(vars);
    free(pnames);
    config_free(cfg);
    if (done)
        *done = rc == 0 ? written : 0;
    return rc;
}
