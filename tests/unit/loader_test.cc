// SPDX-License-Identifier: MIT
//
// Tests for the boot image loader (hv/platform/loader.c): where each boot mode puts
// the kernel, firmware, initrd, device tree and fw_dynamic_info, how the
// harts start, and that every malformed or unsuitable file is refused with
// a sentence naming it. The ELF files are built byte by byte here, so each
// test controls exactly the header fields it is about.

#include <elf.h>
#include <libfdt.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

extern "C" {
#include "hv/platform/loader.h"
#include "hv/platform/machine.h"
}

namespace {

constexpr uint64_t kMiB = 1024 * 1024;
using Bytes = std::vector<uint8_t>;

struct Seg {
	uint64_t paddr;
	uint64_t vaddr;
	Bytes data;
	uint64_t memsz;
	uint32_t type = PT_LOAD;
};

// An ELF64 little-endian executable: header, program headers, then each
// segment's bytes at a 16-byte aligned offset.
Bytes BuildElf64(uint16_t machine, uint64_t entry, const std::vector<Seg> &segs,
		 uint16_t type = ET_EXEC)
{
	Elf64_Ehdr eh{};
	std::memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_type = type;
	eh.e_machine = machine;
	eh.e_version = EV_CURRENT;
	eh.e_entry = entry;
	eh.e_phoff = sizeof(Elf64_Ehdr);
	eh.e_ehsize = sizeof(Elf64_Ehdr);
	eh.e_phentsize = sizeof(Elf64_Phdr);
	eh.e_phnum = (uint16_t)segs.size();

	uint64_t off = sizeof(Elf64_Ehdr) + segs.size() * sizeof(Elf64_Phdr);
	std::vector<Elf64_Phdr> ph(segs.size());
	for (size_t i = 0; i < segs.size(); i++) {
		off = (off + 15) & ~15ull;
		ph[i].p_type = segs[i].type;
		ph[i].p_flags = PF_R | PF_W | PF_X;
		ph[i].p_offset = off;
		ph[i].p_vaddr = segs[i].vaddr;
		ph[i].p_paddr = segs[i].paddr;
		ph[i].p_filesz = segs[i].data.size();
		ph[i].p_memsz = segs[i].memsz;
		ph[i].p_align = 16;
		off += segs[i].data.size();
	}
	Bytes out(off, 0);
	std::memcpy(out.data(), &eh, sizeof(eh));
	std::memcpy(out.data() + sizeof(eh), ph.data(), ph.size() * sizeof(Elf64_Phdr));
	for (size_t i = 0; i < segs.size(); i++)
		std::memcpy(out.data() + ph[i].p_offset, segs[i].data.data(), segs[i].data.size());
	return out;
}

// What GNU ld makes of -Ttext=0x80000000: one PT_LOAD from file offset 0
// (ELF header, program header, padding) whose code starts at RAM base, so
// the segment begins 0x1000 below RAM. A .text section header covers
// [sec_off, sec_off + sec_size) of the file.
Bytes BuildHeadersBelowRamElf(uint64_t sec_off, uint64_t sec_size)
{
	const uint64_t code_off = 0x1000;
	Bytes b(code_off + 4 + 2 * sizeof(Elf64_Shdr), 0);
	Elf64_Ehdr eh{};
	std::memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_type = ET_EXEC;
	eh.e_machine = EM_RISCV;
	eh.e_version = EV_CURRENT;
	eh.e_entry = 0x80000000;
	eh.e_phoff = sizeof(Elf64_Ehdr);
	eh.e_shoff = code_off + 4;
	eh.e_ehsize = sizeof(Elf64_Ehdr);
	eh.e_phentsize = sizeof(Elf64_Phdr);
	eh.e_phnum = 1;
	eh.e_shentsize = sizeof(Elf64_Shdr);
	eh.e_shnum = 2;
	Elf64_Phdr ph{};
	ph.p_type = PT_LOAD;
	ph.p_flags = PF_R | PF_X;
	ph.p_vaddr = ph.p_paddr = 0x80000000 - code_off;
	ph.p_filesz = ph.p_memsz = code_off + 4;
	ph.p_align = 0x1000;
	Elf64_Shdr sh[2] = {};
	sh[1].sh_type = SHT_PROGBITS;
	sh[1].sh_flags = SHF_ALLOC | SHF_EXECINSTR;
	sh[1].sh_addr = 0x80000000 - code_off + sec_off;
	sh[1].sh_offset = sec_off;
	sh[1].sh_size = sec_size;
	sh[1].sh_addralign = 4;
	std::memcpy(b.data(), &eh, sizeof(eh));
	std::memcpy(b.data() + sizeof(eh), &ph, sizeof(ph));
	b[code_off] = 0x6f; // j .
	std::memcpy(b.data() + code_off + 4, sh, sizeof(sh));
	return b;
}

Bytes RiscvElf(uint64_t addr, const Bytes &data, uint64_t memsz)
{
	return BuildElf64(EM_RISCV, addr, { { addr, addr, data, memsz } });
}

// A Linux RISC-V Image header (boot-image-header.rst) followed by code.
Bytes BuildImage(uint64_t text_offset, uint64_t image_size, size_t file_size)
{
	Bytes b(file_size, 0);
	auto put64 = [&](size_t at, uint64_t v) {
		for (int i = 0; i < 8; i++)
			b[at + i] = (uint8_t)(v >> (8 * i));
	};
	b[0] = 0x13; // code0: nop
	put64(8, text_offset);
	put64(16, image_size);
	put64(24, 0); // flags: little-endian
	put64(32, 2); // version 0.2
	std::memcpy(&b[48], "RISCV\0\0\0", 8);
	std::memcpy(&b[56], "RSC\x05", 4);
	return b;
}

uint64_t Read64(struct machine *m, gpa_t pa)
{
	uint8_t b[8];
	EXPECT_TRUE(machine_read_phys(m, pa, b, 8));
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v |= (uint64_t)b[i] << (8 * i);
	return v;
}

class Loader : public ::testing::Test {
protected:
	void SetUp() override
	{
		std::string tmpl = ::testing::TempDir() + "/loader_test.XXXXXX";
		std::vector<char> buf(tmpl.begin(), tmpl.end());
		buf.push_back('\0');
		ASSERT_NE(mkdtemp(buf.data()), nullptr);
		dir_ = buf.data();
	}

	void TearDown() override
	{
		machine_destroy(m_);
		for (const auto &f : files_)
			unlink(f.c_str());
		rmdir(dir_.c_str());
	}

	std::string Write(const std::string &name, const Bytes &b)
	{
		std::string path = dir_ + "/" + name;
		std::ofstream(path, std::ios::binary)
			.write(reinterpret_cast<const char *>(b.data()), (std::streamsize)b.size());
		files_.push_back(path);
		return path;
	}

	void Create(uint64_t ram, unsigned nharts, const char *bios)
	{
		struct machine_config cfg = {};
		cfg.ram_size = ram;
		cfg.nharts = nharts;
		cfg.boot = loader_boot_mode(bios);
		cfg.quantum = 1000;
		struct hv_err err = {};
		m_ = machine_create(&cfg, &err);
		ASSERT_NE(m_, nullptr) << err.msg;
	}

	// Create a machine and load; returns loader_load's result.
	int Load(const std::string &kernel, const char *initrd = nullptr,
		 const char *bios = nullptr, uint64_t ram = 128 * kMiB, unsigned nharts = 1)
	{
		Create(ram, nharts, bios);
		if (!m_)
			return -2;
		struct loader_opts o = {};
		o.kernel = kernel.c_str();
		o.initrd = initrd;
		o.bios = bios;
		o.info = &info_;
		return loader_load(m_, &o, &err_);
	}

	// The load failed and the sentence names `file` and contains `what`.
	void ExpectRejected(int rc, const std::string &file, const std::string &what)
	{
		EXPECT_EQ(rc, -1);
		std::string msg = err_.msg;
		EXPECT_EQ(msg.rfind(file + ":", 0), 0u) << msg;
		EXPECT_NE(msg.find(what), std::string::npos) << msg;
		EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
	}

	std::string dir_;
	std::vector<std::string> files_;
	struct machine *m_ = nullptr;
	struct loader_info info_ = {};
	struct hv_err err_ = {};
};

// ---- placement and hart state ----

TEST_F(Loader, ElfSegmentsGoToPhysicalAddressesWithBssZeroed)
{
	Bytes code = { 0x13, 0x05, 0x10, 0x00, 0x73, 0x00, 0x10, 0x00 };
	std::string k = Write("k.elf", RiscvElf(0x80200000, code, 0x1000));
	Create(128 * kMiB, 1, nullptr);
	// Dirty the would-be .bss first: the loader must zero it itself.
	Bytes junk(0x1000, 0xa5);
	ASSERT_TRUE(machine_write_phys(m_, 0x80200000, junk.data(), junk.size()));
	struct loader_opts o = {};
	o.kernel = k.c_str();
	o.info = &info_;
	ASSERT_EQ(loader_load(m_, &o, &err_), 0) << err_.msg;

	Bytes got(0x1000);
	ASSERT_TRUE(machine_read_phys(m_, 0x80200000, got.data(), got.size()));
	EXPECT_TRUE(std::equal(code.begin(), code.end(), got.begin()));
	for (size_t i = code.size(); i < got.size(); i++)
		ASSERT_EQ(got[i], 0) << "bss byte " << i;
	EXPECT_EQ(info_.kernel_format, LOADER_FMT_ELF);
	EXPECT_EQ(info_.kernel_start, 0x80200000u);
	EXPECT_EQ(info_.kernel_end, 0x80201000u);
}

TEST_F(Loader, ParavirtualBootStartsHartZeroInSModeWithHartidAndDtb)
{
	std::string k = Write("k.elf", RiscvElf(0x80200000, { 0x13, 0, 0, 0 }, 4));
	ASSERT_EQ(Load(k, nullptr, nullptr, 128 * kMiB, 3), 0) << err_.msg;
	struct hart *h0 = m_->hart[0];
	EXPECT_EQ(h0->pc, 0x80200000u);
	EXPECT_EQ(h0->priv, (unsigned)PRIV_S);
	EXPECT_EQ(h0->x[10], 0u);
	EXPECT_EQ(h0->x[11], m_->dtb_addr);
	EXPECT_EQ(h0->hsm, HSM_STARTED);
	for (unsigned i = 1; i < 3; i++) {
		EXPECT_EQ(m_->hart[i]->hsm, HSM_STOPPED) << "hart " << i;
		EXPECT_EQ(m_->hart[i]->x[10], i);
		EXPECT_EQ(m_->hart[i]->x[11], m_->dtb_addr);
	}
}

TEST_F(Loader, ElfEntryIsEEntryNotLowestAddress)
{
	Bytes code(0x100, 0x13);
	std::string k = Write("k.elf", BuildElf64(EM_RISCV, 0x80200040,
						  { { 0x80200000, 0x80200000, code, 0x100 } }));
	ASSERT_EQ(Load(k), 0) << err_.msg;
	EXPECT_EQ(m_->hart[0]->pc, 0x80200040u);
}

TEST_F(Loader, VmlinuxWithZeroBasedPhysicalAddressesIsMovedToKernelStart)
{
	// Linux links at 0xffffffff80000000 and may set p_paddr = vaddr -
	// LOAD_OFFSET, i.e. 0-based; it must land where the Image would.
	std::vector<Seg> segs = {
		{ 0x0, 0xffffffff80000000ull, Bytes(0x1000, 0x11), 0x1000 },
		{ 0x1000, 0xffffffff80001000ull, Bytes(0x10, 0x22), 0x2000 },
	};
	std::string k = Write("vmlinux", BuildElf64(EM_RISCV, 0xffffffff80000010ull, segs));
	ASSERT_EQ(Load(k), 0) << err_.msg;
	EXPECT_EQ(m_->hart[0]->pc, 0x80200010u);
	EXPECT_EQ(info_.kernel_start, 0x80200000u);
	EXPECT_EQ(info_.kernel_end, 0x80203000u);
	uint8_t b = 0;
	ASSERT_TRUE(machine_read_phys(m_, 0x80201000, &b, 1));
	EXPECT_EQ(b, 0x22);
}

TEST_F(Loader, VmlinuxVirtualEntryIsTranslatedThroughItsSegment)
{
	std::vector<Seg> segs = { { 0x80200000, 0xffffffff80000000ull, Bytes(0x100, 1), 0x100 } };
	std::string k = Write("vmlinux", BuildElf64(EM_RISCV, 0xffffffff80000020ull, segs));
	ASSERT_EQ(Load(k), 0) << err_.msg;
	EXPECT_EQ(m_->hart[0]->pc, 0x80200020u);
}

TEST_F(Loader, HeadersLinkedBelowRamAreDroppedWhenNoSectionIsThere)
{
	std::string k = Write("ttext.elf", BuildHeadersBelowRamElf(0x1000, 4));
	ASSERT_EQ(Load(k, nullptr, "none"), 0) << err_.msg;
	EXPECT_EQ(info_.kernel_start, 0x80000000u);
	EXPECT_EQ(m_->hart[0]->pc, 0x80000000u);
	EXPECT_EQ(Read64(m_, 0x80000000) & 0xffffffffu, 0x6fu);
}

TEST_F(Loader, RejectsSegmentBelowRamWhenASectionLivesThere)
{
	std::string k = Write("low.elf", BuildHeadersBelowRamElf(0x800, 0x804));
	ExpectRejected(Load(k, nullptr, "none"), k, "is outside RAM");
}

TEST_F(Loader, RawBinaryGoesTo0x80200000InParavirtualMode)
{
	std::string k = Write("k.bin", Bytes{ 0x13, 0x05, 0x10, 0x00 });
	ASSERT_EQ(Load(k), 0) << err_.msg;
	EXPECT_EQ(info_.kernel_format, LOADER_FMT_RAW);
	EXPECT_EQ(m_->hart[0]->pc, 0x80200000u);
	EXPECT_EQ(Read64(m_, 0x80200000) & 0xffffffffu, 0x00100513u);
}

TEST_F(Loader, BareModeStartsEveryHartInMModeAtRamBase)
{
	std::string k = Write("k.bin", Bytes{ 0x13, 0, 0, 0 });
	ASSERT_EQ(Load(k, nullptr, "none", 128 * kMiB, 2), 0) << err_.msg;
	for (unsigned i = 0; i < 2; i++) {
		struct hart *h = m_->hart[i];
		EXPECT_EQ(h->pc, 0x80000000u);
		EXPECT_EQ(h->priv, (unsigned)PRIV_M);
		EXPECT_EQ(h->hsm, HSM_STARTED);
		EXPECT_EQ(h->x[10], i);
		EXPECT_EQ(h->x[11], m_->dtb_addr);
	}
}

TEST_F(Loader, FirmwareModeRunsFirmwareAndHandsOverFwDynamicInfo)
{
	std::string fw = Write("fw.bin", Bytes(0x1000, 0x13));
	std::string k = Write("k.bin", Bytes{ 0x13, 0, 0, 0 });
	ASSERT_EQ(Load(k, nullptr, fw.c_str(), 128 * kMiB, 2), 0) << err_.msg;
	EXPECT_EQ(info_.fw_start, 0x80000000u);
	EXPECT_EQ(info_.kernel_start, 0x80200000u);
	gpa_t info = m_->hart[0]->x[12];
	EXPECT_EQ(info, info_.fw_dyn_addr);
	EXPECT_EQ(info, m_->dtb_addr - 64);
	for (unsigned i = 0; i < 2; i++) {
		EXPECT_EQ(m_->hart[i]->pc, 0x80000000u);
		EXPECT_EQ(m_->hart[i]->priv, (unsigned)PRIV_M);
		EXPECT_EQ(m_->hart[i]->hsm, HSM_STARTED);
		EXPECT_EQ(m_->hart[i]->x[10], i);
		EXPECT_EQ(m_->hart[i]->x[12], info);
	}
	EXPECT_EQ(Read64(m_, info + 0), 0x4942534fu);  // magic "OSBI"
	EXPECT_EQ(Read64(m_, info + 8), 2u);           // version
	EXPECT_EQ(Read64(m_, info + 16), 0x80200000u); // next_addr
	EXPECT_EQ(Read64(m_, info + 24), 1u);          // next_mode: S
	EXPECT_EQ(Read64(m_, info + 32), 0u);          // options
	EXPECT_EQ(Read64(m_, info + 40), 0u);          // boot_hart
}

TEST_F(Loader, KernelFollowsLargeFirmwareAtNext2MiBBoundary)
{
	std::string fw = Write("fw.elf", RiscvElf(0x80000000, Bytes(0x10, 0x13), 0x300010));
	std::string k = Write("k.bin", Bytes{ 0x13, 0, 0, 0 });
	ASSERT_EQ(Load(k, nullptr, fw.c_str()), 0) << err_.msg;
	EXPECT_EQ(info_.fw_end, 0x80300010u);
	EXPECT_EQ(info_.kernel_start, 0x80400000u);
	EXPECT_EQ(Read64(m_, info_.fw_dyn_addr + 16), 0x80400000u);
}

TEST_F(Loader, ImageIsLoadedAtTextOffsetAndReservesImageSize)
{
	std::string k = Write("Image", BuildImage(0x200000, 0x400000, 0x1000));
	ASSERT_EQ(Load(k), 0) << err_.msg;
	EXPECT_EQ(info_.kernel_format, LOADER_FMT_IMAGE);
	EXPECT_EQ(info_.kernel_start, 0x80200000u);
	EXPECT_EQ(info_.kernel_end, 0x80600000u);
	EXPECT_EQ(m_->hart[0]->pc, 0x80200000u);
}

// An initrd the kernel would unpack: a gzip signature, then filler (the
// loader checks the format, not the compressed stream).
Bytes GzipLike(size_t n, uint8_t fill)
{
	Bytes b(n, fill);
	b[0] = 0x1f;
	b[1] = 0x8b;
	return b;
}

// One newc cpio entry (name, data) with its padding.
void CpioEntry(Bytes &out, const std::string &name, const std::string &data)
{
	char hdr[111];
	snprintf(hdr, sizeof(hdr), "070701%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x", 1u,
		 0100644u, 0u, 0u, 1u, 0u, (unsigned)data.size(), 0u, 0u, 0u, 0u,
		 (unsigned)name.size() + 1, 0u);
	out.insert(out.end(), hdr, hdr + 110);
	out.insert(out.end(), name.begin(), name.end());
	out.push_back(0);
	while (out.size() % 4)
		out.push_back(0);
	out.insert(out.end(), data.begin(), data.end());
	while (out.size() % 4)
		out.push_back(0);
}

TEST_F(Loader, AcceptsCpioInitramfsFollowedByCompressedArchive)
{
	std::string k = Write("k.bin", Bytes{ 0x13, 0, 0, 0 });
	Bytes rd;
	CpioEntry(rd, "init", "#!/bin/sh\n");
	CpioEntry(rd, "TRAILER!!!", "");
	rd.resize(rd.size() + 512, 0);
	Bytes gz = GzipLike(64, 0);
	rd.insert(rd.end(), gz.begin(), gz.end());
	ASSERT_EQ(Load(k, Write("rd.cpio", rd).c_str()), 0) << err_.msg;
}

TEST_F(Loader, RejectsInitrdThatIsNotAnInitramfs)
{
	std::string k = Write("k.bin", Bytes{ 0x13, 0, 0, 0 });
	std::string rd = Write("rd.bin", Bytes(0x3000, 0x77));
	ExpectRejected(Load(k, rd.c_str()), rd, "neither a cpio (newc) header nor a compressed");
}

TEST_F(Loader, RejectsTruncatedCpioInitramfs)
{
	std::string k = Write("k.bin", Bytes{ 0x13, 0, 0, 0 });
	Bytes rd;
	CpioEntry(rd, "init", std::string(1000, 'x'));
	CpioEntry(rd, "TRAILER!!!", "");
	rd.resize(600);
	std::string path = Write("rd.cpio", rd);
	ExpectRejected(Load(k, path.c_str()), path, "runs past the end of the file");
	rd.clear();
	CpioEntry(rd, "init", "x");
	path = Write("rd2.cpio", rd);
	ExpectRejected(Load(k, path.c_str()), path, "no TRAILER!!! entry");
}

TEST_F(Loader, InitrdGoesHalfwayIntoSmallRamAnd128MiBIntoLargeRam)
{
	std::string k = Write("k.bin", Bytes{ 0x13, 0, 0, 0 });
	std::string rd = Write("rd.cpio", GzipLike(0x3000, 0x77));
	ASSERT_EQ(Load(k, rd.c_str(), nullptr, 128 * kMiB), 0) << err_.msg;
	EXPECT_EQ(info_.initrd_start, 0x80200000u + 64 * kMiB);
	EXPECT_EQ(info_.initrd_end, info_.initrd_start + 0x3000);

	machine_destroy(m_);
	m_ = nullptr;
	ASSERT_EQ(Load(k, rd.c_str(), nullptr, 512 * kMiB), 0) << err_.msg;
	EXPECT_EQ(info_.initrd_start, 0x80200000u + 128 * kMiB);
	uint8_t b = 0;
	ASSERT_TRUE(machine_read_phys(m_, info_.initrd_start + 0x2fff, &b, 1));
	EXPECT_EQ(b, 0x77);
}

uint64_t FdtProp(const void *fdt, const char *name)
{
	int node = fdt_path_offset(fdt, "/chosen");
	int len = 0;
	const uint8_t *p = (const uint8_t *)fdt_getprop(fdt, node, name, &len);
	if (!p || (len != 4 && len != 8))
		return ~0ull;
	uint64_t v = 0;
	for (int i = 0; i < len; i++)
		v = (v << 8) | p[i];
	return v;
}

TEST_F(Loader, InitrdLocationIsPassedInTheDeviceTree)
{
	std::string k = Write("k.bin", Bytes{ 0x13, 0, 0, 0 });
	std::string rd = Write("rd.cpio", GzipLike(0x3000, 0x77));
	ASSERT_EQ(Load(k, rd.c_str()), 0) << err_.msg;
	Bytes dtb(m_->fdt_size);
	ASSERT_TRUE(machine_read_phys(m_, m_->dtb_addr, dtb.data(), dtb.size()));
	ASSERT_EQ(fdt_check_header(dtb.data()), 0);
	EXPECT_EQ(FdtProp(dtb.data(), "linux,initrd-start"), info_.initrd_start);
	EXPECT_EQ(FdtProp(dtb.data(), "linux,initrd-end"), info_.initrd_end);
}

TEST_F(Loader, DtbSitsAt2MiBBelowRamEndOrBelow3GiB)
{
	std::string k = Write("k.bin", Bytes{ 0x13, 0, 0, 0 });
	ASSERT_EQ(Load(k), 0) << err_.msg;
	EXPECT_EQ(m_->dtb_addr, ((0x88000000u - m_->fdt_size) & ~(2 * kMiB - 1)));
	EXPECT_EQ(info_.dtb_addr, m_->dtb_addr);
	uint8_t magic[4];
	ASSERT_TRUE(machine_read_phys(m_, m_->dtb_addr, magic, 4));
	EXPECT_EQ(fdt32_ld((const fdt32_t *)magic), FDT_MAGIC);

	machine_destroy(m_);
	m_ = nullptr;
	ASSERT_EQ(Load(k, nullptr, nullptr, 1040 * kMiB), 0) << err_.msg;
	EXPECT_EQ(m_->dtb_addr, ((0xc0000000u - m_->fdt_size) & ~(2 * kMiB - 1)));
}

// ---- rejections ----

TEST_F(Loader, RejectsMissingFile)
{
	std::string k = dir_ + "/no-such-kernel";
	ExpectRejected(Load(k), k, "No such file or directory");
}

TEST_F(Loader, RejectsEmptyFile)
{
	std::string k = Write("empty", Bytes{});
	ExpectRejected(Load(k), k, "empty");
}

TEST_F(Loader, RejectsDirectory)
{
	ExpectRejected(Load(dir_), dir_, "directory");
}

TEST_F(Loader, RejectsGzipCompressedKernel)
{
	std::string k = Write("Image.gz", Bytes{ 0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0, 3 });
	ExpectRejected(Load(k), k, "gzip-compressed file; decompress it first");
}

TEST_F(Loader, RejectsZstdCompressedKernel)
{
	std::string k = Write("Image.zst", Bytes{ 0x28, 0xb5, 0x2f, 0xfd, 0x24, 0 });
	ExpectRejected(Load(k), k, "zstd-compressed");
}

TEST_F(Loader, RejectsScriptAndTextFiles)
{
	std::string s = "#!/bin/sh\necho hi\n";
	std::string k = Write("run.sh", Bytes(s.begin(), s.end()));
	ExpectRejected(Load(k), k, "script");
	machine_destroy(m_);
	m_ = nullptr;
	std::string t = "console=ttyS0 root=/dev/vda\n";
	std::string k2 = Write("cmdline.txt", Bytes(t.begin(), t.end()));
	ExpectRejected(Load(k2), k2, "text file");
}

TEST_F(Loader, RejectsTruncatedElfHeader)
{
	Bytes full = RiscvElf(0x80200000, { 0x13, 0, 0, 0 }, 4);
	std::string k = Write("short.elf", Bytes(full.begin(), full.begin() + 40));
	ExpectRejected(Load(k), k, "truncated ELF header");
}

TEST_F(Loader, RejectsElfForAnotherMachine)
{
	std::string k = Write("x86.elf", BuildElf64(EM_X86_64, 0x80200000,
						    { { 0x80200000, 0x80200000, Bytes(4), 4 } }));
	ExpectRejected(Load(k), k, "ELF file for x86-64 (e_machine 62), not RISC-V");
}

TEST_F(Loader, RejectsElf32)
{
	Elf32_Ehdr eh{};
	std::memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS32;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_type = ET_EXEC;
	eh.e_machine = EM_RISCV;
	Bytes b(sizeof(eh));
	std::memcpy(b.data(), &eh, sizeof(eh));
	std::string k = Write("rv32.elf", b);
	ExpectRejected(Load(k), k, "32-bit ELF file");
}

TEST_F(Loader, RejectsSegmentOutsideRam)
{
	std::string k = Write("vmlinux", RiscvElf(0x7fff0000, Bytes(0x10), 0x2000));
	ExpectRejected(Load(k), k,
		       "ELF segment 0 at 0x7fff0000 (size 0x2000) is outside RAM "
		       "0x80000000-0x87ffffff");
}

TEST_F(Loader, RejectsSegmentSizeThatWrapsTheAddressSpace)
{
	std::string k = Write("wrap.elf", RiscvElf(0x80200000, Bytes(0x10), 0xfffffffffffff000ull));
	ExpectRejected(Load(k), k, "wraps around the address space");
}

TEST_F(Loader, RejectsSegmentDataPastEndOfFile)
{
	Bytes b = RiscvElf(0x80200000, Bytes(0x100, 0x13), 0x100);
	b.resize(b.size() - 0x80); // cut the segment's bytes short
	std::string k = Write("cut.elf", b);
	ExpectRejected(Load(k), k, "extends past the end of the file");
}

TEST_F(Loader, RejectsOverlappingSegments)
{
	std::vector<Seg> segs = {
		{ 0x80200000, 0x80200000, Bytes(0x10), 0x2000 },
		{ 0x80201000, 0x80201000, Bytes(0x10), 0x1000 },
	};
	std::string k = Write("overlap.elf", BuildElf64(EM_RISCV, 0x80200000, segs));
	ExpectRejected(Load(k), k, "overlaps the ELF segment 0");
}

TEST_F(Loader, RejectsElfWithoutLoadableSegments)
{
	std::vector<Seg> segs = { { 0x80200000, 0x80200000, Bytes(0x10), 0x10, PT_NOTE } };
	std::string k = Write("noload.elf", BuildElf64(EM_RISCV, 0x80200000, segs));
	ExpectRejected(Load(k), k, "no loadable segments");
}

TEST_F(Loader, RejectsRelocatableObject)
{
	std::string k = Write("obj.o",
			      BuildElf64(EM_RISCV, 0, { { 0x80200000, 0x80200000, Bytes(4), 4 } },
					 ET_REL));
	ExpectRejected(Load(k), k, "relocatable object");
}

TEST_F(Loader, RejectsEntryOutsideRamAndSegments)
{
	std::string k = Write("entry.elf", BuildElf64(EM_RISCV, 0x1000,
						      { { 0x80200000, 0x80200000, Bytes(4), 4 } }));
	ExpectRejected(Load(k), k, "entry point 0x1000 is outside RAM");
}

TEST_F(Loader, RejectsImageWhoseImageSizeExceedsRam)
{
	std::string k = Write("Image", BuildImage(0x200000, 0x2000000, 0x1000));
	ExpectRejected(Load(k, nullptr, nullptr, 16 * kMiB), k, "image_size 0x2000000");
}

TEST_F(Loader, RejectsRawKernelLargerThanRam)
{
	std::string k = Write("big.bin", Bytes(17 * kMiB, 0));
	ExpectRejected(Load(k, nullptr, nullptr, 16 * kMiB), k, "does not fit in RAM");
}

TEST_F(Loader, RejectsInitrdThatWouldCoverTheDeviceTree)
{
	std::string k = Write("k.bin", Bytes{ 0x13, 0, 0, 0 });
	std::string rd = Write("rd.cpio", GzipLike(6 * kMiB, 0x55));
	// 16 MiB: initrd at 0x80a00000, DTB at 0x80e00000.
	ExpectRejected(Load(k, rd.c_str(), nullptr, 16 * kMiB), rd, "overlaps the initrd");
}

TEST_F(Loader, RejectsKernelOverlappingFirmware)
{
	std::string fw = Write("fw.bin", Bytes(0x1000, 0x13));
	std::string k = Write("k.elf", RiscvElf(0x80000000, Bytes(0x10, 0x13), 0x10));
	ExpectRejected(Load(k, nullptr, fw.c_str()), k, "overlaps the firmware");
}

TEST_F(Loader, RejectsMissingFirmware)
{
	std::string k = Write("k.bin", Bytes{ 0x13, 0, 0, 0 });
	std::string fw = dir_ + "/fw_dynamic.bin";
	ExpectRejected(Load(k, nullptr, fw.c_str()), fw, "cannot open the firmware");
}

// ---- images in memory ----

// An image from memory (struct loader_image) goes where the same bytes
// from a file go, with the same result in guest RAM and the hart.
TEST_F(Loader, MemoryImagesLoadLikeTheirFiles)
{
	Bytes rd;
	CpioEntry(rd, "init", "#!/bin/sh\n");
	CpioEntry(rd, "TRAILER!!!", "");
	const Bytes kernels[] = {
		RiscvElf(0x80200000, { 0x13, 0x05, 0x10, 0x00 }, 0x2000),
		BuildImage(0x200000, 0x10000, 256),
		Bytes{ 0x13, 0, 0, 0, 0x6f, 0, 0, 0 },
	};
	for (const Bytes &kb : kernels) {
		std::string k = Write("k", kb), r = Write("rd", rd);
		ASSERT_EQ(Load(k, r.c_str()), 0) << err_.msg;
		struct loader_info from_file = info_;
		uint64_t digest = machine_digest(m_);
		machine_destroy(m_);
		m_ = nullptr;

		Create(128 * kMiB, 1, nullptr);
		struct loader_image ki = { k.c_str(), kb.data(), kb.size() };
		struct loader_image ri = { r.c_str(), rd.data(), rd.size() };
		struct loader_opts o = {};
		o.kernel_mem = &ki;
		o.initrd_mem = &ri;
		o.info = &info_;
		ASSERT_EQ(loader_load(m_, &o, &err_), 0) << err_.msg;
		EXPECT_EQ(info_.kernel_format, from_file.kernel_format);
		EXPECT_EQ(info_.kernel_start, from_file.kernel_start);
		EXPECT_EQ(info_.kernel_end, from_file.kernel_end);
		EXPECT_EQ(info_.kernel_entry, from_file.kernel_entry);
		EXPECT_EQ(info_.initrd_start, from_file.initrd_start);
		EXPECT_EQ(info_.initrd_end, from_file.initrd_end);
		EXPECT_EQ(info_.dtb_addr, from_file.dtb_addr);
		EXPECT_EQ(machine_digest(m_), digest);
		machine_destroy(m_);
		m_ = nullptr;
	}
}

// Refusals name the image as the caller named it.
TEST_F(Loader, RejectsEmptyAndMalformedMemoryImages)
{
	Create(128 * kMiB, 1, nullptr);
	struct loader_opts o = {};
	struct loader_image empty = { "mem-kernel", nullptr, 0 };
	o.kernel_mem = &empty;
	ExpectRejected(loader_load(m_, &o, &err_), "mem-kernel", "empty");
	// The same sentence as for an empty file of that name.
	std::string k0 = Write("empty", Bytes{});
	struct loader_image empty_named = { k0.c_str(), nullptr, 0 };
	o.kernel_mem = &empty_named;
	ASSERT_EQ(loader_load(m_, &o, &err_), -1);
	std::string from_mem = err_.msg;
	o.kernel_mem = nullptr;
	o.kernel = k0.c_str();
	ASSERT_EQ(loader_load(m_, &o, &err_), -1);
	EXPECT_EQ(from_mem, err_.msg);
	o.kernel = nullptr;

	Bytes elf = RiscvElf(0x80200000, { 0x13, 0, 0, 0 }, 4);
	elf.resize(elf.size() - 2); // the segment's data runs past the end
	struct loader_image trunc = { "mem-elf", elf.data(), elf.size() };
	o.kernel_mem = &trunc;
	ExpectRejected(loader_load(m_, &o, &err_), "mem-elf", "past the end");

	Bytes raw = { 0x13, 0, 0, 0 };
	Bytes junk(0x100, 0x77);
	struct loader_image k = { "mem-raw", raw.data(), raw.size() };
	struct loader_image r = { "mem-initrd", junk.data(), junk.size() };
	o.kernel_mem = &k;
	o.initrd_mem = &r;
	ExpectRejected(loader_load(m_, &o, &err_), "mem-initrd", "neither a cpio");
}

TEST(LoaderBootMode, BiosOptionSelectsBootMode)
{
	EXPECT_EQ(loader_boot_mode(nullptr), BOOT_PV);
	EXPECT_EQ(loader_boot_mode("none"), BOOT_BARE);
	EXPECT_EQ(loader_boot_mode("fw_dynamic.bin"), BOOT_BIOS);
}

} // namespace
