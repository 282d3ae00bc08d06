// SPDX-License-Identifier: MIT
//
// Sv39 and Sv48 address translation (privileged spec, "Supervisor-Level
// ISA", sections on satp, Sv39, Sv48 and the virtual-to-physical
// translation algorithm): 4 KiB, 2 MiB, 1 GiB and 512 GiB pages built by
// the guest; page faults (12 fetch, 13 load, 15 store, tval = the virtual
// address) for an invalid PTE at each level, W without R (reserved), a
// misaligned superpage, non-canonical addresses; the R/W/X/U permission
// rules with SUM and MXR; MPRV with MPP; A/D bits (the spec allows a page
// fault or a hardware update; QEMU 7.2 updates them in hardware, so the
// PTEs printed after the accesses require the same of Retrovisor);
// SFENCE.VMA after changing a PTE; ASIDs selecting different roots.
//
// S-mode code runs identity-mapped through a 1 GiB page at 0x8000_0000;
// U-mode code runs through a U=1 alias of the same gigabyte at
// 0x1_8000_0000 (rt_mode_va_offset). Page faults go to M unless the test
// delegates them, so the M handler records them whatever S did.
#include "rt.h"

#define PTE_V (1UL << 0)
#define PTE_R (1UL << 1)
#define PTE_W (1UL << 2)
#define PTE_X (1UL << 3)
#define PTE_U (1UL << 4)
#define PTE_G (1UL << 5)
#define PTE_A (1UL << 6)
#define PTE_D (1UL << 7)
#define PTE_RWX (PTE_R | PTE_W | PTE_X)

#define SATP_SV39 (8UL << 60)
#define SATP_SV48 (9UL << 60)

#define TEST_VA 0x100000000UL    /* L2 index 4: the test tables */
#define UALIAS_VA 0x180000000UL  /* L2 index 6: U=1 alias of RAM */
#define BADL2_VA 0x140000000UL   /* L2 index 5: invalid */
#define MISGIGA_VA 0x1c0000000UL /* L2 index 7: misaligned 1 GiB */
#define PAGE_VA(i) (TEST_VA + (u64)(i)*4096)
#define MEGA_VA (TEST_VA + 0x200000UL)    /* L1 index 1 */
#define MISMEGA_VA (TEST_VA + 0x400000UL) /* L1 index 2 */
#define BADL1_VA (TEST_VA + 0x600000UL)   /* L1 index 3 */
#define WNOR_VA (TEST_VA + 0x800000UL)    /* L1 index 4 */
#define BADL0_VA (TEST_VA + 0xa00000UL)   /* L1 index 5 */
#define MEGA_PA 0x80200000UL
/* Contents of test page i at offset j: PAGE_PATTERN(i) + j. */
#define PAGE_PATTERN(i) (0x0001000000000000UL * (u64)(i))

enum {
	PG_RW,
	PG_RO,
	PG_XO,
	PG_URW,
	PG_AD0,
	PG_D0,
	PG_UX,
	PG_INVALID,
	PG_COUNT,
};

static u64 root[512] __attribute__((aligned(4096)));
static u64 root_b[512] __attribute__((aligned(4096)));
static u64 root48[512] __attribute__((aligned(4096)));
static u64 l1[512] __attribute__((aligned(4096)));
static u64 l0[512] __attribute__((aligned(4096)));
static u64 l0_empty[512] __attribute__((aligned(4096)));
static u8 pages[PG_COUNT + 1][4096] __attribute__((aligned(4096)));

static u64 pte_table(void *next)
{
	return ((u64)next >> 12) << 10 | PTE_V;
}

static u64 pte_leaf(u64 pa, u64 flags)
{
	return (pa >> 12) << 10 | flags | PTE_V;
}

static void paging_build(void)
{
	static const u64 flags[PG_COUNT] = {
		[PG_RW] = PTE_R | PTE_W | PTE_A | PTE_D,
		[PG_RO] = PTE_R | PTE_A,
		[PG_XO] = PTE_X | PTE_A,
		[PG_URW] = PTE_R | PTE_W | PTE_U | PTE_A | PTE_D,
		[PG_AD0] = PTE_R | PTE_W,
		[PG_D0] = PTE_R | PTE_W | PTE_A,
		[PG_UX] = PTE_R | PTE_X | PTE_U | PTE_A,
	};

	root[0] = pte_leaf(0, PTE_R | PTE_W | PTE_A | PTE_D); /* MMIO */
	root[2] = pte_leaf(0x80000000UL, PTE_RWX | PTE_A | PTE_D);
	root[4] = pte_table(l1);
	root[6] = pte_leaf(0x80000000UL, PTE_RWX | PTE_U | PTE_A | PTE_D);
	root[7] = pte_leaf(0x80000000UL + 0x200000UL, PTE_RWX | PTE_A | PTE_D);
	l1[0] = pte_table(l0);
	l1[1] = pte_leaf(MEGA_PA, PTE_R | PTE_W | PTE_A | PTE_D);
	l1[2] = pte_leaf(MEGA_PA + 0x1000, PTE_R | PTE_W | PTE_A | PTE_D);
	l1[4] = pte_leaf(MEGA_PA, PTE_W | PTE_A | PTE_D);
	l1[5] = pte_table(l0_empty);
	for (int i = 0; i < PG_INVALID; i++) {
		l0[i] = pte_leaf((u64)pages[i], flags[i]);
		for (int j = 0; j < 4096; j += 8)
			*(u64 *)&pages[i][j] = PAGE_PATTERN(i) + (u64)j;
	}
	*(u64 *)(MEGA_PA + 0x1238) = 0x4d454741; /* "MEGA" */
	// Executable pages start with `jalr x0, 0(t0)`: a fetch that works
	// returns straight to the probe.
	*(u32 *)pages[PG_XO] = 0x00028067;
	*(u32 *)pages[PG_UX] = 0x00028067;
	*(u32 *)pages[PG_RW] = 0x00028067;
	__asm__ volatile("fence.i" ::: "memory");

	// A second root for the ASID test: the same, except that its test
	// gigabyte points at an empty table, so TEST_VA faults there.
	for (int i = 0; i < 512; i++)
		root_b[i] = root[i];
	root_b[4] = pte_table(l0_empty);
	root48[0] = pte_table(root);
	root48[1] = pte_leaf(0, PTE_R | PTE_W | PTE_A | PTE_D); /* 512 GiB */
}

// Probes run in S (or U, or M with MPRV); each returns the loaded value
// or the trap cause with bit 62 set, so one number says what happened.
#define PROBE_TRAPPED (1UL << 62)

static u64 probe_result(u64 v)
{
	if (rt_trap_cause() != RT_NO_TRAP)
		return PROBE_TRAPPED | rt_trap.cause;
	return v;
}

static u64 probe_load(u64 va)
{
	u64 v = 0;

	rt_trap_arm();
	__asm__ volatile("ld %0, 0(%1)" : "+r"(v) : "r"(va) : "memory");
	return probe_result(v);
}

static u64 probe_store(u64 va)
{
	rt_trap_arm();
	__asm__ volatile("sd %0, 8(%0)" ::"r"(va) : "memory");
	return probe_result(0);
}

static u64 probe_fetch(u64 va)
{
	rt_trap_arm();
	__asm__ volatile("la t1, 1f\n\t"
			 "sd t1, 0(%1)\n\t"
			 "jalr t0, 0(%0)\n"
			 "1:" ::"r"(va),
			 "r"(&rt_trap_resume)
			 : "t0", "t1", "memory");
	// A fetch that worked did not consume the resume address.
	rt_trap_resume = 0;
	return probe_result(0);
}

// One probe kind at a list of addresses, reported as `<name>.<i> <r>`
// plus the tval of the fault (the faulting virtual address).
static u64 probe_va;
static u64 probe_kind; /* 0 load, 1 store, 2 fetch */

static u64 probe_one(u64 arg)
{
	(void)arg;
	switch (probe_kind) {
	case 0:
		return probe_load(probe_va);
	case 1:
		return probe_store(probe_va);
	default:
		return probe_fetch(probe_va);
	}
}

static void probe(const char *name, int mode, u64 kind, u64 va)
{
	u64 r;

	probe_va = va;
	probe_kind = kind;
	r = rt_run_in_mode(mode, probe_one, 0);
	rt_puts(RT_GUEST_NAME " ");
	rt_puts(name);
	rt_putc(' ');
	rt_put_hex(r, 16);
	if (r & PROBE_TRAPPED) {
		rt_puts(" tval ");
		rt_put_hex(rt_trap.tval, 16);
		if (rt_trap.tval != (kind == 1 ? va + 8 : va))
			rt_fail_check(name, "page fault tval is not the address");
	}
	rt_putc('\n');
}

#define LOAD 0
#define STORE 1
#define FETCH 2
#define FAULT(c) (PROBE_TRAPPED | (c))

static void paging_sv39(void)
{
	csr_write(satp, SATP_SV39 | ((u64)root >> 12));
	__asm__ volatile("sfence.vma" ::: "memory");

	probe("sv39.load.rw", RT_MODE_S, LOAD, PAGE_VA(PG_RW));
	probe("sv39.store.rw", RT_MODE_S, STORE, PAGE_VA(PG_RW));
	probe("sv39.load.ro", RT_MODE_S, LOAD, PAGE_VA(PG_RO));
	probe("sv39.store.ro", RT_MODE_S, STORE, PAGE_VA(PG_RO));
	probe("sv39.fetch.rw", RT_MODE_S, FETCH, PAGE_VA(PG_RW));
	probe("sv39.fetch.xo", RT_MODE_S, FETCH, PAGE_VA(PG_XO));
	probe("sv39.load.xo", RT_MODE_S, LOAD, PAGE_VA(PG_XO));
	probe("sv39.load.invalid.l0", RT_MODE_S, LOAD, PAGE_VA(PG_INVALID));
	probe("sv39.load.invalid.l0table", RT_MODE_S, LOAD, BADL0_VA);
	probe("sv39.load.invalid.l1", RT_MODE_S, LOAD, BADL1_VA);
	probe("sv39.store.invalid.l2", RT_MODE_S, STORE, BADL2_VA);
	probe("sv39.fetch.invalid.l2", RT_MODE_S, FETCH, BADL2_VA);
	probe("sv39.load.mega", RT_MODE_S, LOAD, MEGA_VA + 0x1238);
	probe("sv39.load.mega.misaligned", RT_MODE_S, LOAD, MISMEGA_VA + 0x238);
	probe("sv39.load.giga.misaligned", RT_MODE_S, LOAD, MISGIGA_VA);
	probe("sv39.load.w_without_r", RT_MODE_S, LOAD, WNOR_VA);
	probe("sv39.store.w_without_r", RT_MODE_S, STORE, WNOR_VA);
	probe("sv39.load.noncanonical", RT_MODE_S, LOAD, 0x0000004000000000UL);
	probe("sv39.load.noncanonical.hi", RT_MODE_S, LOAD, 0xffff800000000000UL);

	rt_check("check.sv39.store.ro",
		 rt_run_in_mode(RT_MODE_S,
				(probe_kind = STORE, probe_va = PAGE_VA(PG_RO), probe_one), 0),
		 FAULT(CAUSE_STORE_PAGE));
	rt_check("check.sv39.fetch.rw",
		 rt_run_in_mode(RT_MODE_S,
				(probe_kind = FETCH, probe_va = PAGE_VA(PG_RW), probe_one), 0),
		 FAULT(CAUSE_FETCH_PAGE));
	rt_check("check.sv39.mega.misaligned",
		 rt_run_in_mode(RT_MODE_S, (probe_kind = LOAD, probe_va = MISMEGA_VA, probe_one),
				0),
		 FAULT(CAUSE_LOAD_PAGE));
	rt_check("check.sv39.w_without_r",
		 rt_run_in_mode(RT_MODE_S, (probe_kind = LOAD, probe_va = WNOR_VA, probe_one), 0),
		 FAULT(CAUSE_LOAD_PAGE));
	rt_check("check.sv39.mega",
		 rt_run_in_mode(RT_MODE_S,
				(probe_kind = LOAD, probe_va = MEGA_VA + 0x1238, probe_one), 0),
		 0x4d454741);
}

static void paging_user_and_sum_mxr(void)
{
	// S touching a U page: fault unless SUM; S never fetches from U.
	csr_clear(mstatus, MSTATUS_SUM | MSTATUS_MXR);
	probe("sum0.s.load.user", RT_MODE_S, LOAD, PAGE_VA(PG_URW));
	probe("sum0.s.store.user", RT_MODE_S, STORE, PAGE_VA(PG_URW));
	csr_set(mstatus, MSTATUS_SUM);
	probe("sum1.s.load.user", RT_MODE_S, LOAD, PAGE_VA(PG_URW));
	probe("sum1.s.store.user", RT_MODE_S, STORE, PAGE_VA(PG_URW));
	probe("sum1.s.fetch.user", RT_MODE_S, FETCH, PAGE_VA(PG_UX));
	csr_clear(mstatus, MSTATUS_SUM);

	// MXR makes execute-only pages readable.
	csr_set(mstatus, MSTATUS_MXR);
	probe("mxr1.s.load.xo", RT_MODE_S, LOAD, PAGE_VA(PG_XO));
	csr_clear(mstatus, MSTATUS_MXR);
	probe("mxr0.s.load.xo", RT_MODE_S, LOAD, PAGE_VA(PG_XO));

	// U-mode code through the U=1 alias.
	rt_mode_va_offset = UALIAS_VA - 0x80000000UL;
	probe("u.load.user", RT_MODE_U, LOAD, PAGE_VA(PG_URW));
	probe("u.store.user", RT_MODE_U, STORE, PAGE_VA(PG_URW));
	probe("u.load.supervisor", RT_MODE_U, LOAD, PAGE_VA(PG_RW));
	probe("u.fetch.user", RT_MODE_U, FETCH, PAGE_VA(PG_UX));
	probe("u.fetch.supervisor", RT_MODE_U, FETCH, PAGE_VA(PG_XO));
	csr_set(mstatus, MSTATUS_SUM); /* SUM does not open S pages to U */
	probe("u.sum1.load.supervisor", RT_MODE_U, LOAD, PAGE_VA(PG_RW));
	csr_clear(mstatus, MSTATUS_SUM);
	rt_mode_va_offset = 0;
}

static u64 mprv_load(u64 va, u64 mpp)
{
	u64 v = 0;

	csr_clear(mstatus, MSTATUS_MPP);
	csr_set(mstatus, mpp << 11);
	rt_trap_arm();
	csr_set(mstatus, MSTATUS_MPRV);
	__asm__ volatile("ld %0, 0(%1)" : "+r"(v) : "r"(va) : "memory");
	csr_clear(mstatus, MSTATUS_MPRV);
	return probe_result(v);
}

static void paging_mprv(void)
{
	// M data accesses translate with MPRV = 1 as if in MPP's mode.
	sig("mprv.s.rw", mprv_load(PAGE_VA(PG_RW), RT_MODE_S));
	sig("mprv.s.user", mprv_load(PAGE_VA(PG_URW), RT_MODE_S));
	sig("mprv.u.user", mprv_load(PAGE_VA(PG_URW), RT_MODE_U));
	sig("mprv.u.supervisor", mprv_load(PAGE_VA(PG_RW), RT_MODE_U));
	rt_check("check.mprv.u.supervisor", mprv_load(PAGE_VA(PG_RW), RT_MODE_U),
		 FAULT(CAUSE_LOAD_PAGE));
	// MPP = M: no translation, the VA is used as a physical address.
	rt_check("mprv.m.physical", mprv_load((u64)&pages[PG_RO][16], RT_MODE_M),
		 PAGE_PATTERN(PG_RO) + 16);
}

static void paging_accessed_dirty(void)
{
	sig("ad.before", l0[PG_AD0] & 0xff);
	probe("ad.load", RT_MODE_S, LOAD, PAGE_VA(PG_AD0));
	sig("ad.after.load", l0[PG_AD0] & 0xff);
	probe("ad.store", RT_MODE_S, STORE, PAGE_VA(PG_AD0));
	sig("ad.after.store", l0[PG_AD0] & 0xff);
	sig("d.before", l0[PG_D0] & 0xff);
	probe("d.load", RT_MODE_S, LOAD, PAGE_VA(PG_D0));
	sig("d.after.load", l0[PG_D0] & 0xff);
	probe("d.store", RT_MODE_S, STORE, PAGE_VA(PG_D0));
	sig("d.after.store", l0[PG_D0] & 0xff);
}

static u64 s_sfence_remap(u64 arg)
{
	u64 before, after;

	(void)arg;
	before = probe_load(PAGE_VA(PG_RW) + 16);
	l0[PG_RW] = pte_leaf((u64)pages[PG_RO], PTE_R | PTE_W | PTE_A | PTE_D);
	__asm__ volatile("sfence.vma %0, zero" ::"r"(PAGE_VA(PG_RW)) : "memory");
	after = probe_load(PAGE_VA(PG_RW) + 16);
	l0[PG_RW] = pte_leaf((u64)pages[PG_RW], PTE_R | PTE_W | PTE_A | PTE_D);
	__asm__ volatile("sfence.vma" ::: "memory");
	return before ^ after;
}

static u64 s_asid_switch(u64 arg)
{
	u64 a, b, a_again;

	(void)arg;
	csr_write(satp, SATP_SV39 | (1UL << 44) | ((u64)root >> 12));
	a = probe_load(PAGE_VA(PG_RO));
	csr_write(satp, SATP_SV39 | (2UL << 44) | ((u64)root_b >> 12));
	b = probe_load(PAGE_VA(PG_RO));
	csr_write(satp, SATP_SV39 | (1UL << 44) | ((u64)root >> 12));
	a_again = probe_load(PAGE_VA(PG_RO));
	return (a == a_again) | (a != b) << 1 | (b == (PROBE_TRAPPED | CAUSE_LOAD_PAGE)) << 2;
}

static void paging_sfence_asid(void)
{
	rt_check("sfence.remap", rt_run_in_mode(RT_MODE_S, s_sfence_remap, 0),
		 (PAGE_PATTERN(PG_RW) + 16) ^ (PAGE_PATTERN(PG_RO) + 16));
	__asm__ volatile("sfence.vma" ::: "memory");
	rt_check("asid.switch", rt_run_in_mode(RT_MODE_S, s_asid_switch, 0), 7);
	csr_write(satp, SATP_SV39 | ((u64)root >> 12));
	__asm__ volatile("sfence.vma" ::: "memory");
}

static void paging_sv48(void)
{
	csr_write(satp, SATP_SV48 | ((u64)root48 >> 12));
	__asm__ volatile("sfence.vma" ::: "memory");
	rt_check("sv48.satp.mode", csr_read(satp) >> 60, 9);
	probe("sv48.load.rw", RT_MODE_S, LOAD, PAGE_VA(PG_RW));
	probe("sv48.load.mega", RT_MODE_S, LOAD, MEGA_VA + 0x1238);
	probe("sv48.load.tera", RT_MODE_S, LOAD, 0x8000000000UL + (u64)&pages[PG_RO][24]);
	probe("sv48.load.invalid.l3", RT_MODE_S, LOAD, 0x10000000000UL);
	probe("sv48.load.noncanonical", RT_MODE_S, LOAD, 0x0000800000000000UL);
	probe("sv48.load.invalid.l0", RT_MODE_S, LOAD, PAGE_VA(PG_INVALID));
	rt_check("check.sv48.tera",
		 rt_run_in_mode(RT_MODE_S,
				(probe_kind = LOAD,
				 probe_va = 0x8000000000UL + (u64)&pages[PG_RO][24], probe_one),
				0),
		 PAGE_PATTERN(PG_RO) + 24);
	csr_write(satp, SATP_SV39 | ((u64)root >> 12));
	__asm__ volatile("sfence.vma" ::: "memory");
}

static void paging_delegated(void)
{
	csr_write(medeleg,
		  (1UL << CAUSE_LOAD_PAGE) | (1UL << CAUSE_STORE_PAGE) | (1UL << CAUSE_FETCH_PAGE));
	probe("deleg.load.invalid", RT_MODE_S, LOAD, PAGE_VA(PG_INVALID));
	rt_check("deleg.load.level", rt_trap.level, RT_MODE_S);
	probe("deleg.store.ro", RT_MODE_S, STORE, PAGE_VA(PG_RO));
	probe("deleg.fetch.rw", RT_MODE_S, FETCH, PAGE_VA(PG_RW));
	rt_check("deleg.fetch.level", rt_trap.level, RT_MODE_S);
	csr_write(medeleg, 0);
}

int main(void)
{
	paging_build();
	rt_pmp_allow_all();
	paging_sv39();
	paging_user_and_sum_mxr();
	paging_mprv();
	paging_accessed_dirty();
	paging_sfence_asid();
	paging_sv48();
	paging_delegated();
	csr_write(satp, 0);
	return 0;
}
