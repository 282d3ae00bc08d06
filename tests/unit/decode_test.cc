// SPDX-License-Identifier: MIT
/*
 * Tests of the instruction table (hv/cpu/isa.def) and the decoder
 * (hv/cpu/decode.c): table invariants, agreement of the indexed decoder with a
 * plain scan of the table, the operands of compressed expansions and of
 * each immediate format, reserved encodings and HINTs. Expected values come
 * from the ISA manual's encoding tables and were cross-checked with
 * `riscv64-linux-gnu-objdump -M no-aliases` (shown in the comments).
 */
#include <gtest/gtest.h>

#include <cstring>
#include <set>
#include <string>
#include <vector>

extern "C" {
#include "hv/cpu/insn.h"
}

namespace {

uint64_t splitmix64(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

bool is_compressed_entry(unsigned id)
{
	return (isa_table[id].match & 3) != 3;
}

std::string mn(unsigned id)
{
	return id < ISA_COUNT ? isa_table[id].mnemonic : "<illegal>";
}

/* Entries whose match/mask the encoding satisfies (16-bit forms compared
 * on their low half only). */
std::vector<unsigned> matching_entries(uint32_t raw)
{
	std::vector<unsigned> ids;
	bool c = (raw & 3) != 3;
	for (unsigned id = 0; id < ISA_COUNT; id++) {
		if (is_compressed_entry(id) != c)
			continue;
		uint32_t r = c ? raw & 0xffff : raw;
		if ((r & isa_table[id].mask) == isa_table[id].match)
			ids.push_back(id);
	}
	return ids;
}

/* The RVC encodings reserved by unpriv/c-st-ext.adoc that a match/mask
 * pair cannot exclude; restated here independently of decode.c. */
bool rvc_reserved(unsigned id, uint32_t raw)
{
	std::string m = isa_table[id].mnemonic;
	uint32_t rd = (raw >> 7) & 0x1f;
	uint32_t ci6 = ((raw >> 12) & 1) << 5 | ((raw >> 2) & 0x1f);
	if (m == "c.addi4spn")
		return ((raw >> 5) & 0xff) == 0;
	if (m == "c.addiw" || m == "c.lwsp" || m == "c.ldsp")
		return rd == 0;
	if (m == "c.jr")
		return rd == 0;
	if (m == "c.lui")
		return ci6 == 0;
	if (m == "c.addi16sp")
		return ci6 == 0;
	return false;
}

/* Reference decoder: scan the whole table; the entry with the most
 * specific mask wins; reserved RVC encodings are illegal. */
unsigned reference_decode(uint32_t raw)
{
	if ((raw & 3) == 3 && (raw & 0x1f) == 0x1f)
		return ISA_ILLEGAL;
	std::vector<unsigned> ids = matching_entries(raw);
	unsigned best = ISA_ILLEGAL;
	int best_bits = -1;
	for (unsigned id : ids) {
		int bits = __builtin_popcount(isa_table[id].mask);
		if (bits > best_bits)
			best = id, best_bits = bits;
	}
	if (best != ISA_ILLEGAL && rvc_reserved(best, raw))
		return ISA_ILLEGAL;
	return best;
}

/* Every pair of entries that one encoding satisfies must be nested: one
 * mask strictly contains the other, so "most specific wins" is defined. */
void expect_unambiguous(uint32_t raw)
{
	std::vector<unsigned> ids = matching_entries(raw);
	for (size_t i = 0; i < ids.size(); i++)
		for (size_t j = i + 1; j < ids.size(); j++) {
			uint32_t a = isa_table[ids[i]].mask;
			uint32_t b = isa_table[ids[j]].mask;
			bool nested = a != b && ((a & b) == a || (a & b) == b);
			EXPECT_TRUE(nested) << std::hex << "0x" << raw << " matches both "
					    << mn(ids[i]) << " and " << mn(ids[j]);
		}
}

TEST(IsaTable, MatchBitsLieInsideMask)
{
	for (unsigned id = 0; id < ISA_COUNT; id++) {
		const struct isa_info *e = &isa_table[id];
		EXPECT_EQ(e->match & e->mask, e->match) << e->mnemonic;
		/* The length bits are always fixed. */
		EXPECT_EQ(e->mask & 3, 3u) << e->mnemonic;
		if (is_compressed_entry(id))
			EXPECT_EQ(e->mask >> 16, 0u) << e->mnemonic;
		else
			EXPECT_NE(e->match & 0x1f, 0x1fu) << e->mnemonic;
	}
}

TEST(IsaTable, MnemonicsAreUniqueAndIdsFollowThem)
{
	std::set<std::string> seen;
	for (unsigned id = 0; id < ISA_COUNT; id++)
		EXPECT_TRUE(seen.insert(isa_table[id].mnemonic).second) << isa_table[id].mnemonic;
	EXPECT_EQ(mn(ISA_fadd_d), "fadd.d");
	EXPECT_EQ(mn(ISA_c_addi4spn), "c.addi4spn");
	EXPECT_EQ(mn(ISA_sfence_vma), "sfence.vma");
}

TEST(IsaTable, ExecColumnNamesSelfOrA32BitExpansion)
{
	for (unsigned id = 0; id < ISA_COUNT; id++) {
		const struct isa_info *e = &isa_table[id];
		if (!is_compressed_entry(id)) {
			EXPECT_EQ(e->exec, id) << e->mnemonic;
			continue;
		}
		ASSERT_LT(e->exec, (unsigned)ISA_COUNT) << e->mnemonic;
		EXPECT_FALSE(is_compressed_entry(e->exec)) << e->mnemonic;
		/* "c.lw" expands to "lw", "c.mv" to "add" ... but the class
		 * of control flow must agree with the expansion. */
		uint16_t flow = ISA_CLASS_BRANCH | ISA_CLASS_JUMP | ISA_CLASS_ENDS_BLOCK |
				ISA_CLASS_LOAD | ISA_CLASS_STORE | ISA_CLASS_FP;
		EXPECT_EQ(e->cls & flow, isa_table[e->exec].cls & flow) << e->mnemonic;
	}
	EXPECT_EQ(isa_table[ISA_c_mv].exec, ISA_add);
	EXPECT_EQ(isa_table[ISA_c_j].exec, ISA_jal);
	EXPECT_EQ(isa_table[ISA_c_beqz].exec, ISA_beq);
	EXPECT_EQ(isa_table[ISA_c_addi16sp].exec, ISA_addi);
	EXPECT_EQ(isa_table[ISA_c_fldsp].exec, ISA_fld);
}

TEST(IsaTable, EndsBlockOnExactlyControlFlowSystemFenceIAndCsr)
{
	std::set<std::string> want = {
		"jal",     "jalr",  "beq",    "bne",    "blt",    "bge",      "bltu",
		"bgeu",    "ecall", "ebreak", "mret",   "sret",   "wfi",      "sfence.vma",
		"fence.i", "csrrw", "csrrs",  "csrrc",  "csrrwi", "csrrsi",   "csrrci",
		"c.j",     "c.jr",  "c.jalr", "c.beqz", "c.bnez", "c.ebreak",
	};
	for (unsigned id = 0; id < ISA_COUNT; id++) {
		bool ends = isa_table[id].cls & ISA_CLASS_ENDS_BLOCK;
		EXPECT_EQ(ends, want.count(isa_table[id].mnemonic) == 1) << isa_table[id].mnemonic;
	}
}

TEST(IsaTable, FloatingPointEntriesCarryFpClass)
{
	for (unsigned id = 0; id < ISA_COUNT; id++) {
		const struct isa_info *e = &isa_table[id];
		std::string m = e->mnemonic;
		bool fp = e->ext == ISA_EXT_F || e->ext == ISA_EXT_D || m == "c.fld" ||
			  m == "c.fsd" || m == "c.fldsp" || m == "c.fsdsp";
		EXPECT_EQ((e->cls & ISA_CLASS_FP) != 0, fp) << m;
	}
	EXPECT_TRUE(isa_table[ISA_fmv_x_d].cls & ISA_CLASS_FP);
	EXPECT_EQ(isa_table[ISA_fcvt_s_d].ext, ISA_EXT_D);
}

TEST(IsaTable, CoversEveryRv64gcInstruction)
{
	/* Counts per extension of the RV64GC instruction list (unpriv
	 * "RV32/64G Instruction Set Listings") plus our extras. */
	unsigned n[ISA_EXT_ZIHINTPAUSE + 1] = {};
	for (unsigned id = 0; id < ISA_COUNT; id++)
		n[isa_table[id].ext]++;
	/* RV32I: 37 computational, load/store and control instructions,
	 * fence, fence.tso, ecall, ebreak; RV64I adds 12. */
	EXPECT_EQ(n[ISA_EXT_I], 41u + 12u);
	EXPECT_EQ(n[ISA_EXT_M], 13u);
	EXPECT_EQ(n[ISA_EXT_A], 22u);
	EXPECT_EQ(n[ISA_EXT_F], 30u);
	EXPECT_EQ(n[ISA_EXT_D], 32u);
	EXPECT_EQ(n[ISA_EXT_ZICSR], 6u);
	EXPECT_EQ(n[ISA_EXT_ZIFENCEI], 1u);
	EXPECT_EQ(n[ISA_EXT_PRIV], 4u);
	EXPECT_EQ(n[ISA_EXT_ZIHINTPAUSE], 1u);
	/* RV64C: 37 instructions with c.nop folded into c.addi, plus the
	 * three shift-by-zero HINT forms objdump names. */
	EXPECT_EQ(n[ISA_EXT_C], 36u + 3u);
}

TEST(Decode, EveryCompressedEncodingAgreesWithTableScan)
{
	for (uint32_t raw = 0; raw < 0x10000; raw++) {
		if ((raw & 3) == 3)
			continue;
		expect_unambiguous(raw);
		struct insn in;
		unsigned got = isa_decode(raw, &in);
		unsigned want = reference_decode(raw);
		ASSERT_EQ(got, want)
			<< std::hex << "0x" << raw << ": " << mn(got) << " vs " << mn(want);
		ASSERT_EQ(in.len, 2u);
		ASSERT_EQ(in.id, got);
		ASSERT_EQ(in.op, got == ISA_ILLEGAL ? (unsigned)ISA_ILLEGAL : isa_table[got].exec);
	}
}

TEST(Decode, Random32BitWordsAgreeWithTableScan)
{
	uint64_t seed = 0xdec0de;
	std::vector<uint32_t> raws;
	for (int i = 0; i < 200000; i++)
		raws.push_back((uint32_t)splitmix64(&seed) | 3);
	/* and words built from each entry, free bits random */
	for (unsigned id = 0; id < ISA_COUNT; id++) {
		if (is_compressed_entry(id))
			continue;
		for (int i = 0; i < 200; i++)
			raws.push_back(isa_table[id].match |
				       ((uint32_t)splitmix64(&seed) & ~isa_table[id].mask));
	}
	for (uint32_t raw : raws) {
		expect_unambiguous(raw);
		struct insn in;
		unsigned got = isa_decode(raw, &in);
		ASSERT_EQ(got, reference_decode(raw)) << std::hex << "0x" << raw;
		ASSERT_EQ(in.len, 4u);
		ASSERT_EQ(in.raw, raw);
	}
}

TEST(Decode, EachEntryDecodesToItselfFromItsMatch)
{
	for (unsigned id = 0; id < ISA_COUNT; id++) {
		struct insn in;
		uint32_t raw = isa_table[id].match;
		/* Fill operand fields that the format forbids to be zero. */
		if (id == ISA_c_addi4spn || id == ISA_c_lui || id == ISA_c_addi16sp)
			raw |= 1u << 12;
		if (id == ISA_c_addiw || id == ISA_c_lwsp || id == ISA_c_ldsp || id == ISA_c_jr ||
		    id == ISA_c_jalr)
			raw |= 1u << 7;
		if (id == ISA_c_mv || id == ISA_c_add)
			raw |= 1u << 2;
		if (id == ISA_c_slli || id == ISA_c_srli || id == ISA_c_srai)
			raw |= 1u << 2;
		EXPECT_EQ(isa_decode(raw, &in), id) << mn(id);
	}
}

struct insn decode(uint32_t raw)
{
	struct insn in;
	memset(&in, 0xa5, sizeof(in));
	isa_decode(raw, &in);
	return in;
}

#define EXPECT_INSN(raw, id_, op_, rd_, rs1_, rs2_, imm_)     \
	do {                                                  \
		struct insn in_ = decode(raw);                \
		EXPECT_EQ(mn(in_.id), mn(ISA_##id_)) << #raw; \
		EXPECT_EQ(mn(in_.op), mn(ISA_##op_)) << #raw; \
		EXPECT_EQ(in_.rd, rd_) << #raw;               \
		EXPECT_EQ(in_.rs1, rs1_) << #raw;             \
		EXPECT_EQ(in_.rs2, rs2_) << #raw;             \
		EXPECT_EQ(in_.imm, (int64_t)(imm_)) << #raw;  \
	} while (0)

TEST(Decode, CompressedAddi4spnScalesAndAddsToSp)
{
	EXPECT_INSN(0x0048, c_addi4spn, addi, 10, 2, 0, 4);    /* a0,sp,4 */
	EXPECT_INSN(0x1ffc, c_addi4spn, addi, 15, 2, 0, 1020); /* a5,sp,1020 */
}

TEST(Decode, CompressedLoadsAndStoresScaleOffsets)
{
	EXPECT_INSN(0x41c8, c_lw, lw, 10, 11, 0, 4);     /* c.lw a0,4(a1) */
	EXPECT_INSN(0x2188, c_fld, fld, 10, 11, 0, 0);   /* c.fld fa0,0(a1) */
	EXPECT_INSN(0xa188, c_fsd, fsd, 0, 11, 10, 0);   /* c.fsd fa0,0(a1) */
	EXPECT_INSN(0x6522, c_ldsp, ld, 10, 2, 0, 8);    /* c.ldsp a0,8(sp) */
	EXPECT_INSN(0x70fe, c_ldsp, ld, 1, 2, 0, 504);   /* c.ldsp ra,504(sp) */
	EXPECT_INSN(0xe42a, c_sdsp, sd, 0, 2, 10, 8);    /* c.sdsp a0,8(sp) */
	EXPECT_INSN(0xfffe, c_sdsp, sd, 0, 2, 31, 504);  /* c.sdsp t6,504(sp) */
	EXPECT_INSN(0xc62a, c_swsp, sw, 0, 2, 10, 12);   /* c.swsp a0,12(sp) */
	EXPECT_INSN(0x3502, c_fldsp, fld, 10, 2, 0, 32); /* c.fldsp fa0,32(sp) */
	EXPECT_INSN(0xa502, c_fsdsp, fsd, 0, 2, 0, 136); /* c.fsdsp ft0,136(sp) */
	/* c.lwsp rd, uimm[5] bit 12, uimm[4:2] bits 6:4, uimm[7:6] bits 3:2 */
	EXPECT_INSN(0x4002 | 1 << 12 | 10 << 7 | 0x1f << 2, c_lwsp, lw, 10, 2, 0, 252);
}

TEST(Decode, CompressedJumpsAndBranchesBecomeJalAndBranchAgainstZero)
{
	EXPECT_INSN(0xbff5, c_j, jal, 0, 0, 0, -4);
	EXPECT_INSN(0xc111, c_beqz, beq, 0, 10, 0, 4);
	EXPECT_INSN(0x8502, c_jr, jalr, 0, 10, 0, 0);
	EXPECT_INSN(0x9502, c_jalr, jalr, 1, 10, 0, 0);
	/* In RV64 the RV32 c.jal encoding is c.addiw. */
	EXPECT_INSN(0x3ffd, c_addiw, addiw, 31, 31, 0, -1);
	/* Largest offsets: c.j +2046, c.bnez -256. */
	/* single offset bits: raw bit 7 is offset[6], bit 6 offset[7],
	 * bit 2 offset[5] (c.j) */
	EXPECT_INSN(0xa081, c_j, jal, 0, 0, 0, 64);
	EXPECT_INSN(0xa041, c_j, jal, 0, 0, 0, 128);
	EXPECT_INSN(0xa005, c_j, jal, 0, 0, 0, 32);
	EXPECT_INSN(0xc005, c_beqz, beq, 0, 8, 0, 32);
	EXPECT_INSN(0xaffd, c_j, jal, 0, 0, 0, 2046);
	EXPECT_INSN(0xfc01, c_bnez, bne, 0, 8, 0, -232);
}

TEST(Decode, CompressedShiftsAndImmediates)
{
	EXPECT_INSN(0x8505, c_srai, srai, 10, 10, 0, 1);
	EXPECT_INSN(0x8001 | 1 << 12 | 0x1f << 2, c_srli, srli, 8, 8, 0, 63);
	EXPECT_INSN(0x050a, c_slli, slli, 10, 10, 0, 2);
	EXPECT_INSN(0x0502, c_slli64, slli, 10, 10, 0, 0);
	EXPECT_INSN(0x8905, c_andi, andi, 10, 10, 0, 1);
	EXPECT_INSN(0x557d, c_li, addi, 10, 0, 0, -1);
	EXPECT_INSN(0x6505, c_lui, lui, 10, 0, 0, 0x1000);
	/* c.lui a0,0xfffe0: nzimm sign-extends from bit 17 */
	EXPECT_INSN(0x7501, c_lui, lui, 10, 0, 0, -0x20000);
	EXPECT_INSN(0x7179, c_addi16sp, addi, 2, 2, 0, -48);
	EXPECT_INSN(0x6105, c_addi16sp, addi, 2, 2, 0, 32);
	EXPECT_INSN(0x852e, c_mv, add, 10, 0, 11, 0);
	EXPECT_INSN(0x952e, c_add, add, 10, 10, 11, 0);
	EXPECT_INSN(0x8d7d, c_and, and, 10, 10, 15, 0);
	EXPECT_INSN(0x9d2d, c_addw, addw, 10, 10, 11, 0);
	EXPECT_INSN(0x9002, c_ebreak, ebreak, 0, 0, 0, 0);
}

TEST(Decode, ThirtyTwoBitImmediatesSignExtend)
{
	EXPECT_INSN(0xfe000fe3, beq, beq, 0, 0, 0, -2);
	EXPECT_INSN(0xfffff06f, jal, jal, 0, 0, 0, -2);
	EXPECT_INSN(0xff0ff06f, jal, jal, 0, 0, 0, -0x810);
	EXPECT_INSN(0xfe002fa3, sw, sw, 0, 0, 0, -1);
	EXPECT_INSN(0x80000013, addi, addi, 0, 0, 0, -2048);
	EXPECT_INSN(0xfffff037, lui, lui, 0, 0, 0, -4096);
	EXPECT_INSN(0x7ffff517, auipc, auipc, 10, 0, 0, 0x7ffff000);
	EXPECT_INSN(0x43f55513, srai, srai, 10, 10, 0, 63);
	/* CSR numbers are unsigned 12-bit */
	EXPECT_INSN(0xffff9573, csrrw, csrrw, 10, 31, 0, 0xfff);
	EXPECT_INSN(0x3000d573, csrrwi, csrrwi, 10, 1, 0, 0x300);
}

TEST(Decode, AmoOrderingBitsGoToRm)
{
	struct insn in = decode(0x0405b52f); /* amoadd.d.aq a0,zero,(a1) */
	EXPECT_EQ(in.id, ISA_amoadd_d);
	EXPECT_EQ(in.rm, 2);
	in = decode(0x1205a52f); /* lr.w.rl a0,(a1) */
	EXPECT_EQ(in.id, ISA_lr_w);
	EXPECT_EQ(in.rm, 1);
	EXPECT_EQ(in.rs1, 11);
	in = decode(0x4605272f); /* amoor.w.aqrl a4,zero,(a0) */
	EXPECT_EQ(in.id, ISA_amoor_w);
	EXPECT_EQ(in.rm, 3);
	/* lr with rs2 != 0 is not an instruction */
	EXPECT_EQ(decode(0x1215a52f).id, ISA_ILLEGAL);
}

TEST(Decode, FloatingPointOperandsAndRoundingMode)
{
	struct insn in = decode(0x28b57543); /* fmadd.s fa0,fa0,fa1,ft5 */
	EXPECT_EQ(in.id, ISA_fmadd_s);
	EXPECT_EQ(in.rd, 10);
	EXPECT_EQ(in.rs2, 11);
	EXPECT_EQ(in.rs3, 5);
	EXPECT_EQ(in.rm, 7);
	/* rm 5 and 6 decode; the executor raises illegal on them */
	in = decode(0x00b55553);
	EXPECT_EQ(in.id, ISA_fadd_s);
	EXPECT_EQ(in.rm, 5);
	in = decode(0x00b56553);
	EXPECT_EQ(in.id, ISA_fadd_s);
	EXPECT_EQ(in.rm, 6);
	in = decode(0xc0250553); /* fcvt.l.s a0,fa0,rne */
	EXPECT_EQ(in.id, ISA_fcvt_l_s);
	EXPECT_EQ(in.rm, 0);
	EXPECT_EQ(decode(0xe2050553).id, ISA_fmv_x_d);
	EXPECT_EQ(decode(0xe2051553).id, ISA_fclass_d);
	/* fmv.x.w with funct3 != 0 (other than fclass) is not defined */
	EXPECT_EQ(decode(0xe0052553).id, ISA_ILLEGAL);
}

TEST(Decode, ReservedEncodingsAreIllegal)
{
	const uint32_t reserved[] = {
		0x0000,     /* all-zero halfword */
		0x0004,     /* c.addi4spn nzuimm = 0 */
		0x8000,     /* reserved quadrant-0 slot */
		0x2001,     /* c.addiw rd = 0 */
		0x6101,     /* c.addi16sp nzimm = 0 */
		0x6501,     /* c.lui a0 with nzimm = 0 */
		0x8002,     /* c.jr zero */
		0x4002,     /* c.lwsp zero */
		0x6002,     /* c.ldsp zero */
		0x9c41,     /* c.subw space funct2 = 10 */
		0x9d7d,     /* c.subw space funct2 = 11 */
		0x0200101b, /* slliw shamt[5] = 1 */
		0x4200501b, /* sraiw shamt[5] = 1 */
		0x0000001f, /* 48-bit prefix */
		0xffffffff,
		0x00000073 | 1u << 7,  /* ecall with rd != 0 */
		0x0200003b | 2u << 12, /* OP-32 funct7 = 1 funct3 = 2 */
		0x5005252f,            /* AMO funct5 = 01010 */
	};
	for (uint32_t raw : reserved) {
		struct insn in = decode(raw);
		EXPECT_EQ(in.id, ISA_ILLEGAL) << std::hex << "0x" << raw << " " << mn(in.id);
		EXPECT_EQ(in.op, ISA_ILLEGAL);
		EXPECT_EQ(in.len, (raw & 3) == 3 ? 4 : 2);
	}
}

TEST(Decode, HintsDecodeAsTheirInstruction)
{
	EXPECT_INSN(0x0001, c_addi, addi, 0, 0, 0, 0);    /* c.nop */
	EXPECT_INSN(0x0501, c_addi, addi, 10, 10, 0, 0);  /* c.addi a0,0 */
	EXPECT_INSN(0x4001, c_li, addi, 0, 0, 0, 0);      /* c.li zero,0 */
	EXPECT_INSN(0x802e, c_mv, add, 0, 0, 11, 0);      /* c.mv zero,a1 */
	EXPECT_INSN(0x6005, c_lui, lui, 0, 0, 0, 0x1000); /* c.lui zero,1 */
	EXPECT_INSN(0x00000013, addi, addi, 0, 0, 0, 0);  /* nop */
	EXPECT_EQ(decode(0x0100000f).id, ISA_pause);
	EXPECT_EQ(decode(0x8330000f).id, ISA_fence_tso);
	/* reserved FENCE fields are ignored */
	EXPECT_EQ(decode(0x0ff5058f).id, ISA_fence);
	EXPECT_EQ(decode(0x0ff5058f).imm, 0x0ff);
	EXPECT_EQ(decode(0x0010100f).id, ISA_fence_i);
}

TEST(Decode, LengthAndRawOfCompressedIgnoreUpperHalf)
{
	struct insn in = decode(0xdead0001);
	EXPECT_EQ(in.id, ISA_c_addi);
	EXPECT_EQ(in.len, 2);
	EXPECT_EQ(in.raw, 0x0001u);
	in = decode(0x00b50463);
	EXPECT_EQ(in.len, 4);
	EXPECT_EQ(isa_insn_len(0x0463), 4u);
	EXPECT_EQ(isa_insn_len(0x4501), 2u);
}

TEST(Decode, UnusedOperandFieldsAreZero)
{
	struct insn in = decode(0x12345537); /* lui a0,0x12345 */
	EXPECT_EQ(in.rs1, 0);
	EXPECT_EQ(in.rs2, 0);
	EXPECT_EQ(in.rs3, 0);
	EXPECT_EQ(in.rm, 0);
	in = decode(0x0000100f);
	EXPECT_EQ(in.rd | in.rs1 | in.rs2 | in.rs3 | in.rm, 0);
	EXPECT_EQ(in.imm, 0);
}

TEST(Decode, RegisterNamesFollowTheAbi)
{
	EXPECT_STREQ(isa_xreg_name[0], "zero");
	EXPECT_STREQ(isa_xreg_name[2], "sp");
	EXPECT_STREQ(isa_xreg_name[8], "s0");
	EXPECT_STREQ(isa_xreg_name[31], "t6");
	EXPECT_STREQ(isa_freg_name[10], "fa0");
	EXPECT_STREQ(isa_freg_name[31], "ft11");
}

} // namespace
