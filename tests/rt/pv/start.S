/* SPDX-License-Identifier: MIT */
/*
 * Entry points and the trap vector of the paravirtual test guests.
 *
 * Every entry is reached in S-mode with the MMU off and a0 = hartid,
 * a1 = dtb address (boot) or the opaque value of hart_start / a
 * non-retentive hart_suspend (SBI spec, HSM register state tables). Each
 * hart gets an 8 KiB stack chosen by its hartid; a hartid past the stack
 * area parks the hart, since nothing in these guests names it.
 *
 *   _start             boot entry         -> pv_boot(hartid, dtb)
 *   pv_secondary_entry hart_start target  -> pv_secondary(hartid, opaque)
 *   pv_resume_entry    non-ret. resume    -> pv_resumed(hartid, opaque)
 *
 * pv_trap_vector saves the caller-saved registers, calls
 * pv_trap(scause, sepc, stval) and returns with sret; the handlers in
 * these guests only take interrupts, so sepc is not moved.
 */
#define PV_MAX_HARTS 8
#define PV_STACK_SHIFT 13

	.macro pv_setup
	.option push
	.option norelax
	la	gp, __global_pointer$
	.option pop
	li	t0, PV_MAX_HARTS
	bgeu	a0, t0, pv_park
	la	t0, pv_trap_vector
	csrw	stvec, t0
	la	sp, __stacks_start
	addi	t0, a0, 1
	slli	t0, t0, PV_STACK_SHIFT
	add	sp, sp, t0
	.endm

	.section .text.start, "ax"
	.globl	_start
_start:
	pv_setup
	call	pv_boot
	j	pv_park

	.text
	.globl	pv_secondary_entry
pv_secondary_entry:
	pv_setup
	call	pv_secondary
	j	pv_park

	.globl	pv_resume_entry
pv_resume_entry:
	pv_setup
	call	pv_resumed
	j	pv_park

pv_park:
	csrw	sie, zero
1:	wfi
	j	1b

	.balign	4
	.globl	pv_trap_vector
pv_trap_vector:
	addi	sp, sp, -128
	sd	ra, 0(sp)
	sd	t0, 8(sp)
	sd	t1, 16(sp)
	sd	t2, 24(sp)
	sd	t3, 32(sp)
	sd	t4, 40(sp)
	sd	t5, 48(sp)
	sd	t6, 56(sp)
	sd	a0, 64(sp)
	sd	a1, 72(sp)
	sd	a2, 80(sp)
	sd	a3, 88(sp)
	sd	a4, 96(sp)
	sd	a5, 104(sp)
	sd	a6, 112(sp)
	sd	a7, 120(sp)
	csrr	a0, scause
	csrr	a1, sepc
	csrr	a2, stval
	call	pv_trap
	ld	ra, 0(sp)
	ld	t0, 8(sp)
	ld	t1, 16(sp)
	ld	t2, 24(sp)
	ld	t3, 32(sp)
	ld	t4, 40(sp)
	ld	t5, 48(sp)
	ld	t6, 56(sp)
	ld	a0, 64(sp)
	ld	a1, 72(sp)
	ld	a2, 80(sp)
	ld	a3, 88(sp)
	ld	a4, 96(sp)
	ld	a5, 104(sp)
	ld	a6, 112(sp)
	ld	a7, 120(sp)
	addi	sp, sp, 128
	sret
