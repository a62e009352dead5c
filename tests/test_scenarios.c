/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_scenarios.c - each scenario of the library does what its header
 * comment says, against the baseline, on paired ensembles (common random
 * numbers) with 95% intervals: behaviour, not single seeds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <gsl/gsl_cdf.h>

#include "cmd/cmd.h"
#include "exp/ensemble.h"
#include "io/config.h"
#include "io/targets.h"

#define RUNS 20

typedef struct {
    double mean_a, mean_b, diff, lo, hi; /* diff = B - A with its 95% interval */
    double *b;                           /* B's values, one per run */
} paired;

/* Measures for the tests, beyond the compiled-in headlines. */
static const char extra_measures[] =
    "measures = (\n"
    "  { name = \"ir_drones_ru_cut\"; variables = [\"flow\", \"-interdicted\"];\n"
    "    agents = [\"IRN\"]; partners = [\"RUS\"]; goods = [\"drones\"];\n"
    "    from = \"2024-04\"; to = \"2027-12\"; reduce = \"mean\"; },\n"
    "  { name = \"ir_drones_ru_rail\"; variables = [\"flow\", \"-interdicted\"];\n"
    "    agents = [\"IRN\"]; partners = [\"RUS\"]; goods = [\"drones\"];\n"
    "    from = \"2028-02\"; to = \"2028-12\"; reduce = \"mean\"; },\n"
    "  { name = \"connectivity_after_flareup\"; variables = [\"connectivity\"];\n"
    "    from = \"2024-03\"; reduce = \"mean\"; }\n"
    ");\n";

static sim_config *load(const char *file, int months)
{
    config_error e;
    sim_config *c = config_load_file(file, &e);
    if (!c)
        fail_msg("%s:%d: %s: %s", e.file, e.line, e.key, e.reason);
    char set[64];
    snprintf(set, sizeof set, "scenario.months=%d", months);
    if (config_apply_set(c, set, &e))
        fail_msg("%s: %s", file, e.reason);
    return c;
}

/* The paired difference of measure `name` between baseline and `file`. */
static paired compare(const char *file, int months, const char *name)
{
    sim_config *a = load("scenarios/baseline.cfg", months), *b = load(file, months);
    const model_params *pa = config_params(a), *pb = config_params(b);
    config_error e;
    const char *text = strncmp(name, "ir_drones_ru_", 13) == 0 ||
                               strcmp(name, "connectivity_after_flareup") == 0
                           ? extra_measures
                           : sim_embedded_headlines;
    target_file *t = targets_load_string(text, "measures", pa, &e);
    if (!t)
        fail_msg("measures: %s: %s", e.key, e.reason);
    int k = 0;
    while (k < t->ms->n && strcmp(t->ms->m[k].name, name) != 0)
        k++;
    assert_true(k < t->ms->n);
    int nm = t->ms->n;
    double *va = calloc((size_t)RUNS * nm, sizeof *va);
    double *vb = calloc((size_t)RUNS * nm, sizeof *vb);
    char err[512];
    ensemble ea = {.p = pa, .master = 20230101, .n_runs = RUNS, .jobs = 2,
                   .ms = t->ms, .values = va};
    ensemble eb = ea;
    eb.p = pb;
    eb.values = vb;
    assert_int_equal(ensemble_run(&ea, err, sizeof err), 0);
    assert_int_equal(ensemble_run(&eb, err, sizeof err), 0);
    paired r = {0};
    r.b = calloc(RUNS, sizeof *r.b);
    double sd = 0, sdd = 0;
    for (int i = 0; i < RUNS; i++) {
        double x = va[i * nm + k], y = vb[i * nm + k];
        r.mean_a += x / RUNS;
        r.mean_b += y / RUNS;
        r.b[i] = y;
        sd += y - x;
        sdd += (y - x) * (y - x);
    }
    r.diff = sd / RUNS;
    double var = (sdd - RUNS * r.diff * r.diff) / (RUNS - 1);
    double half = gsl_cdf_tdist_Pinv(0.975, RUNS - 1) * sqrt(fmax(var, 0) / RUNS);
    r.lo = r.diff - half;
    r.hi = r.diff + half;
    print_message("%s %s: A %.6g B %.6g, B-A %.6g [%.6g, %.6g]\n", file, name,
                  r.mean_a, r.mean_b, r.diff, r.lo, r.hi);
    free(va);
    free(vb);
    targets_free(t);
    config_free(a);
    config_free(b);
    return r;
}

#define LOWER(r) assert_true((r).hi < 0.0)
#define HIGHER(r) assert_true((r).lo > 0.0)

static void test_escalation(void **state)
{
    (void)state;
    paired r = compare("scenarios/sanctions_escalation.cfg", 24, "ru_drone_output");
    LOWER(r);
    free(r.b);
    /* less USD, so more local currency, in Russia-China settlement */
    r = compare("scenarios/sanctions_escalation.cfg", 24, "usd_cn_ru_end");
    LOWER(r);
    free(r.b);
}

static void test_relief(void **state)
{
    (void)state;
    paired r = compare("scenarios/sanctions_relief.cfg", 36, "usd_cn_ru_end");
    HIGHER(r);
    free(r.b);
}

static void test_caspian(void **state)
{
    (void)state;
    /* fewer Iranian drones reach Russia while only the Caspian is open ... */
    paired cut = compare("scenarios/caspian_interdiction.cfg", 72, "ir_drones_ru_cut");
    LOWER(cut);
    /* ... and more once the Rasht-Astara rail link has opened */
    paired rail = compare("scenarios/caspian_interdiction.cfg", 72, "ir_drones_ru_rail");
    assert_true(rail.mean_b > 2.0 * cut.mean_b);
    free(cut.b);
    free(rail.b);
}

static void test_flareup(void **state)
{
    (void)state;
    paired r = compare("scenarios/central_asia_flareup.cfg", 24,
                       "connectivity_after_flareup");
    LOWER(r);
    free(r.b);
}

static void test_expansion(void **state)
{
    (void)state;
    paired r = compare("scenarios/bloc_expansion.cfg", 36, "members_end");
    int joined = 0;
    for (int i = 0; i < RUNS; i++)
        joined += r.b[i] >= 5.0;
    /* at least one candidate joins, in (nearly) every run */
    assert_true(joined >= RUNS * 9 / 10);
    HIGHER(r);
    free(r.b);
}

static void test_dprk(void **state)
{
    (void)state;
    paired r = compare("scenarios/dprk_tech_transfer.cfg", 24, "kp_shells_ru");
    HIGHER(r);
    free(r.b);
    r = compare("scenarios/dprk_tech_transfer.cfg", 24, "rivalry_cn_kp_end");
    HIGHER(r);
    free(r.b);
}

static void test_dedollarisation(void **state)
{
    (void)state;
    paired r = compare("scenarios/dedollarisation.cfg", 24, "usd_cn_ru_end");
    LOWER(r);
    free(r.b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escalation),
        cmocka_unit_test(test_relief),
        cmocka_unit_test(test_caspian),
        cmocka_unit_test(test_flareup),
        cmocka_unit_test(test_expansion),
        cmocka_unit_test(test_dprk),
        cmocka_unit_test(test_dedollarisation),
    };
    return cmocka_run_group_tests_name("scenario behaviour", tests, NULL, NULL);
}
