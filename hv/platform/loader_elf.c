// SPDX-License-Identifier: MIT
/*
 * ELF kernels and firmware for the boot loader (loader.c), read with
 * libelf: 64-bit little-endian RISC-V executables only, PT_LOAD segments
 * at their physical addresses (QEMU 7.2 load_elf), .bss zeroed. A kernel
 * linked at virtual addresses outside RAM (vmlinux) is moved to the kernel
 * start; the entry is e_entry translated through its segment, where QEMU
 * jumps to the lowest load address.
 *
 * Untrusted input: the whole file. The identification is checked before
 * libelf sees it (class, data, machine, with a sentence naming what it
 * is instead); segment sizes and address sums are checked for overflow,
 * and at most LOADER_MAX_REGIONS segments are accepted.
 */
#include <errno.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/le.h"
#include "hv/platform/loader_impl.h"

/* ---- ELF ---- */

struct elf_seg {
	uint64_t off, filesz, memsz, paddr, vaddr;
	unsigned index;
};

static const char *elf_machine_name(unsigned em)
{
	switch (em) {
	case EM_386:
		return "i386";
	case EM_X86_64:
		return "x86-64";
	case EM_ARM:
		return "32-bit Arm";
	case EM_AARCH64:
		return "AArch64";
	case EM_PPC:
		return "PowerPC";
	case EM_PPC64:
		return "PowerPC64";
	case EM_MIPS:
		return "MIPS";
	case EM_S390:
		return "s390";
	case EM_SPARCV9:
		return "SPARC64";
	case EM_LOONGARCH:
		return "LoongArch";
	default:
		return "another architecture";
	}
}

/* Checks libelf does not make for us, on the raw identification bytes,
 * so a truncated or foreign file gets a precise sentence. */
static int elf_check_ident(const struct image_file *f, struct hv_err *err)
{
	unsigned em;

	if (f->head_len < EI_NIDENT) {
		hv_err_set(err, "%s: truncated ELF header (%zu bytes)", f->path, f->head_len);
		return -1;
	}
	if (f->head[EI_CLASS] == ELFCLASS32) {
		hv_err_set(err,
			   "%s: is a 32-bit ELF file (ELFCLASS32); the %s must be RV64 "
			   "(ELFCLASS64)",
			   f->path, f->role);
		return -1;
	}
	if (f->head[EI_CLASS] != ELFCLASS64) {
		hv_err_set(err, "%s: bad ELF class %u in the ELF header", f->path,
			   f->head[EI_CLASS]);
		return -1;
	}
	if (f->head[EI_DATA] != ELFDATA2LSB) {
		hv_err_set(err,
			   "%s: is not a little-endian ELF file (EI_DATA %u); RISC-V "
			   "needs ELFDATA2LSB",
			   f->path, f->head[EI_DATA]);
		return -1;
	}
	if (f->head_len < sizeof(Elf64_Ehdr)) {
		hv_err_set(err, "%s: truncated ELF header (%zu of %zu bytes)", f->path, f->head_len,
			   sizeof(Elf64_Ehdr));
		return -1;
	}
	em = le_get16(f->head + offsetof(Elf64_Ehdr, e_machine));
	if (em != EM_RISCV) {
		hv_err_set(err, "%s: is an ELF file for %s (e_machine %u), not RISC-V", f->path,
			   elf_machine_name(em), em);
		return -1;
	}
	return 0;
}

/* Validate the program headers and collect the PT_LOAD segments with
 * memory. Returns the count, or -1 with err. */
static int elf_collect(const struct image_file *f, Elf *elf, struct elf_seg **out,
		       struct hv_err *err)
{
	size_t phnum;
	struct elf_seg *seg;
	int n = 0;

	if (elf_getphdrnum(elf, &phnum) != 0) {
		hv_err_set(err, "%s: bad ELF program header table: %s", f->path, elf_errmsg(-1));
		return -1;
	}
	if (phnum == 0) {
		hv_err_set(err, "%s: the ELF file has no program headers", f->path);
		return -1;
	}
	if (phnum > LOADER_MAX_REGIONS) {
		hv_err_set(err, "%s: the ELF file has %zu program headers, more than %d", f->path,
			   phnum, LOADER_MAX_REGIONS);
		return -1;
	}
	seg = calloc(phnum, sizeof(*seg));
	if (!seg) {
		hv_err_set(err, "%s: out of memory reading the ELF program headers", f->path);
		return -1;
	}
	for (size_t i = 0; i < phnum; i++) {
		GElf_Phdr ph;
		uint64_t end;

		if (!gelf_getphdr(elf, (int)i, &ph)) {
			hv_err_set(err, "%s: cannot read ELF program header %zu: %s", f->path, i,
				   elf_errmsg(-1));
			goto fail;
		}
		if (ph.p_type != PT_LOAD || ph.p_memsz == 0)
			continue;
		if (ph.p_filesz > ph.p_memsz) {
			hv_err_set(err,
				   "%s: ELF segment %zu has p_filesz 0x%llx larger than "
				   "p_memsz 0x%llx",
				   f->path, i, (unsigned long long)ph.p_filesz,
				   (unsigned long long)ph.p_memsz);
			goto fail;
		}
		if (__builtin_add_overflow(ph.p_offset, ph.p_filesz, &end) || end > f->size) {
			hv_err_set(err,
				   "%s: ELF segment %zu data at offset 0x%llx (size 0x%llx) "
				   "extends past the end of the file (size 0x%llx)",
				   f->path, i, (unsigned long long)ph.p_offset,
				   (unsigned long long)ph.p_filesz, (unsigned long long)f->size);
			goto fail;
		}
		if (__builtin_add_overflow(ph.p_paddr, ph.p_memsz, &end) ||
		    __builtin_add_overflow(ph.p_vaddr, ph.p_memsz, &end)) {
			hv_err_set(err,
				   "%s: ELF segment %zu at 0x%llx has size 0x%llx, which "
				   "wraps around the address space",
				   f->path, i, (unsigned long long)ph.p_paddr,
				   (unsigned long long)ph.p_memsz);
			goto fail;
		}
		seg[n].off = ph.p_offset;
		seg[n].filesz = ph.p_filesz;
		seg[n].memsz = ph.p_memsz;
		seg[n].paddr = ph.p_paddr;
		seg[n].vaddr = ph.p_vaddr;
		seg[n].index = (unsigned)i;
		n++;
	}
	if (n == 0) {
		hv_err_set(err, "%s: the ELF file has no loadable segments", f->path);
		goto fail;
	}
	*out = seg;
	return n;
fail:
	free(seg);
	return -1;
}

/*
 * GNU ld puts the ELF and program headers in the first PT_LOAD segment
 * when there is room below the first section, so a program linked with
 * -Ttext=0x80000000 has a segment starting at 0x7ffff000, below RAM. The
 * part below RAM may be dropped if it holds no byte of any allocated
 * section (only headers and padding): QEMU loads the same bytes into
 * unmapped space, where they vanish. Without section headers nothing is
 * dropped.
 */
static void elf_trim_below_ram(const struct loader *l, Elf *elf, struct elf_seg *s)
{
	uint64_t cut = l->ram_base - s->paddr;
	Elf_Scn *scn = NULL;
	size_t nsec = 0;

	if (s->paddr >= l->ram_base || cut >= s->memsz || cut > s->filesz)
		return;
	if (elf_getshdrnum(elf, &nsec) != 0 || nsec == 0)
		return;
	while ((scn = elf_nextscn(elf, scn)) != NULL) {
		GElf_Shdr sh;

		if (!gelf_getshdr(scn, &sh))
			return;
		if (!(sh.sh_flags & SHF_ALLOC) || sh.sh_type == SHT_NOBITS || sh.sh_size == 0)
			continue;
		if (sh.sh_offset < s->off + cut && s->off < sh.sh_offset + sh.sh_size)
			return;
	}
	s->paddr += cut;
	s->vaddr += cut;
	s->off += cut;
	s->filesz -= cut;
	s->memsz -= cut;
}

/*
 * Load an ELF at its physical addresses. A Linux vmlinux is linked at a
 * virtual address in the top half (0xffffffff8...) and its p_paddr may be
 * an offset from 0 rather than a RAM address (the generic linker script's
 * AT(ADDR(x) - LOAD_OFFSET)); when the physical addresses do not fit in
 * RAM and every segment is linked in the top half, the image is moved as
 * a whole to reloc_base, as the equivalent Image would be.
 */
int loader_load_elf(struct loader *l, const struct image_file *f, bool may_reloc, gpa_t reloc_base,
		    struct placed *p)
{
	Elf *elf;
	GElf_Ehdr eh;
	struct elf_seg *seg = NULL;
	char *copy = NULL;
	int n, ret = -1;
	uint64_t delta = 0, lo = UINT64_MAX, hi = 0;
	bool fits = true, high = true;
	gpa_t entry;

	if (elf_check_ident(f, l->err) != 0)
		return -1;
	if (elf_version(EV_CURRENT) == EV_NONE) {
		hv_err_set(l->err, "%s: libelf is unusable: %s", f->path, elf_errmsg(-1));
		return -1;
	}
	if (f->mem) {
		/* elf_memory takes a mutable image (libelf may convert it in
		 * place); ours is the caller's and read-only. */
		copy = malloc(f->size);
		if (!copy) {
			hv_err_set(l->err, "%s: out of host memory reading the ELF file", f->path);
			return -1;
		}
		memcpy(copy, f->mem, f->size);
		elf = elf_memory(copy, f->size);
	} else {
		elf = elf_begin(f->fd, ELF_C_READ, NULL);
	}
	if (!elf || elf_kind(elf) != ELF_K_ELF || !gelf_getehdr(elf, &eh)) {
		hv_err_set(l->err, "%s: malformed ELF file: %s", f->path, elf_errmsg(-1));
		goto out;
	}
	if (eh.e_type != ET_EXEC && eh.e_type != ET_DYN) {
		hv_err_set(l->err, "%s: is not an executable ELF file (e_type %u%s)", f->path,
			   eh.e_type,
			   eh.e_type == ET_REL ? ", a relocatable object: link it first" : "");
		goto out;
	}
	if (eh.e_phnum != 0 && eh.e_phentsize != sizeof(Elf64_Phdr)) {
		hv_err_set(l->err, "%s: bad ELF program header size %u (expected %zu)", f->path,
			   eh.e_phentsize, sizeof(Elf64_Phdr));
		goto out;
	}
	n = elf_collect(f, elf, &seg, l->err);
	if (n < 0)
		goto out;

	for (int i = 0; i < n; i++) {
		elf_trim_below_ram(l, elf, &seg[i]);
		if (!loader_ram_contains(l, seg[i].paddr, seg[i].memsz))
			fits = false;
		if (!(seg[i].vaddr >> 63))
			high = false;
		if (seg[i].paddr < lo)
			lo = seg[i].paddr;
	}
	if (!fits && high && may_reloc)
		delta = reloc_base - lo; /* modular: applied with unsigned wrap */

	lo = UINT64_MAX;
	for (int i = 0; i < n; i++) {
		gpa_t pa = seg[i].paddr + delta;
		char what[48];

		snprintf(what, sizeof(what), "ELF segment %u", seg[i].index);
		if (loader_region_claim(l, f->path, what, pa, seg[i].memsz) != 0)
			goto out;
		if (loader_ram_copy_file(l, f, seg[i].off, pa, seg[i].filesz) != 0 ||
		    loader_ram_zero(l, f->path, pa + seg[i].filesz, seg[i].memsz - seg[i].filesz) !=
			    0)
			goto out;
		if (pa < lo)
			lo = pa;
		if (pa + seg[i].memsz > hi)
			hi = pa + seg[i].memsz;
	}

	entry = eh.e_entry;
	if (!loader_ram_contains(l, entry, 1)) {
		for (int i = 0; i < n; i++) {
			if (entry - seg[i].vaddr < seg[i].memsz) {
				entry = seg[i].paddr + delta + (entry - seg[i].vaddr);
				break;
			}
		}
	}
	if (!loader_ram_contains(l, entry, 1)) {
		hv_err_set(l->err,
			   "%s: the ELF entry point 0x%llx is outside RAM 0x%llx-0x%llx "
			   "and inside no loadable segment",
			   f->path, (unsigned long long)eh.e_entry, (unsigned long long)l->ram_base,
			   (unsigned long long)(l->ram_end - 1));
		goto out;
	}
	p->start = lo;
	p->end = hi;
	p->entry = entry;
	ret = 0;
out:
	free(seg);
	if (elf)
		elf_end(elf);
	free(copy);
	return ret;
}
