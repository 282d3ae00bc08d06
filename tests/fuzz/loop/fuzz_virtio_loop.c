// SPDX-License-Identifier: MIT
/*
 * Fuzz target virtio_loop: the project's reset loop as a fuzzer, with
 * coverage from the host side. A real machine, built from `run` options
 * by the CLI's own code (two drives with copy-on-write overlays, a NIC on
 * user networking, the entropy device), boots the guest vfuzz.elf
 * (vfuzz.c) to its SNAPSHOT request; the harness takes the loop's
 * in-memory snapshot there. Each input is then one iteration of
 * `retrovisor loop`: restore (only what the last iteration wrote comes
 * back), hand the input to the guest's GET_INPUT, run until the guest's
 * END_ITERATION or an instruction budget. The guest turns the input into
 * virtio-mmio register accesses, descriptor chains, indirect tables and
 * queue resets; libFuzzer sees the coverage of hv/'s virtio transport and
 * devices, slirp glue and disk overlay, under ASan and UBSan.
 *
 * The guest comes from RV_FUZZ_GUEST (the _fuzz_test sets it; by hand:
 * RV_FUZZ_GUEST=bazel-bin/tests/fuzz/loop/vfuzz.elf). Every iteration is
 * deterministic, so a finding reproduces with `retrovisor loop --restore`
 * of the same start and `--input FILE` as well as with this binary.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <retrovisor/pv.h>

#include "cli/main.h"
#include "cli/options.h"
#include "cli/snapshot.h"
#include "hv/platform/loader.h"
#include "hv/platform/machine.h"
#include "hv/platform/sbi.h"
#include "hv/dev/virtio/virtio_net.h"
#include "snapshot/requests.h"
#include "snapshot/snap.h"
#include "tests/fuzz/fuzz.h"

#define VLOOP_BUDGET 2000000ull /* instructions per iteration */
#define VLOOP_DISK_SIZE (1u << 20)

int LLVMFuzzerInitialize(int *argc, char ***argv);

static struct machine *vloop_m;
static struct snap *vloop_start;
static icount_t vloop_start_icount;
/* The options' strings live as long as the machine (static: not leaks). */
static char *drive1, *drive2;

static void vloop_die(const char *what, const char *msg)
{
	fprintf(stderr, "fuzz_virtio_loop: %s: %s\n", what, msg);
	abort();
}

static void vloop_console(void *opaque, const uint8_t *buf, size_t len)
{
	(void)opaque;
	if (getenv("RV_FUZZ_CONSOLE"))
		fwrite(buf, 1, len, stderr);
}

/* A disk image of 1 MiB with a marker in sector 0, under TMPDIR; the
 * machine opens it with a copy-on-write overlay, so it is never written. */
static char *vloop_disk(void)
{
	const char *dir = getenv("TEST_TMPDIR") ? getenv("TEST_TMPDIR") : "/tmp";
	char *path;
	static uint8_t block[4096];

	if (asprintf(&path, "%s/vfuzz-disk-XXXXXX", dir) < 0)
		vloop_die("disk", "out of memory");
	int fd = mkstemp(path);
	if (fd < 0)
		vloop_die("disk", "mkstemp failed");
	memcpy(block, "RETROVISOR-VFUZZ-DISK", 21);
	for (unsigned i = 0; i < VLOOP_DISK_SIZE / sizeof(block); i++) {
		if (write(fd, block, sizeof(block)) != (ssize_t)sizeof(block))
			vloop_die("disk", "write failed");
		block[0] = (uint8_t)i;
	}
	close(fd);
	return path;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *guest = getenv("RV_FUZZ_GUEST");
	struct hv_err err = { { 0 } };
	struct cli_opts cmd, eff;
	static struct snapcli sc;
	static struct machine_drive drives[CLI_MAX_DRIVES];
	struct machine_config cfg;

	(void)argc;
	(void)argv;
	if (!guest)
		vloop_die("setup", "RV_FUZZ_GUEST must name vfuzz.elf "
				   "(bazel-bin/tests/fuzz/loop/vfuzz.elf)");
	char *d1 = vloop_disk(), *d2 = vloop_disk();
	if (asprintf(&drive1, "file=%s", d1) < 0 || asprintf(&drive2, "file=%s", d2) < 0)
		vloop_die("setup", "out of memory");
	char *a[] = { "retrovisor", "run",     "--kernel", (char *)guest, "--memory",
		      "16M",        "--drive", drive1,     "--drive",     drive2,
		      "--net",      "user",    NULL };
	int n = (int)(sizeof(a) / sizeof(a[0])) - 1;

	if (cli_parse(n, a, &cmd, &err) != 0 || snapcli_options(&cmd, &sc, &eff, &err) != 0)
		vloop_die("options", err.msg);
	cli_machine_config(&eff, drives, 1767225600ull * 1000000000ull, &cfg);
	struct loader_opts lo = { .kernel = eff.kernel, .initrd = eff.initrd, .bios = eff.bios };
	vloop_m = machine_create(&cfg, &err);
	if (!vloop_m || snapcli_attach(&sc, vloop_m, &lo, &err))
		vloop_die("machine", err.msg);
	vloop_m->console_out = vloop_console;
	/* The disks stay open through their overlays; the names can go. */
	unlink(d1);
	unlink(d2);
	free(d1);
	free(d2);

	for (;;) {
		enum hv_stop why = machine_run(vloop_m);
		if (why == STOP_GUEST_REQUEST && vloop_m->pv_req.op == RV_PV_SNAPSHOT)
			break;
		vloop_die("boot", "the guest stopped before its SNAPSHOT request");
	}
	vloop_m->stop = STOP_NONE;
	vloop_start = snap_take(vloop_m, &err);
	if (!vloop_start)
		vloop_die("snapshot", err.msg);
	vloop_start_icount = vloop_m->total_insns;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct machine *m = vloop_m;
	struct hv_err err = { { 0 } };

	if (snap_restore(m, vloop_start, &err) < 0)
		vloop_die("restore", err.msg);
	if (m->net && virtio_net_reset_backend(m->net, &err) < 0)
		vloop_die("network", err.msg);
	m->cfg.max_insns = vloop_start_icount + VLOOP_BUDGET;
	for (;;) {
		enum hv_stop why = machine_run(m);
		if (why != STOP_GUEST_REQUEST)
			break; /* budget, shutdown, deadlock: the iteration ends */
		m->stop = STOP_NONE;
		struct hart *h = m->hart[m->pv_req.hart];
		if (m->pv_req.op == RV_PV_END_ITERATION)
			break;
		if (m->pv_req.op == RV_PV_GET_INPUT) {
			size_t n = size < m->pv_req.arg1 ? size : (size_t)m->pv_req.arg1;
			if (!snapreq_ram_range(m, m->pv_req.arg0, m->pv_req.arg1) ||
			    (n && !machine_write_phys(m, m->pv_req.arg0, data, n)))
				h->x[10] = (uint64_t)(int64_t)SBI_ERR_INVALID_ADDRESS;
			else
				h->x[11] = size;
			continue;
		}
		h->x[10] = (uint64_t)(int64_t)SBI_ERR_NOT_SUPPORTED;
	}
	if (m->stop == STOP_HOST_ERROR)
		vloop_die("host error", m->host_error);
	m->stop = STOP_NONE;
	return 0;
}
