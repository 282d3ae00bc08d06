// SPDX-License-Identifier: MIT
/*
 * Basic-block cache, keyed by the page frame the code was decoded from
 * (hv/mem/ram.c) and the offset in it.
 *
 * A frame's contents change only while one machine owns it alone, so the
 * decoded blocks of a frame are valid for every machine that maps it: the
 * cache belongs to the frame pool and is shared by all machines forked
 * from one snapshot (each decodes what the others have not), and a restore
 * that puts a frame back finds its blocks still there.
 *
 * Blocks live in a hash table on their key and, per frame, on a list
 * reached through a second hash table (code frames), so that a store into
 * a frame drops exactly that frame's blocks. A page whose (private) frame
 * holds blocks this machine decoded carries RAM_PF_CODE; a page whose frame
 * is shared carries RAM_PF_SHARED; either way it is never entered in a
 * store TLB entry, so the first store reaches ram_note_store, which copies
 * a shared frame (the blocks stay with the old frame) or drops a private
 * frame's blocks. A frame whose last reference goes has its blocks dropped
 * before it can be reused. Dropped blocks wait on a free list until
 * block_reap, because the executor may still be inside one (self-modifying
 * code). Jump caches point only at blocks of frames their machine maps:
 * whenever a page of a machine changes frame, its harts' jump caches are
 * emptied.
 *
 * Decoding reads RAM only; instructions are trusted to be anything at all:
 * an undecodable one becomes ISA_ILLEGAL and traps when it is reached.
 */
#include "hv/cpu/block.h"

#include "hv/cpu/jit.h"
#include "hv/hooks.h"

#include <stdlib.h>
#include <string.h>

#define BC_HASH_BITS 18
#define BC_PAGE_BITS 12
#define BC_MAX_BLOCKS (1u << 18) /* flush everything beyond this */

struct code_page {
	uint64_t ppn; /* the frame id */
	struct block *blocks;
	struct code_page *next;
};

struct block_cache {
	struct block *hash[1u << BC_HASH_BITS];
	struct code_page *pages[1u << BC_PAGE_BITS];
	struct block *dead; /* dropped, not yet freed (chained on hash_next) */
	unsigned count;
	struct jit *jit; /* translated code of these blocks (jit.c) */
};

static unsigned bc_hash(gpa_t pa)
{
	return (unsigned)((pa >> 1) * 0x9e3779b97f4a7c15ull >> (64 - BC_HASH_BITS));
}

static unsigned bc_page_hash(uint64_t ppn)
{
	return (unsigned)(ppn * 0x9e3779b97f4a7c15ull >> (64 - BC_PAGE_BITS));
}

struct block_cache *block_cache_create(void)
{
	return calloc(1, sizeof(struct block_cache));
}

static void bc_free_chain(struct block *b)
{
	while (b) {
		struct block *next = b->hash_next;
		free(b);
		b = next;
	}
}

void block_cache_destroy(struct block_cache *bc)
{
	if (!bc)
		return;
	for (unsigned i = 0; i < HV_ARRAY_LEN(bc->hash); i++)
		bc_free_chain(bc->hash[i]);
	for (unsigned i = 0; i < HV_ARRAY_LEN(bc->pages); i++) {
		struct code_page *cp = bc->pages[i];
		while (cp) {
			struct code_page *next = cp->next;
			free(cp);
			cp = next;
		}
	}
	bc_free_chain(bc->dead);
	jit_destroy(bc->jit);
	free(bc);
}

struct jit **block_cache_jit(struct block_cache *bc)
{
	return &bc->jit;
}

/* The key of the code at pa, which must be RAM: frame id and offset. */
static uint64_t bc_key(const struct machine *m, gpa_t pa)
{
	return (uint64_t)m->ram.fid[(pa - m->ram.base) >> HV_PAGE_SHIFT] << HV_PAGE_SHIFT |
	       (pa & HV_PAGE_MASK);
}

struct block *block_lookup(struct machine *m, gpa_t pa)
{
	struct block_cache *bc = m->blocks;
	uint64_t key;

	if (pa < m->ram.base || pa - m->ram.base >= m->ram.size)
		return NULL;
	key = bc_key(m, pa);
	for (struct block *b = bc->hash[bc_hash(key)]; b; b = b->hash_next)
		if (b->key == key)
			return b;
	return NULL;
}

bool block_frame_has_code(struct block_cache *bc, uint32_t fid)
{
	for (struct code_page *cp = bc->pages[bc_page_hash(fid)]; cp; cp = cp->next)
		if (cp->ppn == fid)
			return true;
	return false;
}

/* Which executed operations name a floating-point destination register;
 * every other rd is an integer register (or unused). */
static bool op_writes_freg(unsigned op)
{
	switch (op) {
	case ISA_flw:
	case ISA_fld:
	case ISA_fmadd_s:
	case ISA_fmsub_s:
	case ISA_fnmsub_s:
	case ISA_fnmadd_s:
	case ISA_fmadd_d:
	case ISA_fmsub_d:
	case ISA_fnmsub_d:
	case ISA_fnmadd_d:
	case ISA_fadd_s:
	case ISA_fsub_s:
	case ISA_fmul_s:
	case ISA_fdiv_s:
	case ISA_fadd_d:
	case ISA_fsub_d:
	case ISA_fmul_d:
	case ISA_fdiv_d:
	case ISA_fsqrt_s:
	case ISA_fsqrt_d:
	case ISA_fsgnj_s:
	case ISA_fsgnjn_s:
	case ISA_fsgnjx_s:
	case ISA_fsgnj_d:
	case ISA_fsgnjn_d:
	case ISA_fsgnjx_d:
	case ISA_fmin_s:
	case ISA_fmax_s:
	case ISA_fmin_d:
	case ISA_fmax_d:
	case ISA_fcvt_s_w:
	case ISA_fcvt_s_wu:
	case ISA_fcvt_s_l:
	case ISA_fcvt_s_lu:
	case ISA_fcvt_d_w:
	case ISA_fcvt_d_wu:
	case ISA_fcvt_d_l:
	case ISA_fcvt_d_lu:
	case ISA_fcvt_s_d:
	case ISA_fcvt_d_s:
	case ISA_fmv_w_x:
	case ISA_fmv_d_x:
		return true;
	default:
		return false;
	}
}

void block_fill_insn(struct insn *in, uint32_t raw, const void *const *handlers)
{
	memset(in, 0, sizeof(*in));
	isa_decode(raw, in);
	if (in->rd == 0 && !op_writes_freg(in->op))
		in->rd = 32; /* writes to x0 land in the sink register */
	in->handler = handlers[in->op];
}

int block_decode(struct machine *m, gpa_t pa, unsigned max, struct insn *out,
		 const void *const *handlers, const void *end_handler)
{
	const uint8_t *page = ram_ptr(&m->ram, pa & ~HV_PAGE_MASK);
	unsigned off = pa & HV_PAGE_MASK, start = off, n = 0;

	if (!page || max == 0)
		return 0;
	if (max > BLOCK_MAX_INSNS)
		max = BLOCK_MAX_INSNS;
	while (n < max && off + 2 <= HV_PAGE_SIZE) {
		uint32_t raw = (uint32_t)page[off] | (uint32_t)page[off + 1] << 8;
		struct insn *in = &out[n];

		if (isa_insn_len((uint16_t)raw) == 4) {
			if (off + 4 > HV_PAGE_SIZE)
				break; /* straddles the page: its own path */
			raw |= (uint32_t)page[off + 2] << 16 | (uint32_t)page[off + 3] << 24;
		}
		block_fill_insn(in, raw, handlers);
		in->pcoff = (uint16_t)(off - start);
		in->idx = (uint16_t)n;
		off += in->len;
		n++;
		if (in->op == ISA_ILLEGAL || (isa_table[in->op].cls & ISA_CLASS_ENDS_BLOCK))
			break;
	}
	if (n) {
		memset(&out[n], 0, sizeof(out[n]));
		out[n].handler = end_handler;
		out[n].pcoff = (uint16_t)(off - start);
		out[n].idx = (uint16_t)n;
		out[n].op = ISA_ILLEGAL;
		out[n].id = ISA_ILLEGAL;
	}
	return (int)n;
}

static struct code_page *bc_page_get(struct block_cache *bc, uint64_t ppn, bool create)
{
	struct code_page **head = &bc->pages[bc_page_hash(ppn)];

	for (struct code_page *cp = *head; cp; cp = cp->next)
		if (cp->ppn == ppn)
			return cp;
	if (!create)
		return NULL;
	struct code_page *cp = calloc(1, sizeof(*cp));
	if (!cp)
		return NULL;
	cp->ppn = ppn;
	cp->next = *head;
	*head = cp;
	return cp;
}

/* A page gains decoded code: no hart may keep a store TLB entry for it. */
static void bc_mark_code_page(struct machine *m, gpa_t page_pa)
{
	uint64_t idx = (page_pa - m->ram.base) >> HV_PAGE_SHIFT;

	if (m->ram.flags[idx] & RAM_PF_CODE)
		return;
	m->ram.flags[idx] |= RAM_PF_CODE;
	for (unsigned i = 0; i < m->nharts; i++) {
		struct tlb_entry *t = m->hart[i]->tlb[ACC_STORE];
		for (unsigned j = 0; j < TLB_SIZE; j++)
			if (t[j].tag != TLB_INVALID && t[j].pa == page_pa)
				t[j].tag = TLB_INVALID;
	}
}

static const void *block_plugin_handler;

void block_set_plugin_handler(const void *handler)
{
	block_plugin_handler = handler;
}

unsigned block_instrument(struct machine *m, uint64_t vpc, gpa_t pa, struct insn *out, unsigned n,
			  const void *plugin_handler)
{
	uint32_t slots[BLOCK_MAX_INSNS] = { 0 };
	unsigned k = 0;

	if (!m->hooks || !m->hooks->block || n == 0 || n > BLOCK_MAX_INSNS)
		return n;
	m->hooks->block(m->hooks->opaque, m, vpc, pa, out, n, slots);
	for (unsigned i = 0; i < n; i++)
		k += slots[i] != 0;
	if (!k)
		return n;
	/* From the end backwards: entry j + (subscribed before it) moves. */
	unsigned dst = n + k; /* the sentinel's new place */
	out[dst] = out[n];
	for (unsigned i = n; i-- > 0;) {
		out[--dst] = out[i];
		if (slots[i]) {
			struct insn *p = &out[--dst];
			memset(p, 0, sizeof(*p));
			p->handler = plugin_handler;
			p->imm = slots[i];
			p->pcoff = out[dst + 1].pcoff;
			p->idx = out[dst + 1].idx;
			p->op = ISA_ILLEGAL;
			p->id = ISA_ILLEGAL;
		}
	}
	return n + k;
}

struct block *block_build(struct machine *m, gpa_t pa, const void *const *handlers,
			  const void *end_handler)
{
	struct block_cache *bc = m->blocks;
	struct insn tmp[2 * BLOCK_MAX_INSNS + 1];
	int n = block_decode(m, pa, BLOCK_MAX_INSNS, tmp, handlers, end_handler);
	unsigned entries;

	if (n == 0)
		return NULL;
	entries = block_instrument(m, m->cur ? m->cur->pc : 0, pa, tmp, (unsigned)n,
				   block_plugin_handler);
	if (bc->count >= BC_MAX_BLOCKS)
		block_flush_all(m);
	uint64_t key = bc_key(m, pa);
	struct code_page *cp = bc_page_get(bc, key >> HV_PAGE_SHIFT, true);
	struct block *b = malloc(sizeof(*b) + (size_t)(entries + 1) * sizeof(struct insn));
	if (!b || !cp) {
		free(b);
		return NULL;
	}
	b->pa = pa;
	b->key = key;
	b->n = (uint32_t)n;
	b->bytes = tmp[entries].pcoff;
	b->valid = true;
	b->heat = 0;
	b->jit_gen = 0;
	b->jit_code = NULL;
	memcpy(b->insn, tmp, (size_t)(entries + 1) * sizeof(struct insn));
	unsigned hi = bc_hash(key);
	b->hash_next = bc->hash[hi];
	bc->hash[hi] = b;
	b->page_next = cp->blocks;
	cp->blocks = b;
	bc->count++;
	bc_mark_code_page(m, pa & ~HV_PAGE_MASK);
	return b;
}

static void bc_clear_jcaches(struct machine *m)
{
	for (unsigned i = 0; i < m->nharts; i++)
		hart_clear_jcache(m->hart[i]);
}

void block_clear_jcaches(struct machine *m)
{
	bc_clear_jcaches(m);
	if (m->cur)
		m->cur->exit_req = true; /* the running block may be a dropped one */
}

static void bc_unlink(struct block_cache *bc, struct block *b)
{
	struct block **pp = &bc->hash[bc_hash(b->key)];

	while (*pp && *pp != b)
		pp = &(*pp)->hash_next;
	if (*pp)
		*pp = b->hash_next;
	b->valid = false;
	b->hash_next = bc->dead;
	bc->dead = b;
	bc->count--;
}

/* Unlink every block of code page cp and free the entry (the caller has
 * taken it off its hash chain). */
static void bc_free_page(struct block_cache *bc, struct code_page *cp)
{
	struct block *b = cp->blocks;

	while (b) {
		struct block *next = b->page_next;
		bc_unlink(bc, b);
		b = next;
	}
	free(cp);
}

/* Drop the blocks of frame fid (and its code-frame entry). */
static void bc_drop_frame(struct block_cache *bc, uint32_t fid)
{
	struct code_page **pp = &bc->pages[bc_page_hash(fid)];

	while (*pp && (*pp)->ppn != fid)
		pp = &(*pp)->next;
	if (*pp) {
		struct code_page *cp = *pp;
		*pp = cp->next;
		bc_free_page(bc, cp);
	}
}

void block_drop_frame(struct block_cache *bc, uint32_t fid)
{
	bc_drop_frame(bc, fid);
}

void block_invalidate_page(struct machine *m, gpa_t pa)
{
	if (pa >= m->ram.base && pa - m->ram.base < m->ram.size) {
		uint64_t idx = (pa - m->ram.base) >> HV_PAGE_SHIFT;
		bc_drop_frame(m->blocks, m->ram.fid[idx]);
		m->ram.flags[idx] &= (uint8_t)~RAM_PF_CODE;
	}
	block_clear_jcaches(m);
}

void block_flush_all(struct machine *m)
{
	struct block_cache *bc = m->blocks;

	for (unsigned i = 0; i < HV_ARRAY_LEN(bc->pages); i++) {
		struct code_page *cp = bc->pages[i];
		while (cp) {
			struct code_page *next = cp->next;
			bc_free_page(bc, cp);
			cp = next;
		}
		bc->pages[i] = NULL;
	}
	/* Every machine sharing the cache forgets its blocks. */
	ram_pool_forget_code(m);
}

void block_reap(struct block_cache *bc)
{
	bc_free_chain(bc->dead);
	bc->dead = NULL;
}

/* The harts of m drop every cached translation to physical page pa (its
 * frame changed under them); the jump caches hold virtual pcs and are
 * emptied by clear_jumps where code moved. */
static void block_drop_translations(struct machine *m, gpa_t pa)
{
	for (unsigned h = 0; h < m->nharts; h++)
		for (unsigned k = 0; k < 3; k++)
			for (unsigned i = 0; i < TLB_SIZE; i++)
				if (m->hart[h]->tlb[k][i].pa == pa)
					m->hart[h]->tlb[k][i].tag = TLB_INVALID;
}

static void block_flush_translations(struct machine *m)
{
	for (unsigned h = 0; h < m->nharts; h++)
		hart_flush_tlb(m->hart[h]);
}

const struct mem_code_ops block_code_ops = {
	.create = block_cache_create,
	.destroy = block_cache_destroy,
	.frame_has_code = block_frame_has_code,
	.drop_frame = block_drop_frame,
	.clear_jumps = block_clear_jcaches,
	.invalidate_page = block_invalidate_page,
	.drop_translations = block_drop_translations,
	.flush_translations = block_flush_translations,
};
