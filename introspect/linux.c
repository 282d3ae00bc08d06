// SPDX-License-Identifier: MIT
/*
 * Linux awareness for riscv64 guests: current task, task list, modules.
 *
 * intro_linux_open resolves every offset once from DWARF (struct
 * task_struct, list_head, module) and the addresses of init_task and
 * modules from the symbol table, so the readers below are plain memory
 * reads at known offsets. Required members missing from the DWARF make
 * open fail with a sentence naming them; optional ones (mm, real_parent,
 * cpu, the module list) are marked INTRO_NO_OFFSET.
 *
 * Guest memory is untrusted. A list walk follows at most
 * INTRO_LINUX_MAX_TASKS (or _MODULES) links and remembers every node it
 * has seen, so a corrupted list that cycles without returning to its
 * head ends with -1 instead of looping or reporting a task twice.
 */
#include "introspect/linux.h"

#include <stdlib.h>
#include <string.h>

struct intro_linux {
	struct intro_syms *syms;
	struct intro_dwarf *dw;
	struct intro_linux_layout l;
};

const struct intro_linux_layout *intro_linux_layout(const struct intro_linux *lx)
{
	return &lx->l;
}

struct intro_syms *intro_linux_syms(struct intro_linux *lx)
{
	return lx->syms;
}

struct intro_dwarf *intro_linux_dwarf(struct intro_linux *lx)
{
	return lx->dw;
}

void intro_linux_close(struct intro_linux *lx)
{
	if (!lx)
		return;
	intro_syms_close(lx->syms);
	intro_dwarf_close(lx->dw);
	free(lx);
}

static int linux_need(struct intro_linux *lx, const char *type, const char *path, uint64_t *off,
		      const char *vmlinux, struct hv_err *err)
{
	if (intro_member_offset(lx->dw, type, path, off) == 0)
		return 0;
	hv_err_set(err,
		   "%s: the DWARF has no member %s in struct %s; is this a Linux vmlinux "
		   "with debug info?",
		   vmlinux, path, type);
	return -1;
}

static uint64_t linux_optional(struct intro_linux *lx, const char *type, const char *path)
{
	uint64_t off;

	return intro_member_offset(lx->dw, type, path, &off) == 0 ? off : INTRO_NO_OFFSET;
}

/* Module layout: the text base and size moved between kernel versions;
 * use whichever the DWARF describes. */
static void linux_find_module_layout(struct intro_linux *lx)
{
	static const char *const pairs[][2] = {
		{ "core_layout.base", "core_layout.size" }, /* 4.5 .. 6.3 */
		{ "mem.base", "mem.size" },                 /* 6.4+: mem[MOD_TEXT], MOD_TEXT = 0 */
		{ "module_core", "core_size" },             /* before 4.5 */
	};
	struct intro_linux_layout *l = &lx->l;
	uint64_t addr, len;

	l->modules = l->mod_list = l->mod_name = l->mod_name_len = INTRO_NO_OFFSET;
	l->mod_base = l->mod_size = l->mod_size_len = INTRO_NO_OFFSET;
	if (intro_sym_addr(lx->syms, "modules", &addr) != 0 ||
	    intro_member_offset(lx->dw, "module", "list", &l->mod_list) != 0 ||
	    intro_member_offset(lx->dw, "module", "name", &l->mod_name) != 0 ||
	    intro_member_size(lx->dw, "module", "name", &len) != 0)
		return;
	l->modules = addr;
	l->mod_name_len = len < INTRO_MODULE_NAME_LEN ? len : INTRO_MODULE_NAME_LEN - 1;
	for (size_t i = 0; i < HV_ARRAY_LEN(pairs); i++) {
		uint64_t base, size, size_len;

		if (intro_member_offset(lx->dw, "module", pairs[i][0], &base) == 0 &&
		    intro_member_offset(lx->dw, "module", pairs[i][1], &size) == 0 &&
		    intro_member_size(lx->dw, "module", pairs[i][1], &size_len) == 0 &&
		    (size_len == 4 || size_len == 8)) {
			l->mod_base = base;
			l->mod_size = size;
			l->mod_size_len = size_len;
			return;
		}
	}
}

struct intro_linux *intro_linux_open(const char *vmlinux, struct hv_err *err)
{
	struct intro_linux *lx = calloc(1, sizeof(*lx));
	struct intro_linux_layout *l;

	if (!lx) {
		hv_err_set(err, "%s: out of memory.", vmlinux);
		return NULL;
	}
	l = &lx->l;
	lx->syms = intro_syms_open(vmlinux, err);
	if (!lx->syms)
		goto fail;
	lx->dw = intro_dwarf_open(vmlinux, err);
	if (!lx->dw)
		goto fail;
	if (intro_sym_addr(lx->syms, "init_task", &l->init_task) != 0) {
		hv_err_set(err, "%s: no init_task symbol; is this a Linux vmlinux?", vmlinux);
		goto fail;
	}
	if (intro_struct_size(lx->dw, "task_struct", &l->task_size) != 0) {
		hv_err_set(err,
			   "%s: the DWARF does not describe struct task_struct; build the "
			   "kernel with CONFIG_DEBUG_INFO.",
			   vmlinux);
		goto fail;
	}
	if (linux_need(lx, "task_struct", "pid", &l->task_pid, vmlinux, err) ||
	    linux_need(lx, "task_struct", "tgid", &l->task_tgid, vmlinux, err) ||
	    linux_need(lx, "task_struct", "comm", &l->task_comm, vmlinux, err) ||
	    linux_need(lx, "task_struct", "tasks", &l->task_tasks, vmlinux, err) ||
	    linux_need(lx, "list_head", "next", &l->list_next, vmlinux, err))
		goto fail;
	if (intro_member_size(lx->dw, "task_struct", "comm", &l->task_comm_len) != 0 ||
	    l->task_comm_len == 0 || l->task_comm_len > INTRO_COMM_LEN)
		l->task_comm_len = INTRO_COMM_LEN;
	l->task_mm = linux_optional(lx, "task_struct", "mm");
	l->task_real_parent = linux_optional(lx, "task_struct", "real_parent");
	/* CONFIG_THREAD_INFO_IN_TASK puts cpu in thread_info (riscv 6.x);
	 * other configurations keep it in task_struct. */
	l->task_cpu = linux_optional(lx, "task_struct", "thread_info.cpu");
	if (l->task_cpu == INTRO_NO_OFFSET)
		l->task_cpu = linux_optional(lx, "task_struct", "cpu");
	linux_find_module_layout(lx);
	return lx;
fail:
	intro_linux_close(lx);
	return NULL;
}

/* Little-endian integer of len (1..8) bytes at va. */
static int linux_read_le(const struct intro_mem *mem, uint64_t satp, uint64_t va, size_t len,
			 uint64_t *val)
{
	uint8_t raw[8];
	uint64_t v = 0;

	if (len > sizeof(raw) || intro_read_virt(mem, satp, va, raw, len) != 0)
		return -1;
	for (size_t b = len; b-- > 0;)
		v = (v << 8) | raw[b];
	*val = v;
	return 0;
}

/* An upper-half (kernel) virtual address: Linux maps itself in the
 * negative half under Sv39, Sv48 and Sv57 alike. */
static int linux_is_kernel_va(uint64_t va)
{
	return (va >> 63) != 0;
}

int intro_linux_current(const struct intro_linux *lx, const struct intro_mem *mem, uint64_t satp,
			uint64_t tp, uint64_t sscratch, unsigned priv, uint64_t *task)
{
	uint64_t cand[2], pid;
	size_t n = 0;

	if (priv == INTRO_PRIV_U) {
		cand[n++] = sscratch;
	} else if (priv == INTRO_PRIV_S) {
		cand[n++] = sscratch;
		cand[n++] = tp;
	} else {
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		if (!linux_is_kernel_va(cand[i]))
			continue;
		if (linux_read_le(mem, satp, cand[i] + lx->l.task_pid, 4, &pid) != 0)
			continue;
		*task = cand[i];
		return 0;
	}
	return -1;
}

int intro_linux_task_info(const struct intro_linux *lx, const struct intro_mem *mem, uint64_t satp,
			  uint64_t task, int32_t *pid, int32_t *tgid, char comm[INTRO_COMM_LEN])
{
	const struct intro_linux_layout *l = &lx->l;
	uint64_t p, t;
	char buf[INTRO_COMM_LEN];

	if (linux_read_le(mem, satp, task + l->task_pid, 4, &p) != 0 ||
	    linux_read_le(mem, satp, task + l->task_tgid, 4, &t) != 0 ||
	    intro_read_virt(mem, satp, task + l->task_comm, buf, l->task_comm_len) != 0)
		return -1;
	*pid = (int32_t)(uint32_t)p;
	*tgid = (int32_t)(uint32_t)t;
	memcpy(comm, buf, l->task_comm_len);
	comm[l->task_comm_len - 1] = '\0';
	return 0;
}

static int linux_fill_task(const struct intro_linux *lx, const struct intro_mem *mem, uint64_t satp,
			   uint64_t addr, struct intro_task *t)
{
	const struct intro_linux_layout *l = &lx->l;
	uint64_t v;

	memset(t, 0, sizeof(*t));
	t->task = addr;
	t->cpu = -1;
	if (intro_linux_task_info(lx, mem, satp, addr, &t->pid, &t->tgid, t->comm) != 0)
		return -1;
	if (l->task_mm != INTRO_NO_OFFSET &&
	    linux_read_le(mem, satp, addr + l->task_mm, 8, &v) == 0)
		t->mm = v;
	if (l->task_real_parent != INTRO_NO_OFFSET &&
	    linux_read_le(mem, satp, addr + l->task_real_parent, 8, &v) == 0)
		t->real_parent = v;
	if (l->task_cpu != INTRO_NO_OFFSET &&
	    linux_read_le(mem, satp, addr + l->task_cpu, 4, &v) == 0)
		t->cpu = (int32_t)(uint32_t)v;
	return 0;
}

/* The set of list nodes a walk has visited (open addressing). */
struct seen {
	uint64_t *slot; /* 0 = empty; nodes are kernel addresses, never 0 */
	size_t cap;
	size_t used;
};

/* Add node; 1 if it was new, 0 if already present, -1 out of memory. */
static int seen_add(struct seen *s, uint64_t node)
{
	if ((s->used + 1) * 2 > s->cap) {
		size_t ncap = s->cap ? s->cap * 2 : 1024;
		uint64_t *n = calloc(ncap, sizeof(*n));

		if (!n)
			return -1;
		for (size_t i = 0; i < s->cap; i++) {
			if (!s->slot[i])
				continue;
			size_t j = (s->slot[i] * 0x9e3779b97f4a7c15ull >> 20) & (ncap - 1);
			while (n[j])
				j = (j + 1) & (ncap - 1);
			n[j] = s->slot[i];
		}
		free(s->slot);
		s->slot = n;
		s->cap = ncap;
	}
	size_t j = (node * 0x9e3779b97f4a7c15ull >> 20) & (s->cap - 1);
	while (s->slot[j]) {
		if (s->slot[j] == node)
			return 0;
		j = (j + 1) & (s->cap - 1);
	}
	s->slot[j] = node;
	s->used++;
	return 1;
}

/*
 * Walk the circular list whose head is at head_addr: for each node other
 * than the head, call visit with the node address. Stops with visit's
 * nonzero value; 0 when the list returned to its head; -1 on an
 * unreadable link, a node seen twice, a NULL link or more than max nodes.
 */
static int linux_walk_list(const struct intro_linux *lx, const struct intro_mem *mem, uint64_t satp,
			   uint64_t head_addr, size_t max, int (*visit)(void *ctx, uint64_t node),
			   void *ctx)
{
	struct seen seen = { 0 };
	uint64_t node;
	int rc = -1;

	if (linux_read_le(mem, satp, head_addr + lx->l.list_next, 8, &node) != 0)
		return -1;
	for (size_t n = 0; n <= max; n++) {
		if (node == head_addr) {
			rc = 0;
			break;
		}
		if (node == 0 || n == max || seen_add(&seen, node) != 1)
			break;
		int r = visit(ctx, node);
		if (r) {
			rc = r;
			break;
		}
		if (linux_read_le(mem, satp, node + lx->l.list_next, 8, &node) != 0)
			break;
	}
	free(seen.slot);
	return rc;
}

/* A walk over the task or module list: where to read and whom to tell. */
struct linux_walk {
	const struct intro_linux *lx;
	const struct intro_mem *mem;
	uint64_t satp;
	union {
		intro_task_cb task;
		intro_module_cb module;
	} cb;
	void *opaque;
};

static int linux_visit_task(void *ctx, uint64_t node)
{
	struct linux_walk *w = ctx;
	struct intro_task t;

	/* container_of(node, struct task_struct, tasks) */
	if (linux_fill_task(w->lx, w->mem, w->satp, node - w->lx->l.task_tasks, &t) != 0)
		return -1;
	return w->cb.task(w->opaque, &t);
}

int intro_linux_tasks(const struct intro_linux *lx, const struct intro_mem *mem, uint64_t satp,
		      intro_task_cb cb, void *opaque)
{
	struct linux_walk w = { lx, mem, satp, { .task = cb }, opaque };
	struct intro_task t;
	int r;

	if (linux_fill_task(lx, mem, satp, lx->l.init_task, &t) != 0)
		return -1;
	r = cb(opaque, &t);
	if (r)
		return r;
	return linux_walk_list(lx, mem, satp, lx->l.init_task + lx->l.task_tasks,
			       INTRO_LINUX_MAX_TASKS, linux_visit_task, &w);
}

static int linux_visit_module(void *ctx, uint64_t node)
{
	struct linux_walk *w = ctx;
	const struct intro_linux_layout *l = &w->lx->l;
	struct intro_module m;
	uint64_t v;

	memset(&m, 0, sizeof(m));
	m.module = node - l->mod_list;
	if (intro_read_virt(w->mem, w->satp, m.module + l->mod_name, m.name, l->mod_name_len) != 0)
		return -1;
	m.name[l->mod_name_len] = '\0';
	if (l->mod_base != INTRO_NO_OFFSET) {
		if (linux_read_le(w->mem, w->satp, m.module + l->mod_base, 8, &v) != 0)
			return -1;
		m.base = v;
		if (linux_read_le(w->mem, w->satp, m.module + l->mod_size, l->mod_size_len, &v) !=
		    0)
			return -1;
		m.size = v;
	}
	return w->cb.module(w->opaque, &m);
}

int intro_linux_modules(const struct intro_linux *lx, const struct intro_mem *mem, uint64_t satp,
			intro_module_cb cb, void *opaque)
{
	struct linux_walk w = { lx, mem, satp, { .module = cb }, opaque };

	if (lx->l.modules == INTRO_NO_OFFSET)
		return -1;
	return linux_walk_list(lx, mem, satp, lx->l.modules, INTRO_LINUX_MAX_MODULES,
			       linux_visit_module, &w);
}
