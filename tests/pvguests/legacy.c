// SPDX-License-Identifier: MIT
/*
 * pvguest "legacy": the legacy extensions 0x00-0x08. Hart masks are passed
 * by pointer (to guest virtual memory; the MMU is off so the address is
 * physical too). Only results the spec defines are printed: clear_ipi's
 * return value when an IPI was pending is implementation specific, so
 * just the sip bit after it is shown. Ends with the legacy shutdown.
 */
#include "pvrt.h"

const char pv_guest_name[] = "legacy";

static unsigned long pv_mask;

static void pv_legacy_puts(const char *s)
{
	for (; *s; s++)
		sbi_legacy(0x01, (unsigned char)*s, 0, 0, 0);
}

void guest_main(unsigned long dtb)
{
	long ret;

	(void)dtb;
	csr_clear(sstatus, SSTATUS_SIE);
	csr_write(sie, 0);

	pv_legacy_puts("console_putchar: hello one byte at a time\n");
	pv_printf("console_getchar without input: %ld\n", sbi_legacy(0x02, 0, 0, 0, 0));

	ret = sbi_legacy(0x00, 0, 0, 0, 0);
	pv_printf("set_timer(0): %ld, sip.STIP: %ld\n", ret, (long)!!(csr_read(sip) & SIP_STIP));
	ret = sbi_legacy(0x00, ~0ul, 0, 0, 0);
	pv_printf("set_timer(-1): %ld, sip.STIP: %ld\n", ret, (long)!!(csr_read(sip) & SIP_STIP));

	pv_mask = 1;
	ret = sbi_legacy(0x04, (unsigned long)&pv_mask, 0, 0, 0);
	pv_printf("send_ipi(&{1}): %ld, sip.SSIP: %ld\n", ret, (long)!!(csr_read(sip) & SIP_SSIP));
	sbi_legacy(0x03, 0, 0, 0, 0);
	pv_printf("clear_ipi: sip.SSIP: %ld\n", (long)!!(csr_read(sip) & SIP_SSIP));
	pv_printf("clear_ipi with nothing pending: %ld\n", sbi_legacy(0x03, 0, 0, 0, 0));

	pv_printf("remote_fence_i(&{1}): %ld\n",
		  sbi_legacy(0x05, (unsigned long)&pv_mask, 0, 0, 0));
	pv_printf("remote_sfence_vma(&{1}, 0, 0): %ld\n",
		  sbi_legacy(0x06, (unsigned long)&pv_mask, 0, 0, 0));
	pv_printf("remote_sfence_vma_asid(&{1}, 0, 0, 0): %ld\n",
		  sbi_legacy(0x07, (unsigned long)&pv_mask, 0, 0, 0));

	pv_printf("shutdown\n");
	sbi_legacy(0x08, 0, 0, 0, 0);
	pv_printf("FAIL: legacy shutdown returned\n");
}
