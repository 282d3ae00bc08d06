// SPDX-License-Identifier: MIT
/*
 * Robustness test: the machine must survive any guest (ARCHITECTURE.md
 * section 7: guest misbehaviour yields a trap or a device's architectural
 * answer, never a crash, an unbounded loop or a host-memory access).
 *
 * Each case builds a machine from a seed (xorshift PRNG, so every failure
 * names a seed that reproduces it) and runs it in-process for a bounded
 * number of instructions:
 *   - random code: 4 KiB of instruction words, half drawn from the
 *     instruction table with random operands, half raw random bits, run in
 *     M, S and U mode with random CSRs, random trap vectors, random
 *     satp with page tables full of garbage, random timers;
 *   - the same under paravirtual boot (the SBI answers ecalls from S);
 *   - MMIO from the guest: loads and stores of every size at random offsets
 *     around every device window and in the holes between them, where only
 *     a syscon poweroff/reboot value may stop the machine;
 *   - the bus directly: every read answers with a value that fits in the
 *     access size, whatever the offset and alignment;
 *   - determinism: the same seed twice gives the same digest.
 * A run must end by the instruction limit, a deadlock or a shutdown, within
 * a watchdog time; afterwards every hart's state must be one the
 * architecture allows (x0 = 0, legal privilege, WARL fields legal, pc
 * aligned).
 *
 * The watchdog (SIGALRM + siglongjmp) turns a hang into a reported failure
 * with its seed and lets the other cases run; a machine abandoned that way
 * is leaked on purpose, as its state is mid-update.
 *
 * FUZZ_SCALE=n in the environment multiplies the number of cases;
 * FUZZ_VERBOSE=1 prints how each case ended. Under AddressSanitizer and
 * UBSan, compile every C file of hv/ except main.c and this file with
 * -fsanitize=address,undefined -fno-sanitize-recover=all and link them
 * with -lelf -lfdt -lgtest -lgtest_main -pthread: the machine library
 * must be instrumented too, which a cc_test here cannot do to //hv.
 */
#include <gtest/gtest.h>

#include <csetjmp>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <string>
#include <sys/time.h>
#include <vector>

extern "C" {
#include "hv/cpu/exec.h"
#include "hv/cpu/hart.h"
#include "hv/cpu/insn.h"
#include "hv/platform/machine.h"
}

namespace {

constexpr uint64_t kRam = HV_RAM_BASE;
constexpr uint64_t kRamSize = 4ull << 20;
constexpr uint64_t kTables = kRam + 0x200000; /* 16 pages of garbage tables */
constexpr unsigned kTablePages = 16;
constexpr icount_t kMaxInsns = 20000;
constexpr unsigned kWatchdogMs = 200;
/* After this many hangs a test stops running cases (each costs a watchdog
 * period) and reports what it has. */
constexpr size_t kMaxHangs = 10;
constexpr uint64_t kSafeHandler = kRam + 0x1000;  /* M-mode, mepc += 4 */
constexpr uint64_t kSafeSHandler = kRam + 0x1100; /* S-mode, sepc += 4 */

/* ---- PRNG ---- */
struct Rng {
	uint64_t s;
	explicit Rng(uint64_t seed) : s(seed * 0x9e3779b97f4a7c15ull + 0x1234567) {}
	uint64_t next()
	{
		s ^= s << 13;
		s ^= s >> 7;
		s ^= s << 17;
		return s;
	}
	uint32_t u32() { return (uint32_t)(next() >> 16); }
	uint64_t below(uint64_t n) { return n ? next() % n : 0; }
	bool chance(unsigned percent) { return below(100) < percent; }
};

unsigned scale()
{
	const char *s = getenv("FUZZ_SCALE");
	int n = s ? atoi(s) : 1;
	return n > 0 ? (unsigned)n : 1;
}

/* ---- encoders (the few this file needs) ---- */
constexpr uint32_t i_type(uint32_t opc, uint32_t rd, uint32_t f3, uint32_t rs1, int32_t imm)
{
	return opc | rd << 7 | f3 << 12 | rs1 << 15 | ((uint32_t)imm & 0xfff) << 20;
}
constexpr uint32_t s_type(uint32_t f3, uint32_t rs1, uint32_t rs2, int32_t imm)
{
	return 0x23 | ((uint32_t)imm & 0x1f) << 7 | f3 << 12 | rs1 << 15 | rs2 << 20 |
	       (((uint32_t)imm >> 5) & 0x7f) << 25;
}
constexpr uint32_t jal_back(int32_t off)
{
	uint32_t u = (uint32_t)off;
	return 0x6f | ((u >> 12) & 0xff) << 12 | ((u >> 11) & 1) << 20 | ((u >> 1) & 0x3ff) << 21 |
	       ((u >> 20) & 1) << 31;
}

/* ---- the watchdog ---- */
sigjmp_buf g_watchdog_jmp;
volatile sig_atomic_t g_watchdog_armed;

void on_watchdog(int)
{
	if (g_watchdog_armed)
		siglongjmp(g_watchdog_jmp, 1);
}

void set_timer(unsigned ms)
{
	struct itimerval it = {};
	it.it_value.tv_sec = ms / 1000;
	it.it_value.tv_usec = (ms % 1000) * 1000;
	setitimer(ITIMER_REAL, &it, nullptr);
}

/* machine_run under the watchdog; false if it did not return in time. */
bool run_bounded(struct machine *m, enum hv_stop *stop)
{
	struct sigaction sa = {};
	sa.sa_handler = on_watchdog;
	sigaction(SIGALRM, &sa, nullptr);
	if (sigsetjmp(g_watchdog_jmp, 1)) {
		g_watchdog_armed = 0;
		return false;
	}
	g_watchdog_armed = 1;
	set_timer(kWatchdogMs);
	*stop = machine_run(m);
	g_watchdog_armed = 0;
	set_timer(0);
	return true;
}

/* ---- building random machines ---- */
struct machine *new_machine(unsigned nharts, enum hv_boot boot, icount_t quantum)
{
	struct machine_config cfg = {};
	struct hv_err err = {};
	cfg.ram_size = kRamSize;
	cfg.nharts = nharts;
	cfg.boot = boot;
	cfg.max_insns = kMaxInsns;
	cfg.quantum = quantum;
	struct machine *m = machine_create(&cfg, &err);
	EXPECT_NE(m, nullptr) << err.msg;
	if (m)
		m->console_out = [](void *, const uint8_t *, size_t) {};
	return m;
}

struct Window {
	uint64_t base, size;
};
/* Every device window, the unused virtio slots and some holes. */
const Window kWindows[] = {
	{ HV_SYSCON_BASE, 0x1000 },
	{ HV_RTC_BASE, 0x1000 },
	{ HV_CLINT_BASE, HV_CLINT_SIZE },
	{ HV_PLIC_BASE, 0x3000 },
	{ HV_PLIC_BASE + 0x200000, 0x10000 },
	{ HV_PLIC_BASE + 0x5ff000, 0x1000 },
	{ HV_UART_BASE, 0x100 },
	{ HV_VIRTIO_BASE, HV_VIRTIO_SLOTS *HV_VIRTIO_STRIDE },
	{ 0x0, 0x1000 },
	{ 0x30000000, 0x1000 },
	{ HV_PLIC_BASE + HV_PLIC_SIZE, 0x1000 },
	{ kRam - 0x1000, 0x1000 },
	{ kRam + kRamSize - 0x800, 0x1000 },
};

uint64_t random_address(Rng &r)
{
	switch (r.below(4)) {
	case 0:
	case 1:
		return kRam + r.below(kRamSize);
	case 2: {
		const Window &w = kWindows[r.below(HV_ARRAY_LEN(kWindows))];
		return w.base + r.below(w.size);
	}
	default:
		return r.next();
	}
}

uint64_t random_value(Rng &r)
{
	switch (r.below(6)) {
	case 0:
		return 0;
	case 1:
		return r.below(64);
	case 2:
		return random_address(r) & ~7ull;
	case 3:
		return ~0ull - r.below(4);
	default:
		return r.next();
	}
}

void write_code(struct machine *m, Rng &r, uint64_t pa, size_t bytes)
{
	std::vector<uint8_t> buf(bytes);
	size_t off = 0;
	while (off < bytes) {
		uint32_t raw;
		unsigned len;
		if (r.chance(50)) {
			const struct isa_info &e = isa_table[r.below(ISA_COUNT)];
			raw = e.match | (r.u32() & ~e.mask);
			len = (e.match & 3) == 3 ? 4 : 2;
		} else {
			raw = r.u32();
			len = (raw & 3) == 3 ? 4 : 2;
		}
		if (off + len > bytes)
			raw = 0x0001, len = 2; /* c.nop */
		memcpy(&buf[off], &raw, len);
		off += len;
	}
	machine_write_phys(m, pa, buf.data(), buf.size());
}

/* Page-table pages full of plausible and implausible PTEs. */
void write_tables(struct machine *m, Rng &r)
{
	std::vector<uint64_t> t(kTablePages * 512);
	for (uint64_t &e : t) {
		switch (r.below(10)) {
		case 0:
		case 1:
		case 2:
			e = 0;
			break;
		case 3:
		case 4:
			e = ((kTables >> 12) + r.below(kTablePages)) << 10 | 1;
			break;
		case 5:
		case 6:
		case 7:
			e = ((kRam + r.below(kRamSize)) >> 12) << 10 | (r.next() & 0xff) | 1;
			break;
		default:
			e = r.next();
		}
	}
	/* Often an identity gigapage over RAM in each table, so that code
	 * runs with paging on. */
	for (unsigned p = 0; p < kTablePages; p++)
		if (r.chance(50))
			t[p * 512 + 2] = (kRam >> 12) << 10 | (0xcf | (r.chance(50) ? 0x10 : 0));
	machine_write_phys(m, kTables, t.data(), t.size() * 8);
}

uint64_t random_tvec(Rng &r)
{
	unsigned k = (unsigned)r.below(100);
	if (k < 80)
		return (kRam + (r.below(4096) & ~3ull)) | r.below(2);
	if (k < 90)
		return kRam + (r.below(kRamSize) & ~3ull);
	return r.next();
}

/* safe: every exception goes to M-mode, to a handler that skips the
 * faulting instruction, so that no trap can repeat without an instruction
 * retiring in between. */
void randomize_hart(struct hart *h, Rng &r, unsigned priv, bool safe)
{
	for (unsigned i = 1; i < 32; i++)
		h->x[i] = random_value(r);
	for (unsigned i = 0; i < 32; i++)
		h->f[i] = r.chance(50) ? (0xffffffff00000000ull | r.u32()) : r.next();
	h->pc = kRam + (r.below(1024) & ~1ull);
	csr_write(h, 0x300, r.next()); /* mstatus */
	csr_write(h, 0x305, random_tvec(r));
	csr_write(h, 0x105, random_tvec(r));
	csr_write(h, 0x302, r.next());                    /* medeleg */
	csr_write(h, 0x303, r.next());                    /* mideleg */
	csr_write(h, 0x304, r.chance(50) ? r.next() : 0); /* mie */
	csr_write(h, 0x344, r.chance(20) ? r.next() : 0); /* mip */
	csr_write(h, 0x306, r.next());                    /* mcounteren */
	csr_write(h, 0x106, r.next());                    /* scounteren */
	if (r.chance(60)) {
		uint64_t mode = r.chance(70) ? 8 : 9;
		uint64_t root = kTables + 0x1000 * r.below(kTablePages);
		csr_write(h, 0x180, mode << 60 | (r.next() & (0xffffull << 44)) | root >> 12);
	}
	if (r.chance(60))
		h->mtimecmp = r.below(4000);
	h->frm = (uint32_t)r.below(8);
	if (safe && h->m->cfg.boot == BOOT_PV) {
		/* Everything is delegated to S here: a bare address space
		 * keeps the S handler reachable. */
		h->stvec = kSafeSHandler;
		h->satp = 0;
		h->mstatus &= ~MSTATUS_TSR;
	} else if (safe) {
		h->mtvec = kSafeHandler;
		h->medeleg = 0;
	}
	h->priv = priv;
	hart_flush_tlb(h);
	hart_timer_update(h);
}

/* Architectural sanity of a machine after a run; empty if all is well. */
std::string check_sane(struct machine *m)
{
	std::ostringstream bad;
	if (m->stop != STOP_MAX_INSNS && m->stop != STOP_DEADLOCK && m->stop != STOP_SHUTDOWN &&
	    m->stop != STOP_REBOOT)
		bad << "stop reason " << m->stop << "; ";
	if (m->total_insns > kMaxInsns)
		bad << "ran " << m->total_insns << " > limit; ";
	if (m->stop == STOP_MAX_INSNS && m->total_insns != kMaxInsns)
		bad << "stopped by the limit at " << m->total_insns << "; ";
	icount_t sum = 0;
	for (unsigned i = 0; i < m->nharts; i++) {
		const struct hart *h = m->hart[i];
		sum += h->icount;
		if (h->x[0])
			bad << "hart " << i << " x0 = " << h->x[0] << "; ";
		if (h->priv != PRIV_U && h->priv != PRIV_S && h->priv != PRIV_M)
			bad << "hart " << i << " priv " << h->priv << "; ";
		if (h->pc & 1)
			bad << "hart " << i << " odd pc; ";
		if (((h->mstatus & MSTATUS_MPP) >> 11) == 2)
			bad << "hart " << i << " MPP = 2; ";
		if (((h->mstatus >> 32) & 3) != 2 || ((h->mstatus >> 34) & 3) != 2)
			bad << "hart " << i << " UXL/SXL not 64-bit; ";
		if ((h->mtvec & 3) > 1 || (h->stvec & 3) > 1)
			bad << "hart " << i << " reserved tvec mode; ";
		if ((h->mepc & 1) || (h->sepc & 1))
			bad << "hart " << i << " odd xepc; ";
		uint64_t mode = h->satp >> 60;
		if (mode != 0 && mode != 8 && mode != 9)
			bad << "hart " << i << " satp mode " << mode << "; ";
		if (h->mideleg & ~(MIP_SSIP | MIP_STIP | MIP_SEIP))
			bad << "hart " << i << " mideleg " << h->mideleg << "; ";
		if (h->medeleg & (1ull << CAUSE_ECALL_M))
			bad << "hart " << i << " medeleg has ecall-from-M; ";
		if (h->mie & ~0xaaaull)
			bad << "hart " << i << " mie " << h->mie << "; ";
		if (h->frm > 7 || h->fflags > 0x1f)
			bad << "hart " << i << " fcsr out of range; ";
	}
	if (sum != m->total_insns)
		bad << "harts retired " << sum << " but the machine counted " << m->total_insns
		    << "; ";
	return bad.str();
}

/* Where the harts of a hung machine were (readable after the watchdog
 * fired: plain fields). */
std::string describe_harts(const struct machine *m)
{
	std::ostringstream s;
	s << std::hex;
	for (unsigned i = 0; i < m->nharts; i++) {
		const struct hart *h = m->hart[i];
		s << "hart " << i << ": pc 0x" << h->pc << " priv " << h->priv << " icount 0x"
		  << h->icount << " mcause 0x" << h->mcause << " mtvec 0x" << h->mtvec
		  << " scause 0x" << h->scause << " stvec 0x" << h->stvec << " satp 0x" << h->satp
		  << " wfi " << h->wfi << " hsm " << h->hsm << "; ";
	}
	return s.str();
}

struct Failures {
	std::vector<std::string> list;
	void add(const std::string &what, uint64_t seed, const std::string &why)
	{
		std::ostringstream s;
		s << what << " seed " << seed << ": " << why;
		list.push_back(s.str());
	}
	std::string report() const
	{
		std::ostringstream s;
		for (size_t i = 0; i < list.size() && i < 25; i++)
			s << "  " << list[i] << "\n";
		if (list.size() > 25)
			s << "  ... and " << list.size() - 25 << " more\n";
		return s.str();
	}
};

/* One random-code case; returns the digest (0 if it hung). */
uint64_t run_random_code(uint64_t seed, enum hv_boot boot, unsigned priv, Failures &f,
			 const char *what, bool safe = false)
{
	Rng r(seed);
	unsigned nharts = 1 + (unsigned)r.below(2);
	struct machine *m = new_machine(nharts, boot, 50 + r.below(3000));
	if (!m)
		return 0;
	write_code(m, r, kRam, 4096);
	for (unsigned i = 0; i < 4; i++) {
		uint64_t pa = kRam + 0x2000 + r.below(kRamSize - 0x3000);
		write_code(m, r, pa & ~0xfffull, 4096);
	}
	const uint32_t handler[] = {
		i_type(0x73, 31, 2, 0, 0x341), /* csrrs x31, mepc, x0 */
		i_type(0x13, 31, 0, 31, 4),    /* addi x31, x31, 4 */
		i_type(0x73, 0, 1, 31, 0x341), /* csrrw x0, mepc, x31 */
		0x30200073,                    /* mret */
	};
	machine_write_phys(m, kSafeHandler, handler, sizeof(handler));
	const uint32_t shandler[] = {
		i_type(0x73, 31, 2, 0, 0x141), /* csrrs x31, sepc, x0 */
		i_type(0x13, 31, 0, 31, 4),    /* addi x31, x31, 4 */
		i_type(0x73, 0, 1, 31, 0x141), /* csrrw x0, sepc, x31 */
		0x10200073,                    /* sret */
	};
	machine_write_phys(m, kSafeSHandler, shandler, sizeof(shandler));
	write_tables(m, r);
	for (unsigned i = 0; i < nharts; i++)
		randomize_hart(m->hart[i], r, priv, safe);
	enum hv_stop stop = STOP_NONE;
	if (!run_bounded(m, &stop)) {
		f.add(what, seed, "machine_run did not return (hang); " + describe_harts(m));
		return 0; /* leaked: abandoned mid-update */
	}
	std::string why = check_sane(m);
	if (!why.empty())
		f.add(what, seed, why);
	if (getenv("FUZZ_VERBOSE"))
		fprintf(stderr, "%s seed %llu: stop %d after %llu instructions\n", what,
			(unsigned long long)seed, (int)stop, (unsigned long long)m->total_insns);
	uint64_t d = machine_digest(m);
	machine_destroy(m);
	return d;
}

/* The hangs counted in f (a test stops after kMaxHangs of them). */
size_t hangs(const Failures &f)
{
	size_t n = 0;
	for (const std::string &s : f.list)
		n += s.find("(hang)") != std::string::npos;
	return n;
}

void run_modes(bool safe, unsigned n, Failures &f)
{
	for (uint64_t seed = 1; seed <= n && hangs(f) < kMaxHangs; seed++) {
		run_random_code(seed, BOOT_BARE, PRIV_M, f, "M-mode", safe);
		run_random_code(seed, BOOT_BARE, PRIV_S, f, "S-mode", safe);
		run_random_code(seed, BOOT_BARE, PRIV_U, f, "U-mode", safe);
	}
}

/* Anything goes, including trap vectors whose first instruction faults
 * again: the host must still get control back (the instruction limit and
 * the scheduler bound every run). */
TEST(Robust, RandomCodeInEveryPrivilegeModeEndsSanely)
{
	Failures f;
	run_modes(false, 200 * scale(), f);
	EXPECT_TRUE(f.list.empty()) << f.list.size() << " failing cases:\n" << f.report();
}

/* The same with every exception handled by a well-behaved M-mode handler,
 * so that everything but trap loops gets exercised. */
TEST(Robust, RandomCodeWithWellBehavedTrapHandlersEndsSanely)
{
	Failures f;
	run_modes(true, 200 * scale(), f);
	EXPECT_TRUE(f.list.empty()) << f.list.size() << " failing cases:\n" << f.report();
}

void run_pv(bool safe, unsigned n, Failures &f)
{
	for (uint64_t seed = 1; seed <= n && hangs(f) < kMaxHangs; seed++) {
		run_random_code(seed + 100000, BOOT_PV, PRIV_S, f, "PV S-mode", safe);
		run_random_code(seed + 200000, BOOT_PV, PRIV_U, f, "PV U-mode", safe);
	}
}

TEST(Robust, RandomCodeUnderParavirtualBootEndsSanely)
{
	Failures f;
	run_pv(false, 100 * scale(), f);
	EXPECT_TRUE(f.list.empty()) << f.list.size() << " failing cases:\n" << f.report();
}

/* Paravirtual boot with a well-behaved S-mode handler: random SBI calls. */
TEST(Robust, RandomCodeUnderParavirtualBootWithWellBehavedHandlerEndsSanely)
{
	Failures f;
	run_pv(true, 100 * scale(), f);
	EXPECT_TRUE(f.list.empty()) << f.list.size() << " failing cases:\n" << f.report();
}

TEST(Robust, SameSeedGivesTheSameDigest)
{
	Failures f;
	for (uint64_t seed = 1; seed <= 20; seed++) {
		for (unsigned priv : { (unsigned)PRIV_M, (unsigned)PRIV_S }) {
			uint64_t a = run_random_code(seed, BOOT_BARE, priv, f, "determinism", true);
			uint64_t b = run_random_code(seed, BOOT_BARE, priv, f, "determinism", true);
			if (a && b && a != b)
				f.add("determinism", seed, "two runs gave different digests");
		}
	}
	EXPECT_TRUE(f.list.empty()) << f.report();
}

/* ---- MMIO from the guest ---- */

/* Records syscon writes that are allowed to stop the machine. */
struct SysconSpy {
	const struct hv_dev_ops *ops = nullptr;
	void *opaque = nullptr;
	bool poweroff_written = false;
};
SysconSpy g_spy;

uint64_t spy_read(void *opaque, uint64_t off, unsigned size)
{
	(void)opaque;
	return g_spy.ops->read(g_spy.opaque, off, size);
}

void spy_write(void *opaque, uint64_t off, unsigned size, uint64_t val)
{
	(void)opaque;
	unsigned low = (unsigned)(val & 0xffff);
	if (off == 0 && (size == 2 || size == 4) &&
	    (low == 0x5555 || low == 0x3333 || low == 0x7777))
		g_spy.poweroff_written = true;
	g_spy.ops->write(g_spy.opaque, off, size, val);
}

const struct hv_dev_ops kSpyOps = { spy_read, spy_write, nullptr, nullptr, nullptr };

void install_spy(struct machine *m)
{
	for (unsigned i = 0; i < m->ndev; i++) {
		if (strcmp(m->dev[i]->name, "syscon") == 0) {
			g_spy.ops = m->dev[i]->ops;
			g_spy.opaque = m->dev[i]->opaque;
			g_spy.poweroff_written = false;
			m->dev[i]->ops = &kSpyOps;
			return;
		}
	}
	ADD_FAILURE() << "no syscon on the bus";
}

/*
 * M-mode program: 1024 random loads and stores (rs1 in x1..x14 pointing
 * into device windows, rd in x16..x20, rs2 in x21..x26), a few stores to
 * the syscon register itself (x15), WFIs if wfi is set, and a jump back.
 * The trap handler skips a faulting instruction; on an interrupt it
 * re-arms the timer 50 ticks ahead and clears this hart's msip. It keeps
 * MPP = M. Registers x27..x31 belong to the handler.
 */
void write_mmio_program(struct machine *m, Rng &r, bool wfi)
{
	std::vector<uint32_t> code;
	for (unsigned i = 0; i < 1024; i++) {
		unsigned size_log = (unsigned)r.below(4);
		int32_t imm = (int32_t)r.below(4096) - 2048;
		if (r.chance(90))
			imm &= ~((1 << size_log) - 1);
		uint32_t base = 1 + (uint32_t)r.below(14);
		if (wfi && r.chance(2)) {
			code.push_back(0x10500073); /* wfi */
			continue;
		}
		if (r.chance(3)) {
			/* x15 holds the syscon's address: sh or sw there. */
			code.push_back(
				s_type(1 + (uint32_t)r.below(2), 15, 21 + (uint32_t)r.below(6), 0));
			continue;
		}
		if (r.chance(50)) {
			uint32_t f3 = (uint32_t)r.below(7); /* lb lh lw ld lbu lhu lwu */
			code.push_back(i_type(0x03, 16 + (uint32_t)r.below(5), f3, base, imm));
		} else {
			code.push_back(s_type(size_log, base, 21 + (uint32_t)r.below(6), imm));
		}
	}
	code.push_back(jal_back(-4 * 1024));
	machine_write_phys(m, kRam, code.data(), code.size() * 4);
	const uint32_t handler[] = {
		i_type(0x73, 28, 2, 0, 0x342), /* csrrs x28, mcause, x0 */
		0x000e4c63,                    /* blt x28, x0, +24 */
		i_type(0x73, 28, 2, 0, 0x341), /* csrrs x28, mepc, x0 */
		i_type(0x13, 28, 0, 28, 4),    /* addi x28, x28, 4 */
		i_type(0x73, 0, 1, 28, 0x341), /* csrrw x0, mepc, x28 */
		i_type(0x73, 0, 2, 31, 0x300), /* csrrs x0, mstatus, x31 */
		0x30200073,                    /* mret */
		i_type(0x73, 30, 2, 0, 0xc01), /* csrrs x30, time, x0 */
		i_type(0x13, 30, 0, 30, 50),   /* addi x30, x30, 50 */
		s_type(3, 29, 30, 0),          /* sd x30, 0(x29): mtimecmp */
		s_type(2, 27, 0, 0),           /* sw x0, 0(x27): msip */
		i_type(0x73, 0, 2, 31, 0x300), /* csrrs x0, mstatus, x31 */
		0x30200073,                    /* mret */
	};
	machine_write_phys(m, kRam + 0x3000, handler, sizeof(handler));
}

TEST(Robust, RandomMmioStopsTheMachineOnlyThroughSyscon)
{
	Failures f;
	const unsigned n = 100 * scale();
	unsigned stopped = 0;
	for (uint64_t seed = 1; seed <= n; seed++) {
		Rng r(seed + 300000);
		struct machine *m = new_machine(1, BOOT_BARE, 1000);
		if (!m)
			return;
		install_spy(m);
		const bool wfi = r.chance(50);
		write_mmio_program(m, r, wfi);
		struct hart *h = m->hart[0];
		for (unsigned i = 1; i <= 14; i++) {
			const Window &w = kWindows[r.below(HV_ARRAY_LEN(kWindows))];
			h->x[i] = w.base + (r.below(w.size) & ~7ull);
		}
		h->x[15] = HV_SYSCON_BASE;
		for (unsigned i = 21; i <= 26; i++)
			h->x[i] = random_value(r);
		if (r.chance(15)) {
			static const uint64_t magic[] = { 0x5555, 0x7777, 0x3333,
							  0x42 << 16 | 0x3333 };
			h->x[21 + r.below(6)] = magic[r.below(4)];
		}
		h->x[27] = HV_CLINT_BASE;
		h->x[29] = HV_CLINT_BASE + 0x4000;
		h->x[31] = MSTATUS_MPP;
		h->pc = kRam;
		h->mtvec = kRam + 0x3000;
		h->mstatus |= MSTATUS_MPP;
		if (wfi || r.chance(50)) {
			h->mie = 0xaaa;
			h->mstatus |= MSTATUS_MIE;
			h->mtimecmp = 100;
			hart_timer_update(h);
		}
		enum hv_stop stop = STOP_NONE;
		if (!run_bounded(m, &stop)) {
			f.add("mmio", seed,
			      "machine_run did not return (hang); " + describe_harts(m));
			continue;
		}
		bool stop_by_guest = stop == STOP_SHUTDOWN || stop == STOP_REBOOT;
		if (stop_by_guest != g_spy.poweroff_written)
			f.add("mmio", seed,
			      std::string("stop ") + std::to_string(stop) +
				      (g_spy.poweroff_written ? " after" : " without") +
				      " a syscon poweroff write");
		stopped += stop_by_guest;
		if (getenv("FUZZ_VERBOSE"))
			fprintf(stderr, "mmio seed %llu: stop %d after %llu instructions\n",
				(unsigned long long)seed, (int)stop,
				(unsigned long long)m->total_insns);
		std::string why = check_sane(m);
		if (!why.empty())
			f.add("mmio", seed, why);
		machine_destroy(m);
	}
	EXPECT_TRUE(f.list.empty()) << f.report();
	/* The cases must actually reach the devices: some stop by syscon. */
	EXPECT_GT(stopped, 0u);
	EXPECT_LT(stopped, n);
}

TEST(Robust, BusReadsFitTheAccessSizeAtAnyOffset)
{
	Failures f;
	struct machine *m = new_machine(2, BOOT_BARE, 0);
	ASSERT_NE(m, nullptr);
	m->cur = m->hart[0];
	Rng r(424242);
	for (const Window &w : kWindows) {
		for (unsigned i = 0; i < 3000 * scale(); i++) {
			uint64_t pa = w.base + r.below(w.size + 64) - 32;
			unsigned size = 1u << r.below(4);
			uint64_t v = 0x5a5a5a5a5a5a5a5aull;
			if (r.chance(50)) {
				uint64_t val = r.next();
				if (pa == HV_SYSCON_BASE)
					val = 0; /* not a poweroff value */
				bus_write(m, pa, size, val);
			} else if (bus_read(m, pa, size, &v) && size < 8 && (v >> (8 * size))) {
				std::ostringstream s;
				s << "read of " << size << " bytes at 0x" << std::hex << pa
				  << " returned 0x" << v;
				f.add("bus", 424242, s.str());
			}
			if (m->stop != STOP_NONE) {
				f.add("bus", 424242, "a non-syscon access stopped the machine");
				m->stop = STOP_NONE;
			}
		}
	}
	m->cur = nullptr;
	machine_destroy(m);
	EXPECT_TRUE(f.list.empty()) << f.report();
}

} // namespace
