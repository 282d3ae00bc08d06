// SPDX-License-Identifier: MIT
//
// M extension (unprivileged spec, chapter "M Extension for Integer
// Multiplication and Division"): MUL/MULH/MULHSU/MULHU, DIV[U]/REM[U] and
// the W forms over a table of edge values, including the cases the spec
// defines in its table "Semantics for division by zero and division
// overflow": x/0 = -1 (all ones), x%0 = x, INT_MIN/-1 = INT_MIN and
// INT_MIN%-1 = 0, for 64-bit and 32-bit (W) operands, W results
// sign-extended. Signature lines `muldiv <op>.<i*N+j> <result>`.
#include "rt.h"

static const u64 vals[] = {
	0x0000000000000000, 0x0000000000000001, 0xffffffffffffffff, 0x8000000000000000,
	0x7fffffffffffffff, 0x0000000080000000, 0x000000007fffffff, 0x00000000ffffffff,
	0xffffffff80000000, 0x123456789abcdef0, 0x0000000000000007, 0xfffffffffffffff9,
	0xfedcba9876543210,
};
#define NV (sizeof(vals) / sizeof(vals[0]))

#define SWEEP_RR(op)                         \
	for (u64 i = 0; i < NV; i++)         \
		for (u64 j = 0; j < NV; j++) \
	sig_idx(op, i *NV + j, RR(op, vals[i], vals[j]))

static void muldiv_sweep(void)
{
	SWEEP_RR("mul");
	SWEEP_RR("mulh");
	SWEEP_RR("mulhsu");
	SWEEP_RR("mulhu");
	SWEEP_RR("mulw");
	SWEEP_RR("div");
	SWEEP_RR("divu");
	SWEEP_RR("rem");
	SWEEP_RR("remu");
	SWEEP_RR("divw");
	SWEEP_RR("divuw");
	SWEEP_RR("remw");
	SWEEP_RR("remuw");
}

static void muldiv_self_checks(void)
{
	const u64 min64 = 0x8000000000000000UL;

	rt_check("check.div.zero", RR("div", 42UL, 0UL), ~0UL);
	rt_check("check.divu.zero", RR("divu", 42UL, 0UL), ~0UL);
	rt_check("check.rem.zero", RR("rem", (u64)-42, 0UL), (u64)-42);
	rt_check("check.remu.zero", RR("remu", 42UL, 0UL), 42);
	rt_check("check.div.ovf", RR("div", min64, ~0UL), min64);
	rt_check("check.rem.ovf", RR("rem", min64, ~0UL), 0);
	rt_check("check.divw.zero", RR("divw", 42UL, 0UL), ~0UL);
	rt_check("check.divuw.zero", RR("divuw", 42UL, 0UL), ~0UL);
	rt_check("check.remw.zero", RR("remw", 0x80000000UL, 0UL), 0xffffffff80000000UL);
	rt_check("check.remuw.zero", RR("remuw", 0xffffffffUL, 0UL), ~0UL);
	rt_check("check.divw.ovf", RR("divw", 0x80000000UL, ~0UL), 0xffffffff80000000UL);
	rt_check("check.remw.ovf", RR("remw", 0x80000000UL, ~0UL), 0);
	rt_check("check.div.trunc", RR("div", (u64)-7, 2UL), (u64)-3);
	rt_check("check.rem.sign", RR("rem", (u64)-7, 2UL), (u64)-1);
	rt_check("check.mulh.neg", RR("mulh", ~0UL, ~0UL), 0);
	rt_check("check.mulhu.max", RR("mulhu", ~0UL, ~0UL), ~0UL - 1);
	rt_check("check.mulhsu.neg", RR("mulhsu", ~0UL, ~0UL), ~0UL);
	rt_check("check.mulw.sext", RR("mulw", 0x10000UL, 0x8000UL), 0xffffffff80000000UL);
	rt_check("check.divuw.hi", RR("divuw", 0x1ffffffffUL, 1UL), ~0UL);
}

int main(void)
{
	muldiv_sweep();
	muldiv_self_checks();
	return 0;
}
