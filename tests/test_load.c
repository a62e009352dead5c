/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_load.c - the config loader (io/config/load.c): includes resolved
 * as C's #include "...", lines placed in the file that holds them,
 * integers exact at 64 bits, the limits; and the checked getters
 * (io/config/get.c); the files a command reads (config_input_files, a
 * scenario's config_file list).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "cmd/cmd.h"
#include "io/config.h"
#include "io/config/get.h"
#include "io/config/load.h"

static char dir[256];

static void put(const char *name, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "%s/test_load.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(dir))
        return -1;
    char sub[300];
    snprintf(sub, sizeof sub, "%s/sub", dir);
    return mkdir(sub, 0777);
}

static int teardown(void **state)
{
    (void)state;
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static cfg_doc *read_ok(const char *name)
{
    char path[512];
    config_error e;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    cfg_doc *d = cfg_read_file(path, NULL, &e);
    if (!d) {
        char line[1300];
        config_error_format(&e, line, sizeof line);
        fail_msg("unexpected error: %s", line);
    }
    return d;
}

/* Read name, expect an error on (file ending, line) with the fragment. */
static void read_bad(const char *name, const char *file_end, int line,
                     const char *why)
{
    char path[512];
    config_error e;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    cfg_doc *d = cfg_read_file(path, NULL, &e);
    char msg[1300];
    config_error_format(&e, msg, sizeof msg);
    if (d) {
        cfg_free(d);
        fail_msg("%s loaded; expected '%s'", name, why);
    }
    size_t n = strlen(e.file), m = strlen(file_end);
    if (n < m || strcmp(e.file + n - m, file_end) != 0 || e.line != line ||
        !strstr(e.reason, why))
        fail_msg("got \"%s\", expected %s:%d and '%s'", msg, file_end, line, why);
}

static void where_is(const cfg_doc *d, const char *path, const char *file_end,
                     int line)
{
    config_setting_t *s = config_lookup(cfg_root(d)->config, path);
    assert_non_null(s);
    int at = 0;
    const char *f = cfg_where(s, &at);
    assert_non_null(f);
    size_t n = strlen(f), m = strlen(file_end);
    if (n < m || strcmp(f + n - m, file_end) != 0 || at != line)
        fail_msg("%s is at %s:%d, expected ...%s:%d", path, f, at, file_end, line);
}

/* ---- includes ---------------------------------------------------------------------- */

static void test_include_relative_to_includer(void **state)
{
    (void)state;
    /* top.cfg -> sub/mid.cfg -> (sub/)leaf.cfg: each path from the file
     * that holds it, not from top.cfg's directory */
    put("top.cfg", "# top\na = 1;\n@include \"sub/mid.cfg\"\nz = 26;\n");
    put("sub/mid.cfg", "b = 2;\n\n@include \"leaf.cfg\"   # a comment after\nc = 3;\n");
    put("sub/leaf.cfg", "g = {\n  d = 4;\n};");
    cfg_doc *d = read_ok("top.cfg");
    assert_int_equal(cfg_n_files(d), 3);
    where_is(d, "a", "/top.cfg", 2);
    where_is(d, "b", "/sub/mid.cfg", 1);
    where_is(d, "g.d", "/sub/leaf.cfg", 2);
    where_is(d, "c", "/sub/mid.cfg", 4);
    where_is(d, "z", "/top.cfg", 4);
    cfg_free(d);
    /* absolute, and back up with .. */
    char text[600];
    snprintf(text, sizeof text, "@include \"%s/sub/leaf.cfg\"\n@include \"sub/../sub/x.cfg\"\n", dir);
    put("abs.cfg", text);
    put("sub/x.cfg", "x = 1;\n");
    d = read_ok("abs.cfg");
    where_is(d, "g.d", "/sub/leaf.cfg", 2);
    where_is(d, "x", "/sub/x.cfg", 1);
    cfg_free(d);
    /* text after the closing quote stays on the including file's line */
    put("after.cfg", "@include \"sub/x.cfg\" y = 2;\n");
    d = read_ok("after.cfg");
    where_is(d, "y", "/after.cfg", 1);
    cfg_free(d);
}

static void test_include_hidden(void **state)
{
    (void)state;
    /* @include inside a comment or a string, or not at the start of a
     * line, is no include (as for libconfig) */
    put("hidden.cfg", "/* @include \"nope.cfg\"\n*/ s = \"a\n@include \\\"nope.cfg\\\"\n\";\n"
                      "# @include \"nope.cfg\"\nt = 1;\n");
    cfg_doc *d = read_ok("hidden.cfg");
    assert_int_equal(cfg_n_files(d), 1);
    where_is(d, "t", "/hidden.cfg", 6);
    cfg_free(d);
    put("inline.cfg", "a = 1; @include \"sub/x.cfg\"\n");
    read_bad("inline.cfg", "/inline.cfg", 1, "syntax error");
}

static void test_include_refusals(void **state)
{
    (void)state;
    put("cycle_a.cfg", "a = 1;\n@include \"cycle_b.cfg\"\n");
    put("cycle_b.cfg", "@include \"cycle_a.cfg\"\n");
    read_bad("cycle_a.cfg", "/cycle_b.cfg", 1, "include cycle:");
    char chain[600];
    snprintf(chain, sizeof chain, "%s/cycle_a.cfg -> %s/cycle_b.cfg -> %s/cycle_a.cfg",
             dir, dir, dir);
    config_error e;
    char path[512];
    snprintf(path, sizeof path, "%s/cycle_a.cfg", dir);
    assert_null(cfg_read_file(path, NULL, &e));
    assert_non_null(strstr(e.reason, chain));
    put("dir.cfg", "@include \"sub\"\n");
    read_bad("dir.cfg", "/dir.cfg", 1, "sub is a directory, not a regular file");
    put("dev.cfg", "\n@include \"/dev/null\"\n");
    read_bad("dev.cfg", "/dev.cfg", 2, "/dev/null is a device");
    put("missing.cfg", "x = 1;\n@include \"sub/none.cfg\"\n");
    read_bad("missing.cfg", "/missing.cfg", 2, "sub/none.cfg: No such file or directory");
    assert_int_equal(e.resource, 0);
    put("open.cfg", "@include \"sub/open.cfg\"\n");
    put("sub/open.cfg", "a = 1;\ns = \"never\nclosed;\n");
    read_bad("open.cfg", "/sub/open.cfg", 2, "ends inside the string");
    put("sub/comment.cfg", "a = 1; /* never closed\n");
    put("comment.cfg", "@include \"sub/comment.cfg\"\n");
    read_bad("comment.cfg", "/sub/comment.cfg", 1, "ends inside the comment");
    /* a text in memory has no directory to include from */
    assert_null(cfg_read_text("x = 1;\n@include \"a.cfg\"\n", 24, "mem", &e));
    assert_string_equal(e.file, "mem");
    assert_int_equal(e.line, 2);
    assert_non_null(strstr(e.reason, "not allowed here"));
    /* 17 levels: one too many */
    for (int k = 0; k < 18; k++) {
        char name[32], text[64];
        snprintf(name, sizeof name, "deep%d.cfg", k);
        snprintf(text, sizeof text, "@include \"deep%d.cfg\"\n", k + 1);
        put(name, k == 17 ? "x = 1;\n" : text);
    }
    read_bad("deep0.cfg", "/deep16.cfg", 1, "nested more than 16 deep");
}

/* ---- text, integers, limits --------------------------------------------------------- */

static void test_integers_exact(void **state)
{
    (void)state;
    put("ints.cfg", "a = 4294967297;\nb = -2147483649;\nc = 0xFFFFFFFF;\nd = 9223372036854775807;\n"
                    "e = [1, 2L, 0x10LL];\nf = 5.;\ng = -0;\nn-1 = 7;\n");
    cfg_doc *d = read_ok("ints.cfg");
    const config_setting_t *r = cfg_root(d);
    assert_true(config_setting_get_int64(cfg_get(r, "a")) == 4294967297LL);
    assert_true(config_setting_get_int64(cfg_get(r, "b")) == -2147483649LL);
    assert_true(config_setting_get_int64(cfg_get(r, "c")) == 4294967295LL);
    assert_true(config_setting_get_int64(cfg_get(r, "d")) == 9223372036854775807LL);
    assert_int_equal(config_setting_get_int64_elem(cfg_get(r, "e"), 2), 16);
    assert_int_equal(config_setting_type(cfg_get(r, "f")), CONFIG_TYPE_FLOAT);
    assert_int_equal(config_setting_get_int64(cfg_get(r, "n-1")), 7);
    cfg_free(d);
    put("big.cfg", "x = {\n  y = 9223372036854775808;\n};\n");
    read_bad("big.cfg", "/big.cfg", 2, "9223372036854775808 does not fit in a 64-bit integer");
    config_error e;
    char path[512];
    snprintf(path, sizeof path, "%s/big.cfg", dir);
    assert_null(cfg_read_file(path, NULL, &e));
    assert_string_equal(e.key, "x.y");
    put("hex.cfg", "h = 0x8000000000000000L;\n");
    read_bad("hex.cfg", "/hex.cfg", 1, "does not fit");
    /* a sign stays as written: "-+5" is a stray '-' and +5 (a syntax
     * error, as for libconfig), not -5 (found by fuzz_include) */
    put("signs.cfg", "a = +5;\nb = -0;\n");
    d = read_ok("signs.cfg");
    assert_int_equal(config_setting_get_int64(cfg_get(cfg_root(d), "a")), 5);
    assert_int_equal(config_setting_get_int64(cfg_get(cfg_root(d), "b")), 0);
    cfg_free(d);
    put("minus_plus.cfg", "a = 1;\nb = -+2147483;\n");
    read_bad("minus_plus.cfg", "/minus_plus.cfg", 2, "syntax error");
    put("minus_minus.cfg", "b = --0;\n");
    read_bad("minus_minus.cfg", "/minus_minus.cfg", 1, "syntax error");
}

static void test_text_limits(void **state)
{
    (void)state;
    put("bom.cfg", "\xef\xbb\xbf" "a = 1;\n");
    cfg_doc *d = read_ok("bom.cfg");
    where_is(d, "a", "/bom.cfg", 1);
    cfg_free(d);
    put("utf16.cfg", "\xff\xfe" "a\0");
    read_bad("utf16.cfg", "/utf16.cfg", 0, "UTF-16");
    put("empty.cfg", " \n\t\n");
    read_bad("empty.cfg", "/empty.cfg", 0, "the file is empty");
    /* a string of 65535 bytes is read; one more byte, or two adjacent
     * strings making it, is refused */
    size_t n = CFG_STRING_MAX;
    char *text = malloc(n + 64);
    assert_non_null(text);
    strcpy(text, "s = \"");
    memset(text + 5, 'x', n);
    strcpy(text + 5 + n, "\";\n");
    put("max.cfg", text);
    d = read_ok("max.cfg");
    assert_int_equal(strlen(config_setting_get_string(cfg_get(cfg_root(d), "s"))), n);
    cfg_free(d);
    strcpy(text + 5 + n - 10, "\" \"xxxxxxxxxxx\";\n");
    put("over.cfg", text);
    read_bad("over.cfg", "/over.cfg", 1, "a string of more than 65535 bytes");
    free(text);
}

static void test_syntax_placed(void **state)
{
    (void)state;
    put("syn.cfg", "a = 1;\n@include \"sub/syn.cfg\"\nb = 2;\n");
    put("sub/syn.cfg", "ok = 1;\n\nbad = = 3;\n");
    read_bad("syn.cfg", "/sub/syn.cfg", 3, "syntax error");
    put("dup.cfg", "g = {\n  a = 1;\n  a = 2;\n};\n");
    config_error e;
    char path[512];
    snprintf(path, sizeof path, "%s/dup.cfg", dir);
    assert_null(cfg_read_file(path, NULL, &e));
    assert_int_equal(e.line, 3);
    assert_string_equal(e.key, "g.a");
}

/* ---- getters --------------------------------------------------------------------- */

static void test_getters(void **state)
{
    (void)state;
    put("get.cfg", "n = 32.0;\ns = \"32\";\ni = 5;\nbig = 9007199254740993;\nm = \"2999-12\";\n"
                   "ok = \"2024-02\";\nt = \"a\\tb\";\n");
    cfg_doc *d = read_ok("get.cfg");
    const config_setting_t *r = cfg_root(d);
    config_error e;
    long long v = -1;
    double x = 0;
    int ym = 0;
    const char *text;
    assert_int_equal(cfg_get_int(r, "n", "sweep", 1, 10, 0, &v, &e), -1);
    assert_string_equal(e.key, "sweep.n");
    assert_non_null(strstr(e.reason, "expected an integer, got a real number (32.0)"));
    assert_int_equal(e.line, 1);
    assert_int_equal(cfg_get_int(r, "s", "sweep", 1, 10, 0, &v, &e), -1);
    assert_non_null(strstr(e.reason, "got a string (\"32\")"));
    assert_int_equal(cfg_get_int(r, "i", "", 6, 10, 0, &v, &e), -1);
    assert_non_null(strstr(e.reason, "between 6 and 10 (got 5)"));
    assert_int_equal(cfg_get_int(r, "absent", "", 6, 10, 0, &v, &e), 0);
    assert_true(v == -1);
    assert_int_equal(cfg_get_int(r, "absent", "g", 6, 10, 1, &v, &e), -1);
    assert_string_equal(e.key, "g.absent");
    assert_int_equal(cfg_get_real(r, "i", "", 0, 10, 0, &x, &e), 0);
    assert_true(x == 5.0);
    assert_int_equal(cfg_get_real(r, "big", "", 0, 1e300, 0, &x, &e), -1);
    assert_non_null(strstr(e.reason, "9007199254740993 cannot be represented exactly"));
    assert_int_equal(cfg_month(cfg_get(r, "m"), "m", &ym, &e), -1);
    assert_non_null(strstr(e.reason, "from 1900-01 to 2200-12 (got \"2999-12\")"));
    assert_int_equal(cfg_month(cfg_get(r, "ok"), "ok", &ym, &e), 0);
    assert_int_equal(ym, 2024 * 12 + 1);
    assert_int_equal(cfg_get_string(r, "t", "", 0, 0, &text, &e), -1);
    assert_non_null(strstr(e.reason, "control character (byte 0x09)"));
    static const char *const keys[] = {"n", "s", NULL};
    assert_int_equal(cfg_known(r, keys, "top", &e), -1);
    assert_string_equal(e.key, "top.i");
    assert_non_null(strstr(e.reason, "unknown key (known: n, s)"));
    cfg_free(d);
    char buf[40];
    assert_string_equal(cfg_num(9007199254740992.0, buf, sizeof buf), "9007199254740992");
    assert_string_equal(cfg_num(1e15, buf, sizeof buf), "1e+15");
    assert_string_equal(cfg_num(0.25, buf, sizeof buf), "0.25");
}

/* ---- the escaping writer --------------------------------------------------------------- */

static void test_put_string_round_trip(void **state)
{
    (void)state;
    const char *nasty = "q\"uote \\ back\nnew\ttab\rcr\fff\x01\x7f end";
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    fputs("s = ", f);
    config_put_string(f, nasty);
    fputs(";\n", f);
    fclose(f);
    config_error e;
    cfg_doc *d = cfg_read_text(buf, len, "mem", &e);
    if (!d)
        fail_msg("'%s' does not read back: %s", buf, e.reason);
    assert_string_equal(config_setting_get_string(cfg_get(cfg_root(d), "s")), nasty);
    cfg_free(d);
    free(buf);
}

/* ---- the files a command reads (its outputs may be none of them) ---------------------- */

typedef struct {
    char names[8][600];
    int n;
} names;

static int collect(void *ctx, const char *name)
{
    names *l = ctx;
    if (l->n == 8)
        return -1;
    snprintf(l->names[l->n++], sizeof l->names[0], "%s", name);
    return 0;
}

static void test_input_files(void **state)
{
    (void)state;
    /* every file the loader opened, nested includes by the path resolved
     * from the file that holds them */
    put("in_top.cfg", "a = 1;\n@include \"sub/in_mid.cfg\"\n");
    put("sub/in_mid.cfg", "@include \"in_leaf.cfg\"\n@include \"../in_other.cfg\"\n");
    put("sub/in_leaf.cfg", "b = 2;\n");
    put("in_other.cfg", "c = 3;\n");
    char path[512], want[600];
    snprintf(path, sizeof path, "%s/in_top.cfg", dir);
    names l = {.n = 0};
    assert_int_equal(config_input_files(path, collect, &l), 0);
    assert_int_equal(l.n, 4);
    assert_string_equal(l.names[0], path);
    snprintf(want, sizeof want, "%s/sub/in_mid.cfg", dir);
    assert_string_equal(l.names[1], want);
    snprintf(want, sizeof want, "%s/sub/in_leaf.cfg", dir);
    assert_string_equal(l.names[2], want);
    snprintf(want, sizeof want, "%s/sub/../in_other.cfg", dir);
    assert_string_equal(l.names[3], want);
    /* add's failure is passed on */
    l.n = 8;
    assert_int_equal(config_input_files(path, collect, &l), -1);
    /* a file that does not load: itself alone (its loader says why) */
    put("in_bad.cfg", "a = 1;\n@include \"in_missing.cfg\"\n");
    snprintf(path, sizeof path, "%s/in_bad.cfg", dir);
    l.n = 0;
    assert_int_equal(config_input_files(path, collect, &l), 0);
    assert_int_equal(l.n, 1);
    assert_string_equal(l.names[0], path);
    /* a FIFO is not opened (it would block, or lose its text): itself alone */
    snprintf(path, sizeof path, "%s/in_fifo", dir);
    assert_int_equal(mkfifo(path, 0600), 0);
    l.n = 0;
    assert_int_equal(config_input_files(path, collect, &l), 0);
    assert_int_equal(l.n, 1);
    assert_string_equal(l.names[0], path);
}

static void test_scenario_files(void **state)
{
    (void)state;
    /* a loaded scenario keeps the loader's list: the file, then its
     * includes (the baseline's, from its own directory) */
    config_error e;
    sim_config *c = config_load_file("scenarios/baseline.cfg", &e);
    assert_non_null(c);
    assert_int_equal(config_n_files(c), 3);
    assert_string_equal(config_file(c, 0), "scenarios/baseline.cfg");
    assert_string_equal(config_file(c, 1), "scenarios/../configs/default.cfg");
    assert_string_equal(config_file(c, 2), "scenarios/../configs/calibrated.cfg");
    assert_null(config_file(c, 3));
    assert_null(config_file(c, -1));
    config_free(c);
    /* text in memory was read from no file */
    c = config_load_string(sim_embedded_baseline, SIM_EMBEDDED_NAME, &e);
    assert_non_null(c);
    assert_int_equal(config_n_files(c), 0);
    assert_null(config_file(c, 0));
    config_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_include_relative_to_includer),
        cmocka_unit_test(test_include_hidden),
        cmocka_unit_test(test_include_refusals),
        cmocka_unit_test(test_integers_exact),
        cmocka_unit_test(test_text_limits),
        cmocka_unit_test(test_syntax_placed),
        cmocka_unit_test(test_getters),
        cmocka_unit_test(test_put_string_round_trip),
        cmocka_unit_test(test_input_files),
        cmocka_unit_test(test_scenario_files),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
