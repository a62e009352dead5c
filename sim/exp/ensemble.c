/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * ensemble.c - runs split over POSIX threads; the HDF5 writer is used by
 * one thread at a time.  A batch is a list of ensembles whose runs, one
 * member after the other, the workers take in turn.
 */
#include "ensemble.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    int failed;       /* a run failed: start no more of this member */
    int stopped;      /* failed only because another member did */
    int started, ended, fired;
    char err[1024];
} member;

typedef struct {
    const ensemble *const *e;
    const ensemble_batch *b;
    pthread_mutex_t lock;   /* everything below, and every output call */
    long next, total, done;
    int stop;               /* stop_on_failure and a member failed */
    member *m;
} shared;

typedef struct {
    shared *sh;
    int m;
    char err[1024];
} sink_ctx;

static int write_run(void *ctx, int run, unsigned long seed,
                     const output_run *rec, const model_event *ev, int n_ev)
{
    sink_ctx *c = ctx;
    shared *sh = c->sh;
    const ensemble *e = sh->e[c->m];
    pthread_mutex_lock(&sh->lock);
    int rc = output_write_run(e->out, e->scenario, run, seed, rec, ev, n_ev);
    if (rc)
        snprintf(c->err, sizeof c->err, "%s", output_error(e->out));
    pthread_mutex_unlock(&sh->lock);
    return rc;
}

/* Under the lock: the next run to do (member *m, its index *k), or 0
 * when none is left. */
static int take(shared *sh, int *m, int *k)
{
    while (!sh->stop && sh->next < sh->total) {
        long g = sh->next++;
        int j = 0;
        while (g >= sh->e[j]->n_runs) {
            g -= sh->e[j]->n_runs;
            j++;
        }
        if (sh->m[j].failed)
            continue;
        sh->m[j].started++;
        *m = j;
        *k = (int)g;
        return 1;
    }
    return 0;
}

/* Under the lock: report member j finished when nothing of it is left. */
static void maybe_finished(shared *sh, int j)
{
    member *mb = &sh->m[j];
    if (mb->fired || mb->ended != mb->started)
        return;
    if (!mb->failed && mb->started < sh->e[j]->n_runs && !sh->stop)
        return;
    if (!mb->failed && mb->started < sh->e[j]->n_runs) {
        /* stopped by another member's failure */
        mb->failed = mb->stopped = 1;
        snprintf(mb->err, sizeof mb->err, "stopped after another failure");
    }
    mb->fired = 1;
    if (sh->b->finished)
        sh->b->finished(sh->b->finished_ctx, j, mb->failed, mb->err);
}

static void *worker(void *arg)
{
    shared *sh = arg;
    sink_ctx ctx = {sh, -1, ""};
    char err[1024] = "";
    output_run *rec = NULL;
    int rec_for = -1; /* the member rec was made for */
    model_params *mp = NULL; /* a run's parameters drawn from a posterior */
    int mp_for = -1;         /* the member mp was copied from */
    for (;;) {
        int j, k;
        pthread_mutex_lock(&sh->lock);
        int more = take(sh, &j, &k);
        pthread_mutex_unlock(&sh->lock);
        if (!more)
            break;
        const ensemble *e = sh->e[j];
        int rc = 0;
        err[0] = ctx.err[0] = '\0';
        if (e->out && rec_for != j) {
            output_run_free(rec);
            rec_for = -1;
            if (!(rec = output_run_alloc(e->out))) {
                snprintf(err, sizeof err, "out of memory for a run's records");
                rc = -1;
            } else {
                rec_for = j;
            }
        }
        if (rc == 0 && e->post && mp_for != j) {
            params_free(mp);
            mp_for = -1;
            if (!(mp = params_copy(e->p))) {
                snprintf(err, sizeof err, "out of memory for a run's parameters");
                rc = -1;
            } else {
                mp_for = j;
            }
        }
        int run = e->first_run + k;
        if (rc == 0 && e->post) {
            /* the run's parameter set, drawn from the posterior */
            int particle = posterior_pick(e->post, e->master, run);
            posterior_apply(e->post, particle, e->post_refs, mp);
            if (e->picked)
                e->picked[k] = particle;
            if (e->write_params) {
                pthread_mutex_lock(&sh->lock);
                rc = output_write_point(e->out, run, particle,
                                        posterior_particle(e->post, particle));
                if (rc)
                    snprintf(err, sizeof err, "%s", output_error(e->out));
                pthread_mutex_unlock(&sh->lock);
            }
        }
        if (rc == 0) {
            ctx.m = j;
            runner_io io = {
                .rec = e->out ? rec : NULL,
                .sink = e->out ? write_run : NULL,
                .sink_ctx = &ctx,
                .sum = e->sums ? e->sums[k] : NULL,
                .ms = e->ms,
                .values = e->ms ? e->values + (size_t)k * e->ms->n : NULL,
            };
            rc = runner_run(e->post ? mp : e->p, e->master, run, &io, err, sizeof err);
            if (rc && ctx.err[0])
                snprintf(err, sizeof err, "%s", ctx.err);
        }
        pthread_mutex_lock(&sh->lock);
        member *mb = &sh->m[j];
        mb->ended++;
        if (rc) {
            if (!mb->failed)
                snprintf(mb->err, sizeof mb->err, "%s", err);
            mb->failed = 1;
            if (sh->b->stop_on_failure)
                sh->stop = 1;
        } else {
            sh->done++;
            if (sh->b->progress)
                sh->b->progress(sh->b->progress_ctx, sh->done, sh->total);
        }
        maybe_finished(sh, j);
        pthread_mutex_unlock(&sh->lock);
    }
    output_run_free(rec);
    params_free(mp);
    return NULL;
}

int ensemble_run_many(const ensemble *const *e, int n, const ensemble_batch *b,
                      char *err, size_t errlen)
{
    shared sh = {.e = e, .b = b};
    for (int j = 0; j < n; j++)
        sh.total += e[j]->n_runs;
    sh.m = calloc((size_t)n + 1, sizeof *sh.m);
    int jobs = b->jobs < 1 ? 1 : b->jobs;
    if (jobs > sh.total)
        jobs = sh.total > 0 ? (int)sh.total : 1;
    pthread_t *tid = calloc((size_t)jobs, sizeof *tid);
    if (!tid || !sh.m) {
        snprintf(err, errlen, "out of memory starting %d workers", jobs);
        free(tid);
        free(sh.m);
        return -1;
    }
    pthread_mutex_init(&sh.lock, NULL);
    int started = 0;
    for (; jobs > 1 && started < jobs; started++)
        if (pthread_create(&tid[started], NULL, worker, &sh) != 0)
            break;
    if (started == 0) /* one worker, or no thread could start */
        worker(&sh);
    for (int k = 0; k < started; k++)
        pthread_join(tid[k], NULL);
    free(tid);
    /* members with no run at all, or none started after a stop */
    int failed = 0;
    for (int j = 0; j < n; j++) {
        maybe_finished(&sh, j);
        failed += sh.m[j].failed;
    }
    pthread_mutex_destroy(&sh.lock);
    if (failed && errlen) {
        for (int j = 0; j < n; j++)
            if (sh.m[j].failed && !sh.m[j].stopped) {
                snprintf(err, errlen, "%s", sh.m[j].err);
                break;
            }
    }
    free(sh.m);
    return failed;
}

int ensemble_run(const ensemble *e, char *err, size_t errlen)
{
    ensemble_batch b = {.jobs = e->jobs, .stop_on_failure = 1};
    int rc = ensemble_run_many(&e, 1, &b, err, errlen);
    return rc == 0 ? 0 : -1;
}
