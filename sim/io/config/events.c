/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * events.c - the scheduled events of a scenario (events = ( ... ) and
 * variant.events), read and checked.
 */
#include "io/config/scenario.h"

#include <float.h>
#include <stdio.h>
#include <string.h>

static const char *const event_keys[] = {"month", "date", "kind", "path",
                                         "value", "ramp", "route", "a",
                                         "b", "agent", "note", "name", NULL};

void config_event_key(const model_params *p, int k, char *buf, size_t len)
{
    if (p->events[k].name[0])
        snprintf(buf, len, "events.%s", p->events[k].name);
    else
        snprintf(buf, len, "events.[%d]", k);
}

const char *config_event_problem(const model_params *p, const event_spec *ev,
                                 char *why, size_t len)
{
    char bounds[300];
    if (ev->month < 0 || ev->month > CONFIG_EVENT_MONTH_MAX)
        snprintf(why, len, "month must be between 0 and %d (got %d)",
                 CONFIG_EVENT_MONTH_MAX, ev->month);
    else if (ev->ramp < 0 || ev->ramp > CONFIG_EVENT_RAMP_MAX)
        snprintf(why, len, "ramp must be a whole number of months from 0 to %d "
                 "(got %d)", CONFIG_EVENT_RAMP_MAX, ev->ramp);
    else if ((ev->kind == EV_SET || ev->kind == EV_ADD) && ev->ref.def->type == PT_BOOL &&
             (ev->kind == EV_ADD || ev->ramp > 0 || (ev->value != 0.0 && ev->value != 1.0)))
        snprintf(why, len, "%s is true or false: an event sets it to 0 or 1 at "
                 "once (no add, no ramp, no fraction)", ev->label);
    else if (ev->kind == EV_SET &&
             config_check_number(ev->ref.def, ev->value, bounds, sizeof bounds))
        snprintf(why, len, "value for %s %s", ev->label, bounds);
    else if (ev->kind == EV_FLAREUP && ev->actor == ev->target)
        snprintf(why, len, "a and b are the same agent");
    else if (ev->kind == EV_FLAREUP && (ev->value < -1 || ev->value > 1))
        snprintf(why, len, "value must be between -1 and 1 (got %g)", ev->value);
    else if (ev->kind == EV_UNFREEZE && (ev->value < 0 || ev->value > 1e15))
        snprintf(why, len, "value must be between 0 and 1e15 USD (got %g)", ev->value);
    else
        return NULL;
    (void)p;
    return why;
}

static int event_agent(const model_params *p, const config_setting_t *e,
                       const char *key, const char *path, int *out,
                       config_error *err)
{
    const char *code;
    char full[300];
    snprintf(full, sizeof full, "%s.%s", path, key);
    if (cfg_get_string(e, key, path, PARAM_NAME_MAX - 1, 1, &code, err))
        return -1;
    *out = params_agent_index(p, code);
    if (*out < 0)
        return config_error_at(err, NULL, cfg_get(e, key), full,
                               "no agent named '%s'", code);
    return 0;
}

/* value: a number (true and false count as 1 and 0) */
static int event_value(const config_setting_t *e, const char *path, double *out,
                       config_error *err)
{
    char full[300];
    snprintf(full, sizeof full, "%s.value", path);
    const config_setting_t *s = cfg_get(e, "value");
    if (!s)
        return config_error_at(err, NULL, e, full, "missing required key");
    if (config_setting_type(s) == CONFIG_TYPE_BOOL) {
        *out = config_setting_get_bool(s) ? 1.0 : 0.0;
        return 0;
    }
    return cfg_real(s, full, -DBL_MAX, DBL_MAX, out, err);
}

static int event_month(const model_params *p, const config_setting_t *e,
                       const char *path, int *month, int *ym, config_error *err)
{
    const config_setting_t *m = cfg_get(e, "month"), *d = cfg_get(e, "date");
    char full[300];
    *ym = -1;
    if (!!m == !!d)
        return config_error_at(err, NULL, e, path,
                               "give exactly one of 'month' (step) or 'date' (YYYY-MM)");
    if (m) {
        long long v;
        snprintf(full, sizeof full, "%s.month", path);
        if (cfg_int(m, full, 0, CONFIG_EVENT_MONTH_MAX, &v, err))
            return -1;
        *month = (int)v;
        return 0;
    }
    snprintf(full, sizeof full, "%s.date", path);
    if (cfg_month(d, full, ym, err))
        return -1;
    *month = *ym - (p->start_year * 12 + p->start_month - 1);
    if (*month < 0)
        return config_error_at(err, NULL, d, full, "%s is before the start %s",
                               config_setting_get_string(d), p->g.start);
    return 0;
}

int config_build_event(const model_params *p, const config_setting_t *e,
                       int k, event_spec *ev, int *ym, config_error *err)
{
    char path[96], why[400];
    snprintf(path, sizeof path, "events.[%d]", k);
    if (config_setting_type(e) != CONFIG_TYPE_GROUP)
        return config_error_at(err, NULL, e, path, "each event is a group { ... }");
    for (int q = 0; q < config_setting_length(e); q++) {
        const config_setting_t *m = config_setting_get_elem(e, (unsigned)q);
        int known = 0;
        for (const char *const *key = event_keys; *key && !known; key++)
            known = strcmp(config_setting_name(m), *key) == 0;
        if (!known) {
            char full[300];
            snprintf(full, sizeof full, "%s.%s", path, config_setting_name(m));
            return config_error_at(err, NULL, m, full, "unknown key");
        }
    }
    const char *name = NULL, *note = NULL;
    if (cfg_get_string(e, "note", path, 0, 0, &note, err))
        return -1;
    const config_setting_t *nm = cfg_get(e, "name");
    if (nm) {
        if (config_setting_type(nm) != CONFIG_TYPE_STRING ||
            !config_valid_name(name = config_setting_get_string(nm), 1))
            return config_error_at(err, NULL, nm, path,
                                   "an event's name is a letter followed by letters, "
                                   "digits or '_' (at most %d)", PARAM_NAME_MAX - 1);
        snprintf(ev->name, sizeof ev->name, "%s", name);
        snprintf(path, sizeof path, "events.%s", name);
    }
    if (event_month(p, e, path, &ev->month, ym, err))
        return -1;
    const config_setting_t *ks = cfg_get(e, "kind");
    const char *kind = ks ? config_setting_get_string(ks) : NULL;
    if (!kind)
        return config_error_at(err, NULL, ks ? ks : e, path, "missing 'kind' (a string)");
    int kd = -1;
    for (int q = 0; q <= EV_EXPEL; q++)
        if (strcmp(kind, event_kind_names[q]) == 0)
            kd = q;
    if (kd < 0)
        return config_error_at(err, NULL, ks, path,
                               "unknown kind '%.60s' (set, add, route_open, "
                               "route_close, flareup, unfreeze, admit, expel)", kind);
    ev->kind = (event_kind)kd;
    ev->actor = ev->target = -1;
    const config_setting_t *rs = cfg_get(e, "ramp");
    if (rs) {
        int t = config_setting_type(rs);
        long long v = t == CONFIG_TYPE_INT64 || t == CONFIG_TYPE_INT
                          ? config_setting_get_int64(rs) : -1;
        if (v < 0 || v > CONFIG_EVENT_RAMP_MAX) {
            char got[64];
            if (t == CONFIG_TYPE_INT64 || t == CONFIG_TYPE_INT)
                snprintf(got, sizeof got, "%lld", v);
            else if (t == CONFIG_TYPE_FLOAT)
                snprintf(got, sizeof got, "%g, a real number", config_setting_get_float(rs));
            else
                snprintf(got, sizeof got, "%s", cfg_type_name(t));
            return config_error_at(err, NULL, e, path,
                                   "ramp must be a whole number of months from 0 "
                                   "to %d (got %s)", CONFIG_EVENT_RAMP_MAX, got);
        }
        ev->ramp = (int)v;
    }
    switch (ev->kind) {
    case EV_SET:
    case EV_ADD: {
        const config_setting_t *ps = cfg_get(e, "path");
        const char *ppath = ps ? config_setting_get_string(ps) : NULL;
        if (!ppath)
            return config_error_at(err, NULL, ps ? ps : e, path,
                                   "missing 'path' (a string naming a parameter)");
        if (config_resolve_path(p, ppath, &ev->ref, why, sizeof why))
            return config_error_at(err, NULL, ps, path, "%s", why);
        if (ev->ref.def->type == PT_STRING || ev->ref.def->type == PT_CHOICE)
            return config_error_at(err, NULL, ps, path,
                                   "%s is not a number and cannot be changed by an "
                                   "event", ppath);
        if (event_value(e, path, &ev->value, err))
            return -1;
        snprintf(ev->label, sizeof ev->label, "%s", ppath);
        param_scope sc = ev->ref.def->scope;
        if (sc == SCOPE_AGENT || sc == SCOPE_AGENT_GOOD || sc == SCOPE_AGENT_AGENT ||
            sc == SCOPE_PAIR)
            ev->actor = ev->ref.e1;
        if (sc == SCOPE_AGENT_AGENT || sc == SCOPE_PAIR)
            ev->target = ev->ref.e2;
        break;
    }
    case EV_ROUTE_OPEN:
    case EV_ROUTE_CLOSE: {
        const config_setting_t *r = cfg_get(e, "route");
        const char *rn = r ? config_setting_get_string(r) : NULL;
        if (!rn)
            return config_error_at(err, NULL, r ? r : e, path,
                                   "missing 'route' (a route name)");
        ev->actor = params_route_index(p, rn);
        if (ev->actor < 0)
            return config_error_at(err, NULL, r, path, "no route named '%.60s'", rn);
        snprintf(ev->label, sizeof ev->label, "%s", rn);
        break;
    }
    case EV_FLAREUP:
        if (event_agent(p, e, "a", path, &ev->actor, err) ||
            event_agent(p, e, "b", path, &ev->target, err) ||
            event_value(e, path, &ev->value, err))
            return -1;
        snprintf(ev->label, sizeof ev->label, "rivalry");
        break;
    case EV_UNFREEZE:
        if (event_agent(p, e, "agent", path, &ev->actor, err) ||
            event_value(e, path, &ev->value, err))
            return -1;
        snprintf(ev->label, sizeof ev->label, "cash");
        break;
    default: /* admit, expel */
        if (event_agent(p, e, "agent", path, &ev->actor, err))
            return -1;
        snprintf(ev->label, sizeof ev->label, "member");
        break;
    }
    if (config_event_problem(p, ev, why, sizeof why))
        return config_error_at(err, NULL, e, path, "%s", why);
    return 0;
}
