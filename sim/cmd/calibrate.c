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
#include <time.h>
#include <unistd.h>

#include "exp/calibrate.h"
#include "io/posterior.h"
#include "io/targets.h"
#include "model/seedhash.h"

const cmd_cluster *cmd_calibrate_cluster = NULL;

static const char calibrate_usage[] =
    "usage: sim calibrate [SCENARIO.cfg] --targets FILE [-o FILE] [--check]\n"
    "                     [--recover] [--fit-until YYYY-MM] [--posterior FILE]\n"
    "                     [--particles N] [--generations G] [--tolerance EPS]\n"
    "                     [--distance max|rms] [--alpha A] [--min-acceptance A]\n"
    "                     [--min-ess F]\n"
    "                     [--max-attempts K] [--replicates N] [--draws D]\n"
    "                     [--predictive N] [--resume] [--write-config FILE]\n"
    "                     [--jobs J] [--seed N] [--months N] [--set path=value]...\n"
    "                     [--markdown] [-q]\n"
    "\n"
    "Sample the posterior of the `free` parameters of the targets file by\n"
    "ABC-SMC (population Monte Carlo with adaptive tolerances), each from its\n"
    "prior in the scenario (<key>_prior next to its value).  The distance is\n"
    "the largest, over the fitted targets, of |model - figure| / half the\n"
    "figure's range (--distance rms: their root mean square); the fit is done\n"
    "when a generation reaches the target tolerance with enough effective\n"
    "sample size (ESS).  Writes every generation to\n"
    "FILE (default <scenario>_posterior.h5), prints the convergence, the\n"
    "posterior and the targets from runs drawn from it.  Before fitting,\n"
    "targets that do not move across draws from the prior, or that equal a\n"
    "number the configuration sets, are reported as identities and left out.\n"
    "\n"
    "  --targets FILE      targets, measures and free parameters\n"
    "  --check             no fit: the identities, and the table of targets for\n"
    "                      the scenario as it is (or drawn from --posterior);\n"
    "                      exit 4 if a median lies outside its range\n"
    "  --recover           fit synthetic targets made by the scenario itself (its\n"
    "                      values are the truth) and report, per parameter,\n"
    "                      whether the posterior covers the truth and is narrower\n"
    "                      than the prior; exit 4 if one is not recovered\n"
    "  --fit-until YYYY-MM fit the targets dated up to this month; report the\n"
    "                      later ones out of sample\n"
    "  --posterior FILE    with --check: draw each run's parameters from FILE\n"
    "  --particles N       particles per generation (default 1000)\n"
    "  --generations G     at most G generations (default 30)\n"
    "  --tolerance EPS     the target tolerance (default 1: every fitted target\n"
    "                      of an accepted particle lies within its range)\n"
    "  --distance max|rms  the largest scaled deviation (default) or their root\n"
    "                      mean square\n"
    "  --alpha A           next tolerance: the A-quantile of the distances (0.5)\n"
    "  --min-acceptance A  a generation accepting fewer particles per simulation\n"
    "                      has stalled (default 0.01)\n"
    "  --min-ess F         the last ESS must reach F * particles (default 0.1)\n"
    "  --max-attempts K    simulations a particle may use in a generation\n"
    "                      (default 2000)\n"
    "  --replicates N      runs per particle (default 1); with --check, runs of\n"
    "                      the table (default 20)\n"
    "  --draws D           draws from the prior for the identity check (default\n"
    "                      40; 0: no check)\n"
    "  --predictive N      runs drawn from the posterior for the tables after a\n"
    "                      fit (default 100)\n"
    "  --resume            go on with an interrupted fit from FILE.checkpoint\n"
    "  --write-config FILE the posterior medians as a `calibrated` group (only\n"
    "                      when the fit converged)\n"
    "  --jobs J            worker threads (default 1); results do not depend on J\n"
    "  --markdown          print the tables as Markdown\n"
    "\n"
    "exit: 0 done; 3 interrupted (resume with --resume); 4 a check failed;\n"
    "5 the fit did not converge (FILE says why: status, status_reason).\n";

static volatile sig_atomic_t stop_flag = 0;

static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

typedef struct {
    const char *targets, *fit_until, *posterior, *write_config, *distance;
    int check, recover, resume, markdown;
    int particles, generations, max_attempts, draws, predictive;
    double tolerance, alpha, min_acceptance, min_ess;
    int replicates_given;
} cal_opts;

/* ---- options --------------------------------------------------------------- */

static int number_option(const char *name, const char *v, double lo, double hi,
                         int integer, double *out)
{
    char *end;
    errno = 0;
    double x = strtod(v, &end);
    if (end == v || *end || errno || !(x >= lo && x <= hi) ||
        (integer && x != floor(x))) {
        cmd_error("calibrate", "%s: '%s' is not %s from %g to %g", name, v,
                  integer ? "a whole number" : "a number", lo, hi);
        return -1;
    }
    *out = x;
    return 0;
}

/* One calibrate option at argv[*k]: 1 used, 0 not ours, -1 error. */
static int calibrate_option(int argc, char **argv, int *k, cal_opts *c)
{
    const char *a = argv[*k];
    static const char *const flags[] = {"--check", "--recover", "--resume", "--markdown"};
    int *slots[] = {&c->check, &c->recover, &c->resume, &c->markdown};
    for (int f = 0; f < 4; f++)
        if (strcmp(a, flags[f]) == 0) {
            *slots[f] = 1;
            return 1;
        }
    static const char *const texts[] = {"--targets", "--fit-until", "--posterior",
                                        "--write-config", "--distance"};
    const char **tslots[] = {&c->targets, &c->fit_until, &c->posterior, &c->write_config,
                             &c->distance};
    static const struct {
        const char *name;
        double lo, hi;
        int integer;
    } nums[] = {{"--particles", 2, 10000000, 1},   {"--generations", 1, 10000, 1},
                {"--max-attempts", 1, 1e9, 1},     {"--draws", 0, 1000000, 1},
                {"--predictive", 1, 1000000, 1},   {"--tolerance", 0, 1e300, 0},
                {"--alpha", 0.01, 0.99, 0},        {"--min-acceptance", 0, 1, 0},
                {"--min-ess", 0, 1, 0}};
    int texts_n = 5, nums_n = (int)(sizeof nums / sizeof nums[0]);
    for (int t = 0; t < texts_n + nums_n; t++) {
        const char *name = t < texts_n ? texts[t] : nums[t - texts_n].name;
        if (strcmp(a, name) != 0)
            continue;
        if (*k + 1 >= argc) {
            cmd_error("calibrate", "option %s needs a value", a);
            return -1;
        }
        const char *v = argv[++*k];
        if (t < texts_n) {
            *tslots[t] = v;
            return 1;
        }
        double x;
        int n = t - texts_n;
        if (number_option(name, v, nums[n].lo, nums[n].hi, nums[n].integer, &x))
            return -1;
        switch (n) {
        case 0: c->particles = (int)x; break;
        case 1: c->generations = (int)x; break;
        case 2: c->max_attempts = (int)x; break;
        case 3: c->draws = (int)x; break;
        case 4: c->predictive = (int)x; break;
        case 5: c->tolerance = x; break;
        case 6: c->alpha = x; break;
        case 7: c->min_acceptance = x; break;
        default: c->min_ess = x; break;
        }
        return 1;
    }
    return 0;
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
            *outside += !ok;
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
    const char *path;            /* where the checkpoint goes */
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

/* The posterior medians as a `calibrated` group, written atomically. */
static int write_config(const char *path, const target_file *tf, const smc_history *h,
                        const char *history, char *err, size_t len)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "w");
    if (!f) {
        snprintf(err, len, "cannot create %s: %s", path, strerror(errno));
        return -1;
    }
    fprintf(f, "# calibrated.cfg - written by `sim calibrate`; the baseline includes it.\n"
               "# The posterior medians of an ABC-SMC fit (%d particles, %d generations,\n"
               "# tolerance %.4g); the posterior itself is the fit's file.\n"
               "calibrated = {\n  command = \"",
            h->N, h->n_gen, h->tolerance[h->n_gen - 1]);
    for (const char *s = history; *s; s++) {
        if (*s == '"' || *s == '\\')
            fputc('\\', f);
        fputc((unsigned char)*s < 0x20 ? ' ' : *s, f);
    }
    fprintf(f, "\";\n  set = [\n");
    for (int k = 0; k < tf->n_free; k++) {
        static const double half = 0.5;
        double med;
        calibrate_param_quantiles(h, k, &half, 1, &med);
        fprintf(f, "    \"%s=%.10g\"%s\n", tf->free[k].path, med,
                k + 1 < tf->n_free ? "," : "");
    }
    fprintf(f, "  ];\n};\n");
    int bad = ferror(f);
    bad |= fflush(f) != 0 || fsync(fileno(f)) != 0;
    bad |= fclose(f) != 0;
    if (bad || rename(tmp, path) != 0) {
        snprintf(err, len, "cannot write %s: %s", path, strerror(errno));
        unlink(tmp);
        return -1;
    }
    return 0;
}

/* Is `path` a file the fit must not write: not a regular file, or one of
 * its inputs?  The reason, or NULL. */
static const char *not_ours(const char *path, const char *const *inputs, int n)
{
    struct stat a, b;
    if (stat(path, &a) != 0)
        return NULL;
    if (!S_ISREG(a.st_mode))
        return "is not a regular file";
    for (int k = 0; k < n; k++)
        if (inputs[k] && stat(inputs[k], &b) == 0 && a.st_dev == b.st_dev &&
            a.st_ino == b.st_ino)
            return "is an input of the fit";
    return NULL;
}

/* ---- the command ------------------------------------------------------------ */

typedef struct {
    cal_opts c;
    scenario_opts o;
    sim_config *cfg;
    target_file *tf;
    calib_stats *st;
    smc_history *h;
    posterior_file *post;
    char *history, *config_text, *targets_text, *out, *ckpt;
    double *values, *truth, *observed;
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
    config_free(s->cfg);
}

/* --check: the table for the scenario as it stands or drawn from a posterior. */
static int run_check(cal_state *s, const calib_exec *x, unsigned long long master)
{
    const model_params *p = config_params(s->cfg);
    int n = s->o.replicates, rc = EXIT_OK;
    char err[1024];
    if (s->c.posterior) {
        if (!(s->post = posterior_read(s->c.posterior, err, sizeof err))) {
            cmd_error("calibrate", "--posterior %s", err);
            return EXIT_INPUT;
        }
        if (!s->post->converged)
            fprintf(stderr, "sim: calibrate: warning: %s is not a finished fit (status "
                    "%s: %s)\n", s->c.posterior, s->post->status, s->post->reason);
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
    int outside = print_sections(s->tf->ms, s->st, s->values, n, s->c.markdown,
                                 s->c.fit_until);
    if (s->post && !s->c.markdown)
        printf("\n(model median and 5-95%% of %d runs, each drawing its parameters "
               "from %s: parameter uncertainty and chance)\n", n, s->c.posterior);
    if (outside)
        rc = EXIT_OUTSIDE;
    return rc;
}

int cmd_calibrate(int argc, char **argv)
{
    const char **sets = calloc((size_t)argc + 1, sizeof *sets);
    cal_state s = {.c = {.particles = 1000, .generations = 30, .max_attempts = 2000,
                         .draws = 40, .predictive = 100, .tolerance = 1.0,
                         .alpha = 0.5, .min_acceptance = 0.01, .min_ess = 0.1},
                   .o = {.sets = sets, .replicates = 0, .jobs = 1}};
    const cmd_cluster *cl = cmd_calibrate_cluster;
    int rank = cl ? cl->rank : 0, rc = EXIT_INPUT;
    char err[1024], reason[1024] = "";
    if (!sets)
        return EXIT_RUNTIME;
    for (int k = 1; k < argc; k++) {
        if (strcmp(argv[k], "-h") == 0 || strcmp(argv[k], "--help") == 0) {
            if (rank == 0)
                fputs(calibrate_usage, stdout);
            free(sets);
            return EXIT_OK;
        }
        int used = calibrate_option(argc, argv, &k, &s.c);
        if (used == 0)
            used = cmd_scenario_option("calibrate", argc, argv, &k, &s.o);
        if (used < 0)
            goto done;
        if (used)
            continue;
        if (argv[k][0] == '-' || s.o.scenario) {
            cmd_error("calibrate", "unexpected argument '%s' (see 'sim calibrate --help')",
                      argv[k]);
            goto done;
        }
        s.o.scenario = argv[k];
    }
    s.c.replicates_given = s.o.replicates > 0;
    if (!s.o.replicates)
        s.o.replicates = s.c.check ? 20 : 1;
    if (s.c.distance && strcmp(s.c.distance, "max") != 0 &&
        strcmp(s.c.distance, "rms") != 0) {
        cmd_error("calibrate", "--distance: '%s' is not max or rms", s.c.distance);
        goto done;
    }
    int rms = s.c.distance && strcmp(s.c.distance, "rms") == 0;
    if (!s.c.targets) {
        cmd_error("calibrate", "--targets FILE is required (see 'sim calibrate --help')");
        goto done;
    }
    if (s.c.check + s.c.recover > 1 || (s.c.posterior && !s.c.check)) {
        cmd_error("calibrate", "%s", s.c.posterior && !s.c.check
                                         ? "--posterior goes with --check (a fit makes its own)"
                                         : "--check and --recover exclude each other");
        goto done;
    }
    if (!(s.cfg = cmd_load_scenario(&s.o)))
        goto done;
    const model_params *p = config_params(s.cfg);
    config_error ce;
    if (!(s.tf = targets_load(s.c.targets, p, &ce))) {
        char line[1200];
        config_error_format(&ce, line, sizeof line);
        cmd_error("calibrate", "%s", line);
        goto done;
    }
    int fit_until = INT_MAX;
    if (s.c.fit_until && month_step(s.c.fit_until, p, &fit_until))
        goto done;
    if (!s.c.check && s.tf->n_free == 0) {
        cmd_error("calibrate", "%s has no free parameters (or use --check)", s.c.targets);
        goto done;
    }
    if (!(s.st = calib_stats_alloc(s.tf, p, fit_until))) {
        cmd_error("calibrate", "out of memory");
        rc = EXIT_RUNTIME;
        goto done;
    }
    if (s.c.fit_until && count_role(s.st, ROLE_FIT) == 0) {
        cmd_error("calibrate", "--fit-until %s: no target is dated that early",
                  s.c.fit_until);
        goto done;
    }
    unsigned long long master = (unsigned long long)p->g.seed;
    calib_exec x = {.jobs = s.o.jobs, .rank = rank, .n_ranks = cl ? cl->size : 1,
                    .share = cl ? cl->share : NULL, .share_ctx = cl ? cl->ctx : NULL,
                    .stop = &stop_flag,
                    .progress = rank == 0 && !s.o.quiet ? stderr : NULL};
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    /* the identities, measured across draws from the prior */
    if (s.c.draws > 0 &&
        calibrate_identity(p, s.tf->ms, s.tf->free, s.tf->n_free, s.c.draws, master, &x,
                           s.st, err, sizeof err)) {
        cmd_error("calibrate", "%s", err);
        rc = stop_flag ? EXIT_INTERRUPTED : EXIT_RUNTIME;
        goto done;
    }
    if (s.c.check) {
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
    if (s.c.recover) {
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
        if (calibrate_evaluate(p, s.tf->ms, n, s.o.jobs,
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
    /* the files: the result, and its checkpoint while the fit runs */
    const char *suffix = s.c.recover ? "_recovery.h5" : "_posterior.h5";
    if (s.o.output) {
        s.out = strdup(s.o.output);
    } else if ((s.out = malloc(strlen(p->g.name) + 20))) {
        sprintf(s.out, "%s%s", p->g.name, suffix);
    }
    if (s.out && (s.ckpt = malloc(strlen(s.out) + 16)))
        sprintf(s.ckpt, "%s.checkpoint", s.out);
    if (s.out && s.ckpt) {
        const char *inputs[2] = {s.c.targets, s.o.scenario};
        const char *why = not_ours(s.out, inputs, 2), *at = s.out;
        if (!why)
            why = not_ours(at = s.ckpt, inputs, 2);
        if (why) {
            cmd_error("calibrate", "will not write %s: it %s", at, why);
            goto done;
        }
    }
    s.history = cmd_history(argc + 1, argv - 1);
    s.config_text = config_resolved_text(s.cfg);
    s.targets_text = read_text(s.c.targets);
    s.h = smc_history_alloc(s.c.particles, d, m);
    if (!s.out || !s.ckpt || !s.history || !s.config_text || !s.targets_text || !s.h) {
        cmd_error("calibrate", "out of memory");
        rc = EXIT_RUNTIME;
        goto done;
    }
    /* what must match to resume */
    char settings[512], fit_hash[32];
    snprintf(settings, sizeof settings,
             "particles=%d alpha=%.17g tolerance=%.17g replicates=%d attempts=%d "
             "seed=%llu fit_until=%d draws=%d recover=%d rms=%d", s.c.particles,
             s.c.alpha, s.c.tolerance, s.o.replicates, s.c.max_attempts, master,
             fit_until, s.c.draws, s.c.recover, rms);
    snprintf(fit_hash, sizeof fit_hash, "%016llx",
             (unsigned long long)fnv(fnv(fnv(0xcbf29ce484222325ULL, s.config_text),
                                         s.targets_text), settings));
    struct stat sb;
    if (stat(s.ckpt, &sb) == 0) {
        if (!s.c.resume) {
            cmd_error("calibrate", "%s holds an interrupted fit: go on with --resume, "
                      "or remove it to start afresh", s.ckpt);
            goto done;
        }
        posterior_file *prev = posterior_read(s.ckpt, err, sizeof err);
        if (!prev) {
            cmd_error("calibrate", "%s (remove it to start afresh)", err);
            goto done;
        }
        if (strcmp(prev->fit_hash, fit_hash) != 0 || prev->h->N != s.c.particles ||
            prev->d != d || prev->h->m != m) {
            cmd_error("calibrate", "%s belongs to another fit (the scenario, the targets "
                      "or the settings changed); remove it to start afresh", s.ckpt);
            posterior_file_free(prev);
            goto done;
        }
        smc_history_free(s.h);
        s.h = prev->h;
        prev->h = NULL;
        posterior_file_free(prev);
        if (x.progress)
            fprintf(x.progress, "abc: resuming after generation %d of %s\n",
                    s.h->n_gen - 1, s.ckpt);
    } else if (s.c.resume && rank == 0 && !s.o.quiet) {
        fprintf(stderr, "sim: calibrate: no %s: starting afresh\n", s.ckpt);
    }
    /* the file's description of the statistics */
    const char **pnames = calloc((size_t)d + 1, sizeof *pnames);
    const char **ptexts = calloc((size_t)d + 1, sizeof *ptexts);
    char (*ptext)[200] = calloc((size_t)d + 1, sizeof *ptext);
    const char **snames = calloc((size_t)m + 1, sizeof *snames);
    const char **slabels = calloc((size_t)m + 1, sizeof *slabels);
    const char **sunits = calloc((size_t)m + 1, sizeof *sunits);
    const char **sroles = calloc((size_t)m + 1, sizeof *sroles);
    const char **sdates = calloc((size_t)m + 1, sizeof *sdates);
    double *lo = calloc((size_t)m + 1, sizeof *lo), *hi = calloc((size_t)m + 1, sizeof *hi);
    if (!pnames || !ptexts || !ptext || !snames || !slabels || !sunits || !sroles ||
        !sdates || !lo || !hi) {
        cmd_error("calibrate", "out of memory");
        rc = EXIT_RUNTIME;
        goto free_meta;
    }
    for (int k = 0; k < d; k++) {
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
        {"alpha", s.c.alpha},
        {"target_tolerance", s.c.tolerance},
        {"min_acceptance", s.c.min_acceptance},
        {"min_ess", s.c.min_ess},
        {"max_generations", s.c.generations},
        {"max_attempts", s.c.max_attempts},
        {"replicates", s.o.replicates},
        {"identity_draws", s.c.draws},
        {"identity_cv", CALIB_IDENTITY_CV},
        {"recovery", s.c.recover},
        {"distance_rms", rms}};
    ckpt_ctx ck = {.path = s.ckpt};
    ck.meta = (posterior_meta){
        .param_names = pnames, .prior_texts = ptexts, .stat_names = snames,
        .stat_labels = slabels, .stat_units = sunits, .stat_roles = sroles,
        .stat_dates = sdates, .observed = s.observed ? s.observed : s.st->observed,
        .low = lo, .high = hi, .scale = s.st->scale, .weight = s.st->weight,
        .fit_hash = fit_hash, .seed = master, .settings = settings_attrs,
        .n_settings = (int)(sizeof settings_attrs / sizeof settings_attrs[0]),
        .config_text = s.config_text, .targets_text = s.targets_text,
        .history = s.history};
    calib_fit_opts fo = {.particles = s.c.particles, .max_generations = s.c.generations,
                         .replicates = s.o.replicates, .max_attempts = s.c.max_attempts,
                         .alpha = s.c.alpha, .tolerance = s.c.tolerance,
                         .min_acceptance = s.c.min_acceptance, .min_ess = s.c.min_ess,
                         .distance = rms ? ABC_DISTANCE_RMS : ABC_DISTANCE_MAX,
                         .seed = master,
                         .checkpoint = rank == 0 ? write_checkpoint : NULL,
                         .checkpoint_ctx = &ck};
    abc_status status = ABC_RUNNING;
    if (calibrate_fit(p, s.tf, s.st, s.observed, &fo, &x, s.h, &status, reason,
                      sizeof reason, err, sizeof err)) {
        if (rank == 0)
            cmd_error("calibrate", "%s (the generations done are kept in %s: go on "
                      "with --resume)", err, s.ckpt);
        rc = EXIT_RUNTIME;
        goto free_meta;
    }
    if (status == ABC_INTERRUPTED) {
        if (rank == 0)
            cmd_error("calibrate", "%s; the generations done are kept in %s: go on "
                      "with --resume", reason, s.ckpt);
        rc = EXIT_INTERRUPTED;
        goto free_meta;
    }
    if (s.h->n_gen == 0) {
        if (rank == 0)
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
    if (!s.o.quiet) {
        printf("%s: %d particles, %d generation%s; %s: %s\n",
               s.c.recover ? "recovery fit" : "ABC-SMC fit", s.h->N, s.h->n_gen,
               s.h->n_gen == 1 ? "" : "s",
               status == ABC_CONVERGED ? "converged" : "NOT DONE", reason);
        print_generations(s.h, s.c.markdown);
        printf("\n");
        if (!s.c.recover)
            print_posterior(s.tf, s.h, s.c.markdown);
    }
    rc = status == ABC_CONVERGED ? EXIT_OK : EXIT_NOT_CONVERGED;
    if (s.c.recover) {
        int bad = print_recovery(s.tf, s.h, s.truth, s.c.markdown);
        if (!s.o.quiet)
            printf("\n%d of %d parameters recovered (the posterior's 5-95%% interval "
                   "covers the truth and is at most %.1f of the prior's width)\n",
                   d - bad, d, RECOVER_NARROWER);
        if (bad && rc == EXIT_OK)
            rc = EXIT_OUTSIDE;
    } else if (!s.o.quiet) {
        /* the targets from runs drawn from the posterior just written */
        if (!(s.post = posterior_read(s.out, err, sizeof err))) {
            cmd_error("calibrate", "%s", err);
            rc = EXIT_RUNTIME;
            goto free_meta;
        }
        int n = s.c.predictive;
        if (!(s.values = calloc((size_t)n * m + 1, sizeof *s.values)) ||
            calibrate_evaluate(p, s.tf->ms, n, s.o.jobs, master, s.post, s.values, err,
                               sizeof err)) {
            cmd_error("calibrate", "%s", s.values ? err : "out of memory");
            rc = EXIT_RUNTIME;
            goto free_meta;
        }
        printf("\nTargets, model median and 5-95%% of %d runs drawn from the posterior "
               "(parameter uncertainty and chance):\n\n", n);
        print_sections(s.tf->ms, s.st, s.values, n, s.c.markdown,
                       s.c.fit_until ? s.c.fit_until : "");
    }
    if (status != ABC_CONVERGED)
        cmd_error("calibrate", "the fit is not done (%s: %s); %s records it",
                  abc_status_names[status], reason, s.out);
    if (s.c.write_config) {
        if (status != ABC_CONVERGED) {
            cmd_error("calibrate", "--write-config: not written, the fit did not converge");
        } else if (write_config(s.c.write_config, s.tf, s.h, s.history, err, sizeof err)) {
            cmd_error("calibrate", "%s", err);
            rc = EXIT_RUNTIME;
        }
    }
    if (!s.o.quiet)
        printf("\nwrote %s\n", s.out);
free_meta:
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
    free(sets);
    return rc;
}
