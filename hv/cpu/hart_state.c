// SPDX-License-Identifier: MIT
/*
 * The hart record: a hart's architectural and scheduling state as one
 * versioned record (format in hart.h), written by hart_save and read back
 * by hart_restore, on the devstate writer and reader the devices use
 * (hv/devstate.h). Snapshot files store it as their HART section.
 *
 * Which CSRs are in it, the struct hart field of each and how a restored
 * value is checked come from the CSR table (hv/cpu/csr.def, CSR_STATE rows).
 *
 * The record is untrusted input: hart_restore builds the new state in a
 * copy of the hart, checks every value (enumerations in range, the CSR
 * numbers in table order, each CSR value one its register can hold under
 * its WARL rules) and only then copies it over the hart, so a malformed
 * record leaves the hart as it was and says where it failed.
 */
#include "hv/cpu/csr.h"
#include "hv/devstate.h"
#include "hv/cpu/hart.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

enum hart_legal { HART_LEGAL_ANY, HART_LEGAL_MASK, HART_LEGAL_WARL };

/* The CSR_STATE rows, in table order. */
enum {
#define CSR(num, name, access, gdb)
#define CSR_STATE(num, name, access, gdb, field, legal) HART_CSR_##name,
#include "hv/cpu/csr.def"
	HART_NCSR
};

void hart_save(const struct hart *h, struct devstate_w *w)
{
	devstate_put_u32(w, HART_RECORD_VERSION);
	devstate_put_u64(w, h->pc);
	devstate_put_u64(w, h->icount);
	devstate_put_u8(w, (uint8_t)h->priv);
	for (unsigned i = 0; i < 32; i++)
		devstate_put_u64(w, h->x[i]);
	for (unsigned i = 0; i < 32; i++)
		devstate_put_u64(w, h->f[i]);
	devstate_put_u32(w, HART_NCSR);
#define CSR(num, name, access, gdb)
#define CSR_STATE(num, name, access, gdb, field, legal) \
	devstate_put_u16(w, num);                       \
	devstate_put_u64(w, (uint64_t)h->field);
#include "hv/cpu/csr.def"
	devstate_put_u64(w, h->mip_ext);
	devstate_put_u8(w, h->resv_valid);
	devstate_put_u64(w, h->resv_valid ? h->resv_addr : 0);
	devstate_put_u64(w, h->exc_cause);
	devstate_put_u64(w, h->exc_tval);
	devstate_put_u64(w, h->mtimecmp);
	devstate_put_u64(w, h->stimecmp);
	devstate_put_u64(w, h->itime_offset);
	devstate_put_u64(w, h->timer_deadline);
	devstate_put_u8(w, h->wfi);
	devstate_put_u8(w, h->trap_loop);
	devstate_put_u64(w, h->trap_loop_round);
	devstate_put_u32(w, (uint32_t)h->hsm);
	devstate_put_u64(w, h->hsm_start_addr);
	devstate_put_u64(w, h->hsm_opaque);
	devstate_put_u64(w, h->traps);
}

/* A WARL value from a record must be one the CSR can hold: written
 * through csr_write as M-mode over the hart's current value (h's field;
 * a rule that keeps the old value on an illegal write then shows), into
 * t, a scratch copy of the candidate state c, the field at offset off
 * must become it. */
static bool hart_warl_holds(const struct hart *h, const struct hart *c, struct hart *t,
			    unsigned num, size_t off, uint64_t v)
{
	uint64_t got;

	memcpy(t, c, sizeof(*t));
	memcpy((uint8_t *)t + off, (const uint8_t *)h + off, sizeof(got));
	t->priv = PRIV_M;
	if (csr_write(t, num, v))
		return false;
	memcpy(&got, (const uint8_t *)t + off, sizeof(got));
	return got == v;
}

/* The CSR part of the record into c, a copy of h (t is scratch space). */
static int hart_restore_csrs(const struct hart *h, struct hart *c, struct hart *t,
			     struct devstate_r *r)
{
	uint32_t n = devstate_get_u32(r);

	if (r->error)
		return -1;
	if (n != HART_NCSR)
		return devstate_r_fail(r, "the hart record holds %u CSRs; the CSR table saves %u",
				       n, (unsigned)HART_NCSR);
	uint16_t nums[HART_NCSR];
	uint64_t vals[HART_NCSR];
	for (unsigned i = 0; i < HART_NCSR; i++) {
		nums[i] = devstate_get_u16(r);
		vals[i] = devstate_get_u64(r);
	}
	if (r->error)
		return -1;
		/* Every field first, then the checks: a WARL rule may look at
	 * another CSR (the FP CSRs at mstatus.FS). */
#define CSR(num, name, access, gdb)
#define CSR_STATE(num_, name, access, gdb, field, legal)                                     \
	if (nums[HART_CSR_##name] != (num_))                                                 \
		return devstate_r_fail(r,                                                    \
				       "the hart record has CSR %#x where the CSR "          \
				       "table has %s (%#x)",                                 \
				       nums[HART_CSR_##name], #name, (unsigned)(num_));      \
	c->field = vals[HART_CSR_##name];                                                    \
	if ((uint64_t)c->field != vals[HART_CSR_##name])                                     \
		return devstate_r_fail(r, "CSR %s holds %#llx, which it cannot hold", #name, \
				       (unsigned long long)vals[HART_CSR_##name]);
#include "hv/cpu/csr.def"

#define LEGAL_ANY true
#define LEGAL_MASK(m) ((v & ~(uint64_t)(m)) == 0)
#define LEGAL_WARL hart_warl_holds(h, c, t, num, off, v)
#define CSR(num_, name, access, gdb)
#define CSR_STATE(num_, name, access, gdb, field, legal)                              \
	{                                                                             \
		uint64_t v = vals[HART_CSR_##name];                                   \
		unsigned num = (num_);                                                \
		size_t off = offsetof(struct hart, field);                            \
		(void)num;                                                            \
		(void)off;                                                            \
		if (!(legal))                                                         \
			return devstate_r_fail(r,                                     \
					       "CSR %s holds %#llx, which it cannot " \
					       "hold",                                \
					       #name, (unsigned long long)v);         \
	}
#include "hv/cpu/csr.def"
#undef LEGAL_ANY
#undef LEGAL_MASK
#undef LEGAL_WARL
	return 0;
}

/* Everything after the CSRs, into c. */
static int hart_restore_rest(struct hart *c, struct devstate_r *r)
{
	c->mip_ext = devstate_get_u64(r);
	c->resv_valid = devstate_get_bool(r);
	c->resv_addr = devstate_get_u64(r);
	c->exc_cause = devstate_get_u64(r);
	c->exc_tval = devstate_get_u64(r);
	c->mtimecmp = devstate_get_u64(r);
	c->stimecmp = devstate_get_u64(r);
	c->itime_offset = devstate_get_u64(r);
	c->timer_deadline = devstate_get_u64(r);
	c->wfi = devstate_get_bool(r);
	c->trap_loop = devstate_get_bool(r);
	c->trap_loop_round = devstate_get_u64(r);
	uint32_t hsm = devstate_get_u32(r);
	c->hsm_start_addr = devstate_get_u64(r);
	c->hsm_opaque = devstate_get_u64(r);
	c->traps = devstate_get_u64(r);
	if (r->error)
		return -1;
	if (hsm > HSM_SUSPENDED)
		return devstate_r_fail(r, "HSM state %u is not one", hsm);
	c->hsm = (enum hv_hsm)hsm;
	if (c->mip_ext & ~MIP_SEIP)
		return devstate_r_fail(r, "the interrupt controller's mip bits %#llx are not SEIP",
				       (unsigned long long)c->mip_ext);
	if (!c->resv_valid)
		c->resv_addr = 0;
	return 0;
}

int hart_restore(struct hart *h, struct devstate_r *r)
{
	uint32_t version = devstate_get_u32(r);

	if (r->error)
		return -1;
	if (version != HART_RECORD_VERSION)
		return devstate_r_fail(r,
				       "hart record version %u; this retrovisor reads version %u",
				       version, HART_RECORD_VERSION);
	struct hart *c = malloc(sizeof(*c)), *t = malloc(sizeof(*t));
	int rc = -1;
	if (!c || !t) {
		devstate_r_fail(r, "out of host memory restoring a hart");
		goto out;
	}
	memcpy(c, h, sizeof(*c));
	c->pc = devstate_get_u64(r);
	c->icount = devstate_get_u64(r);
	uint8_t priv = devstate_get_u8(r);
	for (unsigned i = 0; i < 32; i++)
		c->x[i] = devstate_get_u64(r);
	for (unsigned i = 0; i < 32; i++)
		c->f[i] = devstate_get_u64(r);
	if (r->error)
		goto out;
	if (priv != PRIV_U && priv != PRIV_S && priv != PRIV_M) {
		devstate_r_fail(r, "privilege level %u is not one", priv);
		goto out;
	}
	c->priv = priv;
	if (c->pc & 1) {
		devstate_r_fail(r, "pc %#llx is odd", (unsigned long long)c->pc);
		goto out;
	}
	if (c->x[0]) {
		devstate_r_fail(r, "x0 holds %#llx", (unsigned long long)c->x[0]);
		goto out;
	}
	if (hart_restore_csrs(h, c, t, r) || hart_restore_rest(c, r) || devstate_r_finish(r))
		goto out;
	/* satp (LEGAL_ANY in the table): every field value but the mode is
	 * legal, and an unsupported mode is a write without effect, which a
	 * WARL check cannot tell from a legal value. */
	uint64_t mode = c->satp >> 60;
	if (mode != 0 && mode != 8 && mode != 9) {
		devstate_r_fail(r, "satp mode %llu is not Bare, Sv39 or Sv48",
				(unsigned long long)mode);
		goto out;
	}
	c->exit_req = true;
	memcpy(h, c, sizeof(*h));
	hart_flush_tlb(h);
	rc = 0;
out:
	free(c);
	free(t);
	return rc;
}
