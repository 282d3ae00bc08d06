/* SPDX-License-Identifier: MIT */
/*
 * GDB remote serial protocol framing (GDB manual, appendix "GDB Remote
 * Serial Protocol", sections "Overview" and "Packet Acknowledgment").
 *
 * A packet on the wire is `$payload#cc`, where cc is the modulo-256 sum of
 * the raw payload bytes in two hex digits. Inside the payload `}` escapes
 * the next byte (sent XORed with 0x20) and `X*c` repeats X a further
 * c - 29 times (run-length encoding). Outside packets the peer sends `+`
 * (ack), `-` (please retransmit) and the lone byte 0x03 (interrupt).
 *
 * The decoder is a byte-at-a-time state machine with no I/O: the server
 * feeds it whatever the socket delivered and acts on the events it
 * returns. Everything it reads comes from the network and is untrusted:
 * the decoded payload never exceeds the buffer the caller gave it (a
 * longer packet is consumed to its end and reported as RSP_EV_OVERSIZE),
 * a bad checksum or bad framing is reported, never acted upon, and a `$`
 * in the middle of a packet restarts decoding so that a peer that lost
 * bytes resynchronises on the next packet.
 *
 * The hex helpers parse the numbers and byte strings inside payloads; they
 * reject empty input, odd lengths, non-hex digits and values that do not
 * fit, so a command handler never works on a half-parsed argument.
 */
#ifndef GDBSTUB_RSP_H
#define GDBSTUB_RSP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/hex.h" /* hex_digit, hex_decode, hex_encode for payloads */

enum rsp_event {
	RSP_EV_NONE,         /* byte consumed, nothing complete yet */
	RSP_EV_PACKET,       /* a packet with a good checksum is in the buffer */
	RSP_EV_BAD_CHECKSUM, /* a packet ended with a wrong or non-hex checksum */
	RSP_EV_OVERSIZE,     /* a packet longer than the buffer; payload dropped */
	RSP_EV_MALFORMED,    /* bad run-length encoding; payload dropped */
	RSP_EV_ACK,          /* `+` between packets */
	RSP_EV_NAK,          /* `-` between packets */
	RSP_EV_INTERRUPT,    /* 0x03 between packets */
	RSP_EV_GARBAGE,      /* any other byte between packets; ignored */
};

struct rsp_decoder {
	uint8_t *buf; /* decoded payload, cap bytes */
	size_t cap;
	size_t len; /* decoded bytes so far / of the finished packet */
	int state;
	uint8_t sum;    /* running checksum of the raw payload bytes */
	int csum;       /* checksum digits so far; -1 after a non-hex digit */
	bool overflow;  /* the payload did not fit: drop it */
	bool malformed; /* bad run-length encoding seen: drop it */
};

/* The decoder writes at most cap decoded bytes into buf and never past it. */
void rsp_decoder_init(struct rsp_decoder *d, uint8_t *buf, size_t cap);

/* Consumes one byte. After RSP_EV_PACKET the payload is d->buf[0..d->len)
 * until the next call. */
enum rsp_event rsp_decoder_feed(struct rsp_decoder *d, uint8_t byte);

/* True between packets (where 0x03 means "interrupt" and not payload). */
bool rsp_decoder_idle(const struct rsp_decoder *d);

/* Frames payload as `$...#cc` into out, escaping `$ # } *` (the stub must
 * escape `*` so that gdb does not read it as run-length encoding). Returns
 * the framed length, or 0 if it would not fit in cap (at most
 * RSP_FRAMED_MAX(len) bytes are needed). */
#define RSP_FRAMED_MAX(len) (2 * (size_t)(len) + 4)
size_t rsp_encode(const uint8_t *payload, size_t len, uint8_t *out, size_t cap);

/* Parses exactly len bytes as an unsigned hex number of 1 to 16 digits.
 * Returns false on empty input, a non-hex digit or overflow. */
bool rsp_parse_hex_u64(const char *s, size_t len, uint64_t *out);

#endif
