// SPDX-License-Identifier: MIT
/*
 * GDB remote serial protocol framing: the receive state machine, reply
 * framing and the hex helpers (GDB manual, "Overview" of the remote
 * protocol: packets, checksums, binary escapes, run-length encoding).
 *
 * Invariants: the decoder stores at most d->cap bytes; a packet is
 * reported as RSP_EV_PACKET only when its checksum matched and nothing was
 * dropped. Input is untrusted network data; no byte value makes the
 * decoder read or write outside its buffer, and every state has a way back
 * to idle (`#` plus two bytes, or a fresh `$`).
 */
#include "gdbstub/rsp.h"

enum {
	ST_IDLE,
	ST_DATA,
	ST_ESCAPE, /* after `}` */
	ST_REPEAT, /* after `*`: the next byte is a repeat count */
	ST_CSUM1,
	ST_CSUM2,
};

/* "The printable characters `#` and `$` or with a numeric value greater
 * than 126 must not be used" as a run-length count; the count is the byte
 * minus 29 (so a space repeats three more times). */
#define RSP_RLE_BIAS 29

void rsp_decoder_init(struct rsp_decoder *d, uint8_t *buf, size_t cap)
{
	d->buf = buf;
	d->cap = cap;
	d->len = 0;
	d->state = ST_IDLE;
	d->sum = 0;
	d->csum = 0;
	d->overflow = false;
	d->malformed = false;
}

bool rsp_decoder_idle(const struct rsp_decoder *d)
{
	return d->state == ST_IDLE;
}

static void rsp_start_packet(struct rsp_decoder *d)
{
	d->len = 0;
	d->sum = 0;
	d->csum = 0;
	d->overflow = false;
	d->malformed = false;
	d->state = ST_DATA;
}

static void rsp_store(struct rsp_decoder *d, uint8_t v)
{
	if (d->len < d->cap)
		d->buf[d->len++] = v;
	else
		d->overflow = true;
}

static enum rsp_event rsp_feed_idle(uint8_t byte)
{
	switch (byte) {
	case '+':
		return RSP_EV_ACK;
	case '-':
		return RSP_EV_NAK;
	case 0x03:
		return RSP_EV_INTERRUPT;
	default:
		return RSP_EV_GARBAGE;
	}
}

static enum rsp_event rsp_finish(struct rsp_decoder *d)
{
	d->state = ST_IDLE;
	if (d->csum < 0 || (uint8_t)d->csum != d->sum)
		return RSP_EV_BAD_CHECKSUM;
	if (d->overflow)
		return RSP_EV_OVERSIZE;
	if (d->malformed)
		return RSP_EV_MALFORMED;
	return RSP_EV_PACKET;
}

/*
 * A byte between `$` and `#`. `#` always ends a packet on the wire
 * (escaped data never contains it), so a packet cut after `}` or `*`
 * still ends, malformed. `$` means the previous packet lost its end:
 * resynchronise there.
 */
static void rsp_feed_packet(struct rsp_decoder *d, uint8_t byte)
{
	if (byte == '#') {
		if (d->state != ST_DATA)
			d->malformed = true;
		d->state = ST_CSUM1;
		return;
	}
	if (byte == '$') {
		rsp_start_packet(d);
		return;
	}
	d->sum += byte;
	if (d->state == ST_DATA) {
		if (byte == '}')
			d->state = ST_ESCAPE;
		else if (byte == '*')
			d->state = ST_REPEAT;
		else
			rsp_store(d, byte);
		return;
	}
	if (d->state == ST_ESCAPE) {
		rsp_store(d, byte ^ 0x20);
	} else if (byte < ' ' || byte > 126 || d->len == 0) {
		/* A bad count, or nothing before `*` to repeat. */
		d->malformed = true;
	} else {
		for (int n = byte - RSP_RLE_BIAS; n > 0; n--)
			rsp_store(d, d->buf[d->len - 1]);
	}
	d->state = ST_DATA;
}

enum rsp_event rsp_decoder_feed(struct rsp_decoder *d, uint8_t byte)
{
	int digit;

	switch (d->state) {
	case ST_IDLE:
		if (byte == '$') {
			rsp_start_packet(d);
			return RSP_EV_NONE;
		}
		return rsp_feed_idle(byte);
	case ST_DATA:
	case ST_ESCAPE:
	case ST_REPEAT:
		rsp_feed_packet(d, byte);
		return RSP_EV_NONE;
	case ST_CSUM1:
	case ST_CSUM2:
		digit = hex_digit(byte);
		if (digit < 0 || d->csum < 0)
			d->csum = -1;
		else
			d->csum = d->csum * 16 + digit;
		if (d->state == ST_CSUM1) {
			d->state = ST_CSUM2;
			return RSP_EV_NONE;
		}
		return rsp_finish(d);
	}
	return RSP_EV_NONE;
}

size_t rsp_encode(const uint8_t *payload, size_t len, uint8_t *out, size_t cap)
{
	size_t n = 0;
	uint8_t sum = 0;
	static const char digits[] = "0123456789abcdef";

	if (cap < 4)
		return 0;
	out[n++] = '$';
	for (size_t i = 0; i < len; i++) {
		uint8_t c = payload[i];
		bool esc = c == '$' || c == '#' || c == '}' || c == '*';

		/* Room for this byte (two if escaped) plus `#cc`. */
		if (n + (esc ? 2 : 1) + 3 > cap)
			return 0;
		if (esc) {
			out[n++] = '}';
			sum += '}';
			c ^= 0x20;
		}
		out[n++] = c;
		sum += c;
	}
	out[n++] = '#';
	out[n++] = (uint8_t)digits[sum >> 4];
	out[n++] = (uint8_t)digits[sum & 15];
	return n;
}

bool rsp_parse_hex_u64(const char *s, size_t len, uint64_t *out)
{
	uint64_t v = 0;

	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++) {
		int d = hex_digit((uint8_t)s[i]);

		if (d < 0 || v > (UINT64_MAX >> 4))
			return false;
		v = v << 4 | (uint64_t)d;
	}
	*out = v;
	return true;
}
