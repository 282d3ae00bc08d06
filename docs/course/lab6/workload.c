// SPDX-License-Identifier: MIT
/*
 * lab6 workload: a small paravirtual guest that a fault-injection
 * campaign (experiments/campaign) can drive as it drives a Linux shell
 * (README.md). The campaign saves the machine at its prompt, types one
 * line,
 *
 *   echo S@$((6*7)); CMD; echo E@$?; poweroff -f
 *
 * and takes the output between the lines "S@42" and "E@<status>" as the
 * workload's, and the run's exit status as the machine's. This guest
 * prints what a shell would print for that line, running its single
 * workload as CMD:
 *
 *   boot -> banner -> prompt "# " (the snapshot) -> "S@42" -> sort
 *        -> check -> checksums -> "E@<status>" -> power off (status 0)
 *
 * It does not wait for the typed line: the machine polls console input
 * once every 64 scheduler rounds (640,000 instructions, hv/platform/machine.c), so
 * a guest that waited would spend most of the campaign's fault window in
 * its polling loop instead of in the workload.
 *
 * The workload sorts LAB6_N pseudo-random words (insertion sort), checks
 * that the result is sorted and has the same sum (a self-check, as real
 * software has some: a failure prints "error: ..." and ends with status
 * 1, which the campaign calls *detected*), then prints three checksums
 * of the sorted array (CRC-32 bitwise, so that this phase is long enough
 * to be hit): a fault there changes the output unnoticed, *silent data
 * corruption*. A fault that makes the hart trap is a *crash* (the
 * runtime's trap handler prints the cause and powers off with status 1);
 * one that makes a loop run on is a *hang* (the campaign's instruction
 * budget ends it). Everything else is *masked*.
 */
#include "pvrt.h"

#define LAB6_N 96

const char pv_guest_name[] = "lab6";

static unsigned int lab6_a[LAB6_N];

static unsigned long lab6_fill(void)
{
	unsigned int x = 2463534242u;
	unsigned long sum = 0;

	for (int i = 0; i < LAB6_N; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		lab6_a[i] = x;
		sum += x;
	}
	return sum;
}

static void lab6_sort(void)
{
	for (int i = 1; i < LAB6_N; i++) {
		unsigned int v = lab6_a[i];
		int j = i - 1;
		while (j >= 0 && lab6_a[j] > v) {
			lab6_a[j + 1] = lab6_a[j];
			j--;
		}
		lab6_a[j + 1] = v;
	}
}

/* 0 when sorted and the sum is unchanged, else 1 (and a line saying so). */
static int lab6_check(unsigned long sum)
{
	unsigned long s = lab6_a[0];

	for (int i = 1; i < LAB6_N; i++) {
		if (lab6_a[i - 1] > lab6_a[i]) {
			pv_printf("error: not sorted at %d\n", i);
			return 1;
		}
		s += lab6_a[i];
	}
	if (s != sum) {
		pv_printf("error: sum 0x%lx, expected 0x%lx\n", s, sum);
		return 1;
	}
	return 0;
}

/* Three checksums of the sorted array in one pass: CRC-32 (bitwise, IEEE
 * polynomial), a Fletcher-style pair of sums, and a rotate-xor hash. Each
 * lives in its own register while the loop runs. */
static void lab6_digest(const unsigned char *p, unsigned long n, unsigned int *crc_out,
			unsigned long *fletcher_out, unsigned long *hash_out)
{
	unsigned int crc = 0xffffffffu;
	unsigned long s1 = 1, s2 = 0, h = 0x9e3779b97f4a7c15ul;

	for (unsigned long i = 0; i < n; i++) {
		crc ^= p[i];
		for (int b = 0; b < 8; b++)
			crc = crc >> 1 ^ (0xedb88320u & -(crc & 1));
		s1 += p[i];
		s2 += s1;
		h = (h << 7 | h >> 57) ^ (p[i] + i);
	}
	*crc_out = ~crc;
	*fletcher_out = s2 << 32 | (s1 & 0xffffffffu);
	*hash_out = h;
}

void guest_main(unsigned long dtb)
{
	(void)dtb;
	pv_printf("lab6 workload: sort %d words, check, checksums\n", LAB6_N);
	pv_write("# ", 2);
	pv_printf("\nS@42\n");
	unsigned long sum = lab6_fill();
	lab6_sort();
	int status = lab6_check(sum);
	if (!status) {
		unsigned int crc;
		unsigned long fletcher, hash;
		lab6_digest((const unsigned char *)lab6_a, sizeof(lab6_a), &crc, &fletcher, &hash);
		pv_printf("crc32 %x fletcher %lx hash %lx\n", crc, fletcher, hash);
	}
	pv_printf("E@%d\n", status);
}
