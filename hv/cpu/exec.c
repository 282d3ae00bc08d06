// SPDX-License-Identifier: MIT
/*
 * The interpreter: threaded dispatch over pre-decoded basic blocks.
 *
 * Every handler is a label in exec_blocks; a decoded instruction carries
 * the address of its handler, so going to the next instruction is one
 * indirect jump (computed goto). The dispatch table is generated from
 * isa.def: each table entry points at the label of its `exec` column, so
 * an instruction without a handler does not compile.
 *
 * Instruction count and pc (the determinism contract):
 *   - while a block runs, h->icount holds the count at the block's start
 *     and h->pc its first instruction's address; instruction i of the
 *     block sits at base_pc + pcoff and retires as icount + i + 1;
 *   - an exception in instruction i sets icount += i (i retired) and pc
 *     to that instruction, then traps: exact at every point;
 *   - memory slow paths (MMIO, misses) see the exact pc and icount too.
 *
 * Interrupts are taken in exec_run between blocks. That equals checking
 * at every instruction because whatever can make an interrupt pending and
 * enabled ends the block that did it: CSR writes, xRET, WFI and ecall end
 * blocks by their class; device and timer side effects arrive through a
 * slow path that sets exit_req; and the timer's deadline is an exact
 * instruction count that limits how far a run goes.
 *
 * Guest input is the instruction stream: every encoding decodes to a
 * handler (ISA_ILLEGAL traps), every memory access is translated and
 * bounds-checked in mmu.c or hits a TLB entry that maps one RAM page.
 */
#include "hv/cpu/exec.h"

#include <string.h>

#include "hv/cpu/block.h"
#include "hv/cpu/debug.h"
#include "hv/hooks.h"
#include "hv/cpu/insn.h"
#include "hv/cpu/hart.h"
#include "hv/cpu/jit.h"
#include "hv/cpu/spin.h"
#include "hv/mem/mem.h"
#include "hv/cpu/mmu.h"
#include "hv/cpu/softfloat.h"

static const void *const *exec_handlers;
static const void *exec_end_handler;
static const void *exec_plugin_handler;

#define BOX32 0xffffffff00000000ull

static inline uint32_t unbox32(uint64_t v)
{
	return (v & BOX32) == BOX32 ? (uint32_t)v : SF_F32_CANON_NAN;
}

static inline int64_t sext32(uint64_t v)
{
	return (int64_t)(int32_t)(uint32_t)v;
}

static int64_t div64(int64_t a, int64_t b)
{
	if (b == 0)
		return -1;
	if (a == INT64_MIN && b == -1)
		return a;
	return a / b;
}

static int64_t rem64(int64_t a, int64_t b)
{
	if (b == 0)
		return a;
	if (a == INT64_MIN && b == -1)
		return 0;
	return a % b;
}

static int32_t div32(int32_t a, int32_t b)
{
	if (b == 0)
		return -1;
	if (a == INT32_MIN && b == -1)
		return a;
	return a / b;
}

static int32_t rem32(int32_t a, int32_t b)
{
	if (b == 0)
		return a;
	if (a == INT32_MIN && b == -1)
		return 0;
	return a % b;
}

static uint64_t mulh(int64_t a, int64_t b)
{
	return (uint64_t)((__int128)a * (__int128)b >> 64);
}

static uint64_t mulhu(uint64_t a, uint64_t b)
{
	return (uint64_t)((unsigned __int128)a * (unsigned __int128)b >> 64);
}

static uint64_t mulhsu(int64_t a, uint64_t b)
{
	return (uint64_t)((__int128)a * (__int128)(unsigned __int128)b >> 64);
}

/* The chain between blocks: the block at h->pc from the jump cache, unless
 * an exit is requested, the count reached stop, the cache has no block for
 * this pc or it does not fit the budget (NULL: leave the block loop). */
static inline struct block *exec_chain_next(struct hart *h, icount_t stop)
{
	if (HV_UNLIKELY(h->exit_req) || h->icount >= stop)
		return NULL;
	const struct jcache_entry *je = &h->jcache[(h->pc >> 1) & (JCACHE_SIZE - 1)];
	if (!hart_jc_hit(h, je, h->pc) || je->block->n > stop - h->icount)
		return NULL;
	return je->block;
}

/*
 * Run blocks starting with b until the block budget ends: return when the
 * count reaches stop, something requests an exit, or the next block is not
 * in the jump cache. Called with b == NULL once to publish the dispatch
 * table.
 */
/* The interpreter loop keeps its hand layout: clang-format 14 reads its
 * labels and computed gotos as other syntax (`goto * in->handler`). */
/* clang-format off */
static void exec_blocks(struct hart *h, struct block *b, icount_t stop)
{
	/* Indexed by enum isa_id; one more slot holds the block sentinel. */
	static const void *const dispatch[ISA_COUNT + 3] = {
#define INSN(id, mn, match, mask, fmt, ext, exec, cls) [ISA_##id] = &&L_##exec,
#include "hv/cpu/isa.def"
#undef INSN
		[ISA_ILLEGAL] = &&L_illegal,
		[ISA_COUNT + 1] = &&L_block_end,
		[ISA_COUNT + 2] = &&L_plugin_cb,
	};
	uint64_t *x, *f;
	const struct insn *in;
	uint64_t base_pc;

	if (!b) {
		/* Label addresses are code addresses, valid for the life of
		 * the program; GCC's dangling-pointer check does not know. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpragmas"
#pragma GCC diagnostic ignored "-Wdangling-pointer"
		exec_handlers = dispatch;
		exec_end_handler = dispatch[ISA_COUNT + 1];
		exec_plugin_handler = dispatch[ISA_COUNT + 2];
		block_set_plugin_handler(exec_plugin_handler);
#pragma GCC diagnostic pop
		return;
	}
	x = h->x;
	f = h->f;

enter:
	base_pc = h->pc;
	in = b->insn;
	goto *in->handler;

#define PC (base_pc + in->pcoff)
#define RD x[in->rd]
#define RS1 x[in->rs1]
#define RS2 x[in->rs2]
#define NEXT goto *(++in)->handler
/* A control transfer that ends the block. */
#define JUMP(target)                          \
	do {                                  \
		h->pc = (target);             \
		h->icount += in->idx + 1u;    \
		goto chain;                   \
	} while (0)
#define RAISE(cause, tval)                    \
	do {                                  \
		h->exc_cause = (cause);       \
		h->exc_tval = (tval);         \
		goto exception;               \
	} while (0)
/* Around a slow path: exact pc and icount for devices, hooks and traps. */
#define SLOW_ENTER() (h->pc = PC, h->icount += in->idx)
#define SLOW_LEAVE() (h->icount -= in->idx)

#define TLB_HIT(e, va, size) \
	((e)->tag == ((va) & ~(uint64_t)(HV_PAGE_MASK & ~(uint64_t)((size)-1))))

#define LOAD(T, SIZE)                                                                   \
	do {                                                                            \
		gva_t va_ = RS1 + (uint64_t)in->imm;                                    \
		const struct tlb_entry *e_ =                                            \
			&h->tlb[ACC_LOAD][(va_ >> HV_PAGE_SHIFT) & (TLB_SIZE - 1)];     \
		if (HV_LIKELY(TLB_HIT(e_, va_, SIZE))) {                                \
			T v_;                                                           \
			memcpy(&v_, (const void *)(uintptr_t)(va_ + e_->addend), SIZE); \
			RD = (uint64_t)(int64_t)v_;                                     \
			NEXT;                                                           \
		}                                                                       \
		uint64_t w_;                                                            \
		SLOW_ENTER();                                                           \
		int r_ = mmu_load(h, va_, SIZE, &w_);                                   \
		SLOW_LEAVE();                                                           \
		if (r_)                                                                 \
			goto exception_set;                                             \
		RD = (uint64_t)(int64_t)(T)w_;                                          \
		if (h->exit_req)                                                        \
			goto stop_after;                                                \
		NEXT;                                                                   \
	} while (0)

#define STORE_VAL(SIZE, VAL)                                                            \
	do {                                                                            \
		gva_t va_ = RS1 + (uint64_t)in->imm;                                    \
		uint64_t v_ = (VAL);                                                    \
		const struct tlb_entry *e_ =                                            \
			&h->tlb[ACC_STORE][(va_ >> HV_PAGE_SHIFT) & (TLB_SIZE - 1)];    \
		if (HV_LIKELY(TLB_HIT(e_, va_, SIZE))) {                                \
			memcpy((void *)(uintptr_t)(va_ + e_->addend), &v_, SIZE);       \
			NEXT;                                                           \
		}                                                                       \
		SLOW_ENTER();                                                           \
		int r_ = mmu_store(h, va_, SIZE, v_);                                   \
		SLOW_LEAVE();                                                           \
		if (r_)                                                                 \
			goto exception_set;                                             \
		if (h->exit_req)                                                        \
			goto stop_after;                                                \
		NEXT;                                                                   \
	} while (0)

/* Floating point: FS must not be Off; rm 7 means frm; 5, 6 are reserved. */
#define FP_CHECK()                                                    \
	do {                                                          \
		if (HV_UNLIKELY(!(h->mstatus & MSTATUS_FS)))          \
			goto illegal;                                 \
	} while (0)
#define FP_RM(var)                                                    \
	FP_CHECK();                                                   \
	int var = in->rm == 7 ? (int)h->frm : (int)in->rm;            \
	if (HV_UNLIKELY(var > SF_RMM))                                \
		goto illegal
#define FS_DIRTY() (h->mstatus |= MSTATUS_FS)
#define FFLAGS(fl)                                \
	do {                                      \
		if (fl) {                         \
			h->fflags |= (fl);        \
			FS_DIRTY();               \
		}                                 \
	} while (0)
#define F32(r) unbox32(f[r])
#define SET_F32(v) (f[in->rd] = BOX32 | (uint32_t)(v), FS_DIRTY())
#define SET_F64(v) (f[in->rd] = (v), FS_DIRTY())

#define FOP2_S(fn)                                                       \
	do {                                                             \
		FP_RM(rm_);                                              \
		uint32_t fl_ = 0;                                        \
		uint32_t r_ = fn(F32(in->rs1), F32(in->rs2), rm_, &fl_); \
		SET_F32(r_);                                             \
		FFLAGS(fl_);                                             \
		NEXT;                                                    \
	} while (0)
#define FOP2_D(fn)                                                 \
	do {                                                       \
		FP_RM(rm_);                                        \
		uint32_t fl_ = 0;                                  \
		uint64_t r_ = fn(f[in->rs1], f[in->rs2], rm_, &fl_); \
		SET_F64(r_);                                       \
		FFLAGS(fl_);                                       \
		NEXT;                                              \
	} while (0)
#define FMA_S(sa, sc)                                                                  \
	do {                                                                           \
		FP_RM(rm_);                                                            \
		uint32_t fl_ = 0;                                                      \
		uint32_t r_ = sf32_fma(F32(in->rs1) ^ (sa), F32(in->rs2),              \
				       F32(in->rs3) ^ (sc), rm_, &fl_);                \
		SET_F32(r_);                                                           \
		FFLAGS(fl_);                                                           \
		NEXT;                                                                  \
	} while (0)
#define FMA_D(sa, sc)                                                                  \
	do {                                                                           \
		FP_RM(rm_);                                                            \
		uint32_t fl_ = 0;                                                      \
		uint64_t r_ = sf64_fma(f[in->rs1] ^ (sa), f[in->rs2], f[in->rs3] ^ (sc), \
				       rm_, &fl_);                                     \
		SET_F64(r_);                                                           \
		FFLAGS(fl_);                                                           \
		NEXT;                                                                  \
	} while (0)
/* Float result to integer register (compares, conversions, class). */
#define FTOX(expr)                        \
	do {                              \
		uint32_t fl_ = 0;         \
		uint64_t r_ = (expr);     \
		RD = r_;                  \
		FFLAGS(fl_);              \
		NEXT;                     \
	} while (0)
#define S32 0x80000000u
#define S64 0x8000000000000000ull

	/* ---- RV64I ---- */
L_lui:
	RD = (uint64_t)in->imm;
	NEXT;
L_auipc:
	RD = PC + (uint64_t)in->imm;
	NEXT;
L_jal: {
	uint64_t link = PC + in->len;
	uint64_t target = PC + (uint64_t)in->imm;
	RD = link;
	JUMP(target);
}
L_jalr: {
	uint64_t target = (RS1 + (uint64_t)in->imm) & ~1ull;
	RD = PC + in->len;
	JUMP(target);
}
#define BRANCH(cond) JUMP((cond) ? PC + (uint64_t)in->imm : PC + in->len)
L_beq:
	BRANCH(RS1 == RS2);
L_bne:
	BRANCH(RS1 != RS2);
L_blt:
	BRANCH((int64_t)RS1 < (int64_t)RS2);
L_bge:
	BRANCH((int64_t)RS1 >= (int64_t)RS2);
L_bltu:
	BRANCH(RS1 < RS2);
L_bgeu:
	BRANCH(RS1 >= RS2);
L_lb:
	LOAD(int8_t, 1);
L_lh:
	LOAD(int16_t, 2);
L_lw:
	LOAD(int32_t, 4);
L_ld:
	LOAD(int64_t, 8);
L_lbu:
	LOAD(uint8_t, 1);
L_lhu:
	LOAD(uint16_t, 2);
L_lwu:
	LOAD(uint32_t, 4);
L_sb:
	STORE_VAL(1, RS2);
L_sh:
	STORE_VAL(2, RS2);
L_sw:
	STORE_VAL(4, RS2);
L_sd:
	STORE_VAL(8, RS2);
L_addi:
	RD = RS1 + (uint64_t)in->imm;
	NEXT;
L_slti:
	RD = (int64_t)RS1 < in->imm;
	NEXT;
L_sltiu:
	RD = RS1 < (uint64_t)in->imm;
	NEXT;
L_xori:
	RD = RS1 ^ (uint64_t)in->imm;
	NEXT;
L_ori:
	RD = RS1 | (uint64_t)in->imm;
	NEXT;
L_andi:
	RD = RS1 & (uint64_t)in->imm;
	NEXT;
L_slli:
	RD = RS1 << (in->imm & 63);
	NEXT;
L_srli:
	RD = RS1 >> (in->imm & 63);
	NEXT;
L_srai:
	RD = (uint64_t)((int64_t)RS1 >> (in->imm & 63));
	NEXT;
L_add:
	RD = RS1 + RS2;
	NEXT;
L_sub:
	RD = RS1 - RS2;
	NEXT;
L_sll:
	RD = RS1 << (RS2 & 63);
	NEXT;
L_slt:
	RD = (int64_t)RS1 < (int64_t)RS2;
	NEXT;
L_sltu:
	RD = RS1 < RS2;
	NEXT;
L_xor:
	RD = RS1 ^ RS2;
	NEXT;
L_srl:
	RD = RS1 >> (RS2 & 63);
	NEXT;
L_sra:
	RD = (uint64_t)((int64_t)RS1 >> (RS2 & 63));
	NEXT;
L_or:
	RD = RS1 | RS2;
	NEXT;
L_and:
	RD = RS1 & RS2;
	NEXT;
L_addiw:
	RD = (uint64_t)sext32(RS1 + (uint64_t)in->imm);
	NEXT;
L_slliw:
	RD = (uint64_t)sext32((uint32_t)RS1 << (in->imm & 31));
	NEXT;
L_srliw:
	RD = (uint64_t)sext32((uint32_t)RS1 >> (in->imm & 31));
	NEXT;
L_sraiw:
	RD = (uint64_t)(int64_t)((int32_t)RS1 >> (in->imm & 31));
	NEXT;
L_addw:
	RD = (uint64_t)sext32(RS1 + RS2);
	NEXT;
L_subw:
	RD = (uint64_t)sext32(RS1 - RS2);
	NEXT;
L_sllw:
	RD = (uint64_t)sext32((uint32_t)RS1 << (RS2 & 31));
	NEXT;
L_srlw:
	RD = (uint64_t)sext32((uint32_t)RS1 >> (RS2 & 31));
	NEXT;
L_sraw:
	RD = (uint64_t)(int64_t)((int32_t)RS1 >> (RS2 & 31));
	NEXT;
L_fence:
L_fence_tso:
L_pause:
	/* One host thread runs every hart and device: memory is always
	 * coherent and ordered, so FENCE (and PAUSE) need no action. */
	NEXT;
L_fence_i:
	/* Stores to pages holding decoded code already dropped those blocks
	 * (block.c), so later fetches see the new code. */
	JUMP(PC + in->len);
L_ecall:
	if (h->priv == PRIV_S && h->m->cfg.boot == BOOT_PV) {
		/* Paravirtual boot: the hypervisor is the SBI (section 5),
		 * reached through the platform's m->ecall. */
		h->icount += in->idx;
		h->pc = PC + in->len;
		spin_effect(h);
		h->m->ecall(h);
		h->icount += 1;
		h->exit_req = true;
		goto chain;
	}
	RAISE(h->priv == PRIV_U ? CAUSE_ECALL_U :
	      h->priv == PRIV_S ? CAUSE_ECALL_S : CAUSE_ECALL_M, 0);
L_ebreak:
	/* tval 0: the spec allows 0 or the pc; QEMU writes 0, and our
	 * differential tests compare the two. */
	RAISE(CAUSE_BREAKPOINT, 0);

	/* ---- M ---- */
L_mul:
	RD = RS1 * RS2;
	NEXT;
L_mulh:
	RD = mulh((int64_t)RS1, (int64_t)RS2);
	NEXT;
L_mulhsu:
	RD = mulhsu((int64_t)RS1, RS2);
	NEXT;
L_mulhu:
	RD = mulhu(RS1, RS2);
	NEXT;
L_div:
	RD = (uint64_t)div64((int64_t)RS1, (int64_t)RS2);
	NEXT;
L_divu:
	RD = RS2 ? RS1 / RS2 : ~0ull;
	NEXT;
L_rem:
	RD = (uint64_t)rem64((int64_t)RS1, (int64_t)RS2);
	NEXT;
L_remu:
	RD = RS2 ? RS1 % RS2 : RS1;
	NEXT;
L_mulw:
	RD = (uint64_t)sext32(RS1 * RS2);
	NEXT;
L_divw:
	RD = (uint64_t)(int64_t)div32((int32_t)RS1, (int32_t)RS2);
	NEXT;
L_divuw:
	RD = (uint64_t)sext32((uint32_t)RS2 ? (uint32_t)RS1 / (uint32_t)RS2 : ~0u);
	NEXT;
L_remw:
	RD = (uint64_t)(int64_t)rem32((int32_t)RS1, (int32_t)RS2);
	NEXT;
L_remuw:
	RD = (uint64_t)sext32((uint32_t)RS2 ? (uint32_t)RS1 % (uint32_t)RS2 : (uint32_t)RS1);
	NEXT;

	/* ---- A ---- */
#define AMO_PTR(size, is_lr, p)                                       \
	SLOW_ENTER();                                                 \
	if (mmu_rmw_ptr(h, RS1, size, is_lr, &p)) {                   \
		SLOW_LEAVE();                                         \
		goto exception_set;                                   \
	}                                                             \
	SLOW_LEAVE()
#define AMO_W(expr)                                                    \
	do {                                                           \
		void *p_;                                              \
		AMO_PTR(4, false, p_);                                 \
		int32_t a_, b_ = (int32_t)RS2;                          \
		memcpy(&a_, p_, 4);                                    \
		int32_t n_ = (expr);                                   \
		memcpy(p_, &n_, 4);                                    \
		RD = (uint64_t)(int64_t)a_;                            \
		if (h->exit_req)                                       \
			goto stop_after;                               \
		NEXT;                                                  \
	} while (0)
#define AMO_D(expr)                                                    \
	do {                                                           \
		void *p_;                                              \
		AMO_PTR(8, false, p_);                                 \
		int64_t a_, b_ = (int64_t)RS2;                          \
		memcpy(&a_, p_, 8);                                    \
		int64_t n_ = (expr);                                   \
		memcpy(p_, &n_, 8);                                    \
		RD = (uint64_t)a_;                                     \
		if (h->exit_req)                                       \
			goto stop_after;                               \
		NEXT;                                                  \
	} while (0)
L_lr_w: {
	void *p;
	AMO_PTR(4, true, p);
	int32_t v;
	memcpy(&v, p, 4);
	RD = (uint64_t)(int64_t)v;
	h->resv_addr = h->rmw_pa;
	h->resv_valid = true;
	if (h->exit_req)
		goto stop_after;
	NEXT;
}
L_lr_d: {
	void *p;
	AMO_PTR(8, true, p);
	uint64_t v;
	memcpy(&v, p, 8);
	RD = v;
	h->resv_addr = h->rmw_pa;
	h->resv_valid = true;
	if (h->exit_req)
		goto stop_after;
	NEXT;
}
L_sc_w: {
	void *p;
	uint32_t v = (uint32_t)RS2;
	AMO_PTR(4, false, p);
	bool ok = h->resv_valid && h->resv_addr == h->rmw_pa;
	if (ok)
		memcpy(p, &v, 4);
	h->resv_valid = false;
	RD = !ok;
	if (h->exit_req)
		goto stop_after;
	NEXT;
}
L_sc_d: {
	void *p;
	uint64_t v = RS2;
	AMO_PTR(8, false, p);
	bool ok = h->resv_valid && h->resv_addr == h->rmw_pa;
	if (ok)
		memcpy(p, &v, 8);
	h->resv_valid = false;
	RD = !ok;
	if (h->exit_req)
		goto stop_after;
	NEXT;
}
L_amoswap_w:
	AMO_W(b_);
L_amoadd_w:
	AMO_W((int32_t)((uint32_t)a_ + (uint32_t)b_));
L_amoxor_w:
	AMO_W(a_ ^ b_);
L_amoand_w:
	AMO_W(a_ & b_);
L_amoor_w:
	AMO_W(a_ | b_);
L_amomin_w:
	AMO_W(a_ < b_ ? a_ : b_);
L_amomax_w:
	AMO_W(a_ > b_ ? a_ : b_);
L_amominu_w:
	AMO_W((uint32_t)a_ < (uint32_t)b_ ? a_ : b_);
L_amomaxu_w:
	AMO_W((uint32_t)a_ > (uint32_t)b_ ? a_ : b_);
L_amoswap_d:
	AMO_D(b_);
L_amoadd_d:
	AMO_D((int64_t)((uint64_t)a_ + (uint64_t)b_));
L_amoxor_d:
	AMO_D(a_ ^ b_);
L_amoand_d:
	AMO_D(a_ & b_);
L_amoor_d:
	AMO_D(a_ | b_);
L_amomin_d:
	AMO_D(a_ < b_ ? a_ : b_);
L_amomax_d:
	AMO_D(a_ > b_ ? a_ : b_);
L_amominu_d:
	AMO_D((uint64_t)a_ < (uint64_t)b_ ? a_ : b_);
L_amomaxu_d:
	AMO_D((uint64_t)a_ > (uint64_t)b_ ? a_ : b_);

	/* ---- F and D loads/stores ---- */
L_flw: {
	FP_CHECK();
	gva_t va = RS1 + (uint64_t)in->imm;
	uint64_t w;
	SLOW_ENTER();
	int r = mmu_load(h, va, 4, &w);
	SLOW_LEAVE();
	if (r)
		goto exception_set;
	SET_F32((uint32_t)w);
	if (h->exit_req)
		goto stop_after;
	NEXT;
}
L_fld: {
	FP_CHECK();
	const struct tlb_entry *e =
		&h->tlb[ACC_LOAD][((RS1 + (uint64_t)in->imm) >> HV_PAGE_SHIFT) & (TLB_SIZE - 1)];
	gva_t va = RS1 + (uint64_t)in->imm;
	if (HV_LIKELY(TLB_HIT(e, va, 8))) {
		uint64_t v;
		memcpy(&v, (const void *)(uintptr_t)(va + e->addend), 8);
		SET_F64(v);
		NEXT;
	}
	uint64_t w;
	SLOW_ENTER();
	int r = mmu_load(h, va, 8, &w);
	SLOW_LEAVE();
	if (r)
		goto exception_set;
	SET_F64(w);
	if (h->exit_req)
		goto stop_after;
	NEXT;
}
L_fsw:
	FP_CHECK();
	STORE_VAL(4, (uint32_t)f[in->rs2]);
L_fsd:
	FP_CHECK();
	STORE_VAL(8, f[in->rs2]);

	/* ---- F ---- */
L_fmadd_s:
	FMA_S(0, 0);
L_fmsub_s:
	FMA_S(0, S32);
L_fnmsub_s:
	FMA_S(S32, 0);
L_fnmadd_s:
	FMA_S(S32, S32);
L_fadd_s:
	FOP2_S(sf32_add);
L_fsub_s:
	FOP2_S(sf32_sub);
L_fmul_s:
	FOP2_S(sf32_mul);
L_fdiv_s:
	FOP2_S(sf32_div);
L_fsqrt_s: {
	FP_RM(rm);
	uint32_t fl = 0, r = sf32_sqrt(F32(in->rs1), rm, &fl);
	SET_F32(r);
	FFLAGS(fl);
	NEXT;
}
L_fsgnj_s:
	FP_CHECK();
	SET_F32((F32(in->rs1) & ~S32) | (F32(in->rs2) & S32));
	NEXT;
L_fsgnjn_s:
	FP_CHECK();
	SET_F32((F32(in->rs1) & ~S32) | (~F32(in->rs2) & S32));
	NEXT;
L_fsgnjx_s:
	FP_CHECK();
	SET_F32(F32(in->rs1) ^ (F32(in->rs2) & S32));
	NEXT;
L_fmin_s: {
	FP_CHECK();
	uint32_t fl = 0, r = sf32_min(F32(in->rs1), F32(in->rs2), &fl);
	SET_F32(r);
	FFLAGS(fl);
	NEXT;
}
L_fmax_s: {
	FP_CHECK();
	uint32_t fl = 0, r = sf32_max(F32(in->rs1), F32(in->rs2), &fl);
	SET_F32(r);
	FFLAGS(fl);
	NEXT;
}
L_fcvt_w_s: {
	FP_RM(rm);
	FTOX((uint64_t)sf32_to_i32(F32(in->rs1), rm, &fl_));
}
L_fcvt_wu_s: {
	FP_RM(rm);
	FTOX((uint64_t)sf32_to_u32(F32(in->rs1), rm, &fl_));
}
L_fcvt_l_s: {
	FP_RM(rm);
	FTOX((uint64_t)sf32_to_i64(F32(in->rs1), rm, &fl_));
}
L_fcvt_lu_s: {
	FP_RM(rm);
	FTOX(sf32_to_u64(F32(in->rs1), rm, &fl_));
}
L_fmv_x_w:
	FP_CHECK();
	RD = (uint64_t)sext32(f[in->rs1]);
	NEXT;
L_feq_s:
	FP_CHECK();
	FTOX((uint64_t)sf32_eq(F32(in->rs1), F32(in->rs2), &fl_));
L_flt_s:
	FP_CHECK();
	FTOX((uint64_t)sf32_lt(F32(in->rs1), F32(in->rs2), &fl_));
L_fle_s:
	FP_CHECK();
	FTOX((uint64_t)sf32_le(F32(in->rs1), F32(in->rs2), &fl_));
L_fclass_s:
	FP_CHECK();
	RD = sf32_class(F32(in->rs1));
	NEXT;
#define ITOF(setter, expr)                  \
	do {                                \
		FP_RM(rm_);                 \
		uint32_t fl_ = 0;           \
		setter(expr);               \
		FFLAGS(fl_);                \
		NEXT;                       \
	} while (0)
L_fcvt_s_w:
	ITOF(SET_F32, sf32_from_i32((int32_t)RS1, rm_, &fl_));
L_fcvt_s_wu:
	ITOF(SET_F32, sf32_from_u32((uint32_t)RS1, rm_, &fl_));
L_fcvt_s_l:
	ITOF(SET_F32, sf32_from_i64((int64_t)RS1, rm_, &fl_));
L_fcvt_s_lu:
	ITOF(SET_F32, sf32_from_u64(RS1, rm_, &fl_));
L_fmv_w_x:
	FP_CHECK();
	SET_F32((uint32_t)RS1);
	NEXT;

	/* ---- D ---- */
L_fmadd_d:
	FMA_D(0, 0);
L_fmsub_d:
	FMA_D(0, S64);
L_fnmsub_d:
	FMA_D(S64, 0);
L_fnmadd_d:
	FMA_D(S64, S64);
L_fadd_d:
	FOP2_D(sf64_add);
L_fsub_d:
	FOP2_D(sf64_sub);
L_fmul_d:
	FOP2_D(sf64_mul);
L_fdiv_d:
	FOP2_D(sf64_div);
L_fsqrt_d: {
	FP_RM(rm);
	uint32_t fl = 0;
	uint64_t r = sf64_sqrt(f[in->rs1], rm, &fl);
	SET_F64(r);
	FFLAGS(fl);
	NEXT;
}
L_fsgnj_d:
	FP_CHECK();
	SET_F64((f[in->rs1] & ~S64) | (f[in->rs2] & S64));
	NEXT;
L_fsgnjn_d:
	FP_CHECK();
	SET_F64((f[in->rs1] & ~S64) | (~f[in->rs2] & S64));
	NEXT;
L_fsgnjx_d:
	FP_CHECK();
	SET_F64(f[in->rs1] ^ (f[in->rs2] & S64));
	NEXT;
L_fmin_d: {
	FP_CHECK();
	uint32_t fl = 0;
	uint64_t r = sf64_min(f[in->rs1], f[in->rs2], &fl);
	SET_F64(r);
	FFLAGS(fl);
	NEXT;
}
L_fmax_d: {
	FP_CHECK();
	uint32_t fl = 0;
	uint64_t r = sf64_max(f[in->rs1], f[in->rs2], &fl);
	SET_F64(r);
	FFLAGS(fl);
	NEXT;
}
L_fcvt_s_d:
	ITOF(SET_F32, sf64_to_f32(f[in->rs1], rm_, &fl_));
L_fcvt_d_s: {
	FP_CHECK();
	uint32_t fl = 0;
	uint64_t r = sf32_to_f64(F32(in->rs1), &fl);
	SET_F64(r);
	FFLAGS(fl);
	NEXT;
}
L_feq_d:
	FP_CHECK();
	FTOX((uint64_t)sf64_eq(f[in->rs1], f[in->rs2], &fl_));
L_flt_d:
	FP_CHECK();
	FTOX((uint64_t)sf64_lt(f[in->rs1], f[in->rs2], &fl_));
L_fle_d:
	FP_CHECK();
	FTOX((uint64_t)sf64_le(f[in->rs1], f[in->rs2], &fl_));
L_fclass_d:
	FP_CHECK();
	RD = sf64_class(f[in->rs1]);
	NEXT;
L_fcvt_w_d: {
	FP_RM(rm);
	FTOX((uint64_t)sf64_to_i32(f[in->rs1], rm, &fl_));
}
L_fcvt_wu_d: {
	FP_RM(rm);
	FTOX((uint64_t)sf64_to_u32(f[in->rs1], rm, &fl_));
}
L_fcvt_l_d: {
	FP_RM(rm);
	FTOX((uint64_t)sf64_to_i64(f[in->rs1], rm, &fl_));
}
L_fcvt_lu_d: {
	FP_RM(rm);
	FTOX(sf64_to_u64(f[in->rs1], rm, &fl_));
}
L_fcvt_d_w:
	ITOF(SET_F64, sf64_from_i32((int32_t)RS1, rm_, &fl_));
L_fcvt_d_wu:
	ITOF(SET_F64, sf64_from_u32((uint32_t)RS1, rm_, &fl_));
L_fcvt_d_l:
	ITOF(SET_F64, sf64_from_i64((int64_t)RS1, rm_, &fl_));
L_fcvt_d_lu:
	ITOF(SET_F64, sf64_from_u64(RS1, rm_, &fl_));
L_fmv_x_d:
	FP_CHECK();
	RD = f[in->rs1];
	NEXT;
L_fmv_d_x:
	FP_CHECK();
	SET_F64(RS1);
	NEXT;

	/* ---- Zicsr: always last in a block ---- */
	{
		unsigned csr;
		uint64_t src;
		bool do_write;
		int kind; /* 0 write, 1 set, 2 clear */
L_csrrw:
		src = RS1, do_write = true, kind = 0;
		goto csr_op;
L_csrrs:
		src = RS1, do_write = in->rs1 != 0, kind = 1;
		goto csr_op;
L_csrrc:
		src = RS1, do_write = in->rs1 != 0, kind = 2;
		goto csr_op;
L_csrrwi:
		src = in->rs1, do_write = true, kind = 0;
		goto csr_op;
L_csrrsi:
		src = in->rs1, do_write = in->rs1 != 0, kind = 1;
		goto csr_op;
L_csrrci:
		src = in->rs1, do_write = in->rs1 != 0, kind = 2;
csr_op:
		csr = (unsigned)in->imm & 0xfff;
		h->pc = PC;
		h->icount += in->idx;
		uint64_t old = 0;
		/* csrrw with rd = x0 does not read (Zicsr chapter). */
		bool do_read = !(kind == 0 && in->rd == 32);
		if (do_read && csr_read(h, csr, &old))
			goto csr_illegal;
		if (do_write) {
			if (!do_read && csr_read(h, csr, &old))
				goto csr_illegal;
			uint64_t base = kind ? csr_rmw_base(h, csr, old) : old;
			uint64_t nv = kind == 0 ? src : kind == 1 ? base | src : base & ~src;
			if (csr_write(h, csr, nv))
				goto csr_illegal;
		}
		RD = old;
		h->icount += 1;
		h->pc = PC + in->len;
		h->exit_req = true;
		goto chain;
csr_illegal:
		hart_trap(h, CAUSE_ILLEGAL_INSN, in->raw);
		return;
	}

	/* ---- Privileged ---- */
L_mret:
	h->pc = PC;
	h->icount += in->idx;
	if (hart_mret(h)) {
		hart_trap(h, CAUSE_ILLEGAL_INSN, in->raw);
		return;
	}
	h->icount += 1;
	h->exit_req = true;
	goto chain;
L_sret:
	h->pc = PC;
	h->icount += in->idx;
	if (hart_sret(h)) {
		hart_trap(h, CAUSE_ILLEGAL_INSN, in->raw);
		return;
	}
	h->icount += 1;
	h->exit_req = true;
	goto chain;
L_wfi:
	/* Illegal in U-mode, and in S-mode when mstatus.TW is set
	 * (privileged spec 3.1.6.5). */
	if (h->priv == PRIV_U || (h->priv == PRIV_S && (h->mstatus & MSTATUS_TW)))
		goto illegal;
	spin_effect(h);
	h->wfi = true;
	h->exit_req = true;
	JUMP(PC + in->len);
L_sfence_vma:
	if (h->priv == PRIV_U || (h->priv == PRIV_S && (h->mstatus & MSTATUS_TVM)))
		goto illegal;
	/* With an address, only that page's translations go (those of a
	 * superpage holding it: all of them); the spec asks no more. */
	if (in->rs1)
		hart_flush_page(h, RS1);
	else
		hart_flush_tlb(h);
	h->exit_req = true;
	JUMP(PC + in->len);

L_illegal:
illegal:
	RAISE(CAUSE_ILLEGAL_INSN, in->raw);

exception:
	h->pc = PC;
	h->icount += in->idx;
	hart_trap(h, h->exc_cause, h->exc_tval);
	return;
exception_set:
	/* A slow path left cause and tval in the hart. */
	h->pc = PC;
	h->icount += in->idx;
	hart_trap(h, h->exc_cause, h->exc_tval);
	return;

stop_after:
	/* A slow path asked to leave right after this instruction. */
	h->pc = PC + in->len;
	h->icount += in->idx + 1u;
	return;

L_plugin_cb:
	/* A plugin subscribed the next instruction (hv/hooks.h): call it with
	 * the exact pc and count; this entry retires nothing. If the call
	 * changed what the block assumed (pc, translation, code), leave before
	 * the instruction; the re-entry must not call the plugin twice. */
	h->pc = PC;
	h->icount += in->idx;
	if (!(h->plugin_skip && h->plugin_skip_pc == h->pc &&
	      h->plugin_skip_icount == h->icount)) {
		/* Only what the callback asks for ends the block here: an
		 * exit requested earlier (a timer made pending) is served
		 * where it would be without plugins. */
		bool before = h->exit_req;
		h->exit_req = false;
		h->plugin_skip = false;
		h->m->hooks->insn(h->m->hooks->opaque, h, (uint32_t)in->imm);
		bool asked = h->exit_req;
		h->exit_req = before || asked;
		if (asked || h->pc != PC) {
			h->plugin_skip = true;
			h->plugin_skip_pc = h->pc;
			h->plugin_skip_icount = h->icount;
			return;
		}
	}
	h->icount -= in->idx;
	NEXT;

L_block_end:
	/* Sentinel after the last instruction of a block that did not end
	 * in a control transfer: fall through to the next address. */
	h->pc = PC;
	h->icount += in->idx;

chain:
	b = exec_chain_next(h, stop);
	if (!b)
		return;
	goto enter;
#undef PC
}
/* clang-format on */

/* The dispatch table's addresses are published once, before main (as the
 * decoder's index is, decode.c), so that they are constants for every
 * machine and every thread that runs one. */
__attribute__((constructor(102))) static void exec_init(void)
{
	char err[128];

	exec_blocks(NULL, NULL, 0);
	/* The engine from the environment, for every program built on the
	 * core (tests run under both engines this way); the CLI checks the
	 * same variables and reports a bad value. */
	(void)jit_settings_from_env(err, sizeof(err));
}

int exec_insn_alone(struct hart *h, const struct insn *in, uint64_t base_pc)
{
	struct {
		struct block b;
		struct insn insn[2];
	} t;
	icount_t base = h->icount;
	uint64_t pc = base_pc + in->pcoff;
	unsigned retires = in->handler == exec_plugin_handler ? 0 : 1;

	/* The instruction, then a sentinel that counts one instruction more
	 * than there is: only the handler's NEXT (go on with the block)
	 * reaches it, so a count one past the instruction's tells NEXT from
	 * the paths that leave the block with the same pc and count
	 * (stop_after, a jump to the next address). Those keep their exact
	 * state. The stop is the count after the instruction: whichever path
	 * it takes, the chain returns at once. */
	t.b.n = retires;
	t.insn[0] = *in;
	t.insn[0].pcoff = 0;
	t.insn[0].idx = 0;
	memset(&t.insn[1], 0, sizeof(t.insn[1]));
	t.insn[1].handler = exec_end_handler;
	t.insn[1].pcoff = in->len;
	t.insn[1].idx = (uint16_t)(retires + 1);
	h->pc = pc;
	h->icount = base + in->idx;
	exec_blocks(h, &t.b, h->icount + retires);
	if (h->icount == base + in->idx + retires + 1u) {
		/* NEXT: the block goes on, whatever exit_req says (the
		 * interpreter looks at it only between blocks). */
		h->icount = base;
		return 0;
	}
	/* A jump that ended the block normally (its class ends blocks, one
	 * retired): the interpreter's chain follows unless an exit is
	 * requested. */
	if (retires && !h->exit_req && h->icount == base + in->idx + 1u &&
	    (isa_table[in->id < ISA_COUNT ? in->id : 0].cls & ISA_CLASS_ENDS_BLOCK) &&
	    in->id < ISA_COUNT)
		return 2;
	return 1;
}

bool exec_is_sentinel(const struct insn *in)
{
	return in->handler == exec_end_handler;
}

bool exec_is_plugin_entry(const struct insn *in)
{
	return in->handler == exec_plugin_handler;
}

/* Run blocks from b with the JIT: translated ones as host code, others
 * (not hot yet) one at a time in the interpreter, chaining through the
 * jump cache as exec_blocks does. */
static void exec_jit_blocks(struct hart *h, struct block *b, icount_t stop)
{
	struct jit **jitp = block_cache_jit(h->m->blocks);
	uintptr_t site = 0; /* the last block's exit, to link to this one */
	uint32_t site_gen = 0;

	for (;;) {
		jit_fn fn = jit_code(jitp, b, h->pc);
		if (fn) {
			if (site)
				jit_link(*jitp, site_gen, site, fn);
			uintptr_t r = jit_run(*jitp, fn, h, stop);
			if (r == 1)
				return;
			site = r;
			site_gen = jit_generation(*jitp);
		} else {
			site = 0;
			icount_t start = h->icount;
			exec_blocks(h, b, start + b->n);
			if (h->icount != start + b->n)
				return;
		}
		b = exec_chain_next(h, stop);
		if (!b)
			return;
	}
}

bool exec_runnable(const struct hart *h)
{
	if (h->hsm != HSM_STARTED && h->hsm != HSM_SUSPENDED)
		return false;
	if (h->trap_loop)
		return hart_pending_irq(h) >= 0;
	if (h->wfi || h->hsm == HSM_SUSPENDED)
		return ((h->mip | h->mip_ext) & h->mie) != 0;
	return true;
}

/* Find (or decode) the block at h->pc. On a fetch fault, takes the trap and
 * returns NULL. tmp is used for uncached blocks: straddling instructions
 * and blocks cut short by the budget. */
static struct block *exec_find_block(struct hart *h, icount_t budget, struct block *tmp)
{
	struct machine *m = h->m;
	struct jcache_entry *je = &h->jcache[(h->pc >> 1) & (JCACHE_SIZE - 1)];
	struct block *b;
	gpa_t pa;

	if (hart_jc_hit(h, je, h->pc))
		b = je->block;
	else {
		if (mmu_fetch_pa(h, h->pc, &pa)) {
			hart_trap(h, h->exc_cause, h->exc_tval);
			return NULL;
		}
		b = block_lookup(m, pa);
		if (!b)
			b = block_build(m, pa, exec_handlers, exec_end_handler);
		if (b && HV_UNLIKELY(m->dbg && m->dbg->nbp)) {
			/* A breakpoint in the block: run up to it only, and
			 * never enter the block in the jump cache, so that no
			 * chain can jump into it without the check (a block
			 * starting at a breakpoint runs one instruction, when
			 * resuming from that breakpoint). */
			uint64_t bp = debug_first_break(m, h->pc, h->pc + b->bytes);
			if (bp != ~0ull) {
				const struct insn *e = b->insn;
				while (e->handler != exec_end_handler && h->pc + e->pcoff < bp)
					e++;
				if (e->idx < budget)
					budget = e->idx ? e->idx : 1;
				goto uncached;
			}
		}
		if (b) {
			je->vpc = h->pc;
			je->tag = hart_jc_tag(h);
			je->pgen = hart_jc_pgen(h, h->pc);
			je->block = b;
		}
	}
	if (b && b->n <= budget)
		return b;

	/* Uncached: a block cut to the budget, or one instruction that
	 * straddles a page boundary (fetched in two translated halves). */
uncached:
	if (mmu_fetch_pa(h, h->pc, &pa)) {
		hart_trap(h, h->exc_cause, h->exc_tval);
		return NULL;
	}
	int n = block_decode(m, pa, (unsigned)(budget < BLOCK_MAX_INSNS ? budget : BLOCK_MAX_INSNS),
			     tmp->insn, exec_handlers, exec_end_handler);
	if (n > 0 && HV_UNLIKELY(m->hooks))
		block_instrument(m, h->pc, pa, tmp->insn, (unsigned)n, exec_plugin_handler);
	if (n == 0) {
		uint16_t lo, hi;
		gpa_t pa2;
		if (!machine_read_phys(m, pa, &lo, 2)) {
			hart_trap(h, CAUSE_FETCH_ACCESS, h->pc);
			return NULL;
		}
		if (mmu_fetch_pa(h, h->pc + 2, &pa2)) {
			hart_trap(h, h->exc_cause, h->exc_tval);
			return NULL;
		}
		if (!machine_read_phys(m, pa2, &hi, 2)) {
			hart_trap(h, CAUSE_FETCH_ACCESS, h->pc + 2);
			return NULL;
		}
		struct insn *in = &tmp->insn[0];
		block_fill_insn(in, (uint32_t)lo | (uint32_t)hi << 16, exec_handlers);
		memset(&in[1], 0, sizeof(in[1]));
		in[1].handler = exec_end_handler;
		in[1].pcoff = in->len;
		in[1].idx = 1;
		n = 1;
		/* Plugins see this instruction like any other. */
		if (HV_UNLIKELY(m->hooks))
			block_instrument(m, h->pc, pa, tmp->insn, 1, exec_plugin_handler);
	}
	tmp->n = (uint32_t)n;
	tmp->pa = pa;
	return tmp;
}

void exec_run(struct hart *h, icount_t limit)
{
	struct machine *m = h->m;
	struct {
		struct block b;
		struct insn insn[2 * BLOCK_MAX_INSNS + 1]; /* room for plugins' entries */
	} tmp;

	spin_new_slice(h);
	while (h->icount < limit && m->stop == STOP_NONE) {
		h->exit_req = false;
		block_reap(m->blocks);
		if (h->icount >= h->timer_deadline)
			hart_timer_update(h);
		if (h->hsm != HSM_STARTED && h->hsm != HSM_SUSPENDED)
			return;
		int irq = hart_pending_irq(h);
		if (irq < 0 && h->trap_loop)
			return;
		if (HV_UNLIKELY(h->spin.ready)) {
			/* A trap loop proved endless (spin.h): its turns up
			 * to the stop are skipped, then this loop goes on
			 * from its top (a timer may be due there). */
			spin_skip(h, limit < h->timer_deadline ? limit : h->timer_deadline, irq);
			continue;
		}
		if (irq >= 0) {
			h->wfi = false;
			h->trap_loop = false;
			if (h->hsm == HSM_SUSPENDED)
				hart_hsm_wake(h);
			hart_take_irq(h, irq);
		} else if (h->wfi || h->hsm == HSM_SUSPENDED) {
			/* WFI resumes on any interrupt pending in mie, even
			 * one that is globally disabled (spec 3.3.3). */
			if (!exec_runnable(h))
				return;
			h->wfi = false;
			if (h->hsm == HSM_SUSPENDED)
				hart_hsm_wake(h);
		}
		icount_t stop = limit < h->timer_deadline ? limit : h->timer_deadline;
		if (stop <= h->icount)
			stop = h->icount + 1;
		if (HV_UNLIKELY(m->hooks && m->hooks->pending))
			m->hooks->apply(m->hooks->opaque, h);
		if (HV_UNLIKELY(m->dbg && m->dbg->active)) {
			/* Breakpoints at this pc, stop targets (hv/cpu/debug.h). */
			if (debug_check_before(h))
				return;
			stop = h->icount + debug_budget(h, stop - h->icount);
		}
		icount_t start_icount = h->icount;
		uint64_t start_pc = h->pc;
		struct block *b = exec_find_block(h, stop - h->icount, &tmp.b);
		if (b) {
			/* While a debugger has points, steps or positions
			 * armed, the interpreter runs (breakpoints,
			 * watchpoints, steps and reverse execution keep their
			 * one implementation); a debugged machine that just
			 * runs on runs translated. */
			if (jit_settings.engine == ENGINE_JIT && b != &tmp.b &&
			    !(m->dbg && m->dbg->active))
				exec_jit_blocks(h, b, stop);
			else
				exec_blocks(h, b, stop);
		}
		/* Plugins' changes from the middle of that instruction apply
		 * now that it is complete (hooks.h). */
		if (HV_UNLIKELY(m->hooks && m->hooks->pending))
			m->hooks->apply(m->hooks->opaque, h);
		/* Nothing retired and we are back where we started: the trap
		 * vector traps to itself. Stall like WFI instead of spinning on
		 * the host (the scheduler advances time; an interrupt the hart
		 * takes, e.g. to M-mode, frees it). A debugger's stop here must
		 * not undo the stall (trap_loop_round: retried next round). */
		if (h->icount == start_icount && h->pc == start_pc && irq < 0 &&
		    !(h->plugin_skip && h->plugin_skip_pc == h->pc &&
		      h->plugin_skip_icount == h->icount)) {
			h->trap_loop = true;
			h->trap_loop_round = m->rounds;
			if (HV_UNLIKELY(m->dbg && m->dbg->active))
				debug_check_after(h);
			return;
		}
		if (HV_UNLIKELY(m->dbg && m->dbg->active) && debug_check_after(h))
			return;
	}
}
