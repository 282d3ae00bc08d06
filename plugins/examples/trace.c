// SPDX-License-Identifier: MIT
/*
 * trace.so: a timeline of the guest that Perfetto (ui.perfetto.dev,
 * trace_processor) and chrome://tracing load, in the Chrome JSON trace
 * event format ("Trace Event Format", the JSON Object Format).
 *
 *   --plugin trace.so,out=FILE[,vmlinux=FILE][,from=ICOUNT][,until=ICOUNT]
 *                     [,max-events=N]
 *
 * JSON rather than Perfetto's protobuf: both loaders take it, a reader
 * needs nothing but a JSON parser (the tests use Python's json module),
 * and what is shown here, nested slices on per-hart tracks, is all the
 * format needs; the protobuf's extras (interned strings, smaller files)
 * matter past the event counts max-events keeps to.
 *
 * One process "retrovisor guest" (pid 1) with one thread track per hart
 * (tid hart + 1, named "hart N"). On each track, nested slices (B and E
 * events, category in "cat"):
 *   task       the running Linux task, named by its comm, args pid, tgid
 *              (needs vmlinux=; a context switch is the first instruction
 *              of __switch_to, whose a1 is the next task_struct)
 *   syscall    an ecall from U-mode (scause 8) to the sret that returns
 *              from it: named as Linux names the call ("execve"), args nr
 *              and a0..a5; its E event carries ret (a0 at the sret)
 *   exception  any other exception, named by its cause, args cause, tval,
 *              epc; an ecall into M-mode firmware is named by its SBI call
 *   interrupt  named by its cause ("supervisor timer"), to its xRET
 *   device     inside an external interrupt, the PLIC source the handler
 *              claims (a read of a claim register) to its completion (the
 *              write), named by the device ("uart", "virtio-blk"...;
 *              virtio slots are named by the device seen answering there)
 * and SBI calls served by the hypervisor (paravirtual boot) as slices of
 * one instruction (X events, "sbi set_timer"), args ext, fid, a0..a4.
 * With vmlinux=, traps taken before a hart's task is known (early boot)
 * are one-instruction slices too: some never return.
 * A trap's slice ends at the next sret/mret of the same task (nested
 * device slices end with it). Frames are kept per task, so a task that
 * sleeps inside a call has its slices closed when it is switched out and
 * opened again (same name and args) when it runs again, on any hart.
 * Without vmlinux= there is no task slice and each hart is one context.
 *
 * Time: ts is guest time, rv_time_ns (the hart's retired instructions
 * plus the idle time the machine skipped while it waited, 10 ns an
 * instruction; mtime is this / 100), in microseconds with three decimals.
 * It never decreases on a track (a restored snapshot's earlier clock is
 * held at the last time written).
 *
 * Bounds: from= and until= are machine-wide instruction counts
 * (rv_total_icount, as itrace's from=), checked at each event: the
 * window opens at the first event at or past from (the slices open at
 * that moment start there on every track) and closes at the first event
 * at or past until, at max-events events (default 1,000,000, about
 * 100 MB; 0: no limit; track names do not count), or at the end of the
 * run. Every slice open then ends there, so B and E always balance.
 *
 * Output: written to a temporary file beside FILE and renamed to FILE
 * once complete at the end of the run; if writing fails (or the run never
 * reaches its end callback) the temporary file is removed and FILE is
 * left as it was.
 *
 * Input not trusted: the arguments; guest memory and registers (task
 * names are escaped into JSON, frames per task and depth are bounded).
 *
 * This file follows the guest; trace_out.c writes the timeline.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "plugins/examples/trace_impl.h"

/* Built against ABI 1-3, rv_time_ns needs 2. */
RV_PLUGIN_EXPORT const uint32_t rv_plugin_abi[2] = EXAMPLE_ABI(2);

static uint64_t trace_reg(uint32_t hart, uint32_t reg)
{
	uint64_t v = 0;

	rv_machine_reg_read(tr.m, hart, reg, &v);
	return v;
}

static int trace_read_phys(void *opaque, uint64_t pa, void *buf, size_t len)
{
	return rv_machine_mem_read_phys(opaque, pa, buf, len) == len ? 0 : -1;
}

/* ---- Tasks ---- */

/* The context of task (pid): kept per task_struct; one whose pid
 * changed is a new task at a reused address and starts empty. When the
 * probed slots are all taken, one that no hart runs is reused. */
static struct trace_ctx *trace_ctx_get(uint64_t task, int32_t pid)
{
	struct trace_ctx *pick = NULL;
	size_t i = (size_t)((task >> 4) * 0x9e3779b97f4a7c15ull >> 40) % TRACE_CTXS;

	for (unsigned p = 0; p < TRACE_PROBE; p++, i = (i + 1) % TRACE_CTXS) {
		struct trace_ctx *c = &tr.ctx[i];
		if (c->key == task) {
			if (c->pid != pid)
				c->depth = 0;
			return c;
		}
		bool running = false;
		for (uint32_t h = 0; h < tr.nharts; h++)
			running |= tr.hart[h].cur == c;
		if (!running && (!pick || !c->key || (pick->key && !c->depth && pick->depth)))
			pick = c;
	}
	if (!pick)
		return NULL;
	pick->key = task;
	pick->depth = 0;
	pick->task = true;
	return pick;
}

/* Hart now runs task: the track shows its slice and its frames. Also
 * called again for the same task when its comm may have changed. */
static void trace_switch(uint32_t hart, uint64_t task)
{
	struct trace_hart *th = &tr.hart[hart];
	uint64_t satp = trace_reg(hart, RV_REG_CSR(TRACE_CSR_SATP));
	int32_t pid = -1, tgid = -1;
	char comm[INTRO_COMM_LEN] = "?";

	if (intro_linux_task_info(tr.lx, &tr.mem, satp, task, &pid, &tgid, comm))
		snprintf(comm, sizeof(comm), "?");
	struct trace_ctx *c = trace_ctx_get(task, pid);
	if (!c)
		c = &th->own;
	if (c == th->cur && c->pid == pid && !strncmp(c->comm, comm, sizeof(comm)))
		return;
	if (tr.on)
		trace_close_track(hart);
	c->pid = pid;
	c->tgid = tgid;
	memcpy(c->comm, comm, sizeof(comm));
	th->cur = c;
	if (tr.on)
		trace_open_track(hart);
}

/* With vmlinux=, until the hart's task is known: find it from tp and
 * sscratch (intro_linux_current's rule); later only __switch_to moves it. */
static void trace_find_current(uint32_t hart)
{
	struct trace_hart *th = &tr.hart[hart];
	uint64_t priv, task;

	if (!tr.lx || th->cur != &th->own || rv_machine_reg_read(tr.m, hart, RV_REG_PRIV, &priv) ||
	    priv == TRACE_PRIV_M)
		return;
	if (intro_linux_current(tr.lx, &tr.mem, trace_reg(hart, RV_REG_CSR(TRACE_CSR_SATP)),
				trace_reg(hart, TRACE_REG_TP),
				trace_reg(hart, RV_REG_CSR(TRACE_CSR_SSCRATCH)), (unsigned)priv,
				&task) == 0)
		trace_switch(hart, task);
}

static void trace_event(uint32_t hart)
{
	trace_window();
	trace_find_current(hart);
}

/* ---- Callbacks ---- */

static void trace_on_trap(void *ud, uint32_t hart, uint64_t cause, uint64_t tval, uint64_t epc,
			  uint32_t to_priv)
{
	struct trace_frame fr = { 0 };

	(void)ud;
	trace_event(hart);
	fr.code = cause & ~TRACE_CAUSE_IRQ;
	if (cause & TRACE_CAUSE_IRQ) {
		fr.kind = TRACE_INTERRUPT;
	} else if (fr.code == TRACE_ECALL_U && to_priv == TRACE_PRIV_S) {
		fr.kind = TRACE_SYSCALL;
		fr.code = trace_reg(hart, TRACE_REG_A7);
		for (unsigned i = 0; i < 6; i++)
			fr.v[i] = trace_reg(hart, TRACE_REG_A0 + i);
	} else if (fr.code == TRACE_ECALL_S && to_priv == TRACE_PRIV_M) {
		fr.kind = TRACE_FIRMWARE;
		fr.code = trace_reg(hart, TRACE_REG_A7);
		fr.v[0] = trace_reg(hart, TRACE_REG_A6);
		for (unsigned i = 0; i < 5; i++)
			fr.v[1 + i] = trace_reg(hart, TRACE_REG_A0 + i);
	} else {
		fr.kind = TRACE_EXCEPTION;
		fr.v[0] = tval;
		fr.v[1] = epc;
	}
	trace_push(hart, &fr);
}

/* sret (ud NULL) or mret about to execute: the innermost trap of the task
 * returns, with the device slices inside it. */
static void trace_on_xret(void *ud, uint32_t hart, uint64_t pc)
{
	uint64_t priv = 0;

	(void)pc;
	if (rv_machine_reg_read(tr.m, hart, RV_REG_PRIV, &priv) ||
	    priv < (ud ? TRACE_PRIV_M : TRACE_PRIV_S))
		return; /* an illegal instruction, which traps instead */
	trace_event(hart);
	struct trace_ctx *c = tr.hart[hart].cur;
	int64_t ret = (int64_t)trace_reg(hart, TRACE_REG_A0);
	while (c->depth) {
		unsigned kind = c->depth <= TRACE_DEPTH ? c->f[c->depth - 1].kind : TRACE_EXCEPTION;
		uint64_t nr = c->depth <= TRACE_DEPTH ? c->f[c->depth - 1].code : 0;
		trace_pop(hart, kind == TRACE_SYSCALL ? &ret : NULL);
		if (kind == TRACE_DEVICE)
			continue;
		/* A successful execve renames the task. */
		const char *name = kind == TRACE_SYSCALL ? intro_syscall_name(nr) : NULL;
		if (c->task && ret == 0 && name && !strncmp(name, "execve", 6))
			trace_switch(hart, c->key);
		break;
	}
}

static void trace_on_switch(void *ud, uint32_t hart, uint64_t pc)
{
	(void)ud;
	(void)pc;
	trace_window();
	trace_switch(hart, trace_reg(hart, TRACE_REG_A1));
}

static void trace_on_block(void *ud, rv_block *b)
{
	static int mret_tag;

	(void)ud;
	for (uint32_t i = 0; i < rv_block_insns(b); i++) {
		rv_insn *in = rv_block_insn(b, i);
		uint32_t raw = rv_insn_raw(in);
		if (raw == TRACE_INSN_SRET || raw == TRACE_INSN_MRET)
			rv_insn_on_exec(tr.self, in, trace_on_xret,
					raw == TRACE_INSN_MRET ? &mret_tag : NULL);
		else if (tr.switch_to && rv_insn_vaddr(in) == tr.switch_to)
			rv_insn_on_exec(tr.self, in, trace_on_switch, NULL);
	}
}

static void trace_on_sbi(void *ud, uint32_t hart, uint64_t ext, uint64_t fid,
			 const uint64_t args[6])
{
	struct trace_frame fr = { .kind = TRACE_SBI, .code = ext, .v = { fid } };

	(void)ud;
	trace_event(hart);
	memcpy(&fr.v[1], args, 5 * sizeof(args[0]));
	trace_instant(hart, &fr);
}

static void trace_on_mmio(void *ud, uint32_t hart, uint64_t paddr, uint32_t size, bool write,
			  uint64_t value, const char *device)
{
	(void)ud;
	(void)size;
	if (paddr >= TRACE_VIRTIO_BASE &&
	    paddr < TRACE_VIRTIO_BASE + 0x1000ull * TRACE_VIRTIO_SLOTS && device) {
		char *slot = tr.slot[(paddr - TRACE_VIRTIO_BASE) >> 12];
		if (strncmp(slot, device, sizeof(tr.slot[0]) - 1))
			snprintf(slot, sizeof(tr.slot[0]), "%s", device);
		return;
	}
	if (paddr < TRACE_PLIC_CLAIM0 || paddr >= TRACE_PLIC_END ||
	    (paddr & 0xfff) != (TRACE_PLIC_CLAIM0 & 0xfff) || value == 0)
		return;
	trace_event(hart);
	struct trace_ctx *c = tr.hart[hart].cur;
	if (!write) {
		struct trace_frame fr = { .kind = TRACE_DEVICE, .code = value };
		trace_push(hart, &fr);
	} else if (c->depth && c->depth <= TRACE_DEPTH && c->f[c->depth - 1].kind == TRACE_DEVICE &&
		   c->f[c->depth - 1].code == value) {
		trace_pop(hart, NULL);
	}
}

/* A restored snapshot: the guest is elsewhere; every frame is forgotten. */
static void trace_on_snapshot(void *ud, const char *name, bool restored)
{
	(void)ud;
	(void)name;
	if (!restored)
		return;
	bool on = tr.on;
	for (uint32_t h = 0; h < tr.nharts; h++) {
		trace_close_track(h);
		tr.hart[h].cur = &tr.hart[h].own;
		tr.hart[h].own.depth = 0;
	}
	memset(tr.ctx, 0, sizeof(tr.ctx));
	for (uint32_t h = 0; on && h < tr.nharts; h++)
		trace_open_track(h);
}

/* ---- The file ---- */

static void trace_discard(void)
{
	if (tr.f)
		fclose(tr.f);
	tr.f = NULL;
	if (tr.tmp[0])
		unlink(tr.tmp);
	tr.tmp[0] = 0;
}

static void trace_on_exit(void *ud, int status)
{
	(void)ud;
	(void)status;
	trace_stop_window(false);
	fprintf(tr.f,
		"\n],\n\"displayTimeUnit\":\"ns\",\n\"otherData\":{\"clock\":\"guest time, "
		"10 ns an instruction\",\"events\":%" PRIu64 ",\"from\":%" PRIu64
		",\"until\":%" PRIu64 ",\"truncated\":%s}}\n",
		tr.events, tr.from, tr.until, tr.full ? "true" : "false");
	int err = ferror(tr.f) ? EIO : 0;
	if (fflush(tr.f) || fsync(fileno(tr.f)))
		err = errno;
	if (fclose(tr.f) && !err)
		err = errno;
	tr.f = NULL;
	if (!err && rename(tr.tmp, tr.out))
		err = errno;
	if (err) {
		fprintf(stderr, "trace: writing '%s' failed: %s; no trace was written\n", tr.out,
			strerror(err));
		trace_discard();
	}
	tr.tmp[0] = 0;
	tr.finished = true;
	if (tr.full)
		fprintf(stderr,
			"trace: '%s' holds the first %" PRIu64 " events (max-events); "
			"narrow it with from= and until=\n",
			tr.out, tr.events);
	intro_linux_close(tr.lx);
	tr.lx = NULL;
}

/* The run ended without the exit callback (refused, or the plugin is
 * unloaded early): leave no half file. */
__attribute__((destructor)) static void trace_unload(void)
{
	if (!tr.finished)
		trace_discard();
}

static int trace_create(void)
{
	snprintf(tr.tmp, sizeof(tr.tmp), "%s.tmp-XXXXXX", tr.out);
	int fd = mkstemp(tr.tmp);
	if (fd < 0) {
		tr.tmp[0] = 0;
		return -1;
	}
	mode_t mask = umask(0);
	umask(mask);
	tr.f = fdopen(fd, "w");
	if (!tr.f || fchmod(fd, 0666 & ~mask)) {
		int e = errno;
		if (!tr.f)
			close(fd);
		trace_discard();
		errno = e;
		return -1;
	}
	setvbuf(tr.f, tr.buf, _IOFBF, sizeof(tr.buf));
	fputs("{\"traceEvents\":[\n{\"ph\":\"M\",\"pid\":1,\"name\":\"process_name\","
	      "\"args\":{\"name\":\"retrovisor guest\"}}",
	      tr.f);
	for (uint32_t h = 0; h < tr.nharts; h++)
		fprintf(tr.f,
			",\n{\"ph\":\"M\",\"pid\":1,\"tid\":%u,\"name\":\"thread_name\","
			"\"args\":{\"name\":\"hart %u\"}},\n{\"ph\":\"M\",\"pid\":1,\"tid\":%u,"
			"\"name\":\"thread_sort_index\",\"args\":{\"sort_index\":%u}}",
			h + 1, h, h + 1, h);
	return 0;
}

static int trace_refuse(const char *why)
{
	intro_linux_close(tr.lx);
	tr.lx = NULL;
	rv_plugin_fail(tr.self, why);
	return -1;
}

RV_PLUGIN_EXPORT int rv_plugin_init(rv_plugin *self, const rv_plugin_info *info, int argc,
				    const rv_plugin_arg *argv)
{
	char why[4300];
	struct hv_err err;

	tr.self = self;
	tr.m = example_machine(self, info);
	tr.mem = (struct intro_mem){ tr.m, trace_read_phys };
	tr.until = UINT64_MAX;
	tr.max_events = TRACE_MAX_EVENTS;
	tr.nharts = info->nharts;
	for (int i = 0; i < argc; i++) {
		const char *k = argv[i].key, *v = argv[i].value;
		bool ok = true;
		if (!strcmp(k, "out"))
			ok = snprintf(tr.out, sizeof(tr.out), "%s", v) < (int)sizeof(tr.out) && *v;
		else if (!strcmp(k, "from"))
			ok = example_parse_u64(v, &tr.from);
		else if (!strcmp(k, "until"))
			ok = example_parse_u64(v, &tr.until);
		else if (!strcmp(k, "max-events"))
			ok = example_parse_u64(v, &tr.max_events);
		else if (strcmp(k, "vmlinux"))
			ok = false;
		if (!ok) {
			snprintf(why, sizeof(why),
				 "bad argument '%s=%.100s' (trace takes out=FILE, "
				 "vmlinux=FILE, from=ICOUNT, until=ICOUNT, max-events=N)",
				 k, v);
			return trace_refuse(why);
		}
	}
	if (!tr.out[0])
		return trace_refuse("trace needs out=FILE (the Perfetto trace to write)");
	if (tr.until <= tr.from)
		return trace_refuse("trace's until= must be past its from=");
	if (tr.nharts > TRACE_MAX_HARTS)
		return trace_refuse("trace handles at most 64 harts");
	if (info->vmlinux) {
		tr.lx = intro_linux_open(info->vmlinux, &err);
		if (!tr.lx)
			return trace_refuse(err.msg);
		if (rv_machine_symbol_addr(tr.m, "__switch_to", &tr.switch_to))
			return trace_refuse("trace: the vmlinux= file has no __switch_to (is it a "
					    "riscv Linux kernel?)");
	}
	for (uint32_t h = 0; h < tr.nharts; h++)
		tr.hart[h].cur = &tr.hart[h].own;
	if (trace_create()) {
		snprintf(why, sizeof(why), "cannot create a file beside '%s': %s", tr.out,
			 strerror(errno));
		return trace_refuse(why);
	}
	rv_on_block(self, trace_on_block, NULL);
	rv_on_trap(self, trace_on_trap, NULL);
	rv_on_sbi(self, trace_on_sbi, NULL);
	rv_on_mmio(self, trace_on_mmio, NULL);
	rv_on_snapshot(self, trace_on_snapshot, NULL);
	rv_on_exit(self, trace_on_exit, NULL);
	return 0;
}
