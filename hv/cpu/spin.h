/* SPDX-License-Identifier: MIT */
/*
 * Spin skipping: a hart caught in a trap loop that can never end is moved
 * to the end of its slice at once, instead of running the loop there
 * (Simics calls this hypersimulation; QEMU runs such loops).
 *
 * The common case is a fault campaign's hang: a flipped tp or sp makes
 * Linux's trap entry fault on its first store, which traps to the same
 * entry, forever. Each turn retires a few instructions and takes a trap,
 * about 25 million instructions a second where the guest otherwise runs
 * billions, so such runs took most of a campaign's time.
 *
 * The proof, within one slice of exec_run (no other hart, device, input
 * or timer acts there; hv/platform/sched.c):
 *   - a synchronous trap repeats one of the last SPIN_RING traps (cause,
 *     epc, tval) within SPIN_WINDOW instructions: the hart's state `at`
 *     this trap is kept and watching starts: the store TLB is emptied and
 *     not refilled, so that every store reaches mmu_store;
 *   - a later trap finds the hart's whole state (struct hart_arch) equal
 *     to `at`, and since `at` nothing happened that depends on more than
 *     that state and memory: no store changed memory (stores of the value
 *     memory already held are allowed), no device was accessed, no clock
 *     or counter was read, no SBI call, WFI, atomic or page-table A/D
 *     update, no interrupt taken, no TLB flush.
 * Then each turn from here repeats the last exactly, and the state after
 * n turns is this one with icount n * period further (time follows
 * icount). exec_run skips whole turns up to its stop, which is no later
 * than the next timer deadline, and runs the rest; the next slice proves
 * the loop again (a few turns).
 *
 * Exact: the machine's state at every slice end equals that of a run
 * that executes the loop (tests/unit/spin_test.cc compares both on both
 * engines); RETROVISOR_SKIP_SPINS=0 turns skipping off. Emptying the store
 * TLB is allowed at any time (the spec lets a TLB drop entries), and is
 * done at the same points by every run of the same input. Nothing is
 * skipped while a debugger is active or a plugin has a subscription that
 * could fire (hv_hooks.quiet).
 */
#ifndef HV_CPU_SPIN_H
#define HV_CPU_SPIN_H

#include "hv/machine.h"

/* A repeated trap must come within this many instructions of the last. */
#define SPIN_WINDOW 1024u
/* After a failed proof, none starts for this many instructions (a
 * syscall loop would otherwise slow every store it makes). */
#define SPIN_QUIET 1000000u

/* Something a period must not do (see above). */
static inline void spin_effect(struct hart *h)
{
	h->spin.effects++;
}

/* A trap was taken (after its entry). */
void spin_note_trap(struct hart *h, uint64_t cause, uint64_t tval, uint64_t epc);
/* exec_run starts a slice: no proof carries over. */
void spin_new_slice(struct hart *h);
/* exec_run with h->spin.ready: skip whole periods up to stop (irq: the
 * interrupt exec_run is about to take, or -1). */
void spin_skip(struct hart *h, icount_t stop, int irq);
/* Forget everything (TLB flushes, restores, resets). */
void spin_reset(struct hart *h);

#endif
