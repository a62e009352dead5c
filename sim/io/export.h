/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * export.h - a result file as tidy CSV tables (`sim export --csv`).
 *
 * Three files are written into a directory, each in long ("tidy") format
 * with a header line, comma-separated, UTF-8, "\n" line ends, fields
 * quoted RFC 4180 style only when they hold a comma, a quote or a line
 * break:
 *
 *   values.csv  scenario,run,time,agent,partner,route,good,variable,value,unit
 *               one row per value of each record variable (stock, flow,
 *               cohesion, ...), variable by variable, then in the file's
 *               order (scenario, run, time, agent, partner, good).  time is
 *               the record's date, YYYY-MM-DD; agent, partner, route and
 *               good are empty where the variable has no such dimension;
 *               scenario is the scenario coordinate in a `sim compare`
 *               file and the file's scenario name otherwise; value is
 *               written so that it reads back as the same double, NA for
 *               NaN (a run not done), Inf and -Inf; run is the run's
 *               label (its index in its job); unit is the variable's
 *               units, for a variable in the goods' own units with the
 *               good's unit put in (units_metadata "good_unit month-1"
 *               gives "rounds month-1").
 *   events.csv  scenario,run,time,step,kind,actor,target,value,label
 *               the event table, one row per event, in the file's order;
 *               time is the first day of the month the event applied in.
 *   runs.csv    run,seed[,point][,PARAM...]  one row per run (its label):
 *               its seed and,
 *               in a sweep, its design point (-1: not done) and one column
 *               per swept parameter (named by its path).
 *
 * The file is read through the one result reader (io/result/reader.h).
 * Memory does not grow with the file: variables are read a bounded
 * hyperslab at a time, events and runs a block of rows at a time.  The
 * three files are written through the publisher (io/publish.h): each
 * under a temporary name in the directory, and all three renamed only
 * once all are complete (publish_commit_all); after a failure no file is
 * left under a final name and any file already there is untouched.  A
 * table whose name is taken by a directory or a device, or by the input
 * file itself, is refused before anything is written.
 */
#ifndef SIM_IO_EXPORT_H
#define SIM_IO_EXPORT_H

#include <stddef.h>

#define EXPORT_VALUES "values.csv"
#define EXPORT_EVENTS "events.csv"
#define EXPORT_RUNS "runs.csv"

/* What export_csv() returns. */
typedef enum {
    EXPORT_OK = 0,
    EXPORT_BAD_INPUT = -1, /* the file (missing, damaged, not ours) or the
                              options (an unknown variable, runs outside) */
    EXPORT_FAILED = -2     /* writing: the directory, a full disk, memory */
} export_status;

typedef struct {
    const char *dir;             /* destination; created (not its parents)
                                    when missing, removed again on failure */
    const char *const *vars;     /* record variables, in this order; NULL:
                                    every one in the file, in file order */
    int n_vars;
    long first_run, last_run;    /* runs to export (positions on the run
                                    axis); last_run < 0: to the end
                                    (first_run 0, last_run -1: all) */
    double max_rows;             /* refuse a file with more rows than this
                                    (0: no limit; the fuzz harness) */
    size_t block;                /* values read at once; 0: the default */
    /* called (when not NULL) after each block read, a heartbeat, with
     * done_reading 0; then once with 1 when the reading is over and only
     * the files' flushing, syncing and renaming are left */
    void (*progress)(void *arg, int done_reading);
    void *progress_arg;
} export_opts;

typedef struct {
    unsigned long long values, events, runs; /* rows written */
} export_counts;

/* Export the result file at `path` into o->dir.  EXPORT_OK (counts, may be
 * NULL, filled), or EXPORT_BAD_INPUT / EXPORT_FAILED with one line in err
 * naming the file and the reason. */
export_status export_csv(const char *path, const export_opts *o,
                         export_counts *counts, char *err, size_t errlen);
/* Refuse up front what export_csv would refuse of the destination: dir is
 * not a directory, or one of the tables' names in it is taken by a
 * directory, a device or the input file `path`.  EXPORT_OK, or
 * EXPORT_BAD_INPUT with one line in err.  Changes nothing. */
export_status export_check_dest(const char *path, const char *dir, char *err,
                                size_t errlen);

#endif
