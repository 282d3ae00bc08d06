// SPDX-License-Identifier: MIT
/*
 * Spin skipping (hv/cpu/spin.h): a trap loop proved endless is skipped to
 * the end of the slice, and the machine is then exactly where running
 * the loop would have left it. Each test runs the same guest with
 * skipping on and off (jit_settings.skip_spins) and compares the whole
 * state at several stops; the loops that may end (a clock, a counter in
 * memory, a device, an atomic) must not be skipped at all.
 *
 * The guests run in M-mode on the bare machine; the handler at kHandler
 * is the trap vector, and stores to kHole (nothing mapped) fault.
 */
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <random>

#include "tests/unit/testutil.h"

extern "C" {
#include "hv/cpu/debug.h"
#include "hv/cpu/jit.h"
}

namespace {

using namespace tu;

constexpr uint64_t kHandler = kRam + 0x8000;
constexpr uint64_t kData = kRam + 0x10000;
constexpr uint64_t kHole = 0x40000000; /* nothing is mapped there */

struct State {
	uint64_t digest, icount, traps, pc, skipped;
	uint64_t x[32];
};

State state_of(TestVm &vm)
{
	State s;
	std::memset(&s, 0, sizeof(s));
	s.digest = machine_digest(vm.m);
	s.icount = vm.h()->icount;
	s.traps = vm.h()->traps;
	s.pc = vm.h()->pc;
	s.skipped = vm.h()->spin.skipped;
	std::memcpy(s.x, vm.h()->x, sizeof(s.x));
	return s;
}

class SkipSetting {
public:
	explicit SkipSetting(bool on) : old_(jit_settings.skip_spins)
	{
		jit_settings.skip_spins = on;
	}
	~SkipSetting() { jit_settings.skip_spins = old_; }

private:
	bool old_;
};

/* The guest set up by `setup`, run in slices of `slice` instructions to
 * each stop in turn, with skipping on or off; the state at each stop. */
std::vector<State> run_guest(bool skip, const std::function<void(TestVm &)> &setup,
			     const std::vector<icount_t> &stops, icount_t slice = 10000)
{
	SkipSetting s(skip);
	TestVm vm;
	EXPECT_NE(vm.m, nullptr) << vm.error;
	std::vector<State> out;
	if (!vm.m)
		return out;
	setup(vm);
	for (icount_t stop : stops) {
		while (vm.h()->icount < stop) {
			icount_t to = vm.h()->icount + slice, before = vm.h()->icount;
			vm.run(to < stop ? to : stop);
			if (vm.h()->icount == before)
				break; /* stalled (exec_run's trap loop) */
		}
		out.push_back(state_of(vm));
	}
	return out;
}

/* Both runs agree at every stop; returns the skipping run's states. */
std::vector<State> same_both_ways(const std::function<void(TestVm &)> &setup,
				  const std::vector<icount_t> &stops, icount_t slice = 10000)
{
	std::vector<State> off = run_guest(false, setup, stops, slice);
	std::vector<State> on = run_guest(true, setup, stops, slice);
	EXPECT_EQ(on.size(), off.size());
	for (size_t i = 0; i < on.size() && i < off.size(); i++) {
		SCOPED_TRACE("stop " + std::to_string(stops[i]));
		EXPECT_EQ(on[i].icount, off[i].icount);
		EXPECT_EQ(on[i].pc, off[i].pc);
		EXPECT_EQ(on[i].traps, off[i].traps);
		EXPECT_EQ(on[i].digest, off[i].digest);
		EXPECT_EQ(0, std::memcmp(on[i].x, off[i].x, sizeof(on[i].x)));
		EXPECT_EQ(off[i].skipped, 0u);
	}
	return on;
}

/* Linux's hang after a flipped tp: the entry swaps tp with the scratch
 * register and its first store through tp faults, so the trap enters the
 * same code again; tp and mscratch trade places each turn (a period of two
 * traps). A store of a value memory already holds comes first. */
void tp_storm(TestVm &vm)
{
	vm.put(kHandler, {
				 sd(10, 9, 0), /* silent: a0 is already there */
				 csrrw(4, CSR_MSCRATCH, 4),
				 addi(5, 5, 0), /* nothing */
				 sd(2, 4, 24),  /* faults: tp is in the hole */
				 jal(0, 0),
			 });
	vm.put(kRam, { jal(0, 0x8000) }); /* to the handler */
	vm.h()->mtvec = kHandler;
	vm.h()->x[4] = kHole;
	vm.h()->mscratch = kHole + 0x1000;
	vm.h()->x[9] = kData;
	vm.h()->x[10] = 0x1234;
	vm.put64(kData, 0x1234);
}

TEST(Spin, TrapStormIsSkippedAndEndsWhereRunningItEnds)
{
	std::vector<icount_t> stops = { 1000, 10001, 123457, 1000000, 1000003, 5000000, 5000001 };
	std::vector<State> on = same_both_ways(tp_storm, stops);
	ASSERT_EQ(on.size(), stops.size());
	/* Nearly everything after the first slice was skipped. */
	EXPECT_GT(on.back().skipped, 4900000u);
	EXPECT_EQ(on.back().icount, 5000001u);
}

TEST(Spin, OneLongSliceIsSkippedToItsEnd)
{
	std::vector<State> on = same_both_ways(tp_storm, { 50000000, 50000002 }, 50000000);
	ASSERT_EQ(on.size(), 2u);
	EXPECT_GT(on[0].skipped, 49999000u);
}

/* The same loop under the engine's own scheduler: slices end at rounds,
 * the clock and the timer deadline, and --max-instructions stops it. */
TEST(Spin, MachineRunAgreesWithAndWithoutSkipping)
{
	for (icount_t max : { 777777ull, 3000001ull }) {
		State st[2];
		for (int skip = 0; skip < 2; skip++) {
			SkipSetting s(skip != 0);
			TestVm vm(1, BOOT_BARE, max);
			ASSERT_NE(vm.m, nullptr) << vm.error;
			tp_storm(vm);
			EXPECT_EQ(machine_run(vm.m), STOP_MAX_INSNS);
			st[skip] = state_of(vm);
		}
		EXPECT_EQ(st[0].icount, max);
		EXPECT_EQ(st[1].icount, st[0].icount);
		EXPECT_EQ(st[1].pc, st[0].pc);
		EXPECT_EQ(st[1].traps, st[0].traps);
		EXPECT_EQ(st[1].digest, st[0].digest);
		EXPECT_GT(st[1].skipped, max / 2);
	}
}

/* Loops that can end, or whose turns differ: never skipped, and the
 * machine ends where the loop takes it. */
void escape_guest(TestVm &vm, const std::vector<uint32_t> &before_fault)
{
	std::vector<uint32_t> code = before_fault;
	code.push_back(sd(2, 4, 0)); /* faults */
	vm.put(kHandler, code);
	vm.put(kRam, { jal(0, 0x8000) });
	vm.h()->mtvec = kHandler;
	vm.h()->x[4] = kHole;
	vm.h()->x[9] = kData;
	vm.put64(kData, 0);
}

const std::vector<icount_t> kEscapeStops = { 5000, 200000, 1000001 };

TEST(Spin, ALoopThatReadsTheClockIsNotSkipped)
{
	/* Leaves for kRam + 0x100 (a spin) once time passes 5000 ticks. */
	auto setup = [](TestVm &vm) {
		escape_guest(vm, {
					 csrrs(5, CSR_TIME, 0), addi(6, 0, 1000), slli(6, 6, 2),
					 addi(6, 6, 1000), /* 5000 */
					 blt(5, 6, 8), jal(0, -(int32_t)(0x8000 + 5 * 4 - 0x100)),
					 addi(5, 0, 0), /* the time read leaves no trace */
				 });
		vm.put(kRam + 0x100, { jal(0, 0) });
	};
	std::vector<State> on = same_both_ways(setup, kEscapeStops);
	ASSERT_EQ(on.size(), kEscapeStops.size());
	EXPECT_EQ(on.back().skipped, 0u);
	EXPECT_EQ(on.back().pc, kRam + 0x100); /* it left */
}

TEST(Spin, ALoopThatCountsInMemoryIsNotSkipped)
{
	auto setup = [](TestVm &vm) {
		escape_guest(vm, {
					 ld(5, 9, 0), addi(5, 5, 1), sd(5, 9, 0),
					 addi(5, 0, 0), /* the count lives only in memory */
				 });
	};
	std::vector<State> on = same_both_ways(setup, kEscapeStops);
	ASSERT_EQ(on.size(), kEscapeStops.size());
	EXPECT_EQ(on.back().skipped, 0u);
}

TEST(Spin, ALoopThatReadsCountersIsNotSkipped)
{
	for (uint32_t csr : { CSR_CYCLE, CSR_INSTRET, CSR_MCYCLE, CSR_MINSTRET }) {
		SCOPED_TRACE(csr);
		auto setup = [csr](TestVm &vm) {
			escape_guest(vm, { csrrs(5, csr, 0), addi(5, 0, 0) });
		};
		std::vector<State> on = same_both_ways(setup, kEscapeStops);
		ASSERT_EQ(on.size(), kEscapeStops.size());
		EXPECT_EQ(on.back().skipped, 0u);
	}
}

TEST(Spin, ALoopThatTouchesADeviceIsNotSkipped)
{
	auto setup = [](TestVm &vm) {
		escape_guest(vm, {
					 lui(7, (uint32_t)(HV_UART_BASE >> 12)),
					 lb(5, 7, 5), /* the line status register */
					 addi(5, 0, 0),
				 });
	};
	std::vector<State> on = same_both_ways(setup, kEscapeStops);
	ASSERT_EQ(on.size(), kEscapeStops.size());
	EXPECT_EQ(on.back().skipped, 0u);
}

TEST(Spin, ALoopWithAnAtomicIsNotSkipped)
{
	auto setup = [](TestVm &vm) { escape_guest(vm, { amoadd_d(5, 9, 0), addi(5, 0, 0) }); };
	std::vector<State> on = same_both_ways(setup, kEscapeStops);
	ASSERT_EQ(on.size(), kEscapeStops.size());
	EXPECT_EQ(on.back().skipped, 0u);
}

TEST(Spin, ALoopWhoseRegistersChangeIsNotSkipped)
{
	auto setup = [](TestVm &vm) { escape_guest(vm, { addi(8, 8, 1) }); };
	std::vector<State> on = same_both_ways(setup, kEscapeStops);
	ASSERT_EQ(on.size(), kEscapeStops.size());
	EXPECT_EQ(on.back().skipped, 0u);
	EXPECT_GT(on.back().x[8], 100000u);
}

/* Seeded random trap loops: a handler of random instructions (register
 * arithmetic that converges or not, loads, stores of old or new values, a
 * scratch swap that gives period two, a clock read, an atomic, a branch
 * on memory that may leave the loop) ending in a faulting store. Whether
 * a loop is skipped or not, the machine must end where running it ends. */
std::vector<uint32_t> random_handler(std::mt19937_64 &rng)
{
	static const uint32_t regs[] = { 5, 6, 7, 18, 19 };
	auto reg = [&] { return regs[rng() % 5]; };
	std::vector<uint32_t> code;
	unsigned n = 1 + (unsigned)(rng() % 10);
	for (unsigned i = 0; i < n; i++) {
		switch (rng() % 12) {
		case 0:
		case 1:
			code.push_back(addi(reg(), 0, (int32_t)(rng() % 64))); /* converges */
			break;
		case 2:
			code.push_back(addi(reg(), reg(), (int32_t)(rng() % 3))); /* may not */
			break;
		case 3:
			code.push_back(xor_(reg(), reg(), reg()));
			break;
		case 4:
			code.push_back(ld(reg(), 9, (int32_t)(8 * (rng() % 4))));
			break;
		case 5:
		case 6:
			code.push_back(sd(reg(), 9, (int32_t)(8 * (rng() % 4))));
			break;
		case 7:
			code.push_back(csrrw(4, CSR_MSCRATCH, 4));
			break;
		case 8:
			if (rng() % 4 == 0)
				code.push_back(csrrs(reg(), CSR_TIME, 0));
			break;
		case 9:
			if (rng() % 4 == 0)
				code.push_back(amoadd_d(reg(), 9, 0));
			break;
		case 10:
			/* Leave for the spin at kRam + 0x100 once a word in
			 * memory reaches 200 (another store may count it). */
			code.push_back(ld(20, 9, 0));
			code.push_back(addi(21, 0, 200));
			code.push_back(blt(20, 21, 8));
			code.push_back(jal(0, -(int32_t)(0x8000 + 4 * (code.size() - 1) - 0x100)));
			break;
		default:
			code.push_back(addi(0, 0, 0));
			break;
		}
	}
	/* At least one instruction retires a turn: a vector that faults at
	 * once is the stalled trap loop of exec_run, which exec_test covers. */
	if (code.empty())
		code.push_back(addi(0, 0, 0));
	code.push_back(sd(2, 4, (int32_t)(8 * (rng() % 4)))); /* faults */
	return code;
}

TEST(Spin, RandomTrapLoopsEndWhereRunningThemEnds)
{
	unsigned seeds = 60, skipped = 0;
	if (const char *e = std::getenv("SPIN_SCALE"))
		seeds *= (unsigned)std::max(1, std::atoi(e));
	for (unsigned seed = 0; seed < seeds; seed++) {
		SCOPED_TRACE("seed " + std::to_string(seed));
		std::mt19937_64 rng(seed);
		std::vector<uint32_t> code = random_handler(rng);
		std::vector<icount_t> stops;
		for (int i = 0; i < 3; i++)
			stops.push_back((stops.empty() ? 0 : stops.back()) + 1 + rng() % 300000);
		uint64_t start_regs[5];
		for (uint64_t &v : start_regs)
			v = rng() % 4;
		auto setup = [&](TestVm &vm) {
			vm.put(kHandler, code);
			vm.put(kRam, { jal(0, 0x8000) });
			vm.put(kRam + 0x100, { spin() });
			vm.h()->mtvec = kHandler;
			vm.h()->x[4] = kHole;
			vm.h()->mscratch = kHole + 0x1000;
			vm.h()->x[9] = kData;
			static const uint32_t regs[] = { 5, 6, 7, 18, 19 };
			for (int i = 0; i < 5; i++)
				vm.h()->x[regs[i]] = start_regs[i];
		};
		icount_t slice = 1 + rng() % 20000;
		std::vector<State> on = same_both_ways(setup, stops, slice);
		if (!on.empty() && on.back().skipped)
			skipped++;
		if (HasFailure())
			break;
	}
	std::printf("%u of %u random trap loops were skipped\n", skipped, seeds);
	/* The generator makes loops that are skipped, and loops that are not. */
	EXPECT_GT(skipped, seeds / 10);
	EXPECT_LT(skipped, seeds);
}

TEST(Spin, NothingIsSkippedWhileSkippingIsOff)
{
	std::vector<State> off = run_guest(false, tp_storm, { 1000000 });
	ASSERT_EQ(off.size(), 1u);
	EXPECT_EQ(off[0].skipped, 0u);
}

/* A debugger's breakpoint elsewhere keeps the loop running for real. */
TEST(Spin, NothingIsSkippedWhileADebuggerIsActive)
{
	SkipSetting s(true);
	TestVm vm;
	ASSERT_NE(vm.m, nullptr) << vm.error;
	tp_storm(vm);
	ASSERT_EQ(debug_add_break(vm.m, kRam + 0x4000), 0);
	vm.run(200000);
	EXPECT_EQ(vm.h()->icount, 200000u);
	EXPECT_EQ(vm.h()->spin.skipped, 0u);
}

} // namespace
