// SPDX-License-Identifier: MIT
/*
 * The demo guest: a tiny S-mode kernel that talks to the hypervisor only
 * through SBI calls (SBI v2.0: DBCN to print, BASE to ask who runs it,
 * SRST to power off), computes something deterministic and shows the
 * instruction-derived clock. It runs on Retrovisor's built-in SBI and
 * equally under QEMU with OpenSBI.
 */
#include <stdint.h>

struct sbiret {
	long error;
	long value;
};

static struct sbiret sbi_call(long eid, long fid, long a0, long a1, long a2)
{
	register long r_a0 asm("a0") = a0;
	register long r_a1 asm("a1") = a1;
	register long r_a2 asm("a2") = a2;
	register long r_a6 asm("a6") = fid;
	register long r_a7 asm("a7") = eid;

	asm volatile("ecall" : "+r"(r_a0), "+r"(r_a1) : "r"(r_a2), "r"(r_a6), "r"(r_a7) : "memory");
	return (struct sbiret){ r_a0, r_a1 };
}

#define SBI_EXT_BASE 0x10
#define SBI_EXT_DBCN 0x4442434e
#define SBI_EXT_SRST 0x53525354
#define SBI_LEGACY_PUTCHAR 0x01
#define SBI_BASE_PROBE 3

static unsigned long len(const char *s)
{
	unsigned long n = 0;

	while (s[n])
		n++;
	return n;
}

static int have_dbcn;

static void puts_(const char *s)
{
	/* DBCN console_write takes a physical address; paging is off.
	 * Firmware older than SBI 2.0 only has the legacy putchar. */
	if (have_dbcn)
		sbi_call(SBI_EXT_DBCN, 0, (long)len(s), (long)(uintptr_t)s, 0);
	else
		while (*s)
			sbi_call(SBI_LEGACY_PUTCHAR, 0, *s++, 0, 0);
}

static void put_dec(unsigned long v)
{
	char buf[24];
	int i = sizeof(buf) - 1;

	buf[i] = 0;
	do {
		buf[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	puts_(&buf[i]);
}

static void put_hex(unsigned long v)
{
	char buf[17];

	for (int i = 0; i < 16; i++)
		buf[i] = "0123456789abcdef"[(v >> (60 - 4 * i)) & 15];
	buf[16] = 0;
	puts_(buf);
}

void demo_main(unsigned long hartid, unsigned long dtb)
{
	struct sbiret ver = sbi_call(SBI_EXT_BASE, 0, 0, 0, 0);
	unsigned long t0, t1, primes = 0;

	have_dbcn = sbi_call(SBI_EXT_BASE, SBI_BASE_PROBE, SBI_EXT_DBCN, 0, 0).value != 0;

	puts_("Hello from a paravirtual RISC-V guest on hart ");
	put_dec(hartid);
	puts_(".\nSBI spec version ");
	put_dec((unsigned long)ver.value >> 24);
	puts_(".");
	put_dec((unsigned long)ver.value & 0xffffff);
	puts_(", device tree at 0x");
	put_hex(dtb);
	puts_(".\n");

	asm volatile("rdtime %0" : "=r"(t0));
	for (unsigned long n = 2; n < 20000; n++) {
		unsigned long d = 2;
		while (d * d <= n && n % d)
			d++;
		primes += d * d > n;
	}
	asm volatile("rdtime %0" : "=r"(t1));
	puts_("Counted ");
	put_dec(primes);
	puts_(" primes below 20000 in ");
	put_dec(t1 - t0);
	puts_(" ticks of the 10 MHz timebase.\nPowering off.\n");
	sbi_call(SBI_EXT_SRST, 0, 0, 0, 0);
}
