// SPDX-License-Identifier: MIT
/*
 * The virtio-mmio transport's state as the machine sees it: its digest
 * and its versioned snapshot record (the record layout is below, at
 * virtio_mmio_save). A record read back is untrusted: restore checks it
 * names this very device (id, queues, offer, config bytes) and accepts only
 * what a guest could have reached through the register file (virtio.c) —
 * ready queues whose rings pass the layout checks of QueueReady = 1
 * (virtio 1.2 section 2.7), InterruptStatus with defined bits only,
 * FEATURES_OK only for a subset of the offer (3.1.1), no DRIVER_OK without
 * it on a working device (2.1.2), nothing written to an empty slot
 * (4.2.3.1.1). A refused record leaves the device as it was.
 */
#include <stddef.h>

#include "hv/devstate.h"
#include "hv/dev/virtio/virtio_impl.h"

/* The transport's state; a device's own state (a disk overlay, the
 * network FIFO, the entropy stream) shows through the memory it writes. */
uint64_t virtio_mmio_digest(void *opaque)
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
				      (uint64_t)vq->last_avail << 40 |
				      (uint64_t)vq->used_idx << 16);
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
void virtio_mmio_save(void *opaque, struct devstate_w *w)
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
	       machine_ram_contains(vd->m, q->desc, VIRTQ_DESC_SIZE * n) && !(q->avail & 1) &&
	       machine_ram_contains(vd->m, q->avail, 6 + 2 * n) && !(q->used & 3) &&
	       machine_ram_contains(vd->m, q->used, 6 + 8 * n);
}

int virtio_mmio_restore(void *opaque, struct devstate_r *r)
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
		return devstate_r_fail(r,
				       "%s: state of another device (id %u, %u queues, "
				       "features 0x%llx, %u config bytes)",
				       vd->name, id, nq, (unsigned long long)offer, clen);
	for (size_t k = 0; k < vd->config_len; k++) {
		if (devstate_get_u8(r) != vd->config[k] && !r->error)
			return devstate_r_fail(r,
					       "%s: config byte %zu differs from this "
					       "device's",
					       vd->name, k);
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
			return devstate_r_fail(r,
					       "%s: ready queue %u has size %u or rings at "
					       "0x%llx/0x%llx/0x%llx that the device would not "
					       "accept",
					       vd->name, i, q->num, (unsigned long long)q->desc,
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
		return devstate_r_fail(r,
				       "%s: driver state (status 0x%x, InterruptStatus 0x%x) "
				       "for an empty slot, which ignores every write",
				       vd->name, n.status, n.isr);
	/* FEATURES_OK sticks only for a subset of the offer (3.1.1), with or
	 * without VERSION_1, and DRIVER_OK without it always fails the
	 * device. */
	if ((n.status & VIRTIO_STATUS_FEATURES_OK) && (n.drv_features & ~n.dev_features))
		return devstate_r_fail(r,
				       "%s: FEATURES_OK with features 0x%llx the device "
				       "would have refused",
				       vd->name, (unsigned long long)n.drv_features);
	if ((n.status & VIRTIO_STATUS_DRIVER_OK) && !(n.status & VIRTIO_STATUS_FEATURES_OK) &&
	    !(n.status & VIRTIO_STATUS_NEEDS_RESET))
		return devstate_r_fail(r,
				       "%s: DRIVER_OK without FEATURES_OK on a working "
				       "device",
				       vd->name);
	n.broken = n.status & VIRTIO_STATUS_NEEDS_RESET;
	if (!devstate_r_sub(r, devstate_get_u32(r), &sub) || devstate_r_finish(r))
		return -1;
	if (vd->state_ops) {
		if (vd->state_ops->restore(vd->priv, &sub))
			return devstate_r_fail_from(r, &sub);
	} else if (sub.len) {
		return devstate_r_fail(r,
				       "%s: %zu bytes of device state for a device that has "
				       "none",
				       vd->name, sub.len);
	}
	n.irq_level = n.isr != 0;
	*vd = n;
	hv_irq_set(&vd->irq, vd->irq_level);
	return 0;
}
