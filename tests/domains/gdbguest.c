// SPDX-License-Identifier: MIT
//
// The guest of tests/domains:gdb (gdb_test.py): bare M-mode, a loop that
// calls tick() `iters` times, each call adding to `counter` (a place for a
// breakpoint and a watchpoint that many epochs pass through), then prints
// the counter and powers off. Two domains run it side by side; gdb may set
// `iters` to make the loop as long as it likes.
#include "rt.h"

volatile u64 iters = 300000;
volatile u64 counter;

__attribute__((noinline)) void tick(u64 i)
{
	counter += i * 3 + 1;
}

int main(void)
{
	for (u64 i = 0; i < iters; i++)
		tick(i);
	rt_puts("gdbguest counter ");
	rt_put_dec(counter);
	rt_puts("\n");
	return 0;
}
