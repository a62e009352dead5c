/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_experiments.c - measures, targets files, ensembles, calibration,
 * scenario variants and named events.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include <cmocka.h>
#include <gsl/gsl_rng.h>

#include "cmd/cmd.h"
#include "exp/calibrate.h"
#include "exp/ensemble.h"
#include "io/config.h"
#include "io/targets.h"
#include "testutil.h"

static char tmpdir[] = "/tmp/sim-test-exp-XXXXXX";

static const char *write_tmp(const char *name, const char *text)
{
    static char path[256];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

static sim_config *baseline(void)
{
    config_error e;
    sim_config *c = config_load_string(sim_embedded_baseline, "baseline", &e);
    assert_non_null(c);
    return c;
}

static target_file *load_targets_text(const char *text, const model_params *p,
                                      config_error *e)
{
    return targets_load(write_tmp("t.cfg", text), p, e);
}

/* ---- measures on the hand-built world ------------------------------------ */

static void test_measure_reductions(void **state)
{
    (void)state;
    model_params *p = tiny_params(0);
    p->ag[0].capacity = 10.0; /* A ammo: production 10 a month */
    p->ag[2].capacity = 4.0;  /* B ammo */
    config_error e;
    target_file *t = load_targets_text(
        "measures = (\n"
        " { name = \"sum\"; variables = [\"production\"]; agents = [\"A\"]; goods = [\"ammo\"]; reduce = \"sum\"; },\n"
        " { name = \"mean\"; variables = [\"production\"]; goods = [\"ammo\"]; reduce = \"mean\"; scale = 2.0; },\n"
        " { name = \"diff\"; variables = [\"production\", \"-production\"]; reduce = \"sum\"; },\n"
        " { name = \"late\"; variables = [\"production\"]; agents = [\"B\"]; from = \"2023-03\"; to = \"2023-04\"; },\n"
        " { name = \"last\"; variables = [\"stock\"]; agents = [\"A\"]; goods = [\"ammo\"]; reduce = \"last\"; },\n"
        " { name = \"first\"; variables = [\"stock\"]; agents = [\"A\"]; goods = [\"ammo\"]; reduce = \"first\"; },\n"
        " { name = \"after\"; variables = [\"stock\"]; from = \"2030-01\"; to = \"2030-02\"; }\n"
        ");\n", p, &e);
    if (!t)
        fail_msg("%s: %s", e.key, e.reason);
    double v[7];
    runner_io io = {.ms = t->ms, .values = v};
    char err[256];
    assert_int_equal(runner_run(p, 1, 0, &io, err, sizeof err), 0);
    assert_float_equal(v[0], 60.0, 1e-12);       /* 6 months of 10 */
    assert_float_equal(v[1], 14.0 / 2.0, 1e-12); /* (10 + 4) a month, /2 */
    assert_float_equal(v[2], 0.0, 0.0);
    assert_float_equal(v[3], 8.0, 1e-12);        /* two months of 4 */
    assert_float_equal(v[4], 60.0, 1e-12);       /* nothing consumed */
    assert_float_equal(v[5], 10.0, 1e-12);
    assert_true(isnan(v[6]));                    /* outside the run */
    targets_free(t);
    params_free(p);
}

static void test_targets_errors(void **state)
{
    (void)state;
    sim_config *c = baseline();
    const model_params *p = config_params(c);
    const char *bad[][2] = {
        {"targets = ( { name = \"x\"; variables = [\"bogus\"]; value = 1.0; range = [0.0, 2.0]; } );",
         "no variable named 'bogus'"},
        {"targets = ( { name = \"x\"; variables = [\"stock\"]; agents = [\"USA\"]; value = 1.0; range = [0.0, 2.0]; } );",
         "no agents named 'USA'"},
        {"targets = ( { name = \"x\"; variables = [\"stock\"]; value = 3.0; range = [0.0, 2.0]; } );",
         "inside"},
        {"targets = ( { name = \"x\"; variables = [\"stock\"]; value = 1.0; } );",
         "range"},
        {"targets = ( { name = \"x\"; variables = [\"stock\"]; value = 1.0; range = [0.0, 2.0]; colour = 1; } );",
         "unknown key"},
        {"targets = ( { name = \"x\"; variables = [\"stock\"]; reduce = \"median\"; value = 1.0; range = [0.0, 2.0]; } );",
         "reduce is sum"},
        {"measures = ( { name = \"x\"; variables = [\"stock\"]; from = \"2024-05\"; to = \"2023-05\"; } );",
         "after"},
        {"measures = ( { name = \"x\"; variables = [\"stock\"]; }, { name = \"x\"; variables = [\"gdp\"]; } );",
         "share this name"},
        {"measures = ( { name = \"x\"; variables = [\"stock\"]; } );\nfree = ( { path = \"trade.gamma\"; min = 0.0; max = 1.0; } );",
         "unknown parameter"},
        {"measures = ( { name = \"x\"; variables = [\"stock\"]; } );\nfree = ( { path = \"agents.RUS.sanctions\"; min = 0.0; max = 2.0; } );",
         "within the parameter's bounds"},
        {"measures = ( { name = \"x\"; variables = [\"stock\"]; } );\nfree = ( { path = \"scenario.months\"; min = 1.0; max = 20.0; } );",
         "real-valued"},
        {"stuff = ();", "unknown key"},
        {"targets = ( ;", "syntax error"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        config_error e;
        target_file *t = load_targets_text(bad[k][0], p, &e);
        if (t || !strstr(e.reason, bad[k][1]))
            fail_msg("case %zu: expected '%s', got '%s: %s'", k, bad[k][1], e.key,
                     t ? "(loaded)" : e.reason);
        assert_true(e.line > 0);
    }
    config_free(c);
}

/* ---- ensembles ------------------------------------------------------------ */

static void test_ensemble_jobs_identical(void **state)
{
    (void)state;
    sim_config *c = baseline();
    const model_params *p = config_params(c);
    config_error e;
    target_file *t = targets_load_string(sim_embedded_headlines, "h", p, &e);
    assert_non_null(t);
    int n = 9, nm = t->ms->n;
    double *a = calloc((size_t)n * nm, sizeof *a), *b = calloc((size_t)n * nm, sizeof *b);
    char err[512];
    ensemble ea = {.p = p, .master = 77, .n_runs = n, .jobs = 1, .ms = t->ms, .values = a};
    ensemble eb = ea;
    eb.jobs = 3;
    eb.values = b;
    assert_int_equal(ensemble_run(&ea, err, sizeof err), 0);
    assert_int_equal(ensemble_run(&eb, err, sizeof err), 0);
    assert_memory_equal(a, b, (size_t)n * nm * sizeof *a);
    /* run r of an ensemble is run r alone */
    double one[64];
    runner_io io = {.ms = t->ms, .values = one};
    assert_int_equal(runner_run(p, 77, 4, &io, err, sizeof err), 0);
    assert_memory_equal(one, a + 4 * nm, (size_t)nm * sizeof *a);
    /* replicates differ (the cohesion at the end has noise) */
    int differ = 0;
    for (int k = 0; k < nm; k++)
        differ |= a[k] != a[nm + k];
    assert_true(differ);
    free(a);
    free(b);
    targets_free(t);
    config_free(c);
}

/* ---- calibration ------------------------------------------------------------ */

static void test_calibrate_objective(void **state)
{
    (void)state;
    model_params *p = tiny_params(0);
    measure_set *ms = measure_set_alloc(2, p);
    ms->m[0] = (measure){.has_target = 1, .value = 10, .lo = 8, .hi = 12, .weight = 1};
    ms->m[1] = (measure){.has_target = 1, .value = 0, .lo = -1, .hi = 1, .weight = 2};
    double v[] = {11, 0.5, 13, 1.5}; /* two runs: means 12 and 1 */
    /* ((12-10)/2)^2 + 2 * ((1-0)/1)^2 = 1 + 2 */
    assert_float_equal(calibrate_objective(ms, v, 2), 3.0, 1e-12);
    measure_set_free(ms);
    params_free(p);
}

static void test_calibrate_recovers_known_value(void **state)
{
    (void)state;
    /* production of ammo by A is capacity * 6 months: a target of 450
     * fixes the capacity at 75 */
    model_params *p = tiny_params(0);
    p->ag[0].capacity = 20.0;
    config_error e;
    target_file *t = load_targets_text(
        "targets = ( { name = \"out\"; variables = [\"production\"]; agents = [\"A\"];\n"
        "  goods = [\"ammo\"]; value = 450.0; range = [400.0, 500.0]; } );\n"
        "free = ( { path = \"agents.A.capacity.ammo\"; min = 1.0; max = 200.0; } );\n",
        p, &e);
    if (!t)
        fail_msg("%s: %s", e.key, e.reason);
    double x[1];
    calib_opts o = {.base = p, .tf = t, .replicates = 2, .jobs = 2, .master = 3,
                    .max_iter = 200, .tol = 1e-8};
    calib_result r = {.x = x};
    char err[256];
    assert_int_equal(calibrate_fit(&o, &r, err, sizeof err), 0);
    assert_float_equal(x[0], 75.0, 1e-3);
    assert_true(r.objective < 1e-6);
    assert_true(r.evaluations > 1);
    targets_free(t);
    params_free(p);
}

/* The baseline as shipped lands inside every target's range. */
static void test_shipped_baseline_inside_targets(void **state)
{
    (void)state;
    sim_config *c = baseline();
    const model_params *p = config_params(c);
    config_error e;
    target_file *t = targets_load("configs/targets.cfg", p, &e);
    if (!t)
        fail_msg("configs/targets.cfg: %s: %s", e.key, e.reason);
    int n = 20, nm = t->ms->n;
    double *v = calloc((size_t)n * nm, sizeof *v);
    char err[256];
    assert_int_equal(calibrate_evaluate(p, t->ms, n, 2, (unsigned long long)p->g.seed,
                                        v, err, sizeof err), 0);
    for (int k = 0; k < nm; k++) {
        double med, lo, hi;
        cmd_quantiles(v + k, (size_t)nm, n, &med, &lo, &hi);
        const measure *m = &t->ms->m[k];
        if (m->has_target && !(med >= m->lo && med <= m->hi))
            fail_msg("%s: median %g outside [%g, %g]", m->label, med, m->lo, m->hi);
    }
    assert_true(nm >= 15);
    free(v);
    targets_free(t);
    config_free(c);
}

/* ---- variants and named events --------------------------------------------- */

static sim_config *load_text(const char *name, const char *text, config_error *e)
{
    return config_load_file(write_tmp(name, text), e);
}

static void test_variant(void **state)
{
    (void)state;
    char text[8192];
    snprintf(text, sizeof text,
             "@include \"baseline.cfg\"\n"
             "variant = { name = \"what_if\"; question = \"q\";\n"
             "  set = [\"agents.RUS.sanctions=0.9\", \"scenario.months=30\"];\n"
             "  events = ( { name = \"extra\"; date = \"2024-05\"; kind = \"expel\"; agent = \"PRK\"; } ); };\n");
    config_error e;
    sim_config *c = load_text("scenarios/v.cfg", text, &e);
    if (!c)
        fail_msg("%s:%d: %s: %s", e.file, e.line, e.key, e.reason);
    const model_params *p = config_params(c);
    assert_string_equal(p->g.name, "what_if");
    assert_int_equal(p->g.months, 30);
    assert_float_equal(p->agents[params_agent_index(p, "RUS")].sanctions, 0.9, 0.0);
    assert_int_equal(p->n_events, 13);
    assert_string_equal(p->events[12].name, "extra");
    assert_int_equal(p->events[12].month, 16);
    assert_int_equal(p->events[12].kind, EV_EXPEL);
    /* the resolved text carries it all, and loads back to the same */
    char *r = config_resolved_text(c);
    sim_config *d = config_load_string(r, "resolved", &e);
    assert_non_null(d);
    assert_string_equal(config_params(d)->g.name, "what_if");
    assert_int_equal(config_params(d)->n_events, 13);
    assert_string_equal(config_params(d)->events[12].name, "extra");
    free(r);
    config_free(d);
    config_free(c);
    /* errors point at the variant */
    snprintf(text, sizeof text,
             "@include \"baseline.cfg\"\n"
             "variant = { set = [\"agents.RUS.sanctions=1.9\"]; };\n");
    assert_null(load_text("scenarios/v2.cfg", text, &e));
    assert_non_null(strstr(e.key, "variant.set[0] agents.RUS.sanctions"));
    assert_non_null(strstr(e.reason, "between 0 and 1"));
    assert_int_equal(e.line, 2);
    snprintf(text, sizeof text,
             "@include \"baseline.cfg\"\nvariant = { colour = 1; };\n");
    assert_null(load_text("scenarios/v3.cfg", text, &e));
    assert_string_equal(e.key, "variant.colour");
}

static void test_set_named_event(void **state)
{
    (void)state;
    sim_config *c = baseline();
    config_error e;
    const model_params *p = config_params(c);
    assert_int_equal(p->events[5].month, 8);
    assert_int_equal(config_apply_set(c, "events.nk_shells.date=2023-06", &e), 0);
    assert_int_equal(config_params(c)->events[5].month, 5);
    assert_int_equal(config_apply_set(c, "events.nk_shells.month=11", &e), 0);
    assert_int_equal(config_params(c)->events[5].month, 11);
    assert_int_equal(config_apply_set(c, "events.nk_shells.value=0.5", &e), 0);
    assert_float_equal(config_params(c)->events[5].value, 0.5, 0.0);
    assert_int_equal(config_apply_set(c, "events.nk_shells.ramp=4", &e), 0);
    assert_int_equal(config_params(c)->events[5].ramp, 4);
    const char *bad[][2] = {
        {"events.nope.month=3", "no event named 'nope'"},
        {"events.nk_shells.colour=3", "month, date, value or ramp"},
        {"events.nk_shells.month=2.5", "whole number"},
        {"events.nk_shells.value=abc", "not a number"},
        {"events.nk_shells.value=700", "between 0 and 100"},
        {"events.nk_shells.date=1999-01", "before the start"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        assert_int_equal(config_apply_set(c, bad[k][0], &e), -1);
        if (!strstr(e.reason, bad[k][1]))
            fail_msg("%s: got '%s'", bad[k][0], e.reason);
    }
    config_free(c);
}

static int setup(void **state)
{
    (void)state;
    if (!mkdtemp(tmpdir))
        return -1;
    /* a copy of the scenarios and configs: variants include baseline.cfg
     * relative to their own directory */
    char cmd[256];
    snprintf(cmd, sizeof cmd, "cp -r scenarios configs %s/", tmpdir);
    return system(cmd);
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    return system(cmd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_measure_reductions),
        cmocka_unit_test(test_targets_errors),
        cmocka_unit_test(test_ensemble_jobs_identical),
        cmocka_unit_test(test_calibrate_objective),
        cmocka_unit_test(test_calibrate_recovers_known_value),
        cmocka_unit_test(test_shipped_baseline_inside_targets),
        cmocka_unit_test(test_variant),
        cmocka_unit_test(test_set_named_event),
    };
    return cmocka_run_group_tests_name("experiments", tests, setup, teardown);
}
