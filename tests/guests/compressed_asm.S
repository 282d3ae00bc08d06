// SPDX-License-Identifier: MIT
//
// Hand-written C-extension block for the compressed guest (unprivileged
// spec, chapter "C Extension for Compressed Instructions"). Every
// instruction is written with its c.* mnemonic so the assembler cannot
// choose the 32-bit form; results are stored to out[] with uncompressed
// stores so the signature shows exactly what each compressed instruction
// produced (sign extension of 6-bit immediates, c.lui's 18-bit range,
// c.addiw/c.addw/c.subw's 32-bit results, scaled load/store offsets).
//
// void comp_run(u64 *out /* a0 */, u64 *mem /* a1 */)

	.option push
	.option rvc
	.text
	.globl comp_run
comp_run:
	addi	sp, sp, -64
	sd	s0, 0(sp)
	sd	s1, 8(sp)
	sd	ra, 16(sp)
	mv	t6, a0		// out
	mv	t5, a1		// mem

.macro OUT reg, idx
	.option push
	.option norvc
	sd	\reg, (\idx * 8)(t6)
	.option pop
.endm

	c.li	s0, 31
	OUT	s0, 0
	c.li	s0, -32
	OUT	s0, 1
	c.lui	s1, 0x1f		// 0x1f000
	OUT	s1, 2
	c.lui	s1, 0xfffe0		// sign-extended: 0xfffffffffffe0000
	OUT	s1, 3
	c.li	a2, -1
	c.addi	a2, 31
	OUT	a2, 4
	c.li	a2, 1
	c.slli	a2, 63
	OUT	a2, 5
	c.srai	a2, 3
	OUT	a2, 6
	c.srli	a2, 60
	OUT	a2, 7
	c.li	a3, -1
	c.andi	a3, -16
	OUT	a3, 8
	c.andi	a3, 15
	OUT	a3, 9
	// c.addiw sign-extends the 32-bit sum.
	li	a4, 0x7fffffff
	c.addiw	a4, 1
	OUT	a4, 10
	c.addiw	a4, 0		// sext.w
	OUT	a4, 11
	li	a4, 0x123456789
	c.addiw	a4, 0
	OUT	a4, 12
	// Register-register forms.
	li	a5, 0x0f0f0f0f0f0f0f0f
	li	a2, 0x00ff00ff00ff00ff
	c.mv	a3, a5
	c.and	a3, a2
	OUT	a3, 13
	c.mv	a3, a5
	c.or	a3, a2
	OUT	a3, 14
	c.mv	a3, a5
	c.xor	a3, a2
	OUT	a3, 15
	c.mv	a3, a5
	c.sub	a3, a2
	OUT	a3, 16
	c.mv	a3, a5
	c.add	a3, a2
	OUT	a3, 17
	li	a3, 0x7fffffff
	li	a4, 1
	c.addw	a3, a4
	OUT	a3, 18
	li	a3, 0
	c.subw	a3, a4
	OUT	a3, 19
	// c.addi4spn / c.addi16sp: offsets from sp (reported relative).
	mv	t0, sp
	c.addi4spn a2, sp, 8
	sub	a2, a2, t0
	OUT	a2, 20
	c.addi16sp sp, -32
	sub	a3, sp, t0
	OUT	a3, 21
	c.addi16sp sp, 32
	// Loads and stores with scaled offsets through mem (t5).
	mv	s0, t5
	li	a2, 0x8765432112345678
	c.sd	a2, 8(s0)
	c.sw	a2, 16(s0)
	c.ld	a3, 8(s0)
	OUT	a3, 22
	c.lw	a4, 16(s0)
	OUT	a4, 23
	c.lw	a4, 12(s0)	// high half of the c.sd: 0x87654321, sign-extended
	OUT	a4, 24
	// Stack-relative forms (sp-based, uncompressed registers allowed).
	c.sdsp	a2, 24(sp)
	c.swsp	a2, 40(sp)
	c.ldsp	t1, 24(sp)
	OUT	t1, 25
	c.lwsp	t2, 28(sp)	// 0x87654321 sign-extended
	OUT	t2, 26
	c.lwsp	t2, 40(sp)
	OUT	t2, 27
	// FP forms move the raw bits.
	c.fld	fa0, 8(s0)
	c.fsd	fa0, 24(s0)
	c.ld	a3, 24(s0)
	OUT	a3, 28
	c.fsdsp	fa0, 48(sp)
	c.fldsp	fa1, 48(sp)
	fmv.x.d	a3, fa1
	OUT	a3, 29
	c.nop
	// c.jalr and c.jr link/offsets.
	la	a5, 1f
	c.jalr	a5
1:	sub	a3, ra, a5
	OUT	a3, 30		// 0: ra = address after the 2-byte c.jalr = 1f
	c.mv	a4, s0
	c.add	a4, a4		// doubling via c.add
	sub	a4, a4, s0
	sub	a4, a4, s0
	OUT	a4, 31		// 0

	ld	s0, 0(sp)
	ld	s1, 8(sp)
	ld	ra, 16(sp)
	addi	sp, sp, 64
	ret
	.option pop
