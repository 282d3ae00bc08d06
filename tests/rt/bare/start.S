// SPDX-License-Identifier: MIT
//
// Entry point and trap entry of the ISA test guests. `_start` is the ELF
// entry (QEMU -bios none and Retrovisor --bios none both jump there in
// M-mode with a0 = hart id, a1 = dtb). It parks every hart but hart 0,
// zeroes .bss, sets the stack, turns the FPU on (mstatus.FS = Initial),
// points mtvec/stvec at the trap entries (direct mode) and
// mscratch/sscratch at private trap stacks, then calls main() and powers
// off through rt_exit().
//
// Trap entries swap sp with xscratch so a trap from any mode, with any sp,
// lands on a known stack; they save all 31 registers into a struct
// trap_frame, call rt_trap_dispatch(frame, level) and restore. Only one
// trap level at a time is supported per privilege level (no nesting).
//
// rt_run_in_mode() saves the callee-saved context, MRETs into the lower
// mode through rt_lower_trampoline, and is resumed by rt_mode_return()
// when the lower mode ECALLs with a7 = RT_ECALL_RETURN.

#define RT_ECALL_RETURN 0x52455455524e
#define FRAME_SIZE (32 * 8)

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
	// mstatus.FS = Initial: FP instructions are legal from the start
	// (reset leaves FS = Off, privileged spec "Extension Context Status").
2:	li	t0, 1 << 13
	csrs	mstatus, t0
	la	t0, rt_mtrap_entry
	csrw	mtvec, t0
	la	t0, __mtrap_stack_top
	csrw	mscratch, t0
	la	t0, rt_strap_entry
	csrw	stvec, t0
	la	t0, __strap_stack_top
	csrw	sscratch, t0
	call	main
	tail	rt_exit
park:
	wfi
	j	park

	.text
// Saves x1..x31 (x2 = the interrupted sp, found in \scratch) to the frame.
.macro SAVE_FRAME scratch
	csrrw	sp, \scratch, sp
	addi	sp, sp, -FRAME_SIZE
	sd	x1, 1*8(sp)
	sd	x3, 3*8(sp)
	sd	x4, 4*8(sp)
	sd	x5, 5*8(sp)
	sd	x6, 6*8(sp)
	sd	x7, 7*8(sp)
	sd	x8, 8*8(sp)
	sd	x9, 9*8(sp)
	sd	x10, 10*8(sp)
	sd	x11, 11*8(sp)
	sd	x12, 12*8(sp)
	sd	x13, 13*8(sp)
	sd	x14, 14*8(sp)
	sd	x15, 15*8(sp)
	sd	x16, 16*8(sp)
	sd	x17, 17*8(sp)
	sd	x18, 18*8(sp)
	sd	x19, 19*8(sp)
	sd	x20, 20*8(sp)
	sd	x21, 21*8(sp)
	sd	x22, 22*8(sp)
	sd	x23, 23*8(sp)
	sd	x24, 24*8(sp)
	sd	x25, 25*8(sp)
	sd	x26, 26*8(sp)
	sd	x27, 27*8(sp)
	sd	x28, 28*8(sp)
	sd	x29, 29*8(sp)
	sd	x30, 30*8(sp)
	sd	x31, 31*8(sp)
	csrr	t0, \scratch
	sd	t0, 2*8(sp)
	sd	zero, 0(sp)
.endm

// Restores the frame; the interrupted sp goes back through \scratch so
// the scratch register again holds the top of this level's trap stack.
.macro RESTORE_FRAME scratch
	addi	t0, sp, FRAME_SIZE
	csrw	\scratch, t0
	ld	x1, 1*8(sp)
	ld	x3, 3*8(sp)
	ld	x4, 4*8(sp)
	ld	x5, 5*8(sp)
	ld	x6, 6*8(sp)
	ld	x7, 7*8(sp)
	ld	x8, 8*8(sp)
	ld	x9, 9*8(sp)
	ld	x10, 10*8(sp)
	ld	x11, 11*8(sp)
	ld	x12, 12*8(sp)
	ld	x13, 13*8(sp)
	ld	x14, 14*8(sp)
	ld	x15, 15*8(sp)
	ld	x16, 16*8(sp)
	ld	x17, 17*8(sp)
	ld	x18, 18*8(sp)
	ld	x19, 19*8(sp)
	ld	x20, 20*8(sp)
	ld	x21, 21*8(sp)
	ld	x22, 22*8(sp)
	ld	x23, 23*8(sp)
	ld	x24, 24*8(sp)
	ld	x25, 25*8(sp)
	ld	x26, 26*8(sp)
	ld	x27, 27*8(sp)
	ld	x28, 28*8(sp)
	ld	x29, 29*8(sp)
	ld	x30, 30*8(sp)
	ld	x31, 31*8(sp)
	ld	sp, 2*8(sp)
.endm

	.balign 4
	.globl rt_mtrap_entry
rt_mtrap_entry:
	SAVE_FRAME mscratch
	mv	a0, sp
	li	a1, 3
	call	rt_trap_dispatch
	RESTORE_FRAME mscratch
	mret

	.balign 4
	.globl rt_strap_entry
rt_strap_entry:
	SAVE_FRAME sscratch
	mv	a0, sp
	li	a1, 1
	call	rt_trap_dispatch
	RESTORE_FRAME sscratch
	sret

// u64 rt_run_in_mode(int mode, u64 (*fn)(u64), u64 arg)
	.globl rt_run_in_mode
rt_run_in_mode:
	la	t0, rt_mode_ctx
	sd	ra, 0*8(t0)
	sd	sp, 1*8(t0)
	sd	s0, 2*8(t0)
	sd	s1, 3*8(t0)
	sd	s2, 4*8(t0)
	sd	s3, 5*8(t0)
	sd	s4, 6*8(t0)
	sd	s5, 7*8(t0)
	sd	s6, 8*8(t0)
	sd	s7, 9*8(t0)
	sd	s8, 10*8(t0)
	sd	s9, 11*8(t0)
	sd	s10, 12*8(t0)
	sd	s11, 13*8(t0)
	sd	gp, 14*8(t0)
	sd	tp, 15*8(t0)
	li	t1, 3 << 11
	csrc	mstatus, t1
	andi	a0, a0, 3
	slli	a0, a0, 11
	csrs	mstatus, a0
	// The lower mode may see this image at an offset (paging guest).
	la	t0, rt_mode_va_offset
	ld	t0, 0(t0)
	la	t1, rt_lower_trampoline
	add	t1, t1, t0
	csrw	mepc, t1
	add	a1, a1, t0
	add	sp, sp, t0
	addi	sp, sp, -64
	mv	a0, a2
	mret

	.balign 4
rt_lower_trampoline:
	jalr	a1
	li	a7, RT_ECALL_RETURN
	ecall
	// An ECALL that returned here was not handled as a return: fail.
	li	a0, 103
	tail	rt_fail

// void rt_mode_return(u64 value): called by the trap dispatcher in M-mode.
	.globl rt_mode_return
rt_mode_return:
	la	t0, __mtrap_stack_top
	csrw	mscratch, t0
	la	t0, __strap_stack_top
	csrw	sscratch, t0
	li	t0, 1 << 17
	csrc	mstatus, t0
	la	t0, rt_mode_ctx
	ld	ra, 0*8(t0)
	ld	sp, 1*8(t0)
	ld	s0, 2*8(t0)
	ld	s1, 3*8(t0)
	ld	s2, 4*8(t0)
	ld	s3, 5*8(t0)
	ld	s4, 6*8(t0)
	ld	s5, 7*8(t0)
	ld	s6, 8*8(t0)
	ld	s7, 9*8(t0)
	ld	s8, 10*8(t0)
	ld	s9, 11*8(t0)
	ld	s10, 12*8(t0)
	ld	s11, 13*8(t0)
	ld	gp, 14*8(t0)
	ld	tp, 15*8(t0)
	ret

	.bss
	.balign 8
rt_mode_ctx:
	.space 16 * 8
