// SPDX-License-Identifier: MIT
/*
 * Queries of plugin.h: registers, instruction counts and time, address
 * translation and guest memory, symbols from the plugin's vmlinux=, and
 * Linux awareness (tasks, modules, system call names; introspect/).
 * Each query is one host_* function of a host; the ABI 4 form (rv_machine_*)
 * asks the host of its machine handle, the ABI 1-3 form without a handle
 * asks the machine whose plugin callback is running on this thread
 * (plugin_host_cur, host_impl.h) and answers 0 or -1 outside a callback.
 * Linux structs are given in the layout of the plugin's agreed version
 * (ABI 4 sized, ABI 1-3 as they were). Every hart number, register and
 * address is checked here or by the machine; reads never change it
 * (rv_time_ns reads the hart's local clock, not the guest-visible one).
 */
#include <stdio.h>
#include <string.h>

#include "hv/cpu/mmu.h"
#include "introspect/linux.h"
#include "introspect/syms.h"
#include "plugins/host_impl.h"

/* ---- Queries of a host ---- */

static uint32_t host_hart_count(const struct plugin_host *ph)
{
	return ph && ph->m ? ph->m->nharts : 0;
}

/* The hart numbered hart, or NULL. */
static struct hart *host_hart(const struct plugin_host *ph, uint32_t hart)
{
	return hart < host_hart_count(ph) ? ph->m->hart[hart] : NULL;
}

static int host_reg_read(const struct plugin_host *ph, uint32_t hart, uint32_t reg, uint64_t *value)
{
	struct hart *h = host_hart(ph, hart);

	return h && value ? debug_read_reg(h, reg, value) : -1;
}

static uint64_t host_icount(const struct plugin_host *ph, uint32_t hart)
{
	const struct hart *h = host_hart(ph, hart);

	/* Inside a block the hart's count lags; the running hart's exact
	 * count is what the executor synchronised for the callback. */
	return h ? h->icount : 0;
}

static uint64_t host_total_icount(const struct plugin_host *ph)
{
	uint64_t n = 0;

	for (uint32_t i = 0; i < host_hart_count(ph); i++)
		n += ph->m->hart[i]->icount;
	return n;
}

/* Guest time is derived from instructions (hv/platform/machine.h): 1e9 /
 * (HV_TIMEBASE_HZ * HV_INSNS_PER_TICK) nanoseconds each. */
_Static_assert(1000000000ull % (HV_TIMEBASE_HZ * HV_INSNS_PER_TICK) == 0,
	       "an instruction must last a whole number of nanoseconds");
#define HOST_NS_PER_INSN (1000000000ull / (HV_TIMEBASE_HZ * HV_INSNS_PER_TICK))

static uint64_t host_time_ns(const struct plugin_host *ph, uint32_t hart)
{
	const struct hart *h = host_hart(ph, hart);

	/* The hart's local clock (hart.c), not hart_time(): that one moves
	 * m->time_seen, which the guest reads. */
	return h ? (h->icount + h->itime_offset) * HOST_NS_PER_INSN : 0;
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

static size_t host_read_virt(struct plugin_host *ph, uint32_t hart, uint64_t vaddr, void *buf,
			     size_t len)
{
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

/* ---- The ABI 4 queries: the host of the machine handle ---- */

static struct plugin_host *machine_host(const rv_machine *m)
{
	return m ? m->plugin->host : NULL;
}

RV_PLUGIN_EXPORT uint32_t rv_machine_hart_count(rv_machine *m)
{
	return host_hart_count(machine_host(m));
}

RV_PLUGIN_EXPORT int rv_machine_reg_read(rv_machine *m, uint32_t hart, uint32_t reg,
					 uint64_t *value)
{
	return host_reg_read(machine_host(m), hart, reg, value);
}

RV_PLUGIN_EXPORT uint64_t rv_machine_icount(rv_machine *m, uint32_t hart)
{
	return host_icount(machine_host(m), hart);
}

RV_PLUGIN_EXPORT uint64_t rv_machine_total_icount(rv_machine *m)
{
	return host_total_icount(machine_host(m));
}

RV_PLUGIN_EXPORT uint64_t rv_machine_time_ns(rv_machine *m, uint32_t hart)
{
	return host_time_ns(machine_host(m), hart);
}

RV_PLUGIN_EXPORT size_t rv_machine_mem_read_virt(rv_machine *m, uint32_t hart, uint64_t vaddr,
						 void *buf, size_t len)
{
	return host_read_virt(machine_host(m), hart, vaddr, buf, len);
}

RV_PLUGIN_EXPORT size_t rv_machine_mem_read_phys(rv_machine *m, uint64_t paddr, void *buf,
						 size_t len)
{
	return host_read_phys(machine_host(m), paddr, buf, len);
}

RV_PLUGIN_EXPORT int rv_machine_translate(rv_machine *m, uint32_t hart, uint64_t vaddr,
					  uint64_t *paddr)
{
	return host_translate(machine_host(m), hart, vaddr, paddr);
}

RV_PLUGIN_EXPORT const char *rv_machine_symbol(rv_machine *m, uint64_t vaddr, uint64_t *offset)
{
	return rv_symbol(machine_plugin(m), vaddr, offset);
}

RV_PLUGIN_EXPORT int rv_machine_symbol_addr(rv_machine *m, const char *name, uint64_t *vaddr)
{
	return rv_symbol_addr(machine_plugin(m), name, vaddr);
}

/* ---- The forms of ABI 1-3: the host whose callback runs ---- */

RV_PLUGIN_EXPORT uint32_t rv_hart_count(void)
{
	return host_hart_count(plugin_host_cur);
}

RV_PLUGIN_EXPORT int rv_reg_read(uint32_t hart, uint32_t reg, uint64_t *value)
{
	return host_reg_read(plugin_host_cur, hart, reg, value);
}

RV_PLUGIN_EXPORT uint64_t rv_icount(uint32_t hart)
{
	return host_icount(plugin_host_cur, hart);
}

RV_PLUGIN_EXPORT uint64_t rv_total_icount(void)
{
	return host_total_icount(plugin_host_cur);
}

RV_PLUGIN_EXPORT uint64_t rv_time_ns(uint32_t hart)
{
	return host_time_ns(plugin_host_cur, hart);
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
	return host_read_virt(plugin_host_cur, hart, vaddr, buf, len);
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

/* The task as the plugin's agreed version lays out rv_task, in out (of
 * room bytes: ABI 4's size field says how many are filled). */
static void host_task(const struct rv_plugin *p, const struct intro_task *t, void *out,
		      uint32_t room)
{
	if (p->abi < 4) {
		struct host_task_v1 *o = out;
		memset(o, 0, sizeof(*o));
		o->addr = t->task;
		o->pid = t->pid;
		o->tgid = t->tgid;
		memcpy(o->comm, t->comm, sizeof(o->comm) - 1);
		return;
	}
	rv_task rt = { .size = sizeof(rt), .addr = t->task, .pid = t->pid, .tgid = t->tgid };
	memcpy(rt.comm, t->comm, sizeof(rt.comm) - 1);
	if (room > sizeof(rt))
		room = sizeof(rt);
	rt.size = room;
	memcpy(out, &rt, room);
}

/* The Linux view of p's machine for hart, and its memory reader; NULL if
 * there is none (no vmlinux=, no such hart). */
static struct intro_linux *host_linux_of(rv_plugin *p, uint32_t hart, struct intro_mem *mem,
					 struct hart **h)
{
	struct intro_linux *lx = host_linux(p);

	*h = lx ? host_hart(p->host, hart) : NULL;
	if (!*h)
		return NULL;
	*mem = (struct intro_mem){ p->host, host_intro_read };
	return lx;
}

RV_PLUGIN_EXPORT int rv_linux_current(rv_plugin *self, uint32_t hart, rv_task *task)
{
	uint32_t room = sizeof(struct host_task_v1);
	struct intro_task t = { 0 };
	struct intro_mem mem;
	struct hart *h;
	uint64_t addr;

	if (!self || !task)
		return -1;
	if (self->abi >= 4) {
		room = task->size;
		if (room < sizeof(rv_task)) {
			host_size_refuse(self, "rv_machine_linux_current", "rv_task", room,
					 sizeof(rv_task));
			return -1;
		}
	}
	struct intro_linux *lx = host_linux_of(self, hart, &mem, &h);
	if (!lx || intro_linux_current(lx, &mem, h->satp, h->x[4], h->sscratch, h->priv, &addr) ||
	    intro_linux_task_info(lx, &mem, h->satp, addr, &t.pid, &t.tgid, t.comm))
		return -1;
	t.task = addr;
	host_task(self, &t, task, room);
	return 0;
}

struct host_walk {
	const struct rv_plugin *p;
	rv_task_cb tcb;
	rv_module_cb mcb;
	void *ud;
};

static int host_task_cb(void *opaque, const struct intro_task *t)
{
	struct host_walk *w = opaque;
	union {
		rv_task v4;
		struct host_task_v1 v1;
	} rt;

	host_task(w->p, t, &rt, sizeof(rt));
	return w->tcb(w->ud, (const rv_task *)&rt);
}

static int host_module_cb(void *opaque, const struct intro_module *mod)
{
	struct host_walk *w = opaque;

	if (w->p->abi < 4) {
		struct host_module_v1 rm = { mod->module, mod->base, mod->size, "" };
		snprintf(rm.name, sizeof(rm.name), "%s", mod->name);
		return w->mcb(w->ud, (const rv_module *)&rm);
	}
	rv_module rm = { .size = sizeof(rm),
			 .addr = mod->module,
			 .text_base = mod->base,
			 .text_size = mod->size };
	snprintf(rm.name, sizeof(rm.name), "%s", mod->name);
	return w->mcb(w->ud, &rm);
}

/* Walk the tasks (w->tcb) or the modules (w->mcb) of p's machine. */
static int host_walk(rv_plugin *p, uint32_t hart, struct host_walk *w)
{
	struct intro_mem mem;
	struct hart *h;
	struct intro_linux *lx = p && (w->tcb || w->mcb) ? host_linux_of(p, hart, &mem, &h) : NULL;

	if (!lx)
		return -1;
	if (w->tcb)
		return intro_linux_tasks(lx, &mem, h->satp, host_task_cb, w);
	return intro_linux_modules(lx, &mem, h->satp, host_module_cb, w);
}

RV_PLUGIN_EXPORT int rv_linux_tasks(rv_plugin *self, uint32_t hart, rv_task_cb cb, void *ud)
{
	struct host_walk w = { .p = self, .tcb = cb, .ud = ud };

	return host_walk(self, hart, &w);
}

RV_PLUGIN_EXPORT int rv_linux_modules(rv_plugin *self, uint32_t hart, rv_module_cb cb, void *ud)
{
	struct host_walk w = { .p = self, .mcb = cb, .ud = ud };

	return host_walk(self, hart, &w);
}

RV_PLUGIN_EXPORT int rv_machine_linux_current(rv_machine *m, uint32_t hart, rv_task *task)
{
	return rv_linux_current(machine_plugin(m), hart, task);
}

RV_PLUGIN_EXPORT int rv_machine_linux_tasks(rv_machine *m, uint32_t hart, rv_task_cb cb, void *ud)
{
	return rv_linux_tasks(machine_plugin(m), hart, cb, ud);
}

RV_PLUGIN_EXPORT int rv_machine_linux_modules(rv_machine *m, uint32_t hart, rv_module_cb cb,
					      void *ud)
{
	return rv_linux_modules(machine_plugin(m), hart, cb, ud);
}

RV_PLUGIN_EXPORT const char *rv_syscall_name(uint64_t nr)
{
	return intro_syscall_name(nr);
}

RV_PLUGIN_EXPORT uint32_t rv_syscall_nargs(uint64_t nr)
{
	return (uint32_t)intro_syscall_nargs(nr);
}
