// SPDX-License-Identifier: MIT
/*
 * A gdb session on a machine (session.h): backend ops, the run loop, the
 * monitor commands, and reverse execution on checkpoints.
 *
 * Threads are harts. Registers: x0..x31, pc, f0..f31, the CSRs through
 * csr_read/csr_write as M-mode would see them (so gdb sees every CSR the
 * hart has, whatever its current privilege), and `priv`. Memory goes
 * through the selected hart's MMU without side effects (mmu_translate: no
 * A/D updates, no TLB fills, no faults), or physical addresses after
 * `monitor phys on`. Breakpoints (Z0/Z1 alike) and watchpoints (Z2..Z4)
 * are the machine's (hv/debug.h), so they stop at exact instructions.
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
#include "gdbstub/tdesc.h"
#include "hv/debug.h"
#include "hv/mmu.h"
#include "replay/session.h"
#include "snapshot/snap.h"
#include "snapshot/tree.h"

struct checkpoint {
	uint64_t position;
	uint64_t *events; /* per hart */
	struct snap *snap;
};

struct gdbsess {
	struct gdb_server *srv;
	struct machine *m;
	struct replayer *rp;
	bool halted;
	bool phys;
	bool ended; /* the machine stopped for good (gdb was told) */
	struct gdb_stop stop;
	struct snap_tree *tree;
	struct checkpoint *ck;
	unsigned nck;
	uint64_t next_ck;
	unsigned poll_rounds;
	bool input_seen; /* an input from the host since the last round */
	int pending;     /* why the round hook stopped the machine: GS_* */
	/* Recording: the funnel as the recorder set it up. After going back
	 * in time, rounds below the frontier were recorded already: the
	 * recorder sees none of them again and host input waits until the
	 * machine is back at the frontier. */
	bool recording;
	struct hv_funnel rec;
	uint64_t frontier;
	/* Rounds at whose boundary the recorder took a digest (which clears
	 * the pages-written set): re-execution does the same there. */
	uint64_t *digest_rounds;
	size_t ndigest, capdigest;
	/* Console output already shown reaches up to this position; output
	 * of re-executed history is not shown twice. */
	uint64_t out_frontier;
	void (*console_out)(void *opaque, const uint8_t *buf, size_t len);
	void *console_opaque;
};

enum { GS_NONE, GS_INTERRUPT, GS_ATTACH };

/* ---- Registers and memory ---- */

static unsigned gs_threads(void *opaque)
{
	struct gdbsess *gs = opaque;

	return gs->m->nharts;
}

static int gs_read_reg(void *opaque, unsigned hart, unsigned regno, uint64_t *v)
{
	struct gdbsess *gs = opaque;

	return debug_read_reg(gs->m->hart[hart], regno, v);
}

static void ck_drop_all(struct gdbsess *gs);
static void ck_take(struct gdbsess *gs);

/* gdb's writes are inputs (ARCHITECTURE.md section 1): recorded through
 * the funnel with the exact position, applied the same way by a replay. */
static void gs_note_write(struct gdbsess *gs, uint8_t kind, unsigned hart, uint64_t where,
			  const void *bytes, size_t len)
{
	uint8_t buf[32 + 4096];

	if (len > 4096)
		return;
	uint32_t h32 = hart;

	buf[0] = kind;
	memcpy(buf + 1, &h32, 4);
	uint64_t pos = debug_position(gs->m);
	memcpy(buf + 5, &pos, 8);
	memcpy(buf + 13, &where, 8);
	memcpy(buf + 21, bytes, len);
	machine_input_note(gs->m, HV_IN_DEBUG, buf, 21 + len);
	/* Re-execution would not make this write again: history (the
	 * checkpoints) starts after it, as after any input. */
	ck_drop_all(gs);
	gs->input_seen = false;
	ck_take(gs);
}

static int gs_write_reg(void *opaque, unsigned hart, unsigned regno, uint64_t v)
{
	struct gdbsess *gs = opaque;

	if (gs->rp)
		return -1; /* a replay must stay the recording (go live to change it) */
	if (debug_write_reg(gs->m->hart[hart], regno, v))
		return -1;
	gs_note_write(gs, 1, hart, regno, &v, 8);
	return 0;
}

/* Physical address of addr for hart (or addr itself with phys on). */
static int gs_translate(struct gdbsess *gs, unsigned hart, uint64_t addr, gpa_t *pa)
{
	if (gs->phys) {
		*pa = addr;
		return 0;
	}
	return mmu_translate_debug(gs->m->hart[hart], addr, pa);
}

static long gs_read_mem(void *opaque, unsigned hart, uint64_t addr, uint8_t *buf, size_t len)
{
	struct gdbsess *gs = opaque;
	size_t done = 0;

	while (done < len) {
		gpa_t pa;
		size_t chunk = HV_PAGE_SIZE - ((addr + done) & HV_PAGE_MASK);
		if (chunk > len - done)
			chunk = len - done;
		if (gs_translate(gs, hart, addr + done, &pa) ||
		    !machine_read_phys(gs->m, pa, buf + done, chunk))
			break;
		done += chunk;
	}
	return done ? (long)done : -1;
}

static int gs_write_mem(void *opaque, unsigned hart, uint64_t addr, const uint8_t *buf,
			size_t len)
{
	struct gdbsess *gs = opaque;
	size_t done = 0;

	if (gs->rp)
		return -1; /* a replay must stay the recording */
	while (done < len) {
		gpa_t pa;
		size_t chunk = HV_PAGE_SIZE - ((addr + done) & HV_PAGE_MASK);
		if (chunk > len - done)
			chunk = len - done;
		if (gs_translate(gs, hart, addr + done, &pa))
			return -1;
		if (!machine_write_phys(gs->m, pa, buf + done, chunk))
			return -1;
		gs_note_write(gs, 2, hart, pa, buf + done, chunk);
		done += chunk;
	}
	return 0;
}

static int gs_point(void *opaque, enum gdb_point_type type, uint64_t addr, uint64_t kind,
		    bool insert)
{
	struct gdbsess *gs = opaque;
	static const enum hv_debug_watch wk[] = {
		[GDB_POINT_WRITE_WATCH] = DBG_WATCH_WRITE,
		[GDB_POINT_READ_WATCH] = DBG_WATCH_READ,
		[GDB_POINT_ACCESS_WATCH] = DBG_WATCH_ACCESS,
	};

	switch (type) {
	case GDB_POINT_SW_BREAK:
	case GDB_POINT_HW_BREAK:
		return insert ? debug_add_break(gs->m, addr) : debug_remove_break(gs->m, addr);
	case GDB_POINT_WRITE_WATCH:
	case GDB_POINT_READ_WATCH:
	case GDB_POINT_ACCESS_WATCH:
		if (kind == 0 || kind > 4096)
			return -1;
		return insert ? debug_add_watch(gs->m, addr, kind, wk[type]) :
				debug_remove_watch(gs->m, addr, kind, wk[type]);
	}
	return GDB_UNSUPPORTED;
}

static int gs_insert(void *opaque, enum gdb_point_type type, uint64_t addr, uint64_t kind)
{
	return gs_point(opaque, type, addr, kind, true);
}

static int gs_remove(void *opaque, enum gdb_point_type type, uint64_t addr, uint64_t kind)
{
	return gs_point(opaque, type, addr, kind, false);
}

static void gs_extra(void *opaque, unsigned hart, char *buf, size_t cap)
{
	struct gdbsess *gs = opaque;
	const struct hart *h = gs->m->hart[hart];
	static const char *const mode[] = { "U-mode", "S-mode", "?", "M-mode" };

	snprintf(buf, cap, "hart %u, %s%s", hart, mode[h->priv & 3],
		 h->hsm == HSM_STOPPED ? ", stopped" : h->wfi ? ", waiting (wfi)" : "");
}

static bool gs_can_reverse(void *opaque)
{
	(void)opaque;
	return true;
}

/* ---- Checkpoints and reverse execution ---- */

static void ck_free(struct checkpoint *c)
{
	snap_free(c->snap);
	free(c->events);
}

static void ck_drop_all(struct gdbsess *gs)
{
	for (unsigned i = 0; i < gs->nck; i++)
		ck_free(&gs->ck[i]);
	gs->nck = 0;
}

/* Take a checkpoint of the machine now (positions only grow). */
static void ck_take(struct gdbsess *gs)
{
	struct machine *m = gs->m;
	uint64_t pos = debug_position(m);
	struct hv_err err;

	if (gs->nck && gs->ck[gs->nck - 1].position >= pos)
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
static void gs_input(void *opaque, enum hv_input type)
{
	struct gdbsess *gs = opaque;

	(void)type;
	gs->input_seen = true;
}

static void gs_rec_input(void *opaque, struct machine *m, enum hv_input type,
			 const uint8_t *data, size_t len)
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

static void gs_rec_boundary(void *opaque, struct machine *m)
{
	struct gdbsess *gs = opaque;

	if (m->rounds >= gs->frontier) {
		m->funnel.replaying = gs->rec.replaying;
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
static void gs_console(void *opaque, const uint8_t *buf, size_t len)
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
static void gs_rec_rewound(struct gdbsess *gs)
{
	if (gs->recording && gs->m->rounds < gs->frontier)
		gs->m->funnel.replaying = true;
}

static void gs_round(void *opaque, struct machine *m)
{
	struct gdbsess *gs = opaque;

	if (m->rounds > gs->frontier)
		gs->frontier = m->rounds;

	if (gs->input_seen && !gs->rp) {
		ck_drop_all(gs);
		gs->input_seen = false;
		ck_take(gs);
	} else if (debug_position(m) >= gs->next_ck) {
		ck_take(gs);
	}
	if (++gs->poll_rounds % 64 == 0 && gs->srv) {
		struct hv_err err;
		int why = GS_NONE;
		if (gdb_server_connected(gs->srv)) {
			if (gdb_server_poll_interrupt(gs->srv) && gdb_server_connected(gs->srv))
				why = GS_INTERRUPT;
		} else if (gdb_server_accept(gs->srv, 0, &err) == 1) {
			why = GS_ATTACH; /* a gdb attached to the running machine */
		}
		if (why != GS_NONE && m->stop == STOP_NONE) {
			struct hv_debug *d = debug_get(m);
			if (d) {
				d->stop.reason = DBG_STOP_HOST;
				d->stop.hart = m->last_run ? m->last_run->id : 0;
				gs->pending = why;
				machine_stop(m, STOP_DEBUG, 0);
			}
		}
	}
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
	if (gs->m->dbg)
		memset(gs->m->dbg->skip, 0, sizeof(gs->m->dbg->skip));
	return 0;
}

struct points_saved {
	struct hv_debug copy;
};

/* Breakpoints and watchpoints off (re-execution to a known target). */
static void points_stash(struct gdbsess *gs, struct points_saved *ps)
{
	struct hv_debug *d = debug_get(gs->m);

	ps->copy = *d;
	d->nbp = 0;
	d->nwp = 0;
	debug_clear_targets(gs->m);
}

static void points_back(struct gdbsess *gs, const struct points_saved *ps)
{
	struct hv_debug *d = debug_get(gs->m);

	d->nbp = ps->copy.nbp;
	memcpy(d->bp, ps->copy.bp, sizeof(d->bp));
	d->nwp = ps->copy.nwp;
	memcpy(d->wp, ps->copy.wp, sizeof(d->wp));
	d->active = d->nbp || d->nwp;
	for (unsigned i = 0; i < gs->m->nharts; i++)
		hart_flush_tlb(gs->m->hart[i]);
}

/* Run until a debug stop of the kind armed (targets set by the caller);
 * false if the machine stopped otherwise. */
static bool gs_run_to_target(struct gdbsess *gs)
{
	struct machine *m = gs->m;
	icount_t max = m->cfg.max_insns;

	m->cfg.max_insns = 0;
	m->stop = STOP_NONE;
	enum hv_stop why = machine_run(m);
	m->cfg.max_insns = max;
	if (why != STOP_DEBUG)
		return false;
	m->stop = STOP_NONE;
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
	gs->stop = (struct gdb_stop){ .reason = GDB_STOP_HISTORY_BEGIN, .hart = hart,
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
	struct points_saved ps;
	points_stash(gs, &ps);
	debug_set_position(gs->m, pos);
	bool ok = gs_run_to_target(gs);
	debug_clear_targets(gs->m);
	points_back(gs, &ps);
	return ok && debug_position(gs->m) == pos;
}

static void gs_reverse_step(struct gdbsess *gs, unsigned hart)
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
	struct points_saved ps;
	if (ck_restore(gs, &gs->ck[i]))
		return;
	points_stash(gs, &ps);
	debug_set_step(m, hart, target);
	gs_run_to_target(gs);
	debug_clear_targets(m);
	points_back(gs, &ps);
	debug_resume(m);
	gs->stop = (struct gdb_stop){ .reason = GDB_STOP_SIGNAL, .hart = hart,
				      .signal = GDB_SIGTRAP };
}

struct hit {
	uint64_t position;
	struct hv_debug_stop stop;
};

static void gs_reverse_continue(struct gdbsess *gs)
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
			gs->stop = (struct gdb_stop){ .hart = last.stop.hart, .signal = GDB_SIGTRAP };
			if (last.stop.reason == DBG_STOP_BREAK) {
				gs->stop.reason = GDB_STOP_SW_BREAK;
			} else {
				gs->stop.addr = last.stop.addr;
				gs->stop.reason = last.stop.kind == DBG_WATCH_READ ? GDB_STOP_READ_WATCH :
						  last.stop.kind == DBG_WATCH_ACCESS ?
						  GDB_STOP_ACCESS_WATCH : GDB_STOP_WATCH;
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

/* ---- Monitor ---- */

static void mon_printf(gdb_monitor_out_fn out, void *ctx, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void mon_printf(gdb_monitor_out_fn out, void *ctx, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > 0)
		out(ctx, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}

static int gs_monitor(void *opaque, unsigned hart, const char *cmd, gdb_monitor_out_fn out,
		      void *ctx)
{
	struct gdbsess *gs = opaque;
	struct machine *m = gs->m;
	struct hv_err err = { { 0 } };
	char word[32], arg[SNAPTREE_NAME_MAX + 2];
	int n = sscanf(cmd, "%31s %64s", word, arg);

	if (n < 1)
		return GDB_UNSUPPORTED;
	if (!strcmp(word, "icount") && n == 1) {
		mon_printf(out, ctx, "%llu instructions retired in all; hart %u: %llu (position "
			   "%llu)\n", (unsigned long long)m->total_insns, hart,
			   (unsigned long long)m->hart[hart]->icount,
			   (unsigned long long)debug_position(m));
		return 0;
	}
	if (!strcmp(word, "info") && n == 2 && !strcmp(arg, "harts")) {
		for (unsigned i = 0; i < m->nharts; i++) {
			const struct hart *h = m->hart[i];
			char what[64];
			gs_extra(gs, i, what, sizeof(what));
			mon_printf(out, ctx, "%s hart %u: pc 0x%016llx, %s, %llu instructions, satp "
				   "0x%llx\n", i == hart ? "*" : " ", i,
				   (unsigned long long)h->pc, what,
				   (unsigned long long)h->icount, (unsigned long long)h->satp);
		}
		return 0;
	}
	if (!strcmp(word, "phys") && n == 2 && (!strcmp(arg, "on") || !strcmp(arg, "off"))) {
		gs->phys = !strcmp(arg, "on");
		mon_printf(out, ctx, "memory accesses use %s addresses\n",
			   gs->phys ? "physical" : "virtual (the hart's MMU)");
		return 0;
	}
	if ((!strcmp(word, "snapshot") || !strcmp(word, "restore")) && n == 2) {
		if (!gs->tree && !(gs->tree = snaptree_create()))
			return -1;
		if (!strcmp(word, "snapshot")) {
			if (snaptree_take(gs->tree, m, arg, &err)) {
				mon_printf(out, ctx, "error: %s\n", err.msg);
				return 0;
			}
			mon_printf(out, ctx, "snapshot '%s' taken at instruction %llu\n", arg,
				   (unsigned long long)m->total_insns);
			return 0;
		}
		if (snaptree_restore(gs->tree, m, arg, &err) < 0) {
			mon_printf(out, ctx, "error: %s\n", err.msg);
			return 0;
		}
		/* A restore is a jump in time: the replay follows it, and
		 * checkpoints after it are another history. */
		if (gs->rp)
			replayer_seek(gs->rp, m, &err);
		while (gs->nck && gs->ck[gs->nck - 1].position > debug_position(m))
			ck_free(&gs->ck[--gs->nck]);
		if (!gs->rp)
			gs->input_seen = true;
		gs_rec_rewound(gs);
		debug_resume(m);
		mon_printf(out, ctx, "restored '%s': instruction %llu\n", arg,
			   (unsigned long long)m->total_insns);
		return 0;
	}
	if (!strcmp(word, "snapshots") && n == 1) {
		if (!gs->tree)
			mon_printf(out, ctx, "no snapshots\n");
		else {
			char *text = NULL;
			size_t len = 0;
			FILE *f = open_memstream(&text, &len);
			if (f) {
				snaptree_print(gs->tree, f);
				fclose(f);
				out(ctx, text, len);
				free(text);
			}
		}
		return 0;
	}
	if (!strcmp(word, "help") && n == 1) {
		mon_printf(out, ctx, "monitor commands: icount | info harts | phys on|off | "
			   "snapshot NAME | restore NAME | snapshots | help\n");
		return 0;
	}
	return GDB_UNSUPPORTED;
}

static const struct gdb_backend_ops gs_ops = {
	.thread_count = gs_threads,
	.read_reg = gs_read_reg,
	.write_reg = gs_write_reg,
	.read_mem = gs_read_mem,
	.write_mem = gs_write_mem,
	.insert_point = gs_insert,
	.remove_point = gs_remove,
	.monitor = gs_monitor,
	.thread_extra_info = gs_extra,
	.can_reverse = gs_can_reverse,
};

/* ---- The session ---- */

struct gdbsess *gdbsess_open(struct machine *m, const struct gdbsess_opts *o,
			     struct hv_err *err)
{
	struct gdbsess *gs = calloc(1, sizeof(*gs));

	if (!gs || !debug_get(m)) {
		free(gs);
		hv_err_set(err, "out of host memory");
		return NULL;
	}
	gs->m = m;
	gs->rp = o->replay;
	gs->srv = gdb_server_open(o->spec, o->allow_remote, err);
	if (!gs->srv) {
		free(gs);
		return NULL;
	}
	gdb_server_set_backend(gs->srv, &gs_ops, gs);
	m->round_hook = gs_round;
	m->round_opaque = gs;
	m->input_hook = gs_input;
	m->input_opaque = gs;
	gs->console_out = m->console_out;
	gs->console_opaque = m->console_opaque;
	m->console_out = gs_console;
	m->console_opaque = gs;
	gs->frontier = m->rounds;
	if (!gs->rp && m->funnel.input) {
		gs->recording = true;
		gs->rec = m->funnel;
		m->funnel.opaque = gs;
		m->funnel.input = gs_rec_input;
		m->funnel.boundary = gs_rec_boundary;
	}
	unsigned port = gdb_server_port(gs->srv);
	if (port) {
		/* The address as given (an empty one is loopback), the port as bound. */
		const char *host = o->spec + 4, *colon = strrchr(host, ':');
		int hlen = colon ? (int)(colon - host) : 0;

		if (hlen == 0) {
			host = "127.0.0.1";
			hlen = (int)strlen(host);
		}
		fprintf(stderr, "retrovisor: gdb stub listening on %.*s:%u%s (unauthenticated: "
			"whoever connects controls the guest)\n", hlen, host, port,
			o->paused ? ", waiting for gdb" : "");
	}
	else
		fprintf(stderr, "retrovisor: gdb stub listening on %s%s\n", o->spec,
			o->paused ? ", waiting for gdb" : "");
	ck_take(gs);
	gs->stop = (struct gdb_stop){ .reason = GDB_STOP_SIGNAL, .hart = 0,
				      .signal = GDB_SIGTRAP };
	if (o->paused) {
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

	gs->stop = (struct gdb_stop){ .reason = GDB_STOP_SIGNAL, .hart = hart,
				      .signal = signal };
	switch (st.reason) {
	case DBG_STOP_BREAK:
		gs->stop.reason = GDB_STOP_SW_BREAK;
		gs->stop.hart = st.hart;
		break;
	case DBG_STOP_WATCH:
		gs->stop.hart = st.hart;
		gs->stop.addr = st.addr;
		gs->stop.reason = st.kind == DBG_WATCH_READ ? GDB_STOP_READ_WATCH :
				  st.kind == DBG_WATCH_ACCESS ? GDB_STOP_ACCESS_WATCH : GDB_STOP_WATCH;
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

	m->dbg->frozen = 0;
	if (!one || (unsigned)r->hart >= m->nharts || m->nharts > 32)
		return;
	if (gs->rp || gs->recording) {
		static bool told;
		if (!told)
			fprintf(stderr, "retrovisor: gdb asked to run one hart only; a recording or "
				"a replay must run as recorded, so every hart runs\n");
		told = true;
		return;
	}
	m->dbg->frozen = ~(1u << r->hart) & (m->nharts == 32 ? ~0u : (1u << m->nharts) - 1);
	/* Re-execution would not hold them: history starts here. */
	ck_drop_all(gs);
	ck_take(gs);
}

enum hv_stop gdbsess_run(struct gdbsess *gs)
{
	struct machine *m = gs->m;

	for (;;) {
		if (gs->halted && gdb_server_connected(gs->srv)) {
			struct gdb_resume r;
			gdb_server_serve(gs->srv, &r);
			switch (r.kind) {
			case GDB_RESUME_CONTINUE:
				break;
			case GDB_RESUME_STEP: {
				unsigned h = r.hart >= 0 ? (unsigned)r.hart : gs->stop.hart;
				if (h >= m->nharts)
					h = 0;
				debug_set_step(m, h, debug_hart_events(m->hart[h]) + 1);
				break;
			}
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
				/* Detached or gone: the machine runs on freely. */
				if (m->dbg) {
					m->dbg->nbp = 0;
					m->dbg->nwp = 0;
					debug_clear_targets(m);
				}
				break;
			}
			gs->halted = false;
			debug_resume(m);
			gs_lock(gs, &r);
		}
		m->stop = STOP_NONE;
		enum hv_stop why = machine_run(m);
		if (why != STOP_DEBUG)
			return why;
		if (m->dbg->stop.reason == DBG_STOP_INPUT) {
			/* A replay applies a recorded debugger write here. */
			if (gs->rp)
				replayer_debug_stop(gs->rp, m);
			continue;
		}
		int sig = gs->pending == GS_INTERRUPT ? GDB_SIGINT : GDB_SIGTRAP;
		bool attach = gs->pending == GS_ATTACH;
		gs->pending = GS_NONE;
		unsigned hart = m->last_run ? m->last_run->id : 0;
		gs_report(gs, hart, sig);
		debug_clear_targets(m);
		gs->halted = true;
		if (!gdb_server_connected(gs->srv))
			continue;
		if (attach)
			gdb_server_set_stop(gs->srv, &gs->stop);
		else
			gdb_server_report_stop(gs->srv, &gs->stop);
	}
}

void gdbsess_close(struct gdbsess *gs, int status)
{
	if (!gs)
		return;
	if (gdb_server_connected(gs->srv)) {
		struct gdb_stop st = { .reason = GDB_STOP_EXITED, .exit_status = status & 0xff };
		gdb_server_report_stop(gs->srv, &st);
	}
	gdb_server_close(gs->srv);
	ck_drop_all(gs);
	free(gs->ck);
	snaptree_destroy(gs->tree);
	gs->m->round_hook = NULL;
	gs->m->input_hook = NULL;
	if (gs->m->console_out == gs_console) {
		gs->m->console_out = gs->console_out;
		gs->m->console_opaque = gs->console_opaque;
	}
	free(gs->digest_rounds);
	if (gs->recording)
		gs->m->funnel = gs->rec;
	free(gs);
}
