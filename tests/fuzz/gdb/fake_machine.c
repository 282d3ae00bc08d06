// SPDX-License-Identifier: MIT
/*
 * The fuzz harness's machine behind the gdb stub (fake_machine.h). Every
 * op checks what the stub promises in gdbstub.h before using it and
 * aborts on a breach; memory accesses are bounds-checked like a real
 * backend's (a read stops short at the end of memory, a write that does
 * not fit fails).
 */
#include "tests/fuzz/gdb/fake_machine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void fuzz_check_hart(const struct fuzz_machine *m, unsigned hart)
{
	if (hart >= m->nharts) {
		fprintf(stderr, "gdb stub breach: hart %u of %u\n", hart, m->nharts);
		abort();
	}
}

void fuzz_machine_init(struct fuzz_machine *m, unsigned nharts, bool can_reverse)
{
	memset(m, 0, sizeof(*m));
	m->nharts = nharts;
	m->can_reverse = can_reverse;
	for (uint64_t a = 0; a < FUZZ_MEM_SIZE; a += 4)
		m->mem[a] = 0x13; /* addi x0, x0, 0 */
	for (unsigned h = 0; h < nharts; h++) {
		m->hart[h].pc = FUZZ_MEM_BASE + 0x100 * h;
		m->hart[h].x[2] = FUZZ_MEM_BASE + FUZZ_MEM_SIZE - 16 * (h + 1);
		m->hart[h].priv = 1;
	}
}

const struct fuzz_point *fuzz_machine_point(const struct fuzz_machine *m, enum gdb_point_type type)
{
	for (int i = 0; i < FUZZ_MAX_POINTS; i++)
		if (m->points[i].used && m->points[i].type == type)
			return &m->points[i];
	return NULL;
}

static unsigned fuzz_thread_count(void *opaque)
{
	return ((struct fuzz_machine *)opaque)->nharts;
}

/* A register, or NULL for one the backend cannot access: CSRs are kept
 * in FUZZ_CSRS cells, and every seventh CSR number is inaccessible. */
static uint64_t *fuzz_reg(struct fuzz_machine *m, unsigned hart, unsigned regno)
{
	struct fuzz_hart *h;

	fuzz_check_hart(m, hart);
	h = &m->hart[hart];
	if (regno < 32)
		return &h->x[regno];
	if (regno == GDB_REG_PC)
		return &h->pc;
	if (regno < GDB_REG_F0 + 32)
		return &h->f[regno - GDB_REG_F0];
	if (regno < GDB_REG_CSR0 + 4096)
		return (regno - GDB_REG_CSR0) % 7 == 3 ?
			       NULL :
			       &h->csr[(regno - GDB_REG_CSR0) % FUZZ_CSRS];
	if (regno == GDB_REG_PRIV)
		return &h->priv;
	return NULL;
}

static int fuzz_read_reg(void *opaque, unsigned hart, unsigned regno, uint64_t *value)
{
	uint64_t *r = fuzz_reg(opaque, hart, regno);

	if (!r)
		return -1;
	*value = regno == 0 ? 0 : *r;
	return 0;
}

static int fuzz_write_reg(void *opaque, unsigned hart, unsigned regno, uint64_t value)
{
	uint64_t *r = fuzz_reg(opaque, hart, regno);

	if (!r)
		return -1;
	if (regno != 0)
		*r = value;
	return 0;
}

static long fuzz_read_mem(void *opaque, unsigned hart, uint64_t addr, uint8_t *buf, size_t len)
{
	struct fuzz_machine *m = opaque;
	uint64_t off = addr - FUZZ_MEM_BASE;

	fuzz_check_hart(m, hart);
	if (len == 0 || len > GDB_PACKET_SIZE) {
		fprintf(stderr, "gdb stub breach: memory read of %zu bytes\n", len);
		abort();
	}
	if (addr < FUZZ_MEM_BASE || off >= FUZZ_MEM_SIZE)
		return -1;
	if (len > FUZZ_MEM_SIZE - off)
		len = (size_t)(FUZZ_MEM_SIZE - off);
	memcpy(buf, m->mem + off, len);
	return (long)len;
}

static int fuzz_write_mem(void *opaque, unsigned hart, uint64_t addr, const uint8_t *buf,
			  size_t len)
{
	struct fuzz_machine *m = opaque;
	uint64_t off = addr - FUZZ_MEM_BASE;

	fuzz_check_hart(m, hart);
	if (len == 0 || len > GDB_PACKET_SIZE) {
		fprintf(stderr, "gdb stub breach: memory write of %zu bytes\n", len);
		abort();
	}
	if (addr < FUZZ_MEM_BASE || off >= FUZZ_MEM_SIZE || len > FUZZ_MEM_SIZE - off)
		return -1;
	memcpy(m->mem + off, buf, len);
	return 0;
}

static int fuzz_insert_point(void *opaque, enum gdb_point_type type, uint64_t addr, uint64_t kind)
{
	struct fuzz_machine *m = opaque;

	if (type > GDB_POINT_ACCESS_WATCH)
		abort();
	if (type == GDB_POINT_ACCESS_WATCH)
		return GDB_UNSUPPORTED;
	for (int i = 0; i < FUZZ_MAX_POINTS; i++) {
		if (!m->points[i].used) {
			m->points[i] = (struct fuzz_point){ true, type, addr, kind };
			return 0;
		}
	}
	return -1;
}

static int fuzz_remove_point(void *opaque, enum gdb_point_type type, uint64_t addr, uint64_t kind)
{
	struct fuzz_machine *m = opaque;

	if (type > GDB_POINT_ACCESS_WATCH)
		abort();
	if (type == GDB_POINT_ACCESS_WATCH)
		return GDB_UNSUPPORTED;
	for (int i = 0; i < FUZZ_MAX_POINTS; i++) {
		struct fuzz_point *p = &m->points[i];

		if (p->used && p->type == type && p->addr == addr && p->kind == kind) {
			p->used = false;
			return 0;
		}
	}
	return -1;
}

static int fuzz_monitor(void *opaque, unsigned hart, const char *cmd, gdb_monitor_out_fn out,
			void *ctx)
{
	size_t len = strlen(cmd);

	fuzz_check_hart(opaque, hart);
	if (len > GDB_PACKET_SIZE / 2) {
		fprintf(stderr, "gdb stub breach: monitor command of %zu bytes\n", len);
		abort();
	}
	if (strncmp(cmd, "echo ", 5) == 0) {
		out(ctx, cmd + 5, len - 5);
		out(ctx, "\n", 1);
		return 0;
	}
	if (strncmp(cmd, "big ", 4) == 0) {
		long total = strtol(cmd + 4, NULL, 10);

		for (long i = 0; i < total && i < FUZZ_MONITOR_MAX; i++)
			out(ctx, &"0123456789"[i % 10], 1);
		return 0;
	}
	if (strcmp(cmd, "fail") == 0) {
		out(ctx, "failed\n", 7);
		return -1;
	}
	return GDB_UNSUPPORTED;
}

static void fuzz_thread_extra_info(void *opaque, unsigned hart, char *buf, size_t cap)
{
	struct fuzz_machine *m = opaque;

	fuzz_check_hart(m, hart);
	/* Fill the whole buffer without a terminator: the stub must end it. */
	memset(buf, 'h', cap);
	if (hart % 2 == 0)
		snprintf(buf, cap, "hart %u, priv %llu", hart,
			 (unsigned long long)m->hart[hart].priv);
}

static bool fuzz_can_reverse(void *opaque)
{
	return ((struct fuzz_machine *)opaque)->can_reverse;
}

const struct gdb_backend_ops fuzz_full_ops = {
	.thread_count = fuzz_thread_count,
	.read_reg = fuzz_read_reg,
	.write_reg = fuzz_write_reg,
	.read_mem = fuzz_read_mem,
	.write_mem = fuzz_write_mem,
	.insert_point = fuzz_insert_point,
	.remove_point = fuzz_remove_point,
	.monitor = fuzz_monitor,
	.thread_extra_info = fuzz_thread_extra_info,
	.can_reverse = fuzz_can_reverse,
};

const struct gdb_backend_ops fuzz_minimal_ops = {
	.thread_count = fuzz_thread_count,
	.read_reg = fuzz_read_reg,
	.write_reg = fuzz_write_reg,
	.read_mem = fuzz_read_mem,
	.write_mem = fuzz_write_mem,
};
