/* SPDX-License-Identifier: MIT */
/*
 * Linux awareness for riscv64 guests: the current task, the task list,
 * loaded modules and system call names.
 *
 * Every structure offset comes from the vmlinux's DWARF and every address
 * from its symbol table at open time; nothing here knows a kernel
 * version's layout. Guest memory is read through struct intro_mem and the
 * kernel's virtual addresses are translated with the satp the caller
 * passes (any process's satp works: the kernel half of every address
 * space maps the kernel). Guest memory is untrusted: list walks are
 * bounded (INTRO_LINUX_MAX_TASKS) and detect cycles; strings are always
 * NUL-terminated.
 *
 * Lifetime: an intro_linux owns its symbol table and DWARF handle; the
 * pointers returned by intro_linux_syms/intro_linux_dwarf and the layout
 * are valid until intro_linux_close. Not thread-safe (DWARF lookups grow
 * a lazy index).
 */
#ifndef INTROSPECT_LINUX_H
#define INTROSPECT_LINUX_H

#include <stdint.h>

#include "hv/types.h"
#include "introspect/dwarf.h"
#include "introspect/syms.h"
#include "introspect/walk.h"

#define INTRO_COMM_LEN 16        /* TASK_COMM_LEN, including the NUL */
#define INTRO_MODULE_NAME_LEN 64 /* MODULE_NAME_LEN is 56 on 64-bit */
#define INTRO_LINUX_MAX_TASKS 100000
#define INTRO_LINUX_MAX_MODULES 100000

/* Privilege levels as in the hart (mstatus.MPP encoding). */
#define INTRO_PRIV_U 0u
#define INTRO_PRIV_S 1u
#define INTRO_PRIV_M 3u

/* Offsets read from DWARF at open; -1 (as uint64_t: UINT64_MAX) marks an
 * optional member this kernel does not have. */
#define INTRO_NO_OFFSET UINT64_MAX
struct intro_linux_layout {
	uint64_t init_task; /* address of init_task (symbol) */
	uint64_t task_size; /* sizeof(struct task_struct) */
	uint64_t task_pid, task_tgid, task_comm, task_tasks;
	uint64_t task_comm_len;                       /* at most INTRO_COMM_LEN bytes are read */
	uint64_t task_mm, task_real_parent, task_cpu; /* optional */
	uint64_t list_next;                           /* offsetof(struct list_head, next) */
	/* Modules: all INTRO_NO_OFFSET when CONFIG_MODULES is off. */
	uint64_t modules; /* address of the "modules" list head (symbol) */
	uint64_t mod_list, mod_name, mod_name_len, mod_base, mod_size;
	uint64_t mod_size_len; /* 4 or 8 */
};

struct intro_linux;

/* Open a vmlinux (ELF symbols plus DWARF). NULL with a sentence naming
 * the missing piece when the file is unreadable or lacks a required
 * symbol or member. */
struct intro_linux *intro_linux_open(const char *vmlinux, struct hv_err *err);

void intro_linux_close(struct intro_linux *lx);

const struct intro_linux_layout *intro_linux_layout(const struct intro_linux *lx);
struct intro_syms *intro_linux_syms(struct intro_linux *lx);
struct intro_dwarf *intro_linux_dwarf(struct intro_linux *lx);

/*
 * The task_struct running on a hart, from its tp and sscratch registers.
 * riscv Linux keeps `current` in tp while in the kernel, and in sscratch
 * while in user mode (sscratch is 0 in the kernel; arch/riscv/kernel/
 * entry.S swaps the two at trap entry and exit). The rule used:
 *   priv U: sscratch;
 *   priv S: sscratch if it holds a kernel address, else tp; this is also
 *           right at the first instruction of the trap handler (before
 *           the swap) and between the restore of the user tp and sret;
 *   priv M: the registers belong to the firmware; -1.
 * The candidate must be a kernel (upper-half) address whose task_struct
 * can be read through satp. Returns 0 with *task set, or -1.
 */
int intro_linux_current(const struct intro_linux *lx, const struct intro_mem *mem, uint64_t satp,
			uint64_t tp, uint64_t sscratch, unsigned priv, uint64_t *task);

/* pid, tgid and comm (NUL-terminated) of the task_struct at task. 0 or
 * -1 if it cannot be read. */
int intro_linux_task_info(const struct intro_linux *lx, const struct intro_mem *mem, uint64_t satp,
			  uint64_t task, int32_t *pid, int32_t *tgid, char comm[INTRO_COMM_LEN]);

struct intro_task {
	uint64_t task; /* address of the task_struct */
	int32_t pid;
	int32_t tgid;
	char comm[INTRO_COMM_LEN];
	uint64_t mm;          /* 0 for kernel threads (or if unknown) */
	uint64_t real_parent; /* 0 if unknown */
	int32_t cpu;          /* -1 if unknown */
};

/*
 * Call cb for init_task and then for every task on init_task.tasks, in
 * list order. That list holds thread-group leaders (processes); threads
 * hang off each leader's signal->thread_head and are not visited. cb
 * returns 0 to continue, anything else to stop the walk (that value is
 * returned). Returns 0 when the list closed back on init_task, -1 when a
 * pointer could not be read, the list is cyclic without returning to
 * its head, or it has more than INTRO_LINUX_MAX_TASKS entries.
 */
typedef int (*intro_task_cb)(void *opaque, const struct intro_task *task);
int intro_linux_tasks(const struct intro_linux *lx, const struct intro_mem *mem, uint64_t satp,
		      intro_task_cb cb, void *opaque);

struct intro_module {
	uint64_t module; /* address of the struct module */
	char name[INTRO_MODULE_NAME_LEN];
	uint64_t base; /* core (text) layout base, 0 if unknown */
	uint64_t size; /* its size in bytes */
};

/* Call cb for every module on the kernel's "modules" list; same return
 * rules as intro_linux_tasks. -1 at once if the kernel has no modules
 * support (layout.modules == INTRO_NO_OFFSET). */
typedef int (*intro_module_cb)(void *opaque, const struct intro_module *mod);
int intro_linux_modules(const struct intro_linux *lx, const struct intro_mem *mem, uint64_t satp,
			intro_module_cb cb, void *opaque);

/* riscv64 system calls (the asm-generic table plus riscv_flush_icache).
 * The name of call nr ("execve" for 221) or NULL if nr is not a call. */
const char *intro_syscall_name(uint64_t nr);

/* Its argument count (0..6); 6 when nr or its count is unknown. */
int intro_syscall_nargs(uint64_t nr);

/* The number of the call named name, or -1. */
int64_t intro_syscall_nr(const char *name);

#endif
