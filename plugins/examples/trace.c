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
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "introspect/linux.h"
#include "introspect/walk.h"
#include "retrovisor/plugin.h"

/* rv_time_ns is ABI 2. */
RV_PLUGIN_EXPORT const uint32_t rv_plugin_abi[2] = { 2u, RV_PLUGIN_ABI_VERSION };

#define TRACE_CAUSE_IRQ (1ull << 63)
#define TRACE_ECALL_U 8u
#define TRACE_ECALL_S 9u
#define TRACE_IRQ_SEXT 9u
#define TRACE_PRIV_S 1u
#define TRACE_PRIV_M 3u
#define TRACE_CSR_SSCRATCH 0x140u
#define TRACE_CSR_SATP 0x180u
#define TRACE_REG_TP 4u
#define TRACE_REG_A0 10u
#define TRACE_REG_A1 11u
#define TRACE_REG_A6 16u
#define TRACE_REG_A7 17u
#define TRACE_INSN_SRET 0x10200073u
#define TRACE_INSN_MRET 0x30200073u
/* The QEMU virt map (hv/machine.h): PLIC claim/complete registers at
 * 0x0c20_0004 + 0x1000 per context; sources 1+i for virtio slot i,
 * 10 for the UART, 11 for the RTC. */
#define TRACE_PLIC_CLAIM0 0x0c200004ull
#define TRACE_PLIC_END 0x0c600000ull
#define TRACE_VIRTIO_BASE 0x10001000ull
#define TRACE_VIRTIO_SLOTS 8u
#define TRACE_MAX_HARTS 64u
#define TRACE_DEPTH 8u  /* frames of a task shown; deeper ones are counted */
#define TRACE_CTXS 4096u /* tasks whose frames are kept */
#define TRACE_PROBE 32u
#define TRACE_MAX_EVENTS 1000000ull

enum trace_kind {
	TRACE_SYSCALL,
	TRACE_EXCEPTION,
	TRACE_INTERRUPT,
	TRACE_FIRMWARE, /* an ecall from S-mode into M-mode firmware */
	TRACE_SBI, /* an SBI call the hypervisor serves */
	TRACE_DEVICE,
};

/* A slice a task is inside: a trap not yet returned from, or a claimed
 * device interrupt. */
struct trace_frame {
	uint8_t kind;
	uint64_t code; /* syscall nr, cause, SBI extension or PLIC source */
	uint64_t v[6]; /* a0..a5; tval, epc; fid, a0..a4 */
};

/* A task (or, without vmlinux=, a hart) and its open frames. */
struct trace_ctx {
	uint64_t key; /* the task_struct; 0: free */
	int32_t pid, tgid;
	char comm[INTRO_COMM_LEN];
	bool task; /* shown as a task slice */
	unsigned depth; /* may exceed TRACE_DEPTH: the rest are not stored */
	struct trace_frame f[TRACE_DEPTH];
};

struct trace_hart {
	struct trace_ctx *cur;
	struct trace_ctx own; /* before the task is known, or without vmlinux= */
	unsigned nopen; /* B events open on this track */
	uint64_t last_ns;
};

static struct {
	rv_plugin *self;
	struct intro_linux *lx;
	struct intro_mem mem;
	uint64_t switch_to; /* __switch_to, 0 without vmlinux= */
	uint64_t from, until, max_events, events;
	uint32_t nharts;
	unsigned open_total;
	bool on, done, full, finished;
	FILE *f;
	char out[4096], tmp[4120];
	char slot[TRACE_VIRTIO_SLOTS][24];
	struct trace_hart hart[TRACE_MAX_HARTS];
	struct trace_ctx ctx[TRACE_CTXS];
	char buf[1 << 16];
} tr;

static const char *const trace_exc_names[16] = {
	"instruction address misaligned", "instruction access fault", "illegal instruction",
	"breakpoint", "load address misaligned", "load access fault",
	"store address misaligned", "store access fault", "ecall from U-mode",
	"ecall from S-mode", NULL, "ecall from M-mode", "instruction page fault",
	"load page fault", NULL, "store page fault",
};

static const char *const trace_irq_names[12] = {
	NULL, "supervisor software", NULL, "machine software", NULL, "supervisor timer",
	NULL, "machine timer", NULL, "supervisor external", NULL, "machine external",
};

/* SBI v2.0 extensions and functions (SBI spec; legacy extensions 0..8). */
static const struct {
	uint64_t eid;
	const char *ext;
	const char *fn[8];
} trace_sbi[] = {
	{ 0x0, "legacy", { "set_timer" } },	      { 0x1, "legacy", { "console_putchar" } },
	{ 0x2, "legacy", { "console_getchar" } },     { 0x3, "legacy", { "clear_ipi" } },
	{ 0x4, "legacy", { "send_ipi" } },	      { 0x5, "legacy", { "remote_fence_i" } },
	{ 0x6, "legacy", { "remote_sfence_vma" } },   { 0x8, "legacy", { "shutdown" } },
	{ 0x7, "legacy", { "remote_sfence_vma_asid" } },
	{ 0x10, "BASE", { "get_spec_version", "get_impl_id", "get_impl_version",
			  "probe_extension", "get_mvendorid", "get_marchid", "get_mimpid" } },
	{ 0x54494d45, "TIME", { "set_timer" } },
	{ 0x735049, "IPI", { "send_ipi" } },
	{ 0x52464e43, "RFENCE", { "remote_fence_i", "remote_sfence_vma",
				  "remote_sfence_vma_asid", "remote_hfence_gvma_vmid",
				  "remote_hfence_gvma", "remote_hfence_vvma_asid",
				  "remote_hfence_vvma" } },
	{ 0x48534d, "HSM", { "hart_start", "hart_stop", "hart_get_status", "hart_suspend" } },
	{ 0x53525354, "SRST", { "system_reset" } },
	{ 0x4442434e, "DBCN", { "console_write", "console_read", "console_write_byte" } },
	{ 0x535553, "SUSP", { "system_suspend" } },
};

static uint64_t trace_reg(uint32_t hart, uint32_t reg)
{
	uint64_t v = 0;

	rv_reg_read(hart, reg, &v);
	return v;
}

static int trace_read_phys(void *opaque, uint64_t pa, void *buf, size_t len)
{
	(void)opaque;
	return rv_mem_read_phys(pa, buf, len) == len ? 0 : -1;
}

/* ---- JSON output ---- */

/* A string from the guest or the arguments as a JSON string: quotes,
 * backslashes, control and non-ASCII bytes escaped (comm is not UTF-8). */
static void trace_put_str(const char *s, size_t max)
{
	putc('"', tr.f);
	for (size_t i = 0; i < max && s[i]; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\')
			fprintf(tr.f, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			fprintf(tr.f, "\\u%04x", c);
		else
			putc(c, tr.f);
	}
	putc('"', tr.f);
}

static uint64_t trace_now(uint32_t hart)
{
	uint64_t t = rv_time_ns(hart);

	if (t < tr.hart[hart].last_ns)
		t = tr.hart[hart].last_ns;
	tr.hart[hart].last_ns = t;
	return t;
}

static void trace_head(const char *ph, uint32_t hart)
{
	uint64_t ns = trace_now(hart);

	fprintf(tr.f, ",\n{\"ph\":\"%s\",\"pid\":1,\"tid\":%u,\"ts\":%" PRIu64 ".%03u", ph,
		hart + 1, ns / 1000, (unsigned)(ns % 1000));
	tr.events++;
}

static const char *trace_sbi_name(uint64_t eid, uint64_t fid, const char **ext)
{
	*ext = NULL;
	for (size_t i = 0; i < sizeof(trace_sbi) / sizeof(trace_sbi[0]); i++) {
		if (trace_sbi[i].eid != eid)
			continue;
		*ext = trace_sbi[i].ext;
		return eid <= 8 ? trace_sbi[i].fn[0] : fid < 8 ? trace_sbi[i].fn[fid] : NULL;
	}
	return NULL;
}

static void trace_put_sbi_name(uint64_t eid, uint64_t fid)
{
	const char *ext, *fn = trace_sbi_name(eid, fid, &ext);

	if (fn)
		fprintf(tr.f, ",\"name\":\"sbi %s\",\"cat\":\"sbi\",\"args\":{\"ext\":\"%s\"", fn,
			ext);
	else
		fprintf(tr.f, ",\"name\":\"sbi 0x%" PRIx64 "/%" PRIu64 "\",\"cat\":\"sbi\","
			"\"args\":{\"ext\":\"0x%" PRIx64 "\"", eid, fid, eid);
	fprintf(tr.f, ",\"fid\":%" PRIu64, fid);
}

static void trace_put_regs(const char *name, const uint64_t *v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		fprintf(tr.f, ",\"%s%u\":\"0x%" PRIx64 "\"", name, i, v[i]);
}

/* ,"name":NAME (or UNKNOWN followed by code),"cat":CAT,"args":{ */
static void trace_put_named(const char *name, const char *unknown, uint64_t code,
			    const char *cat)
{
	if (name)
		fprintf(tr.f, ",\"name\":\"%s\"", name);
	else
		fprintf(tr.f, ",\"name\":\"%s%" PRIu64 "\"", unknown, code);
	fprintf(tr.f, ",\"cat\":\"%s\",\"args\":{", cat);
}

/* Name, category and arguments of a frame's B or X event, and the end of
 * the event. */
static void trace_put_frame(const struct trace_frame *fr)
{
	const char *name;

	switch (fr->kind) {
	case TRACE_SYSCALL:
		trace_put_named(intro_syscall_name(fr->code), "syscall_", fr->code, "syscall");
		fprintf(tr.f, "\"nr\":%" PRIu64, fr->code);
		trace_put_regs("a", fr->v, (unsigned)intro_syscall_nargs(fr->code));
		break;
	case TRACE_EXCEPTION:
		trace_put_named(fr->code < 16 ? trace_exc_names[fr->code] : NULL, "exception ",
				fr->code, "exception");
		fprintf(tr.f, "\"cause\":%" PRIu64 ",\"tval\":\"0x%" PRIx64 "\",\"epc\":\"0x%"
			PRIx64 "\"", fr->code, fr->v[0], fr->v[1]);
		break;
	case TRACE_INTERRUPT:
		trace_put_named(fr->code < 12 ? trace_irq_names[fr->code] : NULL, "interrupt ",
				fr->code, "interrupt");
		fprintf(tr.f, "\"cause\":%" PRIu64, fr->code);
		break;
	case TRACE_FIRMWARE:
	case TRACE_SBI:
		trace_put_sbi_name(fr->code, fr->v[0]);
		trace_put_regs("a", fr->v + 1, 5);
		if (fr->kind == TRACE_FIRMWARE)
			fputs(",\"firmware\":true", tr.f);
		break;
	default: /* TRACE_DEVICE */
		if (fr->code == 10)
			name = "uart";
		else if (fr->code == 11)
			name = "rtc";
		else if (fr->code >= 1 && fr->code <= TRACE_VIRTIO_SLOTS && tr.slot[fr->code - 1][0])
			name = tr.slot[fr->code - 1];
		else
			name = "device";
		trace_put_named(name, "", 0, "device");
		fprintf(tr.f, "\"source\":%" PRIu64, fr->code);
		break;
	}
	fputs("}}", tr.f);
}

/* ---- Slices on the tracks, within the window and max-events ---- */

static void trace_stop_window(bool full);

/* Room for n more events besides the E of every open slice. */
static bool trace_room(uint64_t n)
{
	if (tr.max_events && tr.events + tr.open_total + n > tr.max_events) {
		trace_stop_window(true);
		return false;
	}
	return true;
}

/* A B event for the task slice (fr NULL) or a frame. */
static bool trace_begin(uint32_t hart, const struct trace_frame *fr)
{
	const struct trace_ctx *c = tr.hart[hart].cur;

	if (!tr.on || !trace_room(2))
		return false;
	trace_head("B", hart);
	if (fr) {
		trace_put_frame(fr);
	} else {
		fputs(",\"name\":", tr.f);
		trace_put_str(c->comm, sizeof(c->comm));
		fprintf(tr.f, ",\"cat\":\"task\",\"args\":{\"pid\":%" PRId32 ",\"tgid\":%" PRId32
			"}}", c->pid, c->tgid);
	}
	tr.hart[hart].nopen++;
	tr.open_total++;
	return true;
}

static void trace_end(uint32_t hart, const int64_t *ret)
{
	if (!tr.hart[hart].nopen)
		return;
	trace_head("E", hart);
	if (ret)
		fprintf(tr.f, ",\"args\":{\"ret\":%" PRId64 "}", *ret);
	fputs("}", tr.f);
	tr.hart[hart].nopen--;
	tr.open_total--;
}

static void trace_open_track(uint32_t hart)
{
	const struct trace_ctx *c = tr.hart[hart].cur;

	if (c->task && !trace_begin(hart, NULL))
		return;
	for (unsigned i = 0; i < c->depth && i < TRACE_DEPTH; i++)
		if (!trace_begin(hart, &c->f[i]))
			return;
}

static void trace_close_track(uint32_t hart)
{
	while (tr.hart[hart].nopen)
		trace_end(hart, NULL);
}

static void trace_stop_window(bool full)
{
	if (!tr.on)
		return;
	tr.on = false;
	tr.done = true;
	tr.full = full;
	for (uint32_t h = 0; h < tr.nharts; h++)
		trace_close_track(h);
}

static void trace_window(void)
{
	if (tr.done)
		return;
	uint64_t n = rv_total_icount();
	if (!tr.on && n >= tr.from) {
		if (n >= tr.until) {
			tr.done = true;
			return;
		}
		tr.on = true;
		for (uint32_t h = 0; h < tr.nharts && tr.on; h++)
			trace_open_track(h);
	} else if (tr.on && n >= tr.until) {
		trace_stop_window(false);
	}
}

/* A slice of one instruction (an X event): an SBI call the hypervisor
 * serves, or a trap whose task is not known yet. */
static void trace_instant(uint32_t hart, const struct trace_frame *fr)
{
	if (!tr.on || !trace_room(1))
		return;
	trace_head("X", hart);
	fputs(",\"dur\":0.010", tr.f);
	trace_put_frame(fr);
}

static void trace_push(uint32_t hart, const struct trace_frame *fr)
{
	struct trace_ctx *c = tr.hart[hart].cur;

	/* With vmlinux=, traps before the hart's task is known are early
	 * boot: some never return (riscv Linux enters its virtual addresses
	 * through a page fault), so they are not kept as open slices. */
	if (tr.lx && c == &tr.hart[hart].own) {
		trace_instant(hart, fr);
		return;
	}
	if (c->depth < TRACE_DEPTH) {
		c->f[c->depth] = *fr;
		trace_begin(hart, fr);
	}
	if (c->depth < UINT32_MAX)
		c->depth++;
}

static void trace_pop(uint32_t hart, const int64_t *ret)
{
	struct trace_ctx *c = tr.hart[hart].cur;

	if (!c->depth)
		return;
	c->depth--;
	if (tr.on && c->depth < TRACE_DEPTH)
		trace_end(hart, ret);
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

	if (!tr.lx || th->cur != &th->own || rv_reg_read(hart, RV_REG_PRIV, &priv) ||
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
	if (rv_reg_read(hart, RV_REG_PRIV, &priv) ||
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
	if (paddr >= TRACE_VIRTIO_BASE && paddr < TRACE_VIRTIO_BASE + 0x1000ull * TRACE_VIRTIO_SLOTS &&
	    device) {
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
	fprintf(tr.f, "\n],\n\"displayTimeUnit\":\"ns\",\n\"otherData\":{\"clock\":\"guest time, "
		"10 ns an instruction\",\"events\":%" PRIu64 ",\"from\":%" PRIu64 ",\"until\":%"
		PRIu64 ",\"truncated\":%s}}\n", tr.events, tr.from, tr.until,
		tr.full ? "true" : "false");
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
		fprintf(stderr, "trace: '%s' holds the first %" PRIu64 " events (max-events); "
			"narrow it with from= and until=\n", tr.out, tr.events);
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
	      "\"args\":{\"name\":\"retrovisor guest\"}}", tr.f);
	for (uint32_t h = 0; h < tr.nharts; h++)
		fprintf(tr.f, ",\n{\"ph\":\"M\",\"pid\":1,\"tid\":%u,\"name\":\"thread_name\","
			"\"args\":{\"name\":\"hart %u\"}},\n{\"ph\":\"M\",\"pid\":1,\"tid\":%u,"
			"\"name\":\"thread_sort_index\",\"args\":{\"sort_index\":%u}}", h + 1, h,
			h + 1, h);
	return 0;
}

static bool trace_parse_u64(const char *s, uint64_t *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 0);
	return *s && *s != '-' && !*end && errno == 0;
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
	tr.mem = (struct intro_mem){ NULL, trace_read_phys };
	tr.until = UINT64_MAX;
	tr.max_events = TRACE_MAX_EVENTS;
	tr.nharts = info->nharts;
	for (int i = 0; i < argc; i++) {
		const char *k = argv[i].key, *v = argv[i].value;
		bool ok = true;
		if (!strcmp(k, "out"))
			ok = snprintf(tr.out, sizeof(tr.out), "%s", v) < (int)sizeof(tr.out) && *v;
		else if (!strcmp(k, "from"))
			ok = trace_parse_u64(v, &tr.from);
		else if (!strcmp(k, "until"))
			ok = trace_parse_u64(v, &tr.until);
		else if (!strcmp(k, "max-events"))
			ok = trace_parse_u64(v, &tr.max_events);
		else if (strcmp(k, "vmlinux"))
			ok = false;
		if (!ok) {
			snprintf(why, sizeof(why), "bad argument '%s=%.100s' (trace takes out=FILE, "
				 "vmlinux=FILE, from=ICOUNT, until=ICOUNT, max-events=N)", k, v);
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
		if (rv_symbol_addr(self, "__switch_to", &tr.switch_to))
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
