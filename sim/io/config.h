/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * config.h - scenario files (libconfig) -> validated model parameters.
 *
 * Loading is table-driven: every key is checked against param_table[]
 * (params.h) for its scope, type and bounds.  Errors are values: each
 * function fills a config_error with the file, the line libconfig knows,
 * the key and the reason, and the CLI prints it as one line.
 *
 *   sim_config *c = config_load_file("scenarios/x.cfg", &err);
 *   config_apply_set(c, "trade.alpha=2", &err);     (any number of times)
 *   model_params *p = config_params(c);             (owned by c)
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

/* Read a libconfig file that is not a scenario (a sweep or targets file)
 * into cfg, or `text` (named `path` in messages) when not NULL, with
 * @include paths relative to the file's directory.  0; -1 with err filled:
 * the file, line and libconfig's reason, or the system's reason when the
 * file cannot be read. */
struct config_t;
int config_read_other(struct config_t *cfg, const char *path, const char *text,
                      config_error *err);

/* Call add(ctx, name) for the file at `path` and every file it @includes,
 * as libconfig opens them (the files a command reads, for io/publish.h).
 * A file that cannot be read or parsed gives what was found before the
 * error (its loader has reported it already).  0, or -1 when add does. */
int config_input_files(const char *path, int (*add)(void *ctx, const char *name),
                       void *ctx);

/* Parse and validate a scenario file.  @include paths are relative to the
 * directory of `path`.  NULL on failure with err filled. */
sim_config *config_load_file(const char *path, config_error *err);
/* The same from text in memory; `name` stands for the file in messages. */
sim_config *config_load_string(const char *text, const char *name,
                               config_error *err);
void config_free(sim_config *c);

/* Override one parameter: "path=value", e.g. "agents.RUS.sanctions=0.8".
 * The path must name an existing parameter instance (param table scope,
 * existing agent/good/route names); the value must parse as its type and
 * lie within its bounds.  0, or -1 with err. */
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

#endif
