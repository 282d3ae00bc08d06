/* SPDX-License-Identifier: MIT */
/*
 * Boot image loader: puts the kernel, the optional initrd, the optional
 * firmware and the device tree into guest RAM and sets up every hart's
 * registers the way QEMU 7.2's `virt` machine does (hw/riscv/boot.c), so
 * that one image boots the same way on both.
 *
 * Boot modes (chosen by --bios, see loader_boot_mode):
 *
 *   paravirtual  (bios NULL)    kernel in S-mode, the hypervisor is the SBI
 *   firmware     (bios FILE)    firmware in M-mode at RAM base, kernel next
 *   bare         (bios "none")  kernel in M-mode, no firmware
 *
 * Every file is untrusted: the loader checks sizes, offsets and address
 * arithmetic for overflow and refuses anything that does not fit in RAM,
 * with one sentence that names the file and the problem.
 */
#ifndef HV_LOADER_H
#define HV_LOADER_H

#include "hv/platform/machine.h"
#include "hv/types.h"

/* Where QEMU 7.2 puts a raw RV64 kernel when firmware occupies the start
 * of RAM (KERNEL_BOOT_ADDRESS, the OpenSBI fw_jump default). */
#define LOADER_KERNEL_ADDR 0x80200000ull

/* OpenSBI's fw_dynamic handoff (opensbi include/sbi/fw_dynamic.h). RV64:
 * every field is a little-endian unsigned long. a2 points at it. */
#define LOADER_FW_DYN_MAGIC 0x4942534full /* "OSBI" */
#define LOADER_FW_DYN_VERSION 2ull
#define LOADER_FW_DYN_NEXT_MODE_S 1ull
#define LOADER_FW_DYN_SIZE \
	48ull /* magic, version, next_addr, next_mode,
				  * options, boot_hart: 6 x u64 */

struct loader_info;

/* An image held in memory instead of a file (an embedder, the fuzz
 * targets): the same checks and placement as for a file with these
 * bytes, and messages that call it name. The bytes are only read, and
 * only during loader_load. */
struct loader_image {
	const char *name;
	const void *data;
	size_t size;
};

struct loader_opts {
	const char *kernel; /* required, unless kernel_mem */
	const char *initrd; /* NULL: none */
	const char *bios;   /* NULL: paravirtual; "none": bare; else a file */
	/* Optional: used in place of the kernel and initrd files. */
	const struct loader_image *kernel_mem;
	const struct loader_image *initrd_mem;
	/* Optional: filled with where everything went (tests, tracing). */
	struct loader_info *info;
};

enum loader_format {
	LOADER_FMT_ELF = 1,
	LOADER_FMT_IMAGE, /* Linux RISC-V Image (boot-image-header.rst) */
	LOADER_FMT_RAW,
};

struct loader_info {
	enum loader_format kernel_format;
	gpa_t kernel_start, kernel_end; /* lowest and past-highest byte */
	gpa_t kernel_entry;
	gpa_t fw_start, fw_end, fw_entry; /* zero without firmware */
	gpa_t fw_dyn_addr;                /* zero without firmware */
	gpa_t initrd_start, initrd_end;   /* zero without initrd */
	gpa_t dtb_addr;
	size_t dtb_size;
};

/* The boot mode that --bios selects: NULL -> BOOT_PV, "none" -> BOOT_BARE,
 * anything else -> BOOT_BIOS. main puts it in machine_config.boot. */
enum hv_boot loader_boot_mode(const char *bios);

/* Load everything and set up the harts. m must be freshly created with
 * cfg.boot == loader_boot_mode(o->bios). Builds the device tree with
 * fdt_build. Returns 0, or -1 with a sentence in err naming the file. */
int loader_load(struct machine *m, const struct loader_opts *o, struct hv_err *err);

#endif
