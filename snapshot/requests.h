/* SPDX-License-Identifier: MIT */
/*
 * Snapshot requests made from inside a run: the guest's paravirtual
 * SNAPSHOT and RESTORE calls (<retrovisor/pv.h>, docs/snapshots.md) and a
 * plugin's named snapshot and restore (plugins/change.c). The machine
 * stops with STOP_GUEST_REQUEST after the call has returned (pc past the
 * ecall, a0/a1 written by hv/platform/sbi.c); snapreq_serve acts on
 * m->pv_req and corrects a0/a1 where the answer is not success. The
 * snapshots live in a tree (tree.h): "guest-TAG" for the guest's tags,
 * the plugin's own names for a plugin's.
 *
 * Guest-controlled input: the tag (checked against RV_PV_TAGS), the
 * address range of GET_INPUT (checked against RAM). A failure the guest
 * can be told about is its answer; only a restore that fails half-way
 * ends the run.
 */
#ifndef SNAPSHOT_REQUESTS_H
#define SNAPSHOT_REQUESTS_H

#include <retrovisor/pv.h>

#include "hv/platform/machine.h"

/* pv_req.op of a plugin's named requests (the host's own numbers, outside
 * <retrovisor/pv.h>'s; plugins/host.h's PLUGIN_HOST_OP_* are these, which
 * the command line checks where it sees both). The name is m->pv_req_name. */
#define SNAPREQ_OP_NAMED_SNAPSHOT 0x2000u
#define SNAPREQ_OP_NAMED_RESTORE 0x2001u

/* A snapshot was taken or restored at a request (name: the tree's name,
 * or "" for the reset loop's start); for the plugins to hear of it. */
typedef void snapreq_notify_fn(void *opaque, struct machine *m, const char *name, bool restore);

struct snap_tree;

struct snapreq {
	struct snap_tree *tree;        /* created at the first request */
	uint64_t restores[RV_PV_TAGS]; /* restores of each guest tag */
	unsigned taker[RV_PV_TAGS];    /* the hart that took each guest tag */
	snapreq_notify_fn *notify;     /* may be NULL */
	void *notify_opaque;
};

/* An empty set of requests whose snapshots are announced to notify. */
void snapreq_init(struct snapreq *r, snapreq_notify_fn *notify, void *opaque);
/* Serve m's request (m->pv_req), the machine's stop already cleared:
 * SNAPSHOT, RESTORE, a plugin's named requests, and outside a reset loop
 * GET_INPUT (an empty input, the range still checked) and END_ITERATION
 * (not supported). 0 when the run goes on (the guest's answer in its
 * registers), -1 with err when it cannot (a restore failed). */
int snapreq_serve(struct snapreq *r, struct machine *m, struct hv_err *err);
void snapreq_free(struct snapreq *r);

/* Whether [pa, pa + size) is guest RAM (an empty range may end at RAM's
 * end). */
bool snapreq_ram_range(const struct machine *m, uint64_t pa, uint64_t size);
/* The host side of user networking starts afresh (after a restore, and at
 * the reset loop's start): the guest reuses the ports and sequence numbers
 * of the connections it made since the snapshot, which libslirp would
 * still hold; connections from before the snapshot are reset when used,
 * as after a restore in a new process. A replay's network back end has
 * nothing to reset. 0, or -1 with err. */
int snapreq_net_restart(struct machine *m, struct hv_err *err);

#endif
