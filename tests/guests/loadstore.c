// SPDX-License-Identifier: MIT
//
// RV64I loads and stores (unprivileged spec, "Load and Store
// Instructions"): every width at every naturally aligned offset of a
// patterned buffer, sign extension of LB/LH/LW versus zero extension of
// LBU/LHU/LWU, positive and negative immediates, stores of each width and
// a dump of the memory they leave, loads into x0.
//
// Misaligned accesses: the privileged spec lets an implementation either
// perform them or raise address-misaligned (cause 4 load, 6 store) with
// mtval = the faulting address. Retrovisor traps; QEMU 7.2 performs them.
// Each misaligned access therefore prints either
//   loadstore misaligned-<op>@<addr> trap <cause> <tval>
// or
//   loadstore misaligned-<op>@<addr> notrap
// and the self-check accepts both outcomes only if each is right (trap:
// cause, tval and untouched memory; no trap: the value). The harness maps
// QEMU's `notrap` lines to the trapping form (tests/diff/qemu_to_spec.sed).
#include "rt.h"

static u8 buf[64] __attribute__((aligned(64)));
static u8 mis[32] __attribute__((aligned(32)));

static void buf_fill(u8 *p, u64 n, u8 seed)
{
	for (u64 i = 0; i < n; i++)
		p[i] = (u8)(seed + i * 0x1d + (i & 1 ? 0x80 : 0));
}

#define LOAD(op, base, off)                                                                      \
	({                                                                                       \
		u64 __r;                                                                         \
		__asm__ volatile(op " %0, %2(%1)" : "=r"(__r) : "r"(base), "i"(off) : "memory"); \
		__r;                                                                             \
	})
#define STORE(op, val, base, off) \
	__asm__ volatile(op " %0, %2(%1)" ::"r"(val), "r"(base), "i"(off) : "memory")

#define LOADS_AT(off)                                               \
	do {                                                        \
		sig_idx("lb", off, LOAD("lb", buf, off));           \
		sig_idx("lbu", off, LOAD("lbu", buf, off));         \
		if (!((off)&1)) {                                   \
			sig_idx("lh", off, LOAD("lh", buf, off));   \
			sig_idx("lhu", off, LOAD("lhu", buf, off)); \
		}                                                   \
		if (!((off)&3)) {                                   \
			sig_idx("lw", off, LOAD("lw", buf, off));   \
			sig_idx("lwu", off, LOAD("lwu", buf, off)); \
		}                                                   \
		if (!((off)&7))                                     \
			sig_idx("ld", off, LOAD("ld", buf, off));   \
	} while (0)

static void ls_loads(void)
{
	buf_fill(buf, sizeof(buf), 0x11);
	LOADS_AT(0);
	LOADS_AT(1);
	LOADS_AT(2);
	LOADS_AT(3);
	LOADS_AT(4);
	LOADS_AT(5);
	LOADS_AT(6);
	LOADS_AT(7);
	LOADS_AT(8);
	LOADS_AT(12);
	LOADS_AT(14);
	LOADS_AT(16);
	LOADS_AT(24);
	LOADS_AT(56);
	LOADS_AT(63);
	// Negative immediates address below the base register.
	sig("ld.neg", LOAD("ld", buf + 32, -8));
	sig("lw.neg", LOAD("lw", buf + 32, -12));
	sig("lb.neg", LOAD("lb", buf + 32, -31));
	// Known answers: bytes with bit 7 set extend differently.
	buf[0] = 0x80;
	buf[1] = 0xff;
	buf[2] = 0x7f;
	buf[3] = 0x80;
	rt_check("check.lb", LOAD("lb", buf, 0), 0xffffffffffffff80UL);
	rt_check("check.lbu", LOAD("lbu", buf, 0), 0x80);
	rt_check("check.lh", LOAD("lh", buf, 0), 0xffffffffffffff80UL);
	rt_check("check.lhu", LOAD("lhu", buf, 0), 0xff80);
	rt_check("check.lw", LOAD("lw", buf, 0), 0xffffffff807fff80UL);
	rt_check("check.lwu", LOAD("lwu", buf, 0), 0x807fff80UL);
}

static void ls_dump(const char *name)
{
	for (u64 i = 0; i < sizeof(buf); i += 8)
		sig_idx(name, i, *(volatile u64 *)(buf + i));
}

static void ls_stores(void)
{
	const u64 v = 0xfedcba9876543210UL;

	for (u64 i = 0; i < sizeof(buf); i++)
		buf[i] = 0;
	STORE("sb", v, buf, 0);
	STORE("sb", v >> 8, buf, 3);
	STORE("sh", v, buf, 8);
	STORE("sh", v >> 16, buf, 14);
	STORE("sw", v, buf, 16);
	STORE("sw", v >> 32, buf, 28);
	STORE("sd", v, buf, 32);
	STORE("sd", ~v, buf, 56);
	STORE("sd", 0UL, buf + 48, -8);
	ls_dump("store");
	rt_check("check.sb", *(volatile u64 *)buf, 0x0000000032000010UL);
	rt_check("check.sh", *(volatile u64 *)(buf + 8), 0x7654000000003210UL);
	rt_check("check.sd", *(volatile u64 *)(buf + 32), v);

	// Loads into x0 are performed and discarded; a store of x0 writes 0.
	__asm__ volatile("ld x0, 32(%0)" ::"r"(buf) : "memory");
	__asm__ volatile("sd x0, 32(%0)" ::"r"(buf) : "memory");
	rt_check("check.sd.x0", *(volatile u64 *)(buf + 32), 0);
}

static void mis_sig(const char *op, u64 addr)
{
	rt_puts(RT_GUEST_NAME " misaligned-");
	rt_puts(op);
	rt_putc('@');
	rt_put_hex(addr, 16);
	if (rt_trap_cause() == RT_NO_TRAP) {
		rt_puts(" notrap\n");
		return;
	}
	rt_puts(" trap ");
	rt_put_hex(rt_trap.cause, 16);
	rt_putc(' ');
	rt_put_hex(rt_trap.tval, 16);
	rt_putc('\n');
}

// Either outcome is legal; each must be self-consistent.
static void mis_verify(const char *op, u64 addr, u64 cause, int ok_value, int mem_untouched)
{
	if (rt_trap_cause() == RT_NO_TRAP) {
		if (!ok_value)
			rt_fail_check(op, "misaligned access gave wrong data");
		return;
	}
	if (rt_trap.cause != cause || rt_trap.tval != addr)
		rt_fail_check(op, "misaligned trap has wrong cause or tval");
	if (!mem_untouched)
		rt_fail_check(op, "trapping misaligned store wrote memory");
}

static u64 mis_expect(u64 off, u64 size)
{
	u64 v = 0;

	for (u64 i = 0; i < size; i++)
		v |= (u64)mis[off + i] << (8 * i);
	return v;
}

static u64 mis_sext(u64 v, u64 size)
{
	u64 shift = 64 - 8 * size;

	return (u64)((s64)(v << shift) >> shift);
}

static u64 mis_truncate(u64 v, u64 size)
{
	u64 shift = 64 - 8 * size;

	return v << shift >> shift;
}

#define MIS_LOAD(op, off, size, sext)                                                           \
	do {                                                                                    \
		u64 __r = 0x5a5a5a5a5a5a5a5aUL, __w;                                            \
		buf_fill(mis, sizeof(mis), 0x42);                                               \
		__w = mis_expect(off, size);                                                    \
		if (sext)                                                                       \
			__w = mis_sext(__w, size);                                              \
		rt_trap_arm();                                                                  \
		__asm__ volatile(op " %0, %2(%1)" : "+r"(__r) : "r"(mis), "i"(off) : "memory"); \
		mis_sig(op, (u64)mis + off);                                                    \
		mis_verify(op, (u64)mis + off, CAUSE_MISALIGNED_LOAD, __r == __w, 1);           \
	} while (0)

#define MIS_STORE(op, off, size)                                                              \
	do {                                                                                  \
		const u64 __v = 0x0123456789abcdefUL;                                         \
		u64 __before;                                                                 \
		buf_fill(mis, sizeof(mis), 0x42);                                             \
		__before = mis_expect(off, size);                                             \
		rt_trap_arm();                                                                \
		__asm__ volatile(op " %0, %2(%1)" ::"r"(__v), "r"(mis), "i"(off) : "memory"); \
		mis_sig(op, (u64)mis + off);                                                  \
		mis_verify(op, (u64)mis + off, CAUSE_MISALIGNED_STORE,                        \
			   mis_expect(off, size) == mis_truncate(__v, size),                  \
			   mis_expect(off, size) == __before);                                \
	} while (0)

static void ls_misaligned(void)
{
	MIS_LOAD("lh", 1, 2, 1);
	MIS_LOAD("lhu", 3, 2, 0);
	MIS_LOAD("lw", 1, 4, 1);
	MIS_LOAD("lw", 2, 4, 1);
	MIS_LOAD("lwu", 3, 4, 0);
	MIS_LOAD("ld", 1, 8, 1);
	MIS_LOAD("ld", 4, 8, 1);
	MIS_LOAD("ld", 7, 8, 1);
	MIS_STORE("sh", 1, 2);
	MIS_STORE("sw", 2, 4);
	MIS_STORE("sw", 3, 4);
	MIS_STORE("sd", 1, 8);
	MIS_STORE("sd", 4, 8);
	MIS_STORE("sd", 7, 8);
}

int main(void)
{
	ls_loads();
	ls_stores();
	ls_misaligned();
	return 0;
}
