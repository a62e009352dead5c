/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * set.c - parameter paths and --set overrides through the parameter table.
 *
 * An override parses its value as the parameter's type, checks it against
 * the row's bounds, writes it into a copy of the parameters with
 * param_set(), fills the derived defaults again (a pair's base follows
 * its starting value unless given) and checks the world again (names
 * resolve, dated events stay after the start).  Only then does the copy
 * replace the parameters: a refused override changes nothing.
 */
#include "io/config/scenario.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/priors.h"

#define MAX_PATH_PARTS 5
#define EXACT_MAX 9007199254740992LL /* 2^53 */

static int fail(config_error *err, const char *key, int resource,
                const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int fail(config_error *err, const char *key, int resource,
                const char *fmt, ...)
{
    if (!err)
        return -1;
    memset(err, 0, sizeof *err);
    snprintf(err->file, sizeof err->file, "--set");
    snprintf(err->key, sizeof err->key, "%s", key ? key : "");
    err->resource = resource;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->reason, sizeof err->reason, fmt, ap);
    va_end(ap);
    return -1;
}

/* ---- paths ------------------------------------------------------------------------ */

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
        snprintf(why, len, "'%.80s' is not a parameter path such as trade.alpha "
                 "or agents.RUS.capacity.shells", path);
        return -1;
    }
    if (strcmp(c[0], "goods") == 0 && n == 3) {
        e1 = params_good_index(p, c[1]);
        if (e1 < 0) {
            snprintf(why, len, "no good named '%.60s'", c[1]);
            return -1;
        }
        d = param_find(SCOPE_GOOD, NULL, c[2]);
    } else if (strcmp(c[0], "agents") == 0 && (n == 3 || n == 4)) {
        e1 = params_agent_index(p, c[1]);
        if (e1 < 0) {
            snprintf(why, len, "no agent named '%.60s'", c[1]);
            return -1;
        }
        if (n == 3) {
            d = param_find(SCOPE_AGENT, NULL, c[2]);
        } else if ((d = param_find(SCOPE_AGENT_GOOD, NULL, c[2]))) {
            e2 = params_good_index(p, c[3]);
            if (e2 < 0) {
                snprintf(why, len, "no good named '%.60s'", c[3]);
                return -1;
            }
        } else if ((d = param_find(SCOPE_AGENT_AGENT, NULL, c[2]))) {
            e2 = params_agent_index(p, c[3]);
            if (e2 < 0) {
                snprintf(why, len, "no agent named '%.60s'", c[3]);
                return -1;
            }
        }
    } else if (strcmp(c[0], "pairs") == 0 && n == 3) {
        int rc = config_split_pair(p, c[1], &e1, &e2);
        if (rc || e1 == e2) {
            snprintf(why, len, "'%.100s' is not a pair of two known agents (A_B)",
                     c[1]);
            return -1;
        }
        d = param_find(SCOPE_PAIR, NULL, c[2]);
    } else if (strcmp(c[0], "routes") == 0 && (n == 3 || n == 4)) {
        e1 = params_route_index(p, c[1]);
        if (e1 < 0) {
            snprintf(why, len, "no route named '%.60s'", c[1]);
            return -1;
        }
        if (n == 3) {
            d = param_find(SCOPE_ROUTE, NULL, c[2]);
        } else if ((d = param_find(SCOPE_ROUTE_GOOD, NULL, c[2]))) {
            e2 = params_good_index(p, c[3]);
            if (e2 < 0) {
                snprintf(why, len, "no good named '%.60s'", c[3]);
                return -1;
            }
        }
    } else if (n == 2) {
        d = param_find(SCOPE_GLOBAL, c[0], c[1]);
    }
    if (!d) {
        snprintf(why, len, "unknown parameter '%.200s'", path);
        return -1;
    }
    ref->def = d;
    ref->e1 = e1;
    ref->e2 = e2;
    return 0;
}

/* ---- values ------------------------------------------------------------------------ */

/* A number for parameter d from text: 0 and *out, or -1 with why. */
static int parse_number(const param_def *d, const char *val, double *out,
                        char *why, size_t len)
{
    char *end = NULL;
    size_t digits = strspn(val + (*val == '-' || *val == '+'), "0123456789");
    if (*val && digits > 0 && val[(*val == '-' || *val == '+') + digits] == '\0') {
        /* an integer: exact at 64 bits, compared with the bounds as such */
        errno = 0;
        long long iv = strtoll(val, &end, 10);
        if (errno == ERANGE) {
            snprintf(why, len, "%.60s does not fit in a 64-bit integer", val);
            return -1;
        }
        if ((long double)iv < (long double)d->min || (long double)iv > (long double)d->max) {
            char a[32], b[32];
            snprintf(why, len, "must be between %s and %s (got %lld)",
                     cfg_num(d->min, a, sizeof a), cfg_num(d->max, b, sizeof b), iv);
            return -1;
        }
        if (iv > EXACT_MAX || iv < -EXACT_MAX) {
            snprintf(why, len, "%lld cannot be represented exactly (|x| > 2^53)", iv);
            return -1;
        }
        *out = (double)iv;
        return 0;
    }
    errno = 0;
    double v = strtod(val, &end);
    if (*val == '\0' || *end != '\0' || errno == ERANGE || isspace((unsigned char)*val)) {
        snprintf(why, len, "'%.60s' is not %s", val, config_ptype_name(d->type));
        return -1;
    }
    if (d->type == PT_INT && v != floor(v)) {
        snprintf(why, len, "'%.60s' is not an integer", val);
        return -1;
    }
    if (config_check_number(d, v, why, len))
        return -1;
    *out = v;
    return 0;
}

/* A string value: 1 to PARAM_NAME_MAX - 1 bytes, no control character. */
static int check_text(const char *val, char *why, size_t len)
{
    if (strlen(val) >= PARAM_NAME_MAX || strlen(val) == 0) {
        snprintf(why, len, "must be 1 to %d characters", PARAM_NAME_MAX - 1);
        return -1;
    }
    for (const char *q = val; *q; q++)
        if ((unsigned char)*q < 0x20 || *q == 0x7f) {
            snprintf(why, len, "contains a control character (byte 0x%02x)",
                     (unsigned char)*q);
            return -1;
        }
    return 0;
}

/* ---- applying --------------------------------------------------------------------- */

/* --set <path>_prior=TEXT: the prior of a real-valued parameter
 * (io/priors.h), replacing any it has.  A prior changes no value, so the
 * world needs no new check. */
static int set_prior(sim_config *c, const char *path, const char *val,
                     config_error *err)
{
    char stem[512], why[300];
    snprintf(stem, sizeof stem, "%.*s", (int)(strlen(path) - strlen("_prior")), path);
    param_ref ref;
    if (config_resolve_path(c->p, stem, &ref, why, sizeof why))
        return fail(err, path, 0, "%s", why);
    const param_def *d = ref.def;
    if (d->type != PT_REAL)
        return fail(err, path, 0, "only real-valued parameters take a prior");
    prior pr;
    if (prior_parse(val, &pr, why, sizeof why))
        return fail(err, path, 0, "%s", why);
    if (prior_truncate(&pr, d->min, d->max, why, sizeof why))
        return fail(err, path, 0, "within the parameter's bounds [%g, %g]: %s", d->min,
                    d->max, why);
    model_params *p = c->p;
    const prior *old = params_prior_of(p, ref);
    for (int k = 0; old && k < p->n_priors; k++)
        if (&p->priors[k].pr == old) {
            p->priors[k].pr = pr;
            return 0;
        }
    param_prior *grown = realloc(p->priors, ((size_t)p->n_priors + 1) * sizeof *grown);
    if (!grown)
        return fail(err, path, 1, "out of memory");
    p->priors = grown;
    p->priors[p->n_priors].ref = ref;
    p->priors[p->n_priors].pr = pr;
    p->n_priors++;
    return 0;
}

/* Check the world of q (with event dates ym); on success q replaces the
 * parameters of c and ym its event dates (both then owned by c). */
static int commit(sim_config *c, model_params *q, int *ym, const char *key,
                  config_error *err)
{
    char at[300], why[600];
    if (config_check_world(q, ym, at, sizeof at, why, sizeof why)) {
        params_free(q);
        free(ym);
        return fail(err, at[0] ? at : key, 0, "%s", why);
    }
    params_free(c->p);
    c->p = q;
    free(c->event_ym);
    c->event_ym = ym;
    return 0;
}

static int copies(const sim_config *c, model_params **q, int **ym, const char *key,
                  config_error *err)
{
    *q = params_copy(c->p);
    *ym = malloc(((size_t)c->p->n_events + 1) * sizeof **ym);
    if (!*q || !*ym) {
        params_free(*q);
        free(*ym);
        *q = NULL;
        *ym = NULL;
        fail(err, key, 1, "out of memory");
        return -1;
    }
    memcpy(*ym, c->event_ym, (size_t)c->p->n_events * sizeof **ym);
    return 0;
}

/* --set events.NAME.FIELD=value: the time (month or date), size (value)
 * or ramp of a named event. */
static int set_event_field(sim_config *c, const char *path, const char *val,
                           config_error *err)
{
    const char *rest = path + 7, *dot = strchr(rest, '.');
    if (!dot || dot == rest || (size_t)(dot - rest) >= PARAM_NAME_MAX)
        return fail(err, path, 0,
                    "an event field is events.NAME.month, .date, .value or .ramp");
    char name[PARAM_NAME_MAX];
    snprintf(name, sizeof name, "%.*s", (int)(dot - rest), rest);
    const char *field = dot + 1;
    int k = -1;
    for (int e = 0; e < c->p->n_events && k < 0; e++)
        if (strcmp(c->p->events[e].name, name) == 0)
            k = e;
    if (k < 0)
        return fail(err, path, 0,
                    "no event named '%s' (an event is named with name = \"...\")", name);
    int is_month = strcmp(field, "month") == 0, is_ramp = strcmp(field, "ramp") == 0;
    int is_value = strcmp(field, "value") == 0, is_date = strcmp(field, "date") == 0;
    if (!is_month && !is_ramp && !is_value && !is_date)
        return fail(err, path, 0,
                    "an event field is month, date, value or ramp, not '%.40s'", field);
    long long whole = 0;
    double num = 0.0;
    int ym = -1;
    char *end = NULL;
    if (is_month || is_ramp) {
        long long hi = is_month ? CONFIG_EVENT_MONTH_MAX : CONFIG_EVENT_RAMP_MAX;
        errno = 0;
        whole = strtoll(val, &end, 10);
        if (!*val || *end || errno == ERANGE || whole < 0 || whole > hi ||
            isspace((unsigned char)*val))
            return fail(err, path, 0, "'%.60s' is not a whole number of months from "
                        "0 to %lld", val, hi);
    } else if (is_value) {
        errno = 0;
        num = strtod(val, &end);
        if (!*val || *end || errno == ERANGE || !isfinite(num) ||
            isspace((unsigned char)*val))
            return fail(err, path, 0, "'%.60s' is not a number", val);
    } else if (cfg_parse_month(val, &ym)) {
        char why[160];
        cfg_month_problem(val, why, sizeof why);
        return fail(err, path, 0, "%s", why);
    }
    model_params *q;
    int *yms;
    if (copies(c, &q, &yms, path, err))
        return -1;
    event_spec *ev = &q->events[k];
    if (is_month) {
        ev->month = (int)whole;
        yms[k] = -1;
    } else if (is_ramp) {
        ev->ramp = (int)whole;
    } else if (is_value) {
        ev->value = num;
    } else {
        yms[k] = ym;
    }
    return commit(c, q, yms, path, err);
}

int config_apply_set(sim_config *c, const char *assignment, config_error *err)
{
    char why[300];
    const char *eq = assignment ? strchr(assignment, '=') : NULL;
    if (!eq || eq == assignment)
        return fail(err, assignment, 0, "expected path=value");
    char path[512];
    if ((size_t)(eq - assignment) >= sizeof path)
        return fail(err, "", 0, "parameter path too long");
    snprintf(path, sizeof path, "%.*s", (int)(eq - assignment), assignment);
    const char *val = eq + 1;
    if (strncmp(path, "events.", 7) == 0)
        return set_event_field(c, path, val, err);
    if (priors_is_key(path))
        return set_prior(c, path, val, err);
    param_ref ref;
    if (config_resolve_path(c->p, path, &ref, why, sizeof why))
        return fail(err, path, 0, "%s", why);
    const param_def *d = ref.def;
    double num = 0.0;
    switch (d->type) {
    case PT_REAL:
    case PT_INT:
        if (parse_number(d, val, &num, why, sizeof why))
            return fail(err, path, 0, "%s", why);
        break;
    case PT_BOOL:
        if (strcmp(val, "true") == 0 || strcmp(val, "1") == 0)
            num = 1;
        else if (strcmp(val, "false") == 0 || strcmp(val, "0") == 0)
            num = 0;
        else
            return fail(err, path, 0, "'%.60s' is not true or false", val);
        break;
    case PT_CHOICE:
        num = config_choice_index(d->choices, val);
        if (num < 0)
            return fail(err, path, 0, "'%.60s' is not one of %s", val, d->choices);
        break;
    case PT_STRING:
        if (check_text(val, why, sizeof why))
            return fail(err, path, 0, "%s", why);
        break;
    }
    model_params *q;
    int *ym;
    if (copies(c, &q, &ym, path, err))
        return -1;
    if (d->type == PT_STRING) {
        char *slot = param_addr(q, ref);
        if (!slot) {
            params_free(q);
            free(ym);
            return fail(err, path, 0, "cannot be set here");
        }
        snprintf(slot, PARAM_NAME_MAX, "%s", val);
    } else {
        param_set(q, ref, num);
    }
    config_derive(c, q, &ref);
    if (commit(c, q, ym, path, err))
        return -1;
    config_mark_given(c, ref);
    return 0;
}
