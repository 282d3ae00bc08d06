// SPDX-License-Identifier: MIT
/*
 * Tests of realtime pacing (hv/platform/pace.c, --clock realtime): a hart waits
 * (WFI) for its timer and then powers the machine off. Paced, the run
 * takes at least the timer's distance in wall time and ends in exactly
 * the state of the unpaced run; a lead from a busy stretch is not waited
 * out and a guest behind the wall clock catches up without waiting; host
 * input during the wait ends it early and is noted as the idle period's
 * end (HV_IN_IDLE), as without pacing; a debugger's interrupt between
 * slices ends the wait and leaves the clock where an unpaced run puts it.
 */
#include <gtest/gtest.h>

#include <time.h>

#include <vector>

#include "tests/unit/testutil.h"

using namespace tu;

namespace {

constexpr uint64_t kTicksPerMs = HV_TIMEBASE_HZ / 1000;
constexpr uint64_t kItimePerMs = kTicksPerMs * HV_INSNS_PER_TICK;

double now_s()
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A hart that waits for its timer, due ms from power-on, then powers off. */
void timer_then_poweroff(TestVm &vm, uint64_t ms)
{
	vm.put(kRam, {
			     wfi(),
			     sw(9, 8, 0), /* syscon: power off */
			     spin(),
		     });
	struct hart *h = vm.h();
	h->mie = MIP_MTIP; /* enabled in mie, MIE stays 0: WFI wakes, no trap */
	h->mtimecmp = ms * kTicksPerMs;
	hart_timer_update(h);
	h->x[8] = HV_SYSCON_BASE;
	h->x[9] = 0x5555;
}

/* Seconds of wall time machine_run took. */
double timed_run(TestVm &vm, enum hv_stop expect)
{
	double t0 = now_s();
	EXPECT_EQ(machine_run(vm.m), expect);
	return now_s() - t0;
}

TEST(Pace, IdleTimeWaitsForTheWallClockAndChangesNothingElse)
{
	TestVm fast, paced;
	timer_then_poweroff(fast, 300);
	timer_then_poweroff(paced, 300);
	double tf = timed_run(fast, STOP_SHUTDOWN);
	paced.m->pace.on = true;
	pace_start(paced.m);
	double tp = timed_run(paced, STOP_SHUTDOWN);
	/* The wait covers the idle period: the 300 ms to the timer less the
	 * guest time the hart spent before its WFI (its first round), so the
	 * run may end a few tens of microseconds short of 0.3 s. */
	EXPECT_GE(tp, 0.299);
	EXPECT_LT(tp, 2.0);
	EXPECT_LT(tf, 0.15) << "unpaced, idle time is skipped at once";
	EXPECT_EQ(machine_digest(paced.m), machine_digest(fast.m));
	EXPECT_EQ(paced.m->rounds, fast.m->rounds);
	EXPECT_EQ(paced.m->itime, fast.m->itime);
}

TEST(Pace, ALeadFromABusyStretchIsNotWaitedOut)
{
	TestVm vm;
	timer_then_poweroff(vm, 10200);
	vm.m->pace.on = true;
	pace_start(vm.m);
	/* As if the guest had run 10 s of guest time in no wall time. */
	vm.m->itime = 10000 * kItimePerMs;
	vm.h()->itime_offset = vm.m->itime;
	hart_timer_update(vm.h());
	double t = timed_run(vm, STOP_SHUTDOWN);
	EXPECT_GE(t, 0.19); /* pace_start came a little before timed_run's clock */
	EXPECT_LT(t, 1.5) << "the idle period takes its own length, not the lead's";
}

TEST(Pace, AGuestBehindTheWallClockCatchesUpWithoutWaiting)
{
	TestVm vm;
	timer_then_poweroff(vm, 500);
	vm.m->pace.on = true;
	pace_start(vm.m);
	/* As if the run had started 10 s ago (a slow host, a debugger). */
	vm.m->pace.wall_ns -= 10000000000ull;
	EXPECT_LT(timed_run(vm, STOP_SHUTDOWN), 0.25);
}

struct Noted {
	std::vector<std::pair<enum hv_input, uint64_t>> inputs; /* type, machine time */
	double input_at = 0;
	bool sent = false;
};

void note_input(void *opaque, struct machine *m, enum hv_input type, const uint8_t *, size_t)
{
	static_cast<Noted *>(opaque)->inputs.push_back({ type, m->itime });
}

Noted *g_noted;

/* A console that types one byte 100 ms into the first wait, then is at
 * its end. */
int typing_console(struct machine *m, int timeout_ms)
{
	if (g_noted->sent)
		return -1;
	if (timeout_ms == 0)
		return 0;
	if (now_s() < g_noted->input_at) {
		struct timespec ts = { 0, 10 * 1000000L };
		nanosleep(&ts, nullptr);
		return 0;
	}
	const uint8_t c = 'x';
	g_noted->sent = true;
	machine_console_input(m, &c, 1);
	return 1;
}

TEST(Pace, HostInputDuringTheWaitEndsTheIdlePeriodAndIsNoted)
{
	TestVm vm;
	Noted noted;
	g_noted = &noted;
	timer_then_poweroff(vm, 400);
	vm.m->funnel.input = note_input;
	vm.m->funnel.opaque = &noted;
	vm.m->host_poll = typing_console;
	vm.m->pace.on = true;
	pace_start(vm.m);
	noted.input_at = now_s() + 0.1;
	double t = timed_run(vm, STOP_SHUTDOWN);
	/* The pacing clock starts at pace_start, a little before timed_run's:
	 * the wake-up at its deadline may measure a few microseconds short. */
	EXPECT_GE(t, 0.39) << "the timer is still waited for after the input";
	ASSERT_EQ(noted.inputs.size(), 2u);
	EXPECT_EQ(noted.inputs[0].first, HV_IN_CONSOLE);
	EXPECT_EQ(noted.inputs[1].first, HV_IN_IDLE);
	EXPECT_LT(noted.inputs[1].second, 400 * kItimePerMs)
		<< "the idle period ended before the clock jumped to the timer";
}

void interrupt_now(void *, struct machine *m)
{
	machine_stop(m, STOP_DEBUG, 0);
}

TEST(Pace, ADebuggerInterruptEndsTheWaitAndTimeMovesOnAsUnpaced)
{
	TestVm vm;
	timer_then_poweroff(vm, 5000);
	vm.m->pace.on = true;
	vm.m->pace.poll = interrupt_now;
	pace_start(vm.m);
	EXPECT_LT(timed_run(vm, STOP_DEBUG), 1.0);
	EXPECT_GE(vm.m->itime, 5000 * kItimePerMs);
	vm.m->pace.poll = nullptr;
	vm.m->pace.on = false;
	vm.m->stop = STOP_NONE;
	EXPECT_EQ(machine_run(vm.m), STOP_SHUTDOWN);
}

} // namespace
