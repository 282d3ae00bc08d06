// SPDX-License-Identifier: MIT
/*
 * Core-Local Interruptor, register map of the SiFive CLINT that QEMU's
 * virt machine and OpenSBI use (SiFive FU540-C000 manual, chapter
 * "Core-Local Interruptor"):
 *
 *   0x0000 + 4*h  msip of hart h (bit 0; other bits read 0)
 *   0x4000 + 8*h  mtimecmp of hart h (64 bits)
 *   0xbff8        mtime (64 bits)
 *
 * The 64-bit registers accept aligned 8-byte accesses and 4-byte accesses
 * to either half, as on the SiFive part, so RV32 and RV64 software both
 * work. The CLINT holds no state of its own: msip is the MSIP bit of the
 * hart's mip (which only the CLINT may change, privileged spec section
 * "Machine Interrupt Registers"), mtimecmp lives in struct hart so the
 * scheduler can compute timer deadlines, and mtime is derived from the
 * retired-instruction count of the accessing hart (hart_time(), the
 * determinism contract of ARCHITECTURE.md section 1). Because time is a
 * function of instructions executed, writes to mtime are ignored.
 *
 * Offsets, sizes and values come from the guest: a hart number that does
 * not exist, an unaligned or odd-sized access, or an offset in a hole
 * reads as zero and is ignored on write.
 */
#include "hv/dev/clint.h"

#include "hv/cpu/hart.h"
#include "hv/mem/mem.h"

#include <stdlib.h>

#define CLINT_MSIP 0x0000u
#define CLINT_MTIMECMP 0x4000u
#define CLINT_MTIME 0xbff8u

struct clint {
	struct hv_dev dev;
	struct machine *m;
};

static struct hart *clint_hart(struct clint *c, uint64_t id)
{
	if (id >= c->m->nharts || id >= HV_MAX_HARTS)
		return NULL;
	return c->m->hart[id];
}

/* mtime as the accessing hart sees it. Accesses made outside any hart
 * (a debugger) use hart 0's clock. */
static uint64_t clint_mtime(struct clint *c)
{
	struct hart *h = c->m->cur ? c->m->cur : clint_hart(c, 0);

	return h ? hart_time(h) : c->m->time_seen;
}

/* Whether an access of size bytes at byte within of a 64-bit register is
 * one the CLINT implements: the whole register or one aligned half. */
static bool clint_reg64_access(uint64_t within, unsigned size)
{
	return (size == 8 && within == 0) || (size == 4 && (within == 0 || within == 4));
}

static uint64_t clint_reg64_read(uint64_t reg, uint64_t within, unsigned size)
{
	if (size == 8)
		return reg;
	return (uint32_t)(reg >> (8 * within));
}

static uint64_t clint_reg64_merge(uint64_t reg, uint64_t within, unsigned size, uint64_t val)
{
	uint64_t shift = 8 * within;

	if (size == 8)
		return val;
	return (reg & ~(0xffffffffull << shift)) | ((val & 0xffffffffull) << shift);
}

static uint64_t clint_read(void *opaque, uint64_t off, unsigned size)
{
	struct clint *c = opaque;
	struct hart *h;

	if (off < CLINT_MTIMECMP) {
		if (size != 4 || (off & 3))
			return 0;
		h = clint_hart(c, (off - CLINT_MSIP) / 4);
		return h && (h->mip & MIP_MSIP) ? 1 : 0;
	}
	if (off < CLINT_MTIME) {
		h = clint_hart(c, (off - CLINT_MTIMECMP) / 8);
		if (!h || !clint_reg64_access(off & 7, size))
			return 0;
		return clint_reg64_read(h->mtimecmp, off & 7, size);
	}
	if (off < CLINT_MTIME + 8 && clint_reg64_access(off & 7, size))
		return clint_reg64_read(clint_mtime(c), off & 7, size);
	return 0;
}

static void clint_write(void *opaque, uint64_t off, unsigned size, uint64_t val)
{
	struct clint *c = opaque;
	struct hart *h;

	if (off < CLINT_MTIMECMP) {
		if (size != 4 || (off & 3))
			return;
		h = clint_hart(c, (off - CLINT_MSIP) / 4);
		if (h)
			hart_set_ip(h, MIP_MSIP, val & 1);
		return;
	}
	if (off < CLINT_MTIME) {
		h = clint_hart(c, (off - CLINT_MTIMECMP) / 8);
		if (!h || !clint_reg64_access(off & 7, size))
			return;
		h->mtimecmp = clint_reg64_merge(h->mtimecmp, off & 7, size, val);
		hart_timer_update(h);
	}
	/* mtime is derived from instruction counts: writes are ignored. */
}

/* clint_create, clint_destroy and clint_dev (clint.h). */
HV_DEV_DEFINE_STATELESS(clint, "clint", HV_CLINT_BASE, HV_CLINT_SIZE, "the CLINT")
