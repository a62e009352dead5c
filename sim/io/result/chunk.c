/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * chunk.c - blocks of runs: every record variable is chunked by the same
 * B whole runs (one scenario per chunk), so a block of B runs is one
 * chunk of each variable.  Its records are compressed with libdeflate (the
 * zlib stream HDF5's deflate filter reads) and written as they are with
 * H5Dwrite_chunk: no read-back, conversion, cache or zlib set-up per
 * dataset.  A sweep fills, packs and writes its blocks itself (the
 * output_block API); the writer's output_write_run fills blocks of its own
 * ("pending" blocks) and writes each when its last run is in, or at close.
 */
#include "io/result/internal.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libdeflate.h>

/* libdeflate's level: its level 2 is faster than its level 1 on these
 * data, and as small */
#define BLOCK_DEFLATE_LEVEL 2
/* Blocks the writer fills at once before it writes the oldest as it is
 * (the runs of that block that come later go through HDF5's filter) */
#define PENDING_MAX 32

int output_block_runs(const output *o)
{
    return o && !o->scen_dim ? o->block : 0;
}

void block_drop_events(output_block *b)
{
    for (size_t e = 0; e < b->n_ev; e++)
        free((char *)b->ev[e].ev.label);
    b->n_ev = 0;
}

void output_block_free(output_block *b)
{
    if (!b)
        return;
    block_drop_events(b);
    for (size_t v = 0; v < N_VARS; v++) {
        free(b->data[v]);
        free(b->packed[v]);
    }
    free(b->filled);
    free(b->seeds);
    free(b->points);
    free(b->values);
    free(b->ev);
    if (b->z)
        libdeflate_free_compressor(b->z);
    free(b);
}

output_block *block_alloc_for(const output *o)
{
    if (!o || o->block < 1)
        return NULL;
    output_block *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    b->runs = o->block;
    b->n = o->n;
    b->g = o->g;
    b->nr = o->nr;
    b->n_rec = o->n_rec;
    b->every = o->every;
    b->n_runs = o->n_runs;
    b->n_params = o->n_params;
    size_t runs = (size_t)b->runs;
    int bad = !(b->filled = calloc(runs, 1)) ||
              !(b->seeds = calloc(runs, sizeof *b->seeds)) ||
              !(b->points = calloc(runs, sizeof *b->points)) ||
              !(b->values = calloc(runs * (size_t)(b->n_params + 1), sizeof *b->values)) ||
              !(b->z = libdeflate_alloc_compressor(BLOCK_DEFLATE_LEVEL));
    for (size_t v = 0; !bad && v < N_VARS; v++) {
        if (!(b->selected[v] = o->selected[v]))
            continue;
        b->per_run[v] = (size_t)o->n_rec * o->inner[v];
        size_t bytes = runs * b->per_run[v] * sizeof(double);
        b->packed_cap[v] = libdeflate_zlib_compress_bound(b->z, bytes);
        bad = !(b->data[v] = malloc(bytes)) ||
              !(b->packed[v] = malloc(b->packed_cap[v]));
    }
    if (bad) {
        output_block_free(b);
        return NULL;
    }
    block_start_scen(b, 0, 0);
    return b;
}

output_block *output_block_alloc(const output *o)
{
    return output_block_runs(o) < 1 ? NULL : block_alloc_for(o);
}

void block_start_scen(output_block *b, int scen, int index)
{
    if (!b)
        return;
    block_drop_events(b);
    b->scen = scen;
    b->index = index;
    b->first = index * b->runs;
    b->count = b->n_runs - b->first < b->runs ? b->n_runs - b->first : b->runs;
    if (b->count < 0)
        b->count = 0;
    memset(b->filled, 0, (size_t)b->runs);
    b->n_filled = 0;
    b->err[0] = '\0';
}

void output_block_start(output_block *b, int index)
{
    block_start_scen(b, 0, index);
}

int output_block_index(const output_block *b) { return b ? b->index : -1; }

int output_block_filled(const output_block *b) { return b ? b->n_filled : 0; }

const char *output_block_error(const output_block *b)
{
    return b ? b->err : "no block";
}

int block_put_info(output_block *b, int slot, unsigned long seed,
                   const model_event *ev, int n_ev, int point,
                   const double *values)
{
    size_t n = n_ev > 0 ? (size_t)n_ev : 0;
    if (kept_room(&b->ev, &b->cap_ev, b->n_ev + n) < 0)
        return -1;
    for (size_t e = 0; e < n; e++) {
        kept_event *k = &b->ev[b->n_ev];
        k->ev = ev[e];
        k->scen = b->scen;
        k->run = b->first + slot;
        k->seq = e;
        if (ev[e].label && !(k->ev.label = strdup(ev[e].label)))
            return -1;
        b->n_ev++;
    }
    b->seeds[slot] = seed;
    b->points[slot] = point;
    if (b->n_params > 0 && values)
        memcpy(b->values + (size_t)slot * (size_t)b->n_params, values,
               (size_t)b->n_params * sizeof *values);
    b->filled[slot] = 1;
    b->n_filled++;
    return 0;
}

/* Is r a run buffer of b's geometry? */
static const char *run_mismatch(const output_block *b, const output_run *r)
{
    if (r->n != b->n || r->g != b->g || r->nr != b->nr ||
        r->n_rec != b->n_rec || r->every != b->every)
        return "the run buffer was made for another file";
    for (size_t v = 0; v < N_VARS; v++)
        if (b->selected[v] != (r->buf[v] != NULL) ||
            (r->buf[v] && r->n_rec * r->inner[v] != b->per_run[v]))
            return "the run buffer was made for another file";
    return NULL;
}

static void put_records(output_block *b, int slot, const output_run *r)
{
    for (size_t v = 0; v < N_VARS; v++)
        if (b->selected[v])
            memcpy(b->data[v] + (size_t)slot * b->per_run[v], r->buf[v],
                   b->per_run[v] * sizeof(double));
}

int output_block_put(output_block *b, int run, unsigned long seed,
                     const output_run *r, const model_event *ev, int n_ev,
                     int point, const double *values)
{
    if (!b || !r)
        return -1;
    int slot = run - b->first;
    const char *why = slot < 0 || slot >= b->count ? "it is not in the block"
                      : b->filled[slot]            ? "it is in the block already"
                      : n_ev < 0 || (n_ev > 0 && !ev) ? "bad event list"
                                                      : run_mismatch(b, r);
    if (why) {
        snprintf(b->err, sizeof b->err, "cannot put run %d in block %d: %s", run,
                 b->index, why);
        return -1;
    }
    put_records(b, slot, r);
    if (block_put_info(b, slot, seed, ev, n_ev, point, values) < 0) {
        snprintf(b->err, sizeof b->err, "cannot put run %d in block %d: out of "
                 "memory for its events", run, b->index);
        return -1;
    }
    return 0;
}

int output_block_pack(output_block *b)
{
    if (!b)
        return -1;
    for (size_t v = 0; v < N_VARS; v++) {
        if (!b->selected[v])
            continue;
        for (int slot = 0; slot < b->runs; slot++) /* the file's fill value */
            if (!b->filled[slot]) {
                double *d = b->data[v] + (size_t)slot * b->per_run[v];
                for (size_t e = 0; e < b->per_run[v]; e++)
                    d[e] = NAN;
            }
        size_t bytes = (size_t)b->runs * b->per_run[v] * sizeof(double);
        b->packed_len[v] = libdeflate_zlib_compress(b->z, b->data[v], bytes,
                                                    b->packed[v], b->packed_cap[v]);
        if (b->packed_len[v] == 0) { /* cannot happen with the bound's room */
            snprintf(b->err, sizeof b->err, "cannot compress block %d",
                     b->index);
            return -1;
        }
    }
    return 0;
}

/* Write `n` values of a per-run dataset from slot `s` of the block. */
static int block_slab(output *o, hid_t ds, const char *name, int rank,
                      int run, int count, int n_params, hid_t mtype,
                      const void *buf)
{
    hsize_t start[2] = {(hsize_t)run, 0}, n[2] = {(hsize_t)count, (hsize_t)n_params};
    return writer_write_slab(o, ds, name, rank, start, n, mtype, buf);
}

/* The packed chunks, then the filled runs' seeds and (with points, a
 * sweep's block) their points and parameter values. */
static int write_data(output *o, output_block *b, int with_points)
{
    hsize_t offset[MAX_RANK] = {(hsize_t)b->first, 0};
    if (o->scen_dim)
        offset[1] = (hsize_t)b->scen;
    for (size_t v = 0; v < N_VARS; v++)
        if (b->selected[v] && b->n_filled > 0 &&
            H5Dwrite_chunk(o->var[v], H5P_DEFAULT, 0, offset, b->packed_len[v],
                           b->packed[v]) < 0)
            return writer_fail(o, "cannot write %s of '%s'", o->what,
                               state_vars[v].name);
    for (int s = 0; s < b->count;) {
        if (!b->filled[s]) {
            s++;
            continue;
        }
        int e = s;
        while (e < b->count && b->filled[e])
            e++;
        int run = b->first + s, n = e - s;
        if (block_slab(o, o->seed, "seed", 1, run, n, 1, H5T_NATIVE_ULLONG,
                       b->seeds + s) < 0 ||
            (with_points && o->n_params > 0 &&
             (block_slab(o, o->point, "point", 1, run, n, 1, H5T_NATIVE_INT,
                         b->points + s) < 0 ||
              block_slab(o, o->param_value, "param_value", 2, run, n, o->n_params,
                         H5T_NATIVE_DOUBLE,
                         b->values + (size_t)s * (size_t)o->n_params) < 0)))
            return -1;
        s = e;
    }
    o->blk_state[(size_t)b->scen * (size_t)o->n_blocks + (size_t)b->index] = 2;
    return 0;
}

int block_write_data(output *o, output_block *b)
{
    return write_data(o, b, 1);
}

/* Why block b cannot go to o, or NULL. */
static const char *block_refused(const output *o, const output_block *b)
{
    if (o->file < 0)
        return "the file is closed";
    if (output_block_runs(o) != b->runs || b->n != o->n || b->g != o->g ||
        b->nr != o->nr || b->n_rec != o->n_rec || b->n_runs != o->n_runs ||
        b->n_params != o->n_params)
        return "the block was made for another file";
    for (size_t v = 0; v < N_VARS; v++)
        if (b->selected[v] != o->selected[v])
            return "the block was made for another file";
    if (b->count < 1 || b->index >= o->n_blocks)
        return "the block is past the last run";
    if (o->blk_state[b->index] != 0)
        return "runs of this block were written already";
    for (int s = 0; s < b->count; s++)
        if (b->filled[s] && o->written[b->first + s])
            return "one of its runs was written already";
    return NULL;
}

int output_write_block(output *o, output_block *b)
{
    if (!o || !b)
        return -1;
    (void)H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    snprintf(o->what, sizeof o->what, "runs %d to %d", b->first,
             b->first + b->count - 1);
    if (writer_room(o) < 0)
        return -1;
    const char *why = block_refused(o, b);
    if (why) {
        snprintf(o->err, sizeof o->err, "cannot write %s to %s: %s", o->what,
                 o->path, why);
        return -1;
    }
    if (write_data(o, b, 1) < 0)
        return -1;
    for (int s = 0; s < b->count; s++)
        if (b->filled[s]) {
            o->seeds[b->first + s] = b->seeds[s];
            o->seed_scen[b->first + s] = 0;
            o->written[b->first + s] = 1;
        }
    /* the events, their labels changing owner */
    if (writer_keep_events(o, -1, -1, b->ev, b->n_ev, 0) < 0)
        return -1;
    b->n_ev = 0;
    return writer_advance(o);
}

/* ---- the writer's own blocks ------------------------------------------------ */

static output_block *pending_find(const output *o, int scen, int index)
{
    for (int k = 0; k < o->n_pend; k++)
        if (o->pend[k]->scen == scen && o->pend[k]->index == index)
            return o->pend[k];
    return NULL;
}

/* Pack and write pending block k, and drop it. */
static int pending_write(output *o, int k)
{
    output_block *b = o->pend[k];
    o->pend[k] = o->pend[--o->n_pend];
    snprintf(o->what, sizeof o->what, "runs %d to %d", b->first,
             b->first + b->count - 1);
    int rc = output_block_pack(b) < 0 ? -1 : write_data(o, b, 0);
    if (rc < 0 && b->err[0])
        snprintf(o->err, sizeof o->err, "%s in %s", b->err, o->path);
    if (!o->spare)
        o->spare = b; /* the next block reuses its buffers */
    else
        output_block_free(b);
    return rc;
}

/* A run of a block already in the file: written through HDF5's filter
 * (it reads, completes and rewrites the chunk). */
static int write_direct(output *o, int scen, int slot, unsigned long seed,
                        const output_run *r)
{
    for (size_t v = 0; v < N_VARS; v++) {
        if (o->var[v] < 0)
            continue;
        var_axis ax[VAR_MAX_AXES];
        int n = var_shape_axes(state_vars[v].shape, ax), rank = 0;
        hsize_t start[MAX_RANK] = {0}, count[MAX_RANK];
        start[rank] = (hsize_t)slot;
        count[rank++] = 1;
        if (o->scen_dim) {
            start[rank] = (hsize_t)scen;
            count[rank++] = 1;
        }
        count[rank++] = (hsize_t)o->n_rec;
        for (int a = 0; a < n; a++)
            count[rank++] = (hsize_t)(ax[a] == AXIS_GOOD    ? o->g
                                      : ax[a] == AXIS_ROUTE ? o->nr
                                                            : o->n);
        if (writer_write_slab(o, o->var[v], state_vars[v].name, rank, start,
                              count, H5T_NATIVE_DOUBLE, r->buf[v]) < 0)
            return -1;
    }
    unsigned long long s = seed;
    hsize_t start = (hsize_t)slot, one = 1;
    return writer_write_slab(o, o->seed, "seed", 1, &start, &one,
                             H5T_NATIVE_ULLONG, &s);
}

/* A block of one run, written at once: each variable's records are its
 * chunk, compressed from the run buffer into the scratch buffer and
 * written before the next (no copy of the run, one buffer for all). */
static int write_single(output *o, int scen, int slot, unsigned long seed,
                        const output_run *r)
{
    if (!o->z) {
        size_t most = 0;
        o->z = libdeflate_alloc_compressor(BLOCK_DEFLATE_LEVEL);
        for (size_t v = 0; o->z && v < N_VARS; v++)
            if (o->selected[v]) {
                size_t bound = libdeflate_zlib_compress_bound(
                    o->z, (size_t)o->n_rec * o->inner[v] * sizeof(double));
                most = bound > most ? bound : most;
            }
        o->scratch = o->z ? malloc(most ? most : 1) : NULL;
        o->scratch_cap = most;
        if (!o->z || !o->scratch)
            return writer_fail_sys(o, ENOMEM, "cannot write %s to %s", o->what,
                                   o->path);
    }
    hsize_t offset[MAX_RANK] = {(hsize_t)slot, 0};
    if (o->scen_dim)
        offset[1] = (hsize_t)scen;
    for (size_t v = 0; v < N_VARS; v++) {
        if (!o->selected[v])
            continue;
        size_t bytes = (size_t)o->n_rec * o->inner[v] * sizeof(double);
        size_t n = libdeflate_zlib_compress(o->z, r->buf[v], bytes, o->scratch,
                                            o->scratch_cap);
        if (n == 0)
            return writer_fail_sys(o, ENOSPC, "cannot compress %s for %s",
                                   o->what, o->path);
        if (H5Dwrite_chunk(o->var[v], H5P_DEFAULT, 0, offset, n, o->scratch) < 0)
            return writer_fail(o, "cannot write %s of '%s'", o->what,
                               state_vars[v].name);
    }
    o->blk_state[(size_t)scen * (size_t)o->n_blocks + (size_t)slot] = 2;
    unsigned long long s = seed;
    hsize_t start = (hsize_t)slot, one = 1;
    return writer_write_slab(o, o->seed, "seed", 1, &start, &one,
                             H5T_NATIVE_ULLONG, &s);
}

int pending_put(output *o, int scen, int slot, unsigned long seed,
                const output_run *r)
{
    if (o->block == 1)
        return write_single(o, scen, slot, seed, r);
    int index = slot / o->block;
    unsigned char *state =
        &o->blk_state[(size_t)scen * (size_t)o->n_blocks + (size_t)index];
    if (*state == 2)
        return write_direct(o, scen, slot, seed, r);
    output_block *b = pending_find(o, scen, index);
    if (!b) {
        if (o->n_pend >= PENDING_MAX) { /* the oldest block, as it is */
            int oldest = 0;
            for (int k = 1; k < o->n_pend; k++)
                if (o->pend[k]->scen < o->pend[oldest]->scen ||
                    (o->pend[k]->scen == o->pend[oldest]->scen &&
                     o->pend[k]->index < o->pend[oldest]->index))
                    oldest = k;
            if (pending_write(o, oldest) < 0)
                return -1;
        }
        if (o->n_pend == o->cap_pend) {
            int cap = o->cap_pend ? 2 * o->cap_pend : 8;
            output_block **grown = realloc(o->pend, (size_t)cap * sizeof(output_block *));
            if (!grown)
                return writer_fail_sys(o, ENOMEM, "cannot write %s to %s",
                                       o->what, o->path);
            o->pend = grown;
            o->cap_pend = cap;
        }
        b = o->spare;
        o->spare = NULL;
        if (!b && !(b = block_alloc_for(o)))
            return writer_fail_sys(o, ENOMEM, "cannot write %s to %s", o->what,
                                   o->path);
        block_start_scen(b, scen, index);
        o->pend[o->n_pend++] = b;
        *state = 1;
    }
    int s = slot - b->first;
    put_records(b, s, r);
    b->seeds[s] = seed;
    b->filled[s] = 1;
    b->n_filled++;
    if (b->n_filled < b->count)
        return 0;
    for (int k = 0; k < o->n_pend; k++)
        if (o->pend[k] == b)
            return pending_write(o, k);
    return 0;
}

int pending_flush_all(output *o)
{
    while (o->n_pend > 0)
        if (pending_write(o, o->n_pend - 1) < 0)
            return -1;
    return 0;
}

void pending_free(output *o)
{
    for (int k = 0; k < o->n_pend; k++)
        output_block_free(o->pend[k]);
    output_block_free(o->spare);
    o->spare = NULL;
    if (o->z)
        libdeflate_free_compressor(o->z);
    o->z = NULL;
    free(o->scratch);
    o->scratch = NULL;
    free(o->pend);
    o->pend = NULL;
    o->n_pend = o->cap_pend = 0;
}
