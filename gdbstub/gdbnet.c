// SPDX-License-Identifier: MIT
/*
 * The stub's sockets: parsing --gdb specs, listening, accepting one gdb,
 * and reading and writing bytes without ever blocking the machine for
 * long (gdbstub.h describes the server as a whole).
 *
 * Spec grammar: "tcp:[HOST]:PORT" with HOST an address literal ("[::1]"
 * for IPv6), a name, or empty (127.0.0.1), PORT decimal 0..65535 (0 lets
 * the kernel pick); or "unix:PATH". The stub is unauthenticated, so a TCP
 * host that is not a loopback address is refused unless the caller allows
 * remote access explicitly, and a Unix socket is created mode 0600.
 *
 * Untrusted input: the spec (from the command line) and the peer. Writes
 * use MSG_NOSIGNAL (a vanished peer must not raise SIGPIPE in the host)
 * and give up after GDB_SEND_TIMEOUT_MS without progress.
 */
#include "gdbstub/gdbnet.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static bool gdbnet_is_loopback(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;

		/* 127.0.0.0/8 (RFC 1122 section 3.2.1.3). */
		return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
		const uint8_t *a = in6->sin6_addr.s6_addr;

		if (IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr))
			return true;
		return IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr) && a[12] == 127;
	}
	return false;
}

static bool gdbnet_parse_port(const char *s, unsigned *port)
{
	unsigned long v = 0;

	if (*s == '\0' || strlen(s) > 5)
		return false;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return false;
		v = v * 10 + (unsigned long)(*p - '0');
	}
	if (v > 65535)
		return false;
	*port = (unsigned)v;
	return true;
}

static int gdbnet_listen_tcp(const char *spec, const char *rest, bool allow_remote,
			     unsigned *port_out, struct hv_err *err)
{
	char host[256];
	const char *colon = strrchr(rest, ':');
	struct addrinfo hints, *res = NULL;
	struct sockaddr_storage bound;
	socklen_t blen = sizeof(bound);
	unsigned port;
	int fd, one = 1, rc;
	size_t hlen;

	if (!colon) {
		hv_err_set(err, "--gdb '%s': expected tcp:HOST:PORT, e.g. tcp:127.0.0.1:1234",
			   spec);
		return -1;
	}
	if (!gdbnet_parse_port(colon + 1, &port)) {
		hv_err_set(err, "--gdb '%s': the port must be a number from 0 to 65535", spec);
		return -1;
	}
	hlen = (size_t)(colon - rest);
	if (hlen >= 2 && rest[0] == '[' && rest[hlen - 1] == ']') {
		rest++;
		hlen -= 2;
	}
	if (hlen >= sizeof(host)) {
		hv_err_set(err, "--gdb '%s': the host name is too long", spec);
		return -1;
	}
	memcpy(host, rest, hlen);
	host[hlen] = '\0';
	if (hlen == 0)
		strcpy(host, "127.0.0.1");

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	rc = getaddrinfo(host, colon + 1, &hints, &res);
	if (rc != 0) {
		hv_err_set(err, "--gdb '%s': cannot resolve '%s': %s", spec, host,
			   gai_strerror(rc));
		return -1;
	}
	if (!allow_remote && !gdbnet_is_loopback(res->ai_addr)) {
		hv_err_set(err,
			   "--gdb '%s': '%s' is not a loopback address, and the gdb stub is "
			   "unauthenticated; pass --gdb-allow-remote to listen there anyway",
			   spec, host);
		freeaddrinfo(res);
		return -1;
	}
	fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		hv_err_set(err, "--gdb '%s': socket: %s", spec, strerror(errno));
		freeaddrinfo(res);
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, res->ai_addr, res->ai_addrlen) < 0 || listen(fd, 1) < 0) {
		hv_err_set(err, "--gdb '%s': cannot listen on %s port %u: %s", spec, host, port,
			   strerror(errno));
		freeaddrinfo(res);
		close(fd);
		return -1;
	}
	freeaddrinfo(res);
	if (getsockname(fd, (struct sockaddr *)&bound, &blen) == 0) {
		if (bound.ss_family == AF_INET)
			port = ntohs(((struct sockaddr_in *)&bound)->sin_port);
		else if (bound.ss_family == AF_INET6)
			port = ntohs(((struct sockaddr_in6 *)&bound)->sin6_port);
	}
	*port_out = port;
	return fd;
}

/* An existing socket file is stale if nobody accepts on it. */
static bool gdbnet_unix_stale(const struct sockaddr_un *sun)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool stale;

	if (fd < 0)
		return false;
	stale = connect(fd, (const struct sockaddr *)sun, sizeof(*sun)) < 0 &&
		errno == ECONNREFUSED;
	close(fd);
	return stale;
}

static int gdbnet_listen_unix(const char *spec, const char *path, struct hv_err *err)
{
	struct sockaddr_un sun;
	struct stat st;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (*path == '\0' || strlen(path) >= sizeof(sun.sun_path)) {
		hv_err_set(err, "--gdb '%s': a Unix socket path must have 1 to %zu bytes", spec,
			   sizeof(sun.sun_path) - 1);
		return -1;
	}
	strcpy(sun.sun_path, path);
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			hv_err_set(err, "--gdb '%s': %s exists and is not a socket", spec, path);
			return -1;
		}
		if (!gdbnet_unix_stale(&sun)) {
			hv_err_set(err, "--gdb '%s': another program is listening on %s", spec,
				   path);
			return -1;
		}
		unlink(path);
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		hv_err_set(err, "--gdb '%s': socket: %s", spec, strerror(errno));
		return -1;
	}
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		hv_err_set(err, "--gdb '%s': cannot bind %s: %s", spec, path, strerror(errno));
		close(fd);
		return -1;
	}
	/* Only the owner may connect; nobody can before listen(). */
	if (chmod(path, 0600) < 0 || listen(fd, 1) < 0) {
		hv_err_set(err, "--gdb '%s': cannot listen on %s: %s", spec, path, strerror(errno));
		close(fd);
		unlink(path);
		return -1;
	}
	return fd;
}

int gdbnet_listen(const char *spec, bool allow_remote, unsigned *port, char **unix_path,
		  struct hv_err *err)
{
	int fd;

	*port = 0;
	*unix_path = NULL;
	if (strncmp(spec, "tcp:", 4) == 0)
		return gdbnet_listen_tcp(spec, spec + 4, allow_remote, port, err);
	if (strncmp(spec, "unix:", 5) != 0) {
		hv_err_set(err, "--gdb '%s': expected tcp:HOST:PORT or unix:PATH", spec);
		return -1;
	}
	fd = gdbnet_listen_unix(spec, spec + 5, err);
	if (fd >= 0) {
		*unix_path = strdup(spec + 5);
		if (!*unix_path) {
			hv_err_set(err, "--gdb '%s': out of memory", spec);
			close(fd);
			unlink(spec + 5);
			return -1;
		}
	}
	return fd;
}

int gdbnet_accept(int listen_fd, int timeout_ms, struct hv_err *err)
{
	struct pollfd pfd = { .fd = listen_fd, .events = POLLIN };
	int fd, one = 1, rc;

	rc = poll(&pfd, 1, timeout_ms);
	if (rc < 0) {
		if (errno == EINTR)
			return -2;
		hv_err_set(err, "gdb stub: poll on the listening socket: %s", strerror(errno));
		return -1;
	}
	if (rc == 0)
		return -2;
	fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0) {
		/* The peer may have given up between poll and accept. */
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ECONNABORTED ||
		    errno == EINTR)
			return -2;
		hv_err_set(err, "gdb stub: accept: %s", strerror(errno));
		return -1;
	}
	/* Every reply is one small write that gdb waits for. Fails harmlessly
	 * on a Unix socket. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

long gdbnet_read(int fd, uint8_t *buf, size_t cap, bool block)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	for (;;) {
		ssize_t n = recv(fd, buf, cap, 0);

		if (n > 0)
			return (long)n;
		if (n == 0)
			return -1;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -1;
		if (!block)
			return 0;
		if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
			return -1;
	}
}

bool gdbnet_write(int fd, const uint8_t *p, size_t n)
{
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };

	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w > 0) {
			p += w;
			n -= (size_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
			return false;
		if (poll(&pfd, 1, GDB_SEND_TIMEOUT_MS) <= 0)
			return false;
	}
	return true;
}
