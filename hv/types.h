/* SPDX-License-Identifier: MIT */
/*
 * Types shared by every part of the machine.
 *
 * A number that carries a meaning gets an alias: gpa_t is a guest physical
 * address, gva_t a guest virtual address, icount_t a count of retired
 * instructions (the machine's only clock, ARCHITECTURE.md section 1).
 */
#ifndef HV_TYPES_H
#define HV_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h" /* struct hv_err, hv_err_set */

typedef uint64_t gpa_t;
typedef uint64_t gva_t;
typedef uint64_t icount_t;

#define HV_PAGE_SHIFT 12
#define HV_PAGE_SIZE (1ull << HV_PAGE_SHIFT)
#define HV_PAGE_MASK (HV_PAGE_SIZE - 1)

#define HV_LIKELY(x) __builtin_expect(!!(x), 1)
#define HV_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define HV_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#endif
