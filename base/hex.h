/* SPDX-License-Identifier: MIT */
/*
 * Hexadecimal digits: the gdb remote protocol's payloads, SHA-256 digests
 * as sha256sum(1) prints them, MAC addresses on the command line. The
 * decoders take untrusted text and reject anything that is not exactly
 * what they expect; the encoder writes lowercase digits.
 */
#ifndef BASE_HEX_H
#define BASE_HEX_H

#include <stddef.h>
#include <stdint.h>

/* 0..15 for 0-9, a-f, A-F; -1 for any other byte. */
int hex_digit(uint8_t c);

/* Decodes hexlen digits into hexlen / 2 bytes. Returns the byte count, or
 * -1 on an odd length, a non-hex digit, or more than cap bytes. */
long hex_decode(const char *hex, size_t hexlen, uint8_t *out, size_t cap);

/* Writes 2 * len lowercase hex digits (no terminator). */
void hex_encode(const uint8_t *in, size_t len, char *out);

#endif
