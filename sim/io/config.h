/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * config.h - scenario files (libconfig) -> validated model parameters.
 *
 * Loading is table-driven: every key is checked against param_table[]
 * (params.h) for its scope, type and bounds.  Errors are values: each
 * function fills a config_error with the file and line the setting was
 * written on (an included file's own), the key and the reason, and the
 * CLI prints it as one line.
 *
 *   sim_config *c = config_load_file("scenarios/x.cfg", &err);
 *   config_apply_set(c, "trade.alpha=2", &err);     (any number of times)
 *   model_params *p = config_params(c);             (owned by c)
 *
 * The implementation is in io/config/: load.c (reading, @include),
 * get.c (checked reads and errors), build.c (the tree -> parameters),
 * events.c, set.c (--set through the parameter table) and write.c (the
 * resolved text, escaped).
 */
#ifndef SIM_IO_CONFIG_H
#define SIM_IO_CONFIG_H

#include <stddef.h>
#include <stdio.h>

#include "model/params.h"

typedef struct {
    char file[256];
    int line;        /* 0 when unknown */
    char key[256];   /* config path, "" when none */
    char reason[512];
    int resource;    /* 1: the machine failed (no memory, too many open
                      * files), not the input: exit 1, not 2 */
} config_error;

/* Format an error as one line: "FILE:LINE: KEY: REASON". */
void config_error_format(const config_error *e, char *buf, size_t len);

typedef struct sim_config sim_config;

/* Fill err for a problem at setting s of a libconfig file: the file s came
 * from (an @include, or `file` when s is NULL or has none), its line, the
 * key and the reason.  Returns -1, for `return config_error_at(...)`. */
struct config_setting_t;
int config_error_at(config_error *err, const char *file,
                    const struct config_setting_t *s, const char *key,
                    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Parse and validate a scenario file (read once: it may be a pipe).  An
 * @include path is relative to the directory of the file that holds it
 * (io/config/load.h).  NULL on failure with err filled. */
sim_config *config_load_file(const char *path, config_error *err);
/* The same from text in memory; `name` stands for the file in messages.
 * The text may not @include (there is no directory to include from). */
sim_config *config_load_string(const char *text, const char *name,
                               config_error *err);
void config_free(sim_config *c);

/* The files a scenario was read from, as the loader opened them: [0] the
 * file given to config_load_file, then every file it @includes, nested
 * ones too, each by the path the loader resolved (relative to the file
 * that holds the @include).  None for config_load_string.  These are the
 * inputs an output must not overwrite (io/publish.h). */
int config_n_files(const sim_config *c);
const char *config_file(const sim_config *c, int k);

/* Call add(ctx, name) for the file at `path` and every file it @includes,
 * as the loader resolves and opens them (a sweep, targets or measures
 * file, or a scenario not loaded as a sim_config).  A path that is not a
 * regular file (a pipe, which cannot be read twice) is passed on alone,
 * unread; a file that cannot be read or parsed, alone too (its loader
 * reports the error).  0, or -1 when add does. */
int config_input_files(const char *path, int (*add)(void *ctx, const char *name),
                       void *ctx);

/* Override one parameter: "path=value", e.g. "agents.RUS.sanctions=0.8",
 * or a field of a named event, "events.NAME.month" (.date, .value, .ramp).
 * The path must name an existing parameter instance (param table scope,
 * existing agent/good/route names); the value must parse as its type and
 * lie within its bounds, and the world must stay valid (names resolve,
 * dated events stay after the start).  The parameters are changed through
 * the table (no re-parse).  0, or -1 with err and the configuration
 * unchanged. */
int config_apply_set(sim_config *c, const char *assignment, config_error *err);

/* The validated parameters (owned by the config, valid until the next
 * config_apply_set or config_free). */
const model_params *config_params(const sim_config *c);

/* Variables chosen by output.variables (NULL and 0 when all). */
const char *const *config_output_vars(const sim_config *c, int *n);

/* Resolve a parameter path ("agents.RUS.capacity.shells") against p.
 * 0, or -1 with a reason. */
int config_resolve_path(const model_params *p, const char *path,
                        param_ref *ref, char *why, size_t len);

/* Write every parameter, default or given, as a libconfig file that loads
 * back to the same parameters (units in comments). */
int config_write_resolved(const sim_config *c, FILE *out);
/* The same into a malloc'ed string (NULL when memory is short). */
char *config_resolved_text(const sim_config *c);

/* Write s as a libconfig string literal: quoted, with '"', '\\' and
 * control characters escaped, so that it reads back as s.  Every config
 * the program writes (the resolved text, calibrated.cfg) goes through it. */
void config_put_string(FILE *f, const char *s);

#endif
