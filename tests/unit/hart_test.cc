// SPDX-License-Identifier: MIT
/*
 * Tests of hart control (hv/cpu/hart.c): trap delegation to S-mode, interrupt
 * priority and the global enable rules, vectored trap vectors, MRET/SRET
 * field updates, mstatus.TSR and TW, and the timer: mtime is the
 * instruction count divided by HV_INSNS_PER_TICK, the timer interrupt is
 * taken at exactly the instruction where mtime reaches mtimecmp, and an
 * idle hart in WFI has its clock jump forward to the deadline.
 * Privileged spec 1.12 sections 3.1.6-3.1.9, 3.3, 4.1.
 */
#include <gtest/gtest.h>

#include <algorithm>

#include "tests/unit/testutil.h"

using namespace tu;

namespace {

constexpr uint64_t kMtvec = kRam + 0x8000;
constexpr uint64_t kStvec = kRam + 0x9000;

class HartTest : public ::testing::Test {
protected:
	void SetUp() override
	{
		ASSERT_NE(vm.m, nullptr) << vm.error;
		h = vm.h();
		vm.put(kMtvec, { spin() });
		vm.put(kStvec, { spin() });
		h->mtvec = kMtvec;
		h->stvec = kStvec;
	}
	void enter(unsigned priv)
	{
		h->priv = priv;
		hart_flush_tlb(h);
	}

	TestVm vm;
	struct hart *h = nullptr;
};

TEST_F(HartTest, DelegatedExceptionFromUserGoesToSupervisor)
{
	h->medeleg = 1ull << CAUSE_ECALL_U;
	h->mstatus |= MSTATUS_SIE;
	enter(PRIV_U);
	vm.put(kRam, { ecall() });
	vm.run(1);
	EXPECT_EQ(h->priv, (unsigned)PRIV_S);
	EXPECT_EQ(h->scause, (uint64_t)CAUSE_ECALL_U);
	EXPECT_EQ(h->sepc, kRam);
	EXPECT_EQ(h->stval, 0u);
	EXPECT_EQ(h->mstatus & MSTATUS_SPP, 0u);
	EXPECT_EQ(h->mstatus & MSTATUS_SPIE, MSTATUS_SPIE);
	EXPECT_EQ(h->mstatus & MSTATUS_SIE, 0u);
	EXPECT_EQ(h->pc, kStvec);
	EXPECT_EQ(h->mcause, 0u) << "M-mode state untouched";
}

TEST_F(HartTest, DelegatedExceptionFromSupervisorRecordsSpp)
{
	h->medeleg = 1ull << CAUSE_ILLEGAL_INSN;
	enter(PRIV_S);
	vm.put(kRam, { 0xffffffffu });
	vm.run(1);
	EXPECT_EQ(h->priv, (unsigned)PRIV_S);
	EXPECT_EQ(h->scause, (uint64_t)CAUSE_ILLEGAL_INSN);
	EXPECT_EQ(h->stval, 0xffffffffu);
	EXPECT_EQ(h->mstatus & MSTATUS_SPP, MSTATUS_SPP);
	EXPECT_EQ(h->mstatus & MSTATUS_SPIE, 0u);
}

TEST_F(HartTest, ExceptionsInMachineModeAreNeverDelegated)
{
	h->medeleg = ~0ull;
	vm.put(kRam, { ebreak() });
	vm.run(1);
	EXPECT_EQ(h->priv, (unsigned)PRIV_M);
	EXPECT_EQ(h->mcause, (uint64_t)CAUSE_BREAKPOINT);
	EXPECT_EQ(h->mepc, kRam);
	EXPECT_EQ(h->scause, 0u);
	EXPECT_EQ((h->mstatus & MSTATUS_MPP) >> 11, (uint64_t)PRIV_M);
}

TEST_F(HartTest, UndelegatedExceptionFromUserGoesToMachine)
{
	h->mstatus |= MSTATUS_MIE;
	enter(PRIV_U);
	vm.put(kRam, { ecall() });
	vm.run(1);
	EXPECT_EQ(h->priv, (unsigned)PRIV_M);
	EXPECT_EQ(h->mcause, (uint64_t)CAUSE_ECALL_U);
	EXPECT_EQ((h->mstatus & MSTATUS_MPP) >> 11, (uint64_t)PRIV_U);
	EXPECT_EQ(h->mstatus & MSTATUS_MPIE, MSTATUS_MPIE);
	EXPECT_EQ(h->mstatus & MSTATUS_MIE, 0u);
	EXPECT_EQ(h->pc, kMtvec);
}

TEST_F(HartTest, InterruptPriorityIsMeiMsiMtiSeiSsiSti)
{
	h->mie = ~0ull;
	h->mstatus |= MSTATUS_MIE;
	h->mip = MIP_MEIP | MIP_MSIP | MIP_MTIP | MIP_SEIP | MIP_SSIP | MIP_STIP;
	for (int irq : { IRQ_MEI, IRQ_MSI, IRQ_MTI, IRQ_SEI, IRQ_SSI, IRQ_STI }) {
		EXPECT_EQ(hart_pending_irq(h), irq);
		h->mip &= ~(1ull << irq);
	}
	EXPECT_EQ(hart_pending_irq(h), -1);
	/* The PLIC's line counts like the software bit. */
	h->mip_ext = MIP_SEIP;
	h->mip = MIP_STIP;
	EXPECT_EQ(hart_pending_irq(h), IRQ_SEI);
}

TEST_F(HartTest, MachineInterruptsBeatDelegatedOnesInLowerModes)
{
	h->mie = ~0ull;
	h->mideleg = MIP_SEIP | MIP_SSIP | MIP_STIP;
	h->mip = MIP_SEIP | MIP_MTIP;
	enter(PRIV_S);
	h->mstatus |= MSTATUS_SIE;
	EXPECT_EQ(hart_pending_irq(h), IRQ_MTI);
}

TEST_F(HartTest, GlobalEnableRules)
{
	h->mie = ~0ull;

	/* M-level interrupts are taken in S and U whatever MIE says. */
	h->mip = MIP_MTIP;
	h->mstatus &= ~MSTATUS_MIE;
	enter(PRIV_M);
	EXPECT_EQ(hart_pending_irq(h), -1);
	enter(PRIV_S);
	EXPECT_EQ(hart_pending_irq(h), IRQ_MTI);
	enter(PRIV_U);
	EXPECT_EQ(hart_pending_irq(h), IRQ_MTI);

	/* A delegated interrupt is never taken in M, needs SIE in S, and
	 * is always taken in U. */
	h->mip = MIP_STIP;
	h->mideleg = MIP_STIP;
	h->mstatus |= MSTATUS_MIE | MSTATUS_SIE;
	enter(PRIV_M);
	EXPECT_EQ(hart_pending_irq(h), -1);
	enter(PRIV_S);
	EXPECT_EQ(hart_pending_irq(h), IRQ_STI);
	h->mstatus &= ~MSTATUS_SIE;
	EXPECT_EQ(hart_pending_irq(h), -1);
	enter(PRIV_U);
	EXPECT_EQ(hart_pending_irq(h), IRQ_STI);

	/* Not delegated: an S-level interrupt goes to M under M's rules. */
	h->mideleg = 0;
	enter(PRIV_M);
	EXPECT_EQ(hart_pending_irq(h), IRQ_STI);
	h->mstatus &= ~MSTATUS_MIE;
	EXPECT_EQ(hart_pending_irq(h), -1);

	/* mie masks everything. */
	h->mstatus |= MSTATUS_MIE;
	h->mie = 0;
	EXPECT_EQ(hart_pending_irq(h), -1);
}

TEST_F(HartTest, VectoredModeAppliesToInterruptsOnly)
{
	h->mtvec = kMtvec | 1;
	hart_take_irq(h, IRQ_MTI);
	EXPECT_EQ(h->pc, kMtvec + 4 * IRQ_MTI);
	EXPECT_EQ(h->mcause, CAUSE_INTERRUPT | IRQ_MTI);
	EXPECT_EQ(h->mtval, 0u);
	h->pc = kRam;
	hart_trap(h, CAUSE_ILLEGAL_INSN, 0);
	EXPECT_EQ(h->pc, kMtvec);

	h->stvec = kStvec | 1;
	h->mideleg = MIP_SSIP;
	h->medeleg = 1ull << CAUSE_BREAKPOINT;
	enter(PRIV_U);
	hart_take_irq(h, IRQ_SSI);
	EXPECT_EQ(h->priv, (unsigned)PRIV_S);
	EXPECT_EQ(h->pc, kStvec + 4 * IRQ_SSI);
	EXPECT_EQ(h->scause, CAUSE_INTERRUPT | IRQ_SSI);
	hart_trap(h, CAUSE_BREAKPOINT, 0);
	EXPECT_EQ(h->pc, kStvec);
}

TEST_F(HartTest, MretRestoresTheInterruptStackAndLeavesMprvOnlyForM)
{
	h->mstatus = (h->mstatus & ~MSTATUS_MPP) | (1ull << 11) | MSTATUS_MPIE | MSTATUS_MPRV;
	h->mepc = kRam + 0x40;
	ASSERT_EQ(hart_mret(h), 0);
	EXPECT_EQ(h->priv, (unsigned)PRIV_S);
	EXPECT_EQ(h->pc, kRam + 0x40);
	EXPECT_EQ(h->mstatus & MSTATUS_MIE, MSTATUS_MIE);
	EXPECT_EQ(h->mstatus & MSTATUS_MPIE, MSTATUS_MPIE);
	EXPECT_EQ(h->mstatus & MSTATUS_MPP, 0u);
	EXPECT_EQ(h->mstatus & MSTATUS_MPRV, 0u);
	EXPECT_EQ(hart_mret(h), -1) << "mret is illegal in S";

	enter(PRIV_M);
	h->mstatus |= MSTATUS_MPP | MSTATUS_MPRV;
	h->mstatus &= ~MSTATUS_MPIE;
	ASSERT_EQ(hart_mret(h), 0);
	EXPECT_EQ(h->priv, (unsigned)PRIV_M);
	EXPECT_EQ(h->mstatus & MSTATUS_MPRV, MSTATUS_MPRV) << "MPP was M";
	EXPECT_EQ(h->mstatus & MSTATUS_MIE, 0u);
}

TEST_F(HartTest, SretRestoresTheSupervisorStack)
{
	h->mstatus |= MSTATUS_SPP | MSTATUS_SPIE | MSTATUS_MPRV;
	h->sepc = kRam + 0x80;
	enter(PRIV_U);
	EXPECT_EQ(hart_sret(h), -1) << "sret is illegal in U";
	enter(PRIV_S);
	ASSERT_EQ(hart_sret(h), 0);
	EXPECT_EQ(h->priv, (unsigned)PRIV_S);
	EXPECT_EQ(h->pc, kRam + 0x80);
	EXPECT_EQ(h->mstatus & MSTATUS_SIE, MSTATUS_SIE);
	EXPECT_EQ(h->mstatus & MSTATUS_SPIE, MSTATUS_SPIE);
	EXPECT_EQ(h->mstatus & MSTATUS_SPP, 0u);
	EXPECT_EQ(h->mstatus & MSTATUS_MPRV, 0u);
	ASSERT_EQ(hart_sret(h), 0);
	EXPECT_EQ(h->priv, (unsigned)PRIV_U);

	/* M-mode may execute sret too. */
	enter(PRIV_M);
	h->mstatus |= MSTATUS_SPP;
	ASSERT_EQ(hart_sret(h), 0);
	EXPECT_EQ(h->priv, (unsigned)PRIV_S);
}

TEST_F(HartTest, TsrMakesSretIllegalInSupervisorMode)
{
	h->mstatus |= MSTATUS_TSR;
	h->sepc = kRam + 0x100;
	enter(PRIV_S);
	vm.put(kRam, { sret() });
	vm.run(1);
	EXPECT_EQ(h->priv, (unsigned)PRIV_M);
	EXPECT_EQ(h->mcause, (uint64_t)CAUSE_ILLEGAL_INSN);
	EXPECT_EQ(h->mtval, (uint64_t)sret());
	EXPECT_EQ(h->mepc, kRam);
}

TEST_F(HartTest, WfiIsIllegalInUserModeAndUnderTw)
{
	vm.put(kRam, { wfi() });
	enter(PRIV_U);
	vm.run(1);
	EXPECT_EQ(h->mcause, (uint64_t)CAUSE_ILLEGAL_INSN);
	EXPECT_FALSE(h->wfi);

	h->mstatus |= MSTATUS_TW;
	h->pc = kRam;
	h->mcause = 0;
	enter(PRIV_S);
	vm.step(1);
	EXPECT_EQ(h->mcause, (uint64_t)CAUSE_ILLEGAL_INSN);
	EXPECT_FALSE(h->wfi);

	h->mstatus &= ~MSTATUS_TW;
	h->pc = kRam;
	h->mcause = 0;
	enter(PRIV_S);
	icount_t before = h->icount;
	vm.step(1);
	EXPECT_EQ(h->mcause, 0u);
	EXPECT_TRUE(h->wfi);
	EXPECT_EQ(h->icount, before + 1);
	EXPECT_EQ(h->pc, kRam + 4);
	/* Stalled: no more progress without an interrupt. */
	vm.step(10);
	EXPECT_EQ(h->icount, before + 1);
}

TEST_F(HartTest, TimeIsTheInstructionCountOverTheTickRate)
{
	vm.put(kRam, std::vector<uint32_t>(300, nop()));
	vm.run(123);
	EXPECT_EQ(hart_time(h), 123u / HV_INSNS_PER_TICK);
	vm.run(250);
	EXPECT_EQ(hart_time(h), 25u);
}

/* The timer interrupt is taken before the instruction that would retire
 * when mtime reaches mtimecmp: for mtimecmp = 50 ticks, at icount 500. */
TEST_F(HartTest, TimerInterruptArrivesAtTheExactInstruction)
{
	for (icount_t stride : { 1000, 1, 7, 64 }) {
		TestVm vm2;
		struct hart *g = vm2.h();
		vm2.put(kRam, {
				      addi(1, 1, 1),
				      jal(0, -4),
			      });
		vm2.put(kMtvec, { csrrs(31, CSR_MINSTRET, 0), csrrs(30, CSR_TIME, 0), spin() });
		g->mtvec = kMtvec;
		g->mie = MIP_MTIP;
		g->mstatus |= MSTATUS_MIE;
		/* Program the compare register as the guest would. */
		vm2.m->cur = g;
		ASSERT_TRUE(bus_write(vm2.m, HV_CLINT_BASE + 0x4000, 8, 50));
		vm2.m->cur = nullptr;
		while (g->icount < 520)
			vm2.run(std::min<icount_t>(g->icount + stride, 520));
		EXPECT_EQ(g->mcause, CAUSE_INTERRUPT | IRQ_MTI) << "stride " << stride;
		EXPECT_EQ(g->x[31], 500u) << "stride " << stride;
		EXPECT_EQ(g->x[30], 50u) << "stride " << stride;
		EXPECT_EQ(g->x[1], 250u) << "stride " << stride;
		EXPECT_EQ(g->mepc, kRam) << "stride " << stride;
	}
}

TEST_F(HartTest, TimerIsNotPendingBeforeItsTick)
{
	h->mtimecmp = 50;
	hart_timer_update(h);
	vm.put(kRam, std::vector<uint32_t>(600, nop()));
	vm.run(499);
	EXPECT_EQ(h->mip & MIP_MTIP, 0u);
	EXPECT_EQ(hart_time(h), 49u);
	vm.run(505);
	EXPECT_EQ(h->mip & MIP_MTIP, MIP_MTIP) << "interrupt disabled, but pending";
	EXPECT_EQ(h->icount, 505u) << "a disabled interrupt does not stop the hart";
}

/* A store that raises this hart's own software interrupt: the interrupt
 * is taken at the very next instruction boundary, in the middle of what
 * would otherwise be one block. */
TEST_F(HartTest, SelfIpiIsTakenRightAfterTheStore)
{
	h->mie = MIP_MSIP;
	h->mstatus |= MSTATUS_MIE;
	h->x[3] = HV_CLINT_BASE; /* msip of hart 0 */
	h->x[4] = 1;
	vm.put(kRam, { addi(1, 1, 1), sw(4, 3, 0), addi(1, 1, 1), addi(1, 1, 1) });
	vm.run(3);
	EXPECT_EQ(h->mcause, CAUSE_INTERRUPT | IRQ_MSI);
	EXPECT_EQ(h->mepc, kRam + 8);
	EXPECT_EQ(h->x[1], 1u);
	EXPECT_EQ(h->pc, kMtvec);
}

TEST(HartIdle, WfiLetsTimeJumpToTheTimerDeadline)
{
	TestVm vm(1, BOOT_BARE, 0, 1000);
	struct hart *h = vm.h();
	const uint64_t far = 5000000; /* ticks: half a second */
	vm.put(kRam, {
			     csrrw(0, CSR_MTVEC, 5),
			     csrrw(0, CSR_MIE, 6),
			     sd(7, 8, 0),               /* mtimecmp = far */
			     csrrsi(0, CSR_MSTATUS, 8), /* MIE */
			     wfi(),
			     jal(0, -4),
		     });
	/* Handler: record mcause and time, then power off. */
	vm.put(kMtvec, {
			       csrrs(20, CSR_MCAUSE, 0),
			       csrrs(21, CSR_TIME, 0),
			       csrrs(22, CSR_MINSTRET, 0),
			       sw(10, 9, 0),
			       spin(),
		       });
	h->x[5] = kMtvec;
	h->x[6] = MIP_MTIP;
	h->x[7] = far;
	h->x[8] = HV_CLINT_BASE + 0x4000;
	h->x[9] = HV_SYSCON_BASE;
	h->x[10] = 0x5555;
	EXPECT_EQ(machine_run(vm.m), STOP_SHUTDOWN);
	EXPECT_EQ(h->x[20], CAUSE_INTERRUPT | IRQ_MTI);
	EXPECT_GE(h->x[21], far);
	EXPECT_LT(h->x[21], far + 1000);
	/* Five instructions up to the WFI, two of the handler. */
	EXPECT_EQ(h->x[22], 7u) << "idle time is not retired instructions";
	EXPECT_LT(h->icount, 20u);
	EXPECT_EQ(h->mepc, kRam + 20) << "the interrupt arrives after the WFI";
}

} // namespace
