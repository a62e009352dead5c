/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * fuzz_config.c - libFuzzer harness for the scenario loader.
 *
 *   bytes -> config_load_string(text, "fuzz.cfg", &err)
 *   loaded -> config_resolved_text() must load again (a resolved config
 *             always reloads) and resolve to the same text (a fixpoint:
 *             "loading this file reproduces the run exactly").
 *
 * An input holding an @include directive is refused by the loader itself
 * (a text in memory has no directory to include from): no file is ever
 * opened.  The include resolver is fuzzed with real files by
 * fuzz_include.c.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* config_load_file() reads (and checks) at most 64 KiB; stay near that. */
#define FUZZ_MAX_INPUT (1u << 17)

/* A smaller ASan quarantine (default 256 MB): every input frees and
 * allocates whole parameter sets, and cycling the big quarantine through
 * fresh pages halves the speed.  Use-after-free within the last 32 MB of
 * frees is still caught.  ASAN_OPTIONS overrides this. */
const char *__asan_default_options(void);
const char *__asan_default_options(void) { return "quarantine_size_mb=32"; }

/* libconfig 1.5 (Debian 12) leaks the text of a string token when the
 * parse fails right after it (input `""` loses 1 byte; fixed upstream in
 * 1.7).  config_destroy() cannot reach it, so it is suppressed; the
 * frames are libconfig's lexer only, so a config this program forgets to
 * destroy (allocated in config_setting_create) is still reported. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:libconfig_yylex\nleak:strbuf_append\n";
}

static void die(const char *what, const char *detail, const char *text)
{
    fprintf(stderr, "fuzz_config: %s: %s\n", what, detail);
    if (text)
        fprintf(stderr, "---- text ----\n%s\n---- end ----\n", text);
    abort();
}

/* First line where a and b differ, for the report. */
static void first_difference(const char *a, const char *b, char *buf,
                             size_t len)
{
    int line = 1;
    const char *la = a, *lb = b;
    while (*a && *a == *b) {
        if (*a == '\n') {
            line++;
            la = a + 1;
            lb = b + 1;
        }
        a++;
        b++;
    }
    snprintf(buf, len, "line %d: '%.*s' then '%.*s'", line,
             (int)strcspn(la, "\n"), la, (int)strcspn(lb, "\n"), lb);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > FUZZ_MAX_INPUT)
        return -1;
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';

    config_error err;
    memset(&err, 0, sizeof err);
    sim_config *c = config_load_string(text, "fuzz.cfg", &err);
    char line[1200];
    if (!c) {
        config_error_format(&err, line, sizeof line);
        if (!err.reason[0])
            die("load failed without a reason", line, NULL);
        free(text);
        return 0;
    }
    char *resolved = config_resolved_text(c);
    if (!resolved)
        die("config_resolved_text", "returned NULL", NULL);
    memset(&err, 0, sizeof err);
    sim_config *again = config_load_string(resolved, "resolved.cfg", &err);
    if (!again) {
        config_error_format(&err, line, sizeof line);
        die("the resolved text does not load", line, resolved);
    }
    char *twice = config_resolved_text(again);
    if (!twice)
        die("config_resolved_text (reloaded)", "returned NULL", NULL);
    if (strcmp(resolved, twice) != 0) {
        first_difference(resolved, twice, line, sizeof line);
        die("the resolved text is not a fixpoint", line, resolved);
    }
    free(twice);
    config_free(again);
    free(resolved);
    config_free(c);
    free(text);
    return 0;
}
