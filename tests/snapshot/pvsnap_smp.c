// SPDX-License-Identifier: MIT
/*
 * pvsnap_smp: a snapshot taken by one hart and restored by another
 * (<retrovisor/pv.h>, SNAPSHOT: "the call returns again, on the hart that
 * made it", with a1 = the number of restores so far). The count belongs in a1
 * of the hart whose SNAPSHOT call returns again; every other hart must
 * come back exactly as it was at the snapshot.
 *
 * Hart 0 starts hart 1, which spins with a1 = s3 = 0xabc until a flag is
 * set, checking on every turn that a1 still equals s3. Hart 0 calls
 * SNAPSHOT(5) and, the first time, sets the flag; hart 1 leaves its loop
 * and calls RESTORE(5). The machine goes back to the snapshot: the flag is
 * clear again, hart 1 spins again (its a1 must still be 0xabc: if the host
 * wrote the count there, hart 1 reports it and the run fails), and hart 0's
 * SNAPSHOT call returns again with a1 = 1.
 *
 * Built with the S-mode paravirtual runtime (tests/rt/pv).
 */
#include "pvrt.h"

const char pv_guest_name[] = "pvsnap_smp";

static volatile long pvsmp_go, pvsmp_ready;

void pv_secondary(unsigned long hartid, unsigned long opaque)
{
	register unsigned long a1 __asm__("a1") = 0xabc;
	unsigned long bad;
	struct sbiret r;

	(void)hartid;
	(void)opaque;
	/* Spin until go; bad = 1 if a1 changed under us. */
	__asm__ volatile("li s3, 0xabc\n\t"
			 "li t0, 1\n\t"
			 "sd t0, 0(%[ready])\n"
			 "1:\tld t0, 0(%[go])\n\t"
			 "bne a1, s3, 2f\n\t"
			 "beqz t0, 1b\n\t"
			 "li %[bad], 0\n\t"
			 "j 3f\n"
			 "2:\tli %[bad], 1\n"
			 "3:"
			 : [bad] "=&r"(bad), "+r"(a1)
			 : [go] "r"(&pvsmp_go), [ready] "r"(&pvsmp_ready)
			 : "t0", "s3", "memory");
	if (bad) {
		pv_printf("FAIL hart 1: a1 changed to %ld while it waited (the restore's "
			  "count went to the restoring hart)\n",
			  (long)a1);
		pv_shutdown(1);
	}
	r = sbi_call(RV_PV_EXT, RV_PV_RESTORE, 5, 0, 0, 0, 0);
	pv_printf("FAIL hart 1: RESTORE(5) returned error=%ld\n", r.error);
	pv_shutdown(1);
}

void guest_main(unsigned long dtb)
{
	volatile long never = 0;
	struct sbiret r;

	(void)dtb;
	r = sbi_call(SBI_EXT_HSM, SBI_HSM_HART_START, 1, (unsigned long)pv_secondary_entry, 0, 0,
		     0);
	if (r.error)
		pv_fail("hart_start(1)");
	if (!pv_wait_eq(&pvsmp_ready, 1))
		pv_fail("hart 1 did not start");
	r = sbi_call(RV_PV_EXT, RV_PV_SNAPSHOT, 5, 0, 0, 0, 0);
	pv_printf("SNAPSHOT(5) returned error=%ld a1=%ld go=%ld\n", r.error, r.value, pvsmp_go);
	if (r.error)
		pv_fail("SNAPSHOT(5)");
	if (r.value == 0) {
		pvsmp_go = 1;
		/* Hart 1's restore brings this hart back into SNAPSHOT. */
		pv_wait_eq(&never, 1);
		pv_fail("hart 1's RESTORE(5) never came");
	}
	if (r.value != 1 || pvsmp_go != 0)
		pv_fail("after the restore a1 must be 1 and the flag clear");
	pv_printf("PASS a snapshot restored by another hart returns on the hart that took it\n");
}
