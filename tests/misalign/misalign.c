// SPDX-License-Identifier: MIT
/*
 * A static riscv64 Linux program, without libc, that makes misaligned
 * loads and stores of every width and form RV64GC has, and prints what
 * they read and wrote (misalign_test.py compares the lines between
 * Retrovisor and QEMU and with the values the pattern implies).
 *
 * Retrovisor raises the misaligned-address exceptions (causes 4 and 6),
 * which the privileged spec allows, so the guest kernel emulates each
 * access (arch/riscv/kernel/traps_misaligned.c); QEMU performs them in
 * "hardware". A user program must not be able to tell the difference.
 *
 * Every access is one inline-assembly instruction, so the compiler cannot
 * split or align it: `.option norvc` keeps the 32-bit forms 32-bit, and
 * the compressed forms are written as c.* mnemonics on registers x8-x15
 * (a0, a1, fa0) or sp. The SP-relative forms point sp at the misaligned
 * address for one instruction (the kernel never uses the user's sp).
 *
 * Output, one line per access (hex, lower case):
 *   L <insn> <offset> <value read, 16 digits; FP loads give the register's
 *                      bits through fmv.x.w / fmv.x.d>
 *   S <insn> <offset> <the 24-byte window after the store, byte by byte>
 *   P <insn> <offset> <...> the same across a page boundary
 * then "misalign: done N", and "alignment-faults N", the accesses the
 * kernel emulated (a perf software counter). Loads read pat[] (byte i = (i * 0x3b + 0x81)
 * & 0xff) at pat + offset; stores write STORE_VALUE(offset) at win + 8 +
 * offset into a zeroed 24-byte window.
 */
#include <stdint.h>

#define STORE_VALUE(off) (0xf1e2d3c4b5a69788ull ^ ((uint64_t)(off)*0x1111111111111111ull))

static uint8_t pat[64] __attribute__((aligned(16)));
static uint8_t win[24] __attribute__((aligned(16)));
/* Two pages: accesses that straddle the boundary between them. */
static uint8_t pages[8192] __attribute__((aligned(4096)));

static char out[16384];
static unsigned long out_len;
static unsigned long lines;

static long sys_call3(long n, long a, long b, long c)
{
	register long a0 asm("a0") = a;
	register long a1 asm("a1") = b;
	register long a2 asm("a2") = c;
	register long a7 asm("a7") = n;

	asm volatile("ecall" : "+r"(a0) : "r"(a1), "r"(a2), "r"(a7) : "memory");
	return a0;
}

static void put_str(const char *s)
{
	while (*s && out_len < sizeof(out))
		out[out_len++] = *s++;
}

static void put_hex(uint64_t v, int digits)
{
	for (int i = digits - 1; i >= 0 && out_len < sizeof(out); i--)
		out[out_len++] = "0123456789abcdef"[(v >> (4 * i)) & 15];
}

static void put_dec(unsigned long v)
{
	char buf[24];
	int n = 0;

	do {
		buf[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n && out_len < sizeof(out))
		out[out_len++] = buf[--n];
}

static void line_start(char kind, const char *insn, unsigned off)
{
	char k[2] = { kind, 0 };

	put_str(k);
	put_str(" ");
	put_str(insn);
	put_str(" ");
	put_dec(off);
	put_str(" ");
	lines++;
}

static void report_load(const char *insn, unsigned off, uint64_t v)
{
	line_start('L', insn, off);
	put_hex(v, 16);
	put_str("\n");
}

static void report_bytes(char kind, const char *insn, unsigned off, const uint8_t *p, int n)
{
	line_start(kind, insn, off);
	for (int i = 0; i < n; i++)
		put_hex(p[i], 2);
	put_str("\n");
}

/* The 32-bit forms: base register + 0. */
#define LOAD(insn, p)                                                                       \
	({                                                                                  \
		uint64_t v_;                                                                \
		asm volatile(".option push\n.option norvc\n" insn " %0, 0(%1)\n.option pop" \
			     : "=r"(v_)                                                     \
			     : "r"(p)                                                       \
			     : "memory");                                                   \
		v_;                                                                         \
	})
#define STORE(insn, p, v)                                                           \
	asm volatile(".option push\n.option norvc\n" insn " %0, 0(%1)\n.option pop" \
		     :                                                              \
		     : "r"(v), "r"(p)                                               \
		     : "memory")
#define FLOAD(insn, mv, p)                                                           \
	({                                                                           \
		uint64_t v_;                                                         \
		asm volatile(".option push\n.option norvc\n" insn " ft0, 0(%1)\n" mv \
			     " %0, ft0\n.option pop"                                 \
			     : "=r"(v_)                                              \
			     : "r"(p)                                                \
			     : "ft0", "memory");                                     \
		v_;                                                                  \
	})
#define FSTORE(insn, mv, p, v)                                                            \
	asm volatile(".option push\n.option norvc\n" mv " ft0, %0\n" insn " ft0, 0(%1)\n" \
		     ".option pop"                                                        \
		     :                                                                    \
		     : "r"(v), "r"(p)                                                     \
		     : "ft0", "memory")

/* The compressed forms: a0 + 8 (a multiple of 4 and 8), into a1 or fa0. */
#define CLOAD(text, p)                                                           \
	({                                                                       \
		register const uint8_t *b_ asm("a0") = (p)-8;                    \
		register uint64_t v_ asm("a1");                                  \
		asm volatile(text : "=r"(v_) : "r"(b_) : "t0", "fa0", "memory"); \
		v_;                                                              \
	})
#define CSTORE(text, p, v)                                                       \
	do {                                                                     \
		register uint8_t *b_ asm("a0") = (p)-8;                          \
		register uint64_t v_ asm("a1") = (v);                            \
		asm volatile(text : : "r"(b_), "r"(v_) : "t0", "fa0", "memory"); \
	} while (0)
/* The SP-relative forms: sp + 8 for one instruction, saved in t0. */
#define SPLOAD(text, p) CLOAD("mv t0, sp\nmv sp, a0\n" text "\nmv sp, t0", p)
#define SPSTORE(text, p, v) CSTORE("mv t0, sp\nmv sp, a0\n" text "\nmv sp, t0", p, v)

typedef uint64_t load_fn(const uint8_t *p);
typedef void store_fn(uint8_t *p, uint64_t v);

#define LOADER(name, expr)                     \
	static uint64_t name(const uint8_t *p) \
	{                                      \
		return expr;                   \
	}
#define STORER(name, stmt)                       \
	static void name(uint8_t *p, uint64_t v) \
	{                                        \
		stmt;                            \
	}

LOADER(ld_lh, LOAD("lh", p))
LOADER(ld_lhu, LOAD("lhu", p))
LOADER(ld_lw, LOAD("lw", p))
LOADER(ld_lwu, LOAD("lwu", p))
LOADER(ld_ld, LOAD("ld", p))
LOADER(ld_flw, FLOAD("flw", "fmv.x.w", p))
LOADER(ld_fld, FLOAD("fld", "fmv.x.d", p))
LOADER(ld_c_lw, CLOAD("c.lw a1, 8(a0)", p))
LOADER(ld_c_ld, CLOAD("c.ld a1, 8(a0)", p))
LOADER(ld_c_fld, CLOAD("c.fld fa0, 8(a0)\nfmv.x.d a1, fa0", p))
LOADER(ld_c_lwsp, SPLOAD("c.lwsp a1, 8(sp)", p))
LOADER(ld_c_ldsp, SPLOAD("c.ldsp a1, 8(sp)", p))
LOADER(ld_c_fldsp, SPLOAD("c.fldsp fa0, 8(sp)\nfmv.x.d a1, fa0", p))

STORER(st_sh, STORE("sh", p, v))
STORER(st_sw, STORE("sw", p, v))
STORER(st_sd, STORE("sd", p, v))
STORER(st_fsw, FSTORE("fsw", "fmv.w.x", p, v))
STORER(st_fsd, FSTORE("fsd", "fmv.d.x", p, v))
STORER(st_c_sw, CSTORE("c.sw a1, 8(a0)", p, v))
STORER(st_c_sd, CSTORE("c.sd a1, 8(a0)", p, v))
STORER(st_c_fsd, CSTORE("fmv.d.x fa0, a1\nc.fsd fa0, 8(a0)", p, v))
STORER(st_c_swsp, SPSTORE("c.swsp a1, 8(sp)", p, v))
STORER(st_c_sdsp, SPSTORE("c.sdsp a1, 8(sp)", p, v))
STORER(st_c_fsdsp, SPSTORE("fmv.d.x fa0, a1\nc.fsdsp fa0, 8(sp)", p, v))

struct load_case {
	const char *name;
	unsigned width;
	load_fn *fn;
};

struct store_case {
	const char *name;
	unsigned width;
	store_fn *fn;
};

static const struct load_case loads[] = {
	{ "lh", 2, ld_lh },           { "lhu", 2, ld_lhu },       { "lw", 4, ld_lw },
	{ "lwu", 4, ld_lwu },         { "ld", 8, ld_ld },         { "flw", 4, ld_flw },
	{ "fld", 8, ld_fld },         { "c.lw", 4, ld_c_lw },     { "c.ld", 8, ld_c_ld },
	{ "c.fld", 8, ld_c_fld },     { "c.lwsp", 4, ld_c_lwsp }, { "c.ldsp", 8, ld_c_ldsp },
	{ "c.fldsp", 8, ld_c_fldsp },
};

static const struct store_case stores[] = {
	{ "sh", 2, st_sh },         { "sw", 4, st_sw },           { "sd", 8, st_sd },
	{ "fsw", 4, st_fsw },       { "fsd", 8, st_fsd },         { "c.sw", 4, st_c_sw },
	{ "c.sd", 8, st_c_sd },     { "c.fsd", 8, st_c_fsd },     { "c.swsp", 4, st_c_swsp },
	{ "c.sdsp", 8, st_c_sdsp }, { "c.fsdsp", 8, st_c_fsdsp },
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static uint8_t pattern_byte(unsigned i)
{
	return (uint8_t)(i * 0x3b + 0x81);
}

/*
 * A counter of the task's alignment faults (the kernel counts each access
 * it emulates as PERF_COUNT_SW_ALIGNMENT_FAULTS): the first fields of
 * struct perf_event_attr, size PERF_ATTR_SIZE_VER0 (include/uapi/linux/
 * perf_event.h); enabled at once, counting this task on any CPU.
 */
struct perf_attr_v0 {
	uint32_t type, size;
	uint64_t config, sample_period, sample_type, read_format, flags;
	uint32_t wakeup_events, bp_type;
	uint64_t bp_addr;
};

static long alignment_counter(void)
{
	static struct perf_attr_v0 attr = {
		.type = 1,   /* PERF_TYPE_SOFTWARE */
		.size = 64,  /* PERF_ATTR_SIZE_VER0 */
		.config = 7, /* PERF_COUNT_SW_ALIGNMENT_FAULTS */
	};
	register long a0 asm("a0") = (long)&attr;
	register long a1 asm("a1") = 0;  /* this task */
	register long a2 asm("a2") = -1; /* any CPU */
	register long a3 asm("a3") = -1; /* no group */
	register long a4 asm("a4") = 0;
	register long a7 asm("a7") = 241; /* perf_event_open */

	asm volatile("ecall" : "+r"(a0) : "r"(a1), "r"(a2), "r"(a3), "r"(a4), "r"(a7) : "memory");
	return a0;
}

int rv_main(void)
{
	long counter = alignment_counter();

	for (unsigned i = 0; i < sizeof(pat); i++)
		pat[i] = pattern_byte(i);
	/* 16 pattern bytes either side of the page boundary. */
	for (unsigned i = 0; i < 32; i++)
		pages[4096 - 16 + i] = pattern_byte(i);

	for (unsigned c = 0; c < N(loads); c++) {
		for (unsigned off = 1; off < loads[c].width; off++)
			report_load(loads[c].name, off, loads[c].fn(pat + 8 + off));
		/* Straddling the page boundary, one byte before it is reached. */
		unsigned off = loads[c].width - 1;
		line_start('P', loads[c].name, off);
		put_hex(loads[c].fn(pages + 4096 - off), 16);
		put_str("\n");
	}
	for (unsigned c = 0; c < N(stores); c++) {
		for (unsigned off = 1; off < stores[c].width; off++) {
			for (unsigned i = 0; i < sizeof(win); i++)
				win[i] = 0;
			stores[c].fn(win + 8 + off, STORE_VALUE(off));
			report_bytes('S', stores[c].name, off, win, sizeof(win));
		}
		unsigned off = stores[c].width - 1;
		for (unsigned i = 0; i < 24; i++)
			pages[4096 - 8 + i] = 0;
		stores[c].fn(pages + 4096 - off, STORE_VALUE(off));
		report_bytes('P', stores[c].name, off, pages + 4096 - 8, 24);
	}
	put_str("misalign: done ");
	put_dec(lines);
	put_str("\n");
	/* Not part of the comparison: how many accesses the kernel emulated. */
	uint64_t faults = 0;
	if (counter >= 0 && sys_call3(63 /* read */, counter, (long)&faults, 8) == 8) {
		put_str("alignment-faults ");
		put_dec(faults);
	} else {
		put_str("alignment-faults unknown (perf_event_open: ");
		put_dec((unsigned long)-counter);
		put_str(")");
	}
	put_str("\n");
	return sys_call3(64 /* write */, 1, (long)out, (long)out_len) == (long)out_len ? 0 : 1;
}

/* The kernel enters with sp at argc; gp is set for the linker's relaxations. */
asm(".section .text._start\n"
    ".globl _start\n"
    "_start:\n"
    ".option push\n"
    ".option norelax\n"
    "la gp, __global_pointer$\n"
    ".option pop\n"
    "call rv_main\n"
    "li a7, 94\n" /* exit_group */
    "ecall\n");
