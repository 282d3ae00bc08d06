// SPDX-License-Identifier: MIT
/*
 * Control and status registers (Zicsr, Zicntr and the privileged CSRs of
 * M and S mode, privileged spec 1.12 chapters 2-4).
 *
 * Every access is checked here: the privilege level encoded in the CSR
 * number (bits 9:8), read-only CSRs (bits 11:10 == 3), counter enables
 * (mcounteren/scounteren), mstatus.TVM for satp and mstatus.FS for the FP
 * CSRs. An access that fails any check, or names a CSR we do not have,
 * returns -1 and the executor raises illegal-instruction. Writes keep only
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
#include "hv/hart.h"
#include "hv/hooks.h"

#include "hv/machine.h"

enum {
	CSR_FFLAGS = 0x001, CSR_FRM = 0x002, CSR_FCSR = 0x003,
	CSR_CYCLE = 0xc00, CSR_TIME = 0xc01, CSR_INSTRET = 0xc02,
	CSR_HPMCOUNTER3 = 0xc03, CSR_HPMCOUNTER31 = 0xc1f,
	CSR_SSTATUS = 0x100, CSR_SIE = 0x104, CSR_STVEC = 0x105, CSR_SCOUNTEREN = 0x106,
	CSR_SENVCFG = 0x10a, CSR_SSCRATCH = 0x140, CSR_SEPC = 0x141, CSR_SCAUSE = 0x142,
	CSR_STVAL = 0x143, CSR_SIP = 0x144, CSR_SATP = 0x180,
	CSR_MVENDORID = 0xf11, CSR_MARCHID = 0xf12, CSR_MIMPID = 0xf13, CSR_MHARTID = 0xf14,
	CSR_MCONFIGPTR = 0xf15,
	CSR_MSTATUS = 0x300, CSR_MISA = 0x301, CSR_MEDELEG = 0x302, CSR_MIDELEG = 0x303,
	CSR_MIE = 0x304, CSR_MTVEC = 0x305, CSR_MCOUNTEREN = 0x306, CSR_MENVCFG = 0x30a,
	CSR_MCOUNTINHIBIT = 0x320, CSR_MHPMEVENT3 = 0x323, CSR_MHPMEVENT31 = 0x33f,
	CSR_MSCRATCH = 0x340, CSR_MEPC = 0x341, CSR_MCAUSE = 0x342, CSR_MTVAL = 0x343,
	CSR_MIP = 0x344,
	CSR_PMPCFG0 = 0x3a0, CSR_PMPCFG15 = 0x3af, CSR_PMPADDR0 = 0x3b0, CSR_PMPADDR63 = 0x3ef,
	CSR_TSELECT = 0x7a0, CSR_TDATA1 = 0x7a1, CSR_TDATA2 = 0x7a2, CSR_TDATA3 = 0x7a3,
	CSR_TINFO = 0x7a4,
	CSR_MCYCLE = 0xb00, CSR_MINSTRET = 0xb02,
	CSR_MHPMCOUNTER3 = 0xb03, CSR_MHPMCOUNTER31 = 0xb1f,
};

/* Writable bits. */
#define MSTATUS_WMASK                                                                   \
	(MSTATUS_SIE | MSTATUS_MIE | MSTATUS_SPIE | MSTATUS_MPIE | MSTATUS_SPP |        \
	 MSTATUS_MPP | MSTATUS_FS | MSTATUS_MPRV | MSTATUS_SUM | MSTATUS_MXR |          \
	 MSTATUS_TVM | MSTATUS_TW | MSTATUS_TSR)
#define SSTATUS_RMASK                                                                   \
	(MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_UBE | MSTATUS_SPP | MSTATUS_FS |           \
	 MSTATUS_XS | MSTATUS_SUM | MSTATUS_MXR | MSTATUS_UXL | MSTATUS_SD)
#define SSTATUS_WMASK                                                                   \
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

int csr_read(struct hart *h, unsigned csr, uint64_t *val)
{
	if (h->priv < ((csr >> 8) & 3))
		return -1;
	switch (csr) {
	case CSR_FFLAGS:
	case CSR_FRM:
	case CSR_FCSR:
		if (!(h->mstatus & MSTATUS_FS))
			return -1;
		*val = csr == CSR_FFLAGS ? h->fflags : csr == CSR_FRM ? h->frm :
		       (h->frm << 5 | h->fflags);
		return 0;
	case CSR_CYCLE:
	case CSR_INSTRET:
		if (!csr_counter_ok(h, csr))
			return -1;
		*val = h->icount + (csr == CSR_CYCLE ? h->mcycle_offset : h->minstret_offset);
		return 0;
	case CSR_TIME:
		if (!csr_counter_ok(h, csr))
			return -1;
		*val = hart_time(h);
		return 0;
	case CSR_SSTATUS:
		*val = csr_mstatus_read(h) & SSTATUS_RMASK;
		return 0;
	case CSR_SIE:
		*val = h->mie & h->mideleg;
		return 0;
	case CSR_STVEC: *val = h->stvec; return 0;
	case CSR_SCOUNTEREN: *val = h->scounteren; return 0;
	case CSR_SENVCFG: *val = h->senvcfg; return 0;
	case CSR_SSCRATCH: *val = h->sscratch; return 0;
	case CSR_SEPC: *val = h->sepc; return 0;
	case CSR_SCAUSE: *val = h->scause; return 0;
	case CSR_STVAL: *val = h->stval; return 0;
	case CSR_SIP:
		*val = (h->mip | h->mip_ext) & h->mideleg;
		return 0;
	case CSR_SATP:
		if (h->priv == PRIV_S && (h->mstatus & MSTATUS_TVM))
			return -1;
		*val = h->satp;
		return 0;
	case CSR_MVENDORID:
	case CSR_MARCHID:
	case CSR_MIMPID:
	case CSR_MCONFIGPTR:
		*val = 0;
		return 0;
	case CSR_MHARTID: *val = h->id; return 0;
	case CSR_MSTATUS: *val = csr_mstatus_read(h); return 0;
	case CSR_MISA: *val = h->misa; return 0;
	case CSR_MEDELEG: *val = h->medeleg; return 0;
	case CSR_MIDELEG: *val = h->mideleg; return 0;
	case CSR_MIE: *val = h->mie; return 0;
	case CSR_MTVEC: *val = h->mtvec; return 0;
	case CSR_MCOUNTEREN: *val = h->mcounteren; return 0;
	case CSR_MENVCFG: *val = h->menvcfg; return 0;
	case CSR_MCOUNTINHIBIT: *val = 0; return 0;
	case CSR_MSCRATCH: *val = h->mscratch; return 0;
	case CSR_MEPC: *val = h->mepc; return 0;
	case CSR_MCAUSE: *val = h->mcause; return 0;
	case CSR_MTVAL: *val = h->mtval; return 0;
	case CSR_MIP: *val = h->mip | h->mip_ext; return 0;
	case CSR_MCYCLE: *val = h->icount + h->mcycle_offset; return 0;
	case CSR_MINSTRET: *val = h->icount + h->minstret_offset; return 0;
	case CSR_TSELECT:
	case CSR_TDATA1:
	case CSR_TDATA2:
	case CSR_TDATA3:
	case CSR_TINFO:
		/* No debug triggers: tselect reads 0 and tdata1.type is 0. */
		*val = 0;
		return 0;
	}
	if (csr >= CSR_HPMCOUNTER3 && csr <= CSR_HPMCOUNTER31) {
		if (!csr_counter_ok(h, csr))
			return -1;
		*val = 0;
		return 0;
	}
	if ((csr >= CSR_MHPMCOUNTER3 && csr <= CSR_MHPMCOUNTER31) ||
	    (csr >= CSR_MHPMEVENT3 && csr <= CSR_MHPMEVENT31)) {
		*val = 0;
		return 0;
	}
	if (csr >= CSR_PMPCFG0 && csr <= CSR_PMPCFG15) {
		if (csr & 1)
			return -1; /* odd pmpcfg registers exist only on RV32 */
		*val = h->pmpcfg[(csr - CSR_PMPCFG0) / 2];
		return 0;
	}
	if (csr >= CSR_PMPADDR0 && csr <= CSR_PMPADDR63) {
		*val = h->pmpaddr[csr - CSR_PMPADDR0];
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
	if (csr == CSR_MIP)
		return h->mip;
	return read;
}

int csr_write(struct hart *h, unsigned csr, uint64_t val)
{
	if (h->priv < ((csr >> 8) & 3) || ((csr >> 10) & 3) == 3)
		return -1;
	switch (csr) {
	case CSR_FFLAGS:
	case CSR_FRM:
	case CSR_FCSR:
		if (!(h->mstatus & MSTATUS_FS))
			return -1;
		if (csr == CSR_FFLAGS)
			h->fflags = val & 0x1f;
		else if (csr == CSR_FRM)
			h->frm = val & 7;
		else {
			h->fflags = val & 0x1f;
			h->frm = (val >> 5) & 7;
		}
		h->mstatus |= MSTATUS_FS;
		return 0;
	case CSR_SSTATUS:
		csr_mstatus_write(h, (h->mstatus & ~SSTATUS_WMASK) | (val & SSTATUS_WMASK));
		return 0;
	case CSR_SIE:
		h->mie = (h->mie & ~h->mideleg) | (val & h->mideleg);
		return 0;
	case CSR_STVEC: h->stvec = csr_tvec_legal(h->stvec, val); return 0;
	case CSR_SCOUNTEREN: h->scounteren = val & 0xffffffffull; return 0;
	case CSR_SENVCFG: h->senvcfg = val & ENVCFG_WMASK; return 0;
	case CSR_SSCRATCH: h->sscratch = val; return 0;
	case CSR_SEPC: h->sepc = val & ~1ull; return 0;
	case CSR_SCAUSE: h->scause = val; return 0;
	case CSR_STVAL: h->stval = val; return 0;
	case CSR_SIP:
		/* Only SSIP is writable through sip (spec 4.1.3). */
		if (h->mideleg & MIP_SSIP)
			h->mip = (h->mip & ~MIP_SSIP) | (val & MIP_SSIP);
		return 0;
	case CSR_SATP: {
		if (h->priv == PRIV_S && (h->mstatus & MSTATUS_TVM))
			return -1;
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
	case CSR_MSTATUS: csr_mstatus_write(h, val); return 0;
	case CSR_MISA: return 0; /* WARL, read-only here */
	case CSR_MEDELEG: h->medeleg = val & MEDELEG_WMASK; return 0;
	case CSR_MIDELEG: h->mideleg = val & S_INTS; return 0;
	case CSR_MIE: h->mie = val & (S_INTS | M_INTS); return 0;
	case CSR_MTVEC: h->mtvec = csr_tvec_legal(h->mtvec, val); return 0;
	case CSR_MCOUNTEREN: h->mcounteren = val & 0xffffffffull; return 0;
	case CSR_MENVCFG: h->menvcfg = val & ENVCFG_WMASK; return 0;
	case CSR_MCOUNTINHIBIT: return 0;
	case CSR_MSCRATCH: h->mscratch = val; return 0;
	case CSR_MEPC: h->mepc = val & ~1ull; return 0;
	case CSR_MCAUSE: h->mcause = val; return 0;
	case CSR_MTVAL: h->mtval = val; return 0;
	case CSR_MIP:
		h->mip = (h->mip & ~MIP_WMASK) | (val & MIP_WMASK);
		return 0;
	case CSR_MCYCLE:
		/* The instruction writing mcycle retires after the write, and
		 * the written value is what the next read sees minus nothing:
		 * the offset absorbs the current count. */
		h->mcycle_offset = val - h->icount - 1;
		return 0;
	case CSR_MINSTRET:
		h->minstret_offset = val - h->icount - 1;
		return 0;
	case CSR_TSELECT:
	case CSR_TDATA1:
	case CSR_TDATA2:
	case CSR_TDATA3:
	case CSR_TINFO:
		return 0;
	}
	if ((csr >= CSR_MHPMCOUNTER3 && csr <= CSR_MHPMCOUNTER31) ||
	    (csr >= CSR_MHPMEVENT3 && csr <= CSR_MHPMEVENT31))
		return 0;
	if (csr >= CSR_PMPCFG0 && csr <= CSR_PMPCFG15) {
		if (csr & 1)
			return -1;
		/* The reserved W=1,R=0 combination reads back as 0 in each
		 * byte (spec 3.7.1); bits 5-6 are reserved zero. */
		uint64_t v = 0;
		for (unsigned i = 0; i < 8; i++) {
			uint64_t b = (val >> (8 * i)) & 0x9f;
			if ((b & 3) == 2)
				b &= ~3ull;
			v |= b << (8 * i);
		}
		h->pmpcfg[(csr - CSR_PMPCFG0) / 2] = v;
		return 0;
	}
	if (csr >= CSR_PMPADDR0 && csr <= CSR_PMPADDR63) {
		h->pmpaddr[csr - CSR_PMPADDR0] =
			val & ((1ull << 54) - 1);
		return 0;
	}
	return -1;
}
