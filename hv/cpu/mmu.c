// SPDX-License-Identifier: MIT
/*
 * Virtual memory: Sv39/Sv48 translation, permission checks, hardware A/D
 * updates, the software TLB refill and the load/store slow paths.
 *
 * Privileged spec 1.12, section 4.3.2 (the walk) and 4.4 (Sv48):
 *   - the effective privilege of loads and stores is MPP when MPRV is set
 *     in M-mode; fetches use the current privilege;
 *   - a virtual address whose upper bits are not a sign extension of the
 *     top VA bit faults; so do invalid PTEs, W-without-R, reserved PTE bits
 *     (63:54: no Svnapot/Svpbmt), misaligned superpages, and permission
 *     failures (U pages from S need SUM, and are never executable from S;
 *     MXR makes executable pages readable);
 *   - A and D are set by the walker (the spec's "hardware update" option),
 *     writing the PTE back through the same path as any other RAM store so
 *     that decoded code in a page-table page would be dropped.
 * Page tables and addresses are guest data: the walk reads PTEs only from
 * RAM (anything else is an access fault) and does at most 4 levels.
 *
 * Alignment is checked first: misaligned loads, stores and AMOs trap with
 * the address-misaligned cause and the address in tval.
 */
#include "hv/cpu/mmu.h"
#include "hv/cpu/debug.h"
#include "hv/hooks.h"

#include <string.h>

#include "hv/cpu/hart.h"
#include "hv/cpu/spin.h"
#include "hv/mem/mem.h"

#define PTE_V (1ull << 0)
#define PTE_R (1ull << 1)
#define PTE_W (1ull << 2)
#define PTE_X (1ull << 3)
#define PTE_U (1ull << 4)
#define PTE_A (1ull << 6)
#define PTE_D (1ull << 7)
#define PTE_PPN_SHIFT 10
#define PTE_PPN_MASK ((1ull << 44) - 1)
#define PTE_RESERVED (~0ull << 54)

static const uint64_t page_fault_cause[3] = {
	[ACC_LOAD] = CAUSE_LOAD_PAGE_FAULT,
	[ACC_STORE] = CAUSE_STORE_PAGE_FAULT,
	[ACC_FETCH] = CAUSE_FETCH_PAGE_FAULT,
};
static const uint64_t access_fault_cause[3] = {
	[ACC_LOAD] = CAUSE_LOAD_ACCESS,
	[ACC_STORE] = CAUSE_STORE_ACCESS,
	[ACC_FETCH] = CAUSE_FETCH_ACCESS,
};

static int mmu_fault(struct hart *h, uint64_t cause, gva_t va)
{
	h->exc_cause = cause;
	h->exc_tval = va;
	return -1;
}

static unsigned mmu_eff_priv(const struct hart *h, enum hv_access acc)
{
	if (acc != ACC_FETCH && h->priv == PRIV_M && (h->mstatus & MSTATUS_MPRV))
		return (unsigned)((h->mstatus & MSTATUS_MPP) >> 11);
	return h->priv;
}

/*
 * Translate va for an access of kind acc. On success *pa is the physical
 * address; the A/D bits are set when update is true.
 */
static int mmu_walk(struct hart *h, gva_t va, enum hv_access acc, bool update, gpa_t *pa)
{
	unsigned priv = mmu_eff_priv(h, acc);
	uint64_t mode = h->satp >> 60;
	unsigned levels;

	if (priv == PRIV_M || mode == 0) {
		*pa = va;
		return 0;
	}
	levels = mode == 9 ? 4 : 3;
	unsigned va_bits = 12 + 9 * levels;
	int64_t sext = (int64_t)(va << (64 - va_bits)) >> (64 - va_bits);
	if ((uint64_t)sext != va)
		return mmu_fault(h, page_fault_cause[acc], va);

	gpa_t table = (h->satp & PTE_PPN_MASK) << HV_PAGE_SHIFT;
	for (int level = (int)levels - 1; level >= 0; level--) {
		unsigned vpn = (va >> (12 + 9 * level)) & 0x1ff;
		gpa_t pte_addr = table + vpn * 8ull;
		uint64_t pte;

		if (!machine_read_phys(h->m, pte_addr, &pte, 8))
			return mmu_fault(h, access_fault_cause[acc], va);
		if (!(pte & PTE_V) || (!(pte & PTE_R) && (pte & PTE_W)) || (pte & PTE_RESERVED))
			return mmu_fault(h, page_fault_cause[acc], va);
		uint64_t ppn = (pte >> PTE_PPN_SHIFT) & PTE_PPN_MASK;
		if (!(pte & (PTE_R | PTE_X))) {
			table = ppn << HV_PAGE_SHIFT;
			continue;
		}
		/* Leaf: permissions (section 4.3.1 and 4.3.2 step 5). */
		bool ok;
		if (acc == ACC_FETCH)
			ok = (pte & PTE_X) != 0;
		else if (acc == ACC_LOAD)
			ok = (pte & PTE_R) || ((h->mstatus & MSTATUS_MXR) && (pte & PTE_X));
		else
			ok = (pte & PTE_W) != 0;
		if (priv == PRIV_U && !(pte & PTE_U))
			ok = false;
		if (priv == PRIV_S && (pte & PTE_U) &&
		    (acc == ACC_FETCH || !(h->mstatus & MSTATUS_SUM)))
			ok = false;
		if (!ok)
			return mmu_fault(h, page_fault_cause[acc], va);
		uint64_t low_mask = (1ull << (9 * level)) - 1;
		if (ppn & low_mask)
			return mmu_fault(h, page_fault_cause[acc], va);
		if (update && (!(pte & PTE_A) || (acc == ACC_STORE && !(pte & PTE_D)))) {
			pte |= PTE_A | (acc == ACC_STORE ? PTE_D : 0);
			spin_effect(h);
			if (!machine_write_phys(h->m, pte_addr, &pte, 8))
				return mmu_fault(h, access_fault_cause[acc], va);
		}
		uint64_t page_off = va & ((1ull << (12 + 9 * level)) - 1);
		*pa = ((ppn & ~low_mask) << HV_PAGE_SHIFT) | page_off;
		if (level > 0)
			hart_note_superpage(h, va, 12 + 9 * (unsigned)level);
		return 0;
	}
	return mmu_fault(h, page_fault_cause[acc], va);
}

int mmu_translate(struct hart *h, gva_t va, enum hv_access acc, gpa_t *pa)
{
	return mmu_walk(h, va, acc, false, pa);
}

int mmu_translate_debug(struct hart *h, gva_t va, gpa_t *pa)
{
	/* Any valid readable mapping of the current address space: as an
	 * S-mode load with SUM and MXR set (user pages and execute-only
	 * pages too), and no trace of the attempt left in the hart. */
	uint64_t mstatus = h->mstatus, cause = h->exc_cause, tval = h->exc_tval;
	unsigned priv = h->priv;

	if (priv == PRIV_U)
		h->priv = PRIV_S;
	h->mstatus = (mstatus | MSTATUS_SUM | MSTATUS_MXR) & ~MSTATUS_MPRV;
	int r = mmu_walk(h, va, ACC_LOAD, false, pa);
	h->priv = priv;
	h->mstatus = mstatus;
	h->exc_cause = cause;
	h->exc_tval = tval;
	return r;
}

static void mmu_tlb_fill(struct hart *h, enum hv_access acc, gva_t va, gpa_t pa, uint8_t *host)
{
	struct tlb_entry *e = &h->tlb[acc][(va >> HV_PAGE_SHIFT) & (TLB_SIZE - 1)];

	/* Watchpoints: every data access takes the slow path (debug.h);
	 * plugins watching memory: the pages they watch (hooks.h). */
	if (HV_UNLIKELY(h->m->dbg) && acc != ACC_FETCH && debug_watching(h->m))
		return;
	if (HV_UNLIKELY(h->m->hooks) && acc != ACC_FETCH && h->m->hooks->mem_page &&
	    h->m->hooks->mem_page(h->m->hooks->opaque, va & ~HV_PAGE_MASK, pa & ~HV_PAGE_MASK))
		return;
	e->tag = va & ~HV_PAGE_MASK;
	e->addend = (uintptr_t)host - (uintptr_t)(va & ~HV_PAGE_MASK);
	e->pa = pa & ~HV_PAGE_MASK;
}

static uint8_t *mmu_ram_page(struct machine *m, gpa_t pa)
{
	return ram_ptr(&m->ram, pa & ~HV_PAGE_MASK);
}

/*
 * The start of an access the TLB did not serve: alignment, then
 * translation, then the RAM page behind it (*page NULL: a device).
 * Returns -1 when the access trapped.
 */
static inline int mmu_slow_start(struct hart *h, gva_t va, unsigned size, enum hv_access acc,
				 gpa_t *pa, uint8_t **page)
{
	if (va & (size - 1))
		return mmu_fault(h,
				 acc == ACC_LOAD ? CAUSE_MISALIGNED_LOAD : CAUSE_MISALIGNED_STORE,
				 va);
	if (mmu_walk(h, va, acc, true, pa))
		return -1;
	*page = mmu_ram_page(h->m, *pa);
	return 0;
}

/* A data access, for gdb's watchpoints (debug.h). */
static inline void mmu_watch(struct hart *h, gva_t va, unsigned size, bool write, bool read)
{
	if (HV_UNLIKELY(h->m->dbg) && debug_watching(h->m))
		debug_note_access(h, va, size, write, read);
}

/* A RAM access, for plugins watching memory (hooks.h). */
static inline void mmu_hook(struct hart *h, gva_t va, gpa_t pa, unsigned size, bool write,
			    uint64_t v)
{
	if (HV_UNLIKELY(h->m->hooks) && h->m->hooks->mem)
		h->m->hooks->mem(h->m->hooks->opaque, h, va, pa, size, write, v);
}

/* Before a store into the RAM page at pa: a shared page is copied first
 * (frame pool CoW), and the page is marked dirty, which also covers
 * later stores through the TLB. Returns the page to write. */
static inline uint8_t *mmu_store_page(struct hart *h, gpa_t pa, uint8_t *page)
{
	struct ram *ram = &h->m->ram;
	uint64_t idx = (pa - ram->base) >> HV_PAGE_SHIFT;

	if (ram->flags[idx]) {
		ram_note_store(h->m, pa);
		page = mmu_ram_page(h->m, pa);
	}
	ram->dirty[idx] = 1;
	return page;
}

/* A load or store that hit no RAM: the device on the bus, or an access
 * fault. A watchpoint counts accesses that happened: after the device. */
static int mmu_device(struct hart *h, gva_t va, gpa_t pa, unsigned size, bool write, uint64_t *val)
{
	if (write ? !bus_write(h->m, pa, size, *val) : !bus_read(h->m, pa, size, val))
		return mmu_fault(h, write ? CAUSE_STORE_ACCESS : CAUSE_LOAD_ACCESS, va);
	spin_effect(h); /* a device acted (spin.h) */
	mmu_watch(h, va, size, write, !write);
	return 0;
}

int mmu_load(struct hart *h, gva_t va, unsigned size, uint64_t *val)
{
	uint8_t *page;
	uint64_t v = 0;
	gpa_t pa;

	if (mmu_slow_start(h, va, size, ACC_LOAD, &pa, &page))
		return -1;
	if (!page)
		return mmu_device(h, va, pa, size, false, val);
	memcpy(&v, page + (pa & HV_PAGE_MASK), size);
	*val = v;
	mmu_tlb_fill(h, ACC_LOAD, va, pa, page);
	mmu_watch(h, va, size, false, true);
	mmu_hook(h, va, pa, size, false, v);
	return 0;
}

int mmu_store(struct hart *h, gva_t va, unsigned size, uint64_t val)
{
	struct ram *ram = &h->m->ram;
	uint8_t *page;
	gpa_t pa;

	if (mmu_slow_start(h, va, size, ACC_STORE, &pa, &page))
		return -1;
	if (!page)
		return mmu_device(h, va, pa, size, true, &val);
	mmu_watch(h, va, size, true, false);
	page = mmu_store_page(h, pa, page);
	if (HV_UNLIKELY(h->spin.watching)) {
		/* A spin proof (spin.h): stores must leave memory as it was,
		 * and must keep coming here. */
		if (memcmp(page + (pa & HV_PAGE_MASK), &val, size))
			spin_effect(h);
		memcpy(page + (pa & HV_PAGE_MASK), &val, size);
		mmu_hook(h, va, pa, size, true, val);
		return 0;
	}
	memcpy(page + (pa & HV_PAGE_MASK), &val, size);
	if (!ram->flags[(pa - ram->base) >> HV_PAGE_SHIFT])
		mmu_tlb_fill(h, ACC_STORE, va, pa, page);
	mmu_hook(h, va, pa, size, true, val);
	return 0;
}

int mmu_rmw_ptr(struct hart *h, gva_t va, unsigned size, bool is_lr, void **host)
{
	enum hv_access acc = is_lr ? ACC_LOAD : ACC_STORE;
	uint8_t *page;
	gpa_t pa;

	if (mmu_slow_start(h, va, size, acc, &pa, &page))
		return -1;
	if (!page) /* no device supports atomics (PMA) */
		return mmu_fault(h, access_fault_cause[acc], va);
	spin_effect(h);
	mmu_watch(h, va, size, !is_lr, true);
	if (HV_UNLIKELY(h->m->hooks) && h->m->hooks->mem) {
		uint64_t v = 0;
		memcpy(&v, page + (pa & HV_PAGE_MASK), size);
		mmu_hook(h, va, pa, size, !is_lr, v);
	}
	if (!is_lr)
		page = mmu_store_page(h, pa, page);
	*host = page + (pa & HV_PAGE_MASK);
	h->rmw_pa = pa;
	return 0;
}

int mmu_fetch_pa(struct hart *h, gva_t pc, gpa_t *pa)
{
	struct tlb_entry *e = &h->tlb[ACC_FETCH][(pc >> HV_PAGE_SHIFT) & (TLB_SIZE - 1)];

	if (e->tag == (pc & ~HV_PAGE_MASK)) {
		*pa = e->pa | (pc & HV_PAGE_MASK);
		return 0;
	}
	if (mmu_walk(h, pc, ACC_FETCH, true, pa))
		return -1;
	uint8_t *page = mmu_ram_page(h->m, *pa);
	if (!page)
		return mmu_fault(h, CAUSE_FETCH_ACCESS, pc);
	mmu_tlb_fill(h, ACC_FETCH, pc, *pa, page);
	return 0;
}

int mmu_read_virt(struct hart *h, gva_t va, void *buf, size_t len)
{
	uint8_t *out = buf;

	while (len) {
		size_t chunk = HV_PAGE_SIZE - (va & HV_PAGE_MASK);
		gpa_t pa;
		if (chunk > len)
			chunk = len;
		if (mmu_walk(h, va, ACC_LOAD, false, &pa) ||
		    !machine_read_phys(h->m, pa, out, chunk))
			return -1;
		out += chunk;
		va += chunk;
		len -= chunk;
	}
	return 0;
}
