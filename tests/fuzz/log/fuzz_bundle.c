// SPDX-License-Identifier: MIT
/*
 * Fuzz target: a reproducible-bug bundle (replay/bundle.c) extracted from
 * memory into an in-memory sink with every check bundle_extract makes;
 * the log it holds, once extracted, is then read to its end as a replay
 * would (replay/log.c).
 *
 * Input: byte 0 even, the rest is the bundle file as is; odd, the rest
 * builds a bundle whose seal, CRCs, SHA-256s and frames are right, with
 * at most one table field wrong (build.h), so that mutations reach the
 * table and extraction checks.
 */
#include "replay/bundle.h"
#include "replay/log.h"
#include "tests/fuzz/log/build.h"

/* The sink keeps the log entry (entry 0) and drops the others; the
 * extractor bounds every entry by its declared size, which may be large,
 * so the sink keeps at most FUZZ_SINK_MAX bytes of the log. */
#define FUZZ_SINK_MAX (4u << 20)

struct fuzz_sink {
	bool in_log, began, have_log;
	struct fuzz_buf cur, log;
};

static int fuzz_sink_begin(void *opaque, const char *role, struct hv_err *err)
{
	struct fuzz_sink *s = opaque;

	(void)err;
	if (s->began)
		abort(); /* begin without commit or discard */
	s->began = true;
	s->in_log = !strcmp(role, BUNDLE_LOG_ROLE);
	s->cur.n = 0;
	return 0;
}

static int fuzz_sink_write(void *opaque, const uint8_t *buf, size_t len, struct hv_err *err)
{
	struct fuzz_sink *s = opaque;

	if (!s->began)
		abort();
	if (!s->in_log)
		return 0;
	if (s->cur.n + len > FUZZ_SINK_MAX) {
		hv_err_set(err, "fuzz sink: a log of more than 4 MiB");
		return -1;
	}
	fuzz_buf_put(&s->cur, buf, len);
	return 0;
}

static int fuzz_sink_commit(void *opaque, struct hv_err *err)
{
	struct fuzz_sink *s = opaque;

	(void)err;
	if (!s->began)
		abort();
	s->began = false;
	if (s->in_log) {
		struct fuzz_buf t = s->log;

		s->log = s->cur;
		s->cur = t;
		s->have_log = true;
	}
	return 0;
}

static void fuzz_sink_discard(void *opaque)
{
	struct fuzz_sink *s = opaque;

	if (!s->began)
		abort();
	s->began = false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_sink s = { 0 };
	const struct bundle_sink sink = {
		.opaque = &s,
		.begin = fuzz_sink_begin,
		.write = fuzz_sink_write,
		.commit = fuzz_sink_commit,
		.discard = fuzz_sink_discard,
	};
	struct fuzz_buf built = { 0 };
	const uint8_t *bundle = data + 1;
	size_t len = size ? size - 1 : 0;
	struct hv_err err = { { 0 } };

	if (size && (data[0] & 1)) {
		struct fuzz_in in = { data + 1, size - 1 };

		fuzz_build_bundle(&in, &built);
		bundle = built.p;
		len = built.n;
	}
	if (bundle_unpack_mem("fuzz.rvb", bundle, len, &sink, &err) == 0) {
		struct rlog_reader *r;
		struct rlog_event ev;

		if (!s.have_log || s.began)
			abort(); /* a bundle always holds its log */
		r = rlog_open_mem("fuzz.rvb/log", s.log.p, s.log.n, &err);
		if (r) {
			while (rlog_next(r, &ev, &err) > 0)
				;
			rlog_close(r);
		}
	} else if (!err.msg[0]) {
		abort(); /* a refusal always says why */
	}
	free(s.cur.p);
	free(s.log.p);
	free(built.p);
	return 0;
}
