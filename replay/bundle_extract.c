// SPDX-License-Identifier: MIT
/*
 * Reproducible-bug bundles: extracting the record log and images that
 * bundle.c packed (format and interface in bundle.h).
 *
 * Extraction trusts nothing in the bundle. It validates the header and
 * the whole entry table (seal, roles, sizes, contiguous offsets that end
 * at the end of the file) before creating any file, then decompresses
 * each entry with a bounded output: it stops at the first byte beyond the
 * declared size, requires the frame to end exactly where the table says,
 * and compares the SHA-256 of the written bytes with the table. Files are
 * created with openat in a directory opened once, under a dot-prefixed
 * temporary name (roles cannot start with a dot, so it cannot collide),
 * with O_EXCL and O_NOFOLLOW, and renamed to the role when verified: no
 * byte is written outside DIR, and no unverified file carries a role's
 * name.
 *
 * Extraction reads through a reader source (base/rdsrc.h) and writes
 * through a sink (bundle.h): bundle_extract's sink is the directory just
 * described, bundle_unpack_mem's is the caller's, so a bundle in memory
 * (the fuzz target) passes through the very checks a file does.
 */
#include "replay/bundle.h"

#include "base/crc32.h"
#include "base/fdio.h"
#include "base/le.h"
#include "base/rdsrc.h"
#include "base/sha256.h"
#include "replay/bundle_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

bool bundle_is_bundle(const char *path)
{
	uint8_t magic[sizeof(bundle_magic)];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	bool yes;

	if (fd < 0)
		return false;
	yes = fd_pread_full(fd, magic, sizeof(magic), 0) == (ssize_t)sizeof(magic) &&
	      !memcmp(magic, bundle_magic, sizeof(magic));
	close(fd);
	return yes;
}

/* Fills E[0..*count) from the bundle's table, checking everything that can
 * be checked without reading the frames. */
static int bundle_read_table(const struct rdsrc *src, const char *path, struct bundle_entry *e,
			     unsigned *count_out, struct hv_err *err)
{
	uint64_t fsize = src->size;
	uint8_t buf[BUNDLE_TABLE_MAX];
	uint8_t seal[SHA256_DIGEST_SIZE];
	unsigned count, version;
	uint64_t end, expect;
	ssize_t got;

	if (fsize < BUNDLE_HEADER_SIZE) {
		hv_err_set(err, "bundle '%s' is %llu bytes, too short for its %u-byte header", path,
			   (unsigned long long)fsize, BUNDLE_HEADER_SIZE);
		return -1;
	}
	got = rdsrc_pread(src, buf, BUNDLE_HEADER_SIZE, 0);
	if (got != (ssize_t)BUNDLE_HEADER_SIZE) {
		hv_err_set(err, "cannot read the header of bundle '%s' at offset 0: %s", path,
			   got < 0 ? strerror(errno) : "the file shrank");
		return -1;
	}
	if (memcmp(buf, bundle_magic, sizeof(bundle_magic))) {
		hv_err_set(err,
			   "'%s' is not a reproducible-bug bundle (no \"RVSRBNDL\" magic at "
			   "offset 0)",
			   path);
		return -1;
	}
	version = le_get32(buf + 8);
	if (version != BUNDLE_VERSION) {
		hv_err_set(err,
			   "bundle '%s' is format version %u (offset 8), but this build "
			   "reads version %u",
			   path, version, BUNDLE_VERSION);
		return -1;
	}
	count = le_get32(buf + 12);
	if (count < 1 || count > BUNDLE_MAX_ENTRIES) {
		hv_err_set(err,
			   "bundle '%s' declares %u entries at offset 12, but a bundle "
			   "holds a log and at most %u images",
			   path, count, BUNDLE_MAX_IMAGES);
		return -1;
	}
	if (le_get64(buf + 16)) {
		hv_err_set(err, "bundle '%s' has a nonzero reserved field at offset 16", path);
		return -1;
	}
	end = bundle_table_end(count);
	if (fsize < end) {
		hv_err_set(err,
			   "bundle '%s' is truncated: its entry table ends at offset %llu "
			   "but the file is %llu bytes",
			   path, (unsigned long long)end, (unsigned long long)fsize);
		return -1;
	}
	got = rdsrc_pread(src, buf, (size_t)end, 0);
	if (got != (ssize_t)end) {
		hv_err_set(err, "cannot read the entry table of bundle '%s' at offset %u: %s", path,
			   BUNDLE_HEADER_SIZE, got < 0 ? strerror(errno) : "the file shrank");
		return -1;
	}
	sha256_digest(buf, (size_t)end - BUNDLE_SEAL_SIZE, seal);
	if (memcmp(seal, buf + end - BUNDLE_SEAL_SIZE, SHA256_DIGEST_SIZE)) {
		hv_err_set(err,
			   "bundle '%s' is corrupt: the checksum at offset %llu does not "
			   "match its header and entry table",
			   path, (unsigned long long)(end - BUNDLE_SEAL_SIZE));
		return -1;
	}

	expect = end;
	for (unsigned i = 0; i < count; i++) {
		uint64_t at = BUNDLE_HEADER_SIZE + (uint64_t)i * BUNDLE_ENTRY_SIZE;
		const uint8_t *p = buf + at;
		char show[BUNDLE_ROLE_SHOW_SIZE];

		memcpy(e[i].role, p, BUNDLE_ROLE_SIZE);
		e[i].size = le_get64(p + 32);
		e[i].offset = le_get64(p + 40);
		e[i].csize = le_get64(p + 48);
		e[i].crc = le_get32(p + 56);
		memcpy(e[i].sha256, p + 64, SHA256_DIGEST_SIZE);
		bundle_role_show(e[i].role, show);

		if (!bundle_role_is_safe(e[i].role, BUNDLE_ROLE_SIZE)) {
			hv_err_set(err,
				   "bundle '%s': entry %u at offset %llu has the role '%s', "
				   "which is not 1-31 characters of [a-z0-9_]",
				   path, i, (unsigned long long)at, show);
			return -1;
		}
		if ((i == 0) != !strcmp(e[i].role, BUNDLE_LOG_ROLE)) {
			hv_err_set(err,
				   "bundle '%s': entry %u at offset %llu has the role '%s', "
				   "but the first entry and only the first is the \"log\"",
				   path, i, (unsigned long long)at, show);
			return -1;
		}
		for (unsigned j = 0; j < i; j++) {
			if (!strcmp(e[i].role, e[j].role)) {
				hv_err_set(err,
					   "bundle '%s': entry %u at offset %llu repeats the "
					   "role '%s' of entry %u",
					   path, i, (unsigned long long)at, show, j);
				return -1;
			}
		}
		if (e[i].size > BUNDLE_MAX_SIZE) {
			hv_err_set(err,
				   "bundle '%s': entry %u ('%s') at offset %llu declares %llu "
				   "bytes, more than the %llu GiB limit",
				   path, i, show, (unsigned long long)at,
				   (unsigned long long)e[i].size, BUNDLE_MAX_SIZE >> 30);
			return -1;
		}
		if (le_get32(p + 60)) {
			hv_err_set(err,
				   "bundle '%s': entry %u at offset %llu has a nonzero "
				   "reserved field",
				   path, i, (unsigned long long)(at + 60));
			return -1;
		}
		if (e[i].offset != expect) {
			hv_err_set(err,
				   "bundle '%s': entry %u ('%s') at offset %llu places its "
				   "data at offset %llu, but it must start at %llu",
				   path, i, show, (unsigned long long)at,
				   (unsigned long long)e[i].offset, (unsigned long long)expect);
			return -1;
		}
		if (e[i].csize == 0 || e[i].csize > fsize - expect) {
			hv_err_set(err,
				   "bundle '%s' is truncated or corrupt: entry %u ('%s') "
				   "declares %llu compressed bytes at offset %llu, but the file "
				   "is %llu bytes",
				   path, i, show, (unsigned long long)e[i].csize,
				   (unsigned long long)expect, (unsigned long long)fsize);
			return -1;
		}
		expect += e[i].csize;
	}
	if (expect != fsize) {
		hv_err_set(err,
			   "bundle '%s' has %llu unexpected bytes after its last entry, "
			   "at offset %llu",
			   path, (unsigned long long)(fsize - expect), (unsigned long long)expect);
		return -1;
	}
	*count_out = count;
	return 0;
}

struct bundle_unpacker {
	const char *path; /* the bundle, for messages */
	struct rdsrc src;
	const struct bundle_sink *sink;
	ZSTD_DCtx *dctx;
	uint8_t *in;
	uint8_t *zout;
	size_t zout_size;
};

static int bundle_unpack_frame(struct bundle_unpacker *u, const struct bundle_entry *e,
			       unsigned idx, struct hv_err *err)
{
	char show[BUNDLE_ROLE_SHOW_SIZE];
	uint8_t sha[SHA256_DIGEST_SIZE];
	struct sha256_ctx c;
	ZSTD_inBuffer zin = { u->in, 0, 0 };
	uint64_t read_off = e->offset, end = e->offset + e->csize, out = 0;
	uint32_t crc = 0;

	bundle_role_show(e->role, show);
	sha256_init(&c);
	if (ZSTD_isError(ZSTD_DCtx_reset(u->dctx, ZSTD_reset_session_only))) {
		hv_err_set(err, "cannot reset zstd to extract bundle '%s'", u->path);
		return -1;
	}
	for (;;) {
		ZSTD_outBuffer zout = { u->zout, u->zout_size, 0 };
		size_t ret;

		if (zin.pos == zin.size && read_off < end) {
			uint64_t want = end - read_off;
			ssize_t got;

			if (want > BUNDLE_IO_SIZE)
				want = BUNDLE_IO_SIZE;
			got = rdsrc_pread(&u->src, u->in, (size_t)want, read_off);
			if (got != (ssize_t)want) {
				hv_err_set(err,
					   "cannot read bundle '%s' at offset %llu (entry %u, "
					   "'%s'): %s",
					   u->path, (unsigned long long)read_off, idx, show,
					   got < 0 ? strerror(errno) : "the file shrank");
				return -1;
			}
			crc = crc32_update(crc, u->in, (size_t)want);
			zin.size = (size_t)want;
			zin.pos = 0;
			read_off += want;
		}
		ret = ZSTD_decompressStream(u->dctx, &zout, &zin);
		if (ZSTD_isError(ret)) {
			hv_err_set(err,
				   "bundle '%s' is corrupt: entry %u ('%s') fails to "
				   "decompress near offset %llu: zstd says %s",
				   u->path, idx, show,
				   (unsigned long long)(read_off - (zin.size - zin.pos)),
				   ZSTD_getErrorName(ret));
			return -1;
		}
		if (zout.pos > e->size - out) {
			hv_err_set(err,
				   "bundle '%s' is corrupt: entry %u ('%s') at offset %llu "
				   "decompresses to more than its declared %llu bytes",
				   u->path, idx, show, (unsigned long long)e->offset,
				   (unsigned long long)e->size);
			return -1;
		}
		if (zout.pos) {
			if (u->sink->write(u->sink->opaque, u->zout, zout.pos, err) < 0)
				return -1;
			sha256_update(&c, u->zout, zout.pos);
			out += zout.pos;
		}
		if (ret == 0) {
			/* The frame is complete: it must fill its slot exactly. */
			if (zin.pos != zin.size || read_off != end) {
				hv_err_set(err,
					   "bundle '%s' is corrupt: entry %u ('%s') has bytes "
					   "after its compressed frame, at offset %llu",
					   u->path, idx, show,
					   (unsigned long long)(read_off - (zin.size - zin.pos)));
				return -1;
			}
			break;
		}
		if (zin.pos == zin.size && read_off == end && zout.pos < zout.size) {
			hv_err_set(err,
				   "bundle '%s' is corrupt: entry %u ('%s') ends at offset "
				   "%llu in the middle of its compressed frame",
				   u->path, idx, show, (unsigned long long)end);
			return -1;
		}
	}
	/* Every compressed byte has been read once the frame ended at its
	 * slot's end, so the CRC covers the whole stored frame. */
	if (crc != e->crc) {
		hv_err_set(err,
			   "bundle '%s' is corrupt: the compressed bytes of entry %u ('%s') "
			   "at offset %llu do not match their CRC-32",
			   u->path, idx, show, (unsigned long long)e->offset);
		return -1;
	}
	if (out != e->size) {
		hv_err_set(err,
			   "bundle '%s' is corrupt: entry %u ('%s') at offset %llu "
			   "decompresses to %llu bytes, not its declared %llu",
			   u->path, idx, show, (unsigned long long)e->offset,
			   (unsigned long long)out, (unsigned long long)e->size);
		return -1;
	}
	sha256_final(&c, sha);
	if (memcmp(sha, e->sha256, SHA256_DIGEST_SIZE)) {
		hv_err_set(err,
			   "bundle '%s' is corrupt: entry %u ('%s') at offset %llu does not "
			   "match its SHA-256",
			   u->path, idx, show, (unsigned long long)e->offset);
		return -1;
	}
	return 0;
}

/* Check the whole bundle in SRC and hand every entry, verified, to the
 * sink; *done counts the entries the sink committed. */
static int bundle_unpack_src(const struct rdsrc *src, const char *path,
			     const struct bundle_sink *sink, struct bundle_entry *e,
			     unsigned *count, unsigned *done, struct hv_err *err)
{
	struct bundle_unpacker u = { .path = path, .src = *src, .sink = sink };
	int ret = -1;

	*count = 0;
	*done = 0;
	if (bundle_read_table(src, path, e, count, err) < 0)
		return -1;
	u.zout_size = ZSTD_DStreamOutSize();
	u.in = malloc(BUNDLE_IO_SIZE);
	u.zout = malloc(u.zout_size);
	u.dctx = ZSTD_createDCtx();
	if (!u.in || !u.zout || !u.dctx ||
	    ZSTD_isError(ZSTD_DCtx_setParameter(u.dctx, ZSTD_d_windowLogMax,
						BUNDLE_ZSTD_WINDOW_LOG_MAX))) {
		hv_err_set(err, "out of host memory extracting bundle '%s'", path);
		goto out;
	}
	if (sink->prepare && sink->prepare(sink->opaque, err) < 0)
		goto out;
	for (; *done < *count; (*done)++) {
		const struct bundle_entry *en = &e[*done];

		if (sink->begin(sink->opaque, en->role, err) < 0)
			goto out;
		if (bundle_unpack_frame(&u, en, *done, err) < 0 ||
		    sink->commit(sink->opaque, err) < 0) {
			sink->discard(sink->opaque);
			goto out;
		}
	}
	ret = 0;
out:
	ZSTD_freeDCtx(u.dctx);
	free(u.zout);
	free(u.in);
	return ret;
}

int bundle_unpack_mem(const char *name, const void *buf, size_t len, const struct bundle_sink *sink,
		      struct hv_err *err)
{
	struct bundle_entry e[BUNDLE_MAX_ENTRIES];
	unsigned count, done;
	struct rdsrc src;

	rdsrc_from_mem(&src, buf, len);
	return bundle_unpack_src(&src, name, sink, e, &count, &done, err);
}

/* The sink of bundle_extract: DIR/.<role>.tmp, renamed to DIR/<role>. */
struct bundle_dir {
	const char *bundle; /* for messages */
	const char *dir;
	bool created; /* by this extraction, so removed on failure */
	int dirfd;
	int fd; /* of the entry being written */
	char role[BUNDLE_ROLE_SIZE];
	char tmpname[BUNDLE_ROLE_SIZE + 8];
};

static int bundle_dir_prepare(void *opaque, struct hv_err *err)
{
	struct bundle_dir *d = opaque;

	if (mkdir(d->dir, 0755) == 0)
		d->created = true;
	else if (errno != EEXIST) {
		hv_err_set(err, "cannot create directory '%s': %s", d->dir, strerror(errno));
		return -1;
	}
	d->dirfd = open(d->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (d->dirfd < 0) {
		hv_err_set(err, "cannot open directory '%s': %s", d->dir, strerror(errno));
		return -1;
	}
	return 0;
}

static int bundle_dir_begin(void *opaque, const char *role, struct hv_err *err)
{
	struct bundle_dir *d = opaque;

	snprintf(d->role, sizeof(d->role), "%s", role);
	snprintf(d->tmpname, sizeof(d->tmpname), ".%.31s.tmp", role);
	/* O_EXCL after the unlink: whatever was there, even a symbolic link
	 * planted to redirect the write, is not followed. */
	if (unlinkat(d->dirfd, d->tmpname, 0) < 0 && errno != ENOENT) {
		hv_err_set(err, "cannot remove '%s/%s': %s", d->dir, d->tmpname, strerror(errno));
		return -1;
	}
	d->fd = openat(d->dirfd, d->tmpname, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		       0644);
	if (d->fd < 0) {
		hv_err_set(err, "cannot create '%s/%s': %s", d->dir, d->tmpname, strerror(errno));
		return -1;
	}
	return 0;
}

static int bundle_dir_write(void *opaque, const uint8_t *buf, size_t len, struct hv_err *err)
{
	struct bundle_dir *d = opaque;

	if (fd_write_all(d->fd, buf, len) < 0) {
		hv_err_set(err, "cannot write '%s/%s' extracting bundle '%s': %s", d->dir,
			   d->tmpname, d->bundle, strerror(errno));
		return -1;
	}
	return 0;
}

static int bundle_dir_commit(void *opaque, struct hv_err *err)
{
	struct bundle_dir *d = opaque;
	int fd = d->fd;

	d->fd = -1;
	if (close(fd) < 0) {
		hv_err_set(err, "cannot write '%s/%s': %s", d->dir, d->tmpname, strerror(errno));
		return -1;
	}
	if (renameat(d->dirfd, d->tmpname, d->dirfd, d->role) < 0) {
		hv_err_set(err, "cannot rename '%s/%s' to '%s/%s': %s", d->dir, d->tmpname, d->dir,
			   d->role, strerror(errno));
		return -1;
	}
	return 0;
}

static void bundle_dir_discard(void *opaque)
{
	struct bundle_dir *d = opaque;

	if (d->fd >= 0)
		close(d->fd);
	d->fd = -1;
	unlinkat(d->dirfd, d->tmpname, 0);
}

int bundle_extract(const char *bundle_path, const char *dir, char *log_path_out,
		   struct bundle_image *imgs_out, unsigned *n_out, struct hv_err *err)
{
	struct bundle_entry e[BUNDLE_MAX_ENTRIES];
	struct bundle_dir d = { .bundle = bundle_path, .dir = dir, .dirfd = -1, .fd = -1 };
	const struct bundle_sink sink = {
		.opaque = &d,
		.prepare = bundle_dir_prepare,
		.begin = bundle_dir_begin,
		.write = bundle_dir_write,
		.commit = bundle_dir_commit,
		.discard = bundle_dir_discard,
	};
	unsigned count = 0, done = 0;
	struct rdsrc src;
	struct stat st;
	int ret = -1;
	int fd;

	if (strlen(dir) + 1 + BUNDLE_ROLE_SIZE > BUNDLE_PATH_SIZE) {
		hv_err_set(err, "extraction directory '%s' is too long", dir);
		return -1;
	}
	fd = open(bundle_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		hv_err_set(err, "cannot open bundle '%s': %s", bundle_path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		hv_err_set(err, "bundle '%s' is not a regular file", bundle_path);
		goto out;
	}
	rdsrc_from_fd(&src, fd, (uint64_t)st.st_size);
	if (bundle_unpack_src(&src, bundle_path, &sink, e, &count, &done, err) < 0)
		goto out;

	snprintf(log_path_out, BUNDLE_PATH_SIZE, "%s/%s", dir, e[0].role);
	for (unsigned i = 1; i < count; i++) {
		struct bundle_image *img = &imgs_out[i - 1];

		memset(img, 0, sizeof(*img));
		memcpy(img->role, e[i].role, BUNDLE_ROLE_SIZE);
		snprintf(img->path, sizeof(img->path), "%s/%s", dir, e[i].role);
		sha256_hex(e[i].sha256, img->sha256);
	}
	*n_out = count - 1;
	ret = 0;
out:
	if (ret < 0 && d.dirfd >= 0) {
		for (unsigned i = 0; i < done; i++)
			unlinkat(d.dirfd, e[i].role, 0);
	}
	if (d.dirfd >= 0)
		close(d.dirfd);
	if (ret < 0 && d.created)
		rmdir(dir);
	close(fd);
	return ret;
}
