// SPDX-License-Identifier: MIT
/*
 * Reading snapshot files (format in file.h): a chain of files, leaf to
 * root, into memory, checked as containers before anything is applied:
 * the header's and every section's checksums, that every stored part is
 * exactly one zstd frame of the announced length, the END count, the id
 * (a hash of the section headers), each child's parent id. What sections
 * hold is checked when they are applied (file_apply.c), against the
 * machine.
 *
 * The bytes are untrusted. There is one parser, over bytes:
 * snapfile_open_mem takes the leaf's bytes and asks a snapfile_source for
 * each parent's; snapfile_open is it over files (a parent is the path its
 * child names, or the file of that name beside the child).
 */
#include "snapshot/file_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include "base/crc32.h"
#include "base/le.h"
#include "base/sha256.h"

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

int snapfile_bad(struct hv_err *err, const char *path, uint64_t off, const char *what)
{
	hv_err_set(err, "snapshot file '%s' is damaged at byte %llu: %s; it cannot be loaded", path,
		   (unsigned long long)off, what);
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

/* Check one file's bytes (not its parent) into o; path names it in
 * messages. */
static int snapfile_read_one(const char *path, const uint8_t *data, size_t len,
			     struct snapfile_one *o, struct hv_err *err)
{
	int rc = -1;

	o->path = strdup(path);
	if (!o->path) {
		hv_err_set(err, "out of host memory");
		return -1;
	}
	if (len < SNAPFILE_HEADER_SIZE) {
		hv_err_set(err,
			   "'%s' is not a Retrovisor snapshot file (%zu bytes, shorter "
			   "than the header)",
			   path, len);
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
		hv_err_set(err,
			   "snapshot file '%s' has format version %u; this retrovisor reads "
			   "version %u only",
			   path, version, SNAPFILE_VERSION);
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
			snapfile_bad(err, path, off,
				     off == len ? "the file ends before its END "
						  "section (truncated)" :
						  "a section header is cut short "
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
			snapfile_bad(err, path, off,
				     "a section runs past the end of the file "
				     "(truncated)");
			goto out_d;
		}
		const uint8_t *z = h + SNAPFILE_SECTION_HEADER;
		if (crc32_compute(z, stored) != le_get32(h + 24)) {
			snapfile_bad(err, path, off,
				     "a section's checksum does not match its data");
			goto out_d;
		}
		if (ZSTD_findFrameCompressedSize(z, stored) != stored ||
		    ZSTD_getFrameContentSize(z, stored) != raw) {
			snapfile_bad(err, path, off,
				     "a section is not one zstd frame of its length");
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
				snapfile_bad(err, path, off,
					     "the END section does not count the "
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
		snapfile_bad(err, path, 16,
			     "the file's id does not match its sections (sections "
			     "were changed, dropped or reordered)");
		goto out_d;
	}
	rc = 0;
out_d:
	ZSTD_freeDCtx(dctx);
out:
	return rc;
}

const struct snapfile_sec *snapfile_find(const struct snapfile_one *o, uint32_t type)
{
	for (unsigned i = 0; i < o->nsec; i++)
		if (o->sec[i].type == type)
			return &o->sec[i];
	return NULL;
}

char *snapfile_get_string(struct devstate_r *r, size_t max)
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

static const char *snapfile_section_name(uint32_t type)
{
	static const char *const names[] = {
		[SEC_CONFIG] = "CONFIG", [SEC_PARENT] = "PARENT", [SEC_MACHINE] = "MACHINE",
		[SEC_HART] = "HART",     [SEC_DEVICE] = "DEVICE", [SEC_DRIVE] = "DRIVE",
		[SEC_DISK] = "DISK",     [SEC_RAM] = "RAM",       [SEC_END] = "END",
	};

	return type < sizeof(names) / sizeof(names[0]) && names[type] ? names[type] : "unknown";
}

int snapfile_sec_fail(struct hv_err *err, const struct snapfile_one *o,
		      const struct snapfile_sec *sec, const struct devstate_r *r, const char *what)
{
	hv_err_set(err, "snapshot file '%s': the %s section at byte %llu is malformed%s%s%s",
		   o->path, snapfile_section_name(sec->type), (unsigned long long)sec->offset,
		   what || (r && r->msg[0]) ? " (" : "",
		   what           ? what :
		   r && r->msg[0] ? r->msg :
				    "",
		   what || (r && r->msg[0]) ? ")" : "");
	return -1;
}

/* The MACHINE section's shape fields (the rest is read at apply time). */
static int snapfile_read_shape(const struct snapfile_one *o, uint64_t *ram_size, unsigned *nharts,
			       icount_t *icount, struct hv_err *err)
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

struct snapfile *snapfile_open_mem(const char *name, const uint8_t *data, size_t len,
				   const struct snapfile_source *parents, struct hv_err *err)
{
	struct snapfile_one tmp[SNAPFILE_MAX_DEPTH];
	struct snapfile *f = calloc(1, sizeof(*f));
	unsigned n = 0;
	char *next = NULL;

	memset(tmp, 0, sizeof(tmp));
	if (!f) {
		hv_err_set(err, "out of host memory");
		goto fail;
	}
	if (snapfile_read_one(name, data, len, &tmp[n], err))
		goto fail;
	/* Leaf first, following PARENT sections up to the root. */
	for (;;) {
		struct snapfile_one *o = &tmp[n++];
		const struct snapfile_sec *ps = snapfile_find(o, SEC_PARENT);
		if (!o->incremental) {
			if (ps) {
				hv_err_set(err, "snapshot file '%s' is full but names a parent",
					   o->path);
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
			snapfile_sec_fail(err, o, ps, &r,
					  next ? "the parent id disagrees with "
						 "the header" :
						 NULL);
			goto fail;
		}
		if (n == SNAPFILE_MAX_DEPTH) {
			hv_err_set(err, "snapshot file '%s' has more than %d ancestors (a loop?)",
				   name, SNAPFILE_MAX_DEPTH);
			goto fail;
		}
		if (!parents) {
			hv_err_set(err,
				   "snapshot file '%s' is incremental; its parent '%s' cannot "
				   "be read here",
				   o->path, next);
			goto fail;
		}
		uint8_t *pdata = NULL;
		size_t plen = 0;
		char *found = NULL;
		if (parents->read(parents->opaque, next, o->path, &pdata, &plen, &found, err))
			goto fail;
		int rc = snapfile_read_one(found, pdata, plen, &tmp[n], err);
		free(pdata);
		free(found);
		free(next);
		next = NULL;
		if (rc)
			goto fail;
	}
	/* Root first; each child must name its parent's id. */
	for (unsigned i = 0; i < n; i++)
		f->chain[i] = tmp[n - 1 - i];
	f->depth = n;
	memset(tmp, 0, sizeof(tmp));
	n = 0;
	for (unsigned i = 1; i < f->depth; i++) {
		if (memcmp(f->chain[i].parent_id, f->chain[i - 1].id, SNAPFILE_ID_SIZE)) {
			hv_err_set(err,
				   "snapshot file '%s' was saved over another parent than "
				   "'%s' (the parent was overwritten since)",
				   f->chain[i].path, f->chain[i - 1].path);
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
			hv_err_set(err,
				   "snapshot file '%s' is of another machine than its child "
				   "'%s'",
				   f->chain[i].path, leaf->path);
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

/* Parents from files: the path the child names, or, if nothing is there,
 * the file of that name beside the child (the two moved together). */
static int snapfile_source_file(void *opaque, const char *name, const char *child, uint8_t **data,
				size_t *len, char **found, struct hv_err *err)
{
	char *path = NULL;

	(void)opaque;
	if (access(name, F_OK) == 0) {
		path = strdup(name);
	} else {
		const char *base = strrchr(name, '/');
		const char *dir_end = strrchr(child, '/');
		if (asprintf(&path, "%.*s%s", dir_end ? (int)(dir_end - child + 1) : 0, child,
			     base ? base + 1 : name) < 0)
			path = NULL;
	}
	if (!path) {
		hv_err_set(err, "out of host memory");
		return -1;
	}
	if (snapfile_read_file(path, data, len, err)) {
		free(path);
		return -1;
	}
	*found = path;
	return 0;
}

struct snapfile *snapfile_open(const char *path, struct hv_err *err)
{
	static const struct snapfile_source files = { .read = snapfile_source_file };
	uint8_t *data;
	size_t len;

	if (snapfile_read_file(path, &data, &len, err))
		return NULL;
	struct snapfile *f = snapfile_open_mem(path, data, len, &files, err);
	free(data);
	return f;
}
