/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_scenarios.c - behaviour, not single seeds: each scenario of the
 * library, and the test variants of tests/scenarios/, does what its header
 * comment says against the baseline, on paired ensembles (common random
 * numbers) with 95% intervals.  A test compares outcomes the agents make
 * (output, flows, shares, treasuries, membership); none checks a figure a
 * configuration sets.
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

#include "exp/ensemble.h"
#include "io/config.h"
#include "io/targets.h"

#define RUNS 20

/* The measures the tests compare (targets.cfg's format). */
static const char measures[] =
    "measures = (\n"
    "  { name = \"ru_drones_24\"; variables = [\"production\"]; agents = [\"RUS\"];\n"
    "    goods = [\"drones\"]; from = \"2024-01\"; to = \"2024-12\"; reduce = \"sum\"; },\n"
    "  { name = \"ru_shells_made\"; variables = [\"production\"]; agents = [\"RUS\"];\n"
    "    goods = [\"shells\"]; from = \"2027-01\"; to = \"2029-12\"; reduce = \"sum\"; },\n"
    "  { name = \"ru_drones_late\"; variables = [\"production\"]; agents = [\"RUS\"];\n"
    "    goods = [\"drones\"]; from = \"2027-01\"; to = \"2029-12\"; reduce = \"sum\"; },\n"
    "  { name = \"ru_war_money_late\"; variables = [\"war_budget\"]; agents = [\"RUS\"];\n"
    "    from = \"2027-01\"; to = \"2029-12\"; reduce = \"mean\"; },\n"
    "  { name = \"ru_oil_revenue_late\"; variables = [\"oil_revenue\"]; agents = [\"RUS\"];\n"
    "    from = \"2026-01\"; to = \"2029-12\"; reduce = \"mean\"; },\n"
    "  { name = \"ru_shut_in\"; variables = [\"shut_in\"]; agents = [\"RUS\"]; goods = [\"oil\"];\n"
    "    from = \"2024-01\"; to = \"2029-12\"; reduce = \"sum\"; },\n"
    "  { name = \"cn_chips_ru_24\"; variables = [\"flow\"]; agents = [\"CHN\"]; partners = [\"RUS\"];\n"
    "    goods = [\"chips\"]; from = \"2024-01\"; to = \"2024-12\"; reduce = \"sum\"; },\n"
    "  { name = \"cn_chips_ru_dec23\"; variables = [\"flow\"]; agents = [\"CHN\"]; partners = [\"RUS\"];\n"
    "    goods = [\"chips\"]; from = \"2023-12\"; to = \"2023-12\"; reduce = \"first\"; },\n"
    "  { name = \"cn_chips_ru_jan24\"; variables = [\"flow\"]; agents = [\"CHN\"]; partners = [\"RUS\"];\n"
    "    goods = [\"chips\"]; from = \"2024-01\"; to = \"2024-01\"; reduce = \"first\"; },\n"
    "  { name = \"cn_chips_ru_feb24\"; variables = [\"flow\"]; agents = [\"CHN\"]; partners = [\"RUS\"];\n"
    "    goods = [\"chips\"]; from = \"2024-02\"; to = \"2024-02\"; reduce = \"first\"; },\n"
    "  { name = \"cn_chips_ru_mar24\"; variables = [\"flow\"]; agents = [\"CHN\"]; partners = [\"RUS\"];\n"
    "    goods = [\"chips\"]; from = \"2024-03\"; to = \"2024-03\"; reduce = \"first\"; },\n"
    "  { name = \"cn_chips_ru_apr24\"; variables = [\"flow\"]; agents = [\"CHN\"]; partners = [\"RUS\"];\n"
    "    goods = [\"chips\"]; from = \"2024-04\"; to = \"2024-04\"; reduce = \"first\"; },\n"
    "  { name = \"cn_chips_ru_dec24\"; variables = [\"flow\"]; agents = [\"CHN\"]; partners = [\"RUS\"];\n"
    "    goods = [\"chips\"]; from = \"2024-12\"; to = \"2024-12\"; reduce = \"first\"; },\n"
    "  { name = \"cn_exports_ru_24\"; variables = [\"trade_value\", \"civilian_trade\"];\n"
    "    agents = [\"CHN\"]; partners = [\"RUS\"]; from = \"2024-01\"; to = \"2024-12\"; reduce = \"sum\"; },\n"
    "  { name = \"usd_cn_ru_end\"; variables = [\"usd_share\"]; agents = [\"CHN\"];\n"
    "    partners = [\"RUS\"]; reduce = \"last\"; },\n"
    "  { name = \"urals_discount_25\"; variables = [\"discount\"]; agents = [\"RUS\"]; goods = [\"oil\"];\n"
    "    from = \"2025-01\"; to = \"2025-12\"; reduce = \"mean\"; },\n"
    "  { name = \"ir_drones_ru_cut\"; variables = [\"flow\", \"-interdicted\"];\n"
    "    agents = [\"IRN\"]; partners = [\"RUS\"]; goods = [\"drones\"];\n"
    "    from = \"2024-04\"; to = \"2027-12\"; reduce = \"mean\"; },\n"
    "  { name = \"ir_drones_ru_rail\"; variables = [\"flow\", \"-interdicted\"];\n"
    "    agents = [\"IRN\"]; partners = [\"RUS\"]; goods = [\"drones\"];\n"
    "    from = \"2028-03\"; to = \"2028-12\"; reduce = \"mean\"; },\n"
    "  { name = \"caspian_drones_late\"; variables = [\"route_flow\"]; routes = [\"caspian\"];\n"
    "    goods = [\"drones\"]; from = \"2024-10\"; to = \"2027-12\"; reduce = \"sum\"; },\n"
    "  { name = \"caspian_share_late\"; variables = [\"route_share\"]; routes = [\"caspian\"];\n"
    "    goods = [\"drones\"]; from = \"2024-10\"; to = \"2027-12\"; reduce = \"mean\"; },\n"
    "  { name = \"connectivity_after\"; variables = [\"connectivity\"];\n"
    "    from = \"2024-03\"; reduce = \"mean\"; },\n"
    "  { name = \"crisis_cn_ru\"; variables = [\"crisis\"]; agents = [\"CHN\"]; partners = [\"RUS\"];\n"
    "    from = \"2024-03\"; reduce = \"sum\"; },\n"
    "  { name = \"affinity_cn_ru_end\"; variables = [\"affinity\"]; agents = [\"CHN\"];\n"
    "    partners = [\"RUS\"]; reduce = \"last\"; },\n"
    "  { name = \"members_end\"; variables = [\"member\"]; reduce = \"last\"; },\n"
    "  { name = \"kp_shells_ru\"; variables = [\"flow\", \"-interdicted\"]; agents = [\"PRK\"];\n"
    "    partners = [\"RUS\"]; goods = [\"shells\"]; from = \"2024-01\"; reduce = \"sum\"; },\n"
    "  { name = \"kp_capacity_end\"; variables = [\"capacity\"]; agents = [\"PRK\"];\n"
    "    goods = [\"shells\"]; reduce = \"last\"; },\n"
    "  { name = \"rivalry_cn_kp_end\"; variables = [\"rivalry\"]; agents = [\"CHN\"];\n"
    "    partners = [\"PRK\"]; reduce = \"last\"; },\n"
    "  { name = \"ru_drone_cost_end\"; variables = [\"unit_cost\"]; agents = [\"RUS\"];\n"
    "    goods = [\"drones\"]; reduce = \"last\"; },\n"
    "  { name = \"cn_member_end\"; variables = [\"member\"]; agents = [\"CHN\"]; reduce = \"last\"; },\n"
    "  { name = \"ru_member_end\"; variables = [\"member\"]; agents = [\"RUS\"]; reduce = \"last\"; },\n"
    "  { name = \"ru_war_money_cut\"; variables = [\"war_budget\"]; agents = [\"RUS\"];\n"
    "    from = \"2026-01\"; to = \"2029-12\"; reduce = \"mean\"; },\n"
    "  { name = \"ru_shells_unfrozen\"; variables = [\"production\"]; agents = [\"RUS\"];\n"
    "    goods = [\"shells\"]; from = \"2026-01\"; to = \"2027-06\"; reduce = \"sum\"; },\n"
    "  { name = \"urals_discount_end\"; variables = [\"discount\"]; agents = [\"RUS\"];\n"
    "    goods = [\"oil\"]; from = \"2025-07\"; to = \"2025-12\"; reduce = \"mean\"; }\n"
    ");\n";

typedef struct {
    double mean_a, mean_b, diff, lo, hi; /* diff = B - A with its 95% interval */
    double *a, *b;                       /* each run's values */
} paired;

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

/* The paired difference of measure `name` between `base` and `file`, both
 * run for `months`. */
static paired compare_with(const char *base, const char *file, int months,
                           const char *name)
{
    sim_config *ca = load(base, months), *cb = load(file, months);
    const model_params *pa = config_params(ca), *pb = config_params(cb);
    config_error e;
    target_file *t = targets_load_string(measures, "measures", pa, &e);
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
    r.a = calloc(RUNS, sizeof *r.a);
    r.b = calloc(RUNS, sizeof *r.b);
    double sd = 0, sdd = 0;
    for (int i = 0; i < RUNS; i++) {
        double x = va[i * nm + k], y = vb[i * nm + k];
        assert_true(isfinite(x) && isfinite(y));
        r.mean_a += x / RUNS;
        r.mean_b += y / RUNS;
        r.a[i] = x;
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
    config_free(ca);
    config_free(cb);
    return r;
}

static paired compare(const char *file, int months, const char *name)
{
    return compare_with("scenarios/baseline.cfg", file, months, name);
}

static void done(paired *r)
{
    free(r->a);
    free(r->b);
}

#define LOWER(r) assert_true((r).hi < 0.0)
#define HIGHER(r) assert_true((r).lo > 0.0)
/* a change of at least `frac` of the baseline's mean, not a rounding */
#define SIZE(r, frac) assert_true(fabs((r).diff) >= (frac) * fabs((r).mean_a))

/* Escalation: fewer Chinese suppliers, failed payments, shrinking hubs.
 * Chips to Russia and Russian drone output fall - gradually, month by
 * month, and not to nothing: supply leaks. */
static void test_escalation_graded(void **state)
{
    (void)state;
    const char *f = "scenarios/sanctions_escalation.cfg";
    paired chips = compare(f, 24, "cn_chips_ru_24");
    LOWER(chips);
    SIZE(chips, 0.1);
    paired drones = compare(f, 24, "ru_drones_24");
    LOWER(drones);
    SIZE(drones, 0.05);
    /* graded: no month loses more than half of the month before, and
     * the last month still carries a fifth of the baseline's flow */
    const char *months[] = {"cn_chips_ru_dec23", "cn_chips_ru_jan24", "cn_chips_ru_feb24",
                            "cn_chips_ru_mar24", "cn_chips_ru_apr24"};
    double prev = -1.0;
    for (size_t m = 0; m < sizeof months / sizeof months[0]; m++) {
        paired r = compare(f, 24, months[m]);
        if (prev > 0.0)
            assert_true(r.mean_b > 0.5 * prev);
        prev = r.mean_b;
        done(&r);
    }
    paired last = compare(f, 24, "cn_chips_ru_dec24");
    assert_true(last.mean_b < last.mean_a);
    assert_true(last.mean_b > 0.2 * last.mean_a);
    done(&last);
    done(&chips);
    done(&drones);
}

/* Relief: USD payments work again, so traders return to the dollar; the
 * cap no longer bites and the discount narrows. */
static void test_relief(void **state)
{
    (void)state;
    paired r = compare("scenarios/sanctions_relief.cfg", 36, "usd_cn_ru_end");
    HIGHER(r);
    done(&r);
    r = compare("scenarios/sanctions_relief.cfg", 36, "urals_discount_end");
    LOWER(r);
    done(&r);
}

/* Interdiction: senders abandon the Caspian within months (little is
 * shipped into the losses), fewer Iranian drones arrive, and deliveries
 * recover on the rail link once it opens. */
static void test_caspian_reroute(void **state)
{
    (void)state;
    const char *f = "scenarios/caspian_interdiction.cfg";
    paired cut = compare(f, 72, "ir_drones_ru_cut");
    LOWER(cut);
    paired shipped = compare(f, 72, "caspian_drones_late");
    assert_true(shipped.mean_b < 0.1 * shipped.mean_a);
    paired share = compare(f, 72, "caspian_share_late");
    assert_true(share.mean_b < 0.05);
    assert_true(share.mean_a > 0.5);
    paired rail = compare(f, 72, "ir_drones_ru_rail");
    assert_true(rail.mean_b > 2.0 * cut.mean_b);
    done(&cut);
    done(&shipped);
    done(&share);
    done(&rail);
}

/* A flare-up past the crisis threshold: months of crisis, lower
 * connectivity of the cooperation graph. */
static void test_flareup(void **state)
{
    (void)state;
    const char *f = "scenarios/central_asia_flareup.cfg";
    paired r = compare(f, 36, "connectivity_after");
    LOWER(r);
    done(&r);
    r = compare(f, 36, "crisis_cn_ru");
    assert_true(r.mean_b >= 3.0);
    HIGHER(r);
    done(&r);
}

/* A rupture between the two largest members ends membership: China or
 * Russia is no longer a member at the end, in (nearly) every run, while
 * the baseline keeps both in (nearly) every run. */
static void test_rupture(void **state)
{
    (void)state;
    const char *f = "tests/scenarios/rupture.cfg";
    paired cn = compare(f, 48, "cn_member_end");
    paired ru = compare(f, 48, "ru_member_end");
    int broken = 0, kept = 0;
    for (int i = 0; i < RUNS; i++) {
        broken += cn.b[i] == 0.0 || ru.b[i] == 0.0;
        kept += cn.a[i] == 1.0 && ru.a[i] == 1.0;
    }
    assert_true(broken >= RUNS * 9 / 10);
    /* without the rupture both stay, but for a random crisis now and then */
    assert_true(kept >= RUNS * 9 / 10);
    done(&cn);
    done(&ru);
    paired r = compare(f, 48, "affinity_cn_ru_end");
    assert_true(r.mean_b < 0.5 * r.mean_a);
    done(&r);
}

static void test_expansion(void **state)
{
    (void)state;
    paired r = compare("scenarios/bloc_expansion.cfg", 36, "members_end");
    HIGHER(r);
    done(&r);
}

static void test_dprk(void **state)
{
    (void)state;
    paired r = compare("scenarios/dprk_tech_transfer.cfg", 48, "kp_shells_ru");
    HIGHER(r);
    SIZE(r, 0.05);
    done(&r);
    r = compare("scenarios/dprk_tech_transfer.cfg", 48, "rivalry_cn_kp_end");
    HIGHER(r);
    done(&r);
}

/* De-dollarisation builds payment channels outside exposed banks: less of
 * the trade is in dollars and less of it fails after EO 14114. */
static void test_dedollarisation(void **state)
{
    (void)state;
    paired r = compare("scenarios/dedollarisation.cfg", 24, "usd_cn_ru_end");
    LOWER(r);
    done(&r);
    r = compare("scenarios/dedollarisation.cfg", 24, "cn_exports_ru_24");
    HIGHER(r);
    done(&r);
}

/* A second drone plant: more output, and along the learning curve a
 * cheaper drone. */
static void test_iran_plant(void **state)
{
    (void)state;
    paired r = compare("scenarios/iran_drone_plant.cfg", 24, "ru_drones_24");
    HIGHER(r);
    SIZE(r, 0.1);
    done(&r);
    r = compare("scenarios/iran_drone_plant.cfg", 24, "ru_drone_cost_end");
    LOWER(r);
    done(&r);
}

/* Money binds: with its oil shut out of the world's shipping for years,
 * Russia sells less, its reserve and borrowing run out, and its plans are
 * cut - military output with them. */
static void test_budget_binds(void **state)
{
    (void)state;
    const char *f = "tests/scenarios/oil_cutoff.cfg";
    paired r = compare(f, 84, "ru_oil_revenue_late");
    LOWER(r);
    SIZE(r, 0.2);
    done(&r);
    r = compare(f, 84, "ru_shut_in");
    HIGHER(r);
    done(&r);
    r = compare(f, 84, "ru_war_money_late");
    LOWER(r);
    SIZE(r, 0.05);
    done(&r);
    r = compare(f, 84, "ru_shells_made");
    LOWER(r);
    done(&r);
}

/* An unfreeze: in the world of oil_cutoff, where money binds, returning
 * $100 bn of Russia's frozen reserves in 2026 restores its plans. */
static void test_unfreeze(void **state)
{
    (void)state;
    paired r = compare_with("tests/scenarios/oil_cutoff.cfg",
                            "tests/scenarios/oil_cutoff_unfreeze.cfg", 84,
                            "ru_war_money_cut");
    HIGHER(r);
    SIZE(r, 0.05);
    done(&r);
    r = compare_with("tests/scenarios/oil_cutoff.cfg",
                     "tests/scenarios/oil_cutoff_unfreeze.cfg", 84, "ru_shells_unfrozen");
    HIGHER(r);
    done(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escalation_graded),
        cmocka_unit_test(test_relief),
        cmocka_unit_test(test_caspian_reroute),
        cmocka_unit_test(test_flareup),
        cmocka_unit_test(test_rupture),
        cmocka_unit_test(test_expansion),
        cmocka_unit_test(test_dprk),
        cmocka_unit_test(test_dedollarisation),
        cmocka_unit_test(test_iran_plant),
        cmocka_unit_test(test_budget_binds),
        cmocka_unit_test(test_unfreeze),
    };
    return cmocka_run_group_tests_name("scenario behaviour", tests, NULL, NULL);
}
