/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * version.h - the program's version and the git commit it was built from.
 *
 * Defined in $(BUILD)/gen/version.c, which the Makefile rewrites only when
 * the commit (or the dirty mark, or PREFIX) changes: a new commit relinks the program
 * with the new strings instead of leaving stale ones in older objects.
 */
#ifndef SIM_VERSION_H
#define SIM_VERSION_H

extern const char sim_version[];  /* "0.1.0"                              */
extern const char sim_commit[];   /* 12 hex digits, "-dirty" when the tree
                                     had uncommitted changes; "unknown"
                                     outside a git checkout               */
extern const char sim_datadir[];  /* the shared data directory `make
                                     install` puts configs/, scenarios/
                                     and analysis/ in: PREFIX/share/bloc-sim */

#endif
