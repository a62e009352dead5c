/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * merge.c - `sim merge`: join the shard files of a sweep into one file.
 */
#include "cmd.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exp/merge.h"
#include "io/result/reader.h"

static const cmd_opt merge_options[] = {
    {OPT_OUTPUT, "the merged file (required)"}, {OPT_QUIET, NULL}, {0, NULL}};

static int cmd_merge_main(int argc, char **argv);

const cmd_spec cmd_merge_spec = {
    .name = "merge",
    .operands = "FILE.h5...",
    .summary = "join the shards of a sweep into one file (-o OUT.h5)",
    .about =
        "Join the shards of a sweep (sim sweep --shard I/N) into one file whose\n"
        "data are those of the sweep run in one piece.  The shards must come\n"
        "from the same sweep (the same sweep file and scenario: their\n"
        "sweep_hash attributes agree) and hold every run exactly once; a\n"
        "missing, duplicated or foreign shard is named and nothing is written.\n"
        "Each file is first read whole in a child process: a file so damaged\n"
        "that the HDF5 library crashes on it is named, with exit 2.  OUT may\n"
        "not be one of the files (however spelt), nor a directory or a device.\n"
        "The history attribute keeps the lines of the files' histories, then\n"
        "this command's.  Shards hold their own runs, labelled with their index\n"
        "in the sweep, so `ncrcat` joins them as well (README, Working with\n"
        "results).\n",
    .opts = merge_options,
    .complete = "*.h5",
    .main = cmd_merge_main,
};

/* Seconds a scanning child may go without a sign of progress. */
#define MERGE_SCAN_SECONDS 30.0
/* Address space of the scanning child: libhdf5 asks for gigabytes on some
 * damaged files. */
#define MERGE_SCAN_MEMORY (2.0 * 1024 * 1024 * 1024)

static void heartbeat(void *ctx)
{
    char b = '.';
    if (write(*(int *)ctx, &b, 1) < 0) {
        /* the parent is gone or not listening: nothing to do */
    }
}

/* In a child: read the whole file as the merge will.  A file that is
 * merely wrong (not a result, another sweep) passes here: merge_files
 * says what is wrong with it. */
static int scan_child(void *arg, int fd)
{
    char err[1024];
    output_reader *r = output_reader_open(arg, err, sizeof err);
    if (r)
        output_reader_scan(r, heartbeat, &fd);
    output_reader_close(r);
    char b = CMD_GUARD_DONE;
    if (write(fd, &b, 1) < 0) {
        /* as above */
    }
    return EXIT_OK;
}

static int cmd_merge_main(int argc, char **argv)
{
    cmd_args a;
    cmd_args_init(&a);
    int rc = cmd_parse(&cmd_merge_spec, argc, argv, &a);
    if (rc) {
        cmd_args_free(&a);
        return rc > 0 ? EXIT_OK : EXIT_INPUT;
    }
    publish_inputs *inputs = publish_inputs_alloc();
    if (!inputs) {
        cmd_error("merge", "out of memory");
        cmd_args_free(&a);
        return EXIT_RUNTIME;
    }
    publish_catch_signals(); /* Ctrl-C, kill: no temporary file left */
    const char *out = a.output;
    const char *const *in = (const char *const *)a.operands;
    int n = a.n_operands;
    rc = EXIT_INPUT;
    if (!out || n == 0) {
        cmd_error("merge", "need -o OUT.h5 and at least one file (see 'sim merge --help')");
        goto done;
    }
    for (int k = 0; k < n; k++)
        if (publish_inputs_add(inputs, in[k]) < 0) {
            cmd_error("merge", "out of memory");
            rc = EXIT_RUNTIME;
            goto done;
        }
    if ((rc = cmd_check_output("merge", out, inputs)) != 0)
        goto done;
    /* libhdf5 1.10 crashes on some damaged files: read each input in a
     * child first, so that such a file is one line and exit 2 */
    for (int k = 0; k < n; k++) {
        cmd_guard g = {.child = scan_child, .arg = (void *)in[k],
                       .seconds = MERGE_SCAN_SECONDS, .progress = 1,
                       .max_memory = MERGE_SCAN_MEMORY};
        int grc = cmd_guarded("merge", in[k], &g, NULL, NULL);
        if (grc != EXIT_OK) {
            rc = grc;
            goto done;
        }
    }
    char err[1024];
    char *history = cmd_history(argc + 1, argv - 1);
    merge_opts mo = {.path = out, .history = history ? history : "sim merge",
                     .require_complete = 1, .inputs = inputs};
    int written = 0;
    if (merge_files(in, n, &mo, &written, err, sizeof err)) {
        cmd_error("merge", "%s", err);
        rc = strstr(err, "cannot create") || strstr(err, "cannot write") ||
                     strstr(err, "out of memory")
                 ? EXIT_RUNTIME
                 : EXIT_INPUT;
        free(history);
        goto done;
    }
    free(history);
    if (!a.quiet)
        printf("merged %d files, %d runs, into %s\n", n, written, out);
    rc = EXIT_OK;
done:
    publish_inputs_free(inputs);
    cmd_args_free(&a);
    return rc;
}
