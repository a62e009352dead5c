/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * progress.c - progress lines on stderr (see progress.h).
 *
 * The rate behind the ETA is smoothed: the mean rate over the first
 * quarter of a second seeds it (so the first run's start-up cost does not
 * make the first ETA jump), then each redraw moves it towards the rate
 * since the last one with a time constant of RATE_SECONDS.
 */
#include "progress.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RATE_SECONDS 5.0 /* time constant of the smoothed rate */
#define BAR 24           /* characters of the bar */
#define ETA_AFTER 0.5    /* seconds before an ETA is shown */

struct progress {
    FILE *f;
    int tty;
    double every;      /* seconds between lines (off a terminal) */
    char what[32], unit[24], note[64];
    long total, done;
    double t0;         /* start */
    double t_drawn;    /* last line drawn, or -1 */
    double t_rate;     /* last rate sample */
    long done_rate;    /* done at t_rate */
    double rate;       /* smoothed units a second, 0 until seeded */
    int width;         /* characters of the last terminal line */
};

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

progress *progress_alloc(FILE *f, int tty, double every, const char *what,
                         const char *unit, long total)
{
    progress *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->f = f;
    p->tty = tty;
    p->every = every > 0 ? every : 10.0;
    snprintf(p->what, sizeof p->what, "%s", what);
    snprintf(p->unit, sizeof p->unit, "%s", unit);
    p->total = total;
    p->t0 = now();
    p->t_drawn = -1.0;
    p->t_rate = p->t0;
    return p;
}

/* "45 s", "2:05", "1:02:05" */
static void duration(char *buf, size_t len, double s)
{
    if (!isfinite(s) || s < 0) {
        snprintf(buf, len, "--");
        return;
    }
    long t = lround(s);
    if (s < 9.95)
        snprintf(buf, len, "%.1f s", s);
    else if (t < 60)
        snprintf(buf, len, "%ld s", t);
    else if (t < 3600)
        snprintf(buf, len, "%ld:%02ld", t / 60, t % 60);
    else
        snprintf(buf, len, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
}

int progress_format(char *buf, size_t len, int tty, const char *what,
                    const char *unit, long done, long total, double elapsed,
                    double rate, const char *note, int final)
{
    double frac = total > 0 ? (double)done / (double)total : 1.0;
    if (frac > 1.0)
        frac = 1.0;
    int pct = (int)floor(100.0 * frac);
    char bar[BAR + 3] = "", rates[48], times[32], eta[32];
    if (tty) {
        int fill = (int)floor(BAR * frac);
        bar[0] = '[';
        for (int k = 0; k < BAR; k++)
            bar[1 + k] = k < fill ? '#' : '-';
        bar[BAR + 1] = ']';
        bar[BAR + 2] = '\0';
    }
    if (rate >= 100)
        snprintf(rates, sizeof rates, "%.0f %s/s", rate, unit);
    else if (rate > 0)
        snprintf(rates, sizeof rates, "%.3g %s/s", rate, unit);
    else
        snprintf(rates, sizeof rates, "-- %s/s", unit);
    const char *sep = note && *note ? ", " : "";
    const char *nt = note ? note : "";
    if (final) {
        duration(times, sizeof times, elapsed);
        if (tty)
            return snprintf(buf, len, "%s %3d%% %s %ld/%ld %s in %s, %s%s%s",
                            what, pct, bar, done, total, unit, times, rates,
                            sep, nt);
        return snprintf(buf, len, "%s: %d%% %ld/%ld %s in %s, %s%s%s", what,
                        pct, done, total, unit, times, rates, sep, nt);
    }
    duration(times, sizeof times, elapsed);
    if (rate > 0 && done < total)
        duration(eta, sizeof eta, (double)(total - done) / rate);
    else
        snprintf(eta, sizeof eta, "--");
    if (tty)
        return snprintf(buf, len, "%s %3d%% %s %ld/%ld %s, %s, ETA %s%s%s",
                        what, pct, bar, done, total, unit, rates, eta, sep, nt);
    return snprintf(buf, len, "%s: %d%% %ld/%ld %s, %s, %s elapsed, ETA %s%s%s",
                    what, pct, done, total, unit, rates, times, eta, sep, nt);
}

/* The smoothed rate after a new sample at t. */
static void sample(progress *p, double t)
{
    double dt = t - p->t_rate;
    if (dt <= 0)
        return;
    double inst = (double)(p->done - p->done_rate) / dt;
    if (p->rate <= 0)
        p->rate = (double)p->done / (t - p->t0);
    else
        p->rate += (1.0 - exp(-dt / RATE_SECONDS)) * (inst - p->rate);
    p->t_rate = t;
    p->done_rate = p->done;
}

static void draw(progress *p, double t, int final, int complete)
{
    char line[256];
    double elapsed = t - p->t0;
    double rate = final ? (elapsed > 0 ? (double)p->done / elapsed : 0)
                        : (elapsed >= ETA_AFTER && p->done > 0 ? p->rate : 0);
    int n = progress_format(line, sizeof line, p->tty, p->what, p->unit,
                            p->done, p->total, elapsed, rate, p->note, final);
    if (n < 0)
        return;
    if (n >= (int)sizeof line)
        n = (int)sizeof line - 1;
    if (final && !complete) {
        /* a stop or a failure: say so at the end */
        n += snprintf(line + n, sizeof line - (size_t)n, " (stopped)");
        if (n >= (int)sizeof line)
            n = (int)sizeof line - 1;
    }
    if (p->tty) {
        /* over the last line: pad with blanks where it was longer */
        int pad = p->width > n ? p->width - n : 0;
        fprintf(p->f, "\r%s%*s", line, pad, "");
        p->width = n;
        if (final)
            fputc('\n', p->f);
    } else {
        fprintf(p->f, "%s\n", line);
    }
    fflush(p->f);
    p->t_drawn = t;
}

void progress_update(progress *p, long done)
{
    if (!p)
        return;
    p->done = done;
    double t = now();
    if (p->tty) {
        if (t - p->t0 < PROGRESS_TTY_SECONDS ||
            (p->t_drawn >= 0 && t - p->t_drawn < PROGRESS_TTY_SECONDS))
            return;
        sample(p, t);
        draw(p, t, 0, 0);
    } else {
        if (t - p->t_rate >= PROGRESS_TTY_SECONDS)
            sample(p, t);
        if (t - (p->t_drawn >= 0 ? p->t_drawn : p->t0) < p->every)
            return;
        draw(p, t, 0, 0);
    }
}

void progress_note(progress *p, const char *note)
{
    if (p)
        snprintf(p->note, sizeof p->note, "%s", note ? note : "");
}

void progress_end(progress *p, int complete)
{
    if (!p)
        return;
    if (!p->tty || p->t_drawn >= 0)
        draw(p, now(), 1, complete);
    free(p);
}

void progress_callback(void *ctx, long done, long total)
{
    progress *p = ctx;
    if (p && total > 0)
        p->total = total;
    progress_update(p, done);
}
