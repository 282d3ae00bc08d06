// SPDX-License-Identifier: MIT
/*
 * The gdb stub's packet handlers (GDB manual, appendix "GDB Remote Serial
 * Protocol": "Packets", "General Query Packets", "Stop Reply Packets"):
 * threads, registers, memory, break/watchpoints, resumption (c, s, vCont,
 * bs, bc), queries, monitor commands, detach and kill.
 *
 * Untrusted input: the packet. Numbers are parsed with the strict helpers
 * of rsp.c, lengths are checked against what was received before any use,
 * a payload may contain NUL bytes (X packets) and is never treated as a C
 * string except after an explicit check. Anything not understood gets the
 * empty reply; anything understood but malformed an E reply.
 */
#include "gdbstub/gdbint.h"

#include <stdio.h>
#include <string.h>

/* Parses hex digits up to the first of `stops` (or the end) starting at
 * *pos, and leaves *pos on the stop byte. */
static bool gdb_take_hex(const char *p, size_t len, size_t *pos, const char *stops, uint64_t *out)
{
	size_t start = *pos, end = start;

	while (end < len && !strchr(stops, p[end]))
		end++;
	if (!rsp_parse_hex_u64(p + start, end - start, out))
		return false;
	*pos = end;
	return true;
}

static bool gdb_take_char(const char *p, size_t len, size_t *pos, char c)
{
	if (*pos >= len || p[*pos] != c)
		return false;
	(*pos)++;
	return true;
}

/* True if the packet starts with prefix (its separator included); *pos is
 * then the offset of what follows it, never past the packet's end. */
static bool gdb_take_prefix(const char *p, size_t len, const char *prefix, size_t *pos)
{
	size_t n = strlen(prefix);

	if (len < n || memcmp(p, prefix, n) != 0)
		return false;
	*pos = n;
	return true;
}

enum { GDB_TID_ALL = -1, GDB_TID_ANY = -2, GDB_TID_BAD = -3 };

/* A thread id: "-1" (all), "0" (any) or N >= 1 naming hart N - 1. */
static int gdb_parse_tid(struct gdb_server *srv, const char *s, size_t len)
{
	uint64_t v;

	if (len == 2 && s[0] == '-' && s[1] == '1')
		return GDB_TID_ALL;
	if (!rsp_parse_hex_u64(s, len, &v))
		return GDB_TID_BAD;
	if (v == 0)
		return GDB_TID_ANY;
	if (v > srv->ops->thread_count(srv->opaque))
		return GDB_TID_BAD;
	return (int)(v - 1);
}

/* ---- Handlers ---- */

static void gdb_handle_H(struct gdb_server *srv, const char *p, size_t len)
{
	int tid;

	if (len < 3 || (p[1] != 'g' && p[1] != 'c')) {
		gdb_reply_str(srv, GDB_E_ARGS);
		return;
	}
	tid = gdb_parse_tid(srv, p + 2, len - 2);
	if (tid == GDB_TID_BAD) {
		gdb_reply_str(srv, GDB_E_THREAD);
		return;
	}
	if (p[1] == 'g')
		/* "Any" or "all" for registers: the thread that stopped. */
		srv->g_hart = tid >= 0 ? tid : (int)srv->stop.hart;
	else
		srv->c_hart = tid >= 0 ? tid : -1;
	gdb_reply_str(srv, "OK");
}

static void gdb_handle_g(struct gdb_server *srv, const char *p, size_t len)
{
	(void)p;
	(void)len;
	srv->reply_len = 0;
	for (unsigned r = 0; r < GDB_G_REGS; r++)
		gdb_reply_reg(srv, (unsigned)srv->g_hart, r);
}

static bool gdb_write_reg_hex(struct gdb_server *srv, unsigned regno, const char *hex,
			      size_t hexlen)
{
	unsigned size = tdesc_reg_size(regno);
	uint8_t b[8];
	uint64_t v = 0;

	if (size == 0 || hexlen != 2 * size || hex_decode(hex, hexlen, b, size) != size)
		return false;
	for (unsigned i = 0; i < size; i++)
		v |= (uint64_t)b[i] << (8 * i);
	return srv->ops->write_reg(srv->opaque, (unsigned)srv->g_hart, regno, v) == 0;
}

static void gdb_handle_G(struct gdb_server *srv, const char *p, size_t len)
{
	size_t hexlen = len - 1, regs = hexlen / 16;

	if (hexlen == 0 || hexlen % 16 != 0 || regs > GDB_G_REGS) {
		gdb_reply_str(srv, GDB_E_ARGS);
		return;
	}
	/* Check every digit before writing any register. */
	for (size_t i = 1; i < len; i++) {
		if (hex_digit((uint8_t)p[i]) < 0) {
			gdb_reply_str(srv, GDB_E_ARGS);
			return;
		}
	}
	for (unsigned r = 0; r < regs; r++) {
		if (!gdb_write_reg_hex(srv, r, p + 1 + 16 * r, 16)) {
			gdb_reply_str(srv, GDB_E_REG);
			return;
		}
	}
	gdb_reply_str(srv, "OK");
}

static void gdb_handle_p(struct gdb_server *srv, const char *p, size_t len)
{
	uint64_t regno;

	if (!rsp_parse_hex_u64(p + 1, len - 1, &regno) || regno > UINT32_MAX ||
	    tdesc_reg_size((unsigned)regno) == 0) {
		gdb_reply_str(srv, GDB_E_ARGS);
		return;
	}
	srv->reply_len = 0;
	gdb_reply_reg(srv, (unsigned)srv->g_hart, (unsigned)regno);
}

static void gdb_handle_P(struct gdb_server *srv, const char *p, size_t len)
{
	size_t pos = 1;
	uint64_t regno;

	if (!gdb_take_hex(p, len, &pos, "=", &regno) || !gdb_take_char(p, len, &pos, '=') ||
	    regno > UINT32_MAX || tdesc_reg_size((unsigned)regno) == 0) {
		gdb_reply_str(srv, GDB_E_ARGS);
		return;
	}
	if (len - pos != 2 * tdesc_reg_size((unsigned)regno)) {
		gdb_reply_str(srv, GDB_E_ARGS);
		return;
	}
	gdb_reply_str(srv, gdb_write_reg_hex(srv, (unsigned)regno, p + pos, len - pos) ? "OK" :
											 GDB_E_REG);
}

/* "ADDR,LEN" then `stop` (or the end when stop is 0). */
static bool gdb_parse_addr_len(const char *p, size_t len, size_t *pos, char stop, uint64_t *addr,
			       uint64_t *n)
{
	char stops[3] = { ',', 0, 0 };

	if (!gdb_take_hex(p, len, pos, stops, addr) || !gdb_take_char(p, len, pos, ','))
		return false;
	stops[0] = stop;
	if (!gdb_take_hex(p, len, pos, stops, n))
		return false;
	return stop ? gdb_take_char(p, len, pos, stop) : *pos == len;
}

static void gdb_handle_m(struct gdb_server *srv, const char *p, size_t len)
{
	size_t pos = 1;
	uint64_t addr, n;
	long got;

	if (!gdb_parse_addr_len(p, len, &pos, 0, &addr, &n)) {
		gdb_reply_str(srv, GDB_E_ARGS);
		return;
	}
	/* The reply may hold fewer bytes than asked for. */
	if (n > sizeof(srv->mem))
		n = sizeof(srv->mem);
	srv->reply_len = 0;
	if (n == 0)
		return;
	got = srv->ops->read_mem(srv->opaque, (unsigned)srv->g_hart, addr, srv->mem, (size_t)n);
	if (got <= 0 || (uint64_t)got > n) {
		gdb_reply_str(srv, GDB_E_MEM);
		return;
	}
	gdb_reply_hex(srv, srv->mem, (size_t)got);
}

/* M (hex data) and X (binary data, already unescaped by the decoder). */
static void gdb_handle_write_mem(struct gdb_server *srv, const char *p, size_t len)
{
	bool binary = p[0] == 'X';
	size_t pos = 1;
	uint64_t addr, n;
	const uint8_t *data;

	if (!gdb_parse_addr_len(p, len, &pos, ':', &addr, &n) || n > sizeof(srv->mem)) {
		gdb_reply_str(srv, GDB_E_ARGS);
		return;
	}
	if (binary) {
		if (len - pos != n) {
			gdb_reply_str(srv, GDB_E_ARGS);
			return;
		}
		data = (const uint8_t *)p + pos;
	} else {
		if (len - pos != 2 * n || hex_decode(p + pos, len - pos, srv->mem, n) != (long)n) {
			gdb_reply_str(srv, GDB_E_ARGS);
			return;
		}
		data = srv->mem;
	}
	/* gdb probes X support with a zero-length write. */
	if (n > 0 &&
	    srv->ops->write_mem(srv->opaque, (unsigned)srv->g_hart, addr, data, (size_t)n) != 0) {
		gdb_reply_str(srv, GDB_E_MEM);
		return;
	}
	gdb_reply_str(srv, "OK");
}

static void gdb_handle_point(struct gdb_server *srv, const char *p, size_t len)
{
	size_t pos = 1;
	uint64_t type, addr, kind;
	int (*op)(void *, enum gdb_point_type, uint64_t, uint64_t);
	int rc;

	op = p[0] == 'Z' ? srv->ops->insert_point : srv->ops->remove_point;
	/* "Z type,addr,kind" optionally followed by ";cond..." lists, which
	 * gdb sends only to stubs that advertise ConditionalBreakpoints. */
	if (!gdb_take_hex(p, len, &pos, ",", &type) || !gdb_take_char(p, len, &pos, ',') ||
	    !gdb_take_hex(p, len, &pos, ",", &addr) || !gdb_take_char(p, len, &pos, ',') ||
	    !gdb_take_hex(p, len, &pos, ";", &kind) || type > GDB_POINT_ACCESS_WATCH) {
		gdb_reply_str(srv, GDB_E_ARGS);
		return;
	}
	if (!op) {
		srv->reply_len = 0;
		return;
	}
	rc = op(srv->opaque, (enum gdb_point_type)type, addr, kind);
	if (rc == GDB_UNSUPPORTED)
		srv->reply_len = 0;
	else
		gdb_reply_str(srv, rc == 0 ? "OK" : GDB_E_BACKEND);
}

static void gdb_resume_set(struct gdb_resume *r, enum gdb_resume_kind kind, int hart,
			   bool others_run)
{
	r->kind = kind;
	r->hart = hart;
	r->others_run = others_run;
}

/* The hart a legacy s/bs packet steps: Hc's, or gdb's current thread. */
static int gdb_step_hart(const struct gdb_server *srv)
{
	return srv->c_hart >= 0 ? srv->c_hart : srv->g_hart;
}

/* c/s/C/S [;addr]: "addr" resumes at that pc. Signals are dropped: a
 * machine has no signals to deliver. */
static bool gdb_handle_legacy_resume(struct gdb_server *srv, const char *p, size_t len,
				     struct gdb_resume *r)
{
	bool step = p[0] == 's' || p[0] == 'S';
	size_t pos = 1;
	uint64_t v;

	if (p[0] == 'C' || p[0] == 'S') {
		if (!gdb_take_hex(p, len, &pos, ";", &v) || v > 255)
			goto bad;
		if (pos < len && !gdb_take_char(p, len, &pos, ';'))
			goto bad;
	}
	if (pos < len) {
		if (!gdb_take_hex(p, len, &pos, "", &v))
			goto bad;
		if (srv->ops->write_reg(srv->opaque, (unsigned)gdb_step_hart(srv), GDB_REG_PC, v)) {
			gdb_reply_str(srv, GDB_E_REG);
			return false;
		}
	}
	if (step)
		gdb_resume_set(r, GDB_RESUME_STEP, gdb_step_hart(srv), true);
	else
		gdb_resume_set(r, GDB_RESUME_CONTINUE, srv->c_hart, srv->c_hart < 0);
	return true;
bad:
	gdb_reply_str(srv, GDB_E_ARGS);
	return false;
}

struct gdb_vcont_action {
	char op; /* 'c', 's' or 't' (C and S map to c and s) */
	int tid; /* hart, or GDB_TID_ALL */
};

static char gdb_vcont_action_for(const struct gdb_vcont_action *a, unsigned n, unsigned hart)
{
	/* "For each inferior thread, the leftmost action with a matching
	 * thread-id is applied." */
	for (unsigned i = 0; i < n; i++)
		if (a[i].tid == GDB_TID_ALL || a[i].tid == (int)hart)
			return a[i].op;
	return 0;
}

static bool gdb_handle_vcont(struct gdb_server *srv, const char *p, size_t len,
			     struct gdb_resume *r)
{
	struct gdb_vcont_action act[GDB_MAX_VCONT_ACTIONS];
	unsigned n = 0, harts = srv->ops->thread_count(srv->opaque);
	unsigned steps = 0, conts = 0, quiet = 0;
	int step_hart = -1, cont_hart = -1;
	size_t pos = 5; /* after "vCont" */
	uint64_t sig;

	while (pos < len) {
		struct gdb_vcont_action *a = &act[n];
		size_t end;

		if (!gdb_take_char(p, len, &pos, ';') || pos >= len || n == GDB_MAX_VCONT_ACTIONS)
			goto bad;
		a->op = p[pos++];
		if (a->op == 'C' || a->op == 'S') {
			if (!gdb_take_hex(p, len, &pos, ":;", &sig) || sig > 255)
				goto bad;
			a->op = a->op == 'C' ? 'c' : 's';
		} else if (a->op != 'c' && a->op != 's' && a->op != 't') {
			goto bad;
		}
		a->tid = GDB_TID_ALL;
		if (pos < len && p[pos] == ':') {
			pos++;
			end = pos;
			while (end < len && p[end] != ';')
				end++;
			a->tid = gdb_parse_tid(srv, p + pos, end - pos);
			if (a->tid == GDB_TID_BAD)
				goto bad;
			if (a->tid == GDB_TID_ANY)
				a->tid = srv->g_hart;
			pos = end;
		}
		n++;
	}
	for (unsigned h = 0; h < harts; h++) {
		char op = gdb_vcont_action_for(act, n, h);

		if (op == 's') {
			/* Several steppers (a bare vCont;s): step gdb's current
			 * thread and let the others run. */
			if (steps++ == 0 || (int)h == srv->g_hart)
				step_hart = (int)h;
		} else if (op == 'c') {
			conts++;
			cont_hart = (int)h;
		} else {
			quiet++;
		}
	}
	if (steps > 0) {
		gdb_resume_set(r, GDB_RESUME_STEP, step_hart, quiet == 0 && harts > 1);
		return true;
	}
	if (conts == 0)
		goto bad; /* nothing to resume: all-stop mode has no use for t */
	if (quiet == 0 || conts > 1)
		gdb_resume_set(r, GDB_RESUME_CONTINUE, -1, true);
	else
		gdb_resume_set(r, GDB_RESUME_CONTINUE, cont_hart, false);
	return true;
bad:
	gdb_reply_str(srv, GDB_E_ARGS);
	return false;
}

static void gdb_handle_qsupported(struct gdb_server *srv, const char *p, size_t len)
{
	/* The peer's features are ';'-separated after "qSupported:". */
	srv->peer_swbreak = memmem(p, len, "swbreak+", 8) != NULL;
	srv->peer_hwbreak = memmem(p, len, "hwbreak+", 8) != NULL;
	srv->reverse = srv->ops->can_reverse && srv->ops->can_reverse(srv->opaque);
	srv->reply_len = 0;
	gdb_reply_add(srv,
		      "PacketSize=%x;qXfer:features:read+;QStartNoAckMode+;vContSupported+;"
		      "swbreak+;hwbreak+",
		      GDB_PACKET_SIZE);
	if (srv->reverse)
		gdb_reply_add(srv, ";ReverseStep+;ReverseContinue+");
}

/* qXfer:features:read:ANNEX:OFFSET,LENGTH -> "m" + data, or "l" + the
 * last data. */
static void gdb_handle_qxfer_features(struct gdb_server *srv, const char *p, size_t len)
{
	static const char prefix[] = "qXfer:features:read:target.xml:";
	size_t doc_len, pos = sizeof(prefix) - 1;
	const char *doc = tdesc_xml(&doc_len);
	uint64_t off, n;

	if (len < pos || memcmp(p, prefix, pos) != 0 ||
	    !gdb_parse_addr_len(p, len, &pos, 0, &off, &n)) {
		gdb_reply_str(srv, "E00");
		return;
	}
	if (off > doc_len) {
		gdb_reply_str(srv, GDB_E_ARGS);
		return;
	}
	/* Leave room for the m/l prefix. Escaping happens at framing. */
	if (n > sizeof(srv->reply) - 1)
		n = sizeof(srv->reply) - 1;
	if (n > doc_len - off)
		n = doc_len - off;
	srv->reply[0] = off + n < doc_len ? 'm' : 'l';
	memcpy(srv->reply + 1, doc + off, (size_t)n);
	srv->reply_len = 1 + (size_t)n;
}

/* qfThreadInfo starts the list, each qsThreadInfo continues it; a reply
 * holds as many ids as fit, "l" ends the list. */
static void gdb_handle_thread_info(struct gdb_server *srv, bool first)
{
	unsigned harts = srv->ops->thread_count(srv->opaque);

	if (first)
		srv->thread_next = 0;
	if (srv->thread_next >= harts) {
		gdb_reply_str(srv, "l");
		return;
	}
	srv->reply_len = 0;
	gdb_reply_add(srv, "m");
	while (srv->thread_next < harts && srv->reply_len + 16 < sizeof(srv->reply)) {
		gdb_reply_add(srv, "%s%x", srv->reply_len > 1 ? "," : "", srv->thread_next + 1);
		srv->thread_next++;
	}
}

static void gdb_handle_extra_info(struct gdb_server *srv, const char *p, size_t len)
{
	size_t pos;
	char text[256];
	int tid;

	/* "qThreadExtraInfo,ID": without the comma there is no id to read. */
	if (!gdb_take_prefix(p, len, "qThreadExtraInfo,", &pos)) {
		gdb_reply_str(srv, GDB_E_ARGS);
		return;
	}
	tid = gdb_parse_tid(srv, p + pos, len - pos);
	if (tid < 0) {
		gdb_reply_str(srv, GDB_E_THREAD);
		return;
	}
	snprintf(text, sizeof(text), "hart %d", tid);
	if (srv->ops->thread_extra_info) {
		srv->ops->thread_extra_info(srv->opaque, (unsigned)tid, text, sizeof(text));
		text[sizeof(text) - 1] = '\0';
	}
	srv->reply_len = 0;
	gdb_reply_hex(srv, (const uint8_t *)text, strlen(text));
}

static void gdb_monitor_flush(struct gdb_server *srv)
{
	char pkt[1 + 2 * GDB_MONITOR_CHUNK];

	if (srv->mon_len == 0)
		return;
	pkt[0] = 'O';
	hex_encode((const uint8_t *)srv->mon_out, srv->mon_len, pkt + 1);
	gdb_send_packet(srv, pkt, 1 + 2 * srv->mon_len);
	srv->mon_len = 0;
}

static void gdb_monitor_out(void *ctx, const char *text, size_t len)
{
	struct gdb_server *srv = ctx;

	while (len > 0) {
		size_t n = sizeof(srv->mon_out) - srv->mon_len;

		if (n == 0) {
			gdb_monitor_flush(srv);
			continue;
		}
		if (n > len)
			n = len;
		memcpy(srv->mon_out + srv->mon_len, text, n);
		srv->mon_len += n;
		text += n;
		len -= n;
	}
}

/* qRcmd,HEX: the command is hex-encoded; output goes back as O packets
 * while it runs and the tail (hex) as the final reply, or OK. */
static void gdb_handle_rcmd(struct gdb_server *srv, const char *p, size_t len)
{
	size_t pos;
	char *cmd = (char *)srv->mem;
	long n;
	int rc;

	if (!gdb_take_prefix(p, len, "qRcmd,", &pos)) {
		gdb_reply_str(srv, GDB_E_ARGS);
		return;
	}
	n = hex_decode(p + pos, len - pos, srv->mem, sizeof(srv->mem) - 1);
	if (n < 0 || memchr(cmd, '\0', (size_t)n)) {
		gdb_reply_str(srv, GDB_E_ARGS);
		return;
	}
	cmd[n] = '\0';
	if (!srv->ops->monitor) {
		srv->reply_len = 0;
		return;
	}
	srv->mon_len = 0;
	rc = srv->ops->monitor(srv->opaque, (unsigned)srv->g_hart, cmd, gdb_monitor_out, srv);
	if (rc != 0)
		gdb_monitor_flush(srv);
	if (rc == GDB_UNSUPPORTED) {
		srv->reply_len = 0;
	} else if (rc != 0) {
		gdb_reply_str(srv, GDB_E_BACKEND);
	} else if (srv->mon_len == 0) {
		gdb_reply_str(srv, "OK");
	} else {
		srv->reply_len = 0;
		gdb_reply_hex(srv, (const uint8_t *)srv->mon_out, srv->mon_len);
		srv->mon_len = 0;
	}
}

static bool gdb_is(const char *p, size_t len, const char *word)
{
	size_t n = strlen(word);

	return len >= n && memcmp(p, word, n) == 0 && (len == n || strchr(":,;", p[n]));
}

static void gdb_handle_query(struct gdb_server *srv, const char *p, size_t len)
{
	srv->reply_len = 0;
	if (gdb_is(p, len, "qSupported"))
		gdb_handle_qsupported(srv, p, len);
	else if (len >= 20 && memcmp(p, "qXfer:features:read:", 20) == 0)
		gdb_handle_qxfer_features(srv, p, len);
	else if (gdb_is(p, len, "qfThreadInfo"))
		gdb_handle_thread_info(srv, true);
	else if (gdb_is(p, len, "qsThreadInfo"))
		gdb_handle_thread_info(srv, false);
	else if (gdb_is(p, len, "qC"))
		gdb_reply_add(srv, "QC%x", (unsigned)srv->g_hart + 1);
	else if (gdb_is(p, len, "qAttached"))
		gdb_reply_str(srv, "1"); /* gdb detaches on quit instead of killing */
	else if (gdb_is(p, len, "qThreadExtraInfo"))
		gdb_handle_extra_info(srv, p, len);
	else if (gdb_is(p, len, "qRcmd"))
		gdb_handle_rcmd(srv, p, len);
}

/* The packets that only read or change state and are answered at once,
 * by their first character. */
static const struct gdb_packet_handler {
	char op;
	void (*fn)(struct gdb_server *srv, const char *p, size_t len);
} gdb_packet_handlers[] = {
	{ 'H', gdb_handle_H },         { 'g', gdb_handle_g },         { 'G', gdb_handle_G },
	{ 'p', gdb_handle_p },         { 'P', gdb_handle_P },         { 'm', gdb_handle_m },
	{ 'M', gdb_handle_write_mem }, { 'X', gdb_handle_write_mem }, { 'Z', gdb_handle_point },
	{ 'z', gdb_handle_point },     { 'q', gdb_handle_query },
};

bool gdb_handle_packet(struct gdb_server *srv, struct gdb_resume *r)
{
	const char *p = (const char *)srv->pkt;
	size_t len = srv->dec.len;
	bool resumed = false;

	srv->reply_len = 0;
	if (len == 0) {
		gdb_send_packet(srv, "", 0);
		return false;
	}
	for (size_t i = 0; i < HV_ARRAY_LEN(gdb_packet_handlers); i++) {
		if (gdb_packet_handlers[i].op == p[0]) {
			gdb_packet_handlers[i].fn(srv, p, len);
			gdb_send_packet(srv, srv->reply, srv->reply_len);
			return false;
		}
	}
	switch (p[0]) {
	case '?':
		gdb_build_stop_reply(srv, &srv->stop);
		break;
	case 'T': {
		int tid = gdb_parse_tid(srv, p + 1, len - 1);

		gdb_reply_str(srv, tid >= 0 ? "OK" : GDB_E_THREAD);
		break;
	}
	case 'c':
	case 'C':
	case 's':
	case 'S':
		resumed = gdb_handle_legacy_resume(srv, p, len, r);
		break;
	case 'b':
		if (srv->reverse && len == 2 && (p[1] == 's' || p[1] == 'c')) {
			if (p[1] == 's')
				gdb_resume_set(r, GDB_RESUME_REVERSE_STEP, gdb_step_hart(srv),
					       true);
			else
				gdb_resume_set(r, GDB_RESUME_REVERSE_CONTINUE, -1, true);
			resumed = true;
		}
		break;
	case 'D':
		gdb_send_packet(srv, "OK", 2);
		gdb_resume_set(r, GDB_RESUME_DETACH, -1, true);
		gdb_session_end(srv);
		return true;
	case 'k':
		/* No reply: gdb closes the connection itself. */
		gdb_resume_set(r, GDB_RESUME_KILL, -1, true);
		gdb_session_end(srv);
		return true;
	case 'Q':
		if (gdb_is(p, len, "QStartNoAckMode")) {
			/* This OK is still acknowledged; nothing after it. */
			gdb_send_packet(srv, "OK", 2);
			srv->no_ack = true;
			return false;
		}
		break;
	case 'v':
		if (gdb_is(p, len, "vCont?")) {
			gdb_reply_str(srv, "vCont;c;C;s;S;t");
		} else if (gdb_is(p, len, "vCont")) {
			resumed = gdb_handle_vcont(srv, p, len, r);
		} else if (gdb_is(p, len, "vKill")) {
			gdb_send_packet(srv, "OK", 2);
			gdb_resume_set(r, GDB_RESUME_KILL, -1, true);
			gdb_session_end(srv);
			return true;
		}
		/* Everything else, vMustReplyEmpty included: empty. */
		break;
	default:
		break;
	}
	if (resumed)
		return true; /* the answer is the stop reply, later */
	gdb_send_packet(srv, srv->reply, srv->reply_len);
	return false;
}
