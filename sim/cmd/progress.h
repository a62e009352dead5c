/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * progress.h - a progress report on stderr for long commands (sweep,
 * ensembles, batches, compare, calibrate).
 *
 * On a terminal: one line, redrawn at most 4 times a second, with the
 * percentage, a bar, the rate and a smoothed ETA; a job done within a
 * quarter of a second draws nothing.  Off a terminal (a log, a pipe, a
 * Slurm output file): a newline-terminated line every `every` seconds and
 * one at the end, so that logs stay small.
 *
 * Not thread-safe: callers update it under their own lock.  Every
 * function accepts NULL (no report).
 */
#ifndef SIM_CMD_PROGRESS_H
#define SIM_CMD_PROGRESS_H

#include <stdio.h>

typedef struct progress progress;

#define PROGRESS_TTY_SECONDS 0.25 /* between redraws on a terminal */

/* A report of `total` units (what: "sweep", unit: "runs") on f; tty
 * selects the terminal form, `every` the seconds between log lines.
 * NULL when out of memory (then no report). */
progress *progress_alloc(FILE *f, int tty, double every, const char *what,
                         const char *unit, long total);
/* `done` of the total are done; draws when it is time. */
void progress_update(progress *p, long done);
/* A note shown after the counts ("objective 0.12"), until replaced. */
void progress_note(progress *p, const char *note);
/* The last line (ending in a newline; on a terminal only when a line was
 * drawn); complete = 0 says the job stopped early.  Frees p. */
void progress_end(progress *p, int complete);

/* An adapter for the experiment layer's callbacks (exp/): ctx is a
 * progress. */
void progress_callback(void *ctx, long done, long total);

/* The text of a line, for tests: `done` of `total` after `elapsed`
 * seconds at `rate` units a second (ETA from rate; rate <= 0: none), into
 * buf; tty adds the bar.  final: the closing line.  The length. */
int progress_format(char *buf, size_t len, int tty, const char *what,
                    const char *unit, long done, long total, double elapsed,
                    double rate, const char *note, int final);

#endif
