/* SPDX-License-Identifier: MIT */
/*
 * What the isolation guests (victim.c, attacker.c) agree on: the shape of
 * the two domains of isolation_test.py and the victim's pattern. Both are
 * S-mode guests of the paravirtual runtime (tests/rt/pv), so their RAM
 * starts at 0x8000_0000 and guest-physical addresses are the same numbers
 * in both domains: the attacker aims at the victim's addresses in its own
 * space, and at the part of the victim's RAM that its own lacks.
 */
#ifndef TESTS_ISOLATION_ISO_H
#define TESTS_ISOLATION_ISO_H

#include <stdint.h>

#define ISO_RAM_BASE 0x80000000ul
#define ISO_VICTIM_RAM_END 0x84000000ul   /* memory = 64 */
#define ISO_ATTACKER_RAM_END 0x82000000ul /* memory = 32 */

/* The victim's pattern: one region in RAM both domains have, one in RAM
 * only the victim has, and the first ISO_DISK_BYTES of the low one on
 * the victim's disk from sector 0. */
#define ISO_PATTERN_LOW 0x80400000ul
#define ISO_PATTERN_HIGH 0x83000000ul
#define ISO_PATTERN_LEN 16384ul
#define ISO_DISK_BYTES 8192u

/* Byte i of the pattern (the high region continues at i + LEN). */
static inline uint8_t iso_pattern(uint64_t i)
{
	return (uint8_t)(((i * 0x9e3779b1u) >> 11) ^ (i >> 3) ^ 0xa5);
}

/* FNV-1a, 64 bits, continued from h. */
static inline uint64_t iso_fnv(uint64_t h, const volatile uint8_t *p, unsigned long n)
{
	for (unsigned long i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}

#define ISO_FNV_INIT 0xcbf29ce484222325ull

#endif
