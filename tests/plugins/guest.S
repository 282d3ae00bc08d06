/* SPDX-License-Identifier: MIT */
/*
 * The bare paravirtual guest of the plugin tests (tests/plugins): small,
 * with code and data at fixed symbols so that a test can predict what a
 * plugin sees. Entered in S-mode at 0x8020_0000 with the MMU off (the
 * paravirtual boot, so virtual == physical), it
 *
 *   1. sums 1..100 in s1 (the loop at sum_loop: 100 iterations),
 *   2. stores the sum to the doubleword `result` (the memwatch target),
 *   3. prints "sum=<decimal>\n" with the legacy SBI console_putchar,
 *   4. calls `straddle`, whose second instruction is a 4-byte one that
 *      crosses a page boundary (guest.ld places it so), which a plugin
 *      must see like any other,
 *   5. powers off with SBI SRST (SBI spec chapter "System Reset").
 *
 * A bit flipped in s1 during the loop changes the printed sum (the fault
 * injector's test); everything else is deterministic.
 */
	.section .text.start, "ax"
	.globl	_start
_start:
	la	sp, stack_top
	li	s1, 0
	li	t0, 1
	li	t1, 101
	.globl	sum_loop
sum_loop:
	add	s1, s1, t0
	addi	t0, t0, 1
	bne	t0, t1, sum_loop

	la	t2, result
	sd	s1, 0(t2)

	la	a0, prefix
	call	put_str
	ld	a0, result
	call	put_dec
	li	a0, '\n'
	call	put_char
	call	straddle

	/* SRST: system_reset(shutdown, no reason). */
	li	a7, 0x53525354
	li	a6, 0
	li	a0, 0
	li	a1, 0
	ecall
1:	j	1b

/* Legacy console_putchar (extension 0x01): a0 = the byte. */
put_char:
	li	a7, 1
	ecall
	ret

/* Print the NUL-terminated string at a0. */
put_str:
	addi	sp, sp, -16
	sd	ra, 0(sp)
	sd	s2, 8(sp)
	mv	s2, a0
2:	lbu	a0, 0(s2)
	beqz	a0, 3f
	call	put_char
	addi	s2, s2, 1
	j	2b
3:	ld	ra, 0(sp)
	ld	s2, 8(sp)
	addi	sp, sp, 16
	ret

/* Print a0 in decimal: digits go to a stack buffer from the right. */
put_dec:
	addi	sp, sp, -48
	sd	ra, 0(sp)
	sd	s2, 8(sp)
	addi	s2, sp, 40
	li	t3, 10
4:	remu	t4, a0, t3
	divu	a0, a0, t3
	addi	t4, t4, '0'
	addi	s2, s2, -1
	sb	t4, 0(s2)
	bnez	a0, 4b
	sb	zero, 40(sp)
	mv	a0, s2
	call	put_str
	ld	ra, 0(sp)
	ld	s2, 8(sp)
	addi	sp, sp, 48
	ret

/* At 0x8020_3ffc (guest.ld): a c.addi, then addi at 0x8020_3ffe whose
 * two halves lie in two pages. */
	.section .straddle, "ax"
	.globl	straddle
straddle:
	c.addi	a3, 1
	.option	push
	.option	norvc
	addi	a2, a2, 1
	.option	pop
	ret

	.section .rodata
prefix:
	.asciz	"sum="

	.section .data
	.balign	8
	.globl	result
result:
	.dword	0

	.section .bss
	.balign	16
	.space	4096
stack_top:
