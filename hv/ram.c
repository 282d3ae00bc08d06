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
 * Nothing here is guest-controlled except which pages get written; frame
 * ids come only from this file.
 */
#include "hv/machine.h"

#include <stdlib.h>
#include <string.h>

#include "hv/block.h"

struct frame_pool {
	uint8_t **page;
	uint32_t *refs;
	uint32_t count, cap;
	uint32_t *free;  /* ids whose frame is unreferenced, for reuse */
	uint32_t nfree;
};

int ram_cow_init(struct ram *ram)
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
	ram->pool = p;
	return 0;
fail:
	if (p) {
		free(p->page);
		free(p->refs);
		free(p->free);
	}
	free(p);
	free(ram->fid);
	ram->fid = NULL;
	return -1;
}

void ram_cow_destroy(struct ram *ram)
{
	struct frame_pool *p = ram->pool;

	if (!p)
		return;
	/* Frames outside the initial mapping were allocated one by one. */
	for (uint32_t i = (uint32_t)ram->npages; i < p->count; i++)
		free(p->page[i]);
	free(p->page);
	free(p->refs);
	free(p->free);
	free(p);
	free(ram->fid);
	ram->pool = NULL;
	ram->fid = NULL;
}

static void frame_put(struct frame_pool *p, uint32_t id)
{
	if (--p->refs[id] == 0)
		p->free[p->nfree++] = id;
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
static void ram_drop_tlb_page(struct machine *m, uint64_t idx)
{
	gpa_t pa = m->ram.base + (idx << HV_PAGE_SHIFT);

	for (unsigned h = 0; h < m->nharts; h++)
		for (unsigned k = 0; k < 3; k++)
			for (unsigned i = 0; i < TLB_SIZE; i++)
				if (m->hart[h]->tlb[k][i].pa == pa)
					m->hart[h]->tlb[k][i].tag = TLB_INVALID;
}

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
		frame_put(p, old);
		ram->fid[idx] = id;
		ram->frame[idx] = p->page[id];
		ram_drop_tlb_page(m, idx);
	}
	ram->flags[idx] &= (uint8_t)~RAM_PF_SHARED;
	return true;
}

uint32_t *ram_freeze(struct machine *m)
{
	struct ram *ram = &m->ram;
	uint32_t *fids = malloc(ram->npages * sizeof(*fids));

	if (!fids)
		return NULL;
	memcpy(fids, ram->fid, ram->npages * sizeof(*fids));
	for (uint64_t i = 0; i < ram->npages; i++) {
		ram->pool->refs[fids[i]]++;
		ram->flags[i] |= RAM_PF_SHARED;
	}
	for (unsigned h = 0; h < m->nharts; h++)
		for (unsigned i = 0; i < TLB_SIZE; i++)
			m->hart[h]->tlb[ACC_STORE][i].tag = TLB_INVALID;
	return fids;
}

uint64_t ram_thaw(struct machine *m, const uint32_t *fids)
{
	struct ram *ram = &m->ram;
	uint64_t changed = 0;

	for (uint64_t i = 0; i < ram->npages; i++) {
		if (ram->fid[i] == fids[i])
			continue;
		if (ram->flags[i] & RAM_PF_CODE)
			block_invalidate_page(m, ram->base + (i << HV_PAGE_SHIFT));
		frame_put(ram->pool, ram->fid[i]);
		ram->fid[i] = fids[i];
		ram->pool->refs[fids[i]]++;
		ram->frame[i] = ram->pool->page[fids[i]];
		ram->flags[i] |= RAM_PF_SHARED;
		ram->dirty[i] = 1;
		changed++;
	}
	for (unsigned h = 0; h < m->nharts; h++)
		hart_flush_tlb(m->hart[h]);
	return changed;
}

void ram_release(struct machine *m, uint32_t *fids)
{
	if (!fids)
		return;
	for (uint64_t i = 0; i < m->ram.npages; i++)
		frame_put(m->ram.pool, fids[i]);
	free(fids);
}

uint64_t ram_frames_in_use(const struct ram *ram)
{
	return ram->pool->count - ram->pool->nfree;
}
