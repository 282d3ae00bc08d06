/* SPDX-License-Identifier: MIT */
/*
 * Reader sources: positioned reads from either an open file or a buffer
 * in memory, so that a file format has one parser whether its bytes come
 * from disk (the command line) or from memory (the fuzz targets of
 * tests/fuzz, a bundle's log). A source does not own what it reads from:
 * the caller keeps the descriptor open, or the buffer alive, for as long
 * as the source is used.
 */
#ifndef BASE_RDSRC_H
#define BASE_RDSRC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct rdsrc {
	int fd; /* -1 when reading from mem */
	const uint8_t *mem;
	uint64_t size; /* bytes the source holds (a file: when opened) */
};

/* A file of SIZE bytes open on FD. */
void rdsrc_from_fd(struct rdsrc *s, int fd, uint64_t size);
/* LEN bytes at BUF. */
void rdsrc_from_mem(struct rdsrc *s, const void *buf, size_t len);

/* Reads up to len bytes at offset off, as fd_pread_full: fewer only at the
 * end of the data. Returns the count, or -1 with errno (a file only). */
ssize_t rdsrc_pread(const struct rdsrc *s, void *buf, size_t len, uint64_t off);

#endif
