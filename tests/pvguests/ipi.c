// SPDX-License-Identifier: MIT
/*
 * pvguest "ipi": the IPI and RFENCE extensions on the boot hart alone
 * (hart 1 stays stopped): an IPI to self is a pending sip.SSIP that traps
 * through stvec once enabled, hart_mask_base = -1 reaches self too,
 * hart masks naming a hart that does not exist fail with INVALID_PARAM,
 * and the remote fences succeed (HFENCE needs the H extension, which the
 * compared machines do not have: NOT_SUPPORTED).
 */
#include "pvrt.h"

const char pv_guest_name[] = "ipi";

static volatile long pv_ipis;

void pv_trap(unsigned long scause, unsigned long sepc, unsigned long stval)
{
	if (scause != (SCAUSE_INTR | 1)) {
		pv_printf("unexpected trap scause=%lx sepc=%lx stval=%lx\n", scause, sepc, stval);
		pv_shutdown(1);
	}
	csr_clear(sip, SIP_SSIP);
	pv_ipis++;
}

static void pv_take_ipis(const char *what)
{
	unsigned long i;

	pv_printf("%s: sip.SSIP pending: %ld\n", what, (long)!!(csr_read(sip) & SIP_SSIP));
	csr_set(sstatus, SSTATUS_SIE);
	for (i = 0; i < 1000; i++)
		__asm__ volatile("nop");
	csr_clear(sstatus, SSTATUS_SIE);
	pv_printf("%s: software interrupts taken so far: %ld\n", what, pv_ipis);
}

void guest_main(unsigned long dtb)
{
	(void)dtb;
	csr_clear(sstatus, SSTATUS_SIE);
	csr_write(sie, SIP_SSIP);

	pv_printf("send_ipi(mask=1, base=0): error=%ld\n",
		  sbi_call(SBI_EXT_IPI, 0, 1, 0, 0, 0, 0).error);
	pv_take_ipis("ipi to self");
	pv_printf("send_ipi(mask=0, base=-1): error=%ld\n",
		  sbi_call(SBI_EXT_IPI, 0, 0, ~0ul, 0, 0, 0).error);
	pv_take_ipis("ipi to all");
	pv_printf("send_ipi(mask=1, base=2): error=%ld\n",
		  sbi_call(SBI_EXT_IPI, 0, 1, 2, 0, 0, 0).error);
	/* OpenSBI 1.1 ignores invalid harts above the base; SBI v2.0's
	 * hart list rules make this INVALID_PARAM. */
	pv_printf("[2.0] send_ipi(mask=0b100, base=0): error=%ld\n",
		  sbi_call(SBI_EXT_IPI, 0, 4, 0, 0, 0, 0).error);
	pv_take_ipis("after invalid masks");

	pv_printf("remote_fence_i(self): error=%ld\n",
		  sbi_call(SBI_EXT_RFENCE, 0, 1, 0, 0, 0, 0).error);
	pv_printf("remote_fence_i(all): error=%ld\n",
		  sbi_call(SBI_EXT_RFENCE, 0, 0, ~0ul, 0, 0, 0).error);
	pv_printf("remote_sfence_vma(self, whole space): error=%ld\n",
		  sbi_call(SBI_EXT_RFENCE, 1, 1, 0, 0, 0, 0).error);
	pv_printf("remote_sfence_vma(self, one page): error=%ld\n",
		  sbi_call(SBI_EXT_RFENCE, 1, 1, 0, 0x80200000, 0x1000, 0).error);
	pv_printf("remote_sfence_vma_asid(self, asid 0): error=%ld\n",
		  sbi_call(SBI_EXT_RFENCE, 2, 1, 0, 0, ~0ul, 0).error);
	pv_printf("remote_sfence_vma(mask=1, base=5): error=%ld\n",
		  sbi_call(SBI_EXT_RFENCE, 1, 1, 5, 0, 0, 0).error);
	pv_printf("remote_hfence_gvma(self): error=%ld\n",
		  sbi_call(SBI_EXT_RFENCE, 4, 1, 0, 0, 0, 0).error);
	pv_printf("remote_hfence_vvma(self): error=%ld\n",
		  sbi_call(SBI_EXT_RFENCE, 6, 1, 0, 0, 0, 0).error);
}
