// SPDX-License-Identifier: MIT
/*
 * The GDB remote serial protocol server: sessions, reply output, stop
 * replies and the input loop that turns a transport's bytes (the socket a
 * gdb connected on, or a caller's: gdb_server_open_transport) into
 * packets and interrupts (GDB manual, appendix "GDB Remote Serial Protocol": "Stop
 * Reply Packets", "Packet Acknowledgment", "Interrupts"). The packet
 * handlers are in gdbcmd.c; gdbint.h holds the shared state.
 *
 * Untrusted input: every byte from the peer. Framing errors are answered
 * here (`-`, E04, E01) before any handler sees a packet; a peer that
 * closes, fails or stops reading ends the session, never the host.
 */
#include "gdbstub/gdbint.h"

#include "gdbstub/gdbnet.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The socket transport: the session's socket srv->fd. */
static long gdb_sock_read(void *ctx, uint8_t *buf, size_t cap, bool block)
{
	return gdbnet_read(((struct gdb_server *)ctx)->fd, buf, cap, block);
}

static bool gdb_sock_write(void *ctx, const uint8_t *p, size_t n)
{
	return gdbnet_write(((struct gdb_server *)ctx)->fd, p, n);
}

static void gdb_sock_close(void *ctx)
{
	struct gdb_server *srv = ctx;

	close(srv->fd);
	srv->fd = -1;
}

static const struct gdb_transport gdb_sock_transport = {
	.read = gdb_sock_read,
	.write = gdb_sock_write,
	.close = gdb_sock_close,
};

/* A new session over io: a fresh decoder and protocol state. */
static void gdb_session_begin(struct gdb_server *srv, const struct gdb_transport *io, void *ctx)
{
	srv->io = io;
	srv->io_ctx = ctx;
	srv->connected = true;
	rsp_decoder_init(&srv->dec, srv->pkt, GDB_PACKET_SIZE);
	srv->in_len = srv->in_pos = 0;
	srv->frame_len = 0;
	srv->naks = 0;
	srv->no_ack = false;
	srv->peer_swbreak = srv->peer_hwbreak = false;
	srv->reverse = false;
	srv->g_hart = srv->stop.reason == GDB_STOP_EXITED ? 0 : (int)srv->stop.hart;
	srv->c_hart = -1;
	srv->thread_next = 0;
}

struct gdb_server *gdb_server_open_transport(const struct gdb_transport *t, void *ctx)
{
	struct gdb_server *srv = calloc(1, sizeof(*srv));

	if (!srv)
		return NULL;
	srv->fd = -1;
	srv->listen_fd = -1;
	srv->stop.reason = GDB_STOP_SIGNAL;
	srv->stop.signal = GDB_SIGTRAP;
	gdb_session_begin(srv, t, ctx);
	return srv;
}

struct gdb_server *gdb_server_open(const char *spec, bool allow_remote, struct hv_err *err)
{
	struct gdb_server *srv = calloc(1, sizeof(*srv));

	if (!srv) {
		hv_err_set(err, "--gdb '%s': out of memory", spec);
		return NULL;
	}
	srv->fd = -1;
	srv->listen_fd = gdbnet_listen(spec, allow_remote, &srv->port, &srv->unix_path, err);
	if (srv->listen_fd < 0) {
		free(srv);
		return NULL;
	}
	srv->stop.reason = GDB_STOP_SIGNAL;
	srv->stop.signal = GDB_SIGTRAP;
	return srv;
}

void gdb_session_end(struct gdb_server *srv)
{
	if (!srv->connected)
		return;
	srv->connected = false;
	if (srv->io->close)
		srv->io->close(srv->io_ctx);
}

void gdb_server_close(struct gdb_server *srv)
{
	if (!srv)
		return;
	gdb_session_end(srv);
	if (srv->listen_fd >= 0)
		close(srv->listen_fd);
	if (srv->unix_path) {
		unlink(srv->unix_path);
		free(srv->unix_path);
	}
	free(srv);
}

void gdb_server_set_backend(struct gdb_server *srv, const struct gdb_backend_ops *ops, void *opaque)
{
	srv->ops = ops;
	srv->opaque = opaque;
}

unsigned gdb_server_port(const struct gdb_server *srv)
{
	return srv->port;
}

bool gdb_server_connected(const struct gdb_server *srv)
{
	return srv->connected;
}

void gdb_server_set_stop(struct gdb_server *srv, const struct gdb_stop *stop)
{
	/* The caller names one of the backend's harts. */
	assert(!srv->ops || stop->reason == GDB_STOP_EXITED ||
	       stop->hart < srv->ops->thread_count(srv->opaque));
	srv->stop = *stop;
	/* An exit names no hart (its hart is ignored): keep one that exists,
	 * for what "any thread" means after it (Hg0, Hg-1). */
	if (stop->reason == GDB_STOP_EXITED)
		srv->stop.hart = (unsigned)srv->g_hart;
	else
		srv->g_hart = (int)stop->hart;
}

int gdb_server_accept(struct gdb_server *srv, int timeout_ms, struct hv_err *err)
{
	int fd;

	if (srv->connected)
		return 1;
	if (srv->listen_fd < 0)
		return 0;
	fd = gdbnet_accept(srv->listen_fd, timeout_ms, err);
	if (fd == -2)
		return 0;
	if (fd < 0)
		return -1;
	srv->fd = fd;
	gdb_session_begin(srv, &gdb_sock_transport, srv);
	return 1;
}

/* ---- Output ---- */

static void gdb_send_frame(struct gdb_server *srv, const uint8_t *p, size_t n)
{
	if (srv->connected && !srv->io->write(srv->io_ctx, p, n))
		gdb_session_end(srv);
}

void gdb_send_packet(struct gdb_server *srv, const char *payload, size_t len)
{
	size_t n = rsp_encode((const uint8_t *)payload, len, srv->frame, sizeof(srv->frame));

	/* srv->frame holds the worst case of any reply (RSP_FRAMED_MAX). */
	assert(n > 0);
	srv->frame_len = n;
	srv->naks = 0;
	gdb_send_frame(srv, srv->frame, n);
}

void gdb_reply_str(struct gdb_server *srv, const char *s)
{
	size_t n = strlen(s);

	assert(n <= sizeof(srv->reply));
	memcpy(srv->reply, s, n);
	srv->reply_len = n;
}

void gdb_reply_add(struct gdb_server *srv, const char *fmt, ...)
{
	va_list ap;
	size_t room = sizeof(srv->reply) - srv->reply_len;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(srv->reply + srv->reply_len, room, fmt, ap);
	va_end(ap);
	assert(n >= 0 && (size_t)n < room);
	srv->reply_len += (size_t)n;
}

void gdb_reply_hex(struct gdb_server *srv, const uint8_t *p, size_t n)
{
	assert(srv->reply_len + 2 * n <= sizeof(srv->reply));
	hex_encode(p, n, srv->reply + srv->reply_len);
	srv->reply_len += 2 * n;
}

/* A register value as tdesc_reg_size(regno) little-endian bytes (RISC-V is
 * little-endian), or x digits for "unavailable". */
void gdb_reply_reg(struct gdb_server *srv, unsigned hart, unsigned regno)
{
	unsigned size = tdesc_reg_size(regno);
	uint64_t v = 0;
	uint8_t b[8];

	if (srv->ops->read_reg(srv->opaque, hart, regno, &v) < 0) {
		assert(srv->reply_len + 2 * size <= sizeof(srv->reply));
		memset(srv->reply + srv->reply_len, 'x', 2 * size);
		srv->reply_len += 2 * size;
		return;
	}
	for (unsigned i = 0; i < size; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	gdb_reply_hex(srv, b, size);
}

void gdb_build_stop_reply(struct gdb_server *srv, const struct gdb_stop *st)
{
	int sig = st->signal > 0 && st->signal < 256 ? st->signal : GDB_SIGTRAP;

	srv->reply_len = 0;
	if (st->reason == GDB_STOP_EXITED) {
		gdb_reply_add(srv, "W%02x", (unsigned)st->exit_status & 0xff);
		return;
	}
	gdb_reply_add(srv, "T%02x", (unsigned)sig);
	switch (st->reason) {
	case GDB_STOP_SW_BREAK:
		/* Only a gdb that said swbreak+ knows the field. */
		if (srv->peer_swbreak)
			gdb_reply_add(srv, "swbreak:;");
		break;
	case GDB_STOP_HW_BREAK:
		if (srv->peer_hwbreak)
			gdb_reply_add(srv, "hwbreak:;");
		break;
	case GDB_STOP_WATCH:
		gdb_reply_add(srv, "watch:%llx;", (unsigned long long)st->addr);
		break;
	case GDB_STOP_READ_WATCH:
		gdb_reply_add(srv, "rwatch:%llx;", (unsigned long long)st->addr);
		break;
	case GDB_STOP_ACCESS_WATCH:
		gdb_reply_add(srv, "awatch:%llx;", (unsigned long long)st->addr);
		break;
	case GDB_STOP_HISTORY_BEGIN:
		gdb_reply_add(srv, "replaylog:begin;");
		break;
	case GDB_STOP_HISTORY_END:
		gdb_reply_add(srv, "replaylog:end;");
		break;
	default:
		break;
	}
	gdb_reply_add(srv, "thread:%x;", st->hart + 1);
	/* Expedite pc, which gdb needs first at every stop. */
	gdb_reply_add(srv, "%02x:", GDB_REG_PC);
	gdb_reply_reg(srv, st->hart, GDB_REG_PC);
	gdb_reply_add(srv, ";");
}

void gdb_server_report_stop(struct gdb_server *srv, const struct gdb_stop *stop)
{
	gdb_server_set_stop(srv, stop);
	if (!srv->connected)
		return;
	gdb_build_stop_reply(srv, &srv->stop);
	gdb_send_packet(srv, srv->reply, srv->reply_len);
}

/* ---- Input ---- */

enum gdb_input {
	GDB_IN_NOTHING,   /* no complete packet yet (non-blocking) */
	GDB_IN_PACKET,    /* srv->pkt[0..dec.len) is a packet, NUL-terminated */
	GDB_IN_INTERRUPT, /* 0x03 between packets */
	GDB_IN_CLOSED,    /* the session ended */
};

/* Decodes buffered bytes, reading more when the buffer is empty (once if
 * !block), until a packet or an interrupt. Framing errors are answered
 * here: `-` for a bad checksum, an E reply for an oversize or malformed
 * packet. */
static enum gdb_input gdb_next_input(struct gdb_server *srv, bool block)
{
	bool read_once = false;

	while (srv->connected) {
		if (srv->in_pos == srv->in_len) {
			long n;

			if (!block && read_once)
				return GDB_IN_NOTHING;
			n = srv->io->read(srv->io_ctx, srv->in, sizeof(srv->in), block);
			read_once = true;
			if (n < 0) {
				gdb_session_end(srv);
				break;
			}
			if (n == 0)
				return GDB_IN_NOTHING;
			srv->in_len = (size_t)n;
			srv->in_pos = 0;
		}
		switch (rsp_decoder_feed(&srv->dec, srv->in[srv->in_pos++])) {
		case RSP_EV_NONE:
		case RSP_EV_GARBAGE:
		case RSP_EV_ACK:
			break;
		case RSP_EV_NAK:
			if (srv->frame_len > 0 && srv->naks < GDB_MAX_NAKS) {
				srv->naks++;
				gdb_send_frame(srv, srv->frame, srv->frame_len);
			}
			break;
		case RSP_EV_INTERRUPT:
			return GDB_IN_INTERRUPT;
		case RSP_EV_BAD_CHECKSUM:
			if (!srv->no_ack)
				gdb_send_frame(srv, (const uint8_t *)"-", 1);
			break;
		case RSP_EV_OVERSIZE:
		case RSP_EV_MALFORMED: {
			bool big = srv->dec.overflow;

			if (!srv->no_ack)
				gdb_send_frame(srv, (const uint8_t *)"+", 1);
			gdb_send_packet(srv, big ? GDB_E_OVERSIZE : GDB_E_ARGS, 3);
			break;
		}
		case RSP_EV_PACKET:
			if (!srv->no_ack)
				gdb_send_frame(srv, (const uint8_t *)"+", 1);
			srv->pkt[srv->dec.len] = '\0';
			return GDB_IN_PACKET;
		}
	}
	return GDB_IN_CLOSED;
}

static void gdb_resume_disconnected(struct gdb_resume *r)
{
	r->kind = GDB_RESUME_DISCONNECTED;
	r->hart = -1;
	r->others_run = true;
}

/* Answers packets until gdb resumes (true) or, unless block, until what
 * arrived is answered (false). */
static bool gdb_serve(struct gdb_server *srv, struct gdb_resume *resume, bool block)
{
	assert(srv->ops && srv->ops->thread_count(srv->opaque) > 0);
	for (;;) {
		switch (gdb_next_input(srv, block)) {
		case GDB_IN_PACKET:
			if (gdb_handle_packet(srv, resume))
				return true;
			break;
		case GDB_IN_INTERRUPT:
			/* Ctrl-C racing with a stop: the target is already
			 * halted, and gdb gets the stop reply it is waiting for. */
			break;
		case GDB_IN_NOTHING:
			if (!block)
				return false;
			break;
		case GDB_IN_CLOSED:
			gdb_resume_disconnected(resume);
			return true;
		}
		if (!srv->connected) {
			gdb_resume_disconnected(resume);
			return true;
		}
	}
}

void gdb_server_serve(struct gdb_server *srv, struct gdb_resume *resume)
{
	gdb_serve(srv, resume, true);
}

bool gdb_server_serve_ready(struct gdb_server *srv, struct gdb_resume *resume)
{
	return gdb_serve(srv, resume, false);
}

bool gdb_server_poll_interrupt(struct gdb_server *srv)
{
	for (;;) {
		switch (gdb_next_input(srv, false)) {
		case GDB_IN_INTERRUPT:
			return true;
		case GDB_IN_CLOSED:
			return true;
		case GDB_IN_NOTHING:
			return false;
		case GDB_IN_PACKET:
			/* All-stop mode: gdb sends nothing but Ctrl-C while the
			 * target runs; a packet now is acked and dropped. */
			break;
		}
	}
}
