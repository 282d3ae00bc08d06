/* SPDX-License-Identifier: MIT */
/*
 * The execution engine: runs one hart until its instruction count reaches
 * a limit (exactly), or it stalls (WFI, HSM stopped), or the machine stops.
 */
#ifndef HV_EXEC_H
#define HV_EXEC_H

#include "hv/cpu/hart.h"

/* Run h until h->icount == limit, or earlier if it stalls or something
 * asks it to return (exit_req, machine stop). Interrupts are taken at
 * exact instruction boundaries. */
void exec_run(struct hart *h, icount_t limit);

/* True if the hart can make progress (not stalled in WFI with nothing
 * pending, not stopped by HSM). */
bool exec_runnable(const struct hart *h);

struct block;
struct insn;

/* For translated code (jit.c): run instruction in of a block whose first
 * instruction is at base_pc, with h->icount the block's starting count,
 * through the interpreter's handler. Returns 0 when it retired and fell
 * through with nothing asking to leave (h->icount is the block's start
 * again); 1 otherwise, with h->pc and h->icount exact (a trap, a taken
 * jump, an exit request). */
int exec_insn_alone(struct hart *h, const struct insn *in, uint64_t base_pc);

/* Whether b is a plain decoded block (no plugin entries), which the JIT
 * may translate. */
bool exec_block_translatable(const struct block *b);

#endif
