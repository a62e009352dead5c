/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * get.c - errors and checked reads of libconfig settings (see get.h).
 */
#include "io/config/get.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/config/load.h"

/* 2^53: above it a double does not hold every integer */
#define EXACT_MAX 9007199254740992LL

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

int config_error_at(config_error *err, const char *file,
                    const config_setting_t *s, const char *key,
                    const char *fmt, ...)
{
    if (!err)
        return -1;
    int line = 0;
    const char *f = cfg_where(s, &line);
    memset(err, 0, sizeof *err);
    snprintf(err->file, sizeof err->file, "%s", f ? f : file ? file : "");
    err->line = line;
    snprintf(err->key, sizeof err->key, "%s", key ? key : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->reason, sizeof err->reason, fmt, ap);
    va_end(ap);
    return -1;
}

const char *cfg_num(double v, char *buf, size_t len)
{
    snprintf(buf, len, "%.10g", v);
    if (isfinite(v) && strtod(buf, NULL) != v)
        snprintf(buf, len, "%.17g", v);
    return buf;
}

const char *cfg_type_name(int t)
{
    switch (t) {
    case CONFIG_TYPE_GROUP: return "a group";
    case CONFIG_TYPE_INT:
    case CONFIG_TYPE_INT64: return "an integer";
    case CONFIG_TYPE_FLOAT: return "a real number";
    case CONFIG_TYPE_STRING: return "a string";
    case CONFIG_TYPE_BOOL: return "a boolean";
    case CONFIG_TYPE_ARRAY: return "an array";
    case CONFIG_TYPE_LIST: return "a list";
    default: return "a setting";
    }
}

/* "a real number (32.0)": the type of s and, for a scalar, its value. */
static const char *described(const config_setting_t *s, char *buf, size_t len)
{
    int t = config_setting_type(s);
    switch (t) {
    case CONFIG_TYPE_INT:
    case CONFIG_TYPE_INT64:
        snprintf(buf, len, "an integer (%lld)", config_setting_get_int64(s));
        break;
    case CONFIG_TYPE_FLOAT: {
        double v = config_setting_get_float(s);
        char num[40];
        snprintf(num, sizeof num, "%.17g", v);
        for (int digits = 1; digits <= 17; digits++) {
            snprintf(num, sizeof num, "%.*g", digits, v);
            if (strtod(num, NULL) == v || !isfinite(v))
                break;
        }
        snprintf(buf, len, "a real number (%s%s)", num,
                 strpbrk(num, ".eEni") ? "" : ".0");
        break;
    }
    case CONFIG_TYPE_STRING:
        snprintf(buf, len, "a string (\"%.40s%s\")", config_setting_get_string(s),
                 strlen(config_setting_get_string(s)) > 40 ? "..." : "");
        break;
    case CONFIG_TYPE_BOOL:
        snprintf(buf, len, "a boolean (%s)", config_setting_get_bool(s) ? "true" : "false");
        break;
    default:
        snprintf(buf, len, "%s", cfg_type_name(t));
    }
    return buf;
}

config_setting_t *cfg_get(const config_setting_t *g, const char *key)
{
    if (!g || config_setting_type(g) != CONFIG_TYPE_GROUP)
        return NULL;
    return config_setting_get_member(g, key);
}

int cfg_int(const config_setting_t *s, const char *path, long long lo,
            long long hi, long long *out, config_error *err)
{
    int t = config_setting_type(s);
    if (t != CONFIG_TYPE_INT && t != CONFIG_TYPE_INT64) {
        char got[128];
        return config_error_at(err, NULL, s, path,
                               "wrong type: expected an integer, got %s",
                               described(s, got, sizeof got));
    }
    long long v = config_setting_get_int64(s);
    if (v < lo || v > hi)
        return config_error_at(err, NULL, s, path,
                               "must be between %lld and %lld (got %lld)", lo, hi, v);
    *out = v;
    return 0;
}

int cfg_real(const config_setting_t *s, const char *path, double lo, double hi,
             double *out, config_error *err)
{
    char got[128], a[32], b[32], c[32];
    int t = config_setting_type(s);
    double v;
    if (t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64) {
        long long iv = config_setting_get_int64(s);
        /* compared as integers first: (double)iv may round */
        if ((long double)iv < (long double)lo || (long double)iv > (long double)hi)
            return config_error_at(err, NULL, s, path,
                                   "must be between %s and %s (got %lld)",
                                   cfg_num(lo, a, sizeof a), cfg_num(hi, b, sizeof b), iv);
        if (iv > EXACT_MAX || iv < -EXACT_MAX)
            return config_error_at(err, NULL, s, path,
                                   "%lld cannot be represented exactly as a real "
                                   "number (|x| > 2^53)", iv);
        v = (double)iv;
    } else if (t == CONFIG_TYPE_FLOAT) {
        v = config_setting_get_float(s);
        if (!isfinite(v))
            return config_error_at(err, NULL, s, path, "must be a finite number");
        if (v < lo || v > hi)
            return config_error_at(err, NULL, s, path,
                                   "must be between %s and %s (got %s)",
                                   cfg_num(lo, a, sizeof a), cfg_num(hi, b, sizeof b),
                                   cfg_num(v, c, sizeof c));
    } else {
        return config_error_at(err, NULL, s, path,
                               "wrong type: expected a number, got %s",
                               described(s, got, sizeof got));
    }
    *out = v;
    return 0;
}

int cfg_bool(const config_setting_t *s, const char *path, int *out,
             config_error *err)
{
    if (config_setting_type(s) != CONFIG_TYPE_BOOL) {
        char got[128];
        return config_error_at(err, NULL, s, path,
                               "wrong type: expected true or false, got %s",
                               described(s, got, sizeof got));
    }
    *out = config_setting_get_bool(s) != 0;
    return 0;
}

int cfg_string(const config_setting_t *s, const char *path, size_t max,
               const char **out, config_error *err)
{
    if (config_setting_type(s) != CONFIG_TYPE_STRING) {
        char got[128];
        return config_error_at(err, NULL, s, path,
                               "wrong type: expected a string, got %s",
                               described(s, got, sizeof got));
    }
    const char *v = config_setting_get_string(s);
    if (max == 0 || max > CFG_STRING_MAX)
        max = CFG_STRING_MAX;
    if (strlen(v) > max)
        return config_error_at(err, NULL, s, path, "longer than %zu characters", max);
    for (const char *q = v; *q; q++)
        if ((unsigned char)*q < 0x20 || *q == 0x7f)
            return config_error_at(err, NULL, s, path,
                                   "contains a control character (byte 0x%02x)",
                                   (unsigned char)*q);
    *out = v;
    return 0;
}

int cfg_parse_month(const char *text, int *ym)
{
    int y, m;
    char extra;
    if (!text || strlen(text) != 7 || text[4] != '-' ||
        sscanf(text, "%4d-%2d%c", &y, &m, &extra) != 2 || y < CFG_YEAR_MIN ||
        y > CFG_YEAR_MAX || m < 1 || m > 12)
        return -1;
    for (int k = 0; k < 7; k++)
        if (k != 4 && (text[k] < '0' || text[k] > '9'))
            return -1;
    *ym = y * 12 + m - 1;
    return 0;
}

void cfg_month_problem(const char *text, char *why, size_t len)
{
    snprintf(why, len, "expected a month \"YYYY-MM\" from %d-01 to %d-12 (got "
             "\"%.40s\")", CFG_YEAR_MIN, CFG_YEAR_MAX, text ? text : "");
}

int cfg_month(const config_setting_t *s, const char *path, int *ym,
              config_error *err)
{
    const char *text;
    if (cfg_string(s, path, 64, &text, err))
        return -1;
    if (cfg_parse_month(text, ym) == 0)
        return 0;
    char why[160];
    cfg_month_problem(text, why, sizeof why);
    return config_error_at(err, NULL, s, path, "%s", why);
}

/* The member, or an error / NULL when absent; *path set to prefix.key. */
static config_setting_t *member(const config_setting_t *g, const char *key,
                                const char *prefix, int required, char *path,
                                size_t len, int *rc, config_error *err)
{
    snprintf(path, len, "%s%s%s", prefix && prefix[0] ? prefix : "",
             prefix && prefix[0] ? "." : "", key);
    config_setting_t *s = cfg_get(g, key);
    *rc = 0;
    if (!s && required)
        *rc = config_error_at(err, NULL, g, path, "missing required key");
    return s;
}

int cfg_get_int(const config_setting_t *g, const char *key, const char *prefix,
                long long lo, long long hi, int required, long long *out,
                config_error *err)
{
    char path[300];
    int rc;
    config_setting_t *s = member(g, key, prefix, required, path, sizeof path, &rc, err);
    return s ? cfg_int(s, path, lo, hi, out, err) : rc;
}

int cfg_get_real(const config_setting_t *g, const char *key, const char *prefix,
                 double lo, double hi, int required, double *out,
                 config_error *err)
{
    char path[300];
    int rc;
    config_setting_t *s = member(g, key, prefix, required, path, sizeof path, &rc, err);
    return s ? cfg_real(s, path, lo, hi, out, err) : rc;
}

int cfg_get_bool(const config_setting_t *g, const char *key, const char *prefix,
                 int required, int *out, config_error *err)
{
    char path[300];
    int rc;
    config_setting_t *s = member(g, key, prefix, required, path, sizeof path, &rc, err);
    return s ? cfg_bool(s, path, out, err) : rc;
}

int cfg_get_string(const config_setting_t *g, const char *key,
                   const char *prefix, size_t max, int required,
                   const char **out, config_error *err)
{
    char path[300];
    int rc;
    config_setting_t *s = member(g, key, prefix, required, path, sizeof path, &rc, err);
    return s ? cfg_string(s, path, max, out, err) : rc;
}

int cfg_known(const config_setting_t *g, const char *const *keys,
              const char *prefix, config_error *err)
{
    for (int k = 0; k < config_setting_length(g); k++) {
        const config_setting_t *m = config_setting_get_elem(g, (unsigned)k);
        const char *name = config_setting_name(m);
        int ok = 0;
        for (const char *const *q = keys; *q && !ok; q++)
            ok = name && strcmp(name, *q) == 0;
        if (ok)
            continue;
        char path[300], list[400];
        size_t at = 0;
        list[0] = '\0';
        for (const char *const *q = keys; *q; q++)
            at += (size_t)snprintf(list + at, at < sizeof list ? sizeof list - at : 0,
                                   "%s%s", q == keys ? "" : ", ", *q);
        snprintf(path, sizeof path, "%s%s%s", prefix && prefix[0] ? prefix : "",
                 prefix && prefix[0] ? "." : "", name ? name : "?");
        return config_error_at(err, NULL, m, path, "unknown key (known: %s)", list);
    }
    return 0;
}
