// SPDX-License-Identifier: MIT
/*
 * defuse.so: records which integer registers each instruction of a run
 * reads (uses) and writes (defines), for def/use fault-space pruning
 * (experiments/campaign --prune, experiments/campaign_lib/defuse.py).
 *
 *   --plugin defuse.so,out=FILE[,from=ICOUNT][,hart=H]
 *
 * From hart H's instruction count ICOUNT on (default 0) to the end of the
 * run, one line per instruction that touches x1..x31:
 *
 *   K USES DEFS PC       (K the hart's count before it, masks in hex:
 *                         bit r for register xr)
 *
 * An injection "at=K" (faultinj.so) flips a bit just before instruction
 * K, so a flip of xr at any count in (previous access of xr, K] reaches
 * the same state when instruction K reads xr: one equivalence class.
 *
 * The masks must never miss a use and never claim a false definition
 * (a false use only costs an experiment; a false definition would call a
 * harmful flip benign). So: the decoder below knows RV64GC's integer
 * operands; an instruction it does not know, and every ecall, ebreak,
 * xRET and wfi (the hypervisor's SBI reads a0..a7 behind the guest's
 * back), uses all registers and defines none; floating-point instructions
 * that write an integer register (fmv.x.d, feq...) define none; and a
 * definition counts only once the instruction has retired (the next
 * callback sees the hart's count past K): an instruction that traps
 * defines nothing. Uses at one count are merged (a trapping instruction
 * and the first instruction of its handler share a count).
 *
 * Cost: every instruction is subscribed (one callback each), the price of
 * a golden run traced once per campaign. Input not trusted: the arguments.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "retrovisor/plugin.h"

RV_PLUGIN_EXPORT const uint32_t rv_plugin_abi[2] = { RV_PLUGIN_ABI_MIN, RV_PLUGIN_ABI_VERSION };

#define DEFUSE_ALL 0xfffffffeu /* x1..x31 */

struct defuse {
	rv_plugin *self;
	uint64_t from, hart;
	FILE *out;
	bool have; /* a pending instruction */
	uint64_t k, pc;
	uint32_t use, def;
};

static struct defuse du;

/* Integer registers read and written by one instruction (x0 dropped). */
static void defuse_decode(uint32_t raw, uint32_t *use, uint32_t *def)
{
	uint32_t u = 0, d = 0;

	if ((raw & 3) == 3) {
		uint32_t rd = 1u << ((raw >> 7) & 31), rs1 = 1u << ((raw >> 15) & 31);
		uint32_t rs2 = 1u << ((raw >> 20) & 31), f3 = (raw >> 12) & 7;
		switch (raw & 0x7f) {
		case 0x37: case 0x17: case 0x6f: /* lui, auipc, jal */
			d = rd;
			break;
		case 0x67: case 0x03: case 0x13: case 0x1b: /* jalr, loads, op-imm(-32) */
			u = rs1, d = rd;
			break;
		case 0x63: case 0x23: /* branches, stores */
			u = rs1 | rs2;
			break;
		case 0x33: case 0x3b: case 0x2f: /* op, op-32, amo */
			u = rs1 | rs2, d = rd;
			break;
		case 0x07: case 0x27: case 0x53: /* fp loads, stores, ops */
			u = rs1;
			break;
		case 0x43: case 0x47: case 0x4b: case 0x4f: case 0x0f: /* fma, fence */
			break;
		case 0x73:
			if (f3 == 0 || f3 == 4)
				u = DEFUSE_ALL; /* ecall, ebreak, xRET, wfi, sfence */
			else
				u = f3 < 4 ? rs1 : 0, d = rd;
			break;
		default:
			u = DEFUSE_ALL;
		}
	} else {
		uint32_t q = raw & 3, f3 = (raw >> 13) & 7;
		uint32_t r11 = 1u << ((raw >> 7) & 31), r6 = 1u << ((raw >> 2) & 31);
		uint32_t p9 = 1u << (8 + ((raw >> 7) & 7)), p4 = 1u << (8 + ((raw >> 2) & 7));
		uint32_t sp = 1u << 2;
		if (q == 0) {
			static const uint8_t kind[8] = { 1, 2, 3, 3, 0, 2, 4, 4 };
			switch (kind[f3]) {
			case 1: u = sp, d = p4; break;       /* c.addi4spn */
			case 2: u = p9; break;               /* c.fld, c.fsd */
			case 3: u = p9, d = p4; break;       /* c.lw, c.ld */
			case 4: u = p9 | p4; break;          /* c.sw, c.sd */
			default: u = DEFUSE_ALL;
			}
		} else if (q == 1) {
			switch (f3) {
			case 0: case 1: u = r11, d = r11; break; /* c.addi, c.addiw */
			case 2: d = r11; break;                  /* c.li */
			case 3: u = r11 == sp ? sp : 0, d = r11; break; /* c.addi16sp, c.lui */
			case 4:
				u = p9 | (((raw >> 10) & 3) == 3 ? p4 : 0), d = p9;
				break;
			case 5: break;                           /* c.j */
			default: u = p9;                         /* c.beqz, c.bnez */
			}
		} else if (q == 2) {
			bool b12 = raw & (1u << 12);
			switch (f3) {
			case 0: u = r11, d = r11; break;         /* c.slli */
			case 1: case 5: u = sp; break;           /* c.fldsp, c.fsdsp */
			case 2: case 3: u = sp, d = r11; break;  /* c.lwsp, c.ldsp */
			case 4:
				if (r6 == 1 && r11 == 1)
					u = DEFUSE_ALL;          /* c.ebreak */
				else if (r6 == 1)
					u = r11, d = b12 ? 1u << 1 : 0; /* c.jr, c.jalr */
				else
					u = r6 | (b12 ? r11 : 0), d = r11; /* c.mv, c.add */
				break;
			default: u = sp | r6;                    /* c.swsp, c.sdsp */
			}
		}
	}
	*use = u & DEFUSE_ALL;
	*def = d & DEFUSE_ALL;
}

static void defuse_flush(bool retired)
{
	uint32_t def = retired ? du.def : 0;

	if (du.have && (du.use | def))
		fprintf(du.out, "%" PRIu64 " %x %x %" PRIx64 "\n", du.k, du.use, def, du.pc);
	du.have = false;
}

static void defuse_on_exec(void *ud, uint32_t hart, uint64_t pc)
{
	uint32_t use, def;

	if (hart != du.hart)
		return;
	uint64_t now = rv_icount(hart);
	if (now < du.from)
		return;
	defuse_decode((uint32_t)(uintptr_t)ud, &use, &def);
	if (du.have && now == du.k) {
		/* The pending instruction did not retire (it trapped). */
		du.use |= use;
		du.def = def;
		du.pc = pc;
		return;
	}
	defuse_flush(true);
	du.have = true;
	du.k = now;
	du.use = use;
	du.def = def;
	du.pc = pc;
}

static void defuse_on_block(void *ud, rv_block *b)
{
	(void)ud;
	for (uint32_t i = 0; i < rv_block_insns(b); i++) {
		rv_insn *in = rv_block_insn(b, i);
		rv_insn_on_exec(du.self, in, defuse_on_exec, (void *)(uintptr_t)rv_insn_raw(in));
	}
}

static void defuse_on_exit(void *ud, int status)
{
	(void)ud;
	(void)status;
	defuse_flush(false);
	fclose(du.out);
}

RV_PLUGIN_EXPORT int rv_plugin_init(rv_plugin *self, const rv_plugin_info *info, int argc,
				    const rv_plugin_arg *argv)
{
	const char *out = NULL;
	char why[240];

	du.self = self;
	for (int i = 0; i < argc; i++) {
		const char *k = argv[i].key, *v = argv[i].value;
		char *end;
		bool ok = true;
		errno = 0;
		if (!strcmp(k, "from"))
			du.from = strtoull(v, &end, 0), ok = *v && !*end && !errno;
		else if (!strcmp(k, "hart"))
			du.hart = strtoull(v, &end, 0), ok = *v && !*end && du.hart < info->nharts;
		else if (!strcmp(k, "out"))
			out = v;
		else
			ok = false;
		if (!ok) {
			snprintf(why, sizeof(why), "bad argument '%s=%s' (defuse takes out=FILE, "
				 "from=ICOUNT and hart=H)", k, v);
			rv_plugin_fail(self, why);
			return -1;
		}
	}
	if (!out || !*out) {
		rv_plugin_fail(self, "defuse needs out=FILE for its trace");
		return -1;
	}
	du.out = fopen(out, "w");
	if (!du.out) {
		snprintf(why, sizeof(why), "cannot create '%s': %s", out, strerror(errno));
		rv_plugin_fail(self, why);
		return -1;
	}
	rv_on_block(self, defuse_on_block, NULL);
	rv_on_exit(self, defuse_on_exit, NULL);
	return 0;
}
