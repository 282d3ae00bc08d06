/* SPDX-License-Identifier: MIT */
/*
 * virtio-net (virtio 1.2 section 5.1, device id 1) over the virtio-mmio
 * transport of virtio.h, with a pluggable backend: libslirp user-mode
 * networking (net_slirp.h) in the product, a fake in the unit tests.
 *
 * Offered features: MAC (config mac, 52:54:00:12:34:56 unless configured),
 * STATUS (link always up), MTU (1500); the transport adds VERSION_1 and
 * INDIRECT_DESC. No checksum or segmentation offloads, no mergeable
 * receive buffers, no control queue: every frame is a whole Ethernet
 * frame of at most VIRTIO_NET_MAX_FRAME bytes, preceded in the rings by
 * the 12-byte struct virtio_net_hdr (5.1.6; with VERSION_1 it always has
 * num_buffers). Queues: 0 receiveq1, 1 transmitq1.
 *
 * Transmit: the guest's notification pops each chain, strips the header
 * and hands the frame to the backend at once.
 *
 * Receive and determinism (ARCHITECTURE.md section 1): a frame from the
 * backend is an input. virtio_net_input only puts it in a bounded
 * device-side FIFO; frames reach guest memory in virtio_net_poll, which
 * the machine calls at round boundaries, so the guest sees them at points
 * that depend on the schedule alone, and a recorder can stamp each
 * delivery there (the frame and the round it was delivered in are the
 * whole input). Each frame fills one receive buffer: header zeroed except
 * num_buffers = 1 (5.1.6.4.1), then the frame. A frame waits in the FIFO
 * while the guest has no buffer; frames beyond VIRTIO_NET_FIFO_FRAMES are
 * dropped, as a full NIC drops them, and so are frames longer than
 * VIRTIO_NET_MAX_FRAME (5.1.4.1: never more than mtu plus the Ethernet
 * header) and frames arriving while the driver is not running. A buffer
 * too small for the frame at the head of the FIFO is returned used with
 * length 0 and that frame dropped (the driver SHOULD give at least 1526
 * bytes, 5.1.6.3.1). Every drop is counted (virtio_net_stats).
 *
 * Untrusted: every chain. Transport-level errors (loops, buffers outside
 * RAM, ...) make the device need a reset through virtio.c; a receive
 * buffer with device-readable parts does too (the driver adds only empty,
 * writable receive buffers, 5.1.6.3). A transmit chain without a whole
 * header, with offload flags that were not negotiated, or with a frame
 * longer than VIRTIO_NET_MAX_FRAME is completed unsent and logged.
 */
#ifndef HV_VIRTIO_NET_H
#define HV_VIRTIO_NET_H

#include "hv/types.h"

struct machine;
struct net_opts;
struct virtio_dev;

#define VIRTIO_ID_NET 1u

/* Feature bits (5.1.3). */
#define VIRTIO_NET_F_CSUM 0
#define VIRTIO_NET_F_GUEST_CSUM 1
#define VIRTIO_NET_F_MTU 3
#define VIRTIO_NET_F_MAC 5
#define VIRTIO_NET_F_MRG_RXBUF 15
#define VIRTIO_NET_F_STATUS 16
#define VIRTIO_NET_F_CTRL_VQ 17

#define VIRTIO_NET_S_LINK_UP 1u

/* struct virtio_net_config offsets (5.1.4). */
enum {
	VIRTIO_NET_CFG_MAC = 0,
	VIRTIO_NET_CFG_STATUS = 6,
	VIRTIO_NET_CFG_MAX_PAIRS = 8,
	VIRTIO_NET_CFG_MTU = 10,
	VIRTIO_NET_CFG_LEN = 12,
};

#define VIRTIO_NET_RXQ 0u
#define VIRTIO_NET_TXQ 1u
#define VIRTIO_NET_QUEUE_SIZE 256u
#define VIRTIO_NET_HDR_LEN 12u
/* Without VERSION_1 (and without MRG_RXBUF, which is not offered) the
 * legacy header ends before num_buffers (5.1.6, "Legacy Interface: Device
 * Operation"). */
#define VIRTIO_NET_LEGACY_HDR_LEN 10u
#define VIRTIO_NET_MTU 1500u
#define VIRTIO_NET_ETH_HLEN 14u
#define VIRTIO_NET_MAX_FRAME (VIRTIO_NET_MTU + VIRTIO_NET_ETH_HLEN)
#define VIRTIO_NET_FIFO_FRAMES 256u

/* The other end of the link. Callbacks run on the machine's thread, only
 * inside calls the device makes. */
struct net_backend {
	void *opaque;
	/* A frame from the guest (no virtio header), valid during the call.
	 * The backend may call virtio_net_input from inside. */
	void (*send)(void *opaque, const void *frame, size_t len);
	/* Optional: host I/O that is ready, without blocking; frames for the
	 * guest go to virtio_net_input. */
	void (*poll)(void *opaque);
	/* Optional: as poll, but first wait up to timeout_ms (-1: no limit)
	 * for host activity or for extra_fd (-1: none) to be readable.
	 * Returns NET_BACKEND_WAIT_* bits, or -1 on failure. */
	int (*wait)(void *opaque, int extra_fd, int timeout_ms);
	/* Optional: forget every connection, as a new backend would (see
	 * virtio_net_reset_backend). Returns 0, or -1 with err filled. */
	int (*reset)(void *opaque, struct hv_err *err);
	/* Optional: free opaque. */
	void (*destroy)(void *opaque);
};

#define NET_BACKEND_WAIT_FD 1    /* extra_fd is readable */
#define NET_BACKEND_WAIT_QUIET 2 /* nothing can come from the host */

struct virtio_net_stats {
	uint64_t tx_frames;       /* handed to the backend */
	uint64_t tx_dropped;      /* bad header or length, or no backend */
	uint64_t rx_frames;       /* written into guest buffers */
	uint64_t rx_dropped_full; /* the FIFO was full */
	uint64_t rx_dropped_size; /* too short, too long, or the buffer too small */
	uint64_t rx_dropped_down; /* the driver was not running */
};

struct virtio_net;

/* Create the device on virtio-mmio slot with the given MAC (NULL: the
 * default) and no backend (frames sent go nowhere and are counted as
 * dropped). Returns NULL with err filled on failure. */
struct virtio_net *virtio_net_create(struct machine *m, unsigned slot, const uint8_t mac[6],
				     struct hv_err *err);

/* Connect the backend; the device owns it from now on (destroy is called
 * when the device is freed) and frees a previous one. */
void virtio_net_set_backend(struct virtio_net *n, const struct net_backend *be);

/* The product path: a device on slot with o->mac, connected to libslirp
 * configured by o (o->mode must be NET_USER). */
struct virtio_net *virtio_net_attach(struct machine *m, unsigned slot, const struct net_opts *o,
				     struct hv_err *err);

/* Free the device, its backend and its transport (virtio_dev_destroy of
 * virtio_net_dev(n) does the same). Only when the machine will not run
 * again: the bus keeps pointing at the device. NULL is a no-op. */
void virtio_net_destroy(struct virtio_net *n);

/* A frame for the guest into the FIFO (called by backends). */
void virtio_net_input(struct virtio_net *n, const void *frame, size_t len);

/* At a round boundary: let the backend do its host I/O, then move queued
 * frames into the guest's receive buffers and raise the interrupt.
 * Returns the frames written into guest buffers. */
unsigned virtio_net_poll(struct virtio_net *n);
/* Only hand queued frames to the guest (no host side is asked): a replay,
 * or a debugger re-executing recorded history. */
unsigned virtio_net_deliver_queued(struct virtio_net *n);

/* When every hart waits: block up to timeout_ms (-1: no limit) for host
 * network activity or for extra_fd (-1: none) to be readable, doing the
 * backend's host I/O; frames stay queued until the next virtio_net_poll.
 * May return early with nothing to report (see net_slirp_wait). Returns
 * VIRTIO_NET_WAIT_* bits, or -1 if waiting failed. */
/* New frames were queued during this call (not merely frames still
 * waiting for receive buffers, so an idle loop cannot spin on frames the
 * guest has no room for). */
#define VIRTIO_NET_WAIT_FRAMES 1
#define VIRTIO_NET_WAIT_FD 2 /* extra_fd is readable */
/* The backend has nothing open on the host (no socket, no timer, or no
 * backend at all): only the guest can start network traffic, so waiting
 * for the network alone would be waiting forever. */
#define VIRTIO_NET_WAIT_QUIET 4
int virtio_net_wait(struct virtio_net *n, int extra_fd, int timeout_ms);

/* After the machine was put back to a snapshot in this process: the
 * backend starts over (libslirp: a new stack, forwards reopened), so that
 * the guest, which knows nothing of the connections made since the
 * snapshot, meets the same host side as a restore in a new process does
 * (docs/snapshots.md: the host side is not saved). Queued frames are the
 * device's, restored with it. Returns 0, or -1 with err filled. */
int virtio_net_reset_backend(struct virtio_net *n, struct hv_err *err);

/* Frames in the FIFO. */
unsigned virtio_net_pending(const struct virtio_net *n);
struct virtio_dev *virtio_net_dev(struct virtio_net *n);
const struct virtio_net_stats *virtio_net_get_stats(const struct virtio_net *n);

#endif
