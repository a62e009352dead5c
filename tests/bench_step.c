/*
 * bench_step.c - speed of the step loop and of recording (make bench).
 *
 * Prints, for the baseline over 120 months: months per second with output
 * off and with full output, and agent-months per second; then the time of
 * one step for generated blocs of 4, 16 and 64 agents (clones of the
 * baseline's agents, with their pairs and routes), so the growth of the
 * cost with N is visible; a 100-replicate ensemble of the baseline on 1
 * and 2 threads; and the wall time of calibrating the shipped baseline.
 * Figures, never pass/fail.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_rng.h>

#include "cmd/cmd.h"
#include "exp/calibrate.h"
#include "exp/ensemble.h"
#include "exp/runner.h"
#include "io/targets.h"
#include "io/config.h"
#include "io/output.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Runs of p for at least `seconds`; returns runs per second. */
static double time_runs(const model_params *p, double seconds, const char *path)
{
    char err[1024];
    int runs = 0;
    double t0 = now(), t;
    do {
        output *o = NULL;
        if (path) {
            output_opts opts = {.path = path, .config_text = "", .history = "bench",
                                .n_runs = 1, .master_seed = 1};
            o = output_open(p, &opts, err, sizeof err);
            if (!o) {
                fprintf(stderr, "bench: %s\n", err);
                exit(1);
            }
        }
        ensemble e = {.p = p, .master = 1, .first_run = path ? 0 : runs,
                      .n_runs = 1, .jobs = 1, .out = o};
        if (ensemble_run(&e, err, sizeof err) ||
            (o && output_close(o, err, sizeof err))) {
            fprintf(stderr, "bench: %s\n", err);
            exit(1);
        }
        runs++;
        t = now() - t0;
    } while (t < seconds);
    return runs / t;
}

/* A bloc of n agents cloned from the baseline's, with every pair and route
 * of the template pair; no events. */
static model_params *generated(const model_params *b, int n)
{
    int nb = b->n_agents, g = b->n_goods, nr = 0;
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++)
            for (int r = 0; r < b->n_routes; r++) {
                int ti = i % nb, tj = j % nb;
                nr += ti != tj && ((b->routes[r].ia == ti && b->routes[r].ib == tj) ||
                                   (b->routes[r].ia == tj && b->routes[r].ib == ti));
            }
    model_params *p = params_alloc(n, g, nr, 0);
    p->g = b->g;
    p->g.months = 120;
    memcpy(p->goods, b->goods, (size_t)g * sizeof *p->goods);
    memcpy(p->input_good, b->input_good, (size_t)g * sizeof *p->input_good);
    p->focus = p->war_agent = 0;
    p->start_year = b->start_year;
    p->start_month = b->start_month;
    for (int i = 0; i < n; i++) {
        int ti = i % nb;
        p->agents[i] = b->agents[ti];
        snprintf(p->agents[i].code, PARAM_NAME_MAX, "G%03d", i);
        p->agents[i].lat += 0.37 * (i / nb);
        p->agents[i].lon += 0.53 * (i / nb);
        memcpy(&p->ag[(size_t)i * g], &b->ag[(size_t)ti * g], (size_t)g * sizeof *p->ag);
        for (int j = 0; j < n; j++) {
            int tj = j % nb;
            p->aa[i * n + j] = b->aa[ti * nb + tj];
            p->pairs[i * n + j] = b->pairs[ti * nb + tj];
        }
    }
    int k = 0;
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++)
            for (int r = 0; r < b->n_routes; r++) {
                int ti = i % nb, tj = j % nb;
                if (ti == tj || !((b->routes[r].ia == ti && b->routes[r].ib == tj) ||
                                  (b->routes[r].ia == tj && b->routes[r].ib == ti)))
                    continue;
                p->routes[k] = b->routes[r];
                p->routes[k].ia = i;
                p->routes[k].ib = j;
                memcpy(&p->rg[(size_t)k * g], &b->rg[(size_t)r * g],
                       (size_t)g * sizeof *p->rg);
                k++;
            }
    return p;
}

int main(void)
{
    gsl_set_error_handler_off();
    config_error e;
    sim_config *c = config_load_string(sim_embedded_baseline, "baseline", &e);
    if (!c || config_apply_set(c, "scenario.months=120", &e)) {
        fprintf(stderr, "bench: cannot load the baseline\n");
        return 1;
    }
    const model_params *p = config_params(c);
    char path[] = "/tmp/sim-bench-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0)
        return 1;
    close(fd);

    int n = p->n_agents, months = p->g.months;
    double off = time_runs(p, 1.0, NULL);
    double on = time_runs(p, 1.0, path);
    printf("baseline, %d agents, %d months a run:\n", n, months);
    printf("  output off : %9.0f months/s  %10.0f agent-months/s  (%.3f ms a run)\n",
           off * months, off * months * n, 1e3 / off);
    printf("  full output: %9.0f months/s  %10.0f agent-months/s  (%.3f ms a run, "
           "file and all)\n", on * months, on * months * n, 1e3 / on);
    printf("step time by bloc size (generated blocs, output off):\n");
    const int sizes[] = {4, 16, 64};
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        model_params *q = generated(p, sizes[k]);
        double rate = time_runs(q, 1.0, NULL);
        double step = 1.0 / (rate * q->g.months);
        printf("  N = %3d: %9.1f us a step  %10.0f agent-months/s  (%d routes)\n",
               sizes[k], 1e6 * step, sizes[k] / step, q->n_routes);
        params_free(q);
    }
    /* ensembles: 100 replicates of the 24-month baseline, no output */
    config_apply_set(c, "scenario.months=24", &e);
    p = config_params(c);
    for (int jobs = 1; jobs <= 2; jobs++) {
        char err[512];
        ensemble en = {.p = p, .master = 7, .n_runs = 100, .jobs = jobs};
        double t0 = now();
        if (ensemble_run(&en, err, sizeof err)) {
            fprintf(stderr, "bench: %s\n", err);
            return 1;
        }
        double t = now() - t0;
        printf("ensemble of 100 baseline runs (24 months), %d thread%s: %.3f s, "
               "%.0f runs/s, %.0f runs/s per core\n", jobs, jobs > 1 ? "s" : "",
               t, 100 / t, 100 / t / jobs);
    }
    /* calibration of the shipped baseline, as documented */
    target_file *tf = targets_load("configs/targets.cfg", p, &e);
    if (tf) {
        double *x = calloc((size_t)tf->n_free + 1, sizeof *x);
        calib_opts co = {.base = p, .tf = tf, .replicates = 20, .jobs = 2,
                         .master = (unsigned long long)p->g.seed, .max_iter = 400,
                         .tol = 1e-3};
        calib_result r = {.x = x};
        char err[512];
        double t0 = now();
        if (calibrate_fit(&co, &r, err, sizeof err) == 0)
            printf("calibration (%d free parameters, 20 replicates, 2 threads): "
                   "%.2f s wall, %d iterations, %d evaluations\n", tf->n_free,
                   now() - t0, r.iterations, r.evaluations);
        free(x);
        targets_free(tf);
    }
    unlink(path);
    config_free(c);
    return 0;
}
