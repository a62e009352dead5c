/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * opts.h - the one table of command-line options.
 *
 * Every option of every command is declared once, in opts.c: its long
 * and short name, the kind of value it takes, its bounds, its help line
 * and the field of cmd_args it fills.  A command lists the options it
 * takes (cmd_spec); cmd_parse reads them with getopt_long, so every
 * command accepts --opt=value, --opt value, -oFILE, bundled short flags
 * (-qo FILE) and `--`.  The help of every command, the manual page and
 * the bash completion are generated from the same table.
 */
#ifndef SIM_CMD_OPTS_H
#define SIM_CMD_OPTS_H

#include <stdio.h>

/* Option identifiers (getopt_long's values for long options). */
enum {
    OPT_OUTPUT = 256, OPT_OUTDIR, OPT_SEED, OPT_MONTHS, OPT_SET,
    OPT_REPLICATES, OPT_JOBS, OPT_QUIET, OPT_PROGRESS, OPT_PROGRESS_EVERY,
    OPT_SHARD, OPT_RESUME, OPT_CHECKPOINT, OPT_DRY_RUN, OPT_MEASURES,
    OPT_MARKDOWN, OPT_FORMAT, OPT_TABLE, OPT_TARGETS, OPT_CHECK,
    OPT_CSV, OPT_VARS, OPT_RUNS, OPT_POSTERIOR, OPT_RECOVER, OPT_FIT_UNTIL,
    OPT_PARTICLES, OPT_GENERATIONS, OPT_TOLERANCE, OPT_DISTANCE, OPT_ALPHA,
    OPT_MIN_ACCEPTANCE, OPT_MIN_ESS, OPT_MAX_ATTEMPTS, OPT_DRAWS,
    OPT_PREDICTIVE, OPT_WRITE_CONFIG, OPT_HELP,
    OPT_END /* one past the last */
};
#define OPT_FIRST OPT_OUTPUT
#define OPT_N (OPT_END - OPT_FIRST)

/* The values of every option (one struct for all commands: a command
 * reads the fields of the options it takes). */
typedef struct {
    const char *output, *outdir, *seed, *months, *shard, *measures, *format,
        *table, *targets, *csv, *vars, *runs, *posterior, *fit_until,
        *distance, *write_config;
    const char **sets; /* --set, in order (n_sets of them) */
    int n_sets;
    int quiet, progress, resume, dry_run, markdown, check, recover;
    int replicates, jobs;
    int particles, generations, max_attempts, draws, predictive;
    double checkpoint, progress_every;
    double tolerance, alpha, min_acceptance, min_ess;
    char **operands; /* the arguments that are not options, in order */
    int n_operands;
    unsigned char given[OPT_N]; /* given[id - OPT_FIRST]: on the line */
} cmd_args;

/* An option a command takes; help NULL: the table's help line. */
typedef struct {
    int id;
    const char *help;
} cmd_opt;

/* A command: its name, operands, texts and options. */
typedef struct {
    const char *name;      /* "run" */
    const char *operands;  /* "[SCENARIO.cfg]..." for the usage line */
    const char *summary;   /* one line for `sim --help` */
    const char *about;     /* paragraphs before the options */
    const char *after;     /* paragraphs after them, or NULL */
    const cmd_opt *opts;   /* ends with {0, NULL}; --help is implied */
    const char *complete;  /* operands for completion: a glob ("*.cfg")
                              or NULL for none */
    int (*main)(int argc, char **argv);
} cmd_spec;

/* The program name in messages: "sim", or "sim-mpi". */
extern const char *cmd_program;

/* Defaults of every option (1 replicate, 1 job, ...); a command changes
 * those it needs before cmd_parse. */
void cmd_args_init(cmd_args *a);
/* Parse argv[1..argc-1] (argv[0] is the command name) into a, which
 * cmd_args_init prepared.  0 when parsed; 1 when --help was printed
 * (exit 0); -1 after one error line (exit 2).  argv is not reordered.
 * Free with cmd_args_free. */
int cmd_parse(const cmd_spec *c, int argc, char **argv, cmd_args *a);
void cmd_args_free(cmd_args *a);
/* Was the option given on the command line? */
int cmd_given(const cmd_args *a, int id);
/* `sim COMMAND --help`. */
void cmd_usage(const cmd_spec *c, FILE *f);
/* The words of text, filled to column 79 from column `indent`; the
 * first line starts at column `at` (already printed); a newline ends it. */
void cmd_fill(FILE *f, const char *text, int at, int indent);
/* The long name of an option ("output"). */
const char *cmd_opt_name(int id);

/* Generated documents: the manual page sim(1) in roff, and a bash
 * completion script, for the commands given (and sim-mpi's). */
void cmd_write_man(FILE *f, const cmd_spec *const *cmds, int n,
                   const cmd_spec *mpi, const char *version);
void cmd_write_completion(FILE *f, const cmd_spec *const *cmds, int n,
                          const cmd_spec *mpi);

#endif
