// SPDX-License-Identifier: MIT
/*
 * Snapshot speed, measured in-process on a Debian guest booted to its
 * shell, printed as `metric NAME VALUE UNIT` lines, one per repetition
 * (experiments/snapshot-bench takes their median and puts the file
 * figures beside QEMU's migration to a file).
 *
 *   snapbench --kernel K --initrd I [--memory 512M] [--repeat N]
 *
 * Metrics (--repeat samples each, default 5):
 *   take_us          snap_take of the whole machine (freezing RAM: no page
 *                    is copied)
 *   restore_1000_us  snap_restore after the guest's memory had 1,000 pages
 *                    written since the snapshot (written through the same
 *                    path a store takes: each is copied on write)
 *   restore_0_us     snap_restore with nothing written
 *   resets_per_s     the reset loop on a small workload: a bare-metal
 *                    program that writes 16 pages and spins, run for 2,000
 *                    instructions, restored, and again (16 MiB machine)
 *   save_s, file_mb  snapfile_save of the booted guest, and the file's size
 *   load_s           snapfile_open + snapfile_apply into a new machine
 *   state_mb         (once) the guest's non-zero memory, the state a full
 *                    file holds
 * Times come from CLOCK_MONOTONIC around the call alone.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/options.h"
#include "hv/platform/loader.h"
#include "hv/platform/machine.h"
#include "snapshot/file.h"
#include "snapshot/snap.h"

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void die(const char *what, const struct hv_err *err)
{
	fprintf(stderr, "snapbench: %s%s%s\n", what, err ? ": " : "", err ? err->msg : "");
	exit(1);
}

struct prompt {
	struct machine *m;
	const char *text;
	size_t matched;
};

static void prompt_out(void *opaque, const uint8_t *buf, size_t len)
{
	struct prompt *p = opaque;

	for (size_t i = 0; i < len; i++) {
		if (buf[i] == (uint8_t)p->text[p->matched])
			p->matched++;
		else
			p->matched = buf[i] == (uint8_t)p->text[0];
		if (p->text[p->matched] == 0) {
			p->matched = 0;
			machine_stop(p->m, STOP_SHUTDOWN, 0);
		}
	}
}

static struct machine *make(uint64_t ram, enum hv_boot boot)
{
	struct hv_err err = { { 0 } };
	struct machine_config cfg = {
		.ram_size = ram,
		.nharts = 1,
		.boot = boot,
		.bootargs = "console=ttyS0 quiet",
		.rtc_boot_ns = 1767225600ull * 1000000000ull,
		.rng = boot == BOOT_PV,
		.stop_on_panic = true,
	};
	struct machine *m = machine_create(&cfg, &err);

	if (!m)
		die("cannot make a machine", &err);
	return m;
}

static void metric(const char *name, double v, const char *unit)
{
	printf("metric %s %.3f %s\n", name, v, unit);
	fflush(stdout);
}

/* A bare-metal loop: write x0 to 16 pages from 0x80100000 on, then spin. */
static void put_reset_program(struct machine *m)
{
	static const uint32_t code[] = {
		0x00100293, /* li    t0, 1 */
		0x01f29293, /* slli  t0, t0, 31   (0x80000000, not sign-extended) */
		0x00100e37, /* lui   t3, 0x100 */
		0x01c282b3, /* add   t0, t0, t3   (0x80100000) */
		0x01000313, /* li    t1, 16 */
		0x000013b7, /* lui   t2, 0x1 */
		0x0002b023, /* sd    zero, 0(t0) */
		0x007282b3, /* add   t0, t0, t2 */
		0xfff30313, /* addi  t1, t1, -1 */
		0xfe031ae3, /* bnez  t1, -12 */
		0x0000006f, /* j     . */
	};
	if (!machine_write_phys(m, HV_RAM_BASE, code, sizeof(code)))
		die("cannot write the reset program", NULL);
	m->hart[0]->pc = HV_RAM_BASE;
}

int main(int argc, char **argv)
{
	const char *kernel = NULL, *initrd = NULL;
	uint64_t memory = 512ull << 20;
	int repeat = 5;
	struct hv_err err = { { 0 } };

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--kernel") && i + 1 < argc)
			kernel = argv[++i];
		else if (!strcmp(argv[i], "--initrd") && i + 1 < argc)
			initrd = argv[++i];
		else if (!strcmp(argv[i], "--memory") && i + 1 < argc) {
			if (cli_parse_size(argv[++i], &memory, &err))
				die("bad --memory", &err);
		} else if (!strcmp(argv[i], "--repeat") && i + 1 < argc)
			repeat = atoi(argv[++i]) > 0 ? atoi(argv[i]) : 1;
		else
			die("usage: snapbench --kernel K --initrd I [--memory 512M] [--repeat N]",
			    NULL);
	}
	if (!kernel || !initrd)
		die("usage: snapbench --kernel K --initrd I [--memory 512M] [--repeat N]", NULL);

	/* Debian to its shell prompt. */
	struct machine *m = make(memory, BOOT_PV);
	struct loader_opts lo = { .kernel = kernel, .initrd = initrd };
	if (loader_load(m, &lo, &err))
		die("cannot load the guest", &err);
	struct prompt pr = { .m = m, .text = "# " };
	m->console_out = prompt_out;
	m->console_opaque = &pr;
	double t0 = now();
	if (machine_run(m) != STOP_SHUTDOWN)
		die("the guest did not reach its shell", NULL);
	m->stop = STOP_NONE;
	printf("booted to the shell: %llu instructions in %.2f s, %llu MiB RAM\n",
	       (unsigned long long)m->total_insns, now() - t0, (unsigned long long)(memory >> 20));

	for (int r = 0; r < repeat; r++) {
		double a = now();
		struct snap *s = snap_take(m, &err);
		double b = now();
		if (!s)
			die("snap_take", &err);
		metric("take_us", (b - a) * 1e6, "us");
		a = now();
		if (snap_restore(m, s, &err) < 0)
			die("snap_restore", &err);
		b = now();
		metric("restore_0_us", (b - a) * 1e6, "us");
		/* 1,000 distinct pages written since the snapshot, spread over
		 * RAM as a guest's stores would be. */
		for (uint64_t k = 0; k < 1000; k++) {
			uint64_t page = (k * 7919u) % m->ram.npages;
			uint64_t v = k + 1;
			machine_write_phys(m, HV_RAM_BASE + (page << HV_PAGE_SHIFT) + 8 * (k % 512),
					   &v, sizeof(v));
		}
		a = now();
		int64_t n = snap_restore(m, s, &err);
		b = now();
		if (n != 1000)
			die("restore did not put back exactly 1,000 pages", n < 0 ? &err : NULL);
		metric("restore_1000_us", (b - a) * 1e6, "us");
		snap_free(s);
	}

	/* Files: save the booted guest, load it into a new machine. */
	char path[] = "/tmp/snapbench-XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0)
		die("cannot make a temporary file", NULL);
	close(fd);
	uint64_t nonzero = 0;
	for (uint64_t p = 0; p < m->ram.npages; p++) {
		static const uint8_t zero[HV_PAGE_SIZE];
		if (memcmp(m->ram.frame[p], zero, HV_PAGE_SIZE))
			nonzero++;
	}
	metric("state_mb", (double)nonzero * HV_PAGE_SIZE / 1e6, "MB");
	struct snapfile_stats st = { 0 };
	for (int r = 0; r < repeat; r++) {
		double a = now();
		if (snapfile_save(m, path, "retrovisor snapbench\n", NULL, false, &st, &err))
			die("snapfile_save", &err);
		double b = now();
		metric("save_s", b - a, "s");
		metric("file_mb", (double)st.file_bytes / 1e6, "MB");
		struct machine *m2 = make(memory, BOOT_PV);
		a = now();
		struct snapfile *f = snapfile_open(path, &err);
		if (!f || snapfile_apply(f, m2, NULL, &err))
			die("loading the file", &err);
		b = now();
		snapfile_close(f);
		if (machine_digest(m2) != machine_digest(m))
			die("the loaded machine differs from the saved one", NULL);
		machine_destroy(m2);
		metric("load_s", b - a, "s");
	}
	unlink(path);
	machine_destroy(m);

	/* The reset loop on a small workload. */
	struct machine *r = make(16ull << 20, BOOT_BARE);
	put_reset_program(r);
	struct snap *s = snap_take(r, &err);
	if (!s)
		die("snap_take", &err);
	icount_t start = r->total_insns;
	for (int k = 0; k < repeat; k++) {
		const int iters = 20000;
		double a = now();
		for (int i = 0; i < iters; i++) {
			r->cfg.max_insns = start + 2000;
			machine_run(r);
			if (snap_restore(r, s, &err) < 0)
				die("snap_restore", &err);
		}
		metric("resets_per_s", iters / (now() - a), "/s");
	}
	snap_free(s);
	machine_destroy(r);
	return 0;
}
