/* SPDX-License-Identifier: MIT */
/*
 * Internals shared by the gdb stub's session code (gdbstub.c) and its
 * packet handlers (gdbcmd.c); nothing outside gdbstub/ includes this.
 *
 * Invariants: one session at a time (srv->connected), its bytes through
 * srv->io (the socket srv->fd, or a caller's transport); every reply fits in
 * srv->reply (GDB_PACKET_SIZE bytes) because each handler bounds what it
 * produces; every hart index passed to the backend is below
 * thread_count(). The last framed packet is kept so that a `-` from gdb
 * retransmits it.
 */
#ifndef GDBSTUB_GDBINT_H
#define GDBSTUB_GDBINT_H

#include "gdbstub/gdbstub.h"
#include "gdbstub/rsp.h"

#define GDB_REPLY_MAX GDB_PACKET_SIZE
#define GDB_MONITOR_CHUNK 1024 /* monitor output bytes per O packet */
#define GDB_MAX_VCONT_ACTIONS 64
#define GDB_MAX_NAKS 8 /* retransmissions of one packet */

/* Error replies. gdb mostly reports "E" as a failure; the numbers help a
 * human reading a packet log. */
#define GDB_E_ARGS "E01"     /* malformed or out-of-range argument */
#define GDB_E_THREAD "E02"   /* no such thread */
#define GDB_E_REG "E03"      /* register not accessible */
#define GDB_E_OVERSIZE "E04" /* packet longer than PacketSize */
#define GDB_E_BACKEND "E05"  /* the backend refused */
#define GDB_E_MEM "E0e"      /* EFAULT: memory not accessible */

struct gdb_server {
	int listen_fd; /* -1 for a server over a caller's transport */
	int fd;        /* session socket, -1 without a socket session */
	unsigned port;
	char *unix_path;

	bool connected; /* a session is open */
	const struct gdb_transport *io;
	void *io_ctx;

	const struct gdb_backend_ops *ops;
	void *opaque;

	struct rsp_decoder dec;
	uint8_t pkt[GDB_PACKET_SIZE + 1]; /* decoded packet, NUL appended */
	uint8_t in[4096];                 /* bytes read but not yet decoded */
	size_t in_len, in_pos;

	char reply[GDB_REPLY_MAX];
	size_t reply_len;
	uint8_t frame[RSP_FRAMED_MAX(GDB_REPLY_MAX)];
	size_t frame_len;
	unsigned naks;

	bool no_ack;
	bool peer_swbreak, peer_hwbreak;
	bool reverse;
	int g_hart;           /* Hg: hart for registers and memory */
	int c_hart;           /* Hc: hart for c/s, -1 = all */
	unsigned thread_next; /* qsThreadInfo cursor */
	struct gdb_stop stop; /* what `?` answers */

	char mon_out[GDB_MONITOR_CHUNK];
	size_t mon_len;
	uint8_t mem[GDB_REPLY_MAX / 2]; /* memory transfer buffer */
};

/* Ends the session (closes the socket or tells the transport); the
 * listener stays. */
void gdb_session_end(struct gdb_server *srv);

/* Frames and sends a packet, keeping it for retransmission. A peer that
 * cannot take it ends the session. */
void gdb_send_packet(struct gdb_server *srv, const char *payload, size_t len);

/* Build srv->reply: replace it with s, append formatted text, append hex,
 * append a register's value (x digits if the backend cannot read it). */
void gdb_reply_str(struct gdb_server *srv, const char *s);
void gdb_reply_add(struct gdb_server *srv, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void gdb_reply_hex(struct gdb_server *srv, const uint8_t *p, size_t n);
void gdb_reply_reg(struct gdb_server *srv, unsigned hart, unsigned regno);

/* Puts the stop reply for st into srv->reply. */
void gdb_build_stop_reply(struct gdb_server *srv, const struct gdb_stop *st);

/* Answers one packet (srv->pkt, srv->dec.len bytes); true if gdb resumed,
 * detached, killed or left, with *r saying which. */
bool gdb_handle_packet(struct gdb_server *srv, struct gdb_resume *r);

#endif
