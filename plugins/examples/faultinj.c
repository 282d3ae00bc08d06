// SPDX-License-Identifier: MIT
/*
 * faultinj.so: injects one fault into a run.
 *
 *   --plugin faultinj.so,at=ICOUNT,reg=N,bit=B|mask=M[,until=END,stuck=0|1][,hart=H][,out=FILE]
 *   --plugin faultinj.so,at=ICOUNT,mem=PADDR,bit=B|mask=M[,until=END,stuck=0|1][,hart=H][,out=FILE]
 *   --plugin faultinj.so,at=ICOUNT,skip[,hart=H][,out=FILE]
 *   --plugin faultinj.so,at=ICOUNT,irq=N,drop|delay=D[,hart=H][,out=FILE]
 *   --plugin faultinj.so,blk=N[,lost|torn=K|misdirect=S|rot=B][,dev=D][,out=FILE]
 *
 * The fault classes of the literature, one per run:
 * reg=: flips bit B (0..63) of register N of hart H (GDB numbering, as
 * rv_reg_read: x1..x31 are 1..31, pc 32, f0 33...) just before the
 * instruction that hart H executes when its retired-instruction count is
 * ICOUNT (rv_machine_icount(fi.m, H) == ICOUNT, i.e. after ICOUNT instructions); mask=M
 * instead of bit= flips every bit set in M (a multi-bit upset).
 * mem=: flips bit B (0..7), or the bits of the 8-bit mask M, of the byte
 * at guest physical PADDR at that same point.
 * until=END with stuck=0 or 1: the bits of bit=/mask= are stuck at that
 * value from ICOUNT until hart H's count reaches END: before every
 * instruction of the window the plugin forces them (a write only where
 * they differ, each a recorded change); after END they are free again.
 * skip: the instruction at ICOUNT is not executed (the pc moves past it).
 * irq=N (mip bit: 1 SSIP, 5 STIP, 9 SEIP) from ICOUNT on: the first time
 * the interrupt is pending at an instruction boundary it is masked in
 * mie: with delay=D for D of the hart's instructions, so that it is taken
 * D instructions late; with drop until its pending bit goes away (its
 * source withdraws it: the guest re-arms the timer, the device's line
 * drops), so that this interrupt is never taken. (Clearing the pending
 * bit instead, rv_irq_set, would not drop a level source, which raises it
 * again; and such a recording of the SBI timer's STIP does not replay
 * yet: docs/campaigns.md, "Fault classes".)
 * blk=: fails block request number N (counted from 0 per device, as
 * rv_on_blk_request numbers them) of device D (default: any device); the
 * guest sees an I/O error. With a mode (rv_blk_fault, ABI 3), blk=N
 * counts the device's write requests (lost, torn, misdirect) or read
 * requests (rot) from 0 instead, and the Nth one succeeds wrongly: lost
 * writes nothing, torn=K writes only its first K sectors, misdirect=S
 * writes at sector S, rot=B flips bit B (modulo the request's bits) of the
 * data read. One line says what was injected and when, to out= (default
 * stderr).
 *
 * The fault goes through the input funnel (rv_flip_reg, rv_flip_mem_phys,
 * rv_reg_write, rv_irq_set, the block-request verdict), so a recorded
 * run holds it and replays exactly, with or without this plugin loaded.
 *
 * Reaching an exact instruction count: the plugin ABI calls back only for
 * instructions subscribed when their block is decoded, and decoded blocks
 * are cached, so which instruction will execute at ICOUNT is unknown when
 * its block is decoded (a loop body decoded once runs at many counts).
 * A block's first instruction alone is not enough either: the target may
 * be in the middle of a block. So, while the fault is pending, every
 * instruction of every block decoded is subscribed and its callback
 * compares one counter; once the fault is in, the plugin removes its
 * block subscription (ABI 4: the machine drops the decoded code, which
 * is decoded again without callbacks; built against an older ABI, new
 * blocks subscribe nothing and old subscriptions return after one test).
 * The price is one
 * callback per instruction up to ICOUNT, which is why campaigns start
 * from a snapshot taken shortly before their faults (the machine flushes
 * decoded code when a plugin attaches, so the snapshot's code is decoded
 * again with the subscriptions); a stuck-at window keeps them until its
 * end. blk= subscribes no code at all.
 *
 * Input not trusted: the arguments.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugins/examples/example.h"

RV_PLUGIN_EXPORT const uint32_t rv_plugin_abi[2] = EXAMPLE_ABI(3);

enum faultinj_kind { FAULTINJ_REG, FAULTINJ_MEM, FAULTINJ_BLK, FAULTINJ_SKIP, FAULTINJ_IRQ };

#define FAULTINJ_MIP RV_REG_CSR(0x344)
#define FAULTINJ_MIE RV_REG_CSR(0x304)

struct faultinj {
	rv_plugin *self;
	rv_machine *m;
	rv_sub blocks; /* while a fault is pending */
	enum faultinj_kind kind;
	uint64_t at, reg, paddr, mask, hart, blk, dev, irq;
	uint64_t until, stuck, delay;         /* stuck-at window [at, until); irq delay */
	uint64_t blk_mode, blk_arg, blk_seen; /* enum rv_blk_fault; writes or reads seen */
	bool any_dev, window, drop;
	bool started; /* a window or a delay is under way */
	bool done;
	uint64_t forced;    /* stuck-at: writes made */
	uint64_t irq_since; /* delay: when the interrupt was masked */
	uint64_t mie_saved;
	FILE *out;
};

static struct faultinj fi;

static void faultinj_report(const char *what)
{
	fprintf(fi.out, "faultinj: %s\n", what);
	fflush(fi.out);
}

/* Flip (or force, for a stuck-at window) the bits of fi.mask; true if
 * the target changed. */
static bool faultinj_apply_bits(uint32_t hart, uint64_t *before, uint64_t *after, int *r)
{
	uint64_t v = 0, w;

	if (fi.kind == FAULTINJ_REG) {
		rv_machine_reg_read(fi.m, hart, (uint32_t)fi.reg, &v);
	} else {
		uint8_t b = 0;
		rv_machine_mem_read_phys(fi.m, fi.paddr, &b, 1);
		v = b;
	}
	w = !fi.window ? v ^ fi.mask : fi.stuck ? v | fi.mask : v & ~fi.mask;
	*before = v;
	*after = w;
	*r = 0;
	if (w == v)
		return false;
	if (fi.kind == FAULTINJ_REG) {
		*r = rv_machine_reg_write(fi.m, hart, (uint32_t)fi.reg, w);
	} else {
		uint8_t b = (uint8_t)w;
		*r = rv_machine_mem_write_phys(fi.m, fi.paddr, &b, 1);
	}
	return true;
}

static void faultinj_describe(char *line, size_t cap, uint32_t hart, uint64_t now, uint64_t pc)
{
	const char *verb = !fi.window ? "flipped" : fi.stuck ? "stuck at 1" : "stuck at 0";
	char what[40];

	if (!(fi.mask & (fi.mask - 1)))
		snprintf(what, sizeof(what), "bit %d", __builtin_ctzll(fi.mask));
	else
		snprintf(what, sizeof(what), "mask 0x%" PRIx64, fi.mask);
	if (fi.kind == FAULTINJ_REG)
		snprintf(line, cap,
			 "%s %s of register %" PRIu64 " of hart %" PRIu32 " at instruction %" PRIu64
			 " (pc 0x%" PRIx64 ")",
			 verb, what, fi.reg, hart, now, pc);
	else
		snprintf(line, cap,
			 "%s %s of the byte at physical 0x%" PRIx64 " at instruction %" PRIu64
			 " of hart %" PRIu32 " (pc 0x%" PRIx64 ")",
			 verb, what, fi.paddr, now, hart, pc);
}

/* A stuck-at window or an interrupt delay, once started. */
static void faultinj_continue(uint32_t hart, uint64_t now, uint64_t pc)
{
	char line[240];
	uint64_t before, after;
	int r;

	if (fi.kind == FAULTINJ_IRQ) {
		uint64_t mip = 0;
		rv_machine_reg_read(fi.m, hart, FAULTINJ_MIP, &mip);
		if (fi.drop ? (mip & (1ull << fi.irq)) != 0 : now < fi.irq_since + fi.delay)
			return;
		uint64_t mie = 0;
		rv_machine_reg_read(fi.m, hart, FAULTINJ_MIE, &mie);
		rv_machine_reg_write(fi.m, hart, FAULTINJ_MIE,
				     mie | (fi.mie_saved & (1ull << fi.irq)));
		snprintf(line, sizeof(line),
			 "unmasked interrupt %" PRIu64 " at instruction %" PRIu64 " (pc 0x%" PRIx64
			 ")%s",
			 fi.irq, now, pc, fi.drop ? ": its source withdrew it" : "");
		faultinj_report(line);
		fi.done = true;
		return;
	}
	if (now >= fi.until) {
		snprintf(line, sizeof(line),
			 "window ended at instruction %" PRIu64 " after %" PRIu64 " forced writes",
			 now, fi.forced);
		faultinj_report(line);
		fi.done = true;
		return;
	}
	if (faultinj_apply_bits(hart, &before, &after, &r) && !r)
		fi.forced++;
}

static void faultinj_start_irq(uint32_t hart, uint64_t now, uint64_t pc)
{
	char line[240];
	uint64_t mip = 0;

	rv_machine_reg_read(fi.m, hart, FAULTINJ_MIP, &mip);
	if (!(mip & (1ull << fi.irq)))
		return; /* not pending yet: look again before the next instruction */
	fi.started = true;
	rv_machine_reg_read(fi.m, hart, FAULTINJ_MIE, &fi.mie_saved);
	rv_machine_reg_write(fi.m, hart, FAULTINJ_MIE, fi.mie_saved & ~(1ull << fi.irq));
	fi.irq_since = now;
	if (fi.drop)
		snprintf(line, sizeof(line),
			 "dropped interrupt %" PRIu64 " of hart %" PRIu32 " at instruction %" PRIu64
			 " (pc 0x%" PRIx64 "): masked until its source "
			 "withdraws it",
			 fi.irq, hart, now, pc);
	else
		snprintf(line, sizeof(line),
			 "masked pending interrupt %" PRIu64 " of hart %" PRIu32
			 " at instruction %" PRIu64 " (pc 0x%" PRIx64 ") for %" PRIu64
			 " instructions",
			 fi.irq, hart, now, pc, fi.delay);
	faultinj_report(line);
}

static void faultinj_exec(void *ud, uint32_t hart, uint64_t pc)
{
	char line[240];
	uint64_t before = 0, after = 0;
	int r = 0;

	if (fi.done || hart != fi.hart)
		return;
	uint64_t now = rv_machine_icount(fi.m, hart);
	if (fi.started) {
		faultinj_continue(hart, now, pc);
		return;
	}
	if (now < fi.at)
		return;
	if (now > fi.at && fi.kind != FAULTINJ_IRQ) {
		/* Only when the run started past ICOUNT (a later snapshot). */
		fi.done = true;
		snprintf(line, sizeof(line),
			 "nothing injected: hart %" PRIu64 " is at instruction "
			 "%" PRIu64 ", past at=%" PRIu64,
			 fi.hart, now, fi.at);
		faultinj_report(line);
		return;
	}
	switch (fi.kind) {
	case FAULTINJ_SKIP:
		fi.done = true;
		r = rv_machine_reg_write(fi.m, hart, RV_REG_PC, pc + (uintptr_t)ud);
		snprintf(line, sizeof(line),
			 "%s the %" PRIuPTR "-byte instruction at pc 0x%" PRIx64 " of hart %" PRIu32
			 " at instruction %" PRIu64,
			 r ? "could not skip" : "skipped", (uintptr_t)ud, pc, hart, now);
		break;
	case FAULTINJ_IRQ:
		faultinj_start_irq(hart, now, pc);
		return;
	default:
		faultinj_apply_bits(hart, &before, &after, &r);
		faultinj_describe(line, sizeof(line), hart, now, pc);
		if (r) {
			fi.done = true;
			faultinj_report("could not change the target");
			return;
		}
		fi.forced += before != after;
		fi.done = !fi.window;
		fi.started = fi.window;
		size_t n = strlen(line);
		snprintf(line + n, sizeof(line) - n, ": 0x%" PRIx64 " -> 0x%" PRIx64, before,
			 after);
		break;
	}
	faultinj_report(line);
}

/* Once the fault is done, no instruction needs to pay for a callback. */
static void faultinj_on_exec(void *ud, uint32_t hart, uint64_t pc)
{
	faultinj_exec(ud, hart, pc);
	if (fi.done && fi.blocks) {
		rv_unsubscribe(fi.self, fi.blocks);
		fi.blocks = 0;
	}
}

static void faultinj_on_block(void *ud, rv_block *b)
{
	(void)ud;
	if (fi.done)
		return;
	for (uint32_t i = 0; i < rv_block_insns(b); i++) {
		rv_insn *in = rv_block_insn(b, i);
		rv_insn_on_exec(fi.self, in, faultinj_on_exec, (void *)(uintptr_t)rv_insn_size(in));
	}
}

static bool faultinj_on_blk(void *ud, uint32_t device, uint64_t nth, bool write, uint64_t sector,
			    uint32_t count)
{
	static const char *const what[] = { "",     "failed",      "lost",
					    "tore", "misdirected", "rotted a bit of" };
	char line[240];
	uint64_t arg = fi.blk_arg;

	(void)ud;
	if (fi.done || (!fi.any_dev && device != fi.dev))
		return false;
	if (fi.blk_mode != RV_BLK_FAIL) {
		/* Write faults count writes, bit rot counts reads. */
		if (write != (fi.blk_mode != RV_BLK_ROT) || fi.blk_seen++ != fi.blk)
			return false;
	} else if (nth != fi.blk) {
		return false;
	}
	fi.done = true;
	if (fi.blk_mode == RV_BLK_ROT)
		arg %= (uint64_t)count * 4096u;
	if (fi.blk_mode != RV_BLK_FAIL && rv_machine_blk_fault(fi.m, (uint32_t)fi.blk_mode, arg)) {
		snprintf(line, sizeof(line),
			 "nothing injected: block request %" PRIu64 " of "
			 "device %" PRIu32 " (%" PRIu32 " sectors) does not take that fault",
			 nth, device, count);
		faultinj_report(line);
		return false;
	}
	snprintf(line, sizeof(line),
		 "%s block request %" PRIu64 " of device %" PRIu32 " (%s of %" PRIu32
		 " sectors at sector %" PRIu64 ") at instruction %" PRIu64,
		 what[fi.blk_mode], nth, device, write ? "write" : "read", count, sector,
		 rv_machine_total_icount(fi.m));
	if (fi.blk_mode != RV_BLK_FAIL && fi.blk_mode != RV_BLK_LOST) {
		size_t n = strlen(line);
		snprintf(line + n, sizeof(line) - n, ": %s %" PRIu64,
			 fi.blk_mode == RV_BLK_TORN ? "sectors kept" :
			 fi.blk_mode == RV_BLK_ROT  ? "bit" :
						      "to sector",
			 arg);
	}
	faultinj_report(line);
	return fi.blk_mode == RV_BLK_FAIL;
}

static void faultinj_on_exit(void *ud, int status)
{
	(void)ud;
	(void)status;
	if (fi.started && !fi.done)
		faultinj_report(fi.kind == FAULTINJ_IRQ ?
					"the run ended with the interrupt masked" :
					"the run ended inside the stuck-at window");
	else if (!fi.done)
		faultinj_report("nothing injected: the run ended first");
	example_close_out(fi.out);
}

/* lost, torn=K, misdirect=SECTOR, rot=BIT: one block fault mode. */
static bool faultinj_blk_mode(uint64_t mode, const char *v)
{
	if (fi.blk_mode != RV_BLK_FAIL)
		return false;
	fi.blk_mode = mode;
	return example_parse_u64(v, &fi.blk_arg);
}

/* Which fault the arguments name, or a sentence saying what is wrong. */
static const char *faultinj_check(bool have_at, bool have_bit, bool have_mask, bool have_until,
				  bool have_stuck, int targets)
{
	bool bits = fi.kind == FAULTINJ_REG || fi.kind == FAULTINJ_MEM;

	if (targets != 1)
		return "faultinj needs exactly one of reg=N, mem=PADDR, skip, irq=N, blk=N";
	if (fi.blk_mode != RV_BLK_FAIL && fi.kind != FAULTINJ_BLK)
		return "faultinj: lost, torn=, misdirect= and rot= go with blk=N";
	if (fi.kind == FAULTINJ_BLK)
		return have_at || have_bit || have_mask ?
			       "faultinj blk=N takes no at=, bit= or mask=" :
			       NULL;
	if (!have_at)
		return "faultinj reg=, mem=, skip and irq= need at=ICOUNT";
	if (bits && have_bit + have_mask != 1)
		return "faultinj reg= and mem= need bit=B or mask=M (one of them)";
	if (!bits && (have_bit || have_mask || have_until || have_stuck))
		return "faultinj skip and irq= take no bit=, mask=, until= or stuck=";
	if (have_until != have_stuck)
		return "faultinj: a stuck-at window needs both until=END and stuck=0|1";
	if (have_until && (fi.until <= fi.at || fi.stuck > 1))
		return "faultinj: until= must be after at=, and stuck= is 0 or 1";
	if (fi.kind == FAULTINJ_REG && !have_mask && fi.mask > 63)
		return "faultinj reg=: bit= is 0..63";
	if (fi.kind == FAULTINJ_MEM && (have_mask ? fi.mask > 0xff : fi.mask > 7))
		return "faultinj mem=: bit= is 0..7, mask= 0x01..0xff (of the byte at PADDR)";
	if (bits && have_mask && !fi.mask)
		return "faultinj: mask= needs at least one bit set";
	if (fi.kind == FAULTINJ_IRQ && (fi.irq > 63 || !((1ull << fi.irq) & 0x222)))
		return "faultinj irq=: the interrupt is 1 (SSIP), 5 (STIP) or 9 (SEIP)";
	if (fi.kind == FAULTINJ_IRQ && fi.drop == (fi.delay > 0))
		return "faultinj irq=N needs drop or delay=D (D at least 1)";
	return NULL;
}

RV_PLUGIN_EXPORT int rv_plugin_init(rv_plugin *self, const rv_plugin_info *info, int argc,
				    const rv_plugin_arg *argv)
{
	bool have_at = false, have_reg = false, have_mem = false, have_bit = false;
	bool have_blk = false, have_mask = false, have_until = false, have_stuck = false;
	bool have_skip = false, have_irq = false;
	const char *out = NULL, *bad;

	fi.self = self;
	fi.m = example_machine(self, info);
	fi.any_dev = true;
	fi.blk_mode = RV_BLK_FAIL;
	for (int i = 0; i < argc; i++) {
		const char *k = argv[i].key, *v = argv[i].value;
		bool ok = true;
		if (!strcmp(k, "at"))
			ok = have_at = example_parse_u64(v, &fi.at);
		else if (!strcmp(k, "reg"))
			ok = have_reg = example_parse_u64(v, &fi.reg);
		else if (!strcmp(k, "mem"))
			ok = have_mem = example_parse_u64(v, &fi.paddr);
		else if (!strcmp(k, "bit"))
			ok = have_bit = example_parse_u64(v, &fi.mask);
		else if (!strcmp(k, "mask"))
			ok = have_mask = example_parse_u64(v, &fi.mask);
		else if (!strcmp(k, "until"))
			ok = have_until = fi.window = example_parse_u64(v, &fi.until);
		else if (!strcmp(k, "stuck"))
			ok = have_stuck = example_parse_u64(v, &fi.stuck);
		else if (!strcmp(k, "skip"))
			ok = have_skip = !*v;
		else if (!strcmp(k, "irq"))
			ok = have_irq = example_parse_u64(v, &fi.irq);
		else if (!strcmp(k, "drop"))
			ok = fi.drop = !*v;
		else if (!strcmp(k, "delay"))
			ok = example_parse_u64(v, &fi.delay);
		else if (!strcmp(k, "hart"))
			ok = example_parse_u64(v, &fi.hart) && fi.hart < info->nharts;
		else if (!strcmp(k, "blk"))
			ok = have_blk = example_parse_u64(v, &fi.blk);
		else if (!strcmp(k, "lost"))
			ok = !*v && faultinj_blk_mode(RV_BLK_LOST, "0");
		else if (!strcmp(k, "torn"))
			ok = faultinj_blk_mode(RV_BLK_TORN, v);
		else if (!strcmp(k, "misdirect"))
			ok = faultinj_blk_mode(RV_BLK_MISDIRECT, v);
		else if (!strcmp(k, "rot"))
			ok = faultinj_blk_mode(RV_BLK_ROT, v);
		else if (!strcmp(k, "dev"))
			ok = example_parse_u64(v, &fi.dev) && !(fi.any_dev = false);
		else if (!strcmp(k, "out"))
			out = v;
		else if (strcmp(k, "vmlinux"))
			ok = false;
		if (!ok)
			return example_bad_arg(
				self, &argv[i],
				"faultinj takes at=, reg=, mem=, bit=, "
				"mask=, until=, stuck=, skip, irq=, drop, delay=, hart=, "
				"blk=, lost, torn=, misdirect=, rot=, dev= and out=");
	}
	fi.kind = have_reg  ? FAULTINJ_REG :
		  have_mem  ? FAULTINJ_MEM :
		  have_skip ? FAULTINJ_SKIP :
		  have_irq  ? FAULTINJ_IRQ :
			      FAULTINJ_BLK;
	bad = faultinj_check(have_at, have_bit, have_mask, have_until, have_stuck,
			     have_reg + have_mem + have_blk + have_skip + have_irq);
	if (bad)
		return example_refuse(fi.self, bad);
	if (have_bit)
		fi.mask = 1ull << fi.mask;
	if (have_reg &&
	    rv_machine_reg_read(fi.m, (uint32_t)fi.hart, (uint32_t)fi.reg, &(uint64_t){ 0 }))
		return example_refuse(fi.self, "faultinj reg=: no such register");
	fi.out = example_open_out(self, out, stderr, NULL, 0);
	if (!fi.out)
		return -1;
	rv_on_exit(self, faultinj_on_exit, NULL);
	if (fi.kind == FAULTINJ_BLK) {
		rv_on_blk_request(self, faultinj_on_blk, NULL);
		return 0;
	}
	/* Loaded just before the instruction at ICOUNT (a campaign's worker
	 * attaches it there: attach-at): a flip happens now, and no block
	 * needs a callback (subscribing would drop and decode again all the
	 * code the run executes, twice). */
	uint64_t pc = 0;
	if ((fi.kind == FAULTINJ_REG || fi.kind == FAULTINJ_MEM) && !fi.window &&
	    rv_machine_icount(fi.m, (uint32_t)fi.hart) == fi.at &&
	    rv_machine_reg_read(fi.m, (uint32_t)fi.hart, RV_REG_PC, &pc) == 0) {
		faultinj_exec(NULL, (uint32_t)fi.hart, pc);
		if (fi.done)
			return 0;
	}
	fi.blocks = rv_on_block(self, faultinj_on_block, NULL);
	return 0;
}
