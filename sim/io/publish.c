/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * publish.c - temporary name, sync, rename, sync the directory; refusals
 * of destinations that are not the program's to replace (see publish.h).
 */
#include "io/publish.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef NAME_MAX
#define NAME_MAX 255
#endif
#ifndef PATH_MAX
#define PATH_MAX 4096
#endif
#ifndef O_CLOEXEC
#define O_CLOEXEC 0
#endif

/* "<.><stem>.sim-HHHHHHHH-<pid>.tmp": the part after the stem is at most
 * 5 + 8 + 1 + 20 + 4 bytes. */
#define TEMP_TAG ".sim-"
#define TEMP_END ".tmp"
#define TEMP_TAIL_MAX (sizeof TEMP_TAG - 1 + 8 + 1 + 20 + sizeof TEMP_END - 1)
#define HASH_HEX 16 /* digits of the hash that completes a shortened name */
#define SIGNAL_SLOTS 64

/* ---- names --------------------------------------------------------------- */

static uint64_t fnv64(const char *s, size_t n, uint64_t h)
{
    for (size_t k = 0; k < n; k++)
        h = (h ^ (unsigned char)s[k]) * 1099511628211ULL;
    return h;
}

#define FNV_START 14695981039346656037ULL

/* This machine and boot: eight hex digits of the host name and boot id. */
static unsigned host_id(void)
{
    static unsigned id;
    static int done;
    if (done)
        return id;
    char buf[512] = "";
    if (gethostname(buf, 256) != 0)
        buf[0] = '\0';
    buf[256] = '\0';
    size_t n = strlen(buf);
    int fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        ssize_t got = read(fd, buf + n, sizeof buf - n - 1);
        if (got > 0)
            n += (size_t)got;
        close(fd);
    }
    uint64_t h = fnv64(buf, n, FNV_START);
    id = (unsigned)(h ^ (h >> 32));
    done = 1;
    return id;
}

/* The directory part of path ("." when none), into buf. */
static void dir_of(const char *path, char *buf, size_t len)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(buf, len, ".");
    else if (slash == path)
        snprintf(buf, len, "/");
    else
        snprintf(buf, len, "%.*s", (int)(slash - path), path);
}

static const char *base_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* Bytes of s that make a prefix of at most max bytes ending on a UTF-8
 * character boundary. */
static size_t utf8_prefix(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n <= max)
        return n;
    n = max;
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--;
    return n;
}

/* "<prefix><name><suffix>" as a file name of at most NAME_MAX bytes: when
 * too long, name is cut and completed by '~' and a hash of the whole. */
static int fit_name(const char *dir, const char *prefix, const char *name,
                    const char *suffix, char *buf, size_t len)
{
    size_t fixed = strlen(prefix) + strlen(suffix);
    size_t nlen = strlen(name);
    int w;
    const char *sep = strcmp(dir, "/") == 0 ? "" : "/";
    if (fixed + nlen <= NAME_MAX) {
        w = snprintf(buf, len, "%s%s%s%s%s", dir, sep, prefix, name, suffix);
    } else {
        uint64_t h = fnv64(name, nlen, FNV_START);
        h = fnv64(suffix, strlen(suffix), h);
        size_t keep = utf8_prefix(name, NAME_MAX - fixed - 1 - HASH_HEX);
        w = snprintf(buf, len, "%s%s%s%.*s~%016llx%s", dir, sep, prefix,
                     (int)keep, name, (unsigned long long)h, suffix);
    }
    return w < 0 || (size_t)w >= len ? -1 : 0;
}

int publish_temp_name(const char *path, long pid, char *buf, size_t len)
{
    char dir[PATH_MAX], tail[64];
    dir_of(path, dir, sizeof dir);
    snprintf(tail, sizeof tail, TEMP_TAG "%08x-%ld" TEMP_END, host_id(), pid);
    return fit_name(dir, ".", base_of(path), tail, buf, len);
}

int publish_sibling(const char *path, const char *suffix, char *buf,
                    size_t len)
{
    char dir[PATH_MAX];
    dir_of(path, dir, sizeof dir);
    if (!strchr(path, '/')) { /* keep a bare name bare */
        char full[PATH_MAX];
        if (fit_name(".", "", path, suffix, full, sizeof full) < 0)
            return -1;
        int w = snprintf(buf, len, "%s", full + 2);
        return w < 0 || (size_t)w >= len ? -1 : 0;
    }
    return fit_name(dir, "", base_of(path), suffix, buf, len);
}

/* Is `name` a temporary of ours: host and pid into *host, *pid. */
static int parse_temp(const char *name, unsigned *host, long *pid)
{
    size_t n = strlen(name), e = sizeof TEMP_END - 1;
    if (name[0] != '.' || n < e + 16 || strcmp(name + n - e, TEMP_END) != 0)
        return 0;
    const char *tag = NULL;
    for (const char *p = strstr(name, TEMP_TAG); p; p = strstr(p + 1, TEMP_TAG))
        tag = p;
    if (!tag)
        return 0;
    char end[8];
    long p;
    unsigned h;
    if (sscanf(tag + sizeof TEMP_TAG - 1, "%8x-%ld%5s", &h, &p, end) != 3 ||
        strcmp(end, TEMP_END) != 0 || p <= 0)
        return 0;
    *host = h;
    *pid = p;
    return 1;
}

static int process_gone(long pid)
{
    return pid > 0 && pid != (long)getpid() && kill((pid_t)pid, 0) != 0 &&
           errno == ESRCH;
}

int publish_remove_stale(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    int n = 0;
    struct dirent *e;
    char path[PATH_MAX];
    while ((e = readdir(d)) != NULL) {
        unsigned host;
        long pid;
        if (!parse_temp(e->d_name, &host, &pid) || host != host_id() ||
            !process_gone(pid))
            continue;
        int w = snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        if (w > 0 && (size_t)w < sizeof path && lstat(path, &st) == 0 &&
            S_ISREG(st.st_mode) && unlink(path) == 0)
            n++;
    }
    closedir(d);
    return n;
}

/* ---- inputs -------------------------------------------------------------- */

typedef struct {
    dev_t dev;
    ino_t ino;
    char *name;
} input_id;

struct publish_inputs {
    input_id *id;
    size_t n, cap;
};

publish_inputs *publish_inputs_alloc(void)
{
    return calloc(1, sizeof(publish_inputs));
}

void publish_inputs_free(publish_inputs *in)
{
    if (!in)
        return;
    for (size_t k = 0; k < in->n; k++)
        free(in->id[k].name);
    free(in->id);
    free(in);
}

int publish_inputs_add(publish_inputs *in, const char *path)
{
    struct stat st;
    if (!in || !path || stat(path, &st) != 0)
        return 0;
    for (size_t k = 0; k < in->n; k++)
        if (in->id[k].dev == st.st_dev && in->id[k].ino == st.st_ino)
            return 0;
    if (in->n == in->cap) {
        size_t cap = in->cap ? 2 * in->cap : 8;
        input_id *grown = realloc(in->id, cap * sizeof *grown);
        if (!grown)
            return -1;
        in->id = grown;
        in->cap = cap;
    }
    char *name = strdup(path);
    if (!name)
        return -1;
    in->id[in->n++] = (input_id){st.st_dev, st.st_ino, name};
    return 0;
}

void publish_inputs_remove(publish_inputs *in, const char *path)
{
    struct stat st;
    if (!in || !path || stat(path, &st) != 0)
        return;
    for (size_t k = 0; k < in->n; k++)
        if (in->id[k].dev == st.st_dev && in->id[k].ino == st.st_ino) {
            free(in->id[k].name);
            in->id[k] = in->id[--in->n];
            return;
        }
}

static const char *match_stat(const publish_inputs *in, const struct stat *st)
{
    for (size_t k = 0; in && k < in->n; k++)
        if (in->id[k].dev == st->st_dev && in->id[k].ino == st->st_ino)
            return in->id[k].name;
    return NULL;
}

const char *publish_inputs_match(const publish_inputs *in, const char *path)
{
    struct stat st;
    return path && stat(path, &st) == 0 ? match_stat(in, &st) : NULL;
}

/* ---- checks -------------------------------------------------------------- */

static const char *type_name(mode_t m)
{
    return S_ISDIR(m)    ? "a directory"
           : S_ISCHR(m)  ? "a character device"
           : S_ISBLK(m)  ? "a block device"
           : S_ISFIFO(m) ? "a FIFO (named pipe)"
           : S_ISSOCK(m) ? "a socket"
                         : "not a regular file";
}

int publish_check(const char *path, const publish_inputs *in, char *err,
                  size_t errlen)
{
    struct stat lst, st;
    if (!path || !path[0]) {
        snprintf(err, errlen, "no output file name given");
        return PUBLISH_REFUSED;
    }
    if (path[strlen(path) - 1] == '/') {
        snprintf(err, errlen, "refusing to write %s: the name ends in '/', which "
                 "names a directory, not a file", path);
        return PUBLISH_REFUSED;
    }
    if (lstat(path, &lst) != 0) {
        if (errno == ENOENT) {
            char dir[PATH_MAX];
            dir_of(path, dir, sizeof dir);
            if (stat(dir, &st) != 0) {
                snprintf(err, errlen, "cannot create %s: %s", path,
                         strerror(errno));
                return PUBLISH_FAILED;
            }
            if (!S_ISDIR(st.st_mode)) {
                snprintf(err, errlen, "cannot create %s: %s", path,
                         strerror(ENOTDIR));
                return PUBLISH_FAILED;
            }
            return PUBLISH_OK;
        }
        snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno));
        return PUBLISH_FAILED;
    }
    if (S_ISLNK(lst.st_mode) && stat(path, &st) != 0) {
        snprintf(err, errlen, "refusing to write %s: it is a symbolic link to "
                 "nothing (%s); remove it or give another name", path,
                 strerror(errno));
        return PUBLISH_REFUSED;
    }
    if (!S_ISLNK(lst.st_mode))
        st = lst;
    if (!S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "refusing to write %s: it is %s%s, not a regular "
                 "file; give another name", path, type_name(st.st_mode),
                 S_ISLNK(lst.st_mode) ? " (through a symbolic link)" : "");
        return PUBLISH_REFUSED;
    }
    const char *same = match_stat(in, &st);
    if (same) {
        if (strcmp(same, path) == 0)
            snprintf(err, errlen, "refusing to write %s: it is one of the "
                     "inputs; give another output name", path);
        else
            snprintf(err, errlen, "refusing to write %s: it is the same file "
                     "as the input %s; give another output name", path, same);
        return PUBLISH_REFUSED;
    }
    return PUBLISH_OK;
}

int publish_same_target(const char *a, const char *b)
{
    struct stat sa, sb;
    if (strcmp(a, b) == 0)
        return 1;
    if (stat(a, &sa) == 0 && stat(b, &sb) == 0)
        return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
    /* one at least is not there yet: the same name in the same directory */
    char da[PATH_MAX], db[PATH_MAX];
    dir_of(a, da, sizeof da);
    dir_of(b, db, sizeof db);
    return strcmp(base_of(a), base_of(b)) == 0 && stat(da, &sa) == 0 &&
           stat(db, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

int publish_check_dir(const char *dir, char *err, size_t errlen)
{
    struct stat st;
    if (!dir || !dir[0]) {
        snprintf(err, errlen, "no output directory given");
        return PUBLISH_REFUSED;
    }
    if (stat(dir, &st) != 0)
        return PUBLISH_OK; /* made later, or refused then with the reason */
    if (!S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "refusing to write into %s: it is %s, not a "
                 "directory", dir, S_ISREG(st.st_mode) ? "a regular file"
                                                        : type_name(st.st_mode));
        return PUBLISH_REFUSED;
    }
    return PUBLISH_OK;
}

/* ---- the signal registry -------------------------------------------------- */

static char *volatile slot_path[SIGNAL_SLOTS];
static volatile sig_atomic_t slot_used[SIGNAL_SLOTS];
static volatile pid_t watched_child;
static pthread_mutex_t slot_lock = PTHREAD_MUTEX_INITIALIZER;

/* The path is copied before the slot is marked used, and the mark is
 * taken off before the copy is freed: the handler reads only marked
 * slots. */
static int slot_take(const char *path)
{
    char *copy = strdup(path);
    if (!copy)
        return -1;
    pthread_mutex_lock(&slot_lock);
    int k = 0;
    while (k < SIGNAL_SLOTS && slot_used[k])
        k++;
    if (k < SIGNAL_SLOTS) {
        slot_path[k] = copy;
        slot_used[k] = 1;
    }
    pthread_mutex_unlock(&slot_lock);
    if (k == SIGNAL_SLOTS)
        free(copy);
    return k < SIGNAL_SLOTS ? k : -1;
}

static void slot_free(int k)
{
    if (k < 0)
        return;
    pthread_mutex_lock(&slot_lock);
    slot_used[k] = 0;
    char *path = slot_path[k];
    slot_path[k] = NULL;
    pthread_mutex_unlock(&slot_lock);
    free(path);
}

/* Only async-signal-safe calls: kill, waitpid, unlink, sigaction, raise. */
static void on_signal(int sig)
{
    pid_t child = watched_child;
    if (child > 0) {
        kill(child, sig);
        while (waitpid(child, NULL, 0) < 0 && errno == EINTR) {
        }
    }
    for (int k = 0; k < SIGNAL_SLOTS; k++) {
        const char *path = slot_path[k];
        if (slot_used[k] && path)
            unlink(path);
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_DFL;
    sigemptyset(&sa.sa_mask);
    sigaction(sig, &sa, NULL);
    raise(sig); /* delivered when the handler returns: the process ends */
}

void publish_catch_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaddset(&sa.sa_mask, SIGINT);
    sigaddset(&sa.sa_mask, SIGTERM);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

void publish_set_child(pid_t pid) { watched_child = pid; }

/* ---- one file -------------------------------------------------------------- */

struct publish_file {
    char *path, *tmp;
    int fd;
    FILE *fp;
    dev_t dev;
    ino_t ino;
    int slot;
};

static void file_free(publish_file *f)
{
    if (!f)
        return;
    slot_free(f->slot);
    free(f->path);
    free(f->tmp);
    free(f);
}

publish_file *publish_begin(const char *path, const publish_inputs *in,
                            int *status, char *err, size_t errlen)
{
    int dummy;
    if (!status)
        status = &dummy;
    *status = publish_check(path, in, err, errlen);
    if (*status != PUBLISH_OK)
        return NULL;
    *status = PUBLISH_FAILED;
    char dir[PATH_MAX], tmp[PATH_MAX];
    dir_of(path, dir, sizeof dir);
    if (publish_temp_name(path, (long)getpid(), tmp, sizeof tmp) < 0) {
        snprintf(err, errlen, "cannot create %s: %s", path, strerror(ENAMETOOLONG));
        return NULL;
    }
    publish_remove_stale(dir);
    publish_file *f = calloc(1, sizeof *f);
    if (!f || !(f->path = strdup(path)) || !(f->tmp = strdup(tmp))) {
        snprintf(err, errlen, "cannot create %s: out of memory", path);
        if (f) {
            f->slot = -1;
            file_free(f);
        }
        return NULL;
    }
    /* registered before it exists: a signal between its creation and its
     * registration would leave it behind */
    f->slot = slot_take(tmp); /* -1 when full: still removed on failure */
    int flags = O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW;
    f->fd = open(tmp, flags, 0666);
    if (f->fd < 0 && errno == EEXIST) {
        /* left by an earlier process that had our number: it is gone */
        unlink(tmp);
        f->fd = open(tmp, flags, 0666);
    }
    struct stat st;
    if (f->fd < 0 || fstat(f->fd, &st) != 0) {
        snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno));
        if (f->fd >= 0) {
            close(f->fd);
            unlink(tmp);
        }
        file_free(f);
        return NULL;
    }
    f->dev = st.st_dev;
    f->ino = st.st_ino;
    *status = PUBLISH_OK;
    return f;
}

const char *publish_path(const publish_file *f) { return f ? f->path : NULL; }

const char *publish_temp(const publish_file *f) { return f ? f->tmp : NULL; }

FILE *publish_stream(publish_file *f)
{
    if (!f)
        return NULL;
    if (!f->fp && f->fd >= 0) {
        f->fp = fdopen(f->fd, "w");
        if (f->fp)
            f->fd = -1;
    }
    return f->fp;
}

void publish_close_fd(publish_file *f)
{
    if (f && f->fd >= 0) {
        close(f->fd);
        f->fd = -1;
    }
}

/* Flush and sync the temporary, whoever wrote it.  0, or an errno. */
static int sync_temp(publish_file *f)
{
    int e = 0;
    if (f->fp) {
        if (fflush(f->fp) != 0 || ferror(f->fp))
            e = errno ? errno : EIO;
        if (!e && fsync(fileno(f->fp)) != 0)
            e = errno;
        if (fclose(f->fp) != 0 && !e)
            e = errno ? errno : EIO;
        f->fp = NULL;
        return e;
    }
    int fd = f->fd;
    f->fd = -1;
    if (fd < 0) {
        fd = open(f->tmp, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
            return errno;
        struct stat st;
        if (fstat(fd, &st) != 0 || st.st_dev != f->dev || st.st_ino != f->ino) {
            close(fd);
            return ESTALE; /* someone replaced our temporary */
        }
    }
    if (fsync(fd) != 0)
        e = errno;
    if (close(fd) != 0 && !e)
        e = errno;
    return e;
}

static void sync_dir(const char *path)
{
    char dir[PATH_MAX];
    dir_of(path, dir, sizeof dir);
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd); /* best effort: the file itself is complete and synced */
        close(fd);
    }
}

int publish_commit(publish_file *f, const publish_inputs *in, char *err,
                   size_t errlen)
{
    return publish_commit_all(&f, 1, in, err, errlen);
}

void publish_abort(publish_file *f)
{
    if (!f)
        return;
    if (f->fp)
        fclose(f->fp);
    else if (f->fd >= 0)
        close(f->fd);
    unlink(f->tmp);
    file_free(f);
}

int publish_commit_all(publish_file **f, int n, const publish_inputs *in,
                       char *err, size_t errlen)
{
    int rc = PUBLISH_OK, done = 0;
    char **backup = calloc((size_t)n + 1, sizeof *backup);
    if (!backup) {
        snprintf(err, errlen, "cannot write %s: out of memory", f[0]->path);
        rc = PUBLISH_FAILED;
    }
    for (int k = 0; rc == PUBLISH_OK && k < n; k++) {
        int e = sync_temp(f[k]);
        if (e) {
            snprintf(err, errlen, "cannot write %s: %s", f[k]->path, strerror(e));
            rc = PUBLISH_FAILED;
        }
    }
    for (int k = 0; rc == PUBLISH_OK && k < n; k++)
        rc = publish_check(f[k]->path, in, err, errlen);
    /* keep what the destinations hold, to put it back if a rename fails */
    for (int k = 0; rc == PUBLISH_OK && n > 1 && k < n; k++) {
        char name[PATH_MAX], old[PATH_MAX];
        struct stat st;
        if (lstat(f[k]->path, &st) != 0)
            continue; /* nothing there yet */
        snprintf(name, sizeof name, "%s.old", f[k]->path);
        if (publish_temp_name(name, (long)getpid(), old, sizeof old) == 0 &&
            link(f[k]->path, old) == 0)
            backup[k] = strdup(old);
    }
    for (; rc == PUBLISH_OK && done < n; done++)
        if (rename(f[done]->tmp, f[done]->path) != 0) {
            snprintf(err, errlen, "cannot rename %s to %s: %s", f[done]->tmp,
                     f[done]->path, strerror(errno));
            rc = PUBLISH_FAILED;
            break;
        }
    if (rc != PUBLISH_OK)
        for (int k = 0; k < done; k++) { /* put back what was there */
            if (backup && backup[k])
                rename(backup[k], f[k]->path);
            else
                unlink(f[k]->path);
        }
    for (int k = 0; k < n; k++) {
        if (backup && backup[k]) {
            unlink(backup[k]);
            free(backup[k]);
        }
        if (k >= done || rc != PUBLISH_OK)
            unlink(f[k]->tmp);
        if (f[k]->fp)
            fclose(f[k]->fp);
        else if (f[k]->fd >= 0)
            close(f[k]->fd);
        f[k]->fp = NULL;
        f[k]->fd = -1;
    }
    if (rc == PUBLISH_OK)
        sync_dir(f[0]->path);
    for (int k = 0; k < n; k++)
        file_free(f[k]);
    free(backup);
    return rc;
}

int publish_rename(const char *from, const char *path, const publish_inputs *in,
                   char *err, size_t errlen)
{
    int rc = publish_check(path, in, err, errlen);
    if (rc != PUBLISH_OK)
        return rc;
    if (rename(from, path) != 0) {
        snprintf(err, errlen, "cannot rename %s to %s: %s", from, path,
                 strerror(errno));
        return PUBLISH_FAILED;
    }
    sync_dir(path);
    return PUBLISH_OK;
}
