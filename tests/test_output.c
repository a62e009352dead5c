/*
 * test_output.c - the result file: known values written from hand-filled
 * states and read back with the HDF5 API; variable selection; events;
 * atomic creation (missing directory, abort, write failure); `sim info`;
 * and, when the tools are present, ncdump and xarray/h5py/netCDF4.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <hdf5.h>
#include <hdf5_hl.h>

#include "io/output.h"
#include "io/resultinfo.h"

#define NA 3
#define NG 2
#define NRUNS 2
#define NR 2 /* routes */

static char tmpdir[64];
static const char *self = "/proc/self/exe"; /* this program, for re-exec */

/* ---- the variables as OUTPUT.md lists them ----------------------------- */

typedef enum { K_AG, K_APG, K_AP, K_G, K_A, K_BLOC, K_RG } kind;

static const struct {
    const char *name;
    kind k;
    size_t off;
} tvars[] = {
#define V(nm, k) {#nm, k, offsetof(model_state, nm)}
    V(stock, K_AG),        V(capacity, K_AG),      V(production, K_AG),
    V(consumption, K_AG),  V(shortfall, K_AG),     V(demand, K_AG),
    V(imports, K_AG),      V(exports, K_AG),       V(world_imports, K_AG),
    V(world_exports, K_AG), V(flow, K_APG),        V(interdicted, K_APG),
    V(trade_value, K_AP),  V(civilian_trade, K_AP), V(usd_share, K_AP),
    V(affinity, K_AP),     V(rivalry, K_AP),       V(price, K_G),
    V(discount, K_AG),     V(sanctions, K_A),      V(gdp, K_A),
    V(member, K_A),        V(cash, K_A),           V(cohesion, K_BLOC),
    V(connectivity, K_BLOC), V(hub_share, K_BLOC), V(route_flow, K_RG),
    V(route_interdicted, K_RG),
#undef V
};
#define N_TVARS (sizeof tvars / sizeof tvars[0])

static size_t kind_count(kind k)
{
    static const size_t c[] = {NA * NG, NA * NA * NG, NA * NA, NG, NA, 1, NR * NG};
    return c[k];
}

static int kind_rank(kind k)
{
    static const int r[] = {2, 3, 2, 1, 1, 0, 2};
    return r[k];
}

static const char *kind_dim(kind k, int a)
{
    static const char *const d[][3] = {
        {"agent", "good", NULL},   {"agent", "partner", "good"},
        {"agent", "partner", NULL}, {"good", NULL, NULL},
        {"agent", NULL, NULL},     {NULL, NULL, NULL},
        {"route", "good", NULL}};
    return d[k][a];
}

/* The known value of variable v, run r, step t, element e. */
static double val(size_t v, int r, int t, size_t e)
{
    return (double)(v + 1) * 1e4 + r * 1e3 + t * 1e2 + (double)e;
}

/* ---- fixtures ---------------------------------------------------------- */

static model_params *make_params(int months, int every)
{
    static const char *const codes[NA] = {"RUS", "CHN", "PRK"};
    static const char *const goods[NG] = {"shells", "oil"};
    static const char *const units[NG] = {"rounds", "barrels"};
    model_params *p = params_alloc(NA, NG, NR, 0);
    assert_non_null(p);
    params_set_defaults(p);
    static const int ends[NR][2] = {{0, 1}, {1, 2}};
    for (int r = 0; r < NR; r++) {
        snprintf(p->routes[r].name, PARAM_NAME_MAX, "route%d", r);
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

static model_state *make_state(model_params *p)
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

static void free_state(model_state *s)
{
    for (size_t v = 0; v < N_TVARS; v++)
        if (tvars[v].k != K_BLOC)
            free(*(double **)((char *)s + tvars[v].off));
    free(s);
}

static void fill_state(model_state *s, int r, int t)
{
    s->t = t;
    for (size_t v = 0; v < N_TVARS; v++) {
        char *field = (char *)s + tvars[v].off;
        if (tvars[v].k == K_BLOC) {
            *(double *)field = val(v, r, t, 0);
            continue;
        }
        double *a = *(double **)field;
        for (size_t e = 0; e < kind_count(tvars[v].k); e++)
            a[e] = val(v, r, t, e);
    }
}

static void path_in_tmp(char *buf, size_t len, const char *name)
{
    snprintf(buf, len, "%s/%s", tmpdir, name);
}

static const model_event events[] = {
    {0, EV_SET, 0, -1, 0.5, "agents.RUS.sanctions"},
    {2, EV_FLAREUP, 0, 1, 0.25, NULL},
    {3, EV_JOIN, 2, -1, 1.0, NULL},
};

/* Write a file of NRUNS runs: run r gets n_ev[r] events of events[]. */
static int write_file(const char *path, model_params *p,
                      const char *const *vars, int n_vars, const int *n_ev,
                      char *err, size_t errlen)
{
    output_opts opts = {path, "scenario: { name = \"unit-test\"; };",
                        "test_output", vars, n_vars, NRUNS, 42ULL};
    output *o = output_open(p, &opts, err, errlen);
    if (!o)
        return -1;
    model_state *s = make_state(p);
    int off = 0;
    for (int r = 0; r < NRUNS; r++) {
        assert_int_equal(output_begin_run(o, r, 1000UL + (unsigned long)r), 0);
        for (int t = 0; t < p->g.months; t++) {
            fill_state(s, r, t);
            assert_int_equal(output_record(o, s), 0);
        }
        assert_int_equal(output_end_run(o, events + off, n_ev[r]), 0);
        off += n_ev[r];
    }
    free_state(s);
    return output_close(o, err, errlen);
}

static int setup_dir(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/test_output.XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown_dir(void **state)
{
    (void)state;
    DIR *d = opendir(tmpdir);
    struct dirent *e;
    char path[512];
    if (getenv("TEST_OUTPUT_KEEP")) { /* for inspecting the files */
        fprintf(stderr, "files kept in %s\n", tmpdir);
        closedir(d);
        return 0;
    }
    while (d && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", tmpdir, e->d_name);
        unlink(path);
    }
    if (d)
        closedir(d);
    return rmdir(tmpdir);
}

/* Number of entries of tmpdir whose name contains `part`. */
static int count_in_dir(const char *part)
{
    DIR *d = opendir(tmpdir);
    struct dirent *e;
    int n = 0;
    assert_non_null(d);
    while ((e = readdir(d)) != NULL)
        n += strstr(e->d_name, part) != NULL;
    closedir(d);
    return n;
}

/* ---- reading back ------------------------------------------------------ */

static int ndims_of(hid_t ds, hsize_t *dims)
{
    hid_t sp = H5Dget_space(ds);
    assert_true(sp >= 0);
    int nd = H5Sget_simple_extent_dims(sp, dims, NULL);
    H5Sclose(sp);
    return nd;
}

static char *read_attr(hid_t loc, const char *name)
{
    hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
    assert_true(a >= 0);
    hid_t t = H5Aget_type(a);
    size_t n = H5Tget_size(t);
    char *buf = calloc(n + 1, 1);
    assert_non_null(buf);
    assert_false(H5Tis_variable_str(t) > 0);
    assert_true(H5Aread(a, t, buf) >= 0);
    H5Tclose(t);
    H5Aclose(a);
    return buf;
}

static void assert_attr(hid_t loc, const char *name, const char *want)
{
    char *got = read_attr(loc, name);
    assert_string_equal(got, want);
    free(got);
}

static void assert_strings(hid_t f, const char *name, const char *const *want,
                           int n)
{
    char *got[8] = {0};
    hid_t ds = H5Dopen2(f, name, H5P_DEFAULT);
    hid_t t = H5Dget_type(ds), sp = H5Dget_space(ds);
    hsize_t dims[1];
    assert_int_equal(ndims_of(ds, dims), 1);
    assert_int_equal(dims[0], n);
    assert_true(H5Tis_variable_str(t) > 0);
    assert_int_equal(H5Tget_cset(t), H5T_CSET_UTF8);
    assert_true(H5Dread(ds, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, got) >= 0);
    for (int i = 0; i < n; i++)
        assert_string_equal(got[i], want[i]);
    H5Dvlen_reclaim(t, sp, H5P_DEFAULT, got);
    H5Sclose(sp);
    H5Tclose(t);
    H5Dclose(ds);
}

static void read_all(hid_t f, const char *name, hid_t mtype, void *buf)
{
    hid_t ds = H5Dopen2(f, name, H5P_DEFAULT);
    assert_true(ds >= 0);
    assert_true(H5Dread(ds, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) >= 0);
    H5Dclose(ds);
}

/* The dimension scale `dim` is attached to axis a of ds. */
static void assert_scale(hid_t f, hid_t ds, int a, const char *dim)
{
    hid_t sc = H5Dopen2(f, dim, H5P_DEFAULT);
    assert_true(sc >= 0);
    assert_true(H5DSis_scale(sc) > 0);
    assert_int_equal(H5DSis_attached(ds, sc, (unsigned)a), 1);
    assert_int_equal(H5DSget_num_scales(ds, (unsigned)a), 1);
    H5Dclose(sc);
}

static void check_record_var(hid_t f, size_t v, int n_rec, int every)
{
    hid_t ds = H5Dopen2(f, tvars[v].name, H5P_DEFAULT);
    hsize_t dims[5];
    kind k = tvars[v].k;
    size_t ne = kind_count(k);
    assert_true(ds >= 0);
    assert_int_equal(ndims_of(ds, dims), 2 + kind_rank(k));
    assert_int_equal(dims[0], NRUNS);
    assert_int_equal(dims[1], n_rec);
    assert_scale(f, ds, 0, "run");
    assert_scale(f, ds, 1, "time");
    for (int a = 0; a < kind_rank(k); a++)
        assert_scale(f, ds, 2 + a, kind_dim(k, a));
    double *buf = malloc(NRUNS * (size_t)n_rec * ne * sizeof *buf);
    assert_non_null(buf);
    assert_true(H5Dread(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT,
                        buf) >= 0);
    for (int r = 0; r < NRUNS; r++)
        for (int i = 0; i < n_rec; i++)
            for (size_t e = 0; e < ne; e++)
                assert_true(buf[((size_t)r * n_rec + i) * ne + e] ==
                            val(v, r, (i + 1) * every - 1, e));
    free(buf);
    H5Dclose(ds);
}

typedef struct {
    int n_datasets;
} walk_count;

/* Every dataset: long_name; units on numbers; scales on every axis
 * (coordinates are scales themselves); attribute order tracked. */
static herr_t check_object(hid_t f, const char *name, const H5L_info_t *li,
                           void *data)
{
    walk_count *w = data;
    (void)li;
    hid_t ds = H5Dopen2(f, name, H5P_DEFAULT);
    assert_true(ds >= 0);
    hid_t t = H5Dget_type(ds), dcpl = H5Dget_create_plist(ds);
    unsigned order = 0;
    hsize_t dims[5];
    int nd = ndims_of(ds, dims);
    assert_true(H5Aexists(ds, "long_name") > 0);
    if (H5Tget_class(t) != H5T_STRING)
        assert_true(H5Aexists(ds, "units") > 0);
    assert_true(H5Pget_attr_creation_order(dcpl, &order) >= 0);
    assert_int_equal(order, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED);
    if (H5DSis_scale(ds) > 0)
        assert_int_equal(nd, 1);
    else
        for (int a = 0; a < nd; a++)
            assert_int_equal(H5DSget_num_scales(ds, (unsigned)a), 1);
    if (H5Aexists(ds, "_FillValue") > 0) {
        hid_t a = H5Aopen(ds, "_FillValue", H5P_DEFAULT), at = H5Aget_type(a);
        assert_true(H5Tequal(at, t) > 0);
        H5Tclose(at);
        H5Aclose(a);
    }
    H5Pclose(dcpl);
    H5Tclose(t);
    H5Dclose(ds);
    w->n_datasets++;
    return 0;
}

static void check_globals(hid_t f)
{
    static const char *const names[] = {
        "Conventions", "title", "source", "history", "config", "master_seed",
        "scenario", "focus_agent", "start", "months", "record_every",
        "hdf5_version", "gsl_version", "libconfig_version"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        assert_true(H5Aexists(f, names[i]) > 0);
    assert_attr(f, "Conventions", "CF-1.8");
    assert_attr(f, "scenario", "unit-test");
    assert_attr(f, "focus_agent", "RUS");
    assert_attr(f, "history", "test_output");
    unsigned long long seed = 0;
    hid_t a = H5Aopen(f, "master_seed", H5P_DEFAULT);
    assert_true(H5Aread(a, H5T_NATIVE_ULLONG, &seed) >= 0);
    H5Aclose(a);
    assert_true(seed == 42ULL);
    hid_t root = H5Gopen2(f, "/", H5P_DEFAULT);
    hid_t gcpl = H5Gget_create_plist(root);
    unsigned order = 0;
    assert_true(H5Pget_link_creation_order(gcpl, &order) >= 0);
    assert_int_equal(order, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED);
    assert_true(H5Pget_attr_creation_order(gcpl, &order) >= 0);
    assert_int_equal(order, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED);
    H5Pclose(gcpl);
    H5Gclose(root);
}

static void check_coords(hid_t f, int n_rec, int every)
{
    static const char *const codes[] = {"RUS", "CHN", "PRK"};
    static const char *const goods[] = {"shells", "oil"};
    static const char *const units[] = {"rounds", "barrels"};
    /* days from 2023-01-01 to the first of months 0..5 */
    static const double days[] = {0, 31, 59, 90, 120, 151};
    double tv[8];
    int step[8], run[NRUNS];
    unsigned long long seed[NRUNS];
    assert_strings(f, "agent", codes, NA);
    assert_strings(f, "partner", codes, NA);
    assert_strings(f, "good", goods, NG);
    assert_strings(f, "good_unit", units, NG);
    read_all(f, "time", H5T_NATIVE_DOUBLE, tv);
    read_all(f, "step", H5T_NATIVE_INT, step);
    read_all(f, "run", H5T_NATIVE_INT, run);
    read_all(f, "seed", H5T_NATIVE_ULLONG, seed);
    for (int i = 0; i < n_rec; i++) {
        assert_int_equal(step[i], (i + 1) * every - 1);
        assert_true(tv[i] == days[(i + 1) * every - 1]);
    }
    for (int r = 0; r < NRUNS; r++) {
        assert_int_equal(run[r], r);
        assert_true(seed[r] == 1000ULL + (unsigned long long)r);
    }
    hid_t t = H5Dopen2(f, "time", H5P_DEFAULT);
    assert_attr(t, "units", "days since 2023-01-01");
    assert_attr(t, "calendar", "standard");
    H5Dclose(t);
}

static void check_events(hid_t f, int n)
{
    static const char *const kinds[] = {"set", "flareup", "join"};
    static const char *const actors[] = {"RUS", "RUS", "PRK"};
    static const char *const targets[] = {"", "CHN", ""};
    static const char *const labels[] = {"agents.RUS.sanctions", "", ""};
    int run[3] = {-1, -1, -1}, step[3] = {-1, -1, -1};
    double value[3] = {0};
    hsize_t dims[1];
    hid_t ds = H5Dopen2(f, "event_kind", H5P_DEFAULT);
    assert_int_equal(ndims_of(ds, dims), 1);
    assert_int_equal(dims[0], n);
    assert_scale(f, ds, 0, "event");
    H5Dclose(ds);
    if (n == 0)
        return;
    assert_strings(f, "event_kind", kinds, n);
    assert_strings(f, "event_actor", actors, n);
    assert_strings(f, "event_target", targets, n);
    assert_strings(f, "event_label", labels, n);
    read_all(f, "event_run", H5T_NATIVE_INT, run);
    read_all(f, "event_step", H5T_NATIVE_INT, step);
    read_all(f, "event_value", H5T_NATIVE_DOUBLE, value);
    for (int e = 0; e < n; e++) {
        assert_int_equal(run[e], e < 2 ? 0 : 1);
        assert_int_equal(step[e], events[e].step);
        assert_true(value[e] == events[e].value);
    }
}

static void check_file(const char *path, int n_rec, int every, int n_ev)
{
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    walk_count w = {0};
    hsize_t idx = 0;
    assert_true(f >= 0);
    check_globals(f);
    check_coords(f, n_rec, every);
    for (size_t v = 0; v < N_TVARS; v++)
        check_record_var(f, v, n_rec, every);
    check_events(f, n_ev);
    assert_true(H5Literate(f, H5_INDEX_CRT_ORDER, H5_ITER_INC, &idx,
                           check_object, &w) >= 0);
    /* 6 coordinates, step, good_unit, seed, the variables, 7 event columns */
    /* coordinates, step/good_unit/seed, variables, event columns, and the
     * route axis with route_a and route_b */
    assert_int_equal(w.n_datasets, 6 + 3 + (int)N_TVARS + 7 + 3);
    H5Fclose(f);
}

/* ---- external readers -------------------------------------------------- */

static int have_tool(const char *cmd)
{
    char buf[1400];
    snprintf(buf, sizeof buf, "%s >/dev/null 2>&1", cmd);
    return system(buf) == 0;
}

static void run_ncdump(const char *path)
{
    char cmd[600], line[512];
    int saw_agent = 0, saw_stock = 0, saw_flow = 0;
    if (!have_tool("command -v ncdump"))
        skip();
    snprintf(cmd, sizeof cmd, "ncdump -h '%s' 2>&1", path);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    while (fgets(line, sizeof line, p)) {
        saw_agent |= strstr(line, "string agent(agent)") != NULL;
        saw_stock |= strstr(line, "double stock(run, time, agent, good)") != NULL;
        saw_flow |= strstr(line, "flow(run, time, agent, partner, good)") != NULL;
        assert_null(strstr(line, "phony_dim"));
    }
    assert_int_equal(pclose(p), 0);
    assert_true(saw_agent && saw_stock && saw_flow);
}

static const char *check_script(void)
{
    static char path[512];
    const char *env = getenv("CHECK_OUTPUT_PY");
    const char *slash = strrchr(__FILE__, '/');
    if (env)
        return env;
    snprintf(path, sizeof path, "%.*scheck_output.py",
             slash ? (int)(slash - __FILE__ + 1) : 0, __FILE__);
    return path;
}

static void run_python(const char *path, int n_ev, const char *expect)
{
    const char *py = getenv("PYTHON") ? getenv("PYTHON") : "/usr/bin/python3";
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "%s -c 'import xarray, h5py, netCDF4'", py);
    if (!have_tool(cmd))
        skip(); /* no python3 with xarray, h5py and netCDF4 */
    if (access(check_script(), R_OK) != 0)
        fail_msg("cannot read %s (set CHECK_OUTPUT_PY)", check_script());
    snprintf(cmd, sizeof cmd, "%s '%s' '%s' --events %d %s", py,
             check_script(), path, n_ev, expect);
    assert_int_equal(system(cmd), 0);
}

/* ---- tests ------------------------------------------------------------- */

static void test_roundtrip_every1(void **state)
{
    (void)state;
    char path[256], err[512] = "", expect[128];
    int n_ev[NRUNS] = {2, 1};
    model_params *p = make_params(4, 1);
    path_in_tmp(path, sizeof path, "every1.h5");
    assert_int_equal(write_file(path, p, NULL, 0, n_ev, err, sizeof err), 0);
    check_file(path, 4, 1, 3);
    assert_int_equal(count_in_dir(".tmp."), 0);
    /* stock of CHN (1), oil (1), run 1, step 2 (2023-03) */
    snprintf(expect, sizeof expect, "--expect CHN oil 1 2023-03-01 %.17g",
             val(0, 1, 2, 1 * NG + 1));
    run_ncdump(path);
    run_python(path, 3, expect);
    params_free(p);
}

static void test_roundtrip_every2(void **state)
{
    (void)state;
    char path[256], err[512] = "", expect[128];
    int n_ev[NRUNS] = {0, 0};
    model_params *p = make_params(4, 2);
    path_in_tmp(path, sizeof path, "every2.h5");
    assert_int_equal(write_file(path, p, NULL, 0, n_ev, err, sizeof err), 0);
    check_file(path, 2, 2, 0);
    snprintf(expect, sizeof expect, "--expect PRK shells 0 2023-04-01 %.17g",
             val(0, 0, 3, 2 * NG + 0));
    run_python(path, 0, expect);
    params_free(p);
}

static void test_zero_events_readers(void **state)
{
    (void)state;
    char path[256], err[512] = "";
    int n_ev[NRUNS] = {0, 0};
    model_params *p = make_params(3, 1);
    path_in_tmp(path, sizeof path, "noevents.h5");
    assert_int_equal(write_file(path, p, NULL, 0, n_ev, err, sizeof err), 0);
    run_ncdump(path);
    run_python(path, 0, "");
    params_free(p);
}

static void test_selection(void **state)
{
    (void)state;
    static const char *const vars[] = {"stock", "flow", "cohesion"};
    char path[256], err[512] = "";
    int n_ev[NRUNS] = {1, 0};
    model_params *p = make_params(4, 1);
    path_in_tmp(path, sizeof path, "selected.h5");
    assert_int_equal(write_file(path, p, vars, 3, n_ev, err, sizeof err), 0);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    assert_true(f >= 0);
    for (size_t v = 0; v < N_TVARS; v++) {
        int want = strcmp(tvars[v].name, "stock") == 0 ||
                   strcmp(tvars[v].name, "flow") == 0 ||
                   strcmp(tvars[v].name, "cohesion") == 0;
        assert_int_equal(H5Lexists(f, tvars[v].name, H5P_DEFAULT) > 0, want);
        if (want)
            check_record_var(f, v, 4, 1);
    }
    check_coords(f, 4, 1);
    check_events(f, 1);
    H5Fclose(f);
    /* 4 records x 2 runs x (NA*NG + NA*NA*NG + 1) doubles */
    assert_true(output_estimate_bytes(p, vars, 3, NRUNS) ==
                8.0 * 4 * NRUNS * (NA * NG + NA * NA * NG + 1));
    assert_true(output_estimate_bytes(p, NULL, 0, 1) >
                output_estimate_bytes(p, vars, 3, 1));
    params_free(p);
}

static void test_var_names(void **state)
{
    (void)state;
    const char *const *names = output_var_names();
    size_t n = 0;
    while (names[n])
        n++;
    assert_int_equal(n, N_TVARS);
    for (size_t v = 0; v < N_TVARS; v++)
        assert_true(output_var_known(tvars[v].name));
    assert_false(output_var_known("bogus"));
    assert_false(output_var_known("time"));
}

static void test_open_errors(void **state)
{
    (void)state;
    static const char *const bad[] = {"stock", "bogus"};
    char path[256], err[512] = "";
    model_params *p = make_params(4, 1);
    output_opts opts = {"/nonexistent-dir/x/out.h5", NULL, NULL, NULL, 0, 1, 1};
    assert_null(output_open(p, &opts, err, sizeof err));
    assert_non_null(strstr(err, "cannot create /nonexistent-dir/x/out.h5"));
    assert_non_null(strstr(err, "No such file or directory"));
    opts.path = "/proc/out.h5";
    err[0] = '\0';
    assert_null(output_open(p, &opts, err, sizeof err));
    assert_non_null(strstr(err, "cannot create /proc/out.h5: "));
    opts.path = tmpdir; /* a directory */
    assert_null(output_open(p, &opts, err, sizeof err));
    assert_non_null(strstr(err, "Is a directory"));
    path_in_tmp(path, sizeof path, "bad.h5");
    opts.path = path;
    opts.vars = bad;
    opts.n_vars = 2;
    assert_null(output_open(p, &opts, err, sizeof err));
    assert_non_null(strstr(err, "unknown output variable 'bogus'"));
    opts.vars = NULL;
    p->g.months = 1;
    p->g.every = 2;
    assert_null(output_open(p, &opts, err, sizeof err));
    assert_non_null(strstr(err, "nothing to record"));
    assert_int_equal(count_in_dir("bad.h5"), 0);
    params_free(p);
}

static void write_text(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

static void assert_text(const char *path, const char *text)
{
    char buf[128] = "";
    FILE *fp = fopen(path, "r");
    assert_non_null(fp);
    assert_non_null(fgets(buf, sizeof buf, fp));
    fclose(fp);
    assert_string_equal(buf, text);
}

static void test_abort_keeps_old_file(void **state)
{
    (void)state;
    char path[256], err[512] = "";
    model_params *p = make_params(4, 1);
    model_state *s = make_state(p);
    path_in_tmp(path, sizeof path, "keep.h5");
    write_text(path, "original\n");
    output_opts opts = {path, NULL, NULL, NULL, 0, 1, 1};
    output *o = output_open(p, &opts, err, sizeof err);
    assert_non_null(o);
    assert_int_equal(count_in_dir(".keep.h5.tmp."), 1);
    assert_int_equal(output_begin_run(o, 0, 1), 0);
    fill_state(s, 0, 0);
    assert_int_equal(output_record(o, s), 0);
    assert_text(path, "original\n");
    output_abort(o);
    output_abort(NULL);
    assert_int_equal(count_in_dir(".keep.h5.tmp."), 0);
    assert_text(path, "original\n");
    /* abort before any run, on a fresh name: nothing at all is left */
    path_in_tmp(path, sizeof path, "never.h5");
    opts.path = path;
    o = output_open(p, &opts, err, sizeof err);
    assert_non_null(o);
    output_abort(o);
    assert_int_equal(count_in_dir("never.h5"), 0);
    free_state(s);
    params_free(p);
}

static void test_misuse(void **state)
{
    (void)state;
    char path[256], err[512] = "";
    model_params *p = make_params(4, 1);
    model_state *s = make_state(p);
    path_in_tmp(path, sizeof path, "misuse.h5");
    output_opts opts = {path, NULL, NULL, NULL, 0, 1, 1};
    output *o = output_open(p, &opts, err, sizeof err);
    assert_non_null(o);
    fill_state(s, 0, 0);
    assert_int_equal(output_record(o, s), -1); /* no run begun */
    assert_non_null(strstr(output_error(o), "no run begun"));
    assert_int_equal(output_begin_run(o, 1, 1), -1); /* only run 0 */
    assert_int_equal(output_begin_run(o, 0, 1), 0);
    fill_state(s, 0, 4); /* a fifth month: beyond the 4 records */
    assert_int_equal(output_record(o, s), -1);
    assert_int_equal(output_close(o, err, sizeof err), -1); /* run not ended */
    assert_non_null(strstr(err, "not ended"));
    assert_string_equal(output_error(o), err);
    output_abort(o);
    assert_int_equal(count_in_dir("misuse.h5"), 0);
    free_state(s);
    params_free(p);
}

/* Run in a fresh process (see main): write under a small file-size limit;
 * exit 0 when the failure is reported as an error line naming the file.
 * A fresh process also shows that exit() does not crash afterwards, which
 * HDF5 1.10 does after a failed H5Fclose unless output.c prevents it. */
static int write_under_limit(const char *path)
{
    struct rlimit rl = {256 * 1024, 256 * 1024};
    char err[512] = "";
    model_params *p = make_params(240, 1);
    model_state *s = make_state(p);
    output_opts opts = {path, NULL, NULL, NULL, 0, 8, 1};
    signal(SIGXFSZ, SIG_IGN);
    if (setrlimit(RLIMIT_FSIZE, &rl) != 0)
        return 10;
    output *o = output_open(p, &opts, err, sizeof err);
    if (!o)
        return 11;
    srand(1);
    for (int r = 0; r < 8 && o; r++) {
        if (output_begin_run(o, r, 1) < 0)
            return 12;
        for (int t = 0; t < p->g.months; t++) {
            fill_state(s, r, t);
            for (size_t e = 0; e < NA * NA * NG; e++)
                s->flow[e] = s->interdicted[e] = rand() / 7.0;
            if (output_record(o, s) < 0)
                return 13;
        }
        if (output_end_run(o, NULL, 0) < 0) {
            snprintf(err, sizeof err, "%s", output_error(o));
            output_abort(o);
            o = NULL;
        }
    }
    if (o && output_close(o, err, sizeof err) == 0)
        return 14;
    output_abort(o);
    fprintf(stderr, "expected failure: %s\n", err);
    free_state(s);
    params_free(p);
    return strstr(err, path) && strstr(err, "File too large") ? 0 : 15;
}

static void test_write_failure(void **state)
{
    (void)state;
    char path[256];
    int status = -1;
    path_in_tmp(path, sizeof path, "full.h5");
    write_text(path, "original\n");
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        execl(self, self, "--write-under-limit", path, (char *)NULL);
        _exit(127);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_false(WIFSIGNALED(status));
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_text(path, "original\n");
    assert_int_equal(count_in_dir(".full.h5.tmp."), 0);
}

static void test_replace_existing(void **state)
{
    (void)state;
    char path[256], err[512] = "";
    int n_ev[NRUNS] = {0, 1};
    model_params *p = make_params(2, 1);
    path_in_tmp(path, sizeof path, "replace.h5");
    write_text(path, "original\n");
    assert_int_equal(write_file(path, p, NULL, 0, n_ev, err, sizeof err), 0);
    assert_true(H5Fis_hdf5(path) > 0);
    assert_int_equal(count_in_dir(".tmp."), 0);
    params_free(p);
}

static char *info_text(const char *path, int *rc, char *err, size_t errlen)
{
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    assert_non_null(mem);
    *rc = result_info_print(path, mem, err, errlen);
    fclose(mem);
    return text;
}

static void test_info(void **state)
{
    (void)state;
    char path[256], err[512] = "", want[128];
    int n_ev[NRUNS] = {2, 1}, rc;
    model_params *p = make_params(4, 1);
    path_in_tmp(path, sizeof path, "info.h5");
    assert_int_equal(write_file(path, p, NULL, 0, n_ev, err, sizeof err), 0);
    char *text = info_text(path, &rc, err, sizeof err);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(text, "unit-test"));
    assert_non_null(strstr(text, "2023-01 .. 2023-04"));
    assert_non_null(strstr(text, "agents       3: RUS, CHN, PRK"));
    assert_non_null(strstr(text, "shells (rounds)"));
    assert_non_null(strstr(text, "events       3"));
    assert_non_null(strstr(text, "runs         2"));
    assert_non_null(strstr(text, "master seed  42"));
    assert_non_null(strstr(text, ", flow,"));
    /* shortfall (v=4) of RUS, shells: sum over t of val(4, r, t, 0);
     * runs 0 and 1 differ by 4000, so the median is their mean */
    double s0 = 0;
    for (int t = 0; t < 4; t++)
        s0 += val(4, 0, t, 0);
    snprintf(want, sizeof want, "shells     median %.6g", s0 + 2000);
    assert_non_null(strstr(text, want));
    snprintf(want, sizeof want, "cohesion at 2023-04: median %.6g",
             val(23, 0, 3, 0) + 500);
    assert_non_null(strstr(text, want));
    free(text);
    params_free(p);
}

static void test_info_single_run(void **state)
{
    (void)state;
    static const char *const vars[] = {"shortfall", "cohesion"};
    char path[256], err[512] = "", want[128];
    int rc;
    model_params *p = make_params(4, 1);
    model_state *s = make_state(p);
    path_in_tmp(path, sizeof path, "single.h5");
    output_opts opts = {path, "", NULL, vars, 2, 1, 7};
    output *o = output_open(p, &opts, err, sizeof err);
    assert_non_null(o);
    assert_int_equal(output_begin_run(o, 0, 5), 0);
    for (int t = 0; t < 4; t++) {
        fill_state(s, 0, t);
        assert_int_equal(output_record(o, s), 0);
    }
    assert_int_equal(output_end_run(o, NULL, 0), 0);
    assert_int_equal(output_close(o, err, sizeof err), 0);
    char *text = info_text(path, &rc, err, sizeof err);
    assert_int_equal(rc, 0);
    assert_null(strstr(text, "median"));
    double s0 = 0;
    for (int t = 0; t < 4; t++)
        s0 += val(4, 0, t, 2 * 0 + 1); /* RUS, oil */
    snprintf(want, sizeof want, "oil        %.6g barrels", s0);
    assert_non_null(strstr(text, want));
    assert_non_null(strstr(text, "variables    2: shortfall, cohesion"));
    free(text);
    free_state(s);
    params_free(p);
}

static void test_info_errors(void **state)
{
    (void)state;
    char path[256], err[512] = "";
    int rc;
    path_in_tmp(path, sizeof path, "missing.h5");
    free(info_text(path, &rc, err, sizeof err));
    assert_int_equal(rc, -1);
    assert_non_null(strstr(err, "No such file or directory"));
    path_in_tmp(path, sizeof path, "text.h5");
    write_text(path, "not hdf5\n");
    free(info_text(path, &rc, err, sizeof err));
    assert_int_equal(rc, -1);
    assert_non_null(strstr(err, "is not an HDF5 file"));
    path_in_tmp(path, sizeof path, "foreign.h5");
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    assert_true(f >= 0);
    H5Fclose(f);
    free(info_text(path, &rc, err, sizeof err));
    assert_int_equal(rc, -1);
    assert_non_null(strstr(err, "not a result file"));
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--write-under-limit") == 0)
        return write_under_limit(argv[2]);
    if (argc > 0 && strchr(argv[0], '/'))
        self = argv[0];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_var_names),
        cmocka_unit_test(test_roundtrip_every1),
        cmocka_unit_test(test_roundtrip_every2),
        cmocka_unit_test(test_zero_events_readers),
        cmocka_unit_test(test_selection),
        cmocka_unit_test(test_open_errors),
        cmocka_unit_test(test_abort_keeps_old_file),
        cmocka_unit_test(test_misuse),
        cmocka_unit_test(test_write_failure),
        cmocka_unit_test(test_replace_existing),
        cmocka_unit_test(test_info),
        cmocka_unit_test(test_info_single_run),
        cmocka_unit_test(test_info_errors),
    };
    return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
