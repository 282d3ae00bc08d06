// SPDX-License-Identifier: MIT
/*
 * virtio-mmio version 2 transport: the register file, the status and
 * feature handshake, queue setup and the device life cycle (interface in
 * virtio.h; the split virtqueue is virtq.c, the snapshot record
 * virtio_state.c, what they share virtio_impl.h). Spec references are to virtio 1.2 (specs/virtio-spec):
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
 * The PLIC line is level-triggered: asserted while InterruptStatus != 0.
 */
#include "hv/dev/virtio/virtio.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv/dev/virtio/virtio_impl.h"

/* ---- guest log ---- */

static void virtio_vlog(struct virtio_dev *vd, const char *suffix, const char *fmt, va_list ap)
{
	if (vd->nlog > VIRTIO_LOG_LIMIT)
		return;
	if (vd->nlog++ == VIRTIO_LOG_LIMIT) {
		fprintf(stderr,
			"retrovisor: %s: further guest errors from this device are not "
			"shown\n",
			vd->name);
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

void virtio_raise(struct virtio_dev *vd, uint32_t bits)
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
		virtio_dev_log(vd,
			       "driver accepted features 0x%llx that were not offered "
			       "(offer 0x%llx); FEATURES_OK refused",
			       (unsigned long long)vd->drv_features,
			       (unsigned long long)vd->dev_features);
		return false;
	}
	if (virtio_dev_legacy(vd) && !vd->legacy_noted) {
		vd->legacy_noted = true;
		fprintf(stderr,
			"retrovisor: %s: the driver did not accept VIRTIO_F_VERSION_1; "
			"serving it through the legacy interface, as QEMU does\n",
			vd->name);
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
	if ((q->desc & 15) || !machine_ram_contains(vd->m, q->desc, VIRTQ_DESC_SIZE * n)) {
		virtio_dev_fail(vd,
				"queue %u descriptor table at 0x%llx (%llu bytes) is not "
				"16-byte aligned RAM",
				qi, (unsigned long long)q->desc,
				(unsigned long long)(VIRTQ_DESC_SIZE * n));
		return;
	}
	if ((q->avail & 1) || !machine_ram_contains(vd->m, q->avail, 6 + 2 * n)) {
		virtio_dev_fail(vd, "queue %u available ring at 0x%llx is not 2-byte aligned RAM",
				qi, (unsigned long long)q->avail);
		return;
	}
	if ((q->used & 3) || !machine_ram_contains(vd->m, q->used, 6 + 8 * n)) {
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
		if (vd->ops->device_id == VIRTIO_ID_NONE ||
		    (size != 1 && size != 2 && size != 4 && size != 8))
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
		return vd->dev_features_sel < 2 ?
			       (uint32_t)(vd->dev_features >> (32 * vd->dev_features_sel)) :
			       0;
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
		virtio_dev_log(vd,
			       "write to offset 0x%llx for queue %u, which does not exist; "
			       "ignored",
			       (unsigned long long)off, vd->queue_sel);
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
		virtio_dev_log(vd,
			       "%u-byte write at register offset 0x%llx; registers are "
			       "32-bit; ignored",
			       size, (unsigned long long)off);
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

static const struct hv_dev_ops virtio_mmio_ops = HV_DEV_OPS(virtio_mmio);

/* ---- life cycle ---- */

struct virtio_dev *virtio_dev_attach(struct machine *m, unsigned slot, const struct virtio_ops *ops,
				     void *priv, const void *config, size_t config_len,
				     struct hv_err *err)
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
	vd->dev_features = ops->device_id == VIRTIO_ID_NONE ?
				   0 :
				   ops->features | 1ull << VIRTIO_F_VERSION_1 |
					   1ull << VIRTIO_F_INDIRECT_DESC;
	snprintf(vd->name, sizeof(vd->name), "%s@0x%llx", ops->name,
		 (unsigned long long)(HV_VIRTIO_BASE + slot * HV_VIRTIO_STRIDE));
	hv_dev_init(&vd->dev, ops->name, HV_VIRTIO_BASE + slot * HV_VIRTIO_STRIDE, HV_VIRTIO_STRIDE,
		    &virtio_mmio_ops, vd);
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
