// SPDX-License-Identifier: MIT
/*
 * SBI v2.0 implementation for paravirtual boot: the hypervisor plays the
 * M-mode firmware of an S-mode guest kernel (ARCHITECTURE.md section 5).
 *
 * Extensions: BASE, TIME, IPI, RFENCE (no HFENCE: our harts have no H
 * extension), HSM, SRST, DBCN and the legacy extensions 0x00-0x08, as
 * specified in riscv-sbi-doc (chapters "Binary Encoding", "Base Extension",
 * ..., "Legacy Extensions"), and those a variant binary registers in the
 * firmware-specific space (sbi_register_extension, sbi.h; the retrovisor
 * binary registers none). The calling convention with the trap code
 * (who advances pc, how a call that stops or moves the calling hart says
 * so) is documented in sbi.h.
 *
 * Invariants: a v0.2+ call always writes a0 (error) and a1 (value) unless
 * the call does not return to its caller; a legacy call writes a0 only.
 * Machine state touched: the calling hart's and target harts' registers,
 * mip bits, stimecmp, TLBs and HSM state, console output, guest RAM (DBCN
 * read), and the machine's stop request.
 *
 * Untrusted input: every register the guest passes. Hart masks are
 * checked against the hart count (at most XLEN bits are looked at), guest
 * physical ranges against RAM with overflow-safe arithmetic, a virtual
 * hart-mask pointer (legacy calls) is read through the guest's own MMU
 * translation, and DBCN moves at most SBI_DBCN_MAX_XFER bytes per call.
 */
#include "hv/platform/sbi.h"

#include <retrovisor/pv.h>

#include "hv/cpu/hart.h"
#include "hv/hooks.h"
#include "hv/platform/machine.h"
#include "hv/cpu/mmu.h"

_Static_assert(HV_MAX_HARTS <= 64, "a hart set is one uint64_t bit-vector");
/* The paravirtual extension answers with SBI's own error values. */
_Static_assert(RV_PV_SUCCESS == SBI_SUCCESS && RV_PV_ERR_FAILED == SBI_ERR_FAILED &&
		       RV_PV_ERR_NOT_SUPPORTED == SBI_ERR_NOT_SUPPORTED &&
		       RV_PV_ERR_INVALID_PARAM == SBI_ERR_INVALID_PARAM &&
		       RV_PV_ERR_INVALID_ADDRESS == SBI_ERR_INVALID_ADDRESS,
	       "<retrovisor/pv.h> errors are SBI v2.0 errors");

/* Argument and result registers (psABI names). */
enum { REG_A0 = 10, REG_A1, REG_A2, REG_A3, REG_A4, REG_A5, REG_A6, REG_A7 };

/* DBCN copies through a stack buffer of this size. */
#define SBI_DBCN_CHUNK 256u

/* Result of a v0.2+ call. keep_regs: the call did not return to the
 * caller (or set a0/a1 itself), so a0/a1 must not be written. */
struct sbiret {
	int64_t error;
	uint64_t value;
	bool keep_regs;
};

static uint64_t sbi_arg(const struct hart *h, unsigned i)
{
	return h->x[REG_A0 + i];
}

/* Is [pa, pa + len) entirely guest RAM? Overflow-safe for any pa, len. */
static bool sbi_ram_contains(const struct machine *m, uint64_t pa, uint64_t len)
{
	uint64_t off;

	if (pa < m->ram.base)
		return false;
	off = pa - m->ram.base;
	return off <= m->ram.size && len <= m->ram.size - off;
}

/* A valid S-mode entry point: in RAM, where our harts can fetch, and
 * aligned to IALIGN = 16 (the C extension is always present). */
static bool sbi_entry_valid(const struct machine *m, uint64_t pc)
{
	return (pc & 1) == 0 && sbi_ram_contains(m, pc, 2);
}

static struct hart *sbi_hart_by_id(struct machine *m, uint64_t hartid)
{
	if (hartid >= m->nharts)
		return NULL;
	return m->hart[hartid];
}

/*
 * Resolve (hart_mask, hart_mask_base) into a set of hart indices (spec
 * "Hart list parameter"): bit i of hart_mask names hart base + i, and
 * base = -1 names every hart. A named hart that does not exist makes the
 * whole call fail with SBI_ERR_INVALID_PARAM before anything is done.
 */
static int64_t sbi_hartmask_resolve(struct machine *m, uint64_t mask, uint64_t base, uint64_t *set)
{
	unsigned i;

	*set = 0;
	if (base == UINT64_MAX) {
		for (i = 0; i < m->nharts && i < HV_MAX_HARTS; i++)
			if (m->hart[i])
				*set |= 1ull << i;
		return SBI_SUCCESS;
	}
	for (i = 0; i < 64; i++) {
		if (!((mask >> i) & 1))
			continue;
		if (base > UINT64_MAX - i || !sbi_hart_by_id(m, base + i))
			return SBI_ERR_INVALID_PARAM;
		*set |= 1ull << (base + i);
	}
	return SBI_SUCCESS;
}

static void sbi_send_ipis(struct machine *m, uint64_t set)
{
	unsigned i;

	for (i = 0; i < m->nharts && i < HV_MAX_HARTS; i++)
		if ((set >> i) & 1)
			hart_set_ip(m->hart[i], MIP_SSIP, true);
}

/* FENCE.I and SFENCE.VMA on other harts. Our harts keep no stale
 * translations or decoded code beyond their TLB and jump cache (stores
 * to code pages already drop the decoded blocks), so flushing both is
 * at least what either fence asks, for any address range or ASID. */
static void sbi_flush_harts(struct machine *m, uint64_t set)
{
	unsigned i;

	for (i = 0; i < m->nharts && i < HV_MAX_HARTS; i++)
		if ((set >> i) & 1)
			hart_flush_tlb(m->hart[i]);
}

/* Enter S-mode at pc with a0 = hartid, a1 = opaque, satp = 0 and
 * sstatus.SIE = 0 (spec tables "HSM Hart Start Register State" and
 * "HSM Hart Resume Register State"; all other registers are undefined
 * there and keep whatever they held). */
static void sbi_hart_enter_s(struct hart *t, uint64_t pc, uint64_t opaque)
{
	t->pc = pc;
	t->x[REG_A0] = t->id;
	t->x[REG_A1] = opaque;
	t->priv = PRIV_S;
	t->satp = 0;
	t->mstatus &= ~MSTATUS_SIE;
	t->resv_valid = false;
	t->wfi = false;
	t->hsm_start_addr = pc;
	t->hsm_opaque = opaque;
	hart_flush_tlb(t);
}

/* Extensions of a variant binary, set before main (sbi.h). */
static const struct sbi_extension *sbi_extra[SBI_EXTRA_MAX];
static unsigned sbi_nextra;

static const struct sbi_extension *sbi_extra_find(uint64_t eid)
{
	for (unsigned i = 0; i < sbi_nextra; i++)
		if (sbi_extra[i]->eid == eid)
			return sbi_extra[i];
	return NULL;
}

bool sbi_register_extension(const struct sbi_extension *ext)
{
	if (!ext->call || ext->eid < SBI_EXT_FIRMWARE_FIRST || ext->eid > SBI_EXT_FIRMWARE_LAST ||
	    sbi_extra_find(ext->eid) || sbi_nextra == SBI_EXTRA_MAX)
		return false;
	sbi_extra[sbi_nextra++] = ext;
	return true;
}

typedef void sbi_ext_fn(struct hart *h, uint64_t fid, struct sbiret *r);
static sbi_ext_fn *sbi_builtin_find(uint64_t eid);

static bool sbi_ext_available(uint64_t eid)
{
	switch (eid) {
	case SBI_EXT_LEGACY_SET_TIMER:
	case SBI_EXT_LEGACY_PUTCHAR:
	case SBI_EXT_LEGACY_GETCHAR:
	case SBI_EXT_LEGACY_CLEAR_IPI:
	case SBI_EXT_LEGACY_SEND_IPI:
	case SBI_EXT_LEGACY_FENCE_I:
	case SBI_EXT_LEGACY_SFENCE_VMA:
	case SBI_EXT_LEGACY_SFENCE_VMA_ASID:
	case SBI_EXT_LEGACY_SHUTDOWN:
		return true;
	default:
		return sbi_builtin_find(eid) || sbi_extra_find(eid) != NULL;
	}
}

/* The paravirtual extension (<retrovisor/pv.h>). GET_VERSION is answered
 * here; the rest are requests the host serves between rounds
 * (m->pv_host): the call returns, then the machine stops with
 * STOP_GUEST_REQUEST and the host (the retrovisor command) acts and may
 * adjust a0/a1 before going on. */
static void sbi_pv(struct hart *h, uint64_t fid, struct sbiret *r)
{
	struct machine *m = h->m;

	if (fid == RV_PV_GET_VERSION) {
		r->error = SBI_SUCCESS;
		r->value = RV_PV_VERSION;
		return;
	}
	if (fid > RV_PV_GET_INPUT || !m->pv_host) {
		r->error = SBI_ERR_NOT_SUPPORTED;
		return;
	}
	m->pv_req.op = (uint32_t)fid;
	m->pv_req.arg0 = sbi_arg(h, 0);
	m->pv_req.arg1 = sbi_arg(h, 1);
	m->pv_req.hart = h->id;
	r->error = SBI_SUCCESS;
	r->value = 0;
	machine_stop(m, STOP_GUEST_REQUEST, 0);
}

static void sbi_base(struct hart *h, uint64_t fid, struct sbiret *r)
{
	r->error = SBI_SUCCESS;
	switch (fid) {
	case SBI_BASE_GET_SPEC_VERSION:
		r->value = SBI_SPEC_VERSION;
		break;
	case SBI_BASE_GET_IMPL_ID:
		r->value = SBI_IMPL_ID_RETROVISOR;
		break;
	case SBI_BASE_GET_IMPL_VERSION:
		r->value = SBI_IMPL_VERSION;
		break;
	case SBI_BASE_PROBE_EXTENSION:
		r->value = sbi_ext_available(sbi_arg(h, 0));
		break;
	case SBI_BASE_GET_MVENDORID:
	case SBI_BASE_GET_MARCHID:
	case SBI_BASE_GET_MIMPID:
		r->value = 0;
		break;
	default:
		r->error = SBI_ERR_NOT_SUPPORTED;
		break;
	}
}

/* TIME set_timer and legacy 0x00: program stimecmp; hart_timer_update
 * raises STIP if the time has passed and clears it otherwise, which is
 * the "must clear the pending timer interrupt bit" rule of the spec. */
static void sbi_set_timer(struct hart *h, uint64_t stime_value)
{
	h->stimecmp = stime_value;
	hart_timer_update(h);
}

static void sbi_rfence(struct hart *h, uint64_t fid, struct sbiret *r)
{
	uint64_t set;

	switch (fid) {
	case SBI_RFENCE_FENCE_I:
	case SBI_RFENCE_SFENCE_VMA:
		break;
	case SBI_RFENCE_SFENCE_VMA_ASID:
		/* ASIDLEN is at most 16 for Sv39/Sv48 (privileged spec,
		 * "satp"); a wider ASID names nothing. */
		if (sbi_arg(h, 4) > 0xffff) {
			r->error = SBI_ERR_INVALID_PARAM;
			return;
		}
		break;
	default:
		/* HFENCE.* need the H extension, which our harts lack. */
		r->error = SBI_ERR_NOT_SUPPORTED;
		return;
	}
	r->error = sbi_hartmask_resolve(h->m, sbi_arg(h, 0), sbi_arg(h, 1), &set);
	if (r->error == SBI_SUCCESS)
		sbi_flush_harts(h->m, set);
}

static int64_t sbi_hsm_start(struct hart *h, uint64_t hartid, uint64_t addr, uint64_t opaque)
{
	struct hart *t = sbi_hart_by_id(h->m, hartid);

	if (!t)
		return SBI_ERR_INVALID_PARAM;
	if (!sbi_entry_valid(h->m, addr))
		return SBI_ERR_INVALID_ADDRESS;
	if (t->hsm != HSM_STOPPED)
		return SBI_ERR_ALREADY_AVAILABLE;
	sbi_hart_enter_s(t, addr, opaque);
	t->exit_req = false;
	t->hsm = HSM_STARTED;
	return SBI_SUCCESS;
}

static void sbi_hsm_suspend(struct hart *h, struct sbiret *r)
{
	uint32_t type = (uint32_t)sbi_arg(h, 0);
	uint64_t resume_addr = sbi_arg(h, 1);

	if (type == SBI_HSM_SUSPEND_RET_DEFAULT) {
		/* Registers are kept: the call returns SBI_SUCCESS when an
		 * interrupt resumes the hart, so the result is written now. */
		h->x[REG_A0] = SBI_SUCCESS;
		h->x[REG_A1] = 0;
	} else if (type == SBI_HSM_SUSPEND_NON_RET_DEFAULT) {
		if (!sbi_entry_valid(h->m, resume_addr)) {
			r->error = SBI_ERR_INVALID_ADDRESS;
			return;
		}
		/* Nothing of the old register state survives, so the resume
		 * state can be set up now. */
		sbi_hart_enter_s(h, resume_addr, sbi_arg(h, 2));
	} else {
		/* Reserved, or platform specific: we implement none. */
		r->error = SBI_ERR_INVALID_PARAM;
		return;
	}
	r->keep_regs = true;
	h->hsm = HSM_SUSPENDED;
	h->wfi = true;
	h->exit_req = true;
	/* Like WFI, an interrupt already pending ends the suspend at once. */
	hart_hsm_wake(h);
}

static void sbi_hsm(struct hart *h, uint64_t fid, struct sbiret *r)
{
	struct hart *t;

	switch (fid) {
	case SBI_HSM_HART_START:
		r->error = sbi_hsm_start(h, sbi_arg(h, 0), sbi_arg(h, 1), sbi_arg(h, 2));
		break;
	case SBI_HSM_HART_STOP:
		/* Does not return: the registers are rewritten by the next
		 * hart_start of this hart. */
		h->hsm = HSM_STOPPED;
		h->wfi = false;
		h->exit_req = true;
		r->keep_regs = true;
		break;
	case SBI_HSM_HART_GET_STATUS:
		t = sbi_hart_by_id(h->m, sbi_arg(h, 0));
		if (!t) {
			r->error = SBI_ERR_INVALID_PARAM;
			break;
		}
		r->error = SBI_SUCCESS;
		r->value = t->hsm;
		break;
	case SBI_HSM_HART_SUSPEND:
		sbi_hsm_suspend(h, r);
		break;
	default:
		r->error = SBI_ERR_NOT_SUPPORTED;
		break;
	}
}

static void sbi_srst(struct hart *h, uint64_t fid, struct sbiret *r)
{
	uint32_t type = (uint32_t)sbi_arg(h, 0);
	uint32_t reason = (uint32_t)sbi_arg(h, 1);
	int status;

	if (fid != SBI_SRST_SYSTEM_RESET) {
		r->error = SBI_ERR_NOT_SUPPORTED;
		return;
	}
	/* Reserved and vendor/implementation specific values: we define
	 * none of them (spec tables "SRST System Reset Types/Reasons"). */
	if (type > SBI_SRST_TYPE_WARM_REBOOT || reason > SBI_SRST_REASON_SYSTEM_FAILURE) {
		r->error = SBI_ERR_INVALID_PARAM;
		return;
	}
	/* The exit status tells a CI run whether the guest failed. */
	status = reason == SBI_SRST_REASON_SYSTEM_FAILURE ? 1 : 0;
	machine_stop(h->m, type == SBI_SRST_TYPE_SHUTDOWN ? STOP_SHUTDOWN : STOP_REBOOT, status);
	h->exit_req = true;
	r->keep_regs = true;
}

/* DBCN: the range [lo | hi << 64, + n) must be accessible RAM (spec
 * "Shared memory physical address range parameter"), else INVALID_PARAM
 * as the DBCN error tables say. We are RV64 with 64-bit physical
 * addresses, so any nonzero hi is outside RAM. */
static bool sbi_dbcn_range_ok(struct hart *h)
{
	return sbi_arg(h, 2) == 0 && sbi_ram_contains(h->m, sbi_arg(h, 1), sbi_arg(h, 0));
}

static void sbi_dbcn_write(struct hart *h, struct sbiret *r)
{
	uint8_t buf[SBI_DBCN_CHUNK];
	uint64_t n = sbi_arg(h, 0), pa = sbi_arg(h, 1), done = 0;
	size_t chunk;

	if (!sbi_dbcn_range_ok(h)) {
		r->error = SBI_ERR_INVALID_PARAM;
		return;
	}
	if (n > SBI_DBCN_MAX_XFER)
		n = SBI_DBCN_MAX_XFER;
	while (done < n) {
		chunk = n - done < sizeof(buf) ? n - done : sizeof(buf);
		if (!machine_read_phys(h->m, pa + done, buf, chunk))
			break;
		machine_console_write(h->m, buf, chunk);
		done += chunk;
	}
	r->error = done == n ? SBI_SUCCESS : SBI_ERR_FAILED;
	r->value = done;
}

static void sbi_dbcn_read(struct hart *h, struct sbiret *r)
{
	uint8_t buf[SBI_DBCN_CHUNK];
	uint64_t n = sbi_arg(h, 0), pa = sbi_arg(h, 1), done = 0;
	size_t got;
	int c = 0;

	if (!sbi_dbcn_range_ok(h)) {
		r->error = SBI_ERR_INVALID_PARAM;
		return;
	}
	if (n > SBI_DBCN_MAX_XFER)
		n = SBI_DBCN_MAX_XFER;
	r->error = SBI_SUCCESS;
	while (done < n && c >= 0) {
		for (got = 0; got < sizeof(buf) && done + got < n; got++) {
			c = machine_console_getc(h->m);
			if (c < 0)
				break;
			buf[got] = (uint8_t)c;
		}
		if (got && !machine_write_phys(h->m, pa + done, buf, got)) {
			r->error = SBI_ERR_FAILED;
			break;
		}
		done += got;
	}
	r->value = done;
}

static void sbi_dbcn(struct hart *h, uint64_t fid, struct sbiret *r)
{
	uint8_t byte;

	switch (fid) {
	case SBI_DBCN_CONSOLE_WRITE:
		sbi_dbcn_write(h, r);
		break;
	case SBI_DBCN_CONSOLE_READ:
		sbi_dbcn_read(h, r);
		break;
	case SBI_DBCN_CONSOLE_WRITE_BYTE:
		byte = (uint8_t)sbi_arg(h, 0);
		machine_console_write(h->m, &byte, 1);
		r->error = SBI_SUCCESS;
		r->value = 0;
		break;
	default:
		r->error = SBI_ERR_NOT_SUPPORTED;
		break;
	}
}

/* Legacy calls name their target harts by a pointer, in guest *virtual*
 * memory, to a bit-vector of ceil(nharts / XLEN) = 1 unsigned long
 * (HV_MAX_HARTS <= 64) with hart i at bit i. The spec redirects a fault
 * on that pointer to the supervisor; our ECALL path has no way to raise
 * a trap instead of returning, so a fault is reported through the
 * "implementation specific negative error code" these calls may return. */
static int64_t sbi_legacy_hartmask(struct hart *h, uint64_t *set)
{
	uint64_t mask;

	if (mmu_read_virt(h, sbi_arg(h, 0), &mask, sizeof(mask)) != 0)
		return SBI_ERR_INVALID_ADDRESS;
	return sbi_hartmask_resolve(h->m, mask, 0, set);
}

/* Legacy extensions (EIDs 0x00-0x0f): the result goes to a0 only and a1
 * is preserved (spec chapter "Legacy Extensions"). */
static int64_t sbi_legacy(struct hart *h, uint64_t eid)
{
	uint64_t set;
	int64_t err;
	uint8_t byte;
	bool pending;
	int c;

	switch (eid) {
	case SBI_EXT_LEGACY_SET_TIMER:
		sbi_set_timer(h, sbi_arg(h, 0));
		return 0;
	case SBI_EXT_LEGACY_PUTCHAR:
		byte = (uint8_t)sbi_arg(h, 0);
		machine_console_write(h->m, &byte, 1);
		return 0;
	case SBI_EXT_LEGACY_GETCHAR:
		c = machine_console_getc(h->m);
		return c < 0 ? -1 : c;
	case SBI_EXT_LEGACY_CLEAR_IPI:
		/* 0 if no IPI was pending, 1 if one was. */
		pending = (h->mip & MIP_SSIP) != 0;
		hart_set_ip(h, MIP_SSIP, false);
		return pending;
	case SBI_EXT_LEGACY_SEND_IPI:
	case SBI_EXT_LEGACY_FENCE_I:
	case SBI_EXT_LEGACY_SFENCE_VMA:
	case SBI_EXT_LEGACY_SFENCE_VMA_ASID:
		err = sbi_legacy_hartmask(h, &set);
		if (err != SBI_SUCCESS)
			return err;
		if (eid == SBI_EXT_LEGACY_SEND_IPI)
			sbi_send_ipis(h->m, set);
		else
			sbi_flush_harts(h->m, set);
		return SBI_SUCCESS;
	case SBI_EXT_LEGACY_SHUTDOWN:
		machine_stop(h->m, STOP_SHUTDOWN, 0);
		h->exit_req = true;
		return 0;
	default:
		return SBI_ERR_NOT_SUPPORTED;
	}
}

/* A registered extension's call; NOT_SUPPORTED (r as it is) without one. */
static void sbi_extra_call(struct hart *h, uint64_t eid, uint64_t fid, struct sbiret *r)
{
	const struct sbi_extension *ext = sbi_extra_find(eid);
	uint64_t args[6];

	if (!ext)
		return;
	for (unsigned i = 0; i < 6; i++)
		args[i] = sbi_arg(h, i);
	r->value = 0;
	r->error = ext->call(h, fid, args, &r->value);
}

static void sbi_time(struct hart *h, uint64_t fid, struct sbiret *r)
{
	if (fid == SBI_TIME_SET_TIMER) {
		sbi_set_timer(h, sbi_arg(h, 0));
		r->error = SBI_SUCCESS;
	}
}

static void sbi_ipi(struct hart *h, uint64_t fid, struct sbiret *r)
{
	uint64_t set;

	if (fid == SBI_IPI_SEND_IPI) {
		r->error = sbi_hartmask_resolve(h->m, sbi_arg(h, 0), sbi_arg(h, 1), &set);
		if (r->error == SBI_SUCCESS)
			sbi_send_ipis(h->m, set);
	}
}

/* The extensions served here, for sbi_ecall and probe_extension. */
static const struct {
	uint64_t eid;
	sbi_ext_fn *call;
} sbi_builtin[] = {
	{ SBI_EXT_BASE, sbi_base },     { SBI_EXT_TIME, sbi_time }, { SBI_EXT_IPI, sbi_ipi },
	{ SBI_EXT_RFENCE, sbi_rfence }, { SBI_EXT_HSM, sbi_hsm },   { SBI_EXT_SRST, sbi_srst },
	{ SBI_EXT_DBCN, sbi_dbcn },     { RV_PV_EXT, sbi_pv },
};

static sbi_ext_fn *sbi_builtin_find(uint64_t eid)
{
	for (size_t i = 0; i < HV_ARRAY_LEN(sbi_builtin); i++) {
		if (sbi_builtin[i].eid == eid)
			return sbi_builtin[i].call;
	}
	return NULL;
}

void sbi_ecall(struct hart *h)
{
	uint64_t eid = h->x[REG_A7], fid = h->x[REG_A6];
	struct sbiret r = { SBI_ERR_NOT_SUPPORTED, 0, false };
	sbi_ext_fn *call;

	if (HV_UNLIKELY(h->m->hooks) && h->m->hooks->sbi)
		h->m->hooks->sbi(h->m->hooks->opaque, h);

	if (eid <= SBI_EXT_LEGACY_LAST) {
		h->x[REG_A0] = (uint64_t)sbi_legacy(h, eid);
		return;
	}
	call = sbi_builtin_find(eid);
	if (call)
		call(h, fid, &r);
	else
		sbi_extra_call(h, eid, fid, &r);
	if (!r.keep_regs) {
		h->x[REG_A0] = (uint64_t)r.error;
		h->x[REG_A1] = r.value;
	}
}
