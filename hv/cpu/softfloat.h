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

/* Arithmetic. fma computes a*b+c with one rounding; the fmsub/fnmsub/fnmadd
 * forms are obtained by the caller flipping signs of operands (the spec
 * defines them that way, so NaN handling is unchanged). */
f32_t sf32_add(f32_t a, f32_t b, int rm, uint32_t *flags);
f32_t sf32_sub(f32_t a, f32_t b, int rm, uint32_t *flags);
f32_t sf32_mul(f32_t a, f32_t b, int rm, uint32_t *flags);
f32_t sf32_div(f32_t a, f32_t b, int rm, uint32_t *flags);
f32_t sf32_sqrt(f32_t a, int rm, uint32_t *flags);
f32_t sf32_fma(f32_t a, f32_t b, f32_t c, int rm, uint32_t *flags);
f32_t sf32_min(f32_t a, f32_t b, uint32_t *flags);
f32_t sf32_max(f32_t a, f32_t b, uint32_t *flags);

f64_t sf64_add(f64_t a, f64_t b, int rm, uint32_t *flags);
f64_t sf64_sub(f64_t a, f64_t b, int rm, uint32_t *flags);
f64_t sf64_mul(f64_t a, f64_t b, int rm, uint32_t *flags);
f64_t sf64_div(f64_t a, f64_t b, int rm, uint32_t *flags);
f64_t sf64_sqrt(f64_t a, int rm, uint32_t *flags);
f64_t sf64_fma(f64_t a, f64_t b, f64_t c, int rm, uint32_t *flags);
f64_t sf64_min(f64_t a, f64_t b, uint32_t *flags);
f64_t sf64_max(f64_t a, f64_t b, uint32_t *flags);

/* Comparisons: feq is quiet (NV only for signalling NaN inputs), flt/fle
 * are signalling (NV for any NaN input). Return 0 or 1. */
int sf32_eq(f32_t a, f32_t b, uint32_t *flags);
int sf32_lt(f32_t a, f32_t b, uint32_t *flags);
int sf32_le(f32_t a, f32_t b, uint32_t *flags);
int sf64_eq(f64_t a, f64_t b, uint32_t *flags);
int sf64_lt(f64_t a, f64_t b, uint32_t *flags);
int sf64_le(f64_t a, f64_t b, uint32_t *flags);

/* fclass: the 10-bit one-hot mask of the spec's FCLASS table. */
uint32_t sf32_class(f32_t a);
uint32_t sf64_class(f64_t a);

/* Float -> integer, RISC-V rules: round per rm; NaN and +overflow give the
 * largest value, -overflow the smallest; NV on those, NX if inexact. The
 * 32-bit results are returned sign-extended to 64 bits as fcvt.w[u] writes
 * them. */
int64_t sf32_to_i32(f32_t a, int rm, uint32_t *flags);
int64_t sf32_to_u32(f32_t a, int rm, uint32_t *flags);
int64_t sf32_to_i64(f32_t a, int rm, uint32_t *flags);
uint64_t sf32_to_u64(f32_t a, int rm, uint32_t *flags);
int64_t sf64_to_i32(f64_t a, int rm, uint32_t *flags);
int64_t sf64_to_u32(f64_t a, int rm, uint32_t *flags);
int64_t sf64_to_i64(f64_t a, int rm, uint32_t *flags);
uint64_t sf64_to_u64(f64_t a, int rm, uint32_t *flags);

/* Integer -> float. */
f32_t sf32_from_i32(int32_t v, int rm, uint32_t *flags);
f32_t sf32_from_u32(uint32_t v, int rm, uint32_t *flags);
f32_t sf32_from_i64(int64_t v, int rm, uint32_t *flags);
f32_t sf32_from_u64(uint64_t v, int rm, uint32_t *flags);
f64_t sf64_from_i32(int32_t v, int rm, uint32_t *flags);
f64_t sf64_from_u32(uint32_t v, int rm, uint32_t *flags);
f64_t sf64_from_i64(int64_t v, int rm, uint32_t *flags);
f64_t sf64_from_u64(uint64_t v, int rm, uint32_t *flags);

/* Between formats. */
f64_t sf32_to_f64(f32_t a, uint32_t *flags);
f32_t sf64_to_f32(f64_t a, int rm, uint32_t *flags);

#endif
