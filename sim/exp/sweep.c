/*
 * sweep.c - a sweep's runs over worker threads (see sweep.h).
 */
#include "sweep.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

void sweep_point_values(const sweep_plan *pl, int point, double *values)
{
    for (int a = 0; a < pl->spec->n_axes; a++)
        values[a] = design_value(pl->d, point, a);
}

/* ---- the worker pool ------------------------------------------------------ */

int sweep_wants(const sweep_opts *o, int r)
{
    if (o->shard_n > 1 && r % o->shard_n != o->shard_i)
        return 0;
    return !(o->skip && o->skip[r]);
}

typedef struct {
    const sweep_plan *pl;
    const sweep_opts *o;
    pthread_mutex_t lock; /* next, done, failed, err, the part */
    int next, done, todo, failed;
    output *part;         /* the part being written, or NULL */
    int in_part;          /* runs in it */
    char err[1024];
    double t0;
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

static void progress(pool *p)
{
    if (!p->o->progress)
        return;
    double t = now() - p->t0, rate = t > 0 ? p->done / t : 0;
    double eta = rate > 0 ? (p->todo - p->done) / rate : 0;
    fprintf(p->o->progress, "\rsweep: %d of %d runs, %.1f runs/s, ETA %.0f s   ",
            p->done, p->todo, rate, eta);
    if (p->done == p->todo)
        fputc('\n', p->o->progress);
    fflush(p->o->progress);
}

/* Under the lock: the part to write into, opened when needed. */
static output *current_part(pool *p)
{
    if (!p->part && p->o->open_part) {
        p->part = p->o->open_part(p->o->part_ctx, p->err, sizeof p->err);
        p->in_part = 0;
    }
    return p->part;
}

/* Under the lock: close the part being written, if any. */
static int close_part(pool *p)
{
    if (!p->part)
        return 0;
    output *o = p->part;
    p->part = NULL;
    return p->o->close_part(p->o->part_ctx, o, p->err, sizeof p->err);
}

static int write_run(void *arg, int run, unsigned long seed,
                     const output_run *rec, const model_event *ev, int n_ev)
{
    sink_ctx *c = arg;
    pool *p = c->pl;
    (void)run;
    pthread_mutex_lock(&p->lock);
    int rc = 0;
    if (p->o->open_part) {
        output *o = current_part(p);
        if (!o)
            rc = -1;
        else if (output_write_run(o, 0, c->run, seed, rec, ev, n_ev) ||
                 output_write_point(o, c->run, c->point, c->values)) {
            snprintf(p->err, sizeof p->err, "%s", output_error(o));
            rc = -1;
        } else if (++p->in_part >= p->o->part_runs) {
            rc = close_part(p);
        }
    }
    if (rc == 0)
        p->done++;
    progress(p);
    pthread_mutex_unlock(&p->lock);
    return rc;
}

static void *worker(void *arg)
{
    pool *p = arg;
    const sweep_plan *pl = p->pl;
    const sweep_spec *s = pl->spec;
    const model_params *base = config_params(s->cfg);
    model_params *mp = NULL;
    double *values = calloc((size_t)s->n_axes + 1, sizeof *values);
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
        sweep_apply(s, mp, values);
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

int sweep_run(const sweep_plan *pl, const sweep_opts *o, int *done, char *err,
              size_t errlen)
{
    pool p = {.pl = pl, .o = o, .t0 = now()};
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
    if (close_part(&p) && !p.failed)
        p.failed = 1;
    pthread_mutex_destroy(&p.lock);
    *done = p.done;
    if (p.failed) {
        snprintf(err, errlen, "%s", p.err);
        return -1;
    }
    return p.done < p.todo ? 1 : 0;
}
