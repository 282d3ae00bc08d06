// SPDX-License-Identifier: MIT
/*
 * Reverse execution for a gdb session (sessint.h): checkpoints (in-memory
 * snapshots) every GDBSESS_CHECKPOINT_EVENTS hart events while gdb is
 * attached; going back is restoring the last checkpoint before the target
 * and re-executing exactly to it. While a recording re-executes rounds it
 * has already written, the recorder sees none of them again, host input
 * waits until the machine is back at the frontier, and console output of
 * re-executed history is not shown twice. History starts after the last
 * host input (which cannot be re-executed; a replay's can).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gdbstub/gdbstub.h"
#include "gdbstub/sessint.h"
#include "gdbstub/tdesc.h"
#include "hv/cpu/debug.h"
#include "hv/cpu/mmu.h"
#include "hv/platform/control.h"
#include "replay/session.h"
#include "snapshot/snap.h"
#include "snapshot/tree.h"

/* ---- Checkpoints and reverse execution ---- */

void ck_free(struct checkpoint *c)
{
	snap_free(c->snap);
	free(c->events);
}

void ck_drop_all(struct gdbsess *gs)
{
	for (unsigned i = 0; i < gs->nck; i++)
		ck_free(&gs->ck[i]);
	gs->nck = 0;
}

/* Take a checkpoint of the machine now (positions only grow). */
void ck_take(struct gdbsess *gs)
{
	struct machine *m = gs->m;
	uint64_t pos = debug_position(m);
	struct hv_err err;

	if (gs->owner_runs || (gs->nck && gs->ck[gs->nck - 1].position >= pos))
		return;
	if (gs->nck == GDBSESS_MAX_CHECKPOINTS) {
		/* Thin out: keep every other one (and the first). */
		unsigned k = 1;
		for (unsigned i = 1; i < gs->nck; i++) {
			if (i % 2 == 0)
				gs->ck[k++] = gs->ck[i];
			else
				ck_free(&gs->ck[i]);
		}
		gs->nck = k;
	}
	if (!gs->ck) {
		gs->ck = calloc(GDBSESS_MAX_CHECKPOINTS, sizeof(*gs->ck));
		if (!gs->ck)
			return;
	}
	struct checkpoint *c = &gs->ck[gs->nck];
	c->events = malloc(m->nharts * sizeof(uint64_t));
	c->snap = c->events ? snap_take(m, &err) : NULL;
	if (!c->snap) {
		free(c->events);
		return;
	}
	for (unsigned i = 0; i < m->nharts; i++)
		c->events[i] = debug_hart_events(m->hart[i]);
	c->position = pos;
	gs->nck++;
	gs->next_ck = pos + GDBSESS_CHECKPOINT_EVENTS;
}

/* Inputs from the host cannot be re-executed (a replay's can: they are
 * in the log): history starts after the last one. */
void gs_input(void *opaque, enum hv_input type)
{
	struct gdbsess *gs = opaque;

	(void)type;
	gs->input_seen = true;
}

void gs_rec_input(void *opaque, struct machine *m, enum hv_input type, const uint8_t *data,
		  size_t len)
{
	struct gdbsess *gs = opaque;

	gs->rec.input(gs->rec.opaque, m, type, data, len);
}

static bool gs_digest_round(const struct gdbsess *gs, uint64_t round)
{
	size_t lo = 0, hi = gs->ndigest;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (gs->digest_rounds[mid] < round)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < gs->ndigest && gs->digest_rounds[lo] == round;
}

void gs_rec_boundary(void *opaque, struct machine *m)
{
	struct gdbsess *gs = opaque;

	if (m->rounds >= gs->frontier) {
		machine_set_funnel_replaying(m, gs->rec.replaying);
		uint64_t epoch = m->dirty_epoch;
		if (gs->rec.boundary)
			gs->rec.boundary(gs->rec.opaque, m);
		if (m->dirty_epoch != epoch && gs->ndigest < (size_t)1 << 24) {
			if (gs->ndigest == gs->capdigest) {
				size_t ncap = gs->capdigest ? 2 * gs->capdigest : 64;
				uint64_t *n = realloc(gs->digest_rounds, ncap * sizeof(*n));
				if (!n)
					return;
				gs->digest_rounds = n;
				gs->capdigest = ncap;
			}
			gs->digest_rounds[gs->ndigest++] = m->rounds;
		}
	} else if (gs_digest_round(gs, m->rounds)) {
		/* Recorded already: do to the pages-written set what the
		 * recorder's digest did, so its next digest covers the same. */
		uint64_t n;
		machine_dirty_digest(m, &n);
	}
}

/* The guest's console, shown once: re-executed history prints nothing. */
void gs_console(void *opaque, const uint8_t *buf, size_t len)
{
	struct gdbsess *gs = opaque;
	struct machine *m = gs->m;
	uint64_t pos = debug_position(m);

	if (pos < gs->out_frontier)
		return;
	gs->out_frontier = pos;
	if (gs->console_out) {
		gs->console_out(gs->console_opaque, buf, len);
		return;
	}
	fwrite(buf, 1, len, stdout);
	fflush(stdout);
}

/* Back in time while recording: below the frontier until re-executed. */
void gs_rec_rewound(struct gdbsess *gs)
{
	if (gs->recording && gs->m->rounds < gs->frontier)
		machine_set_funnel_replaying(gs->m, true);
}

void gs_round(void *opaque, struct machine *m)
{
	struct gdbsess *gs = opaque;

	if (m->rounds > gs->frontier)
		gs->frontier = m->rounds;

	if (gs->owner_runs) {
		/* No history to keep. */
	} else if (gs->input_seen && !gs->rp) {
		ck_drop_all(gs);
		gs->input_seen = false;
		ck_take(gs);
	} else if (debug_position(m) >= gs->next_ck) {
		ck_take(gs);
	}
	if (++gs->poll_rounds % 64 == 0)
		gs_poll(gs, m);
}

int gs_wants(struct gdbsess *gs)
{
	struct hv_err err;

	if (!gs->srv)
		return GS_NONE;
	if (gdb_server_connected(gs->srv)) {
		if (gdb_server_poll_interrupt(gs->srv) && gdb_server_connected(gs->srv))
			return GS_INTERRUPT;
	} else if (gdb_server_accept(gs->srv, 0, &err) == 1) {
		return GS_ATTACH; /* a gdb attached to the running machine */
	}
	return GS_NONE;
}

void gs_poll(void *opaque, struct machine *m)
{
	struct gdbsess *gs = opaque;
	int why = gs_wants(gs);

	if (why != GS_NONE && m->stop == STOP_NONE &&
	    machine_debug_stop_host(m, m->last_run ? m->last_run->id : 0))
		gs->pending = why;
}

/* Make the machine what checkpoint c was, with the replay rewound. */
static int ck_restore(struct gdbsess *gs, const struct checkpoint *c)
{
	struct hv_err err;

	if (snap_restore(gs->m, c->snap, &err) < 0)
		return -1;
	if (gs->rp && replayer_seek(gs->rp, gs->m, &err) != 0)
		return -1;
	gs_rec_rewound(gs);
	/* A breakpoint skipped when resuming from a stop must fire when
	 * re-execution comes to that same stop. */
	machine_debug_forget_skips(gs->m);
	return 0;
}

/* Run until a debug stop of the kind armed (targets set by the caller);
 * false if the machine stopped otherwise. */
static bool gs_run_to_target(struct gdbsess *gs)
{
	struct machine *m = gs->m;
	icount_t max = m->cfg.max_insns;

	machine_set_insn_limit(m, 0);
	machine_clear_stop(m);
	enum hv_stop why = machine_run(m);
	machine_set_insn_limit(m, max);
	if (why != STOP_DEBUG)
		return false;
	machine_clear_stop(m);
	return true;
}

/* The last checkpoint at or before position pos (index), or -1. */
static int ck_before(const struct gdbsess *gs, uint64_t pos)
{
	for (int i = (int)gs->nck - 1; i >= 0; i--)
		if (gs->ck[i].position <= pos)
			return i;
	return -1;
}

static void gs_stop_history_begin(struct gdbsess *gs, unsigned hart)
{
	gs->stop = (struct gdb_stop){ .reason = GDB_STOP_HISTORY_BEGIN,
				      .hart = hart,
				      .signal = GDB_SIGTRAP };
}

/* Go to exactly position pos (no breakpoints on the way). */
static bool gs_goto_position(struct gdbsess *gs, uint64_t pos)
{
	int i = ck_before(gs, pos);

	if (i < 0 || ck_restore(gs, &gs->ck[i]))
		return false;
	if (debug_position(gs->m) == pos)
		return true;
	struct hv_debug saved;
	machine_debug_points_off(gs->m, &saved);
	debug_set_position(gs->m, pos);
	bool ok = gs_run_to_target(gs);
	debug_clear_targets(gs->m);
	machine_debug_points_back(gs->m, &saved);
	return ok && debug_position(gs->m) == pos;
}

void gs_reverse_step(struct gdbsess *gs, unsigned hart)
{
	struct machine *m = gs->m;
	uint64_t now = debug_position(m);
	uint64_t ev = debug_hart_events(m->hart[hart]);

	if (ev == 0) {
		gs_stop_history_begin(gs, hart);
		return;
	}
	uint64_t target = ev - 1;
	int i = (int)gs->nck - 1;
	while (i >= 0 && (gs->ck[i].position >= now || gs->ck[i].events[hart] >= target))
		i--;
	if (i < 0) {
		/* Nothing before: the start of history. */
		if (gs->nck && ck_restore(gs, &gs->ck[0]) == 0)
			debug_resume(m);
		gs_stop_history_begin(gs, hart);
		return;
	}
	struct hv_debug saved;
	if (ck_restore(gs, &gs->ck[i]))
		return;
	machine_debug_points_off(gs->m, &saved);
	debug_set_step(m, hart, target);
	gs_run_to_target(gs);
	debug_clear_targets(m);
	machine_debug_points_back(gs->m, &saved);
	debug_resume(m);
	gs->stop = (struct gdb_stop){ .reason = GDB_STOP_SIGNAL,
				      .hart = hart,
				      .signal = GDB_SIGTRAP };
}

struct hit {
	uint64_t position;
	struct hv_debug_stop stop;
};

void gs_reverse_continue(struct gdbsess *gs)
{
	struct machine *m = gs->m;
	uint64_t end = debug_position(m);
	unsigned cur_hart = gs->stop.hart;

	for (int i = (int)gs->nck - 1; i >= 0; i--) {
		if (gs->ck[i].position >= end)
			continue;
		/* Re-execute [checkpoint, end) and keep the last hit. */
		if (ck_restore(gs, &gs->ck[i]))
			return;
		struct hit last = { 0 };
		bool any = false;
		debug_set_position(m, end);
		for (;;) {
			if (!gs_run_to_target(gs))
				break;
			struct hv_debug_stop st = m->dbg->stop;
			uint64_t p = debug_position(m);
			if (st.reason == DBG_STOP_POSITION || p >= end)
				break;
			if (st.reason == DBG_STOP_BREAK || st.reason == DBG_STOP_WATCH) {
				last.position = p;
				last.stop = st;
				any = true;
			}
			debug_resume(m);
		}
		debug_clear_targets(m);
		if (any && gs_goto_position(gs, last.position)) {
			debug_resume(m);
			gs->stop = (struct gdb_stop){ .hart = last.stop.hart,
						      .signal = GDB_SIGTRAP };
			if (last.stop.reason == DBG_STOP_BREAK) {
				gs->stop.reason = GDB_STOP_SW_BREAK;
			} else {
				gs->stop.addr = last.stop.addr;
				gs->stop.reason = last.stop.kind == DBG_WATCH_READ ?
							  GDB_STOP_READ_WATCH :
						  last.stop.kind == DBG_WATCH_ACCESS ?
							  GDB_STOP_ACCESS_WATCH :
							  GDB_STOP_WATCH;
			}
			return;
		}
		end = gs->ck[i].position;
	}
	if (gs->nck)
		gs_goto_position(gs, gs->ck[0].position);
	debug_resume(m);
	gs_stop_history_begin(gs, cur_hart);
}
