/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * bench_step.c - speed of the step loop and of recording (make bench).
 *
 * Prints, for the baseline over 120 months: months per second with output
 * off and with full output, and agent-months per second; then the time of
 * one step for generated blocs of 4, 16 and 64 agents (clones of the
 * baseline's agents, with their pairs and routes), so the growth of the
 * cost with N is visible; and a 100-replicate ensemble of the baseline on
 * 1 and 2 threads (bench.sh times a calibration).  Figures, never
 * pass/fail.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <gsl/gsl_errno.h>
#include <hdf5.h>
#include <gsl/gsl_rng.h>

#include "cmd/cmd.h"
#include "exp/ensemble.h"
#include "exp/runner.h"
#include "exp/sweep.h"
#include "io/sweepfile.h"
#include "io/targets.h"
#include "io/config.h"
#include "io/result/output.h"

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

/* A bare HDF5 writer: n_runs x per_run doubles into one chunked,
 * deflated dataset (HDF5's own filter), a run at a time.  Seconds. */
static double bare_writer(const char *path, int n_runs, size_t per_run)
{
    double t0 = now();
    hsize_t dims[2] = {(hsize_t)n_runs, per_run};
    hsize_t runs_per_chunk = per_run * 8 >= 262144 ? 1 : 262144 / (per_run * 8);
    if (runs_per_chunk > (hsize_t)n_runs)
        runs_per_chunk = (hsize_t)n_runs;
    hsize_t chunk[2] = {runs_per_chunk, per_run};
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    hid_t sp = H5Screate_simple(2, dims, NULL);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_chunk(dcpl, 2, chunk);
    H5Pset_deflate(dcpl, 1);
    hid_t ds = H5Dcreate2(f, "x", H5T_IEEE_F64LE, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    double *buf = malloc(per_run * sizeof *buf);
    for (size_t k = 0; k < per_run; k++)
        buf[k] = 1e5 * sin((double)k) + (double)k;
    hsize_t one[2] = {1, per_run};
    hid_t ms = H5Screate_simple(2, one, NULL);
    for (int r = 0; r < n_runs; r++) {
        hsize_t start[2] = {(hsize_t)r, 0};
        buf[0] = r;
        H5Sselect_hyperslab(sp, H5S_SELECT_SET, start, NULL, one, NULL);
        H5Dwrite(ds, H5T_NATIVE_DOUBLE, ms, sp, H5P_DEFAULT, buf);
    }
    free(buf);
    H5Sclose(ms);
    H5Dclose(ds);
    H5Pclose(dcpl);
    H5Sclose(sp);
    H5Fclose(f);
    return now() - t0;
}

/* A sweep file's runs without output: seconds. */
static double sweep_no_output(const char *file, int *runs)
{
    config_error e;
    char err[512];
    sweep_spec *s = sweep_load(file, &e);
    sweep_plan *pl = s ? sweep_plan_alloc(s, err, sizeof err) : NULL;
    if (!pl) {
        fprintf(stderr, "bench: %s\n", s ? err : e.reason);
        exit(1);
    }
    sweep_opts o = {.jobs = 1, .block = 1};
    int done = 0;
    double t0 = now();
    sweep_run(pl, &o, &done, err, sizeof err);
    double t = now() - t0;
    *runs = done;
    double bytes = output_estimate_bytes(config_params(s->cfg),
                                         (const char *const *)s->vars, s->n_vars, 1);
    printf("%.0f\n", bytes / 8.0); /* doubles a run, for the bare writer */
    sweep_plan_free(pl);
    sweep_free(s);
    return t;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--sweep-no-output") == 0) {
        int runs;
        double t = sweep_no_output(argv[2], &runs);
        printf("%.6f %d\n", t, runs);
        return 0;
    }
    if (argc == 4 && strcmp(argv[1], "--bare-writer") == 0) {
        output_library_init();
        printf("%.6f\n", bare_writer("/tmp/sim-bench-bare.h5", atoi(argv[2]),
                                     (size_t)atol(argv[3])));
        unlink("/tmp/sim-bench-bare.h5");
        return 0;
    }
    (void)argc;
    (void)argv;
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
    unlink(path);
    config_free(c);
    return 0;
}
}
