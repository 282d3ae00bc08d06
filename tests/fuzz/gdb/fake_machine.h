/* SPDX-License-Identifier: MIT */
/*
 * The machine behind the gdb stub in the fuzz harness (fuzz_gdb_packets.c):
 * the idea of tests/gdbstub's fake backend, made small enough to build
 * afresh for every input (registers of up to FUZZ_MAX_HARTS harts, a few
 * CSRs, FUZZ_MEM_SIZE bytes of memory, a table of points, monitor
 * commands) and strict about the contract of struct gdb_backend_ops: a
 * hart index at or above thread_count(), a monitor command longer than
 * GDB_PACKET_SIZE / 2 or a length the stub never asks for aborts, so the
 * fuzzer reports the stub's breach as a crash.
 */
#ifndef TESTS_FUZZ_GDB_FAKE_MACHINE_H
#define TESTS_FUZZ_GDB_FAKE_MACHINE_H

#include "gdbstub/gdbstub.h"

#define FUZZ_MAX_HARTS 4u
#define FUZZ_MEM_BASE 0x80000000ull
#define FUZZ_MEM_SIZE 0x4000ull
#define FUZZ_MAX_POINTS 8
#define FUZZ_CSRS 16u
#define FUZZ_MONITOR_MAX 4096 /* "big N" prints at most this much: 4 O packets */

struct fuzz_hart {
	uint64_t x[32], pc, f[32], csr[FUZZ_CSRS], priv;
};

struct fuzz_point {
	bool used;
	enum gdb_point_type type;
	uint64_t addr, kind;
};

struct fuzz_machine {
	unsigned nharts;
	bool can_reverse;
	struct fuzz_hart hart[FUZZ_MAX_HARTS];
	uint8_t mem[FUZZ_MEM_SIZE];
	struct fuzz_point points[FUZZ_MAX_POINTS];
};

/* Every op, and the same machine with no optional op (points, monitor,
 * thread text, reverse): the stub must cope with both. */
extern const struct gdb_backend_ops fuzz_full_ops, fuzz_minimal_ops;

void fuzz_machine_init(struct fuzz_machine *m, unsigned nharts, bool can_reverse);

/* The first point of a type, or NULL. */
const struct fuzz_point *fuzz_machine_point(const struct fuzz_machine *m, enum gdb_point_type type);

#endif
