// SPDX-License-Identifier: MIT
/*
 * Tests of replay/bundle.c: a log and its images survive a pack/extract
 * round trip byte for byte; an image that changed since the recording is
 * refused; and a bundle that is truncated, bit-flipped or hand-crafted to
 * attack the extractor (path-traversal roles, sizes that disagree with
 * the stream, extra frames, trailing bytes, another version) is rejected
 * with an error, leaves nothing behind and writes nothing outside the
 * extraction directory.
 *
 * The hand-crafted bundles are built here from the layout documented in
 * bundle.h, with an independent bit-at-a-time CRC-32, so a test that
 * extracts one successfully also checks that documentation.
 */
#include <gtest/gtest.h>

#include <cctype>
#include <csignal>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

extern "C" {
#include "replay/bundle.h"
#include "base/sha256.h"
}

namespace fs = std::filesystem;

namespace {

using Bytes = std::vector<uint8_t>;

void WriteFile(const std::string &path, const Bytes &data)
{
	std::ofstream f(path, std::ios::binary | std::ios::trunc);
	f.write(reinterpret_cast<const char *>(data.data()), (std::streamsize)data.size());
	ASSERT_TRUE(f.good()) << path;
}

Bytes ReadFile(const std::string &path)
{
	std::ifstream f(path, std::ios::binary);
	return Bytes(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

Bytes RandomBytes(size_t n, uint32_t seed)
{
	std::mt19937 rng(seed);
	Bytes b(n);

	for (auto &x : b)
		x = (uint8_t)rng();
	return b;
}

std::string HexOf(const Bytes &b)
{
	uint8_t d[SHA256_DIGEST_SIZE];
	char hex[SHA256_HEX_SIZE];

	sha256_digest(b.data(), b.size(), d);
	sha256_hex(d, hex);
	return hex;
}

bool Contains(const char *msg, const std::string &needle)
{
	return std::string(msg).find(needle) != std::string::npos;
}

/* Bit-at-a-time CRC-32 (reflected 0xedb88320), independent of bundle.c's. */
uint32_t Crc32(const Bytes &b)
{
	uint32_t crc = 0xffffffffu;

	for (uint8_t x : b) {
		crc ^= x;
		for (int i = 0; i < 8; i++)
			crc = (crc >> 1) ^ ((crc & 1) ? 0xedb88320u : 0);
	}
	return ~crc;
}

void PutLe(Bytes &b, size_t at, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		b[at + i] = (uint8_t)(v >> (8 * i));
}

Bytes Compress(const Bytes &raw)
{
	Bytes out(ZSTD_compressBound(raw.size()));
	size_t n = ZSTD_compress(out.data(), out.size(), raw.data(), raw.size(), 1);

	EXPECT_FALSE(ZSTD_isError(n));
	out.resize(n);
	return out;
}

/* One entry of a hand-made bundle; by default consistent with its data. */
struct CraftEntry {
	std::string role;  /* copied into the 32-byte field (may hold NULs) */
	Bytes raw;         /* uncompressed contents */
	Bytes frame;       /* stored bytes; Compress(raw) unless set */
	int64_t size = -1; /* declared size; raw.size() unless set */
};

struct Craft {
	std::vector<CraftEntry> entries;
	uint32_t version = BUNDLE_VERSION;
	int64_t count = -1; /* declared count; entries.size() unless set */
	Bytes trailer;      /* appended after the last frame */
};

/* A bundle laid out exactly as bundle.h documents. */
Bytes BuildBundle(Craft c)
{
	const size_t n = c.entries.size();
	const size_t table_end = 24 + 96 * n + 32;
	Bytes b(table_end, 0);
	uint64_t off = table_end;

	memcpy(b.data(), "RVSRBNDL", 8);
	PutLe(b, 8, c.version, 4);
	PutLe(b, 12, c.count < 0 ? n : (uint64_t)c.count, 4);
	for (size_t i = 0; i < n; i++) {
		CraftEntry &e = c.entries[i];
		size_t at = 24 + 96 * i;
		uint8_t sha[SHA256_DIGEST_SIZE];

		if (e.frame.empty())
			e.frame = Compress(e.raw);
		memcpy(&b[at], e.role.data(), std::min<size_t>(e.role.size(), 32));
		PutLe(b, at + 32, e.size < 0 ? e.raw.size() : (uint64_t)e.size, 8);
		PutLe(b, at + 40, off, 8);
		PutLe(b, at + 48, e.frame.size(), 8);
		PutLe(b, at + 56, Crc32(e.frame), 4);
		sha256_digest(e.raw.data(), e.raw.size(), sha);
		memcpy(&b[at + 64], sha, sizeof(sha));
		off += e.frame.size();
	}
	sha256_digest(b.data(), 24 + 96 * n, &b[24 + 96 * n]);
	for (const CraftEntry &e : c.entries)
		b.insert(b.end(), e.frame.begin(), e.frame.end());
	b.insert(b.end(), c.trailer.begin(), c.trailer.end());
	return b;
}

Craft ValidCraft()
{
	Craft c;

	c.entries.push_back({ "log", RandomBytes(300, 1), {}, -1 });
	c.entries.push_back({ "kernel", Bytes(5000, 0x5a), {}, -1 });
	c.entries.push_back({ "drive0", RandomBytes(700, 2), {}, -1 });
	return c;
}

class Bundle : public ::testing::Test {
protected:
	void SetUp() override
	{
		const char *base = getenv("TEST_TMPDIR");
		std::string tmpl = std::string(base ? base : "/tmp") + "/bundle_test.XXXXXX";
		std::vector<char> buf(tmpl.begin(), tmpl.end());

		buf.push_back('\0');
		ASSERT_NE(mkdtemp(buf.data()), nullptr);
		dir_ = buf.data();
	}

	void TearDown() override
	{
		std::error_code ec;
		fs::remove_all(dir_, ec);
	}

	std::string Path(const std::string &name) const { return dir_ + "/" + name; }

	/* A log and three images (one empty) written to dir_, with the hashes
	 * a recording would have stored. */
	void MakeInputs(size_t kernel_size)
	{
		log_ = RandomBytes(3000, 11);
		WriteFile(Path("run.rlog"), log_);
		data_ = { RandomBytes(kernel_size, 12), Bytes(), Bytes(64 * 1024, 0) };
		for (size_t i = 0; i < data_[2].size(); i++)
			data_[2][i] = (uint8_t)(i / 512);
		const char *roles[3] = { "kernel", "initrd", "drive0" };
		for (unsigned i = 0; i < 3; i++) {
			struct bundle_image im = {};

			snprintf(im.role, sizeof(im.role), "%s", roles[i]);
			snprintf(im.path, sizeof(im.path), "%s",
				 Path(std::string("in_") + roles[i]).c_str());
			WriteFile(im.path, data_[i]);
			snprintf(im.sha256, sizeof(im.sha256), "%s", HexOf(data_[i]).c_str());
			imgs_[i] = im;
		}
	}

	int Pack(const std::string &out, struct hv_err *err)
	{
		return bundle_write(out.c_str(), Path("run.rlog").c_str(), imgs_, 3, err);
	}

	/* Extract into a fresh directory; on failure check it left nothing. */
	int Extract(const std::string &bundle, struct hv_err *err)
	{
		std::string out = Path("x");
		char log_path[BUNDLE_PATH_SIZE];
		struct bundle_image got[BUNDLE_MAX_IMAGES];
		unsigned n = 99;
		int r = bundle_extract(bundle.c_str(), out.c_str(), log_path, got, &n, err);

		if (r < 0)
			EXPECT_FALSE(fs::exists(out)) << "extraction left " << out << " behind";
		else
			fs::remove_all(out);
		return r;
	}

	int ExtractBytes(const Bytes &bundle, struct hv_err *err)
	{
		WriteFile(Path("b.bndl"), bundle);
		return Extract(Path("b.bndl"), err);
	}

	std::string dir_;
	Bytes log_;
	std::vector<Bytes> data_;
	struct bundle_image imgs_[3] = {};
};

} // namespace

TEST_F(Bundle, RoundTripRestoresLogAndImagesByteForByte)
{
	struct bundle_image got[BUNDLE_MAX_IMAGES];
	char log_path[BUNDLE_PATH_SIZE];
	struct hv_err err = {};
	unsigned n = 0;

	MakeInputs(5u << 20);
	ASSERT_EQ(Pack(Path("bug.bndl"), &err), 0) << err.msg;
	EXPECT_FALSE(fs::exists(Path("bug.bndl.tmp")));
	EXPECT_TRUE(bundle_is_bundle(Path("bug.bndl").c_str()));

	std::string out = Path("elsewhere");
	ASSERT_EQ(bundle_extract(Path("bug.bndl").c_str(), out.c_str(), log_path, got, &n, &err), 0)
		<< err.msg;
	EXPECT_EQ(std::string(log_path), out + "/log");
	EXPECT_EQ(ReadFile(log_path), log_);
	ASSERT_EQ(n, 3u);
	for (unsigned i = 0; i < 3; i++) {
		uint8_t d[SHA256_DIGEST_SIZE];
		char hex[SHA256_HEX_SIZE];

		EXPECT_STREQ(got[i].role, imgs_[i].role);
		EXPECT_EQ(std::string(got[i].path), out + "/" + imgs_[i].role);
		EXPECT_STREQ(got[i].sha256, imgs_[i].sha256);
		EXPECT_EQ(ReadFile(got[i].path), data_[i]) << got[i].role;
		ASSERT_EQ(sha256_file(got[i].path, d, &err), 0) << err.msg;
		sha256_hex(d, hex);
		EXPECT_STREQ(hex, imgs_[i].sha256);
	}
	/* Only the extracted files, no temporaries. */
	EXPECT_EQ(std::distance(fs::directory_iterator(out), fs::directory_iterator()), 4);
}

TEST_F(Bundle, ExtractReplacesExistingFilesAndSymlinksWithoutFollowingThem)
{
	struct bundle_image got[BUNDLE_MAX_IMAGES];
	char log_path[BUNDLE_PATH_SIZE];
	struct hv_err err = {};
	unsigned n = 0;

	MakeInputs(1000);
	ASSERT_EQ(Pack(Path("bug.bndl"), &err), 0) << err.msg;
	std::string out = Path("out");
	ASSERT_EQ(mkdir(out.c_str(), 0755), 0);
	WriteFile(Path("victim"), Bytes{ 'k', 'e', 'e', 'p' });
	ASSERT_EQ(symlink(Path("victim").c_str(), (out + "/kernel").c_str()), 0);
	ASSERT_EQ(symlink(Path("victim").c_str(), (out + "/.drive0.tmp").c_str()), 0);
	WriteFile(out + "/log", Bytes{ 'o', 'l', 'd' });

	ASSERT_EQ(bundle_extract(Path("bug.bndl").c_str(), out.c_str(), log_path, got, &n, &err), 0)
		<< err.msg;
	EXPECT_EQ(ReadFile(Path("victim")), (Bytes{ 'k', 'e', 'e', 'p' }));
	EXPECT_FALSE(fs::is_symlink(out + "/kernel"));
	EXPECT_EQ(ReadFile(out + "/kernel"), data_[0]);
	EXPECT_EQ(ReadFile(out + "/drive0"), data_[2]);
	EXPECT_EQ(ReadFile(out + "/log"), log_);
}

TEST_F(Bundle, RefusesToPackAnImageThatChangedSinceTheRecording)
{
	struct hv_err err = {};

	MakeInputs(1000);
	data_[2][1234] ^= 1;
	WriteFile(imgs_[2].path, data_[2]);
	EXPECT_EQ(Pack(Path("bug.bndl"), &err), -1);
	EXPECT_TRUE(Contains(err.msg, imgs_[2].path)) << err.msg;
	EXPECT_TRUE(Contains(err.msg, "changed since the recording")) << err.msg;
	EXPECT_FALSE(fs::exists(Path("bug.bndl")));
	EXPECT_FALSE(fs::exists(Path("bug.bndl.tmp")));
}

TEST_F(Bundle, RefusesToPackMissingFilesUnsafeRolesAndBadHashes)
{
	struct hv_err err = {};

	MakeInputs(1000);
	EXPECT_EQ(bundle_write(Path("b").c_str(), Path("nolog").c_str(), imgs_, 3, &err), -1);
	EXPECT_TRUE(Contains(err.msg, Path("nolog"))) << err.msg;

	const char *bad_roles[] = { "../x", "/etc", "log", "", "Kernel", "a.b" };
	for (const char *role : bad_roles) {
		struct bundle_image saved = imgs_[1];

		snprintf(imgs_[1].role, sizeof(imgs_[1].role), "%s", role);
		err = {};
		EXPECT_EQ(Pack(Path("b"), &err), -1) << role;
		EXPECT_TRUE(Contains(err.msg, "role")) << err.msg;
		imgs_[1] = saved;
	}
	memset(imgs_[1].role, 'a', sizeof(imgs_[1].role));
	EXPECT_EQ(Pack(Path("b"), &err), -1);
	snprintf(imgs_[1].role, sizeof(imgs_[1].role), "kernel");
	EXPECT_EQ(Pack(Path("b"), &err), -1);
	EXPECT_TRUE(Contains(err.msg, "two images")) << err.msg;
	snprintf(imgs_[1].role, sizeof(imgs_[1].role), "initrd");

	imgs_[0].sha256[10] = 'g';
	EXPECT_EQ(Pack(Path("b"), &err), -1);
	EXPECT_TRUE(Contains(err.msg, "64 hex digits")) << err.msg;

	struct bundle_image many[BUNDLE_MAX_IMAGES + 1] = {};
	EXPECT_EQ(bundle_write(Path("b").c_str(), Path("run.rlog").c_str(), many,
			       BUNDLE_MAX_IMAGES + 1, &err),
		  -1);
	EXPECT_FALSE(fs::exists(Path("b")));
	EXPECT_FALSE(fs::exists(Path("b.tmp")));
}

TEST_F(Bundle, UppercaseRecordedHashIsAccepted)
{
	struct hv_err err = {};

	MakeInputs(1000);
	for (char *p = imgs_[0].sha256; *p; p++)
		*p = (char)toupper(*p);
	EXPECT_EQ(Pack(Path("b"), &err), 0) << err.msg;
}

TEST_F(Bundle, IsBundleLooksOnlyAtTheMagic)
{
	WriteFile(Path("magic"), Bytes{ 'R', 'V', 'S', 'R', 'B', 'N', 'D', 'L' });
	WriteFile(Path("log"), Bytes{ 'R', 'V', 'S', 'R', 'L', 'O', 'G', 0 });
	WriteFile(Path("short"), Bytes{ 'R', 'V', 'S' });
	EXPECT_TRUE(bundle_is_bundle(Path("magic").c_str()));
	EXPECT_FALSE(bundle_is_bundle(Path("log").c_str()));
	EXPECT_FALSE(bundle_is_bundle(Path("short").c_str()));
	EXPECT_FALSE(bundle_is_bundle(Path("missing").c_str()));
}

TEST_F(Bundle, TruncationAtManyOffsetsIsAnErrorThatNamesTheFile)
{
	struct hv_err err = {};

	MakeInputs(4000);
	ASSERT_EQ(Pack(Path("bug.bndl"), &err), 0) << err.msg;
	const Bytes whole = ReadFile(Path("bug.bndl"));
	ASSERT_EQ(ExtractBytes(whole, &err), 0) << err.msg;
	const size_t table_end = 24 + 96 * 4 + 32;

	/* Every length through the table and into the first frame, then a
	 * stride that still lands inside every frame. */
	for (size_t len = 0; len < whole.size(); len += len < table_end + 64 ? 1 : 7) {
		err = {};
		ASSERT_EQ(ExtractBytes(Bytes(whole.begin(), whole.begin() + len), &err), -1)
			<< "truncated to " << len;
		ASSERT_TRUE(Contains(err.msg, Path("b.bndl"))) << err.msg;
	}
}

TEST_F(Bundle, BitFlipsInHeaderTableAndDataAreRejected)
{
	struct hv_err err = {};

	MakeInputs(2000);
	ASSERT_EQ(Pack(Path("bug.bndl"), &err), 0) << err.msg;
	const Bytes whole = ReadFile(Path("bug.bndl"));
	const size_t table_end = 24 + 96 * 4 + 32;

	ASSERT_GT(whole.size(), table_end);
	for (size_t i = 0; i < whole.size(); i++) {
		/* All eight bits of the header, table and seal; one (varying) bit
		 * of every third data byte keeps the run short. */
		for (unsigned bit = 0; bit < 8; bit++) {
			if (i >= table_end && (i % 3 || bit != i / 3 % 8))
				continue;
			Bytes b = whole;

			b[i] ^= (uint8_t)(1u << bit);
			err = {};
			ASSERT_EQ(ExtractBytes(b, &err), -1) << "flip at " << i << " bit " << bit;
			ASSERT_NE(err.msg[0], '\0');
		}
	}
}

TEST_F(Bundle, HandCraftedValidBundleExtracts)
{
	struct hv_err err = {};

	EXPECT_EQ(ExtractBytes(BuildBundle(ValidCraft()), &err), 0) << err.msg;
}

TEST_F(Bundle, RejectsTraversalAndUnsafeRoles)
{
	const std::string bad[] = {
		"../x",
		"/etc",
		"..",
		".",
		"a/b",
		"Kernel",
		"ker nel",
		"kernel.img",
		std::string("kern\0el", 7),
		std::string(32, 'a'),
		"",
		"\x1b[31m",
	};

	for (const std::string &role : bad) {
		Craft c = ValidCraft();
		struct hv_err err = {};

		c.entries[1].role = role;
		EXPECT_EQ(ExtractBytes(BuildBundle(c), &err), -1) << role;
		EXPECT_TRUE(Contains(err.msg, "role")) << err.msg;
		EXPECT_TRUE(Contains(err.msg, "offset 120")) << err.msg;
		EXPECT_FALSE(strchr(err.msg, '\x1b')) << "raw escape in the message";
	}
	EXPECT_FALSE(fs::exists(Path("x")));
	EXPECT_FALSE(fs::exists(dir_ + "/x/../x"));
	EXPECT_FALSE(fs::exists(Path("etc")));
}

TEST_F(Bundle, RejectsMisplacedOrRepeatedLogAndRepeatedRoles)
{
	struct hv_err err = {};
	Craft first_not_log = ValidCraft();
	Craft second_log = ValidCraft();
	Craft repeated = ValidCraft();

	first_not_log.entries[0].role = "console";
	EXPECT_EQ(ExtractBytes(BuildBundle(first_not_log), &err), -1);
	EXPECT_TRUE(Contains(err.msg, "\"log\"")) << err.msg;
	second_log.entries[2].role = "log";
	EXPECT_EQ(ExtractBytes(BuildBundle(second_log), &err), -1);
	EXPECT_TRUE(Contains(err.msg, "\"log\"")) << err.msg;
	repeated.entries[2].role = "kernel";
	EXPECT_EQ(ExtractBytes(BuildBundle(repeated), &err), -1);
	EXPECT_TRUE(Contains(err.msg, "repeats")) << err.msg;
}

TEST_F(Bundle, RejectsDeclaredSizeSmallerThanTheStream)
{
	struct hv_err err = {};
	Craft c = ValidCraft();

	c.entries[1].size = 4999;
	EXPECT_EQ(ExtractBytes(BuildBundle(c), &err), -1);
	EXPECT_TRUE(Contains(err.msg, "more than its declared 4999 bytes")) << err.msg;
}

TEST_F(Bundle, RejectsDeclaredSizeLargerThanTheStream)
{
	struct hv_err err = {};
	Craft c = ValidCraft();

	c.entries[1].size = 5001;
	EXPECT_EQ(ExtractBytes(BuildBundle(c), &err), -1);
	EXPECT_TRUE(Contains(err.msg, "decompresses to 5000 bytes, not its declared 5001"))
		<< err.msg;
}

TEST_F(Bundle, BoundsExpansionOfABombToItsDeclaredSize)
{
	struct hv_err err = {};
	Craft c = ValidCraft();

	/* 64 MiB of zeros compresses to a few KiB; declared as 1 MiB, the
	 * extractor must stop after 1 MiB, not write the rest. */
	c.entries[1].frame = Compress(Bytes(64u << 20, 0));
	c.entries[1].raw = Bytes(1u << 20, 0);
	EXPECT_EQ(ExtractBytes(BuildBundle(c), &err), -1);
	EXPECT_TRUE(Contains(err.msg, "more than its declared")) << err.msg;
}

TEST_F(Bundle, RejectsSizesBeyondTheLimit)
{
	struct hv_err err = {};
	Craft c = ValidCraft();

	c.entries[1].size = (int64_t)BUNDLE_MAX_SIZE + 1;
	EXPECT_EQ(ExtractBytes(BuildBundle(c), &err), -1);
	EXPECT_TRUE(Contains(err.msg, "limit")) << err.msg;
}

TEST_F(Bundle, RejectsBadEntryCounts)
{
	struct hv_err err = {};

	for (int64_t count : { 0ll, 2ll, 4ll, 18ll, 0xffffffffll }) {
		Craft c = ValidCraft();

		c.count = count;
		err = {};
		EXPECT_EQ(ExtractBytes(BuildBundle(c), &err), -1) << count;
		EXPECT_NE(err.msg[0], '\0');
	}
	Craft c;
	for (unsigned i = 0; i <= BUNDLE_MAX_IMAGES + 1; i++)
		c.entries.push_back(
			{ i ? "img" + std::to_string(i) : "log", Bytes(10, 1), {}, -1 });
	EXPECT_EQ(ExtractBytes(BuildBundle(c), &err), -1);
	EXPECT_TRUE(Contains(err.msg, "at most 16 images")) << err.msg;
}

TEST_F(Bundle, RejectsAnotherFormatVersionNamingBoth)
{
	struct hv_err err = {};
	Craft c = ValidCraft();

	c.version = 2;
	EXPECT_EQ(ExtractBytes(BuildBundle(c), &err), -1);
	EXPECT_TRUE(Contains(err.msg, "version 2")) << err.msg;
	EXPECT_TRUE(Contains(err.msg, "version 1")) << err.msg;
}

TEST_F(Bundle, RejectsTrailingBytesAndExtraFrames)
{
	struct hv_err err = {};
	Craft trailing = ValidCraft();
	Craft two_frames = ValidCraft();

	trailing.trailer = Bytes(5, 0);
	EXPECT_EQ(ExtractBytes(BuildBundle(trailing), &err), -1);
	EXPECT_TRUE(Contains(err.msg, "after its last entry")) << err.msg;

	/* A second frame inside the kernel's slot: its declared size covers
	 * only the first, and the extra bytes are not silently ignored. */
	Bytes frame = Compress(two_frames.entries[1].raw);
	Bytes extra = Compress(Bytes(10, 7));
	frame.insert(frame.end(), extra.begin(), extra.end());
	two_frames.entries[1].frame = frame;
	EXPECT_EQ(ExtractBytes(BuildBundle(two_frames), &err), -1);
	EXPECT_TRUE(Contains(err.msg, "after its compressed frame")) << err.msg;
}

TEST_F(Bundle, RejectsFramesThatAreCutShortOrNotZstd)
{
	struct hv_err err = {};
	Craft cut = ValidCraft();
	Craft garbage = ValidCraft();

	Bytes frame = Compress(RandomBytes(700, 2));
	frame.resize(frame.size() - 10);
	cut.entries[2].frame = frame;
	EXPECT_EQ(ExtractBytes(BuildBundle(cut), &err), -1);
	EXPECT_TRUE(Contains(err.msg, "in the middle of its compressed frame")) << err.msg;

	garbage.entries[2].frame = RandomBytes(64, 3);
	EXPECT_EQ(ExtractBytes(BuildBundle(garbage), &err), -1);
	EXPECT_TRUE(Contains(err.msg, "zstd says")) << err.msg;
}

TEST_F(Bundle, RejectsContentThatDoesNotMatchItsHash)
{
	struct hv_err err = {};
	Craft c = ValidCraft();

	/* Well-formed frame, right size and CRC, different bytes. */
	Bytes other = c.entries[2].raw;
	other[0] ^= 1;
	c.entries[2].frame = Compress(other);
	EXPECT_EQ(ExtractBytes(BuildBundle(c), &err), -1);
	EXPECT_TRUE(Contains(err.msg, "SHA-256")) << err.msg;
}

TEST_F(Bundle, FailureAfterSomeEntriesRemovesWhatWasExtracted)
{
	struct hv_err err = {};
	Craft c = ValidCraft();
	std::string out = Path("existing");
	char log_path[BUNDLE_PATH_SIZE];
	struct bundle_image got[BUNDLE_MAX_IMAGES];
	unsigned n;

	c.entries[2].size = 1;
	WriteFile(Path("b.bndl"), BuildBundle(c));
	ASSERT_EQ(mkdir(out.c_str(), 0755), 0);
	WriteFile(out + "/unrelated", Bytes{ 1 });
	EXPECT_EQ(bundle_extract(Path("b.bndl").c_str(), out.c_str(), log_path, got, &n, &err), -1);
	EXPECT_TRUE(Contains(err.msg, "drive0")) << err.msg;
	EXPECT_TRUE(fs::exists(out + "/unrelated"));
	EXPECT_EQ(std::distance(fs::directory_iterator(out), fs::directory_iterator()), 1);
}

namespace {

/* An in-memory sink that records what it is given. */
struct MemSink {
	struct Entry {
		std::string role;
		Bytes data;
		bool committed = false;
	};
	std::vector<Entry> entries;
	bool open = false;

	static int Begin(void *o, const char *role, struct hv_err *)
	{
		MemSink *s = static_cast<MemSink *>(o);
		EXPECT_FALSE(s->open);
		s->open = true;
		s->entries.push_back(Entry{ role, {}, false });
		return 0;
	}
	static int Write(void *o, const uint8_t *buf, size_t len, struct hv_err *)
	{
		MemSink *s = static_cast<MemSink *>(o);
		EXPECT_TRUE(s->open);
		s->entries.back().data.insert(s->entries.back().data.end(), buf, buf + len);
		return 0;
	}
	static int Commit(void *o, struct hv_err *)
	{
		MemSink *s = static_cast<MemSink *>(o);
		EXPECT_TRUE(s->open);
		s->open = false;
		s->entries.back().committed = true;
		return 0;
	}
	static void Discard(void *o)
	{
		MemSink *s = static_cast<MemSink *>(o);
		EXPECT_TRUE(s->open);
		s->open = false;
	}
	struct bundle_sink sink() { return { this, nullptr, Begin, Write, Commit, Discard }; }
};

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

} // namespace

TEST_F(Bundle, UnpackFromMemoryHandsTheSinkEveryEntryVerified)
{
	struct hv_err err = {};

	MakeInputs(5000);
	ASSERT_EQ(Pack(Path("bug.bndl"), &err), 0) << err.msg;
	const Bytes whole = ReadFile(Path("bug.bndl"));
	MemSink s;
	struct bundle_sink sink = s.sink();
	ASSERT_EQ(bundle_unpack_mem("bug.bndl", whole.data(), whole.size(), &sink, &err), 0)
		<< err.msg;
	ASSERT_EQ(s.entries.size(), 4u);
	EXPECT_EQ(s.entries[0].role, "log");
	EXPECT_TRUE(s.entries[0].data == log_);
	const char *roles[3] = { "kernel", "initrd", "drive0" };
	for (unsigned i = 0; i < 3; i++) {
		EXPECT_EQ(s.entries[i + 1].role, roles[i]);
		EXPECT_TRUE(s.entries[i + 1].data == data_[i]) << roles[i];
		EXPECT_TRUE(s.entries[i + 1].committed);
	}
}

/* One parser: for cuts and bit flips of a bundle, extraction from memory
 * and from the file succeed or fail together, with the same sentence. */
TEST_F(Bundle, UnpackFromMemoryAgreesWithExtractOnEveryDamage)
{
	struct hv_err err = {};

	MakeInputs(3000);
	ASSERT_EQ(Pack(Path("bug.bndl"), &err), 0) << err.msg;
	const Bytes whole = ReadFile(Path("bug.bndl"));
	std::vector<Bytes> variants;

	for (size_t len = 0; len < whole.size(); len += 13)
		variants.push_back(Bytes(whole.begin(), whole.begin() + (long)len));
	for (size_t i = 0; i < whole.size(); i += 5) {
		variants.push_back(whole);
		variants.back()[i] ^= (uint8_t)(1u << (i % 8));
	}
	for (const Bytes &b : variants) {
		struct hv_err file_err = {}, mem_err = {};
		MemSink s;
		struct bundle_sink sink = s.sink();
		int file_rc = ExtractBytes(b, &file_err);
		int mem_rc = bundle_unpack_mem(Path("b.bndl").c_str(), b.data(), b.size(), &sink,
					       &mem_err);
		ASSERT_EQ(file_rc, mem_rc) << file_err.msg << " / " << mem_err.msg;
		ASSERT_STREQ(file_err.msg, mem_err.msg);
		ASSERT_FALSE(s.open);
	}
}

/* A bundle that cannot be written (disk full, file size limit) fails with
 * the file and the reason, leaves no temporary file and no bundle, and a
 * bundle already under that name is untouched. */
TEST_F(Bundle, FailedWriteLeavesNoFileAndKeepsThePreviousBundle)
{
	struct hv_err err = {};

	MakeInputs(512 * 1024);
	WriteFile(Path("bug.bndl"), Bytes{ 1, 2, 3 });
	{
		FileSizeLimit limit(64 * 1024);
		EXPECT_EQ(Pack(Path("bug.bndl"), &err), -1);
	}
	EXPECT_TRUE(Contains(err.msg, strerror(EFBIG))) << err.msg;
	EXPECT_TRUE(Contains(err.msg, Path("bug.bndl"))) << err.msg;
	EXPECT_FALSE(fs::exists(Path("bug.bndl.tmp")));
	EXPECT_TRUE(ReadFile(Path("bug.bndl")) == (Bytes{ 1, 2, 3 }));
}

/* Extraction whose writes fail removes what it extracted and the
 * directory it made. */
TEST_F(Bundle, FailedWriteWhileExtractingLeavesNothing)
{
	struct hv_err err = {};

	MakeInputs(512 * 1024);
	ASSERT_EQ(Pack(Path("bug.bndl"), &err), 0) << err.msg;
	{
		FileSizeLimit limit(64 * 1024);
		EXPECT_EQ(Extract(Path("bug.bndl"), &err), -1);
	}
	EXPECT_TRUE(Contains(err.msg, strerror(EFBIG))) << err.msg;
	EXPECT_TRUE(Contains(err.msg, ".kernel.tmp")) << err.msg;
}

TEST_F(Bundle, RejectsMissingAndNonBundleFiles)
{
	struct hv_err err = {};

	EXPECT_EQ(Extract(Path("missing.bndl"), &err), -1);
	EXPECT_TRUE(Contains(err.msg, Path("missing.bndl"))) << err.msg;
	EXPECT_EQ(ExtractBytes(RandomBytes(1000, 9), &err), -1);
	EXPECT_TRUE(Contains(err.msg, "not a reproducible-bug bundle")) << err.msg;
	EXPECT_EQ(Extract(dir_, &err), -1);
}
