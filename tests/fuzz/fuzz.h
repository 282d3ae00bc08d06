/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the fuzz harnesses (tests/fuzz): a NUL-terminated
 * copy of the input, a command line made of it, and a cursor that splits
 * one input into fields.
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

/* A command line: argv0, then text (size bytes and the NUL of
 * fuzz_cstr) split at its NUL bytes, at most max arguments; argv holds
 * max + 2 entries and ends with NULL. Returns argc. */
static inline int fuzz_argv(char *text, size_t size, const char *argv0, char **argv, int max)
{
	int argc = 0;

	argv[argc++] = (char *)argv0;
	for (size_t start = 0; start <= size && argc <= max;) {
		argv[argc++] = text + start;
		start += strlen(text + start) + 1;
	}
	argv[argc] = NULL;
	return argc;
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
