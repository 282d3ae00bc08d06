// SPDX-License-Identifier: MIT
/*
 * Guests for the ways a run can end other than a clean poweroff, selected
 * by the build (-DMODE=...): PANIC prints a Linux-style panic and spins,
 * SILENT prints one line and then spins without output, SPIN_WFI waits for
 * an interrupt that nothing can send, FAILCODE powers off with status 7
 * through the syscon.
 */
#include <stdint.h>

#define UART ((volatile uint8_t *)0x10000000)
#define SYSCON ((volatile uint32_t *)0x00100000)

static __attribute__((unused)) void puts_(const char *s)
{
	while (*s) {
		while (!(UART[5] & 0x20))
			;
		UART[0] = (uint8_t)*s++;
	}
}

void stops_main(void)
{
#if MODE == 1
	puts_("[    1.000000] Kernel panic - not syncing: test panic\n");
	puts_("[    1.000001] CPU: 0 PID: 1 Comm: init\n");
	puts_("[    1.000002] ---[ end Kernel panic - not syncing: test panic ]---\n");
	for (;;)
		;
#elif MODE == 2
	puts_("about to hang\n");
	for (;;)
		;
#elif MODE == 3
	asm volatile("csrw mie, zero");
	for (;;)
		asm volatile("wfi");
#else
	*SYSCON = 0x3333 | (7u << 16);
	for (;;)
		;
#endif
}
