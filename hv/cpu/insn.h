/* SPDX-License-Identifier: MIT */
/*
 * Decoded instructions and the instruction table.
 *
 * isa.def lists every RV64GC instruction once (ARCHITECTURE.md section 3):
 *
 *   INSN(id, "mnemonic", match, mask, FMT, EXT, exec, CLASS)
 *
 *   id        C identifier: the mnemonic with '.' replaced by '_'
 *             ("fadd.d" -> fadd_d, "c.addi" -> c_addi).
 *   match     bits that must be set ...
 *   mask      ... under this mask (raw & mask) == match.
 *   FMT       operand format: how decode extracts the operands and how the
 *             disassembler prints them (ISA_FMT_*, see decode.c).
 *   EXT       extension (ISA_EXT_*).
 *   exec      id of the 32-bit instruction whose semantics this one has.
 *             A 32-bit instruction names itself; a compressed one names its
 *             expansion (c_addi -> addi, c_mv -> add, c_j -> jal ...).
 *   CLASS     ISA_CLASS_* flags or-ed together.
 *
 * From this one table come: the decoder (decode.c), the executor's dispatch
 * table (exec.c: one handler label per exec id), the disassembler
 * (disasm.c) and the instruction classes seen by plugins and tracing.
 *
 * The decoded operands of a compressed instruction are those of its 32-bit
 * expansion: c.mv rd,rs2 decodes as add rd,x0,rs2; c.addi4spn rd',imm as
 * addi rd,x2,imm; c.beqz rs1',off as beq rs1,x0,off; c.jal as jal x1,off,
 * and so on, so the executor never looks at the compressed form.
 */
#ifndef HV_INSN_H
#define HV_INSN_H

#include "hv/types.h"

/* Instruction classes (bit flags). */
#define ISA_CLASS_ALU 0x0001u    /* integer computation */
#define ISA_CLASS_LOAD 0x0002u   /* reads memory */
#define ISA_CLASS_STORE 0x0004u  /* writes memory */
#define ISA_CLASS_AMO 0x0008u    /* LR/SC/AMO */
#define ISA_CLASS_BRANCH 0x0010u /* conditional branch */
#define ISA_CLASS_JUMP 0x0020u   /* jal/jalr */
#define ISA_CLASS_CSR 0x0040u    /* Zicsr */
#define ISA_CLASS_SYSTEM 0x0080u /* ecall, ebreak, xret, wfi, sfence.vma */
#define ISA_CLASS_FENCE 0x0100u  /* fence, fence.i */
#define ISA_CLASS_FP 0x0200u     /* needs mstatus.FS != Off */
#define ISA_CLASS_MULDIV 0x0400u /* M extension */
/* Ends a basic block: control transfer, or anything that can change
 * translation, privilege, interrupt enables or the code itself. */
#define ISA_CLASS_ENDS_BLOCK 0x8000u

enum isa_ext {
	ISA_EXT_I,
	ISA_EXT_M,
	ISA_EXT_A,
	ISA_EXT_F,
	ISA_EXT_D,
	ISA_EXT_C,
	ISA_EXT_ZICSR,
	ISA_EXT_ZIFENCEI,
	ISA_EXT_PRIV,
	ISA_EXT_ZIHINTPAUSE,
};

enum isa_id {
#define INSN(id, mn, match, mask, fmt, ext, exec, cls) ISA_##id,
#include "hv/cpu/isa.def"
#undef INSN
	ISA_COUNT,
	ISA_ILLEGAL = ISA_COUNT, /* decode failure: raises illegal-instruction */
};

/*
 * One decoded instruction. Registers are plain numbers 0..31 (integer or FP
 * by the instruction); imm is the sign-extended immediate of the 32-bit
 * form (byte offset for branches/jumps/loads/stores, the shifted value for
 * lui/auipc, the shift amount for shifts, the CSR number for Zicsr, with
 * the 5-bit uimm of csrr*i in rs1). rm is the funct3 rounding mode of FP
 * instructions and the aq/rl bits (aq << 1 | rl) of AMOs.
 */
struct insn {
	const void *handler; /* executor's dispatch target, set by exec.c */
	int64_t imm;
	uint32_t raw;   /* the encoding, zero-extended for 16-bit ones */
	uint16_t id;    /* enum isa_id: the exact table entry */
	uint16_t op;    /* enum isa_id: the entry's exec column */
	uint16_t pcoff; /* byte offset from the start of the block */
	uint16_t idx;   /* index within the block */
	uint8_t rd, rs1, rs2, rs3;
	uint8_t rm;
	uint8_t len; /* 2 or 4 */
};

struct isa_info {
	const char *mnemonic;
	uint32_t match, mask;
	uint16_t fmt;
	uint8_t ext;
	uint16_t exec;
	uint16_t cls;
};

extern const struct isa_info isa_table[ISA_COUNT];

/* Length in bytes of the instruction whose low 16 bits are lo: 2 or 4.
 * Longer encodings (lo & 0x1f == 0x1f) are reported as 4 and decode as
 * illegal. */
static inline unsigned isa_insn_len(uint16_t lo)
{
	return (lo & 3) == 3 ? 4 : 2;
}

/* Decode raw (16-bit forms in the low half). Fills *out (handler, pcoff and
 * idx untouched) and returns its id; an encoding that is not a valid RV64GC
 * instruction (including reserved compressed encodings) yields ISA_ILLEGAL
 * with out->op == ISA_ILLEGAL and out->len set. Pure function. */
enum isa_id isa_decode(uint32_t raw, struct insn *out);

/* Disassemble one instruction at pc into buf in the syntax of
 * `objdump -M no-aliases` ("addi\ta0,a0,1" with a tab after the mnemonic).
 * Branch and jump targets are printed as absolute addresses computed from
 * pc, as objdump does. Returns the number of characters written. */
int isa_disasm(uint32_t raw, uint64_t pc, char *buf, size_t len);

/* ABI register names (x: "zero","ra",...; f: "ft0",...). */
extern const char *const isa_xreg_name[32];
extern const char *const isa_freg_name[32];

#endif
