/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * production.c - phase 3 (production) and phase 8 (consumption): what is
 * made, from which capacity, inputs and money, and what is used.
 *
 * Production of good k by agent i in a month:
 *   K      capacity, after the strikes still unrepaired (share D out)
 *   pot  = K (1 - D) (1 - phi * controls_i * western_dep_ik)
 *   inputs: military producers draw on the input stock first (the
 *          military's own final use of the input, chips for missiles,
 *          radios ..., left them their share in phase 8); civilian
 *          producers get the rest; a shortage scales output down in
 *          proportion
 *   money: a military good costs its unit cost (learning curve) plus
 *          the licence share paid to the licensor; when the war money of
 *          the month is short, all military output is scaled down alike
 * Capacity grows only from the pipeline (budget.c pays into it).
 */
#include "internal.h"

#include <math.h>
#include <string.h>

#include <gsl/gsl_randist.h>

/* Strikes: a Poisson number per month, each taking out an exponential
 * share of capacity (mean disruption_size) until repaired; repair takes
 * a Poisson number of months (mean disruption_months, at least one). */
static void strikes(model_state *s, int i, int k, gsl_rng *r)
{
    const agent_good_params *ag = &s->p->ag[IX_AG(s, i, k)];
    size_t ik = IX_AG(s, i, k);
    if (s->disrupt_left[ik] > 0.0 && --s->disrupt_left[ik] <= 0.0) {
        s->disrupted[ik] = 0.0;
        s->disrupt_left[ik] = 0.0;
    }
    if (ag->disruption_rate <= 0.0 || s->capacity[ik] <= 0.0)
        return;
    unsigned int hits = gsl_ran_poisson(r, ag->disruption_rate);
    double before = s->disrupted[ik];
    for (unsigned int h = 0; h < hits; h++) {
        double share = fmin(1.0, gsl_ran_exponential(r, ag->disruption_size));
        double months = 1.0 + gsl_ran_poisson(r, pos(ag->disruption_months - 1.0));
        s->disrupted[ik] = 1.0 - (1.0 - s->disrupted[ik]) * (1.0 - share);
        if (months > s->disrupt_left[ik])
            s->disrupt_left[ik] = months;
    }
    if (hits > 0) /* one entry a month: the share of capacity the strikes took */
        model_log(s, EV_STRIKE, i, -1, s->disrupted[ik] - before, s->p->goods[k].name);
}

/* Share of the unit cost of i's military good k still paid to licensors,
 * and the Wright factor of the learning curve (both fall with output). */
static double learning_factor(const model_state *s, size_t ik)
{
    const agent_good_params *ag = &s->p->ag[ik];
    if (ag->learning >= 1.0 || ag->experience <= 0.0 ||
        s->cum_output[ik] <= ag->experience)
        return 1.0; /* never dearer than at the start */
    return pow(s->cum_output[ik] / ag->experience, log2(ag->learning));
}

void model_phase_production(model_state *s, gsl_rng *r)
{
    const model_params *p = s->p;
    int n = s->n, g = s->g;
    int slot = s->t % MODEL_PIPE_MONTHS;
    budget_allow(s);
    for (int i = 0; i < n; i++) {
        double controls = p->agents[i].controls;
        for (int k = 0; k < g; k++) {
            size_t ik = IX_AG(s, i, k);
            double due = s->pipe[ik * MODEL_PIPE_MONTHS + (size_t)slot];
            s->pipe[ik * MODEL_PIPE_MONTHS + (size_t)slot] = 0.0;
            s->capacity[ik] += due;
            s->pipe_total[ik] = pos(s->pipe_total[ik] - due);
            strikes(s, i, k, r);
            s->consumption[ik] = 0.0;
            s->duds[ik] = 0.0;
            s->shut_in[ik] = 0.0;
            double phi = p->goods[k].sensitivity;
            s->w_pot[ik] = s->capacity[ik] * (1.0 - s->disrupted[ik]) *
                           pos(1.0 - phi * controls * p->ag[ik].western_dep);
        }
        /* Inputs come from the stock held at the start of the month:
         * military producers first (the military's own use of the input
         * left them their share in phase 8), civilian producers get what
         * is left; a shortage scales output down in proportion. */
        for (int in = 0; in < g; in++) {
            double mil = 0.0, civ = 0.0;
            for (int k = 0; k < g; k++)
                if (p->input_good[k] == in) {
                    double need = s->w_pot[IX_AG(s, i, k)] * p->goods[k].input_per_unit;
                    if (p->goods[k].military != 0.0)
                        mil += need;
                    else
                        civ += need;
                }
            if (mil + civ <= 0.0)
                continue;
            double have = s->stock[IX_AG(s, i, in)];
            double fill_mil = mil > 0.0 ? fmin(1.0, have / mil) : 1.0;
            double left = pos(have - mil * fill_mil);
            double fill_civ = civ > 0.0 ? fmin(1.0, left / civ) : 1.0;
            for (int k = 0; k < g; k++)
                if (p->input_good[k] == in)
                    s->w_pot[IX_AG(s, i, k)] *=
                        p->goods[k].military != 0.0 ? fill_mil : fill_civ;
        }
        /* Money: military output costs its unit cost, paid from the war
         * money of the month; a state that can afford only part of its
         * plans cuts all of them alike, military output too. */
        double cost = 0.0;
        for (int k = 0; k < g; k++) {
            size_t ik = IX_AG(s, i, k);
            if (p->goods[k].military == 0.0 || s->w_pot[ik] <= 0.0)
                continue;
            s->unit_cost[ik] = p->ag[ik].unit_cost * learning_factor(s, ik);
            cost += s->w_pot[ik] * s->unit_cost[ik];
        }
        double scale = s->war_allow[i];
        if (cost * scale > s->w_money[i])
            scale = s->w_money[i] / cost;
        for (int k = 0; k < g; k++) {
            size_t ik = IX_AG(s, i, k);
            double q = s->w_pot[ik];
            if (p->goods[k].military != 0.0 && q > 0.0) {
                q *= scale;
                double bill = q * s->unit_cost[ik];
                s->w_money[i] -= bill;
                s->war_spent[i] += bill;
                /* the licensors' share of the bill (kits not localised) */
                double lf = learning_factor(s, ik);
                for (int j = 0; j < n; j++) {
                    double share = p->aa[IX_AP(s, i, j)].licence * lf;
                    if (share > 0.0 && j != i) {
                        s->revenue[j] += bill * share;
                        s->received[j] += bill * share;
                        s->paid[i] += bill * share;
                    }
                }
            }
            /* the inputs of what is made, and no more */
            int in = p->input_good[k];
            if (in >= 0 && q > 0.0) {
                size_t iin = IX_AG(s, i, in);
                double used = fmin(q * p->goods[k].input_per_unit, s->stock[iin]);
                s->stock[iin] -= used;
                s->consumption[iin] += used;
            }
            s->production[ik] = q;
            s->stock[ik] += q;
            s->cum_output[ik] += q;
        }
        if (s->w_money[i] < 0.0)
            s->w_money[i] = 0.0; /* rounding */
    }
}

/* ---- phase 8: consumption ------------------------------------------------ */

/* War demand first, rationed by stock cover: an army short of stock uses
 * less before it runs dry; civilian demand gets what is left. */
void model_phase_consumption(model_state *s)
{
    const model_params *p = s->p;
    int n = s->n, g = s->g;
    for (int i = 0; i < n; i++)
        for (int k = 0; k < g; k++) {
            size_t ik = IX_AG(s, i, k);
            const good_params *gp = &p->goods[k];
            double S = s->stock[ik], dw = s->war_demand[ik];
            /* an input of military goods is shared in proportion between
             * the military's own use and next month's military output */
            double feed = 0.0;
            for (int o = 0; o < g; o++)
                if (p->input_good[o] == k && p->goods[o].military != 0.0)
                    feed += s->capacity[IX_AG(s, i, o)] *
                            (1.0 - s->disrupted[IX_AG(s, i, o)]) *
                            p->goods[o].input_per_unit;
            if (feed > 0.0 && dw > 0.0)
                S *= dw / (dw + feed);
            double kept = s->stock[ik] - S;
            double fire = dw < S ? dw : S;
            if (dw > 0.0 && gp->cover > 0.0 && S < gp->cover * dw) {
                double want = dw * pow(S / (gp->cover * dw), gp->ration);
                fire = want < fire ? want : fire;
            }
            S -= fire;
            double dc = p->ag[ik].demand;
            double c = dc < S ? dc : S;
            s->fire[ik] = fire;
            s->consumption[ik] += fire + c;
            s->shortfall[ik] = (dw - fire) + (dc - c);
            s->stock[ik] = S - c + kept;
        }
}
