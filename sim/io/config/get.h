/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * get.h - checked reads of libconfig settings, shared by the scenario
 * loader, sweep files (sweepfile.c) and measure files (targets.c).
 *
 * Each read checks the type and the bounds and, on failure, fills a
 * config_error with the setting's file and line (cfg_where), the key path
 * given and a reason that names the value as written.  Integers are
 * compared with their bounds at 64 bits before any conversion (the loader
 * hands on every integer literal exactly, see load.h).
 *
 *   long long n;
 *   if (cfg_get_int(group, "points", "sweep", 1, 100000000, 0, &n, err)) ...
 */
#ifndef SIM_IO_CONFIG_GET_H
#define SIM_IO_CONFIG_GET_H

#include <stddef.h>

#include <libconfig.h>

#include "io/config.h"

/* The calendar months a file may name ("YYYY-MM"). */
#define CFG_YEAR_MIN 1900
#define CFG_YEAR_MAX 2200

/* A number for messages: %.10g, or all the digits it needs when %.10g
 * would show another number (2^53 as 9007199254740992, not 9.007e+15). */
const char *cfg_num(double v, char *buf, size_t len);

/* "an integer", "a real number", ... for messages. */
const char *cfg_type_name(int type);

/* The member `key` of group g (NULL when absent or g is NULL). */
config_setting_t *cfg_get(const config_setting_t *g, const char *key);

/* The value of setting s, named `path` in messages.  0, or -1 with err. */
/* an integer within [lo, hi] (a real or a string is refused) */
int cfg_int(const config_setting_t *s, const char *path, long long lo,
            long long hi, long long *out, config_error *err);
/* a finite number within [lo, hi]; an integer is taken when a double holds
 * it exactly (|x| <= 2^53) */
int cfg_real(const config_setting_t *s, const char *path, double lo, double hi,
             double *out, config_error *err);
int cfg_bool(const config_setting_t *s, const char *path, int *out,
             config_error *err);
/* a string of at most `max` bytes with no control character */
int cfg_string(const config_setting_t *s, const char *path, size_t max,
               const char **out, config_error *err);
/* a month "YYYY-MM" from CFG_YEAR_MIN-01 to CFG_YEAR_MAX-12, as
 * year * 12 + month - 1 */
int cfg_month(const config_setting_t *s, const char *path, int *ym,
              config_error *err);

/* The same for the member `key` of group g, named prefix.key.  When it is
 * absent: an error if `required`, else 0 with *out untouched. */
int cfg_get_int(const config_setting_t *g, const char *key, const char *prefix,
                long long lo, long long hi, int required, long long *out,
                config_error *err);
int cfg_get_real(const config_setting_t *g, const char *key, const char *prefix,
                 double lo, double hi, int required, double *out,
                 config_error *err);
int cfg_get_bool(const config_setting_t *g, const char *key, const char *prefix,
                 int required, int *out, config_error *err);
int cfg_get_string(const config_setting_t *g, const char *key,
                   const char *prefix, size_t max, int required,
                   const char **out, config_error *err);

/* Every member of group g is one of `keys` (NULL-terminated): else an
 * "unknown key" error at the first that is not, naming the known ones. */
int cfg_known(const config_setting_t *g, const char *const *keys,
              const char *prefix, config_error *err);

/* "YYYY-MM" within the years above: 0 and *ym; -1 otherwise. */
int cfg_parse_month(const char *text, int *ym);
/* The reason a month text is refused, into why. */
void cfg_month_problem(const char *text, char *why, size_t len);

#endif
