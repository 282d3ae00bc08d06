/* SPDX-License-Identifier: MIT */
/*
 * In-memory snapshots of a whole machine (ARCHITECTURE.md sections 4, 6):
 * every hart's state, every device's state (their save/restore ops), the
 * machine's clock and console state, and guest RAM as a frozen array of
 * copy-on-write frames (hv/ram.c): taking one copies no page; restoring
 * puts back only the pages that differ.
 *
 * A snapshot belongs to the machine it was taken from and must be freed
 * before that machine is destroyed. Not yet captured: disk overlays and the
 * host side of the network (libslirp's connections).
 */
#ifndef SNAPSHOT_SNAP_H
#define SNAPSHOT_SNAP_H

#include "hv/machine.h"

struct snap;

/* Take a snapshot of m between rounds (not while a hart runs). NULL with
 * err if host memory runs out. */
struct snap *snap_take(struct machine *m, struct hv_err *err);
/* Make m exactly as it was when s was taken. Returns the number of RAM
 * pages that had to be put back, or -1 with err (a device refused its
 * state: m is then unusable). */
int64_t snap_restore(struct machine *m, const struct snap *s, struct hv_err *err);
void snap_free(struct machine *m, struct snap *s);

#endif
