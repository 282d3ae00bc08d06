// SPDX-License-Identifier: MIT
/*
 * Device state serialisation (interface and contract in devstate.h).
 *
 * Every field is little-endian and unaligned, assembled byte by byte so
 * the format does not depend on the host. The writer doubles its buffer
 * and checks the size arithmetic for overflow; the reader compares each
 * request with the bytes left (never pos + n, which could wrap) and,
 * once in error, answers zero to everything, so no caller can read past
 * the input whatever lengths the input claims.
 */
#include "hv/devstate.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- writer ---- */

void devstate_w_init(struct devstate_w *w)
{
	memset(w, 0, sizeof(*w));
}

void devstate_w_free(struct devstate_w *w)
{
	free(w->buf);
	memset(w, 0, sizeof(*w));
}

/* Room for n more bytes; false (and the error set) if there is none. */
static bool devstate_w_reserve(struct devstate_w *w, size_t n)
{
	size_t cap;
	uint8_t *nb;

	if (w->error)
		return false;
	if (n <= w->cap - w->len)
		return true;
	if (n > SIZE_MAX / 2 - w->len) {
		w->error = true;
		return false;
	}
	cap = w->cap ? w->cap : 256;
	while (cap - w->len < n)
		cap *= 2;
	nb = realloc(w->buf, cap);
	if (!nb) {
		w->error = true;
		return false;
	}
	w->buf = nb;
	w->cap = cap;
	return true;
}

static void devstate_put_le(struct devstate_w *w, uint64_t v, unsigned n)
{
	if (!devstate_w_reserve(w, n))
		return;
	for (unsigned i = 0; i < n; i++)
		w->buf[w->len++] = (uint8_t)(v >> (8 * i));
}

void devstate_put_u8(struct devstate_w *w, uint8_t v)
{
	devstate_put_le(w, v, 1);
}

void devstate_put_u16(struct devstate_w *w, uint16_t v)
{
	devstate_put_le(w, v, 2);
}

void devstate_put_u32(struct devstate_w *w, uint32_t v)
{
	devstate_put_le(w, v, 4);
}

void devstate_put_u64(struct devstate_w *w, uint64_t v)
{
	devstate_put_le(w, v, 8);
}

void devstate_put_bytes(struct devstate_w *w, const void *p, size_t n)
{
	if (!n || !devstate_w_reserve(w, n))
		return;
	memcpy(w->buf + w->len, p, n);
	w->len += n;
}

/* ---- reader ---- */

void devstate_r_init(struct devstate_r *r, const void *p, size_t len)
{
	memset(r, 0, sizeof(*r));
	r->p = p;
	r->len = p ? len : 0;
}

int devstate_get_version(struct devstate_r *r, const char *what)
{
	uint32_t version = devstate_get_u32(r);

	if (r->error)
		return -1;
	if (version != DEVSTATE_VERSION)
		return devstate_r_fail(r, "%s state version %u is not %u", what, version,
				       DEVSTATE_VERSION);
	return 0;
}

int devstate_r_fail(struct devstate_r *r, const char *fmt, ...)
{
	va_list ap;

	if (r->error)
		return -1;
	r->error = true;
	r->err_pos = r->pos;
	va_start(ap, fmt);
	vsnprintf(r->msg, sizeof(r->msg), fmt, ap);
	va_end(ap);
	return -1;
}

int devstate_r_fail_from(struct devstate_r *r, const struct devstate_r *sub)
{
	if (r->error)
		return -1;
	r->error = true;
	r->err_pos = r->pos;
	snprintf(r->msg, sizeof(r->msg), "%s", sub->error ? sub->msg : "malformed nested record");
	return -1;
}

size_t devstate_r_left(const struct devstate_r *r)
{
	return r->error ? 0 : r->len - r->pos;
}

/* The next n bytes, or NULL (error set) if fewer are left. */
static const uint8_t *devstate_take(struct devstate_r *r, size_t n)
{
	const uint8_t *at;

	if (r->error)
		return NULL;
	if (n > r->len - r->pos) {
		devstate_r_fail(r, "state ends after %zu bytes; %zu more were expected", r->len,
				n - (r->len - r->pos));
		return NULL;
	}
	at = r->p + r->pos;
	r->pos += n;
	return at;
}

static uint64_t devstate_get_le(struct devstate_r *r, unsigned n)
{
	const uint8_t *at = devstate_take(r, n);
	uint64_t v = 0;

	if (!at)
		return 0;
	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)at[i] << (8 * i);
	return v;
}

uint8_t devstate_get_u8(struct devstate_r *r)
{
	return (uint8_t)devstate_get_le(r, 1);
}

uint16_t devstate_get_u16(struct devstate_r *r)
{
	return (uint16_t)devstate_get_le(r, 2);
}

uint32_t devstate_get_u32(struct devstate_r *r)
{
	return (uint32_t)devstate_get_le(r, 4);
}

uint64_t devstate_get_u64(struct devstate_r *r)
{
	return devstate_get_le(r, 8);
}

void devstate_get_bytes(struct devstate_r *r, void *dst, size_t n)
{
	const uint8_t *at;

	if (!n)
		return;
	at = devstate_take(r, n);
	if (at)
		memcpy(dst, at, n);
	else
		memset(dst, 0, n);
}

bool devstate_get_bool(struct devstate_r *r)
{
	uint8_t v = devstate_get_u8(r);

	if (v > 1) {
		r->pos--;
		devstate_r_fail(r, "a flag holds %u, not 0 or 1", v);
		return false;
	}
	return v;
}

/* The unsigned integer member of `size` bytes at p, as a number. */
static uint64_t devstate_member_load(const void *p, unsigned size)
{
	switch (size) {
	case 1:
		return *(const uint8_t *)p;
	case 2:
		return *(const uint16_t *)p;
	case 4:
		return *(const uint32_t *)p;
	default:
		return *(const uint64_t *)p;
	}
}

static void devstate_member_store(void *p, unsigned size, uint64_t v)
{
	if (size == 1)
		*(uint8_t *)p = (uint8_t)v;
	else if (size == 2)
		*(uint16_t *)p = (uint16_t)v;
	else if (size == 4)
		*(uint32_t *)p = (uint32_t)v;
	else
		*(uint64_t *)p = v;
}

void devstate_put_fields(struct devstate_w *w, const void *obj, const struct devstate_field *f,
			 size_t n)
{
	for (size_t i = 0; i < n; i++)
		devstate_put_le(w, devstate_member_load((const char *)obj + f[i].off, f[i].size),
				f[i].size);
}

void devstate_get_fields(struct devstate_r *r, void *obj, const struct devstate_field *f, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		void *p = (char *)obj + f[i].off;

		if (f[i].is_bool)
			*(bool *)p = devstate_get_bool(r);
		else
			devstate_member_store(p, f[i].size, devstate_get_le(r, f[i].size));
	}
}

bool devstate_r_sub(struct devstate_r *r, size_t n, struct devstate_r *sub)
{
	const uint8_t *at = devstate_take(r, n);

	devstate_r_init(sub, at, at ? n : 0);
	return at != NULL;
}

int devstate_r_finish(struct devstate_r *r)
{
	if (r->error)
		return -1;
	if (r->pos != r->len)
		return devstate_r_fail(r, "%zu unexpected bytes after the state", r->len - r->pos);
	return 0;
}
