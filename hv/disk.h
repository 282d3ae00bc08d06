/* SPDX-License-Identifier: MIT */
/*
 * Raw disk images for the block device, with a copy-on-write overlay.
 *
 * A disk is a raw image file whose size is a multiple of 512 bytes. In
 * snapshot mode (the default of `--drive file=X`) the file is opened
 * read-only and never modified: the first write to a DISK_BLOCK_SIZE block
 * copies it into host memory, and every later access to that block uses
 * the copy (ARCHITECTURE.md section 4, "Disk images use the same scheme at
 * block granularity"). The overlay lives as long as the disk. In
 * write-through mode (snapshot=off) the file is opened read-write and
 * writes go straight to it; disk_flush makes them durable.
 *
 * Offsets and lengths come from the guest through the block device, so
 * every call is bounds-checked; host I/O failures come back as one
 * sentence naming the file.
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

/* Bytes held by the copy-on-write overlay (0 in write-through mode). */
uint64_t disk_overlay_bytes(const struct disk *d);

/* Read or write len bytes at byte offset off. [off, off + len) must lie
 * inside the disk. Return 0, or -1 with err filled. */
int disk_read(struct disk *d, uint64_t off, void *buf, size_t len, struct hv_err *err);
int disk_write(struct disk *d, uint64_t off, const void *buf, size_t len, struct hv_err *err);

/* Make completed writes durable (fdatasync in write-through mode; nothing
 * to do for the in-memory overlay). Returns 0 or -1 with err. */
int disk_flush(struct disk *d, struct hv_err *err);

#endif
