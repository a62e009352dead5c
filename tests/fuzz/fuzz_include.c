/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * fuzz_include.c - libFuzzer harness for the include resolver and lexer
 * of io/config/load.c (cfg_read_file), against libconfig itself.
 *
 *   bytes, split at NUL bytes -> up to four files in a directory of their
 *   own: a.cfg (read), b.cfg, c.cfg and sub/d.cfg; files not given do not
 *   exist.  cfg_read_file(DIR/a.cfg) with its includes confined to DIR.
 *
 * Checks:
 *  - a failure has a reason, a file among those (or a.cfg's own name) and
 *    a line within that file;
 *  - every setting of an accepted text is placed (cfg_where) in one of the
 *    files, on a line it has;
 *  - against libconfig 1.5 reading DIR/a.cfg with its own @include (whose
 *    paths are relative to DIR), when every "@include" in the bytes names
 *    a.cfg, b.cfg or c.cfg (so both rules find the same files; libconfig
 *    would hang on a FIFO or exit() on a directory).  When both accept,
 *    the trees must be the same: names, types, values (an integer that
 *    libconfig wrapped at 32 bits excepted), and the file and line of
 *    every setting.  When only one accepts, the reason must be one this
 *    loader gives on purpose (stricter: a string or comment left open at
 *    the end of an included file, an integer beyond 64 bits, limits,
 *    binary bytes, an empty file...; more lenient: a UTF-8 byte-order mark,
 *    an included file's last line without a newline, an array that mixes
 *    integers with and without L).  Anything else is a lexer that
 *    disagrees with libconfig: abort.
 *
 * The directory is made once under $FUZZ_OUT_DIR (run_fuzz.sh: /dev/shm
 * when it can), else $TMPDIR, and removed at exit.
 */
#define _GNU_SOURCE /* memmem */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libconfig.h>

#include "io/config/load.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX_INPUT (1u << 16)
#define N_FILES 4

static const char *const names[N_FILES] = {"a.cfg", "b.cfg", "c.cfg", "sub/d.cfg"};
static char dir[4096], paths[N_FILES][4200], subdir[4200];
/* this input's files: text and number of lines ((size_t)-1: absent) */
static const uint8_t *text[N_FILES];
static size_t len[N_FILES];

/* libconfig 1.5 leaks a string token's text when the parse fails right
 * after it (fixed in 1.7): its lexer only, as fuzz_config.c. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:libconfig_yylex\nleak:strbuf_append\n";
}

static void die(const char *what, const char *detail)
{
    fprintf(stderr, "fuzz_include: %s: %s\n", what, detail);
    for (int k = 0; k < N_FILES; k++)
        if (len[k] != (size_t)-1)
            fprintf(stderr, "---- %s (%zu bytes) ----\n%.*s\n", names[k], len[k],
                    (int)len[k], (const char *)text[k]);
    abort();
}

static void cleanup(void)
{
    for (int k = 0; k < N_FILES; k++)
        unlink(paths[k]);
    rmdir(subdir);
    rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    const char *base = getenv("FUZZ_OUT_DIR");
    if (!base || !base[0])
        base = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/fuzz_include.XXXXXX", base && base[0] ? base : "/tmp");
    if (!mkdtemp(dir))
        die("mkdtemp", dir);
    snprintf(subdir, sizeof subdir, "%s/sub", dir);
    if (mkdir(subdir, 0777) != 0)
        die("mkdir", subdir);
    for (int k = 0; k < N_FILES; k++)
        snprintf(paths[k], sizeof paths[k], "%s/%s", dir, names[k]);
    atexit(cleanup);
    return 0;
}

/* Lines of file k (a last line without '\n' counts). */
static int lines_of(int k)
{
    int n = 1;
    for (size_t i = 0; i < len[k]; i++)
        n += text[k][i] == '\n';
    return n;
}

static int file_index(const char *file)
{
    for (int k = 0; k < N_FILES; k++)
        if (file && strcmp(file, paths[k]) == 0)
            return k;
    return -1;
}

/* The file a path names (as the loader may spell it: "DIR/sub/../b.cfg"). */
static int file_of(const char *file)
{
    int k = file_index(file);
    if (k >= 0 || !file)
        return k;
    char real[4200];
    if (!realpath(file, real))
        return -1;
    for (k = 0; k < N_FILES; k++) {
        char want[4200];
        if (realpath(paths[k], want) && strcmp(real, want) == 0)
            return k;
    }
    return -1;
}

/* The file libconfig names: the top by its path, an included file by
 * its name as written (relative to the include directory). */
static int native_file(const char *file)
{
    for (int k = 0; k < N_FILES; k++)
        if (file && strcmp(file, names[k]) == 0)
            return k;
    return file_of(file);
}

/* Do all "@include" of the input name a.cfg, b.cfg or c.cfg? */
static int plain_includes(void)
{
    for (int k = 0; k < N_FILES; k++) {
        if (len[k] == (size_t)-1)
            continue;
        const uint8_t *p = text[k], *end = p + len[k];
        while ((p = memmem(p, (size_t)(end - p), "@include", 8))) {
            const uint8_t *q = p + 8;
            while (q < end && (*q == ' ' || *q == '\t'))
                q++;
            if (q == end || *q != '"' || end - q < 7)
                return 0;
            q++;
            if (!((q[0] == 'a' || q[0] == 'b' || q[0] == 'c') &&
                  memcmp(q + 1, ".cfg\"", 5) == 0))
                return 0;
            p = q;
        }
    }
    return 1;
}

/* Is the loader's refusal one it makes on purpose where libconfig reads? */
static int stricter(const char *reason)
{
    static const char *const on_purpose[] = {
        "does not fit in a 64-bit integer", "a string of more than",
        "a name of more than", "a number of more than", "ends inside the string",
        "ends inside the comment", "include cycle", "nested more than",
        "UTF-16", "not a text file", "the file is empty", "a control character",
        "larger than", "more than 4096 includes", "a second @include",
        NULL};
    for (const char *const *p = on_purpose; *p; p++)
        if (strstr(reason, *p))
            return 1;
    return 0;
}

/* Is libconfig's refusal one the loader does not share on purpose? */
static int lenient(const char *native_error)
{
    if (strstr(native_error, "mismatched element type"))
        return 1;
    for (int k = 0; k < N_FILES; k++) {
        if (len[k] == (size_t)-1)
            continue;
        if (len[k] >= 3 && memcmp(text[k], "\xef\xbb\xbf", 3) == 0)
            return 1;
        if (k > 0 && len[k] > 0 && text[k][len[k] - 1] != '\n')
            return 1;
    }
    return 0;
}

static void check_places(const config_setting_t *s)
{
    int line = 0;
    const char *file = cfg_where(s, &line);
    int k = file_of(file);
    if (s->parent) {
        if (k < 0 || len[k] == (size_t)-1)
            die("a setting placed in no file of the input", file ? file : "(null)");
        if (line < 1 || line > lines_of(k)) {
            char msg[4400];
            snprintf(msg, sizeof msg, "%s: line %d of %d", file, line, lines_of(k));
            die("a setting placed on a line its file does not have", msg);
        }
    }
    int t = config_setting_type(s);
    if (t == CONFIG_TYPE_GROUP || t == CONFIG_TYPE_LIST || t == CONFIG_TYPE_ARRAY)
        for (int i = 0; i < config_setting_length(s); i++)
            check_places(config_setting_get_elem(s, (unsigned)i));
}

/* The same tree?  a: ours, b: libconfig's own. */
static void same_tree(const config_setting_t *a, const config_setting_t *b,
                      const char *where)
{
    char at[512];
    const char *na = config_setting_name(a), *nb = config_setting_name(b);
    snprintf(at, sizeof at, "%.200s.%.200s", where, na ? na : "[]");
    if ((na == NULL) != (nb == NULL) || (na && strcmp(na, nb) != 0))
        die("names differ from libconfig's", at);
    int ta = config_setting_type(a), tb = config_setting_type(b);
    int ints = (ta == CONFIG_TYPE_INT || ta == CONFIG_TYPE_INT64) &&
               (tb == CONFIG_TYPE_INT || tb == CONFIG_TYPE_INT64);
    if (ta != tb && !ints)
        die("types differ from libconfig's", at);
    int la = 0;
    const char *fa = cfg_where(a, &la);
    if (a->parent && (file_of(fa) != native_file(config_setting_source_file(b)) ||
                      la != (int)config_setting_source_line(b))) {
        char msg[9000];
        snprintf(msg, sizeof msg, "%s: ours %s:%d, libconfig's %s:%u", at, fa, la,
                 config_setting_source_file(b), config_setting_source_line(b));
        die("a setting placed elsewhere than libconfig places it", msg);
    }
    if (ints) {
        long long va = config_setting_get_int64(a), vb = config_setting_get_int64(b);
        /* libconfig keeps a literal without L in 32 bits: ours is exact */
        int wrapped = tb == CONFIG_TYPE_INT && (va < INT32_MIN || va > INT32_MAX);
        if (va != vb && !wrapped)
            die("an integer differs from libconfig's", at);
        return;
    }
    switch (ta) {
    case CONFIG_TYPE_FLOAT: {
        double x = config_setting_get_float(a), y = config_setting_get_float(b);
        if (memcmp(&x, &y, sizeof x) != 0)
            die("a real number differs from libconfig's", at);
        return;
    }
    case CONFIG_TYPE_STRING:
        if (strcmp(config_setting_get_string(a), config_setting_get_string(b)) != 0)
            die("a string differs from libconfig's", at);
        return;
    case CONFIG_TYPE_BOOL:
        if (!config_setting_get_bool(a) != !config_setting_get_bool(b))
            die("a boolean differs from libconfig's", at);
        return;
    case CONFIG_TYPE_GROUP:
    case CONFIG_TYPE_LIST:
    case CONFIG_TYPE_ARRAY:
        if (config_setting_length(a) != config_setting_length(b))
            die("a group's length differs from libconfig's", at);
        for (int i = 0; i < config_setting_length(a); i++)
            same_tree(config_setting_get_elem(a, (unsigned)i),
                      config_setting_get_elem(b, (unsigned)i), at);
        return;
    default:
        return;
    }
}

static void put_file(int k)
{
    if (len[k] == (size_t)-1) {
        unlink(paths[k]);
        return;
    }
    int fd = open(paths[k], O_WRONLY | O_CREAT | O_TRUNC, 0666);
    if (fd < 0 || write(fd, text[k], len[k]) != (ssize_t)len[k] || close(fd) != 0)
        die("cannot write", paths[k]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > FUZZ_MAX_INPUT)
        return -1;
    const uint8_t *p = data, *end = data + size;
    for (int k = 0; k < N_FILES; k++) {
        len[k] = (size_t)-1;
        text[k] = NULL;
        if (p > end)
            continue;
        const uint8_t *nul = memchr(p, '\0', (size_t)(end - p));
        text[k] = p;
        len[k] = (size_t)((nul ? nul : end) - p);
        p = nul ? nul + 1 : end + 1;
    }
    for (int k = 0; k < N_FILES; k++)
        put_file(k);

    config_error err;
    memset(&err, 0, sizeof err);
    cfg_opts o = {.confine = dir};
    cfg_doc *d = cfg_read_file(paths[0], &o, &err);
    if (!d) {
        if (!err.reason[0])
            die("refused without a reason", err.file);
        int k = file_of(err.file);
        if (k < 0 && strcmp(err.file, paths[0]) != 0)
            die("an error placed in no file of the input", err.file);
        if (k >= 0 && len[k] != (size_t)-1 && (err.line < 0 || err.line > lines_of(k) + 1)) {
            char msg[4800];
            snprintf(msg, sizeof msg, "%s:%d (of %d lines): %s", err.file, err.line,
                     lines_of(k), err.reason);
            die("an error on a line its file does not have", msg);
        }
    } else {
        check_places(cfg_root(d));
    }

    if (plain_includes()) {
        config_t native;
        config_init(&native);
        config_set_include_dir(&native, dir);
        int ok = config_read_file(&native, paths[0]) == CONFIG_TRUE;
        if (d && ok) {
            same_tree(cfg_root(d), config_root_setting(&native), "");
        } else if (d && !ok) {
            if (!lenient(config_error_text(&native) ? config_error_text(&native) : "")) {
                char msg[1024];
                snprintf(msg, sizeof msg, "%s:%d: %s", config_error_file(&native)
                         ? config_error_file(&native) : "?",
                         config_error_line(&native), config_error_text(&native));
                die("accepted what libconfig refuses", msg);
            }
        } else if (!d && ok) {
            if (!stricter(err.reason)) {
                char msg[1300];
                config_error_format(&err, msg, sizeof msg);
                die("refused what libconfig accepts", msg);
            }
        }
        config_destroy(&native);
    }
    cfg_free(d);
    return 0;
}
