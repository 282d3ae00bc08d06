// SPDX-License-Identifier: MIT
/*
 * QEMU's command line translated into `retrovisor run`'s (interface in
 * qemu.h, the user's reference with every difference in docs/qemu.md).
 *
 * QEMU's own grammar (QEMU 7.2, softmmu/vl.c lookup_opt): every option is
 * "-name" or "--name", followed by its value as the next argument if it
 * takes one. QEMU has no "-name=value" form, so neither does this: a line
 * that runs here must run on QEMU. Values are QEMU option lists,
 * "KEY=VALUE,..." with an optional leading implied key (-machine virt,
 * -smp 4, -m 512M) and ",," standing for a comma; a path with a comma
 * cannot be a Retrovisor --drive, so ",," is refused.
 *
 * Drives and network back ends are named by id and used by -device, in
 * any order on the line. The translation collects them all and emits one
 * --drive or --net per -device, in the order of the -device options, with
 * slot=N for bus=virtio-mmio-bus.N (the transport at 0x1000_1000 +
 * N * 0x1000). A -drive or -netdev that no device uses is not emitted: the
 * guest sees no device for it, as on QEMU.
 *
 * Where Retrovisor and QEMU differ, what a student running a handout
 * expects wins unless it would widen the host's exposure: a drive writes
 * through to its file unless snapshot=on or -snapshot (QEMU's default,
 * not `run`'s); -bios default (or no -bios) is Retrovisor's own SBI in
 * place of QEMU's bundled OpenSBI; but -s, -gdb tcp::PORT and a hostfwd
 * without a host address listen on loopback, not on every interface,
 * because the gdb stub is unauthenticated and a forward reaches the guest
 * (README, docs/cli.md "Options stored in files").
 *
 * Untrusted: argv. Every value is checked here or by the parser of the
 * option it becomes (whose sentence is then renamed to the QEMU option).
 */
#include "cli/qemu.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "cli/options.h"
#include "cli/qemu_devs.h"

enum qemu_opt {
	Q_MACHINE,
	Q_KERNEL,
	Q_INITRD,
	Q_APPEND,
	Q_BIOS,
	Q_MEMORY,
	Q_SMP,
	Q_NOGRAPHIC,
	Q_SERIAL,
	Q_DISPLAY,
	Q_GLOBAL,
	Q_DRIVE,
	Q_DEVICE,
	Q_NETDEV,
	Q_SNAPSHOT,
	Q_NO_REBOOT,
	Q_ACCEL,
	Q_GDB_DEFAULT, /* -s */
	Q_FREEZE,      /* -S */
	Q_GDB,
	Q_HELP,
	Q_VERSION,
	Q_COUNT
};

static const struct {
	const char *name;
	enum qemu_opt id;
	const char *arg_desc; /* NULL: takes no value */
} qemu_options[] = {
	{ "machine", Q_MACHINE, "a machine type (virt)" },
	{ "M", Q_MACHINE, "a machine type (virt)" },
	{ "kernel", Q_KERNEL, "a file name" },
	{ "initrd", Q_INITRD, "a file name" },
	{ "append", Q_APPEND, "a kernel command line" },
	{ "bios", Q_BIOS, "none, default or a firmware file name" },
	{ "m", Q_MEMORY, "a size such as 512M" },
	{ "smp", Q_SMP, "a number of CPUs" },
	{ "nographic", Q_NOGRAPHIC, NULL },
	{ "serial", Q_SERIAL, "mon:stdio or stdio" },
	{ "display", Q_DISPLAY, "none" },
	{ "global", Q_GLOBAL, "virtio-mmio.force-legacy=false" },
	{ "drive", Q_DRIVE, "file=IMG,if=none,format=raw,id=ID" },
	{ "device", Q_DEVICE, "virtio-blk-device,drive=ID or virtio-net-device,netdev=ID" },
	{ "netdev", Q_NETDEV, "user,id=ID[,hostfwd=RULE]..." },
	{ "snapshot", Q_SNAPSHOT, NULL },
	{ "no-reboot", Q_NO_REBOOT, NULL },
	{ "accel", Q_ACCEL, "tcg" },
	{ "s", Q_GDB_DEFAULT, NULL },
	{ "S", Q_FREEZE, NULL },
	{ "gdb", Q_GDB, "tcp::PORT, tcp:HOST:PORT or unix:PATH" },
	{ "help", Q_HELP, NULL },
	{ "h", Q_HELP, NULL },
	{ "version", Q_VERSION, NULL },
};

/* QEMU options people write that have a Retrovisor equivalent or need
 * none: refused, saying what to do instead. */
static const struct {
	const char *name;
	const char *hint;
} qemu_refused[] = {
	{ "hda", "a disk is -drive file=IMG,if=none,format=raw,id=d0 with -device "
		 "virtio-blk-device,drive=d0" },
	{ "nic", "a network card is -netdev user,id=n0 with -device virtio-net-device,netdev=n0" },
	{ "net", "a network card is -netdev user,id=n0 with -device virtio-net-device,netdev=n0" },
	{ "cpu", "Retrovisor's harts are RV64GC; leave -cpu out" },
	{ "enable-kvm", "Retrovisor runs its harts in software, deterministically; leave it out" },
	{ "icount", "Retrovisor's clock always is the instruction count; leave it out" },
	{ "object", "this command line has no entropy device, as QEMU's virt without one; "
		    "'retrovisor run' has one by default (--rng-seed N); leave -object out" },
	{ "monitor", "there is no QEMU monitor (Ctrl-A x quits); leave it out" },
	{ "qmp", "there is no QEMU monitor (Ctrl-A x quits); leave it out" },
	{ "d", "Retrovisor traces through plugins ('retrovisor run --plugin', docs/plugins.md)" },
	{ "D", "Retrovisor traces through plugins ('retrovisor run --plugin', docs/plugins.md)" },
	{ "dtb", "Retrovisor makes the device tree itself; leave it out" },
	{ "rtc", "the wall clock at power-on is 'retrovisor run --rtc SECONDS'" },
	{ "loadvm", "snapshot files are 'retrovisor run --restore FILE' (docs/snapshots.md)" },
};

struct qemu_state {
	struct cli_qemu *q;
	const char *val[Q_COUNT]; /* the value of each single option */
	bool seen[Q_COUNT];
	char *gdb;                  /* the --gdb value to emit (malloc'd) or NULL */
	char memory[64], harts[64]; /* -m and -smp without their implied keys */
	struct qemu_devs devs;
};

/* Owned copies: every string in q->argv is one. */
static int qemu_push(struct qemu_state *st, const char *s, size_t n, struct hv_err *err)
{
	struct cli_qemu *q = st->q;
	char *c;

	if (q->argc == CLI_QEMU_MAX_ARGS) {
		hv_err_set(err, "the QEMU command line needs more than %d Retrovisor options",
			   CLI_QEMU_MAX_ARGS);
		return -1;
	}
	c = malloc(n + 1);
	if (!c) {
		hv_err_set(err, "out of host memory translating the QEMU command line");
		return -1;
	}
	memcpy(c, s, n);
	c[n] = '\0';
	q->argv[q->argc++] = c;
	q->argv[q->argc] = NULL;
	return 0;
}

static int qemu_push2(void *ctx, const char *opt, const char *val, struct hv_err *err)
{
	struct qemu_state *st = ctx;

	if (qemu_push(st, opt, strlen(opt), err) != 0)
		return -1;
	return val ? qemu_push(st, val, strlen(val), err) : 0;
}

/* rc of parsing a translated value: on failure (-1) the error sentence
 * names QEMU's option `to` instead of ours, `from`. */
static int qemu_renamed(int rc, struct hv_err *err, const char *from, const char *to)
{
	if (rc == 0)
		return 0;
	qemu_rename(err, from, to);
	return -1;
}

/* A value that is QEMU's "[IMPLIED=]X" with nothing else (-m, -smp), X
 * copied to buf. */
static int qemu_implied(const char *opt, const char *implied, const char *val, char *buf,
			size_t size, const char *hint, struct hv_err *err)
{
	const char *p = val;
	struct qemu_item it;
	bool have = false;

	while (qemu_item_next(&p, &it)) {
		const char *v = it.val ? it.val : it.key;
		size_t n = it.val ? it.vlen : it.klen;

		if ((it.val && !qemu_is(it.key, it.klen, implied)) || have) {
			hv_err_set(err, "-%s '%s': '%.*s' is not offered; %s", opt, val,
				   (int)it.klen, it.key, hint);
			return -1;
		}
		if (n >= size) {
			hv_err_set(err, "-%s '%s': the value is too long", opt, val);
			return -1;
		}
		memcpy(buf, v, n);
		buf[n] = '\0';
		have = true;
	}
	if (!have) {
		hv_err_set(err, "-%s needs a value; %s", opt, hint);
		return -1;
	}
	return 0;
}

static int qemu_machine(const char *val, struct hv_err *err)
{
	const char *p = val;
	struct qemu_item it;

	if (!qemu_item_next(&p, &it) || it.val) {
		hv_err_set(err,
			   "-machine '%s': expected the machine type first, as in -machine virt",
			   val);
		return -1;
	}
	if (!qemu_is(it.key, it.klen, "virt")) {
		hv_err_set(err,
			   "-machine '%.*s': Retrovisor offers only QEMU's virt machine; use "
			   "-machine virt",
			   (int)it.klen, it.key);
		return -1;
	}
	if (qemu_item_next(&p, &it)) {
		hv_err_set(err,
			   "-machine '%s': the property '%.*s' is not offered; use -machine "
			   "virt alone (%s)",
			   val, (int)it.klen, it.key, QEMU_DOC);
		return -1;
	}
	return 0;
}

static int qemu_global(const char *val, struct hv_err *err)
{
	static const char prop[] = "virtio-mmio.force-legacy=";
	const char *v = val + strlen(prop);

	if (strncmp(val, prop, strlen(prop)) != 0) {
		hv_err_set(err,
			   "-global '%s' is not offered; the only one accepted is "
			   "virtio-mmio.force-legacy=false",
			   val);
		return -1;
	}
	if (strcmp(v, "false") == 0 || strcmp(v, "off") == 0 || strcmp(v, "no") == 0)
		return 0;
	hv_err_set(err,
		   "-global '%s': Retrovisor's virtio-mmio devices are version 2 (virtio "
		   "1.x) only, never the legacy version 1; drop this -global or set "
		   "force-legacy=false",
		   val);
	return -1;
}

/* -gdb tcp:[HOST]:PORT|unix:PATH with QEMU's chardev settings, which the
 * stub has anyway (a listening server that does not wait). */
static int qemu_gdb(struct qemu_state *st, const char *val, struct hv_err *err)
{
	const char *comma = strchr(val, ','), *p;
	size_t n = comma ? (size_t)(comma - val) : strlen(val);
	struct qemu_item it;
	char host[64];

	if (strcmp(val, "none") == 0)
		return 0;
	if (strncmp(val, "tcp:", 4) != 0 && strncmp(val, "unix:", 5) != 0) {
		hv_err_set(err, "-gdb '%s': expected tcp::PORT, tcp:HOST:PORT or unix:PATH", val);
		return -1;
	}
	for (p = comma ? comma + 1 : ""; qemu_item_next(&p, &it);) {
		static const char *const ok[] = { "server",   "server=on", "nowait",
						  "wait=off", "nodelay",   "nodelay=on" };
		size_t len = it.val ? it.klen + 1 + it.vlen : it.klen;
		bool known = false;

		for (size_t k = 0; k < HV_ARRAY_LEN(ok); k++)
			known |= qemu_is(it.key, len, ok[k]);
		if (!known) {
			hv_err_set(err,
				   "-gdb '%s': the setting '%.*s' is not offered; the stub "
				   "listens and does not wait (-S makes it wait)",
				   val, (int)len, it.key);
			return -1;
		}
	}
	if (val[0] == 't') {
		const char *h = val + 4, *colon = memrchr(h, ':', n - 4);
		size_t hlen = colon ? (size_t)(colon - h) : 0;
		unsigned char addr[16];

		if (hlen >= 2 && h[0] == '[' && h[hlen - 1] == ']') {
			h++;
			hlen -= 2;
		}
		if (hlen && hlen < sizeof(host)) {
			memcpy(host, h, hlen);
			host[hlen] = '\0';
			if ((inet_pton(AF_INET, host, addr) == 1 && addr[0] != 127) ||
			    (inet_pton(AF_INET6, host, addr) == 1 &&
			     !IN6_IS_ADDR_LOOPBACK((struct in6_addr *)addr))) {
				hv_err_set(err,
					   "-gdb '%s': the gdb stub is unauthenticated, so a QEMU "
					   "command line listens on loopback only; use tcp::PORT, or "
					   "'retrovisor run --gdb tcp:%s:PORT --gdb-allow-remote'",
					   val, host);
				return -1;
			}
		}
	}
	st->gdb = strndup(val, n); /* emitted after the devices */
	if (!st->gdb) {
		hv_err_set(err, "out of host memory translating the QEMU command line");
		return -1;
	}
	return 0;
}

/* Apply one single-valued or flag option; the repeatable ones are parsed
 * as they come. */
static int qemu_apply(struct qemu_state *st, enum qemu_opt id, const char *val, struct hv_err *err)
{
	unsigned harts;
	uint64_t bytes;

	switch (id) {
	case Q_MACHINE:
		return qemu_machine(val, err);
	case Q_KERNEL:
	case Q_INITRD:
	case Q_BIOS:
		if (val[0] == '\0') {
			hv_err_set(err, "-%s needs a file name, not an empty string",
				   id == Q_KERNEL ? "kernel" :
				   id == Q_INITRD ? "initrd" :
						    "bios");
			return -1;
		}
		return 0;
	case Q_MEMORY:
		if (qemu_implied("m", "size", val, st->memory, sizeof(st->memory),
				 "give the size alone, as -m 512M", err) != 0)
			return -1;
		return qemu_renamed(cli_parse_size(st->memory, &bytes, err), err, "--memory", "-m");
	case Q_SMP:
		if (qemu_implied("smp", "cpus", val, st->harts, sizeof(st->harts),
				 "give the number of harts alone, as -smp 4 (there is no CPU "
				 "topology)",
				 err) != 0)
			return -1;
		return qemu_renamed(cli_parse_harts(st->harts, &harts, err), err, "--harts",
				    "-smp");
	case Q_SERIAL:
		if (strcmp(val, "mon:stdio") == 0 || strcmp(val, "stdio") == 0)
			return 0;
		hv_err_set(err,
			   "-serial '%s': the console is always stdio (Ctrl-A x quits); use "
			   "-serial mon:stdio or leave it out",
			   val);
		return -1;
	case Q_ACCEL:
		/* TCG is QEMU's translator: the engine the environment or
		 * Retrovisor's default chooses stands for it (docs/qemu.md). */
		if (strcmp(val, "tcg") == 0)
			return 0;
		hv_err_set(err,
			   "QEMU option '-accel' is not offered: Retrovisor runs its harts in "
			   "software, deterministically, so only '-accel tcg' is accepted, not "
			   "'-accel %s'; leave it out",
			   val);
		return -1;
	case Q_DISPLAY:
		if (strcmp(val, "none") == 0)
			return 0;
		hv_err_set(err,
			   "-display '%s': there is no display, the console is stdio; use "
			   "-nographic",
			   val);
		return -1;
	case Q_GLOBAL:
		return qemu_global(val, err);
	case Q_DRIVE:
		return qemu_devs_drive(&st->devs, val, err);
	case Q_DEVICE:
		return qemu_devs_device(&st->devs, val, err);
	case Q_NETDEV:
		return qemu_devs_netdev(&st->devs, val, err);
	case Q_GDB:
		return qemu_gdb(st, val, err);
	case Q_GDB_DEFAULT:
		return qemu_gdb(st, "tcp::1234", err);
	default:
		return 0; /* flags, and the values kept in st->val */
	}
}

/* An option of the translation, pushed when `on`; val NULL for a flag. */
struct qemu_arg {
	bool on;
	const char *opt, *val;
};

static int qemu_push_args(struct qemu_state *st, const struct qemu_arg *a, size_t n,
			  struct hv_err *err)
{
	for (size_t i = 0; i < n; i++) {
		if (a[i].on && qemu_push2(st, a[i].opt, a[i].val, err) != 0)
			return -1;
	}
	return 0;
}

static int qemu_emit(struct qemu_state *st, struct hv_err *err)
{
	const char *bios = st->val[Q_BIOS];
	const struct {
		bool refused;
		const char *why;
	} refusals[] = {
		{ !st->seen[Q_MACHINE],
		  "no -machine given: QEMU's default RISC-V machine is "
		  "spike, which Retrovisor does not offer; add -machine virt" },
		{ !st->val[Q_KERNEL],
		  "no -kernel given: Retrovisor boots a kernel (with -bios none, "
		  "a bare M-mode program); add -kernel FILE" },
		{ st->seen[Q_FREEZE] && !st->gdb, "-S without -s or -gdb: nothing could start the "
						  "machine (there is no monitor); add -s" },
	};
	const struct qemu_arg machine[] = {
		{ true, "retrovisor", "run" },
		{ st->val[Q_KERNEL] != NULL, "--kernel", st->val[Q_KERNEL] },
		{ st->val[Q_INITRD] != NULL, "--initrd", st->val[Q_INITRD] },
		{ st->val[Q_APPEND] != NULL, "--append", st->val[Q_APPEND] },
		{ st->val[Q_MEMORY] != NULL, "--memory", st->memory },
		{ st->val[Q_SMP] != NULL, "--harts", st->harts },
		{ bios && strcmp(bios, "default") != 0, "--bios", bios },
	};
	/* QEMU's virt machine has no entropy device unless one is asked for
	 * (and this subset does not offer one), so a guest scanning the
	 * slots sees what it sees on QEMU. */
	const struct qemu_arg after_devices[] = {
		{ true, "--rng", "none" },
		{ st->gdb != NULL, "--gdb", st->gdb },
		{ st->seen[Q_FREEZE], "--paused", NULL },
		{ st->seen[Q_NO_REBOOT], "--on-reboot", "exit" },
	};

	for (size_t i = 0; i < HV_ARRAY_LEN(refusals); i++) {
		if (refusals[i].refused) {
			hv_err_set(err, "%s", refusals[i].why);
			return -1;
		}
	}
	if (qemu_push_args(st, machine, HV_ARRAY_LEN(machine), err) != 0 ||
	    qemu_devs_emit(&st->devs, st->seen[Q_SNAPSHOT], qemu_push2, st, err) != 0)
		return -1;
	return qemu_push_args(st, after_devices, HV_ARRAY_LEN(after_devices), err);
}

static int qemu_lookup(const char *name)
{
	for (size_t i = 0; i < HV_ARRAY_LEN(qemu_options); i++)
		if (strcmp(qemu_options[i].name, name) == 0)
			return (int)i;
	return -1;
}

static int qemu_unknown(const char *arg, const char *name, struct hv_err *err)
{
	const char *eq = strchr(name, '=');

	if (eq) {
		char opt[32];
		size_t n = (size_t)(eq - name);

		snprintf(opt, sizeof(opt), "%.*s", (int)(n < sizeof(opt) ? n : sizeof(opt) - 1),
			 name);
		if (qemu_lookup(opt) >= 0) {
			hv_err_set(err, "'%s': QEMU takes no -OPTION=VALUE form; write '-%s %s'",
				   arg, opt, eq + 1);
			return -1;
		}
	}
	for (size_t i = 0; i < HV_ARRAY_LEN(qemu_refused); i++) {
		if (strcmp(qemu_refused[i].name, name) == 0) {
			hv_err_set(err, "QEMU option '%s' is not offered: %s", arg,
				   qemu_refused[i].hint);
			return -1;
		}
	}
	hv_err_set(err, "QEMU option '%s' is not offered; %s", arg, QEMU_DOC);
	return -1;
}

int cli_qemu_translate(int argc, char *const argv[], struct cli_qemu *q, struct hv_err *err)
{
	struct qemu_state st;

	memset(q, 0, sizeof(*q));
	memset(&st, 0, sizeof(st));
	st.q = q;
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i], *name = arg + 1, *val = NULL;
		int k;

		if (arg[0] != '-' || arg[1] == '\0') {
			hv_err_set(err,
				   "unexpected argument '%s': a disk is -drive "
				   "file=IMG,if=none,format=raw,id=d0 with -device "
				   "virtio-blk-device,drive=d0 (%s)",
				   arg, QEMU_DOC);
			goto fail;
		}
		if (name[0] == '-') /* QEMU treats --foo as -foo */
			name++;
		k = qemu_lookup(name);
		if (k < 0) {
			qemu_unknown(arg, name, err);
			goto fail;
		}
		enum qemu_opt id = qemu_options[k].id;
		if (id == Q_HELP || id == Q_VERSION) {
			free(st.gdb);
			cli_qemu_free(q);
			q->what = id == Q_HELP ? CLI_QEMU_HELP : CLI_QEMU_VERSION;
			return 0;
		}
		if (st.seen[id] && id != Q_DRIVE && id != Q_DEVICE && id != Q_NETDEV &&
		    id != Q_GLOBAL) {
			hv_err_set(err, "%s given twice; give it once", arg);
			goto fail;
		}
		if ((id == Q_GDB && st.seen[Q_GDB_DEFAULT]) ||
		    (id == Q_GDB_DEFAULT && st.seen[Q_GDB])) {
			hv_err_set(err, "-s and -gdb both place the gdb stub; give one (-s is -gdb "
					"tcp::1234)");
			goto fail;
		}
		st.seen[id] = true;
		if (qemu_options[k].arg_desc) {
			if (i + 1 >= argc) {
				hv_err_set(err, "%s needs a value (%s)", arg,
					   qemu_options[k].arg_desc);
				goto fail;
			}
			val = argv[++i];
			if (strstr(val, ",,")) {
				hv_err_set(err,
					   "%s '%s': ',,' (a comma inside a value) is not offered",
					   arg, val);
				goto fail;
			}
			st.val[id] = val;
		}
		if (qemu_apply(&st, id, val, err) != 0)
			goto fail;
	}
	if ((st.val[Q_INITRD] || st.val[Q_APPEND]) && !st.val[Q_KERNEL]) {
		hv_err_set(err, "-%s needs -kernel", st.val[Q_INITRD] ? "initrd" : "append");
		goto fail;
	}
	if (qemu_emit(&st, err) != 0)
		goto fail;
	free(st.gdb);
	q->what = CLI_QEMU_RUN;
	return 0;
fail:
	/* One line, whatever the values quoted in it hold. */
	for (char *c = err ? err->msg : NULL; c && *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
	free(st.gdb);
	cli_qemu_free(q);
	return -1;
}

void cli_qemu_free(struct cli_qemu *q)
{
	for (int i = 0; i < q->argc; i++)
		free(q->argv[i]);
	memset(q, 0, sizeof(*q));
}

void cli_qemu_print_help(FILE *out)
{
	/* Options start their lines, as in QEMU's -help: xv6-riscv's Makefile
	 * greps for '^-gdb' to choose between -gdb and -s -p. */
	fputs("Usage: retrovisor qemu-system-riscv64 -machine virt -kernel FILE [options]\n"
	      "       (or the binary run through a link named qemu-system-riscv64)\n"
	      "\n"
	      "QEMU's command line for the virt machine, a common subset of it, run\n"
	      "as 'retrovisor run' runs its options. docs/qemu.md lists the subset and\n"
	      "how it differs from QEMU; anything else is refused, naming the option.\n"
	      "Options are written -opt VALUE or --opt VALUE.\n"
	      "\n"
	      "-machine virt    the only machine (required: QEMU's default is spike)\n"
	      "-M virt          the same\n"
	      "-kernel FILE     kernel to boot (required)\n"
	      "-initrd FILE     initial RAM disk\n"
	      "-append STR      kernel command line\n"
	      "-bios none|default|FILE\n"
	      "                 default (also without -bios): Retrovisor's own SBI in\n"
	      "                 place of OpenSBI; none: the kernel starts in M-mode;\n"
	      "                 FILE: M-mode firmware\n"
	      "-m SIZE          guest RAM (a bare number is MiB)\n"
	      "-smp N           number of harts (also cpus=N)\n"
	      "-nographic       accepted: the console is always stdio (Ctrl-A x quits)\n"
	      "-serial mon:stdio, -serial stdio, -display none\n"
	      "                 accepted, as -nographic\n"
	      "-global virtio-mmio.force-legacy=false\n"
	      "                 accepted: virtio-mmio is always version 2\n"
	      "-drive file=IMG,if=none,format=raw,id=ID[,snapshot=on|off]\n"
	      "                 a disk image; writes go to IMG unless snapshot=on\n"
	      "-device virtio-blk-device,drive=ID[,bus=virtio-mmio-bus.N]\n"
	      "                 the disk, in virtio-mmio slot N\n"
	      "-netdev user,id=ID[,hostfwd=tcp:[HADDR]:HPORT-[GADDR]:GPORT]...\n"
	      "                 user networking; an empty HADDR is 127.0.0.1\n"
	      "-device virtio-net-device,netdev=ID[,bus=virtio-mmio-bus.N][,mac=MAC]\n"
	      "                 the network card\n"
	      "-snapshot        keep every disk's writes in memory\n"
	      "-no-reboot       a guest reboot ends the run (status 9)\n"
	      "-accel tcg       accepted: guest code runs on Retrovisor's engine\n"
	      "                 (RETROVISOR_ENGINE, docs/cli.md)\n"
	      "-s               gdb stub on 127.0.0.1:1234 (-gdb tcp::1234)\n"
	      "-gdb tcp::PORT|tcp:HOST:PORT|unix:PATH\n"
	      "                 gdb stub, on loopback only (it is unauthenticated)\n"
	      "-S               with -s or -gdb: wait for gdb before the first instruction\n"
	      "-help            this text\n"
	      "-version         the version\n",
	      out);
}
