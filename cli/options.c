// SPDX-License-Identifier: MIT
/*
 * Command-line parser for `retrovisor` (interface and grammar in options.h,
 * user documentation in docs/cli.md).
 *
 * Options are GNU-style long options, "--name VALUE" or "--name=VALUE";
 * each may be given once. There are no positional arguments after the
 * command. The parser is a pure function of argv: no getopt global state,
 * no printing, so tests can run it any number of times.
 *
 * Numbers are parsed by hand rather than with strtoull, which accepts
 * leading blanks and signs ("-1" becomes 2^64-1) and hides overflow in
 * errno; here only digits and a known suffix are accepted, and every
 * multiplication is checked.
 */
#include "cli/options.h"

#include "hv/platform/loader.h"

#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "hv/platform/machine.h"

#define CLI_RUN_HINT "run 'retrovisor run --help' for the options"
#define CLI_TOP_HINT "run 'retrovisor --help' for usage"

/* Parse a run of decimal digits at s; *end points after it. Returns -1
 * when there is no digit, -2 on overflow. */
static int cli_digits(const char *s, uint64_t *v, const char **end)
{
	uint64_t n = 0;
	const char *p = s;

	if (*p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (__builtin_mul_overflow(n, 10, &n) || __builtin_add_overflow(n, *p - '0', &n))
			return -2;
	}
	*v = n;
	*end = p;
	return 0;
}

struct cli_suffix {
	const char *name;
	uint64_t mult;
};

static const struct cli_suffix cli_size_suffixes[] = {
	{ "", 1ull << 20 }, /* QEMU -m: a bare number is MiB */
	{ "B", 1 },
	{ "K", 1ull << 10 },
	{ "KB", 1ull << 10 },
	{ "KiB", 1ull << 10 },
	{ "M", 1ull << 20 },
	{ "MB", 1ull << 20 },
	{ "MiB", 1ull << 20 },
	{ "G", 1ull << 30 },
	{ "GB", 1ull << 30 },
	{ "GiB", 1ull << 30 },
	{ "T", 1ull << 40 },
	{ "TB", 1ull << 40 },
	{ "TiB", 1ull << 40 },
};

static const struct cli_suffix cli_count_suffixes[] = {
	{ "", 1 },
	{ "K", 1000ull },
	{ "M", 1000000ull },
	{ "G", 1000000000ull },
	{ "T", 1000000000000ull },
};

static bool cli_suffix_find(const struct cli_suffix *tab, size_t n, const char *s, uint64_t *mult)
{
	for (size_t i = 0; i < n; i++) {
		if (strcasecmp(tab[i].name, s) == 0) {
			*mult = tab[i].mult;
			return true;
		}
	}
	return false;
}

int cli_parse_size(const char *s, uint64_t *bytes, struct hv_err *err)
{
	uint64_t n, mult, v;
	const char *end;
	int r = cli_digits(s, &n, &end);

	if (r == -1) {
		hv_err_set(err,
			   "--memory '%s': expected a size such as 512M or 2G (a bare number "
			   "is MiB)",
			   s);
		return -1;
	}
	if (r == -2) {
		hv_err_set(err, "--memory '%s': the number is too large; at most %llu GiB", s,
			   CLI_MAX_MEMORY >> 30);
		return -1;
	}
	if (!cli_suffix_find(cli_size_suffixes, HV_ARRAY_LEN(cli_size_suffixes), end, &mult)) {
		hv_err_set(err,
			   "--memory '%s': unknown size suffix '%s'; use B, K, M, G or T "
			   "(a bare number is MiB)",
			   s, end);
		return -1;
	}
	if (__builtin_mul_overflow(n, mult, &v) || v > CLI_MAX_MEMORY) {
		hv_err_set(err, "--memory '%s': too large; at most %llu GiB", s,
			   CLI_MAX_MEMORY >> 30);
		return -1;
	}
	if (v < CLI_MIN_MEMORY) {
		hv_err_set(err, "--memory '%s': too small; at least %llu MiB", s,
			   CLI_MIN_MEMORY >> 20);
		return -1;
	}
	if (v & HV_PAGE_MASK) {
		hv_err_set(err, "--memory '%s': not a multiple of 4 KiB (the page size)", s);
		return -1;
	}
	*bytes = v;
	return 0;
}

int cli_parse_count(const char *s, uint64_t *count, struct hv_err *err)
{
	uint64_t n, mult, v;
	const char *end;
	int r = cli_digits(s, &n, &end);

	if (r == -1) {
		hv_err_set(err, "--max-instructions '%s': expected a count such as 1000000 or 50M",
			   s);
		return -1;
	}
	if (r == 0 &&
	    !cli_suffix_find(cli_count_suffixes, HV_ARRAY_LEN(cli_count_suffixes), end, &mult)) {
		hv_err_set(err,
			   "--max-instructions '%s': unknown suffix '%s'; use K, M, G or T "
			   "(powers of 1000)",
			   s, end);
		return -1;
	}
	if (r == -2 || __builtin_mul_overflow(n, mult, &v)) {
		hv_err_set(err, "--max-instructions '%s': too large; at most %llu", s,
			   (unsigned long long)UINT64_MAX);
		return -1;
	}
	if (v == 0) {
		hv_err_set(err,
			   "--max-instructions '%s': must be at least 1 (leave the option "
			   "out for no limit)",
			   s);
		return -1;
	}
	*count = v;
	return 0;
}

int cli_parse_harts(const char *s, unsigned *n, struct hv_err *err)
{
	uint64_t v;
	const char *end;
	int r = cli_digits(s, &v, &end);

	if (r == 0 && *end == '\0' && v >= 1 && v <= HV_MAX_HARTS) {
		*n = (unsigned)v;
		return 0;
	}
	hv_err_set(err, "--harts '%s': expected a number of harts from 1 to %d", s, HV_MAX_HARTS);
	return -1;
}

int cli_parse_drive(const char *s, struct cli_drive *d, struct hv_err *err)
{
	bool have_file = false, have_snapshot = false;
	const char *p = s;

	memset(d, 0, sizeof(*d));
	d->snapshot = true;
	while (*p) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		const char *eq = memchr(p, '=', len);
		size_t klen = eq ? (size_t)(eq - p) : len;
		const char *val = eq ? eq + 1 : NULL;
		size_t vlen = eq ? len - klen - 1 : 0;

		if (klen == 4 && memcmp(p, "file", 4) == 0 && val) {
			if (have_file) {
				hv_err_set(err, "--drive '%s': file= given twice", s);
				return -1;
			}
			if (vlen == 0 || vlen >= sizeof(d->file)) {
				hv_err_set(err,
					   "--drive '%s': file= needs a path of 1 to %zu bytes", s,
					   sizeof(d->file) - 1);
				return -1;
			}
			memcpy(d->file, val, vlen);
			d->file[vlen] = '\0';
			have_file = true;
		} else if (klen == 8 && memcmp(p, "snapshot", 8) == 0 && val) {
			if (have_snapshot) {
				hv_err_set(err, "--drive '%s': snapshot= given twice", s);
				return -1;
			}
			if (vlen == 2 && memcmp(val, "on", 2) == 0) {
				d->snapshot = true;
			} else if (vlen == 3 && memcmp(val, "off", 3) == 0) {
				d->snapshot = false;
			} else {
				hv_err_set(err, "--drive '%s': snapshot= must be on or off", s);
				return -1;
			}
			have_snapshot = true;
		} else if (klen == 4 && memcmp(p, "slot", 4) == 0 && val) {
			if (d->has_slot) {
				hv_err_set(err, "--drive '%s': slot= given twice", s);
				return -1;
			}
			if (!machine_slot_parse(val, vlen, &d->slot)) {
				hv_err_set(err,
					   "--drive '%s': slot= must be a virtio-mmio slot from 0 to "
					   "%d (slot 0 is at 0x10001000)",
					   s, HV_VIRTIO_SLOTS - 1);
				return -1;
			}
			d->has_slot = true;
		} else {
			hv_err_set(err,
				   "--drive '%s': unknown setting '%.*s'; expected "
				   "file=PATH[,snapshot=on|off][,slot=N]",
				   s, (int)len, p);
			return -1;
		}
		p += len;
		if (*p == ',')
			p++;
	}
	if (!have_file) {
		hv_err_set(err, "--drive '%s': missing file=PATH", s);
		return -1;
	}
	return 0;
}

int cli_parse_seed(const char *s, uint64_t *seed, struct hv_err *err)
{
	uint64_t v = 0;
	const char *p = s;
	bool hex = s[0] == '0' && (s[1] == 'x' || s[1] == 'X');

	if (hex)
		p += 2;
	if (!*p)
		goto bad;
	for (; *p; p++) {
		unsigned dgt;

		if (*p >= '0' && *p <= '9')
			dgt = (unsigned)(*p - '0');
		else if (hex && *p >= 'a' && *p <= 'f')
			dgt = (unsigned)(*p - 'a' + 10);
		else if (hex && *p >= 'A' && *p <= 'F')
			dgt = (unsigned)(*p - 'A' + 10);
		else
			goto bad;
		if (__builtin_mul_overflow(v, hex ? 16u : 10u, &v) ||
		    __builtin_add_overflow(v, dgt, &v))
			goto bad;
	}
	*seed = v;
	return 0;
bad:
	hv_err_set(err, "--rng-seed '%s': expected a 64-bit number (decimal or 0x hex)", s);
	return -1;
}

int cli_parse_clock(const char *s, enum cli_clock *clock, struct hv_err *err)
{
	if (strcmp(s, "realtime") == 0) {
		*clock = CLI_CLOCK_REALTIME;
	} else if (strcmp(s, "fast") == 0) {
		*clock = CLI_CLOCK_FAST;
	} else {
		hv_err_set(err, "--clock '%s': expected realtime or fast", s);
		return -1;
	}
	return 0;
}

/* --snapshot-at ICOUNT=FILE: kept in ascending order of ICOUNT, each
 * ICOUNT once. */
static int cli_parse_snap_at(struct cli_opts *o, const char *val, struct hv_err *err)
{
	const char *eq = strchr(val, '=');
	char count[32];
	icount_t n;

	if (!eq || eq == val || !eq[1] || (size_t)(eq - val) >= sizeof(count)) {
		hv_err_set(err,
			   "--snapshot-at '%s': expected ICOUNT=FILE, such as "
			   "--snapshot-at 2G=boot.snap",
			   val);
		return -1;
	}
	memcpy(count, val, (size_t)(eq - val));
	count[eq - val] = '\0';
	if (cli_parse_count(count, &n, err) != 0)
		return -1;
	if (o->nsnap_at == CLI_MAX_SNAP_AT) {
		hv_err_set(err, "more than %d --snapshot-at options", CLI_MAX_SNAP_AT);
		return -1;
	}
	unsigned i = o->nsnap_at;
	while (i > 0 && o->snap_at[i - 1].icount > n) {
		o->snap_at[i] = o->snap_at[i - 1];
		i--;
	}
	if (i > 0 && o->snap_at[i - 1].icount == n) {
		hv_err_set(err, "--snapshot-at: two snapshots at instruction %llu",
			   (unsigned long long)n);
		return -1;
	}
	o->snap_at[i].icount = n;
	o->snap_at[i].file = eq + 1;
	o->nsnap_at++;
	return 0;
}

enum cli_opt_id {
	OPT_KERNEL,
	OPT_INITRD,
	OPT_APPEND,
	OPT_BIOS,
	OPT_MEMORY,
	OPT_HARTS,
	OPT_MAX_INSNS,
	OPT_PRINT_DIGEST,
	OPT_DRIVE,
	OPT_RNG_SEED,
	OPT_RNG,
	OPT_RTC,
	OPT_NET,
	OPT_WATCHDOG,
	OPT_CLOCK,
	OPT_ON_REBOOT,
	OPT_RESTORE,
	OPT_SNAPSHOT_AT,
	OPT_SNAPSHOT_INCR,
	OPT_GDB,
	OPT_PLUGIN,
	OPT_PAUSED,
	OPT_GDB_ALLOW_REMOTE,
	OPT_TRUST_STORED,
	OPT_HELP,
	OPT_COUNT
};

/* Options that only store their value: a file name (not empty) or a
 * flag, in the member of struct cli_opts `at` bytes in. */
enum cli_store { CLI_STORE_NONE, CLI_STORE_FILE, CLI_STORE_FLAG };
#define CLI_FILE(member) CLI_STORE_FILE, offsetof(struct cli_opts, member)
#define CLI_FLAG(member) CLI_STORE_FLAG, offsetof(struct cli_opts, member)

static const struct {
	const char *name;
	bool has_arg;
	const char *arg_desc;
	enum cli_store store;
	size_t at;
} cli_options[OPT_COUNT] = {
	[OPT_KERNEL] = { "kernel", true, "a file name", CLI_FILE(kernel) },
	[OPT_INITRD] = { "initrd", true, "a file name", CLI_FILE(initrd) },
	[OPT_APPEND] = { "append", true, "a kernel command line" },
	[OPT_BIOS] = { "bios", true, "'none' or a firmware file name", CLI_FILE(bios) },
	[OPT_MEMORY] = { "memory", true, "a size such as 512M" },
	[OPT_HARTS] = { "harts", true, "a number of harts" },
	[OPT_MAX_INSNS] = { "max-instructions", true, "an instruction count" },
	[OPT_PRINT_DIGEST] = { "print-digest", false, NULL, CLI_FLAG(print_digest) },
	[OPT_DRIVE] = { "drive", true, "file=PATH[,snapshot=on|off][,slot=N]" },
	[OPT_RNG_SEED] = { "rng-seed", true, "a 64-bit number" },
	[OPT_RNG] = { "rng", true, "virtio or none" },
	[OPT_NET] = { "net", true, "none or user[,hostfwd=tcp:127.0.0.1:HOSTPORT-:GUESTPORT]" },
	[OPT_RTC] = { "rtc", true, "a time in seconds since 1970" },
	[OPT_WATCHDOG] = { "watchdog", true, "a number of guest seconds" },
	[OPT_CLOCK] = { "clock", true, "realtime or fast" },
	[OPT_ON_REBOOT] = { "on-reboot", true, "restart or exit" },
	[OPT_RESTORE] = { "restore", true, "a snapshot file", CLI_FILE(restore) },
	[OPT_SNAPSHOT_AT] = { "snapshot-at", true, "ICOUNT=FILE" },
	[OPT_SNAPSHOT_INCR] = { "snapshot-incremental", false, NULL, CLI_FLAG(snap_incremental) },
	[OPT_GDB] = { "gdb", true, "tcp:127.0.0.1:PORT or unix:PATH" },
	[OPT_PAUSED] = { "paused", false, NULL, CLI_FLAG(paused) },
	[OPT_PLUGIN] = { "plugin", true, "FILE[,key=value...]" },
	[OPT_GDB_ALLOW_REMOTE] = { "gdb-allow-remote", false, NULL, CLI_FLAG(gdb_allow_remote) },
	[OPT_TRUST_STORED] = { "trust-stored-paths", false, NULL, CLI_FLAG(trust_stored_paths) },
	[OPT_HELP] = { "help", false, NULL },
};

static int cli_lookup(const char *name, size_t len)
{
	for (int i = 0; i < OPT_COUNT; i++) {
		if (strlen(cli_options[i].name) == len &&
		    memcmp(cli_options[i].name, name, len) == 0)
			return i;
	}
	return -1;
}

/* Apply one option. val is NULL for flags. */
static int cli_apply(struct cli_opts *o, int id, const char *val, struct hv_err *err)
{
	char *at = (char *)o + cli_options[id].at;

	switch (cli_options[id].store) {
	case CLI_STORE_FLAG:
		*(bool *)at = true;
		return 0;
	case CLI_STORE_FILE:
		if (val[0] == '\0') {
			hv_err_set(err, "--%s needs %s, not an empty string", cli_options[id].name,
				   cli_options[id].arg_desc);
			return -1;
		}
		*(const char **)at = val;
		return 0;
	case CLI_STORE_NONE:
		break;
	}
	switch (id) {
	case OPT_APPEND:
		o->append = val;
		return 0;
	case OPT_MEMORY:
		o->memory_set = true;
		return cli_parse_size(val, &o->memory, err);
	case OPT_HARTS:
		o->harts_set = true;
		return cli_parse_harts(val, &o->harts, err);
	case OPT_SNAPSHOT_AT:
		return cli_parse_snap_at(o, val, err);
	case OPT_GDB:
		if (strncmp(val, "tcp:", 4) != 0 && strncmp(val, "unix:", 5) != 0) {
			hv_err_set(err,
				   "--gdb '%s': expected tcp:[HOST]:PORT or unix:PATH, such as "
				   "--gdb tcp:127.0.0.1:1234",
				   val);
			return -1;
		}
		o->gdb = val;
		return 0;
	case OPT_PLUGIN:
		if (o->nplugins == CLI_MAX_PLUGINS) {
			hv_err_set(err, "more than %d --plugin options", CLI_MAX_PLUGINS);
			return -1;
		}
		if (val[0] == '\0' || val[0] == ',') {
			hv_err_set(err, "--plugin needs FILE[,key=value...]");
			return -1;
		}
		o->plugin[o->nplugins++] = val;
		return 0;
	case OPT_MAX_INSNS:
		return cli_parse_count(val, &o->max_insns, err);
	case OPT_DRIVE:
		if (o->ndrives == CLI_MAX_DRIVES) {
			hv_err_set(err, "more than %d --drive options", CLI_MAX_DRIVES);
			return -1;
		}
		return cli_parse_drive(val, &o->drive[o->ndrives++], err);
	case OPT_RNG_SEED:
		return cli_parse_seed(val, &o->rng_seed, err);
	case OPT_RNG:
		if (strcmp(val, "virtio") != 0 && strcmp(val, "none") != 0) {
			hv_err_set(err, "--rng '%s': expected virtio or none", val);
			return -1;
		}
		o->rng_off = strcmp(val, "none") == 0;
		o->rng_set = true;
		return 0;
	case OPT_NET:
		net_opts_init(&o->net);
		return net_parse_opts(val, &o->net, err);
	case OPT_RTC: {
		const char *end;
		if (cli_digits(val, &o->rtc_s, &end) != 0 || *end != '\0' ||
		    o->rtc_s > 100000000000ull) {
			hv_err_set(err,
				   "--rtc '%s': expected seconds since 1970 such as 1767225600",
				   val);
			return -1;
		}
		o->rtc_set = true;
		return 0;
	}
	case OPT_WATCHDOG: {
		const char *end;
		if (cli_digits(val, &o->watchdog_s, &end) != 0 || *end != '\0' ||
		    o->watchdog_s < 1 || o->watchdog_s > 1000000) {
			hv_err_set(err,
				   "--watchdog '%s': expected a number of guest seconds from 1 "
				   "to 1000000",
				   val);
			return -1;
		}
		return 0;
	}
	case OPT_CLOCK:
		return cli_parse_clock(val, &o->clock, err);
	case OPT_ON_REBOOT:
		if (strcmp(val, "restart") == 0) {
			o->reboot_exit = false;
		} else if (strcmp(val, "exit") == 0) {
			o->reboot_exit = true;
		} else {
			hv_err_set(err, "--on-reboot '%s': expected restart or exit", val);
			return -1;
		}
		return 0;
	default:
		o->cmd = CLI_CMD_RUN_HELP;
		return 0;
	}
}

static int cli_parse_run(int argc, char *const argv[], struct cli_opts *o, struct hv_err *err)
{
	bool seen[OPT_COUNT] = { false };

	for (int i = 2; i < argc; i++) {
		const char *arg = argv[i];
		const char *name, *eq, *val = NULL;
		size_t len;
		int id;

		if (strcmp(arg, "-h") == 0) {
			o->cmd = CLI_CMD_RUN_HELP;
			return 0;
		}
		if (strncmp(arg, "--", 2) != 0 || arg[2] == '\0') {
			hv_err_set(err, "unexpected argument '%s'; %s", arg, CLI_RUN_HINT);
			return -1;
		}
		name = arg + 2;
		eq = strchr(name, '=');
		len = eq ? (size_t)(eq - name) : strlen(name);
		id = cli_lookup(name, len);
		if (id < 0) {
			hv_err_set(err, "unknown option '--%.*s'; %s", (int)len, name,
				   CLI_RUN_HINT);
			return -1;
		}
		if (id == OPT_HELP) {
			o->cmd = CLI_CMD_RUN_HELP;
			return 0;
		}
		if (seen[id] && id != OPT_DRIVE && id != OPT_SNAPSHOT_AT && id != OPT_PLUGIN) {
			hv_err_set(err, "--%s given twice; give it once", cli_options[id].name);
			return -1;
		}
		seen[id] = true;
		if (cli_options[id].has_arg) {
			if (eq) {
				val = eq + 1;
			} else if (i + 1 < argc) {
				val = argv[++i];
			} else {
				hv_err_set(err, "--%s needs a value (%s); %s", cli_options[id].name,
					   cli_options[id].arg_desc, CLI_RUN_HINT);
				return -1;
			}
		} else if (eq) {
			hv_err_set(err, "--%s takes no value; %s", cli_options[id].name,
				   CLI_RUN_HINT);
			return -1;
		}
		if (cli_apply(o, id, val, err) != 0)
			return -1;
	}
	if (!o->kernel && !o->restore) {
		hv_err_set(err, "missing --kernel FILE (or --restore SNAPSHOT); %s", CLI_RUN_HINT);
		return -1;
	}
	if ((o->paused || o->gdb_allow_remote) && !o->gdb) {
		hv_err_set(err, "--%s needs --gdb; %s", o->paused ? "paused" : "gdb-allow-remote",
			   CLI_RUN_HINT);
		return -1;
	}
	/* Two devices in one slot, or more devices than slots. */
	int place[HV_VIRTIO_SLOTS];
	if (cli_virtio_place(o, place, err) != 0)
		return -1;
	o->args = argv + 2;
	o->nargs = argc - 2;
	return 0;
}

int cli_parse(int argc, char *const argv[], struct cli_opts *o, struct hv_err *err)
{
	const char *cmd;

	memset(o, 0, sizeof(*o));
	net_opts_init(&o->net);
	o->memory = CLI_DEFAULT_MEMORY;
	o->harts = 1;
	if (argc < 2) {
		hv_err_set(err, "no command given; %s", CLI_TOP_HINT);
		return -1;
	}
	cmd = argv[1];
	if (strcmp(cmd, "run") == 0) {
		o->cmd = CLI_CMD_RUN;
		return cli_parse_run(argc, argv, o, err);
	}
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0)
		o->cmd = CLI_CMD_HELP;
	else if (strcmp(cmd, "--version") == 0)
		o->cmd = CLI_CMD_VERSION;
	else if (cmd[0] == '-')
		hv_err_set(err,
			   "unknown option '%s' (options follow the command, as in "
			   "'retrovisor run --kernel FILE'); %s",
			   cmd, CLI_TOP_HINT);
	else
		hv_err_set(err, "unknown command '%s'; %s", cmd, CLI_TOP_HINT);
	if (!o->cmd)
		return -1;
	if (argc > 2) {
		hv_err_set(err, "unexpected argument '%s' after %s; %s", argv[2], cmd,
			   CLI_TOP_HINT);
		return -1;
	}
	return 0;
}

void cli_stored_net(struct net_opts *n)
{
	for (unsigned i = 0; i < n->nhostfwd; i++)
		n->hostfwd[i].host_addr = NET_SLIRP_LOOPBACK;
}

void cli_stored_refuse(struct hv_err *err, const char *kind, const char *file, const char *what,
		       const char *path, const char *name_it)
{
	const char *base = strrchr(file, '/');

	/* The stored path and what to pass come first: err holds 512 bytes. */
	hv_err_set(err,
		   "%s '%s' names the host file '%s' as %s; pass %s%s--trust-stored-paths "
		   "to open it (a path a file chooses is opened only when the command line "
		   "names it)",
		   kind, base ? base + 1 : file, path, what, name_it ? name_it : "",
		   name_it ? ", or " : "");
}

void cli_machine_config(const struct cli_opts *o, struct machine_drive *drives, uint64_t rtc_ns,
			struct machine_config *cfg)
{
	for (unsigned i = 0; i < o->ndrives; i++) {
		drives[i].file = o->drive[i].file;
		drives[i].snapshot = o->drive[i].snapshot;
		drives[i].has_slot = o->drive[i].has_slot;
		drives[i].slot = o->drive[i].slot;
	}
	*cfg = (struct machine_config){
		.ram_size = o->memory,
		.nharts = o->harts,
		.boot = loader_boot_mode(o->bios),
		.max_insns = o->max_insns,
		.quantum = 0, /* the machine's default */
		.bootargs = o->append,
		.rtc_boot_ns = rtc_ns,
		.drives = drives,
		.ndrives = o->ndrives,
		.rng = !o->rng_off,
		.rng_seed = o->rng_seed,
		.net = &o->net,
		.stop_on_panic = true,
		.watchdog_ticks = o->watchdog_s * HV_TIMEBASE_HZ,
		.digest_version = o->digest_version,
	};
}

int cli_virtio_place(const struct cli_opts *o, int place[HV_VIRTIO_SLOTS], struct hv_err *err)
{
	struct machine_drive drives[CLI_MAX_DRIVES];
	struct machine_config cfg;

	cli_machine_config(o, drives, 0, &cfg);
	return machine_virtio_place(&cfg, place, err);
}
