/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * design.h - experimental designs for parameter sweeps: full grids, plain
 * random samples, Latin hypercubes, Sobol sequences and Saltelli's
 * sensitivity design.
 *
 * A design is a set of points in the unit cube [0,1]^d, one coordinate per
 * axis, each mapped onto its axis's values.  The module is pure: no
 * printing, no files, no exit; errors come back as NULL and one line in
 * err.
 *
 * Mapping from a unit coordinate u to an axis value:
 *   LIST    values[floor(u * n_values)] (index clamped to n_values-1)
 *   LINEAR  min + u * (max - min)
 *   LOG     exp(log(min) + u * (log(max) - log(min)))
 * with u = 0 giving min and u = 1 giving max exactly (no rounding).
 *
 * The kinds:
 *   GRID     every combination of the axes' levels exactly once, the last
 *            axis varying fastest.  A LIST axis has n_values levels (its
 *            values, exactly, in the given order; unit coordinate
 *            (i + 0.5) / n_values); a LINEAR or LOG axis has n_values
 *            levels at u = i / (n_values - 1), so both ends are included
 *            and the levels are evenly (LINEAR) or geometrically (LOG)
 *            spaced.  A single-level LINEAR or LOG axis gives min (u = 0).
 *            n_points and seed are ignored.  The points are computed on
 *            the fly, not stored.
 *   RANDOM   n_points independent uniform points from gsl_rng_mt19937
 *            seeded with seed, drawn point by point, axis by axis
 *            (gsl_rng_uniform, so u is in [0,1)).  GSL's mt19937 treats
 *            seed 0 as its default seed 4357.
 *   LHS      a Latin hypercube of n_points points: for each axis in turn,
 *            a gsl_ran_shuffle permutation p of 0..n-1 (on the same
 *            mt19937 stream), then point k gets u = (p[k] + U) / n with U
 *            uniform; every stratum [j/n, (j+1)/n) of every axis holds
 *            exactly one point, and floor(u * n) == p[k] holds exactly in
 *            double arithmetic.
 *   SOBOL    the first n_points points of a fresh gsl_qrng_sobol sequence
 *            of dimension n_axes (at most 40), exactly, with nothing
 *            skipped.  GSL's sequence never yields the origin: its first
 *            point is (0.5, ..., 0.5), and no coordinate of the first
 *            2^30 points is 0.  seed is ignored.
 *   SALTELLI Saltelli (2010) / Jansen design for first-order and total
 *            Sobol' indices, with base size N = n_points and d = n_axes:
 *            a fresh gsl_qrng_sobol sequence of dimension 2d (so d <= 20)
 *            gives N points x_j; row j of A is x_j[0..d-1], row j of B is
 *            x_j[d..2d-1], and row j of A_B^(i) is row j of A with column
 *            i taken from B.  N * (d + 2) points, block by block:
 *              point k = b * N + j,  b = 0 (A), 1 (B), 2 + i (A_B^(i)).
 *            seed is ignored.
 *
 * Limits: at most 1e9 points, and for the stored kinds at most 1e9 unit
 * coordinates (points x axes).  Error messages name axes by their index
 * from 0 ("axis 2: ...").
 */
#ifndef SIM_EXP_DESIGN_H
#define SIM_EXP_DESIGN_H

#include <stddef.h>

typedef enum { AXIS_LIST, AXIS_LINEAR, AXIS_LOG } axis_kind;

typedef struct {
    axis_kind kind;
    double min, max;      /* LINEAR/LOG: the range, min < max (LOG: min > 0) */
    int n_values;         /* LIST: number of values (>= 1);
                           * LINEAR/LOG: grid levels (>= 1, GRID only) */
    const double *values; /* LIST only: [n_values], copied by design_alloc */
} design_axis;

typedef enum {
    DESIGN_GRID,
    DESIGN_RANDOM,
    DESIGN_LHS,
    DESIGN_SOBOL,
    DESIGN_SALTELLI
} design_kind;

typedef struct design design;

/* The largest number of points a design may have. */
#define DESIGN_MAX_POINTS 1000000000

/* The largest number of stored unit coordinates (points x axes, 8 GB) of
 * a RANDOM, LHS, SOBOL or SALTELLI design. */
#define DESIGN_MAX_CELLS 1000000000

/* The largest Sobol dimension (GSL's gsl_qrng_sobol): SOBOL needs
 * n_axes <= 40, SALTELLI 2 * n_axes <= 40. */
#define DESIGN_MAX_SOBOL_DIM 40

/* A new design over n_axes axes (copied: the caller's axes and values may
 * go afterwards).  n_points: ignored for GRID (the product of the levels);
 * the number of points for RANDOM, LHS and SOBOL; the base size N for
 * SALTELLI (N * (n_axes + 2) points).  seed: RANDOM and LHS only.
 * NULL, with one line in err (if err and errlen > 0), on bad input or
 * when memory runs out. */
design *design_alloc(design_kind kind, const design_axis *axes, int n_axes,
                     int n_points, unsigned long seed, char *err,
                     size_t errlen);
void design_free(design *d);

design_kind design_get_kind(const design *d);
int design_n_points(const design *d);
int design_n_axes(const design *d);

/* The value of axis a at point k (0 <= k < n_points, 0 <= a < n_axes;
 * NAN outside).  GRID LIST axes give their values exactly. */
double design_value(const design *d, int k, int a);

/* The unit-cube coordinate behind design_value (NAN outside). */
double design_unit(const design *d, int k, int a);

/* GRID only: the level index of axis a at point k (-1 otherwise). */
int design_level(const design *d, int k, int a);

/* SALTELLI only: the block of point k, 0 = A, 1 = B, 2 + i = A_B^(i), and
 * its row 0..N-1 in *row (if row is not NULL).  -1 (and *row = -1) for
 * other kinds or k out of range. */
int design_block(const design *d, int k, int *row);

/* SALTELLI: the base size N; other kinds: the number of points. */
int design_base_size(const design *d);

#endif
