// SPDX-License-Identifier: MIT
/*
 * drcov.so: block coverage of one module in DynamoRIO's drcov format,
 * version 2, the format Lighthouse (IDA, Binary Ninja) and similar tools
 * load.
 *
 *   --plugin drcov.so,out=FILE,vmlinux=FILE[,path=NAME]
 *   --plugin drcov.so,out=FILE,base=ADDR,end=ADDR[,path=NAME]
 *
 * The module is the kernel's code, [_stext, _etext) from vmlinux= symbols
 * extended over the init text [_sinittext, _einittext) (where
 * start_kernel lives), or the virtual range [base, end) given explicitly
 * (a bare guest, a driver); path= names it in the module table (default:
 * the vmlinux file, or "guest"). The file written at the end of the run is
 *
 *   DRCOV VERSION: 2
 *   DRCOV FLAVOR: drcov
 *   Module Table: version 2, count 1
 *   Columns: id, base, end, entry, checksum, timestamp, path
 *    0, 0x<base>, 0x<end>, 0x0000000000000000, 0x00000000, 0x00000000, <path>
 *   BB Table: <N> bbs
 *
 * followed by N binary records { uint32 start; uint16 size; uint16 mod_id }
 * (little-endian, 8 bytes, no padding): start is the block's offset from
 * base, size its length in bytes, mod_id 0.
 *
 * A block counts when it first executes, not when it is decoded: each
 * decoded block of the module subscribes its first instruction, and that
 * callback marks the block once (a hash set of (start, size) pairs, so a
 * block decoded again, or entered again, is not listed twice). Blocks
 * are the machine's (straight-line code up to a branch, a system
 * instruction or a size limit); a block a trap leaves early is still
 * listed whole, as drcov does.
 *
 * Input not trusted: the arguments.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "plugins/examples/example.h"

RV_PLUGIN_EXPORT const uint32_t rv_plugin_abi[2] = EXAMPLE_ABI(1);

/* One decoded block of the module (user data of its first instruction). */
struct drcov_block {
	uint32_t start; /* offset from the module base */
	uint16_t size;
	bool seen;
	struct drcov_block *next; /* all decoded blocks, for freeing */
};

struct drcov {
	rv_plugin *self;
	rv_machine *m;
	char out[4096], path[4096];
	uint64_t base, end;
	struct drcov_block *decoded;
	/* Blocks executed, open addressing on (start, size); 0 is empty. */
	uint64_t *set;
	size_t cap, n;
	bool oom;
};

static struct drcov drcov;

static uint64_t drcov_key(uint32_t start, uint16_t size)
{
	return ((uint64_t)start << 16 | size) + 1;
}

static bool drcov_set_add(uint64_t key)
{
	if (2 * (drcov.n + 1) > drcov.cap) {
		size_t ncap = drcov.cap ? 2 * drcov.cap : 1024;
		uint64_t *nset = calloc(ncap, sizeof(*nset));
		if (!nset)
			return false;
		for (size_t i = 0; i < drcov.cap; i++) {
			if (!drcov.set[i])
				continue;
			size_t j = (drcov.set[i] * 0x9e3779b97f4a7c15ull) & (ncap - 1);
			while (nset[j])
				j = (j + 1) & (ncap - 1);
			nset[j] = drcov.set[i];
		}
		free(drcov.set);
		drcov.set = nset;
		drcov.cap = ncap;
	}
	size_t j = (key * 0x9e3779b97f4a7c15ull) & (drcov.cap - 1);
	while (drcov.set[j]) {
		if (drcov.set[j] == key)
			return true;
		j = (j + 1) & (drcov.cap - 1);
	}
	drcov.set[j] = key;
	drcov.n++;
	return true;
}

static void drcov_on_exec(void *ud, uint32_t hart, uint64_t pc)
{
	struct drcov_block *b = ud;

	(void)hart;
	(void)pc;
	if (b->seen)
		return;
	b->seen = true;
	if (!drcov_set_add(drcov_key(b->start, b->size)))
		drcov.oom = true;
}

static void drcov_on_block(void *ud, rv_block *b)
{
	uint64_t va = rv_block_vaddr(b);
	uint32_t n = rv_block_insns(b), bytes = 0;

	(void)ud;
	if (va < drcov.base || va >= drcov.end || n == 0)
		return;
	for (uint32_t i = 0; i < n; i++)
		bytes += rv_insn_size(rv_block_insn(b, i));
	struct drcov_block *d = malloc(sizeof(*d));
	if (!d) {
		drcov.oom = true;
		return;
	}
	d->start = (uint32_t)(va - drcov.base);
	d->size = (uint16_t)(bytes > UINT16_MAX ? UINT16_MAX : bytes);
	d->seen = false;
	d->next = drcov.decoded;
	drcov.decoded = d;
	rv_insn_on_exec(drcov.self, rv_block_insn(b, 0), drcov_on_exec, d);
}

static void drcov_put_le(uint8_t *p, uint64_t v, unsigned bytes)
{
	for (unsigned i = 0; i < bytes; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static int drcov_cmp_key(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void drcov_on_exit(void *ud, int status)
{
	FILE *f = fopen(drcov.out, "wb");

	(void)ud;
	(void)status;
	if (!f) {
		fprintf(stderr, "drcov: cannot create '%s': %s\n", drcov.out, strerror(errno));
		return;
	}
	fprintf(f,
		"DRCOV VERSION: 2\nDRCOV FLAVOR: drcov\n"
		"Module Table: version 2, count 1\n"
		"Columns: id, base, end, entry, checksum, timestamp, path\n"
		" 0, 0x%016" PRIx64 ", 0x%016" PRIx64 ", 0x%016x, 0x%08x, 0x%08x, %s\n"
		"BB Table: %zu bbs\n",
		drcov.base, drcov.end, 0, 0, 0, drcov.path, drcov.n);
	/* In address order: the set is compacted to its front and sorted. */
	size_t n = 0;
	for (size_t i = 0; i < drcov.cap; i++)
		if (drcov.set[i])
			drcov.set[n++] = drcov.set[i];
	qsort(drcov.set, n, sizeof(drcov.set[0]), drcov_cmp_key);
	for (size_t i = 0; i < n; i++) {
		uint8_t rec[8];
		uint64_t key = drcov.set[i] - 1;
		drcov_put_le(rec, key >> 16, 4);
		drcov_put_le(rec + 4, key & 0xffff, 2);
		drcov_put_le(rec + 6, 0, 2);
		fwrite(rec, 1, sizeof(rec), f);
	}
	if (fclose(f) != 0)
		fprintf(stderr, "drcov: writing '%s' failed: %s\n", drcov.out, strerror(errno));
	if (drcov.oom)
		fprintf(stderr, "drcov: out of host memory: '%s' misses blocks\n", drcov.out);
	while (drcov.decoded) {
		struct drcov_block *next = drcov.decoded->next;
		free(drcov.decoded);
		drcov.decoded = next;
	}
	free(drcov.set);
}

/* The kernel's code: [_stext, _etext) joined with its init text
 * [_sinittext, _einittext) where the kernel has one (start_kernel and the
 * other __init functions live there; on riscv it follows _etext). */
static int drcov_kernel_range(rv_machine *m)
{
	uint64_t lo, hi;

	if (rv_machine_symbol_addr(m, "_stext", &drcov.base) ||
	    rv_machine_symbol_addr(m, "_etext", &drcov.end))
		return -1;
	if (!rv_machine_symbol_addr(m, "_sinittext", &lo) &&
	    !rv_machine_symbol_addr(m, "_einittext", &hi) && lo < hi) {
		if (lo < drcov.base)
			drcov.base = lo;
		if (hi > drcov.end)
			drcov.end = hi;
	}
	return 0;
}

RV_PLUGIN_EXPORT int rv_plugin_init(rv_plugin *self, const rv_plugin_info *info, int argc,
				    const rv_plugin_arg *argv)
{
	bool have_base = false, have_end = false;

	drcov.self = self;
	drcov.m = example_machine(self, info);
	snprintf(drcov.path, sizeof(drcov.path), "%s", info->vmlinux ? info->vmlinux : "guest");
	for (int i = 0; i < argc; i++) {
		const char *k = argv[i].key, *v = argv[i].value;
		bool ok = true;
		if (!strcmp(k, "out"))
			snprintf(drcov.out, sizeof(drcov.out), "%s", v);
		else if (!strcmp(k, "path"))
			snprintf(drcov.path, sizeof(drcov.path), "%s", v);
		else if (!strcmp(k, "base"))
			ok = have_base = example_parse_u64(v, &drcov.base);
		else if (!strcmp(k, "end"))
			ok = have_end = example_parse_u64(v, &drcov.end);
		else if (strcmp(k, "vmlinux"))
			ok = false;
		if (!ok)
			return example_bad_arg(self, &argv[i],
					       "drcov takes out=FILE, vmlinux=FILE "
					       "or base=ADDR,end=ADDR, path=NAME");
	}
	if (!drcov.out[0])
		return example_refuse(self, "drcov needs out=FILE (the coverage file is binary)");
	if (have_base != have_end)
		return example_refuse(self, "drcov needs both base= and end=");
	if (!have_base && drcov_kernel_range(drcov.m))
		return example_refuse(self, "drcov needs vmlinux=FILE with _stext and _etext, or "
					    "base=ADDR,end=ADDR");
	if (drcov.end <= drcov.base || drcov.end - drcov.base > UINT32_MAX)
		return example_refuse(self, "drcov's module must be a non-empty range under 4 GiB");
	rv_on_block(self, drcov_on_block, NULL);
	rv_on_exit(self, drcov_on_exit, NULL);
	return 0;
}
