/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * load.h - libconfig texts read by the program, with their @include
 * directives resolved here rather than by libconfig.
 *
 * Every file the program reads (scenarios, sweep files, targets and
 * measures) goes through cfg_read_file(): the file is read once (a pipe
 * such as /dev/stdin or <(...) too), checked as text, its includes
 * spliced in, its integers made exact, and the whole handed to libconfig
 * as one string.  A map from the lines of that string to the files and
 * lines they came from puts every message at the place the user wrote.
 *
 * Includes work like C's #include "...": a relative path is taken from
 * the directory of the file that holds the @include (from the current
 * directory when that file is a pipe), an absolute path as it is.  Only
 * regular files are included (not a FIFO, directory or device); an
 * include cycle is named with its chain; at most CFG_INCLUDE_DEPTH levels.
 *
 * Integers: libconfig 1.5 keeps a literal without the L suffix in 32 bits
 * (4294967297 becomes 1) and saturates or wraps larger ones.  Each integer
 * literal is therefore read here at 64 bits and handed on as the exact
 * value with the LL suffix; one that does not fit in 64 bits is refused,
 * as written.  So every integer setting is CONFIG_TYPE_INT64 and exact.
 *
 * Limits, refused with a message before libconfig sees the text: a string
 * (adjacent literals joined) of more than CFG_STRING_MAX bytes, a name or
 * number of more than CFG_TOKEN_MAX characters, more than CFG_TEXT_MAX
 * bytes in all.  A UTF-8 byte-order mark is skipped; UTF-16 is named.
 */
#ifndef SIM_IO_CONFIG_LOAD_H
#define SIM_IO_CONFIG_LOAD_H

#include <stddef.h>

#include <libconfig.h>

#include "io/config.h"

#define CFG_STRING_MAX 65535
#define CFG_TOKEN_MAX 1024
#define CFG_TEXT_MAX (256u << 20)
#define CFG_INCLUDE_DEPTH 16
#define CFG_INCLUDE_MAX 4096

typedef struct cfg_doc cfg_doc;

typedef struct {
    /* NULL, or a directory: an @include that resolves outside it is
     * refused (the fuzz harness keeps its inputs to their files) */
    const char *confine;
} cfg_opts;

/* Read, check and parse the file `path` (o may be NULL).  NULL with err
 * filled (err->resource set when the machine, not the input, failed:
 * too many open files, no memory). */
cfg_doc *cfg_read_file(const char *path, const cfg_opts *o, config_error *err);
/* The same for `len` bytes of text in memory, called `name` in messages.
 * There is no directory to resolve an @include against: one is refused. */
cfg_doc *cfg_read_text(const char *text, size_t len, const char *name,
                       config_error *err);
void cfg_free(cfg_doc *d);

config_setting_t *cfg_root(const cfg_doc *d);
/* The name of the file read (as given). */
const char *cfg_name(const cfg_doc *d);
/* The files read: [0] the file itself, then each included file as its
 * path was resolved, in the order met. */
int cfg_n_files(const cfg_doc *d);
const char *cfg_file(const cfg_doc *d, int k);

/* Where setting s was written: its file (NULL when s is not from a
 * cfg_doc) and *line (0 for the root or a setting made in memory). */
const char *cfg_where(const config_setting_t *s, int *line);

#endif
