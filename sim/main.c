/*
 * main.c - the `sim` command line: parse, dispatch, map errors to exit codes.
 */
#include <signal.h>
#if defined(__GLIBC__) || defined(__linux__)
#include <malloc.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_version.h>
#include <hdf5.h>
#include <libconfig.h>

#include "cmd/cmd.h"
#include "io/result/output.h"
#include "version.h"

#define HDF5_ROOM ((size_t)16 << 20)

static const char usage[] =
    "usage: sim COMMAND [ARGS]\n"
    "\n"
    "An agent-based simulator of a sanctioned bloc of states trading war\n"
    "goods (shells, drones, chips, oil) under Western pressure.\n"
    "\n"
    "commands:\n"
    "  run [SCENARIO.cfg]   run a scenario (default: the built-in baseline)\n"
    "                       and write its trajectories to an HDF5 file\n"
    "  check [SCENARIO.cfg] validate a scenario, print it fully resolved\n"
    "  info FILE.h5         summarise a result file\n"
    "  compare A.cfg B.cfg  paired ensembles of two scenarios (same seeds)\n"
    "  calibrate [SCENARIO] fit free parameters to public figures\n"
    "  sweep SWEEP.cfg      a parameter sweep (grid, random, LHS, Sobol,\n"
    "                       Saltelli) into one file\n"
    "  merge -o OUT FILE... join the shards of a sweep into one file\n"
    "  export FILE.h5 --csv DIR\n"
    "                       a result file as tidy CSV tables (R, pandas)\n"
    "\n"
    "  sim COMMAND --help   options of a command\n"
    "  sim --version        version, git commit and library versions\n"
    "\n"
    "exit codes: 0 success; 1 runtime failure (I/O, disk full, memory);\n"
    "            2 bad usage or bad input (the message names file, line, key),\n"
    "              an output that is a directory, a device or an input file;\n"
    "            3 sweep interrupted by SIGTERM/SIGINT (the file is valid);\n"
    "            4 calibrate --check: a figure outside its range;\n"
    "            130, 143 (the shell's numbers for SIGINT, SIGTERM): another\n"
    "              command stopped by that signal; its temporary files are\n"
    "              removed and no file appears under the output's name\n";

int main(int argc, char **argv)
{
    /* GSL reports errors as return values; it never aborts this program. */
#ifdef M_MMAP_THRESHOLD
    /* zlib (inside HDF5's deflate filter) allocates and frees ~300 KiB per
     * chunk; served by mmap, every allocation page-faults afresh.  Keep
     * such blocks on the heap so they are reused. */
    mallopt(M_MMAP_THRESHOLD, 64 * 1024 * 1024);
    mallopt(M_TRIM_THRESHOLD, 128 * 1024 * 1024);
#endif
    /* HDF5 1.10 crashes when an allocation fails while it starts: make
     * sure it has room first */
    void *room = malloc(HDF5_ROOM);
    if (!room) {
        fprintf(stderr, "sim: %s%sout of memory (HDF5 needs 16 MiB free to "
                "start)\n", argc > 1 ? argv[1] : "", argc > 1 ? ": " : "");
        return EXIT_RUNTIME;
    }
    memset(room, 0, 1);
    free(room);
    /* before any other HDF5 call (see output_library_init) */
    output_library_init();
    gsl_set_error_handler_off();
    /* Past a file-size limit, writes fail with EFBIG and are reported as a
     * runtime error, instead of the process being killed by SIGXFSZ. */
    signal(SIGXFSZ, SIG_IGN);
    if (argc < 2) {
        fputs("sim: no command given (see 'sim --help')\n", stderr);
        return EXIT_INPUT;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 ||
        strcmp(cmd, "help") == 0) {
        fputs(usage, stdout);
        return EXIT_OK;
    }
    if (strcmp(cmd, "-V") == 0 || strcmp(cmd, "--version") == 0) {
        unsigned maj, min, rel;
        H5get_libversion(&maj, &min, &rel);
        printf("sim %s (commit %s)\n", sim_version, sim_commit);
        printf("HDF5 %u.%u.%u, GSL %s, libconfig %d.%d\n", maj, min, rel,
               GSL_VERSION, LIBCONFIG_VER_MAJOR, LIBCONFIG_VER_MINOR);
        return EXIT_OK;
    }
    if (strcmp(cmd, "run") == 0)
        return cmd_run(argc - 1, argv + 1);
    if (strcmp(cmd, "check") == 0)
        return cmd_check(argc - 1, argv + 1);
    if (strcmp(cmd, "info") == 0)
        return cmd_info(argc - 1, argv + 1);
    if (strcmp(cmd, "compare") == 0)
        return cmd_compare(argc - 1, argv + 1);
    if (strcmp(cmd, "calibrate") == 0)
        return cmd_calibrate(argc - 1, argv + 1);
    if (strcmp(cmd, "sweep") == 0)
        return cmd_sweep(argc - 1, argv + 1);
    if (strcmp(cmd, "merge") == 0)
        return cmd_merge(argc - 1, argv + 1);
    if (strcmp(cmd, "export") == 0)
        return cmd_export(argc - 1, argv + 1);
    fprintf(stderr, "sim: unknown command '%s' (see 'sim --help')\n", cmd);
    return EXIT_INPUT;
}
