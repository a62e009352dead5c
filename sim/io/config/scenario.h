/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * scenario.h - what the files of io/config/ share about a loaded scenario
 * (internal to the config module; the public interface is io/config.h).
 */
#ifndef SIM_IO_CONFIG_SCENARIO_H
#define SIM_IO_CONFIG_SCENARIO_H

#include <stddef.h>

#include <libconfig.h>

#include "io/config.h"
#include "io/config/get.h"
#include "io/config/load.h"

/* events.[k] month limit, and the ramp's */
#define CONFIG_EVENT_MONTH_MAX 100000
#define CONFIG_EVENT_RAMP_MAX 1200
#define CONFIG_EVENT_WINDOW_MAX 24

struct sim_config {
    char name[256];         /* the file, for messages */
    model_params *p;
    char **vars;            /* output.variables */
    int n_vars;
    /* rows of param_table with a def_from: which instances were given (in
     * the file or by --set) rather than derived; [param_table_len], NULL
     * for the other rows, else [n1 * n2] */
    unsigned char **given;
    /* [n_events]: year * 12 + month - 1 of an event given by date (it
     * moves with scenario.start), -1 for one given by month */
    int *event_ym;
    /* the files read (cfg_file of the loader's document): [0] the file,
     * then its includes as resolved; none when read from text */
    char **files;
    int n_files;
};

/* ---- build.c ------------------------------------------------------------------ */

const char *config_ptype_name(param_type t);
/* The bounds check of files, --set and events: 0, or -1 with why. */
int config_check_number(const param_def *d, double v, char *why, size_t len);
int config_choice_index(const char *choices, const char *s);
const char *config_choice_name(const char *choices, int idx, char *buf,
                               size_t len);
/* Is name usable as an agent code (no '_') or a good, route or event name? */
int config_valid_name(const char *name, int allow_underscore);
/* "A_B" -> agent indices: 0; -1 when not of that form; -2 unknown agent. */
int config_split_pair(const model_params *p, const char *name, int *i, int *j);
/* Is instance r given (not derived)?  Mark it. */
int config_is_given(const sim_config *c, param_ref r);
void config_mark_given(sim_config *c, param_ref r);
/* Fill every instance of a row with a def_from that is not given (nor
 * `also`, when not NULL) from its source parameter. */
void config_derive(const sim_config *c, model_params *p, const param_ref *also);
/* The checks that span parameters, after the file is read or a value
 * changed: names resolve (params_resolve), routes, coordinates, the
 * scenario's name; with event_ym (not NULL) also each event, dated events
 * placed after the start.  0, or -1 with the key and the reason. */
int config_check_world(model_params *p, const int *event_ym, char *key,
                       size_t klen, char *why, size_t wlen);

/* ---- events.c ----------------------------------------------------------------- */

/* Read event group e (number k, for messages) into ev; *ym as for
 * sim_config.event_ym.  Needs p's start resolved. */
int config_build_event(const model_params *p, const config_setting_t *e,
                       int k, event_spec *ev, int *ym, config_error *err);
/* What is wrong with ev (month, ramp, value for its kind), or NULL;
 * written into why. */
const char *config_event_problem(const model_params *p, const event_spec *ev,
                                 char *why, size_t len);
/* The key of event k in messages: events.NAME or events.[k]. */
void config_event_key(const model_params *p, int k, char *buf, size_t len);

#endif
