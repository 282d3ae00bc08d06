// SPDX-License-Identifier: MIT
/*
 * Tests of base/sha256.c: the FIPS 180-4 / NIST example messages, every
 * way of splitting a message across updates, and agreement with the
 * system's sha256sum(1) on files whose sizes sit on the padding
 * boundaries (55, 56, 63, 64, 65 bytes) and across sha256_file's 1 MiB
 * read blocks.
 */
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include <unistd.h>

extern "C" {
#include "base/sha256.h"
}

namespace {

std::string HexOf(const void *data, size_t n)
{
	uint8_t d[SHA256_DIGEST_SIZE];
	char hex[SHA256_HEX_SIZE];

	sha256_digest(data, n, d);
	sha256_hex(d, hex);
	return hex;
}

std::string HexOf(const std::string &s)
{
	return HexOf(s.data(), s.size());
}

std::string MakeTempDir()
{
	const char *base = getenv("TEST_TMPDIR");
	std::string tmpl = std::string(base ? base : "/tmp") + "/sha256_test.XXXXXX";
	std::vector<char> buf(tmpl.begin(), tmpl.end());

	buf.push_back('\0');
	if (!mkdtemp(buf.data()))
		return "";
	return buf.data();
}

/* What /usr/bin/sha256sum says about a file. */
std::string SystemSha256(const std::string &path)
{
	std::string cmd = "/usr/bin/sha256sum '" + path + "'";
	FILE *p = popen(cmd.c_str(), "r");
	char line[256] = { 0 };

	if (!p)
		return "";
	if (!fgets(line, sizeof(line), p))
		line[0] = '\0';
	pclose(p);
	return std::string(line).substr(0, 64);
}

} // namespace

/* FIPS 180-4 examples (NIST "SHA256.pdf", "SHA2_Additional.pdf"). */
TEST(Sha256, HashesEmptyMessage)
{
	EXPECT_EQ(HexOf(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Sha256, HashesOneBlockMessageAbc)
{
	EXPECT_EQ(HexOf("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Sha256, Hashes448BitMessageThatNeedsAnExtraPaddingBlock)
{
	EXPECT_EQ(HexOf("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
		  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(Sha256, Hashes896BitMessage)
{
	EXPECT_EQ(HexOf("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
			"hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu"),
		  "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}

TEST(Sha256, HashesMillionAsFedInOddPieces)
{
	const std::string expect =
		"cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";
	std::string a(1000000, 'a');
	struct sha256_ctx c;
	uint8_t d[SHA256_DIGEST_SIZE];
	char hex[SHA256_HEX_SIZE];
	size_t off = 0, piece = 1;

	EXPECT_EQ(HexOf(a), expect);

	sha256_init(&c);
	while (off < a.size()) {
		size_t n = std::min(piece, a.size() - off);

		sha256_update(&c, a.data() + off, n);
		off += n;
		piece = piece * 3 % 1000 + 1;
	}
	sha256_final(&c, d);
	sha256_hex(d, hex);
	EXPECT_EQ(std::string(hex), expect);
}

TEST(Sha256, AnySplitIntoTwoUpdatesGivesTheOneShotDigest)
{
	std::vector<uint8_t> msg(200);
	std::mt19937 rng(7);

	for (auto &b : msg)
		b = (uint8_t)rng();
	const std::string whole = HexOf(msg.data(), msg.size());
	for (size_t cut = 0; cut <= msg.size(); cut++) {
		struct sha256_ctx c;
		uint8_t d[SHA256_DIGEST_SIZE];
		char hex[SHA256_HEX_SIZE];

		sha256_init(&c);
		sha256_update(&c, msg.data(), cut);
		sha256_update(&c, msg.data() + cut, msg.size() - cut);
		sha256_final(&c, d);
		sha256_hex(d, hex);
		ASSERT_EQ(std::string(hex), whole) << "split at " << cut;
	}
}

TEST(Sha256, FileDigestAgreesWithSha256sumAtPaddingAndBlockBoundaries)
{
	const size_t sizes[] = { 0, 1, 55, 56, 63, 64, 65, 119, 120, 128, (1u << 20) + 3 };
	std::string dir = MakeTempDir();
	std::mt19937 rng(12345);

	ASSERT_FALSE(dir.empty());
	for (size_t size : sizes) {
		std::string path = dir + "/f" + std::to_string(size);
		std::vector<uint8_t> data(size);
		uint8_t d[SHA256_DIGEST_SIZE];
		char hex[SHA256_HEX_SIZE];
		struct hv_err err = {};

		for (auto &b : data)
			b = (uint8_t)rng();
		FILE *f = fopen(path.c_str(), "wb");
		ASSERT_NE(f, nullptr);
		if (size) {
			ASSERT_EQ(fwrite(data.data(), 1, size, f), size);
		}
		fclose(f);

		ASSERT_EQ(sha256_file(path.c_str(), d, &err), 0) << err.msg;
		sha256_hex(d, hex);
		EXPECT_EQ(std::string(hex), SystemSha256(path)) << "size " << size;
		EXPECT_EQ(std::string(hex), HexOf(data.data(), size)) << "size " << size;
		unlink(path.c_str());
	}
	rmdir(dir.c_str());
}

TEST(Sha256, MissingFileIsAnErrorThatNamesIt)
{
	uint8_t d[SHA256_DIGEST_SIZE];
	struct hv_err err = {};

	EXPECT_EQ(sha256_file("/nonexistent/kernel.img", d, &err), -1);
	EXPECT_NE(std::string(err.msg).find("/nonexistent/kernel.img"), std::string::npos)
		<< err.msg;
}

TEST(Sha256, DirectoryIsAnErrorThatNamesIt)
{
	uint8_t d[SHA256_DIGEST_SIZE];
	struct hv_err err = {};

	EXPECT_EQ(sha256_file("/", d, &err), -1);
	EXPECT_NE(std::string(err.msg).find("'/'"), std::string::npos) << err.msg;
}

TEST(Sha256, HexIsLowercaseAndTerminated)
{
	uint8_t d[SHA256_DIGEST_SIZE];
	char hex[SHA256_HEX_SIZE];

	for (unsigned i = 0; i < SHA256_DIGEST_SIZE; i++)
		d[i] = (uint8_t)(0xf0 + i % 16);
	memset(hex, 'x', sizeof(hex));
	sha256_hex(d, hex);
	EXPECT_EQ(strlen(hex), 64u);
	EXPECT_EQ(std::string(hex).substr(0, 8), "f0f1f2f3");
	EXPECT_EQ(std::string(hex).substr(56, 8), "fcfdfeff");
}

/* The x86 SHA extensions' path and the portable one agree on the FIPS
 * vectors and on random messages of every length around the block size
 * and across many blocks (the accelerated loop takes runs of blocks). */
TEST(Sha256, HostInstructionsAndPortableCodeGiveTheSameDigests)
{
	std::vector<uint8_t> msg(5000);
	std::mt19937 rng(11);

	for (auto &b : msg)
		b = (uint8_t)rng();
	for (bool accel : { false, true }) {
		sha256_use_accel(accel);
		EXPECT_EQ(HexOf("abc"),
			  "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
		EXPECT_EQ(HexOf(std::string(1000000, 'a')),
			  "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	}
	for (size_t n = 0; n <= msg.size(); n += (n < 300 ? 1 : 97)) {
		sha256_use_accel(false);
		std::string portable = HexOf(msg.data(), n);
		sha256_use_accel(true);
		ASSERT_EQ(HexOf(msg.data(), n), portable) << n << " bytes";
	}
	sha256_use_accel(true);
}

/* A CPU that lists sha_ni gets the fast path: losing the detection would
 * silently make every recording's image hashing 8x slower. */
TEST(Sha256, HostInstructionsAreFoundWhenTheCpuHasThem)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[4096];
	bool listed = false;

	ASSERT_NE(f, nullptr) << "cannot read /proc/cpuinfo";
	while (!listed && fgets(line, sizeof(line), f))
		listed = strncmp(line, "flags", 5) == 0 && strstr(line, " sha_ni");
	fclose(f);
	EXPECT_EQ(sha256_use_accel(true), listed);
}
