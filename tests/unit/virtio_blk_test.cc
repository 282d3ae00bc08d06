// SPDX-License-Identifier: MIT
/*
 * Tests of virtio-blk (hv/dev/virtio/virtio_blk.c) on a temporary raw image: config
 * space, read and write round trips in both disk modes, GET_ID, FLUSH,
 * the IOERR and UNSUPP answers (out-of-range sectors, partial sectors,
 * read-only disk, unknown types), requests split across descriptors in
 * unusual ways (virtio 1.2 section 2.7.4.3: no layout may be assumed), and
 * malformed requests that make the device need a reset.
 *
 * Requests are built by the test as a driver would: header at kHdr, data
 * at kData, status byte at kStatus, one descriptor each unless a test
 * says otherwise.
 */
#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "tests/unit/virtio_testutil.h"

extern "C" {
#include "hv/dev/backend/disk.h"
#include "hv/dev/virtio/virtio_blk.h"
}

namespace {

constexpr uint16_t NEXT = VIRTQ_DESC_F_NEXT;
constexpr uint16_t WRITE = VIRTQ_DESC_F_WRITE;
constexpr uint16_t INDIRECT = VIRTQ_DESC_F_INDIRECT;
constexpr uint64_t kHdr = vt::kBuf;
constexpr uint64_t kData = vt::kBuf + 0x1000;
constexpr uint64_t kStatus = vt::kBuf + 0x100000;
constexpr uint64_t kTable = tu::kRam + 0x300000;
constexpr uint64_t kSectors = 128;
constexpr uint8_t kUnwritten = 0xee;

uint8_t pattern(uint64_t i)
{
	return static_cast<uint8_t>((i * 13 + (i >> 9) * 3) & 0xff);
}

class VirtioBlkTest : public ::testing::Test {
protected:
	void SetUp() override
	{
		ASSERT_NE(vm.m, nullptr) << vm.error;
		const char *dir = std::getenv("TEST_TMPDIR");
		path = std::string(dir ? dir : "/tmp") + "/virtio_blk_test_XXXXXX";
		int fd = mkstemp(&path[0]);
		ASSERT_GE(fd, 0);
		std::vector<uint8_t> img(kSectors * 512);
		for (uint64_t i = 0; i < img.size(); i++)
			img[i] = pattern(i);
		ASSERT_EQ(write(fd, img.data(), img.size()), static_cast<ssize_t>(img.size()));
		close(fd);
	}
	void TearDown() override
	{
		virtio_dev_destroy(vd);
		unlink(path.c_str());
	}

	void attach(bool snapshot = true, bool read_only = false, const char *serial = "disk-0")
	{
		struct hv_err err;
		struct disk *d = disk_open(path.c_str(), snapshot, &err);
		ASSERT_NE(d, nullptr) << err.msg;
		if (read_only)
			disk_set_read_only(d);
		vd = virtio_blk_attach(vm.m, vt::kSlot, d, serial, &err);
		ASSERT_NE(vd, nullptr) << err.msg;
		drv.init(16);
	}

	std::vector<uint8_t> file()
	{
		std::vector<uint8_t> out(kSectors * 512);
		int fd = open(path.c_str(), O_RDONLY);
		EXPECT_EQ(read(fd, out.data(), out.size()), static_cast<ssize_t>(out.size()));
		close(fd);
		return out;
	}

	void header(uint32_t type, uint64_t sector)
	{
		uint8_t h[16] = { 0 };
		std::memcpy(h, &type, 4);
		std::memcpy(h + 8, &sector, 8);
		drv.put(kHdr, h, 16);
		drv.fill(kStatus, kUnwritten, 1);
	}
	/* A three-descriptor request; data is device-writable for reads. */
	void request(uint32_t type, uint64_t sector, uint32_t len, bool data_in)
	{
		header(type, sector);
		drv.desc(0, kHdr, 16, NEXT, 1);
		drv.desc(1, kData, len, NEXT | (data_in ? WRITE : 0), 2);
		drv.desc(2, kStatus, 1, WRITE);
		drv.submit(0);
	}
	/* A request without data. */
	void command(uint32_t type, uint64_t sector = 0)
	{
		header(type, sector);
		drv.desc(0, kHdr, 16, NEXT, 2);
		drv.desc(2, kStatus, 1, WRITE);
		drv.submit(0);
	}
	uint8_t status() { return drv.get(kStatus, 1)[0]; }
	uint64_t config64(unsigned off)
	{
		return drv.rd(VIRTIO_MMIO_CONFIG + off) |
		       static_cast<uint64_t>(drv.rd(VIRTIO_MMIO_CONFIG + off + 4)) << 32;
	}

	tu::TestVm vm;
	vt::Driver drv{ vm };
	struct virtio_dev *vd = nullptr;
	std::string path;
};

TEST_F(VirtioBlkTest, ConfigReportsCapacityAndLimits)
{
	attach();
	EXPECT_EQ(drv.rd(VIRTIO_MMIO_DEVICE_ID), VIRTIO_ID_BLOCK);
	EXPECT_EQ(config64(0), kSectors);
	EXPECT_EQ(drv.rd(VIRTIO_MMIO_CONFIG + 8), VIRTIO_BLK_SIZE_MAX);
	EXPECT_EQ(drv.rd(VIRTIO_MMIO_CONFIG + 12), VIRTIO_BLK_SEG_MAX);
	EXPECT_EQ(drv.rd(VIRTIO_MMIO_CONFIG + 20), 512u);
	/* Byte-wide access to the config space works (4.2.2). */
	EXPECT_EQ(drv.rd(VIRTIO_MMIO_CONFIG + 0, 1), kSectors & 0xff);
	EXPECT_EQ(drv.rd(VIRTIO_MMIO_CONFIG + 0x80), 0u);
	uint64_t f = drv.device_features();
	EXPECT_TRUE(f & (1ull << VIRTIO_BLK_F_FLUSH));
	EXPECT_TRUE(f & (1ull << VIRTIO_BLK_F_BLK_SIZE));
	EXPECT_TRUE(f & (1ull << VIRTIO_BLK_F_SEG_MAX));
	EXPECT_FALSE(f & (1ull << VIRTIO_BLK_F_RO));
}

TEST_F(VirtioBlkTest, ReadReturnsDiskContents)
{
	attach();
	drv.fill(kData, 0, 1024);
	request(VIRTIO_BLK_T_IN, 5, 1024, true);
	ASSERT_EQ(drv.used_idx(), 1u);
	EXPECT_EQ(status(), VIRTIO_BLK_S_OK);
	EXPECT_EQ(drv.used_len(0), 1024u + 1);
	std::vector<uint8_t> got = drv.get(kData, 1024);
	for (unsigned i = 0; i < 1024; i++)
		ASSERT_EQ(got[i], pattern(5 * 512 + i)) << i;
	EXPECT_TRUE(drv.irq_pending());
}

TEST_F(VirtioBlkTest, WriteThenReadRoundTripsAndSnapshotKeepsFile)
{
	attach(true);
	std::vector<uint8_t> before = file();
	std::vector<uint8_t> w(1536);
	for (unsigned i = 0; i < w.size(); i++)
		w[i] = static_cast<uint8_t>(i ^ 0x5a);
	drv.put(kData, w.data(), w.size());
	request(VIRTIO_BLK_T_OUT, 10, 1536, false);
	ASSERT_EQ(status(), VIRTIO_BLK_S_OK);
	EXPECT_EQ(drv.used_len(0), 1u);

	drv.fill(kData, 0, 1536);
	request(VIRTIO_BLK_T_IN, 10, 1536, true);
	ASSERT_EQ(status(), VIRTIO_BLK_S_OK);
	EXPECT_EQ(drv.get(kData, 1536), w);
	EXPECT_EQ(file(), before);
}

TEST_F(VirtioBlkTest, WriteThroughReachesTheFile)
{
	attach(false);
	std::vector<uint8_t> w(512, 0xc3);
	drv.put(kData, w.data(), w.size());
	request(VIRTIO_BLK_T_OUT, kSectors - 1, 512, false);
	ASSERT_EQ(status(), VIRTIO_BLK_S_OK);
	command(VIRTIO_BLK_T_FLUSH);
	ASSERT_EQ(status(), VIRTIO_BLK_S_OK);
	std::vector<uint8_t> f = file();
	EXPECT_EQ(f[(kSectors - 1) * 512], 0xc3);
	EXPECT_EQ(f[kSectors * 512 - 1], 0xc3);
	EXPECT_EQ(f[(kSectors - 1) * 512 - 1], pattern((kSectors - 1) * 512 - 1));
}

TEST_F(VirtioBlkTest, GetIdReturnsSerial)
{
	attach(true, false, "serial-1234");
	drv.fill(kData, 0xff, 20);
	request(VIRTIO_BLK_T_GET_ID, 0, 20, true);
	ASSERT_EQ(status(), VIRTIO_BLK_S_OK);
	EXPECT_EQ(drv.used_len(0), 21u);
	std::vector<uint8_t> id = drv.get(kData, 20);
	EXPECT_EQ(std::string(id.begin(), id.begin() + 11), "serial-1234");
	for (unsigned i = 11; i < 20; i++)
		EXPECT_EQ(id[i], 0) << i;
}

TEST_F(VirtioBlkTest, GetIdOfTwentyBytesHasNoTerminator)
{
	attach(true, false, "ABCDEFGHIJKLMNOPQRSTUVWXYZ");
	request(VIRTIO_BLK_T_GET_ID, 0, 20, true);
	ASSERT_EQ(status(), VIRTIO_BLK_S_OK);
	std::vector<uint8_t> id = drv.get(kData, 20);
	EXPECT_EQ(std::string(id.begin(), id.end()), "ABCDEFGHIJKLMNOPQRST");
}

TEST_F(VirtioBlkTest, FlushCompletes)
{
	attach();
	command(VIRTIO_BLK_T_FLUSH);
	ASSERT_EQ(drv.used_idx(), 1u);
	EXPECT_EQ(status(), VIRTIO_BLK_S_OK);
	EXPECT_EQ(drv.used_len(0), 1u);
}

TEST_F(VirtioBlkTest, OutOfRangeSectorIsIoError)
{
	attach();
	request(VIRTIO_BLK_T_IN, kSectors, 512, true);
	EXPECT_EQ(status(), VIRTIO_BLK_S_IOERR);
	request(VIRTIO_BLK_T_IN, kSectors - 1, 1024, true);
	EXPECT_EQ(status(), VIRTIO_BLK_S_IOERR);
	request(VIRTIO_BLK_T_OUT, UINT64_MAX / 256, 512, false);
	EXPECT_EQ(status(), VIRTIO_BLK_S_IOERR);
	EXPECT_EQ(drv.used_idx(), 3u);
	EXPECT_EQ(drv.used_len(2), 1u);
	EXPECT_FALSE(drv.needs_reset());
}

TEST_F(VirtioBlkTest, PartialSectorIsIoError)
{
	attach();
	request(VIRTIO_BLK_T_IN, 0, 100, true);
	EXPECT_EQ(status(), VIRTIO_BLK_S_IOERR);
}

TEST_F(VirtioBlkTest, UnknownTypeIsUnsupported)
{
	attach();
	command(11); /* DISCARD, not offered */
	EXPECT_EQ(status(), VIRTIO_BLK_S_UNSUPP);
	command(0x7fffffff);
	EXPECT_EQ(status(), VIRTIO_BLK_S_UNSUPP);
	EXPECT_FALSE(drv.needs_reset());
}

TEST_F(VirtioBlkTest, ReadOnlyDiskOffersRoAndFailsWrites)
{
	attach(false, true);
	EXPECT_TRUE(drv.device_features() & (1ull << VIRTIO_BLK_F_RO));
	std::vector<uint8_t> before = file();
	drv.fill(kData, 0x77, 512);
	request(VIRTIO_BLK_T_OUT, 0, 512, false);
	EXPECT_EQ(status(), VIRTIO_BLK_S_IOERR);
	EXPECT_EQ(file(), before);
}

TEST_F(VirtioBlkTest, AnyDescriptorLayoutWorks)
{
	attach();
	/* Header split 5 + 11 bytes; data and status share one descriptor. */
	header(VIRTIO_BLK_T_IN, 2);
	drv.desc(0, kHdr, 5, NEXT, 1);
	drv.desc(1, kHdr + 5, 11, NEXT, 2);
	drv.desc(2, kData, 300, NEXT | WRITE, 3);
	drv.desc(3, kData + 0x800, 213, WRITE);
	drv.submit(0);
	ASSERT_EQ(drv.used_idx(), 1u);
	EXPECT_EQ(drv.used_len(0), 513u);
	std::vector<uint8_t> a = drv.get(kData, 300), b = drv.get(kData + 0x800, 213);
	for (unsigned i = 0; i < 300; i++)
		ASSERT_EQ(a[i], pattern(1024 + i));
	for (unsigned i = 0; i < 212; i++)
		ASSERT_EQ(b[i], pattern(1024 + 300 + i));
	EXPECT_EQ(b[212], VIRTIO_BLK_S_OK);
}

TEST_F(VirtioBlkTest, IndirectRequestWorks)
{
	attach();
	header(VIRTIO_BLK_T_IN, 1);
	drv.desc(0, kHdr, 16, NEXT, 1, kTable);
	drv.desc(1, kData, 512, NEXT | WRITE, 2, kTable);
	drv.desc(2, kStatus, 1, WRITE, 0, kTable);
	drv.desc(4, kTable, 48, INDIRECT);
	drv.submit(4);
	ASSERT_EQ(drv.used_idx(), 1u);
	EXPECT_EQ(drv.used_id(0), 4u);
	EXPECT_EQ(status(), VIRTIO_BLK_S_OK);
	EXPECT_EQ(drv.get(kData, 1)[0], pattern(512));
}

TEST_F(VirtioBlkTest, MissingStatusByteNeedsReset)
{
	attach();
	header(VIRTIO_BLK_T_IN, 0);
	drv.desc(0, kHdr, 16, NEXT, 1);
	drv.desc(1, kData, 512, 0);
	drv.submit(0);
	EXPECT_TRUE(drv.needs_reset());
	EXPECT_EQ(drv.used_idx(), 0u);
}

TEST_F(VirtioBlkTest, ShortHeaderNeedsReset)
{
	attach();
	header(VIRTIO_BLK_T_IN, 0);
	drv.desc(0, kHdr, 8, NEXT, 1);
	drv.desc(1, kStatus, 1, WRITE);
	drv.submit(0);
	EXPECT_TRUE(drv.needs_reset());
	EXPECT_EQ(status(), kUnwritten);
}

TEST_F(VirtioBlkTest, ReadableAfterWritableNeedsReset)
{
	attach();
	header(VIRTIO_BLK_T_OUT, 0);
	drv.desc(0, kStatus, 1, NEXT | WRITE, 1);
	drv.desc(1, kHdr, 16, NEXT, 2);
	drv.desc(2, kData, 512, 0);
	drv.submit(0);
	EXPECT_TRUE(drv.needs_reset());
	EXPECT_EQ(status(), kUnwritten);
}

TEST_F(VirtioBlkTest, ValidRequestAfterResetFollowingLoop)
{
	attach();
	header(VIRTIO_BLK_T_IN, 0);
	drv.desc(0, kHdr, 16, NEXT, 1);
	drv.desc(1, kData, 512, NEXT | WRITE, 0);
	drv.submit(0);
	ASSERT_TRUE(drv.needs_reset());
	EXPECT_TRUE(drv.isr() & VIRTIO_INT_CONFIG);

	drv.init(16);
	request(VIRTIO_BLK_T_IN, 3, 512, true);
	EXPECT_EQ(status(), VIRTIO_BLK_S_OK);
	EXPECT_EQ(drv.get(kData, 1)[0], pattern(3 * 512));
}

TEST_F(VirtioBlkTest, DmaIntoTheAvailableRingIsBoundedPerNotification)
{
	/* Sector 0 holds an available ring {flags 0, idx 17, ring[] = 0}.
	 * Each request reads it over the real available ring, so after the
	 * first one the device always sees chain 0 pending again, up to
	 * index 17: work it wrote itself. One notification may consume at
	 * most the queue size (16) chains; without that bound it would take
	 * 17, and with a disk that kept the index moving, forever. */
	uint8_t ring[512] = { 0 };
	ring[2] = 17;
	int fd = open(path.c_str(), O_WRONLY);
	ASSERT_EQ(pwrite(fd, ring, sizeof(ring), 0), static_cast<ssize_t>(sizeof(ring)));
	close(fd);
	attach();
	header(VIRTIO_BLK_T_IN, 0);
	drv.desc(0, kHdr, 16, NEXT, 1);
	drv.desc(1, vt::kAvail, 512, NEXT | WRITE, 2);
	drv.desc(2, kStatus, 1, WRITE);
	drv.submit(0);
	EXPECT_FALSE(drv.needs_reset());
	EXPECT_EQ(drv.used_idx(), 16u);
	EXPECT_EQ(status(), VIRTIO_BLK_S_OK);
}

TEST(VirtioBlk, AttachFailureLeavesDiskToCaller)
{
	tu::TestVm vm;
	const char *dir = std::getenv("TEST_TMPDIR");
	std::string p = std::string(dir ? dir : "/tmp") + "/virtio_blk_attach_XXXXXX";
	int fd = mkstemp(&p[0]);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(ftruncate(fd, 4096), 0);
	close(fd);
	struct hv_err err;
	struct disk *d = disk_open(p.c_str(), true, &err);
	ASSERT_NE(d, nullptr) << err.msg;
	EXPECT_EQ(virtio_blk_attach(vm.m, HV_VIRTIO_SLOTS, d, nullptr, &err), nullptr);
	EXPECT_EQ(disk_size(d), 4096u);
	disk_close(d);
	unlink(p.c_str());
}

} // namespace
