/* SPDX-License-Identifier: MIT */
/*
 * In-memory snapshots of a whole machine (ARCHITECTURE.md sections 4, 6):
 * every hart's state, every device's state (their save/restore ops), the
 * drives' copy-on-write overlays, the machine's clock and console state,
 * and guest RAM as a frozen array of copy-on-write frames (hv/mem/ram.c):
 * taking one copies no page; restoring puts back only the pages that
 * differ.
 *
 * A snapshot owns references to what it captured and may outlive its
 * machine. Restoring it into another machine of the same shape forks that
 * machine from it: the two share every frame and overlay block until one
 * of them writes. Everything runs on one host thread.
 *
 * Not captured: the host side of the network (libslirp's connections to
 * host sockets). A restored guest keeps its own TCP state; connections it
 * had open through slirp are reset by the host side when used.
 */
#ifndef SNAPSHOT_SNAP_H
#define SNAPSHOT_SNAP_H

#include "hv/platform/machine.h"

struct snap;

/* Take a snapshot of m between rounds or at an exact stop (not while a
 * hart runs). NULL with err if a drive writes through to its file or host
 * memory runs out. */
struct snap *snap_take(struct machine *m, struct hv_err *err);
/* Make m exactly as it was when s was taken (m may be another machine of
 * the same shape: it then shares s's frames). Returns the number of RAM
 * pages that had to be put back, or -1 with err (another shape, or a
 * device refused its state: m is then unchanged only in the first case). */
int64_t snap_restore(struct machine *m, const struct snap *s, struct hv_err *err);
/* 0 if s can be restored into m, else -1 with a sentence saying how they
 * differ. */
int snap_check_shape(const struct machine *m, const struct snap *s, struct hv_err *err);
void snap_free(struct snap *s);

/* Instructions the machine had retired when s was taken. */
icount_t snap_icount(const struct snap *s);

#endif
