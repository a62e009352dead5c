/*
 * fuzz_result.c - libFuzzer harness for `sim info` (result_info_print).
 *
 *   bytes -> one temporary file -> result_info_print(path, /dev/null, err)
 *   must return 0, or -1 with a one-line message, and leave no HDF5
 *   identifier open (files, groups, datasets, attributes, datatypes,
 *   dataspaces: counted with H5Inmembers before and after the call).
 *
 * The file is created once (in $TMPDIR, else /tmp; run_fuzz.sh points
 * TMPDIR at $(BUILD)/fuzz/tmp) and removed at exit; each input overwrites
 * it.  It cannot be unlinked at once and reached as /proc/self/fd/N:
 * H5Fopen resolves that link to "... (deleted)" and fails.  A crashed
 * run leaves it behind.  An identifier left open is a
 * bug (LeakSanitizer cannot see it: HDF5's identifier table still points
 * at it), and an open file would make HDF5 reuse the stale file for the
 * next input, so it aborts the run.
 *
 * libhdf5 is not instrumented: coverage guidance comes from our code, and
 * ASan sees HDF5's own memory errors only through the intercepted libc
 * calls (memcpy, strlen, ...) and allocations.  A crash whose top frames
 * are in libhdf5 is still a crash of `sim info` on a damaged file: it is
 * reported, not hidden.
 *
 * FUZZ_DEBUG=1 in the environment prints each input's return code and
 * message.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hdf5.h>

#include "io/output.h"
#include "io/resultinfo.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX_INPUT (4u << 20)

static int fd = -1;
static char path[4096];
static FILE *devnull;

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

static const H5I_type_t id_types[] = {H5I_FILE,     H5I_GROUP,
                                      H5I_DATATYPE, H5I_DATASPACE,
                                      H5I_DATASET,  H5I_ATTR};
static const char *const id_names[] = {"file",      "group",   "datatype",
                                       "dataspace", "dataset", "attribute"};
#define N_ID_TYPES (sizeof id_types / sizeof id_types[0])

static void count_ids(hsize_t *n)
{
    for (size_t k = 0; k < N_ID_TYPES; k++)
        if (H5Inmembers(id_types[k], &n[k]) < 0)
            n[k] = 0;
}

static void die(const char *what, const char *detail)
{
    fprintf(stderr, "fuzz_result: %s: %s\n", what, detail);
    abort();
}

static void remove_file(void)
{
    unlink(path);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    const char *dir = getenv("TMPDIR");
    snprintf(path, sizeof path, "%s/fuzz_result.XXXXXX",
             dir && dir[0] ? dir : "/tmp");
    fd = mkstemp(path);
    if (fd < 0)
        die("mkstemp", path);
    atexit(remove_file);
    devnull = fopen("/dev/null", "w");
    if (!devnull)
        die("fopen", "/dev/null");
    output_library_init();
    /* HDF5 keeps freed blocks on free lists: mallocs without frees in
     * every input, which makes libFuzzer suspect a leak and run a full
     * LeakSanitizer scan after each one.  No free-list memory kept. */
    H5set_free_list_limits(0, 0, 0, 0, 0, 0);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > FUZZ_MAX_INPUT)
        return -1;
    if (ftruncate(fd, 0) != 0 ||
        (size && pwrite(fd, data, size, 0) != (ssize_t)size))
        die("cannot write the input file", path);

    hsize_t before[N_ID_TYPES], after[N_ID_TYPES];
    count_ids(before);
    char err[1024];
    memset(err, 0, sizeof err);
    int rc = result_info_print(path, devnull, err, sizeof err);
    if (getenv("FUZZ_DEBUG"))
        fprintf(stderr, "fuzz_result: rc %d: %s\n", rc, err);
    if (rc != 0 && rc != -1) {
        char n[32];
        snprintf(n, sizeof n, "%d", rc);
        die("result_info_print returned neither 0 nor -1", n);
    }
    if (rc == -1 && (!err[0] || strchr(err, '\n')))
        die("result_info_print failed without a one-line message", err);
    H5garbage_collect();
    count_ids(after);
    for (size_t k = 0; k < N_ID_TYPES; k++)
        if (after[k] != before[k]) {
            char n[128];
            snprintf(n, sizeof n, "%lld %s identifier(s) left open (rc %d)",
                     (long long)after[k] - (long long)before[k], id_names[k],
                     rc);
            die("result_info_print leaked HDF5 identifiers", n);
        }
    return 0;
}
