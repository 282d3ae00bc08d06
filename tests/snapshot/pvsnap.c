// SPDX-License-Identifier: MIT
/*
 * pvsnap: a paravirtual guest that checks Retrovisor's snapshot requests
 * (<retrovisor/pv.h>) from the inside. It probes the extension (SBI BASE
 * probe_extension and GET_VERSION), checks the answers outside a reset loop
 * (RESTORE of a tag never taken, END_ITERATION, GET_INPUT, an unknown
 * function), then takes SNAPSHOT(1), changes a memory counter and the
 * callee-saved register s2, and calls RESTORE(1) three times: after each
 * restore the SNAPSHOT call must return again with a1 = 1, 2, 3 and the
 * counter and s2 must be what they were when the snapshot was taken.
 * Taking SNAPSHOT(1) again replaces it: its restore count starts over.
 *
 * Everything in guest memory is rewound by a restore, so a check made
 * between SNAPSHOT and RESTORE fails at once (pv_fail); the other checks
 * count failures and the guest shuts down with a system failure if any
 * failed. One "PASS ..." or "FAIL ..." line per check on the SBI console;
 * tests/snapshot/pv_test.py reads them.
 *
 * Built with the S-mode paravirtual runtime (tests/rt/pv).
 */
#include "pvrt.h"

const char pv_guest_name[] = "pvsnap";

static volatile long pvsnap_counter;
static int pvsnap_failures;
static char pvsnap_buf[64];

static void pvsnap_check(bool ok, const char *what, long error, long value)
{
	pv_printf("%s %s (error=%ld value=%ld)\n", ok ? "PASS" : "FAIL", what, error, value);
	if (!ok)
		pvsnap_failures++;
}

struct pvsnap_point {
	long error, value;
	unsigned long s2;
};

/* SNAPSHOT(tag) with s2 = 0x1234 at the call; returns a0, a1 and s2 as
 * they are when the call returns (the first time, or after a restore). */
static struct pvsnap_point pvsnap_snapshot(unsigned long tag)
{
	register unsigned long a0 __asm__("a0") = tag;
	register unsigned long a1 __asm__("a1") = 0;
	register unsigned long a6 __asm__("a6") = RV_PV_SNAPSHOT;
	register unsigned long a7 __asm__("a7") = RV_PV_EXT;
	unsigned long s2;
	struct pvsnap_point p;

	__asm__ volatile("li s2, 0x1234\n\tecall\n\tmv %[s2], s2"
			 : "+r"(a0), "+r"(a1), [s2] "=&r"(s2)
			 : "r"(a6), "r"(a7)
			 : "s2", "memory");
	p.error = (long)a0;
	p.value = (long)a1;
	p.s2 = s2;
	return p;
}

/* RESTORE(tag) with s2 changed to 0x5678 first. Returns only on failure:
 * the error. */
static long pvsnap_restore(unsigned long tag)
{
	register unsigned long a0 __asm__("a0") = tag;
	register unsigned long a1 __asm__("a1") = 0;
	register unsigned long a6 __asm__("a6") = RV_PV_RESTORE;
	register unsigned long a7 __asm__("a7") = RV_PV_EXT;

	__asm__ volatile("li s2, 0x5678\n\tecall"
			 : "+r"(a0), "+r"(a1)
			 : "r"(a6), "r"(a7)
			 : "s2", "memory");
	return (long)a0;
}

/* The restore sequence of one tag: SNAPSHOT returns with a1 = 0, then
 * 1..rounds after each RESTORE, with the counter and s2 rewound. */
static void pvsnap_rounds(unsigned long tag, long rounds)
{
	struct pvsnap_point p;
	long err;

	pvsnap_counter = 100;
	p = pvsnap_snapshot(tag);
	pv_printf("SNAPSHOT(%ld) returned error=%ld a1=%ld counter=%ld s2=%lx\n", (long)tag,
		  p.error, p.value, (long)pvsnap_counter, p.s2);
	if (p.error != SBI_SUCCESS)
		pv_fail("SNAPSHOT failed");
	if (p.value < 0 || p.value > rounds)
		pv_fail("SNAPSHOT returned more often than it was restored");
	if (pvsnap_counter != 100)
		pv_fail("the memory counter is not what it was at the snapshot");
	if (p.s2 != 0x1234)
		pv_fail("s2 is not what it was at the snapshot");
	if (p.value > 0)
		pv_printf("PASS restore %ld of tag %ld: a1=%ld, memory and s2 rewound\n", p.value,
			  (long)tag, p.value);
	if (p.value < rounds) {
		/* Change memory and a register, then go back. */
		pvsnap_counter = 555 + p.value;
		err = pvsnap_restore(tag);
		pv_printf("RESTORE(%ld) returned error=%ld\n", (long)tag, err);
		pv_fail("RESTORE returned");
	}
}

void guest_main(unsigned long dtb)
{
	struct sbiret r;

	(void)dtb;
	r = sbi_call(SBI_EXT_BASE, SBI_BASE_PROBE_EXTENSION, RV_PV_EXT, 0, 0, 0, 0);
	pvsnap_check(r.error == SBI_SUCCESS && r.value != 0,
		     "probe_extension(RV_PV_EXT) says it exists", r.error, r.value);
	r = sbi_call(RV_PV_EXT, RV_PV_GET_VERSION, 0, 0, 0, 0, 0);
	pvsnap_check(r.error == SBI_SUCCESS && r.value == RV_PV_VERSION,
		     "GET_VERSION is RV_PV_VERSION", r.error, r.value);
	r = sbi_call(RV_PV_EXT, 99, 0, 0, 0, 0, 0);
	pvsnap_check(r.error == RV_PV_ERR_NOT_SUPPORTED, "an unknown function is NOT_SUPPORTED",
		     r.error, r.value);

	r = sbi_call(RV_PV_EXT, RV_PV_RESTORE, 7, 0, 0, 0, 0);
	pvsnap_check(r.error == RV_PV_ERR_INVALID_PARAM,
		     "RESTORE(7) of a tag never taken is INVALID_PARAM", r.error, r.value);
	r = sbi_call(RV_PV_EXT, RV_PV_END_ITERATION, 0, 0, 0, 0, 0);
	pvsnap_check(r.error == RV_PV_ERR_NOT_SUPPORTED,
		     "END_ITERATION outside a loop is NOT_SUPPORTED", r.error, r.value);
	r = sbi_call(RV_PV_EXT, RV_PV_GET_INPUT, (unsigned long)pvsnap_buf, sizeof(pvsnap_buf), 0,
		     0, 0);
	pvsnap_check(r.error == SBI_SUCCESS && r.value == 0,
		     "GET_INPUT outside a loop gives an empty input", r.error, r.value);

	/* Three restores of tag 1, then tag 1 taken again: its restore count
	 * starts over. Another tag after that is independent of tag 1. */
	pvsnap_rounds(1, 3);
	pv_printf("PASS three restores of SNAPSHOT(1)\n");
	pvsnap_rounds(1, 1);
	pv_printf("PASS SNAPSHOT(1) taken again counts its restores from 1\n");
	pvsnap_rounds(2, 2);
	pv_printf("PASS SNAPSHOT(2) restored twice\n");

	if (pvsnap_failures) {
		pv_printf("FAIL %d checks failed\n", pvsnap_failures);
		pv_shutdown(1);
	}
	pv_printf("PASS all\n");
}
