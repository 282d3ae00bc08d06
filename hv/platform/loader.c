// SPDX-License-Identifier: MIT
/*
 * Boot image loader (see loader.h for the three boot modes).
 *
 * Placement follows QEMU 7.2 hw/riscv/boot.c and hw/riscv/virt.c:
 *
 *   firmware  ELF at its physical addresses, raw at RAM base (0x8000_0000)
 *   kernel    ELF at its physical addresses; Image at RAM base +
 *             text_offset; raw at the "kernel start": 0x8020_0000 in
 *             paravirtual mode, RAM base with --bios none, and the
 *             firmware's end rounded up to 2 MiB with --bios FILE
 *             (riscv_calc_kernel_start_addr), which is 0x8020_0000 for
 *             OpenSBI
 *   initrd    kernel start + min(RAM size / 2, 128 MiB) (riscv_load_initrd)
 *   DTB       min(RAM end, 3 GiB) - DTB size, rounded down to 2 MiB
 *             (riscv_load_fdt)
 *   fw info   OpenSBI's struct fw_dynamic_info, 64 bytes below the DTB
 *             (QEMU keeps it in the reset ROM, which this machine lacks)
 *
 * Two deliberate differences from QEMU: the entry of an ELF kernel is its
 * e_entry (translated through the segment's p_vaddr -> load address when
 * it is a virtual address outside RAM), where QEMU jumps to the lowest
 * load address; and overlapping pieces are an error here, where QEMU
 * silently lets the later one win.
 *
 * An initrd must be an initramfs Linux can unpack: cpio archives, the
 * later ones possibly compressed (initrd.c checks it once it is in RAM).
 *
 * Untrusted input: every byte of every file. All offsets, sizes and
 * address sums are checked for overflow before use; nothing is written to
 * guest RAM outside [RAM base, RAM end).
 *
 * This file places the pieces (Linux Image and raw kernels, the initrd,
 * the device tree, OpenSBI's fw_dynamic_info) and sets up the harts;
 * loader_file.c opens and recognises image files and claims guest RAM,
 * loader_elf.c loads ELF files, loader_impl.h is what the three share.
 */
#include "hv/platform/loader.h"

#include <stdlib.h>
#include <string.h>

#include "base/le.h"
#include "hv/platform/fdt.h"
#include "hv/platform/initrd.h"
#include "hv/platform/loader_impl.h"

enum hv_boot loader_boot_mode(const char *bios)
{
	if (!bios)
		return BOOT_PV;
	if (strcmp(bios, "none") == 0)
		return BOOT_BARE;
	return BOOT_BIOS;
}

/* ---- Image and raw ---- */

static int loader_load_blob(struct loader *l, const struct image_file *f, gpa_t at,
			    uint64_t reserve, struct placed *p)
{
	if (loader_region_claim(l, f->path, f->role, at, reserve) != 0 ||
	    loader_ram_copy_file(l, f, 0, at, f->size) != 0)
		return -1;
	p->start = at;
	p->end = at + reserve;
	p->entry = at;
	return 0;
}

/*
 * Linux RISC-V Image: loaded at RAM base + text_offset (but never below
 * the mode's kernel start, i.e. over firmware). image_size is the memory
 * the kernel uses from its load address (text, data and bss), which can
 * be more than the file; 0 means an old header without it.
 */
static int loader_load_image(struct loader *l, const struct image_file *f, gpa_t kstart,
			     struct placed *p)
{
	uint64_t text_offset, image_size, flags, reserve;
	gpa_t at;

	if (f->head_len < IMAGE_HDR_SIZE) {
		hv_err_set(l->err, "%s: truncated Linux Image header (%zu of %d bytes)", f->path,
			   f->head_len, IMAGE_HDR_SIZE);
		return -1;
	}
	text_offset = le_get64(f->head + 8);
	image_size = le_get64(f->head + 16);
	flags = le_get64(f->head + 24);
	if (flags & IMAGE_FLAG_BE) {
		hv_err_set(l->err,
			   "%s: is a big-endian Linux Image; RISC-V guests here are "
			   "little-endian",
			   f->path);
		return -1;
	}
	if (text_offset >= l->ram_end - l->ram_base) {
		hv_err_set(l->err,
			   "%s: Linux Image text_offset 0x%llx is beyond RAM (size "
			   "0x%llx)",
			   f->path, (unsigned long long)text_offset,
			   (unsigned long long)(l->ram_end - l->ram_base));
		return -1;
	}
	at = l->ram_base + text_offset;
	if (at < kstart)
		at = kstart;
	reserve = image_size > f->size ? image_size : f->size;
	if (!loader_ram_contains(l, at, reserve)) {
		hv_err_set(l->err,
			   "%s: the Linux Image needs 0x%llx bytes at 0x%llx (image_size "
			   "0x%llx) but RAM ends at 0x%llx; use a larger --memory",
			   f->path, (unsigned long long)reserve, (unsigned long long)at,
			   (unsigned long long)image_size, (unsigned long long)(l->ram_end - 1));
		return -1;
	}
	return loader_load_blob(l, f, at, reserve, p);
}

/* Load a kernel or firmware file of any bootable format. raw_at is where
 * a raw binary goes; a kernel ELF may be relocated there (vmlinux). */
static int loader_load_file(struct loader *l, const char *path, const struct loader_image *img,
			    const char *role, gpa_t raw_at, bool is_kernel, struct placed *p,
			    int *format)
{
	struct image_file f;
	int fmt, ret = -1;

	if (loader_image_open(&f, path, img, role, l->err) != 0)
		return -1;
	fmt = loader_classify(&f, l->err);
	if (fmt == LOADER_FMT_ELF)
		ret = loader_load_elf(l, &f, is_kernel, raw_at, p);
	else if (fmt == LOADER_FMT_IMAGE && is_kernel)
		ret = loader_load_image(l, &f, raw_at, p);
	else if (fmt > 0)
		ret = loader_load_blob(l, &f, raw_at, f.size, p);
	loader_image_close(&f);
	*format = fmt;
	return ret;
}

struct initrd_ram {
	struct machine *m;
	gpa_t base;
};

static bool initrd_ram_read(void *opaque, uint64_t off, void *buf, size_t len)
{
	const struct initrd_ram *r = opaque;

	return machine_read_phys(r->m, r->base + off, buf, len);
}

static int loader_load_initrd(struct loader *l, const char *path, const struct loader_image *img,
			      gpa_t kernel_start, struct placed *p)
{
	struct image_file f;
	uint64_t ram_size = l->ram_end - l->ram_base;
	uint64_t off = ram_size / 2 < LOADER_INITRD_MAX_OFF ? ram_size / 2 : LOADER_INITRD_MAX_OFF;
	gpa_t at = kernel_start + off;
	int ret = -1;

	if (loader_image_open(&f, path, img, "initrd", l->err) != 0)
		return -1;
	path = f.path;
	if (!loader_ram_contains(l, at, f.size)) {
		hv_err_set(l->err,
			   "%s: the initrd (size 0x%llx) does not fit in RAM at 0x%llx "
			   "(RAM ends at 0x%llx); use a larger --memory",
			   path, (unsigned long long)f.size, (unsigned long long)at,
			   (unsigned long long)(l->ram_end - 1));
		goto out;
	}
	if (loader_region_claim(l, path, "initrd", at, f.size) != 0 ||
	    loader_ram_copy_file(l, &f, 0, at, f.size) != 0)
		goto out;
	struct initrd_ram src = { l->m, at };
	if (initrd_check(path, f.size, initrd_ram_read, &src, l->err) != 0)
		goto out;
	p->start = at;
	p->end = at + f.size;
	p->entry = 0;
	ret = 0;
out:
	loader_image_close(&f);
	return ret;
}

/* ---- device tree, firmware handoff, harts ---- */

static int loader_place_dtb(struct loader *l, gpa_t *addr)
{
	struct machine *m = l->m;
	gpa_t top = l->ram_end;
	gpa_t at;

	if (l->ram_base < LOADER_DTB_LIMIT && top > LOADER_DTB_LIMIT)
		top = LOADER_DTB_LIMIT;
	if (!m->fdt || m->fdt_size == 0 || m->fdt_size > top - l->ram_base) {
		hv_err_set(l->err, "device tree: the blob (size 0x%zx) does not fit below 0x%llx",
			   m->fdt_size, (unsigned long long)top);
		return -1;
	}
	at = loader_align_down(top - m->fdt_size, LOADER_ALIGN_2M);
	if (at < l->ram_base) {
		hv_err_set(l->err,
			   "device tree: no 2 MiB-aligned room for the blob (size "
			   "0x%zx) in RAM 0x%llx-0x%llx",
			   m->fdt_size, (unsigned long long)l->ram_base,
			   (unsigned long long)(l->ram_end - 1));
		return -1;
	}
	if (loader_region_claim(l, NULL, "device tree", at, m->fdt_size) != 0 ||
	    loader_ram_write(l, NULL, at, m->fdt, m->fdt_size) != 0)
		return -1;
	m->dtb_addr = at;
	*addr = at;
	return 0;
}

/* OpenSBI fw_dynamic_info, version 2: tells the firmware where the next
 * stage is and in which mode to enter it. QEMU fills it the same way
 * (riscv_rom_copy_firmware_info): boot hart 0, no options. */
static int loader_place_fw_dyn(struct loader *l, gpa_t dtb, gpa_t next, gpa_t *addr)
{
	uint8_t info[LOADER_FW_DYN_SIZE];
	gpa_t at = dtb - 64;

	le_put64(info + 0, LOADER_FW_DYN_MAGIC);
	le_put64(info + 8, LOADER_FW_DYN_VERSION);
	le_put64(info + 16, next);
	le_put64(info + 24, LOADER_FW_DYN_NEXT_MODE_S);
	le_put64(info + 32, 0);
	le_put64(info + 40, 0);
	if (dtb < l->ram_base + 64) {
		hv_err_set(l->err,
			   "device tree: no room for the firmware handoff info below "
			   "it at 0x%llx",
			   (unsigned long long)dtb);
		return -1;
	}
	if (loader_region_claim(l, NULL, "firmware handoff info", at, sizeof(info)) != 0 ||
	    loader_ram_write(l, NULL, at, info, sizeof(info)) != 0)
		return -1;
	*addr = at;
	return 0;
}

/*
 * Hart registers at the first instruction, as QEMU's reset vector leaves
 * them: a0 = mhartid, a1 = DTB, a2 = fw_dynamic_info (firmware mode).
 * Paravirtual: the SBI spec's boot protocol — only the boot hart runs, in
 * S-mode; the others wait in HSM STOPPED until sbi_hart_start.
 */
static void loader_setup_harts(struct machine *m, enum hv_boot boot, gpa_t pc, gpa_t dtb,
			       gpa_t fw_dyn)
{
	for (unsigned i = 0; i < m->nharts; i++) {
		struct hart *h = m->hart[i];

		h->pc = pc;
		h->x[10] = i;
		h->x[11] = dtb;
		if (boot == BOOT_BIOS)
			h->x[12] = fw_dyn;
		if (boot == BOOT_PV) {
			h->priv = PRIV_S;
			h->hsm = i == 0 ? HSM_STARTED : HSM_STOPPED;
		} else {
			h->priv = PRIV_M;
			h->hsm = HSM_STARTED;
		}
		hart_flush_tlb(h);
	}
}

int loader_load(struct machine *m, const struct loader_opts *o, struct hv_err *err)
{
	struct loader l = { .m = m, .err = err };
	enum hv_boot boot = loader_boot_mode(o->bios);
	struct loader_info info = { 0 };
	struct placed fw = { 0 }, k = { 0 }, rd = { 0 };
	gpa_t kstart, dtb = 0, fw_dyn = 0;
	const char *kernel = o->kernel_mem ? o->kernel_mem->name : o->kernel;
	int fmt, ret = -1;

	if (!kernel) {
		hv_err_set(err, "no kernel given; name one with --kernel");
		return -1;
	}
	if (m->cfg.boot != boot) {
		hv_err_set(err,
			   "%s: the machine was created for another boot mode than "
			   "--bios asks for",
			   kernel);
		return -1;
	}
	l.ram_base = m->ram.base;
	l.ram_end = m->ram.base + m->ram.size;
	l.reg = calloc(LOADER_MAX_REGIONS, sizeof(*l.reg));
	l.buf = malloc(LOADER_CHUNK);
	if (!l.reg || !l.buf) {
		hv_err_set(err, "%s: out of host memory while loading", kernel);
		goto out;
	}

	switch (boot) {
	case BOOT_PV:
		kstart = LOADER_KERNEL_ADDR;
		break;
	case BOOT_BARE:
		kstart = l.ram_base;
		break;
	default:
		if (loader_load_file(&l, o->bios, NULL, "firmware", l.ram_base, false, &fw, &fmt) !=
		    0)
			goto out;
		/* riscv_calc_kernel_start_addr: RV64 kernels are 2 MiB aligned. */
		kstart = loader_align_up(fw.end, LOADER_ALIGN_2M);
		break;
	}
	if (loader_load_file(&l, o->kernel, o->kernel_mem, "kernel", kstart, true, &k, &fmt) != 0)
		goto out;
	info.kernel_format = (enum loader_format)fmt;
	if ((o->initrd || o->initrd_mem) &&
	    loader_load_initrd(&l, o->initrd, o->initrd_mem, k.start, &rd) != 0)
		goto out;
	if (fdt_build(m, rd.start, rd.end, err) != 0 || loader_place_dtb(&l, &dtb) != 0)
		goto out;
	if (boot == BOOT_BIOS && loader_place_fw_dyn(&l, dtb, k.entry, &fw_dyn) != 0)
		goto out;
	loader_setup_harts(m, boot, boot == BOOT_BIOS ? fw.entry : k.entry, dtb, fw_dyn);

	info.kernel_start = k.start;
	info.kernel_end = k.end;
	info.kernel_entry = k.entry;
	info.fw_start = fw.start;
	info.fw_end = fw.end;
	info.fw_entry = fw.entry;
	info.fw_dyn_addr = fw_dyn;
	info.initrd_start = rd.start;
	info.initrd_end = rd.end;
	info.dtb_addr = dtb;
	info.dtb_size = m->fdt_size;
	if (o->info)
		*o->info = info;
	ret = 0;
out:
	free(l.reg);
	free(l.buf);
	return ret;
}
