// SPDX-License-Identifier: MIT
//
// Runtime of the ISA test guests (see rt.h): UART console, syscon power
// off, signature lines, self-checks and the C half of the trap framework.
//
// The UART is the NS16550A of the QEMU `virt` machine: a byte may be
// written to THR (offset 0) once LSR (offset 5) bit 5, "THR empty", is
// set. The syscon is SiFive's test finisher: a 32-bit store of 0x5555
// powers off with success, 0x3333 | code << 16 fails with `code`.
//
// rt_trap_dispatch() runs for every trap at M and S level. It trusts
// nothing about the trapping code: an exception nobody armed for prints
// its cause, epc and tval and fails the guest rather than looping.
#include "rt.h"

volatile struct trap_record rt_trap;
volatile int rt_trap_armed;
volatile u64 rt_trap_resume;
void (*volatile rt_irq_hook)(u64 cause, int level);
int (*volatile rt_exc_hook)(struct trap_frame *f, u64 cause, int level);
volatile u64 rt_mode_va_offset;
static unsigned rt_failures;

void rt_mode_return(u64 value) __attribute__((noreturn));
void rt_trap_dispatch(struct trap_frame *f, int level);
void rt_exit(int status) __attribute__((noreturn));

#define UART_THR 0
#define UART_LSR 5
#define UART_LSR_THRE 0x20

void rt_putc(char c)
{
	volatile u8 *uart = (volatile u8 *)RT_UART_BASE;

	while (!(uart[UART_LSR] & UART_LSR_THRE))
		;
	uart[UART_THR] = (u8)c;
}

void rt_puts(const char *s)
{
	while (*s)
		rt_putc(*s++);
}

void rt_put_hex(u64 v, int digits)
{
	for (int i = digits - 1; i >= 0; i--)
		rt_putc("0123456789abcdef"[(v >> (4 * i)) & 0xf]);
}

void rt_put_dec(u64 v)
{
	char buf[24];
	int n = 0;

	do {
		buf[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		rt_putc(buf[--n]);
}

static void rt_put_prefix(const char *name)
{
	rt_puts(RT_GUEST_NAME " ");
	rt_puts(name);
	rt_putc(' ');
}

void sig(const char *name, u64 v)
{
	rt_put_prefix(name);
	rt_put_hex(v, 16);
	rt_putc('\n');
}

void sig_idx(const char *name, u64 idx, u64 v)
{
	rt_puts(RT_GUEST_NAME " ");
	rt_puts(name);
	rt_putc('.');
	rt_put_hex(idx, 4);
	rt_putc(' ');
	rt_put_hex(v, 16);
	rt_putc('\n');
}

void rt_fail_check(const char *name, const char *why)
{
	rt_puts(RT_GUEST_NAME " FAIL ");
	rt_puts(name);
	rt_putc(' ');
	rt_puts(why);
	rt_putc('\n');
	rt_failures++;
}

void rt_check(const char *name, u64 got, u64 want)
{
	sig(name, got);
	if (got != want) {
		rt_puts(RT_GUEST_NAME " FAIL ");
		rt_puts(name);
		rt_puts(" want ");
		rt_put_hex(want, 16);
		rt_putc('\n');
		rt_failures++;
	}
}

void rt_check_either(const char *name, u64 got, u64 spec, u64 qemu)
{
	if (got == qemu)
		sig(name, got);
	else
		rt_check(name, got, spec);
}

void sig_trap(const char *name)
{
	rt_put_prefix(name);
	if (rt_trap_cause() == RT_NO_TRAP) {
		rt_puts("notrap\n");
		return;
	}
	rt_puts("trap ");
	rt_put_hex(rt_trap.cause, 16);
	rt_putc(' ');
	rt_put_hex(rt_trap.tval, 16);
	rt_putc('\n');
}

void rt_trap_arm(void)
{
	rt_trap.count = 0;
	rt_trap.cause = RT_NO_TRAP;
	rt_trap.tval = 0;
	rt_trap.epc = 0;
	rt_trap_armed = 1;
	__asm__ volatile("" ::: "memory");
}

u64 rt_trap_cause(void)
{
	return rt_trap.count ? rt_trap.cause : RT_NO_TRAP;
}

__attribute__((noreturn)) void rt_poweroff(void)
{
	*(volatile u32 *)RT_SYSCON_BASE = 0x5555;
	for (;;)
		__asm__ volatile("wfi");
}

__attribute__((noreturn)) void rt_fail(unsigned code)
{
	*(volatile u32 *)RT_SYSCON_BASE = 0x3333 | (code << 16);
	for (;;)
		__asm__ volatile("wfi");
}

void rt_exit(int status)
{
	if (status) {
		rt_puts(RT_GUEST_NAME " FAIL main returned non-zero\n");
		rt_fail(RT_FAIL_MAIN);
	}
	if (rt_failures) {
		rt_puts(RT_GUEST_NAME " FAIL ");
		rt_put_dec(rt_failures);
		rt_puts(" self-checks\n");
		rt_fail(rt_failures > 100 ? 100 : rt_failures);
	}
	rt_puts(RT_GUEST_NAME " done\n");
	rt_poweroff();
}

void rt_pmp_allow_all(void)
{
	// PMP entry 0: TOR up to the top of the address space, RWX. The
	// spec lets pmpaddr0 be WARL; all-ones covers everything either way.
	csr_write(pmpaddr0, ~0UL >> 10);
	csr_write(pmpcfg0, 0x0f);
}

// Length of the instruction at `epc`, read through the alias used by the
// lower mode if the trap came from code running at rt_mode_va_offset.
static u64 rt_insn_len(u64 epc, int level)
{
	u64 off = rt_mode_va_offset;
	u16 h;

	if (level == RT_MODE_M && off && epc >= off)
		epc -= off;
	h = *(volatile u16 *)epc;
	return (h & 3) == 3 ? 4 : 2;
}

static void rt_trap_unexpected(u64 cause, u64 epc, u64 tval, int level)
{
	rt_puts(RT_GUEST_NAME " FAIL unexpected trap level ");
	rt_put_dec((u64)level);
	rt_puts(" cause ");
	rt_put_hex(cause, 16);
	rt_puts(" epc ");
	rt_put_hex(epc, 16);
	rt_puts(" tval ");
	rt_put_hex(tval, 16);
	rt_putc('\n');
	rt_fail(RT_FAIL_UNEXPECTED_TRAP);
}

void rt_trap_dispatch(struct trap_frame *f, int level)
{
	u64 cause, epc, tval, status;

	if (level == RT_MODE_M) {
		cause = csr_read(mcause);
		epc = csr_read(mepc);
		tval = csr_read(mtval);
		status = csr_read(mstatus);
	} else {
		cause = csr_read(scause);
		epc = csr_read(sepc);
		tval = csr_read(stval);
		status = csr_read(sstatus);
	}

	if (cause & CAUSE_INTERRUPT) {
		if (!rt_irq_hook)
			rt_trap_unexpected(cause, epc, tval, level);
		rt_irq_hook(cause, level);
		return;
	}

	// A lower mode finished rt_run_in_mode(): resume the M-mode caller.
	// From U with ECALLs delegated, S forwards the request with its own
	// ECALL, which lands here at M level.
	if ((cause == CAUSE_ECALL_U || cause == CAUSE_ECALL_S) && f->x[17] == RT_ECALL_RETURN) {
		if (level == RT_MODE_M)
			rt_mode_return(f->x[10]);
		register u64 a0 __asm__("a0") = f->x[10];
		register u64 a7 __asm__("a7") = RT_ECALL_RETURN;
		__asm__ volatile("ecall" : : "r"(a0), "r"(a7) : "memory");
	}

	if (rt_exc_hook && rt_exc_hook(f, cause, level))
		return;

	if (!rt_trap_armed)
		rt_trap_unexpected(cause, epc, tval, level);

	rt_trap.cause = cause;
	rt_trap.tval = tval;
	rt_trap.epc = epc;
	rt_trap.level = (u64)level;
	if (level == RT_MODE_M)
		rt_trap.prev_mode = (status & MSTATUS_MPP) >> 11;
	else
		rt_trap.prev_mode = (status & MSTATUS_SPP) >> 8;
	rt_trap.count++;
	rt_trap_armed = 0;

	if (rt_trap_resume) {
		epc = rt_trap_resume;
		rt_trap_resume = 0;
	} else {
		epc += rt_insn_len(epc, level);
	}
	if (level == RT_MODE_M)
		csr_write(mepc, epc);
	else
		csr_write(sepc, epc);
}
