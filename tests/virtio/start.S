// SPDX-License-Identifier: MIT
//
// Entry of the virtio test guest: hart 0 zeroes .bss, takes a stack,
// points mtvec at guest_trap (any trap is a failure) and calls main();
// other harts park in WFI. main() powers the machine off itself.

	.section .text.start, "ax"
	.globl _start
_start:
	bnez	a0, park
	la	sp, __stack_top
	la	t0, __bss_start
	la	t1, __bss_end
1:	bgeu	t0, t1, 2f
	sd	zero, 0(t0)
	addi	t0, t0, 8
	j	1b
2:	la	t0, trap_entry
	csrw	mtvec, t0
	call	main
park:
	wfi
	j	park

	.balign 4
trap_entry:
	la	sp, __stack_top
	csrr	a0, mcause
	csrr	a1, mepc
	csrr	a2, mtval
	tail	guest_trap
