// SPDX-License-Identifier: MIT
//
// Control transfer (unprivileged spec, "Control Transfer Instructions" and
// the C extension's CJ/CB/CR formats): every conditional branch taken and
// not taken over signed/unsigned edge values, forward and backward
// offsets, JAL/JALR link values (pc + 4, or pc + 2 for C.JALR), JALR
// clearing bit 0 of the target and using rs1 read before rd is written
// when rd == rs1, and the compressed jumps and branches.
// Signature: `branch <op>.<i*N+j> <1 if taken>` and link offsets relative
// to the jumping instruction (so lines do not depend on the link address).
#include "rt.h"

static const u64 vals[] = {
	0x0000000000000000, 0x0000000000000001, 0xffffffffffffffff, 0x8000000000000000,
	0x7fffffffffffffff, 0x0000000080000000, 0xffffffff80000000, 0x00000000ffffffff,
};
#define NV (sizeof(vals) / sizeof(vals[0]))

#define BR(op, a, b)                                                 \
	({                                                           \
		u64 __t;                                             \
		__asm__ volatile("li %0, 1\n\t" op " %1, %2, 1f\n\t" \
				 "li %0, 0\n"                        \
				 "1:"                                \
				 : "=&r"(__t)                        \
				 : "r"(a), "r"(b));                  \
		__t;                                                 \
	})

#define SWEEP_BR(op)                         \
	for (u64 i = 0; i < NV; i++)         \
		for (u64 j = 0; j < NV; j++) \
	sig_idx(op, i *NV + j, BR(op, vals[i], vals[j]))

static void branch_sweep(void)
{
	SWEEP_BR("beq");
	SWEEP_BR("bne");
	SWEEP_BR("blt");
	SWEEP_BR("bge");
	SWEEP_BR("bltu");
	SWEEP_BR("bgeu");
	rt_check("check.blt.neg", BR("blt", ~0UL, 0UL), 1);
	rt_check("check.bltu.neg", BR("bltu", ~0UL, 0UL), 0);
	rt_check("check.bge.eq", BR("bge", 5UL, 5UL), 1);
	rt_check("check.bgeu.min", BR("bgeu", 0x8000000000000000UL, 1UL), 1);
	rt_check("check.beq.same", BR("beq", ~0UL, ~0UL), 1);
}

static void branch_backward(void)
{
	u64 n = 0, i = 10;

	// A backward BNE loop: taken nine times, falls through once.
	__asm__ volatile("1:\n\taddi %0, %0, 1\n\taddi %1, %1, -1\n\t"
			 "bnez %1, 1b"
			 : "+r"(n), "+r"(i));
	rt_check("backward.count", n, 10);
}

// Exact byte offsets below need every instruction 4 bytes long.
#define NORVC(text) ".option push\n\t.option norvc\n\t" text "\n\t.option pop"

static void branch_jumps(void)
{
	u64 base, link, tmp;

	// JAL: rd = address of the JAL + 4.
	__asm__ volatile(NORVC("auipc %0, 0\n\tjal %1, 1f\n\tnop\n1:") : "=r"(base), "=r"(link));
	rt_check("jal.link", link - base, 8);

	// JAL with rd = x0 is a plain jump.
	__asm__ volatile("li %0, 1\n\tj 1f\n\tli %0, 2\n1:" : "=r"(tmp));
	rt_check("j.skips", tmp, 1);

	// JALR: target = (rs1 + imm) & ~1, rd = pc + 4.
	__asm__ volatile(NORVC("auipc %0, 0\n\t"
			       "addi %2, %0, 17\n\t" /* label 1 at +16, bit 0 set */
			       "jalr %1, 0(%2)\n\t"
			       "nop\n\t"
			       "1:")
			 : "=&r"(base), "=&r"(link), "=&r"(tmp));
	rt_check("jalr.bit0.link", link - base, 12);

	// Negative immediate: rs1 points past the target.
	__asm__ volatile(NORVC("auipc %0, 0\n\t"
			       "addi %2, %0, 24\n\t"
			       "jalr %1, -4(%2)\n\t" /* to +20 */
			       "nop\n\t"
			       "nop\n\t"
			       "1:")
			 : "=&r"(base), "=&r"(link), "=&r"(tmp));
	rt_check("jalr.negimm.link", link - base, 12);

	// rd == rs1: the target uses the old value of the register.
	__asm__ volatile(NORVC("auipc %0, 0\n\t"
			       "addi %1, %0, 16\n\t"
			       "jalr %1, 0(%1)\n\t"
			       "nop\n\t"
			       "1:")
			 : "=&r"(base), "=&r"(link));
	rt_check("jalr.rd_eq_rs1.link", link - base, 12);
}

static void branch_compressed(void)
{
	u64 base, link, a0;

	// C.BEQZ / C.BNEZ (CB format, rs1' in x8..x15). Operands are moved
	// into fixed registers inside the asm: GCC does not keep local
	// register variables alive across the calls in between.
	for (u64 i = 0; i < 3; i++) {
		u64 t;

		__asm__ volatile("mv a1, %1\n\tli %0, 1\n\tc.beqz a1, 1f\n\t"
				 "li %0, 0\n1:"
				 : "=&r"(t)
				 : "r"(vals[i])
				 : "a1");
		sig_idx("c.beqz", i, t);
		__asm__ volatile("mv a1, %1\n\tli %0, 1\n\tc.bnez a1, 1f\n\t"
				 "li %0, 0\n1:"
				 : "=&r"(t)
				 : "r"(vals[i])
				 : "a1");
		sig_idx("c.bnez", i, t);
	}
	rt_check("check.c.bnez.zero", ({
			 u64 t;
			 __asm__ volatile("li a1, 0\n\tli %0, 1\n\t"
					  "c.bnez a1, 1f\n\tli %0, 0\n1:"
					  : "=&r"(t)
					  :
					  : "a1");
			 t;
		 }),
		 0);

	// C.J forward.
	__asm__ volatile("li %0, 1\n\tc.j 1f\n\tli %0, 2\n1:" : "=&r"(a0));
	rt_check("c.j", a0, 1);

	// C.JALR: ra = address of the C.JALR + 2.
	__asm__ volatile(".option push\n\t.option norvc\n\t"
			 "auipc %0, 0\n\t"
			 "addi a1, %0, 10\n\t"
			 ".option pop\n\t"
			 "c.jalr a1\n\t" /* at +8, target +10 */
			 "mv %1, ra"
			 : "=&r"(base), "=&r"(link)
			 :
			 : "ra", "a1");
	rt_check("c.jalr.link", link - base, 10);

	// C.JR jumps without linking.
	__asm__ volatile(".option push\n\t.option norvc\n\t"
			 "auipc a1, 0\n\t"
			 "addi a1, a1, 18\n\t"
			 "addi %0, x0, 1\n\t"
			 ".option pop\n\t"
			 "c.jr a1\n\t" /* at +12, target +18 */
			 ".option push\n\t.option norvc\n\t"
			 "addi %0, x0, 2\n\t"
			 ".option pop"
			 : "=&r"(a0)
			 :
			 : "a1");
	rt_check("c.jr", a0, 1);
}

int main(void)
{
	branch_sweep();
	branch_backward();
	branch_jumps();
	branch_compressed();
	return 0;
}
