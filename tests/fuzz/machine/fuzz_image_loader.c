// SPDX-License-Identifier: MIT
/*
 * Fuzz target: the kernel image loader (hv/platform/loader.c: ELF, Linux Image,
 * raw, through its in-memory entry point, struct loader_image) and the
 * initramfs check (hv/platform/initrd.c).
 *
 * Input: byte 0 selects
 *   bits 0-1  the format: 0 as detected; 1 ELF, 2 Image, 3 raw, made so
 *             by writing the format's magic into the image (or removing
 *             every other format's)
 *   bits 2-3  the boot mode: paravirtual, bare, firmware (a small raw
 *             firmware from a file), paravirtual
 *   bit 4     the image is also given as the initrd
 *   bit 5     16 MiB of RAM instead of 4
 *   bit 6     also load the same bytes from a file into a second machine:
 *             the result, its message and guest RAM must be the same
 * the rest is the image. initrd_check runs on it too.
 *
 * Checked beyond the sanitizers: a successful load puts the kernel, its
 * entry point and the device tree inside RAM; a refusal has a message.
 */
#include <fcntl.h>
#include <unistd.h>

#include "base/err.h"
#include "hv/platform/initrd.h"
#include "hv/platform/loader.h"
#include "hv/platform/machine.h"
#include "tests/fuzz/fuzz.h"
#include "tests/fuzz/machine/fuzz_machine.h"

#define ELF_MAGIC \
	"\x7f"    \
	"ELF"
#define IMAGE_MAGIC "RISCV\0\0\0"

static char fw_path[256], file_path[256];

static void remove_files(void)
{
	if (fw_path[0])
		unlink(fw_path);
	if (file_path[0])
		unlink(file_path);
}

static void write_file(const char *path, const void *p, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if (fd < 0 || (n && write(fd, p, n) != (ssize_t)n))
		abort();
	close(fd);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tmp = getenv("TEST_TMPDIR");
	/* The firmware: wfi; j . */
	static const uint32_t fw[] = { 0x10500073u, 0x0000006fu };

	(void)argc;
	(void)argv;
	fuzz_quiet();
	snprintf(fw_path, sizeof(fw_path), "%s/fuzz-fw-%d.bin", tmp ? tmp : "/tmp", (int)getpid());
	snprintf(file_path, sizeof(file_path), "%s/fuzz-kernel-%d", tmp ? tmp : "/tmp",
		 (int)getpid());
	write_file(fw_path, fw, sizeof(fw));
	atexit(remove_files);
	return 0;
}

static bool buf_read(void *opaque, uint64_t off, void *buf, size_t len)
{
	const struct loader_image *img = opaque;

	if (off > img->size || len > img->size - off)
		return false;
	memcpy(buf, (const uint8_t *)img->data + off, len);
	return true;
}

/* Make the image one the classifier takes for the chosen format. */
static size_t force_format(uint8_t *p, size_t n, unsigned fmt)
{
	switch (fmt) {
	case 1:
		if (n < 4)
			n = 4;
		memcpy(p, ELF_MAGIC, 4);
		break;
	case 2:
		if (n < 64)
			n = 64;
		if (p[0] == 0x7f)
			p[0] = 0;
		memcpy(p + 48, IMAGE_MAGIC, 8);
		break;
	case 3:
		if (n < 1)
			n = 1;
		p[0] = 0; /* no signature and not text */
		if (n > 48)
			p[48] = 0;
		if (n > 56)
			p[56] = 0;
		break;
	default:
		break;
	}
	return n;
}

static struct machine *new_machine(uint64_t ram, enum hv_boot boot)
{
	struct machine_config cfg;
	struct hv_err err = { 0 };
	struct machine *m;

	memset(&cfg, 0, sizeof(cfg));
	cfg.ram_size = ram;
	cfg.nharts = 1;
	cfg.boot = boot;
	m = machine_create(&cfg, &err);
	if (!m)
		fuzz_fail("machine_create: %s", err.msg);
	m->console_out = fuzz_console_sink;
	return m;
}

static bool same_info(const struct loader_info *a, const struct loader_info *b)
{
	return a->kernel_format == b->kernel_format && a->kernel_start == b->kernel_start &&
	       a->kernel_end == b->kernel_end && a->kernel_entry == b->kernel_entry &&
	       a->fw_start == b->fw_start && a->fw_end == b->fw_end && a->fw_entry == b->fw_entry &&
	       a->fw_dyn_addr == b->fw_dyn_addr && a->initrd_start == b->initrd_start &&
	       a->initrd_end == b->initrd_end && a->dtb_addr == b->dtb_addr &&
	       a->dtb_size == b->dtb_size;
}

static void check_loaded(const struct machine *m, const struct loader_info *in)
{
	gpa_t lo = m->ram.base, hi = m->ram.base + m->ram.size;

	if (in->kernel_start < lo || in->kernel_end > hi || in->kernel_start > in->kernel_end ||
	    in->kernel_entry < lo || in->kernel_entry >= hi || in->dtb_addr < lo ||
	    in->dtb_addr + in->dtb_size > hi)
		fuzz_fail("loaded outside RAM: kernel 0x%llx-0x%llx entry 0x%llx dtb 0x%llx",
			  (unsigned long long)in->kernel_start, (unsigned long long)in->kernel_end,
			  (unsigned long long)in->kernel_entry, (unsigned long long)in->dtb_addr);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t img_buf[1 << 20];
	static const char *const bios_of[4] = { NULL, "none", fw_path, NULL };
	struct loader_image img = { file_path, img_buf, 0 };
	struct loader_info info, info2;
	struct loader_opts o = { 0 };
	struct hv_err err = { 0 }, err2 = { 0 };
	struct machine *m, *m2;
	unsigned sel;
	uint64_t ram;
	int ret, ret2;

	if (size < 1 || size - 1 > sizeof(img_buf) - 64)
		return 0;
	sel = data[0];
	memset(img_buf, 0, 64);
	memcpy(img_buf, data + 1, size - 1);
	img.size = force_format(img_buf, size - 1, sel & 3);
	ram = (sel & 0x20) ? 16u << 20 : 4u << 20;

	if (initrd_check(img.name, img.size, buf_read, &img, &err) != 0 && !err.msg[0])
		fuzz_fail("initrd_check refused without a message");

	o.bios = bios_of[(sel >> 2) & 3];
	o.kernel_mem = &img;
	if (sel & 0x10)
		o.initrd_mem = &img;
	o.info = &info;
	m = new_machine(ram, loader_boot_mode(o.bios));
	memset(&err, 0, sizeof(err));
	ret = loader_load(m, &o, &err);
	if (ret == 0)
		check_loaded(m, &info);
	else if (!err.msg[0])
		fuzz_fail("loader_load refused without a message");

	if (sel & 0x40) {
		/* The same bytes from a file: the same outcome. */
		write_file(file_path, img_buf, img.size);
		o.kernel_mem = o.initrd_mem = NULL;
		o.kernel = file_path;
		o.initrd = (sel & 0x10) ? file_path : NULL;
		o.info = &info2;
		m2 = new_machine(ram, loader_boot_mode(o.bios));
		ret2 = loader_load(m2, &o, &err2);
		if (ret2 != ret || strcmp(err.msg, err2.msg) != 0)
			fuzz_fail("memory and file loads differ: %d '%s' / %d '%s'", ret, err.msg,
				  ret2, err2.msg);
		if (ret == 0 &&
		    (!same_info(&info, &info2) || machine_digest(m) != machine_digest(m2)))
			fuzz_fail("memory and file loads put different things in the machine");
		machine_destroy(m2);
	}
	if (ret == 0)
		fuzz_run(m, 200);
	machine_destroy(m);
	return 0;
}
