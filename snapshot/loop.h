/* SPDX-License-Identifier: MIT */
/*
 * The fast reset loop (docs/snapshots.md), the machinery behind
 * `retrovisor loop` that fuzzers and fault-injection campaigns drive:
 * reach a start state, take an in-memory snapshot there, then for each
 * iteration put the start back (only the pages and blocks written since
 * come back), hand the iteration its input and run it until it ends.
 *
 * The start is reached by a boot that runs until an instruction count,
 * until the console shows a string, or until the guest's SNAPSHOT request
 * (<retrovisor/pv.h>); or it is the machine as a snapshot file left it. An
 * iteration gets its input typed on the console and/or served to the
 * guest's GET_INPUT request, and ends when the guest says END_ITERATION,
 * the console shows a string, its budget of instructions is spent, or the
 * machine stops (panic, shutdown, watchdog, deadlock, a plugin). The
 * network's host side starts over at the start and at every restore, so
 * that each iteration meets the same host side. Everything is
 * deterministic: the same start, input and budget give the same
 * iteration, so any iteration can be reproduced alone.
 *
 * Guest requests other than the loop's own are served by a struct snapreq
 * (requests.h), so a guest may take and restore its own snapshots inside
 * an iteration. A host failure (out of memory) is never an iteration's
 * result: the loop cannot go on.
 */
#ifndef SNAPSHOT_LOOP_H
#define SNAPSHOT_LOOP_H

#include "hv/platform/machine.h"
#include "snapshot/requests.h"

/* pv_req.op of a console match (the host's own number, not a guest call). */
#define SNAPLOOP_OP_CONSOLE 0x1000u

/* snaploop_iterate: the machine could not go on (err says why). */
#define SNAPLOOP_HOST_FAILED 1

struct snap;

/* An iteration's input (the caller's memory). */
struct snaploop_input {
	const char *name;
	const uint8_t *data;
	size_t len;
};

struct snaploop {
	struct machine *m;
	struct snapreq *req;
	bool echo;         /* the console goes to stderr */
	const char *match; /* console string that ends the phase, or NULL */
	size_t matched;    /* bytes of it matched so far */
	const struct snaploop_input *cur;
	struct snap *start;
	icount_t start_icount;
	bool check_digest;
	uint64_t start_digest;
};

/* What an iteration is given. */
struct snaploop_iter {
	const struct snaploop_input *input; /* NULL: an empty one */
	const char *type;                   /* typed on the console first, or NULL */
	const char *until;                  /* console string that ends it, or NULL */
	uint64_t budget;                    /* instructions from the start (0: none) */
};

/* How an iteration ended. */
struct snaploop_end {
	/* guest, output, budget, shutdown, reboot, panic, watchdog, deadlock,
	 * plugin or stopped. */
	const char *kind;
	/* The machine's stop; STOP_GUEST_REQUEST for guest and output. */
	enum hv_stop why;
	uint64_t status;     /* END_ITERATION's argument, or a shutdown's status */
	icount_t insns;      /* retired since the start */
	bool digest_differs; /* the restored state's digest was not the start's */
};

/* A loop over m: its console sink becomes the loop's (echo: also to
 * stderr); req serves the guest's other requests. */
void snaploop_init(struct snaploop *l, struct machine *m, struct snapreq *req, bool echo);
/* Run m to the start: start_at instructions (0: not that way), the
 * console showing start_out (NULL: not that way), or the guest's SNAPSHOT
 * request; other guest requests are served on the way. 0, or -1 with err
 * when the machine stops otherwise. */
int snaploop_boot(struct snaploop *l, icount_t start_at, const char *start_out, struct hv_err *err);
/* Take the start here (and start the network's host side over). 0, or -1
 * with err. */
int snaploop_take_start(struct snaploop *l, struct hv_err *err);
/* Compare every restored state's digest with the start's from now on. */
void snaploop_check_digests(struct snaploop *l);
/* Iteration it: the start put back (from the second on; the requests'
 * notify hears of it as a restore named ""), then run as in says. 0 with
 * *end, -1 with err (a restore or a request failed), or
 * SNAPLOOP_HOST_FAILED with err. end->digest_differs is set whenever the
 * start was put back, failure or not. */
int snaploop_iterate(struct snaploop *l, uint64_t it, const struct snaploop_iter *in,
		     struct snaploop_end *end, struct hv_err *err);
void snaploop_free(struct snaploop *l);

/* The kind word of a stop (budget, panic, ...). */
const char *snaploop_end_kind(enum hv_stop why);

#endif
