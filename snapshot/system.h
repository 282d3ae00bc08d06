/* SPDX-License-Identifier: MIT */
/*
 * Snapshots of a system of domains (hv/platform/domain.h, docs/domains.md
 * "Snapshots"), in memory, taken and restored between epochs.
 *
 * A whole-system snapshot holds the epoch counter, every domain's record
 * (state, clock base, how it last stopped, restarts) with an in-memory
 * snapshot of its machine (snapshot/snap.h: copy-on-write, so taking one
 * copies no page), and every bridge's state (frames in flight, MAC table,
 * partitions, faults and their generator). Restoring it makes the system
 * exactly what it was: domains created since are destroyed, domains
 * destroyed since come back (in a machine the caller makes of their shape),
 * and the run from there computes what it computed the first time. The
 * epoch counter does not go back (epochs order the system's inputs in its
 * log): the epochs from the snapshot's on are numbered anew from the
 * current one.
 *
 * A one-domain snapshot holds that domain's record and machine only.
 * Restoring it puts the domain back as it was while the rest of the
 * system goes on: its clock continues from the restored machine's time at
 * the current epoch (as after unpause), and the network keeps what is in
 * flight, as for a machine restored from a checkpoint onto a live network.
 *
 * Not captured: what the domains' plugins hold, and consoles already
 * written (the logs go on from where they are).
 */
#ifndef SNAPSHOT_SYSTEM_H
#define SNAPSHOT_SYSTEM_H

#include "hv/platform/domain.h"

struct system_snap;

/* A machine of the shape domain id had (its images loaded, no state yet),
 * for a destroyed domain a snapshot brings back; NULL with err. */
typedef struct machine *(*system_remake_fn)(void *opaque, unsigned id, struct hv_err *err);

/* Snapshot the whole system (only < 0) or domain only. NULL with err. */
struct system_snap *system_snap_take(struct hv_system *s, int only, struct hv_err *err);
/* Restore ss into s (the system it was taken of). 0, or -1 with err: the
 * system is then in an unspecified state of which every domain is whole. */
int system_snap_restore(struct hv_system *s, const struct system_snap *ss, system_remake_fn remake,
			void *opaque, struct hv_err *err);
void system_snap_free(struct system_snap *ss);

/* The epoch it was taken at; the domain it holds alone, or -1. */
uint64_t system_snap_epoch(const struct system_snap *ss);
int system_snap_domain(const struct system_snap *ss);

#endif
