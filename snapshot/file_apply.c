// SPDX-License-Identifier: MIT
/*
 * Applying a snapshot file (format in file.h) that file_read.c has read
 * and checked as containers: the root's memory and disks first, then
 * each child's over them; harts, devices and machine state come from the
 * leaf. Every value a section holds is checked against the machine it is
 * applied to: a hart must accept its record (hv/cpu/hart.h: every CSR the CSR
 * table saves holds a value that CSR can hold), a device must accept its
 * record (hv/devstate.h), page and block numbers must be inside RAM and
 * the disk, each hart and device is stored exactly once, and the clocks
 * must agree with each other as the scheduler needs them to.
 */
#include "snapshot/file_impl.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "base/sha256.h"
#include "hv/dev/backend/disk.h"
#include "snapshot/snap.h"
#include "snapshot/snap_impl.h"

static int snapfile_apply_ram(const struct snapfile_one *o, const struct snapfile_sec *sec,
			      struct machine *m, struct hv_err *err)
{
	struct devstate_r r;
	uint8_t bitmap[SNAPFILE_RAM_CHUNK / 8];

	devstate_r_init(&r, sec->raw, sec->len);
	uint64_t first = devstate_get_u64(&r);
	uint32_t count = devstate_get_u32(&r);
	uint32_t present = devstate_get_u32(&r);
	if (r.error || count == 0 || count > SNAPFILE_RAM_CHUNK || first >= m->ram.npages ||
	    count > m->ram.npages - first)
		return snapfile_sec_fail(err, o, sec, &r, "pages outside RAM");
	devstate_get_bytes(&r, bitmap, (count + 7) / 8);
	uint32_t bits = 0;
	for (uint32_t i = 0; i < count; i++)
		bits += (bitmap[i / 8] >> (i % 8)) & 1;
	for (uint32_t i = count; i < (count + 7) / 8 * 8; i++)
		if (bitmap[i / 8] & (1u << (i % 8)))
			return snapfile_sec_fail(err, o, sec, &r, "bitmap bits past its count");
	if (r.error || bits != present || devstate_r_left(&r) != (size_t)present * HV_PAGE_SIZE)
		return snapfile_sec_fail(err, o, sec, &r, "the page count disagrees with the data");
	for (uint32_t i = 0; i < count; i++) {
		if (!(bitmap[i / 8] & (1u << (i % 8))))
			continue;
		const uint8_t *page = r.p + r.pos;
		r.pos += HV_PAGE_SIZE;
		if (!machine_write_phys(m, m->ram.base + ((first + i) << HV_PAGE_SHIFT), page,
					HV_PAGE_SIZE)) {
			hv_err_set(err, "out of host memory loading '%s'", o->path);
			return -1;
		}
	}
	return 0;
}

static int snapfile_apply_drive(const struct snapfile_one *o, const struct snapfile_sec *sec,
				struct machine *m, unsigned ndisks, struct hv_err *err)
{
	struct devstate_r r;
	uint8_t sha[SHA256_DIGEST_SIZE], have[SHA256_DIGEST_SIZE];

	devstate_r_init(&r, sec->raw, sec->len);
	uint32_t i = devstate_get_u32(&r);
	uint64_t size = devstate_get_u64(&r);
	devstate_get_bytes(&r, sha, sizeof(sha));
	char *path = snapfile_get_string(&r, PATH_MAX);
	if (!path || devstate_r_finish(&r) || i >= ndisks) {
		free(path);
		return snapfile_sec_fail(err, o, sec, &r, i >= ndisks ? "no such drive" : NULL);
	}
	if (size != disk_size(m->disk[i])) {
		hv_err_set(err,
			   "snapshot file '%s' was taken over a %llu-byte drive %u ('%s'); "
			   "'%s' is %llu bytes",
			   o->path, (unsigned long long)size, i, path, disk_path(m->disk[i]),
			   (unsigned long long)disk_size(m->disk[i]));
		free(path);
		return -1;
	}
	if (sha256_file(disk_path(m->disk[i]), have, err)) {
		free(path);
		return -1;
	}
	if (memcmp(sha, have, sizeof(sha))) {
		hv_err_set(err,
			   "drive %u does not hold the image the snapshot was taken over "
			   "(SHA-256 differs): '%s' (snapshot file '%s', taken over '%s')",
			   i, disk_path(m->disk[i]), o->path, path);
		free(path);
		return -1;
	}
	free(path);
	return 0;
}

static int snapfile_apply_disk(const struct snapfile_one *o, const struct snapfile_sec *sec,
			       struct machine *m, unsigned ndisks, struct hv_err *err)
{
	struct devstate_r r;

	devstate_r_init(&r, sec->raw, sec->len);
	uint32_t i = devstate_get_u32(&r);
	uint32_t n = devstate_get_u32(&r);
	if (r.error || i >= ndisks || n == 0 || n > SNAPFILE_DISK_CHUNK)
		return snapfile_sec_fail(err, o, sec, &r, "no such drive or a bad count");
	for (uint32_t k = 0; k < n; k++) {
		uint64_t b = devstate_get_u64(&r);
		bool present = devstate_get_bool(&r);
		if (r.error || (present && devstate_r_left(&r) < DISK_BLOCK_SIZE))
			return snapfile_sec_fail(err, o, sec, &r, "a block is cut short");
		const uint8_t *data = present ? r.p + r.pos : NULL;
		if (present)
			r.pos += DISK_BLOCK_SIZE;
		if (disk_overlay_load(m->disk[i], b, data, err))
			return -1;
	}
	if (devstate_r_finish(&r))
		return snapfile_sec_fail(err, o, sec, &r, NULL);
	return 0;
}

static int snapfile_apply_hart(const struct snapfile_one *o, const struct snapfile_sec *sec,
			       struct machine *m, unsigned *index, struct hv_err *err)
{
	struct devstate_r r, rec;

	devstate_r_init(&r, sec->raw, sec->len);
	uint32_t idx = devstate_get_u32(&r);
	if (r.error || idx >= m->nharts)
		return snapfile_sec_fail(err, o, sec, &r, "no such hart");
	*index = idx;
	devstate_r_sub(&r, devstate_r_left(&r), &rec);
	if (hart_restore(m->hart[idx], &rec)) {
		devstate_r_fail_from(&r, &rec);
		return snapfile_sec_fail(err, o, sec, &r, NULL);
	}
	return 0;
}

static int snapfile_apply_machine(const struct snapfile_one *o, const struct snapfile_sec *sec,
				  struct machine *m, unsigned *ndisks, const uint8_t **dirty_bits,
				  struct hv_err *err)
{
	struct devstate_r r;
	struct machine_runstate sm;
	unsigned nd = 0;

	devstate_r_init(&r, sec->raw, sec->len);
	devstate_get_u32(&r); /* version, checked at open */
	uint64_t ram_size = devstate_get_u64(&r);
	uint32_t nharts = devstate_get_u32(&r), ndev = devstate_get_u32(&r);
	uint32_t nds = devstate_get_u32(&r);
	while (nd < HV_VIRTIO_SLOTS && m->disk[nd])
		nd++;
	if (!r.error &&
	    (ram_size != m->ram.size || nharts != m->nharts || ndev != m->ndev || nds != nd)) {
		hv_err_set(err,
			   "snapshot file '%s' is of another machine: %llu MiB, %u harts, "
			   "%u devices, %u drives; this one has %llu MiB, %u harts, %u devices, "
			   "%u drives",
			   o->path, (unsigned long long)(ram_size >> 20), nharts, ndev, nds,
			   (unsigned long long)(m->ram.size >> 20), m->nharts, m->ndev, nd);
		return -1;
	}
	if (machine_record_get(&r, m->nharts, &sm) != 0)
		return snapfile_sec_fail(err, o, sec, &r, NULL);
	uint64_t npages = m->ram.npages;
	if (devstate_r_left(&r) != (npages + 7) / 8)
		return snapfile_sec_fail(err, o, sec, &r,
					 "the written-pages bitmap has the wrong "
					 "length");
	const uint8_t *bits = r.p + r.pos;
	r.pos += (npages + 7) / 8;
	if (devstate_r_finish(&r))
		return snapfile_sec_fail(err, o, sec, &r, NULL);
	machine_runstate_load(m, &sm);
	*dirty_bits = bits;
	*ndisks = nd;
	return 0;
}

static int snapfile_apply_device(const struct snapfile_one *o, const struct snapfile_sec *sec,
				 struct machine *m, unsigned *index, struct hv_err *err)
{
	struct devstate_r r, sub;

	devstate_r_init(&r, sec->raw, sec->len);
	uint32_t i = devstate_get_u32(&r);
	uint64_t base = devstate_get_u64(&r);
	char *name = snapfile_get_string(&r, 64);
	if (!name || i >= m->ndev) {
		free(name);
		return snapfile_sec_fail(err, o, sec, &r, "no such device");
	}
	const struct hv_dev *d = m->dev[i];
	if (strcmp(name, d->name) || base != d->base) {
		hv_err_set(err,
			   "snapshot file '%s' is of another machine: it has device %s at "
			   "%#llx where this machine has %s at %#llx",
			   o->path, name, (unsigned long long)base, d->name,
			   (unsigned long long)d->base);
		free(name);
		return -1;
	}
	free(name);
	*index = i;
	devstate_r_init(&sub, r.p + r.pos, devstate_r_left(&r));
	if (d->ops->restore && d->ops->restore(d->opaque, &sub) != 0) {
		hv_err_set(err,
			   "snapshot file '%s': device %s refuses its state in the section at "
			   "byte %llu (%s)",
			   o->path, d->name, (unsigned long long)sec->offset,
			   sub.msg[0] ? sub.msg : "malformed");
		return -1;
	}
	return 0;
}

/*
 * The scheduler (hv/platform/machine.c) runs, each round, every hart whose clock
 * (icount + itime_offset) is behind the round's end, itime + quantum: at
 * every moment a machine can be saved, each hart's clock lies in [itime,
 * itime + quantum] (between rounds all equal itime; a stop inside a round
 * leaves them within it). A hart far ahead would be passed over round
 * after round with nothing retiring (not even --max-instructions could
 * stop that), one behind would run a slice of that length; time_seen is
 * the largest mtime a hart has read and con_last_itime a hart's clock (the
 * watchdog counts from it), so neither is ahead of every hart. The machine
 * clock is below HV_ITIME_MAX (hv/platform/machine.h), as in every machine.
 */
static int snapfile_check_clocks(const struct snapfile_one *leaf, const struct snapfile_sec *ms,
				 const struct snapfile_sec *const *hart_sec,
				 const struct machine *m, struct hv_err *err)
{
	uint64_t itime = m->itime, latest = 0;
	char what[160];

	if (itime >= HV_ITIME_MAX)
		return snapfile_sec_fail(err, leaf, ms, NULL,
					 "the machine clock is past any "
					 "time a machine reaches");
	for (unsigned i = 0; i < m->nharts; i++) {
		const struct hart *h = m->hart[i];
		uint64_t local = h->icount + h->itime_offset;
		if (local < h->icount || local < itime || local - itime > m->cfg.quantum) {
			snprintf(what, sizeof(what),
				 "hart %u's clock, %llu, is not within one "
				 "quantum after the machine clock, %llu",
				 i, (unsigned long long)local, (unsigned long long)itime);
			return snapfile_sec_fail(err, leaf, hart_sec[i], NULL, what);
		}
		if (local > latest)
			latest = local;
	}
	if (m->time_seen > latest / HV_INSNS_PER_TICK || m->con_last_itime > latest)
		return snapfile_sec_fail(err, leaf, ms, NULL,
					 "the time seen or the last console "
					 "output is later than every hart's clock");
	return 0;
}

int snapfile_apply(struct snapfile *f, struct machine *m, struct snapfile_base *base,
		   struct hv_err *err)
{
	const struct snapfile_one *leaf = &f->chain[f->depth - 1];
	const struct snapfile_sec *ms = snapfile_find(leaf, SEC_MACHINE);
	unsigned ndisks = 0, nh = 0, nd = 0;
	const uint8_t *dirty_bits = NULL;

	if (snapfile_apply_machine(leaf, ms, m, &ndisks, &dirty_bits, err))
		return -1;
	/* Memory and disks, root first. */
	for (unsigned c = 0; c < f->depth; c++) {
		const struct snapfile_one *o = &f->chain[c];
		for (unsigned i = 0; i < o->nsec; i++) {
			const struct snapfile_sec *sec = &o->sec[i];
			int rc = 0;
			if (sec->type == SEC_RAM)
				rc = snapfile_apply_ram(o, sec, m, err);
			else if (sec->type == SEC_DRIVE)
				rc = snapfile_apply_drive(o, sec, m, ndisks, err);
			else if (sec->type == SEC_DISK)
				rc = snapfile_apply_disk(o, sec, m, ndisks, err);
			if (rc)
				return -1;
		}
	}
	/* Harts, then devices (the PLIC drives the harts' lines again), each
	 * exactly once. */
	const struct snapfile_sec *hart_sec[HV_MAX_HARTS] = { 0 };
	uint32_t dev_seen = 0;
	for (unsigned i = 0; i < leaf->nsec; i++) {
		const struct snapfile_sec *sec = &leaf->sec[i];
		unsigned idx = 0;
		if (sec->type == SEC_HART) {
			if (snapfile_apply_hart(leaf, sec, m, &idx, err))
				return -1;
			if (hart_sec[idx])
				return snapfile_sec_fail(err, leaf, sec, NULL,
							 "a hart stored twice");
			hart_sec[idx] = sec;
			nh++;
		}
	}
	for (unsigned i = 0; i < leaf->nsec; i++) {
		const struct snapfile_sec *sec = &leaf->sec[i];
		unsigned idx = 0;
		if (sec->type == SEC_DEVICE) {
			if (snapfile_apply_device(leaf, sec, m, &idx, err))
				return -1;
			if (dev_seen & (1u << idx))
				return snapfile_sec_fail(err, leaf, sec, NULL,
							 "a device stored twice");
			dev_seen |= 1u << idx;
			nd++;
		}
	}
	if (nh != m->nharts || nd != m->ndev) {
		hv_err_set(err, "snapshot file '%s' holds %u of %u harts and %u of %u devices",
			   leaf->path, nh, m->nharts, nd, m->ndev);
		return -1;
	}
	if (snapfile_check_clocks(leaf, ms, hart_sec, m, err))
		return -1;
	/* The pages written since the last digest, as they were. */
	machine_dirty_load_bits(m, dirty_bits);
	machine_clear_stop(m);
	if (base) {
		char *abs = realpath(leaf->path, NULL);
		struct snap *s = snap_take(m, err);
		if (!abs || !s) {
			free(abs);
			snap_free(s);
			if (!abs)
				hv_err_set(err, "cannot resolve '%s': %s", leaf->path,
					   strerror(errno));
			return -1;
		}
		snapfile_base_clear(base);
		base->path = abs;
		memcpy(base->id, leaf->id, SNAPFILE_ID_SIZE);
		base->snap = s;
	}
	return 0;
}
