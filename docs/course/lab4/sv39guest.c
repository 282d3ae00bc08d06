// SPDX-License-Identifier: MIT
/*
 * sv39guest: the machine of lab 4 (README.md). An S-mode guest on the
 * paravirtual runtime (tests/rt/pv) that builds Sv39 page tables the way a
 * small kernel would, turns translation on and stops at lab_ready(), where
 * the student walks the tables in gdb.
 *
 * The address space (privileged spec, "Sv39: Page-Based 39-bit Virtual-
 * Memory System"; satp in "Supervisor Address Translation and Protection
 * (satp) Register"):
 *
 *   0x0000_0000_8000_0000  1 GiB leaf in the root table (VPN[2] = 2):
 *                          identity map of RAM, so the code, its data and
 *                          its stack keep their addresses when satp is
 *                          written.
 *   LAB4_VA_PAGE           4 KiB page, three levels: root -> lab_l1 ->
 *                          lab_l0 -> lab_page (somewhere in .bss).
 *   LAB4_VA_MEGA           2 MiB leaf in lab_l1 (the same root entry as
 *                          the 4 KiB page), at physical LAB4_PA_MEGA.
 *
 * Through each high address it writes a marker (a 64-bit value whose
 * bytes read "LAB4PAGE" and "LAB4MEGA"), so that reading the physical
 * address a walk finds shows the same value. Leaves carry A and D, so
 * no access needs the hart to set them. Everything is deterministic: the
 * tables, and so every address, are the same on every run of one build.
 */
#include "pvrt.h"

#define PTE_V (1ul << 0)
#define PTE_R (1ul << 1)
#define PTE_W (1ul << 2)
#define PTE_X (1ul << 3)
#define PTE_A (1ul << 6)
#define PTE_D (1ul << 7)
#define SATP_MODE_SV39 (8ul << 60)

#define LAB4_VA_PAGE 0xffffffc012345678ul /* VPN 0x100 / 0x091 / 0x145 */
#define LAB4_VA_MEGA 0xffffffc000600abcul /* VPN 0x100 / 0x003, 2 MiB leaf */
#define LAB4_PA_MEGA 0x80800000ul
#define LAB4_MARK_PAGE 0x454741503442414cul /* "LAB4PAGE" little-endian */
#define LAB4_MARK_MEGA 0x4147454d3442414cul /* "LAB4MEGA" little-endian */

const char pv_guest_name[] = "lab4";

static unsigned long lab_root[512] __attribute__((aligned(4096)));
static unsigned long lab_l1[512] __attribute__((aligned(4096)));
static unsigned long lab_l0[512] __attribute__((aligned(4096)));
static unsigned char lab_page[4096] __attribute__((aligned(4096)));

static unsigned long vpn(unsigned long va, int level)
{
	return (va >> (12 + 9 * level)) & 0x1ff;
}

static unsigned long pte_table(const void *next)
{
	return ((unsigned long)next >> 12) << 10 | PTE_V;
}

static unsigned long pte_leaf(unsigned long pa, unsigned long perm)
{
	return (pa >> 12) << 10 | perm | PTE_A | PTE_D | PTE_V;
}

/* Where gdb stops: translation is on and both markers are written. */
__attribute__((noinline)) void lab_ready(unsigned long satp)
{
	__asm__ volatile("" ::"r"(satp) : "memory");
}

void guest_main(unsigned long dtb)
{
	(void)dtb;
	lab_root[2] = pte_leaf(0x80000000ul, PTE_R | PTE_W | PTE_X);
	lab_root[vpn(LAB4_VA_PAGE, 2)] = pte_table(lab_l1);
	lab_l1[vpn(LAB4_VA_PAGE, 1)] = pte_table(lab_l0);
	lab_l0[vpn(LAB4_VA_PAGE, 0)] = pte_leaf((unsigned long)lab_page, PTE_R | PTE_W);
	lab_l1[vpn(LAB4_VA_MEGA, 1)] = pte_leaf(LAB4_PA_MEGA, PTE_R | PTE_W);

	unsigned long satp = SATP_MODE_SV39 | (unsigned long)lab_root >> 12;
	__asm__ volatile(
		"sfence.vma zero, zero\n\tcsrw satp, %0\n\tsfence.vma zero, zero" ::"r"(satp)
		: "memory");
	*(volatile unsigned long *)LAB4_VA_PAGE = LAB4_MARK_PAGE;
	*(volatile unsigned long *)LAB4_VA_MEGA = LAB4_MARK_MEGA;
	pv_printf("lab4: Sv39 on, satp 0x%lx\n", csr_read(satp));
	pv_printf("lab4: markers at 0x%lx and 0x%lx\n", LAB4_VA_PAGE, LAB4_VA_MEGA);
	lab_ready(satp);
	pv_printf("lab4: done\n");
}
