/* SPDX-License-Identifier: MIT */
/*
 * Basic blocks: guest code decoded once and cached by physical address
 * (ARCHITECTURE.md section 3).
 *
 * A block is a run of instructions inside one guest page that ends with the
 * first instruction of class ISA_CLASS_ENDS_BLOCK, at the page end, or at
 * BLOCK_MAX_INSNS. Its extent depends only on its start address and the
 * bytes in memory, never on execution history, so block boundaries are
 * deterministic. Interrupts are nevertheless not tied to block boundaries:
 * anything that can make an interrupt pending ends the block that did it
 * (exec.c), so taking interrupts at block starts is the same as checking
 * at every instruction.
 *
 * A store to a page that holds blocks drops all of that page's blocks
 * (they go to a free list emptied between blocks, so a block that modifies
 * itself finishes the current instruction safely).
 */
#ifndef HV_BLOCK_H
#define HV_BLOCK_H

#include "hv/cpu/insn.h"
#include "hv/cpu/hart.h"
#include "hv/mem/mem.h"

#define BLOCK_MAX_INSNS 128

struct block {
	gpa_t pa;     /* physical address of the first instruction */
	uint64_t key; /* frame id << 12 | offset (block.c) */
	uint32_t n;   /* instructions, not counting the sentinel or the
	                           * pseudo instructions of plugins (hooks.h) */
	uint32_t bytes;
	struct block *hash_next; /* chain in the cache's hash table */
	struct block *page_next; /* chain of blocks in the same page */
	bool valid;
	/* The JIT (jit.h): how often the block was entered untranslated, and
	 * its host code, valid while jit_gen is the code cache's generation. */
	uint32_t heat;
	uint32_t jit_gen;
	void *jit_code;
	struct insn insn[]; /* n instructions, then a sentinel */
};

struct block_cache;

struct block_cache *block_cache_create(void);
void block_cache_destroy(struct block_cache *bc);
/* The cache's JIT code buffer (jit.c), made on first use, destroyed with
 * the cache. */
struct jit **block_cache_jit(struct block_cache *bc);

/* Look up the block starting at physical address pa of m (the code its
 * frame holds there), or NULL. */
struct block *block_lookup(struct machine *m, gpa_t pa);
/* Whether frame fid holds decoded blocks. */
bool block_frame_has_code(struct block_cache *bc, uint32_t fid);
/* Drop the blocks of frame fid (its last reference went, ram.c). */
void block_drop_frame(struct block_cache *bc, uint32_t fid);
/* Empty m's jump caches (a page changed frame) and leave the running
 * block at the next boundary. */
void block_clear_jcaches(struct machine *m);

/* Decode up to max instructions of the block at pa into out (which has room
 * for max + 1: the sentinel) without caching it. Returns the number
 * decoded, 0 if the first instruction straddles the page end. */
int block_decode(struct machine *m, gpa_t pa, unsigned max, struct insn *out,
		 const void *const *handlers, const void *end_handler);

/* Decode raw into in, ready to execute: handler set, rd = x0 redirected to
 * the sink register. */
void block_fill_insn(struct insn *in, uint32_t raw, const void *const *handlers);

/* Decode a block at pa (which must be RAM) and insert it. Returns NULL
 * when the first instruction straddles the page end: the caller then runs
 * that instruction through exec_one. handlers maps enum isa_id to the
 * executor's dispatch targets. */
struct block *block_build(struct machine *m, gpa_t pa, const void *const *handlers,
			  const void *end_handler);

/* The executor's handler for the pseudo instructions that call plugins
 * (hv/hooks.h), used by block_build. */
void block_set_plugin_handler(const void *handler);

/* Drop every block of the (private) frame m maps at the page that holds
 * pa. */
void block_invalidate_page(struct machine *m, gpa_t pa);

/* Drop every block (e.g. too many cached), for every machine sharing the
 * cache. */
void block_flush_all(struct machine *m);

/* Free blocks dropped since the last call; call only when no block is
 * executing. */
void block_reap(struct block_cache *bc);

/* What the frame pool (hv/mem) calls when frames and mappings change. */
extern const struct mem_code_ops block_code_ops;

#endif
