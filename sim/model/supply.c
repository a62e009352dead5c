/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * supply.c - who is willing to sell controlled goods, and the transit hubs
 * through which the rest of the world's chips reach sanctioned buyers.
 *
 * Suppliers.  The firms of an exporter that make a controlled good differ
 * in how much enforcement risk they accept: their tolerance is Beta with
 * mean supplier_mu and concentration suppliers.conc.  The risk of selling
 * to buyer j is listing_i * controls_j (the West's enforcement on i's
 * firms times the export controls on j), and the share willing to sell
 * is P(tolerance > risk).  Supply falls gradually and leaks; it does not
 * switch off.  Bank risk is not counted here: it acts through payments.
 *
 * Hubs.  A route whose end a is "world" is a transit hub (Hong Kong
 * distributors, Central Asia, the Caucasus, Turkey, the UAE).  Its
 * capacity per good starts at the route's limit, shrinks each month by
 * shrink * enforcement of it and regrows toward the limit at rate regrow
 * as new shell firms appear.  Its re-exporters are willing like
 * suppliers (mean tolerance suppliers.hub_mu, risk enforcement *
 * controls of the buyer).  A hub carries only the goods given a limit.
 * A buyer fills the need the bloc left from the
 * cheapest hub first (kappa is the hub's markup on the world price).
 */
#include "internal.h"

#include <math.h>

#include <gsl/gsl_cdf.h>

double supply_willing(double risk, double mu, double conc)
{
    if (risk <= 0.0)
        return 1.0;
    if (risk >= 1.0)
        return 0.0;
    return gsl_cdf_beta_Q(risk, mu * conc, (1.0 - mu) * conc);
}

void hubs_update(model_state *s)
{
    const model_params *p = s->p;
    int g = s->g;
    for (int r = 0; r < p->n_routes; r++) {
        const route_params *rt = &p->routes[r];
        if (rt->ia >= 0)
            continue;
        for (int k = 0; k < g; k++) {
            size_t rk = IX_RG(s, r, k);
            double lim = p->rg[rk].limit;
            if (!isfinite(lim)) {
                s->route_cap[rk] = 0.0; /* a hub carries only goods it lists */
                continue;
            }
            double c = s->route_cap[rk];
            c += rt->regrow * (lim - c) - rt->shrink * rt->enforcement * c;
            s->route_cap[rk] = c < 0.0 ? 0.0 : c > lim ? lim : c;
        }
    }
}

void hubs_sell(model_state *s, int j, int k, double *need)
{
    const model_params *p = s->p;
    if (s->hub_first[j] == s->hub_first[j + 1])
        return; /* no hub sells to j */
    int military = p->goods[k].military != 0.0;
    double controls = p->agents[j].controls;
    /* cheapest hub first (ties by index): a few hubs per buyer, so the
     * next one is selected each time after (kappa, index) of the last */
    double last_kappa = -HUGE_VAL;
    int last = -1;
    for (;;) {
        int best = -1;
        for (int h = s->hub_first[j]; h < s->hub_first[j + 1]; h++) {
            int r = s->hub_route[h];
            const route_params *rt = &p->routes[r];
            if (rt->open == 0.0 ||
                !(s->route_cap[IX_RG(s, r, k)] > 0.0))
                continue;
            if (rt->kappa < last_kappa || (rt->kappa == last_kappa && r <= last))
                continue;
            if (best < 0 || rt->kappa < p->routes[best].kappa)
                best = r;
        }
        if (best < 0 || *need <= 0.0)
            return;
        last = best;
        last_kappa = p->routes[best].kappa;
        const route_params *rt = &p->routes[best];
        size_t rk = IX_RG(s, best, k);
        double willing = supply_willing(rt->enforcement * controls, p->g.hub_mu,
                                        p->g.supplier_conc);
        double y = fmin(*need, s->route_cap[rk] * willing - s->route_flow[rk]);
        double unit = s->price[k] * (1.0 + rt->kappa);
        if (military && unit > 0.0)
            y = fmin(y, war_money_abroad(s, j) / unit);
        if (!(y > 0.0))
            continue;
        s->route_flow[rk] += y;
        *need -= y;
        if (military) {
            pay_abroad(s, j, y * unit);
        }
    }
}
