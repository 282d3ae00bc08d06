// SPDX-License-Identifier: MIT
/*
 * Control and status registers (Zicsr, Zicntr and the privileged CSRs of
 * M and S mode, privileged spec 1.12 chapters 2-4).
 *
 * Which CSRs exist, and the gate of each, come from the CSR table
 * (hv/cpu/csr.def): csr_gate() checks the privilege level encoded in the CSR
 * number (bits 9:8), read-only CSRs (bits 11:10 == 3), and the access
 * column: counter enables (mcounteren/scounteren), mstatus.TVM for satp,
 * mstatus.FS for the FP CSRs. An access that fails any check, or names a
 * CSR the table marks NAMED or lacks, returns -1 and the executor raises
 * illegal-instruction. The values, and the WARL rules, are the switches
 * below, keyed by the table's CSR_<name> numbers. Writes keep only
 * legal values (WARL): a field written with an unsupported value keeps its
 * old value or a legal one, as noted per register.
 *
 * Counters: one instruction retires per cycle, so cycle == instret ==
 * icount (plus what the guest wrote into mcycle/minstret). time is derived
 * from icount (machine.h). hpmcounters and mhpmevents are read-only zero,
 * which the spec allows; so is mcountinhibit.
 *
 * PMP: pmpcfg/pmpaddr hold what firmware writes (so that firmware probing
 * them works), but no PMP checks are made; the guest is one domain.
 */
#include "hv/cpu/csr.h"
#include "hv/cpu/hart.h"
#include "hv/cpu/spin.h"
#include "hv/hooks.h"

#include <stdio.h>
#include <stdlib.h>

#include "hv/mem/mem.h"

/* Writable bits. */
#define MSTATUS_WMASK                                                                          \
	(MSTATUS_SIE | MSTATUS_MIE | MSTATUS_SPIE | MSTATUS_MPIE | MSTATUS_SPP | MSTATUS_MPP | \
	 MSTATUS_FS | MSTATUS_MPRV | MSTATUS_SUM | MSTATUS_MXR | MSTATUS_TVM | MSTATUS_TW |    \
	 MSTATUS_TSR)
#define SSTATUS_RMASK                                                                       \
	(MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_UBE | MSTATUS_SPP | MSTATUS_FS | MSTATUS_XS | \
	 MSTATUS_SUM | MSTATUS_MXR | MSTATUS_UXL | MSTATUS_SD)
#define SSTATUS_WMASK \
	(MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_SPP | MSTATUS_FS | MSTATUS_SUM | MSTATUS_MXR)
/* Exceptions 0-9, 12, 13, 15 may be delegated; 11 (ecall from M) may not. */
#define MEDELEG_WMASK 0xb3ffull
#define S_INTS (MIP_SSIP | MIP_STIP | MIP_SEIP)
#define M_INTS (MIP_MSIP | MIP_MTIP | MIP_MEIP)
#define MIP_WMASK S_INTS
#define ENVCFG_WMASK 1ull /* FIOM; no Zicbo*, Svpbmt or Sstc */
#define SATP_MODE_BARE 0ull
#define SATP_MODE_SV39 8ull
#define SATP_MODE_SV48 9ull

static uint64_t csr_mstatus_read(const struct hart *h)
{
	uint64_t s = h->mstatus;

	if ((s & MSTATUS_FS) == MSTATUS_FS)
		s |= MSTATUS_SD;
	return s;
}

/* Counter access from S and U needs the enable bit (spec 3.1.11, 4.1.5). */
static bool csr_counter_ok(const struct hart *h, unsigned csr)
{
	unsigned bit = csr & 31;

	if (h->priv == PRIV_M)
		return true;
	if (!((h->mcounteren >> bit) & 1))
		return false;
	if (h->priv == PRIV_U && !((h->scounteren >> bit) & 1))
		return false;
	return true;
}

enum csr_access csr_access(unsigned num)
{
	switch (num) {
#define CSR(num, name, access, gdb) \
	case num:                   \
		return CSR_ACC_##access;
#include "hv/cpu/csr.def"
	}
#define CSR(num, name, access, gdb)
#define CSR_SERIES(lo, hi, first, prefix, suffix, access) \
	if (num >= lo && num <= hi)                       \
		return CSR_ACC_##access;
#include "hv/cpu/csr.def"
	return CSR_ACC_NAMED;
}

struct csr_named {
	uint16_t num;
	const char *name;
};

/* The table's rows; csr.def is sorted by number. */
static const struct csr_named csr_names[] = {
#define CSR(num, name, access, gdb) { num, #name },
#include "hv/cpu/csr.def"
};

struct csr_named_series {
	uint16_t lo, hi;
	unsigned first;
	const char *prefix, *suffix;
};

static const struct csr_named_series csr_series[] = {
#define CSR(num, name, access, gdb)
#define CSR_SERIES(lo, hi, first, prefix, suffix, access) { lo, hi, first, #prefix, #suffix },
#include "hv/cpu/csr.def"
};

static int csr_named_cmp(const void *key, const void *elem)
{
	unsigned num = *(const unsigned *)key;
	const struct csr_named *c = elem;

	return (num > c->num) - (num < c->num);
}

bool csr_name(unsigned num, char *buf, size_t len)
{
	const struct csr_named *c = bsearch(&num, csr_names, HV_ARRAY_LEN(csr_names),
					    sizeof(csr_names[0]), csr_named_cmp);

	if (c) {
		snprintf(buf, len, "%s", c->name);
		return true;
	}
	for (size_t i = 0; i < HV_ARRAY_LEN(csr_series); i++) {
		const struct csr_named_series *s = &csr_series[i];

		if (num >= s->lo && num <= s->hi) {
			snprintf(buf, len, "%s%u%s", s->prefix, s->first + num - s->lo, s->suffix);
			return true;
		}
	}
	return false;
}

/* The checks every access makes before it reaches the register: 0 if h
 * may access csr (write: for writing) now, else -1. */
static int csr_gate(const struct hart *h, unsigned csr, bool write)
{
	enum csr_access a = csr_access(csr);

	if (a == CSR_ACC_NAMED || h->priv < ((csr >> 8) & 3))
		return -1;
	if (write && ((csr >> 10) & 3) == 3)
		return -1;
	switch (a) {
	case CSR_ACC_FP:
		return (h->mstatus & MSTATUS_FS) ? 0 : -1;
	case CSR_ACC_CTR:
		return csr_counter_ok(h, csr) ? 0 : -1;
	case CSR_ACC_TVM:
		return (h->priv == PRIV_S && (h->mstatus & MSTATUS_TVM)) ? -1 : 0;
	default:
		return 0;
	}
}

/*
 * CSRs that exist and hold nothing here: they read as zero and ignore
 * writes (the read-only ones never get a write past csr_gate). The
 * machine's IDs, mcountinhibit (the counters never stop), the debug
 * triggers (none: tselect reads 0 and tdata1.type is 0), and the
 * hardware performance counters and their events.
 */
static inline bool csr_is_zero(unsigned csr)
{
	switch (csr) {
	case CSR_mvendorid:
	case CSR_marchid:
	case CSR_mimpid:
	case CSR_mconfigptr:
	case CSR_mcountinhibit:
	case CSR_tselect:
	case CSR_tdata1:
	case CSR_tdata2:
	case CSR_tdata3:
	case CSR_tinfo:
		return true;
	default:
		return (csr >= CSR_hpmcounter_lo && csr <= CSR_hpmcounter_hi) ||
		       (csr >= CSR_mhpmcounter_lo && csr <= CSR_mhpmcounter_hi) ||
		       (csr >= CSR_mhpmevent_lo && csr <= CSR_mhpmevent_hi);
	}
}

int csr_read(struct hart *h, unsigned csr, uint64_t *val)
{
	if (csr_gate(h, csr, false))
		return -1;
	if (csr_is_zero(csr)) {
		*val = 0;
		return 0;
	}
	switch (csr) {
	case CSR_fflags:
	case CSR_frm:
	case CSR_fcsr:
		*val = csr == CSR_fflags ? h->fflags :
		       csr == CSR_frm    ? h->frm :
					   (h->frm << 5 | h->fflags);
		return 0;
	case CSR_cycle:
	case CSR_instret:
		spin_effect(h);
		*val = h->icount + (csr == CSR_cycle ? h->mcycle_offset : h->minstret_offset);
		return 0;
	case CSR_time:
		spin_effect(h);
		*val = hart_time(h);
		return 0;
	case CSR_sstatus:
		*val = csr_mstatus_read(h) & SSTATUS_RMASK;
		return 0;
	case CSR_sie:
		*val = h->mie & h->mideleg;
		return 0;
	case CSR_stvec:
		*val = h->stvec;
		return 0;
	case CSR_scounteren:
		*val = h->scounteren;
		return 0;
	case CSR_senvcfg:
		*val = h->senvcfg;
		return 0;
	case CSR_sscratch:
		*val = h->sscratch;
		return 0;
	case CSR_sepc:
		*val = h->sepc;
		return 0;
	case CSR_scause:
		*val = h->scause;
		return 0;
	case CSR_stval:
		*val = h->stval;
		return 0;
	case CSR_sip:
		*val = (h->mip | h->mip_ext) & h->mideleg;
		return 0;
	case CSR_satp:
		*val = h->satp;
		return 0;
	case CSR_mhartid:
		*val = h->id;
		return 0;
	case CSR_mstatus:
		*val = csr_mstatus_read(h);
		return 0;
	case CSR_misa:
		*val = h->misa;
		return 0;
	case CSR_medeleg:
		*val = h->medeleg;
		return 0;
	case CSR_mideleg:
		*val = h->mideleg;
		return 0;
	case CSR_mie:
		*val = h->mie;
		return 0;
	case CSR_mtvec:
		*val = h->mtvec;
		return 0;
	case CSR_mcounteren:
		*val = h->mcounteren;
		return 0;
	case CSR_menvcfg:
		*val = h->menvcfg;
		return 0;
	case CSR_mscratch:
		*val = h->mscratch;
		return 0;
	case CSR_mepc:
		*val = h->mepc;
		return 0;
	case CSR_mcause:
		*val = h->mcause;
		return 0;
	case CSR_mtval:
		*val = h->mtval;
		return 0;
	case CSR_mip:
		*val = h->mip | h->mip_ext;
		return 0;
	case CSR_mcycle:
		spin_effect(h);
		*val = h->icount + h->mcycle_offset;
		return 0;
	case CSR_minstret:
		spin_effect(h);
		*val = h->icount + h->minstret_offset;
		return 0;
	}
	/* Odd pmpcfg registers exist only on RV32: NAMED in the table. */
	if (csr >= CSR_pmpcfg0 && csr <= CSR_pmpcfg15) {
		*val = h->pmpcfg[(csr - CSR_pmpcfg0) / 2];
		return 0;
	}
	if (csr >= CSR_pmpaddr0 && csr <= CSR_pmpaddr63) {
		*val = h->pmpaddr[csr - CSR_pmpaddr0];
		return 0;
	}
	return -1;
}

static void csr_mstatus_write(struct hart *h, uint64_t val)
{
	uint64_t old = h->mstatus;
	uint64_t nv = (old & ~MSTATUS_WMASK) | (val & MSTATUS_WMASK);

	/* MPP is WARL over {U, S, M}: the reserved value 2 keeps the old. */
	if (((nv & MSTATUS_MPP) >> 11) == 2)
		nv = (nv & ~MSTATUS_MPP) | (old & MSTATUS_MPP);
	h->mstatus = nv;
	if ((old ^ nv) & (MSTATUS_MPRV | MSTATUS_MPP | MSTATUS_SUM | MSTATUS_MXR))
		hart_flush_access_tlb(h);
}

static uint64_t csr_tvec_legal(uint64_t old, uint64_t val)
{
	/* Modes 0 (direct) and 1 (vectored) only; others leave it alone. */
	return (val & 3) < 2 ? val : old;
}

uint64_t csr_rmw_base(const struct hart *h, unsigned csr, uint64_t read)
{
	/* mip.SEIP reads as the software-writable bit OR the interrupt
	 * controller's line, but only the software-writable bit takes part
	 * in a CSRRS/CSRRC's read-modify-write (privileged spec 3.1.9).
	 * Otherwise firmware that sets or clears STIP while the PLIC asserts
	 * SEIP (OpenSBI's timer code) latches SEIP on for good. */
	if (csr == CSR_mip)
		return h->mip;
	return read;
}

int csr_write(struct hart *h, unsigned csr, uint64_t val)
{
	if (csr_gate(h, csr, true))
		return -1;
	if (csr_is_zero(csr))
		return 0;
	switch (csr) {
	case CSR_fflags:
	case CSR_frm:
	case CSR_fcsr:
		if (csr == CSR_fflags)
			h->fflags = val & 0x1f;
		else if (csr == CSR_frm)
			h->frm = val & 7;
		else {
			h->fflags = val & 0x1f;
			h->frm = (val >> 5) & 7;
		}
		h->mstatus |= MSTATUS_FS;
		return 0;
	case CSR_sstatus:
		csr_mstatus_write(h, (h->mstatus & ~SSTATUS_WMASK) | (val & SSTATUS_WMASK));
		return 0;
	case CSR_sie:
		h->mie = (h->mie & ~h->mideleg) | (val & h->mideleg);
		return 0;
	case CSR_stvec:
		h->stvec = csr_tvec_legal(h->stvec, val);
		return 0;
	case CSR_scounteren:
		h->scounteren = val & 0xffffffffull;
		return 0;
	case CSR_senvcfg:
		h->senvcfg = val & ENVCFG_WMASK;
		return 0;
	case CSR_sscratch:
		h->sscratch = val;
		return 0;
	case CSR_sepc:
		h->sepc = val & ~1ull;
		return 0;
	case CSR_scause:
		h->scause = val;
		return 0;
	case CSR_stval:
		h->stval = val;
		return 0;
	case CSR_sip:
		/* Only SSIP is writable through sip (spec 4.1.3). */
		if (h->mideleg & MIP_SSIP)
			h->mip = (h->mip & ~MIP_SSIP) | (val & MIP_SSIP);
		return 0;
	case CSR_satp: {
		uint64_t mode = val >> 60;
		/* An unsupported mode makes the whole write have no effect
		 * (spec 4.1.11); this is how Linux probes Sv57/Sv48. */
		if (mode != SATP_MODE_BARE && mode != SATP_MODE_SV39 && mode != SATP_MODE_SV48)
			return 0;
		h->satp = val & ((0xfull << 60) | (0xffffull << 44) | ((1ull << 44) - 1));
		hart_flush_tlb(h);
		if (HV_UNLIKELY(h->m->hooks) && h->m->hooks->satp)
			h->m->hooks->satp(h->m->hooks->opaque, h);
		return 0;
	}
	case CSR_mstatus:
		csr_mstatus_write(h, val);
		return 0;
	case CSR_misa:
		return 0; /* WARL, read-only here */
	case CSR_medeleg:
		h->medeleg = val & MEDELEG_WMASK;
		return 0;
	case CSR_mideleg:
		h->mideleg = val & S_INTS;
		return 0;
	case CSR_mie:
		h->mie = val & (S_INTS | M_INTS);
		return 0;
	case CSR_mtvec:
		h->mtvec = csr_tvec_legal(h->mtvec, val);
		return 0;
	case CSR_mcounteren:
		h->mcounteren = val & 0xffffffffull;
		return 0;
	case CSR_menvcfg:
		h->menvcfg = val & ENVCFG_WMASK;
		return 0;
	case CSR_mscratch:
		h->mscratch = val;
		return 0;
	case CSR_mepc:
		h->mepc = val & ~1ull;
		return 0;
	case CSR_mcause:
		h->mcause = val;
		return 0;
	case CSR_mtval:
		h->mtval = val;
		return 0;
	case CSR_mip:
		h->mip = (h->mip & ~MIP_WMASK) | (val & MIP_WMASK);
		return 0;
	case CSR_mcycle:
		/* The instruction writing mcycle retires after the write, and
		 * the written value is what the next read sees minus nothing:
		 * the offset absorbs the current count. */
		h->mcycle_offset = val - h->icount - 1;
		return 0;
	case CSR_minstret:
		h->minstret_offset = val - h->icount - 1;
		return 0;
	}
	if (csr >= CSR_pmpcfg0 && csr <= CSR_pmpcfg15) {
		/* The reserved W=1,R=0 combination reads back as 0 in each
		 * byte (spec 3.7.1); bits 5-6 are reserved zero. */
		uint64_t v = 0;
		for (unsigned i = 0; i < 8; i++) {
			uint64_t b = (val >> (8 * i)) & 0x9f;
			if ((b & 3) == 2)
				b &= ~3ull;
			v |= b << (8 * i);
		}
		h->pmpcfg[(csr - CSR_pmpcfg0) / 2] = v;
		return 0;
	}
	if (csr >= CSR_pmpaddr0 && csr <= CSR_pmpaddr63) {
		h->pmpaddr[csr - CSR_pmpaddr0] = val & ((1ull << 54) - 1);
		return 0;
	}
	return -1;
}
