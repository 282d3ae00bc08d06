// SPDX-License-Identifier: MIT
/*
 * Writing snapshot files (format in file.h).
 *
 * Saving takes an in-memory snapshot first (snap.c), so that what is
 * written is one consistent state and so that the next incremental save
 * can tell what changed by frame identity (hv/mem/ram.c: a page whose frame id
 * is the same holds the same bytes). Sections are compressed one by one
 * with zstd and written to PATH.tmp, which is renamed over PATH only when
 * complete and synced: a write that fails (disk full) removes PATH.tmp, a
 * process killed while writing leaves PATH as it was.
 *
 * Reading is file_read.c (the chain, as containers), applying
 * file_apply.c (section contents into a machine), `snapshot info`
 * file_info.c; file_impl.h holds what they share.
 */
#include "snapshot/file_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

#include "hv/dev/backend/disk.h"
#include "base/crc32.h"
#include "base/fdio.h"
#include "base/le.h"
#include "base/sha256.h"
#include "snapshot/snap.h"
#include "snapshot/snap_impl.h"

void snapfile_base_clear(struct snapfile_base *b)
{
	free(b->path);
	snap_free(b->snap);
	memset(b, 0, sizeof(*b));
}

/* ---- Writing ---- */

struct snapfile_writer {
	int fd;
	const char *path;
	ZSTD_CCtx *cctx;
	uint8_t *out;
	size_t out_cap;
	uint64_t offset;
	uint32_t nsections;
	struct sha256_ctx idhash;
	struct snapfile_stats st;
	struct hv_err *err;
	bool failed;
};

static int snapfile_write_all(struct snapfile_writer *w, const void *buf, size_t len)
{
	if (fd_write_all(w->fd, buf, len) < 0) {
		hv_err_set(w->err, "cannot write snapshot file '%s': %s", w->path, strerror(errno));
		w->failed = true;
		return -1;
	}
	w->offset += (uint64_t)len;
	return 0;
}

/* Compress and write one section from the record r. */
static int snapfile_section(struct snapfile_writer *w, uint32_t type, struct devstate_w *r)
{
	uint8_t hdr[SNAPFILE_SECTION_HEADER];

	if (w->failed)
		return -1;
	if (r->error) {
		hv_err_set(w->err, "out of host memory saving a snapshot");
		w->failed = true;
		return -1;
	}
	size_t bound = ZSTD_compressBound(r->len);
	if (bound > w->out_cap) {
		uint8_t *o = realloc(w->out, bound);
		if (!o) {
			hv_err_set(w->err, "out of host memory saving a snapshot");
			w->failed = true;
			return -1;
		}
		w->out = o;
		w->out_cap = bound;
	}
	size_t n = ZSTD_compressCCtx(w->cctx, w->out, w->out_cap, r->buf, r->len,
				     SNAPFILE_ZSTD_LEVEL);
	if (ZSTD_isError(n)) {
		hv_err_set(w->err, "cannot compress a snapshot section: %s", ZSTD_getErrorName(n));
		w->failed = true;
		return -1;
	}
	le_put32(hdr, type);
	le_put32(hdr + 4, 0);
	le_put64(hdr + 8, r->len);
	le_put64(hdr + 16, n);
	le_put32(hdr + 24, crc32_compute(w->out, n));
	le_put32(hdr + 28, crc32_compute(hdr, 28));
	sha256_update(&w->idhash, hdr, sizeof(hdr));
	w->st.raw_bytes += r->len;
	w->nsections++;
	if (snapfile_write_all(w, hdr, sizeof(hdr)) || snapfile_write_all(w, w->out, n))
		return -1;
	return 0;
}

static void snapfile_put_string(struct devstate_w *r, const char *s)
{
	size_t n = strlen(s);

	devstate_put_u32(r, (uint32_t)n);
	devstate_put_bytes(r, s, n);
}

/* HART section: u32 hart index, then the hart's record (hv/cpu/hart.h). */
static void snapfile_put_hart(struct devstate_w *r, unsigned idx, const struct hart *h)
{
	devstate_put_u32(r, idx);
	hart_save(h, r);
}

static void snapfile_put_machine(struct devstate_w *r, const struct snap *s)
{
	const struct machine_runstate *sm = &s->mach;

	devstate_put_u32(r, SNAPFILE_MACHINE_VERSION);
	devstate_put_u64(r, s->ram_size);
	devstate_put_u32(r, s->nharts);
	devstate_put_u32(r, s->ndev);
	devstate_put_u32(r, s->ndisks);
	machine_record_put(r, sm);
	/* The pages written since the last digest, a bitmap. */
	uint64_t npages = s->ram_size >> HV_PAGE_SHIFT;
	for (uint64_t i = 0; i < npages; i += 8) {
		uint8_t b = 0;
		for (unsigned k = 0; k < 8 && i + k < npages; k++)
			b |= (uint8_t)((s->dirty[i + k] != 0) << k);
		devstate_put_u8(r, b);
	}
}

static bool page_is_zero(const uint8_t *p)
{
	static const uint8_t zero[HV_PAGE_SIZE];

	return memcmp(p, zero, HV_PAGE_SIZE) == 0;
}

/* RAM sections: pages of s that are not zero (no base) or whose frame
 * differs from base's. */
static int snapfile_put_ram(struct snapfile_writer *w, const struct snap *s,
			    const struct snap *base)
{
	uint64_t npages = ram_frozen_pages(s->ram);
	/* After a fork the base's frames are another pool's: ids say
	 * nothing, bytes do. */
	bool by_id = base && ram_frozen_same_pool(s->ram, base->ram);
	struct devstate_w r;

	devstate_w_init(&r);
	for (uint64_t first = 0; first < npages; first += SNAPFILE_RAM_CHUNK) {
		uint32_t count = (uint32_t)(npages - first < SNAPFILE_RAM_CHUNK ?
						    npages - first :
						    SNAPFILE_RAM_CHUNK);
		uint8_t bitmap[SNAPFILE_RAM_CHUNK / 8] = { 0 };
		uint32_t present = 0;

		for (uint32_t i = 0; i < count; i++) {
			uint64_t p = first + i;
			bool want;
			if (!base)
				want = !page_is_zero(ram_frozen_page(s->ram, p));
			else if (by_id)
				want = ram_frozen_fid(s->ram, p) != ram_frozen_fid(base->ram, p);
			else
				want = memcmp(ram_frozen_page(s->ram, p),
					      ram_frozen_page(base->ram, p), HV_PAGE_SIZE) != 0;
			if (want) {
				bitmap[i / 8] |= (uint8_t)(1u << (i % 8));
				present++;
			}
		}
		if (!present)
			continue;
		r.len = 0;
		devstate_put_u64(&r, first);
		devstate_put_u32(&r, count);
		devstate_put_u32(&r, present);
		devstate_put_bytes(&r, bitmap, (count + 7) / 8);
		for (uint32_t i = 0; i < count; i++)
			if (bitmap[i / 8] & (1u << (i % 8)))
				devstate_put_bytes(&r, ram_frozen_page(s->ram, first + i),
						   HV_PAGE_SIZE);
		w->st.pages += present;
		if (snapfile_section(w, SEC_RAM, &r))
			break;
	}
	devstate_w_free(&r);
	return w->failed ? -1 : 0;
}

struct snapfile_disk_put {
	struct snapfile_writer *w;
	struct devstate_w r;
	uint32_t drive, n;
	size_t count_at;
};

static int snapfile_disk_flush(struct snapfile_disk_put *dp)
{
	if (!dp->n)
		return 0;
	uint8_t *c = dp->r.buf + dp->count_at;
	if (!dp->r.error)
		le_put32(c, dp->n);
	dp->n = 0;
	int rc = snapfile_section(dp->w, SEC_DISK, &dp->r);
	dp->r.len = 0;
	return rc;
}

static int snapfile_disk_block(void *opaque, uint64_t block, const uint8_t *data)
{
	struct snapfile_disk_put *dp = opaque;

	if (dp->n == 0) {
		devstate_put_u32(&dp->r, dp->drive);
		dp->count_at = dp->r.len;
		devstate_put_u32(&dp->r, 0);
	}
	devstate_put_u64(&dp->r, block);
	devstate_put_u8(&dp->r, data != NULL);
	if (data)
		devstate_put_bytes(&dp->r, data, DISK_BLOCK_SIZE);
	dp->w->st.blocks++;
	if (++dp->n == SNAPFILE_DISK_CHUNK)
		return snapfile_disk_flush(dp);
	return 0;
}

static int snapfile_put_disks(struct snapfile_writer *w, struct machine *m, const struct snap *s,
			      const struct snap *base)
{
	for (unsigned i = 0; i < s->ndisks; i++) {
		struct devstate_w r;
		uint8_t sha[SHA256_DIGEST_SIZE];

		if (sha256_file(disk_path(m->disk[i]), sha, w->err)) {
			w->failed = true;
			return -1;
		}
		devstate_w_init(&r);
		devstate_put_u32(&r, i);
		devstate_put_u64(&r, disk_snap_size(s->disk[i]));
		devstate_put_bytes(&r, sha, sizeof(sha));
		snapfile_put_string(&r, disk_path(m->disk[i]));
		int rc = snapfile_section(w, SEC_DRIVE, &r);
		devstate_w_free(&r);
		if (rc)
			return -1;

		struct snapfile_disk_put dp = { .w = w, .drive = i };
		devstate_w_init(&dp.r);
		rc = disk_snap_foreach(s->disk[i], base ? base->disk[i] : NULL, snapfile_disk_block,
				       &dp);
		if (!rc)
			rc = snapfile_disk_flush(&dp);
		devstate_w_free(&dp.r);
		if (rc)
			return -1;
	}
	return 0;
}

int snapfile_save(struct machine *m, const char *path, const char *config,
		  struct snapfile_base *base, bool incremental, struct snapfile_stats *st,
		  struct hv_err *err)
{
	struct snapfile_writer w = { .fd = -1, .path = path, .err = err };
	const struct snap *parent = incremental && base ? base->snap : NULL;
	char *tmp = NULL, *abs = NULL;
	struct snap *s = NULL;
	struct devstate_w r;
	uint8_t hdr[SNAPFILE_HEADER_SIZE] = { 0 };
	uint8_t id[SHA256_DIGEST_SIZE];

	devstate_w_init(&r);
	if (incremental && (!base || !base->snap)) {
		hv_err_set(err, "an incremental snapshot needs a parent: save or load a full "
				"snapshot file first");
		return -1;
	}
	s = snap_take(m, err);
	if (!s)
		return -1;
	if (parent && snap_check_shape(m, parent, err))
		goto fail;
	if (asprintf(&tmp, "%s.tmp", path) < 0) {
		tmp = NULL;
		hv_err_set(err, "out of host memory");
		goto fail;
	}
	w.fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (w.fd < 0) {
		hv_err_set(err, "cannot create snapshot file '%s': %s", tmp, strerror(errno));
		goto fail;
	}
	w.cctx = ZSTD_createCCtx();
	if (!w.cctx) {
		hv_err_set(err, "out of host memory");
		goto fail;
	}
	sha256_init(&w.idhash);
	if (snapfile_write_all(&w, hdr, sizeof(hdr)))
		goto fail;

	snapfile_put_string(&r, config ? config : "");
	snapfile_section(&w, SEC_CONFIG, &r);
	if (parent) {
		r.len = 0;
		devstate_put_bytes(&r, base->id, SNAPFILE_ID_SIZE);
		snapfile_put_string(&r, base->path);
		snapfile_section(&w, SEC_PARENT, &r);
	}
	r.len = 0;
	snapfile_put_machine(&r, s);
	snapfile_section(&w, SEC_MACHINE, &r);
	for (unsigned i = 0; i < s->nharts; i++) {
		r.len = 0;
		snapfile_put_hart(&r, i, &s->harts[i]);
		snapfile_section(&w, SEC_HART, &r);
	}
	for (unsigned i = 0; i < s->ndev; i++) {
		r.len = 0;
		devstate_put_u32(&r, i);
		devstate_put_u64(&r, s->dev_base[i]);
		snapfile_put_string(&r, s->dev_name[i]);
		devstate_put_bytes(&r, s->dev[i].buf, s->dev[i].len);
		snapfile_section(&w, SEC_DEVICE, &r);
	}
	if (w.failed || snapfile_put_disks(&w, m, s, parent) || snapfile_put_ram(&w, s, parent))
		goto fail;
	r.len = 0;
	devstate_put_u32(&r, w.nsections);
	if (snapfile_section(&w, SEC_END, &r))
		goto fail;

	sha256_final(&w.idhash, id);
	memcpy(hdr, SNAPFILE_MAGIC, 8);
	le_put32(hdr + 8, SNAPFILE_VERSION);
	le_put32(hdr + 12, parent ? SNAPFILE_FLAG_INCREMENTAL : 0);
	memcpy(hdr + 16, id, SNAPFILE_ID_SIZE);
	if (parent)
		memcpy(hdr + 32, base->id, SNAPFILE_ID_SIZE);
	le_put32(hdr + 60, crc32_compute(hdr, 60));
	if (fd_pwrite_all(w.fd, hdr, sizeof(hdr), 0) != 0 || fsync(w.fd) != 0) {
		hv_err_set(err, "cannot write snapshot file '%s': %s", tmp, strerror(errno));
		goto fail;
	}
	/* Some file systems (NFS) report a failed write only at close. */
	if (close(w.fd) != 0) {
		w.fd = -1;
		hv_err_set(err, "cannot write snapshot file '%s': %s", tmp, strerror(errno));
		goto fail;
	}
	w.fd = -1;
	if (rename(tmp, path) != 0) {
		hv_err_set(err, "cannot rename '%s' to '%s': %s", tmp, path, strerror(errno));
		goto fail;
	}
	fd_sync_parent_dir(path);
	abs = realpath(path, NULL);
	if (!abs) {
		hv_err_set(err, "cannot resolve '%s': %s", path, strerror(errno));
		goto fail_saved;
	}
	w.st.file_bytes = w.offset;
	if (st)
		*st = w.st;
	if (base) {
		snapfile_base_clear(base);
		base->path = abs;
		memcpy(base->id, id, SNAPFILE_ID_SIZE);
		base->snap = s;
	} else {
		free(abs);
		snap_free(s);
	}
	free(tmp);
	free(w.out);
	ZSTD_freeCCtx(w.cctx);
	devstate_w_free(&r);
	return 0;
fail:
	if (w.fd >= 0)
		close(w.fd);
	if (tmp)
		unlink(tmp);
fail_saved:
	free(tmp);
	free(w.out);
	ZSTD_freeCCtx(w.cctx);
	devstate_w_free(&r);
	snap_free(s);
	return -1;
}
