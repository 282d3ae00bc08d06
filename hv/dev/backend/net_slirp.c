// SPDX-License-Identifier: MIT
/*
 * The --net option parser and the libslirp backend (interface and the
 * network layout in net_slirp.h).
 *
 * Parsing: the value is split at commas into a type ("user" or "none")
 * and key=value options; every number and address is checked completely
 * (decimal digits only, no sign, no trailing text, ports 1..65535,
 * addresses as four decimal octets). A guest address must be a usable
 * host of 10.0.2.0/24, not the network, broadcast, host or DNS address.
 *
 * The stack: one Slirp instance with QEMU's user-network addresses,
 * IPv6 off (the guest needs only IPv4 here, and without it the stack
 * sends nothing unprompted), restricted off, host loopback reachable as
 * 10.0.2.2. Its callbacks run only inside our calls into it, on the
 * machine's thread:
 *   - send_packet hands the frame to the receive callback;
 *   - clock_get_ns is CLOCK_MONOTONIC (host time, see net_slirp.h for why
 *     that does not break determinism);
 *   - timers (SlirpConfig version 4, timer_new_opaque) are a list checked
 *     after every poll; a due timer is disarmed, then handed to
 *     slirp_handle_timer, at most NET_SLIRP_TIMER_BURST per poll so that
 *     a timer re-armed in the past cannot keep us busy;
 *   - the poll set is rebuilt by slirp_pollfds_fill on every poll, so
 *     register_poll_fd, unregister_poll_fd and notify need no action.
 *
 * libslirp writes to host TCP sockets with send() without MSG_NOSIGNAL,
 * so a host peer that went away would raise SIGPIPE and kill the process.
 * Every call into the stack that can write (input, poll, timers) runs
 * with SIGPIPE blocked and discards a SIGPIPE it raised before
 * unblocking; the process-wide disposition, which main owns, is left
 * alone.
 */
#include "hv/dev/backend/net_slirp.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <slirp/libslirp.h>

#include "base/hex.h"
#include "hv/machine.h"

#if SLIRP_CONFIG_VERSION_MAX < 4
#error "libslirp 4.7 or later is needed (SlirpConfig version 4, timer_new_opaque)"
#endif

#define NET_SLIRP_TIMER_BURST 16u
#define NET_SLIRP_GUEST_LOG_LIMIT 16u
/* Longest guest frame handed to the stack: slirp_input takes an int. */
#define NET_SLIRP_MAX_INPUT 65535u

static const uint8_t net_default_mac[NET_ETH_ALEN] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

/* ---- option parsing ---- */

void net_opts_init(struct net_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->mode = NET_NONE;
	memcpy(o->mac, net_default_mac, sizeof(o->mac));
}

/* A span of the option string: not NUL-terminated. */
struct net_span {
	const char *p;
	size_t n;
};

static bool net_span_is(struct net_span s, const char *word)
{
	return s.n == strlen(word) && memcmp(s.p, word, s.n) == 0;
}

/* Split s at the first sep: head before it, s after it. False if absent. */
static bool net_span_split(struct net_span *s, char sep, struct net_span *head)
{
	const char *at = memchr(s->p, sep, s->n);

	if (!at)
		return false;
	head->p = s->p;
	head->n = (size_t)(at - s->p);
	s->n -= head->n + 1;
	s->p = at + 1;
	return true;
}

/* Decimal digits only, value in [lo, hi]. */
static bool net_parse_uint(struct net_span s, unsigned lo, unsigned hi, unsigned *v)
{
	unsigned x = 0;

	if (s.n == 0 || s.n > 5)
		return false;
	for (size_t i = 0; i < s.n; i++) {
		if (s.p[i] < '0' || s.p[i] > '9')
			return false;
		x = x * 10 + (unsigned)(s.p[i] - '0');
	}
	if (x < lo || x > hi)
		return false;
	*v = x;
	return true;
}

static bool net_parse_port(struct net_span s, uint16_t *port)
{
	unsigned v;

	if (!net_parse_uint(s, 1, 65535, &v))
		return false;
	*port = (uint16_t)v;
	return true;
}

/* Dotted quad of decimal octets, result in host byte order. */
static bool net_parse_ipv4(struct net_span s, uint32_t *addr)
{
	uint32_t a = 0;

	for (unsigned i = 0; i < 4; i++) {
		struct net_span octet = s;
		unsigned v;

		if (i < 3) {
			if (!net_span_split(&s, '.', &octet))
				return false;
		}
		if (octet.n > 3 || !net_parse_uint(octet, 0, 255, &v))
			return false;
		a = a << 8 | v;
	}
	*addr = a;
	return true;
}

/* xx:xx:xx:xx:xx:xx, unicast (I/G bit of the first octet clear). */
static bool net_parse_mac(struct net_span s, uint8_t mac[NET_ETH_ALEN])
{
	if (s.n != 17)
		return false;
	for (unsigned i = 0; i < NET_ETH_ALEN; i++) {
		int hi = hex_digit((uint8_t)s.p[3 * i]);
		int lo = hex_digit((uint8_t)s.p[3 * i + 1]);

		if (hi < 0 || lo < 0 || (i < 5 && s.p[3 * i + 2] != ':'))
			return false;
		mac[i] = (uint8_t)(hi << 4 | lo);
	}
	return !(mac[0] & 1);
}

static bool net_guest_addr_ok(uint32_t a)
{
	uint32_t host = a & ~NET_SLIRP_NETMASK;

	return (a & NET_SLIRP_NETMASK) == NET_SLIRP_NETWORK && host != 0 &&
	       host != (~NET_SLIRP_NETMASK) && a != NET_SLIRP_HOST && a != NET_SLIRP_DNS;
}

static int net_parse_hostfwd(struct net_span rule, struct net_hostfwd *f, struct hv_err *err)
{
	struct net_span rest = rule, proto, haddr, hport, gaddr, gport;

	if (!net_span_split(&rest, ':', &proto) || !net_span_split(&rest, ':', &haddr) ||
	    !net_span_split(&rest, '-', &hport) || !net_span_split(&rest, ':', &gaddr)) {
		hv_err_set(err,
			   "--net: hostfwd rule '%.*s' is not of the form "
			   "[tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT",
			   (int)rule.n, rule.p);
		return -1;
	}
	gport = rest;
	if (proto.n == 0 || net_span_is(proto, "tcp")) {
		f->udp = false;
	} else if (net_span_is(proto, "udp")) {
		f->udp = true;
	} else {
		hv_err_set(err, "--net: hostfwd rule '%.*s' has protocol '%.*s', not tcp or udp",
			   (int)rule.n, rule.p, (int)proto.n, proto.p);
		return -1;
	}
	if (haddr.n == 0) {
		f->host_addr = NET_SLIRP_LOOPBACK;
	} else if (!net_parse_ipv4(haddr, &f->host_addr)) {
		hv_err_set(err,
			   "--net: hostfwd rule '%.*s' has host address '%.*s', which is not "
			   "an IPv4 address like 127.0.0.1",
			   (int)rule.n, rule.p, (int)haddr.n, haddr.p);
		return -1;
	}
	if (!net_parse_port(hport, &f->host_port)) {
		hv_err_set(err,
			   "--net: hostfwd rule '%.*s' has host port '%.*s', which is not a "
			   "number from 1 to 65535",
			   (int)rule.n, rule.p, (int)hport.n, hport.p);
		return -1;
	}
	if (gaddr.n == 0) {
		f->guest_addr = NET_SLIRP_GUEST;
	} else if (!net_parse_ipv4(gaddr, &f->guest_addr) || !net_guest_addr_ok(f->guest_addr)) {
		hv_err_set(err,
			   "--net: hostfwd rule '%.*s' has guest address '%.*s', which is not "
			   "a guest address in 10.0.2.0/24 (10.0.2.2 and 10.0.2.3 are taken)",
			   (int)rule.n, rule.p, (int)gaddr.n, gaddr.p);
		return -1;
	}
	if (!net_parse_port(gport, &f->guest_port)) {
		hv_err_set(err,
			   "--net: hostfwd rule '%.*s' has guest port '%.*s', which is not a "
			   "number from 1 to 65535",
			   (int)rule.n, rule.p, (int)gport.n, gport.p);
		return -1;
	}
	return 0;
}

int net_parse_opts(const char *s, struct net_opts *o, struct hv_err *err)
{
	struct net_span rest, type, opt;
	bool more, have_mac = false;

	if (!s || !*s) {
		hv_err_set(err, "--net needs a value: 'user[,hostfwd=RULE]...' or 'none'");
		return -1;
	}
	rest.p = s;
	rest.n = strlen(s);
	more = net_span_split(&rest, ',', &type);
	if (!more)
		type = rest;
	if (net_span_is(type, "none")) {
		if (more) {
			hv_err_set(err, "--net none takes no options, but '%s' was given", s);
			return -1;
		}
		o->mode = NET_NONE;
		return 0;
	}
	if (!net_span_is(type, "user")) {
		hv_err_set(err, "--net: network type '%.*s' is not supported (use user or none)",
			   (int)type.n, type.p);
		return -1;
	}
	o->mode = NET_USER;
	while (more) {
		struct net_span key;

		more = net_span_split(&rest, ',', &opt);
		if (!more)
			opt = rest;
		if (!net_span_split(&opt, '=', &key)) {
			hv_err_set(err,
				   "--net: option '%.*s' has no value (expected hostfwd=RULE, "
				   "mac=ADDR or slot=N)",
				   (int)opt.n, opt.p);
			return -1;
		}
		if (net_span_is(key, "hostfwd")) {
			struct net_hostfwd *f;

			if (o->nhostfwd == NET_MAX_HOSTFWD) {
				hv_err_set(err, "--net: more than %d hostfwd rules",
					   NET_MAX_HOSTFWD);
				return -1;
			}
			f = &o->hostfwd[o->nhostfwd];
			if (net_parse_hostfwd(opt, f, err) != 0)
				return -1;
			for (unsigned i = 0; i < o->nhostfwd; i++) {
				const struct net_hostfwd *g = &o->hostfwd[i];

				if (g->udp == f->udp && g->host_port == f->host_port &&
				    g->host_addr == f->host_addr) {
					hv_err_set(err,
						   "--net: hostfwd rule '%.*s' forwards %s host "
						   "port %u a second time",
						   (int)opt.n, opt.p, f->udp ? "udp" : "tcp",
						   f->host_port);
					return -1;
				}
			}
			o->nhostfwd++;
		} else if (net_span_is(key, "mac")) {
			if (have_mac) {
				hv_err_set(err, "--net: mac is given twice");
				return -1;
			}
			if (!net_parse_mac(opt, o->mac)) {
				hv_err_set(err,
					   "--net: mac '%.*s' is not a unicast MAC address like "
					   "52:54:00:12:34:56",
					   (int)opt.n, opt.p);
				return -1;
			}
			have_mac = true;
		} else if (net_span_is(key, "slot")) {
			if (o->has_slot) {
				hv_err_set(err, "--net: slot is given twice");
				return -1;
			}
			if (!machine_slot_parse(opt.p, opt.n, &o->slot)) {
				hv_err_set(err,
					   "--net: slot '%.*s' is not a virtio-mmio slot from 0 to "
					   "%d (slot 0 is at 0x10001000)",
					   (int)opt.n, opt.p, HV_VIRTIO_SLOTS - 1);
				return -1;
			}
			o->has_slot = true;
		} else {
			hv_err_set(err,
				   "--net: unknown option '%.*s' (expected hostfwd, mac or slot)",
				   (int)key.n, key.p);
			return -1;
		}
	}
	return 0;
}

/* ---- the stack ---- */

struct net_slirp_timer {
	struct net_slirp_timer *next;
	SlirpTimerId id;
	void *cb_opaque;
	bool armed;
	int64_t expire_ms;
};

struct net_slirp {
	Slirp *slirp;
	struct net_opts opts;
	bool used; /* a frame crossed since the stack started */
	net_rx_fn rx;
	void *rx_opaque;
	struct pollfd *fds; /* the poll set of the current wait */
	unsigned nfds, cap;
	struct net_slirp_timer *timers;
	unsigned nguest_log;
};

static int64_t net_slirp_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Calls into the stack that may write to a host socket run inside these. */
static void net_sigpipe_block(sigset_t *old)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &set, old);
}

static void net_sigpipe_restore(const sigset_t *old)
{
	sigset_t pending, set;
	struct timespec zero = { 0, 0 };

	/* A SIGPIPE pending now was raised by the stack's own send(): the
	 * caller had it unblocked, so none could be pending before. */
	if (!sigismember(old, SIGPIPE) && sigpending(&pending) == 0 &&
	    sigismember(&pending, SIGPIPE)) {
		sigemptyset(&set);
		sigaddset(&set, SIGPIPE);
		while (sigtimedwait(&set, NULL, &zero) < 0 && errno == EINTR)
			;
	}
	pthread_sigmask(SIG_SETMASK, old, NULL);
}

static ssize_t net_slirp_send_packet(const void *buf, size_t len, void *opaque)
{
	struct net_slirp *s = opaque;

	s->used = true;
	s->rx(s->rx_opaque, buf, len);
	return (ssize_t)len;
}

static void net_slirp_guest_error(const char *msg, void *opaque)
{
	struct net_slirp *s = opaque;

	if (s->nguest_log > NET_SLIRP_GUEST_LOG_LIMIT)
		return;
	if (s->nguest_log++ == NET_SLIRP_GUEST_LOG_LIMIT)
		fprintf(stderr, "retrovisor: net: further guest errors are not shown\n");
	else
		fprintf(stderr, "retrovisor: net: guest error: %s\n", msg);
}

static int64_t net_slirp_clock_get_ns(void *opaque)
{
	(void)opaque;
	return net_slirp_now_ns();
}

static void *net_slirp_timer_new_opaque(SlirpTimerId id, void *cb_opaque, void *opaque)
{
	struct net_slirp *s = opaque;
	struct net_slirp_timer *t = calloc(1, sizeof(*t));

	/* libslirp has no failure path for this callback; a NULL timer is
	 * one it checks for nowhere, so running out here aborts as glib's
	 * allocator (which libslirp itself uses) would. */
	if (!t) {
		fprintf(stderr, "retrovisor: net: out of host memory for a timer\n");
		abort();
	}
	t->id = id;
	t->cb_opaque = cb_opaque;
	t->next = s->timers;
	s->timers = t;
	return t;
}

static void net_slirp_timer_free(void *timer, void *opaque)
{
	struct net_slirp *s = opaque;

	for (struct net_slirp_timer **pp = &s->timers; *pp; pp = &(*pp)->next) {
		if (*pp == timer) {
			*pp = (*pp)->next;
			free(timer);
			return;
		}
	}
}

static void net_slirp_timer_mod(void *timer, int64_t expire_ms, void *opaque)
{
	struct net_slirp_timer *t = timer;

	(void)opaque;
	t->armed = true;
	t->expire_ms = expire_ms;
}

/* The poll set is rebuilt on every wait from slirp_pollfds_fill. */
static void net_slirp_register_poll_fd(int fd, void *opaque)
{
	(void)fd;
	(void)opaque;
}

static void net_slirp_unregister_poll_fd(int fd, void *opaque)
{
	(void)fd;
	(void)opaque;
}

/* "More may be sent now": the next poll, at most one round away, sees it. */
static void net_slirp_notify(void *opaque)
{
	(void)opaque;
}

static const SlirpCb net_slirp_cb = {
	.send_packet = net_slirp_send_packet,
	.guest_error = net_slirp_guest_error,
	.clock_get_ns = net_slirp_clock_get_ns,
	.timer_free = net_slirp_timer_free,
	.timer_mod = net_slirp_timer_mod,
	.register_poll_fd = net_slirp_register_poll_fd,
	.unregister_poll_fd = net_slirp_unregister_poll_fd,
	.notify = net_slirp_notify,
	.timer_new_opaque = net_slirp_timer_new_opaque,
};

static struct in_addr net_in_addr(uint32_t host_order)
{
	struct in_addr a = { .s_addr = htonl(host_order) };

	return a;
}

static void net_format_ipv4(uint32_t a, char buf[16])
{
	snprintf(buf, 16, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
}

/* Create s->slirp for s->opts and open its forwards. */
static int net_slirp_start(struct net_slirp *s, struct hv_err *err)
{
	SlirpConfig cfg;

	memset(&cfg, 0, sizeof(cfg));
	cfg.version = 4;
	cfg.restricted = 0;
	cfg.in_enabled = true;
	cfg.vnetwork = net_in_addr(NET_SLIRP_NETWORK);
	cfg.vnetmask = net_in_addr(NET_SLIRP_NETMASK);
	cfg.vhost = net_in_addr(NET_SLIRP_HOST);
	cfg.in6_enabled = false;
	cfg.vdhcp_start = net_in_addr(NET_SLIRP_GUEST);
	cfg.vnameserver = net_in_addr(NET_SLIRP_DNS);
	cfg.disable_host_loopback = false;
	cfg.enable_emu = false;
	s->slirp = slirp_new(&cfg, &net_slirp_cb, s);
	if (!s->slirp) {
		hv_err_set(err, "libslirp %s refused the user-mode network configuration",
			   slirp_version_string());
		return -1;
	}
	for (unsigned i = 0; i < s->opts.nhostfwd; i++) {
		const struct net_hostfwd *f = &s->opts.hostfwd[i];
		char ha[16];

		errno = 0;
		if (slirp_add_hostfwd(s->slirp, f->udp, net_in_addr(f->host_addr), f->host_port,
				      net_in_addr(f->guest_addr), f->guest_port) != 0) {
			int e = errno;

			net_format_ipv4(f->host_addr, ha);
			hv_err_set(err, "cannot forward %s host port %s:%u to the guest: %s",
				   f->udp ? "udp" : "tcp", ha, f->host_port,
				   e ? strerror(e) : "libslirp refused the rule");
			return -1;
		}
	}
	return 0;
}

/* Free s->slirp, its timers and its host sockets. */
static void net_slirp_stop(struct net_slirp *s)
{
	if (s->slirp)
		slirp_cleanup(s->slirp);
	s->slirp = NULL;
	/* slirp_cleanup frees its timers through timer_free; anything left
	 * is ours to free. */
	while (s->timers) {
		struct net_slirp_timer *t = s->timers;

		s->timers = t->next;
		free(t);
	}
}

struct net_slirp *net_slirp_new(const struct net_opts *o, net_rx_fn rx, void *rx_opaque,
				struct hv_err *err)
{
	struct net_slirp *s;

	if (o->mode != NET_USER) {
		hv_err_set(err, "the user-mode network was asked for without --net user");
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		hv_err_set(err, "out of host memory for the user-mode network");
		return NULL;
	}
	s->opts = *o;
	s->rx = rx;
	s->rx_opaque = rx_opaque;
	if (net_slirp_start(s, err) != 0) {
		net_slirp_destroy(s);
		return NULL;
	}
	return s;
}

void net_slirp_destroy(struct net_slirp *s)
{
	if (!s)
		return;
	net_slirp_stop(s);
	free(s->fds);
	free(s);
}

int net_slirp_reset(struct net_slirp *s, struct hv_err *err)
{
	if (!s->used)
		return 0;
	net_slirp_stop(s);
	s->used = false;
	return net_slirp_start(s, err);
}

void net_slirp_input(struct net_slirp *s, const void *frame, size_t len)
{
	sigset_t old;

	if (len > NET_SLIRP_MAX_INPUT)
		return;
	s->used = true;
	net_sigpipe_block(&old);
	slirp_input(s->slirp, frame, (int)len);
	net_sigpipe_restore(&old);
}

/* libslirp's poll bits against poll(2)'s: what to ask for in
 * pollfd.events, and what in pollfd.revents counts as the bit. */
static const struct {
	int slirp;
	short events, revents;
} net_slirp_poll_bits[] = {
	{ SLIRP_POLL_IN, POLLIN, POLLIN },    { SLIRP_POLL_OUT, POLLOUT, POLLOUT },
	{ SLIRP_POLL_PRI, POLLPRI, POLLPRI }, { SLIRP_POLL_ERR, POLLERR, POLLERR | POLLNVAL },
	{ SLIRP_POLL_HUP, POLLHUP, POLLHUP },
};

static int net_slirp_add_poll(int fd, int events, void *opaque)
{
	struct net_slirp *s = opaque;
	struct pollfd *p;
	short ev = 0;

	if (s->nfds == s->cap) {
		unsigned cap = s->cap ? 2 * s->cap : 16;
		struct pollfd *fds = realloc(s->fds, cap * sizeof(*fds));

		/* Not polled this time (libslirp treats -1 as "no index"). */
		if (!fds)
			return -1;
		s->fds = fds;
		s->cap = cap;
	}
	for (size_t i = 0; i < HV_ARRAY_LEN(net_slirp_poll_bits); i++) {
		if (events & net_slirp_poll_bits[i].slirp)
			ev |= net_slirp_poll_bits[i].events;
	}
	p = &s->fds[s->nfds];
	p->fd = fd;
	p->events = ev;
	p->revents = 0;
	return (int)s->nfds++;
}

static int net_slirp_get_revents(int idx, void *opaque)
{
	struct net_slirp *s = opaque;
	short rev;
	int r = 0;

	if (idx < 0 || (unsigned)idx >= s->nfds)
		return 0;
	rev = s->fds[idx].revents;
	for (size_t i = 0; i < HV_ARRAY_LEN(net_slirp_poll_bits); i++) {
		if (rev & net_slirp_poll_bits[i].revents)
			r |= net_slirp_poll_bits[i].slirp;
	}
	return r;
}

/* Milliseconds until the first armed timer (0 if due), or UINT32_MAX. */
static uint32_t net_slirp_timer_wait(const struct net_slirp *s, int64_t now_ms)
{
	int64_t best = -1;

	for (const struct net_slirp_timer *t = s->timers; t; t = t->next) {
		int64_t d;

		if (!t->armed)
			continue;
		d = t->expire_ms > now_ms ? t->expire_ms - now_ms : 0;
		if (best < 0 || d < best)
			best = d;
	}
	if (best < 0)
		return UINT32_MAX;
	return best >= (int64_t)UINT32_MAX ? UINT32_MAX - 1 : (uint32_t)best;
}

static void net_slirp_run_timers(struct net_slirp *s)
{
	int64_t now_ms = net_slirp_now_ns() / 1000000;

	for (unsigned n = 0; n < NET_SLIRP_TIMER_BURST; n++) {
		struct net_slirp_timer *due = NULL;
		sigset_t old;

		for (struct net_slirp_timer *t = s->timers; t; t = t->next) {
			if (t->armed && t->expire_ms <= now_ms) {
				due = t;
				break;
			}
		}
		if (!due)
			return;
		/* Disarmed first: the handler may re-arm or free it. */
		due->armed = false;
		net_sigpipe_block(&old);
		slirp_handle_timer(s->slirp, due->id, due->cb_opaque);
		net_sigpipe_restore(&old);
	}
}

int net_slirp_wait(struct net_slirp *s, int extra_fd, int timeout_ms, struct hv_err *err)
{
	uint32_t timeout = timeout_ms < 0 ? UINT32_MAX : (uint32_t)timeout_ms;
	uint32_t twait;
	unsigned own = extra_fd >= 0 ? 1 : 0;
	int r, ptimeout, ret = 0, saved = 0;
	bool quiet;
	sigset_t old;

	s->nfds = 0;
	if (own && net_slirp_add_poll(extra_fd, SLIRP_POLL_IN, s) < 0) {
		hv_err_set(err, "out of host memory for the network poll set");
		return -1;
	}
	slirp_pollfds_fill(s->slirp, &timeout, net_slirp_add_poll, s);
	twait = net_slirp_timer_wait(s, net_slirp_now_ns() / 1000000);
	quiet = s->nfds == own && twait == UINT32_MAX;
	if (twait < timeout)
		timeout = twait;
	ptimeout = timeout == UINT32_MAX ? -1 : timeout > INT_MAX ? INT_MAX : (int)timeout;
	/* Without sockets the stack's periodic service has nothing to act
	 * on; only extra_fd can end the wait. */
	if (quiet && timeout_ms < 0)
		ptimeout = own ? -1 : 0;
	if (s->nfds == 0 && ptimeout == 0) {
		r = 0;
	} else {
		r = poll(s->fds, s->nfds, ptimeout);
		saved = errno;
	}
	if (r < 0 && saved != EINTR) {
		hv_err_set(err, "waiting for the host network failed: %s", strerror(saved));
		ret = -1;
	}
	net_sigpipe_block(&old);
	slirp_pollfds_poll(s->slirp, r < 0, net_slirp_get_revents, s);
	net_sigpipe_restore(&old);
	net_slirp_run_timers(s);
	if (ret < 0)
		return ret;
	if (r > 0 && own && (s->fds[0].revents & (POLLIN | POLLHUP | POLLERR | POLLNVAL)))
		ret |= NET_SLIRP_WAIT_FD;
	if (quiet)
		ret |= NET_SLIRP_WAIT_QUIET;
	return ret;
}

void net_slirp_poll(struct net_slirp *s)
{
	net_slirp_wait(s, -1, 0, NULL);
}
