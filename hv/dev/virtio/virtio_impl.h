/* SPDX-License-Identifier: MIT */
/*
 * What the virtio-mmio transport's three files share and no device type
 * may see: the device and queue structures and the few helpers that cross
 * between them. virtio.c is the register file, the status and feature
 * handshake and the life cycle; virtio_state.c the transport's digest and
 * snapshot record; virtq.c the split virtqueue (chain walks, the used
 * ring). Device types (virtio_blk.c, virtio_net.c, virtio_rng.c) use only
 * virtio.h.
 */
#ifndef HV_VIRTIO_IMPL_H
#define HV_VIRTIO_IMPL_H

#include "hv/cpu/hart.h"
#include "hv/mem/mem.h"
#include "hv/dev/virtio/virtio.h"

/* Bytes per split-ring descriptor (virtio 1.2 section 2.7.5). */
#define VIRTQ_DESC_SIZE 16u

struct virtq {
	uint32_t num; /* QueueSize as written */
	bool ready;
	gpa_t desc, avail, used;
	uint16_t last_avail; /* next available ring entry to consume */
	uint16_t used_idx;   /* our copy of used->idx */
	bool pushed;         /* used entries since the last virtq_flush */
	unsigned budget;     /* chains left to pop in this notification */
};

struct virtio_dev {
	struct hv_dev dev;
	struct machine *m;
	struct hv_irq irq;
	bool irq_level;
	const struct virtio_ops *ops;
	void *priv;
	const uint8_t *config;
	size_t config_len;
	char name[48];

	uint64_t dev_features;
	uint64_t drv_features;
	uint32_t dev_features_sel;
	uint32_t drv_features_sel;
	uint32_t queue_sel;
	uint8_t status;
	uint32_t isr;
	uint32_t config_gen;
	bool broken; /* NEEDS_RESET: no queue processing until reset */
	unsigned nlog;
	bool legacy_noted; /* the legacy line was printed (host-side) */

	struct virtq q[VIRTIO_MAX_QUEUES];
	struct virtq_chain *chain;                /* scratch for virtq_pop */
	const struct virtio_state_ops *state_ops; /* device type's snapshot hooks */
	uint8_t visited[VIRTQ_INDIRECT_MAX > VIRTQ_SIZE_LIMIT ? VIRTQ_INDIRECT_MAX / 8 :
								VIRTQ_SIZE_LIMIT / 8];
};

/* Set InterruptStatus bits and assert the PLIC line. */
void virtio_raise(struct virtio_dev *vd, uint32_t bits);

/* The transport's struct hv_dev_ops digest, save and restore
 * (virtio_state.c). */
uint64_t virtio_mmio_digest(void *opaque);
void virtio_mmio_save(void *opaque, struct devstate_w *w);
int virtio_mmio_restore(void *opaque, struct devstate_r *r);

#endif
