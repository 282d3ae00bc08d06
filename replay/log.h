/* SPDX-License-Identifier: MIT */
/*
 * The record log: everything needed to re-execute a run exactly
 * (ARCHITECTURE.md section 6, docs/replay.md).
 *
 * A log is a file header followed by chunks; each chunk holds a run of
 * events, zstd-compressed, with a checksum. Events are, in order:
 *
 *   RLOG_CONFIG   first: the machine configuration and a SHA-256 of every
 *                 image, as "key=value\n" text (see record.c)
 *   RLOG_CONSOLE  console input bytes delivered to the machine
 *   RLOG_NET      one network frame delivered to the guest
 *   RLOG_IDLE     every guest waited and host input ended the wait early
 *                 (instead of the clock jumping to the next timer): empty
 *   RLOG_STOP     the host stopped the run (Ctrl-A x): data empty
 *   RLOG_DIGEST   a state digest (struct rlog_digest, little-endian, then
 *                 the hart count and every hart's registers as 8-byte words)
 *   RLOG_END      last: final digest, instruction count, exit status
 *
 * Every event is stamped with where it entered the machine: the scheduler
 * round (inputs enter only between rounds), the machine's total retired
 * instructions and the hart that was current (RLOG_NO_HART between
 * rounds). A run that is replayed from its log sees every event at the
 * same stamp.
 *
 * File layout (all integers little-endian):
 *
 *   header  "RVSRLOG\0" magic, u32 version (RLOG_VERSION), u32 flags (0),
 *           u64 reserved (0)                                   24 bytes
 *   chunk   "CHNK", u32 compressed size, u32 raw size, u32 event count,
 *           u64 first event's round, u32 crc32 of the compressed bytes,
 *           u32 crc32 of these 28 header bytes before it       32 bytes
 *           compressed bytes (zstd frame)
 *   event   (inside a chunk's raw bytes) u32 type, u32 hart, u64 round,
 *           u64 icount, u32 length, length bytes of data   28 + length
 *
 * The log is written under PATH.tmp and renamed to PATH when finished, so
 * a complete PATH always ends with RLOG_END. A recording that was cut off
 * (crash, kill) leaves PATH.tmp, which reads as incomplete but replays up
 * to its last whole chunk; one that fails to write (disk full) removes
 * PATH.tmp. Neither touches a file already under PATH.
 *
 * The file is untrusted: the reader checks the magic, the version, every
 * size against the remaining file and fixed limits, both checksums, and
 * the decompressed size, and reports the first problem with the file name
 * and offset; it never trusts a length it has not checked.
 */
#ifndef REPLAY_LOG_H
#define REPLAY_LOG_H

#include "hv/types.h"

#define RLOG_VERSION 1u
#define RLOG_NO_HART 0xffffffffu
#define RLOG_MAX_EVENT_DATA (1u << 20) /* largest event payload */
#define RLOG_MAX_CHUNK_RAW (8u << 20)  /* largest uncompressed chunk */

enum rlog_type {
	RLOG_CONFIG = 1,
	RLOG_CONSOLE = 2,
	RLOG_NET = 3,
	RLOG_IDLE = 4,
	RLOG_STOP = 5,
	RLOG_DIGEST = 6,
	RLOG_END = 7,
	RLOG_DEBUG = 8, /* a debugger's write (hv/cpu/debug.h), applied at its position */
};

struct rlog_event {
	uint32_t type;
	uint32_t hart;
	uint64_t round;
	uint64_t icount;
	uint32_t len;
	const uint8_t *data; /* valid until the next rlog_next / rlog_close */
};

/* RLOG_DIGEST and RLOG_END payload. */
struct rlog_digest {
	uint64_t machine; /* machine_digest-style hash of harts + dirty pages */
	uint64_t harts;   /* hash of all harts' architectural state */
	uint64_t pages;   /* hash of the pages written since the last digest */
	uint64_t npages;  /* how many such pages */
	uint64_t exit;    /* RLOG_END only: the exit status; else 0 */
};

struct rlog_writer;
struct rlog_reader;

/* Start writing PATH (as PATH.tmp until rlog_finish). */
struct rlog_writer *rlog_create(const char *path, struct hv_err *err);
/* Append an event (data copied). Chunks are flushed when they reach a size
 * limit or when rlog_flush is called. */
int rlog_append(struct rlog_writer *w, const struct rlog_event *ev, struct hv_err *err);
int rlog_flush(struct rlog_writer *w, struct hv_err *err);
/* Flush, fsync, rename PATH.tmp to PATH, free. The caller appended
 * RLOG_END first. */
int rlog_finish(struct rlog_writer *w, struct hv_err *err);
/* Free without renaming: the .tmp file stays, as after a crash, unless a
 * write to it failed, which removes it. */
void rlog_abandon(struct rlog_writer *w);
/* Bytes written to the file so far (compressed). */
uint64_t rlog_bytes_written(const struct rlog_writer *w);

/* Open a log for reading. PATH may be a finished log or a PATH.tmp. */
struct rlog_reader *rlog_open(const char *path, struct hv_err *err);
/* The same for the LEN bytes of a log at BUF, named NAME in messages. BUF
 * must stay valid and unchanged until rlog_close. */
struct rlog_reader *rlog_open_mem(const char *name, const void *buf, size_t len,
				  struct hv_err *err);
/* Next event: 1 and *ev filled, 0 at the end of the readable events, -1 on
 * a corrupt file (err says where). At 0, rlog_truncated() tells whether
 * the log ended without RLOG_END or with a partial last chunk. */
int rlog_next(struct rlog_reader *r, struct rlog_event *ev, struct hv_err *err);
bool rlog_truncated(const struct rlog_reader *r);
/* Offset of the chunk being read, for messages. */
uint64_t rlog_offset(const struct rlog_reader *r);
void rlog_close(struct rlog_reader *r);

/* Human-readable one-line name of an event type ("console", ...). */
const char *rlog_type_name(uint32_t type);

#endif
