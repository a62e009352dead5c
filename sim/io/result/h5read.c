/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * h5read.c - checked reads of HDF5 files that cannot be trusted (see
 * h5read.h): the result reader's primitives, shared with the posterior
 * reader.
 */
#include "io/result/h5read.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/result/internal.h"

#define CONV_BUFFER ((size_t)64 << 10) /* type conversion buffer of a read */

/* ---- errors ---------------------------------------------------------------------- */

int h5read_fail(h5read_ctx *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err, c->errlen, fmt, ap);
    va_end(ap);
    H5Eclear2(H5E_DEFAULT);
    return -1;
}

int h5read_fail_h5(h5read_ctx *c, const char *fmt, ...)
{
    char what[600], why[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    h5_reason(why, sizeof why);
    snprintf(c->err, c->errlen, "%s: %s", what, why);
    return -1;
}

/* ---- the file -------------------------------------------------------------------- */

hid_t h5read_open(const char *path, hid_t fapl, char *err, size_t errlen)
{
    struct stat st;
    h5read_ctx c = {.path = path, .err = err, .errlen = errlen};
    if (stat(path, &st) != 0) {
        h5read_fail(&c, "cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    if (S_ISDIR(st.st_mode)) {
        h5read_fail(&c, "cannot open %s: %s", path, strerror(EISDIR));
        return -1;
    }
    if (!S_ISREG(st.st_mode)) { /* a FIFO would block, a device be read */
        h5read_fail(&c, "%s is not an HDF5 file (not a regular file)", path);
        return -1;
    }
    htri_t is = H5Fis_hdf5(path);
    if (is < 0 && access(path, R_OK) != 0) {
        h5read_fail(&c, "cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    if (is <= 0) {
        h5read_fail(&c, "%s is not an HDF5 file", path);
        return -1;
    }
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, fapl);
    if (f < 0)
        h5read_fail_h5(&c, "cannot read %s: HDF5 cannot open it (damaged or "
                       "truncated?)", path);
    return f;
}

/* ---- strings of untrusted length ------------------------------------------------- */

/* Variable-length strings are allocated by this, which refuses lengths no
 * label could have: a damaged heap cannot make HDF5 ask for gigabytes.
 * Every block is kept on a list (a header before the string): when a read
 * fails half-way, HDF5 has converted some strings in a buffer of its own
 * that never reaches ours, so H5Dvlen_reclaim could not free them; the
 * list can. */
typedef struct vlen_block {
    struct vlen_block *prev, *next;
    max_align_t align[];
} vlen_block;

static void *capped_alloc(size_t size, void *list)
{
    vlen_block **head = list;
    vlen_block *b = size > H5READ_MAX_STRING ? NULL : malloc(sizeof *b + size);
    if (!b)
        return NULL;
    b->prev = NULL;
    b->next = *head;
    if (*head)
        (*head)->prev = b;
    *head = b;
    return b->align;
}

static void capped_free(void *mem, void *list)
{
    if (!mem)
        return;
    vlen_block **head = list;
    vlen_block *b = (vlen_block *)((char *)mem - offsetof(vlen_block, align));
    if (b->prev)
        b->prev->next = b->next;
    else
        *head = b->next;
    if (b->next)
        b->next->prev = b->prev;
    free(b);
}

void h5read_release(void **pool)
{
    vlen_block **head = (vlen_block **)pool;
    for (vlen_block *b = *head, *next; b; b = next) {
        next = b->next;
        free(b);
    }
    *head = NULL;
}

/* HDF5's default conversion buffer, 1 MiB, is allocated and cleared
 * afresh by every read that converts: a small one instead. */
hid_t h5read_xfer(void **pool)
{
    hid_t x = H5Pcreate(H5P_DATASET_XFER);
    if (x >= 0 &&
        (H5Pset_vlen_mem_manager(x, capped_alloc, pool, capped_free, pool) < 0 ||
         H5Pset_buffer(x, CONV_BUFFER, NULL, NULL) < 0)) {
        H5Pclose(x);
        return -1;
    }
    return x;
}

/* ---- attributes ------------------------------------------------------------------ */

char *h5read_attr_text(hid_t loc, const char *name)
{
    if (H5Aexists(loc, name) <= 0)
        return NULL;
    hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
    hid_t t = a >= 0 ? H5Aget_type(a) : -1;
    hid_t s = a >= 0 ? H5Aget_space(a) : -1;
    char *val = NULL;
    /* one string only: a crafted array would overrun the buffer */
    int one = s >= 0 && (H5Sget_simple_extent_type(s) == H5S_NULL ||
                         H5Sget_simple_extent_npoints(s) == 1);
    if (t >= 0 && s >= 0 && one && H5Tget_class(t) == H5T_STRING) {
        if (H5Sget_simple_extent_type(s) == H5S_NULL) {
            val = strdup("");
        } else if (H5Tis_variable_str(t) > 0) {
            char *v = NULL;
            if (H5Aread(a, t, &v) >= 0 && v)
                val = strdup(v);
            H5free_memory(v);
        } else {
            size_t n = H5Tget_size(t);
            val = n <= H5READ_MAX_STRING ? calloc(n + 1, 1) : NULL;
            if (val && H5Aread(a, t, val) < 0) {
                free(val);
                val = NULL;
            }
        }
    }
    if (s >= 0)
        H5Sclose(s);
    if (t >= 0)
        H5Tclose(t);
    if (a >= 0)
        H5Aclose(a);
    return val;
}

int h5read_attr_number(hid_t loc, const char *name, hid_t mtype, void *val)
{
    if (H5Aexists(loc, name) <= 0)
        return -1;
    hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
    hid_t s = a >= 0 ? H5Aget_space(a) : -1;
    hid_t t = a >= 0 ? H5Aget_type(a) : -1;
    H5T_class_t cl = t >= 0 ? H5Tget_class(t) : H5T_NO_CLASS;
    /* a single number only: an array would overrun val */
    int rc = s >= 0 && H5Sget_simple_extent_npoints(s) == 1 &&
                     (cl == H5T_INTEGER || cl == H5T_FLOAT) &&
                     H5Aread(a, mtype, val) >= 0
                 ? 0
                 : -1;
    if (t >= 0)
        H5Tclose(t);
    if (s >= 0)
        H5Sclose(s);
    if (a >= 0)
        H5Aclose(a);
    return rc;
}

char *h5read_attr_value(hid_t loc, const char *name)
{
    char *val = h5read_attr_text(loc, name);
    if (val)
        return val;
    hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
    hid_t t = a >= 0 ? H5Aget_type(a) : -1;
    H5T_class_t cls = t >= 0 ? H5Tget_class(t) : H5T_NO_CLASS;
    int sign = cls == H5T_INTEGER ? H5Tget_sign(t) != H5T_SGN_NONE : 0;
    if (t >= 0)
        H5Tclose(t);
    if (a >= 0)
        H5Aclose(a);
    char buf[40];
    unsigned long long u;
    long long i;
    double d;
    if (cls == H5T_INTEGER && !sign &&
        h5read_attr_number(loc, name, H5T_NATIVE_ULLONG, &u) == 0)
        snprintf(buf, sizeof buf, "%llu", u);
    else if (cls == H5T_INTEGER && sign &&
             h5read_attr_number(loc, name, H5T_NATIVE_LLONG, &i) == 0)
        snprintf(buf, sizeof buf, "%lld", i);
    else if (cls == H5T_FLOAT &&
             h5read_attr_number(loc, name, H5T_NATIVE_DOUBLE, &d) == 0)
        snprintf(buf, sizeof buf, "%.17g", d);
    else
        return NULL;
    return strdup(buf);
}

/* ---- datasets -------------------------------------------------------------------- */

hid_t h5read_dataset(h5read_ctx *c, hid_t loc, const char *name, int rank,
                     const hsize_t *want, hsize_t *dims)
{
    hsize_t d[H5READ_MAX_RANK];
    if (H5Lexists(loc, name, H5P_DEFAULT) <= 0) {
        h5read_fail(c, "cannot read %s: it has no '%s' variable", c->path, name);
        return -1;
    }
    hid_t ds = H5Dopen2(loc, name, H5P_DEFAULT);
    if (ds < 0) {
        h5read_fail_h5(c, "cannot read '%s' in %s", name, c->path);
        return -1;
    }
    hid_t s = H5Dget_space(ds);
    int ok = s >= 0 && rank >= 0 && rank <= H5READ_MAX_RANK &&
             H5Sget_simple_extent_ndims(s) == rank &&
             H5Sget_simple_extent_dims(s, d, NULL) >= 0;
    for (int a = 0; ok && a < rank; a++) {
        ok = !want || want[a] == 0 || d[a] == want[a];
        if (dims)
            dims[a] = d[a];
    }
    if (s >= 0)
        H5Sclose(s);
    if (!ok) {
        H5Dclose(ds);
        h5read_fail(c, "cannot read %s: '%s' does not have the shape this "
                    "program writes", c->path, name);
        return -1;
    }
    return ds;
}

int h5read_length(h5read_ctx *c, hid_t loc, const char *name, int *ok)
{
    hsize_t n = 0;
    *ok = 1;
    if (H5Lexists(loc, name, H5P_DEFAULT) <= 0)
        return 0;
    hid_t ds = h5read_dataset(c, loc, name, 1, NULL, &n);
    if (ds < 0 || n > INT32_MAX) {
        *ok = 0;
        if (ds >= 0)
            h5read_fail(c, "cannot read %s: '%s' is too long", c->path, name);
    }
    if (ds >= 0)
        H5Dclose(ds);
    return *ok ? (int)n : 0;
}

int h5read_slab(h5read_ctx *c, hid_t ds, const char *name, int rank,
                const hsize_t *start, const hsize_t *count, hid_t mtype,
                void *buf)
{
    hsize_t dims[H5READ_MAX_RANK];
    hid_t fs = H5Dget_space(ds);
    int fits = fs >= 0 && rank >= 1 && rank <= H5READ_MAX_RANK &&
               H5Sget_simple_extent_ndims(fs) == rank &&
               H5Sget_simple_extent_dims(fs, dims, NULL) == rank;
    for (int a = 0; fits && a < rank; a++)
        fits = start[a] <= dims[a] && count[a] <= dims[a] - start[a];
    if (!fits) {
        if (fs >= 0)
            H5Sclose(fs);
        return h5read_fail(c, "cannot read '%s' in %s: the part asked for is "
                           "not in it", name, c->path);
    }
    hid_t ms = H5Screate_simple(rank, count, NULL);
    int rc = 0;
    if (ms < 0 ||
        H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL) < 0 ||
        H5Dread(ds, mtype, ms, fs, c->xfer, buf) < 0)
        rc = h5read_fail_h5(c, "cannot read '%s' in %s", name, c->path);
    H5Sclose(fs);
    if (ms >= 0)
        H5Sclose(ms);
    return rc;
}

int h5read_is_vstring(hid_t ds)
{
    hid_t t = H5Dget_type(ds);
    int ok = t >= 0 && H5Tget_class(t) == H5T_STRING && H5Tis_variable_str(t) > 0;
    if (t >= 0)
        H5Tclose(t);
    return ok;
}

char **h5read_strings(h5read_ctx *c, hid_t loc, const char *name, size_t n)
{
    hsize_t want = (hsize_t)n, zero = 0;
    if (n > H5READ_MAX_NAMES) {
        h5read_fail(c, "cannot read %s: '%s' has more than %d names", c->path,
                    name, H5READ_MAX_NAMES);
        return NULL;
    }
    hid_t ds = h5read_dataset(c, loc, name, 1, &want, NULL);
    if (ds < 0)
        return NULL;
    char **raw = calloc(n ? n : 1, sizeof *raw), **out = NULL;
    hid_t t = h5_string_type(H5T_VARIABLE);
    if (!raw) {
        h5read_fail(c, "cannot read %s: out of memory", c->path);
    } else if (!h5read_is_vstring(ds)) {
        h5read_fail(c, "cannot read %s: '%s' is not a variable of strings",
                    c->path, name);
    } else if (t < 0 ||
               (n > 0 && h5read_slab(c, ds, name, 1, &zero, &want, t, raw) < 0)) {
        if (t < 0)
            h5read_fail_h5(c, "cannot read '%s' in %s", name, c->path);
    } else {
        size_t bytes = n * sizeof *out;
        for (size_t i = 0; i < n; i++)
            bytes += strlen(raw[i] ? raw[i] : "") + 1;
        out = malloc(bytes ? bytes : 1);
        if (out) {
            char *at = (char *)(out + n);
            for (size_t i = 0; i < n; i++) {
                size_t len = strlen(raw[i] ? raw[i] : "");
                memcpy(at, raw[i] ? raw[i] : "", len + 1);
                out[i] = at;
                at += len + 1;
            }
        } else {
            h5read_fail(c, "cannot read %s: out of memory", c->path);
        }
    }
    h5read_release(c->pool); /* the strings read, or left by a failure */
    if (t >= 0)
        H5Tclose(t);
    H5Dclose(ds);
    free(raw);
    return out;
}
