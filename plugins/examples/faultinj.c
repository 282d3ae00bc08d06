// SPDX-License-Identifier: MIT
/*
 * faultinj.so: injects one fault into a run.
 *
 *   --plugin faultinj.so,at=ICOUNT,reg=N,bit=B[,hart=H][,out=FILE]
 *   --plugin faultinj.so,at=ICOUNT,mem=PADDR,bit=B[,hart=H][,out=FILE]
 *   --plugin faultinj.so,blk=N[,dev=D][,out=FILE]
 *
 * reg=: flips bit B (0..63) of register N of hart H (GDB numbering, as
 * rv_reg_read: x1..x31 are 1..31, pc 32, f0 33...) just before the
 * instruction that hart H executes when its retired-instruction count is
 * ICOUNT (rv_icount(H) == ICOUNT, i.e. after ICOUNT instructions).
 * mem=: flips bit B (0..7) of the byte at guest physical PADDR at that
 * same point. blk=: fails block request number N (counted from 0 per
 * device, as rv_on_blk_request numbers them) of device D (default: any
 * device); the guest sees an I/O error. One line says what was injected
 * and when, to out= (default stderr).
 *
 * The fault goes through the input funnel (rv_flip_reg, rv_flip_mem_phys,
 * the block-request verdict), so a recorded run holds it and replays
 * exactly, with or without this plugin loaded.
 *
 * Reaching an exact instruction count: the plugin ABI calls back only for
 * instructions subscribed when their block is decoded, and decoded blocks
 * are cached, so which instruction will execute at ICOUNT is unknown when
 * its block is decoded (a loop body decoded once runs at many counts).
 * A block's first instruction alone is not enough either: the target may
 * be in the middle of a block. So, while the fault is pending, every
 * instruction of every block decoded is subscribed and its callback
 * compares one counter; once the fault is in, new blocks subscribe
 * nothing and old subscriptions return after one test. The price is one
 * callback per instruction up to ICOUNT, which is why campaigns start
 * from a snapshot taken shortly before their faults (the machine flushes
 * decoded code when a plugin attaches, so the snapshot's code is decoded
 * again with the subscriptions). blk= subscribes no code at all.
 *
 * Input not trusted: the arguments.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "retrovisor/plugin.h"

RV_PLUGIN_EXPORT const uint32_t rv_plugin_abi[2] = { RV_PLUGIN_ABI_MIN, RV_PLUGIN_ABI_VERSION };

enum faultinj_kind { FAULTINJ_REG, FAULTINJ_MEM, FAULTINJ_BLK };

struct faultinj {
	rv_plugin *self;
	enum faultinj_kind kind;
	uint64_t at, reg, paddr, bit, hart, blk, dev;
	bool any_dev;
	bool done;
	FILE *out;
};

static struct faultinj fi;

static void faultinj_report(const char *what)
{
	fprintf(fi.out, "faultinj: %s\n", what);
	fflush(fi.out);
}

static void faultinj_on_exec(void *ud, uint32_t hart, uint64_t pc)
{
	char line[200];
	uint64_t before = 0, after = 0;
	int r;

	(void)ud;
	if (fi.done || hart != fi.hart)
		return;
	uint64_t now = rv_icount(hart);
	if (now < fi.at)
		return;
	fi.done = true;
	if (now > fi.at) {
		/* Only when the run started past ICOUNT (a later snapshot). */
		snprintf(line, sizeof(line), "nothing injected: hart %" PRIu64 " is at instruction "
			 "%" PRIu64 ", past at=%" PRIu64, fi.hart, now, fi.at);
		faultinj_report(line);
		return;
	}
	if (fi.kind == FAULTINJ_REG) {
		rv_reg_read(hart, (uint32_t)fi.reg, &before);
		r = rv_flip_reg(fi.self, hart, (uint32_t)fi.reg, (uint32_t)fi.bit);
		rv_reg_read(hart, (uint32_t)fi.reg, &after);
		snprintf(line, sizeof(line),
			 "%s bit %" PRIu64 " of register %" PRIu64 " of hart %" PRIu32
			 " at instruction %" PRIu64 " (pc 0x%" PRIx64 "): 0x%" PRIx64
			 " -> 0x%" PRIx64, r ? "could not flip" : "flipped", fi.bit, fi.reg, hart,
			 now, pc, before, after);
	} else {
		uint8_t b0 = 0, b1 = 0;
		rv_mem_read_phys(fi.paddr, &b0, 1);
		r = rv_flip_mem_phys(fi.self, fi.paddr, (uint32_t)fi.bit);
		rv_mem_read_phys(fi.paddr, &b1, 1);
		snprintf(line, sizeof(line),
			 "%s bit %" PRIu64 " of the byte at physical 0x%" PRIx64
			 " at instruction %" PRIu64 " of hart %" PRIu32 " (pc 0x%" PRIx64
			 "): 0x%02x -> 0x%02x", r ? "could not flip" : "flipped", fi.bit, fi.paddr,
			 now, hart, pc, b0, b1);
	}
	faultinj_report(line);
}

static void faultinj_on_block(void *ud, rv_block *b)
{
	(void)ud;
	if (fi.done)
		return;
	for (uint32_t i = 0; i < rv_block_insns(b); i++)
		rv_insn_on_exec(fi.self, rv_block_insn(b, i), faultinj_on_exec, NULL);
}

static bool faultinj_on_blk(void *ud, uint32_t device, uint64_t nth, bool write, uint64_t sector,
			    uint32_t count)
{
	char line[200];

	(void)ud;
	if (fi.done || nth != fi.blk || (!fi.any_dev && device != fi.dev))
		return false;
	fi.done = true;
	snprintf(line, sizeof(line), "failed block request %" PRIu64 " of device %" PRIu32
		 " (%s of %" PRIu32 " sectors at sector %" PRIu64 ") at instruction %" PRIu64, nth,
		 device, write ? "write" : "read", count, sector, rv_total_icount());
	faultinj_report(line);
	return true;
}

static void faultinj_on_exit(void *ud, int status)
{
	(void)ud;
	(void)status;
	if (!fi.done)
		faultinj_report("nothing injected: the run ended first");
	if (fi.out != stderr)
		fclose(fi.out);
}

static bool faultinj_parse_u64(const char *s, uint64_t *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 0);
	return *s && !*end && errno == 0;
}

static int faultinj_refuse(const char *why)
{
	rv_plugin_fail(fi.self, why);
	return -1;
}

RV_PLUGIN_EXPORT int rv_plugin_init(rv_plugin *self, const rv_plugin_info *info, int argc,
				    const rv_plugin_arg *argv)
{
	bool have_at = false, have_reg = false, have_mem = false, have_bit = false;
	bool have_blk = false;
	const char *out = NULL;
	char why[200];

	fi.self = self;
	fi.any_dev = true;
	for (int i = 0; i < argc; i++) {
		const char *k = argv[i].key, *v = argv[i].value;
		bool ok = true;
		if (!strcmp(k, "at"))
			ok = have_at = faultinj_parse_u64(v, &fi.at);
		else if (!strcmp(k, "reg"))
			ok = have_reg = faultinj_parse_u64(v, &fi.reg);
		else if (!strcmp(k, "mem"))
			ok = have_mem = faultinj_parse_u64(v, &fi.paddr);
		else if (!strcmp(k, "bit"))
			ok = have_bit = faultinj_parse_u64(v, &fi.bit);
		else if (!strcmp(k, "hart"))
			ok = faultinj_parse_u64(v, &fi.hart) && fi.hart < info->nharts;
		else if (!strcmp(k, "blk"))
			ok = have_blk = faultinj_parse_u64(v, &fi.blk);
		else if (!strcmp(k, "dev"))
			ok = faultinj_parse_u64(v, &fi.dev) && !(fi.any_dev = false);
		else if (!strcmp(k, "out"))
			out = v;
		else if (strcmp(k, "vmlinux"))
			ok = false;
		if (!ok) {
			snprintf(why, sizeof(why), "bad argument '%s=%s' (faultinj takes at=, reg= "
				 "or mem=, bit=, hart=, or blk=, dev=, and out=)", k, v);
			return faultinj_refuse(why);
		}
	}
	if (have_reg + have_mem + have_blk != 1)
		return faultinj_refuse("faultinj needs exactly one of reg=N, mem=PADDR, blk=N");
	if (have_blk && (have_at || have_bit))
		return faultinj_refuse("faultinj blk=N takes no at= or bit=");
	if (!have_blk && (!have_at || !have_bit))
		return faultinj_refuse("faultinj reg= and mem= need at=ICOUNT and bit=B");
	if (have_reg && fi.bit > 63)
		return faultinj_refuse("faultinj reg=: bit= is 0..63");
	if (have_mem && fi.bit > 7)
		return faultinj_refuse("faultinj mem=: bit= is 0..7 (of the byte at PADDR)");
	if (have_reg && rv_reg_read((uint32_t)fi.hart, (uint32_t)fi.reg, &(uint64_t){ 0 }))
		return faultinj_refuse("faultinj reg=: no such register");
	fi.kind = have_reg ? FAULTINJ_REG : have_mem ? FAULTINJ_MEM : FAULTINJ_BLK;
	fi.out = out && *out ? fopen(out, "w") : stderr;
	if (!fi.out) {
		snprintf(why, sizeof(why), "cannot create '%s': %s", out, strerror(errno));
		return faultinj_refuse(why);
	}
	if (fi.kind == FAULTINJ_BLK)
		rv_on_blk_request(self, faultinj_on_blk, NULL);
	else
		rv_on_block(self, faultinj_on_block, NULL);
	rv_on_exit(self, faultinj_on_exit, NULL);
	return 0;
}
