/* SPDX-License-Identifier: MIT */
/*
 * Serialisation of device state for snapshots: a growable byte buffer
 * that devices append little-endian fields to (struct devstate_w), and a
 * bounds-checked reader of the same fields (struct devstate_r).
 *
 * The reader is fed bytes from snapshot files, so it trusts nothing: a
 * read past the end returns zero and sets the reader's error, which stays
 * set (every later read also returns zero), so a device may read a whole
 * record and check once. A device that finds a value it cannot hold (a
 * FIFO count above its capacity, a version it does not know) calls
 * devstate_r_fail with a sentence; the first failure is kept, with the
 * byte offset where it happened, for the error message the snapshot
 * loader prints (SQLite's habit: corrupt input is an error that says
 * where, never an assert).
 *
 * The writer never fails part-way silently: if host memory runs out it
 * drops every later field and sets its error, which the caller checks
 * once at the end.
 *
 * Contract of the hv_dev_ops save/restore pair (dev.h): save writes one
 * record that starts with a u32 format version; restore is given a
 * reader over exactly that record, must consume all of it (trailing
 * bytes are corruption), and on any malformed input returns -1 leaving
 * the device as it was. Host pointers are never written.
 */
#ifndef HV_DEVSTATE_H
#define HV_DEVSTATE_H

#include "hv/types.h"

#include <stddef.h>

struct devstate_w {
	uint8_t *buf;
	size_t len, cap;
	bool error; /* out of host memory: the record is incomplete */
};

struct devstate_r {
	const uint8_t *p;
	size_t len, pos;
	bool error;
	size_t err_pos; /* offset of the first failure */
	char msg[192];  /* the first failure, a sentence */
};

void devstate_w_init(struct devstate_w *w);
/* Free the buffer; w may be initialised again. */
void devstate_w_free(struct devstate_w *w);
void devstate_put_u8(struct devstate_w *w, uint8_t v);
void devstate_put_u16(struct devstate_w *w, uint16_t v);
void devstate_put_u32(struct devstate_w *w, uint32_t v);
void devstate_put_u64(struct devstate_w *w, uint64_t v);
void devstate_put_bytes(struct devstate_w *w, const void *p, size_t n);

/* A reader over [p, p + len); the bytes must outlive it. */
void devstate_r_init(struct devstate_r *r, const void *p, size_t len);
uint8_t devstate_get_u8(struct devstate_r *r);
uint16_t devstate_get_u16(struct devstate_r *r);
uint32_t devstate_get_u32(struct devstate_r *r);
uint64_t devstate_get_u64(struct devstate_r *r);
/* Copy n bytes to dst; on a short input dst is zero-filled. */
void devstate_get_bytes(struct devstate_r *r, void *dst, size_t n);
/* A u8 that must be 0 or 1. */
bool devstate_get_bool(struct devstate_r *r);
/* The next n bytes as a reader of their own (sub), consumed from r. On a
 * short input sets r's error, makes sub empty and returns false. */
bool devstate_r_sub(struct devstate_r *r, size_t n, struct devstate_r *sub);
/* The record's leading u32 version, which must be DEVSTATE_VERSION: 0, or
 * -1 with the error set (a short record, or "WHAT state version V is not
 * 1"). */
int devstate_get_version(struct devstate_r *r, const char *what);
/* Record the first malformed value (printf-style sentence); always
 * returns -1 so a restore can `return devstate_r_fail(...)`. */
int devstate_r_fail(struct devstate_r *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Bytes not yet read. */
size_t devstate_r_left(const struct devstate_r *r);
/* 0 if every byte was read without error; otherwise sets the error
 * ("trailing bytes") if needed and returns -1. */
int devstate_r_finish(struct devstate_r *r);
/* Copy the first error of sub into r (a device that parses a nested
 * record reports where it failed). Returns -1. */
int devstate_r_fail_from(struct devstate_r *r, const struct devstate_r *sub);

/*
 * A run of fixed-width fields that a record stores straight from struct
 * members, described once for save and restore: each field is as wide
 * as its member (an unsigned integer of 1, 2, 4 or 8 bytes, stored
 * little-endian), and a bool member is a u8 that must read 0 or 1.
 */
struct devstate_field {
	size_t off;
	uint8_t size;
	bool is_bool;
};

#define DEVSTATE_FIELD(type, member)                                 \
	{                                                            \
		offsetof(type, member), sizeof(((type *)0)->member), \
			_Generic(((type *)0)->member, bool           \
				 : true, default                     \
				 : false)                            \
	}

/* Append the n fields of obj. */
void devstate_put_fields(struct devstate_w *w, const void *obj, const struct devstate_field *f,
			 size_t n);
/* Read the n fields into obj (after a short input, with the error set,
 * the rest read as zero). */
void devstate_get_fields(struct devstate_r *r, void *obj, const struct devstate_field *f, size_t n);

/* Version written at the start of every device record (dev.h). */
#define DEVSTATE_VERSION 1u

/*
 * virtio device types keep state of their own behind the transport
 * (virtio.c): the transport's record ends with the device type's record,
 * length-prefixed, which these hooks write and read. A device type
 * without such state registers nothing and its part is empty. The
 * restore hook gets a reader over exactly its part and, like every
 * restore, returns -1 on malformed input leaving priv unchanged.
 */
struct virtio_dev;
struct virtio_state_ops {
	void (*save)(void *priv, struct devstate_w *w);
	int (*restore)(void *priv, struct devstate_r *r);
};
/* Register the hooks (ops must outlive the device); called by the
 * device type right after virtio_dev_attach. */
void virtio_dev_set_state_ops(struct virtio_dev *vd, const struct virtio_state_ops *ops);

#endif
