// SPDX-License-Identifier: MIT
/*
 * Tests of virtio-net (hv/dev/virtio/virtio_net.c) on a real machine, the test
 * playing the guest's driver through the transport registers, with a
 * fake backend that records what the device sends and lets the test
 * inject frames: config space and features, transmit with the header
 * stripped however the driver splits it, receive into buffers with a
 * zeroed header and num_buffers = 1 only at virtio_net_poll, frames
 * waiting for buffers, every drop (oversize, undersize buffer, full FIFO,
 * driver not running, bad transmit header), misprogrammed queues that
 * make the device need a reset, and one end-to-end exchange through
 * virtio_net_attach and libslirp (ARP for the gateway).
 *
 * Layout in guest RAM: receive queue rings at vt::kDesc (as
 * virtio_testutil.h), transmit queue rings at kTxDesc, receive buffers
 * from kRxBuf (one 4 KiB page each), transmit buffers from kTxBuf.
 */
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "tests/unit/virtio_testutil.h"

extern "C" {
#include "hv/dev/backend/net_slirp.h"
#include "hv/dev/virtio/virtio_net.h"
}

namespace {

using Frame = std::vector<uint8_t>;

constexpr uint16_t NEXT = VIRTQ_DESC_F_NEXT;
constexpr uint16_t WRITE = VIRTQ_DESC_F_WRITE;
constexpr uint64_t kTxDesc = tu::kRam + 0x140000;
constexpr uint64_t kTxAvail = kTxDesc + 0x10000;
constexpr uint64_t kTxUsed = kTxDesc + 0x20000;
constexpr uint64_t kRxBuf = tu::kRam + 0x200000;
constexpr uint64_t kTxBuf = tu::kRam + 0x600000;
constexpr uint32_t kQsize = 16;
constexpr uint32_t kRxLen = 1526; /* the size 5.1.6.3.1 asks drivers for */

const uint8_t kDefaultMac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

Frame make_frame(size_t len, uint8_t seed)
{
	Frame f(len);
	for (size_t i = 0; i < len; i++)
		f[i] = static_cast<uint8_t>(seed + i * 7);
	return f;
}

/* One split virtqueue as the driver sees it. */
struct Queue {
	unsigned index;
	uint64_t desc, avail, used;
	uint16_t avail_idx = 0;
};

struct Fake {
	std::vector<Frame> sent;
	std::vector<Frame> on_poll; /* injected at the next poll */
	bool echo = false;          /* answer every sent frame at once */
	int polls = 0;
	int waits = 0;
	bool destroyed = false;
	struct virtio_net *n = nullptr;

	static void send(void *o, const void *frame, size_t len)
	{
		auto *f = static_cast<Fake *>(o);
		const uint8_t *p = static_cast<const uint8_t *>(frame);
		f->sent.emplace_back(p, p + len);
		if (f->echo)
			virtio_net_input(f->n, frame, len);
	}
	static void poll(void *o)
	{
		auto *f = static_cast<Fake *>(o);
		f->polls++;
		for (const Frame &fr : f->on_poll)
			virtio_net_input(f->n, fr.data(), fr.size());
		f->on_poll.clear();
	}
	static int wait(void *o, int extra_fd, int timeout_ms)
	{
		(void)extra_fd;
		(void)timeout_ms;
		auto *f = static_cast<Fake *>(o);
		f->waits++;
		poll(o);
		return 0;
	}
	static void destroy(void *o) { static_cast<Fake *>(o)->destroyed = true; }
};

class VirtioNetTest : public ::testing::Test {
protected:
	void SetUp() override { ASSERT_NE(vm.m, nullptr) << vm.error; }
	void TearDown() override { virtio_net_destroy(n); }

	void create(const uint8_t *mac = nullptr)
	{
		struct hv_err err;
		n = virtio_net_create(vm.m, vt::kSlot, mac, &err);
		ASSERT_NE(n, nullptr) << err.msg;
		fake.n = n;
		struct net_backend be;
		std::memset(&be, 0, sizeof(be));
		be.opaque = &fake;
		be.send = Fake::send;
		be.poll = Fake::poll;
		be.wait = Fake::wait;
		be.destroy = Fake::destroy;
		virtio_net_set_backend(n, &be);
	}

	void setup_queue(Queue &q)
	{
		std::vector<uint8_t> zero(0x30000, 0);
		drv.put(q.desc, zero.data(), zero.size());
		q.avail_idx = 0;
		drv.wr(VIRTIO_MMIO_QUEUE_SEL, q.index);
		drv.wr(VIRTIO_MMIO_QUEUE_NUM, kQsize);
		drv.wr(VIRTIO_MMIO_QUEUE_DESC_LOW, static_cast<uint32_t>(q.desc));
		drv.wr(VIRTIO_MMIO_QUEUE_DESC_HIGH, static_cast<uint32_t>(q.desc >> 32));
		drv.wr(VIRTIO_MMIO_QUEUE_DRIVER_LOW, static_cast<uint32_t>(q.avail));
		drv.wr(VIRTIO_MMIO_QUEUE_DRIVER_HIGH, static_cast<uint32_t>(q.avail >> 32));
		drv.wr(VIRTIO_MMIO_QUEUE_DEVICE_LOW, static_cast<uint32_t>(q.used));
		drv.wr(VIRTIO_MMIO_QUEUE_DEVICE_HIGH, static_cast<uint32_t>(q.used >> 32));
		drv.wr(VIRTIO_MMIO_QUEUE_READY, 1);
		ASSERT_EQ(drv.rd(VIRTIO_MMIO_QUEUE_READY), 1u);
	}

	/* The Linux driver's bring-up: features, both queues, DRIVER_OK; a
	 * legacy driver's leaves out VERSION_1. */
	void init(bool legacy = false)
	{
		uint64_t want = (legacy ? 0 : vt::kVersion1) | 1ull << VIRTIO_NET_F_MAC |
				1ull << VIRTIO_NET_F_STATUS | 1ull << VIRTIO_NET_F_MTU;
		ASSERT_TRUE(drv.negotiate(drv.device_features() & want));
		setup_queue(rxq);
		setup_queue(txq);
		drv.driver_ok();
		ASSERT_FALSE(drv.needs_reset());
	}

	void desc(Queue &q, unsigned i, uint64_t addr, uint32_t len, uint16_t flags,
		  uint16_t next = 0)
	{
		uint8_t b[16];
		std::memcpy(b, &addr, 8);
		std::memcpy(b + 8, &len, 4);
		std::memcpy(b + 12, &flags, 2);
		std::memcpy(b + 14, &next, 2);
		drv.put(q.desc + 16ull * i, b, 16);
	}
	void submit(Queue &q, uint16_t head, bool notify = true)
	{
		uint16_t slot = static_cast<uint16_t>(q.avail_idx % kQsize);
		drv.put(q.avail + 4 + 2ull * slot, &head, 2);
		q.avail_idx++;
		drv.put(q.avail + 2, &q.avail_idx, 2);
		if (notify)
			drv.wr(VIRTIO_MMIO_QUEUE_NOTIFY, q.index);
	}
	uint16_t used_idx(const Queue &q)
	{
		uint16_t v = 0;
		machine_read_phys(vm.m, q.used + 2, &v, 2);
		return v;
	}
	uint32_t used_id(const Queue &q, unsigned i)
	{
		return vm.get32(q.used + 4 + 8ull * (i % kQsize));
	}
	uint32_t used_len(const Queue &q, unsigned i)
	{
		return vm.get32(q.used + 8 + 8ull * (i % kQsize));
	}

	/* Receive buffer i: descriptor i, one page at kRxBuf + i * 4 KiB,
	 * filled with a marker so that untouched bytes show. */
	void post_rx(unsigned i, uint32_t len = kRxLen, bool notify = true)
	{
		drv.fill(kRxBuf + 0x1000ull * i, 0xee, 0x1000);
		desc(rxq, i, kRxBuf + 0x1000ull * i, len, WRITE);
		submit(rxq, static_cast<uint16_t>(i), notify);
	}
	Frame rx_bytes(unsigned i, size_t len) { return drv.get(kRxBuf + 0x1000ull * i, len); }

	/* A transmit request in one descriptor: header, then frame. */
	void transmit(const Frame &f, const uint8_t *hdr = nullptr)
	{
		uint8_t zero[VIRTIO_NET_HDR_LEN] = { 0 };
		drv.put(kTxBuf, hdr ? hdr : zero, VIRTIO_NET_HDR_LEN);
		drv.put(kTxBuf + VIRTIO_NET_HDR_LEN, f.data(), f.size());
		desc(txq, 0, kTxBuf, static_cast<uint32_t>(VIRTIO_NET_HDR_LEN + f.size()), 0);
		submit(txq, 0);
	}
	void inject(const Frame &f) { virtio_net_input(n, f.data(), f.size()); }
	const struct virtio_net_stats &stats() { return *virtio_net_get_stats(n); }

	tu::TestVm vm;
	vt::Driver drv{ vm };
	struct virtio_net *n = nullptr;
	Fake fake;
	Queue rxq{ VIRTIO_NET_RXQ, vt::kDesc, vt::kAvail, vt::kUsed };
	Queue txq{ VIRTIO_NET_TXQ, kTxDesc, kTxAvail, kTxUsed };
};

TEST_F(VirtioNetTest, ConfigOffersMacStatusMtuAndNoOffloads)
{
	create();
	EXPECT_EQ(drv.rd(VIRTIO_MMIO_DEVICE_ID), VIRTIO_ID_NET);
	uint64_t f = drv.device_features();
	EXPECT_TRUE(f & vt::kVersion1);
	EXPECT_TRUE(f & (1ull << VIRTIO_NET_F_MAC));
	EXPECT_TRUE(f & (1ull << VIRTIO_NET_F_STATUS));
	EXPECT_TRUE(f & (1ull << VIRTIO_NET_F_MTU));
	for (unsigned bit : { 0u, 1u, 2u, 7u, 8u, 9u, 10u, 11u, 12u, 13u, 14u, 15u, 17u, 22u })
		EXPECT_FALSE(f & (1ull << bit)) << "feature bit " << bit;
	for (unsigned i = 0; i < 6; i++)
		EXPECT_EQ(drv.rd(VIRTIO_MMIO_CONFIG + VIRTIO_NET_CFG_MAC + i, 1), kDefaultMac[i]);
	EXPECT_EQ(drv.rd(VIRTIO_MMIO_CONFIG + VIRTIO_NET_CFG_STATUS, 2), VIRTIO_NET_S_LINK_UP);
	EXPECT_EQ(drv.rd(VIRTIO_MMIO_CONFIG + VIRTIO_NET_CFG_MTU, 2), 1500u);
	drv.wr(VIRTIO_MMIO_QUEUE_SEL, VIRTIO_NET_TXQ);
	EXPECT_EQ(drv.rd(VIRTIO_MMIO_QUEUE_NUM_MAX), VIRTIO_NET_QUEUE_SIZE);
	drv.wr(VIRTIO_MMIO_QUEUE_SEL, 2);
	EXPECT_EQ(drv.rd(VIRTIO_MMIO_QUEUE_NUM_MAX), 0u); /* no control queue */
}

TEST_F(VirtioNetTest, ConfiguredMacAppearsInConfig)
{
	const uint8_t mac[6] = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 };
	create(mac);
	for (unsigned i = 0; i < 6; i++)
		EXPECT_EQ(drv.rd(VIRTIO_MMIO_CONFIG + i, 1), mac[i]);
}

TEST_F(VirtioNetTest, TransmitHandsFrameWithoutHeaderToBackend)
{
	create();
	init();
	Frame f = make_frame(60, 1);
	transmit(f);
	ASSERT_EQ(fake.sent.size(), 1u);
	EXPECT_EQ(fake.sent[0], f);
	ASSERT_EQ(used_idx(txq), 1u);
	EXPECT_EQ(used_id(txq, 0), 0u);
	EXPECT_EQ(used_len(txq, 0), 0u);
	EXPECT_TRUE(drv.irq_pending());
	EXPECT_EQ(stats().tx_frames, 1u);
}

TEST_F(VirtioNetTest, TransmitHeaderSplitAcrossDescriptorsIsStripped)
{
	create();
	init();
	/* Header as 5 + 7 bytes, the frame itself in two more pieces. */
	Frame f = make_frame(VIRTIO_NET_MAX_FRAME, 9);
	uint8_t hdr[VIRTIO_NET_HDR_LEN] = { 0 };
	drv.put(kTxBuf, hdr, 5);
	drv.put(kTxBuf + 0x100, hdr + 5, 7);
	drv.put(kTxBuf + 0x200, f.data(), 100);
	drv.put(kTxBuf + 0x1000, f.data() + 100, f.size() - 100);
	desc(txq, 3, kTxBuf, 5, NEXT, 7);
	desc(txq, 7, kTxBuf + 0x100, 7, NEXT, 1);
	desc(txq, 1, kTxBuf + 0x200, 100, NEXT, 2);
	desc(txq, 2, kTxBuf + 0x1000, static_cast<uint32_t>(f.size() - 100), 0);
	submit(txq, 3);
	ASSERT_EQ(fake.sent.size(), 1u);
	EXPECT_EQ(fake.sent[0], f);
	EXPECT_EQ(used_id(txq, 0), 3u);
}

TEST_F(VirtioNetTest, TransmitWithBadLengthsOrOffloadFlagsIsDropped)
{
	create();
	init();
	/* No whole header. */
	desc(txq, 0, kTxBuf, VIRTIO_NET_HDR_LEN - 1, 0);
	submit(txq, 0);
	/* A frame longer than the MTU allows. */
	transmit(make_frame(VIRTIO_NET_MAX_FRAME + 1, 2));
	/* Shorter than an Ethernet header. */
	transmit(make_frame(VIRTIO_NET_ETH_HLEN - 1, 2));
	/* NEEDS_CSUM without VIRTIO_NET_F_CSUM; then GSO without HOST_TSO. */
	uint8_t hdr[VIRTIO_NET_HDR_LEN] = { 1 };
	transmit(make_frame(60, 3), hdr);
	uint8_t gso[VIRTIO_NET_HDR_LEN] = { 0, 1 };
	transmit(make_frame(60, 3), gso);
	EXPECT_TRUE(fake.sent.empty());
	EXPECT_EQ(stats().tx_dropped, 5u);
	/* Every chain still comes back, and the device keeps working. */
	EXPECT_EQ(used_idx(txq), 5u);
	EXPECT_FALSE(drv.needs_reset());
	transmit(make_frame(60, 4));
	EXPECT_EQ(fake.sent.size(), 1u);
}

TEST_F(VirtioNetTest, ReceivedFrameLandsWithZeroHeaderAndOneBuffer)
{
	create();
	init();
	post_rx(0);
	Frame f = make_frame(98, 5);
	inject(f);
	EXPECT_EQ(used_idx(rxq), 0u) << "delivered before the round boundary";
	EXPECT_EQ(virtio_net_poll(n), 1u);
	ASSERT_EQ(used_idx(rxq), 1u);
	EXPECT_EQ(used_id(rxq, 0), 0u);
	EXPECT_EQ(used_len(rxq, 0), VIRTIO_NET_HDR_LEN + f.size());
	Frame got = rx_bytes(0, VIRTIO_NET_HDR_LEN + f.size() + 1);
	const uint8_t hdr[VIRTIO_NET_HDR_LEN] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0 };
	EXPECT_EQ(0, std::memcmp(got.data(), hdr, sizeof(hdr)));
	EXPECT_EQ(Frame(got.begin() + VIRTIO_NET_HDR_LEN, got.end() - 1), f);
	EXPECT_EQ(got.back(), 0xee);
	EXPECT_TRUE(drv.irq_pending());
	EXPECT_EQ(stats().rx_frames, 1u);
	EXPECT_EQ(fake.polls, 1);
}

/* 5.1.6, legacy interface: without VERSION_1 and MRG_RXBUF the header is
 * 10 bytes, without num_buffers, both ways (QEMU: guest_hdr_len 10). */
TEST_F(VirtioNetTest, LegacyDriverGetsTheTenByteHeader)
{
	create();
	init(true);
	ASSERT_TRUE(virtio_dev_legacy(virtio_net_dev(n)));
	post_rx(0);
	Frame f = make_frame(98, 5);
	inject(f);
	EXPECT_EQ(virtio_net_poll(n), 1u);
	ASSERT_EQ(used_idx(rxq), 1u);
	EXPECT_EQ(used_len(rxq, 0), VIRTIO_NET_LEGACY_HDR_LEN + f.size());
	Frame got = rx_bytes(0, VIRTIO_NET_LEGACY_HDR_LEN + f.size() + 1);
	EXPECT_EQ(Frame(got.begin(), got.begin() + VIRTIO_NET_LEGACY_HDR_LEN),
		  Frame(VIRTIO_NET_LEGACY_HDR_LEN, 0));
	EXPECT_EQ(Frame(got.begin() + VIRTIO_NET_LEGACY_HDR_LEN, got.end() - 1), f);
	EXPECT_EQ(got.back(), 0xee);

	/* Transmit: 10 header bytes, then the frame. */
	Frame t = make_frame(60, 2);
	uint8_t zero[VIRTIO_NET_LEGACY_HDR_LEN] = { 0 };
	drv.put(kTxBuf, zero, sizeof(zero));
	drv.put(kTxBuf + sizeof(zero), t.data(), t.size());
	desc(txq, 0, kTxBuf, static_cast<uint32_t>(sizeof(zero) + t.size()), 0);
	submit(txq, 0);
	ASSERT_EQ(fake.sent.size(), 1u);
	EXPECT_EQ(fake.sent[0], t);
}

TEST_F(VirtioNetTest, ReceiveBufferSplitAcrossDescriptorsGetsHeaderAndFrame)
{
	create();
	init();
	/* 7 bytes, then 20, then the rest: the header straddles two. */
	desc(rxq, 0, kRxBuf, 7, WRITE | NEXT, 1);
	desc(rxq, 1, kRxBuf + 0x1000, 20, WRITE | NEXT, 2);
	desc(rxq, 2, kRxBuf + 0x2000, 2000, WRITE);
	submit(rxq, 0);
	Frame f = make_frame(200, 11);
	inject(f);
	virtio_net_poll(n);
	ASSERT_EQ(used_idx(rxq), 1u);
	Frame all = rx_bytes(0, 7);
	Frame b = rx_bytes(1, 20);
	Frame c = rx_bytes(2, 200 + VIRTIO_NET_HDR_LEN - 27);
	all.insert(all.end(), b.begin(), b.end());
	all.insert(all.end(), c.begin(), c.end());
	EXPECT_EQ(all[10], 1); /* num_buffers */
	EXPECT_EQ(Frame(all.begin() + VIRTIO_NET_HDR_LEN, all.end()), f);
}

TEST_F(VirtioNetTest, FrameWaitsForABufferAndArrivesInOrder)
{
	create();
	init();
	Frame a = make_frame(60, 1), b = make_frame(70, 2);
	inject(a);
	inject(b);
	EXPECT_EQ(virtio_net_poll(n), 0u);
	EXPECT_EQ(used_idx(rxq), 0u);
	EXPECT_EQ(virtio_net_pending(n), 2u);
	/* A buffer posted (and notified) is used at the next poll only. */
	post_rx(0);
	EXPECT_EQ(used_idx(rxq), 0u);
	virtio_net_poll(n);
	ASSERT_EQ(used_idx(rxq), 1u);
	Frame want(VIRTIO_NET_HDR_LEN, 0);
	want[10] = 1;
	want.insert(want.end(), a.begin(), a.end());
	EXPECT_EQ(rx_bytes(0, VIRTIO_NET_HDR_LEN + 60), want);
	post_rx(1);
	virtio_net_poll(n);
	ASSERT_EQ(used_idx(rxq), 2u);
	EXPECT_EQ(used_len(rxq, 1), VIRTIO_NET_HDR_LEN + 70);
	Frame got = rx_bytes(1, VIRTIO_NET_HDR_LEN + 70);
	EXPECT_EQ(Frame(got.begin() + VIRTIO_NET_HDR_LEN, got.end()), b);
	EXPECT_EQ(virtio_net_pending(n), 0u);
}

TEST_F(VirtioNetTest, BackendFramesFromPollAndFromSendArriveAtPoll)
{
	create();
	init();
	fake.echo = true;
	post_rx(0);
	post_rx(1);
	Frame t = make_frame(64, 3);
	transmit(t);
	/* The echo is queued by the send, but not yet in guest memory. */
	EXPECT_EQ(virtio_net_pending(n), 1u);
	EXPECT_EQ(used_idx(rxq), 0u);
	fake.on_poll.push_back(make_frame(80, 4));
	virtio_net_poll(n);
	ASSERT_EQ(used_idx(rxq), 2u);
	EXPECT_EQ(used_len(rxq, 0), VIRTIO_NET_HDR_LEN + 64);
	EXPECT_EQ(used_len(rxq, 1), VIRTIO_NET_HDR_LEN + 80);
}

TEST_F(VirtioNetTest, OversizeAndRuntFramesAreDropped)
{
	create();
	init();
	post_rx(0);
	inject(make_frame(VIRTIO_NET_MAX_FRAME + 1, 1));
	inject(make_frame(VIRTIO_NET_ETH_HLEN - 1, 1));
	virtio_net_poll(n);
	EXPECT_EQ(used_idx(rxq), 0u);
	EXPECT_EQ(stats().rx_dropped_size, 2u);
	inject(make_frame(VIRTIO_NET_MAX_FRAME, 1));
	virtio_net_poll(n);
	ASSERT_EQ(used_idx(rxq), 1u);
	EXPECT_EQ(used_len(rxq, 0), kRxLen);
}

TEST_F(VirtioNetTest, FrameLargerThanBufferIsDroppedAndBufferReturned)
{
	create();
	init();
	post_rx(0, 100);
	post_rx(1);
	inject(make_frame(200, 1));
	inject(make_frame(60, 2));
	virtio_net_poll(n);
	ASSERT_EQ(used_idx(rxq), 2u);
	EXPECT_EQ(used_id(rxq, 0), 0u);
	EXPECT_EQ(used_len(rxq, 0), 0u);
	EXPECT_EQ(rx_bytes(0, 1)[0], 0xee);
	EXPECT_EQ(used_id(rxq, 1), 1u);
	EXPECT_EQ(used_len(rxq, 1), VIRTIO_NET_HDR_LEN + 60);
	EXPECT_EQ(stats().rx_dropped_size, 1u);
	EXPECT_FALSE(drv.needs_reset());
}

TEST_F(VirtioNetTest, FifoHoldsAtMostItsSizeAndDropsTheRest)
{
	create();
	init();
	for (unsigned i = 0; i < VIRTIO_NET_FIFO_FRAMES + 10; i++)
		inject(make_frame(60, static_cast<uint8_t>(i)));
	EXPECT_EQ(virtio_net_pending(n), VIRTIO_NET_FIFO_FRAMES);
	EXPECT_EQ(stats().rx_dropped_full, 10u);
	/* The oldest frames are the ones kept. */
	post_rx(0);
	virtio_net_poll(n);
	EXPECT_EQ(rx_bytes(0, VIRTIO_NET_HDR_LEN + 1)[VIRTIO_NET_HDR_LEN], 0);
}

TEST_F(VirtioNetTest, OnePollFillsAtMostTheAvailableBuffers)
{
	create();
	init();
	for (unsigned i = 0; i < kQsize; i++)
		post_rx(i, kRxLen, false);
	drv.wr(VIRTIO_MMIO_QUEUE_NOTIFY, VIRTIO_NET_RXQ);
	for (unsigned i = 0; i < kQsize + 5; i++)
		inject(make_frame(60, static_cast<uint8_t>(i)));
	EXPECT_EQ(virtio_net_poll(n), kQsize);
	EXPECT_EQ(used_idx(rxq), kQsize);
	EXPECT_EQ(virtio_net_pending(n), 5u);
}

TEST_F(VirtioNetTest, FramesBeforeDriverOkAndAcrossResetAreDropped)
{
	create();
	inject(make_frame(60, 1));
	EXPECT_EQ(virtio_net_pending(n), 0u);
	EXPECT_EQ(stats().rx_dropped_down, 1u);
	init();
	inject(make_frame(60, 2));
	EXPECT_EQ(virtio_net_pending(n), 1u);
	drv.wr(VIRTIO_MMIO_STATUS, 0);
	EXPECT_EQ(virtio_net_pending(n), 0u);
	EXPECT_EQ(stats().rx_dropped_down, 2u);
}

TEST_F(VirtioNetTest, LoopingReceiveChainNeedsReset)
{
	create();
	init();
	desc(rxq, 0, kRxBuf, 800, WRITE | NEXT, 1);
	desc(rxq, 1, kRxBuf + 0x1000, 800, WRITE | NEXT, 0);
	submit(rxq, 0);
	inject(make_frame(60, 1));
	virtio_net_poll(n);
	EXPECT_TRUE(drv.needs_reset());
	EXPECT_TRUE(drv.isr() & VIRTIO_INT_CONFIG);
	EXPECT_EQ(used_idx(rxq), 0u);
	/* Nothing more happens until the driver resets the device. */
	inject(make_frame(60, 2));
	virtio_net_poll(n);
	EXPECT_EQ(used_idx(rxq), 0u);
	init();
	post_rx(0);
	inject(make_frame(60, 3));
	virtio_net_poll(n);
	EXPECT_EQ(used_idx(rxq), 1u);
}

TEST_F(VirtioNetTest, ReceiveBufferOutsideRamNeedsReset)
{
	create();
	init();
	desc(rxq, 0, tu::kRam + vm.m->ram.size - 100, kRxLen, WRITE);
	submit(rxq, 0);
	inject(make_frame(60, 1));
	virtio_net_poll(n);
	EXPECT_TRUE(drv.needs_reset());
}

TEST_F(VirtioNetTest, ReadableReceiveBufferNeedsReset)
{
	create();
	init();
	desc(rxq, 0, kRxBuf, kRxLen, 0);
	submit(rxq, 0);
	inject(make_frame(60, 1));
	virtio_net_poll(n);
	EXPECT_TRUE(drv.needs_reset());
	EXPECT_EQ(rx_bytes(0, 1)[0], 0x00); /* zeroed by setup, never written */
}

TEST_F(VirtioNetTest, TransmitChainOutsideRamNeedsResetAndSendsNothing)
{
	create();
	init();
	desc(txq, 0, 0x1000, 60, 0); /* not RAM */
	submit(txq, 0);
	EXPECT_TRUE(drv.needs_reset());
	EXPECT_TRUE(fake.sent.empty());
}

TEST_F(VirtioNetTest, TransmitLoopNeedsReset)
{
	create();
	init();
	drv.fill(kTxBuf, 0, 64);
	desc(txq, 0, kTxBuf, 40, NEXT, 1);
	desc(txq, 1, kTxBuf, 40, NEXT, 0);
	submit(txq, 0);
	EXPECT_TRUE(drv.needs_reset());
	EXPECT_TRUE(fake.sent.empty());
}

TEST_F(VirtioNetTest, DestroyFreesTheBackend)
{
	create();
	virtio_net_destroy(n);
	n = nullptr;
	EXPECT_TRUE(fake.destroyed);
}

TEST_F(VirtioNetTest, WaitWithoutBackendIsQuiet)
{
	struct hv_err err;
	n = virtio_net_create(vm.m, vt::kSlot, nullptr, &err);
	ASSERT_NE(n, nullptr) << err.msg;
	EXPECT_EQ(virtio_net_wait(n, -1, -1), VIRTIO_NET_WAIT_QUIET);
	init();
	transmit(make_frame(60, 1));
	EXPECT_EQ(stats().tx_dropped, 1u);
}

TEST_F(VirtioNetTest, WaitReportsNewFramesOnly)
{
	create();
	init();
	inject(make_frame(60, 1));
	/* A frame already waiting (no buffer) is not news. */
	EXPECT_EQ(virtio_net_wait(n, -1, 0), 0);
	fake.on_poll.push_back(make_frame(60, 2));
	EXPECT_EQ(virtio_net_wait(n, -1, 0), VIRTIO_NET_WAIT_FRAMES);
	EXPECT_EQ(fake.waits, 2);
	/* Waiting does not deliver: the next poll does. */
	post_rx(0);
	EXPECT_EQ(used_idx(rxq), 0u);
	EXPECT_EQ(virtio_net_pending(n), 2u);
	virtio_net_poll(n);
	EXPECT_EQ(used_idx(rxq), 1u);
}

/* End to end through libslirp: an ARP request for the gateway sent on the
 * transmit queue is answered in the receive queue at the next poll. */
TEST_F(VirtioNetTest, AttachedSlirpAnswersArpForTheGateway)
{
	struct net_opts o;
	struct hv_err err;
	net_opts_init(&o);
	ASSERT_EQ(net_parse_opts("user", &o, &err), 0) << err.msg;
	n = virtio_net_attach(vm.m, vt::kSlot, &o, &err);
	ASSERT_NE(n, nullptr) << err.msg;
	init();
	post_rx(0);

	Frame arp(42, 0);
	std::memset(&arp[0], 0xff, 6);
	std::memcpy(&arp[6], kDefaultMac, 6);
	const uint8_t body[] = { 0x08, 0x06, 0, 1, 0x08, 0, 6, 4, 0, 1 };
	std::memcpy(&arp[12], body, sizeof(body));
	std::memcpy(&arp[22], kDefaultMac, 6);
	const uint8_t ips[] = { 10, 0, 2, 15, 0, 0, 0, 0, 0, 0, 10, 0, 2, 2 };
	std::memcpy(&arp[28], ips, sizeof(ips));
	transmit(arp);
	EXPECT_EQ(used_idx(rxq), 0u);
	virtio_net_poll(n);
	ASSERT_EQ(used_idx(rxq), 1u);
	Frame got = rx_bytes(0, used_len(rxq, 0));
	ASSERT_GE(got.size(), VIRTIO_NET_HDR_LEN + 42);
	const uint8_t *e = got.data() + VIRTIO_NET_HDR_LEN;
	EXPECT_EQ(0, std::memcmp(e, kDefaultMac, 6)); /* to the guest */
	EXPECT_EQ(e[12], 0x08);
	EXPECT_EQ(e[13], 0x06); /* ARP */
	EXPECT_EQ(e[21], 2);    /* reply */
	const uint8_t gw[4] = { 10, 0, 2, 2 };
	EXPECT_EQ(0, std::memcmp(e + 28, gw, 4)); /* sender: the gateway */
}

TEST_F(VirtioNetTest, AttachFailureLeavesTheSlotAlone)
{
	struct net_opts o;
	struct hv_err err;
	net_opts_init(&o);
	EXPECT_EQ(virtio_net_attach(vm.m, vt::kSlot, &o, &err), nullptr);
	uint64_t v = 0;
	if (bus_read(vm.m, vt::kBase + VIRTIO_MMIO_DEVICE_ID, 4, &v)) {
		EXPECT_NE(v, VIRTIO_ID_NET);
	}
}

} // namespace
