// SPDX-License-Identifier: MIT
/*
 * Tests of the record log file format (replay/log.c, layout in
 * replay/log.h) and its CRC-32 (base/crc32.c).
 *
 * Logs written through the API must read back event for event, across
 * chunks, whether finished (renamed) or abandoned (.tmp, cut off after the
 * last whole chunk). Damaged files must never yield a wrong event: every
 * single-bit flip of a finished log is reported, every truncation yields
 * exactly the events of the whole chunks before the cut, and files built
 * by hand with valid checksums but bad contents (oversized events, trailing
 * bytes, wrong order, a zstd frame that expands past its declared size)
 * are rejected with a sentence naming the file.
 *
 * Files live in a fresh directory under TEST_TMPDIR (or /tmp), removed at
 * the end of each test. Payloads come from a fixed-seed generator, so a
 * byte read back from the wrong place shows up as a mismatch.
 */
#include <gtest/gtest.h>

#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zstd.h>

#include <csignal>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

extern "C" {
#include "base/crc32.h"
#include "replay/log.h"
}

namespace {

using Bytes = std::vector<uint8_t>;

constexpr size_t kHeader = 24, kChunkHeader = 32, kEventHeader = 28;

struct TmpDir {
	std::string path;

	TmpDir()
	{
		const char *base = getenv("TEST_TMPDIR");
		std::string tmpl = std::string(base ? base : "/tmp") + "/rlogXXXXXX";
		std::vector<char> buf(tmpl.begin(), tmpl.end());
		buf.push_back('\0');
		if (!mkdtemp(buf.data()))
			abort();
		path = buf.data();
	}
	~TmpDir() { std::filesystem::remove_all(path); }
	std::string file(const std::string &name) const { return path + "/" + name; }
};

Bytes read_file(const std::string &path)
{
	std::ifstream f(path, std::ios::binary);
	return Bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

void write_file(const std::string &path, const Bytes &b)
{
	std::ofstream f(path, std::ios::binary | std::ios::trunc);
	f.write(reinterpret_cast<const char *>(b.data()), (std::streamsize)b.size());
}

bool exists(const std::string &path)
{
	struct stat st;
	return stat(path.c_str(), &st) == 0;
}

struct Ev {
	uint32_t type;
	uint32_t hart;
	uint64_t round;
	uint64_t icount;
	Bytes data;

	bool operator==(const Ev &o) const
	{
		return type == o.type && hart == o.hart && round == o.round && icount == o.icount &&
		       data == o.data;
	}
};

/* splitmix64: a fixed sequence, so failures reproduce. */
struct Rng {
	uint64_t s;
	uint64_t next()
	{
		uint64_t z = (s += 0x9e3779b97f4a7c15ull);
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
		return z ^ (z >> 31);
	}
};

Bytes payload(Rng &rng, size_t len, bool compressible)
{
	Bytes b(len);
	for (size_t i = 0; i < len; i++)
		b[i] = compressible ? (uint8_t)(i / 64) : (uint8_t)rng.next();
	return b;
}

/* A digest payload: struct rlog_digest, then `words` 8-byte words (the
 * hart count and registers, log.h). */
Bytes digest_bytes(uint64_t seed, unsigned words = 0)
{
	struct rlog_digest d = { seed, seed * 3, seed * 5, seed & 7, 0 };
	Bytes b(sizeof(d) + 8 * words);
	memcpy(b.data(), &d, sizeof(d));
	for (size_t i = sizeof(d); i < b.size(); i++)
		b[i] = (uint8_t)(seed + i);
	return b;
}

Bytes text(const char *s)
{
	return Bytes(s, s + strlen(s));
}

struct rlog_event as_event(const Ev &e)
{
	struct rlog_event ev = {};
	ev.type = e.type;
	ev.hart = e.hart;
	ev.round = e.round;
	ev.icount = e.icount;
	ev.len = (uint32_t)e.data.size();
	ev.data = e.data.data();
	return ev;
}

/* Writes events, flushing after the indices in flush_after; finishes the
 * log (or abandons it). */
void write_log(const std::string &path, const std::vector<Ev> &evs,
	       const std::vector<size_t> &flush_after, bool finish = true)
{
	struct hv_err err = {};
	struct rlog_writer *w = rlog_create(path.c_str(), &err);
	ASSERT_NE(w, nullptr) << err.msg;
	for (size_t i = 0; i < evs.size(); i++) {
		struct rlog_event ev = as_event(evs[i]);
		ASSERT_EQ(rlog_append(w, &ev, &err), 0) << err.msg;
		for (size_t f : flush_after) {
			if (f == i) {
				ASSERT_EQ(rlog_flush(w, &err), 0) << err.msg;
			}
		}
	}
	if (finish)
		ASSERT_EQ(rlog_finish(w, &err), 0) << err.msg;
	else
		rlog_abandon(w);
}

struct ReadResult {
	bool opened = false;
	int rc = 0; /* last rlog_next result */
	bool truncated = false;
	std::vector<Ev> events;
	std::string err;
};

/* Reads the log at PATH, from the file or (mem) from its bytes in memory
 * through rlog_open_mem under the same name. */
ReadResult read_log(const std::string &path, bool mem = false)
{
	ReadResult res;
	struct hv_err err = {};
	Bytes bytes = mem ? read_file(path) : Bytes();
	struct rlog_reader *r = mem ? rlog_open_mem(path.c_str(), bytes.data(), bytes.size(),
						    &err) :
				      rlog_open(path.c_str(), &err);

	if (!r) {
		res.err = err.msg;
		return res;
	}
	res.opened = true;
	for (;;) {
		struct rlog_event ev;
		res.rc = rlog_next(r, &ev, &err);
		if (res.rc != 1)
			break;
		res.events.push_back(Ev{ ev.type, ev.hart, ev.round, ev.icount,
					 Bytes(ev.data, ev.data + ev.len) });
	}
	if (res.rc == 0)
		res.truncated = rlog_truncated(r);
	else
		res.err = err.msg;
	rlog_close(r);
	return res;
}

bool detected(const ReadResult &res)
{
	return !res.opened || res.rc == -1;
}

/* Offsets at which chunks end, read from a well-formed file's headers. */
std::vector<size_t> chunk_ends(const Bytes &f)
{
	std::vector<size_t> ends;
	size_t off = kHeader;
	while (off + kChunkHeader <= f.size()) {
		uint32_t csize;
		memcpy(&csize, &f[off + 4], 4);
		off += kChunkHeader + csize;
		ends.push_back(off);
	}
	return ends;
}

uint32_t chunk_events(const Bytes &f, size_t chunk_off)
{
	uint32_t n;
	memcpy(&n, &f[chunk_off + 12], 4);
	return n;
}

/* ---- hand-built files, for contents the writer refuses to produce ---- */

void put32(Bytes &b, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		b.push_back((uint8_t)(v >> (8 * i)));
}

void put64(Bytes &b, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		b.push_back((uint8_t)(v >> (8 * i)));
}

Bytes file_header(uint32_t version = RLOG_VERSION)
{
	Bytes b = text("RVSRLOG");
	b.push_back(0);
	put32(b, version);
	put32(b, 0);
	put64(b, 0);
	return b;
}

/* One raw event; len may differ from data.size() on purpose. */
void put_event(Bytes &raw, uint32_t type, uint32_t len, const Bytes &data, uint64_t round = 0)
{
	put32(raw, type);
	put32(raw, 0);
	put64(raw, round);
	put64(raw, 100);
	put32(raw, len);
	raw.insert(raw.end(), data.begin(), data.end());
}

/* A chunk with valid checksums around compressed bytes comp. */
Bytes chunk_of_frame(const Bytes &comp, uint32_t raw_size, uint32_t count, uint64_t round = 0)
{
	Bytes c = text("CHNK");
	put32(c, (uint32_t)comp.size());
	put32(c, raw_size);
	put32(c, count);
	put64(c, round);
	put32(c, crc32_compute(comp.data(), comp.size()));
	put32(c, crc32_compute(c.data(), c.size()));
	c.insert(c.end(), comp.begin(), comp.end());
	return c;
}

Bytes chunk(const Bytes &raw, uint32_t count, uint64_t round = 0)
{
	Bytes comp(ZSTD_compressBound(raw.size()));
	size_t n = ZSTD_compress(comp.data(), comp.size(), raw.data(), raw.size(), 1);
	EXPECT_FALSE(ZSTD_isError(n));
	comp.resize(n);
	return chunk_of_frame(comp, (uint32_t)raw.size(), count, round);
}

Bytes config_raw()
{
	Bytes raw;
	put_event(raw, RLOG_CONFIG, 6, text("cpus=1"));
	return raw;
}

Bytes concat(std::initializer_list<Bytes> parts)
{
	Bytes out;
	for (const Bytes &p : parts)
		out.insert(out.end(), p.begin(), p.end());
	return out;
}

std::vector<Ev> small_log_events()
{
	return {
		{ RLOG_CONFIG, RLOG_NO_HART, 0, 0, text("cpus=1\nram=64M\n") },
		{ RLOG_CONSOLE, RLOG_NO_HART, 3, 3000, text("ls\n") },
		{ RLOG_IDLE, RLOG_NO_HART, 7, 7000, {} },
		{ RLOG_DIGEST, RLOG_NO_HART, 9, 9000, digest_bytes(1, 3) },
		{ RLOG_STOP, 0, 10, 9500, {} },
		{ RLOG_END, RLOG_NO_HART, 11, 9600, digest_bytes(2) },
	};
}

/* ---- CRC-32 ---- */

uint32_t crc32_bitwise(const uint8_t *p, size_t n)
{
	uint32_t c = 0xffffffffu;
	for (size_t i = 0; i < n; i++) {
		c ^= p[i];
		for (int k = 0; k < 8; k++)
			c = (c & 1) ? (c >> 1) ^ 0xedb88320u : c >> 1;
	}
	return ~c;
}

TEST(Crc32, MatchesStandardCheckValue)
{
	EXPECT_EQ(crc32_compute("123456789", 9), 0xcbf43926u);
	EXPECT_EQ(crc32_compute("", 0), 0u);
}

TEST(Crc32, MatchesBitwiseDefinitionForEveryByteAndWhenChained)
{
	for (unsigned b = 0; b < 256; b++) {
		uint8_t byte = (uint8_t)b;
		ASSERT_EQ(crc32_compute(&byte, 1), crc32_bitwise(&byte, 1)) << b;
	}
	Rng rng{ 7 };
	Bytes buf = payload(rng, 5000, false);
	uint32_t whole = crc32_compute(buf.data(), buf.size());
	EXPECT_EQ(whole, crc32_bitwise(buf.data(), buf.size()));
	uint32_t part = crc32_update(0, buf.data(), 1234);
	EXPECT_EQ(crc32_update(part, buf.data() + 1234, buf.size() - 1234), whole);
}

/* ---- writing and reading ---- */

TEST(Rlog, RoundTripsEventsOfEveryTypeAndSizeAcrossChunks)
{
	TmpDir dir;
	std::string path = dir.file("run.rlog");
	Rng rng{ 42 };
	std::vector<Ev> evs;
	const size_t sizes[] = { 0, 1, 27, 28, 60, 1514, 4096, 65536, 300000, RLOG_MAX_EVENT_DATA };
	uint64_t round = 0, icount = 0;

	evs.push_back({ RLOG_CONFIG, RLOG_NO_HART, 0, 0, text("cpus=4\nkernel.sha256=00ff\n") });
	for (int i = 0; i < 400; i++) {
		round += rng.next() % 5;
		icount += rng.next() % 100000;
		uint32_t hart = (i % 3 == 0) ? RLOG_NO_HART : (uint32_t)(i % 4);
		switch (i % 6) {
		case 0:
			evs.push_back({ RLOG_CONSOLE, hart, round, icount,
					payload(rng, rng.next() % 16, false) });
			break;
		case 1:
			evs.push_back(
				{ RLOG_NET, hart, round, icount,
				  payload(rng, sizes[(i / 6) % HV_ARRAY_LEN(sizes)], i % 4 == 1) });
			break;
		case 2:
			evs.push_back({ RLOG_IDLE, hart, round, icount, {} });
			break;
		case 3:
			evs.push_back({ RLOG_STOP, hart, round, icount, {} });
			break;
		default:
			evs.push_back({ RLOG_DIGEST, hart, round, icount,
					digest_bytes(rng.next(), (unsigned)(rng.next() % 300)) });
			break;
		}
	}
	evs.push_back({ RLOG_END, RLOG_NO_HART, round + 1, icount + 1, digest_bytes(99) });

	struct hv_err err = {};
	struct rlog_writer *w = rlog_create(path.c_str(), &err);
	ASSERT_NE(w, nullptr) << err.msg;
	for (const Ev &e : evs) {
		struct rlog_event ev = as_event(e);
		ASSERT_EQ(rlog_append(w, &ev, &err), 0) << err.msg;
	}
	ASSERT_EQ(rlog_flush(w, &err), 0) << err.msg;
	uint64_t written = rlog_bytes_written(w);
	ASSERT_EQ(rlog_finish(w, &err), 0) << err.msg;

	Bytes f = read_file(path);
	EXPECT_EQ(written, f.size());
	std::vector<size_t> ends = chunk_ends(f);
	EXPECT_GE(ends.size(), 5u) << "events should span several chunks";
	EXPECT_EQ(ends.back(), f.size());

	ReadResult res = read_log(path);
	ASSERT_TRUE(res.opened) << res.err;
	EXPECT_EQ(res.rc, 0) << res.err;
	EXPECT_FALSE(res.truncated);
	ASSERT_EQ(res.events.size(), evs.size());
	for (size_t i = 0; i < evs.size(); i++)
		ASSERT_TRUE(res.events[i] == evs[i]) << "event " << i;
}

TEST(Rlog, OffsetNamesTheChunkBeingRead)
{
	TmpDir dir;
	std::string path = dir.file("run.rlog");
	std::vector<Ev> evs = small_log_events();
	write_log(path, evs, { 1 });
	std::vector<size_t> ends = chunk_ends(read_file(path));
	ASSERT_EQ(ends.size(), 2u);

	struct hv_err err = {};
	struct rlog_reader *r = rlog_open(path.c_str(), &err);
	ASSERT_NE(r, nullptr) << err.msg;
	struct rlog_event ev;
	ASSERT_EQ(rlog_next(r, &ev, &err), 1);
	EXPECT_EQ(rlog_offset(r), kHeader);
	ASSERT_EQ(rlog_next(r, &ev, &err), 1);
	ASSERT_EQ(rlog_next(r, &ev, &err), 1);
	EXPECT_EQ(ev.type, (uint32_t)RLOG_IDLE);
	EXPECT_EQ(rlog_offset(r), ends[0]);
	rlog_close(r);
}

TEST(Rlog, FinishRenamesTheTemporaryFile)
{
	TmpDir dir;
	std::string path = dir.file("run.rlog");
	struct hv_err err = {};
	struct rlog_writer *w = rlog_create(path.c_str(), &err);
	ASSERT_NE(w, nullptr) << err.msg;
	EXPECT_TRUE(exists(path + ".tmp"));
	EXPECT_FALSE(exists(path));
	for (const Ev &e : small_log_events()) {
		struct rlog_event ev = as_event(e);
		ASSERT_EQ(rlog_append(w, &ev, &err), 0) << err.msg;
	}
	ASSERT_EQ(rlog_finish(w, &err), 0) << err.msg;
	EXPECT_TRUE(exists(path));
	EXPECT_FALSE(exists(path + ".tmp"));

	ReadResult res = read_log(path);
	EXPECT_EQ(res.rc, 0) << res.err;
	EXPECT_FALSE(res.truncated);
	EXPECT_EQ(res.events.size(), small_log_events().size());
}

TEST(Rlog, AbandonedLogReadsAsTruncatedUpToItsLastWholeChunk)
{
	TmpDir dir;
	std::string path = dir.file("run.rlog");
	std::vector<Ev> evs = small_log_events();
	evs.pop_back();                        /* no RLOG_END: the recording was cut off */
	write_log(path, evs, { 0, 2 }, false); /* events 3 and 4 never flushed */

	EXPECT_FALSE(exists(path));
	ReadResult res = read_log(path + ".tmp");
	ASSERT_TRUE(res.opened) << res.err;
	EXPECT_EQ(res.rc, 0) << res.err;
	EXPECT_TRUE(res.truncated);
	ASSERT_EQ(res.events.size(), 3u);
	for (size_t i = 0; i < 3; i++)
		EXPECT_TRUE(res.events[i] == evs[i]) << "event " << i;
}

TEST(Rlog, FileWithOnlyAHeaderIsTruncated)
{
	TmpDir dir;
	std::string path = dir.file("run.rlog");
	write_file(path, file_header());
	ReadResult res = read_log(path);
	ASSERT_TRUE(res.opened) << res.err;
	EXPECT_EQ(res.rc, 0);
	EXPECT_TRUE(res.truncated);
	EXPECT_TRUE(res.events.empty());
}

TEST(Rlog, EverySingleBitFlipIsDetected)
{
	TmpDir dir;
	std::string good = dir.file("good.rlog"), bad = dir.file("bad.rlog");
	write_log(good, small_log_events(), { 1, 3 });
	Bytes f = read_file(good);
	ASSERT_EQ(chunk_ends(f).size(), 3u);
	ASSERT_LT(f.size(), 1000u);

	for (size_t bit = 0; bit < f.size() * 8; bit++) {
		Bytes g = f;
		g[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		write_file(bad, g);
		ReadResult res = read_log(bad);
		ASSERT_TRUE(detected(res))
			<< "bit " << bit << " (byte " << bit / 8 << ") flipped, read "
			<< res.events.size() << " events, truncated " << res.truncated;
		ASSERT_NE(res.err.find(bad), std::string::npos) << res.err;
	}
}

/* The memory reader is the file reader over another source: for a bit
 * flipped in every byte and every cut of a log, both read the same events and stop the
 * same way with the same sentence. */
TEST(Rlog, MemoryReaderAgreesWithTheFileReaderOnEveryDamage)
{
	TmpDir dir;
	std::string good = dir.file("good.rlog"), bad = dir.file("bad.rlog");
	write_log(good, small_log_events(), { 1, 3 });
	Bytes f = read_file(good);
	std::vector<Bytes> variants;

	for (size_t byte = 0; byte < f.size(); byte++) {
		variants.push_back(f);
		variants.back()[byte] ^= (uint8_t)(1u << (byte % 8));
	}
	for (size_t n = 0; n <= f.size(); n++)
		variants.push_back(Bytes(f.begin(), f.begin() + (long)n));
	for (const Bytes &g : variants) {
		write_file(bad, g);
		ReadResult a = read_log(bad), b = read_log(bad, true);
		ASSERT_EQ(a.opened, b.opened) << a.err << " / " << b.err;
		ASSERT_EQ(a.rc, b.rc);
		ASSERT_EQ(a.truncated, b.truncated);
		ASSERT_EQ(a.err, b.err);
		ASSERT_EQ(a.events.size(), b.events.size());
		for (size_t i = 0; i < a.events.size(); i++)
			ASSERT_TRUE(a.events[i] == b.events[i]) << "event " << i;
	}
	ReadResult whole = read_log(good, true);
	EXPECT_EQ(whole.rc, 0) << whole.err;
	EXPECT_FALSE(whole.truncated);
	EXPECT_EQ(whole.events.size(), small_log_events().size());
}

/* The process's file size limit (RLIMIT_FSIZE) set to LIMIT bytes, with
 * SIGXFSZ ignored so that a write past it fails with EFBIG, for the
 * lifetime of the object. */
struct FileSizeLimit {
	struct rlimit old;
	void (*old_handler)(int);

	explicit FileSizeLimit(rlim_t limit)
	{
		struct rlimit r;
		getrlimit(RLIMIT_FSIZE, &old);
		r.rlim_cur = limit;
		r.rlim_max = old.rlim_max;
		old_handler = signal(SIGXFSZ, SIG_IGN);
		if (setrlimit(RLIMIT_FSIZE, &r) != 0)
			abort();
	}
	~FileSizeLimit()
	{
		setrlimit(RLIMIT_FSIZE, &old);
		signal(SIGXFSZ, old_handler);
	}
};

/* A log whose write fails (disk full, file size limit) leaves no partial
 * file: the writer says which file and why, and abandoning it removes
 * PATH.tmp; a log already under PATH is untouched. Before the fix the
 * .tmp stayed behind. */
TEST(Rlog, FailedWriteRemovesTheTemporaryFileAndKeepsThePreviousLog)
{
	TmpDir dir;
	std::string path = dir.file("run.rlog");
	write_log(path, small_log_events(), {});
	Bytes previous = read_file(path);
	struct hv_err err = {};
	struct rlog_writer *w = rlog_create(path.c_str(), &err);
	ASSERT_NE(w, nullptr) << err.msg;
	int rc = 0;
	{
		FileSizeLimit limit(4096);
		Rng rng{ 5 };
		for (int i = 0; rc == 0 && i < 64; i++) {
			Ev e{ i ? (uint32_t)RLOG_NET : (uint32_t)RLOG_CONFIG, RLOG_NO_HART,
			      (uint64_t)i, (uint64_t)i, payload(rng, 1000, false) };
			struct rlog_event ev = as_event(e);
			rc = rlog_append(w, &ev, &err);
			if (rc == 0)
				rc = rlog_flush(w, &err);
		}
	}
	ASSERT_EQ(rc, -1) << "64 KiB of incompressible events fit under a 4 KiB limit";
	EXPECT_NE(std::string(err.msg).find(strerror(EFBIG)), std::string::npos) << err.msg;
	EXPECT_NE(std::string(err.msg).find(path + ".tmp"), std::string::npos) << err.msg;
	rlog_abandon(w);
	EXPECT_FALSE(exists(path + ".tmp"));
	EXPECT_TRUE(read_file(path) == previous);
}

/* A header that cannot be written: rlog_create fails and leaves nothing. */
TEST(Rlog, CreateThatCannotWriteTheHeaderLeavesNoFile)
{
	TmpDir dir;
	std::string path = dir.file("run.rlog");
	struct hv_err err = {};
	struct rlog_writer *w;
	{
		FileSizeLimit limit(10);
		w = rlog_create(path.c_str(), &err);
	}
	EXPECT_EQ(w, nullptr);
	EXPECT_NE(std::string(err.msg).find(strerror(EFBIG)), std::string::npos) << err.msg;
	EXPECT_FALSE(exists(path + ".tmp"));
	EXPECT_FALSE(exists(path));
}

TEST(Rlog, CorruptChunkInTheMiddleIsReportedWithItsOffset)
{
	TmpDir dir;
	std::string path = dir.file("run.rlog");
	write_log(path, small_log_events(), { 1, 3 });
	Bytes f = read_file(path);
	std::vector<size_t> ends = chunk_ends(f);
	f[ends[0] + kChunkHeader + 2] ^= 0x10; /* compressed data of chunk 2 */
	write_file(path, f);

	ReadResult res = read_log(path);
	EXPECT_EQ(res.rc, -1);
	EXPECT_EQ(res.events.size(), 2u) << "the first chunk's events are still whole";
	char want[256];
	snprintf(want, sizeof(want),
		 "%s: chunk at offset 0x%zx is corrupt (data checksum mismatch)", path.c_str(),
		 ends[0]);
	EXPECT_EQ(res.err, want);
}

TEST(Rlog, TruncationAtEveryOffsetYieldsOnlyWholeChunks)
{
	TmpDir dir;
	std::string good = dir.file("good.rlog"), cut = dir.file("cut.rlog");
	std::vector<Ev> evs = small_log_events();
	write_log(good, evs, { 0, 2, 3 });
	Bytes f = read_file(good);
	std::vector<size_t> ends = chunk_ends(f);
	ASSERT_EQ(ends.size(), 4u);

	for (size_t len = 0; len <= f.size(); len++) {
		write_file(cut, Bytes(f.begin(), f.begin() + (ptrdiff_t)len));
		ReadResult res = read_log(cut);
		if (len < kHeader) {
			EXPECT_FALSE(res.opened) << len;
			EXPECT_NE(res.err.find(cut), std::string::npos) << res.err;
			continue;
		}
		ASSERT_TRUE(res.opened) << len << ": " << res.err;
		ASSERT_EQ(res.rc, 0) << len << ": " << res.err;
		EXPECT_EQ(res.truncated, len != f.size()) << len;
		size_t whole = 0, off = kHeader;
		for (size_t end : ends) {
			if (end > len)
				break;
			whole += chunk_events(f, off);
			off = end;
		}
		ASSERT_EQ(res.events.size(), whole) << len;
		for (size_t i = 0; i < whole; i++)
			ASSERT_TRUE(res.events[i] == evs[i]) << len << " event " << i;
	}
}

/* ---- files that are not (this version's) logs ---- */

TEST(Rlog, RejectsALogFromAnotherVersion)
{
	TmpDir dir;
	std::string path = dir.file("run.rlog");
	write_file(path, concat({ file_header(2), chunk(config_raw(), 1) }));
	ReadResult res = read_log(path);
	EXPECT_FALSE(res.opened);
	EXPECT_EQ(res.err, path + ": log format version 2, this retrovisor reads version 1; "
				  "replay it with the retrovisor that recorded it");
}

TEST(Rlog, RejectsWrongMagic)
{
	TmpDir dir;
	std::string path = dir.file("run.rlog");
	Bytes f = concat({ file_header(), chunk(config_raw(), 1) });
	f[0] = 'X';
	write_file(path, f);
	ReadResult res = read_log(path);
	EXPECT_FALSE(res.opened);
	EXPECT_NE(res.err.find(path + ": not a Retrovisor record log"), std::string::npos)
		<< res.err;
}

TEST(Rlog, RejectsEmptyAndShortFiles)
{
	TmpDir dir;
	std::string path = dir.file("run.rlog");
	write_file(path, {});
	ReadResult res = read_log(path);
	EXPECT_FALSE(res.opened);
	EXPECT_EQ(res.err, path + ": the file is empty, not a record log");

	write_file(path, text("RVSRLOG"));
	res = read_log(path);
	EXPECT_FALSE(res.opened);
	EXPECT_NE(res.err.find("too short"), std::string::npos) << res.err;
}

TEST(Rlog, RejectsADirectory)
{
	TmpDir dir;
	ReadResult res = read_log(dir.path);
	EXPECT_FALSE(res.opened);
	EXPECT_EQ(res.err, dir.path + ": is a directory, not a record log");
}

TEST(Rlog, ReportsAMissingFileWithTheSystemsReason)
{
	TmpDir dir;
	std::string path = dir.file("absent.rlog");
	ReadResult res = read_log(path);
	EXPECT_FALSE(res.opened);
	EXPECT_EQ(res.err, "cannot open record log '" + path + "': " + strerror(ENOENT));
}

TEST(Rlog, CreateInAMissingDirectoryNamesTheFile)
{
	TmpDir dir;
	std::string path = dir.file("no/such/run.rlog");
	struct hv_err err = {};
	EXPECT_EQ(rlog_create(path.c_str(), &err), nullptr);
	EXPECT_EQ(std::string(err.msg),
		  "cannot create record log '" + path + ".tmp': " + strerror(ENOENT));
}

/* ---- the writer refuses what the reader would reject ---- */

TEST(Rlog, WriterRefusesEventsThatBreakTheFormat)
{
	TmpDir dir;
	std::string path = dir.file("run.rlog");
	struct hv_err err = {};
	struct rlog_writer *w = rlog_create(path.c_str(), &err);
	ASSERT_NE(w, nullptr) << err.msg;
	Bytes big(RLOG_MAX_EVENT_DATA + 1);

	auto append = [&](uint32_t type, const Bytes &data) {
		Ev e{ type, 0, 1, 1, data };
		struct rlog_event ev = as_event(e);
		err.msg[0] = 0;
		return rlog_append(w, &ev, &err);
	};
	EXPECT_EQ(append(RLOG_CONSOLE, text("x")), -1) << "first event must be the config";
	EXPECT_NE(std::string(err.msg).find("first event is not the configuration"),
		  std::string::npos)
		<< err.msg;
	EXPECT_EQ(append(RLOG_CONFIG, text("cpus=1")), 0) << err.msg;
	EXPECT_EQ(append(RLOG_CONFIG, text("cpus=1")), -1);
	EXPECT_EQ(append(RLOG_NET, big), -1);
	EXPECT_NE(std::string(err.msg).find(path + ".tmp"), std::string::npos) << err.msg;
	EXPECT_EQ(append(RLOG_NET, Bytes(RLOG_MAX_EVENT_DATA)), 0) << err.msg;
	EXPECT_EQ(append(0, {}), -1);
	EXPECT_EQ(append(8, {}), -1);
	EXPECT_EQ(append(RLOG_STOP, text("x")), -1);
	EXPECT_EQ(append(RLOG_IDLE, Bytes(4)), -1);
	EXPECT_EQ(append(RLOG_DIGEST, Bytes(39)), -1);
	EXPECT_EQ(append(RLOG_DIGEST, Bytes(44)), -1);
	EXPECT_EQ(append(RLOG_END, Bytes(48 + 1)), -1);
	EXPECT_EQ(append(RLOG_IDLE, {}), 0) << err.msg;
	EXPECT_EQ(append(RLOG_DIGEST, Bytes(40 + 8 * 65)), 0) << err.msg;

	/* Finishing without RLOG_END leaves the .tmp. */
	EXPECT_EQ(rlog_finish(w, &err), -1);
	EXPECT_NE(std::string(err.msg).find("has no end event"), std::string::npos) << err.msg;
	EXPECT_TRUE(exists(path + ".tmp"));
	EXPECT_FALSE(exists(path));
}

TEST(Rlog, WriterRefusesEventsAfterTheEnd)
{
	TmpDir dir;
	std::string path = dir.file("run.rlog");
	struct hv_err err = {};
	struct rlog_writer *w = rlog_create(path.c_str(), &err);
	ASSERT_NE(w, nullptr) << err.msg;
	for (const Ev &e : small_log_events()) {
		struct rlog_event ev = as_event(e);
		ASSERT_EQ(rlog_append(w, &ev, &err), 0) << err.msg;
	}
	Ev late{ RLOG_CONSOLE, 0, 99, 99, text("late") };
	struct rlog_event ev = as_event(late);
	EXPECT_EQ(rlog_append(w, &ev, &err), -1);
	EXPECT_NE(std::string(err.msg).find("follows the end event"), std::string::npos) << err.msg;
	EXPECT_EQ(rlog_finish(w, &err), 0) << err.msg;
	EXPECT_EQ(read_log(path).events.size(), small_log_events().size());
}

/* ---- hand-built chunks with valid checksums and bad contents ---- */

std::string read_error(const TmpDir &dir, const Bytes &file)
{
	std::string path = dir.file("crafted.rlog");
	write_file(path, file);
	ReadResult res = read_log(path);
	EXPECT_TRUE(res.opened) << res.err;
	EXPECT_EQ(res.rc, -1) << "accepted " << res.events.size() << " events";
	EXPECT_EQ(res.err.rfind(path + ": chunk at offset 0x", 0), 0u) << res.err;
	EXPECT_NE(res.err.find("is corrupt"), std::string::npos) << res.err;
	return res.err;
}

TEST(Rlog, ReaderAcceptsAHandBuiltLog)
{
	/* The builder below is right, so the rejections that follow are
	 * about the one thing each of them changes. */
	TmpDir dir;
	std::string path = dir.file("crafted.rlog");
	Bytes raw = config_raw();
	put_event(raw, RLOG_END, 40, Bytes(40));
	write_file(path, concat({ file_header(), chunk(raw, 2) }));
	ReadResult res = read_log(path);
	EXPECT_EQ(res.rc, 0) << res.err;
	EXPECT_FALSE(res.truncated);
	EXPECT_EQ(res.events.size(), 2u);
}

TEST(Rlog, ReaderRejectsEventLengthsBeyondLimits)
{
	TmpDir dir;
	Bytes raw = config_raw();
	put_event(raw, RLOG_NET, RLOG_MAX_EVENT_DATA + 1, Bytes(RLOG_MAX_EVENT_DATA + 1));
	std::string e = read_error(dir, concat({ file_header(), chunk(raw, 2) }));
	EXPECT_NE(e.find("larger than the limit"), std::string::npos) << e;

	raw = config_raw();
	put_event(raw, RLOG_NET, 100, Bytes(10)); /* claims more than the chunk holds */
	e = read_error(dir, concat({ file_header(), chunk(raw, 2) }));
	EXPECT_NE(e.find("more than the chunk holds"), std::string::npos) << e;

	raw = config_raw();
	put_event(raw, RLOG_NET, 0xffffffffu, Bytes(10));
	read_error(dir, concat({ file_header(), chunk(raw, 2) }));

	/* Shapes log.h fixes: a digest is 40 bytes and whole 8-byte words. */
	raw = config_raw();
	put_event(raw, RLOG_DIGEST, 44, Bytes(44));
	e = read_error(dir, concat({ file_header(), chunk(raw, 2) }));
	EXPECT_NE(e.find("40-byte digest"), std::string::npos) << e;
	raw = config_raw();
	put_event(raw, RLOG_STOP, 1, Bytes(1));
	read_error(dir, concat({ file_header(), chunk(raw, 2) }));
}

TEST(Rlog, ReaderRejectsBadEventSequences)
{
	TmpDir dir;
	Bytes raw = config_raw();
	raw.insert(raw.end(), { 1, 2, 3 });
	std::string e = read_error(dir, concat({ file_header(), chunk(raw, 1) }));
	EXPECT_NE(e.find("3 bytes follow its last event"), std::string::npos) << e;

	e = read_error(dir, concat({ file_header(), chunk(config_raw(), 2) }));
	EXPECT_NE(e.find("2 events declared in 34 raw bytes"), std::string::npos) << e;
	raw.clear();
	put_event(raw, RLOG_CONFIG, 30, Bytes(30, 'x')); /* room for 2 headers, holds 1 */
	e = read_error(dir, concat({ file_header(), chunk(raw, 2) }));
	EXPECT_NE(e.find("event 1 of 2 starts past the end"), std::string::npos) << e;

	for (uint32_t type : { 0u, 9u, 0x80000001u }) {
		raw = config_raw();
		put_event(raw, type, 0, {});
		e = read_error(dir, concat({ file_header(), chunk(raw, 2) }));
		EXPECT_NE(e.find("unknown event type"), std::string::npos) << e;
	}

	raw.clear();
	put_event(raw, RLOG_CONSOLE, 1, text("x"));
	e = read_error(dir, concat({ file_header(), chunk(raw, 1) }));
	EXPECT_NE(e.find("first event is not the configuration"), std::string::npos) << e;

	raw = config_raw();
	put_event(raw, RLOG_CONFIG, 1, text("x"));
	read_error(dir, concat({ file_header(), chunk(raw, 2) }));

	raw = config_raw();
	put_event(raw, RLOG_END, 40, Bytes(40));
	put_event(raw, RLOG_CONSOLE, 1, text("x"));
	e = read_error(dir, concat({ file_header(), chunk(raw, 3) }));
	EXPECT_NE(e.find("follows the end event"), std::string::npos) << e;

	raw = config_raw();
	put_event(raw, RLOG_END, 40, Bytes(40));
	Bytes more;
	put_event(more, RLOG_CONSOLE, 1, text("x"));
	e = read_error(dir, concat({ file_header(), chunk(raw, 2), chunk(more, 1) }));
	EXPECT_NE(e.find("follow the end event's chunk"), std::string::npos) << e;

	/* A partial chunk after the end is not a cut-off recording either. */
	Bytes tail = chunk(more, 1);
	tail.resize(10);
	read_error(dir, concat({ file_header(), chunk(raw, 2), tail }));

	e = read_error(dir, concat({ file_header(), chunk(config_raw(), 1, 5) }));
	EXPECT_NE(e.find("round"), std::string::npos) << e;
}

TEST(Rlog, ReaderRejectsChunkSizesBeyondLimits)
{
	TmpDir dir;
	Bytes raw = config_raw();
	Bytes c = chunk(raw, 1);
	Bytes comp(c.begin() + kChunkHeader, c.end());

	std::string e = read_error(dir,
				   concat({ file_header(),
					    chunk_of_frame(comp, RLOG_MAX_CHUNK_RAW + 1, 1) }));
	EXPECT_NE(e.find("the limit is"), std::string::npos) << e;
	e = read_error(dir,
		       concat({ file_header(), chunk_of_frame(comp, (uint32_t)raw.size(), 0) }));
	EXPECT_NE(e.find("0 events"), std::string::npos) << e;
	e = read_error(dir, concat({ file_header(), chunk_of_frame(comp, 40, 1) }));
	EXPECT_NE(e.find("declares"), std::string::npos) << e;
	e = read_error(dir, concat({ file_header(), chunk_of_frame(Bytes(comp.size(), 0xaa),
								   (uint32_t)raw.size(), 1) }));
	EXPECT_NE(e.find("zstd"), std::string::npos) << e;
	/* Two frames where one belongs. */
	e = read_error(dir, concat({ file_header(), chunk_of_frame(concat({ comp, comp }),
								   (uint32_t)raw.size() * 2, 2) }));
	EXPECT_NE(e.find("not exactly one zstd frame"), std::string::npos) << e;
}

/* A zstd frame (RFC 8878 section 3.1.1) of RLE blocks that regenerates
 * `blocks` x 128 KiB of zeros from 4 bytes per block; with declare, its
 * header states that size, otherwise it leaves it unknown. */
Bytes zstd_bomb(uint32_t blocks, bool declare)
{
	Bytes f;
	put32(f, 0xfd2fb528u);
	f.push_back(declare ? 0xc0 : 0x00); /* FCS field 8 bytes or none, not single-segment */
	f.push_back(7 << 3);                /* window 2^(10+7) = 128 KiB */
	if (declare)
		put64(f, (uint64_t)blocks << 17);
	for (uint32_t i = 0; i < blocks; i++) {
		uint32_t hdr = (1u << 17) << 3 | 1u << 1 | (i + 1 == blocks); /* RLE */
		f.push_back((uint8_t)hdr);
		f.push_back((uint8_t)(hdr >> 8));
		f.push_back((uint8_t)(hdr >> 16));
		f.push_back(0);
	}
	return f;
}

TEST(Rlog, ZstdBombIsRejectedWithoutAllocatingItsSize)
{
	TmpDir dir;
	std::string path = dir.file("bomb.rlog");

	/* Sanity: the bomb really expands to 1 GiB. */
	Bytes bomb = zstd_bomb(8192, false);
	EXPECT_EQ(ZSTD_findFrameCompressedSize(bomb.data(), bomb.size()), bomb.size());
	Bytes declared = zstd_bomb(8192, true);
	EXPECT_EQ(ZSTD_getFrameContentSize(declared.data(), declared.size()), 1ull << 30);

	const struct {
		Bytes frame;
		const char *why;
	} cases[] = {
		{ bomb, "it decompresses to more than the 1048576 bytes its header declares" },
		{ declared, "its zstd frame declares 1073741824 bytes, its header 1048576" },
	};
	for (const auto &c : cases) {
		const Bytes &frame = c.frame;
		/* 1 MiB declared, so that the frame's 32 KiB are within the
		 * compressed size a chunk of that size may have. */
		write_file(path, concat({ file_header(), chunk_of_frame(frame, 1u << 20, 1) }));
		fflush(nullptr);
		pid_t pid = fork();
		ASSERT_GE(pid, 0);
		if (pid == 0) {
			ReadResult res = read_log(path);
			bool ok = res.opened && res.rc == -1 &&
				  res.err.find(c.why) != std::string::npos;
			if (!ok)
				fprintf(stderr, "bomb: rc %d: %s\n", res.rc, res.err.c_str());
			_exit(ok ? 0 : 1);
		}
		int status = 0;
		struct rusage ru = {};
		ASSERT_EQ(wait4(pid, &status, 0, &ru), pid);
		ASSERT_TRUE(WIFEXITED(status));
		EXPECT_EQ(WEXITSTATUS(status), 0);
		/* ru_maxrss is in KiB; 1 GiB of output would show. */
		EXPECT_LT(ru.ru_maxrss, 256 * 1024) << "peak RSS of the reading process";
	}
}

TEST(Rlog, TypeNamesAreHumanReadable)
{
	EXPECT_STREQ(rlog_type_name(RLOG_CONFIG), "config");
	EXPECT_STREQ(rlog_type_name(RLOG_CONSOLE), "console");
	EXPECT_STREQ(rlog_type_name(RLOG_NET), "net");
	EXPECT_STREQ(rlog_type_name(RLOG_IDLE), "idle");
	EXPECT_STREQ(rlog_type_name(RLOG_STOP), "stop");
	EXPECT_STREQ(rlog_type_name(RLOG_DIGEST), "digest");
	EXPECT_STREQ(rlog_type_name(RLOG_END), "end");
	EXPECT_STREQ(rlog_type_name(0), "unknown");
	EXPECT_STREQ(rlog_type_name(RLOG_DEBUG), "debug");
	EXPECT_STREQ(rlog_type_name(9), "unknown");
}

} // namespace
