// SPDX-License-Identifier: MIT
/*
 * Tests of the sifive,test syscon (hv/dev/syscon.c): pass, fail with a code,
 * reset, and every other value, size or offset leaving the machine
 * running. The effect is observed in struct machine's stop and
 * exit_status, which machine_stop fills.
 */
#include <gtest/gtest.h>

#include <cstdlib>

extern "C" {
#include "hv/cpu/hart.h"
#include "hv/platform/machine.h"
#include "hv/dev/syscon.h"
}

namespace {

class SysconTest : public ::testing::Test {
protected:
	void SetUp() override
	{
		struct hv_err err;

		m = static_cast<struct machine *>(calloc(1, sizeof(*m)));
		m->nharts = 1;
		m->hart[0] = static_cast<struct hart *>(calloc(1, sizeof(struct hart)));
		m->hart[0]->m = m;
		m->cur = m->hart[0];
		m->exit_status = -99;
		s = syscon_create(m, &err);
		ASSERT_NE(s, nullptr) << err.msg;
		dev = syscon_dev(s);
	}

	void TearDown() override
	{
		syscon_destroy(s);
		free(m->hart[0]);
		free(m);
	}

	void wr(uint64_t off, unsigned size, uint64_t val)
	{
		dev->ops->write(dev->opaque, off, size, val);
	}

	struct machine *m = nullptr;
	struct syscon *s = nullptr;
	struct hv_dev *dev = nullptr;
};

TEST_F(SysconTest, DeviceCoversTheVirtWindow)
{
	EXPECT_EQ(dev->base, HV_SYSCON_BASE);
	EXPECT_EQ(dev->size, 0x1000u);
}

TEST_F(SysconTest, PassPowersOffWithStatusZero)
{
	wr(0, 4, 0x5555);
	EXPECT_EQ(m->stop, STOP_SHUTDOWN);
	EXPECT_EQ(m->exit_status, 0);
}

TEST_F(SysconTest, FailReportsItsCode)
{
	wr(0, 4, 0x3333 | (42u << 16));
	EXPECT_EQ(m->stop, STOP_SHUTDOWN);
	EXPECT_EQ(m->exit_status, 42);
}

TEST_F(SysconTest, FailWithCodeZeroStillFails)
{
	wr(0, 4, 0x3333);
	EXPECT_EQ(m->stop, STOP_SHUTDOWN);
	EXPECT_EQ(m->exit_status, 1);
}

TEST_F(SysconTest, HalfwordPassPowersOff)
{
	/* OpenSBI's sifive_test driver uses 16-bit stores. */
	wr(0, 2, 0x5555);
	EXPECT_EQ(m->stop, STOP_SHUTDOWN);
	EXPECT_EQ(m->exit_status, 0);
}

TEST_F(SysconTest, HalfwordResetRequestsReboot)
{
	wr(0, 2, 0x7777);
	EXPECT_EQ(m->stop, STOP_REBOOT);
}

TEST_F(SysconTest, ResetRequestsReboot)
{
	wr(0, 4, 0x7777);
	EXPECT_EQ(m->stop, STOP_REBOOT);
}

TEST_F(SysconTest, OtherValuesSizesAndOffsetsAreIgnored)
{
	wr(0, 4, 0x1234);
	wr(0, 4, 0x5556);
	wr(4, 4, 0x5555);
	wr(0xffc, 4, 0x5555);
	wr(0, 1, 0x55);
	wr(0, 8, 0x5555);
	wr(2, 2, 0x5555);
	wr(~0ull, 4, 0x5555);
	EXPECT_EQ(m->stop, STOP_NONE);
	EXPECT_EQ(m->exit_status, -99);
}

TEST_F(SysconTest, ReadsReturnZero)
{
	wr(0, 4, 0x1234);
	EXPECT_EQ(dev->ops->read(dev->opaque, 0, 4), 0u);
	EXPECT_EQ(dev->ops->read(dev->opaque, 0x800, 8), 0u);
	EXPECT_EQ(dev->ops->read(dev->opaque, ~0ull, 1), 0u);
}

} // namespace
