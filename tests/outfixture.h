/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * outfixture.h - a small world and model states filled by hand, for the
 * tests of the result file (test_output.c, test_reader.c): every recorded
 * value is known (val), so a file read back can be checked number by
 * number.
 *
 * Include after cmocka.h.  Define before including:
 *   FIXTURE_DIR     the name of the temporary directory ("/tmp/test_X")
 *   FIXTURE_OFFSET  optional: added to every value (default 0)
 *   FIXTURE_VAL     optional: a function (v, r, t, e) -> double of the
 *                   including file that replaces val() in fill_state
 *   FIXTURE_EVENTS  optional: the events of four runs (NRUNS 4), with
 *                   run_events()
 * Three agents RUS, CHN, PRK; goods shells (rounds) and oil (barrels);
 * routes route0 (RUS-CHN) and route1 (CHN-PRK).
 */
#ifndef SIM_TESTS_OUTFIXTURE_H
#define SIM_TESTS_OUTFIXTURE_H

#include <dirent.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model/model.h"
#include "model/params.h"

#define NA 3
#define NG 2
#define NR 2 /* routes */
#ifndef FIXTURE_OFFSET
#define FIXTURE_OFFSET 0.0
#endif

static char tmpdir[64];

static const char *const codes[NA] = {"RUS", "CHN", "PRK"};
static const char *const goods[NG] = {"shells", "oil"};
static const char *const units[NG] = {"rounds", "barrels"};
static const char *const routes[NR] = {"route0", "route1"};

/* ---- the variables as OUTPUT.md lists them ----------------------------- */

typedef enum { K_AG, K_APG, K_AP, K_G, K_A, K_BLOC, K_RG } kind;

static const struct {
    const char *name;
    kind k;
    size_t off;
    const char *unit; /* its unit in the file, of the first good (shells) */
} tvars[] = {
#define V(nm, k, u) {#nm, k, offsetof(model_state, nm), u}
    V(stock, K_AG, "rounds"),           V(capacity, K_AG, "rounds month-1"),
    V(production, K_AG, "rounds month-1"), V(consumption, K_AG, "rounds month-1"),
    V(shortfall, K_AG, "rounds month-1"), V(demand, K_AG, "rounds month-1"),
    V(imports, K_AG, "rounds month-1"),  V(exports, K_AG, "rounds month-1"),
    V(world_imports, K_AG, "rounds month-1"),
    V(world_exports, K_AG, "rounds month-1"),
    V(flow, K_APG, "rounds month-1"),   V(interdicted, K_APG, "rounds month-1"),
    V(trade_value, K_AP, "USD month-1"), V(civilian_trade, K_AP, "USD month-1"),
    V(usd_share, K_AP, "1"),            V(affinity, K_AP, "1"),
    V(rivalry, K_AP, "1"),              V(price, K_G, "USD per rounds"),
    V(discount, K_AG, "1"),             V(sanctions, K_A, "1"),
    V(gdp, K_A, "USD month-1"),         V(member, K_A, "1"),
    V(cash, K_A, "USD"),                V(cohesion, K_BLOC, "1"),
    V(connectivity, K_BLOC, "1"),       V(hub_share, K_BLOC, "1"),
    V(route_flow, K_RG, "rounds month-1"),
    V(route_interdicted, K_RG, "rounds month-1"),
#undef V
};
#define N_TVARS (sizeof tvars / sizeof tvars[0])

static inline size_t kind_count(kind k)
{
    static const size_t c[] = {NA * NG, NA * NA * NG, NA * NA, NG, NA, 1, NR * NG};
    return c[k];
}

static inline int kind_rank(kind k)
{
    static const int r[] = {2, 3, 2, 1, 1, 0, 2};
    return r[k];
}

static inline const char *kind_dim(kind k, int a)
{
    static const char *const d[][3] = {
        {"agent", "good", NULL},   {"agent", "partner", "good"},
        {"agent", "partner", NULL}, {"good", NULL, NULL},
        {"agent", NULL, NULL},     {NULL, NULL, NULL},
        {"route", "good", NULL}};
    return d[k][a];
}

/* The known value of variable v, run r, step t, element e. */
static inline double val(size_t v, int r, int t, size_t e)
{
    return (double)(v + 1) * 1e4 + r * 1e3 + t * 1e2 + (double)e + FIXTURE_OFFSET;
}

/* ---- the world and its states -------------------------------------------- */

static inline model_params *make_params(int months, int every)
{
    model_params *p = params_alloc(NA, NG, NR, 0);
    assert_non_null(p);
    params_set_defaults(p);
    static const int ends[NR][2] = {{0, 1}, {1, 2}};
    for (int r = 0; r < NR; r++) {
        snprintf(p->routes[r].name, PARAM_NAME_MAX, "%s", routes[r]);
        p->routes[r].ia = ends[r][0];
        p->routes[r].ib = ends[r][1];
    }
    for (int i = 0; i < NA; i++)
        strcpy(p->agents[i].code, codes[i]);
    for (int k = 0; k < NG; k++) {
        strcpy(p->goods[k].name, goods[k]);
        strcpy(p->goods[k].unit, units[k]);
    }
    strcpy(p->g.name, "unit-test");
    strcpy(p->g.start, "2023-01");
    strcpy(p->g.focus, "RUS");
    p->g.months = months;
    p->g.every = every;
    p->g.seed = 42;
    p->start_year = 2023;
    p->start_month = 1;
    p->focus = 0;
    return p;
}

static inline model_state *make_state(model_params *p)
{
    model_state *s = calloc(1, sizeof *s);
    assert_non_null(s);
    s->p = p;
    s->n = NA;
    s->g = NG;
    s->t = -1;
    for (size_t v = 0; v < N_TVARS; v++) {
        if (tvars[v].k == K_BLOC)
            continue;
        double **slot = (double **)((char *)s + tvars[v].off);
        *slot = calloc(kind_count(tvars[v].k), sizeof(double));
        assert_non_null(*slot);
    }
    return s;
}

static inline void free_state(model_state *s)
{
    for (size_t v = 0; v < N_TVARS; v++)
        if (tvars[v].k != K_BLOC)
            free(*(double **)((char *)s + tvars[v].off));
    free(s);
}

#ifndef FIXTURE_VAL
#define FIXTURE_VAL val
#endif

/* Every variable of s at its known values for run r, step t. */
static inline void fill_state(model_state *s, int r, int t)
{
    s->t = t;
    for (size_t v = 0; v < N_TVARS; v++) {
        char *field = (char *)s + tvars[v].off;
        if (tvars[v].k == K_BLOC) {
            *(double *)field = FIXTURE_VAL(v, r, t, 0);
            continue;
        }
        double *a = *(double **)field;
        for (size_t e = 0; e < kind_count(tvars[v].k); e++)
            a[e] = FIXTURE_VAL(v, r, t, e);
    }
}

#ifdef FIXTURE_EVENTS
/* The events of each of four runs: run 1 has none; a label with a quote
 * and a comma. */
static const model_event ev0[] = {
    {0, EV_SET, 0, -1, 0.5, "agents.RUS.sanctions"},
    {2, EV_FLAREUP, 0, 1, 0.25, NULL},
};
static const model_event ev2[] = {
    {1, EV_ROUTE_CLOSE, 1, 2, 0.0, "route1"},
    {3, EV_JOIN, 2, -1, 1.0, NULL},
    {3, EV_INCIDENT, 1, 0, 0.125, "a \"quoted\", label"},
};
static const model_event ev3[] = {
    {4, EV_UNFREEZE, 2, -1, 1e9, NULL},
};

static inline int run_events(int r, const model_event **ev)
{
    static const model_event *const evs[4] = {ev0, NULL, ev2, ev3};
    static const int n[4] = {2, 0, 3, 1};
    *ev = evs[r];
    return n[r];
}
#endif

/* ---- the temporary directory (cmocka group setup and teardown) ----------- */

static inline void path_in_tmp(char *buf, size_t len, const char *name)
{
    snprintf(buf, len, "%s/%s", tmpdir, name);
}

static inline int setup_dir(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "%s.XXXXXX", FIXTURE_DIR);
    return mkdtemp(tmpdir) ? 0 : -1;
}

/* Remove path and, if a directory, everything below it. */
static inline int rm_tree(const char *path)
{
    DIR *d = opendir(path);
    struct dirent *e;
    char sub[512];
    if (!d)
        return unlink(path);
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
        rm_tree(sub);
    }
    closedir(d);
    return rmdir(path);
}

/* Remove tmpdir and what it holds; with TEST_OUTPUT_KEEP set, keep it for
 * inspection. */
static inline int teardown_dir(void **state)
{
    (void)state;
    if (getenv("TEST_OUTPUT_KEEP")) {
        fprintf(stderr, "files kept in %s\n", tmpdir);
        return 0;
    }
    return rm_tree(tmpdir);
}

#endif
