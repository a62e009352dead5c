/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * seedhash.h - seeds and variates hashed from integers (splitmix64), for
 * streams that depend on what they are for and never on scheduling:
 * hash(seed, generation, particle) in calibration, hash(seed, run) for a
 * run's posterior draw.
 */
#ifndef SIM_MODEL_SEEDHASH_H
#define SIM_MODEL_SEEDHASH_H

#include <stdint.h>

/* A hash of h and x: splitmix64(splitmix64(h) ^ x).  Chain it for more. */
uint64_t seed_hash(uint64_t h, uint64_t x);
/* A uniform variate in [0, 1) from a hash (its top 53 bits). */
double seed_uniform(uint64_t h);
/* A 32-bit seed, never 0, for gsl_rng_mt19937 (0 means its default). */
unsigned long seed_fold32(uint64_t h);

#endif
