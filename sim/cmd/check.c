/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * check.c - `sim check`: validate a scenario and print it fully resolved.
 */
#include "cmd.h"

#include <stdlib.h>
#include <string.h>

static const cmd_opt check_opts[] = {
    {OPT_SEED, NULL}, {OPT_MONTHS, NULL}, {OPT_SET, NULL}, {0, NULL}};

static int cmd_check_main(int argc, char **argv);

const cmd_spec cmd_check_spec = {
    .name = "check",
    .operands = "[SCENARIO.cfg]",
    .summary = "validate a scenario, print it fully resolved",
    .about =
        "Validate a scenario and print every parameter, given or default, as a\n"
        "libconfig file that loads back to the same run, each prior\n"
        "(<key>_prior) next to its parameter.  Without SCENARIO.cfg the\n"
        "built-in baseline is checked.  Exit 0 when valid, 2 otherwise.\n",
    .opts = check_opts,
    .complete = "*.cfg",
    .main = cmd_check_main,
};

static int cmd_check_main(int argc, char **argv)
{
    static const char *const where[] = {"scenarios", NULL};
    cmd_args a;
    cmd_args_init(&a);
    int rc = cmd_parse(&cmd_check_spec, argc, argv, &a);
    if (rc == 0 && a.n_operands > 1) {
        cmd_error("check", "unexpected argument '%s': one scenario at a time "
                  "(see 'sim check --help')", a.operands[1]);
        rc = -1;
    }
    if (rc) {
        cmd_args_free(&a);
        return rc > 0 ? EXIT_OK : EXIT_INPUT;
    }
    char found[4096];
    const char *file = a.n_operands
                           ? cmd_find_file(a.operands[0], where, found, sizeof found)
                           : NULL;
    sim_config *c = cmd_load_scenario(file, &a, &rc);
    if (c) {
        rc = config_write_resolved(c, stdout) == 0 && fflush(stdout) == 0
                 ? EXIT_OK
                 : EXIT_RUNTIME;
        config_free(c);
    }
    cmd_args_free(&a);
    return rc;
}
