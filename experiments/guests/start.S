/* SPDX-License-Identifier: MIT */
/* Entry of the bare-metal benchmark guest: set a stack, run. */
	.section .text.start
	.globl _start
_start:
	la	sp, stack_top
	call	bench_main
1:	j	1b
	.bss
	.balign 16
	.space	65536
stack_top:
