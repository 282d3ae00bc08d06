/* SPDX-License-Identifier: MIT */
/*
 * CSR numbers and the columns of the CSR table (hv/cpu/csr.def) as C values,
 * for the modules the table drives: csr.c, disasm.c, hart_state.c and the
 * gdb stub's target description. The accessors themselves (csr_read,
 * csr_write) are declared in hart.h.
 */
#ifndef HV_CSR_H
#define HV_CSR_H

#include "hv/types.h"

/* The access column. */
enum csr_access {
	CSR_ACC_NAMED = 0,
	CSR_ACC_RW,
	CSR_ACC_RO,
	CSR_ACC_FP,
	CSR_ACC_CTR,
	CSR_ACC_TVM,
};

/* The gdb column. */
enum csr_gdb {
	CSR_GDB_NONE = 0,
	CSR_GDB_FPU,
	CSR_GDB_CSR,
};

/* CSR_<name> = number, for every row; CSR_<prefix><suffix>_lo/_hi for
 * every series. */
enum csr_num {
#define CSR(num, name, access, gdb) CSR_##name = num,
#define CSR_SERIES(lo, hi, first, prefix, suffix, access) \
	CSR_##prefix##suffix##_lo = lo, CSR_##prefix##suffix##_hi = hi,
#include "hv/cpu/csr.def"
};

/* The access column for num; CSR_ACC_NAMED for a number not in the
 * table. */
enum csr_access csr_access(unsigned num);

/* The table's name for num in objdump's spelling (a series member as
 * prefix<n>suffix), written to buf (len >= 24 is always enough); false if
 * the table has no name for it. */
bool csr_name(unsigned num, char *buf, size_t len);

#endif
