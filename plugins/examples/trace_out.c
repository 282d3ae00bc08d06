// SPDX-License-Identifier: MIT
/*
 * trace.so's output (see trace.c for the options and what is traced): the
 * Chrome JSON trace events ("Trace Event Format", JSON Object Format) of
 * each hart's track, the frames open in the context running on it, and
 * the window that from=, until= and max-events= bound. The invariant is
 * balance: every B event written gets its E event, at the latest when the
 * window closes or the run ends, so a loader always sees nested slices.
 * Names and register values come from the guest and are untrusted: names
 * are escaped into JSON and cut at their field's size, unknown causes and
 * SBI calls are shown by number.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "plugins/examples/trace_impl.h"

struct trace_state tr;

static const char *const trace_exc_names[16] = {
	"instruction address misaligned",
	"instruction access fault",
	"illegal instruction",
	"breakpoint",
	"load address misaligned",
	"load access fault",
	"store address misaligned",
	"store access fault",
	"ecall from U-mode",
	"ecall from S-mode",
	NULL,
	"ecall from M-mode",
	"instruction page fault",
	"load page fault",
	NULL,
	"store page fault",
};

static const char *const trace_irq_names[12] = {
	NULL, "supervisor software", NULL, "machine software",    NULL, "supervisor timer",
	NULL, "machine timer",       NULL, "supervisor external", NULL, "machine external",
};

/* SBI v2.0 extensions and functions (SBI spec; legacy extensions 0..8). */
static const struct {
	uint64_t eid;
	const char *ext;
	const char *fn[8];
} trace_sbi[] = {
	{ 0x0, "legacy", { "set_timer" } },
	{ 0x1, "legacy", { "console_putchar" } },
	{ 0x2, "legacy", { "console_getchar" } },
	{ 0x3, "legacy", { "clear_ipi" } },
	{ 0x4, "legacy", { "send_ipi" } },
	{ 0x5, "legacy", { "remote_fence_i" } },
	{ 0x6, "legacy", { "remote_sfence_vma" } },
	{ 0x8, "legacy", { "shutdown" } },
	{ 0x7, "legacy", { "remote_sfence_vma_asid" } },
	{ 0x10,
	  "BASE",
	  { "get_spec_version", "get_impl_id", "get_impl_version", "probe_extension",
	    "get_mvendorid", "get_marchid", "get_mimpid" } },
	{ 0x54494d45, "TIME", { "set_timer" } },
	{ 0x735049, "IPI", { "send_ipi" } },
	{ 0x52464e43,
	  "RFENCE",
	  { "remote_fence_i", "remote_sfence_vma", "remote_sfence_vma_asid",
	    "remote_hfence_gvma_vmid", "remote_hfence_gvma", "remote_hfence_vvma_asid",
	    "remote_hfence_vvma" } },
	{ 0x48534d, "HSM", { "hart_start", "hart_stop", "hart_get_status", "hart_suspend" } },
	{ 0x53525354, "SRST", { "system_reset" } },
	{ 0x4442434e, "DBCN", { "console_write", "console_read", "console_write_byte" } },
	{ 0x535553, "SUSP", { "system_suspend" } },
};

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
	uint64_t t = rv_machine_time_ns(tr.m, hart);

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
		fprintf(tr.f,
			",\"name\":\"sbi 0x%" PRIx64 "/%" PRIu64 "\",\"cat\":\"sbi\","
			"\"args\":{\"ext\":\"0x%" PRIx64 "\"",
			eid, fid, eid);
	fprintf(tr.f, ",\"fid\":%" PRIu64, fid);
}

static void trace_put_regs(const char *name, const uint64_t *v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		fprintf(tr.f, ",\"%s%u\":\"0x%" PRIx64 "\"", name, i, v[i]);
}

/* ,"name":NAME (or UNKNOWN followed by code),"cat":CAT,"args":{ */
static void trace_put_named(const char *name, const char *unknown, uint64_t code, const char *cat)
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
		fprintf(tr.f,
			"\"cause\":%" PRIu64 ",\"tval\":\"0x%" PRIx64 "\",\"epc\":\"0x%" PRIx64
			"\"",
			fr->code, fr->v[0], fr->v[1]);
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
		else if (fr->code >= 1 && fr->code <= TRACE_VIRTIO_SLOTS &&
			 tr.slot[fr->code - 1][0])
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
		fprintf(tr.f,
			",\"cat\":\"task\",\"args\":{\"pid\":%" PRId32 ",\"tgid\":%" PRId32 "}}",
			c->pid, c->tgid);
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

void trace_open_track(uint32_t hart)
{
	const struct trace_ctx *c = tr.hart[hart].cur;

	if (c->task && !trace_begin(hart, NULL))
		return;
	for (unsigned i = 0; i < c->depth && i < TRACE_DEPTH; i++)
		if (!trace_begin(hart, &c->f[i]))
			return;
}

void trace_close_track(uint32_t hart)
{
	while (tr.hart[hart].nopen)
		trace_end(hart, NULL);
}

void trace_stop_window(bool full)
{
	if (!tr.on)
		return;
	tr.on = false;
	tr.done = true;
	tr.full = full;
	for (uint32_t h = 0; h < tr.nharts; h++)
		trace_close_track(h);
}

void trace_window(void)
{
	if (tr.done)
		return;
	uint64_t n = rv_machine_total_icount(tr.m);
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
void trace_instant(uint32_t hart, const struct trace_frame *fr)
{
	if (!tr.on || !trace_room(1))
		return;
	trace_head("X", hart);
	fputs(",\"dur\":0.010", tr.f);
	trace_put_frame(fr);
}

void trace_push(uint32_t hart, const struct trace_frame *fr)
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

void trace_pop(uint32_t hart, const int64_t *ret)
{
	struct trace_ctx *c = tr.hart[hart].cur;

	if (!c->depth)
		return;
	c->depth--;
	if (tr.on && c->depth < TRACE_DEPTH)
		trace_end(hart, ret);
}
