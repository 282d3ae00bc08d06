/* SPDX-License-Identifier: MIT */
/*
 * One RISC-V hart: architectural state (registers, CSRs, privilege),
 * the software TLB and the per-hart block jump cache.
 *
 * Privileged semantics follow the RISC-V privileged spec 1.12: M, S and U
 * modes, trap delegation, Sv39/Sv48 with hardware A/D updates. Everything
 * in here can be set by the guest; csr.c and trap.c validate every write
 * (WARL fields keep legal values only).
 */
#ifndef HV_HART_H
#define HV_HART_H

#include "hv/machine.h"

/* Raise or clear mip bits from outside the hart (devices, SBI, timers);
 * makes the hart look at its interrupts at the next instruction boundary. */
void hart_set_ip(struct hart *h, uint64_t mask, bool level);

/* Take a synchronous exception now (pc must be the faulting instruction's
 * and icount must count only the instructions before it). */
void hart_trap(struct hart *h, uint64_t cause, uint64_t tval);

/* Pending-and-enabled interrupt to take at this boundary, or -1. */
int hart_pending_irq(const struct hart *h);
void hart_take_irq(struct hart *h, int irq);

/* MRET / SRET (privileged spec 3.3.2). Return -1 if illegal here. */
int hart_mret(struct hart *h);
int hart_sret(struct hart *h);

/* CSR access with full permission checks. Return 0, or -1 if the access
 * must raise illegal-instruction. */
int csr_read(struct hart *h, unsigned csr, uint64_t *val);
int csr_write(struct hart *h, unsigned csr, uint64_t val);
/* The value a CSRRS/CSRRC of csr modifies, given what it read. */
uint64_t csr_rmw_base(const struct hart *h, unsigned csr, uint64_t read);

/*
 * The hart record (hart_state.c): the hart's state as one versioned
 * record on a devstate writer (hv/devstate.h), as the devices have. All
 * integers little-endian:
 *
 *   u32 version (HART_RECORD_VERSION), u64 pc, u64 icount, u8 priv,
 *   u64 x[0..31], u64 f[0..31],
 *   u32 n, then n times { u16 CSR number, u64 value }: the CSR table's
 *     CSR_STATE rows in table order (hv/cpu/csr.def; the field as it is held,
 *     so mcycle/minstret are the offsets from icount),
 *   u64 mip_ext, u8 resv_valid, u64 resv_addr, u64 exc_cause,
 *   u64 exc_tval, u64 mtimecmp, u64 stimecmp, u64 itime_offset,
 *   u64 timer_deadline, u8 wfi, u8 trap_loop, u64 trap_loop_round,
 *   u32 hsm, u64 hsm_start_addr, u64 hsm_opaque, u64 traps.
 *
 * Version 1 was the snapshot file's own HART section before the record
 * existed (snapshot file format 2). hart_restore is given a reader over
 * exactly one record; it checks every value (the CSRs by the table's
 * legal column) and consumes all of it, and on malformed input returns -1
 * with the reader's error set, leaving the hart unchanged. The hart's id
 * and machine are not in the record and are kept.
 */
#define HART_RECORD_VERSION 2u
struct devstate_w;
struct devstate_r;
void hart_save(const struct hart *h, struct devstate_w *w);
int hart_restore(struct hart *h, struct devstate_r *r);

/* Reset a hart to the state the platform gives it at power-on. */
void hart_reset(struct hart *h, struct machine *m, unsigned id);

/* Flush this hart's TLB and jump cache: translations changed (satp write,
 * SFENCE.VMA, remote fences, reset). */
void hart_flush_tlb(struct hart *h);
/* Empty the jump cache only (by advancing its epoch). */
void hart_clear_jcache(struct hart *h);
/* SFENCE.VMA of one virtual address: drop what the TLB and the jump
 * cache hold for its page, or everything if it lies in a superpage they
 * may hold translations of. */
void hart_flush_page(struct hart *h, uint64_t va);
/* A walk found va in a superpage of 1 << shift bytes (mmu.c). */
void hart_note_superpage(struct hart *h, uint64_t va, unsigned shift);
/* What a jump cache entry made now for h's privilege mode carries. */
static inline uint32_t hart_jc_tag(const struct hart *h)
{
	return h->jc_epoch << 2 | h->priv;
}

static inline uint32_t hart_jc_pgen(const struct hart *h, uint64_t pc)
{
	return h->jc_page[(pc >> HV_PAGE_SHIFT) & (JC_PAGES - 1)];
}

/* Whether je holds the block at pc for h now. */
static inline bool hart_jc_hit(const struct hart *h, const struct jcache_entry *je, uint64_t pc)
{
	return je->vpc == pc && je->tag == hart_jc_tag(h) && je->pgen == hart_jc_pgen(h, pc) &&
	       je->block;
}
/* Flush only the TLB: the privilege mode or the mstatus bits that decide
 * permissions changed, but not the translations (the jump cache is tagged
 * with the privilege mode). */
void hart_flush_access_tlb(struct hart *h);

/* The mtime value this hart observes now (10 MHz ticks). */
uint64_t hart_time(struct hart *h);
/* Recompute timer_deadline and the timer mip bits after time or a
 * compare register changed. */
void hart_timer_update(struct hart *h);

/* Resume h from an HSM suspend if an interrupt is pending and enabled
 * ((mip | mip_ext) & mie != 0, the WFI wake-up condition). Returns true
 * if h is now HSM_STARTED. Does nothing to a hart that is not suspended. */
bool hart_hsm_wake(struct hart *h);

#endif
