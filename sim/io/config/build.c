/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * build.c - a scenario's libconfig tree -> validated model_params, driven
 * by param_table[]; the public entry points of io/config.h that load.
 *
 * Every group of the scenario is read through the table: a key is known
 * when the table has a row for it in that scope (key_known() is the one
 * place that says so), its type and bounds come from the row, and a row
 * whose default comes from another parameter (def_from) is filled after
 * the values given.  New rows need no code here.
 */
#include "io/config/scenario.h"

#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "io/result/output.h"
#include "io/priors.h"
#include "model/model.h"

#define MAX_AGENTS 512
#define MAX_GOODS 64
#define MAX_ROUTES 4096
#define MAX_EVENTS 100000

static const char *const global_groups[] = {
    "scenario", "output", "trade", "world", "relations", "settlement",
    "suppliers", "oil", "routing", "sanctions", "membership", NULL};
static const char *const element_groups[] = {
    "goods", "agents", "pairs", "routes", "events", "variant", "calibrated", NULL};
/* variant = { name; question; set = ["path=value", ...]; events = (...); }
 * calibrated = { command; date; set = [...]; note; }  (sim calibrate) */
static const char *const variant_keys[] = {"name", "question", "set", "events",
                                           NULL};
static const char *const calibrated_keys[] = {"command", "date", "set", "note",
                                              NULL};

/* ---- small helpers shared by the module -------------------------------------- */

const char *config_ptype_name(param_type t)
{
    switch (t) {
    case PT_REAL: return "a number";
    case PT_INT: return "an integer";
    case PT_BOOL: return "true or false";
    case PT_STRING:
    case PT_CHOICE: return "a string";
    }
    return "?";
}

int config_check_number(const param_def *d, double v, char *why, size_t len)
{
    if (!isfinite(v)) {
        snprintf(why, len, "must be a finite number");
        return -1;
    }
    if (d->type == PT_BOOL)
        return 0;
    if (v < d->min || v > d->max) {
        char a[32], b[32], c[32];
        snprintf(why, len, "must be between %s and %s (got %s)",
                 cfg_num(d->min, a, sizeof a), cfg_num(d->max, b, sizeof b),
                 cfg_num(v, c, sizeof c));
        return -1;
    }
    return 0;
}

int config_choice_index(const char *choices, const char *s)
{
    int idx = 0;
    size_t n = strlen(s);
    for (const char *c = choices; *c; idx++) {
        const char *bar = strchr(c, '|');
        size_t len = bar ? (size_t)(bar - c) : strlen(c);
        if (len == n && strncmp(c, s, n) == 0)
            return idx;
        if (!bar)
            break;
        c = bar + 1;
    }
    return -1;
}

const char *config_choice_name(const char *choices, int idx, char *buf,
                               size_t len)
{
    const char *c = choices;
    for (int k = 0; k < idx && c; k++) {
        c = strchr(c, '|');
        if (c)
            c++;
    }
    if (!c)
        return "";
    const char *bar = strchr(c, '|');
    size_t n = bar ? (size_t)(bar - c) : strlen(c);
    snprintf(buf, len, "%.*s", (int)n, c);
    return buf;
}

int config_valid_name(const char *name, int allow_underscore)
{
    if (!isalpha((unsigned char)name[0]) || strlen(name) >= PARAM_NAME_MAX)
        return 0;
    for (const char *q = name; *q; q++)
        if (!isalnum((unsigned char)*q) && !(allow_underscore && *q == '_'))
            return 0;
    return 1;
}

int config_split_pair(const model_params *p, const char *name, int *i, int *j)
{
    const char *us = strchr(name, '_');
    if (!us || us == name || strchr(us + 1, '_'))
        return -1;
    char a[PARAM_NAME_MAX];
    size_t n = (size_t)(us - name);
    if (n >= sizeof a)
        return -1;
    memcpy(a, name, n);
    a[n] = '\0';
    *i = params_agent_index(p, a);
    *j = params_agent_index(p, us + 1);
    return (*i < 0 || *j < 0) ? -2 : 0;
}

/* ---- instances given and derived ------------------------------------------------ */

static size_t row_of(const param_def *d) { return (size_t)(d - param_table); }

static long instance(const model_params *p, param_ref r)
{
    int n1, n2;
    param_extent(p, r.def->scope, &n1, &n2);
    int e1 = r.def->scope == SCOPE_GLOBAL ? 0 : r.e1;
    int e2 = n2 == 1 ? 0 : r.e2;
    if (e1 < 0 || e1 >= n1 || e2 < 0 || e2 >= n2)
        return -1;
    return (long)e1 * n2 + e2;
}

int config_is_given(const sim_config *c, param_ref r)
{
    const unsigned char *g = c->given ? c->given[row_of(r.def)] : NULL;
    long at = g ? instance(c->p, r) : -1;
    return at >= 0 && g[at];
}

void config_mark_given(sim_config *c, param_ref r)
{
    unsigned char *g = c->given ? c->given[row_of(r.def)] : NULL;
    long at = g ? instance(c->p, r) : -1;
    if (at < 0)
        return;
    g[at] = 1;
    if (r.def->scope == SCOPE_PAIR) { /* symmetric */
        param_ref t = {r.def, r.e2, r.e1};
        long back = instance(c->p, t);
        if (back >= 0)
            g[back] = 1;
    }
}

/* Does def_from name a parameter of the same element ("pairs.affinity"
 * for a pair row) rather than a global one ("relations.eta")? */
static const param_def *source_of(const param_def *d, int *same)
{
    static const char *const elements[] = {"goods", "agents", "pairs", "routes", NULL};
    const char *dot = strchr(d->def_from, '.');
    if (!dot)
        return NULL;
    size_t n = (size_t)(dot - d->def_from);
    for (int k = 0; elements[k]; k++)
        if (strlen(elements[k]) == n && strncmp(d->def_from, elements[k], n) == 0) {
            *same = 1;
            return param_find(d->scope, NULL, dot + 1);
        }
    char group[64];
    snprintf(group, sizeof group, "%.*s", (int)n, d->def_from);
    *same = 0;
    return param_find(SCOPE_GLOBAL, group, dot + 1);
}

void config_derive(const sim_config *c, model_params *p, const param_ref *also)
{
    /* pass 0: from global parameters; passes 1, 2: from the element's own
     * (which may themselves be derived) */
    for (int pass = 0; pass < 3; pass++)
        for (size_t k = 0; k < param_table_len; k++) {
            const param_def *d = &param_table[k];
            int same = 0;
            const param_def *src = d->def_from ? source_of(d, &same) : NULL;
            if (!src || same != (pass > 0))
                continue;
            int n1, n2;
            param_extent(p, d->scope, &n1, &n2);
            for (int a = 0; a < n1; a++)
                for (int b = 0; b < n2; b++) {
                    param_ref r = {d, a, b};
                    if (config_is_given(c, r))
                        continue;
                    if (also && also->def == d &&
                        ((also->e1 == a && also->e2 == b) ||
                         (d->scope == SCOPE_PAIR && also->e1 == b && also->e2 == a)))
                        continue;
                    param_ref from = same ? (param_ref){src, a, b} : (param_ref){src, 0, 0};
                    param_set(p, r, param_get(p, from));
                }
        }
}

/* ---- the checks that span parameters ------------------------------------------ */

/* Why name cannot be a plain file name (letters, digits, '_', '-', '.',
 * '+', not starting with '.' or '-'), or NULL. */
static const char *file_name_problem(const char *name)
{
    if (!name[0])
        return "is empty";
    if (name[0] == '.' || name[0] == '-')
        return "must not start with '.' or '-'";
    for (const char *q = name; *q; q++)
        if (!isalnum((unsigned char)*q) && !strchr("_-.+", *q))
            return "may hold only letters, digits and _ - . +";
    return NULL;
}

int config_check_world(model_params *p, const int *event_ym, char *key,
                       size_t klen, char *why, size_t wlen)
{
    key[0] = '\0';
    char reason[512];
    if (params_resolve(p, reason, sizeof reason)) {
        const char *colon = strstr(reason, ": ");
        if (colon)
            snprintf(key, klen, "%.*s", (int)(colon - reason), reason);
        snprintf(why, wlen, "%s", colon ? colon + 2 : reason);
        return -1;
    }
    for (int r = 0; r < p->n_routes; r++) {
        int same = 0;
        for (int q = 0; q < r; q++)
            same += (p->routes[q].ia == p->routes[r].ia && p->routes[q].ib == p->routes[r].ib) ||
                    (p->routes[q].ia == p->routes[r].ib && p->routes[q].ib == p->routes[r].ia);
        if (same >= MODEL_MAX_PAIR_ROUTES) {
            snprintf(key, klen, "routes.%s", p->routes[r].name);
            snprintf(why, wlen, "more than %d routes between %s and %s",
                     MODEL_MAX_PAIR_ROUTES, p->routes[r].a, p->routes[r].b);
            return -1;
        }
    }
    for (int i = 0; i < p->n_agents; i++)
        for (int j = i + 1; j < p->n_agents; j++)
            if (p->agents[i].lat == p->agents[j].lat &&
                p->agents[i].lon == p->agents[j].lon) {
                snprintf(key, klen, "agents.%s", p->agents[j].code);
                snprintf(why, wlen, "has the same coordinates as agents.%s "
                         "(distance 0 breaks the gravity equation)",
                         p->agents[i].code);
                return -1;
            }
    const char *bad = file_name_problem(p->g.name);
    if (bad) {
        snprintf(key, klen, "scenario.name");
        snprintf(why, wlen, "'%s' %s (it names the default result file)",
                 p->g.name, bad);
        return -1;
    }
    if (!event_ym)
        return 0;
    int start = p->start_year * 12 + p->start_month - 1;
    for (int e = 0; e < p->n_events; e++) {
        event_spec *ev = &p->events[e];
        if (event_ym[e] >= 0) {
            ev->month = event_ym[e] - start;
            if (ev->month < 0) {
                config_event_key(p, e, key, klen);
                snprintf(key + strlen(key), klen - strlen(key), ".date");
                snprintf(why, wlen, "%04d-%02d is before the start %s",
                         event_ym[e] / 12, event_ym[e] % 12 + 1, p->g.start);
                return -1;
            }
        }
        if (config_event_problem(p, ev, why, wlen)) {
            config_event_key(p, e, key, klen);
            return -1;
        }
    }
    return 0;
}

/* ---- reading the tree ------------------------------------------------------------- */

typedef struct {
    sim_config *c;
    model_params *p;
    config_error *err;
} build_ctx;

static int check_group(build_ctx *b, const config_setting_t *s, const char *path)
{
    if (config_setting_type(s) != CONFIG_TYPE_GROUP)
        return config_error_at(b->err, b->c->name, s, path,
                               "wrong type: expected a group { ... }, got %s",
                               cfg_type_name(config_setting_type(s)));
    return 0;
}

/* Read one setting into parameter instance r, checking type and bounds. */
static int read_param(build_ctx *b, const config_setting_t *s, param_ref r,
                      const char *path)
{
    const param_def *d = r.def;
    void *dst = param_addr(b->p, r);
    switch (d->type) {
    case PT_INT: {
        long long v;
        long long lo = (long long)ceil(d->min), hi = (long long)floor(d->max);
        if (lo < INT_MIN)
            lo = INT_MIN;
        if (hi > INT_MAX)
            hi = INT_MAX;
        if (cfg_int(s, path, lo, hi, &v, b->err))
            return -1;
        *(int *)dst = (int)v;
        break;
    }
    case PT_REAL:
        if (cfg_real(s, path, d->min, d->max, (double *)dst, b->err))
            return -1;
        break;
    case PT_BOOL: {
        int v;
        if (cfg_bool(s, path, &v, b->err))
            return -1;
        *(double *)dst = v ? 1.0 : 0.0;
        break;
    }
    case PT_STRING:
    case PT_CHOICE: {
        const char *v;
        if (cfg_string(s, path, d->type == PT_STRING ? PARAM_NAME_MAX - 1 : 0, &v,
                       b->err))
            return -1;
        if (d->type == PT_CHOICE) {
            int idx = config_choice_index(d->choices, v);
            if (idx < 0)
                return config_error_at(b->err, b->c->name, s, path,
                                       "'%s' is not one of %s", v, d->choices);
            *(int *)dst = idx;
        } else {
            memcpy(dst, v, strlen(v) + 1);
        }
        break;
    }
    }
    config_mark_given(b->c, r);
    return 0;
}

/* The one rule for the members of a scenario group of scope `scope`: is
 * `key` known there?  A <key>_prior next to a value is (read and checked
 * by priors_read, io/priors.c). */
static int key_known(param_scope scope, const char *group, const char *key)
{
    if (priors_is_key(key))
        return 1;
    switch (scope) {
    case SCOPE_GLOBAL:
        if (strcmp(group, "output") == 0 && strcmp(key, "variables") == 0)
            return 1;
        return param_find(SCOPE_GLOBAL, group, key) != NULL;
    case SCOPE_AGENT:
        return param_find(SCOPE_AGENT, NULL, key) || param_find(SCOPE_AGENT_GOOD, NULL, key) ||
               param_find(SCOPE_AGENT_AGENT, NULL, key);
    case SCOPE_ROUTE:
        return param_find(SCOPE_ROUTE, NULL, key) || param_find(SCOPE_ROUTE_GOOD, NULL, key);
    default:
        return param_find(scope, NULL, key) != NULL;
    }
}

static int check_members(build_ctx *b, const config_setting_t *s,
                         param_scope scope, const char *group, const char *prefix)
{
    for (int k = 0; k < config_setting_length(s); k++) {
        const config_setting_t *m = config_setting_get_elem(s, (unsigned)k);
        const char *key = config_setting_name(m);
        if (!key_known(scope, group, key)) {
            char path[300];
            snprintf(path, sizeof path, "%s.%s", prefix, key);
            return config_error_at(b->err, b->c->name, m, path, "unknown key");
        }
    }
    return 0;
}

/* Read every key of scope `scope` (group `group` for globals) from group s
 * into element e1; s may be NULL (an absent group). */
static int read_scalars(build_ctx *b, const config_setting_t *s,
                        param_scope scope, const char *group, int e1,
                        const char *prefix)
{
    char path[300];
    for (size_t k = 0; k < param_table_len; k++) {
        const param_def *d = &param_table[k];
        if (d->scope != scope ||
            (scope == SCOPE_GLOBAL && strcmp(d->group, group) != 0))
            continue;
        snprintf(path, sizeof path, "%s.%s", prefix, d->key);
        const config_setting_t *v = s ? config_setting_get_member(s, d->key) : NULL;
        if (!v) {
            if (d->required)
                return s ? config_error_at(b->err, b->c->name, s, path,
                                           "missing required key")
                         : config_error_at(b->err, b->c->name, NULL, path,
                                           "missing required key (no group '%s')",
                                           prefix);
            continue;
        }
        if (read_param(b, v, (param_ref){d, e1, 0}, path))
            return -1;
    }
    return 0;
}

/* <prefix>.<key>.<x> for the two-index rows of `scope` (x a good or an
 * agent, as the scope says) of element e1, from group s. */
static int read_keyed(build_ctx *b, const config_setting_t *s, param_scope scope,
                      int e1, const char *prefix)
{
    for (size_t k = 0; k < param_table_len; k++) {
        const param_def *d = &param_table[k];
        if (d->scope != scope)
            continue;
        const config_setting_t *grp = config_setting_get_member(s, d->key);
        if (!grp)
            continue;
        char path[400];
        snprintf(path, sizeof path, "%s.%s", prefix, d->key);
        if (check_group(b, grp, path))
            return -1;
        for (int q = 0; q < config_setting_length(grp); q++) {
            const config_setting_t *m = config_setting_get_elem(grp, (unsigned)q);
            const char *x = config_setting_name(m);
            if (priors_is_key(x)) /* its prior: priors_read */
                continue;
            int agent = scope == SCOPE_AGENT_AGENT;
            int j = agent ? params_agent_index(b->p, x) : params_good_index(b->p, x);
            char full[500];
            snprintf(full, sizeof full, "%s.%s", path, x);
            if (j < 0)
                return config_error_at(b->err, b->c->name, m, full, "no %s named '%s'",
                                       agent ? "agent" : "good", x);
            if (read_param(b, m, (param_ref){d, e1, j}, full))
                return -1;
        }
    }
    return 0;
}

static int build_globals(build_ctx *b, const config_setting_t *root)
{
    for (int k = 0; global_groups[k]; k++) {
        const char *grp = global_groups[k];
        const config_setting_t *s = config_setting_get_member(root, grp);
        if (s && (check_group(b, s, grp) ||
                  check_members(b, s, SCOPE_GLOBAL, grp, grp)))
            return -1;
        if (read_scalars(b, s, SCOPE_GLOBAL, grp, 0, grp))
            return -1;
    }
    const config_setting_t *vars = cfg_get(cfg_get(root, "output"), "variables");
    if (!vars)
        return 0;
    int t = config_setting_type(vars);
    if (t != CONFIG_TYPE_ARRAY && t != CONFIG_TYPE_LIST)
        return config_error_at(b->err, b->c->name, vars, "output.variables",
                               "wrong type: expected an array of names, got %s",
                               cfg_type_name(t));
    int n = config_setting_length(vars);
    b->c->vars = calloc((size_t)n + 1, sizeof *b->c->vars);
    if (!b->c->vars)
        goto oom;
    for (int k = 0; k < n; k++) {
        const char *v = config_setting_get_string_elem(vars, k);
        if (!v)
            return config_error_at(b->err, b->c->name, vars, "output.variables",
                                   "element %d is not a string", k);
        if (!output_var_known(v))
            return config_error_at(b->err, b->c->name, vars, "output.variables",
                                   "no variable named '%.60s'", v);
        if (!(b->c->vars[k] = strdup(v)))
            goto oom;
        b->c->n_vars = k + 1;
    }
    return 0;
oom:
    config_error_at(b->err, b->c->name, NULL, "", "out of memory");
    b->err->resource = 1;
    return -1;
}

static int build_goods(build_ctx *b, const config_setting_t *goods)
{
    char prefix[300];
    for (int k = 0; k < b->p->n_goods; k++) {
        const config_setting_t *s = config_setting_get_elem(goods, (unsigned)k);
        const char *name = config_setting_name(s);
        snprintf(prefix, sizeof prefix, "goods.%s", name);
        if (!config_valid_name(name, 1))
            return config_error_at(b->err, b->c->name, s, prefix,
                                   "a good's name must be a letter followed by "
                                   "letters, digits or '_' (at most %d)",
                                   PARAM_NAME_MAX - 1);
        snprintf(b->p->goods[k].name, PARAM_NAME_MAX, "%s", name);
        if (check_group(b, s, prefix) ||
            check_members(b, s, SCOPE_GOOD, NULL, prefix) ||
            read_scalars(b, s, SCOPE_GOOD, NULL, k, prefix))
            return -1;
    }
    return 0;
}

static int build_agents(build_ctx *b, const config_setting_t *agents)
{
    char prefix[300];
    for (int i = 0; i < b->p->n_agents; i++) {
        const config_setting_t *s = config_setting_get_elem(agents, (unsigned)i);
        snprintf(prefix, sizeof prefix, "agents.%s", config_setting_name(s));
        if (check_group(b, s, prefix) ||
            check_members(b, s, SCOPE_AGENT, NULL, prefix) ||
            read_scalars(b, s, SCOPE_AGENT, NULL, i, prefix) ||
            read_keyed(b, s, SCOPE_AGENT_GOOD, i, prefix) ||
            read_keyed(b, s, SCOPE_AGENT_AGENT, i, prefix))
            return -1;
    }
    return 0;
}

static int build_pairs(build_ctx *b, const config_setting_t *pairs)
{
    model_params *p = b->p;
    int n = p->n_agents;
    unsigned char *listed = calloc((size_t)n * n + 1, 1);
    if (!listed) {
        config_error_at(b->err, b->c->name, NULL, "", "out of memory");
        b->err->resource = 1;
        return -1;
    }
    int np = pairs ? config_setting_length(pairs) : 0, rc = 0;
    for (int q = 0; rc == 0 && q < np; q++) {
        const config_setting_t *s = config_setting_get_elem(pairs, (unsigned)q);
        const char *name = config_setting_name(s);
        char prefix[300];
        snprintf(prefix, sizeof prefix, "pairs.%s", name);
        int i = 0, j = 0, split = config_split_pair(p, name, &i, &j);
        if (split == -1)
            rc = config_error_at(b->err, b->c->name, s, prefix,
                                 "a pair is named <AGENT>_<AGENT>, e.g. CHN_RUS");
        else if (split == -2)
            rc = config_error_at(b->err, b->c->name, s, prefix, "names an unknown agent");
        else if (i == j)
            rc = config_error_at(b->err, b->c->name, s, prefix,
                                 "pairs an agent with itself");
        else if (listed[i * n + j])
            rc = config_error_at(b->err, b->c->name, s, prefix,
                                 "duplicate pair (given as both %s_%s and %s_%s)",
                                 p->agents[i].code, p->agents[j].code,
                                 p->agents[j].code, p->agents[i].code);
        if (rc)
            break;
        listed[i * n + j] = listed[j * n + i] = 1;
        if (check_group(b, s, prefix) || check_members(b, s, SCOPE_PAIR, NULL, prefix)) {
            rc = -1;
            break;
        }
        for (size_t k = 0; rc == 0 && k < param_table_len; k++) {
            const param_def *d = &param_table[k];
            const config_setting_t *v = d->scope == SCOPE_PAIR
                                            ? config_setting_get_member(s, d->key)
                                            : NULL;
            if (!v)
                continue;
            char path[400];
            param_ref r = {d, i, j};
            snprintf(path, sizeof path, "%s.%s", prefix, d->key);
            if (read_param(b, v, r, path)) {
                rc = -1;
                break;
            }
            param_set(p, r, param_get(p, r)); /* both orders */
        }
    }
    free(listed);
    return rc;
}

static int build_routes(build_ctx *b, const config_setting_t *routes)
{
    model_params *p = b->p;
    for (int r = 0; r < p->n_routes; r++) {
        const config_setting_t *s = config_setting_get_elem(routes, (unsigned)r);
        const char *name = config_setting_name(s);
        char prefix[300];
        snprintf(prefix, sizeof prefix, "routes.%s", name);
        if (!config_valid_name(name, 1))
            return config_error_at(b->err, b->c->name, s, prefix,
                                   "a route's name must be a letter followed by "
                                   "letters, digits or '_'");
        snprintf(p->routes[r].name, PARAM_NAME_MAX, "%s", name);
        if (check_group(b, s, prefix) ||
            check_members(b, s, SCOPE_ROUTE, NULL, prefix) ||
            read_scalars(b, s, SCOPE_ROUTE, NULL, r, prefix) ||
            read_keyed(b, s, SCOPE_ROUTE_GOOD, r, prefix))
            return -1;
    }
    return 0;
}

/* A group or list of the root: its length (at most max), 0 when absent
 * and optional, -1 after an error. */
static int count_group(build_ctx *b, const config_setting_t *root, const char *name,
                       int required, int max, const config_setting_t **out, int list)
{
    const config_setting_t *s = config_setting_get_member(root, name);
    *out = s;
    if (!s) {
        if (required)
            return config_error_at(b->err, b->c->name, NULL, name,
                                   "missing required group (at least one entry)");
        return 0;
    }
    int t = config_setting_type(s);
    if (list ? (t != CONFIG_TYPE_LIST) : (t != CONFIG_TYPE_GROUP))
        return config_error_at(b->err, b->c->name, s, name,
                               "wrong type: expected %s, got %s",
                               list ? "a list ( ... )" : "a group { ... }",
                               cfg_type_name(t));
    int n = config_setting_length(s);
    if (required && n == 0)
        return config_error_at(b->err, b->c->name, s, name, "must have at least one entry");
    if (n > max)
        return config_error_at(b->err, b->c->name, s, name,
                               "%d entries, at most %d allowed", n, max);
    return n;
}

/* The shape of the variant and calibrated groups (their lists are read
 * below). */
static int check_variant(build_ctx *b, const config_setting_t *root)
{
    const char *groups[2] = {"variant", "calibrated"};
    const char *const *keys[2] = {variant_keys, calibrated_keys};
    for (int g = 0; g < 2; g++) {
        const config_setting_t *v = config_setting_get_member(root, groups[g]);
        if (!v)
            continue;
        if (config_setting_type(v) != CONFIG_TYPE_GROUP)
            return config_error_at(b->err, b->c->name, v, groups[g],
                                   "wrong type: expected a group");
        if (cfg_known(v, keys[g], groups[g], b->err))
            return -1;
        for (int k = 0; k < config_setting_length(v); k++) {
            const config_setting_t *m = config_setting_get_elem(v, (unsigned)k);
            char path[200];
            snprintf(path, sizeof path, "%s.%s", groups[g], config_setting_name(m));
            int t = config_setting_type(m);
            if (strcmp(config_setting_name(m), "set") == 0 &&
                t != CONFIG_TYPE_ARRAY && t != CONFIG_TYPE_LIST)
                return config_error_at(b->err, b->c->name, m, path,
                                       "expected an array of \"path=value\" strings");
            if (strcmp(config_setting_name(m), "events") == 0 && t != CONFIG_TYPE_LIST)
                return config_error_at(b->err, b->c->name, m, path,
                                       "expected a list ( ... ) of events");
            if (strcmp(config_setting_name(m), "set") != 0 &&
                strcmp(config_setting_name(m), "events") != 0 && t != CONFIG_TYPE_STRING)
                return config_error_at(b->err, b->c->name, m, path,
                                       "wrong type: expected a string, got %s",
                                       cfg_type_name(t));
        }
    }
    return 0;
}

/* A check of config_check_world failed at `key`: the setting's place. */
static int world_error(build_ctx *b, const config_setting_t *root, const char *key,
                       const char *why)
{
    config_setting_t *at = NULL;
    if (strcmp(key, "scenario.name") == 0 &&
        (at = config_lookup(root->config, "variant.name")))
        key = "variant.name"; /* the name came from the variant */
    else if (key[0])
        at = config_lookup(root->config, key);
    return config_error_at(b->err, b->c->name, at, key, "%s", why);
}

static int alloc_given(sim_config *c)
{
    c->given = calloc(param_table_len, sizeof *c->given);
    if (!c->given)
        return -1;
    for (size_t k = 0; k < param_table_len; k++) {
        if (!param_table[k].def_from)
            continue;
        int n1, n2;
        param_extent(c->p, param_table[k].scope, &n1, &n2);
        if (!(c->given[k] = calloc((size_t)n1 * n2 + 1, 1)))
            return -1;
    }
    return 0;
}

static int build(sim_config *c, const cfg_doc *doc, config_error *err)
{
    build_ctx b = {c, NULL, err};
    const config_setting_t *root = cfg_root(doc);
    for (int k = 0; k < config_setting_length(root); k++) {
        const config_setting_t *m = config_setting_get_elem(root, (unsigned)k);
        const char *name = config_setting_name(m);
        int known = 0;
        for (int g = 0; global_groups[g]; g++)
            known |= strcmp(name, global_groups[g]) == 0;
        for (int g = 0; element_groups[g]; g++)
            known |= strcmp(name, element_groups[g]) == 0;
        if (!known)
            return config_error_at(err, c->name, m, name, "unknown key");
    }
    if (check_variant(&b, root))
        return -1;
    const config_setting_t *goods, *agents, *pairs, *routes, *events;
    const config_setting_t *variant = config_setting_get_member(root, "variant");
    const config_setting_t *vevents = cfg_get(variant, "events");
    int ng = count_group(&b, root, "goods", 1, MAX_GOODS, &goods, 0);
    int na = ng < 0 ? -1 : count_group(&b, root, "agents", 1, MAX_AGENTS, &agents, 0);
    int np = na < 0 ? -1 : count_group(&b, root, "pairs", 0, INT_MAX, &pairs, 0);
    int nr = np < 0 ? -1 : count_group(&b, root, "routes", 0, MAX_ROUTES, &routes, 0);
    int ne = nr < 0 ? -1 : count_group(&b, root, "events", 0, MAX_EVENTS, &events, 1);
    if (ne < 0)
        return -1;
    int nbase = ne;
    ne += vevents ? config_setting_length(vevents) : 0;
    if (ne > MAX_EVENTS)
        return config_error_at(err, c->name, vevents, "variant.events",
                               "%d events in all, at most %d allowed", ne, MAX_EVENTS);
    c->p = b.p = params_alloc(na, ng, nr, ne);
    c->event_ym = calloc((size_t)ne + 1, sizeof *c->event_ym);
    if (!c->p || !c->event_ym || alloc_given(c)) {
        config_error_at(err, c->name, NULL, "", "out of memory");
        err->resource = 1;
        return -1;
    }
    params_set_defaults(b.p);
    for (int i = 0; i < na; i++) {
        const config_setting_t *s = config_setting_get_elem(agents, (unsigned)i);
        const char *code = config_setting_name(s);
        if (!config_valid_name(code, 0))
            return config_error_at(err, c->name, s, "agents",
                                   "agent code '%s' must be a letter followed by "
                                   "letters or digits (no '_')", code);
        snprintf(b.p->agents[i].code, PARAM_NAME_MAX, "%s", code);
    }
    if (build_globals(&b, root) || build_goods(&b, goods) || build_agents(&b, agents) ||
        build_pairs(&b, pairs) || build_routes(&b, routes))
        return -1;
    config_derive(c, b.p, NULL);
    if (variant) {
        const char *name = NULL;
        if (cfg_get_string(variant, "name", "variant", PARAM_NAME_MAX - 1, 0, &name,
                           err))
            return -1;
        if (name && !name[0])
            return config_error_at(err, c->name, cfg_get(variant, "name"),
                                   "variant.name", "a string of 1 to %d characters",
                                   PARAM_NAME_MAX - 1);
        if (name)
            snprintf(b.p->g.name, sizeof b.p->g.name, "%s", name);
    }
    char key[300], why[600];
    if (config_check_world(b.p, NULL, key, sizeof key, why, sizeof why))
        return world_error(&b, root, key, why);
    if (priors_read(root, c->name, b.p, err))
        return -1;
    for (int k = 0; k < ne; k++) {
        const config_setting_t *e = k < nbase
                                        ? config_setting_get_elem(events, (unsigned)k)
                                        : config_setting_get_elem(vevents, (unsigned)(k - nbase));
        if (config_build_event(b.p, e, k, &b.p->events[k], &c->event_ym[k], err))
            return -1;
        for (int q = 0; q < k; q++)
            if (b.p->events[k].name[0] &&
                strcmp(b.p->events[q].name, b.p->events[k].name) == 0) {
                char path[96];
                snprintf(path, sizeof path, "events.[%d]", k);
                return config_error_at(err, c->name, cfg_get(e, "name"), path,
                                       "two events are named '%s'", b.p->events[k].name);
            }
    }
    return 0;
}

/* calibrated.set, then variant.set: "path=value" overrides in the file,
 * applied like --set in that order; errors point at the list. */
static int apply_set_lists(sim_config *c, const cfg_doc *doc, config_error *err)
{
    const char *lists[2][2] = {{"calibrated", "set"}, {"variant", "set"}};
    for (int l = 0; l < 2; l++) {
        const config_setting_t *s = cfg_get(cfg_get(cfg_root(doc), lists[l][0]), lists[l][1]);
        int n = s ? config_setting_length(s) : 0;
        for (int k = 0; k < n; k++) {
            char key[300];
            snprintf(key, sizeof key, "%s.%s[%d]", lists[l][0], lists[l][1], k);
            const char *v = config_setting_get_string_elem(s, k);
            if (!v)
                return config_error_at(err, c->name, s, key, "element %d is not a string", k);
            if (config_apply_set(c, v, err) == 0)
                continue;
            config_error e = *err;
            snprintf(key, sizeof key, "%s.%s[%d] %s", lists[l][0], lists[l][1], k, e.key);
            config_error_at(err, c->name, s, key, "%s", e.reason);
            err->resource = e.resource;
            return -1;
        }
    }
    return 0;
}

/* ---- public entry points ---------------------------------------------------------- */

/* Keep the names of the files the loader read (the inputs of a command). */
static int keep_files(sim_config *c, const cfg_doc *doc)
{
    int n = cfg_n_files(doc);
    if (!(c->files = calloc((size_t)n + 1, sizeof *c->files)))
        return -1;
    for (int k = 0; k < n; k++)
        if (!(c->files[c->n_files++] = strdup(cfg_file(doc, k))))
            return -1;
    return 0;
}

static sim_config *load(cfg_doc *doc, const char *name, int from_file,
                        config_error *err)
{
    if (!doc)
        return NULL;
    sim_config *c = calloc(1, sizeof *c);
    if (!c) {
        config_error_at(err, name, NULL, "", "out of memory");
        err->resource = 1;
        cfg_free(doc);
        return NULL;
    }
    snprintf(c->name, sizeof c->name, "%s", name);
    if (from_file && keep_files(c, doc)) {
        config_error_at(err, name, NULL, "", "out of memory");
        err->resource = 1;
        cfg_free(doc);
        config_free(c);
        return NULL;
    }
    if (build(c, doc, err) || apply_set_lists(c, doc, err)) {
        cfg_free(doc);
        config_free(c);
        return NULL;
    }
    cfg_free(doc);
    return c;
}

sim_config *config_load_file(const char *path, config_error *err)
{
    return load(cfg_read_file(path, NULL, err), path, 1, err);
}

sim_config *config_load_string(const char *text, const char *name,
                               config_error *err)
{
    return load(cfg_read_text(text, strlen(text), name, err), name, 0, err);
}

void config_free(sim_config *c)
{
    if (!c)
        return;
    for (size_t k = 0; c->given && k < param_table_len; k++)
        free(c->given[k]);
    free(c->given);
    free(c->event_ym);
    for (int k = 0; k < c->n_files; k++)
        free(c->files[k]);
    free(c->files);
    params_free(c->p);
    for (int k = 0; k < c->n_vars; k++)
        free(c->vars[k]);
    free(c->vars);
    free(c);
}

const model_params *config_params(const sim_config *c) { return c->p; }

int config_n_files(const sim_config *c) { return c->n_files; }
const char *config_file(const sim_config *c, int k)
{
    return k >= 0 && k < c->n_files ? c->files[k] : NULL;
}

const char *const *config_output_vars(const sim_config *c, int *n)
{
    *n = c->n_vars;
    return c->n_vars ? (const char *const *)c->vars : NULL;
}
