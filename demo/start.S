/* SPDX-License-Identifier: MIT */
/*
 * Entry of the demo guest, a paravirtual kernel: Retrovisor starts it in
 * S-mode at its ELF entry with a0 = hart id and a1 = the device tree's
 * address, as Linux is started (SBI spec, "Boot" / Linux boot protocol).
 */
	.section .text.start
	.globl _start
_start:
	la	sp, stack_top
	call	demo_main
1:	wfi
	j	1b

	.bss
	.balign 16
	.space	16384
stack_top:
