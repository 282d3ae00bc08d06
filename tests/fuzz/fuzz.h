/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the fuzz harnesses (tests/fuzz): a NUL-terminated
 * copy of the input, and a cursor that splits one input into fields.
 */
#ifndef TESTS_FUZZ_FUZZ_H
#define TESTS_FUZZ_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The input as a C string (a NUL at the end; NULs inside stay). */
static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = 0;
	return s;
}

/* A cursor over the input: takes fixed-size fields from the front and
 * answers 0 once the input is used up. */
struct fuzz_in {
	const uint8_t *p;
	size_t n;
};

static inline uint64_t fuzz_take(struct fuzz_in *in, unsigned bytes)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < bytes && in->n; i++, in->p++, in->n--)
		v |= (uint64_t)in->p[0] << (8 * i);
	return v;
}

/* Up to max bytes from the front, length-prefixed by one u16. */
static inline size_t fuzz_take_blob(struct fuzz_in *in, const uint8_t **p, size_t max)
{
	size_t len = (size_t)fuzz_take(in, 2);

	if (len > in->n)
		len = in->n;
	if (len > max)
		len = max;
	*p = in->p;
	in->p += len;
	in->n -= len;
	return len;
}

#endif
