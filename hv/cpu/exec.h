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

#endif
