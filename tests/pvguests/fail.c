// SPDX-License-Identifier: MIT
/*
 * pvguest "fail": shuts the system down with SRST reason SYSTEM_FAILURE.
 * Retrovisor turns that into a non-zero exit status (1); QEMU 7.2 with
 * OpenSBI 1.1 powers off through the sifive_test device with the "pass"
 * code whatever the reason, so QEMU exits 0 (see README).
 */
#include "pvrt.h"

const char pv_guest_name[] = "fail";

void guest_main(unsigned long dtb)
{
	(void)dtb;
	pv_printf("shutting down with reason SYSTEM_FAILURE\n");
	sbi_call(SBI_EXT_SRST, 0, 0, 1, 0, 0, 0);
	pv_printf("FAIL: system_reset returned\n");
}
