/* SPDX-License-Identifier: MIT */
/*
 * Guest page-table walks from outside the guest (privileged spec,
 * "Virtual Address Translation Process" and the Sv39/Sv48/Sv57 sections).
 *
 * The library never touches the machine: guest physical memory is read
 * through struct intro_mem, so the same code serves the plugin API, tests
 * with a fake memory, and offline tools reading a memory dump. The page
 * tables are guest data and are not trusted: a walk reads at most LEVELS
 * PTEs, so a table that points to itself ends in a fault, never a loop.
 *
 * The walk is a debugger's view: it checks the encoding of every PTE like
 * the hart does (V, W-without-R, reserved bits 63:54 since the machine
 * implements neither Svnapot nor Svpbmt, misaligned superpages) but not
 * the access permissions, and it never sets A or D. The leaf's permission
 * bits are returned so the caller can apply the checks it cares about.
 */
#ifndef INTROSPECT_WALK_H
#define INTROSPECT_WALK_H

#include <stddef.h>
#include <stdint.h>

/* How guest physical memory is read. read_phys returns 0 when all len
 * bytes at pa were copied into buf and -1 otherwise (not RAM, out of
 * range); the library treats -1 as "this address does not exist". */
struct intro_mem {
	void *opaque;
	int (*read_phys)(void *opaque, uint64_t pa, void *buf, size_t len);
};

/* satp.MODE values (privileged spec, "Supervisor Address Translation and
 * Protection (satp) Register"). */
#define INTRO_SATP_BARE 0u
#define INTRO_SATP_SV39 8u
#define INTRO_SATP_SV48 9u
#define INTRO_SATP_SV57 10u

/* Leaf PTE bits reported in *perm (the PTE's own bit positions). */
#define INTRO_PTE_V (1u << 0)
#define INTRO_PTE_R (1u << 1)
#define INTRO_PTE_W (1u << 2)
#define INTRO_PTE_X (1u << 3)
#define INTRO_PTE_U (1u << 4)
#define INTRO_PTE_G (1u << 5)
#define INTRO_PTE_A (1u << 6)
#define INTRO_PTE_D (1u << 7)

/* Results of intro_translate. */
#define INTRO_OK 0
#define INTRO_EFAULT (-1)  /* the guest would take a page fault */
#define INTRO_EACCESS (-2) /* a PTE could not be read (access fault) */
#define INTRO_EMODE (-3)   /* satp.MODE is not Bare, Sv39, Sv48 or Sv57 */

/*
 * Translate va with the page tables satp designates. On INTRO_OK, *pa is
 * the physical address and *perm (if not NULL) the leaf PTE's low eight
 * bits (INTRO_PTE_*; V|R|W|X for Bare mode). The other results are
 * negative (see above) and leave *pa and *perm unchanged.
 */
int intro_translate(const struct intro_mem *mem, uint64_t satp, uint64_t va, uint64_t *pa,
		    unsigned *perm);

/*
 * Read len bytes at virtual address va, translating each 4 KiB page on
 * its own (the range may cross pages with different mappings). Returns 0
 * when all bytes were read, -1 if a page is unmapped or unreadable (buf
 * then holds an unspecified prefix).
 */
int intro_read_virt(const struct intro_mem *mem, uint64_t satp, uint64_t va, void *buf, size_t len);

/* Little-endian 64-bit read at a virtual address; 0 or -1. */
int intro_read_u64(const struct intro_mem *mem, uint64_t satp, uint64_t va, uint64_t *val);

#endif
