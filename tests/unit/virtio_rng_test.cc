// SPDX-License-Identifier: MIT
/*
 * Tests of the virtio entropy device (hv/dev/virtio/virtio_rng.c): the bytes are a
 * pure function of the seed (same seed, same bytes on two machines;
 * another seed, other bytes), one stream however the guest splits its
 * buffers, the per-request cap, and the rule that the driver never offers
 * device-readable buffers (virtio 1.2 section 5.4.6.1).
 */
#include <gtest/gtest.h>

#include "tests/unit/virtio_testutil.h"

extern "C" {
#include "hv/dev/virtio/virtio_rng.h"
}

namespace {

using vt::kBuf;

constexpr uint16_t NEXT = VIRTQ_DESC_F_NEXT;
constexpr uint16_t WRITE = VIRTQ_DESC_F_WRITE;

/* A machine with an rng of the given seed, initialized by a driver. */
struct RngVm {
	explicit RngVm(uint64_t seed)
	{
		struct hv_err err;
		vd = virtio_rng_attach(vm.m, vt::kSlot, seed, &err);
		EXPECT_NE(vd, nullptr) << err.msg;
		drv.init(8);
	}
	~RngVm() { virtio_dev_destroy(vd); }

	/* One request of n bytes in a single buffer; returns what the device
	 * put there (as many bytes as the used length says). */
	std::vector<uint8_t> take(uint32_t n)
	{
		drv.fill(kBuf, 0, n);
		drv.desc(0, kBuf, n, WRITE);
		uint16_t before = drv.used_idx();
		drv.submit(0);
		EXPECT_EQ(drv.used_idx(), static_cast<uint16_t>(before + 1));
		uint32_t len = drv.used_len(before);
		EXPECT_LE(len, n);
		return drv.get(kBuf, len);
	}

	tu::TestVm vm;
	vt::Driver drv{ vm };
	struct virtio_dev *vd = nullptr;
};

TEST(VirtioRng, IdentifiesAsEntropyDevice)
{
	RngVm r(1);
	EXPECT_EQ(r.drv.rd(VIRTIO_MMIO_DEVICE_ID), VIRTIO_ID_ENTROPY);
}

TEST(VirtioRng, SameSeedGivesSameBytes)
{
	RngVm a(1234), b(1234);
	std::vector<uint8_t> x = a.take(64), y = b.take(64);
	ASSERT_EQ(x.size(), 64u);
	EXPECT_EQ(x, y);
	EXPECT_EQ(a.take(100), b.take(100));
	/* Not a constant fill. */
	EXPECT_NE(x, std::vector<uint8_t>(64, x[0]));
}

TEST(VirtioRng, DifferentSeedsGiveDifferentBytes)
{
	RngVm a(1), b(2);
	EXPECT_NE(a.take(32), b.take(32));
}

TEST(VirtioRng, StreamDoesNotDependOnBufferSizes)
{
	RngVm a(77), b(77);
	std::vector<uint8_t> whole = a.take(40);
	std::vector<uint8_t> parts = b.take(3);
	for (uint32_t n : { 5u, 11u, 21u }) {
		std::vector<uint8_t> p = b.take(n);
		parts.insert(parts.end(), p.begin(), p.end());
	}
	EXPECT_EQ(parts, whole);
}

TEST(VirtioRng, FillsEveryBufferOfAChain)
{
	RngVm a(9), b(9);
	std::vector<uint8_t> want = a.take(24);
	b.drv.desc(0, kBuf + 0x1000, 10, WRITE | NEXT, 1);
	b.drv.desc(1, kBuf + 0x2000, 14, WRITE);
	b.drv.submit(0);
	EXPECT_EQ(b.drv.used_len(0), 24u);
	std::vector<uint8_t> got = b.drv.get(kBuf + 0x1000, 10);
	std::vector<uint8_t> tail = b.drv.get(kBuf + 0x2000, 14);
	got.insert(got.end(), tail.begin(), tail.end());
	EXPECT_EQ(got, want);
}

TEST(VirtioRng, RequestIsCappedAtMaximum)
{
	RngVm r(5);
	std::vector<uint8_t> got = r.take(2 * VIRTIO_RNG_MAX_REQ);
	EXPECT_EQ(got.size(), VIRTIO_RNG_MAX_REQ);
	/* The bytes past the cap were left alone. */
	EXPECT_EQ(r.drv.get(kBuf + VIRTIO_RNG_MAX_REQ, 16), std::vector<uint8_t>(16, 0));
}

TEST(VirtioRng, DeviceReadableBufferNeedsReset)
{
	RngVm r(5);
	r.drv.desc(0, kBuf, 16, 0);
	r.drv.submit(0);
	EXPECT_TRUE(r.drv.needs_reset());
	EXPECT_EQ(r.drv.used_idx(), 0u);
	EXPECT_EQ(r.drv.get(kBuf, 16), std::vector<uint8_t>(16, 0));
}

TEST(VirtioRng, StreamContinuesAcrossDeviceReset)
{
	RngVm a(3), b(3);
	std::vector<uint8_t> first = a.take(16);
	a.drv.init(8);
	std::vector<uint8_t> second = a.take(16);
	std::vector<uint8_t> both = b.take(32);
	first.insert(first.end(), second.begin(), second.end());
	EXPECT_EQ(first, both);
}

} // namespace
