// SPDX-License-Identifier: MIT
/*
 * ELF symbols (introspect/syms.c): addresses and nearest-symbol lookups
 * checked against riscv64-linux-gnu-nm on the fake kernel and on the
 * project-built vmlinux, and corrupt files (garbage, truncations, random
 * byte flips, wrong machine, no .symtab) rejected with a sentence.
 */
#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <random>
#include <sstream>

#include "tests/introspect/testutil.h"

extern "C" {
#include "introspect/syms.h"
}

namespace {

/* nm's symbol values (the first one for a repeated name). */
std::map<std::string, uint64_t> Nm(const std::string &elf)
{
	std::map<std::string, uint64_t> syms;
	std::istringstream in(introtest::Run("riscv64-linux-gnu-nm " + elf));
	std::string line;
	while (std::getline(in, line)) {
		std::istringstream fields(line);
		std::string value, type, sym;
		if (fields >> value >> type >> sym)
			syms.emplace(sym, std::stoull(value, nullptr, 16));
	}
	return syms;
}

struct SymsFile {
	struct intro_syms *s = nullptr;
	struct hv_err err = {};
	explicit SymsFile(const std::string &path) { s = intro_syms_open(path.c_str(), &err); }
	~SymsFile() { intro_syms_close(s); }
};

TEST(Syms, FakeKernelAddressesMatchNm)
{
	REQUIRE_FAKE_KERNEL();
	REQUIRE_TOOL("riscv64-linux-gnu-nm");
	std::string elf = introtest::FakeKernel();
	SymsFile f(elf);
	ASSERT_NE(f.s, nullptr) << f.err.msg;
	auto nm = Nm(elf);

	for (const char *name : { "start_kernel", "init_task", "modules" }) {
		uint64_t addr = 0, want = nm[name];
		ASSERT_NE(want, 0u) << "nm does not list " << name;
		ASSERT_EQ(intro_sym_addr(f.s, name, &addr), 0) << name;
		EXPECT_EQ(addr, want) << name;
	}
	uint64_t addr;
	EXPECT_EQ(intro_sym_addr(f.s, "no_such_symbol", &addr), -1);
}

TEST(Syms, LookupFindsCoveringSymbolAndOffset)
{
	REQUIRE_FAKE_KERNEL();
	SymsFile f(introtest::FakeKernel());
	ASSERT_NE(f.s, nullptr) << f.err.msg;
	uint64_t init_task = 0, size = 0, off = 0;
	const char *name = nullptr;

	ASSERT_EQ(intro_sym_addr(f.s, "init_task", &init_task), 0);
	ASSERT_EQ(intro_sym_size(f.s, "init_task", &size), 0);
	ASSERT_GT(size, 0x40u);
	ASSERT_EQ(intro_sym_lookup(f.s, init_task + 0x40, &name, &off), 0);
	EXPECT_STREQ(name, "init_task");
	EXPECT_EQ(off, 0x40u);
	ASSERT_EQ(intro_sym_lookup(f.s, init_task, &name, &off), 0);
	EXPECT_STREQ(name, "init_task");
	EXPECT_EQ(off, 0u);
	/* Just past the last byte of init_task is no longer init_task. */
	if (intro_sym_lookup(f.s, init_task + size, &name, &off) == 0) {
		EXPECT_STRNE(name, "init_task");
	}
	/* Far below every symbol, and far above: nothing. */
	EXPECT_EQ(intro_sym_lookup(f.s, 0x1000, &name, &off), -1);
	EXPECT_EQ(intro_sym_lookup(f.s, UINT64_MAX, &name, &off), -1);
}

TEST(Syms, BuiltVmlinuxMatchesNm)
{
	REQUIRE_VMLINUX(vmlinux);
	REQUIRE_TOOL("riscv64-linux-gnu-nm");
	SymsFile f(vmlinux);
	ASSERT_NE(f.s, nullptr) << f.err.msg;
	EXPECT_GT(intro_syms_count(f.s), 10000u);
	auto nm = Nm(vmlinux);

	for (const char *name : { "start_kernel", "init_task", "schedule", "do_sys_openat2",
				  "handle_exception", "jiffies" }) {
		uint64_t addr = 0, want = nm[name];
		ASSERT_NE(want, 0u) << "nm does not list " << name;
		ASSERT_EQ(intro_sym_addr(f.s, name, &addr), 0) << name;
		EXPECT_EQ(addr, want) << name;
	}
	uint64_t start = 0, off = 0;
	const char *name = nullptr;
	ASSERT_EQ(intro_sym_addr(f.s, "start_kernel", &start), 0);
	ASSERT_EQ(intro_sym_lookup(f.s, start + 6, &name, &off), 0);
	EXPECT_STREQ(name, "start_kernel");
	EXPECT_EQ(off, 6u);
	/* The trap vector is assembly: an STT_NOTYPE symbol with a size. */
	uint64_t vec = 0;
	ASSERT_EQ(intro_sym_addr(f.s, "handle_exception", &vec), 0);
	EXPECT_EQ(vec, nm["handle_exception"]);
	ASSERT_EQ(intro_sym_lookup(f.s, vec + 8, &name, &off), 0);
	EXPECT_STREQ(name, "handle_exception");
	EXPECT_EQ(off, 8u);
}

TEST(Syms, RejectsMissingGarbageAndForeignFiles)
{
	struct hv_err err = {};

	EXPECT_EQ(intro_syms_open("/nonexistent/vmlinux", &err), nullptr);
	EXPECT_NE(std::string(err.msg).find("cannot open"), std::string::npos) << err.msg;

	std::string garbage = introtest::WriteScratch("garbage", std::vector<char>(4096, 'x'));
	EXPECT_EQ(intro_syms_open(garbage.c_str(), &err), nullptr);
	EXPECT_NE(std::string(err.msg).find("not an ELF"), std::string::npos) << err.msg;

	std::string empty = introtest::WriteScratch("empty", {});
	EXPECT_EQ(intro_syms_open(empty.c_str(), &err), nullptr);

	/* This test binary is an ELF for the host, not for RISC-V. */
	EXPECT_EQ(intro_syms_open("/proc/self/exe", &err), nullptr);
	EXPECT_NE(std::string(err.msg).find("RISC-V"), std::string::npos) << err.msg;
}

TEST(Syms, StrippedFileHasNoSymtab)
{
	std::string stripped = introtest::FakeKernelStripped();
	if (stripped.empty())
		GTEST_FAIL() << "INTRO_FAKE_KERNEL_STRIPPED is not set: run the test through Bazel";
	struct hv_err err = {};

	EXPECT_EQ(intro_syms_open(stripped.c_str(), &err), nullptr);
	EXPECT_NE(std::string(err.msg).find(".symtab"), std::string::npos) << err.msg;
}

TEST(Syms, TruncatedFilesFailWithASentence)
{
	REQUIRE_FAKE_KERNEL();
	std::vector<char> elf = introtest::ReadFile(introtest::FakeKernel());
	ASSERT_GT(elf.size(), 1000u);
	int failed = 0;

	/* Every cut that loses the section headers or the symbol table must
	 * fail; none may crash. The section headers sit at the end. */
	for (size_t len : { (size_t)16, (size_t)64, (size_t)200, elf.size() / 2, elf.size() - 8 }) {
		std::vector<char> cut(elf.begin(), elf.begin() + (long)len);
		std::string path = introtest::WriteScratch("cut", cut);
		struct hv_err err = {};
		struct intro_syms *s = intro_syms_open(path.c_str(), &err);
		if (!s) {
			failed++;
			EXPECT_GT(strlen(err.msg), 10u) << len;
		}
		intro_syms_close(s);
	}
	EXPECT_EQ(failed, 5);
}

TEST(Syms, RandomCorruptionNeverCrashes)
{
	REQUIRE_FAKE_KERNEL();
	std::vector<char> elf = introtest::ReadFile(introtest::FakeKernel());
	std::mt19937 rng(1234);
	int opened = 0, failed = 0;

	for (int round = 0; round < 300; round++) {
		std::vector<char> bad = elf;
		for (int k = 0; k < 8; k++)
			bad[rng() % bad.size()] = (char)rng();
		if (round % 3 == 0)
			bad.resize(rng() % bad.size());
		std::string path = introtest::WriteScratch("fuzz", bad);
		struct hv_err err = {};
		struct intro_syms *s = intro_syms_open(path.c_str(), &err);
		if (s) {
			const char *name;
			uint64_t off, addr;
			for (uint64_t a = 0xffffffff80000000ull; a < 0xffffffff80002000ull; a += 8)
				intro_sym_lookup(s, a, &name, &off);
			intro_sym_addr(s, "init_task", &addr);
			opened++;
		} else {
			EXPECT_NE(err.msg[0], '\0');
			failed++;
		}
		intro_syms_close(s);
	}
	EXPECT_EQ(opened + failed, 300);
	EXPECT_GT(failed, 0);
}

} // namespace
