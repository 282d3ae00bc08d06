/* SPDX-License-Identifier: MIT */
/*
 * The riscv64 target description the stub hands to gdb
 * (qXfer:features:read:target.xml; GDB manual, "Target Descriptions" and
 * "RISC-V Features"), and the register numbering it fixes.
 *
 * Register numbers are GDB's riscv numbering, declared with explicit
 * `regnum` attributes so that the numbers gdb puts in p/P packets are
 * these: x0..x31 = 0..31, pc = 32, f0..f31 = 33..64, CSR n = 65 + n (so
 * fflags/frm/fcsr are 66..68, sstatus 0x141), and the virtual register
 * `priv` (the current privilege level, 0 = U, 1 = S, 3 = M) = 65 + 4096.
 *
 * Four features: org.gnu.gdb.riscv.cpu (x0..x31 by their ABI names, pc),
 * org.gnu.gdb.riscv.fpu (f0..f31 by ABI name, fflags, frm, fcsr),
 * org.gnu.gdb.riscv.csr (the supervisor and machine CSRs a kernel developer
 * looks at; which CSRs go in which feature is the gdb column of the CSR
 * table, hv/cpu/csr.def) and org.gnu.gdb.riscv.virtual (priv). gdb also accepts x0/f0
 * style names for all of them.
 */
#ifndef GDBSTUB_TDESC_H
#define GDBSTUB_TDESC_H

#include <stddef.h>

#define GDB_REG_X0 0u
#define GDB_REG_PC 32u
#define GDB_REG_F0 33u
#define GDB_REG_CSR0 65u
#define GDB_REG_CSR(n) (GDB_REG_CSR0 + (unsigned)(n))
#define GDB_REG_PRIV (GDB_REG_CSR0 + 4096u)

/* Number of registers in the g/G packet: x0..x31 and pc, 8 bytes each. The
 * rest gdb reads one at a time with p. */
#define GDB_G_REGS 33u

/* Size in bytes of register regno, or 0 if the description lacks it. */
unsigned tdesc_reg_size(unsigned regno);

/* The description; a NUL-terminated document of *len bytes that lives
 * for the whole process. */
const char *tdesc_xml(size_t *len);

#endif
