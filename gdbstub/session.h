/* SPDX-License-Identifier: MIT */
/*
 * A gdb session on a machine (issue "Part 5"): the backend that gives the
 * protocol server (gdbstub.h) the machine's harts, registers, memory,
 * breakpoints and watchpoints (hv/cpu/debug.h), the run loop that lets gdb
 * stop, step and continue the machine, and reverse execution.
 *
 * Reverse execution is restore-and-re-execute: while gdb is attached the
 * session takes in-memory snapshots (snapshot/snap.h) every
 * GDBSESS_CHECKPOINT_EVENTS step events; a reverse step restores the last
 * one before the target and runs forward to exactly the target position
 * (hv/cpu/debug.h positions); a reverse continue re-executes each interval
 * backwards, collecting breakpoint and watchpoint hits, and stops at the
 * last one. Re-execution must see the same inputs: in a replay the
 * replayer is rewound with the machine (replayer_seek); in a live run or a
 * recording the session keeps only checkpoints taken after the last input
 * from the host (console, network), so history starts there.
 *
 * gdb's writes to registers and memory enter through the input funnel
 * (HV_IN_DEBUG), so a recording modified under gdb still replays.
 */
#ifndef GDBSTUB_SESSION_H
#define GDBSTUB_SESSION_H

#include "hv/platform/machine.h"

#define GDBSESS_CHECKPOINT_EVENTS 20000000ull
#define GDBSESS_MAX_CHECKPOINTS 512

struct gdbsess;
struct replayer;

struct gdbsess_opts {
	const char *spec;        /* tcp:HOST:PORT or unix:PATH */
	bool allow_remote;       /* --gdb-allow-remote */
	bool paused;             /* --paused: wait for gdb before the first instruction */
	struct replayer *replay; /* the replayer, if the run replays a log */
	/* The caller runs the machine itself (below): no reverse execution
	 * (gdb is told there is none), and paused only halts the machine
	 * until gdb lets it go, without waiting here. */
	bool owner_runs;
	const char *who; /* NULL, or whose stub it is, for the line on stderr */
};

/* Listen (printing where on stderr) and, with paused, wait for gdb. */
struct gdbsess *gdbsess_open(struct machine *m, const struct gdbsess_opts *o, struct hv_err *err);
/* Like machine_run, with gdb in control: returns when the machine stops
 * for a reason that is not gdb's (shutdown, panic, limits, snapshot
 * requests); gdb has then been told if the machine ended. */
enum hv_stop gdbsess_run(struct gdbsess *gs);
/* The run is over (status: the exit status): tell gdb, close. */
void gdbsess_close(struct gdbsess *gs, int status);

/*
 * A machine its owner runs (owner_runs; a domain of `retrovisor up`, which
 * hv/platform/domain.c runs in epochs) instead of gdbsess_run. The owner
 * runs it with machine_run and hands a STOP_DEBUG to gdbsess_stopped;
 * between runs, gdbsess_poll lets gdb's Ctrl-C or a gdb attaching halt it
 * there. While gdbsess_halted, the owner calls gdbsess_serve (which never
 * blocks) until it answers RUN, and then runs the machine on.
 */
enum gdbsess_serve {
	GDBSESS_WAIT, /* gdb has not let the machine go yet */
	GDBSESS_RUN,  /* it may run: gdb continued, stepped, detached or left */
	GDBSESS_KILL, /* gdb killed it (the session is closed) */
};
bool gdbsess_halted(const struct gdbsess *gs);
enum gdbsess_serve gdbsess_serve(struct gdbsess *gs);
void gdbsess_stopped(struct gdbsess *gs);
void gdbsess_poll(struct gdbsess *gs);
/* The machine was freed under the session (its domain was destroyed):
 * close, touching nothing of it; a gdb waiting for the machine to stop is
 * told it exited with status, one at its prompt sees the connection close. */
void gdbsess_close_lost(struct gdbsess *gs, int status);

#endif
