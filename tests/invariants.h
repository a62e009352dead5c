/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * invariants.h - the whole-run invariants of tests/test_invariants.c as
 * plain functions that report instead of aborting, so that a caller can
 * say which configuration (seed) broke them.
 *
 *   char why[512];
 *   if (inv_run(p, seed, NULL, NULL, NULL, why, sizeof why))
 *       fail_msg("%s", why);
 *
 * Checked after every step (inv_check_step):
 *   - every array of the state is finite; every quantity of goods or money
 *     (except cash) is >= 0;
 *   - affinity, rivalry, USD share, competition, fill, sanctions, discount,
 *     cohesion, connectivity and hub share lie in [0,1]; member is 0 or 1;
 *   - the shortfall never exceeds demand, and nothing lost to interdiction
 *     exceeds what was shipped;
 *   - money: what each agent received is what its partners paid it, and
 *     the bloc's payments add up;
 *   - goods: exports = flows + world exports, imports = arrivals + world
 *     imports (to rounding of the flows before losses), and stock = previous + production + imports - exports -
 *     consumption, to rounding of the largest term;
 *   - every bloc flow (and loss) is accounted for by a route.
 */
#ifndef SIM_TESTS_INVARIANTS_H
#define SIM_TESTS_INVARIANTS_H

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_rng.h>

#include "model/model.h"
#include "testutil.h"

static inline int inv_fail(char *why, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static inline int inv_fail(char *why, size_t len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, len, fmt, ap);
    va_end(ap);
    return -1;
}

static inline double inv_rel(double a, double b)
{
    double scale = fmax(1.0, fmax(fabs(a), fabs(b)));
    return fabs(a - b) / scale;
}

static inline int inv_finite(const double *x, size_t n, const char *name,
                             char *why, size_t len)
{
    for (size_t k = 0; k < n; k++)
        if (!isfinite(x[k]))
            return inv_fail(why, len, "%s[%zu] = %g is not finite", name, k, x[k]);
    return 0;
}

static inline int inv_range(const double *x, size_t n, const char *name,
                            double lo, double hi, char *why, size_t len)
{
    for (size_t k = 0; k < n; k++)
        if (!(x[k] >= lo && x[k] <= hi))
            return inv_fail(why, len, "%s[%zu] = %.17g outside [%g, %g]", name, k,
                            x[k], lo, hi);
    return 0;
}

/* Every invariant of one step, given the stock before it.  0, or -1 with
 * the first violation in why. */
static inline int inv_check_step(const model_state *s, const double *prev_stock,
                                 char *why, size_t len)
{
    int n = s->n, g = s->g;
    size_t ng = (size_t)n * g, nn = (size_t)n * n, nng = nn * g;
    const struct {
        const double *x;
        size_t len;
        const char *name;
    } all[] = {
        {s->stock, ng, "stock"},
        {s->production, ng, "production"},
        {s->consumption, ng, "consumption"},
        {s->shortfall, ng, "shortfall"},
        {s->imports, ng, "imports"},
        {s->exports, ng, "exports"},
        {s->world_imports, ng, "world_imports"},
        {s->world_exports, ng, "world_exports"},
        {s->flow, nng, "flow"},
        {s->interdicted, nng, "interdicted"},
        {s->trade_value, nn, "trade_value"},
        {s->civilian_trade, nn, "civilian_trade"},
        {s->dependence, nn, "dependence"},
        {s->price, (size_t)g, "price"},
        {s->gdp, (size_t)n, "gdp"},
        {s->cash, (size_t)n, "cash"},
        {s->capacity, ng, "capacity"},
        {s->demand, ng, "demand"},
        {s->paid, (size_t)n, "paid"},
        {s->received, (size_t)n, "received"},
        {s->route_flow, (size_t)s->p->n_routes * g, "route_flow"},
        {s->route_interdicted, (size_t)s->p->n_routes * g, "route_interdicted"},
    };
    for (size_t v = 0; v < sizeof all / sizeof all[0]; v++) {
        if (inv_finite(all[v].x, all[v].len, all[v].name, why, len))
            return -1;
        if (all[v].x != s->cash &&
            inv_range(all[v].x, all[v].len, all[v].name, 0.0, HUGE_VAL, why, len))
            return -1;
    }
    const struct {
        const double *x;
        size_t len;
        const char *name;
    } unit[] = {
        {s->affinity, nn, "affinity"},
        {s->rivalry, nn, "rivalry"},
        {s->usd_share, nn, "usd_share"},
        {s->competition, nn, "competition"},
        {s->fill, nn, "fill"},
        {s->sanctions, (size_t)n, "sanctions"},
        {s->member, (size_t)n, "member"},
        {s->discount, ng, "discount"},
        {&s->cohesion, 1, "cohesion"},
        {&s->connectivity, 1, "connectivity"},
        {&s->hub_share, 1, "hub_share"},
    };
    for (size_t v = 0; v < sizeof unit / sizeof unit[0]; v++)
        if (inv_range(unit[v].x, unit[v].len, unit[v].name, 0.0, 1.0, why, len))
            return -1;
    for (int i = 0; i < n; i++)
        if (s->member[i] != 0.0 && s->member[i] != 1.0)
            return inv_fail(why, len, "member[%d] = %.17g is neither 0 nor 1", i,
                            s->member[i]);
    for (size_t ik = 0; ik < ng; ik++)
        if (s->shortfall[ik] > s->demand[ik] * (1.0 + 1e-12) + 1e-9)
            return inv_fail(why, len, "shortfall[%zu] = %.17g exceeds demand %.17g",
                            ik, s->shortfall[ik], s->demand[ik]);

    double paid = 0, received = 0;
    for (int i = 0; i < n; i++) {
        double out_value = 0, in_value = 0;
        for (int j = 0; j < n; j++) {
            out_value += s->trade_value[AP(s, i, j)];
            in_value += s->trade_value[AP(s, j, i)];
        }
        /* money: the exporter receives what the importer pays */
        if (inv_rel(out_value, s->received[i]) > 1e-9)
            return inv_fail(why, len, "agent %d received %.17g, sold %.17g", i,
                            s->received[i], out_value);
        if (inv_rel(in_value, s->paid[i]) > 1e-9)
            return inv_fail(why, len, "agent %d paid %.17g, bought %.17g", i,
                            s->paid[i], in_value);
        paid += s->paid[i];
        received += s->received[i];
        for (int k = 0; k < g; k++) {
            double shipped = 0, arrived = 0, gross_in = 0;
            for (int j = 0; j < n; j++) {
                double f_out = s->flow[APG(s, i, j, k)];
                double f_in = s->flow[APG(s, j, i, k)];
                double lost_in = s->interdicted[APG(s, j, i, k)];
                shipped += f_out;
                arrived += f_in - lost_in;
                gross_in += f_in;
                if (lost_in > f_in * (1 + 1e-12))
                    return inv_fail(why, len,
                                    "%d->%d good %d: lost %.17g of %.17g shipped",
                                    j, i, k, lost_in, f_in);
            }
            size_t ik = AG(s, i, k);
            /* goods: exports and imports include the rest of the world;
             * imports count what arrived after interdiction */
            if (inv_rel(s->exports[ik], shipped + s->world_exports[ik]) > 1e-9)
                return inv_fail(why, len,
                                "agent %d good %d: exports %.17g != flows %.17g + "
                                "world %.17g",
                                i, k, s->exports[ik], shipped, s->world_exports[ik]);
            /* arrivals are what is left of the flows after losses: to
             * rounding of the flows, which may be far larger */
            double in_scale = fmax(1.0, fmax(fmax(fabs(s->imports[ik]), gross_in),
                                             s->world_imports[ik]));
            if (fabs(s->imports[ik] - (arrived + s->world_imports[ik])) >
                1e-9 * in_scale)
                return inv_fail(why, len,
                                "agent %d good %d: imports %.17g != arrivals %.17g + "
                                "world %.17g (shipped to it %.17g)",
                                i, k, s->imports[ik], arrived, s->world_imports[ik],
                                gross_in);
            double expect = prev_stock[ik] + s->production[ik] + s->imports[ik] -
                            s->exports[ik] - s->consumption[ik];
            /* to rounding of the largest term (a clamp at zero may absorb
             * a few ulps when exports equal the stock) */
            double scale = fmax(fmax(prev_stock[ik], s->production[ik]),
                                fmax(s->imports[ik],
                                     fmax(s->exports[ik], s->consumption[ik])));
            if (fabs(s->stock[ik] - expect) > 1e-9 * fmax(1.0, scale))
                return inv_fail(why, len,
                                "stock of agent %d good %d: %.17g, expected %.17g "
                                "(previous %.17g + production %.17g + imports "
                                "%.17g - exports %.17g - consumption %.17g)",
                                i, k, s->stock[ik], expect, prev_stock[ik],
                                s->production[ik], s->imports[ik], s->exports[ik],
                                s->consumption[ik]);
        }
    }
    if (inv_rel(paid, received) > 1e-9)
        return inv_fail(why, len, "bloc paid %.17g, received %.17g", paid, received);
    /* every bloc flow goes by a route; losses per route add up per pair */
    for (int k = 0; k < g; k++) {
        double by_pair = 0, lost_pair = 0, by_route = 0, lost_route = 0;
        for (size_t ij = 0; ij < nn; ij++) {
            by_pair += s->flow[ij * g + k];
            lost_pair += s->interdicted[ij * g + k];
        }
        for (int r = 0; r < s->p->n_routes; r++) {
            by_route += s->route_flow[(size_t)r * g + k];
            lost_route += s->route_interdicted[(size_t)r * g + k];
        }
        if (inv_rel(by_route, by_pair) > 1e-9)
            return inv_fail(why, len, "good %d: routes carried %.17g, pairs %.17g",
                            k, by_route, by_pair);
        if (inv_rel(lost_route, lost_pair) > 1e-9)
            return inv_fail(why, len, "good %d: routes lost %.17g, pairs %.17g", k,
                            lost_route, lost_pair);
    }
    return 0;
}

/* An extra check after each step (0, or -1 with a reason). */
typedef int (*inv_hook)(const model_state *s, void *ctx, char *why, size_t len);

/* Run p to its horizon from `seed`, checking every step (and `hook`, if
 * any).  On success 0, and *final (if given) is the last state, which the
 * caller frees.  On failure -1 with "month T: reason" in why. */
static inline int inv_run(const model_params *p, unsigned long seed, inv_hook hook,
                          void *ctx, model_state **final, char *why, size_t len)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    model_state *s = model_alloc(p);
    size_t ng = s ? (size_t)s->n * s->g : 0;
    double *prev = malloc((ng + 1) * sizeof *prev);
    int rc = 0;
    if (final)
        *final = NULL;
    if (!r || !s || !prev) {
        rc = inv_fail(why, len, "out of memory");
        goto done;
    }
    gsl_rng_set(r, seed);
    for (int t = 0; t < p->g.months && rc == 0; t++) {
        char reason[1024];
        memcpy(prev, s->stock, ng * sizeof *prev);
        model_step(s, r);
        if (s->t != t)
            rc = inv_fail(reason, sizeof reason, "step counter %d", s->t);
        if (rc == 0)
            rc = inv_check_step(s, prev, reason, sizeof reason);
        if (rc == 0 && hook)
            rc = hook(s, ctx, reason, sizeof reason);
        if (rc)
            inv_fail(why, len, "month %d: %s", t, reason);
    }
done:
    free(prev);
    gsl_rng_free(r);
    if (rc == 0 && final)
        *final = s;
    else
        model_free(s);
    return rc;
}

#endif
