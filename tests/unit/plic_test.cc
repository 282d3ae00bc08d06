// SPDX-License-Identifier: MIT
/*
 * Tests of the PLIC (hv/dev/plic.c): claim order by priority and id, the
 * threshold, level-triggered re-pending after complete, M/S contexts
 * driving MEIP/SEIP of the right hart, and guest nonsense (bad offsets,
 * sizes, complete of foreign sources) being harmless.
 *
 * The machine and harts are real zeroed structures; the PLIC reaches the
 * harts through the library's hart_set_ip, whose effect is h->mip (MEIP)
 * and h->mip_ext (SEIP).
 */
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

extern "C" {
#include "hv/cpu/hart.h"
#include "hv/platform/machine.h"
#include "hv/dev/plic.h"
}

namespace {

/* The interrupt-pending bits a hart sees: the PLIC's SEIP line is kept in
 * mip_ext, apart from the software-writable mip.SEIP. */
uint64_t ip(const struct hart *h)
{
	return h->mip | h->mip_ext;
}

constexpr uint64_t kPending = 0x1000;
constexpr uint64_t kEnable = 0x2000;
constexpr uint64_t kContext = 0x200000;

class PlicTest : public ::testing::Test {
protected:
	void SetUp() override
	{
		m = static_cast<struct machine *>(calloc(1, sizeof(*m)));
		m->nharts = 2;
		for (unsigned i = 0; i < m->nharts; i++) {
			m->hart[i] = static_cast<struct hart *>(calloc(1, sizeof(struct hart)));
			m->hart[i]->m = m;
			m->hart[i]->id = i;
		}
		m->cur = m->hart[0];
		struct hv_err err;
		p = plic_create(m, m->nharts, &err);
		ASSERT_NE(p, nullptr) << err.msg;
		dev = plic_dev(p);
	}

	void TearDown() override
	{
		plic_destroy(p);
		for (unsigned i = 0; i < m->nharts; i++)
			free(m->hart[i]);
		free(m);
	}

	uint32_t rd(uint64_t off)
	{
		return static_cast<uint32_t>(dev->ops->read(dev->opaque, off, 4));
	}
	void wr(uint64_t off, uint32_t val) { dev->ops->write(dev->opaque, off, 4, val); }
	void set_prio(unsigned src, uint32_t prio) { wr(4 * src, prio); }
	void enable(unsigned ctx, unsigned src)
	{
		uint64_t off = kEnable + 0x80 * ctx + 4 * (src / 32);
		wr(off, rd(off) | (1u << (src % 32)));
	}
	void set_threshold(unsigned ctx, uint32_t t) { wr(kContext + 0x1000 * ctx, t); }
	uint32_t claim(unsigned ctx) { return rd(kContext + 0x1000 * ctx + 4); }
	void complete(unsigned ctx, uint32_t src) { wr(kContext + 0x1000 * ctx + 4, src); }
	void line(unsigned src, bool level)
	{
		struct hv_irq irq = { p, src };
		hv_irq_set(&irq, level);
	}

	struct machine *m = nullptr;
	struct plic *p = nullptr;
	struct hv_dev *dev = nullptr;
};

TEST_F(PlicTest, DeviceCoversTheVirtWindow)
{
	EXPECT_EQ(dev->base, HV_PLIC_BASE);
	EXPECT_EQ(dev->size, HV_PLIC_SIZE);
}

TEST_F(PlicTest, ClaimReturnsHighestPriority)
{
	for (unsigned src : { 3u, 5u, 40u }) {
		enable(1, src);
		line(src, true);
	}
	set_prio(3, 2);
	set_prio(5, 6);
	set_prio(40, 4);
	EXPECT_EQ(claim(1), 5u);
	EXPECT_EQ(claim(1), 40u);
	EXPECT_EQ(claim(1), 3u);
	EXPECT_EQ(claim(1), 0u);
}

TEST_F(PlicTest, EqualPriorityGoesToLowestId)
{
	for (unsigned src : { 70u, 33u, 9u }) {
		enable(1, src);
		set_prio(src, 3);
		line(src, true);
	}
	EXPECT_EQ(claim(1), 9u);
	EXPECT_EQ(claim(1), 33u);
	EXPECT_EQ(claim(1), 70u);
}

TEST_F(PlicTest, ThresholdMasksLowerOrEqualPriorities)
{
	enable(1, 10);
	set_prio(10, 3);
	set_threshold(1, 3);
	line(10, true);
	EXPECT_EQ(ip(m->hart[0]) & MIP_SEIP, 0u);
	EXPECT_EQ(claim(1), 0u);
	set_threshold(1, 2);
	EXPECT_NE(ip(m->hart[0]) & MIP_SEIP, 0u);
	EXPECT_EQ(claim(1), 10u);
}

TEST_F(PlicTest, PriorityZeroNeverInterrupts)
{
	enable(1, 10);
	line(10, true);
	EXPECT_EQ(ip(m->hart[0]) & MIP_SEIP, 0u);
	EXPECT_EQ(claim(1), 0u);
}

TEST_F(PlicTest, DisabledSourceIsPendingButNotDelivered)
{
	set_prio(12, 1);
	line(12, true);
	EXPECT_EQ(rd(kPending), 1u << 12);
	EXPECT_EQ(ip(m->hart[0]) & (MIP_SEIP | MIP_MEIP), 0u);
	EXPECT_EQ(claim(1), 0u);
}

TEST_F(PlicTest, ClaimClearsPendingAndLine)
{
	set_prio(10, 1);
	enable(1, 10);
	line(10, true);
	EXPECT_EQ(rd(kPending), 1u << 10);
	EXPECT_NE(ip(m->hart[0]) & MIP_SEIP, 0u);
	EXPECT_EQ(claim(1), 10u);
	EXPECT_EQ(rd(kPending), 0u);
	EXPECT_EQ(ip(m->hart[0]) & MIP_SEIP, 0u);
}

TEST_F(PlicTest, AssertedLevelPendsAgainAfterComplete)
{
	set_prio(10, 1);
	enable(1, 10);
	line(10, true);
	ASSERT_EQ(claim(1), 10u);
	/* In service: no second request even though the line is high. */
	EXPECT_EQ(claim(1), 0u);
	complete(1, 10);
	EXPECT_NE(ip(m->hart[0]) & MIP_SEIP, 0u);
	EXPECT_EQ(claim(1), 10u);
}

TEST_F(PlicTest, DeassertedLevelDoesNotPendAfterComplete)
{
	set_prio(10, 1);
	enable(1, 10);
	line(10, true);
	ASSERT_EQ(claim(1), 10u);
	line(10, false);
	complete(1, 10);
	EXPECT_EQ(ip(m->hart[0]) & MIP_SEIP, 0u);
	EXPECT_EQ(claim(1), 0u);
}

TEST_F(PlicTest, LineDroppedBeforeClaimWithdrawsRequest)
{
	set_prio(10, 1);
	enable(1, 10);
	line(10, true);
	line(10, false);
	EXPECT_EQ(ip(m->hart[0]) & MIP_SEIP, 0u);
	EXPECT_EQ(claim(1), 0u);
}

TEST_F(PlicTest, CompleteOfSourceNotEnabledInContextIsIgnored)
{
	set_prio(10, 1);
	enable(1, 10);
	line(10, true);
	ASSERT_EQ(claim(1), 10u);
	complete(0, 10); /* context 0 never enabled source 10 */
	EXPECT_EQ(claim(1), 0u);
	complete(1, 10);
	EXPECT_EQ(claim(1), 10u);
}

TEST_F(PlicTest, ContextsDriveMeipAndSeipOfTheirHart)
{
	set_prio(7, 1);
	enable(0, 7); /* hart 0 M-mode */
	line(7, true);
	EXPECT_NE(ip(m->hart[0]) & MIP_MEIP, 0u);
	EXPECT_EQ(ip(m->hart[0]) & MIP_SEIP, 0u);
	EXPECT_EQ(ip(m->hart[1]) & (MIP_MEIP | MIP_SEIP), 0u);

	enable(3, 7); /* hart 1 S-mode */
	EXPECT_NE(ip(m->hart[1]) & MIP_SEIP, 0u);
	EXPECT_EQ(ip(m->hart[1]) & MIP_MEIP, 0u);

	line(7, false);
	EXPECT_EQ(ip(m->hart[0]) & (MIP_MEIP | MIP_SEIP), 0u);
	EXPECT_EQ(ip(m->hart[1]) & (MIP_MEIP | MIP_SEIP), 0u);
}

TEST_F(PlicTest, ClaimByOneContextLowersTheOther)
{
	set_prio(4, 1);
	enable(1, 4);
	enable(3, 4);
	line(4, true);
	EXPECT_NE(ip(m->hart[1]) & MIP_SEIP, 0u);
	EXPECT_EQ(claim(1), 4u);
	EXPECT_EQ(ip(m->hart[1]) & MIP_SEIP, 0u);
	EXPECT_EQ(claim(3), 0u);
}

TEST_F(PlicTest, RegistersKeepOnlyImplementedBits)
{
	set_prio(5, 0xffffffff);
	EXPECT_EQ(rd(4 * 5), PLIC_PRIO_MAX);
	set_threshold(1, 0x1234);
	EXPECT_EQ(rd(kContext + 0x1000), 0x1234u & PLIC_PRIO_MAX);
	wr(kEnable, 0xffffffff);
	EXPECT_EQ(rd(kEnable), 0xfffffffeu); /* source 0 cannot be enabled */
	set_prio(0, 5);
	EXPECT_EQ(rd(0), 0u);
}

TEST_F(PlicTest, PendingBitsAreReadOnly)
{
	wr(kPending, 0xffffffff);
	EXPECT_EQ(rd(kPending), 0u);
}

TEST_F(PlicTest, OutOfRangeAndOddAccessesAreHarmless)
{
	set_prio(1, 3);
	EXPECT_EQ(dev->ops->read(dev->opaque, 4, 1), 0u);
	EXPECT_EQ(dev->ops->read(dev->opaque, 4, 8), 0u);
	EXPECT_EQ(dev->ops->read(dev->opaque, 6, 4), 0u);
	dev->ops->write(dev->opaque, 4, 2, 0);
	EXPECT_EQ(rd(4), 3u);
	/* Source beyond PLIC_NSRC, a context beyond 2 * nharts, the hole
	 * after the pending bits, and past the window. */
	EXPECT_EQ(rd(4 * PLIC_NSRC), 0u);
	wr(4 * PLIC_NSRC, 1);
	EXPECT_EQ(rd(kEnable + 0x80 * 4), 0u);
	wr(kEnable + 0x80 * 4, ~0u);
	EXPECT_EQ(rd(kEnable + 0x80 * 4), 0u);
	EXPECT_EQ(rd(kContext + 0x1000 * 4 + 4), 0u);
	wr(kContext + 0x1000 * 4, 1);
	EXPECT_EQ(rd(kPending + 0x40), 0u);
	EXPECT_EQ(rd(HV_PLIC_SIZE), 0u);
	EXPECT_EQ(rd(~0ull & ~3ull), 0u);
	wr(HV_PLIC_SIZE - 4, 1);
	complete(1, 0);
	complete(1, PLIC_NSRC);
	complete(1, 0xffffffff);
}

TEST_F(PlicTest, BadLinesAreIgnored)
{
	line(0, true);
	line(PLIC_NSRC, true);
	line(1000, true);
	for (uint64_t w = 0; w < 4; w++)
		EXPECT_EQ(rd(kPending + 4 * w), 0u);
}

TEST(Plic, RejectsImpossibleHartCounts)
{
	struct hv_err err;
	struct machine m = {};

	EXPECT_EQ(plic_create(&m, 0, &err), nullptr);
	EXPECT_EQ(plic_create(&m, HV_MAX_HARTS + 1, &err), nullptr);
	EXPECT_NE(std::string(err.msg).find("harts"), std::string::npos);
}

} // namespace
