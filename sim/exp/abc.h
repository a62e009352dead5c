/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * abc.h - approximate Bayesian computation by sequential Monte Carlo
 * (ABC-SMC): population Monte Carlo with adaptive tolerances (Beaumont,
 * Cornuet, Marin and Robert 2009; the tolerance schedule of Del Moral,
 * Doucet and Jasra 2012, as a quantile of the last generation's
 * distances).
 *
 * Generation 0 draws N particles from the prior.  Generation t draws each
 * particle by picking a particle of generation t-1 by its weight and
 * moving it with a Gaussian kernel whose covariance is twice the weighted
 * covariance of generation t-1 (GSL Cholesky), until its simulated
 * statistics lie within the tolerance eps_t of the targets; its weight is
 * prior(theta) / sum_j w_j K(theta | theta_j).  eps_t is the alpha-quantile
 * of generation t-1's weighted distances, never below the target
 * tolerance.  With z = (statistic - target) / scale over the statistics
 * with a weight w, the distance is max w|z| (ABC_DISTANCE_MAX: with
 * scales of half a range, a distance of at most 1 puts every statistic in
 * its range) or the root of sum w z^2 / sum w (ABC_DISTANCE_RMS).
 *
 * Reproducible bit for bit for any number of threads or ranks: particle i
 * of generation t uses its own stream, hash(seed, t, i), and its attempt a
 * simulates with the seed hash(seed, t, i, a); results go to slot i and
 * every sum runs over the slots in order.
 */
#ifndef SIM_EXP_ABC_H
#define SIM_EXP_ABC_H

#include <signal.h>
#include <stdint.h>

#include "io/posterior.h"
#include "model/prior.h"

/* Simulate at theta with the model seed `seed` into stats[m].  Called from
 * `jobs` threads at once, each with its own `worker` index.  0, or -1
 * with err (the fit stops). */
typedef int (*abc_simulate_fn)(void *ctx, int worker, const double *theta,
                               uint64_t seed, double *stats, char *err,
                               size_t errlen);

typedef enum { ABC_DISTANCE_MAX, ABC_DISTANCE_RMS } abc_distance_kind;

/* Proposals outside the prior a particle may make per simulation it may
 * run (they cost no simulation). */
#define ABC_OUTSIDE_PER_ATTEMPT 100

typedef enum {
    ABC_RUNNING,          /* more generations to go                       */
    ABC_CONVERGED,        /* the target tolerance reached, ESS sufficient */
    ABC_DEGENERATE,       /* the target reached, but the ESS too small    */
    ABC_STALLED,          /* acceptance too low, or a particle found
                           * nothing acceptable, before the target         */
    ABC_GENERATION_LIMIT, /* max_generations before the target           */
    ABC_INTERRUPTED       /* a signal: resumable                         */
} abc_status;

extern const char *const abc_status_names[];

typedef struct {
    int n_params;
    const prior *priors;          /* [n_params] */
    int n_stats;
    const double *observed;       /* [n_stats] */
    const double *scale;          /* [n_stats], > 0 where weight > 0 */
    const double *weight;         /* [n_stats], >= 0 (0: not in the distance) */
    abc_distance_kind distance;
    abc_simulate_fn simulate;
    void *ctx;
    int particles;                /* N */
    int max_generations;
    double alpha;                 /* quantile for the next tolerance (0 < alpha < 1) */
    double tolerance;             /* the target tolerance */
    double min_acceptance;        /* a generation accepting fewer particles
                                   * per simulation has stalled */
    double min_ess;               /* share of N the last ESS must reach */
    int max_attempts;             /* simulations a particle may use per
                                   * generation */
    uint64_t seed;
    int jobs;                     /* threads */
    /* Ranks (MPI): rank r computes the particles i with i % n_ranks == r;
     * share() then ORs every rank's buffer into every rank's (MPI_BOR on
     * bytes): each slot is filled by one rank, zero elsewhere. */
    int rank, n_ranks;
    int (*share)(void *ctx, unsigned char *buf, size_t bytes);
    void *share_ctx;
    /* After every generation (the history holds it). */
    int (*checkpoint)(void *ctx, const smc_history *h, abc_status st,
                      const char *reason, char *err, size_t errlen);
    void *checkpoint_ctx;
    volatile sig_atomic_t *stop;  /* set by a signal: stop after the
                                   * particles under way (the generation
                                   * is lost, the earlier ones kept) */
    /* Progress (each may be NULL): `done` of this rank's `total`
     * particles of generation g are done (under the generation's lock);
     * a generation was added to the history. */
    void (*on_particle)(void *ctx, int g, long done, long total);
    void (*on_generation)(void *ctx, const smc_history *h);
    void *progress_ctx;
} abc_opts;

/* Distance of stats to the targets (inf when a weighted statistic is not
 * finite). */
double abc_distance(const abc_opts *o, const double *stats);

/* The weighted q-quantile of x[n] (weights w; non-finite x count as +inf). */
double abc_weighted_quantile(const double *x, const double *w, int n, double q);

/* Run generations after those in h (none: a new fit; some: resume) until
 * a stopping rule holds; *status says which and reason why (len bytes).
 * 0, or -1 with err (a simulation or a checkpoint failed). */
int abc_fit(const abc_opts *o, smc_history *h, abc_status *status, char *reason,
            size_t len, char *err, size_t errlen);

/* Stopping rules applied to a history as it stands (ABC_RUNNING: go on). */
abc_status abc_judge(const abc_opts *o, const smc_history *h, char *reason,
                     size_t len);

#endif
