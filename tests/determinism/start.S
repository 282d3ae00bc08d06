/* SPDX-License-Identifier: MIT */
/* Every hart enters here in M-mode with a0 = hart id: give each its own
 * stack, then run smp_main(hartid). */
	.section .text.start
	.globl _start
_start:
	la	sp, stacks_top
	slli	t0, a0, 12
	sub	sp, sp, t0
	call	smp_main
1:	j	1b
	.bss
	.balign 16
	.space	4096 * 8
stacks_top:
