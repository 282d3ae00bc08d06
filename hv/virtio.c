// SPDX-License-Identifier: MIT
/*
 * virtio-mmio version 2 transport and split virtqueues (interface in
 * virtio.h). Spec references are to virtio 1.2 (specs/virtio-spec):
 * transport-mmio.tex (section 4.2), split-ring.tex (2.7), content.tex
 * (status 2.1, features 2.2, initialization 3.1).
 *
 * Register file: 32-bit aligned accesses only below the config space
 * (4.2.2, driver requirements); anything else reads as zero and is ignored
 * on write, with a log line. Write-only registers read as zero. The config
 * space at 0x100 accepts any size at any offset and is read-only here (no
 * device type we have exposes a writable field).
 *
 * Feature and status handshake: the device offers VERSION_1 and
 * INDIRECT_DESC plus the device type's bits. FEATURES_OK sticks only if
 * the driver accepted a subset of the offer (3.1.1: the driver re-reads
 * status to find out); DriverFeatures is frozen once it sticks. A driver
 * that leaves out VERSION_1 is a legacy driver (2.2.3) and is served, as
 * QEMU serves it on its version 2 transport (QEMU checks features only for
 * drivers that accept VERSION_1; xv6-riscv's driver is one that does
 * not): one line per device says so, and the device types follow the
 * legacy rules where they differ (virtio_dev_legacy). Everything else of
 * the transport (registers, ring layout, FEATURES_OK) stays as for a
 * modern driver; on a little-endian guest the legacy interface's "guest
 * native endian" is little-endian too. The device consumes buffers only after DRIVER_OK
 * (2.1.2), and DRIVER_OK without FEATURES_OK is a protocol error.
 * DEVICE_NEEDS_RESET is the device's bit: a driver write cannot set or
 * clear it; only writing 0 (reset) clears it. The driver's bits cannot be
 * cleared either (2.1.2, "The driver MUST NOT clear a device status bit"):
 * a write without them logs and leaves them set.
 *
 * Queue validation happens when the driver writes QueueReady = 1: the size
 * must be a power of 2 from 1 to QueueNumMax (2.7, "Queue Size ... is
 * always a power of 2") and the three rings must lie in RAM with their
 * alignment (2.7, table "Virtqueue Part Alignment"). Otherwise the queue
 * stays not ready and the device needs a reset. A notification for a
 * queue that is not ready, or before DRIVER_OK, is ignored (4.2.2: the
 * device MUST NOT access virtqueue contents when QueueReady is zero).
 *
 * Chain walks (virtq_pop) are bounded: the available index may run at
 * most the queue size ahead of the device; a head or next index must be
 * inside its table; a visited bitmap catches loops, so a direct chain has
 * at most QueueSize descriptors and an indirect one at most its table's
 * entries; an indirect table (2.7.5.3) needs the feature, a non-zero
 * length that is a multiple of 16 and at most VIRTQ_INDIRECT_MAX entries,
 * must not have NEXT set alongside, and must not contain another indirect
 * descriptor; device-writable buffers must follow the readable ones
 * (2.7.4.2); every buffer lies entirely in RAM. One notification pops at
 * most QueueSize chains, so a device whose DMA rewrites the available
 * ring cannot keep itself busy forever.
 *
 * The PLIC line is level-triggered: asserted while InterruptStatus != 0.
 */
#include "hv/virtio.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv/devstate.h"
#include "hv/machine.h"

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
	       "virtio structures are little-endian and copied as such");

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
	struct virtq_chain *chain; /* scratch for virtq_pop */
	const struct virtio_state_ops *state_ops; /* device type's snapshot hooks */
	uint8_t visited[VIRTQ_INDIRECT_MAX > VIRTQ_SIZE_LIMIT ? VIRTQ_INDIRECT_MAX / 8
							       : VIRTQ_SIZE_LIMIT / 8];
};

/* ---- guest log ---- */

static void virtio_vlog(struct virtio_dev *vd, const char *suffix, const char *fmt, va_list ap)
{
	if (vd->nlog > VIRTIO_LOG_LIMIT)
		return;
	if (vd->nlog++ == VIRTIO_LOG_LIMIT) {
		fprintf(stderr, "retrovisor: %s: further guest errors from this device are not "
			"shown\n", vd->name);
		return;
	}
	fprintf(stderr, "retrovisor: %s: guest error: ", vd->name);
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "%s\n", suffix);
}

void virtio_dev_log(struct virtio_dev *vd, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	virtio_vlog(vd, "", fmt, ap);
	va_end(ap);
}

/* ---- interrupts ---- */

static void virtio_update_irq(struct virtio_dev *vd)
{
	bool level = vd->isr != 0;

	if (level == vd->irq_level)
		return;
	vd->irq_level = level;
	hv_irq_set(&vd->irq, level);
}

static void virtio_raise(struct virtio_dev *vd, uint32_t bits)
{
	vd->isr |= bits;
	virtio_update_irq(vd);
}

void virtio_dev_fail(struct virtio_dev *vd, const char *fmt, ...)
{
	va_list ap;

	if (vd->broken)
		return;
	va_start(ap, fmt);
	virtio_vlog(vd, "; device needs reset", fmt, ap);
	va_end(ap);
	vd->broken = true;
	vd->status |= VIRTIO_STATUS_NEEDS_RESET;
	/* 2.1.2: after setting DEVICE_NEEDS_RESET with DRIVER_OK set, the
	 * device MUST send a configuration change notification. */
	if (vd->status & VIRTIO_STATUS_DRIVER_OK)
		virtio_raise(vd, VIRTIO_INT_CONFIG);
}

/* ---- guest RAM ---- */

static bool virtio_ram_ok(const struct machine *m, gpa_t pa, uint64_t len)
{
	const struct ram *r = &m->ram;

	return pa >= r->base && pa - r->base <= r->size && len <= r->size - (pa - r->base);
}

static bool virtio_rd16(struct virtio_dev *vd, gpa_t pa, uint16_t *v)
{
	uint8_t b[2];

	if (!machine_read_phys(vd->m, pa, b, sizeof(b)))
		return false;
	*v = (uint16_t)(b[0] | b[1] << 8);
	return true;
}

static bool virtio_wr16(struct virtio_dev *vd, gpa_t pa, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)v, (uint8_t)(v >> 8) };

	return machine_write_phys(vd->m, pa, b, sizeof(b));
}

static bool virtio_wr32(struct virtio_dev *vd, gpa_t pa, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };

	return machine_write_phys(vd->m, pa, b, sizeof(b));
}

/* ---- state ---- */

static void virtio_reset(struct virtio_dev *vd)
{
	vd->drv_features = 0;
	vd->dev_features_sel = 0;
	vd->drv_features_sel = 0;
	vd->queue_sel = 0;
	vd->status = 0;
	vd->isr = 0;
	vd->broken = false;
	for (unsigned i = 0; i < VIRTIO_MAX_QUEUES; i++) {
		memset(&vd->q[i], 0, sizeof(vd->q[i]));
		/* As QEMU: a driver that never writes QueueSize gets the maximum. */
		vd->q[i].num = i < vd->ops->nqueues ? vd->ops->queue_max : 0;
	}
	virtio_update_irq(vd);
	if (vd->ops->reset)
		vd->ops->reset(vd);
}

bool virtio_dev_has_feature(const struct virtio_dev *vd, unsigned bit)
{
	return bit < 64 && (vd->drv_features >> bit & 1);
}

bool virtio_dev_legacy(const struct virtio_dev *vd)
{
	return !virtio_dev_has_feature(vd, VIRTIO_F_VERSION_1);
}

static bool virtio_features_acceptable(struct virtio_dev *vd)
{
	if (vd->drv_features & ~vd->dev_features) {
		virtio_dev_log(vd, "driver accepted features 0x%llx that were not offered "
			       "(offer 0x%llx); FEATURES_OK refused",
			       (unsigned long long)vd->drv_features,
			       (unsigned long long)vd->dev_features);
		return false;
	}
	if (virtio_dev_legacy(vd) && !vd->legacy_noted) {
		vd->legacy_noted = true;
		fprintf(stderr, "retrovisor: %s: the driver did not accept VIRTIO_F_VERSION_1; "
			"serving it through the legacy interface, as QEMU does\n", vd->name);
	}
	return true;
}

static void virtio_write_status(struct virtio_dev *vd, uint32_t val)
{
	uint8_t old = vd->status;
	uint8_t st = (uint8_t)val;

	if (val == 0) {
		virtio_reset(vd);
		return;
	}
	st = (uint8_t)((st & ~VIRTIO_STATUS_NEEDS_RESET) | (old & VIRTIO_STATUS_NEEDS_RESET));
	/* 2.1.2: the driver MUST NOT clear a status bit; only a write of 0
	 * resets. Bits once set stay set, so DRIVER_OK is never left without
	 * the FEATURES_OK it was accepted with (a state restore refuses). */
	uint8_t cleared = (uint8_t)(old & ~st);
	if (cleared) {
		virtio_dev_log(vd, "driver cleared status bits 0x%x without a reset; they stay set",
			       cleared);
		st |= cleared;
	}
	if ((st & VIRTIO_STATUS_FEATURES_OK) && !(old & VIRTIO_STATUS_FEATURES_OK) &&
	    !virtio_features_acceptable(vd))
		st &= (uint8_t)~VIRTIO_STATUS_FEATURES_OK;
	vd->status = st;
	if ((st & VIRTIO_STATUS_DRIVER_OK) && !(old & VIRTIO_STATUS_DRIVER_OK) &&
	    !(st & VIRTIO_STATUS_FEATURES_OK))
		virtio_dev_fail(vd, "DRIVER_OK set without FEATURES_OK");
}

/* QueueReady = 1: check the queue's layout before the device may touch it. */
static void virtio_queue_enable(struct virtio_dev *vd, unsigned qi)
{
	struct virtq *q = &vd->q[qi];
	uint64_t n = q->num;

	if (n == 0 || n > vd->ops->queue_max || (n & (n - 1))) {
		virtio_dev_fail(vd, "queue %u size %llu is not a power of 2 from 1 to %u", qi,
				(unsigned long long)n, vd->ops->queue_max);
		return;
	}
	if ((q->desc & 15) || !virtio_ram_ok(vd->m, q->desc, VIRTQ_DESC_SIZE * n)) {
		virtio_dev_fail(vd, "queue %u descriptor table at 0x%llx (%llu bytes) is not "
				"16-byte aligned RAM", qi, (unsigned long long)q->desc,
				(unsigned long long)(VIRTQ_DESC_SIZE * n));
		return;
	}
	if ((q->avail & 1) || !virtio_ram_ok(vd->m, q->avail, 6 + 2 * n)) {
		virtio_dev_fail(vd, "queue %u available ring at 0x%llx is not 2-byte aligned RAM",
				qi, (unsigned long long)q->avail);
		return;
	}
	if ((q->used & 3) || !virtio_ram_ok(vd->m, q->used, 6 + 8 * n)) {
		virtio_dev_fail(vd, "queue %u used ring at 0x%llx is not 4-byte aligned RAM", qi,
				(unsigned long long)q->used);
		return;
	}
	q->ready = true;
	q->last_avail = 0;
	q->used_idx = 0;
	q->pushed = false;
}

static void virtio_notify(struct virtio_dev *vd, uint32_t qi)
{
	struct virtq *q;

	if (qi >= vd->ops->nqueues) {
		virtio_dev_log(vd, "notification for queue %u, which does not exist; ignored", qi);
		return;
	}
	q = &vd->q[qi];
	if (!q->ready) {
		virtio_dev_log(vd, "notification for queue %u, which is not ready; ignored", qi);
		return;
	}
	if (vd->broken)
		return;
	if (!(vd->status & VIRTIO_STATUS_DRIVER_OK)) {
		virtio_dev_log(vd, "notification for queue %u before DRIVER_OK; ignored", qi);
		return;
	}
	q->budget = q->num;
	vd->ops->notify(vd, qi);
	virtq_flush(vd, qi);
}

/* ---- register file ---- */

/* The selected queue, or NULL if QueueSel names none. */
static struct virtq *virtio_sel_queue(struct virtio_dev *vd)
{
	return vd->queue_sel < vd->ops->nqueues ? &vd->q[vd->queue_sel] : NULL;
}

static uint64_t virtio_config_read(struct virtio_dev *vd, uint64_t off, unsigned size)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < size; i++) {
		uint64_t at = off + i;

		if (at < vd->config_len)
			v |= (uint64_t)vd->config[at] << (8 * i);
	}
	return v;
}

static uint64_t virtio_mmio_read(void *opaque, uint64_t off, unsigned size)
{
	struct virtio_dev *vd = opaque;
	struct virtq *q = virtio_sel_queue(vd);

	if (off >= VIRTIO_MMIO_CONFIG) {
		if (vd->ops->device_id == VIRTIO_ID_NONE || (size != 1 && size != 2 && size != 4 &&
							     size != 8))
			return 0;
		return virtio_config_read(vd, off - VIRTIO_MMIO_CONFIG, size);
	}
	if (size != 4 || (off & 3)) {
		virtio_dev_log(vd, "%u-byte read at register offset 0x%llx; registers are 32-bit",
			       size, (unsigned long long)off);
		return 0;
	}
	switch (off) {
	case VIRTIO_MMIO_MAGIC_VALUE:
		return VIRTIO_MMIO_MAGIC;
	case VIRTIO_MMIO_VERSION_REG:
		return VIRTIO_MMIO_VERSION;
	case VIRTIO_MMIO_DEVICE_ID:
		return vd->ops->device_id;
	case VIRTIO_MMIO_VENDOR_ID:
		return VIRTIO_VENDOR_ID;
	}
	/* 4.2.3.1.1: after DeviceID 0 the driver reads nothing else. */
	if (vd->ops->device_id == VIRTIO_ID_NONE)
		return 0;
	switch (off) {
	case VIRTIO_MMIO_DEVICE_FEATURES:
		return vd->dev_features_sel < 2 ? (uint32_t)(vd->dev_features >>
							     (32 * vd->dev_features_sel))
						: 0;
	case VIRTIO_MMIO_QUEUE_NUM_MAX:
		return q ? vd->ops->queue_max : 0;
	case VIRTIO_MMIO_QUEUE_READY:
		return q ? q->ready : 0;
	case VIRTIO_MMIO_INTERRUPT_STATUS:
		return vd->isr;
	case VIRTIO_MMIO_STATUS:
		return vd->status;
	case VIRTIO_MMIO_SHM_LEN_LOW:
	case VIRTIO_MMIO_SHM_LEN_HIGH:
	case VIRTIO_MMIO_SHM_BASE_LOW:
	case VIRTIO_MMIO_SHM_BASE_HIGH:
		/* No shared memory regions: length and base read as -1. */
		return 0xffffffffu;
	case VIRTIO_MMIO_CONFIG_GENERATION:
		return vd->config_gen;
	default:
		return 0;
	}
}

/* Replace the low or high half of a 64-bit queue address. */
static void virtio_set_half(gpa_t *a, bool high, uint32_t v)
{
	if (high)
		*a = (*a & 0xffffffffull) | (uint64_t)v << 32;
	else
		*a = (*a & ~0xffffffffull) | v;
}

static void virtio_queue_write(struct virtio_dev *vd, uint64_t off, uint32_t v)
{
	struct virtq *q = virtio_sel_queue(vd);

	if (!q) {
		virtio_dev_log(vd, "write to offset 0x%llx for queue %u, which does not exist; "
			       "ignored", (unsigned long long)off, vd->queue_sel);
		return;
	}
	if (off == VIRTIO_MMIO_QUEUE_READY) {
		if (!(v & 1))
			q->ready = false;
		else if (!q->ready)
			virtio_queue_enable(vd, vd->queue_sel);
		return;
	}
	/* 4.2.2: the driver MUST NOT change a ready queue's layout. */
	if (q->ready) {
		virtio_dev_log(vd, "write to offset 0x%llx of queue %u while it is ready; ignored",
			       (unsigned long long)off, vd->queue_sel);
		return;
	}
	switch (off) {
	case VIRTIO_MMIO_QUEUE_NUM:
		q->num = v;
		break;
	case VIRTIO_MMIO_QUEUE_DESC_LOW:
	case VIRTIO_MMIO_QUEUE_DESC_HIGH:
		virtio_set_half(&q->desc, off == VIRTIO_MMIO_QUEUE_DESC_HIGH, v);
		break;
	case VIRTIO_MMIO_QUEUE_DRIVER_LOW:
	case VIRTIO_MMIO_QUEUE_DRIVER_HIGH:
		virtio_set_half(&q->avail, off == VIRTIO_MMIO_QUEUE_DRIVER_HIGH, v);
		break;
	default:
		virtio_set_half(&q->used, off == VIRTIO_MMIO_QUEUE_DEVICE_HIGH, v);
		break;
	}
}

static void virtio_mmio_write(void *opaque, uint64_t off, unsigned size, uint64_t val)
{
	struct virtio_dev *vd = opaque;
	uint32_t v = (uint32_t)val;

	if (vd->ops->device_id == VIRTIO_ID_NONE)
		return;
	if (off >= VIRTIO_MMIO_CONFIG)
		return; /* read-only config space */
	if (size != 4 || (off & 3)) {
		virtio_dev_log(vd, "%u-byte write at register offset 0x%llx; registers are "
			       "32-bit; ignored", size, (unsigned long long)off);
		return;
	}
	switch (off) {
	case VIRTIO_MMIO_DEVICE_FEATURES_SEL:
		vd->dev_features_sel = v;
		break;
	case VIRTIO_MMIO_DRIVER_FEATURES:
		/* Frozen once FEATURES_OK sticks (3.1.1). */
		if (vd->drv_features_sel < 2 && !(vd->status & VIRTIO_STATUS_FEATURES_OK)) {
			unsigned sh = 32 * vd->drv_features_sel;

			vd->drv_features = (vd->drv_features & ~(0xffffffffull << sh)) |
					   (uint64_t)v << sh;
		}
		break;
	case VIRTIO_MMIO_DRIVER_FEATURES_SEL:
		vd->drv_features_sel = v;
		break;
	case VIRTIO_MMIO_QUEUE_SEL:
		vd->queue_sel = v;
		break;
	case VIRTIO_MMIO_QUEUE_NUM:
	case VIRTIO_MMIO_QUEUE_READY:
	case VIRTIO_MMIO_QUEUE_DESC_LOW:
	case VIRTIO_MMIO_QUEUE_DESC_HIGH:
	case VIRTIO_MMIO_QUEUE_DRIVER_LOW:
	case VIRTIO_MMIO_QUEUE_DRIVER_HIGH:
	case VIRTIO_MMIO_QUEUE_DEVICE_LOW:
	case VIRTIO_MMIO_QUEUE_DEVICE_HIGH:
		virtio_queue_write(vd, off, v);
		break;
	case VIRTIO_MMIO_QUEUE_NOTIFY:
		virtio_notify(vd, v);
		break;
	case VIRTIO_MMIO_INTERRUPT_ACK:
		vd->isr &= ~v;
		virtio_update_irq(vd);
		break;
	case VIRTIO_MMIO_STATUS:
		virtio_write_status(vd, v);
		break;
	default:
		/* Read-only and reserved registers; SHMSel and QueueReset
		 * select nothing we have. */
		break;
	}
}

/* The transport's state; a device's own state (a disk overlay, the
 * network FIFO, the entropy stream) shows through the memory it writes. */
static uint64_t virtio_mmio_digest(void *opaque)
{
	const struct virtio_dev *vd = opaque;
	uint64_t d = hv_mix(0x7669727469, vd->dev_features);

	d = hv_mix(d, vd->drv_features);
	d = hv_mix(d, (uint64_t)vd->dev_features_sel | (uint64_t)vd->drv_features_sel << 32);
	d = hv_mix(d, (uint64_t)vd->queue_sel | (uint64_t)vd->status << 32 |
			      (uint64_t)vd->broken << 40 | (uint64_t)vd->irq_level << 41);
	d = hv_mix(d, (uint64_t)vd->isr | (uint64_t)vd->config_gen << 32);
	for (unsigned q = 0; q < VIRTIO_MAX_QUEUES; q++) {
		const struct virtq *vq = &vd->q[q];
		d = hv_mix(d, (uint64_t)vq->num | (uint64_t)vq->ready << 32 |
				      (uint64_t)vq->last_avail << 40 | (uint64_t)vq->used_idx << 16);
		d = hv_mix(d, vq->desc ^ (vq->avail << 1) ^ (vq->used << 2));
	}
	for (unsigned q = 0; q < VIRTIO_MAX_QUEUES; q++)
		d = hv_mix(d, vd->q[q].budget);
	for (size_t k = 0; k < vd->config_len; k++)
		d = hv_mix(d, vd->config[k]);
	if (vd->state_ops) {
		/* The device type's own state (the entropy stream, frames
		 * waiting for the guest): hash its saved form. */
		struct devstate_w w;
		devstate_w_init(&w);
		vd->state_ops->save(vd->priv, &w);
		for (size_t k = 0; k < w.len; k++)
			d = hv_mix(d, w.buf[k]);
		devstate_w_free(&w);
	}
	return d;
}

/*
 * Snapshot record, version 1. Identity, checked on restore so a snapshot
 * cannot land on another kind of device: u32 version, u32 device id, u32
 * queue count, u64 offered features, u32 config length and the config
 * bytes. Then the driver-written state: u64 accepted features; u32
 * DeviceFeaturesSel, DriverFeaturesSel, QueueSel; u8 status; u32
 * InterruptStatus; u32 ConfigGeneration; per queue u32 size, u8 ready,
 * u64 descriptor, driver and device ring addresses, u16 next available
 * entry and used index, u32 pop budget (it outlives a notification:
 * virtio-net spends it in virtio_net_poll). Last the device type's own
 * record (u32 length, bytes), empty for a type without one. Not stored:
 * the log counter (host-side), the pushed flag and the chain scratch
 * (only live inside a notification or poll, and a snapshot is taken
 * between instructions), the interrupt level and the broken flag (both
 * follow from the registers).
 */
static void virtio_mmio_save(void *opaque, struct devstate_w *w)
{
	const struct virtio_dev *vd = opaque;
	struct devstate_w sub;

	devstate_put_u32(w, DEVSTATE_VERSION);
	devstate_put_u32(w, vd->ops->device_id);
	devstate_put_u32(w, vd->ops->nqueues);
	devstate_put_u64(w, vd->dev_features);
	devstate_put_u32(w, (uint32_t)vd->config_len);
	devstate_put_bytes(w, vd->config, vd->config_len);
	devstate_put_u64(w, vd->drv_features);
	devstate_put_u32(w, vd->dev_features_sel);
	devstate_put_u32(w, vd->drv_features_sel);
	devstate_put_u32(w, vd->queue_sel);
	devstate_put_u8(w, vd->status);
	devstate_put_u32(w, vd->isr);
	devstate_put_u32(w, vd->config_gen);
	for (unsigned i = 0; i < vd->ops->nqueues; i++) {
		const struct virtq *q = &vd->q[i];

		devstate_put_u32(w, q->num);
		devstate_put_u8(w, q->ready);
		devstate_put_u64(w, q->desc);
		devstate_put_u64(w, q->avail);
		devstate_put_u64(w, q->used);
		devstate_put_u16(w, q->last_avail);
		devstate_put_u16(w, q->used_idx);
		devstate_put_u32(w, q->budget);
	}
	devstate_w_init(&sub);
	if (vd->state_ops)
		vd->state_ops->save(vd->priv, &sub);
	if (sub.error || sub.len > UINT32_MAX)
		w->error = true;
	devstate_put_u32(w, (uint32_t)sub.len);
	devstate_put_bytes(w, sub.buf, sub.len);
	devstate_w_free(&sub);
}

/* Whether a ready queue's layout passes the checks of
 * virtio_queue_enable (restore must not accept what the guest could not
 * have made ready). */
static bool virtio_queue_layout_ok(const struct virtio_dev *vd, const struct virtq *q)
{
	uint64_t n = q->num;

	return n != 0 && n <= vd->ops->queue_max && !(n & (n - 1)) && !(q->desc & 15) &&
	       virtio_ram_ok(vd->m, q->desc, VIRTQ_DESC_SIZE * n) && !(q->avail & 1) &&
	       virtio_ram_ok(vd->m, q->avail, 6 + 2 * n) && !(q->used & 3) &&
	       virtio_ram_ok(vd->m, q->used, 6 + 8 * n);
}

static int virtio_mmio_restore(void *opaque, struct devstate_r *r)
{
	struct virtio_dev *vd = opaque;
	struct virtio_dev n = *vd;
	struct devstate_r sub;
	uint32_t version, id, nq, clen;
	uint64_t offer;

	version = devstate_get_u32(r);
	id = devstate_get_u32(r);
	nq = devstate_get_u32(r);
	offer = devstate_get_u64(r);
	clen = devstate_get_u32(r);
	if (r->error)
		return -1;
	if (version != DEVSTATE_VERSION)
		return devstate_r_fail(r, "%s: state version %u is not %u", vd->name, version,
				       DEVSTATE_VERSION);
	if (id != vd->ops->device_id || nq != vd->ops->nqueues || offer != vd->dev_features ||
	    clen != vd->config_len)
		return devstate_r_fail(r, "%s: state of another device (id %u, %u queues, "
				       "features 0x%llx, %u config bytes)", vd->name, id, nq,
				       (unsigned long long)offer, clen);
	for (size_t k = 0; k < vd->config_len; k++) {
		if (devstate_get_u8(r) != vd->config[k] && !r->error)
			return devstate_r_fail(r, "%s: config byte %zu differs from this "
					       "device's", vd->name, k);
	}
	n.drv_features = devstate_get_u64(r);
	n.dev_features_sel = devstate_get_u32(r);
	n.drv_features_sel = devstate_get_u32(r);
	n.queue_sel = devstate_get_u32(r);
	n.status = devstate_get_u8(r);
	n.isr = devstate_get_u32(r);
	n.config_gen = devstate_get_u32(r);
	for (unsigned i = 0; i < nq; i++) {
		struct virtq *q = &n.q[i];

		q->num = devstate_get_u32(r);
		q->ready = devstate_get_bool(r);
		q->desc = devstate_get_u64(r);
		q->avail = devstate_get_u64(r);
		q->used = devstate_get_u64(r);
		q->last_avail = devstate_get_u16(r);
		q->used_idx = devstate_get_u16(r);
		q->budget = devstate_get_u32(r);
		q->pushed = false;
		/* The budget is set from a ready queue's size, so it never
		 * exceeds the largest size. */
		if (!r->error && q->budget > vd->ops->queue_max)
			return devstate_r_fail(r, "%s: queue %u may pop %u chains, more than %u",
					       vd->name, i, q->budget, vd->ops->queue_max);
		if (!r->error && q->ready && !virtio_queue_layout_ok(&n, q))
			return devstate_r_fail(r, "%s: ready queue %u has size %u or rings at "
					       "0x%llx/0x%llx/0x%llx that the device would not "
					       "accept", vd->name, i, q->num,
					       (unsigned long long)q->desc,
					       (unsigned long long)q->avail,
					       (unsigned long long)q->used);
	}
	if (r->error)
		return -1;
	if (n.isr & ~(VIRTIO_INT_USED | VIRTIO_INT_CONFIG))
		return devstate_r_fail(r, "%s: InterruptStatus 0x%x has undefined bits", vd->name,
				       n.isr);
	/* A placeholder ignores every write (4.2.3.1.1), so no driver can
	 * have changed its state; an interrupt it held could never be
	 * acknowledged. */
	if (vd->ops->device_id == VIRTIO_ID_NONE &&
	    (n.drv_features || n.dev_features_sel || n.drv_features_sel || n.queue_sel ||
	     n.status || n.isr || n.config_gen))
		return devstate_r_fail(r, "%s: driver state (status 0x%x, InterruptStatus 0x%x) "
				       "for an empty slot, which ignores every write", vd->name,
				       n.status, n.isr);
	/* FEATURES_OK sticks only for a subset of the offer (3.1.1), with or
	 * without VERSION_1, and DRIVER_OK without it always fails the
	 * device. */
	if ((n.status & VIRTIO_STATUS_FEATURES_OK) && (n.drv_features & ~n.dev_features))
		return devstate_r_fail(r, "%s: FEATURES_OK with features 0x%llx the device "
				       "would have refused", vd->name,
				       (unsigned long long)n.drv_features);
	if ((n.status & VIRTIO_STATUS_DRIVER_OK) && !(n.status & VIRTIO_STATUS_FEATURES_OK) &&
	    !(n.status & VIRTIO_STATUS_NEEDS_RESET))
		return devstate_r_fail(r, "%s: DRIVER_OK without FEATURES_OK on a working "
				       "device", vd->name);
	n.broken = n.status & VIRTIO_STATUS_NEEDS_RESET;
	if (!devstate_r_sub(r, devstate_get_u32(r), &sub) || devstate_r_finish(r))
		return -1;
	if (vd->state_ops) {
		if (vd->state_ops->restore(vd->priv, &sub))
			return devstate_r_fail_from(r, &sub);
	} else if (sub.len) {
		return devstate_r_fail(r, "%s: %zu bytes of device state for a device that has "
				       "none", vd->name, sub.len);
	}
	n.irq_level = n.isr != 0;
	*vd = n;
	hv_irq_set(&vd->irq, vd->irq_level);
	return 0;
}

static const struct hv_dev_ops virtio_mmio_ops = {
	.read = virtio_mmio_read,
	.write = virtio_mmio_write,
	.digest = virtio_mmio_digest,
	.save = virtio_mmio_save,
	.restore = virtio_mmio_restore,
};

/* ---- life cycle ---- */

struct virtio_dev *virtio_dev_attach(struct machine *m, unsigned slot,
				     const struct virtio_ops *ops, void *priv,
				     const void *config, size_t config_len, struct hv_err *err)
{
	struct virtio_dev *vd;

	if (slot >= HV_VIRTIO_SLOTS) {
		hv_err_set(err, "virtio slot %u does not exist (the machine has %d)", slot,
			   HV_VIRTIO_SLOTS);
		return NULL;
	}
	if (ops->nqueues > VIRTIO_MAX_QUEUES ||
	    (ops->nqueues && (ops->queue_max == 0 || ops->queue_max > VIRTQ_SIZE_LIMIT ||
			      (ops->queue_max & (ops->queue_max - 1))))) {
		hv_err_set(err, "%s: %u queues of %u entries is not a valid virtio queue layout",
			   ops->name, ops->nqueues, ops->queue_max);
		return NULL;
	}
	vd = calloc(1, sizeof(*vd));
	if (!vd || (ops->nqueues && !(vd->chain = malloc(sizeof(*vd->chain))))) {
		free(vd);
		hv_err_set(err, "out of host memory for %s", ops->name);
		return NULL;
	}
	vd->m = m;
	vd->ops = ops;
	vd->priv = priv;
	vd->config = config;
	vd->config_len = config_len;
	vd->irq.plic = m->plic;
	vd->irq.num = HV_VIRTIO_IRQ0 + slot;
	vd->dev_features = ops->device_id == VIRTIO_ID_NONE
				   ? 0
				   : ops->features | 1ull << VIRTIO_F_VERSION_1 |
					     1ull << VIRTIO_F_INDIRECT_DESC;
	snprintf(vd->name, sizeof(vd->name), "%s@0x%llx", ops->name,
		 (unsigned long long)(HV_VIRTIO_BASE + slot * HV_VIRTIO_STRIDE));
	vd->dev.name = ops->name;
	vd->dev.base = HV_VIRTIO_BASE + slot * HV_VIRTIO_STRIDE;
	vd->dev.size = HV_VIRTIO_STRIDE;
	vd->dev.ops = &virtio_mmio_ops;
	vd->dev.opaque = vd;
	for (unsigned i = 0; i < VIRTIO_MAX_QUEUES; i++)
		vd->q[i].num = i < ops->nqueues ? ops->queue_max : 0;
	/* A device already in the slot's window (the placeholder the machine
	 * put there) gives its place on the bus to this one. */
	for (unsigned i = 0; i < m->ndev; i++) {
		if (m->dev[i]->base == vd->dev.base && m->dev[i]->size == vd->dev.size) {
			m->dev[i] = &vd->dev;
			return vd;
		}
	}
	if (machine_add_dev(m, &vd->dev, err) != 0) {
		free(vd->chain);
		free(vd);
		return NULL;
	}
	return vd;
}

static void virtio_empty_notify(struct virtio_dev *vd, unsigned q)
{
	(void)vd;
	(void)q;
}

static const struct virtio_ops virtio_empty_ops = {
	.name = "virtio-empty",
	.device_id = VIRTIO_ID_NONE,
	.notify = virtio_empty_notify,
};

struct virtio_dev *virtio_empty_attach(struct machine *m, unsigned slot, struct hv_err *err)
{
	return virtio_dev_attach(m, slot, &virtio_empty_ops, NULL, NULL, 0, err);
}

void virtio_dev_destroy(struct virtio_dev *vd)
{
	if (!vd)
		return;
	if (vd->ops->destroy)
		vd->ops->destroy(vd->priv);
	free(vd->chain);
	free(vd);
}

void virtio_dev_set_state_ops(struct virtio_dev *vd, const struct virtio_state_ops *ops)
{
	vd->state_ops = ops;
}

void *virtio_dev_priv(struct virtio_dev *vd)
{
	return vd->priv;
}

struct machine *virtio_dev_machine(struct virtio_dev *vd)
{
	return vd->m;
}

struct hv_dev *virtio_dev_mmio(struct virtio_dev *vd)
{
	return &vd->dev;
}

uint8_t virtio_dev_status(const struct virtio_dev *vd)
{
	return vd->status;
}

/* ---- split virtqueue ---- */

struct virtq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

static bool virtq_read_desc(struct virtio_dev *vd, gpa_t table, unsigned i,
			    struct virtq_desc *d)
{
	uint8_t b[VIRTQ_DESC_SIZE];

	if (!machine_read_phys(vd->m, table + (gpa_t)i * VIRTQ_DESC_SIZE, b, sizeof(b)))
		return false;
	memcpy(&d->addr, b, 8);
	memcpy(&d->len, b + 8, 4);
	memcpy(&d->flags, b + 12, 2);
	memcpy(&d->next, b + 14, 2);
	return true;
}

static bool virtq_visit(struct virtio_dev *vd, unsigned i)
{
	uint8_t bit = (uint8_t)(1u << (i & 7));

	if (vd->visited[i >> 3] & bit)
		return false;
	vd->visited[i >> 3] |= bit;
	return true;
}

/* Walk the chain at head into c; on a broken chain fail the device and
 * return false. */
static bool virtq_walk(struct virtio_dev *vd, unsigned qi, struct virtq *q, uint16_t head,
		       struct virtq_chain *c)
{
	gpa_t table = q->desc;
	unsigned tsize = q->num;
	unsigned i = head;
	bool indirect = false;
	struct virtq_desc d;

	c->head = head;
	c->nseg = c->nread = 0;
	c->read_len = c->write_len = 0;
	memset(vd->visited, 0, (tsize + 7) / 8);
	virtq_visit(vd, i);
	for (;;) {
		if (!virtq_read_desc(vd, table, i, &d)) {
			virtio_dev_fail(vd, "queue %u: descriptor %u of the table at 0x%llx is "
					"outside RAM", qi, i, (unsigned long long)table);
			return false;
		}
		if (d.flags & VIRTQ_DESC_F_INDIRECT) {
			if (indirect) {
				virtio_dev_fail(vd, "queue %u: indirect descriptor inside an "
						"indirect table (chain %u)", qi, head);
				return false;
			}
			if (!virtio_dev_has_feature(vd, VIRTIO_F_INDIRECT_DESC)) {
				virtio_dev_fail(vd, "queue %u: indirect descriptor without "
						"VIRTIO_F_INDIRECT_DESC (chain %u)", qi, head);
				return false;
			}
			if (d.flags & VIRTQ_DESC_F_NEXT) {
				virtio_dev_fail(vd, "queue %u: descriptor %u has both INDIRECT and "
						"NEXT", qi, i);
				return false;
			}
			if (d.len == 0 || d.len % VIRTQ_DESC_SIZE ||
			    d.len / VIRTQ_DESC_SIZE > VIRTQ_INDIRECT_MAX) {
				virtio_dev_fail(vd, "queue %u: indirect table of %u bytes is not a "
						"multiple of 16 from 16 to %u", qi, d.len,
						VIRTQ_INDIRECT_MAX * VIRTQ_DESC_SIZE);
				return false;
			}
			if (!virtio_ram_ok(vd->m, d.addr, d.len)) {
				virtio_dev_fail(vd, "queue %u: indirect table at 0x%llx (%u bytes) "
						"is outside RAM", qi, (unsigned long long)d.addr,
						d.len);
				return false;
			}
			indirect = true;
			table = d.addr;
			tsize = d.len / VIRTQ_DESC_SIZE;
			i = 0;
			memset(vd->visited, 0, (tsize + 7) / 8);
			virtq_visit(vd, i);
			continue;
		}
		if (!virtio_ram_ok(vd->m, d.addr, d.len)) {
			virtio_dev_fail(vd, "queue %u: buffer at 0x%llx (%u bytes) of chain %u is "
					"outside RAM", qi, (unsigned long long)d.addr, d.len, head);
			return false;
		}
		if (!(d.flags & VIRTQ_DESC_F_WRITE) && c->nseg > c->nread) {
			virtio_dev_fail(vd, "queue %u: device-readable buffer after a "
					"device-writable one in chain %u", qi, head);
			return false;
		}
		/* Cannot trigger: each table is walked without revisits and
		 * both are within the bounds VIRTQ_MAX_SEGS adds up. */
		if (c->nseg == VIRTQ_MAX_SEGS) {
			virtio_dev_fail(vd, "queue %u: chain %u has more than %u buffers", qi, head,
					VIRTQ_MAX_SEGS);
			return false;
		}
		c->seg[c->nseg].addr = d.addr;
		c->seg[c->nseg].len = d.len;
		c->seg[c->nseg].write = d.flags & VIRTQ_DESC_F_WRITE;
		c->nseg++;
		if (d.flags & VIRTQ_DESC_F_WRITE) {
			c->write_len += d.len;
		} else {
			c->nread++;
			c->read_len += d.len;
		}
		if (!(d.flags & VIRTQ_DESC_F_NEXT))
			break;
		if (d.next >= tsize) {
			virtio_dev_fail(vd, "queue %u: descriptor %u links to %u, past the end of "
					"its %u-entry %s", qi, i, d.next, tsize,
					indirect ? "indirect table" : "queue");
			return false;
		}
		if (!virtq_visit(vd, d.next)) {
			virtio_dev_fail(vd, "queue %u: chain %u loops (descriptor %u links back "
					"to %u)", qi, head, i, d.next);
			return false;
		}
		i = d.next;
	}
	/* 2.7.5: a chain is at most 2^32 bytes. */
	if (c->read_len + c->write_len > 0xffffffffull) {
		virtio_dev_fail(vd, "queue %u: chain %u is longer than 4 GiB", qi, head);
		return false;
	}
	return true;
}

struct virtq_chain *virtq_pop(struct virtio_dev *vd, unsigned qi)
{
	struct virtq *q;
	uint16_t avail_idx, pending, head;

	if (vd->broken || qi >= vd->ops->nqueues || !vd->q[qi].ready)
		return NULL;
	q = &vd->q[qi];
	if (!q->budget)
		return NULL;
	if (!virtio_rd16(vd, q->avail + 2, &avail_idx)) {
		virtio_dev_fail(vd, "queue %u: available ring outside RAM", qi);
		return NULL;
	}
	pending = (uint16_t)(avail_idx - q->last_avail);
	if (pending == 0)
		return NULL;
	if (pending > q->num) {
		virtio_dev_fail(vd, "queue %u: available index %u is %u entries ahead of the "
				"device's %u, more than the queue size %u", qi, avail_idx, pending,
				q->last_avail, q->num);
		return NULL;
	}
	if (!virtio_rd16(vd, q->avail + 4 + 2 * (gpa_t)(q->last_avail % q->num), &head)) {
		virtio_dev_fail(vd, "queue %u: available ring outside RAM", qi);
		return NULL;
	}
	if (head >= q->num) {
		virtio_dev_fail(vd, "queue %u: available ring entry %u names descriptor %u of a "
				"%u-entry queue", qi, q->last_avail, head, q->num);
		return NULL;
	}
	if (!virtq_walk(vd, qi, q, head, vd->chain))
		return NULL;
	q->last_avail++;
	q->budget--;
	return vd->chain;
}

/* Copy between buf and the part of the chain (readable or writable)
 * starting at byte off of that part. */
static size_t virtq_chain_copy(struct virtio_dev *vd, const struct virtq_chain *c, bool write,
			       uint64_t off, uint8_t *buf, size_t len)
{
	unsigned first = write ? c->nread : 0;
	unsigned end = write ? c->nseg : c->nread;
	size_t done = 0;

	for (unsigned s = first; s < end && done < len; s++) {
		const struct virtq_seg *g = &c->seg[s];
		size_t n;

		if (off >= g->len) {
			off -= g->len;
			continue;
		}
		n = g->len - off;
		if (n > len - done)
			n = len - done;
		/* Segments were checked to lie in RAM when popped. */
		if (write)
			machine_write_phys(vd->m, g->addr + off, buf + done, n);
		else
			machine_read_phys(vd->m, g->addr + off, buf + done, n);
		done += n;
		off = 0;
	}
	return done;
}

size_t virtq_chain_read(struct virtio_dev *vd, const struct virtq_chain *c, uint64_t off,
			void *buf, size_t len)
{
	return virtq_chain_copy(vd, c, false, off, buf, len);
}

size_t virtq_chain_write(struct virtio_dev *vd, const struct virtq_chain *c, uint64_t off,
			 const void *buf, size_t len)
{
	return virtq_chain_copy(vd, c, true, off, (uint8_t *)buf, len);
}

void virtq_push(struct virtio_dev *vd, unsigned qi, const struct virtq_chain *c,
		uint32_t written)
{
	struct virtq *q = &vd->q[qi];
	gpa_t elem;

	if (vd->broken || qi >= vd->ops->nqueues || !q->ready)
		return;
	elem = q->used + 4 + 8 * (gpa_t)(q->used_idx % q->num);
	/* 2.7.8: the element (with its len) before used->idx. */
	if (!virtio_wr32(vd, elem, c->head) || !virtio_wr32(vd, elem + 4, written) ||
	    !virtio_wr16(vd, q->used + 2, (uint16_t)(q->used_idx + 1))) {
		virtio_dev_fail(vd, "queue %u: used ring outside RAM", qi);
		return;
	}
	q->used_idx++;
	q->pushed = true;
}

void virtq_flush(struct virtio_dev *vd, unsigned qi)
{
	struct virtq *q = &vd->q[qi];
	uint16_t flags;

	if (qi >= vd->ops->nqueues || !q->pushed)
		return;
	q->pushed = false;
	if (!virtio_rd16(vd, q->avail, &flags))
		return;
	if (!(flags & VIRTQ_AVAIL_F_NO_INTERRUPT))
		virtio_raise(vd, VIRTIO_INT_USED);
}
