// SPDX-License-Identifier: MIT
/*
 * Reader sources (interface in rdsrc.h). A memory source reads like a
 * file that cannot change: nothing past its size, never an error.
 */
#include "base/rdsrc.h"

#include <string.h>

#include "base/fdio.h"

void rdsrc_from_fd(struct rdsrc *s, int fd, uint64_t size)
{
	s->fd = fd;
	s->mem = NULL;
	s->size = size;
}

void rdsrc_from_mem(struct rdsrc *s, const void *buf, size_t len)
{
	s->fd = -1;
	s->mem = buf;
	s->size = len;
}

ssize_t rdsrc_pread(const struct rdsrc *s, void *buf, size_t len, uint64_t off)
{
	if (s->fd >= 0)
		return fd_pread_full(s->fd, buf, len, off);
	if (off >= s->size)
		return 0;
	if (len > s->size - off)
		len = (size_t)(s->size - off);
	if (len)
		memcpy(buf, s->mem + off, len);
	return (ssize_t)len;
}
