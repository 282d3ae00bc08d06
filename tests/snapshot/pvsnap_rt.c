// SPDX-License-Identifier: MIT
/*
 * The snapshot test guests' runtime (pvsnap_rt.h): entry points, SBI calls,
 * console output and shutdown. Freestanding: no libc; S-mode with the MMU
 * off, so a pointer is the physical address DBCN wants.
 *
 * Each hart runs on its own 16 KiB stack chosen by hartid; a hart whose id
 * is PVRT_MAX_HARTS or more parks. The guests are linked without linker
 * relaxation (-Wl,--no-relax), so gp is never used and not set up.
 */
#include "pvsnap_rt.h"

#include <stdarg.h>
#include <stddef.h>

#define PVRT_STACK_SHIFT 14

unsigned char pvrt_stacks[PVRT_MAX_HARTS << PVRT_STACK_SHIFT] __attribute__((aligned(16)));

void pvrt_boot(unsigned long hartid, unsigned long dtb);
void pvrt_secondary(unsigned long hartid, unsigned long opaque);

/* sp = pvrt_stacks + (hartid + 1) * 16 KiB; park harts beyond the area. */
__asm__(".section .text.start, \"ax\"\n"
	".globl _start\n"
	"_start:\n"
	"	li t0, 4\n"
	"	bgeu a0, t0, pvrt_park\n"
	"	la sp, pvrt_stacks\n"
	"	addi t0, a0, 1\n"
	"	slli t0, t0, 14\n"
	"	add sp, sp, t0\n"
	"	call pvrt_boot\n"
	"	j pvrt_park\n"
	".globl pv_secondary_entry\n"
	"pv_secondary_entry:\n"
	"	li t0, 4\n"
	"	bgeu a0, t0, pvrt_park\n"
	"	la sp, pvrt_stacks\n"
	"	addi t0, a0, 1\n"
	"	slli t0, t0, 14\n"
	"	add sp, sp, t0\n"
	"	call pvrt_secondary\n"
	"pvrt_park:\n"
	"	csrw sie, zero\n"
	"1:	wfi\n"
	"	j 1b\n"
	".text\n");

struct sbiret sbi_call(unsigned long eid, unsigned long fid, unsigned long a0,
		       unsigned long a1, unsigned long a2)
{
	register unsigned long r0 __asm__("a0") = a0;
	register unsigned long r1 __asm__("a1") = a1;
	register unsigned long r2 __asm__("a2") = a2;
	register unsigned long r6 __asm__("a6") = fid;
	register unsigned long r7 __asm__("a7") = eid;
	struct sbiret ret;

	__asm__ volatile("ecall" : "+r"(r0), "+r"(r1) : "r"(r2), "r"(r6), "r"(r7) : "memory");
	ret.error = (long)r0;
	ret.value = (long)r1;
	return ret;
}

/* gcc may emit calls to these even when freestanding. */
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

/* DBCN console_write may write less than asked: write the rest, bounded. */
static void pvrt_write(const char *buf, unsigned long len)
{
	unsigned long done = 0, tries = 0;

	while (done < len && tries++ < len) {
		struct sbiret r = sbi_call(SBI_EXT_DBCN, 0, len - done,
					   (unsigned long)buf + done, 0);
		if (r.error)
			break;
		done += (unsigned long)r.value;
	}
}

struct pvrt_out {
	char buf[160];
	unsigned long n;
};

static void pvrt_char(struct pvrt_out *o, char c)
{
	if (o->n == sizeof(o->buf)) {
		pvrt_write(o->buf, o->n);
		o->n = 0;
	}
	o->buf[o->n++] = c;
}

static void pvrt_unsigned(struct pvrt_out *o, unsigned long v, unsigned base)
{
	char digits[24];
	int i = 0;

	do {
		digits[i++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	while (i)
		pvrt_char(o, digits[--i]);
}

void pv_printf(const char *fmt, ...)
{
	struct pvrt_out o = { .n = 0 };
	va_list ap;

	va_start(ap, fmt);
	for (; *fmt; fmt++) {
		if (*fmt != '%' || !fmt[1]) {
			pvrt_char(&o, *fmt);
			continue;
		}
		bool is_long = fmt[1] == 'l';
		if (is_long && fmt[2])
			fmt++;
		switch (*++fmt) {
		case 'd': {
			long v = is_long ? va_arg(ap, long) : va_arg(ap, int);
			if (v < 0) {
				pvrt_char(&o, '-');
				pvrt_unsigned(&o, -(unsigned long)v, 10);
			} else {
				pvrt_unsigned(&o, (unsigned long)v, 10);
			}
			break;
		}
		case 'x':
			pvrt_unsigned(&o, is_long ? va_arg(ap, unsigned long) :
					  va_arg(ap, unsigned int), 16);
			break;
		case 's':
			for (const char *s = va_arg(ap, const char *); *s; s++)
				pvrt_char(&o, *s);
			break;
		case 'c':
			pvrt_char(&o, (char)va_arg(ap, int));
			break;
		default:
			pvrt_char(&o, *fmt);
			break;
		}
	}
	va_end(ap);
	pvrt_write(o.buf, o.n);
}

bool pv_wait_eq(volatile long *p, long want)
{
	for (unsigned long i = 0; i < PVRT_SPIN_LIMIT; i++) {
		if (*p == want)
			return true;
		__asm__ volatile("fence" ::: "memory");
	}
	return false;
}

void pv_shutdown(unsigned long reason)
{
	/* SRST system_reset(type 0 shutdown, reason). */
	sbi_call(SBI_EXT_SRST, 0, 0, reason, 0);
	for (;;)
		__asm__ volatile("wfi");
}

void pv_fail(const char *why)
{
	pv_printf("FAIL: %s\n", why);
	pv_shutdown(1);
}

__attribute__((weak)) void pv_secondary(unsigned long hartid, unsigned long opaque)
{
	(void)hartid;
	(void)opaque;
}

void pvrt_secondary(unsigned long hartid, unsigned long opaque)
{
	pv_secondary(hartid, opaque);
}

void pvrt_boot(unsigned long hartid, unsigned long dtb)
{
	if (hartid != 0)
		pv_fail("the guests expect to boot on hart 0");
	pv_printf("=== pvguest %s ===\n", pv_guest_name);
	guest_main(dtb);
	pv_shutdown(0);
}
