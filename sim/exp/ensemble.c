/*
 * ensemble.c - runs split over POSIX threads; the HDF5 writer is used by
 * one thread at a time.
 */
#include "ensemble.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const ensemble *e;
    pthread_mutex_t lock;   /* next, failed, err, and every output call */
    int next, failed;
    char err[1024];
} shared;

typedef struct {
    shared *sh;
    char err[1024];
} sink_ctx;

static int write_run(void *ctx, int run, unsigned long seed,
                     const output_run *rec, const model_event *ev, int n_ev)
{
    sink_ctx *c = ctx;
    shared *sh = c->sh;
    pthread_mutex_lock(&sh->lock);
    int rc = output_write_run(sh->e->out, sh->e->scenario, run, seed, rec, ev,
                              n_ev);
    if (rc)
        snprintf(c->err, sizeof c->err, "%s", output_error(sh->e->out));
    pthread_mutex_unlock(&sh->lock);
    return rc;
}

static void *worker(void *arg)
{
    shared *sh = arg;
    const ensemble *e = sh->e;
    sink_ctx ctx = {sh, ""};
    char err[1024] = "";
    output_run *rec = NULL;
    model_params *mp = NULL; /* the run's parameters, with a posterior */
    if (e->out && !(rec = output_run_alloc(e->out))) {
        snprintf(err, sizeof err, "out of memory for a run's records");
        goto fail;
    }
    if (e->post && !(mp = params_copy(e->p))) {
        snprintf(err, sizeof err, "out of memory for a run's parameters");
        goto fail;
    }
    for (;;) {
        pthread_mutex_lock(&sh->lock);
        int k = sh->failed ? e->n_runs : sh->next++;
        pthread_mutex_unlock(&sh->lock);
        if (k >= e->n_runs)
            break;
        runner_io io = {
            .rec = rec,
            .sink = e->out ? write_run : NULL,
            .sink_ctx = &ctx,
            .sum = e->sums ? e->sums[k] : NULL,
            .ms = e->ms,
            .values = e->ms ? e->values + (size_t)k * e->ms->n : NULL,
        };
        int run = e->first_run + k;
        if (e->post) {
            int particle = posterior_pick(e->post, e->master, run);
            posterior_apply(e->post, particle, e->post_refs, mp);
            if (e->picked)
                e->picked[k] = particle;
            if (e->write_params) {
                pthread_mutex_lock(&sh->lock);
                int rc = output_write_point(e->out, run, particle,
                                            posterior_particle(e->post, particle));
                if (rc)
                    snprintf(err, sizeof err, "%s", output_error(e->out));
                pthread_mutex_unlock(&sh->lock);
                if (rc)
                    goto fail;
            }
        }
        if (runner_run(mp ? mp : e->p, e->master, run, &io, err, sizeof err)) {
            if (ctx.err[0])
                snprintf(err, sizeof err, "%s", ctx.err);
            goto fail;
        }
    }
    output_run_free(rec);
    params_free(mp);
    return NULL;
fail:
    output_run_free(rec);
    params_free(mp);
    pthread_mutex_lock(&sh->lock);
    if (!sh->failed)
        snprintf(sh->err, sizeof sh->err, "%s", err);
    sh->failed = 1;
    pthread_mutex_unlock(&sh->lock);
    return NULL;
}

int ensemble_run(const ensemble *e, char *err, size_t errlen)
{
    shared sh = {.e = e, .next = 0, .failed = 0};
    int jobs = e->jobs < 1 ? 1 : e->jobs;
    if (jobs > e->n_runs)
        jobs = e->n_runs > 0 ? e->n_runs : 1;
    pthread_mutex_init(&sh.lock, NULL);
    pthread_t *tid = calloc((size_t)jobs, sizeof *tid);
    if (!tid) {
        snprintf(err, errlen, "out of memory starting %d workers", jobs);
        pthread_mutex_destroy(&sh.lock);
        return -1;
    }
    if (jobs == 1) {
        worker(&sh); /* no thread for a single worker */
    } else {
        int started = 0;
        for (; started < jobs; started++)
            if (pthread_create(&tid[started], NULL, worker, &sh) != 0)
                break;
        if (started == 0)
            worker(&sh);
        for (int k = 0; k < started; k++)
            pthread_join(tid[k], NULL);
    }
    free(tid);
    pthread_mutex_destroy(&sh.lock);
    if (sh.failed) {
        snprintf(err, errlen, "%s", sh.err);
        return -1;
    }
    return 0;
}
