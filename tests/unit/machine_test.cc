// SPDX-License-Identifier: MIT
/*
 * Tests of the machine (hv/platform/machine.c): configuration checks, RAM bounds
 * for physical access (ranges that cross the end of RAM or overflow are
 * refused), bus dispatch to the virt platform's devices, console input
 * through the queue and the UART, the exact max-instructions stop, the
 * determinism of multi-hart runs (same digest twice) and the deadlock
 * stop when every hart waits for an interrupt that cannot come.
 */
#include <gtest/gtest.h>

#include <unistd.h>

#include "tests/unit/testutil.h"

using namespace tu;

namespace {

constexpr uint64_t kData = kRam + 0x10000;

TEST(Machine, CreateRejectsBadConfigurations)
{
	struct Case {
		uint64_t ram;
		unsigned nharts;
	};
	for (Case c : { Case{ 16 * kMiB, 0 }, Case{ 16 * kMiB, HV_MAX_HARTS + 1 },
			Case{ 16 * kMiB + 1, 1 }, Case{ 0, 1 }, Case{ 2048, 1 } }) {
		struct machine_config cfg = {};
		struct hv_err err = {};
		cfg.ram_size = c.ram;
		cfg.nharts = c.nharts;
		cfg.boot = BOOT_BARE;
		struct machine *m = machine_create(&cfg, &err);
		EXPECT_EQ(m, nullptr) << c.ram << " " << c.nharts;
		EXPECT_NE(err.msg[0], '\0');
		machine_destroy(m);
	}
}

TEST(Machine, PhysicalAccessStaysInsideRam)
{
	TestVm vm(1, BOOT_BARE, 0, 0, 1 * kMiB);
	struct machine *m = vm.m;
	const uint64_t end = kRam + 1 * kMiB;
	uint8_t buf[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9 };

	EXPECT_TRUE(machine_write_phys(m, end - 8, buf, 8));
	EXPECT_TRUE(machine_read_phys(m, end - 8, buf, 8));
	EXPECT_FALSE(machine_write_phys(m, end - 8, buf, 9));
	EXPECT_FALSE(machine_read_phys(m, end - 8, buf, 9));
	EXPECT_FALSE(machine_read_phys(m, end, buf, 1));
	EXPECT_FALSE(machine_write_phys(m, kRam - 1, buf, 2));
	EXPECT_FALSE(machine_read_phys(m, 0, buf, 1));
	EXPECT_FALSE(machine_read_phys(m, ~0ull - 3, buf, 8));
	EXPECT_FALSE(machine_write_phys(m, ~0ull - 3, buf, 8));
	EXPECT_FALSE(machine_read_phys(m, kRam + 8, buf, SIZE_MAX));
	EXPECT_FALSE(machine_write_phys(m, kRam + 8, buf, SIZE_MAX - 4));
	/* A range across a page boundary inside RAM is fine. */
	EXPECT_TRUE(machine_write_phys(m, kRam + 0xffc, buf, 8));
	uint8_t back[8] = {};
	EXPECT_TRUE(machine_read_phys(m, kRam + 0xffc, back, 8));
	EXPECT_EQ(memcmp(buf, back, 8), 0);
	EXPECT_EQ(ram_ptr(&m->ram, end), nullptr);
	EXPECT_EQ(ram_ptr(&m->ram, kRam - 1), nullptr);
	EXPECT_NE(ram_ptr(&m->ram, end - 1), nullptr);
}

TEST(Machine, BusDispatchesToTheVirtDevices)
{
	TestVm vm;
	struct machine *m = vm.m;
	uint64_t v = 0;

	m->cur = vm.h();
	ASSERT_TRUE(bus_write(m, HV_UART_BASE, 1, 'Z'));
	EXPECT_EQ(vm.console, "Z");
	ASSERT_TRUE(bus_read(m, HV_UART_BASE + 5, 1, &v));
	EXPECT_NE(v & 0x20, 0u) << "LSR.THRE";
	ASSERT_TRUE(bus_read(m, HV_CLINT_BASE + 0x4000, 8, &v));
	EXPECT_EQ(v, ~0ull) << "mtimecmp of hart 0 at reset";
	ASSERT_TRUE(bus_write(m, HV_PLIC_BASE + 4 * 10, 4, 5));
	ASSERT_TRUE(bus_read(m, HV_PLIC_BASE + 4 * 10, 4, &v));
	EXPECT_EQ(v, 5u) << "PLIC priority of source 10";
	EXPECT_TRUE(bus_read(m, HV_RTC_BASE, 4, &v));
	EXPECT_FALSE(bus_read(m, 0x30000000, 4, &v));
	EXPECT_FALSE(bus_write(m, 0x0, 4, 0));
	EXPECT_FALSE(bus_read(m, HV_CLINT_BASE + HV_CLINT_SIZE, 4, &v));
	EXPECT_FALSE(bus_read(m, kRam, 8, &v)) << "RAM is not a bus device";
	EXPECT_EQ(m->stop, STOP_NONE);
	ASSERT_TRUE(bus_write(m, HV_SYSCON_BASE, 4, 0x5555));
	EXPECT_EQ(m->stop, STOP_SHUTDOWN);
	EXPECT_EQ(m->exit_status, 0);
	m->cur = nullptr;
}

TEST(Machine, ConsoleInputIsQueuedInOrder)
{
	TestVm vm;
	struct machine *m = vm.m;

	EXPECT_EQ(machine_console_getc(m), -1);
	machine_console_input(m, reinterpret_cast<const uint8_t *>("hi\xff"), 3);
	EXPECT_EQ(machine_console_getc(m), 'h');
	EXPECT_EQ(machine_console_getc(m), 'i');
	EXPECT_EQ(machine_console_getc(m), 0xff);
	EXPECT_EQ(machine_console_getc(m), -1);

	/* A full queue drops the excess, keeps what it had. */
	std::vector<uint8_t> lots(sizeof(m->conin) + 100);
	for (size_t i = 0; i < lots.size(); i++)
		lots[i] = (uint8_t)i;
	machine_console_input(m, lots.data(), lots.size());
	for (size_t i = 0; i < sizeof(m->conin); i++)
		ASSERT_EQ(machine_console_getc(m), (int)(uint8_t)i) << i;
	EXPECT_EQ(machine_console_getc(m), -1);
}

TEST(Machine, ConsoleInputReachesTheGuestThroughTheUart)
{
	TestVm vm(1, BOOT_BARE, 1000000, 500);
	struct hart *h = vm.h();
	vm.put(kRam, {
			     lbu(5, 7, 5), /* loop: LSR */
			     andi(5, 5, 1),
			     beq(5, 0, -8),
			     lbu(6, 7, 0), /* RBR */
			     sb(6, 7, 0),  /* echo */
			     addi(8, 0, 'q'),
			     bne(6, 8, -24),
			     sw(9, 10, 0), /* power off */
			     spin(),
		     });
	h->x[7] = HV_UART_BASE;
	h->x[9] = 0x5555;
	h->x[10] = HV_SYSCON_BASE;
	machine_console_input(vm.m, reinterpret_cast<const uint8_t *>("echo me q"), 9);
	EXPECT_EQ(machine_run(vm.m), STOP_SHUTDOWN);
	EXPECT_EQ(vm.console, "echo me q");
}

TEST(Machine, MaxInstructionsStopsExactly)
{
	for (unsigned nharts : { 1u, 3u }) {
		TestVm vm(nharts, BOOT_BARE, 12345, 1000);
		vm.put(kRam, { addi(1, 1, 1), jal(0, -4) });
		EXPECT_EQ(machine_run(vm.m), STOP_MAX_INSNS);
		EXPECT_EQ(vm.m->total_insns, 12345u) << nharts << " harts";
		icount_t sum = 0;
		for (unsigned i = 0; i < nharts; i++)
			sum += vm.h(i)->icount;
		EXPECT_EQ(sum, 12345u);
	}
}

/* Every hart bumps shared counters with AMOs and LR/SC, stores into its own
 * slot, reads time and prints its hart number now and then. */
void load_smp_program(TestVm &vm)
{
	vm.put(kRam, {
			     csrrs(10, CSR_MHARTID, 0),
			     slli(11, 10, 3),
			     add(11, 11, 2),
			     amoadd_d(12, 3, 4), /* loop: */
			     add(5, 5, 12),
			     sd(5, 11, 0),
			     lr_d(13, 6),
			     addi(13, 13, 1),
			     sc_d(14, 6, 13),
			     add(5, 5, 14),
			     csrrs(15, CSR_TIME, 0),
			     xor_(5, 5, 15),
			     andi(16, 12, 63),
			     bne(16, 0, 12),
			     addi(17, 10, '0'),
			     sb(17, 7, 0),
			     jal(0, -13 * 4),
		     });
	for (unsigned i = 0; i < vm.m->nharts; i++) {
		struct hart *h = vm.h(i);
		h->x[2] = kData;
		h->x[3] = kData + 0x800;
		h->x[4] = 1;
		h->x[6] = kData + 0x808;
		h->x[7] = HV_UART_BASE;
	}
}

TEST(Machine, MultiHartRunsAreDeterministic)
{
	for (unsigned nharts : { 2u, 4u }) {
		uint64_t digest[2];
		std::string out[2];
		for (int run = 0; run < 2; run++) {
			TestVm vm(nharts, BOOT_BARE, 200000, 777);
			load_smp_program(vm);
			EXPECT_EQ(machine_run(vm.m), STOP_MAX_INSNS);
			digest[run] = machine_digest(vm.m);
			out[run] = vm.console;
			for (unsigned i = 0; i < nharts; i++)
				EXPECT_GT(vm.h(i)->icount, 10000u) << "every hart ran";
			EXPECT_GT(vm.get64(kData + 0x800), 10000u);
		}
		EXPECT_EQ(digest[0], digest[1]) << nharts << " harts";
		EXPECT_EQ(out[0], out[1]) << nharts << " harts";
		EXPECT_FALSE(out[0].empty());
	}
}

TEST(Machine, DigestSeesRegistersAndMemory)
{
	TestVm vm;
	uint64_t d0 = machine_digest(vm.m);
	vm.h()->x[7] = 1;
	uint64_t d1 = machine_digest(vm.m);
	EXPECT_NE(d0, d1);
	vm.put64(kRam + 8 * kMiB, 1);
	EXPECT_NE(machine_digest(vm.m), d1);
	EXPECT_NE(machine_hart_digest(vm.h()), 0u);
}

/* Both page hashes, written out again here from their definitions: old
 * logs and saves hold version 1's, so a change to either is a change of
 * format, which must come with a new version (hv/machine.h). */
TEST(Machine, PageHashesOfBothDigestVersionsAreAsDefined)
{
	TestVm vm;
	const uint64_t p = 2048 + 5;
	for (unsigned i = 0; i < HV_PAGE_SIZE / 8; i++)
		vm.put64(kRam + p * HV_PAGE_SIZE + 8 * i,
			 0x0123456789abcdefull * (i + 1) ^ (uint64_t)i << 40);
	const uint64_t *w = (const uint64_t *)vm.m->ram.frame[p];

	uint64_t v1 = p;
	for (unsigned i = 0; i < HV_PAGE_SIZE / 8; i++) {
		v1 ^= w[i] + 0x9e3779b97f4a7c15ull + (v1 << 6) + (v1 >> 2);
		v1 *= 0xff51afd7ed558ccdull;
		v1 ^= v1 >> 33;
	}
	const uint64_t mul[4] = { 0x9e3779b97f4a7c15ull, 0xc2b2ae3d27d4eb4full,
				  0x165667b19e3779f9ull, 0x27d4eb2f165667c5ull };
	const unsigned shift[4] = { 29, 31, 27, 33 };
	uint64_t lane[4] = { p, ~p, 0x243f6a8885a308d3ull, 0x13198a2e03707344ull };
	for (unsigned i = 0; i < HV_PAGE_SIZE / 8; i++) {
		uint64_t &l = lane[i % 4];
		l = (l ^ w[i]) * mul[i % 4];
		l ^= l >> shift[i % 4];
	}
	uint64_t v2 = lane[0] ^
		      (lane[1] * 0xff51afd7ed558ccdull ^ lane[2] * 0xc4ceb9fe1a85ec53ull ^ lane[3]);
	v2 ^= v2 >> 32;

	EXPECT_EQ(machine_page_hash_version(vm.m, p, MACHINE_DIGEST_V1), v1);
	EXPECT_EQ(machine_page_hash_version(vm.m, p, MACHINE_DIGEST_V2), v2);
	EXPECT_EQ(vm.m->ram.digest_version, MACHINE_DIGEST_CURRENT);
	EXPECT_EQ(machine_page_hash(vm.m, p), v2);
	EXPECT_EQ(machine_digest_version(vm.m, MACHINE_DIGEST_V2), machine_digest(vm.m));
	EXPECT_NE(machine_digest_version(vm.m, MACHINE_DIGEST_V1), machine_digest(vm.m));

	/* A machine made for an old log hashes the old way. */
	struct machine_config cfg = {};
	struct hv_err err = {};
	cfg.ram_size = 16 * kMiB;
	cfg.nharts = 1;
	cfg.boot = BOOT_BARE;
	cfg.digest_version = MACHINE_DIGEST_V1;
	struct machine *old = machine_create(&cfg, &err);
	ASSERT_NE(old, nullptr) << err.msg;
	EXPECT_EQ(old->ram.digest_version, MACHINE_DIGEST_V1);
	EXPECT_EQ(machine_page_hash(old, 0), machine_page_hash_version(old, 0, MACHINE_DIGEST_V1));
	EXPECT_EQ(machine_digest(old), machine_digest_version(old, MACHINE_DIGEST_V1));
	machine_destroy(old);
}

TEST(Machine, AllHartsWaitingWithNothingToWakeThemIsADeadlock)
{
	for (unsigned nharts : { 1u, 2u }) {
		TestVm vm(nharts);
		vm.put(kRam, { wfi(), jal(0, -4) });
		EXPECT_EQ(machine_run(vm.m), STOP_DEADLOCK) << nharts << " harts";
		for (unsigned i = 0; i < nharts; i++)
			EXPECT_TRUE(vm.h(i)->wfi);
	}
}

/*
 * A hart waits (WFI) for a timer that is due in a later round.
 * The idle time added at the end of the round makes the timer pending;
 * that must wake the hart, not be taken for a deadlock because no timer
 * is left in the future. (Found by a Linux poweroff that hung.)
 */
TEST(Machine, TimerThatFiresDuringIdleTimeWakesTheHart)
{
	TestVm vm(1, BOOT_BARE, 0, 100000);
	vm.put(kRam, {
			     wfi(),
			     sw(9, 8, 0), /* syscon: power off */
			     spin(),
		     });
	struct hart *h = vm.h();
	h->mie = MIP_MTIP;   /* enabled in mie, but MIE stays 0 */
	h->mtimecmp = 15000; /* due in the middle of the second round */
	hart_timer_update(h);
	h->x[8] = HV_SYSCON_BASE;
	h->x[9] = 0x5555;
	EXPECT_EQ(machine_run(vm.m), STOP_SHUTDOWN);
	EXPECT_GE(hart_time(h), 15000u);
}

TEST(Machine, AHartWokenByAnotherHartsIpiIsNotADeadlock)
{
	TestVm vm(2, BOOT_BARE, 0, 1000);
	/* Hart 0 waits for a software interrupt; hart 1 sends it after a
	 * while. Hart 0's handler powers the machine off. */
	vm.put(kRam, {
			     csrrs(10, CSR_MHARTID, 0),
			     bne(10, 0, 16),
			     wfi(), /* hart 0 */
			     jal(0, -4),
			     spin(),
			     addi(11, 11, 1), /* hart 1 at +20: count to 5000 */
			     blt(11, 12, -4),
			     sw(4, 3, 0), /* msip of hart 0 */
			     spin(),
		     });
	vm.put(kRam + 0x8000, { sw(9, 8, 0), spin() });
	for (unsigned i = 0; i < 2; i++) {
		struct hart *h = vm.h(i);
		h->mtvec = kRam + 0x8000;
		h->mie = MIP_MSIP;
		h->mstatus |= MSTATUS_MIE;
		h->x[3] = HV_CLINT_BASE;
		h->x[4] = 1;
		h->x[8] = HV_SYSCON_BASE;
		h->x[9] = 0x5555;
		h->x[12] = 5000;
	}
	EXPECT_EQ(machine_run(vm.m), STOP_SHUTDOWN);
	EXPECT_EQ(vm.h()->mcause, CAUSE_INTERRUPT | IRQ_MSI);
	EXPECT_EQ(vm.h(1)->x[11], 5000u);
}

/*
 * A guest whose trap vector faults again (here an illegal instruction at
 * mtvec) livelocks without retiring instructions; machine_run must still
 * come back to its caller, at the latest when nothing can change any
 * more, instead of spinning inside the hart forever.
 */
TEST(MachineDeathTest, GuestTrapLoopDoesNotHangTheScheduler)
{
	EXPECT_EXIT(
		{
			TestVm vm(2, BOOT_BARE, 100000, 1000);
			vm.put(kRam, { ebreak() });
			vm.put(kRam + 0x8000, { 0xffffffffu });
			vm.h(0)->mtvec = kRam + 0x8000;
			vm.h(1)->mtvec = kRam + 0x8000;
			alarm(2);
			machine_run(vm.m);
			_exit(0);
		},
		::testing::ExitedWithCode(0), "");
}

/*
 * A timer set at the end of mtime's range: the idle skip moved the clock
 * to just below 2^64 instruction units, the next round's end wrapped past
 * zero, the hart (its clock ahead of every round's end) was never run
 * again and, its timer pending, never counted idle: machine_run went
 * round after round for ever with nothing retiring. A time past
 * HV_ITIME_MAX is never reached: waiting for it is a deadlock.
 */
TEST(MachineDeathTest, ATimerPastTheEndOfTimeIsADeadlockNotAHang)
{
	EXPECT_EXIT(
		{
			TestVm vm(1, BOOT_BARE, 100000, 1000);
			vm.put(kRam, { wfi(), jal(0, -4) });
			struct hart *h = vm.h();
			h->mie = MIP_MTIP;
			h->mtimecmp = (~0ull - HV_INSNS_PER_TICK) / HV_INSNS_PER_TICK;
			hart_timer_update(h);
			alarm(2);
			enum hv_stop why = machine_run(vm.m);
			_exit(why == STOP_DEADLOCK && vm.m->itime < HV_ITIME_MAX ? 0 : 3);
		},
		::testing::ExitedWithCode(0), "");
}

TEST(MachineDeathTest, SupervisorTrapLoopUnderParavirtualBootDoesNotHang)
{
	EXPECT_EXIT(
		{
			TestVm vm(1, BOOT_PV, 100000, 1000);
			vm.put(kRam, { ebreak() });
			vm.h()->stvec = 0x30000000; /* fetch access fault, delegated */
			alarm(2);
			machine_run(vm.m);
			_exit(0);
		},
		::testing::ExitedWithCode(0), "");
}

} // namespace

/* A host failure stops the machine as a host error with its sentence,
 * never as a guest shutdown; the first stop reason is kept. */
TEST(Machine, HostErrorIsNotAGuestShutdown)
{
	TestVm vm;
	ASSERT_NE(vm.m, nullptr) << vm.error;
	machine_host_error(vm.m, "out of host memory copying %s", "a page");
	EXPECT_EQ(vm.m->stop, STOP_HOST_ERROR);
	EXPECT_EQ(vm.m->exit_status, 0);
	EXPECT_STREQ(vm.m->host_error, "out of host memory copying a page");
	machine_host_error(vm.m, "second");
	EXPECT_STREQ(vm.m->host_error, "out of host memory copying a page");

	TestVm other;
	ASSERT_NE(other.m, nullptr) << other.error;
	machine_stop(other.m, STOP_SHUTDOWN, 3);
	machine_host_error(other.m, "late");
	EXPECT_EQ(other.m->stop, STOP_SHUTDOWN);
	EXPECT_EQ(other.m->host_error[0], '\0');
}

/* Machines are instances (ARCHITECTURE.md section 6): several machines in
 * one process, run interleaved in slices, end in exactly the state each
 * reaches when run alone. Each has 2 harts whose loops store a running
 * sum into a page of their own, with different seeds per machine. */
static void load_sum_loop(TestVm &vm, int32_t seed)
{
	vm.put(kRam, {
			     csrrs(5, CSR_MHARTID, 0), /* t0 = hart id */
			     slli(6, 5, 12),           /* t1 = id * 4096 */
			     addi(7, 0, 1), slli(7, 7, 31), lui(8, 0x10),
			     add(7, 7, 8),                     /* t2 = 0x80010000 */
			     add(6, 6, 7),                     /* t1 = this hart's page */
			     addi(10, 0, seed),                /* a0 = seed */
			     add(10, 10, 5),                   /* a0 += id */
			     addi(11, 11, 3),                  /* loop: a1 += 3 */
			     add(10, 10, 11),                  /* a0 += a1 */
			     slli(12, 10, 7), add(10, 10, 12), /* a0 += a0 << 7 */
			     sd(10, 6, 0),                     /* *page = a0 */
			     ld(13, 6, 0), add(11, 11, 13),    /* a1 += *page */
			     jal(0, -28),                      /* back to loop */
		     });
}

TEST(Machine, SeveralMachinesInOneProcessRunAsIfAlone)
{
	const icount_t total = 200000;
	uint64_t alone[2];
	for (int k = 0; k < 2; k++) {
		TestVm vm(2, BOOT_BARE, total, 1000);
		ASSERT_NE(vm.m, nullptr) << vm.error;
		load_sum_loop(vm, 17 + 100 * k);
		ASSERT_EQ(machine_run(vm.m), STOP_MAX_INSNS);
		alone[k] = machine_digest(vm.m);
	}
	EXPECT_NE(alone[0], alone[1]) << "the two machines must do different work";

	TestVm a(2, BOOT_BARE, 1, 1000), b(2, BOOT_BARE, 1, 1000);
	ASSERT_NE(a.m, nullptr) << a.error;
	ASSERT_NE(b.m, nullptr) << b.error;
	load_sum_loop(a, 17);
	load_sum_loop(b, 117);
	TestVm *vms[2] = { &a, &b };
	/* Odd slices, so that stops fall mid-quantum and mid-block. */
	for (icount_t done = 0; done < total;) {
		icount_t slice = done + 777 < total ? 777 : total - done;
		done += slice;
		for (TestVm *vm : vms) {
			vm->m->cfg.max_insns = done;
			vm->m->stop = STOP_NONE;
			ASSERT_EQ(machine_run(vm->m), STOP_MAX_INSNS);
		}
	}
	EXPECT_EQ(machine_digest(a.m), alone[0]);
	EXPECT_EQ(machine_digest(b.m), alone[1]);
}
