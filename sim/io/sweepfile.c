/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * sweepfile.c - sweep files -> a checked sweep_spec (see sweepfile.h).
 */
#include "sweepfile.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libconfig.h>

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

static int number(const config_setting_t *s, double *v)
{
    int t = config_setting_type(s);
    if (t == CONFIG_TYPE_FLOAT)
        *v = config_setting_get_float(s);
    else if (t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64)
        *v = (double)config_setting_get_int64(s);
    else
        return -1;
    return isfinite(*v) ? 0 : -1;
}

/* Resolve the axis path: a parameter, or a field of a named event. */
static int resolve_axis(const char *file, const config_setting_t *a,
                        const model_params *p, sweep_axis *x,
                        double *lo, double *hi, int *integral,
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
            return config_error_at(err, file, a, key, "no event named in '%s' (name the "
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
            return config_error_at(err, file, a, key,
                        "an event axis is events.NAME.month, .ramp or .value");
        }
        return 0;
    }
    x->target = SWEEP_PARAM;
    if (config_resolve_path(p, x->path, &x->ref, why, sizeof why))
        return config_error_at(err, file, a, key, "%s", why);
    const param_def *d = x->ref.def;
    if (d->type == PT_STRING || d->type == PT_CHOICE)
        return config_error_at(err, file, a, key, "'%s' is not a number", x->path);
    *lo = d->type == PT_BOOL ? 0 : d->min;
    *hi = d->type == PT_BOOL ? 1 : d->max;
    *integral = d->type == PT_INT || d->type == PT_BOOL;
    return 0;
}

static int load_axis(const char *file, const config_setting_t *a, int k,
                     const model_params *p, sweep_axis *x, config_error *err)
{
    char key[200];
    snprintf(key, sizeof key, "axes.[%d]", k);
    if (config_setting_type(a) != CONFIG_TYPE_GROUP)
        return config_error_at(err, file, a, key, "each axis is a group { ... }");
    for (int q = 0; q < config_setting_length(a); q++) {
        config_setting_t *m = config_setting_get_elem(a, (unsigned)q);
        if (!one_of(config_setting_name(m), axis_keys)) {
            char full[260];
            snprintf(full, sizeof full, "%s.%s", key, config_setting_name(m));
            return config_error_at(err, file, m, full, "unknown key");
        }
    }
    const char *path = NULL;
    if (!config_setting_lookup_string(a, "path", &path) ||
        strlen(path) >= sizeof x->path)
        return config_error_at(err, file, a, key, "missing 'path' (a parameter path)");
    snprintf(x->path, sizeof x->path, "%s", path);
    snprintf(key, sizeof key, "axes.%s", x->path);
    double lo = 0.0, hi = 0.0;
    int integral = 0;
    if (resolve_axis(file, a, p, x, &lo, &hi, &integral, err))
        return -1;
    config_setting_t *vals = config_setting_get_member(a, "values");
    config_setting_t *mn = config_setting_get_member(a, "min");
    config_setting_t *mx = config_setting_get_member(a, "max");
    const char *scale = "linear";
    config_setting_lookup_string(a, "scale", &scale);
    if (vals) {
        if (mn || mx)
            return config_error_at(err, file, a, key, "give either values or min and max");
        int n = config_setting_length(vals);
        if (n < 1 || n > SWEEP_MAX_VALUES)
            return config_error_at(err, file, vals, key, "values: 1 to %d numbers", SWEEP_MAX_VALUES);
        x->scale = SWEEP_LIST;
        x->n_values = n;
        x->values = calloc((size_t)n, sizeof *x->values);
        if (!x->values)
            return config_error_at(err, file, vals, key, "out of memory");
        for (int v = 0; v < n; v++) {
            const config_setting_t *e = config_setting_get_elem(vals, (unsigned)v);
            if (number(e, &x->values[v]))
                return config_error_at(err, file, vals, key, "value %d is not a number", v);
            if (x->values[v] < lo || x->values[v] > hi)
                return config_error_at(err, file, vals, key,
                            "value %g is outside the bounds [%g, %g]",
                            x->values[v], lo, hi);
            if (integral && x->values[v] != floor(x->values[v]))
                return config_error_at(err, file, vals, key, "value %g is not a whole number",
                            x->values[v]);
        }
        return 0;
    }
    if (!mn || !mx || number(mn, &x->min) || number(mx, &x->max))
        return config_error_at(err, file, a, key, "give values = [...] or min and max (numbers)");
    if (!(x->min < x->max))
        return config_error_at(err, file, a, key, "min %g must be below max %g", x->min, x->max);
    if (x->min < lo || x->max > hi)
        return config_error_at(err, file, a, key, "[%g, %g] is outside the bounds [%g, %g]",
                    x->min, x->max, lo, hi);
    if (integral)
        return config_error_at(err, file, a, key,
                    "a whole-number parameter is swept with values = [...]");
    if (strcmp(scale, "linear") == 0) {
        x->scale = SWEEP_LINEAR;
    } else if (strcmp(scale, "log") == 0) {
        x->scale = SWEEP_LOG;
        if (x->min <= 0)
            return config_error_at(err, file, a, key, "a log scale needs min > 0");
    } else {
        return config_error_at(err, file, a, key, "scale is linear or log, not '%s'", scale);
    }
    int levels = 2;
    config_setting_lookup_int(a, "levels", &levels);
    if (levels < 1 || levels > SWEEP_MAX_VALUES)
        return config_error_at(err, file, a, key, "levels: 1 to %d", SWEEP_MAX_VALUES);
    x->levels = levels;
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
    for (int q = 0; q < config_setting_length(sw); q++) {
        config_setting_t *m = config_setting_get_elem(sw, (unsigned)q);
        if (!one_of(config_setting_name(m), sweep_keys)) {
            char full[200];
            snprintf(full, sizeof full, "sweep.%s", config_setting_name(m));
            return config_error_at(err, s->file, m, full, "unknown key");
        }
    }
    const char *scen = NULL, *design = "grid";
    if (!config_setting_lookup_string(sw, "scenario", &scen))
        return config_error_at(err, s->file, sw, "sweep.scenario",
                    "missing required key (the base scenario file)");
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", s->file);
    char *slash = strrchr(dir, '/');
    if (slash)
        slash[1] = '\0';
    else
        dir[0] = '\0';
    snprintf(s->scenario, sizeof s->scenario, "%s%s", scen[0] == '/' ? "" : dir, scen);
    config_setting_lookup_string(sw, "design", &design);
    if (!one_of(design, designs))
        return config_error_at(err, s->file, config_setting_get_member(sw, "design"),
                    "sweep.design", "'%s' is not grid, random, lhs, sobol or saltelli",
                    design);
    snprintf(s->design, sizeof s->design, "%s", design);
    int points = 1, reps = 1, every = 0;
    long long seed = 1;
    config_setting_lookup_int(sw, "points", &points);
    config_setting_lookup_int(sw, "replicates", &reps);
    config_setting_lookup_int(sw, "every", &every);
    config_setting_lookup_int64(sw, "seed", &seed);
    if (points < 1 || points > 100000000)
        return config_error_at(err, s->file, sw, "sweep.points", "must be between 1 and 1e8 (got %d)",
                    points);
    if (reps < 1 || reps > 1000000)
        return config_error_at(err, s->file, sw, "sweep.replicates",
                    "must be between 1 and 1e6 (got %d)", reps);
    if (every < 0 || every > 1200)
        return config_error_at(err, s->file, sw, "sweep.every", "must be between 1 and 1200");
    if (seed < 0)
        return config_error_at(err, s->file, sw, "sweep.seed", "must not be negative");
    config_setting_t *ev = config_setting_get_member(sw, "events");
    if (ev && config_setting_type(ev) != CONFIG_TYPE_BOOL)
        return config_error_at(err, s->file, ev, "sweep.events",
                               "must be true or false");
    s->events = ev ? config_setting_get_bool(ev) : 0;
    s->points = points;
    s->replicates = reps;
    s->every = every;
    s->seed = (unsigned long long)seed;
    config_setting_t *vars = config_setting_get_member(sw, "variables");
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
            return config_error_at(err, s->file, sw, "sweep.variables", "out of memory");
    }
    if (vars) {
        int n = config_setting_length(vars);
        s->vars = calloc((size_t)n + 1, sizeof *s->vars);
        if (!s->vars)
            return config_error_at(err, s->file, vars, "sweep.variables", "out of memory");
        for (int k = 0; k < n; k++) {
            const char *v = config_setting_get_string_elem(vars, k);
            if (!v || !output_var_known(v))
                return config_error_at(err, s->file, vars, "sweep.variables",
                            "no variable named '%s'", v ? v : "(not a string)");
            s->vars[k] = strdup(v);
            s->n_vars = k + 1;
        }
    }
    return 0;
}

sweep_spec *sweep_load(const char *path, config_error *err)
{
    memset(err, 0, sizeof *err);
    sweep_spec *s = calloc(1, sizeof *s);
    config_t cfg;
    config_init(&cfg);
    if (!s) {
        config_error_at(err, path, NULL, "", "out of memory");
        return NULL;
    }
    snprintf(s->file, sizeof s->file, "%s", path);
    if (config_read_other(&cfg, path, NULL, err))
        goto bad;
    config_setting_t *root = config_root_setting(&cfg);
    for (int k = 0; k < config_setting_length(root); k++) {
        config_setting_t *m = config_setting_get_elem(root, (unsigned)k);
        if (strcmp(config_setting_name(m), "sweep") != 0 &&
            strcmp(config_setting_name(m), "axes") != 0) {
            config_error_at(err, path, m, config_setting_name(m), "unknown key (sweep, axes)");
            goto bad;
        }
    }
    config_setting_t *sw = config_lookup(&cfg, "sweep");
    config_setting_t *axes = config_lookup(&cfg, "axes");
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
        config_error_at(err, path, axes, "axes", "expected a list of 1 to %d axes ( { ... }, ... )",
             SWEEP_MAX_AXES);
        goto bad;
    }
    s->axes = calloc((size_t)n, sizeof *s->axes);
    if (!s->axes) {
        config_error_at(err, path, axes, "axes", "out of memory");
        goto bad;
    }
    for (int k = 0; k < n; k++) {
        s->n_axes = k + 1;
        if (load_axis(path, config_setting_get_elem(axes, (unsigned)k), k, p,
                      &s->axes[k], err))
            goto bad;
        for (int q = 0; q < k; q++)
            if (strcmp(s->axes[q].path, s->axes[k].path) == 0) {
                config_error_at(err, path, config_setting_get_elem(axes, (unsigned)k),
                     s->axes[k].path, "this path is swept twice");
                goto bad;
            }
    }
    hash_spec(s);
    config_destroy(&cfg);
    return s;
bad:
    config_destroy(&cfg);
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
