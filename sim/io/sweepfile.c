/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * sweepfile.c - sweep files -> a checked sweep_spec (see sweepfile.h).
 */
#include "sweepfile.h"

#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "io/config/get.h"
#include "io/config/load.h"
#include "io/result/output.h"

#define SWEEP_MAX_AXES 64
#define SWEEP_MAX_VALUES 100000

static int one_of(const char *s, const char *const *list)
{
    for (; *list; list++)
        if (strcmp(s, *list) == 0)
            return 1;
    return 0;
}

static const char *const sweep_keys[] = {"scenario", "design", "points", "seed",
                                         "replicates", "variables", "every",
                                         "events", NULL};
static const char *const axis_keys[] = {"path", "min", "max", "scale",
                                        "levels", "values", NULL};
static const char *const designs[] = {"grid", "random", "lhs", "sobol",
                                      "saltelli", NULL};

/* Parameters a sweep cannot vary: every run of a sweep file shares one
 * time axis, and the replicates' seeds come from the scenario's seed. */
static const char *fixed_in_sweep(const param_def *d)
{
    static const struct {
        const char *group, *key, *why;
    } fixed[] = {
        {"scenario", "months", "it sets the length of the runs, and the runs of "
                               "one sweep file share one time axis (run a sweep "
                               "for each length)"},
        {"output", "every", "it sets how often the runs are recorded, and the runs "
                            "of one sweep file share one time axis (use the sweep's "
                            "own every = k)"},
        {"scenario", "seed", "the runs' seeds come from the scenario's seed and the "
                             "replicate (common random numbers), so an axis on it "
                             "would change nothing; use replicates"},
    };
    for (size_t k = 0; k < sizeof fixed / sizeof fixed[0]; k++)
        if (d->scope == SCOPE_GLOBAL && strcmp(d->group, fixed[k].group) == 0 &&
            strcmp(d->key, fixed[k].key) == 0)
            return fixed[k].why;
    return NULL;
}

/* Resolve the axis path: a parameter, or a field of a named event. */
static int resolve_axis(const config_setting_t *a, const model_params *p,
                        sweep_axis *x, double *lo, double *hi, int *integral,
                        config_error *err)
{
    char why[300], key[200];
    snprintf(key, sizeof key, "axes.%s", x->path);
    *integral = 0;
    if (strncmp(x->path, "events.", 7) == 0) {
        const char *dot = strrchr(x->path, '.');
        size_t len = (size_t)(dot - x->path - 7);
        x->event = -1;
        for (int e = 0; e < p->n_events; e++)
            if (p->events[e].name[0] && strlen(p->events[e].name) == len &&
                strncmp(p->events[e].name, x->path + 7, len) == 0)
                x->event = e;
        if (x->event < 0 || dot <= x->path + 7)
            return config_error_at(err, NULL, a, key, "no event named in '%s' (name the "
                                   "event with name = \"...\")", x->path);
        const event_spec *ev = &p->events[x->event];
        if (strcmp(dot + 1, "month") == 0 || strcmp(dot + 1, "ramp") == 0) {
            x->target = dot[1] == 'm' ? SWEEP_EVENT_MONTH : SWEEP_EVENT_RAMP;
            *lo = 0;
            *hi = x->target == SWEEP_EVENT_MONTH ? 100000 : 1200;
            *integral = 1;
        } else if (strcmp(dot + 1, "value") == 0) {
            x->target = SWEEP_EVENT_VALUE;
            *lo = ev->kind == EV_SET ? ev->ref.def->min : -1e15;
            *hi = ev->kind == EV_SET ? ev->ref.def->max : 1e15;
        } else {
            return config_error_at(err, NULL, a, key,
                                   "an event axis is events.NAME.month, .ramp or .value");
        }
        return 0;
    }
    x->target = SWEEP_PARAM;
    if (config_resolve_path(p, x->path, &x->ref, why, sizeof why))
        return config_error_at(err, NULL, a, key, "%s", why);
    const param_def *d = x->ref.def;
    if (d->type == PT_STRING || d->type == PT_CHOICE)
        return config_error_at(err, NULL, a, key, "'%s' is not a number", x->path);
    const char *fixed = fixed_in_sweep(d);
    if (fixed)
        return config_error_at(err, NULL, a, key, "%s cannot be swept: %s", x->path,
                               fixed);
    *lo = d->type == PT_BOOL ? 0 : d->min;
    *hi = d->type == PT_BOOL ? 1 : d->max;
    *integral = d->type == PT_INT || d->type == PT_BOOL;
    return 0;
}

static int load_axis(const config_setting_t *a, int k, const model_params *p,
                     sweep_axis *x, config_error *err)
{
    char key[200];
    snprintf(key, sizeof key, "axes.[%d]", k);
    if (config_setting_type(a) != CONFIG_TYPE_GROUP)
        return config_error_at(err, NULL, a, key, "each axis is a group { ... }");
    if (cfg_known(a, axis_keys, key, err))
        return -1;
    const char *path = NULL;
    if (cfg_get_string(a, "path", key, sizeof x->path - 1, 1, &path, err))
        return -1;
    snprintf(x->path, sizeof x->path, "%s", path);
    snprintf(key, sizeof key, "axes.%s", x->path);
    double lo = 0.0, hi = 0.0;
    int integral = 0;
    if (resolve_axis(a, p, x, &lo, &hi, &integral, err))
        return -1;
    const config_setting_t *vals = cfg_get(a, "values");
    const config_setting_t *mn = cfg_get(a, "min"), *mx = cfg_get(a, "max");
    const char *scale = "linear";
    if (cfg_get_string(a, "scale", key, 16, 0, &scale, err))
        return -1;
    if (vals) {
        int t = config_setting_type(vals);
        if (mn || mx)
            return config_error_at(err, NULL, a, key, "give either values or min and max");
        int n = config_setting_length(vals);
        if ((t != CONFIG_TYPE_ARRAY && t != CONFIG_TYPE_LIST) || n < 1 ||
            n > SWEEP_MAX_VALUES)
            return config_error_at(err, NULL, vals, key, "values: an array of 1 to %d "
                                   "numbers", SWEEP_MAX_VALUES);
        x->scale = SWEEP_LIST;
        x->n_values = n;
        x->values = calloc((size_t)n, sizeof *x->values);
        if (!x->values) {
            config_error_at(err, NULL, vals, key, "out of memory");
            err->resource = 1;
            return -1;
        }
        char vkey[260];
        snprintf(vkey, sizeof vkey, "%s.values", key);
        for (int v = 0; v < n; v++) {
            const config_setting_t *e = config_setting_get_elem(vals, (unsigned)v);
            if (cfg_real(e, vkey, -DBL_MAX, DBL_MAX, &x->values[v], err))
                return -1;
            if (x->values[v] < lo || x->values[v] > hi)
                return config_error_at(err, NULL, vals, key,
                                       "value %g is outside the bounds [%g, %g]",
                                       x->values[v], lo, hi);
            if (integral && x->values[v] != floor(x->values[v]))
                return config_error_at(err, NULL, vals, key,
                                       "value %g is not a whole number", x->values[v]);
        }
        return 0;
    }
    if (!mn || !mx)
        return config_error_at(err, NULL, a, key,
                               "give values = [...] or min and max (numbers)");
    char mkey[260];
    snprintf(mkey, sizeof mkey, "%s.min", key);
    if (cfg_real(mn, mkey, -DBL_MAX, DBL_MAX, &x->min, err))
        return -1;
    snprintf(mkey, sizeof mkey, "%s.max", key);
    if (cfg_real(mx, mkey, -DBL_MAX, DBL_MAX, &x->max, err))
        return -1;
    if (!(x->min < x->max))
        return config_error_at(err, NULL, a, key, "min %g must be below max %g",
                               x->min, x->max);
    if (x->min < lo || x->max > hi)
        return config_error_at(err, NULL, a, key,
                               "[%g, %g] is outside the bounds [%g, %g]", x->min,
                               x->max, lo, hi);
    if (integral)
        return config_error_at(err, NULL, a, key,
                               "a whole-number parameter is swept with values = [...]");
    if (strcmp(scale, "linear") == 0) {
        x->scale = SWEEP_LINEAR;
    } else if (strcmp(scale, "log") == 0) {
        x->scale = SWEEP_LOG;
        if (x->min <= 0)
            return config_error_at(err, NULL, a, key, "a log scale needs min > 0");
    } else {
        return config_error_at(err, NULL, cfg_get(a, "scale"), key,
                               "scale is linear or log, not '%s'", scale);
    }
    long long levels = 2;
    if (cfg_get_int(a, "levels", key, 1, SWEEP_MAX_VALUES, 0, &levels, err))
        return -1;
    x->levels = (int)levels;
    return 0;
}

static unsigned long long fnv1a(unsigned long long h, const void *data, size_t n)
{
    const unsigned char *b = data;
    for (size_t k = 0; k < n; k++) {
        h ^= b[k];
        h *= 0x100000001b3ULL;
    }
    return h;
}

/* A hash of everything that decides the runs' results and their order. */
static void hash_spec(sweep_spec *s)
{
    unsigned long long h = 0xcbf29ce484222325ULL;
    char *text = config_resolved_text(s->cfg);
    if (text) {
        h = fnv1a(h, text, strlen(text));
        free(text);
    }
    char head[128];
    snprintf(head, sizeof head, "%s/%d/%llu/%d/%d/%d", s->design, s->points,
             s->seed, s->replicates, s->every, s->events);
    h = fnv1a(h, head, strlen(head));
    for (int v = 0; v < s->n_vars; v++)
        h = fnv1a(h, s->vars[v], strlen(s->vars[v]) + 1);
    for (int a = 0; a < s->n_axes; a++) {
        const sweep_axis *x = &s->axes[a];
        char line[256];
        snprintf(line, sizeof line, "%s/%d/%.17g/%.17g/%d/%d", x->path, x->scale,
                 x->min, x->max, x->levels, x->n_values);
        h = fnv1a(h, line, strlen(line));
        if (x->n_values)
            h = fnv1a(h, x->values, (size_t)x->n_values * sizeof *x->values);
    }
    s->hash = h;
}

static int load_head(sweep_spec *s, const config_setting_t *sw, config_error *err)
{
    if (cfg_known(sw, sweep_keys, "sweep", err))
        return -1;
    const char *scen = NULL, *design = "grid";
    if (cfg_get_string(sw, "scenario", "sweep", sizeof s->scenario - 1, 0, &scen, err))
        return -1;
    if (!scen)
        return config_error_at(err, s->file, sw, "sweep.scenario",
                               "missing required key (the base scenario file)");
    /* relative to the sweep file's directory, as an @include (from the
     * current directory when the sweep file is a pipe) */
    char dir[4096];
    struct stat st;
    snprintf(dir, sizeof dir, "%s", s->file);
    char *slash = strrchr(dir, '/');
    if (slash && !(stat(s->file, &st) == 0 && !S_ISREG(st.st_mode)))
        slash[1] = '\0';
    else
        dir[0] = '\0';
    if ((size_t)snprintf(s->scenario, sizeof s->scenario, "%s%s",
                         scen[0] == '/' ? "" : dir, scen) >= sizeof s->scenario)
        return config_error_at(err, s->file, cfg_get(sw, "scenario"), "sweep.scenario",
                               "the path is too long");
    if (cfg_get_string(sw, "design", "sweep", 16, 0, &design, err))
        return -1;
    if (!one_of(design, designs))
        return config_error_at(err, s->file, cfg_get(sw, "design"), "sweep.design",
                               "'%s' is not grid, random, lhs, sobol or saltelli",
                               design);
    snprintf(s->design, sizeof s->design, "%s", design);
    /* counts: integers only (32.0 or "32" is refused, not read as a default) */
    long long points = 1, reps = 1, every = 0, seed = 1;
    int events = 0;
    if (cfg_get_int(sw, "points", "sweep", 1, 100000000, 0, &points, err) ||
        cfg_get_int(sw, "replicates", "sweep", 1, 1000000, 0, &reps, err) ||
        cfg_get_int(sw, "every", "sweep", 1, 1200, 0, &every, err) ||
        cfg_get_int(sw, "seed", "sweep", 0, LLONG_MAX, 0, &seed, err) ||
        cfg_get_bool(sw, "events", "sweep", 0, &events, err))
        return -1;
    s->events = events;
    s->points = (int)points;
    s->replicates = (int)reps;
    s->every = (int)every;
    s->seed = (unsigned long long)seed;
    const config_setting_t *vars = cfg_get(sw, "variables");
    if (!vars) {
        /* a sweep records the headline trajectories, not the 5-D flows */
        static const char *const fallback[] = {
            "production", "shortfall", "imports", "sanctions", "member",
            "cohesion", "connectivity", "hub_share"};
        int n = (int)(sizeof fallback / sizeof fallback[0]);
        s->vars = calloc((size_t)n + 1, sizeof *s->vars);
        for (int k = 0; s->vars && k < n; k++)
            if ((s->vars[k] = strdup(fallback[k])))
                s->n_vars = k + 1;
        if (!s->vars || s->n_vars < n)
            goto oom;
        return 0;
    }
    int t = config_setting_type(vars), n = config_setting_length(vars);
    if ((t != CONFIG_TYPE_ARRAY && t != CONFIG_TYPE_LIST) || n < 1)
        return config_error_at(err, s->file, vars, "sweep.variables",
                               "expected an array of variable names");
    s->vars = calloc((size_t)n + 1, sizeof *s->vars);
    if (!s->vars)
        goto oom;
    for (int k = 0; k < n; k++) {
        const char *v = config_setting_get_string_elem(vars, k);
        if (!v || !output_var_known(v))
            return config_error_at(err, s->file, vars, "sweep.variables",
                                   "no variable named '%.60s'", v ? v : "(not a string)");
        if (!(s->vars[k] = strdup(v)))
            goto oom;
        s->n_vars = k + 1;
    }
    return 0;
oom:
    config_error_at(err, s->file, vars, "sweep.variables", "out of memory");
    err->resource = 1;
    return -1;
}

sweep_spec *sweep_load(const char *path, config_error *err)
{
    memset(err, 0, sizeof *err);
    sweep_spec *s = calloc(1, sizeof *s);
    if (!s) {
        config_error_at(err, path, NULL, "", "out of memory");
        err->resource = 1;
        return NULL;
    }
    snprintf(s->file, sizeof s->file, "%s", path);
    cfg_doc *doc = cfg_read_file(path, NULL, err);
    if (!doc)
        goto bad;
    static const char *const top_keys[] = {"sweep", "axes", NULL};
    const config_setting_t *root = cfg_root(doc);
    if (cfg_known(root, top_keys, "", err))
        goto bad;
    const config_setting_t *sw = cfg_get(root, "sweep"), *axes = cfg_get(root, "axes");
    if (!sw || config_setting_type(sw) != CONFIG_TYPE_GROUP) {
        config_error_at(err, path, sw, "sweep", "missing required group sweep = { ... }");
        goto bad;
    }
    if (load_head(s, sw, err))
        goto bad;
    if (!(s->cfg = config_load_file(s->scenario, err)))
        goto bad;
    const model_params *p = config_params(s->cfg);
    if (s->every > 0) {
        char set[64];
        snprintf(set, sizeof set, "output.every=%d", s->every);
        if (config_apply_set(s->cfg, set, err))
            goto bad;
        p = config_params(s->cfg);
    }
    int n = axes ? config_setting_length(axes) : 0;
    if (!axes || config_setting_type(axes) != CONFIG_TYPE_LIST || n < 1 ||
        n > SWEEP_MAX_AXES) {
        config_error_at(err, path, axes, "axes",
                        "expected a list of 1 to %d axes ( { ... }, ... )", SWEEP_MAX_AXES);
        goto bad;
    }
    s->axes = calloc((size_t)n, sizeof *s->axes);
    if (!s->axes) {
        config_error_at(err, path, axes, "axes", "out of memory");
        err->resource = 1;
        goto bad;
    }
    for (int k = 0; k < n; k++) {
        s->n_axes = k + 1;
        const config_setting_t *a = config_setting_get_elem(axes, (unsigned)k);
        if (load_axis(a, k, p, &s->axes[k], err))
            goto bad;
        for (int q = 0; q < k; q++)
            if (strcmp(s->axes[q].path, s->axes[k].path) == 0) {
                config_error_at(err, path, a, s->axes[k].path, "this path is swept twice");
                goto bad;
            }
    }
    hash_spec(s);
    cfg_free(doc);
    return s;
bad:
    cfg_free(doc);
    sweep_free(s);
    return NULL;
}

void sweep_free(sweep_spec *s)
{
    if (!s)
        return;
    for (int v = 0; v < s->n_vars; v++)
        free(s->vars[v]);
    free(s->vars);
    for (int a = 0; a < s->n_axes; a++)
        free(s->axes[a].values);
    free(s->axes);
    config_free(s->cfg);
    free(s);
}

void sweep_apply(const sweep_spec *s, model_params *p, const double *values)
{
    for (int a = 0; a < s->n_axes; a++) {
        const sweep_axis *x = &s->axes[a];
        double v = values[a];
        switch (x->target) {
        case SWEEP_PARAM: param_set(p, x->ref, v); break;
        case SWEEP_EVENT_MONTH: p->events[x->event].month = (int)lround(v); break;
        case SWEEP_EVENT_RAMP: p->events[x->event].ramp = (int)lround(v); break;
        case SWEEP_EVENT_VALUE: p->events[x->event].value = v; break;
        }
    }
}
