// SPDX-License-Identifier: MIT
/*
 * The riscv64 target description (GDB manual, "Target Description
 * Format" and "RISC-V Features"), built once from the register table
 * below, which is also what tdesc_reg_size answers from, so the document
 * gdb reads and the sizes the stub sends can never disagree.
 *
 * The CSRs listed, their numbers and features come from the CSR table
 * (hv/cpu/csr.def, numbers from the privileged specification's "CSR
 * Listing"); bit sizes are XLEN = 64 except the FP CSRs, which GDB's
 * own riscv feature files declare as 32-bit.
 */
#include "gdbstub/tdesc.h"

#include "hv/cpu/csr.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

enum tdesc_feature {
	FEAT_CPU,
	FEAT_FPU,
	FEAT_CSR,
	FEAT_VIRTUAL,
	FEAT_COUNT,
};

struct tdesc_reg {
	const char *name;
	unsigned regno;
	unsigned bits;
	const char *type;
	enum tdesc_feature feature;
};

static const char *const tdesc_feature_names[FEAT_COUNT] = {
	[FEAT_CPU] = "org.gnu.gdb.riscv.cpu",
	[FEAT_FPU] = "org.gnu.gdb.riscv.fpu",
	[FEAT_CSR] = "org.gnu.gdb.riscv.csr",
	[FEAT_VIRTUAL] = "org.gnu.gdb.riscv.virtual",
};

static const char *const tdesc_x_names[32] = {
	"zero", "ra", "sp", "gp", "tp",  "t0",  "t1", "t2", "fp", "s1", "a0",
	"a1",   "a2", "a3", "a4", "a5",  "a6",  "a7", "s2", "s3", "s4", "s5",
	"s6",   "s7", "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6",
};

static const char *const tdesc_f_names[32] = {
	"ft0", "ft1", "ft2", "ft3", "ft4",  "ft5",  "ft6", "ft7", "fs0",  "fs1",  "fa0",
	"fa1", "fa2", "fa3", "fa4", "fa5",  "fa6",  "fa7", "fs2", "fs3",  "fs4",  "fs5",
	"fs6", "fs7", "fs8", "fs9", "fs10", "fs11", "ft8", "ft9", "ft10", "ft11",
};

/* The CSRs gdb sees: the gdb column of the CSR table (hv/cpu/csr.def), in
 * table (number) order within each feature. */
#define CSR_TDESC_FPU(name, num) { #name, GDB_REG_CSR(num), 32, "int", FEAT_FPU },
#define CSR_TDESC_CSR(name, num) { #name, GDB_REG_CSR(num), 64, "uint64", FEAT_CSR },
#define CSR_TDESC_NONE(name, num)

static const struct tdesc_reg tdesc_other_regs[] = {
#define CSR(num, name, access, gdb) CSR_TDESC_##gdb(name, num)
#include "hv/cpu/csr.def"
	{ "priv", GDB_REG_PRIV, 64, "int", FEAT_VIRTUAL },
};

unsigned tdesc_reg_size(unsigned regno)
{
	if (regno < GDB_REG_F0 + 32)
		return 8;
	for (size_t i = 0; i < sizeof(tdesc_other_regs) / sizeof(tdesc_other_regs[0]); i++)
		if (tdesc_other_regs[i].regno == regno)
			return tdesc_other_regs[i].bits / 8;
	return 0;
}

static char tdesc_doc[12288];
static size_t tdesc_len;

static void tdesc_add(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void tdesc_add(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tdesc_doc + tdesc_len, sizeof(tdesc_doc) - tdesc_len, fmt, ap);
	va_end(ap);
	/* The table above is fixed; the buffer is sized for it. */
	assert(n > 0 && (size_t)n < sizeof(tdesc_doc) - tdesc_len);
	tdesc_len += (size_t)n;
}

static void tdesc_add_reg(const char *name, unsigned regno, unsigned bits, const char *type)
{
	tdesc_add("    <reg name=\"%s\" bitsize=\"%u\" regnum=\"%u\" type=\"%s\"/>\n", name, bits,
		  regno, type);
}

static void tdesc_add_feature(enum tdesc_feature f)
{
	tdesc_add("  <feature name=\"%s\">\n", tdesc_feature_names[f]);
	if (f == FEAT_CPU) {
		for (unsigned i = 0; i < 32; i++) {
			/* ra is a code address and sp/gp/tp data addresses, as gdb
			 * expects for backtraces. */
			const char *type = i == 1             ? "code_ptr" :
					   (i >= 2 && i <= 4) ? "data_ptr" :
								"int";

			tdesc_add_reg(tdesc_x_names[i], GDB_REG_X0 + i, 64, type);
		}
		tdesc_add_reg("pc", GDB_REG_PC, 64, "code_ptr");
	}
	if (f == FEAT_FPU) {
		/* A D-extension register holds a double, or a NaN-boxed single. */
		tdesc_add("    <union id=\"%s\">\n      <field name=\"float\" type=\"ieee_single\"/>\n"
			  "      <field name=\"double\" type=\"ieee_double\"/>\n    </union>\n",
			  "riscv_double");
		for (unsigned i = 0; i < 32; i++)
			tdesc_add_reg(tdesc_f_names[i], GDB_REG_F0 + i, 64, "riscv_double");
	}
	for (size_t i = 0; i < sizeof(tdesc_other_regs) / sizeof(tdesc_other_regs[0]); i++) {
		const struct tdesc_reg *r = &tdesc_other_regs[i];

		if (r->feature == f)
			tdesc_add_reg(r->name, r->regno, r->bits, r->type);
	}
	tdesc_add("  </feature>\n");
}

const char *tdesc_xml(size_t *len)
{
	if (tdesc_len == 0) {
		tdesc_add("<?xml version=\"1.0\"?>\n<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n"
			  "<target version=\"1.0\">\n  <architecture>%s</architecture>\n",
			  "riscv:rv64");
		for (int f = 0; f < FEAT_COUNT; f++)
			tdesc_add_feature((enum tdesc_feature)f);
		tdesc_add("</target>\n");
	}
	*len = tdesc_len;
	return tdesc_doc;
}
