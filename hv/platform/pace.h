/* SPDX-License-Identifier: MIT */
/*
 * Realtime pacing of idle guest time (docs/cli.md, --clock realtime): when
 * every hart waits and the scheduler is about to skip guest time forward
 * to the next timer deadline (machine.c, machine_idle), a paced machine
 * first waits until the host's wall clock has caught up with that guest
 * time, as QEMU's `-icount sleep=on` does, so that `sleep 3` in the guest
 * takes three seconds and the guest's clock does not run ahead of the
 * host's while it idles. Host input (console, network) that arrives
 * during the wait ends it early, exactly as it ends an unpaced idle
 * period early (an input of the determinism contract, logged where it
 * enters, ARCHITECTURE.md section 1).
 *
 * Pacing only waits: it never changes the machine's state, the order of
 * events or the positions inputs are stamped with, so a paced run and an
 * unpaced one with the same inputs are the same run, and a recording
 * does not say how it was paced.
 *
 * The reference: guest time (mtime at the timebase, from the machine's
 * clock in instruction units) and the wall clock (CLOCK_MONOTONIC) are
 * paired at the start of the run (pace_start). A guest that fell behind
 * the wall clock (a slow host, a debugger holding it) catches up: its
 * idle skips do not wait until it is level again. A guest that got ahead
 * while busy (the interpreter may retire more than the clock's 10^8
 * instructions a second) is not made to wait out its lead: the pair is
 * moved to the present at the idle's start, so an idle period never takes
 * more wall time than its own length in guest time. A clock put back (a
 * snapshot restored, a debugger going backwards) counts as behind.
 */
#ifndef HV_PACE_H
#define HV_PACE_H

#include "hv/types.h"

struct machine;

/* Longest single wait, in ms, between two calls of the poll hook. */
#define PACE_SLICE_MS 50

/* Pair the wall clock with the machine's time now (the run's start). */
void pace_start(struct machine *m);

enum pace_end {
	PACE_DUE,   /* the wall clock reached the deadline, or the machine stops */
	PACE_INPUT, /* host input arrived (console bytes handed over, frames queued) */
};

/* Every hart waits and the machine's clock would jump to next (instruction
 * units, next > m->itime): wait until the wall clock reaches it, taking
 * host input (m->host_poll, or the network) unless replaying. */
enum pace_end pace_wait(struct machine *m, uint64_t next);

#endif
