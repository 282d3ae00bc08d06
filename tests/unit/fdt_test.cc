// SPDX-License-Identifier: MIT
/*
 * Tests of the device tree builder (hv/platform/fdt.c), read back with libfdt: the
 * blob passes fdt_check_full; /cpus has the timebase and one cpu node per
 * hart with an interrupt controller; memory matches RAM; /chosen carries
 * bootargs, stdout-path and the initrd; the PLIC and CLINT route to every
 * hart's controller; devices sit at the virt addresses with their PLIC
 * sources; bad host input is refused with a sentence.
 */
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <set>
#include <string>

extern "C" {
#include <libfdt.h>

#include "hv/platform/fdt.h"
#include "hv/cpu/hart.h"
#include "hv/platform/machine.h"
}

namespace {

class FdtTest : public ::testing::Test {
protected:
	void SetUp() override
	{
		m = static_cast<struct machine *>(calloc(1, sizeof(*m)));
		m->nharts = 3;
		m->ram.base = HV_RAM_BASE;
		m->ram.size = 512ull << 20;
		m->cfg.bootargs = "console=ttyS0 root=/dev/vda";
	}

	void TearDown() override
	{
		free(m->fdt);
		free(m);
	}

	void build(gpa_t initrd_start = 0, gpa_t initrd_end = 0)
	{
		struct hv_err err;

		ASSERT_EQ(fdt_build(m, initrd_start, initrd_end, &err), 0) << err.msg;
		ASSERT_NE(m->fdt, nullptr);
		ASSERT_EQ(fdt_check_full(m->fdt, m->fdt_size), 0);
		fdt = m->fdt;
	}

	int node(const char *path)
	{
		int off = fdt_path_offset(fdt, path);
		EXPECT_GE(off, 0) << path;
		return off;
	}

	uint32_t u32(int off, const char *name)
	{
		int len = 0;
		auto p = static_cast<const fdt32_t *>(fdt_getprop(fdt, off, name, &len));
		EXPECT_NE(p, nullptr) << name;
		EXPECT_EQ(len, 4) << name;
		return p && len == 4 ? fdt32_to_cpu(*p) : 0;
	}

	uint64_t u64(int off, const char *name)
	{
		int len = 0;
		const void *p = fdt_getprop(fdt, off, name, &len);
		fdt64_t raw;

		EXPECT_NE(p, nullptr) << name;
		EXPECT_EQ(len, 8) << name;
		if (!p || len != 8)
			return 0;
		/* Properties are only 4-byte aligned in the blob. */
		memcpy(&raw, p, sizeof(raw));
		return fdt64_to_cpu(raw);
	}

	std::string str(int off, const char *name)
	{
		int len = 0;
		auto p = static_cast<const char *>(fdt_getprop(fdt, off, name, &len));
		return p ? std::string(p, strnlen(p, len)) : std::string();
	}

	/* reg = <addr size> with 2+2 cells. */
	void expect_reg(int off, uint64_t addr, uint64_t size)
	{
		int len = 0;
		auto p = static_cast<const fdt32_t *>(fdt_getprop(fdt, off, "reg", &len));
		ASSERT_NE(p, nullptr);
		ASSERT_EQ(len, 16);
		EXPECT_EQ((uint64_t)fdt32_to_cpu(p[0]) << 32 | fdt32_to_cpu(p[1]), addr);
		EXPECT_EQ((uint64_t)fdt32_to_cpu(p[2]) << 32 | fdt32_to_cpu(p[3]), size);
	}

	/* interrupts-extended must name hart i's cpu-intc with irq_a, irq_b. */
	void expect_hart_irqs(int off, uint32_t irq_a, uint32_t irq_b)
	{
		int len = 0;
		auto p = static_cast<const fdt32_t *>(
			fdt_getprop(fdt, off, "interrupts-extended", &len));
		ASSERT_NE(p, nullptr);
		ASSERT_EQ(len, static_cast<int>(m->nharts * 4 * 4));
		for (unsigned i = 0; i < m->nharts; i++) {
			uint32_t ph = fdt32_to_cpu(p[4 * i]);
			EXPECT_EQ(fdt32_to_cpu(p[4 * i + 2]), ph);
			EXPECT_EQ(fdt32_to_cpu(p[4 * i + 1]), irq_a);
			EXPECT_EQ(fdt32_to_cpu(p[4 * i + 3]), irq_b);
			int intc = fdt_node_offset_by_phandle(fdt, ph);
			ASSERT_GE(intc, 0);
			EXPECT_EQ(fdt_node_check_compatible(fdt, intc, "riscv,cpu-intc"), 0);
			int cpu = fdt_parent_offset(fdt, intc);
			EXPECT_EQ(u32(cpu, "reg"), i);
		}
	}

	struct machine *m = nullptr;
	const void *fdt = nullptr;
};

TEST_F(FdtTest, BlobIsValidAndSized)
{
	build();
	EXPECT_EQ(fdt_totalsize(fdt), m->fdt_size);
	EXPECT_EQ(u32(node("/"), "#address-cells"), 2u);
	EXPECT_EQ(u32(node("/"), "#size-cells"), 2u);
}

TEST_F(FdtTest, CpusHaveTimebaseAndOneNodePerHart)
{
	build();
	int cpus = node("/cpus");
	EXPECT_EQ(u32(cpus, "timebase-frequency"), HV_TIMEBASE_HZ);
	EXPECT_EQ(u32(cpus, "#address-cells"), 1u);
	EXPECT_EQ(u32(cpus, "#size-cells"), 0u);

	std::set<uint32_t> regs;
	int child;
	fdt_for_each_subnode(child, fdt, cpus) {
		if (str(child, "device_type") != "cpu")
			continue;
		regs.insert(u32(child, "reg"));
		EXPECT_EQ(str(child, "status"), "okay");
		EXPECT_EQ(str(child, "compatible"), "riscv");
		EXPECT_EQ(str(child, "riscv,isa").rfind("rv64imafdc_", 0), 0u);
		EXPECT_EQ(str(child, "riscv,isa-base"), "rv64i");
		EXPECT_EQ(str(child, "mmu-type"), "riscv,sv48");
		EXPECT_GT(fdt_stringlist_search(fdt, child, "riscv,isa-extensions", "zicsr"), 0);
		int intc = fdt_subnode_offset(fdt, child, "interrupt-controller");
		ASSERT_GE(intc, 0);
		EXPECT_EQ(u32(intc, "#interrupt-cells"), 1u);
		EXPECT_NE(fdt_get_phandle(fdt, intc), 0u);
		EXPECT_NE(fdt_getprop(fdt, intc, "interrupt-controller", NULL), nullptr);
	}
	EXPECT_EQ(regs, (std::set<uint32_t>{ 0, 1, 2 }));
}

TEST_F(FdtTest, CpuMapNamesEveryHart)
{
	build();
	for (unsigned i = 0; i < m->nharts; i++) {
		std::string path = "/cpus/cpu-map/cluster0/core" + std::to_string(i);
		int core = node(path.c_str());
		int cpu = fdt_node_offset_by_phandle(fdt, u32(core, "cpu"));
		ASSERT_GE(cpu, 0);
		EXPECT_EQ(u32(cpu, "reg"), i);
	}
}

TEST_F(FdtTest, MemoryMatchesRam)
{
	build();
	int mem = node("/memory@80000000");
	EXPECT_EQ(str(mem, "device_type"), "memory");
	expect_reg(mem, HV_RAM_BASE, 512ull << 20);
}

TEST_F(FdtTest, ChosenHasBootargsStdoutAndInitrd)
{
	build(0x88000000, 0x88400000);
	int chosen = node("/chosen");
	EXPECT_EQ(str(chosen, "bootargs"), "console=ttyS0 root=/dev/vda");
	EXPECT_EQ(u64(chosen, "linux,initrd-start"), 0x88000000u);
	EXPECT_EQ(u64(chosen, "linux,initrd-end"), 0x88400000u);
	int out = node(str(chosen, "stdout-path").c_str());
	EXPECT_EQ(fdt_node_check_compatible(fdt, out, "ns16550a"), 0);
}

TEST_F(FdtTest, ChosenOmitsAbsentBootargsAndInitrd)
{
	m->cfg.bootargs = nullptr;
	build();
	int chosen = node("/chosen");
	EXPECT_EQ(fdt_getprop(fdt, chosen, "bootargs", NULL), nullptr);
	EXPECT_EQ(fdt_getprop(fdt, chosen, "linux,initrd-start", NULL), nullptr);
	EXPECT_EQ(fdt_getprop(fdt, chosen, "linux,initrd-end", NULL), nullptr);
}

TEST_F(FdtTest, PlicRoutesToEveryHartsExternalInterrupts)
{
	build();
	int plic = node("/soc/plic@c000000");
	EXPECT_EQ(fdt_node_check_compatible(fdt, plic, "riscv,plic0"), 0);
	EXPECT_EQ(fdt_node_check_compatible(fdt, plic, "sifive,plic-1.0.0"), 0);
	EXPECT_EQ(u32(plic, "riscv,ndev"), 95u);
	EXPECT_EQ(u32(plic, "#interrupt-cells"), 1u);
	EXPECT_EQ(u32(plic, "#address-cells"), 0u);
	EXPECT_NE(fdt_getprop(fdt, plic, "interrupt-controller", NULL), nullptr);
	expect_reg(plic, HV_PLIC_BASE, HV_PLIC_SIZE);
	expect_hart_irqs(plic, IRQ_MEI, IRQ_SEI);
}

TEST_F(FdtTest, ClintRoutesSoftwareAndTimerInterrupts)
{
	build();
	int clint = node("/soc/clint@2000000");
	EXPECT_EQ(fdt_node_check_compatible(fdt, clint, "riscv,clint0"), 0);
	expect_reg(clint, HV_CLINT_BASE, HV_CLINT_SIZE);
	expect_hart_irqs(clint, IRQ_MSI, IRQ_MTI);
}

TEST_F(FdtTest, DevicesSitAtVirtAddressesWithTheirSources)
{
	build();
	int plic = node("/soc/plic@c000000");
	uint32_t plic_ph = fdt_get_phandle(fdt, plic);
	ASSERT_NE(plic_ph, 0u);

	int uart = node("/soc/serial@10000000");
	EXPECT_EQ(fdt_node_check_compatible(fdt, uart, "ns16550a"), 0);
	expect_reg(uart, HV_UART_BASE, 0x100);
	EXPECT_EQ(u32(uart, "interrupts"), HV_UART_IRQ);
	EXPECT_EQ(u32(uart, "interrupt-parent"), plic_ph);
	EXPECT_EQ(u32(uart, "clock-frequency"), 3686400u);

	int rtc = node("/soc/rtc@101000");
	EXPECT_EQ(fdt_node_check_compatible(fdt, rtc, "google,goldfish-rtc"), 0);
	expect_reg(rtc, HV_RTC_BASE, 0x1000);
	EXPECT_EQ(u32(rtc, "interrupts"), HV_RTC_IRQ);
	EXPECT_EQ(u32(rtc, "interrupt-parent"), plic_ph);

	std::set<uint32_t> irqs;
	int off = fdt_node_offset_by_compatible(fdt, -1, "virtio,mmio");
	while (off >= 0) {
		int len = 0;
		auto reg = static_cast<const fdt32_t *>(fdt_getprop(fdt, off, "reg", &len));
		ASSERT_EQ(len, 16);
		uint64_t addr = fdt32_to_cpu(reg[1]);
		uint32_t irq = u32(off, "interrupts");
		EXPECT_EQ(addr, HV_VIRTIO_BASE + (irq - HV_VIRTIO_IRQ0) * HV_VIRTIO_STRIDE);
		EXPECT_EQ(u32(off, "interrupt-parent"), plic_ph);
		irqs.insert(irq);
		off = fdt_node_offset_by_compatible(fdt, off, "virtio,mmio");
	}
	EXPECT_EQ(irqs, (std::set<uint32_t>{ 1, 2, 3, 4, 5, 6, 7, 8 }));
}

TEST_F(FdtTest, PoweroffAndRebootWriteTheTestDevice)
{
	build();
	int test = node("/soc/test@100000");
	EXPECT_EQ(fdt_node_check_compatible(fdt, test, "sifive,test0"), 0);
	EXPECT_EQ(fdt_node_check_compatible(fdt, test, "syscon"), 0);
	expect_reg(test, HV_SYSCON_BASE, 0x1000);
	uint32_t ph = fdt_get_phandle(fdt, test);
	ASSERT_NE(ph, 0u);

	int off = fdt_node_offset_by_compatible(fdt, -1, "syscon-poweroff");
	ASSERT_GE(off, 0);
	EXPECT_EQ(u32(off, "regmap"), ph);
	EXPECT_EQ(u32(off, "offset"), 0u);
	EXPECT_EQ(u32(off, "value"), 0x5555u);
	off = fdt_node_offset_by_compatible(fdt, -1, "syscon-reboot");
	ASSERT_GE(off, 0);
	EXPECT_EQ(u32(off, "regmap"), ph);
	EXPECT_EQ(u32(off, "value"), 0x7777u);
}

TEST_F(FdtTest, ScalesToMaxHarts)
{
	m->nharts = HV_MAX_HARTS;
	build();
	expect_hart_irqs(node("/soc/plic@c000000"), IRQ_MEI, IRQ_SEI);
	/* Unit addresses are hexadecimal (Devicetree spec 2.2.1). */
	char path[32];
	snprintf(path, sizeof(path), "/cpus/cpu@%x", HV_MAX_HARTS - 1);
	EXPECT_EQ(u32(node(path), "reg"), HV_MAX_HARTS - 1u);
}

TEST_F(FdtTest, LongBootargsGrowTheBuffer)
{
	std::string args(40000, 'x');
	m->cfg.bootargs = args.c_str();
	build();
	EXPECT_EQ(str(node("/chosen"), "bootargs"), args);
}

TEST_F(FdtTest, RebuildReplacesTheBlob)
{
	build();
	m->cfg.bootargs = "second";
	build();
	EXPECT_EQ(str(node("/chosen"), "bootargs"), "second");
}

TEST_F(FdtTest, RejectsBadHostInput)
{
	struct hv_err err;

	EXPECT_EQ(fdt_build(m, 0x89000000, 0x88000000, &err), -1);
	EXPECT_NE(std::string(err.msg).find("initrd"), std::string::npos);
	m->nharts = 0;
	EXPECT_EQ(fdt_build(m, 0, 0, &err), -1);
	EXPECT_NE(std::string(err.msg).find("harts"), std::string::npos);
	m->nharts = HV_MAX_HARTS + 1;
	EXPECT_EQ(fdt_build(m, 0, 0, &err), -1);
	m->nharts = 1;
	m->ram.size = 0;
	EXPECT_EQ(fdt_build(m, 0, 0, &err), -1);
	EXPECT_NE(std::string(err.msg).find("RAM"), std::string::npos);
	EXPECT_EQ(m->fdt, nullptr);
}

} // namespace
