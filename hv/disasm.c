// SPDX-License-Identifier: MIT
/*
 * Disassembler: one instruction to text in the syntax of GNU objdump with
 * `-M no-aliases` (binutils 2.40), so that our traces can be compared line
 * by line with objdump's and QEMU's. tests/unit/disasm_test.cc checks every
 * 16-bit encoding and a large sample of 32-bit ones against objdump.
 *
 * The text comes from isa_decode() plus the entry's format (hv/isa_fmt.h):
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
 *  - CSRs by name when objdump knows one (priv/csrs.adoc and the
 *    extensions binutils 2.40 lists), else in hex;
 *  - encodings that decode as illegal print as ".2byte 0x..." or
 *    ".4byte 0x...", except 0x0000, which objdump calls "c.unimp".
 *
 * Input is an untrusted encoding; output never exceeds len bytes and is
 * always NUL-terminated when len > 0.
 */
#include "hv/insn.h"
#include "hv/isa_fmt.h"

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

struct disasm_csr {
	uint16_t num;
	const char *name;
};

/* CSR names without a numeric series, sorted by number. */
static const struct disasm_csr disasm_csrs[] = {
	{ 0x001, "fflags" },      { 0x002, "frm" },
	{ 0x003, "fcsr" },        { 0x008, "vstart" },
	{ 0x009, "vxsat" },       { 0x00a, "vxrm" },
	{ 0x00f, "vcsr" },        { 0x015, "seed" },
	{ 0x100, "sstatus" },     { 0x104, "sie" },
	{ 0x105, "stvec" },       { 0x106, "scounteren" },
	{ 0x10a, "senvcfg" },     { 0x10c, "sstateen0" },
	{ 0x10d, "sstateen1" },   { 0x10e, "sstateen2" },
	{ 0x10f, "sstateen3" },   { 0x114, "sieh" },
	{ 0x140, "sscratch" },    { 0x141, "sepc" },
	{ 0x142, "scause" },      { 0x143, "stval" },
	{ 0x144, "sip" },         { 0x14d, "stimecmp" },
	{ 0x150, "siselect" },    { 0x151, "sireg" },
	{ 0x154, "siph" },        { 0x15c, "stopei" },
	{ 0x15d, "stimecmph" },   { 0x180, "satp" },
	{ 0x200, "vsstatus" },    { 0x204, "vsie" },
	{ 0x205, "vstvec" },      { 0x214, "vsieh" },
	{ 0x240, "vsscratch" },   { 0x241, "vsepc" },
	{ 0x242, "vscause" },     { 0x243, "vstval" },
	{ 0x244, "vsip" },        { 0x24d, "vstimecmp" },
	{ 0x250, "vsiselect" },   { 0x251, "vsireg" },
	{ 0x254, "vsiph" },       { 0x25c, "vstopei" },
	{ 0x25d, "vstimecmph" },  { 0x280, "vsatp" },
	{ 0x300, "mstatus" },     { 0x301, "misa" },
	{ 0x302, "medeleg" },     { 0x303, "mideleg" },
	{ 0x304, "mie" },         { 0x305, "mtvec" },
	{ 0x306, "mcounteren" },  { 0x308, "mvien" },
	{ 0x309, "mvip" },        { 0x30a, "menvcfg" },
	{ 0x30c, "mstateen0" },   { 0x30d, "mstateen1" },
	{ 0x30e, "mstateen2" },   { 0x30f, "mstateen3" },
	{ 0x310, "mstatush" },    { 0x313, "midelegh" },
	{ 0x314, "mieh" },        { 0x318, "mvienh" },
	{ 0x319, "mviph" },       { 0x31a, "menvcfgh" },
	{ 0x31c, "mstateen0h" },  { 0x31d, "mstateen1h" },
	{ 0x31e, "mstateen2h" },  { 0x31f, "mstateen3h" },
	{ 0x320, "mcountinhibit" }, { 0x340, "mscratch" },
	{ 0x341, "mepc" },        { 0x342, "mcause" },
	{ 0x343, "mtval" },       { 0x344, "mip" },
	{ 0x34a, "mtinst" },      { 0x34b, "mtval2" },
	{ 0x350, "miselect" },    { 0x351, "mireg" },
	{ 0x354, "miph" },        { 0x35c, "mtopei" },
	{ 0x5a8, "scontext" },    { 0x600, "hstatus" },
	{ 0x602, "hedeleg" },     { 0x603, "hideleg" },
	{ 0x604, "hie" },         { 0x605, "htimedelta" },
	{ 0x606, "hcounteren" },  { 0x607, "hgeie" },
	{ 0x608, "hvien" },       { 0x609, "hvictl" },
	{ 0x60a, "henvcfg" },     { 0x60c, "hstateen0" },
	{ 0x60d, "hstateen1" },   { 0x60e, "hstateen2" },
	{ 0x60f, "hstateen3" },   { 0x613, "hidelegh" },
	{ 0x615, "htimedeltah" }, { 0x618, "hvienh" },
	{ 0x61a, "henvcfgh" },    { 0x61c, "hstateen0h" },
	{ 0x61d, "hstateen1h" },  { 0x61e, "hstateen2h" },
	{ 0x61f, "hstateen3h" },  { 0x643, "htval" },
	{ 0x644, "hip" },         { 0x645, "hvip" },
	{ 0x646, "hviprio1" },    { 0x647, "hviprio2" },
	{ 0x64a, "htinst" },      { 0x655, "hviph" },
	{ 0x656, "hviprio1h" },   { 0x657, "hviprio2h" },
	{ 0x680, "hgatp" },       { 0x6a8, "hcontext" },
	{ 0x747, "mseccfg" },     { 0x757, "mseccfgh" },
	{ 0x7a0, "tselect" },     { 0x7a1, "tdata1" },
	{ 0x7a2, "tdata2" },      { 0x7a3, "tdata3" },
	{ 0x7a4, "tinfo" },       { 0x7a5, "tcontrol" },
	{ 0x7a8, "mcontext" },    { 0x7aa, "mscontext" },
	{ 0x7b0, "dcsr" },        { 0x7b1, "dpc" },
	{ 0x7b2, "dscratch0" },   { 0x7b3, "dscratch1" },
	{ 0xb00, "mcycle" },      { 0xb02, "minstret" },
	{ 0xb80, "mcycleh" },     { 0xb82, "minstreth" },
	{ 0xc00, "cycle" },       { 0xc01, "time" },
	{ 0xc02, "instret" },     { 0xc20, "vl" },
	{ 0xc21, "vtype" },       { 0xc22, "vlenb" },
	{ 0xc80, "cycleh" },      { 0xc81, "timeh" },
	{ 0xc82, "instreth" },    { 0xda0, "scountovf" },
	{ 0xdb0, "stopi" },       { 0xe12, "hgeip" },
	{ 0xeb0, "vstopi" },      { 0xf11, "mvendorid" },
	{ 0xf12, "marchid" },     { 0xf13, "mimpid" },
	{ 0xf14, "mhartid" },     { 0xf15, "mconfigptr" },
	{ 0xfb0, "mtopi" },
};

/* Numbered CSR series: name<first + i>[suffix] for num in [lo, hi]. */
struct disasm_csr_series {
	uint16_t lo, hi;
	unsigned first;
	const char *name, *suffix;
};

static const struct disasm_csr_series disasm_csr_series[] = {
	{ 0x323, 0x33f, 3, "mhpmevent", "" },
	{ 0x3a0, 0x3af, 0, "pmpcfg", "" },
	{ 0x3b0, 0x3ef, 0, "pmpaddr", "" },
	{ 0x723, 0x73f, 3, "mhpmevent", "h" },
	{ 0xb03, 0xb1f, 3, "mhpmcounter", "" },
	{ 0xb83, 0xb9f, 3, "mhpmcounter", "h" },
	{ 0xc03, 0xc1f, 3, "hpmcounter", "" },
	{ 0xc83, 0xc9f, 3, "hpmcounter", "h" },
};

static int disasm_csr_cmp(const void *key, const void *elem)
{
	unsigned num = *(const unsigned *)key;
	const struct disasm_csr *c = elem;

	return (num > c->num) - (num < c->num);
}

static void disasm_put_csr(struct disasm_buf *b, unsigned num)
{
	const struct disasm_csr *c;

	c = bsearch(&num, disasm_csrs, HV_ARRAY_LEN(disasm_csrs),
		    sizeof(disasm_csrs[0]), disasm_csr_cmp);
	if (c) {
		disasm_put(b, "%s", c->name);
		return;
	}
	for (size_t i = 0; i < HV_ARRAY_LEN(disasm_csr_series); i++) {
		const struct disasm_csr_series *s = &disasm_csr_series[i];

		if (num >= s->lo && num <= s->hi) {
			disasm_put(b, "%s%u%s", s->name, s->first + num - s->lo,
				   s->suffix);
			return;
		}
	}
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
