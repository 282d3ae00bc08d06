// SPDX-License-Identifier: MIT
/*
 * strace.so: a whole-guest system call tracer for riscv64 Linux guests.
 *
 *   --plugin strace.so[,vmlinux=FILE][,out=FILE][,only=NAME]
 *
 * One line per system call, written when it returns:
 *
 *   [PID COMM] NAME(ARG0, ARG1, ...) = RESULT
 *
 * Arguments are hex, except the path names of the calls that take one
 * (execve, openat...), printed as strings, and execve's argv, printed as
 * ["arg0", "arg1", ...]; RESULT is decimal (a negative
 * errno on failure). A call that does not return to its caller (exit,
 * exit_group) ends with "= ?". only=NAME keeps one call's lines; out=
 * defaults to stdout. Without vmlinux= the task is "[? ?]" (its pid and
 * comm come from the kernel's DWARF) and calls are matched by hart.
 *
 * Where a call is seen (riscv Linux, arch/riscv/kernel/entry.S):
 *   entry  an ecall from U-mode is a synchronous trap with scause 8
 *          (privileged spec, scause table). The trap callback comes
 *          before the handler's first instruction, so the registers are
 *          the user's: a7 is the number, a0..a5 the arguments, and
 *          sscratch still holds the task (the kernel keeps `current` in
 *          sscratch while in user mode; intro_linux_current). Path
 *          arguments are read now, through satp with the introspection
 *          library's page walk (a debugger's view: no SUM or U-bit check,
 *          which a read at the hart's own privilege would apply).
 *   return the sret that goes back to U-mode for the same task (the
 *          privilege callback, S to U): a0 is the result. Other returns
 *          to U (after interrupts, page faults, the first return of a new
 *          task) find no pending call for the task and print nothing.
 *
 * Calls in flight are kept per task (a task can sleep in a call while
 * others run, and come back on another hart); a new call of a task with a
 * call still pending (it cannot happen for a well-behaved kernel) prints
 * the old one with "= ?" first.
 *
 * Input not trusted: guest memory (reads are bounded and may fail: a
 * string that cannot be read prints as its address), the arguments.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "introspect/linux.h"
#include "introspect/walk.h"
#include "plugins/examples/example.h"

RV_PLUGIN_EXPORT const uint32_t rv_plugin_abi[2] = EXAMPLE_ABI(1);

#define STRACE_CAUSE_ECALL_U 8u
#define STRACE_CSR_SSCRATCH 0x140u
#define STRACE_CSR_SATP 0x180u
#define STRACE_REG_TP 4u
#define STRACE_REG_A0 10u
#define STRACE_REG_A7 17u
#define STRACE_MAX_PENDING 4096
#define STRACE_STR_MAX 64 /* bytes of a string argument shown */
#define STRACE_ARGV_MAX 8 /* strings of an argv shown */

/* A call entered and not yet returned. */
struct strace_call {
	uint64_t key;   /* the task_struct, or the hart without vmlinux=; 0: free */
	char line[512]; /* "[pid comm] name(args" */
};

struct strace {
	rv_machine *m;
	FILE *out;
	struct intro_linux *lx; /* NULL without vmlinux= */
	struct intro_mem mem;
	int64_t only; /* call number, or -1 for all */
	struct strace_call pending[STRACE_MAX_PENDING];
	unsigned npending; /* high-water mark of used entries */
	char buf[1 << 16];
};

static struct strace strace;

/* Calls whose argument `arg` is a path name (the others print in hex). */
static const struct {
	const char *name;
	unsigned arg;
} strace_path_args[] = {
	{ "execve", 0 },     { "execveat", 1 },  { "openat", 1 },    { "openat2", 1 },
	{ "newfstatat", 1 }, { "statx", 1 },     { "faccessat", 1 }, { "faccessat2", 1 },
	{ "readlinkat", 1 }, { "mkdirat", 1 },   { "unlinkat", 1 },  { "chdir", 0 },
	{ "mknodat", 1 },    { "symlinkat", 0 }, { "renameat2", 1 }, { "chroot", 0 },
	{ "mount", 1 },      { "umount2", 0 },   { "fchmodat", 1 },  { "fchownat", 1 },
	{ "utimensat", 1 },  { "truncate", 0 },  { "statfs", 0 },
};

static int strace_read_phys(void *opaque, uint64_t pa, void *buf, size_t len)
{
	return rv_machine_mem_read_phys(opaque, pa, buf, len) == len ? 0 : -1;
}

static uint64_t strace_reg(uint32_t hart, uint32_t reg)
{
	uint64_t v = 0;

	rv_machine_reg_read(strace.m, hart, reg, &v);
	return v;
}

static int strace_path_arg(const char *name)
{
	for (size_t i = 0; name && i < sizeof(strace_path_args) / sizeof(strace_path_args[0]); i++)
		if (!strcmp(name, strace_path_args[i].name))
			return (int)strace_path_args[i].arg;
	return -1;
}

/* Append "\"string\"" read at va (through satp), or the address in hex
 * when it cannot be read. Non-printable bytes are escaped. */
static size_t strace_put_string(char *p, size_t cap, uint64_t satp, uint64_t va)
{
	char s[STRACE_STR_MAX + 1];
	size_t n = 0, o = 0;

	/* Byte by byte: the string may end just before an unmapped page. */
	while (n < STRACE_STR_MAX && intro_read_virt(&strace.mem, satp, va + n, &s[n], 1) == 0 &&
	       s[n])
		n++;
	if (n == 0 && intro_read_virt(&strace.mem, satp, va, s, 1) != 0)
		return (size_t)snprintf(p, cap, "0x%" PRIx64, va);
	o += (size_t)snprintf(p + o, cap - o, "\"");
	for (size_t i = 0; i < n && o + 8 < cap; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\')
			o += (size_t)snprintf(p + o, cap - o, "\\%c", c);
		else if (c >= 0x20 && c < 0x7f)
			p[o++] = (char)c;
		else
			o += (size_t)snprintf(p + o, cap - o, "\\x%02x", c);
	}
	if (o + 8 < cap)
		o += (size_t)snprintf(p + o, cap - o, "\"%s", n == STRACE_STR_MAX ? "..." : "");
	p[o < cap ? o : cap - 1] = 0;
	return o < cap ? o : cap - 1;
}

/* Append an argv-style array at va: ["a", "b", ...] (at most
 * STRACE_ARGV_MAX strings), or the address when it cannot be read. */
static size_t strace_put_argv(char *p, size_t cap, uint64_t satp, uint64_t va)
{
	size_t o = (size_t)snprintf(p, cap, "[");
	uint64_t ptr;
	unsigned i;

	for (i = 0; i < STRACE_ARGV_MAX && o + 8 < cap; i++) {
		if (intro_read_u64(&strace.mem, satp, va + 8ull * i, &ptr) != 0) {
			if (i == 0)
				return (size_t)snprintf(p, cap, "0x%" PRIx64, va);
			break;
		}
		if (!ptr)
			break;
		if (i)
			o += (size_t)snprintf(p + o, cap - o, ", ");
		o += strace_put_string(p + o, cap - o, satp, ptr);
	}
	if (o + 8 < cap)
		o += (size_t)snprintf(p + o, cap - o, "%s]", i == STRACE_ARGV_MAX ? ", ..." : "");
	return o < cap ? o : cap - 1;
}

static struct strace_call *strace_find(uint64_t key)
{
	for (unsigned i = 0; i < strace.npending; i++)
		if (strace.pending[i].key == key)
			return &strace.pending[i];
	return NULL;
}

static void strace_finish(struct strace_call *c, const char *result)
{
	fprintf(strace.out, "%s) = %s\n", c->line, result);
	c->key = 0;
	while (strace.npending && !strace.pending[strace.npending - 1].key)
		strace.npending--;
}

/* The current task of hart (or the hart itself without vmlinux=), and
 * the "[pid comm]" prefix. */
static uint64_t strace_task(uint32_t hart, unsigned priv, uint64_t satp, char *who, size_t cap)
{
	uint64_t task;
	int32_t pid, tgid;
	char comm[INTRO_COMM_LEN];

	snprintf(who, cap, "[? ?]");
	if (!strace.lx)
		return (uint64_t)hart + 1;
	if (intro_linux_current(strace.lx, &strace.mem, satp, strace_reg(hart, STRACE_REG_TP),
				strace_reg(hart, RV_REG_CSR(STRACE_CSR_SSCRATCH)), priv, &task))
		return 0;
	if (intro_linux_task_info(strace.lx, &strace.mem, satp, task, &pid, &tgid, comm) == 0)
		snprintf(who, cap, "[%" PRId32 " %s]", pid, comm);
	return task;
}

static void strace_on_trap(void *ud, uint32_t hart, uint64_t cause, uint64_t tval, uint64_t epc,
			   uint32_t to_priv)
{
	char who[64];

	(void)ud;
	(void)tval;
	(void)epc;
	if (cause != STRACE_CAUSE_ECALL_U || to_priv != INTRO_PRIV_S)
		return;
	uint64_t nr = strace_reg(hart, STRACE_REG_A7);
	if (strace.only >= 0 && nr != (uint64_t)strace.only)
		return;
	uint64_t satp = strace_reg(hart, RV_REG_CSR(STRACE_CSR_SATP));
	uint64_t key = strace_task(hart, INTRO_PRIV_S, satp, who, sizeof(who));
	if (!key)
		return;
	struct strace_call *c = strace_find(key);
	if (c)
		strace_finish(c, "?");
	c = strace_find(0);
	if (!c) {
		if (strace.npending == STRACE_MAX_PENDING)
			return;
		c = &strace.pending[strace.npending++];
	}
	const char *name = intro_syscall_name(nr);
	int nargs = intro_syscall_nargs(nr), path = strace_path_arg(name), argv = -1;
	if (name && !strcmp(name, "execve"))
		argv = 1;
	else if (name && !strcmp(name, "execveat"))
		argv = 2;
	size_t o = (size_t)snprintf(c->line, sizeof(c->line), "%s ", who);
	if (name)
		o += (size_t)snprintf(c->line + o, sizeof(c->line) - o, "%s(", name);
	else
		o += (size_t)snprintf(c->line + o, sizeof(c->line) - o, "syscall_%" PRIu64 "(", nr);
	for (int i = 0; i < nargs && o < sizeof(c->line) - 1; i++) {
		uint64_t a = strace_reg(hart, STRACE_REG_A0 + (uint32_t)i);
		if (i)
			o += (size_t)snprintf(c->line + o, sizeof(c->line) - o, ", ");
		if (o >= sizeof(c->line) - 1)
			break;
		if (i == path)
			o += strace_put_string(c->line + o, sizeof(c->line) - o, satp, a);
		else if (i == argv)
			o += strace_put_argv(c->line + o, sizeof(c->line) - o, satp, a);
		else
			o += (size_t)snprintf(c->line + o, sizeof(c->line) - o, "0x%" PRIx64, a);
	}
	c->key = key;
	/* These never come back to their caller. */
	if (name && (!strcmp(name, "exit") || !strcmp(name, "exit_group")))
		strace_finish(c, "?");
}

static void strace_on_priv(void *ud, uint32_t hart, uint32_t from, uint32_t to)
{
	char result[32];

	(void)ud;
	if (from != INTRO_PRIV_S || to != INTRO_PRIV_U || !strace.npending)
		return;
	/* In U-mode `current` is sscratch (intro_linux_current's rule): it is
	 * only compared with tasks validated at their entry, so the return,
	 * the most frequent event here, costs no guest memory read. */
	uint64_t key = strace.lx ? strace_reg(hart, RV_REG_CSR(STRACE_CSR_SSCRATCH)) :
				   (uint64_t)hart + 1;
	struct strace_call *c = key ? strace_find(key) : NULL;
	if (!c)
		return;
	int64_t r = (int64_t)strace_reg(hart, STRACE_REG_A0);
	if (r > INT32_MAX || r < -4095)
		snprintf(result, sizeof(result), "0x%" PRIx64, (uint64_t)r);
	else
		snprintf(result, sizeof(result), "%" PRId64, r);
	strace_finish(c, result);
}

static void strace_on_exit(void *ud, int status)
{
	(void)ud;
	(void)status;
	for (unsigned i = 0; i < strace.npending; i++)
		if (strace.pending[i].key)
			fprintf(strace.out, "%s) = ? (the run ended)\n", strace.pending[i].line);
	example_close_out(strace.out);
	intro_linux_close(strace.lx);
	strace.lx = NULL;
}

RV_PLUGIN_EXPORT int rv_plugin_init(rv_plugin *self, const rv_plugin_info *info, int argc,
				    const rv_plugin_arg *argv)
{
	const char *out = NULL;
	char why[700];
	struct hv_err err;

	strace.m = example_machine(self, info);
	strace.only = -1;
	strace.mem = (struct intro_mem){ strace.m, strace_read_phys };
	for (int i = 0; i < argc; i++) {
		const char *k = argv[i].key, *v = argv[i].value;
		if (!strcmp(k, "out")) {
			out = v;
		} else if (!strcmp(k, "only")) {
			strace.only = intro_syscall_nr(v);
			if (strace.only < 0) {
				snprintf(why, sizeof(why), "only=%s: no such riscv64 system call",
					 v);
				return example_refuse(self, why);
			}
		} else if (strcmp(k, "vmlinux")) {
			return example_bad_arg(self, &argv[i],
					       "strace takes vmlinux=FILE, out=FILE, "
					       "only=NAME");
		}
	}
	if (info->vmlinux) {
		strace.lx = intro_linux_open(info->vmlinux, &err);
		if (!strace.lx)
			return example_refuse(self, err.msg);
	}
	strace.out = example_open_out(self, out, stdout, strace.buf, sizeof(strace.buf));
	if (!strace.out) {
		intro_linux_close(strace.lx);
		return -1;
	}
	rv_on_trap(self, strace_on_trap, NULL);
	rv_on_priv(self, strace_on_priv, NULL);
	rv_on_exit(self, strace_on_exit, NULL);
	return 0;
}
