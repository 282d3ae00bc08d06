/* SPDX-License-Identifier: MIT */
/*
 * The structured modes of the log and bundle fuzz targets: from the fuzz
 * input, build a record log (replay/log.h) or a bundle (replay/bundle.h)
 * whose checksums, seal and zstd frames are right, so that mutations land
 * in the event and table checks behind them instead of dying at the first
 * CRC. The input is read as a stream of small fields (fuzz.h's cursor);
 * when it runs out, every further field reads as 0, which still builds a
 * well-formed file.
 *
 * A log: the 24-byte file header, then up to FUZZ_LOG_MAX_CHUNKS chunks,
 * each built from
 *   u8  ctl      low 4 bits: which one field of the chunk to get wrong
 *                (below), 0-9 none; bit 4: this is the last chunk, and
 *                the file is then cut by a u16 of bytes; bit 5: compress
 *                without the content size in the zstd frame header
 *   u8  events   1 + this % 8 events, each:
 *     u8  type   1 + type % 8 (every valid type) below 0xf8, else the
 *                byte itself (an unknown type)
 *     u8  hart   0xff is RLOG_NO_HART
 *     u16 round, u32 icount
 *     u16 length (% 8 KiB), then that many payload bytes from the input
 *                (zeros where it has run out)
 * and the chunk's header then says what the events are, except for the
 * one field ctl names: 10 raw size, 11 event count, 12 first round,
 * 13 a compressed byte flipped (checksums made after), 14 bytes appended
 * after the last event, 15 a second zstd frame appended.
 *
 * A bundle: u8 ctl (bits 0-1: 1 + this images; bit 2: the log is a
 * structured log as above, else the next u16-prefixed blob; bits 4-7:
 * which table field of which entry to get wrong, 12: the file loses
 * its last byte), a u8 of which entry is wrong, then each entry's contents as a u16-prefixed blob. Roles are
 * "log", then "kernel", "initrd", "bios", "drive0". The table's seal is
 * computed after the damage, so only the field itself is wrong.
 */
#ifndef TESTS_FUZZ_LOG_BUILD_H
#define TESTS_FUZZ_LOG_BUILD_H

#include <zstd.h>

#include "base/crc32.h"
#include "base/le.h"
#include "base/sha256.h"
#include "tests/fuzz/fuzz.h"

#define FUZZ_LOG_MAX_CHUNKS 64
#define FUZZ_LOG_MAX_DATA (8u << 10)

struct fuzz_buf {
	uint8_t *p;
	size_t n, cap;
};

/* Room for n more bytes at the end (allocated even when n is 0, so that
 * an empty buffer still has an address). */
static inline uint8_t *fuzz_buf_grow(struct fuzz_buf *b, size_t n)
{
	if (!b->p || b->cap - b->n < n) {
		size_t cap = b->cap ? b->cap : 4096;

		while (cap - b->n < n)
			cap *= 2;
		b->p = realloc(b->p, cap);
		if (!b->p)
			abort();
		b->cap = cap;
	}
	b->n += n;
	return b->p + b->n - n;
}

static inline void fuzz_buf_put(struct fuzz_buf *b, const void *p, size_t n)
{
	uint8_t *d = fuzz_buf_grow(b, n);

	if (n)
		memcpy(d, p, n);
}

/* One zstd frame of src, with or without its content size. */
static inline void fuzz_zstd_frame(struct fuzz_buf *out, const uint8_t *src, size_t n,
				   bool content_size, bool checksum)
{
	ZSTD_CCtx *c = ZSTD_createCCtx();
	size_t bound = ZSTD_compressBound(n), got;
	uint8_t *d;

	if (!c)
		abort();
	ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel, 1);
	ZSTD_CCtx_setParameter(c, ZSTD_c_contentSizeFlag, content_size);
	ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, checksum);
	d = fuzz_buf_grow(out, bound);
	got = ZSTD_compress2(c, d, bound, src, n);
	if (ZSTD_isError(got))
		abort();
	out->n -= bound - got;
	ZSTD_freeCCtx(c);
}

static inline void fuzz_build_log(struct fuzz_in *in, struct fuzz_buf *out)
{
	uint8_t hdr[24] = "RVSRLOG";
	size_t cut = 0;

	le_put32(hdr + 8, 1);
	fuzz_buf_put(out, hdr, sizeof(hdr));
	for (unsigned c = 0; c < FUZZ_LOG_MAX_CHUNKS && in->n; c++) {
		unsigned ctl = (unsigned)fuzz_take(in, 1);
		unsigned nev = 1 + (unsigned)fuzz_take(in, 1) % 8;
		struct fuzz_buf raw = { 0 }, comp = { 0 };
		uint64_t first_round = 0;
		uint8_t ch[32];

		for (unsigned i = 0; i < nev; i++) {
			uint32_t t = (uint32_t)fuzz_take(in, 1);
			uint32_t hart = (uint32_t)fuzz_take(in, 1);
			uint64_t round = fuzz_take(in, 2);
			uint64_t icount = fuzz_take(in, 4);
			uint32_t len = (uint32_t)fuzz_take(in, 2) % FUZZ_LOG_MAX_DATA;
			uint32_t have = len < in->n ? len : (uint32_t)in->n;
			uint8_t *e = fuzz_buf_grow(&raw, 28 + len);

			le_put32(e, t < 0xf8 ? 1 + t % 8 : t);
			le_put32(e + 4, hart == 0xff ? 0xffffffffu : hart);
			le_put64(e + 8, round);
			le_put64(e + 16, icount);
			le_put32(e + 24, len);
			memset(e + 28, 0, len);
			memcpy(e + 28, in->p, have);
			in->p += have;
			in->n -= have;
			if (i == 0)
				first_round = round;
		}
		if ((ctl & 15) == 14)
			fuzz_buf_put(&raw, "trailing", 8);
		fuzz_zstd_frame(&comp, raw.p, raw.n, !(ctl & 32), false);
		if ((ctl & 15) == 15)
			fuzz_zstd_frame(&comp, (const uint8_t *)"x", 1, true, false);
		if ((ctl & 15) == 13 && comp.n)
			comp.p[fuzz_take(in, 2) % comp.n] ^= (uint8_t)(fuzz_take(in, 1) | 1);
		memcpy(ch, "CHNK", 4);
		le_put32(ch + 4, (uint32_t)comp.n);
		le_put32(ch + 8, (uint32_t)raw.n +
					 ((ctl & 15) == 10 ? (uint32_t)fuzz_take(in, 1) - 128 : 0));
		le_put32(ch + 12,
			 nev + ((ctl & 15) == 11 ? (uint32_t)(int8_t)fuzz_take(in, 1) : 0));
		le_put64(ch + 16, first_round + ((ctl & 15) == 12));
		le_put32(ch + 24, crc32_compute(comp.p, comp.n));
		le_put32(ch + 28, crc32_compute(ch, 28));
		fuzz_buf_put(out, ch, sizeof(ch));
		fuzz_buf_put(out, comp.p, comp.n);
		free(raw.p);
		free(comp.p);
		if (ctl & 16) {
			cut = (size_t)fuzz_take(in, 2);
			break;
		}
	}
	out->n -= cut < out->n ? cut : out->n;
}

static const char *const fuzz_bundle_roles[] = { "log", "kernel", "initrd", "bios", "drive0" };

static inline void fuzz_build_bundle(struct fuzz_in *in, struct fuzz_buf *out)
{
	unsigned ctl = (unsigned)fuzz_take(in, 1);
	unsigned bad = (unsigned)fuzz_take(in, 1);
	unsigned count = 2 + (ctl & 3);
	unsigned table = 24 + 96 * count + 32;
	struct fuzz_buf frames = { 0 };
	uint8_t *t;

	bad %= count;
	t = fuzz_buf_grow(out, table);
	memset(t, 0, table);
	memcpy(t, "RVSRBNDL", 8);
	le_put32(t + 8, 1);
	le_put32(t + 12, count);
	for (unsigned i = 0; i < count; i++) {
		struct fuzz_buf body = { 0 };
		uint8_t *e = t + 24 + 96 * i;
		size_t start = frames.n;
		const uint8_t *blob;

		if (i == 0 && (ctl & 4)) {
			fuzz_build_log(in, &body);
		} else {
			size_t n = fuzz_take_blob(in, &blob, SIZE_MAX);

			fuzz_buf_put(&body, blob, n);
		}
		fuzz_zstd_frame(&frames, body.p, body.n, true, true);
		memcpy(e, fuzz_bundle_roles[i], strlen(fuzz_bundle_roles[i]));
		le_put64(e + 32, body.n);
		le_put64(e + 40, table + start);
		le_put64(e + 48, frames.n - start);
		le_put32(e + 56, crc32_compute(frames.p + start, frames.n - start));
		sha256_digest(body.p, body.n, e + 64);
		free(body.p);
	}
	/* One wrong field: the damage a crafted bundle could carry past its
	 * seal. */
	{
		uint8_t *e = t + 24 + 96 * bad;

		switch (ctl >> 4) {
		case 1:
			le_put64(e + 32, le_get64(e + 32) + 1);
			break;
		case 2:
			le_put64(e + 32, le_get64(e + 32) - 1);
			break;
		case 3:
			le_put64(e + 40, le_get64(e + 40) + 1);
			break;
		case 4:
			le_put64(e + 48, le_get64(e + 48) - 1);
			break;
		case 5:
			le_put32(e + 56, le_get32(e + 56) ^ 1);
			break;
		case 6:
			le_put32(e + 60, 1);
			break;
		case 7:
			e[64] ^= 1;
			break;
		case 8:
			e[0] = 'L';
			break;
		case 9:
			memset(e, 0, 32);
			memcpy(e, fuzz_bundle_roles[bad ? 0 : 1],
			       strlen(fuzz_bundle_roles[bad ? 0 : 1]));
			break;
		case 10:
			le_put32(t + 12, count + 1);
			break;
		case 11:
			le_put64(e + 32, 1ull << 40);
			break;
		}
	}
	sha256_digest(t, table - 32, t + table - 32);
	fuzz_buf_put(out, frames.p, frames.n);
	free(frames.p);
	if ((ctl >> 4) == 12 && out->n)
		out->n--;
}

#endif
