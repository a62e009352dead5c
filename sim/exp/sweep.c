/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * sweep.c - a sweep's runs over worker threads (see sweep.h).
 */
#include "sweep.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "exp/merge.h"
#include "exp/runner.h"

sweep_plan *sweep_plan_alloc(const sweep_spec *s, char *err, size_t errlen)
{
    static const char *const names[] = {"grid", "random", "lhs", "sobol",
                                        "saltelli"};
    design_kind kind = DESIGN_GRID;
    for (int k = 0; k < 5; k++)
        if (strcmp(s->design, names[k]) == 0)
            kind = (design_kind)k;
    design_axis *axes = calloc((size_t)s->n_axes, sizeof *axes);
    sweep_plan *pl = calloc(1, sizeof *pl);
    if (!axes || !pl) {
        snprintf(err, errlen, "out of memory");
        free(axes);
        free(pl);
        return NULL;
    }
    for (int a = 0; a < s->n_axes; a++) {
        const sweep_axis *x = &s->axes[a];
        axes[a].kind = x->scale == SWEEP_LIST ? AXIS_LIST
                       : x->scale == SWEEP_LOG ? AXIS_LOG
                                               : AXIS_LINEAR;
        axes[a].min = x->min;
        axes[a].max = x->max;
        axes[a].n_values = x->scale == SWEEP_LIST ? x->n_values : x->levels;
        axes[a].values = x->values;
    }
    pl->d = design_alloc(kind, axes, s->n_axes, s->points, (unsigned long)s->seed,
                         err, errlen);
    free(axes);
    if (!pl->d) {
        free(pl);
        return NULL;
    }
    pl->spec = s;
    pl->n_points = design_n_points(pl->d);
    double runs = (double)pl->n_points * s->replicates;
    if (runs > 1e9) {
        snprintf(err, errlen, "%d points x %d replicates is more than 1e9 runs",
                 pl->n_points, s->replicates);
        sweep_plan_free(pl);
        return NULL;
    }
    pl->n_runs = (int)runs;
    pl->master = (unsigned long long)config_params(s->cfg)->g.seed;
    return pl;
}

void sweep_plan_free(sweep_plan *pl)
{
    if (!pl)
        return;
    design_free(pl->d);
    free(pl);
}

int sweep_n_values(const sweep_plan *pl, const sweep_opts *o)
{
    return pl->spec->n_axes + (o->post ? o->post->d : 0);
}

void sweep_point_values(const sweep_plan *pl, int point, double *values)
{
    for (int a = 0; a < pl->spec->n_axes; a++)
        values[a] = design_value(pl->d, point, a);
}

void sweep_axis_unit(const sweep_spec *s, int a, char *buf, size_t len)
{
    const model_params *p = config_params(s->cfg);
    const sweep_axis *x = &s->axes[a];
    const event_spec *e = x->target != SWEEP_PARAM && x->event >= 0 &&
                                  x->event < p->n_events
                              ? &p->events[x->event]
                              : NULL;
    switch (x->target) {
    case SWEEP_PARAM: output_param_unit(p, x->ref, buf, len); return;
    case SWEEP_EVENT_MONTH: snprintf(buf, len, "1"); return;
    case SWEEP_EVENT_RAMP: snprintf(buf, len, "month"); return;
    default:
        if (e && (e->kind == EV_SET || e->kind == EV_ADD))
            output_param_unit(p, e->ref, buf, len);
        else
            snprintf(buf, len, e && e->kind == EV_UNFREEZE ? "USD" : "1");
    }
}

int sweep_block_runs(const sweep_plan *pl, int shard_n)
{
    const sweep_spec *s = pl->spec;
    int most = 0;
    if (shard_n > 1)
        most = pl->n_runs / shard_n > 0 ? pl->n_runs / shard_n : 1;
    return output_block_size(config_params(s->cfg), (const char *const *)s->vars,
                             s->n_vars, pl->n_runs, most);
}

void sweep_describe_shard(const sweep_plan *pl, int block, int i, int n,
                          char *buf, size_t len)
{
    unsigned char *held = calloc((size_t)pl->n_runs + 1, 1);
    if (!held) {
        snprintf(buf, len, "shard %d/%d", i, n);
        return;
    }
    sweep_opts o = {.block = block > 0 ? block : 1, .shard_i = i, .shard_n = n};
    for (int r = 0; r < pl->n_runs; r++)
        held[r] = (unsigned char)sweep_wants(&o, r);
    merge_describe_runs(held, pl->n_runs, 1, buf, len);
    free(held);
}

/* ---- the worker pool ------------------------------------------------------ */

int sweep_wants(const sweep_opts *o, int r)
{
    int block = o->block > 0 ? o->block : 1;
    if (o->shard_n > 1 && (r / block) % o->shard_n != o->shard_i)
        return 0;
    return !(o->skip && o->skip[r]);
}

/* Finished runs wait in blocks (output.h) until every run of their block
 * this process does is in; the worker that puts the last one compresses
 * the block outside the lock and writes it to the current part. */
typedef struct {
    const sweep_plan *pl;
    const sweep_opts *o;
    pthread_mutex_t lock; /* everything below */
    int next, computed, written, todo, failed;
    output *part;         /* the part being written, or NULL */
    int in_part;          /* runs in it */
    double part_t0;       /* when it was opened */
    output_block **open;  /* blocks being filled */
    int n_open, cap_open;
    output_block **spare; /* written blocks, for reuse */
    int n_spare, cap_spare;
    char err[1024];
} pool;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

typedef struct {
    pool *pl;
    int run, point; /* the sweep's run index (the runner sees the seed's) */
    const double *values;
} sink_ctx;

/* Under the lock. */
static void progress(const pool *p)
{
    if (p->o->progress)
        p->o->progress(p->o->progress_ctx, p->computed, p->todo);
}

/* Under the lock: the part to write into, opened when needed. */
static output *current_part(pool *p)
{
    if (!p->part && p->o->open_part) {
        p->part = p->o->open_part(p->o->part_ctx, p->err, sizeof p->err);
        p->in_part = 0;
        p->part_t0 = now();
    }
    return p->part;
}

/* Under the lock: close the part being written, if any; a part that got
 * no run is removed instead. */
static int close_part(pool *p)
{
    if (!p->part)
        return 0;
    output *o = p->part;
    p->part = NULL;
    if (p->in_part == 0) {
        output_abort(o);
        return 0;
    }
    return p->o->close_part(p->o->part_ctx, o, p->err, sizeof p->err);
}

/* Runs of block `index` this process does. */
static int block_wants(const pool *p, int index)
{
    int B = p->o->block, n = 0;
    for (int r = index * B; r < (index + 1) * B && r < p->pl->n_runs; r++)
        n += sweep_wants(p->o, r);
    return n;
}

/* Under the lock: the open block `index`, started if need be. */
static output_block *block_of(pool *p, int index)
{
    for (int k = 0; k < p->n_open; k++)
        if (output_block_index(p->open[k]) == index)
            return p->open[k];
    output_block *b = NULL;
    if (p->n_spare > 0) {
        b = p->spare[--p->n_spare];
    } else {
        output *o = current_part(p);
        if (!o)
            return NULL;
        if (!(b = output_block_alloc(o))) {
            snprintf(p->err, sizeof p->err, "out of memory for a block of runs");
            return NULL;
        }
    }
    if (p->n_open == p->cap_open) {
        int cap = p->cap_open ? 2 * p->cap_open : 8;
        output_block **grown = realloc(p->open, (size_t)cap * sizeof(output_block *));
        if (!grown) {
            output_block_free(b);
            snprintf(p->err, sizeof p->err, "out of memory for a block of runs");
            return NULL;
        }
        p->open = grown;
        p->cap_open = cap;
    }
    output_block_start(b, index);
    p->open[p->n_open++] = b;
    return b;
}

/* Under the lock: take b out of the open blocks. */
static void detach(pool *p, const output_block *b)
{
    for (int k = 0; k < p->n_open; k++)
        if (p->open[k] == b) {
            p->open[k] = p->open[--p->n_open];
            return;
        }
}

/* Under the lock: keep b for reuse (or free it). */
static void recycle(pool *p, output_block *b)
{
    if (p->n_spare == p->cap_spare) {
        int cap = p->cap_spare ? 2 * p->cap_spare : 8;
        output_block **grown = realloc(p->spare, (size_t)cap * sizeof(output_block *));
        if (!grown) {
            output_block_free(b);
            return;
        }
        p->spare = grown;
        p->cap_spare = cap;
    }
    p->spare[p->n_spare++] = b;
}

/* Under the lock: after n runs went to the part, close it when full. */
static int part_grew(pool *p, int n)
{
    p->written += n;
    p->in_part += n;
    if (now() - p->part_t0 >= p->o->part_seconds)
        return close_part(p);
    return 0;
}

/* Compress b (not under the lock), then write it to the current part;
 * b is recycled either way. */
static int flush_block(pool *p, output_block *b)
{
    int rc = output_block_pack(b);
    pthread_mutex_lock(&p->lock);
    if (rc < 0) {
        snprintf(p->err, sizeof p->err, "%s", output_block_error(b));
    } else {
        output *o = current_part(p);
        if (!o) {
            rc = -1;
        } else if (output_write_block(o, b) < 0) {
            snprintf(p->err, sizeof p->err, "%s", output_error(o));
            rc = -1;
        } else {
            rc = part_grew(p, output_block_filled(b));
        }
    }
    recycle(p, b);
    pthread_mutex_unlock(&p->lock);
    return rc;
}

/* Under the lock: a run too large for blocks goes to the part at once. */
static int write_one(pool *p, const sink_ctx *c, unsigned long seed,
                     const output_run *rec, const model_event *ev, int n_ev)
{
    output *o = current_part(p);
    if (!o)
        return -1;
    if (output_write_run(o, 0, c->run, seed, rec, ev, n_ev) ||
        output_write_point(o, c->run, c->point, c->values)) {
        snprintf(p->err, sizeof p->err, "%s", output_error(o));
        return -1;
    }
    return part_grew(p, 1);
}

static int write_run(void *arg, int run, unsigned long seed,
                     const output_run *rec, const model_event *ev, int n_ev)
{
    sink_ctx *c = arg;
    pool *p = c->pl;
    (void)run;
    if (!p->pl->spec->events) { /* the event log is not recorded */
        ev = NULL;
        n_ev = 0;
    }
    pthread_mutex_lock(&p->lock);
    output_block *ready = NULL;
    int rc = 0;
    if (p->o->open_part && !p->o->blocks) {
        rc = write_one(p, c, seed, rec, ev, n_ev);
    } else if (p->o->open_part) {
        int index = c->run / p->o->block;
        output_block *b = block_of(p, index);
        if (!b) {
            rc = -1;
        } else if (output_block_put(b, c->run, seed, rec, ev, n_ev, c->point,
                                    c->values) < 0) {
            snprintf(p->err, sizeof p->err, "%s", output_block_error(b));
            rc = -1;
        } else if (output_block_filled(b) == block_wants(p, index)) {
            detach(p, b);
            ready = b;
        }
    }
    if (rc == 0)
        p->computed++;
    progress(p);
    pthread_mutex_unlock(&p->lock);
    return ready ? flush_block(p, ready) : rc;
}

static void *worker(void *arg)
{
    pool *p = arg;
    const sweep_plan *pl = p->pl;
    const sweep_spec *s = pl->spec;
    const model_params *base = config_params(s->cfg);
    model_params *mp = NULL;
    double *values = calloc((size_t)sweep_n_values(pl, p->o) + 1, sizeof *values);
    output_run *rec = NULL;
    char err[1024] = "";
    if (p->o->open_part) {
        pthread_mutex_lock(&p->lock);
        output *o = current_part(p);
        rec = o ? output_run_alloc(o) : NULL;
        pthread_mutex_unlock(&p->lock);
    }
    if (!values || (p->o->open_part && !rec)) {
        snprintf(err, sizeof err, "%s", p->err[0] ? p->err : "out of memory for a worker");
        goto fail;
    }
    for (;;) {
        pthread_mutex_lock(&p->lock);
        int run = pl->n_runs;
        if (!p->failed && !(p->o->stop && *p->o->stop))
            while (p->next < pl->n_runs && run == pl->n_runs) {
                int r = p->next++;
                if (sweep_wants(p->o, r))
                    run = r;
            }
        pthread_mutex_unlock(&p->lock);
        if (run >= pl->n_runs)
            break;
        int point = run / s->replicates;
        params_free(mp);
        if (!(mp = params_copy(base))) {
            snprintf(err, sizeof err, "out of memory for run %d", run);
            goto fail;
        }
        sweep_point_values(pl, point, values);
        if (p->o->post) {
            const posterior_file *post = p->o->post;
            posterior_apply(post, posterior_pick(post, pl->master, run % s->replicates),
                            p->o->post_refs, mp);
        }
        sweep_apply(s, mp, values);
        for (int k = 0; p->o->post && k < p->o->post->d; k++)
            values[s->n_axes + k] = param_get(mp, p->o->post_refs[k]);
        sink_ctx ctx = {p, run, point, values};
        runner_io io = {.rec = rec, .sink = write_run, .sink_ctx = &ctx};
        /* common random numbers: the replicate's stream at every point */
        if (runner_run(mp, pl->master, run % s->replicates, &io, err, sizeof err)) {
            if (p->err[0])
                snprintf(err, sizeof err, "%s", p->err);
            goto fail;
        }
    }
    output_run_free(rec);
    free(values);
    params_free(mp);
    return NULL;
fail:
    output_run_free(rec);
    free(values);
    params_free(mp);
    pthread_mutex_lock(&p->lock);
    if (!p->failed)
        snprintf(p->err, sizeof p->err, "%s", err);
    p->failed = 1;
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

/* After the workers: the blocks left open (a stop or a failure left runs
 * out) are written as they are, so that no finished run is lost.  After a
 * failure to write, the rest are dropped. */
static int flush_open(pool *p)
{
    int rc = 0;
    while (p->n_open > 0) {
        output_block *b = p->open[--p->n_open];
        if (rc < 0 || output_block_filled(b) == 0)
            recycle(p, b);
        else
            rc = flush_block(p, b);
    }
    return rc;
}

int sweep_run(const sweep_plan *pl, const sweep_opts *o, int *done, char *err,
              size_t errlen)
{
    pool p = {.pl = pl, .o = o};
    if (o->block < 1) {
        snprintf(err, errlen, "a block of %d runs", o->block);
        return -1;
    }
    for (int r = 0; r < pl->n_runs; r++)
        p.todo += sweep_wants(o, r);
    int jobs = o->jobs < 1 ? 1 : o->jobs;
    pthread_mutex_init(&p.lock, NULL);
    pthread_t *tid = calloc((size_t)jobs, sizeof *tid);
    if (!tid) {
        snprintf(err, errlen, "out of memory starting %d workers", jobs);
        pthread_mutex_destroy(&p.lock);
        return -1;
    }
    int started = 0;
    for (; jobs > 1 && started < jobs; started++)
        if (pthread_create(&tid[started], NULL, worker, &p) != 0)
            break;
    if (started == 0)
        worker(&p);
    for (int k = 0; k < started; k++)
        pthread_join(tid[k], NULL);
    free(tid);
    /* the first error is the one reported */
    int failed = p.failed;
    char first[1024];
    snprintf(first, sizeof first, "%s", p.err);
    if ((flush_open(&p) < 0 || close_part(&p) < 0) && !failed) {
        failed = 1;
        snprintf(first, sizeof first, "%s", p.err);
    }
    while (p.n_spare > 0)
        output_block_free(p.spare[--p.n_spare]);
    free(p.spare);
    free(p.open);
    pthread_mutex_destroy(&p.lock);
    *done = o->open_part ? p.written : p.computed;
    if (failed) {
        snprintf(err, errlen, "%s", first);
        return -1;
    }
    return *done < p.todo ? 1 : 0;
}
