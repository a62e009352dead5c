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

static const char info_usage[] =
    "usage: sim info FILE.h5\n"
    "\n"
    "Summarise a result file: scenario, seed, runs, months, variables and\n"
    "the headline figures.  Exit 2 when the file is missing, damaged or not\n"
    "a result file of this program.\n";

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

int cmd_info(int argc, char **argv)
{
    const char *path = NULL;
    for (int k = 1; k < argc; k++) {
        if (strcmp(argv[k], "-h") == 0 || strcmp(argv[k], "--help") == 0) {
            fputs(info_usage, stdout);
            return EXIT_OK;
        }
        if (argv[k][0] == '-' || path) {
            cmd_error("info", "unexpected argument '%s' (see 'sim info --help')",
                      argv[k]);
            return EXIT_INPUT;
        }
        path = argv[k];
    }
    if (!path) {
        cmd_error("info", "no file given (see 'sim info --help')");
        return EXIT_INPUT;
    }
    struct stat st;
    cmd_guard g = {.child = child, .arg = (void *)path, .keep = 1,
                   .max_memory = INFO_MAX_MEMORY,
                   .seconds = INFO_SECONDS_BASE +
                              (stat(path, &st) == 0
                                   ? (double)st.st_size * INFO_SECONDS_PER_BYTE
                                   : 0)};
    char *buf = NULL;
    size_t len = 0;
    int rc = cmd_guarded("info", path, &g, &buf, &len);
    if (rc == EXIT_OK && buf)
        fwrite(buf, 1, len, stdout);
    free(buf);
    return rc;
}
