// SPDX-License-Identifier: MIT
/*
 * Copy-on-write guest RAM (ARCHITECTURE.md section 4).
 *
 * Every guest page's contents live in a frame of the frame pool; the pool
 * counts references to each frame. The machine references the frames in
 * its frame array; a frozen copy of that array (a snapshot's) references
 * them too. Freezing copies the array of frame ids and counts each frame
 * once more: no page is copied. Pages whose frame is referenced more than
 * once carry RAM_PF_SHARED, so no store TLB entry maps them and the first
 * store reaches ram_note_store, which gives the page a private copy (and
 * drops every hart's TLB entries for the old frame). Thawing a frozen
 * array puts back only the frames that differ from it.
 *
 * The pool is shared: every machine forked from a snapshot (ram_adopt)
 * and every frozen array holds a reference to it, so a snapshot may outlive
 * the machine it was taken from and many machines share its frames. All
 * of them run on one host thread (no locking). The pool owns the initial
 * mapping of the machine that created it.
 *
 * Restoring is proportional to what changed: a page's frame id changes
 * only in ram_cow_page (and in thaw/adopt), which lists the page; the list
 * is relative to the frozen array last frozen or thawed (its serial). Thawing
 * that same array again visits only the listed pages, not all of RAM.
 *
 * Nothing here is guest-controlled except which pages get written; frame
 * ids come only from this file.
 */
#include "hv/mem/mem.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

struct frame_pool {
	uint8_t **page;
	uint32_t *refs;
	uint32_t count, cap;
	uint32_t *free; /* ids whose frame is unreferenced, for reuse */
	uint32_t nfree;
	uint32_t users;   /* machines and frozen arrays referencing the pool */
	uint64_t serial;  /* last serial handed to a frozen array */
	uint8_t *backing; /* frames [0, nbacking) live here (one mapping) */
	uint64_t nbacking;
	/* Decoded code of these frames (block.c), shared like them, and the
	 * machines using the pool (to empty their jump caches). */
	const struct mem_code_ops *code;
	struct block_cache *blocks;
	struct machine **mach;
	unsigned nmach, capmach;
};

struct ram_frozen {
	struct frame_pool *pool;
	uint64_t serial;
	uint64_t npages;
	uint32_t fid[];
};

int ram_cow_init(struct ram *ram, const struct mem_code_ops *code)
{
	struct frame_pool *p = calloc(1, sizeof(*p));

	if (!p || ram->npages > UINT32_MAX / 2)
		goto fail;
	p->cap = (uint32_t)ram->npages;
	p->page = malloc(p->cap * sizeof(*p->page));
	p->refs = malloc(p->cap * sizeof(*p->refs));
	p->free = malloc(p->cap * sizeof(*p->free));
	ram->fid = malloc(ram->npages * sizeof(*ram->fid));
	if (!p->page || !p->refs || !p->free || !ram->fid)
		goto fail;
	for (uint32_t i = 0; i < p->cap; i++) {
		p->page[i] = ram->frame[i];
		p->refs[i] = 1;
		ram->fid[i] = i;
	}
	p->count = p->cap;
	p->users = 1;
	p->code = code;
	ram->code = code;
	p->blocks = code->create();
	if (!p->blocks)
		goto fail;
	p->backing = ram->backing;
	p->nbacking = ram->npages;
	ram->backing = NULL; /* the pool's now */
	ram->touched = malloc(ram->npages * sizeof(*ram->touched));
	if (!ram->touched)
		goto fail_pool;
	ram->ntouched = 0;
	ram->sync_serial = 0;
	ram->pool = p;
	return 0;
fail_pool:
	ram->backing = p->backing;
fail:
	if (p) {
		if (p->blocks)
			code->destroy(p->blocks);
		free(p->page);
		free(p->refs);
		free(p->free);
	}
	free(p);
	free(ram->fid);
	ram->fid = NULL;
	return -1;
}

static void pool_unref(struct frame_pool *p)
{
	if (--p->users)
		return;
	/* Frames outside the initial mapping were allocated one by one. */
	for (uint32_t i = (uint32_t)p->nbacking; i < p->count; i++)
		free(p->page[i]);
	if (p->backing)
		munmap(p->backing, p->nbacking << HV_PAGE_SHIFT);
	p->code->destroy(p->blocks);
	free(p->mach);
	free(p->page);
	free(p->refs);
	free(p->free);
	free(p);
}

static void frame_put(struct frame_pool *p, uint32_t id);

static int pool_attach(struct frame_pool *p, struct machine *m)
{
	if (p->nmach == p->capmach) {
		unsigned ncap = p->capmach ? 2 * p->capmach : 4;
		struct machine **n = realloc(p->mach, ncap * sizeof(*n));
		if (!n)
			return -1;
		p->mach = n;
		p->capmach = ncap;
	}
	p->mach[p->nmach++] = m;
	m->blocks = p->blocks;
	return 0;
}

static void pool_detach(struct frame_pool *p, struct machine *m)
{
	for (unsigned i = 0; i < p->nmach; i++)
		if (p->mach[i] == m) {
			p->mach[i] = p->mach[--p->nmach];
			break;
		}
}

int ram_pool_attach(struct machine *m)
{
	return pool_attach(m->ram.pool, m);
}

void ram_pool_forget_code(struct machine *m)
{
	struct frame_pool *p = m->ram.pool;

	for (unsigned k = 0; k < p->nmach; k++) {
		struct machine *o = p->mach[k];
		for (uint64_t i = 0; i < o->ram.npages; i++)
			o->ram.flags[i] &= (uint8_t)~RAM_PF_CODE;
		p->code->clear_jumps(o);
	}
}

void ram_cow_destroy(struct machine *m)
{
	struct ram *ram = &m->ram;
	struct frame_pool *p = ram->pool;

	if (!p)
		return;
	pool_detach(p, m);
	for (uint64_t i = 0; i < ram->npages; i++)
		frame_put(p, ram->fid[i]);
	pool_unref(p);
	free(ram->fid);
	free(ram->touched);
	ram->pool = NULL;
	ram->fid = NULL;
	ram->touched = NULL;
}

static void frame_put(struct frame_pool *p, uint32_t id)
{
	if (--p->refs[id] == 0) {
		/* Its code goes with it: the frame will hold other bytes. */
		p->code->drop_frame(p->blocks, id);
		p->free[p->nfree++] = id;
	}
}

/* A new frame (reference count 1), or UINT32_MAX if out of memory. */
static uint32_t frame_new(struct frame_pool *p)
{
	if (p->nfree)
		return p->refs[p->free[p->nfree - 1]] = 1, p->free[--p->nfree];
	if (p->count == p->cap) {
		uint32_t ncap = p->cap * 2;
		uint8_t **pg = realloc(p->page, ncap * sizeof(*pg));
		if (pg)
			p->page = pg;
		uint32_t *rf = realloc(p->refs, ncap * sizeof(*rf));
		if (rf)
			p->refs = rf;
		uint32_t *fr = realloc(p->free, ncap * sizeof(*fr));
		if (fr)
			p->free = fr;
		if (!pg || !rf || !fr)
			return UINT32_MAX;
		p->cap = ncap;
	}
	uint8_t *page = aligned_alloc(HV_PAGE_SIZE, HV_PAGE_SIZE);
	if (!page)
		return UINT32_MAX;
	p->page[p->count] = page;
	p->refs[p->count] = 1;
	return p->count++;
}

/* Every hart forgets its translations of page idx (its frame moved). */

bool ram_cow_page(struct machine *m, uint64_t idx)
{
	struct ram *ram = &m->ram;
	struct frame_pool *p = ram->pool;
	uint32_t old = ram->fid[idx];

	if (p->refs[old] > 1) {
		uint32_t id = frame_new(p);
		if (id == UINT32_MAX)
			return false;
		memcpy(p->page[id], p->page[old], HV_PAGE_SIZE);
		/* The old frame keeps its decoded code for its other users;
		 * this machine must not run it any more. */
		bool code = p->code->frame_has_code(p->blocks, old);
		frame_put(p, old);
		ram->fid[idx] = id;
		ram->frame[idx] = p->page[id];
		ram->touched[ram->ntouched++] = (uint32_t)idx;
		p->code->drop_translations(m, m->ram.base + (idx << HV_PAGE_SHIFT));
		ram->flags[idx] &= (uint8_t) ~(RAM_PF_SHARED | RAM_PF_CODE);
		if (code)
			p->code->clear_jumps(m);
		return true;
	}
	/* The frame is this machine's alone now: if it holds code (decoded
	 * by anyone), the store must drop it (ram_note_store). */
	ram->flags[idx] &= (uint8_t)~RAM_PF_SHARED;
	if (p->code->frame_has_code(p->blocks, old))
		ram->flags[idx] |= RAM_PF_CODE;
	return true;
}

struct ram_frozen *ram_freeze(struct machine *m)
{
	struct ram *ram = &m->ram;
	struct ram_frozen *f = malloc(sizeof(*f) + ram->npages * sizeof(f->fid[0]));

	if (!f)
		return NULL;
	f->pool = ram->pool;
	f->pool->users++;
	f->serial = ++ram->pool->serial;
	f->npages = ram->npages;
	memcpy(f->fid, ram->fid, ram->npages * sizeof(f->fid[0]));
	for (uint64_t i = 0; i < ram->npages; i++) {
		ram->pool->refs[f->fid[i]]++;
		ram->flags[i] |= RAM_PF_SHARED;
	}
	ram->sync_serial = f->serial;
	ram->ntouched = 0;
	for (unsigned h = 0; h < m->nharts; h++)
		for (unsigned i = 0; i < TLB_SIZE; i++)
			m->hart[h]->tlb[ACC_STORE][i].tag = TLB_INVALID;
	return f;
}

/* Make page i frame id (a reference the caller already counted). */
static void ram_put_back(struct machine *m, uint64_t i, uint32_t id)
{
	struct ram *ram = &m->ram;

	/* The old frame's code stays with it (or goes with its last
	 * reference); the harts' jump caches are emptied by the caller. */
	frame_put(ram->pool, ram->fid[i]);
	ram->fid[i] = id;
	ram->frame[i] = ram->pool->page[id];
	ram->flags[i] = (uint8_t)((ram->flags[i] | RAM_PF_SHARED) & ~RAM_PF_CODE);
	ram->dirty[i] = 1;
}

int64_t ram_thaw(struct machine *m, const struct ram_frozen *f)
{
	struct ram *ram = &m->ram;
	uint64_t changed = 0;

	if (f->npages != ram->npages)
		return -1;
	if (f->pool != ram->pool) {
		/* Another machine's frames (a fork): share them all. */
		for (uint64_t i = 0; i < ram->npages; i++)
			f->pool->refs[f->fid[i]]++;
		if (pool_attach(f->pool, m) != 0) {
			for (uint64_t i = 0; i < ram->npages; i++)
				frame_put(f->pool, f->fid[i]);
			return -1;
		}
		for (uint64_t i = 0; i < ram->npages; i++)
			frame_put(ram->pool, ram->fid[i]);
		pool_detach(ram->pool, m);
		pool_unref(ram->pool);
		ram->pool = f->pool;
		ram->pool->users++;
		for (uint64_t i = 0; i < ram->npages; i++) {
			ram->fid[i] = f->fid[i];
			ram->frame[i] = ram->pool->page[f->fid[i]];
			ram->flags[i] = (uint8_t)((ram->flags[i] | RAM_PF_SHARED) & ~RAM_PF_CODE);
			ram->dirty[i] = 1;
		}
		changed = ram->npages;
	} else if (f->serial == ram->sync_serial) {
		/* Only pages listed since that array was frozen or thawed
		 * can differ from it. */
		for (uint64_t k = 0; k < ram->ntouched; k++) {
			uint64_t i = ram->touched[k];
			if (ram->fid[i] == f->fid[i])
				continue;
			ram->pool->refs[f->fid[i]]++;
			ram_put_back(m, i, f->fid[i]);
			changed++;
		}
	} else {
		for (uint64_t i = 0; i < ram->npages; i++) {
			if (ram->fid[i] == f->fid[i])
				continue;
			ram->pool->refs[f->fid[i]]++;
			ram_put_back(m, i, f->fid[i]);
			changed++;
		}
	}
	ram->sync_serial = f->serial;
	ram->ntouched = 0;
	ram->code->flush_translations(m);
	return (int64_t)changed;
}

void ram_release(struct ram_frozen *f)
{
	if (!f)
		return;
	for (uint64_t i = 0; i < f->npages; i++)
		frame_put(f->pool, f->fid[i]);
	pool_unref(f->pool);
	free(f);
}

uint32_t ram_frozen_fid(const struct ram_frozen *f, uint64_t page)
{
	return f->fid[page];
}

const uint8_t *ram_frozen_page(const struct ram_frozen *f, uint64_t page)
{
	return f->pool->page[f->fid[page]];
}

bool ram_frozen_same_pool(const struct ram_frozen *a, const struct ram_frozen *b)
{
	return a->pool == b->pool;
}

uint64_t ram_frozen_pages(const struct ram_frozen *f)
{
	return f->npages;
}

uint64_t ram_frames_in_use(const struct ram *ram)
{
	return ram->pool->count - ram->pool->nfree;
}
