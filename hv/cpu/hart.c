// SPDX-License-Identifier: MIT
/*
 * Hart control: reset, traps and interrupts, xRET, timers and time.
 *
 * Traps follow the privileged spec 1.12, section 3.1.6-3.1.9 and 4.1.1:
 * an exception or interrupt goes to S-mode when it is delegated in
 * medeleg/mideleg and the hart is not in M-mode, otherwise to M-mode.
 * Interrupt priority is MEI, MSI, MTI, SEI, SSI, STI (section 3.1.9).
 *
 * Paravirtual boot has no M-mode software: everything but ecall-from-S is
 * delegated to S, and M-level interrupts cannot be enabled from S. A trap
 * that would still reach M there is a hypervisor bug or an impossible
 * guest state; it stops the machine with a clear message instead of
 * jumping to an M-mode vector nobody installed.
 *
 * Time: a hart's local clock in instruction units is icount plus the idle
 * time added while it waited (itime_offset); mtime is that divided by
 * HV_INSNS_PER_TICK. What harts observe is kept monotonic machine-wide by
 * m->time_seen, because harts run one after another in quanta.
 */
#include "hv/cpu/hart.h"
#include "hv/hooks.h"

#include <stdio.h>
#include <string.h>

#include "hv/cpu/spin.h"
#include "hv/mem/mem.h"

void hart_flush_access_tlb(struct hart *h)
{
	for (unsigned k = 0; k < 3; k++)
		for (unsigned i = 0; i < TLB_SIZE; i++)
			h->tlb[k][i].tag = TLB_INVALID;
}

void hart_clear_jcache(struct hart *h)
{
	/* Wrapping would make old entries match again: empty them then. */
	if (++h->jc_epoch >= 1u << 29) {
		memset(h->jcache, 0, sizeof(h->jcache));
		h->jc_epoch = 1;
	}
}

void hart_flush_tlb(struct hart *h)
{
	hart_flush_access_tlb(h);
	hart_clear_jcache(h);
	h->nsuper = 0;
	spin_reset(h);
}

void hart_note_superpage(struct hart *h, uint64_t va, unsigned shift)
{
	uint64_t base = va & ~((1ull << shift) - 1);

	for (unsigned i = 0; i < h->nsuper && i < HART_SUPERPAGES; i++)
		if (h->super_base[i] == base && h->super_shift[i] == shift)
			return;
	if (h->nsuper < HART_SUPERPAGES) {
		h->super_base[h->nsuper] = base;
		h->super_shift[h->nsuper] = (uint8_t)shift;
	}
	if (h->nsuper <= HART_SUPERPAGES)
		h->nsuper++;
}

void hart_flush_page(struct hart *h, uint64_t va)
{
	bool super = h->nsuper > HART_SUPERPAGES;
	for (unsigned i = 0; i < h->nsuper && i < HART_SUPERPAGES && !super; i++)
		super = (va & ~((1ull << h->super_shift[i]) - 1)) == h->super_base[i];
	if (super) {
		hart_flush_tlb(h);
		return;
	}
	uint64_t tag = va & ~(uint64_t)HV_PAGE_MASK;
	unsigned i = (unsigned)(va >> HV_PAGE_SHIFT) & (TLB_SIZE - 1);
	for (unsigned k = 0; k < 3; k++)
		if (h->tlb[k][i].tag == tag)
			h->tlb[k][i].tag = TLB_INVALID;
	/* A page epoch that wraps would make old entries match again. */
	if (++h->jc_page[(va >> HV_PAGE_SHIFT) & (JC_PAGES - 1)] == 0)
		hart_clear_jcache(h);
}

void hart_reset(struct hart *h, struct machine *m, unsigned id)
{
	memset(h, 0, sizeof(*h));
	h->m = m;
	h->id = id;
	h->jc_epoch = 1; /* the zeroed entries (epoch 0) match nothing */
	h->priv = PRIV_M;
	h->misa = (2ull << 62) | (1u << ('A' - 'A')) | (1u << ('C' - 'A')) | (1u << ('D' - 'A')) |
		  (1u << ('F' - 'A')) | (1u << ('I' - 'A')) | (1u << ('M' - 'A')) |
		  (1u << ('S' - 'A')) | (1u << ('U' - 'A'));
	/* UXL = SXL = 2 (64-bit), everything else zero (spec 3.1.6). */
	h->mstatus = (2ull << 32) | (2ull << 34);
	h->mtimecmp = ~0ull;
	h->stimecmp = ~0ull;
	h->timer_deadline = ~0ull;
	h->hsm = HSM_STARTED;
	hart_flush_tlb(h);
}

void hart_set_ip(struct hart *h, uint64_t mask, bool level)
{
	uint64_t *reg = (mask == MIP_SEIP) ? &h->mip_ext : &h->mip;

	if (level)
		*reg |= mask;
	else
		*reg &= ~mask;
	h->exit_req = true;
}

static void hart_set_priv(struct hart *h, unsigned priv)
{
	if (h->priv != priv) {
		h->priv = priv;
		hart_flush_access_tlb(h);
	}
}

/* Plugins (hv/hooks.h): a trap was taken, or xRET changed privilege. */
static void hart_hook_trap(struct hart *h, uint64_t cause, uint64_t tval, uint64_t epc,
			   unsigned from)
{
	struct hv_hooks *k = h->m->hooks;

	if (k->trap)
		k->trap(k->opaque, h, cause, tval, epc, from);
	if (k->priv && from != h->priv)
		k->priv(k->opaque, h, from, h->priv);
}

/*
 * Take a trap into mode `to`, S or M (privileged spec 3.1.6.1, 4.1.1):
 * xcause, xepc and xtval; mstatus.xPP gets the previous privilege (the
 * one bit SPP can hold it, as an S trap comes from U or S) and xPIE
 * the old xIE, which is cleared; the pc is xtvec's base, plus 4 * code
 * for an interrupt when xtvec is vectored.
 */
static inline void hart_enter(struct hart *h, unsigned to, uint64_t cause, uint64_t tval, bool irq,
			      unsigned code)
{
	bool s = to == PRIV_S;
	uint64_t pp = s ? MSTATUS_SPP : MSTATUS_MPP;
	uint64_t pie = s ? MSTATUS_SPIE : MSTATUS_MPIE;
	uint64_t ie = s ? MSTATUS_SIE : MSTATUS_MIE;
	uint64_t tvec = s ? h->stvec : h->mtvec;
	uint64_t st = h->mstatus;

	*(s ? &h->scause : &h->mcause) = cause;
	*(s ? &h->sepc : &h->mepc) = h->pc;
	*(s ? &h->stval : &h->mtval) = tval;
	st = (st & ~pp) | ((uint64_t)h->priv << (s ? 8 : 11));
	st = (st & ~pie) | ((st & ie) ? pie : 0);
	st &= ~ie;
	h->mstatus = st;
	h->pc = (irq && (tvec & 3) == 1) ? (tvec & ~3ull) + 4ull * code : tvec & ~3ull;
	hart_set_priv(h, to);
}

void hart_trap(struct hart *h, uint64_t cause, uint64_t tval)
{
	bool irq = (cause & CAUSE_INTERRUPT) != 0;
	unsigned from = h->priv;
	uint64_t epc = h->pc;

	h->traps++;
	unsigned code = (unsigned)(cause & 63);
	uint64_t deleg = irq ? h->mideleg : h->medeleg;

	if (h->priv <= PRIV_S && ((deleg >> code) & 1)) {
		hart_enter(h, PRIV_S, cause, tval, irq, code);
	} else if (h->m->cfg.boot == BOOT_PV) {
		fprintf(stderr,
			"retrovisor: hart %u took trap cause 0x%llx (tval 0x%llx) at pc 0x%llx to M-mode, "
			"which paravirtual boot does not have; the guest is stopped\n",
			h->id, (unsigned long long)cause, (unsigned long long)tval,
			(unsigned long long)h->pc);
		machine_stop(h->m, STOP_SHUTDOWN, 1);
		return;
	} else {
		hart_enter(h, PRIV_M, cause, tval, irq, code);
	}
	if (HV_UNLIKELY(h->m->hooks))
		hart_hook_trap(h, cause, tval, epc, from);
	spin_note_trap(h, cause, tval, epc);
}

/* Priority order of section 3.1.9. */
static const int irq_order[] = { IRQ_MEI, IRQ_MSI, IRQ_MTI, IRQ_SEI, IRQ_SSI, IRQ_STI };

int hart_pending_irq(const struct hart *h)
{
	uint64_t pend = (h->mip | h->mip_ext) & h->mie;

	if (!pend)
		return -1;
	bool m_on = h->priv < PRIV_M || (h->mstatus & MSTATUS_MIE);
	bool s_on = h->priv < PRIV_S || (h->priv == PRIV_S && (h->mstatus & MSTATUS_SIE));
	uint64_t m_pend = m_on ? pend & ~h->mideleg : 0;
	uint64_t s_pend = s_on ? pend & h->mideleg : 0;
	/* An interrupt delegated to S is never taken in M-mode. */
	for (unsigned i = 0; i < HV_ARRAY_LEN(irq_order); i++)
		if (m_pend & (1ull << irq_order[i]))
			return irq_order[i];
	for (unsigned i = 0; i < HV_ARRAY_LEN(irq_order); i++)
		if (s_pend & (1ull << irq_order[i]))
			return irq_order[i];
	return -1;
}

void hart_take_irq(struct hart *h, int irq)
{
	h->wfi = false;
	hart_trap(h, CAUSE_INTERRUPT | (uint64_t)irq, 0);
}

/* The end of an xRET: mstatus as the return leaves it, the pc back at
 * epc in privilege `to`, any LR reservation dropped (spec 3.3.2), and the
 * access TLBs flushed, as MPRV may have changed. */
static void hart_return(struct hart *h, uint64_t mstatus, uint64_t epc, unsigned to)
{
	unsigned from = h->priv;

	h->mstatus = mstatus;
	h->pc = epc;
	h->resv_valid = false;
	hart_set_priv(h, to);
	if (HV_UNLIKELY(h->m->hooks) && h->m->hooks->priv && from != to)
		h->m->hooks->priv(h->m->hooks->opaque, h, from, to);
	hart_flush_access_tlb(h);
}

int hart_mret(struct hart *h)
{
	if (h->priv < PRIV_M)
		return -1;
	uint64_t s = h->mstatus;
	unsigned mpp = (unsigned)((s & MSTATUS_MPP) >> 11);
	s = (s & ~MSTATUS_MIE) | ((s & MSTATUS_MPIE) ? MSTATUS_MIE : 0);
	s |= MSTATUS_MPIE;
	s &= ~MSTATUS_MPP; /* MPP := U, the least-privileged mode */
	if (mpp != PRIV_M)
		s &= ~MSTATUS_MPRV;
	hart_return(h, s, h->mepc, mpp);
	return 0;
}

int hart_sret(struct hart *h)
{
	if (h->priv < PRIV_S || (h->priv == PRIV_S && (h->mstatus & MSTATUS_TSR)))
		return -1;
	uint64_t s = h->mstatus;
	unsigned spp = (s & MSTATUS_SPP) ? PRIV_S : PRIV_U;
	s = (s & ~MSTATUS_SIE) | ((s & MSTATUS_SPIE) ? MSTATUS_SIE : 0);
	s |= MSTATUS_SPIE;
	s &= ~MSTATUS_SPP;
	s &= ~MSTATUS_MPRV; /* SPP is never M (spec 3.1.6.1) */
	hart_return(h, s, h->sepc, spp);
	return 0;
}

static uint64_t hart_local_itime(const struct hart *h)
{
	return h->icount + h->itime_offset;
}

uint64_t hart_time(struct hart *h)
{
	uint64_t t = hart_local_itime(h) / HV_INSNS_PER_TICK;
	struct machine *m = h->m;

	if (t < m->time_seen)
		return m->time_seen;
	m->time_seen = t;
	return t;
}

/* icount at which the local clock reaches tick cmp (~0 if never). */
static icount_t hart_deadline_for(const struct hart *h, uint64_t cmp)
{
	if (cmp > (~0ull - HV_INSNS_PER_TICK) / HV_INSNS_PER_TICK)
		return ~0ull;
	uint64_t itime = cmp * HV_INSNS_PER_TICK;
	if (itime <= h->itime_offset)
		return 0;
	return itime - h->itime_offset;
}

void hart_timer_update(struct hart *h)
{
	uint64_t now = hart_time(h);
	icount_t deadline = ~0ull;
	bool mti = now >= h->mtimecmp;

	if (((h->mip & MIP_MTIP) != 0) != mti) {
		hart_set_ip(h, MIP_MTIP, mti);
		if (mti && HV_UNLIKELY(h->m->hooks) && h->m->hooks->timer)
			h->m->hooks->timer(h->m->hooks->opaque, h);
	}
	if (!mti)
		deadline = hart_deadline_for(h, h->mtimecmp);
	if (h->m->cfg.boot == BOOT_PV) {
		/* The SBI timer drives STIP; in full-machine boot STIP is
		 * written by M-mode firmware instead. */
		bool sti = now >= h->stimecmp;
		if (((h->mip & MIP_STIP) != 0) != sti) {
			hart_set_ip(h, MIP_STIP, sti);
			if (sti && HV_UNLIKELY(h->m->hooks) && h->m->hooks->timer)
				h->m->hooks->timer(h->m->hooks->opaque, h);
		}
		if (!sti) {
			icount_t d = hart_deadline_for(h, h->stimecmp);
			if (d < deadline)
				deadline = d;
		}
	}
	if (deadline <= h->icount)
		deadline = h->icount + 1;
	h->timer_deadline = deadline;
}

bool hart_hsm_wake(struct hart *h)
{
	if (h->hsm != HSM_SUSPENDED)
		return h->hsm == HSM_STARTED;
	/* Pending and enabled in sie, whatever sstatus.SIE says (spec HSM:
	 * "resume ... when it receives an interrupt"; like WFI). */
	if (!((h->mip | h->mip_ext) & h->mie))
		return false;
	h->hsm = HSM_STARTED;
	h->wfi = false;
	return true;
}
