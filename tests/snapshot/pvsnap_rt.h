/* SPDX-License-Identifier: MIT */
/*
 * A minimal runtime for the snapshot test guests (pvsnap.c, pvsnap_smp.c,
 * pvloop.c): S-mode entry for up to PVRT_MAX_HARTS harts, SBI calls, a
 * console printf through the SBI debug console (DBCN, SBI v2.0 chapter 12)
 * and shutdown through SRST.
 *
 * These guests only run on Retrovisor (they use its paravirtual extension),
 * entered by its paravirtual boot in S-mode at the ELF entry with a0 =
 * hartid and a1 = the device tree; guest RAM starts zeroed, so .bss is not
 * cleared (a restore would not care either: it rewinds all of memory).
 *
 * The paravirtual extension's numbers are repeated here from hv/pv.h, the
 * header meant for guests, because the guests are built in their own Bazel
 * package and hv/pv.h is not exported to it; tests/snapshot/snap_test.cc
 * checks that both agree.
 */
#ifndef PVSNAP_RT_H
#define PVSNAP_RT_H

#include <stdbool.h>
#include <stdint.h>

/* hv/pv.h */
#define RV_PV_EXT 0x08525653u
#define RV_PV_VERSION 1u
#define RV_PV_GET_VERSION 0u
#define RV_PV_SNAPSHOT 1u
#define RV_PV_RESTORE 2u
#define RV_PV_END_ITERATION 3u
#define RV_PV_GET_INPUT 4u

/* SBI v2.0: extension IDs and error codes (chapters 3 and 4). */
#define SBI_EXT_BASE 0x10
#define SBI_EXT_HSM 0x48534d
#define SBI_EXT_SRST 0x53525354
#define SBI_EXT_DBCN 0x4442434e
#define SBI_BASE_PROBE_EXTENSION 3
#define SBI_HSM_HART_START 0
#define SBI_SUCCESS 0
#define SBI_ERR_FAILED (-1)
#define SBI_ERR_NOT_SUPPORTED (-2)
#define SBI_ERR_INVALID_PARAM (-3)
#define SBI_ERR_INVALID_ADDRESS (-5)

#define PVRT_MAX_HARTS 4

struct sbiret {
	long error;
	long value;
};

struct sbiret sbi_call(unsigned long eid, unsigned long fid, unsigned long a0,
		       unsigned long a1, unsigned long a2);

/* printf subset: %d, %ld, %x, %lx, %s, %c, %%. */
void pv_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print "FAIL: why" and shut down with SRST reason system failure. */
void pv_fail(const char *why) __attribute__((noreturn));
/* SRST shutdown: reason 0 none (exit 0), 1 system failure. */
void pv_shutdown(unsigned long reason) __attribute__((noreturn));
/* Spin until *p == want, at most PVRT_SPIN_LIMIT polls; true if it did. */
#define PVRT_SPIN_LIMIT 20000000ul
bool pv_wait_eq(volatile long *p, long want);

/* hart_start target: enters pv_secondary(hartid, opaque). */
void pv_secondary_entry(void);

/* Provided by each guest: its name (the first console line is
 * "=== pvguest NAME ===") and guest_main, run by the boot hart; the guest
 * shuts down with reason 0 when guest_main returns. pv_secondary is
 * optional (a weak default parks the hart). */
extern const char pv_guest_name[];
void guest_main(unsigned long dtb);
void pv_secondary(unsigned long hartid, unsigned long opaque);

#endif
