/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * guard.c - read a result file in a child process (`sim info`,
 * `sim export`).
 *
 * HDF5 1.10 can crash or loop on a damaged file (a corrupt global heap),
 * and these commands are what users point at files they are unsure of.
 * In a child, a crash or a hang becomes one clear line and exit 2, like
 * any other unreadable file.
 */
#include "cmd.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* AddressSanitizer reserves terabytes of address space before main(): a
 * limit on it would leave the child no memory at all. */
#if defined(__SANITIZE_ADDRESS__)
#define GUARD_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define GUARD_ASAN 1
#endif
#endif
#ifndef GUARD_ASAN
#define GUARD_ASAN 0
#endif

/* In the child: at most `bytes` of address space (never raised). */
static void limit_memory(double bytes)
{
    struct rlimit r;
    if (GUARD_ASAN || bytes <= 0 || getrlimit(RLIMIT_AS, &r) != 0)
        return;
    rlim_t want = (rlim_t)bytes;
    if (r.rlim_cur == RLIM_INFINITY || r.rlim_cur > want) {
        r.rlim_cur = want;
        if (r.rlim_max != RLIM_INFINITY && r.rlim_max < want)
            r.rlim_cur = r.rlim_max;
        setrlimit(RLIMIT_AS, &r); /* best effort */
    }
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Read the child's pipe until it closes (0) or the deadline passes (the
 * child is then killed: 1).  The bytes go to *buf (grown) when g->keep,
 * else away; *lost is set when memory for them ran out. */
static int gather(int fd, pid_t pid, const cmd_guard *g, char **buf,
                  size_t *len, int *lost)
{
    size_t cap = 0;
    int keep = g->keep;
    char scratch[4096];
    double deadline = now() + g->seconds;
    for (;;) {
        double ms = (deadline - now()) * 1000;
        int left = isinf(ms) ? -1 : ms <= 0 ? 0 : ms > INT_MAX ? INT_MAX : (int)ms;
        struct pollfd pfd = {fd, POLLIN, 0};
        int ready = left != 0 ? poll(&pfd, 1, left) : 0;
        if (ready < 0 && errno == EINTR)
            continue;
        if (ready == 0) {
            kill(pid, SIGKILL);
            return 1;
        }
        char *at = scratch;
        size_t room = sizeof scratch;
        if (keep && *len == cap) {
            char *grown = realloc(*buf, cap ? 2 * cap : 8192);
            if (grown) {
                *buf = grown;
                cap = cap ? 2 * cap : 8192;
            } else {
                keep = 0; /* drain the pipe, so that the child can end */
                *lost = 1;
            }
        }
        if (keep) {
            at = *buf + *len;
            room = cap - *len;
        }
        ssize_t got = read(fd, at, room);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            return 0;
        if (keep)
            *len += (size_t)got;
        if (g->progress && !isinf(deadline))
            deadline = memchr(at, CMD_GUARD_DONE, (size_t)got)
                           ? HUGE_VAL /* past HDF5: no more limit */
                           : now() + g->seconds;
    }
}

int cmd_guarded(const char *cmd, const char *path, const cmd_guard *g,
                char **out, size_t *out_len)
{
    int fd[2], lost = 0;
    char *buf = NULL;
    size_t len = 0;
    if (pipe(fd) != 0) {
        cmd_error(cmd, "cannot start the reader: %s", strerror(errno));
        return EXIT_RUNTIME;
    }
    fflush(stdout);
    fflush(stderr);
    /* the child's stderr is kept aside: passed on when it ends normally,
     * dropped when it crashes (glibc's "free(): invalid pointer" and the
     * like would be a second line) */
    FILE *errs = tmpfile();
    pid_t pid = fork();
    if (pid < 0) {
        cmd_error(cmd, "cannot start the reader: %s", strerror(errno));
        close(fd[0]);
        close(fd[1]);
        if (errs)
            fclose(errs);
        return EXIT_RUNTIME;
    }
    if (pid == 0) {
        close(fd[0]);
        if (errs)
            dup2(fileno(errs), STDERR_FILENO);
        limit_memory(g->max_memory);
        int rc = g->child(g->arg, fd[1]);
        fflush(stdout);
        _exit(rc);
    }
    close(fd[1]);
    publish_set_child(pid); /* a signal to this process goes to it too */
    int timed_out = gather(fd[0], pid, g, &buf, &len, &lost);
    close(fd[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    publish_set_child(0);
    int rc;
    if (timed_out) {
        cmd_error(cmd, "cannot read %s: HDF5 %s %.0f s (a damaged file?)", path,
                  g->progress ? "made no progress in" : "did not finish in",
                  g->seconds);
        rc = EXIT_INPUT;
    } else if (WIFSIGNALED(status)) {
        cmd_error(cmd, "cannot read %s: HDF5 failed on it (signal %d): the "
                  "file is damaged", path, WTERMSIG(status));
        rc = EXIT_INPUT;
    } else {
        rc = WIFEXITED(status) ? WEXITSTATUS(status) : EXIT_RUNTIME;
        if (rc == EXIT_OK && lost) {
            cmd_error(cmd, "out of memory for the reader's output");
            rc = EXIT_RUNTIME;
        }
    }
    if (errs) {
        if (!timed_out && !WIFSIGNALED(status) && fseek(errs, 0, SEEK_SET) == 0) {
            char line[1024];
            size_t got;
            while ((got = fread(line, 1, sizeof line, errs)) > 0)
                fwrite(line, 1, got, stderr);
        }
        fclose(errs);
    }
    if (out && out_len) {
        *out = buf;
        *out_len = len;
    } else {
        free(buf);
    }
    return rc;
}
