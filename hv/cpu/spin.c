// SPDX-License-Identifier: MIT
/*
 * Spin skipping (spin.h): proving that a trap loop repeats forever, and
 * skipping its turns.
 *
 * Input not trusted: everything here is guest state; the proof only
 * compares it, and a skip only advances counts to a stop exec_run chose.
 */
#include "hv/cpu/spin.h"

#include <string.h>

#include "hv/cpu/debug.h"
#include "hv/cpu/jit.h"
#include "hv/hooks.h"

/* The hart's state as struct hart_arch holds it, padding zeroed so that
 * two can be compared with memcmp. */
static void spin_capture(const struct hart *h, struct hart_arch *a)
{
	memset(a, 0, sizeof(*a));
	memcpy(a->x, h->x, sizeof(a->x));
	memcpy(a->f, h->f, sizeof(a->f));
	a->pc = h->pc;
	a->priv = h->priv;
	a->fcsr = (uint64_t)h->frm << 5 | h->fflags;
	const uint64_t csr[] = {
		h->mstatus,       h->misa,     h->medeleg,       h->mideleg,
		h->mie,           h->mip,      h->mtvec,         h->mscratch,
		h->mepc,          h->mcause,   h->mtval,         h->mcounteren,
		h->mcountinhibit, h->menvcfg,  h->mcycle_offset, h->minstret_offset,
		h->stvec,         h->sscratch, h->sepc,          h->scause,
		h->stval,         h->satp,     h->scounteren,    h->senvcfg,
	};
	_Static_assert(sizeof(csr) == sizeof(a->csr), "struct hart_arch.csr holds every CSR field");
	memcpy(a->csr, csr, sizeof(csr));
	memcpy(a->pmpcfg, h->pmpcfg, sizeof(a->pmpcfg));
	memcpy(a->pmpaddr, h->pmpaddr, sizeof(a->pmpaddr));
	a->resv_addr = h->resv_addr;
	a->resv_valid = h->resv_valid;
	a->mip_ext = h->mip_ext;
	a->mtimecmp = h->mtimecmp;
	a->stimecmp = h->stimecmp;
	a->hsm = h->hsm;
	a->wfi = h->wfi;
}

static bool spin_same(const struct hart *h, const struct hart_arch *a)
{
	struct hart_arch now;

	spin_capture(h, &now);
	return memcmp(&now, a, sizeof(now)) == 0;
}

/* Whether a run may skip: not while a debugger stops at points or counts
 * steps, nor while a plugin could be called back from the loop. */
static bool spin_allowed(const struct machine *m)
{
	if (!jit_settings.skip_spins)
		return false;
	if (m->dbg && m->dbg->active)
		return false;
	if (m->hooks && !(m->hooks->quiet && m->hooks->quiet(m->hooks->opaque)))
		return false;
	return true;
}

static void spin_stop_watching(struct hart *h)
{
	h->spin.watching = false;
	h->spin.ready = false;
}

void spin_reset(struct hart *h)
{
	uint64_t skipped = h->spin.skipped;

	/* Only the counts and signatures matter (hart_arch is rewritten
	 * before it is read). */
	memset(h->spin.ring, 0, sizeof(h->spin.ring));
	h->spin.ring_next = 0;
	spin_stop_watching(h);
	h->spin.quiet_until = 0;
	h->spin.skipped = skipped;
}

void spin_new_slice(struct hart *h)
{
	h->spin.slice++;
	if (h->spin.watching)
		spin_stop_watching(h);
}

/* The proof failed: no new one for a while. */
static void spin_give_up(struct hart *h)
{
	spin_stop_watching(h);
	h->spin.quiet_until = h->icount + SPIN_QUIET;
}

void spin_note_trap(struct hart *h, uint64_t cause, uint64_t tval, uint64_t epc)
{
	struct hart_spin *s = &h->spin;

	if (cause & CAUSE_INTERRUPT) {
		if (s->watching)
			spin_give_up(h);
		return;
	}
	bool seen = false;
	for (unsigned i = 0; i < SPIN_RING; i++)
		if (s->ring[i].cause == cause && s->ring[i].epc == epc && s->ring[i].tval == tval &&
		    s->ring[i].icount < h->icount && h->icount - s->ring[i].icount <= SPIN_WINDOW)
			seen = true;
	unsigned k = s->ring_next++ % SPIN_RING;
	s->ring[k].cause = cause;
	s->ring[k].epc = epc;
	s->ring[k].tval = tval;
	s->ring[k].icount = h->icount;

	if (s->watching) {
		if (s->watch_slice != s->slice || s->effects ||
		    h->icount - s->watch_icount > SPIN_WINDOW * SPIN_RING) {
			spin_give_up(h);
			return;
		}
		if (seen && h->icount > s->watch_icount && spin_same(h, &s->at)) {
			/* Proved: exec_run skips at its next boundary. */
			s->period = h->icount - s->watch_icount;
			s->period_traps = h->traps - s->watch_traps;
			s->ready = true;
			h->exit_req = true;
		}
		return;
	}
	if (!seen || h->icount < s->quiet_until || !spin_allowed(h->m))
		return;
	spin_capture(h, &s->at);
	s->watch_icount = h->icount;
	s->watch_traps = h->traps;
	s->watch_slice = s->slice;
	s->effects = 0;
	s->watching = true;
	for (unsigned i = 0; i < TLB_SIZE; i++)
		h->tlb[ACC_STORE][i].tag = TLB_INVALID;
}

void spin_skip(struct hart *h, icount_t stop, int irq)
{
	struct hart_spin *s = &h->spin;

	s->ready = false;
	/* From here stores may fill the TLB again; the next slice proves the
	 * loop anew. */
	s->watching = false;
	/* Between the trap and here exec_run may have fired a timer: the
	 * state must still be the one proved, with nothing done since. */
	if (irq >= 0 || s->effects || s->watch_slice != s->slice || !spin_same(h, &s->at) ||
	    !spin_allowed(h->m) || stop <= h->icount || !s->period)
		return;
	/* The hart is just past a trap, which took no count: at the count
	 * it has, a run that stops there stops before the faulting
	 * instruction instead. So the skip ends short of stop. */
	icount_t n = (stop - 1 - h->icount) / s->period;
	if (!n)
		return;
	h->icount += n * s->period;
	h->traps += n * s->period_traps;
	s->skipped += n * s->period;
	/* The kept traps stand for the turns skipped: their counts move
	 * with the hart's, so the next slice's first turns match them. */
	for (unsigned i = 0; i < SPIN_RING; i++)
		s->ring[i].icount += n * s->period;
}
