// SPDX-License-Identifier: MIT
/*
 * Fuzz target: the byte stream a debugger sends to the gdb stub
 * (gdbstub/gdbstub.c, gdbcmd.c, rsp.c), served by the real session loop
 * over an in-memory transport (gdb_server_open_transport) in front of
 * fake_machine.c. The harness plays the machine: after each resume it
 * polls for Ctrl-C as a running machine does and reports a stop, cycling
 * through every stop reason, until the stream ends (the peer leaves).
 *
 * Input: byte 0 configures the run, the rest is the stream.
 *   bit 0     0: the stream is raw wire bytes (framing, checksums, escapes,
 *             run-length encoding, acks, Ctrl-C as they come);
 *             1: it is packets separated by '\n', each framed here with
 *             a correct checksum (and escapes) so that mutation reaches
 *             the packet handlers; a segment that is one byte of 0x03, '+'
 *             or '-' is sent bare
 *   bits 1-2  harts - 1
 *   bit 3     the backend can execute backwards
 *   bit 4     the backend has no optional op
 *   bits 5-7  read size of the transport: 1, 2, 3, 7, 16, 64, 512, 4096
 *
 * Oracles beyond the sanitizers: what the stub sends must be acks and
 * well-formed packets with correct checksums, never a partial frame (a
 * gdb-side rsp decoder checks every write); every resume names a hart of
 * the machine; and fake_machine.c aborts on any breach of the backend
 * contract.
 */
#include "gdbstub/gdbstub.h"
#include "gdbstub/rsp.h"
#include "tests/fuzz/fuzz.h"
#include "tests/fuzz/gdb/fake_machine.h"

#include <stdio.h>

#define FUZZ_MAX_RESUMES 2048

struct fuzz_peer {
	const uint8_t *in;
	size_t len, pos, chunk;
	struct rsp_decoder gdb; /* gdb's view of what the stub sends */
	uint8_t reply[GDB_PACKET_SIZE];
};

static long fuzz_peer_read(void *ctx, uint8_t *buf, size_t cap, bool block)
{
	struct fuzz_peer *p = ctx;
	size_t n = p->len - p->pos;

	(void)block;
	if (n == 0)
		return -1; /* the debugger left */
	if (n > p->chunk)
		n = p->chunk;
	if (n > cap)
		n = cap;
	memcpy(buf, p->in + p->pos, n);
	p->pos += n;
	return (long)n;
}

static bool fuzz_peer_write(void *ctx, const uint8_t *b, size_t n)
{
	struct fuzz_peer *p = ctx;

	for (size_t i = 0; i < n; i++) {
		enum rsp_event ev = rsp_decoder_feed(&p->gdb, b[i]);

		if (ev != RSP_EV_NONE && ev != RSP_EV_PACKET && ev != RSP_EV_ACK &&
		    ev != RSP_EV_NAK) {
			fprintf(stderr, "gdb stub sent a bad frame (event %d at byte %zu of %zu)\n",
				(int)ev, i, n);
			abort();
		}
	}
	if (!rsp_decoder_idle(&p->gdb)) {
		fprintf(stderr, "gdb stub wrote part of a frame\n");
		abort();
	}
	return true;
}

static const struct gdb_transport fuzz_transport = {
	.read = fuzz_peer_read,
	.write = fuzz_peer_write,
};

/* Structured mode: every '\n'-separated segment framed as $...#cc. */
static uint8_t *fuzz_frame_segments(const uint8_t *data, size_t size, size_t *out_len)
{
	/* Each byte may double (escape), each segment adds `$#cc`. */
	uint8_t *out = malloc(6 * size + 8);
	size_t n = 0, start = 0;

	if (!out)
		abort();
	for (size_t i = 0; i <= size; i++) {
		if (i < size && data[i] != '\n')
			continue;
		size_t len = i - start;
		const uint8_t *seg = data + start;

		if (len == 1 && (seg[0] == 0x03 || seg[0] == '+' || seg[0] == '-'))
			out[n++] = seg[0];
		else
			n += rsp_encode(seg, len, out + n, RSP_FRAMED_MAX(len));
		start = i + 1;
	}
	*out_len = n;
	return out;
}

static void fuzz_check_resume(const struct gdb_resume *r, unsigned nharts)
{
	bool ok = true;

	switch (r->kind) {
	case GDB_RESUME_STEP:
	case GDB_RESUME_REVERSE_STEP:
		ok = r->hart >= 0 && (unsigned)r->hart < nharts;
		break;
	case GDB_RESUME_CONTINUE:
	case GDB_RESUME_REVERSE_CONTINUE:
		ok = r->hart >= -1 && r->hart < (int)nharts && (r->hart < 0 || !r->others_run);
		break;
	default:
		break;
	}
	if (!ok) {
		fprintf(stderr, "gdb stub resumed kind %d on hart %d of %u\n", (int)r->kind,
			r->hart, nharts);
		abort();
	}
}

/* What a machine reports after running as r asks: the n-th stop cycles
 * through every reason, with the points gdb inserted where there are. */
static void fuzz_machine_stop(const struct fuzz_machine *m, const struct gdb_resume *r, unsigned n,
			      bool interrupted, struct gdb_stop *st)
{
	const struct fuzz_point *pt;

	memset(st, 0, sizeof(*st));
	st->hart = r->hart >= 0 ? (unsigned)r->hart : n % m->nharts;
	st->signal = interrupted ? GDB_SIGINT : GDB_SIGTRAP;
	st->reason = interrupted ? GDB_STOP_SIGNAL : (enum gdb_stop_reason)(n % 9);
	switch (st->reason) {
	case GDB_STOP_WATCH:
	case GDB_STOP_READ_WATCH:
	case GDB_STOP_ACCESS_WATCH:
		pt = fuzz_machine_point(m, GDB_POINT_WRITE_WATCH);
		st->addr = pt ? pt->addr : FUZZ_MEM_BASE + n;
		break;
	case GDB_STOP_EXITED:
		st->exit_status = (int)(n * 37);
		st->hart = 0xdead0000u + n; /* "ignored for EXITED" (gdbstub.h) */
		break;
	default:
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t chunks[8] = { 1, 2, 3, 7, 16, 64, 512, 4096 };
	static struct fuzz_machine m;
	static struct fuzz_peer peer;
	struct gdb_server *srv;
	struct gdb_resume r;
	uint8_t *framed = NULL;
	unsigned cfg;

	if (size < 1)
		return 0;
	cfg = data[0];
	fuzz_machine_init(&m, 1 + ((cfg >> 1) & 3), cfg & 8);
	memset(&peer, 0, sizeof(peer));
	peer.chunk = chunks[cfg >> 5];
	rsp_decoder_init(&peer.gdb, peer.reply, sizeof(peer.reply));
	if (cfg & 1) {
		framed = fuzz_frame_segments(data + 1, size - 1, &peer.len);
		peer.in = framed;
	} else {
		peer.in = data + 1;
		peer.len = size - 1;
	}

	srv = gdb_server_open_transport(&fuzz_transport, &peer);
	if (!srv)
		abort();
	gdb_server_set_backend(srv, (cfg & 16) ? &fuzz_minimal_ops : &fuzz_full_ops, &m);
	for (unsigned n = 0; n < FUZZ_MAX_RESUMES && gdb_server_connected(srv); n++) {
		struct gdb_stop st;
		bool interrupted = false;

		gdb_server_serve(srv, &r);
		fuzz_check_resume(&r, m.nharts);
		if (r.kind == GDB_RESUME_DETACH || r.kind == GDB_RESUME_KILL ||
		    r.kind == GDB_RESUME_DISCONNECTED)
			break;
		/* A machine that runs polls for Ctrl-C; a step does not. */
		if (r.kind == GDB_RESUME_CONTINUE || r.kind == GDB_RESUME_REVERSE_CONTINUE)
			interrupted = gdb_server_poll_interrupt(srv);
		fuzz_machine_stop(&m, &r, n, interrupted, &st);
		gdb_server_report_stop(srv, &st);
	}
	gdb_server_close(srv);
	free(framed);
	return 0;
}
