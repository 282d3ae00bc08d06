/* SPDX-License-Identifier: MIT */
/*
 * Memory-mapped devices as the bus sees them.
 *
 * A device claims [base, base + size) of guest physical space and answers
 * reads and writes of 1, 2, 4 or 8 bytes at an offset inside it. Every
 * argument comes from the guest: a device must accept any offset and size
 * and give the architectural answer to nonsense (read-as-zero, ignore the
 * write), never crash or assert. The bus turns an access that hits no
 * device into an access-fault trap.
 *
 * Devices run on the machine's one thread, only when a hart touches them
 * or at deterministic points chosen by the scheduler, so they need no
 * locks and see no host time (ARCHITECTURE.md section 1).
 */
#ifndef HV_DEV_H
#define HV_DEV_H

#include "hv/types.h"

struct machine;
struct devstate_w;
struct devstate_r;

struct hv_dev_ops {
	/* Returns the value zero-extended; offsets/sizes it does not
	 * implement read as zero. */
	uint64_t (*read)(void *opaque, uint64_t off, unsigned size);
	void (*write)(void *opaque, uint64_t off, unsigned size, uint64_t val);
	/* Optional: a hash of the device's guest-visible state, for the
	 * record/replay digests (only values, never host pointers). */
	uint64_t (*digest)(void *opaque);
	/* Optional, for snapshots (devstate.h): save appends the device's
	 * guest-visible state as one record starting with a u32 version;
	 * restore reads exactly such a record, untrusted, and returns 0, or
	 * -1 on malformed input with the device unchanged. After restoring,
	 * a device drives its interrupt line to the restored level; the
	 * PLIC pushes its outputs to the harts. A device with no state of
	 * its own (CLINT, syscon) leaves both NULL. */
	void (*save)(void *opaque, struct devstate_w *w);
	int (*restore)(void *opaque, struct devstate_r *r);
};

/* Mixing step for device digests: d = hv_mix(d, value). */
static inline uint64_t hv_mix(uint64_t d, uint64_t v)
{
	d ^= v + 0x9e3779b97f4a7c15ull + (d << 6) + (d >> 2);
	d *= 0xff51afd7ed558ccdull;
	return d ^ (d >> 33);
}

struct hv_dev {
	const char *name;
	gpa_t base;
	uint64_t size;
	const struct hv_dev_ops *ops;
	void *opaque;
};

/* A device's bus entry: the window [base, base + size), answered by ops
 * with opaque. */
static inline void hv_dev_init(struct hv_dev *d, const char *name, gpa_t base, uint64_t size,
			       const struct hv_dev_ops *ops, void *opaque)
{
	*d = (struct hv_dev){ .name = name, .base = base, .size = size, .ops = ops, .opaque = opaque };
}

/* An interrupt line into the PLIC (source numbers 1..PLIC_NSRC-1). */
struct plic;
struct hv_irq {
	struct plic *plic;
	unsigned num;
};

void hv_irq_set(const struct hv_irq *irq, bool level);

#endif
