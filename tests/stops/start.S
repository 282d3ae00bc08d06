/* SPDX-License-Identifier: MIT */
	.section .text.start
	.globl _start
_start:
	la	sp, stack_top
	call	stops_main
1:	j	1b
	.bss
	.balign 16
	.space	4096
stack_top:
