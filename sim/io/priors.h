/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * priors.h - the priors of a scenario: every `<key>_prior` setting of the
 * libconfig tree, next to the parameter it belongs to, e.g.
 *
 *   relations = { gamma = 2.0;
 *                 gamma_prior = "lognormal(median=2, sd_log=0.7) [0.1, 10]"; };
 *   agents = { RUS = { capacity = { shells = 2.0e5;
 *                                   shells_prior = "normal(mean=2e5, sd=3e4)"; }; }; };
 *
 * (grammar in model/prior.h).  A prior is truncated to its parameter's
 * bounds; only real-valued parameters take one.
 */
#ifndef SIM_IO_PRIORS_H
#define SIM_IO_PRIORS_H

#include <stddef.h>

#include "io/config.h"
#include "model/params.h"

/* Is `name` the name of a prior setting ("<key>_prior")? */
int priors_is_key(const char *name);

/* Read every prior under `root` into p->priors (replacing any).  0, or -1
 * with err naming the file, line, key and reason. */
struct config_setting_t;
int priors_read(const struct config_setting_t *root, const char *file,
                model_params *p, config_error *err);

/* The config path of a parameter instance ("agents.RUS.capacity.shells"). */
void priors_param_path(const model_params *p, param_ref r, char *buf, size_t len);

#endif
