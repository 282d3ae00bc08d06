// SPDX-License-Identifier: MIT
/*
 * Tests for hv/cpu/softfloat.c, in three parts.
 *
 * 1. Differential against the host x86-64 SSE unit for the four rounding
 *    modes it has (RNE/RTZ/RDN/RUP): add/sub/mul/div/sqrt/fma (libm fma and
 *    fmaf, which glibc dispatches to the FMA3 instructions on this kind of
 *    host and which are correctly rounded either way), comparisons, and the
 *    conversions. Host operations are inline asm with a memory clobber
 *    (libm calls are fenced by empty asm statements the same way), so the
 *    compiler can neither constant-fold them nor move them across the
 *    fesetround/fetestexcept calls, which makes -frounding-math unnecessary
 *    (the Bazel build does not pass it).
 *    Result bits and all five flags must match, with these documented
 *    exceptions where x86 differs from RISC-V on purpose:
 *      - a NaN result from the host (x86 returns the negative "default NaN"
 *        0xffc00000/0xfff8... and propagates input payloads) means ours
 *        must be exactly the RISC-V canonical NaN;
 *      - x86 FMA does not raise invalid for inf*0 + qNaN; RISC-V does
 *        (F chapter, "fused multiply-add ... even when the addend is a
 *        quiet NaN"), so NV is added to the host flags in that one case;
 *      - x86 float-to-integer conversions return the "integer indefinite"
 *        0x80..0 for NaN and out-of-range inputs where RISC-V saturates, so
 *        those results are compared only when the host did not raise
 *        invalid (the flag itself must agree for signed targets), and the
 *        full RISC-V table is checked against an x87 rintl model instead;
 *      - x86 minss/maxss are not IEEE minimumNumber, so fmin/fmax are
 *        checked against a model.
 *    x86 detects tininess after rounding, like RISC-V, and raises UF only
 *    for inexact tiny results when underflow is masked, so UF is compared
 *    exactly; HostAlsoDetectsTininessAfterRounding pins that finding down.
 * 2. Hand-written vectors for the RISC-V-specific rules.
 * 3. RMM (which x86 lacks) for arithmetic and conversions: the host gives
 *    the RNE/RDN/RUP results, and an exact midpoint test in wider
 *    arithmetic (double for binary32, __float128 for binary64, long double
 *    for integers) says whether the exact value is a tie; RMM must equal
 *    RNE except on ties, where it must pick the larger magnitude.
 */
#include <gtest/gtest.h>

#include <cfenv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <initializer_list>
#include <random>
#include <sstream>

extern "C" {
#include "hv/cpu/softfloat.h"
}

namespace {

/* ---------- bit patterns and formats ---------- */

template <typename H> struct Traits;
template <> struct Traits<float> {
	using U = uint32_t;
	static constexpr int kFrac = 23, kExpBits = 8;
	static constexpr U kCanon = SF_F32_CANON_NAN;
	static constexpr U kSign = 1u << 31;
};
template <> struct Traits<double> {
	using U = uint64_t;
	static constexpr int kFrac = 52, kExpBits = 11;
	static constexpr U kCanon = SF_F64_CANON_NAN;
	static constexpr U kSign = 1ull << 63;
};

template <typename H> typename Traits<H>::U to_bits(H v)
{
	typename Traits<H>::U u;
	std::memcpy(&u, &v, sizeof(u));
	return u;
}

template <typename H> H from_bits(typename Traits<H>::U u)
{
	H v;
	std::memcpy(&v, &u, sizeof(v));
	return v;
}

f32_t F(float v)
{
	return to_bits(v);
}

f64_t D(double v)
{
	return to_bits(v);
}

std::string hex(uint64_t v)
{
	std::ostringstream os;
	os << "0x" << std::hex << v;
	return os.str();
}

/* ---------- the host FPU ---------- */

const int kFeRound[4] = { FE_TONEAREST, FE_TOWARDZERO, FE_DOWNWARD, FE_UPWARD };

uint32_t host_flags()
{
	int e = fetestexcept(FE_ALL_EXCEPT);

	return ((e & FE_INEXACT) ? SF_NX : 0) | ((e & FE_UNDERFLOW) ? SF_UF : 0) |
	       ((e & FE_OVERFLOW) ? SF_OF : 0) | ((e & FE_DIVBYZERO) ? SF_DZ : 0) |
	       ((e & FE_INVALID) ? SF_NV : 0);
}

/* Runs fn under rounding mode rm (0..3) and returns the flags it raised. */
template <typename Fn> uint32_t host_exec(int rm, Fn &&fn)
{
	uint32_t flags;

	fesetround(kFeRound[rm]);
	feclearexcept(FE_ALL_EXCEPT);
	fn();
	flags = host_flags();
	feclearexcept(FE_ALL_EXCEPT);
	fesetround(FE_TONEAREST);
	return flags;
}

#define HOST_BIN(name, insn, T)                                             \
	T name(T a, T b)                                                    \
	{                                                                   \
		asm volatile(insn " %1, %0" : "+x"(a) : "x"(b) : "memory"); \
		return a;                                                   \
	}
HOST_BIN(host_adds, "addss", float)
HOST_BIN(host_subs, "subss", float)
HOST_BIN(host_muls, "mulss", float)
HOST_BIN(host_divs, "divss", float)
HOST_BIN(host_addd, "addsd", double)
HOST_BIN(host_subd, "subsd", double)
HOST_BIN(host_muld, "mulsd", double)
HOST_BIN(host_divd, "divsd", double)

float host_sqrts(float a)
{
	float r;

	asm volatile("sqrtss %1, %0" : "=x"(r) : "x"(a) : "memory");
	return r;
}

double host_sqrtd(double a)
{
	double r;

	asm volatile("sqrtsd %1, %0" : "=x"(r) : "x"(a) : "memory");
	return r;
}

/*
 * GCC treats fma/fmaf as pure builtins: it could fold them on constant
 * arguments or move the call across fesetround. The empty asm statements
 * make the operands opaque and pin the call between two volatile,
 * memory-clobbering points.
 */
float host_fmas(float a, float b, float c)
{
	float r;

	asm volatile("" : "+x"(a), "+x"(b), "+x"(c) : : "memory");
	r = fmaf(a, b, c);
	asm volatile("" : "+x"(r) : : "memory");
	return r;
}

double host_fmad(double a, double b, double c)
{
	double r;

	asm volatile("" : "+x"(a), "+x"(b), "+x"(c) : : "memory");
	r = fma(a, b, c);
	asm volatile("" : "+x"(r) : : "memory");
	return r;
}

double host_s_to_d(float a)
{
	double r;

	asm volatile("cvtss2sd %1, %0" : "=x"(r) : "x"(a) : "memory");
	return r;
}

float host_d_to_s(double a)
{
	float r;

	asm volatile("cvtsd2ss %1, %0" : "=x"(r) : "x"(a) : "memory");
	return r;
}

template <typename H> H host_from_i64(int64_t v);
template <> float host_from_i64<float>(int64_t v)
{
	float r;

	asm volatile("cvtsi2ssq %1, %0" : "=x"(r) : "r"(v) : "memory");
	return r;
}
template <> double host_from_i64<double>(int64_t v)
{
	double r;

	asm volatile("cvtsi2sdq %1, %0" : "=x"(r) : "r"(v) : "memory");
	return r;
}

/*
 * x86-64 has no unsigned 64-bit conversion before AVX-512: halve with the
 * dropped bit ORed in (which keeps the rounding decision), convert once,
 * double exactly.
 */
template <typename H> H host_from_u64(uint64_t v)
{
	H r;

	if ((int64_t)v >= 0)
		return host_from_i64<H>((int64_t)v);
	r = host_from_i64<H>((int64_t)((v >> 1) | (v & 1)));
	if (sizeof(H) == 4)
		asm volatile("addss %0, %0" : "+x"(r) : : "memory");
	else
		asm volatile("addsd %0, %0" : "+x"(r) : : "memory");
	return r;
}

/* cvtsd2si/cvtss2si round by MXCSR; 0x80..0 plus invalid when invalid. */
template <typename H> int64_t host_to_i64(H a)
{
	int64_t r;

	if (sizeof(H) == 4)
		asm volatile("cvtss2si %1, %0" : "=r"(r) : "x"(a) : "memory");
	else
		asm volatile("cvtsd2si %1, %0" : "=r"(r) : "x"(a) : "memory");
	return r;
}

template <typename H> int32_t host_to_i32(H a)
{
	int32_t r;

	if (sizeof(H) == 4)
		asm volatile("cvtss2si %1, %0" : "=r"(r) : "x"(a) : "memory");
	else
		asm volatile("cvtsd2si %1, %0" : "=r"(r) : "x"(a) : "memory");
	return r;
}

/* cmpXXsd: EQ_OQ is quiet, LT_OS and LE_OS signal on any NaN. */
template <typename H> int host_cmp(H a, H b, int pred)
{
	H r = a;

	if (sizeof(H) == 4) {
		if (pred == 0)
			asm volatile("cmpeqss %1, %0" : "+x"(r) : "x"(b) : "memory");
		else if (pred == 1)
			asm volatile("cmpltss %1, %0" : "+x"(r) : "x"(b) : "memory");
		else
			asm volatile("cmpless %1, %0" : "+x"(r) : "x"(b) : "memory");
	} else {
		if (pred == 0)
			asm volatile("cmpeqsd %1, %0" : "+x"(r) : "x"(b) : "memory");
		else if (pred == 1)
			asm volatile("cmpltsd %1, %0" : "+x"(r) : "x"(b) : "memory");
		else
			asm volatile("cmplesd %1, %0" : "+x"(r) : "x"(b) : "memory");
	}
	return to_bits(r) != 0;
}

/* ---------- input generation ---------- */

/*
 * Deterministic generator biased towards the inputs that break floating
 * point code: specials, subnormals, extremes of the exponent range,
 * significands with few bits (exact results and ties) or all ones
 * (carries), and second operands whose exponent puts the result near
 * cancellation, overflow or underflow.
 */
template <typename H> class Gen {
public:
	using U = typename Traits<H>::U;
	static constexpr int kFrac = Traits<H>::kFrac;
	static constexpr int kMaxField = (1 << Traits<H>::kExpBits) - 1;
	static constexpr int kBias = kMaxField / 2;

	enum class Rel { kAdd, kMul, kDiv };

	explicit Gen(uint64_t seed) : rng_(seed) {}

	uint64_t u64() { return rng_(); }

	int range(int lo, int hi) { return lo + (int)(rng_() % (uint64_t)(hi - lo + 1)); }

	bool pct(int p) { return (int)(rng_() % 100) < p; }

	U mantissa()
	{
		U all = ((U)1 << kFrac) - 1;
		int k = range(0, kFrac);

		switch (range(0, 4)) {
		case 0:
			return (U)rng_() & all;
		case 1: /* top k bits random */
			return k == 0 ? 0 : (((U)rng_() & all) >> (kFrac - k)) << (kFrac - k);
		case 2: /* all ones with a few low bits cleared */
			return all & ~((U)rng_() & (((U)1 << range(0, 4)) - 1));
		case 3: /* only low bits */
			return (U)rng_() & (((U)1 << k) - 1);
		default:
			return k == kFrac ? 0 : (U)1 << k;
		}
	}

	U with_field(int field)
	{
		if (field < 0)
			field = 0;
		if (field > kMaxField - 1)
			field = kMaxField - 1;
		return sign() | ((U)field << kFrac) | mantissa();
	}

	U special()
	{
		static const U kInf = (U)kMaxField << kFrac;
		const U list[] = {
			0,
			1,
			((U)1 << kFrac) - 1,
			(U)1 << kFrac,
			kInf - 1,
			kInf,
			Traits<H>::kCanon,
			Traits<H>::kCanon | 0x1234,
			kInf | 1,
			kInf | ((U)1 << (kFrac - 2)),
			(U)kBias << kFrac,
			((U)kBias << kFrac) | 1,
			((U)kBias << kFrac) - 1,
			(U)(kBias - 1) << kFrac,
			(U)(kMaxField - 1) << kFrac,
			((U)1 << kFrac) | 1,
		};
		return sign() | list[rng_() % (sizeof(list) / sizeof(list[0]))];
	}

	U value()
	{
		switch (range(0, 9)) {
		case 0:
		case 1:
			return special();
		case 2:
		case 3:
			return (U)rng_();
		case 4:
			return with_field(range(0, 3));
		case 5:
			return with_field(range(kMaxField - 4, kMaxField - 1));
		case 6:
			return with_field(kBias + range(-8, 8));
		default:
			return with_field(range(0, kMaxField - 1));
		}
	}

	U related(U a, Rel rel)
	{
		int fa = (int)((a >> kFrac) & kMaxField);
		int target = pct(50) ? range(-kFrac - 3, 3) : range(kMaxField - 4, kMaxField + 1);

		switch (rel) {
		case Rel::kAdd:
			return with_field(fa + range(-kFrac - 4, kFrac + 4));
		case Rel::kMul:
			return with_field(target + kBias - fa);
		default:
			return with_field(fa + kBias - target);
		}
	}

	U operand_for(U a, Rel rel) { return pct(40) ? value() : related(a, rel); }

private:
	U sign() { return pct(50) ? (U)1 << (kFrac + Traits<H>::kExpBits) : 0; }

	std::mt19937_64 rng_;
};

/* ---------- result checking ---------- */

bool is_nan_bits(uint64_t bits, int frac, int exp_bits)
{
	uint64_t mag = bits & ((1ull << (frac + exp_bits)) - 1);

	return mag > ((1ull << exp_bits) - 1) << frac;
}

template <typename H> bool is_nan(typename Traits<H>::U bits)
{
	return is_nan_bits(bits, Traits<H>::kFrac, Traits<H>::kExpBits);
}

template <typename H> bool is_snan(typename Traits<H>::U bits)
{
	return is_nan<H>(bits) && !((bits >> (Traits<H>::kFrac - 1)) & 1);
}

/* Collects mismatches and reports the first few with their inputs. */
class Mismatches {
public:
	explicit Mismatches(std::string op) : op_(std::move(op)) {}

	~Mismatches()
	{
		EXPECT_EQ(count_, 0)
			<< op_ << ": " << count_ << " mismatches in " << checked_ << " cases";
	}

	void check(int rm, std::initializer_list<uint64_t> in, uint64_t got, uint32_t got_flags,
		   uint64_t want, uint32_t want_flags)
	{
		checked_++;
		if (got == want && got_flags == want_flags)
			return;
		if (++count_ > 8)
			return;
		std::ostringstream os;
		for (uint64_t v : in)
			os << hex(v) << " ";
		ADD_FAILURE() << op_ << " rm=" << rm << " in=" << os.str() << "got " << hex(got)
			      << " flags " << got_flags << ", want " << hex(want) << " flags "
			      << want_flags;
	}

private:
	std::string op_;
	long count_ = 0, checked_ = 0;
};

/* The host's NaN stands for "some NaN": ours must be the canonical one. */
template <typename H> uint64_t want_bits(H host)
{
	typename Traits<H>::U b = to_bits(host);

	return is_nan<H>(b) ? Traits<H>::kCanon : b;
}

const int kCases = 100000;

/* ---------- part 1: differential against the host ---------- */

template <typename H>
void diff_binary(const char *name,
		 typename Traits<H>::U (*ours)(typename Traits<H>::U, typename Traits<H>::U, int,
					       uint32_t *),
		 H (*host)(H, H), typename Gen<H>::Rel rel, uint64_t seed)
{
	Gen<H> g(seed);
	Mismatches mm(name);

	for (int i = 0; i < kCases; i++) {
		auto a = g.value();
		auto b = g.operand_for(a, rel);
		if (g.pct(50))
			std::swap(a, b);
		for (int rm = 0; rm < 4; rm++) {
			H r;
			uint32_t hf = host_exec(rm, [&] {
				r = host(from_bits<H>(a), from_bits<H>(b));
			});
			uint32_t of = 0;
			auto got = ours(a, b, rm, &of);
			mm.check(rm, { a, b }, got, of, want_bits(r), hf);
		}
	}
}

TEST(SoftfloatHost, F32AddMatchesSse)
{
	diff_binary<float>("f32 add", sf32_add, host_adds, Gen<float>::Rel::kAdd, 1);
}

TEST(SoftfloatHost, F32SubMatchesSse)
{
	diff_binary<float>("f32 sub", sf32_sub, host_subs, Gen<float>::Rel::kAdd, 2);
}

TEST(SoftfloatHost, F32MulMatchesSse)
{
	diff_binary<float>("f32 mul", sf32_mul, host_muls, Gen<float>::Rel::kMul, 3);
}

TEST(SoftfloatHost, F32DivMatchesSse)
{
	diff_binary<float>("f32 div", sf32_div, host_divs, Gen<float>::Rel::kDiv, 4);
}

TEST(SoftfloatHost, F64AddMatchesSse)
{
	diff_binary<double>("f64 add", sf64_add, host_addd, Gen<double>::Rel::kAdd, 5);
}

TEST(SoftfloatHost, F64SubMatchesSse)
{
	diff_binary<double>("f64 sub", sf64_sub, host_subd, Gen<double>::Rel::kAdd, 6);
}

TEST(SoftfloatHost, F64MulMatchesSse)
{
	diff_binary<double>("f64 mul", sf64_mul, host_muld, Gen<double>::Rel::kMul, 7);
}

TEST(SoftfloatHost, F64DivMatchesSse)
{
	diff_binary<double>("f64 div", sf64_div, host_divd, Gen<double>::Rel::kDiv, 8);
}

template <typename H>
void diff_sqrt(const char *name,
	       typename Traits<H>::U (*ours)(typename Traits<H>::U, int, uint32_t *), H (*host)(H),
	       uint64_t seed)
{
	Gen<H> g(seed);
	Mismatches mm(name);

	for (int i = 0; i < kCases; i++) {
		auto a = g.value();
		if (g.pct(70)) /* mostly the interesting (positive) half */
			a &= ~Traits<H>::kSign;
		for (int rm = 0; rm < 4; rm++) {
			H r;
			uint32_t hf = host_exec(rm, [&] { r = host(from_bits<H>(a)); });
			uint32_t of = 0;
			auto got = ours(a, rm, &of);
			mm.check(rm, { a }, got, of, want_bits(r), hf);
		}
	}
}

TEST(SoftfloatHost, F32SqrtMatchesSse)
{
	diff_sqrt<float>("f32 sqrt", sf32_sqrt, host_sqrts, 9);
}

TEST(SoftfloatHost, F64SqrtMatchesSse)
{
	diff_sqrt<double>("f64 sqrt", sf64_sqrt, host_sqrtd, 10);
}

/* Addend for fma tests: random, near the product, or cancelling it. */
template <typename H>
typename Traits<H>::U fma_addend(Gen<H> &g, typename Traits<H>::U a, typename Traits<H>::U b,
				 typename Traits<H>::U (*mul)(typename Traits<H>::U,
							      typename Traits<H>::U, int,
							      uint32_t *))
{
	using U = typename Traits<H>::U;
	constexpr U kSign = Traits<H>::kSign;
	uint32_t ignored = 0;
	int fa = (int)((a >> Traits<H>::kFrac) & Gen<H>::kMaxField);
	int fb = (int)((b >> Traits<H>::kFrac) & Gen<H>::kMaxField);

	switch (g.range(0, 2)) {
	case 0:
		return g.value();
	case 1:
		return g.with_field(fa + fb - Gen<H>::kBias +
				    g.range(-2 * Traits<H>::kFrac - 4, Traits<H>::kFrac + 4));
	default:
		return (mul(a, b, SF_RTZ, &ignored) ^ kSign) + (U)g.range(-3, 3);
	}
}

template <typename H>
void diff_fma(const char *name,
	      typename Traits<H>::U (*ours)(typename Traits<H>::U, typename Traits<H>::U,
					    typename Traits<H>::U, int, uint32_t *),
	      typename Traits<H>::U (*mul)(typename Traits<H>::U, typename Traits<H>::U, int,
					   uint32_t *),
	      H (*host)(H, H, H), uint64_t seed)
{
	using U = typename Traits<H>::U;
	constexpr U kMag = ((U)1 << (Traits<H>::kFrac + Traits<H>::kExpBits)) - 1;
	constexpr U kInf = (U)Gen<H>::kMaxField << Traits<H>::kFrac;
	Gen<H> g(seed);
	Mismatches mm(name);

	for (int i = 0; i < kCases; i++) {
		U a = g.value();
		U b = g.operand_for(a, Gen<H>::Rel::kMul);
		U c = fma_addend(g, a, b, mul);
		bool inf_times_zero = ((a & kMag) == kInf && (b & kMag) == 0) ||
				      ((a & kMag) == 0 && (b & kMag) == kInf);

		for (int rm = 0; rm < 4; rm++) {
			H r;
			uint32_t hf = host_exec(rm, [&] {
				r = host(from_bits<H>(a), from_bits<H>(b), from_bits<H>(c));
			});
			/* x86 differs on purpose: see the file comment. */
			if (inf_times_zero && is_nan<H>(c))
				hf |= SF_NV;
			uint32_t of = 0;
			U got = ours(a, b, c, rm, &of);
			mm.check(rm, { a, b, c }, got, of, want_bits(r), hf);
		}
	}
}

TEST(SoftfloatHost, F32FmaMatchesHostFmaf)
{
	diff_fma<float>("f32 fma", sf32_fma, sf32_mul, host_fmas, 11);
}

TEST(SoftfloatHost, F64FmaMatchesHostFma)
{
	diff_fma<double>("f64 fma", sf64_fma, sf64_mul, host_fmad, 12);
}

template <typename H>
void diff_compare(const char *name,
		  int (*eq)(typename Traits<H>::U, typename Traits<H>::U, uint32_t *),
		  int (*lt)(typename Traits<H>::U, typename Traits<H>::U, uint32_t *),
		  int (*le)(typename Traits<H>::U, typename Traits<H>::U, uint32_t *),
		  uint64_t seed)
{
	Gen<H> g(seed);
	Mismatches mm(name);

	for (int i = 0; i < kCases; i++) {
		auto a = g.value();
		auto b = g.pct(20) ? a : g.pct(20) ? a ^ 1 : g.value();
		decltype(eq) ops[3] = { eq, lt, le };

		for (int pred = 0; pred < 3; pred++) {
			int r = 0;
			uint32_t hf = host_exec(0, [&] {
				r = host_cmp<H>(from_bits<H>(a), from_bits<H>(b), pred);
			});
			uint32_t of = 0;
			int got = ops[pred](a, b, &of);
			mm.check(pred, { a, b }, (uint64_t)got, of, (uint64_t)r, hf);
		}
	}
}

TEST(SoftfloatHost, F32ComparesMatchSse)
{
	diff_compare<float>("f32 cmp", sf32_eq, sf32_lt, sf32_le, 13);
}

TEST(SoftfloatHost, F64ComparesMatchSse)
{
	diff_compare<double>("f64 cmp", sf64_eq, sf64_lt, sf64_le, 14);
}

TEST(SoftfloatHost, F32ToF64MatchesSse)
{
	Gen<float> g(15);
	Mismatches mm("f32->f64");

	for (int i = 0; i < kCases; i++) {
		f32_t a = g.value();
		double r;
		uint32_t hf = host_exec(0, [&] { r = host_s_to_d(from_bits<float>(a)); });
		uint32_t of = 0;
		f64_t got = sf32_to_f64(a, &of);
		mm.check(0, { a }, got, of, want_bits(r), hf);
	}
}

TEST(SoftfloatHost, F64ToF32MatchesSse)
{
	Gen<double> g(16);
	Mismatches mm("f64->f32");

	for (int i = 0; i < kCases; i++) {
		/* Mostly values around and beyond the binary32 range. */
		f64_t a = g.pct(30) ? g.value() : g.with_field(1023 + g.range(-160, 130));
		for (int rm = 0; rm < 4; rm++) {
			float r;
			uint32_t hf = host_exec(rm, [&] { r = host_d_to_s(from_bits<double>(a)); });
			uint32_t of = 0;
			f32_t got = sf64_to_f32(a, rm, &of);
			mm.check(rm, { a }, got, of, want_bits(r), hf);
		}
	}
}

/* Integers with every bit length, including the extremes. */
uint64_t random_int(std::mt19937_64 &rng)
{
	static const uint64_t kEdges[] = {
		0,
		1,
		~0ull,
		1ull << 63,
		(1ull << 63) - 1,
		0xffffffffull,
		0x80000000ull,
		0x7fffffffull,
		(1ull << 24) + 1,
		(1ull << 53) + 1,
		0xffffff7fffffffffull,
		0xfffffffffffff400ull,
	};
	uint64_t v = rng();

	if (rng() % 8 == 0)
		return kEdges[rng() % (sizeof(kEdges) / sizeof(kEdges[0]))];
	v >>= rng() % 64;
	if (rng() % 2) /* short runs of ones make ties */
		v &= ~((1ull << (rng() % 40)) - 1);
	return v;
}

template <typename H>
void diff_from_int(const char *name, typename Traits<H>::U (*from_i32)(int32_t, int, uint32_t *),
		   typename Traits<H>::U (*from_u32)(uint32_t, int, uint32_t *),
		   typename Traits<H>::U (*from_i64)(int64_t, int, uint32_t *),
		   typename Traits<H>::U (*from_u64)(uint64_t, int, uint32_t *), uint64_t seed)
{
	std::mt19937_64 rng(seed);
	Mismatches mm(name);

	for (int i = 0; i < kCases; i++) {
		uint64_t v = random_int(rng);
		if (rng() % 2)
			v = 0 - v;
		for (int rm = 0; rm < 4; rm++) {
			H r;
			uint32_t hf, of;
			uint64_t got;

			hf = host_exec(rm, [&] { r = host_from_i64<H>((int64_t)v); });
			of = 0;
			got = from_i64((int64_t)v, rm, &of);
			mm.check(rm, { v }, got, of, to_bits(r), hf);

			hf = host_exec(rm, [&] { r = host_from_u64<H>(v); });
			of = 0;
			got = from_u64(v, rm, &of);
			mm.check(rm + 10, { v }, got, of, to_bits(r), hf);

			hf = host_exec(rm, [&] { r = host_from_i64<H>((int32_t)v); });
			of = 0;
			got = from_i32((int32_t)v, rm, &of);
			mm.check(rm + 20, { v }, got, of, to_bits(r), hf);

			hf = host_exec(rm, [&] { r = host_from_i64<H>((uint32_t)v); });
			of = 0;
			got = from_u32((uint32_t)v, rm, &of);
			mm.check(rm + 30, { v }, got, of, to_bits(r), hf);
		}
	}
}

TEST(SoftfloatHost, IntToF32MatchesSse)
{
	diff_from_int<float>("int->f32", sf32_from_i32, sf32_from_u32, sf32_from_i64, sf32_from_u64,
			     17);
}

TEST(SoftfloatHost, IntToF64MatchesSse)
{
	diff_from_int<double>("int->f64", sf64_from_i32, sf64_from_u32, sf64_from_i64,
			      sf64_from_u64, 18);
}

/*
 * RISC-V float->int model (F chapter, table "Domains of float-to-integer
 * conversions"): round by rm using the x87 (rintl honours the dynamic
 * rounding mode; roundl is ties-away, i.e. RMM), then range-check.
 */
uint64_t model_to_int(long double x, bool nan, int rm, int width, bool is_signed, uint32_t *flags)
{
	long double lo = is_signed ? -std::ldexp(1.0L, width - 1) : 0.0L;
	long double hi = is_signed ? std::ldexp(1.0L, width - 1) - 1 : std::ldexp(1.0L, width) - 1;
	long double r;
	uint64_t res;

	if (nan) {
		*flags |= SF_NV;
		res = (uint64_t)hi;
	} else {
		if (rm == SF_RMM) {
			r = std::roundl(x);
		} else {
			/* rintl is a const builtin to GCC; the asm keeps it
			 * between the two fesetround calls. */
			fesetround(kFeRound[rm]);
			asm volatile("" : "+m"(x) : : "memory");
			r = std::rintl(x);
			asm volatile("" : "+m"(r) : : "memory");
			fesetround(FE_TONEAREST);
		}
		if (r < lo || r > hi) {
			*flags |= SF_NV;
			r = x < 0 ? lo : hi;
		} else if (r != x) {
			*flags |= SF_NX;
		}
		if (r < 0)
			res = (uint64_t)(int64_t)r;
		else
			res = (uint64_t)r;
	}
	if (width == 32)
		res = (uint64_t)(int64_t)(int32_t)(uint32_t)res;
	return res;
}

template <typename H>
void check_to_int(const char *name, int64_t (*to_i32)(typename Traits<H>::U, int, uint32_t *),
		  int64_t (*to_u32)(typename Traits<H>::U, int, uint32_t *),
		  int64_t (*to_i64)(typename Traits<H>::U, int, uint32_t *),
		  uint64_t (*to_u64)(typename Traits<H>::U, int, uint32_t *), uint64_t seed)
{
	Gen<H> g(seed);
	Mismatches mm_model(std::string(name) + " vs model");
	Mismatches mm_host(std::string(name) + " vs cvtsi");

	for (int i = 0; i < kCases; i++) {
		/* Mostly magnitudes from 2^-3 to 2^66, where the action is. */
		auto a = g.pct(30) ? g.value() : g.with_field(Gen<H>::kBias + g.range(-3, 66));
		bool nan = is_nan<H>(a);
		long double x = nan ? 0 : (long double)from_bits<H>(a);

		for (int rm = 0; rm < 5; rm++) {
			uint32_t of = 0, wf = 0;
			uint64_t got, want;

			got = (uint64_t)to_i32(a, rm, &of);
			want = model_to_int(x, nan, rm, 32, true, &wf);
			mm_model.check(rm, { a }, got, of, want, wf);
			of = wf = 0;
			got = (uint64_t)to_u32(a, rm, &of);
			want = model_to_int(x, nan, rm, 32, false, &wf);
			mm_model.check(rm + 10, { a }, got, of, want, wf);
			of = wf = 0;
			got = (uint64_t)to_i64(a, rm, &of);
			want = model_to_int(x, nan, rm, 64, true, &wf);
			mm_model.check(rm + 20, { a }, got, of, want, wf);
			of = wf = 0;
			got = to_u64(a, rm, &of);
			want = model_to_int(x, nan, rm, 64, false, &wf);
			mm_model.check(rm + 30, { a }, got, of, want, wf);

			if (rm == SF_RMM)
				continue;
			/* The host's signed conversions: same flags; same
			 * value unless the host returned its indefinite. */
			int64_t r64 = 0;
			int32_t r32 = 0;
			uint32_t hf = host_exec(rm, [&] { r64 = host_to_i64(from_bits<H>(a)); });
			of = 0;
			got = (uint64_t)to_i64(a, rm, &of);
			mm_host.check(rm + 40, { a }, (hf & SF_NV) ? 0 : got, of,
				      (hf & SF_NV) ? 0 : (uint64_t)r64, hf);
			hf = host_exec(rm, [&] { r32 = host_to_i32(from_bits<H>(a)); });
			of = 0;
			got = (uint64_t)to_i32(a, rm, &of);
			mm_host.check(rm + 50, { a }, (hf & SF_NV) ? 0 : got, of,
				      (hf & SF_NV) ? 0 : (uint64_t)(int64_t)r32, hf);
		}
	}
}

TEST(SoftfloatHost, F32ToIntMatchesModelAndSse)
{
	check_to_int<float>("f32->int", sf32_to_i32, sf32_to_u32, sf32_to_i64, sf32_to_u64, 19);
}

TEST(SoftfloatHost, F64ToIntMatchesModelAndSse)
{
	check_to_int<double>("f64->int", sf64_to_i32, sf64_to_u32, sf64_to_i64, sf64_to_u64, 20);
}

/* fmin/fmax against a direct transcription of the F chapter's rules. */
template <typename H>
void check_minmax(const char *name,
		  typename Traits<H>::U (*mn)(typename Traits<H>::U, typename Traits<H>::U,
					      uint32_t *),
		  typename Traits<H>::U (*mx)(typename Traits<H>::U, typename Traits<H>::U,
					      uint32_t *),
		  uint64_t seed)
{
	using U = typename Traits<H>::U;
	Gen<H> g(seed);
	Mismatches mm(name);

	for (int i = 0; i < kCases; i++) {
		U a = g.value(), b = g.pct(10) ? a ^ Traits<H>::kSign : g.value();
		uint32_t wf = (is_snan<H>(a) || is_snan<H>(b)) ? SF_NV : 0;
		U want_min, want_max;

		if (is_nan<H>(a) && is_nan<H>(b)) {
			want_min = want_max = Traits<H>::kCanon;
		} else if (is_nan<H>(a)) {
			want_min = want_max = b;
		} else if (is_nan<H>(b)) {
			want_min = want_max = a;
		} else {
			H x = from_bits<H>(a), y = from_bits<H>(b);
			bool a_less = x < y || (x == y && std::signbit(x) && !std::signbit(y));
			want_min = a_less ? a : b;
			want_max = a_less ? b : a;
			if (x == y && std::signbit(x) == std::signbit(y))
				want_min = want_max = a; /* identical bits */
		}
		uint32_t of = 0;
		U got = mn(a, b, &of);
		mm.check(0, { a, b }, got, of, want_min, wf);
		of = 0;
		got = mx(a, b, &of);
		mm.check(1, { a, b }, got, of, want_max, wf);
	}
}

TEST(SoftfloatModel, F32MinMaxFollowMinimumNumberRules)
{
	check_minmax<float>("f32 min/max", sf32_min, sf32_max, 21);
}

TEST(SoftfloatModel, F64MinMaxFollowMinimumNumberRules)
{
	check_minmax<double>("f64 min/max", sf64_min, sf64_max, 22);
}

/* ---------- part 2: hand-written RISC-V vectors ---------- */

const f32_t kF32Inf = 0x7f800000, kF32QNaN = 0x7fc00000, kF32SNaN = 0x7f800001;
const f64_t kF64Inf = 0x7ff0000000000000ull, kF64SNaN = 0x7ff0000000000001ull;
const f64_t kF64QNaN = 0x7ff8000000000000ull;

TEST(Softfloat, InvalidOperationsGiveCanonicalNaN)
{
	uint32_t fl = 0;

	EXPECT_EQ(sf32_add(kF32Inf, kF32Inf | 0x80000000u, SF_RNE, &fl), SF_F32_CANON_NAN);
	EXPECT_EQ(fl, SF_NV);
	fl = 0;
	EXPECT_EQ(sf32_mul(0x80000000u, kF32Inf, SF_RNE, &fl), SF_F32_CANON_NAN);
	EXPECT_EQ(fl, SF_NV);
	fl = 0;
	EXPECT_EQ(sf64_div(0, 0x8000000000000000ull, SF_RNE, &fl), SF_F64_CANON_NAN);
	EXPECT_EQ(fl, SF_NV);
	fl = 0;
	EXPECT_EQ(sf64_div(kF64Inf, kF64Inf, SF_RTZ, &fl), SF_F64_CANON_NAN);
	EXPECT_EQ(fl, SF_NV);
	fl = 0;
	EXPECT_EQ(sf64_sqrt(D(-1.0), SF_RNE, &fl), SF_F64_CANON_NAN);
	EXPECT_EQ(fl, SF_NV);
	fl = 0;
	EXPECT_EQ(sf32_sqrt(0x80000001u, SF_RNE, &fl), SF_F32_CANON_NAN);
	EXPECT_EQ(fl, SF_NV);
}

TEST(Softfloat, NaNPayloadsAndSignsAreNotPropagated)
{
	uint32_t fl = 0;

	/* Negative quiet NaN with a payload: result is +canonical, no NV. */
	EXPECT_EQ(sf32_add(0xffc12345u, F(1.0f), SF_RNE, &fl), SF_F32_CANON_NAN);
	EXPECT_EQ(sf64_mul(D(2.0), 0xfff8000000abcdefull, SF_RNE, &fl), SF_F64_CANON_NAN);
	EXPECT_EQ(sf32_sqrt(0x7fd00000u, SF_RNE, &fl), SF_F32_CANON_NAN);
	EXPECT_EQ(sf32_to_f64(0xffc12345u, &fl), SF_F64_CANON_NAN);
	EXPECT_EQ(sf64_to_f32(0x7ff800000000ffffull, SF_RNE, &fl), SF_F32_CANON_NAN);
	EXPECT_EQ(fl, 0u);
	/* Signalling inputs raise NV. */
	EXPECT_EQ(sf32_sub(kF32SNaN, F(1.0f), SF_RNE, &fl), SF_F32_CANON_NAN);
	EXPECT_EQ(fl, SF_NV);
	fl = 0;
	EXPECT_EQ(sf32_to_f64(kF32SNaN, &fl), SF_F64_CANON_NAN);
	EXPECT_EQ(fl, SF_NV);
	fl = 0;
	EXPECT_EQ(sf64_to_f32(kF64SNaN, SF_RNE, &fl), SF_F32_CANON_NAN);
	EXPECT_EQ(fl, SF_NV);
}

TEST(Softfloat, MinMaxHandleNaNsAndSignedZeros)
{
	uint32_t fl = 0;

	EXPECT_EQ(sf32_min(kF32QNaN, 0xffc00001u, &fl), SF_F32_CANON_NAN);
	EXPECT_EQ(sf64_max(0xfff8000000000001ull, kF64QNaN, &fl), SF_F64_CANON_NAN);
	EXPECT_EQ(sf32_min(kF32QNaN, F(-3.0f), &fl), F(-3.0f));
	EXPECT_EQ(sf32_max(F(-3.0f), kF32QNaN, &fl), F(-3.0f));
	EXPECT_EQ(fl, 0u);
	EXPECT_EQ(sf64_min(kF64SNaN, D(5.0), &fl), D(5.0));
	EXPECT_EQ(fl, SF_NV);
	fl = 0;
	EXPECT_EQ(sf64_max(kF64SNaN, kF64QNaN, &fl), SF_F64_CANON_NAN);
	EXPECT_EQ(fl, SF_NV);
	fl = 0;
	EXPECT_EQ(sf32_min(F(0.0f), F(-0.0f), &fl), F(-0.0f));
	EXPECT_EQ(sf32_min(F(-0.0f), F(0.0f), &fl), F(-0.0f));
	EXPECT_EQ(sf32_max(F(-0.0f), F(0.0f), &fl), F(0.0f));
	EXPECT_EQ(sf64_max(D(0.0), D(-0.0), &fl), D(0.0));
	EXPECT_EQ(sf64_min(D(0.0), D(-0.0), &fl), D(-0.0));
	EXPECT_EQ(sf64_min(D(-1e300), D(1e-300), &fl), D(-1e300));
	EXPECT_EQ(sf64_max(D(-1e300), D(1e-300), &fl), D(1e-300));
	EXPECT_EQ(fl, 0u);
}

TEST(Softfloat, FeqIsQuietButFltFleSignalOnQuietNaN)
{
	uint32_t fl = 0;

	EXPECT_EQ(sf32_eq(kF32QNaN, kF32QNaN, &fl), 0);
	EXPECT_EQ(fl, 0u);
	EXPECT_EQ(sf32_eq(kF32SNaN, F(1.0f), &fl), 0);
	EXPECT_EQ(fl, SF_NV);
	fl = 0;
	EXPECT_EQ(sf64_lt(kF64QNaN, D(1.0), &fl), 0);
	EXPECT_EQ(fl, SF_NV);
	fl = 0;
	EXPECT_EQ(sf64_le(D(1.0), kF64QNaN, &fl), 0);
	EXPECT_EQ(fl, SF_NV);
	fl = 0;
	EXPECT_EQ(sf64_eq(D(0.0), D(-0.0), &fl), 1);
	EXPECT_EQ(sf32_lt(F(-0.0f), F(0.0f), &fl), 0);
	EXPECT_EQ(sf32_le(F(0.0f), F(-0.0f), &fl), 1);
	EXPECT_EQ(sf64_lt(D(-2.0), D(-1.0), &fl), 1);
	EXPECT_EQ(fl, 0u);
}

TEST(Softfloat, FclassReportsAllTenClasses)
{
	const f32_t v32[10] = { 0xff800000u, F(-1.5f), 0x807fffffu, 0x80000000u, 0,
				1,           F(1e30f), kF32Inf,     kF32SNaN,    kF32QNaN };
	const f64_t v64[10] = { 0xfff0000000000000ull,
				D(-1e-300),
				0x8000000000000001ull,
				0x8000000000000000ull,
				0,
				0x000fffffffffffffull,
				D(3.0),
				kF64Inf,
				0x7ff4000000000000ull,
				0x7fffffffffffffffull };

	for (int i = 0; i < 10; i++) {
		EXPECT_EQ(sf32_class(v32[i]), 1u << i) << i;
		EXPECT_EQ(sf64_class(v64[i]), 1u << i) << i;
	}
	EXPECT_EQ(sf32_class(0xff800001u), 1u << 8); /* sign is ignored for NaN */
}

struct CvtCase {
	double in;
	int rm;
	int64_t want;
	uint32_t flags;
};

TEST(Softfloat, FcvtWSaturatesPerSpecTable)
{
	const double two31 = 2147483648.0;
	const CvtCase cases[] = {
		{ two31 - 1, SF_RNE, INT32_MAX, 0 },
		{ two31, SF_RNE, INT32_MAX, SF_NV },
		{ -two31, SF_RNE, INT32_MIN, 0 },
		{ -two31 - 1, SF_RNE, INT32_MIN, SF_NV },
		{ two31 - 0.5, SF_RNE, INT32_MAX, SF_NV }, /* rounds to 2^31 */
		{ two31 - 0.5, SF_RTZ, INT32_MAX, SF_NX },
		{ -two31 - 0.5, SF_RNE, INT32_MIN, SF_NX }, /* tie to even */
		{ -two31 - 0.5, SF_RMM, INT32_MIN, SF_NV },
		{ -two31 - 0.5, SF_RUP, INT32_MIN, SF_NX },
		{ INFINITY, SF_RNE, INT32_MAX, SF_NV },
		{ -INFINITY, SF_RNE, INT32_MIN, SF_NV },
		{ NAN, SF_RNE, INT32_MAX, SF_NV },
		{ -NAN, SF_RNE, INT32_MAX, SF_NV },
		{ -1e300, SF_RTZ, INT32_MIN, SF_NV },
		{ -0.0, SF_RNE, 0, 0 },
		{ 2.5, SF_RNE, 2, SF_NX },
		{ 2.5, SF_RMM, 3, SF_NX },
		{ -2.5, SF_RMM, -3, SF_NX },
		{ -2.5, SF_RDN, -3, SF_NX },
		{ -2.5, SF_RUP, -2, SF_NX },
		{ 0.5, SF_RMM, 1, SF_NX },
		{ -0.5, SF_RMM, -1, SF_NX },
		{ 0.49999999999999994, SF_RMM, 0, SF_NX },
		{ 3.5, SF_RNE, 4, SF_NX },
	};

	for (const CvtCase &c : cases) {
		uint32_t fl = 0;
		EXPECT_EQ(sf64_to_i32(D(c.in), c.rm, &fl), c.want) << c.in << " rm " << c.rm;
		EXPECT_EQ(fl, c.flags) << c.in << " rm " << c.rm;
	}
	/* The same saturation from binary32, and a signalling NaN. */
	uint32_t fl = 0;
	EXPECT_EQ(sf32_to_i32(F(3e9f), SF_RNE, &fl), INT32_MAX);
	EXPECT_EQ(sf32_to_i32(F(-3e9f), SF_RNE, &fl), INT32_MIN);
	EXPECT_EQ(sf32_to_i32(kF32SNaN, SF_RNE, &fl), INT32_MAX);
	EXPECT_EQ(fl, SF_NV);
}

TEST(Softfloat, FcvtWuSaturatesAndSignExtends)
{
	const double two32 = 4294967296.0;
	const CvtCase cases[] = {
		{ -0.3, SF_RTZ, 0, SF_NX }, /* rounds to 0: in range */
		{ -0.3, SF_RNE, 0, SF_NX },
		{ -0.3, SF_RDN, 0, SF_NV }, /* rounds to -1 */
		{ -0.7, SF_RNE, 0, SF_NV },
		{ -0.7, SF_RTZ, 0, SF_NX },
		{ -0.5, SF_RMM, 0, SF_NV },
		{ -0.5, SF_RNE, 0, SF_NX },
		{ -1.0, SF_RTZ, 0, SF_NV },
		{ -0.0, SF_RNE, 0, 0 },
		{ -INFINITY, SF_RNE, 0, SF_NV },
		{ two32 - 1, SF_RNE, -1, 0 }, /* 0xffffffff sign-extended */
		{ 3e9, SF_RNE, (int64_t)0xffffffffb2d05e00ull, 0 },
		{ two32 - 0.5, SF_RDN, -1, SF_NX },
		{ two32 - 0.5, SF_RNE, -1, SF_NV },
		{ two32, SF_RNE, -1, SF_NV },
		{ INFINITY, SF_RNE, -1, SF_NV },
		{ NAN, SF_RNE, -1, SF_NV },
		{ 1.0, SF_RNE, 1, 0 },
	};

	for (const CvtCase &c : cases) {
		uint32_t fl = 0;
		EXPECT_EQ(sf64_to_u32(D(c.in), c.rm, &fl), c.want) << c.in << " rm " << c.rm;
		EXPECT_EQ(fl, c.flags) << c.in << " rm " << c.rm;
	}
	uint32_t fl = 0;
	EXPECT_EQ(sf32_to_u32(F(-0.3f), SF_RTZ, &fl), 0);
	EXPECT_EQ(fl, SF_NX);
	fl = 0;
	EXPECT_EQ(sf32_to_u32(F(-1.0f), SF_RTZ, &fl), 0);
	EXPECT_EQ(fl, SF_NV);
}

TEST(Softfloat, FcvtLAndLuSaturatePerSpecTable)
{
	const float two63 = 9223372036854775808.0f, two64 = 18446744073709551616.0f;
	uint32_t fl = 0;

	EXPECT_EQ(sf32_to_i64(F(two63), SF_RNE, &fl), INT64_MAX);
	EXPECT_EQ(fl, SF_NV);
	fl = 0;
	EXPECT_EQ(sf32_to_i64(F(-two63), SF_RNE, &fl), INT64_MIN);
	EXPECT_EQ(fl, 0u);
	EXPECT_EQ(sf64_to_i64(D(-1e19), SF_RNE, &fl), INT64_MIN);
	EXPECT_EQ(fl, SF_NV);
	fl = 0;
	EXPECT_EQ(sf64_to_i64(kF64QNaN, SF_RNE, &fl), INT64_MAX);
	EXPECT_EQ(sf64_to_i64(0xfff0000000000000ull, SF_RNE, &fl), INT64_MIN);
	EXPECT_EQ(sf64_to_i64(D(9223372036854774784.0), SF_RNE, &fl), 9223372036854774784ll);
	EXPECT_EQ(fl, SF_NV);
	fl = 0;

	EXPECT_EQ(sf32_to_u64(F(two64), SF_RNE, &fl), UINT64_MAX);
	EXPECT_EQ(fl, SF_NV);
	fl = 0;
	EXPECT_EQ(sf64_to_u64(D(18446744073709549568.0), SF_RNE, &fl), 18446744073709549568ull);
	EXPECT_EQ(fl, 0u);
	EXPECT_EQ(sf64_to_u64(kF64SNaN, SF_RNE, &fl), UINT64_MAX);
	EXPECT_EQ(fl, SF_NV);
	fl = 0;
	EXPECT_EQ(sf64_to_u64(0xfff0000000000000ull, SF_RNE, &fl), 0u);
	EXPECT_EQ(fl, SF_NV);
	fl = 0;
	EXPECT_EQ(sf64_to_u64(D(-0.9), SF_RTZ, &fl), 0u);
	EXPECT_EQ(fl, SF_NX);
	fl = 0;
	EXPECT_EQ(sf64_to_u64(D(-0.9), SF_RUP, &fl), 0u);
	EXPECT_EQ(fl, SF_NX);
	fl = 0;
	EXPECT_EQ(sf64_to_u64(D(-0.9), SF_RMM, &fl), 0u);
	EXPECT_EQ(fl, SF_NV);
	fl = 0;
	EXPECT_EQ(sf32_to_u64(1, SF_RUP, &fl), 1u); /* min subnormal rounds up */
	EXPECT_EQ(fl, SF_NX);
}

TEST(Softfloat, RmmBreaksArithmeticTiesAwayFromZero)
{
	uint32_t fl = 0;
	const f32_t one_plus_half_ulp = F(0x1p-24f);

	/* 1 + 2^-24 lies exactly between 1 and 1 + 2^-23. */
	EXPECT_EQ(sf32_add(F(1.0f), one_plus_half_ulp, SF_RNE, &fl), F(1.0f));
	EXPECT_EQ(sf32_add(F(1.0f), one_plus_half_ulp, SF_RMM, &fl), F(1.0f + 0x1p-23f));
	EXPECT_EQ(sf32_sub(F(-1.0f), one_plus_half_ulp, SF_RMM, &fl), F(-1.0f - 0x1p-23f));
	EXPECT_EQ(fl, SF_NX);
	fl = 0;
	/* (1 + 2^-30)^2 = 1 + 2^-29 + 2^-60: below half an ulp, not a tie. */
	EXPECT_EQ(sf64_mul(D(1.0 + 0x1p-30), D(1.0 + 0x1p-30), SF_RMM, &fl), D(1.0 + 0x1p-29));
	/* (2^26 + 1)(2^27 + 1) = 2^53 + 2^27 + 2^26 + 1, odd, so halfway
	 * between two binary64 integers; the lower one is even. */
	EXPECT_EQ(sf64_mul(D(67108865.0), D(134217729.0), SF_RNE, &fl), D(9007199456067584.0));
	EXPECT_EQ(sf64_mul(D(67108865.0), D(134217729.0), SF_RMM, &fl), D(9007199456067586.0));
	EXPECT_EQ(sf64_mul(D(-67108865.0), D(134217729.0), SF_RMM, &fl), D(-9007199456067586.0));
	/* A tie whose even neighbour is the upper one: both modes agree. */
	EXPECT_EQ(sf64_mul(D(3.0), D(1.0 + 0x1p-52), SF_RNE, &fl), D(3.0 + 0x1p-50));
	EXPECT_EQ(sf64_mul(D(3.0), D(1.0 + 0x1p-52), SF_RMM, &fl), D(3.0 + 0x1p-50));
	/* 1 + 2^-53 in binary64. */
	EXPECT_EQ(sf64_add(D(1.0), D(0x1p-53), SF_RNE, &fl), D(1.0));
	EXPECT_EQ(sf64_add(D(1.0), D(0x1p-53), SF_RMM, &fl), D(1.0 + 0x1p-52));
	/* Integer ties: 2^24 + 1 -> 2^24 (RNE) or 2^24 + 2 (RMM). */
	EXPECT_EQ(sf32_from_i32(16777217, SF_RNE, &fl), F(16777216.0f));
	EXPECT_EQ(sf32_from_i32(16777217, SF_RMM, &fl), F(16777218.0f));
	EXPECT_EQ(sf32_from_i64(-16777217, SF_RMM, &fl), F(-16777218.0f));
	/* RMM overflows to infinity like RNE. */
	EXPECT_EQ(sf32_mul(0x7f7fffffu, F(2.0f), SF_RMM, &fl), kF32Inf);
	EXPECT_EQ(fl, SF_NX | SF_OF);
}

TEST(Softfloat, OverflowResultDependsOnRoundingMode)
{
	const f64_t max = 0x7fefffffffffffffull, sign = 1ull << 63;
	const f64_t want_pos[5] = { kF64Inf, max, max, kF64Inf, kF64Inf };
	const f64_t want_neg[5] = { kF64Inf | sign, max | sign, kF64Inf | sign, max | sign,
				    kF64Inf | sign };

	for (int rm = 0; rm < 5; rm++) {
		uint32_t fl = 0;
		EXPECT_EQ(sf64_add(max, max, rm, &fl), want_pos[rm]) << rm;
		EXPECT_EQ(sf64_mul(max | sign, D(2.0), rm, &fl), want_neg[rm]) << rm;
		EXPECT_EQ(fl, SF_OF | SF_NX) << rm;
	}
}

TEST(Softfloat, UnderflowIsDetectedAfterRounding)
{
	/* (1 - 2^-27) * (1 + 2^-27) * 2^-1022 = 2^-1022 * (1 - 2^-54): tiny
	 * before rounding, but rounds to 2^-1022 at 53 bits under RNE/RMM/RUP. */
	const f64_t a = D(1.0 - 0x1p-27), b = D((1.0 + 0x1p-27) * 0x1p-1022);
	const f64_t min_normal = 0x0010000000000000ull;
	const f64_t want[5] = { min_normal, min_normal - 1, min_normal - 1, min_normal,
				min_normal };
	const uint32_t want_fl[5] = { SF_NX, SF_NX | SF_UF, SF_NX | SF_UF, SF_NX, SF_NX };

	for (int rm = 0; rm < 5; rm++) {
		uint32_t fl = 0;
		EXPECT_EQ(sf64_mul(a, b, rm, &fl), want[rm]) << rm;
		EXPECT_EQ(fl, want_fl[rm]) << rm;
	}
	/* binary32 via fma: 2^-126 - 2^-151 = 2^-126 * (1 - 2^-25). */
	uint32_t fl = 0;
	EXPECT_EQ(sf32_fma(F(0x1p-76f), F(-0x1p-75f), F(0x1p-126f), SF_RNE, &fl), F(0x1p-126f));
	EXPECT_EQ(fl, SF_NX);
	fl = 0;
	EXPECT_EQ(sf32_fma(F(0x1p-76f), F(-0x1p-75f), F(0x1p-126f), SF_RTZ, &fl), 0x007fffffu);
	EXPECT_EQ(fl, SF_NX | SF_UF);
	/* An exact subnormal result raises no UF. */
	fl = 0;
	EXPECT_EQ(sf32_mul(F(0x1p-140f), F(0x1p-9f), SF_RNE, &fl), 1u);
	EXPECT_EQ(fl, 0u);
}

TEST(SoftfloatHost, HostAlsoDetectsTininessAfterRounding)
{
	/* Documents the x86 finding the differential tests rely on. */
	double r;
	uint32_t hf = host_exec(SF_RNE,
				[&] { r = host_muld(1.0 - 0x1p-27, (1.0 + 0x1p-27) * 0x1p-1022); });
	EXPECT_EQ(r, 0x1p-1022);
	EXPECT_EQ(hf, SF_NX);
}

TEST(SoftfloatHost, HostFmaIsFusedAndCorrectlyRounded)
{
	/* Precondition of the fma differential tests: libm's fma/fmaf round
	 * once, honour the dynamic rounding mode and raise exact flags. */
	double r;
	float rf;
	uint32_t hf = host_exec(SF_RNE, [&] { r = host_fmad(1.0 + 0x1p-30, 1.0 + 0x1p-30, -1.0); });
	EXPECT_EQ(r, 0x1p-29 + 0x1p-60);
	EXPECT_EQ(hf, 0u);
	hf = host_exec(SF_RUP, [&] { rf = host_fmas(1.0f + 0x1p-23f, 1.0f + 0x1p-23f, 0x1p-30f); });
	EXPECT_EQ(rf, 1.0f + 0x1p-22f + 0x1p-23f);
	EXPECT_EQ(hf, SF_NX);
}

TEST(Softfloat, FmaRaisesInvalidForInfTimesZeroEvenWithQuietNaN)
{
	uint32_t fl = 0;

	EXPECT_EQ(sf32_fma(kF32Inf, 0, kF32QNaN, SF_RNE, &fl), SF_F32_CANON_NAN);
	EXPECT_EQ(fl, SF_NV);
	fl = 0;
	EXPECT_EQ(sf64_fma(0x8000000000000000ull, kF64Inf, 0xfff8000000000123ull, SF_RNE, &fl),
		  SF_F64_CANON_NAN);
	EXPECT_EQ(fl, SF_NV);
	fl = 0;
	EXPECT_EQ(sf64_fma(kF64Inf, 0, D(1.0), SF_RNE, &fl), SF_F64_CANON_NAN);
	EXPECT_EQ(fl, SF_NV);
	fl = 0;
	EXPECT_EQ(sf64_fma(kF64QNaN, D(0.0), D(1.0), SF_RNE, &fl), SF_F64_CANON_NAN);
	EXPECT_EQ(sf32_fma(kF32Inf, F(2.0f), kF32QNaN, SF_RNE, &fl), SF_F32_CANON_NAN);
	EXPECT_EQ(fl, 0u);
	EXPECT_EQ(sf32_fma(F(1.0f), F(1.0f), kF32SNaN, SF_RNE, &fl), SF_F32_CANON_NAN);
	EXPECT_EQ(fl, SF_NV);
	fl = 0;
	EXPECT_EQ(sf32_fma(kF32Inf, F(1.0f), kF32Inf | 0x80000000u, SF_RNE, &fl), SF_F32_CANON_NAN);
	EXPECT_EQ(fl, SF_NV);
}

TEST(Softfloat, FmaRoundsOnceAndSignsExactZeros)
{
	uint32_t fl = 0;

	/* (1 + 2^-12)^2 - 1 = 2^-11 + 2^-24 exactly; rounding the product
	 * first (a tie at 1 + 2^-11 + 2^-24) would lose the 2^-24 term. */
	EXPECT_EQ(sf32_fma(F(1.0f + 0x1p-12f), F(1.0f + 0x1p-12f), F(-1.0f), SF_RNE, &fl),
		  F(0x1p-11f + 0x1p-24f));
	EXPECT_EQ(fl, 0u);
	EXPECT_EQ(sf64_fma(D(1.0), D(1.0), D(-1.0), SF_RNE, &fl), D(0.0));
	EXPECT_EQ(sf64_fma(D(1.0), D(1.0), D(-1.0), SF_RDN, &fl), D(-0.0));
	EXPECT_EQ(sf64_fma(D(-0.0), D(1.0), D(-0.0), SF_RNE, &fl), D(-0.0));
	EXPECT_EQ(sf64_fma(D(-0.0), D(1.0), D(0.0), SF_RNE, &fl), D(0.0));
	EXPECT_EQ(sf64_fma(D(0.0), D(5.0), D(-7.0), SF_RNE, &fl), D(-7.0));
	EXPECT_EQ(fl, 0u);
}

TEST(Softfloat, SqrtHandlesZerosInfinityAndSubnormals)
{
	uint32_t fl = 0;

	EXPECT_EQ(sf64_sqrt(D(-0.0), SF_RNE, &fl), D(-0.0));
	EXPECT_EQ(sf32_sqrt(F(0.0f), SF_RNE, &fl), F(0.0f));
	EXPECT_EQ(sf64_sqrt(kF64Inf, SF_RNE, &fl), kF64Inf);
	EXPECT_EQ(sf32_sqrt(F(4.0f), SF_RNE, &fl), F(2.0f));
	EXPECT_EQ(sf64_sqrt(1, SF_RNE, &fl), D(0x1p-537)); /* sqrt(2^-1074) */
	EXPECT_EQ(fl, 0u);
	EXPECT_EQ(sf64_sqrt(0xfff0000000000000ull, SF_RNE, &fl), SF_F64_CANON_NAN);
	EXPECT_EQ(fl, SF_NV);
	fl = 0;
	EXPECT_EQ(sf64_sqrt(D(2.0), SF_RTZ, &fl), D(1.4142135623730949));
	EXPECT_EQ(sf64_sqrt(D(2.0), SF_RUP, &fl), D(1.4142135623730951));
	EXPECT_EQ(fl, SF_NX);
}

TEST(Softfloat, ConversionsBetweenFormats)
{
	uint32_t fl = 0;

	EXPECT_EQ(sf32_to_f64(1, &fl), D(0x1p-149)); /* subnormal becomes normal */
	EXPECT_EQ(sf32_to_f64(0xff800000u, &fl), 0xfff0000000000000ull);
	EXPECT_EQ(sf32_to_f64(0x80000000u, &fl), 0x8000000000000000ull);
	EXPECT_EQ(fl, 0u);
	EXPECT_EQ(sf64_to_f32(D(1e300), SF_RTZ, &fl), 0x7f7fffffu);
	EXPECT_EQ(fl, SF_OF | SF_NX);
	fl = 0;
	EXPECT_EQ(sf64_to_f32(D(-1e-300), SF_RDN, &fl), 0x80000001u);
	EXPECT_EQ(fl, SF_UF | SF_NX);
	fl = 0;
	EXPECT_EQ(sf64_to_f32(D(0x1p-149 * 1.5), SF_RMM, &fl), 2u); /* subnormal tie */
	EXPECT_EQ(sf64_to_f32(D(0x1p-149 * 2.5), SF_RNE, &fl), 2u);
	EXPECT_EQ(fl, SF_UF | SF_NX);
	fl = 0;
	EXPECT_EQ(sf32_from_i32(0, SF_RDN, &fl), 0u); /* fcvt.s.w rd, x0 is +0 */
	EXPECT_EQ(sf64_from_u64(UINT64_MAX, SF_RTZ, &fl), D(0x1.fffffffffffffp63));
	EXPECT_EQ(fl, SF_NX);
}

/* ---------- part 3: RMM against an exact tie oracle ---------- */

/*
 * Host results under RNE, RDN and RUP bracket the exact value. If RDN and
 * RUP differ and the exact value equals their midpoint (tested exactly by
 * is_tie in wider arithmetic), RMM picks the larger magnitude; otherwise
 * it equals RNE. Flags always equal those of RNE (a tie at the top of the
 * range overflows in both; a tie just below 2^emin rounds to 2^emin in
 * both, the even neighbour being the power of two). Returns whether the
 * case was a tie.
 */
template <typename H, typename W>
bool rmm_want(H rne, H rdn, H rup, const std::function<bool(W)> &is_tie, uint64_t *want)
{
	*want = want_bits(rne);
	if (std::isnan(rne) || std::isinf(rdn) || std::isinf(rup) || rdn == rup)
		return false;
	if (!is_tie(((W)rdn + (W)rup) / 2))
		return false;
	*want = to_bits(std::fabs(rdn) > std::fabs(rup) ? rdn : rup);
	return true;
}

/* s + err == a + b exactly (TwoSum, round to nearest, no overflow). */
template <typename W> bool sum_equals(W a, W b, W m)
{
	W s = a + b, bb = s - a, err = (a - (s - bb)) + (b - bb);

	return s == m && err == 0;
}

template <typename H> struct SfOps {
	using U = typename Traits<H>::U;
	U (*add)(U, U, int, uint32_t *);
	U (*sub)(U, U, int, uint32_t *);
	U (*mul)(U, U, int, uint32_t *);
	U (*div)(U, U, int, uint32_t *);
	U (*sqrt)(U, int, uint32_t *);
	U (*fma)(U, U, U, int, uint32_t *);
	H (*host_add)(H, H);
	H (*host_sub)(H, H);
	H (*host_mul)(H, H);
	H (*host_div)(H, H);
	H (*host_sqrt)(H);
	H (*host_fma)(H, H, H);
};

const SfOps<float> kOps32 = { sf32_add,  sf32_sub,  sf32_mul,  sf32_div,  sf32_sqrt,  sf32_fma,
			      host_adds, host_subs, host_muls, host_divs, host_sqrts, host_fmas };
const SfOps<double> kOps64 = { sf64_add,  sf64_sub,  sf64_mul,  sf64_div,  sf64_sqrt,  sf64_fma,
			       host_addd, host_subd, host_muld, host_divd, host_sqrtd, host_fmad };

/* W holds every product and midpoint product exactly: double for binary32
 * (2*24+1 bits), __float128 for binary64 (2*53+1 bits). */
template <typename H, typename W>
void rmm_arith(const char *name, const SfOps<H> &ops, uint64_t seed)
{
	using U = typename Traits<H>::U;
	constexpr U kMag = ((U)1 << (Traits<H>::kFrac + Traits<H>::kExpBits)) - 1;
	constexpr U kInf = (U)Gen<H>::kMaxField << Traits<H>::kFrac;
	static const char *const kOpNames[6] = { "add", "sub", "mul", "div", "sqrt", "fma" };
	Gen<H> g(seed);
	Mismatches mm(name);
	int ties[6] = { 0 };

	for (int i = 0; i < 6 * kCases; i++) {
		const int op = i % 6;
		U a = g.value();
		U b = g.operand_for(a, op == 2 || op == 5 ? Gen<H>::Rel::kMul :
				       op == 3            ? Gen<H>::Rel::kDiv :
							    Gen<H>::Rel::kAdd);
		U c = fma_addend<H>(g, a, b, ops.mul);
		H x = from_bits<H>(a), y = from_bits<H>(b), z = from_bits<H>(c);
		W wx = x, wy = y, wz = z;
		H host[4];
		uint32_t host_fl[4];

		if (op == 4 && g.pct(80))
			a &= kMag, x = from_bits<H>(a), wx = x;
		for (int rm : { SF_RNE, SF_RDN, SF_RUP }) {
			host_fl[rm] = host_exec(rm, [&] {
				switch (op) {
				case 0:
					host[rm] = ops.host_add(x, y);
					break;
				case 1:
					host[rm] = ops.host_sub(x, y);
					break;
				case 2:
					host[rm] = ops.host_mul(x, y);
					break;
				case 3:
					host[rm] = ops.host_div(x, y);
					break;
				case 4:
					host[rm] = ops.host_sqrt(x);
					break;
				default:
					host[rm] = ops.host_fma(x, y, z);
					break;
				}
			});
		}
		std::function<bool(W)> is_tie = [&](W m) {
			switch (op) {
			case 0:
				return sum_equals<W>(wx, wy, m);
			case 1:
				return sum_equals<W>(wx, -wy, m);
			case 2:
				return wx * wy == m;
			case 3:
				return wx == m * wy;
			case 4:
				return wx == m * m;
			default:
				return sum_equals<W>(wx * wy, wz, m);
			}
		};
		uint64_t want;
		uint32_t want_fl = host_fl[SF_RNE];
		if (rmm_want<H, W>(host[SF_RNE], host[SF_RDN], host[SF_RUP], is_tie, &want))
			ties[op]++;
		if (op == 5 && is_nan<H>(c) &&
		    (((a & kMag) == kInf && (b & kMag) == 0) ||
		     ((a & kMag) == 0 && (b & kMag) == kInf)))
			want_fl |= SF_NV; /* x86 differs on purpose */

		uint32_t of = 0;
		U got;
		switch (op) {
		case 0:
			got = ops.add(a, b, SF_RMM, &of);
			break;
		case 1:
			got = ops.sub(a, b, SF_RMM, &of);
			break;
		case 2:
			got = ops.mul(a, b, SF_RMM, &of);
			break;
		case 3:
			got = ops.div(a, b, SF_RMM, &of);
			break;
		case 4:
			got = ops.sqrt(a, SF_RMM, &of);
			break;
		default:
			got = ops.fma(a, b, c, SF_RMM, &of);
			break;
		}
		mm.check(op, { a, b, c }, got, of, want, want_fl);
	}
	/*
	 * The generator must really produce ties, or this test proves little.
	 * A square root is never exactly halfway between two floats. Neither
	 * is a quotient with a normal result (a = m*b needs more bits than a
	 * has unless b is a power of two), so division ties come only from
	 * subnormal results and are rarer.
	 */
	for (int op = 0; op < 6; op++) {
		if (op == 4)
			EXPECT_EQ(ties[op], 0) << name << " sqrt";
		else
			EXPECT_GT(ties[op], op == 3 ? 5 : 200) << name << " " << kOpNames[op];
	}
}

TEST(SoftfloatRmm, F32ArithmeticTiesRoundAwayFromZero)
{
	rmm_arith<float, double>("f32 rmm", kOps32, 23);
}

TEST(SoftfloatRmm, F64ArithmeticTiesRoundAwayFromZero)
{
	rmm_arith<double, __float128>("f64 rmm", kOps64, 24);
}

TEST(SoftfloatRmm, F64ToF32TiesRoundAwayFromZero)
{
	Gen<double> g(25);
	Mismatches mm("f64->f32 rmm");
	int ties = 0;

	for (int i = 0; i < kCases; i++) {
		f64_t a = g.pct(20) ? g.value() : g.with_field(1023 + g.range(-160, 130));
		double x = from_bits<double>(a);
		float host[4];
		uint32_t host_fl[4];

		for (int rm : { SF_RNE, SF_RDN, SF_RUP })
			host_fl[rm] = host_exec(rm, [&] { host[rm] = host_d_to_s(x); });
		uint64_t want;
		std::function<bool(double)> is_tie = [&](double m) { return x == m; };
		ties += rmm_want<float, double>(host[SF_RNE], host[SF_RDN], host[SF_RUP], is_tie,
						&want);
		uint32_t of = 0;
		f32_t got = sf64_to_f32(a, SF_RMM, &of);
		mm.check(SF_RMM, { a }, got, of, want, host_fl[SF_RNE]);
	}
	EXPECT_GT(ties, 200);
}

template <typename H>
void rmm_from_int(const char *name, typename Traits<H>::U (*from_i64)(int64_t, int, uint32_t *),
		  typename Traits<H>::U (*from_u64)(uint64_t, int, uint32_t *), uint64_t seed)
{
	std::mt19937_64 rng(seed);
	Mismatches mm(name);
	int ties = 0;

	for (int i = 0; i < kCases; i++) {
		uint64_t v = random_int(rng);
		bool is_signed = rng() % 2;
		/* long double has 64 significand bits: every integer is exact. */
		long double exact = is_signed ? (long double)(int64_t)v : (long double)v;
		H host[4];
		uint32_t host_fl[4];

		for (int rm : { SF_RNE, SF_RDN, SF_RUP })
			host_fl[rm] = host_exec(rm, [&] {
				host[rm] = is_signed ? host_from_i64<H>((int64_t)v) :
						       host_from_u64<H>(v);
			});
		uint64_t want;
		std::function<bool(long double)> is_tie = [&](long double m) { return exact == m; };
		ties += rmm_want<H, long double>(host[SF_RNE], host[SF_RDN], host[SF_RUP], is_tie,
						 &want);
		uint32_t of = 0;
		uint64_t got = is_signed ? from_i64((int64_t)v, SF_RMM, &of) :
					   from_u64(v, SF_RMM, &of);
		mm.check(is_signed, { v }, got, of, want, host_fl[SF_RNE]);
	}
	EXPECT_GT(ties, 200);
}

TEST(SoftfloatRmm, IntToF32TiesRoundAwayFromZero)
{
	rmm_from_int<float>("int->f32 rmm", sf32_from_i64, sf32_from_u64, 26);
}

TEST(SoftfloatRmm, IntToF64TiesRoundAwayFromZero)
{
	rmm_from_int<double>("int->f64 rmm", sf64_from_i64, sf64_from_u64, 27);
}

} // namespace
