/* SPDX-License-Identifier: MIT */
/*
 * The S-mode paravirtual guest runtime, shared by every test guest that
 * boots as an SBI client (tests/pvguests, tests/snapshot): SBI calls, a
 * console printf, CSR access, bounded waits and shutdown. Guests are built
 * with it by riscv_guest(..., runtime = "pv") in tools/riscv.bzl, which
 * also puts <retrovisor/pv.h>, the paravirtual extension's public header,
 * on their include path (this header includes it).
 *
 * A guest defines pv_guest_name and guest_main(); the runtime's boot path
 * makes hart 0 the one that runs guest_main whichever hart the firmware
 * booted (OpenSBI picks its boot hart by lottery), clears .bss, prints the
 * marker line "=== pvguest <name> ===" that the test harness cuts the
 * output at, and shuts down with SRST when guest_main returns.
 *
 * Output must be the same on every SBI implementation that follows the
 * spec: guests print error codes, HSM states, interrupt causes and
 * counts, never implementation IDs, versions beyond the spec version, or
 * time values.
 */
#ifndef TESTS_RT_PV_PVRT_H
#define TESTS_RT_PV_PVRT_H

#include <retrovisor/pv.h>
#include <stdbool.h>
#include <stdint.h>

/* SBI v2.0: extension IDs (chapters 4-12), function IDs the guests name,
 * and the standard errors (chapter 3). */

#define SBI_EXT_BASE 0x10
#define SBI_EXT_TIME 0x54494d45
#define SBI_EXT_IPI 0x735049
#define SBI_EXT_RFENCE 0x52464e43
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

#define SBI_HSM_STARTED 0
#define SBI_HSM_STOPPED 1
#define SBI_HSM_SUSPENDED 4

#define SIP_SSIP (1ul << 1)
#define SIP_STIP (1ul << 5)
#define SSTATUS_SIE (1ul << 1)
#define SCAUSE_INTR (1ul << 63)

struct sbiret {
	long error;
	long value;
};

struct sbiret sbi_call(unsigned long eid, unsigned long fid, unsigned long a0, unsigned long a1,
		       unsigned long a2, unsigned long a3, unsigned long a4);
/* Legacy extensions 0x00-0x08: result in a0 only. */
long sbi_legacy(unsigned long eid, unsigned long a0, unsigned long a1, unsigned long a2,
		unsigned long a3);

#define csr_read(csr)                                           \
	({                                                      \
		unsigned long __v;                              \
		__asm__ volatile("csrr %0, " #csr : "=r"(__v)); \
		__v;                                            \
	})
#define csr_write(csr, val) __asm__ volatile("csrw " #csr ", %0" ::"r"(val))
#define csr_set(csr, val) __asm__ volatile("csrs " #csr ", %0" ::"r"(val))
#define csr_clear(csr, val) __asm__ volatile("csrc " #csr ", %0" ::"r"(val))

/* printf subset: %d, %x (hex), each with an optional l; %s, %c, %%. */
void pv_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Write raw bytes to the console through the runtime's channel. */
void pv_write(const char *buf, unsigned long len);

/* Spin until *p == want, at most PV_SPIN_LIMIT polls; true if it did. */
#define PV_SPIN_LIMIT 20000000ul
bool pv_wait_eq(volatile long *p, long want);
/* Poll HSM status of hartid until it is want (bounded); returns the last
 * status seen (or the error code). */
long pv_wait_status(unsigned long hartid, long want);

/* Print "FAIL: why" and shut down reporting a system failure. */
void pv_fail(const char *why) __attribute__((noreturn));
void pv_shutdown(unsigned long reason) __attribute__((noreturn));

/* Entry points in start.S, usable as hart_start / resume addresses. */
void pv_secondary_entry(void);
void pv_resume_entry(void);

/* Provided by each guest. */
extern const char pv_guest_name[];
void guest_main(unsigned long dtb);
/* Optional (weak defaults park the hart / ignore the trap). */
void pv_secondary(unsigned long hartid, unsigned long opaque);
void pv_resumed(unsigned long hartid, unsigned long opaque);
void pv_trap(unsigned long scause, unsigned long sepc, unsigned long stval);

#endif /* TESTS_RT_PV_PVRT_H */
