/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * fuzz_export.c - libFuzzer harness for `sim export --csv` (export_csv).
 *
 *   bytes -> one temporary file -> export_csv(path, DIR/out, ...)
 *   must return EXPORT_OK, or an error with a one-line message; leave no
 *   HDF5 identifier open; on success leave exactly values.csv, events.csv
 *   and runs.csv in DIR/out, and on failure nothing at all (the directory
 *   it made is removed again, no temporary file is left).
 *
 * The size of the blocks read (1 to 4096 values), the runs exported (all,
 * or from run 1) and the variables (all of them for one input in five,
 * else three whose names appear in the input's bytes, as link names do)
 * are taken from the input, so that the hyperslab walk is exercised with
 * every shape of block, a run range and a selection, and an input always
 * reproduces itself.  Three variables rather than all 28 make an input
 * three times faster: each variable costs HDF5 the same work.  A file that would give more
 * than 20000 rows is refused (export_opts.max_rows): a crafted file can
 * declare 2^62 runs in a few bytes, and writing those rows is not what is
 * being tested.
 *
 * The output directory is made under $FUZZ_OUT_DIR (run_fuzz.sh points it
 * at a directory in /dev/shm when it can: no disk I/O, no fsync cost),
 * else under $TMPDIR.  The input file, the identifier count
 * and the sanitizer settings are those of h5fuzz.h.
 *
 * FUZZ_DEBUG=1 in the environment prints each input's status and message.
 */
#define _GNU_SOURCE /* memmem */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "h5fuzz.h"
#include "io/export.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX_ROWS 20000.0

static char parent[4096], out[4200];

static void remove_parent(void)
{
    rmdir(out);
    rmdir(parent);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    h5fuzz_init("fuzz_export");
    const char *base = getenv("FUZZ_OUT_DIR");
    snprintf(parent, sizeof parent, "%s/fuzz_export.XXXXXX",
             base && base[0] ? base : h5fuzz_tmpdir());
    if (!mkdtemp(parent))
        h5fuzz_die("mkdtemp", parent);
    snprintf(out, sizeof out, "%s/out", parent);
    atexit(remove_parent);
    return 0;
}

/* The files in out (-1: no directory); each removed. */
static int clear_out(int *tables)
{
    DIR *d = opendir(out);
    struct dirent *e;
    int n = 0;
    *tables = 0;
    if (!d)
        return -1;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char path[4500];
        snprintf(path, sizeof path, "%s/%s", out, e->d_name);
        *tables += strcmp(e->d_name, EXPORT_VALUES) == 0 ||
                   strcmp(e->d_name, EXPORT_EVENTS) == 0 ||
                   strcmp(e->d_name, EXPORT_RUNS) == 0;
        unlink(path);
        n++;
    }
    closedir(d);
    rmdir(out);
    return n;
}

/* Up to three variables named in the input (NULL: all of them). */
static const char *const *pick_vars(const uint8_t *data, size_t size, int *n,
                                    const char **buf)
{
    const char *const *all = output_var_names();
    const char *found[64];
    int n_found = 0;
    *n = 0;
    if (size % 5 == 0)
        return NULL;
    for (int k = 0; all[k] && n_found < 64; k++)
        if (memmem(data, size, all[k], strlen(all[k])))
            found[n_found++] = all[k];
    for (int k = 0; k < 3 && k < n_found; k++) /* distinct: k < n_found */
        buf[(*n)++] = found[(size / 7 + (size_t)k) % (size_t)n_found];
    return *n ? buf : NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (h5fuzz_write(data, size) < 0)
        return -1;
    const char *vbuf[3];
    int n_vars;
    const char *const *vars = pick_vars(data, size, &n_vars, vbuf);
    hsize_t before[H5FUZZ_TYPES];
    h5fuzz_count(before);
    char err[1024];
    memset(err, 0, sizeof err);
    export_opts o = {.dir = out, .first_run = size % 3 == 2, .last_run = -1,
                     .vars = vars, .n_vars = n_vars,
                     .max_rows = FUZZ_MAX_ROWS,
                     .block = 1 + (size * 2654435761u) % 4096};
    export_counts n;
    export_status st = export_csv(h5fuzz_path, &o, &n, err, sizeof err);
    if (getenv("FUZZ_DEBUG"))
        fprintf(stderr, "fuzz_export: status %d: %s\n", (int)st, err);
    if (st != EXPORT_OK && st != EXPORT_BAD_INPUT && st != EXPORT_FAILED) {
        char s[32];
        snprintf(s, sizeof s, "%d", (int)st);
        h5fuzz_die("export_csv returned no export_status", s);
    }
    if (st != EXPORT_OK)
        h5fuzz_expect_line("export_csv", err);
    h5fuzz_expect_closed(before, "export_csv", (int)st);
    int tables, files = clear_out(&tables);
    if (st == EXPORT_OK && (files != 3 || tables != 3)) {
        char s[64];
        snprintf(s, sizeof s, "%d files, %d of them tables", files, tables);
        h5fuzz_die("export_csv succeeded without exactly the three tables", s);
    }
    if (st != EXPORT_OK && files >= 0) {
        char s[64];
        snprintf(s, sizeof s, "%d files left (%s)", files, err);
        h5fuzz_die("export_csv failed and left its directory", s);
    }
    return 0;
}
