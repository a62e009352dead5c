/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * h5read.h - checked reads of HDF5 files that cannot be trusted: the
 * primitives of the result reader (reader.h), shared with the other files
 * the program reads back (the posteriors of `sim calibrate`,
 * io/posterior.c).
 *
 * Every object is looked up by name (iterating over the links or
 * attributes of a damaged file crashes libhdf5 1.10); the rank and sizes
 * of a dataset are checked before it is read, and a slab must lie inside
 * it; variable-length strings are allocated with a cap on their length and
 * kept on a pool, so that a read that fails half-way cannot leak them or
 * ask for gigabytes; no HDF5 identifier is left open.  What HDF5 itself
 * does on a damaged file is out of these hands: the commands read in a
 * guarded child process first (cmd/guard.c).
 *
 *   void *pool = NULL;
 *   h5read_ctx c = {.path = path, .err = err, .errlen = sizeof err,
 *                   .xfer = h5read_xfer(&pool), .pool = &pool};
 *   hid_t f = h5read_open(path, H5P_DEFAULT, err, sizeof err);
 *   ... h5read_length(&c, f, "param", &ok), h5read_strings(&c, f, ...),
 *       h5read_dataset(&c, f, ...) and h5read_slab(&c, ds, ...) ...
 *   H5Fclose(f); H5Pclose(c.xfer); h5read_release(&pool);
 */
#ifndef SIM_IO_RESULT_H5READ_H
#define SIM_IO_RESULT_H5READ_H

#include <stddef.h>

#include <hdf5.h>

#define H5READ_MAX_RANK 6
#define H5READ_MAX_STRING (1u << 20) /* bytes of one string */
#define H5READ_MAX_NAMES 100000      /* strings of one dataset */

/* Where errors go: one line naming the object and the file `path`. */
typedef struct {
    const char *path;
    char *err;
    size_t errlen;
    hid_t xfer;  /* from h5read_xfer(pool) */
    void **pool; /* its strings */
} h5read_ctx;

/* Format into c->err, clear the HDF5 error stack; -1. */
int h5read_fail(h5read_ctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* "<what>: <HDF5's reason>" into c->err; -1. */
int h5read_fail_h5(h5read_ctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Open `path` read-only when it is a regular HDF5 file (fapl may be
 * H5P_DEFAULT).  -1 with one line in err: missing, a directory or another
 * file that is not a regular one (a FIFO, a device), not HDF5, or damaged
 * so that HDF5 cannot open it. */
hid_t h5read_open(const char *path, hid_t fapl, char *err, size_t errlen);

/* A transfer list for reads whose variable-length strings are allocated
 * capped (H5READ_MAX_STRING) and kept on *pool (NULL at first), with a
 * small conversion buffer.  -1 on failure. */
hid_t h5read_xfer(void **pool);
/* Free every string on *pool (after the read, whole or failed). */
void h5read_release(void **pool);

/* A text attribute (fixed or variable length, one string) as a new string;
 * "" for a null dataspace; NULL when absent, not one string or unreadable. */
char *h5read_attr_text(hid_t loc, const char *name);
/* A single integer or floating-point attribute, converted to mtype, into
 * val.  0, or -1 when absent, not one number, or unreadable. */
int h5read_attr_number(hid_t loc, const char *name, hid_t mtype, void *val);
/* An attribute as text: a string as it is, a single number printed
 * (integers exactly, floating point with %.17g); NULL when absent or
 * neither. */
char *h5read_attr_value(hid_t loc, const char *name);

/* Dataset `name` in loc, opened when it has rank `rank` and, where
 * want[a] > 0 (want may be NULL), size want[a] on axis a; dims (may be
 * NULL) gets its sizes.  -1 with c->err when absent or of another shape. */
hid_t h5read_dataset(h5read_ctx *c, hid_t loc, const char *name, int rank,
                     const hsize_t *want, hsize_t *dims);
/* Length of the 1-D dataset `name` in loc; 0 when absent; *ok = 0 (with
 * c->err) when it has another rank or more than INT32_MAX elements. */
int h5read_length(h5read_ctx *c, hid_t loc, const char *name, int *ok);
/* Elements [start, start + count) of the open dataset ds of `rank` axes
 * into buf (memory type mtype, room for the product of count), the slab
 * checked to lie inside it.  0, or -1 with c->err. */
int h5read_slab(h5read_ctx *c, hid_t ds, const char *name, int rank,
                const hsize_t *start, const hsize_t *count, hid_t mtype,
                void *buf);
/* Is ds a dataset of variable-length strings? */
int h5read_is_vstring(hid_t ds);
/* The 1-D dataset `name` in loc of exactly n variable-length strings
 * (n <= H5READ_MAX_NAMES), as n strings in one allocation (one free()).
 * NULL with c->err. */
char **h5read_strings(h5read_ctx *c, hid_t loc, const char *name, size_t n);

#endif
