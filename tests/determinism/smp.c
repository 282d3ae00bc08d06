// SPDX-License-Identifier: MIT
/*
 * Determinism guest (bare M-mode, any number of harts): every hart takes a
 * shared spinlock (LR/SC), appends its id to a shared log, bumps shared
 * counters with AMOs and races through a mix of loads, stores and timer
 * reads. The order in which harts win the lock depends on how the machine
 * interleaves them; on Retrovisor that interleaving is a function of the
 * program alone, so two runs must leave identical memory and registers.
 * Hart 0 prints the log's hash and powers off once all harts are done.
 */
#include <stdint.h>

#define UART ((volatile uint8_t *)0x10000000)
#define SYSCON ((volatile uint32_t *)0x00100000)
#define ROUNDS 200
#define MAX_HARTS 8

static volatile uint32_t lock;
static volatile uint32_t done;
static volatile uint64_t counter;
static volatile uint32_t log_len;
static volatile uint8_t log_buf[MAX_HARTS * ROUNDS];
static volatile uint64_t scratch[MAX_HARTS][64];

static void spin_lock(volatile uint32_t *l)
{
	uint32_t tmp, one = 1;

	asm volatile("1: lr.w.aq %0, (%1)\n"
		     "   bnez %0, 1b\n"
		     "   sc.w.rl %0, %2, (%1)\n"
		     "   bnez %0, 1b\n"
		     : "=&r"(tmp)
		     : "r"(l), "r"(one)
		     : "memory");
}

static void spin_unlock(volatile uint32_t *l)
{
	asm volatile("amoswap.w.rl zero, zero, (%0)" : : "r"(l) : "memory");
}

static void put_hex(uint64_t v)
{
	for (int i = 60; i >= 0; i -= 4) {
		while (!(UART[5] & 0x20))
			;
		UART[0] = "0123456789abcdef"[(v >> i) & 15];
	}
	UART[0] = '\n';
}

void smp_main(uint64_t hartid)
{
	uint64_t t;

	if (hartid >= MAX_HARTS)
		for (;;)
			asm volatile("wfi");
	for (int r = 0; r < ROUNDS; r++) {
		/* Uneven work between lock attempts makes the order vary
		 * with the interleaving. */
		for (unsigned i = 0; i < (hartid * 37 + (unsigned)r * 11) % 97; i++)
			scratch[hartid][i % 64] += i * hartid;
		asm volatile("rdtime %0" : "=r"(t));
		spin_lock(&lock);
		log_buf[log_len] = (uint8_t)hartid;
		log_len = log_len + 1;
		counter = counter * 31 + hartid + (t & 1);
		spin_unlock(&lock);
		__atomic_fetch_add(&scratch[hartid][0], 1, __ATOMIC_RELAXED);
	}
	__atomic_fetch_add(&done, 1, __ATOMIC_SEQ_CST);
	if (hartid != 0)
		for (;;)
			asm volatile("wfi");
	uint32_t nharts;
	asm volatile("csrr %0, 0xf14" : "=r"(nharts)); /* keeps the compiler honest */
	(void)nharts;
	while (done == 0 || (done < MAX_HARTS && log_len < done * ROUNDS))
		;
	/* Wait until no hart has been logging for a while: all are done. */
	for (uint32_t last = 0; last != log_len;) {
		last = log_len;
		for (volatile int i = 0; i < 20000; i++)
			;
	}
	uint64_t h = 1469598103934665603ull;
	for (uint32_t i = 0; i < log_len; i++)
		h = (h ^ log_buf[i]) * 1099511628211ull;
	put_hex(h);
	put_hex(counter);
	put_hex(log_len);
	*SYSCON = 0x5555;
	for (;;)
		;
}
