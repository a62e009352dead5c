/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * oil.c - how a sanctioned seller's oil reaches the world (phases 5-6).
 *
 * Brent (the good's price) less freight and the quality spread (input
 * paths per seller) is the FOB market price Pm.  What the bloc did not buy
 * goes to the world on one of two fleets:
 *   - the compliant fleet (Western-insured), open to a share 1 - embargo
 *     of the buyers, at a price held under the cap as far as the cap is
 *     enforced: Pm - e * max(0, Pm - cap);
 *   - the shadow fleet, up to its capacity Z, at Pm - shadow_cost, taken
 *     by tolerant buyers and by sensitive buyers as long as designations
 *     do not scare them (acceptance 1 - acceptance_loss * designations).
 * The seller's own shadow tankers sail full first; the rest goes on
 * compliant tankers where buyers can take it.  Buyers take the
 * offer O without extra discount up to their absorption A; beyond it
 * the discount rises by absorb_slope * (O/A - 1) of Brent (at most
 * absorb_max), and A moves toward O at rate absorb_adapt (buyers adapt).
 * Buyers who avoid a sanctioned seller (world_avoid) come and go with its
 * broad sanctions: A scales with 1 - world_avoid * s when s changes.
 * What no fleet can carry to a buyer is shut in: output is cut.
 * The revenue the cap took on compliant barrels buys shadow tankers
 * (shadow_invest of it, at shadow_capex per barrel a month, at most
 * shadow_growth_max of the offer a month), and designations sink a share
 * designation_loss * designations of the shadow fleet a month.
 * The seller's discount on bloc sales is the one it gets in the world.
 */
#include "internal.h"

#include <math.h>

void oil_world_sales(model_state *s, int i, int k, double offered)
{
    const model_params *p = s->p;
    const global_params *gp = &p->g;
    const agent_params *a = &p->agents[i];
    size_t ik = IX_AG(s, i, k);
    double brent = s->price[k];
    /* buyers who avoid a sanctioned seller come and go with its sanctions */
    double open = pos(1.0 - p->goods[k].world_avoid * s->sanctions[i]);
    if (s->absorb_open[i] > 0.0 && open != s->absorb_open[i])
        s->absorption[i] *= open / s->absorb_open[i];
    s->absorb_open[i] = open;
    double pm = pos(brent - a->freight - a->quality);
    double over = s->absorption[i] > 0.0 ? pos(offered / s->absorption[i] - 1.0) : 0.0;
    double absorb = fmin(gp->absorb_max, gp->absorb_slope * over) * brent;
    double p_comp = pos(pm - a->cap_enforcement * pos(pm - gp->price_cap) - absorb);
    double p_shad = pos(pm - gp->shadow_cost - absorb);
    double accept = a->tolerant + (1.0 - a->tolerant) *
                                      pos(1.0 - gp->acceptance_loss * a->designations);
    double room_s = fmin(s->shadow_fleet[i], accept * offered);
    double room_c = (1.0 - a->embargo) * offered;
    /* the shadow fleet is owned: it sails full, the rest goes compliant */
    double ys = fmin(offered, room_s);
    double yc = fmin(offered - ys, room_c);
    double sold = ys + yc;
    s->world_exports[ik] = sold;
    s->shadow_share[i] = sold > 0.0 ? ys / sold : 0.0;
    s->discount[ik] = brent > 0.0
                          ? clamp01(1.0 - (sold > 0.0 ? (ys * p_shad + yc * p_comp) / sold
                                                      : fmax(p_shad, p_comp)) /
                                              brent)
                          : 0.0;
    s->lost_to_cap[i] = yc * a->cap_enforcement * pos(pm - gp->price_cap);
    /* what could not be sold is not produced */
    double shut = fmin(pos(offered - sold), s->production[ik]);
    shut = fmin(shut, s->stock[ik]);
    s->shut_in[ik] = shut;
    s->production[ik] -= shut;
    s->stock[ik] -= shut;
    s->cum_output[ik] = pos(s->cum_output[ik] - shut);
    /* buyers adapt toward what is offered */
    s->absorption[i] += gp->absorb_adapt * (offered - s->absorption[i]);
    double grow = fmin(gp->shadow_invest * s->lost_to_cap[i] / gp->shadow_capex,
                       gp->shadow_growth_max * offered);
    double z = s->shadow_fleet[i];
    z += grow - gp->designation_loss * a->designations * z;
    s->shadow_fleet[i] = z > 0.0 ? z : 0.0;
}
