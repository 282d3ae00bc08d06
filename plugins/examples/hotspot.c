// SPDX-License-Identifier: MIT
/*
 * hotspot.so: a flat profile of the guest by symbol.
 *
 *   --plugin hotspot.so,vmlinux=FILE[,out=FILE][,top=N]
 *
 * At the end of the run, the top N (default 20) symbols of vmlinux= by
 * instructions executed in them, one line each:
 *
 *   COUNT PERCENT SYMBOL
 *
 * preceded by a header line with the total. Code outside every symbol of
 * the file (user programs, modules, firmware) is summed as "[user]" for
 * lower-half addresses and "[unknown]" otherwise. out= defaults to stdout.
 *
 * How: every decoded block subscribes its first instruction, whose
 * callback adds the block's length to the block's counter; symbols are
 * looked up once per block at the end. The count is therefore exact
 * except for blocks a trap or interrupt leaves early (they count whole);
 * the cost is one callback per executed block, not per instruction.
 *
 * Input not trusted: the arguments.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "plugins/examples/example.h"

RV_PLUGIN_EXPORT const uint32_t rv_plugin_abi[2] = EXAMPLE_ABI(1);

/* One decoding of a block (the user data of its first instruction). */
struct hotspot_block {
	uint64_t vaddr;
	uint64_t count; /* instructions executed in it */
	uint32_t ninsns;
	struct hotspot_block *next;
};

/* One line of the profile. */
struct hotspot_sym {
	uint64_t addr; /* the symbol's start; buckets use reserved values */
	uint64_t count;
	char name[96];
};

struct hotspot {
	rv_plugin *self;
	rv_machine *m;
	FILE *out;
	unsigned top;
	struct hotspot_block *blocks;
	struct hotspot_sym *syms;
	size_t nsyms, capsyms;
};

static struct hotspot hs;

static void hotspot_on_exec(void *ud, uint32_t hart, uint64_t pc)
{
	struct hotspot_block *b = ud;

	(void)hart;
	(void)pc;
	b->count += b->ninsns;
}

static void hotspot_on_block(void *ud, rv_block *b)
{
	struct hotspot_block *hb = malloc(sizeof(*hb));

	(void)ud;
	if (!hb || rv_block_insns(b) == 0) {
		free(hb);
		return;
	}
	hb->vaddr = rv_block_vaddr(b);
	hb->ninsns = rv_block_insns(b);
	hb->count = 0;
	hb->next = hs.blocks;
	hs.blocks = hb;
	rv_insn_on_exec(hs.self, rv_block_insn(b, 0), hotspot_on_exec, hb);
}

/* The profile line of addr, created on first use (linear search over
 * distinct symbols, once per decoded block at exit). */
static struct hotspot_sym *hotspot_sym_of(uint64_t vaddr)
{
	uint64_t off = 0, key;
	const char *name = rv_machine_symbol(hs.m, vaddr, &off);

	if (!name) {
		key = vaddr >> 63 ? 1 : 0; /* no symbol starts at 0 or 1 */
		name = key ? "[unknown]" : "[user]";
	} else {
		key = vaddr - off;
	}
	for (size_t i = 0; i < hs.nsyms; i++)
		if (hs.syms[i].addr == key)
			return &hs.syms[i];
	if (hs.nsyms == hs.capsyms) {
		size_t ncap = hs.capsyms ? 2 * hs.capsyms : 256;
		struct hotspot_sym *n = realloc(hs.syms, ncap * sizeof(*n));
		if (!n)
			return NULL;
		hs.syms = n;
		hs.capsyms = ncap;
	}
	struct hotspot_sym *s = &hs.syms[hs.nsyms++];
	s->addr = key;
	s->count = 0;
	snprintf(s->name, sizeof(s->name), "%s", name);
	return s;
}

static int hotspot_cmp(const void *a, const void *b)
{
	const struct hotspot_sym *x = a, *y = b;

	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return strcmp(x->name, y->name);
}

static void hotspot_on_exit(void *ud, int status)
{
	uint64_t total = 0;

	(void)ud;
	(void)status;
	while (hs.blocks) {
		struct hotspot_block *b = hs.blocks;
		hs.blocks = b->next;
		if (b->count) {
			struct hotspot_sym *s = hotspot_sym_of(b->vaddr);
			if (s)
				s->count += b->count;
			total += b->count;
		}
		free(b);
	}
	qsort(hs.syms, hs.nsyms, sizeof(hs.syms[0]), hotspot_cmp);
	fprintf(hs.out, "# %" PRIu64 " instructions in %zu symbols; top %u:\n", total, hs.nsyms,
		hs.top);
	for (size_t i = 0; i < hs.nsyms && i < hs.top; i++)
		fprintf(hs.out, "%12" PRIu64 " %6.2f%% %s\n", hs.syms[i].count,
			total ? 100.0 * (double)hs.syms[i].count / (double)total : 0.0,
			hs.syms[i].name);
	example_close_out(hs.out);
	free(hs.syms);
}

RV_PLUGIN_EXPORT int rv_plugin_init(rv_plugin *self, const rv_plugin_info *info, int argc,
				    const rv_plugin_arg *argv)
{
	const char *out = NULL;

	hs.self = self;
	hs.m = example_machine(self, info);
	hs.top = 20;
	for (int i = 0; i < argc; i++) {
		const char *k = argv[i].key, *v = argv[i].value;
		uint64_t n;
		if (!strcmp(k, "out")) {
			out = v;
		} else if (!strcmp(k, "top")) {
			if (!example_parse_u64(v, &n) || n == 0 || n > 100000)
				return example_refuse(self, "hotspot: top= is a number from 1 to "
							    "100000");
			hs.top = (unsigned)n;
		} else if (strcmp(k, "vmlinux")) {
			return example_bad_arg(self, &argv[i],
					       "hotspot takes vmlinux=FILE, "
					       "out=FILE, top=N");
		}
	}
	if (!info->vmlinux)
		return example_refuse(self, "hotspot needs vmlinux=FILE (the symbols to attribute "
					    "to)");
	hs.out = example_open_out(self, out, stdout, NULL, 0);
	if (!hs.out)
		return -1;
	rv_on_block(self, hotspot_on_block, NULL);
	rv_on_exit(self, hotspot_on_exit, NULL);
	return 0;
}
