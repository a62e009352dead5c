/*
 * check.c - `sim check`: validate a scenario and print it fully resolved.
 */
#include "cmd.h"

#include <stdlib.h>
#include <string.h>

static const char check_usage[] =
    "usage: sim check [SCENARIO.cfg] [--seed N] [--months N] [--set path=value]...\n"
    "\n"
    "Validate a scenario and print every parameter, given or default, as a\n"
    "libconfig file that loads back to the same run.  Without SCENARIO.cfg\n"
    "the built-in baseline is checked.  Exit 0 when valid, 2 otherwise.\n";

int cmd_check(int argc, char **argv)
{
    const char **sets = calloc((size_t)argc + 1, sizeof *sets);
    scenario_opts o = {.sets = sets};
    int rc = EXIT_INPUT;
    if (!sets)
        return EXIT_RUNTIME;
    for (int k = 1; k < argc; k++) {
        if (strcmp(argv[k], "-h") == 0 || strcmp(argv[k], "--help") == 0) {
            fputs(check_usage, stdout);
            free(sets);
            return EXIT_OK;
        }
        const char *a = argv[k];
        int run_only = strcmp(a, "-o") == 0 || strncmp(a, "--output", 8) == 0 ||
                       strncmp(a, "--replicates", 12) == 0 ||
                       strncmp(a, "--jobs", 6) == 0 || strcmp(a, "-q") == 0 ||
                       strcmp(a, "--quiet") == 0;
        int used = run_only ? 0 : cmd_scenario_option("check", argc, argv, &k, &o);
        if (used < 0)
            goto done;
        if (used)
            continue;
        if (run_only || argv[k][0] == '-' || o.scenario) {
            cmd_error("check", "unexpected argument '%s' (see 'sim check --help')",
                      argv[k]);
            goto done;
        }
        o.scenario = argv[k];
    }
    sim_config *c = cmd_load_scenario(&o, &rc);
    if (c) {
        rc = config_write_resolved(c, stdout) == 0 && fflush(stdout) == 0
                 ? EXIT_OK
                 : EXIT_RUNTIME;
        config_free(c);
    }
done:
    free(sets);
    return rc;
}
