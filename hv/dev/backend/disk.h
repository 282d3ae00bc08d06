/* SPDX-License-Identifier: MIT */
/*
 * Raw disk images for the block device, with a copy-on-write overlay and
 * copy-on-write snapshots of that overlay.
 *
 * A disk is a raw image file whose size is a multiple of 512 bytes. In
 * snapshot mode (the default of `--drive file=X`) the file is opened
 * read-only and never modified: the first write to a DISK_BLOCK_SIZE block
 * copies it into host memory, and every later access to that block uses
 * the copy (ARCHITECTURE.md section 4, "Disk images use the same scheme at
 * block granularity"). In write-through mode (snapshot=off) the file is
 * opened read-write and writes go straight to it; disk_flush makes them
 * durable, and there are no snapshots.
 *
 * Overlay blocks are reference-counted and may be shared by several disks
 * (machines forked from one snapshot, each with its own struct disk on the
 * same image) and snapshots: taking a snapshot copies no block, the first
 * write to a shared block gives the writer a private copy, so a write is
 * never visible through a snapshot or another disk. A snapshot owns its
 * references: it may outlive the disk it was taken from, and a block is
 * freed when its last holder (disk or snapshot) lets go.
 *
 * Offsets and lengths come from the guest through the block device, and
 * block numbers from snapshot files, so every call is bounds-checked; host
 * I/O failures come back as one sentence naming the file. Single-threaded:
 * every disk and snapshot sharing blocks must be used from one thread.
 */
#ifndef HV_DISK_H
#define HV_DISK_H

#include "hv/types.h"

#define DISK_SECTOR_SIZE 512u
#define DISK_BLOCK_SIZE 4096u /* overlay granularity */

struct disk;

/* Open the raw image at path. Returns NULL and fills err when the file
 * cannot be opened (for writing, if !snapshot), is empty, or its size is
 * not a multiple of DISK_SECTOR_SIZE. */
struct disk *disk_open(const char *path, bool snapshot, struct hv_err *err);
void disk_close(struct disk *d);

/* Refuse all further writes (the block device then offers VIRTIO_BLK_F_RO). */
void disk_set_read_only(struct disk *d);
bool disk_read_only(const struct disk *d);

uint64_t disk_size(const struct disk *d);
const char *disk_path(const struct disk *d);

/* Whether d keeps writes in the overlay (snapshot=on) rather than writing
 * through to its file. */
bool disk_snapshot_mode(const struct disk *d);

/* Bytes held by d's overlay, whether or not its blocks are shared with
 * other disks or snapshots (0 in write-through mode). */
uint64_t disk_overlay_bytes(const struct disk *d);

/* Read or write len bytes at byte offset off. [off, off + len) must lie
 * inside the disk. Return 0, or -1 with err filled. */
int disk_read(struct disk *d, uint64_t off, void *buf, size_t len, struct hv_err *err);
int disk_write(struct disk *d, uint64_t off, const void *buf, size_t len, struct hv_err *err);

/* Make completed writes durable (fdatasync in write-through mode; nothing
 * to do for the in-memory overlay). Returns 0 or -1 with err. */
int disk_flush(struct disk *d, struct hv_err *err);

/*
 * Snapshots of the overlay. A snapshot holds references to the blocks the
 * overlay held when it was taken (never to the base file's contents: a
 * block it does not hold reads from the image of whichever disk it is
 * restored into, which must be the same image for the result to mean
 * anything; only the size is checked).
 */
struct disk_snap;

/* Freeze d's overlay: no block is copied; d's next write to a block the
 * snapshot shares copies it first. NULL with err if d writes through to its
 * file (snapshot=off) or host memory runs out. */
struct disk_snap *disk_snap_take(struct disk *d, struct hv_err *err);
/* Make d's overlay the snapshot's (sharing its blocks: no block is copied).
 * d may be another disk object than the one the snapshot was taken from, as
 * long as it is over an image of the same size in snapshot mode (checked:
 * err otherwise). Returns how many blocks differed by identity (were put
 * back or dropped), or -1 with err (d unchanged). Never fails once the
 * checks pass. Take and restore cost one step per 2 MiB of image plus one
 * per block in the 2 MiB regions written since. */
int64_t disk_snap_restore(struct disk *d, const struct disk_snap *s, struct hv_err *err);
void disk_snap_free(struct disk_snap *s);
uint64_t disk_snap_blocks(const struct disk_snap *s); /* blocks it holds */
uint64_t disk_snap_size(const struct disk_snap *s);   /* image size it was taken over */

/* Call fn for the blocks of s in ascending order, data being the block's
 * DISK_BLOCK_SIZE bytes (valid while s lives; bytes past the end of the
 * image are zero). If base is NULL (or was taken over an image of another
 * size): every block s holds. Otherwise only blocks that may differ
 * between base and s: held by s with other contents than base's (blocks
 * shared by both, or equal byte for byte, are skipped), and, with data
 * NULL, blocks base holds but s does not (they read from the image again).
 * Stops and returns fn's value when it is non-zero; 0 otherwise. */
int disk_snap_foreach(const struct disk_snap *s, const struct disk_snap *base,
		      int (*fn)(void *opaque, uint64_t block, const uint8_t *data), void *opaque);

/* Loading a snapshot file: make block `block` of d's overlay hold data
 * (DISK_BLOCK_SIZE bytes; those past the end of the image are ignored), or
 * (data NULL) read from the image again. Blocks shared with snapshots or
 * other disks are not modified: d gets its own. d must be in snapshot mode
 * and block inside the disk. Returns 0, or -1 with err (d unchanged). */
int disk_overlay_load(struct disk *d, uint64_t block, const uint8_t *data, struct hv_err *err);

/* Overlay blocks alive in this process, counted once however many disks
 * and snapshots share them (for tests and memory accounting). */
uint64_t disk_blocks_live(void);

#endif
