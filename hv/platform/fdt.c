// SPDX-License-Identifier: MIT
/*
 * Device tree of the virt machine (Devicetree Specification v0.4; RISC-V
 * bindings of Linux's Documentation/devicetree/bindings: riscv/cpus.yaml,
 * riscv/extensions.yaml, interrupt-controller/sifive,plic-1.0.0.yaml,
 * timer/sifive,clint.yaml, rtc/google,goldfish-rtc, power/reset/syscon-*).
 *
 * The tree follows the layout of QEMU's virt machine, so that Linux and
 * OpenSBI find what they expect there:
 *
 *   /                 #address-cells = #size-cells = 2
 *   /chosen           bootargs, stdout-path, linux,initrd-{start,end}
 *   /memory@80000000  RAM
 *   /cpus             timebase 10 MHz, cpu@N with its interrupt
 *                     controller child, cpu-map
 *   /poweroff /reboot syscon-poweroff / syscon-reboot on the test device
 *   /soc              simple-bus: clint, plic, serial, test, rtc, virtio
 *
 * Phandles are fixed numbers (DT_PH_*), so the blob is a pure function of
 * the machine configuration, as the determinism contract requires. That
 * includes /chosen/rng-seed (QEMU's virt machine passes one too, so Linux
 * can initialise its random pool at once): 64 bytes derived from the
 * configured entropy seed, which is an input of the run.
 *
 * Nothing here comes from the guest. The host inputs (hart count, RAM,
 * initrd range, bootargs) are checked, and libfdt reports when the buffer
 * is too small, in which case the build retries with a larger one.
 */
#include "hv/platform/fdt.h"

#include "hv/platform/machine.h"
#include "hv/dev/plic.h"
#include "hv/dev/rtc.h"
#include "hv/dev/syscon.h"
#include "hv/dev/uart.h"

#include <libfdt.h>
#include <stdio.h>
#include <stdlib.h>

#define DT_PH_PLIC 1u
#define DT_PH_TEST 2u
#define DT_PH_CPU(i) (3u + 2u * (i))
#define DT_PH_INTC(i) (4u + 2u * (i))

#define DT_UART_CLOCK_HZ 3686400u
#define DT_INITIAL_SIZE (16 * 1024)
#define DT_MAX_SIZE (1024 * 1024)

/* The ISA the execution engine implements, in the three spellings
 * Linux has accepted over time. */
#define DT_ISA "rv64imafdc_zicsr_zifencei_zicntr_zihintpause"
#define DT_ISA_BASE "rv64i"
static const char dt_isa_extensions[] = "i\0m\0a\0f\0d\0c\0zicsr\0zifencei\0zicntr\0zihintpause";

/*
 * A writer over libfdt's sequential-write API that remembers the first
 * error, so the tree can be written straight through and checked once.
 * (The dt_ prefix keeps clear of libfdt's fdt_ names.)
 */
struct dt_writer {
	void *fdt;
	int err;
};

static void dt_check(struct dt_writer *w, int rc)
{
	if (rc < 0 && !w->err)
		w->err = rc;
}

static void dt_begin(struct dt_writer *w, const char *name)
{
	if (!w->err)
		dt_check(w, fdt_begin_node(w->fdt, name));
}

static void dt_end(struct dt_writer *w)
{
	if (!w->err)
		dt_check(w, fdt_end_node(w->fdt));
}

static void dt_prop(struct dt_writer *w, const char *name, const void *val, int len)
{
	if (!w->err)
		dt_check(w, fdt_property(w->fdt, name, val, len));
}

static void dt_prop_str(struct dt_writer *w, const char *name, const char *val)
{
	if (!w->err)
		dt_check(w, fdt_property_string(w->fdt, name, val));
}

static void dt_prop_u32(struct dt_writer *w, const char *name, uint32_t val)
{
	if (!w->err)
		dt_check(w, fdt_property_u32(w->fdt, name, val));
}

static void dt_prop_u64(struct dt_writer *w, const char *name, uint64_t val)
{
	if (!w->err)
		dt_check(w, fdt_property_u64(w->fdt, name, val));
}

static void dt_prop_empty(struct dt_writer *w, const char *name)
{
	dt_prop(w, name, NULL, 0);
}

/* A property of n cells, converted to the blob's big-endian order. */
static void dt_prop_cells(struct dt_writer *w, const char *name, const uint32_t *cells, unsigned n)
{
	fdt32_t *out;

	if (w->err)
		return;
	dt_check(w,
		 fdt_property_placeholder(w->fdt, name, (int)(n * sizeof(fdt32_t)), (void **)&out));
	if (w->err)
		return;
	for (unsigned i = 0; i < n; i++)
		out[i] = cpu_to_fdt32(cells[i]);
}

/* reg = <addr size> with two address and two size cells. */
static void dt_prop_reg(struct dt_writer *w, uint64_t addr, uint64_t size)
{
	uint32_t cells[4] = {
		(uint32_t)(addr >> 32),
		(uint32_t)addr,
		(uint32_t)(size >> 32),
		(uint32_t)size,
	};

	dt_prop_cells(w, "reg", cells, 4);
}

/* interrupts-extended naming, for every hart, its interrupt controller
 * with irq_a and then irq_b. */
static void dt_prop_hart_irqs(struct dt_writer *w, unsigned nharts, uint32_t irq_a, uint32_t irq_b)
{
	uint32_t cells[4 * HV_MAX_HARTS];

	for (unsigned i = 0; i < nharts; i++) {
		cells[4 * i + 0] = DT_PH_INTC(i);
		cells[4 * i + 1] = irq_a;
		cells[4 * i + 2] = DT_PH_INTC(i);
		cells[4 * i + 3] = irq_b;
	}
	dt_prop_cells(w, "interrupts-extended", cells, 4 * nharts);
}

static void dt_node_name(char *buf, size_t len, const char *base, uint64_t addr)
{
	snprintf(buf, len, "%s@%llx", base, (unsigned long long)addr);
}

static void dt_write_chosen(struct dt_writer *w, const struct machine *m, gpa_t initrd_start,
			    gpa_t initrd_end)
{
	char path[64];

	dt_begin(w, "chosen");
	if (m->cfg.bootargs && m->cfg.bootargs[0])
		dt_prop_str(w, "bootargs", m->cfg.bootargs);
	dt_node_name(path, sizeof(path), "/soc/serial", HV_UART_BASE);
	dt_prop_str(w, "stdout-path", path);
	if (initrd_end > initrd_start) {
		dt_prop_u64(w, "linux,initrd-start", initrd_start);
		dt_prop_u64(w, "linux,initrd-end", initrd_end);
	}
	/* splitmix64 over the seed, in a stream of its own (virtio-rng
	 * uses the seed differently), so the two never repeat each other. */
	uint8_t seed[64];
	uint64_t x = m->cfg.rng_seed ^ 0x6474622d726e6721ull; /* "dtb-rng!" */
	for (unsigned i = 0; i < sizeof(seed); i += 8) {
		uint64_t z = (x += 0x9e3779b97f4a7c15ull);
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
		z ^= z >> 31;
		for (unsigned j = 0; j < 8; j++)
			seed[i + j] = (uint8_t)(z >> (8 * j));
	}
	dt_prop(w, "rng-seed", seed, sizeof(seed));
	dt_end(w);
}

static void dt_write_cpus(struct dt_writer *w, unsigned nharts)
{
	char name[32];

	dt_begin(w, "cpus");
	dt_prop_u32(w, "#address-cells", 1);
	dt_prop_u32(w, "#size-cells", 0);
	dt_prop_u32(w, "timebase-frequency", (uint32_t)HV_TIMEBASE_HZ);
	for (unsigned i = 0; i < nharts; i++) {
		dt_node_name(name, sizeof(name), "cpu", i);
		dt_begin(w, name);
		dt_prop_u32(w, "phandle", DT_PH_CPU(i));
		dt_prop_str(w, "device_type", "cpu");
		dt_prop_u32(w, "reg", i);
		dt_prop_str(w, "status", "okay");
		dt_prop_str(w, "compatible", "riscv");
		dt_prop_str(w, "riscv,isa", DT_ISA);
		dt_prop_str(w, "riscv,isa-base", DT_ISA_BASE);
		dt_prop(w, "riscv,isa-extensions", dt_isa_extensions, sizeof(dt_isa_extensions));
		dt_prop_str(w, "mmu-type", "riscv,sv48");
		dt_begin(w, "interrupt-controller");
		dt_prop_u32(w, "#address-cells", 0);
		dt_prop_u32(w, "#interrupt-cells", 1);
		dt_prop_empty(w, "interrupt-controller");
		dt_prop_str(w, "compatible", "riscv,cpu-intc");
		dt_prop_u32(w, "phandle", DT_PH_INTC(i));
		dt_end(w);
		dt_end(w);
	}
	dt_begin(w, "cpu-map");
	dt_begin(w, "cluster0");
	for (unsigned i = 0; i < nharts; i++) {
		snprintf(name, sizeof(name), "core%u", i);
		dt_begin(w, name);
		dt_prop_u32(w, "cpu", DT_PH_CPU(i));
		dt_end(w);
	}
	dt_end(w);
	dt_end(w);
	dt_end(w);
}

/* syscon-poweroff / syscon-reboot: a write of value to the test device. */
static void dt_write_syscon_action(struct dt_writer *w, const char *name, const char *compatible,
				   uint32_t value)
{
	dt_begin(w, name);
	dt_prop_u32(w, "value", value);
	dt_prop_u32(w, "offset", 0);
	dt_prop_u32(w, "regmap", DT_PH_TEST);
	dt_prop_str(w, "compatible", compatible);
	dt_end(w);
}

/* Open the node of a device whose one interrupt is a PLIC source; the
 * caller may add properties and closes it with dt_end. */
static void dt_begin_plic_device(struct dt_writer *w, const char *base, gpa_t addr, uint64_t size,
				 uint32_t irq, const char *compatible)
{
	char name[48];

	dt_node_name(name, sizeof(name), base, addr);
	dt_begin(w, name);
	dt_prop_u32(w, "interrupts", irq);
	dt_prop_u32(w, "interrupt-parent", DT_PH_PLIC);
	dt_prop_reg(w, addr, size);
	dt_prop_str(w, "compatible", compatible);
}

static void dt_write_soc(struct dt_writer *w, unsigned nharts)
{
	static const char clint_compat[] = "sifive,clint0\0riscv,clint0";
	static const char plic_compat[] = "sifive,plic-1.0.0\0riscv,plic0";
	static const char test_compat[] = "sifive,test1\0sifive,test0\0syscon";
	char name[48];

	dt_begin(w, "soc");
	dt_prop_u32(w, "#address-cells", 2);
	dt_prop_u32(w, "#size-cells", 2);
	dt_prop_str(w, "compatible", "simple-bus");
	dt_prop_empty(w, "ranges");

	dt_begin_plic_device(w, "rtc", HV_RTC_BASE, RTC_MMIO_SIZE, HV_RTC_IRQ,
			     "google,goldfish-rtc");
	dt_end(w);
	dt_begin_plic_device(w, "serial", HV_UART_BASE, UART_MMIO_SIZE, HV_UART_IRQ, "ns16550a");
	dt_prop_u32(w, "clock-frequency", DT_UART_CLOCK_HZ);
	dt_end(w);

	dt_node_name(name, sizeof(name), "test", HV_SYSCON_BASE);
	dt_begin(w, name);
	dt_prop_u32(w, "phandle", DT_PH_TEST);
	dt_prop_reg(w, HV_SYSCON_BASE, SYSCON_MMIO_SIZE);
	dt_prop(w, "compatible", test_compat, sizeof(test_compat));
	dt_end(w);

	/* Highest slot first, as in QEMU's tree: Linux probes the slots in
	 * this order, so devices enumerate alike on both. */
	for (unsigned i = HV_VIRTIO_SLOTS; i-- > 0;) {
		dt_begin_plic_device(w, "virtio_mmio", HV_VIRTIO_BASE + i * HV_VIRTIO_STRIDE,
				     HV_VIRTIO_STRIDE, HV_VIRTIO_IRQ0 + i, "virtio,mmio");
		dt_end(w);
	}

	dt_node_name(name, sizeof(name), "plic", HV_PLIC_BASE);
	dt_begin(w, name);
	dt_prop_u32(w, "phandle", DT_PH_PLIC);
	dt_prop_u32(w, "riscv,ndev", PLIC_NSRC - 1);
	dt_prop_reg(w, HV_PLIC_BASE, HV_PLIC_SIZE);
	/* Context 2i is hart i's M-mode (MEIP), 2i+1 its S-mode (SEIP). */
	dt_prop_hart_irqs(w, nharts, IRQ_MEI, IRQ_SEI);
	dt_prop_empty(w, "interrupt-controller");
	dt_prop(w, "compatible", plic_compat, sizeof(plic_compat));
	dt_prop_u32(w, "#address-cells", 0);
	dt_prop_u32(w, "#interrupt-cells", 1);
	dt_end(w);

	dt_node_name(name, sizeof(name), "clint", HV_CLINT_BASE);
	dt_begin(w, name);
	dt_prop_hart_irqs(w, nharts, IRQ_MSI, IRQ_MTI);
	dt_prop_reg(w, HV_CLINT_BASE, HV_CLINT_SIZE);
	dt_prop(w, "compatible", clint_compat, sizeof(clint_compat));
	dt_end(w);

	dt_end(w);
}

static int dt_write_tree(void *buf, int size, const struct machine *m, gpa_t initrd_start,
			 gpa_t initrd_end)
{
	struct dt_writer w = { buf, 0 };
	static const char root_compat[] = "riscv-virtio";
	char name[48];

	dt_check(&w, fdt_create(buf, size));
	if (!w.err)
		dt_check(&w, fdt_finish_reservemap(buf));
	dt_begin(&w, "");
	dt_prop_u32(&w, "#address-cells", 2);
	dt_prop_u32(&w, "#size-cells", 2);
	dt_prop(&w, "compatible", root_compat, sizeof(root_compat));
	dt_prop_str(&w, "model", "riscv-virtio,retrovisor");

	dt_write_chosen(&w, m, initrd_start, initrd_end);

	dt_node_name(name, sizeof(name), "memory", m->ram.base);
	dt_begin(&w, name);
	dt_prop_str(&w, "device_type", "memory");
	dt_prop_reg(&w, m->ram.base, m->ram.size);
	dt_end(&w);

	dt_write_cpus(&w, m->nharts);
	dt_write_syscon_action(&w, "poweroff", "syscon-poweroff", SYSCON_PASS);
	dt_write_syscon_action(&w, "reboot", "syscon-reboot", SYSCON_RESET);
	dt_write_soc(&w, m->nharts);

	dt_end(&w);
	if (!w.err)
		dt_check(&w, fdt_finish(buf));
	return w.err;
}

int fdt_build(struct machine *m, gpa_t initrd_start, gpa_t initrd_end, struct hv_err *err)
{
	void *buf = NULL, *fit;
	int size, rc = -FDT_ERR_NOSPACE;

	if (m->nharts == 0 || m->nharts > HV_MAX_HARTS) {
		hv_err_set(err,
			   "Cannot describe %u harts in the device tree: "
			   "the machine supports 1 to %u.",
			   m->nharts, HV_MAX_HARTS);
		return -1;
	}
	if (m->ram.size == 0) {
		hv_err_set(err, "Cannot build the device tree of a machine "
				"without RAM.");
		return -1;
	}
	if (initrd_end < initrd_start) {
		hv_err_set(err, "The initrd range 0x%llx-0x%llx is inverted.",
			   (unsigned long long)initrd_start, (unsigned long long)initrd_end);
		return -1;
	}

	for (size = DT_INITIAL_SIZE; size <= DT_MAX_SIZE; size *= 2) {
		free(buf);
		buf = malloc((size_t)size);
		if (!buf) {
			hv_err_set(err,
				   "Out of memory for a %d-byte device "
				   "tree.",
				   size);
			return -1;
		}
		rc = dt_write_tree(buf, size, m, initrd_start, initrd_end);
		if (rc != -FDT_ERR_NOSPACE)
			break;
	}
	if (rc < 0) {
		free(buf);
		hv_err_set(err, "Building the device tree failed: %s.", fdt_strerror(rc));
		return -1;
	}

	/* fdt_finish set totalsize to the bytes actually used. */
	fit = realloc(buf, fdt_totalsize(buf));
	if (fit)
		buf = fit;
	free(m->fdt);
	m->fdt = buf;
	m->fdt_size = fdt_totalsize(buf);
	return 0;
}
