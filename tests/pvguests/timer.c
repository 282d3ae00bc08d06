// SPDX-License-Identifier: MIT
/*
 * pvguest "timer": the TIME extension. A compare value in the past raises
 * sip.STIP at once and the interrupt is taken through stvec once enabled;
 * a value in the future clears STIP (spec: "must clear the pending timer
 * interrupt bit"); a timer a little in the future wakes a WFI loop.
 * Only causes, bits and counts are printed, never times.
 */
#include "pvrt.h"

const char pv_guest_name[] = "timer";

static volatile long pv_ticks;
static volatile unsigned long pv_last_cause;

void pv_trap(unsigned long scause, unsigned long sepc, unsigned long stval)
{
	if (scause != (SCAUSE_INTR | 5)) {
		pv_printf("unexpected trap scause=%lx sepc=%lx stval=%lx\n", scause, sepc, stval);
		pv_shutdown(1);
	}
	pv_last_cause = scause;
	pv_ticks++;
	/* Push the compare far away: clears STIP so the trap ends. */
	sbi_call(SBI_EXT_TIME, 0, ~0ul, 0, 0, 0, 0);
}

void guest_main(unsigned long dtb)
{
	unsigned long i;
	struct sbiret r;

	(void)dtb;
	csr_clear(sstatus, SSTATUS_SIE);
	csr_write(sie, SIP_STIP);

	r = sbi_call(SBI_EXT_TIME, 0, 0, 0, 0, 0, 0);
	pv_printf("set_timer(0): error=%ld\n", r.error);
	pv_printf("sip.STIP after set_timer(0): %ld\n", (long)!!(csr_read(sip) & SIP_STIP));
	r = sbi_call(SBI_EXT_TIME, 0, ~0ul, 0, 0, 0, 0);
	pv_printf("set_timer(-1): error=%ld\n", r.error);
	pv_printf("sip.STIP after set_timer(-1): %ld\n", (long)!!(csr_read(sip) & SIP_STIP));

	sbi_call(SBI_EXT_TIME, 0, 0, 0, 0, 0, 0);
	csr_set(sstatus, SSTATUS_SIE);
	for (i = 0; i < 1000 && pv_ticks == 0; i++)
		__asm__ volatile("nop");
	csr_clear(sstatus, SSTATUS_SIE);
	pv_printf("timer interrupts taken: %ld, scause=%lx\n", pv_ticks, pv_last_cause);
	pv_printf("sip.STIP after the handler: %ld\n", (long)!!(csr_read(sip) & SIP_STIP));

	/* 200 ms ahead at QEMU virt's (and Retrovisor's) 10 MHz timebase:
	 * QEMU's clock is the host's, and must not pass the deadline
	 * before sip is read. */
	sbi_call(SBI_EXT_TIME, 0, csr_read(time) + 2000000, 0, 0, 0, 0);
	pv_printf("sip.STIP before the future deadline: %ld\n", (long)!!(csr_read(sip) & SIP_STIP));
	csr_set(sstatus, SSTATUS_SIE);
	for (i = 0; i < 1000000 && pv_ticks == 1; i++)
		__asm__ volatile("wfi");
	csr_clear(sstatus, SSTATUS_SIE);
	pv_printf("timer interrupts taken after wfi: %ld\n", pv_ticks);
}
