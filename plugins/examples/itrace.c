// SPDX-License-Identifier: MIT
/*
 * itrace.so: an instruction trace with disassembly.
 *
 *   --plugin itrace.so[,out=FILE][,from=ICOUNT][,count=N][,vmlinux=FILE]
 *
 * One line per executed instruction:
 *
 *   HART ICOUNT PC RAW DISASSEMBLY [SYMBOL+OFFSET]
 *
 * ICOUNT is the hart's retired-instruction count before the instruction
 * (rv_icount), PC its virtual address in hex, RAW the encoding (4 hex
 * digits for a compressed instruction, 8 otherwise). Lines are written
 * while the machine's total count (rv_total_icount) is in
 * [from, from + count); out= defaults to stdout, from= to 0, count= to
 * no limit. With vmlinux=FILE each line ends with the symbol the pc falls
 * in.
 *
 * How: every block's instructions are subscribed when it is decoded (the
 * plugin ABI calls back only for subscribed instructions, so a trace has
 * to take them all). The rv_insn handle dies with the block callback, so
 * the text of each instruction is made there, once, and kept in a table
 * keyed by (virtual pc, physical pc, encoding) that the execution
 * callback receives as its user data. Code decoded again (after a write
 * to it) finds its old entry, so the table grows with the distinct code
 * executed, not with the number of decodings. Once count= is reached the
 * plugin removes its block subscription (ABI 4): the code is decoded
 * again without callbacks and the rest of the run costs nothing.
 *
 * Input not trusted: the arguments (numbers are checked, unknown keys
 * refused).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "plugins/examples/example.h"

RV_PLUGIN_EXPORT const uint32_t rv_plugin_abi[2] = EXAMPLE_ABI(1);

/* What one executed instruction prints, made once at decoding. */
struct itrace_insn {
	uint64_t vaddr, paddr;
	uint32_t raw, size;
	struct itrace_insn *next; /* hash chain */
	char text[80];
};

struct itrace {
	rv_plugin *self;
	rv_machine *m;
	rv_sub blocks; /* the block subscription */
	FILE *out;
	uint64_t from, count;
	bool done; /* count reached: nothing more to print */
	struct itrace_insn **buckets;
	size_t nbuckets, n;
	char buf[1 << 16];
};

static struct itrace itrace;

static size_t itrace_hash(uint64_t vaddr, uint64_t paddr, uint32_t raw)
{
	uint64_t h = vaddr * 0x9e3779b97f4a7c15ull ^ paddr * 0xc2b2ae3d27d4eb4full ^ raw;

	return (size_t)(h ^ (h >> 29));
}

/* Double the table when it is as full as it is wide; returns false when
 * the host is out of memory (the old table stays usable). */
static bool itrace_grow(void)
{
	size_t nb = itrace.nbuckets ? 2 * itrace.nbuckets : 4096;
	struct itrace_insn **b = calloc(nb, sizeof(*b));

	if (!b)
		return false;
	for (size_t i = 0; i < itrace.nbuckets; i++)
		for (struct itrace_insn *e = itrace.buckets[i], *next; e; e = next) {
			next = e->next;
			size_t k = itrace_hash(e->vaddr, e->paddr, e->raw) & (nb - 1);
			e->next = b[k];
			b[k] = e;
		}
	free(itrace.buckets);
	itrace.buckets = b;
	itrace.nbuckets = nb;
	return true;
}

static struct itrace_insn *itrace_intern(rv_insn *in)
{
	uint64_t va = rv_insn_vaddr(in), pa = rv_insn_paddr(in);
	uint32_t raw = rv_insn_raw(in);

	if (itrace.n >= itrace.nbuckets && !itrace_grow() && !itrace.nbuckets)
		return NULL;
	size_t k = itrace_hash(va, pa, raw) & (itrace.nbuckets - 1);
	for (struct itrace_insn *e = itrace.buckets[k]; e; e = e->next)
		if (e->vaddr == va && e->paddr == pa && e->raw == raw)
			return e;
	struct itrace_insn *e = malloc(sizeof(*e));
	if (!e)
		return NULL;
	e->vaddr = va;
	e->paddr = pa;
	e->raw = raw;
	e->size = rv_insn_size(in);
	size_t len = rv_insn_disas(in, e->text, sizeof(e->text));
	uint64_t off;
	const char *sym = rv_machine_symbol(itrace.m, va, &off);
	if (sym && len < sizeof(e->text))
		snprintf(e->text + len, sizeof(e->text) - len, " <%s+0x%" PRIx64 ">", sym, off);
	e->next = itrace.buckets[k];
	itrace.buckets[k] = e;
	itrace.n++;
	return e;
}

static void itrace_on_exec(void *ud, uint32_t hart, uint64_t pc)
{
	const struct itrace_insn *e = ud;

	if (itrace.done)
		return;
	uint64_t total = rv_machine_total_icount(itrace.m);
	if (total < itrace.from)
		return;
	if (total - itrace.from >= itrace.count) {
		itrace.done = true;
		fflush(itrace.out);
		rv_unsubscribe(itrace.self, itrace.blocks);
		return;
	}
	fprintf(itrace.out, "%" PRIu32 " %" PRIu64 " %016" PRIx64 " %0*" PRIx32 " %s\n", hart,
		rv_machine_icount(itrace.m, hart), pc, e->size == 2 ? 4 : 8, e->raw, e->text);
}

static void itrace_on_block(void *ud, rv_block *b)
{
	(void)ud;
	if (itrace.done)
		return;
	for (uint32_t i = 0; i < rv_block_insns(b); i++) {
		rv_insn *in = rv_block_insn(b, i);
		struct itrace_insn *e = itrace_intern(in);
		if (e)
			rv_insn_on_exec(itrace.self, in, itrace_on_exec, e);
	}
}

static void itrace_on_exit(void *ud, int status)
{
	(void)ud;
	(void)status;
	example_close_out(itrace.out);
	itrace.out = NULL;
}

RV_PLUGIN_EXPORT int rv_plugin_init(rv_plugin *self, const rv_plugin_info *info, int argc,
				    const rv_plugin_arg *argv)
{
	const char *out = NULL;

	itrace.self = self;
	itrace.m = example_machine(self, info);
	itrace.count = UINT64_MAX;
	for (int i = 0; i < argc; i++) {
		const char *k = argv[i].key, *v = argv[i].value;
		bool ok = true;
		if (!strcmp(k, "out"))
			out = v;
		else if (!strcmp(k, "from"))
			ok = example_parse_u64(v, &itrace.from);
		else if (!strcmp(k, "count"))
			ok = example_parse_u64(v, &itrace.count);
		else if (strcmp(k, "vmlinux"))
			ok = false;
		if (!ok)
			return example_bad_arg(self, &argv[i],
					       "itrace takes out=FILE, from=ICOUNT, "
					       "count=N, vmlinux=FILE");
	}
	itrace.out = example_open_out(self, out, stdout, itrace.buf, sizeof(itrace.buf));
	if (!itrace.out)
		return -1;
	itrace.blocks = rv_on_block(self, itrace_on_block, NULL);
	rv_on_exit(self, itrace_on_exit, NULL);
	return 0;
}
