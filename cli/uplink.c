// SPDX-License-Identifier: MIT
/*
 * A bridge's slirp uplink (uplink.h): a switch port whose device is a
 * libslirp stack. The switch delivers to it at a barrier (on whichever
 * thread runs the barrier, every domain stopped), where the frame is only
 * copied into a bounded queue; the stack itself runs in uplink_step, on
 * the main thread.
 */
#include "cli/uplink.h"

#include <stdlib.h>
#include <string.h>

#include "hv/dev/virtio/virtio_net.h"

struct uplink_frame {
	uint8_t *data;
	size_t len;
};

struct uplink {
	unsigned bridge;
	struct net_backend be; /* sends into the port's outbox */
	struct net_slirp *slirp;
	struct uplink_frame q[UPLINK_QUEUE_MAX];
	unsigned nq;
	uint64_t dropped;
	uplink_rec_fn rec; /* during uplink_step */
	void *rec_opaque;
};

/* The switch delivers a frame to the uplink's port. */
static void uplink_deliver(void *opaque, const void *frame, size_t len)
{
	struct uplink *u = opaque;
	uint8_t *copy;

	if (!u->slirp || u->nq == UPLINK_QUEUE_MAX || !(copy = malloc(len))) {
		u->dropped++;
		return;
	}
	memcpy(copy, frame, len);
	u->q[u->nq++] = (struct uplink_frame){ copy, len };
}

/* Slirp hands a frame toward the bridge. */
static void uplink_rx(void *opaque, const void *frame, size_t len)
{
	struct uplink *u = opaque;

	if (u->rec)
		u->rec(u->rec_opaque, u->bridge, frame, len);
	u->be.send(u->be.opaque, frame, len);
}

struct uplink *uplink_create(struct hv_switch *sw, unsigned bridge, const struct net_opts *o,
			     struct hv_err *err)
{
	struct uplink *u = calloc(1, sizeof(*u));

	if (!u) {
		hv_err_set(err, "out of host memory");
		return NULL;
	}
	u->bridge = bridge;
	int port = switch_add_port(sw, uplink_deliver, u, &u->be, err);
	if (port < 0) {
		free(u);
		return NULL;
	}
	if (o) {
		struct hv_err sub = { { 0 } };
		u->slirp = net_slirp_new(o, uplink_rx, u, &sub);
		if (!u->slirp) {
			hv_err_set(err, "bridge '%s''s uplink: %s", switch_name(sw), sub.msg);
			switch_unplug(sw, port);
			free(u);
			return NULL;
		}
	}
	return u;
}

void uplink_destroy(struct uplink *u)
{
	if (!u)
		return;
	for (unsigned i = 0; i < u->nq; i++)
		free(u->q[i].data);
	net_slirp_destroy(u->slirp);
	free(u);
}

void uplink_step(struct uplink *u, uplink_rec_fn rec, void *opaque)
{
	u->rec = rec;
	u->rec_opaque = opaque;
	for (unsigned i = 0; i < u->nq; i++) {
		net_slirp_input(u->slirp, u->q[i].data, u->q[i].len);
		free(u->q[i].data);
	}
	u->nq = 0;
	if (u->slirp)
		net_slirp_poll(u->slirp);
	u->rec = NULL;
}

void uplink_inject(struct uplink *u, const void *frame, size_t len)
{
	u->be.send(u->be.opaque, frame, len);
}
