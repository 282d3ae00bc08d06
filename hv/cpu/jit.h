/* SPDX-License-Identifier: MIT */
/*
 * The just-in-time translator: decoded blocks (block.h) to x86-64 host
 * code, behind the interpreter's block interface (ARCHITECTURE.md
 * section 3).
 *
 * A translated block keeps the interpreter's contract (exec.c): it is
 * entered with h->pc at its first instruction and h->icount the count
 * there, and returns with both exact. Integer computation, branches,
 * jumps, and loads and stores that hit the software TLB run inline; every
 * other instruction, and every TLB miss, runs through the interpreter's
 * handler for that one instruction (exec_insn_alone), which sees the
 * exact pc and count. So traps, MMIO, CSRs, floating point (softfloat)
 * and stores to code pages behave exactly as interpreted.
 *
 * Code lives in one buffer per block cache, mapped twice from a memfd:
 * written through a read-write mapping, run from a read-execute one; no
 * page is ever writable and executable. The buffer has a fixed size (the
 * cap, --jit-cache); when a translation does not fit, every translation
 * is dropped at once (the generation advances) and translation starts
 * again from an empty buffer, between blocks. The emitter checks every
 * byte against the buffer's end, whatever the guest code.
 */
#ifndef HV_JIT_H
#define HV_JIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct block;
struct hart;
struct insn;
struct jit;

/* The engine that runs guest code (--engine). */
enum exec_engine { ENGINE_INTERP = 0, ENGINE_JIT = 1 };

/* The engine machines run on unless --engine or RETROVISOR_ENGINE says
 * otherwise: this one name decides it (the CLI's help text names it). The
 * JIT where the build can translate (x86-64 Linux), the interpreter
 * elsewhere. */
#if defined(__x86_64__) && defined(__linux__)
#define JIT_DEFAULT_ENGINE ENGINE_JIT
#else
#define JIT_DEFAULT_ENGINE ENGINE_INTERP
#endif

/* Process-wide settings, set before any machine runs (the CLI; tests set
 * them through RETROVISOR_ENGINE and RETROVISOR_JIT_HOT in the
 * environment, read once by jit_settings_from_env). */
struct jit_settings {
	enum exec_engine engine;
	size_t cache_bytes; /* code buffer per block cache */
	unsigned hot;       /* untranslated entries before a block is translated */
	/* Skip trap loops proved endless (hv/cpu/spin.h), either engine. */
	bool skip_spins;
	/* --jit-log: called with each translation (its host code as written,
	 * and the address it runs at); entry i of b (an instruction, or a
	 * plugin's pseudo instruction, of length 0) has the host code from
	 * insn_at[i] to insn_at[i + 1], the prologue is before insn_at[0], the
	 * exits and their stubs after the last entry's. */
	void (*log)(void *opaque, const struct block *b, uint64_t pc, const uint32_t *insn_at,
		    const uint8_t *code, size_t len, uint64_t host_addr);
	void *log_opaque;
};
extern struct jit_settings jit_settings;

#define JIT_DEFAULT_CACHE (64u << 20)
#define JIT_MIN_CACHE (256u << 10)
#define JIT_DEFAULT_HOT 2u

/* Whether this build can translate (x86-64 hosts). */
bool jit_supported(void);

/* A code buffer size as --jit-cache takes it (bytes, or with K, M or G),
 * from JIT_MIN_CACHE to 4G. */
bool jit_parse_size(const char *s, size_t *out);

/* Apply RETROVISOR_ENGINE (jit|interp), RETROVISOR_JIT_HOT (count),
 * RETROVISOR_SKIP_SPINS (1 or 0) and RETROVISOR_JIT_CACHE (bytes) if set. Returns false, with a message in
 * err, for a value it cannot use. */
bool jit_settings_from_env(char *err, size_t errlen);

/* A translated block, run by jit_run with the count to stop at (as
 * exec_blocks' stop): it goes on into translated successors, linked or through the
 * jump cache, and returns when no translated successor can follow: 0 or
 * a link site (below) when a block ran to its end (h->pc is the next
 * block's, h->icount exact), 1 when one left early (a trap, a request to
 * leave: h->pc and h->icount exact).
 *
 * A link site is returned by an exit to a known address in the same page
 * as its block: exec_jit_blocks links it (jit_link) to the next block's
 * code once that is translated, and the exit jumps there directly from
 * then on (the target's entry still checks the exit request and the
 * budget). Code is keyed by frame and both blocks sit in one frame, so
 * the link holds wherever the frame is mapped; dropping the frame's
 * blocks drops both. */
typedef const void *jit_fn;
uintptr_t jit_run(struct jit *j, jit_fn fn, struct hart *h, uint64_t stop);

/* The buffer's generation: a site returned in another generation is not
 * linked. */
uint32_t jit_generation(const struct jit *j);
/* Make the exit at site (returned by a block of generation gen) jump to
 * the code to. */
void jit_link(struct jit *j, uint32_t gen, uintptr_t site, jit_fn to);

/* The host code of b (entered at virtual address pc), translating it now
 * if it is hot; NULL to interpret it. jitp is the block cache's slot
 * (block_cache_jit). */
jit_fn jit_code(struct jit **jitp, struct block *b, uint64_t pc);

void jit_destroy(struct jit *j);

/* Statistics of one code buffer, for reports. */
struct jit_stats {
	uint64_t blocks;   /* translations made */
	uint64_t bytes;    /* host code written, over all generations */
	uint64_t flushes;  /* times the buffer was emptied */
	uint64_t links;    /* exits linked to their next block */
	uint64_t insns;    /* guest instructions in the blocks translated */
	uint64_t ns;       /* host time spent translating */
	size_t used, size; /* bytes in use now, the cap */
};
void jit_get_stats(struct jit *j, struct jit_stats *out);
/* The same summed over every buffer of the process (used: the most any
 * one buffer held; size: the cap). */
void jit_get_total_stats(struct jit_stats *out);

#endif
