// SPDX-License-Identifier: MIT
/*
 * The fake machine of the gdb stub's tests (see fake_backend.h). Memory
 * accesses are bounds-checked like a real backend's: a read stops at the
 * end of memory (a short read), a write that does not fit fails.
 */
#include "tests/gdbstub/fake_backend.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void fake_init(struct fake_machine *m)
{
	memset(m, 0, sizeof(*m));
	m->fail_reg = -1;
	for (uint64_t a = 0; a < FAKE_MEM_SIZE; a += 4)
		m->mem[a] = 0x13; /* addi x0, x0, 0 */
	for (unsigned h = 0; h < FAKE_HARTS; h++) {
		m->hart[h].pc = FAKE_MEM_BASE;
		m->hart[h].x[2] = FAKE_MEM_BASE + FAKE_MEM_SIZE - 16 * (h + 1);
		m->hart[h].x[10] = h;
		m->hart[h].csr[0x100] = 0x8000000200006000ull; /* sstatus */
		m->hart[h].csr[0x301] = 0x800000000014112dull; /* misa: RV64ACDFIMSU */
		m->hart[h].priv = 1;
		for (unsigned i = 0; i < 32; i++)
			m->hart[h].f[i] = 0x4000000000000000ull + i; /* about 2.0 */
	}
}

static unsigned fake_thread_count(void *opaque)
{
	(void)opaque;
	return FAKE_HARTS;
}

static uint64_t *fake_reg(struct fake_machine *m, unsigned hart, unsigned regno)
{
	struct fake_hart *h = &m->hart[hart];

	if ((int)regno == m->fail_reg)
		return NULL;
	if (regno < 32)
		return &h->x[regno];
	if (regno == GDB_REG_PC)
		return &h->pc;
	if (regno < GDB_REG_F0 + 32)
		return &h->f[regno - GDB_REG_F0];
	if (regno < GDB_REG_CSR0 + 4096)
		return &h->csr[regno - GDB_REG_CSR0];
	if (regno == GDB_REG_PRIV)
		return &h->priv;
	return NULL;
}

static int fake_read_reg(void *opaque, unsigned hart, unsigned regno, uint64_t *value)
{
	uint64_t *r = fake_reg(opaque, hart, regno);

	if (!r)
		return -1;
	*value = regno == 0 ? 0 : *r;
	return 0;
}

static int fake_write_reg(void *opaque, unsigned hart, unsigned regno, uint64_t value)
{
	uint64_t *r = fake_reg(opaque, hart, regno);

	if (!r)
		return -1;
	if (regno != 0)
		*r = value;
	return 0;
}

static long fake_read_mem(void *opaque, unsigned hart, uint64_t addr, uint8_t *buf, size_t len)
{
	struct fake_machine *m = opaque;
	uint64_t off = addr - FAKE_MEM_BASE;

	(void)hart;
	if (addr < FAKE_MEM_BASE || off >= FAKE_MEM_SIZE)
		return -1;
	if (len > FAKE_MEM_SIZE - off)
		len = (size_t)(FAKE_MEM_SIZE - off);
	memcpy(buf, m->mem + off, len);
	return (long)len;
}

static int fake_write_mem(void *opaque, unsigned hart, uint64_t addr, const uint8_t *buf,
			  size_t len)
{
	struct fake_machine *m = opaque;
	uint64_t off = addr - FAKE_MEM_BASE;

	(void)hart;
	if (addr < FAKE_MEM_BASE || off >= FAKE_MEM_SIZE || len > FAKE_MEM_SIZE - off)
		return -1;
	memcpy(m->mem + off, buf, len);
	return 0;
}

static int fake_insert_point(void *opaque, enum gdb_point_type type, uint64_t addr, uint64_t kind)
{
	struct fake_machine *m = opaque;

	if (type == GDB_POINT_READ_WATCH || type == GDB_POINT_ACCESS_WATCH)
		return GDB_UNSUPPORTED;
	for (int i = 0; i < FAKE_MAX_POINTS; i++) {
		if (!m->points[i].used) {
			m->points[i] = (struct fake_point){ true, type, addr, kind };
			return 0;
		}
	}
	return -1;
}

static int fake_remove_point(void *opaque, enum gdb_point_type type, uint64_t addr, uint64_t kind)
{
	struct fake_machine *m = opaque;

	if (type == GDB_POINT_READ_WATCH || type == GDB_POINT_ACCESS_WATCH)
		return GDB_UNSUPPORTED;
	for (int i = 0; i < FAKE_MAX_POINTS; i++) {
		struct fake_point *p = &m->points[i];

		if (p->used && p->type == type && p->addr == addr && p->kind == kind) {
			p->used = false;
			return 0;
		}
	}
	return -1;
}

static int fake_monitor(void *opaque, unsigned hart, const char *cmd, gdb_monitor_out_fn out,
			void *ctx)
{
	struct fake_machine *m = opaque;
	char line[128];
	int n;

	snprintf(m->last_monitor, sizeof(m->last_monitor), "%s", cmd);
	if (strcmp(cmd, "icount") == 0) {
		n = snprintf(line, sizeof(line), "icount %llu (hart %u)\n",
			     (unsigned long long)m->icount, hart);
		out(ctx, line, (size_t)n);
		return 0;
	}
	if (strncmp(cmd, "echo ", 5) == 0) {
		out(ctx, cmd + 5, strlen(cmd + 5));
		out(ctx, "\n", 1);
		return 0;
	}
	if (strncmp(cmd, "big ", 4) == 0) {
		long total = strtol(cmd + 4, NULL, 10);

		for (long i = 0; i < total; i++)
			out(ctx, &"0123456789"[i % 10], 1);
		return 0;
	}
	if (strcmp(cmd, "fail") == 0) {
		out(ctx, "failed\n", 7);
		return -1;
	}
	return GDB_UNSUPPORTED;
}

static void fake_thread_extra_info(void *opaque, unsigned hart, char *buf, size_t cap)
{
	struct fake_machine *m = opaque;

	snprintf(buf, cap, "hart %u, fake, priv %llu", hart,
		 (unsigned long long)m->hart[hart].priv);
}

static bool fake_can_reverse(void *opaque)
{
	return ((struct fake_machine *)opaque)->can_reverse;
}

const struct gdb_backend_ops fake_ops = {
	.thread_count = fake_thread_count,
	.read_reg = fake_read_reg,
	.write_reg = fake_write_reg,
	.read_mem = fake_read_mem,
	.write_mem = fake_write_mem,
	.insert_point = fake_insert_point,
	.remove_point = fake_remove_point,
	.monitor = fake_monitor,
	.thread_extra_info = fake_thread_extra_info,
	.can_reverse = fake_can_reverse,
};

static void fake_set_counter(struct fake_machine *m, uint32_t v)
{
	memcpy(m->mem + (FAKE_COUNTER_ADDR - FAKE_MEM_BASE), &v, 4);
}

static uint32_t fake_counter(const struct fake_machine *m)
{
	uint32_t v;

	memcpy(&v, m->mem + (FAKE_COUNTER_ADDR - FAKE_MEM_BASE), 4);
	return v;
}

static bool fake_hit(struct fake_machine *m, unsigned h, bool wrote, struct gdb_stop *stop)
{
	for (int i = 0; i < FAKE_MAX_POINTS; i++) {
		struct fake_point *p = &m->points[i];

		if (!p->used)
			continue;
		if ((p->type == GDB_POINT_SW_BREAK || p->type == GDB_POINT_HW_BREAK) &&
		    p->addr == m->hart[h].pc) {
			stop->reason = p->type == GDB_POINT_SW_BREAK ? GDB_STOP_SW_BREAK :
								       GDB_STOP_HW_BREAK;
			return true;
		}
		if (p->type == GDB_POINT_WRITE_WATCH && wrote && p->addr < FAKE_COUNTER_ADDR + 4 &&
		    p->addr + p->kind > FAKE_COUNTER_ADDR) {
			stop->reason = GDB_STOP_WATCH;
			stop->addr = p->addr;
			return true;
		}
	}
	return false;
}

bool fake_step(struct fake_machine *m, unsigned h, bool backwards, struct gdb_stop *stop)
{
	struct fake_hart *hart = &m->hart[h];
	bool wrote = false;

	memset(stop, 0, sizeof(*stop));
	stop->hart = h;
	stop->signal = GDB_SIGTRAP;
	if (backwards) {
		if (m->icount == 0) {
			stop->reason = GDB_STOP_HISTORY_BEGIN;
			return true;
		}
		if (m->icount % FAKE_TICK == 0) {
			fake_set_counter(m, fake_counter(m) - 1);
			wrote = true;
		}
		m->icount--;
		hart->pc = hart->pc == FAKE_MEM_BASE ? FAKE_MEM_BASE + FAKE_MEM_SIZE - 4 :
						       hart->pc - 4;
	} else {
		m->icount++;
		hart->pc = hart->pc + 4 == FAKE_MEM_BASE + FAKE_MEM_SIZE ? FAKE_MEM_BASE :
									   hart->pc + 4;
		if (m->icount % FAKE_TICK == 0) {
			fake_set_counter(m, fake_counter(m) + 1);
			wrote = true;
		}
	}
	return fake_hit(m, h, wrote, stop);
}
