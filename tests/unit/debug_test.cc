// SPDX-License-Identifier: MIT
/*
 * Tests of the debugger hooks of the machine (hv/cpu/debug.c and its callers in
 * hv/cpu/exec.c, hv/cpu/mmu.c and hv/cpu/hart.c) on real machines running small guest
 * programs built with the encoders of testutil.h, in M-mode (BOOT_BARE).
 *
 * What is pinned down (hv/cpu/debug.h): a breakpoint stops a hart before the
 * instruction at its address runs, wherever that instruction sits (in the
 * middle of a long block, at the head of a loop body that is otherwise
 * entered through the jump cache, in compressed code) and on the hart
 * that got there, does not fire again when resuming from it and does fire
 * at the next arrival; a step target advances exactly one event (an
 * instruction retired or a trap taken, exceptions and interrupts alike),
 * and single steps reach the same states as one run to the same count; a
 * position target stops at exactly that sum of events over harts, and a
 * run stopped there and continued is the run that never stopped; a
 * watchpoint stops right after the access that touched its range (stores,
 * loads, AMOs, LR/SC) and not after an access next to it, and costs the
 * TLB only while it is set; breakpoints that are resumed every time change
 * nothing in the run; debugger register numbers follow GDB's riscv layout;
 * and a malformed debugger input record is refused without effect.
 *
 * Every run goes through machine_run, as the GDB stub drives it: a stop is
 * STOP_DEBUG with the reason in m->dbg->stop. Runs that might never reach
 * their target are bounded with cfg.max_insns so that a failure is a
 * failed expectation, not a hang.
 */
#include <gtest/gtest.h>

#include <vector>

#include "tests/unit/testutil.h"

extern "C" {
#include "hv/cpu/debug.h"
#include "hv/hooks.h"
}

using namespace tu;

namespace {

constexpr uint64_t kHandler = kRam + 0x8000; /* trap vector */
constexpr uint64_t kData = kRam + 0x10000;   /* data, away from code pages */
constexpr uint64_t kShared = kRam + 0x18000; /* word shared by harts */
constexpr uint64_t kSmallRam = 1 * kMiB;     /* for tests creating many machines */

/* Run the machine until it stops; at most cap more instructions (a target
 * that is never reached then shows as STOP_MAX_INSNS). */
enum hv_stop Continue(TestVm &vm, icount_t cap = 2000000)
{
	vm.m->stop = STOP_NONE;
	vm.m->cfg.max_insns = vm.m->total_insns + cap;
	return machine_run(vm.m);
}

/* Run the machine until exactly total instructions have retired (no
 * debugger stop expected on the way); the digest of the machine then. */
uint64_t RunTo(TestVm &vm, icount_t total)
{
	vm.m->cfg.max_insns = total;
	vm.m->stop = STOP_NONE;
	EXPECT_EQ(machine_run(vm.m), STOP_MAX_INSNS);
	EXPECT_EQ(vm.m->total_insns, total);
	return machine_digest(vm.m);
}

/* Run until the next debugger stop, resuming (debug_resume) as a debugger
 * does first; the stop. */
struct hv_debug_stop ResumeToStop(TestVm &vm)
{
	debug_resume(vm.m);
	EXPECT_EQ(Continue(vm), STOP_DEBUG);
	return vm.m->dbg->stop;
}

uint64_t Events(TestVm &vm, unsigned hart = 0)
{
	return debug_hart_events(vm.h(hart));
}

bool JcacheHolds(const struct hart *h, uint64_t pc)
{
	const auto *je = &h->jcache[(pc >> 1) & (JCACHE_SIZE - 1)];
	return hart_jc_hit(h, je, pc);
}

const struct tlb_entry &TlbEntry(const struct hart *h, enum hv_access acc, uint64_t va)
{
	return h->tlb[acc][(va >> HV_PAGE_SHIFT) & (TLB_SIZE - 1)];
}

/*
 * The trap handler shared by the programs below: counts in x20; for an
 * exception it returns past the trapping 4-byte instruction; for the timer
 * interrupt it pushes the hart's mtimecmp (address in x21) 37 ticks on.
 */
void PutHandler(TestVm &vm)
{
	vm.put(kHandler, {
				 addi(20, 20, 1),
				 csrrs(28, CSR_MCAUSE, 0),
				 blt(28, 0, 24), /* interrupt: to kHandler + 32 */
				 csrrs(29, CSR_MEPC, 0),
				 addi(29, 29, 4),
				 csrrw(0, CSR_MEPC, 29),
				 mret(),
				 nop(),
				 ld(23, 21, 0), /* kHandler + 32 */
				 addi(23, 23, 37),
				 sd(23, 21, 0),
				 mret(),
			 });
}

/* Hart i takes timer interrupts from mtimecmp (ticks) on, into PutHandler. */
void ArmTimer(TestVm &vm, unsigned i, uint64_t mtimecmp)
{
	struct hart *h = vm.h(i);

	h->mtvec = kHandler;
	h->x[21] = HV_CLINT_BASE + 0x4000 + 8 * i; /* mtimecmp of hart i */
	h->mstatus |= MSTATUS_MIE | MSTATUS_MPP;   /* mret back to M */
	h->mie = MIP_MTIP;
	h->mtimecmp = mtimecmp;
	hart_timer_update(h);
}

/*
 * A loop whose state depends on exactly where every event happened: loads
 * and stores into a per-hart ring (x2), a multiply, an atomic add on a
 * word shared by all harts (so the interleaving of harts matters) and
 * timer interrupts. Loop body kRam .. kRam + 52.
 */
void PutMixedProgram(TestVm &vm)
{
	vm.put(kRam, {
			     addi(1, 1, 1), /* loop: */
			     mul(3, 1, 1),
			     andi(7, 1, 255),
			     slli(7, 7, 3),
			     add(7, 7, 2),
			     sd(3, 7, 0),
			     ld(4, 7, 0),
			     add(5, 5, 4),
			     amoadd_d(6, 10, 1),
			     xor_(5, 5, 6),
			     andi(9, 1, 7),
			     bne(9, 0, 8),
			     addi(8, 8, 3),
			     jal(0, -13 * 4),
		     });
	PutHandler(vm);
	for (unsigned i = 0; i < vm.m->nharts; i++) {
		vm.h(i)->x[2] = kData + 0x2000 * i;
		vm.h(i)->x[10] = kShared;
		ArmTimer(vm, i, 20 + 7 * i);
	}
}

/*
 * A loop with an ecall, an illegal instruction and a store, with timer
 * interrupts: its events are instructions, exceptions and interrupts.
 */
void PutTrapProgram(TestVm &vm)
{
	vm.put(kRam, {
			     addi(1, 1, 1), /* loop: */
			     ecall(),
			     addi(2, 2, 1),
			     0xffffffffu, /* illegal */
			     mul(3, 1, 2),
			     sd(3, 10, 0),
			     andi(9, 1, 3),
			     bne(9, 0, 8),
			     addi(8, 8, 1),
			     jal(0, -9 * 4),
		     });
	PutHandler(vm);
	vm.h()->x[10] = kData;
	ArmTimer(vm, 0, 10);
}

/* ---- Breakpoints ---- */

TEST(DebugBreak, StopsBeforeTheInstructionAtItsAddress)
{
	TestVm vm;
	vm.put(vm.put(kRam, std::vector<uint32_t>(100, addi(1, 1, 1))), { spin() });

	ASSERT_EQ(debug_add_break(vm.m, kRam + 37 * 4), 0);
	ASSERT_EQ(Continue(vm), STOP_DEBUG);
	EXPECT_EQ(vm.m->dbg->stop.reason, DBG_STOP_BREAK);
	EXPECT_EQ(vm.m->dbg->stop.hart, 0u);
	EXPECT_EQ(vm.h()->pc, kRam + 37 * 4);
	EXPECT_EQ(vm.h()->icount, 37u) << "the instructions before it, not it";
	EXPECT_EQ(vm.h()->x[1], 37u);
	EXPECT_EQ(vm.m->total_insns, 37u);
}

TEST(DebugBreak, InTheMiddleOfACachedStraightLineBlock)
{
	/* 100 instructions and a jump back: one long block, run until it
	 * is cached and chained to itself, then a breakpoint inside it. */
	TestVm vm;
	std::vector<uint32_t> code(100, addi(1, 1, 1));
	code.push_back(jal(0, -100 * 4));
	vm.put(kRam, code);

	RunTo(vm, 101 * 5 + 10);
	ASSERT_TRUE(JcacheHolds(vm.h(), kRam));
	ASSERT_EQ(debug_add_break(vm.m, kRam + 61 * 4), 0);
	for (unsigned pass = 0; pass < 20; pass++) {
		struct hv_debug_stop s = ResumeToStop(vm);
		ASSERT_EQ(s.reason, DBG_STOP_BREAK) << "pass " << pass;
		EXPECT_EQ(vm.h()->pc, kRam + 61 * 4);
		EXPECT_EQ(vm.h()->icount, 101u * (5 + pass) + 61) << "pass " << pass;
		EXPECT_EQ(vm.h()->x[1], 100u * (5 + pass) + 61) << "pass " << pass;
	}
}

TEST(DebugBreak, ResumingDoesNotRefireButTheNextPassDoes)
{
	TestVm vm;
	vm.put(kRam, { addi(1, 1, 1), addi(2, 2, 1), addi(3, 3, 1), jal(0, -12) });
	ASSERT_EQ(debug_add_break(vm.m, kRam + 4), 0);

	ASSERT_EQ(Continue(vm), STOP_DEBUG);
	ASSERT_EQ(vm.m->dbg->stop.reason, DBG_STOP_BREAK);
	EXPECT_EQ(vm.h()->icount, 1u);

	/* Without debug_resume the hart is still "about to run" the
	 * breakpoint's instruction: it stops again without moving. */
	ASSERT_EQ(Continue(vm), STOP_DEBUG);
	EXPECT_EQ(vm.m->dbg->stop.reason, DBG_STOP_BREAK);
	EXPECT_EQ(vm.h()->icount, 1u);
	EXPECT_EQ(vm.h()->pc, kRam + 4);

	for (unsigned i = 1; i <= 200; i++) {
		struct hv_debug_stop s = ResumeToStop(vm);
		ASSERT_EQ(s.reason, DBG_STOP_BREAK) << "stop " << i;
		ASSERT_EQ(vm.h()->pc, kRam + 4) << "stop " << i;
		ASSERT_EQ(vm.h()->icount, 1u + 4 * i) << "stop " << i << ": skipped or refired";
		ASSERT_EQ(vm.h()->x[1], 1u + i);
		ASSERT_EQ(vm.h()->x[2], (uint64_t)i);
	}
}

/* kRam: a jump to L = kRam + 0x100, where a 5-instruction loop body runs
 * until x1 reaches x12. */
constexpr uint64_t kLoop = kRam + 0x100;
void PutJumpedLoop(TestVm &vm)
{
	vm.put(kRam, { jal(0, 0x100) });
	vm.put(kLoop, {
			      addi(1, 1, 1),
			      addi(2, 2, 3),
			      xori(3, 2, 5),
			      add(4, 4, 3),
			      blt(1, 12, -16),
			      spin(),
		      });
	vm.h()->x[12] = 1000000;
}

TEST(DebugBreak, AtTheHeadOfALoopBodyReachedByATakenBranch)
{
	TestVm vm;
	PutJumpedLoop(vm);

	/* 1000 passes without a debugger: the body at L is in the jump
	 * cache and the taken branch chains straight into it. */
	RunTo(vm, 1 + 5 * 1000 + 2);
	ASSERT_TRUE(JcacheHolds(vm.h(), kLoop));
	ASSERT_EQ(vm.h()->x[1], 1001u);

	ASSERT_EQ(debug_add_break(vm.m, kLoop), 0);
	for (unsigned i = 0; i < 300; i++) {
		struct hv_debug_stop s = ResumeToStop(vm);
		ASSERT_EQ(s.reason, DBG_STOP_BREAK) << "stop " << i;
		ASSERT_EQ(vm.h()->pc, kLoop);
		ASSERT_EQ(vm.h()->icount, 1u + 5 * (1001 + i)) << "stop " << i;
		ASSERT_EQ(vm.h()->x[1], 1001u + i);
		ASSERT_FALSE(JcacheHolds(vm.h(), kLoop)) << "a chain could jump past the check";
	}

	/* Moved into the body: the same, three instructions later. */
	ASSERT_EQ(debug_remove_break(vm.m, kLoop), 0);
	ASSERT_EQ(debug_add_break(vm.m, kLoop + 12), 0);
	for (unsigned i = 0; i < 100; i++) {
		struct hv_debug_stop s = ResumeToStop(vm);
		ASSERT_EQ(s.reason, DBG_STOP_BREAK);
		ASSERT_EQ(vm.h()->pc, kLoop + 12);
		ASSERT_EQ(vm.h()->icount, 1u + 5 * (1300 + i) + 3) << "stop " << i;
	}
}

TEST(DebugBreak, AtTheTargetOfAJumpOnFirstArrival)
{
	TestVm vm;
	PutJumpedLoop(vm);
	ASSERT_EQ(debug_add_break(vm.m, kLoop), 0);
	ASSERT_EQ(Continue(vm), STOP_DEBUG);
	EXPECT_EQ(vm.m->dbg->stop.reason, DBG_STOP_BREAK);
	EXPECT_EQ(vm.h()->pc, kLoop);
	EXPECT_EQ(vm.h()->icount, 1u);
	EXPECT_EQ(vm.h()->x[1], 0u);
}

TEST(DebugBreak, InCompressedCode)
{
	/* c.addi x1, 1 nine times (2 bytes each), an addi at a 2-mod-4
	 * address, c.addi x2, 1, c.nop, then a jump back to kRam (also at a
	 * 2-mod-4 address): 13 instructions a pass. */
	TestVm vm;
	uint64_t pc = kRam;
	for (unsigned i = 0; i < 9; i++)
		pc = vm.put16(pc, c_addi(1, 1));
	pc = vm.put(pc, { addi(3, 3, 1) });            /* kRam + 18 */
	pc = vm.put16(pc, c_addi(2, 1));               /* kRam + 22 */
	pc = vm.put16(pc, c_nop());                    /* kRam + 24 */
	vm.put(pc, { jal(0, -(int32_t)(pc - kRam)) }); /* kRam + 26 */
	constexpr unsigned kBody = 13;

	RunTo(vm, kBody * 3 + 1); /* cached, and one into the fourth pass */
	ASSERT_EQ(debug_add_break(vm.m, kRam + 6), 0);
	for (unsigned i = 0; i < 50; i++) {
		struct hv_debug_stop s = ResumeToStop(vm);
		ASSERT_EQ(s.reason, DBG_STOP_BREAK);
		ASSERT_EQ(vm.h()->pc, kRam + 6);
		ASSERT_EQ(vm.h()->icount, kBody * (3 + i) + 3) << "stop " << i;
		ASSERT_EQ(vm.h()->x[1], 9u * (3 + i) + 3);
	}
	ASSERT_EQ(debug_remove_break(vm.m, kRam + 6), 0);

	/* A 4-byte instruction at a 2-mod-4 address, and the c.nop after a
	 * compressed instruction. */
	ASSERT_EQ(debug_add_break(vm.m, kRam + 18), 0);
	struct hv_debug_stop s = ResumeToStop(vm);
	ASSERT_EQ(s.reason, DBG_STOP_BREAK);
	EXPECT_EQ(vm.h()->pc, kRam + 18);
	EXPECT_EQ(vm.h()->icount, kBody * 52 + 9);
	ASSERT_EQ(debug_remove_break(vm.m, kRam + 18), 0);
	ASSERT_EQ(debug_add_break(vm.m, kRam + 24), 0);
	s = ResumeToStop(vm);
	ASSERT_EQ(s.reason, DBG_STOP_BREAK);
	EXPECT_EQ(vm.h()->pc, kRam + 24);
	EXPECT_EQ(vm.h()->icount, kBody * 52 + 11);
	EXPECT_EQ(vm.h()->x[2], 53u);
	EXPECT_EQ(vm.h()->x[3], 53u);
}

TEST(DebugBreak, RemovedBreakpointNoLongerStops)
{
	TestVm vm;
	vm.put(kRam, { addi(1, 1, 1), addi(2, 2, 1), jal(0, -8) });
	ASSERT_EQ(debug_add_break(vm.m, kRam + 4), 0);
	ASSERT_EQ(debug_add_break(vm.m, kRam + 4), 0) << "adding it twice is harmless";
	ASSERT_EQ(ResumeToStop(vm).reason, DBG_STOP_BREAK);
	ASSERT_EQ(vm.h()->icount, 1u);

	ASSERT_EQ(debug_remove_break(vm.m, kRam + 4), 0);
	EXPECT_EQ(debug_remove_break(vm.m, kRam + 4), -1) << "it was there only once";
	debug_resume(vm.m);
	EXPECT_EQ(Continue(vm, 3000), STOP_MAX_INSNS);
	EXPECT_EQ(vm.h()->icount, 3001u);
	EXPECT_EQ(vm.h()->x[2], 1000u);
	EXPECT_FALSE(vm.m->dbg->active);
	EXPECT_TRUE(JcacheHolds(vm.h(), kRam)) << "the block is cached normally again";
}

/* Hart 0 loops at kRam + 8, hart 1 at kRam + 24. */
void PutTwoHartLoops(TestVm &vm)
{
	vm.put(kRam, {
			     csrrs(11, CSR_MHARTID, 0),
			     bne(11, 0, 20),
			     addi(1, 1, 1), /* hart 0: kRam + 8 */
			     addi(2, 2, 1),
			     addi(3, 3, 1),
			     jal(0, -12),
			     addi(1, 1, 2), /* hart 1: kRam + 24 */
			     addi(2, 2, 2),
			     addi(3, 3, 2),
			     jal(0, -12),
		     });
}

TEST(DebugBreak, OnTwoHartsTheHartThatGotThereIsReported)
{
	TestVm vm(2, BOOT_BARE, 0, 100);
	PutTwoHartLoops(vm);

	/* Only in hart 1's loop: hart 0 runs its slices undisturbed. */
	ASSERT_EQ(debug_add_break(vm.m, kRam + 28), 0);
	ASSERT_EQ(ResumeToStop(vm).reason, DBG_STOP_BREAK);
	EXPECT_EQ(vm.m->dbg->stop.hart, 1u);
	EXPECT_EQ(vm.h(1)->pc, kRam + 28);
	EXPECT_EQ(vm.h(1)->icount, 3u);
	EXPECT_EQ(vm.h(1)->x[1], 2u);
	EXPECT_EQ(vm.h(0)->icount, 100u) << "hart 0 ran its whole slice first";

	/* One in each loop: every stop names the hart at its breakpoint,
	 * one pass of that hart's loop after its previous stop. */
	ASSERT_EQ(debug_add_break(vm.m, kRam + 12), 0);
	unsigned stops[2] = { 0, 0 };
	uint64_t last_x1[2] = { 0, 2 };
	bool seen[2] = { false, true };
	for (unsigned i = 0; i < 200; i++) {
		struct hv_debug_stop s = ResumeToStop(vm);
		ASSERT_EQ(s.reason, DBG_STOP_BREAK);
		ASSERT_LT(s.hart, 2u);
		unsigned k = s.hart;
		stops[k]++;
		ASSERT_EQ(vm.h(k)->pc, k ? kRam + 28 : kRam + 12) << "stop " << i;
		if (seen[k]) {
			ASSERT_EQ(vm.h(k)->x[1], last_x1[k] + (k ? 2 : 1)) << "stop " << i;
		}
		last_x1[k] = vm.h(k)->x[1];
		seen[k] = true;
	}
	EXPECT_GT(stops[0], 20u);
	EXPECT_GT(stops[1], 20u);
}

TEST(DebugBreak, OnCodeBothHartsRunEachHartStopsThere)
{
	TestVm vm(2, BOOT_BARE, 0, 64);
	vm.put(kRam, { addi(1, 1, 1), addi(2, 2, 1), addi(3, 3, 1), jal(0, -12) });
	ASSERT_EQ(debug_add_break(vm.m, kRam + 8), 0);
	unsigned stops[2] = { 0, 0 };
	for (unsigned i = 0; i < 100; i++) {
		struct hv_debug_stop s = ResumeToStop(vm);
		ASSERT_EQ(s.reason, DBG_STOP_BREAK);
		ASSERT_LT(s.hart, 2u);
		stops[s.hart]++;
		ASSERT_EQ(vm.h(s.hart)->pc, kRam + 8);
		ASSERT_EQ(vm.h(s.hart)->x[1], (uint64_t)stops[s.hart]);
		ASSERT_EQ(vm.h(s.hart)->icount, 2u + 4 * (stops[s.hart] - 1));
	}
	EXPECT_GT(stops[0], 10u);
	EXPECT_GT(stops[1], 10u);
}

TEST(DebugBreak, AtTheTrapHandlerStopsOnTrapEntry)
{
	TestVm vm;
	PutTrapProgram(vm);
	ASSERT_EQ(debug_add_break(vm.m, kHandler), 0);
	ASSERT_EQ(ResumeToStop(vm).reason, DBG_STOP_BREAK);
	EXPECT_EQ(vm.h()->pc, kHandler);
	EXPECT_EQ(vm.h()->mcause, (uint64_t)CAUSE_ECALL_M);
	EXPECT_EQ(vm.h()->icount, 1u);
	EXPECT_EQ(vm.h()->traps, 1u);
	ASSERT_EQ(ResumeToStop(vm).reason, DBG_STOP_BREAK);
	EXPECT_EQ(vm.h()->pc, kHandler);
	EXPECT_EQ(vm.h()->mcause, (uint64_t)CAUSE_ILLEGAL_INSN);
	EXPECT_EQ(vm.h()->mepc, kRam + 12);
	EXPECT_EQ(vm.h()->traps, 2u);
}

/* ---- Step targets ---- */

/* Stop hart after one more event; expects the stop. */
void StepOnce(TestVm &vm, unsigned hart = 0)
{
	debug_set_step(vm.m, hart, Events(vm, hart) + 1);
	ASSERT_EQ(Continue(vm), STOP_DEBUG);
	ASSERT_EQ(vm.m->dbg->stop.reason, DBG_STOP_STEP);
	ASSERT_EQ(vm.m->dbg->stop.hart, hart);
}

TEST(DebugStep, OneStepIsOneInstruction)
{
	TestVm vm;
	std::vector<uint32_t> code(50, addi(1, 1, 1));
	code.push_back(jal(0, -50 * 4));
	vm.put(kRam, code);
	RunTo(vm, 51 * 3 + 7); /* inside the cached block */

	for (unsigned i = 1; i <= 60; i++) {
		uint64_t pc = vm.h()->pc;
		icount_t ic = vm.h()->icount;
		ASSERT_NO_FATAL_FAILURE(StepOnce(vm));
		ASSERT_EQ(vm.h()->icount, ic + 1) << "step " << i;
		ASSERT_EQ(vm.h()->traps, 0u);
		ASSERT_EQ(vm.h()->pc, pc == kRam + 200 ? kRam : pc + 4) << "step " << i;
		ASSERT_EQ(vm.m->dbg->step_hart, -1) << "a reached target is cleared";
	}
	EXPECT_FALSE(vm.m->dbg->active);
}

TEST(DebugStep, IntoAnEcallStopsAtTheHandlersFirstInstruction)
{
	TestVm vm;
	PutTrapProgram(vm);
	ASSERT_NO_FATAL_FAILURE(StepOnce(vm)); /* addi */
	ASSERT_EQ(vm.h()->pc, kRam + 4);

	ASSERT_NO_FATAL_FAILURE(StepOnce(vm)); /* ecall: a trap, nothing retired */
	EXPECT_EQ(vm.h()->pc, kHandler);
	EXPECT_EQ(vm.h()->icount, 1u);
	EXPECT_EQ(vm.h()->traps, 1u);
	EXPECT_EQ(vm.h()->mcause, (uint64_t)CAUSE_ECALL_M);
	EXPECT_EQ(vm.h()->mepc, kRam + 4);
	EXPECT_EQ(vm.h()->x[20], 0u) << "the handler has not run yet";

	ASSERT_NO_FATAL_FAILURE(StepOnce(vm)); /* the handler's first */
	EXPECT_EQ(vm.h()->pc, kHandler + 4);
	EXPECT_EQ(vm.h()->icount, 2u);
	EXPECT_EQ(vm.h()->x[20], 1u);
}

TEST(DebugStep, IntoAnIllegalInstructionStopsAtTheHandler)
{
	TestVm vm;
	PutTrapProgram(vm);
	debug_set_step(vm.m, 0, 2 + 7 + 1); /* addi, ecall, handler (7), addi */
	ASSERT_EQ(Continue(vm), STOP_DEBUG);
	ASSERT_EQ(vm.h()->pc, kRam + 12);
	icount_t ic = vm.h()->icount;

	ASSERT_NO_FATAL_FAILURE(StepOnce(vm));
	EXPECT_EQ(vm.h()->pc, kHandler);
	EXPECT_EQ(vm.h()->icount, ic);
	EXPECT_EQ(vm.h()->traps, 2u);
	EXPECT_EQ(vm.h()->mcause, (uint64_t)CAUSE_ILLEGAL_INSN);
	EXPECT_EQ(vm.h()->mepc, kRam + 12);
}

TEST(DebugStep, IntoATimerInterruptStopsAtTheHandler)
{
	/* A loop without exceptions; the timer is due at instruction 100. */
	TestVm vm;
	vm.put(kRam, { addi(1, 1, 1), addi(2, 2, 1), jal(0, -8) });
	PutHandler(vm);
	ArmTimer(vm, 0, 10);

	bool seen = false;
	for (unsigned i = 0; i < 150 && !seen; i++) {
		uint64_t pc = vm.h()->pc;
		icount_t ic = vm.h()->icount;
		uint64_t traps = vm.h()->traps;
		ASSERT_NO_FATAL_FAILURE(StepOnce(vm));
		if (vm.h()->traps == traps) {
			ASSERT_EQ(vm.h()->icount, ic + 1);
			continue;
		}
		seen = true;
		EXPECT_EQ(vm.h()->traps, traps + 1);
		EXPECT_EQ(vm.h()->icount, ic) << "taking an interrupt retires nothing";
		EXPECT_EQ(ic, 100u);
		EXPECT_EQ(vm.h()->pc, kHandler);
		EXPECT_EQ(vm.h()->mcause, CAUSE_INTERRUPT | IRQ_MTI);
		EXPECT_EQ(vm.h()->mepc, pc);
	}
	EXPECT_TRUE(seen) << "no interrupt within 150 steps";
}

struct HartState {
	uint64_t digest, icount, traps;
	bool operator==(const HartState &o) const
	{
		return digest == o.digest && icount == o.icount && traps == o.traps;
	}
};

HartState StateOf(const struct hart *h)
{
	return { machine_hart_digest(h), h->icount, h->traps };
}

void PrintTo(const HartState &s, std::ostream *os)
{
	*os << "{digest " << std::hex << s.digest << std::dec << ", icount " << s.icount
	    << ", traps " << s.traps << "}";
}

TEST(DebugStep, SingleStepsEqualOneRunToTheSameEventCount)
{
	constexpr unsigned kSteps = 600;
	std::vector<HartState> stepped;
	unsigned exc = 0, irq = 0;
	{
		TestVm vm(1, BOOT_BARE, 0, 0, kSmallRam);
		PutTrapProgram(vm);
		for (unsigned k = 1; k <= kSteps; k++) {
			HartState before = StateOf(vm.h());
			ASSERT_NO_FATAL_FAILURE(StepOnce(vm)) << "step " << k;
			HartState now = StateOf(vm.h());
			ASSERT_EQ(Events(vm), (uint64_t)k);
			/* Exactly one event: an instruction or a trap. */
			ASSERT_TRUE(
				(now.icount == before.icount + 1 && now.traps == before.traps) ||
				(now.icount == before.icount && now.traps == before.traps + 1))
				<< "step " << k;
			if (now.traps != before.traps)
				(vm.h()->mcause & CAUSE_INTERRUPT ? irq : exc)++;
			stepped.push_back(now);
		}
	}
	ASSERT_GT(exc, 20u);
	ASSERT_GE(irq, 1u);

	for (unsigned k = 1; k <= kSteps; k++) {
		TestVm vm(1, BOOT_BARE, 0, 0, kSmallRam);
		PutTrapProgram(vm);
		debug_set_step(vm.m, 0, k);
		ASSERT_EQ(Continue(vm), STOP_DEBUG) << "k " << k;
		ASSERT_EQ(vm.m->dbg->stop.reason, DBG_STOP_STEP);
		ASSERT_EQ(StateOf(vm.h()), stepped[k - 1]) << "events " << k;
	}
}

TEST(DebugStep, SingleStepsOfHartOneEqualOneRunWithTwoHarts)
{
	/* Short slices: the steps cross rounds, and hart 0 runs in between. */
	constexpr unsigned kSteps = 400;
	std::vector<uint64_t> stepped;
	{
		TestVm vm(2, BOOT_BARE, 0, 97, kSmallRam);
		PutMixedProgram(vm);
		for (unsigned k = 1; k <= kSteps; k++) {
			ASSERT_NO_FATAL_FAILURE(StepOnce(vm, 1)) << "step " << k;
			ASSERT_EQ(Events(vm, 1), (uint64_t)k);
			stepped.push_back(machine_digest(vm.m));
		}
		EXPECT_GE(vm.h(1)->traps, 1u) << "no interrupt on hart 1";
	}
	for (unsigned k = 1; k <= kSteps; k += 3) {
		TestVm vm(2, BOOT_BARE, 0, 97, kSmallRam);
		PutMixedProgram(vm);
		debug_set_step(vm.m, 1, k);
		ASSERT_EQ(Continue(vm), STOP_DEBUG);
		ASSERT_EQ(vm.m->dbg->stop.hart, 1u);
		ASSERT_EQ(machine_digest(vm.m), stepped[k - 1]) << "events " << k;
	}
}

/*
 * A trap vector that itself faults (mtvec in a hole: every trap entry is a
 * fetch access fault at mtvec) is a common early-boot mistake, and just
 * where a debugger gets used. Every trap entry is an event; a position must
 * still name one state whether the run got there in single steps or in one
 * go (debug.h), and running to it must not end otherwise.
 */
TEST(DebugStep, SingleStepsThroughATrapLoopEqualOneRun)
{
	constexpr uint64_t kHole = 0x40000000; /* nothing is mapped there */
	constexpr unsigned kMaxSteps = 8;
	auto put = [](TestVm &vm) {
		vm.put(kRam, { addi(1, 1, 1), ebreak(), spin() });
		vm.h()->mtvec = kHole;
	};
	/* Step until the machine ends for another reason: the trap loop
	 * stalls the hart and, with no interrupt due, the machine deadlocks
	 * (exactly as a run without a debugger does). */
	std::vector<HartState> stepped;
	std::vector<uint64_t> idle;
	enum hv_stop end = STOP_DEBUG;
	uint64_t end_events = 0;
	{
		TestVm vm(1, BOOT_BARE, 0, 0, kSmallRam);
		put(vm);
		for (unsigned k = 1; k <= kMaxSteps; k++) {
			debug_set_step(vm.m, 0, Events(vm) + 1);
			end = Continue(vm);
			if (end != STOP_DEBUG)
				break;
			ASSERT_EQ(vm.m->dbg->stop.reason, DBG_STOP_STEP) << "step " << k;
			stepped.push_back(StateOf(vm.h()));
			idle.push_back(vm.h()->itime_offset);
		}
		end_events = Events(vm);
		EXPECT_GE(stepped.size(), 3u) << "the steps into the loop";
		EXPECT_EQ(vm.h()->pc, kHole);
	}
	{
		TestVm vm(1, BOOT_BARE, 0, 0, kSmallRam);
		put(vm);
		EXPECT_EQ(Continue(vm), end) << "the same end without a debugger";
		EXPECT_EQ(Events(vm), end_events);
	}
	for (unsigned k = 1; k <= stepped.size(); k++) {
		TestVm vm(1, BOOT_BARE, 0, 0, kSmallRam);
		put(vm);
		debug_set_step(vm.m, 0, k);
		EXPECT_EQ(Continue(vm), STOP_DEBUG) << "events " << k;
		EXPECT_EQ(Events(vm), (uint64_t)k) << "events " << k;
		EXPECT_EQ(vm.h()->itime_offset, idle[k - 1]) << "idle time, events " << k;
		EXPECT_EQ(StateOf(vm.h()), stepped[k - 1]) << "events " << k;
	}
}

/* ---- Position targets ---- */

TEST(DebugPosition, StopsAtExactlyThatPositionWithTwoHarts)
{
	for (uint64_t p : { 1ull, 500ull, 999ull, 1000ull, 1001ull, 1500ull, 2003ull, 4321ull,
			    9999ull, 20000ull }) {
		TestVm vm(2, BOOT_BARE, 0, 1000, kSmallRam);
		PutMixedProgram(vm);
		debug_set_position(vm.m, p);
		ASSERT_EQ(Continue(vm), STOP_DEBUG) << "position " << p;
		EXPECT_EQ(vm.m->dbg->stop.reason, DBG_STOP_POSITION);
		EXPECT_EQ(debug_position(vm.m), p);
		EXPECT_EQ(vm.m->hart[vm.m->dbg->stop.hart], vm.m->last_run)
			<< "the hart that was running is reported";
		EXPECT_EQ(vm.m->dbg->position, 0u) << "a reached target is cleared";
	}

	/* One after the other in the same run. */
	TestVm vm(2, BOOT_BARE, 0, 1000, kSmallRam);
	PutMixedProgram(vm);
	bool hart1 = false;
	for (uint64_t p = 137; p < 30000; p += 611) {
		debug_set_position(vm.m, p);
		ASSERT_EQ(Continue(vm), STOP_DEBUG);
		ASSERT_EQ(vm.m->dbg->stop.reason, DBG_STOP_POSITION);
		ASSERT_EQ(debug_position(vm.m), p);
		hart1 |= vm.m->dbg->stop.hart == 1;
	}
	EXPECT_TRUE(hart1) << "no target fell into hart 1's slices";
	EXPECT_GT(vm.h(0)->traps + vm.h(1)->traps, 10u);
}

TEST(DebugPosition, AStoppedAndContinuedRunEqualsAnUninterruptedOne)
{
	constexpr icount_t kTotal = 25000;
	uint64_t want;
	{
		TestVm vm(2, BOOT_BARE, 0, 1000, kSmallRam);
		PutMixedProgram(vm);
		want = RunTo(vm, kTotal);
	}
	for (uint64_t p : { 1ull, 777ull, 1001ull, 1502ull, 10001ull, 24000ull }) {
		TestVm vm(2, BOOT_BARE, 0, 1000, kSmallRam);
		PutMixedProgram(vm);
		debug_set_position(vm.m, p);
		ASSERT_EQ(Continue(vm), STOP_DEBUG);
		ASSERT_EQ(debug_position(vm.m), p);
		debug_resume(vm.m);
		EXPECT_EQ(RunTo(vm, kTotal), want) << "stopped at " << p;
	}
	/* Stopped every 313 events. */
	TestVm vm(2, BOOT_BARE, 0, 1000, kSmallRam);
	PutMixedProgram(vm);
	unsigned stops = 0;
	for (uint64_t p = 313; vm.m->total_insns + 400 < kTotal; p += 313, stops++) {
		debug_set_position(vm.m, p);
		ASSERT_EQ(Continue(vm), STOP_DEBUG);
		ASSERT_EQ(debug_position(vm.m), p);
	}
	EXPECT_GT(stops, 50u);
	EXPECT_EQ(RunTo(vm, kTotal), want);
}

TEST(DebugPosition, InputPositionIsATargetOfItsOwn)
{
	TestVm vm(2, BOOT_BARE, 0, 1000, kSmallRam);
	PutMixedProgram(vm);
	debug_set_position(vm.m, 1500);
	debug_set_input_position(vm.m, 700);
	ASSERT_EQ(Continue(vm), STOP_DEBUG);
	EXPECT_EQ(vm.m->dbg->stop.reason, DBG_STOP_INPUT);
	EXPECT_EQ(debug_position(vm.m), 700u);
	EXPECT_EQ(vm.m->dbg->input_position, 0u);
	EXPECT_EQ(vm.m->dbg->position, 1500u) << "the debugger's target is untouched";
	ASSERT_EQ(Continue(vm), STOP_DEBUG);
	EXPECT_EQ(vm.m->dbg->stop.reason, DBG_STOP_POSITION);
	EXPECT_EQ(debug_position(vm.m), 1500u);

	debug_set_input_position(vm.m, 2500);
	debug_set_position(vm.m, 2000);
	ASSERT_EQ(Continue(vm), STOP_DEBUG);
	EXPECT_EQ(vm.m->dbg->stop.reason, DBG_STOP_POSITION);
	EXPECT_EQ(debug_position(vm.m), 2000u);
	ASSERT_EQ(Continue(vm), STOP_DEBUG);
	EXPECT_EQ(vm.m->dbg->stop.reason, DBG_STOP_INPUT);
	EXPECT_EQ(debug_position(vm.m), 2500u);
	EXPECT_FALSE(vm.m->dbg->active);
}

/* ---- Watchpoints ---- */

/* Stores next to the watched doubleword at kData, then a store to it and
 * a load from it. */
void PutWatchProgram(TestVm &vm)
{
	vm.put(kRam, {
			     addi(1, 0, 7),
			     sd(1, 10, 8),  /* the doubleword after */
			     sw(1, 10, -4), /* the word before */
			     sb(1, 10, 16),
			     sd(1, 10, 0),  /* kRam + 16: the watched one */
			     ld(2, 10, 0),  /* kRam + 20 */
			     addi(3, 0, 1), /* kRam + 24 */
			     spin(),
		     });
	vm.h()->x[10] = kData;
}

TEST(DebugWatch, WriteWatchStopsRightAfterTheStore)
{
	TestVm vm;
	PutWatchProgram(vm);
	ASSERT_EQ(debug_add_watch(vm.m, kData, 8, DBG_WATCH_WRITE), 0);
	ASSERT_EQ(Continue(vm), STOP_DEBUG);
	const struct hv_debug_stop &s = vm.m->dbg->stop;
	EXPECT_EQ(s.reason, DBG_STOP_WATCH);
	EXPECT_EQ(s.hart, 0u);
	EXPECT_EQ(s.addr, kData);
	EXPECT_EQ(s.kind, DBG_WATCH_WRITE);
	EXPECT_EQ(vm.h()->pc, kRam + 20) << "stopped after the store";
	EXPECT_EQ(vm.h()->icount, 5u);
	EXPECT_EQ(vm.get64(kData), 7u) << "the store took effect";
	EXPECT_EQ(vm.h()->x[2], 0u) << "the load after it has not run";

	/* The load does not touch a write watchpoint. */
	debug_resume(vm.m);
	EXPECT_EQ(Continue(vm, 100), STOP_MAX_INSNS);
	EXPECT_EQ(vm.h()->x[2], 7u);
}

TEST(DebugWatch, ReadWatchStopsRightAfterTheLoadOnly)
{
	TestVm vm;
	PutWatchProgram(vm);
	ASSERT_EQ(debug_add_watch(vm.m, kData, 8, DBG_WATCH_READ), 0);
	ASSERT_EQ(Continue(vm), STOP_DEBUG);
	const struct hv_debug_stop &s = vm.m->dbg->stop;
	EXPECT_EQ(s.reason, DBG_STOP_WATCH);
	EXPECT_EQ(s.addr, kData);
	EXPECT_EQ(s.kind, DBG_WATCH_READ);
	EXPECT_EQ(vm.h()->pc, kRam + 24);
	EXPECT_EQ(vm.h()->icount, 6u);
	EXPECT_EQ(vm.h()->x[2], 7u) << "the load completed";
	EXPECT_EQ(vm.h()->x[3], 0u);
}

TEST(DebugWatch, AccessWatchStopsAfterTheStoreAndAfterTheLoad)
{
	TestVm vm;
	PutWatchProgram(vm);
	ASSERT_EQ(debug_add_watch(vm.m, kData, 8, DBG_WATCH_ACCESS), 0);
	ASSERT_EQ(Continue(vm), STOP_DEBUG);
	EXPECT_EQ(vm.m->dbg->stop.reason, DBG_STOP_WATCH);
	EXPECT_EQ(vm.m->dbg->stop.kind, DBG_WATCH_ACCESS);
	EXPECT_EQ(vm.h()->pc, kRam + 20);
	EXPECT_EQ(vm.get64(kData), 7u);

	struct hv_debug_stop s = ResumeToStop(vm);
	EXPECT_EQ(s.reason, DBG_STOP_WATCH);
	EXPECT_EQ(s.kind, DBG_WATCH_ACCESS);
	EXPECT_EQ(s.addr, kData);
	EXPECT_EQ(vm.h()->pc, kRam + 24);
	EXPECT_EQ(vm.h()->x[2], 7u);

	debug_resume(vm.m);
	EXPECT_EQ(Continue(vm, 100), STOP_MAX_INSNS);
}

TEST(DebugWatch, AccessesNextToTheWatchedBytesDoNotStop)
{
	TestVm vm;
	vm.put(kRam, {
			     addi(1, 0, 7),
			     sd(1, 10, 8),
			     sw(1, 10, -4),
			     sh(1, 10, -2),
			     sb(1, 10, 4),
			     ld(2, 10, 8),
			     lw(3, 10, -4),
			     lbu(4, 10, 4),
			     spin(),
		     });
	vm.h()->x[10] = kData;
	/* Bytes kData .. kData + 3 only. */
	ASSERT_EQ(debug_add_watch(vm.m, kData, 4, DBG_WATCH_ACCESS), 0);
	EXPECT_EQ(Continue(vm, 100), STOP_MAX_INSNS);
	EXPECT_EQ(vm.get64(kData + 8), 7u);
	EXPECT_EQ(vm.h()->x[2], 7u);
	EXPECT_EQ(vm.h()->x[4], 7u);

	/* A byte store overlapping the end of the range does stop, with its
	 * own address. */
	TestVm vm2;
	vm2.put(kRam, { addi(1, 0, 7), sb(1, 10, 3), spin() });
	vm2.h()->x[10] = kData;
	ASSERT_EQ(debug_add_watch(vm2.m, kData, 4, DBG_WATCH_WRITE), 0);
	ASSERT_EQ(Continue(vm2), STOP_DEBUG);
	EXPECT_EQ(vm2.m->dbg->stop.addr, kData + 3);
	EXPECT_EQ(vm2.h()->pc, kRam + 8);

	/* A doubleword store covering the watched range from below reports
	 * the watched address. */
	TestVm vm3;
	vm3.put(kRam, { addi(1, 0, 7), sd(1, 10, 0), spin() });
	vm3.h()->x[10] = kData;
	ASSERT_EQ(debug_add_watch(vm3.m, kData + 4, 2, DBG_WATCH_WRITE), 0);
	ASSERT_EQ(Continue(vm3), STOP_DEBUG);
	EXPECT_EQ(vm3.m->dbg->stop.addr, kData + 4);
}

TEST(DebugWatch, AtomicsAndLrScTrigger)
{
	auto put = [](TestVm &vm) {
		vm.put(kRam, {
				     addi(1, 0, 5), amoadd_d(2, 10, 1), /* kRam + 4 */
				     lr_d(3, 10),                       /* kRam + 8 */
				     sc_d(4, 10, 1),                    /* kRam + 12 */
				     spin(),                            /* kRam + 16 */
			     });
		vm.h()->x[10] = kData;
		vm.put64(kData, 100);
	};

	TestVm w;
	put(w);
	ASSERT_EQ(debug_add_watch(w.m, kData, 8, DBG_WATCH_WRITE), 0);
	ASSERT_EQ(Continue(w), STOP_DEBUG);
	EXPECT_EQ(w.m->dbg->stop.reason, DBG_STOP_WATCH);
	EXPECT_EQ(w.m->dbg->stop.kind, DBG_WATCH_WRITE);
	EXPECT_EQ(w.h()->pc, kRam + 8) << "after the AMO";
	EXPECT_EQ(w.get64(kData), 105u);
	EXPECT_EQ(w.h()->x[2], 100u);
	struct hv_debug_stop s = ResumeToStop(w); /* the LR does not write */
	EXPECT_EQ(s.reason, DBG_STOP_WATCH);
	EXPECT_EQ(s.kind, DBG_WATCH_WRITE);
	EXPECT_EQ(w.h()->pc, kRam + 16) << "after the SC";
	EXPECT_EQ(w.h()->x[3], 105u);
	EXPECT_EQ(w.h()->x[4], 0u) << "the SC succeeded across the stop";
	EXPECT_EQ(w.get64(kData), 5u);

	TestVm r;
	put(r);
	ASSERT_EQ(debug_add_watch(r.m, kData, 8, DBG_WATCH_READ), 0);
	ASSERT_EQ(Continue(r), STOP_DEBUG);
	EXPECT_EQ(r.m->dbg->stop.kind, DBG_WATCH_READ);
	EXPECT_EQ(r.h()->pc, kRam + 8) << "an AMO reads";
	s = ResumeToStop(r);
	EXPECT_EQ(s.reason, DBG_STOP_WATCH);
	EXPECT_EQ(s.kind, DBG_WATCH_READ);
	EXPECT_EQ(r.h()->pc, kRam + 12) << "after the LR";
	EXPECT_EQ(r.h()->x[3], 105u);
}

/*
 * debug.h: a watchpoint stops after the access completes. A store to a
 * watched address where nothing answers does not complete: it raises a
 * store access fault and writes nothing, so there is no watchpoint hit to
 * report (the hart is in its trap handler, which is where a debugger
 * stepping or breaking on it would find it).
 */
TEST(DebugWatch, AStoreThatFaultsIsNotAHit)
{
	constexpr uint64_t kHole = 0x40000000; /* nothing is mapped there */
	TestVm vm;
	vm.put(kRam, { addi(1, 0, 7), sd(1, 10, 0), spin() });
	vm.put(kHandler, { spin() });
	vm.h()->mtvec = kHandler;
	vm.h()->x[10] = kHole;
	ASSERT_EQ(debug_add_watch(vm.m, kHole, 8, DBG_WATCH_WRITE), 0);
	enum hv_stop why = Continue(vm, 100);
	EXPECT_EQ(vm.h()->mcause, (uint64_t)CAUSE_STORE_ACCESS);
	EXPECT_EQ(vm.h()->mepc, kRam + 4);
	EXPECT_EQ(why, STOP_MAX_INSNS)
		<< "reported a watchpoint hit (reason " << vm.m->dbg->stop.reason << ", address 0x"
		<< std::hex << vm.m->dbg->stop.addr << ") for a store that faulted";
}

/* Increments x1 and stores it to kData, forever. */
void PutStoreLoop(TestVm &vm)
{
	vm.put(kRam, { addi(1, 1, 1), sd(1, 10, 0), ld(2, 10, 0), jal(0, -12) });
	vm.h()->x[10] = kData;
}

TEST(DebugWatch, CatchesStoresThatWentThroughTheTlbBefore)
{
	TestVm vm;
	PutStoreLoop(vm);
	RunTo(vm, 400);
	ASSERT_EQ(TlbEntry(vm.h(), ACC_STORE, kData).tag, kData) << "fast path in use";
	ASSERT_EQ(TlbEntry(vm.h(), ACC_LOAD, kData).tag, kData);

	ASSERT_EQ(debug_add_watch(vm.m, kData, 8, DBG_WATCH_WRITE), 0);
	for (unsigned i = 1; i <= 100; i++) {
		struct hv_debug_stop s = ResumeToStop(vm);
		ASSERT_EQ(s.reason, DBG_STOP_WATCH) << "store " << i;
		ASSERT_EQ(vm.h()->pc, kRam + 8);
		ASSERT_EQ(vm.h()->x[1], 100u + i) << "a store went by unseen";
		ASSERT_EQ(vm.get64(kData), 100u + i);
		ASSERT_NE(TlbEntry(vm.h(), ACC_STORE, kData).tag, kData)
			<< "a store entry while watching";
		ASSERT_NE(TlbEntry(vm.h(), ACC_LOAD, kData).tag, kData)
			<< "a load entry while watching";
	}
}

TEST(DebugWatch, RemovedWatchpointGivesTheFastPathBack)
{
	TestVm vm;
	PutStoreLoop(vm);
	ASSERT_EQ(debug_add_watch(vm.m, kData, 8, DBG_WATCH_WRITE), 0);
	ASSERT_EQ(debug_add_watch(vm.m, kData + 64, 8, DBG_WATCH_READ), 0);
	ASSERT_EQ(ResumeToStop(vm).reason, DBG_STOP_WATCH);
	ASSERT_EQ(vm.h()->x[1], 1u);

	EXPECT_EQ(debug_remove_watch(vm.m, kData, 8, DBG_WATCH_READ), -1) << "kind must match";
	EXPECT_EQ(debug_remove_watch(vm.m, kData, 4, DBG_WATCH_WRITE), -1) << "length must match";
	ASSERT_EQ(debug_remove_watch(vm.m, kData, 8, DBG_WATCH_WRITE), 0);
	/* Another watchpoint, elsewhere, still keeps the TLB empty. */
	debug_resume(vm.m);
	ASSERT_EQ(Continue(vm, 30), STOP_MAX_INSNS);
	EXPECT_EQ(vm.h()->x[1], 8u);
	EXPECT_NE(TlbEntry(vm.h(), ACC_STORE, kData).tag, kData);

	ASSERT_EQ(debug_remove_watch(vm.m, kData + 64, 8, DBG_WATCH_READ), 0);
	EXPECT_FALSE(debug_watching(vm.m));
	ASSERT_EQ(Continue(vm, 300), STOP_MAX_INSNS);
	EXPECT_EQ(vm.h()->x[1], 83u);
	EXPECT_EQ(vm.get64(kData), 83u);
	EXPECT_EQ(TlbEntry(vm.h(), ACC_STORE, kData).tag, kData) << "the fast path is back";
	EXPECT_EQ(TlbEntry(vm.h(), ACC_LOAD, kData).tag, kData);
}

TEST(DebugWatch, FloatingPointStoresTrigger)
{
	TestVm vm;
	vm.put(kRam, { addi(1, 0, 3), fmv_w_x(1, 1), fsw(1, 10, 0), spin() });
	vm.h()->x[10] = kData;
	vm.h()->mstatus |= MSTATUS_FS;
	ASSERT_EQ(debug_add_watch(vm.m, kData, 4, DBG_WATCH_WRITE), 0);
	ASSERT_EQ(Continue(vm), STOP_DEBUG);
	EXPECT_EQ(vm.m->dbg->stop.reason, DBG_STOP_WATCH);
	EXPECT_EQ(vm.h()->pc, kRam + 12);
	EXPECT_EQ(vm.get32(kData), 3u);
}

/* ---- Determinism ---- */

TEST(DebugDeterminism, ResumedBreakpointsAndWatchpointsChangeNothing)
{
	constexpr icount_t kTotal = 30000;
	uint64_t want;
	{
		TestVm vm(2, BOOT_BARE, 0, 1000, kSmallRam);
		PutMixedProgram(vm);
		want = RunTo(vm, kTotal);
	}

	TestVm vm(2, BOOT_BARE, 0, 1000, kSmallRam);
	PutMixedProgram(vm);
	/* The loop head, the middle of the body, a branch target, the
	 * handler's first instruction and its interrupt path. */
	for (uint64_t bp : { kRam, kRam + 24, kRam + 52, kHandler, kHandler + 32 })
		ASSERT_EQ(debug_add_break(vm.m, bp), 0);
	ASSERT_EQ(debug_add_watch(vm.m, kShared, 8, DBG_WATCH_WRITE), 0);
	unsigned stops[2] = { 0, 0 };
	vm.m->cfg.max_insns = kTotal;
	vm.m->stop = STOP_NONE;
	while (machine_run(vm.m) == STOP_DEBUG) {
		/* About 10000 stops are expected; a stop that does not move
		 * on must fail here, not hang. */
		ASSERT_LT(stops[0] + stops[1], 100000u) << "no progress";
		enum hv_debug_reason r = vm.m->dbg->stop.reason;
		ASSERT_TRUE(r == DBG_STOP_BREAK || r == DBG_STOP_WATCH);
		stops[r == DBG_STOP_WATCH]++;
		debug_resume(vm.m);
		vm.m->stop = STOP_NONE;
	}
	EXPECT_EQ(vm.m->stop, STOP_MAX_INSNS);
	EXPECT_EQ(vm.m->total_insns, kTotal);
	EXPECT_GT(stops[0], 3000u);
	EXPECT_GT(stops[1], 1000u);
	EXPECT_EQ(machine_digest(vm.m), want);
}

/* ---- Registers and debugger writes ---- */

TEST(DebugRegs, GdbNumbering)
{
	TestVm vm;
	struct hart *h = vm.h();
	uint64_t v = 1;

	EXPECT_EQ(debug_write_reg(h, 0, 1234), 0) << "x0 writes are ignored";
	EXPECT_EQ(h->x[0], 0u);
	EXPECT_EQ(debug_read_reg(h, 0, &v), 0);
	EXPECT_EQ(v, 0u);

	EXPECT_EQ(debug_write_reg(h, 5, 0x1122334455667788ull), 0);
	EXPECT_EQ(h->x[5], 0x1122334455667788ull);
	EXPECT_EQ(debug_read_reg(h, 5, &v), 0);
	EXPECT_EQ(v, 0x1122334455667788ull);

	EXPECT_EQ(debug_write_reg(h, DEBUG_REG_PC, kRam + 0x41), 0);
	EXPECT_EQ(h->pc, kRam + 0x40) << "pc bit 0 is always clear";
	EXPECT_EQ(debug_read_reg(h, DEBUG_REG_PC, &v), 0);
	EXPECT_EQ(v, kRam + 0x40);

	EXPECT_EQ(debug_write_reg(h, DEBUG_REG_F0 + 3, 0x400921fb54442d18ull), 0);
	EXPECT_EQ(h->f[3], 0x400921fb54442d18ull);
	EXPECT_EQ(debug_read_reg(h, 36, &v), 0);
	EXPECT_EQ(v, 0x400921fb54442d18ull);
	EXPECT_EQ(debug_read_reg(h, 64, &v), 0);
	EXPECT_EQ(v, h->f[31]);

	EXPECT_EQ(debug_write_reg(h, 65 + 0x140, 0xabcdef), 0);
	EXPECT_EQ(h->sscratch, 0xabcdefu);
	EXPECT_EQ(debug_read_reg(h, DEBUG_REG_CSR0 + CSR_SSCRATCH, &v), 0);
	EXPECT_EQ(v, 0xabcdefu);
	EXPECT_EQ(debug_read_reg(h, DEBUG_REG_CSR0 + CSR_MHARTID, &v), 0);
	EXPECT_EQ(v, 0u);
	EXPECT_EQ(debug_write_reg(h, DEBUG_REG_CSR0 + CSR_MHARTID, 5), -1) << "read-only";

	/* The privilege level; CSRs read as M-mode sees them from any. */
	EXPECT_EQ(debug_write_reg(h, DEBUG_REG_PRIV, PRIV_U), 0);
	EXPECT_EQ(h->priv, (unsigned)PRIV_U);
	EXPECT_EQ(debug_read_reg(h, DEBUG_REG_PRIV, &v), 0);
	EXPECT_EQ(v, (uint64_t)PRIV_U);
	h->mscratch = 77;
	EXPECT_EQ(debug_read_reg(h, DEBUG_REG_CSR0 + CSR_MSCRATCH, &v), 0);
	EXPECT_EQ(v, 77u);
	EXPECT_EQ(debug_write_reg(h, DEBUG_REG_CSR0 + CSR_MSCRATCH, 78), 0);
	EXPECT_EQ(h->mscratch, 78u);
	EXPECT_EQ(h->priv, (unsigned)PRIV_U) << "the hart's level is back";
	EXPECT_EQ(debug_write_reg(h, DEBUG_REG_PRIV, 2), -1) << "no H mode";
	EXPECT_EQ(h->priv, (unsigned)PRIV_U);
	EXPECT_EQ(debug_write_reg(h, DEBUG_REG_PRIV, PRIV_M), 0);

	EXPECT_EQ(debug_read_reg(h, DEBUG_REG_PRIV + 1, &v), -1);
	EXPECT_EQ(debug_write_reg(h, DEBUG_REG_PRIV + 1, 0), -1);
	EXPECT_EQ(debug_read_reg(h, ~0u, &v), -1);
}

TEST(DebugRegs, RegisterWriteTakesEffectOnTheNextInstruction)
{
	/* A written pc and register are what the running hart uses, even
	 * with the old code cached in the jump cache. */
	TestVm vm;
	vm.put(kRam, { addi(1, 1, 1), jal(0, -4) });
	vm.put(kRam + 0x200, { add(2, 2, 5), jal(0, -4) });
	RunTo(vm, 100);
	ASSERT_EQ(debug_write_reg(vm.h(), DEBUG_REG_PC, kRam + 0x200), 0);
	ASSERT_EQ(debug_write_reg(vm.h(), 5, 3), 0);
	RunTo(vm, 200);
	EXPECT_EQ(vm.h()->x[1], 50u);
	EXPECT_EQ(vm.h()->x[2], 150u);
}

/* A debugger input record (debug.h: u8 kind, u32 hart, u64 position, u64
 * register or address, then the value or the bytes). */
std::vector<uint8_t> Record(uint8_t kind, uint32_t hart, uint64_t pos, uint64_t where,
			    const void *val, size_t n)
{
	std::vector<uint8_t> r(DEBUG_INPUT_HEAD + n);
	r[0] = kind;
	std::memcpy(&r[1], &hart, 4);
	std::memcpy(&r[5], &pos, 8);
	std::memcpy(&r[13], &where, 8);
	if (n)
		std::memcpy(&r[DEBUG_INPUT_HEAD], val, n);
	return r;
}

std::vector<uint8_t> RegRecord(uint32_t hart, uint64_t regno, uint64_t v)
{
	return Record(1, hart, 1234, regno, &v, 8);
}

TEST(DebugApply, AppliesRegisterAndMemoryWrites)
{
	TestVm vm(2);
	std::vector<uint8_t> r = RegRecord(1, 7, 0xfeed);
	EXPECT_EQ(debug_input_position(r.data(), r.size()), 1234u);
	EXPECT_EQ(debug_input_position(r.data(), DEBUG_INPUT_HEAD - 1), 0u);
	ASSERT_EQ(debug_apply(vm.m, r.data(), r.size()), 0);
	EXPECT_EQ(vm.h(1)->x[7], 0xfeedu);
	EXPECT_EQ(vm.h(0)->x[7], 0u);

	r = RegRecord(0, DEBUG_REG_CSR0 + CSR_SSCRATCH, 99);
	ASSERT_EQ(debug_apply(vm.m, r.data(), r.size()), 0);
	EXPECT_EQ(vm.h(0)->sscratch, 99u);
	r = RegRecord(1, DEBUG_REG_PC, kRam + 0x300);
	ASSERT_EQ(debug_apply(vm.m, r.data(), r.size()), 0);
	EXPECT_EQ(vm.h(1)->pc, kRam + 0x300);

	const uint8_t bytes[5] = { 1, 2, 3, 4, 5 };
	r = Record(2, 0, 0, kData + 3, bytes, sizeof(bytes));
	ASSERT_EQ(debug_apply(vm.m, r.data(), r.size()), 0);
	EXPECT_EQ(vm.get64(kData), 0x0504030201000000ull);
	/* The last bytes of RAM are RAM. */
	r = Record(2, 0, 0, kRam + 16 * kMiB - 5, bytes, sizeof(bytes));
	EXPECT_EQ(debug_apply(vm.m, r.data(), r.size()), 0);
}

TEST(DebugApply, BlockFaultRecords)
{
	TestVm vm(1);
	/* No data: request 7 of drive 2 fails (as ABI 1 recorded it). */
	std::vector<uint8_t> r = Record(3, 2, 0, 7, nullptr, 0);
	ASSERT_EQ(debug_apply(vm.m, r.data(), r.size()), 0);
	EXPECT_TRUE(vm.m->blk_fault_set);
	EXPECT_EQ(vm.m->blk_fault_dev, 2u);
	EXPECT_EQ(vm.m->blk_fault_nth, 7u);
	EXPECT_EQ(vm.m->blk_fault_mode, (uint32_t)HV_BLK_FAIL);
	/* 16 bytes: a mode and its argument. */
	const uint64_t torn[2] = { HV_BLK_TORN, 3 };
	r = Record(3, 0, 0, 9, torn, sizeof(torn));
	ASSERT_EQ(debug_apply(vm.m, r.data(), r.size()), 0);
	EXPECT_EQ(vm.m->blk_fault_nth, 9u);
	EXPECT_EQ(vm.m->blk_fault_mode, (uint32_t)HV_BLK_TORN);
	EXPECT_EQ(vm.m->blk_fault_arg, 3u);
}

TEST(DebugApply, RefusesMalformedRecordsAndChangesNothing)
{
	TestVm vm(2);
	PutMixedProgram(vm);
	RunTo(vm, 5000);
	const uint64_t before = machine_digest(vm.m);
	const uint64_t ram_end = kRam + 16 * kMiB;
	const uint8_t bytes[8] = { 9, 9, 9, 9, 9, 9, 9, 9 };
	const uint64_t v = 0x5a5a;

	std::vector<std::pair<const char *, std::vector<uint8_t>>> bad;
	std::vector<uint8_t> ok = RegRecord(0, 5, v);
	bad.push_back({ "empty", {} });
	bad.push_back({ "header cut short", std::vector<uint8_t>(ok.begin(), ok.begin() + 20) });
	bad.push_back(
		{ "register value cut short", std::vector<uint8_t>(ok.begin(), ok.end() - 1) });
	std::vector<uint8_t> longer = ok;
	longer.push_back(0);
	bad.push_back({ "register value too long", longer });
	bad.push_back({ "hart == nharts", RegRecord(2, 5, v) });
	bad.push_back({ "hart ~0", RegRecord(~0u, 5, v) });
	bad.push_back(
		{ "register number above 32 bits aliasing x5", RegRecord(0, (1ull << 32) + 5, v) });
	bad.push_back({ "no such register", RegRecord(0, DEBUG_REG_PRIV + 1, v) });
	bad.push_back({ "reserved privilege level", RegRecord(0, DEBUG_REG_PRIV, 2) });
	bad.push_back({ "read-only CSR", RegRecord(0, DEBUG_REG_CSR0 + CSR_MHARTID, v) });
	bad.push_back({ "kind 0", Record(0, 0, 0, 5, &v, 8) });
	bad.push_back({ "kind 3", Record(3, 0, 0, kData, bytes, 8) });
	const uint64_t mode0[2] = { 0, 1 }, mode6[2] = { 6, 1 };
	bad.push_back({ "block fault mode 0", Record(3, 0, 0, 1, mode0, 16) });
	bad.push_back({ "block fault mode 6", Record(3, 0, 0, 1, mode6, 16) });
	bad.push_back({ "block fault for slot 8", Record(3, HV_VIRTIO_SLOTS, 0, 1, nullptr, 0) });
	bad.push_back({ "kind 255", Record(255, 0, 0, kData, bytes, 8) });
	bad.push_back({ "memory below RAM", Record(2, 0, 0, kRam - 8, bytes, 8) });
	bad.push_back({ "memory straddling RAM's start", Record(2, 0, 0, kRam - 4, bytes, 8) });
	bad.push_back({ "memory straddling RAM's end", Record(2, 0, 0, ram_end - 4, bytes, 8) });
	bad.push_back({ "memory after RAM", Record(2, 0, 0, ram_end, bytes, 8) });
	bad.push_back({ "memory at a device", Record(2, 0, 0, HV_CLINT_BASE + 0x4000, bytes, 8) });
	bad.push_back({ "address wrapping around", Record(2, 0, 0, ~0ull - 3, bytes, 8) });
	bad.push_back({ "memory with a bad hart", Record(2, 7, 0, kData, bytes, 8) });

	for (auto &b : bad) {
		EXPECT_EQ(debug_apply(vm.m, b.second.data(), b.second.size()), -1) << b.first;
		EXPECT_EQ(machine_digest(vm.m), before) << b.first;
		EXPECT_EQ(vm.get64(ram_end - 8), 0u) << b.first;
	}
}

TEST(DebugApply, AWriteToCachedCodeIsSeen)
{
	TestVm vm;
	vm.put(kRam, { addi(1, 1, 1), jal(0, -4) });
	RunTo(vm, 100);
	ASSERT_EQ(vm.h()->x[1], 50u);
	uint32_t insn = addi(1, 1, 5);
	std::vector<uint8_t> r = Record(2, 0, 100, kRam, &insn, 4);
	ASSERT_EQ(debug_apply(vm.m, r.data(), r.size()), 0);
	RunTo(vm, 200);
	EXPECT_EQ(vm.h()->x[1], 50u + 5 * 50);
}

} // namespace
