// SPDX-License-Identifier: MIT
/*
 * Tests of the goldfish RTC (hv/dev/rtc.c): time is boot_ns plus guest time,
 * TIME_LOW latches TIME_HIGH, the guest can set the clock, the alarm fires
 * when guest time passes it (at once if already due), the interrupt line
 * follows pending AND enabled, and bad accesses are harmless.
 *
 * Guest time is advanced by moving the hart's icount; expectations are
 * computed through the library's hart_time(), so they hold for any
 * instruction-to-tick rate. The interrupt line is observed in a real
 * PLIC's pending register.
 */
#include <gtest/gtest.h>

#include <cstdlib>

extern "C" {
#include "hv/cpu/hart.h"
#include "hv/platform/machine.h"
#include "hv/dev/plic.h"
#include "hv/dev/rtc.h"
}

namespace {

enum {
	TIME_LOW = 0x00,
	TIME_HIGH = 0x04,
	ALARM_LOW = 0x08,
	ALARM_HIGH = 0x0c,
	IRQ_ENABLED = 0x10,
	CLEAR_ALARM = 0x14,
	ALARM_STATUS = 0x18,
	CLEAR_INTERRUPT = 0x1c
};

constexpr uint64_t kBootNs = 1700000000ull * 1000000000ull + 123;
constexpr uint64_t kNsPerTick = 1000000000ull / HV_TIMEBASE_HZ;

class RtcTest : public ::testing::Test {
protected:
	void SetUp() override
	{
		struct hv_err err;

		m = static_cast<struct machine *>(calloc(1, sizeof(*m)));
		m->nharts = 1;
		h = static_cast<struct hart *>(calloc(1, sizeof(struct hart)));
		h->m = m;
		m->hart[0] = h;
		m->cur = h;
		plic = plic_create(m, 1, &err);
		ASSERT_NE(plic, nullptr) << err.msg;
		struct hv_irq irq = { plic, HV_RTC_IRQ };
		r = rtc_create(m, &irq, kBootNs, &err);
		ASSERT_NE(r, nullptr) << err.msg;
		dev = rtc_dev(r);
	}

	void TearDown() override
	{
		rtc_destroy(r);
		plic_destroy(plic);
		free(h);
		free(m);
	}

	uint32_t rd(uint64_t off)
	{
		return static_cast<uint32_t>(dev->ops->read(dev->opaque, off, 4));
	}
	void wr(uint64_t off, uint32_t val) { dev->ops->write(dev->opaque, off, 4, val); }
	uint64_t read_time()
	{
		uint64_t lo = rd(TIME_LOW);
		return lo | static_cast<uint64_t>(rd(TIME_HIGH)) << 32;
	}
	void set_alarm(uint64_t ns)
	{
		wr(ALARM_HIGH, static_cast<uint32_t>(ns >> 32));
		wr(ALARM_LOW, static_cast<uint32_t>(ns));
	}
	/* Advance this hart's clock by at least ticks mtime ticks. */
	void advance(uint64_t ticks)
	{
		uint64_t before = hart_time(h);
		h->icount += ticks * HV_INSNS_PER_TICK;
		ASSERT_GE(hart_time(h), before + ticks);
	}
	bool line()
	{
		struct hv_dev *pd = plic_dev(plic);
		return (pd->ops->read(pd->opaque, 0x1000, 4) >> HV_RTC_IRQ) & 1;
	}

	struct machine *m = nullptr;
	struct hart *h = nullptr;
	struct plic *plic = nullptr;
	struct rtc *r = nullptr;
	struct hv_dev *dev = nullptr;
};

TEST_F(RtcTest, DeviceCoversTheVirtWindow)
{
	EXPECT_EQ(dev->base, HV_RTC_BASE);
	EXPECT_EQ(dev->size, 0x1000u);
}

TEST_F(RtcTest, TimeIsBootClockPlusGuestTime)
{
	EXPECT_EQ(read_time(), kBootNs + hart_time(h) * kNsPerTick);
	advance(5000);
	EXPECT_EQ(read_time(), kBootNs + hart_time(h) * kNsPerTick);
}

TEST_F(RtcTest, TimeLowLatchesTimeHigh)
{
	/* Put the low half just below a carry into the high half. */
	uint64_t now = read_time();
	uint64_t want = (now | 0xffffffffull) - 50;
	wr(TIME_HIGH, static_cast<uint32_t>(want >> 32));
	wr(TIME_LOW, static_cast<uint32_t>(want));
	uint32_t lo = rd(TIME_LOW);
	advance(10); /* carries into the high half of now */
	EXPECT_EQ(rd(TIME_HIGH), static_cast<uint32_t>(want >> 32));
	EXPECT_GE(lo, static_cast<uint32_t>(want));
	EXPECT_EQ(read_time() >> 32, (want >> 32) + 1);
}

TEST_F(RtcTest, GuestCanSetTheClock)
{
	uint64_t want = 0x0123456789abcdefull;
	wr(TIME_HIGH, static_cast<uint32_t>(want >> 32));
	wr(TIME_LOW, static_cast<uint32_t>(want));
	EXPECT_EQ(read_time(), want);
	uint64_t t0 = hart_time(h);
	advance(7);
	EXPECT_EQ(read_time(), want + (hart_time(h) - t0) * kNsPerTick);
}

TEST_F(RtcTest, AlarmFiresWhenGuestTimePassesIt)
{
	wr(IRQ_ENABLED, 1);
	set_alarm(read_time() + 1000 * kNsPerTick);
	EXPECT_EQ(rd(ALARM_STATUS), 1u);
	advance(500);
	rtc_tick(r);
	EXPECT_FALSE(line());
	EXPECT_EQ(rd(ALARM_STATUS), 1u);
	advance(600);
	rtc_tick(r);
	EXPECT_TRUE(line());
	EXPECT_EQ(rd(ALARM_STATUS), 0u);
	wr(CLEAR_INTERRUPT, 1);
	EXPECT_FALSE(line());
}

TEST_F(RtcTest, AlarmInThePastFiresAtOnce)
{
	wr(IRQ_ENABLED, 1);
	set_alarm(read_time() - 1);
	EXPECT_TRUE(line());
	EXPECT_EQ(rd(ALARM_STATUS), 0u);
}

TEST_F(RtcTest, InterruptLineNeedsEnable)
{
	set_alarm(0);
	EXPECT_FALSE(line());
	wr(IRQ_ENABLED, 1);
	EXPECT_TRUE(line());
	EXPECT_EQ(rd(IRQ_ENABLED), 1u);
	wr(IRQ_ENABLED, 0);
	EXPECT_FALSE(line());
}

TEST_F(RtcTest, ClearAlarmDisarms)
{
	wr(IRQ_ENABLED, 1);
	set_alarm(read_time() + 10 * kNsPerTick);
	wr(CLEAR_ALARM, 1);
	EXPECT_EQ(rd(ALARM_STATUS), 0u);
	advance(100);
	rtc_tick(r);
	EXPECT_FALSE(line());
}

TEST_F(RtcTest, AlarmHighWriteDoesNotMoveArmedAlarm)
{
	wr(IRQ_ENABLED, 1);
	uint64_t now = read_time();
	set_alarm(now + 100 * kNsPerTick);
	/* Staging a high half in the past must not fire the armed alarm. */
	wr(ALARM_HIGH, 0);
	EXPECT_FALSE(line());
	EXPECT_EQ(rd(ALARM_STATUS), 1u);
	advance(200);
	rtc_tick(r);
	EXPECT_TRUE(line());
}

TEST_F(RtcTest, AlarmRegistersReadBack)
{
	set_alarm(0xfedcba9876543210ull);
	EXPECT_EQ(rd(ALARM_LOW), 0x76543210u);
	EXPECT_EQ(rd(ALARM_HIGH), 0xfedcba98u);
}

TEST_F(RtcTest, NextDeadlineIsTheAlarmTick)
{
	uint64_t when = 0;

	EXPECT_FALSE(rtc_next_deadline(r, &when));
	uint64_t t0 = hart_time(h);
	set_alarm(read_time() + 250 * kNsPerTick + 1);
	ASSERT_TRUE(rtc_next_deadline(r, &when));
	EXPECT_EQ(when, t0 + 251);
	/* At that tick, the alarm is due. */
	advance(when - hart_time(h));
	rtc_tick(r);
	EXPECT_EQ(rd(ALARM_STATUS), 0u);
	EXPECT_FALSE(rtc_next_deadline(r, &when));
}

TEST_F(RtcTest, BadAccessesAreHarmless)
{
	wr(IRQ_ENABLED, 1);
	dev->ops->write(dev->opaque, ALARM_LOW, 8, 0);
	dev->ops->write(dev->opaque, ALARM_LOW, 1, 0);
	dev->ops->write(dev->opaque, ALARM_LOW + 1, 4, 0);
	dev->ops->write(dev->opaque, 0x20, 4, 0);
	dev->ops->write(dev->opaque, ~0ull, 4, 0);
	EXPECT_EQ(rd(ALARM_STATUS), 0u);
	EXPECT_FALSE(line());
	EXPECT_EQ(dev->ops->read(dev->opaque, TIME_LOW, 8), 0u);
	EXPECT_EQ(dev->ops->read(dev->opaque, TIME_LOW, 2), 0u);
	EXPECT_EQ(dev->ops->read(dev->opaque, 0x20, 4), 0u);
	EXPECT_EQ(dev->ops->read(dev->opaque, 0xffc, 4), 0u);
	EXPECT_EQ(rd(CLEAR_INTERRUPT), 0u);
}

} // namespace
