/* SPDX-License-Identifier: MIT */
/*
 * A miniature "kernel" layout for the introspection tests: the few Linux
 * structures the library reads (task_struct, list_head, module), shaped
 * like Linux 6.1's on riscv64 (thread_info first, anonymous structs and
 * unions, a bit-field, core_layout in module) but with their own offsets,
 * so a test that passes cannot be relying on a real kernel's numbers.
 * fake_kernel.c is built with riscv64-unknown-elf-gcc -g into an ELF64
 * RISC-V with DWARF; the host test includes this header and uses
 * offsetof() on the same definitions as the oracle (both ABIs are LP64
 * with the same alignment rules).
 */
#ifndef TESTS_INTROSPECT_FAKE_KERNEL_H
#define TESTS_INTROSPECT_FAKE_KERNEL_H

struct list_head {
	struct list_head *next, *prev;
};

struct thread_info {
	unsigned long flags;
	int preempt_count;
	long kernel_sp;
	long user_sp;
	int cpu;
};

struct mm_struct {
	unsigned long pgd;
};

typedef int pid_t;

struct task_struct {
	struct thread_info thread_info;
	unsigned int __state;
	void *stack;
	struct {
		int anon_a;
		union {
			long anon_b;
			char anon_c[3];
		};
	};
	unsigned int flag_lo : 3, flag_hi : 5;
	struct list_head tasks;
	struct mm_struct *mm;
	pid_t pid;
	pid_t tgid;
	struct task_struct *real_parent;
	char pad[40];
	char comm[16];
	int after_comm;
};

struct module_layout {
	void *base;
	unsigned int size;
	unsigned int text_size;
};

struct module {
	int state;
	struct list_head list;
	char name[56];
	long other[3];
	struct module_layout core_layout;
};

#endif
