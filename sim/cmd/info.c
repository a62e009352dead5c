/*
 * info.c - `sim info`: a readable summary of a result file.
 */
#include "cmd.h"

#include <string.h>

#include "io/resultinfo.h"

static const char info_usage[] =
    "usage: sim info FILE.h5\n"
    "\n"
    "Summarise a result file: scenario, seed, runs, months, variables and\n"
    "the headline figures.  Exit 2 when the file is missing or not a result\n"
    "file of this program.\n";

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
    char err[1024];
    if (result_info_print(path, stdout, err, sizeof err)) {
        cmd_error("info", "%s", err);
        return EXIT_INPUT;
    }
    return EXIT_OK;
}
