// SPDX-License-Identifier: MIT
/*
 * Lab 3, solution: the guest side. A bare-metal S-mode program on the
 * paravirtual runtime (tests/rt/pv) that asks the hypervisor whether the
 * lab's extension is there (BASE probe_extension, SBI spec "Base
 * Extension"), calls both of its functions with good and bad arguments
 * and prints what came back. On a hypervisor without the extension every
 * call answers SBI_ERR_NOT_SUPPORTED (-2), which the guest prints too: it
 * is the architectural answer, not a failure of the guest.
 */
#include "pvrt.h"

#define LAB_EXT 0x0A455452ul /* SBI_EXT_FIRMWARE in hv/platform/sbi.h */
#define LAB_GET_ICOUNT 0
#define LAB_CHECKSUM 1

const char pv_guest_name[] = "lab3";

static const char lab_text[] = "The quick brown fox jumps over the lazy dog";

/* The same FNV-1a the hypervisor computes, computed here to compare. */
static unsigned long lab_fnv1a(const char *p, unsigned long len)
{
	unsigned int h = 2166136261u;

	while (len--)
		h = (h ^ (unsigned char)*p++) * 16777619u;
	return h;
}

void guest_main(unsigned long dtb)
{
	unsigned long len = sizeof(lab_text) - 1;
	struct sbiret r, again;

	(void)dtb;
	r = sbi_call(SBI_EXT_BASE, SBI_BASE_PROBE_EXTENSION, LAB_EXT, 0, 0, 0, 0);
	pv_printf("probe 0x%lx: %ld\n", LAB_EXT, r.value);

	r = sbi_call(LAB_EXT, LAB_GET_ICOUNT, 0, 0, 0, 0, 0);
	again = sbi_call(LAB_EXT, LAB_GET_ICOUNT, 0, 0, 0, 0, 0);
	pv_printf("get_icount: error=%ld value=%ld\n", r.error, r.value);
	pv_printf("get_icount again: error=%ld grew=%s\n", again.error,
		  again.value > r.value ? "yes" : "no");

	r = sbi_call(LAB_EXT, LAB_CHECKSUM, (unsigned long)lab_text, len, 0, 0, 0);
	pv_printf("checksum: error=%ld value=0x%lx matches=%s\n", r.error, r.value,
		  r.error == SBI_SUCCESS && (unsigned long)r.value == lab_fnv1a(lab_text, len) ?
			  "yes" :
			  "no");
	pv_printf("checksum outside RAM: error=%ld\n",
		  sbi_call(LAB_EXT, LAB_CHECKSUM, 0x1000, 16, 0, 0, 0).error);
	pv_printf("checksum wrapping: error=%ld\n",
		  sbi_call(LAB_EXT, LAB_CHECKSUM, -8ul, 16, 0, 0, 0).error);
	pv_printf("checksum too long: error=%ld\n",
		  sbi_call(LAB_EXT, LAB_CHECKSUM, (unsigned long)lab_text, 4097, 0, 0, 0).error);
	pv_printf("unknown function: error=%ld\n", sbi_call(LAB_EXT, 2, 0, 0, 0, 0, 0).error);
}
