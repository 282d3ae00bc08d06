/* SPDX-License-Identifier: MIT */
/*
 * A minimal virtio-mmio driver for the virtio unit tests (virtio_test,
 * virtio_blk_test, virtio_rng_test): it plays the guest, on a real machine
 * from machine_create, by poking the transport registers through the bus
 * (bus_read/bus_write, as a hart's loads and stores would) and laying out
 * one split virtqueue in guest RAM (virtio 1.2 section 2.7).
 *
 * Layout in guest RAM (16 MiB from HV_RAM_BASE): descriptor table at
 * +1 MiB, available ring at +1 MiB + 64 KiB, used ring at +1 MiB +
 * 128 KiB, and data buffers from +2 MiB. The device sits in slot kSlot,
 * so its PLIC source is HV_VIRTIO_IRQ0 + kSlot.
 */
#ifndef TESTS_UNIT_VIRTIO_TESTUTIL_H
#define TESTS_UNIT_VIRTIO_TESTUTIL_H

#include <cstdint>
#include <vector>

#include "tests/unit/testutil.h"

extern "C" {
#include "hv/dev/plic.h"
#include "hv/dev/virtio/virtio.h"
}

namespace vt {

constexpr unsigned kSlot = 3;
constexpr uint64_t kBase = HV_VIRTIO_BASE + kSlot * HV_VIRTIO_STRIDE;
constexpr unsigned kIrq = HV_VIRTIO_IRQ0 + kSlot;
constexpr uint64_t kDesc = tu::kRam + 0x100000;
constexpr uint64_t kAvail = kDesc + 0x10000;
constexpr uint64_t kUsed = kDesc + 0x20000;
constexpr uint64_t kBuf = tu::kRam + 0x200000;
constexpr uint64_t kPlicPending = HV_PLIC_BASE + 0x1000;

constexpr uint64_t kVersion1 = 1ull << VIRTIO_F_VERSION_1;
constexpr uint64_t kIndirect = 1ull << VIRTIO_F_INDIRECT_DESC;

class Driver {
public:
	explicit Driver(tu::TestVm &vm) : vm_(vm) {}

	uint32_t rd(uint64_t off, unsigned size = 4)
	{
		uint64_t v = 0;
		EXPECT_TRUE(bus_read(vm_.m, kBase + off, size, &v));
		return static_cast<uint32_t>(v);
	}
	void wr(uint64_t off, uint32_t v, unsigned size = 4)
	{
		EXPECT_TRUE(bus_write(vm_.m, kBase + off, size, v));
	}
	uint32_t status() { return rd(VIRTIO_MMIO_STATUS); }
	uint32_t isr() { return rd(VIRTIO_MMIO_INTERRUPT_STATUS); }
	bool irq_pending()
	{
		uint64_t v = 0;
		EXPECT_TRUE(bus_read(vm_.m, kPlicPending + 4 * (kIrq / 32), 4, &v));
		return (v >> (kIrq % 32)) & 1;
	}
	bool needs_reset() { return status() & VIRTIO_STATUS_NEEDS_RESET; }

	uint64_t device_features()
	{
		wr(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
		uint64_t lo = rd(VIRTIO_MMIO_DEVICE_FEATURES);
		wr(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
		return lo | static_cast<uint64_t>(rd(VIRTIO_MMIO_DEVICE_FEATURES)) << 32;
	}
	void driver_features(uint64_t f)
	{
		wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
		wr(VIRTIO_MMIO_DRIVER_FEATURES, static_cast<uint32_t>(f));
		wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
		wr(VIRTIO_MMIO_DRIVER_FEATURES, static_cast<uint32_t>(f >> 32));
	}

	/* Feature negotiation (3.1.1 steps 1-6); returns whether FEATURES_OK
	 * stuck. */
	bool negotiate(uint64_t features)
	{
		wr(VIRTIO_MMIO_STATUS, 0);
		wr(VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
		wr(VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
		driver_features(features);
		wr(VIRTIO_MMIO_STATUS,
		   VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
		return status() & VIRTIO_STATUS_FEATURES_OK;
	}
	/* Queue 0 with qsize entries at the standard layout; ring memory is
	 * zeroed first as the driver must (4.2.3.2 step 4). */
	void setup_queue(uint32_t qsize, uint64_t desc = kDesc, uint64_t avail = kAvail,
			 uint64_t used = kUsed)
	{
		std::vector<uint8_t> zero(0x30000, 0);
		machine_write_phys(vm_.m, kDesc, zero.data(), zero.size());
		qsize_ = qsize;
		avail_idx_ = 0;
		wr(VIRTIO_MMIO_QUEUE_SEL, 0);
		wr(VIRTIO_MMIO_QUEUE_NUM, qsize);
		wr(VIRTIO_MMIO_QUEUE_DESC_LOW, static_cast<uint32_t>(desc));
		wr(VIRTIO_MMIO_QUEUE_DESC_HIGH, static_cast<uint32_t>(desc >> 32));
		wr(VIRTIO_MMIO_QUEUE_DRIVER_LOW, static_cast<uint32_t>(avail));
		wr(VIRTIO_MMIO_QUEUE_DRIVER_HIGH, static_cast<uint32_t>(avail >> 32));
		wr(VIRTIO_MMIO_QUEUE_DEVICE_LOW, static_cast<uint32_t>(used));
		wr(VIRTIO_MMIO_QUEUE_DEVICE_HIGH, static_cast<uint32_t>(used >> 32));
		wr(VIRTIO_MMIO_QUEUE_READY, 1);
	}
	void driver_ok() { wr(VIRTIO_MMIO_STATUS, status() | VIRTIO_STATUS_DRIVER_OK); }
	/* The whole initialization with the device's offer intersected with
	 * VERSION_1 | INDIRECT_DESC | extra. */
	void init(uint32_t qsize = 8, uint64_t extra = 0)
	{
		uint64_t offer = device_features();
		ASSERT_TRUE(negotiate(offer & (kVersion1 | kIndirect | extra)));
		setup_queue(qsize);
		ASSERT_EQ(rd(VIRTIO_MMIO_QUEUE_READY), 1u);
		driver_ok();
		ASSERT_FALSE(needs_reset());
	}

	/* Descriptor i of the table at table (default: the queue's). */
	void desc(unsigned i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next = 0,
		  uint64_t table = kDesc)
	{
		uint8_t b[16];
		std::memcpy(b, &addr, 8);
		std::memcpy(b + 8, &len, 4);
		std::memcpy(b + 12, &flags, 2);
		std::memcpy(b + 14, &next, 2);
		machine_write_phys(vm_.m, table + 16ull * i, b, 16);
	}
	void avail_flags(uint16_t f) { machine_write_phys(vm_.m, kAvail, &f, 2); }
	/* Offer chain head and notify queue 0. */
	void submit(uint16_t head, bool notify = true)
	{
		uint16_t slot = static_cast<uint16_t>(avail_idx_ % qsize_);
		machine_write_phys(vm_.m, kAvail + 4 + 2ull * slot, &head, 2);
		avail_idx_++;
		machine_write_phys(vm_.m, kAvail + 2, &avail_idx_, 2);
		if (notify)
			wr(VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	}
	void set_avail_idx(uint16_t idx)
	{
		avail_idx_ = idx;
		machine_write_phys(vm_.m, kAvail + 2, &avail_idx_, 2);
	}
	uint16_t used_idx()
	{
		uint16_t v = 0;
		machine_read_phys(vm_.m, kUsed + 2, &v, 2);
		return v;
	}
	uint32_t used_id(unsigned i) { return vm_.get32(kUsed + 4 + 8ull * (i % qsize_)); }
	uint32_t used_len(unsigned i) { return vm_.get32(kUsed + 8 + 8ull * (i % qsize_)); }

	void put(uint64_t pa, const void *p, size_t n) { machine_write_phys(vm_.m, pa, p, n); }
	std::vector<uint8_t> get(uint64_t pa, size_t n)
	{
		std::vector<uint8_t> v(n);
		machine_read_phys(vm_.m, pa, v.data(), n);
		return v;
	}
	void fill(uint64_t pa, uint8_t byte, size_t n)
	{
		std::vector<uint8_t> v(n, byte);
		put(pa, v.data(), n);
	}

private:
	tu::TestVm &vm_;
	uint32_t qsize_ = 8;
	uint16_t avail_idx_ = 0;
};

} // namespace vt

#endif
