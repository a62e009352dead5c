/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_config.c - loading, validation, --set and the resolved text.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>
#include <gsl/gsl_rng.h>

#include "cmd/cmd.h"
#include "io/config.h"
#include "testutil.h"

static sim_config *load_ok(const char *text)
{
    config_error e;
    memset(&e, 0, sizeof e);
    sim_config *c = config_load_string(text, "test.cfg", &e);
    if (!c) {
        char line[1200];
        config_error_format(&e, line, sizeof line);
        fail_msg("unexpected error: %s", line);
    }
    return c;
}

/* The baseline text with the first `from` replaced by `to`. */
static char *variant(const char *from, const char *to)
{
    const char *base = sim_embedded_baseline;
    const char *at = strstr(base, from);
    if (!at)
        fail_msg("'%s' is not in the baseline", from);
    size_t n = strlen(base) - strlen(from) + strlen(to) + 1;
    char *out = malloc(n);
    size_t head = (size_t)(at - base);
    memcpy(out, base, head);
    strcpy(out + head, to);
    strcat(out, at + strlen(from));
    return out;
}

/* Load `text`, expect failure with the key and a fragment of the reason;
 * line > 0 when libconfig knows it. */
static void expect_error(const char *text, const char *key, const char *why,
                         int want_line)
{
    config_error e;
    memset(&e, 0, sizeof e);
    sim_config *c = config_load_string(text, "test.cfg", &e);
    char line[1200];
    config_error_format(&e, line, sizeof line);
    if (c) {
        config_free(c);
        fail_msg("loaded, expected error '%s' for %s", why, key);
    }
    if (strcmp(e.key, key) != 0 || !strstr(e.reason, why))
        fail_msg("got \"%s\", expected key '%s' and reason '%s'", line, key, why);
    if (want_line && e.line <= 0)
        fail_msg("no line in \"%s\"", line);
    assert_string_equal(e.file, "test.cfg");
}

static void expect_variant_error(const char *from, const char *to,
                                 const char *key, const char *why, int line)
{
    char *text = variant(from, to);
    expect_error(text, key, why, line);
    free(text);
}

/* ---- the baseline loads with the expected values -------------------------- */

static void test_baseline_values(void **state)
{
    (void)state;
    sim_config *c = load_ok(sim_embedded_baseline);
    const model_params *p = config_params(c);
    assert_int_equal(p->n_agents, 7);
    assert_int_equal(p->n_goods, 4);
    assert_int_equal(p->n_routes, 15);
    assert_int_equal(p->n_events, 12);
    assert_string_equal(p->g.name, "baseline");
    assert_int_equal(p->g.months, 24);
    assert_int_equal(p->start_year, 2023);
    assert_int_equal(p->start_month, 1);
    assert_string_equal(p->agents[p->focus].code, "RUS");
    int rus = params_agent_index(p, "RUS"), chn = params_agent_index(p, "CHN");
    int blr = params_agent_index(p, "BLR"), prk = params_agent_index(p, "PRK");
    int shells = params_good_index(p, "shells");
    assert_float_equal(p->agents[rus].gdp, 1.683e11, 0.0);
    assert_float_equal(p->ag[rus * p->n_goods + shells].capacity, 210000.0, 0.0);
    assert_float_equal(p->agents[blr].member, 0.0, 0.0);
    /* pair values: given, defaulted from relations, and bases from start */
    assert_float_equal(p->pairs[rus * 7 + chn].affinity, 0.7, 0.0);
    assert_float_equal(p->pairs[chn * 7 + rus].affinity, 0.7, 0.0);
    assert_float_equal(p->pairs[chn * 7 + rus].affinity_base, 0.7, 0.0);
    assert_float_equal(p->pairs[blr * 7 + rus].affinity_base, 0.8, 0.0);
    assert_float_equal(p->pairs[blr * 7 + prk].affinity, 0.3, 0.0);
    assert_float_equal(p->pairs[blr * 7 + prk].usd_share, 0.5, 0.0);
    /* the base of a listed pair follows its own start value */
    assert_float_equal(p->pairs[rus * 7 + chn].usd_base, 0.3, 0.0);
    assert_float_equal(p->pairs[chn * 7 + rus].rivalry_base, 0.25, 0.0);
    assert_float_equal(p->pairs[rus * 7 + chn].flare_rate, 0.03, 0.0);
    assert_float_equal(p->pairs[rus * 7 + prk].flare_rate, 0.01, 0.0);
    /* strategic weights: default 1, given 0 */
    assert_float_equal(p->aa[rus * 7 + chn].strategic, 1.0, 0.0);
    assert_float_equal(p->aa[prk * 7 + rus].strategic, 0.0, 0.0);
    /* routes: limits given or unlimited, closed route */
    int casp = params_route_index(p, "caspian");
    int rasht = params_route_index(p, "rasht_astara");
    assert_float_equal(p->rg[casp * 4 + shells].limit, 25000.0, 0.0);
    assert_true(isinf(p->rg[rasht * 4 + shells].limit));
    assert_float_equal(p->routes[rasht].open, 0.0, 0.0);
    assert_int_equal(p->routes[casp].mode, ROUTE_CASPIAN);
    assert_int_equal(p->routes[casp].ia, params_agent_index(p, "IRN"));
    /* drones need chips */
    assert_int_equal(p->input_good[params_good_index(p, "drones")],
                     params_good_index(p, "chips"));
    /* events: dates become steps; the path is resolved */
    const event_spec *nk = &p->events[5];
    assert_int_equal(nk->month, 8); /* 2023-09 */
    assert_int_equal(nk->kind, EV_SET);
    assert_int_equal(nk->ref.def->scope, SCOPE_AGENT_AGENT);
    assert_int_equal(nk->ref.e1, prk);
    assert_int_equal(nk->ref.e2, rus);
    assert_string_equal(nk->label, "agents.PRK.strategic.RUS");
    assert_int_equal(p->events[0].ramp, 24);
    config_free(c);
}

static void test_resolve_path(void **state)
{
    (void)state;
    sim_config *c = load_ok(sim_embedded_baseline);
    const model_params *p = config_params(c);
    param_ref r;
    char why[300];
    assert_int_equal(config_resolve_path(p, "trade.alpha", &r, why, sizeof why), 0);
    assert_float_equal(param_get(p, r), 2.0, 0.0);
    assert_int_equal(config_resolve_path(p, "pairs.RUS_CHN.rivalry", &r, why,
                                         sizeof why), 0);
    assert_float_equal(param_get(p, r), 0.25, 0.0);
    assert_int_equal(config_resolve_path(p, "routes.khasan.limit.shells", &r,
                                         why, sizeof why), 0);
    assert_float_equal(param_get(p, r), 100000.0, 0.0);
    const char *bad[][2] = {
        {"trade", "not a parameter path"},
        {"trade.gamma", "unknown parameter"},
        {"agents.USA.gdp", "no agent named 'USA'"},
        {"agents.RUS.capacity.tanks", "no good named 'tanks'"},
        {"agents.RUS.strategic.USA", "no agent named 'USA'"},
        {"goods.tanks.price", "no good named 'tanks'"},
        {"pairs.RUS_RUS.affinity", "not a pair"},
        {"pairs.RUSCHN.affinity", "not a pair"},
        {"routes.suez.open", "no route named 'suez'"},
        {"agents.RUS.capacity", "unknown parameter"},
        {"a.b.c.d.e.f", "not a parameter path"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        assert_int_equal(config_resolve_path(p, bad[k][0], &r, why, sizeof why), -1);
        if (!strstr(why, bad[k][1]))
            fail_msg("%s: '%s' lacks '%s'", bad[k][0], why, bad[k][1]);
    }
    config_free(c);
}

/* ---- --set ---------------------------------------------------------------- */

static void test_set_overrides(void **state)
{
    (void)state;
    sim_config *c = load_ok(sim_embedded_baseline);
    config_error e;
    assert_int_equal(config_apply_set(c, "agents.RUS.sanctions=0.9", &e), 0);
    assert_int_equal(config_apply_set(c, "pairs.RUS_CHN.rivalry=0.5", &e), 0);
    assert_int_equal(config_apply_set(c, "pairs.BLR_VEN.affinity=0.45", &e), 0);
    assert_int_equal(config_apply_set(c, "routes.rasht_astara.open=true", &e), 0);
    assert_int_equal(config_apply_set(c, "routes.caspian.mode=rail", &e), 0);
    assert_int_equal(config_apply_set(c, "routes.caspian.limit.oil=5e6", &e), 0);
    assert_int_equal(config_apply_set(c, "scenario.name=what_if", &e), 0);
    assert_int_equal(config_apply_set(c, "scenario.months=36", &e), 0);
    assert_int_equal(config_apply_set(c, "agents.PRK.capacity.oil=1", &e), 0);
    const model_params *p = config_params(c);
    int rus = params_agent_index(p, "RUS"), chn = params_agent_index(p, "CHN");
    int blr = params_agent_index(p, "BLR"), ven = params_agent_index(p, "VEN");
    assert_float_equal(p->agents[rus].sanctions, 0.9, 0.0);
    assert_float_equal(p->pairs[chn * 7 + rus].rivalry, 0.5, 0.0);
    assert_float_equal(p->pairs[rus * 7 + chn].rivalry, 0.5, 0.0);
    /* a new pair: the base follows the start value */
    assert_float_equal(p->pairs[ven * 7 + blr].affinity, 0.45, 0.0);
    assert_float_equal(p->pairs[ven * 7 + blr].affinity_base, 0.45, 0.0);
    /* rivalry_base of an existing pair still follows its start value */
    assert_float_equal(p->pairs[chn * 7 + rus].rivalry_base, 0.5, 0.0);
    assert_float_equal(p->routes[params_route_index(p, "rasht_astara")].open, 1.0, 0.0);
    assert_int_equal(p->routes[params_route_index(p, "caspian")].mode, ROUTE_RAIL);
    assert_float_equal(p->rg[params_route_index(p, "caspian") * 4 + 3].limit, 5e6, 0.0);
    assert_string_equal(p->g.name, "what_if");
    assert_int_equal(p->g.months, 36);
    config_free(c);
}

static void test_set_errors(void **state)
{
    (void)state;
    sim_config *c = load_ok(sim_embedded_baseline);
    const char *bad[][3] = {
        {"trade.alpha", "trade.alpha", "expected path=value"},
        {"=3", "=3", "expected path=value"},
        {"trade.alphax=1", "trade.alphax", "unknown parameter"},
        {"trade.alpha=abc", "trade.alpha", "is not a number"},
        {"trade.alpha=", "trade.alpha", "is not a number"},
        {"trade.alpha=1e999", "trade.alpha", "is not a number"},
        {"trade.alpha=nan", "trade.alpha", "finite"},
        {"agents.RUS.sanctions=1.5", "agents.RUS.sanctions", "between 0 and 1"},
        {"agents.RUS.capacity.shells=-1", "agents.RUS.capacity.shells", "between 0"},
        {"scenario.months=2.5", "scenario.months", "not an integer"},
        {"scenario.months=0", "scenario.months", "between 1 and 1200"},
        {"scenario.months=1000000000", "scenario.months", "between 1 and 1200"},
        {"routes.caspian.open=maybe", "routes.caspian.open", "true or false"},
        {"routes.caspian.mode=teleport", "routes.caspian.mode", "not one of"},
        {"agents.USA.gdp=1", "agents.USA.gdp", "no agent named 'USA'"},
        {"scenario.focus=USA", "scenario.focus", "no agent named 'USA'"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        config_error e;
        memset(&e, 0, sizeof e);
        assert_int_equal(config_apply_set(c, bad[k][0], &e), -1);
        if (strcmp(e.key, bad[k][1]) != 0 || !strstr(e.reason, bad[k][2]))
            fail_msg("--set %s: got key '%s' reason '%s'", bad[k][0], e.key,
                     e.reason);
        if (strcmp(bad[k][1], "scenario.focus") != 0)
            assert_string_equal(e.file, "--set");
    }
    /* after a rejected value the configuration is unchanged */
    assert_float_equal(config_params(c)->agents[0].sanctions, 0.75, 0.0);
    config_free(c);
}

/* --set goes through the parameter table: derived defaults follow their
 * source unless given, dated events follow the start, a refusal changes
 * nothing (not even the parameters' address) */
static void test_set_through_table(void **state)
{
    (void)state;
    sim_config *c = load_ok(sim_embedded_baseline);
    const model_params *p = config_params(c);
    int rus = params_agent_index(p, "RUS"), chn = params_agent_index(p, "CHN");
    int blr = params_agent_index(p, "BLR"), syr = params_agent_index(p, "SYR");
    int prk = params_agent_index(p, "PRK"), ven = params_agent_index(p, "VEN");
    int n = p->n_agents;
    config_error e;
    /* a pair's base follows its starting value unless given (BLR_RUS gives
     * affinity_base = 0.8) */
    assert_int_equal(config_apply_set(c, "pairs.RUS_CHN.affinity=0.5", &e), 0);
    p = config_params(c);
    assert_float_equal(p->pairs[chn * n + rus].affinity, 0.5, 0.0);
    assert_float_equal(p->pairs[chn * n + rus].affinity_base, 0.5, 0.0);
    assert_float_equal(p->pairs[rus * n + chn].affinity_base, 0.5, 0.0);
    assert_int_equal(config_apply_set(c, "pairs.BLR_RUS.affinity=0.6", &e), 0);
    p = config_params(c);
    assert_float_equal(p->pairs[blr * n + rus].affinity, 0.6, 0.0);
    assert_float_equal(p->pairs[blr * n + rus].affinity_base, 0.8, 0.0);
    /* once given, a base no longer follows */
    assert_int_equal(config_apply_set(c, "pairs.CHN_RUS.affinity_base=0.2", &e), 0);
    assert_int_equal(config_apply_set(c, "pairs.CHN_RUS.affinity=0.9", &e), 0);
    p = config_params(c);
    assert_float_equal(p->pairs[chn * n + rus].affinity_base, 0.2, 0.0);
    /* a relations default moves the pairs not listed (PRK_VEN), not the
     * others (RUS_SYR lists affinity) */
    double syr_before = p->pairs[rus * n + syr].affinity;
    assert_int_equal(config_apply_set(c, "relations.affinity_default=0.42", &e), 0);
    p = config_params(c);
    assert_float_equal(p->pairs[prk * n + ven].affinity, 0.42, 0.0);
    assert_float_equal(p->pairs[prk * n + ven].affinity_base, 0.42, 0.0);
    assert_float_equal(p->pairs[rus * n + syr].affinity, syr_before, 0.0);
    /* dated events move with the start (nk_shells: 2023-09) */
    int nk = -1;
    for (int k = 0; k < p->n_events; k++)
        if (strcmp(p->events[k].name, "nk_shells") == 0)
            nk = k;
    assert_true(nk >= 0);
    assert_int_equal(p->events[nk].month, 8);
    assert_int_equal(config_apply_set(c, "scenario.start=2022-11", &e), 0);
    p = config_params(c);
    assert_int_equal(p->events[nk].month, 10);
    assert_int_equal(config_apply_set(c, "events.nk_shells.month=3", &e), 0);
    assert_int_equal(config_apply_set(c, "scenario.start=2023-01", &e), 0);
    assert_int_equal(config_params(c)->events[nk].month, 3); /* now by month */
    /* a refusal leaves everything as it was */
    assert_int_equal(config_apply_set(c, "agents.RUS.lat=39.9042", &e), 0);
    p = config_params(c);
    const char *refused[] = {"scenario.start=2099-01", "scenario.focus=USA",
                             "routes.caspian.a=RUS", "agents.RUS.lon=116.4074",
                             "scenario.name=a/b", "events.nk_shells.value=1e9",
                             "events.nk_shells.date=2020-01",
                             "scenario.seed=9007199254740993",
                             "scenario.months=99999999999999999999"};
    for (size_t k = 0; k < sizeof refused / sizeof refused[0]; k++) {
        memset(&e, 0, sizeof e);
        if (config_apply_set(c, refused[k], &e) == 0)
            fail_msg("--set %s was accepted", refused[k]);
        assert_ptr_equal(config_params(c), p);
        assert_string_equal(e.file, "--set");
    }
    /* the refusals name the key and why */
    assert_int_equal(config_apply_set(c, "agents.RUS.lon=116.4074", &e), -1);
    assert_string_equal(e.key, "agents.CHN");
    assert_non_null(strstr(e.reason, "same coordinates"));
    assert_int_equal(config_apply_set(c, "scenario.start=2099-01", &e), -1);
    assert_non_null(strstr(e.reason, "before the start 2099-01"));
    config_free(c);
}

/* ---- the resolved text reproduces the run ---------------------------------- */

static void assert_same_params(const model_params *a, const model_params *b)
{
    assert_int_equal(a->n_agents, b->n_agents);
    assert_int_equal(a->n_goods, b->n_goods);
    assert_int_equal(a->n_routes, b->n_routes);
    assert_int_equal(a->n_events, b->n_events);
    for (size_t k = 0; k < param_table_len; k++) {
        const param_def *d = &param_table[k];
        int n1, n2;
        param_extent(a, d->scope, &n1, &n2);
        for (int x = 0; x < n1; x++)
            for (int y = 0; y < n2; y++) {
                param_ref r = {d, x, y};
                if (d->type == PT_STRING) {
                    assert_string_equal(param_addr((model_params *)a, r),
                                        param_addr((model_params *)b, r));
                } else if (param_get(a, r) != param_get(b, r) &&
                           !(d->scope == SCOPE_AGENT_AGENT && x == y) &&
                           !(d->scope == SCOPE_PAIR && x == y)) {
                    fail_msg("%s [%d,%d]: %.17g != %.17g", d->key, x, y,
                             param_get(a, r), param_get(b, r));
                }
            }
    }
    for (int e = 0; e < a->n_events; e++) {
        assert_int_equal(a->events[e].month, b->events[e].month);
        assert_int_equal(a->events[e].kind, b->events[e].kind);
        assert_int_equal(a->events[e].ramp, b->events[e].ramp);
        assert_int_equal(a->events[e].actor, b->events[e].actor);
        assert_int_equal(a->events[e].target, b->events[e].target);
        assert_true(a->events[e].value == b->events[e].value);
        assert_string_equal(a->events[e].label, b->events[e].label);
    }
}

static void test_resolved_round_trip(void **state)
{
    (void)state;
    sim_config *c = load_ok(sim_embedded_baseline);
    config_error e;
    assert_int_equal(config_apply_set(c, "goods.oil.price=81.123456789012345", &e), 0);
    char *text = config_resolved_text(c);
    assert_non_null(text);
    assert_non_null(strstr(text, "price = 81.1234567890123"));
    sim_config *d = load_ok(text);
    assert_same_params(config_params(c), config_params(d));
    /* and the resolved text of the reloaded config is the same text */
    char *again = config_resolved_text(d);
    assert_string_equal(text, again);
    /* the same run, bit for bit */
    gsl_rng *r1 = gsl_rng_alloc(gsl_rng_mt19937), *r2 = gsl_rng_alloc(gsl_rng_mt19937);
    model_state *s1 = model_alloc(config_params(c)), *s2 = model_alloc(config_params(d));
    for (int t = 0; t < 24; t++) {
        model_step(s1, r1);
        model_step(s2, r2);
    }
    assert_memory_equal(s1->stock, s2->stock, 28 * sizeof(double));
    assert_memory_equal(s1->affinity, s2->affinity, 49 * sizeof(double));
    model_free(s1);
    model_free(s2);
    gsl_rng_free(r1);
    gsl_rng_free(r2);
    free(text);
    free(again);
    config_free(c);
    config_free(d);
}

/* ---- every class of bad input ------------------------------------------------ */

static void test_bad_syntax_and_files(void **state)
{
    (void)state;
    expect_error("scenario = { name = \"x\" \n", "", "syntax error", 1);
    expect_error("", "", "empty", 0);
    expect_error("   \n\t\n", "", "empty", 0);
    expect_error("scenario = {};\x01\x02", "", "not a text file", 0);
    config_error e;
    assert_null(config_load_file("/nonexistent/x.cfg", &e));
    assert_non_null(strstr(e.reason, "cannot open"));
    assert_string_equal(e.file, "/nonexistent/x.cfg");
}

static void test_bad_keys_and_types(void **state)
{
    (void)state;
    expect_variant_error("months = 24;", "months = 24; bogus = 1;",
                         "scenario.bogus", "unknown key", 1);
    expect_variant_error("output = {", "colour = 1;\noutput = {", "colour",
                         "unknown key", 1);
    expect_variant_error("    gdp = 1.683e11;", "    gdp = 1.683e11; gpd = 1.0;",
                         "agents.RUS.gpd", "unknown key", 1);
    expect_variant_error("months = 24;", "months = \"24\";", "scenario.months",
                         "expected an integer, got a string", 1);
    expect_variant_error("months = 24;", "months = 24.0;", "scenario.months",
                         "expected an integer, got a real number (24.0)", 1);
    expect_variant_error("alpha = 2.0;", "alpha = true;", "trade.alpha",
                         "expected a number, got a boolean", 1);
    expect_variant_error("feedback = false;", "feedback = 0;",
                         "sanctions.feedback", "expected true or false", 1);
    expect_variant_error("mode = \"caspian\";", "mode = \"hovercraft\";",
                         "routes.caspian.mode", "not one of", 1);
    expect_variant_error("  SYR = {", "  SYR = 5;\n  SYX = {", "agents.SYR",
                         "expected a group", 1);
}

static void test_bad_bounds(void **state)
{
    (void)state;
    expect_variant_error("shells = 210000.0;", "shells = -5.0;",
                         "agents.RUS.capacity.shells", "between 0 and", 1);
    expect_variant_error("vulnerability = 0.2; interdiction = 0.1;\n    limit",
                         "vulnerability = 1.2; interdiction = 0.1;\n    limit",
                         "routes.caspian.vulnerability", "between 0 and 1 (got 1.2)", 1);
    expect_variant_error("months = 24;", "months = 0;", "scenario.months",
                         "between 1 and 1200 (got 0)", 1);
    expect_variant_error("months = 24;", "months = 1000000000;", "scenario.months",
                         "between 1 and 1200 (got 1000000000)", 1);
    expect_variant_error("sanctions = 0.75;", "sanctions = 1e400;",
                         "agents.RUS.sanctions", "", 0);
    expect_variant_error("start = \"2023-01\";", "start = \"2023-13\";",
                         "scenario.start", "not a month", 0);
    expect_variant_error("seed = 20230101;", "seed = 1.5;", "scenario.seed",
                         "not an integer", 0);
}

static void test_bad_missing(void **state)
{
    (void)state;
    expect_variant_error("  focus = \"RUS\";", "", "scenario.focus",
                         "missing required key", 1);
    expect_variant_error("    price = 1000.0;", "", "goods.shells.price",
                         "missing required key", 1);
    expect_variant_error("name = \"Iran\"; member = true;", "name = \"Iran\";",
                         "agents.IRN.member", "missing required key", 1);
    expect_variant_error("goods = {", "goods_x = {", "goods_x", "unknown key", 1);
    expect_error("scenario = { name = \"x\"; };", "goods", "missing required group", 0);
}

static void test_bad_duplicates(void **state)
{
    (void)state;
    /* libconfig itself refuses a name given twice in one group */
    expect_variant_error("  CHN = {", "  RUS = { name = \"Again\"; };\n  CHN = {",
                         "agents.RUS", "duplicate setting name", 1);
    expect_variant_error("  chips = {", "  shells = { unit = \"x\"; };\n  chips = {",
                         "goods.shells", "duplicate setting name", 1);
    expect_variant_error("  IRN_RUS = {", "  RUS_CHN = { affinity = 0.1; };\n  IRN_RUS = {",
                         "pairs.RUS_CHN", "duplicate pair", 1);
}

static void test_bad_references(void **state)
{
    (void)state;
    expect_variant_error("a = \"RUS\"; b = \"CHN\"; mode = \"rail\";",
                         "a = \"RUS\"; b = \"XXX\"; mode = \"rail\";",
                         "routes.rus_chn_land.b", "no agent named 'XXX'", 1);
    expect_variant_error("a = \"RUS\"; b = \"CHN\"; mode = \"rail\";",
                         "a = \"RUS\"; b = \"RUS\"; mode = \"rail\";",
                         "routes.rus_chn_land", "both ends", 1);
    expect_variant_error("PRK_RUS = {", "PRK_XYZ = {", "pairs.PRK_XYZ",
                         "unknown agent", 1);
    expect_variant_error("PRK_RUS = {", "PRK_PRK = {", "pairs.PRK_PRK", "itself", 1);
    expect_variant_error("PRK_RUS = {", "PRKRUS = {", "pairs.PRKRUS", "<AGENT>_<AGENT>", 1);
    expect_variant_error("strategic = { PRK = 1.0; };", "strategic = { USA = 1.0; };",
                         "agents.RUS.strategic.USA", "no agent named 'USA'", 1);
    expect_variant_error("reserve = { shells = 0.5;", "reserve = { tanks = 0.5;",
                         "agents.RUS.reserve.tanks", "no good named 'tanks'", 1);
    expect_variant_error("limit = { shells = 25000.0;", "limit = { tanks = 25000.0;",
                         "routes.caspian.limit.tanks", "no good named 'tanks'", 1);
    expect_variant_error("input = \"chips\";", "input = \"silicon\";",
                         "goods.drones.input", "no good named 'silicon'", 0);
    expect_variant_error("focus = \"RUS\";", "focus = \"USA\";", "scenario.focus",
                         "no agent named 'USA'", 0);
    expect_variant_error("war_agent = \"RUS\";", "war_agent = \"USA\";",
                         "sanctions.war_agent", "no agent named 'USA'", 0);
    expect_variant_error("  BLR = {", "  B_LR = {", "agents", "no '_'", 1);
    expect_variant_error("lat = 53.9006; lon = 27.5590;",
                         "lat = 55.7558; lon = 37.6173;", "agents.BLR",
                         "same coordinates", 0);
    expect_variant_error("every = 1;", "every = 1; variables = [\"stock\", \"tanks\"];",
                         "output.variables", "no variable named 'tanks'", 1);
}

static void test_bad_events(void **state)
{
    (void)state;
    expect_variant_error("agents.PRK.strategic.RUS", "agents.PRK.strategic.USA",
                         "events.nk_shells", "no agent named 'USA'", 1);
    expect_variant_error("agents.PRK.strategic.RUS", "agents.PRK.charm",
                         "events.nk_shells", "unknown parameter", 1);
    expect_variant_error("agents.PRK.strategic.RUS", "scenario.name",
                         "events.nk_shells", "cannot be changed by an event", 1);
    expect_variant_error("kind = \"set\"; path = \"agents.VEN.sanctions\"; value = 0.45;",
                         "kind = \"set\"; path = \"agents.VEN.sanctions\"; value = 1.45;",
                         "events.[7]", "between 0 and 1", 1);
    expect_variant_error("kind = \"set\"; path = \"agents.VEN.sanctions\"; value = 0.45;",
                         "kind = \"bribe\"; path = \"agents.VEN.sanctions\"; value = 0.45;",
                         "events.[7]", "unknown kind 'bribe'", 1);
    expect_variant_error("{ date = \"2023-10\"; kind", "{ date = \"2022-10\"; kind",
                         "events.[7].date", "before the start", 1);
    expect_variant_error("{ date = \"2023-10\"; kind", "{ date = \"2023-10\"; month = 3; kind",
                         "events.[7]", "exactly one of", 1);
    expect_variant_error("{ date = \"2023-10\"; kind", "{ date = \"Oct 2023\"; kind",
                         "events.[7].date", "YYYY-MM", 1);
    expect_variant_error("note = \"GL 44\"; },", "note = \"GL 44\"; colour = 1; },",
                         "events.[7].colour", "unknown key", 1);
    expect_variant_error("note = \"GL 44\"; },", "note = \"GL 44\"; ramp = -2; },",
                         "events.[7]", "ramp must be", 1);
    expect_variant_error("  { date = \"2023-10\"; kind",
                         "  { month = 2; kind = \"route_open\"; route = \"suez\"; },\n"
                         "  { date = \"2023-10\"; kind",
                         "events.[7]", "no route named 'suez'", 1);
    expect_variant_error("  { date = \"2023-10\"; kind",
                         "  { month = 2; kind = \"flareup\"; a = \"RUS\"; b = \"RUS\"; value = 0.2; },\n"
                         "  { date = \"2023-10\"; kind",
                         "events.[7]", "same agent", 1);
    expect_variant_error("  { date = \"2023-10\"; kind",
                         "  { month = 2; kind = \"admit\"; agent = \"USA\"; },\n"
                         "  { date = \"2023-10\"; kind",
                         "events.[7].agent", "no agent named 'USA'", 1);
    expect_variant_error("  { date = \"2023-10\"; kind",
                         "  { month = 2; kind = \"unfreeze\"; agent = \"IRN\"; },\n"
                         "  { date = \"2023-10\"; kind",
                         "events.[7].value", "missing required key", 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_baseline_values),
        cmocka_unit_test(test_resolve_path),
        cmocka_unit_test(test_set_overrides),
        cmocka_unit_test(test_set_errors),
        cmocka_unit_test(test_set_through_table),
        cmocka_unit_test(test_resolved_round_trip),
        cmocka_unit_test(test_bad_syntax_and_files),
        cmocka_unit_test(test_bad_keys_and_types),
        cmocka_unit_test(test_bad_bounds),
        cmocka_unit_test(test_bad_missing),
        cmocka_unit_test(test_bad_duplicates),
        cmocka_unit_test(test_bad_references),
        cmocka_unit_test(test_bad_events),
    };
    return cmocka_run_group_tests_name("configuration", tests, NULL, NULL);
}
