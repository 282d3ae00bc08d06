// SPDX-License-Identifier: MIT
/*
 * The isolation guests' virtio-mmio driver (vio.h): registers of the
 * virtio-mmio transport version 2 (virtio 1.2, 4.2.2), the initialization
 * sequence of 3.1.1 and the split virtqueue of 2.7. Descriptor 0 heads
 * every chain, so one request is in flight per queue.
 */
#include "vio.h"

#define VIO_SLOT0 0x10001000ul
#define VIO_STRIDE 0x1000ul
#define VIO_SLOTS 8

enum {
	R_MAGIC = 0x000,
	R_DEVICE_ID = 0x008,
	R_DEVICE_FEATURES = 0x010,
	R_DEVICE_FEATURES_SEL = 0x014,
	R_DRIVER_FEATURES = 0x020,
	R_DRIVER_FEATURES_SEL = 0x024,
	R_QUEUE_SEL = 0x030,
	R_QUEUE_NUM_MAX = 0x034,
	R_QUEUE_NUM = 0x038,
	R_QUEUE_READY = 0x044,
	R_QUEUE_NOTIFY = 0x050,
	R_INTERRUPT_STATUS = 0x060,
	R_INTERRUPT_ACK = 0x064,
	R_STATUS = 0x070,
	R_QUEUE_DESC_LOW = 0x080,
	R_QUEUE_DESC_HIGH = 0x084,
	R_QUEUE_DRIVER_LOW = 0x090,
	R_QUEUE_DRIVER_HIGH = 0x094,
	R_QUEUE_DEVICE_LOW = 0x0a0,
	R_QUEUE_DEVICE_HIGH = 0x0a4,
	R_CONFIG = 0x100,
};

#define S_ACKNOWLEDGE 1u
#define S_DRIVER 2u
#define S_DRIVER_OK 4u
#define S_FEATURES_OK 8u

static uint32_t rd(const struct vio_dev *d, unsigned off)
{
	return *(volatile uint32_t *)(d->base + off);
}

static void wr(const struct vio_dev *d, unsigned off, uint32_t v)
{
	*(volatile uint32_t *)(d->base + off) = v;
}

static void wr64(const struct vio_dev *d, unsigned lo, uint64_t v)
{
	wr(d, lo, (uint32_t)v);
	wr(d, lo + 4, (uint32_t)(v >> 32));
}

uint64_t vio_find(uint32_t device_id)
{
	for (unsigned long i = 0; i < VIO_SLOTS; i++) {
		uint64_t base = VIO_SLOT0 + i * VIO_STRIDE;

		if (*(volatile uint32_t *)(base + R_MAGIC) == 0x74726976 &&
		    *(volatile uint32_t *)(base + R_DEVICE_ID) == device_id)
			return base;
	}
	return 0;
}

uint32_t vio_status(const struct vio_dev *d)
{
	return rd(d, R_STATUS);
}

uint8_t vio_config8(const struct vio_dev *d, unsigned off)
{
	return *(volatile uint8_t *)(d->base + R_CONFIG + off);
}

uint32_t vio_setup(struct vio_dev *d, uint32_t features, unsigned nq, const struct vio_rings *rings)
{
	wr(d, R_STATUS, 0);
	wr(d, R_STATUS, S_ACKNOWLEDGE | S_DRIVER);
	wr(d, R_DRIVER_FEATURES_SEL, 1);
	wr(d, R_DRIVER_FEATURES, 1); /* VIRTIO_F_VERSION_1 */
	wr(d, R_DRIVER_FEATURES_SEL, 0);
	wr(d, R_DEVICE_FEATURES_SEL, 0);
	wr(d, R_DRIVER_FEATURES, features & rd(d, R_DEVICE_FEATURES));
	wr(d, R_STATUS, S_ACKNOWLEDGE | S_DRIVER | S_FEATURES_OK);
	if (!(rd(d, R_STATUS) & S_FEATURES_OK))
		return rd(d, R_STATUS);
	for (unsigned qi = 0; qi < nq; qi++) {
		struct vio_queue *q = &d->q[qi];
		struct vio_rings own = { (uint64_t)q->desc, (uint64_t)&q->avail,
					 (uint64_t)&q->used };
		const struct vio_rings *r = rings && qi == 0 ? rings : &own;

		q->avail.idx = 0;
		q->avail.flags = 0;
		q->used.idx = 0;
		q->used_seen = 0;
		wr(d, R_QUEUE_SEL, qi);
		if (rd(d, R_QUEUE_NUM_MAX) < VIO_NUM)
			return rd(d, R_STATUS) | VIO_S_NEEDS_RESET;
		wr(d, R_QUEUE_NUM, VIO_NUM);
		wr64(d, R_QUEUE_DESC_LOW, r->desc);
		wr64(d, R_QUEUE_DRIVER_LOW, r->avail);
		wr64(d, R_QUEUE_DEVICE_LOW, r->used);
		wr(d, R_QUEUE_READY, 1);
	}
	wr(d, R_STATUS, S_ACKNOWLEDGE | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK);
	return rd(d, R_STATUS);
}

void vio_submit(struct vio_dev *d, unsigned qi, const struct vio_seg *segs, unsigned n)
{
	struct vio_queue *q = &d->q[qi];

	for (unsigned i = 0; i < n; i++) {
		q->desc[i].addr = segs[i].addr;
		q->desc[i].len = segs[i].len;
		q->desc[i].flags = segs[i].flags | (i + 1 < n ? VIO_DESC_F_NEXT : 0);
		q->desc[i].next = (uint16_t)(i + 1);
	}
	q->avail.ring[q->avail.idx % VIO_NUM] = 0;
	__asm__ volatile("fence" ::: "memory");
	q->avail.idx++;
	__asm__ volatile("fence" ::: "memory");
	wr(d, R_QUEUE_NOTIFY, qi);
}

int vio_wait(struct vio_dev *d, unsigned qi, unsigned long spins, uint32_t *len)
{
	struct vio_queue *q = &d->q[qi];

	for (unsigned long i = 0; i < spins; i++) {
		__asm__ volatile("fence" ::: "memory");
		if (*(volatile uint16_t *)&q->used.idx != q->used_seen) {
			*len = q->used.ring[q->used_seen % VIO_NUM].len;
			q->used_seen++;
			wr(d, R_INTERRUPT_ACK, rd(d, R_INTERRUPT_STATUS));
			return 1;
		}
		if (rd(d, R_STATUS) & VIO_S_NEEDS_RESET)
			return -1;
	}
	return 0;
}
