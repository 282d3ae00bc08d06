// SPDX-License-Identifier: MIT
/*
 * CPU-bound benchmark guest (bare M-mode, QEMU virt map): a mix of
 * integer arithmetic, multiplication, a memory-heavy matrix product, a
 * table-driven CRC, a linked-list walk and branchy sorting. ITERS (set at
 * compile time) scales the work; the guest prints a checksum so that both
 * machines can be seen to compute the same thing, then powers off.
 */
#include <stdint.h>

#ifndef ITERS
#define ITERS 10
#endif

#define UART ((volatile uint8_t *)0x10000000)
#define SYSCON ((volatile uint32_t *)0x00100000)

static void put_hex(uint64_t v)
{
	for (int i = 60; i >= 0; i -= 4) {
		while (!(UART[5] & 0x20))
			;
		UART[0] = "0123456789abcdef"[(v >> i) & 15];
	}
	UART[0] = '\n';
}

#define N 32
static int64_t a[N][N], b[N][N], c[N][N];
static uint32_t crc_table[256];
static uint8_t buf[4096];
struct node {
	struct node *next;
	uint64_t val;
};
static struct node nodes[1024];
static int32_t arr[512];

static uint64_t matmul(void)
{
	uint64_t s = 0;

	for (int i = 0; i < N; i++)
		for (int j = 0; j < N; j++) {
			int64_t acc = 0;
			for (int k = 0; k < N; k++)
				acc += a[i][k] * b[k][j];
			c[i][j] = acc;
			s += (uint64_t)acc;
		}
	return s;
}

static uint32_t crc32(const uint8_t *p, unsigned n)
{
	uint32_t crc = ~0u;

	while (n--)
		crc = crc_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

static uint64_t walk(void)
{
	uint64_t s = 0;

	for (struct node *n = &nodes[0]; n; n = n->next)
		s += n->val;
	return s;
}

static uint64_t sort(uint32_t seed)
{
	for (int i = 0; i < 512; i++) {
		seed = seed * 1664525u + 1013904223u;
		arr[i] = (int32_t)(seed >> 8);
	}
	for (int i = 1; i < 512; i++) {
		int32_t v = arr[i];
		int j = i - 1;
		while (j >= 0 && arr[j] > v) {
			arr[j + 1] = arr[j];
			j--;
		}
		arr[j + 1] = v;
	}
	return (uint64_t)arr[0] ^ (uint64_t)arr[511] ^ (uint64_t)arr[256];
}

void bench_main(void)
{
	uint64_t sum = 0;

	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;
		for (int k = 0; k < 8; k++)
			c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
		crc_table[i] = c;
	}
	for (int i = 0; i < N; i++)
		for (int j = 0; j < N; j++) {
			a[i][j] = i * 7 + j;
			b[i][j] = i - j * 3;
		}
	for (int i = 0; i < 1024; i++) {
		nodes[i].val = (uint64_t)i * 2654435761u;
		nodes[i].next = i < 1023 ? &nodes[(i * 389 + 1) % 1024] : 0;
	}
	for (unsigned i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 31 + 7);
	for (int it = 0; it < ITERS; it++) {
		sum += matmul();
		buf[it % sizeof(buf)] ^= (uint8_t)sum;
		sum ^= crc32(buf, sizeof(buf));
		sum += walk();
		sum ^= sort((uint32_t)it);
		sum = sum * 6364136223846793005ull + (uint64_t)it / 3 + (uint64_t)it % 7;
	}
	put_hex(sum);
	*SYSCON = 0x5555;
	for (;;)
		;
}
