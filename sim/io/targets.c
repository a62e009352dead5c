/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * targets.c - measure files -> measure sets and free parameters.
 */
#include "targets.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <libconfig.h>

static const char *const measure_keys[] = {
    "name", "label", "figure", "source", "variables", "agents", "partners",
    "goods", "routes", "from", "to", "reduce", "scale", "unit", "value",
    "range", "weight", "change", "before", NULL};

static int known(const char *key, const char *const *list)
{
    for (; *list; list++)
        if (strcmp(key, *list) == 0)
            return 1;
    return 0;
}

static int get_text(const char *file, const config_setting_t *m, const char *key,
                    const char *where, char *dst, size_t len, int required,
                    config_error *err)
{
    config_setting_t *s = config_setting_get_member(m, key);
    char full[200];
    snprintf(full, sizeof full, "%s.%s", where, key);
    if (!s)
        return required ? config_error_at(err, file, m, full, "missing required key") : 0;
    const char *v = config_setting_get_string(s);
    if (!v)
        return config_error_at(err, file, s, full, "wrong type: expected a string");
    if (strlen(v) >= len)
        return config_error_at(err, file, s, full, "longer than %zu characters", len - 1);
    snprintf(dst, len, "%s", v);
    return 0;
}

static int get_number(const char *file, const config_setting_t *m,
                      const char *key, const char *where, double *dst,
                      int required, config_error *err)
{
    config_setting_t *s = config_setting_get_member(m, key);
    char full[200];
    snprintf(full, sizeof full, "%s.%s", where, key);
    if (!s)
        return required ? config_error_at(err, file, m, full, "missing required key") : 0;
    int t = config_setting_type(s);
    if (t == CONFIG_TYPE_FLOAT)
        *dst = config_setting_get_float(s);
    else if (t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64)
        *dst = (double)config_setting_get_int64(s);
    else
        return config_error_at(err, file, s, full, "wrong type: expected a number");
    if (!isfinite(*dst))
        return config_error_at(err, file, s, full, "must be a finite number");
    return 0;
}

/* A mask over `n` names from an array of strings; NULL mask for "all". */
static int get_mask(const char *file, const config_setting_t *m, const char *key,
                    const char *where, int n,
                    int (*index)(const model_params *, const char *),
                    const model_params *p, unsigned char **mask,
                    config_error *err)
{
    config_setting_t *s = config_setting_get_member(m, key);
    char full[200];
    snprintf(full, sizeof full, "%s.%s", where, key);
    if (!s)
        return 0;
    int t = config_setting_type(s);
    if (t != CONFIG_TYPE_ARRAY && t != CONFIG_TYPE_LIST)
        return config_error_at(err, file, s, full, "expected an array of names");
    *mask = calloc((size_t)n + 1, 1);
    if (!*mask)
        return config_error_at(err, file, s, full, "out of memory");
    for (int k = 0; k < config_setting_length(s); k++) {
        const char *name = config_setting_get_string_elem(s, k);
        int i = name ? index(p, name) : -1;
        if (i < 0)
            return config_error_at(err, file, s, full, "no %s named '%s'", key,
                        name ? name : "(not a string)");
        (*mask)[i] = 1;
    }
    return 0;
}

static int month_of(const char *file, const config_setting_t *m,
                    const char *key, const char *where, const model_params *p,
                    int *step, config_error *err)
{
    char text[32] = "", full[200];
    if (get_text(file, m, key, where, text, sizeof text, 0, err))
        return -1;
    if (!text[0])
        return 0;
    int y, mo;
    char extra;
    snprintf(full, sizeof full, "%s.%s", where, key);
    if (sscanf(text, "%d-%d%c", &y, &mo, &extra) != 2 || mo < 1 || mo > 12)
        return config_error_at(err, file, config_setting_get_member(m, key), full,
                    "expected a month \"YYYY-MM\"");
    *step = (y * 12 + mo) - (p->start_year * 12 + p->start_month);
    return 0;
}

/* change = "difference" | "relative"; before = { from; to; }: the earlier
 * window of a measure of change. */
static int load_change(const char *file, const config_setting_t *m,
                       const char *where, const model_params *p, measure *out,
                       config_error *err)
{
    char change[16] = "", full[200];
    config_setting_t *bf = config_setting_get_member(m, "before");
    if (get_text(file, m, "change", where, change, sizeof change, 0, err))
        return -1;
    out->change = CHANGE_NONE;
    if (!change[0] && !bf)
        return 0;
    snprintf(full, sizeof full, "%s.change", where);
    if (strcmp(change, "difference") == 0)
        out->change = CHANGE_DIFFERENCE;
    else if (strcmp(change, "relative") == 0)
        out->change = CHANGE_RELATIVE;
    else
        return config_error_at(err, file, change[0] ? config_setting_get_member(m, "change")
                                                    : bf, full,
                               "change is \"difference\" or \"relative\"%s%s%s",
                               change[0] ? ", not '" : " (before needs it)",
                               change, change[0] ? "'" : "");
    snprintf(full, sizeof full, "%s.before", where);
    if (!bf || config_setting_type(bf) != CONFIG_TYPE_GROUP)
        return config_error_at(err, file, bf ? bf : m, full,
                               "a measure of change needs before = { from = \"YYYY-MM\"; "
                               "to = \"YYYY-MM\"; }, the earlier window");
    for (int q = 0; q < config_setting_length(bf); q++) {
        const char *k = config_setting_name(config_setting_get_elem(bf, (unsigned)q));
        if (strcmp(k, "from") != 0 && strcmp(k, "to") != 0)
            return config_error_at(err, file, config_setting_get_elem(bf, (unsigned)q),
                                   full, "unknown key '%s' (from, to)", k);
    }
    out->from0 = out->to0 = -1;
    if (month_of(file, bf, "from", full, p, &out->from0, err) ||
        month_of(file, bf, "to", full, p, &out->to0, err))
        return -1;
    if (!config_setting_get_member(bf, "from") || !config_setting_get_member(bf, "to"))
        return config_error_at(err, file, bf, full, "needs both from and to");
    if (out->from0 > out->to0)
        return config_error_at(err, file, bf, full, "'from' is after 'to'");
    return 0;
}

static int load_measure(const char *file, const config_setting_t *m, int k,
                        int target, const model_params *p, measure *out,
                        config_error *err)
{
    char where[96];
    snprintf(where, sizeof where, "%s.[%d]", target ? "targets" : "measures", k);
    if (config_setting_type(m) != CONFIG_TYPE_GROUP)
        return config_error_at(err, file, m, where, "each entry is a group { ... }");
    for (int q = 0; q < config_setting_length(m); q++) {
        config_setting_t *s = config_setting_get_elem(m, (unsigned)q);
        if (!known(config_setting_name(s), measure_keys)) {
            char full[200];
            snprintf(full, sizeof full, "%s.%s", where, config_setting_name(s));
            return config_error_at(err, file, s, full, "unknown key");
        }
    }
    if (get_text(file, m, "name", where, out->name, sizeof out->name, 1, err))
        return -1;
    snprintf(where, sizeof where, "%s.%s", target ? "targets" : "measures",
             out->name);
    char reduce[16] = "sum";
    if (get_text(file, m, "label", where, out->label, sizeof out->label, 0, err) ||
        get_text(file, m, "figure", where, out->figure, sizeof out->figure, 0, err) ||
        get_text(file, m, "source", where, out->source, sizeof out->source, 0, err) ||
        get_text(file, m, "unit", where, out->unit, sizeof out->unit, 0, err) ||
        get_text(file, m, "reduce", where, reduce, sizeof reduce, 0, err))
        return -1;
    if (!out->label[0])
        snprintf(out->label, sizeof out->label, "%s", out->name);
    const char *reduces[] = {"sum", "mean", "first", "last"};
    out->reduce = (measure_reduce)-1;
    for (int r = 0; r < 4; r++)
        if (strcmp(reduce, reduces[r]) == 0)
            out->reduce = (measure_reduce)r;
    if ((int)out->reduce < 0)
        return config_error_at(err, file, config_setting_get_member(m, "reduce"), where,
                    "reduce is sum, mean, first or last, not '%s'", reduce);
    config_setting_t *vars = config_setting_get_member(m, "variables");
    char full[200];
    snprintf(full, sizeof full, "%s.variables", where);
    if (!vars || (config_setting_type(vars) != CONFIG_TYPE_ARRAY &&
                  config_setting_type(vars) != CONFIG_TYPE_LIST) ||
        config_setting_length(vars) < 1 ||
        config_setting_length(vars) > MEASURE_MAX_VARS)
        return config_error_at(err, file, vars ? vars : m, full,
                    "expected an array of 1 to %d variable names", MEASURE_MAX_VARS);
    for (int v = 0; v < config_setting_length(vars); v++) {
        const char *name = config_setting_get_string_elem(vars, v);
        out->sign[v] = name && name[0] == '-' ? -1.0 : 1.0;
        out->var[v] = name ? state_var_find(name + (name[0] == '-')) : NULL;
        if (!out->var[v])
            return config_error_at(err, file, vars, full, "no variable named '%s'",
                        name ? name : "(not a string)");
        out->n_vars = v + 1;
    }
    out->scale = 1.0;
    out->weight = 1.0;
    out->from = 0;
    out->to = p->g.months - 1;
    if (get_mask(file, m, "agents", where, p->n_agents, params_agent_index, p,
                 &out->agent, err) ||
        get_mask(file, m, "partners", where, p->n_agents, params_agent_index, p,
                 &out->partner, err) ||
        get_mask(file, m, "goods", where, p->n_goods, params_good_index, p,
                 &out->good, err) ||
        get_mask(file, m, "routes", where, p->n_routes, params_route_index, p,
                 &out->route, err) ||
        month_of(file, m, "from", where, p, &out->from, err) ||
        month_of(file, m, "to", where, p, &out->to, err) ||
        get_number(file, m, "scale", where, &out->scale, 0, err))
        return -1;
    if (out->scale == 0.0)
        return config_error_at(err, file, m, where, "scale must not be 0");
    if (out->from > out->to)
        return config_error_at(err, file, m, where, "'from' is after 'to'");
    if (load_change(file, m, where, p, out, err))
        return -1;
    if (!target)
        return 0;
    out->has_target = 1;
    if (get_number(file, m, "value", where, &out->value, 1, err) ||
        get_number(file, m, "weight", where, &out->weight, 0, err))
        return -1;
    config_setting_t *range = config_setting_get_member(m, "range");
    snprintf(full, sizeof full, "%s.range", where);
    if (!range || config_setting_length(range) != 2)
        return config_error_at(err, file, range ? range : m, full,
                    "expected range = [low, high]");
    out->lo = config_setting_get_float_elem(range, 0);
    out->hi = config_setting_get_float_elem(range, 1);
    if (config_setting_type(config_setting_get_elem(range, 0)) != CONFIG_TYPE_FLOAT ||
        config_setting_type(config_setting_get_elem(range, 1)) != CONFIG_TYPE_FLOAT)
        return config_error_at(err, file, range, full, "the bounds must be floats (e.g. 220.0)");
    if (!(out->lo < out->hi) || out->value < out->lo || out->value > out->hi)
        return config_error_at(err, file, range, full,
                    "need low < high with the value %g inside", out->value);
    if (out->weight < 0)
        return config_error_at(err, file, m, where, "weight must not be negative");
    return 0;
}

static int load_free(const char *file, const config_setting_t *f, int k,
                     const model_params *p, free_param *out, config_error *err)
{
    char where[200], why[300];
    snprintf(where, sizeof where, "free.[%d]", k);
    if (config_setting_type(f) != CONFIG_TYPE_GROUP)
        return config_error_at(err, file, f, where, "each entry is a group { path = \"...\"; }");
    if (get_text(file, f, "path", where, out->path, sizeof out->path, 1, err))
        return -1;
    snprintf(where, sizeof where, "free.%s", out->path);
    for (int q = 0; q < config_setting_length(f); q++) {
        const config_setting_t *s = config_setting_get_elem(f, (unsigned)q);
        const char *key = config_setting_name(s);
        if (strcmp(key, "path") != 0 && strcmp(key, "min") != 0 && strcmp(key, "max") != 0)
            return config_error_at(err, file, s, where, "unknown key '%s' (path, min, max)",
                                   key);
    }
    int bounded = config_setting_get_member(f, "min") || config_setting_get_member(f, "max");
    double lo = 0.0, hi = 0.0;
    if (bounded && (get_number(file, f, "min", where, &lo, 1, err) ||
                    get_number(file, f, "max", where, &hi, 1, err)))
        return -1;
    if (config_resolve_path(p, out->path, &out->ref, why, sizeof why))
        return config_error_at(err, file, f, where, "%s", why);
    const param_def *d = out->ref.def;
    if (d->type != PT_REAL)
        return config_error_at(err, file, f, where, "only real-valued parameters can be fitted");
    if (bounded && (!(lo < hi) || lo < d->min || hi > d->max))
        return config_error_at(err, file, f, where,
                               "need min < max within the parameter's bounds [%g, %g]",
                               d->min, d->max);
    const char *key = strrchr(out->path, '.') ? strrchr(out->path, '.') + 1 : out->path;
    const prior *pr = params_prior_of(p, out->ref);
    if (!pr && !bounded)
        return config_error_at(err, file, f, where,
                               "has no prior in the scenario: write %s_prior = \"...\" "
                               "next to its value (grammar in the README, Calibration), "
                               "or give min and max", key);
    if (pr) {
        out->pr = *pr;
        if (bounded && prior_truncate(&out->pr, lo, hi, why, sizeof why))
            return config_error_at(err, file, f, where, "the prior of %s within [%g, %g]: %s",
                                   key, lo, hi, why);
        if (bounded) { /* printed with the bounds of the fit */
            out->pr.truncated = 1;
            out->pr.wlo = out->pr.lo;
            out->pr.whi = out->pr.hi;
        }
    } else {
        /* no prior in the scenario: uniform between the bounds */
        char text[128];
        snprintf(text, sizeof text, "uniform(min=%.17g, max=%.17g)", lo, hi);
        if (prior_parse(text, &out->pr, why, sizeof why))
            return config_error_at(err, file, f, where, "%s", why);
    }
    return 0;
}

/* Do two references name the same parameter instance (a pair in either
 * order)? */
static int same_ref(param_ref a, param_ref b)
{
    return a.def == b.def && ((a.e1 == b.e1 && a.e2 == b.e2) ||
                              (a.def->scope == SCOPE_PAIR && a.e1 == b.e2 && a.e2 == b.e1));
}

static target_file *load(const char *path, const char *text,
                         const model_params *p, config_error *err);

target_file *targets_load(const char *path, const model_params *p,
                          config_error *err)
{
    return load(path, NULL, p, err);
}

target_file *targets_load_string(const char *text, const char *name,
                                 const model_params *p, config_error *err)
{
    return load(name, text, p, err);
}

static target_file *load(const char *path, const char *text,
                         const model_params *p, config_error *err)
{
    memset(err, 0, sizeof *err);
    config_t cfg;
    config_init(&cfg);
    target_file *t = calloc(1, sizeof *t);
    if (!t) {
        config_error_at(err, path, NULL, "", "out of memory");
        config_destroy(&cfg);
        return NULL;
    }
    if (config_read_other(&cfg, path, text, err))
        goto bad;
    config_setting_t *root = config_root_setting(&cfg);
    for (int k = 0; k < config_setting_length(root); k++) {
        config_setting_t *s = config_setting_get_elem(root, (unsigned)k);
        const char *name = config_setting_name(s);
        if (strcmp(name, "targets") != 0 && strcmp(name, "measures") != 0 &&
            strcmp(name, "free") != 0) {
            /* from an @include (a scenario given by mistake, say): name
             * the file the user gave, and where the key came from */
            const char *src = config_setting_source_file(s);
            if (src && !text && strcmp(src, path) != 0)
                config_error_at(err, path, NULL, name, "unknown key (targets, "
                                "measures, free), from %s line %d: is this a "
                                "targets file?", src, config_setting_source_line(s));
            else
                config_error_at(err, path, s, name,
                                "unknown key (targets, measures, free)");
            goto bad;
        }
        if (config_setting_type(s) != CONFIG_TYPE_LIST) {
            config_error_at(err, path, s, name, "expected a list ( ... )");
            goto bad;
        }
    }
    config_setting_t *tg = config_lookup(&cfg, "targets");
    config_setting_t *ms = config_lookup(&cfg, "measures");
    config_setting_t *fr = config_lookup(&cfg, "free");
    int nt = tg ? config_setting_length(tg) : 0;
    int nm = ms ? config_setting_length(ms) : 0;
    if (nt + nm == 0) {
        config_error_at(err, path, NULL, "", "no targets and no measures");
        goto bad;
    }
    t->ms = measure_set_alloc(nt + nm, p);
    t->n_free = fr ? config_setting_length(fr) : 0;
    t->free = calloc((size_t)t->n_free + 1, sizeof *t->free);
    if (!t->ms || !t->free) {
        config_error_at(err, path, NULL, "", "out of memory");
        goto bad;
    }
    for (int k = 0; k < nt + nm; k++) {
        const config_setting_t *m = k < nt ? config_setting_get_elem(tg, (unsigned)k)
                                           : config_setting_get_elem(ms, (unsigned)(k - nt));
        if (load_measure(path, m, k < nt ? k : k - nt, k < nt, p, &t->ms->m[k], err))
            goto bad;
        for (int q = 0; q < k; q++)
            if (strcmp(t->ms->m[q].name, t->ms->m[k].name) == 0) {
                config_error_at(err, path, m, t->ms->m[k].name, "two measures share this name");
                goto bad;
            }
    }
    for (int k = 0; k < t->n_free; k++) {
        const config_setting_t *f = config_setting_get_elem(fr, (unsigned)k);
        if (load_free(path, f, k, p, &t->free[k], err))
            goto bad;
        for (int q = 0; q < k; q++)
            if (same_ref(t->free[q].ref, t->free[k].ref)) {
                char where[200];
                snprintf(where, sizeof where, "free.%s", t->free[k].path);
                config_error_at(err, path, f, where, "listed twice in free%s%s%s",
                                strcmp(t->free[q].path, t->free[k].path) ? " (as " : "",
                                strcmp(t->free[q].path, t->free[k].path) ? t->free[q].path : "",
                                strcmp(t->free[q].path, t->free[k].path) ? " too)" : "");
                goto bad;
            }
    }
    config_destroy(&cfg);
    return t;
bad:
    config_destroy(&cfg);
    targets_free(t);
    return NULL;
}

void targets_free(target_file *t)
{
    if (!t)
        return;
    measure_set_free(t->ms);
    free(t->free);
    free(t);
}
