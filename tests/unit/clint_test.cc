// SPDX-License-Identifier: MIT
/*
 * Tests of the CLINT (hv/dev/clint.c): msip drives MIP.MSIP of the addressed
 * hart, mtimecmp writes (whole or by halves) reach struct hart and the
 * timer interrupt, mtime reads the accessing hart's clock and ignores
 * writes, and bad harts, sizes and offsets are harmless.
 *
 * The harts are real zeroed structures; hart_set_ip, hart_time and
 * hart_timer_update are the library's.
 */
#include <gtest/gtest.h>

#include <cstdlib>

extern "C" {
#include "hv/dev/clint.h"
#include "hv/cpu/hart.h"
#include "hv/platform/machine.h"
}

namespace {

constexpr uint64_t kMtimecmp = 0x4000;
constexpr uint64_t kMtime = 0xbff8;

class ClintTest : public ::testing::Test {
protected:
	void SetUp() override
	{
		struct hv_err err;

		m = static_cast<struct machine *>(calloc(1, sizeof(*m)));
		m->nharts = 3;
		for (unsigned i = 0; i < m->nharts; i++) {
			m->hart[i] = static_cast<struct hart *>(calloc(1, sizeof(struct hart)));
			m->hart[i]->m = m;
			m->hart[i]->id = i;
			m->hart[i]->mtimecmp = ~0ull;
		}
		m->cur = m->hart[0];
		c = clint_create(m, &err);
		ASSERT_NE(c, nullptr) << err.msg;
		dev = clint_dev(c);
	}

	void TearDown() override
	{
		clint_destroy(c);
		for (unsigned i = 0; i < m->nharts; i++)
			free(m->hart[i]);
		free(m);
	}

	uint64_t rd(uint64_t off, unsigned size) { return dev->ops->read(dev->opaque, off, size); }
	void wr(uint64_t off, unsigned size, uint64_t val)
	{
		dev->ops->write(dev->opaque, off, size, val);
	}

	struct machine *m = nullptr;
	struct clint *c = nullptr;
	struct hv_dev *dev = nullptr;
};

TEST_F(ClintTest, DeviceCoversTheVirtWindow)
{
	EXPECT_EQ(dev->base, HV_CLINT_BASE);
	EXPECT_EQ(dev->size, HV_CLINT_SIZE);
}

TEST_F(ClintTest, MsipSetsAndClearsSoftwareInterruptOfThatHart)
{
	wr(4 * 2, 4, 1);
	EXPECT_NE(m->hart[2]->mip & MIP_MSIP, 0u);
	EXPECT_EQ(m->hart[0]->mip & MIP_MSIP, 0u);
	EXPECT_EQ(m->hart[1]->mip & MIP_MSIP, 0u);
	EXPECT_EQ(rd(4 * 2, 4), 1u);
	EXPECT_EQ(rd(4 * 1, 4), 0u);
	wr(4 * 2, 4, 0);
	EXPECT_EQ(m->hart[2]->mip & MIP_MSIP, 0u);
	EXPECT_EQ(rd(4 * 2, 4), 0u);
}

TEST_F(ClintTest, MsipKeepsOnlyBitZero)
{
	wr(4, 4, 0xfffffffe);
	EXPECT_EQ(m->hart[1]->mip & MIP_MSIP, 0u);
	wr(4, 4, 0xffffffff);
	EXPECT_EQ(rd(4, 4), 1u);
}

TEST_F(ClintTest, MtimecmpWriteUpdatesHartAndTimer)
{
	wr(kMtimecmp + 8 * 1, 8, 0x123456789abcdefull);
	EXPECT_EQ(m->hart[1]->mtimecmp, 0x123456789abcdefull);
	EXPECT_EQ(m->hart[0]->mtimecmp, ~0ull);
	EXPECT_EQ(rd(kMtimecmp + 8, 8), 0x123456789abcdefull);

	/* A compare value already reached raises the timer interrupt. */
	wr(kMtimecmp + 8 * 1, 8, 0);
	EXPECT_NE(m->hart[1]->mip & MIP_MTIP, 0u);
	wr(kMtimecmp + 8 * 1, 8, ~0ull);
	EXPECT_EQ(m->hart[1]->mip & MIP_MTIP, 0u);
}

TEST_F(ClintTest, MtimecmpHalvesAreSeparatelyAccessible)
{
	wr(kMtimecmp, 4, 0x11112222);
	EXPECT_EQ(m->hart[0]->mtimecmp, 0xffffffff11112222ull);
	wr(kMtimecmp + 4, 4, 0x33334444);
	EXPECT_EQ(m->hart[0]->mtimecmp, 0x3333444411112222ull);
	EXPECT_EQ(rd(kMtimecmp, 4), 0x11112222u);
	EXPECT_EQ(rd(kMtimecmp + 4, 4), 0x33334444u);
}

TEST_F(ClintTest, MtimeReadsAccessingHartsClock)
{
	m->hart[0]->icount = 12345 * HV_INSNS_PER_TICK;
	uint64_t t = rd(kMtime, 8);
	EXPECT_EQ(t, hart_time(m->hart[0]));
	EXPECT_GE(t, 12345u);

	m->hart[1]->icount = 99999 * HV_INSNS_PER_TICK;
	m->cur = m->hart[1];
	uint64_t t1 = rd(kMtime, 8);
	EXPECT_EQ(t1, hart_time(m->hart[1]));
	EXPECT_GE(t1, 99999u);
}

TEST_F(ClintTest, MtimeHalvesAndWritesIgnored)
{
	m->hart[0]->icount = (0x500000007ull) * HV_INSNS_PER_TICK;
	uint64_t t = hart_time(m->hart[0]);
	EXPECT_EQ(rd(kMtime, 4), t & 0xffffffffu);
	EXPECT_EQ(rd(kMtime + 4, 4), t >> 32);
	wr(kMtime, 8, 0);
	wr(kMtime, 4, 0);
	EXPECT_EQ(rd(kMtime, 8), t);
}

TEST_F(ClintTest, MissingHartsAndBadAccessesAreHarmless)
{
	/* Hart 3 does not exist, nor does hart 4095. */
	wr(4 * 3, 4, 1);
	EXPECT_EQ(rd(4 * 3, 4), 0u);
	wr(0x3ffc, 4, 1);
	wr(kMtimecmp + 8 * 3, 8, 5);
	EXPECT_EQ(rd(kMtimecmp + 8 * 3, 8), 0u);
	wr(0xbff0, 8, 5);
	/* Wrong sizes and misalignment. */
	wr(0, 1, 1);
	wr(0, 8, 1);
	wr(2, 4, 1);
	EXPECT_EQ(m->hart[0]->mip & MIP_MSIP, 0u);
	wr(kMtimecmp, 2, 0);
	wr(kMtimecmp + 2, 4, 0);
	wr(kMtimecmp + 4, 8, 0);
	EXPECT_EQ(m->hart[0]->mtimecmp, ~0ull);
	EXPECT_EQ(rd(kMtime + 2, 4), 0u);
	EXPECT_EQ(rd(kMtime, 1), 0u);
	/* Past the registers and past the window. */
	EXPECT_EQ(rd(0xc000, 4), 0u);
	EXPECT_EQ(rd(HV_CLINT_SIZE, 8), 0u);
	EXPECT_EQ(rd(~0ull & ~7ull, 8), 0u);
	wr(~0ull & ~7ull, 8, 1);
	for (unsigned i = 0; i < m->nharts; i++)
		EXPECT_EQ(m->hart[i]->mip, 0u);
}

} // namespace
