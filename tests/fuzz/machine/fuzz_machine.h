/* SPDX-License-Identifier: MIT */
/*
 * The machine the device fuzz targets (tests/fuzz/machine) drive: built
 * through machine_create as the command line builds one, bare boot, one
 * hart, FUZZ_RAM of RAM, every device of the virt platform plus
 * virtio-blk on a small temporary disk image (snapshot=on, so writes stay
 * in the overlay and every input starts from the same disk), virtio-net
 * without a host network (the replay backend: frames the guest sends go
 * nowhere, frames come only from the harness) and virtio-rng.
 *
 * Slots are filled as machine.c fills them, from the highest down:
 * blk in 7, net in 6, rng in 5, empty placeholders in 0..4.
 *
 * The guest's logs (rate-limited lines on stderr) are silenced unless
 * FUZZ_LOG=1 is in the environment: the sanitizers and libFuzzer write to
 * their own descriptors and copies of stderr, which stay as they were.
 */
#ifndef TESTS_FUZZ_MACHINE_FUZZ_MACHINE_H
#define TESTS_FUZZ_MACHINE_FUZZ_MACHINE_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/err.h"
#include "hv/platform/machine.h"
#include "hv/dev/backend/net_slirp.h"

#define FUZZ_RAM (1u << 20)
#define FUZZ_DISK_SIZE (64u << 10)
#define FUZZ_BLK_SLOT 7u
#define FUZZ_NET_SLOT 6u
#define FUZZ_RNG_SLOT 5u
/* Guest code (a counting loop) at RAM base; the rest of RAM is the
 * harness's to write (rings, tables, buffers). */
#define FUZZ_CODE HV_RAM_BASE
#define FUZZ_DMA (HV_RAM_BASE + 0x1000u)

static char fuzz_disk_path[256];

static inline void fuzz_disk_remove(void)
{
	if (fuzz_disk_path[0])
		unlink(fuzz_disk_path);
}

/* The disk image, made once per process: a recognisable pattern so reads
 * return something other than zeros. */
static inline const char *fuzz_disk(void)
{
	const char *tmp = getenv("TEST_TMPDIR");
	uint8_t buf[FUZZ_DISK_SIZE];
	int fd;

	if (fuzz_disk_path[0])
		return fuzz_disk_path;
	snprintf(fuzz_disk_path, sizeof(fuzz_disk_path), "%s/fuzz-disk.XXXXXX", tmp ? tmp : "/tmp");
	fd = mkstemp(fuzz_disk_path);
	if (fd < 0)
		abort();
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 7 + (i >> 9));
	if (write(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf))
		abort();
	close(fd);
	atexit(fuzz_disk_remove);
	return fuzz_disk_path;
}

static inline void fuzz_quiet(void)
{
	static FILE *null;
	const char *log = getenv("FUZZ_LOG");

	if ((log && log[0] == '1') || null)
		return;
	null = fopen("/dev/null", "w");
	if (null)
		stderr = null;
}

/* A finding of the harness's own checks: say what, then crash so
 * libFuzzer keeps the input. */
static inline void fuzz_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static inline void fuzz_fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stdout, fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
	abort();
}

static inline void fuzz_console_sink(void *opaque, const uint8_t *buf, size_t len)
{
	(void)opaque;
	(void)buf;
	(void)len;
}

/* A counting loop (addi t0, t0, 1; jal x0, -4) at FUZZ_CODE, and a
 * waiting one (wfi; jal x0, -4) at FUZZ_CODE_WFI. The hart runs in M-mode
 * with interrupts globally off but enabled in mie, so WFI wakes up for
 * any device or timer interrupt and the loop goes on without a trap. */
#define FUZZ_CODE_WFI (FUZZ_CODE + 0x40u)
static const uint32_t fuzz_code[] = { 0x00128293u, 0xffdff06fu };
static const uint32_t fuzz_code_wfi[] = { 0x10500073u, 0xffdff06fu };

static inline void fuzz_place_code(struct machine *m)
{
	struct hart *h = m->hart[0];

	machine_write_phys(m, FUZZ_CODE, fuzz_code, sizeof(fuzz_code));
	machine_write_phys(m, FUZZ_CODE_WFI, fuzz_code_wfi, sizeof(fuzz_code_wfi));
	h->pc = FUZZ_CODE;
	h->mie = MIP_MSIP | MIP_MTIP | MIP_MEIP | MIP_SEIP;
}

static inline struct machine *fuzz_machine_new(void)
{
	static struct net_opts net;
	struct machine_drive drive = { .file = fuzz_disk(), .snapshot = true };
	struct machine_config cfg;
	struct hv_err err = { 0 };
	struct machine *m;

	fuzz_quiet();
	net_opts_init(&net);
	net.mode = NET_USER;
	memset(&cfg, 0, sizeof(cfg));
	cfg.ram_size = FUZZ_RAM;
	cfg.nharts = 1;
	cfg.boot = BOOT_BARE;
	cfg.quantum = 64;
	cfg.rtc_boot_ns = 1700000000ull * 1000000000ull;
	cfg.replaying = true; /* virtio-net without slirp */
	cfg.net = &net;
	cfg.drives = &drive;
	cfg.ndrives = 1;
	cfg.rng = true;
	cfg.rng_seed = 42;
	m = machine_create(&cfg, &err);
	if (!m) {
		fprintf(stdout, "fuzz: machine_create: %s\n", err.msg);
		abort();
	}
	m->console_out = fuzz_console_sink;
	fuzz_place_code(m);
	return m;
}

/* Run about n instructions (rounds end, so the boundary work runs: the
 * RTC's alarm, console input, frames for the guest). Returns false once
 * the machine stopped for good (poweroff, reboot, host error). */
static inline bool fuzz_run(struct machine *m, uint64_t n)
{
	m->cfg.max_insns = m->total_insns + n;
	machine_run(m);
	if (m->stop == STOP_MAX_INSNS || m->stop == STOP_DEADLOCK) {
		m->stop = STOP_NONE;
		m->cfg.max_insns = 0;
		return true;
	}
	return m->stop == STOP_NONE;
}

/* The device whose window starts at base. */
static inline struct hv_dev *fuzz_dev_at(struct machine *m, gpa_t base)
{
	for (unsigned i = 0; i < m->ndev; i++)
		if (m->dev[i]->base == base)
			return m->dev[i];
	return NULL;
}

static inline void fuzz_w32(struct machine *m, gpa_t pa, uint32_t v)
{
	bus_write(m, pa, 4, v);
}

static inline uint64_t fuzz_r(struct machine *m, gpa_t pa, unsigned size)
{
	uint64_t v = 0;

	bus_read(m, pa, size, &v);
	return v;
}

/* A driver's initialisation of the virtio device in slot (virtio 1.2
 * 3.1.1): features VERSION_1 only, every queue of size qsize with its
 * rings in the 16 KiB at ring_base (queue q at + q * 0x1000: descriptors
 * at +0, available ring at +0x100, used ring at +0x200), DRIVER_OK. */
static inline void fuzz_virtio_init(struct machine *m, unsigned slot, unsigned nq, unsigned qsize,
				    gpa_t ring_base)
{
	gpa_t b = HV_VIRTIO_BASE + slot * HV_VIRTIO_STRIDE;

	fuzz_w32(m, b + 0x070, 0);
	fuzz_w32(m, b + 0x070, 1);
	fuzz_w32(m, b + 0x070, 3);
	fuzz_w32(m, b + 0x024, 1);
	fuzz_w32(m, b + 0x020, 1);
	fuzz_w32(m, b + 0x024, 0);
	fuzz_w32(m, b + 0x020, 0);
	fuzz_w32(m, b + 0x070, 0xb);
	for (unsigned q = 0; q < nq; q++) {
		gpa_t r = ring_base + q * 0x1000u;

		fuzz_w32(m, b + 0x030, q);
		fuzz_w32(m, b + 0x038, qsize);
		fuzz_w32(m, b + 0x080, (uint32_t)r);
		fuzz_w32(m, b + 0x084, (uint32_t)(r >> 32));
		fuzz_w32(m, b + 0x090, (uint32_t)(r + 0x100));
		fuzz_w32(m, b + 0x094, (uint32_t)((r + 0x100) >> 32));
		fuzz_w32(m, b + 0x0a0, (uint32_t)(r + 0x200));
		fuzz_w32(m, b + 0x0a4, (uint32_t)((r + 0x200) >> 32));
		fuzz_w32(m, b + 0x044, 1);
	}
	fuzz_w32(m, b + 0x070, 0xf);
}

/* Descriptor i of the table at desc (split ring, 2.7.5). */
static inline void fuzz_desc(struct machine *m, gpa_t desc, unsigned i, gpa_t addr, uint32_t len,
			     uint16_t flags, uint16_t next)
{
	uint8_t d[16];

	for (unsigned k = 0; k < 8; k++)
		d[k] = (uint8_t)(addr >> (8 * k));
	for (unsigned k = 0; k < 4; k++)
		d[8 + k] = (uint8_t)(len >> (8 * k));
	d[12] = (uint8_t)flags;
	d[13] = (uint8_t)(flags >> 8);
	d[14] = (uint8_t)next;
	d[15] = (uint8_t)(next >> 8);
	machine_write_phys(m, desc + 16ull * i, d, sizeof(d));
}

/* Make head available as entry idx - 1 and publish idx (2.7.13). */
static inline void fuzz_avail(struct machine *m, gpa_t avail, unsigned qsize, uint16_t idx,
			      uint16_t head)
{
	uint8_t h[2] = { (uint8_t)head, (uint8_t)(head >> 8) };
	uint8_t i[2] = { (uint8_t)idx, (uint8_t)(idx >> 8) };

	machine_write_phys(m, avail + 4 + 2ull * ((uint16_t)(idx - 1) % qsize), h, 2);
	machine_write_phys(m, avail + 2, i, 2);
}

#endif
