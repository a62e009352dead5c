/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * h5fuzz.h - what the harnesses that read a result file share
 * (fuzz_result, fuzz_export, fuzz_merge): the input file, counting HDF5
 * identifiers, and the sanitizer settings that libhdf5 needs.  Included
 * by exactly one source file per harness (it defines the sanitizer hooks).
 *
 * The input file is created once (in $TMPDIR, else /tmp; run_fuzz.sh
 * points TMPDIR at $(BUILD)/fuzz/tmp) and removed at exit; each input
 * overwrites it.  It cannot be unlinked at once and reached as
 * /proc/self/fd/N: H5Fopen resolves that link to "... (deleted)" and
 * fails.  A crashed run leaves it behind.
 *
 * An HDF5 identifier left open is a bug (LeakSanitizer cannot see it:
 * HDF5's identifier table still points at it), and an open file would
 * make HDF5 reuse the stale file for the next input, so it aborts the run.
 *
 * libhdf5 is not instrumented: coverage guidance comes from our code, and
 * ASan sees HDF5's own memory errors only through the intercepted libc
 * calls (memcpy, strlen, ...) and allocations.  A crash whose top frames
 * are in libhdf5 is still a crash of the command on a damaged file: it is
 * reported, not hidden.
 */
#ifndef SIM_TESTS_FUZZ_H5FUZZ_H
#define SIM_TESTS_FUZZ_H5FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hdf5.h>

#include "io/result/output.h"

#define FUZZ_MAX_INPUT (4u << 20)

/* libhdf5 1.10.8 (Debian 12) leaks an object header (H5O_t, 424 bytes)
 * whenever it fails to load a damaged one: H5O_protect -> H5AC_protect ->
 * H5C_protect, from H5Fopen (superblock extension), H5Dopen2, H5Aopen...
 * Those are never ours to free (an identifier we forget to close is
 * caught by the count below, and its memory stays reachable), so they
 * are suppressed, and so is anything else allocated inside H5Fopen or
 * H5Fis_hdf5.  LeakSanitizer lists the suppressed leaks at exit.  Leaks
 * from other HDF5 paths (a vlen string not reclaimed, an H5free_memory
 * forgotten) are still reported.
 *
 * Matching those frames needs full allocation stacks: libhdf5 has no
 * frame pointers, so the fast unwinder stops at its first frame.  The
 * slow unwinder costs about half the speed.
 *
 * allocator_may_return_null=1: a damaged size field makes HDF5 ask for
 * terabytes; malloc then returns NULL, as it does outside ASan, and HDF5
 * fails cleanly.  Any allocation above -rss_limit_mb (2 GB) that succeeds
 * is still reported by libFuzzer as out-of-memory, ours or HDF5's. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:H5O_protect\nleak:H5Fopen\nleak:H5Fis_hdf5\n";
}
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
    return "fast_unwind_on_malloc=0:malloc_context_size=40:"
           "allocator_may_return_null=1";
}

static const char *h5fuzz_name = "fuzz";
static int h5fuzz_fd = -1;
static char h5fuzz_path[4096];

static const H5I_type_t h5fuzz_types[] = {H5I_FILE,     H5I_GROUP,
                                          H5I_DATATYPE, H5I_DATASPACE,
                                          H5I_DATASET,  H5I_ATTR};
static const char *const h5fuzz_type_names[] = {
    "file", "group", "datatype", "dataspace", "dataset", "attribute"};
#define H5FUZZ_TYPES (sizeof h5fuzz_types / sizeof h5fuzz_types[0])

static inline void h5fuzz_die(const char *what, const char *detail)
{
    fprintf(stderr, "%s: %s: %s\n", h5fuzz_name, what, detail);
    abort();
}

static inline void h5fuzz_count(hsize_t *n)
{
    for (size_t k = 0; k < H5FUZZ_TYPES; k++)
        if (H5Inmembers(h5fuzz_types[k], &n[k]) < 0)
            n[k] = 0;
}

/* Abort when the identifiers counted in before[] are not all closed. */
static inline void h5fuzz_expect_closed(const hsize_t *before, const char *call,
                                 int rc)
{
    hsize_t after[H5FUZZ_TYPES];
    H5garbage_collect();
    h5fuzz_count(after);
    for (size_t k = 0; k < H5FUZZ_TYPES; k++)
        if (after[k] != before[k]) {
            char n[160];
            snprintf(n, sizeof n, "%s: %lld %s identifier(s) left open (rc %d)",
                     call, (long long)after[k] - (long long)before[k],
                     h5fuzz_type_names[k], rc);
            h5fuzz_die("leaked HDF5 identifiers", n);
        }
}

/* A failure must come with exactly one non-empty line. */
static inline void h5fuzz_expect_line(const char *call, const char *err)
{
    if (!err[0] || strchr(err, '\n')) {
        char what[160];
        snprintf(what, sizeof what, "%s failed without a one-line message", call);
        h5fuzz_die(what, err);
    }
}

static inline const char *h5fuzz_tmpdir(void)
{
    const char *dir = getenv("TMPDIR");
    return dir && dir[0] ? dir : "/tmp";
}

static inline void h5fuzz_remove_file(void) { unlink(h5fuzz_path); }

/* Set up: the input file, the library as the program sets it up. */
static inline void h5fuzz_init(const char *name)
{
    h5fuzz_name = name;
    snprintf(h5fuzz_path, sizeof h5fuzz_path, "%s/%s.XXXXXX", h5fuzz_tmpdir(),
             name);
    h5fuzz_fd = mkstemp(h5fuzz_path);
    if (h5fuzz_fd < 0)
        h5fuzz_die("mkstemp", h5fuzz_path);
    atexit(h5fuzz_remove_file);
    output_library_init();
    /* HDF5 keeps freed blocks on free lists: mallocs without frees in
     * every input, which makes libFuzzer suspect a leak and run a full
     * LeakSanitizer scan after each one.  No free-list memory kept. */
    H5set_free_list_limits(0, 0, 0, 0, 0, 0);
}

/* The input as the file h5fuzz_path; 0, or -1 when too large to try. */
static inline int h5fuzz_write(const uint8_t *data, size_t size)
{
    if (size > FUZZ_MAX_INPUT)
        return -1;
    if (ftruncate(h5fuzz_fd, 0) != 0 ||
        (size && pwrite(h5fuzz_fd, data, size, 0) != (ssize_t)size))
        h5fuzz_die("cannot write the input file", h5fuzz_path);
    return 0;
}

#endif
