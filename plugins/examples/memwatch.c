// SPDX-License-Identifier: MIT
/*
 * memwatch.so: every guest load and store that touches a range.
 *
 *   --plugin memwatch.so,lo=ADDR,hi=ADDR[,phys=1][,rw=r|w|rw][,out=FILE]
 *
 * Watches [lo, hi), virtual addresses (as the harts see them) or, with
 * phys=1, physical ones; rw= picks loads (r), stores (w) or both (rw,
 * the default). One line per access, after it:
 *
 *   HART PC VADDR PADDR SIZE R|W VALUE
 *
 * PC is the accessing instruction's (the hart's pc during the access),
 * VALUE what was read or written (hex, zero-extended; an atomic reports
 * its read and its write). out= defaults to stdout.
 *
 * Cost: only the pages holding the range leave the machine's fast path
 * (rv_on_mem), so a narrow watch costs nothing elsewhere.
 *
 * Input not trusted: the arguments.
 */
#include <inttypes.h>
#include <string.h>

#include "plugins/examples/example.h"

RV_PLUGIN_EXPORT const uint32_t rv_plugin_abi[2] = EXAMPLE_ABI(1);

static rv_machine *memwatch_m;
static FILE *memwatch_out;
static char memwatch_buf[1 << 16];

static void memwatch_on_mem(void *ud, uint32_t hart, uint64_t vaddr, uint64_t paddr, uint32_t size,
			    bool write, uint64_t value)
{
	uint64_t pc = 0;

	(void)ud;
	rv_machine_reg_read(memwatch_m, hart, RV_REG_PC, &pc);
	fprintf(memwatch_out,
		"%" PRIu32 " %016" PRIx64 " %016" PRIx64 " %016" PRIx64 " %" PRIu32 " %c %" PRIx64
		"\n",
		hart, pc, vaddr, paddr, size, write ? 'W' : 'R', value);
}

static void memwatch_on_exit(void *ud, int status)
{
	(void)ud;
	(void)status;
	example_close_out(memwatch_out);
}

RV_PLUGIN_EXPORT int rv_plugin_init(rv_plugin *self, const rv_plugin_info *info, int argc,
				    const rv_plugin_arg *argv)
{
	uint64_t lo = 0, hi = 0, phys = 0;
	uint32_t flags = RV_MEM_READ | RV_MEM_WRITE;
	bool have_lo = false, have_hi = false;
	const char *out = NULL;

	memwatch_m = example_machine(self, info);
	for (int i = 0; i < argc; i++) {
		const char *k = argv[i].key, *v = argv[i].value;
		bool ok = true;
		if (!strcmp(k, "lo"))
			ok = have_lo = example_parse_u64(v, &lo);
		else if (!strcmp(k, "hi"))
			ok = have_hi = example_parse_u64(v, &hi);
		else if (!strcmp(k, "phys"))
			ok = example_parse_u64(v, &phys) && phys <= 1;
		else if (!strcmp(k, "rw") && !strcmp(v, "r"))
			flags = RV_MEM_READ;
		else if (!strcmp(k, "rw") && !strcmp(v, "w"))
			flags = RV_MEM_WRITE;
		else if (!strcmp(k, "rw") && !strcmp(v, "rw"))
			flags = RV_MEM_READ | RV_MEM_WRITE;
		else if (!strcmp(k, "out"))
			out = v;
		else if (strcmp(k, "vmlinux"))
			ok = false;
		if (!ok)
			return example_bad_arg(self, &argv[i],
					       "memwatch takes lo=ADDR, hi=ADDR, "
					       "phys=0|1, rw=r|w|rw, out=FILE");
	}
	if (!have_lo || !have_hi || lo >= hi)
		return example_refuse(self, "memwatch needs lo=ADDR and hi=ADDR with lo < hi");
	memwatch_out = example_open_out(self, out, stdout, memwatch_buf, sizeof(memwatch_buf));
	if (!memwatch_out)
		return -1;
	rv_on_mem(self, lo, hi, flags | (phys ? RV_MEM_PHYSICAL : 0), memwatch_on_mem, NULL);
	rv_on_exit(self, memwatch_on_exit, NULL);
	return 0;
}
