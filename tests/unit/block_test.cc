// SPDX-License-Identifier: MIT
/*
 * Tests of the block cache (hv/cpu/block.c): where block_decode ends a block
 * (after an ENDS_BLOCK or illegal instruction, at the page end, at
 * BLOCK_MAX_INSNS or the caller's maximum, never across a page), the
 * per-instruction offsets, invalidation of exactly one page's blocks (by
 * block_invalidate_page, by a debugger write and by a guest store), and
 * the x0 sink: integer destinations x0 become register 32, FP destinations
 * f0 stay 0.
 *
 * The handler table passed in is a dummy (distinct addresses per id); no
 * block built here is ever executed.
 */
#include <gtest/gtest.h>

extern "C" {
#include "hv/cpu/block.h"
#include "hv/cpu/mmu.h"
}

#include "tests/unit/testutil.h"

using namespace tu;

namespace {

class BlockTest : public ::testing::Test {
protected:
	void SetUp() override
	{
		ASSERT_NE(vm.m, nullptr) << vm.error;
		for (unsigned i = 0; i <= ISA_COUNT; i++)
			handlers[i] = &marks[i];
	}
	int decode(uint64_t pa, unsigned max = BLOCK_MAX_INSNS)
	{
		return block_decode(vm.m, pa, max, out, handlers, &end_mark);
	}
	struct block *build(uint64_t pa) { return block_build(vm.m, pa, handlers, &end_mark); }
	uint8_t page_flags(uint64_t pa) { return vm.m->ram.flags[(pa - kRam) >> 12]; }

	TestVm vm;
	char marks[ISA_COUNT + 1] = {};
	char end_mark = 0;
	const void *handlers[ISA_COUNT + 1] = {};
	struct insn out[BLOCK_MAX_INSNS + 1];
};

TEST_F(BlockTest, EndsAfterTheFirstBlockEndingInstruction)
{
	const uint32_t enders[] = {
		beq(1, 2, 8),
		jal(0, 8),
		jalr(0, 1, 0),
		ecall(),
		ebreak(),
		fence_i(),
		csrrs(1, CSR_MSCRATCH, 0),
		mret(),
		sret(),
		wfi(),
		sfence_vma(0, 0),
	};
	for (uint32_t e : enders) {
		vm.put(kRam, { addi(1, 1, 1), addi(1, 1, 1), e, addi(1, 1, 1) });
		ASSERT_EQ(decode(kRam), 3) << std::hex << e;
		EXPECT_EQ(out[2].raw, e);
		EXPECT_EQ(out[3].handler, &end_mark) << "sentinel after the last";
		EXPECT_EQ(out[3].pcoff, 12u);
		EXPECT_EQ(out[3].idx, 3u);
	}
	/* Ordinary loads, stores, AMOs and FENCE do not end a block. */
	vm.put(kRam,
	       { ld(1, 2, 0), sd(1, 2, 0), amoadd_w(1, 2, 3), fence(), addi(1, 1, 1), jal(0, 0) });
	EXPECT_EQ(decode(kRam), 6);
}

TEST_F(BlockTest, IllegalInstructionEndsTheBlock)
{
	vm.put(kRam, { addi(1, 1, 1), 0xffffffffu, addi(1, 1, 1) });
	ASSERT_EQ(decode(kRam), 2);
	EXPECT_EQ(out[1].op, (uint16_t)ISA_ILLEGAL);
	EXPECT_EQ(out[1].handler, handlers[ISA_ILLEGAL]);
}

TEST_F(BlockTest, EndsAtThePageEnd)
{
	const uint64_t page_end = kRam + 0x2000;
	vm.put(page_end - 0x10, std::vector<uint32_t>(8, addi(1, 1, 1)));
	ASSERT_EQ(decode(page_end - 0x10), 4);
	EXPECT_EQ(out[4].pcoff, 16u);

	/* A 32-bit instruction that straddles the page end is left out... */
	vm.put16(page_end - 0x6, c_nop());
	uint32_t w = addi(1, 1, 1);
	vm.put16(page_end - 0x4, c_nop());
	vm.put16(page_end - 0x2, (uint16_t)w);
	vm.put16(page_end, (uint16_t)(w >> 16));
	ASSERT_EQ(decode(page_end - 0x6), 2);
	EXPECT_EQ(out[2].pcoff, 4u);
	/* ... and a block starting with it is empty. */
	EXPECT_EQ(decode(page_end - 0x2), 0);
	EXPECT_EQ(build(page_end - 0x2), nullptr);
	/* A compressed instruction fits in the last two bytes. */
	vm.put16(page_end - 0x2, c_nop());
	EXPECT_EQ(decode(page_end - 0x2), 1);
}

TEST_F(BlockTest, EndsAtTheMaximumLength)
{
	vm.put(kRam, std::vector<uint32_t>(300, addi(1, 1, 1)));
	EXPECT_EQ(decode(kRam), BLOCK_MAX_INSNS);
	EXPECT_EQ(out[BLOCK_MAX_INSNS].pcoff, 4u * BLOCK_MAX_INSNS);
	EXPECT_EQ(decode(kRam, 5), 5);
	EXPECT_EQ(decode(kRam, 1000), BLOCK_MAX_INSNS);
	struct block *b = build(kRam);
	ASSERT_NE(b, nullptr);
	EXPECT_EQ(b->n, (uint32_t)BLOCK_MAX_INSNS);
	EXPECT_EQ(b->bytes, 4u * BLOCK_MAX_INSNS);
}

TEST_F(BlockTest, RecordsOffsetsOfMixedLengthInstructions)
{
	uint64_t pa = vm.put16(kRam, c_li(1, 3));
	pa = vm.put(pa, { addi(2, 0, 1) });
	pa = vm.put16(pa, c_add(1, 2));
	vm.put(pa, { jal(0, 0) });
	ASSERT_EQ(decode(kRam), 4);
	const unsigned pcoff[] = { 0, 2, 6, 8, 12 };
	const unsigned len[] = { 2, 4, 2, 4 };
	for (unsigned i = 0; i < 4; i++) {
		EXPECT_EQ(out[i].pcoff, pcoff[i]) << i;
		EXPECT_EQ(out[i].idx, i);
		EXPECT_EQ(out[i].len, len[i]) << i;
	}
	EXPECT_EQ(out[4].pcoff, pcoff[4]);
	/* c.li decodes as its expansion addi rd, x0, imm. */
	EXPECT_EQ(out[0].op, (uint16_t)ISA_addi);
	EXPECT_EQ(out[0].imm, 3);
}

TEST_F(BlockTest, InvalidationDropsExactlyThePagesBlocks)
{
	const uint64_t a = kRam + 0x3000, b = kRam + 0x4000;
	vm.put(a, { addi(1, 1, 1), jal(0, 0), addi(1, 1, 2), jal(0, 0) });
	vm.put(b, { addi(1, 1, 3), jal(0, 0) });
	struct block *a0 = build(a), *a1 = build(a + 8), *b0 = build(b);
	ASSERT_TRUE(a0 && a1 && b0);
	EXPECT_EQ(block_lookup(vm.m, a), a0);
	EXPECT_EQ(block_lookup(vm.m, a + 8), a1);
	EXPECT_EQ(block_lookup(vm.m, b), b0);
	EXPECT_TRUE(page_flags(a) & RAM_PF_CODE);
	EXPECT_TRUE(page_flags(b) & RAM_PF_CODE);
	EXPECT_EQ(page_flags(kRam + 0x5000), 0u);

	block_invalidate_page(vm.m, a + 0x123);
	EXPECT_EQ(block_lookup(vm.m, a), nullptr);
	EXPECT_EQ(block_lookup(vm.m, a + 8), nullptr);
	EXPECT_EQ(block_lookup(vm.m, b), b0);
	EXPECT_FALSE(page_flags(a) & RAM_PF_CODE);
	EXPECT_TRUE(page_flags(b) & RAM_PF_CODE);
	EXPECT_FALSE(a0->valid) << "dropped blocks wait for block_reap";
	block_reap(vm.m->blocks);

	/* A debugger write into page b drops b's block; one into a data
	 * page next to it drops nothing. */
	struct block *a2 = build(a);
	uint32_t zero = 0;
	ASSERT_TRUE(machine_write_phys(vm.m, kRam + 0x5000, &zero, 4));
	EXPECT_EQ(block_lookup(vm.m, b), b0);
	ASSERT_TRUE(machine_write_phys(vm.m, b + 0xffc, &zero, 4));
	EXPECT_EQ(block_lookup(vm.m, b), nullptr);
	EXPECT_EQ(block_lookup(vm.m, a), a2);
	block_reap(vm.m->blocks);
}

TEST_F(BlockTest, GuestStoreToACodePageDropsItsBlocksEvenAfterATlbFill)
{
	struct hart *h = vm.h();
	const uint64_t p = kRam + 0x6000;
	vm.put(p, { addi(1, 1, 1), jal(0, 0) });
	/* A store fills the store TLB while the page is still data. */
	ASSERT_EQ(mmu_store(h, p + 0x800, 8, 1), 0);
	const struct tlb_entry *e = &h->tlb[ACC_STORE][(p >> 12) & (TLB_SIZE - 1)];
	ASSERT_EQ(e->tag, p);
	/* Decoding code there must take the entry away... */
	ASSERT_NE(build(p), nullptr);
	EXPECT_EQ(e->tag, TLB_INVALID);
	/* ... so that the next store reaches the slow path and drops it. */
	ASSERT_EQ(mmu_store(h, p + 0x800, 8, 2), 0);
	EXPECT_EQ(block_lookup(vm.m, p), nullptr);
	block_reap(vm.m->blocks);
}

TEST_F(BlockTest, FlushAllDropsEverything)
{
	vm.put(kRam + 0x7000, { jal(0, 0) });
	vm.put(kRam + 0x9000, { jal(0, 0) });
	ASSERT_NE(build(kRam + 0x7000), nullptr);
	ASSERT_NE(build(kRam + 0x9000), nullptr);
	block_flush_all(vm.m);
	EXPECT_EQ(block_lookup(vm.m, kRam + 0x7000), nullptr);
	EXPECT_EQ(block_lookup(vm.m, kRam + 0x9000), nullptr);
	EXPECT_EQ(page_flags(kRam + 0x7000), 0u);
	EXPECT_EQ(page_flags(kRam + 0x9000), 0u);
	block_reap(vm.m->blocks);
}

TEST_F(BlockTest, WritesToX0GoToTheSinkButFpDestinationsDoNot)
{
	struct Case {
		uint32_t raw;
		uint8_t rd;
	};
	const Case cases[] = {
		{ addi(0, 1, 1), 32 },
		{ lui(0, 1), 32 },
		{ ld(0, 1, 0), 32 },
		{ jal(0, 8), 32 },
		{ csrrs(0, CSR_MSCRATCH, 1), 32 },
		{ amoadd_d(0, 1, 2), 32 },
		{ fmv_x_w(0, 1), 32 }, /* integer rd */
		{ feq_d(0, 1, 2), 32 },
		{ fcvt_l_d(0, 1), 32 },
		{ fclass_s(0, 1), 32 },
		{ addi(5, 1, 1), 5 },
		{ fadd_s(0, 1, 2), 0 }, /* f0 */
		{ fadd_d(0, 1, 2), 0 },
		{ fmv_w_x(0, 1), 0 },
		{ fmv_d_x(0, 1), 0 },
		{ fcvt_d_l(0, 1), 0 },
		{ flw(0, 1, 0), 0 },
		{ fld(0, 1, 0), 0 },
	};
	for (const Case &c : cases) {
		struct insn in;
		block_fill_insn(&in, c.raw, handlers);
		EXPECT_EQ(in.rd, c.rd) << std::hex << c.raw;
		EXPECT_EQ(in.handler, handlers[in.op]);
	}
	/* A compressed FP load to f8 keeps its register. */
	struct insn in;
	block_fill_insn(&in, 0x2000u /* c.fld f8, 0(x8) */, handlers);
	EXPECT_EQ(in.op, (uint16_t)ISA_fld);
	EXPECT_EQ(in.rd, 8u);
}

} // namespace
