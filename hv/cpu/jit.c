// SPDX-License-Identifier: MIT
/*
 * The just-in-time translator (jit.h): decoded blocks to x86-64.
 *
 * Host registers in translated code: rbx holds the hart (guest registers
 * are h->x[], at offset 0), r12 the block's first pc (h->pc on entry:
 * code is keyed by frame, so one translation serves every virtual address
 * that maps it), rax, rcx and rdx are scratch. h->icount stays the count
 * at the block's start while it runs, as in the interpreter; an exit adds
 * the instructions retired.
 *
 * An instruction the translator does not inline becomes a call of
 * exec_insn_alone(h, in, base_pc): the interpreter's own handler for it,
 * with the exact pc and count. It returns 0 when the instruction retired
 * and fell through with nothing to leave for, and the block goes on;
 * otherwise the state is exact and the block returns 1.
 */
#include "hv/cpu/jit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hv/cpu/block.h"
#include "hv/cpu/exec.h"
#include "hv/cpu/insn.h"
#include "hv/machine.h"

#if defined(__x86_64__) && defined(__linux__)
#include <sys/mman.h>
#include <unistd.h>
#define JIT_X86_64 1
#else
#define JIT_X86_64 0
#endif

struct jit_settings jit_settings = {
	.engine = JIT_DEFAULT_ENGINE,
	.cache_bytes = JIT_DEFAULT_CACHE,
	.hot = JIT_DEFAULT_HOT,
	.skip_spins = true,
	.log = NULL,
	.log_opaque = NULL,
};

bool jit_supported(void)
{
	return JIT_X86_64;
}

static bool parse_u64(const char *s, uint64_t *out)
{
	char *end;
	if (!*s || *s == '-')
		return false;
	unsigned long long v = strtoull(s, &end, 10);
	uint64_t mul = 1;
	if (*end == 'K' || *end == 'k')
		mul = 1u << 10, end++;
	else if (*end == 'M' || *end == 'm')
		mul = 1u << 20, end++;
	else if (*end == 'G' || *end == 'g')
		mul = 1u << 30, end++;
	if (*end || v > UINT64_MAX / mul)
		return false;
	*out = v * mul;
	return true;
}

bool jit_parse_size(const char *s, size_t *out)
{
	uint64_t v;
	if (!parse_u64(s, &v) || v < JIT_MIN_CACHE || v > ((uint64_t)1 << 32))
		return false;
	*out = (size_t)v;
	return true;
}

bool jit_settings_from_env(char *err, size_t errlen)
{
	const char *e = getenv("RETROVISOR_ENGINE");
	if (e && *e) {
		if (!strcmp(e, "interp"))
			jit_settings.engine = ENGINE_INTERP;
		else if (!strcmp(e, "jit"))
			jit_settings.engine = jit_supported() ? ENGINE_JIT : ENGINE_INTERP;
		else {
			snprintf(err, errlen, "RETROVISOR_ENGINE=%s: use jit or interp", e);
			return false;
		}
	}
	e = getenv("RETROVISOR_JIT_HOT");
	if (e && *e) {
		uint64_t v;
		if (!parse_u64(e, &v) || v > 1000000) {
			snprintf(err, errlen,
				 "RETROVISOR_JIT_HOT=%s: use a count from 0 to 1000000", e);
			return false;
		}
		jit_settings.hot = (unsigned)v;
	}
	e = getenv("RETROVISOR_SKIP_SPINS");
	if (e && *e) {
		if (strcmp(e, "0") && strcmp(e, "1")) {
			snprintf(err, errlen, "RETROVISOR_SKIP_SPINS=%s: use 1 (skip) or 0", e);
			return false;
		}
		jit_settings.skip_spins = *e == '1';
	}
	e = getenv("RETROVISOR_JIT_CACHE");
	if (e && *e && !jit_parse_size(e, &jit_settings.cache_bytes)) {
		snprintf(err, errlen, "RETROVISOR_JIT_CACHE=%s: use a size from 256K to 4G", e);
		return false;
	}
	return true;
}

/* Where the glue every block of a generation shares starts, in the
 * read-write mapping (emit_glue). */
struct glue {
	uint8_t *enter, *chain, *ret0, *ret, *leave;
};

struct jit {
	uint8_t *rw; /* the buffer, read-write */
	uint8_t *rx; /* the same pages, read-execute */
	size_t size, used;
	uint32_t gen;     /* translations of other generations are stale */
	bool broken;      /* the buffer could not be made: interpret */
	struct glue glue; /* this generation's, at the buffer's start */
	struct jit_stats st;
};

void jit_destroy(struct jit *j)
{
	if (!j)
		return;
#if JIT_X86_64
	if (j->rw)
		munmap(j->rw, j->size);
	if (j->rx)
		munmap(j->rx, j->size);
#endif
	free(j);
}

/* Every buffer's counts together (atomically: domains translate on
 * several threads). */
static struct jit_stats jit_total;

void jit_get_total_stats(struct jit_stats *out)
{
	out->blocks = __atomic_load_n(&jit_total.blocks, __ATOMIC_RELAXED);
	out->bytes = __atomic_load_n(&jit_total.bytes, __ATOMIC_RELAXED);
	out->flushes = __atomic_load_n(&jit_total.flushes, __ATOMIC_RELAXED);
	out->ns = __atomic_load_n(&jit_total.ns, __ATOMIC_RELAXED);
	out->links = __atomic_load_n(&jit_total.links, __ATOMIC_RELAXED);
	out->insns = __atomic_load_n(&jit_total.insns, __ATOMIC_RELAXED);
	out->used = __atomic_load_n(&jit_total.used, __ATOMIC_RELAXED);
	out->size = jit_settings.cache_bytes;
}

static void jit_count(uint64_t *field, uint64_t n)
{
	__atomic_fetch_add(field, n, __ATOMIC_RELAXED);
}

void jit_get_stats(struct jit *j, struct jit_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (!j)
		return;
	*out = j->st;
	out->used = j->used;
	out->size = j->size;
}

#if JIT_X86_64

static struct jit *jit_create(void)
{
	struct jit *j = calloc(1, sizeof(*j));
	if (!j)
		return NULL;
	j->gen = 1;
	j->size = jit_settings.cache_bytes;
	int fd = memfd_create("retrovisor-jit", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, (off_t)j->size) != 0) {
		if (fd >= 0)
			close(fd);
		j->broken = true;
		return j;
	}
	void *rw = mmap(NULL, j->size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	void *rx = mmap(NULL, j->size, PROT_READ | PROT_EXEC, MAP_SHARED, fd, 0);
	close(fd);
	if (rw == MAP_FAILED || rx == MAP_FAILED) {
		if (rw != MAP_FAILED)
			munmap(rw, j->size);
		if (rx != MAP_FAILED)
			munmap(rx, j->size);
		j->broken = true;
		return j;
	}
	j->rw = rw;
	j->rx = rx;
	return j;
}

/* ---- The emitter: every byte is checked against the end ---- */

enum {
	RAX = 0,
	RCX = 1,
	RDX = 2,
	RBX = 3,
	RSP = 4,
	RBP = 5,
	RSI = 6,
	RDI = 7,
	R12 = 12,
	R13 = 13,
	R14 = 14,
	R15 = 15
};

/* Where a rel32 jump goes once the block's exits are placed. */
enum { TO_RET0, TO_LEAVE, TO_CHAIN, TO_RET, TO_SLOW, TO_LINK /* + k: link stub k */ };

#define MAX_FIXUPS (8 * BLOCK_MAX_INSNS + 16)

/* Guest registers that live in host registers while translated code
 * runs, in every block alike (so linked blocks pass them on without a
 * store or load): sp, ra, s0 and a0-a5, in rbp, r14, r15, rsi, rdi and
 * r8-r11. Their h->x copies are stale until code returns to C (the glue's
 * returns store them) or calls the interpreter (the slow path stores
 * them and loads them back). */
static const int8_t jit_gregs[] = { 2, 1, 8, 10, 11, 12, 13, 14, 15 };
static const int8_t jit_hregs[] = { RBP, R14, R15, RSI, RDI, 8, 9, 10, 11 };
#define JIT_NHREGS ((unsigned)sizeof(jit_hregs))

struct emit {
	uint8_t *start, *p, *end;
	bool overflow;
	/* Guest register -> the host register holding it (jit_gregs), or -1
	 * (then it is read and written in h->x). */
	int8_t hreg[33];
	uint32_t page_off; /* the block's offset in its page */
	/* Where each guest instruction's host code starts (for the log);
	 * insn_at[entries]: the exits and stubs after the last. Entries are
	 * the block's instructions and plugins' pseudo instructions. */
	uint32_t insn_at[2 * BLOCK_MAX_INSNS + 1];
	unsigned nlinks; /* exits that may be linked (jit_link) */
	/* TLB misses whose paths go after the body: the jne to patch, where
	 * to go back to, the instruction. */
	struct {
		uint8_t *jne, *resume;
		const struct insn *in;
	} miss[BLOCK_MAX_INSNS];
	unsigned nmiss;
	unsigned nfix;
	struct {
		uint8_t *at; /* the rel32 field */
		int to;
	} fix[MAX_FIXUPS];
};

static void b1(struct emit *e, unsigned v)
{
	if (e->p < e->end)
		*e->p++ = (uint8_t)v;
	else
		e->overflow = true;
}

static void b4(struct emit *e, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		b1(e, (v >> (8 * i)) & 0xff);
}

static void b8(struct emit *e, uint64_t v)
{
	b4(e, (uint32_t)v);
	b4(e, (uint32_t)(v >> 32));
}

static void rex(struct emit *e, bool w, int reg, int rm)
{
	unsigned r = 0x40 | (w ? 8 : 0) | ((reg & 8) ? 4 : 0) | ((rm & 8) ? 1 : 0);
	if (r != 0x40)
		b1(e, r);
}

static bool fits8(int64_t v)
{
	return v >= INT8_MIN && v <= INT8_MAX;
}

/* ModRM for [rbx + disp] with reg: disp8 when it fits (x1 to x15 do). */
static void at_rbx(struct emit *e, int reg, int32_t disp)
{
	if (fits8(disp)) {
		b1(e, 0x40 | (reg & 7) << 3 | RBX);
		b1(e, (uint8_t)disp);
		return;
	}
	b1(e, 0x80 | (reg & 7) << 3 | RBX);
	b4(e, (uint32_t)disp);
}

#define XOFF(r) ((int32_t)(offsetof(struct hart, x) + 8u * (r)))
#define HOFF(f) ((int32_t)offsetof(struct hart, f))

/* op reg, [rbx + disp] (64-bit when w) */
static void op_rm(struct emit *e, bool w, unsigned op, int reg, int32_t disp)
{
	rex(e, w, reg, RBX);
	if (op > 0xff)
		b1(e, op >> 8);
	b1(e, op & 0xff);
	at_rbx(e, reg, disp);
}

/* mov dst, src between host registers (nothing for a 64-bit move to
 * itself; a 32-bit one zero-extends, so it stays). */
static void mov_rr(struct emit *e, bool w, int dst, int src)
{
	if (w && dst == src)
		return;
	rex(e, w, src, dst);
	b1(e, 0x89);
	b1(e, 0xc0 | (src & 7) << 3 | (dst & 7));
}

/* reg = guest register r (64 bits, or its low 32 zero-extended). */
static void ld(struct emit *e, bool w, int reg, unsigned r)
{
	if (e->hreg[r] >= 0)
		mov_rr(e, w, reg, e->hreg[r]);
	else
		op_rm(e, w, 0x8b, reg, XOFF(r));
}

static void load_x(struct emit *e, int reg, unsigned r)
{
	ld(e, true, reg, r);
}

static void load_x32(struct emit *e, int reg, unsigned r)
{
	ld(e, false, reg, r);
}

/* Guest register r = reg. */
static void store_x(struct emit *e, unsigned r, int reg)
{
	if (e->hreg[r] >= 0)
		mov_rr(e, true, e->hreg[r], reg);
	else
		op_rm(e, true, 0x89, reg, XOFF(r));
}

/* op reg, guest register r, for the "op r, r/m" opcodes. */
static void op_rg(struct emit *e, bool w, unsigned op, int reg, unsigned r)
{
	int h = e->hreg[r];
	if (h < 0) {
		op_rm(e, w, op, reg, XOFF(r));
		return;
	}
	rex(e, w, reg, h);
	if (op > 0xff)
		b1(e, op >> 8);
	b1(e, op & 0xff);
	b1(e, 0xc0 | (reg & 7) << 3 | (h & 7));
}

static void op_ri(struct emit *e, bool w, unsigned digit, int rm, int32_t imm);

/* dst = guest register r + imm (64-bit): one lea when r has a host
 * register. */
static void ld_plus(struct emit *e, int dst, unsigned r, int32_t imm)
{
	int h = e->hreg[r];
	if (h < 0) {
		op_rm(e, true, 0x8b, dst, XOFF(r));
		if (imm)
			op_ri(e, true, 0, dst, imm);
		return;
	}
	if (!imm) {
		mov_rr(e, true, dst, h);
		return;
	}
	rex(e, true, dst, h);
	b1(e, 0x8d);
	if (fits8(imm)) {
		b1(e, 0x40 | (dst & 7) << 3 | (h & 7)); /* [h + disp8]: h is never rsp or r12 */
		b1(e, (uint8_t)imm);
		return;
	}
	b1(e, 0x80 | (dst & 7) << 3 | (h & 7)); /* [h + disp32] */
	b4(e, (uint32_t)imm);
}

/* h->x gets every host copy. */
static void store_all(struct emit *e)
{
	for (unsigned k = 0; k < JIT_NHREGS; k++)
		op_rm(e, true, 0x89, jit_hregs[k], XOFF(jit_gregs[k]));
}

/* Every host copy gets h->x. */
static void load_all(struct emit *e)
{
	for (unsigned k = 0; k < JIT_NHREGS; k++)
		op_rm(e, true, 0x8b, jit_hregs[k], XOFF(jit_gregs[k]));
}

/* op r/m(reg rm), imm with the group-1 digit (add 0, or 1, and 4, sub 5,
 * xor 6, cmp 7): imm8 when it fits (sign-extended as imm32 is). */
static void op_ri(struct emit *e, bool w, unsigned digit, int rm, int32_t imm)
{
	rex(e, w, 0, rm);
	b1(e, fits8(imm) ? 0x83 : 0x81);
	b1(e, 0xc0 | digit << 3 | (rm & 7));
	if (fits8(imm))
		b1(e, (uint8_t)imm);
	else
		b4(e, (uint32_t)imm);
}

/* Shift group 2 (shl 4, shr 5, sar 7) by imm8, or by cl if imm < 0. */
static void shift(struct emit *e, bool w, unsigned digit, int rm, int imm)
{
	rex(e, w, 0, rm);
	b1(e, imm < 0 ? 0xd3 : 0xc1);
	b1(e, 0xc0 | digit << 3 | (rm & 7));
	if (imm >= 0)
		b1(e, (unsigned)imm);
}

static void movsxd_rax_eax(struct emit *e)
{
	b1(e, 0x48), b1(e, 0x63), b1(e, 0xc0);
}

/* Guest register r = eax sign-extended (the W forms' result). */
static void store_sext32(struct emit *e, unsigned r)
{
	int h = e->hreg[r];
	if (h < 0) {
		movsxd_rax_eax(e);
		store_x(e, r, RAX);
		return;
	}
	rex(e, true, h, RAX);
	b1(e, 0x63);
	b1(e, 0xc0 | (h & 7) << 3); /* movsxd h, eax */
}

static void mov_imm64(struct emit *e, int reg, uint64_t v)
{
	rex(e, true, 0, reg);
	b1(e, 0xb8 + (reg & 7));
	b8(e, v);
}

/* reg = r12 + off (lea reg, [r12 + disp]); off must fit 32 bits. */
static void lea_r12(struct emit *e, int reg, int32_t off)
{
	rex(e, true, reg, R12);
	b1(e, 0x8d);
	b1(e, (fits8(off) ? 0x40 : 0x80) | (reg & 7) << 3 | 4);
	b1(e, 0x24);
	if (fits8(off))
		b1(e, (uint8_t)off);
	else
		b4(e, (uint32_t)off);
}

static bool fits32(int64_t v)
{
	return v >= INT32_MIN && v <= INT32_MAX;
}

/* reg = base pc + off, for any off. */
static void pc_plus(struct emit *e, int reg, int64_t off)
{
	if (fits32(off)) {
		lea_r12(e, reg, (int32_t)off);
		return;
	}
	mov_imm64(e, reg, (uint64_t)off);
	/* add reg, r12 */
	rex(e, true, R12, reg);
	b1(e, 0x01);
	b1(e, 0xc0 | (R12 & 7) << 3 | (reg & 7));
}

/* The rel32 of a jump or call whose opcode is emitted, to target to. */
static void jump_to_rel(struct emit *e, int to)
{
	if (e->nfix < MAX_FIXUPS && e->p + 4 <= e->end) {
		e->fix[e->nfix].at = e->p;
		e->fix[e->nfix].to = to;
		e->nfix++;
	} else
		e->overflow = true;
	b4(e, 0);
}

static void jump_to(struct emit *e, unsigned opcode2, int to)
{
	if (opcode2) {
		b1(e, 0x0f);
		b1(e, opcode2);
	} else
		b1(e, 0xe9);
	jump_to_rel(e, to);
}

/* A forward jump inside the block (jcc with its second opcode byte, or
 * jmp for 0): returns where its rel32 is, for land. */
static uint8_t *jump_fwd(struct emit *e, unsigned opcode2)
{
	if (opcode2) {
		b1(e, 0x0f);
		b1(e, opcode2);
	} else
		b1(e, 0xe9);
	uint8_t *at = e->p;
	b4(e, 0);
	return at;
}

static void land(struct emit *e, uint8_t *at)
{
	if (e->overflow)
		return;
	int32_t d = (int32_t)(e->p - (at + 4));
	memcpy(at, &d, 4);
}

/* r12 (the pc) = rax; r13 (the count) += n; on to the next block (the
 * chain). */
static void exit_to(struct emit *e, uint32_t n)
{
	mov_rr(e, true, R12, RAX);
	op_ri(e, true, 0, R13, (int32_t)n);
	jump_to(e, 0, TO_CHAIN);
}

/* An exit to base pc + off (an address known when translating): like
 * exit_to, but when off stays in the block's page the jump can later be
 * linked straight to the next block's code (jit_link): until then it goes
 * to a stub that returns its own address to exec_jit_blocks. */
static void exit_static(struct emit *e, int64_t off, uint32_t n)
{
	int64_t in_page = (int64_t)e->page_off + off;

	if (in_page < 0 || in_page >= (int64_t)HV_PAGE_SIZE || e->nlinks >= 3 * BLOCK_MAX_INSNS) {
		pc_plus(e, RAX, off);
		exit_to(e, n);
		return;
	}
	if (off) /* 0: a loop to the block's own start */
		lea_r12(e, R12, (int32_t)off);
	op_ri(e, true, 0, R13, (int32_t)n);
	jump_to(e, 0, TO_LINK + (int)e->nlinks++);
}

/* Call exec_insn_alone(h, in, r12); leave if it says so. */
static void call_alone(struct emit *e, const struct insn *in)
{
	mov_imm64(e, RAX, (uint64_t)(uintptr_t)in); /* rsi holds a guest register */
	b1(e, 0xe8);                                /* call the block's slow path (emit_slow) */
	jump_to_rel(e, TO_SLOW);
	if (in->id < ISA_COUNT && (isa_table[in->id].cls & ISA_CLASS_ENDS_BLOCK)) {
		/* 2: it jumped and the chain follows, from h->pc. */
		b1(e, 0x83), b1(e, 0xf8), b1(e, 2); /* cmp eax, 2 */
		uint8_t *other = jump_fwd(e, 0x85);
		op_rm(e, true, 0x8b, R12, HOFF(pc));
		jump_to(e, 0, TO_CHAIN);
		land(e, other);
	}
	b1(e, 0x85), b1(e, 0xc0); /* test eax, eax */
	jump_to(e, 0x85, TO_LEAVE);
}

/* An exit request makes the count to stop at ([rsp + off]) 0, so that the
 * next block's entry returns to exec_jit_blocks, which sees the request:
 * blocks check the budget alone. Requests come only from the interpreter
 * (the slow path) or from before the entry (the first block then runs to
 * its end, as exec_blocks runs it). */
static void emit_exit_to_stop(struct emit *e, unsigned off)
{
	b1(e, 0x80), at_rbx(e, 7, HOFF(exit_req)), b1(e, 0); /* cmp byte [rbx + exit_req], 0 */
	b1(e, 0x74), b1(e, off ? 9 : 8);                     /* je over the mov */
	b1(e, 0x48), b1(e, 0xc7), b1(e, off ? 0x44 : 0x04), b1(e, 0x24);
	if (off)
		b1(e, off);
	b4(e, 0); /* mov qword [rsp + off], 0 */
}

/* r13 holds the count minus the count to stop at ([rsp + off]), so that a
 * block's entry compares it with one constant (translate). These convert
 * between it and h->icount, through rcx. */
static void r13_to_icount(struct emit *e, unsigned off)
{
	mov_rr(e, true, RCX, R13);
	b1(e, 0x48), b1(e, 0x03), b1(e, off ? 0x4c : 0x0c), b1(e, 0x24); /* add rcx, [rsp + off] */
	if (off)
		b1(e, off);
	op_rm(e, true, 0x89, RCX, HOFF(icount));
}

static void icount_to_r13(struct emit *e, unsigned off)
{
	op_rm(e, true, 0x8b, R13, HOFF(icount));
	b1(e, 0x4c), b1(e, 0x2b), b1(e, off ? 0x6c : 0x2c), b1(e, 0x24); /* sub r13, [rsp + off] */
	if (off)
		b1(e, off);
}

/* The block's slow path, called with the instruction in rax: every host
 * copy and the block's starting count (r13) to h, exec_insn_alone(h, in,
 * r12), every copy and the count back; eax is its answer. */
static void emit_slow(struct emit *e)
{
	b1(e, 0x48), b1(e, 0x83), b1(e, 0xec), b1(e, 8); /* sub rsp, 8 */
	store_all(e);
	r13_to_icount(e, 16);
	b1(e, 0x48), b1(e, 0x89), b1(e, 0xc6); /* mov rsi, rax */
	b1(e, 0x48), b1(e, 0x89), b1(e, 0xdf); /* mov rdi, rbx */
	b1(e, 0x4c), b1(e, 0x89), b1(e, 0xe2); /* mov rdx, r12 */
	mov_imm64(e, RAX, (uint64_t)(uintptr_t)&exec_insn_alone);
	b1(e, 0xff), b1(e, 0xd0); /* call rax */
	emit_exit_to_stop(e, 16);
	load_all(e);
	icount_to_r13(e, 16);
	b1(e, 0x48), b1(e, 0x83), b1(e, 0xc4), b1(e, 8); /* add rsp, 8 */
	b1(e, 0xc3);                                     /* ret */
}

/* Load or store of size bytes at x[rs1] + imm through the TLB of kind acc;
 * a miss or a fault runs the instruction alone. */
static void mem_access(struct emit *e, const struct insn *in, unsigned acc, unsigned size,
		       bool store, bool sign)
{
	int32_t tlboff = (int32_t)(offsetof(struct hart, tlb) +
				   (size_t)acc * TLB_SIZE * sizeof(struct tlb_entry));
	_Static_assert(sizeof(struct tlb_entry) == 32, "rcx below is the index times 32");
	ld_plus(e, RAX, in->rs1, (int32_t)in->imm);
	b1(e, 0x89), b1(e, 0xc1); /* mov ecx, eax */
	op_ri(e, false, 4, RCX, (int32_t)((TLB_SIZE - 1) << HV_PAGE_SHIFT));
	shift(e, false, 5, RCX, HV_PAGE_SHIFT - 5);
	b1(e, 0x48), b1(e, 0x89), b1(e, 0xc2); /* mov rdx, rax */
	op_ri(e, true, 4, RDX, (int32_t) ~(uint32_t)(HV_PAGE_MASK & ~(size - 1)));
	/* cmp rdx, [rbx + rcx + tlboff] (the tag) */
	b1(e, 0x48), b1(e, 0x3b), b1(e, 0x94), b1(e, 0x0b);
	b4(e, (uint32_t)tlboff);
	uint8_t *miss = jump_fwd(e, 0x85); /* jne */
	/* add rax, [rbx + rcx + tlboff + 8] (the addend) */
	b1(e, 0x48), b1(e, 0x03), b1(e, 0x84), b1(e, 0x0b);
	b4(e, (uint32_t)(tlboff + (int32_t)offsetof(struct tlb_entry, addend)));
	if (store) {
		/* From rs2's host register, or rdx. */
		int s = e->hreg[in->rs2];
		if (s < 0) {
			load_x(e, RDX, in->rs2);
			s = RDX;
		}
		if (size == 2)
			b1(e, 0x66);
		if (size == 1 && s >= 4 && s < 8)
			b1(e, 0x40); /* sil, dil, bpl rather than dh, bh, ch */
		else
			rex(e, size == 8, s, RAX);
		b1(e, size == 1 ? 0x88 : 0x89);
		b1(e, (s & 7) << 3); /* [rax] */
	} else {
		/* Into rd's host register, or rax. */
		int d = e->hreg[in->rd] >= 0 ? e->hreg[in->rd] : RAX;
		unsigned k = size * 2 + sign;
		rex(e, k == 3 || k == 5 || k == 9 || k == 16 || k == 17, d, RAX);
		if (k <= 5)
			b1(e, 0x0f), b1(e, k == 2 ? 0xb6 : k == 3 ? 0xbe : k == 4 ? 0xb7 : 0xbf);
		else
			b1(e, k == 9 ? 0x63 : 0x8b); /* movsxd, or mov (lwu zero-extends) */
		b1(e, (d & 7) << 3);                 /* [rax] */
		if (d == RAX)
			store_x(e, in->rd, RAX);
	}
	/* The miss path goes after the block's body (emit_misses): the hit
	 * path falls through. */
	if (e->nmiss < BLOCK_MAX_INSNS) {
		e->miss[e->nmiss].jne = miss;
		e->miss[e->nmiss].resume = e->p;
		e->miss[e->nmiss].in = in;
		e->nmiss++;
		return;
	}
	uint8_t *done = jump_fwd(e, 0);
	land(e, miss);
	call_alone(e, in);
	land(e, done);
}

/* The TLB misses' paths: the instruction run alone, then back after its
 * hit path. */
static void emit_misses(struct emit *e)
{
	for (unsigned k = 0; k < e->nmiss; k++) {
		land(e, e->miss[k].jne);
		call_alone(e, e->miss[k].in);
		b1(e, 0xe9);
		b4(e, (uint32_t)(int32_t)(e->miss[k].resume - (e->p + 4)));
	}
}

/* Condition codes (the low nibble of jcc/setcc/cmovcc). */
enum { CC_B = 2, CC_AE = 3, CC_E = 4, CC_NE = 5, CC_L = 0xc, CC_GE = 0xd };

static void setcc_rd(struct emit *e, unsigned cc, unsigned rd)
{
	b1(e, 0x0f), b1(e, 0x90 | cc), b1(e, 0xc0); /* setcc al */
	b1(e, 0x0f), b1(e, 0xb6), b1(e, 0xc0);      /* movzx eax, al */
	store_x(e, rd, RAX);
}

/* rd = the high half of rs1 * rs2 (mulh, mulhu, mulhsu). */
static void emit_mulh(struct emit *e, const struct insn *in)
{
	load_x(e, RCX, in->rs2);
	load_x(e, RAX, in->rs1);
	b1(e, 0x48), b1(e, 0xf7), b1(e, in->op == ISA_mulh ? 0xe9 : 0xe1); /* imul/mul rcx */
	if (in->op == ISA_mulhsu) {
		/* Unsigned high half, less rs2 when rs1 is negative. */
		load_x(e, RAX, in->rs1);
		b1(e, 0x48), b1(e, 0x85), b1(e, 0xc0); /* test rax, rax */
		uint8_t *pos = jump_fwd(e, 0x89);      /* jns */
		b1(e, 0x48), b1(e, 0x29), b1(e, 0xca); /* sub rdx, rcx */
		land(e, pos);
	}
	store_x(e, in->rd, RDX);
}

/* rd = rs1 / rs2 or rs1 % rs2 with RISC-V's answers for a zero divisor
 * (all ones; the dividend) and for overflow (the dividend; 0), which x86
 * would trap on; w: the 32-bit forms, sign-extended. */
static void emit_div(struct emit *e, const struct insn *in, bool sign, bool rem, bool w)
{
	load_x(e, RCX, in->rs2);
	load_x(e, RAX, in->rs1);
	rex(e, !w, 0, 0), b1(e, 0x85), b1(e, 0xc9); /* test rcx, rcx */
	uint8_t *zero = jump_fwd(e, 0x84);          /* jz */
	uint8_t *minus1 = NULL;
	if (sign) {
		rex(e, !w, 0, 0), b1(e, 0x83), b1(e, 0xf9), b1(e, 0xff); /* cmp rcx, -1 */
		minus1 = jump_fwd(e, 0x84);                              /* je */
		rex(e, !w, 0, 0), b1(e, 0x99);                           /* cqo / cdq */
		rex(e, !w, 0, 0), b1(e, 0xf7), b1(e, 0xf9);              /* idiv rcx */
	} else {
		b1(e, 0x31), b1(e, 0xd2);                   /* xor edx, edx */
		rex(e, !w, 0, 0), b1(e, 0xf7), b1(e, 0xf1); /* div rcx */
	}
	if (rem)
		mov_rr(e, true, RAX, RDX);
	uint8_t *done = jump_fwd(e, 0);
	land(e, zero);
	if (!rem)
		b1(e, 0x48), b1(e, 0xc7), b1(e, 0xc0), b4(e, 0xffffffffu); /* mov rax, -1 */
	if (sign) {
		uint8_t *done2 = jump_fwd(e, 0);
		land(e, minus1);
		if (rem)
			b1(e, 0x31), b1(e, 0xc0); /* xor eax, eax */
		else
			rex(e, !w, 0, 0), b1(e, 0xf7), b1(e, 0xd8); /* neg rax */
		land(e, done2);
	}
	land(e, done);
	if (w)
		movsxd_rax_eax(e);
	store_x(e, in->rd, RAX);
}

/* Whether a group-1 operation with this immediate can be inlined. */
static bool imm_ok(const struct insn *in)
{
	return fits32(in->imm);
}

/* Emit instruction in; returns false when it ended the block (its code
 * leaves). */
static bool emit_insn(struct emit *e, const struct insn *in)
{
	unsigned rd = in->rd, rs1 = in->rs1, rs2 = in->rs2;
	int64_t pcoff = in->pcoff;
	uint32_t retired = (uint32_t)in->idx + 1u;

	switch (in->op) {
	case ISA_lui:
		if (!imm_ok(in))
			break;
		if (rd != 32) {
			/* mov rax, simm32 */
			b1(e, 0x48), b1(e, 0xc7), b1(e, 0xc0), b4(e, (uint32_t)in->imm);
			store_x(e, rd, RAX);
		}
		return true;
	case ISA_auipc:
		if (rd != 32) {
			pc_plus(e, RAX, pcoff + in->imm);
			store_x(e, rd, RAX);
		}
		return true;
	case ISA_add:
	case ISA_sub:
	case ISA_and:
	case ISA_or:
	case ISA_xor: {
		unsigned op = in->op == ISA_add ? 0x03 :
			      in->op == ISA_sub ? 0x2b :
			      in->op == ISA_and ? 0x23 :
			      in->op == ISA_or  ? 0x0b :
						  0x33;
		if (rd == 32)
			return true;
		int hd = e->hreg[rd];
		if (hd >= 0 && e->hreg[rs2] != hd) {
			load_x(e, hd, rs1);
			op_rg(e, true, op, hd, rs2);
			return true;
		}
		load_x(e, RAX, rs1);
		op_rg(e, true, op, RAX, rs2);
		store_x(e, rd, RAX);
		return true;
	}
	case ISA_addw:
	case ISA_subw:
		if (rd == 32)
			return true;
		load_x32(e, RAX, rs1);
		op_rg(e, false, in->op == ISA_addw ? 0x03 : 0x2b, RAX, rs2);
		store_sext32(e, rd);
		return true;
	case ISA_mul:
		if (rd == 32)
			return true;
		load_x(e, RAX, rs1);
		op_rg(e, true, 0x0faf, RAX, rs2);
		store_x(e, rd, RAX);
		return true;
	case ISA_mulw:
		if (rd == 32)
			return true;
		load_x32(e, RAX, rs1);
		op_rg(e, false, 0x0faf, RAX, rs2);
		movsxd_rax_eax(e);
		store_x(e, rd, RAX);
		return true;
	case ISA_mulh:
	case ISA_mulhu:
	case ISA_mulhsu:
		emit_mulh(e, in);
		return true;
	case ISA_div:
	case ISA_divu:
	case ISA_rem:
	case ISA_remu:
	case ISA_divw:
	case ISA_divuw:
	case ISA_remw:
	case ISA_remuw:
		emit_div(e, in,
			 in->op == ISA_div || in->op == ISA_rem || in->op == ISA_divw ||
				 in->op == ISA_remw,
			 in->op == ISA_rem || in->op == ISA_remu || in->op == ISA_remw ||
				 in->op == ISA_remuw,
			 in->op == ISA_divw || in->op == ISA_divuw || in->op == ISA_remw ||
				 in->op == ISA_remuw);
		return true;
	case ISA_slt:
	case ISA_sltu:
		if (rd == 32)
			return true;
		load_x(e, RAX, rs1);
		op_rg(e, true, 0x3b, RAX, rs2);
		setcc_rd(e, in->op == ISA_slt ? CC_L : CC_B, rd);
		return true;
	case ISA_sll:
	case ISA_srl:
	case ISA_sra:
	case ISA_sllw:
	case ISA_srlw:
	case ISA_sraw: {
		bool w64 = in->op == ISA_sll || in->op == ISA_srl || in->op == ISA_sra;
		unsigned digit = (in->op == ISA_sll || in->op == ISA_sllw) ? 4 :
				 (in->op == ISA_srl || in->op == ISA_srlw) ? 5 :
									     7;
		if (rd == 32)
			return true;
		load_x(e, RCX, rs2);
		if (w64)
			load_x(e, RAX, rs1);
		else
			load_x32(e, RAX, rs1);
		shift(e, w64, digit, RAX, -1);
		if (!w64)
			movsxd_rax_eax(e);
		store_x(e, rd, RAX);
		return true;
	}
	case ISA_addi:
	case ISA_andi:
	case ISA_ori:
	case ISA_xori: {
		if (!imm_ok(in))
			break;
		unsigned digit = in->op == ISA_addi ? 0 :
				 in->op == ISA_andi ? 4 :
				 in->op == ISA_ori  ? 1 :
						      6;
		if (rd == 32)
			return true;
		int hd = e->hreg[rd];
		if (in->op == ISA_addi) {
			ld_plus(e, hd >= 0 ? hd : RAX, rs1, (int32_t)in->imm);
			if (hd < 0)
				store_x(e, rd, RAX);
			return true;
		}
		if (hd >= 0) {
			load_x(e, hd, rs1);
			op_ri(e, true, digit, hd, (int32_t)in->imm);
			return true;
		}
		load_x(e, RAX, rs1);
		op_ri(e, true, digit, RAX, (int32_t)in->imm);
		store_x(e, rd, RAX);
		return true;
	}
	case ISA_addiw:
		if (!imm_ok(in))
			break;
		if (rd == 32)
			return true;
		if (e->hreg[rs1] >= 0) {
			int hs = e->hreg[rs1];
			rex(e, false, RAX, hs);
			b1(e, 0x8d);
			b1(e, 0x80 | (hs & 7)); /* lea eax, [hs + imm] */
			b4(e, (uint32_t)in->imm);
		} else {
			load_x32(e, RAX, rs1);
			op_ri(e, false, 0, RAX, (int32_t)in->imm);
		}
		store_sext32(e, rd);
		return true;
	case ISA_slti:
	case ISA_sltiu:
		if (!imm_ok(in))
			break;
		if (rd == 32)
			return true;
		load_x(e, RAX, rs1);
		op_ri(e, true, 7, RAX, (int32_t)in->imm);
		setcc_rd(e, in->op == ISA_slti ? CC_L : CC_B, rd);
		return true;
	case ISA_slli:
	case ISA_srli:
	case ISA_srai:
	case ISA_slliw:
	case ISA_srliw:
	case ISA_sraiw: {
		bool w64 = in->op == ISA_slli || in->op == ISA_srli || in->op == ISA_srai;
		unsigned digit = (in->op == ISA_slli || in->op == ISA_slliw) ? 4 :
				 (in->op == ISA_srli || in->op == ISA_srliw) ? 5 :
									       7;
		if (rd == 32)
			return true;
		if (w64)
			load_x(e, RAX, rs1);
		else
			load_x32(e, RAX, rs1);
		shift(e, w64, digit, RAX, (int)(in->imm & (w64 ? 63 : 31)));
		if (!w64)
			movsxd_rax_eax(e);
		store_x(e, rd, RAX);
		return true;
	}
	case ISA_lb:
		mem_access(e, in, ACC_LOAD, 1, false, true);
		return true;
	case ISA_lbu:
		mem_access(e, in, ACC_LOAD, 1, false, false);
		return true;
	case ISA_lh:
		mem_access(e, in, ACC_LOAD, 2, false, true);
		return true;
	case ISA_lhu:
		mem_access(e, in, ACC_LOAD, 2, false, false);
		return true;
	case ISA_lw:
		mem_access(e, in, ACC_LOAD, 4, false, true);
		return true;
	case ISA_lwu:
		mem_access(e, in, ACC_LOAD, 4, false, false);
		return true;
	case ISA_ld:
		mem_access(e, in, ACC_LOAD, 8, false, true);
		return true;
	case ISA_sb:
		mem_access(e, in, ACC_STORE, 1, true, false);
		return true;
	case ISA_sh:
		mem_access(e, in, ACC_STORE, 2, true, false);
		return true;
	case ISA_sw:
		mem_access(e, in, ACC_STORE, 4, true, false);
		return true;
	case ISA_sd:
		mem_access(e, in, ACC_STORE, 8, true, false);
		return true;
	case ISA_fence:
	case ISA_fence_tso:
	case ISA_pause:
		return true;
	case ISA_beq:
	case ISA_bne:
	case ISA_blt:
	case ISA_bge:
	case ISA_bltu:
	case ISA_bgeu: {
		unsigned cc = in->op == ISA_beq  ? CC_E :
			      in->op == ISA_bne  ? CC_NE :
			      in->op == ISA_blt  ? CC_L :
			      in->op == ISA_bge  ? CC_GE :
			      in->op == ISA_bltu ? CC_B :
						   CC_AE;
		if (!fits32(pcoff + in->imm))
			break;
		int a = e->hreg[rs1];
		if (a < 0) {
			load_x(e, RAX, rs1);
			a = RAX;
		}
		if (rs2 == 0) {
			rex(e, true, a, a);
			b1(e, 0x85);
			b1(e, 0xc0 | (a & 7) << 3 | (a & 7)); /* test a, a: a - 0 */
		} else
			op_rg(e, true, 0x3b, a, rs2);
		uint8_t *taken = jump_fwd(e, 0x80 | cc);
		exit_static(e, pcoff + in->len, retired);
		land(e, taken);
		exit_static(e, pcoff + in->imm, retired);
		return false;
	}
	case ISA_jal:
		if (rd != 32) {
			lea_r12(e, RAX, (int32_t)(pcoff + in->len));
			store_x(e, rd, RAX);
		}
		exit_static(e, pcoff + in->imm, retired);
		return false;
	case ISA_jalr:
		if (!imm_ok(in))
			break;
		load_x(e, RAX, rs1);
		op_ri(e, true, 0, RAX, (int32_t)in->imm);
		op_ri(e, true, 4, RAX, -2);
		if (rd != 32) {
			lea_r12(e, RCX, (int32_t)(pcoff + in->len));
			store_x(e, rd, RCX);
		}
		exit_to(e, retired);
		return false;
	default:
		break;
	}
	/* The instruction retired and fell through if the call returns: a
	 * block-ending one is the block's last, so its end follows. */
	call_alone(e, in);
	return true;
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The most host code one block can need: the longest sequence (a memory
 * access with its call) for each instruction, the exit and the stubs. */
#define JIT_MAX_INSN_BYTES 400u
#define JIT_MAX_BLOCK_BYTES (JIT_MAX_INSN_BYTES * (BLOCK_MAX_INSNS + 2) + 256u)
/* Chained and linked blocks enter at a block's start (its checks), and
 * exec_jit_blocks, through the glue's entry, at its body, this far in. */
#define JIT_CHAIN_ENTRY 0
#define JIT_BODY 13

/* The chain, where every exit goes with the next pc in rax (stored in
 * h->pc, the count updated): the interpreter's chain (exec_blocks) in
 * host code. Unless an exit was requested, the jump cache has the next
 * block for this pc and privilege, that block is translated in this
 * generation and fits the budget (checked at that block's entry), go on at
 * its chain entry; otherwise return 0 to exec_jit_blocks, which does the
 * same checks and translates or interprets. */
static void emit_chain(struct emit *e, uint32_t gen)
{
	int32_t jc = (int32_t)offsetof(struct hart, jcache);

	_Static_assert(sizeof(struct jcache_entry) == 24, "jump cache entries are 3 words");
	b1(e, 0x4c), b1(e, 0x89), b1(e, 0xe1); /* mov rcx, r12 */
	shift(e, true, 5, RCX, 1);
	op_ri(e, false, 4, RCX, JCACHE_SIZE - 1);
	b1(e, 0x48), b1(e, 0x8d), b1(e, 0x0c), b1(e, 0x49); /* lea rcx, [rcx + rcx*2] */
	/* cmp r12, [rbx + rcx*8 + jc] (vpc) */
	b1(e, 0x4c), b1(e, 0x3b), b1(e, 0xa4), b1(e, 0xcb);
	b4(e, (uint32_t)(jc + (int32_t)offsetof(struct jcache_entry, vpc)));
	jump_to(e, 0x85, TO_RET0);
	/* edx = jc_epoch << 2 | priv (hart_jc_tag) */
	op_rm(e, false, 0x8b, RDX, HOFF(jc_epoch));
	shift(e, false, 4, RDX, 2);
	op_rm(e, false, 0x0b, RDX, HOFF(priv));
	/* cmp edx, [rbx + rcx*8 + jc + tag] */
	b1(e, 0x3b), b1(e, 0x94), b1(e, 0xcb);
	b4(e, (uint32_t)(jc + (int32_t)offsetof(struct jcache_entry, tag)));
	jump_to(e, 0x85, TO_RET0);
	/* eax = jc_page[(r12 >> 12) % JC_PAGES] (hart_jc_pgen); cmp eax, [... + pgen] */
	b1(e, 0x4c), b1(e, 0x89), b1(e, 0xe0); /* mov rax, r12 */
	shift(e, true, 5, RAX, HV_PAGE_SHIFT);
	op_ri(e, false, 4, RAX, JC_PAGES - 1);
	b1(e, 0x8b), b1(e, 0x84), b1(e, 0x83), b4(e, (uint32_t)HOFF(jc_page));
	b1(e, 0x3b), b1(e, 0x84), b1(e, 0xcb);
	b4(e, (uint32_t)(jc + (int32_t)offsetof(struct jcache_entry, pgen)));
	jump_to(e, 0x85, TO_RET0);
	/* mov rdx, [rbx + rcx*8 + jc + block] */
	b1(e, 0x48), b1(e, 0x8b), b1(e, 0x94), b1(e, 0xcb);
	b4(e, (uint32_t)(jc + (int32_t)offsetof(struct jcache_entry, block)));
	b1(e, 0x48), b1(e, 0x85), b1(e, 0xd2); /* test rdx, rdx */
	jump_to(e, 0x84, TO_RET0);
	/* cmp dword [rdx + jit_gen], gen */
	b1(e, 0x81), b1(e, 0xba), b4(e, (uint32_t)offsetof(struct block, jit_gen)), b4(e, gen);
	jump_to(e, 0x85, TO_RET0);
	/* mov rcx, [rdx + jit_code]; test rcx, rcx */
	b1(e, 0x48), b1(e, 0x8b), b1(e, 0x8a), b4(e, (uint32_t)offsetof(struct block, jit_code));
	b1(e, 0x48), b1(e, 0x85), b1(e, 0xc9);
	jump_to(e, 0x84, TO_RET0);
	if (JIT_CHAIN_ENTRY)
		op_ri(e, true, 0, RCX, JIT_CHAIN_ENTRY);
	b1(e, 0xff), b1(e, 0xe1); /* jmp rcx */
}

/* The host registers of the guest registers (the same in every block). */
static void allocate(struct emit *e, const struct block *b)
{
	(void)b;
	memset(e->hreg, -1, sizeof(e->hreg));
	for (unsigned k = 0; k < JIT_NHREGS; k++)
		e->hreg[jit_gregs[k]] = jit_hregs[k];
}

/* Patch e's rel32 fixups: to the glue, or to link stub k. */
static void resolve(struct emit *e, const struct glue *g, uint8_t *const *stub, uint8_t *slow)
{
	unsigned nstub = 0;
	for (unsigned k = 0; k < e->nfix; k++) {
		int t = e->fix[k].to;
		uint8_t *to = t == TO_RET0  ? g->ret0 :
			      t == TO_LEAVE ? g->leave :
			      t == TO_CHAIN ? g->chain :
			      t == TO_RET   ? g->ret :
			      t == TO_SLOW  ? slow :
					      stub[nstub++];
		int32_t rel = (int32_t)(to - (e->fix[k].at + 4));
		memcpy(e->fix[k].at, &rel, 4);
	}
}

/* The code every block of a generation jumps to, once at the buffer's
 * start: the entry from C, the chain (the next pc in r12), the returns of
 * 0 and of rax, and the early exit (1). */
static bool emit_glue(struct emit *e, uint32_t gen, struct glue *g)
{
	/* The entry, enter(h, stop, body): h in rbx, the count to stop at in
	 * [rsp], the pc in r12, the count minus that in r13 (r13_to_icount),
	 * the guest registers in their host registers; then the block's
	 * body. */
	g->enter = e->p;
	b1(e, 0x53);                                        /* push rbx */
	b1(e, 0x41), b1(e, 0x54);                           /* push r12 */
	b1(e, 0x41), b1(e, 0x55);                           /* push r13 */
	b1(e, 0x55);                                        /* push rbp */
	b1(e, 0x41), b1(e, 0x56);                           /* push r14 */
	b1(e, 0x41), b1(e, 0x57);                           /* push r15 */
	b1(e, 0x48), b1(e, 0x83), b1(e, 0xec), b1(e, 8);    /* sub rsp, 8 */
	b1(e, 0x48), b1(e, 0x89), b1(e, 0xfb);              /* mov rbx, rdi */
	b1(e, 0x48), b1(e, 0x89), b1(e, 0x34), b1(e, 0x24); /* mov [rsp], rsi */
	emit_exit_to_stop(e, 0);
	op_rm(e, true, 0x8b, R12, HOFF(pc));
	icount_to_r13(e, 0);
	mov_rr(e, true, RAX, RDX); /* rdx is a guest register's: the body in rax */
	load_all(e);
	b1(e, 0xff), b1(e, 0xe0); /* jmp rax */
	g->chain = e->p;
	emit_chain(e, gen);
	g->ret0 = e->p;
	b1(e, 0x31), b1(e, 0xc0); /* xor eax, eax */
	g->ret = e->p;
	/* The state translated code keeps in registers back to h. */
	op_rm(e, true, 0x89, R12, HOFF(pc));
	r13_to_icount(e, 0); /* rax is the answer */
	store_all(e);
	uint8_t *epilogue = e->p;
	b1(e, 0x48), b1(e, 0x83), b1(e, 0xc4), b1(e, 8); /* add rsp, 8 */
	b1(e, 0x41), b1(e, 0x5f);                        /* pop r15 */
	b1(e, 0x41), b1(e, 0x5e);                        /* pop r14 */
	b1(e, 0x5d);                                     /* pop rbp */
	b1(e, 0x41), b1(e, 0x5d);                        /* pop r13 */
	b1(e, 0x41), b1(e, 0x5c);                        /* pop r12 */
	b1(e, 0x5b);                                     /* pop rbx */
	b1(e, 0xc3);                                     /* ret */
	/* After the slow path said to leave, h is exact and the host copies
	 * equal it (r12 and r13 do not: they are not stored). */
	g->leave = e->p;
	b1(e, 0xb8), b4(e, 1); /* mov eax, 1 */
	uint8_t *to_epilogue = jump_fwd(e, 0);
	if (e->overflow)
		return false;
	int32_t d = (int32_t)(epilogue - (to_epilogue + 4));
	memcpy(to_epilogue, &d, 4);
	resolve(e, g, NULL, NULL);
	return true;
}

/* Translate b into e; false if the emitter ran out of room. */
static bool translate(struct emit *e, const struct block *b, const struct glue *g)
{
	allocate(e, b);
	/* The chain entry (from the glue and linked exits, with r12 the
	 * block's pc and r13 its count minus the count to stop at): nothing
	 * asks to leave and the block fits the budget (r13 + n <= 0, signed),
	 * or return 0 (the glue stores the
	 * pc and count, so h->pc is this block's). exec_jit_blocks enters
	 * after these checks, through the glue's entry: it checked the
	 * budget, and runs the block whatever exit_req says, as exec_blocks
	 * runs its first block (a block that ran nothing would look like a
	 * trap loop). */
	b1(e, 0x49), b1(e, 0x81), b1(e, 0xfd), b4(e, (uint32_t) - (int32_t)b->n); /* cmp r13, -n */
	jump_to(e, 0x8f, TO_RET0);                                                /* jg */
	if (e->p - e->start != JIT_BODY)
		return false;
	/* Entries up to the sentinel: instructions, and the pseudo
	 * instructions that call plugins (run alone, retiring nothing). */
	uint32_t nent = 0;
	while (nent < 2 * BLOCK_MAX_INSNS && !exec_is_sentinel(&b->insn[nent]))
		nent++;
	bool open = true;
	uint32_t i = 0;
	for (; i < nent && open; i++) {
		e->insn_at[i] = (uint32_t)(e->p - e->start);
		if (exec_is_plugin_entry(&b->insn[i]))
			call_alone(e, &b->insn[i]);
		else
			open = emit_insn(e, &b->insn[i]);
	}
	for (; i <= nent; i++)
		e->insn_at[i] = (uint32_t)(e->p - e->start);
	if (open) {
		/* Fell through the last instruction: the sentinel's address. */
		exit_static(e, b->insn[nent].pcoff, b->n);
	}
	emit_misses(e);
	uint8_t *slow = e->p;
	emit_slow(e);
	/* Link stubs, one per linkable exit, in the order of their fixups:
	 * return the address of the exit's rel32 (lea rax, [rip + d]). */
	uint8_t *stub[3 * BLOCK_MAX_INSNS];
	unsigned nstub = 0;
	unsigned nfix = e->nfix;
	for (unsigned k = 0; k < nfix && !e->overflow; k++) {
		if (e->fix[k].to < TO_LINK)
			continue;
		stub[nstub++] = e->p;
		b1(e, 0x48), b1(e, 0x8d), b1(e, 0x05);
		b4(e, (uint32_t)(int32_t)(e->fix[k].at - (e->p + 4)));
		jump_to(e, 0, TO_RET);
	}
	if (e->overflow)
		return false;
	resolve(e, g, stub, slow);
	return true;
}

uintptr_t jit_run(struct jit *j, jit_fn fn, struct hart *h, uint64_t stop)
{
	uintptr_t (*enter)(struct hart *, uint64_t, const uint8_t *) =
		(uintptr_t(*)(struct hart *, uint64_t, const uint8_t *))(j->rx +
									 (j->glue.enter - j->rw));
	/* r13 is the count minus stop, compared signed: keep the distance
	 * far from 2^63 (a round is much shorter anyway). */
	if (stop - h->icount > (1ull << 62))
		stop = h->icount + (1ull << 62);
	return enter(h, stop, (const uint8_t *)fn + JIT_BODY);
}

jit_fn jit_code(struct jit **jitp, struct block *b, uint64_t pc)
{
	struct jit *j = *jitp;
	if (j && b->jit_code && b->jit_gen == j->gen)
		return (jit_fn)b->jit_code;
	if (b->heat < jit_settings.hot) {
		b->heat++;
		return NULL;
	}
	if (!j) {
		j = *jitp = jit_create();
		if (!j)
			return NULL;
	}
	if (j->broken)
		return NULL;
	if (j->size - j->used < 2 * JIT_MAX_BLOCK_BYTES) {
		/* Full: drop every translation (between blocks, so none is
		 * running) and start again. */
		j->gen++;
		j->used = 0;
		j->st.flushes++;
		jit_count(&jit_total.flushes, 1);
		if (j->size < 2 * JIT_MAX_BLOCK_BYTES) {
			j->broken = true;
			return NULL;
		}
	}
	uint64_t t0 = now_ns();
	struct emit *e = malloc(sizeof(*e));
	if (!e)
		return NULL;
	if (j->used == 0) {
		/* A new generation: its glue first. */
		e->start = e->p = j->rw;
		e->end = e->start + JIT_MAX_BLOCK_BYTES;
		e->overflow = false;
		e->nfix = 0;
		if (!emit_glue(e, j->gen, &j->glue)) {
			free(e);
			j->broken = true;
			return NULL;
		}
		j->used = ((size_t)(e->p - e->start) + 15) & ~(size_t)15;
	}
	e->start = e->p = j->rw + j->used;
	e->end = e->start + JIT_MAX_BLOCK_BYTES;
	e->overflow = false;
	e->nfix = 0;
	e->nlinks = 0;
	e->nmiss = 0;
	e->page_off = (uint32_t)(b->pa & HV_PAGE_MASK);
	if (!translate(e, b, &j->glue)) {
		free(e);
		b->heat = 0; /* try again later: cannot happen by the bound above */
		return NULL;
	}
	size_t len = (size_t)(e->p - e->start);
	uint8_t *fn = j->rx + j->used;
	if (jit_settings.log)
		jit_settings.log(jit_settings.log_opaque, b, pc, e->insn_at, e->start, len,
				 (uint64_t)(uintptr_t)fn);
	free(e);
	j->used += (len + 15) & ~(size_t)15;
	b->jit_code = fn;
	b->jit_gen = j->gen;
	uint64_t ns = now_ns() - t0;
	j->st.blocks++;
	j->st.bytes += len;
	j->st.ns += ns;
	j->st.insns += b->n;
	jit_count(&jit_total.blocks, 1);
	jit_count(&jit_total.bytes, len);
	jit_count(&jit_total.ns, ns);
	jit_count(&jit_total.insns, b->n);
	size_t peak = __atomic_load_n(&jit_total.used, __ATOMIC_RELAXED);
	while (j->used > peak &&
	       !__atomic_compare_exchange_n(&jit_total.used, &peak, j->used, false,
					    __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
	return (jit_fn)fn;
}

uint32_t jit_generation(const struct jit *j)
{
	return j ? j->gen : 0;
}

void jit_link(struct jit *j, uint32_t gen, uintptr_t site, jit_fn to)
{
	uint8_t *at = (uint8_t *)site;
	if (!j || j->gen != gen || at < j->rx || at + 4 > j->rx + j->used)
		return;
	int32_t rel = (int32_t)((uint8_t *)(uintptr_t)to + JIT_CHAIN_ENTRY - (at + 4));
	memcpy(j->rw + (at - j->rx), &rel, 4);
	j->st.links++;
	jit_count(&jit_total.links, 1);
}

#else

uint32_t jit_generation(const struct jit *j)
{
	(void)j;
	return 0;
}

uintptr_t jit_run(struct jit *j, jit_fn fn, struct hart *h, uint64_t stop)
{
	(void)j;
	(void)fn;
	(void)h;
	(void)stop;
	return 1;
}

void jit_link(struct jit *j, uint32_t gen, uintptr_t site, jit_fn to)
{
	(void)j;
	(void)gen;
	(void)site;
	(void)to;
}

jit_fn jit_code(struct jit **jitp, struct block *b, uint64_t pc)
{
	(void)jitp;
	(void)b;
	(void)pc;
	return NULL;
}

#endif
