// SPDX-License-Identifier: MIT
/*
 * Page-table walks for introspection (privileged spec, section "Virtual
 * Address Translation Process", steps 1-5 and 10; "Sv39", "Sv48", "Sv57").
 *
 * Invariants: a walk reads at most LEVELS PTEs (3, 4 or 5), each with one
 * 8-byte read_phys call, so untrusted tables (cycles, garbage) cannot make
 * it loop; an unreadable PTE is an access fault (INTRO_EACCESS). A virtual
 * address whose bits 63..VALEN are not copies of bit VALEN-1 is not
 * canonical and faults before any memory is read.
 */
#include "introspect/walk.h"

#include <string.h>

#define PTE_PPN_SHIFT 10
#define PTE_PPN_MASK ((1ull << 44) - 1)
/* Bits 63:54: N (Svnapot), PBMT (Svpbmt) and reserved-for-future bits.
 * The machine implements neither extension, so any of them set faults,
 * exactly as the hart's own walker decides (hv/cpu/mmu.c). */
#define PTE_RESERVED (~0ull << 54)
#define PAGE_SHIFT 12
#define PAGE_SIZE (1ull << PAGE_SHIFT)

static unsigned walk_levels(uint64_t satp)
{
	switch ((unsigned)(satp >> 60)) {
	case INTRO_SATP_SV39:
		return 3;
	case INTRO_SATP_SV48:
		return 4;
	case INTRO_SATP_SV57:
		return 5;
	default:
		return 0;
	}
}

int intro_translate(const struct intro_mem *mem, uint64_t satp, uint64_t va, uint64_t *pa,
		    unsigned *perm)
{
	unsigned mode = (unsigned)(satp >> 60);
	unsigned levels;

	if (mode == INTRO_SATP_BARE) {
		*pa = va;
		if (perm)
			*perm = INTRO_PTE_V | INTRO_PTE_R | INTRO_PTE_W | INTRO_PTE_X;
		return INTRO_OK;
	}
	levels = walk_levels(satp);
	if (!levels)
		return INTRO_EMODE;

	/* Bits 63..VALEN must equal bit VALEN-1 ("must have bits 63-39 all
	 * equal to bit 38, or else a page-fault exception will occur"). */
	unsigned va_bits = PAGE_SHIFT + 9 * levels;
	int64_t sext = (int64_t)(va << (64 - va_bits)) >> (64 - va_bits);
	if ((uint64_t)sext != va)
		return INTRO_EFAULT;

	uint64_t table = (satp & PTE_PPN_MASK) << PAGE_SHIFT;
	for (int level = (int)levels - 1; level >= 0; level--) {
		uint64_t vpn = (va >> (PAGE_SHIFT + 9 * level)) & 0x1ff;
		uint64_t pte_addr = table + vpn * 8;
		uint8_t raw[8];
		uint64_t pte = 0;

		if (mem->read_phys(mem->opaque, pte_addr, raw, sizeof(raw)) != 0)
			return INTRO_EACCESS;
		/* PTEs are little-endian in memory whatever the host is. */
		for (int b = 7; b >= 0; b--)
			pte = (pte << 8) | raw[b];

		/* Step 3: invalid, W without R, or reserved bits set. */
		if (!(pte & INTRO_PTE_V) || (!(pte & INTRO_PTE_R) && (pte & INTRO_PTE_W)) ||
		    (pte & PTE_RESERVED))
			return INTRO_EFAULT;
		uint64_t ppn = (pte >> PTE_PPN_SHIFT) & PTE_PPN_MASK;
		if (!(pte & (INTRO_PTE_R | INTRO_PTE_X))) {
			/* Step 4: a pointer to the next level; falling off
			 * level 0 ends the loop and faults below. */
			table = ppn << PAGE_SHIFT;
			continue;
		}
		/* Step 5: a superpage's low PPN fields must be zero. */
		uint64_t low_mask = (1ull << (9 * level)) - 1;
		if (ppn & low_mask)
			return INTRO_EFAULT;
		/* Step 10: the low VPNs and the offset pass through. */
		uint64_t page_off = va & ((1ull << (PAGE_SHIFT + 9 * level)) - 1);
		*pa = (ppn << PAGE_SHIFT) | page_off;
		if (perm)
			*perm = (unsigned)(pte & 0xff);
		return INTRO_OK;
	}
	return INTRO_EFAULT;
}

int intro_read_virt(const struct intro_mem *mem, uint64_t satp, uint64_t va, void *buf, size_t len)
{
	uint8_t *out = buf;

	while (len) {
		uint64_t pa;
		size_t chunk = (size_t)(PAGE_SIZE - (va & (PAGE_SIZE - 1)));

		if (chunk > len)
			chunk = len;
		if (intro_translate(mem, satp, va, &pa, NULL) != INTRO_OK)
			return -1;
		if (mem->read_phys(mem->opaque, pa, out, chunk) != 0)
			return -1;
		out += chunk;
		va += chunk;
		len -= chunk;
	}
	return 0;
}

int intro_read_u64(const struct intro_mem *mem, uint64_t satp, uint64_t va, uint64_t *val)
{
	uint8_t raw[8];
	uint64_t v = 0;

	if (intro_read_virt(mem, satp, va, raw, sizeof(raw)) != 0)
		return -1;
	for (int b = 7; b >= 0; b--)
		v = (v << 8) | raw[b];
	*val = v;
	return 0;
}
