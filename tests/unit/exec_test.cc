// SPDX-License-Identifier: MIT
/*
 * Tests of the interpreter (hv/cpu/exec.c) on a real machine: the instruction
 * count is exact at every limit, even inside a cached block; faults in the
 * middle of a block give the faulting pc and the number retired before it;
 * x0 stays zero; compressed and 32-bit code mix; self-modifying code is
 * seen; an instruction that straddles a page runs; and the semantics the
 * spec pins down for jalr, the W forms, division, LR/SC/AMOs and the F/D
 * rules around mstatus.FS, rounding modes and NaN boxing.
 *
 * Programs are built with the encoders of testutil.h and run with exec_run
 * in M-mode (BOOT_BARE) unless a test says otherwise.
 */
#include <gtest/gtest.h>

#include <algorithm>

#include <unistd.h>

#include "tests/unit/testutil.h"

using namespace tu;

namespace {

constexpr uint64_t kHandler = kRam + 0x8000; /* trap vector for the tests */
constexpr uint64_t kData = kRam + 0x10000;
constexpr uint64_t kHole = 0x40000000; /* nothing is mapped there */

/* A trap vector whose first instruction records minstret in x31 (the
 * count at the moment of the trap: the trap itself retires nothing), then
 * spins. */
void install_handler(TestVm &vm)
{
	vm.put(kHandler, { csrrs(31, CSR_MINSTRET, 0), spin() });
	vm.h()->mtvec = kHandler;
}

std::vector<uint32_t> straight_line(unsigned n)
{
	return std::vector<uint32_t>(n, addi(1, 1, 1));
}

TEST(Exec, StopsAtExactIcountInsideALongBlock)
{
	TestVm vm;
	struct hart *h = vm.h();

	vm.put(vm.put(kRam, straight_line(100)), { spin() });
	vm.run(37);
	EXPECT_EQ(h->icount, 37u);
	EXPECT_EQ(h->x[1], 37u);
	EXPECT_EQ(h->pc, kRam + 37 * 4);
	vm.run(42);
	EXPECT_EQ(h->icount, 42u);
	EXPECT_EQ(h->x[1], 42u);
	vm.run(100);
	EXPECT_EQ(h->x[1], 100u);
	EXPECT_EQ(h->pc, kRam + 400);

	/* Again from the start: the 100-instruction block is cached now and
	 * the budget cuts it. */
	h->pc = kRam;
	h->x[1] = 0;
	vm.run(113);
	EXPECT_EQ(h->icount, 113u);
	EXPECT_EQ(h->x[1], 13u);
	EXPECT_EQ(h->pc, kRam + 13 * 4);
}

/* A loop with loads, stores, a multiply, a counter read, compressed code
 * and a timer interrupt whose handler reprograms the timer: every part of
 * the state depends on exactly where each instruction retired. */
void load_mixed_program(TestVm &vm)
{
	struct hart *h = vm.h();

	vm.put(kRam, {
			     addi(1, 1, 1), /* loop: */
			     mul(3, 1, 1),
			     andi(7, 1, 255),
			     slli(7, 7, 3),
			     add(7, 7, 2),
			     sd(3, 7, 0),
			     ld(4, 7, 0),
			     add(5, 5, 4),
			     csrrs(6, CSR_MINSTRET, 0),
			     xor_(5, 5, 6),
			     andi(9, 1, 7),
			     bne(9, 0, 8),
			     addi(8, 8, 3),
			     jal(0, -13 * 4),
		     });
	/* Timer handler: count, push mtimecmp forward by 37 ticks, return. */
	vm.put(kHandler, {
				 addi(20, 20, 1),
				 ld(23, 21, 0),
				 addi(23, 23, 37),
				 sd(23, 21, 0),
				 mret(),
			 });
	h->mtvec = kHandler;
	h->x[2] = kData;
	h->x[21] = HV_CLINT_BASE + 0x4000;       /* mtimecmp of hart 0 */
	h->mstatus |= MSTATUS_MIE | MSTATUS_MPP; /* mret back to M */
	h->mie = MIP_MTIP;
	h->mtimecmp = 20;
	hart_timer_update(h);
}

TEST(Exec, SteppedRunsEqualOneRun)
{
	constexpr icount_t kTotal = 3001;
	TestVm once;
	load_mixed_program(once);
	once.run(kTotal);
	ASSERT_EQ(once.h()->icount, kTotal);
	EXPECT_GT(once.h()->x[20], 5u) << "the timer never fired";

	for (icount_t stride : { 1, 7, 13 }) {
		TestVm vm;
		load_mixed_program(vm);
		while (vm.h()->icount < kTotal) {
			icount_t next = vm.h()->icount + stride;
			vm.run(next < kTotal ? next : kTotal);
		}
		EXPECT_EQ(vm.h()->icount, kTotal) << "stride " << stride;
		EXPECT_EQ(vm.h()->x[20], once.h()->x[20]) << "stride " << stride;
		EXPECT_EQ(vm.h()->x[5], once.h()->x[5]) << "stride " << stride;
		EXPECT_EQ(machine_hart_digest(vm.h()), machine_hart_digest(once.h()))
			<< "stride " << stride;
		EXPECT_EQ(machine_digest(vm.m), machine_digest(once.m)) << "stride " << stride;
	}
}

TEST(Exec, FaultInTheMiddleOfABlockIsExact)
{
	TestVm vm;
	struct hart *h = vm.h();

	install_handler(vm);
	h->x[6] = kHole;
	vm.put(kRam, {
			     addi(1, 1, 1),
			     addi(1, 1, 1),
			     addi(1, 1, 1),
			     addi(1, 1, 1),
			     ld(5, 6, 8), /* instruction 5: load access fault */
			     addi(1, 1, 1),
			     addi(1, 1, 1),
		     });
	vm.run(5);
	EXPECT_EQ(h->mcause, (uint64_t)CAUSE_LOAD_ACCESS);
	EXPECT_EQ(h->mepc, kRam + 16);
	EXPECT_EQ(h->mtval, kHole + 8);
	EXPECT_EQ(h->x[31], 4u) << "icount at the trap must count the 4 retired";
	EXPECT_EQ(h->x[1], 4u);
	EXPECT_EQ(h->pc, kHandler + 4);
	EXPECT_EQ(h->priv, (unsigned)PRIV_M);
}

TEST(Exec, MisalignedLoadInABlockTrapsWithItsAddress)
{
	TestVm vm;
	struct hart *h = vm.h();

	install_handler(vm);
	h->x[6] = kData + 2;
	vm.put(kRam, { addi(1, 1, 1), lw(5, 6, 0), addi(1, 1, 1) });
	vm.run(2);
	EXPECT_EQ(h->mcause, (uint64_t)CAUSE_MISALIGNED_LOAD);
	EXPECT_EQ(h->mepc, kRam + 4);
	EXPECT_EQ(h->mtval, kData + 2);
	EXPECT_EQ(h->x[31], 1u);
}

TEST(Exec, X0StaysZero)
{
	TestVm vm;
	struct hart *h = vm.h();

	install_handler(vm);
	vm.put64(kData, 0x1122334455667788ull);
	h->x[2] = kData;
	h->x[1] = 5;
	h->x[6] = kHole;
	uint64_t pc = vm.put(kRam,
			     {
				     addi(0, 0, 5), lui(0, 0x12345), add(0, 1, 1), ld(0, 2, 0),
				     amoadd_d(0, 2, 1), /* still performs the add */
				     csrrs(0, CSR_MSCRATCH, 0), jal(0, 4),
				     addi(3, 0, 0), /* reads x0 after all of the above */
			     });
	pc = vm.put16(pc, c_li(0, 7)); /* a HINT: no effect */
	vm.put(pc, { lw(0, 6, 0) });   /* a load into x0 still faults */
	vm.run(10);
	EXPECT_EQ(h->x[0], 0u);
	EXPECT_EQ(h->x[3], 0u);
	EXPECT_EQ(vm.get64(kData), 0x1122334455667788ull + 5);
	EXPECT_EQ(h->mcause, (uint64_t)CAUSE_LOAD_ACCESS);
	EXPECT_EQ(h->mepc, pc);
	EXPECT_EQ(h->x[31], 9u);
}

TEST(Exec, CompressedAndFullSizeInstructionsMix)
{
	TestVm vm;
	struct hart *h = vm.h();
	uint64_t pc = kRam;

	pc = vm.put16(pc, c_li(1, 5));
	pc = vm.put(pc, { addi(2, 0, 7) });
	pc = vm.put16(pc, c_add(1, 2));     /* x1 = 12 */
	pc = vm.put16(pc, c_mv(3, 1));      /* x3 = 12 */
	pc = vm.put(pc, { addi(3, 3, 1) }); /* x3 = 13, at an odd halfword */
	pc = vm.put16(pc, c_slli(3, 4));    /* x3 = 208 */
	pc = vm.put16(pc, c_addi(3, -8));   /* x3 = 200 */
	pc = vm.put(pc, { auipc(4, 0) });
	vm.put(pc, { spin() });
	vm.run(8);
	EXPECT_EQ(h->x[1], 12u);
	EXPECT_EQ(h->x[3], 200u);
	EXPECT_EQ(h->x[4], pc - 4);
	EXPECT_EQ(h->pc, pc);
	EXPECT_EQ(pc - kRam, 2u + 4 + 2 + 2 + 4 + 2 + 2 + 4);
}

/* Rewrite `addi x5, x0, 1` at target into `addi x5, x0, 42` while the
 * block holding it has already been decoded. */
void smc_program(TestVm &vm, bool with_fence)
{
	struct hart *h = vm.h();
	const uint64_t target = kRam + 0x100;

	vm.put(kRam, {
			     jal(1, 0x100), /* call target */
			     add(6, 5, 0),  /* x6 = first result */
			     sw(3, 2, 0),   /* rewrite target */
			     with_fence ? fence_i() : nop(),
			     jal(1, 0x100 - 16), /* call target again */
			     spin(),
		     });
	vm.put(target, { addi(5, 0, 1), jalr(0, 1, 0) });
	h->x[2] = target;
	h->x[3] = addi(5, 0, 42);
}

TEST(Exec, RewrittenCodeIsSeenOnTheNextExecutionWithFenceI)
{
	TestVm vm;
	smc_program(vm, true);
	vm.run(9);
	EXPECT_EQ(vm.h()->x[6], 1u);
	EXPECT_EQ(vm.h()->x[5], 42u);
}

TEST(Exec, RewrittenCodeIsSeenOnTheNextExecutionWithoutFenceI)
{
	TestVm vm;
	smc_program(vm, false);
	vm.run(9);
	EXPECT_EQ(vm.h()->x[6], 1u);
	EXPECT_EQ(vm.h()->x[5], 42u);
}

/* A store that rewrites a later instruction of the block it is in: the
 * engine promises the new instruction at once (the block ends after the
 * store), which is what a run in single steps sees too, so the result does
 * not depend on where quanta end. */
TEST(Exec, StoreIntoTheRunningBlockIsSeenAtOnce)
{
	for (icount_t stride : { 1, 100 }) {
		TestVm vm;
		struct hart *h = vm.h();
		vm.put(kRam, { sw(3, 2, 0), nop(), nop(), addi(5, 0, 1), spin() });
		h->x[2] = kRam + 12;
		h->x[3] = addi(5, 0, 42);
		while (h->icount < 4)
			vm.run(std::min<icount_t>(h->icount + stride, 4));
		EXPECT_EQ(h->x[5], 42u) << "stride " << stride;
	}
}

TEST(Exec, LoopBodyRewrittenByALaterIterationRuns)
{
	/* The block is executed many times, cached and chained, before the
	 * loop overwrites its own increment. */
	TestVm vm;
	struct hart *h = vm.h();
	vm.put(kRam, {
			     addi(5, 5, 1), /* 0: rewritten to addi x5, x5, 100 */
			     addi(9, 9, 1),
			     bne(9, 10, 8), /* at iteration 10: */
			     sw(3, 2, 0),   /*   rewrite instruction 0 */
			     blt(9, 11, -16),
			     spin(),
		     });
	h->x[2] = kRam;
	h->x[3] = addi(5, 5, 100);
	h->x[10] = 10;
	h->x[11] = 20;
	vm.run(20 * 4 + 1);
	EXPECT_EQ(h->x[9], 20u);
	EXPECT_EQ(h->x[5], 10u + 10u * 100u);
}

TEST(Exec, InstructionStraddlingAPageBoundaryExecutes)
{
	TestVm vm;
	struct hart *h = vm.h();
	const uint64_t page2 = kRam + 0x1000;

	vm.put(page2 - 0x10, { addi(1, 1, 1), addi(1, 1, 1), addi(1, 1, 1) });
	vm.put16(page2 - 4, c_addi(1, 1));
	/* addi x1, x1, 0x123 at page2 - 2: its halves are in two pages. */
	uint32_t w = addi(1, 1, 0x123);
	vm.put16(page2 - 2, (uint16_t)w);
	vm.put16(page2, (uint16_t)(w >> 16));
	vm.put(page2 + 2, { addi(2, 0, 9), spin() });
	h->pc = page2 - 0x10;
	vm.run(6);
	EXPECT_EQ(h->x[1], 4u + 0x123);
	EXPECT_EQ(h->x[2], 9u);
	EXPECT_EQ(h->pc, page2 + 6);

	/* And again, now that the blocks around it are cached. */
	h->pc = page2 - 0x10;
	h->x[1] = 0;
	vm.step(5);
	EXPECT_EQ(h->x[1], 4u + 0x123);
}

TEST(Exec, JalrClearsBitZeroAndLinksBeforeJumping)
{
	TestVm vm;
	struct hart *h = vm.h();

	vm.put(kRam, { jalr(2, 1, 0) });
	vm.put(kRam + 0x100, { jalr(1, 1, 0x10) }); /* rd == rs1 */
	h->x[1] = kRam + 0x101;
	vm.run(1);
	EXPECT_EQ(h->pc, kRam + 0x100);
	EXPECT_EQ(h->x[2], kRam + 4);
	vm.run(2);
	EXPECT_EQ(h->pc, kRam + 0x110);
	EXPECT_EQ(h->x[1], kRam + 0x104);
}

TEST(Exec, WordOperationsSignExtendTheirResults)
{
	TestVm vm;
	struct hart *h = vm.h();

	h->x[1] = 0x7fffffffull;
	h->x[2] = 0xffffffff00000001ull;
	h->x[3] = 33; /* shift amounts use the low 5 bits */
	vm.put(kRam, {
			     addiw(10, 1, 1),  /* 0xffffffff80000000 */
			     addw(11, 2, 2),   /* 2 */
			     subw(12, 0, 2),   /* -1 */
			     sllw(13, 1, 3),   /* 0x7fffffff << 1 -> 0xfffffffe -> -2 */
			     sraw(14, 10, 3),  /* 0x80000000 >> 1 = 0xc0000000 */
			     srliw(15, 10, 4), /* 0x08000000 */
			     slliw(16, 1, 31), /* 0x80000000 sign-extended */
			     sraiw(17, 2, 0),  /* sext of the low word: 1 */
			     addiw(18, 2, 0),  /* sext.w */
		     });
	vm.run(9);
	EXPECT_EQ(h->x[10], 0xffffffff80000000ull);
	EXPECT_EQ(h->x[11], 2u);
	EXPECT_EQ(h->x[12], ~0ull);
	EXPECT_EQ(h->x[13], 0xfffffffffffffffeull);
	EXPECT_EQ(h->x[14], 0xffffffffc0000000ull);
	EXPECT_EQ(h->x[15], 0x08000000ull);
	EXPECT_EQ(h->x[16], 0xffffffff80000000ull);
	EXPECT_EQ(h->x[17], 1u);
	EXPECT_EQ(h->x[18], 1u);
}

TEST(Exec, DivisionByZeroAndOverflowFollowTheSpec)
{
	TestVm vm;
	struct hart *h = vm.h();

	h->x[1] = 1234;
	h->x[2] = 0;
	h->x[3] = 0x8000000000000000ull;
	h->x[4] = ~0ull;                 /* -1 */
	h->x[5] = 0xffffffff80000000ull; /* INT32_MIN */
	vm.put(kRam, {
			     div(10, 1, 2),
			     divu(11, 1, 2),
			     rem(12, 1, 2),
			     remu(13, 1, 2),
			     div(14, 3, 4),
			     rem(15, 3, 4),
			     divw(16, 1, 2),
			     divuw(17, 1, 2),
			     remw(18, 1, 2),
			     divw(19, 5, 4),
			     remw(20, 5, 4),
		     });
	vm.run(11);
	EXPECT_EQ(h->x[10], ~0ull);
	EXPECT_EQ(h->x[11], ~0ull);
	EXPECT_EQ(h->x[12], 1234u);
	EXPECT_EQ(h->x[13], 1234u);
	EXPECT_EQ(h->x[14], 0x8000000000000000ull);
	EXPECT_EQ(h->x[15], 0u);
	EXPECT_EQ(h->x[16], ~0ull);
	EXPECT_EQ(h->x[17], ~0ull);
	EXPECT_EQ(h->x[18], 1234u);
	EXPECT_EQ(h->x[19], 0xffffffff80000000ull);
	EXPECT_EQ(h->x[20], 0u);
}

TEST(Exec, StoreConditionalNeedsAMatchingReservation)
{
	TestVm vm;
	struct hart *h = vm.h();

	vm.put64(kData, 7);
	vm.put64(kData + 8, 8);
	h->x[2] = kData;
	h->x[3] = 99;
	h->x[7] = kData + 8;
	vm.put(kRam,
	       {
		       sc_d(10, 2, 3),             /* no reservation: fails */
		       lr_d(4, 2), sc_d(11, 7, 3), /* other address: fails, drops the reservation */
		       sc_d(12, 2, 3),             /* so this fails too */
		       lr_d(5, 2), sc_d(13, 2, 3), /* succeeds */
		       sc_d(14, 2, 3),             /* the reservation was used */
	       });
	vm.run(7);
	EXPECT_NE(h->x[10], 0u);
	EXPECT_EQ(h->x[4], 7u);
	EXPECT_NE(h->x[11], 0u);
	EXPECT_NE(h->x[12], 0u);
	EXPECT_EQ(h->x[13], 0u);
	EXPECT_NE(h->x[14], 0u);
	EXPECT_EQ(vm.get64(kData), 99u);
	EXPECT_EQ(vm.get64(kData + 8), 8u);
}

TEST(Exec, StoreConditionalFailsAfterMret)
{
	TestVm vm;
	struct hart *h = vm.h();

	h->x[2] = kData;
	h->x[3] = 5;
	h->mstatus |= MSTATUS_MPP; /* mret stays in M */
	h->mepc = kRam + 8;
	vm.put(kRam, { lr_w(4, 2), mret(), sc_w(10, 2, 3) });
	vm.run(3);
	EXPECT_EQ(h->priv, (unsigned)PRIV_M);
	EXPECT_NE(h->x[10], 0u);
	EXPECT_EQ(vm.get32(kData), 0u);
}

TEST(Exec, AmosReturnTheOldValueAndStoreTheResult)
{
	TestVm vm;
	struct hart *h = vm.h();

	vm.put64(kData, 0x00000000fffffff0ull); /* word: -16 */
	vm.put64(kData + 8, 0x8000000000000000ull);
	vm.put64(kData + 16, 3);
	h->x[2] = kData;
	h->x[3] = kData + 8;
	h->x[4] = kData + 16;
	h->x[5] = 5;
	h->x[6] = 7;
	vm.put(kRam, {
			     amoadd_w(10, 2, 5),  /* -16 + 5 = -11 */
			     amomin_w(11, 2, 5),  /* min(-11, 5) = -11 (signed) */
			     amomaxu_d(12, 3, 6), /* max unsigned keeps 0x8000... */
			     amoswap_d(13, 4, 6),
		     });
	vm.run(4);
	EXPECT_EQ(h->x[10], 0xfffffffffffffff0ull);
	EXPECT_EQ(h->x[11], 0xfffffffffffffff5ull);
	EXPECT_EQ(vm.get32(kData), 0xfffffff5u);
	EXPECT_EQ(h->x[12], 0x8000000000000000ull);
	EXPECT_EQ(vm.get64(kData + 8), 0x8000000000000000ull);
	EXPECT_EQ(h->x[13], 3u);
	EXPECT_EQ(vm.get64(kData + 16), 7u);
}

TEST(Exec, AmoFaultsMisalignedAndOnDevices)
{
	TestVm vm;
	struct hart *h = vm.h();

	install_handler(vm);
	h->x[2] = kData + 4;
	vm.put(kRam, { amoadd_d(10, 2, 0) });
	vm.run(1);
	EXPECT_EQ(h->mcause, (uint64_t)CAUSE_MISALIGNED_STORE);
	EXPECT_EQ(h->mtval, kData + 4);

	h->pc = kRam;
	h->x[2] = HV_CLINT_BASE + 0x4000;
	vm.step(1);
	EXPECT_EQ(h->mcause, (uint64_t)CAUSE_STORE_ACCESS);
	EXPECT_EQ(h->mtval, HV_CLINT_BASE + 0x4000);
	EXPECT_EQ(h->mtimecmp, ~0ull);
}

TEST(Exec, FloatingPointWithFsOffIsIllegal)
{
	TestVm vm;
	struct hart *h = vm.h();

	install_handler(vm);
	ASSERT_EQ(h->mstatus & MSTATUS_FS, 0u);
	vm.put(kRam, { fadd_d(1, 2, 3) });
	vm.run(1);
	EXPECT_EQ(h->mcause, (uint64_t)CAUSE_ILLEGAL_INSN);
	EXPECT_EQ(h->mtval, (uint64_t)fadd_d(1, 2, 3));
	EXPECT_EQ(h->mepc, kRam);

	/* A load into an FP register too. */
	h->pc = kRam;
	h->x[2] = kData;
	vm.put(kRam, { fld(1, 2, 0) });
	vm.step(1);
	EXPECT_EQ(h->mcause, (uint64_t)CAUSE_ILLEGAL_INSN);
	EXPECT_EQ(h->mepc, kRam);
}

TEST(Exec, ReservedRoundingModesAreIllegal)
{
	struct Case {
		uint32_t rm, frm;
		bool legal;
	};
	for (Case c :
	     { Case{ 5, 0, false }, Case{ 6, 0, false }, Case{ 7, 5, false }, Case{ 7, 6, false },
	       Case{ 7, 7, false }, Case{ 7, 1, true }, Case{ 4, 7, true } }) {
		TestVm vm;
		struct hart *h = vm.h();
		install_handler(vm);
		h->mstatus |= 1ull << MSTATUS_FS_SHIFT; /* Initial */
		h->frm = c.frm;
		vm.put(kRam, { fadd_d(1, 2, 3, c.rm), addi(9, 0, 1) });
		vm.run(2);
		if (c.legal) {
			EXPECT_EQ(h->x[9], 1u) << "rm " << c.rm << " frm " << c.frm;
		} else {
			EXPECT_EQ(h->mcause, (uint64_t)CAUSE_ILLEGAL_INSN)
				<< "rm " << c.rm << " frm " << c.frm;
			EXPECT_EQ(h->mepc, kRam);
		}
	}
}

TEST(Exec, SingleOpsReadUnboxedValuesAsCanonicalNan)
{
	TestVm vm;
	struct hart *h = vm.h();

	h->mstatus |= MSTATUS_FS;
	h->f[1] = 0x000000003f800000ull; /* 1.0f, not NaN-boxed */
	h->f[2] = 0xffffffff3f800000ull; /* 1.0f, boxed */
	vm.put(kRam, {
			     fadd_s(3, 1, 2, 0),
			     fadd_s(4, 2, 2, 0),
			     fclass_s(10, 1),
			     fclass_s(11, 2),
			     fmv_x_w(12, 1), /* moves bits: no unboxing */
			     fsgnj_s(5, 1, 1),
		     });
	vm.run(6);
	EXPECT_EQ(h->f[3], 0xffffffff7fc00000ull);
	EXPECT_EQ(h->f[4], 0xffffffff40000000ull);
	EXPECT_EQ(h->x[10], 1u << 9); /* quiet NaN */
	EXPECT_EQ(h->x[11], 1u << 6); /* positive normal */
	EXPECT_EQ(h->x[12], 0x3f800000u);
	EXPECT_EQ(h->f[5], 0xffffffff7fc00000ull);
}

TEST(Exec, DoubleArithmeticSetsResultsFlagsAndDirtiesFs)
{
	TestVm vm;
	struct hart *h = vm.h();

	h->mstatus |= 1ull << MSTATUS_FS_SHIFT;
	h->x[1] = 1;
	h->x[2] = 3;
	vm.put(kRam, {
			     fcvt_d_l(1, 1),
			     fcvt_d_l(2, 2),
			     fdiv_d(3, 1, 2, 0), /* 1/3: inexact */
			     fmul_d(4, 3, 2, 0),
			     fcvt_l_d(10, 4, 1), /* toward zero: 0 or 1 */
			     feq_d(11, 2, 2),
			     fadd_d(5, 2, 2, 0),
			     fmv_x_d(12, 5),
		     });
	vm.run(8);
	EXPECT_EQ(h->x[11], 1u);
	EXPECT_EQ(h->x[12], 0x4018000000000000ull); /* 6.0 */
	EXPECT_TRUE(h->x[10] == 0 || h->x[10] == 1);
	EXPECT_EQ(h->fflags & 0x1f, 0x01u);             /* NX only */
	EXPECT_EQ(h->mstatus & MSTATUS_FS, MSTATUS_FS); /* Dirty */
}

/*
 * A trap vector whose first instruction faults makes the hart trap at the
 * same place forever without retiring anything. The architecture allows
 * that livelock, but the host must get control back: exec_run(h, limit)
 * has to return (the child is killed by the alarm if it does not).
 */
TEST(ExecDeathTest, FaultingTrapVectorDoesNotHangExecRun)
{
	EXPECT_EXIT(
		{
			TestVm vm;
			vm.h()->mtvec = kHole;
			vm.h()->pc = kHole;
			alarm(2);
			vm.run(100);
			_exit(0);
		},
		::testing::ExitedWithCode(0), "");
}

TEST(ExecDeathTest, TrapVectorHoldingAnIllegalInstructionDoesNotHangExecRun)
{
	EXPECT_EXIT(
		{
			TestVm vm;
			vm.put(kHandler, { 0xffffffffu });
			vm.h()->mtvec = kHandler;
			vm.put(kRam, { ebreak() });
			alarm(2);
			vm.run(100);
			_exit(0);
		},
		::testing::ExitedWithCode(0), "");
}

} // namespace
