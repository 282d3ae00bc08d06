/* SPDX-License-Identifier: MIT */
/*
 * The GDB remote serial protocol server (GDB manual, appendix "GDB Remote
 * Serial Protocol"), independent of the machine: it talks to a backend
 * through struct gdb_backend_ops and never touches a hart itself.
 *
 * Threads are harts: gdb thread id N is hart N - 1 (ids start at 1; 0 and
 * -1 mean "any" and "all" in the protocol). Registers use GDB's riscv
 * numbering (gdbstub/tdesc.h).
 *
 * The machine runs on one host thread and so does the stub: it creates no
 * threads and does all its I/O on the caller's thread. One gdb at a time;
 * the listening socket stays open so that a new gdb can attach after the
 * previous one left. The caller drives it like this:
 *
 *     srv = gdb_server_open("tcp:127.0.0.1:1234", false, &err);
 *     gdb_server_set_backend(srv, &ops, machine);
 *     gdb_server_accept(srv, -1);             // --paused: wait for gdb
 *     for (;;) {
 *         if (halted) {
 *             gdb_server_serve(srv, &resume); // answers gdb until it resumes
 *             ...act on resume.kind...
 *         }
 *         run a slice of the machine;
 *         if (gdb_server_poll_interrupt(srv)) // Ctrl-C or gdb gone
 *             halt and gdb_server_report_stop(srv, &stop);
 *         if (!gdb_server_connected(srv) && gdb_server_accept(srv, 0) == 1)
 *             halt and gdb_server_set_stop(srv, &stop) (gdb asks with `?`);
 *     }
 *
 * Trust: everything a peer sends is untrusted. Malformed packets get the
 * protocol's answers (`-` for a bad checksum; `E` replies for oversize
 * packets, bad hex and bad arguments; the empty reply for anything
 * unknown); a peer that vanishes ends the session and is reported as
 * GDB_RESUME_DISCONNECTED. Writes to a peer that stops reading give up
 * after GDB_SEND_TIMEOUT_MS and drop the connection, so no peer can hang
 * the machine. The stub is unauthenticated: whoever can connect controls
 * the guest, which is why TCP listens on loopback unless the caller passes
 * allow_remote.
 */
#ifndef GDBSTUB_GDBSTUB_H
#define GDBSTUB_GDBSTUB_H

#include "gdbstub/tdesc.h"
#include "hv/types.h"

/* Largest packet payload gdb may send (advertised as PacketSize). */
#define GDB_PACKET_SIZE 16384u
/* A peer that accepts none of a reply for this long is dropped. */
#define GDB_SEND_TIMEOUT_MS 10000

/* Returned by the optional backend ops (points, monitor) when they do not
 * support the request: the stub answers with the empty reply, which tells
 * gdb "not supported" (e.g. so that it falls back to software watchpoints). */
#define GDB_UNSUPPORTED 1

/* Breakpoint and watchpoint kinds, the numbers of the Z/z packets. */
enum gdb_point_type {
	GDB_POINT_SW_BREAK = 0,
	GDB_POINT_HW_BREAK = 1,
	GDB_POINT_WRITE_WATCH = 2,
	GDB_POINT_READ_WATCH = 3,
	GDB_POINT_ACCESS_WATCH = 4,
};

/* Monitor output sink: the backend may call it any number of times during
 * gdb_backend_ops.monitor; text need not be NUL-terminated. */
typedef void (*gdb_monitor_out_fn)(void *ctx, const char *text, size_t len);

/*
 * What the stub needs from the machine. Every op receives the opaque
 * pointer given to gdb_server_set_backend. The stub calls them only from
 * gdb_server_serve (the machine is halted then) and never stores a
 * pointer it received. A hart argument is always < thread_count().
 */
struct gdb_backend_ops {
	/* Number of harts; fixed for the life of the server. Required. */
	unsigned (*thread_count)(void *opaque);

	/* Read or write register regno (tdesc.h numbering) of a hart. The
	 * value is zero-extended to 64 bits; the stub sends and accepts
	 * tdesc_reg_size(regno) bytes, little-endian. Return 0, or -1 if the
	 * register cannot be accessed (gdb then shows it as unavailable, or
	 * gets an error for a write). Required. */
	int (*read_reg)(void *opaque, unsigned hart, unsigned regno, uint64_t *value);
	int (*write_reg)(void *opaque, unsigned hart, unsigned regno, uint64_t value);

	/* Read or write guest memory as the hart sees it (its MMU, or
	 * physical addresses if the backend's monitor switched to that). A
	 * read returns the number of bytes read from addr on (a short read
	 * stops at the first inaccessible byte), or -1. A write returns 0,
	 * or -1 if any byte could not be written. Required. */
	long (*read_mem)(void *opaque, unsigned hart, uint64_t addr, uint8_t *buf, size_t len);
	int (*write_mem)(void *opaque, unsigned hart, uint64_t addr, const uint8_t *buf,
			 size_t len);

	/* Insert or remove a breakpoint/watchpoint for every hart. kind is
	 * the Z packet's kind: the instruction length for breakpoints (2 or
	 * 4), the byte length for watchpoints. Return 0, GDB_UNSUPPORTED, or
	 * -1 (error). May be NULL (= unsupported). */
	int (*insert_point)(void *opaque, enum gdb_point_type type, uint64_t addr, uint64_t kind);
	int (*remove_point)(void *opaque, enum gdb_point_type type, uint64_t addr, uint64_t kind);

	/* Runs monitor command cmd (NUL-terminated, at most GDB_PACKET_SIZE / 2
	 * bytes) for the current hart, writing its output through out.
	 * Return 0, GDB_UNSUPPORTED for an unknown command, or -1 (error).
	 * May be NULL. */
	int (*monitor)(void *opaque, unsigned hart, const char *cmd, gdb_monitor_out_fn out,
		       void *out_ctx);

	/* Fills buf (cap bytes, NUL-terminated) with a short description of
	 * the hart for `info threads` (e.g. "hart 0, S-mode"). May be NULL. */
	void (*thread_extra_info)(void *opaque, unsigned hart, char *buf, size_t cap);

	/* True if the backend can execute backwards now (bs/bc); asked when
	 * gdb connects. May be NULL (= false). */
	bool (*can_reverse)(void *opaque);
};

enum gdb_resume_kind {
	GDB_RESUME_CONTINUE,
	GDB_RESUME_STEP,
	GDB_RESUME_REVERSE_STEP,
	GDB_RESUME_REVERSE_CONTINUE,
	GDB_RESUME_DETACH,       /* gdb left; run freely (the session is closed) */
	GDB_RESUME_KILL,         /* gdb asked to kill the target (session closed) */
	GDB_RESUME_DISCONNECTED, /* the peer vanished (session closed) */
};

/*
 * What gdb asked for when gdb_server_serve returned.
 *
 * STEP / REVERSE_STEP: `hart` must retire (or un-retire) exactly one
 * instruction; `others_run` says whether the other harts may run
 * meanwhile (gdb's default) or must stay put (scheduler-locking, or a
 * vCont that names no action for them).
 * CONTINUE / REVERSE_CONTINUE: hart < 0 means every hart runs; otherwise
 * only `hart` runs (and others_run is false).
 * Whatever the kind, the target stops for every hart at once (all-stop
 * mode) and the caller then calls gdb_server_report_stop.
 */
struct gdb_resume {
	enum gdb_resume_kind kind;
	int hart;
	bool others_run;
};

enum gdb_stop_reason {
	GDB_STOP_SIGNAL,        /* plain stop: Ctrl-C (GDB_SIGINT), step done, attach */
	GDB_STOP_SW_BREAK,      /* a Z0 breakpoint */
	GDB_STOP_HW_BREAK,      /* a Z1 breakpoint */
	GDB_STOP_WATCH,         /* a Z2 watchpoint; addr = data address */
	GDB_STOP_READ_WATCH,    /* Z3 */
	GDB_STOP_ACCESS_WATCH,  /* Z4 */
	GDB_STOP_HISTORY_BEGIN, /* reverse execution reached the start of history */
	GDB_STOP_HISTORY_END,   /* replay reached the end of the recording */
	GDB_STOP_EXITED,        /* the machine powered off; exit_status */
};

#define GDB_SIGINT 2
#define GDB_SIGTRAP 5

struct gdb_stop {
	enum gdb_stop_reason reason;
	unsigned hart;   /* the hart that stopped (ignored for EXITED) */
	int signal;      /* GDB_SIGTRAP or GDB_SIGINT */
	uint64_t addr;   /* data address of a watchpoint hit */
	int exit_status; /* EXITED: 0..255 */
};

struct gdb_server;

/*
 * Where a session's bytes come from and go to. A gdb that connected on
 * the listening socket gets the socket's transport (gdb_server_accept);
 * tests and fuzzers pass their own to gdb_server_open_transport, so that
 * their bytes run through the very decoder, session loop and handlers a
 * socket's do.
 */
struct gdb_transport {
	/* Reads up to cap bytes: the count, 0 if nothing is there and
	 * !block, -1 if the peer is gone. */
	long (*read)(void *ctx, uint8_t *buf, size_t cap, bool block);
	/* Writes all n bytes; false if the peer is gone or stopped reading. */
	bool (*write)(void *ctx, const uint8_t *p, size_t n);
	/* The session ended (the stub's decision or the peer's). May be NULL. */
	void (*close)(void *ctx);
};

/*
 * A server with no listening socket whose one session, open at once, runs
 * over transport t (ctx is passed to its functions). When that session
 * ends, gdb_server_connected is false for good and gdb_server_accept
 * answers 0. Returns NULL when out of memory.
 */
struct gdb_server *gdb_server_open_transport(const struct gdb_transport *t, void *ctx);

/*
 * Listens on spec: "tcp:HOST:PORT" (HOST an IPv4/IPv6 literal, [v6], a
 * name, or empty for 127.0.0.1; PORT 0 picks a free port) or
 * "unix:PATH". A TCP address that is not loopback is refused unless
 * allow_remote. A stale Unix socket left by an earlier run is replaced; a
 * live one is refused. Returns NULL with a sentence in err on failure.
 */
struct gdb_server *gdb_server_open(const char *spec, bool allow_remote, struct hv_err *err);

/* Closes the session and the listening socket if any (removing a Unix
 * socket's file). NULL is allowed. */
void gdb_server_close(struct gdb_server *srv);

/* Must be called before the first gdb_server_serve. */
void gdb_server_set_backend(struct gdb_server *srv, const struct gdb_backend_ops *ops,
			    void *opaque);

/* The TCP port listened on (useful with port 0), or 0 for a Unix socket. */
unsigned gdb_server_port(const struct gdb_server *srv);

/* Accepts a gdb if none is attached, waiting up to timeout_ms (-1 =
 * forever, 0 = just poll). Returns 1 if a session is now open, 0 if none
 * arrived in time, -1 on a host error (err says why). A new session starts
 * with the stop set by gdb_server_set_stop (default: SIGTRAP on hart 0). */
int gdb_server_accept(struct gdb_server *srv, int timeout_ms, struct hv_err *err);
#define gdb_server_wait_attach(srv, err) gdb_server_accept((srv), -1, (err))

bool gdb_server_connected(const struct gdb_server *srv);

/* Records why the target is stopped without telling gdb: what `?`
 * answers (use when a gdb attaches to a machine that was running). */
void gdb_server_set_stop(struct gdb_server *srv, const struct gdb_stop *stop);

/*
 * With the target halted: answers packets until gdb resumes, detaches,
 * kills or disconnects, and says which in *resume. Blocks while gdb is
 * quiet (the machine is halted, so nothing else needs the thread). If no
 * session is open, returns GDB_RESUME_DISCONNECTED at once.
 */
void gdb_server_serve(struct gdb_server *srv, struct gdb_resume *resume);

/*
 * Like gdb_server_serve, for a caller that has more to serve while the
 * target is halted: answers what gdb sent, without blocking and reading at
 * most one socket buffer per call. True once gdb resumed, detached, killed
 * or left (*resume says which); false when there is nothing more for now.
 */
bool gdb_server_serve_ready(struct gdb_server *srv, struct gdb_resume *resume);

/*
 * With the target running: reads what gdb sent, without blocking and at
 * most one socket buffer per call. True if gdb sent Ctrl-C (the caller
 * halts and reports a GDB_SIGINT stop) or went away (then
 * gdb_server_connected is false and the caller just runs on).
 */
bool gdb_server_poll_interrupt(struct gdb_server *srv);

/* Tells gdb the target stopped (a T packet, or W for EXITED) and makes
 * the stopped hart gdb's current thread. A no-op without a session. */
void gdb_server_report_stop(struct gdb_server *srv, const struct gdb_stop *stop);

#endif
