/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * priors.c - `<key>_prior` settings -> model_params.priors (see priors.h).
 */
#include "priors.h"

#include <stdlib.h>
#include <string.h>

#include <libconfig.h>

#define SUFFIX "_prior"

int priors_is_key(const char *name)
{
    size_t n = strlen(name), s = sizeof SUFFIX - 1;
    return n > s && strcmp(name + n - s, SUFFIX) == 0;
}

/* Count (list NULL) or read the priors under group g at `path`. */
static int walk(const config_setting_t *g, const char *path, const char *file,
                model_params *p, int *n, config_error *err)
{
    for (int k = 0; k < config_setting_length(g); k++) {
        const config_setting_t *s = config_setting_get_elem(g, (unsigned)k);
        const char *name = config_setting_name(s);
        char full[512];
        if (!name)
            continue;
        snprintf(full, sizeof full, "%s%s%s", path, path[0] ? "." : "", name);
        if (config_setting_is_group(s)) {
            if (walk(s, full, file, p, n, err))
                return -1;
            continue;
        }
        if (!priors_is_key(name))
            continue;
        if (p->priors) {
            char target[512], why[300];
            snprintf(target, sizeof target, "%.*s", (int)(strlen(full) - strlen(SUFFIX)),
                     full);
            param_prior *pp = &p->priors[*n];
            const char *text = config_setting_get_string(s);
            if (!text)
                return config_error_at(err, file, s, full, "wrong type: expected a "
                                       "string such as \"lognormal(median=2, sd_log=0.7)\"");
            if (config_resolve_path(p, target, &pp->ref, why, sizeof why))
                return config_error_at(err, file, s, full, "unknown key: no parameter "
                                       "'%s' to carry this prior (%s)", target, why);
            const param_def *d = pp->ref.def;
            if (d->type != PT_REAL)
                return config_error_at(err, file, s, full, "only real-valued parameters "
                                       "take a prior");
            if (prior_parse(text, &pp->pr, why, sizeof why))
                return config_error_at(err, file, s, full, "%s", why);
            if (prior_truncate(&pp->pr, d->min, d->max, why, sizeof why))
                return config_error_at(err, file, s, full, "within the parameter's "
                                       "bounds [%g, %g]: %s", d->min, d->max, why);
            p->n_priors = *n; /* the priors read before this one */
            if (params_prior_of(p, pp->ref))
                return config_error_at(err, file, s, full, "a second prior for "
                                       "the same parameter");
            p->n_priors = *n + 1;
        }
        (*n)++;
    }
    return 0;
}

int priors_read(const config_setting_t *root, const char *file, model_params *p,
                config_error *err)
{
    int n = 0;
    free(p->priors);
    p->priors = NULL;
    p->n_priors = 0;
    if (walk(root, "", file, p, &n, err))
        return -1;
    if (n == 0)
        return 0;
    if (!(p->priors = calloc((size_t)n, sizeof *p->priors))) {
        config_error_at(err, file, NULL, "", "out of memory");
        err->resource = 1;
        return -1;
    }
    int m = 0;
    return walk(root, "", file, p, &m, err);
}

void priors_param_path(const model_params *p, param_ref r, char *buf, size_t len)
{
    const param_def *d = r.def;
    switch (d->scope) {
    case SCOPE_GLOBAL: snprintf(buf, len, "%s.%s", d->group, d->key); break;
    case SCOPE_GOOD: snprintf(buf, len, "goods.%s.%s", p->goods[r.e1].name, d->key); break;
    case SCOPE_AGENT:
        snprintf(buf, len, "agents.%s.%s", p->agents[r.e1].code, d->key);
        break;
    case SCOPE_AGENT_GOOD:
        snprintf(buf, len, "agents.%s.%s.%s", p->agents[r.e1].code, d->key,
                 p->goods[r.e2].name);
        break;
    case SCOPE_AGENT_AGENT:
        snprintf(buf, len, "agents.%s.%s.%s", p->agents[r.e1].code, d->key,
                 p->agents[r.e2].code);
        break;
    case SCOPE_PAIR:
        snprintf(buf, len, "pairs.%s_%s.%s", p->agents[r.e1].code,
                 p->agents[r.e2].code, d->key);
        break;
    case SCOPE_ROUTE:
        snprintf(buf, len, "routes.%s.%s", p->routes[r.e1].name, d->key);
        break;
    case SCOPE_ROUTE_GOOD:
        snprintf(buf, len, "routes.%s.%s.%s", p->routes[r.e1].name, d->key,
                 p->goods[r.e2].name);
        break;
    default: snprintf(buf, len, "%s", d->key); break;
    }
}
