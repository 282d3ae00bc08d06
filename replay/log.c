// SPDX-License-Identifier: MIT
/*
 * The record log file: writer and reader of the layout in log.h
 * (ARCHITECTURE.md section 6).
 *
 * Writer. Events are encoded into a raw chunk buffer; when it holds
 * RLOG_FLUSH_RAW bytes or more (or on rlog_flush) the buffer is compressed
 * as one zstd frame and written, header and data in one write(2), to
 * PATH.tmp. A chunk therefore never exceeds RLOG_FLUSH_RAW plus one
 * largest event, far below RLOG_MAX_CHUNK_RAW. rlog_finish flushes,
 * fsyncs, renames PATH.tmp to PATH and fsyncs the directory, so PATH
 * exists only as a whole log ending with RLOG_END. After a failed write
 * the file's tail is unknown, so the writer refuses everything but
 * rlog_abandon, which then removes PATH.tmp: a host that cannot write
 * (disk full, file size limit) is left with no partial file. A process
 * killed while writing leaves PATH.tmp, replayable to its last whole
 * chunk, and whatever was under PATH before untouched.
 *
 * Event rules, enforced on both sides so that the writer cannot produce a
 * log the reader rejects: the type is one of enum rlog_type; the payload
 * is at most RLOG_MAX_EVENT_DATA bytes and has the shape log.h gives it
 * (RLOG_STOP and RLOG_IDLE empty, RLOG_DIGEST and RLOG_END a struct
 * rlog_digest followed by 8-byte words); the first event is RLOG_CONFIG and
 * there is no other; nothing follows RLOG_END. The order of stamps is
 * the replayer's business, not the format's.
 *
 * Reader. The file is untrusted (log.h): every field is checked before it
 * is used as a length, in this order for a chunk: the 32 header bytes
 * exist, their magic and checksum, the sizes against fixed limits, the
 * compressed bytes exist, their checksum, exactly one zstd frame, the
 * decompressed size (decompression goes into a buffer of the declared raw
 * size, so a frame that expands further fails without ever allocating
 * more), and then every event of the chunk, before the first of them is
 * returned. The checksums cover every byte after the file header, and
 * every header field has exactly one valid value, so a flipped bit
 * anywhere in a log is reported. A file that ends inside a chunk, or after
 * a whole chunk but without RLOG_END, is a cut-off recording: rlog_next
 * returns 0 and rlog_truncated() is true; anything else that is wrong is
 * an error naming the file and the chunk's offset. The reader reads
 * through a reader source (base/rdsrc.h), so a log in memory (rlog_open_mem:
 * the fuzz target, tests) goes through the same checks as a file.
 */
#include "replay/log.h"

#include "base/crc32.h"
#include "base/fdio.h"
#include "base/le.h"
#include "base/rdsrc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>
#include <zstd_errors.h>

#define RLOG_HEADER_SIZE 24u
#define RLOG_CHUNK_HEADER_SIZE 32u
#define RLOG_CHUNK_CRC_OFFSET 28u /* the header checksum covers bytes before it */
#define RLOG_EVENT_HEADER_SIZE 28u
#define RLOG_FLUSH_RAW (256u << 10)
#define RLOG_ZSTD_LEVEL 3
#define RLOG_WRITER_RAW_CAP (RLOG_FLUSH_RAW + RLOG_EVENT_HEADER_SIZE + RLOG_MAX_EVENT_DATA)

_Static_assert(RLOG_WRITER_RAW_CAP <= RLOG_MAX_CHUNK_RAW,
	       "a chunk the writer produces must be one the reader accepts");

static const uint8_t rlog_magic[8] = "RVSRLOG"; /* with its NUL: 8 bytes */
static const uint8_t rlog_chunk_magic[4] = { 'C', 'H', 'N', 'K' };

/* ---- encoding ---- */

const char *rlog_type_name(uint32_t type)
{
	switch (type) {
	case RLOG_CONFIG:
		return "config";
	case RLOG_CONSOLE:
		return "console";
	case RLOG_NET:
		return "net";
	case RLOG_IDLE:
		return "idle";
	case RLOG_STOP:
		return "stop";
	case RLOG_DIGEST:
		return "digest";
	case RLOG_END:
		return "end";
	case RLOG_DEBUG:
		return "debug";
	}
	return "unknown";
}

/* Why an event of this type and payload size cannot be in a log, or NULL. */
static const char *rlog_check_event(uint32_t type, uint32_t len)
{
	if (type < RLOG_CONFIG || type > RLOG_DEBUG)
		return "unknown event type";
	if (len > RLOG_MAX_EVENT_DATA)
		return "payload larger than the limit of 1 MiB";
	switch (type) {
	case RLOG_STOP:
		if (len != 0)
			return "a stop event carries no payload";
		break;
	case RLOG_IDLE:
		if (len != 0)
			return "an idle event carries no payload";
		break;
	case RLOG_DEBUG:
		if (len < 21 || len > 21 + 4096)
			return "a debugger write's payload is 21 bytes of header and at most 4 KiB";
		break;
	case RLOG_DIGEST:
	case RLOG_END:
		/* struct rlog_digest, then the hart count and the harts'
		 * registers (replay/session.c), all 8-byte words. */
		if (len < sizeof(struct rlog_digest) || len % 8)
			return "a digest or end event's payload is a 40-byte digest and 8-byte words";
		break;
	}
	return NULL;
}

/* Where an event of this type may stand: after nevents earlier events,
 * the last of which was RLOG_END if ended. Why not, or NULL. */
static const char *rlog_check_order(uint64_t nevents, bool ended, uint32_t type)
{
	if (ended)
		return "an event follows the end event";
	if (nevents == 0 && type != RLOG_CONFIG)
		return "the first event is not the configuration";
	if (nevents != 0 && type == RLOG_CONFIG)
		return "a second configuration event";
	return NULL;
}

/* ---- writer ---- */

struct rlog_writer {
	char *path;
	char *tmp;
	int fd;
	bool failed;
	uint64_t written;
	uint64_t nevents;
	bool ended;
	/* The chunk being filled. */
	uint8_t *raw;
	size_t raw_len;
	uint32_t raw_events;
	uint64_t raw_round;
	/* Chunk header followed by the compressed bytes. */
	uint8_t *out;
	size_t out_cap;
	ZSTD_CCtx *cctx;
};

static void rlog_writer_free(struct rlog_writer *w)
{
	if (!w)
		return;
	if (w->fd >= 0)
		close(w->fd);
	if (w->failed && w->tmp)
		unlink(w->tmp);
	ZSTD_freeCCtx(w->cctx);
	free(w->out);
	free(w->raw);
	free(w->tmp);
	free(w->path);
	free(w);
}

struct rlog_writer *rlog_create(const char *path, struct hv_err *err)
{
	struct rlog_writer *w = calloc(1, sizeof(*w));
	uint8_t hdr[RLOG_HEADER_SIZE];

	if (!w)
		goto nomem;
	w->fd = -1;
	w->path = strdup(path);
	if (!w->path || asprintf(&w->tmp, "%s.tmp", path) < 0) {
		w->tmp = NULL;
		goto nomem;
	}
	w->raw = malloc(RLOG_WRITER_RAW_CAP);
	w->out_cap = RLOG_CHUNK_HEADER_SIZE + ZSTD_compressBound(RLOG_WRITER_RAW_CAP);
	w->out = malloc(w->out_cap);
	w->cctx = ZSTD_createCCtx();
	if (!w->raw || !w->out || !w->cctx)
		goto nomem;

	w->fd = open(w->tmp, O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0644);
	if (w->fd < 0) {
		hv_err_set(err, "cannot create record log '%s': %s", w->tmp, strerror(errno));
		goto fail;
	}
	memcpy(hdr, rlog_magic, sizeof(rlog_magic));
	le_put32(hdr + 8, RLOG_VERSION);
	le_put32(hdr + 12, 0);
	le_put64(hdr + 16, 0);
	if (fd_write_all(w->fd, hdr, sizeof(hdr)) != 0) {
		hv_err_set(err, "cannot write record log '%s': %s", w->tmp, strerror(errno));
		w->failed = true;
		goto fail;
	}
	w->written = sizeof(hdr);
	return w;

nomem:
	hv_err_set(err, "out of host memory creating record log '%s'", path);
fail:
	rlog_writer_free(w);
	return NULL;
}

/* Compress and write the chunk being filled, if it holds any event. */
static int rlog_write_chunk(struct rlog_writer *w, struct hv_err *err)
{
	uint8_t *hdr = w->out;
	size_t n;

	if (w->raw_events == 0)
		return 0;
	n = ZSTD_compressCCtx(w->cctx, w->out + RLOG_CHUNK_HEADER_SIZE,
			      w->out_cap - RLOG_CHUNK_HEADER_SIZE, w->raw, w->raw_len,
			      RLOG_ZSTD_LEVEL);
	if (ZSTD_isError(n)) {
		w->failed = true;
		hv_err_set(err, "cannot compress a chunk of record log '%s': %s", w->tmp,
			   ZSTD_getErrorName(n));
		return -1;
	}
	memcpy(hdr, rlog_chunk_magic, sizeof(rlog_chunk_magic));
	le_put32(hdr + 4, (uint32_t)n);
	le_put32(hdr + 8, (uint32_t)w->raw_len);
	le_put32(hdr + 12, w->raw_events);
	le_put64(hdr + 16, w->raw_round);
	le_put32(hdr + 24, crc32_compute(w->out + RLOG_CHUNK_HEADER_SIZE, n));
	le_put32(hdr + 28, crc32_compute(hdr, RLOG_CHUNK_CRC_OFFSET));
	if (fd_write_all(w->fd, w->out, RLOG_CHUNK_HEADER_SIZE + n) != 0) {
		w->failed = true;
		hv_err_set(err, "cannot write record log '%s': %s", w->tmp, strerror(errno));
		return -1;
	}
	w->written += RLOG_CHUNK_HEADER_SIZE + n;
	w->raw_len = 0;
	w->raw_events = 0;
	return 0;
}

static int rlog_check_writable(const struct rlog_writer *w, struct hv_err *err)
{
	if (!w->failed)
		return 0;
	hv_err_set(err, "record log '%s' takes no more data: an earlier write to it failed",
		   w->tmp);
	return -1;
}

int rlog_append(struct rlog_writer *w, const struct rlog_event *ev, struct hv_err *err)
{
	const char *why;
	uint8_t *p;

	if (rlog_check_writable(w, err) != 0)
		return -1;
	why = rlog_check_event(ev->type, ev->len);
	if (!why)
		why = rlog_check_order(w->nevents, w->ended, ev->type);
	if (!why && ev->len && !ev->data)
		why = "payload pointer is NULL";
	if (why) {
		hv_err_set(err,
			   "cannot append an event of type %u (%s, %u bytes) to record "
			   "log '%s': %s",
			   ev->type, rlog_type_name(ev->type), ev->len, w->tmp, why);
		return -1;
	}

	if (w->raw_events == 0)
		w->raw_round = ev->round;
	p = w->raw + w->raw_len;
	le_put32(p, ev->type);
	le_put32(p + 4, ev->hart);
	le_put64(p + 8, ev->round);
	le_put64(p + 16, ev->icount);
	le_put32(p + 24, ev->len);
	if (ev->len)
		memcpy(p + RLOG_EVENT_HEADER_SIZE, ev->data, ev->len);
	w->raw_len += RLOG_EVENT_HEADER_SIZE + ev->len;
	w->raw_events++;
	w->nevents++;
	if (ev->type == RLOG_END)
		w->ended = true;

	if (w->raw_len >= RLOG_FLUSH_RAW)
		return rlog_write_chunk(w, err);
	return 0;
}

int rlog_flush(struct rlog_writer *w, struct hv_err *err)
{
	if (rlog_check_writable(w, err) != 0)
		return -1;
	return rlog_write_chunk(w, err);
}

int rlog_finish(struct rlog_writer *w, struct hv_err *err)
{
	int ret = -1;
	int fd;

	if (rlog_check_writable(w, err) != 0)
		goto out;
	if (!w->ended) {
		hv_err_set(err,
			   "record log '%s' has no end event, so it stays incomplete "
			   "under that name",
			   w->tmp);
		goto out;
	}
	/* From here on a failure marks the writer failed, so that
	 * rlog_writer_free removes PATH.tmp. */
	if (rlog_write_chunk(w, err) != 0)
		goto out;
	if (fsync(w->fd) != 0) {
		hv_err_set(err, "cannot sync record log '%s' to disk: %s", w->tmp, strerror(errno));
		w->failed = true;
		goto out;
	}
	fd = w->fd;
	w->fd = -1;
	if (close(fd) != 0) {
		hv_err_set(err, "cannot close record log '%s': %s", w->tmp, strerror(errno));
		w->failed = true;
		goto out;
	}
	if (rename(w->tmp, w->path) != 0) {
		hv_err_set(err, "cannot rename record log '%s' to '%s': %s", w->tmp, w->path,
			   strerror(errno));
		w->failed = true;
		goto out;
	}
	fd_sync_parent_dir(w->path);
	ret = 0;
out:
	rlog_writer_free(w);
	return ret;
}

void rlog_abandon(struct rlog_writer *w)
{
	rlog_writer_free(w);
}

uint64_t rlog_bytes_written(const struct rlog_writer *w)
{
	return w->written;
}

/* ---- reader ---- */

struct rlog_reader {
	char *path;
	int fd;             /* owned, or -1 when reading from memory */
	struct rdsrc src;   /* the file or the buffer */
	uint64_t size;      /* file size when opened: all we will read */
	uint64_t next;      /* offset of the next chunk */
	uint64_t chunk_off; /* offset of the chunk last loaded or tried */
	uint64_t nevents;   /* events in the chunks loaded so far */
	bool ended;         /* RLOG_END was among them */
	bool truncated;
	bool failed;
	struct hv_err failure; /* repeated by every rlog_next after an error */
	/* The loaded chunk: raw_len decompressed bytes, events from raw_pos. */
	uint8_t *comp;
	size_t comp_cap;
	uint8_t *raw;
	size_t raw_cap;
	size_t raw_len;
	size_t raw_pos;
	uint32_t events_left;
	ZSTD_DCtx *dctx;
};

static void rlog_reader_free(struct rlog_reader *r)
{
	if (!r)
		return;
	if (r->fd >= 0)
		close(r->fd);
	ZSTD_freeDCtx(r->dctx);
	free(r->comp);
	free(r->raw);
	free(r->path);
	free(r);
}

/* Read exactly len bytes at off: 0, or -1 with a sentence in r->failure. */
static int rlog_pread(struct rlog_reader *r, void *buf, size_t len, uint64_t off)
{
	uint8_t *p = buf;

	ssize_t n = rdsrc_pread(&r->src, p, len, off);

	if (n < 0) {
		hv_err_set(&r->failure, "%s: cannot read at offset 0x%llx: %s", r->path,
			   (unsigned long long)off, strerror(errno));
		return -1;
	}
	if ((size_t)n != len) {
		hv_err_set(&r->failure, "%s: the file became shorter while it was being read",
			   r->path);
		return -1;
	}
	return 0;
}

static struct rlog_reader *rlog_reader_new(const char *name, struct hv_err *err)
{
	struct rlog_reader *r = calloc(1, sizeof(*r));

	if (!r || !(r->path = strdup(name))) {
		hv_err_set(err, "out of host memory opening record log '%s'", name);
		free(r);
		return NULL;
	}
	r->fd = -1;
	return r;
}

/* Check the file header of r->src and get ready for the first chunk; on
 * failure r is freed. */
static struct rlog_reader *rlog_reader_start(struct rlog_reader *r, struct hv_err *err)
{
	const char *path = r->path;
	uint8_t hdr[RLOG_HEADER_SIZE];
	uint32_t version, flags;

	r->size = r->src.size;
	if (r->size == 0) {
		hv_err_set(err, "%s: the file is empty, not a record log", path);
		goto fail;
	}
	if (r->size < RLOG_HEADER_SIZE) {
		hv_err_set(err,
			   "%s: %llu bytes is too short for a record log (its header "
			   "alone is %u bytes)",
			   path, (unsigned long long)r->size, RLOG_HEADER_SIZE);
		goto fail;
	}
	if (rlog_pread(r, hdr, sizeof(hdr), 0) != 0) {
		if (err)
			*err = r->failure;
		goto fail;
	}
	if (memcmp(hdr, rlog_magic, sizeof(rlog_magic)) != 0) {
		hv_err_set(err, "%s: not a Retrovisor record log (wrong magic number)", path);
		goto fail;
	}
	version = le_get32(hdr + 8);
	if (version != RLOG_VERSION) {
		hv_err_set(err,
			   "%s: log format version %u, this retrovisor reads version %u; "
			   "replay it with the retrovisor that recorded it",
			   path, version, RLOG_VERSION);
		goto fail;
	}
	flags = le_get32(hdr + 12);
	if (flags != 0 || le_get64(hdr + 16) != 0) {
		/* Version 1 defines no flags and no use of the reserved field:
		 * anything else there is damage, not a feature. */
		hv_err_set(err,
			   "%s: the file header is corrupt (flags 0x%x, reserved 0x%llx; "
			   "version 1 requires both to be 0)",
			   path, flags, (unsigned long long)le_get64(hdr + 16));
		goto fail;
	}
	r->dctx = ZSTD_createDCtx();
	if (!r->dctx) {
		hv_err_set(err, "out of host memory opening record log '%s'", path);
		goto fail;
	}
	r->next = RLOG_HEADER_SIZE;
	r->chunk_off = RLOG_HEADER_SIZE;
	return r;

fail:
	rlog_reader_free(r);
	return NULL;
}

struct rlog_reader *rlog_open(const char *path, struct hv_err *err)
{
	struct rlog_reader *r = rlog_reader_new(path, err);
	struct stat st;

	if (!r)
		return NULL;
	r->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (r->fd < 0) {
		hv_err_set(err, "cannot open record log '%s': %s", path, strerror(errno));
		goto fail;
	}
	if (fstat(r->fd, &st) != 0) {
		hv_err_set(err, "cannot stat record log '%s': %s", path, strerror(errno));
		goto fail;
	}
	if (S_ISDIR(st.st_mode)) {
		hv_err_set(err, "%s: is a directory, not a record log", path);
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		hv_err_set(err, "%s: is not a regular file, so it cannot be a record log", path);
		goto fail;
	}
	rdsrc_from_fd(&r->src, r->fd, (uint64_t)st.st_size);
	return rlog_reader_start(r, err);

fail:
	rlog_reader_free(r);
	return NULL;
}

struct rlog_reader *rlog_open_mem(const char *name, const void *buf, size_t len, struct hv_err *err)
{
	struct rlog_reader *r = rlog_reader_new(name, err);

	if (!r)
		return NULL;
	rdsrc_from_mem(&r->src, buf, len);
	return rlog_reader_start(r, err);
}

/* Fail with the sentence already in r->failure. */
static int rlog_fail(struct rlog_reader *r, struct hv_err *err)
{
	r->failed = true;
	if (err)
		*err = r->failure;
	return -1;
}

/* Record the first error for good: the reader is unusable past it. */
static int rlog_corrupt(struct rlog_reader *r, struct hv_err *err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int rlog_corrupt(struct rlog_reader *r, struct hv_err *err, const char *fmt, ...)
{
	char why[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	hv_err_set(&r->failure, "%s: chunk at offset 0x%llx is corrupt (%s)", r->path,
		   (unsigned long long)r->chunk_off, why);
	return rlog_fail(r, err);
}

/* Grow *buf to hold len bytes (contents not kept). */
static int rlog_reserve(uint8_t **buf, size_t *cap, size_t len)
{
	uint8_t *p;

	if (*cap >= len)
		return 0;
	p = malloc(len);
	if (!p)
		return -1;
	free(*buf);
	*buf = p;
	*cap = len;
	return 0;
}

/* Check every event of the chunk just decompressed, as a whole, before
 * rlog_next hands out any of them. */
static int rlog_check_chunk_events(struct rlog_reader *r, uint32_t count, uint64_t round,
				   struct hv_err *err)
{
	uint64_t nevents = r->nevents;
	bool ended = r->ended;
	size_t pos = 0;

	for (uint32_t i = 0; i < count; i++) {
		const uint8_t *p = r->raw + pos;
		uint32_t type, len;
		const char *why;

		if (r->raw_len - pos < RLOG_EVENT_HEADER_SIZE)
			return rlog_corrupt(r, err,
					    "event %u of %u starts past the end of its "
					    "data",
					    i, count);
		type = le_get32(p);
		len = le_get32(p + 24);
		why = rlog_check_event(type, len);
		if (!why)
			why = rlog_check_order(nevents, ended, type);
		if (why)
			return rlog_corrupt(r, err, "event %u of %u, type %u, %u bytes: %s", i,
					    count, type, len, why);
		if (len > r->raw_len - pos - RLOG_EVENT_HEADER_SIZE)
			return rlog_corrupt(r, err,
					    "event %u of %u has %u bytes of data, more "
					    "than the chunk holds",
					    i, count, len);
		if (i == 0 && le_get64(p + 8) != round)
			return rlog_corrupt(r, err,
					    "its first event is stamped round %llu, its "
					    "header says %llu",
					    (unsigned long long)le_get64(p + 8),
					    (unsigned long long)round);
		nevents++;
		ended = type == RLOG_END;
		pos += RLOG_EVENT_HEADER_SIZE + len;
	}
	if (pos != r->raw_len)
		return rlog_corrupt(r, err, "%zu bytes follow its last event", r->raw_len - pos);
	r->nevents = nevents;
	r->ended = ended;
	return 0;
}

/* Load the next chunk: 1, 0 at the end of the readable chunks, -1. */
static int rlog_load_chunk(struct rlog_reader *r, struct hv_err *err)
{
	uint8_t hdr[RLOG_CHUNK_HEADER_SIZE];
	uint64_t left = r->size - r->next;
	uint32_t csize, raw, count;
	unsigned long long content;
	uint64_t round;
	size_t n;

	r->chunk_off = r->next;
	if (r->ended) {
		if (left == 0)
			return 0;
		return rlog_corrupt(r, err, "%llu bytes follow the end event's chunk",
				    (unsigned long long)left);
	}
	if (left < RLOG_CHUNK_HEADER_SIZE) {
		/* Ends between chunks (no end event) or inside a chunk header. */
		r->truncated = true;
		return 0;
	}
	if (rlog_pread(r, hdr, sizeof(hdr), r->next) != 0)
		return rlog_fail(r, err);
	if (memcmp(hdr, rlog_chunk_magic, sizeof(rlog_chunk_magic)) != 0)
		return rlog_corrupt(r, err, "no chunk magic number");
	if (crc32_compute(hdr, RLOG_CHUNK_CRC_OFFSET) != le_get32(hdr + 28))
		return rlog_corrupt(r, err, "header checksum mismatch");
	csize = le_get32(hdr + 4);
	raw = le_get32(hdr + 8);
	count = le_get32(hdr + 12);
	round = le_get64(hdr + 16);
	if (raw > RLOG_MAX_CHUNK_RAW)
		return rlog_corrupt(r, err, "%u raw bytes declared, the limit is %u", raw,
				    RLOG_MAX_CHUNK_RAW);
	if (count == 0 || count > raw / RLOG_EVENT_HEADER_SIZE)
		return rlog_corrupt(r, err, "%u events declared in %u raw bytes", count, raw);
	if (csize == 0 || csize > ZSTD_compressBound(raw))
		return rlog_corrupt(r, err, "%u compressed bytes declared for %u raw bytes", csize,
				    raw);
	if (csize > left - RLOG_CHUNK_HEADER_SIZE) {
		/* A whole header whose data the file does not hold: the
		 * recording was cut off while this chunk was written. */
		r->truncated = true;
		return 0;
	}

	if (rlog_reserve(&r->comp, &r->comp_cap, csize) != 0 ||
	    rlog_reserve(&r->raw, &r->raw_cap, raw) != 0) {
		hv_err_set(&r->failure,
			   "%s: out of host memory reading the chunk at "
			   "offset 0x%llx",
			   r->path, (unsigned long long)r->chunk_off);
		return rlog_fail(r, err);
	}
	if (rlog_pread(r, r->comp, csize, r->next + RLOG_CHUNK_HEADER_SIZE) != 0)
		return rlog_fail(r, err);
	if (crc32_compute(r->comp, csize) != le_get32(hdr + 24))
		return rlog_corrupt(r, err, "data checksum mismatch");

	/* From here on the bytes are what some writer wrote; they may still
	 * have been crafted, so the frame is not trusted either. */
	if (ZSTD_findFrameCompressedSize(r->comp, csize) != csize)
		return rlog_corrupt(r, err, "its data is not exactly one zstd frame");
	content = ZSTD_getFrameContentSize(r->comp, csize);
	if (content == ZSTD_CONTENTSIZE_ERROR)
		return rlog_corrupt(r, err, "its zstd frame header is invalid");
	if (content != ZSTD_CONTENTSIZE_UNKNOWN && content != raw)
		return rlog_corrupt(r, err, "its zstd frame declares %llu bytes, its header %u",
				    content, raw);
	/* The output buffer is exactly the declared size: a frame that
	 * expands further stops with dstSize_tooSmall. */
	n = ZSTD_decompressDCtx(r->dctx, r->raw, raw, r->comp, csize);
	if (ZSTD_isError(n)) {
		if (ZSTD_getErrorCode(n) == ZSTD_error_dstSize_tooSmall)
			return rlog_corrupt(r, err,
					    "it decompresses to more than the %u bytes "
					    "its header declares",
					    raw);
		return rlog_corrupt(r, err, "zstd: %s", ZSTD_getErrorName(n));
	}
	if (n != raw)
		return rlog_corrupt(r, err,
				    "it decompresses to %zu bytes, its header "
				    "declares %u",
				    n, raw);
	r->raw_len = raw;
	if (rlog_check_chunk_events(r, count, round, err) != 0)
		return -1;
	r->raw_pos = 0;
	r->events_left = count;
	r->next += RLOG_CHUNK_HEADER_SIZE + csize;
	return 1;
}

int rlog_next(struct rlog_reader *r, struct rlog_event *ev, struct hv_err *err)
{
	const uint8_t *p;

	if (r->failed) {
		if (err)
			*err = r->failure;
		return -1;
	}
	while (r->events_left == 0) {
		int rc = rlog_load_chunk(r, err);

		if (rc <= 0)
			return rc;
	}
	/* rlog_check_chunk_events has checked every field used here. */
	p = r->raw + r->raw_pos;
	ev->type = le_get32(p);
	ev->hart = le_get32(p + 4);
	ev->round = le_get64(p + 8);
	ev->icount = le_get64(p + 16);
	ev->len = le_get32(p + 24);
	ev->data = p + RLOG_EVENT_HEADER_SIZE;
	r->raw_pos += RLOG_EVENT_HEADER_SIZE + ev->len;
	r->events_left--;
	return 1;
}

bool rlog_truncated(const struct rlog_reader *r)
{
	return r->truncated;
}

uint64_t rlog_offset(const struct rlog_reader *r)
{
	return r->chunk_off;
}

void rlog_close(struct rlog_reader *r)
{
	rlog_reader_free(r);
}
