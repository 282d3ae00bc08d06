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

__attribute__((format(printf, 2, 3))) static void
disasm_put(struct disasm_buf *b, const char *fmt, ...)
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
	disasm_put(b, "%s%s%s%s", set & 8 ? "i" : "", set & 4 ? "o" : "",
		   set & 2 ? "r" : "", set & 1 ? "w" : "");
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

static void disasm_operands(struct disasm_buf *b, unsigned fmt,
			    const struct insn *in, uint64_t pc)
{
	const char *const *x = isa_xreg_name, *const *f = isa_freg_name;
	uint64_t target = pc + (uint64_t)in->imm;
	long long imm = (long long)in->imm;

	switch (fmt) {
	case ISA_FMT_R:
		disasm_put(b, "%s,%s,%s", x[in->rd], x[in->rs1], x[in->rs2]);
		break;
	case ISA_FMT_I:
		disasm_put(b, "%s,%s,%lld", x[in->rd], x[in->rs1], imm);
		break;
	case ISA_FMT_IMEM:
	case ISA_FMT_CL_LW:
	case ISA_FMT_CL_LD:
	case ISA_FMT_CI_LWSP:
	case ISA_FMT_CI_LDSP:
		disasm_put(b, "%s,%lld(%s)", x[in->rd], imm, x[in->rs1]);
		break;
	case ISA_FMT_S:
	case ISA_FMT_CS_SW:
	case ISA_FMT_CS_SD:
	case ISA_FMT_CSS_SWSP:
	case ISA_FMT_CSS_SDSP:
		disasm_put(b, "%s,%lld(%s)", x[in->rs2], imm, x[in->rs1]);
		break;
	case ISA_FMT_B:
		disasm_put(b, "%s,%s,0x%" PRIx64, x[in->rs1], x[in->rs2],
			   target);
		break;
	case ISA_FMT_U:
	case ISA_FMT_CI_LUI:
		disasm_put(b, "%s,0x%llx", x[in->rd],
			   (unsigned long long)(imm >> 12) & 0xfffff);
		break;
	case ISA_FMT_J:
		disasm_put(b, "%s,0x%" PRIx64, x[in->rd], target);
		break;
	case ISA_FMT_SHIFT:
	case ISA_FMT_SHIFTW:
		disasm_put(b, "%s,%s,0x%llx", x[in->rd], x[in->rs1], imm);
		break;
	case ISA_FMT_CSR:
		disasm_put(b, "%s,", x[in->rd]);
		disasm_put_csr(b, (unsigned)in->imm);
		disasm_put(b, ",%s", x[in->rs1]);
		break;
	case ISA_FMT_CSRI:
		disasm_put(b, "%s,", x[in->rd]);
		disasm_put_csr(b, (unsigned)in->imm);
		disasm_put(b, ",%u", in->rs1);
		break;
	case ISA_FMT_FENCE:
		disasm_put_fence_set(b, (unsigned)(in->imm >> 4) & 0xf);
		disasm_put(b, ",");
		disasm_put_fence_set(b, (unsigned)in->imm & 0xf);
		break;
	case ISA_FMT_NONE:
		break;
	case ISA_FMT_SFENCE:
		disasm_put(b, "%s,%s", x[in->rs1], x[in->rs2]);
		break;
	case ISA_FMT_AMO:
		disasm_put(b, "%s,%s,(%s)", x[in->rd], x[in->rs2], x[in->rs1]);
		break;
	case ISA_FMT_LR:
		disasm_put(b, "%s,(%s)", x[in->rd], x[in->rs1]);
		break;
	case ISA_FMT_FLOAD:
	case ISA_FMT_CL_FLD:
	case ISA_FMT_CI_FLDSP:
		disasm_put(b, "%s,%lld(%s)", f[in->rd], imm, x[in->rs1]);
		break;
	case ISA_FMT_FSTORE:
	case ISA_FMT_CS_FSD:
	case ISA_FMT_CSS_FSDSP:
		disasm_put(b, "%s,%lld(%s)", f[in->rs2], imm, x[in->rs1]);
		break;
	case ISA_FMT_R4:
		disasm_put(b, "%s,%s,%s,%s", f[in->rd], f[in->rs1], f[in->rs2],
			   f[in->rs3]);
		disasm_put_rm(b, in->rm);
		break;
	case ISA_FMT_FR_RM:
		disasm_put(b, "%s,%s,%s", f[in->rd], f[in->rs1], f[in->rs2]);
		disasm_put_rm(b, in->rm);
		break;
	case ISA_FMT_FR:
		disasm_put(b, "%s,%s,%s", f[in->rd], f[in->rs1], f[in->rs2]);
		break;
	case ISA_FMT_F1_RM:
		disasm_put(b, "%s,%s", f[in->rd], f[in->rs1]);
		disasm_put_rm(b, in->rm);
		break;
	case ISA_FMT_F1_EXACT:
		disasm_put(b, "%s,%s", f[in->rd], f[in->rs1]);
		disasm_put_exact_rm(b, in->rm);
		break;
	case ISA_FMT_FX_RM:
		disasm_put(b, "%s,%s", x[in->rd], f[in->rs1]);
		disasm_put_rm(b, in->rm);
		break;
	case ISA_FMT_XF_RM:
		disasm_put(b, "%s,%s", f[in->rd], x[in->rs1]);
		disasm_put_rm(b, in->rm);
		break;
	case ISA_FMT_XF_EXACT:
		disasm_put(b, "%s,%s", f[in->rd], x[in->rs1]);
		disasm_put_exact_rm(b, in->rm);
		break;
	case ISA_FMT_FMV_XF:
		disasm_put(b, "%s,%s", x[in->rd], f[in->rs1]);
		break;
	case ISA_FMT_FMV_FX:
		disasm_put(b, "%s,%s", f[in->rd], x[in->rs1]);
		break;
	case ISA_FMT_FCMP:
		disasm_put(b, "%s,%s,%s", x[in->rd], f[in->rs1], f[in->rs2]);
		break;
	case ISA_FMT_CIW_ADDI4SPN:
		disasm_put(b, "%s,sp,%lld", x[in->rd], imm);
		break;
	case ISA_FMT_CI_ADDI:
	case ISA_FMT_CI_ADDIW:
	case ISA_FMT_CI_LI:
	case ISA_FMT_CB_ANDI:
		disasm_put(b, "%s,%lld", x[in->rd], imm);
		break;
	case ISA_FMT_CI_ADDI16SP:
		disasm_put(b, "sp,%lld", imm);
		break;
	case ISA_FMT_CI_SLLI:
	case ISA_FMT_CB_SHIFT:
		disasm_put(b, "%s,0x%llx", x[in->rd], imm);
		break;
	case ISA_FMT_CB_BRANCH:
		disasm_put(b, "%s,0x%" PRIx64, x[in->rs1], target);
		break;
	case ISA_FMT_CA:
	case ISA_FMT_CR_MV:
	case ISA_FMT_CR_ADD:
		disasm_put(b, "%s,%s", x[in->rd], x[in->rs2]);
		break;
	case ISA_FMT_CJ:
		disasm_put(b, "0x%" PRIx64, target);
		break;
	case ISA_FMT_CR_JR:
	case ISA_FMT_CR_JALR:
		disasm_put(b, "%s", x[in->rs1]);
		break;
	case ISA_FMT_CI_SLLI64:
	case ISA_FMT_CB_SHIFT64:
		disasm_put(b, "%s", x[in->rd]);
		break;
	}
}

static bool disasm_has_operands(unsigned fmt)
{
	return fmt != ISA_FMT_NONE;
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
			disasm_put(&b, "%s\t0x%" PRIx32,
				   in.len == 2 ? ".2byte" : ".4byte", in.raw);
		return (int)b.used;
	}
	e = &isa_table[id];
	disasm_put(&b, "%s", e->mnemonic);
	if (e->fmt == ISA_FMT_AMO || e->fmt == ISA_FMT_LR) {
		static const char *const ord[4] = { "", ".rl", ".aq", ".aqrl" };

		disasm_put(&b, "%s", ord[in.rm & 3]);
	}
	if (disasm_has_operands(e->fmt)) {
		disasm_put(&b, "\t");
		disasm_operands(&b, e->fmt, &in, pc);
	}
	return (int)b.used;
}
