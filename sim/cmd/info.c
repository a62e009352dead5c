/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * info.c - `sim info`: a readable summary of a result file.
 *
 * The file is read in a child process (cmd_guarded): HDF5 1.10 can crash
 * or loop on a damaged file (a corrupt global heap), and `info` is what
 * users point at files they are unsure of.  A crash or a hang becomes one
 * clear line and exit 2, like any other unreadable file.
 */
#include "cmd.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "io/resultinfo.h"

/* A file that takes longer than 5 s plus 1 s per 100 MB is taken as
 * damaged (HDF5 loops forever on some corrupt heaps). */
#define INFO_SECONDS_BASE 5.0
#define INFO_SECONDS_PER_BYTE (1.0 / 100e6)
/* A summary reads at most 512 MB of values (resultinfo.c); libhdf5 asks
 * for gigabytes when a damaged heap gives it a huge length: with this
 * limit it gets NULL and fails at once. */
#define INFO_MAX_MEMORY (2048.0 * 1024 * 1024)

static const cmd_opt info_opts[] = {{0, NULL}};

static int cmd_info_main(int argc, char **argv);

const cmd_spec cmd_info_spec = {
    .name = "info",
    .operands = "FILE.h5",
    .summary = "summarise a result file",
    .about =
        "Summarise a result file: scenario, seed, runs, months, variables and\n"
        "the headline figures.  Exit 2 when the file is missing, damaged or not\n"
        "a result file of this program.\n",
    .opts = info_opts,
    .complete = "*.h5",
    .main = cmd_info_main,
};

/* In the child: the summary to fd, or the error line to stderr. */
static int child(void *arg, int fd)
{
    const char *path = arg;
    FILE *out = fdopen(fd, "w");
    char err[1024];
    if (!out)
        return EXIT_RUNTIME;
    if (result_info_print(path, out, err, sizeof err)) {
        cmd_error("info", "%s", err);
        fclose(out);
        return EXIT_INPUT;
    }
    return fclose(out) == 0 ? EXIT_OK : EXIT_RUNTIME;
}

static int cmd_info_main(int argc, char **argv)
{
    cmd_args a;
    cmd_args_init(&a);
    int rc = cmd_parse(&cmd_info_spec, argc, argv, &a);
    if (rc == 0 && a.n_operands > 1) {
        cmd_error("info", "unexpected argument '%s' (see 'sim info --help')",
                  a.operands[1]);
        rc = -1;
    } else if (rc == 0 && a.n_operands == 0) {
        cmd_error("info", "no file given (see 'sim info --help')");
        rc = -1;
    }
    if (rc) {
        cmd_args_free(&a);
        return rc > 0 ? EXIT_OK : EXIT_INPUT;
    }
    const char *path = a.operands[0];
    struct stat st;
    cmd_guard g = {.child = child, .arg = (void *)path, .keep = 1,
                   .max_memory = INFO_MAX_MEMORY,
                   .seconds = INFO_SECONDS_BASE +
                              (stat(path, &st) == 0
                                   ? (double)st.st_size * INFO_SECONDS_PER_BYTE
                                   : 0)};
    char *buf = NULL;
    size_t len = 0;
    rc = cmd_guarded("info", path, &g, &buf, &len);
    if (rc == EXIT_OK && buf)
        fwrite(buf, 1, len, stdout);
    free(buf);
    cmd_args_free(&a);
    return rc;
}
