// SPDX-License-Identifier: MIT
/*
 * Raw disk images with a copy-on-write overlay (interface in disk.h).
 *
 * The overlay is a two-level radix table over DISK_BLOCK_SIZE blocks: the
 * top level has one slot per DISK_LEAF_BLOCKS blocks (2 MiB of disk), a
 * leaf has one pointer per block, NULL while the block still reads from
 * the base file. Leaves and blocks are allocated on the first write, so a
 * large image that the guest barely touches costs a few KiB, and lookups
 * take two indexed loads (no hashing, no iteration order to worry about).
 *
 * Invariants: in snapshot mode the base file descriptor is O_RDONLY, so
 * no code path can modify the image; an overlay block always holds the
 * full current contents of its block (the base bytes it was copied from,
 * with the guest's writes on top; bytes past the end of a disk whose size
 * is not a multiple of DISK_BLOCK_SIZE stay zero and are never returned).
 *
 * Untrusted: offsets and lengths (from the guest, through virtio-blk) are
 * checked against the size without overflow; the file itself may shrink
 * under us, which turns into an error, not a short read passed on.
 */
#include "hv/disk.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DISK_LEAF_BITS 9
#define DISK_LEAF_BLOCKS (1u << DISK_LEAF_BITS)

struct disk_leaf {
	uint8_t *block[DISK_LEAF_BLOCKS];
};

struct disk {
	char *path;
	int fd;
	bool snapshot;
	bool read_only;
	uint64_t size;
	/* Overlay (snapshot mode only). */
	struct disk_leaf **leaf;
	uint64_t nleaves;
	uint64_t overlay_blocks;
};

struct disk *disk_open(const char *path, bool snapshot, struct hv_err *err)
{
	struct disk *d;
	struct stat st;
	off_t end;

	d = calloc(1, sizeof(*d));
	if (!d || !(d->path = strdup(path))) {
		free(d);
		hv_err_set(err, "out of host memory opening disk image '%s'", path);
		return NULL;
	}
	d->snapshot = snapshot;
	d->fd = open(path, (snapshot ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (d->fd < 0) {
		if (!snapshot && (errno == EACCES || errno == EROFS || errno == EPERM))
			hv_err_set(err, "disk image '%s' is not writable (%s); snapshot=off "
				   "writes to the file, use snapshot=on to keep writes in "
				   "memory", path, strerror(errno));
		else
			hv_err_set(err, "cannot open disk image '%s': %s", path,
				   strerror(errno));
		goto fail;
	}
	if (fstat(d->fd, &st) != 0) {
		hv_err_set(err, "cannot stat disk image '%s': %s", path, strerror(errno));
		goto fail;
	}
	if (S_ISDIR(st.st_mode)) {
		hv_err_set(err, "disk image '%s' is a directory", path);
		goto fail;
	}
	/* lseek also sizes block devices, where st_size is 0. */
	end = lseek(d->fd, 0, SEEK_END);
	if (end < 0) {
		hv_err_set(err, "cannot find the size of disk image '%s': %s", path,
			   strerror(errno));
		goto fail;
	}
	d->size = (uint64_t)end;
	if (d->size == 0) {
		hv_err_set(err, "disk image '%s' is empty", path);
		goto fail;
	}
	if (d->size % DISK_SECTOR_SIZE) {
		hv_err_set(err, "disk image '%s' is %llu bytes, not a multiple of %u-byte "
			   "sectors", path, (unsigned long long)d->size, DISK_SECTOR_SIZE);
		goto fail;
	}
	if (snapshot) {
		uint64_t nblocks = (d->size + DISK_BLOCK_SIZE - 1) / DISK_BLOCK_SIZE;

		d->nleaves = (nblocks + DISK_LEAF_BLOCKS - 1) / DISK_LEAF_BLOCKS;
		d->leaf = calloc(d->nleaves, sizeof(*d->leaf));
		if (!d->leaf) {
			hv_err_set(err, "out of host memory for the overlay of disk image '%s'",
				   path);
			goto fail;
		}
	}
	return d;
fail:
	disk_close(d);
	return NULL;
}

void disk_close(struct disk *d)
{
	if (!d)
		return;
	for (uint64_t i = 0; i < d->nleaves; i++) {
		if (!d->leaf[i])
			continue;
		for (unsigned j = 0; j < DISK_LEAF_BLOCKS; j++)
			free(d->leaf[i]->block[j]);
		free(d->leaf[i]);
	}
	free(d->leaf);
	if (d->fd >= 0)
		close(d->fd);
	free(d->path);
	free(d);
}

void disk_set_read_only(struct disk *d)
{
	d->read_only = true;
}

bool disk_read_only(const struct disk *d)
{
	return d->read_only;
}

uint64_t disk_size(const struct disk *d)
{
	return d->size;
}

const char *disk_path(const struct disk *d)
{
	return d->path;
}

uint64_t disk_overlay_bytes(const struct disk *d)
{
	return d->overlay_blocks * DISK_BLOCK_SIZE;
}

static bool disk_range_ok(const struct disk *d, uint64_t off, size_t len)
{
	return off <= d->size && len <= d->size - off;
}

/* pread exactly len bytes of the base file; the range is inside the size
 * found at open, so a short read means the file shrank. */
static int disk_pread(struct disk *d, uint64_t off, void *buf, size_t len, struct hv_err *err)
{
	uint8_t *p = buf;

	while (len) {
		ssize_t n = pread(d->fd, p, len, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			hv_err_set(err, "cannot read disk image '%s' at offset %llu: %s", d->path,
				   (unsigned long long)off, strerror(errno));
			return -1;
		}
		if (n == 0) {
			hv_err_set(err, "disk image '%s' ends at offset %llu, before its size "
				   "when it was opened (%llu bytes); was it truncated?", d->path,
				   (unsigned long long)off, (unsigned long long)d->size);
			return -1;
		}
		p += n;
		off += (uint64_t)n;
		len -= (size_t)n;
	}
	return 0;
}

static int disk_pwrite(struct disk *d, uint64_t off, const void *buf, size_t len,
		       struct hv_err *err)
{
	const uint8_t *p = buf;

	while (len) {
		ssize_t n = pwrite(d->fd, p, len, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			hv_err_set(err, "cannot write disk image '%s' at offset %llu: %s", d->path,
				   (unsigned long long)off,
				   n < 0 ? strerror(errno) : "no progress");
			return -1;
		}
		p += n;
		off += (uint64_t)n;
		len -= (size_t)n;
	}
	return 0;
}

/* The overlay copy of block b, or NULL if the block still reads from the
 * base file. */
static uint8_t *disk_overlay_find(const struct disk *d, uint64_t b)
{
	struct disk_leaf *l = d->leaf[b >> DISK_LEAF_BITS];

	return l ? l->block[b & (DISK_LEAF_BLOCKS - 1)] : NULL;
}

/* The overlay copy of block b, created from the base file if needed. */
static uint8_t *disk_overlay_get(struct disk *d, uint64_t b, struct hv_err *err)
{
	struct disk_leaf **lp = &d->leaf[b >> DISK_LEAF_BITS];
	uint8_t **bp;
	uint64_t start = b * DISK_BLOCK_SIZE;
	uint64_t n = d->size - start < DISK_BLOCK_SIZE ? d->size - start : DISK_BLOCK_SIZE;

	if (!*lp && !(*lp = calloc(1, sizeof(**lp)))) {
		hv_err_set(err, "out of host memory for the overlay of disk image '%s'", d->path);
		return NULL;
	}
	bp = &(*lp)->block[b & (DISK_LEAF_BLOCKS - 1)];
	if (*bp)
		return *bp;
	*bp = calloc(1, DISK_BLOCK_SIZE);
	if (!*bp) {
		hv_err_set(err, "out of host memory for the overlay of disk image '%s'", d->path);
		return NULL;
	}
	if (disk_pread(d, start, *bp, n, err) != 0) {
		free(*bp);
		*bp = NULL;
		return NULL;
	}
	d->overlay_blocks++;
	return *bp;
}

int disk_read(struct disk *d, uint64_t off, void *buf, size_t len, struct hv_err *err)
{
	uint8_t *p = buf;

	if (!disk_range_ok(d, off, len)) {
		hv_err_set(err, "read of %zu bytes at offset %llu is outside disk image '%s' "
			   "(%llu bytes)", len, (unsigned long long)off, d->path,
			   (unsigned long long)d->size);
		return -1;
	}
	if (!d->snapshot)
		return disk_pread(d, off, buf, len, err);
	/* Block by block; runs of blocks without an overlay copy are read
	 * from the base file in one pread. */
	while (len) {
		uint64_t b = off / DISK_BLOCK_SIZE;
		size_t in = (size_t)(off % DISK_BLOCK_SIZE);
		size_t chunk = DISK_BLOCK_SIZE - in;
		const uint8_t *copy = disk_overlay_find(d, b);

		if (chunk > len)
			chunk = len;
		if (copy) {
			memcpy(p, copy + in, chunk);
		} else {
			size_t run = chunk;

			while (run < len && !disk_overlay_find(d, (off + run) / DISK_BLOCK_SIZE))
				run += len - run < DISK_BLOCK_SIZE ? len - run : DISK_BLOCK_SIZE;
			if (disk_pread(d, off, p, run, err) != 0)
				return -1;
			chunk = run;
		}
		p += chunk;
		off += chunk;
		len -= chunk;
	}
	return 0;
}

int disk_write(struct disk *d, uint64_t off, const void *buf, size_t len, struct hv_err *err)
{
	const uint8_t *p = buf;

	if (d->read_only) {
		hv_err_set(err, "disk image '%s' is read-only", d->path);
		return -1;
	}
	if (!disk_range_ok(d, off, len)) {
		hv_err_set(err, "write of %zu bytes at offset %llu is outside disk image '%s' "
			   "(%llu bytes)", len, (unsigned long long)off, d->path,
			   (unsigned long long)d->size);
		return -1;
	}
	if (!d->snapshot)
		return disk_pwrite(d, off, buf, len, err);
	while (len) {
		uint64_t b = off / DISK_BLOCK_SIZE;
		size_t in = (size_t)(off % DISK_BLOCK_SIZE);
		size_t chunk = DISK_BLOCK_SIZE - in;
		uint8_t *copy = disk_overlay_get(d, b, err);

		if (!copy)
			return -1;
		if (chunk > len)
			chunk = len;
		memcpy(copy + in, p, chunk);
		p += chunk;
		off += chunk;
		len -= chunk;
	}
	return 0;
}

int disk_flush(struct disk *d, struct hv_err *err)
{
	if (d->snapshot)
		return 0;
	if (fdatasync(d->fd) != 0 && errno != EINVAL) {
		hv_err_set(err, "cannot flush disk image '%s': %s", d->path, strerror(errno));
		return -1;
	}
	return 0;
}
