/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the engine unit tests (exec, mmu, csr, hart, block,
 * machine) and the robustness test: instruction encoders and a small
 * owner of a real machine.
 *
 * The encoders build RV64GC instruction words from their fields as the
 * unprivileged spec's base-format figures lay them out (unpriv/rv32.adoc,
 * "Base Instruction Formats" and "Immediate Encoding Variants"; RVC in
 * unpriv/c-st-ext.adoc), so tests need no assembler and stay hermetic.
 * They do not check ranges: a test that passes an immediate that does not
 * fit gets a wrong instruction, which the test itself will notice.
 *
 * TestVm creates a machine through machine_create (so RAM, devices and the
 * block cache are the production ones), puts code into RAM, and runs one
 * hart with exec_run the way machine_run does (m->cur set while it runs,
 * so a self-modifying store can end the running block).
 */
#ifndef TESTS_UNIT_TESTUTIL_H
#define TESTS_UNIT_TESTUTIL_H

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

extern "C" {
#include "hv/cpu/exec.h"
#include "hv/cpu/hart.h"
#include "hv/platform/machine.h"
}

namespace tu {

/* ---- base formats ---- */
constexpr uint32_t r_type(uint32_t opc, uint32_t rd, uint32_t f3, uint32_t rs1, uint32_t rs2,
			  uint32_t f7)
{
	return opc | rd << 7 | f3 << 12 | rs1 << 15 | rs2 << 20 | f7 << 25;
}
constexpr uint32_t i_type(uint32_t opc, uint32_t rd, uint32_t f3, uint32_t rs1, int32_t imm)
{
	return opc | rd << 7 | f3 << 12 | rs1 << 15 | ((uint32_t)imm & 0xfff) << 20;
}
constexpr uint32_t s_type(uint32_t opc, uint32_t f3, uint32_t rs1, uint32_t rs2, int32_t imm)
{
	return opc | ((uint32_t)imm & 0x1f) << 7 | f3 << 12 | rs1 << 15 | rs2 << 20 |
	       (((uint32_t)imm >> 5) & 0x7f) << 25;
}
constexpr uint32_t b_type(uint32_t f3, uint32_t rs1, uint32_t rs2, int32_t imm)
{
	uint32_t u = (uint32_t)imm;
	return 0x63 | ((u >> 11) & 1) << 7 | ((u >> 1) & 0xf) << 8 | f3 << 12 | rs1 << 15 |
	       rs2 << 20 | ((u >> 5) & 0x3f) << 25 | ((u >> 12) & 1) << 31;
}
constexpr uint32_t j_type(uint32_t rd, int32_t imm)
{
	uint32_t u = (uint32_t)imm;
	return 0x6f | rd << 7 | ((u >> 12) & 0xff) << 12 | ((u >> 11) & 1) << 20 |
	       ((u >> 1) & 0x3ff) << 21 | ((u >> 20) & 1) << 31;
}

/* ---- RV64I ---- */
constexpr uint32_t lui(uint32_t rd, uint32_t imm20)
{
	return 0x37 | rd << 7 | imm20 << 12;
}
constexpr uint32_t auipc(uint32_t rd, uint32_t imm20)
{
	return 0x17 | rd << 7 | imm20 << 12;
}
constexpr uint32_t jal(uint32_t rd, int32_t off)
{
	return j_type(rd, off);
}
constexpr uint32_t jalr(uint32_t rd, uint32_t rs1, int32_t imm)
{
	return i_type(0x67, rd, 0, rs1, imm);
}
constexpr uint32_t beq(uint32_t a, uint32_t b, int32_t off)
{
	return b_type(0, a, b, off);
}
constexpr uint32_t bne(uint32_t a, uint32_t b, int32_t off)
{
	return b_type(1, a, b, off);
}
constexpr uint32_t blt(uint32_t a, uint32_t b, int32_t off)
{
	return b_type(4, a, b, off);
}
constexpr uint32_t lb(uint32_t rd, uint32_t rs1, int32_t imm)
{
	return i_type(0x03, rd, 0, rs1, imm);
}
constexpr uint32_t lh(uint32_t rd, uint32_t rs1, int32_t imm)
{
	return i_type(0x03, rd, 1, rs1, imm);
}
constexpr uint32_t lw(uint32_t rd, uint32_t rs1, int32_t imm)
{
	return i_type(0x03, rd, 2, rs1, imm);
}
constexpr uint32_t ld(uint32_t rd, uint32_t rs1, int32_t imm)
{
	return i_type(0x03, rd, 3, rs1, imm);
}
constexpr uint32_t lbu(uint32_t rd, uint32_t rs1, int32_t imm)
{
	return i_type(0x03, rd, 4, rs1, imm);
}
constexpr uint32_t lwu(uint32_t rd, uint32_t rs1, int32_t imm)
{
	return i_type(0x03, rd, 6, rs1, imm);
}
constexpr uint32_t sb(uint32_t rs2, uint32_t rs1, int32_t imm)
{
	return s_type(0x23, 0, rs1, rs2, imm);
}
constexpr uint32_t sh(uint32_t rs2, uint32_t rs1, int32_t imm)
{
	return s_type(0x23, 1, rs1, rs2, imm);
}
constexpr uint32_t sw(uint32_t rs2, uint32_t rs1, int32_t imm)
{
	return s_type(0x23, 2, rs1, rs2, imm);
}
constexpr uint32_t sd(uint32_t rs2, uint32_t rs1, int32_t imm)
{
	return s_type(0x23, 3, rs1, rs2, imm);
}
constexpr uint32_t addi(uint32_t rd, uint32_t rs1, int32_t imm)
{
	return i_type(0x13, rd, 0, rs1, imm);
}
constexpr uint32_t andi(uint32_t rd, uint32_t rs1, int32_t imm)
{
	return i_type(0x13, rd, 7, rs1, imm);
}
constexpr uint32_t ori(uint32_t rd, uint32_t rs1, int32_t imm)
{
	return i_type(0x13, rd, 6, rs1, imm);
}
constexpr uint32_t xori(uint32_t rd, uint32_t rs1, int32_t imm)
{
	return i_type(0x13, rd, 4, rs1, imm);
}
constexpr uint32_t slli(uint32_t rd, uint32_t rs1, uint32_t sh)
{
	return i_type(0x13, rd, 1, rs1, (int32_t)sh);
}
constexpr uint32_t srli(uint32_t rd, uint32_t rs1, uint32_t sh)
{
	return i_type(0x13, rd, 5, rs1, (int32_t)sh);
}
constexpr uint32_t add(uint32_t rd, uint32_t a, uint32_t b)
{
	return r_type(0x33, rd, 0, a, b, 0);
}
constexpr uint32_t sub(uint32_t rd, uint32_t a, uint32_t b)
{
	return r_type(0x33, rd, 0, a, b, 0x20);
}
constexpr uint32_t xor_(uint32_t rd, uint32_t a, uint32_t b)
{
	return r_type(0x33, rd, 4, a, b, 0);
}
constexpr uint32_t addiw(uint32_t rd, uint32_t rs1, int32_t imm)
{
	return i_type(0x1b, rd, 0, rs1, imm);
}
constexpr uint32_t slliw(uint32_t rd, uint32_t rs1, uint32_t sh)
{
	return r_type(0x1b, rd, 1, rs1, sh, 0);
}
constexpr uint32_t srliw(uint32_t rd, uint32_t rs1, uint32_t sh)
{
	return r_type(0x1b, rd, 5, rs1, sh, 0);
}
constexpr uint32_t sraiw(uint32_t rd, uint32_t rs1, uint32_t sh)
{
	return r_type(0x1b, rd, 5, rs1, sh, 0x20);
}
constexpr uint32_t addw(uint32_t rd, uint32_t a, uint32_t b)
{
	return r_type(0x3b, rd, 0, a, b, 0);
}
constexpr uint32_t subw(uint32_t rd, uint32_t a, uint32_t b)
{
	return r_type(0x3b, rd, 0, a, b, 0x20);
}
constexpr uint32_t sllw(uint32_t rd, uint32_t a, uint32_t b)
{
	return r_type(0x3b, rd, 1, a, b, 0);
}
constexpr uint32_t sraw(uint32_t rd, uint32_t a, uint32_t b)
{
	return r_type(0x3b, rd, 5, a, b, 0x20);
}
constexpr uint32_t fence()
{
	return 0x0ff0000f;
}
constexpr uint32_t fence_i()
{
	return 0x0000100f;
}
constexpr uint32_t ecall()
{
	return 0x00000073;
}
constexpr uint32_t ebreak()
{
	return 0x00100073;
}
constexpr uint32_t nop()
{
	return addi(0, 0, 0);
}
/* An infinite loop: jal x0, 0. */
constexpr uint32_t spin()
{
	return jal(0, 0);
}

/* ---- M ---- */
constexpr uint32_t mul(uint32_t rd, uint32_t a, uint32_t b)
{
	return r_type(0x33, rd, 0, a, b, 1);
}
constexpr uint32_t div(uint32_t rd, uint32_t a, uint32_t b)
{
	return r_type(0x33, rd, 4, a, b, 1);
}
constexpr uint32_t divu(uint32_t rd, uint32_t a, uint32_t b)
{
	return r_type(0x33, rd, 5, a, b, 1);
}
constexpr uint32_t rem(uint32_t rd, uint32_t a, uint32_t b)
{
	return r_type(0x33, rd, 6, a, b, 1);
}
constexpr uint32_t remu(uint32_t rd, uint32_t a, uint32_t b)
{
	return r_type(0x33, rd, 7, a, b, 1);
}
constexpr uint32_t divw(uint32_t rd, uint32_t a, uint32_t b)
{
	return r_type(0x3b, rd, 4, a, b, 1);
}
constexpr uint32_t divuw(uint32_t rd, uint32_t a, uint32_t b)
{
	return r_type(0x3b, rd, 5, a, b, 1);
}
constexpr uint32_t remw(uint32_t rd, uint32_t a, uint32_t b)
{
	return r_type(0x3b, rd, 6, a, b, 1);
}

/* ---- A: funct5 << 27 | aq << 26 | rl << 25 ---- */
constexpr uint32_t amo(uint32_t f5, uint32_t width, uint32_t rd, uint32_t rs1, uint32_t rs2)
{
	return r_type(0x2f, rd, width, rs1, rs2, f5 << 2);
}
constexpr uint32_t lr_w(uint32_t rd, uint32_t rs1)
{
	return amo(0x02, 2, rd, rs1, 0);
}
constexpr uint32_t lr_d(uint32_t rd, uint32_t rs1)
{
	return amo(0x02, 3, rd, rs1, 0);
}
constexpr uint32_t sc_w(uint32_t rd, uint32_t rs1, uint32_t rs2)
{
	return amo(0x03, 2, rd, rs1, rs2);
}
constexpr uint32_t sc_d(uint32_t rd, uint32_t rs1, uint32_t rs2)
{
	return amo(0x03, 3, rd, rs1, rs2);
}
constexpr uint32_t amoadd_w(uint32_t rd, uint32_t rs1, uint32_t rs2)
{
	return amo(0x00, 2, rd, rs1, rs2);
}
constexpr uint32_t amoadd_d(uint32_t rd, uint32_t rs1, uint32_t rs2)
{
	return amo(0x00, 3, rd, rs1, rs2);
}
constexpr uint32_t amoswap_d(uint32_t rd, uint32_t rs1, uint32_t rs2)
{
	return amo(0x01, 3, rd, rs1, rs2);
}
constexpr uint32_t amomin_w(uint32_t rd, uint32_t rs1, uint32_t rs2)
{
	return amo(0x10, 2, rd, rs1, rs2);
}
constexpr uint32_t amomaxu_d(uint32_t rd, uint32_t rs1, uint32_t rs2)
{
	return amo(0x1c, 3, rd, rs1, rs2);
}

/* ---- Zicsr and privileged ---- */
constexpr uint32_t csrrw(uint32_t rd, uint32_t csr, uint32_t rs1)
{
	return i_type(0x73, rd, 1, rs1, (int32_t)csr);
}
constexpr uint32_t csrrs(uint32_t rd, uint32_t csr, uint32_t rs1)
{
	return i_type(0x73, rd, 2, rs1, (int32_t)csr);
}
constexpr uint32_t csrrc(uint32_t rd, uint32_t csr, uint32_t rs1)
{
	return i_type(0x73, rd, 3, rs1, (int32_t)csr);
}
constexpr uint32_t csrrwi(uint32_t rd, uint32_t csr, uint32_t uimm)
{
	return i_type(0x73, rd, 5, uimm, (int32_t)csr);
}
constexpr uint32_t csrrsi(uint32_t rd, uint32_t csr, uint32_t uimm)
{
	return i_type(0x73, rd, 6, uimm, (int32_t)csr);
}
constexpr uint32_t mret()
{
	return 0x30200073;
}
constexpr uint32_t sret()
{
	return 0x10200073;
}
constexpr uint32_t wfi()
{
	return 0x10500073;
}
constexpr uint32_t sfence_vma(uint32_t rs1, uint32_t rs2)
{
	return 0x12000073 | rs2 << 20 | rs1 << 15;
}

/* ---- F and D (rm is funct3; 7 = dynamic) ---- */
constexpr uint32_t flw(uint32_t rd, uint32_t rs1, int32_t imm)
{
	return i_type(0x07, rd, 2, rs1, imm);
}
constexpr uint32_t fld(uint32_t rd, uint32_t rs1, int32_t imm)
{
	return i_type(0x07, rd, 3, rs1, imm);
}
constexpr uint32_t fsw(uint32_t rs2, uint32_t rs1, int32_t imm)
{
	return s_type(0x27, 2, rs1, rs2, imm);
}
constexpr uint32_t fadd_s(uint32_t rd, uint32_t a, uint32_t b, uint32_t rm = 7)
{
	return r_type(0x53, rd, rm, a, b, 0x00);
}
constexpr uint32_t fadd_d(uint32_t rd, uint32_t a, uint32_t b, uint32_t rm = 7)
{
	return r_type(0x53, rd, rm, a, b, 0x01);
}
constexpr uint32_t fmul_d(uint32_t rd, uint32_t a, uint32_t b, uint32_t rm = 7)
{
	return r_type(0x53, rd, rm, a, b, 0x09);
}
constexpr uint32_t fdiv_d(uint32_t rd, uint32_t a, uint32_t b, uint32_t rm = 7)
{
	return r_type(0x53, rd, rm, a, b, 0x0d);
}
constexpr uint32_t fsgnj_s(uint32_t rd, uint32_t a, uint32_t b)
{
	return r_type(0x53, rd, 0, a, b, 0x10);
}
constexpr uint32_t fmv_x_w(uint32_t rd, uint32_t rs1)
{
	return r_type(0x53, rd, 0, rs1, 0, 0x70);
}
constexpr uint32_t fclass_s(uint32_t rd, uint32_t rs1)
{
	return r_type(0x53, rd, 1, rs1, 0, 0x70);
}
constexpr uint32_t fmv_w_x(uint32_t rd, uint32_t rs1)
{
	return r_type(0x53, rd, 0, rs1, 0, 0x78);
}
constexpr uint32_t fmv_x_d(uint32_t rd, uint32_t rs1)
{
	return r_type(0x53, rd, 0, rs1, 0, 0x71);
}
constexpr uint32_t fmv_d_x(uint32_t rd, uint32_t rs1)
{
	return r_type(0x53, rd, 0, rs1, 0, 0x79);
}
constexpr uint32_t fcvt_d_l(uint32_t rd, uint32_t rs1, uint32_t rm = 7)
{
	return r_type(0x53, rd, rm, rs1, 2, 0x69);
}
constexpr uint32_t fcvt_l_d(uint32_t rd, uint32_t rs1, uint32_t rm = 7)
{
	return r_type(0x53, rd, rm, rs1, 2, 0x61);
}
constexpr uint32_t feq_d(uint32_t rd, uint32_t a, uint32_t b)
{
	return r_type(0x53, rd, 2, a, b, 0x51);
}

/* ---- RVC (16-bit; rd/rs are full register numbers) ---- */
constexpr uint16_t c_nop()
{
	return 0x0001;
}
constexpr uint16_t c_addi(uint32_t rd, int32_t imm)
{
	return (uint16_t)(0x0001 | (((uint32_t)imm >> 5) & 1) << 12 | rd << 7 |
			  ((uint32_t)imm & 0x1f) << 2);
}
constexpr uint16_t c_li(uint32_t rd, int32_t imm)
{
	return (uint16_t)(0x4001 | (((uint32_t)imm >> 5) & 1) << 12 | rd << 7 |
			  ((uint32_t)imm & 0x1f) << 2);
}
constexpr uint16_t c_mv(uint32_t rd, uint32_t rs2)
{
	return (uint16_t)(0x8002 | rd << 7 | rs2 << 2);
}
constexpr uint16_t c_add(uint32_t rd, uint32_t rs2)
{
	return (uint16_t)(0x9002 | rd << 7 | rs2 << 2);
}
constexpr uint16_t c_slli(uint32_t rd, uint32_t sh)
{
	return (uint16_t)(0x0002 | ((sh >> 5) & 1) << 12 | rd << 7 | (sh & 0x1f) << 2);
}

/* CSR numbers used by the tests (privileged spec, CSR listing). */
enum : uint32_t {
	CSR_FFLAGS = 0x001,
	CSR_FRM = 0x002,
	CSR_FCSR = 0x003,
	CSR_SSTATUS = 0x100,
	CSR_SIE = 0x104,
	CSR_STVEC = 0x105,
	CSR_SCOUNTEREN = 0x106,
	CSR_SSCRATCH = 0x140,
	CSR_SEPC = 0x141,
	CSR_SCAUSE = 0x142,
	CSR_STVAL = 0x143,
	CSR_SIP = 0x144,
	CSR_SATP = 0x180,
	CSR_MSTATUS = 0x300,
	CSR_MISA = 0x301,
	CSR_MEDELEG = 0x302,
	CSR_MIDELEG = 0x303,
	CSR_MIE = 0x304,
	CSR_MTVEC = 0x305,
	CSR_MCOUNTEREN = 0x306,
	CSR_MSCRATCH = 0x340,
	CSR_MEPC = 0x341,
	CSR_MCAUSE = 0x342,
	CSR_MTVAL = 0x343,
	CSR_MIP = 0x344,
	CSR_MCYCLE = 0xb00,
	CSR_MINSTRET = 0xb02,
	CSR_CYCLE = 0xc00,
	CSR_TIME = 0xc01,
	CSR_INSTRET = 0xc02,
	CSR_HPMCOUNTER3 = 0xc03,
	CSR_MVENDORID = 0xf11,
	CSR_MHARTID = 0xf14,
};

constexpr uint64_t kRam = HV_RAM_BASE;
constexpr uint64_t kMiB = 1ull << 20;

/* A machine with nharts harts; hart 0 starts at kRam in the boot's mode. */
class TestVm {
public:
	explicit TestVm(unsigned nharts = 1, enum hv_boot boot = BOOT_BARE, icount_t max_insns = 0,
			icount_t quantum = 0, uint64_t ram = 16 * kMiB)
	{
		struct machine_config cfg;
		struct hv_err err;

		std::memset(&cfg, 0, sizeof(cfg));
		std::memset(&err, 0, sizeof(err));
		cfg.ram_size = ram;
		cfg.nharts = nharts;
		cfg.boot = boot;
		cfg.max_insns = max_insns;
		cfg.quantum = quantum;
		m = machine_create(&cfg, &err);
		error = err.msg;
		if (!m)
			return;
		m->console_out = &TestVm::capture;
		m->console_opaque = this;
		for (unsigned i = 0; i < nharts; i++)
			m->hart[i]->pc = kRam;
	}
	~TestVm() { machine_destroy(m); }
	TestVm(const TestVm &) = delete;
	TestVm &operator=(const TestVm &) = delete;

	struct hart *h(unsigned i = 0) const { return m->hart[i]; }

	/* Put 32-bit words at pa; returns the address after them. */
	uint64_t put(uint64_t pa, const std::vector<uint32_t> &words)
	{
		for (uint32_t w : words)
			machine_write_phys(m, pa, &w, 4), pa += 4;
		return pa;
	}
	uint64_t put16(uint64_t pa, uint16_t v)
	{
		machine_write_phys(m, pa, &v, 2);
		return pa + 2;
	}
	void put64(uint64_t pa, uint64_t v) { machine_write_phys(m, pa, &v, 8); }
	uint64_t get64(uint64_t pa)
	{
		uint64_t v = 0;
		machine_read_phys(m, pa, &v, 8);
		return v;
	}
	uint32_t get32(uint64_t pa)
	{
		uint32_t v = 0;
		machine_read_phys(m, pa, &v, 4);
		return v;
	}

	/* Run hart i up to icount limit, as the scheduler would. */
	void run(icount_t limit, unsigned i = 0)
	{
		m->cur = m->hart[i];
		exec_run(m->hart[i], limit);
		m->cur = nullptr;
	}
	/* Run hart i for n more instructions. */
	void step(icount_t n, unsigned i = 0) { run(m->hart[i]->icount + n, i); }

	struct machine *m = nullptr;
	std::string error;
	std::string console;

private:
	static void capture(void *opaque, const uint8_t *buf, size_t len)
	{
		static_cast<TestVm *>(opaque)->console.append(reinterpret_cast<const char *>(buf),
							      len);
	}
};

/* Sv39/Sv48 page-table entry bits (privileged spec 4.3.1). */
enum : uint64_t {
	PTE_V = 1,
	PTE_R = 2,
	PTE_W = 4,
	PTE_X = 8,
	PTE_U = 16,
	PTE_G = 32,
	PTE_A = 64,
	PTE_D = 128,
};
constexpr uint64_t pte(uint64_t pa, uint64_t flags)
{
	return (pa >> 12) << 10 | flags;
}
constexpr uint64_t satp_sv39(uint64_t root)
{
	return 8ull << 60 | root >> 12;
}
constexpr uint64_t satp_sv48(uint64_t root)
{
	return 9ull << 60 | root >> 12;
}

} // namespace tu

#endif
