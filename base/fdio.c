// SPDX-License-Identifier: MIT
/*
 * Whole reads and writes on file descriptors (interface in fdio.h).
 */
#include "base/fdio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Write all of buf: at off with pwrite, or at the file position with write
 * when off is FDIO_AT_POSITION. A write that makes no progress is ENOSPC. */
#define FDIO_AT_POSITION UINT64_MAX

static int fd_write_loop(int fd, const void *buf, size_t len, uint64_t off)
{
	const uint8_t *p = buf;

	while (len) {
		ssize_t n = off == FDIO_AT_POSITION ? write(fd, p, len) :
						      pwrite(fd, p, len, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0) {
			errno = ENOSPC;
			return -1;
		}
		p += n;
		if (off != FDIO_AT_POSITION)
			off += (uint64_t)n;
		len -= (size_t)n;
	}
	return 0;
}

int fd_write_all(int fd, const void *buf, size_t len)
{
	return fd_write_loop(fd, buf, len, FDIO_AT_POSITION);
}

int fd_pwrite_all(int fd, const void *buf, size_t len, uint64_t off)
{
	return fd_write_loop(fd, buf, len, off);
}

void fd_sync_parent_dir(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir;
	int fd;

	if (!slash)
		dir = strdup(".");
	else if (slash == path)
		dir = strdup("/");
	else
		dir = strndup(path, (size_t)(slash - path));
	if (!dir)
		return;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		(void)fsync(fd);
		close(fd);
	}
	free(dir);
}

ssize_t fd_pread_full(int fd, void *buf, size_t len, uint64_t off)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = pread(fd, (uint8_t *)buf + done, len - done, (off_t)(off + done));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		done += (size_t)n;
	}
	return (ssize_t)done;
}
