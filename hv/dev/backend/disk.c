// SPDX-License-Identifier: MIT
/*
 * Raw disk images with a copy-on-write overlay and snapshots of it
 * (interface in disk.h; ARCHITECTURE.md section 4).
 *
 * The overlay is a two-level radix table over DISK_BLOCK_SIZE blocks: the
 * top level (struct disk_table) has one slot per DISK_LEAF_BLOCKS blocks
 * (2 MiB of disk), a leaf has one pointer per block, NULL while the block
 * still reads from the base file. Leaves and blocks are allocated on the
 * first write, so a large image that the guest barely touches costs a few
 * KiB, and lookups take two indexed loads.
 *
 * Sharing. Both levels are reference-counted, the counts living in the
 * objects themselves (never in one disk), so any number of disks and
 * snapshots may share them: a leaf counts the tables (disks' overlays and
 * snapshots) that point at it, a block counts the leaves that point at it.
 * Taking a snapshot copies the top level only and counts each leaf once
 * more, which makes it O(leaves) with no block copied. Before a disk
 * modifies a leaf or a block shared with anyone (count > 1) it replaces it
 * with a private copy (a copied leaf counts each of its blocks once more;
 * a copied block drops a reference to the original), so a write is never
 * visible through a snapshot or another disk. Restoring puts the
 * snapshot's leaves into the disk's table; leaves that are the same object
 * cost nothing, others are compared pointer by pointer to count the blocks
 * that differ. A block or leaf is freed when its count reaches zero, so a
 * snapshot keeps its blocks alive after the disk it came from is closed,
 * and disk_blocks_live counts what is left.
 *
 * Invariants: in snapshot mode the base file descriptor is O_RDONLY, so
 * no code path can modify the image; an overlay block always holds the
 * full current contents of its block (the base bytes it was copied from,
 * with the guest's writes on top; bytes past the end of a disk whose size
 * is not a multiple of DISK_BLOCK_SIZE stay zero and are never returned);
 * only objects with a count of 1 are ever modified; a table's nblocks is
 * the sum of its leaves' counts of non-NULL entries.
 *
 * Untrusted: offsets and lengths (from the guest, through virtio-blk) are
 * checked against the size without overflow; block numbers given to
 * disk_overlay_load (from snapshot files) are checked against the size;
 * the file itself may shrink under us, which turns into an error, not a
 * short read passed on. Single-threaded: the counts are plain integers.
 */
#include "hv/dev/backend/disk.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fdio.h"

#define DISK_LEAF_BITS 9
#define DISK_LEAF_BLOCKS (1u << DISK_LEAF_BITS)

struct disk_block {
	uint64_t refs; /* leaves pointing here */
	uint8_t data[DISK_BLOCK_SIZE];
};

struct disk_leaf {
	uint32_t refs;  /* tables (disks and snapshots) pointing here */
	uint32_t count; /* non-NULL entries of block[] */
	struct disk_block *block[DISK_LEAF_BLOCKS];
};

/* An overlay: a disk's current one, or a snapshot's frozen one. */
struct disk_table {
	uint64_t size; /* bytes of the image it lies over */
	uint64_t nleaves;
	uint64_t nblocks; /* blocks held */
	struct disk_leaf **leaf;
};

struct disk {
	char *path;
	int fd;
	bool snapshot;
	bool read_only;
	uint64_t size;
	struct disk_table overlay; /* snapshot mode only */
};

struct disk_snap {
	struct disk_table t;
};

/* Blocks allocated and not yet freed, by every disk of the process (a
 * statistic for leak tests); atomic, since machines may run on several
 * threads. */
static uint64_t disk_nblocks_live;

uint64_t disk_blocks_live(void)
{
	return __atomic_load_n(&disk_nblocks_live, __ATOMIC_RELAXED);
}

static uint64_t disk_table_leaves(uint64_t size)
{
	uint64_t nblocks = (size + DISK_BLOCK_SIZE - 1) / DISK_BLOCK_SIZE;

	return (nblocks + DISK_LEAF_BLOCKS - 1) / DISK_LEAF_BLOCKS;
}

static struct disk_block *disk_block_new(void)
{
	struct disk_block *blk = malloc(sizeof(*blk));

	if (blk) {
		blk->refs = 1;
		__atomic_fetch_add(&disk_nblocks_live, 1, __ATOMIC_RELAXED);
	}
	return blk;
}

static void disk_block_put(struct disk_block *blk)
{
	if (blk && --blk->refs == 0) {
		free(blk);
		__atomic_fetch_sub(&disk_nblocks_live, 1, __ATOMIC_RELAXED);
	}
}

static void disk_leaf_put(struct disk_leaf *l)
{
	if (!l || --l->refs)
		return;
	for (unsigned j = 0; j < DISK_LEAF_BLOCKS; j++)
		disk_block_put(l->block[j]);
	free(l);
}

/* Drop every reference t holds; t is empty afterwards. */
static void disk_table_clear(struct disk_table *t)
{
	for (uint64_t i = 0; i < t->nleaves; i++)
		disk_leaf_put(t->leaf[i]);
	free(t->leaf);
	t->leaf = NULL;
	t->nleaves = 0;
	t->nblocks = 0;
}

/* The leaf covering block b of t, made private to t (allocated empty if
 * absent, copied if shared), or NULL if host memory runs out. */
static struct disk_leaf *disk_leaf_own(struct disk_table *t, uint64_t b)
{
	struct disk_leaf **lp = &t->leaf[b >> DISK_LEAF_BITS];
	struct disk_leaf *l;

	if (*lp && (*lp)->refs == 1)
		return *lp;
	l = *lp ? malloc(sizeof(*l)) : calloc(1, sizeof(*l));
	if (!l)
		return NULL;
	if (*lp) {
		memcpy(l, *lp, sizeof(*l));
		for (unsigned j = 0; j < DISK_LEAF_BLOCKS; j++)
			if (l->block[j])
				l->block[j]->refs++;
		/* Shared, so this does not free it. */
		(*lp)->refs--;
	}
	l->refs = 1;
	*lp = l;
	return l;
}

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
			hv_err_set(err,
				   "disk image '%s' is not writable (%s); snapshot=off "
				   "writes to the file, use snapshot=on to keep writes in "
				   "memory",
				   path, strerror(errno));
		else
			hv_err_set(err, "cannot open disk image '%s': %s", path, strerror(errno));
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
		hv_err_set(err,
			   "disk image '%s' is %llu bytes, not a multiple of %u-byte "
			   "sectors",
			   path, (unsigned long long)d->size, DISK_SECTOR_SIZE);
		goto fail;
	}
	if (snapshot) {
		d->overlay.size = d->size;
		d->overlay.nleaves = disk_table_leaves(d->size);
		d->overlay.leaf = calloc(d->overlay.nleaves, sizeof(*d->overlay.leaf));
		if (!d->overlay.leaf) {
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
	/* Blocks shared with snapshots stay alive: they hold references. */
	disk_table_clear(&d->overlay);
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

bool disk_snapshot_mode(const struct disk *d)
{
	return d->snapshot;
}

uint64_t disk_overlay_bytes(const struct disk *d)
{
	return d->overlay.nblocks * DISK_BLOCK_SIZE;
}

/* 0 if [off, off + len) is inside the image; else -1 with err naming the
 * access (what: "read" or "write"). */
static int disk_check_range(const struct disk *d, const char *what, uint64_t off, size_t len,
			    struct hv_err *err)
{
	if (off <= d->size && len <= d->size - off)
		return 0;
	hv_err_set(err, "%s of %zu bytes at offset %llu is outside disk image '%s' (%llu bytes)",
		   what, len, (unsigned long long)off, d->path, (unsigned long long)d->size);
	return -1;
}

/* pread exactly len bytes of the base file; the range is inside the size
 * found at open, so a short read means the file shrank. */
static int disk_pread(struct disk *d, uint64_t off, void *buf, size_t len, struct hv_err *err)
{
	ssize_t n = fd_pread_full(d->fd, buf, len, off);

	if (n < 0) {
		hv_err_set(err, "cannot read disk image '%s' at offset %llu: %s", d->path,
			   (unsigned long long)off, strerror(errno));
		return -1;
	}
	if ((size_t)n < len) {
		hv_err_set(err,
			   "disk image '%s' ends at offset %llu, before its size "
			   "when it was opened (%llu bytes); was it truncated?",
			   d->path, (unsigned long long)(off + (uint64_t)n),
			   (unsigned long long)d->size);
		return -1;
	}
	return 0;
}

static int disk_pwrite(struct disk *d, uint64_t off, const void *buf, size_t len,
		       struct hv_err *err)
{
	if (fd_pwrite_all(d->fd, buf, len, off) < 0) {
		hv_err_set(err, "cannot write disk image '%s' at offset %llu: %s", d->path,
			   (unsigned long long)off, strerror(errno));
		return -1;
	}
	return 0;
}

/* The overlay copy of block b, or NULL if the block still reads from the
 * base file. */
static const uint8_t *disk_overlay_find(const struct disk *d, uint64_t b)
{
	const struct disk_leaf *l = d->overlay.leaf[b >> DISK_LEAF_BITS];
	const struct disk_block *blk = l ? l->block[b & (DISK_LEAF_BLOCKS - 1)] : NULL;

	return blk ? blk->data : NULL;
}

/* Bytes of block b that lie inside the image (less than DISK_BLOCK_SIZE
 * only for the last block). */
static size_t disk_block_bytes(uint64_t size, uint64_t b)
{
	uint64_t start = b * DISK_BLOCK_SIZE;

	return size - start < DISK_BLOCK_SIZE ? (size_t)(size - start) : DISK_BLOCK_SIZE;
}

/* Block b of d's overlay, private to d so that the caller may modify it:
 * read from the base file if absent, copied if shared. */
static uint8_t *disk_overlay_get(struct disk *d, uint64_t b, struct hv_err *err)
{
	struct disk_leaf *l = disk_leaf_own(&d->overlay, b);
	struct disk_block **bp, *blk;
	size_t n = disk_block_bytes(d->size, b);

	if (!l)
		goto oom;
	bp = &l->block[b & (DISK_LEAF_BLOCKS - 1)];
	if (*bp && (*bp)->refs == 1)
		return (*bp)->data;
	blk = disk_block_new();
	if (!blk)
		goto oom;
	if (*bp) {
		memcpy(blk->data, (*bp)->data, DISK_BLOCK_SIZE);
		/* Shared, so this does not free it. */
		disk_block_put(*bp);
	} else {
		memset(blk->data + n, 0, DISK_BLOCK_SIZE - n);
		if (disk_pread(d, b * DISK_BLOCK_SIZE, blk->data, n, err) != 0) {
			disk_block_put(blk);
			return NULL;
		}
		l->count++;
		d->overlay.nblocks++;
	}
	*bp = blk;
	return blk->data;
oom:
	hv_err_set(err, "out of host memory for the overlay of disk image '%s'", d->path);
	return NULL;
}

/* The first piece of [off, off + len) that lies in one block: in is its
 * offset inside the block; returns its length. */
static size_t disk_piece(uint64_t off, size_t len, size_t *in)
{
	size_t chunk;

	*in = (size_t)(off % DISK_BLOCK_SIZE);
	chunk = DISK_BLOCK_SIZE - *in;
	return chunk < len ? chunk : len;
}

int disk_read(struct disk *d, uint64_t off, void *buf, size_t len, struct hv_err *err)
{
	uint8_t *p = buf;

	if (disk_check_range(d, "read", off, len, err) != 0)
		return -1;
	if (!d->snapshot)
		return disk_pread(d, off, buf, len, err);
	/* Block by block; runs of blocks without an overlay copy are read
	 * from the base file in one pread. */
	while (len) {
		size_t in, chunk = disk_piece(off, len, &in);
		const uint8_t *copy = disk_overlay_find(d, off / DISK_BLOCK_SIZE);

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
	if (disk_check_range(d, "write", off, len, err) != 0)
		return -1;
	if (!d->snapshot)
		return disk_pwrite(d, off, buf, len, err);
	while (len) {
		size_t in, chunk = disk_piece(off, len, &in);
		uint8_t *copy = disk_overlay_get(d, off / DISK_BLOCK_SIZE, err);

		if (!copy)
			return -1;
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

/* Snapshots need the overlay: a file written in place cannot be frozen. */
static int disk_check_snapshot_mode(const struct disk *d, struct hv_err *err)
{
	if (d->snapshot)
		return 0;
	hv_err_set(err,
		   "drive '%s' writes through to its file (snapshot=off); snapshots "
		   "need snapshot=on",
		   d->path);
	return -1;
}

struct disk_snap *disk_snap_take(struct disk *d, struct hv_err *err)
{
	const struct disk_table *t = &d->overlay;
	struct disk_snap *s;

	if (disk_check_snapshot_mode(d, err) != 0)
		return NULL;
	s = malloc(sizeof(*s));
	if (s)
		s->t.leaf = malloc(t->nleaves * sizeof(*t->leaf));
	if (!s || !s->t.leaf) {
		free(s);
		hv_err_set(err, "out of host memory for a snapshot of disk image '%s'", d->path);
		return NULL;
	}
	s->t.size = t->size;
	s->t.nleaves = t->nleaves;
	s->t.nblocks = t->nblocks;
	memcpy(s->t.leaf, t->leaf, t->nleaves * sizeof(*t->leaf));
	/* From now on each leaf is shared, so d copies it before writing. */
	for (uint64_t i = 0; i < t->nleaves; i++)
		if (t->leaf[i])
			t->leaf[i]->refs++;
	return s;
}

/* How many of the blocks covered by leaves a and b (NULL: all absent)
 * are different objects. */
static uint64_t disk_leaf_diff(const struct disk_leaf *a, const struct disk_leaf *b)
{
	uint64_t n = 0;

	for (unsigned j = 0; j < DISK_LEAF_BLOCKS; j++)
		n += (a ? a->block[j] : NULL) != (b ? b->block[j] : NULL);
	return n;
}

int64_t disk_snap_restore(struct disk *d, const struct disk_snap *s, struct hv_err *err)
{
	struct disk_table *t = &d->overlay;
	uint64_t changed = 0;

	if (disk_check_snapshot_mode(d, err) != 0)
		return -1;
	if (s->t.size != d->size) {
		hv_err_set(err,
			   "cannot restore a snapshot of a %llu-byte disk into disk image "
			   "'%s', which is %llu bytes",
			   (unsigned long long)s->t.size, d->path, (unsigned long long)d->size);
		return -1;
	}
	/* Equal sizes mean equal table shapes; from here nothing can fail. */
	for (uint64_t i = 0; i < t->nleaves; i++) {
		struct disk_leaf *l = s->t.leaf[i];

		if (t->leaf[i] == l)
			continue;
		changed += disk_leaf_diff(t->leaf[i], l);
		if (l)
			l->refs++;
		disk_leaf_put(t->leaf[i]);
		t->leaf[i] = l;
	}
	t->nblocks = s->t.nblocks;
	return (int64_t)changed;
}

void disk_snap_free(struct disk_snap *s)
{
	if (!s)
		return;
	disk_table_clear(&s->t);
	free(s);
}

uint64_t disk_snap_blocks(const struct disk_snap *s)
{
	return s->t.nblocks;
}

uint64_t disk_snap_size(const struct disk_snap *s)
{
	return s->t.size;
}

int disk_snap_foreach(const struct disk_snap *s, const struct disk_snap *base,
		      int (*fn)(void *opaque, uint64_t block, const uint8_t *data), void *opaque)
{
	if (base && base->t.size != s->t.size)
		base = NULL;
	for (uint64_t i = 0; i < s->t.nleaves; i++) {
		const struct disk_leaf *l = s->t.leaf[i];
		const struct disk_leaf *bl = base ? base->t.leaf[i] : NULL;

		/* A leaf shared by both holds the same blocks. */
		if (l == bl)
			continue;
		for (unsigned j = 0; j < DISK_LEAF_BLOCKS; j++) {
			const struct disk_block *blk = l ? l->block[j] : NULL;
			const struct disk_block *bblk = bl ? bl->block[j] : NULL;
			uint64_t b = (i << DISK_LEAF_BITS) | j;
			int rc;

			if (blk == bblk)
				continue;
			if (blk && bblk && !memcmp(blk->data, bblk->data, DISK_BLOCK_SIZE))
				continue;
			rc = fn(opaque, b, blk ? blk->data : NULL);
			if (rc)
				return rc;
		}
	}
	return 0;
}

int disk_overlay_load(struct disk *d, uint64_t block, const uint8_t *data, struct hv_err *err)
{
	struct disk_table *t = &d->overlay;
	uint64_t nblocks = (d->size + DISK_BLOCK_SIZE - 1) / DISK_BLOCK_SIZE;
	unsigned j = block & (DISK_LEAF_BLOCKS - 1);
	struct disk_block *blk = NULL, *old;
	struct disk_leaf *l;

	if (disk_check_snapshot_mode(d, err) != 0)
		return -1;
	if (block >= nblocks) {
		hv_err_set(err,
			   "block %llu is outside disk image '%s' (%llu blocks of %u "
			   "bytes)",
			   (unsigned long long)block, d->path, (unsigned long long)nblocks,
			   DISK_BLOCK_SIZE);
		return -1;
	}
	l = t->leaf[block >> DISK_LEAF_BITS];
	if (!data && (!l || !l->block[j]))
		return 0;
	if (data) {
		size_t n = disk_block_bytes(d->size, block);

		blk = disk_block_new();
		if (!blk)
			goto oom;
		/* Keep the bytes past the image's end zero, whatever the file says. */
		memcpy(blk->data, data, n);
		memset(blk->data + n, 0, DISK_BLOCK_SIZE - n);
	}
	l = disk_leaf_own(t, block);
	if (!l) {
		disk_block_put(blk);
		goto oom;
	}
	old = l->block[j];
	l->block[j] = blk;
	if (old && !blk) {
		l->count--;
		t->nblocks--;
	} else if (!old && blk) {
		l->count++;
		t->nblocks++;
	}
	disk_block_put(old);
	if (!l->count) {
		disk_leaf_put(l);
		t->leaf[block >> DISK_LEAF_BITS] = NULL;
	}
	return 0;
oom:
	hv_err_set(err, "out of host memory loading block %llu of disk image '%s'",
		   (unsigned long long)block, d->path);
	return -1;
}
