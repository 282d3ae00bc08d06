// SPDX-License-Identifier: MIT
/*
 * Snapshot files (format in file.h).
 *
 * Saving takes an in-memory snapshot first (snap.c), so that what is
 * written is one consistent state and so that the next incremental save
 * can tell what changed by frame identity (hv/ram.c: a page whose frame id
 * is the same holds the same bytes). Sections are compressed one by one
 * with zstd and written to PATH.tmp, which is renamed over PATH only when
 * complete and synced.
 *
 * Loading reads the whole chain into memory and checks it completely (the
 * header's and every section's checksums, that every stored part is
 * exactly one zstd frame of the announced length, the END count, the
 * parent's id) before anything is applied, then applies the root first
 * and each child over it; harts, devices and machine state come from the
 * last file. Every value a section holds is checked against the machine
 * it is applied to: a hart must accept its record (hv/hart.h: every CSR
 * the CSR table saves holds a value that CSR can hold), a device must
 * accept its record (hv/devstate.h), page and block numbers must be inside RAM
 * and the disk.
 */
#include "snapshot/file.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include "hv/devstate.h"
#include "hv/disk.h"
#include "base/crc32.h"
#include "base/fdio.h"
#include "base/le.h"
#include "base/sha256.h"
#include "snapshot/snap.h"
#include "snapshot/snap_impl.h"

#define SNAPFILE_MAGIC "RVSNAPSH"
#define SNAPFILE_HEADER_SIZE 64u
#define SNAPFILE_SECTION_HEADER 32u
#define SNAPFILE_FLAG_INCREMENTAL 1u
#define SNAPFILE_MAX_SECTION (64u << 20) /* raw bytes of one section */
#define SNAPFILE_RAM_CHUNK 1024u        /* pages per RAM section */
#define SNAPFILE_DISK_CHUNK 1024u       /* blocks per DISK section */
#define SNAPFILE_ZSTD_LEVEL 1
#define SNAPFILE_MACHINE_VERSION 1u

enum snapfile_section {
	SEC_CONFIG = 1,
	SEC_PARENT = 2,
	SEC_MACHINE = 3,
	SEC_HART = 4,
	SEC_DEVICE = 5,
	SEC_DRIVE = 6,
	SEC_DISK = 7,
	SEC_RAM = 8,
	SEC_END = 9,
};

static const char *const snapfile_section_name[] = {
	[SEC_CONFIG] = "CONFIG", [SEC_PARENT] = "PARENT", [SEC_MACHINE] = "MACHINE",
	[SEC_HART] = "HART",     [SEC_DEVICE] = "DEVICE", [SEC_DRIVE] = "DRIVE",
	[SEC_DISK] = "DISK",     [SEC_RAM] = "RAM",       [SEC_END] = "END",
};

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

/* HART section: u32 hart index, then the hart's record (hv/hart.h). */
static void snapfile_put_hart(struct devstate_w *r, unsigned idx, const struct hart *h)
{
	devstate_put_u32(r, idx);
	hart_save(h, r);
}

static void snapfile_put_machine(struct devstate_w *r, const struct snap *s)
{
	const struct snap_machine *sm = &s->mach;

	devstate_put_u32(r, SNAPFILE_MACHINE_VERSION);
	devstate_put_u64(r, s->ram_size);
	devstate_put_u32(r, s->nharts);
	devstate_put_u32(r, s->ndev);
	devstate_put_u32(r, s->ndisks);
	devstate_put_u64(r, sm->itime);
	devstate_put_u64(r, sm->rounds);
	devstate_put_u64(r, sm->time_seen);
	devstate_put_u64(r, sm->total_insns);
	devstate_put_bytes(r, sm->conin, sizeof(sm->conin));
	devstate_put_u32(r, sm->conin_head);
	devstate_put_u32(r, sm->conin_len);
	devstate_put_u8(r, sm->uart_used);
	devstate_put_bytes(r, sm->con_line, sizeof(sm->con_line));
	devstate_put_u32(r, sm->con_line_len);
	devstate_put_bytes(r, sm->panic_msg, sizeof(sm->panic_msg));
	devstate_put_u64(r, sm->con_last_itime);
	devstate_put_u32(r, (uint32_t)sm->last_run);
	for (unsigned i = 0; i < HV_VIRTIO_SLOTS; i++)
		devstate_put_u64(r, sm->blk_nreq[i]);
	devstate_put_u8(r, sm->round_progressed);
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
					    npages - first : SNAPFILE_RAM_CHUNK);
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
				want = memcmp(ram_frozen_page(s->ram, p), ram_frozen_page(base->ram, p),
					      HV_PAGE_SIZE) != 0;
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
		rc = disk_snap_foreach(s->disk[i], base ? base->disk[i] : NULL,
				       snapfile_disk_block, &dp);
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
	close(w.fd);
	w.fd = -1;
	if (rename(tmp, path) != 0) {
		hv_err_set(err, "cannot rename '%s' to '%s': %s", tmp, path, strerror(errno));
		goto fail;
	}
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

/* ---- Reading ---- */

struct snapfile_sec {
	uint32_t type;
	uint64_t offset; /* of the section header in its file */
	uint8_t *raw;
	size_t len;
};

struct snapfile_one {
	char *path;
	uint8_t id[SNAPFILE_ID_SIZE], parent_id[SNAPFILE_ID_SIZE];
	bool incremental;
	struct snapfile_sec *sec;
	unsigned nsec;
};

struct snapfile {
	struct snapfile_one chain[SNAPFILE_MAX_DEPTH]; /* [0] is the root */
	unsigned depth;
	char *config;
	uint64_t ram_size;
	unsigned nharts;
	icount_t icount;
};

static void snapfile_one_free(struct snapfile_one *o)
{
	for (unsigned i = 0; i < o->nsec; i++)
		free(o->sec[i].raw);
	free(o->sec);
	free(o->path);
	memset(o, 0, sizeof(*o));
}

void snapfile_close(struct snapfile *f)
{
	if (!f)
		return;
	for (unsigned i = 0; i < f->depth; i++)
		snapfile_one_free(&f->chain[i]);
	free(f->config);
	free(f);
}

static int snapfile_bad(struct hv_err *err, const char *path, uint64_t off, const char *what)
{
	hv_err_set(err, "snapshot file '%s' is damaged at byte %llu: %s; it cannot be loaded",
		   path, (unsigned long long)off, what);
	return -1;
}

static int snapfile_read_file(const char *path, uint8_t **data, size_t *len, struct hv_err *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;

	if (fd < 0) {
		hv_err_set(err, "cannot open snapshot file '%s': %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		hv_err_set(err, "snapshot file '%s' is not a regular file", path);
		close(fd);
		return -1;
	}
	size_t n = (size_t)st.st_size, got = 0;
	uint8_t *buf = malloc(n ? n : 1);
	if (!buf) {
		hv_err_set(err, "out of host memory reading '%s'", path);
		close(fd);
		return -1;
	}
	while (got < n) {
		ssize_t r = read(fd, buf + got, n - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	*data = buf;
	*len = got;
	return 0;
}

/* Read and check one file (not its parent). */
static int snapfile_read_one(const char *path, struct snapfile_one *o, struct hv_err *err)
{
	uint8_t *data;
	size_t len;
	int rc = -1;

	if (snapfile_read_file(path, &data, &len, err))
		return -1;
	o->path = strdup(path);
	if (!o->path) {
		hv_err_set(err, "out of host memory");
		goto out;
	}
	if (len < SNAPFILE_HEADER_SIZE) {
		hv_err_set(err, "'%s' is not a Retrovisor snapshot file (%zu bytes, shorter "
			   "than the header)", path, len);
		goto out;
	}
	if (memcmp(data, SNAPFILE_MAGIC, 8) != 0) {
		hv_err_set(err, "'%s' is not a Retrovisor snapshot file (no RVSNAPSH magic)", path);
		goto out;
	}
	if (le_get32(data + 60) != crc32_compute(data, 60)) {
		snapfile_bad(err, path, 0, "the header checksum does not match");
		goto out;
	}
	uint32_t version = le_get32(data + 8);
	if (version != SNAPFILE_VERSION) {
		hv_err_set(err, "snapshot file '%s' has format version %u; this retrovisor reads "
			   "version %u only", path, version, SNAPFILE_VERSION);
		goto out;
	}
	uint32_t flags = le_get32(data + 12);
	if (flags & ~SNAPFILE_FLAG_INCREMENTAL) {
		snapfile_bad(err, path, 12, "unknown flags");
		goto out;
	}
	o->incremental = flags & SNAPFILE_FLAG_INCREMENTAL;
	memcpy(o->id, data + 16, SNAPFILE_ID_SIZE);
	memcpy(o->parent_id, data + 32, SNAPFILE_ID_SIZE);

	ZSTD_DCtx *dctx = ZSTD_createDCtx();
	if (!dctx) {
		hv_err_set(err, "out of host memory");
		goto out;
	}
	/* The id is a hash of every section header (so of every section's
	 * checksum): a file whose sections were dropped, added or
	 * reordered, each still well-formed, does not match it. */
	struct sha256_ctx idhash;
	sha256_init(&idhash);
	uint64_t off = SNAPFILE_HEADER_SIZE;
	unsigned cap = 0;
	bool ended = false;
	while (!ended) {
		if (len - off < SNAPFILE_SECTION_HEADER) {
			snapfile_bad(err, path, off, off == len ? "the file ends before its END "
				     "section (truncated)" : "a section header is cut short "
				     "(truncated)");
			goto out_d;
		}
		const uint8_t *h = data + off;
		if (le_get32(h + 28) != crc32_compute(h, 28)) {
			snapfile_bad(err, path, off, "a section header checksum does not match");
			goto out_d;
		}
		sha256_update(&idhash, h, SNAPFILE_SECTION_HEADER);
		uint32_t type = le_get32(h);
		uint64_t raw = le_get64(h + 8), stored = le_get64(h + 16);
		if (type < SEC_CONFIG || type > SEC_END || le_get32(h + 4) != 0) {
			snapfile_bad(err, path, off, "unknown section type");
			goto out_d;
		}
		if (raw > SNAPFILE_MAX_SECTION || stored > ZSTD_compressBound(raw) || stored == 0) {
			snapfile_bad(err, path, off, "a section length is out of range");
			goto out_d;
		}
		if (stored > len - off - SNAPFILE_SECTION_HEADER) {
			snapfile_bad(err, path, off, "a section runs past the end of the file "
				     "(truncated)");
			goto out_d;
		}
		const uint8_t *z = h + SNAPFILE_SECTION_HEADER;
		if (crc32_compute(z, stored) != le_get32(h + 24)) {
			snapfile_bad(err, path, off, "a section's checksum does not match its data");
			goto out_d;
		}
		if (ZSTD_findFrameCompressedSize(z, stored) != stored ||
		    ZSTD_getFrameContentSize(z, stored) != raw) {
			snapfile_bad(err, path, off, "a section is not one zstd frame of its length");
			goto out_d;
		}
		if (o->nsec == cap) {
			unsigned ncap = cap ? cap * 2 : 64;
			struct snapfile_sec *ns = realloc(o->sec, ncap * sizeof(*ns));
			if (!ns) {
				hv_err_set(err, "out of host memory");
				goto out_d;
			}
			o->sec = ns;
			cap = ncap;
		}
		struct snapfile_sec *sec = &o->sec[o->nsec];
		sec->type = type;
		sec->offset = off;
		sec->len = (size_t)raw;
		sec->raw = malloc(raw ? raw : 1);
		if (!sec->raw) {
			hv_err_set(err, "out of host memory");
			goto out_d;
		}
		o->nsec++;
		size_t n = ZSTD_decompressDCtx(dctx, sec->raw, raw, z, stored);
		if (ZSTD_isError(n) || n != raw) {
			snapfile_bad(err, path, off, "a section does not decompress");
			goto out_d;
		}
		off += SNAPFILE_SECTION_HEADER + stored;
		if (type == SEC_END) {
			if (raw != 4 || le_get32(sec->raw) != o->nsec - 1) {
				snapfile_bad(err, path, off, "the END section does not count the "
					     "sections before it");
				goto out_d;
			}
			ended = true;
		}
	}
	if (off != len) {
		snapfile_bad(err, path, off, "bytes follow the END section");
		goto out_d;
	}
	uint8_t id[SHA256_DIGEST_SIZE];
	sha256_final(&idhash, id);
	if (memcmp(id, o->id, SNAPFILE_ID_SIZE) != 0) {
		snapfile_bad(err, path, 16, "the file's id does not match its sections (sections "
			     "were changed, dropped or reordered)");
		goto out_d;
	}
	rc = 0;
out_d:
	ZSTD_freeDCtx(dctx);
out:
	free(data);
	return rc;
}

static const struct snapfile_sec *snapfile_find(const struct snapfile_one *o, uint32_t type)
{
	for (unsigned i = 0; i < o->nsec; i++)
		if (o->sec[i].type == type)
			return &o->sec[i];
	return NULL;
}

/* A length-prefixed string (at most max bytes, no NUL inside) into a
 * malloc'd C string, or NULL with r's error set. */
static char *snapfile_get_string(struct devstate_r *r, size_t max)
{
	uint32_t n = devstate_get_u32(r);

	if (r->error || n > max || n > devstate_r_left(r)) {
		devstate_r_fail(r, "a string is longer than its record");
		return NULL;
	}
	char *s = malloc(n + 1);
	if (!s) {
		devstate_r_fail(r, "out of host memory");
		return NULL;
	}
	devstate_get_bytes(r, s, n);
	s[n] = 0;
	if (strlen(s) != n) {
		devstate_r_fail(r, "a string holds a NUL byte");
		free(s);
		return NULL;
	}
	return s;
}

static int snapfile_sec_fail(struct hv_err *err, const struct snapfile_one *o,
			     const struct snapfile_sec *sec, const struct devstate_r *r,
			     const char *what)
{
	hv_err_set(err, "snapshot file '%s': the %s section at byte %llu is malformed%s%s%s",
		   o->path, snapfile_section_name[sec->type], (unsigned long long)sec->offset,
		   what || (r && r->msg[0]) ? " (" : "", what ? what : r && r->msg[0] ? r->msg : "",
		   what || (r && r->msg[0]) ? ")" : "");
	return -1;
}

/* The MACHINE section's shape fields (the rest is read at apply time). */
static int snapfile_read_shape(const struct snapfile_one *o, uint64_t *ram_size,
			       unsigned *nharts, icount_t *icount, struct hv_err *err)
{
	const struct snapfile_sec *sec = snapfile_find(o, SEC_MACHINE);
	struct devstate_r r;

	if (!sec) {
		hv_err_set(err, "snapshot file '%s' has no MACHINE section", o->path);
		return -1;
	}
	devstate_r_init(&r, sec->raw, sec->len);
	if (devstate_get_u32(&r) != SNAPFILE_MACHINE_VERSION)
		return snapfile_sec_fail(err, o, sec, NULL, "unknown version");
	*ram_size = devstate_get_u64(&r);
	*nharts = devstate_get_u32(&r);
	devstate_get_u32(&r);
	devstate_get_u32(&r);
	devstate_get_u64(&r);
	devstate_get_u64(&r);
	devstate_get_u64(&r);
	*icount = devstate_get_u64(&r);
	if (r.error)
		return snapfile_sec_fail(err, o, sec, &r, NULL);
	return 0;
}

struct snapfile *snapfile_open(const char *path, struct hv_err *err)
{
	struct snapfile_one tmp[SNAPFILE_MAX_DEPTH];
	struct snapfile *f = calloc(1, sizeof(*f));
	unsigned n = 0;
	char *next = strdup(path);

	memset(tmp, 0, sizeof(tmp));
	if (!f || !next) {
		hv_err_set(err, "out of host memory");
		goto fail;
	}
	/* Leaf first, following PARENT sections up to the root. */
	for (;;) {
		if (n == SNAPFILE_MAX_DEPTH) {
			hv_err_set(err, "snapshot file '%s' has more than %d ancestors (a loop?)",
				   path, SNAPFILE_MAX_DEPTH);
			goto fail;
		}
		if (snapfile_read_one(next, &tmp[n], err))
			goto fail;
		free(next);
		next = NULL;
		struct snapfile_one *o = &tmp[n++];
		const struct snapfile_sec *ps = snapfile_find(o, SEC_PARENT);
		if (!o->incremental) {
			if (ps) {
				hv_err_set(err, "snapshot file '%s' is full but names a parent", o->path);
				goto fail;
			}
			break;
		}
		if (!ps) {
			hv_err_set(err, "snapshot file '%s' is incremental but names no parent",
				   o->path);
			goto fail;
		}
		struct devstate_r r;
		uint8_t pid[SNAPFILE_ID_SIZE];
		devstate_r_init(&r, ps->raw, ps->len);
		devstate_get_bytes(&r, pid, sizeof(pid));
		next = snapfile_get_string(&r, PATH_MAX);
		if (!next || devstate_r_finish(&r) || memcmp(pid, o->parent_id, sizeof(pid))) {
			snapfile_sec_fail(err, o, ps, &r, next ? "the parent id disagrees with "
					  "the header" : NULL);
			goto fail;
		}
		/* The parent moved along with its child: look beside it. */
		if (access(next, F_OK) != 0) {
			const char *base = strrchr(next, '/');
			const char *dir_end = strrchr(o->path, '/');
			char *alt = NULL;
			if (asprintf(&alt, "%.*s%s", dir_end ? (int)(dir_end - o->path + 1) : 0,
				     o->path, base ? base + 1 : next) >= 0) {
				free(next);
				next = alt;
			}
		}
	}
	/* Root first; each child must name its parent's id. */
	for (unsigned i = 0; i < n; i++)
		f->chain[i] = tmp[n - 1 - i];
	f->depth = n;
	memset(tmp, 0, sizeof(tmp));
	n = 0;
	for (unsigned i = 1; i < f->depth; i++) {
		if (memcmp(f->chain[i].parent_id, f->chain[i - 1].id, SNAPFILE_ID_SIZE)) {
			hv_err_set(err, "snapshot file '%s' was saved over another parent than "
				   "'%s' (the parent was overwritten since)", f->chain[i].path,
				   f->chain[i - 1].path);
			goto fail;
		}
	}
	/* The configuration and shape are the leaf's; every ancestor must
	 * be of the same machine. */
	const struct snapfile_one *leaf = &f->chain[f->depth - 1];
	const struct snapfile_sec *cs = snapfile_find(leaf, SEC_CONFIG);
	if (!cs) {
		hv_err_set(err, "snapshot file '%s' has no CONFIG section", leaf->path);
		goto fail;
	}
	struct devstate_r r;
	devstate_r_init(&r, cs->raw, cs->len);
	f->config = snapfile_get_string(&r, 1u << 20);
	if (!f->config || devstate_r_finish(&r)) {
		snapfile_sec_fail(err, leaf, cs, &r, NULL);
		goto fail;
	}
	if (snapfile_read_shape(leaf, &f->ram_size, &f->nharts, &f->icount, err))
		goto fail;
	for (unsigned i = 0; i + 1 < f->depth; i++) {
		uint64_t rs;
		unsigned nh;
		icount_t ic;
		if (snapfile_read_shape(&f->chain[i], &rs, &nh, &ic, err))
			goto fail;
		if (rs != f->ram_size || nh != f->nharts) {
			hv_err_set(err, "snapshot file '%s' is of another machine than its child "
				   "'%s'", f->chain[i].path, leaf->path);
			goto fail;
		}
	}
	return f;
fail:
	for (unsigned i = 0; i < SNAPFILE_MAX_DEPTH; i++)
		snapfile_one_free(&tmp[i]);
	free(next);
	snapfile_close(f);
	return NULL;
}

const char *snapfile_config(const struct snapfile *f)
{
	return f->config;
}

icount_t snapfile_icount(const struct snapfile *f)
{
	return f->icount;
}

uint64_t snapfile_ram_size(const struct snapfile *f)
{
	return f->ram_size;
}

unsigned snapfile_harts(const struct snapfile *f)
{
	return f->nharts;
}

/* ---- Applying ---- */

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
		hv_err_set(err, "snapshot file '%s' was taken over a %llu-byte drive %u ('%s'); "
			   "'%s' is %llu bytes", o->path, (unsigned long long)size, i, path,
			   disk_path(m->disk[i]), (unsigned long long)disk_size(m->disk[i]));
		free(path);
		return -1;
	}
	if (sha256_file(disk_path(m->disk[i]), have, err)) {
		free(path);
		return -1;
	}
	if (memcmp(sha, have, sizeof(sha))) {
		hv_err_set(err, "drive %u does not hold the image the snapshot was taken over "
			   "(SHA-256 differs): '%s' (snapshot file '%s', taken over '%s')", i,
			   disk_path(m->disk[i]), o->path, path);
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
			       struct machine *m, struct hv_err *err)
{
	struct devstate_r r, rec;

	devstate_r_init(&r, sec->raw, sec->len);
	uint32_t idx = devstate_get_u32(&r);
	if (r.error || idx >= m->nharts)
		return snapfile_sec_fail(err, o, sec, &r, "no such hart");
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
	struct snap_machine sm;
	unsigned nd = 0;

	devstate_r_init(&r, sec->raw, sec->len);
	devstate_get_u32(&r); /* version, checked at open */
	uint64_t ram_size = devstate_get_u64(&r);
	uint32_t nharts = devstate_get_u32(&r), ndev = devstate_get_u32(&r);
	uint32_t nds = devstate_get_u32(&r);
	while (nd < HV_VIRTIO_SLOTS && m->disk[nd])
		nd++;
	if (!r.error && (ram_size != m->ram.size || nharts != m->nharts || ndev != m->ndev ||
			 nds != nd)) {
		hv_err_set(err, "snapshot file '%s' is of another machine: %llu MiB, %u harts, "
			   "%u devices, %u drives; this one has %llu MiB, %u harts, %u devices, "
			   "%u drives", o->path, (unsigned long long)(ram_size >> 20), nharts,
			   ndev, nds, (unsigned long long)(m->ram.size >> 20), m->nharts, m->ndev,
			   nd);
		return -1;
	}
	sm.itime = devstate_get_u64(&r);
	sm.rounds = devstate_get_u64(&r);
	sm.time_seen = devstate_get_u64(&r);
	sm.total_insns = devstate_get_u64(&r);
	devstate_get_bytes(&r, sm.conin, sizeof(sm.conin));
	sm.conin_head = devstate_get_u32(&r);
	sm.conin_len = devstate_get_u32(&r);
	sm.uart_used = devstate_get_bool(&r);
	devstate_get_bytes(&r, sm.con_line, sizeof(sm.con_line));
	sm.con_line_len = devstate_get_u32(&r);
	devstate_get_bytes(&r, sm.panic_msg, sizeof(sm.panic_msg));
	sm.con_last_itime = devstate_get_u64(&r);
	sm.last_run = (int32_t)devstate_get_u32(&r);
	for (unsigned i = 0; i < HV_VIRTIO_SLOTS; i++)
		sm.blk_nreq[i] = devstate_get_u64(&r);
	sm.round_progressed = devstate_get_bool(&r);
	uint64_t npages = m->ram.npages;
	if (devstate_r_left(&r) != (npages + 7) / 8)
		return snapfile_sec_fail(err, o, sec, &r, "the written-pages bitmap has the wrong "
					 "length");
	const uint8_t *bits = r.p + r.pos;
	r.pos += (npages + 7) / 8;
	if (devstate_r_finish(&r))
		return snapfile_sec_fail(err, o, sec, &r, NULL);
	if (sm.conin_head >= sizeof(sm.conin) || sm.conin_len > sizeof(sm.conin) ||
	    sm.con_line_len >= sizeof(sm.con_line) ||
	    memchr(sm.panic_msg, 0, sizeof(sm.panic_msg)) == NULL ||
	    sm.last_run < -1 || sm.last_run >= (int32_t)m->nharts)
		return snapfile_sec_fail(err, o, sec, &r, "a value is out of range");
	snap_machine_load(m, &sm);
	*dirty_bits = bits;
	*ndisks = nd;
	return 0;
}

static int snapfile_apply_device(const struct snapfile_one *o, const struct snapfile_sec *sec,
				 struct machine *m, struct hv_err *err)
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
		hv_err_set(err, "snapshot file '%s' is of another machine: it has device %s at "
			   "%#llx where this machine has %s at %#llx", o->path, name,
			   (unsigned long long)base, d->name, (unsigned long long)d->base);
		free(name);
		return -1;
	}
	free(name);
	devstate_r_init(&sub, r.p + r.pos, devstate_r_left(&r));
	if (d->ops->restore && d->ops->restore(d->opaque, &sub) != 0) {
		hv_err_set(err, "snapshot file '%s': device %s refuses its state in the section at "
			   "byte %llu (%s)", o->path, d->name, (unsigned long long)sec->offset,
			   sub.msg[0] ? sub.msg : "malformed");
		return -1;
	}
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
	/* Harts, then devices (the PLIC drives the harts' lines again). */
	for (unsigned i = 0; i < leaf->nsec; i++) {
		const struct snapfile_sec *sec = &leaf->sec[i];
		if (sec->type == SEC_HART) {
			if (snapfile_apply_hart(leaf, sec, m, err))
				return -1;
			nh++;
		}
	}
	for (unsigned i = 0; i < leaf->nsec; i++) {
		const struct snapfile_sec *sec = &leaf->sec[i];
		if (sec->type == SEC_DEVICE) {
			if (snapfile_apply_device(leaf, sec, m, err))
				return -1;
			nd++;
		}
	}
	if (nh != m->nharts || nd != m->ndev) {
		hv_err_set(err, "snapshot file '%s' holds %u of %u harts and %u of %u devices",
			   leaf->path, nh, m->nharts, nd, m->ndev);
		return -1;
	}
	/* The pages written since the last digest, as they were. */
	for (uint64_t i = 0; i < m->ram.npages; i++)
		m->ram.dirty[i] = (dirty_bits[i / 8] >> (i % 8)) & 1;
	m->stop = STOP_NONE;
	if (base) {
		char *abs = realpath(leaf->path, NULL);
		struct snap *s = snap_take(m, err);
		if (!abs || !s) {
			free(abs);
			snap_free(s);
			if (!abs)
				hv_err_set(err, "cannot resolve '%s': %s", leaf->path, strerror(errno));
			return -1;
		}
		snapfile_base_clear(base);
		base->path = abs;
		memcpy(base->id, leaf->id, SNAPFILE_ID_SIZE);
		base->snap = s;
	}
	return 0;
}

int snapfile_info(const char *path, FILE *out, struct hv_err *err)
{
	struct snapfile *f = snapfile_open(path, err);

	if (!f)
		return -1;
	fprintf(out, "snapshot file %s\n", path);
	fprintf(out, "format version %u\n", SNAPFILE_VERSION);
	fprintf(out, "machine: %llu MiB RAM, %u harts\n",
		(unsigned long long)(f->ram_size >> 20), f->nharts);
	fprintf(out, "instructions retired: %llu\n", (unsigned long long)f->icount);
	for (unsigned c = f->depth; c-- > 0;) {
		const struct snapfile_one *o = &f->chain[c];
		uint64_t pages = 0, raw = 0, blocks = 0;
		char id[2 * SNAPFILE_ID_SIZE + 1];
		for (unsigned i = 0; i < SNAPFILE_ID_SIZE; i++)
			snprintf(id + 2 * i, 3, "%02x", o->id[i]);
		for (unsigned i = 0; i < o->nsec; i++) {
			raw += o->sec[i].len;
			if (o->sec[i].type == SEC_RAM)
				pages += le_get32(o->sec[i].raw + 12);
			if (o->sec[i].type == SEC_DISK)
				blocks += le_get32(o->sec[i].raw + 4);
		}
		fprintf(out, "%s %s: id %s, %s, %u sections, %llu pages, %llu disk blocks, "
			"%llu bytes of state\n", c + 1 == f->depth ? "file" : "parent", o->path,
			id, o->incremental ? "incremental" : "full", o->nsec,
			(unsigned long long)pages, (unsigned long long)blocks,
			(unsigned long long)raw);
	}
	fprintf(out, "configuration:\n%s", f->config);
	if (f->config[0] && f->config[strlen(f->config) - 1] != '\n')
		fputc('\n', out);
	snapfile_close(f);
	return 0;
}
