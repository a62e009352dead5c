/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * relations.c - phases 10 to 12: relations between states, the bloc's
 * cohesion and its membership.
 *
 * Affinity A of a pair moves each month by
 *   eta * (b_threat sqrt(s_i s_j) + b_dep D + b_fill F - b_rivalry R
 *          - b_comp C - b_cancel X - gamma (A - A0)) + N(0, sigma_a),
 * clipped to [0,1]: D interdependence (EWMA of the pair's trade over the
 * smaller GDP plus that trade), F reciprocity (share of each side's need, by value, the
 * other filled: what was paid for and delivered), C export competition,
 * X the share of the pair's trade cancelled by failed payments.  The pull
 * to the baseline A0 has a half-life of ln 2 / (eta * gamma) months, so
 * sustained drivers move affinity far from it.  Rivalry is an OU process
 * toward its base with Poisson flare-ups; when it passes crisis_threshold
 * the pair enters a crisis for a Poisson number of months (mean
 * crisis_months): controlled goods stop between them and affinity falls
 * by crisis_hit a month.
 *
 * Cohesion over the members: the mean affinity; the algebraic
 * connectivity (second-smallest Laplacian eigenvalue over the member
 * count) of the cooperation graph, whose weights are affinity times the
 * pair's ties min(1, sqrt(D / tie_full)), so two members that never trade
 * are weakly linked; and the share of intra-bloc trade value that touches
 * the busiest member.
 *
 * Membership by utility with hysteresis:
 *   U_i = w_affinity * (GDP-weighted mean affinity to the other members)
 *       + w_trade * (share of its needs the members filled)
 *       + w_threat * s_i - w_exposure * secondary_i
 *       - w_crisis * (GDP share of members it is in crisis with).
 * A candidate joins when U >= join_utility for join_months; a member
 * leaves when U < leave_utility for leave_months.
 */
#include "internal.h"

#include <math.h>
#include <string.h>

#include <gsl/gsl_eigen.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_sort_vector.h>

/* Overlap of two exporters' sales to the same buyers, good by good, over
 * their mean bloc export value.  Sparse: only sellers with a flow to a
 * buyer are paired. */
static void update_competition(model_state *s)
{
    int n = s->n, g = s->g;
    double *E = s->w_eval;
    int *sellers = s->w_members;
    for (int i = 0; i < n; i++) {
        E[i] = 0.0;
        for (int j = 0; j < n; j++)
            for (int k = 0; k < g; k++)
                E[i] += s->flow[IX_APG(s, i, j, k)] * s->price[k];
    }
    memset(s->competition, 0, (size_t)n * n * sizeof *s->competition);
    for (int b = 0; b < n; b++)
        for (int k = 0; k < g; k++) {
            int m = 0;
            for (int i = 0; i < n; i++)
                if (s->flow[IX_APG(s, i, b, k)] > 0.0)
                    sellers[m++] = i;
            for (int x = 0; x < m; x++)
                for (int y = x + 1; y < m; y++) {
                    double fx = s->flow[IX_APG(s, sellers[x], b, k)];
                    double fy = s->flow[IX_APG(s, sellers[y], b, k)];
                    s->competition[IX_AP(s, sellers[x], sellers[y])] +=
                        (fx < fy ? fx : fy) * s->price[k];
                }
        }
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++) {
            double overlap = s->competition[IX_AP(s, i, j)];
            double c = overlap > 0.0 ? clamp01(overlap / (0.5 * (E[i] + E[j]))) : 0.0;
            s->competition[IX_AP(s, i, j)] = s->competition[IX_AP(s, j, i)] = c;
        }
}

/* Share of i's need (by value) that j filled this step. */
static void update_fill(model_state *s)
{
    int n = s->n, g = s->g;
    for (int i = 0; i < n; i++) {
        double need = 0.0;
        for (int k = 0; k < g; k++)
            need += s->w_need0[IX_AG(s, i, k)] * s->price[k];
        for (int j = 0; j < n; j++) {
            double got = 0.0;
            if (need > 0.0 && j != i)
                for (int k = 0; k < g; k++)
                    got += s->flow[IX_APG(s, j, i, k)] * s->price[k];
            s->fill[IX_AP(s, i, j)] = need > 0.0 ? clamp01(got / need) : 0.0;
        }
    }
}

void model_phase_relations(model_state *s, gsl_rng *r)
{
    const model_params *p = s->p;
    const global_params *gp = &p->g;
    int n = s->n;
    update_competition(s);
    update_fill(s);
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++) {
            size_t ij = IX_AP(s, i, j), ji = IX_AP(s, j, i);
            const pair_params *pp = &p->pairs[ij];
            double done = s->trade_value[ij] + s->trade_value[ji] +
                          s->civilian_trade[ij] + s->civilian_trade[ji];
            double failed = s->cancelled[ij] + s->cancelled[ji];
            /* the pair's trade as a share of the smaller economy, that
             * trade included: below 1 even as an economy shrinks to 0 */
            double ymin = fmin(s->gdp[i], s->gdp[j]);
            double dnew = done > 0.0 ? done / (ymin + done) : 0.0;
            double D = (1.0 - gp->dep_ewma) * s->dependence[ij] + gp->dep_ewma * dnew;
            s->dependence[ij] = s->dependence[ji] = D;
            double H = sqrt(s->sanctions[i] * s->sanctions[j]);
            double F = 0.5 * (s->fill[ij] + s->fill[ji]);
            double X = done + failed > 0.0 ? failed / (done + failed) : 0.0;
            double A = s->affinity[ij], R = s->rivalry[ij];
            double dA = gp->eta * (gp->b_threat * H + gp->b_dep * D +
                                   gp->b_fill * F - gp->b_rivalry * R -
                                   gp->b_comp * s->competition[ij] -
                                   gp->b_cancel * X -
                                   gp->gamma * (A - pp->affinity_base));
            if (s->crisis[ij] != 0.0)
                dA -= gp->crisis_hit;
            if (gp->sigma_a > 0.0)
                dA += gsl_ran_gaussian_ziggurat(r, gp->sigma_a);
            s->affinity[ij] = s->affinity[ji] = clamp01(A + dA);

            double dR = gp->rivalry_theta * (pp->rivalry_base - R);
            if (gp->rivalry_sigma > 0.0)
                dR += gsl_ran_gaussian_ziggurat(r, gp->rivalry_sigma);
            if (pp->flare_rate > 0.0) {
                unsigned int k = gsl_ran_poisson(r, pp->flare_rate);
                if (k > 0) {
                    dR += k * pp->flare_size;
                    model_log(s, EV_INCIDENT, i, j, k * pp->flare_size, "");
                }
            }
            R = clamp01(R + dR);
            s->rivalry[ij] = s->rivalry[ji] = R;

            /* crises: entered above the threshold, ended by time */
            double left = s->crisis_left[ij];
            if (left > 0.0)
                left -= 1.0;
            else if (R > gp->crisis_threshold && gp->crisis_months > 0.0) {
                left = gsl_ran_poisson(r, gp->crisis_months);
                if (left < 1.0)
                    left = 1.0;
                model_log(s, EV_CRISIS, i, j, left, "");
            }
            s->crisis_left[ij] = s->crisis_left[ji] = left;
            s->crisis[ij] = s->crisis[ji] = left > 0.0;
        }
}

/* ---- phase 11: cohesion -------------------------------------------------- */

void model_phase_cohesion(model_state *s)
{
    const global_params *gp = &s->p->g;
    int n = s->n, m = 0;
    int *mem = s->w_members;
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < n; j++) {
            size_t ij = IX_AP(s, i, j);
            double tie = i == j ? 0.0 : fmin(1.0, sqrt(s->dependence[ij] / gp->tie_full));
            s->cooperation[ij] = s->affinity[ij] * tie;
        }
        if (s->member[i] != 0.0)
            mem[m++] = i;
    }
    s->cohesion = s->connectivity = s->hub_share = 0.0;
    if (m < 2)
        return;
    double sum = 0.0;
    gsl_matrix_view L = gsl_matrix_view_array(s->w_lap, (size_t)m, (size_t)m);
    gsl_matrix_set_zero(&L.matrix);
    for (int a = 0; a < m; a++)
        for (int b = 0; b < m; b++) {
            if (a == b)
                continue;
            double w = s->cooperation[IX_AP(s, mem[a], mem[b])];
            gsl_matrix_set(&L.matrix, (size_t)a, (size_t)b, -w);
            *gsl_matrix_ptr(&L.matrix, (size_t)a, (size_t)a) += w;
            if (b > a)
                sum += s->affinity[IX_AP(s, mem[a], mem[b])];
        }
    s->cohesion = sum / (0.5 * m * (m - 1));
    gsl_vector_view ev = gsl_vector_view_array(s->w_eval, (size_t)m);
    gsl_eigen_symm(&L.matrix, &ev.vector, s->eig[m]);
    gsl_sort_vector(&ev.vector);
    s->connectivity = clamp01(gsl_vector_get(&ev.vector, 1) / m);

    double total = 0.0, best = 0.0;
    for (int a = 0; a < m; a++) {
        double touch = 0.0;
        for (int b = 0; b < m; b++) {
            if (a == b)
                continue;
            double v = s->trade_value[IX_AP(s, mem[a], mem[b])];
            total += v;
            touch += v + s->trade_value[IX_AP(s, mem[b], mem[a])];
        }
        if (touch > best)
            best = touch;
    }
    s->hub_share = total > 0.0 ? clamp01(best / total) : 0.0;
}

/* ---- phase 12: membership ------------------------------------------------ */

/* The utility agent i sees in membership, against the members mem. */
static double membership_utility(const model_state *s, int i, const int *mem)
{
    const model_params *p = s->p;
    const global_params *gp = &p->g;
    int n = s->n;
    double wa = 0.0, w = 0.0, fill = 0.0, crisis = 0.0;
    for (int j = 0; j < n; j++) {
        if (j == i || !mem[j])
            continue;
        size_t ij = IX_AP(s, i, j);
        wa += s->gdp[j] * s->affinity[ij];
        w += s->gdp[j];
        fill += s->fill[ij];
        crisis += s->crisis[ij] * s->gdp[j];
    }
    if (w <= 0.0)
        return -HUGE_VAL;
    return gp->w_affinity * wa / w + gp->w_trade * fmin(1.0, fill) +
           gp->w_threat * s->sanctions[i] -
           gp->w_exposure * p->agents[i].secondary - gp->w_crisis * crisis / w;
}

void model_phase_membership(model_state *s)
{
    const global_params *gp = &s->p->g;
    int n = s->n;
    for (int i = 0; i < n; i++)
        s->w_members[i] = s->member[i] != 0.0; /* snapshot */
    for (int i = 0; i < n; i++) {
        double u = membership_utility(s, i, s->w_members);
        s->utility[i] = isfinite(u) ? u : 0.0;
        if (!isfinite(u))
            continue; /* no other member */
        if (s->w_members[i]) {
            s->join_count[i] = u < gp->leave_utility ? s->join_count[i] + 1 : 0;
            if (s->join_count[i] >= gp->leave_months) {
                s->member[i] = 0.0;
                s->join_count[i] = 0;
                model_log(s, EV_LEAVE, i, -1, u, "");
            }
            continue;
        }
        s->join_count[i] = u >= gp->join_utility ? s->join_count[i] + 1 : 0;
        if (s->join_count[i] >= gp->join_months) {
            s->member[i] = 1.0;
            s->join_count[i] = 0;
            model_log(s, EV_JOIN, i, -1, u, "");
        }
    }
}
