/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * load.c - libconfig texts with their @includes resolved here (see load.h).
 *
 * A file is read whole, once, then lexed in one pass that mirrors
 * libconfig 1.5's scanner as far as it matters here: comments (#, //,
 * slash-star), strings (with backslash escapes, spanning lines), names
 * and numbers.  The pass copies the text into one flat string, replacing
 * each @include line (which libconfig recognises only at the start of a
 * line, outside strings and comments) by the included file's flattened
 * text, rewriting each integer literal as its exact 64-bit value, and
 * recording for every line of the flat string the file and line it came
 * from.  libconfig then parses the flat string: it never opens a file.
 */
#define _XOPEN_SOURCE 700 /* realpath */
#include "io/config/load.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct cfg_doc {
    config_t cfg;
    int parsed;         /* cfg holds a tree */
    char **files;       /* display names: [0] the file read */
    int n_files, cap_files;
    int *line_file;     /* per line of the flat text: file index */
    int *line_no;       /* ... and its line there */
    int n_lines, cap_lines;
};

/* ---- errors ---------------------------------------------------------------- */

static int errorf(config_error *err, const char *file, int line, int resource,
                  const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static int errorf(config_error *err, const char *file, int line, int resource,
                  const char *fmt, ...)
{
    if (!err)
        return -1;
    memset(err, 0, sizeof *err);
    snprintf(err->file, sizeof err->file, "%s", file ? file : "");
    err->line = line;
    err->resource = resource;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->reason, sizeof err->reason, fmt, ap);
    va_end(ap);
    return -1;
}

/* Is errno a shortage of the machine (not a fault of the input)? */
static int resource_errno(int e)
{
    return e == EMFILE || e == ENFILE || e == ENOMEM || e == ENOBUFS ||
           e == EIO || e == EAGAIN;
}

/* ---- reading ----------------------------------------------------------------- */

static const char *kind_of(mode_t m)
{
    if (S_ISDIR(m))
        return "a directory";
    if (S_ISFIFO(m))
        return "a FIFO (named pipe)";
    if (S_ISCHR(m) || S_ISBLK(m))
        return "a device";
    if (S_ISSOCK(m))
        return "a socket";
    return "not a regular file";
}

/* Read fd to its end into a malloc'ed, NUL-terminated buffer of at most
 * `limit` bytes.  0; -1 with errno (EFBIG when larger than limit). */
static int read_all(int fd, size_t limit, char **buf, size_t *len)
{
    size_t cap = 65536, n = 0;
    char *b = malloc(cap + 1);
    if (!b)
        return -1;
    for (;;) {
        if (n == cap) {
            if (cap >= limit) {
                free(b);
                errno = EFBIG;
                return -1;
            }
            size_t grown = cap * 2 > limit ? limit : cap * 2;
            char *nb = realloc(b, grown + 1);
            if (!nb) {
                free(b);
                errno = ENOMEM;
                return -1;
            }
            b = nb;
            cap = grown;
        }
        ssize_t got = read(fd, b + n, cap - n);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            int e = errno;
            free(b);
            errno = e;
            return -1;
        }
        if (got == 0)
            break;
        n += (size_t)got;
    }
    /* one more byte: a file of exactly `limit` bytes may go on */
    if (n == limit) {
        char extra;
        ssize_t got;
        while ((got = read(fd, &extra, 1)) < 0 && errno == EINTR) {}
        if (got > 0) {
            free(b);
            errno = EFBIG;
            return -1;
        }
    }
    b[n] = '\0';
    *buf = b;
    *len = n;
    return 0;
}

/* Reject binary and UTF-16 text (name and line 0 for messages). */
static int check_text(const char *name, const char *t, size_t n, int top,
                      config_error *err)
{
    if (n >= 2 && (((unsigned char)t[0] == 0xff && (unsigned char)t[1] == 0xfe) ||
                   ((unsigned char)t[0] == 0xfe && (unsigned char)t[1] == 0xff)))
        return errorf(err, name, 0, 0, "UTF-16 text (byte-order mark %02X %02X): "
                      "save the file as UTF-8", (unsigned char)t[0],
                      (unsigned char)t[1]);
    size_t k = 0;
    if (n >= 3 && memcmp(t, "\xef\xbb\xbf", 3) == 0)
        k = 3;
    size_t first = k;
    while (k < n && isspace((unsigned char)t[k]))
        k++;
    if (top && k == n)
        return errorf(err, name, 0, 0, "the file is empty");
    for (k = first; k < n; k++)
        if (t[k] == '\0' || ((unsigned char)t[k] < 0x20 && !isspace((unsigned char)t[k])))
            return errorf(err, name, 0, 0, "not a text file (byte 0x%02x at offset %zu)",
                          (unsigned char)t[k], k);
    return 0;
}

/* ---- the flat text ------------------------------------------------------------ */

enum { LEX_NORMAL, LEX_STRING, LEX_COMMENT };

typedef struct {
    dev_t dev;
    ino_t ino;
    int file;      /* index into d->files */
} frame;

typedef struct {
    cfg_doc *d;
    const cfg_opts *o;
    config_error *err;
    char *out;
    size_t len, cap;
    frame stack[CFG_INCLUDE_DEPTH + 2];
    int depth;
    int n_includes;
    int from_text;   /* the top is text in memory: no @include */
    char confine[PATH_MAX];
    /* the setting being read, for messages: names before '=' or ':',
     * pushed at '{' and '(' */
    char word[64], pending[64], names[16][64];
    int n_names;
} flat;

/* What a significant character c does to the names being tracked. */
static void track(flat *f, char c)
{
    if ((c == '=' || c == ':') && f->word[0]) {
        snprintf(f->pending, sizeof f->pending, "%s", f->word);
    } else if (c == '{' || c == '(') {
        if (f->n_names < 16)
            snprintf(f->names[f->n_names], sizeof f->names[0], "%s", f->pending);
        f->n_names++;
        f->pending[0] = '\0';
    } else if (c == '}' || c == ')') {
        f->n_names -= f->n_names > 0;
        f->pending[0] = '\0';
    } else if (c == ';' || c == ',') {
        f->pending[0] = '\0';
    }
    f->word[0] = '\0';
}

/* The setting being read ("scenario.seed"), into err->key. */
static int with_key(flat *f, int rc)
{
    if (!f->err)
        return rc;
    size_t at = 0, len = sizeof f->err->key;
    char *out = f->err->key;
    out[0] = '\0';
    for (int k = 0; k < f->n_names && k < 16; k++)
        if (f->names[k][0])
            at += (size_t)snprintf(out + at, at < len ? len - at : 0, "%s.", f->names[k]);
    if (at < len)
        snprintf(out + at, len - at, "%s", f->pending);
    at = strlen(out);
    if (at > 0 && out[at - 1] == '.')
        out[at - 1] = '\0';
    return rc;
}

static int put(flat *f, const char *s, size_t n)
{
    if (f->len + n + 1 > f->cap) {
        size_t cap = f->cap ? f->cap : 65536;
        while (f->len + n + 1 > cap)
            cap *= 2;
        char *grown = realloc(f->out, cap);
        if (!grown)
            return errorf(f->err, f->d->files[0], 0, 1, "out of memory");
        f->out = grown;
        f->cap = cap;
    }
    memcpy(f->out + f->len, s, n);
    f->len += n;
    f->out[f->len] = '\0';
    return 0;
}

/* The current line of the flat text comes from (file, line). */
static int map_line(flat *f, int file, int line, int replace)
{
    cfg_doc *d = f->d;
    if (replace && d->n_lines > 0) {
        d->line_file[d->n_lines - 1] = file;
        d->line_no[d->n_lines - 1] = line;
        return 0;
    }
    if (d->n_lines == d->cap_lines) {
        int cap = d->cap_lines ? 2 * d->cap_lines : 1024;
        int *a = realloc(d->line_file, (size_t)cap * sizeof *a);
        if (a)
            d->line_file = a;
        int *b = a ? realloc(d->line_no, (size_t)cap * sizeof *b) : NULL;
        if (!a || !b)
            return errorf(f->err, d->files[0], 0, 1, "out of memory");
        d->line_no = b;
        d->cap_lines = cap;
    }
    d->line_file[d->n_lines] = file;
    d->line_no[d->n_lines] = line;
    d->n_lines++;
    return 0;
}

static int add_file(flat *f, const char *name)
{
    cfg_doc *d = f->d;
    if (d->n_files == d->cap_files) {
        int cap = d->cap_files ? 2 * d->cap_files : 8;
        char **grown = realloc(d->files, (size_t)cap * sizeof *grown);
        if (!grown)
            return -1;
        d->files = grown;
        d->cap_files = cap;
    }
    if (!(d->files[d->n_files] = strdup(name)))
        return -1;
    return d->n_files++;
}

/* Longest match at t[0..n) of libconfig's number rules: *kind 1 integer
 * (decimal, with L or LL), 2 hexadecimal, 3 float; 0 when none. */
static size_t number_len(const char *t, size_t n, int *kind)
{
    size_t best = 0;
    *kind = 0;
    /* integer: [-+]?[0-9]+(L|LL)? */
    size_t k = 0;
    if (k < n && (t[k] == '-' || t[k] == '+'))
        k++;
    size_t d0 = k;
    while (k < n && isdigit((unsigned char)t[k]))
        k++;
    if (k > d0) {
        size_t e = k;
        if (e < n && t[e] == 'L') {
            e++;
            if (e < n && t[e] == 'L')
                e++;
        }
        best = e;
        *kind = 1;
    }
    /* hexadecimal: 0[Xx][0-9A-Fa-f]+(L|LL)? */
    if (n >= 3 && t[0] == '0' && (t[1] == 'x' || t[1] == 'X') &&
        isxdigit((unsigned char)t[2])) {
        size_t e = 2;
        while (e < n && isxdigit((unsigned char)t[e]))
            e++;
        if (e < n && t[e] == 'L') {
            e++;
            if (e < n && t[e] == 'L')
                e++;
        }
        if (e > best) {
            best = e;
            *kind = 2;
        }
    }
    /* float: [-+]?[0-9]*\.[0-9]*([eE][-+]?[0-9]+)?
     *        | [-+]?[0-9]+(\.[0-9]*)?[eE][-+]?[0-9]+ */
    k = 0;
    if (k < n && (t[k] == '-' || t[k] == '+'))
        k++;
    size_t i0 = k;
    while (k < n && isdigit((unsigned char)t[k]))
        k++;
    size_t ndig = k - i0, e = 0;
    int dot = 0;
    if (k < n && t[k] == '.') {
        dot = 1;
        k++;
        while (k < n && isdigit((unsigned char)t[k]))
            k++;
        e = k;
    }
    if ((dot || ndig > 0) && k < n && (t[k] == 'e' || t[k] == 'E')) {
        size_t x = k + 1;
        if (x < n && (t[x] == '-' || t[x] == '+'))
            x++;
        size_t x0 = x;
        while (x < n && isdigit((unsigned char)t[x]))
            x++;
        if (x > x0)
            e = x;
    }
    if (e > best) {
        best = e;
        *kind = 3;
    }
    return best;
}

/* The exact value of an integer literal (kind 1 or 2, suffix ignored):
 * 0, or -1 when it does not fit in 64 bits. */
static int integer_value(const char *t, size_t n, int kind, long long *v)
{
    while (n > 0 && t[n - 1] == 'L')
        n--;
    unsigned long long acc = 0;
    if (kind == 2) {
        for (size_t k = 2; k < n; k++) {
            int c = tolower((unsigned char)t[k]);
            unsigned digit = (unsigned)(isdigit(c) ? c - '0' : c - 'a' + 10);
            if (acc > (ULLONG_MAX >> 4))
                return -1;
            acc = (acc << 4) | digit;
        }
        if (acc > (unsigned long long)LLONG_MAX)
            return -1;
        *v = (long long)acc;
        return 0;
    }
    size_t k = 0;
    int neg = 0;
    if (t[0] == '-' || t[0] == '+') {
        neg = t[0] == '-';
        k = 1;
    }
    for (; k < n; k++) {
        unsigned digit = (unsigned)(t[k] - '0');
        if (acc > (ULLONG_MAX - digit) / 10)
            return -1;
        acc = acc * 10 + digit;
    }
    if (neg) {
        if (acc > (unsigned long long)LLONG_MAX + 1)
            return -1;
        *v = acc == (unsigned long long)LLONG_MAX + 1 ? LLONG_MIN : -(long long)acc;
    } else {
        if (acc > (unsigned long long)LLONG_MAX)
            return -1;
        *v = (long long)acc;
    }
    return 0;
}

/* Does t[0..n) hold, after blanks, `@include` and blanks then '"'?
 * The offset of the '"' then, else 0. */
static size_t include_at(const char *t, size_t n)
{
    size_t k = 0;
    for (; k < n && (t[k] == ' ' || t[k] == '\t'); k++) {}
    if (k + 9 > n || memcmp(t + k, "@include", 8) != 0)
        return 0;
    k += 8;
    size_t b = k;
    while (k < n && (t[k] == ' ' || t[k] == '\t'))
        k++;
    return k > b && k < n && t[k] == '"' ? k : 0;
}

static int flatten(flat *f, int file, const char *t, size_t n, int pipe);

/* The directory part of path ("" when none; "/" kept). */
static void dir_of(const char *path, char *out, size_t len)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(out, len, "%s", "");
    else
        snprintf(out, len, "%.*s", (int)(slash - path + 1), path);
}

/* Include `name`, written on line `line` of file `from`. */
static int include(flat *f, int from, int line, const char *name, int pipe)
{
    cfg_doc *d = f->d;
    const char *where = d->files[from];
    char path[PATH_MAX + 1];
    if (f->from_text)
        return errorf(f->err, where, line, 0,
                      "@include \"%s\": not allowed here (%s is not a file, so "
                      "there is no directory to include from)", name, where);
    if (!name[0])
        return errorf(f->err, where, line, 0, "@include \"\": the file name is empty");
    if (f->depth > CFG_INCLUDE_DEPTH)
        return errorf(f->err, where, line, 0,
                      "@include \"%s\": includes nested more than %d deep", name,
                      CFG_INCLUDE_DEPTH);
    if (++f->n_includes > CFG_INCLUDE_MAX)
        return errorf(f->err, where, line, 0,
                      "@include \"%s\": more than %d includes in all", name,
                      CFG_INCLUDE_MAX);
    char dir[PATH_MAX];
    dir_of(where, dir, sizeof dir);
    if (name[0] == '/' || pipe)
        dir[0] = '\0';
    if ((size_t)snprintf(path, sizeof path, "%s%s", dir, name) >= sizeof path)
        return errorf(f->err, where, line, 0, "@include \"%s\": the path is too long",
                      name);
    if (f->confine[0]) {
        char real[PATH_MAX];
        size_t cl = strlen(f->confine);
        if (realpath(path, real) &&
            (strncmp(real, f->confine, cl) != 0 || real[cl] != '/'))
            return errorf(f->err, where, line, 0,
                          "@include \"%s\": outside %s", name, f->confine);
    }
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        return errorf(f->err, where, line, resource_errno(e),
                      "@include \"%s\": cannot open %s: %s%s", name, path, strerror(e),
                      name[0] == '/' || e != ENOENT ? ""
                      : " (a relative path is taken from the directory of the "
                        "file that holds the @include)");
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return errorf(f->err, where, line, resource_errno(e),
                      "@include \"%s\": cannot read %s: %s", name, path, strerror(e));
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return errorf(f->err, where, line, 0,
                      "@include \"%s\": %s is %s, not a regular file", name, path,
                      kind_of(st.st_mode));
    }
    for (int k = 0; k < f->depth; k++)
        if (f->stack[k].dev == st.st_dev && f->stack[k].ino == st.st_ino) {
            close(fd);
            char chain[1024];
            size_t at = 0;
            for (int q = k; q < f->depth; q++)
                at += (size_t)snprintf(chain + at, at < sizeof chain ? sizeof chain - at : 0,
                                       "%s -> ", d->files[f->stack[q].file]);
            snprintf(chain + (at < sizeof chain ? at : sizeof chain - 1),
                     at < sizeof chain ? sizeof chain - at : 1, "%s", path);
            return errorf(f->err, where, line, 0, "@include \"%s\": include cycle: %s",
                          name, chain);
        }
    size_t room = CFG_TEXT_MAX - (f->len < CFG_TEXT_MAX ? f->len : CFG_TEXT_MAX);
    char *text = NULL;
    size_t len = 0;
    if ((off_t)room < st.st_size || read_all(fd, room, &text, &len) != 0) {
        int e = (off_t)room < st.st_size ? EFBIG : errno;
        close(fd);
        if (e == EFBIG)
            return errorf(f->err, where, line, 0,
                          "@include \"%s\": %s makes the text larger than %u MiB",
                          name, path, CFG_TEXT_MAX >> 20);
        return errorf(f->err, where, line, resource_errno(e),
                      "@include \"%s\": cannot read %s: %s", name, path, strerror(e));
    }
    close(fd);
    int file = add_file(f, path);
    if (file < 0) {
        free(text);
        return errorf(f->err, where, line, 1, "out of memory");
    }
    if (check_text(path, text, len, 0, f->err)) {
        free(text);
        return -1;
    }
    f->stack[f->depth].dev = st.st_dev;
    f->stack[f->depth].ino = st.st_ino;
    f->stack[f->depth].file = file;
    f->depth++;
    /* the included text starts on the line of the @include (nothing of
     * that line has been written) */
    int rc = map_line(f, file, 1, 1) || flatten(f, file, text, len, 0);
    f->depth--;
    free(text);
    return rc ? -1 : 0;
}

/* Lex and copy text t[0..n) of file `file` (pipe: it is not a regular
 * file, so its relative includes are taken from the current directory). */
static int flatten(flat *f, int file, const char *t, size_t n, int pipe)
{
    const char *name = f->d->files[file];
    size_t i = 0, run = 0, lit = 0;
    int line = 1, bol = 1, state = LEX_NORMAL, opened = 0;
    if (n >= 3 && memcmp(t, "\xef\xbb\xbf", 3) == 0)
        i = 3; /* a UTF-8 byte-order mark */
    while (i < n) {
        char c = t[i];
        if (c == '\n') {
            if (put(f, "\n", 1) || map_line(f, file, ++line, 0))
                return -1;
            i++;
            bol = state == LEX_NORMAL;
            if (state == LEX_STRING && ++lit + run > CFG_STRING_MAX)
                goto long_string;
            continue;
        }
        if (state == LEX_STRING) {
            size_t k = i;
            if (c == '\\' && i + 1 < n && t[i + 1] != '\n')
                k = i + 2;
            else if (c == '"')
                k = i + 1;
            else
                while (k < n && t[k] != '"' && t[k] != '\\' && t[k] != '\n')
                    k++;
            if (k == i)
                k = i + 1;
            if (c == '"') {
                state = LEX_NORMAL;
                run += lit;
            } else {
                lit += k - i;
                if (lit + run > CFG_STRING_MAX)
                    goto long_string;
            }
            if (put(f, t + i, k - i))
                return -1;
            i = k;
            continue;
        }
        if (state == LEX_COMMENT) {
            size_t k = i;
            if (c == '*' && i + 1 < n && t[i + 1] == '/') {
                k = i + 2;
                state = LEX_NORMAL;
            } else {
                while (k < n && t[k] != '\n' && !(t[k] == '*' && k + 1 < n && t[k + 1] == '/'))
                    k++;
                if (k == i)
                    k = i + 1;
            }
            if (put(f, t + i, k - i))
                return -1;
            i = k;
            continue;
        }
        /* LEX_NORMAL */
        size_t q;
        if (bol && (q = include_at(t + i, n - i)) > 0) {
            size_t s = i + q + 1, e = s;
            while (e < n && t[e] != '"' && t[e] != '\n')
                e++;
            if (e >= n || t[e] != '"')
                return errorf(f->err, name, line, 0,
                              "syntax error: @include \"...: the file name has no "
                              "closing '\"' on its line");
            char inc[PATH_MAX];
            if (e - s >= sizeof inc)
                return errorf(f->err, name, line, 0,
                              "@include: a file name of more than %d bytes",
                              PATH_MAX - 1);
            memcpy(inc, t + s, e - s);
            inc[e - s] = '\0';
            for (const char *p = inc; *p; p++)
                if ((unsigned char)*p < 0x20)
                    return errorf(f->err, name, line, 0,
                                  "@include: a control character (byte 0x%02x) in "
                                  "the file name", (unsigned char)*p);
            i = e + 1;
            if (include_at(t + i, n - i) > 0)
                return errorf(f->err, name, line, 0,
                              "syntax error: a second @include on the line of "
                              "another (one @include a line)");
            if (include(f, file, line, inc, pipe))
                return -1;
            /* the rest of the line, on a line of its own */
            if (f->len > 0 && f->out[f->len - 1] != '\n') {
                if (put(f, "\n", 1) || map_line(f, file, line, 0))
                    return -1;
            } else if (map_line(f, file, line, 1)) {
                return -1;
            }
            bol = 0;
            run = 0;
            continue;
        }
        bol = 0;
        if (c == '#' || (c == '/' && i + 1 < n && t[i + 1] == '/')) {
            size_t k = i;
            while (k < n && t[k] != '\n')
                k++;
            if (put(f, t + i, k - i))
                return -1;
            i = k;
            continue;
        }
        if (c == '/' && i + 1 < n && t[i + 1] == '*') {
            state = LEX_COMMENT;
            opened = line;
            if (put(f, t + i, 2))
                return -1;
            i += 2;
            continue;
        }
        if (c == '"') {
            state = LEX_STRING;
            opened = line;
            lit = 0;
            f->word[0] = '\0';
            if (put(f, t + i, 1))
                return -1;
            i++;
            continue;
        }
        if (isspace((unsigned char)c)) {
            if (put(f, t + i, 1))
                return -1;
            i++;
            continue;
        }
        run = 0;
        if (isalpha((unsigned char)c) || c == '*') {
            size_t k = i + 1;
            while (k < n && (isalnum((unsigned char)t[k]) || t[k] == '-' ||
                             t[k] == '_' || t[k] == '*'))
                k++;
            if (k - i > CFG_TOKEN_MAX)
                return with_key(f, errorf(f->err, name, line, 0,
                                          "a name of more than %d characters (%.20s...)",
                                          CFG_TOKEN_MAX, t + i));
            if (put(f, t + i, k - i))
                return -1;
            snprintf(f->word, sizeof f->word, "%.*s", (int)(k - i < 63 ? k - i : 63), t + i);
            i = k;
            continue;
        }
        int kind = 0;
        size_t len = (isdigit((unsigned char)c) || c == '-' || c == '+' || c == '.')
                         ? number_len(t + i, n - i, &kind)
                         : 0;
        if (len == 0) {
            track(f, c);
            if (put(f, t + i, 1))
                return -1;
            i++;
            continue;
        }
        f->word[0] = '\0';
        if (len > CFG_TOKEN_MAX)
            return with_key(f, errorf(f->err, name, line, 0,
                                      "a number of more than %d characters (%.20s...)",
                                      CFG_TOKEN_MAX, t + i));
        if (kind == 3) {
            if (put(f, t + i, len))
                return -1;
        } else {
            long long v;
            if (integer_value(t + i, len, kind, &v)) {
                char as[64];
                snprintf(as, sizeof as, "%.*s", (int)(len < 60 ? len : 60), t + i);
                return with_key(f, errorf(f->err, name, line, 0,
                                          "%s%s does not fit in a 64-bit integer (from "
                                          "-9223372036854775808 to 9223372036854775807)",
                                          as, len < 60 ? "" : "..."));
            }
            /* the sign as written ("+5" stays "+5LL": "-+5" must stay a
             * '-' and a number, not become -5), the magnitude exact */
            char exact[32];
            unsigned long long mag = v < 0 ? (unsigned long long)(-(v + 1)) + 1
                                           : (unsigned long long)v;
            int m = snprintf(exact, sizeof exact, "%s%lluLL",
                             t[i] == '-' ? "-" : t[i] == '+' ? "+" : "", mag);
            if (put(f, exact, (size_t)m))
                return -1;
        }
        i += len;
    }
    if (file != 0 && state == LEX_STRING)
        return errorf(f->err, name, opened, 0,
                      "syntax error: the file ends inside the string opened on "
                      "this line (an included file must close its strings)");
    if (file != 0 && state == LEX_COMMENT)
        return errorf(f->err, name, opened, 0,
                      "syntax error: the file ends inside the comment opened on "
                      "this line (an included file must close its comments)");
    /* an included file's text ends its line */
    if (file != 0 && f->len > 0 && f->out[f->len - 1] != '\n')
        return put(f, "\n", 1) || map_line(f, file, line + 1, 0);
    return 0;

long_string:
    return with_key(f, errorf(f->err, name, opened, 0,
                              "a string of more than %d bytes (adjacent strings "
                              "joined): strings are limited to %d bytes",
                              CFG_STRING_MAX, CFG_STRING_MAX));
}

/* ---- the parse ------------------------------------------------------------------ */

static void where_line(const cfg_doc *d, int flat_line, const char **file, int *line)
{
    if (flat_line >= 1 && flat_line <= d->n_lines) {
        *file = d->files[d->line_file[flat_line - 1]];
        *line = d->line_no[flat_line - 1];
    } else {
        *file = d->files[0];
        *line = 0;
    }
}

/* The path ("agents.RUS") of the setting named first on line `line` of
 * the flat text: libconfig reports a duplicate name by line only.  Names
 * before '=' or ':' are pushed at '{' and '(' and popped at '}' and ')';
 * comments and strings are skipped. */
static void path_at(const char *t, int line, char *out, size_t len)
{
    enum { DEPTH = 16, WORD = 64 };
    char stack[DEPTH][WORD], pending[WORD] = "", word[WORD] = "";
    int depth = 0, ln = 1;
    size_t wl = 0;
    out[0] = '\0';
    for (const char *p = t; *p; p++) {
        char c = *p;
        if (c == '"') {
            for (p++; *p && *p != '"'; p++) {
                if (*p == '\\' && p[1] && p[1] != '\n')
                    p++;
                else if (*p == '\n')
                    ln++;
            }
            if (!*p)
                return;
            wl = 0;
            continue;
        }
        if (c == '#' || (c == '/' && p[1] == '/')) {
            while (p[1] && p[1] != '\n')
                p++;
            continue;
        }
        if (c == '/' && p[1] == '*') {
            for (p += 2; *p && !(*p == '*' && p[1] == '/'); p++)
                ln += *p == '\n';
            if (!*p)
                return;
            p++;
            continue;
        }
        if (c == '\n') {
            ln++;
            wl = 0;
            continue;
        }
        if (isalnum((unsigned char)c) || c == '_' || c == '-' || c == '*') {
            if (wl + 1 < WORD)
                word[wl++] = c;
            word[wl] = '\0';
            continue;
        }
        if ((c == '=' || c == ':') && wl > 0) {
            snprintf(pending, WORD, "%s", word);
            if (ln == line) {
                size_t at = 0;
                for (int k = 0; k < depth && k < DEPTH; k++)
                    if (stack[k][0])
                        at += (size_t)snprintf(out + at, at < len ? len - at : 0,
                                               "%s.", stack[k]);
                snprintf(out + (at < len ? at : len - 1), at < len ? len - at : 1, "%s",
                         pending);
                return;
            }
        } else if (c == '{' || c == '(') {
            if (depth < DEPTH)
                snprintf(stack[depth], WORD, "%s", pending);
            depth++;
            pending[0] = '\0';
        } else if (c == '}' || c == ')') {
            depth -= depth > 0;
        } else if (c == ';' || c == ',') {
            pending[0] = '\0';
        }
        if (!isspace((unsigned char)c))
            wl = 0;
    }
}

/* Parse the flat text f->out into d->cfg. */
static int parse(flat *f)
{
    cfg_doc *d = f->d;
    config_init(&d->cfg);
    /* libconfig sees no @include left; should one slip through, it opens
     * nothing */
    config_set_include_dir(&d->cfg, "/nonexistent/sim: no @include here");
    d->parsed = 1;
    if (config_read_string(&d->cfg, f->out ? f->out : "") == CONFIG_TRUE) {
        config_setting_set_hook(config_root_setting(&d->cfg), d);
        return 0;
    }
    const char *text = config_error_text(&d->cfg);
    const char *file;
    int line, resource = 0;
    where_line(d, config_error_line(&d->cfg), &file, &line);
    if (!text)
        text = "syntax error";
    char key[256] = "";
    if (strstr(text, "memory")) {
        resource = 1;
    } else if (strcmp(text, "duplicate setting name") == 0) {
        text = "duplicate setting name: given twice in one group";
        if (f->out)
            path_at(f->out, config_error_line(&d->cfg), key, sizeof key);
    } else if (strstr(text, "include")) {
        text = "an @include the loader did not see (report this)";
    }
    errorf(f->err, file, line, resource, "%s%s", strstr(text, "syntax") ||
           strstr(text, "include") || resource ? "" : "syntax error: ", text);
    if (f->err)
        snprintf(f->err->key, sizeof f->err->key, "%s", key);
    return -1;
}

static cfg_doc *doc_new(const char *name, flat *f, const cfg_opts *o,
                        config_error *err)
{
    cfg_doc *d = calloc(1, sizeof *d);
    memset(f, 0, sizeof *f);
    f->d = d;
    f->o = o;
    f->err = err;
    if (!d || add_file(f, name) != 0 || map_line(f, 0, 1, 0)) {
        cfg_free(d);
        errorf(err, name, 0, 1, "out of memory");
        return NULL;
    }
    return d;
}

static cfg_doc *finish(flat *f, cfg_doc *d, int rc)
{
    if (rc == 0)
        rc = parse(f);
    free(f->out);
    if (rc) {
        cfg_free(d);
        return NULL;
    }
    return d;
}

cfg_doc *cfg_read_file(const char *path, const cfg_opts *o, config_error *err)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        int e = errno;
        errorf(err, path, 0, resource_errno(e), "cannot open: %s", strerror(e));
        return NULL;
    }
    if (S_ISDIR(st.st_mode) || S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
        errorf(err, path, 0, 0, "is %s, not a file", kind_of(st.st_mode));
        return NULL;
    }
    flat f;
    cfg_doc *d = doc_new(path, &f, o, err);
    if (!d)
        return NULL;
    if (o && o->confine && !realpath(o->confine, f.confine)) {
        errorf(err, path, 0, 0, "cannot resolve %s", o->confine);
        cfg_free(d);
        return NULL;
    }
    int fd = open(path, O_RDONLY | O_NOCTTY | O_CLOEXEC);
    char *text = NULL;
    size_t len = 0;
    int rc = -1;
    if (fd < 0 || fstat(fd, &st) != 0) {
        int e = errno;
        errorf(err, path, 0, resource_errno(e), "cannot open: %s", strerror(e));
    } else if (S_ISDIR(st.st_mode) || S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
        errorf(err, path, 0, 0, "is %s, not a file", kind_of(st.st_mode));
    } else if (read_all(fd, CFG_TEXT_MAX, &text, &len) != 0) {
        int e = errno;
        if (e == EFBIG)
            errorf(err, path, 0, 0, "larger than %u MiB", CFG_TEXT_MAX >> 20);
        else
            errorf(err, path, 0, resource_errno(e), "cannot read: %s", strerror(e));
    } else if (check_text(path, text, len, 1, err) == 0) {
        f.stack[0].dev = st.st_dev;
        f.stack[0].ino = st.st_ino;
        f.stack[0].file = 0;
        f.depth = 1;
        rc = flatten(&f, 0, text, len, !S_ISREG(st.st_mode));
    }
    if (fd >= 0)
        close(fd);
    free(text);
    return finish(&f, d, rc);
}

cfg_doc *cfg_read_text(const char *text, size_t len, const char *name,
                       config_error *err)
{
    flat f;
    cfg_doc *d = doc_new(name, &f, NULL, err);
    if (!d)
        return NULL;
    f.from_text = 1;
    int rc = -1;
    if (len > CFG_TEXT_MAX)
        errorf(err, name, 0, 0, "larger than %u MiB", CFG_TEXT_MAX >> 20);
    else if (check_text(name, text, len, 1, err) == 0)
        rc = flatten(&f, 0, text, len, 1);
    return finish(&f, d, rc);
}

void cfg_free(cfg_doc *d)
{
    if (!d)
        return;
    if (d->parsed)
        config_destroy(&d->cfg);
    for (int k = 0; k < d->n_files; k++)
        free(d->files[k]);
    free(d->files);
    free(d->line_file);
    free(d->line_no);
    free(d);
}

config_setting_t *cfg_root(const cfg_doc *d)
{
    return config_root_setting(&d->cfg);
}

const char *cfg_name(const cfg_doc *d) { return d->files[0]; }
int cfg_n_files(const cfg_doc *d) { return d->n_files; }
const char *cfg_file(const cfg_doc *d, int k)
{
    return k >= 0 && k < d->n_files ? d->files[k] : NULL;
}

const char *cfg_where(const config_setting_t *s, int *line)
{
    *line = 0;
    if (!s || !s->config)
        return NULL;
    const cfg_doc *d = config_setting_get_hook(config_root_setting(s->config));
    if (!d)
        return NULL;
    const char *file;
    where_line(d, (int)config_setting_source_line(s), &file, line);
    return file;
}

/* ---- the files a command reads ------------------------------------------------- */

int config_input_files(const char *path, int (*add)(void *ctx, const char *name),
                       void *ctx)
{
    struct stat st;
    if (!path)
        return 0;
    /* a pipe cannot be read again (its text went to the loader already),
     * and a directory or device is read by nobody: the path alone */
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
        return add(ctx, path);
    config_error err;
    cfg_doc *d = cfg_read_file(path, NULL, &err);
    if (!d) /* the file's loader reports why */
        return add(ctx, path);
    int rc = 0;
    for (int k = 0; rc == 0 && k < cfg_n_files(d); k++)
        rc = add(ctx, cfg_file(d, k));
    cfg_free(d);
    return rc;
}
