// SPDX-License-Identifier: MIT
/*
 * Page-table walks (introspect/walk.c) on hand-built Sv39 and Sv48 tables
 * in a fake memory: 4 KiB, 2 MiB, 1 GiB and 512 GiB leaves, the fault
 * cases of the privileged spec's translation algorithm, tables that
 * point to themselves, and reads that cross pages.
 */
#include <gtest/gtest.h>

#include "tests/introspect/fake_mem.h"

namespace {

constexpr uint64_t V = INTRO_PTE_V, R = INTRO_PTE_R, W = INTRO_PTE_W, X = INTRO_PTE_X;
constexpr uint64_t A = INTRO_PTE_A, D = INTRO_PTE_D, U = INTRO_PTE_U;

uint64_t Satp(unsigned mode, uint64_t root)
{
	return ((uint64_t)mode << 60) | (root >> 12);
}

uint64_t Vpn(uint64_t va, int level)
{
	return (va >> (12 + 9 * level)) & 0x1ff;
}

/* Sv39 tables: root at 0x10000, level-1 table at 0x11000, level-0 at
 * 0x12000. */
struct Sv39 : ::testing::Test {
	FakeMem m;
	const uint64_t root = 0x10000, l1 = 0x11000, l0 = 0x12000;
	uint64_t satp = Satp(INTRO_SATP_SV39, root);

	void Map4K(uint64_t va, uint64_t pa, uint64_t bits)
	{
		m.Write64(root + 8 * Vpn(va, 2), FakeMem::Pte(l1, V));
		m.Write64(l1 + 8 * Vpn(va, 1), FakeMem::Pte(l0, V));
		m.Write64(l0 + 8 * Vpn(va, 0), FakeMem::Pte(pa, bits));
	}
};

TEST(Walk, BareModeIsIdentity)
{
	FakeMem m;
	uint64_t pa = 0;
	unsigned perm = 0;

	ASSERT_EQ(intro_translate(m.mem(), 0, 0xdeadbeef123ull, &pa, &perm), INTRO_OK);
	EXPECT_EQ(pa, 0xdeadbeef123ull);
	EXPECT_EQ(perm & (R | W | X), R | W | X);
	EXPECT_EQ(m.reads(), 0u);
}

TEST(Walk, RejectsUnknownSatpMode)
{
	FakeMem m;
	uint64_t pa;

	EXPECT_EQ(intro_translate(m.mem(), 1ull << 60, 0x1000, &pa, nullptr), INTRO_EMODE);
	EXPECT_EQ(intro_translate(m.mem(), 15ull << 60, 0x1000, &pa, nullptr), INTRO_EMODE);
}

TEST_F(Sv39, Translates4KPageAndReportsLeafBits)
{
	Map4K(0x40123000, 0x80456000, V | R | W | A | D | U);
	uint64_t pa = 0;
	unsigned perm = 0;

	ASSERT_EQ(intro_translate(m.mem(), satp, 0x40123abc, &pa, &perm), INTRO_OK);
	EXPECT_EQ(pa, 0x80456abcull);
	EXPECT_EQ(perm, (unsigned)(V | R | W | A | D | U));
	/* The neighbouring page is not mapped. */
	EXPECT_EQ(intro_translate(m.mem(), satp, 0x40124000, &pa, &perm), INTRO_EFAULT);
}

TEST_F(Sv39, TranslatesKernelHalfAddress)
{
	uint64_t va = 0xffffffff80201008ull;
	Map4K(va & ~0xfffull, 0x80201000, V | R | X);
	uint64_t pa = 0;

	ASSERT_EQ(intro_translate(m.mem(), satp, va, &pa, nullptr), INTRO_OK);
	EXPECT_EQ(pa, 0x80201008ull);
}

TEST_F(Sv39, TranslatesMegapageKeepingLowVpn)
{
	/* A level-1 leaf: 2 MiB page at VA 0x40200000 -> PA 0x80400000. */
	m.Write64(root + 8 * Vpn(0x40200000, 2), FakeMem::Pte(l1, V));
	m.Write64(l1 + 8 * Vpn(0x40200000, 1), FakeMem::Pte(0x80400000, V | R | W));
	uint64_t pa = 0;

	ASSERT_EQ(intro_translate(m.mem(), satp, 0x403fedcb, &pa, nullptr), INTRO_OK);
	EXPECT_EQ(pa, 0x805fedcbull);
	EXPECT_EQ(m.reads(), 2u);
}

TEST_F(Sv39, TranslatesGigapage)
{
	m.Write64(root + 8 * Vpn(0xc0000000, 2), FakeMem::Pte(0x80000000, V | R | W | X));
	uint64_t pa = 0;

	ASSERT_EQ(intro_translate(m.mem(), satp, 0xc7654321, &pa, nullptr), INTRO_OK);
	EXPECT_EQ(pa, 0x87654321ull);
	EXPECT_EQ(m.reads(), 1u);
}

TEST_F(Sv39, MisalignedMegapageFaults)
{
	m.Write64(root + 8 * Vpn(0x40200000, 2), FakeMem::Pte(l1, V));
	/* PPN[0] != 0 in a level-1 leaf: a misaligned superpage. */
	m.Write64(l1 + 8 * Vpn(0x40200000, 1), FakeMem::Pte(0x80401000, V | R));
	uint64_t pa;

	EXPECT_EQ(intro_translate(m.mem(), satp, 0x40200000, &pa, nullptr), INTRO_EFAULT);
}

TEST_F(Sv39, MisalignedGigapageFaults)
{
	m.Write64(root + 8 * Vpn(0xc0000000, 2), FakeMem::Pte(0x80200000, V | R));
	uint64_t pa;

	EXPECT_EQ(intro_translate(m.mem(), satp, 0xc0000000, &pa, nullptr), INTRO_EFAULT);
}

TEST_F(Sv39, InvalidAndReservedEncodingsFault)
{
	const uint64_t va = 0x40123000;
	uint64_t pa;

	Map4K(va, 0x80456000, R | W); /* V clear */
	EXPECT_EQ(intro_translate(m.mem(), satp, va, &pa, nullptr), INTRO_EFAULT);
	Map4K(va, 0x80456000, V | W); /* W without R */
	EXPECT_EQ(intro_translate(m.mem(), satp, va, &pa, nullptr), INTRO_EFAULT);
	Map4K(va, 0x80456000, V | W | X); /* W without R, executable */
	EXPECT_EQ(intro_translate(m.mem(), satp, va, &pa, nullptr), INTRO_EFAULT);
	for (int bit = 54; bit < 64; bit++) {
		Map4K(va, 0x80456000, V | R | (1ull << bit)); /* N, PBMT, reserved */
		EXPECT_EQ(intro_translate(m.mem(), satp, va, &pa, nullptr), INTRO_EFAULT) << bit;
	}
	Map4K(va, 0x80456000, V | R);
	EXPECT_EQ(intro_translate(m.mem(), satp, va, &pa, nullptr), INTRO_OK);
	/* An invalid non-leaf entry faults too. */
	m.Write64(l1 + 8 * Vpn(va, 1), FakeMem::Pte(l0, 0));
	EXPECT_EQ(intro_translate(m.mem(), satp, va, &pa, nullptr), INTRO_EFAULT);
}

TEST_F(Sv39, PointerAtLastLevelFaults)
{
	const uint64_t va = 0x40123000;
	uint64_t pa;

	Map4K(va, 0x13000, V); /* a "table pointer" where a leaf must be */
	EXPECT_EQ(intro_translate(m.mem(), satp, va, &pa, nullptr), INTRO_EFAULT);
}

TEST_F(Sv39, NonCanonicalAddressFaultsWithoutReading)
{
	m.Write64(root + 8 * Vpn(0x40000000, 2), FakeMem::Pte(0x40000000, V | R));
	uint64_t pa;

	/* Bit 38 clear but bit 39 set: bits 63..39 are not a sign extension. */
	EXPECT_EQ(intro_translate(m.mem(), satp, 0x8040000000ull, &pa, nullptr), INTRO_EFAULT);
	EXPECT_EQ(intro_translate(m.mem(), satp, 0x0000004000000000ull, &pa, nullptr),
		  INTRO_EFAULT);
	EXPECT_EQ(m.reads(), 0u);
	EXPECT_EQ(intro_translate(m.mem(), satp, 0x40000000, &pa, nullptr), INTRO_OK);
}

TEST_F(Sv39, TableThatPointsToItselfEndsInBoundedWalk)
{
	/* Every root entry points back at the root: a cycle. */
	for (int i = 0; i < 512; i++)
		m.Write64(root + 8 * i, FakeMem::Pte(root, V));
	uint64_t pa;

	EXPECT_EQ(intro_translate(m.mem(), satp, 0x40123000, &pa, nullptr), INTRO_EFAULT);
	EXPECT_EQ(m.reads(), 3u);
	EXPECT_EQ(intro_read_virt(m.mem(), satp, 0x40123000, &pa, 8), -1);
}

TEST_F(Sv39, UnreadableTableIsAccessFault)
{
	/* The root is not in memory at all. */
	uint64_t pa;

	EXPECT_EQ(intro_translate(m.mem(), Satp(INTRO_SATP_SV39, 0x7000000), 0x1000, &pa, nullptr),
		  INTRO_EACCESS);
}

TEST_F(Sv39, ReadVirtCrossesPagesWithDifferentMappings)
{
	/* Two virtually adjacent pages backed by distant physical pages. */
	Map4K(0x40000000, 0x90003000, V | R);
	Map4K(0x40001000, 0x90001000, V | R);
	m.WriteStr(0x90003ffa, "hello,");
	m.WriteStr(0x90001000, " world");
	char buf[13] = {};

	ASSERT_EQ(intro_read_virt(m.mem(), satp, 0x40000ffa, buf, 12), 0);
	EXPECT_STREQ(buf, "hello, world");
}

TEST_F(Sv39, ReadVirtFailsWhenALaterPageIsUnmapped)
{
	Map4K(0x40000000, 0x90003000, V | R);
	m.Write64(0x90003ff8, 0x1122334455667788ull);
	m.Write64(0x90004000, 0); /* backed, but the VA page is not mapped */
	char buf[16];

	EXPECT_EQ(intro_read_virt(m.mem(), satp, 0x40000ff8, buf, 8), 0);
	EXPECT_EQ(intro_read_virt(m.mem(), satp, 0x40000ff8, buf, 16), -1);
}

TEST_F(Sv39, ReadU64IsLittleEndian)
{
	Map4K(0x40000000, 0x90003000, V | R);
	const uint8_t bytes[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	m.Write(0x90003010, bytes, 8);
	uint64_t v = 0;

	ASSERT_EQ(intro_read_u64(m.mem(), satp, 0x40000010, &v), 0);
	EXPECT_EQ(v, 0x0807060504030201ull);
}

TEST(WalkSv48, TranslatesAllPageSizes)
{
	FakeMem m;
	const uint64_t root = 0x20000, l2 = 0x21000, l1 = 0x22000, l0 = 0x23000;
	const uint64_t satp = Satp(INTRO_SATP_SV48, root);
	uint64_t pa = 0;

	/* 4 KiB at a VA only Sv48 can express (bit 46 set, canonical). */
	const uint64_t va4k = 0x0000400012345000ull;
	m.Write64(root + 8 * Vpn(va4k, 3), FakeMem::Pte(l2, V));
	m.Write64(l2 + 8 * Vpn(va4k, 2), FakeMem::Pte(l1, V));
	m.Write64(l1 + 8 * Vpn(va4k, 1), FakeMem::Pte(l0, V));
	m.Write64(l0 + 8 * Vpn(va4k, 0), FakeMem::Pte(0x81234000, V | R));
	ASSERT_EQ(intro_translate(m.mem(), satp, va4k + 0x567, &pa, nullptr), INTRO_OK);
	EXPECT_EQ(pa, 0x81234567ull);

	/* 2 MiB leaf at level 1 next to it. */
	const uint64_t va2m = 0x0000400012400000ull;
	m.Write64(l1 + 8 * Vpn(va2m, 1), FakeMem::Pte(0x82000000, V | R));
	ASSERT_EQ(intro_translate(m.mem(), satp, va2m + 0x1abcd, &pa, nullptr), INTRO_OK);
	EXPECT_EQ(pa, 0x8201abcdull);

	/* 1 GiB leaf at level 2. */
	const uint64_t va1g = 0x0000400040000000ull;
	m.Write64(l2 + 8 * Vpn(va1g, 2), FakeMem::Pte(0xc0000000, V | X));
	ASSERT_EQ(intro_translate(m.mem(), satp, va1g + 0x3456789, &pa, nullptr), INTRO_OK);
	EXPECT_EQ(pa, 0xc3456789ull);

	/* 512 GiB leaf at level 3 in the kernel half. */
	const uint64_t va512g = 0xffff800000000000ull;
	m.Write64(root + 8 * Vpn(va512g, 3), FakeMem::Pte(0x8000000000ull, V | R | W));
	ASSERT_EQ(intro_translate(m.mem(), satp, va512g + 0x123456789ull, &pa, nullptr), INTRO_OK);
	EXPECT_EQ(pa, 0x8123456789ull);

	/* A 512 GiB leaf with PPN bits below 39 set is misaligned. */
	m.Write64(root + 8 * Vpn(va512g, 3), FakeMem::Pte(0x8040000000ull, V | R | W));
	EXPECT_EQ(intro_translate(m.mem(), satp, va512g, &pa, nullptr), INTRO_EFAULT);

	/* Sv48 canonical check: bit 47 clear with bit 48 set faults. */
	EXPECT_EQ(intro_translate(m.mem(), satp, 0x0001000000000000ull, &pa, nullptr),
		  INTRO_EFAULT);
}

TEST(WalkSv48, SelfLoopReadsAtMostFourEntries)
{
	FakeMem m;
	const uint64_t root = 0x20000;

	for (int i = 0; i < 512; i++)
		m.Write64(root + 8 * i, FakeMem::Pte(root, V | A | D));
	uint64_t pa;

	EXPECT_EQ(intro_translate(m.mem(), Satp(INTRO_SATP_SV48, root), 0x1000, &pa, nullptr),
		  INTRO_EFAULT);
	EXPECT_EQ(m.reads(), 4u);
}

} // namespace
