/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * resultinfo.h - read a result file back: `sim info`, and the hardened
 * readers that `sim export` shares with it.
 */
#ifndef SIM_IO_RESULTINFO_H
#define SIM_IO_RESULTINFO_H

#include <stddef.h>
#include <stdio.h>

#include <hdf5.h>

/* Print a readable summary of the result file at `path` to `out`.
 * Returns 0, or -1 with one line in err (the file is missing, is not HDF5,
 * or is not a result file of this program). */
int result_info_print(const char *path, FILE *out, char *err, size_t errlen);

/* ---- readers for files that cannot be trusted --------------------------
 * Each checks the shape of what it reads before reading it, bounds what a
 * damaged file can make it allocate, and leaves no HDF5 identifier open. */

/* Open `path` read-only if it is an HDF5 result file of this program (it
 * has a `scenario` attribute and a `time` dimension).  The file, or -1
 * with one line in err naming the file and the reason. */
hid_t result_open(const char *path, char *err, size_t errlen);
/* A text attribute (fixed or variable length, one string) as a new string;
 * "" for a null dataspace; NULL when absent or unreadable. */
char *result_attr_text(hid_t loc, const char *name);
/* A single integer or floating-point attribute, converted to mtype, into
 * val.  0, or -1 when absent, not one number, or unreadable. */
int result_attr_number(hid_t loc, const char *name, hid_t mtype, void *val);
/* Length of the 1-D dataset `name`; 0 when absent or of another rank. */
size_t result_length(hid_t file, const char *name);
/* Elements [first, first + count) of the 1-D dataset `name`, which must hold
 * exactly n variable-length strings, as count new strings (free with
 * result_strings_free).  NULL when absent, of another shape or type,
 * unreadable, or when count exceeds 100000 or a string 1 MiB. */
char **result_strings(hid_t file, const char *name, size_t n, size_t first,
                      size_t count);
void result_strings_free(char **s, size_t n);
/* A transfer property list for reading variable-length strings: each is
 * allocated with a cap on its length and kept on the list *pool (NULL at
 * first), so that after a read, whole or failed half-way (HDF5 then keeps
 * some strings in a buffer of its own), result_vlen_release(pool) frees
 * every one.  -1 on failure. */
hid_t result_vlen_xfer(void **pool);
void result_vlen_release(void **pool);
/* The hyperslab (start, count on each of `rank` axes) of the open dataset
 * ds, converted to mtype, into buf (room for the product of count).  0, or
 * -1 when ds has another rank, the slab does not lie inside it, or HDF5
 * cannot read it. */
int result_read(hid_t ds, hid_t mtype, int rank, const hsize_t *start,
                const hsize_t *count, void *buf);
/* "YYYY-MM-DD" of the time value t in units "days since Y-M-D".  0, or -1
 * when the units are not of that form or t is not finite or far out. */
int result_date(const char *units, double t, char *buf, size_t len);
/* "YYYY-MM-01": the first day of the month `months` after the month of the
 * units' start date (a step of the model).  0, or -1 as result_date. */
int result_month_date(const char *units, long months, char *buf, size_t len);

#endif
