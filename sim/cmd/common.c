/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * common.c - scenario loading, shared data, files and reports shared by
 * the commands.
 */
#define _XOPEN_SOURCE 700 /* realpath */
#include "cmd.h"

#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "io/result/output.h"
#include "version.h"

void cmd_quantiles(const double *x, size_t stride, int n, double *median,
                   double *q05, double *q95)
{
    double *v = malloc(((size_t)n + 1) * sizeof *v);
    int m = 0;
    for (int k = 0; v && k < n; k++)
        if (isfinite(x[(size_t)k * stride]))
            v[m++] = x[(size_t)k * stride];
    if (!v || m == 0) {
        *median = *q05 = *q95 = NAN;
        free(v);
        return;
    }
    gsl_sort(v, 1, (size_t)m);
    *median = gsl_stats_quantile_from_sorted_data(v, 1, (size_t)m, 0.5);
    *q05 = gsl_stats_quantile_from_sorted_data(v, 1, (size_t)m, 0.05);
    *q95 = gsl_stats_quantile_from_sorted_data(v, 1, (size_t)m, 0.95);
    free(v);
}

/* Deflate leaves model trajectories at about half their raw size or less;
 * a file is refused only when even that would not fit. */
#define COMPRESSED_SHARE 0.5
/* Run buffers may take at most this share of the machine's memory. */
#define MEMORY_SHARE 0.8

/* "1.2 GiB", "340 KiB": bytes for people. */
static const char *human(double bytes, char *buf, size_t len)
{
    const char *unit[] = {"bytes", "KiB", "MiB", "GiB", "TiB"};
    int u = 0;
    while (bytes >= 1024.0 && u < 4) {
        bytes /= 1024.0;
        u++;
    }
    snprintf(buf, len, u ? "%.1f %s" : "%.0f %s", bytes, unit[u]);
    return buf;
}

int cmd_preflight(const char *cmd, const model_params *p,
                  const char *const *vars, int n_vars, int n_scenarios,
                  int n_runs, int jobs, const char *path)
{
    /* one run's records per worker, plus the model's own arrays (about
     * ten agent x partner x good arrays) */
    double run = output_estimate_bytes(p, vars, n_vars, 1);
    double state = 10.0 * 8.0 * p->n_agents * (double)p->n_agents * p->n_goods;
    double need = (run + state) * (jobs > 0 ? jobs : 1);
    long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);
    double mem = pages > 0 && size > 0 ? (double)pages * (double)size : 0.0;
    if (mem > 0 && need > MEMORY_SHARE * mem) {
        char a[32], b[32];
        cmd_error(cmd, "would need %s of memory for %d worker%s (%s installed); "
                  "record fewer variables (output.variables), every k months "
                  "(output.every), or use fewer --jobs",
                  human(need, a, sizeof a), jobs, jobs == 1 ? "" : "s",
                  human(mem, b, sizeof b));
        return -1;
    }
    double raw = output_estimate_bytes2(p, vars, n_vars, n_scenarios, n_runs);
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash)
        slash[slash == dir ? 1 : 0] = '\0';
    else
        snprintf(dir, sizeof dir, ".");
    struct statvfs fs;
    /* a pseudo file system (/proc, /sys) reports no blocks: let the write
     * itself fail there */
    if (statvfs(dir, &fs) == 0 && fs.f_blocks > 0) {
        double avail = (double)fs.f_bavail * (double)fs.f_frsize;
        if (raw * COMPRESSED_SHARE > avail) {
            char a[32], b[32], c[32];
            cmd_error(cmd, "%s would hold about %s (%s before compression) but "
                      "%s has %s free; record fewer variables "
                      "(output.variables) or every k months (output.every)",
                      path, human(raw * COMPRESSED_SHARE, a, sizeof a),
                      human(raw, b, sizeof b), dir, human(avail, c, sizeof c));
            return -1;
        }
    }
    return 0;
}

static int add_input(void *ctx, const char *name)
{
    return publish_inputs_add(ctx, name);
}

int cmd_inputs_add_config(publish_inputs *in, const sim_config *c)
{
    int rc = 0;
    for (int k = 0; c && rc == 0 && k < config_n_files(c); k++)
        rc = publish_inputs_add(in, config_file(c, k));
    return rc;
}

publish_inputs *cmd_inputs(const char *cmd, const char *const *files, int n,
                           const sim_config *const *cfgs, int n_cfgs)
{
    publish_inputs *in = publish_inputs_alloc();
    int rc = in ? 0 : -1;
    for (int k = 0; rc == 0 && k < n; k++)
        if (files[k])
            rc = config_input_files(files[k], add_input, in);
    for (int k = 0; rc == 0 && k < n_cfgs; k++)
        rc = cmd_inputs_add_config(in, cfgs[k]);
    if (rc < 0) {
        cmd_error(cmd, "out of memory");
        publish_inputs_free(in);
        return NULL;
    }
    return in;
}

int cmd_check_output(const char *cmd, const char *path,
                     const publish_inputs *in)
{
    char err[1200];
    int rc = publish_check(path, in, err, sizeof err);
    if (rc == PUBLISH_OK)
        return 0;
    cmd_error(cmd, "%s", err);
    return rc == PUBLISH_REFUSED ? EXIT_INPUT : EXIT_RUNTIME;
}
int cmd_silent = 0;

void cmd_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    if (cmd_silent)
        return;
    fprintf(stderr, "%s: %s%s", cmd_program, cmd ? cmd : "", cmd ? ": " : "");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

static void report(const config_error *e)
{
    char line[1200];
    config_error_format(e, line, sizeof line);
    fprintf(stderr, "sim: %s\n", line);
}

/* Apply "path=value"; errors are reported as coming from `origin` (the
 * flag that gave the value) and free the config. */
static int apply(sim_config *c, const char *origin, const char *path,
                 const char *value, int *rc)
{
    config_error e;
    char buf[600] = "";
    memset(&e, 0, sizeof e);
    if (path)
        snprintf(buf, sizeof buf, "%s=%s", path, value);
    if (config_apply_set(c, path ? buf : value, &e) == 0)
        return 0;
    if (origin)
        snprintf(e.file, sizeof e.file, "%s", origin);
    report(&e);
    *rc = cmd_config_exit(&e);
    config_free(c);
    return -1;
}

int cmd_config_exit(const config_error *e)
{
    return e->resource ? EXIT_RUNTIME : EXIT_INPUT;
}

sim_config *cmd_load_scenario(const char *file, const cmd_args *a, int *rc)
{
    config_error e;
    memset(&e, 0, sizeof e);
    *rc = EXIT_INPUT;
    sim_config *c = file ? config_load_file(file, &e)
                         : config_load_string(sim_embedded_baseline,
                                              SIM_EMBEDDED_NAME, &e);
    if (!c) {
        report(&e);
        *rc = cmd_config_exit(&e);
        return NULL;
    }
    if ((a->seed && apply(c, "--seed", "scenario.seed", a->seed, rc)) ||
        (a->months && apply(c, "--months", "scenario.months", a->months, rc)))
        return NULL;
    for (int k = 0; k < a->n_sets; k++)
        if (apply(c, NULL, NULL, a->sets[k], rc))
            return NULL;
    return c;
}

/* ---- shared data --------------------------------------------------------------- */

static int is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* dir holds shared data: scenarios/ or configs/ */
static int is_data_dir(const char *dir)
{
    char p[4200];
    snprintf(p, sizeof p, "%s/scenarios", dir);
    if (is_dir(p))
        return 1;
    snprintf(p, sizeof p, "%s/configs", dir);
    return is_dir(p);
}

static int add_dir(char (*dirs)[4096], int n, int max, const char *dir)
{
    if (n >= max || !dir || !*dir || !is_data_dir(dir))
        return n;
    char real[4096];
    const char *key = realpath(dir, real) ? real : dir;
    for (int k = 0; k < n; k++)
        if (strcmp(dirs[k], key) == 0)
            return n;
    snprintf(dirs[n], 4096, "%s", key);
    return n + 1;
}

int cmd_data_dirs(char (*dirs)[4096], int max)
{
    int n = add_dir(dirs, 0, max, getenv("SIM_DATADIR"));
    char exe[4096];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (len > 0) {
        exe[len] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = '\0'; /* the program's directory */
            char d[4200];
            snprintf(d, sizeof d, "%s/../share/bloc-sim", exe);
            n = add_dir(dirs, n, max, d);
            /* the source tree: build/sim (or build/sanitize/sim) */
            snprintf(d, sizeof d, "%s/..", exe);
            n = add_dir(dirs, n, max, d);
            snprintf(d, sizeof d, "%s/../..", exe);
            char b[4300];
            snprintf(b, sizeof b, "%s/sim/main.c", d);
            if (is_file(b))
                n = add_dir(dirs, n, max, d);
        }
    }
    return add_dir(dirs, n, max, sim_datadir);
}

const char *cmd_find_file(const char *name, const char *const *subdirs,
                          char *buf, size_t len)
{
    snprintf(buf, len, "%s", name);
    if (!*name || strchr(name, '/') || access(name, F_OK) == 0)
        return buf;
    char dirs[4][4096];
    int n = cmd_data_dirs(dirs, 4);
    for (int d = 0; d < n; d++)
        for (const char *const *sub = subdirs; *sub; sub++) {
            char p[4300];
            snprintf(p, sizeof p, "%s/%s/%s", dirs[d], *sub, name);
            if (is_file(p) || (snprintf(p, sizeof p, "%s/%s/%s.cfg", dirs[d], *sub,
                                        name),
                               is_file(p))) {
                snprintf(buf, len, "%s", p);
                return buf;
            }
        }
    return buf;
}

progress *cmd_progress(const cmd_args *a, const char *what, const char *unit,
                       long total)
{
    int tty = isatty(STDERR_FILENO);
    if (tty ? a->quiet && !a->progress : !a->progress)
        return NULL;
    return progress_alloc(stderr, tty, a->progress_every, what, unit, total);
}

int cmd_worse(int a, int b)
{
    if (a == EXIT_INPUT || b == EXIT_INPUT)
        return EXIT_INPUT;
    return a != EXIT_OK ? a : b;
}

int cmd_write_file(const char *cmd, const char *path, const char *text,
                   size_t len, const publish_inputs *inputs)
{
    char err[1200];
    publish_file *pf = publish_begin(path, inputs, NULL, err, sizeof err);
    FILE *f = pf ? publish_stream(pf) : NULL;
    if (!f) {
        if (pf)
            publish_abort(pf);
        cmd_error(cmd, "%s", pf ? "out of memory" : err);
        return -1;
    }
    fwrite(text, 1, len, f); /* a short write: publish_commit reports it */
    if (publish_commit(pf, inputs, err, sizeof err) != PUBLISH_OK) {
        cmd_error(cmd, "%s", err);
        return -1;
    }
    return 0;
}

char *cmd_history(int argc, char **argv)
{
    size_t len = 64;
    for (int k = 0; k < argc; k++)
        len += strlen(argv[k]) + 1;
    char *h = malloc(len);
    if (!h)
        return NULL;
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    size_t at = strftime(h, len, "%Y-%m-%dT%H:%M:%SZ:", &tm);
    for (int k = 0; k < argc; k++) {
        h[at++] = ' ';
        size_t n = strlen(argv[k]);
        memcpy(h + at, argv[k], n);
        at += n;
    }
    h[at] = '\0';
    return h;
}

/* ---- posteriors ------------------------------------------------------------------ */

/* Read a posterior in a child: libhdf5 may crash on a damaged file. */
static int read_posterior_child(void *arg, int fd)
{
    char err[1024];
    (void)fd;
    posterior_file_free(posterior_read(arg, err, sizeof err));
    return EXIT_OK;
}

posterior_file *cmd_load_posterior(const char *cmd, const char *path,
                                   const model_params *p, param_ref **refs)
{
    char err[1024], why[1024];
    cmd_guard g = {.child = read_posterior_child, .arg = (void *)path, .seconds = 120,
                   .max_memory = 8e9};
    if (cmd_guarded(cmd, path, &g, NULL, NULL) != EXIT_OK)
        return NULL;
    posterior_file *f = posterior_read(path, err, sizeof err);
    if (!f) {
        cmd_error(cmd, "--posterior: %s", err);
        return NULL;
    }
    *refs = calloc((size_t)f->d + 1, sizeof **refs);
    if (!*refs || posterior_bind(f, p, *refs, why, sizeof why)) {
        cmd_error(cmd, "--posterior %s: %s", path,
                  *refs ? why : "out of memory");
        free(*refs);
        *refs = NULL;
        posterior_file_free(f);
        return NULL;
    }
    if (!f->converged)
        fprintf(stderr, "%s: %s: warning: %s is not a finished fit (status %s: %s); "
                "its last generation is used\n", cmd_program, cmd, path, f->status,
                f->reason);
    return f;
}

#define UNIT_MAX 128 /* bytes of a parameter's unit */

char **cmd_posterior_units(const posterior_file *f, const model_params *p,
                           const param_ref *refs)
{
    size_t d = (size_t)f->d;
    char **u = malloc(d * (sizeof *u + UNIT_MAX) + 1);
    if (!u)
        return NULL;
    char *at = (char *)(u + d);
    for (size_t k = 0; k < d; k++, at += UNIT_MAX) {
        output_param_unit(p, refs[k], at, UNIT_MAX);
        u[k] = at;
    }
    return u;
}
