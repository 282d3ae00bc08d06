// SPDX-License-Identifier: MIT
/*
 * Hexadecimal digits (interface in hex.h). Input is untrusted text: every
 * byte is checked, lengths are checked before anything is written.
 */
#include "base/hex.h"

int hex_digit(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

long hex_decode(const char *hex, size_t hexlen, uint8_t *out, size_t cap)
{
	if (hexlen % 2 != 0 || hexlen / 2 > cap)
		return -1;
	for (size_t i = 0; i < hexlen / 2; i++) {
		int hi = hex_digit((uint8_t)hex[2 * i]);
		int lo = hex_digit((uint8_t)hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return (long)(hexlen / 2);
}

void hex_encode(const uint8_t *in, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
}
