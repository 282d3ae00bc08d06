// SPDX-License-Identifier: MIT
/*
 * Tests of address translation and the memory slow paths (hv/cpu/mmu.c):
 * Sv39 and Sv48 walks over page tables the test writes into guest RAM
 * (4 KiB, 2 MiB, 1 GiB and 512 GiB leaves), every page-fault rule of the
 * privileged spec section 4.3.2 with the cause for each access kind and
 * tval = va, U/S rules with SUM and MXR, MPRV for loads and stores but not
 * fetches, hardware A/D updates, canonical addresses, misalignment before
 * translation, MMIO and unmapped physical addresses, the TLB flush on a
 * satp write and SFENCE.VMA's privilege rules.
 *
 * mmu_translate/mmu_load/mmu_store are called directly on hart 0 of a real
 * machine; SFENCE.VMA runs through the executor.
 */
#include <gtest/gtest.h>

extern "C" {
#include "hv/cpu/mmu.h"
}

#include "tests/unit/testutil.h"

using namespace tu;

namespace {

constexpr uint64_t kTables = kRam + 0x400000; /* page-table pages */
constexpr uint64_t kFrames = kRam + 0x800000; /* data pages */
constexpr uint64_t kVa = 0x12345000;          /* a user-half address */

class MmuTest : public ::testing::Test {
protected:
	void SetUp() override
	{
		ASSERT_NE(vm.m, nullptr) << vm.error;
		h = vm.h();
	}

	uint64_t alloc_table()
	{
		uint64_t pa = next_table;
		next_table += 0x1000;
		std::vector<uint8_t> zero(0x1000);
		machine_write_phys(vm.m, pa, zero.data(), zero.size());
		return pa;
	}

	/* Start a fresh table tree with `levels` levels (3: Sv39, 4: Sv48)
	 * and switch the hart to it in S-mode. */
	void use_paging(unsigned lv)
	{
		levels = lv;
		root = alloc_table();
		h->satp = lv == 3 ? satp_sv39(root) : satp_sv48(root);
		h->priv = PRIV_S;
		hart_flush_tlb(h);
	}

	/* Address of the PTE for va at level `leaf_level` (0: 4 KiB), making
	 * the intermediate tables. */
	uint64_t pte_addr(uint64_t va, unsigned leaf_level)
	{
		uint64_t table = root;
		for (int lvl = (int)levels - 1; lvl > (int)leaf_level; lvl--) {
			uint64_t a = table + ((va >> (12 + 9 * lvl)) & 0x1ff) * 8;
			uint64_t e = vm.get64(a);
			if (!(e & PTE_V)) {
				e = pte(alloc_table(), PTE_V);
				vm.put64(a, e);
			}
			table = (e >> 10) << 12;
		}
		return table + ((va >> (12 + 9 * leaf_level)) & 0x1ff) * 8;
	}

	/* Map va -> pa as a leaf at leaf_level; returns the PTE's address. */
	uint64_t map(uint64_t va, uint64_t pa, uint64_t flags, unsigned leaf_level = 0)
	{
		uint64_t a = pte_addr(va, leaf_level);
		vm.put64(a, pte(pa, flags | PTE_V));
		hart_flush_tlb(h);
		return a;
	}

	int load(uint64_t va, uint64_t *val, unsigned size = 8)
	{
		return mmu_load(h, va, size, val);
	}

	void expect_fault(uint64_t va, enum hv_access acc, uint64_t cause)
	{
		gpa_t pa = 0;
		uint64_t v = 0;
		h->exc_cause = h->exc_tval = 0xdead;
		EXPECT_EQ(mmu_translate(h, va, acc, &pa), -1)
			<< "acc " << acc << " va " << std::hex << va;
		EXPECT_EQ(h->exc_cause, cause) << "acc " << acc << " va " << std::hex << va;
		EXPECT_EQ(h->exc_tval, va);
		h->exc_cause = h->exc_tval = 0xdead;
		int r = acc == ACC_LOAD  ? mmu_load(h, va, 8, &v) :
			acc == ACC_STORE ? mmu_store(h, va, 8, 0) :
					   mmu_fetch_pa(h, va, &pa);
		EXPECT_EQ(r, -1);
		EXPECT_EQ(h->exc_cause, cause);
		EXPECT_EQ(h->exc_tval, va);
	}

	void expect_page_faults(uint64_t va)
	{
		expect_fault(va, ACC_LOAD, CAUSE_LOAD_PAGE_FAULT);
		expect_fault(va, ACC_STORE, CAUSE_STORE_PAGE_FAULT);
		expect_fault(va, ACC_FETCH, CAUSE_FETCH_PAGE_FAULT);
	}

	bool can(uint64_t va, enum hv_access acc)
	{
		gpa_t pa;
		return mmu_translate(h, va, acc, &pa) == 0;
	}

	TestVm vm;
	struct hart *h = nullptr;
	uint64_t next_table = kTables;
	uint64_t root = 0;
	unsigned levels = 3;
};

TEST_F(MmuTest, Sv39FourKilobytePageTranslatesLoadsAndStores)
{
	use_paging(3);
	map(kVa, kFrames, PTE_R | PTE_W | PTE_A | PTE_D);
	vm.put64(kFrames + 0x18, 0xabcdef);
	gpa_t pa = 0;
	ASSERT_EQ(mmu_translate(h, kVa + 0x18, ACC_LOAD, &pa), 0);
	EXPECT_EQ(pa, kFrames + 0x18);
	uint64_t v = 0;
	ASSERT_EQ(load(kVa + 0x18, &v), 0);
	EXPECT_EQ(v, 0xabcdefu);
	ASSERT_EQ(mmu_store(h, kVa + 0x20, 4, 0x11223344), 0);
	EXPECT_EQ(vm.get32(kFrames + 0x20), 0x11223344u);
	/* The neighbouring page is not mapped. */
	expect_page_faults(kVa + 0x1000);
}

TEST_F(MmuTest, Sv39SuperpagesKeepTheLowAddressBits)
{
	use_paging(3);
	map(0x40000000, 0x80000000, PTE_R | PTE_A, 2);      /* 1 GiB */
	map(0x00600000, kRam + 0x200000, PTE_R | PTE_A, 1); /* 2 MiB */
	gpa_t pa = 0;
	ASSERT_EQ(mmu_translate(h, 0x40000000 + 0x123456, ACC_LOAD, &pa), 0);
	EXPECT_EQ(pa, 0x80000000ull + 0x123456);
	ASSERT_EQ(mmu_translate(h, 0x00600000 + 0x1abcde, ACC_LOAD, &pa), 0);
	EXPECT_EQ(pa, kRam + 0x200000 + 0x1abcde);
}

TEST_F(MmuTest, Sv48WalksFourLevelsIncludingA512GigabyteLeaf)
{
	use_paging(4);
	const uint64_t va = 0x0000123456789000ull;
	map(va, kFrames, PTE_R | PTE_W | PTE_A | PTE_D);
	map(0x0000008000000000ull, 0, PTE_R | PTE_A, 3); /* 512 GiB leaf at 0 */
	gpa_t pa = 0;
	ASSERT_EQ(mmu_translate(h, va + 0x10, ACC_STORE, &pa), 0);
	EXPECT_EQ(pa, kFrames + 0x10);
	ASSERT_EQ(mmu_translate(h, 0x0000008000000000ull + kRam + 0x40, ACC_LOAD, &pa), 0);
	EXPECT_EQ(pa, kRam + 0x40);
}

TEST_F(MmuTest, InvalidPteAtEachLevelFaultsWithTheAccessCause)
{
	for (unsigned lv : { 3u, 4u }) {
		for (unsigned bad = 0; bad < lv; bad++) {
			next_table = kTables;
			use_paging(lv);
			uint64_t a = map(kVa, kFrames, PTE_R | PTE_W | PTE_X | PTE_A | PTE_D);
			ASSERT_TRUE(can(kVa, ACC_LOAD));
			/* Clear V in the PTE that the walk reads at level `bad`. */
			uint64_t table = root;
			for (int l = (int)lv - 1; l >= 0; l--) {
				uint64_t pa = table + ((kVa >> (12 + 9 * l)) & 0x1ff) * 8;
				uint64_t e = vm.get64(pa);
				if ((unsigned)l == bad) {
					vm.put64(pa, e & ~PTE_V);
					break;
				}
				table = (e >> 10) << 12;
			}
			(void)a;
			hart_flush_tlb(h);
			SCOPED_TRACE(testing::Message()
				     << "levels " << lv << " invalid at " << bad);
			expect_page_faults(kVa);
		}
	}
}

TEST_F(MmuTest, ReservedPteEncodingsFault)
{
	use_paging(3);
	uint64_t a = map(kVa, kFrames, PTE_W | PTE_A | PTE_D); /* W without R */
	expect_page_faults(kVa);
	vm.put64(a, pte(kFrames, PTE_V | PTE_R | PTE_W | PTE_X | PTE_A | PTE_D) | 1ull << 60);
	hart_flush_tlb(h);
	expect_page_faults(kVa);
	vm.put64(a, pte(kFrames, PTE_V | PTE_R | PTE_W | PTE_X | PTE_A | PTE_D) | 1ull << 63);
	hart_flush_tlb(h);
	expect_page_faults(kVa);
	/* A non-leaf PTE with W but not R is W-without-R, not a pointer. */
	uint64_t top = root + ((kVa >> 30) & 0x1ff) * 8;
	vm.put64(top, vm.get64(top) | PTE_W);
	hart_flush_tlb(h);
	expect_page_faults(kVa);
}

TEST_F(MmuTest, MisalignedSuperpageFaults)
{
	use_paging(3);
	map(0x00600000, kRam + 0x201000, PTE_R | PTE_W | PTE_X | PTE_A | PTE_D, 1);
	expect_page_faults(0x00600000);
	map(0x40000000, 0x80200000, PTE_R | PTE_W | PTE_X | PTE_A | PTE_D, 2);
	expect_page_faults(0x40000000);
}

TEST_F(MmuTest, PointerAtTheLastLevelFaults)
{
	use_paging(3);
	map(kVa, kFrames, 0); /* V only at level 0: a pointer with nowhere to go */
	expect_page_faults(kVa);
}

TEST_F(MmuTest, UserAndSupervisorPermissions)
{
	use_paging(3);
	const uint64_t upage = kVa, spage = kVa + 0x1000;
	map(upage, kFrames, PTE_R | PTE_W | PTE_X | PTE_U | PTE_A | PTE_D);
	map(spage, kFrames + 0x1000, PTE_R | PTE_W | PTE_X | PTE_A | PTE_D);

	/* S-mode: U pages only with SUM, and never for fetch. */
	expect_page_faults(upage);
	h->mstatus |= MSTATUS_SUM;
	EXPECT_TRUE(can(upage, ACC_LOAD));
	EXPECT_TRUE(can(upage, ACC_STORE));
	expect_fault(upage, ACC_FETCH, CAUSE_FETCH_PAGE_FAULT);
	EXPECT_TRUE(can(spage, ACC_FETCH));
	h->mstatus &= ~MSTATUS_SUM;

	/* U-mode: only U pages, SUM does not matter. */
	h->priv = PRIV_U;
	hart_flush_tlb(h);
	EXPECT_TRUE(can(upage, ACC_LOAD));
	EXPECT_TRUE(can(upage, ACC_STORE));
	EXPECT_TRUE(can(upage, ACC_FETCH));
	expect_page_faults(spage);
	h->mstatus |= MSTATUS_SUM;
	expect_page_faults(spage);
}

TEST_F(MmuTest, ExecuteOnlyPagesAreReadableOnlyWithMxr)
{
	use_paging(3);
	map(kVa, kFrames, PTE_X | PTE_A);
	map(kVa + 0x1000, kFrames, PTE_R | PTE_A);
	EXPECT_TRUE(can(kVa, ACC_FETCH));
	expect_fault(kVa, ACC_LOAD, CAUSE_LOAD_PAGE_FAULT);
	h->mstatus |= MSTATUS_MXR;
	EXPECT_TRUE(can(kVa, ACC_LOAD));
	expect_fault(kVa, ACC_STORE, CAUSE_STORE_PAGE_FAULT);
	/* Readable is not executable, MXR or not. */
	expect_fault(kVa + 0x1000, ACC_FETCH, CAUSE_FETCH_PAGE_FAULT);
}

TEST_F(MmuTest, MprvTranslatesLoadsAndStoresButNotFetches)
{
	use_paging(3);
	map(kVa, kFrames, PTE_R | PTE_W | PTE_A | PTE_D);
	vm.put64(kFrames, 0x5151);
	h->priv = PRIV_M;
	h->mstatus |= MSTATUS_MPRV | (1ull << 11); /* MPP = S */
	hart_flush_tlb(h);
	uint64_t v = 0;
	ASSERT_EQ(load(kVa, &v), 0);
	EXPECT_EQ(v, 0x5151u);
	ASSERT_EQ(mmu_store(h, kVa + 8, 8, 0x77), 0);
	EXPECT_EQ(vm.get64(kFrames + 8), 0x77u);
	gpa_t pa = 0;
	/* Fetches use M: no translation. */
	ASSERT_EQ(mmu_translate(h, kRam + 0x40, ACC_FETCH, &pa), 0);
	EXPECT_EQ(pa, kRam + 0x40);
	ASSERT_EQ(mmu_fetch_pa(h, kRam + 0x44, &pa), 0);
	EXPECT_EQ(pa, kRam + 0x44);
	/* Loads of an unmapped va fault as S would. */
	expect_fault(kVa + 0x1000, ACC_LOAD, CAUSE_LOAD_PAGE_FAULT);
	/* MPP = U: the page is not a U page. */
	h->mstatus &= ~MSTATUS_MPP;
	hart_flush_tlb(h);
	expect_fault(kVa, ACC_LOAD, CAUSE_LOAD_PAGE_FAULT);
	/* MPP = M: bare again. */
	h->mstatus |= MSTATUS_MPP;
	hart_flush_tlb(h);
	ASSERT_EQ(mmu_translate(h, kFrames, ACC_LOAD, &pa), 0);
	EXPECT_EQ(pa, kFrames);
}

TEST_F(MmuTest, HardwareSetsAccessedAndDirty)
{
	use_paging(3);
	uint64_t a = map(kVa, kFrames, PTE_R | PTE_W);
	gpa_t pa;
	uint64_t v;
	ASSERT_EQ(mmu_translate(h, kVa, ACC_STORE, &pa), 0);
	EXPECT_EQ(vm.get64(a) & (PTE_A | PTE_D), 0u) << "mmu_translate has no side effects";
	ASSERT_EQ(load(kVa, &v), 0);
	EXPECT_EQ(vm.get64(a) & (PTE_A | PTE_D), (uint64_t)PTE_A);
	ASSERT_EQ(mmu_store(h, kVa, 8, 1), 0);
	EXPECT_EQ(vm.get64(a) & (PTE_A | PTE_D), (uint64_t)(PTE_A | PTE_D));

	/* A fetch sets A only. */
	uint64_t b = map(kVa + 0x1000, kFrames, PTE_X);
	ASSERT_EQ(mmu_fetch_pa(h, kVa + 0x1000, &pa), 0);
	EXPECT_EQ(vm.get64(b) & (PTE_A | PTE_D), (uint64_t)PTE_A);
}

TEST_F(MmuTest, NonCanonicalAddressesFault)
{
	use_paging(3);
	map(0xffffffffc0000000ull, kRam, PTE_R | PTE_W | PTE_X | PTE_A | PTE_D, 2);
	map(0x0000000000000000ull, kRam, PTE_R | PTE_W | PTE_X | PTE_A | PTE_D, 2);
	EXPECT_TRUE(can(0xffffffffc0000000ull, ACC_LOAD));
	EXPECT_TRUE(can(0, ACC_LOAD));
	expect_page_faults(0x0000004000000000ull); /* bit 38 set, 63:39 clear */
	expect_page_faults(0x8000000000000000ull);
	expect_page_faults(0xfffffeffc0000000ull);

	next_table = kTables;
	use_paging(4);
	map(0xffff800000000000ull, 0, PTE_R | PTE_A, 3);
	EXPECT_TRUE(can(0xffff800000000000ull, ACC_LOAD));
	expect_page_faults(0x0000800000000000ull);
	expect_page_faults(0x7fff800000000000ull);
}

TEST_F(MmuTest, MisalignedAccessFaultsBeforeTranslation)
{
	use_paging(3);
	uint64_t v;
	/* Unmapped: the misaligned cause still wins. */
	EXPECT_EQ(mmu_load(h, kVa + 2, 4, &v), -1);
	EXPECT_EQ(h->exc_cause, (uint64_t)CAUSE_MISALIGNED_LOAD);
	EXPECT_EQ(h->exc_tval, kVa + 2);
	EXPECT_EQ(mmu_store(h, kVa + 4, 8, 0), -1);
	EXPECT_EQ(h->exc_cause, (uint64_t)CAUSE_MISALIGNED_STORE);
	EXPECT_EQ(h->exc_tval, kVa + 4);
	void *p;
	EXPECT_EQ(mmu_rmw_ptr(h, kVa + 1, 4, false, &p), -1);
	EXPECT_EQ(h->exc_cause, (uint64_t)CAUSE_MISALIGNED_STORE);
	EXPECT_EQ(mmu_rmw_ptr(h, kVa + 1, 4, true, &p), -1);
	EXPECT_EQ(h->exc_cause, (uint64_t)CAUSE_MISALIGNED_LOAD);
}

TEST_F(MmuTest, DevicesAreReachedThroughTheBusAndHolesAreAccessFaults)
{
	/* M-mode, bare. */
	ASSERT_EQ(mmu_store(h, HV_CLINT_BASE + 0x4000, 8, 1234), 0);
	EXPECT_EQ(h->mtimecmp, 1234u);
	uint64_t v = 0;
	ASSERT_EQ(mmu_load(h, HV_CLINT_BASE + 0x4000, 8, &v), 0);
	EXPECT_EQ(v, 1234u);
	const uint64_t hole = 0x30000000;
	EXPECT_EQ(mmu_load(h, hole, 4, &v), -1);
	EXPECT_EQ(h->exc_cause, (uint64_t)CAUSE_LOAD_ACCESS);
	EXPECT_EQ(h->exc_tval, hole);
	EXPECT_EQ(mmu_store(h, hole + 8, 4, 0), -1);
	EXPECT_EQ(h->exc_cause, (uint64_t)CAUSE_STORE_ACCESS);
	EXPECT_EQ(h->exc_tval, hole + 8);
	gpa_t pa;
	EXPECT_EQ(mmu_fetch_pa(h, HV_UART_BASE, &pa), -1);
	EXPECT_EQ(h->exc_cause, (uint64_t)CAUSE_FETCH_ACCESS);
	/* Beyond the end of RAM is a hole too. */
	EXPECT_EQ(mmu_load(h, kRam + 16 * kMiB, 8, &v), -1);
	EXPECT_EQ(h->exc_cause, (uint64_t)CAUSE_LOAD_ACCESS);

	/* Through a mapping: tval is the virtual address. */
	use_paging(3);
	map(kVa, HV_CLINT_BASE + 0x4000, PTE_R | PTE_W | PTE_A | PTE_D);
	map(kVa + 0x1000, hole, PTE_R | PTE_W | PTE_A | PTE_D);
	ASSERT_EQ(mmu_store(h, kVa, 8, 99), 0);
	EXPECT_EQ(h->mtimecmp, 99u);
	EXPECT_EQ(mmu_load(h, kVa + 0x1010, 8, &v), -1);
	EXPECT_EQ(h->exc_cause, (uint64_t)CAUSE_LOAD_ACCESS);
	EXPECT_EQ(h->exc_tval, kVa + 0x1010);
}

TEST_F(MmuTest, PageTableOutsideRamIsAnAccessFault)
{
	use_paging(3);
	h->satp = satp_sv39(0x30000000);
	hart_flush_tlb(h);
	expect_fault(kVa, ACC_LOAD, CAUSE_LOAD_ACCESS);
	expect_fault(kVa, ACC_STORE, CAUSE_STORE_ACCESS);
	expect_fault(kVa, ACC_FETCH, CAUSE_FETCH_ACCESS);
}

TEST_F(MmuTest, SatpWriteFlushesTheTlb)
{
	use_paging(3);
	const uint64_t root1 = root;
	map(kVa, kFrames, PTE_R | PTE_W | PTE_A | PTE_D);
	vm.put64(kFrames, 1);
	vm.put64(kFrames + 0x1000, 2);
	uint64_t v = 0;
	ASSERT_EQ(load(kVa, &v), 0);
	ASSERT_EQ(v, 1u);
	ASSERT_EQ(load(kVa, &v), 0); /* now a TLB hit path exists */

	const uint64_t root2 = alloc_table();
	root = root2;
	map(kVa, kFrames + 0x1000, PTE_R | PTE_W | PTE_A | PTE_D);
	/* map() flushed; fill the TLB with the old translation again. */
	root = root1;
	ASSERT_EQ(load(kVa, &v), 0);
	ASSERT_EQ(v, 1u);
	ASSERT_EQ(csr_write(h, CSR_SATP, satp_sv39(root2)), 0);
	ASSERT_EQ(load(kVa, &v), 0);
	EXPECT_EQ(v, 2u);
}

/* S-mode code at an identity 1 GiB mapping of RAM. */
class SfenceTest : public MmuTest {
protected:
	void SetUp() override
	{
		MmuTest::SetUp();
		use_paging(3);
		map(kRam, kRam, PTE_R | PTE_W | PTE_X | PTE_A | PTE_D, 2);
		h->mtvec = kRam + 0x8000;
		vm.put(kRam + 0x8000, { spin() });
		h->pc = kRam;
	}
};

TEST_F(SfenceTest, MakesANewMappingVisible)
{
	uint64_t a = map(kVa, kFrames, PTE_R | PTE_A);
	vm.put64(kFrames, 1);
	vm.put64(kFrames + 0x1000, 2);
	h->x[1] = kVa;
	vm.put(kRam, { ld(5, 1, 0), sfence_vma(0, 0), ld(6, 1, 0) });
	vm.run(1);
	ASSERT_EQ(h->x[5], 1u);
	vm.put64(a, pte(kFrames + 0x1000, PTE_V | PTE_R | PTE_A));
	vm.run(3);
	EXPECT_EQ(h->priv, (unsigned)PRIV_S);
	EXPECT_EQ(h->x[6], 2u);
}

TEST_F(SfenceTest, IsIllegalInUserModeAndUnderTvm)
{
	vm.put(kRam, { sfence_vma(0, 0), addi(9, 9, 1) });
	map(kRam, kRam, PTE_R | PTE_W | PTE_X | PTE_U | PTE_A | PTE_D, 2);
	h->priv = PRIV_U;
	vm.run(1);
	EXPECT_EQ(h->mcause, (uint64_t)CAUSE_ILLEGAL_INSN);
	EXPECT_EQ(h->mepc, kRam);
	EXPECT_EQ(h->mtval, (uint64_t)sfence_vma(0, 0));

	map(kRam, kRam, PTE_R | PTE_W | PTE_X | PTE_A | PTE_D, 2);
	h->priv = PRIV_S;
	hart_flush_tlb(h);
	h->pc = kRam;
	h->mcause = 0;
	h->mstatus |= MSTATUS_TVM;
	vm.step(1);
	EXPECT_EQ(h->mcause, (uint64_t)CAUSE_ILLEGAL_INSN);
	EXPECT_EQ(h->x[9], 0u);

	h->priv = PRIV_S;
	hart_flush_tlb(h);
	h->pc = kRam;
	h->mcause = 0;
	h->mstatus &= ~MSTATUS_TVM;
	vm.step(2);
	EXPECT_EQ(h->mcause, 0u);
	EXPECT_EQ(h->x[9], 1u);
}

TEST_F(MmuTest, StraddlingInstructionFaultsOnItsSecondHalf)
{
	use_paging(3);
	const uint64_t code_va = 0x10000;
	map(code_va, kFrames, PTE_R | PTE_X | PTE_A);
	/* addi x1, x1, 1 with its upper half on the unmapped next page. */
	uint32_t w = addi(1, 1, 1);
	vm.put16(kFrames + 0xffe, (uint16_t)w);
	vm.put(kRam + 0x8000, { spin() });
	h->mtvec = kRam + 0x8000;
	h->pc = code_va + 0xffe;
	vm.run(1);
	EXPECT_EQ(h->mcause, (uint64_t)CAUSE_FETCH_PAGE_FAULT);
	EXPECT_EQ(h->mepc, code_va + 0xffe) << "epc is the instruction's start";
	EXPECT_EQ(h->mtval, code_va + 0x1000) << "tval is the part that faulted";
	EXPECT_EQ(h->x[1], 0u);
	EXPECT_EQ(h->icount, 1u) << "only the handler's instruction retired";
}

} // namespace
