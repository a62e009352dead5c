/* SPDX-License-Identifier: GPL-3.0-or-later */
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
#include <pthread.h>
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

#include "io/result/output.h"
#include "cmd/cmd.h"
#include "io/result/reader.h"

#define NRUNS 2
#define FIXTURE_DIR "/tmp/test_output"
#include "outfixture.h"

static const char *self = "/proc/self/exe"; /* this program, for re-exec */


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
    output_opts opts = {.path = path,
                        .config_text = "scenario: { name = \"unit-test\"; };",
                        .history = "test_output", .vars = vars,
                        .n_vars = n_vars, .n_runs = NRUNS, .master_seed = 42ULL};
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
    int n_datasets, n_groups, n_dim_only;
} walk_count;

/* Every dataset: long_name; units on numbers; scales on every axis
 * (coordinates are scales themselves); attribute order tracked. */
static herr_t check_object(hid_t f, const char *name, const H5L_info_t *li,
                           void *data)
{
    walk_count *w = data;
    (void)li;
    H5O_info_t oi;
    assert_true(H5Oget_info_by_name(f, name, &oi, H5P_DEFAULT) >= 0);
    if (oi.type == H5O_TYPE_GROUP) { /* the event log: checked by check_events */
        assert_string_equal(name, "events");
        w->n_groups++;
        return 0;
    }
    hid_t ds = H5Dopen2(f, name, H5P_DEFAULT);
    assert_true(ds >= 0);
    char scale[128] = "";
    if (H5DSis_scale(ds) > 0 && H5DSget_scale_name(ds, scale, sizeof scale) > 0 &&
        strstr(scale, "netCDF dimension but not a netCDF variable")) {
        w->n_dim_only++; /* nv: a dimension without a variable */
        H5Dclose(ds);
        return 0;
    }
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
    /* codes, goods and units: outfixture.h; days from 2023-01-01 to the
     * first of months 0..5 */
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
    hid_t ds = H5Dopen2(f, "events/event_kind", H5P_DEFAULT);
    assert_int_equal(ndims_of(ds, dims), 1);
    assert_int_equal(dims[0], n);
    assert_scale(f, ds, 0, "events/event");
    H5Dclose(ds);
    if (n == 0)
        return;
    assert_strings(f, "events/event_kind", kinds, n);
    assert_strings(f, "events/event_actor", actors, n);
    assert_strings(f, "events/event_target", targets, n);
    assert_strings(f, "events/event_label", labels, n);
    read_all(f, "events/event_run", H5T_NATIVE_INT, run);
    read_all(f, "events/event_step", H5T_NATIVE_INT, step);
    read_all(f, "events/event_value", H5T_NATIVE_DOUBLE, value);
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
    /* 5 coordinates, step, time_bnds, good_unit, seed, the variables, and
     * the route axis with route_a and route_b; nv, a dimension only; the
     * group `events` */
    assert_int_equal(w.n_datasets, 5 + 4 + (int)N_TVARS + 3);
    assert_int_equal(w.n_dim_only, 1);
    assert_int_equal(w.n_groups, 1);
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
    assert_int_equal(count_in_dir(".sim-"), 0);
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
    output_opts opts = {.path = "/nonexistent-dir/x/out.h5", .n_runs = 1,
                        .master_seed = 1};
    assert_null(output_open(p, &opts, err, sizeof err));
    assert_non_null(strstr(err, "cannot create /nonexistent-dir/x/out.h5"));
    assert_non_null(strstr(err, "No such file or directory"));
    opts.path = "/proc/out.h5";
    err[0] = '\0';
    assert_null(output_open(p, &opts, err, sizeof err));
    assert_non_null(strstr(err, "cannot create /proc/out.h5: "));
    opts.path = tmpdir; /* a directory */
    assert_null(output_open(p, &opts, err, sizeof err));
    assert_non_null(strstr(err, "it is a directory, not a regular file"));
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
    output_opts opts = {.path = path, .n_runs = 1, .master_seed = 1};
    output *o = output_open(p, &opts, err, sizeof err);
    assert_non_null(o);
    assert_int_equal(count_in_dir(".keep.h5.sim-"), 1);
    assert_int_equal(output_begin_run(o, 0, 1), 0);
    fill_state(s, 0, 0);
    assert_int_equal(output_record(o, s), 0);
    assert_text(path, "original\n");
    output_abort(o);
    output_abort(NULL);
    assert_int_equal(count_in_dir(".keep.h5.sim-"), 0);
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
    output_opts opts = {.path = path, .n_runs = 1, .master_seed = 1};
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
    output_opts opts = {.path = path, .n_runs = 8, .master_seed = 1};
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
    assert_int_equal(count_in_dir(".full.h5.sim-"), 0);
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
    assert_int_equal(count_in_dir(".sim-"), 0);
    params_free(p);
}

static char *info_text(const char *path, int *rc, char *err, size_t errlen)
{
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    assert_non_null(mem);
    *rc = cmd_info_print(path, mem, err, errlen);
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
    output_opts opts = {.path = path, .config_text = "", .vars = vars,
                        .n_vars = 2, .n_runs = 1, .master_seed = 7};
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

/* ---- run buffers, scenarios, threads ----------------------------------- */

#define NSC 2   /* scenarios of the paired-comparison tests */
#define NRUN3 3 /* runs of the ensemble and scenario tests */

static const char *const scen_names[NSC] = {"A", "B"};
static const char *const scen_configs[NSC] = {
    "scenario = { name = \"A\"; };\n# resolved config of A\n",
    "scenario = { name = \"B\"; months = 4; };\n# resolved config of B\n"};

/* The known value of variable v in scenario sc (0 without scenarios); the
 * difference between scenarios varies by run, not monotonically. */
static double val_sc(size_t v, int sc, int r, int t, size_t e)
{
    return val(v, r, t, e) + sc * (1e6 + 10.0 * ((r * 5) % 3));
}

static void fill_state_sc(model_state *s, int sc, int r, int t)
{
    fill_state(s, r, t);
    for (size_t v = 0; v < N_TVARS; v++) {
        char *field = (char *)s + tvars[v].off;
        if (tvars[v].k == K_BLOC) {
            *(double *)field = val_sc(v, sc, r, t, 0);
            continue;
        }
        double *a = *(double **)field;
        for (size_t e = 0; e < kind_count(tvars[v].k); e++)
            a[e] = val_sc(v, sc, r, t, e);
    }
}

/* Record a whole run (scenario sc, run r, months) into buffer w. */
static int record_run(output_run *w, model_state *s, int sc, int r, int months)
{
    for (int t = 0; t < months; t++) {
        fill_state_sc(s, sc, r, t);
        if (output_run_record(w, s) != 0)
            return -1;
    }
    return 0;
}

static output_opts scen_opts(const char *path, int n_scen, int n_runs)
{
    output_opts o = {.path = path, .config_text = "# the comparison",
                     .history = "test_output", .n_runs = n_runs,
                     .master_seed = 42ULL, .n_scenarios = n_scen,
                     .scenario_names = scen_names,
                     .scenario_configs = scen_configs};
    return o;
}

/* Record variable v of a file with n_scen scenarios (0: no scenario
 * dimension) of n_runs runs: dims, scales, chunks and values. */
static void check_var_sc(hid_t f, size_t v, int n_scen, int n_runs, int n_rec,
                         int every)
{
    hid_t ds = H5Dopen2(f, tvars[v].name, H5P_DEFAULT);
    hsize_t dims[6];
    kind k = tvars[v].k;
    int lead = n_scen ? 3 : 2, ns = n_scen ? n_scen : 1;
    size_t ne = kind_count(k);
    assert_true(ds >= 0);
    assert_int_equal(ndims_of(ds, dims), lead + kind_rank(k));
    /* (run, [scenario,] time, ...): run first, the record dimension */
    assert_int_equal(dims[0], n_runs);
    assert_scale(f, ds, 0, "run");
    if (n_scen) {
        assert_int_equal(dims[1], n_scen);
        assert_scale(f, ds, 1, "scenario");
    }
    assert_int_equal(dims[lead - 1], n_rec);
    assert_scale(f, ds, lead - 1, "time");
    for (int a = 0; a < kind_rank(k); a++)
        assert_scale(f, ds, lead + a, kind_dim(k, a));
    /* chunks: one scenario, whole time series */
    hid_t dcpl = H5Dget_create_plist(ds);
    hsize_t chunk[6];
    assert_int_equal(H5Pget_chunk(dcpl, lead + kind_rank(k), chunk),
                     lead + kind_rank(k));
    if (n_scen)
        assert_int_equal(chunk[1], 1);
    assert_int_equal(chunk[lead - 1], n_rec);
    H5Pclose(dcpl);
    double *buf = malloc((size_t)ns * n_runs * (size_t)n_rec * ne * sizeof *buf);
    assert_non_null(buf);
    assert_true(H5Dread(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT,
                        buf) >= 0);
    for (int sc = 0; sc < ns; sc++)
        for (int r = 0; r < n_runs; r++)
            for (int i = 0; i < n_rec; i++)
                for (size_t e = 0; e < ne; e++)
                    assert_true(
                        buf[(((size_t)r * ns + sc) * n_rec + i) * ne + e] ==
                        val_sc(v, sc, r, (i + 1) * every - 1, e));
    free(buf);
    H5Dclose(ds);
}

static void read_strings_of(hid_t f, const char *name, char **got, int n)
{
    hid_t ds = H5Dopen2(f, name, H5P_DEFAULT);
    assert_true(ds >= 0);
    hid_t t = H5Dget_type(ds);
    hsize_t dims[1];
    assert_int_equal(ndims_of(ds, dims), 1);
    assert_int_equal(dims[0], n);
    assert_true(H5Dread(ds, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, got) >= 0);
    H5Tclose(t);
    H5Dclose(ds);
}

static void free_vlen(char **s, int n)
{
    for (int i = 0; i < n; i++)
        H5free_memory(s[i]);
}

static void test_run_buffers_out_of_order(void **state)
{
    (void)state;
    char path[256], err[512] = "";
    model_params *p = make_params(4, 1);
    path_in_tmp(path, sizeof path, "workers.h5");
    output_opts opts = {.path = path,
                        .config_text = "scenario: { name = \"unit-test\"; };",
                        .history = "test_output", .n_runs = NRUNS,
                        .master_seed = 42ULL};
    output *o = output_open(p, &opts, err, sizeof err);
    assert_non_null(o);
    output_run *w[2] = {output_run_alloc(o), output_run_alloc(o)};
    model_state *s[2] = {make_state(p), make_state(p)};
    assert_non_null(w[0]);
    assert_non_null(w[1]);
    assert_string_equal(output_run_error(w[0]), "");
    /* interleaved recording: worker r records run r */
    for (int t = 0; t < 4; t++)
        for (int r = 0; r < 2; r++) {
            fill_state(s[r], r, t);
            assert_int_equal(output_run_record(w[r], s[r]), 0);
        }
    /* run 1 first; its event label lives in memory freed right after */
    char *label = strdup("agents.PRK.member");
    model_event ev1 = {3, EV_JOIN, 2, -1, 1.0, label};
    assert_int_equal(output_write_run(o, 0, 1, 1001UL, w[1], &ev1, 1), 0);
    memset(label, 'X', strlen(label));
    free(label);
    assert_int_equal(output_write_run(o, 0, 0, 1000UL, w[0], events, 2), 0);
    output_run_free(w[0]);
    output_run_free(w[1]);
    output_run_free(NULL);
    assert_int_equal(output_close(o, err, sizeof err), 0);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    assert_true(f >= 0);
    check_globals(f);
    check_coords(f, 4, 1); /* seed(run) = 1000 + run */
    for (size_t v = 0; v < N_TVARS; v++)
        check_record_var(f, v, 4, 1);
    /* events by run, whatever the order of writing */
    static const char *const kinds[] = {"set", "flareup", "join"};
    static const char *const labels[] = {"agents.RUS.sanctions", "",
                                         "agents.PRK.member"};
    int run[3];
    assert_strings(f, "events/event_kind", kinds, 3);
    assert_strings(f, "events/event_label", labels, 3);
    read_all(f, "events/event_run", H5T_NATIVE_INT, run);
    assert_int_equal(run[0], 0);
    assert_int_equal(run[1], 0);
    assert_int_equal(run[2], 1);
    assert_true(H5Lexists(f, "events/event_scenario", H5P_DEFAULT) == 0);
    assert_true(H5Lexists(f, "scenario", H5P_DEFAULT) == 0);
    H5Fclose(f);
    free_state(s[0]);
    free_state(s[1]);
    params_free(p);
}

static void test_run_reuse(void **state)
{
    (void)state;
    char path[256], err[512] = "";
    model_params *p = make_params(4, 1);
    model_state *s = make_state(p);
    path_in_tmp(path, sizeof path, "reuse.h5");
    output_opts opts = {.path = path, .n_runs = 2, .master_seed = 1};
    output *o = output_open(p, &opts, err, sizeof err);
    assert_non_null(o);
    output_run *w = output_run_alloc(o);
    assert_non_null(w);
    assert_int_equal(record_run(w, s, 0, 0, 4), 0);
    /* errors of the buffer: past the records, other sizes */
    fill_state(s, 0, 4);
    assert_int_equal(output_run_record(w, s), -1);
    assert_non_null(strstr(output_run_error(w), "past the 4 records"));
    s->n = NA - 1;
    fill_state(s, 0, 1);
    assert_int_equal(output_run_record(w, s), -1);
    assert_non_null(strstr(output_run_error(w), "differ in size"));
    s->n = NA;
    assert_int_equal(output_write_run(o, 0, 0, 7UL, w, NULL, 0), 0);
    /* reuse: after a reset only months 0 and 1 of run 1 are recorded */
    output_run_reset(w);
    assert_string_equal(output_run_error(w), "");
    assert_int_equal(record_run(w, s, 0, 1, 2), 0);
    assert_int_equal(output_write_run(o, 0, 1, 8UL, w, NULL, 0), 0);
    output_run_free(w);
    assert_int_equal(output_close(o, err, sizeof err), 0);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    double stock[2][4][NA * NG];
    unsigned long long seed[2];
    read_all(f, "stock", H5T_NATIVE_DOUBLE, stock);
    read_all(f, "seed", H5T_NATIVE_ULLONG, seed);
    assert_true(seed[0] == 7 && seed[1] == 8);
    for (int r = 0; r < 2; r++)
        for (int t = 0; t < 4; t++)
            for (size_t e = 0; e < NA * NG; e++) {
                if (r == 1 && t >= 2)
                    assert_true(isnan(stock[r][t][e]));
                else
                    assert_true(stock[r][t][e] == val(0, r, t, e));
            }
    H5Fclose(f);
    free_state(s);
    params_free(p);
}

static void test_write_run_errors(void **state)
{
    (void)state;
    static const char *const dup[] = {"A", "A"};
    static const char *const empty[] = {"A", ""};
    char path[256], err[512] = "";
    model_params *p = make_params(4, 1);
    model_state *s = make_state(p);
    path_in_tmp(path, sizeof path, "werr.h5");
    /* scenario names: required, non-empty, distinct */
    output_opts opts = scen_opts(path, 2, 1);
    opts.scenario_names = NULL;
    assert_null(output_open(p, &opts, err, sizeof err));
    assert_non_null(strstr(err, "no scenario names"));
    opts.scenario_names = dup;
    assert_null(output_open(p, &opts, err, sizeof err));
    assert_non_null(strstr(err, "scenario name 1 'A' is given twice"));
    opts.scenario_names = empty;
    assert_null(output_open(p, &opts, err, sizeof err));
    assert_non_null(strstr(err, "is empty"));
    opts.n_scenarios = -1;
    assert_null(output_open(p, &opts, err, sizeof err));
    assert_non_null(strstr(err, "negative number of scenarios"));
    assert_int_equal(count_in_dir("werr.h5"), 0);
    /* without a scenario dimension: scenario 0 only, each run once */
    opts = scen_opts(path, 1, 2);
    output *o = output_open(p, &opts, err, sizeof err);
    assert_non_null(o);
    output_run *w = output_run_alloc(o);
    assert_non_null(w);
    assert_int_equal(record_run(w, s, 0, 0, 4), 0);
    assert_int_equal(output_write_run(o, 1, 0, 5UL, w, NULL, 0), -1);
    assert_non_null(strstr(output_error(o), "the scenario must be 0"));
    assert_int_equal(output_write_run(o, 0, 2, 5UL, w, NULL, 0), -1);
    assert_non_null(strstr(output_error(o), "run index out of range"));
    assert_int_equal(output_write_run(o, 0, 0, 5UL, NULL, NULL, 0), -1);
    assert_int_equal(output_write_run(o, 0, 0, 5UL, w, NULL, 1), -1);
    assert_non_null(strstr(output_error(o), "bad event list"));
    assert_int_equal(output_write_run(o, 0, 0, 5UL, w, events, 2), 0);
    assert_int_equal(output_write_run(o, 0, 0, 5UL, w, NULL, 0), -1);
    assert_non_null(strstr(output_error(o), "cannot write run 0 to "));
    assert_non_null(strstr(output_error(o), "written already"));
    output_abort(o); /* frees the kept events (valgrind) */
    assert_int_equal(count_in_dir("werr.h5"), 0);
    /* a buffer of another file (other selection) is refused */
    static const char *const one[] = {"stock"};
    output_opts other = {.path = path, .vars = one, .n_vars = 1, .n_runs = 1};
    output *o2 = output_open(p, &other, err, sizeof err);
    assert_non_null(o2);
    output_run *w2 = output_run_alloc(o2);
    output_abort(o2);
    opts = scen_opts(path, 1, 2);
    o = output_open(p, &opts, err, sizeof err);
    assert_non_null(o);
    assert_int_equal(output_write_run(o, 0, 0, 5UL, w2, NULL, 0), -1);
    assert_non_null(strstr(output_error(o), "made for another file"));
    output_abort(o);
    output_run_free(w2);
    output_run_free(w);
    assert_int_equal(count_in_dir("werr.h5"), 0);
    free_state(s);
    params_free(p);
}

static void test_seed_mismatch(void **state)
{
    (void)state;
    char path[256], err[512] = "";
    model_params *p = make_params(4, 1);
    model_state *s = make_state(p);
    path_in_tmp(path, sizeof path, "seeds.h5");
    write_text(path, "original\n");
    output_opts opts = scen_opts(path, NSC, 1);
    output *o = output_open(p, &opts, err, sizeof err);
    assert_non_null(o);
    output_run *w = output_run_alloc(o);
    assert_non_null(w);
    assert_int_equal(record_run(w, s, 1, 0, 4), 0);
    assert_int_equal(output_write_run(o, 1, 0, 5UL, w, NULL, 0), 0);
    output_run_reset(w);
    assert_int_equal(record_run(w, s, 0, 0, 4), 0);
    assert_int_equal(output_write_run(o, 0, 0, 6UL, w, NULL, 0), -1);
    assert_non_null(strstr(output_error(o), "cannot write run 0 of scenario 'A'"));
    assert_non_null(strstr(output_error(o),
                           "seed 6 differs from seed 5 of run 0 of scenario 'B'"));
    assert_int_equal(output_write_run(o, 2, 0, 5UL, w, NULL, 0), -1);
    assert_non_null(strstr(output_error(o), "scenario index out of range"));
    output_run_free(w);
    output_abort(o);
    assert_text(path, "original\n");
    assert_int_equal(count_in_dir(".seeds.h5.sim-"), 0);
    free_state(s);
    params_free(p);
}

/* Events of (scenario sc, run r) in the scenario files: a slice of
 * events[] (scenario B run 2: rows 0-1; A run 1: row 2; none elsewhere). */
static int scen_events(int sc, int r, const model_event **ev)
{
    *ev = events + (sc == 1 ? 0 : 2);
    return sc == 1 && r == 2 ? 2 : sc == 0 && r == 1 ? 1 : 0;
}

/* Write the 2-scenario x 3-run file out of order; scenario A run 0 goes
 * through the single-run API (which writes scenario 0). */
static void write_scen_file(const char *path, model_params *p)
{
    static const int order[][2] = {{1, 2}, {0, 0}, {1, 0}, {0, 2}, {0, 1},
                                   {1, 1}};
    char err[512] = "";
    output_opts opts = scen_opts(path, NSC, NRUN3);
    output *o = output_open(p, &opts, err, sizeof err);
    assert_non_null(o);
    model_state *s = make_state(p);
    output_run *w = output_run_alloc(o);
    assert_non_null(w);
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        int sc = order[i][0], r = order[i][1];
        const model_event *ev;
        int n = scen_events(sc, r, &ev);
        if (sc == 0 && r == 0) {
            assert_int_equal(output_begin_run(o, r, 1000UL + (unsigned)r), 0);
            for (int t = 0; t < p->g.months; t++) {
                fill_state_sc(s, sc, r, t);
                assert_int_equal(output_record(o, s), 0);
            }
            assert_int_equal(output_end_run(o, ev, n), 0);
            continue;
        }
        output_run_reset(w);
        assert_int_equal(record_run(w, s, sc, r, p->g.months), 0);
        assert_int_equal(
            output_write_run(o, sc, r, 1000UL + (unsigned)r, w, ev, n), 0);
    }
    output_run_free(w);
    free_state(s);
    assert_int_equal(output_close(o, err, sizeof err), 0);
}

static void run_ncdump_scen(const char *path)
{
    char cmd[600], line[4096];
    int saw[5] = {0};
    if (!have_tool("command -v ncdump"))
        skip();
    snprintf(cmd, sizeof cmd, "ncdump -h '%s' 2>&1", path);
    FILE *pp = popen(cmd, "r");
    assert_non_null(pp);
    while (fgets(line, sizeof line, pp)) {
        saw[0] |= strstr(line, "scenario = 2 ;") != NULL;
        saw[1] |= strstr(line, "string scenario(scenario)") != NULL;
        saw[2] |= strstr(line, "double stock(run, scenario, time, agent, good)") != NULL;
        saw[3] |= strstr(line, "string scenario_config(scenario)") != NULL;
        saw[4] |= strstr(line, "string event_scenario(event)") != NULL;
        assert_null(strstr(line, "phony_dim"));
    }
    assert_int_equal(pclose(pp), 0);
    for (int i = 0; i < 5; i++)
        assert_true(saw[i]);
}

static void test_scenarios(void **state)
{
    (void)state;
    char path[256], expect[256];
    model_params *p = make_params(4, 1);
    path_in_tmp(path, sizeof path, "paired.h5");
    write_scen_file(path, p);
    assert_int_equal(count_in_dir(".sim-"), 0);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    assert_true(f >= 0);
    check_globals(f);
    assert_attr(f, "config", "# the comparison");
    /* coordinates */
    assert_strings(f, "scenario", scen_names, NSC);
    assert_strings(f, "scenario_config", scen_configs, NSC);
    hid_t sc = H5Dopen2(f, "scenario", H5P_DEFAULT);
    assert_true(H5DSis_scale(sc) > 0);
    H5Dclose(sc);
    hid_t cfg = H5Dopen2(f, "scenario_config", H5P_DEFAULT);
    assert_scale(f, cfg, 0, "scenario");
    H5Dclose(cfg);
    unsigned long long seed[NRUN3];
    int run[NRUN3];
    read_all(f, "seed", H5T_NATIVE_ULLONG, seed);
    read_all(f, "run", H5T_NATIVE_INT, run);
    for (int r = 0; r < NRUN3; r++) {
        assert_true(seed[r] == 1000ULL + (unsigned long long)r);
        assert_int_equal(run[r], r);
    }
    /* every record variable (scenario, run, time, ...) with its values */
    for (size_t v = 0; v < N_TVARS; v++)
        check_var_sc(f, v, NSC, NRUN3, 4, 1);
    /* events by (scenario, run), not in the order written (B run 2 first):
     * A run 1, then B run 2 (2 rows) */
    static const char *const escen[] = {"A", "B", "B"};
    static const char *const kinds[] = {"join", "set", "flareup"};
    int erun[3];
    assert_strings(f, "events/event_scenario", escen, 3);
    assert_strings(f, "events/event_kind", kinds, 3);
    read_all(f, "events/event_run", H5T_NATIVE_INT, erun);
    assert_int_equal(erun[0], 1);
    assert_int_equal(erun[1], 2);
    assert_int_equal(erun[2], 2);
    hid_t es = H5Dopen2(f, "events/event_scenario", H5P_DEFAULT);
    assert_scale(f, es, 0, "events/event");
    H5Dclose(es);
    walk_count w = {0};
    hsize_t idx = 0;
    assert_true(H5Literate(f, H5_INDEX_CRT_ORDER, H5_ITER_INC, &idx,
                           check_object, &w) >= 0);
    /* as check_file, plus scenario and scenario_config */
    assert_int_equal(w.n_datasets, 5 + 4 + (int)N_TVARS + 3 + 2);
    assert_int_equal(w.n_groups, 1);
    H5Fclose(f);
    run_ncdump_scen(path);
    /* xarray: ds.stock.sel(scenario="B", agent="CHN", good="oil", run=1,
     * time=2023-03-01) */
    snprintf(expect, sizeof expect,
             "--scenarios A,B --expect-scenario B CHN oil 1 2023-03-01 %.17g",
             val_sc(0, 1, 1, 2, 1 * NG + 1));
    run_python(path, 3, expect);
    params_free(p);
}

static void test_estimate_scenarios(void **state)
{
    (void)state;
    static const char *const vars[] = {"stock", "cohesion"};
    model_params *p = make_params(4, 1);
    double one = output_estimate_bytes(p, vars, 2, 3);
    assert_true(one == 8.0 * 4 * 3 * (NA * NG + 1));
    assert_true(output_estimate_bytes2(p, vars, 2, 0, 3) == one);
    assert_true(output_estimate_bytes2(p, vars, 2, 1, 3) == one);
    assert_true(output_estimate_bytes2(p, vars, 2, 2, 3) == 2 * one);
    assert_true(output_estimate_bytes2(p, NULL, 0, 5, 3) ==
                5 * output_estimate_bytes(p, NULL, 0, 3));
    params_free(p);
}

/* "median M (5-95%: L .. H)" of x[n] as result_info_print formats it
 * (GSL's quantile: linear interpolation between order statistics). */
static void stat_text(char *buf, size_t len, double *x, size_t n)
{
    for (size_t i = 1; i < n; i++) /* insertion sort */
        for (size_t j = i; j > 0 && x[j - 1] > x[j]; j--) {
            double t = x[j];
            x[j] = x[j - 1];
            x[j - 1] = t;
        }
    double q[3], f[3] = {0.5, 0.05, 0.95};
    for (int k = 0; k < 3; k++) {
        double d = (double)(n - 1) * f[k];
        size_t i = (size_t)floor(d);
        q[k] = i + 1 < n ? (1 - (d - (double)i)) * x[i] + (d - (double)i) * x[i + 1]
                         : x[n - 1];
    }
    snprintf(buf, len, "median %.6g (5-95%%: %.6g .. %.6g)", q[0], q[1], q[2]);
}

/* Shortfall of RUS in good k summed over `months`, per run, scenario sc. */
static void shortfall_totals(int sc, size_t k, int months, double *tot)
{
    for (int r = 0; r < NRUN3; r++) {
        tot[r] = 0;
        for (int t = 0; t < months; t++)
            tot[r] += val_sc(4, sc, r, t, 0 * NG + k);
    }
}

static void test_info_ensemble(void **state)
{
    (void)state;
    char path[256], err[512] = "", want[256], stat[160];
    double x[NRUN3];
    int rc;
    model_params *p = make_params(4, 1);
    model_state *s = make_state(p);
    path_in_tmp(path, sizeof path, "ensemble.h5");
    output_opts opts = {.path = path, .config_text = "", .n_runs = NRUN3,
                        .master_seed = 9};
    output *o = output_open(p, &opts, err, sizeof err);
    assert_non_null(o);
    output_run *w = output_run_alloc(o);
    for (int r = NRUN3 - 1; r >= 0; r--) {
        output_run_reset(w);
        assert_int_equal(record_run(w, s, 0, r, 4), 0);
        assert_int_equal(output_write_run(o, 0, r, (unsigned long)r, w, NULL, 0),
                         0);
    }
    output_run_free(w);
    assert_int_equal(output_close(o, err, sizeof err), 0);
    char *text = info_text(path, &rc, err, sizeof err);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(text, "runs         3\n"));
    assert_null(strstr(text, "scenarios"));
    assert_non_null(strstr(text, "(across 3 runs: median and 5-95% range)"));
    for (size_t k = 0; k < NG; k++) {
        shortfall_totals(0, k, 4, x);
        stat_text(stat, sizeof stat, x, NRUN3);
        snprintf(want, sizeof want, "  %-10s %s %s\n", k ? "oil" : "shells",
                 stat, k ? "barrels" : "rounds");
        assert_non_null(strstr(text, want));
    }
    for (int r = 0; r < NRUN3; r++)
        x[r] = val(23, r, 3, 0);
    stat_text(stat, sizeof stat, x, NRUN3);
    snprintf(want, sizeof want, "cohesion at 2023-04: %s\n", stat);
    assert_non_null(strstr(text, want));
    free(text);
    free_state(s);
    params_free(p);
}

static void test_info_scenarios(void **state)
{
    (void)state;
    char path[256], err[512] = "", want[512], stat[160];
    double x[NRUN3];
    int rc;
    model_params *p = make_params(4, 1);
    path_in_tmp(path, sizeof path, "paired-info.h5");
    write_scen_file(path, p);
    char *text = info_text(path, &rc, err, sizeof err);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(text, "scenarios    2: A, B\n"));
    assert_non_null(strstr(text, "runs         3 per scenario"));
    assert_non_null(strstr(text, "events       3\n"));
    assert_non_null(strstr(text, "(across 3 runs per scenario: median and "
                                 "5-95% range)"));
    for (size_t k = 0; k < NG; k++) {
        char *at;
        snprintf(want, sizeof want, "  %s (%s)\n", k ? "oil" : "shells",
                 k ? "barrels" : "rounds");
        at = strstr(text, want);
        assert_non_null(at);
        for (int sc = 0; sc < NSC; sc++) {
            shortfall_totals(sc, k, 4, x);
            stat_text(stat, sizeof stat, x, NRUN3);
            snprintf(want, sizeof want, "    %-12s %s\n", scen_names[sc], stat);
            assert_non_null(strstr(at, want)); /* below the good's line */
        }
        /* paired: B - A run by run */
        double a[NRUN3];
        shortfall_totals(0, k, 4, a);
        shortfall_totals(1, k, 4, x);
        for (int r = 0; r < NRUN3; r++)
            x[r] -= a[r];
        assert_true(x[1] == 4e6 + 80 && x[2] == 4e6 + 40);
        stat_text(stat, sizeof stat, x, NRUN3);
        snprintf(want, sizeof want, "    B - A        %s\n", stat);
        assert_non_null(strstr(at, want));
    }
    char *coh = strstr(text, "cohesion at 2023-04:\n");
    assert_non_null(coh);
    for (int sc = 0; sc < NSC; sc++) {
        for (int r = 0; r < NRUN3; r++)
            x[r] = val_sc(23, sc, r, 3, 0);
        stat_text(stat, sizeof stat, x, NRUN3);
        snprintf(want, sizeof want, "    %-12s %s\n", scen_names[sc], stat);
        assert_non_null(strstr(coh, want));
    }
    for (int r = 0; r < NRUN3; r++)
        x[r] = val_sc(23, 1, r, 3, 0) - val_sc(23, 0, r, 3, 0);
    stat_text(stat, sizeof stat, x, NRUN3);
    snprintf(want, sizeof want, "    B - A        %s\n", stat);
    assert_non_null(strstr(coh, want));
    free(text);
    params_free(p);
}

/* ---- threads ----------------------------------------------------------- */

#define NTHREADS 3
#define TMONTHS 36

typedef struct {
    output *o;
    pthread_mutex_t *lock;
    pthread_barrier_t *start;
    model_state *s;
    int run, n_scen, rc;
    char err[512];
} worker_arg;

/* Worker `run`: its own buffer, allocated here, recording every scenario of
 * its run (reusing the buffer) and writing each under the lock. */
static void *worker(void *data)
{
    worker_arg *a = data;
    output_run *w = output_run_alloc(a->o);
    pthread_barrier_wait(a->start);
    a->rc = w ? 0 : -1;
    for (int sc = 0; a->rc == 0 && sc < (a->n_scen ? a->n_scen : 1); sc++) {
        const model_event *ev;
        int n = scen_events(sc, a->run, &ev);
        output_run_reset(w);
        if (record_run(w, a->s, sc, a->run, TMONTHS) != 0) {
            snprintf(a->err, sizeof a->err, "%s", output_run_error(w));
            a->rc = -1;
            break;
        }
        pthread_mutex_lock(a->lock);
        a->rc = output_write_run(a->o, sc, a->run, 500UL + (unsigned)a->run,
                                 w, ev, n);
        if (a->rc)
            snprintf(a->err, sizeof a->err, "%s", output_error(a->o));
        pthread_mutex_unlock(a->lock);
    }
    output_run_free(w);
    return NULL;
}

static void write_threaded(const char *path, model_params *p, int n_scen)
{
    char err[512] = "";
    output_opts opts = scen_opts(path, n_scen, NTHREADS);
    output *o = output_open(p, &opts, err, sizeof err);
    assert_non_null(o);
    pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    pthread_barrier_t start;
    pthread_t tid[NTHREADS];
    worker_arg args[NTHREADS];
    assert_int_equal(pthread_barrier_init(&start, NULL, NTHREADS), 0);
    for (int k = 0; k < NTHREADS; k++) {
        args[k] = (worker_arg){o, &lock, &start, make_state(p), k, n_scen, -1,
                               ""};
        assert_int_equal(pthread_create(&tid[k], NULL, worker, &args[k]), 0);
    }
    for (int k = 0; k < NTHREADS; k++) {
        assert_int_equal(pthread_join(tid[k], NULL), 0);
        if (args[k].rc != 0)
            fail_msg("worker %d: %s", k, args[k].err);
        free_state(args[k].s);
    }
    pthread_barrier_destroy(&start);
    pthread_mutex_destroy(&lock);
    assert_int_equal(output_close(o, err, sizeof err), 0);
}

static void write_serial(const char *path, model_params *p, int n_scen)
{
    char err[512] = "";
    output_opts opts = scen_opts(path, n_scen, NTHREADS);
    output *o = output_open(p, &opts, err, sizeof err);
    assert_non_null(o);
    model_state *s = make_state(p);
    output_run *w = output_run_alloc(o);
    for (int sc = 0; sc < (n_scen ? n_scen : 1); sc++)
        for (int r = 0; r < NTHREADS; r++) {
            const model_event *ev;
            int n = scen_events(sc, r, &ev);
            output_run_reset(w);
            assert_int_equal(record_run(w, s, sc, r, TMONTHS), 0);
            assert_int_equal(
                output_write_run(o, sc, r, 500UL + (unsigned)r, w, ev, n), 0);
        }
    output_run_free(w);
    free_state(s);
    assert_int_equal(output_close(o, err, sizeof err), 0);
}

/* The whole dataset `name` as bytes (native type of its class); *n bytes. */
static unsigned char *read_bytes(hid_t f, const char *name, size_t *n)
{
    hid_t ds = H5Dopen2(f, name, H5P_DEFAULT);
    assert_true(ds >= 0);
    hid_t ft = H5Dget_type(ds), sp = H5Dget_space(ds);
    hid_t mt = H5Tget_native_type(ft, H5T_DIR_ASCEND);
    size_t bytes = (size_t)H5Sget_simple_extent_npoints(sp) * H5Tget_size(mt);
    unsigned char *buf = malloc(bytes ? bytes : 1);
    assert_non_null(buf);
    assert_true(H5Dread(ds, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) >= 0);
    H5Tclose(mt);
    H5Tclose(ft);
    H5Sclose(sp);
    H5Dclose(ds);
    *n = bytes;
    return buf;
}

/* The event rows of f as "scenario|run|step|kind|...|label" lines. */
static char **event_rows(hid_t f, int *n_out)
{
    static const char *const scols[] = {"events/event_kind", "events/event_actor",
                                        "events/event_target", "events/event_label"};
    hsize_t dims[1];
    hid_t ds = H5Dopen2(f, "events/event", H5P_DEFAULT);
    int n = ndims_of(ds, dims) == 1 ? (int)dims[0] : -1;
    H5Dclose(ds);
    int has_scen = H5Lexists(f, "events/event_scenario", H5P_DEFAULT) > 0;
    char **rows = calloc((size_t)n + 1, sizeof *rows);
    char *str[5][16] = {{0}};
    int run[16], step[16];
    double value[16];
    assert_true(n >= 0 && n <= 16);
    if (n > 0) {
        for (int c = 0; c < 4; c++)
            read_strings_of(f, scols[c], str[c], n);
        if (has_scen)
            read_strings_of(f, "events/event_scenario", str[4], n);
        read_all(f, "events/event_run", H5T_NATIVE_INT, run);
        read_all(f, "events/event_step", H5T_NATIVE_INT, step);
        read_all(f, "events/event_value", H5T_NATIVE_DOUBLE, value);
    }
    for (int e = 0; e < n; e++) {
        char line[512];
        snprintf(line, sizeof line, "%s|%d|%d|%s|%s|%s|%.17g|%s",
                 has_scen ? str[4][e] : "-", run[e], step[e], str[0][e],
                 str[1][e], str[2][e], value[e], str[3][e]);
        rows[e] = strdup(line);
    }
    for (int c = 0; c < 5; c++)
        free_vlen(str[c], n);
    *n_out = n;
    return rows;
}

/* Same record variables, seeds, coordinates and events, row by row. */
static void assert_same_data(const char *a, const char *b, int n_scen)
{
    static const char *const extra[] = {"seed", "run", "time", "step"};
    hid_t fa = H5Fopen(a, H5F_ACC_RDONLY, H5P_DEFAULT);
    hid_t fb = H5Fopen(b, H5F_ACC_RDONLY, H5P_DEFAULT);
    assert_true(fa >= 0 && fb >= 0);
    for (size_t v = 0; v < N_TVARS + 4; v++) {
        const char *name = v < N_TVARS ? tvars[v].name : extra[v - N_TVARS];
        size_t na, nb;
        unsigned char *da = read_bytes(fa, name, &na);
        unsigned char *db = read_bytes(fb, name, &nb);
        assert_int_equal(na, nb);
        if (memcmp(da, db, na) != 0)
            fail_msg("'%s' differs between %s and %s", name, a, b);
        free(da);
        free(db);
    }
    if (n_scen)
        check_var_sc(fa, 0, n_scen, NTHREADS, TMONTHS, 1);
    int nea, neb;
    char **ra = event_rows(fa, &nea), **rb = event_rows(fb, &neb);
    assert_int_equal(nea, neb);
    assert_int_equal(nea, n_scen ? 3 : 1);
    for (int e = 0; e < nea; e++) {
        assert_string_equal(ra[e], rb[e]);
        free(ra[e]);
        free(rb[e]);
    }
    free(ra);
    free(rb);
    H5Fclose(fa);
    H5Fclose(fb);
}

static void test_threads(void **state)
{
    (void)state;
    char pt[256], ps[256];
    model_params *p = make_params(TMONTHS, 1);
    for (int n_scen = 0; n_scen <= NSC; n_scen += NSC) {
        path_in_tmp(pt, sizeof pt, n_scen ? "threads-sc.h5" : "threads.h5");
        path_in_tmp(ps, sizeof ps, n_scen ? "serial-sc.h5" : "serial.h5");
        for (int rep = 0; rep < 5; rep++) {
            write_threaded(pt, p, n_scen);
            write_serial(ps, p, n_scen);
            assert_same_data(pt, ps, n_scen);
        }
    }
    params_free(p);
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
        cmocka_unit_test(test_run_buffers_out_of_order),
        cmocka_unit_test(test_run_reuse),
        cmocka_unit_test(test_write_run_errors),
        cmocka_unit_test(test_seed_mismatch),
        cmocka_unit_test(test_scenarios),
        cmocka_unit_test(test_estimate_scenarios),
        cmocka_unit_test(test_info_ensemble),
        cmocka_unit_test(test_info_scenarios),
        cmocka_unit_test(test_threads),
    };
    if (getenv("TEST_OUTPUT_FILTER")) /* e.g. test_threads, for helgrind */
        cmocka_set_test_filter(getenv("TEST_OUTPUT_FILTER"));
    return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
