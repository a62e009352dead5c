/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * publish.h - the one way the program writes a file: under a temporary name
 * in the destination's directory, synced, then renamed over the final name,
 * and the directory synced.  A file appears under its final name only when
 * complete, and nothing that is not the program's own is ever touched:
 *
 *   - a destination that exists and is not a regular file (a directory, a
 *     device such as /dev/null, a FIFO, a socket, a dangling link) is
 *     refused, as is one that is the same file as one of the command's
 *     inputs (its scenario, every included configuration, a sweep,
 *     targets or measures file, a file being merged), judged by device
 *     and inode rather than by the spelling of the path;
 *   - temporary names fit within NAME_MAX for every valid final name: a
 *     long name is shortened and completed by a hash of it;
 *   - the temporaries of a process are removed when it is stopped by
 *     SIGINT or SIGTERM (publish_catch_signals), and those of processes
 *     that died without that chance (SIGKILL, a crash, a power cut) are
 *     removed the next time a file is published into their directory.
 *
 *   publish_inputs *in = publish_inputs_alloc();
 *   publish_inputs_add(in, "scenarios/x.cfg");     every file the command reads
 *   if (publish_check("out.h5", in, err, len))      before the work: exit 2
 *   publish_file *f = publish_begin("out.h5", in, &status, err, len);
 *   ... write publish_temp(f) (by name, as HDF5 does: publish_close_fd(f)
 *       first; or through publish_stream(f)) ...
 *   publish_commit(f, err, len);      or publish_abort(f) on failure
 *
 * The temporary of "DIR/NAME" is "DIR/.NAME.sim-HOST-PID.tmp" (HOST: eight
 * hex digits of the machine's name and boot, so that a process on another
 * machine sharing the directory is never taken for a dead one here).
 */
#ifndef SIM_IO_PUBLISH_H
#define SIM_IO_PUBLISH_H

#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

typedef enum {
    PUBLISH_OK = 0,
    PUBLISH_REFUSED = -1, /* the destination: not a regular file, or an
                             input (bad input: exit 2) */
    PUBLISH_FAILED = -2   /* the system: a missing or unwritable
                             directory, a full disk (exit 1) */
} publish_status;

/* ---- the files a command reads ----------------------------------------- */

typedef struct publish_inputs publish_inputs;

publish_inputs *publish_inputs_alloc(void);
/* Free; NULL is harmless. */
void publish_inputs_free(publish_inputs *in);
/* Add the file at `path` (followed through links).  A path that does not
 * exist adds nothing (it cannot be overwritten by mistake).  0, or -1 when
 * memory is short. */
int publish_inputs_add(publish_inputs *in, const char *path);
/* Take the file at `path` out of the inputs (when it is one). */
void publish_inputs_remove(publish_inputs *in, const char *path);
/* The name (as added) of the input that the file at `path` is, or NULL. */
const char *publish_inputs_match(const publish_inputs *in, const char *path);

/* ---- checks ------------------------------------------------------------- */

/* Whether `path` may be written: PUBLISH_OK when it does not exist or is a
 * regular file that is none of the inputs (in may be NULL); otherwise
 * PUBLISH_REFUSED with one line in err naming the path and the reason.
 * Makes nothing, changes nothing. */
int publish_check(const char *path, const publish_inputs *in, char *err,
                  size_t errlen);
/* Would outputs a and b be the same file?  The same name, the same file
 * now (device and inode), or the same name in the same directory. */
int publish_same_target(const char *a, const char *b);
/* The same for a directory that files will be published into (sim export
 * --csv DIR): PUBLISH_OK when it does not exist or is a directory. */
int publish_check_dir(const char *dir, char *err, size_t errlen);

/* ---- one file ----------------------------------------------------------- */

typedef struct publish_file publish_file;

/* Begin writing `path`: check it (publish_check), remove the stale
 * temporaries of dead processes in its directory, create the temporary
 * file (exclusively, mode 0666 less the umask) and register it for
 * removal on SIGINT and SIGTERM.  NULL with err and *status
 * (PUBLISH_REFUSED or PUBLISH_FAILED; status may be NULL). */
publish_file *publish_begin(const char *path, const publish_inputs *in,
                            int *status, char *err, size_t errlen);
/* The final path and the temporary's path. */
const char *publish_path(const publish_file *f);
const char *publish_temp(const publish_file *f);
/* The temporary as a stdio stream for writing (made once; the stream
 * belongs to f: do not fclose it).  NULL when memory is short. */
FILE *publish_stream(publish_file *f);
/* Close the temporary's descriptor, for writers that open it by name
 * (HDF5 truncates and rewrites it). */
void publish_close_fd(publish_file *f);
/* Finish: flush and sync the temporary, check the destination again (it
 * must still be absent or a regular file that is no input), rename the
 * temporary over it and sync the directory; f is freed.  PUBLISH_OK, or an
 * error status with err: the temporary is then removed, the destination is
 * as it was, and f is freed all the same. */
int publish_commit(publish_file *f, const publish_inputs *in, char *err,
                   size_t errlen);
/* Give up: remove the temporary, free f.  NULL is harmless. */
void publish_abort(publish_file *f);

/* Several files that belong together (the tables of sim export): each is
 * synced and checked, then all are renamed; when a rename fails, those
 * already renamed are put back as they were (files they replaced
 * restored, new ones removed).  Every f[k] is freed.  PUBLISH_OK or an
 * error status with err. */
int publish_commit_all(publish_file **f, int n, const publish_inputs *in,
                       char *err, size_t errlen);

/* Publish a complete file that is already synced (a sweep's only part
 * becoming its result): check the destination as publish_commit does,
 * rename `from` over it, sync the directory.  PUBLISH_OK, or an error
 * status with err, `from` left where it was. */
int publish_rename(const char *from, const char *path, const publish_inputs *in,
                   char *err, size_t errlen);

/* ---- names and signals -------------------------------------------------- */

/* The temporary name publish_begin uses for `path` in process `pid`, into
 * buf.  0, or -1 when it does not fit in len. */
int publish_temp_name(const char *path, long pid, char *buf, size_t len);
/* A name beside `path` made of its name and `suffix` ("OUT.h5" + ".parts"
 * -> "OUT.h5.parts"), shortened with a hash like the temporary names when
 * it would not fit within NAME_MAX.  0, or -1 when it does not fit in len. */
int publish_sibling(const char *path, const char *suffix, char *buf,
                    size_t len);
/* Remove the stale temporaries in `dir`: those of processes on this
 * machine that no longer run.  The number removed. */
int publish_remove_stale(const char *dir);

/* On SIGINT and SIGTERM, remove every temporary still registered and end
 * the process by the same signal (the shell then reports 128 + its number:
 * 130 for SIGINT, 143 for SIGTERM).  `sim sweep` does not call this: it
 * stops cleanly on these signals instead. */
void publish_catch_signals(void);
/* A child process that writes temporaries of its own: on SIGINT or
 * SIGTERM the handler passes the signal on to it and waits for it (it
 * removes its own) before ending this process.  0: none. */
void publish_set_child(pid_t pid);

#endif
