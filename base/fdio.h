/* SPDX-License-Identifier: MIT */
/*
 * Whole reads and writes on file descriptors: read(2) and write(2) may
 * move fewer bytes than asked or be interrupted by a signal, and every
 * file the project writes (logs, bundles, snapshot files, disk images)
 * must be written whole. These helpers loop until done, retry EINTR and
 * leave errno set on failure, so each caller can say which file failed in
 * its own sentence.
 */
#ifndef BASE_FDIO_H
#define BASE_FDIO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Writes all len bytes at the file position. Returns 0, or -1 with errno
 * (ENOSPC where write made no progress). */
int fd_write_all(int fd, const void *buf, size_t len);

/* Writes all len bytes at offset off. Returns 0, or -1 with errno
 * (ENOSPC where pwrite made no progress). */
int fd_pwrite_all(int fd, const void *buf, size_t len, uint64_t off);

/* Reads up to len bytes at offset off; fewer only at the end of the file.
 * Returns the count, or -1 with errno. */
ssize_t fd_pread_full(int fd, void *buf, size_t len, uint64_t off);

/* Makes a rename or creation of PATH durable by syncing the directory that
 * holds it. Best effort: the file is complete under its name whether or
 * not this succeeds, and some file systems refuse fsync on a directory. */
void fd_sync_parent_dir(const char *path);

#endif
