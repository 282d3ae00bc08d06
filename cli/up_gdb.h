/* SPDX-License-Identifier: MIT */
/*
 * gdb on the domains of `retrovisor up` (docs/domains.md, "Debugging a
 * domain"): `--gdb NAME[=ADDR]`, once per domain, gives that domain a stub
 * of its own (gdbstub/session.h), all-stop for the whole system. When the
 * domain stops for gdb in the middle of an epoch (a breakpoint, a
 * watchpoint, a step done, Ctrl-C at a round boundary), the other domains
 * finish that epoch and the system waits at the barrier until gdb lets the
 * domain go, which then finishes its epoch from where it stopped
 * (system_set_hold): what the system computes is the same with and
 * without gdb. Ctrl-C or a gdb attaching while the domain does not run
 * halts it at the next epoch boundary. While the system waits, every stub
 * and the toolstack are served; destroying the debugged domain (by its
 * policy, the toolstack or gdb's `kill`) tells gdb it exited and closes its
 * stub; a quit ends the wait. There is no reverse execution here: gdb is
 * told the target cannot go back.
 *
 * Everything here runs on the main thread, between epochs or in the hold.
 */
#ifndef CLI_UP_GDB_H
#define CLI_UP_GDB_H

#include <stddef.h>

#include "hv/platform/domain.h"

#define UP_GDB_MAX 8
#define UP_GDB_DEFAULT_PORT 1234

struct toolstack;
struct gdbsess;

struct up_gdb_opts {
	char name[UP_GDB_MAX][DOMAIN_NAME_MAX]; /* the domains */
	char spec[UP_GDB_MAX][300];             /* their stubs' addresses */
	unsigned n;
	bool paused;       /* --paused: the first epoch waits for every gdb */
	bool allow_remote; /* --gdb-allow-remote */
};

/* If argv[*i] is one of up's gdb options (--gdb NAME[=ADDR], --paused,
 * --gdb-allow-remote), takes it (and its value, moving *i on): 1, or -1
 * with a sentence in msg (n bytes) when it is malformed. 0: not one. */
int up_gdb_parse(struct up_gdb_opts *o, int argc, char **argv, int *i, char *msg, size_t n);

struct up_gdb_stub {
	unsigned id;       /* the domain */
	struct machine *m; /* the machine its session is on */
	struct gdbsess *gs;
};

struct up_gdb {
	struct hv_system *s;
	struct toolstack *ts; /* served while the system waits; NULL: none */
	struct up_gdb_stub stub[UP_GDB_MAX];
	unsigned n;
	bool quit; /* the toolstack asked to quit while the system waited */
};

/* The stubs o asks for, on the domains of s (named in file, for errors),
 * and the system's hold; refused with a recording (gdb's writes and the
 * requests made while it holds the system are not inputs of the log: debug
 * its replay). Returns 0, or -1 with err set (nothing open). */
int up_gdb_open(struct up_gdb *g, const struct up_gdb_opts *o, struct hv_system *s,
		struct toolstack *ts, const char *file, bool recording, struct hv_err *err);
/* Between two epochs: stubs of domains that are gone are closed, gdb's
 * Ctrl-C or a gdb attaching halts its domain here, and the system waits
 * while a domain is halted. True once up is to end (a quit). */
bool up_gdb_boundary(struct up_gdb *g);
/* up ends with status: every gdb is told, every stub closed. */
void up_gdb_close(struct up_gdb *g, int status);

#endif
