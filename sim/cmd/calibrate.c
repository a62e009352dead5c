/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * calibrate.c - `sim calibrate`: a posterior of the free parameters of a
 * targets file by ABC-SMC (exp/abc.h), with the identity check, fits on
 * the targets up to a date, a recovery check on synthetic targets, and
 * tables of the targets (--check).
 */
#include "cmd.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "exp/calibrate.h"
#include "io/posterior.h"
#include "io/result/output.h"
#include "io/targets.h"
#include "model/seedhash.h"

const cmd_cluster *cmd_calibrate_cluster = NULL;

static const cmd_opt calibrate_opts[] = {
    {OPT_TARGETS, "targets, measures and free parameters (required; "
                  "configs/targets.cfg in the shared data)"},
    {OPT_OUTPUT, "the posterior file (default <scenario>_posterior.h5, with "
                 "--recover <scenario>_recovery.h5)"},
    {OPT_CHECK, "no fit: the identities, and the table of targets for the "
                "scenario as it is (or drawn from --posterior); exit 4 if the "
                "5-95% interval of a fitted target misses its range "
                "(targets after --fit-until are reported, not judged)"},
    {OPT_RECOVER, NULL},
    {OPT_FIT_UNTIL, NULL},
    {OPT_POSTERIOR, "with --check: each run of the table draws its parameters "
                    "from FILE"},
    {OPT_PARTICLES, NULL},
    {OPT_GENERATIONS, NULL},
    {OPT_TOLERANCE, NULL},
    {OPT_DISTANCE, NULL},
    {OPT_ALPHA, NULL},
    {OPT_MIN_ACCEPTANCE, NULL},
    {OPT_MIN_ESS, NULL},
    {OPT_MAX_ATTEMPTS, NULL},
    {OPT_REPLICATES, "runs per particle, their mean its statistics (default "
                     "1); with --check, runs of the table (default 20)"},
    {OPT_DRAWS, NULL},
    {OPT_PREDICTIVE, NULL},
    {OPT_RESUME, "go on with an interrupted fit from FILE.checkpoint"},
    {OPT_WRITE_CONFIG, NULL},
    {OPT_JOBS, "worker threads (default 1); the posterior does not depend on J"},
    {OPT_SEED, NULL},
    {OPT_MONTHS, NULL},
    {OPT_SET, NULL},
    {OPT_MARKDOWN, "print the tables as Markdown"},
    {OPT_PROGRESS, NULL},
    {OPT_PROGRESS_EVERY, NULL},
    {OPT_QUIET, NULL},
    {0, NULL}};

static int cmd_calibrate_main(int argc, char **argv);

const cmd_spec cmd_calibrate_spec = {
    .name = "calibrate",
    .operands = "[SCENARIO.cfg]",
    .summary = "a posterior of the free parameters against public figures "
               "(ABC-SMC; --targets FILE)",
    .about =
        "Sample the posterior of the `free` parameters of the targets file by\n"
        "ABC-SMC (population Monte Carlo with adaptive tolerances), each from\n"
        "its prior in the scenario (<key>_prior next to its value).  The\n"
        "distance is the largest, over the fitted targets, of |model - figure|\n"
        "/ half the figure's range (--distance rms: their root mean square);\n"
        "the fit is done when a generation reaches the target tolerance with\n"
        "enough effective sample size (ESS).  Writes every generation to FILE,\n"
        "and prints the convergence, the posterior and the targets from runs\n"
        "drawn from it.  Before fitting, targets that do not move across draws\n"
        "from the prior, or that equal a number the configuration sets, are\n"
        "reported as identities and left out.  Without SCENARIO.cfg the\n"
        "built-in baseline is used.\n",
    .after =
        "The fit is written to FILE.checkpoint after every generation: killed\n"
        "at any moment, it goes on with --resume and ends with the posterior of\n"
        "an uninterrupted fit; SIGTERM or SIGINT stops it and exits 3.  The\n"
        "posterior is the same for any --jobs and any number of MPI ranks\n"
        "(sim-mpi calibrate).\n"
        "\n"
        "exit: 0 done; 3 interrupted (resume with --resume); 4 a check failed (the\n"
        "5-95% interval of a fitted target misses its range, a parameter not\n"
        "recovered);\n"
        "5 the fit did not converge (FILE says why: status, status_reason).\n",
    .opts = calibrate_opts,
    .complete = "*.cfg",
    .main = cmd_calibrate_main,
};

static volatile sig_atomic_t stop_flag = 0;

static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

/* "YYYY-MM" -> step of the scenario; -1 after an error line. */
static int month_step(const char *text, const model_params *p, int *step)
{
    int y, m;
    char extra;
    if (sscanf(text, "%d-%d%c", &y, &m, &extra) != 2 || m < 1 || m > 12 || y < 1900 ||
        y > 2200) {
        cmd_error("calibrate", "--fit-until: '%s' is not a month YYYY-MM", text);
        return -1;
    }
    *step = (y * 12 + m) - (p->start_year * 12 + p->start_month);
    return 0;
}

/* ---- progress: a line per generation ------------------------------------------ */

typedef struct {
    const cmd_args *a;
    progress *pr;
    int g;
} fit_progress;

static void on_particle(void *ctx, int g, long done, long total)
{
    fit_progress *f = ctx;
    if (!f->pr || f->g != g) {
        progress_end(f->pr, 0);
        f->pr = cmd_progress(f->a, "calibrate", "particles", total);
        f->g = g;
        char note[64];
        snprintf(note, sizeof note, "generation %d", g);
        progress_note(f->pr, note);
    }
    progress_update(f->pr, done);
}

static void on_generation(void *ctx, const smc_history *h)
{
    fit_progress *f = ctx;
    int g = h->n_gen - 1;
    char note[160];
    snprintf(note, sizeof note, "generation %d: tolerance %.4g, acceptance %.3g, "
             "ESS %.0f", g, h->tolerance[g], h->acceptance[g], h->ess[g]);
    progress_note(f->pr, note);
    progress_end(f->pr, 1);
    f->pr = NULL;
}

/* ---- tables ------------------------------------------------------------------ */

static void print_targets(const measure_set *ms, const calib_stats *st,
                          const double *values, int n, int markdown, int role,
                          int *outside)
{
    if (markdown) {
        printf("| target | date | public figure | range accepted | model median | model 5-95%% | inside |\n");
        printf("| --- | --- | --- | --- | ---: | ---: | --- |\n");
    } else {
        printf("%-50s %-7s %-22s %-22s %11s %25s %s\n", "target", "date",
               "public figure", "range", "median", "5-95%", "inside");
    }
    for (int k = 0; k < ms->n; k++) {
        const measure *m = &ms->m[k];
        if (role >= 0 && (int)st->role[k] != role)
            continue;
        double med, lo, hi;
        cmd_quantiles(values + k, (size_t)ms->n, n, &med, &lo, &hi);
        char range[64] = "";
        const char *in = "";
        if (m->has_target) {
            int ok = med >= m->lo && med <= m->hi;
            /* a fitted target fails when the model's 5-95% interval misses
             * its range altogether; a median outside is reported (NO); a
             * miss out of sample is a finding, not a failed fit */
            *outside += st->role[k] == ROLE_FIT && (hi < m->lo || lo > m->hi);
            in = ok ? "yes" : (markdown ? "**no**" : "NO");
            snprintf(range, sizeof range, "%.4g-%.4g %s", m->lo, m->hi, m->unit);
        }
        if (markdown)
            printf("| %s | %s | %s | %s | %.4g %s | %.4g-%.4g | %s |\n", m->label,
                   st->date[k], m->figure, range, med, m->unit, lo, hi, in);
        else
            printf("%-50.50s %-7s %-22.22s %-22.22s %11.4g %12.4g-%-12.4g %s\n",
                   m->label, st->date[k], m->figure, range, med, lo, hi, in);
    }
}

static int count_role(const calib_stats *st, calib_role r)
{
    int n = 0;
    for (int k = 0; k < st->m; k++)
        n += st->role[k] == r;
    return n;
}

/* The identities, or nothing when there are none. */
static void print_identities(const measure_set *ms, const calib_stats *st, int markdown)
{
    if (count_role(st, ROLE_IDENTITY) == 0)
        return;
    printf("\n%sIdentity, not evidence%s (left out of the fit):\n\n",
           markdown ? "**" : "", markdown ? "**" : "");
    if (markdown)
        printf("| target | why |\n| --- | --- |\n");
    for (int k = 0; k < ms->n; k++)
        if (st->role[k] == ROLE_IDENTITY)
            printf(markdown ? "| %s | %s |\n" : "  %-50.50s %s\n", ms->m[k].label,
                   st->why[k]);
}

/* Targets by role: fitted (in sample), out of sample, then identities. */
static int print_sections(const measure_set *ms, const calib_stats *st,
                          const double *values, int n, int markdown,
                          const char *fit_until)
{
    int outside = 0;
    int oos = count_role(st, ROLE_OUT_OF_SAMPLE);
    if (oos) {
        printf("%sIn sample%s (targets dated up to %s):\n\n", markdown ? "**" : "",
               markdown ? "**" : "", fit_until);
    }
    print_targets(ms, st, values, n, markdown, oos ? (int)ROLE_FIT : -2, &outside);
    if (oos) {
        printf("\n%sOut of sample%s (dated after %s, not fitted):\n\n",
               markdown ? "**" : "", markdown ? "**" : "", fit_until);
        print_targets(ms, st, values, n, markdown, ROLE_OUT_OF_SAMPLE, &outside);
    }
    print_identities(ms, st, markdown);
    return outside;
}

static void print_generations(const smc_history *h, int markdown)
{
    if (markdown) {
        printf("| generation | tolerance | acceptance rate | simulations | ESS | seconds |\n");
        printf("| ---: | ---: | ---: | ---: | ---: | ---: |\n");
    } else {
        printf("%10s %12s %15s %12s %8s %9s\n", "generation", "tolerance",
               "acceptance", "simulations", "ESS", "seconds");
    }
    for (int g = 0; g < h->n_gen; g++)
        printf(markdown ? "| %d | %.4g | %.3g | %.0f | %.0f | %.1f |\n"
                        : "%10d %12.4g %15.3g %12.0f %8.0f %9.1f\n",
               g, h->tolerance[g], h->acceptance[g], h->simulations[g], h->ess[g],
               h->seconds[g]);
}

static void print_posterior(const target_file *tf, const smc_history *h, int markdown)
{
    static const double q[3] = {0.05, 0.5, 0.95};
    if (markdown) {
        printf("| parameter | prior | prior 5-95%% | posterior median | posterior 5-95%% |\n");
        printf("| --- | --- | ---: | ---: | ---: |\n");
    } else {
        printf("%-34s %-44s %25s %12s %25s\n", "parameter", "prior", "prior 5-95%",
               "median", "posterior 5-95%");
    }
    for (int k = 0; k < tf->n_free; k++) {
        const prior *pr = &tf->free[k].pr;
        char text[200];
        double v[3];
        prior_format(pr, text, sizeof text);
        calibrate_param_quantiles(h, k, q, 3, v);
        printf(markdown ? "| %s | %s | %.4g-%.4g | %.4g | %.4g-%.4g |\n"
                        : "%-34.34s %-44.44s %12.4g-%-12.4g %12.4g %12.4g-%-12.4g\n",
               tf->free[k].path, text, prior_quantile(pr, 0.05),
               prior_quantile(pr, 0.95), v[1], v[0], v[2]);
    }
}

/* Per parameter: does the posterior's 5-95% interval cover the truth, and
 * is it narrower than the prior's (at most 0.9 of its width)?  Returns the
 * number not recovered. */
#define RECOVER_NARROWER 0.9
static int print_recovery(const target_file *tf, const smc_history *h,
                          const double *truth, int markdown)
{
    static const double q[3] = {0.05, 0.5, 0.95};
    int bad = 0;
    if (markdown) {
        printf("| parameter | truth | prior 5-95%% | posterior median | posterior 5-95%% | width ratio | covers | narrower | recovered |\n");
        printf("| --- | ---: | ---: | ---: | ---: | ---: | --- | --- | --- |\n");
    } else {
        printf("%-34s %12s %25s %12s %25s %7s %7s %9s %s\n", "parameter", "truth",
               "prior 5-95%", "median", "posterior 5-95%", "ratio", "covers",
               "narrower", "recovered");
    }
    for (int k = 0; k < tf->n_free; k++) {
        const prior *pr = &tf->free[k].pr;
        double v[3], plo = prior_quantile(pr, 0.05), phi = prior_quantile(pr, 0.95);
        calibrate_param_quantiles(h, k, q, 3, v);
        double ratio = (v[2] - v[0]) / (phi - plo);
        int covers = truth[k] >= v[0] && truth[k] <= v[2];
        int narrower = ratio <= RECOVER_NARROWER;
        bad += !(covers && narrower);
        printf(markdown ? "| %s | %.4g | %.4g-%.4g | %.4g | %.4g-%.4g | %.2f | %s | %s | %s |\n"
                        : "%-34.34s %12.4g %12.4g-%-12.4g %12.4g %12.4g-%-12.4g %7.2f %7s %9s %s\n",
               tf->free[k].path, truth[k], plo, phi, v[1], v[0], v[2], ratio,
               covers ? "yes" : "no", narrower ? "yes" : "no",
               covers && narrower ? "yes" : (markdown ? "**no**" : "NO"));
    }
    return bad;
}

/* ---- files ------------------------------------------------------------------ */

static uint64_t fnv(uint64_t h, const char *s)
{
    for (; s && *s; s++) {
        h ^= (unsigned char)*s;
        h *= 0x100000001b3ULL;
    }
    return h ^ 0xff; /* a separator between strings */
}

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    char *b = malloc(cap);
    for (size_t got; b && (got = fread(b + n, 1, cap - n - 1, f)) > 0;) {
        n += got;
        if (n + 1 == cap) {
            char *g = realloc(b, cap *= 2);
            if (!g) {
                free(b);
                b = NULL;
            }
            b = g;
        }
    }
    fclose(f);
    if (b)
        b[n] = '\0';
    return b;
}

/* Everything the posterior file needs to say, for one history. */
typedef struct {
    const char *path; /* where the checkpoint goes */
    posterior_meta meta;
} ckpt_ctx;

static int write_checkpoint(void *arg, const smc_history *h, abc_status st,
                            const char *reason, char *err, size_t errlen)
{
    ckpt_ctx *c = arg;
    posterior_meta pm = c->meta;
    (void)st;
    pm.h = h;
    pm.status = abc_status_names[ABC_RUNNING];
    pm.reason = reason;
    pm.converged = 0;
    return posterior_write(c->path, &pm, err, errlen);
}

#define CALIBRATED_MARK "# calibrated.cfg - written by `sim calibrate`"

/* The files a fit reads: the scenario and the targets file with what they
 * include, and the posterior of --posterior.  With `dest` (--write-config),
 * less dest when it holds what an earlier calibration wrote and is none
 * of those three itself: the baseline includes configs/calibrated.cfg,
 * which a new fit replaces (its values are read before the fit starts).
 * NULL after an error line. */
static publish_inputs *calibrate_inputs(const sim_config *cfg, const char *scenario,
                                        const char *targets, const char *posterior,
                                        const char *dest)
{
    publish_inputs *in = cmd_inputs("calibrate", &targets, 1, &cfg, 1);
    if (!in)
        return NULL;
    char first[sizeof CALIBRATED_MARK] = "";
    struct stat st; /* a FIFO would block: regular files only */
    FILE *f = dest && stat(dest, &st) == 0 && S_ISREG(st.st_mode) ? fopen(dest, "r")
                                                                   : NULL;
    if (f) {
        if (!fgets(first, sizeof first, f))
            first[0] = '\0';
        fclose(f);
    }
    publish_inputs *top = publish_inputs_alloc();
    int ok = top && (!posterior || publish_inputs_add(in, posterior) == 0) &&
             publish_inputs_add(top, targets) == 0 &&
             (!scenario || publish_inputs_add(top, scenario) == 0) &&
             (!posterior || publish_inputs_add(top, posterior) == 0);
    if (ok && strcmp(first, CALIBRATED_MARK) == 0 && !publish_inputs_match(top, dest))
        publish_inputs_remove(in, dest);
    publish_inputs_free(top);
    if (!ok) {
        cmd_error("calibrate", "out of memory");
        publish_inputs_free(in);
        return NULL;
    }
    return in;
}

/* The posterior medians as a `calibrated` group, through the publisher;
 * its command is the last line of the history (this one).  Every string
 * goes through the escaping writer (config_put_string): the command holds
 * the user's arguments (an output path with a quote, say). */
static int write_config(const char *path, const target_file *tf, const smc_history *h,
                        const char *history, const publish_inputs *inputs)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) {
        cmd_error("calibrate", "out of memory");
        return -1;
    }
    const char *line = strrchr(history, '\n');
    history = line ? line + 1 : history;
    fprintf(f, CALIBRATED_MARK "; the baseline includes it.\n"
               "# The posterior medians of an ABC-SMC fit (%d particles, %d generations,\n"
               "# tolerance %.4g); the posterior itself is the fit's file.\n"
               "calibrated = {\n  command = ",
            h->N, h->n_gen, h->tolerance[h->n_gen - 1]);
    if (strlen(history) > 4000) { /* strings are limited (io/config/load.h) */
        char cut[4008];
        snprintf(cut, sizeof cut, "%.4000s ...", history);
        config_put_string(f, cut);
    } else {
        config_put_string(f, history);
    }
    fprintf(f, ";\n  set = [\n");
    for (int k = 0; k < tf->n_free; k++) {
        static const double half = 0.5;
        double med;
        char entry[256];
        calibrate_param_quantiles(h, k, &half, 1, &med);
        snprintf(entry, sizeof entry, "%s=%.10g", tf->free[k].path, med);
        fprintf(f, "    ");
        config_put_string(f, entry);
        fprintf(f, "%s\n", k + 1 < tf->n_free ? "," : "");
    }
    fprintf(f, "  ];\n};\n");
    int bad = ferror(f);
    bad |= fclose(f) != 0;
    if (bad || !buf) {
        cmd_error("calibrate", "out of memory");
        free(buf);
        return -1;
    }
    int rc = cmd_write_file("calibrate", path, buf, len, inputs);
    free(buf);
    return rc;
}

/* ---- the command ------------------------------------------------------------ */

typedef struct {
    cmd_args a;
    const char *targets, *scenario;
    char tfound[4096], sfound[4096];
    sim_config *cfg;
    target_file *tf;
    calib_stats *st;
    smc_history *h;
    posterior_file *post;
    char *history, *config_text, *targets_text, *out, *ckpt;
    double *values, *truth, *observed;
    publish_inputs *in;     /* never written over */
    publish_inputs *cfg_in; /* the same for --write-config (calibrate_inputs) */
    char (*punit)[128];     /* [d] the parameters' units */
} cal_state;

static void cal_state_free(cal_state *s)
{
    targets_free(s->tf);
    calib_stats_free(s->st);
    smc_history_free(s->h);
    posterior_file_free(s->post);
    free(s->history);
    free(s->config_text);
    free(s->targets_text);
    free(s->out);
    free(s->ckpt);
    free(s->values);
    free(s->truth);
    free(s->observed);
    free(s->punit);
    publish_inputs_free(s->in);
    publish_inputs_free(s->cfg_in);
    config_free(s->cfg);
    cmd_args_free(&s->a);
}

/* --check: the table for the scenario as it stands or drawn from a posterior. */
static int run_check(cal_state *s, const calib_exec *x, unsigned long long master)
{
    const model_params *p = config_params(s->cfg);
    int n = s->a.replicates;
    char err[1024];
    if (s->a.posterior) {
        if (!(s->post = posterior_read(s->a.posterior, err, sizeof err))) {
            cmd_error("calibrate", "--posterior %s", err);
            return EXIT_INPUT;
        }
        if (!s->post->converged && x->rank == 0)
            fprintf(stderr, "%s: calibrate: warning: %s is not a finished fit (status "
                    "%s: %s)\n", cmd_program, s->a.posterior, s->post->status,
                    s->post->reason);
    }
    if (!(s->values = calloc((size_t)n * s->tf->ms->n + 1, sizeof *s->values))) {
        cmd_error("calibrate", "out of memory");
        return EXIT_RUNTIME;
    }
    if (calibrate_evaluate(p, s->tf->ms, n, x->jobs, master, s->post, s->values, err,
                           sizeof err)) {
        cmd_error("calibrate", "%s%s", s->post ? "--posterior: " : "", err);
        return s->post ? EXIT_INPUT : EXIT_RUNTIME;
    }
    if (x->rank != 0)
        return EXIT_OK;
    int outside = print_sections(s->tf->ms, s->st, s->values, n, s->a.markdown,
                                 s->a.fit_until);
    if (s->post && !s->a.markdown)
        printf("\n(model median and 5-95%% of %d runs, each drawing its parameters "
               "from %s: parameter uncertainty and chance)\n", n, s->a.posterior);
    return outside ? EXIT_OUTSIDE : EXIT_OK;
}

/* The result's name (-o, or <scenario>_posterior.h5, _recovery.h5 with
 * --recover), its checkpoint's, and the checks of them and of
 * --write-config against the inputs (io/publish.h).  EXIT_OK, or the exit
 * code after an error line. */
static int name_outputs(cal_state *s, const model_params *p)
{
    const cmd_args *a = &s->a;
    const char *suffix = a->recover ? "_recovery.h5" : "_posterior.h5";
    if (a->output) {
        s->out = strdup(a->output);
    } else if ((s->out = malloc(strlen(p->g.name) + 20))) {
        sprintf(s->out, "%s%s", p->g.name, suffix);
    }
    size_t len = s->out ? strlen(s->out) + 32 : 0;
    if (s->out && (s->ckpt = malloc(len)) &&
        publish_sibling(s->out, ".checkpoint", s->ckpt, len) < 0) {
        cmd_error("calibrate", "%s: the path is too long", s->out);
        return EXIT_INPUT;
    }
    if (!s->out || !s->ckpt) {
        cmd_error("calibrate", "out of memory");
        return EXIT_RUNTIME;
    }
    if (!(s->in = calibrate_inputs(s->cfg, s->scenario, s->targets, a->posterior,
                                      NULL)) ||
        (a->write_config &&
         !(s->cfg_in = calibrate_inputs(s->cfg, s->scenario, s->targets,
                                        a->posterior, a->write_config))))
        return EXIT_RUNTIME;
    int rc;
    if ((rc = cmd_check_output("calibrate", s->out, s->in)) != 0 ||
        (rc = cmd_check_output("calibrate", s->ckpt, s->in)) != 0 ||
        (a->write_config &&
         (rc = cmd_check_output("calibrate", a->write_config, s->cfg_in)) != 0))
        return rc;
    if (a->write_config && (publish_same_target(a->write_config, s->out) ||
                            publish_same_target(a->write_config, s->ckpt))) {
        cmd_error("calibrate", "--write-config %s is the posterior file %s or its "
                  "checkpoint: give another name", a->write_config, s->out);
        return EXIT_INPUT;
    }
    return EXIT_OK;
}

static int cmd_calibrate_main(int argc, char **argv)
{
    static const char *const where[] = {"scenarios", NULL};
    static const char *const twhere[] = {"configs", NULL};
    cal_state s = {.values = NULL};
    const cmd_cluster *cl = cmd_calibrate_cluster;
    int rank = cl ? cl->rank : 0;
    char err[1024], reason[1024] = "";
    cmd_args_init(&s.a);
    int rc = cmd_parse(&cmd_calibrate_spec, argc, argv, &s.a);
    if (rc == 0 && s.a.n_operands > 1) {
        cmd_error("calibrate", "unexpected argument '%s': one scenario at a time "
                  "(see 'sim calibrate --help')", s.a.operands[1]);
        rc = -1;
    }
    if (rc) {
        cmd_args_free(&s.a);
        return rc > 0 ? EXIT_OK : EXIT_INPUT;
    }
    rc = EXIT_INPUT;
    cmd_args *a = &s.a;
    if (!cmd_given(a, OPT_REPLICATES))
        a->replicates = a->check ? 20 : 1;
    s.targets = a->targets ? cmd_find_file(a->targets, twhere, s.tfound, sizeof s.tfound)
                           : NULL;
    s.scenario = a->n_operands ? cmd_find_file(a->operands[0], where, s.sfound,
                                               sizeof s.sfound)
                               : NULL;
    int rms = a->distance && strcmp(a->distance, "rms") == 0;
    if (!s.targets) {
        cmd_error("calibrate", "--targets FILE is required (see 'sim calibrate --help')");
        goto done;
    }
    if (a->check + a->recover > 1 || (a->posterior && !a->check)) {
        cmd_error("calibrate", "%s", a->posterior && !a->check
                                         ? "--posterior goes with --check (a fit makes its own)"
                                         : "--check and --recover exclude each other");
        goto done;
    }
    if (!(s.cfg = cmd_load_scenario(s.scenario, a, &rc)))
        goto done;
    const model_params *p = config_params(s.cfg);
    config_error ce;
    if (!(s.tf = targets_load(s.targets, p, &ce))) {
        char line[1200];
        config_error_format(&ce, line, sizeof line);
        cmd_error("calibrate", "%s", line);
        rc = cmd_config_exit(&ce);
        goto done;
    }
    int fit_until = INT_MAX;
    if (a->fit_until && month_step(a->fit_until, p, &fit_until))
        goto done;
    if (!a->check && s.tf->n_free == 0) {
        cmd_error("calibrate", "%s has no free parameters (or use --check)", s.targets);
        goto done;
    }
    if (!(s.st = calib_stats_alloc(s.tf, p, fit_until))) {
        cmd_error("calibrate", "out of memory");
        rc = EXIT_RUNTIME;
        goto done;
    }
    if (a->fit_until && count_role(s.st, ROLE_FIT) == 0) {
        cmd_error("calibrate", "--fit-until %s: no target is dated that early",
                  a->fit_until);
        goto done;
    }
    unsigned long long master = (unsigned long long)p->g.seed;
    fit_progress fp = {.a = a, .pr = NULL, .g = -1};
    calib_exec x = {.jobs = a->jobs, .rank = rank, .n_ranks = cl ? cl->size : 1,
                    .share = cl ? cl->share : NULL, .share_ctx = cl ? cl->ctx : NULL,
                    .stop = &stop_flag,
                    .on_particle = rank == 0 ? on_particle : NULL,
                    .on_generation = rank == 0 ? on_generation : NULL,
                    .progress_ctx = &fp};
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    /* the files, refused now rather than after the work: the result, its
     * checkpoint while the fit runs, --write-config */
    if (!a->check && (rc = name_outputs(&s, p)) != EXIT_OK)
        goto done;
    rc = EXIT_INPUT;
    /* the identities, measured across draws from the prior */
    if (a->draws > 0 &&
        calibrate_identity(p, s.tf->ms, s.tf->free, s.tf->n_free, a->draws, master, &x,
                           s.st, err, sizeof err)) {
        cmd_error("calibrate", "%s", err);
        rc = stop_flag ? EXIT_INTERRUPTED : EXIT_RUNTIME;
        goto done;
    }
    if (a->check) {
        rc = run_check(&s, &x, master);
        goto done;
    }
    if (count_role(s.st, ROLE_FIT) == 0) {
        cmd_error("calibrate", "no target is left to fit (identities and targets out "
                  "of sample are left out)");
        goto done;
    }
    int d = s.tf->n_free, m = s.st->m;
    /* the recovery check: the scenario's own values are the truth, its
     * ensemble means the targets */
    if (a->recover) {
        int n = 20;
        s.truth = calloc((size_t)d + 1, sizeof *s.truth);
        s.observed = calloc((size_t)m + 1, sizeof *s.observed);
        s.values = calloc((size_t)n * m + 1, sizeof *s.values);
        if (!s.truth || !s.observed || !s.values) {
            cmd_error("calibrate", "out of memory");
            rc = EXIT_RUNTIME;
            goto done;
        }
        for (int k = 0; k < d; k++)
            s.truth[k] = param_get(p, s.tf->free[k].ref);
        if (calibrate_evaluate(p, s.tf->ms, n, a->jobs,
                               seed_hash(master, 0x73796e7468ULL /* "synth" */), NULL,
                               s.values, err, sizeof err)) {
            cmd_error("calibrate", "%s", err);
            rc = EXIT_RUNTIME;
            goto done;
        }
        for (int k = 0; k < m; k++) {
            double sum = 0.0;
            for (int r = 0; r < n; r++)
                sum += s.values[(size_t)r * m + k];
            s.observed[k] = sum / n;
        }
        free(s.values);
        s.values = NULL;
    }
    s.history = cmd_history(argc + 1, argv - 1);
    s.config_text = config_resolved_text(s.cfg);
    s.targets_text = read_text(s.targets);
    s.h = smc_history_alloc(a->particles, d, m);
    if (!s.history || !s.config_text || !s.targets_text || !s.h) {
        cmd_error("calibrate", "out of memory");
        rc = EXIT_RUNTIME;
        goto done;
    }
    /* what must match to resume */
    char settings[512], fit_hash[32];
    snprintf(settings, sizeof settings,
             "particles=%d alpha=%.17g tolerance=%.17g replicates=%d attempts=%d "
             "seed=%llu fit_until=%d draws=%d recover=%d rms=%d", a->particles,
             a->alpha, a->tolerance, a->replicates, a->max_attempts, master,
             fit_until, a->draws, a->recover, rms);
    snprintf(fit_hash, sizeof fit_hash, "%016llx",
             (unsigned long long)fnv(fnv(fnv(0xcbf29ce484222325ULL, s.config_text),
                                         s.targets_text), settings));
    struct stat sb;
    if (stat(s.ckpt, &sb) == 0) {
        if (!a->resume) {
            cmd_error("calibrate", "%s holds an interrupted fit: go on with --resume, "
                      "or remove it to start afresh", s.ckpt);
            goto done;
        }
        posterior_file *prev = posterior_read(s.ckpt, err, sizeof err);
        if (!prev) {
            cmd_error("calibrate", "%s (remove it to start afresh)", err);
            goto done;
        }
        if (strcmp(prev->fit_hash, fit_hash) != 0 || prev->h->N != a->particles ||
            prev->d != d || prev->h->m != m) {
            cmd_error("calibrate", "%s belongs to another fit (the scenario, the targets "
                      "or the settings changed); remove it to start afresh", s.ckpt);
            posterior_file_free(prev);
            goto done;
        }
        if (prev->history[0]) { /* the history goes on: its lines, then this one */
            size_t n = strlen(prev->history) + strlen(s.history) + 2;
            char *joined = malloc(n);
            if (!joined) {
                cmd_error("calibrate", "out of memory");
                posterior_file_free(prev);
                rc = EXIT_RUNTIME;
                goto done;
            }
            snprintf(joined, n, "%s\n%s", prev->history, s.history);
            free(s.history);
            s.history = joined;
        }
        smc_history_free(s.h);
        s.h = prev->h;
        prev->h = NULL;
        posterior_file_free(prev);
        if (rank == 0 && !a->quiet)
            fprintf(stderr, "%s: calibrate: resuming after generation %d of %s\n",
                    cmd_program, s.h->n_gen - 1, s.ckpt);
    } else if (a->resume && rank == 0 && !a->quiet) {
        fprintf(stderr, "%s: calibrate: no %s: starting afresh\n", cmd_program, s.ckpt);
    }
    /* the file's description of the parameters and statistics */
    const char **pnames = calloc((size_t)d + 1, sizeof *pnames);
    const char **ptexts = calloc((size_t)d + 1, sizeof *ptexts);
    char (*ptext)[200] = calloc((size_t)d + 1, sizeof *ptext);
    const char **snames = calloc((size_t)m + 1, sizeof *snames);
    const char **slabels = calloc((size_t)m + 1, sizeof *slabels);
    const char **sunits = calloc((size_t)m + 1, sizeof *sunits);
    const char **sroles = calloc((size_t)m + 1, sizeof *sroles);
    const char **sdates = calloc((size_t)m + 1, sizeof *sdates);
    double *lo = calloc((size_t)m + 1, sizeof *lo), *hi = calloc((size_t)m + 1, sizeof *hi);
    const char **punits = calloc((size_t)d + 1, sizeof *punits);
    s.punit = calloc((size_t)d + 1, sizeof *s.punit);
    if (!pnames || !ptexts || !ptext || !snames || !slabels || !sunits || !sroles ||
        !sdates || !lo || !hi || !punits || !s.punit) {
        cmd_error("calibrate", "out of memory");
        rc = EXIT_RUNTIME;
        goto free_meta;
    }
    for (int k = 0; k < d; k++) {
        /* from the parameter table, as a sweep's param_unit */
        output_param_unit(p, s.tf->free[k].ref, s.punit[k], sizeof s.punit[k]);
        punits[k] = s.punit[k];
        pnames[k] = s.tf->free[k].path;
        prior_format(&s.tf->free[k].pr, ptext[k], sizeof ptext[k]);
        ptexts[k] = ptext[k];
    }
    for (int k = 0; k < m; k++) {
        const measure *mx = &s.tf->ms->m[k];
        snames[k] = mx->name;
        slabels[k] = mx->label;
        sunits[k] = mx->unit;
        sroles[k] = calib_role_names[s.st->role[k]];
        sdates[k] = s.st->date[k];
        lo[k] = mx->has_target ? mx->lo : NAN;
        hi[k] = mx->has_target ? mx->hi : NAN;
    }
    posterior_setting settings_attrs[] = {
        {"alpha", a->alpha},
        {"target_tolerance", a->tolerance},
        {"min_acceptance", a->min_acceptance},
        {"min_ess", a->min_ess},
        {"max_generations", a->generations},
        {"max_attempts", a->max_attempts},
        {"replicates", a->replicates},
        {"identity_draws", a->draws},
        {"identity_cv", CALIB_IDENTITY_CV},
        {"recovery", a->recover},
        {"distance_rms", rms}};
    ckpt_ctx ck = {.path = s.ckpt};
    ck.meta = (posterior_meta){
        .param_names = pnames, .param_units = punits, .prior_texts = ptexts,
        .stat_names = snames, .stat_labels = slabels, .stat_units = sunits,
        .stat_roles = sroles, .stat_dates = sdates,
        .observed = s.observed ? s.observed : s.st->observed, .low = lo, .high = hi,
        .scale = s.st->scale, .weight = s.st->weight,
        .fit_hash = fit_hash, .seed = master, .settings = settings_attrs,
        .n_settings = (int)(sizeof settings_attrs / sizeof settings_attrs[0]),
        .config_text = s.config_text, .targets_text = s.targets_text,
        .history = s.history, .inputs = s.in};
    calib_fit_opts fo = {.particles = a->particles, .max_generations = a->generations,
                         .replicates = a->replicates, .max_attempts = a->max_attempts,
                         .alpha = a->alpha, .tolerance = a->tolerance,
                         .min_acceptance = a->min_acceptance, .min_ess = a->min_ess,
                         .distance = rms ? ABC_DISTANCE_RMS : ABC_DISTANCE_MAX,
                         .seed = master,
                         .checkpoint = rank == 0 ? write_checkpoint : NULL,
                         .checkpoint_ctx = &ck};
    abc_status status = ABC_RUNNING;
    int fit = calibrate_fit(p, s.tf, s.st, s.observed, &fo, &x, s.h, &status, reason,
                            sizeof reason, err, sizeof err);
    progress_end(fp.pr, 0);
    if (fit) {
        cmd_error("calibrate", "%s (the generations done are kept in %s: go on "
                  "with --resume)", err, s.ckpt);
        rc = EXIT_RUNTIME;
        goto free_meta;
    }
    if (status == ABC_INTERRUPTED) {
        cmd_error("calibrate", "%s; the generations done are kept in %s: go on "
                  "with --resume", reason, s.ckpt);
        rc = EXIT_INTERRUPTED;
        goto free_meta;
    }
    if (s.h->n_gen == 0) {
        cmd_error("calibrate", "%s", reason);
        rc = EXIT_NOT_CONVERGED;
        goto free_meta;
    }
    if (rank != 0) {
        rc = status == ABC_CONVERGED ? EXIT_OK : EXIT_NOT_CONVERGED;
        goto free_meta;
    }
    posterior_meta pm = ck.meta;
    pm.h = s.h;
    pm.status = abc_status_names[status];
    pm.reason = reason;
    pm.converged = status == ABC_CONVERGED;
    if (posterior_write(s.out, &pm, err, sizeof err)) {
        cmd_error("calibrate", "%s (the generations are kept in %s)", err, s.ckpt);
        rc = EXIT_RUNTIME;
        goto free_meta;
    }
    unlink(s.ckpt);
    if (!a->quiet) {
        printf("%s: %d particles, %d generation%s; %s: %s\n",
               a->recover ? "recovery fit" : "ABC-SMC fit", s.h->N, s.h->n_gen,
               s.h->n_gen == 1 ? "" : "s",
               status == ABC_CONVERGED ? "converged" : "NOT DONE", reason);
        print_generations(s.h, a->markdown);
        printf("\n");
        if (!a->recover)
            print_posterior(s.tf, s.h, a->markdown);
    }
    rc = status == ABC_CONVERGED ? EXIT_OK : EXIT_NOT_CONVERGED;
    if (a->recover) {
        int bad = print_recovery(s.tf, s.h, s.truth, a->markdown);
        if (!a->quiet)
            printf("\n%d of %d parameters recovered (the posterior's 5-95%% interval "
                   "covers the truth and is at most %.1f of the prior's width)\n",
                   d - bad, d, RECOVER_NARROWER);
        if (bad && rc == EXIT_OK)
            rc = EXIT_OUTSIDE;
    } else if (!a->quiet) {
        /* the targets from runs drawn from the posterior just written */
        if (!(s.post = posterior_read(s.out, err, sizeof err))) {
            cmd_error("calibrate", "%s", err);
            rc = EXIT_RUNTIME;
            goto free_meta;
        }
        int n = a->predictive;
        if (!(s.values = calloc((size_t)n * m + 1, sizeof *s.values)) ||
            calibrate_evaluate(p, s.tf->ms, n, a->jobs, master, s.post, s.values, err,
                               sizeof err)) {
            cmd_error("calibrate", "%s", s.values ? err : "out of memory");
            rc = EXIT_RUNTIME;
            goto free_meta;
        }
        printf("\nTargets, model median and 5-95%% of %d runs drawn from the posterior "
               "(parameter uncertainty and chance):\n\n", n);
        print_sections(s.tf->ms, s.st, s.values, n, a->markdown,
                       a->fit_until ? a->fit_until : "");
    }
    if (status != ABC_CONVERGED)
        cmd_error("calibrate", "the fit is not done (%s: %s); %s records it",
                  abc_status_names[status], reason, s.out);
    if (a->write_config) {
        if (status != ABC_CONVERGED)
            cmd_error("calibrate", "--write-config: not written, the fit did not converge");
        else if (write_config(a->write_config, s.tf, s.h, s.history, s.cfg_in))
            rc = EXIT_RUNTIME;
    }
    if (!a->quiet)
        printf("\nwrote %s\n", s.out);
free_meta:
    free(punits);
    free(pnames);
    free(ptexts);
    free(ptext);
    free(snames);
    free(slabels);
    free(sunits);
    free(sroles);
    free(sdates);
    free(lo);
    free(hi);
done:
    cal_state_free(&s);
    return rc;
}
