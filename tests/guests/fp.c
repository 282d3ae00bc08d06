// SPDX-License-Identifier: MIT
//
// F and D extensions (unprivileged spec, chapters "F" and "D" and the
// privileged spec's mstatus.FS): arithmetic, square root, fused
// multiply-add, min/max (NaN and signed-zero rules), comparisons, fclass,
// conversions with saturation (table "Domains of float-to-integer
// conversions"), sign injection, moves, every static rounding mode and
// the dynamic one through frm, the reserved rounding modes (illegal),
// fflags after every operation (cleared before each), NaN boxing (a
// single-precision operand whose upper 32 bits are not all ones is the
// canonical NaN), canonical NaN results, and FS tracking: an FP write sets
// FS = Dirty (and SD), and with FS = Off every FP instruction and fcsr
// access raises illegal instruction.
//
// Inputs are raw bit patterns moved with fmv.*.x so the compiler never
// converts them. Each line is `fp <op>.<idx> <result bits> <fflags>`;
// single-precision results are printed as the whole 64-bit register so
// their NaN boxing is part of the signature.
#include "rt.h"

#define BOX(x) (0xffffffff00000000UL | (u32)(x))

static const u64 svals[] = {
	BOX(0x00000000), /* +0 */
	BOX(0x80000000), /* -0 */
	BOX(0x3f800000), /* 1 */
	BOX(0xbf800000), /* -1 */
	BOX(0x3fc00000), /* 1.5 */
	BOX(0x40400000), /* 3 */
	BOX(0x7f7fffff), /* max normal */
	BOX(0x00800000), /* min normal */
	BOX(0x00000001), /* min subnormal */
	BOX(0x7f800000), /* +inf */
	BOX(0xff800000), /* -inf */
	BOX(0x7fc00000), /* canonical qNaN */
	BOX(0x7f800001), /* sNaN */
	BOX(0xffc12345), /* negative qNaN with payload */
	BOX(0x4f000000), /* 2^31 */
	BOX(0xcf000001), /* just below -2^31 */
};
#define NS (sizeof(svals) / sizeof(svals[0]))

static const u64 dvals[] = {
	0x0000000000000000, /* +0 */
	0x8000000000000000, /* -0 */
	0x3ff0000000000000, /* 1 */
	0xbff0000000000000, /* -1 */
	0x3ff8000000000000, /* 1.5 */
	0x4008000000000000, /* 3 */
	0x7fefffffffffffff, /* max normal */
	0x0010000000000000, /* min normal */
	0x0000000000000001, /* min subnormal */
	0x7ff0000000000000, /* +inf */
	0xfff0000000000000, /* -inf */
	0x7ff8000000000000, /* canonical qNaN */
	0x7ff0000000000001, /* sNaN */
	0x41dfffffffc00000, /* 2^31 - 1 */
	0xc3e0000000000000, /* -2^63 */
	0x43f0000000000000, /* 2^64 */
};
#define ND (sizeof(dvals) / sizeof(dvals[0]))

struct fp_result {
	u64 f;     /* ft3 after the operation */
	u64 x;     /* t0 after the operation */
	u64 flags; /* fflags accrued by the operation alone */
};

// Runs one instruction template reading ft0/ft1/ft2 (loaded with a, b, c)
// and writing ft3 or t0, with fflags cleared just before it.
#define FP_RUN(tmpl, a, b, c)                                                \
	({                                                                   \
		struct fp_result __r;                                        \
		__asm__ volatile("fmv.d.x ft0, %3\n\t"                       \
				 "fmv.d.x ft1, %4\n\t"                       \
				 "fmv.d.x ft2, %5\n\t"                       \
				 "fmv.d.x ft3, zero\n\t"                     \
				 "li t0, 0\n\t"                              \
				 "fsflags zero\n\t" tmpl "\n\t"              \
				 "frflags %2\n\t"                            \
				 "fmv.x.d %0, ft3\n\t"                       \
				 "mv %1, t0"                                 \
				 : "=r"(__r.f), "=r"(__r.x), "=r"(__r.flags) \
				 : "r"(a), "r"(b), "r"(c)                    \
				 : "t0", "ft0", "ft1", "ft2", "ft3");        \
		__r;                                                         \
	})

static void fp_sig(const char *name, u64 idx, u64 value, u64 flags)
{
	rt_puts(RT_GUEST_NAME " ");
	rt_puts(name);
	rt_putc('.');
	rt_put_hex(idx, 4);
	rt_putc(' ');
	rt_put_hex(value, 16);
	rt_putc(' ');
	rt_put_hex(flags, 2);
	rt_putc('\n');
}

#define F_DEST 0
#define X_DEST 1

#define SWEEP2(tmpl, vals, n, dest)                                               \
	for (u64 i = 0; i < (n); i++)                                             \
		for (u64 j = 0; j < (n); j++) {                                   \
			struct fp_result r = FP_RUN(tmpl, vals[i], vals[j], 0UL); \
			fp_sig(tmpl, i *(n) + j, (dest) ? r.x : r.f, r.flags);    \
		}

#define SWEEP1(tmpl, vals, n, dest)                                   \
	for (u64 i = 0; i < (n); i++) {                               \
		struct fp_result r = FP_RUN(tmpl, vals[i], 0UL, 0UL); \
		fp_sig(tmpl, i, (dest) ? r.x : r.f, r.flags);         \
	}

static void fp_single_arith(void)
{
	SWEEP2("fadd.s ft3, ft0, ft1", svals, NS, F_DEST);
	SWEEP2("fsub.s ft3, ft0, ft1", svals, NS, F_DEST);
	SWEEP2("fmul.s ft3, ft0, ft1", svals, NS, F_DEST);
	SWEEP2("fdiv.s ft3, ft0, ft1", svals, NS, F_DEST);
	SWEEP2("fmin.s ft3, ft0, ft1", svals, NS, F_DEST);
	SWEEP2("fmax.s ft3, ft0, ft1", svals, NS, F_DEST);
	SWEEP2("fsgnj.s ft3, ft0, ft1", svals, NS, F_DEST);
	SWEEP2("fsgnjn.s ft3, ft0, ft1", svals, NS, F_DEST);
	SWEEP2("fsgnjx.s ft3, ft0, ft1", svals, NS, F_DEST);
	SWEEP2("feq.s t0, ft0, ft1", svals, NS, X_DEST);
	SWEEP2("flt.s t0, ft0, ft1", svals, NS, X_DEST);
	SWEEP2("fle.s t0, ft0, ft1", svals, NS, X_DEST);
	SWEEP1("fsqrt.s ft3, ft0", svals, NS, F_DEST);
	SWEEP1("fclass.s t0, ft0", svals, NS, X_DEST);
	SWEEP1("fcvt.w.s t0, ft0, rtz", svals, NS, X_DEST);
	SWEEP1("fcvt.wu.s t0, ft0, rtz", svals, NS, X_DEST);
	SWEEP1("fcvt.l.s t0, ft0, rtz", svals, NS, X_DEST);
	SWEEP1("fcvt.lu.s t0, ft0, rtz", svals, NS, X_DEST);
	SWEEP1("fcvt.d.s ft3, ft0", svals, NS, F_DEST);
	SWEEP1("fmv.x.w t0, ft0", svals, NS, X_DEST);
}

static void fp_double_arith(void)
{
	SWEEP2("fadd.d ft3, ft0, ft1", dvals, ND, F_DEST);
	SWEEP2("fsub.d ft3, ft0, ft1", dvals, ND, F_DEST);
	SWEEP2("fmul.d ft3, ft0, ft1", dvals, ND, F_DEST);
	SWEEP2("fdiv.d ft3, ft0, ft1", dvals, ND, F_DEST);
	SWEEP2("fmin.d ft3, ft0, ft1", dvals, ND, F_DEST);
	SWEEP2("fmax.d ft3, ft0, ft1", dvals, ND, F_DEST);
	SWEEP2("fsgnj.d ft3, ft0, ft1", dvals, ND, F_DEST);
	SWEEP2("fsgnjn.d ft3, ft0, ft1", dvals, ND, F_DEST);
	SWEEP2("fsgnjx.d ft3, ft0, ft1", dvals, ND, F_DEST);
	SWEEP2("feq.d t0, ft0, ft1", dvals, ND, X_DEST);
	SWEEP2("flt.d t0, ft0, ft1", dvals, ND, X_DEST);
	SWEEP2("fle.d t0, ft0, ft1", dvals, ND, X_DEST);
	SWEEP1("fsqrt.d ft3, ft0", dvals, ND, F_DEST);
	SWEEP1("fclass.d t0, ft0", dvals, ND, X_DEST);
	SWEEP1("fcvt.w.d t0, ft0, rtz", dvals, ND, X_DEST);
	SWEEP1("fcvt.wu.d t0, ft0, rtz", dvals, ND, X_DEST);
	SWEEP1("fcvt.l.d t0, ft0, rtz", dvals, ND, X_DEST);
	SWEEP1("fcvt.lu.d t0, ft0, rtz", dvals, ND, X_DEST);
	SWEEP1("fcvt.s.d ft3, ft0", dvals, ND, F_DEST);
	SWEEP1("fmv.x.d t0, ft0", dvals, ND, X_DEST);
}

// Fused multiply-add over a few triples, including inf*0 + qNaN (the spec
// requires NV for inf*0 even when the addend is a quiet NaN).
static void fp_fma(void)
{
	static const u64 s3[][3] = {
		{ BOX(0x3f800000), BOX(0x40400000), BOX(0x3fc00000) },
		{ BOX(0x7f800000), BOX(0x00000000), BOX(0x7fc00000) },
		{ BOX(0x7f7fffff), BOX(0x40000000), BOX(0xff7fffff) },
		{ BOX(0x3f800001), BOX(0x3f800001), BOX(0xbf800002) },
		{ BOX(0x00000001), BOX(0x3f000000), BOX(0x80000000) },
		{ BOX(0x7f800001), BOX(0x3f800000), BOX(0x3f800000) },
	};
	static const u64 d3[][3] = {
		{ 0x3ff0000000000000, 0x4008000000000000, 0x3ff8000000000000 },
		{ 0x7ff0000000000000, 0x0000000000000000, 0x7ff8000000000000 },
		{ 0x7fefffffffffffff, 0x4000000000000000, 0xffefffffffffffff },
		{ 0x3ff0000000000001, 0x3ff0000000000001, 0xbff0000000000002 },
		{ 0x0000000000000001, 0x3fe0000000000000, 0x8000000000000000 },
	};

#define FMA_S(tmpl)                                                              \
	for (u64 i = 0; i < sizeof(s3) / sizeof(s3[0]); i++) {                   \
		struct fp_result r = FP_RUN(tmpl, s3[i][0], s3[i][1], s3[i][2]); \
		fp_sig(tmpl, i, r.f, r.flags);                                   \
	}
#define FMA_D(tmpl)                                                              \
	for (u64 i = 0; i < sizeof(d3) / sizeof(d3[0]); i++) {                   \
		struct fp_result r = FP_RUN(tmpl, d3[i][0], d3[i][1], d3[i][2]); \
		fp_sig(tmpl, i, r.f, r.flags);                                   \
	}
	FMA_S("fmadd.s ft3, ft0, ft1, ft2");
	FMA_S("fmsub.s ft3, ft0, ft1, ft2");
	FMA_S("fnmadd.s ft3, ft0, ft1, ft2");
	FMA_S("fnmsub.s ft3, ft0, ft1, ft2");
	FMA_D("fmadd.d ft3, ft0, ft1, ft2");
	FMA_D("fmsub.d ft3, ft0, ft1, ft2");
	FMA_D("fnmadd.d ft3, ft0, ft1, ft2");
	FMA_D("fnmsub.d ft3, ft0, ft1, ft2");
	FMA_D("fmadd.d ft3, ft0, ft1, ft2, rdn");

	struct fp_result r = FP_RUN("fmadd.s ft3, ft0, ft1, ft2", s3[1][0], s3[1][1], s3[1][2]);
	rt_check("check.fmadd.inf0.nan", r.f, BOX(0x7fc00000));
	rt_check("check.fmadd.inf0.nv", r.flags, 0x10);
}

// Every static rounding mode and the dynamic one with each frm value.
static void fp_rounding(void)
{
	static const u64 cvt_in[] = {
		0x4004000000000000, /* 2.5 */
		0xc004000000000000, /* -2.5 */
		0x3fe0000000000000, /* 0.5 */
		0x3ff8000000000000, /* 1.5 */
		0xbfe8000000000000, /* -0.75 */
	};
	static const u64 add_in[][2] = {
		{ BOX(0x3f800000), BOX(0x33800000) }, /* 1 + 2^-24: tie */
		{ BOX(0x3f800000), BOX(0x33800001) }, /* just above tie */
		{ BOX(0xbf800000), BOX(0xb3800000) }, /* negative tie */
		{ BOX(0x3f800001), BOX(0x33800000) }, /* tie to odd */
	};

#define RM_SWEEP(rm)                                                                               \
	do {                                                                                       \
		for (u64 i = 0; i < 5; i++) {                                                      \
			struct fp_result r = FP_RUN("fcvt.w.d t0, ft0, " rm, cvt_in[i], 0UL, 0UL); \
			fp_sig("fcvt.w.d." rm, i, r.x, r.flags);                                   \
			r = FP_RUN("fcvt.s.d ft3, ft0, " rm, cvt_in[i] + 1, 0UL, 0UL);             \
			fp_sig("fcvt.s.d." rm, i, r.f, r.flags);                                   \
		}                                                                                  \
		for (u64 i = 0; i < 4; i++) {                                                      \
			struct fp_result r = FP_RUN("fadd.s ft3, ft0, ft1, " rm, add_in[i][0],     \
						    add_in[i][1], 0UL);                            \
			fp_sig("fadd.s." rm, i, r.f, r.flags);                                     \
		}                                                                                  \
	} while (0)

	RM_SWEEP("rne");
	RM_SWEEP("rtz");
	RM_SWEEP("rdn");
	RM_SWEEP("rup");
	RM_SWEEP("rmm");
	for (u64 frm = 0; frm < 5; frm++) {
		csr_write(frm, frm);
		sig_idx("frm", frm, csr_read(frm));
		RM_SWEEP("dyn");
	}
	csr_write(frm, 0);

	struct fp_result r = FP_RUN("fcvt.w.d t0, ft0, rne", cvt_in[0], 0UL, 0UL);
	rt_check("check.rne.2.5", r.x, 2);
	r = FP_RUN("fcvt.w.d t0, ft0, rmm", cvt_in[0], 0UL, 0UL);
	rt_check("check.rmm.2.5", r.x, 3);
	r = FP_RUN("fcvt.w.d t0, ft0, rdn", cvt_in[1], 0UL, 0UL);
	rt_check("check.rdn.-2.5", r.x, (u64)-3);
	rt_check("check.rdn.-2.5.nx", r.flags, 0x01);

	// Reserved rm values 5 and 6, statically or through frm, are illegal.
	rt_trap_arm();
	__asm__ volatile(".insn r 0x53, 5, 0, ft3, ft0, ft1" ::: "ft3");
	sig_trap("rm5.static");
	rt_trap_arm();
	__asm__ volatile(".insn r 0x53, 6, 0, ft3, ft0, ft1" ::: "ft3");
	sig_trap("rm6.static");
	csr_write(frm, 5);
	rt_trap_arm();
	__asm__ volatile("fadd.s ft3, ft0, ft1, dyn" ::: "ft3");
	sig_trap("frm5.dyn");
	csr_write(frm, 7);
	rt_trap_arm();
	__asm__ volatile("fadd.s ft3, ft0, ft1, dyn" ::: "ft3");
	sig_trap("frm7.dyn");
	rt_check("check.frm7.illegal", rt_trap.cause, CAUSE_ILLEGAL);
	csr_write(frm, 0);
}

// NaN boxing (unprivileged spec, "NaN Boxing of Narrower Values").
static void fp_nan_boxing(void)
{
	const u64 unboxed_one = 0x000000003f800000UL;
	struct fp_result r;

	r = FP_RUN("fadd.s ft3, ft0, ft1", unboxed_one, BOX(0x3f800000), 0UL);
	rt_check("box.fadd.unboxed", r.f, BOX(0x7fc00000));
	sig("box.fadd.unboxed.flags", r.flags);
	r = FP_RUN("fsgnj.s ft3, ft0, ft1", unboxed_one, BOX(0x3f800000), 0UL);
	rt_check("box.fsgnj.unboxed", r.f, BOX(0x7fc00000));
	// FSGNJN with an unboxed rs2: its sign is that of the canonical NaN (+).
	r = FP_RUN("fsgnjn.s ft3, ft1, ft0", unboxed_one, BOX(0x3f800000), 0UL);
	rt_check("box.fsgnjn.unboxed.rs2", r.f, BOX(0xbf800000));
	r = FP_RUN("fclass.s t0, ft0", unboxed_one, 0UL, 0UL);
	rt_check("box.fclass.unboxed", r.x, 1 << 9);
	r = FP_RUN("fcvt.d.s ft3, ft0", 0xffffffff7f800000UL - 0xffffffff00000000UL, 0UL, 0UL);
	rt_check("box.fcvt.d.s.unboxed", r.f, 0x7ff8000000000000UL);
	// FMV.X.W and FSW move the low 32 bits without checking the box.
	r = FP_RUN("fmv.x.w t0, ft0", 0x12345678bf800000UL, 0UL, 0UL);
	rt_check("box.fmv.x.w.raw", r.x, 0xffffffffbf800000UL);
	// FMV.W.X and FLW box their result.
	r = FP_RUN("fmv.w.x ft3, t0", 0UL, 0UL, 0UL);
	rt_check("box.fmv.w.x", r.f, BOX(0));
	{
		static u32 word = 0x40490fdb;
		u64 bits;

		__asm__ volatile("flw ft3, 0(%1)\n\tfmv.x.d %0, ft3"
				 : "=r"(bits)
				 : "r"(&word)
				 : "ft3");
		rt_check("box.flw", bits, BOX(0x40490fdb));
	}
	// Double results of single ops: a canonical NaN is 0x7fc00000 boxed.
	r = FP_RUN("fsqrt.s ft3, ft0", BOX(0xbf800000), 0UL, 0UL);
	rt_check("canon.fsqrt.s.neg", r.f, BOX(0x7fc00000));
	rt_check("canon.fsqrt.s.neg.nv", r.flags, 0x10);
	r = FP_RUN("fadd.d ft3, ft0, ft1", 0x7ff0000000000001UL, 0x3ff0000000000000UL, 0UL);
	rt_check("canon.fadd.d.snan", r.f, 0x7ff8000000000000UL);
	rt_check("canon.fadd.d.snan.nv", r.flags, 0x10);
	r = FP_RUN("fdiv.d ft3, ft0, ft1", 0x3ff0000000000000UL, 0UL, 0UL);
	rt_check("fdiv.d.byzero", r.f, 0x7ff0000000000000UL);
	rt_check("fdiv.d.byzero.dz", r.flags, 0x08);
	r = FP_RUN("fmin.d ft3, ft0, ft1", 0x8000000000000000UL, 0UL, 0UL);
	rt_check("fmin.d.-0.+0", r.f, 0x8000000000000000UL);
	r = FP_RUN("fmax.s ft3, ft0, ft1", BOX(0x80000000), BOX(0), 0UL);
	rt_check("fmax.s.-0.+0", r.f, BOX(0));
	r = FP_RUN("fmin.s ft3, ft0, ft1", BOX(0x7f800001), BOX(0x3f800000), 0UL);
	rt_check("fmin.s.snan.1", r.f, BOX(0x3f800000));
	rt_check("fmin.s.snan.1.nv", r.flags, 0x10);
	r = FP_RUN("fmax.d ft3, ft0, ft1", 0x7ff8000000000000UL, 0x7ff8000000000000UL, 0UL);
	rt_check("fmax.d.qnan.qnan", r.f, 0x7ff8000000000000UL);
	rt_check("fmax.d.qnan.qnan.flags", r.flags, 0);
	r = FP_RUN("fcvt.w.s t0, ft0, rtz", BOX(0x7fc00000), 0UL, 0UL);
	rt_check("fcvt.w.s.nan", r.x, 0x7fffffff);
	r = FP_RUN("fcvt.wu.d t0, ft0, rtz", 0xbff0000000000000UL, 0UL, 0UL);
	rt_check("fcvt.wu.d.-1", r.x, 0);
	rt_check("fcvt.wu.d.-1.nv", r.flags, 0x10);
	r = FP_RUN("fcvt.wu.d t0, ft0, rtz", 0xbfe8000000000000UL, 0UL, 0UL);
	rt_check("fcvt.wu.d.-0.75", r.x, 0);
	rt_check("fcvt.wu.d.-0.75.nx", r.flags, 0x01);
	r = FP_RUN("fcvt.l.d t0, ft0, rtz", 0xfff0000000000000UL, 0UL, 0UL);
	rt_check("fcvt.l.d.-inf", r.x, 0x8000000000000000UL);
	r = FP_RUN("fcvt.wu.s t0, ft0, rtz", BOX(0x4f800000), 0UL, 0UL);
	rt_check("fcvt.wu.s.2^32", r.x, ~0UL);
}

static void fp_int_to_float(void)
{
	static const u64 ivals[] = {
		0,
		1,
		~0UL,
		0x8000000000000000UL,
		0x7fffffffffffffffUL,
		0x80000000UL,
		0xffffffffUL,
		0x1000001UL,
		0x20000000000001UL,
	};
	const u64 n = sizeof(ivals) / sizeof(ivals[0]);

	for (u64 i = 0; i < n; i++) {
		struct fp_result r;

#define I2F(tmpl)                                                \
	do {                                                     \
		u64 __f, __fl;                                   \
		__asm__ volatile("fsflags zero\n\t" tmpl "\n\t"  \
				 "frflags %1\n\tfmv.x.d %0, ft3" \
				 : "=r"(__f), "=r"(__fl)         \
				 : "r"(ivals[i])                 \
				 : "ft3");                       \
		fp_sig(tmpl, i, __f, __fl);                      \
	} while (0)
		I2F("fcvt.s.w ft3, %2");
		I2F("fcvt.s.wu ft3, %2");
		I2F("fcvt.s.l ft3, %2");
		I2F("fcvt.s.lu ft3, %2");
		I2F("fcvt.d.w ft3, %2");
		I2F("fcvt.d.wu ft3, %2");
		I2F("fcvt.d.l ft3, %2");
		I2F("fcvt.d.lu ft3, %2");
		I2F("fcvt.s.l ft3, %2, rup");
		I2F("fcvt.d.lu ft3, %2, rtz");
		I2F("fmv.w.x ft3, %2");
		I2F("fmv.d.x ft3, %2");
		(void)r;
	}
}

// Loads and stores move raw bits (no canonicalization, no flags).
static void fp_load_store(void)
{
	static u64 m[2] = { 0x7ff0000000000001UL, 0x12345678ff800001UL };
	u64 a, b, fl;

	__asm__ volatile("fsflags zero\n\t"
			 "fld ft3, 0(%3)\n\tfsd ft3, 8(%3)\n\t"
			 "flw ft4, 12(%3)\n\tfsw ft4, 0(%3)\n\t"
			 "frflags %2\n\t"
			 "ld %0, 0(%3)\n\tld %1, 8(%3)"
			 : "=r"(a), "=r"(b), "=r"(fl)
			 : "r"(m)
			 : "ft3", "ft4", "memory");
	rt_check("fsd.raw", b, 0x7ff0000000000001UL);
	rt_check("fsw.raw", a, 0x7ff000007ff00000UL);
	rt_check("fld.flw.flags", fl, 0);
}

// mstatus.FS (privileged spec, "Extension Context Status in mstatus").
static void fp_fs_tracking(void)
{
	u64 st;

	csr_clear(mstatus, MSTATUS_FS);
	csr_set(mstatus, 1UL << 13); /* Initial */
	st = csr_read(mstatus);
	rt_check("fs.initial", (st & MSTATUS_FS) >> 13, 1);
	rt_check("fs.initial.sd", st >> 63, 0);
	__asm__ volatile("fmv.d.x ft5, zero" ::: "ft5");
	st = csr_read(mstatus);
	rt_check("fs.after.fmv", (st & MSTATUS_FS) >> 13, 3);
	rt_check("fs.after.fmv.sd", st >> 63, 1);

	csr_clear(mstatus, MSTATUS_FS);
	csr_set(mstatus, 2UL << 13); /* Clean */
	__asm__ volatile("csrw fflags, zero");
	rt_check("fs.after.fflags.write", (csr_read(mstatus) & MSTATUS_FS) >> 13, 3);

	csr_clear(mstatus, MSTATUS_FS); /* Off */
	rt_check("fs.off.sd", csr_read(mstatus) >> 63, 0);
	rt_trap_arm();
	__asm__ volatile("fadd.d ft5, ft5, ft5" ::: "ft5");
	sig_trap("fs.off.fadd");
	rt_check("check.fs.off.fadd", rt_trap.cause, CAUSE_ILLEGAL);
	rt_trap_arm();
	__asm__ volatile("fld ft5, 0(sp)" ::: "ft5");
	sig_trap("fs.off.fld");
	rt_trap_arm();
	__asm__ volatile("csrr t0, fcsr" ::: "t0");
	sig_trap("fs.off.fcsr");
	rt_trap_arm();
	__asm__ volatile("fmv.x.d t0, ft5" ::: "t0");
	sig_trap("fs.off.fmv.x.d");
	rt_check("fs.off.unchanged", (csr_read(mstatus) & MSTATUS_FS) >> 13, 0);
	csr_set(mstatus, 1UL << 13);
}

static void fp_fcsr(void)
{
	csr_write(fcsr, 0xff);
	rt_check("fcsr.write.ff", csr_read(fcsr), 0xff);
	rt_check("fcsr.frm", csr_read(frm), 7);
	rt_check("fcsr.fflags", csr_read(fflags), 0x1f);
	csr_write(fcsr, ~0UL);
	rt_check("fcsr.write.ones", csr_read(fcsr), 0xff);
	csr_write(fflags, 0);
	rt_check("fcsr.fflags.cleared", csr_read(fcsr), 0xe0);
	csr_write(fcsr, 0);
	// Flags accrue: two ops raise NX then DZ without clearing between.
	__asm__ volatile("fsflags zero\n\t"
			 "fmv.d.x ft0, %0\n\tfmv.d.x ft1, %1\n\t"
			 "fdiv.d ft2, ft0, ft1\n\t"
			 "fmv.d.x ft1, zero\n\t"
			 "fdiv.d ft2, ft0, ft1" ::"r"(0x3ff0000000000000UL),
			 "r"(0x4008000000000000UL)
			 : "ft0", "ft1", "ft2");
	rt_check("fflags.accrue", csr_read(fflags), 0x09);
	csr_write(fcsr, 0);
}

int main(void)
{
	fp_single_arith();
	fp_double_arith();
	fp_fma();
	fp_rounding();
	fp_nan_boxing();
	fp_int_to_float();
	fp_load_store();
	fp_fcsr();
	fp_fs_tracking();
	return 0;
}
