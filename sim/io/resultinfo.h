/*
 * resultinfo.h - read a result file back: `sim info`.
 */
#ifndef SIM_IO_RESULTINFO_H
#define SIM_IO_RESULTINFO_H

#include <stddef.h>
#include <stdio.h>

/* Print a readable summary of the result file at `path` to `out`.
 * Returns 0, or -1 with one line in err (the file is missing, is not HDF5,
 * or is not a result file of this program). */
int result_info_print(const char *path, FILE *out, char *err, size_t errlen);

#endif
