/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * seedhash.c - hashed seeds (see seedhash.h).
 */
#include "seedhash.h"

static uint64_t splitmix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

uint64_t seed_hash(uint64_t h, uint64_t x)
{
    return splitmix64(splitmix64(h) ^ x);
}

double seed_uniform(uint64_t h)
{
    return (double)(h >> 11) * 0x1.0p-53;
}

unsigned long seed_fold32(uint64_t h)
{
    uint32_t folded = (uint32_t)(h ^ (h >> 32));
    return folded ? folded : 1u;
}
