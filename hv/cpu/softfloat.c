// SPDX-License-Identifier: MIT
/*
 * IEEE 754 binary32/binary64 arithmetic in software with RISC-V F/D
 * semantics (unprivileged ISA manual, chapters "F" and "D": canonical NaN,
 * tininess after rounding, fmin/fmax as minimumNumber/maximumNumber, the
 * fcvt saturation table, NV for inf*0 in fma even with a quiet-NaN addend).
 *
 * Representation. Both formats go through one set of generic routines that
 * take a struct sf_fmt (field widths, canonical NaN) and work on the bit
 * pattern held in a uint64_t. A finite nonzero operand is unpacked to a
 * sign, an unbiased exponent e and a 64-bit significand m with bit 62 set,
 * meaning |x| = m * 2^(e-62); subnormals are normalised on unpack, so the
 * arithmetic never sees them. Intermediate results that need more bits
 * (products, fma sums, quotients, roots) are 128-bit significands with the
 * leading one at bit 126, |x| = m * 2^(e-126). Right shifts "jam" the bits
 * they drop into bit 0 (sticky bit). Every place that jams keeps at least
 * eight bits between bit 0 and the lowest bit the final rounding looks at,
 * so the jammed value lies in the same rounding interval as the exact one.
 * Division uses one exact 128/64-bit integer division; square root uses an
 * integer Newton iteration that ends on the exact floor root; in both the
 * remainder supplies the sticky bit, so all results are correctly rounded.
 *
 * Rounding. sf_round_pack() is the single place that rounds: it rounds the
 * 63-bit significand to 24 or 53 bits (fewer for subnormal results) by the
 * rounding mode, detects tininess after rounding (would the result, rounded
 * to full precision with an unbounded exponent, be below 2^emin?), raises
 * UF only when the tiny result is also inexact, and produces the overflow
 * result of the rounding mode (infinity or the largest finite number).
 *
 * Trust. Operands are arbitrary guest bit patterns; every pattern is
 * handled. The rounding mode is trusted: the caller has already resolved
 * DYN to frm and raised illegal-instruction for the reserved encodings 5/6,
 * so rm is 0..4 (asserted).
 */
#include "hv/cpu/softfloat.h"

#include <assert.h>
#include <stdbool.h>

typedef unsigned __int128 u128;

/*
 * The generic routines below are forced inline into the per-format entry
 * points so that the format parameters become constants; this halves the
 * cost of the arithmetic operations.
 */
#define SF_INLINE static inline __attribute__((always_inline))

struct sf_fmt {
	int frac_bits; /* stored fraction bits: 23 or 52 */
	int exp_bits;  /* exponent field bits: 8 or 11 */
	uint64_t canon_nan;
};

static const struct sf_fmt sf_f32 = { 23, 8, SF_F32_CANON_NAN };
static const struct sf_fmt sf_f64 = { 52, 11, SF_F64_CANON_NAN };

enum sf_kind { SF_K_ZERO, SF_K_FINITE, SF_K_INF, SF_K_QNAN, SF_K_SNAN };

struct sf_num {
	enum sf_kind kind;
	bool sign;
	int exp;      /* finite only: |x| = sig * 2^(exp - 62) */
	uint64_t sig; /* finite only: bit 62 set, bit 63 clear */
};

static inline int sf_bias(const struct sf_fmt *f)
{
	return (1 << (f->exp_bits - 1)) - 1;
}

static inline uint64_t sf_sign_bit(const struct sf_fmt *f)
{
	return 1ull << (f->frac_bits + f->exp_bits);
}

static inline uint64_t sf_inf(const struct sf_fmt *f, bool sign)
{
	uint64_t inf = ((1ull << f->exp_bits) - 1) << f->frac_bits;

	return sign ? inf | sf_sign_bit(f) : inf;
}

static inline uint64_t sf_zero(const struct sf_fmt *f, bool sign)
{
	return sign ? sf_sign_bit(f) : 0;
}

/* An invalid operation (IEEE 754 7.2): NV and the canonical NaN. */
SF_INLINE uint64_t sf_invalid(const struct sf_fmt *f, uint32_t *flags)
{
	*flags |= SF_NV;
	return f->canon_nan;
}

static inline bool sf_is_nan(enum sf_kind k)
{
	return k == SF_K_QNAN || k == SF_K_SNAN;
}

static inline int sf_clz64(uint64_t v)
{
	return __builtin_clzll(v);
}

static int sf_clz128(u128 v)
{
	uint64_t hi = (uint64_t)(v >> 64);

	return hi ? sf_clz64(hi) : 64 + sf_clz64((uint64_t)v);
}

/* Shift right, ORing every bit shifted out into bit 0 (sticky). */
static u128 sf_shift_right_jam128(u128 v, int n)
{
	if (n == 0)
		return v;
	if (n >= 128)
		return v != 0;
	return (v >> n) | ((v << (128 - n)) != 0);
}

SF_INLINE struct sf_num sf_unpack(const struct sf_fmt *f, uint64_t bits)
{
	struct sf_num n = { 0 };
	uint64_t frac = bits & ((1ull << f->frac_bits) - 1);
	uint64_t field = (bits >> f->frac_bits) & ((1ull << f->exp_bits) - 1);

	n.sign = (bits & sf_sign_bit(f)) != 0;
	if (field == (1ull << f->exp_bits) - 1) {
		if (frac == 0)
			n.kind = SF_K_INF;
		else if (frac >> (f->frac_bits - 1))
			n.kind = SF_K_QNAN;
		else
			n.kind = SF_K_SNAN;
		return n;
	}
	if (field == 0) {
		int lz;

		if (frac == 0) {
			n.kind = SF_K_ZERO;
			return n;
		}
		/* Subnormal: scale of the smallest normal, normalised. */
		n.sig = frac << (62 - f->frac_bits);
		lz = sf_clz64(n.sig) - 1;
		n.sig <<= lz;
		n.exp = 1 - sf_bias(f) - lz;
	} else {
		n.sig = (frac | (1ull << f->frac_bits)) << (62 - f->frac_bits);
		n.exp = (int)field - sf_bias(f);
	}
	n.kind = SF_K_FINITE;
	return n;
}

/*
 * Whether rounding moves the magnitude up by one unit of the kept part:
 * rem is the discarded part and half the weight of half a unit, both in
 * the same scale.
 */
static bool sf_round_increments(int rm, bool sign, bool odd, uint64_t rem, uint64_t half)
{
	assert(rm >= SF_RNE && rm <= SF_RMM);
	if (rem == 0)
		return false;
	switch (rm) {
	case SF_RNE:
		return rem > half || (rem == half && odd);
	case SF_RMM:
		return rem >= half;
	case SF_RDN:
		return sign;
	case SF_RUP:
		return !sign;
	default: /* SF_RTZ */
		return false;
	}
}

/* IEEE 754 7.4: the overflow result depends on the rounding direction. */
static uint64_t sf_overflow(const struct sf_fmt *f, bool sign, int rm, uint32_t *flags)
{
	bool to_inf = rm == SF_RNE || rm == SF_RMM || (rm == SF_RDN && sign) ||
		      (rm == SF_RUP && !sign);

	*flags |= SF_OF | SF_NX;
	return to_inf ? sf_inf(f, sign) : sf_inf(f, sign) - 1;
}

/*
 * Round sign * sig * 2^(exp-62) (sig has bit 62 set; bit 0 may be a
 * sticky bit) to the format and pack it.
 */
SF_INLINE uint64_t sf_round_pack(const struct sf_fmt *f, bool sign, int exp, uint64_t sig, int rm,
				 uint32_t *flags)
{
	const int prec = f->frac_bits + 1;
	const int emin = 1 - sf_bias(f);
	int drop = 63 - prec; /* bits of sig below the kept significand */
	bool tiny = false;
	uint64_t kept, rem, half, bits;

	if (exp < emin) {
		/*
		 * Tininess after rounding (F chapter, "Subnormal Arithmetic"):
		 * only a value in [2^(emin-1), 2^emin) can reach 2^emin when
		 * rounded to full precision, and it does exactly when its
		 * significand is all ones and the rounding increments it.
		 */
		tiny = true;
		if (exp == emin - 1) {
			kept = sig >> drop;
			rem = sig & ((1ull << drop) - 1);
			half = 1ull << (drop - 1);
			if (kept == (1ull << prec) - 1 &&
			    sf_round_increments(rm, sign, true, rem, half))
				tiny = false;
		}
		/* Subnormal result: fewer significand bits survive. */
		drop += emin - exp;
		exp = emin;
	}
	if (drop < 64) {
		kept = sig >> drop;
		rem = sig & ((1ull << drop) - 1);
		half = 1ull << (drop - 1);
	} else {
		/* All bits dropped; the value is below half a unit. */
		kept = 0;
		rem = 1;
		half = 2;
	}
	if (sf_round_increments(rm, sign, kept & 1, rem, half)) {
		kept++;
		if (kept == 1ull << prec) {
			kept >>= 1;
			exp++;
		}
	}
	if (exp > sf_bias(f))
		return sf_overflow(f, sign, rm, flags);
	if (rem) {
		*flags |= SF_NX;
		if (tiny)
			*flags |= SF_UF;
	}
	/*
	 * kept carries the hidden bit, so adding it to the field emin-1 yields
	 * the right exponent; a subnormal (field 0, no hidden bit) that
	 * rounded up to 2^emin carries into field 1 by the same addition.
	 */
	bits = ((uint64_t)(exp + sf_bias(f) - 1) << f->frac_bits) + kept;
	return sign ? bits | sf_sign_bit(f) : bits;
}

/*
 * Normalise and round sign * sig * 2^(exp-126) for any nonzero 128-bit
 * sig (bit 0 may be sticky).
 */
SF_INLINE uint64_t sf_round_pack128(const struct sf_fmt *f, bool sign, int exp, u128 sig, int rm,
				    uint32_t *flags)
{
	int lz = sf_clz128(sig);
	uint64_t sig64;

	if (lz == 0) {
		sig = sf_shift_right_jam128(sig, 1);
		exp++;
	} else {
		sig <<= lz - 1;
		exp -= lz - 1;
	}
	sig64 = (uint64_t)(sig >> 64) | ((uint64_t)sig != 0);
	return sf_round_pack(f, sign, exp, sig64, rm, flags);
}

/*
 * Sum of two finite nonzero values given as 128-bit significands with bit
 * 126 set. When the exponents differ by two or more, the smaller operand
 * is jammed, and the result still has its leading one at bit 125 or
 * above, far above the jammed bit; otherwise the alignment shift is exact
 * because the low bits of both significands are zero.
 */
SF_INLINE uint64_t sf_add_finite(const struct sf_fmt *f, bool sa, int ea, u128 ma, bool sb, int eb,
				 u128 mb, int rm, uint32_t *flags)
{
	u128 m;

	if (ea < eb || (ea == eb && ma < mb)) {
		bool ts = sa;
		int te = ea;
		u128 tm = ma;

		sa = sb;
		ea = eb;
		ma = mb;
		sb = ts;
		eb = te;
		mb = tm;
	}
	mb = sf_shift_right_jam128(mb, ea - eb);
	if (sa == sb) {
		m = ma + mb;
	} else {
		m = ma - mb;
		/* IEEE 754 6.3: an exact zero sum is +0 except when rounding
		 * down. */
		if (m == 0)
			return sf_zero(f, rm == SF_RDN);
	}
	return sf_round_pack128(f, sa, ea, m, rm, flags);
}

static uint64_t sf_nan_result(const struct sf_fmt *f, struct sf_num a, struct sf_num b,
			      uint32_t *flags)
{
	if (a.kind == SF_K_SNAN || b.kind == SF_K_SNAN)
		*flags |= SF_NV;
	return f->canon_nan;
}

SF_INLINE uint64_t sf_add(const struct sf_fmt *f, uint64_t a, uint64_t b, int rm, uint32_t *flags)
{
	struct sf_num x = sf_unpack(f, a), y = sf_unpack(f, b);

	if (sf_is_nan(x.kind) || sf_is_nan(y.kind))
		return sf_nan_result(f, x, y, flags);
	if (x.kind == SF_K_INF) {
		if (y.kind == SF_K_INF && x.sign != y.sign)
			return sf_invalid(f, flags);
		return a;
	}
	if (y.kind == SF_K_INF)
		return b;
	if (x.kind == SF_K_ZERO) {
		if (y.kind == SF_K_ZERO && x.sign != y.sign)
			return sf_zero(f, rm == SF_RDN);
		return b;
	}
	if (y.kind == SF_K_ZERO)
		return a;
	return sf_add_finite(f, x.sign, x.exp, (u128)x.sig << 64, y.sign, y.exp, (u128)y.sig << 64,
			     rm, flags);
}

SF_INLINE uint64_t sf_mul(const struct sf_fmt *f, uint64_t a, uint64_t b, int rm, uint32_t *flags)
{
	struct sf_num x = sf_unpack(f, a), y = sf_unpack(f, b);
	bool sign = x.sign != y.sign;

	if (sf_is_nan(x.kind) || sf_is_nan(y.kind))
		return sf_nan_result(f, x, y, flags);
	if (x.kind == SF_K_INF || y.kind == SF_K_INF) {
		if (x.kind == SF_K_ZERO || y.kind == SF_K_ZERO)
			return sf_invalid(f, flags);
		return sf_inf(f, sign);
	}
	if (x.kind == SF_K_ZERO || y.kind == SF_K_ZERO)
		return sf_zero(f, sign);
	/* (x.sig * y.sig) * 2^(x.exp + y.exp - 124), exact in 128 bits. */
	return sf_round_pack128(f, sign, x.exp + y.exp + 2, (u128)x.sig * y.sig, rm, flags);
}

SF_INLINE uint64_t sf_div(const struct sf_fmt *f, uint64_t a, uint64_t b, int rm, uint32_t *flags)
{
	struct sf_num x = sf_unpack(f, a), y = sf_unpack(f, b);
	bool sign = x.sign != y.sign;
	u128 num, q;

	if (sf_is_nan(x.kind) || sf_is_nan(y.kind))
		return sf_nan_result(f, x, y, flags);
	if (x.kind == SF_K_INF) {
		if (y.kind == SF_K_INF)
			return sf_invalid(f, flags);
		return sf_inf(f, sign);
	}
	if (y.kind == SF_K_INF)
		return sf_zero(f, sign);
	if (y.kind == SF_K_ZERO) {
		if (x.kind == SF_K_ZERO)
			return sf_invalid(f, flags);
		*flags |= SF_DZ;
		return sf_inf(f, sign);
	}
	if (x.kind == SF_K_ZERO)
		return sf_zero(f, sign);
	/*
	 * q = floor(x.sig * 2^64 / y.sig) has 64 or 65 significant bits, so
	 * the nonzero-remainder sticky bit sits far below the rounding point.
	 * |x/y| = q * 2^(x.exp - y.exp - 64).
	 */
	num = (u128)x.sig << 64;
	q = num / y.sig;
	q |= (num % y.sig) != 0;
	return sf_round_pack128(f, sign, x.exp - y.exp + 62, q, rm, flags);
}

/* floor(sqrt(v)) for v in [2^126, 2^128), by integer Newton iteration. */
static uint64_t sf_isqrt128(u128 v)
{
	/*
	 * With s = v / 2^126 in [1, 4), sqrt(v) = sqrt(s) * 2^63 and
	 * sqrt(s) <= (s + 1) / 2, so x starts above the root. From above, the
	 * integer Newton step decreases strictly until it reaches the floor
	 * of the root, after which it no longer decreases.
	 */
	u128 x = (v >> 64) + (1ull << 62);
	u128 y = (x + v / x) >> 1;

	while (y < x) {
		x = y;
		y = (x + v / x) >> 1;
	}
	return (uint64_t)x;
}

SF_INLINE uint64_t sf_sqrt(const struct sf_fmt *f, uint64_t a, int rm, uint32_t *flags)
{
	struct sf_num x = sf_unpack(f, a);
	int e;
	u128 v;
	uint64_t r;

	if (sf_is_nan(x.kind))
		return sf_nan_result(f, x, x, flags);
	if (x.kind == SF_K_ZERO)
		return a; /* IEEE 754 6.3: sqrt(-0) = -0 */
	if (x.sign)
		return sf_invalid(f, flags);
	if (x.kind == SF_K_INF)
		return a;
	/* x = sig * 2^e with e made even; v = sig * 2^64 in [2^126, 2^128). */
	e = x.exp - 62;
	v = (u128)x.sig << 64;
	if (e & 1) {
		v <<= 1;
		e--;
	}
	r = sf_isqrt128(v);
	/* sqrt(x) = sqrt(v) * 2^(e/2 - 32) */
	return sf_round_pack128(f, false, e / 2 - 32 + 126, (u128)r | (v != (u128)r * r), rm,
				flags);
}

SF_INLINE uint64_t sf_fma(const struct sf_fmt *f, uint64_t a, uint64_t b, uint64_t c, int rm,
			  uint32_t *flags)
{
	struct sf_num x = sf_unpack(f, a), y = sf_unpack(f, b), z = sf_unpack(f, c);
	bool sp = x.sign != y.sign;
	bool inf_times_zero = (x.kind == SF_K_INF && y.kind == SF_K_ZERO) ||
			      (x.kind == SF_K_ZERO && y.kind == SF_K_INF);
	int ep, lz;
	u128 mp;

	if (sf_is_nan(x.kind) || sf_is_nan(y.kind) || sf_is_nan(z.kind)) {
		/* F chapter: NV for inf*0 even when the addend is a qNaN. */
		if (inf_times_zero || z.kind == SF_K_SNAN)
			*flags |= SF_NV;
		return sf_nan_result(f, x, y, flags);
	}
	if (inf_times_zero)
		return sf_invalid(f, flags);
	if (x.kind == SF_K_INF || y.kind == SF_K_INF) {
		if (z.kind == SF_K_INF && z.sign != sp)
			return sf_invalid(f, flags);
		return sf_inf(f, sp);
	}
	if (z.kind == SF_K_INF)
		return c;
	if (x.kind == SF_K_ZERO || y.kind == SF_K_ZERO) {
		/* The exact product is a zero of sign sp; adding it changes
		 * only a zero addend of the opposite sign. */
		if (z.kind == SF_K_ZERO && z.sign != sp)
			return sf_zero(f, rm == SF_RDN);
		return c;
	}
	/* Exact product, leading one moved to bit 126 (it is at 124 or 125). */
	mp = (u128)x.sig * y.sig;
	ep = x.exp + y.exp + 2;
	if (z.kind == SF_K_ZERO)
		return sf_round_pack128(f, sp, ep, mp, rm, flags);
	lz = sf_clz128(mp) - 1;
	mp <<= lz;
	ep -= lz;
	return sf_add_finite(f, sp, ep, mp, z.sign, z.exp, (u128)z.sig << 64, rm, flags);
}

/* Key that orders non-NaN patterns numerically; +0 and -0 both map to 0. */
static int64_t sf_order_key(const struct sf_fmt *f, uint64_t bits)
{
	int64_t mag = (int64_t)(bits & (sf_sign_bit(f) - 1));

	return (bits & sf_sign_bit(f)) ? -mag : mag;
}

/*
 * fmin/fmax (F chapter): minimumNumber/maximumNumber, -0 < +0, NV for any
 * signalling input, canonical NaN only when both inputs are NaN.
 */
SF_INLINE uint64_t sf_minmax(const struct sf_fmt *f, uint64_t a, uint64_t b, bool want_max,
			     uint32_t *flags)
{
	struct sf_num x = sf_unpack(f, a), y = sf_unpack(f, b);
	int64_t ka, kb;
	bool a_neg = (a & sf_sign_bit(f)) != 0;

	if (x.kind == SF_K_SNAN || y.kind == SF_K_SNAN)
		*flags |= SF_NV;
	if (sf_is_nan(x.kind))
		return sf_is_nan(y.kind) ? f->canon_nan : b;
	if (sf_is_nan(y.kind))
		return a;
	ka = sf_order_key(f, a);
	kb = sf_order_key(f, b);
	if (ka == kb) /* equal values, or -0 and +0 */
		return (a_neg != want_max) ? a : b;
	return ((ka < kb) != want_max) ? a : b;
}

/* Quiet equality when !signalling; lt/le raise NV on any NaN. */
SF_INLINE int sf_compare(const struct sf_fmt *f, uint64_t a, uint64_t b, bool signalling,
			 int want_lt, int want_eq, uint32_t *flags)
{
	struct sf_num x = sf_unpack(f, a), y = sf_unpack(f, b);
	int64_t ka, kb;

	if (sf_is_nan(x.kind) || sf_is_nan(y.kind)) {
		if (signalling || x.kind == SF_K_SNAN || y.kind == SF_K_SNAN)
			*flags |= SF_NV;
		return 0;
	}
	ka = sf_order_key(f, a);
	kb = sf_order_key(f, b);
	return (want_lt && ka < kb) || (want_eq && ka == kb);
}

/* fclass bit numbers (F chapter, "Classify Instruction" table). */
static uint32_t sf_class(const struct sf_fmt *f, uint64_t a)
{
	struct sf_num x = sf_unpack(f, a);
	bool subnormal;

	switch (x.kind) {
	case SF_K_SNAN:
		return 1u << 8;
	case SF_K_QNAN:
		return 1u << 9;
	case SF_K_INF:
		return x.sign ? 1u << 0 : 1u << 7;
	case SF_K_ZERO:
		return x.sign ? 1u << 3 : 1u << 4;
	default:
		subnormal = x.exp < 1 - sf_bias(f);
		if (x.sign)
			return subnormal ? 1u << 2 : 1u << 1;
		return subnormal ? 1u << 5 : 1u << 6;
	}
}

/*
 * Float to integer (F chapter, table "Domains of float-to-integer
 * conversions"): round first, then range-check the rounded value, so
 * -0.3 rounds to 0 and is valid for an unsigned target while -0.7 under
 * RNE rounds to -1 and is not. NX only for valid, inexact conversions.
 * Returns the result as a 64-bit pattern; 32-bit results sign-extended.
 */
SF_INLINE uint64_t sf_to_int(const struct sf_fmt *f, uint64_t a, int rm, int width, bool is_signed,
			     uint32_t *flags)
{
	struct sf_num x = sf_unpack(f, a);
	uint64_t max_pos, max_neg_mag, mag = 0, res;
	bool inexact = false, valid;

	if (is_signed) {
		max_pos = (1ull << (width - 1)) - 1;
		max_neg_mag = 1ull << (width - 1);
	} else {
		max_pos = width == 64 ? ~0ull : (1ull << width) - 1;
		max_neg_mag = 0;
	}
	switch (x.kind) {
	case SF_K_ZERO:
		valid = true;
		break;
	case SF_K_FINITE:
		valid = x.exp <= 63; /* else |x| >= 2^64 */
		if (!valid)
			break;
		if (x.exp >= 62) {
			mag = x.sig << (x.exp - 62);
		} else {
			int drop = 62 - x.exp;
			uint64_t rem, half;

			if (drop < 64) {
				mag = x.sig >> drop;
				rem = x.sig & ((1ull << drop) - 1);
				half = 1ull << (drop - 1);
			} else {
				rem = 1; /* |x| < 1/2 */
				half = 2;
			}
			inexact = rem != 0;
			mag += sf_round_increments(rm, x.sign, mag & 1, rem, half);
		}
		valid = x.sign ? mag <= max_neg_mag : mag <= max_pos;
		break;
	default: /* infinities and NaNs */
		valid = false;
		break;
	}
	if (!valid) {
		*flags |= SF_NV;
		if (sf_is_nan(x.kind) || !x.sign)
			res = max_pos;
		else
			res = 0 - max_neg_mag;
	} else {
		if (inexact)
			*flags |= SF_NX;
		res = x.sign ? 0 - mag : mag;
	}
	if (width == 32)
		res = (uint64_t)(int64_t)(int32_t)(uint32_t)res;
	return res;
}

SF_INLINE uint64_t sf_from_int(const struct sf_fmt *f, bool sign, uint64_t mag, int rm,
			       uint32_t *flags)
{
	int top;

	if (mag == 0)
		return 0; /* fcvt of integer 0 is +0 with no flags */
	top = 63 - sf_clz64(mag);
	if (top == 63)
		return sf_round_pack(f, sign, 63, (mag >> 1) | (mag & 1), rm, flags);
	return sf_round_pack(f, sign, top, mag << (62 - top), rm, flags);
}

/* Format conversion: exact when widening, one rounding when narrowing. */
SF_INLINE uint64_t sf_convert(const struct sf_fmt *from, const struct sf_fmt *to, uint64_t a,
			      int rm, uint32_t *flags)
{
	struct sf_num x = sf_unpack(from, a);

	switch (x.kind) {
	case SF_K_SNAN:
		*flags |= SF_NV;
		return to->canon_nan;
	case SF_K_QNAN:
		return to->canon_nan;
	case SF_K_INF:
		return sf_inf(to, x.sign);
	case SF_K_ZERO:
		return sf_zero(to, x.sign);
	default:
		return sf_round_pack(to, x.sign, x.exp, x.sig, rm, flags);
	}
}

/* Magnitude of a signed value, correct for the most negative one. */
static uint64_t sf_abs64(int64_t v)
{
	return v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
}

/*
 * The public functions of format W (32: binary32, 64: binary64), one
 * text for both: sfW_add, _sub, _mul, _div, _sqrt, _fma, _min, _max,
 * _eq, _lt, _le, _class, _to_i32, _to_u32, _to_i64, _to_u64, _from_i32,
 * _from_u32, _from_i64 and _from_u64 name the format for the generic
 * code above (softfloat.h says what each does). The casts to fW_t are
 * no-ops for binary64.
 */
#define SF_DEFINE_FORMAT(W)                                                                   \
	f##W##_t sf##W##_add(f##W##_t a, f##W##_t b, int rm, uint32_t *flags)                 \
	{                                                                                     \
		return (f##W##_t)sf_add(&sf_f##W, a, b, rm, flags);                           \
	}                                                                                     \
	f##W##_t sf##W##_sub(f##W##_t a, f##W##_t b, int rm, uint32_t *flags)                 \
	{                                                                                     \
		return (f##W##_t)sf_add(&sf_f##W, a, b ^ (f##W##_t)sf_sign_bit(&sf_f##W), rm, \
					flags);                                               \
	}                                                                                     \
	f##W##_t sf##W##_mul(f##W##_t a, f##W##_t b, int rm, uint32_t *flags)                 \
	{                                                                                     \
		return (f##W##_t)sf_mul(&sf_f##W, a, b, rm, flags);                           \
	}                                                                                     \
	f##W##_t sf##W##_div(f##W##_t a, f##W##_t b, int rm, uint32_t *flags)                 \
	{                                                                                     \
		return (f##W##_t)sf_div(&sf_f##W, a, b, rm, flags);                           \
	}                                                                                     \
	f##W##_t sf##W##_sqrt(f##W##_t a, int rm, uint32_t *flags)                            \
	{                                                                                     \
		return (f##W##_t)sf_sqrt(&sf_f##W, a, rm, flags);                             \
	}                                                                                     \
	f##W##_t sf##W##_fma(f##W##_t a, f##W##_t b, f##W##_t c, int rm, uint32_t *flags)     \
	{                                                                                     \
		return (f##W##_t)sf_fma(&sf_f##W, a, b, c, rm, flags);                        \
	}                                                                                     \
	f##W##_t sf##W##_min(f##W##_t a, f##W##_t b, uint32_t *flags)                         \
	{                                                                                     \
		return (f##W##_t)sf_minmax(&sf_f##W, a, b, false, flags);                     \
	}                                                                                     \
	f##W##_t sf##W##_max(f##W##_t a, f##W##_t b, uint32_t *flags)                         \
	{                                                                                     \
		return (f##W##_t)sf_minmax(&sf_f##W, a, b, true, flags);                      \
	}                                                                                     \
	int sf##W##_eq(f##W##_t a, f##W##_t b, uint32_t *flags)                               \
	{                                                                                     \
		return sf_compare(&sf_f##W, a, b, false, 0, 1, flags);                        \
	}                                                                                     \
	int sf##W##_lt(f##W##_t a, f##W##_t b, uint32_t *flags)                               \
	{                                                                                     \
		return sf_compare(&sf_f##W, a, b, true, 1, 0, flags);                         \
	}                                                                                     \
	int sf##W##_le(f##W##_t a, f##W##_t b, uint32_t *flags)                               \
	{                                                                                     \
		return sf_compare(&sf_f##W, a, b, true, 1, 1, flags);                         \
	}                                                                                     \
	uint32_t sf##W##_class(f##W##_t a)                                                    \
	{                                                                                     \
		return sf_class(&sf_f##W, a);                                                 \
	}                                                                                     \
	int64_t sf##W##_to_i32(f##W##_t a, int rm, uint32_t *flags)                           \
	{                                                                                     \
		return (int64_t)sf_to_int(&sf_f##W, a, rm, 32, true, flags);                  \
	}                                                                                     \
	int64_t sf##W##_to_u32(f##W##_t a, int rm, uint32_t *flags)                           \
	{                                                                                     \
		return (int64_t)sf_to_int(&sf_f##W, a, rm, 32, false, flags);                 \
	}                                                                                     \
	int64_t sf##W##_to_i64(f##W##_t a, int rm, uint32_t *flags)                           \
	{                                                                                     \
		return (int64_t)sf_to_int(&sf_f##W, a, rm, 64, true, flags);                  \
	}                                                                                     \
	uint64_t sf##W##_to_u64(f##W##_t a, int rm, uint32_t *flags)                          \
	{                                                                                     \
		return sf_to_int(&sf_f##W, a, rm, 64, false, flags);                          \
	}                                                                                     \
	f##W##_t sf##W##_from_i32(int32_t v, int rm, uint32_t *flags)                         \
	{                                                                                     \
		return (f##W##_t)sf_from_int(&sf_f##W, v < 0, sf_abs64(v), rm, flags);        \
	}                                                                                     \
	f##W##_t sf##W##_from_u32(uint32_t v, int rm, uint32_t *flags)                        \
	{                                                                                     \
		return (f##W##_t)sf_from_int(&sf_f##W, false, v, rm, flags);                  \
	}                                                                                     \
	f##W##_t sf##W##_from_i64(int64_t v, int rm, uint32_t *flags)                         \
	{                                                                                     \
		return (f##W##_t)sf_from_int(&sf_f##W, v < 0, sf_abs64(v), rm, flags);        \
	}                                                                                     \
	f##W##_t sf##W##_from_u64(uint64_t v, int rm, uint32_t *flags)                        \
	{                                                                                     \
		return (f##W##_t)sf_from_int(&sf_f##W, false, v, rm, flags);                  \
	}

SF_DEFINE_FORMAT(32)
SF_DEFINE_FORMAT(64)

f64_t sf32_to_f64(f32_t a, uint32_t *flags)
{
	/* Widening is exact, so the rounding mode never matters. */
	return sf_convert(&sf_f32, &sf_f64, a, SF_RNE, flags);
}

f32_t sf64_to_f32(f64_t a, int rm, uint32_t *flags)
{
	return (f32_t)sf_convert(&sf_f64, &sf_f32, a, rm, flags);
}
