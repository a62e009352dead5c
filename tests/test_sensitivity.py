#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""test_sensitivity.py - known-answer tests of the Sobol' estimators in
analysis/sensitivity.py (sobol_indices, sobol_bootstrap, split_saltelli,
check_saltelli_layout) on the Ishigami function and on a linear model.

    /usr/bin/python3 tests/test_sensitivity.py [-v]

Prints one "ok - ..." / "not ok - ..." line per check; exit 0 when all
pass, 1 otherwise.  Uses numpy only (no scipy).

Ishigami (Ishigami and Homma 1990; the variance terms as in Sobol' and
Levitan 1999 and Saltelli et al. 2008, "Global Sensitivity Analysis. The
Primer", section 4.9):
    f(x) = sin x1 + a sin^2 x2 + b x3^4 sin x1,   x_i ~ U(-pi, pi)
    V    = a^2/8 + b pi^4/5 + b^2 pi^8/18 + 1/2
    V1   = (1 + b pi^4/5)^2 / 2,  V2 = a^2/8,  V3 = 0
    V13  = b^2 pi^8 (1/18 - 1/50) = 8 b^2 pi^8 / 225,  V12 = V23 = V123 = 0
    S_i  = V_i / V,  ST1 = (V1 + V13) / V,  ST2 = V2 / V,  ST3 = V13 / V
With a = 7, b = 0.1: S = 0.3139, 0.4424, 0; ST = 0.5576, 0.4424, 0.2437.
"""
import os
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "analysis"))
import sensitivity as sa  # noqa: E402

VERBOSE = "-v" in sys.argv[1:]
failures = 0


def check(cond, what, detail=""):
    global failures
    if cond:
        print("ok - " + what + (" (%s)" % detail if VERBOSE and detail else ""))
    else:
        failures += 1
        print("not ok - " + what + (": " + detail if detail else ""))


# ---- analytic indices -----------------------------------------------------------------

def ishigami(x, a=7.0, b=0.1):
    return np.sin(x[..., 0]) + a * np.sin(x[..., 1]) ** 2 + b * x[..., 2] ** 4 * np.sin(x[..., 0])


def ishigami_indices(a=7.0, b=0.1):
    pi = np.pi
    v1 = 0.5 * (1 + b * pi ** 4 / 5) ** 2
    v2 = a ** 2 / 8
    v3 = 0.0
    v13 = b ** 2 * pi ** 8 * (1.0 / 18 - 1.0 / 50)
    v = a ** 2 / 8 + b * pi ** 4 / 5 + b ** 2 * pi ** 8 / 18 + 0.5
    # the decomposition is complete: the terms add up to V
    assert abs(v1 + v2 + v3 + v13 - v) < 1e-12 * v
    return np.array([v1, v2, v3]) / v, np.array([v1 + v13, v2, v13]) / v


# ---- a Sobol' sequence (numpy only), for the quasi-random design -----------------------
# Direction numbers of Joe and Kuo (new-joe-kuo-6.21201), dimensions 2..6:
# (degree s, coefficients a, initial m_1..m_s); dimension 1 is van der Corput.
JOE_KUO = [(1, 0, [1]), (2, 1, [1, 3]), (3, 1, [1, 3, 1]), (3, 2, [1, 1, 1]),
           (4, 1, [1, 1, 3, 3])]
BITS = 32


def sobol_points(n, dim):
    """The first n points of a dim-dimensional Sobol' sequence (dim <= 6),
    gray-code order, the origin first."""
    assert dim <= 1 + len(JOE_KUO)
    v = np.zeros((dim, BITS), dtype=np.uint64)
    v[0] = [1 << (BITS - 1 - k) for k in range(BITS)]
    for j, (s, a, m0) in enumerate(JOE_KUO[:dim - 1], start=1):
        m = list(m0)
        for k in range(s, BITS):
            new = m[k - s] ^ (m[k - s] << s)
            for i in range(1, s):
                if (a >> (s - 1 - i)) & 1:
                    new ^= m[k - i] << i
            m.append(new)
        v[j] = [m[k] << (BITS - 1 - k) for k in range(BITS)]
    x = np.zeros((n, dim), dtype=np.uint64)
    cur = np.zeros(dim, dtype=np.uint64)
    for i in range(1, n):
        c = 0
        k = i - 1
        while k & 1:            # rightmost zero bit of i - 1
            k >>= 1
            c += 1
        cur ^= v[:, c]
        x[i] = cur
    return x.astype(float) / float(1 << BITS)


def saltelli_matrices(u, d):
    """A, B and A_B^(i) from a (N, 2d) unit sample, as sim's SALTELLI design
    builds them: A = u[:, :d], B = u[:, d:], A_B^(i) = A with column i of B."""
    A, B = u[:, :d], u[:, d:]
    AB = np.repeat(A[None], d, axis=0)
    for i in range(d):
        AB[i, :, i] = B[:, i]
    return A, B, AB


def estimate(f, u, d, n_boot=1000, seed=1):
    A, B, AB = saltelli_matrices(u, d)
    return sa.sobol_bootstrap(f(A), f(B), f(AB), n_boot=n_boot, seed=seed)


def to_ishigami(u):
    return -np.pi + 2 * np.pi * u


# ---- the tests ---------------------------------------------------------------------------

def test_analytic():
    s1, st = ishigami_indices()
    check(np.allclose(s1, [0.3139, 0.4424, 0.0], atol=5e-5)
          and np.allclose(st, [0.5576, 0.4424, 0.2437], atol=5e-5),
          "the Ishigami formulas give S1 = 0.3139, 0.4424, 0 and ST = 0.5576, 0.4424, 0.2437",
          "S1 %s ST %s" % (np.round(s1, 4), np.round(st, 4)))


def test_sobol_sequence():
    m = 10
    u = sobol_points(1 << m, 6)
    strat = all(sorted((u[:, j] * (1 << m)).astype(int)) == list(range(1 << m))
                for j in range(6))
    # every pair of coordinates is a (t, m, 2)-net with t <= 3: each
    # elementary box 2^-a x 2^-b of area 2^(t - m) holds exactly 2^t points
    # (t = 0 for the first two, as for any Sobol' sequence)
    def net(i, j, t):
        k = m - t
        for a in range(k + 1):
            cells = (np.floor(u[:, i] * (1 << a)).astype(int) << (k - a)) + \
                np.floor(u[:, j] * (1 << (k - a))).astype(int)
            if not (np.bincount(cells, minlength=1 << k) == 1 << t).all():
                return False
        return True
    pairs = net(0, 1, 0) and all(net(i, j, 3) for i in range(6) for j in range(i + 1, 6))
    check(strat and pairs, "the Sobol' sequence stratifies every axis and every pair of axes")


def test_ishigami_qmc():
    s1, st = ishigami_indices()
    n = 1 << 12
    u = sobol_points(n + 1, 6)[1:]          # skip the origin
    r = estimate(lambda x: ishigami(to_ishigami(x)), u, 3)
    for name, want in (("S1", s1), ("ST", st)):
        for i in range(3):
            est, lo, hi = r[name][i], r[name + "_low"][i], r[name + "_high"][i]
            detail = "estimate %.4f, 95%% interval [%.4f, %.4f], analytic %.4f" % (est, lo, hi, want[i])
            check(lo <= want[i] <= hi and abs(est - want[i]) < 0.02,
                  "Ishigami, Sobol' N = %d: %s of x%d within its interval and 0.02" % (n, name, i + 1),
                  detail)
            print("#   %s x%d: %s" % (name, i + 1, detail))


def test_ishigami_coverage():
    """Plain random samples: the bootstrap intervals hold the analytic
    indices about 95% of the time (at least 85% of 30 x 6 intervals)."""
    s1, st = ishigami_indices()
    rng = np.random.default_rng(20240501)
    hits = total = 0
    worst = 0.0
    for rep in range(30):
        u = rng.random((1024, 6))
        r = estimate(lambda x: ishigami(to_ishigami(x)), u, 3, n_boot=200, seed=rep)
        for name, want in (("S1", s1), ("ST", st)):
            inside = (r[name + "_low"] <= want) & (want <= r[name + "_high"])
            hits += int(inside.sum())
            total += 3
            worst = max(worst, float(np.max(np.abs(r[name] - want))))
    check(hits >= 0.85 * total and worst < 0.2,
          "Ishigami, 30 random samples of N = 1024: the 95% intervals hold the analytic values",
          "%d of %d, largest error %.3f" % (hits, total, worst))
    print("#   coverage %d of %d intervals, largest error %.3f" % (hits, total, worst))


def test_linear():
    """Y = sum c_i X_i with independent uniform X_i: S1 = ST = c_i^2 / sum c^2,
    and a constant added to Y changes nothing."""
    c = np.array([3.0, 2.0, 1.0, 0.0])
    want = c ** 2 / np.sum(c ** 2)
    u = sobol_points(4097, 6)[1:, :]
    u = np.hstack([u, np.random.default_rng(5).random((4096, 2))])   # 8 columns for d = 4
    A, B, AB = saltelli_matrices(u, 4)
    f = lambda x: x @ c  # noqa: E731
    s1, st = sa.sobol_indices(f(A), f(B), f(AB))
    s1b, stb = sa.sobol_indices(f(A) + 1e6, f(B) + 1e6, f(AB) + 1e6)
    check(np.allclose(s1, want, atol=0.02) and np.allclose(st, want, atol=0.02),
          "linear model: S1 = ST = c_i^2 / sum c^2",
          "S1 %s ST %s want %s" % (np.round(s1, 4), np.round(st, 4), np.round(want, 4)))
    check(st[3] == 0.0 and np.allclose(s1b, s1, atol=1e-6) and np.allclose(stb, st, atol=1e-9),
          "an inert input has ST = 0 exactly; a shift of the output changes nothing")


def test_helpers():
    y = np.arange(5 * 3, dtype=float)        # d = 3, N = 3
    yA, yB, yAB = sa.split_saltelli(y, 3)
    check(list(yA) == [0, 1, 2] and list(yB) == [3, 4, 5] and yAB.shape == (3, 3)
          and list(yAB[2]) == [12, 13, 14], "split_saltelli: blocks A, B, A_B^(i) by point index")
    bad = False
    try:
        sa.split_saltelli(np.arange(7.0), 3)
    except ValueError:
        bad = True
    check(bad, "split_saltelli refuses a length that is not N (d + 2)")
    u = sobol_points(9, 6)[1:]
    A, B, AB = saltelli_matrices(u, 3)
    x = np.vstack([A, B] + list(AB))
    check(sa.check_saltelli_layout(x, 3) is None, "check_saltelli_layout accepts a Saltelli design")
    x2 = x.copy()
    x2[2 * 8 + 3, 1] += 0.5
    why = sa.check_saltelli_layout(x2, 3)
    check(why is not None and "point 19" in why, "check_saltelli_layout names a point off the layout",
          str(why))
    check(sa.check_saltelli_layout(np.random.default_rng(1).random((40, 3)), 3) is not None,
          "check_saltelli_layout refuses a random design")
    r1 = sa.sobol_bootstrap(yA, yB, yAB, n_boot=50, seed=3)
    r2 = sa.sobol_bootstrap(yA, yB, yAB, n_boot=50, seed=3)
    check(all(np.array_equal(r1[k], r2[k], equal_nan=True) for k in r1),
          "sobol_bootstrap is reproducible for a given seed")
    s1, st = sa.sobol_indices(np.ones(4), np.ones(4), np.ones((2, 4)))
    check(np.isnan(s1).all() and np.isnan(st).all(), "a constant output gives NaN indices")


if __name__ == "__main__":
    test_analytic()
    test_sobol_sequence()
    test_helpers()
    test_linear()
    test_ishigami_qmc()
    test_ishigami_coverage()
    print("# test_sensitivity.py: %s" % ("all checks passed" if not failures
                                          else "%d check(s) failed" % failures))
    sys.exit(1 if failures else 0)
