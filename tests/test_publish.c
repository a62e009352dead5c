/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_publish.c - the publisher (io/publish.h): temporary names within
 * NAME_MAX, refusals of destinations that are not regular files or are
 * inputs (however spelt), commit and abort, sets of files, stale
 * temporaries, and signals.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "io/publish.h"

#ifndef NAME_MAX
#define NAME_MAX 255
#endif

static char dir[256];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "%s/test_publish.XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void in_dir(char *buf, size_t len, const char *name)
{
    snprintf(buf, len, "%s/%s", dir, name);
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

static char *slurp(const char *path, char *buf, size_t len)
{
    FILE *f = fopen(path, "r");
    buf[0] = '\0';
    if (f) {
        size_t n = fread(buf, 1, len - 1, f);
        buf[n] = '\0';
        fclose(f);
    }
    return buf;
}

/* Entries of dir that hold `part`. */
static int count(const char *part)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;
    assert_non_null(d);
    while ((e = readdir(d)) != NULL)
        n += strstr(e->d_name, part) != NULL;
    closedir(d);
    return n;
}

static const char *base(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

/* ---- names ---------------------------------------------------------------- */

static void test_temp_names(void **state)
{
    (void)state;
    char path[600], tmp[800], tmp2[800], name[NAME_MAX + 1];
    in_dir(path, sizeof path, "out.h5");
    assert_int_equal(publish_temp_name(path, 1234, tmp, sizeof tmp), 0);
    assert_non_null(strstr(tmp, "/.out.h5.sim-"));
    assert_non_null(strstr(tmp, "-1234.tmp"));
    /* every valid final name, up to NAME_MAX bytes, gives a valid temporary */
    for (size_t len = 200; len <= NAME_MAX; len += 5) {
        memset(name, 'x', len);
        name[len] = '\0';
        in_dir(path, sizeof path, name);
        assert_int_equal(publish_temp_name(path, 4194304, tmp, sizeof tmp), 0);
        assert_true(strlen(base(tmp)) <= NAME_MAX);
        assert_true(strncmp(tmp, dir, strlen(dir)) == 0);
    }
    /* two long names alike in their first bytes get distinct temporaries */
    memset(name, 'y', NAME_MAX);
    name[NAME_MAX] = '\0';
    in_dir(path, sizeof path, name);
    assert_int_equal(publish_temp_name(path, 7, tmp, sizeof tmp), 0);
    name[NAME_MAX - 1] = 'z';
    in_dir(path, sizeof path, name);
    assert_int_equal(publish_temp_name(path, 7, tmp2, sizeof tmp2), 0);
    assert_string_not_equal(tmp, tmp2);
    /* a sibling (the parts directory of a sweep) fits too */
    assert_int_equal(publish_sibling(path, ".parts", tmp, sizeof tmp), 0);
    assert_true(strlen(base(tmp)) <= NAME_MAX);
    assert_int_equal(publish_sibling("out.h5", ".parts", tmp, sizeof tmp), 0);
    assert_string_equal(tmp, "out.h5.parts");
    assert_int_equal(publish_sibling("a/out.h5", ".rank3", tmp, sizeof tmp), 0);
    assert_string_equal(tmp, "a/out.h5.rank3");
    /* too small a buffer: -1, not a cut name */
    assert_int_equal(publish_temp_name(path, 7, tmp, 20), -1);
}

/* ---- checks ---------------------------------------------------------------- */

static void check_dest(const char *path, const publish_inputs *in, int want,
                         const char *part)
{
    char err[1024] = "";
    int got = publish_check(path, in, err, sizeof err);
    if (got != want)
        fail_msg("%s: status %d, expected %d (%s)", path, got, want, err);
    if (part && !strstr(err, part))
        fail_msg("%s: '%s' lacks '%s'", path, err, part);
}

static void test_checks(void **state)
{
    (void)state;
    char path[600], link_[600], scen[600], other[600], sub[600];
    publish_inputs *in = publish_inputs_alloc();
    assert_non_null(in);
    in_dir(path, sizeof path, "new.h5");
    check_dest(path, in, PUBLISH_OK, NULL); /* absent */
    write_text(path, "old");
    check_dest(path, in, PUBLISH_OK, NULL); /* a regular file: replaced */
    check_dest(dir, in, PUBLISH_REFUSED, "it is a directory");
    check_dest("/dev/null", in, PUBLISH_REFUSED, "it is a character device");
    in_dir(path, sizeof path, "fifo");
    assert_int_equal(mkfifo(path, 0666), 0);
    check_dest(path, in, PUBLISH_REFUSED, "it is a FIFO");
    in_dir(link_, sizeof link_, "dangling");
    assert_int_equal(symlink("nowhere/x", link_), 0);
    check_dest(link_, in, PUBLISH_REFUSED, "symbolic link to nothing");
    in_dir(link_, sizeof link_, "to-null");
    assert_int_equal(symlink("/dev/null", link_), 0);
    check_dest(link_, in, PUBLISH_REFUSED, "(through a symbolic link)");
    in_dir(path, sizeof path, "x.h5/");
    check_dest(path, in, PUBLISH_REFUSED, "ends in '/'");
    check_dest("", in, PUBLISH_REFUSED, "no output file name");
    /* the system's failures: a missing directory, a file as directory */
    in_dir(path, sizeof path, "nodir/x.h5");
    check_dest(path, in, PUBLISH_FAILED, "No such file or directory");
    in_dir(path, sizeof path, "new.h5/x.h5");
    check_dest(path, in, PUBLISH_FAILED, "Not a directory");

    /* inputs, however spelt */
    in_dir(scen, sizeof scen, "s.cfg");
    write_text(scen, "scenario = {};\n");
    assert_int_equal(publish_inputs_add(in, scen), 0);
    assert_int_equal(publish_inputs_add(in, scen), 0); /* once */
    check_dest(scen, in, PUBLISH_REFUSED, "it is one of the inputs");
    in_dir(sub, sizeof sub, "d");
    assert_int_equal(mkdir(sub, 0777), 0);
    snprintf(other, sizeof other, "%s/d/../s.cfg", dir);
    check_dest(other, in, PUBLISH_REFUSED, "the same file as the input");
    in_dir(other, sizeof other, "hard.cfg");
    assert_int_equal(link(scen, other), 0);
    check_dest(other, in, PUBLISH_REFUSED, "the same file as the input");
    in_dir(other, sizeof other, "soft.cfg");
    assert_int_equal(symlink("s.cfg", other), 0);
    check_dest(other, in, PUBLISH_REFUSED, "the same file as the input");
    assert_non_null(publish_inputs_match(in, other));
    /* a file that is no input */
    in_dir(path, sizeof path, "new.h5");
    assert_null(publish_inputs_match(in, path));
    /* an input taken out is no longer refused */
    publish_inputs_remove(in, other);
    check_dest(scen, in, PUBLISH_OK, NULL);
    /* a missing input adds nothing; NULL inputs refuse nothing */
    in_dir(path, sizeof path, "missing.cfg");
    assert_int_equal(publish_inputs_add(in, path), 0);
    check_dest(path, in, PUBLISH_OK, NULL);
    check_dest(scen, NULL, PUBLISH_OK, NULL);
    publish_inputs_free(in);
    publish_inputs_free(NULL);
    /* directories for export */
    char err[256];
    assert_int_equal(publish_check_dir(dir, err, sizeof err), PUBLISH_OK);
    assert_int_equal(publish_check_dir(scen, err, sizeof err), PUBLISH_REFUSED);
    assert_non_null(strstr(err, "not a directory"));
    assert_int_equal(publish_check_dir("/dev/null", err, sizeof err), PUBLISH_REFUSED);
}

/* ---- writing ----------------------------------------------------------------- */

static void test_commit_abort(void **state)
{
    (void)state;
    char path[600], buf[64], err[1024];
    int status;
    in_dir(path, sizeof path, "result.txt");
    write_text(path, "old");
    publish_file *f = publish_begin(path, NULL, &status, err, sizeof err);
    assert_non_null(f);
    assert_int_equal(status, PUBLISH_OK);
    assert_string_equal(publish_path(f), path);
    assert_int_equal(count(".result.txt.sim-"), 1);
    FILE *fp = publish_stream(f);
    assert_non_null(fp);
    assert_ptr_equal(publish_stream(f), fp);
    fputs("new", fp);
    assert_string_equal(slurp(path, buf, sizeof buf), "old"); /* not yet */
    assert_int_equal(publish_commit(f, NULL, err, sizeof err), PUBLISH_OK);
    assert_string_equal(slurp(path, buf, sizeof buf), "new");
    assert_int_equal(count(".result.txt.sim-"), 0);

    /* abort: the temporary goes, the file stays */
    f = publish_begin(path, NULL, &status, err, sizeof err);
    assert_non_null(f);
    fputs("newer", publish_stream(f));
    publish_abort(f);
    publish_abort(NULL);
    assert_string_equal(slurp(path, buf, sizeof buf), "new");
    assert_int_equal(count(".result.txt.sim-"), 0);

    /* written by name (as HDF5 writes) after publish_close_fd */
    f = publish_begin(path, NULL, &status, err, sizeof err);
    assert_non_null(f);
    publish_close_fd(f);
    write_text(publish_temp(f), "by name");
    assert_int_equal(publish_commit(f, NULL, err, sizeof err), PUBLISH_OK);
    assert_string_equal(slurp(path, buf, sizeof buf), "by name");

    /* the destination became a directory meanwhile: refused at commit,
     * the directory and everything else as they were */
    char late[600];
    in_dir(late, sizeof late, "late");
    f = publish_begin(late, NULL, &status, err, sizeof err);
    assert_non_null(f);
    fputs("x", publish_stream(f));
    assert_int_equal(mkdir(late, 0777), 0);
    assert_int_equal(publish_commit(f, NULL, err, sizeof err), PUBLISH_REFUSED);
    assert_non_null(strstr(err, "it is a directory"));
    struct stat st;
    assert_int_equal(stat(late, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    assert_int_equal(count(".late.sim-"), 0);

    /* begin refuses up front, with the status */
    assert_null(publish_begin("/dev/null", NULL, &status, err, sizeof err));
    assert_int_equal(status, PUBLISH_REFUSED);
    in_dir(path, sizeof path, "nodir/x");
    assert_null(publish_begin(path, NULL, &status, err, sizeof err));
    assert_int_equal(status, PUBLISH_FAILED);
}

/* Three files published together: all or none. */
static void test_commit_all(void **state)
{
    (void)state;
    static const char *const names[3] = {"a.csv", "b.csv", "c.csv"};
    char path[3][600], buf[64], err[1024];
    publish_file *f[3];
    for (int k = 0; k < 3; k++) {
        in_dir(path[k], sizeof path[k], names[k]);
        write_text(path[k], "old");
        f[k] = publish_begin(path[k], NULL, NULL, err, sizeof err);
        assert_non_null(f[k]);
        fputs("new", publish_stream(f[k]));
    }
    assert_int_equal(publish_commit_all(f, 3, NULL, err, sizeof err), PUBLISH_OK);
    for (int k = 0; k < 3; k++)
        assert_string_equal(slurp(path[k], buf, sizeof buf), "new");
    assert_int_equal(count(".sim-"), 0);
    /* the last one's name becomes a directory: none is replaced */
    for (int k = 0; k < 3; k++) {
        f[k] = publish_begin(path[k], NULL, NULL, err, sizeof err);
        assert_non_null(f[k]);
        fputs("newer", publish_stream(f[k]));
    }
    assert_int_equal(unlink(path[2]), 0);
    assert_int_equal(mkdir(path[2], 0777), 0);
    assert_int_equal(publish_commit_all(f, 3, NULL, err, sizeof err), PUBLISH_REFUSED);
    assert_string_equal(slurp(path[0], buf, sizeof buf), "new");
    assert_string_equal(slurp(path[1], buf, sizeof buf), "new");
    assert_int_equal(count(".sim-"), 0);
    assert_int_equal(rmdir(path[2]), 0);
}

/* ---- stale temporaries --------------------------------------------------------- */

static pid_t dead_pid(void)
{
    pid_t pid = fork();
    if (pid == 0)
        _exit(0);
    assert_true(pid > 0);
    assert_int_equal(waitpid(pid, NULL, 0), pid);
    return pid;
}

static void test_stale(void **state)
{
    (void)state;
    char path[600], tmp[800], live[800], mine[800], foreign[800], other[600];
    in_dir(path, sizeof path, "stale.h5");
    assert_int_equal(publish_temp_name(path, (long)dead_pid(), tmp, sizeof tmp), 0);
    write_text(tmp, "dead");
    assert_int_equal(publish_temp_name(path, (long)getppid(), live, sizeof live), 0);
    write_text(live, "live");
    assert_int_equal(publish_temp_name(path, (long)getpid(), mine, sizeof mine), 0);
    write_text(mine, "mine");
    /* another machine's (another host id): never taken for stale */
    snprintf(foreign, sizeof foreign, "%s/.stale.h5.sim-00000000-%ld.tmp", dir,
             (long)dead_pid());
    write_text(foreign, "foreign");
    in_dir(other, sizeof other, ".notours.tmp");
    write_text(other, "a user's");
    struct stat st;
    assert_int_equal(publish_remove_stale(dir), 1);
    assert_int_equal(stat(tmp, &st), -1);
    assert_int_equal(stat(foreign, &st), 0);
    assert_int_equal(stat(live, &st), 0);
    assert_int_equal(stat(mine, &st), 0);
    assert_int_equal(stat(other, &st), 0);
    unlink(live);
    unlink(mine);
    unlink(foreign);
    unlink(other);
    /* publish_begin removes them on its way */
    assert_int_equal(publish_temp_name(path, (long)dead_pid(), tmp, sizeof tmp), 0);
    write_text(tmp, "dead");
    char err[256];
    publish_file *f = publish_begin(path, NULL, NULL, err, sizeof err);
    assert_non_null(f);
    assert_int_equal(stat(tmp, &st), -1);
    publish_abort(f);
}

/* ---- signals -------------------------------------------------------------------- */

/* A child begins a file and is sent `sig` before it commits: it ends by
 * that signal, its temporary removed. */
static void killed_by(int sig)
{
    char path[600];
    in_dir(path, sizeof path, "signalled.h5");
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        char err[256];
        publish_catch_signals();
        publish_file *f = publish_begin(path, NULL, NULL, err, sizeof err);
        if (!f)
            _exit(10);
        fputs("half", publish_stream(f));
        fflush(publish_stream(f));
        raise(sig);
        _exit(11); /* not reached */
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), sig);
    assert_int_equal(count("signalled.h5"), 0);
}

static void test_signals(void **state)
{
    (void)state;
    killed_by(SIGTERM);
    killed_by(SIGINT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_temp_names),
        cmocka_unit_test(test_checks),
        cmocka_unit_test(test_commit_abort),
        cmocka_unit_test(test_commit_all),
        cmocka_unit_test(test_stale),
        cmocka_unit_test(test_signals),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
