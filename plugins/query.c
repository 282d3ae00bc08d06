// SPDX-License-Identifier: MIT
/*
 * Queries of plugin.h: registers, instruction counts and time, address
 * translation and guest memory, symbols from the plugin's vmlinux=, and
 * Linux awareness (tasks, modules, system call names; introspect/).
 * Queries that take the plugin handle ask its host's machine; those that
 * do not (an ABI 1 shape kept unchanged) ask the machine whose plugin
 * callback is running on this thread (plugin_host_cur, host_impl.h) and
 * answer 0 or -1 outside a callback. Every hart number, register and
 * address is checked here or by the machine; reads never change it
 * (rv_time_ns reads the hart's local clock, not the guest-visible one).
 */
#include <stdio.h>
#include <string.h>

#include "hv/cpu/mmu.h"
#include "introspect/linux.h"
#include "introspect/syms.h"
#include "plugins/host_impl.h"

/* ---- The ABI: queries ---- */

RV_PLUGIN_EXPORT uint32_t rv_hart_count(void)
{
	const struct plugin_host *ph = plugin_host_cur;

	return ph && ph->m ? ph->m->nharts : 0;
}

RV_PLUGIN_EXPORT int rv_reg_read(uint32_t hart, uint32_t reg, uint64_t *value)
{
	const struct plugin_host *ph = plugin_host_cur;

	if (!ph || !ph->m || hart >= ph->m->nharts || !value)
		return -1;
	return debug_read_reg(ph->m->hart[hart], reg, value);
}

RV_PLUGIN_EXPORT uint64_t rv_icount(uint32_t hart)
{
	const struct plugin_host *ph = plugin_host_cur;

	if (!ph || !ph->m || hart >= ph->m->nharts)
		return 0;
	const struct hart *h = ph->m->hart[hart];
	/* Inside a block the hart's count lags; the running hart's exact
	 * count is what the executor synchronised for the callback. */
	return h->icount;
}

RV_PLUGIN_EXPORT uint64_t rv_total_icount(void)
{
	const struct plugin_host *ph = plugin_host_cur;

	if (!ph || !ph->m)
		return 0;
	uint64_t n = 0;
	for (unsigned i = 0; i < ph->m->nharts; i++)
		n += ph->m->hart[i]->icount;
	return n;
}

/* Guest time is derived from instructions (hv/platform/machine.h): 1e9 /
 * (HV_TIMEBASE_HZ * HV_INSNS_PER_TICK) nanoseconds each. */
_Static_assert(1000000000ull % (HV_TIMEBASE_HZ * HV_INSNS_PER_TICK) == 0,
	       "an instruction must last a whole number of nanoseconds");
#define HOST_NS_PER_INSN (1000000000ull / (HV_TIMEBASE_HZ * HV_INSNS_PER_TICK))

RV_PLUGIN_EXPORT uint64_t rv_time_ns(uint32_t hart)
{
	const struct plugin_host *ph = plugin_host_cur;

	if (!ph || !ph->m || hart >= ph->m->nharts)
		return 0;
	/* The hart's local clock (hart.c), not hart_time(): that one moves
	 * m->time_seen, which the guest reads. */
	const struct hart *h = ph->m->hart[hart];
	return (h->icount + h->itime_offset) * HOST_NS_PER_INSN;
}

int host_translate(struct plugin_host *ph, uint32_t hart, uint64_t vaddr, uint64_t *paddr)
{
	gpa_t pa;

	if (!ph || !ph->m || hart >= ph->m->nharts || !paddr)
		return -1;
	if (mmu_translate_debug(ph->m->hart[hart], vaddr, &pa))
		return -1;
	*paddr = pa;
	return 0;
}

size_t host_read_phys(struct plugin_host *ph, uint64_t paddr, void *buf, size_t len)
{
	size_t done = 0;

	while (ph && ph->m && done < len) {
		size_t chunk = HV_PAGE_SIZE - ((paddr + done) & HV_PAGE_MASK);
		if (chunk > len - done)
			chunk = len - done;
		if (!machine_read_phys(ph->m, paddr + done, (uint8_t *)buf + done, chunk))
			break;
		done += chunk;
	}
	return done;
}

RV_PLUGIN_EXPORT int rv_translate(uint32_t hart, uint64_t vaddr, uint64_t *paddr)
{
	return host_translate(plugin_host_cur, hart, vaddr, paddr);
}

RV_PLUGIN_EXPORT size_t rv_mem_read_phys(uint64_t paddr, void *buf, size_t len)
{
	return host_read_phys(plugin_host_cur, paddr, buf, len);
}

RV_PLUGIN_EXPORT size_t rv_mem_read_virt(uint32_t hart, uint64_t vaddr, void *buf, size_t len)
{
	struct plugin_host *ph = plugin_host_cur;
	size_t done = 0;

	while (ph && ph->m && done < len) {
		uint64_t pa;
		size_t chunk = HV_PAGE_SIZE - ((vaddr + done) & HV_PAGE_MASK);
		if (chunk > len - done)
			chunk = len - done;
		if (host_translate(ph, hart, vaddr + done, &pa) ||
		    host_read_phys(ph, pa, (uint8_t *)buf + done, chunk) != chunk)
			break;
		done += chunk;
	}
	return done;
}

RV_PLUGIN_EXPORT const char *rv_symbol(rv_plugin *self, uint64_t vaddr, uint64_t *offset)
{
	const char *name;
	uint64_t off;

	if (!self || !self->syms || intro_sym_lookup(self->syms, vaddr, &name, &off) != 0)
		return NULL;
	if (offset)
		*offset = off;
	return name;
}

RV_PLUGIN_EXPORT int rv_symbol_addr(rv_plugin *self, const char *name, uint64_t *vaddr)
{
	if (!self || !self->syms || !name || !vaddr)
		return -1;
	return intro_sym_addr(self->syms, name, vaddr);
}

/* ---- The ABI: Linux ---- */

static int host_intro_read(void *opaque, uint64_t pa, void *buf, size_t len)
{
	struct plugin_host *ph = opaque;

	return ph->m && machine_read_phys(ph->m, pa, buf, len) ? 0 : -1;
}

static struct intro_linux *host_linux(rv_plugin *self)
{
	struct hv_err err;

	if (!self || !self->spec.vmlinux || self->linux_failed)
		return NULL;
	if (!self->linux) {
		self->linux = intro_linux_open(self->spec.vmlinux, &err);
		if (!self->linux) {
			fprintf(stderr, "retrovisor: plugin %s: %s\n", self->spec.name, err.msg);
			self->linux_failed = true;
		}
	}
	return self->linux;
}

static void host_task(const struct intro_task *t, rv_task *out)
{
	memset(out, 0, sizeof(*out));
	out->addr = t->task;
	out->pid = t->pid;
	out->tgid = t->tgid;
	memcpy(out->comm, t->comm, sizeof(out->comm) - 1);
}

RV_PLUGIN_EXPORT int rv_linux_current(rv_plugin *self, uint32_t hart, rv_task *task)
{
	struct intro_linux *lx = host_linux(self);
	uint64_t addr;
	struct intro_task t = { 0 };

	if (!lx || !task || !self->host->m || hart >= self->host->m->nharts)
		return -1;
	const struct intro_mem mem = { self->host, host_intro_read };
	const struct hart *h = self->host->m->hart[hart];
	if (intro_linux_current(lx, &mem, h->satp, h->x[4], h->sscratch, h->priv, &addr) ||
	    intro_linux_task_info(lx, &mem, h->satp, addr, &t.pid, &t.tgid, t.comm))
		return -1;
	t.task = addr;
	host_task(&t, task);
	return 0;
}

struct host_walk {
	int (*tcb)(void *, const rv_task *);
	int (*mcb)(void *, const rv_module *);
	void *ud;
};

static int host_task_cb(void *opaque, const struct intro_task *t)
{
	struct host_walk *w = opaque;
	rv_task rt;

	host_task(t, &rt);
	return w->tcb(w->ud, &rt);
}

static int host_module_cb(void *opaque, const struct intro_module *mod)
{
	struct host_walk *w = opaque;
	rv_module rm;

	memset(&rm, 0, sizeof(rm));
	rm.addr = mod->module;
	rm.base = mod->base;
	rm.size = mod->size;
	snprintf(rm.name, sizeof(rm.name), "%s", mod->name);
	return w->mcb(w->ud, &rm);
}

RV_PLUGIN_EXPORT int rv_linux_tasks(rv_plugin *self, uint32_t hart,
				    int (*cb)(void *, const rv_task *), void *ud)
{
	struct intro_linux *lx = host_linux(self);
	struct host_walk w = { .tcb = cb, .ud = ud };

	if (!lx || !cb || !self->host->m || hart >= self->host->m->nharts)
		return -1;
	const struct intro_mem mem = { self->host, host_intro_read };
	return intro_linux_tasks(lx, &mem, self->host->m->hart[hart]->satp, host_task_cb, &w);
}

RV_PLUGIN_EXPORT int rv_linux_modules(rv_plugin *self, uint32_t hart,
				      int (*cb)(void *, const rv_module *), void *ud)
{
	struct intro_linux *lx = host_linux(self);
	struct host_walk w = { .mcb = cb, .ud = ud };

	if (!lx || !cb || !self->host->m || hart >= self->host->m->nharts)
		return -1;
	const struct intro_mem mem = { self->host, host_intro_read };
	return intro_linux_modules(lx, &mem, self->host->m->hart[hart]->satp, host_module_cb, &w);
}

RV_PLUGIN_EXPORT const char *rv_syscall_name(uint64_t nr)
{
	return intro_syscall_name(nr);
}

RV_PLUGIN_EXPORT uint32_t rv_syscall_nargs(uint64_t nr)
{
	return (uint32_t)intro_syscall_nargs(nr);
}
