/* SPDX-License-Identifier: MIT */
/*
 * A bridge's slirp uplink under `retrovisor up` (docs/domains.md,
 * "Uplink"): one libslirp instance (hv/dev/backend/net_slirp.h, the user
 * network of `run --net user`: 10.0.2.0/24, gateway and host 10.0.2.2,
 * DNS 10.0.2.3, DHCP from 10.0.2.15, host forwards) joined to the bridge's
 * switch as one more port.
 *
 * Determinism: the host network is an input. Slirp runs only on the main
 * thread, between epochs (uplink_step, at the top of each epoch): the
 * frames the switch delivered to the uplink at the last barrier go into
 * the stack, its host sockets and timers are polled, and every frame it
 * hands back is recorded (the caller's rec, the system log's `net`
 * record at that epoch) and sent into the port's outbox, which the next
 * barrier routes like any domain's. A replay makes no slirp: the log's
 * frames are sent into the outbox at their epochs (uplink_inject) and
 * frames delivered to the uplink are dropped, so the domains see the same
 * frames at the same barriers with no host network at all.
 *
 * Untrusted: frames from the domains (libslirp parses them; they are
 * bounded in number here, the excess dropped) and from the log (bounded
 * by the switch like a domain's).
 */
#ifndef CLI_UPLINK_H
#define CLI_UPLINK_H

#include "hv/dev/backend/net_slirp.h"
#include "hv/platform/switch.h"

#define UPLINK_QUEUE_MAX 4096 /* frames delivered to the uplink per epoch */

struct uplink;

/* A frame slirp hands to the switch, for the record. */
typedef void (*uplink_rec_fn)(void *opaque, unsigned bridge, const void *frame, size_t len);

/* The uplink of bridge number `bridge` (its place in the file) on switch
 * sw: with a slirp for o (NET_USER), or without one for a replay (o
 * NULL). NULL with err set (a host forward cannot be opened, too many
 * ports). */
struct uplink *uplink_create(struct hv_switch *sw, unsigned bridge, const struct net_opts *o,
			     struct hv_err *err);
void uplink_destroy(struct uplink *u);

/* Between two epochs: the delivered frames into slirp, slirp polled, its
 * frames recorded through rec(opaque) (NULL: not recorded) and sent. In
 * a replay it only drops the delivered frames. */
void uplink_step(struct uplink *u, uplink_rec_fn rec, void *opaque);
/* A replay: one of the log's frames into the port's outbox. */
void uplink_inject(struct uplink *u, const void *frame, size_t len);

#endif
