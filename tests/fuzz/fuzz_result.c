/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * fuzz_result.c - libFuzzer harness for `sim info` (cmd_info_print).
 *
 *   bytes -> one temporary file -> cmd_info_print(path, /dev/null, err)
 *   must return 0, or -1 with a one-line message, and leave no HDF5
 *   identifier open (files, groups, datasets, attributes, datatypes,
 *   dataspaces: counted with H5Inmembers before and after the call).
 *
 * The input file, the identifier count and the sanitizer settings are
 * those of h5fuzz.h (shared with fuzz_export and fuzz_merge).
 *
 * FUZZ_DEBUG=1 in the environment prints each input's return code and
 * message.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "h5fuzz.h"
#include "cmd/cmd.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static FILE *devnull;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    h5fuzz_init("fuzz_result");
    devnull = fopen("/dev/null", "w");
    if (!devnull)
        h5fuzz_die("fopen", "/dev/null");
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (h5fuzz_write(data, size) < 0)
        return -1;
    hsize_t before[H5FUZZ_TYPES];
    h5fuzz_count(before);
    char err[1024];
    memset(err, 0, sizeof err);
    int rc = cmd_info_print(h5fuzz_path, devnull, err, sizeof err);
    if (getenv("FUZZ_DEBUG"))
        fprintf(stderr, "fuzz_result: rc %d: %s\n", rc, err);
    if (rc != 0 && rc != -1) {
        char n[32];
        snprintf(n, sizeof n, "%d", rc);
        h5fuzz_die("cmd_info_print returned neither 0 nor -1", n);
    }
    if (rc == -1)
        h5fuzz_expect_line("cmd_info_print", err);
    h5fuzz_expect_closed(before, "cmd_info_print", rc);
    return 0;
}
