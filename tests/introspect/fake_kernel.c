// SPDX-License-Identifier: MIT
/*
 * The fake kernel image (see fake_kernel.h): defines init_task, the
 * modules list head and start_kernel so that the symbol table and the
 * DWARF describe them. It is never run; only its ELF is read.
 */
#include "fake_kernel.h"

struct task_struct init_task;
struct list_head modules;
struct module fake_module_for_dwarf;

void start_kernel(void)
{
	init_task.pid = 0;
}
