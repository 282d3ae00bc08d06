/* SPDX-License-Identifier: MIT */
/*
 * Instrumentation hooks of the machine (ARCHITECTURE.md section 3: "costs
 * nothing when unused"): the plugin host (plugins/host.c) fills a struct
 * hv_hooks and points m->hooks at it; with m->hooks NULL every hook site is
 * one predictable branch. Hooks observe; changes to the guest go through
 * the input funnel (hv/cpu/debug.h, HV_IN_DEBUG) so that they are recorded.
 *
 * Code: when a block is decoded, hooks->block may subscribe any of its
 * instructions (slot != 0); block_instrument then places a pseudo
 * instruction before each subscribed one, which calls hooks->insn with the
 * slot every time the instruction is about to run (it retires nothing and
 * counts nothing). Unsubscribed code runs exactly as without hooks.
 */
#ifndef HV_HOOKS_H
#define HV_HOOKS_H

#include "hv/types.h"

struct machine;
struct hart;
struct insn;

/* What a block device does with a request (the plugin ABI's enum
 * rv_blk_fault has the same numbers). */
enum hv_blk_fault {
	HV_BLK_OK = 0,        /* served as asked */
	HV_BLK_FAIL = 1,      /* an I/O error */
	HV_BLK_LOST = 2,      /* a write succeeds and writes nothing */
	HV_BLK_TORN = 3,      /* a write succeeds, only its first arg sectors written */
	HV_BLK_MISDIRECT = 4, /* a write succeeds, written at sector arg instead */
	HV_BLK_ROT = 5,       /* a read succeeds with bit arg of its data flipped */
};

struct hv_hooks {
	void *opaque;
	/* A block of n instructions was decoded at physical pa, reached at
	 * virtual vpc; set slots[i] non-zero to subscribe instruction i. */
	void (*block)(void *opaque, struct machine *m, uint64_t vpc, gpa_t pa,
		      const struct insn *insns, unsigned n, uint32_t *slots);
	/* A subscribed instruction is about to run (h->pc is its pc). */
	void (*insn)(void *opaque, struct hart *h, uint32_t slot);
	/* Whether accesses to this page (virtual and physical page address)
	 * must leave the fast path, and the access itself, after it. */
	bool (*mem_page)(void *opaque, uint64_t va_page, gpa_t pa_page);
	void (*mem)(void *opaque, struct hart *h, uint64_t va, gpa_t pa, unsigned size, bool write,
		    uint64_t value);
	/* A trap was taken (after entry: h->priv and pc are the handler's). */
	void (*trap)(void *opaque, struct hart *h, uint64_t cause, uint64_t tval, uint64_t epc,
		     unsigned from_priv);
	/* Privilege changed by xRET (traps report through trap). */
	void (*priv)(void *opaque, struct hart *h, unsigned from, unsigned to);
	void (*satp)(void *opaque, struct hart *h);
	/* An SBI call, before it is served. */
	void (*sbi)(void *opaque, struct hart *h);
	void (*mmio)(void *opaque, struct machine *m, gpa_t pa, unsigned size, bool write,
		     uint64_t value, const char *device);
	void (*timer)(void *opaque, struct hart *h);
	/* A block request: HV_BLK_OK to serve it, or a fault (enum
	 * hv_blk_fault) with its parameter in *arg. */
	uint32_t (*blk_request)(void *opaque, struct machine *m, unsigned device, uint64_t nth,
				bool write, uint64_t sector, uint32_t count, uint64_t *arg);
	/* A replay found a divergence (replay/session.c). */
	void (*divergence)(void *opaque, uint64_t icount);
	/* Whether no hook above could be called from the guest's execution
	 * now (no subscription of those kinds): then a trap loop may be
	 * skipped (hv/cpu/spin.h). NULL: never. */
	bool (*quiet)(void *opaque);
	/* Changes a hook asked for wait for the next step boundary: called
	 * there (exec_run) while pending is set. */
	bool pending;
	void (*apply)(void *opaque, struct hart *h);
};

/* Expand a decoded block (out, n instructions and the sentinel) with the
 * pseudo instructions of its subscribed instructions, in place; out must
 * have room for 2 * n + 1 entries. Returns the number of entries before
 * the sentinel (n if nothing is subscribed). */
unsigned block_instrument(struct machine *m, uint64_t vpc, gpa_t pa, struct insn *out, unsigned n,
			  const void *plugin_handler);

#endif
