/* SPDX-License-Identifier: MIT */
/*
 * A fake machine behind the gdb stub's backend interface, for the stub's
 * tests: FAKE_HARTS harts with every register the target description
 * names, FAKE_MEM_SIZE bytes of memory at FAKE_MEM_BASE, a table of
 * breakpoints and watchpoints, and a few monitor commands. Its "execution"
 * (fake_step) advances pc by 4 and, every FAKE_TICK instructions, bumps a
 * 32-bit counter at FAKE_COUNTER_ADDR, so that breakpoints and write
 * watchpoints have something to hit, forwards and backwards.
 *
 * Monitor commands: "icount" (prints "icount N"), "echo TEXT", "big N"
 * (N bytes of output, to exercise O packets), "fail" (an error); anything
 * else is unsupported. Read watchpoints (Z3) and access watchpoints (Z4)
 * are unsupported, to exercise the stub's empty reply; fail_reg makes one
 * register inaccessible.
 */
#ifndef TESTS_GDBSTUB_FAKE_BACKEND_H
#define TESTS_GDBSTUB_FAKE_BACKEND_H

#include "gdbstub/gdbstub.h"

#ifdef __cplusplus
extern "C" {
#endif

#define FAKE_HARTS 2u
#define FAKE_MEM_BASE 0x80000000ull
#define FAKE_MEM_SIZE 0x10000ull
#define FAKE_COUNTER_ADDR (FAKE_MEM_BASE + 0x1000)
#define FAKE_TICK 100u
#define FAKE_MAX_POINTS 16

struct fake_hart {
	uint64_t x[32];
	uint64_t pc;
	uint64_t f[32];
	uint64_t csr[4096];
	uint64_t priv;
};

struct fake_point {
	bool used;
	enum gdb_point_type type;
	uint64_t addr, kind;
};

struct fake_machine {
	struct fake_hart hart[FAKE_HARTS];
	uint8_t mem[FAKE_MEM_SIZE];
	struct fake_point points[FAKE_MAX_POINTS];
	uint64_t icount; /* instructions retired by all harts */
	bool can_reverse;
	int fail_reg; /* a register number the backend cannot access, or -1 */
	char last_monitor[256];
};

extern const struct gdb_backend_ops fake_ops;

/* Harts start at FAKE_MEM_BASE with memory full of `nop` (0x00000013). */
void fake_init(struct fake_machine *m);

/* Runs one instruction of hart h forwards (or undoes one backwards).
 * Returns true and fills *stop if that hit a breakpoint or watchpoint, or
 * (backwards) reached icount 0. */
bool fake_step(struct fake_machine *m, unsigned h, bool backwards, struct gdb_stop *stop);

#ifdef __cplusplus
}
#endif

#endif
