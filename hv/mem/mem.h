/* SPDX-License-Identifier: MIT */
/*
 * Guest memory (ARCHITECTURE.md section 4): the frame pool with its
 * copy-on-write and dirty tracking (ram.c), physical access and the
 * device bus (bus.c). Memory knows nothing of decoded code or TLBs: the
 * CPU layer gives the pool its code cache through struct mem_code_ops
 * and is told when frames or mappings change.
 */
#ifndef HV_MEM_H
#define HV_MEM_H

#include "hv/machine.h"

/* What the pool tells the layer that caches decoded code and
 * translations (hv/cpu/block.c gives these). cache is the pool's code
 * cache, made by create when the pool is. */
struct block_cache;

struct mem_code_ops {
	struct block_cache *(*create)(void);
	void (*destroy)(struct block_cache *cache);
	/* Whether decoded code of frame fid exists; drop it (the frame is
	 * freed and will hold other bytes). */
	bool (*frame_has_code)(struct block_cache *cache, uint32_t fid);
	void (*drop_frame)(struct block_cache *cache, uint32_t fid);
	/* m maps another frame at a page that held code: forget jumps into it. */
	void (*clear_jumps)(struct machine *m);
	/* A store hits page pa of m, which holds decoded code. */
	void (*invalidate_page)(struct machine *m, gpa_t pa);
	/* m's harts drop cached translations to page pa, or all of them. */
	void (*drop_translations)(struct machine *m, gpa_t pa);
	void (*flush_translations)(struct machine *m);
};

/* Copy-on-write RAM (ram.c). ram_freeze returns the frame ids of every
 * page, shared from now on (no page is copied); ram_thaw makes the pages
 * those frames again, touching only pages that differ, and returns how
 * many did (-1: another RAM size). A frozen array may come from another
 * machine (a fork): the machine then shares that machine's frame pool.
 * ram_release drops a frozen array; it may outlive its machine.
 * ram_cow_page gives page idx a private frame before it is written. */
struct ram_frozen;
struct machine;
int ram_cow_init(struct ram *ram, const struct mem_code_ops *code);
/* Register m with its RAM's pool (which also gives m its block cache). */
int ram_pool_attach(struct machine *m);
void ram_cow_destroy(struct machine *m);
/* Every machine sharing m's pool forgets its decoded code (block.c). */
void ram_pool_forget_code(struct machine *m);
bool ram_cow_page(struct machine *m, uint64_t idx);
struct ram_frozen *ram_freeze(struct machine *m);
int64_t ram_thaw(struct machine *m, const struct ram_frozen *f);
void ram_release(struct ram_frozen *f);
uint64_t ram_frozen_pages(const struct ram_frozen *f);
/* Frame ids of a and b can be compared (same pool); else compare bytes. */
bool ram_frozen_same_pool(const struct ram_frozen *a, const struct ram_frozen *b);
/* Frame id (identity: equal ids mean equal contents) and contents of a
 * page of a frozen array. */
uint32_t ram_frozen_fid(const struct ram_frozen *f, uint64_t page);
const uint8_t *ram_frozen_page(const struct ram_frozen *f, uint64_t page);
/* Frames the machine's pool holds (shared by all its forks). */
uint64_t ram_frames_in_use(const struct ram *ram);

/* Register a device on the bus. The machine does not own dev. */
int machine_add_dev(struct machine *m, struct hv_dev *dev, struct hv_err *err);

/* Physical memory access for loaders, devices (DMA), debuggers. Returns
 * false if [pa, pa+len) is not entirely RAM. Writes invalidate decoded
 * code in the pages they touch. */
bool machine_read_phys(struct machine *m, gpa_t pa, void *buf, size_t len);
bool machine_write_phys(struct machine *m, gpa_t pa, const void *buf, size_t len);
/* Whether [pa, pa+len) lies entirely in guest RAM. */
bool machine_ram_contains(const struct machine *m, gpa_t pa, uint64_t len);

/* Host pointer to guest RAM at pa for len bytes within one page, or NULL. */
uint8_t *ram_ptr(struct ram *ram, gpa_t pa);

/* Bus access for MMIO (size 1/2/4/8). Return false if nothing is mapped
 * there (the caller raises an access fault). */
bool bus_read(struct machine *m, gpa_t pa, unsigned size, uint64_t *val);
bool bus_write(struct machine *m, gpa_t pa, unsigned size, uint64_t val);

/* A store is about to modify RAM page pa >> 12 (slow path): drops decoded
 * code there. */
void ram_note_store(struct machine *m, gpa_t pa);

#endif
