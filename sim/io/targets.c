/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * targets.c - measure files -> measure sets and free parameters.
 */
#include "targets.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "io/config/get.h"
#include "io/config/load.h"

static const char *const measure_keys[] = {
    "name", "label", "figure", "source", "variables", "agents", "partners",
    "goods", "routes", "from", "to", "reduce", "scale", "unit", "value",
    "range", "weight", "change", "before", NULL};

static int get_text(const config_setting_t *m, const char *key, const char *where,
                    char *dst, size_t len, int required, config_error *err)
{
    const char *v = NULL;
    if (cfg_get_string(m, key, where, len - 1, required, &v, err))
        return -1;
    if (v)
        snprintf(dst, len, "%s", v);
    return 0;
}

static int get_number(const config_setting_t *m, const char *key,
                      const char *where, double *dst, int required,
                      config_error *err)
{
    return cfg_get_real(m, key, where, -DBL_MAX, DBL_MAX, required, dst, err);
}

/* A mask over `n` names from an array of strings; NULL mask for "all". */
static int get_mask(const config_setting_t *m, const char *key,
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
        return config_error_at(err, NULL, s, full, "expected an array of names");
    *mask = calloc((size_t)n + 1, 1);
    if (!*mask) {
        config_error_at(err, NULL, s, full, "out of memory");
        err->resource = 1;
        return -1;
    }
    for (int k = 0; k < config_setting_length(s); k++) {
        const char *name = config_setting_get_string_elem(s, k);
        int i = name ? index(p, name) : -1;
        if (i < 0)
            return config_error_at(err, NULL, s, full, "no %s named '%.60s'", key,
                        name ? name : "(not a string)");
        (*mask)[i] = 1;
    }
    return 0;
}

static int month_of(const config_setting_t *m, const char *key, const char *where,
                    const model_params *p, int *step, config_error *err)
{
    char full[200];
    snprintf(full, sizeof full, "%s.%s", where, key);
    const config_setting_t *s = cfg_get(m, key);
    int ym;
    if (!s)
        return 0;
    if (cfg_month(s, full, &ym, err))
        return -1;
    *step = ym - (p->start_year * 12 + p->start_month - 1);
    return 0;
}

/* change = "difference" | "relative"; before = { from; to; }: the earlier
 * window of a measure of change. */
static int load_change(const config_setting_t *m, const char *where,
                       const model_params *p, measure *out, config_error *err)
{
    char change[16] = "", full[200];
    config_setting_t *bf = config_setting_get_member(m, "before");
    if (get_text(m, "change", where, change, sizeof change, 0, err))
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
        return config_error_at(err, NULL, change[0] ? config_setting_get_member(m, "change")
                                                    : bf, full,
                               "change is \"difference\" or \"relative\"%s%s%s",
                               change[0] ? ", not '" : " (before needs it)",
                               change, change[0] ? "'" : "");
    snprintf(full, sizeof full, "%s.before", where);
    if (!bf || config_setting_type(bf) != CONFIG_TYPE_GROUP)
        return config_error_at(err, NULL, bf ? bf : m, full,
                               "a measure of change needs before = { from = \"YYYY-MM\"; "
                               "to = \"YYYY-MM\"; }, the earlier window");
    static const char *const before_keys[] = {"from", "to", NULL};
    if (cfg_known(bf, before_keys, full, err))
        return -1;
    out->from0 = out->to0 = -1;
    if (month_of(bf, "from", full, p, &out->from0, err) ||
        month_of(bf, "to", full, p, &out->to0, err))
        return -1;
    if (!config_setting_get_member(bf, "from") || !config_setting_get_member(bf, "to"))
        return config_error_at(err, NULL, bf, full, "needs both from and to");
    if (out->from0 > out->to0)
        return config_error_at(err, NULL, bf, full, "'from' is after 'to'");
    return 0;
}

static int load_measure(const config_setting_t *m, int k,
                        int target, const model_params *p, measure *out,
                        config_error *err)
{
    char where[96];
    snprintf(where, sizeof where, "%s.[%d]", target ? "targets" : "measures", k);
    if (config_setting_type(m) != CONFIG_TYPE_GROUP)
        return config_error_at(err, NULL, m, where, "each entry is a group { ... }");
    if (cfg_known(m, measure_keys, where, err))
        return -1;
    if (get_text(m, "name", where, out->name, sizeof out->name, 1, err))
        return -1;
    snprintf(where, sizeof where, "%s.%s", target ? "targets" : "measures",
             out->name);
    char reduce[16] = "sum";
    if (get_text(m, "label", where, out->label, sizeof out->label, 0, err) ||
        get_text(m, "figure", where, out->figure, sizeof out->figure, 0, err) ||
        get_text(m, "source", where, out->source, sizeof out->source, 0, err) ||
        get_text(m, "unit", where, out->unit, sizeof out->unit, 0, err) ||
        get_text(m, "reduce", where, reduce, sizeof reduce, 0, err))
        return -1;
    if (!out->label[0])
        snprintf(out->label, sizeof out->label, "%s", out->name);
    const char *reduces[] = {"sum", "mean", "first", "last"};
    out->reduce = (measure_reduce)-1;
    for (int r = 0; r < 4; r++)
        if (strcmp(reduce, reduces[r]) == 0)
            out->reduce = (measure_reduce)r;
    if ((int)out->reduce < 0)
        return config_error_at(err, NULL, config_setting_get_member(m, "reduce"), where,
                    "reduce is sum, mean, first or last, not '%s'", reduce);
    config_setting_t *vars = config_setting_get_member(m, "variables");
    char full[200];
    snprintf(full, sizeof full, "%s.variables", where);
    if (!vars || (config_setting_type(vars) != CONFIG_TYPE_ARRAY &&
                  config_setting_type(vars) != CONFIG_TYPE_LIST) ||
        config_setting_length(vars) < 1 ||
        config_setting_length(vars) > MEASURE_MAX_VARS)
        return config_error_at(err, NULL, vars ? vars : m, full,
                    "expected an array of 1 to %d variable names", MEASURE_MAX_VARS);
    for (int v = 0; v < config_setting_length(vars); v++) {
        const char *name = config_setting_get_string_elem(vars, v);
        out->sign[v] = name && name[0] == '-' ? -1.0 : 1.0;
        out->var[v] = name ? state_var_find(name + (name[0] == '-')) : NULL;
        if (!out->var[v])
            return config_error_at(err, NULL, vars, full, "no variable named '%s'",
                        name ? name : "(not a string)");
        out->n_vars = v + 1;
    }
    out->scale = 1.0;
    out->weight = 1.0;
    out->from = 0;
    out->to = p->g.months - 1;
    if (get_mask(m, "agents", where, p->n_agents, params_agent_index, p,
                 &out->agent, err) ||
        get_mask(m, "partners", where, p->n_agents, params_agent_index, p,
                 &out->partner, err) ||
        get_mask(m, "goods", where, p->n_goods, params_good_index, p,
                 &out->good, err) ||
        get_mask(m, "routes", where, p->n_routes, params_route_index, p,
                 &out->route, err) ||
        month_of(m, "from", where, p, &out->from, err) ||
        month_of(m, "to", where, p, &out->to, err) ||
        get_number(m, "scale", where, &out->scale, 0, err))
        return -1;
    if (out->scale == 0.0)
        return config_error_at(err, NULL, m, where, "scale must not be 0");
    if (out->from > out->to)
        return config_error_at(err, NULL, m, where, "'from' is after 'to'");
    if (load_change(m, where, p, out, err))
        return -1;
    if (!target)
        return 0;
    out->has_target = 1;
    if (get_number(m, "value", where, &out->value, 1, err) ||
        get_number(m, "weight", where, &out->weight, 0, err))
        return -1;
    const config_setting_t *range = cfg_get(m, "range");
    snprintf(full, sizeof full, "%s.range", where);
    int rt = range ? config_setting_type(range) : CONFIG_TYPE_NONE;
    if (!range || (rt != CONFIG_TYPE_ARRAY && rt != CONFIG_TYPE_LIST) ||
        config_setting_length(range) != 2)
        return config_error_at(err, NULL, range ? range : m, full,
                    "expected range = [low, high]");
    if (cfg_real(config_setting_get_elem(range, 0), full, -DBL_MAX, DBL_MAX, &out->lo, err) ||
        cfg_real(config_setting_get_elem(range, 1), full, -DBL_MAX, DBL_MAX, &out->hi, err))
        return -1;
    if (!(out->lo < out->hi) || out->value < out->lo || out->value > out->hi)
        return config_error_at(err, NULL, range, full,
                    "need low < high with the value %g inside", out->value);
    if (out->weight < 0)
        return config_error_at(err, NULL, m, where, "weight must not be negative");
    return 0;
}

static int load_free(const config_setting_t *f, int k,
                     const model_params *p, free_param *out, config_error *err)
{
    char where[200], why[300];
    snprintf(where, sizeof where, "free.[%d]", k);
    if (config_setting_type(f) != CONFIG_TYPE_GROUP)
        return config_error_at(err, NULL, f, where,
                               "each entry is a group { path = \"...\"; }");
    static const char *const free_keys[] = {"path", "min", "max", NULL};
    if (cfg_known(f, free_keys, where, err) ||
        get_text(f, "path", where, out->path, sizeof out->path, 1, err))
        return -1;
    snprintf(where, sizeof where, "free.%s", out->path);
    int bounded = config_setting_get_member(f, "min") || config_setting_get_member(f, "max");
    double lo = 0.0, hi = 0.0;
    if (bounded && (get_number(f, "min", where, &lo, 1, err) ||
                    get_number(f, "max", where, &hi, 1, err)))
        return -1;
    if (config_resolve_path(p, out->path, &out->ref, why, sizeof why))
        return config_error_at(err, NULL, f, where, "%s", why);
    const param_def *d = out->ref.def;
    if (d->type != PT_REAL)
        return config_error_at(err, NULL, f, where, "only real-valued parameters can be fitted");
    if (bounded && (!(lo < hi) || lo < d->min || hi > d->max))
        return config_error_at(err, NULL, f, where,
                               "need min < max within the parameter's bounds [%g, %g]",
                               d->min, d->max);
    const char *key = strrchr(out->path, '.') ? strrchr(out->path, '.') + 1 : out->path;
    const prior *pr = params_prior_of(p, out->ref);
    if (!pr && !bounded)
        return config_error_at(err, NULL, f, where,
                               "has no prior in the scenario: write %s_prior = \"...\" "
                               "next to its value (grammar in the README, Calibration), "
                               "or give min and max", key);
    if (pr) {
        out->pr = *pr;
        if (bounded && prior_truncate(&out->pr, lo, hi, why, sizeof why))
            return config_error_at(err, NULL, f, where, "the prior of %s within [%g, %g]: %s",
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
            return config_error_at(err, NULL, f, where, "%s", why);
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
    target_file *t = calloc(1, sizeof *t);
    if (!t) {
        config_error_at(err, path, NULL, "", "out of memory");
        err->resource = 1;
        return NULL;
    }
    cfg_doc *doc = text ? cfg_read_text(text, strlen(text), path, err)
                        : cfg_read_file(path, NULL, err);
    if (!doc)
        goto bad;
    const config_setting_t *root = cfg_root(doc);
    for (int k = 0; k < config_setting_length(root); k++) {
        const config_setting_t *s = config_setting_get_elem(root, (unsigned)k);
        const char *name = config_setting_name(s);
        if (strcmp(name, "targets") != 0 && strcmp(name, "measures") != 0 &&
            strcmp(name, "free") != 0) {
            /* from an @include (a scenario given by mistake, say): name
             * the file the user gave, and where the key came from */
            int line = 0;
            const char *src = cfg_where(s, &line);
            if (src && strcmp(src, path) != 0)
                config_error_at(err, path, NULL, name, "unknown key (targets, "
                                "measures, free), from %s line %d: is this a "
                                "targets file?", src, line);
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
    const config_setting_t *tg = cfg_get(root, "targets");
    const config_setting_t *ms = cfg_get(root, "measures");
    const config_setting_t *fr = cfg_get(root, "free");
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
        err->resource = 1;
        goto bad;
    }
    for (int k = 0; k < nt + nm; k++) {
        const config_setting_t *m = k < nt ? config_setting_get_elem(tg, (unsigned)k)
                                           : config_setting_get_elem(ms, (unsigned)(k - nt));
        if (load_measure(m, k < nt ? k : k - nt, k < nt, p, &t->ms->m[k], err))
            goto bad;
        for (int q = 0; q < k; q++)
            if (strcmp(t->ms->m[q].name, t->ms->m[k].name) == 0) {
                config_error_at(err, path, m, t->ms->m[k].name, "two measures share this name");
                goto bad;
            }
    }
    for (int k = 0; k < t->n_free; k++) {
        const config_setting_t *f = config_setting_get_elem(fr, (unsigned)k);
        if (load_free(f, k, p, &t->free[k], err))
            goto bad;
        for (int q = 0; q < k; q++)
            if (same_ref(t->free[q].ref, t->free[k].ref)) {
                char where[200];
                snprintf(where, sizeof where, "free.%s", t->free[k].path);
                config_error_at(err, NULL, f, where, "listed twice in free%s%s%s",
                                strcmp(t->free[q].path, t->free[k].path) ? " (as " : "",
                                strcmp(t->free[q].path, t->free[k].path) ? t->free[q].path : "",
                                strcmp(t->free[q].path, t->free[k].path) ? " too)" : "");
                goto bad;
            }
    }
    cfg_free(doc);
    return t;
bad:
    cfg_free(doc);
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
