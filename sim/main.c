/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * main.c - the `sim` command line: dispatch to a command, map errors to
 * exit codes.  Each command parses its own options from the one table of
 * sim/cmd/opts.c; --help, the manual page and the bash completion come
 * from that table too.
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

static const cmd_spec *const commands[] = {
    &cmd_run_spec,       &cmd_check_spec, &cmd_info_spec,  &cmd_compare_spec,
    &cmd_calibrate_spec, &cmd_sweep_spec, &cmd_merge_spec, &cmd_export_spec,
};
#define N_COMMANDS ((int)(sizeof commands / sizeof commands[0]))

static void usage(FILE *f)
{
    fputs("usage: sim COMMAND [OPTION]... [ARG]...\n"
          "\n"
          "An agent-based simulator of a sanctioned bloc of states trading war\n"
          "goods (shells, drones, chips, oil) under Western pressure.\n"
          "\n"
          "commands:\n", f);
    for (int k = 0; k < N_COMMANDS; k++) {
        char head[64];
        snprintf(head, sizeof head, "%s %s", commands[k]->name,
                 commands[k]->operands);
        if (strlen(head) > 22) {
            fprintf(f, "  %s\n", head);
            cmd_fill(f, commands[k]->summary, 0, 25);
        } else {
            fprintf(f, "  %-22s ", head);
            cmd_fill(f, commands[k]->summary, 25, 25);
        }
    }
    fputs("\n"
          "  sim COMMAND --help     options of a command (or sim help COMMAND)\n"
          "  sim --version          version, git commit, library versions and\n"
          "                         the shared data directory\n"
          "  sim --man              the manual page sim(1), as roff\n"
          "  sim --bash-completion  the bash completion script\n"
          "\n"
          "Options take --opt=value or --opt value, short ones -oFILE or -o FILE,\n"
          "and bundle (-qo FILE); -- ends the options.\n"
          "\n"
          "exit codes: 0 success; 1 runtime failure (I/O, disk full, memory);\n"
          "            2 bad usage or bad input (the message names file, line, key),\n"
          "              an output that is a directory, a device or an input file;\n"
          "            3 sweep or calibration interrupted by SIGTERM/SIGINT\n"
          "              (what is done is kept; go on with --resume);\n"
          "            4 calibrate --check: a figure outside its range, or\n"
          "              calibrate --recover: a parameter not recovered;\n"
          "            5 calibrate: the fit did not converge (its file says why);\n"
          "            130, 143 (the shell's numbers for SIGINT, SIGTERM): another\n"
          "              command stopped by that signal; its temporary files are\n"
          "              removed and no file appears under the output's name\n", f);
}

static const cmd_spec *find(const char *name)
{
    for (int k = 0; k < N_COMMANDS; k++)
        if (strcmp(commands[k]->name, name) == 0)
            return commands[k];
    return NULL;
}

static int version(void)
{
    unsigned maj, min, rel;
    H5get_libversion(&maj, &min, &rel);
    printf("sim %s (commit %s)\n", sim_version, sim_commit);
    printf("HDF5 %u.%u.%u, GSL %s, libconfig %d.%d\n", maj, min, rel,
           GSL_VERSION, LIBCONFIG_VER_MAJOR, LIBCONFIG_VER_MINOR);
    char dirs[4][4096];
    int n = cmd_data_dirs(dirs, 4);
    printf("shared data: %s\n", n ? dirs[0] : "none found");
    printf("licence: GPL-3.0-or-later; there is NO WARRANTY\n");
    return EXIT_OK;
}

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
    /* HDF5 1.10 crashes when an allocation fails while it starts, and
     * libconfig, which does not check its allocations, when one fails
     * while it parses a scenario: start only with room for both (kept on
     * the heap by the thresholds above) */
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
        (strcmp(cmd, "help") == 0 && argc == 2)) {
        usage(stdout);
        return EXIT_OK;
    }
    if (strcmp(cmd, "help") == 0) {
        const cmd_spec *c = find(argv[2]);
        if (!c || argc > 3) {
            fprintf(stderr, "sim: help: no command '%s' (see 'sim --help')\n",
                    c ? argv[3] : argv[2]);
            return EXIT_INPUT;
        }
        cmd_usage(c, stdout);
        return EXIT_OK;
    }
    if (strcmp(cmd, "-V") == 0 || strcmp(cmd, "--version") == 0)
        return version();
    if (strcmp(cmd, "--man") == 0) {
        cmd_write_man(stdout, commands, N_COMMANDS, &cmd_mpi_sweep_spec,
                      sim_version);
        return fflush(stdout) == 0 ? EXIT_OK : EXIT_RUNTIME;
    }
    if (strcmp(cmd, "--bash-completion") == 0) {
        cmd_write_completion(stdout, commands, N_COMMANDS, &cmd_mpi_sweep_spec);
        return fflush(stdout) == 0 ? EXIT_OK : EXIT_RUNTIME;
    }
    const cmd_spec *c = find(cmd);
    if (c)
        return c->main(argc - 1, argv + 1);
    if (cmd[0] == '-')
        fprintf(stderr, "sim: unknown option '%s' before the command (see 'sim "
                "--help')\n", cmd);
    else
        fprintf(stderr, "sim: unknown command '%s' (see 'sim --help')\n", cmd);
    return EXIT_INPUT;
}
