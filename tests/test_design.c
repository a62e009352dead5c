/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_design.c - experimental designs: grids, random samples, Latin
 * hypercubes, Sobol sequences, Saltelli matrices, and bad input.
 */
#include <limits.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <gsl/gsl_qrng.h>

#include "exp/design.h"

/* In double (cmocka's float comparison rounds to float). */
#define assert_near(x, want, tol)                                          \
    do {                                                                   \
        double x_ = (x), w_ = (want), t_ = (tol);                          \
        if (!(fabs(x_ - w_) <= t_))                                        \
            fail_msg("%s = %.17g, want %.17g within %g", #x, x_, w_, t_);  \
    } while (0)
#define assert_rel(x, want, rel) \
    assert_near(x, want, (rel) * fabs((double)(want)))

static design_axis lin(double min, double max, int levels)
{
    design_axis a = {AXIS_LINEAR, min, max, levels, NULL};
    return a;
}

static design_axis logax(double min, double max, int levels)
{
    design_axis a = {AXIS_LOG, min, max, levels, NULL};
    return a;
}

static design_axis list(const double *v, int n)
{
    design_axis a = {AXIS_LIST, 0, 0, n, v};
    return a;
}

static design *make(design_kind kind, const design_axis *axes, int n_axes,
                    int n_points, unsigned long seed)
{
    char err[256] = "";
    design *d = design_alloc(kind, axes, n_axes, n_points, seed, err,
                             sizeof err);
    if (!d)
        print_error("design_alloc: %s\n", err);
    assert_non_null(d);
    assert_int_equal(design_n_axes(d), n_axes);
    return d;
}

static int same_units(const design *a, const design *b)
{
    if (design_n_points(a) != design_n_points(b) ||
        design_n_axes(a) != design_n_axes(b))
        return 0;
    for (int k = 0; k < design_n_points(a); k++)
        for (int j = 0; j < design_n_axes(a); j++)
            if (design_unit(a, k, j) != design_unit(b, k, j))
                return 0;
    return 1;
}

/* ---- GRID ----------------------------------------------------------------- */

static void test_grid_combinations_and_order(void **state)
{
    (void)state;
    const double lv[3] = {10.5, -2.25, 7.0};
    design_axis ax[3] = {list(lv, 3), lin(0.0, 1.0, 2), logax(1.0, 100.0, 4)};
    design *d = make(DESIGN_GRID, ax, 3, 999, 1);
    assert_int_equal(design_n_points(d), 3 * 2 * 4);
    assert_int_equal(design_base_size(d), 24);
    assert_int_equal(design_get_kind(d), DESIGN_GRID);
    int seen[3][2][4] = {{{0}}};
    for (int k = 0; k < 24; k++) {
        /* last axis fastest: k = (i0 * 2 + i1) * 4 + i2 */
        int i0 = k / 8, i1 = (k / 4) % 2, i2 = k % 4;
        assert_int_equal(design_level(d, k, 0), i0);
        assert_int_equal(design_level(d, k, 1), i1);
        assert_int_equal(design_level(d, k, 2), i2);
        seen[i0][i1][i2]++;
        /* LIST values exact, in order */
        assert_true(design_value(d, k, 0) == lv[i0]);
        assert_true(design_unit(d, k, 0) == (i0 + 0.5) / 3);
        assert_true(design_value(d, k, 1) == (i1 ? 1.0 : 0.0));
        assert_true(design_unit(d, k, 2) == i2 / 3.0);
        assert_int_equal(design_block(d, k, NULL), -1);
    }
    for (int a = 0; a < 3; a++)
        for (int b = 0; b < 2; b++)
            for (int c = 0; c < 4; c++)
                assert_int_equal(seen[a][b][c], 1);
    /* the LOG levels 1, 100^(1/3), 100^(2/3), 100 */
    assert_true(design_value(d, 0, 2) == 1.0);
    assert_true(design_value(d, 3, 2) == 100.0);
    assert_rel(design_value(d, 1, 2), pow(100.0, 1.0 / 3), 1e-14);
    assert_rel(design_value(d, 2, 2), pow(100.0, 2.0 / 3), 1e-14);
    /* out of range */
    assert_true(isnan(design_value(d, 24, 0)));
    assert_true(isnan(design_value(d, -1, 0)));
    assert_true(isnan(design_unit(d, 0, 3)));
    assert_int_equal(design_level(d, 0, -1), -1);
    design_free(d);
}

static void test_grid_linear_and_log_levels(void **state)
{
    (void)state;
    /* ends that do not round-trip through min + u*(max-min) or exp(log) */
    design_axis ax[2] = {lin(0.1, 0.7, 7), logax(0.003, 3000.0, 7)};
    design *d = make(DESIGN_GRID, ax, 2, 0, 0);
    assert_int_equal(design_n_points(d), 49);
    double v[7], w[7];
    for (int i = 0; i < 7; i++) {
        v[i] = design_value(d, i * 7, 0); /* axis 0 moves every 7 points */
        w[i] = design_value(d, i, 1);     /* axis 1 moves every point */
        assert_true(design_value(d, i * 7 + 3, 0) == v[i]);
        assert_true(design_value(d, 14 + i, 1) == w[i]);
    }
    assert_true(v[0] == 0.1 && v[6] == 0.7);
    assert_true(w[0] == 0.003 && w[6] == 3000.0);
    for (int i = 1; i < 7; i++) {
        assert_near(v[i] - v[i - 1], 0.1, 1e-15);
        assert_rel(w[i] / w[i - 1], 10.0, 1e-13);
    }
    design_free(d);
}

static void test_grid_single_level(void **state)
{
    (void)state;
    const double one[1] = {42.0};
    design_axis ax[3] = {lin(2.0, 5.0, 1), logax(0.5, 8.0, 1), list(one, 1)};
    design *d = make(DESIGN_GRID, ax, 3, 0, 0);
    assert_int_equal(design_n_points(d), 1);
    assert_true(design_value(d, 0, 0) == 2.0);  /* a single level gives min */
    assert_true(design_value(d, 0, 1) == 0.5);
    assert_true(design_value(d, 0, 2) == 42.0);
    assert_true(design_unit(d, 0, 0) == 0.0);
    assert_true(design_unit(d, 0, 2) == 0.5);
    design_free(d);

    /* one axis alone, and a single-level axis inside a bigger grid */
    design_axis ax2[3] = {lin(0, 1, 3), lin(-1, 1, 1), lin(0, 1, 2)};
    d = make(DESIGN_GRID, ax2, 3, 0, 0);
    assert_int_equal(design_n_points(d), 6);
    for (int k = 0; k < 6; k++) {
        assert_true(design_value(d, k, 1) == -1.0);
        assert_int_equal(design_level(d, k, 0), k / 2);
        assert_int_equal(design_level(d, k, 2), k % 2);
    }
    design_free(d);
}

static void test_grid_copies_axes(void **state)
{
    (void)state;
    double *vals = malloc(3 * sizeof *vals);
    design_axis *ax = malloc(sizeof *ax);
    assert_non_null(vals);
    assert_non_null(ax);
    vals[0] = 1;
    vals[1] = 2;
    vals[2] = 3;
    *ax = list(vals, 3);
    design *d = make(DESIGN_GRID, ax, 1, 0, 0);
    vals[1] = -99;
    free(vals);
    free(ax);
    assert_true(design_value(d, 1, 0) == 2.0);
    assert_true(design_value(d, 2, 0) == 3.0);
    design_free(d);
}

/* ---- RANDOM --------------------------------------------------------------- */

static void test_random(void **state)
{
    (void)state;
    const double lv[4] = {1, 2, 3, 4};
    design_axis ax[3] = {lin(-3.0, 5.0, 0), logax(1e-2, 1e2, 0), list(lv, 4)};
    const int n = 20000;
    design *d = make(DESIGN_RANDOM, ax, 3, n, 12345);
    design *same = make(DESIGN_RANDOM, ax, 3, n, 12345);
    design *other = make(DESIGN_RANDOM, ax, 3, n, 12346);
    assert_int_equal(design_n_points(d), n);
    assert_true(same_units(d, same));
    assert_false(same_units(d, other));
    int differ = 0;
    double sum[3] = {0}, usum[3] = {0};
    int count[4] = {0};
    for (int k = 0; k < n; k++) {
        for (int a = 0; a < 3; a++) {
            double u = design_unit(d, k, a);
            assert_true(u >= 0.0 && u < 1.0);
            usum[a] += u;
            differ += u != design_unit(other, k, a);
        }
        double x = design_value(d, k, 0), y = design_value(d, k, 1);
        double z = design_value(d, k, 2);
        assert_true(x >= -3.0 && x <= 5.0);
        assert_true(y >= 1e-2 && y <= 1e2);
        assert_true(z == 1 || z == 2 || z == 3 || z == 4);
        sum[0] += x;
        sum[1] += log10(y);
        count[(int)z - 1]++;
    }
    assert_true(differ > 3 * n - 10);
    /* standard error of a mean of n uniforms: 0.289 / sqrt(n) = 0.002 */
    for (int a = 0; a < 3; a++)
        assert_near(usum[a] / n, 0.5, 0.01);
    assert_near(sum[0] / n, 1.0, 8 * 0.01);  /* midpoint of -3..5 */
    assert_near(sum[1] / n, 0.0, 4 * 0.01);  /* log midpoint: 1 */
    for (int i = 0; i < 4; i++)
        assert_near(count[i], n / 4.0, 300);
    assert_int_equal(design_block(d, 0, NULL), -1);
    design_free(d);
    design_free(same);
    design_free(other);
}

/* ---- LHS ------------------------------------------------------------------ */

static void check_lhs(int n, unsigned long seed)
{
    const double lv[3] = {-1, 0, 1};
    design_axis ax[5] = {lin(0, 1, 0), lin(-10, 10, 0), logax(1, 1e6, 0),
                         list(lv, 3), lin(5, 6, 0)};
    design *d = make(DESIGN_LHS, ax, 5, n, seed);
    assert_int_equal(design_n_points(d), n);
    int *count = calloc((size_t)n, sizeof *count);
    assert_non_null(count);
    for (int a = 0; a < 5; a++) {
        memset(count, 0, (size_t)n * sizeof *count);
        for (int k = 0; k < n; k++) {
            double u = design_unit(d, k, a);
            assert_true(u >= 0.0 && u < 1.0);
            /* the stratum [j/n, (j+1)/n) */
            int j = (int)floor(u * n);
            assert_true(j >= 0 && j < n);
            assert_true(u >= (double)j / n && u < (double)(j + 1) / n);
            count[j]++;
        }
        for (int j = 0; j < n; j++)
            assert_int_equal(count[j], 1);
    }
    for (int k = 0; k < n; k++) {
        assert_true(design_value(d, k, 1) >= -10 &&
                    design_value(d, k, 1) <= 10);
        assert_true(design_value(d, k, 2) >= 1 &&
                    design_value(d, k, 2) <= 1e6);
    }
    free(count);
    design *same = make(DESIGN_LHS, ax, 5, n, seed);
    assert_true(same_units(d, same));
    if (n > 1) {
        design *other = make(DESIGN_LHS, ax, 5, n, seed + 1);
        assert_false(same_units(d, other));
        design_free(other);
    }
    design_free(same);
    design_free(d);
}

static void test_lhs_strata(void **state)
{
    (void)state;
    check_lhs(1, 7);
    check_lhs(7, 7);
    check_lhs(7, 8);
    check_lhs(100, 2024);
    check_lhs(100, 0);
    check_lhs(12345, 99);
}

/* ---- SOBOL ---------------------------------------------------------------- */

static void check_sobol(int dim, int n)
{
    design_axis ax[DESIGN_MAX_SOBOL_DIM];
    for (int a = 0; a < dim; a++)
        ax[a] = a % 2 ? logax(0.1, 10.0, 0) : lin(-1.0, 1.0, 0);
    design *d = make(DESIGN_SOBOL, ax, dim, n, 1);
    design *d2 = make(DESIGN_SOBOL, ax, dim, n, 777);  /* seed ignored */
    assert_int_equal(design_n_points(d), n);
    assert_true(same_units(d, d2));
    gsl_qrng *q = gsl_qrng_alloc(gsl_qrng_sobol, (unsigned)dim);
    double x[DESIGN_MAX_SOBOL_DIM];
    for (int k = 0; k < n; k++) {
        assert_int_equal(gsl_qrng_get(q, x), 0);
        for (int a = 0; a < dim; a++) {
            /* exactly GSL's sequence, nothing skipped */
            assert_true(design_unit(d, k, a) == x[a]);
            /* which never holds the origin (or any zero coordinate) */
            assert_true(x[a] > 0.0 && x[a] < 1.0);
            if (k == 0)
                assert_true(x[a] == 0.5);
        }
        assert_true(design_value(d, k, 0) == -1.0 + x[0] * 2.0);
        if (dim > 1)
            assert_rel(design_value(d, k, 1), pow(10.0, -1.0 + 2.0 * x[1]),
                       1e-14);
    }
    gsl_qrng_free(q);
    design_free(d);
    design_free(d2);
}

static void test_sobol_matches_gsl(void **state)
{
    (void)state;
    check_sobol(1, 1);
    check_sobol(1, 1000);
    check_sobol(3, 1024);
    check_sobol(DESIGN_MAX_SOBOL_DIM, 500);
}

/* ---- SALTELLI ------------------------------------------------------------- */

static void check_saltelli(int dim, int N)
{
    design_axis ax[DESIGN_MAX_SOBOL_DIM];
    for (int a = 0; a < dim; a++)
        ax[a] = lin(10.0 * a, 10.0 * a + 1.0, 0);
    design *d = make(DESIGN_SALTELLI, ax, dim, N, 3);
    assert_int_equal(design_n_points(d), N * (dim + 2));
    assert_int_equal(design_base_size(d), N);
    assert_int_equal(design_get_kind(d), DESIGN_SALTELLI);

    /* the 2d-dimensional Sobol points: A = first d, B = last d */
    double *x = malloc((size_t)N * 2 * dim * sizeof *x);
    assert_non_null(x);
    gsl_qrng *q = gsl_qrng_alloc(gsl_qrng_sobol, (unsigned)(2 * dim));
    for (int j = 0; j < N; j++)
        assert_int_equal(gsl_qrng_get(q, x + (size_t)j * 2 * dim), 0);
    gsl_qrng_free(q);

    int *rows_seen = calloc((size_t)N * (dim + 2), sizeof *rows_seen);
    assert_non_null(rows_seen);
    for (int k = 0; k < design_n_points(d); k++) {
        int row = -2;
        int b = design_block(d, k, &row);
        assert_int_equal(b, k / N);
        assert_int_equal(row, k % N);
        assert_int_equal(design_block(d, k, NULL), b);
        rows_seen[b * N + row]++;
        const double *A = x + (size_t)row * 2 * dim, *B = A + dim;
        for (int a = 0; a < dim; a++) {
            double u = design_unit(d, k, a);
            double want = b == 0 ? A[a]
                        : b == 1 ? B[a]
                        : (b - 2 == a ? B[a] : A[a]);
            assert_true(u == want);
            assert_near(design_value(d, k, a), 10.0 * a + u, 1e-14);
        }
    }
    for (int i = 0; i < N * (dim + 2); i++)
        assert_int_equal(rows_seen[i], 1);
    int row = 5;
    assert_int_equal(design_block(d, design_n_points(d), &row), -1);
    assert_int_equal(row, -1);
    assert_int_equal(design_block(d, -1, &row), -1);
    free(rows_seen);
    free(x);
    design_free(d);
}

static void test_saltelli_blocks(void **state)
{
    (void)state;
    check_saltelli(1, 1);
    check_saltelli(1, 16);
    check_saltelli(3, 64);
    check_saltelli(5, 100);
    check_saltelli(DESIGN_MAX_SOBOL_DIM / 2, 50);
}

static void test_saltelli_explicit(void **state)
{
    (void)state;
    /* d = 2, N = 2: the matrices spelt out from the first two 4-d Sobol
     * points x0 = (.5, .5, .5, .5) and x1 */
    design_axis ax[2] = {lin(0, 1, 0), lin(0, 1, 0)};
    design *d = make(DESIGN_SALTELLI, ax, 2, 2, 0);
    assert_int_equal(design_n_points(d), 8);
    gsl_qrng *q = gsl_qrng_alloc(gsl_qrng_sobol, 4);
    double x0[4], x1[4];
    gsl_qrng_get(q, x0);
    gsl_qrng_get(q, x1);
    gsl_qrng_free(q);
    const double want[8][2] = {
        {x0[0], x0[1]}, {x1[0], x1[1]},  /* A */
        {x0[2], x0[3]}, {x1[2], x1[3]},  /* B */
        {x0[2], x0[1]}, {x1[2], x1[1]},  /* A_B^(0) */
        {x0[0], x0[3]}, {x1[0], x1[3]},  /* A_B^(1) */
    };
    for (int k = 0; k < 8; k++)
        for (int a = 0; a < 2; a++)
            assert_true(design_value(d, k, a) == want[k][a]);
    assert_true(x0[0] == 0.5 && x0[3] == 0.5);
    design_free(d);
}

/* ---- errors --------------------------------------------------------------- */

static void expect_error(design_kind kind, const design_axis *axes,
                         int n_axes, int n_points, const char *needle)
{
    char err[256] = "";
    design *d = design_alloc(kind, axes, n_axes, n_points, 1, err, sizeof err);
    if (d || !strstr(err, needle))
        print_error("kind %d, %d axes, %d points: got \"%s\", want \"%s\"\n",
                    (int)kind, n_axes, n_points, err, needle);
    assert_null(d);
    assert_non_null(strstr(err, needle));
    assert_null(strchr(err, '\n'));
    /* no err buffer: still NULL, no crash */
    assert_null(design_alloc(kind, axes, n_axes, n_points, 1, NULL, 0));
}

static void test_errors(void **state)
{
    (void)state;
    const double lv[2] = {1, 2};
    const double bad[2] = {1, NAN};
    design_axis ok[1] = {lin(0, 1, 3)};
    design_axis one;

    expect_error(DESIGN_GRID, ok, 0, 10, "at least one axis");
    expect_error(DESIGN_SOBOL, NULL, 1, 10, "at least one axis");
    expect_error((design_kind)99, ok, 1, 10, "unknown design kind");

    for (design_kind k = DESIGN_RANDOM; k <= DESIGN_SALTELLI; k++) {
        expect_error(k, ok, 1, 0, "(got 0)");
        expect_error(k, ok, 1, -5, "(got -5)");
    }
    expect_error(DESIGN_LHS, ok, 1, 0, "at least one point");
    expect_error(DESIGN_SALTELLI, ok, 1, 0, "at least one base sample");

    one = logax(0, 10, 3);
    expect_error(DESIGN_GRID, &one, 1, 0, "axis 0: log range needs min > 0");
    one = logax(-1, 10, 3);
    expect_error(DESIGN_RANDOM, &one, 1, 5, "min > 0 (got -1)");
    design_axis two[2] = {lin(0, 1, 2), lin(1, 1, 2)};
    expect_error(DESIGN_GRID, two, 2, 0, "axis 1: linear range needs min < max");
    two[1] = lin(2, 1, 2);
    expect_error(DESIGN_LHS, two, 2, 4, "min < max (got 2 to 1)");
    two[1] = logax(10, 1, 2);
    expect_error(DESIGN_SOBOL, two, 2, 4, "log range needs min < max");
    two[1] = lin(0, INFINITY, 2);
    expect_error(DESIGN_RANDOM, two, 2, 4, "must be finite");
    two[1] = lin(NAN, 1, 2);
    expect_error(DESIGN_RANDOM, two, 2, 4, "must be finite");

    one = list(lv, 0);
    expect_error(DESIGN_GRID, &one, 1, 0, "a list needs at least one value");
    one = list(NULL, 2);
    expect_error(DESIGN_RANDOM, &one, 1, 5, "a list needs at least one value");
    one = list(bad, 2);
    expect_error(DESIGN_GRID, &one, 1, 0, "list value 1 is not a finite");
    one = lin(0, 1, 0);
    expect_error(DESIGN_GRID, &one, 1, 0, "a grid needs at least one level");

    design_axis many[DESIGN_MAX_SOBOL_DIM + 1];
    for (int a = 0; a <= DESIGN_MAX_SOBOL_DIM; a++)
        many[a] = lin(0, 1, 2);
    expect_error(DESIGN_SOBOL, many, 41, 10, "dimension 41");
    expect_error(DESIGN_SALTELLI, many, 21, 10, "dimension 42");
    expect_error(DESIGN_SALTELLI, many, 21, 10, "at most 20 axes");

    /* absurd sizes */
    expect_error(DESIGN_RANDOM, ok, 1, INT_MAX, "too large");
    expect_error(DESIGN_LHS, ok, 1, DESIGN_MAX_POINTS + 1, "too large");
    expect_error(DESIGN_SALTELLI, many, 2, 400000000, "1600000000 points");
    expect_error(DESIGN_SALTELLI, many, 20, INT_MAX, "too large");
    expect_error(DESIGN_RANDOM, many, 2, 600000000, "points x axes");
    expect_error(DESIGN_GRID, many, 30, 0, "too many points");  /* 2^30 */
    design_axis huge[3] = {lin(0, 1, INT_MAX), lin(0, 1, INT_MAX),
                           lin(0, 1, INT_MAX)};
    expect_error(DESIGN_GRID, huge, 3, 0, "too many points");

    /* the largest allowed sizes of the checks just below the limits work */
    design *d = make(DESIGN_GRID, many, 29, 0, 0);  /* 2^29 points, on the fly */
    assert_int_equal(design_n_points(d), 1 << 29);
    int k = (1 << 29) - 1;
    for (int a = 0; a < 29; a++)
        assert_true(design_value(d, k, a) == 1.0);
    assert_true(design_value(d, 1 << 28, 0) == 1.0);
    assert_true(design_value(d, 1 << 28, 1) == 0.0);
    design_free(d);
    design_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_grid_combinations_and_order),
        cmocka_unit_test(test_grid_linear_and_log_levels),
        cmocka_unit_test(test_grid_single_level),
        cmocka_unit_test(test_grid_copies_axes),
        cmocka_unit_test(test_random),
        cmocka_unit_test(test_lhs_strata),
        cmocka_unit_test(test_sobol_matches_gsl),
        cmocka_unit_test(test_saltelli_blocks),
        cmocka_unit_test(test_saltelli_explicit),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
