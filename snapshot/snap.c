// SPDX-License-Identifier: MIT
/*
 * In-memory snapshots (snap.h). Harts are copied whole and their TLBs and
 * jump caches emptied on restore (they point at frames and blocks of the
 * moment they were filled). Devices serialise through their save ops into
 * one buffer per device, in bus order, and restore from it; disks freeze
 * their copy-on-write overlays (hv/dev/backend/disk.c) as RAM freezes its frames
 * (hv/mem/ram.c); the machine's scalar state (time, rounds, instruction count,
 * console input queue and line scanner) is copied.
 *
 * A snapshot holds references to the frames and overlay blocks it
 * captured, not to the machine, so it may outlive the machine, and may be
 * restored into any machine of the same shape (same RAM size, harts and
 * devices at the same addresses, drives over images of the same sizes):
 * that machine then shares the snapshot's frames (a fork).
 */
#include "snapshot/snap.h"

#include <stdlib.h>
#include <string.h>

#include "hv/cpu/block.h"
#include "hv/dev/backend/disk.h"
#include "hv/platform/control.h"
#include "snapshot/snap_impl.h"

static unsigned snap_count_disks(const struct machine *m)
{
	unsigned n = 0;

	while (n < HV_VIRTIO_SLOTS && m->disk[n])
		n++;
	return n;
}

struct snap *snap_take(struct machine *m, struct hv_err *err)
{
	struct snap *s = calloc(1, sizeof(*s));

	if (!s)
		goto oom;
	s->ndisks = snap_count_disks(m);
	for (unsigned i = 0; i < s->ndisks; i++) {
		s->disk[i] = disk_snap_take(m->disk[i], err);
		if (!s->disk[i]) {
			snap_free(s);
			return NULL;
		}
	}
	s->harts = malloc(m->nharts * sizeof(struct hart));
	if (!s->harts)
		goto oom;
	s->nharts = m->nharts;
	for (unsigned i = 0; i < m->nharts; i++)
		memcpy(&s->harts[i], m->hart[i], sizeof(struct hart));
	s->ndev = m->ndev;
	for (unsigned i = 0; i < m->ndev; i++) {
		devstate_w_init(&s->dev[i]);
		s->dev_name[i] = m->dev[i]->name;
		s->dev_base[i] = m->dev[i]->base;
		if (m->dev[i]->ops->save)
			m->dev[i]->ops->save(m->dev[i]->opaque, &s->dev[i]);
		if (s->dev[i].error)
			goto oom;
	}
	s->ram = ram_freeze(m);
	if (!s->ram)
		goto oom;
	s->ram_size = m->ram.size;
	s->dirty = malloc(m->ram.npages);
	if (!s->dirty)
		goto oom;
	memcpy(s->dirty, m->ram.dirty, m->ram.npages);
	machine_runstate_save(m, &s->mach);
	return s;
oom:
	hv_err_set(err, "out of host memory taking a snapshot");
	snap_free(s);
	return NULL;
}

int snap_check_shape(const struct machine *m, const struct snap *s, struct hv_err *err)
{
	if (s->ram_size != m->ram.size || s->nharts != m->nharts) {
		hv_err_set(err,
			   "the snapshot is of a machine with %llu MiB and %u harts, this "
			   "one has %llu MiB and %u",
			   (unsigned long long)(s->ram_size >> 20), s->nharts,
			   (unsigned long long)(m->ram.size >> 20), m->nharts);
		return -1;
	}
	if (s->ndev != m->ndev) {
		hv_err_set(err, "the snapshot is of a machine with %u devices, this one has %u",
			   s->ndev, m->ndev);
		return -1;
	}
	for (unsigned i = 0; i < m->ndev; i++) {
		if (strcmp(s->dev_name[i], m->dev[i]->name) || s->dev_base[i] != m->dev[i]->base) {
			hv_err_set(err,
				   "the snapshot has device %s at %#llx where this machine "
				   "has %s at %#llx",
				   s->dev_name[i], (unsigned long long)s->dev_base[i],
				   m->dev[i]->name, (unsigned long long)m->dev[i]->base);
			return -1;
		}
	}
	if (s->ndisks != snap_count_disks(m)) {
		hv_err_set(err, "the snapshot is of a machine with %u drives, this one has %u",
			   s->ndisks, snap_count_disks(m));
		return -1;
	}
	for (unsigned i = 0; i < s->ndisks; i++) {
		if (disk_snap_size(s->disk[i]) != disk_size(m->disk[i])) {
			hv_err_set(err, "drive %u of the snapshot is %llu bytes, '%s' is %llu", i,
				   (unsigned long long)disk_snap_size(s->disk[i]),
				   disk_path(m->disk[i]),
				   (unsigned long long)disk_size(m->disk[i]));
			return -1;
		}
		if (!disk_snapshot_mode(m->disk[i])) {
			hv_err_set(err,
				   "drive '%s' writes through to its file (snapshot=off); "
				   "restoring a snapshot needs snapshot=on",
				   disk_path(m->disk[i]));
			return -1;
		}
	}
	return 0;
}

int64_t snap_restore(struct machine *m, const struct snap *s, struct hv_err *err)
{
	if (snap_check_shape(m, s, err))
		return -1;
	for (unsigned i = 0; i < s->ndisks; i++)
		if (disk_snap_restore(m->disk[i], s->disk[i], err) < 0)
			return -1;
	int64_t changed = ram_thaw(m, s->ram);
	machine_dirty_load(m, s->dirty);
	for (unsigned i = 0; i < m->nharts; i++)
		machine_hart_load(m, i, &s->harts[i]);
	/* After the harts: the PLIC drives their interrupt lines again. */
	for (unsigned i = 0; i < m->ndev; i++) {
		const struct hv_dev *d = m->dev[i];
		if (!d->ops->restore)
			continue;
		struct devstate_r r;
		devstate_r_init(&r, s->dev[i].buf, s->dev[i].len);
		if (d->ops->restore(d->opaque, &r) != 0) {
			hv_err_set(err, "device %s refused its snapshot state: %s", d->name,
				   r.msg[0] ? r.msg : "malformed");
			return -1;
		}
	}
	machine_runstate_load(m, &s->mach);
	machine_clear_outcome(m);
	block_reap(m->blocks);
	return changed;
}

void snap_free(struct snap *s)
{
	if (!s)
		return;
	ram_release(s->ram);
	for (unsigned i = 0; i < s->ndisks; i++)
		disk_snap_free(s->disk[i]);
	for (unsigned i = 0; i < s->ndev; i++)
		devstate_w_free(&s->dev[i]);
	free(s->harts);
	free(s->dirty);
	free(s);
}

icount_t snap_icount(const struct snap *s)
{
	return s->mach.total_insns;
}
