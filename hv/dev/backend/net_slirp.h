/* SPDX-License-Identifier: MIT */
/*
 * User-mode networking: the `--net` option and a network backend built on
 * Debian's libslirp (the TCP/IP stack QEMU's `-netdev user` uses).
 *
 * The guest sees QEMU's user network: 10.0.2.0/24, gateway and host
 * 10.0.2.2, DNS 10.0.2.3, DHCP handing out 10.0.2.15 first. A guest
 * connection to 10.0.2.2 reaches the host's 127.0.0.1 (libslirp's default
 * while disable_host_loopback is false, as in QEMU), so a guest can fetch
 * from a server the host runs on loopback. Host port forwards
 * (`hostfwd=`) let the host reach guest ports.
 *
 * Option string (QEMU's syntax for `-nic user`, a subset):
 *
 *   none
 *   user[,hostfwd=RULE]...[,mac=52:54:00:12:34:56]
 *   RULE = [tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT
 *
 * Differences from QEMU, both on the side of exposing less: an empty
 * HOSTADDR means 127.0.0.1, not every interface (write 0.0.0.0 to listen
 * on all of them), and HOSTPORT 0 is refused because nobody could learn
 * the port the host picked. An empty GUESTADDR is the first DHCP address,
 * 10.0.2.15.
 *
 * Determinism (ARCHITECTURE.md section 1): the host network is outside
 * the machine. This module only ever runs inside calls the machine makes
 * (net_slirp_input from a guest notification, net_slirp_poll and
 * net_slirp_wait at round boundaries or while idle); frames for the guest
 * are handed to the receive callback there and the virtio-net device
 * queues them as inputs. libslirp's own clock is the host's monotonic
 * clock: its TCP and router-advertisement timers pace host-side
 * protocol state, and they reach the guest only as frames, which are
 * recorded inputs like any other.
 *
 * Untrusted: the option string (argv) and every frame the guest sends
 * (libslirp parses those; we only bound their length).
 */
#ifndef HV_NET_SLIRP_H
#define HV_NET_SLIRP_H

#include "hv/types.h"

#define NET_MAX_HOSTFWD 16
#define NET_ETH_ALEN 6

/* The user network (QEMU's defaults), IPv4 addresses in host byte order. */
#define NET_SLIRP_NETWORK 0x0a000200u /* 10.0.2.0 */
#define NET_SLIRP_NETMASK 0xffffff00u /* /24 */
#define NET_SLIRP_HOST 0x0a000202u    /* 10.0.2.2, gateway and host */
#define NET_SLIRP_DNS 0x0a000203u     /* 10.0.2.3 */
#define NET_SLIRP_GUEST 0x0a00020fu   /* 10.0.2.15, first DHCP lease */
#define NET_SLIRP_LOOPBACK 0x7f000001u

enum net_mode {
	NET_NONE = 0, /* no network device */
	NET_USER,     /* virtio-net on libslirp */
	NET_LINK,     /* virtio-net on a link between domains (hv/platform/switch.h),
		       * plugged in after the machine is made */
};

/* One host port forward; addresses in host byte order. */
struct net_hostfwd {
	bool udp;
	uint32_t host_addr;
	uint16_t host_port;
	uint32_t guest_addr;
	uint16_t guest_port;
};

struct net_opts {
	enum net_mode mode;
	uint8_t mac[NET_ETH_ALEN];
	bool has_slot; /* slot=N: in virtio-mmio slot N (machine.h) */
	unsigned slot;
	unsigned nhostfwd;
	struct net_hostfwd hostfwd[NET_MAX_HOSTFWD];
};

/* No network, MAC 52:54:00:12:34:56 (QEMU's first NIC). */
void net_opts_init(struct net_opts *o);

/* Parse a --net value into o (which starts from net_opts_init). Returns 0,
 * or -1 with one sentence in err and o unspecified. */
int net_parse_opts(const char *s, struct net_opts *o, struct hv_err *err);

/* Receives each frame the stack sends toward the guest (an Ethernet frame
 * without FCS); valid only during the call. */
typedef void (*net_rx_fn)(void *opaque, const void *frame, size_t len);

struct net_slirp;

/* Start the stack for o (mode must be NET_USER) and open its host
 * forwards; frames for the guest go to rx(rx_opaque, ...). Returns NULL
 * with err filled if a forward cannot be opened (port in use, ...). */
struct net_slirp *net_slirp_new(const struct net_opts *o, net_rx_fn rx, void *rx_opaque,
				struct hv_err *err);
/* Close every host socket and free the stack. NULL is a no-op. */
void net_slirp_destroy(struct net_slirp *s);

/* Start over as a new process would: close every connection and host
 * socket of the stack and open a new one with the same options (forwards
 * included). For a machine put back to a snapshot, whose guest knows
 * nothing of the connections made since (it would reuse their ports and
 * sequence numbers) and whose own connections the host side cannot
 * follow back. Nothing is done while no frame has crossed since the
 * stack started. Returns 0, or -1 with err filled (a forward cannot be
 * opened again), after which the machine must not run on. */
int net_slirp_reset(struct net_slirp *s, struct hv_err *err);

/* A frame from the guest (Ethernet, no virtio header). Replies the stack
 * can give at once (ARP, DHCP) reach rx before this returns. */
void net_slirp_input(struct net_slirp *s, const void *frame, size_t len);

/* Host I/O that is ready now, without blocking, and expired timers. */
void net_slirp_poll(struct net_slirp *s);

/* Block until a host socket of the stack, or extra_fd (-1: none), is
 * ready, a stack timer is due, or timeout_ms passes (-1: no limit; 0:
 * just poll), then do the host I/O as net_slirp_poll. The stack shortens
 * long waits to service its own timers (libslirp asks for at most 1 s),
 * so callers loop. Returns NET_SLIRP_WAIT_* bits, or -1 if poll itself
 * failed (err filled); an interrupted wait returns 0. */
#define NET_SLIRP_WAIT_FD 1 /* extra_fd is readable (or at end of file, in error) */
/* The stack has no host socket and no timer: nothing but a guest frame
 * can make it send anything. Such a wait blocks only on extra_fd (or not
 * at all without one), whatever timeout_ms says. */
#define NET_SLIRP_WAIT_QUIET 2
int net_slirp_wait(struct net_slirp *s, int extra_fd, int timeout_ms, struct hv_err *err);

#endif
