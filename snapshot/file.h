/* SPDX-License-Identifier: MIT */
/*
 * Snapshot files (ARCHITECTURE.md sections 6 and 7): a machine's whole
 * state on disk, to load in another process and continue exactly.
 *
 * Format, version SNAPFILE_VERSION, all integers little-endian:
 *
 *   header, 64 bytes:  magic "RVSNAPSH", u32 version, u32 flags (bit 0:
 *                      incremental), id[16], parent id[16], 12 reserved
 *                      zero bytes, u32 CRC-32 of the 60 bytes before it
 *   sections, each:    u32 type, u32 zero, u64 raw length, u64 stored
 *                      length, u32 CRC-32 of the stored bytes, u32 CRC-32
 *                      of the 28 header bytes before it; then the stored
 *                      bytes: one zstd frame of exactly raw length bytes
 *   the last section:  END, holding the number of sections before it
 *
 * Section types: CONFIG (the text the caller gave: how to make the
 * machine again), PARENT (incremental files: the parent's absolute path),
 * MACHINE (RAM size, harts, devices, drives, clock and console state),
 * HART (one per hart: u32 index and the hart record, hv/cpu/hart.h), DEVICE
 * (one per bus device: name, address and the device's own versioned
 * record, hv/devstate.h), DRIVE (one per drive: the size and SHA-256 of
 * its base image), DISK (overlay blocks of one drive),
 * RAM (a range of pages: a bitmap and the pages it marks), END.
 *
 * A full file stores every page that is not zero and every overlay block.
 * An incremental file stores only what differs from its parent (pages and
 * blocks whose frame differs; a block dropped since is stored as absent);
 * loading it loads the parent chain first (at most SNAPFILE_MAX_DEPTH).
 * The id is derived from the section headers (so from every checksum) and
 * checked when loading: the same state saved twice gives the same file,
 * and well-formed sections cannot be dropped or swapped unnoticed.
 *
 * Version 3 stores harts as the hart record (CSRs from the CSR table);
 * files of version 2 or older are refused with a sentence naming both
 * versions.
 *
 * Files are untrusted: the whole chain is read and every length, checksum
 * and count of the containers is checked before the machine is touched,
 * and every value as it is applied (hart and device records, page and
 * block numbers, clocks that agree with each other as the scheduler needs
 * them to); a bad file is one sentence naming the file, the byte offset
 * and the problem, and a machine a file was refused into is to be thrown
 * away. Files are written under a temporary name and renamed.
 */
#ifndef SNAPSHOT_FILE_H
#define SNAPSHOT_FILE_H

#include <stdio.h>

#include "hv/platform/machine.h"

#define SNAPFILE_VERSION 3u
#define SNAPFILE_MAX_DEPTH 32
#define SNAPFILE_ID_SIZE 16

struct snap;
struct snapfile;

/* What a machine was last saved to or loaded from: the parent of the next
 * incremental save. Owned by the caller; snapfile_base_clear frees it. */
struct snapfile_base {
	char *path; /* absolute */
	uint8_t id[SNAPFILE_ID_SIZE];
	struct snap *snap; /* the machine's state at that moment */
};
void snapfile_base_clear(struct snapfile_base *b);

struct snapfile_stats {
	uint64_t raw_bytes;     /* state written, before compression */
	uint64_t file_bytes;    /* the file's size */
	uint64_t pages, blocks; /* RAM pages and overlay blocks stored */
};

/* Save m (between rounds or at an exact stop) to path. config is stored
 * for the loader (how to make the machine again). With incremental and a
 * base (base->snap set), only what changed since base is stored and the
 * file names base's file as its parent. On success base (if not NULL)
 * describes the new file. 0, or -1 with err (no file is left behind). */
int snapfile_save(struct machine *m, const char *path, const char *config,
		  struct snapfile_base *base, bool incremental, struct snapfile_stats *st,
		  struct hv_err *err);

/* Read and check a file and its parent chain. NULL with err. */
struct snapfile *snapfile_open(const char *path, struct hv_err *err);

/* Where an incremental file's parents come from. read: the bytes of the
 * parent that the file called child names as name in its PARENT section
 * (the absolute path it was saved over). 0 with *data and *len (malloc'd;
 * the reader frees them once read) and *found (malloc'd: the parent's
 * name in messages, and the child name of its own parent), or -1 with
 * err. The bytes need not be kept: the reader copies what it keeps. */
struct snapfile_source {
	int (*read)(void *opaque, const char *name, const char *child, uint8_t **data, size_t *len,
		    char **found, struct hv_err *err);
	void *opaque;
};
/* The same over bytes in memory: data (len bytes, not kept) is the leaf
 * file, called name in messages; parents (NULL: none can be read, an
 * incremental file is refused) supplies its ancestors. snapfile_open is
 * this over files. NULL with err. */
struct snapfile *snapfile_open_mem(const char *name, const uint8_t *data, size_t len,
				   const struct snapfile_source *parents, struct hv_err *err);
void snapfile_close(struct snapfile *f);
const char *snapfile_config(const struct snapfile *f);
icount_t snapfile_icount(const struct snapfile *f);
uint64_t snapfile_ram_size(const struct snapfile *f);
unsigned snapfile_harts(const struct snapfile *f);

/* Give m (just made by machine_create from the file's configuration,
 * nothing loaded or run) the file's state. Checks that m has the file's
 * shape (RAM, harts, devices, drives over the same images). If base is not
 * NULL it describes the file afterwards. 0, or -1 with err. */
int snapfile_apply(struct snapfile *f, struct machine *m, struct snapfile_base *base,
		   struct hv_err *err);

/* Print what a file holds (retrovisor snapshot info): of an open file, or
 * of the file at path. 0, or -1 with err (nothing printed). */
int snapfile_print(const struct snapfile *f, FILE *out, struct hv_err *err);
int snapfile_info(const char *path, FILE *out, struct hv_err *err);

#endif
