// SPDX-License-Identifier: MIT
/*
 * A gdb session on a machine (session.h): opening it, the run loop that
 * serves gdb between and during runs, and closing it. The backend ops are
 * in backend.c, reverse execution in reverse.c, monitor commands in
 * monitor.c (shared state in sessint.h).
 *
 * Threads are harts. Registers: x0..x31, pc, f0..f31, the CSRs through
 * csr_read/csr_write as M-mode would see them (so gdb sees every CSR the
 * hart has, whatever its current privilege), and `priv`. Memory goes
 * through the selected hart's MMU without side effects (mmu_translate: no
 * A/D updates, no TLB fills, no faults), or physical addresses after
 * `monitor phys on`. Breakpoints (Z0/Z1 alike) and watchpoints (Z2..Z4)
 * are the machine's (hv/cpu/debug.h), so they stop at exact instructions.
 *
 * Untrusted: everything gdb asks (addresses, lengths, register numbers,
 * monitor commands) is checked here or by the machine; a bad request gets
 * an error answer.
 */
#include "gdbstub/session.h"

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

/* ---- The session ---- */

struct gdbsess *gdbsess_open(struct machine *m, const struct gdbsess_opts *o, struct hv_err *err)
{
	struct gdbsess *gs = calloc(1, sizeof(*gs));

	if (!gs || !debug_get(m)) {
		free(gs);
		hv_err_set(err, "out of host memory");
		return NULL;
	}
	gs->m = m;
	gs->rp = o->replay;
	gs->owner_runs = o->owner_runs;
	gs->srv = gdb_server_open(o->spec, o->allow_remote, err);
	if (!gs->srv) {
		free(gs);
		return NULL;
	}
	gdb_server_set_backend(gs->srv, &gs_ops, gs);
	machine_set_round_hook(m, gs_round, gs);
	machine_set_pace_poll(m, gs_poll, gs);
	gs->frontier = m->rounds;
	if (!o->owner_runs) {
		/* What re-execution needs (reverse.c). */
		machine_set_input_hook(m, gs_input, gs);
		gs->console_out = m->console_out;
		gs->console_opaque = m->console_opaque;
		machine_set_console_sink(m, gs_console, gs);
	}
	if (!gs->rp && !o->owner_runs && m->funnel.input) {
		struct hv_funnel f = m->funnel;
		gs->recording = true;
		gs->rec = m->funnel;
		f.opaque = gs;
		f.input = gs_rec_input;
		f.boundary = gs_rec_boundary;
		machine_set_funnel(m, &f);
	}
	unsigned port = gdb_server_port(gs->srv);
	if (o->who)
		fprintf(stderr, "retrovisor: %s: ", o->who);
	else
		fputs("retrovisor: ", stderr);
	if (port) {
		/* The address as given (an empty one is loopback), the port as bound. */
		const char *host = o->spec + 4, *colon = strrchr(host, ':');
		int hlen = colon ? (int)(colon - host) : 0;

		if (hlen == 0) {
			host = "127.0.0.1";
			hlen = (int)strlen(host);
		}
		fprintf(stderr,
			"gdb stub listening on %.*s:%u%s (unauthenticated: "
			"whoever connects controls the guest)\n",
			hlen, host, port, o->paused ? ", waiting for gdb" : "");
	} else
		fprintf(stderr, "gdb stub listening on %s%s\n", o->spec,
			o->paused ? ", waiting for gdb" : "");
	ck_take(gs);
	gs->stop = (struct gdb_stop){ .reason = GDB_STOP_SIGNAL, .hart = 0, .signal = GDB_SIGTRAP };
	if (o->paused && o->owner_runs) {
		gs->halted = true; /* gdbsess_serve accepts gdb */
	} else if (o->paused) {
		if (gdb_server_accept(gs->srv, -1, err) != 1) {
			gdb_server_close(gs->srv);
			free(gs);
			return NULL;
		}
		gs->halted = true;
		gdb_server_set_stop(gs->srv, &gs->stop);
	}
	return gs;
}

static void gs_report(struct gdbsess *gs, unsigned hart, int signal)
{
	struct hv_debug_stop st = gs->m->dbg->stop;

	gs->stop = (struct gdb_stop){ .reason = GDB_STOP_SIGNAL, .hart = hart, .signal = signal };
	switch (st.reason) {
	case DBG_STOP_BREAK:
		gs->stop.reason = GDB_STOP_SW_BREAK;
		gs->stop.hart = st.hart;
		break;
	case DBG_STOP_WATCH:
		gs->stop.hart = st.hart;
		gs->stop.addr = st.addr;
		gs->stop.reason = st.kind == DBG_WATCH_READ   ? GDB_STOP_READ_WATCH :
				  st.kind == DBG_WATCH_ACCESS ? GDB_STOP_ACCESS_WATCH :
								GDB_STOP_WATCH;
		break;
	case DBG_STOP_STEP:
	case DBG_STOP_POSITION:
		gs->stop.hart = st.hart;
		break;
	default:
		break;
	}
}

/* gdb's scheduler locking (vCont naming one thread, or `set
 * scheduler-locking on`): the other harts idle while it runs. Only in a
 * live run: a recording or a replay must run as recorded. */
static void gs_lock(struct gdbsess *gs, const struct gdb_resume *r)
{
	struct machine *m = gs->m;
	bool one = r->hart >= 0 && (r->kind == GDB_RESUME_CONTINUE ||
				    (r->kind == GDB_RESUME_STEP && !r->others_run));

	machine_debug_freeze(m, 0);
	if (!one || (unsigned)r->hart >= m->nharts || m->nharts > 32)
		return;
	if (gs->rp || gs->recording) {
		static bool told;
		if (!told)
			fprintf(stderr,
				"retrovisor: gdb asked to run one hart only; a recording or "
				"a replay must run as recorded, so every hart runs\n");
		told = true;
		return;
	}
	machine_debug_freeze(m, ~(1u << r->hart) & (m->nharts == 32 ? ~0u : (1u << m->nharts) - 1));
	/* Re-execution would not hold them: history starts here. */
	ck_drop_all(gs);
	ck_take(gs);
}

/* gdb let the machine go forward (continue, step, detach, gone). */
static void gs_resume(struct gdbsess *gs, const struct gdb_resume *r)
{
	struct machine *m = gs->m;

	if (r->kind == GDB_RESUME_STEP) {
		unsigned h = r->hart >= 0 ? (unsigned)r->hart : gs->stop.hart;
		if (h >= m->nharts)
			h = 0;
		debug_set_step(m, h, debug_hart_events(m->hart[h]) + 1);
	} else if (r->kind != GDB_RESUME_CONTINUE) {
		/* Detached or gone: the machine runs on freely. */
		machine_debug_drop_points(m);
		debug_clear_targets(m);
	}
	gs->halted = false;
	debug_resume(m);
	gs_lock(gs, r);
}

/* The machine stopped for gdb (m->dbg->stop says why, gs->pending who
 * asked): it is halted, and gdb is told. */
static void gs_stopped(struct gdbsess *gs)
{
	struct machine *m = gs->m;
	int sig = gs->pending == GS_INTERRUPT ? GDB_SIGINT : GDB_SIGTRAP;
	bool attach = gs->pending == GS_ATTACH;

	gs->pending = GS_NONE;
	gs_report(gs, m->last_run ? m->last_run->id : 0, sig);
	debug_clear_targets(m);
	gs->halted = true;
	if (!gdb_server_connected(gs->srv))
		return;
	if (attach)
		gdb_server_set_stop(gs->srv, &gs->stop);
	else
		gdb_server_report_stop(gs->srv, &gs->stop);
}

enum hv_stop gdbsess_run(struct gdbsess *gs)
{
	struct machine *m = gs->m;

	for (;;) {
		if (gs->halted && gdb_server_connected(gs->srv)) {
			struct gdb_resume r;
			gdb_server_serve(gs->srv, &r);
			switch (r.kind) {
			case GDB_RESUME_REVERSE_STEP: {
				unsigned h = r.hart >= 0 ? (unsigned)r.hart : gs->stop.hart;
				gs_reverse_step(gs, h < m->nharts ? h : 0);
				gdb_server_report_stop(gs->srv, &gs->stop);
				continue;
			}
			case GDB_RESUME_REVERSE_CONTINUE:
				gs_reverse_continue(gs);
				gdb_server_report_stop(gs->srv, &gs->stop);
				continue;
			case GDB_RESUME_KILL:
				machine_stop(m, STOP_SHUTDOWN, 0);
				gs->ended = true;
				return STOP_SHUTDOWN;
			default:
				gs_resume(gs, &r);
				break;
			}
		}
		machine_clear_stop(m);
		enum hv_stop why = machine_run(m);
		if (why != STOP_DEBUG)
			return why;
		if (m->dbg->stop.reason == DBG_STOP_INPUT) {
			/* A replay applies a recorded debugger write here. */
			if (gs->rp)
				replayer_debug_stop(gs->rp, m);
			continue;
		}
		gs_stopped(gs);
	}
}

bool gdbsess_halted(const struct gdbsess *gs)
{
	return gs->halted;
}

enum gdbsess_serve gdbsess_serve(struct gdbsess *gs)
{
	struct gdb_resume r;
	struct hv_err err;

	if (!gs->halted)
		return GDBSESS_RUN;
	if (!gdb_server_connected(gs->srv)) {
		/* Paused until a gdb comes and lets the machine go. */
		if (gdb_server_accept(gs->srv, 0, &err) != 1)
			return GDBSESS_WAIT;
		gdb_server_set_stop(gs->srv, &gs->stop);
	}
	if (!gdb_server_serve_ready(gs->srv, &r))
		return GDBSESS_WAIT;
	switch (r.kind) {
	case GDB_RESUME_KILL:
		return GDBSESS_KILL;
	case GDB_RESUME_REVERSE_STEP:
	case GDB_RESUME_REVERSE_CONTINUE:
		/* Not offered (owner_runs), so not asked: stay put. */
		gdb_server_report_stop(gs->srv, &gs->stop);
		return GDBSESS_WAIT;
	default:
		gs_resume(gs, &r);
		return GDBSESS_RUN;
	}
}

void gdbsess_stopped(struct gdbsess *gs)
{
	if (gs->m->dbg->stop.reason == DBG_STOP_INPUT)
		return;
	gs_stopped(gs);
	if (!gdb_server_connected(gs->srv)) {
		/* gdb left while it ran: it runs on freely. */
		struct gdb_resume r = { .kind = GDB_RESUME_DISCONNECTED, .hart = -1 };
		gs_resume(gs, &r);
	}
}

void gdbsess_poll(struct gdbsess *gs)
{
	struct machine *m = gs->m;

	if (gs->halted)
		return;
	gs->pending = gs_wants(gs);
	if (gs->pending == GS_NONE)
		return;
	machine_debug_note_host_stop(m, m->last_run ? m->last_run->id : 0);
	gdbsess_stopped(gs);
}

void gdbsess_close_lost(struct gdbsess *gs, int status)
{
	/* A gdb waiting for a stop hears that the target exited; one at its
	 * prompt sees the connection close. */
	if (gdb_server_connected(gs->srv) && !gs->halted) {
		struct gdb_stop st = { .reason = GDB_STOP_EXITED, .exit_status = status & 0xff };
		gdb_server_report_stop(gs->srv, &st);
	}
	gdb_server_close(gs->srv);
	ck_drop_all(gs);
	free(gs->ck);
	snaptree_destroy(gs->tree);
	free(gs->digest_rounds);
	free(gs);
}

void gdbsess_close(struct gdbsess *gs, int status)
{
	if (!gs)
		return;
	machine_set_round_hook(gs->m, NULL, gs->m->round_opaque);
	machine_set_input_hook(gs->m, NULL, gs->m->input_opaque);
	machine_set_pace_poll(gs->m, NULL, gs->m->pace.poll_opaque);
	if (gs->m->console_out == gs_console)
		machine_set_console_sink(gs->m, gs->console_out, gs->console_opaque);
	if (gs->recording)
		machine_set_funnel(gs->m, &gs->rec);
	gdbsess_close_lost(gs, status);
}
