// SPDX-License-Identifier: MIT
/*
 * pvguest "hsm": the HSM extension with two harts, plus IPIs between them.
 *
 * Hart 0 drives; hart 1 follows a fixed script, so that only one hart
 * prints at a time and the output does not depend on how the harts are
 * interleaved. Hart 1 goes STOPPED -> STARTED (prints its a0/a1 start
 * state) -> takes IPIs -> retentive suspend (SUSPENDED, resumed by an IPI,
 * the call returns 0) -> hart_stop (STOPPED) -> started again with another
 * opaque value -> non-retentive suspend (resumes at its resume address
 * with a0 = hartid, a1 = opaque, satp = 0, sstatus.SIE = 0) -> hart_stop.
 * Error codes: start of a started hart (ALREADY_AVAILABLE), start and
 * status of a hart that does not exist (INVALID_PARAM), reserved suspend
 * type (INVALID_PARAM). Every wait is bounded and failing one fails the
 * test with SRST reason SYSTEM_FAILURE.
 */
#include "pvrt.h"

const char pv_guest_name[] = "hsm";

#define PV_OPAQUE_FIRST 0x5eed0001ul
#define PV_OPAQUE_SECOND 0x5eed0002ul
#define PV_OPAQUE_RESUME 0x5eed0003ul

static volatile long pv_stage; /* hart 1 -> hart 0: where hart 1 is */
static volatile long pv_cmd;   /* hart 0 -> hart 1: what to do next */
static volatile long pv_ipis[2];

void pv_trap(unsigned long scause, unsigned long sepc, unsigned long stval)
{
	unsigned long hart = csr_read(sscratch);

	if (scause != (SCAUSE_INTR | 1) || hart > 1) {
		pv_printf("unexpected trap scause=%lx sepc=%lx stval=%lx\n", scause, sepc, stval);
		pv_shutdown(1);
	}
	csr_clear(sip, SIP_SSIP);
	pv_ipis[hart]++;
}

static void pv_expect(volatile long *p, long want, const char *what)
{
	if (!pv_wait_eq(p, want))
		pv_fail(what);
}

static void pv_hart_stop(void)
{
	csr_clear(sstatus, SSTATUS_SIE);
	sbi_call(SBI_EXT_HSM, 1, 0, 0, 0, 0, 0);
	pv_fail("hart_stop returned");
}

static void pv_print_entry(const char *how, unsigned long hartid, unsigned long opaque)
{
	pv_printf("[hart %ld] %s: a0=%ld a1=%lx satp=%lx sstatus.SIE=%ld\n", hartid, how, hartid,
		  opaque, csr_read(satp), (long)!!(csr_read(sstatus) & SSTATUS_SIE));
}

void pv_secondary(unsigned long hartid, unsigned long opaque)
{
	struct sbiret r;

	csr_write(sscratch, hartid);
	pv_print_entry("started", hartid, opaque);
	csr_write(sie, SIP_SSIP);
	if (opaque == PV_OPAQUE_FIRST) {
		csr_set(sstatus, SSTATUS_SIE);
		pv_stage = 1;
		pv_expect(&pv_cmd, 1, "hart 1: no suspend command");
		pv_stage = 2;
		r = sbi_call(SBI_EXT_HSM, 3, 0, 0, 0, 0, 0);
		pv_printf("[hart 1] retentive suspend returned: error=%ld, "
			  "software interrupts taken: %ld\n",
			  r.error, pv_ipis[1]);
		pv_stage = 3;
		pv_expect(&pv_cmd, 2, "hart 1: no stop command");
		pv_hart_stop();
	}
	pv_stage = 10;
	pv_expect(&pv_cmd, 3, "hart 1: no second suspend command");
	pv_stage = 11;
	r = sbi_call(SBI_EXT_HSM, 3, 0x80000000ul, (unsigned long)pv_resume_entry, PV_OPAQUE_RESUME,
		     0, 0);
	pv_printf("FAIL: non-retentive suspend returned %ld\n", r.error);
	pv_shutdown(1);
}

void pv_resumed(unsigned long hartid, unsigned long opaque)
{
	csr_write(sscratch, hartid);
	pv_print_entry("resumed", hartid, opaque);
	pv_stage = 20;
	pv_expect(&pv_cmd, 4, "hart 1: no final stop command");
	pv_hart_stop();
}

static void pv_status(const char *when)
{
	struct sbiret r = sbi_call(SBI_EXT_HSM, 2, 1, 0, 0, 0, 0);

	pv_printf("hart 1 status %s: error=%ld value=%ld\n", when, r.error, r.value);
}

static void pv_status_reaches(const char *when, long want)
{
	pv_printf("hart 1 status %s: %ld\n", when, pv_wait_status(1, want));
}

/* Hart 1 may print in reaction to an IPI or a start, so hart 0 prints a
 * call's result only after hart 1 has reached the stage that follows. */
static void pv_ipi_hart1(unsigned long mask, unsigned long base, long want)
{
	long err = sbi_call(SBI_EXT_IPI, 0, mask, base, 0, 0, 0).error;

	pv_expect(&pv_ipis[1], want, "hart 1 did not take the IPI");
	pv_printf("send_ipi(mask=%lx, base=%ld): error=%ld\n", mask, (long)base, err);
	pv_printf("hart 1 software interrupts taken: %ld\n", pv_ipis[1]);
}

static void pv_start_hart1(unsigned long opaque, long stage)
{
	long err =
		sbi_call(SBI_EXT_HSM, 0, 1, (unsigned long)pv_secondary_entry, opaque, 0, 0).error;

	if (err)
		pv_printf("hart_start(1, opaque=%lx): error=%ld\n", opaque, err);
	pv_expect(&pv_stage, stage, "hart 1 did not start");
	pv_printf("hart_start(1, opaque=%lx): error=%ld\n", opaque, err);
}

static void pv_wake_hart1(long stage, const char *what)
{
	long err = sbi_call(SBI_EXT_IPI, 0, 2, 0, 0, 0, 0).error;

	pv_expect(&pv_stage, stage, what);
	pv_printf("send_ipi(mask=2, base=0): error=%ld\n", err);
}

void guest_main(unsigned long dtb)
{
	unsigned long entry = (unsigned long)pv_secondary_entry;
	unsigned long i;

	(void)dtb;
	csr_write(sscratch, 0);
	csr_clear(sstatus, SSTATUS_SIE);
	csr_write(sie, SIP_SSIP);

	pv_status("before start");
	pv_start_hart1(PV_OPAQUE_FIRST, 1);
	pv_status("after start");
	pv_printf("hart_start(1) again: error=%ld\n",
		  sbi_call(SBI_EXT_HSM, 0, 1, entry, 0, 0, 0).error);
	pv_printf("hart_start(5): error=%ld\n", sbi_call(SBI_EXT_HSM, 0, 5, entry, 0, 0, 0).error);
	pv_printf("hart_get_status(5): error=%ld\n", sbi_call(SBI_EXT_HSM, 2, 5, 0, 0, 0, 0).error);
	pv_printf("hart_suspend(reserved type 1): error=%ld\n",
		  sbi_call(SBI_EXT_HSM, 3, 1, 0, 0, 0, 0).error);

	pv_ipi_hart1(0x2, 0, 1);
	pv_ipi_hart1(0x1, 1, 2);
	pv_ipi_hart1(0, ~0ul, 3);
	csr_set(sstatus, SSTATUS_SIE);
	for (i = 0; i < 1000; i++)
		__asm__ volatile("nop");
	csr_clear(sstatus, SSTATUS_SIE);
	pv_printf("hart 0 software interrupts taken: %ld\n", pv_ipis[0]);

	pv_cmd = 1;
	pv_expect(&pv_stage, 2, "hart 1 did not reach its suspend");
	pv_status_reaches("in retentive suspend", SBI_HSM_SUSPENDED);
	pv_wake_hart1(3, "hart 1 did not resume");
	pv_status("after resume");

	pv_cmd = 2;
	pv_status_reaches("after hart_stop", SBI_HSM_STOPPED);
	pv_start_hart1(PV_OPAQUE_SECOND, 10);
	pv_status("after second start");

	pv_cmd = 3;
	pv_expect(&pv_stage, 11, "hart 1 did not reach its second suspend");
	pv_status_reaches("in non-retentive suspend", SBI_HSM_SUSPENDED);
	pv_wake_hart1(20, "hart 1 did not resume at its resume address");
	pv_status("after non-retentive resume");

	pv_cmd = 4;
	pv_status_reaches("after final hart_stop", SBI_HSM_STOPPED);
}
