// SPDX-License-Identifier: MIT
/*
 * Reproducible-bug bundles: packing a record log and its images into one
 * file (format and interface in bundle.h).
 *
 * Packing streams each input once through a fixed 1 MiB buffer into both
 * SHA-256 and a zstd compressor, writing the frame behind a reserved
 * header and table; the table is written last, over the reserved space,
 * once every size, offset and hash is known. Hashing the bytes that are
 * packed, rather than hashing the file first and packing it afterwards,
 * leaves no window in which an image could change between the check and
 * the copy. The output appears under its final name only by rename, so a
 * bundle that exists is complete.
 *
 * Extraction is bundle_extract.c; bundle_impl.h holds what the two share.
 */
#include "replay/bundle.h"

#include "base/crc32.h"
#include "base/fdio.h"
#include "base/hex.h"
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

/*
 * A role becomes a file name, so it must not be able to name anything but
 * a plain file inside the extraction directory: 1-31 bytes of [a-z0-9_]
 * (no '/', no '.', so no "..", no hidden or temporary names), terminated
 * and padded with NULs inside its 32-byte field.
 */
bool bundle_role_is_safe(const char *role, size_t field)
{
	size_t len = 0;

	while (len < field && role[len])
		len++;
	if (len == 0 || len >= field)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = role[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
			return false;
	}
	for (size_t i = len; i < field; i++)
		if (role[i])
			return false;
	return true;
}

/* Untrusted role bytes, printable for a message. */
void bundle_role_show(const char *role, char out[BUNDLE_ROLE_SHOW_SIZE])
{
	size_t o = 0;

	for (size_t i = 0; i < BUNDLE_ROLE_SIZE && role[i]; i++) {
		unsigned char c = (unsigned char)role[i];

		if (c >= 0x20 && c < 0x7f && c != '\\' && c != '\'')
			out[o++] = (char)c;
		else
			o += (size_t)snprintf(out + o, 5, "\\x%02x", c);
	}
	out[o] = '\0';
}

static bool bundle_parse_sha256(const char *hex, uint8_t out[SHA256_DIGEST_SIZE])
{
	return strnlen(hex, 2 * SHA256_DIGEST_SIZE + 1) == 2 * SHA256_DIGEST_SIZE &&
	       hex_decode(hex, 2 * SHA256_DIGEST_SIZE, out, SHA256_DIGEST_SIZE) ==
		       SHA256_DIGEST_SIZE;
}

/* Header, entry table and seal, as bundle.h lays them out. */
static size_t bundle_encode_table(uint8_t *buf, const struct bundle_entry *e, unsigned count)
{
	size_t pos = BUNDLE_HEADER_SIZE;

	memset(buf, 0, (size_t)bundle_table_end(count));
	memcpy(buf, bundle_magic, sizeof(bundle_magic));
	le_put32(buf + 8, BUNDLE_VERSION);
	le_put32(buf + 12, count);
	for (unsigned i = 0; i < count; i++, pos += BUNDLE_ENTRY_SIZE) {
		memcpy(buf + pos, e[i].role, BUNDLE_ROLE_SIZE);
		le_put64(buf + pos + 32, e[i].size);
		le_put64(buf + pos + 40, e[i].offset);
		le_put64(buf + pos + 48, e[i].csize);
		le_put32(buf + pos + 56, e[i].crc);
		memcpy(buf + pos + 64, e[i].sha256, SHA256_DIGEST_SIZE);
	}
	sha256_digest(buf, pos, buf + pos);
	return pos + BUNDLE_SEAL_SIZE;
}

struct bundle_packer {
	const char *out; /* the temporary file, for messages */
	int fd;
	uint64_t off; /* where the next frame goes */
	ZSTD_CCtx *cctx;
	uint8_t *in;
	uint8_t *zout;
	size_t zout_size;
};

/* Compress SRC into the bundle as one frame, filling E (but its role). */
static int bundle_pack_entry(struct bundle_packer *p, const char *src, const char *what,
			     struct bundle_entry *e, struct hv_err *err)
{
	struct sha256_ctx sha;
	int fd;

	fd = open(src, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		hv_err_set(err, "cannot open the %s '%s' to bundle it: %s", what, src,
			   strerror(errno));
		return -1;
	}
	sha256_init(&sha);
	e->offset = p->off;
	e->size = 0;
	e->csize = 0;
	e->crc = 0;
	for (;;) {
		ssize_t got = read(fd, p->in, BUNDLE_IO_SIZE);
		ZSTD_EndDirective mode;
		ZSTD_inBuffer zin;
		size_t left;

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			hv_err_set(err, "cannot read the %s '%s' at offset %llu: %s", what, src,
				   (unsigned long long)e->size, strerror(errno));
			goto fail;
		}
		e->size += (uint64_t)got;
		if (e->size > BUNDLE_MAX_SIZE) {
			hv_err_set(err,
				   "the %s '%s' is larger than the %llu GiB a bundle entry "
				   "may hold",
				   what, src, BUNDLE_MAX_SIZE >> 30);
			goto fail;
		}
		sha256_update(&sha, p->in, (size_t)got);
		mode = got == 0 ? ZSTD_e_end : ZSTD_e_continue;
		zin = (ZSTD_inBuffer){ p->in, (size_t)got, 0 };
		do {
			ZSTD_outBuffer zout = { p->zout, p->zout_size, 0 };

			left = ZSTD_compressStream2(p->cctx, &zout, &zin, mode);
			if (ZSTD_isError(left)) {
				hv_err_set(err, "cannot compress the %s '%s': zstd says %s", what,
					   src, ZSTD_getErrorName(left));
				goto fail;
			}
			if (fd_pwrite_all(p->fd, p->zout, zout.pos, p->off) < 0) {
				hv_err_set(err, "cannot write '%s' at offset %llu: %s", p->out,
					   (unsigned long long)p->off, strerror(errno));
				goto fail;
			}
			e->crc = crc32_update(e->crc, p->zout, zout.pos);
			p->off += zout.pos;
			e->csize += zout.pos;
		} while (mode == ZSTD_e_end ? left != 0 : zin.pos < zin.size);
		if (got == 0)
			break;
	}
	sha256_final(&sha, e->sha256);
	close(fd);
	return 0;
fail:
	close(fd);
	return -1;
}

static int bundle_check_images(const struct bundle_image *imgs, unsigned n,
			       uint8_t want[][SHA256_DIGEST_SIZE], struct hv_err *err)
{
	if (n > BUNDLE_MAX_IMAGES) {
		hv_err_set(err, "cannot bundle %u images; a bundle holds at most %u", n,
			   BUNDLE_MAX_IMAGES);
		return -1;
	}
	for (unsigned i = 0; i < n; i++) {
		char show[BUNDLE_ROLE_SHOW_SIZE];

		bundle_role_show(imgs[i].role, show);
		/* The caller's field need not be NUL-padded, only terminated. */
		if (!memchr(imgs[i].role, '\0', BUNDLE_ROLE_SIZE) ||
		    !bundle_role_is_safe(imgs[i].role, strlen(imgs[i].role) + 1) ||
		    !strcmp(imgs[i].role, BUNDLE_LOG_ROLE)) {
			hv_err_set(err,
				   "image role '%s' is not 1-31 characters of [a-z0-9_] "
				   "other than \"log\"",
				   show);
			return -1;
		}
		for (unsigned j = 0; j < i; j++) {
			if (!strcmp(imgs[i].role, imgs[j].role)) {
				hv_err_set(err, "two images have the role '%s'", show);
				return -1;
			}
		}
		if (!memchr(imgs[i].path, '\0', BUNDLE_PATH_SIZE)) {
			hv_err_set(err, "the path of the %s image is longer than %u bytes", show,
				   BUNDLE_PATH_SIZE - 1);
			return -1;
		}
		if (!memchr(imgs[i].sha256, '\0', sizeof(imgs[i].sha256)) ||
		    !bundle_parse_sha256(imgs[i].sha256, want[i])) {
			hv_err_set(err,
				   "the recorded SHA-256 of the %s image '%s' is not 64 hex "
				   "digits",
				   show, imgs[i].path);
			return -1;
		}
	}
	return 0;
}

int bundle_write(const char *out_path, const char *log_path, const struct bundle_image *imgs,
		 unsigned n, struct hv_err *err)
{
	uint8_t want[BUNDLE_MAX_IMAGES][SHA256_DIGEST_SIZE];
	struct bundle_entry e[BUNDLE_MAX_ENTRIES];
	uint8_t table[BUNDLE_TABLE_MAX];
	struct bundle_packer p = { 0 };
	char tmp[BUNDLE_PATH_SIZE + 8];
	unsigned count = n + 1;
	size_t table_len;
	int ret = -1;

	if (bundle_check_images(imgs, n, want, err) < 0)
		return -1;
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", out_path) >= sizeof(tmp)) {
		hv_err_set(err, "bundle path '%s' is too long", out_path);
		return -1;
	}
	memset(e, 0, sizeof(e));
	p.out = tmp;
	p.off = bundle_table_end(count);
	p.zout_size = ZSTD_CStreamOutSize();
	p.in = malloc(BUNDLE_IO_SIZE);
	p.zout = malloc(p.zout_size);
	p.cctx = ZSTD_createCCtx();
	if (!p.in || !p.zout || !p.cctx) {
		hv_err_set(err, "out of host memory writing bundle '%s'", out_path);
		goto out_free;
	}
	/* The content checksum lets zstd itself reject a damaged frame as
	 * early as possible; the SHA-256 stays the authority. */
	if (ZSTD_isError(
		    ZSTD_CCtx_setParameter(p.cctx, ZSTD_c_compressionLevel, BUNDLE_ZSTD_LEVEL)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(p.cctx, ZSTD_c_checksumFlag, 1))) {
		hv_err_set(err, "cannot set up zstd to write bundle '%s'", out_path);
		goto out_free;
	}
	p.fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (p.fd < 0) {
		hv_err_set(err, "cannot create '%s': %s", tmp, strerror(errno));
		goto out_free;
	}

	strcpy(e[0].role, BUNDLE_LOG_ROLE);
	if (bundle_pack_entry(&p, log_path, "record log", &e[0], err) < 0)
		goto out_unlink;
	for (unsigned i = 0; i < n; i++) {
		char what[BUNDLE_ROLE_SIZE + 8];
		char got[SHA256_HEX_SIZE], exp[SHA256_HEX_SIZE];

		snprintf(what, sizeof(what), "%s image", imgs[i].role);
		memcpy(e[i + 1].role, imgs[i].role, strlen(imgs[i].role));
		if (bundle_pack_entry(&p, imgs[i].path, what, &e[i + 1], err) < 0)
			goto out_unlink;
		if (memcmp(e[i + 1].sha256, want[i], SHA256_DIGEST_SIZE)) {
			sha256_hex(e[i + 1].sha256, got);
			sha256_hex(want[i], exp);
			hv_err_set(err,
				   "the %s '%s' has SHA-256 %s but the recording was made "
				   "with %s; it changed since the recording, so it cannot be "
				   "bundled",
				   what, imgs[i].path, got, exp);
			goto out_unlink;
		}
	}

	table_len = bundle_encode_table(table, e, count);
	if (fd_pwrite_all(p.fd, table, table_len, 0) < 0 || fsync(p.fd) < 0) {
		hv_err_set(err, "cannot write '%s': %s", tmp, strerror(errno));
		goto out_unlink;
	}
	if (close(p.fd) < 0) {
		p.fd = -1;
		hv_err_set(err, "cannot write '%s': %s", tmp, strerror(errno));
		goto out_unlink;
	}
	p.fd = -1;
	if (rename(tmp, out_path) < 0) {
		hv_err_set(err, "cannot rename '%s' to '%s': %s", tmp, out_path, strerror(errno));
		goto out_unlink;
	}
	fd_sync_parent_dir(out_path);
	ret = 0;
	goto out_free;

out_unlink:
	if (p.fd >= 0)
		close(p.fd);
	unlink(tmp);
out_free:
	ZSTD_freeCCtx(p.cctx);
	free(p.zout);
	free(p.in);
	return ret;
}
