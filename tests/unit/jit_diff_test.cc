// SPDX-License-Identifier: MIT
/*
 * The interpreter is the JIT's oracle (issue 14, item 6): random
 * instruction streams run on two machines, one interpreted and one
 * translated (hv/cpu/jit.c, every block translated on first entry), and
 * their whole state must be equal at every stop.
 *
 * A program is a seeded stream over every class of instruction: integer
 * ALU register and immediate forms with W forms and edge shift amounts,
 * LUI/AUIPC, M with division by zero and overflow, loads and stores of
 * every size (misaligned, crossing a page, into an unmapped hole), LR/SC
 * and AMOs, CSR reads and writes (counters, scratch, floating-point
 * status), F and D, branches and jumps (forward, bounded loops back, jalr
 * to odd addresses and into the middle of an instruction), ecall, ebreak
 * and illegal encodings, stores that rewrite later instructions of the
 * same or another block (with or without FENCE.I) and, in S and U mode
 * under Sv39, stores that change a PTE, SFENCE.VMA and satp writes.
 *
 * Every trap goes to an M-mode handler that writes the registers, mcause,
 * mepc, mtval, minstret and mstatus into a log in RAM and resumes after
 * the faulting instruction (at the link register after a fetch fault), so
 * the state at every trap is part of the RAM compared. Both machines run
 * the same sequence of exec_run limits, the JIT's stopping where the next
 * block does not fit (the block budget cut), and the registers, pc, count,
 * privilege, CSRs and a digest of all RAM are compared after each.
 */
#include <gtest/gtest.h>

#include <cinttypes>
#include <cstdlib>
#include <random>
#include <sstream>

#include "tests/unit/testutil.h"

extern "C" {
#include "hv/cpu/block.h"
#include "hv/cpu/jit.h"
}

using namespace tu;

namespace {

constexpr uint64_t kCode = kRam + 0x1000;
constexpr uint64_t kHandler = kRam + 0x8000;
constexpr uint64_t kData = kRam + 0x10000; /* two pages */
constexpr uint64_t kAlt = kRam + 0x12000;  /* two more frames for PTE changes */
constexpr uint64_t kConst = kRam + 0x14000;
constexpr uint64_t kLog = kRam + 0x20000;
constexpr uint64_t kPt = kRam + 0xc0000; /* root, L1, L0 */
constexpr uint64_t kHole = 0x40000000;   /* unmapped */
constexpr unsigned kLogSlot = 320;       /* x1-x31 at 8*i, then: */
constexpr int32_t kLogMcause = 256, kLogMepc = 264, kLogMtval = 272, kLogMinstret = 280,
		  kLogMstatus = 288;
constexpr unsigned kMaxInsns = 480; /* jalr reaches kCode + 2047 */

/* Registers the stream reads but never writes (the handler keeps them). */
constexpr uint32_t R_SCRATCH = 22; /* instruction words and PTEs on their way */
constexpr uint32_t R_LOOP = 23;    /* counts the backward branches down */
constexpr uint32_t R_L0 = 24;      /* the L0 page table */
constexpr uint32_t R_CONST = 25;   /* candidate PTE and satp values */
constexpr uint32_t R_DATA = 26;
constexpr uint32_t R_EDGE = 27; /* 8 bytes before the second data page */
constexpr uint32_t R_HOLE = 28;
constexpr uint32_t R_CODE = 29;

/* The engine a machine runs under, restored afterwards. */
class Engine {
public:
	Engine(enum exec_engine e, unsigned hot = 0) : saved_(jit_settings)
	{
		jit_settings.engine = e;
		jit_settings.hot = hot;
	}
	~Engine() { jit_settings = saved_; }

private:
	struct jit_settings saved_;
};

void run_with(TestVm &vm, enum exec_engine e, icount_t limit, unsigned hot = 0)
{
	Engine scope(e, hot);
	vm.run(limit);
}

uint64_t jit_blocks(TestVm &vm)
{
	struct jit_stats st;
	struct jit *j = *block_cache_jit(vm.m->blocks);
	if (!j)
		return 0;
	jit_get_stats(j, &st);
	return st.blocks;
}

/* A digest of the pages the streams use: code, data, the first traps'
 * log, the page tables. */
uint64_t used_ram_digest(TestVm &vm)
{
	uint64_t d = 0;
	auto pages = [&](uint64_t from, uint64_t to) {
		for (uint64_t p = (from - kRam) >> 12; p < (to - kRam) >> 12; p++)
			d = d * 31 + machine_page_hash(vm.m, p);
	};
	pages(kRam, kConst + 0x1000);
	pages(kLog, kLog + 0x8000);
	pages(kPt, kPt + 0x3000);
	return d;
}

/* The first difference between two harts' states, or "". all: compare
 * all RAM, not only the pages the streams use. */
std::string state_diff(TestVm &a, TestVm &b, bool all = true)
{
	const struct hart *x = a.h(), *y = b.h();
	std::ostringstream o;

	for (unsigned i = 0; i < 32; i++)
		if (x->x[i] != y->x[i])
			o << "x" << std::dec << i << " " << std::hex << x->x[i] << " != " << y->x[i]
			  << "\n";
	for (unsigned i = 0; i < 32; i++)
		if (x->f[i] != y->f[i])
			o << "f" << std::dec << i << " " << std::hex << x->f[i] << " != " << y->f[i]
			  << "\n";
#define FIELD(f)          \
	if (x->f != y->f) \
		o << #f << " " << std::hex << (uint64_t)x->f << " != " << (uint64_t)y->f << "\n";
	FIELD(pc)
	FIELD(icount)
	FIELD(priv)
	FIELD(fflags)
	FIELD(frm)
	FIELD(mstatus)
	FIELD(mcause)
	FIELD(mepc)
	FIELD(mtval)
	FIELD(mscratch)
	FIELD(scause)
	FIELD(sepc)
	FIELD(stval)
	FIELD(sscratch)
	FIELD(satp)
	FIELD(resv_valid)
#undef FIELD
	if (machine_hart_digest(x) != machine_hart_digest(y))
		o << "hart digest (other state)\n";
	if (used_ram_digest(a) != used_ram_digest(b) ||
	    (all && machine_digest(a.m) != machine_digest(b.m)))
		o << "RAM digest (the trap log holds the state at each trap)\n";
	return o.str();
}

/* ---- the stream ---- */

struct Gen {
	std::mt19937_64 rng;
	std::vector<uint32_t> w;
	bool paging, user;

	Gen(uint64_t seed, bool paging_, bool user_) : rng(seed), paging(paging_), user(user_) {}

	unsigned below(unsigned n) { return (unsigned)(rng() % n); }
	bool chance(unsigned pct) { return below(100) < pct; }
	uint32_t rd() { return chance(5) ? (chance(50) ? 0 : 31) : 1 + below(21); }
	uint32_t rs() { return below(32); }
	uint32_t fr() { return below(32); }
	int32_t imm12()
	{
		static const int32_t edge[] = { 0, 1, -1, 2047, -2048, 31, 32, 63, 64 };
		return chance(40) ? edge[below(9)] : (int32_t)below(4096) - 2048;
	}
	uint32_t rm()
	{
		static const uint32_t m[] = { 0, 1, 2, 3, 4, 7, 7, 7, 5 };
		return m[below(9)];
	}

	void alu_rr()
	{
		static const uint32_t t[][3] = {
			{ 0x33, 0, 0 }, { 0x33, 0, 0x20 }, { 0x33, 1, 0 },    { 0x33, 2, 0 },
			{ 0x33, 3, 0 }, { 0x33, 4, 0 },    { 0x33, 5, 0 },    { 0x33, 5, 0x20 },
			{ 0x33, 6, 0 }, { 0x33, 7, 0 },    { 0x33, 0, 1 },    { 0x33, 1, 1 },
			{ 0x33, 2, 1 }, { 0x33, 3, 1 },    { 0x33, 4, 1 },    { 0x33, 5, 1 },
			{ 0x33, 6, 1 }, { 0x33, 7, 1 },    { 0x3b, 0, 0 },    { 0x3b, 0, 0x20 },
			{ 0x3b, 1, 0 }, { 0x3b, 5, 0 },    { 0x3b, 5, 0x20 }, { 0x3b, 0, 1 },
			{ 0x3b, 4, 1 }, { 0x3b, 5, 1 },    { 0x3b, 6, 1 },    { 0x3b, 7, 1 },
		};
		const uint32_t *e = t[below(sizeof(t) / sizeof(t[0]))];
		w.push_back(r_type(e[0], rd(), e[1], rs(), rs(), e[2]));
	}

	void alu_imm()
	{
		static const uint32_t sh[] = { 0, 1, 31, 32, 63 };
		uint32_t s = chance(50) ? sh[below(5)] : below(64);
		switch (below(9)) {
		case 0: /* addi slti sltiu xori ori andi */
		case 1:
		case 2: {
			static const uint32_t f3[] = { 0, 2, 3, 4, 6, 7 };
			w.push_back(i_type(0x13, rd(), f3[below(6)], rs(), imm12()));
			break;
		}
		case 3:
			w.push_back(i_type(0x13, rd(), 1, rs(), (int32_t)s));
			break;
		case 4:
			w.push_back(i_type(0x13, rd(), 5, rs(),
					   (int32_t)(s | (chance(50) ? 0x400 : 0))));
			break;
		case 5:
			w.push_back(i_type(0x1b, rd(), 0, rs(), imm12()));
			break;
		case 6: /* slliw, and now and then a reserved shift amount */
			w.push_back(
				i_type(0x1b, rd(), 1, rs(), (int32_t)(chance(90) ? s & 31 : s)));
			break;
		default:
			w.push_back(i_type(0x1b, rd(), 5, rs(),
					   (int32_t)((chance(90) ? s & 31 : s) |
						     (chance(50) ? 0x400 : 0))));
		}
	}

	void upper()
	{
		static const uint32_t hi[] = { 0, 0x80000, 0xfffff, 0x7ffff, 1 };
		uint32_t v = chance(50) ? hi[below(5)] : below(1u << 20);
		w.push_back(chance(50) ? lui(rd(), v) : auipc(rd(), v));
	}

	void compressed_pair()
	{
		uint16_t c[2];
		for (uint16_t &x : c) {
			uint32_t r = 1 + below(21);
			switch (below(5)) {
			case 0:
				x = c_addi(r, (int32_t)below(64) - 32);
				break;
			case 1:
				x = c_li(r, (int32_t)below(64) - 32);
				break;
			case 2:
				x = c_mv(r, 1 + below(31));
				break;
			case 3:
				x = c_add(r, 1 + below(31));
				break;
			default:
				x = c_slli(r, 1 + below(63));
			}
		}
		w.push_back((uint32_t)c[0] | (uint32_t)c[1] << 16);
	}

	/* A base register and an offset for an access of size bytes. */
	void address(unsigned size, uint32_t *base, int32_t *off)
	{
		unsigned p = below(100);
		if (p < 70) {
			*base = R_DATA;
			*off = (int32_t)below(512);
			if (chance(85))
				*off &= ~(int32_t)(size - 1);
		} else if (p < 90) {
			*base = R_EDGE;
			*off = (int32_t)below(24) - 8;
		} else if (p < 95) {
			*base = R_HOLE;
			*off = (int32_t)below(64);
		} else {
			*base = R_CODE;
			*off = (int32_t)below(1024);
		}
	}

	void load()
	{
		static const uint32_t f3[] = { 0, 1, 2, 3, 4, 5, 6 };
		uint32_t k = f3[below(7)], base;
		int32_t off;
		address(1u << (k & 3), &base, &off);
		w.push_back(i_type(0x03, rd(), k, base, off));
	}

	void store()
	{
		uint32_t k = below(4), base;
		int32_t off;
		address(1u << k, &base, &off);
		if (base == R_CODE)
			base = R_DATA;
		w.push_back(s_type(0x23, k, base, rs(), off));
	}

	void atomic()
	{
		static const uint32_t f5[] = {
			0x01, 0x00, 0x04, 0x0c, 0x08, 0x10, 0x14, 0x18, 0x1c
		};
		uint32_t width = chance(50) ? 2 : 3;
		int32_t off = (int32_t)below(256) & ~(int32_t)(chance(90) ? (1 << width) - 1 : 0);
		uint32_t base = chance(90) ? R_DATA : R_HOLE;
		uint32_t aqrl = below(4);
		w.push_back(addi(21, base, off));
		if (chance(30)) {
			uint32_t a = rd();
			w.push_back(r_type(0x2f, a, width, 21, 0, 0x02 << 2 | aqrl));
			if (chance(30))
				alu_rr();
			if (chance(20))
				store();
			w.push_back(r_type(0x2f, rd(), width, chance(80) ? 21 : R_DATA, rs(),
					   0x03 << 2 | aqrl));
		} else {
			w.push_back(r_type(0x2f, rd(), width, 21, rs(), f5[below(9)] << 2 | aqrl));
		}
	}

	void csr()
	{
		static const uint32_t rd_csr[] = {
			CSR_MSCRATCH, CSR_SSCRATCH, CSR_MINSTRET, CSR_MCYCLE,  CSR_CYCLE,
			CSR_INSTRET,  CSR_FFLAGS,   CSR_FRM,      CSR_FCSR,    CSR_MSTATUS,
			CSR_MISA,     CSR_MHARTID,  CSR_MEPC,     CSR_MCAUSE,  CSR_MTVAL,
			CSR_SEPC,     CSR_SCAUSE,   CSR_SATP,     CSR_SSTATUS, CSR_HPMCOUNTER3,
			CSR_TIME,     CSR_MIP,
		};
		/* Never mscratch: it holds the handler's log pointer. */
		static const uint32_t wr_csr[] = {
			CSR_SSCRATCH, CSR_FFLAGS, CSR_FRM,   CSR_FCSR,
			CSR_MINSTRET, CSR_MCYCLE, CSR_STVAL, CSR_SEPC,
		};
		if (chance(40)) {
			w.push_back(csrrs(rd(), rd_csr[below(22)], 0));
			return;
		}
		uint32_t c = wr_csr[below(8)];
		switch (below(5)) {
		case 0:
			w.push_back(csrrw(rd(), c, rs()));
			break;
		case 1:
			w.push_back(csrrs(rd(), c, rs()));
			break;
		case 2:
			w.push_back(csrrc(rd(), c, rs()));
			break;
		case 3:
			w.push_back(csrrwi(rd(), c, below(32)));
			break;
		default:
			w.push_back(csrrsi(rd(), c, below(32)));
		}
	}

	void fp()
	{
		uint32_t d = below(2); /* fmt: 0 single, 1 double */
		switch (below(12)) {
		case 0:
		case 1:
		case 2: { /* add sub mul div */
			static const uint32_t f7[] = { 0x00, 0x04, 0x08, 0x0c };
			w.push_back(r_type(0x53, fr(), rm(), fr(), fr(), f7[below(4)] | d));
			break;
		}
		case 3: /* sqrt */
			w.push_back(r_type(0x53, fr(), rm(), fr(), 0, 0x2c | d));
			break;
		case 4: /* sgnj sgnjn sgnjx, min max */
			if (chance(50))
				w.push_back(r_type(0x53, fr(), below(3), fr(), fr(), 0x10 | d));
			else
				w.push_back(r_type(0x53, fr(), below(2), fr(), fr(), 0x14 | d));
			break;
		case 5: /* fcvt.{w,wu,l,lu}.{s,d} */
			w.push_back(r_type(0x53, rd(), rm(), fr(), below(4), 0x60 | d));
			break;
		case 6: /* fcvt.{s,d}.{w,wu,l,lu} */
			w.push_back(r_type(0x53, fr(), rm(), rs(), below(4), 0x68 | d));
			break;
		case 7: /* fcvt.s.d, fcvt.d.s */
			w.push_back(r_type(0x53, fr(), rm(), fr(), d ? 0 : 1, 0x20 | d));
			break;
		case 8: /* fmv.x, fclass, feq flt fle */
			if (chance(50))
				w.push_back(r_type(0x53, rd(), below(2), fr(), 0, 0x70 | d));
			else
				w.push_back(r_type(0x53, rd(), below(3), fr(), fr(), 0x50 | d));
			break;
		case 9: /* fmv.{w,d}.x */
			w.push_back(r_type(0x53, fr(), 0, rs(), 0, 0x78 | d));
			break;
		default: { /* fmadd fmsub fnmsub fnmadd */
			static const uint32_t opc[] = { 0x43, 0x47, 0x4b, 0x4f };
			w.push_back(opc[below(4)] | fr() << 7 | rm() << 12 | fr() << 15 |
				    fr() << 20 | d << 25 | fr() << 27);
		}
		}
	}

	void fp_mem()
	{
		uint32_t k = chance(50) ? 2 : 3, base;
		int32_t off;
		address(1u << k, &base, &off);
		if (chance(50))
			w.push_back(i_type(0x07, fr(), k, base, off));
		else
			w.push_back(s_type(0x27, k, base == R_CODE ? R_DATA : base, fr(), off));
	}

	void branch_forward()
	{
		uint32_t f3[] = { 0, 1, 4, 5, 6, 7 };
		w.push_back(b_type(f3[below(6)], rs(), rs(), 4 * (int32_t)(1 + below(4))));
	}

	/* A loop back: bounded by R_LOOP, which only counts down. */
	void branch_back()
	{
		int32_t k = 1 + (int32_t)below(12);
		w.push_back(addi(R_LOOP, R_LOOP, -1));
		if (k > (int32_t)w.size() - 1)
			k = (int32_t)w.size() - 1;
		w.push_back(blt(0, R_LOOP, -4 * k));
	}

	void jump()
	{
		static const uint32_t link[] = { 0, 1, 5 };
		uint32_t r = chance(70) ? link[below(3)] : rd();
		if (chance(50)) {
			w.push_back(jal(r, 4 * (int32_t)(1 + below(5))));
			return;
		}
		/* jalr from the code base, bit 0 cleared; +2 lands in the middle
		 * of a 32-bit instruction. */
		uint32_t t = (uint32_t)w.size() + 1 + below(20);
		if (t > kMaxInsns)
			t = kMaxInsns;
		uint32_t odd = chance(85) ? below(2) : 2 + below(2);
		w.push_back(jalr(r, R_CODE, (int32_t)(4 * t + odd)));
	}

	void trap()
	{
		static const uint32_t t[] = { ecall(),    ebreak(),   0x00000000, 0xffffffff,
					      0x0000007f, 0x8000200b, mret(),     sret() };
		uint32_t v = t[below(8)];
		/* mret and sret from M would leave the stream's mode. */
		if ((v == mret() || v == sret()) && !paging)
			v = ecall();
		w.push_back(v);
	}

	/* A store of an instruction word over a later instruction (this block
	 * or another), or an earlier one a loop may run again. */
	void smc()
	{
		uint32_t v;
		switch (below(4)) {
		case 0:
			v = addi(1 + below(21), rs(), imm12());
			break;
		case 1:
			v = ecall();
			break;
		case 2:
			v = xor_(1 + below(21), rs(), rs());
			break;
		default:
			v = jal(0, 8);
		}
		int32_t lo = (int32_t)(v << 20) >> 20;
		uint32_t hi = (v - (uint32_t)lo) >> 12;
		w.push_back(lui(R_SCRATCH, hi & 0xfffff));
		w.push_back(addiw(R_SCRATCH, R_SCRATCH, lo));
		uint32_t t = chance(80) ? (uint32_t)w.size() + 1 + below(16) :
					  below((uint32_t)w.size());
		if (t > kMaxInsns)
			t = kMaxInsns;
		w.push_back(sw(R_SCRATCH, R_CODE, (int32_t)(4 * t)));
		if (chance(60))
			w.push_back(fence_i());
	}

	void pte_change()
	{
		w.push_back(ld(R_SCRATCH, R_CONST, 8 * (int32_t)below(8)));
		w.push_back(sd(R_SCRATCH, R_L0, 8 * (int32_t)(0x10 + below(2))));
		if (chance(70))
			w.push_back(sfence_vma(chance(50) ? 0 : R_DATA, 0));
	}

	void satp_write()
	{
		w.push_back(ld(R_SCRATCH, R_CONST, chance(70) ? 64 : 72));
		w.push_back(csrrw(0, CSR_SATP, R_SCRATCH));
	}

	std::vector<uint32_t> program(unsigned n)
	{
		static const unsigned weight[] = { 20, 20, 4, 3, 10, 10, 5, 5, 10,
						   3,  5,  2, 4, 2,  3,  3, 1 };
		unsigned total = 0;
		for (unsigned x : weight)
			total += x;
		while (w.size() < n) {
			unsigned p = below(total), k = 0;
			while (p >= weight[k])
				p -= weight[k++];
			switch (k) {
			case 0:
				alu_rr();
				break;
			case 1:
				alu_imm();
				break;
			case 2:
				upper();
				break;
			case 3:
				compressed_pair();
				break;
			case 4:
				load();
				break;
			case 5:
				store();
				break;
			case 6:
				atomic();
				break;
			case 7:
				csr();
				break;
			case 8:
				fp();
				break;
			case 9:
				fp_mem();
				break;
			case 10:
				branch_forward();
				break;
			case 11:
				branch_back();
				break;
			case 12:
				jump();
				break;
			case 13:
				trap();
				break;
			case 14:
				smc();
				break;
			case 15:
				if (paging)
					pte_change();
				break;
			default:
				if (paging)
					satp_write();
				break;
			}
		}
		while (w.size() < kMaxInsns)
			w.push_back(addi(1, 1, 1));
		w.push_back(spin());
		return w;
	}
};

/* The M-mode trap handler: logs x1-x31, mcause, mepc, mtval, minstret and
 * mstatus in the next kLogSlot bytes at mscratch, and resumes at mepc + 4,
 * or at the saved x1 after a fetch fault (a jump's link); after a timer
 * interrupt it moves mtimecmp tick ticks on and resumes at mepc. */
std::vector<uint32_t> handler(int32_t tick)
{
	std::vector<uint32_t> v;
	v.push_back(csrrw(31, CSR_MSCRATCH, 31));
	for (uint32_t r = 1; r <= 30; r++)
		v.push_back(sd(r, 31, 8 * (int32_t)r));
	v.push_back(csrrs(1, CSR_MSCRATCH, 0));
	v.push_back(sd(1, 31, 8 * 31));
	v.push_back(csrrs(1, CSR_MCAUSE, 0));
	v.push_back(sd(1, 31, kLogMcause));
	v.push_back(csrrs(2, CSR_MEPC, 0));
	v.push_back(sd(2, 31, kLogMepc));
	v.push_back(csrrs(3, CSR_MTVAL, 0));
	v.push_back(sd(3, 31, kLogMtval));
	v.push_back(csrrs(3, CSR_MINSTRET, 0));
	v.push_back(sd(3, 31, kLogMinstret));
	v.push_back(csrrs(3, CSR_MSTATUS, 0));
	v.push_back(sd(3, 31, kLogMstatus));
	v.push_back(blt(1, 0, 9 * 4)); /* an interrupt */
	v.push_back(addi(2, 2, 4));
	v.push_back(addi(1, 1, -(int32_t)CAUSE_FETCH_ACCESS));
	v.push_back(beq(1, 0, 12));
	v.push_back(addi(1, 1, (int32_t)CAUSE_FETCH_ACCESS - (int32_t)CAUSE_FETCH_PAGE_FAULT));
	v.push_back(bne(1, 0, 8));
	v.push_back(ld(2, 31, 8));
	v.push_back(csrrw(0, CSR_MEPC, 2));
	v.push_back(jal(0, 5 * 4));
	v.push_back(lui(3, (uint32_t)((HV_CLINT_BASE + 0x4000) >> 12))); /* mtimecmp */
	v.push_back(ld(1, 3, 0));
	v.push_back(addi(1, 1, tick));
	v.push_back(sd(1, 3, 0));
	v.push_back(ld(1, 31, 8));
	v.push_back(ld(2, 31, 16));
	v.push_back(ld(3, 31, 24));
	v.push_back(addi(31, 31, (int32_t)kLogSlot));
	v.push_back(csrrw(31, CSR_MSCRATCH, 31));
	v.push_back(mret());
	return v;
}

enum class Mode { M, S, U };

/* Load the program of seed into vm: RAM, registers and, in S and U mode,
 * an identity Sv39 map of the first 2 MiB of RAM. */
void load(TestVm &vm, uint64_t seed, Mode mode, unsigned n)
{
	struct hart *h = vm.h();
	bool paging = mode != Mode::M;
	uint64_t u = mode == Mode::U ? (uint64_t)PTE_U : 0;
	Gen g(seed, paging, mode == Mode::U);
	std::mt19937_64 &r = g.rng;

	vm.put(kCode, g.program(n));
	int32_t tick = 6 + (int32_t)g.below(40); /* ticks of HV_INSNS_PER_TICK */
	vm.put(kHandler, handler(tick));
	for (uint64_t a = kData; a < kConst; a += 8)
		vm.put64(a, r());

	static const uint64_t edge[] = {
		0,
		1,
		~0ull,
		1ull << 63,
		(1ull << 63) - 1,
		0x80000000ull,
		0x7fffffffull,
		0xffffffffull,
		0xffffffff80000000ull,
	};
	for (unsigned i = 1; i < 32; i++)
		h->x[i] = g.chance(50) ? edge[g.below(9)] : r();
	static const uint64_t fedge[] = {
		0x7ff8000000000000ull, /* the canonical NaN */
		0x7ff0000000000001ull, /* a signalling NaN */
		0x7ff0000000000000ull, /* +inf */
		0x8000000000000000ull, /* -0 */
		0x0000000000000001ull, /* a subnormal */
		0x3ff0000000000000ull, /* 1.0 */
		0xffffffff7fc00000ull, /* boxed single NaN */
		0xffffffff3f800000ull, /* boxed 1.0f */
		0xffffffff00000001ull, /* boxed single subnormal */
		0x000000003f800000ull, /* an unboxed single: reads as NaN */
		0x43e0000000000000ull, /* 2^63 */
	};
	for (unsigned i = 0; i < 32; i++)
		h->f[i] = g.chance(60) ? fedge[g.below(11)] : r();
	h->x[R_LOOP] = 40;
	h->x[R_L0] = kPt + 0x2000;
	h->x[R_CONST] = kConst;
	h->x[R_DATA] = kData;
	h->x[R_EDGE] = kData + 0x1000 - 8;
	h->x[R_HOLE] = kHole;
	h->x[R_CODE] = kCode;
	h->mtvec = kHandler;
	h->mscratch = kLog;
	h->mstatus |= g.chance(90) ? 1ull << MSTATUS_FS_SHIFT : 0;
	h->frm = g.below(8);
	h->mcounteren = g.chance(70) ? 7 : 0;
	h->scounteren = g.chance(70) ? 7 : 0;
	h->pc = kCode;
	if (g.chance(50)) {
		/* Timer interrupts (taken in S and U mode whatever mstatus.MIE). */
		h->mie = MIP_MTIP;
		h->mstatus |= MSTATUS_MIE;
		h->mtimecmp = (uint64_t)tick;
		hart_timer_update(h);
	}

	const uint64_t rwx = PTE_V | PTE_R | PTE_W | PTE_X | PTE_A | PTE_D | u;
	const uint64_t cand[10] = {
		pte(kData, rwx),
		pte(kData + 0x1000, rwx),
		pte(kAlt, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D | u),
		pte(kAlt + 0x1000, PTE_V | PTE_R | PTE_A | u), /* read-only */
		0,                                             /* invalid */
		pte(kData, PTE_V | PTE_R | PTE_W | u),         /* A and D clear */
		pte(kData, PTE_V | PTE_W | u),                 /* reserved: W without R */
		pte(kCode & ~0xfffull, rwx),                   /* an alias of the code */
		satp_sv39(kPt),
		0, /* bare */
	};
	for (unsigned i = 0; i < 10; i++)
		vm.put64(kConst + 8 * i, cand[i]);
	if (!paging)
		return;
	vm.put64(kPt + 8 * ((kRam >> 30) & 511), pte(kPt + 0x1000, PTE_V));
	vm.put64(kPt + 0x1000 + 8 * ((kRam >> 21) & 511), pte(kPt + 0x2000, PTE_V));
	for (uint64_t i = 0; i < 512; i++)
		vm.put64(kPt + 0x2000 + 8 * i, pte(kRam + (i << 12), rwx));
	h->satp = satp_sv39(kPt);
	h->priv = mode == Mode::U ? PRIV_U : PRIV_S;
}

/* Run seed's program on both engines to total instructions, stopping both
 * at the same random limits and comparing there. Returns "" or where
 * they first differ. */
std::string run_pair(uint64_t seed, Mode mode, icount_t total, unsigned *blocks, unsigned *traps,
		     unsigned *irqs)
{
	TestVm interp(1, BOOT_BARE, 0, 0, kMiB), jit(1, BOOT_BARE, 0, 0, kMiB);
	if (!interp.m || !jit.m)
		return "machine_create failed: " + interp.error + jit.error;
	load(interp, seed, mode, 300);
	load(jit, seed, mode, 300);
	std::mt19937_64 r(seed ^ 0x5eed);
	icount_t at = 0;
	while (at < total) {
		at += 1 + r() % (r() % 4 ? 80 : 8);
		if (at > total)
			at = total;
		run_with(interp, ENGINE_INTERP, at);
		run_with(jit, ENGINE_JIT, at);
		std::string d = state_diff(interp, jit, at == total);
		if (!d.empty()) {
			std::ostringstream o;
			o << "seed " << seed << " differs at limit " << at << ":\n" << d;
			return o.str();
		}
		if (interp.h()->icount < at)
			break; /* stalled (both: compared above) */
	}
	*blocks = (unsigned)jit_blocks(jit);
	/* The run may end inside the handler, with x31 in mscratch: count
	 * the log's slots. */
	for (*traps = 0; jit.get64(kLog + *traps * kLogSlot + kLogMepc); ++*traps)
		*irqs += jit.get64(kLog + *traps * kLogSlot + kLogMcause) >> 63;
	return "";
}

/* count seeds from first, times JIT_DIFF_SCALE from the environment if
 * set (a longer search by hand: JIT_DIFF_SCALE=100). */
void run_seeds(Mode mode, uint64_t first, unsigned count)
{
	unsigned translated = 0, traps = 0, irqs = 0;
	const char *scale = std::getenv("JIT_DIFF_SCALE");
	if (scale && std::atoi(scale) > 0)
		count *= (unsigned)std::atoi(scale);
	for (uint64_t seed = first; seed < first + count; seed++) {
		unsigned blocks = 0, n = 0;
		std::string d = run_pair(seed, mode, 3000, &blocks, &n, &irqs);
		ASSERT_EQ(d, "");
		translated += blocks;
		traps += n;
	}
	if (jit_supported()) {
		EXPECT_GT(translated, 20u * count) << "the JIT translated too few blocks";
	}
	EXPECT_GT(traps, 3u * count) << "too few traps to test them";
	EXPECT_GT(irqs, count) << "too few interrupts to test them";
	std::printf("%u seeds: %u blocks translated, %u traps (%u interrupts)\n", count, translated,
		    traps, irqs);
}

TEST(JitDiff, RandomStreamsInMachineMode)
{
	run_seeds(Mode::M, 1, 200);
}

TEST(JitDiff, RandomStreamsInSupervisorModeWithPageTableChanges)
{
	run_seeds(Mode::S, 1000, 150);
}

TEST(JitDiff, RandomStreamsInUserMode)
{
	run_seeds(Mode::U, 2000, 100);
}

/* Each limit L from the start in one exec_run: the JIT's chain stops where
 * the next block does not fit and the interpreter runs the cut block. */
TEST(JitDiff, StopsAtEveryLimit)
{
	for (uint64_t seed : { 7, 8, 1007 }) {
		Mode mode = seed > 1000 ? Mode::S : Mode::M;
		for (icount_t limit = 1; limit <= 400; limit++) {
			TestVm interp(1, BOOT_BARE, 0, 0, kMiB), jit(1, BOOT_BARE, 0, 0, kMiB);
			load(interp, seed, mode, 300);
			load(jit, seed, mode, 300);
			run_with(interp, ENGINE_INTERP, limit);
			run_with(jit, ENGINE_JIT, limit);
			ASSERT_EQ(jit.h()->icount, limit) << "seed " << seed;
			ASSERT_EQ(state_diff(interp, jit), "")
				<< "seed " << seed << " limit " << limit;
			if (limit == 400 && jit_supported()) {
				EXPECT_GT(jit_blocks(jit), 10u);
			}
		}
	}
}

/* Blocks translated only once hot: a mix of interpreted and translated
 * entries of the same blocks. */
TEST(JitDiff, HotThresholdMixesEngines)
{
	for (uint64_t seed = 500; seed < 530; seed++) {
		TestVm interp(1, BOOT_BARE, 0, 0, kMiB), jit(1, BOOT_BARE, 0, 0, kMiB);
		load(interp, seed, Mode::M, 300);
		load(jit, seed, Mode::M, 300);
		run_with(interp, ENGINE_INTERP, 5000);
		run_with(jit, ENGINE_JIT, 5000, 2);
		ASSERT_EQ(state_diff(interp, jit), "") << "seed " << seed;
	}
}

} // namespace
