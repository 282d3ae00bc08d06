// SPDX-License-Identifier: MIT
/*
 * pvloop: a paravirtual guest for `retrovisor loop` (cli/loop.c), the
 * fast reset loop. Before the loop starts it checks that GET_INPUT into an
 * address outside RAM is INVALID_ADDRESS, then calls SNAPSHOT(0): when no
 * --restore or --start-* option is given, the loop takes its start state
 * at that request. Each iteration then asks for its input (GET_INPUT into
 * a buffer), scribbles over 1 MiB of memory with it (so that every restore
 * has 256 pages to put back), asks once more for the input into an address
 * outside RAM (must be INVALID_ADDRESS whatever the input), and ends with
 * END_ITERATION(status): 1 if the input starts with "BUG", 2 if it is
 * empty, else 0.
 *
 * Lines on the SBI console ("PASS ..." / "FAIL ...") report the checks;
 * `retrovisor loop --console` shows them. Outside a loop END_ITERATION
 * returns (NOT_SUPPORTED) and the guest shuts down.
 *
 * Built with the S-mode paravirtual runtime (tests/rt/pv).
 */
#include "pvrt.h"

/* Below RAM (0x8000_0000) and not a device: the boot ROM's neighbourhood. */
#define PVLOOP_NOT_RAM 0x1000ul
#define PVLOOP_REGION (1ul << 20)

const char pv_guest_name[] = "pvloop";

static unsigned char pvloop_input[256];
/* volatile: the stores are the point (the compiler must not drop them). */
static volatile unsigned long pvloop_region[PVLOOP_REGION / sizeof(unsigned long)];

static struct sbiret pvloop_get_input(unsigned long pa, unsigned long size)
{
	return sbi_call(RV_PV_EXT, RV_PV_GET_INPUT, pa, size, 0, 0, 0);
}

void guest_main(unsigned long dtb)
{
	struct sbiret r;
	unsigned long len, i, n, h;
	long status;

	(void)dtb;
	r = sbi_call(SBI_EXT_BASE, SBI_BASE_PROBE_EXTENSION, RV_PV_EXT, 0, 0, 0, 0);
	if (r.error != SBI_SUCCESS || r.value == 0)
		pv_fail("the paravirtual extension is missing");
	r = pvloop_get_input(PVLOOP_NOT_RAM, 16);
	pv_printf("%s GET_INPUT outside RAM before the loop is INVALID_ADDRESS "
		  "(error=%ld)\n",
		  r.error == RV_PV_ERR_INVALID_ADDRESS ? "PASS" : "FAIL", r.error);

	r = sbi_call(RV_PV_EXT, RV_PV_SNAPSHOT, 0, 0, 0, 0, 0);
	/* Every iteration starts here. */
	r = pvloop_get_input((unsigned long)pvloop_input, sizeof(pvloop_input));
	if (r.error != SBI_SUCCESS) {
		pv_printf("FAIL GET_INPUT into the buffer (error=%ld)\n", r.error);
		sbi_call(RV_PV_EXT, RV_PV_END_ITERATION, 3, 0, 0, 0, 0);
		pv_fail("END_ITERATION returned");
	}
	len = (unsigned long)r.value;
	n = len < sizeof(pvloop_input) ? len : sizeof(pvloop_input);

	/* Scribble over 1 MiB, every doubleword, from the input's bytes. */
	h = 0xcbf29ce484222325ul;
	for (i = 0; i < n; i++)
		h = (h ^ pvloop_input[i]) * 0x100000001b3ul;
	for (i = 0; i < PVLOOP_REGION / sizeof(unsigned long); i++)
		pvloop_region[i] = h + i * 0x9e3779b97f4a7c15ul;

	if (len == 0)
		status = 2;
	else if (n >= 3 && pvloop_input[0] == 'B' && pvloop_input[1] == 'U' &&
		 pvloop_input[2] == 'G')
		status = 1;
	else
		status = 0;

	r = pvloop_get_input(PVLOOP_NOT_RAM, 16);
	pv_printf("%s GET_INPUT outside RAM in an iteration with a %ld-byte input is "
		  "INVALID_ADDRESS (error=%ld)\n",
		  r.error == RV_PV_ERR_INVALID_ADDRESS ? "PASS" : "FAIL", (long)len, r.error);
	pv_printf("iteration input %ld bytes status %ld\n", (long)len, status);

	r = sbi_call(RV_PV_EXT, RV_PV_END_ITERATION, (unsigned long)status, 0, 0, 0, 0);
	pv_printf("END_ITERATION returned error=%ld: not in a loop\n", r.error);
}
