// SPDX-License-Identifier: MIT
/*
 * Tests of raw disk images (hv/disk.c): the copy-on-write overlay reads
 * back what was written and never touches the base file, partial and
 * block-crossing writes keep the neighbouring base bytes, write-through
 * mode persists across reopen, and bad files and out-of-range accesses
 * are refused with a sentence naming the file.
 *
 * Images are temporary files filled with a position-dependent pattern, so
 * a byte read from the wrong place shows up as a mismatch.
 */
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

extern "C" {
#include "hv/disk.h"
}

namespace {

uint8_t pattern(uint64_t i)
{
	return static_cast<uint8_t>((i * 7 + (i >> 9)) & 0xff);
}

class TempImage {
public:
	explicit TempImage(uint64_t size)
	{
		const char *dir = std::getenv("TEST_TMPDIR");
		path_ = std::string(dir ? dir : "/tmp") + "/disk_test_XXXXXX";
		int fd = mkstemp(&path_[0]);
		EXPECT_GE(fd, 0);
		std::vector<uint8_t> buf(size);
		for (uint64_t i = 0; i < size; i++)
			buf[i] = pattern(i);
		EXPECT_EQ(write(fd, buf.data(), size), static_cast<ssize_t>(size));
		close(fd);
	}
	~TempImage() { unlink(path_.c_str()); }
	const char *path() const { return path_.c_str(); }
	std::vector<uint8_t> contents() const
	{
		std::vector<uint8_t> out;
		int fd = open(path_.c_str(), O_RDONLY);
		uint8_t b[4096];
		ssize_t n;
		while ((n = read(fd, b, sizeof(b))) > 0)
			out.insert(out.end(), b, b + n);
		close(fd);
		return out;
	}

private:
	std::string path_;
};

uint64_t checksum(const std::vector<uint8_t> &v)
{
	uint64_t h = 1469598103934665603ull;
	for (uint8_t b : v)
		h = (h ^ b) * 1099511628211ull;
	return h;
}

TEST(Disk, SnapshotReadsBackWritesAndLeavesBaseUntouched)
{
	TempImage img(64 * 1024);
	uint64_t before = checksum(img.contents());
	struct hv_err err;
	struct disk *d = disk_open(img.path(), true, &err);
	ASSERT_NE(d, nullptr) << err.msg;
	EXPECT_EQ(disk_size(d), 64u * 1024);

	std::vector<uint8_t> w(8192, 0xab);
	ASSERT_EQ(disk_write(d, 4096, w.data(), w.size(), &err), 0) << err.msg;
	std::vector<uint8_t> r(8192);
	ASSERT_EQ(disk_read(d, 4096, r.data(), r.size(), &err), 0) << err.msg;
	EXPECT_EQ(r, w);
	/* Blocks that were not written still read from the base. */
	uint8_t b[16];
	ASSERT_EQ(disk_read(d, 32768, b, sizeof(b), &err), 0);
	for (unsigned i = 0; i < sizeof(b); i++)
		EXPECT_EQ(b[i], pattern(32768 + i));
	EXPECT_EQ(disk_overlay_bytes(d), 8192u);
	ASSERT_EQ(disk_flush(d, &err), 0);
	disk_close(d);
	EXPECT_EQ(checksum(img.contents()), before);
}

TEST(Disk, SnapshotPartialWriteAcrossBlocksKeepsNeighbours)
{
	TempImage img(16 * 1024);
	struct hv_err err;
	struct disk *d = disk_open(img.path(), true, &err);
	ASSERT_NE(d, nullptr) << err.msg;

	const uint8_t w[6] = { 1, 2, 3, 4, 5, 6 };
	ASSERT_EQ(disk_write(d, 4093, w, sizeof(w), &err), 0) << err.msg;
	std::vector<uint8_t> r(3 * 4096);
	ASSERT_EQ(disk_read(d, 0, r.data(), r.size(), &err), 0) << err.msg;
	for (uint64_t i = 0; i < r.size(); i++) {
		uint8_t want = (i >= 4093 && i < 4099) ? w[i - 4093] : pattern(i);
		ASSERT_EQ(r[i], want) << "at offset " << i;
	}
	EXPECT_EQ(disk_overlay_bytes(d), 2u * 4096);
	disk_close(d);
}

TEST(Disk, SnapshotLastBlockShorterThanOverlayBlock)
{
	TempImage img(4096 + 512);
	struct hv_err err;
	struct disk *d = disk_open(img.path(), true, &err);
	ASSERT_NE(d, nullptr) << err.msg;

	const uint8_t w[2] = { 0x11, 0x22 };
	ASSERT_EQ(disk_write(d, 4096 + 510, w, 2, &err), 0) << err.msg;
	uint8_t r[512];
	ASSERT_EQ(disk_read(d, 4096, r, sizeof(r), &err), 0) << err.msg;
	for (unsigned i = 0; i < 510; i++)
		ASSERT_EQ(r[i], pattern(4096 + i));
	EXPECT_EQ(r[510], 0x11);
	EXPECT_EQ(r[511], 0x22);
	EXPECT_NE(disk_write(d, 4096 + 511, w, 2, &err), 0);
	disk_close(d);
}

TEST(Disk, WriteThroughPersistsAcrossReopen)
{
	TempImage img(8192);
	struct hv_err err;
	struct disk *d = disk_open(img.path(), false, &err);
	ASSERT_NE(d, nullptr) << err.msg;
	const uint8_t w[3] = { 9, 8, 7 };
	ASSERT_EQ(disk_write(d, 100, w, sizeof(w), &err), 0) << err.msg;
	ASSERT_EQ(disk_flush(d, &err), 0) << err.msg;
	EXPECT_EQ(disk_overlay_bytes(d), 0u);
	disk_close(d);

	std::vector<uint8_t> file = img.contents();
	EXPECT_EQ(file[99], pattern(99));
	EXPECT_EQ(file[100], 9);
	EXPECT_EQ(file[101], 8);
	EXPECT_EQ(file[102], 7);
	EXPECT_EQ(file[103], pattern(103));

	d = disk_open(img.path(), true, &err);
	ASSERT_NE(d, nullptr) << err.msg;
	uint8_t r[3];
	ASSERT_EQ(disk_read(d, 100, r, 3, &err), 0);
	EXPECT_EQ(r[0], 9);
	disk_close(d);
}

TEST(Disk, RejectsOutOfRangeAccess)
{
	TempImage img(4096);
	struct hv_err err;
	struct disk *d = disk_open(img.path(), true, &err);
	ASSERT_NE(d, nullptr) << err.msg;
	uint8_t b[8] = { 0 };
	EXPECT_NE(disk_read(d, 4095, b, 2, &err), 0);
	EXPECT_NE(std::string(err.msg).find(img.path()), std::string::npos) << err.msg;
	EXPECT_NE(disk_read(d, UINT64_MAX - 1, b, 4, &err), 0);
	EXPECT_NE(disk_write(d, 4096, b, 1, &err), 0);
	EXPECT_NE(disk_write(d, 8, b, SIZE_MAX - 4, &err), 0);
	EXPECT_EQ(disk_read(d, 4088, b, 8, &err), 0);
	EXPECT_EQ(disk_write(d, 4096, b, 0, &err), 0);
	EXPECT_EQ(disk_overlay_bytes(d), 0u);
	disk_close(d);
}

TEST(Disk, RejectsSizeNotMultipleOfSector)
{
	TempImage img(1000);
	struct hv_err err;
	EXPECT_EQ(disk_open(img.path(), true, &err), nullptr);
	EXPECT_NE(std::string(err.msg).find(img.path()), std::string::npos) << err.msg;
	EXPECT_NE(std::string(err.msg).find("512"), std::string::npos) << err.msg;
}

TEST(Disk, RejectsEmptyAndMissingFiles)
{
	TempImage img(0);
	struct hv_err err;
	EXPECT_EQ(disk_open(img.path(), true, &err), nullptr);
	EXPECT_NE(std::string(err.msg).find("empty"), std::string::npos) << err.msg;
	EXPECT_EQ(disk_open("/nonexistent/disk.img", true, &err), nullptr);
	EXPECT_NE(std::string(err.msg).find("/nonexistent/disk.img"), std::string::npos);
}

TEST(Disk, WriteThroughNeedsWritableFile)
{
	if (geteuid() == 0)
		GTEST_SKIP() << "root can write read-only files";
	TempImage img(4096);
	ASSERT_EQ(chmod(img.path(), 0444), 0);
	struct hv_err err;
	EXPECT_EQ(disk_open(img.path(), false, &err), nullptr);
	EXPECT_NE(std::string(err.msg).find("not writable"), std::string::npos) << err.msg;
	/* A read-only base is fine for the overlay. */
	struct disk *d = disk_open(img.path(), true, &err);
	ASSERT_NE(d, nullptr) << err.msg;
	uint8_t b = 1;
	EXPECT_EQ(disk_write(d, 0, &b, 1, &err), 0);
	disk_close(d);
}

TEST(Disk, ReadOnlyRefusesWrites)
{
	TempImage img(4096);
	struct hv_err err;
	struct disk *d = disk_open(img.path(), false, &err);
	ASSERT_NE(d, nullptr) << err.msg;
	disk_set_read_only(d);
	EXPECT_TRUE(disk_read_only(d));
	uint8_t b = 1;
	EXPECT_NE(disk_write(d, 0, &b, 1, &err), 0);
	EXPECT_NE(std::string(err.msg).find("read-only"), std::string::npos) << err.msg;
	disk_close(d);
	EXPECT_EQ(img.contents()[0], pattern(0));
}

} // namespace
