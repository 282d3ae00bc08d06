/* SPDX-License-Identifier: MIT */
/*
 * What bundle packing (bundle.c) and extraction (bundle_extract.c) share:
 * the layout constants of the format in bundle.h, the entry as held in
 * memory, and the checks on roles, which become file names. Nothing
 * outside replay/bundle*.c uses it.
 */
#ifndef REPLAY_BUNDLE_IMPL_H
#define REPLAY_BUNDLE_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/sha256.h"
#include "replay/bundle.h"

#define BUNDLE_HEADER_SIZE 24u
#define BUNDLE_ENTRY_SIZE 96u
#define BUNDLE_SEAL_SIZE 32u
#define BUNDLE_MAX_ENTRIES (1u + BUNDLE_MAX_IMAGES)
#define BUNDLE_TABLE_MAX \
	(BUNDLE_HEADER_SIZE + BUNDLE_MAX_ENTRIES * BUNDLE_ENTRY_SIZE + BUNDLE_SEAL_SIZE)
#define BUNDLE_IO_SIZE (1u << 20)
#define BUNDLE_ZSTD_LEVEL 3
/* zstd's own default decoder limit (128 MiB window), stated so the memory
 * a hostile frame can ask for is a documented bound. */
#define BUNDLE_ZSTD_WINDOW_LOG_MAX 27
/* A role shown in a message: every byte escaped as \xHH at worst. */
#define BUNDLE_ROLE_SHOW_SIZE (4 * BUNDLE_ROLE_SIZE + 1)

/* "RVSRBNDL", the first 8 bytes of every bundle. */
static const char bundle_magic[8] = { 'R', 'V', 'S', 'R', 'B', 'N', 'D', 'L' };

struct bundle_entry {
	char role[BUNDLE_ROLE_SIZE];
	uint64_t size;   /* uncompressed bytes */
	uint64_t offset; /* of the zstd frame in the bundle */
	uint64_t csize;  /* compressed bytes */
	uint32_t crc;    /* CRC-32 of the compressed bytes */
	uint8_t sha256[SHA256_DIGEST_SIZE];
};

static inline uint64_t bundle_table_end(unsigned count)
{
	return BUNDLE_HEADER_SIZE + (uint64_t)count * BUNDLE_ENTRY_SIZE + BUNDLE_SEAL_SIZE;
}

/*
 * A role becomes a file name, so it must not be able to name anything but
 * a plain file inside the extraction directory: 1-31 bytes of [a-z0-9_]
 * (no '/', no '.', so no "..", no hidden or temporary names), terminated
 * and padded with NULs inside its field of `field` bytes.
 */
bool bundle_role_is_safe(const char *role, size_t field);

/* Untrusted role bytes, printable for a message. */
void bundle_role_show(const char *role, char out[BUNDLE_ROLE_SHOW_SIZE]);

#endif
