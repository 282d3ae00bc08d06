// SPDX-License-Identifier: MIT
/*
 * A gdb session's backend (sessint.h): what the protocol server asks of
 * the machine. Threads are harts. Registers: x0..x31, pc, f0..f31, the
 * CSRs through csr_read/csr_write as M-mode would see them (so gdb sees
 * every CSR the hart has, whatever its current privilege), and `priv`.
 * Memory goes through the selected hart's MMU without side effects
 * (mmu_translate: no A/D updates, no TLB fills, no faults), or physical
 * addresses after `monitor phys on`. Breakpoints (Z0/Z1 alike) and
 * watchpoints (Z2..Z4) are the machine's (hv/cpu/debug.h), so they stop at
 * exact instructions. gdb's writes are inputs, recorded with their exact
 * position.
 *
 * Untrusted: every address, length and register number gdb sends is
 * checked here or by the machine; a bad request gets an error answer.
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
#include "replay/session.h"
#include "snapshot/snap.h"
#include "snapshot/tree.h"

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

static int gs_write_mem(void *opaque, unsigned hart, uint64_t addr, const uint8_t *buf, size_t len)
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

void gs_extra(void *opaque, unsigned hart, char *buf, size_t cap)
{
	struct gdbsess *gs = opaque;
	const struct hart *h = gs->m->hart[hart];
	static const char *const mode[] = { "U-mode", "S-mode", "?", "M-mode" };

	snprintf(buf, cap, "hart %u, %s%s", hart, mode[h->priv & 3],
		 h->hsm == HSM_STOPPED ? ", stopped" :
		 h->wfi                ? ", waiting (wfi)" :
					 "");
}

static bool gs_can_reverse(void *opaque)
{
	return !((struct gdbsess *)opaque)->owner_runs;
}

const struct gdb_backend_ops gs_ops = {
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
