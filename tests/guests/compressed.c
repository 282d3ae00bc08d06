// SPDX-License-Identifier: MIT
//
// C extension: the hand-written block in compressed_asm.S (each c.* form
// and its corner cases) and compiler-generated compressed code (this file
// is built with -march=rv64gc, so the loops below are largely RVC), plus
// the compressed traps: C.EBREAK (cause 3, the handler resumes 2 bytes on)
// and the all-zero parcel, which is defined illegal (cause 2).
// Signature: `compressed out.<i> <value>`.
#include "rt.h"

void comp_run(u64 *out, u64 *mem);

static u64 out[32];
static u64 mem[8];

// Compiler-chosen RVC: a small checksum loop over a table.
static u64 comp_checksum(const u32 *p, int n)
{
	u64 h = 0x9e3779b97f4a7c15UL;

	for (int i = 0; i < n; i++) {
		h ^= p[i];
		h = (h << 7) | (h >> 57);
		h += (u64)(s32)p[i] >> 3;
	}
	return h;
}

int main(void)
{
	static const u32 table[] = { 1, 0x80000000, 0xffffffff, 0x1234, 7 };
	u64 epc_ebreak, len;

	comp_run(out, mem);
	for (u64 i = 0; i < 32; i++)
		sig_idx("out", i, out[i]);
	rt_check("check.c.li.neg", out[1], (u64)-32);
	rt_check("check.c.lui.neg", out[3], 0xfffffffffffe0000UL);
	rt_check("check.c.addiw.ovf", out[10], 0xffffffff80000000UL);
	rt_check("check.c.addiw.sext", out[12], 0x23456789);
	rt_check("check.c.lw.sext", out[24], 0xffffffff87654321UL);
	rt_check("check.c.addi4spn", out[20], 8);
	rt_check("check.c.addi16sp", out[21], (u64)-32);
	rt_check("check.c.jalr.link", out[30], 0);

	sig("checksum", comp_checksum(table, 5));

	rt_trap_arm();
	__asm__ volatile("1: c.ebreak\n\tla %0, 1b" : "=r"(epc_ebreak));
	sig_trap("c.ebreak");
	rt_check("c.ebreak.epc", rt_trap.epc - epc_ebreak, 0);

	// The 16-bit parcel 0x0000 is illegal; tval is 0 or those 16 bits.
	rt_trap_arm();
	__asm__ volatile(".2byte 0\n\tla %0, 1f\n1:" : "=r"(len));
	sig_trap("c.zero");
	rt_check("check.c.zero.cause", rt_trap.cause, CAUSE_ILLEGAL);
	return 0;
}
