/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * opts.c - the one table of command-line options and its parser
 * (getopt_long); the help of every command, the manual page and the
 * bash completion are generated from it (see opts.h).
 */
#include "opts.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

const char *cmd_program = "sim";

typedef enum {
    ARG_NONE,   /* a flag: the int field is set to 1 */
    ARG_TEXT,   /* a string, may be empty (--seed= is the config's to judge) */
    ARG_FILE,   /* a path: not empty */
    ARG_DIR,    /* a directory: not empty */
    ARG_INT,    /* a whole number within [min, max] */
    ARG_REAL,   /* a number within [min, max] */
    ARG_CHOICE, /* one of the words of `choices` */
    ARG_LIST    /* repeatable: appended to sets */
} opt_arg;

typedef struct {
    int id;
    const char *name;    /* long name */
    char letter;         /* short name, or 0 */
    opt_arg type;
    const char *metavar; /* the value's name in the help */
    size_t offset;       /* the field of cmd_args */
    double min, max;     /* ARG_INT, ARG_REAL */
    const char *choices; /* ARG_CHOICE: the words; ARG_FILE: a glob for
                            completion */
    const char *help;
} opt_spec;

#define F(field) offsetof(cmd_args, field)

/* Every option of every command. */
static const opt_spec table[] = {
    {OPT_OUTPUT, "output", 'o', ARG_FILE, "FILE", F(output), 0, 0, "*.h5",
     "the file to write"},
    {OPT_OUTDIR, "outdir", 0, ARG_DIR, "DIR", F(outdir), 0, 0, NULL,
     "write each result into DIR (default: the current directory)"},
    {OPT_SEED, "seed", 0, ARG_TEXT, "N", F(seed), 0, 0, NULL,
     "master seed (overrides scenario.seed)"},
    {OPT_MONTHS, "months", 0, ARG_TEXT, "N", F(months), 0, 0, NULL,
     "number of monthly steps (overrides scenario.months)"},
    {OPT_SET, "set", 0, ARG_LIST, "path=value", 0, 0, 0, NULL,
     "override any parameter, e.g. --set agents.RUS.sanctions=0.8, "
     "--set routes.caspian.open=false, --set events.nk_shells.date=2023-06 "
     "(repeatable; applied in order)"},
    {OPT_REPLICATES, "replicates", 0, ARG_INT, "N", F(replicates), 1,
     CMD_MAX_REPLICATES, NULL,
     "runs of each scenario: run r is seeded from hash(master seed, r)"},
    {OPT_JOBS, "jobs", 'j', ARG_INT, "J", F(jobs), 1, CMD_MAX_JOBS, NULL,
     "worker threads (default 1); the data do not depend on J"},
    {OPT_QUIET, "quiet", 'q', ARG_NONE, NULL, F(quiet), 0, 0, NULL,
     "print nothing on success"},
    {OPT_PROGRESS, "progress", 0, ARG_NONE, NULL, F(progress), 0, 0, NULL,
     "show progress on stderr even when it is not a terminal: a line every "
     "10 s and one at the end (on a terminal: one line redrawn, shown "
     "unless -q)"},
    {OPT_PROGRESS_EVERY, "progress-every", 0, ARG_REAL, "S",
     F(progress_every), 0.1, 86400, NULL,
     "with --progress off a terminal: a line every S seconds instead of "
     "10 (implies --progress)"},
    {OPT_SHARD, "shard", 0, ARG_TEXT, "I/N", F(shard), 0, 0, NULL,
     "only this shard's runs (Slurm job arrays): runs are dealt to shards "
     "in blocks of B consecutive runs (--dry-run prints B), block k to "
     "shard k % N; the shards are joined by `sim merge`"},
    {OPT_RESUME, "resume", 0, ARG_NONE, NULL, F(resume), 0, 0, NULL,
     "go on with an interrupted sweep: its finished runs are kept, the "
     "others run"},
    {OPT_CHECKPOINT, "checkpoint", 0, ARG_REAL, "S", F(checkpoint), 0, 86400,
     NULL,
     "close a part file, making its runs safe, every S seconds (default "
     "10): a kill loses the runs finished since the last one"},
    {OPT_DRY_RUN, "dry-run", 0, ARG_NONE, NULL, F(dry_run), 0, 0, NULL,
     "print the runs, months, estimated bytes and core-seconds; run nothing"},
    {OPT_MEASURES, "measures", 0, ARG_FILE, "FILE", F(measures), 0, 0, "*.cfg",
     "headline figures (default: configs/headlines.cfg, compiled in)"},
    {OPT_MARKDOWN, "markdown", 0, ARG_NONE, NULL, F(markdown), 0, 0, NULL,
     "print the table as Markdown (the same as --format md)"},
    {OPT_FORMAT, "format", 0, ARG_CHOICE, "FMT", F(format), 0, 0,
     "text md csv",
     "the table as text (default), md (Markdown) or csv"},
    {OPT_TABLE, "table", 0, ARG_FILE, "FILE", F(table), 0, 0, "*.md *.csv",
     "also write the table to FILE, as --format says (or as FILE's "
     "extension .md or .csv says)"},
    {OPT_TARGETS, "targets", 0, ARG_FILE, "FILE", F(targets), 0, 0, "*.cfg",
     "targets and free parameters (configs/targets.cfg)"},
    {OPT_CHECK, "check", 0, ARG_NONE, NULL, F(check), 0, 0, NULL,
     "no fit: print the table for the scenario as it is; exit 4 if a "
     "median lies outside its range"},
    {OPT_POSTERIOR, "posterior", 0, ARG_FILE, "FILE", F(posterior), 0, 0, "*.h5",
     "run r draws its parameters from this posterior of `sim calibrate` (a "
     "particle picked by its weight with hash(seed, r)): the spread across "
     "runs is then parameter uncertainty plus chance; param_value(run, param) "
     "and point(run) record the draw"},
    {OPT_RECOVER, "recover", 0, ARG_NONE, NULL, F(recover), 0, 0, NULL,
     "fit synthetic targets made by the scenario itself (its values are the "
     "truth) and report, per parameter, whether the posterior's 5-95% "
     "interval covers the truth and is at most 0.9 of the prior's width; "
     "exit 4 if one is not recovered"},
    {OPT_FIT_UNTIL, "fit-until", 0, ARG_TEXT, "YYYY-MM", F(fit_until), 0, 0, NULL,
     "fit the targets dated (by their last month) up to this month; report "
     "the later ones out of sample"},
    {OPT_PARTICLES, "particles", 0, ARG_INT, "N", F(particles), 2, 10000000, NULL,
     "particles of a generation (default 1000)"},
    {OPT_GENERATIONS, "generations", 0, ARG_INT, "G", F(generations), 1, 10000, NULL,
     "at most G generations (default 30)"},
    {OPT_TOLERANCE, "tolerance", 0, ARG_REAL, "EPS", F(tolerance), 0, 1e300, NULL,
     "the target tolerance (default 1: with --distance max, every fitted "
     "target of an accepted particle lies within its range)"},
    {OPT_DISTANCE, "distance", 0, ARG_CHOICE, "KIND", F(distance), 0, 0, "max rms",
     "max (default): the largest |model - figure| / half the figure's range "
     "over the fitted targets; rms: their root mean square"},
    {OPT_ALPHA, "alpha", 0, ARG_REAL, "A", F(alpha), 0.01, 0.99, NULL,
     "the next generation's tolerance is the A-quantile of the last one's "
     "weighted distances (default 0.5)"},
    {OPT_MIN_ACCEPTANCE, "min-acceptance", 0, ARG_REAL, "A", F(min_acceptance), 0, 1,
     NULL, "a generation accepting fewer particles per simulation has stalled "
     "(default 0.01)"},
    {OPT_MIN_ESS, "min-ess", 0, ARG_REAL, "F", F(min_ess), 0, 1, NULL,
     "the last generation's effective sample size must reach F * particles "
     "(default 0.1)"},
    {OPT_MAX_ATTEMPTS, "max-attempts", 0, ARG_INT, "K", F(max_attempts), 1, 1e9, NULL,
     "simulations a particle may use in a generation (default 2000)"},
    {OPT_DRAWS, "draws", 0, ARG_INT, "D", F(draws), 0, 1000000, NULL,
     "draws from the prior for the identity check (default 40; 0: none)"},
    {OPT_PREDICTIVE, "predictive", 0, ARG_INT, "N", F(predictive), 1, 1000000, NULL,
     "runs drawn from the posterior for the tables after a fit (default 100)"},
    {OPT_WRITE_CONFIG, "write-config", 0, ARG_FILE, "FILE", F(write_config), 0, 0,
     "*.cfg", "write the posterior medians as a `calibrated` group (only when "
     "the fit converged)"},
    {OPT_CSV, "csv", 0, ARG_DIR, "DIR", F(csv), 0, 0, NULL,
     "the directory to write the tables to"},
    {OPT_VARS, "vars", 0, ARG_TEXT, "LIST", F(vars), 0, 0, NULL,
     "only these variables, comma-separated (default: all that the file "
     "records), e.g. --vars stock,cohesion"},
    {OPT_RUNS, "runs", 0, ARG_TEXT, "A-B", F(runs), 0, 0, NULL,
     "only runs A to B (or --runs N: run N only)"},
    {OPT_HELP, "help", 'h', ARG_NONE, NULL, 0, 0, 0, NULL,
     "print this help and exit"},
};
#define N_TABLE (sizeof table / sizeof table[0])

static const opt_spec *spec_of(int id)
{
    for (size_t k = 0; k < N_TABLE; k++)
        if (table[k].id == id)
            return &table[k];
    return NULL;
}

const char *cmd_opt_name(int id)
{
    const opt_spec *s = spec_of(id);
    return s ? s->name : "?";
}

void cmd_args_init(cmd_args *a)
{
    memset(a, 0, sizeof *a);
    a->replicates = 1;
    a->jobs = 1;
    a->particles = 1000;
    a->generations = 30;
    a->max_attempts = 2000;
    a->draws = 40;
    a->predictive = 100;
    a->tolerance = 1.0;
    a->alpha = 0.5;
    a->min_acceptance = 0.01;
    a->min_ess = 0.1;
    a->checkpoint = 10.0;
    a->progress_every = 10.0;
}

void cmd_args_free(cmd_args *a)
{
    free(a->sets);
    free(a->operands);
    a->sets = NULL;
    a->operands = NULL;
}

int cmd_given(const cmd_args *a, int id)
{
    return id >= OPT_FIRST && id < OPT_END && a->given[id - OPT_FIRST];
}

/* The options a command takes, --help included: n of them in out. */
static int command_options(const cmd_spec *c, const opt_spec **out,
                           const char **help)
{
    int n = 0;
    for (const cmd_opt *o = c->opts; o && o->id; o++) {
        const opt_spec *s = spec_of(o->id);
        if (s) {
            help[n] = o->help ? o->help : s->help;
            out[n++] = s;
        }
    }
    out[n] = spec_of(OPT_HELP);
    help[n] = out[n]->help;
    return n + 1;
}

/* "--name" or "-x" as the user typed it (argv element `arg`). */
static void typed_name(const char *arg, const opt_spec *s, char *buf,
                       size_t len)
{
    if (arg && strncmp(arg, "--", 2) == 0) {
        size_t n = strcspn(arg, "=");
        snprintf(buf, len, "%.*s", (int)n, arg);
    } else if (s && s->letter) {
        snprintf(buf, len, "-%c", s->letter);
    } else {
        snprintf(buf, len, "--%s", s ? s->name : "?");
    }
}

static int store(const char *cmd, const opt_spec *s, const char *typed,
                 const char *v, cmd_args *a)
{
    char *at = (char *)a + s->offset, *end;
    a->given[s->id - OPT_FIRST] = 1;
    switch (s->type) {
    case ARG_NONE:
        *(int *)(void *)at = 1;
        return 0;
    case ARG_LIST:
        a->sets[a->n_sets++] = v;
        return 0;
    case ARG_FILE:
    case ARG_DIR:
        if (!*v) {
            cmd_error(cmd, "option %s needs a value (see '%s %s --help')",
                      typed, cmd_program, cmd);
            return -1;
        }
        *(const char **)(void *)at = v;
        return 0;
    case ARG_TEXT:
        *(const char **)(void *)at = v;
        return 0;
    case ARG_CHOICE: {
        size_t n = strlen(v);
        for (const char *w = s->choices; n && *w;) {
            size_t len = strcspn(w, " ");
            if (len == n && strncmp(w, v, n) == 0) {
                *(const char **)(void *)at = v;
                return 0;
            }
            w += len;
            w += *w == ' ';
        }
        cmd_error(cmd, "--%s: '%s' is not one of: %s", s->name, v, s->choices);
        return -1;
    }
    case ARG_INT: {
        errno = 0;
        long x = strtol(v, &end, 10);
        if (*v == '\0' || *end != '\0' || errno || x < (long)s->min ||
            x > (long)s->max) {
            cmd_error(cmd, "--%s: '%s' is not a whole number from %.0f to %.0f",
                      s->name, v, s->min, s->max);
            return -1;
        }
        *(int *)(void *)at = (int)x;
        return 0;
    }
    case ARG_REAL: {
        double x = strtod(v, &end);
        if (*v == '\0' || *end != '\0' || !(x >= s->min && x <= s->max)) {
            cmd_error(cmd, "--%s: '%s' is not a number from %g to %g",
                      s->name, v, s->min, s->max);
            return -1;
        }
        *(double *)(void *)at = x;
        if (s->id == OPT_PROGRESS_EVERY)
            a->progress = 1;
        return 0;
    }
    }
    return 0;
}

/* An unknown long option: say which ones it could be when it is an
 * ambiguous abbreviation. */
static void unknown_long(const char *cmd, const char *arg,
                         const opt_spec *const *opts, int n)
{
    size_t len = strcspn(arg + 2, "=");
    char list[512] = "";
    int hits = 0;
    for (int k = 0; k < n; k++)
        if (strncmp(opts[k]->name, arg + 2, len) == 0) {
            size_t at = strlen(list);
            snprintf(list + at, sizeof list - at, "%s--%s", hits ? ", " : "",
                     opts[k]->name);
            hits++;
        }
    if (hits > 1 && len > 0)
        cmd_error(cmd, "option '--%.*s' is ambiguous: %s (see '%s %s --help')",
                  (int)len, arg + 2, list, cmd_program, cmd);
    else
        cmd_error(cmd, "unknown option '--%.*s' (see '%s %s --help')", (int)len,
                  arg + 2, cmd_program, cmd);
}

int cmd_parse(const cmd_spec *c, int argc, char **argv, cmd_args *a)
{
    const opt_spec *opts[N_TABLE + 1];
    const char *help[N_TABLE + 1];
    int n = command_options(c, opts, help);
    struct option longs[N_TABLE + 1];
    char shorts[2 * N_TABLE + 4] = "-:"; /* operands in order; ':' on a
                                            missing value */
    size_t ns = 2;
    for (int k = 0; k < n; k++) {
        longs[k] = (struct option){opts[k]->name,
                                   opts[k]->type == ARG_NONE ? no_argument
                                                             : required_argument,
                                   NULL, opts[k]->id};
        if (opts[k]->letter) {
            shorts[ns++] = opts[k]->letter;
            if (opts[k]->type != ARG_NONE)
                shorts[ns++] = ':';
        }
    }
    shorts[ns] = '\0';
    longs[n] = (struct option){NULL, 0, NULL, 0};
    /* getopt may reorder its argv: it gets a copy */
    char **args = calloc((size_t)argc + 1, sizeof *args);
    a->sets = calloc((size_t)argc + 1, sizeof *a->sets);
    a->operands = calloc((size_t)argc + 1, sizeof *a->operands);
    if (!args || !a->sets || !a->operands) {
        free(args);
        cmd_error(c->name, "out of memory");
        return -1;
    }
    memcpy(args, argv, (size_t)argc * sizeof *args);
    int rc = 0, ch;
    optind = 0; /* glibc: start afresh (sim-mpi parses twice) */
    opterr = 0;
    while (rc == 0 && (ch = getopt_long(argc, args, shorts, longs, NULL)) != -1) {
        const opt_spec *s = NULL;
        char typed[128];
        if (ch == 1) { /* an operand */
            a->operands[a->n_operands++] = optarg;
            continue;
        }
        if (ch == '?' || ch == ':') {
            for (int k = 0; k < n; k++)
                if (opts[k]->id == optopt ||
                    (opts[k]->letter && opts[k]->letter == optopt))
                    s = opts[k];
            const char *arg = optind > 0 && optind <= argc ? args[optind - 1] : NULL;
            if (ch == ':') {
                typed_name(arg, s, typed, sizeof typed);
                cmd_error(c->name, "option %s needs a value (see '%s %s --help')",
                          typed, cmd_program, c->name);
            } else if (optopt == 0 && arg && strncmp(arg, "--", 2) == 0) {
                unknown_long(c->name, arg, opts, n);
            } else if (s && optopt >= OPT_FIRST) {
                cmd_error(c->name, "option --%s takes no value (see '%s %s --help')",
                          s->name, cmd_program, c->name);
            } else {
                cmd_error(c->name, "unknown option '-%c' (see '%s %s --help')",
                          optopt, cmd_program, c->name);
            }
            rc = -1;
            break;
        }
        for (int k = 0; k < n && !s; k++)
            if (opts[k]->id == ch || (opts[k]->letter && opts[k]->letter == ch))
                s = opts[k];
        if (!s)
            continue;
        if (s->id == OPT_HELP) {
            if (!cmd_silent)
                cmd_usage(c, stdout);
            rc = 1;
            break;
        }
        typed_name(args[optind - 1], s, typed, sizeof typed);
        if (store(c->name, s, typed, optarg, a))
            rc = -1;
    }
    /* after "--": the rest are operands */
    while (rc == 0 && optind < argc)
        a->operands[a->n_operands++] = args[optind++];
    free(args);
    return rc;
}

/* ---- help ------------------------------------------------------------------- */

#define HELP_COLUMN 24
#define HELP_WIDTH 79

/* Words of text filled from column `indent` to HELP_WIDTH; the first line
 * starts at column `at` (already printed). */
void cmd_fill(FILE *f, const char *text, int at, int indent)
{
    int col = at;
    for (const char *w = text; *w;) {
        while (*w == ' ')
            w++;
        size_t len = strcspn(w, " ");
        if (!len)
            break;
        if (col > indent && col + 1 + (int)len > HELP_WIDTH) {
            fprintf(f, "\n%*s", indent, "");
            col = indent;
        } else if (col > indent) {
            fputc(' ', f);
            col++;
        } else if (col < indent) {
            fprintf(f, "%*s", indent - col, "");
            col = indent;
        }
        fwrite(w, 1, len, f);
        col += (int)len;
        w += len;
    }
    fputc('\n', f);
}

/* "-o, --output FILE" */
static void option_label(const opt_spec *s, char *buf, size_t len)
{
    if (s->letter)
        snprintf(buf, len, "-%c, --%s%s%s", s->letter, s->name,
                 s->metavar ? " " : "", s->metavar ? s->metavar : "");
    else
        snprintf(buf, len, "    --%s%s%s", s->name, s->metavar ? " " : "",
                 s->metavar ? s->metavar : "");
}

void cmd_usage(const cmd_spec *c, FILE *f)
{
    const opt_spec *opts[N_TABLE + 1];
    const char *help[N_TABLE + 1];
    int n = command_options(c, opts, help);
    fprintf(f, "usage: %s %s [OPTION]...%s%s\n\n", cmd_program, c->name,
            c->operands[0] ? " " : "", c->operands);
    fputs(c->about, f);
    fputs("\noptions:\n", f);
    for (int k = 0; k < n; k++) {
        char label[96];
        option_label(opts[k], label, sizeof label);
        fprintf(f, "  %s", label);
        int at = 2 + (int)strlen(label);
        if (at + 2 > HELP_COLUMN) {
            fputc('\n', f);
            at = 0;
        }
        cmd_fill(f, help[k], at, HELP_COLUMN);
    }
    if (c->after) {
        fputc('\n', f);
        fputs(c->after, f);
    }
}

/* ---- the manual page ---------------------------------------------------------- */

/* Text for roff: backslashes and a leading dot or quote escaped, '-'
 * written \- (a minus: copy-pasteable options). */
static void roff_text(FILE *f, const char *s, size_t len)
{
    for (size_t k = 0; k < len; k++) {
        char ch = s[k];
        if (k == 0 && (ch == '.' || ch == '\''))
            fputs("\\&", f);
        if (ch == '\\')
            fputs("\\e", f);
        else if (ch == '-')
            fputs("\\-", f);
        else
            fputc(ch, f);
    }
}

/* Paragraphs of plain text as roff: a blank line starts a paragraph, an
 * indented line is kept as it is (a table, a list). */
static void roff_paragraphs(FILE *f, const char *text)
{
    int verbatim = 0, start = 1;
    for (const char *line = text; line && *line;) {
        const char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line);
        if (len == 0) {
            if (verbatim)
                fputs(".fi\n", f);
            verbatim = 0;
            start = 1;
        } else {
            if (line[0] == ' ' && !verbatim) {
                fputs(start ? ".PP\n.nf\n" : ".nf\n", f);
                verbatim = 1;
            } else if (line[0] != ' ' && verbatim) {
                fputs(".fi\n", f);
                verbatim = 0;
            } else if (start) {
                fputs(".PP\n", f);
            }
            start = 0;
            roff_text(f, line, len);
            fputc('\n', f);
        }
        line = nl ? nl + 1 : NULL;
    }
    if (verbatim)
        fputs(".fi\n", f);
}

static void roff_command(FILE *f, const cmd_spec *c, const char *program)
{
    const opt_spec *opts[N_TABLE + 1];
    const char *help[N_TABLE + 1];
    int n = command_options(c, opts, help);
    fprintf(f, ".SS \"%s %s\"\n", program, c->name);
    fprintf(f, ".B %s %s\n[\\fIOPTION\\fR]...\n", program, c->name);
    if (c->operands[0]) {
        roff_text(f, c->operands, strlen(c->operands));
        fputc('\n', f);
    }
    roff_paragraphs(f, c->about);
    for (int k = 0; k < n; k++) {
        const opt_spec *s = opts[k];
        fputs(".TP\n", f);
        if (s->letter)
            fprintf(f, "\\fB\\-%c\\fR, ", s->letter);
        fputs("\\fB\\-\\-", f);
        roff_text(f, s->name, strlen(s->name));
        fputs("\\fR", f);
        if (s->metavar) {
            fputs(" \\fI", f);
            roff_text(f, s->metavar, strlen(s->metavar));
            fputs("\\fR", f);
        }
        fputc('\n', f);
        roff_text(f, help[k], strlen(help[k]));
        fputc('\n', f);
    }
    if (c->after)
        roff_paragraphs(f, c->after);
}

void cmd_write_man(FILE *f, const cmd_spec *const *cmds, int n,
                   const cmd_spec *mpi, const char *version)
{
    fprintf(f, ".\\\" sim(1): generated by `sim --man` from the program's "
               "option table; do not edit.\n"
               ".\\\" SPDX-License-Identifier: GPL-3.0-or-later\n");
    fprintf(f, ".TH SIM 1 \"\" \"bloc-sim %s\" \"User Commands\"\n", version);
    fputs(".SH NAME\nsim, sim\\-mpi \\- an agent\\-based simulator of a "
          "sanctioned bloc's war\\-goods trade\n", f);
    fputs(".SH SYNOPSIS\n", f);
    for (int k = 0; k < n; k++) {
        fprintf(f, ".B sim %s\n[\\fIOPTION\\fR]...\n", cmds[k]->name);
        if (cmds[k]->operands[0]) {
            roff_text(f, cmds[k]->operands, strlen(cmds[k]->operands));
            fputc('\n', f);
        }
        fputs(".br\n", f);
    }
    fputs(".B mpirun \\-n\n.I K\n.B sim\\-mpi sweep\n[\\fIOPTION\\fR]...\n", f);
    roff_text(f, mpi->operands, strlen(mpi->operands));
    fputs("\n.br\n.B sim \\-\\-help\n|\n.B \\-\\-version\n|\n.B \\-\\-man\n|\n"
          ".B \\-\\-bash\\-completion\n", f);
    fputs(".SH DESCRIPTION\n", f);
    roff_paragraphs(f,
        "sim runs an agent-based model of a bloc of sanctioned states (by "
        "default Russia, China, Iran and North Korea, with Belarus, Venezuela "
        "and Syria as candidates) that produce, trade and ship artillery "
        "shells, drones, dual-use chips and oil under Western sanctions "
        "pressure. Scenarios are libconfig files; results are HDF5 files laid "
        "out as netCDF-4 with the CF conventions, which ncdump, h5py, xarray "
        "and R's hdf5r read directly.\n"
        "\n"
        "Every command takes its options in any order with its operands: "
        "--opt=value, --opt value, -oFILE, bundled short options (-qo FILE), "
        "and -- to end the options. A long option may be abbreviated to any "
        "unique prefix.\n"
        "\n"
        "A scenario, sweep or targets file named without a directory that "
        "does not exist in the current directory is looked for in the shared "
        "data directory (see FILES), with or without its .cfg: sim run "
        "sanctions_relief runs the installed scenarios/sanctions_relief.cfg.\n");
    fputs(".SH COMMANDS\n", f);
    for (int k = 0; k < n; k++)
        roff_command(f, cmds[k], "sim");
    roff_command(f, mpi, "mpirun \\-n K sim\\-mpi");
    fputs(".SH EXIT STATUS\n.TP\n0\nsuccess\n.TP\n1\nruntime failure: the "
          "output cannot be created or written, a full disk, no memory\n"
          ".TP\n2\nbad usage or bad input: the message names the file, line, "
          "key and reason; an output that is a directory, a device or one of "
          "the command's input files (nothing is touched)\n"
          ".TP\n3\n\\fBsim sweep\\fR or \\fBsim calibrate\\fR "
          "interrupted by SIGTERM or SIGINT: what is done is kept (the sweep's "
          "file, the fit's checkpoint); go on with "
          "\\fB\\-\\-resume\\fR\n"
          ".TP\n4\n\\fBsim calibrate \\-\\-check\\fR: a figure outside its "
          "range; \\fBsim calibrate \\-\\-recover\\fR: a parameter not "
          "recovered\n.TP\n5\n\\fBsim calibrate\\fR: the fit did not converge "
          "(its file says why)\n"
          ".TP\n130, 143\nanother command stopped by SIGINT or SIGTERM (the "
          "shell's numbers for them): its temporary files are removed and no "
          "file appears under the output's name\n", f);
    fputs(".SH ENVIRONMENT\n.TP\n.B SIM_DATADIR\nthe shared data directory "
          "(configs/, scenarios/, analysis/), looked in first\n.TP\n"
          ".B OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1\n"
          "needed by Open MPI's mpirun as root; add \\fB\\-\\-oversubscribe\\fR "
          "for more ranks than cores\n", f);
    fputs(".SH FILES\n.TP\n.I PREFIX/share/bloc\\-sim/\nconfigs/ (the default "
          "world, targets, headline measures, example sweeps, Slurm scripts), "
          "scenarios/ and analysis/ (Python figure scripts); found beside the "
          "installed program (\\fIbin/../share/bloc\\-sim\\fR), or as "
          "\\fBsim \\-\\-version\\fR prints\n", f);
    fputs(".SH EXAMPLES\n.nf\nsim run\nsim run \\-\\-replicates 20 \\-j2 "
          "\\-o ensemble.h5\nsim run sanctions_relief dedollarisation "
          "\\-\\-outdir results/\nsim compare baseline sanctions_escalation "
          "sanctions_relief \\-\\-format md\nsim sweep example.cfg \\-j2 "
          "\\-\\-progress\nsim info baseline.h5\n.fi\n", f);
    fputs(".SH COPYRIGHT\nbloc\\-sim is free software, licensed under the GNU "
          "General Public License, version 3 or any later version "
          "(GPL\\-3.0\\-or\\-later), as the GNU Scientific Library it links "
          "requires. There is NO WARRANTY.\n", f);
    fputs(".SH SEE ALSO\n.BR ncdump (1),\n.BR h5dump (1),\n.BR mpirun (1),\n"
          ".BR sbatch (1)\n", f);
}

/* ---- bash completion ---------------------------------------------------------- */

/* The completion of one command's options and operands, as a case arm. */
static void completion_command(FILE *f, const cmd_spec *c)
{
    const opt_spec *opts[N_TABLE + 1];
    const char *help[N_TABLE + 1];
    int n = command_options(c, opts, help);
    fprintf(f, "    %s)\n        opts=\"", c->name);
    for (int k = 0; k < n; k++) {
        fprintf(f, "%s--%s", k ? " " : "", opts[k]->name);
        if (opts[k]->letter)
            fprintf(f, " -%c", opts[k]->letter);
    }
    fputs("\"\n        case $prev in\n", f);
    for (int k = 0; k < n; k++) {
        const opt_spec *s = opts[k];
        if (s->type == ARG_NONE)
            continue;
        fprintf(f, "        --%s", s->name);
        if (s->letter)
            fprintf(f, "|-%c", s->letter);
        if (s->type == ARG_CHOICE)
            fprintf(f, ") COMPREPLY=($(compgen -W \"%s\" -- \"$cur\")); return ;;\n",
                    s->choices);
        else if (s->type == ARG_DIR)
            fputs(") COMPREPLY=($(compgen -d -- \"$cur\")); return ;;\n", f);
        else if (s->type == ARG_FILE)
            fprintf(f, ") _sim_files \"$cur\" \"%s\"; return ;;\n",
                    s->choices ? s->choices : "");
        else /* a number, a path=value, a list: nothing to offer */
            fputs(") return ;;\n", f);
    }
    fputs("        esac\n", f);
    if (c->complete)
        fprintf(f, "        if [[ $cur != -* ]]; then _sim_files \"$cur\" "
                   "\"%s\"; return; fi\n", c->complete);
    fputs("        ;;\n", f);
}

void cmd_write_completion(FILE *f, const cmd_spec *const *cmds, int n,
                          const cmd_spec *mpi)
{
    fputs("# bash completion for sim and sim-mpi (bloc-sim): generated by\n"
          "# `sim --bash-completion` from the program's option table.\n"
          "# SPDX-License-Identifier: GPL-3.0-or-later\n\n"
          "# _sim_files CUR [GLOBS]: directories and the files matching GLOBS\n"
          "# (all files without)\n"
          "_sim_files()\n{\n"
          "    local IFS=$'\\n' g\n"
          "    COMPREPLY=($(compgen -d -- \"$1\"))\n"
          "    if [[ -z $2 ]]; then\n"
          "        COMPREPLY+=($(compgen -f -- \"$1\"))\n"
          "        return\n"
          "    fi\n"
          "    for g in $2; do\n"
          "        COMPREPLY+=($(compgen -f -X \"!$g\" -- \"$1\"))\n"
          "    done\n"
          "}\n\n"
          "_sim()\n{\n"
          "    local cur prev cmd opts i\n"
          "    cur=${COMP_WORDS[COMP_CWORD]}\n"
          "    prev=${COMP_WORDS[COMP_CWORD-1]}\n"
          "    cmd=\n"
          "    for ((i = 1; i < COMP_CWORD; i++)); do\n"
          "        if [[ ${COMP_WORDS[i]} != -* ]]; then cmd=${COMP_WORDS[i]}; break; fi\n"
          "    done\n"
          "    if [[ -z $cmd ]]; then\n"
          "        COMPREPLY=($(compgen -W \"", f);
    for (int k = 0; k < n; k++)
        fprintf(f, "%s ", cmds[k]->name);
    fputs("help --help --version --man --bash-completion\" -- \"$cur\"))\n"
          "        return\n"
          "    fi\n"
          "    case $cmd in\n", f);
    for (int k = 0; k < n; k++)
        completion_command(f, cmds[k]);
    fputs("    help)\n        COMPREPLY=($(compgen -W \"", f);
    for (int k = 0; k < n; k++)
        fprintf(f, "%s%s", k ? " " : "", cmds[k]->name);
    fputs("\" -- \"$cur\"))\n        return\n        ;;\n"
          "    *)\n        return\n        ;;\n    esac\n"
          "    if [[ $cur == -* ]]; then\n"
          "        COMPREPLY=($(compgen -W \"$opts\" -- \"$cur\"))\n"
          "    fi\n"
          "}\n"
          "complete -F _sim sim\n\n"
          "_sim_mpi()\n{\n"
          "    local cur prev cmd opts\n"
          "    cur=${COMP_WORDS[COMP_CWORD]}\n"
          "    prev=${COMP_WORDS[COMP_CWORD-1]}\n"
          "    if [[ $COMP_CWORD -eq 1 ]]; then\n"
          "        COMPREPLY=($(compgen -W \"sweep --help\" -- \"$cur\"))\n"
          "        return\n"
          "    fi\n"
          "    case sweep in\n", f);
    completion_command(f, mpi);
    fputs("    esac\n"
          "    if [[ $cur == -* ]]; then\n"
          "        COMPREPLY=($(compgen -W \"$opts\" -- \"$cur\"))\n"
          "    fi\n"
          "}\n"
          "complete -F _sim_mpi sim-mpi\n", f);
}
