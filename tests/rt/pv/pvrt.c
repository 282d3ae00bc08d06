// SPDX-License-Identifier: MIT
/*
 * The S-mode paravirtual guest runtime (see pvrt.h): boot normalisation,
 * console output through SBI DBCN (or the legacy putchar when the
 * firmware has no DBCN), SBI call wrappers and bounded waits.
 *
 * Freestanding: no libc. Everything here runs in S-mode with the MMU off,
 * so a virtual address is the physical address DBCN wants.
 */
#include "pvrt.h"

#include <stdarg.h>
#include <stddef.h>

extern char __bss_start[], __bss_end[];
void _start(void);

static bool pv_dbcn;

struct sbiret sbi_call(unsigned long eid, unsigned long fid, unsigned long a0, unsigned long a1,
		       unsigned long a2, unsigned long a3, unsigned long a4)
{
	register unsigned long r0 __asm__("a0") = a0;
	register unsigned long r1 __asm__("a1") = a1;
	register unsigned long r2 __asm__("a2") = a2;
	register unsigned long r3 __asm__("a3") = a3;
	register unsigned long r4 __asm__("a4") = a4;
	register unsigned long r6 __asm__("a6") = fid;
	register unsigned long r7 __asm__("a7") = eid;
	struct sbiret ret;

	__asm__ volatile("ecall"
			 : "+r"(r0), "+r"(r1)
			 : "r"(r2), "r"(r3), "r"(r4), "r"(r6), "r"(r7)
			 : "memory");
	ret.error = (long)r0;
	ret.value = (long)r1;
	return ret;
}

long sbi_legacy(unsigned long eid, unsigned long a0, unsigned long a1, unsigned long a2,
		unsigned long a3)
{
	register unsigned long r0 __asm__("a0") = a0;
	register unsigned long r1 __asm__("a1") = a1;
	register unsigned long r2 __asm__("a2") = a2;
	register unsigned long r3 __asm__("a3") = a3;
	register unsigned long r7 __asm__("a7") = eid;

	__asm__ volatile("ecall" : "+r"(r0), "+r"(r1) : "r"(r2), "r"(r3), "r"(r7) : "memory");
	return (long)r0;
}

/* gcc may turn loops into these calls even when freestanding. */
void *memset(void *dst, int c, size_t n)
{
	volatile unsigned char *d = dst;

	while (n--)
		*d++ = (unsigned char)c;
	return dst;
}

void *memcpy(void *dst, const void *src, size_t n)
{
	volatile unsigned char *d = dst;
	const unsigned char *s = src;

	while (n--)
		*d++ = *s++;
	return dst;
}

void pv_write(const char *buf, unsigned long len)
{
	unsigned long done = 0, tries = 0;
	struct sbiret r;

	/* DBCN may write partially; retry the rest, bounded. */
	while (pv_dbcn && done < len && tries++ < len) {
		r = sbi_call(SBI_EXT_DBCN, 0, len - done, (unsigned long)buf + done, 0, 0, 0);
		if (r.error)
			break;
		done += (unsigned long)r.value;
	}
	for (; done < len; done++)
		sbi_legacy(0x01, (unsigned char)buf[done], 0, 0, 0);
}

struct pv_out {
	char buf[128];
	unsigned long n;
};

static void pv_out_char(struct pv_out *o, char c)
{
	if (o->n == sizeof(o->buf)) {
		pv_write(o->buf, o->n);
		o->n = 0;
	}
	o->buf[o->n++] = c;
}

static void pv_out_unsigned(struct pv_out *o, unsigned long v, unsigned base)
{
	char digits[24];
	int i = 0;

	do {
		digits[i++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	while (i)
		pv_out_char(o, digits[--i]);
}

void pv_printf(const char *fmt, ...)
{
	struct pv_out o = { .n = 0 };
	const char *s;
	bool is_long;
	va_list ap;
	long v;

	va_start(ap, fmt);
	for (; *fmt; fmt++) {
		if (*fmt != '%' || !fmt[1]) {
			pv_out_char(&o, *fmt);
			continue;
		}
		is_long = fmt[1] == 'l';
		if (is_long && fmt[2])
			fmt++;
		switch (*++fmt) {
		case 'd':
			v = is_long ? va_arg(ap, long) : va_arg(ap, int);
			if (v < 0) {
				pv_out_char(&o, '-');
				pv_out_unsigned(&o, -(unsigned long)v, 10);
			} else {
				pv_out_unsigned(&o, (unsigned long)v, 10);
			}
			break;
		case 'x':
			pv_out_unsigned(&o,
					is_long ? va_arg(ap, unsigned long) :
						  va_arg(ap, unsigned int),
					16);
			break;
		case 's':
			for (s = va_arg(ap, const char *); *s; s++)
				pv_out_char(&o, *s);
			break;
		case 'c':
			pv_out_char(&o, (char)va_arg(ap, int));
			break;
		default:
			pv_out_char(&o, *fmt);
			break;
		}
	}
	va_end(ap);
	pv_write(o.buf, o.n);
}

bool pv_wait_eq(volatile long *p, long want)
{
	unsigned long i;

	for (i = 0; i < PV_SPIN_LIMIT; i++) {
		if (*p == want)
			return true;
		__asm__ volatile("fence" ::: "memory");
	}
	return false;
}

long pv_wait_status(unsigned long hartid, long want)
{
	struct sbiret r = { 0, -1 };
	unsigned long i;

	for (i = 0; i < PV_SPIN_LIMIT / 16; i++) {
		r = sbi_call(SBI_EXT_HSM, 2, hartid, 0, 0, 0, 0);
		if (r.error)
			return r.error;
		if (r.value == want)
			break;
	}
	return r.value;
}

void pv_shutdown(unsigned long reason)
{
	sbi_call(SBI_EXT_SRST, 0, 0, reason, 0, 0, 0);
	/* SRST failed: the legacy shutdown has no failure reason. */
	sbi_legacy(0x08, 0, 0, 0, 0);
	for (;;)
		__asm__ volatile("wfi");
}

void pv_fail(const char *why)
{
	pv_printf("FAIL: %s\n", why);
	pv_shutdown(1);
}

void pv_boot(unsigned long hartid, unsigned long dtb)
{
	if (hartid != 0) {
		/* Let hart 0 run the test so that hart numbers in the
		 * output do not depend on which hart the firmware booted. */
		if (sbi_call(SBI_EXT_HSM, 0, 0, (unsigned long)_start, dtb, 0, 0).error == 0)
			sbi_call(SBI_EXT_HSM, 1, 0, 0, 0, 0, 0);
		pv_fail("could not hand the boot over to hart 0");
	}
	memset(__bss_start, 0, (size_t)(__bss_end - __bss_start));
	pv_dbcn = sbi_call(SBI_EXT_BASE, 3, SBI_EXT_DBCN, 0, 0, 0, 0).value != 0;
	pv_printf("=== pvguest %s ===\n", pv_guest_name);
	guest_main(dtb);
	pv_shutdown(0);
}

__attribute__((weak)) void pv_secondary(unsigned long hartid, unsigned long opaque)
{
	(void)hartid;
	(void)opaque;
}

__attribute__((weak)) void pv_resumed(unsigned long hartid, unsigned long opaque)
{
	(void)hartid;
	(void)opaque;
}

__attribute__((weak)) void pv_trap(unsigned long scause, unsigned long sepc, unsigned long stval)
{
	pv_printf("unexpected trap scause=%lx sepc=%lx stval=%lx\n", scause, sepc, stval);
	pv_shutdown(1);
}
