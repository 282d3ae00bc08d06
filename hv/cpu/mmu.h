/* SPDX-License-Identifier: MIT */
/*
 * Address translation and the memory slow paths.
 *
 * The executor's fast path is an inline software-TLB hit (exec.c). Every
 * miss, misaligned access, MMIO access or store to a page holding decoded
 * code comes here: translate (Sv39/Sv48 page walk with hardware A/D update,
 * privileged spec 1.12 section 4.3-4.4), check permissions with the
 * effective privilege (MPRV/MPP, SUM, MXR), then access RAM (and refill
 * the TLB) or the device bus.
 *
 * On a fault these functions return -1 and leave the trap cause and tval
 * in h->exc_cause / h->exc_tval; the caller takes the trap.
 */
#ifndef HV_MMU_H
#define HV_MMU_H

#include "hv/cpu/hart.h"

int mmu_load(struct hart *h, gva_t va, unsigned size, uint64_t *val);
int mmu_store(struct hart *h, gva_t va, unsigned size, uint64_t val);

/* Host pointer for an atomic read-modify-write (AMO, SC) or LR of size
 * bytes at va: RAM only, needs write permission for AMO/SC (store/AMO
 * causes), read permission for LR (load causes). */
int mmu_rmw_ptr(struct hart *h, gva_t va, unsigned size, bool is_lr, void **host);

/* Translate pc for instruction fetch; on success *pa is its physical
 * address (RAM only: fetching from devices faults). */
int mmu_fetch_pa(struct hart *h, gva_t pc, gpa_t *pa);

/* Translate va as a load/store/fetch of the current effective privilege
 * without side effects on the TLB. Debugger and SBI helpers. */
int mmu_translate(struct hart *h, gva_t va, enum hv_access acc, gpa_t *pa);

/* A debugger's translation: any valid mapping for reading in h's current
 * address space (user, kernel, execute-only pages alike), no side effects
 * at all. */
int mmu_translate_debug(struct hart *h, gva_t va, gpa_t *pa);

/* Read guest virtual memory through h's current translation (as an
 * S-mode load would, for SBI legacy calls). 0 or -1 on a fault. */
int mmu_read_virt(struct hart *h, gva_t va, void *buf, size_t len);

#endif
