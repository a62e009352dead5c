/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * copy.c - copying a block of runs from one result file to another as its
 * compressed chunks are (sim merge joining shards and the parts of a
 * sweep): no decompression, no compression.
 */
#include "io/result/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Do the input's dataset and the output's have the same chunks and
 * filters, so that a chunk's bytes may be copied as they are? */
static int same_storage(hid_t in, hid_t out)
{
    hid_t a = H5Dget_create_plist(in), b = H5Dget_create_plist(out);
    hsize_t ca[MAX_RANK], cb[MAX_RANK];
    int same = a >= 0 && b >= 0 && H5Pget_layout(a) == H5D_CHUNKED &&
               H5Pget_layout(b) == H5D_CHUNKED;
    int ra = same ? H5Pget_chunk(a, MAX_RANK, ca) : -1;
    int rb = same ? H5Pget_chunk(b, MAX_RANK, cb) : -1;
    same = same && ra > 0 && ra == rb && memcmp(ca, cb, (size_t)ra * sizeof *ca) == 0;
    int nf = same ? H5Pget_nfilters(a) : -1;
    same = same && nf >= 0 && nf == H5Pget_nfilters(b);
    for (int f = 0; same && f < nf; f++) {
        unsigned fa, fb;
        size_t na = 0, nb = 0;
        H5Z_filter_t ia = H5Pget_filter2(a, (unsigned)f, &fa, &na, NULL, 0, NULL, NULL);
        H5Z_filter_t ib = H5Pget_filter2(b, (unsigned)f, &fb, &nb, NULL, 0, NULL, NULL);
        same = ia >= 0 && ia == ib;
    }
    if (a >= 0)
        H5Pclose(a);
    if (b >= 0)
        H5Pclose(b);
    H5Eclear2(H5E_DEFAULT);
    return same;
}

/* Every run of b's block is done in the input, from slot in_first on, and
 * holds the run the output's slot is for. */
static int block_held(const output *o, output_reader *in, int in_first,
                      const output_block *b)
{
    for (int s = 0; s < b->count; s++) {
        int d = output_reader_run_info(in, in_first + s, NULL, NULL, NULL);
        if (d != 1 || output_reader_run_label(in, in_first + s) !=
                           o->labels[b->first + s])
            return d < 0 ? -1 : 0;
    }
    return 1;
}

int output_copy_block(output *o, output_reader *in, int in_first,
                      const model_params *p, output_block *b, int index)
{
    if (!o || !in || !b)
        return -1;
    output_block_start(b, index);
    int B = o->block;
    if (b->count < 1 || B < 1 || in_first < 0 || in_first % B != 0 ||
        in_first + b->count > output_reader_n_runs(in) ||
        output_reader_n_scenarios(in) > 0)
        return 1;
    int held = block_held(o, in, in_first, b);
    if (held < 0) {
        snprintf(o->err, sizeof o->err, "%s", output_reader_error(in));
        return -1;
    }
    if (!held)
        return 1;
    hsize_t offset[MAX_RANK] = {(hsize_t)in_first};
    for (size_t v = 0; v < N_VARS; v++) {
        if (!b->selected[v])
            continue;
        hid_t ds = reader_var_dataset(in, v);
        if (ds < 0 || !same_storage(ds, o->var[v]))
            return 1;
        hsize_t size = 0;
        uint32_t mask = 0;
        if (H5Dget_chunk_storage_size(ds, offset, &size) < 0 || size == 0) {
            H5Eclear2(H5E_DEFAULT);
            return 1;
        }
        if (size > b->packed_cap[v]) {
            unsigned char *grown = realloc(b->packed[v], (size_t)size);
            if (!grown) {
                snprintf(o->err, sizeof o->err, "cannot copy runs %d to %d "
                         "from %s: out of memory", b->first,
                         b->first + b->count - 1, output_reader_path(in));
                return -1;
            }
            b->packed[v] = grown;
            b->packed_cap[v] = (size_t)size;
        }
        if (H5Dread_chunk(ds, H5P_DEFAULT, offset, &mask, b->packed[v]) < 0) {
            char why[400];
            h5_reason(why, sizeof why);
            snprintf(o->err, sizeof o->err, "cannot read runs %d to %d of '%s' "
                     "from %s: %s", b->first, b->first + b->count - 1,
                     state_vars[v].name, output_reader_path(in), why);
            return -1;
        }
        if (mask != 0)
            return 1; /* a filter was skipped: not our kind of chunk */
        b->packed_len[v] = (size_t)size;
    }
    double *values = b->n_params > 0 ? malloc((size_t)b->n_params * sizeof *values) : NULL;
    if (b->n_params > 0 && !values) {
        snprintf(o->err, sizeof o->err, "cannot copy runs from %s: out of memory",
                 output_reader_path(in));
        return -1;
    }
    int rc = 0;
    for (int s = 0; rc == 0 && s < b->count; s++) {
        unsigned long seed;
        int point, n_ev, slot = in_first + s;
        const model_event *ev;
        if (output_reader_run_info(in, slot, &seed, &point, values) < 0 ||
            output_reader_run(in, p, slot, NULL, &ev, &n_ev) < 0) {
            snprintf(o->err, sizeof o->err, "%s", output_reader_error(in));
            rc = -1;
        } else if (block_put_info(b, s, seed, ev, n_ev, point, values) < 0) {
            snprintf(o->err, sizeof o->err, "cannot copy run %d from %s: out of "
                     "memory", output_reader_run_label(in, slot),
                     output_reader_path(in));
            rc = -1;
        }
    }
    free(values);
    if (rc != 0) {
        block_drop_events(b);
        return rc;
    }
    return output_write_block(o, b) < 0 ? -1 : 0;
}
