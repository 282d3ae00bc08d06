/* SPDX-License-Identifier: MIT */
/*
 * What the boot image loader's three files share (loader.c places the
 * pieces, loader_file.c reads image files and claims guest RAM,
 * loader_elf.c loads ELF files); nothing outside the loader uses it.
 * Every region of guest RAM the loader writes is first claimed with
 * loader_region_claim, which keeps it inside RAM and apart from every
 * other piece.
 */
#ifndef HV_LOADER_IMPL_H
#define HV_LOADER_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "hv/platform/loader.h"
#include "hv/platform/machine.h"

#define MiB (1024ull * 1024ull)
#define GiB (1024ull * MiB)
#define LOADER_ALIGN_2M (2 * MiB)
#define LOADER_DTB_LIMIT (3 * GiB)        /* riscv_load_fdt: 32-bit reachable */
#define LOADER_INITRD_MAX_OFF (128 * MiB) /* riscv_load_initrd */
#define LOADER_HEAD_SIZE 4096
#define LOADER_CHUNK (1 * MiB)
#define LOADER_MAX_REGIONS 4096 /* a sane bound on loadable segments */

#define IMAGE_HDR_SIZE 64
#define IMAGE_MAGIC "RISCV\0\0\0"
#define IMAGE_MAGIC2 "RSC\x05"
#define IMAGE_FLAG_BE 1ull

struct region {
	gpa_t start, end; /* [start, end) */
	const char *file; /* NULL for pieces the loader made (DTB, fw info) */
	char what[48];
};

struct loader {
	struct machine *m;
	gpa_t ram_base, ram_end;
	struct region *reg;
	size_t nreg;
	uint8_t *buf; /* LOADER_CHUNK bytes for copying files into RAM */
	struct hv_err *err;
};

struct image_file {
	const char *path;
	const char *role;   /* "kernel", "initrd", "firmware" */
	int fd;             /* -1 for an image in memory */
	const uint8_t *mem; /* the image in memory, or NULL */
	uint64_t size;
	uint8_t head[LOADER_HEAD_SIZE];
	size_t head_len;
};
/* Where a file landed: [start, end) and its entry point. */
struct placed {
	gpa_t start, end, entry;
};

static inline uint64_t loader_align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

static inline uint64_t loader_align_down(uint64_t v, uint64_t a)
{
	return v & ~(a - 1);
}

/* The file at path, or img if it is given; reads its first
 * LOADER_HEAD_SIZE bytes into f->head. */
int loader_image_open(struct image_file *f, const char *path, const struct loader_image *img,
		      const char *role, struct hv_err *err);
/* Up to len bytes at off, as pread: the count, 0 at the end, -1 and
 * errno on failure. */
ssize_t loader_image_pread(const struct image_file *f, void *buf, size_t len, uint64_t off);
void loader_image_close(struct image_file *f);
/* LOADER_FMT_* for what f is (loader_file.c's file comment); -1 with err
 * for a file that cannot be booted. */
int loader_classify(const struct image_file *f, struct hv_err *err);

bool loader_ram_contains(const struct loader *l, gpa_t start, uint64_t size);
/* Claim [start, start+size) for `what` of `file`: it must be in RAM and
 * must not overlap anything placed before. */
int loader_region_claim(struct loader *l, const char *file, const char *what, gpa_t start,
			uint64_t size);
int loader_ram_write(struct loader *l, const char *file, gpa_t pa, const void *buf, size_t len);
/* Copy len bytes at file offset off to guest RAM at pa. The caller has
 * checked off + len <= f->size and claimed the RAM range. */
int loader_ram_copy_file(struct loader *l, const struct image_file *f, uint64_t off, gpa_t pa,
			 uint64_t len);
/* Zero guest RAM explicitly: ELF .bss must read as zero whatever was
 * there before (a reset machine, a snapshot being reused). */
int loader_ram_zero(struct loader *l, const char *file, gpa_t pa, uint64_t len);

/* Load an ELF kernel or firmware at its physical addresses; a kernel
 * (may_reloc) linked at virtual addresses outside RAM goes to reloc_base
 * (vmlinux). */
int loader_load_elf(struct loader *l, const struct image_file *f, bool may_reloc, gpa_t reloc_base,
		    struct placed *p);

#endif
