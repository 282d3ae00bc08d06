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
 * through the interpreter's handler, and say what the interpreter would
 * do next: 0 go on with the block's next entry (h->icount is the block's
 * start again); 2 the instruction ended the block with a jump and the
 * chain follows (h->pc and h->icount exact); 1 return from the block
 * loop (a trap, a slow path that asked to leave, an exit request: h->pc
 * and h->icount exact). A plugin's pseudo instruction retires nothing. */
int exec_insn_alone(struct hart *h, const struct insn *in, uint64_t base_pc);

/* Whether in is a block's sentinel (after its last entry), or a pseudo
 * instruction that calls plugins (hv/hooks.h). */
bool exec_is_sentinel(const struct insn *in);
bool exec_is_plugin_entry(const struct insn *in);

#endif
