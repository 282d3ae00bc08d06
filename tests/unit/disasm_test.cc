// SPDX-License-Identifier: MIT
/*
 * Tests of the disassembler (hv/cpu/disasm.c) against GNU objdump.
 *
 * Each test writes encodings to a temporary raw binary, runs
 * `riscv64-linux-gnu-objdump -b binary -m riscv:rv64 -D -M no-aliases` on
 * it (tools/setup installs binutils-riscv64-linux-gnu; a missing objdump
 * fails the test with a message saying so) and compares objdump's
 * instruction column with isa_disasm() at the same address. Without ELF
 * attributes objdump 2.40 disassembles rv64gc, exactly our ISA.
 *
 * Coverage: all 49152 16-bit encodings; for every 32-bit table entry 300
 * random encodings that satisfy its match/mask; 40000 random 32-bit words;
 * every CSR number. Random numbers come from a fixed-seed generator so a
 * failure reproduces.
 *
 * Where objdump and the ISA manual disagree we follow the manual, and the
 * test lists those encodings in objdump_disagrees() with the reason; for
 * them it checks our text against the expected mnemonic instead.
 */
#include <gtest/gtest.h>

#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <unistd.h>
#include <vector>

extern "C" {
#include "hv/cpu/insn.h"
}

namespace {

const char kObjdump[] = "/usr/bin/riscv64-linux-gnu-objdump";

struct Sample {
	uint64_t pc;
	uint32_t raw;
};

uint64_t splitmix64(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

std::string temp_dir()
{
	const char *t = getenv("TEST_TMPDIR");
	return t && *t ? t : "/tmp";
}

/* Lay out the encodings back to back starting at vma and disassemble them
 * with objdump; returns address -> instruction text (symbol suffixes such as
 * " <.data+0x10>" removed). */
std::map<uint64_t, std::string> run_objdump(const std::vector<uint32_t> &raws, uint64_t vma,
					    std::vector<Sample> *samples)
{
	std::map<uint64_t, std::string> out;
	std::string path = temp_dir() + "/disasm_test_XXXXXX";
	std::vector<char> tmpl(path.begin(), path.end());
	tmpl.push_back('\0');
	int fd = mkstemp(tmpl.data());
	EXPECT_GE(fd, 0) << "cannot create a temporary file in " << temp_dir();
	if (fd < 0)
		return out;

	std::vector<uint8_t> bytes;
	uint64_t pc = vma;
	for (uint32_t raw : raws) {
		unsigned n = isa_insn_len((uint16_t)raw);
		for (unsigned i = 0; i < n; i++)
			bytes.push_back((uint8_t)(raw >> (8 * i)));
		samples->push_back({ pc, n == 2 ? (raw & 0xffff) : raw });
		pc += n;
	}
	EXPECT_EQ(write(fd, bytes.data(), bytes.size()), (ssize_t)bytes.size());
	close(fd);

	char cmd[512];
	snprintf(cmd, sizeof(cmd),
		 "%s -b binary -m riscv:rv64 -D -M no-aliases "
		 "--adjust-vma=0x%" PRIx64 " %s",
		 kObjdump, vma, tmpl.data());
	FILE *p = popen(cmd, "r");
	EXPECT_NE(p, nullptr) << "cannot run " << cmd;
	if (!p) {
		unlink(tmpl.data());
		return out;
	}
	char line[512];
	while (fgets(line, sizeof(line), p)) {
		/* "  addr:\t<hex bytes>\t<text>\n" */
		char *colon = strstr(line, ":\t");
		if (!colon)
			continue;
		char *end;
		uint64_t addr = strtoull(line, &end, 16);
		if (end != colon)
			continue;
		char *text = strchr(colon + 2, '\t');
		if (!text)
			continue;
		std::string s(text + 1);
		while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\t'))
			s.pop_back();
		/* objdump tracks lui/auipc results and appends them as
		 * "# 0x..." comments: not part of the instruction. */
		size_t comment = s.find(" # ");
		if (comment != std::string::npos)
			s.erase(comment);
		size_t sym = s.find(" <");
		if (sym != std::string::npos && s.back() == '>')
			s.erase(sym);
		out[addr] = s;
	}
	pclose(p);
	unlink(tmpl.data());
	return out;
}

bool objdump_available()
{
	return access(kObjdump, X_OK) == 0;
}

/*
 * Encodings where objdump 2.40 and the ISA manual disagree. Returns the
 * mnemonic we print (and the reason) or nullptr when objdump is right.
 */
const char *objdump_disagrees(uint32_t raw, const char **why)
{
	if (raw == 0x6101) {
		*why = "c.addi16sp with nzimm = 0 is reserved "
		       "(unpriv/c-st-ext.adoc); objdump prints c.addi16sp sp,0";
		return ".2byte";
	}
	if ((raw & 3) != 3)
		return nullptr;
	uint32_t opcode = raw & 0x7f, funct3 = (raw >> 12) & 7;
	uint32_t rd = (raw >> 7) & 0x1f, rs1 = (raw >> 15) & 0x1f;
	uint32_t fm = raw >> 28, pred_succ = (raw >> 20) & 0xff;
	uint32_t f7rs2 = raw >> 20, rm = funct3;

	if (raw == 0x0100000f) {
		*why = "PAUSE (Zihintpause): objdump 2.40 defaults to rv64gc "
		       "without Zihintpause and prints fence w,unknown";
		return "pause";
	}
	if (opcode == 0x0f && funct3 == 0 &&
	    (rd != 0 || rs1 != 0 || (fm != 0 && fm != 8) || (fm == 8 && pred_succ != 0x33))) {
		*why = "FENCE: unpriv/rv32.adoc asks base implementations to "
		       "ignore fm, rs1 and rd (and to treat reserved fm values "
		       "as plain fences); objdump requires them zero";
		return fm == 8 && pred_succ == 0x33 ? "fence.tso" : "fence";
	}
	if (opcode == 0x0f && funct3 == 1 && raw != 0x0000100f) {
		*why = "FENCE.I: unpriv/zifencei.adoc says imm, rs1 and rd "
		       "are ignored; objdump requires them zero";
		return "fence.i";
	}
	if (opcode == 0x53 && rm != 0 && (f7rs2 == 0x420 || f7rs2 == 0xd20 || f7rs2 == 0xd21)) {
		*why = "fcvt.d.s/fcvt.d.w/fcvt.d.wu are exact, but the rm "
		       "field is still a field (unpriv/d-st-ext.adoc); "
		       "objdump requires rm = 0";
		return f7rs2 == 0x420 ? "fcvt.d.s" : f7rs2 == 0xd20 ? "fcvt.d.w" : "fcvt.d.wu";
	}
	return nullptr;
}

/* Compare every sample; report up to 40 mismatches. Returns the count. */
int compare(const std::vector<uint32_t> &raws, uint64_t vma)
{
	std::vector<Sample> samples;
	std::map<uint64_t, std::string> ref = run_objdump(raws, vma, &samples);
	int bad = 0, excused = 0;

	EXPECT_FALSE(ref.empty()) << "objdump printed nothing";
	for (const Sample &s : samples) {
		char buf[128];
		isa_disasm(s.raw, s.pc, buf, sizeof(buf));
		auto it = ref.find(s.pc);
		std::string want = it == ref.end() ? "<missing>" : it->second;
		if (want == buf)
			continue;
		const char *why = nullptr;
		const char *ours = objdump_disagrees(s.raw, &why);
		std::string got(buf);
		if (ours && got.substr(0, got.find('\t')) == ours) {
			excused++;
			continue;
		}
		if (bad++ < 40)
			ADD_FAILURE() << std::hex << "0x" << s.raw << " @0x" << s.pc << ": got '"
				      << buf << "', objdump '" << want << "'"
				      << (ours ? " (known difference: " : "") << (ours ? why : "")
				      << (ours ? ")" : "");
	}
	printf("%zu encodings compared, %d documented differences\n", samples.size(), excused);
	if (bad)
		ADD_FAILURE()
			<< bad << " of " << samples.size() << " encodings differ from objdump";
	return bad;
}

#define REQUIRE_OBJDUMP()                                                           \
	do {                                                                        \
		if (!objdump_available())                                           \
			GTEST_FAIL() << kObjdump << " is missing: install "         \
				     << "binutils-riscv64-linux-gnu (tools/setup)"; \
	} while (0)

TEST(Disasm, EveryCompressedEncodingMatchesObjdump)
{
	REQUIRE_OBJDUMP();
	std::vector<uint32_t> raws;
	for (uint32_t v = 0; v < 0x10000; v++)
		if ((v & 3) != 3)
			raws.push_back(v);
	EXPECT_EQ(compare(raws, 0), 0);
}

/* 32-bit words objdump can take: low bits 11 and not a 48-bit-or-longer
 * prefix (xxx11111), which objdump would read past. */
bool is_plain32(uint32_t raw)
{
	return (raw & 3) == 3 && (raw & 0x1f) != 0x1f;
}

TEST(Disasm, EveryTableEntrySampleMatchesObjdump)
{
	REQUIRE_OBJDUMP();
	uint64_t seed = 0x5eed0001;
	std::vector<uint32_t> raws;
	for (unsigned id = 0; id < ISA_COUNT; id++) {
		const struct isa_info *e = &isa_table[id];
		if ((e->match & 3) != 3)
			continue;
		raws.push_back(e->match);
		for (int i = 0; i < 300; i++)
			raws.push_back(e->match | ((uint32_t)splitmix64(&seed) & ~e->mask));
	}
	/* Branch and jump targets on both sides of a high base address. */
	EXPECT_EQ(compare(raws, 0x80000000ull), 0);
}

TEST(Disasm, RandomWordsMatchObjdump)
{
	REQUIRE_OBJDUMP();
	uint64_t seed = 0x5eed0002;
	std::vector<uint32_t> raws;
	while (raws.size() < 40000) {
		uint32_t raw = (uint32_t)splitmix64(&seed) | 3;
		if (is_plain32(raw))
			raws.push_back(raw);
	}
	EXPECT_EQ(compare(raws, 0x1000), 0);
}

TEST(Disasm, EveryCsrNumberMatchesObjdump)
{
	REQUIRE_OBJDUMP();
	std::vector<uint32_t> raws;
	for (uint32_t csr = 0; csr < 4096; csr++) {
		raws.push_back(csr << 20 | 11u << 15 | 2u << 12 | 10u << 7 | 0x73);
		raws.push_back(csr << 20 | 31u << 15 | 5u << 12 | 0u << 7 | 0x73);
	}
	EXPECT_EQ(compare(raws, 0), 0);
}

TEST(Disasm, PrintsKnownForms)
{
	char buf[64];

	isa_disasm(0x00b50463, 0x1000, buf, sizeof(buf));
	EXPECT_STREQ(buf, "beq\ta0,a1,0x1008");
	isa_disasm(0x06b5252f, 0, buf, sizeof(buf));
	EXPECT_STREQ(buf, "amoadd.w.aqrl\ta0,a1,(a0)");
	isa_disasm(0x00b50553, 0, buf, sizeof(buf));
	EXPECT_STREQ(buf, "fadd.s\tfa0,fa0,fa1,rne");
	isa_disasm(0x00b57553, 0, buf, sizeof(buf));
	EXPECT_STREQ(buf, "fadd.s\tfa0,fa0,fa1");
	isa_disasm(0x10002573, 0, buf, sizeof(buf));
	EXPECT_STREQ(buf, "csrrs\ta0,sstatus,zero");
	isa_disasm(0x0ff0000f, 0, buf, sizeof(buf));
	EXPECT_STREQ(buf, "fence\tiorw,iorw");
	isa_disasm(0x0100000f, 0, buf, sizeof(buf));
	EXPECT_STREQ(buf, "pause");
	isa_disasm(0x0000, 0, buf, sizeof(buf));
	EXPECT_STREQ(buf, "c.unimp");
	isa_disasm(0x6581, 0, buf, sizeof(buf));
	EXPECT_STREQ(buf, ".2byte\t0x6581");
	isa_disasm(0x42057553, 0, buf, sizeof(buf));
	EXPECT_STREQ(buf, "fcvt.d.s\tfa0,fa0,dyn");
	/* Backward jump from address 0 wraps like objdump's 64-bit vma. */
	isa_disasm(0xbff5, 0, buf, sizeof(buf));
	EXPECT_STREQ(buf, "c.j\t0xfffffffffffffffc");
}

TEST(Disasm, TruncatesToBufferAndReturnsLength)
{
	char buf[8];

	memset(buf, 'x', sizeof(buf));
	int n = isa_disasm(0x06b5252f, 0, buf, sizeof(buf));
	EXPECT_EQ(n, 7);
	EXPECT_STREQ(buf, "amoadd.");
	char big[64];
	n = isa_disasm(0x06b5252f, 0, big, sizeof(big));
	EXPECT_EQ(n, (int)strlen("amoadd.w.aqrl\ta0,a1,(a0)"));
	EXPECT_EQ(isa_disasm(0x06b5252f, 0, buf, 0), 0);
}

} // namespace
