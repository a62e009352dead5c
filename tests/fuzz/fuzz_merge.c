/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * fuzz_merge.c - libFuzzer harness for `sim merge` (merge_files, which
 * reads its inputs with output_reader_* and writes with output_*).
 *
 *   bytes -> one temporary file -> merge_files({path}, 1, DIR/merged.h5)
 *   must return 0, or -1 with a one-line message; leave no HDF5
 *   identifier open; on success leave DIR/merged.h5 and nothing else, on
 *   failure nothing at all (no merged file, no temporary file).
 *
 * Inputs holding "@include" are rejected (not run, not kept): merge loads
 * the file's `config` attribute with config_load_string(), which sets no
 * include directory, so libconfig would open paths relative to the
 * fuzzer's working directory (see fuzz_config.c).
 *
 * The merged file goes to a directory made under $FUZZ_OUT_DIR (run_fuzz.sh
 * points it at /dev/shm when it can: the writer fsyncs, and on a disk that
 * costs more than the rest of an input), else under $TMPDIR.  The input file, the identifier count and the
 * sanitizer settings are those of h5fuzz.h.
 *
 * FUZZ_DEBUG=1 in the environment prints each input's return code and
 * message.
 */
#define _GNU_SOURCE /* memmem */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exp/merge.h"
#include "h5fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[4096], merged[4200];

static void remove_dir(void)
{
    unlink(merged);
    rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    h5fuzz_init("fuzz_merge");
    const char *base = getenv("FUZZ_OUT_DIR");
    snprintf(dir, sizeof dir, "%s/fuzz_merge.XXXXXX",
             base && base[0] ? base : h5fuzz_tmpdir());
    if (!mkdtemp(dir))
        h5fuzz_die("mkdtemp", dir);
    snprintf(merged, sizeof merged, "%s/merged.h5", dir);
    atexit(remove_dir);
    return 0;
}

/* Files in dir other than merged.h5 (each removed), and whether merged.h5
 * was there (removed too). */
static int clear_dir(int *had_merged)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;
    *had_merged = 0;
    if (!d)
        h5fuzz_die("opendir", dir);
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char path[4500];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (strcmp(e->d_name, "merged.h5") == 0)
            *had_merged = 1;
        else
            n++;
        unlink(path);
    }
    closedir(d);
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (memmem(data, size, "@include", 8))
        return -1;
    if (h5fuzz_write(data, size) < 0)
        return -1;
    hsize_t before[H5FUZZ_TYPES];
    h5fuzz_count(before);
    char err[1024];
    memset(err, 0, sizeof err);
    const char *inputs[1] = {h5fuzz_path};
    merge_opts o = {.path = merged, .history = "fuzz_merge"};
    int done = -1;
    int rc = merge_files(inputs, 1, &o, &done, err, sizeof err);
    if (getenv("FUZZ_DEBUG"))
        fprintf(stderr, "fuzz_merge: rc %d, %d runs: %s\n", rc, done, err);
    if (rc != 0 && rc != -1) {
        char n[32];
        snprintf(n, sizeof n, "%d", rc);
        h5fuzz_die("merge_files returned neither 0 nor -1", n);
    }
    if (rc == -1)
        h5fuzz_expect_line("merge_files", err);
    h5fuzz_expect_closed(before, "merge_files", rc);
    int had_merged, others = clear_dir(&had_merged);
    if (others) {
        char n[64];
        snprintf(n, sizeof n, "%d file(s) besides merged.h5 (rc %d)", others, rc);
        h5fuzz_die("merge_files left temporary files", n);
    }
    if (had_merged != (rc == 0)) {
        char n[64];
        snprintf(n, sizeof n, "rc %d, merged.h5 %s", rc,
                 had_merged ? "written" : "missing");
        h5fuzz_die("merge_files and its output disagree", n);
    }
    return 0;
}
