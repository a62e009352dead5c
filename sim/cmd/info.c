/*
 * info.c - `sim info`: a readable summary of a result file.
 *
 * The file is read in a child process: HDF5 1.10 can crash or loop on a
 * damaged file (a corrupt global heap), and `info` is what users point at
 * files they are unsure of.  A crash or a hang becomes one clear line and
 * exit 2, like any other unreadable file.
 */
#include "cmd.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "io/resultinfo.h"

/* A file that takes longer than 5 s plus 1 s per 100 MB is taken as
 * damaged (HDF5 loops forever on some corrupt heaps). */
#define INFO_SECONDS_BASE 5.0
#define INFO_SECONDS_PER_BYTE (1.0 / 100e6)

static const char info_usage[] =
    "usage: sim info FILE.h5\n"
    "\n"
    "Summarise a result file: scenario, seed, runs, months, variables and\n"
    "the headline figures.  Exit 2 when the file is missing, damaged or not\n"
    "a result file of this program.\n";

/* In the child: the summary to fd, or the error line to stderr. */
static int child(const char *path, int fd)
{
    FILE *out = fdopen(fd, "w");
    char err[1024];
    if (!out)
        return EXIT_RUNTIME;
    if (result_info_print(path, out, err, sizeof err)) {
        cmd_error("info", "%s", err);
        fclose(out);
        return EXIT_INPUT;
    }
    return fclose(out) == 0 ? EXIT_OK : EXIT_RUNTIME;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int cmd_info(int argc, char **argv)
{
    const char *path = NULL;
    for (int k = 1; k < argc; k++) {
        if (strcmp(argv[k], "-h") == 0 || strcmp(argv[k], "--help") == 0) {
            fputs(info_usage, stdout);
            return EXIT_OK;
        }
        if (argv[k][0] == '-' || path) {
            cmd_error("info", "unexpected argument '%s' (see 'sim info --help')",
                      argv[k]);
            return EXIT_INPUT;
        }
        path = argv[k];
    }
    if (!path) {
        cmd_error("info", "no file given (see 'sim info --help')");
        return EXIT_INPUT;
    }
    int fd[2];
    if (pipe(fd) != 0) {
        cmd_error("info", "cannot start the reader: %s", strerror(errno));
        return EXIT_RUNTIME;
    }
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) {
        cmd_error("info", "cannot start the reader: %s", strerror(errno));
        return EXIT_RUNTIME;
    }
    if (pid == 0) {
        close(fd[0]);
        _exit(child(path, fd[1]));
    }
    close(fd[1]);
    /* gather the summary; a child that runs too long is stopped */
    size_t len = 0, cap = 8192;
    char *buf = malloc(cap);
    struct stat st;
    double budget = INFO_SECONDS_BASE +
                    (stat(path, &st) == 0 ? (double)st.st_size * INFO_SECONDS_PER_BYTE : 0);
    double deadline = now() + budget;
    int timed_out = 0;
    for (;;) {
        int left = (int)((deadline - now()) * 1000);
        struct pollfd pfd = {fd[0], POLLIN, 0};
        if (left <= 0 || poll(&pfd, 1, left) == 0) {
            timed_out = 1;
            kill(pid, SIGKILL);
            break;
        }
        if (buf && len == cap) {
            char *grown = realloc(buf, cap *= 2);
            if (!grown)
                break;
            buf = grown;
        }
        ssize_t got = buf ? read(fd[0], buf + len, cap - len) : -1;
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            break;
        len += (size_t)got;
    }
    close(fd[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    int rc;
    if (timed_out) {
        cmd_error("info", "cannot read %s: HDF5 did not finish in %.0f s (a "
                  "damaged file?)", path, budget);
        rc = EXIT_INPUT;
    } else if (WIFSIGNALED(status)) {
        cmd_error("info", "cannot read %s: HDF5 failed on it (signal %d): the "
                  "file is damaged", path, WTERMSIG(status));
        rc = EXIT_INPUT;
    } else {
        rc = WIFEXITED(status) ? WEXITSTATUS(status) : EXIT_RUNTIME;
        if (rc == EXIT_OK && buf)
            fwrite(buf, 1, len, stdout);
    }
    free(buf);
    return rc;
}
