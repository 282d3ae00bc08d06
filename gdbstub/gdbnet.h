/* SPDX-License-Identifier: MIT */
/*
 * Socket helpers of the gdb stub (used only by gdbstub.c): listening on a
 * --gdb spec, accepting, and non-blocking reads and bounded writes. See
 * gdbnet.c for the spec grammar and the loopback rule.
 */
#ifndef GDBSTUB_GDBNET_H
#define GDBSTUB_GDBNET_H

#include "gdbstub/gdbstub.h"

/* Returns a non-blocking listening socket, or -1 with err set. *port is
 * the bound TCP port (0 for Unix); *unix_path is a malloc'ed copy of the
 * socket path for the caller to unlink and free (NULL for TCP). */
int gdbnet_listen(const char *spec, bool allow_remote, unsigned *port, char **unix_path,
		  struct hv_err *err);

/* Waits up to timeout_ms (-1 = forever) for a connection. Returns the
 * session socket (non-blocking), -2 if none arrived, -1 on a host error. */
int gdbnet_accept(int listen_fd, int timeout_ms, struct hv_err *err);

/* Reads up to cap bytes. Returns the count, 0 if nothing is there and
 * !block, -1 if the peer closed or the socket failed. */
long gdbnet_read(int fd, uint8_t *buf, size_t cap, bool block);

/* Writes all n bytes, waiting at most GDB_SEND_TIMEOUT_MS for each bit of
 * progress. False if the peer is gone or stopped reading. */
bool gdbnet_write(int fd, const uint8_t *p, size_t n);

#endif
