// SPDX-License-Identifier: MIT
//
// RV64I integer computational instructions (unprivileged spec, chapters
// "RV32I Base Integer Instruction Set" and "RV64I"): every register-register
// and register-immediate operation over a table of edge values, the W forms
// (32-bit result sign-extended to 64 bits), shift amounts 0/31/32/63 and
// register shifts that use only the low 6 (or 5 for W forms) bits, SLT/SLTU
// edge cases, LUI/AUIPC sign extension. Each result is a signature line
// `alu <op>.<i*N+j> <result>`; a few results are self-checked.
#include "rt.h"

static const u64 vals[] = {
	0x0000000000000000, 0x0000000000000001, 0xffffffffffffffff, 0x8000000000000000,
	0x7fffffffffffffff, 0x0000000080000000, 0x000000007fffffff, 0x00000000ffffffff,
	0xffffffff80000000, 0x123456789abcdef0, 0x000000000000003f, 0x0000000000000040,
};
#define NV (sizeof(vals) / sizeof(vals[0]))

#define SWEEP_RR(op)                         \
	for (u64 i = 0; i < NV; i++)         \
		for (u64 j = 0; j < NV; j++) \
	sig_idx(op, i *NV + j, RR(op, vals[i], vals[j]))

#define SWEEP_RI(op, imm, idx)       \
	for (u64 i = 0; i < NV; i++) \
	sig_idx(op, (idx)*NV + i, RI(op, vals[i], imm))

static void alu_register_ops(void)
{
	SWEEP_RR("add");
	SWEEP_RR("sub");
	SWEEP_RR("and");
	SWEEP_RR("or");
	SWEEP_RR("xor");
	SWEEP_RR("slt");
	SWEEP_RR("sltu");
	SWEEP_RR("sll");
	SWEEP_RR("srl");
	SWEEP_RR("sra");
	SWEEP_RR("addw");
	SWEEP_RR("subw");
	SWEEP_RR("sllw");
	SWEEP_RR("srlw");
	SWEEP_RR("sraw");
}

static void alu_immediate_ops(void)
{
	SWEEP_RI("addi", 0, 0);
	SWEEP_RI("addi", 1, 1);
	SWEEP_RI("addi", -1, 2);
	SWEEP_RI("addi", 2047, 3);
	SWEEP_RI("addi", -2048, 4);
	SWEEP_RI("addiw", 0, 0);
	SWEEP_RI("addiw", 1, 1);
	SWEEP_RI("addiw", -1, 2);
	SWEEP_RI("addiw", 2047, 3);
	SWEEP_RI("addiw", -2048, 4);
	SWEEP_RI("slti", 0, 0);
	SWEEP_RI("slti", -1, 1);
	SWEEP_RI("slti", 2047, 2);
	SWEEP_RI("slti", -2048, 3);
	SWEEP_RI("sltiu", 0, 0);
	SWEEP_RI("sltiu", 1, 1);
	SWEEP_RI("sltiu", -1, 2);
	SWEEP_RI("sltiu", 2047, 3);
	SWEEP_RI("andi", -1, 0);
	SWEEP_RI("andi", 0x7ff, 1);
	SWEEP_RI("andi", -2048, 2);
	SWEEP_RI("ori", -1, 0);
	SWEEP_RI("ori", 0x555, 1);
	SWEEP_RI("ori", -2048, 2);
	SWEEP_RI("xori", -1, 0);
	SWEEP_RI("xori", 0x555, 1);
	SWEEP_RI("xori", -2048, 2);
	SWEEP_RI("slli", 0, 0);
	SWEEP_RI("slli", 1, 1);
	SWEEP_RI("slli", 31, 2);
	SWEEP_RI("slli", 32, 3);
	SWEEP_RI("slli", 63, 4);
	SWEEP_RI("srli", 0, 0);
	SWEEP_RI("srli", 1, 1);
	SWEEP_RI("srli", 31, 2);
	SWEEP_RI("srli", 32, 3);
	SWEEP_RI("srli", 63, 4);
	SWEEP_RI("srai", 0, 0);
	SWEEP_RI("srai", 1, 1);
	SWEEP_RI("srai", 31, 2);
	SWEEP_RI("srai", 32, 3);
	SWEEP_RI("srai", 63, 4);
	SWEEP_RI("slliw", 0, 0);
	SWEEP_RI("slliw", 1, 1);
	SWEEP_RI("slliw", 31, 2);
	SWEEP_RI("srliw", 0, 0);
	SWEEP_RI("srliw", 1, 1);
	SWEEP_RI("srliw", 31, 2);
	SWEEP_RI("sraiw", 0, 0);
	SWEEP_RI("sraiw", 1, 1);
	SWEEP_RI("sraiw", 31, 2);
}

static void alu_upper_immediates(void)
{
	u64 a, b;

	__asm__ volatile("lui %0, 0" : "=r"(a));
	rt_check("lui.0", a, 0);
	__asm__ volatile("lui %0, 0x7ffff" : "=r"(a));
	rt_check("lui.7ffff", a, 0x7ffff000);
	__asm__ volatile("lui %0, 0x80000" : "=r"(a));
	rt_check("lui.80000", a, 0xffffffff80000000);
	__asm__ volatile("lui %0, 0xfffff" : "=r"(a));
	rt_check("lui.fffff", a, 0xfffffffffffff000);
	__asm__ volatile("lui %0, 0x12345" : "=r"(a));
	sig("lui.12345", a);

	// AUIPC adds the sign-extended immediate to its own pc: the offset
	// from a second AUIPC right after it is imm << 12 minus 4.
	__asm__ volatile("auipc %0, 0x80000\n\tauipc %1, 0" : "=r"(a), "=r"(b));
	rt_check("auipc.80000", a - b, 0xffffffff80000000 - 4);
	__asm__ volatile("auipc %0, 0x7ffff\n\tauipc %1, 0" : "=r"(a), "=r"(b));
	rt_check("auipc.7ffff", a - b, 0x7ffff000 - 4);
	__asm__ volatile("auipc %0, 0\n\tauipc %1, 0" : "=r"(a), "=r"(b));
	rt_check("auipc.0", a - b, (u64)-4);
}

// Writes to x0 are discarded and x0 reads as zero.
static void alu_x0(void)
{
	u64 r;

	__asm__ volatile("addi x0, x0, 5\n\tadd %0, x0, x0" : "=r"(r));
	rt_check("x0.write", r, 0);
}

static void alu_self_checks(void)
{
	rt_check("check.add.wrap", RR("add", 0x7fffffffffffffffUL, 1UL), 0x8000000000000000UL);
	rt_check("check.addw.sext", RR("addw", 0x7fffffffUL, 1UL), 0xffffffff80000000UL);
	rt_check("check.subw.sext", RR("subw", 0UL, 1UL), ~0UL);
	rt_check("check.slt.neg", RR("slt", ~0UL, 0UL), 1);
	rt_check("check.sltu.neg", RR("sltu", ~0UL, 0UL), 0);
	rt_check("check.sll.low6", RR("sll", 1UL, 65UL), 2);
	rt_check("check.sllw.low5", RR("sllw", 1UL, 33UL), 2);
	rt_check("check.sraw.sext", RR("sraw", 0x80000000UL, 31UL), ~0UL);
	rt_check("check.srlw.sext", RR("srlw", 0xffffffff80000000UL, 0UL), 0xffffffff80000000UL);
	rt_check("check.srliw.31", RI("srliw", 0x80000000UL, 31), 1);
	rt_check("check.srai.63", RI("srai", 0x8000000000000000UL, 63), ~0UL);
	rt_check("check.srli.63", RI("srli", 0x8000000000000000UL, 63), 1);
	rt_check("check.sltiu.neg1", RI("sltiu", 5UL, -1), 1);
	rt_check("check.xori.not", RI("xori", 0x1234UL, -1), ~0x1234UL);
}

int main(void)
{
	alu_register_ops();
	alu_immediate_ops();
	alu_upper_immediates();
	alu_x0();
	alu_self_checks();
	return 0;
}
