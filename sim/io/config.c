/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * config.c - libconfig scenario files -> validated model_params, driven by
 * param_table[].  See config.h.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <libconfig.h>
#include <sys/stat.h>

#include "io/result/output.h"
#include "io/priors.h"
#include "model/model.h"

#define MAX_AGENTS 512
#define MAX_GOODS 64
#define MAX_ROUTES 4096
#define MAX_EVENTS 100000
#define MAX_PATH_PARTS 5

struct sim_config {
    config_t cfg;
    char name[256];     /* file name for messages */
    model_params *p;
    char **vars;
    int n_vars;
};

static const char *const global_groups[] = {
    "scenario", "output", "trade", "world", "relations", "settlement",
    "sanctions", "membership", NULL};
static const char *const element_groups[] = {
    "goods", "agents", "pairs", "routes", "events", "variant", "calibrated", NULL};
/* variant = { name; question; set = ["path=value", ...]; events = (...); }
 * calibrated = { command; date; set = [...]; }  (written by sim calibrate) */
static const char *const variant_keys[] = {"name", "question", "set", "events",
                                           NULL};
static const char *const calibrated_keys[] = {"command", "date", "set", "note",
                                              NULL};

void config_error_format(const config_error *e, char *buf, size_t len)
{
    char where[300];
    if (e->line > 0)
        snprintf(where, sizeof where, "%s:%d", e->file, e->line);
    else
        snprintf(where, sizeof where, "%s", e->file);
    if (e->key[0])
        snprintf(buf, len, "%s: %s: %s", where, e->key, e->reason);
    else
        snprintf(buf, len, "%s: %s", where, e->reason);
}

static int vfail(config_error *err, const char *file, int line, const char *key,
                 const char *fmt, va_list ap)
{
    if (!err)
        return -1;
    snprintf(err->file, sizeof err->file, "%s", file ? file : "");
    err->line = line;
    snprintf(err->key, sizeof err->key, "%s", key ? key : "");
    vsnprintf(err->reason, sizeof err->reason, fmt, ap);
    return -1;
}

static int fail(config_error *err, const char *file, int line, const char *key,
                const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfail(err, file, line, key, fmt, ap);
    va_end(ap);
    return -1;
}

int config_error_at(config_error *err, const char *file,
                    const config_setting_t *s, const char *key,
                    const char *fmt, ...)
{
    const char *f = s ? config_setting_source_file(s) : NULL;
    va_list ap;
    va_start(ap, fmt);
    vfail(err, f ? f : file, s ? config_setting_source_line(s) : 0, key, fmt, ap);
    va_end(ap);
    return -1;
}

/* Error located at a setting (its file, which may be an @include, and line). */
static int fail_at(const sim_config *c, const config_setting_t *s,
                   config_error *err, const char *key, const char *fmt, ...)
{
    char reason[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    const char *file = s ? config_setting_source_file(s) : NULL;
    int line = s ? config_setting_source_line(s) : 0;
    if (line == 0 && s)
        return fail(err, "--set", 0, key, "%s", reason);
    return fail(err, file ? file : c->name, line, key, "%s", reason);
}

static int in_list(const char *name, const char *const *list)
{
    for (; *list; list++)
        if (strcmp(name, *list) == 0)
            return 1;
    return 0;
}

static const char *type_name(int t)
{
    switch (t) {
    case CONFIG_TYPE_GROUP: return "a group";
    case CONFIG_TYPE_INT:
    case CONFIG_TYPE_INT64: return "an integer";
    case CONFIG_TYPE_FLOAT: return "a number";
    case CONFIG_TYPE_STRING: return "a string";
    case CONFIG_TYPE_BOOL: return "a boolean";
    case CONFIG_TYPE_ARRAY: return "an array";
    case CONFIG_TYPE_LIST: return "a list";
    default: return "a setting";
    }
}

static const char *ptype_name(param_type t)
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

/* Bounds check shared by files, --set and events. */
static int check_number(const param_def *d, double v, char *why, size_t len)
{
    if (!isfinite(v)) {
        snprintf(why, len, "must be a finite number");
        return -1;
    }
    if (d->type == PT_BOOL)
        return 0;
    if (v < d->min || v > d->max) {
        snprintf(why, len, "must be between %.10g and %.10g (got %.10g)",
                 d->min, d->max, v);
        return -1;
    }
    return 0;
}

static int choice_index(const char *choices, const char *s)
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

static const char *choice_name(const char *choices, int idx, char *buf,
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

/* libconfig 1.5 reads an integer literal too large for 32 bits (without
 * the L suffix) modulo 2^32, silently.  The literal as written on the
 * setting's source line, when it differs from what libconfig read: 1 and
 * *written set; 0 otherwise (or when the source is not a file). */
static int literal_differs(const config_setting_t *s, long long *written)
{
    const char *file = config_setting_source_file(s);
    int line = config_setting_source_line(s);
    const char *name = config_setting_name(s);
    FILE *f = file && line > 0 && name ? fopen(file, "r") : NULL;
    if (!f)
        return 0;
    char buf[4096];
    int found = 0;
    for (int k = 1; fgets(buf, sizeof buf, f); k++) {
        if (k != line)
            continue;
        size_t n = strlen(name);
        for (char *at = strstr(buf, name); at && !found; at = strstr(at + 1, name)) {
            if (at > buf && (isalnum((unsigned char)at[-1]) || at[-1] == '_'))
                continue;
            char *q = at + n;
            while (*q == ' ' || *q == '\t')
                q++;
            if (*q != '=' && *q != ':')
                continue;
            q++;
            while (*q == ' ' || *q == '\t')
                q++;
            char *end;
            errno = 0;
            long long v = strtoll(q, &end, 0);
            if (end == q || *end == '.' || *end == 'e' || *end == 'E')
                break;
            *written = v;
            found = errno == ERANGE ? 2 : 1;
        }
        break;
    }
    fclose(f);
    if (found == 2)
        return 1;
    return found && *written != config_setting_get_int64(s);
}

/* Read one setting into its parameter slot, checking type and bounds. */
static int read_param(const sim_config *c, const param_def *d,
                      const config_setting_t *s, void *dst, const char *path,
                      config_error *err)
{
    int t = config_setting_type(s);
    switch (d->type) {
    case PT_REAL:
    case PT_INT: {
        char why[256];
        double v;
        if (t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64) {
            long long iv = config_setting_get_int64(s), written;
            if (literal_differs(s, &written))
                return fail_at(c, s, err, path,
                               "%lld is too large for a 32-bit integer: libconfig "
                               "read it as %lld (write %lldL; above 2^53 it "
                               "cannot be represented exactly)",
                               written, iv, written);
            v = (double)iv;
            if ((long long)v != iv || v >= 9223372036854775807.0)
                return fail_at(c, s, err, path,
                               "%lld cannot be represented exactly (|x| > 2^53)",
                               iv);
        }
        else if (t == CONFIG_TYPE_FLOAT && d->type == PT_REAL)
            v = config_setting_get_float(s);
        else
            return fail_at(c, s, err, path, "wrong type: expected %s, got %s",
                           ptype_name(d->type), type_name(t));
        if (check_number(d, v, why, sizeof why))
            return fail_at(c, s, err, path, "%s", why);
        if (d->type == PT_INT)
            *(int *)dst = (int)v;
        else
            *(double *)dst = v;
        return 0;
    }
    case PT_BOOL:
        if (t != CONFIG_TYPE_BOOL)
            return fail_at(c, s, err, path,
                           "wrong type: expected true or false, got %s",
                           type_name(t));
        *(double *)dst = config_setting_get_bool(s) ? 1.0 : 0.0;
        return 0;
    case PT_STRING:
    case PT_CHOICE: {
        if (t != CONFIG_TYPE_STRING)
            return fail_at(c, s, err, path, "wrong type: expected a string, got %s",
                           type_name(t));
        const char *v = config_setting_get_string(s);
        if (d->type == PT_CHOICE) {
            int idx = choice_index(d->choices, v);
            if (idx < 0)
                return fail_at(c, s, err, path, "'%s' is not one of %s", v,
                               d->choices);
            *(int *)dst = idx;
            return 0;
        }
        if (strlen(v) >= PARAM_NAME_MAX)
            return fail_at(c, s, err, path, "longer than %d characters",
                           PARAM_NAME_MAX - 1);
        for (const char *q = v; *q; q++)
            if ((unsigned char)*q < 0x20 || *q == 0x7f)
                return fail_at(c, s, err, path,
                               "contains a control character (byte 0x%02x)",
                               (unsigned char)*q);
        memcpy(dst, v, strlen(v) + 1);
        return 0;
    }
    }
    return -1;
}

static const param_def *find_key(param_scope scope, const char *group,
                                 const char *key)
{
    return param_find(scope, group, key);
}

/* Is `name` usable as an agent code / good / route name? */
static int valid_name(const char *name, int allow_underscore)
{
    if (!isalpha((unsigned char)name[0]) || strlen(name) >= PARAM_NAME_MAX)
        return 0;
    for (const char *q = name; *q; q++)
        if (!isalnum((unsigned char)*q) && !(allow_underscore && *q == '_'))
            return 0;
    return 1;
}

/* ---- building parameters from the tree ----------------------------------- */

#define PAIR_LISTED (1u << 31)

typedef struct {
    sim_config *c;
    model_params *p;
    config_error *err;
    unsigned *explicit_pair; /* [n*n]: bit k for pair field k, PAIR_LISTED */
} build_ctx;

static int check_group(build_ctx *b, const config_setting_t *s,
                       const char *path)
{
    if (config_setting_type(s) != CONFIG_TYPE_GROUP)
        return fail_at(b->c, s, b->err, path, "wrong type: expected a group "
                       "{ ... }, got %s", type_name(config_setting_type(s)));
    return 0;
}

/* Read all keys of one scope from group `s` into element (e1, e2 unused). */
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
                return s ? fail_at(b->c, s, b->err, path, "missing required key")
                         : fail(b->err, b->c->name, 0, path,
                                "missing required key (no group '%s')", prefix);
            continue;
        }
        if (read_param(b->c, d, v, param_addr(b->p, (param_ref){d, e1, 0}), path,
                       b->err))
            return -1;
    }
    return 0;
}

/* Unknown keys in a group: every member must be accepted by `known`. */
typedef int (*key_filter)(const char *key, const char *group);

static int known_global(const char *key, const char *group)
{
    if (strcmp(group, "output") == 0 && strcmp(key, "variables") == 0)
        return 1;
    return find_key(SCOPE_GLOBAL, group, key) != NULL;
}
static int known_good(const char *key, const char *g)
{
    (void)g;
    return find_key(SCOPE_GOOD, NULL, key) != NULL;
}
static int known_agent(const char *key, const char *g)
{
    (void)g;
    return find_key(SCOPE_AGENT, NULL, key) || find_key(SCOPE_AGENT_GOOD, NULL, key) ||
           find_key(SCOPE_AGENT_AGENT, NULL, key);
}
static int known_pair(const char *key, const char *g)
{
    (void)g;
    return find_key(SCOPE_PAIR, NULL, key) != NULL;
}
static int known_route(const char *key, const char *g)
{
    (void)g;
    return find_key(SCOPE_ROUTE, NULL, key) || find_key(SCOPE_ROUTE_GOOD, NULL, key);
}

static int check_unknown(build_ctx *b, const config_setting_t *s,
                         key_filter known, const char *group,
                         const char *prefix)
{
    for (int k = 0; k < config_setting_length(s); k++) {
        const config_setting_t *m = config_setting_get_elem(s, (unsigned)k);
        const char *key = config_setting_name(m);
        if (!known(key, group) && !priors_is_key(key)) { /* priors: io/priors.c */
            char path[300];
            snprintf(path, sizeof path, "%s.%s", prefix, key);
            return fail_at(b->c, m, b->err, path, "unknown key");
        }
    }
    return 0;
}

static int build_globals(build_ctx *b)
{
    config_setting_t *root = config_root_setting(&b->c->cfg);
    for (int k = 0; global_groups[k]; k++) {
        const char *grp = global_groups[k];
        config_setting_t *s = config_setting_get_member(root, grp);
        if (s && (check_group(b, s, grp) ||
                  check_unknown(b, s, known_global, grp, grp)))
            return -1;
        if (read_scalars(b, s, SCOPE_GLOBAL, grp, 0, grp))
            return -1;
    }
    /* output.variables */
    config_setting_t *vars = config_lookup(&b->c->cfg, "output.variables");
    if (vars) {
        int t = config_setting_type(vars);
        if (t != CONFIG_TYPE_ARRAY && t != CONFIG_TYPE_LIST)
            return fail_at(b->c, vars, b->err, "output.variables",
                           "wrong type: expected an array of names, got %s",
                           type_name(t));
        int n = config_setting_length(vars);
        b->c->vars = calloc((size_t)n + 1, sizeof *b->c->vars);
        if (!b->c->vars)
            return fail(b->err, b->c->name, 0, "", "out of memory");
        for (int k = 0; k < n; k++) {
            const char *v = config_setting_get_string_elem(vars, k);
            if (!v)
                return fail_at(b->c, vars, b->err, "output.variables",
                               "element %d is not a string", k);
            if (!output_var_known(v))
                return fail_at(b->c, vars, b->err, "output.variables",
                               "no variable named '%s'", v);
            b->c->vars[k] = strdup(v);
            if (!b->c->vars[k])
                return fail(b->err, b->c->name, 0, "", "out of memory");
            b->c->n_vars = k + 1;
        }
    }
    return 0;
}

static int build_goods(build_ctx *b, const config_setting_t *goods)
{
    char prefix[300];
    for (int k = 0; k < b->p->n_goods; k++) {
        config_setting_t *s = config_setting_get_elem(goods, (unsigned)k);
        const char *name = config_setting_name(s);
        snprintf(prefix, sizeof prefix, "goods.%s", name);
        if (!valid_name(name, 1))
            return fail_at(b->c, s, b->err, prefix,
                           "a good's name must be a letter followed by "
                           "letters, digits or '_' (at most %d)",
                           PARAM_NAME_MAX - 1);
        snprintf(b->p->goods[k].name, PARAM_NAME_MAX, "%s", name);
        if (check_group(b, s, prefix) ||
            check_unknown(b, s, known_good, NULL, prefix) ||
            read_scalars(b, s, SCOPE_GOOD, NULL, k, prefix))
            return -1;
    }
    return 0;
}

/* agents.<code>.<key>.<x> where x is a good (AGENT_GOOD) or an agent. */
static int read_keyed(build_ctx *b, const config_setting_t *grp,
                      const param_def *d, int i, const char *prefix)
{
    char path[400];
    snprintf(path, sizeof path, "%s.%s", prefix, d->key);
    if (check_group(b, grp, path))
        return -1;
    for (int k = 0; k < config_setting_length(grp); k++) {
        config_setting_t *m = config_setting_get_elem(grp, (unsigned)k);
        const char *x = config_setting_name(m);
        if (priors_is_key(x))
            continue;
        int j = d->scope == SCOPE_AGENT_GOOD ? params_good_index(b->p, x)
                                             : params_agent_index(b->p, x);
        char full[500];
        snprintf(full, sizeof full, "%s.%s", path, x);
        if (j < 0)
            return fail_at(b->c, m, b->err, full, "no %s named '%s'",
                           d->scope == SCOPE_AGENT_GOOD ? "good" : "agent", x);
        if (read_param(b->c, d, m, param_addr(b->p, (param_ref){d, i, j}), full,
                       b->err))
            return -1;
    }
    return 0;
}

static int build_agents(build_ctx *b, const config_setting_t *agents)
{
    char prefix[300];
    for (int i = 0; i < b->p->n_agents; i++) {
        config_setting_t *s = config_setting_get_elem(agents, (unsigned)i);
        snprintf(prefix, sizeof prefix, "agents.%s", config_setting_name(s));
        if (check_group(b, s, prefix) ||
            check_unknown(b, s, known_agent, NULL, prefix) ||
            read_scalars(b, s, SCOPE_AGENT, NULL, i, prefix))
            return -1;
        for (int k = 0; k < config_setting_length(s); k++) {
            config_setting_t *m = config_setting_get_elem(s, (unsigned)k);
            const char *key = config_setting_name(m);
            const param_def *d = find_key(SCOPE_AGENT_GOOD, NULL, key);
            if (!d)
                d = find_key(SCOPE_AGENT_AGENT, NULL, key);
            if (d && read_keyed(b, m, d, i, prefix))
                return -1;
        }
    }
    return 0;
}

static int split_pair(const model_params *p, const char *name, int *i, int *j)
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

static double global_value(const model_params *p, const char *path)
{
    char grp[64];
    const char *dot = strchr(path, '.');
    snprintf(grp, sizeof grp, "%.*s", (int)(dot - path), path);
    const param_def *d = param_find(SCOPE_GLOBAL, grp, dot + 1);
    return param_get(p, (param_ref){d, 0, 0});
}

static int build_pairs(build_ctx *b, const config_setting_t *pairs)
{
    model_params *p = b->p;
    int n = p->n_agents;
    /* defaults from the relations group */
    for (size_t k = 0; k < param_table_len; k++) {
        const param_def *d = &param_table[k];
        if (d->scope != SCOPE_PAIR || strncmp(d->def_from, "pairs.", 6) == 0)
            continue;
        double v = global_value(p, d->def_from);
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                param_set(p, (param_ref){d, i, j}, v);
    }
    int np = pairs ? config_setting_length(pairs) : 0;
    for (int q = 0; q < np; q++) {
        config_setting_t *s = config_setting_get_elem(pairs, (unsigned)q);
        const char *name = config_setting_name(s);
        char prefix[300];
        snprintf(prefix, sizeof prefix, "pairs.%s", name);
        int i, j, rc = split_pair(p, name, &i, &j);
        if (rc == -1)
            return fail_at(b->c, s, b->err, prefix,
                           "a pair is named <AGENT>_<AGENT>, e.g. CHN_RUS");
        if (rc == -2)
            return fail_at(b->c, s, b->err, prefix, "names an unknown agent");
        if (i == j)
            return fail_at(b->c, s, b->err, prefix, "pairs an agent with itself");
        if (b->explicit_pair[i * n + j] & PAIR_LISTED)
            return fail_at(b->c, s, b->err, prefix,
                           "duplicate pair (given as both %s_%s and %s_%s)",
                           p->agents[i].code, p->agents[j].code,
                           p->agents[j].code, p->agents[i].code);
        b->explicit_pair[i * n + j] |= PAIR_LISTED;
        b->explicit_pair[j * n + i] |= PAIR_LISTED;
        if (check_group(b, s, prefix) ||
            check_unknown(b, s, known_pair, NULL, prefix))
            return -1;
        int bit = 0;
        for (size_t k = 0; k < param_table_len; k++) {
            const param_def *d = &param_table[k];
            if (d->scope != SCOPE_PAIR)
                continue;
            config_setting_t *v = config_setting_get_member(s, d->key);
            if (v) {
                char path[400];
                double val = 0.0;
                snprintf(path, sizeof path, "%s.%s", prefix, d->key);
                if (read_param(b->c, d, v, &val, path, b->err))
                    return -1;
                param_set(p, (param_ref){d, i, j}, val);
                b->explicit_pair[i * n + j] |= 1u << bit;
                b->explicit_pair[j * n + i] |= 1u << bit;
            }
            bit++;
        }
    }
    /* bases default to the pair's own starting values */
    int bit = 0;
    for (size_t k = 0; k < param_table_len; k++) {
        const param_def *d = &param_table[k];
        if (d->scope != SCOPE_PAIR)
            continue;
        if (strncmp(d->def_from, "pairs.", 6) == 0) {
            const param_def *src = param_find(SCOPE_PAIR, NULL, d->def_from + 6);
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++)
                    if (!(b->explicit_pair[i * n + j] & (1u << bit)))
                        param_set(p, (param_ref){d, i, j},
                                  param_get(p, (param_ref){src, i, j}));
        }
        bit++;
    }
    return 0;
}

static int build_routes(build_ctx *b, const config_setting_t *routes)
{
    model_params *p = b->p;
    for (int r = 0; r < p->n_routes; r++) {
        config_setting_t *s = config_setting_get_elem(routes, (unsigned)r);
        const char *name = config_setting_name(s);
        char prefix[300];
        snprintf(prefix, sizeof prefix, "routes.%s", name);
        if (!valid_name(name, 1))
            return fail_at(b->c, s, b->err, prefix,
                           "a route's name must be a letter followed by "
                           "letters, digits or '_'");
        snprintf(p->routes[r].name, PARAM_NAME_MAX, "%s", name);
        if (check_group(b, s, prefix) ||
            check_unknown(b, s, known_route, NULL, prefix) ||
            read_scalars(b, s, SCOPE_ROUTE, NULL, r, prefix))
            return -1;
        config_setting_t *lim = config_setting_get_member(s, "limit");
        if (lim) {
            const param_def *d = find_key(SCOPE_ROUTE_GOOD, NULL, "limit");
            char path[400];
            snprintf(path, sizeof path, "%s.limit", prefix);
            if (check_group(b, lim, path))
                return -1;
            for (int k = 0; k < config_setting_length(lim); k++) {
                config_setting_t *m = config_setting_get_elem(lim, (unsigned)k);
                if (priors_is_key(config_setting_name(m)))
                    continue;
                int g = params_good_index(p, config_setting_name(m));
                char full[500];
                snprintf(full, sizeof full, "%s.%s", path, config_setting_name(m));
                if (g < 0)
                    return fail_at(b->c, m, b->err, full, "no good named '%s'",
                                   config_setting_name(m));
                if (read_param(b->c, d, m, param_addr(p, (param_ref){d, r, g}),
                               full, b->err))
                    return -1;
            }
        }
        int ia = params_agent_index(p, p->routes[r].a);
        int ib = params_agent_index(p, p->routes[r].b);
        const char *bad = ia < 0 ? "a" : ib < 0 ? "b" : NULL;
        if (bad) {
            char path[400];
            snprintf(path, sizeof path, "%s.%s", prefix, bad);
            return fail_at(b->c, config_setting_get_member(s, bad), b->err, path,
                           "no agent named '%s'",
                           ia < 0 ? p->routes[r].a : p->routes[r].b);
        }
        if (ia == ib)
            return fail_at(b->c, s, b->err, prefix, "both ends are '%s'",
                           p->routes[r].a);
        int same = 0;
        for (int q = 0; q < r; q++)
            same += (p->routes[q].ia == ia && p->routes[q].ib == ib) ||
                    (p->routes[q].ia == ib && p->routes[q].ib == ia);
        if (same >= MODEL_MAX_PAIR_ROUTES)
            return fail_at(b->c, s, b->err, prefix,
                           "more than %d routes between %s and %s",
                           MODEL_MAX_PAIR_ROUTES, p->routes[r].a, p->routes[r].b);
        p->routes[r].ia = ia;
        p->routes[r].ib = ib;
    }
    return 0;
}

/* ---- events -------------------------------------------------------------- */

static const char *const event_keys[] = {"month", "date", "kind", "path",
                                         "value", "ramp", "route", "a",
                                         "b", "agent", "note", "name", NULL};

static int event_agent(build_ctx *b, const config_setting_t *e,
                       const char *key, const char *path, int *out)
{
    const char *code;
    char full[300];
    snprintf(full, sizeof full, "%s.%s", path, key);
    config_setting_t *s = config_setting_get_member(e, key);
    if (!s)
        return fail_at(b->c, e, b->err, full, "missing required key");
    if (!(code = config_setting_get_string(s)))
        return fail_at(b->c, s, b->err, full, "wrong type: expected a string");
    *out = params_agent_index(b->p, code);
    if (*out < 0)
        return fail_at(b->c, s, b->err, full, "no agent named '%s'", code);
    return 0;
}

static int event_number(build_ctx *b, const config_setting_t *e,
                        const char *key, const char *path, double *out,
                        int required)
{
    char full[300];
    snprintf(full, sizeof full, "%s.%s", path, key);
    config_setting_t *s = config_setting_get_member(e, key);
    if (!s) {
        if (required)
            return fail_at(b->c, e, b->err, full, "missing required key");
        return 0;
    }
    int t = config_setting_type(s);
    if (t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64)
        *out = (double)config_setting_get_int64(s);
    else if (t == CONFIG_TYPE_FLOAT)
        *out = config_setting_get_float(s);
    else if (t == CONFIG_TYPE_BOOL)
        *out = config_setting_get_bool(s);
    else
        return fail_at(b->c, s, b->err, full, "wrong type: expected a number, got %s",
                       type_name(t));
    if (!isfinite(*out))
        return fail_at(b->c, s, b->err, full, "must be a finite number");
    return 0;
}

static int event_month(build_ctx *b, const config_setting_t *e,
                       const char *path, int *month)
{
    config_setting_t *m = config_setting_get_member(e, "month");
    config_setting_t *d = config_setting_get_member(e, "date");
    char full[300];
    if (!!m == !!d)
        return fail_at(b->c, e, b->err, path,
                       "give exactly one of 'month' (step) or 'date' (YYYY-MM)");
    if (m) {
        snprintf(full, sizeof full, "%s.month", path);
        int t = config_setting_type(m);
        if (t != CONFIG_TYPE_INT && t != CONFIG_TYPE_INT64)
            return fail_at(b->c, m, b->err, full,
                           "wrong type: expected an integer, got %s", type_name(t));
        long long v = config_setting_get_int64(m);
        if (v < 0 || v > 100000)
            return fail_at(b->c, m, b->err, full,
                           "must be between 0 and 100000 (got %lld)", v);
        *month = (int)v;
        return 0;
    }
    snprintf(full, sizeof full, "%s.date", path);
    const char *s = config_setting_get_string(d);
    int y, mo;
    char extra;
    if (!s || sscanf(s, "%d-%d%c", &y, &mo, &extra) != 2 || mo < 1 || mo > 12 ||
        y < 1900 || y > 2200)
        return fail_at(b->c, d, b->err, full, "expected a month \"YYYY-MM\"");
    *month = (y * 12 + mo) - (b->p->start_year * 12 + b->p->start_month);
    if (*month < 0)
        return fail_at(b->c, d, b->err, full, "%s is before the start %s", s,
                       b->p->g.start);
    return 0;
}

static int build_event(build_ctx *b, const config_setting_t *e, int k,
                       event_spec *ev)
{
    model_params *p = b->p;
    char path[96];
    snprintf(path, sizeof path, "events.[%d]", k);
    if (config_setting_type(e) != CONFIG_TYPE_GROUP)
        return fail_at(b->c, e, b->err, path, "each event is a group { ... }");
    for (int q = 0; q < config_setting_length(e); q++) {
        config_setting_t *m = config_setting_get_elem(e, (unsigned)q);
        if (!in_list(config_setting_name(m), event_keys)) {
            char full[300];
            snprintf(full, sizeof full, "%s.%s", path, config_setting_name(m));
            return fail_at(b->c, m, b->err, full, "unknown key");
        }
    }
    config_setting_t *nm = config_setting_get_member(e, "name");
    if (nm) {
        const char *name = config_setting_get_string(nm);
        if (!name || !valid_name(name, 1))
            return fail_at(b->c, nm, b->err, path,
                           "an event's name is a letter followed by letters, "
                           "digits or '_'");
        snprintf(ev->name, sizeof ev->name, "%s", name);
        for (event_spec *o = b->p->events; o < ev; o++)
            if (strcmp(o->name, ev->name) == 0)
                return fail_at(b->c, nm, b->err, path,
                               "two events are named '%s'", name);
        snprintf(path, sizeof path, "events.%s", name);
    }
    if (event_month(b, e, path, &ev->month))
        return -1;
    const char *kind = NULL;
    config_setting_t *ks = config_setting_get_member(e, "kind");
    if (!ks || !(kind = config_setting_get_string(ks)))
        return fail_at(b->c, ks ? ks : e, b->err, path,
                       "missing 'kind' (a string)");
    int kd = -1;
    for (int q = 0; q <= EV_EXPEL; q++)
        if (strcmp(kind, event_kind_names[q]) == 0)
            kd = q;
    if (kd < 0)
        return fail_at(b->c, ks, b->err, path,
                       "unknown kind '%s' (set, add, route_open, route_close, "
                       "flareup, unfreeze, admit, expel)", kind);
    ev->kind = (event_kind)kd;
    ev->actor = ev->target = -1;
    double ramp = 0.0;
    if (event_number(b, e, "ramp", path, &ramp, 0))
        return -1;
    if (ramp < 0 || ramp > 1200 || ramp != floor(ramp))
        return fail_at(b->c, e, b->err, path,
                       "ramp must be a whole number of months from 0 to 1200");
    ev->ramp = (int)ramp;
    switch (ev->kind) {
    case EV_SET:
    case EV_ADD: {
        char why[300];
        config_setting_t *ps = config_setting_get_member(e, "path");
        const char *ppath = ps ? config_setting_get_string(ps) : NULL;
        if (!ppath)
            return fail_at(b->c, ps ? ps : e, b->err, path,
                           "missing 'path' (a string naming a parameter)");
        if (config_resolve_path(p, ppath, &ev->ref, why, sizeof why))
            return fail_at(b->c, ps, b->err, path, "%s", why);
        if (ev->ref.def->type == PT_STRING || ev->ref.def->type == PT_CHOICE)
            return fail_at(b->c, ps, b->err, path,
                           "%s is not a number and cannot be changed by an event",
                           ppath);
        if (event_number(b, e, "value", path, &ev->value, 1))
            return -1;
        if (ev->ref.def->type == PT_BOOL &&
            (ev->kind == EV_ADD || ev->ramp > 0 ||
             (ev->value != 0.0 && ev->value != 1.0)))
            return fail_at(b->c, e, b->err, path,
                           "%s is true or false: an event sets it to 0 or 1 "
                           "at once (no add, no ramp, no fraction)", ppath);
        if (ev->kind == EV_SET && check_number(ev->ref.def, ev->value, why, sizeof why))
            return fail_at(b->c, e, b->err, path, "value for %s %s", ppath, why);
        snprintf(ev->label, sizeof ev->label, "%s", ppath);
        if (ev->ref.def->scope == SCOPE_AGENT || ev->ref.def->scope == SCOPE_AGENT_GOOD ||
            ev->ref.def->scope == SCOPE_AGENT_AGENT || ev->ref.def->scope == SCOPE_PAIR)
            ev->actor = ev->ref.e1;
        if (ev->ref.def->scope == SCOPE_AGENT_AGENT || ev->ref.def->scope == SCOPE_PAIR)
            ev->target = ev->ref.e2;
        return 0;
    }
    case EV_ROUTE_OPEN:
    case EV_ROUTE_CLOSE: {
        config_setting_t *rs = config_setting_get_member(e, "route");
        const char *rn = rs ? config_setting_get_string(rs) : NULL;
        if (!rn)
            return fail_at(b->c, rs ? rs : e, b->err, path,
                           "missing 'route' (a route name)");
        ev->actor = params_route_index(p, rn);
        if (ev->actor < 0)
            return fail_at(b->c, rs, b->err, path, "no route named '%s'", rn);
        snprintf(ev->label, sizeof ev->label, "%s", rn);
        return 0;
    }
    case EV_FLAREUP:
        if (event_agent(b, e, "a", path, &ev->actor) ||
            event_agent(b, e, "b", path, &ev->target) ||
            event_number(b, e, "value", path, &ev->value, 1))
            return -1;
        if (ev->actor == ev->target)
            return fail_at(b->c, e, b->err, path, "a and b are the same agent");
        if (ev->value < -1 || ev->value > 1)
            return fail_at(b->c, e, b->err, path,
                           "value must be between -1 and 1 (got %g)", ev->value);
        snprintf(ev->label, sizeof ev->label, "rivalry");
        return 0;
    case EV_UNFREEZE:
        if (event_agent(b, e, "agent", path, &ev->actor) ||
            event_number(b, e, "value", path, &ev->value, 1))
            return -1;
        if (ev->value < 0 || ev->value > 1e15)
            return fail_at(b->c, e, b->err, path,
                           "value must be between 0 and 1e15 USD (got %g)", ev->value);
        snprintf(ev->label, sizeof ev->label, "cash");
        return 0;
    default: /* admit, expel */
        if (event_agent(b, e, "agent", path, &ev->actor))
            return -1;
        snprintf(ev->label, sizeof ev->label, "member");
        return 0;
    }
}

/* ---- the whole build ----------------------------------------------------- */

static int count_group(build_ctx *b, config_setting_t *root, const char *name,
                       int required, int max, config_setting_t **out, int list)
{
    config_setting_t *s = config_setting_get_member(root, name);
    *out = s;
    if (!s) {
        if (required)
            return fail(b->err, b->c->name, 0, name,
                        "missing required group (at least one entry)");
        return 0;
    }
    int t = config_setting_type(s);
    if (list ? (t != CONFIG_TYPE_LIST) : (t != CONFIG_TYPE_GROUP))
        return fail_at(b->c, s, b->err, name, "wrong type: expected %s, got %s",
                       list ? "a list ( ... )" : "a group { ... }", type_name(t));
    int n = config_setting_length(s);
    if (required && n == 0)
        return fail_at(b->c, s, b->err, name, "must have at least one entry");
    if (n > max)
        return fail_at(b->c, s, b->err, name, "%d entries, at most %d allowed", n,
                       max);
    return n;
}

/* The shape of the variant and calibrated groups (their lists are used by
 * build() and apply_set_lists()). */
static int check_variant(const sim_config *c, config_setting_t *root,
                         config_error *err)
{
    const char *groups[2] = {"variant", "calibrated"};
    const char *const *keys[2] = {variant_keys, calibrated_keys};
    for (int g = 0; g < 2; g++) {
        config_setting_t *v = config_setting_get_member(root, groups[g]);
        if (!v)
            continue;
        if (config_setting_type(v) != CONFIG_TYPE_GROUP)
            return fail_at(c, v, err, groups[g], "wrong type: expected a group");
        for (int k = 0; k < config_setting_length(v); k++) {
            config_setting_t *m = config_setting_get_elem(v, (unsigned)k);
            char path[200];
            snprintf(path, sizeof path, "%s.%s", groups[g], config_setting_name(m));
            if (!in_list(config_setting_name(m), keys[g]))
                return fail_at(c, m, err, path, "unknown key");
            int t = config_setting_type(m);
            if (strcmp(config_setting_name(m), "set") == 0 &&
                t != CONFIG_TYPE_ARRAY && t != CONFIG_TYPE_LIST)
                return fail_at(c, m, err, path,
                               "expected an array of \"path=value\" strings");
            if (strcmp(config_setting_name(m), "events") == 0 && t != CONFIG_TYPE_LIST)
                return fail_at(c, m, err, path, "expected a list ( ... ) of events");
        }
    }
    return 0;
}

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

static model_params *build(sim_config *c, config_error *err)
{
    build_ctx b = {c, NULL, err, NULL};
    config_setting_t *root = config_root_setting(&c->cfg);
    for (int k = 0; k < config_setting_length(root); k++) {
        config_setting_t *m = config_setting_get_elem(root, (unsigned)k);
        const char *name = config_setting_name(m);
        if (!in_list(name, global_groups) && !in_list(name, element_groups)) {
            fail_at(c, m, err, name, "unknown key");
            return NULL;
        }
    }
    config_setting_t *goods, *agents, *pairs, *routes, *events, *vevents = NULL;
    if (check_variant(c, root, err))
        return NULL;
    config_setting_t *variant = config_setting_get_member(root, "variant");
    if (variant)
        vevents = config_setting_get_member(variant, "events");
    int ng = count_group(&b, root, "goods", 1, MAX_GOODS, &goods, 0);
    int na = ng < 0 ? -1 : count_group(&b, root, "agents", 1, MAX_AGENTS, &agents, 0);
    int np = na < 0 ? -1 : count_group(&b, root, "pairs", 0, INT_MAX, &pairs, 0);
    int nr = np < 0 ? -1 : count_group(&b, root, "routes", 0, MAX_ROUTES, &routes, 0);
    int ne = nr < 0 ? -1 : count_group(&b, root, "events", 0, MAX_EVENTS, &events, 1);
    if (ne < 0)
        return NULL;
    int nbase = ne;
    ne += vevents ? config_setting_length(vevents) : 0;
    b.p = params_alloc(na, ng, nr, ne);
    b.explicit_pair = calloc((size_t)na * na + 1, sizeof *b.explicit_pair);
    if (!b.p || !b.explicit_pair) {
        fail(err, c->name, 0, "", "out of memory");
        goto bad;
    }
    params_set_defaults(b.p);
    for (int i = 0; i < na; i++) {
        config_setting_t *s = config_setting_get_elem(agents, (unsigned)i);
        const char *code = config_setting_name(s);
        if (!valid_name(code, 0)) {
            fail_at(c, s, err, "agents", "agent code '%s' must be a letter "
                    "followed by letters or digits (no '_')", code);
            goto bad;
        }
        snprintf(b.p->agents[i].code, PARAM_NAME_MAX, "%s", code);
    }
    if (build_globals(&b) || build_goods(&b, goods) || build_agents(&b, agents) ||
        build_pairs(&b, pairs) || build_routes(&b, routes))
        goto bad;
    char why[300];
    if (params_resolve(b.p, why, sizeof why)) {
        const char *colon = strstr(why, ": ");
        char key[256] = "";
        if (colon)
            snprintf(key, sizeof key, "%.*s", (int)(colon - why), why);
        /* the setting, for its file and line (a route's a/b, a good's input) */
        config_setting_t *at = key[0] ? config_lookup(&c->cfg, key) : NULL;
        if (at)
            fail_at(c, at, err, key, "%s", colon ? colon + 2 : why);
        else
            fail(err, c->name, 0, key, "%s", colon ? colon + 2 : why);
        goto bad;
    }
    if (priors_read(root, c->name, b.p, err))
        goto bad;
    for (int i = 0; i < na; i++)
        for (int j = i + 1; j < na; j++)
            if (b.p->agents[i].lat == b.p->agents[j].lat &&
                b.p->agents[i].lon == b.p->agents[j].lon) {
                char key[200];
                snprintf(key, sizeof key, "agents.%s", b.p->agents[j].code);
                fail_at(c, config_lookup(&c->cfg, key), err, key,
                        "has the same coordinates as agents.%s (distance 0 "
                        "breaks the gravity equation)", b.p->agents[i].code);
                goto bad;
            }
    for (int k = 0; k < ne; k++)
        if (build_event(&b, k < nbase ? config_setting_get_elem(events, (unsigned)k)
                                      : config_setting_get_elem(vevents, (unsigned)(k - nbase)),
                        k, &b.p->events[k]))
            goto bad;
    if (variant) {
        const char *name = NULL;
        config_setting_t *vn = config_setting_get_member(variant, "name");
        if (vn && (!(name = config_setting_get_string(vn)) ||
                   strlen(name) == 0 || strlen(name) >= PARAM_NAME_MAX)) {
            fail_at(c, vn, err, "variant.name", "a string of 1 to %d characters",
                    PARAM_NAME_MAX - 1);
            goto bad;
        }
        if (name)
            snprintf(b.p->g.name, sizeof b.p->g.name, "%s", name);
    }
    /* the name is the default result file's: keep it one plain file name */
    const char *bad_name = file_name_problem(b.p->g.name);
    if (bad_name) {
        config_setting_t *vn = variant ? config_setting_get_member(variant, "name") : NULL;
        fail_at(c, vn ? vn : config_lookup(&c->cfg, "scenario.name"), err,
                vn ? "variant.name" : "scenario.name",
                "'%s' %s (it names the default result file)", b.p->g.name,
                bad_name);
        goto bad;
    }
    free(b.explicit_pair);
    return b.p;
bad:
    free(b.explicit_pair);
    params_free(b.p);
    return NULL;
}

/* ---- public entry points ------------------------------------------------- */

static void free_vars(sim_config *c)
{
    for (int k = 0; k < c->n_vars; k++)
        free(c->vars[k]);
    free(c->vars);
    c->vars = NULL;
    c->n_vars = 0;
}

static int rebuild(sim_config *c, config_error *err)
{
    free_vars(c);
    model_params *p = build(c, err);
    if (!p)
        return -1;
    params_free(c->p);
    c->p = p;
    return 0;
}

static sim_config *config_new(const char *name)
{
    sim_config *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    config_init(&c->cfg);
    snprintf(c->name, sizeof c->name, "%s", name);
    return c;
}

/* The full path ("agents.RUS") of the setting named first on line `line` of
 * `file`: libconfig reports a duplicate name by line only.  A light scan of
 * the text: names before '=' or ':', pushed at '{' and '(', popped at '}'
 * and ')'; comments and strings skipped. */
static int setting_path_at(const char *file, int line, char *out, size_t len)
{
    FILE *f = fopen(file, "r");
    if (!f)
        return -1;
    char stack[16][PARAM_NAME_MAX], pending[PARAM_NAME_MAX] = "", word[PARAM_NAME_MAX];
    int depth = 0, found = -1, c, ln = 1, in_str = 0;
    size_t wl = 0;
    while ((c = fgetc(f)) != EOF && found < 0) {
        if (in_str) {
            if (c == '\\')
                (void)fgetc(f);
            else if (c == '"')
                in_str = 0;
            continue;
        }
        if (c == '#' || (c == '/' && (c = fgetc(f)) == '/')) {
            while ((c = fgetc(f)) != EOF && c != '\n') {}
        }
        if (c == '\n' || c == EOF) {
            ln++;
            wl = 0;
            continue;
        }
        if (isalnum(c) || c == '_' || c == '-' || c == '*') {
            if (wl + 1 < sizeof word)
                word[wl++] = (char)c;
            word[wl] = '\0';
            continue;
        }
        if ((c == '=' || c == ':') && wl > 0) {
            snprintf(pending, sizeof pending, "%s", word);
            if (ln == line) {
                size_t at = 0;
                out[0] = '\0';
                for (int k = 0; k < depth && k < 16; k++)
                    if (stack[k][0])
                        at += (size_t)snprintf(out + at, at < len ? len - at : 0,
                                               "%s.", stack[k]);
                snprintf(out + at, at < len ? len - at : 0, "%s", pending);
                found = 0;
            }
        } else if (c == '{' || c == '(') {
            if (depth < 16)
                snprintf(stack[depth], PARAM_NAME_MAX, "%s", pending);
            depth++;
            pending[0] = '\0';
        } else if (c == '}' || c == ')') {
            depth -= depth > 0;
        } else if (c == ';' || c == ',') {
            pending[0] = '\0';
        } else if (c == '"') {
            in_str = 1;
        }
        if (!isspace(c))
            wl = 0;
    }
    fclose(f);
    return found;
}

/* " 'name' (relative to DIR)" from the @include on line `line` of `file`. */
static void include_name(const char *file, int line, char *out, size_t len)
{
    FILE *f = fopen(file, "r");
    char buf[1024];
    for (int k = 1; f && fgets(buf, sizeof buf, f); k++) {
        if (k != line)
            continue;
        char *q = strchr(buf, '"'), *e = q ? strchr(q + 1, '"') : NULL;
        if (q && e)
            snprintf(out, len, " '%.*s' (%s)", (int)(e - q - 1), q + 1,
                     q[1] == '/' ? "libconfig 1.5 cannot include an absolute path"
                                 : "include paths are relative to the directory "
                                   "of the top-level file");
        break;
    }
    if (f)
        fclose(f);
}

/* calibrated.set, then variant.set: "path=value" overrides in the file,
 * applied like --set in that order; errors point at the list. */
static int apply_set_lists(sim_config *c, config_error *err)
{
    const char *lists[2] = {"calibrated.set", "variant.set"};
    for (int l = 0; l < 2; l++) {
        config_setting_t *s = config_lookup(&c->cfg, lists[l]);
        int n = s ? config_setting_length(s) : 0;
        /* copy: applying an override rebuilds the tree's settings */
        char **items = calloc((size_t)n + 1, sizeof *items);
        const char *file = s ? config_setting_source_file(s) : NULL;
        int line = s ? config_setting_source_line(s) : 0;
        char fname[256];
        snprintf(fname, sizeof fname, "%s", file ? file : c->name);
        if (!items)
            return fail(err, c->name, 0, lists[l], "out of memory");
        int rc = 0;
        for (int k = 0; rc == 0 && k < n; k++) {
            const char *v = config_setting_get_string_elem(s, k);
            if (!v)
                rc = fail(err, fname, line, lists[l], "element %d is not a string", k);
            else if (!(items[k] = strdup(v)))
                rc = fail(err, c->name, 0, lists[l], "out of memory");
        }
        for (int k = 0; rc == 0 && k < n; k++)
            if (config_apply_set(c, items[k], err)) {
                char key[256];
                snprintf(key, sizeof key, "%s[%d] %s", lists[l], k, err->key);
                snprintf(err->key, sizeof err->key, "%s", key);
                snprintf(err->file, sizeof err->file, "%s", fname);
                err->line = line;
                rc = -1;
            }
        for (int k = 0; k < n; k++)
            free(items[k]);
        free(items);
        if (rc)
            return -1;
    }
    return 0;
}

static sim_config *finish_load(sim_config *c, int parsed, config_error *err)
{
    if (!parsed) {
        const char *f = config_error_file(&c->cfg);
        const char *text = config_error_text(&c->cfg);
        if (!text)
            text = "syntax error";
        if (strcmp(text, "duplicate setting name") == 0)
            text = "duplicate setting name: given twice in one group";
        char inc[300] = "", key[256] = "";
        int line = config_error_line(&c->cfg);
        if (strstr(text, "include") && f)
            include_name(f, line, inc, sizeof inc);
        if (strstr(text, "duplicate") && f)
            setting_path_at(f, line, key, sizeof key);
        fail(err, f ? f : c->name, line, key, "%s%s%s",
             strstr(text, "syntax") ? "" : "syntax error: ", text, inc);
        config_free(c);
        return NULL;
    }
    if (rebuild(c, err) || apply_set_lists(c, err)) {
        config_free(c);
        return NULL;
    }
    return c;
}

/* Reject empty and binary input before libconfig sees it. */
static int check_text(const char *name, const char *text, size_t len,
                      config_error *err)
{
    size_t k = 0;
    while (k < len && isspace((unsigned char)text[k]))
        k++;
    if (k == len)
        return fail(err, name, 0, "", "the file is empty");
    for (k = 0; k < len; k++)
        if (text[k] == '\0' || ((unsigned char)text[k] < 0x20 &&
                                !isspace((unsigned char)text[k])))
            return fail(err, name, 0, "",
                        "not a text file (byte 0x%02x at offset %zu)",
                        (unsigned char)text[k], k);
    return 0;
}

/* @include paths of cfg relative to the directory of the file `path`. */
static void include_beside(config_t *cfg, const char *path)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash)
        slash[1] = '\0';
    else
        snprintf(dir, sizeof dir, ".");
    config_set_include_dir(cfg, dir);
}

int config_read_other(config_t *cfg, const char *path, const char *text,
                      config_error *err)
{
    if (!text) {
        struct stat st;
        if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
            return fail(err, path, 0, "", "is a directory, not a file");
        FILE *f = fopen(path, "rb");
        if (!f)
            return fail(err, path, 0, "", "cannot open: %s", strerror(errno));
        fclose(f);
        include_beside(cfg, path);
    }
    if ((text ? config_read_string(cfg, text) : config_read_file(cfg, path)) ==
        CONFIG_TRUE)
        return 0;
    const char *f = config_error_file(cfg);
    int io = config_error_type(cfg) == CONFIG_ERR_FILE_IO;
    return fail(err, f ? f : path, config_error_line(cfg), "", "%s",
                io ? "cannot read the file" : config_error_text(cfg));
}

int config_input_files(const char *path, int (*add)(void *ctx, const char *name),
                       void *ctx)
{
    config_t cfg;
    struct stat st;
    if (!path || stat(path, &st) != 0 || !S_ISREG(st.st_mode))
        return 0;
    config_init(&cfg);
    include_beside(&cfg, path);
    (void)config_read_file(&cfg, path); /* errors: reported by the loader */
    int rc = add(ctx, path);
    /* libconfig 1.5 lists every file it opened: the file, then its
     * includes as written, which it opened relative to the include
     * directory */
    const char *dir = config_get_include_dir(&cfg);
    for (unsigned k = 1; rc == 0 && k < cfg.num_filenames; k++) {
        const char *f = cfg.filenames[k];
        char full[8192];
        if (!f)
            continue;
        if (f[0] != '/' && dir && dir[0])
            snprintf(full, sizeof full, "%s%s%s", dir,
                     dir[strlen(dir) - 1] == '/' ? "" : "/", f);
        else
            snprintf(full, sizeof full, "%s", f);
        rc = add(ctx, full);
    }
    config_destroy(&cfg);
    return rc;
}

sim_config *config_load_file(const char *path, config_error *err)
{
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        fail(err, path, 0, "", "is a directory, not a scenario file");
        return NULL;
    }
    FILE *f = fopen(path, "rb");
    if (!f) {
        fail(err, path, 0, "", "cannot open: %s", strerror(errno));
        return NULL;
    }
    char buf[65536];
    size_t got = fread(buf, 1, sizeof buf, f);
    fclose(f);
    if (check_text(path, buf, got, err))
        return NULL;
    sim_config *c = config_new(path);
    if (!c) {
        fail(err, path, 0, "", "out of memory");
        return NULL;
    }
    include_beside(&c->cfg, path);
    return finish_load(c, config_read_file(&c->cfg, path) == CONFIG_TRUE, err);
}

sim_config *config_load_string(const char *text, const char *name,
                               config_error *err)
{
    if (check_text(name, text, strlen(text), err))
        return NULL;
    sim_config *c = config_new(name);
    if (!c) {
        fail(err, name, 0, "", "out of memory");
        return NULL;
    }
    return finish_load(c, config_read_string(&c->cfg, text) == CONFIG_TRUE, err);
}

void config_free(sim_config *c)
{
    if (!c)
        return;
    config_destroy(&c->cfg);
    params_free(c->p);
    free_vars(c);
    free(c);
}

const model_params *config_params(const sim_config *c) { return c->p; }

const char *const *config_output_vars(const sim_config *c, int *n)
{
    *n = c->n_vars;
    return c->n_vars ? (const char *const *)c->vars : NULL;
}

static int split_path(char *buf, char **parts)
{
    int n = 0;
    for (char *tok = buf; tok && n <= MAX_PATH_PARTS;) {
        char *dot = strchr(tok, '.');
        if (dot)
            *dot = '\0';
        if (n == MAX_PATH_PARTS || *tok == '\0')
            return -1;
        parts[n++] = tok;
        tok = dot ? dot + 1 : NULL;
    }
    return n;
}

int config_resolve_path(const model_params *p, const char *path,
                        param_ref *ref, char *why, size_t len)
{
    char buf[512];
    char *c[MAX_PATH_PARTS];
    if (strlen(path) >= sizeof buf) {
        snprintf(why, len, "parameter path too long");
        return -1;
    }
    snprintf(buf, sizeof buf, "%s", path);
    int n = split_path(buf, c);
    const param_def *d = NULL;
    int e1 = 0, e2 = 0;
    if (n < 2) {
        snprintf(why, len, "'%s' is not a parameter path such as trade.alpha "
                 "or agents.RUS.capacity.shells", path);
        return -1;
    }
    if (strcmp(c[0], "goods") == 0 && n == 3) {
        e1 = params_good_index(p, c[1]);
        if (e1 < 0) {
            snprintf(why, len, "no good named '%s'", c[1]);
            return -1;
        }
        d = param_find(SCOPE_GOOD, NULL, c[2]);
    } else if (strcmp(c[0], "agents") == 0 && (n == 3 || n == 4)) {
        e1 = params_agent_index(p, c[1]);
        if (e1 < 0) {
            snprintf(why, len, "no agent named '%s'", c[1]);
            return -1;
        }
        if (n == 3) {
            d = param_find(SCOPE_AGENT, NULL, c[2]);
        } else if ((d = param_find(SCOPE_AGENT_GOOD, NULL, c[2]))) {
            e2 = params_good_index(p, c[3]);
            if (e2 < 0) {
                snprintf(why, len, "no good named '%s'", c[3]);
                return -1;
            }
        } else if ((d = param_find(SCOPE_AGENT_AGENT, NULL, c[2]))) {
            e2 = params_agent_index(p, c[3]);
            if (e2 < 0) {
                snprintf(why, len, "no agent named '%s'", c[3]);
                return -1;
            }
        }
    } else if (strcmp(c[0], "pairs") == 0 && n == 3) {
        int rc = split_pair(p, c[1], &e1, &e2);
        if (rc || e1 == e2) {
            snprintf(why, len, "'%s' is not a pair of two known agents (A_B)",
                     c[1]);
            return -1;
        }
        d = param_find(SCOPE_PAIR, NULL, c[2]);
    } else if (strcmp(c[0], "routes") == 0 && (n == 3 || n == 4)) {
        e1 = params_route_index(p, c[1]);
        if (e1 < 0) {
            snprintf(why, len, "no route named '%s'", c[1]);
            return -1;
        }
        if (n == 3) {
            d = param_find(SCOPE_ROUTE, NULL, c[2]);
        } else if ((d = param_find(SCOPE_ROUTE_GOOD, NULL, c[2]))) {
            e2 = params_good_index(p, c[3]);
            if (e2 < 0) {
                snprintf(why, len, "no good named '%s'", c[3]);
                return -1;
            }
        }
    } else if (n == 2) {
        d = param_find(SCOPE_GLOBAL, c[0], c[1]);
    }
    if (!d) {
        snprintf(why, len, "unknown parameter '%s'", path);
        return -1;
    }
    ref->def = d;
    ref->e1 = e1;
    ref->e2 = e2;
    return 0;
}

/* Find or create a group member of `parent`. */
static config_setting_t *child_group(config_setting_t *parent, const char *name)
{
    config_setting_t *s = config_setting_get_member(parent, name);
    if (s && config_setting_type(s) == CONFIG_TYPE_GROUP)
        return s;
    if (s)
        config_setting_remove(parent, name);
    return config_setting_add(parent, name, CONFIG_TYPE_GROUP);
}

/* The event group named `name` in `events` or `variant.events`. */
static config_setting_t *find_event(sim_config *c, const char *name)
{
    const char *lists[2] = {"events", "variant.events"};
    for (int l = 0; l < 2; l++) {
        config_setting_t *s = config_lookup(&c->cfg, lists[l]);
        for (int k = 0; s && k < config_setting_length(s); k++) {
            config_setting_t *e = config_setting_get_elem(s, (unsigned)k);
            const char *n = NULL;
            if (config_setting_lookup_string(e, "name", &n) && strcmp(n, name) == 0)
                return e;
        }
    }
    return NULL;
}

/* --set events.NAME.FIELD=value: the time (month or date), size (value)
 * or ramp of a named event. */
static int set_event_field(sim_config *c, const char *path, const char *val,
                           config_error *err)
{
    char name[PARAM_NAME_MAX + 1];
    const char *dot = strchr(path + 7, '.');
    if (!dot || (size_t)(dot - path - 7) >= sizeof name)
        return fail(err, "--set", 0, path,
                    "an event field is events.NAME.month, .date, .value or .ramp");
    snprintf(name, sizeof name, "%.*s", (int)(dot - path - 7), path + 7);
    const char *field = dot + 1;
    config_setting_t *e = find_event(c, name);
    if (!e)
        return fail(err, "--set", 0, path,
                    "no event named '%s' (an event is named with name = \"...\")",
                    name);
    char *end = NULL;
    errno = 0;
    double num = strtod(val, &end);
    int numeric = *val && !*end && errno != ERANGE && isfinite(num);
    config_setting_t *s;
    if (strcmp(field, "month") == 0 || strcmp(field, "ramp") == 0) {
        if (!numeric || num != floor(num) || num < 0 || num > 100000)
            return fail(err, "--set", 0, path, "'%s' is not a whole number of months",
                        val);
        if (strcmp(field, "month") == 0)
            config_setting_remove(e, "date");
        config_setting_remove(e, field);
        s = config_setting_add(e, field, CONFIG_TYPE_INT);
        if (s)
            config_setting_set_int(s, (int)num);
    } else if (strcmp(field, "value") == 0) {
        if (!numeric)
            return fail(err, "--set", 0, path, "'%s' is not a number", val);
        config_setting_remove(e, field);
        s = config_setting_add(e, field, CONFIG_TYPE_FLOAT);
        if (s)
            config_setting_set_float(s, num);
    } else if (strcmp(field, "date") == 0) {
        config_setting_remove(e, "month");
        config_setting_remove(e, field);
        s = config_setting_add(e, field, CONFIG_TYPE_STRING);
        if (s)
            config_setting_set_string(s, val);
    } else {
        return fail(err, "--set", 0, path,
                    "an event field is month, date, value or ramp, not '%s'", field);
    }
    if (!s)
        return fail(err, "--set", 0, path, "cannot be set here");
    return rebuild(c, err);
}

int config_apply_set(sim_config *c, const char *assignment, config_error *err)
{
    char why[300];
    const char *eq = assignment ? strchr(assignment, '=') : NULL;
    if (!eq || eq == assignment)
        return fail(err, "--set", 0, assignment, "expected path=value");
    char path[512];
    snprintf(path, sizeof path, "%.*s", (int)(eq - assignment), assignment);
    const char *val = eq + 1;
    if (strncmp(path, "events.", 7) == 0)
        return set_event_field(c, path, val, err);
    param_ref ref;
    /* "<path>_prior=TEXT" sets the prior of <path> (io/priors.h) */
    int is_prior = priors_is_key(path);
    char stem[512];
    snprintf(stem, sizeof stem, "%.*s", (int)(strlen(path) - (is_prior ? 6 : 0)), path);
    if (config_resolve_path(c->p, stem, &ref, why, sizeof why))
        return fail(err, "--set", 0, path, "%s", why);
    const param_def *d = ref.def;
    /* parse the value as the parameter's type */
    double num = 0.0;
    char *end = NULL;
    int ctype;
    prior pr;
    if (is_prior) {
        if (d->type != PT_REAL)
            return fail(err, "--set", 0, path, "only real-valued parameters take a prior");
        if (prior_parse(val, &pr, why, sizeof why) ||
            prior_truncate(&pr, d->min, d->max, why, sizeof why))
            return fail(err, "--set", 0, path, "%s", why);
        ctype = CONFIG_TYPE_STRING;
    } else switch (d->type) {
    case PT_REAL:
    case PT_INT:
        errno = 0;
        num = strtod(val, &end);
        if (*val == '\0' || *end != '\0' || errno == ERANGE)
            return fail(err, "--set", 0, path, "'%s' is not %s", val,
                        ptype_name(d->type));
        if (val[strspn(val, "+-0123456789")] == '\0') {
            /* an integer literal must survive the trip through a double */
            errno = 0;
            long long iv = strtoll(val, NULL, 10);
            if (errno == ERANGE || (long long)num != iv)
                return fail(err, "--set", 0, path,
                            "%s cannot be represented exactly (|x| > 2^53)", val);
        }
        if (d->type == PT_INT && num != floor(num))
            return fail(err, "--set", 0, path, "'%s' is not an integer", val);
        if (check_number(d, num, why, sizeof why))
            return fail(err, "--set", 0, path, "%s", why);
        ctype = d->type == PT_INT ? CONFIG_TYPE_INT : CONFIG_TYPE_FLOAT;
        break;
    case PT_BOOL:
        if (strcmp(val, "true") == 0 || strcmp(val, "1") == 0)
            num = 1;
        else if (strcmp(val, "false") == 0 || strcmp(val, "0") == 0)
            num = 0;
        else
            return fail(err, "--set", 0, path, "'%s' is not true or false", val);
        ctype = CONFIG_TYPE_BOOL;
        break;
    case PT_CHOICE:
        if (choice_index(d->choices, val) < 0)
            return fail(err, "--set", 0, path, "'%s' is not one of %s", val,
                        d->choices);
        ctype = CONFIG_TYPE_STRING;
        break;
    default:
        if (strlen(val) >= PARAM_NAME_MAX || strlen(val) == 0)
            return fail(err, "--set", 0, path,
                        "must be 1 to %d characters", PARAM_NAME_MAX - 1);
        for (const char *q = val; *q; q++)
            if ((unsigned char)*q < 0x20 || *q == 0x7f)
                return fail(err, "--set", 0, path,
                            "contains a control character (byte 0x%02x)",
                            (unsigned char)*q);
        ctype = CONFIG_TYPE_STRING;
        break;
    }
    /* find the tree location */
    char buf[512];
    char *parts[MAX_PATH_PARTS];
    snprintf(buf, sizeof buf, "%s", path);
    int n = split_path(buf, parts);
    if (n < 2)
        return fail(err, "--set", 0, path, "not a parameter path");
    config_setting_t *at = config_root_setting(&c->cfg);
    char pairname[2 * PARAM_NAME_MAX + 2];
    for (int k = 0; k < n - 1 && at; k++) {
        const char *name = parts[k];
        if (k == 1 && strcmp(parts[0], "pairs") == 0) {
            /* either spelling of an existing pair, else A_B as given */
            snprintf(pairname, sizeof pairname, "%s_%s",
                     c->p->agents[ref.e2].code, c->p->agents[ref.e1].code);
            if (!config_setting_get_member(at, name) &&
                config_setting_get_member(at, pairname))
                name = pairname;
        }
        at = child_group(at, name);
    }
    if (!at)
        return fail(err, "--set", 0, path, "cannot be set here");
    config_setting_remove(at, parts[n - 1]);
    config_setting_t *s = config_setting_add(at, parts[n - 1], ctype);
    if (!s)
        return fail(err, "--set", 0, path, "cannot be set here");
    switch (ctype) {
    case CONFIG_TYPE_INT: config_setting_set_int(s, (int)num); break;
    case CONFIG_TYPE_FLOAT: config_setting_set_float(s, num); break;
    case CONFIG_TYPE_BOOL: config_setting_set_bool(s, num != 0); break;
    default: config_setting_set_string(s, val); break;
    }
    return rebuild(c, err);
}

/* ---- resolved text ------------------------------------------------------- */

static void put_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            fputc('\\', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static void put_real(FILE *f, double v)
{
    /* the shortest decimal that reads back as the same double */
    char b[64];
    for (int digits = 15; digits <= 17; digits++) {
        snprintf(b, sizeof b, "%.*g", digits, v);
        if (strtod(b, NULL) == v)
            break;
    }
    size_t len = strlen(b);
    if (!strpbrk(b, ".eEn") && len + 2 < sizeof b)
        memcpy(b + len, ".0", 3);
    fputs(b, f);
}

static void put_value(FILE *f, const model_params *p, param_ref r)
{
    const param_def *d = r.def;
    void *a = param_addr((model_params *)p, r);
    char buf[PARAM_NAME_MAX];
    switch (d->type) {
    case PT_REAL: put_real(f, *(double *)a); break;
    case PT_INT: fprintf(f, "%d", *(int *)a); break;
    case PT_BOOL: fputs(*(double *)a != 0.0 ? "true" : "false", f); break;
    case PT_STRING: put_string(f, (char *)a); break;
    case PT_CHOICE:
        put_string(f, choice_name(d->choices, *(int *)a, buf, sizeof buf));
        break;
    }
}

/* `<name>_prior = "...";` after a parameter that has one. */
static void put_prior(FILE *f, const char *sep, const char *name,
                      const model_params *p, param_ref r)
{
    const prior *pr = params_prior_of(p, r);
    char text[200];
    if (!pr)
        return;
    prior_format(pr, text, sizeof text);
    fprintf(f, "%s%s_prior = ", sep, name);
    put_string(f, text);
    fputc(';', f);
}

static void put_line(FILE *f, const char *indent, const model_params *p,
                     param_ref r)
{
    fprintf(f, "%s%s = ", indent, r.def->key);
    put_value(f, p, r);
    fprintf(f, ";");
    put_prior(f, " ", r.def->key, p, r);
    if (r.def->unit && r.def->unit[0] && strcmp(r.def->unit, "1") != 0)
        fprintf(f, "  # %s", r.def->unit);
    fputc('\n', f);
}

static void put_scope(FILE *f, const char *indent, const model_params *p,
                      param_scope scope, int e1)
{
    for (size_t k = 0; k < param_table_len; k++)
        if (param_table[k].scope == scope)
            put_line(f, indent, p, (param_ref){&param_table[k], e1, 0});
}

static void put_keyed(FILE *f, const model_params *p, param_scope scope, int e1)
{
    int n1, n2;
    param_extent(p, scope, &n1, &n2);
    for (size_t k = 0; k < param_table_len; k++) {
        const param_def *d = &param_table[k];
        if (d->scope != scope)
            continue;
        fprintf(f, "    %s = {  # %s\n", d->key, d->unit);
        for (int e2 = 0; e2 < n2; e2++) {
            param_ref r = {d, e1, e2};
            double v = param_get(p, r);
            if (scope == SCOPE_AGENT_AGENT && e2 == e1)
                continue;
            if (scope == SCOPE_ROUTE_GOOD && isinf(v))
                continue;
            const char *name = scope == SCOPE_AGENT_AGENT ? p->agents[e2].code
                                                          : p->goods[e2].name;
            fprintf(f, "      %s = ", name);
            put_value(f, p, r);
            fprintf(f, ";");
            put_prior(f, " ", name, p, r);
            fputc('\n', f);
        }
        fprintf(f, "    };\n");
    }
}

static void put_event(FILE *f, const model_params *p, const event_spec *e,
                      int last)
{
    fprintf(f, "  { ");
    if (e->name[0])
        fprintf(f, "name = \"%s\"; ", e->name);
    fprintf(f, "month = %d; kind = \"%s\"; ", e->month,
            event_kind_names[e->kind]);
    switch (e->kind) {
    case EV_SET:
    case EV_ADD:
        fprintf(f, "path = ");
        put_string(f, e->label);
        fprintf(f, "; value = ");
        put_real(f, e->value);
        fprintf(f, "; ramp = %d;", e->ramp);
        break;
    case EV_ROUTE_OPEN:
    case EV_ROUTE_CLOSE:
        fprintf(f, "route = \"%s\";", p->routes[e->actor].name);
        break;
    case EV_FLAREUP:
        fprintf(f, "a = \"%s\"; b = \"%s\"; value = ", p->agents[e->actor].code,
                p->agents[e->target].code);
        put_real(f, e->value);
        fputc(';', f);
        break;
    case EV_UNFREEZE:
        fprintf(f, "agent = \"%s\"; value = ", p->agents[e->actor].code);
        put_real(f, e->value);
        fputc(';', f);
        break;
    default:
        fprintf(f, "agent = \"%s\";", p->agents[e->actor].code);
        break;
    }
    fprintf(f, " }%s\n", last ? "" : ",");
}

int config_write_resolved(const sim_config *c, FILE *f)
{
    const model_params *p = c->p;
    fprintf(f, "# Resolved configuration: every parameter, given or default.\n"
               "# Loading this file reproduces the run exactly.\n");
    for (int k = 0; global_groups[k]; k++) {
        fprintf(f, "%s = {\n", global_groups[k]);
        for (size_t q = 0; q < param_table_len; q++) {
            const param_def *d = &param_table[q];
            if (d->scope == SCOPE_GLOBAL && strcmp(d->group, global_groups[k]) == 0)
                put_line(f, "  ", p, (param_ref){d, 0, 0});
        }
        if (strcmp(global_groups[k], "output") == 0 && c->n_vars) {
            fprintf(f, "  variables = [");
            for (int v = 0; v < c->n_vars; v++) {
                fputs(v ? ", " : "", f);
                put_string(f, c->vars[v]);
            }
            fprintf(f, "];\n");
        }
        fprintf(f, "};\n");
    }
    fprintf(f, "goods = {\n");
    for (int k = 0; k < p->n_goods; k++) {
        fprintf(f, "  %s = {\n", p->goods[k].name);
        put_scope(f, "    ", p, SCOPE_GOOD, k);
        fprintf(f, "  };\n");
    }
    fprintf(f, "};\nagents = {\n");
    for (int i = 0; i < p->n_agents; i++) {
        fprintf(f, "  %s = {\n", p->agents[i].code);
        put_scope(f, "    ", p, SCOPE_AGENT, i);
        put_keyed(f, p, SCOPE_AGENT_GOOD, i);
        put_keyed(f, p, SCOPE_AGENT_AGENT, i);
        fprintf(f, "  };\n");
    }
    fprintf(f, "};\npairs = {\n");
    for (int i = 0; i < p->n_agents; i++)
        for (int j = i + 1; j < p->n_agents; j++) {
            fprintf(f, "  %s_%s = { ", p->agents[i].code, p->agents[j].code);
            for (size_t q = 0; q < param_table_len; q++)
                if (param_table[q].scope == SCOPE_PAIR) {
                    fprintf(f, "%s = ", param_table[q].key);
                    put_value(f, p, (param_ref){&param_table[q], i, j});
                    fprintf(f, ";");
                    put_prior(f, " ", param_table[q].key, p,
                              (param_ref){&param_table[q], i, j});
                    fputc(' ', f);
                }
            fprintf(f, "};\n");
        }
    fprintf(f, "};\nroutes = {\n");
    for (int r = 0; r < p->n_routes; r++) {
        fprintf(f, "  %s = {\n", p->routes[r].name);
        put_scope(f, "    ", p, SCOPE_ROUTE, r);
        put_keyed(f, p, SCOPE_ROUTE_GOOD, r);
        fprintf(f, "  };\n");
    }
    fprintf(f, "};\nevents = (\n");
    for (int e = 0; e < p->n_events; e++)
        put_event(f, p, &p->events[e], e == p->n_events - 1);
    fprintf(f, ");\n");
    return ferror(f) ? -1 : 0;
}

char *config_resolved_text(const sim_config *c)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return NULL;
    int rc = config_write_resolved(c, f);
    if (fclose(f) != 0 || rc != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}
