// SPDX-License-Identifier: MIT
/*
 * virtio-net device (interface, features and the receive policy in
 * virtio_net.h; virtio 1.2 section 5.1).
 *
 * The receive FIFO is a ring of VIRTIO_NET_FIFO_FRAMES slots of
 * VIRTIO_NET_MAX_FRAME bytes, so its host memory is fixed whatever the
 * backend sends. Invariant: fifo_len <= VIRTIO_NET_FIFO_FRAMES and every
 * queued frame is from VIRTIO_NET_ETH_HLEN to VIRTIO_NET_MAX_FRAME bytes.
 *
 * The receive queue is served only from virtio_net_poll, never from the
 * guest's notification of it: a new receive buffer is used at the next
 * round boundary, so where a frame lands depends on the schedule and the
 * recorded delivery round, not on which guest store came first. The
 * transport lets a queue pop at most QueueSize chains per guest
 * notification, and delivery here spends that allowance: buffers become
 * usable when the driver notifies the receive queue after adding them,
 * which it must do since the device never suppresses notifications
 * (VIRTQ_USED_F_NO_NOTIFY is never set; 2.7, "Available Buffer
 * Notification Suppression"). So one poll moves at most QueueSize frames,
 * and a guest cannot make it loop.
 *
 * The header (5.1.6) is read and written as bytes at offsets into the
 * chain, so the driver may split it across descriptors in any way
 * (2.7.4.3, no layout may be assumed). It is VIRTIO_NET_HDR_LEN bytes, or
 * VIRTIO_NET_LEGACY_HDR_LEN for a legacy driver (virtio_dev_legacy).
 */
#include "hv/dev/virtio/virtio_net.h"

#include "hv/cpu/hart.h"
#include "hv/mem/mem.h"

#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "base/le.h"
#include "hv/devstate.h"
#include "hv/dev/backend/net_slirp.h"
#include "hv/dev/virtio/virtio.h"

/* struct virtio_net_hdr (5.1.6) field offsets. */
enum {
	VIRTIO_NET_HDR_FLAGS = 0,
	VIRTIO_NET_HDR_GSO_TYPE = 1,
	VIRTIO_NET_HDR_NUM_BUFFERS = 10,
};

static const uint8_t virtio_net_default_mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

struct virtio_net {
	struct virtio_dev *vd;
	struct net_backend be;
	bool have_be;
	uint8_t config[VIRTIO_NET_CFG_LEN];
	struct virtio_net_stats stats;
	uint64_t fifo_in; /* frames ever queued */

	unsigned fifo_head, fifo_len;
	uint16_t fifo_size[VIRTIO_NET_FIFO_FRAMES];
	uint8_t fifo[VIRTIO_NET_FIFO_FRAMES][VIRTIO_NET_MAX_FRAME];

	uint8_t tx[VIRTIO_NET_HDR_LEN + VIRTIO_NET_MAX_FRAME];
};

/* The header's length for the driver that set the device up. */
static unsigned virtio_net_hdr_len(const struct virtio_dev *vd)
{
	return virtio_dev_legacy(vd) ? VIRTIO_NET_LEGACY_HDR_LEN : VIRTIO_NET_HDR_LEN;
}

/* ---- transmit ---- */

static void virtio_net_tx_one(struct virtio_net *n, struct virtio_dev *vd,
			      const struct virtq_chain *c)
{
	uint64_t len = c->read_len;
	unsigned hlen = virtio_net_hdr_len(vd);
	uint64_t flen;

	if (len < hlen) {
		virtio_dev_log(vd,
			       "transmit chain %u has %llu readable bytes, less than the "
			       "%u-byte header; dropped",
			       c->head, (unsigned long long)len, hlen);
		n->stats.tx_dropped++;
		return;
	}
	flen = len - hlen;
	if (flen < VIRTIO_NET_ETH_HLEN || flen > VIRTIO_NET_MAX_FRAME) {
		virtio_dev_log(vd,
			       "transmit chain %u carries a %llu-byte frame, outside %u..%u; "
			       "dropped",
			       c->head, (unsigned long long)flen, VIRTIO_NET_ETH_HLEN,
			       VIRTIO_NET_MAX_FRAME);
		n->stats.tx_dropped++;
		return;
	}
	virtq_chain_read(vd, c, 0, n->tx, (size_t)len);
	/* 5.1.6.2.1: without CSUM the driver MUST set flags to zero, and
	 * without HOST_TSO/UFO/USO gso_type stays NONE; such a frame would
	 * leave with a checksum or segmentation we never compute. */
	if (n->tx[VIRTIO_NET_HDR_FLAGS] != 0 || n->tx[VIRTIO_NET_HDR_GSO_TYPE] != 0) {
		virtio_dev_log(vd,
			       "transmit chain %u asks for offloads (flags 0x%x, gso_type "
			       "0x%x) that were not negotiated; dropped",
			       c->head, n->tx[VIRTIO_NET_HDR_FLAGS],
			       n->tx[VIRTIO_NET_HDR_GSO_TYPE]);
		n->stats.tx_dropped++;
		return;
	}
	if (!n->have_be) {
		n->stats.tx_dropped++;
		return;
	}
	n->stats.tx_frames++;
	n->be.send(n->be.opaque, n->tx + hlen, (size_t)flen);
}

static void virtio_net_notify(struct virtio_dev *vd, unsigned q)
{
	struct virtio_net *n = virtio_dev_priv(vd);
	struct virtq_chain *c;

	/* Receive buffers are used at the next virtio_net_poll (file
	 * comment). */
	if (q != VIRTIO_NET_TXQ)
		return;
	while ((c = virtq_pop(vd, q))) {
		virtio_net_tx_one(n, vd, c);
		/* 5.1.6.2: nothing is written into transmit buffers. */
		virtq_push(vd, q, c, 0);
	}
}

/* ---- receive ---- */

static void virtio_net_fifo_drop_all(struct virtio_net *n)
{
	n->stats.rx_dropped_down += n->fifo_len;
	n->fifo_head = 0;
	n->fifo_len = 0;
}

static void virtio_net_reset(struct virtio_dev *vd)
{
	virtio_net_fifo_drop_all(virtio_dev_priv(vd));
}

static bool virtio_net_running(const struct virtio_net *n)
{
	uint8_t st;

	/* Not on the bus yet: nobody can receive. */
	if (!n->vd)
		return false;
	st = virtio_dev_status(n->vd);
	return (st & VIRTIO_STATUS_DRIVER_OK) && !(st & VIRTIO_STATUS_NEEDS_RESET);
}

void virtio_net_input(struct virtio_net *n, const void *frame, size_t len)
{
	unsigned tail;

	/* A frame from the host is an input (ARCHITECTURE.md section 1); a
	 * replay offers the same frames at the same points, so the drops
	 * below happen alike. */
	machine_input_note(virtio_dev_machine(n->vd), HV_IN_NET, frame, len);

	if (len < VIRTIO_NET_ETH_HLEN || len > VIRTIO_NET_MAX_FRAME) {
		n->stats.rx_dropped_size++;
		return;
	}
	if (!virtio_net_running(n)) {
		n->stats.rx_dropped_down++;
		return;
	}
	if (n->fifo_len == VIRTIO_NET_FIFO_FRAMES) {
		n->stats.rx_dropped_full++;
		return;
	}
	tail = (n->fifo_head + n->fifo_len) % VIRTIO_NET_FIFO_FRAMES;
	memcpy(n->fifo[tail], frame, len);
	n->fifo_size[tail] = (uint16_t)len;
	n->fifo_len++;
	n->fifo_in++;
}

/* Move queued frames into receive buffers while both last; returns the
 * frames delivered. */
static unsigned virtio_net_deliver(struct virtio_net *n)
{
	struct virtio_dev *vd = n->vd;
	uint8_t hdr[VIRTIO_NET_HDR_LEN];
	unsigned hlen = virtio_net_hdr_len(vd);
	bool pushed = false;
	unsigned delivered = 0;

	if (!n->fifo_len)
		return 0;
	if (!virtio_net_running(n)) {
		virtio_net_fifo_drop_all(n);
		return 0;
	}
	memset(hdr, 0, sizeof(hdr));
	/* 5.1.6.4.1: without MRG_RXBUF, num_buffers is 1 (and not written
	 * for a legacy driver, whose header ends before it). */
	le_put16(hdr + VIRTIO_NET_HDR_NUM_BUFFERS, 1);
	while (n->fifo_len) {
		struct virtq_chain *c = virtq_pop(vd, VIRTIO_NET_RXQ);
		const uint8_t *frame;
		size_t len;

		if (!c)
			break;
		frame = n->fifo[n->fifo_head];
		len = n->fifo_size[n->fifo_head];
		n->fifo_head = (n->fifo_head + 1) % VIRTIO_NET_FIFO_FRAMES;
		n->fifo_len--;
		if (c->nread) {
			virtio_dev_fail(vd, "receive buffer %u has device-readable descriptors",
					c->head);
			virtio_net_fifo_drop_all(n);
			n->stats.rx_dropped_down++;
			break;
		}
		if (c->write_len < hlen + len) {
			virtio_dev_log(vd,
				       "receive buffer %u holds %llu bytes, too few for a "
				       "%zu-byte frame and its header; frame dropped",
				       c->head, (unsigned long long)c->write_len, len);
			n->stats.rx_dropped_size++;
			virtq_push(vd, VIRTIO_NET_RXQ, c, 0);
			pushed = true;
			continue;
		}
		virtq_chain_write(vd, c, 0, hdr, hlen);
		virtq_chain_write(vd, c, hlen, frame, len);
		virtq_push(vd, VIRTIO_NET_RXQ, c, (uint32_t)(hlen + len));
		n->stats.rx_frames++;
		delivered++;
		pushed = true;
	}
	if (pushed)
		virtq_flush(vd, VIRTIO_NET_RXQ);
	return delivered;
}

unsigned virtio_net_poll(struct virtio_net *n)
{
	if (n->have_be && n->be.poll)
		n->be.poll(n->be.opaque);
	return virtio_net_deliver(n);
}

unsigned virtio_net_deliver_queued(struct virtio_net *n)
{
	return virtio_net_deliver(n);
}

int virtio_net_wait(struct virtio_net *n, int extra_fd, int timeout_ms)
{
	uint64_t before = n->fifo_in;
	int r, ret = 0;

	if (n->have_be && n->be.wait) {
		r = n->be.wait(n->be.opaque, extra_fd, timeout_ms);
	} else {
		/* Nothing behind the link that could ever send. */
		struct pollfd p = { .fd = extra_fd, .events = POLLIN };

		r = poll(&p, extra_fd >= 0, extra_fd >= 0 ? timeout_ms : 0);
		r = r < 0 ? -1 : (r > 0 ? NET_BACKEND_WAIT_FD : 0) | NET_BACKEND_WAIT_QUIET;
	}
	if (r < 0)
		return -1;
	if (r & NET_BACKEND_WAIT_FD)
		ret |= VIRTIO_NET_WAIT_FD;
	if (r & NET_BACKEND_WAIT_QUIET)
		ret |= VIRTIO_NET_WAIT_QUIET;
	if (n->fifo_in != before)
		ret |= VIRTIO_NET_WAIT_FRAMES;
	return ret;
}

/* ---- snapshots ---- */

/*
 * The device-type part of the transport's snapshot record, version 1:
 * u32 version; u64 statistics in struct virtio_net_stats order and the
 * count of frames ever queued; u32 frames in the receive FIFO, then each
 * frame, oldest first, as u16 length and its bytes. The backend is host
 * state and stays as it is; the MAC is in the config space, which the
 * transport checks.
 */
static const struct devstate_field virtio_net_stats_fields[] = {
	DEVSTATE_FIELD(struct virtio_net_stats, tx_frames),
	DEVSTATE_FIELD(struct virtio_net_stats, tx_dropped),
	DEVSTATE_FIELD(struct virtio_net_stats, rx_frames),
	DEVSTATE_FIELD(struct virtio_net_stats, rx_dropped_full),
	DEVSTATE_FIELD(struct virtio_net_stats, rx_dropped_size),
	DEVSTATE_FIELD(struct virtio_net_stats, rx_dropped_down),
};

static void virtio_net_save(void *priv, struct devstate_w *w)
{
	const struct virtio_net *n = priv;

	devstate_put_u32(w, DEVSTATE_VERSION);
	devstate_put_fields(w, &n->stats, virtio_net_stats_fields,
			    HV_ARRAY_LEN(virtio_net_stats_fields));
	devstate_put_u64(w, n->fifo_in);
	devstate_put_u32(w, n->fifo_len);
	for (unsigned i = 0; i < n->fifo_len; i++) {
		unsigned at = (n->fifo_head + i) % VIRTIO_NET_FIFO_FRAMES;

		devstate_put_u16(w, n->fifo_size[at]);
		devstate_put_bytes(w, n->fifo[at], n->fifo_size[at]);
	}
}

/* Read the record into n, or with n NULL only check it. */
static int virtio_net_load(struct virtio_net *n, struct devstate_r *r)
{
	struct virtio_net_stats st;
	uint64_t fifo_in;
	uint32_t count;

	if (devstate_get_version(r, "virtio-net") != 0)
		return -1;
	devstate_get_fields(r, &st, virtio_net_stats_fields, HV_ARRAY_LEN(virtio_net_stats_fields));
	fifo_in = devstate_get_u64(r);
	count = devstate_get_u32(r);
	if (r->error)
		return -1;
	if (count > VIRTIO_NET_FIFO_FRAMES)
		return devstate_r_fail(r,
				       "virtio-net receive FIFO holds %u frames, more than "
				       "its %u",
				       count, VIRTIO_NET_FIFO_FRAMES);
	if (n) {
		n->stats = st;
		n->fifo_in = fifo_in;
		n->fifo_head = 0;
		n->fifo_len = count;
	}
	for (unsigned i = 0; i < count; i++) {
		uint16_t len = devstate_get_u16(r);

		if (r->error)
			return -1;
		if (len < VIRTIO_NET_ETH_HLEN || len > VIRTIO_NET_MAX_FRAME)
			return devstate_r_fail(r,
					       "virtio-net queued frame %u is %u bytes, outside "
					       "%u..%u",
					       i, len, VIRTIO_NET_ETH_HLEN, VIRTIO_NET_MAX_FRAME);
		if (n) {
			n->fifo_size[i] = len;
			devstate_get_bytes(r, n->fifo[i], len);
		} else {
			struct devstate_r frame;

			devstate_r_sub(r, len, &frame);
		}
	}
	return devstate_r_finish(r);
}

static int virtio_net_restore(void *priv, struct devstate_r *r)
{
	struct devstate_r check = *r;

	/* Two passes over the input: the FIFO is too big to stage, and a
	 * bad record must leave the device as it was. */
	if (virtio_net_load(NULL, &check)) {
		*r = check;
		return -1;
	}
	return virtio_net_load(priv, r);
}

static const struct virtio_state_ops virtio_net_state_ops = {
	.save = virtio_net_save,
	.restore = virtio_net_restore,
};

/* ---- life cycle ---- */

static void virtio_net_free(void *priv)
{
	struct virtio_net *n = priv;

	if (n->have_be && n->be.destroy)
		n->be.destroy(n->be.opaque);
	free(n);
}

static const struct virtio_ops virtio_net_ops = {
	.name = "virtio-net",
	.device_id = VIRTIO_ID_NET,
	.nqueues = 2,
	.queue_max = VIRTIO_NET_QUEUE_SIZE,
	.features = 1ull << VIRTIO_NET_F_MAC | 1ull << VIRTIO_NET_F_STATUS |
		    1ull << VIRTIO_NET_F_MTU,
	.notify = virtio_net_notify,
	.reset = virtio_net_reset,
	.destroy = virtio_net_free,
};

/* The device state with its config space, not yet on the bus. */
static struct virtio_net *virtio_net_alloc(const uint8_t mac[6], struct hv_err *err)
{
	struct virtio_net *n = calloc(1, sizeof(*n));

	if (!n) {
		hv_err_set(err, "out of host memory for virtio-net");
		return NULL;
	}
	memcpy(n->config + VIRTIO_NET_CFG_MAC, mac ? mac : virtio_net_default_mac, 6);
	le_put16(n->config + VIRTIO_NET_CFG_STATUS, VIRTIO_NET_S_LINK_UP);
	/* Only meaningful with MQ, which we do not offer; 1 is the truth. */
	le_put16(n->config + VIRTIO_NET_CFG_MAX_PAIRS, 1);
	le_put16(n->config + VIRTIO_NET_CFG_MTU, VIRTIO_NET_MTU);
	return n;
}

/* Put n on the bus; on failure n (and its backend) is freed. The last
 * step of creation, because a device on the bus can no longer be freed
 * while the machine may run. */
static struct virtio_net *virtio_net_plug(struct virtio_net *n, struct machine *m, unsigned slot,
					  struct hv_err *err)
{
	n->vd = virtio_dev_attach(m, slot, &virtio_net_ops, n, n->config, sizeof(n->config), err);
	if (!n->vd) {
		virtio_net_free(n);
		return NULL;
	}
	virtio_dev_set_state_ops(n->vd, &virtio_net_state_ops);
	return n;
}

struct virtio_net *virtio_net_create(struct machine *m, unsigned slot, const uint8_t mac[6],
				     struct hv_err *err)
{
	struct virtio_net *n = virtio_net_alloc(mac, err);

	return n ? virtio_net_plug(n, m, slot, err) : NULL;
}

void virtio_net_set_backend(struct virtio_net *n, const struct net_backend *be)
{
	if (n->have_be && n->be.destroy)
		n->be.destroy(n->be.opaque);
	n->be = *be;
	n->have_be = be->send != NULL;
}

static void virtio_net_slirp_rx(void *opaque, const void *frame, size_t len)
{
	virtio_net_input(opaque, frame, len);
}

static void virtio_net_slirp_send(void *opaque, const void *frame, size_t len)
{
	net_slirp_input(opaque, frame, len);
}

static void virtio_net_slirp_poll(void *opaque)
{
	net_slirp_poll(opaque);
}

static int virtio_net_slirp_wait(void *opaque, int extra_fd, int timeout_ms)
{
	int r = net_slirp_wait(opaque, extra_fd, timeout_ms, NULL);

	if (r < 0)
		return -1;
	return (r & NET_SLIRP_WAIT_FD ? NET_BACKEND_WAIT_FD : 0) |
	       (r & NET_SLIRP_WAIT_QUIET ? NET_BACKEND_WAIT_QUIET : 0);
}

static int virtio_net_slirp_reset(void *opaque, struct hv_err *err)
{
	return net_slirp_reset(opaque, err);
}

static void virtio_net_slirp_destroy(void *opaque)
{
	net_slirp_destroy(opaque);
}

struct virtio_net *virtio_net_attach(struct machine *m, unsigned slot, const struct net_opts *o,
				     struct hv_err *err)
{
	struct virtio_net *n;
	struct net_slirp *s;
	struct net_backend be;

	n = virtio_net_alloc(o->mac, err);
	if (!n)
		return NULL;
	s = net_slirp_new(o, virtio_net_slirp_rx, n, err);
	if (!s) {
		virtio_net_free(n);
		return NULL;
	}
	memset(&be, 0, sizeof(be));
	be.opaque = s;
	be.send = virtio_net_slirp_send;
	be.poll = virtio_net_slirp_poll;
	be.wait = virtio_net_slirp_wait;
	be.reset = virtio_net_slirp_reset;
	be.destroy = virtio_net_slirp_destroy;
	virtio_net_set_backend(n, &be);
	return virtio_net_plug(n, m, slot, err);
}

void virtio_net_destroy(struct virtio_net *n)
{
	if (n)
		virtio_dev_destroy(n->vd);
}

int virtio_net_reset_backend(struct virtio_net *n, struct hv_err *err)
{
	return n->have_be && n->be.reset ? n->be.reset(n->be.opaque, err) : 0;
}

unsigned virtio_net_pending(const struct virtio_net *n)
{
	return n->fifo_len;
}

struct virtio_dev *virtio_net_dev(struct virtio_net *n)
{
	return n->vd;
}

const struct virtio_net_stats *virtio_net_get_stats(const struct virtio_net *n)
{
	return &n->stats;
}
