// SPDX-License-Identifier: MIT
/*
 * Lab 3, starter: the guest side. A bare-metal S-mode program on the
 * paravirtual runtime (tests/rt/pv) that asks the hypervisor whether the
 * lab's extension is there (BASE probe_extension, SBI spec "Base
 * Extension"), calls both of its functions and prints what came back.
 * The probe and the first call are done; task 4 (README.md) is yours.
 */
#include "pvrt.h"

#define LAB_EXT 0x0A455452ul /* SBI_EXT_FIRMWARE in hv/platform/sbi.h */
#define LAB_GET_ICOUNT 0
#define LAB_CHECKSUM 1

const char pv_guest_name[] = "lab3";

static const char lab_text[] = "The quick brown fox jumps over the lazy dog";

void guest_main(unsigned long dtb)
{
	struct sbiret r;

	(void)dtb;
	r = sbi_call(SBI_EXT_BASE, SBI_BASE_PROBE_EXTENSION, LAB_EXT, 0, 0, 0, 0);
	pv_printf("probe 0x%lx: %ld\n", LAB_EXT, r.value);

	r = sbi_call(LAB_EXT, LAB_GET_ICOUNT, 0, 0, 0, 0, 0);
	pv_printf("get_icount: error=%ld value=%ld\n", r.error, r.value);

	/* TODO (task 4): call get_icount again and print whether it grew;
	 * checksum lab_text (a pointer is a physical address here: the MMU
	 * is off) and compare with your own FNV-1a; then the error cases:
	 * an address outside RAM, a range that wraps, a length over 4096 and
	 * an unknown function. The expected lines are in README.md. */
	pv_printf("checksum: TODO\n");
	(void)lab_text;
}
