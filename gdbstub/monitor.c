// SPDX-License-Identifier: MIT
/*
 * `monitor` commands of a gdb session (sessint.h; docs/gdb.md): icount,
 * snapshot/restore/snapshots, info harts, phys on|off. The command text
 * is untrusted: unknown commands and bad arguments get one line of error.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gdbstub/gdbstub.h"
#include "gdbstub/sessint.h"
#include "gdbstub/tdesc.h"
#include "hv/cpu/debug.h"
#include "hv/cpu/mmu.h"
#include "replay/session.h"
#include "snapshot/snap.h"
#include "snapshot/tree.h"

/* ---- Monitor ---- */

static void mon_printf(gdb_monitor_out_fn out, void *ctx, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > 0)
		out(ctx, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}

int gs_monitor(void *opaque, unsigned hart, const char *cmd, gdb_monitor_out_fn out, void *ctx)
{
	struct gdbsess *gs = opaque;
	struct machine *m = gs->m;
	struct hv_err err = { { 0 } };
	char word[32], arg[SNAPTREE_NAME_MAX + 2];
	int n = sscanf(cmd, "%31s %64s", word, arg);

	if (n < 1)
		return GDB_UNSUPPORTED;
	if (!strcmp(word, "icount") && n == 1) {
		mon_printf(out, ctx,
			   "%llu instructions retired in all; hart %u: %llu (position "
			   "%llu)\n",
			   (unsigned long long)m->total_insns, hart,
			   (unsigned long long)m->hart[hart]->icount,
			   (unsigned long long)debug_position(m));
		return 0;
	}
	if (!strcmp(word, "info") && n == 2 && !strcmp(arg, "harts")) {
		for (unsigned i = 0; i < m->nharts; i++) {
			const struct hart *h = m->hart[i];
			char what[64];
			gs_extra(gs, i, what, sizeof(what));
			mon_printf(out, ctx,
				   "%s hart %u: pc 0x%016llx, %s, %llu instructions, satp "
				   "0x%llx\n",
				   i == hart ? "*" : " ", i, (unsigned long long)h->pc, what,
				   (unsigned long long)h->icount, (unsigned long long)h->satp);
		}
		return 0;
	}
	if (!strcmp(word, "phys") && n == 2 && (!strcmp(arg, "on") || !strcmp(arg, "off"))) {
		gs->phys = !strcmp(arg, "on");
		mon_printf(out, ctx, "memory accesses use %s addresses\n",
			   gs->phys ? "physical" : "virtual (the hart's MMU)");
		return 0;
	}
	if ((!strcmp(word, "snapshot") || !strcmp(word, "restore")) && n == 2) {
		if (!gs->tree && !(gs->tree = snaptree_create()))
			return -1;
		if (!strcmp(word, "snapshot")) {
			if (snaptree_take(gs->tree, m, arg, &err)) {
				mon_printf(out, ctx, "error: %s\n", err.msg);
				return 0;
			}
			mon_printf(out, ctx, "snapshot '%s' taken at instruction %llu\n", arg,
				   (unsigned long long)m->total_insns);
			return 0;
		}
		if (snaptree_restore(gs->tree, m, arg, &err) < 0) {
			mon_printf(out, ctx, "error: %s\n", err.msg);
			return 0;
		}
		/* A restore is a jump in time: the replay follows it, and
		 * checkpoints after it are another history. */
		if (gs->rp)
			replayer_seek(gs->rp, m, &err);
		while (gs->nck && gs->ck[gs->nck - 1].position > debug_position(m))
			ck_free(&gs->ck[--gs->nck]);
		if (!gs->rp)
			gs->input_seen = true;
		gs_rec_rewound(gs);
		debug_resume(m);
		mon_printf(out, ctx, "restored '%s': instruction %llu\n", arg,
			   (unsigned long long)m->total_insns);
		return 0;
	}
	if (!strcmp(word, "snapshots") && n == 1) {
		if (!gs->tree)
			mon_printf(out, ctx, "no snapshots\n");
		else {
			char *text = NULL;
			size_t len = 0;
			FILE *f = open_memstream(&text, &len);
			if (f) {
				snaptree_print(gs->tree, f);
				fclose(f);
				out(ctx, text, len);
				free(text);
			}
		}
		return 0;
	}
	if (!strcmp(word, "help") && n == 1) {
		mon_printf(out, ctx,
			   "monitor commands: icount | info harts | phys on|off | "
			   "snapshot NAME | restore NAME | snapshots | help\n");
		return 0;
	}
	return GDB_UNSUPPORTED;
}
