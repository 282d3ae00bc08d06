/* SPDX-License-Identifier: MIT */
/*
 * SHA-256 (FIPS 180-4, section 6.2): the hash the record log stores for
 * every image the machine was started with, and that a replay or a
 * reproducible-bug bundle checks before it trusts an image.
 *
 * The streaming interface (init, any number of updates, final) lets a
 * caller hash a 100 MB kernel or a 64 GiB disk in fixed memory;
 * sha256_file does exactly that for a file, reading 1 MiB at a time.
 * Digests are 32 bytes; sha256_hex spells them as the 64 lowercase hex
 * digits that sha256sum(1) prints.
 */
#ifndef BASE_SHA256_H
#define BASE_SHA256_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

#define SHA256_DIGEST_SIZE 32
#define SHA256_HEX_SIZE 65 /* 64 digits and the NUL */
#define SHA256_BLOCK_SIZE 64

struct sha256_ctx {
	uint32_t h[8];                    /* intermediate hash value H(i) */
	uint64_t nbytes;                  /* message length so far */
	uint8_t block[SHA256_BLOCK_SIZE]; /* partial block not yet compressed */
	unsigned nblock;                  /* bytes used in block[] */
};

void sha256_init(struct sha256_ctx *c);
void sha256_update(struct sha256_ctx *c, const void *data, size_t n);
/* Pads, writes the digest and leaves the context to be re-initialised. */
void sha256_final(struct sha256_ctx *c, uint8_t out[SHA256_DIGEST_SIZE]);

/* One-shot digest of a buffer. */
/* Whether the host's SHA instructions (x86 SHA extensions) are used:
 * they are when the CPU has them, unless turned off here. Returns whether
 * the CPU has them. For tests and benchmarks; the digest is the same. */
bool sha256_use_accel(bool on);

void sha256_digest(const void *data, size_t n, uint8_t out[SHA256_DIGEST_SIZE]);

/* Digest of a whole file, read in 1 MiB blocks. Returns 0, or -1 with a
 * sentence naming the file in err. */
int sha256_file(const char *path, uint8_t out[SHA256_DIGEST_SIZE], struct hv_err *err);

/* 64 lowercase hex digits and a NUL. */
void sha256_hex(const uint8_t d[SHA256_DIGEST_SIZE], char out[SHA256_HEX_SIZE]);

#endif
