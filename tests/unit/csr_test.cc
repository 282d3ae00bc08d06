// SPDX-License-Identifier: MIT
/*
 * Tests of CSR access (hv/cpu/csr.c): the privilege encoded in the CSR number,
 * read-only CSRs (write illegal, csrrs/csrrc with x0 fine), counter
 * enables, satp (unsupported modes, TVM), the WARL fields of mstatus,
 * medeleg, mideleg, mie, mtvec and mepc, the sip/sie views through
 * mideleg, the FP CSRs and mstatus.FS, and writes to mcycle/minstret.
 * Privileged spec 1.12 chapters 2-4; Zicsr and Zicntr chapters.
 *
 * csr_read/csr_write are called directly on a reset hart; the
 * instruction-level rules (x0 operands, counters after a write) run
 * through the executor.
 */
#include <gtest/gtest.h>

#include "tests/unit/testutil.h"

using namespace tu;

namespace {

class CsrTest : public ::testing::Test {
protected:
	void SetUp() override
	{
		ASSERT_NE(vm.m, nullptr) << vm.error;
		h = vm.h();
	}
	bool rd_ok(unsigned csr)
	{
		uint64_t v;
		return csr_read(h, csr, &v) == 0;
	}
	bool wr_ok(unsigned csr, uint64_t v) { return csr_write(h, csr, v) == 0; }
	uint64_t rd(unsigned csr)
	{
		uint64_t v = 0xdeadbeef;
		EXPECT_EQ(csr_read(h, csr, &v), 0) << "csr " << std::hex << csr;
		return v;
	}

	TestVm vm{ 2 };
	struct hart *h = nullptr;
};

TEST_F(CsrTest, PrivilegeLevelComesFromTheCsrNumber)
{
	h->priv = PRIV_U;
	EXPECT_FALSE(rd_ok(CSR_SSTATUS));
	EXPECT_FALSE(rd_ok(CSR_MSTATUS));
	EXPECT_FALSE(wr_ok(CSR_SSCRATCH, 1));
	h->priv = PRIV_S;
	EXPECT_TRUE(rd_ok(CSR_SSTATUS));
	EXPECT_TRUE(wr_ok(CSR_SSCRATCH, 1));
	EXPECT_FALSE(rd_ok(CSR_MSTATUS));
	EXPECT_FALSE(rd_ok(CSR_MSCRATCH));
	EXPECT_FALSE(wr_ok(CSR_MSCRATCH, 1));
	EXPECT_FALSE(rd_ok(CSR_MHARTID));
	h->priv = PRIV_M;
	EXPECT_TRUE(rd_ok(CSR_MSTATUS));
	EXPECT_TRUE(rd_ok(CSR_SSTATUS));
	/* Hypervisor CSRs (0x2xx, 0x6xx) do not exist here: illegal even
	 * in M. So does an unassigned number. */
	EXPECT_FALSE(rd_ok(0x200));
	EXPECT_FALSE(rd_ok(0x600));
	EXPECT_FALSE(rd_ok(0x7ff));
	EXPECT_FALSE(wr_ok(0x5c0, 0));
}

TEST_F(CsrTest, ReadOnlyCsrsRejectWrites)
{
	EXPECT_FALSE(wr_ok(CSR_MHARTID, 0));
	EXPECT_FALSE(wr_ok(CSR_MVENDORID, 0));
	EXPECT_FALSE(wr_ok(CSR_CYCLE, 0));
	EXPECT_FALSE(wr_ok(CSR_TIME, 0));
	uint64_t id = 0;
	ASSERT_EQ(csr_read(vm.h(1), CSR_MHARTID, &id), 0);
	EXPECT_EQ(id, 1u);
}

TEST_F(CsrTest, ReadOnlyCsrWithX0SourceIsARead)
{
	struct hart *h1 = vm.h(1);
	vm.put(kRam + 0x8000, { csrrs(31, CSR_MCAUSE, 0), spin() });
	h1->mtvec = kRam + 0x8000;
	h1->x[1] = 1;
	vm.put(kRam, {
			     csrrs(10, CSR_MHARTID, 0),  /* read */
			     csrrsi(11, CSR_MHARTID, 0), /* read */
			     csrrc(12, CSR_MHARTID, 0),  /* read */
			     csrrs(13, CSR_MHARTID, 1),  /* write attempt: illegal */
		     });
	vm.run(5, 1);
	EXPECT_EQ(h1->x[10], 1u);
	EXPECT_EQ(h1->x[11], 1u);
	EXPECT_EQ(h1->x[12], 1u);
	EXPECT_EQ(h1->x[13], 0u);
	EXPECT_EQ(h1->mepc, kRam + 12);
	EXPECT_EQ(h1->x[31], (uint64_t)CAUSE_ILLEGAL_INSN);

	/* csrrwi always writes, even with uimm 0. */
	h1->pc = kRam;
	vm.put(kRam, { csrrwi(14, CSR_MHARTID, 0) });
	vm.step(2, 1);
	EXPECT_EQ(h1->mepc, kRam);
	EXPECT_EQ(h1->mcause, (uint64_t)CAUSE_ILLEGAL_INSN);
}

TEST_F(CsrTest, CountersAreGatedByCounterEnables)
{
	for (unsigned csr : { (unsigned)CSR_CYCLE, (unsigned)CSR_TIME, (unsigned)CSR_INSTRET,
			      (unsigned)CSR_HPMCOUNTER3 }) {
		unsigned bit = csr & 31;
		SCOPED_TRACE(testing::Message() << "csr " << std::hex << csr);
		h->mcounteren = 0;
		h->scounteren = 0;
		h->priv = PRIV_M;
		EXPECT_TRUE(rd_ok(csr));
		h->priv = PRIV_S;
		EXPECT_FALSE(rd_ok(csr));
		h->scounteren = ~0u;
		EXPECT_FALSE(rd_ok(csr));
		h->mcounteren = 1u << bit;
		EXPECT_TRUE(rd_ok(csr));
		h->priv = PRIV_U;
		h->scounteren = 0;
		EXPECT_FALSE(rd_ok(csr));
		h->scounteren = 1u << bit;
		EXPECT_TRUE(rd_ok(csr));
		h->mcounteren = ~(1u << bit);
		h->scounteren = ~0u;
		EXPECT_FALSE(rd_ok(csr));
	}
}

TEST_F(CsrTest, SatpWriteWithUnsupportedModeIsIgnoredEntirely)
{
	const uint64_t good = 8ull << 60 | 0x1234ull << 44 | 0x80123;
	ASSERT_TRUE(wr_ok(CSR_SATP, good));
	EXPECT_EQ(rd(CSR_SATP), good);
	for (uint64_t mode : { 1ull, 7ull, 10ull, 11ull, 15ull }) {
		EXPECT_TRUE(wr_ok(CSR_SATP, mode << 60 | 0x55ull << 44 | 0x999));
		EXPECT_EQ(rd(CSR_SATP), good) << "mode " << mode;
	}
	ASSERT_TRUE(wr_ok(CSR_SATP, 9ull << 60 | 0x42));
	EXPECT_EQ(rd(CSR_SATP), 9ull << 60 | 0x42);
	ASSERT_TRUE(wr_ok(CSR_SATP, 0));
	EXPECT_EQ(rd(CSR_SATP), 0u);
}

TEST_F(CsrTest, SatpIsIllegalInSupervisorModeUnderTvm)
{
	h->mstatus |= MSTATUS_TVM;
	h->priv = PRIV_S;
	EXPECT_FALSE(rd_ok(CSR_SATP));
	EXPECT_FALSE(wr_ok(CSR_SATP, 0));
	h->priv = PRIV_M;
	EXPECT_TRUE(rd_ok(CSR_SATP));
	EXPECT_TRUE(wr_ok(CSR_SATP, 8ull << 60 | 5));
	h->mstatus &= ~MSTATUS_TVM;
	h->priv = PRIV_S;
	EXPECT_TRUE(wr_ok(CSR_SATP, 0));
	EXPECT_EQ(h->satp, 0u);
}

TEST_F(CsrTest, MstatusWarlFields)
{
	ASSERT_TRUE(wr_ok(CSR_MSTATUS, 1ull << 11)); /* MPP = S */
	ASSERT_TRUE(wr_ok(CSR_MSTATUS, 2ull << 11)); /* reserved: keeps S */
	EXPECT_EQ((rd(CSR_MSTATUS) >> 11) & 3, 1u);
	ASSERT_TRUE(wr_ok(CSR_MSTATUS, 3ull << 11));
	EXPECT_EQ((rd(CSR_MSTATUS) >> 11) & 3, 3u);

	/* UXL and SXL read 2 (64-bit) whatever is written. */
	ASSERT_TRUE(wr_ok(CSR_MSTATUS, 0));
	uint64_t s = rd(CSR_MSTATUS);
	EXPECT_EQ((s >> 32) & 3, 2u);
	EXPECT_EQ((s >> 34) & 3, 2u);
	ASSERT_TRUE(wr_ok(CSR_MSTATUS, ~0ull));
	s = rd(CSR_MSTATUS);
	EXPECT_EQ((s >> 32) & 3, 2u);
	EXPECT_EQ((s >> 34) & 3, 2u);
	EXPECT_EQ((rd(CSR_SSTATUS) >> 32) & 3, 2u);

	/* SD summarises FS == Dirty, in mstatus and sstatus. */
	ASSERT_TRUE(wr_ok(CSR_MSTATUS, 1ull << MSTATUS_FS_SHIFT));
	EXPECT_EQ(rd(CSR_MSTATUS) & MSTATUS_SD, 0u);
	ASSERT_TRUE(wr_ok(CSR_MSTATUS, 3ull << MSTATUS_FS_SHIFT));
	EXPECT_EQ(rd(CSR_MSTATUS) & MSTATUS_SD, MSTATUS_SD);
	EXPECT_EQ(rd(CSR_SSTATUS) & MSTATUS_SD, MSTATUS_SD);

	/* sstatus writes reach only the S fields. */
	ASSERT_TRUE(wr_ok(CSR_MSTATUS, 0));
	ASSERT_TRUE(wr_ok(CSR_SSTATUS, ~0ull));
	s = rd(CSR_MSTATUS);
	EXPECT_EQ(s & (MSTATUS_MIE | MSTATUS_MPIE | MSTATUS_MPP | MSTATUS_MPRV | MSTATUS_TVM |
		       MSTATUS_TW | MSTATUS_TSR),
		  0u);
	EXPECT_EQ(s & (MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_SPP | MSTATUS_SUM | MSTATUS_MXR),
		  MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_SPP | MSTATUS_SUM | MSTATUS_MXR);
	EXPECT_EQ(rd(CSR_SSTATUS) & MSTATUS_MIE, 0u);
}

TEST_F(CsrTest, DelegationAndEnableRegistersKeepLegalBits)
{
	ASSERT_TRUE(wr_ok(CSR_MEDELEG, ~0ull));
	uint64_t d = rd(CSR_MEDELEG);
	EXPECT_EQ(d & (1ull << CAUSE_ECALL_M), 0u);
	for (unsigned c : { 0u, 2u, 3u, 5u, 8u, 9u, 12u, 13u, 15u })
		EXPECT_NE(d & (1ull << c), 0u) << "cause " << c;

	ASSERT_TRUE(wr_ok(CSR_MIDELEG, ~0ull));
	EXPECT_EQ(rd(CSR_MIDELEG), MIP_SSIP | MIP_STIP | MIP_SEIP);
	ASSERT_TRUE(wr_ok(CSR_MIE, ~0ull));
	EXPECT_EQ(rd(CSR_MIE), MIP_SSIP | MIP_STIP | MIP_SEIP | MIP_MSIP | MIP_MTIP | MIP_MEIP);
	/* Software cannot raise M-level pending bits. */
	ASSERT_TRUE(wr_ok(CSR_MIP, ~0ull));
	EXPECT_EQ(rd(CSR_MIP), MIP_SSIP | MIP_STIP | MIP_SEIP);
}

TEST_F(CsrTest, SieAndSipAreViewsThroughMideleg)
{
	ASSERT_TRUE(wr_ok(CSR_MIE, MIP_MTIP | MIP_STIP | MIP_SSIP | MIP_SEIP));
	ASSERT_TRUE(wr_ok(CSR_MIDELEG, MIP_STIP | MIP_SSIP));
	EXPECT_EQ(rd(CSR_SIE), MIP_STIP | MIP_SSIP);
	ASSERT_TRUE(wr_ok(CSR_SIE, 0));
	EXPECT_EQ(rd(CSR_MIE), MIP_MTIP | MIP_SEIP) << "sie reaches only delegated bits";
	ASSERT_TRUE(wr_ok(CSR_SIE, ~0ull));
	EXPECT_EQ(rd(CSR_MIE), MIP_MTIP | MIP_SEIP | MIP_STIP | MIP_SSIP);

	ASSERT_TRUE(wr_ok(CSR_MIP, MIP_SEIP | MIP_STIP));
	EXPECT_EQ(rd(CSR_SIP), MIP_STIP) << "SEIP is not delegated";
	ASSERT_TRUE(wr_ok(CSR_SIP, MIP_SSIP));
	EXPECT_EQ(rd(CSR_MIP) & MIP_SSIP, MIP_SSIP);
	ASSERT_TRUE(wr_ok(CSR_SIP, 0));
	EXPECT_EQ(rd(CSR_MIP) & MIP_SSIP, 0u);
	EXPECT_EQ(rd(CSR_MIP) & MIP_STIP, MIP_STIP) << "STIP is read-only through sip";

	ASSERT_TRUE(wr_ok(CSR_MIDELEG, 0));
	ASSERT_TRUE(wr_ok(CSR_SIP, MIP_SSIP));
	EXPECT_EQ(rd(CSR_MIP) & MIP_SSIP, 0u) << "SSIP is not delegated";
	EXPECT_EQ(rd(CSR_SIP), 0u);
	EXPECT_EQ(rd(CSR_SIE), 0u);
}

TEST_F(CsrTest, FloatingPointCsrsComposeAndNeedFs)
{
	EXPECT_FALSE(rd_ok(CSR_FFLAGS));
	EXPECT_FALSE(wr_ok(CSR_FRM, 1));
	EXPECT_FALSE(rd_ok(CSR_FCSR));
	h->mstatus |= 1ull << MSTATUS_FS_SHIFT; /* Initial */
	ASSERT_TRUE(wr_ok(CSR_FRM, 3));
	ASSERT_TRUE(wr_ok(CSR_FFLAGS, 0x15));
	EXPECT_EQ(rd(CSR_FCSR), 3u << 5 | 0x15);
	EXPECT_EQ(h->mstatus & MSTATUS_FS, MSTATUS_FS) << "a write dirties FS";
	ASSERT_TRUE(wr_ok(CSR_FCSR, ~0ull));
	EXPECT_EQ(rd(CSR_FFLAGS), 0x1fu);
	EXPECT_EQ(rd(CSR_FRM), 7u);
	EXPECT_EQ(rd(CSR_FCSR), 0xffu);
	ASSERT_TRUE(wr_ok(CSR_FFLAGS, 0));
	EXPECT_EQ(rd(CSR_FCSR), 0xe0u);
	h->priv = PRIV_U;
	EXPECT_TRUE(rd_ok(CSR_FCSR)) << "FP CSRs are user CSRs";
}

TEST_F(CsrTest, EpcAndTvecWarl)
{
	ASSERT_TRUE(wr_ok(CSR_MEPC, kRam + 3));
	EXPECT_EQ(rd(CSR_MEPC), kRam + 2);
	ASSERT_TRUE(wr_ok(CSR_SEPC, kRam + 5));
	EXPECT_EQ(rd(CSR_SEPC), kRam + 4);

	ASSERT_TRUE(wr_ok(CSR_MTVEC, kRam + 0x101)); /* vectored */
	EXPECT_EQ(rd(CSR_MTVEC), kRam + 0x101);
	ASSERT_TRUE(wr_ok(CSR_MTVEC, kRam + 0x202)); /* mode 2: reserved */
	EXPECT_EQ(rd(CSR_MTVEC), kRam + 0x101);
	ASSERT_TRUE(wr_ok(CSR_MTVEC, kRam + 0x303));
	EXPECT_EQ(rd(CSR_MTVEC), kRam + 0x101);
	ASSERT_TRUE(wr_ok(CSR_STVEC, kRam + 0x400));
	ASSERT_TRUE(wr_ok(CSR_STVEC, kRam + 0x502));
	EXPECT_EQ(rd(CSR_STVEC), kRam + 0x400);
}

TEST_F(CsrTest, WrittenCountersReadBackFromTheNextInstruction)
{
	h->x[1] = 1000;
	h->x[2] = 5000;
	vm.put(kRam, {
			     addi(0, 0, 0),
			     csrrw(0, CSR_MINSTRET, 1),
			     csrrs(10, CSR_MINSTRET, 0),
			     csrrs(11, CSR_MINSTRET, 0),
			     csrrw(0, CSR_MCYCLE, 2),
			     csrrs(12, CSR_MCYCLE, 0),
			     csrrs(13, CSR_CYCLE, 0),
			     csrrs(14, CSR_INSTRET, 0),
		     });
	vm.run(8);
	EXPECT_EQ(h->x[10], 1000u);
	EXPECT_EQ(h->x[11], 1001u);
	EXPECT_EQ(h->x[12], 5000u);
	EXPECT_EQ(h->x[13], 5001u);
	EXPECT_EQ(h->x[14], 1005u);
}

TEST_F(CsrTest, TimeFollowsTheInstructionCount)
{
	vm.put(kRam, { csrrs(10, CSR_TIME, 0) });
	vm.run(1);
	EXPECT_EQ(h->x[10], 0u);
	h->pc = kRam;
	h->icount = 12345;
	vm.step(1);
	EXPECT_EQ(h->x[10], 12345u / HV_INSNS_PER_TICK);
}

} // namespace

/* mip.SEIP reads as the software bit OR the PLIC's line, but only the
 * software bit takes part in csrrs/csrrc (privileged spec 3.1.9):
 * OpenSBI's timer code sets and clears STIP with csrrs/csrrc, and once
 * latched SEIP from the PLIC's line for good, which livelocked Linux on 4
 * harts in an endless external-interrupt storm. */
TEST_F(CsrTest, SetOrClearOfMipDoesNotLatchThePlicLine)
{
	h->mip_ext = MIP_SEIP; /* the PLIC asserts this hart's S-mode line */
	h->x[1] = MIP_STIP;
	vm.put(kRam, {
			     csrrs(10, CSR_MIP, 1),
			     csrrc(11, CSR_MIP, 1),
			     csrrs(12, CSR_MIP, 0),
		     });
	vm.run(3);
	EXPECT_EQ(h->x[10] & MIP_SEIP, (uint64_t)MIP_SEIP) << "a read shows the line";
	EXPECT_EQ(h->x[11] & (MIP_SEIP | MIP_STIP), (uint64_t)(MIP_SEIP | MIP_STIP));
	EXPECT_EQ(h->x[12] & MIP_STIP, 0u);
	h->mip_ext = 0; /* the PLIC's source was claimed */
	EXPECT_EQ(rd(CSR_MIP) & MIP_SEIP, 0u) << "SEIP must follow the line, not stay latched";
	/* The software-writable bit itself still works through csrrs. */
	h->x[1] = MIP_SEIP;
	vm.put(kRam + 12, { csrrs(0, CSR_MIP, 1) });
	vm.run(4);
	EXPECT_EQ(rd(CSR_MIP) & MIP_SEIP, (uint64_t)MIP_SEIP);
}
