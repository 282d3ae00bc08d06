// SPDX-License-Identifier: MIT
/*
 * Debugger support in the machine (debug.h). The state is allocated when a
 * debugger first sets something, so a machine without one pays a NULL
 * check at block lookups only. Breakpoints cut blocks: a cached block with
 * a breakpoint inside it is neither entered in the jump cache nor run past
 * the breakpoint (exec.c asks debug_first_break and runs the instructions
 * before it as an uncached block), so execution stops exactly there.
 */
#include "hv/cpu/debug.h"

#include <stdlib.h>
#include <string.h>

#include "hv/cpu/block.h"
#include "hv/cpu/hart.h"
#include "hv/hooks.h"
#include "hv/mem/mem.h"

struct hv_debug *debug_get(struct machine *m)
{
	if (!m->dbg) {
		m->dbg = calloc(1, sizeof(*m->dbg));
		if (m->dbg)
			m->dbg->step_hart = -1;
	}
	return m->dbg;
}

void debug_free(struct machine *m)
{
	free(m->dbg);
	m->dbg = NULL;
}

static void debug_update(struct machine *m)
{
	struct hv_debug *d = m->dbg;

	d->active = d->nbp || d->nwp || d->step_hart >= 0 || d->position || d->input_position;
	/* Jump caches may hold blocks that now contain a breakpoint, TLBs
	 * may map pages that are now watched. */
	for (unsigned i = 0; i < m->nharts; i++)
		hart_flush_tlb(m->hart[i]);
}

int debug_add_break(struct machine *m, uint64_t pc)
{
	struct hv_debug *d = debug_get(m);

	if (!d)
		return -1;
	for (unsigned i = 0; i < d->nbp; i++)
		if (d->bp[i] == pc)
			return 0;
	if (d->nbp == HV_DEBUG_MAX_BP)
		return -1;
	d->bp[d->nbp++] = pc;
	debug_update(m);
	return 0;
}

int debug_remove_break(struct machine *m, uint64_t pc)
{
	struct hv_debug *d = m->dbg;

	for (unsigned i = 0; d && i < d->nbp; i++)
		if (d->bp[i] == pc) {
			d->bp[i] = d->bp[--d->nbp];
			debug_update(m);
			return 0;
		}
	return -1;
}

int debug_add_watch(struct machine *m, uint64_t addr, uint64_t len, enum hv_debug_watch kind)
{
	struct hv_debug *d = debug_get(m);

	if (!d || len == 0 || len > 4096 || addr + len < addr || d->nwp == HV_DEBUG_MAX_WP)
		return -1;
	d->wp[d->nwp].addr = addr;
	d->wp[d->nwp].len = len;
	d->wp[d->nwp].kind = kind;
	d->nwp++;
	debug_update(m);
	return 0;
}

int debug_remove_watch(struct machine *m, uint64_t addr, uint64_t len, enum hv_debug_watch kind)
{
	struct hv_debug *d = m->dbg;

	for (unsigned i = 0; d && i < d->nwp; i++)
		if (d->wp[i].addr == addr && d->wp[i].len == len && d->wp[i].kind == kind) {
			d->wp[i] = d->wp[--d->nwp];
			debug_update(m);
			return 0;
		}
	return -1;
}

void debug_set_step(struct machine *m, unsigned hart, uint64_t events)
{
	struct hv_debug *d = debug_get(m);

	if (!d)
		return;
	d->step_hart = (int)hart;
	d->step_events = events;
	d->active = true;
}

void debug_set_position(struct machine *m, uint64_t position)
{
	struct hv_debug *d = debug_get(m);

	if (!d)
		return;
	d->position = position;
	d->active = true;
}

void debug_clear_targets(struct machine *m)
{
	struct hv_debug *d = m->dbg;

	if (!d)
		return;
	d->step_hart = -1;
	d->position = 0;
	d->active = d->nbp || d->nwp || d->input_position;
}

void debug_set_input_position(struct machine *m, uint64_t position)
{
	struct hv_debug *d = debug_get(m);

	if (!d)
		return;
	d->input_position = position;
	d->active = d->nbp || d->nwp || d->step_hart >= 0 || d->position || position;
}

void debug_resume(struct machine *m)
{
	struct hv_debug *d = m->dbg;

	if (!d)
		return;
	for (unsigned i = 0; i < m->nharts && i < 32; i++) {
		d->skip[i] = true;
		d->skip_pc[i] = m->hart[i]->pc;
		d->skip_events[i] = debug_hart_events(m->hart[i]);
	}
	d->stop.reason = DBG_STOP_NONE;
}

uint64_t debug_hart_events(const struct hart *h)
{
	return h->icount + h->traps;
}

uint64_t debug_position(const struct machine *m)
{
	uint64_t p = 0;

	for (unsigned i = 0; i < m->nharts; i++)
		p += debug_hart_events(m->hart[i]);
	return p;
}

static bool debug_stop(struct hart *h, enum hv_debug_reason why)
{
	struct hv_debug *d = h->m->dbg;

	if (h->m->stop != STOP_NONE)
		return true;
	d->stop.reason = why;
	d->stop.hart = h->id;
	if (why == DBG_STOP_STEP)
		d->step_hart = -1;
	if (why == DBG_STOP_POSITION)
		d->position = 0;
	if (why == DBG_STOP_INPUT)
		d->input_position = 0;
	d->active = d->nbp || d->nwp || d->step_hart >= 0 || d->position || d->input_position;
	machine_stop(h->m, STOP_DEBUG, 0);
	return true;
}

static bool debug_targets_reached(struct hart *h)
{
	struct hv_debug *d = h->m->dbg;

	if (d->step_hart == (int)h->id && debug_hart_events(h) >= d->step_events)
		return debug_stop(h, DBG_STOP_STEP);
	if (d->input_position && debug_position(h->m) >= d->input_position)
		return debug_stop(h, DBG_STOP_INPUT);
	if (d->position && debug_position(h->m) >= d->position)
		return debug_stop(h, DBG_STOP_POSITION);
	return false;
}

bool debug_check_before(struct hart *h)
{
	struct hv_debug *d = h->m->dbg;

	if (h->m->stop != STOP_NONE)
		return true;
	if (debug_targets_reached(h))
		return true;
	for (unsigned i = 0; i < d->nbp; i++) {
		if (d->bp[i] != h->pc)
			continue;
		if (h->id < 32 && d->skip[h->id] && d->skip_pc[h->id] == h->pc &&
		    d->skip_events[h->id] == debug_hart_events(h))
			return false;
		return debug_stop(h, DBG_STOP_BREAK);
	}
	return false;
}

uint64_t debug_budget(struct hart *h, uint64_t budget)
{
	struct hv_debug *d = h->m->dbg;

	if (d->step_hart == (int)h->id) {
		uint64_t e = debug_hart_events(h);
		uint64_t left = d->step_events > e ? d->step_events - e : 1;
		if (left < budget)
			budget = left;
	}
	uint64_t targets[2] = { d->position, d->input_position };
	for (unsigned i = 0; i < 2; i++) {
		if (!targets[i])
			continue;
		uint64_t p = debug_position(h->m);
		uint64_t left = targets[i] > p ? targets[i] - p : 1;
		if (left < budget)
			budget = left;
	}
	return budget ? budget : 1;
}

uint64_t debug_first_break(const struct machine *m, uint64_t lo, uint64_t hi)
{
	const struct hv_debug *d = m->dbg;
	uint64_t best = ~0ull;

	for (unsigned i = 0; i < d->nbp; i++)
		if (d->bp[i] >= lo && d->bp[i] < hi && d->bp[i] < best)
			best = d->bp[i];
	return best;
}

bool debug_check_after(struct hart *h)
{
	if (h->m->stop != STOP_NONE)
		return true;
	return debug_targets_reached(h);
}

bool debug_watching(const struct machine *m)
{
	return m->dbg && m->dbg->nwp;
}

void debug_note_access(struct hart *h, uint64_t va, unsigned size, bool write, bool read)
{
	struct hv_debug *d = h->m->dbg;

	for (unsigned i = 0; i < d->nwp; i++) {
		if (va >= d->wp[i].addr + d->wp[i].len || d->wp[i].addr >= va + size)
			continue;
		enum hv_debug_watch k = d->wp[i].kind;
		if ((k == DBG_WATCH_WRITE && !write) || (k == DBG_WATCH_READ && !read))
			continue;
		if (h->m->stop != STOP_NONE)
			return;
		d->stop.addr = va > d->wp[i].addr ? va : d->wp[i].addr;
		d->stop.kind = write && k != DBG_WATCH_READ ?
				       (k == DBG_WATCH_ACCESS ? DBG_WATCH_ACCESS :
								DBG_WATCH_WRITE) :
				       k;
		debug_stop(h, DBG_STOP_WATCH);
		return;
	}
}

static int debug_csr(struct hart *h, unsigned csr, uint64_t *val, const uint64_t *write)
{
	unsigned priv = h->priv;
	int r;

	h->priv = PRIV_M;
	r = write ? csr_write(h, csr, *write) : csr_read(h, csr, val);
	h->priv = priv;
	return r;
}

int debug_read_reg(struct hart *h, unsigned regno, uint64_t *v)
{
	if (regno < 32)
		*v = regno ? h->x[regno] : 0;
	else if (regno == DEBUG_REG_PC)
		*v = h->pc;
	else if (regno >= DEBUG_REG_F0 && regno < DEBUG_REG_F0 + 32)
		*v = h->f[regno - DEBUG_REG_F0];
	else if (regno == DEBUG_REG_PRIV)
		*v = h->priv;
	else if (regno >= DEBUG_REG_CSR0 && regno < DEBUG_REG_CSR0 + 4096)
		return debug_csr(h, regno - DEBUG_REG_CSR0, v, NULL);
	else
		return -1;
	return 0;
}

int debug_write_reg(struct hart *h, unsigned regno, uint64_t v)
{
	if (regno == 0)
		return 0;
	if (regno < 32)
		h->x[regno] = v;
	else if (regno == DEBUG_REG_PC)
		h->pc = v & ~1ull;
	else if (regno >= DEBUG_REG_F0 && regno < DEBUG_REG_F0 + 32)
		h->f[regno - DEBUG_REG_F0] = v;
	else if (regno == DEBUG_REG_PRIV) {
		if (v != PRIV_U && v != PRIV_S && v != PRIV_M)
			return -1;
		h->priv = (unsigned)v;
	} else if (regno >= DEBUG_REG_CSR0 && regno < DEBUG_REG_CSR0 + 4096) {
		if (debug_csr(h, regno - DEBUG_REG_CSR0, NULL, &v))
			return -1;
	} else {
		return -1;
	}
	/* Translations, permissions and the jump cache may depend on a
	 * CSR, the privilege or the pc: the running block must end. A
	 * general or FP register is read from the hart by every
	 * instruction, so execution simply goes on with the new value. */
	if (regno >= 32 && !(regno >= DEBUG_REG_F0 && regno < DEBUG_REG_F0 + 32)) {
		hart_flush_tlb(h);
		h->exit_req = true;
	}
	return 0;
}

uint64_t debug_input_position(const uint8_t *data, size_t len)
{
	uint64_t pos = 0;

	if (len >= DEBUG_INPUT_HEAD)
		memcpy(&pos, data + 5, 8);
	return pos;
}

int debug_apply(struct machine *m, const uint8_t *data, size_t len)
{
	uint32_t hart;
	uint64_t where;

	if (len < DEBUG_INPUT_HEAD)
		return -1;
	memcpy(&hart, data + 1, 4);
	memcpy(&where, data + 13, 8);
	if (hart >= m->nharts && data[0] != 3)
		return -1;
	if (data[0] == 1) {
		uint64_t v;
		if (len != DEBUG_INPUT_HEAD + 8 || where > UINT32_MAX)
			return -1;
		memcpy(&v, data + DEBUG_INPUT_HEAD, 8);
		return debug_write_reg(m->hart[hart], (unsigned)where, v);
	}
	if (data[0] == 2)
		return machine_write_phys(m, where, data + DEBUG_INPUT_HEAD,
					  len - DEBUG_INPUT_HEAD) ?
			       0 :
			       -1;
	if (data[0] == 3) {
		/* Block request number `where` of drive `hart` fails, or (16
		 * data bytes) meets fault mode, argument. */
		uint64_t mode = HV_BLK_FAIL, arg = 0;
		if ((len != DEBUG_INPUT_HEAD && len != DEBUG_INPUT_HEAD + 16) ||
		    hart >= HV_VIRTIO_SLOTS)
			return -1;
		if (len > DEBUG_INPUT_HEAD) {
			memcpy(&mode, data + DEBUG_INPUT_HEAD, 8);
			memcpy(&arg, data + DEBUG_INPUT_HEAD + 8, 8);
			if (mode < HV_BLK_FAIL || mode > HV_BLK_ROT)
				return -1;
		}
		m->blk_fault_set = true;
		m->blk_fault_dev = hart;
		m->blk_fault_nth = where;
		m->blk_fault_mode = (uint32_t)mode;
		m->blk_fault_arg = arg;
		return 0;
	}
	if (data[0] == 4) {
		/* Set (value 1) or clear (0) interrupt-pending bit `where`. */
		uint64_t v;
		if (len != DEBUG_INPUT_HEAD + 8 || where > 63 || !((1ull << where) & 0x222))
			return -1;
		memcpy(&v, data + DEBUG_INPUT_HEAD, 8);
		if (v > 1)
			return -1;
		hart_set_ip(m->hart[hart], 1ull << where, v == 1);
		return 0;
	}
	return -1;
}
