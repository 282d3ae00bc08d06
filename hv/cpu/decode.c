// SPDX-License-Identifier: MIT
/*
 * Instruction decoder: raw RV64GC encodings to struct insn.
 *
 * isa_table[] is built from isa.def here. Decoding is a pure function of
 * the encoding, which comes from guest memory and is untrusted: every
 * 32-bit value (and every 16-bit value for compressed forms) yields either
 * one table entry or ISA_ILLEGAL, never anything else.
 *
 * Lookup is by two indexes built once, before main(), by a constructor
 * (decode_build_index); nothing writes them afterwards, so concurrent
 * decoders need no locking (thread-safe by construction):
 *  - c16_id[]: the entry of each of the 49152 16-bit encodings, reserved
 *    RVC encodings already mapped to ISA_ILLEGAL, so decoding a compressed
 *    instruction is one load plus operand extraction;
 *  - for 32-bit encodings, a bucket per (opcode[6:2], funct3, funct7)
 *    listing the entries whose fixed bits agree with that key, most
 *    specific mask first (the entry order isa.def's overlap rule needs).
 *    Buckets hold one or two entries, rarely more.
 *
 * Operands are those of the 32-bit form (hv/cpu/insn.h), extracted per format
 * (hv/cpu/isa_fmt.h); unused operand fields are zero. The RVC operand layouts
 * and reserved encodings follow unpriv/c-st-ext.adoc; 32-bit immediates
 * follow unpriv/rv32.adoc "Immediate Encoding Variants".
 */
#include "hv/cpu/insn.h"
#include "hv/cpu/isa_fmt.h"

#include <assert.h>

const struct isa_info isa_table[ISA_COUNT] = {
#define INSN(id, mn, match, mask, fmt, ext, exec, cls) \
	[ISA_##id] = { mn, match, mask, ISA_FMT_##fmt, ISA_EXT_##ext, ISA_##exec, cls },
#include "hv/cpu/isa.def"
#undef INSN
};

const char *const isa_xreg_name[32] = {
	"zero", "ra", "sp", "gp", "tp",  "t0",  "t1", "t2", "s0", "s1", "a0",
	"a1",   "a2", "a3", "a4", "a5",  "a6",  "a7", "s2", "s3", "s4", "s5",
	"s6",   "s7", "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6",
};

const char *const isa_freg_name[32] = {
	"ft0", "ft1", "ft2", "ft3", "ft4",  "ft5",  "ft6", "ft7", "fs0",  "fs1",  "fa0",
	"fa1", "fa2", "fa3", "fa4", "fa5",  "fa6",  "fa7", "fs2", "fs3",  "fs4",  "fs5",
	"fs6", "fs7", "fs8", "fs9", "fs10", "fs11", "ft8", "ft9", "ft10", "ft11",
};

/* Bits hi..lo of x, shifted down. */
#define BITS(x, hi, lo) (((x) >> (lo)) & ((1u << ((hi) - (lo) + 1)) - 1))
#define BIT(x, n) (((x) >> (n)) & 1u)

static int64_t decode_sext(uint32_t v, unsigned bits)
{
	uint64_t sign = 1ull << (bits - 1);

	return (int64_t)((v ^ sign) - sign);
}

/* The 3-bit register fields of RVC name x8..x15 (or f8..f15). */
static uint8_t decode_creg(uint32_t raw, unsigned lo)
{
	return (uint8_t)(8 + BITS(raw, lo + 2, lo));
}

static int64_t decode_imm_b(uint32_t raw)
{
	return decode_sext(BIT(raw, 31) << 12 | BIT(raw, 7) << 11 | BITS(raw, 30, 25) << 5 |
				   BITS(raw, 11, 8) << 1,
			   13);
}

static int64_t decode_imm_j(uint32_t raw)
{
	return decode_sext(BIT(raw, 31) << 20 | BITS(raw, 19, 12) << 12 | BIT(raw, 20) << 11 |
				   BITS(raw, 30, 21) << 1,
			   21);
}

/* c.j offset[11|4|9:8|10|6|7|3:1|5] in bits 12..2 */
static int64_t decode_imm_cj(uint32_t raw)
{
	return decode_sext(BIT(raw, 12) << 11 | BIT(raw, 11) << 4 | BITS(raw, 10, 9) << 8 |
				   BIT(raw, 8) << 10 | BIT(raw, 7) << 6 | BIT(raw, 6) << 7 |
				   BITS(raw, 5, 3) << 1 | BIT(raw, 2) << 5,
			   12);
}

/* c.beqz/c.bnez offset[8|4:3] in 12..10, offset[7:6|2:1|5] in 6..2 */
static int64_t decode_imm_cb(uint32_t raw)
{
	return decode_sext(BIT(raw, 12) << 8 | BITS(raw, 11, 10) << 3 | BITS(raw, 6, 5) << 6 |
				   BITS(raw, 4, 3) << 1 | BIT(raw, 2) << 5,
			   9);
}

/* The 6-bit immediate of the CI format: imm[5] in bit 12, imm[4:0] in 6..2. */
static uint32_t decode_ci6(uint32_t raw)
{
	return BIT(raw, 12) << 5 | BITS(raw, 6, 2);
}

/*
 * Fill the operand fields of o from raw for format fmt. Returns false when
 * the encoding is one the RVC chapter reserves for this format; 32-bit
 * formats have no such rule (their masks already exclude what is reserved).
 */
static bool decode_operands(unsigned fmt, uint32_t raw, struct insn *o)
{
	uint8_t rd = (uint8_t)BITS(raw, 11, 7);
	uint8_t rs1 = (uint8_t)BITS(raw, 19, 15);
	uint8_t rs2 = (uint8_t)BITS(raw, 24, 20);
	uint32_t u;

	switch (fmt) {
	case ISA_FMT_R:
	case ISA_FMT_FR:
	case ISA_FMT_FCMP:
		o->rd = rd, o->rs1 = rs1, o->rs2 = rs2;
		return true;
	case ISA_FMT_I:
	case ISA_FMT_IMEM:
	case ISA_FMT_FLOAD:
		o->rd = rd, o->rs1 = rs1;
		o->imm = (int32_t)raw >> 20;
		return true;
	case ISA_FMT_S:
	case ISA_FMT_FSTORE:
		o->rs1 = rs1, o->rs2 = rs2;
		o->imm = decode_sext(BITS(raw, 31, 25) << 5 | BITS(raw, 11, 7), 12);
		return true;
	case ISA_FMT_B:
		o->rs1 = rs1, o->rs2 = rs2;
		o->imm = decode_imm_b(raw);
		return true;
	case ISA_FMT_U:
		o->rd = rd;
		o->imm = (int32_t)(raw & 0xfffff000u);
		return true;
	case ISA_FMT_J:
		o->rd = rd;
		o->imm = decode_imm_j(raw);
		return true;
	case ISA_FMT_SHIFT:
		o->rd = rd, o->rs1 = rs1;
		o->imm = BITS(raw, 25, 20);
		return true;
	case ISA_FMT_SHIFTW:
		o->rd = rd, o->rs1 = rs1;
		o->imm = BITS(raw, 24, 20);
		return true;
	case ISA_FMT_CSR:
	case ISA_FMT_CSRI:
		o->rd = rd, o->rs1 = rs1;
		o->imm = BITS(raw, 31, 20);
		return true;
	case ISA_FMT_FENCE:
		o->imm = BITS(raw, 31, 20);
		return true;
	case ISA_FMT_NONE:
		return true;
	case ISA_FMT_SFENCE:
		o->rs1 = rs1, o->rs2 = rs2;
		return true;
	case ISA_FMT_AMO:
	case ISA_FMT_LR:
		o->rd = rd, o->rs1 = rs1;
		o->rs2 = fmt == ISA_FMT_AMO ? rs2 : 0;
		o->rm = (uint8_t)BITS(raw, 26, 25);
		return true;
	case ISA_FMT_R4:
		o->rs3 = (uint8_t)BITS(raw, 31, 27);
		/* fall through */
	case ISA_FMT_FR_RM:
		o->rd = rd, o->rs1 = rs1, o->rs2 = rs2;
		o->rm = (uint8_t)BITS(raw, 14, 12);
		return true;
	case ISA_FMT_F1_RM:
	case ISA_FMT_F1_EXACT:
	case ISA_FMT_FX_RM:
	case ISA_FMT_XF_RM:
	case ISA_FMT_XF_EXACT:
		o->rd = rd, o->rs1 = rs1;
		o->rm = (uint8_t)BITS(raw, 14, 12);
		return true;
	case ISA_FMT_FMV_XF:
	case ISA_FMT_FMV_FX:
		o->rd = rd, o->rs1 = rs1;
		return true;

	case ISA_FMT_CIW_ADDI4SPN:
		/* nzuimm[5:4|9:6|2|3] in bits 12..5 */
		u = BITS(raw, 12, 11) << 4 | BITS(raw, 10, 7) << 6 | BIT(raw, 6) << 2 |
		    BIT(raw, 5) << 3;
		o->rd = decode_creg(raw, 2), o->rs1 = 2;
		o->imm = u;
		return u != 0;
	case ISA_FMT_CL_LW:
	case ISA_FMT_CS_SW:
		/* uimm[5:3] in 12..10, uimm[2|6] in 6..5 */
		u = BITS(raw, 12, 10) << 3 | BIT(raw, 6) << 2 | BIT(raw, 5) << 6;
		goto cl_cs;
	case ISA_FMT_CL_LD:
	case ISA_FMT_CL_FLD:
	case ISA_FMT_CS_SD:
	case ISA_FMT_CS_FSD:
		/* uimm[5:3] in 12..10, uimm[7:6] in 6..5 */
		u = BITS(raw, 12, 10) << 3 | BITS(raw, 6, 5) << 6;
cl_cs:
		o->rs1 = decode_creg(raw, 7);
		if (fmt == ISA_FMT_CL_LW || fmt == ISA_FMT_CL_LD || fmt == ISA_FMT_CL_FLD)
			o->rd = decode_creg(raw, 2);
		else
			o->rs2 = decode_creg(raw, 2);
		o->imm = u;
		return true;
	case ISA_FMT_CI_ADDI:
	case ISA_FMT_CI_ADDIW:
		o->rd = o->rs1 = rd;
		o->imm = decode_sext(decode_ci6(raw), 6);
		return fmt == ISA_FMT_CI_ADDI || rd != 0;
	case ISA_FMT_CI_LI:
		o->rd = rd;
		o->imm = decode_sext(decode_ci6(raw), 6);
		return true;
	case ISA_FMT_CI_ADDI16SP:
		/* nzimm[9] in 12, nzimm[4|6|8:7|5] in 6..2 */
		u = BIT(raw, 12) << 9 | BIT(raw, 6) << 4 | BIT(raw, 5) << 6 | BITS(raw, 4, 3) << 7 |
		    BIT(raw, 2) << 5;
		o->rd = o->rs1 = 2;
		o->imm = decode_sext(u, 10);
		return u != 0;
	case ISA_FMT_CI_LUI:
		/* nzimm[17] in 12, nzimm[16:12] in 6..2 */
		u = decode_ci6(raw);
		o->rd = rd;
		o->imm = decode_sext(u << 12, 18);
		return u != 0;
	case ISA_FMT_CI_SLLI:
	case ISA_FMT_CI_SLLI64:
		o->rd = o->rs1 = rd;
		o->imm = decode_ci6(raw);
		return true;
	case ISA_FMT_CI_LWSP:
		/* uimm[5] in 12, uimm[4:2|7:6] in 6..2 */
		o->rd = rd, o->rs1 = 2;
		o->imm = BIT(raw, 12) << 5 | BITS(raw, 6, 4) << 2 | BITS(raw, 3, 2) << 6;
		return rd != 0;
	case ISA_FMT_CI_LDSP:
	case ISA_FMT_CI_FLDSP:
		/* uimm[5] in 12, uimm[4:3|8:6] in 6..2 */
		o->rd = rd, o->rs1 = 2;
		o->imm = BIT(raw, 12) << 5 | BITS(raw, 6, 5) << 3 | BITS(raw, 4, 2) << 6;
		return fmt == ISA_FMT_CI_FLDSP || rd != 0;
	case ISA_FMT_CSS_SWSP:
		/* uimm[5:2|7:6] in 12..7 */
		o->rs1 = 2, o->rs2 = (uint8_t)BITS(raw, 6, 2);
		o->imm = BITS(raw, 12, 9) << 2 | BITS(raw, 8, 7) << 6;
		return true;
	case ISA_FMT_CSS_SDSP:
	case ISA_FMT_CSS_FSDSP:
		/* uimm[5:3|8:6] in 12..7 */
		o->rs1 = 2, o->rs2 = (uint8_t)BITS(raw, 6, 2);
		o->imm = BITS(raw, 12, 10) << 3 | BITS(raw, 9, 7) << 6;
		return true;
	case ISA_FMT_CB_SHIFT:
	case ISA_FMT_CB_SHIFT64:
		o->rd = o->rs1 = decode_creg(raw, 7);
		o->imm = decode_ci6(raw);
		return true;
	case ISA_FMT_CB_ANDI:
		o->rd = o->rs1 = decode_creg(raw, 7);
		o->imm = decode_sext(decode_ci6(raw), 6);
		return true;
	case ISA_FMT_CB_BRANCH:
		o->rs1 = decode_creg(raw, 7);
		o->imm = decode_imm_cb(raw);
		return true;
	case ISA_FMT_CA:
		o->rd = o->rs1 = decode_creg(raw, 7);
		o->rs2 = decode_creg(raw, 2);
		return true;
	case ISA_FMT_CJ:
		o->imm = decode_imm_cj(raw);
		return true;
	case ISA_FMT_CR_JR:
	case ISA_FMT_CR_JALR:
		o->rd = fmt == ISA_FMT_CR_JALR ? 1 : 0;
		o->rs1 = rd;
		return rd != 0;
	case ISA_FMT_CR_MV:
		o->rd = rd, o->rs2 = (uint8_t)BITS(raw, 6, 2);
		return true;
	case ISA_FMT_CR_ADD:
		o->rd = o->rs1 = rd, o->rs2 = (uint8_t)BITS(raw, 6, 2);
		return true;
	}
	assert(!"isa.def names a format decode_operands does not know");
	return false;
}

/*
 * 32-bit bucket key: opcode[6:2], funct3 and funct7 (bits 6..2, 14..12,
 * 31..25) packed into 15 bits. Applied to a mask it gives the key bits an
 * entry fixes, applied to a match their values.
 */
#define DECODE_KEY_BITS 15
static unsigned decode_key(uint32_t raw)
{
	return BITS(raw, 6, 2) | BITS(raw, 14, 12) << 5 | BITS(raw, 31, 25) << 8;
}

/* Generous bound on the bucket lists: 10,235 are needed for the
 * current table; decode_build_index asserts it is enough. */
#define DECODE_CAND_MAX (1u << 15)

static uint16_t c16_id[1u << 16];
static uint16_t w32_start[(1u << DECODE_KEY_BITS) + 1];
static uint16_t w32_cand[DECODE_CAND_MAX];

static bool decode_is_compressed_entry(const struct isa_info *e)
{
	return (e->match & 3) != 3;
}

/* Entry ids ordered by decreasing mask popcount, so that a first-match scan
 * finds the most specific entry. */
static void decode_sort_by_specificity(uint16_t *ids, unsigned n)
{
	for (unsigned i = 1; i < n; i++) {
		uint16_t id = ids[i];
		int pc = __builtin_popcount(isa_table[id].mask);
		unsigned j = i;

		while (j > 0 && __builtin_popcount(isa_table[ids[j - 1]].mask) < pc) {
			ids[j] = ids[j - 1];
			j--;
		}
		ids[j] = id;
	}
}

/*
 * Calls visit(v, ctx) for every v with (v & mask) == match, v < 2^bits:
 * the submasks of the free bits, enumerated directly, so that building the
 * indexes costs as much as the entries they hold.
 */
static void decode_for_each_encoding(uint32_t match, uint32_t mask, unsigned bits,
				     void (*visit)(uint32_t v, unsigned id), unsigned id)
{
	uint32_t free_bits = ~mask & ((1u << bits) - 1);
	uint32_t sub = free_bits;

	for (;;) {
		visit(match | sub, id);
		if (sub == 0)
			break;
		sub = (sub - 1) & free_bits;
	}
}

#define DECODE_UNSET 0xffffu

/* Entries are visited most specific first; the first to reach a 16-bit
 * encoding decides it, and if its format reserves the encoding, it is
 * illegal (a less specific entry must not claim it). */
static void decode_claim16(uint32_t raw, unsigned id)
{
	struct insn scratch;

	if (c16_id[raw] != DECODE_UNSET)
		return;
	c16_id[raw] = decode_operands(isa_table[id].fmt, raw, &scratch) ? (uint16_t)id :
									  ISA_ILLEGAL;
}

static void decode_count32(uint32_t key, unsigned id)
{
	(void)id;
	w32_start[key + 1]++;
}

static uint16_t w32_fill[1u << DECODE_KEY_BITS];

static void decode_fill32(uint32_t key, unsigned id)
{
	unsigned pos = w32_start[key] + w32_fill[key]++;

	assert(pos < DECODE_CAND_MAX);
	w32_cand[pos] = (uint16_t)id;
}

__attribute__((constructor(101))) static void decode_build_index(void)
{
	uint16_t c16[ISA_COUNT], w32[ISA_COUNT];
	unsigned nc = 0, nw = 0;

	for (unsigned id = 0; id < ISA_COUNT; id++) {
		if (decode_is_compressed_entry(&isa_table[id]))
			c16[nc++] = (uint16_t)id;
		else
			w32[nw++] = (uint16_t)id;
	}
	decode_sort_by_specificity(c16, nc);
	decode_sort_by_specificity(w32, nw);

	for (uint32_t raw = 0; raw < (1u << 16); raw++)
		c16_id[raw] = DECODE_UNSET;
	for (unsigned i = 0; i < nc; i++)
		decode_for_each_encoding(isa_table[c16[i]].match, isa_table[c16[i]].mask, 16,
					 decode_claim16, c16[i]);
	for (uint32_t raw = 0; raw < (1u << 16); raw++)
		if (c16_id[raw] == DECODE_UNSET)
			c16_id[raw] = ISA_ILLEGAL;

	/* Bucket lists: count, prefix-sum, fill in specificity order. */
	for (unsigned i = 0; i < nw; i++)
		decode_for_each_encoding(decode_key(isa_table[w32[i]].match),
					 decode_key(isa_table[w32[i]].mask), DECODE_KEY_BITS,
					 decode_count32, w32[i]);
	for (unsigned key = 0; key < (1u << DECODE_KEY_BITS); key++) {
		unsigned end = w32_start[key] + (unsigned)w32_start[key + 1];

		assert(end <= DECODE_CAND_MAX);
		w32_start[key + 1] = (uint16_t)end;
	}
	for (unsigned i = 0; i < nw; i++)
		decode_for_each_encoding(decode_key(isa_table[w32[i]].match),
					 decode_key(isa_table[w32[i]].mask), DECODE_KEY_BITS,
					 decode_fill32, w32[i]);
}

static unsigned decode_lookup32(uint32_t raw)
{
	unsigned key = decode_key(raw);

	/* Encodings of 48 bits and longer end in 11111 (unpriv/intro.adoc
	 * "Base Instruction-Length Encoding"); RV64GC has none. */
	if ((raw & 0x1f) == 0x1f)
		return ISA_ILLEGAL;
	for (unsigned i = w32_start[key]; i < w32_start[key + 1]; i++) {
		const struct isa_info *e = &isa_table[w32_cand[i]];

		if ((raw & e->mask) == e->match)
			return w32_cand[i];
	}
	return ISA_ILLEGAL;
}

enum isa_id isa_decode(uint32_t raw, struct insn *out)
{
	unsigned id;

	if ((raw & 3) != 3) {
		raw &= 0xffff;
		id = c16_id[raw];
		out->len = 2;
	} else {
		id = decode_lookup32(raw);
		out->len = 4;
	}
	out->raw = raw;
	out->id = (uint16_t)id;
	out->imm = 0;
	out->rd = out->rs1 = out->rs2 = out->rs3 = 0;
	out->rm = 0;
	if (id == ISA_ILLEGAL) {
		out->op = ISA_ILLEGAL;
		return ISA_ILLEGAL;
	}
	out->op = isa_table[id].exec;
	decode_operands(isa_table[id].fmt, raw, out);
	return (enum isa_id)id;
}
