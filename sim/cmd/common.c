/*
 * common.c - option handling and scenario loading shared by the commands.
 */
#include "cmd.h"

#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "io/result/output.h"

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

publish_inputs *cmd_inputs(const char *cmd, const char *const *files, int n)
{
    publish_inputs *in = publish_inputs_alloc();
    int rc = in ? 0 : -1;
    for (int k = 0; rc == 0 && k < n; k++)
        if (files[k])
            rc = config_input_files(files[k], add_input, in);
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

void cmd_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "sim: %s%s", cmd ? cmd : "", cmd ? ": " : "");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

static const char *option_value(const char *cmd, int argc, char **argv, int *k)
{
    const char *arg = argv[*k];
    const char *eq = strchr(arg, '=');
    if (arg[1] == '-' && eq)
        return eq + 1;
    if (*k + 1 >= argc || argv[*k + 1][0] == '\0') {
        cmd_error(cmd, "option %s needs a value (see 'sim %s --help')", arg, cmd);
        return NULL;
    }
    return argv[++*k];
}

static int is_opt(const char *arg, const char *name)
{
    size_t n = strlen(name);
    return strncmp(arg, name, n) == 0 && (arg[n] == '\0' || arg[n] == '=');
}

int cmd_scenario_option(const char *cmd, int argc, char **argv, int *k,
                        scenario_opts *o)
{
    const char *arg = argv[*k];
    const char **slot = NULL;
    if (strcmp(arg, "-o") == 0 || is_opt(arg, "--output"))
        slot = &o->output;
    else if (is_opt(arg, "--seed"))
        slot = &o->seed;
    else if (is_opt(arg, "--months"))
        slot = &o->months;
    else if (is_opt(arg, "--set")) {
        const char *v = option_value(cmd, argc, argv, k);
        if (!v)
            return -1;
        o->sets[o->n_sets++] = v;
        return 1;
    } else if (strcmp(arg, "-q") == 0 || strcmp(arg, "--quiet") == 0) {
        o->quiet = 1;
        return 1;
    } else if (is_opt(arg, "--replicates") || is_opt(arg, "--jobs")) {
        int reps = is_opt(arg, "--replicates");
        const char *v = option_value(cmd, argc, argv, k);
        if (!v)
            return -1;
        char *end;
        long n = strtol(v, &end, 10);
        long max = reps ? CMD_MAX_REPLICATES : CMD_MAX_JOBS;
        if (*v == '\0' || *end != '\0' || n < 1 || n > max) {
            cmd_error(cmd, "%s: '%s' is not a whole number from 1 to %ld",
                      reps ? "--replicates" : "--jobs", v, max);
            return -1;
        }
        *(reps ? &o->replicates : &o->jobs) = (int)n;
        return 1;
    } else {
        return 0;
    }
    const char *v = option_value(cmd, argc, argv, k);
    if (!v)
        return -1;
    *slot = v;
    return 1;
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
                 const char *value)
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
    config_free(c);
    return -1;
}

sim_config *cmd_load_scenario(const scenario_opts *o)
{
    config_error e;
    memset(&e, 0, sizeof e);
    sim_config *c = o->scenario ? config_load_file(o->scenario, &e)
                                : config_load_string(sim_embedded_baseline,
                                                     SIM_EMBEDDED_NAME, &e);
    if (!c) {
        report(&e);
        return NULL;
    }
    if ((o->seed && apply(c, "--seed", "scenario.seed", o->seed)) ||
        (o->months && apply(c, "--months", "scenario.months", o->months)))
        return NULL;
    for (int k = 0; k < o->n_sets; k++)
        if (apply(c, NULL, NULL, o->sets[k]))
            return NULL;
    return c;
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
