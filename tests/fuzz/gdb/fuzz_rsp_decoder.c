// SPDX-License-Identifier: MIT
/*
 * Fuzz target: the gdb remote protocol's receive state machine
 * (gdbstub/rsp.c) on its own, against a reference model written here the
 * plain way (buffer the whole frame, then check and decode it), and the
 * encoder against the decoder.
 *
 * Input: byte 0 picks the decoder's buffer size (1 to 256 bytes, so
 * overflow is reached); the rest is fed byte by byte. Checked: the
 * decoder never writes past its buffer (ASan: the buffer is malloc'ed to
 * the exact size), a reported packet is exactly the model's payload and
 * checksum-correct, and every packet the decoder reports, framed again by
 * rsp_encode, decodes to itself.
 */
#include "gdbstub/rsp.h"
#include "tests/fuzz/fuzz.h"

#include <stdio.h>

static void fuzz_fail(const char *what)
{
	fprintf(stderr, "rsp decoder: %s\n", what);
	abort();
}

/* The reference: the raw payload of a well-formed frame decoded in one
 * go; false if it does not fit in cap. */
static bool fuzz_model_decode(const uint8_t *raw, size_t n, uint8_t *out, size_t cap, size_t *len)
{
	size_t k = 0;

	for (size_t j = 0; j < n; j++) {
		if (raw[j] == '}' && j + 1 < n) {
			if (k == cap)
				return false;
			out[k++] = raw[++j] ^ 0x20;
		} else if (raw[j] == '*' && j + 1 < n && k > 0) {
			for (int r = raw[++j] - 29; r > 0; r--) {
				if (k == cap)
					return false;
				out[k] = out[k - 1];
				k++;
			}
		} else {
			if (k == cap)
				return false;
			out[k++] = raw[j];
		}
	}
	*len = k;
	return true;
}

/* The encoder's frame decodes, with a buffer of just the right size, to
 * the same payload. */
static void fuzz_roundtrip(const uint8_t *payload, size_t len)
{
	size_t cap = RSP_FRAMED_MAX(len), n;
	uint8_t *frame = malloc(cap), *back = malloc(len ? len : 1);
	struct rsp_decoder d;
	enum rsp_event ev = RSP_EV_NONE;

	if (!frame || !back)
		abort();
	n = rsp_encode(payload, len, frame, cap);
	if (n == 0)
		fuzz_fail("rsp_encode refused a buffer of RSP_FRAMED_MAX");
	rsp_decoder_init(&d, back, len);
	for (size_t i = 0; i < n; i++) {
		ev = rsp_decoder_feed(&d, frame[i]);
		if (i + 1 < n && ev != RSP_EV_NONE)
			fuzz_fail("an encoded frame ended early");
	}
	if (ev != RSP_EV_PACKET || d.len != len || memcmp(back, payload, len) != 0)
		fuzz_fail("an encoded frame does not decode to its payload");
	/* One byte too little room must make the encoder refuse. */
	if (rsp_encode(payload, len, frame, n - 1) != 0)
		fuzz_fail("rsp_encode overran its buffer size");
	free(frame);
	free(back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t cap, model_len;
	uint8_t *buf, *model;
	struct rsp_decoder d;

	if (size < 1)
		return 0;
	cap = 1 + data[0];
	buf = malloc(cap);
	model = malloc(cap);
	if (!buf || !model)
		abort();
	rsp_decoder_init(&d, buf, cap);
	for (size_t i = 1; i < size; i++) {
		bool was_idle = rsp_decoder_idle(&d);
		enum rsp_event ev = rsp_decoder_feed(&d, data[i]);

		if (d.len > cap)
			fuzz_fail("length past the buffer");
		switch (ev) {
		case RSP_EV_ACK:
		case RSP_EV_NAK:
		case RSP_EV_INTERRUPT:
		case RSP_EV_GARBAGE:
			if (!was_idle)
				fuzz_fail("an idle event in the middle of a packet");
			break;
		case RSP_EV_PACKET: {
			/* The raw frame is data[start..i]: '$' ... '#' c c. The
			 * checksum covers the raw payload. */
			size_t hash = i - 2, dollar = hash;
			uint8_t sum = 0;

			while (dollar > 1 && data[dollar] != '$')
				dollar--;
			for (size_t j = dollar + 1; j < hash; j++)
				sum += data[j];
			if (data[dollar] != '$' || data[hash] != '#' ||
			    hex_digit(data[i - 1]) * 16 + hex_digit(data[i]) != sum)
				fuzz_fail("a packet reported with a wrong checksum");
			if (!fuzz_model_decode(data + dollar + 1, hash - dollar - 1, model, cap,
					       &model_len) ||
			    model_len != d.len || memcmp(model, buf, d.len) != 0)
				fuzz_fail("a packet differs from the reference decoding");
			fuzz_roundtrip(buf, d.len);
			break;
		}
		default:
			break;
		}
	}
	free(buf);
	free(model);
	return 0;
}
