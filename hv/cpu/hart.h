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

#include "hv/types.h"

struct machine;
struct block;

enum hv_priv { PRIV_U = 0, PRIV_S = 1, PRIV_M = 3 };

/* Trap causes (privileged spec, table "mcause values"). */
enum hv_cause {
	CAUSE_MISALIGNED_FETCH = 0,
	CAUSE_FETCH_ACCESS = 1,
	CAUSE_ILLEGAL_INSN = 2,
	CAUSE_BREAKPOINT = 3,
	CAUSE_MISALIGNED_LOAD = 4,
	CAUSE_LOAD_ACCESS = 5,
	CAUSE_MISALIGNED_STORE = 6,
	CAUSE_STORE_ACCESS = 7,
	CAUSE_ECALL_U = 8,
	CAUSE_ECALL_S = 9,
	CAUSE_ECALL_M = 11,
	CAUSE_FETCH_PAGE_FAULT = 12,
	CAUSE_LOAD_PAGE_FAULT = 13,
	CAUSE_STORE_PAGE_FAULT = 15,
};
#define CAUSE_INTERRUPT (1ull << 63)

/* Interrupt numbers and mip/mie bits. */
enum { IRQ_SSI = 1, IRQ_MSI = 3, IRQ_STI = 5, IRQ_MTI = 7, IRQ_SEI = 9, IRQ_MEI = 11 };
#define MIP_SSIP (1ull << IRQ_SSI)
#define MIP_MSIP (1ull << IRQ_MSI)
#define MIP_STIP (1ull << IRQ_STI)
#define MIP_MTIP (1ull << IRQ_MTI)
#define MIP_SEIP (1ull << IRQ_SEI)
#define MIP_MEIP (1ull << IRQ_MEI)

/* mstatus fields. */
#define MSTATUS_SIE (1ull << 1)
#define MSTATUS_MIE (1ull << 3)
#define MSTATUS_SPIE (1ull << 5)
#define MSTATUS_UBE (1ull << 6)
#define MSTATUS_MPIE (1ull << 7)
#define MSTATUS_SPP (1ull << 8)
#define MSTATUS_MPP (3ull << 11)
#define MSTATUS_FS (3ull << 13)
#define MSTATUS_XS (3ull << 15)
#define MSTATUS_MPRV (1ull << 17)
#define MSTATUS_SUM (1ull << 18)
#define MSTATUS_MXR (1ull << 19)
#define MSTATUS_TVM (1ull << 20)
#define MSTATUS_TW (1ull << 21)
#define MSTATUS_TSR (1ull << 22)
#define MSTATUS_UXL (3ull << 32)
#define MSTATUS_SXL (3ull << 34)
#define MSTATUS_SD (1ull << 63)
#define MSTATUS_FS_SHIFT 13

/* Software TLB: one direct-mapped array per access kind. An entry maps a
 * guest virtual page to host memory: host = va + addend. tag is the
 * virtual page number, or TLB_INVALID. Only RAM pages that may be
 * accessed directly for that kind are entered (a store entry never maps a
 * page that holds decoded code). */
enum hv_access { ACC_LOAD = 0, ACC_STORE = 1, ACC_FETCH = 2 };
#define TLB_BITS 8
#define TLB_SIZE (1u << TLB_BITS)
#define TLB_INVALID (~0ull)
struct tlb_entry {
	uint64_t tag;      /* page-aligned guest virtual address */
	uintptr_t addend;  /* host address - guest virtual address */
	gpa_t pa;          /* guest physical address of the page */
};

#define JCACHE_BITS 10
#define JCACHE_SIZE (1u << JCACHE_BITS)

/* SBI HSM hart states (SBI spec, HSM extension). */
enum hv_hsm {
	HSM_STARTED = 0,
	HSM_STOPPED = 1,
	HSM_START_PENDING = 2,
	HSM_STOP_PENDING = 3,
	HSM_SUSPENDED = 4,
};

struct hart {
	uint64_t x[33]; /* x[32] absorbs writes to x0 (see exec.c) */
	uint64_t f[32];
	uint64_t pc;
	icount_t icount; /* instructions retired: minstret and the clock */
	unsigned priv;
	unsigned id;
	struct machine *m;

	/* Floating point CSR fields. */
	uint32_t fflags, frm;

	/* Machine-level CSRs. */
	uint64_t mstatus, misa, medeleg, mideleg, mie, mip;
	uint64_t mtvec, mscratch, mepc, mcause, mtval;
	uint64_t mcounteren, mcountinhibit, menvcfg;
	uint64_t mcycle_offset, minstret_offset; /* guest writes to counters */
	/* PMP registers: kept for firmware that probes them, not enforced. */
	uint64_t pmpcfg[8], pmpaddr[64];
	/* Supervisor-level CSRs (sstatus/sie/sip are views of the above). */
	uint64_t stvec, sscratch, sepc, scause, stval, satp, scounteren, senvcfg;

	/* LR/SC reservation: the guest physical address of the reserved
	 * word, cleared on xRET and when another hart runs. (A physical, not
	 * a host, address: a snapshot taken between LR and SC moves the page
	 * to a new frame at the SC's copy-on-write, which must not make the SC
	 * fail.) rmw_pa is the physical address of the last LR/SC/AMO. */
	gpa_t resv_addr;
	bool resv_valid;
	gpa_t rmw_pa;

	/* Hardware-driven part of mip.SEIP (the PLIC's line); the readable
	 * SEIP is this OR the software-writable bit in mip. */
	uint64_t mip_ext;

	/* Traps taken (exceptions and interrupts): with icount, the hart's
	 * step events for debuggers (hv/cpu/debug.h). */
	uint64_t traps;
	/* A plugin's instruction callback left the block before its
	 * instruction: do not call it again when the block is re-entered
	 * at the same pc and count (exec.c). */
	bool plugin_skip;
	uint64_t plugin_skip_pc;
	icount_t plugin_skip_icount;

	/* Exception raised by a memory slow path, taken by the executor. */
	uint64_t exc_cause, exc_tval;

	/* Timers. mtimecmp is the CLINT's; stimecmp is what the SBI TIME
	 * extension programmed in paravirtual mode. Both in mtime ticks. */
	uint64_t mtimecmp, stimecmp;
	/* Local time in instruction units = icount + itime_offset (idle time
	 * is added to the offset). icount at which the next timer fires. */
	uint64_t itime_offset;
	icount_t timer_deadline;

	/* Scheduling. */
	bool wfi;            /* stalled in WFI until an interrupt is pending */
	/* Stalled because the trap vector itself traps: the hart can make no
	 * progress until an interrupt that it will take arrives. */
	bool trap_loop;
	uint64_t trap_loop_round; /* the round in which trap_loop was set */
	enum hv_hsm hsm;
	uint64_t hsm_start_addr, hsm_opaque;
	bool exit_req;       /* leave the block loop at the next boundary */

	struct tlb_entry tlb[3][TLB_SIZE];
	/* Virtual pc -> block, for the privilege mode it was fetched in (S
	 * and U share translations but not permissions). */
	struct jcache_entry {
		uint64_t vpc;
		struct block *block;
		unsigned priv;
	} jcache[JCACHE_SIZE];
};

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
/* Flush only the TLB: the privilege mode or the mstatus bits that decide
 * permissions changed, but not the translations (the jump cache is tagged
 * with the privilege mode). */
void hart_flush_access_tlb(struct hart *h);

/* The mtime value this hart observes now (10 MHz ticks). */
uint64_t hart_time(struct hart *h);
/* Recompute timer_deadline and the timer mip bits after time or a
 * compare register changed. */
void hart_timer_update(struct hart *h);

#endif
