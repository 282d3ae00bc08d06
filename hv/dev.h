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

#include <stddef.h>
#include <stdlib.h>

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
	*d = (struct hv_dev){
		.name = name, .base = base, .size = size, .ops = ops, .opaque = opaque
	};
}

/*
 * The ops of a device whose callbacks are named after it: NAME_read,
 * NAME_write, NAME_digest, NAME_save and NAME_restore.
 */
#define HV_DEV_OPS(name)                                                             \
	{                                                                            \
		.read = name##_read, .write = name##_write, .digest = name##_digest, \
		.save = name##_save, .restore = name##_restore,                      \
	}

/*
 * The allocation every device of the virt machine starts with: a zeroed
 * struct of `size` bytes with a struct machine pointer `m_off` bytes in,
 * set to m, and a struct hv_dev `dev_off` bytes in, the window
 * [base, base + len) answered by ops with the struct itself as opaque.
 * Returns NULL and fills err ("Out of memory allocating WHAT.") if host
 * memory runs out. Use HV_DEV_NEW, which takes sizes and offsets from
 * the type (members m and dev).
 */
static inline void *hv_dev_new(size_t size, size_t m_off, size_t dev_off, struct machine *m,
			       const char *name, gpa_t base, uint64_t len,
			       const struct hv_dev_ops *ops, const char *what, struct hv_err *err)
{
	char *p = (char *)calloc(1, size);

	if (!p) {
		hv_err_set(err, "Out of memory allocating %s.", what);
		return NULL;
	}
	*(struct machine **)(p + m_off) = m;
	hv_dev_init((struct hv_dev *)(p + dev_off), name, base, len, ops, p);
	return p;
}

#define HV_DEV_NEW(type, machine, name, base, len, ops, what, err)                               \
	((type *)hv_dev_new(sizeof(type), offsetof(type, m), offsetof(type, dev), machine, name, \
			    base, len, ops, what, err))

/*
 * The destructor and bus-entry accessor of a device allocated with
 * HV_DEV_NEW that owns nothing else: NAME_destroy frees struct NAME,
 * NAME_dev returns its member dev.
 */
#define HV_DEV_DEFINE_ACCESSORS(name)             \
	void name##_destroy(struct name *x)       \
	{                                         \
		free(x);                          \
	}                                         \
	struct hv_dev *name##_dev(struct name *x) \
	{                                         \
		return &x->dev;                   \
	}

/*
 * The declarations matching HV_DEV_DEFINE_STATELESS, for the device's
 * header: NAME_create(m, err) returns the device, or NULL with err filled
 * if out of host memory; NAME_destroy frees it; NAME_dev is its MMIO
 * window for the bus.
 */
#define HV_DEV_DECLARE_STATELESS(name)                                     \
	struct name;                                                       \
	struct name *name##_create(struct machine *m, struct hv_err *err); \
	void name##_destroy(struct name *x);                               \
	struct hv_dev *name##_dev(struct name *x)

/*
 * The whole life cycle of a device with registers and no other state
 * (CLINT, syscon): NAME_create(m, err) with ops {NAME_read, NAME_write}
 * under the bus name LABEL at [base, base + len), NAME_destroy, NAME_dev.
 */
#define HV_DEV_DEFINE_STATELESS(name, label, base, len, what)                                \
	static const struct hv_dev_ops name##_ops = { .read = name##_read,                   \
						      .write = name##_write };               \
	struct name *name##_create(struct machine *m, struct hv_err *err)                    \
	{                                                                                    \
		return HV_DEV_NEW(struct name, m, label, base, len, &name##_ops, what, err); \
	}                                                                                    \
	HV_DEV_DEFINE_ACCESSORS(name)

/* An interrupt line into the PLIC (source numbers 1..PLIC_NSRC-1). */
struct plic;
struct hv_irq {
	struct plic *plic;
	unsigned num;
};

void hv_irq_set(const struct hv_irq *irq, bool level);

#endif
