/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * shard.c - a sweep's parts directory, its lock and its job record (see
 * shard.h).
 *
 * The lock is a POSIX record lock (fcntl F_SETLK) on PATH.parts/lock:
 * released by the kernel when the process ends, however it ends, so a
 * killed sweep never leaves a stale lock.  (Such a lock is the process's:
 * this file opens the lock file once and never closes another descriptor
 * of it while holding the lock.)
 */
#include "shard.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "io/publish.h"
#include "io/result/reader.h"

struct sweep_parts {
    char dir[4200];
    int lock_fd;
    int seq;                 /* next part number */
    output_opts opts;        /* shared by every part */
    const model_params *p;
};

static int say(char *err, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int say(char *err, size_t len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, len, fmt, ap);
    va_end(ap);
    return -1;
}

/* ---- the part files ---------------------------------------------------------------- */

const char *parts_dir(const sweep_parts *pt) { return pt->dir; }

void parts_set_output(sweep_parts *pt, const model_params *p,
                      const output_opts *opts)
{
    pt->p = p;
    pt->opts = *opts;
}

output *parts_open_part(void *ctx, char *err, size_t len)
{
    sweep_parts *pt = ctx;
    char path[4400];
    snprintf(path, sizeof path, "%s/part-%06d.h5", pt->dir, pt->seq++);
    output_opts o = pt->opts;
    o.path = path;
    return output_open(pt->p, &o, err, len);
}

int parts_close_part(void *ctx, output *o, char *err, size_t len)
{
    (void)ctx;
    if (output_close(o, err, len) == 0)
        return 0;
    output_abort(o);
    return -1;
}

static int list_in(const char *dir, char ***names)
{
    DIR *d = opendir(dir);
    int n = 0, cap = 16;
    *names = malloc((size_t)cap * sizeof **names);
    if (!d || !*names) {
        if (d)
            closedir(d);
        return *names ? 0 : -1;
    }
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t l = strlen(e->d_name);
        if (strncmp(e->d_name, "part-", 5) != 0 || l < 4 ||
            strcmp(e->d_name + l - 3, ".h5") != 0)
            continue;
        if (n == cap) {
            char **grown = realloc(*names, (size_t)(cap *= 2) * sizeof **names);
            if (!grown)
                break;
            *names = grown;
        }
        size_t sz = strlen(dir) + l + 2;
        if (((*names)[n] = malloc(sz)))
            snprintf((*names)[n++], sz, "%s/%s", dir, e->d_name);
    }
    closedir(d);
    for (int a = 1; a < n; a++) /* insertion sort: few parts */
        for (int b = a; b > 0 && strcmp((*names)[b - 1], (*names)[b]) > 0; b--) {
            char *t = (*names)[b];
            (*names)[b] = (*names)[b - 1];
            (*names)[b - 1] = t;
        }
    return n;
}

int parts_list(const sweep_parts *pt, char ***names)
{
    return list_in(pt->dir, names);
}

void parts_free_names(char **names, int n)
{
    for (int k = 0; k < n; k++)
        free(names[k]);
    free(names);
}

/* ---- the job record and the lock ----------------------------------------------------- */

/* The job record: what the directory is for. */
static void job_text(const parts_job *job, char *buf, size_t len)
{
    snprintf(buf, len, "kind %s\nsweep_hash %016llx\nshard %d/%d\nsweep %s\n",
             job->kind, job->hash, job->shard_i, job->shard_n,
             job->sweep_file ? job->sweep_file : "");
}

/* The value of `key` in a record ("shard 0/2" -> "0/2"). */
static void field(const char *text, const char *key, char *out, size_t len)
{
    out[0] = '\0';
    size_t k = strlen(key);
    for (const char *l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL)
        if (strncmp(l, key, k) == 0 && l[k] == ' ') {
            size_t n = strcspn(l + k + 1, "\n");
            snprintf(out, len, "%.*s", (int)n, l + k + 1);
            return;
        }
}

/* Read a small file into buf (""  when it cannot be read). */
static void slurp(const char *path, char *buf, size_t len)
{
    buf[0] = '\0';
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return;
    ssize_t n = read(fd, buf, len - 1);
    buf[n > 0 ? n : 0] = '\0';
    close(fd);
}

/* Write text to path atomically (temporary name, rename): 0 or -1. */
static int write_file(const char *path, const char *text)
{
    char tmp[4400];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd < 0)
        return -1;
    size_t n = strlen(text);
    int bad = write(fd, text, n) != (ssize_t)n;
    bad |= fsync(fd) != 0;
    bad |= close(fd) != 0;
    if (bad || rename(tmp, path) != 0) {
        unlink(tmp);
        return -1;
    }
    return 0;
}

/* Who holds the lock on fd's file: "pid N on HOST since ...: COMMAND"
 * from the lock file, else the pid the kernel names. */
static void holder(int fd, const char *lock, char *buf, size_t len)
{
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
    char text[1024] = "";
    ssize_t n = pread(fd, text, sizeof text - 1, 0);
    text[n > 0 ? n : 0] = '\0';
    text[strcspn(text, "\n")] = '\0';
    if (text[0])
        snprintf(buf, len, "%s", text);
    else if (fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK)
        snprintf(buf, len, "pid %ld", (long)fl.l_pid);
    else
        snprintf(buf, len, "another process (see %s)", lock);
}

/* Name this process in the lock file. */
static void claim(int fd, const char *command)
{
    char host[256] = "?", date[32] = "?", text[4096];
    gethostname(host, sizeof host);
    host[sizeof host - 1] = '\0';
    time_t now = time(NULL);
    struct tm tm;
    if (gmtime_r(&now, &tm))
        strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", &tm);
    /* the command without the time cmd_history puts first */
    if (command && strlen(command) > 22 && command[4] == '-' && command[19] == 'Z' &&
        command[20] == ':')
        command += 22;
    int n = snprintf(text, sizeof text, "pid %ld on %s since %s: %.3000s\n",
                     (long)getpid(), host, date, command ? command : "sim sweep");
    if (ftruncate(fd, 0) == 0 && n > 0)
        (void)!pwrite(fd, text, (size_t)n < sizeof text ? (size_t)n : sizeof text - 1, 0);
}

/* Lock dir/lock: the descriptor, -1 (refused: held, err set) or -2
 * (failed, err set). */
static int take_lock(const char *dir, const char *path, char *err, size_t len)
{
    char lock[4400];
    snprintf(lock, sizeof lock, "%s/lock", dir);
    for (int attempt = 0; attempt < 5; attempt++) {
        int fd = open(lock, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0666);
        if (fd < 0)
            return say(err, len, "cannot open %s: %s", lock, strerror(errno)), -2;
        struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
        if (fcntl(fd, F_SETLK, &fl) != 0) {
            int e = errno;
            if (e == EACCES || e == EAGAIN) {
                char who[1100];
                holder(fd, lock, who, sizeof who);
                close(fd);
                say(err, len, "%s is being written by another sweep (%s): wait "
                    "for it to finish, or stop it and go on with --resume", path, who);
                return -1;
            }
            close(fd);
            return say(err, len, "cannot lock %s: %s", lock, strerror(e)), -2;
        }
        /* the lock file must still be the directory's: a sweep that just
         * finished removes the directory after we opened the file */
        struct stat a, b;
        if (fstat(fd, &a) == 0 && stat(lock, &b) == 0 && a.st_dev == b.st_dev &&
            a.st_ino == b.st_ino)
            return fd;
        close(fd);
        if (mkdir(dir, 0777) != 0 && errno != EEXIST)
            return say(err, len, "cannot create %s: %s", dir, strerror(errno)), -2;
    }
    return say(err, len, "cannot lock %s: it keeps being removed", lock), -2;
}

/* Mark the runs held by the parts of dir; check that they are the job's. */
static int scan_parts(const char *dir, const parts_job *job, unsigned char *done,
                      int n_runs, int *max_seq, char *err, size_t len)
{
    char **names;
    int n = list_in(dir, &names);
    if (n < 0)
        return say(err, len, "out of memory");
    char hash[32], shard[32];
    snprintf(hash, sizeof hash, "%016llx", job->hash);
    snprintf(shard, sizeof shard, "%d/%d", job->shard_i, job->shard_n);
    for (int k = 0; k < n; k++) {
        char why[1024];
        output_reader *r = output_reader_open(names[k], why, sizeof why);
        if (!r) {
            say(err, len, "%s (remove it to run its runs again)", why);
            parts_free_names(names, n);
            return -1;
        }
        const char *h = output_reader_attr(r, "sweep_hash");
        /* a shard's parts say which (numbers); a whole sweep's say none */
        long long si = 0, sn = 1;
        if (output_reader_attr(r, "shard_count") &&
            (output_reader_attr_number(r, "shard_index", &si) != 0 ||
             output_reader_attr_number(r, "shard_count", &sn) != 0))
            si = sn = -1;
        char s[48];
        snprintf(s, sizeof s, "%lld/%lld", si, sn);
        if (!h || strcmp(h, hash) != 0 || output_reader_n_runs(r) != n_runs ||
            strcmp(s, shard) != 0) {
            say(err, len, "%s belongs to another sweep (%s); remove %s to start "
                "afresh", names[k],
                h && strcmp(h, hash) == 0 && output_reader_n_runs(r) == n_runs
                    ? "another shard" : "the sweep file or its scenario changed",
                dir);
            output_reader_close(r);
            parts_free_names(names, n);
            return -1;
        }
        for (int run = 0; run < n_runs; run++) {
            unsigned long seed;
            int point;
            if (output_reader_run_info(r, run, &seed, &point, NULL) == 1)
                done[run] = 1;
        }
        output_reader_close(r);
        int seq = 0;
        const char *base = strrchr(names[k], '/');
        if (sscanf(base ? base + 1 : names[k], "part-%d.h5", &seq) == 1 &&
            seq >= *max_seq)
            *max_seq = seq + 1;
    }
    parts_free_names(names, n);
    return 0;
}

/* Is the recorded job the same as this one?  NULL, or why not. */
static const char *other_job(const char *record, const parts_job *job, char *why,
                             size_t len)
{
    char kind[64], hash[64], shard[64], file[4200], mine[64];
    field(record, "kind", kind, sizeof kind);
    field(record, "sweep_hash", hash, sizeof hash);
    field(record, "shard", shard, sizeof shard);
    field(record, "sweep", file, sizeof file);
    if (strcmp(kind, job->kind) != 0) {
        snprintf(why, len, "it holds a %s job, this is %s", kind[0] ? kind : "?",
                 job->kind);
        return why;
    }
    snprintf(mine, sizeof mine, "%d/%d", job->shard_i, job->shard_n);
    if (strcmp(shard, mine) != 0) {
        if (strcmp(job->kind, "sim-mpi") == 0)
            snprintf(why, len, "it was started with %s ranks, this job has %d "
                     "(resume with the same number of ranks)",
                     strchr(shard, '/') ? strchr(shard, '/') + 1 : "?", job->shard_n);
        else
            snprintf(why, len, "it holds shard %s, this is shard %s", shard, mine);
        return why;
    }
    snprintf(mine, sizeof mine, "%016llx", job->hash);
    if (strcmp(hash, mine) != 0) {
        snprintf(why, len, "it holds the runs of %s as it was (sweep hash %s); the "
                 "sweep file or its scenario has changed since, or --posterior "
                 "differs (hash %s)",
                 file[0] ? file : "another sweep", hash, mine);
        return why;
    }
    return NULL;
}

sweep_parts *parts_open(const parts_job *job, int n_runs, unsigned char *done,
                        int *n_before, parts_status *status, char *err,
                        size_t len)
{
    sweep_parts *pt = calloc(1, sizeof *pt);
    *status = PARTS_FAILED;
    if (n_before)
        *n_before = 0;
    if (!pt) {
        say(err, len, "out of memory");
        return NULL;
    }
    pt->lock_fd = -1;
    /* OUT.parts, shortened with a hash when that name would be too long
     * (as the publisher's temporaries are) */
    if (publish_sibling(job->path, ".parts", pt->dir, sizeof pt->dir) < 0) {
        say(err, len, "cannot make a parts directory beside %s: the path is "
            "too long", job->path);
        *status = PARTS_REFUSED;
        parts_close(pt);
        return NULL;
    }
    int fresh = mkdir(pt->dir, 0777) == 0;
    struct stat st;
    if (!fresh && errno != EEXIST) {
        say(err, len, "cannot create %s: %s", pt->dir, strerror(errno));
        goto fail;
    }
    if (!fresh && (lstat(pt->dir, &st) != 0 || !S_ISDIR(st.st_mode))) {
        say(err, len, "%s exists and is not a directory (it is not this "
            "program's: remove or rename it)", pt->dir);
        *status = PARTS_REFUSED;
        goto fail;
    }
    int fd = take_lock(pt->dir, job->path, err, len);
    if (fd < 0) {
        *status = fd == -1 ? PARTS_REFUSED : PARTS_FAILED;
        goto fail;
    }
    pt->lock_fd = fd;
    char record[8192], job_file[4400], why[600];
    snprintf(job_file, sizeof job_file, "%s/job", pt->dir);
    slurp(job_file, record, sizeof record);
    /* a directory holding nothing but a lock (made by a process that
     * stopped before its first part) is as good as new */
    char **names = NULL;
    int n_parts = list_in(pt->dir, &names);
    parts_free_names(names, n_parts > 0 ? n_parts : 0);
    if (!fresh && (record[0] || n_parts > 0)) {
        if (!job->resume) {
            say(err, len, "%s holds the finished runs of an interrupted sweep: go "
                "on with --resume, or remove it to start afresh", pt->dir);
            *status = PARTS_REFUSED;
            goto fail;
        }
        if (record[0] && other_job(record, job, why, sizeof why)) {
            say(err, len, "--resume: %s cannot be resumed by this job: %s", pt->dir, why);
            *status = PARTS_REFUSED;
            goto fail;
        }
    }
    if (!record[0]) {
        job_text(job, record, sizeof record);
        if (write_file(job_file, record) != 0) {
            say(err, len, "cannot write %s: %s", job_file, strerror(errno));
            goto fail;
        }
    }
    claim(pt->lock_fd, job->command);
    if (!fresh && done && n_parts > 0) {
        if (scan_parts(pt->dir, job, done, n_runs, &pt->seq, err, len)) {
            *status = PARTS_REFUSED;
            goto fail;
        }
        if (n_before)
            for (int r = 0; r < n_runs; r++)
                *n_before += done[r];
    }
    *status = PARTS_OK;
    return pt;
fail:
    /* a directory this call made (and locked) is removed again */
    if (fresh && pt->lock_fd >= 0) {
        char path[4400];
        snprintf(path, sizeof path, "%s/lock", pt->dir);
        unlink(path);
        snprintf(path, sizeof path, "%s/job", pt->dir);
        unlink(path);
        rmdir(pt->dir);
    }
    parts_close(pt);
    return NULL;
}

/* Remove a parts directory and what is in it. */
static void remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char path[4400];
    while (d && (e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        unlink(path);
    }
    if (d)
        closedir(d);
    rmdir(dir);
}

void parts_finish(sweep_parts *pt)
{
    if (!pt)
        return;
    /* moved aside first, in one step: a process waiting for the lock then
     * finds no directory (or a new one), never a half-removed one */
    char gone[4300], suffix[40];
    snprintf(suffix, sizeof suffix, ".done.%ld", (long)getpid());
    if (publish_sibling(pt->dir, suffix, gone, sizeof gone) == 0 &&
        rename(pt->dir, gone) == 0)
        remove_dir(gone);
    else
        remove_dir(pt->dir);
    parts_close(pt);
}

void parts_close(sweep_parts *pt)
{
    if (!pt)
        return;
    if (pt->lock_fd >= 0)
        close(pt->lock_fd); /* releases the lock */
    free(pt);
}
