/* SPDX-License-Identifier: MIT */
/*
 * A small virtio-mmio driver for the isolation guests (victim.c,
 * attacker.c), written from the virtio 1.2 specification: it finds a
 * device by its DeviceID in the virt machine's slots (4.2.2), negotiates
 * VIRTIO_F_VERSION_1 (and what the caller adds), sets up split
 * virtqueues of VIO_NUM entries in the guest's own memory (2.7) or at
 * addresses the caller names instead, and submits one chain of buffers
 * at a time with descriptor 0 as its head. A caller that names buffers
 * outside its RAM expects the device to set DEVICE_NEEDS_RESET (2.1.2)
 * and use nothing; vio_wait tells that apart from a completion.
 *
 * Every wait is bounded, so a device that never answers ends the guest's
 * check instead of hanging it.
 */
#ifndef TESTS_ISOLATION_VIO_H
#define TESTS_ISOLATION_VIO_H

#include <stdbool.h>
#include <stdint.h>

#define VIO_ID_NET 1
#define VIO_ID_BLK 2
#define VIO_ID_RNG 4

#define VIO_S_NEEDS_RESET 0x40u
#define VIO_F_INDIRECT_DESC (1u << 28)

#define VIO_DESC_F_NEXT 1
#define VIO_DESC_F_WRITE 2
#define VIO_DESC_F_INDIRECT 4

#define VIO_NUM 8
#define VIO_SEGS 4

struct vio_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

struct vio_used_elem {
	uint32_t id;
	uint32_t len;
};

/* One split virtqueue, each part in its own page. */
struct vio_queue {
	struct vio_desc desc[VIO_NUM] __attribute__((aligned(4096)));
	struct {
		uint16_t flags, idx, ring[VIO_NUM];
	} avail __attribute__((aligned(4096)));
	struct {
		uint16_t flags, idx;
		struct vio_used_elem ring[VIO_NUM];
	} used __attribute__((aligned(4096)));
	uint16_t used_seen;
};

struct vio_dev {
	uint64_t base;
	struct vio_queue q[2];
};

/* Where a queue's rings are: addresses the device is told. */
struct vio_rings {
	uint64_t desc, avail, used;
};

struct vio_seg {
	uint64_t addr;
	uint32_t len;
	uint16_t flags; /* VIO_DESC_F_WRITE, VIO_DESC_F_INDIRECT; NEXT is added */
};

/* The base of the first device with this DeviceID, or 0. */
uint64_t vio_find(uint32_t device_id);
/* Reset d and bring it up with nq queues (and the low feature bits in
 * features); rings, if given, replaces queue 0's ring addresses. Returns
 * the device status afterwards. */
uint32_t vio_setup(struct vio_dev *d, uint32_t features, unsigned nq,
		   const struct vio_rings *rings);
uint32_t vio_status(const struct vio_dev *d);
/* Put the chain segs[0..n) in queue qi (descriptors 0..n-1, head 0),
 * make it available and notify. */
void vio_submit(struct vio_dev *d, unsigned qi, const struct vio_seg *segs, unsigned n);
/* Wait for queue qi's next used element: 1 (its length in *len), -1 when
 * the device needs a reset, 0 after spins polls of neither. */
int vio_wait(struct vio_dev *d, unsigned qi, unsigned long spins, uint32_t *len);
/* The device's configuration space byte at off. */
uint8_t vio_config8(const struct vio_dev *d, unsigned off);

#endif
