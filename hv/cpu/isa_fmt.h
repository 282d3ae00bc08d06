/* SPDX-License-Identifier: MIT */
/*
 * Operand formats of the instruction table (private to decode.c and
 * disasm.c; other modules use struct insn and never look at formats).
 *
 * A format says two things about an isa.def entry: which bit fields of the
 * encoding hold which operands (decode.c turns them into the operands of
 * the 32-bit form, see hv/cpu/insn.h), and how `objdump -M no-aliases` prints
 * the operand list (disasm.c). The compressed formats additionally carry
 * the reserved-encoding rules of the RVC chapter ("C" Standard Extension,
 * unpriv/c-st-ext.adoc): an encoding that matches an entry but violates
 * its format's rule (e.g. c.addi4spn with nzuimm == 0) decodes as illegal.
 *
 * Names are the tokens written in the FMT column of isa.def, prefixed with
 * ISA_FMT_.
 */
#ifndef HV_ISA_FMT_H
#define HV_ISA_FMT_H

enum isa_fmt {
	/* 32-bit integer formats */
	ISA_FMT_R,      /* rd,rs1,rs2 */
	ISA_FMT_I,      /* rd,rs1,simm12 */
	ISA_FMT_IMEM,   /* rd,simm12(rs1): integer loads, jalr */
	ISA_FMT_S,      /* rs2,simm12(rs1): integer stores */
	ISA_FMT_B,      /* rs1,rs2,target */
	ISA_FMT_U,      /* rd,imm20 (imm holds imm20 << 12) */
	ISA_FMT_J,      /* rd,target */
	ISA_FMT_SHIFT,  /* rd,rs1,shamt6 */
	ISA_FMT_SHIFTW, /* rd,rs1,shamt5 */
	ISA_FMT_CSR,    /* rd,csr,rs1 */
	ISA_FMT_CSRI,   /* rd,csr,uimm5 (uimm in rs1) */
	ISA_FMT_FENCE,  /* pred,succ (imm holds fm:pred:succ) */
	ISA_FMT_NONE,   /* no operands */
	ISA_FMT_SFENCE, /* rs1,rs2 */
	ISA_FMT_AMO,    /* rd,rs2,(rs1) with aq/rl in rm */
	ISA_FMT_LR,     /* rd,(rs1) with aq/rl in rm */
	/* 32-bit floating-point formats */
	ISA_FMT_FLOAD,    /* fd,simm12(rs1) */
	ISA_FMT_FSTORE,   /* fs2,simm12(rs1) */
	ISA_FMT_R4,       /* fd,fs1,fs2,fs3[,rm] */
	ISA_FMT_FR_RM,    /* fd,fs1,fs2[,rm] */
	ISA_FMT_FR,       /* fd,fs1,fs2 (funct3 selects the operation) */
	ISA_FMT_F1_RM,    /* fd,fs1[,rm] */
	ISA_FMT_F1_EXACT, /* fd,fs1: exact widening, rm has no effect */
	ISA_FMT_FX_RM,    /* rd,fs1[,rm] */
	ISA_FMT_XF_RM,    /* fd,rs1[,rm] */
	ISA_FMT_XF_EXACT, /* fd,rs1: exact conversion, rm has no effect */
	ISA_FMT_FMV_XF,   /* rd,fs1 */
	ISA_FMT_FMV_FX,   /* fd,rs1 */
	ISA_FMT_FCMP,     /* rd,fs1,fs2 */
	/* compressed formats, one per operand layout */
	ISA_FMT_CIW_ADDI4SPN, /* rd',sp,nzuimm (nzuimm != 0) */
	ISA_FMT_CL_LW,        /* rd',uimm(rs1') word-scaled */
	ISA_FMT_CL_LD,        /* rd',uimm(rs1') doubleword-scaled */
	ISA_FMT_CL_FLD,       /* fd',uimm(rs1') doubleword-scaled */
	ISA_FMT_CS_SW,        /* rs2',uimm(rs1') */
	ISA_FMT_CS_SD,        /* rs2',uimm(rs1') */
	ISA_FMT_CS_FSD,       /* fs2',uimm(rs1') */
	ISA_FMT_CI_ADDI,      /* rd,simm6 -> addi rd,rd,simm6 */
	ISA_FMT_CI_ADDIW,     /* rd,simm6 -> addiw rd,rd,simm6 (rd != 0) */
	ISA_FMT_CI_LI,        /* rd,simm6 -> addi rd,x0,simm6 */
	ISA_FMT_CI_ADDI16SP,  /* sp,nzimm -> addi sp,sp,nzimm (nzimm != 0) */
	ISA_FMT_CI_LUI,       /* rd,nzimm -> lui rd,nzimm (nzimm != 0) */
	ISA_FMT_CI_SLLI,      /* rd,shamt6 -> slli rd,rd,shamt */
	ISA_FMT_CI_SLLI64,    /* rd -> slli rd,rd,0 (HINT) */
	ISA_FMT_CI_LWSP,      /* rd,uimm(sp) (rd != 0) */
	ISA_FMT_CI_LDSP,      /* rd,uimm(sp) (rd != 0) */
	ISA_FMT_CI_FLDSP,     /* fd,uimm(sp) */
	ISA_FMT_CSS_SWSP,     /* rs2,uimm(sp) */
	ISA_FMT_CSS_SDSP,     /* rs2,uimm(sp) */
	ISA_FMT_CSS_FSDSP,    /* fs2,uimm(sp) */
	ISA_FMT_CB_SHIFT,     /* rd',shamt6 -> srli/srai rd',rd',shamt */
	ISA_FMT_CB_SHIFT64,   /* rd' -> srli/srai rd',rd',0 (HINT) */
	ISA_FMT_CB_ANDI,      /* rd',simm6 -> andi rd',rd',simm6 */
	ISA_FMT_CB_BRANCH,    /* rs1',target -> beq/bne rs1',x0,target */
	ISA_FMT_CA,           /* rd',rs2' -> op rd',rd',rs2' */
	ISA_FMT_CJ,           /* target -> jal x0,target */
	ISA_FMT_CR_JR,        /* rs1 -> jalr x0,0(rs1) (rs1 != 0) */
	ISA_FMT_CR_JALR,      /* rs1 -> jalr x1,0(rs1) */
	ISA_FMT_CR_MV,        /* rd,rs2 -> add rd,x0,rs2 */
	ISA_FMT_CR_ADD,       /* rd,rs2 -> add rd,rd,rs2 */
	ISA_FMT_COUNT,
};

#endif
