// SPDX-License-Identifier: MIT
/*
 * Disassembler: one instruction to text in the syntax of GNU objdump with
 * `-M no-aliases` (binutils 2.40), so that our traces can be compared line
 * by line with objdump's and QEMU's. tests/unit/disasm_test.cc checks every
 * 16-bit encoding and a large sample of 32-bit ones against objdump.
 *
 * The text comes from isa_decode() plus the entry's format (hv/cpu/isa_fmt.h):
 * nothing about an instruction is restated here. Conventions followed:
 *  - mnemonic, a tab, operands separated by commas without spaces; an
 *    instruction without operands has no tab;
 *  - ABI register names; decimal immediates, except shift amounts and
 *    lui/auipc/c.lui immediates, which are hex;
 *  - branch and jump targets are absolute addresses pc + offset in hex;
 *  - FP rounding mode appended unless it is dyn (7), "unknown" for the
 *    reserved values 5 and 6; the exact conversions fcvt.d.s, fcvt.d.w and
 *    fcvt.d.wu print it only when it is not 0 (objdump rejects those
 *    encodings, see the test);
 *  - AMO aq/rl as ".aq", ".rl", ".aqrl" mnemonic suffixes;
 *  - CSRs by name when objdump knows one (the CSR table, hv/cpu/csr.def:
 *    priv/csrs.adoc and the extensions binutils 2.40 lists), else in hex;
 *  - encodings that decode as illegal print as ".2byte 0x..." or
 *    ".4byte 0x...", except 0x0000, which objdump calls "c.unimp".
 *
 * Input is an untrusted encoding; output never exceeds len bytes and is
 * always NUL-terminated when len > 0.
 */
#include "hv/cpu/csr.h"
#include "hv/cpu/insn.h"
#include "hv/cpu/isa_fmt.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

struct disasm_buf {
	char *p;
	size_t len;
	size_t used; /* characters stored, excluding the NUL */
};

__attribute__((format(printf, 2, 3))) static void disasm_put(struct disasm_buf *b, const char *fmt,
							     ...)
{
	va_list ap;
	int n;

	if (b->used + 1 >= b->len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->p + b->used, b->len - b->used, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= b->len - b->used)
		b->used = b->len - 1;
	else
		b->used += (size_t)n;
}

static void disasm_put_csr(struct disasm_buf *b, unsigned num)
{
	char name[32];

	if (csr_name(num, name, sizeof(name)))
		disasm_put(b, "%s", name);
	else
		disasm_put(b, "0x%x", num);
}

/* FENCE predecessor/successor sets: i, o, r, w from bit 3 down. */
static void disasm_put_fence_set(struct disasm_buf *b, unsigned set)
{
	if (set == 0) {
		disasm_put(b, "unknown");
		return;
	}
	disasm_put(b, "%s%s%s%s", set & 8 ? "i" : "", set & 4 ? "o" : "", set & 2 ? "r" : "",
		   set & 1 ? "w" : "");
}

/* ",rm" unless rm is dyn (unpriv/f-st-ext.adoc, rounding-mode table). */
static void disasm_put_rm(struct disasm_buf *b, unsigned rm)
{
	static const char *const names[8] = {
		"rne", "rtz", "rdn", "rup", "rmm", "unknown", "unknown", "dyn",
	};

	if (rm != 7)
		disasm_put(b, ",%s", names[rm & 7]);
}

static void disasm_put_exact_rm(struct disasm_buf *b, unsigned rm)
{
	if (rm == 7)
		disasm_put(b, ",dyn");
	else if (rm != 0)
		disasm_put_rm(b, rm);
}

/*
 * Each format's operands as a template, in the manner of binutils'
 * riscv-opc.c: d s t are rd rs1 rs2 as integer registers, D S T R rd rs1
 * rs2 rs3 as FP registers; i is the immediate in decimal, x in hex (shift
 * amounts), u lui's 20 bits in hex, a the target pc + imm; c the CSR,
 * z rs1 as a 5-bit immediate (csrr*i), p and q the FENCE predecessor and
 * successor sets, P the stack pointer; m and e a rounding mode with its
 * comma (e for the exact conversions); any other character stands as it is.
 */
static const char *const disasm_templates[ISA_FMT_COUNT] = {
	[ISA_FMT_R] = "d,s,t",
	[ISA_FMT_I] = "d,s,i",
	[ISA_FMT_IMEM] = "d,i(s)",
	[ISA_FMT_CL_LW] = "d,i(s)",
	[ISA_FMT_CL_LD] = "d,i(s)",
	[ISA_FMT_CI_LWSP] = "d,i(s)",
	[ISA_FMT_CI_LDSP] = "d,i(s)",
	[ISA_FMT_S] = "t,i(s)",
	[ISA_FMT_CS_SW] = "t,i(s)",
	[ISA_FMT_CS_SD] = "t,i(s)",
	[ISA_FMT_CSS_SWSP] = "t,i(s)",
	[ISA_FMT_CSS_SDSP] = "t,i(s)",
	[ISA_FMT_B] = "s,t,a",
	[ISA_FMT_U] = "d,u",
	[ISA_FMT_CI_LUI] = "d,u",
	[ISA_FMT_J] = "d,a",
	[ISA_FMT_SHIFT] = "d,s,x",
	[ISA_FMT_SHIFTW] = "d,s,x",
	[ISA_FMT_CSR] = "d,c,s",
	[ISA_FMT_CSRI] = "d,c,z",
	[ISA_FMT_FENCE] = "p,q",
	[ISA_FMT_NONE] = "",
	[ISA_FMT_SFENCE] = "s,t",
	[ISA_FMT_AMO] = "d,t,(s)",
	[ISA_FMT_LR] = "d,(s)",
	[ISA_FMT_FLOAD] = "D,i(s)",
	[ISA_FMT_CL_FLD] = "D,i(s)",
	[ISA_FMT_CI_FLDSP] = "D,i(s)",
	[ISA_FMT_FSTORE] = "T,i(s)",
	[ISA_FMT_CS_FSD] = "T,i(s)",
	[ISA_FMT_CSS_FSDSP] = "T,i(s)",
	[ISA_FMT_R4] = "D,S,T,Rm",
	[ISA_FMT_FR_RM] = "D,S,Tm",
	[ISA_FMT_FR] = "D,S,T",
	[ISA_FMT_F1_RM] = "D,Sm",
	[ISA_FMT_F1_EXACT] = "D,Se",
	[ISA_FMT_FX_RM] = "d,Sm",
	[ISA_FMT_XF_RM] = "D,sm",
	[ISA_FMT_XF_EXACT] = "D,se",
	[ISA_FMT_FMV_XF] = "d,S",
	[ISA_FMT_FMV_FX] = "D,s",
	[ISA_FMT_FCMP] = "d,S,T",
	[ISA_FMT_CIW_ADDI4SPN] = "d,P,i",
	[ISA_FMT_CI_ADDI] = "d,i",
	[ISA_FMT_CI_ADDIW] = "d,i",
	[ISA_FMT_CI_LI] = "d,i",
	[ISA_FMT_CB_ANDI] = "d,i",
	[ISA_FMT_CI_ADDI16SP] = "P,i",
	[ISA_FMT_CI_SLLI] = "d,x",
	[ISA_FMT_CB_SHIFT] = "d,x",
	[ISA_FMT_CB_BRANCH] = "s,a",
	[ISA_FMT_CA] = "d,t",
	[ISA_FMT_CR_MV] = "d,t",
	[ISA_FMT_CR_ADD] = "d,t",
	[ISA_FMT_CJ] = "a",
	[ISA_FMT_CR_JR] = "s",
	[ISA_FMT_CR_JALR] = "s",
	[ISA_FMT_CI_SLLI64] = "d",
	[ISA_FMT_CB_SHIFT64] = "d",
};

static void disasm_operand(struct disasm_buf *b, char code, const struct insn *in, uint64_t pc)
{
	const char *const *x = isa_xreg_name, *const *f = isa_freg_name;
	long long imm = (long long)in->imm;

	switch (code) {
	case 'd':
		disasm_put(b, "%s", x[in->rd]);
		break;
	case 's':
		disasm_put(b, "%s", x[in->rs1]);
		break;
	case 't':
		disasm_put(b, "%s", x[in->rs2]);
		break;
	case 'D':
		disasm_put(b, "%s", f[in->rd]);
		break;
	case 'S':
		disasm_put(b, "%s", f[in->rs1]);
		break;
	case 'T':
		disasm_put(b, "%s", f[in->rs2]);
		break;
	case 'R':
		disasm_put(b, "%s", f[in->rs3]);
		break;
	case 'i':
		disasm_put(b, "%lld", imm);
		break;
	case 'x':
		disasm_put(b, "0x%llx", imm);
		break;
	case 'u':
		disasm_put(b, "0x%llx", (unsigned long long)(imm >> 12) & 0xfffff);
		break;
	case 'a':
		disasm_put(b, "0x%" PRIx64, pc + (uint64_t)in->imm);
		break;
	case 'c':
		disasm_put_csr(b, (unsigned)in->imm);
		break;
	case 'z':
		disasm_put(b, "%u", in->rs1);
		break;
	case 'p':
		disasm_put_fence_set(b, (unsigned)(in->imm >> 4) & 0xf);
		break;
	case 'q':
		disasm_put_fence_set(b, (unsigned)in->imm & 0xf);
		break;
	case 'P':
		disasm_put(b, "sp");
		break;
	case 'm':
		disasm_put_rm(b, in->rm);
		break;
	case 'e':
		disasm_put_exact_rm(b, in->rm);
		break;
	default:
		disasm_put(b, "%c", code);
		break;
	}
}

int isa_disasm(uint32_t raw, uint64_t pc, char *buf, size_t len)
{
	struct disasm_buf b = { buf, len, 0 };
	const struct isa_info *e;
	struct insn in;
	enum isa_id id;

	if (len == 0)
		return 0;
	buf[0] = '\0';
	id = isa_decode(raw, &in);
	if (id == ISA_ILLEGAL) {
		if (in.len == 2 && in.raw == 0)
			disasm_put(&b, "c.unimp");
		else
			disasm_put(&b, "%s\t0x%" PRIx32, in.len == 2 ? ".2byte" : ".4byte", in.raw);
		return (int)b.used;
	}
	e = &isa_table[id];
	disasm_put(&b, "%s", e->mnemonic);
	if (e->fmt == ISA_FMT_AMO || e->fmt == ISA_FMT_LR) {
		static const char *const ord[4] = { "", ".rl", ".aq", ".aqrl" };

		disasm_put(&b, "%s", ord[in.rm & 3]);
	}
	if (disasm_templates[e->fmt][0] != '\0') {
		disasm_put(&b, "\t");
		for (const char *t = disasm_templates[e->fmt]; *t; t++)
			disasm_operand(&b, *t, &in, pc);
	}
	return (int)b.used;
}
