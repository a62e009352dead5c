/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * fuzz_set.c - libFuzzer harness for --set overrides (config_apply_set).
 *
 *   bytes -> lines; the built-in baseline (sim_embedded_baseline), loaded
 *   in LLVMFuzzerInitialize, is where every input starts, and each line is
 *   applied with config_apply_set(c, line, &err).  Errors are fine;
 *   crashes, leaks and undefined behaviour are not.  When any line was
 *   accepted the result must still resolve to a text that reloads and
 *   resolves to itself.
 *
 * The same baseline for every input: there is no config copy function,
 * and loading the baseline costs milliseconds under ASan.  So the loaded
 * baseline is kept and loaded again only when a line was accepted: a
 * refused line leaves the configuration as it was (config_apply_set
 * works on a copy of the parameters and replaces them only when every
 * check passed), which the harness checks too (the parameters are the
 * same object after a refusal).
 *
 * Every line is applied, even after a rejected one (the CLI stops at the
 * first error); at most FUZZ_MAX_LINES lines per input, since each
 * accepted line rebuilds the whole parameter set.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "io/config.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX_INPUT 4096
#define FUZZ_MAX_LINES 16

static sim_config *base; /* the baseline, unchanged since loaded */

/* A smaller ASan quarantine (default 256 MB): every input frees and
 * allocates whole parameter sets, and cycling the big quarantine through
 * fresh pages halves the speed.  Use-after-free within the last 32 MB of
 * frees is still caught.  ASAN_OPTIONS overrides this. */
const char *__asan_default_options(void);
const char *__asan_default_options(void) { return "quarantine_size_mb=32"; }

static void die(const char *what, const char *detail, const char *text)
{
    fprintf(stderr, "fuzz_set: %s: %s\n", what, detail);
    if (text)
        fprintf(stderr, "---- text ----\n%s\n---- end ----\n", text);
    abort();
}

static sim_config *load_baseline(void)
{
    config_error err;
    memset(&err, 0, sizeof err);
    sim_config *c = config_load_string(sim_embedded_baseline,
                                       SIM_EMBEDDED_NAME, &err);
    if (!c) {
        char line[1200];
        config_error_format(&err, line, sizeof line);
        die("the built-in baseline does not load", line, NULL);
    }
    return c;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    base = load_baseline();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > FUZZ_MAX_INPUT)
        return -1;
    char *buf = malloc(size + 1);
    if (!buf)
        return 0;
    memcpy(buf, data, size);
    buf[size] = '\0';

    if (!base)
        base = load_baseline();
    sim_config *c = base;
    int accepted = 0, lines = 0;
    char msg[1200];
    for (char *line = buf, *next; line && lines < FUZZ_MAX_LINES;
         line = next, lines++) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        config_error err;
        memset(&err, 0, sizeof err);
        const model_params *before = config_params(c);
        if (config_apply_set(c, line, &err) == 0) {
            accepted++;
        } else {
            config_error_format(&err, msg, sizeof msg);
            if (!err.reason[0])
                die("config_apply_set failed without a reason", msg, line);
            if (config_params(c) != before)
                die("a refused line changed the parameters", msg, line);
        }
        /* the parameters stay usable after each call, accepted or not */
        if (!config_params(c))
            die("config_params", "NULL after config_apply_set", line);
    }
    if (accepted) {
        char *resolved = config_resolved_text(c);
        if (!resolved)
            die("config_resolved_text", "returned NULL", NULL);
        config_error err;
        memset(&err, 0, sizeof err);
        sim_config *again = config_load_string(resolved, "resolved.cfg", &err);
        if (!again) {
            config_error_format(&err, msg, sizeof msg);
            die("the resolved text does not load", msg, resolved);
        }
        char *twice = config_resolved_text(again);
        if (!twice || strcmp(resolved, twice) != 0)
            die("the resolved text is not a fixpoint", "", resolved);
        free(twice);
        config_free(again);
        free(resolved);
    }
    if (accepted) {
        config_free(base);
        base = NULL;
    }
    free(buf);
    return 0;
}
