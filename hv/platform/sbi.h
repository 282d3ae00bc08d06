/* SPDX-License-Identifier: MIT */
/*
 * The hypervisor's own SBI implementation for paravirtual boot (SBI spec
 * v2.0, riscv-sbi-doc): BASE, TIME, IPI, RFENCE, HSM, SRST, DBCN and the
 * legacy extensions 0x00-0x08.
 *
 * In paravirtual mode there is no M-mode software: an ECALL from S-mode
 * traps to the hypervisor (exec.c), which retires the ECALL, sets pc past
 * it and then calls sbi_ecall(). Calling convention with that code:
 *
 *   - sbi_ecall reads a7 (EID), a6 (FID), a0..a5 and writes the results:
 *     a0 (error) and a1 (value) for v0.2+ extensions, a0 only for the
 *     legacy ones (which must preserve a1, spec chapter "Legacy").
 *   - h->pc already points past the ECALL. The one call that moves the
 *     *calling* hart elsewhere, a non-retentive HSM suspend, overwrites it
 *     with resume_addr (and a0/a1 with the resume state).
 *   - A call after which the calling hart must not go on executing (HSM
 *     hart_stop, HSM suspend, SRST, legacy shutdown) sets h->exit_req so the
 *     block loop returns to the scheduler at the next boundary, and sets
 *     h->hsm (STOPPED / SUSPENDED) or stops the machine (machine_stop).
 *   - hart_start of another hart writes that hart's registers (pc, a0, a1,
 *     priv, satp, sstatus.SIE) and sets it HSM_STARTED at once: the start is
 *     synchronous, so get_status never needs a scheduler step to see
 *     STARTED.
 *   - A suspended hart (h->hsm == HSM_SUSPENDED, h->wfi set) resumes when an
 *     interrupt is pending and enabled in mie, whatever sstatus.SIE says
 *     (like WFI). The scheduler calls hart_hsm_wake() for such a hart; the
 *     resume register state was already set up when the hart suspended.
 *
 * Everything here comes from the guest and is untrusted: hart masks, ids,
 * addresses and lengths are checked, every loop is bounded by XLEN, the
 * hart count or SBI_DBCN_MAX_XFER.
 */
#ifndef HV_SBI_H
#define HV_SBI_H

#include "hv/types.h"

struct hart;

/* Extension IDs (SBI spec, one chapter each). */
#define SBI_EXT_LEGACY_SET_TIMER 0x00
#define SBI_EXT_LEGACY_PUTCHAR 0x01
#define SBI_EXT_LEGACY_GETCHAR 0x02
#define SBI_EXT_LEGACY_CLEAR_IPI 0x03
#define SBI_EXT_LEGACY_SEND_IPI 0x04
#define SBI_EXT_LEGACY_FENCE_I 0x05
#define SBI_EXT_LEGACY_SFENCE_VMA 0x06
#define SBI_EXT_LEGACY_SFENCE_VMA_ASID 0x07
#define SBI_EXT_LEGACY_SHUTDOWN 0x08
#define SBI_EXT_LEGACY_LAST 0x0f /* 0x09-0x0f are reserved */
#define SBI_EXT_BASE 0x10
#define SBI_EXT_TIME 0x54494d45   /* "TIME" */
#define SBI_EXT_IPI 0x735049      /* "sPI" */
#define SBI_EXT_RFENCE 0x52464e43 /* "RFNC" */
#define SBI_EXT_HSM 0x48534d      /* "HSM" */
#define SBI_EXT_SRST 0x53525354   /* "SRST" */
#define SBI_EXT_DBCN 0x4442434e   /* "DBCN" */

/* Function IDs. */
enum {
	SBI_BASE_GET_SPEC_VERSION = 0,
	SBI_BASE_GET_IMPL_ID = 1,
	SBI_BASE_GET_IMPL_VERSION = 2,
	SBI_BASE_PROBE_EXTENSION = 3,
	SBI_BASE_GET_MVENDORID = 4,
	SBI_BASE_GET_MARCHID = 5,
	SBI_BASE_GET_MIMPID = 6,
};
enum { SBI_TIME_SET_TIMER = 0 };
enum { SBI_IPI_SEND_IPI = 0 };
enum {
	SBI_RFENCE_FENCE_I = 0,
	SBI_RFENCE_SFENCE_VMA = 1,
	SBI_RFENCE_SFENCE_VMA_ASID = 2,
	SBI_RFENCE_HFENCE_GVMA_VMID = 3,
	SBI_RFENCE_HFENCE_GVMA = 4,
	SBI_RFENCE_HFENCE_VVMA_ASID = 5,
	SBI_RFENCE_HFENCE_VVMA = 6,
};
enum {
	SBI_HSM_HART_START = 0,
	SBI_HSM_HART_STOP = 1,
	SBI_HSM_HART_GET_STATUS = 2,
	SBI_HSM_HART_SUSPEND = 3,
};
enum { SBI_SRST_SYSTEM_RESET = 0 };
enum {
	SBI_DBCN_CONSOLE_WRITE = 0,
	SBI_DBCN_CONSOLE_READ = 1,
	SBI_DBCN_CONSOLE_WRITE_BYTE = 2,
};

/* Standard SBI error codes (spec table "Standard SBI Errors"). */
#define SBI_SUCCESS 0
#define SBI_ERR_FAILED (-1)
#define SBI_ERR_NOT_SUPPORTED (-2)
#define SBI_ERR_INVALID_PARAM (-3)
#define SBI_ERR_DENIED (-4)
#define SBI_ERR_INVALID_ADDRESS (-5)
#define SBI_ERR_ALREADY_AVAILABLE (-6)
#define SBI_ERR_ALREADY_STARTED (-7)
#define SBI_ERR_ALREADY_STOPPED (-8)

/* The SBI spec version we implement: major in bits 30:24, minor in 23:0. */
#define SBI_SPEC_VERSION ((2u << 24) | 0u)
/* Implementation ID. The registered IDs are small integers (0 BBL,
 * 1 OpenSBI, ... 11 bhyve); Retrovisor is not registered and answers the
 * ASCII tag "RETR", far outside that list so it cannot be mistaken for a
 * registered implementation. */
#define SBI_IMPL_ID_RETROVISOR 0x52455452u
/* Implementation version, OpenSBI-style major << 16 | minor. */
#define SBI_IMPL_VERSION ((1u << 16) | 0u)

/* HSM suspend types (spec table "HSM Hart Suspend Types"). */
#define SBI_HSM_SUSPEND_RET_DEFAULT 0x00000000u
#define SBI_HSM_SUSPEND_NON_RET_DEFAULT 0x80000000u

/* SRST types and reasons. */
#define SBI_SRST_TYPE_SHUTDOWN 0u
#define SBI_SRST_TYPE_COLD_REBOOT 1u
#define SBI_SRST_TYPE_WARM_REBOOT 2u
#define SBI_SRST_REASON_NONE 0u
#define SBI_SRST_REASON_SYSTEM_FAILURE 1u

/* At most this many bytes move per DBCN read/write call; the spec allows
 * partial transfers and the guest retries with the rest. */
#define SBI_DBCN_MAX_XFER 4096u

/* The firmware-specific extension space (spec chapter "Firmware Specific
 * Extension Space"): EIDs 0x0A000000-0x0AFFFFFF, whose low 24 bits must
 * match those of the implementation ID, so Retrovisor's is 0x0A455452. */
#define SBI_EXT_FIRMWARE_FIRST 0x0A000000u
#define SBI_EXT_FIRMWARE_LAST 0x0AFFFFFFu
#define SBI_EXT_FIRMWARE (SBI_EXT_FIRMWARE_FIRST | (SBI_IMPL_ID_RETROVISOR & 0xffffffu))

/* An extension added by a variant binary, not by the retrovisor binary
 * (the course pack's lab 3, docs/course/lab3, adds one): a source file
 * linked into that binary registers it from a constructor, before main
 * and so before any machine exists. The retrovisor binary registers none,
 * and an unregistered EID answers SBI_ERR_NOT_SUPPORTED as before.
 *
 * call() serves function fid of the calling hart h: args are a0..a5; it
 * returns an SBI error (SBI_SUCCESS or a negative SBI_ERR_*) and sets
 * *value, the a1 result. The arguments come from the guest: call() must
 * check them as sbi.c does. It runs in the middle of the hart's
 * execution, h->pc already past the ECALL (convention above), and must
 * change nothing but what it answers and the machine state a guest input
 * may change, so that a recording replays on the same binary. */
struct sbi_extension {
	uint32_t eid;
	int64_t (*call)(struct hart *h, uint64_t fid, const uint64_t args[6], uint64_t *value);
};
#define SBI_EXTRA_MAX 4
/* Adds ext (kept by pointer, not copied). False, and nothing added, when
 * its EID is outside SBI_EXT_FIRMWARE_FIRST..SBI_EXT_FIRMWARE_LAST or
 * already registered, it has no call, or SBI_EXTRA_MAX are registered. */
bool sbi_register_extension(const struct sbi_extension *ext);

/* Handle an ECALL from S-mode on h (see the convention above). */
void sbi_ecall(struct hart *h);

#endif
