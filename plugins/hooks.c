// SPDX-License-Identifier: MIT
/*
 * Subscriptions and dispatch: the rv_on_* and rv_insn_on_exec functions
 * of plugin.h record a plugin's callbacks in its handle, and the
 * machine's hooks (hv/hooks.h, opaque = the plugin host) call them. Code
 * callbacks go through slots: each distinct list of instruction callbacks
 * is interned once per host and the decoder puts its number in a pseudo
 * instruction, so unsubscribed code runs exactly as without plugins. The
 * code queries (rv_block_*, rv_insn_*) read the block being decoded.
 *
 * Unsubscribing (rv_unsubscribe) frees an entry in place, so that it is
 * safe inside any dispatch; removing a block subscription drops the
 * decoded code (block_flush_all), whose pseudo instructions would call
 * its instruction entries, and removing a memory subscription flushes the
 * harts' TLBs, so that both cost nothing again.
 *
 * Callbacks at a step boundary (instructions, traps) raise
 * ph->boundary, so that a change they make applies at once (change.c);
 * the block request's verdict collects rv_blk_fault in ph->blk.
 */
#include <stdlib.h>
#include <string.h>

#include "hv/dev/backend/disk.h"
#include "hv/cpu/mmu.h"
#include "plugins/host_impl.h"

/* ---- Hooks: code ---- */

static uint64_t slot_key(const struct slot *s)
{
	uint64_t h = 0xcbf29ce484222325ull ^ s->n;
	const uint8_t *p = (const uint8_t *)s->e;

	for (size_t i = 0; i < s->n * sizeof(s->e[0]); i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}

static bool slot_same(const struct slot *a, const struct slot *b)
{
	return a->n == b->n && !memcmp(a->e, b->e, a->n * sizeof(a->e[0]));
}

/* Grow the hash to twice the slots (load at most one half). */
static bool slot_hash_grow(struct plugin_host *ph)
{
	uint32_t ncap = ph->hash_cap ? 2 * ph->hash_cap : 1024;
	uint32_t *n = calloc(ncap, sizeof(*n));

	if (!n)
		return false;
	for (uint32_t i = 0; i < ph->nslots; i++) {
		uint32_t j = (uint32_t)slot_key(&ph->slots[i]) & (ncap - 1);
		while (n[j])
			j = (j + 1) & (ncap - 1);
		n[j] = i + 1;
	}
	free(ph->slot_hash);
	ph->slot_hash = n;
	ph->hash_cap = ncap;
	return true;
}

/* The slot holding exactly these callbacks (made on first use): the
 * executor calls a slot's callbacks; many instructions share one. */
static uint32_t slot_intern(struct plugin_host *ph, const struct slot *s)
{
	if (2 * (ph->nslots + 1) > ph->hash_cap && !slot_hash_grow(ph))
		return 0;
	uint32_t j = (uint32_t)slot_key(s) & (ph->hash_cap - 1);
	while (ph->slot_hash[j]) {
		if (slot_same(&ph->slots[ph->slot_hash[j] - 1], s))
			return ph->slot_hash[j];
		j = (j + 1) & (ph->hash_cap - 1);
	}
	if (ph->nslots == ph->capslots) {
		uint32_t ncap = ph->capslots ? 2 * ph->capslots : 64;
		struct slot *n = realloc(ph->slots, ncap * sizeof(*n));
		if (!n)
			return 0;
		ph->slots = n;
		ph->capslots = ncap;
	}
	ph->slots[ph->nslots] = *s;
	ph->slot_hash[j] = ph->nslots + 1;
	return ++ph->nslots;
}

/* An instruction entry is live while its block subscription is. */
static bool slot_entry_live(const struct cb_entry *e)
{
	return e->parent->cb && e->parent->id == e->id;
}

static void hook_block(void *opaque, struct machine *m, uint64_t vpc, gpa_t pa,
		       const struct insn *insns, unsigned n, uint32_t *slots)
{
	struct plugin_host *ph = opaque;
	struct rv_block *b = &ph->decoding;

	(void)m;
	b->vaddr = vpc;
	b->paddr = pa;
	b->n = n;
	for (unsigned i = 0; i < n; i++) {
		b->insn[i].in = &insns[i];
		b->insn[i].vaddr = vpc + insns[i].pcoff;
		b->insn[i].paddr = pa + insns[i].pcoff;
		b->insn[i].index = i;
		b->insn[i].b = b;
		b->subs[i].n = 0;
	}
	for (unsigned k = 0; k < ph->np; k++)
		for (unsigned j = 0; j < ph->p[k]->nblock; j++) {
			const struct cb_entry *e = &ph->p[k]->block[j];
			if (!e->cb)
				continue;
			ph->decoding_sub = e;
			HOST_CALL(ph->p[k], "rv_on_block", ((rv_block_cb)e->cb)(e->ud, b));
		}
	ph->decoding_sub = NULL;
	for (unsigned i = 0; i < n; i++) {
		struct slot *s = &b->subs[i];
		unsigned live = 0;
		/* A block subscription removed during this decoding takes
		 * its instruction entries with it. */
		for (unsigned j = 0; j < s->n; j++)
			if (slot_entry_live(&s->e[j]))
				s->e[live++] = s->e[j];
		s->n = live;
		slots[i] = live ? slot_intern(ph, s) : 0;
		ph->instrumented = ph->instrumented || slots[i];
	}
}

static void hook_insn(void *opaque, struct hart *h, uint32_t slot)
{
	struct plugin_host *ph = opaque;

	if (slot == 0 || slot > ph->nslots)
		return;
	const struct slot *s = &ph->slots[slot - 1];
	ph->boundary++;
	for (unsigned i = 0; i < s->n; i++)
		if (slot_entry_live(&s->e[i]))
			HOST_CALL(s->e[i].owner, "rv_insn_on_exec",
				  ((rv_insn_exec_cb)s->e[i].cb)(s->e[i].ud, h->id, h->pc));
	ph->boundary--;
}

/* ---- Hooks: events ---- */

static bool mem_match(const struct mem_sub *s, uint64_t va, gpa_t pa, unsigned size, bool write)
{
	uint64_t a = (s->flags & RV_MEM_PHYSICAL) ? pa : va;

	if (!s->cb || a >= s->hi || a + size <= s->lo)
		return false;
	return (write && (s->flags & RV_MEM_WRITE)) || (!write && (s->flags & RV_MEM_READ));
}

static bool hook_mem_page(void *opaque, uint64_t va_page, gpa_t pa_page)
{
	struct plugin_host *ph = opaque;

	for (unsigned k = 0; k < ph->np; k++)
		for (unsigned j = 0; j < ph->p[k]->nmem; j++) {
			const struct mem_sub *s = &ph->p[k]->mem[j];
			uint64_t a = (s->flags & RV_MEM_PHYSICAL) ? pa_page : va_page;
			if (s->cb && a < s->hi && a + HV_PAGE_SIZE > s->lo)
				return true;
		}
	return false;
}

static void hook_mem(void *opaque, struct hart *h, uint64_t va, gpa_t pa, unsigned size, bool write,
		     uint64_t value)
{
	struct plugin_host *ph = opaque;

	for (unsigned k = 0; k < ph->np; k++)
		for (unsigned j = 0; j < ph->p[k]->nmem; j++) {
			const struct mem_sub *s = &ph->p[k]->mem[j];
			if (mem_match(s, va, pa, size, write))
				HOST_CALL(ph->p[k], "rv_on_mem",
					  ((rv_mem_cb)s->cb)(s->ud, h->id, va, pa, size, write,
							     value));
		}
}

static void hook_trap(void *opaque, struct hart *h, uint64_t cause, uint64_t tval, uint64_t epc,
		      unsigned from)
{
	struct plugin_host *ph = opaque;

	(void)from;
	ph->boundary++;
	FOR_SUBS(ph, trap, ntrap, rv_trap_cb, h->id, cause, tval, epc, h->priv);
	ph->boundary--;
}

static void hook_priv(void *opaque, struct hart *h, unsigned from, unsigned to)
{
	struct plugin_host *ph = opaque;

	FOR_SUBS(ph, priv, npriv, rv_priv_cb, h->id, from, to);
}

static void hook_satp(void *opaque, struct hart *h)
{
	struct plugin_host *ph = opaque;

	FOR_SUBS(ph, satp, nsatp, rv_satp_cb, h->id, h->satp);
}

static void hook_sbi(void *opaque, struct hart *h)
{
	struct plugin_host *ph = opaque;
	uint64_t args[6];

	for (unsigned i = 0; i < 6; i++)
		args[i] = h->x[10 + i];
	FOR_SUBS(ph, sbi, nsbi, rv_sbi_cb, h->id, h->x[17], h->x[16], args);
}

static void hook_mmio(void *opaque, struct machine *m, gpa_t pa, unsigned size, bool write,
		      uint64_t value, const char *device)
{
	struct plugin_host *ph = opaque;
	uint32_t hart = m->cur ? m->cur->id : 0;

	FOR_SUBS(ph, mmio, nmmio, rv_mmio_cb, hart, pa, size, write, value, device);
}

static void hook_timer(void *opaque, struct hart *h)
{
	struct plugin_host *ph = opaque;

	FOR_SUBS(ph, timer, ntimer, rv_timer_cb, h->id);
}

static uint32_t hook_blk(void *opaque, struct machine *m, unsigned device, uint64_t nth, bool write,
			 uint64_t sector, uint32_t count, uint64_t *arg)
{
	struct plugin_host *ph = opaque;
	bool fail = false;

	ph->blk.open = true;
	ph->blk.write = write;
	ph->blk.count = count;
	ph->blk.capacity = m->disk[device] ? disk_size(m->disk[device]) / DISK_SECTOR_SIZE : 0;
	ph->blk.mode = HV_BLK_OK;
	for (unsigned k = 0; k < ph->np; k++)
		for (unsigned j = 0; j < ph->p[k]->nblk; j++) {
			const struct cb_entry *e = &ph->p[k]->blk[j];
			bool f = false;

			if (e->cb)
				HOST_CALL(ph->p[k], "rv_on_blk_request",
					  f = ((rv_blk_request_cb)e->cb)(e->ud, device, nth, write,
									 sector, count));
			fail = fail || f;
		}
	ph->blk.open = false;
	if (ph->replaying)
		return HV_BLK_OK;
	if (fail || ph->blk.mode == HV_BLK_FAIL) {
		/* Record the verdict: the request being served now fails. */
		host_record(ph, 3, device, nth, NULL, 0, false);
		return HV_BLK_FAIL;
	}
	if (ph->blk.mode != HV_BLK_OK) {
		uint64_t rec[2] = { ph->blk.mode, ph->blk.arg };
		host_record(ph, 3, device, nth, rec, sizeof(rec), false);
		*arg = ph->blk.arg;
	}
	return ph->blk.mode;
}

static void hook_divergence(void *opaque, uint64_t icount)
{
	plugin_host_divergence(opaque, icount);
}

/* Whether no subscription could be called back from the guest's
 * execution (hv_hooks.quiet): exits, block requests, snapshots and
 * divergences are not called from inside a trap loop. */
static bool hook_quiet(void *opaque)
{
	struct plugin_host *ph = opaque;

	for (unsigned i = 0; i < ph->np; i++) {
		const struct rv_plugin *p = ph->p[i];
		if (!p)
			continue;
		const struct {
			const struct cb_entry *e;
			unsigned n;
		} kinds[] = {
			{ p->block, p->nblock }, { p->trap, p->ntrap }, { p->sbi, p->nsbi },
			{ p->priv, p->npriv },   { p->satp, p->nsatp }, { p->mmio, p->nmmio },
			{ p->timer, p->ntimer },
		};
		for (unsigned k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
			for (unsigned j = 0; j < kinds[k].n && j < HOST_MAX_SUBS; j++)
				if (kinds[k].e[j].cb)
					return false;
		for (unsigned j = 0; j < p->nmem && j < HOST_MAX_SUBS; j++)
			if (p->mem[j].cb)
				return false;
	}
	return true;
}

/* ---- The machine's hooks ---- */

void host_hooks_init(struct plugin_host *ph)
{
	ph->hooks = (struct hv_hooks){
		.opaque = ph,
		.block = hook_block,
		.insn = hook_insn,
		.trap = hook_trap,
		.priv = hook_priv,
		.satp = hook_satp,
		.sbi = hook_sbi,
		.mmio = hook_mmio,
		.timer = hook_timer,
		.blk_request = hook_blk,
		.apply = host_apply_queue,
		.mem_page = hook_mem_page,
		.mem = hook_mem,
		.divergence = hook_divergence,
		.quiet = hook_quiet,
	};
}

/* ---- The ABI: subscriptions ---- */

/* A free entry of arr (unsubscribed, or past *count), filled with cb and
 * ud under a new rv_sub; 0 if all HOST_MAX_SUBS are live. */
static rv_sub sub_add(rv_plugin *self, struct cb_entry *arr, unsigned *count, void *cb, void *ud)
{
	unsigned i = 0;

	if (!cb)
		return 0;
	while (i < *count && arr[i].cb)
		i++;
	if (i == HOST_MAX_SUBS)
		return 0;
	if (i == *count)
		(*count)++;
	arr[i] = (struct cb_entry){ cb, ud, self, ++self->last_sub, NULL };
	return arr[i].id;
}

/* rv_on_NAME: a subscription in self's field array. */
#define SUBSCRIBE(name, field)                                                                 \
	RV_PLUGIN_EXPORT rv_sub rv_on_##name(rv_plugin *self, rv_##name##_cb cb, void *ud)     \
	{                                                                                      \
		return self ? sub_add(self, self->field, &self->n##field, (void *)cb, ud) : 0; \
	}

/* Every hart leaves its fast path for pages it had translated (memory
 * subscriptions changed). */
static void host_flush_tlbs(struct plugin_host *ph)
{
	if (ph->m)
		for (unsigned i = 0; i < ph->m->nharts; i++)
			hart_flush_tlb(ph->m->hart[i]);
}

/* Remove entry id from arr; true if it was there. */
static bool sub_remove(struct cb_entry *arr, unsigned count, rv_sub id)
{
	for (unsigned i = 0; i < count; i++)
		if (arr[i].cb && arr[i].id == id) {
			arr[i].cb = NULL;
			arr[i].id = 0;
			return true;
		}
	return false;
}

RV_PLUGIN_EXPORT int rv_unsubscribe(rv_plugin *self, rv_sub sub)
{
	if (!self || !sub)
		return -1;
	if (sub_remove(self->block, self->nblock, sub)) {
		/* Its instruction entries die with it (cb_entry.parent); the
		 * decoded code that calls them is dropped (the running block
		 * is left at the next step boundary), so that code is decoded
		 * again without them and runs as unsubscribed code does. */
		if (self->host->attached && self->host->m && self->host->instrumented)
			block_flush_all(self->host->m);
		return 0;
	}
	for (unsigned j = 0; j < self->nmem; j++)
		if (self->mem[j].cb && self->mem[j].id == sub) {
			self->mem[j].cb = NULL;
			self->mem[j].id = 0;
			host_flush_tlbs(self->host);
			return 0;
		}
	struct {
		struct cb_entry *arr;
		unsigned n;
	} kinds[] = {
		{ self->exit, self->nexit },
		{ self->trap, self->ntrap },
		{ self->sbi, self->nsbi },
		{ self->priv, self->npriv },
		{ self->satp, self->nsatp },
		{ self->mmio, self->nmmio },
		{ self->timer, self->ntimer },
		{ self->snapshot, self->nsnapshot },
		{ self->divergence, self->ndivergence },
		{ self->blk, self->nblk },
	};
	for (unsigned k = 0; k < HV_ARRAY_LEN(kinds); k++)
		if (sub_remove(kinds[k].arr, kinds[k].n, sub))
			return 0;
	return -1;
}

SUBSCRIBE(exit, exit)
SUBSCRIBE(block, block)
SUBSCRIBE(trap, trap)
SUBSCRIBE(sbi, sbi)
SUBSCRIBE(priv, priv)
SUBSCRIBE(satp, satp)
SUBSCRIBE(mmio, mmio)
SUBSCRIBE(timer, timer)
SUBSCRIBE(snapshot, snapshot)
SUBSCRIBE(divergence, divergence)
SUBSCRIBE(blk_request, blk)

RV_PLUGIN_EXPORT rv_sub rv_on_mem(rv_plugin *self, uint64_t lo, uint64_t hi, uint32_t flags,
				  rv_mem_cb cb, void *ud)
{
	unsigned i = 0;

	if (!self || !cb || lo >= hi)
		return 0;
	while (i < self->nmem && self->mem[i].cb)
		i++;
	if (i == HOST_MAX_SUBS)
		return 0;
	if (i == self->nmem)
		self->nmem++;
	self->mem[i] = (struct mem_sub){ lo, hi, flags, (void *)cb, ud, self, ++self->last_sub };
	host_flush_tlbs(self->host);
	return self->mem[i].id;
}

/* ---- The ABI: code ---- */

RV_PLUGIN_EXPORT uint32_t rv_block_insns(const rv_block *b)
{
	return b ? b->n : 0;
}

RV_PLUGIN_EXPORT uint64_t rv_block_vaddr(const rv_block *b)
{
	return b ? b->vaddr : 0;
}

RV_PLUGIN_EXPORT uint64_t rv_block_paddr(const rv_block *b)
{
	return b ? b->paddr : 0;
}

RV_PLUGIN_EXPORT rv_insn *rv_block_insn(rv_block *b, uint32_t i)
{
	return b && i < b->n ? &b->insn[i] : NULL;
}

RV_PLUGIN_EXPORT uint64_t rv_insn_vaddr(const rv_insn *in)
{
	return in ? in->vaddr : 0;
}

RV_PLUGIN_EXPORT uint64_t rv_insn_paddr(const rv_insn *in)
{
	return in ? in->paddr : 0;
}

RV_PLUGIN_EXPORT uint32_t rv_insn_raw(const rv_insn *in)
{
	return in ? in->in->raw : 0;
}

RV_PLUGIN_EXPORT uint32_t rv_insn_size(const rv_insn *in)
{
	return in ? in->in->len : 0;
}

RV_PLUGIN_EXPORT uint32_t rv_insn_class(const rv_insn *in)
{
	if (!in)
		return 0;
	uint32_t c = isa_table[in->in->id].cls, r = 0;
	if (c & ISA_CLASS_LOAD)
		r |= RV_INSN_LOAD;
	if (c & ISA_CLASS_STORE)
		r |= RV_INSN_STORE;
	if (c & ISA_CLASS_BRANCH)
		r |= RV_INSN_BRANCH;
	if (c & ISA_CLASS_JUMP)
		r |= RV_INSN_JUMP;
	if (c & (ISA_CLASS_SYSTEM | ISA_CLASS_CSR | ISA_CLASS_FENCE))
		r |= RV_INSN_SYSTEM;
	if (c & ISA_CLASS_AMO)
		r |= RV_INSN_ATOMIC;
	if (c & ISA_CLASS_FP)
		r |= RV_INSN_FLOAT;
	return r;
}

RV_PLUGIN_EXPORT const char *rv_insn_mnemonic(const rv_insn *in)
{
	return in ? isa_table[in->in->id].mnemonic : "";
}

RV_PLUGIN_EXPORT size_t rv_insn_disas(const rv_insn *in, char *buf, size_t cap)
{
	if (!in || !buf || !cap)
		return 0;
	isa_disasm(in->in->raw, in->vaddr, buf, cap);
	return strlen(buf);
}

RV_PLUGIN_EXPORT rv_sub rv_insn_on_exec(rv_plugin *self, rv_insn *in, rv_insn_exec_cb cb, void *ud)
{
	const struct cb_entry *parent = self ? self->host->decoding_sub : NULL;

	if (!self || !in || !cb || !parent || parent->owner != self || !parent->cb)
		return 0;
	struct slot *s = &in->b->subs[in->index];
	if (s->n == SLOT_MAX_CBS)
		return 0;
	s->e[s->n++] = (struct cb_entry){ (void *)cb, ud, self, parent->id, parent };
	return parent->id;
}
