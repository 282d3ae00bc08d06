/* SPDX-License-Identifier: MIT */
/*
 * Debugger support in the machine (the hook surface gdbstub/ uses):
 * breakpoints on virtual pc, watchpoints on virtual data addresses, and
 * exact stop targets, all deterministic and costing nothing while unused
 * (m->dbg is NULL or inactive: one predictable branch per block lookup,
 * none per instruction).
 *
 * Positions. Every hart counts its step events: instructions retired
 * (icount) plus traps taken (h->traps, exceptions and interrupts: a trap
 * entry is a stop point of its own, as on hardware with a debugger). The
 * machine's position is the sum over harts, debug_position(m); execution is
 * deterministic, so a position names one machine state, and the same run
 * reaches it the same way every time. Stops happen between events.
 *
 * Stops. A breakpoint stops a hart before the instruction at its address
 * runs (not again when resuming from that very stop); a watchpoint stops
 * after the access (load, store or atomic of any size overlapping the
 * watched range) completes; a hart target stops right after a hart's event
 * count reaches a value (stepi: one more); a position target stops right
 * after the machine reaches a position. Each stops the machine with
 * STOP_DEBUG and leaves the reason in m->dbg->stop.
 *
 * While a watchpoint is set no load or store TLB entry is filled, so every
 * data access takes the slow path where it is checked (slower, exact).
 */
#ifndef HV_DEBUG_H
#define HV_DEBUG_H

#include "hv/types.h"

struct machine;
struct hart;

#define HV_DEBUG_MAX_BP 64
#define HV_DEBUG_MAX_WP 16

enum hv_debug_watch { DBG_WATCH_WRITE = 1, DBG_WATCH_READ = 2, DBG_WATCH_ACCESS = 3 };

enum hv_debug_reason {
	DBG_STOP_NONE = 0,
	DBG_STOP_BREAK,    /* hart about to run a breakpoint's instruction */
	DBG_STOP_WATCH,    /* a watched access completed (addr, kind) */
	DBG_STOP_STEP,     /* a hart target was reached */
	DBG_STOP_POSITION, /* a position target was reached */
	DBG_STOP_INPUT,    /* the input position was reached (a replay's debugger write) */
	DBG_STOP_HOST,     /* the host asked (a debugger's Ctrl-C or attach) */
};

struct hv_debug_stop {
	enum hv_debug_reason reason;
	unsigned hart;
	uint64_t addr;            /* DBG_STOP_WATCH: the accessed address */
	enum hv_debug_watch kind; /* DBG_STOP_WATCH: what the access was */
};

struct hv_debug {
	bool active; /* anything below is set */
	unsigned nbp;
	uint64_t bp[HV_DEBUG_MAX_BP];
	unsigned nwp;
	struct {
		uint64_t addr, len;
		enum hv_debug_watch kind;
	} wp[HV_DEBUG_MAX_WP];
	/* Stop when hart step_hart's events reach step_events (-1: none). */
	int step_hart;
	uint64_t step_events;
	/* Stop when debug_position reaches position (0: none). */
	uint64_t position;
	/* The same for a replay that must apply a recorded debugger write
	 * there (its own target, so it never disturbs a debugger's). */
	uint64_t input_position;
	/* A breakpoint does not fire for hart h while its pc and events are
	 * still those of the stop it was reported at. */
	uint64_t skip_pc[32], skip_events[32];
	bool skip[32];
	/* Harts a debugger holds while others run (bit i: hart i idles). */
	uint32_t frozen;
	struct hv_debug_stop stop;
};

/* The debug state of m, created on first use (NULL if out of memory). */
struct hv_debug *debug_get(struct machine *m);
void debug_free(struct machine *m);

int debug_add_break(struct machine *m, uint64_t pc);
int debug_remove_break(struct machine *m, uint64_t pc);
int debug_add_watch(struct machine *m, uint64_t addr, uint64_t len, enum hv_debug_watch kind);
int debug_remove_watch(struct machine *m, uint64_t addr, uint64_t len, enum hv_debug_watch kind);
/* Stop targets (cleared when reached or by debug_clear_targets). */
void debug_set_step(struct machine *m, unsigned hart, uint64_t events);
void debug_set_position(struct machine *m, uint64_t position);
void debug_clear_targets(struct machine *m);
void debug_set_input_position(struct machine *m, uint64_t position);
/* Resuming from a stop: breakpoints at the harts' current pcs do not fire
 * until the hart has moved. */
void debug_resume(struct machine *m);

/* Register numbers of debug_read_reg/debug_write_reg: GDB's riscv
 * numbering (x0..x31 0..31, pc 32, f0..f31 33..64, CSR n 65 + n, the
 * privilege level 65 + 4096). */
#define DEBUG_REG_PC 32u
#define DEBUG_REG_F0 33u
#define DEBUG_REG_CSR0 65u
#define DEBUG_REG_PRIV (65u + 4096u)
/* CSRs as M-mode sees them, whatever the hart's privilege. 0 or -1. */
int debug_read_reg(struct hart *h, unsigned regno, uint64_t *v);
int debug_write_reg(struct hart *h, unsigned regno, uint64_t v);

/* A debugger's or plugin's change, as the input funnel carries it
 * (HV_IN_DEBUG): u8 kind, u32 hart, u64 position, u64 where, then data.
 * Kinds: 1 register (where: number; data: the 8-byte value), 2 physical
 * memory (where: address; data: the bytes), 3 a block-request fault
 * (hart: the drive; where: the request's number; no data: it fails; or
 * 16 bytes: enum hv_blk_fault mode and its argument, hv/hooks.h), 4 an
 * interrupt-pending bit (where: 1 SSIP, 5 STIP or 9 SEIP; data: 8 bytes,
 * 1 set or 0 clear). debug_apply checks and applies one; 0 or -1 if
 * malformed. */
#define DEBUG_INPUT_HEAD 21u
int debug_apply(struct machine *m, const uint8_t *data, size_t len);
uint64_t debug_input_position(const uint8_t *data, size_t len);

uint64_t debug_hart_events(const struct hart *h);
uint64_t debug_position(const struct machine *m);

/* Engine hooks (exec.c, mmu.c): called only while m->dbg->active. */
bool debug_check_before(struct hart *h); /* true: stop now */
uint64_t debug_budget(struct hart *h, uint64_t budget);
/* The lowest breakpoint address in [lo, hi), or ~0. */
uint64_t debug_first_break(const struct machine *m, uint64_t lo, uint64_t hi);
bool debug_check_after(struct hart *h); /* true: stop now */
void debug_note_access(struct hart *h, uint64_t va, unsigned size, bool write, bool read);
bool debug_watching(const struct machine *m);

#endif
