/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_reader.c - reading runs back from result files (output_reader_*):
 * a file written from hand-filled states is read run by run and written
 * again, in another order, through the same writer; both files must hold
 * the same data, dataset by dataset, attribute by attribute (history
 * aside), and the same event table.  Also: files with a param axis, runs
 * not done, the reader's errors, and (when build/sim exists) a real
 * `sim run --replicates 3` file round-tripped.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <hdf5.h>
#include <hdf5_hl.h>

#include "io/config.h"
#include "io/result/reader.h"

#define NRUNS 4
#define MONTHS 5
#define FIXTURE_DIR "/tmp/test_reader"
#define FIXTURE_OFFSET 0.25 /* not whole numbers */
#define FIXTURE_EVENTS
#include "outfixture.h"


static unsigned long run_seed(int r) { return 1000UL + 17UL * (unsigned long)r; }

static const char *const pnames[2] = {"trade.alpha", "goods.oil.price"};

static void run_values(int r, double *values)
{
    values[0] = 0.1 * r + 0.05;
    values[1] = 50.0 + r;
}

static output_opts base_opts(const char *path, int n_params)
{
    output_opts o = {.path = path,
                     .config_text = "scenario: { name = \"unit-test\"; };",
                     .history = "test_reader", .n_runs = NRUNS,
                     .master_seed = 42ULL};
    if (n_params) {
        o.n_params = n_params;
        o.param_names = pnames;
    }
    return o;
}

/* Write the runs flagged in `which` (NULL: all) in order 0..NRUNS-1, with
 * their design points when n_params > 0. */
static void write_source(const char *path, model_params *p,
                         const char *const *vars, int n_vars, int n_params,
                         const int *which)
{
    char err[1024];
    output_opts opts = base_opts(path, n_params);
    opts.vars = vars;
    opts.n_vars = n_vars;
    output *o = output_open(p, &opts, err, sizeof err);
    if (!o)
        fail_msg("output_open: %s", err);
    output_run *rec = output_run_alloc(o);
    model_state *s = make_state(p);
    assert_non_null(rec);
    for (int r = 0; r < NRUNS; r++) {
        if (which && !which[r])
            continue;
        const model_event *ev;
        int n = run_events(r, &ev);
        output_run_reset(rec);
        for (int t = 0; t < p->g.months; t++) {
            fill_state(s, r, t);
            assert_int_equal(output_run_record(rec, s), 0);
        }
        assert_int_equal(output_write_run(o, 0, r, run_seed(r), rec, ev, n), 0);
        if (n_params) {
            double values[2];
            run_values(r, values);
            assert_int_equal(output_write_point(o, r, r / 2, values), 0);
        }
    }
    output_run_free(rec);
    free_state(s);
    if (output_close(o, err, sizeof err) != 0)
        fail_msg("output_close: %s", err);
}

/* ---- comparing two files with the HDF5 API ----------------------------- */

typedef struct {
    char **names;
    int n;
} name_list;

static herr_t collect_cb(hid_t g, const char *name, const H5L_info_t *li,
                         void *data)
{
    name_list *l = data;
    (void)g;
    (void)li;
    l->names = realloc(l->names, ((size_t)l->n + 1) * sizeof *l->names);
    assert_non_null(l->names);
    l->names[l->n++] = strdup(name);
    return 0;
}

static herr_t collect_attr_cb(hid_t loc, const char *name, const H5A_info_t *ai,
                              void *data)
{
    (void)loc;
    (void)ai;
    return collect_cb(loc, name, NULL, data);
}

static void free_names(name_list *l)
{
    for (int k = 0; k < l->n; k++)
        free(l->names[k]);
    free(l->names);
}

/* The root group's links, in creation order. */
static name_list links_of(hid_t f)
{
    name_list l = {0};
    hsize_t idx = 0;
    assert_true(H5Literate(f, H5_INDEX_CRT_ORDER, H5_ITER_INC, &idx, collect_cb,
                           &l) >= 0);
    return l;
}

static name_list attrs_of(hid_t obj)
{
    name_list l = {0};
    hsize_t idx = 0;
    assert_true(H5Aiterate2(obj, H5_INDEX_NAME, H5_ITER_INC, &idx,
                            collect_attr_cb, &l) >= 0);
    return l;
}

/* Two attributes: same type, dataspace and bytes. */
static void assert_same_attr(hid_t oa, hid_t ob, const char *name,
                             const char *where)
{
    hid_t a = H5Aopen(oa, name, H5P_DEFAULT), b = H5Aopen(ob, name, H5P_DEFAULT);
    if (a < 0 || b < 0)
        fail_msg("attribute %s of %s missing", name, where);
    hid_t ta = H5Aget_type(a), tb = H5Aget_type(b);
    hid_t sa = H5Aget_space(a), sb = H5Aget_space(b);
    if (H5Tequal(ta, tb) <= 0)
        fail_msg("attribute %s of %s: types differ", name, where);
    assert_int_equal(H5Sget_simple_extent_type(sa), H5Sget_simple_extent_type(sb));
    hssize_t np = H5Sget_simple_extent_npoints(sa);
    assert_int_equal(np, H5Sget_simple_extent_npoints(sb));
    assert_false(H5Tis_variable_str(ta) > 0);
    hid_t mt = H5Tget_class(ta) == H5T_STRING ? H5Tcopy(ta)
                                              : H5Tget_native_type(ta, H5T_DIR_ASCEND);
    size_t bytes = (size_t)np * H5Tget_size(mt);
    unsigned char *ba = calloc(bytes + 1, 1), *bb = calloc(bytes + 1, 1);
    assert_true(ba && bb);
    if (np > 0) {
        assert_true(H5Aread(a, mt, ba) >= 0);
        assert_true(H5Aread(b, mt, bb) >= 0);
    }
    if (memcmp(ba, bb, bytes) != 0)
        fail_msg("attribute %s of %s differs", name, where);
    free(ba);
    free(bb);
    H5Tclose(mt);
    H5Sclose(sa);
    H5Sclose(sb);
    H5Tclose(ta);
    H5Tclose(tb);
    H5Aclose(a);
    H5Aclose(b);
}

/* All attributes of oa and ob but `skip` (NULL-terminated) are the same. */
static void assert_same_attrs(hid_t oa, hid_t ob, const char *where,
                              const char *const *skip)
{
    name_list la = attrs_of(oa), lb = attrs_of(ob);
    if (la.n != lb.n)
        fail_msg("%s: %d attributes vs %d", where, la.n, lb.n);
    for (int k = 0; k < la.n; k++) {
        assert_string_equal(la.names[k], lb.names[k]);
        int skipped = 0;
        for (int s = 0; skip && skip[s]; s++)
            skipped |= strcmp(skip[s], la.names[k]) == 0;
        if (!skipped)
            assert_same_attr(oa, ob, la.names[k], where);
    }
    free_names(&la);
    free_names(&lb);
}

static herr_t scale_name_cb(hid_t did, unsigned dim, hid_t dsid, void *data)
{
    (void)did;
    (void)dim;
    H5Iget_name(dsid, data, 64);
    return 1;
}

/* One dataset: shape, type, values (strings as strings, numbers as the
 * bytes of their native type), attributes, attached dimension scales. */
static void assert_same_dataset(hid_t fa, hid_t fb, const char *name)
{
    static const char *const skip[] = {"DIMENSION_LIST", "REFERENCE_LIST", NULL};
    hid_t a = H5Dopen2(fa, name, H5P_DEFAULT), b = H5Dopen2(fb, name, H5P_DEFAULT);
    if (a < 0 || b < 0)
        fail_msg("dataset '%s' missing", name);
    hid_t ta = H5Dget_type(a), tb = H5Dget_type(b);
    hid_t sa = H5Dget_space(a), sb = H5Dget_space(b);
    hsize_t da[8], db[8];
    int ra = H5Sget_simple_extent_dims(sa, da, NULL);
    int rb = H5Sget_simple_extent_dims(sb, db, NULL);
    assert_int_equal(ra, rb);
    for (int k = 0; k < ra; k++)
        if (da[k] != db[k])
            fail_msg("'%s': axis %d has %llu vs %llu elements", name, k,
                     (unsigned long long)da[k], (unsigned long long)db[k]);
    if (H5Tequal(ta, tb) <= 0)
        fail_msg("'%s': types differ", name);
    size_t np = (size_t)H5Sget_simple_extent_npoints(sa);
    if (H5Tis_variable_str(ta) > 0) {
        char **xa = calloc(np + 1, sizeof *xa), **xb = calloc(np + 1, sizeof *xb);
        assert_true(xa && xb);
        if (np) {
            assert_true(H5Dread(a, ta, H5S_ALL, H5S_ALL, H5P_DEFAULT, xa) >= 0);
            assert_true(H5Dread(b, tb, H5S_ALL, H5S_ALL, H5P_DEFAULT, xb) >= 0);
        }
        for (size_t e = 0; e < np; e++)
            if (strcmp(xa[e] ? xa[e] : "", xb[e] ? xb[e] : "") != 0)
                fail_msg("'%s'[%zu]: '%s' vs '%s'", name, e, xa[e], xb[e]);
        if (np) {
            H5Dvlen_reclaim(ta, sa, H5P_DEFAULT, xa);
            H5Dvlen_reclaim(tb, sb, H5P_DEFAULT, xb);
        }
        free(xa);
        free(xb);
    } else {
        hid_t mt = H5Tget_native_type(ta, H5T_DIR_ASCEND);
        size_t bytes = np * H5Tget_size(mt);
        unsigned char *xa = malloc(bytes + 1), *xb = malloc(bytes + 1);
        assert_true(xa && xb);
        if (np) {
            assert_true(H5Dread(a, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, xa) >= 0);
            assert_true(H5Dread(b, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, xb) >= 0);
        }
        if (memcmp(xa, xb, bytes) != 0)
            fail_msg("'%s': values differ", name);
        free(xa);
        free(xb);
        H5Tclose(mt);
    }
    assert_same_attrs(a, b, name, skip);
    for (int k = 0; k < ra; k++) {
        char na[64] = "", nb[64] = "";
        int ia = 0, ib = 0;
        if (H5DSget_num_scales(a, (unsigned)k) > 0)
            H5DSiterate_scales(a, (unsigned)k, &ia, scale_name_cb, na);
        if (H5DSget_num_scales(b, (unsigned)k) > 0)
            H5DSiterate_scales(b, (unsigned)k, &ib, scale_name_cb, nb);
        if (strcmp(na, nb) != 0)
            fail_msg("'%s': axis %d has scale '%s' vs '%s'", name, k, na, nb);
    }
    H5Sclose(sa);
    H5Sclose(sb);
    H5Tclose(ta);
    H5Tclose(tb);
    H5Dclose(a);
    H5Dclose(b);
}

static void read_strings_of(hid_t f, const char *name, char **got, int n)
{
    hid_t ds = H5Dopen2(f, name, H5P_DEFAULT);
    hid_t t = H5Dget_type(ds);
    assert_true(ds >= 0);
    if (n > 0)
        assert_true(H5Dread(ds, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, got) >= 0);
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

/* The event rows of f as "run|step|kind|actor|target|value|label" lines. */
static char **event_rows(hid_t f, int *n_out)
{
    static const char *const scols[] = {"events/event_kind", "events/event_actor",
                                        "events/event_target", "events/event_label"};
    hsize_t n = 0;
    hid_t ds = H5Dopen2(f, "events/event", H5P_DEFAULT), sp = H5Dget_space(ds);
    assert_int_equal(H5Sget_simple_extent_dims(sp, &n, NULL), 1);
    H5Sclose(sp);
    H5Dclose(ds);
    size_t ne = (size_t)n;
    char **rows = calloc(ne + 1, sizeof *rows), **str[4];
    int *run = calloc(ne + 1, sizeof *run), *step = calloc(ne + 1, sizeof *step);
    double *value = calloc(ne + 1, sizeof *value);
    assert_true(rows && run && step && value);
    for (int c = 0; c < 4; c++) {
        str[c] = calloc(ne + 1, sizeof **str);
        assert_non_null(str[c]);
        read_strings_of(f, scols[c], str[c], (int)ne);
    }
    if (ne) {
        read_all(f, "events/event_run", H5T_NATIVE_INT, run);
        read_all(f, "events/event_step", H5T_NATIVE_INT, step);
        read_all(f, "events/event_value", H5T_NATIVE_DOUBLE, value);
    }
    for (size_t e = 0; e < ne; e++) {
        char line[1024];
        snprintf(line, sizeof line, "%d|%d|%s|%s|%s|%.17g|%s", run[e], step[e],
                 str[0][e], str[1][e], str[2][e], value[e], str[3][e]);
        rows[e] = strdup(line);
    }
    for (int c = 0; c < 4; c++) {
        for (size_t e = 0; e < ne; e++)
            H5free_memory(str[c][e]);
        free(str[c]);
    }
    free(run);
    free(step);
    free(value);
    *n_out = (int)ne;
    return rows;
}

/* Same datasets (in the same order), same values, attributes and scales,
 * same global attributes but those of `skip`; the event tables row by
 * row. */
static void assert_same_files_but(const char *pa, const char *pb,
                                  int want_events, const char *const *skip)
{
    hid_t fa = H5Fopen(pa, H5F_ACC_RDONLY, H5P_DEFAULT);
    hid_t fb = H5Fopen(pb, H5F_ACC_RDONLY, H5P_DEFAULT);
    assert_true(fa >= 0 && fb >= 0);
    name_list la = links_of(fa), lb = links_of(fb);
    assert_int_equal(la.n, lb.n);
    for (int k = 0; k < la.n; k++) {
        assert_string_equal(la.names[k], lb.names[k]);
        if (strcmp(la.names[k], "events") != 0) {
            assert_same_dataset(fa, fb, la.names[k]);
            continue;
        }
        /* the group of the event log: its datasets and attributes */
        hid_t ga = H5Gopen2(fa, "events", H5P_DEFAULT);
        hid_t gb = H5Gopen2(fb, "events", H5P_DEFAULT);
        assert_true(ga >= 0 && gb >= 0);
        name_list ea = links_of(ga), eb = links_of(gb);
        assert_int_equal(ea.n, eb.n);
        for (int e = 0; e < ea.n; e++) {
            char name[128];
            assert_string_equal(ea.names[e], eb.names[e]);
            snprintf(name, sizeof name, "events/%s", ea.names[e]);
            assert_same_dataset(fa, fb, name);
        }
        assert_same_attrs(ga, gb, "events", NULL);
        free_names(&ea);
        free_names(&eb);
        H5Gclose(ga);
        H5Gclose(gb);
    }
    assert_same_attrs(fa, fb, "/", skip);
    int nea, neb;
    char **ra = event_rows(fa, &nea), **rb = event_rows(fb, &neb);
    assert_int_equal(nea, neb);
    if (want_events >= 0)
        assert_int_equal(nea, want_events);
    for (int e = 0; e < nea; e++) {
        assert_string_equal(ra[e], rb[e]);
        free(ra[e]);
        free(rb[e]);
    }
    free(ra);
    free(rb);
    free_names(&la);
    free_names(&lb);
    H5Fclose(fa);
    H5Fclose(fb);
}

/* The same, global attributes but history included. */
static void assert_same_files(const char *pa, const char *pb, int want_events)
{
    static const char *const skip[] = {"history", NULL};
    assert_same_files_but(pa, pb, want_events, skip);
}

/* ---- the round trip ---------------------------------------------------- */

static void assert_events_equal(const model_event *got, int n_got,
                                const model_event *want, int n_want)
{
    assert_int_equal(n_got, n_want);
    if (n_got == 0)
        assert_null(got);
    for (int e = 0; e < n_got; e++) {
        assert_int_equal(got[e].step, want[e].step);
        assert_int_equal(got[e].kind, want[e].kind);
        assert_int_equal(got[e].actor, want[e].actor);
        assert_int_equal(got[e].target, want[e].target);
        assert_true(got[e].value == want[e].value);
        assert_non_null(got[e].label);
        assert_string_equal(got[e].label, want[e].label ? want[e].label : "");
    }
}

/* Copy the done runs of `src` into a new file `dst` through the writer, in
 * the order given; returns the number of runs copied. */
static int copy_runs(const char *src, const char *dst, const model_params *p,
                     const int *order, int n_order)
{
    char err[1024];
    output_reader *in = output_reader_open(src, err, sizeof err);
    if (!in)
        fail_msg("output_reader_open: %s", err);
    int nv = output_reader_n_vars(in), np = output_reader_n_params(in);
    const char *vars[64], *params[8];
    assert_true(nv > 0 && nv <= 64 && np <= 8);
    for (int v = 0; v < nv; v++)
        vars[v] = output_reader_var_name(in, v);
    for (int q = 0; q < np; q++)
        params[q] = output_reader_param_name(in, q);
    assert_null(output_reader_var_name(in, nv));
    assert_null(output_reader_param_name(in, np));
    const char *seed = output_reader_attr(in, "master_seed");
    assert_non_null(seed);
    output_opts opts = {.path = dst, .config_text = output_reader_attr(in, "config"),
                        .history = "test_reader copy", .vars = vars,
                        .n_vars = nv, .n_runs = output_reader_n_runs(in),
                        .master_seed = strtoull(seed, NULL, 10),
                        .n_params = np, .param_names = params};
    output *o = output_open(p, &opts, err, sizeof err);
    if (!o)
        fail_msg("output_open: %s", err);
    output_run *rec = output_run_alloc(o);
    assert_non_null(rec);
    int copied = 0;
    for (int k = 0; k < n_order; k++) {
        int r = order[k], point = -2;
        unsigned long s = 0;
        double values[8];
        const model_event *ev = NULL;
        int n_ev = -1;
        int done = output_reader_run_info(in, r, &s, &point, values);
        assert_true(done == 0 || done == 1);
        if (!done)
            continue;
        output_run_reset(rec);
        if (output_reader_run(in, p, r, rec, &ev, &n_ev) != 0)
            fail_msg("output_reader_run: %s", output_reader_error(in));
        assert_true(n_ev >= 0);
        if (output_write_run(o, 0, r, s, rec, ev, n_ev) != 0 ||
            (np > 0 && output_write_point(o, r, point, values) != 0))
            fail_msg("writing run %d: %s", r, output_error(o));
        copied++;
    }
    output_run_free(rec);
    output_reader_close(in);
    if (output_close(o, err, sizeof err) != 0)
        fail_msg("output_close: %s", err);
    return copied;
}

static const int shuffled[NRUNS] = {2, 0, 3, 1};

static void test_roundtrip(void **state)
{
    (void)state;
    char a[256], b[256], err[1024];
    model_params *p = make_params(MONTHS, 1);
    path_in_tmp(a, sizeof a, "rt-a.h5");
    path_in_tmp(b, sizeof b, "rt-b.h5");
    write_source(a, p, NULL, 0, 0, NULL);

    output_reader *in = output_reader_open(a, err, sizeof err);
    if (!in)
        fail_msg("%s", err);
    assert_int_equal(output_reader_n_runs(in), NRUNS);
    assert_int_equal(output_reader_n_params(in), 0);
    assert_null(output_reader_param_name(in, 0));
    /* every variable, in the writer's order */
    const char *const *all = output_var_names();
    int nv = output_reader_n_vars(in);
    assert_int_equal(nv, (int)N_TVARS);
    for (int v = 0; v < nv; v++)
        assert_string_equal(output_reader_var_name(in, v), all[v]);
    assert_null(output_reader_var_name(in, -1));
    /* attributes: text and numbers as text */
    assert_string_equal(output_reader_attr(in, "config"),
                        "scenario: { name = \"unit-test\"; };");
    assert_string_equal(output_reader_attr(in, "scenario"), "unit-test");
    assert_string_equal(output_reader_attr(in, "history"), "test_reader");
    assert_string_equal(output_reader_attr(in, "master_seed"), "42");
    assert_string_equal(output_reader_attr(in, "months"), "5");
    assert_string_equal(output_reader_attr(in, "record_every"), "1");
    assert_null(output_reader_attr(in, "no_such_attribute"));
    assert_string_equal(output_reader_error(in), "");
    /* each run's records and events as written */
    char oerr[1024];
    output_opts opts = base_opts(b, 0);
    output *o = output_open(p, &opts, oerr, sizeof oerr);
    assert_non_null(o);
    output_run *rec = output_run_alloc(o);
    assert_non_null(rec);
    for (int k = 0; k < NRUNS; k++) {
        int r = shuffled[k], point = 7;
        unsigned long seed = 0;
        const model_event *ev, *wev;
        int n_ev, n_want = run_events(r, &wev);
        assert_int_equal(output_reader_run_info(in, r, &seed, &point, NULL), 1);
        assert_int_equal(seed, run_seed(r));
        assert_int_equal(point, -1);
        assert_int_equal(output_reader_run(in, p, r, rec, &ev, &n_ev), 0);
        assert_events_equal(ev, n_ev, wev, n_want);
        assert_int_equal(output_write_run(o, 0, r, seed, rec, ev, n_ev), 0);
    }
    output_run_free(rec);
    assert_int_equal(output_close(o, oerr, sizeof oerr), 0);
    output_reader_close(in);
    assert_same_files(a, b, 6);

    /* the same through the helper, and a second generation */
    path_in_tmp(b, sizeof b, "rt-c.h5");
    assert_int_equal(copy_runs(a, b, p, shuffled, NRUNS), NRUNS);
    assert_same_files(a, b, 6);
    params_free(p);
}

/* Records read back equal the known values (not just a copy of a copy). */
static void test_values(void **state)
{
    (void)state;
    char a[256], err[1024];
    model_params *p = make_params(MONTHS, 2); /* every 2: records at t=1,3 */
    path_in_tmp(a, sizeof a, "values.h5");
    write_source(a, p, NULL, 0, 0, NULL);
    output_reader *in = output_reader_open(a, err, sizeof err);
    assert_non_null(in);
    /* the buffer of an output of the same world: read, then written as a
     * state would be; compare via a second reader of the copy */
    char b[256];
    path_in_tmp(b, sizeof b, "values-copy.h5");
    assert_int_equal(copy_runs(a, b, p, shuffled, NRUNS), NRUNS);
    hid_t f = H5Fopen(b, H5F_ACC_RDONLY, H5P_DEFAULT);
    assert_true(f >= 0);
    for (size_t v = 0; v < N_TVARS; v++) {
        size_t ne = kind_count(tvars[v].k), n_rec = MONTHS / 2;
        double *buf = malloc(NRUNS * n_rec * ne * sizeof *buf);
        assert_non_null(buf);
        read_all(f, tvars[v].name, H5T_NATIVE_DOUBLE, buf);
        for (int r = 0; r < NRUNS; r++)
            for (size_t i = 0; i < n_rec; i++)
                for (size_t e = 0; e < ne; e++)
                    assert_true(buf[((size_t)r * n_rec + i) * ne + e] ==
                                val(v, r, (int)(i + 1) * 2 - 1, e));
        free(buf);
    }
    H5Fclose(f);
    output_reader_close(in);
    params_free(p);
}

static void test_selection(void **state)
{
    (void)state;
    /* given out of the file's order: the file (and the reader) keep the
     * writer's */
    static const char *const vars[] = {"cohesion", "flow", "stock", "route_flow"};
    char a[256], b[256], err[1024];
    model_params *p = make_params(MONTHS, 2);
    path_in_tmp(a, sizeof a, "sel-a.h5");
    path_in_tmp(b, sizeof b, "sel-b.h5");
    write_source(a, p, vars, 4, 0, NULL);
    output_reader *in = output_reader_open(a, err, sizeof err);
    assert_non_null(in);
    assert_int_equal(output_reader_n_vars(in), 4);
    assert_string_equal(output_reader_var_name(in, 0), "stock");
    assert_string_equal(output_reader_var_name(in, 1), "flow");
    assert_string_equal(output_reader_var_name(in, 2), "route_flow");
    assert_string_equal(output_reader_var_name(in, 3), "cohesion");
    output_reader_close(in);
    assert_int_equal(copy_runs(a, b, p, shuffled, NRUNS), NRUNS);
    assert_same_files(a, b, 6);
    params_free(p);
}

static void test_params(void **state)
{
    (void)state;
    char a[256], b[256], err[1024];
    model_params *p = make_params(MONTHS, 1);
    path_in_tmp(a, sizeof a, "par-a.h5");
    path_in_tmp(b, sizeof b, "par-b.h5");
    write_source(a, p, NULL, 0, 2, NULL);
    output_reader *in = output_reader_open(a, err, sizeof err);
    if (!in)
        fail_msg("%s", err);
    assert_int_equal(output_reader_n_params(in), 2);
    assert_string_equal(output_reader_param_name(in, 0), pnames[0]);
    assert_string_equal(output_reader_param_name(in, 1), pnames[1]);
    for (int r = NRUNS - 1; r >= 0; r--) {
        unsigned long seed;
        int point;
        double values[2], want[2];
        run_values(r, want);
        assert_int_equal(output_reader_run_info(in, r, &seed, &point, values), 1);
        assert_int_equal(seed, run_seed(r));
        assert_int_equal(point, r / 2);
        assert_true(values[0] == want[0] && values[1] == want[1]);
        /* seed and point may be NULL */
        assert_int_equal(output_reader_run_info(in, r, NULL, NULL, NULL), 1);
    }
    output_reader_close(in);
    assert_int_equal(copy_runs(a, b, p, shuffled, NRUNS), NRUNS);
    assert_same_files(a, b, 6);
    params_free(p);
}

/* Runs never written: point -1 (sweeps) or seed 0 (other files) say "not
 * done"; their records read as NaN, with no events.  Copying the done runs
 * gives the same file (a resumed sweep's starting point). */
static void test_not_done(void **state)
{
    (void)state;
    static const int which[NRUNS] = {0, 1, 0, 1};
    char a[256], b[256], err[1024];
    model_params *p = make_params(MONTHS, 1);
    for (int np = 0; np <= 2; np += 2) {
        path_in_tmp(a, sizeof a, np ? "part-par.h5" : "part.h5");
        path_in_tmp(b, sizeof b, np ? "part-par-b.h5" : "part-b.h5");
        write_source(a, p, NULL, 0, np, which);
        output_reader *in = output_reader_open(a, err, sizeof err);
        if (!in)
            fail_msg("%s", err);
        for (int r = 0; r < NRUNS; r++) {
            unsigned long seed = 99;
            int point = 99;
            double values[2];
            int done = output_reader_run_info(in, r, &seed, &point, values);
            assert_int_equal(done, which[r]);
            assert_int_equal(seed, which[r] ? run_seed(r) : 0);
            assert_int_equal(point, np && which[r] ? r / 2 : -1);
        }
        char oerr[1024];
        output_opts opts = base_opts(b, np);
        output *o = output_open(p, &opts, oerr, sizeof oerr);
        assert_non_null(o);
        output_run *rec = output_run_alloc(o);
        const model_event *ev = (const model_event *)1;
        int n_ev = 5;
        assert_int_equal(output_reader_run(in, p, 2, rec, &ev, &n_ev), 0);
        assert_null(ev);
        assert_int_equal(n_ev, 0);
        output_run_free(rec);
        output_abort(o);
        output_reader_close(in);
        assert_int_equal(copy_runs(a, b, p, shuffled, NRUNS), 2);
        assert_same_files(a, b, 1); /* runs 1 (no event) and 3 (one) */
    }
    params_free(p);
}

/* ---- event tables: many rows, rows not in run order -------------------- */

#define MANY 3000 /* events per run: more than one block of the reader's */

static void many_events(int r, model_event *ev, char (*labels)[32])
{
    for (int e = 0; e < MANY; e++) {
        snprintf(labels[e], 32, e % 3 ? "path.%d" : "same", e % 500);
        ev[e] = (model_event){e % MONTHS, (event_kind)(e % EV_KIND_COUNT),
                              e % 4 - 1, (e + r) % 4 - 1, e * 0.5 + r,
                              e % 7 ? labels[e] : NULL};
    }
}

static void test_many_events(void **state)
{
    (void)state;
    char a[256], b[256], err[1024];
    model_params *p = make_params(MONTHS, 1);
    model_event *ev = calloc(MANY, sizeof *ev);
    char (*labels)[32] = calloc(MANY, sizeof *labels);
    assert_true(ev && labels);
    path_in_tmp(a, sizeof a, "many-a.h5");
    path_in_tmp(b, sizeof b, "many-b.h5");
    output_opts opts = base_opts(a, 0);
    output *o = output_open(p, &opts, err, sizeof err);
    assert_non_null(o);
    output_run *rec = output_run_alloc(o);
    for (int r = NRUNS - 1; r >= 0; r--) {
        many_events(r, ev, labels);
        assert_int_equal(output_write_run(o, 0, r, run_seed(r), rec, ev,
                                          r == 1 ? 0 : MANY), 0);
    }
    output_run_free(rec);
    assert_int_equal(output_close(o, err, sizeof err), 0);

    output_reader *in = output_reader_open(a, err, sizeof err);
    if (!in)
        fail_msg("%s", err);
    for (int r = 0; r < NRUNS; r++) {
        const model_event *got;
        int n;
        many_events(r, ev, labels);
        assert_int_equal(output_reader_run(in, p, r, NULL, &got, &n), 0);
        assert_events_equal(got, n, ev, r == 1 ? 0 : MANY);
    }
    output_reader_close(in);
    assert_int_equal(copy_runs(a, b, p, shuffled, NRUNS), NRUNS);
    assert_same_files(a, b, 3 * MANY);
    free(ev);
    free(labels);
    params_free(p);
}

/* Reverse the rows of every event column of `path` in place. */
static void reverse_events(const char *path)
{
    static const char *const cols[] = {"events/event_run", "events/event_step", "events/event_kind",
                                       "events/event_actor", "events/event_target",
                                       "events/event_value", "events/event_label"};
    hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    assert_true(f >= 0);
    for (size_t c = 0; c < sizeof cols / sizeof cols[0]; c++) {
        hid_t ds = H5Dopen2(f, cols[c], H5P_DEFAULT);
        hid_t ft = H5Dget_type(ds), sp = H5Dget_space(ds);
        hid_t mt = H5Tget_class(ft) == H5T_STRING ? H5Tcopy(ft)
                                                  : H5Tget_native_type(ft, H5T_DIR_ASCEND);
        size_t n = (size_t)H5Sget_simple_extent_npoints(sp), size = H5Tget_size(mt);
        unsigned char *buf = malloc(n * size), *tmp = malloc(size);
        assert_true(buf && tmp);
        assert_true(H5Dread(ds, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) >= 0);
        for (size_t i = 0; i < n / 2; i++) {
            memcpy(tmp, buf + i * size, size);
            memcpy(buf + i * size, buf + (n - 1 - i) * size, size);
            memcpy(buf + (n - 1 - i) * size, tmp, size);
        }
        assert_true(H5Dwrite(ds, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) >= 0);
        if (H5Tis_variable_str(mt) > 0)
            H5Dvlen_reclaim(mt, sp, H5P_DEFAULT, buf);
        free(buf);
        free(tmp);
        H5Tclose(mt);
        H5Tclose(ft);
        H5Sclose(sp);
        H5Dclose(ds);
    }
    H5Fclose(f);
}

/* A table not ordered by run (not this writer's, but valid): each run gets
 * its rows in file order, and a copy is in the writer's order again. */
static void test_unsorted_events(void **state)
{
    (void)state;
    char a[256], b[256], c[256], err[1024];
    model_params *p = make_params(MONTHS, 1);
    path_in_tmp(a, sizeof a, "unsorted-a.h5");
    path_in_tmp(b, sizeof b, "unsorted-b.h5");
    path_in_tmp(c, sizeof c, "unsorted-c.h5");
    write_source(a, p, NULL, 0, 0, NULL);
    reverse_events(a);
    output_reader *in = output_reader_open(a, err, sizeof err);
    if (!in)
        fail_msg("%s", err);
    for (int r = 0; r < NRUNS; r++) {
        const model_event *want, *got;
        int n_want = run_events(r, &want), n;
        model_event rev[8];
        for (int e = 0; e < n_want; e++)
            rev[e] = want[n_want - 1 - e];
        assert_int_equal(output_reader_run(in, p, r, NULL, &got, &n), 0);
        assert_events_equal(got, n, rev, n_want);
    }
    output_reader_close(in);
    /* copied twice: runs in order again, each run's rows reversed twice */
    assert_int_equal(copy_runs(a, b, p, shuffled, NRUNS), NRUNS);
    reverse_events(b);
    assert_int_equal(copy_runs(b, c, p, shuffled, NRUNS), NRUNS);
    write_source(b, p, NULL, 0, 0, NULL);
    assert_same_files(b, c, 6);
    params_free(p);
}

/* ---- errors ------------------------------------------------------------ */

static void expect_open_error(const char *path, const char *part)
{
    char err[1024] = "";
    output_reader *r = output_reader_open(path, err, sizeof err);
    if (r) {
        output_reader_close(r);
        fail_msg("%s opened", path);
    }
    if (!strstr(err, part))
        fail_msg("error for %s: '%s' lacks '%s'", path, err, part);
    assert_null(strchr(err, '\n'));
    if (getenv("TEST_READER_VERBOSE"))
        fprintf(stderr, "%s\n", err);
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void copy_truncated(const char *from, const char *to, double frac)
{
    FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
    assert_true(in && out);
    fseek(in, 0, SEEK_END);
    long size = ftell(in);
    fseek(in, 0, SEEK_SET);
    long keep = (long)(size * frac);
    char *buf = malloc((size_t)keep + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)keep, in), (size_t)keep);
    assert_int_equal(fwrite(buf, 1, (size_t)keep, out), (size_t)keep);
    free(buf);
    fclose(in);
    fclose(out);
}

/* Overwrite row `row` of the string column `col` of `path`. */
static void set_event_string(const char *path, const char *col, hsize_t row,
                             const char *value)
{
    hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    hid_t ds = H5Dopen2(f, col, H5P_DEFAULT);
    hid_t t = H5Dget_type(ds), fs = H5Dget_space(ds);
    hsize_t one = 1;
    hid_t ms = H5Screate_simple(1, &one, NULL);
    assert_true(f >= 0 && ds >= 0);
    assert_true(H5Sselect_hyperslab(fs, H5S_SELECT_SET, &row, NULL, &one, NULL) >= 0);
    assert_true(H5Dwrite(ds, t, ms, fs, H5P_DEFAULT, &value) >= 0);
    H5Sclose(ms);
    H5Sclose(fs);
    H5Tclose(t);
    H5Dclose(ds);
    H5Fclose(f);
}

/* The file opens, but the event log (read at the first run) is refused. */
static void expect_events_error(const char *path, const model_params *p,
                                const char *part)
{
    char err[1024] = "";
    output_reader *r = output_reader_open(path, err, sizeof err);
    if (!r)
        fail_msg("%s: %s", path, err);
    const model_event *ev;
    int n;
    assert_int_equal(output_reader_run(r, p, 0, NULL, &ev, &n), -1);
    if (!strstr(output_reader_error(r), part))
        fail_msg("error for %s: '%s' lacks '%s'", path, output_reader_error(r), part);
    /* a scan, as sim merge's guarded child does, reads the event log too
     * (a comparison file's runs are refused by merge itself) */
    if (!strstr(part, "scenario axis"))
        assert_int_equal(output_reader_scan(r, NULL, NULL), -1);
    output_reader_close(r);
}

static void test_open_errors(void **state)
{
    (void)state;
    char path[256], src[256], err[1024] = "";
    model_params *p = make_params(MONTHS, 1);

    assert_null(output_reader_open("", err, sizeof err));
    assert_true(err[0] != '\0');
    path_in_tmp(path, sizeof path, "missing.h5");
    expect_open_error(path, "missing.h5: No such file or directory");
    expect_open_error(tmpdir, "Is a directory");
    path_in_tmp(path, sizeof path, "text.h5");
    write_text(path, "netcdf baseline {\n dimensions:\n}\n");
    expect_open_error(path, "text.h5 is not an HDF5 file");
    path_in_tmp(path, sizeof path, "empty.h5");
    write_text(path, "");
    expect_open_error(path, "empty.h5 is not an HDF5 file");

    /* truncated copies of a real file */
    path_in_tmp(src, sizeof src, "whole.h5");
    write_source(src, p, NULL, 0, 0, NULL);
    path_in_tmp(path, sizeof path, "truncated.h5");
    copy_truncated(src, path, 0.5);
    expect_open_error(path, "truncated.h5: HDF5 cannot open it");
    copy_truncated(src, path, 0.9);
    expect_open_error(path, "truncated.h5: HDF5 cannot open it");
    copy_truncated(src, path, 0.002); /* not even the superblock */
    expect_open_error(path, "truncated.h5");

    /* event rows the reader cannot give back */
    path_in_tmp(path, sizeof path, "bad-kind.h5");
    copy_truncated(src, path, 1.0);
    set_event_string(path, "events/event_kind", 4, "bogus");
    expect_events_error(path, p, "event row 4 (run 2, bogus, actor 'CHN', target "
                                 "'RUS') has an unknown kind");
    copy_truncated(src, path, 1.0);
    set_event_string(path, "events/event_target", 1, "XYZ");
    expect_events_error(path, p, "event row 1 (run 0, flareup, actor 'RUS', target "
                                 "'XYZ') has an agent that is not in the agent "
                                 "coordinate");

    /* HDF5, but not ours */
    path_in_tmp(path, sizeof path, "foreign.h5");
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    assert_true(f >= 0);
    H5Fclose(f);
    expect_open_error(path, "not a result file of this program (no 'time' dimension)");
    f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    hsize_t three = 3;
    hid_t sp = H5Screate_simple(1, &three, NULL);
    hid_t ds = H5Dcreate2(f, "time", H5T_IEEE_F64LE, sp, H5P_DEFAULT,
                          H5P_DEFAULT, H5P_DEFAULT);
    H5Dclose(ds);
    H5Sclose(sp);
    H5Fclose(f);
    expect_open_error(path, "(no 'scenario' attribute)");

    /* a comparison file: a scenario axis */
    static const char *const scen[2] = {"A", "B"};
    path_in_tmp(path, sizeof path, "compare.h5");
    output_opts opts = base_opts(path, 0);
    opts.n_scenarios = 2;
    opts.scenario_names = scen;
    output *o = output_open(p, &opts, err, sizeof err);
    assert_non_null(o);
    assert_int_equal(output_close(o, err, sizeof err), 0);
    /* it opens (sim info, sim export read it), but gives no runs back */
    expect_events_error(path, p, "compare.h5: it has a scenario axis");

    /* NULL is harmless */
    output_reader_close(NULL);
    assert_null(output_reader_attr(NULL, "config"));
    assert_int_equal(output_reader_n_runs(NULL), 0);
    params_free(p);
}

static void expect_run_error(output_reader *in, const model_params *p, int run,
                             output_run *rec, const char *part)
{
    const model_event *ev = (const model_event *)1;
    int n_ev = 3;
    assert_int_equal(output_reader_run(in, p, run, rec, &ev, &n_ev), -1);
    assert_null(ev);
    assert_int_equal(n_ev, 0);
    if (!strstr(output_reader_error(in), part))
        fail_msg("error '%s' lacks '%s'", output_reader_error(in), part);
    if (getenv("TEST_READER_VERBOSE"))
        fprintf(stderr, "%s\n", output_reader_error(in));
}

static void test_run_errors(void **state)
{
    (void)state;
    char a[256], b[256], err[1024];
    model_params *p = make_params(MONTHS, 1);
    path_in_tmp(a, sizeof a, "err-a.h5");
    path_in_tmp(b, sizeof b, "err-b.h5");
    write_source(a, p, NULL, 0, 0, NULL);
    output_reader *in = output_reader_open(a, err, sizeof err);
    assert_non_null(in);
    output_opts opts = base_opts(b, 0);
    output *o = output_open(p, &opts, err, sizeof err);
    assert_non_null(o);
    output_run *rec = output_run_alloc(o);

    /* agents that differ from the file's */
    model_params *q = make_params(MONTHS, 1);
    strcpy(q->agents[2].code, "IRN");
    expect_run_error(in, q, 0, rec, "agent number 2 is 'PRK' but 'IRN' in the "
                                    "parameters");
    params_free(q);
    q = params_alloc(NA + 1, NG, NR, 0);
    params_set_defaults(q);
    for (int i = 0; i < NA; i++)
        strcpy(q->agents[i].code, p->agents[i].code);
    strcpy(q->agents[NA].code, "IRN");
    expect_run_error(in, q, 0, NULL, "the parameters' agent 'IRN' (number 3) is "
                                     "not among the file's 3 agents");
    params_free(q);
    q = params_alloc(NA - 1, NG, NR, 0);
    params_set_defaults(q);
    for (int i = 0; i < NA - 1; i++)
        strcpy(q->agents[i].code, p->agents[i].code);
    expect_run_error(in, q, 1, NULL, "its agent 'PRK' (number 2) is not among");
    params_free(q);
    q = make_params(MONTHS, 1);
    strcpy(q->goods[1].name, "gas");
    expect_run_error(in, q, 1, NULL, "good number 1 is 'oil' but 'gas'");
    params_free(q);
    expect_run_error(in, NULL, 1, NULL, "no parameters");

    /* runs out of range */
    expect_run_error(in, p, -1, rec, "run -1");
    expect_run_error(in, p, NRUNS, rec, "out of range");
    assert_int_equal(output_reader_run_info(in, NRUNS, NULL, NULL, NULL), -1);
    assert_non_null(strstr(output_reader_error(in), "out of range"));

    /* a buffer for other variables, or another shape */
    static const char *const few[] = {"stock", "cohesion"};
    char c[256];
    path_in_tmp(c, sizeof c, "err-c.h5");
    opts = base_opts(c, 0);
    opts.vars = few;
    opts.n_vars = 2;
    output *o2 = output_open(p, &opts, err, sizeof err);
    assert_non_null(o2);
    output_run *rec2 = output_run_alloc(o2);
    expect_run_error(in, p, 0, rec2, "variable 'capacity' is in the file but not "
                                     "in the run buffer");
    output_run_free(rec2);
    output_abort(o2);
    model_params *p2 = make_params(MONTHS, 2);
    output *o3 = output_open(p2, &opts, err, sizeof err);
    assert_non_null(o3);
    rec2 = output_run_alloc(o3);
    expect_run_error(in, p2, 0, rec2, "records");
    output_run_free(rec2);
    output_abort(o3);
    params_free(p2);
    /* a file with fewer variables than the buffer */
    char d[256];
    path_in_tmp(d, sizeof d, "err-d.h5");
    write_source(d, p, few, 2, 0, NULL);
    output_reader *in2 = output_reader_open(d, err, sizeof err);
    assert_non_null(in2);
    expect_run_error(in2, p, 0, rec, "variable 'capacity' is in the run buffer but "
                                     "not in the file");
    output_reader_close(in2);

    /* the reader still works after errors */
    const model_event *ev;
    int n_ev;
    assert_int_equal(output_reader_run(in, p, 2, rec, &ev, &n_ev), 0);
    assert_int_equal(n_ev, 3);
    assert_string_equal(output_reader_error(in), "");
    /* records are optional, and so are the events */
    assert_int_equal(output_reader_run(in, p, 0, NULL, NULL, NULL), 0);
    output_run_free(rec);
    output_abort(o);
    output_reader_close(in);
    params_free(p);
}

/* ---- a real file of the program ---------------------------------------- */

static void test_real_file(void **state)
{
    (void)state;
    const char *sim = getenv("SIM") ? getenv("SIM") : "build/sim";
    if (access(sim, X_OK) != 0) {
        fprintf(stderr, "skipped: %s is not built\n", sim);
        skip();
    }
    char a[256], b[256], cmd[1024], err[1024];
    path_in_tmp(a, sizeof a, "real.h5");
    path_in_tmp(b, sizeof b, "real-copy.h5");
    snprintf(cmd, sizeof cmd, "'%s' run --replicates 3 -q -o '%s' >/dev/null", sim, a);
    int st = system(cmd);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);

    output_reader *in = output_reader_open(a, err, sizeof err);
    if (!in)
        fail_msg("%s", err);
    assert_int_equal(output_reader_n_runs(in), 3);
    config_error ce;
    sim_config *cfg = config_load_string(output_reader_attr(in, "config"), a, &ce);
    if (!cfg)
        fail_msg("config: %s", ce.reason);
    output_reader_close(in);
    static const int backwards[3] = {2, 1, 0};
    assert_int_equal(copy_runs(a, b, config_params(cfg), backwards, 3), 3);
    config_free(cfg);
    /* `source` names the commit each binary was built from: build/sim's
     * and this test's writer may differ */
    static const char *const skip[] = {"history", "source", NULL};
    assert_same_files_but(a, b, -1, skip);

    /* and as a user's script sees it */
    const char *py = "/usr/bin/python3", *script = "tests/cli/check_result.py";
    if (access(py, X_OK) == 0 && access(script, R_OK) == 0 &&
        system("/usr/bin/python3 -c 'import h5py' 2>/dev/null") == 0) {
        snprintf(cmd, sizeof cmd, "%s %s --compare --ignore-attr source '%s' '%s' >/dev/null", py,
                 script, a, b);
        st = system(cmd);
        assert_true(WIFEXITED(st));
        if (WEXITSTATUS(st) != 0)
            fail_msg("check_result.py --compare: exit %d", WEXITSTATUS(st));
    } else {
        fprintf(stderr, "check_result.py --compare skipped (no python3 with h5py)\n");
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip),
        cmocka_unit_test(test_values),
        cmocka_unit_test(test_selection),
        cmocka_unit_test(test_params),
        cmocka_unit_test(test_not_done),
        cmocka_unit_test(test_many_events),
        cmocka_unit_test(test_unsorted_events),
        cmocka_unit_test(test_open_errors),
        cmocka_unit_test(test_run_errors),
        cmocka_unit_test(test_real_file),
    };
    if (getenv("TEST_READER_FILTER"))
        cmocka_set_test_filter(getenv("TEST_READER_FILTER"));
    return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
