/* SPDX-License-Identifier: MIT */
/*
 * IEEE 754-2008 binary32 and binary64 arithmetic in software, with the
 * RISC-V F/D semantics (unprivileged spec, chapters "F" and "D"):
 * five rounding modes, exact accrued exception flags, canonical NaNs
 * (0x7fc00000 / 0x7ff8000000000000) for every NaN result, no NaN payload
 * propagation, RISC-V saturating float-to-integer conversions, and
 * fmin/fmax per IEEE 754-2019 minimumNumber/maximumNumber (with -0 < +0).
 *
 * Pure functions on bit patterns; nothing depends on the host FPU, so
 * results are identical on every host (determinism contract).
 * NaN-boxing of binary32 values in 64-bit registers is the caller's job.
 */
#ifndef HV_SOFTFLOAT_H
#define HV_SOFTFLOAT_H

#include <stdint.h>

/* Rounding modes, as encoded in the frm CSR and the rm field. */
enum sf_rm {
	SF_RNE = 0, /* to nearest, ties to even */
	SF_RTZ = 1, /* towards zero */
	SF_RDN = 2, /* down (towards -inf) */
	SF_RUP = 3, /* up (towards +inf) */
	SF_RMM = 4, /* to nearest, ties to max magnitude */
};

/* Exception flags, as encoded in fflags; functions OR them into *flags. */
#define SF_NX 0x01u /* inexact */
#define SF_UF 0x02u /* underflow (detected after rounding, as RISC-V does) */
#define SF_OF 0x04u /* overflow */
#define SF_DZ 0x08u /* divide by zero */
#define SF_NV 0x10u /* invalid */

#define SF_F32_CANON_NAN 0x7fc00000u
#define SF_F64_CANON_NAN 0x7ff8000000000000ull

typedef uint32_t f32_t;
typedef uint64_t f64_t;

/*
 * The functions of each format W: 32 (binary32, f32_t) and 64 (binary64,
 * f64_t), declared once for both by SF_DECLARE_FORMAT.
 *
 * Arithmetic: sfW_add, sfW_sub, sfW_mul, sfW_div, sfW_sqrt, sfW_fma,
 * sfW_min, sfW_max. fma computes a*b+c with one rounding; the
 * fmsub/fnmsub/fnmadd forms are obtained by the caller flipping signs of
 * operands (the spec defines them that way, so NaN handling is unchanged).
 *
 * Comparisons sfW_eq, sfW_lt, sfW_le: feq is quiet (NV only for
 * signalling NaN inputs), flt/fle are signalling (NV for any NaN input).
 * Return 0 or 1.
 *
 * sfW_class (fclass): the 10-bit one-hot mask of the spec's FCLASS table.
 *
 * Float -> integer, sfW_to_i32, sfW_to_u32, sfW_to_i64, sfW_to_u64, RISC-V
 * rules: round per rm; NaN and +overflow give the largest value,
 * -overflow the smallest; NV on those, NX if inexact. The 32-bit results
 * are returned sign-extended to 64 bits as fcvt.w[u] writes them.
 *
 * Integer -> float: sfW_from_i32, sfW_from_u32, sfW_from_i64, sfW_from_u64.
 */
#define SF_DECLARE_FORMAT(W)                                                               \
	f##W##_t sf##W##_add(f##W##_t a, f##W##_t b, int rm, uint32_t *flags);             \
	f##W##_t sf##W##_sub(f##W##_t a, f##W##_t b, int rm, uint32_t *flags);             \
	f##W##_t sf##W##_mul(f##W##_t a, f##W##_t b, int rm, uint32_t *flags);             \
	f##W##_t sf##W##_div(f##W##_t a, f##W##_t b, int rm, uint32_t *flags);             \
	f##W##_t sf##W##_sqrt(f##W##_t a, int rm, uint32_t *flags);                        \
	f##W##_t sf##W##_fma(f##W##_t a, f##W##_t b, f##W##_t c, int rm, uint32_t *flags); \
	f##W##_t sf##W##_min(f##W##_t a, f##W##_t b, uint32_t *flags);                     \
	f##W##_t sf##W##_max(f##W##_t a, f##W##_t b, uint32_t *flags);                     \
	int sf##W##_eq(f##W##_t a, f##W##_t b, uint32_t *flags);                           \
	int sf##W##_lt(f##W##_t a, f##W##_t b, uint32_t *flags);                           \
	int sf##W##_le(f##W##_t a, f##W##_t b, uint32_t *flags);                           \
	uint32_t sf##W##_class(f##W##_t a);                                                \
	int64_t sf##W##_to_i32(f##W##_t a, int rm, uint32_t *flags);                       \
	int64_t sf##W##_to_u32(f##W##_t a, int rm, uint32_t *flags);                       \
	int64_t sf##W##_to_i64(f##W##_t a, int rm, uint32_t *flags);                       \
	uint64_t sf##W##_to_u64(f##W##_t a, int rm, uint32_t *flags);                      \
	f##W##_t sf##W##_from_i32(int32_t v, int rm, uint32_t *flags);                     \
	f##W##_t sf##W##_from_u32(uint32_t v, int rm, uint32_t *flags);                    \
	f##W##_t sf##W##_from_i64(int64_t v, int rm, uint32_t *flags);                     \
	f##W##_t sf##W##_from_u64(uint64_t v, int rm, uint32_t *flags)

SF_DECLARE_FORMAT(32);
SF_DECLARE_FORMAT(64);

/* Between formats. */
f64_t sf32_to_f64(f32_t a, uint32_t *flags);
f32_t sf64_to_f32(f64_t a, int rm, uint32_t *flags);

#endif
