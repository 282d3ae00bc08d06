/* SPDX-License-Identifier: MIT */
/*
 * Narrowing a divergence by re-running the log (narrow.c; docs/replay.md).
 * The caller supplies the probe, because only it can build a machine from
 * the recorded command line (cli/): a probe replays the log afresh to
 * exactly k instructions and reports that state.
 */
#ifndef REPLAY_NARROW_H
#define REPLAY_NARROW_H

#include <stdio.h>

#include "hv/platform/machine.h"

struct replay_probe {
	uint64_t digest; /* the machine's digest after k instructions */
	unsigned hart;   /* the hart that ran last, and its pc */
	uint64_t pc;
	uint64_t *pages; /* with want_pages: a hash per guest page (malloc'd) */
	uint64_t npages;
};

/* Replay afresh to exactly k instructions; false if that failed. */
typedef bool (*replay_probe_fn)(void *opaque, uint64_t k, bool want_pages,
				struct replay_probe *out);

/* The replay diverged between instructions from and to: bisect, with two
 * fresh executions per step, for the first instruction after which
 * executions differ, and report it (and the pages that differ) on out. If
 * two executions agree through the bracket, say that the recording saw
 * an input its log does not hold. */
void replay_narrow(replay_probe_fn probe, void *opaque, uint64_t from, uint64_t to, FILE *out);

#endif
