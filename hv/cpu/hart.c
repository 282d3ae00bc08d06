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

#include "hv/mem/mem.h"

void hart_flush_access_tlb(struct hart *h)
{
	for (unsigned k = 0; k < 3; k++)
		for (unsigned i = 0; i < TLB_SIZE; i++)
			h->tlb[k][i].tag = TLB_INVALID;
}

void hart_flush_tlb(struct hart *h)
{
	hart_flush_access_tlb(h);
	memset(h->jcache, 0, sizeof(h->jcache));
}

void hart_reset(struct hart *h, struct machine *m, unsigned id)
{
	memset(h, 0, sizeof(*h));
	h->m = m;
	h->id = id;
	h->priv = PRIV_M;
	h->misa = (2ull << 62) | (1u << ('A' - 'A')) | (1u << ('C' - 'A')) |
		  (1u << ('D' - 'A')) | (1u << ('F' - 'A')) | (1u << ('I' - 'A')) |
		  (1u << ('M' - 'A')) | (1u << ('S' - 'A')) | (1u << ('U' - 'A'));
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

void hart_trap(struct hart *h, uint64_t cause, uint64_t tval)
{
	bool irq = (cause & CAUSE_INTERRUPT) != 0;
	unsigned from = h->priv;
	uint64_t epc = h->pc;

	h->traps++;
	unsigned code = (unsigned)(cause & 63);
	uint64_t deleg = irq ? h->mideleg : h->medeleg;
	uint64_t s = h->mstatus;

	if (h->priv <= PRIV_S && ((deleg >> code) & 1)) {
		h->scause = cause;
		h->sepc = h->pc;
		h->stval = tval;
		s = (s & ~MSTATUS_SPP) | (h->priv == PRIV_S ? MSTATUS_SPP : 0);
		s = (s & ~MSTATUS_SPIE) | ((s & MSTATUS_SIE) ? MSTATUS_SPIE : 0);
		s &= ~MSTATUS_SIE;
		h->mstatus = s;
		uint64_t base = h->stvec & ~3ull;
		h->pc = (irq && (h->stvec & 3) == 1) ? base + 4ull * code : base;
		hart_set_priv(h, PRIV_S);
		if (HV_UNLIKELY(h->m->hooks))
			hart_hook_trap(h, cause, tval, epc, from);
		return;
	}
	if (h->m->cfg.boot == BOOT_PV) {
		fprintf(stderr,
			"retrovisor: hart %u took trap cause 0x%llx (tval 0x%llx) at pc 0x%llx to M-mode, "
			"which paravirtual boot does not have; the guest is stopped\n",
			h->id, (unsigned long long)cause, (unsigned long long)tval,
			(unsigned long long)h->pc);
		machine_stop(h->m, STOP_SHUTDOWN, 1);
		return;
	}
	h->mcause = cause;
	h->mepc = h->pc;
	h->mtval = tval;
	s = (s & ~MSTATUS_MPP) | ((uint64_t)h->priv << 11);
	s = (s & ~MSTATUS_MPIE) | ((s & MSTATUS_MIE) ? MSTATUS_MPIE : 0);
	s &= ~MSTATUS_MIE;
	h->mstatus = s;
	uint64_t base = h->mtvec & ~3ull;
	h->pc = (irq && (h->mtvec & 3) == 1) ? base + 4ull * code : base;
	hart_set_priv(h, PRIV_M);
	if (HV_UNLIKELY(h->m->hooks))
		hart_hook_trap(h, cause, tval, epc, from);
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
	h->mstatus = s;
	h->pc = h->mepc;
	h->resv_valid = false;
	unsigned from_m = h->priv;
	hart_set_priv(h, mpp);
	if (HV_UNLIKELY(h->m->hooks) && h->m->hooks->priv && from_m != mpp)
		h->m->hooks->priv(h->m->hooks->opaque, h, from_m, mpp);
	hart_flush_access_tlb(h); /* MPRV may have changed */
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
	h->mstatus = s;
	h->pc = h->sepc;
	h->resv_valid = false;
	unsigned from_s = h->priv;
	hart_set_priv(h, spp);
	if (HV_UNLIKELY(h->m->hooks) && h->m->hooks->priv && from_s != spp)
		h->m->hooks->priv(h->m->hooks->opaque, h, from_s, spp);
	hart_flush_access_tlb(h);
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
