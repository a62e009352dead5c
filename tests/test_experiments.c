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
        {"measures = ( { name = \"x\"; variables = [\"stock\"]; } );\nfree = ( { path = \"trade.gamma\"; } );",
         "unknown parameter"},
        {"measures = ( { name = \"x\"; variables = [\"stock\"]; } );\nfree = ( { path = \"agents.RUS.sanctions\"; } );",
         "has no prior in the scenario: write sanctions_prior = \"...\" next to its value (grammar in the README, Calibration), or give min and max"},
        {"measures = ( { name = \"x\"; variables = [\"stock\"]; } );\nfree = ( { path = \"agents.RUS.sanctions\"; min = 0.0; max = 2.0; } );",
         "need min < max within the parameter's bounds [0, 1]"},
        {"measures = ( { name = \"x\"; variables = [\"stock\"]; } );\nfree = ( { path = \"world.gravity_g\"; min = 1.0e10; max = 2.0e10; } );",
         "the prior of gravity_g within [1e+10, 2e+10]: the bounds leave no interval"},
        {"measures = ( { name = \"x\"; variables = [\"stock\"]; } );\nfree = ( { path = \"world.gravity_g\"; min = 1.0e8; } );",
         "missing required key"},
        {"measures = ( { name = \"x\"; variables = [\"stock\"]; } );\nfree = ( { path = \"world.gravity_g\"; }, { path = \"world.gravity_g\"; } );",
         "listed twice in free"},
        {"measures = ( { name = \"x\"; variables = [\"stock\"]; } );\nfree = ( { path = \"world.gravity_g\"; step = 2.0; } );",
         "unknown key (known: path, min, max)"},
        {"measures = ( { name = \"x\"; variables = [\"stock\"]; } );\nfree = ( { path = \"scenario.months\"; } );",
         "real-valued"},
        {"measures = ( { name = \"x\"; variables = [\"stock\"]; change = \"ratio\"; before = { from = \"2023-01\"; to = \"2023-02\"; }; } );",
         "change is \"difference\" or \"relative\", not 'ratio'"},
        {"measures = ( { name = \"x\"; variables = [\"stock\"]; change = \"difference\"; } );",
         "a measure of change needs before"},
        {"measures = ( { name = \"x\"; variables = [\"stock\"]; before = { from = \"2023-01\"; to = \"2023-02\"; }; } );",
         "before needs it"},
        {"measures = ( { name = \"x\"; variables = [\"stock\"]; change = \"relative\"; before = { from = \"2023-01\"; }; } );",
         "needs both from and to"},
        {"measures = ( { name = \"x\"; variables = [\"stock\"]; change = \"relative\"; before = { from = \"2023-03\"; to = \"2023-01\"; }; } );",
         "'from' is after 'to'"},
        {"measures = ( { name = \"x\"; variables = [\"stock\"]; change = \"relative\"; before = { from = \"2023-01\"; to = \"2023-01\"; at = 1; }; } );",
         "unknown key (known: from, to)"},
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

/* min and max of a free parameter truncate its prior for the fit, or stand
 * for a uniform prior when the scenario has none. */
static void test_free_bounds(void **state)
{
    (void)state;
    sim_config *c = baseline();
    const model_params *p = config_params(c);
    config_error e;
    target_file *t = load_targets_text(
        "measures = ( { name = \"x\"; variables = [\"stock\"]; } );\n"
        "free = ( { path = \"world.gravity_g\"; min = 2.0e8; max = 4.0e8; },\n"
        "         { path = \"agents.RUS.sanctions\"; min = 0.5; max = 0.9; },\n"
        "         { path = \"relations.gamma\"; } );\n", p, &e);
    if (!t)
        fail_msg("%s: %s", e.key, e.reason);
    char text[200];
    prior_format(&t->free[0].pr, text, sizeof text);
    assert_string_equal(text, "uniform(min=100000000, max=1000000000) [200000000, 400000000]");
    assert_float_equal(prior_quantile(&t->free[0].pr, 0.5), 3.0e8, 1e-3);
    prior_format(&t->free[1].pr, text, sizeof text);
    assert_string_equal(text, "uniform(min=0.5, max=0.9)");
    prior_format(&t->free[2].pr, text, sizeof text);
    assert_string_equal(text, "lognormal(median=2, sd_log=0.7) [0.1, 10]");
    targets_free(t);
    config_free(c);
}

/* A measure of change: the figure over from..to against the same figure
 * over an earlier window. */
static void test_measure_change(void **state)
{
    (void)state;
    model_params *p = tiny_params(2);
    p->ag[0].capacity = 10.0;
    /* A's ammo capacity doubles from 2023-04 */
    p->events[0] = (event_spec){.month = 3, .kind = EV_SET,
                                .ref = {param_find(SCOPE_AGENT_GOOD, NULL, "capacity"), 0, 0},
                                .value = 20.0, .actor = -1, .target = -1};
    p->n_events = 1;
    config_error e;
    target_file *t = load_targets_text(
        "measures = (\n"
        " { name = \"diff\"; variables = [\"production\"]; agents = [\"A\"]; goods = [\"ammo\"];\n"
        "   from = \"2023-04\"; to = \"2023-06\"; reduce = \"mean\"; scale = 2.0;\n"
        "   change = \"difference\"; before = { from = \"2023-01\"; to = \"2023-03\"; }; },\n"
        " { name = \"rel\"; variables = [\"production\"]; agents = [\"A\"]; goods = [\"ammo\"];\n"
        "   from = \"2023-05\"; to = \"2023-06\"; reduce = \"sum\"; scale = 7.0;\n"
        "   change = \"relative\"; before = { from = \"2023-02\"; to = \"2023-03\"; }; },\n"
        " { name = \"out\"; variables = [\"production\"]; from = \"2023-02\"; to = \"2023-03\";\n"
        "   change = \"relative\"; before = { from = \"2022-01\"; to = \"2022-02\"; }; }\n"
        ");\n", p, &e);
    if (!t)
        fail_msg("%s: %s", e.key, e.reason);
    assert_int_equal(t->ms->m[0].change, CHANGE_DIFFERENCE);
    assert_int_equal(t->ms->m[0].from0, 0);
    assert_int_equal(t->ms->m[0].to0, 2);
    double v[3];
    runner_io io = {.ms = t->ms, .values = v};
    char err[256];
    assert_int_equal(runner_run(p, 1, 0, &io, err, sizeof err), 0);
    assert_float_equal(v[0], (20.0 - 10.0) / 2.0, 1e-12); /* mean 20 after, 10 before */
    assert_float_equal(v[1], 40.0 / 20.0 - 1.0, 1e-12);   /* the scale cancels */
    assert_true(isnan(v[2]));                              /* before the run */
    targets_free(t);
    params_free(p);
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
                                        NULL, v, err, sizeof err), 0);
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
        cmocka_unit_test(test_measure_change),
        cmocka_unit_test(test_free_bounds),
        cmocka_unit_test(test_shipped_baseline_inside_targets),
        cmocka_unit_test(test_variant),
        cmocka_unit_test(test_set_named_event),
    };
    return cmocka_run_group_tests_name("experiments", tests, setup, teardown);
}
