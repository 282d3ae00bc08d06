/* SPDX-License-Identifier: MIT */
/*
 * Command-line parsing for the `retrovisor` binary, kept apart from main.c
 * so that tests can call it. Nothing here touches the machine, the
 * terminal or the process: the parser fills a struct cli_opts or leaves
 * one sentence in a struct hv_err, and main prints it and exits.
 *
 * Command line (docs/cli.md is the user's reference):
 *
 *   retrovisor run --kernel FILE [--initrd FILE] [--append STR]
 *                  [--bios none|FILE] [--memory SIZE] [--harts N]
 *                  [--max-instructions N] [--watchdog SECONDS] [--print-digest]
 *                  [--drive file=PATH[,snapshot=on|off][,slot=N]]... [--rng-seed N]
 *                  [--rtc SECONDS] [--clock realtime|fast]
 *                  [--net none|user[,hostfwd=tcp:[HADDR]:HPORT-[GADDR]:GPORT]...[,slot=N]]
 *                  [--restore FILE] [--snapshot-at ICOUNT=FILE]...
 *                  [--snapshot-incremental]
 *                  [--gdb tcp:[HOST]:PORT|unix:PATH [--paused] [--gdb-allow-remote]]
 *                  [--plugin FILE[,key=value...]]... [--trust-stored-paths]
 *   retrovisor --help | run --help | --version
 *
 * argv is untrusted: every value is checked completely (no trailing
 * garbage, no overflow, no silent wrap-around) before it is accepted.
 */
#ifndef CLI_OPTIONS_H
#define CLI_OPTIONS_H

#include <stdio.h>

#include "hv/platform/machine.h"
#include "hv/dev/backend/net_slirp.h"
#include "hv/types.h"

#define CLI_VERSION "0.1.0"

/* Defaults and limits. RAM as QEMU's virt machine: 128 MiB by default,
 * a bare --memory number is MiB (QEMU -m). */
#define CLI_DEFAULT_MEMORY (128ull << 20)
#define CLI_MIN_MEMORY (16ull << 20)
#define CLI_MAX_MEMORY (64ull << 30)

/* Process exit statuses. A run that ends with a guest shutdown exits with
 * the guest's status (0-255), which may itself be any of these numbers. */
#define CLI_EXIT_OK 0
#define CLI_EXIT_INTERNAL 1  /* the machine stopped for no known reason */
#define CLI_EXIT_ERROR 2     /* bad command line, unusable file, host error */
#define CLI_EXIT_MAX_INSNS 3 /* --max-instructions reached */
#define CLI_EXIT_DEADLOCK 4  /* every hart waits for an interrupt forever */
#define CLI_EXIT_PANIC 5     /* the guest kernel panicked */
#define CLI_EXIT_WATCHDOG 6  /* --watchdog: the guest stopped printing */
#define CLI_EXIT_DIVERGED 7  /* a replay did not match its recording */
#define CLI_EXIT_PLUGIN 8    /* a plugin stopped the run */
#define CLI_EXIT_REBOOT 9    /* --on-reboot exit: the guest asked to reboot */

/* At most this many --drive options (the 8th virtio slot is the entropy
 * device's). */
#define CLI_MAX_DRIVES 7
#define CLI_DRIVE_PATH_MAX 4096
#define CLI_MAX_SNAP_AT 64
#define CLI_MAX_PLUGINS 16

/* --drive file=PATH[,snapshot=on|off][,slot=N]: snapshot (the default)
 * keeps the guest's writes in memory; off writes them to the file. slot=N
 * puts it in virtio-mmio slot N (QEMU's virtio-mmio-bus.N, at 0x10001000 +
 * N * 0x1000); without it machine_virtio_place chooses. */
struct cli_drive {
	char file[CLI_DRIVE_PATH_MAX];
	bool snapshot;
	bool has_slot;
	unsigned slot;
};

enum cli_command {
	CLI_CMD_RUN = 1,
	CLI_CMD_HELP,     /* retrovisor --help */
	CLI_CMD_RUN_HELP, /* retrovisor run --help */
	CLI_CMD_VERSION,
};

/* --clock realtime|fast: how idle guest time passes against the host's
 * clock (hv/platform/pace.h). Not part of the machine: logs and snapshot files do
 * not store it, and a replay takes its own command line's. */
enum cli_clock {
	CLI_CLOCK_AUTO = 0, /* realtime for run and record on a terminal, else fast */
	CLI_CLOCK_REALTIME,
	CLI_CLOCK_FAST,
};

struct cli_opts {
	enum cli_command cmd;
	const char *kernel; /* pointers into argv */
	const char *initrd;
	const char *append;
	const char *bios; /* NULL: paravirtual boot */
	uint64_t memory;  /* bytes */
	unsigned harts;
	icount_t max_insns; /* 0: no limit */
	bool print_digest;
	struct cli_drive drive[CLI_MAX_DRIVES];
	unsigned ndrives;
	uint64_t rng_seed; /* --rng-seed, default 0: an input (ARCHITECTURE.md 1) */
	bool rng_off;      /* --rng none: no virtio entropy device (QEMU's default) */
	/* Not an option: a replay's digest version, the log's (0: current). */
	unsigned digest_version;
	bool rng_set;        /* --rng given (a shape option, checked on --restore) */
	struct net_opts net; /* --net, default none */
	uint64_t rtc_s;      /* --rtc: the wall clock at power-on, also an input */
	bool rtc_set;
	uint64_t watchdog_s; /* guest seconds without console output; 0: off */
	enum cli_clock clock;
	bool reboot_exit; /* --on-reboot exit: a reboot request ends the run */
	/* Snapshots (docs/snapshots.md): --restore FILE starts from a snapshot
	 * file instead of booting; --snapshot-at ICOUNT=FILE (repeatable)
	 * saves one when the machine has retired ICOUNT instructions, and
	 * --snapshot-incremental makes each after the first incremental. */
	const char *restore;
	struct cli_snap_at {
		icount_t icount;
		const char *file;
	} snap_at[CLI_MAX_SNAP_AT];
	unsigned nsnap_at;
	bool snap_incremental;
	/* --plugin FILE[,key=value...] (repeatable). */
	const char *plugin[CLI_MAX_PLUGINS];
	unsigned nplugins;
	/* --gdb tcp:HOST:PORT|unix:PATH, --paused, --gdb-allow-remote. */
	const char *gdb;
	bool paused;
	bool gdb_allow_remote;
	/* --trust-stored-paths: host files that a snapshot file (or a log or
	 * bundle) names may be opened without the command line naming them
	 * (cli_stored_net says what a file may never do). Taken from the
	 * command line only, never from a file's stored options. */
	bool trust_stored_paths;
	/* Which options the command line gave (bit OPT id, options.c): with
	 * --restore, machine-shape options must agree with the file. */
	bool memory_set, harts_set;
	/* The run options as given (argv after "run"), for the files that
	 * must say how to make the machine again (snapshot files). */
	char *const *args;
	int nargs;
};

/* Parse argv. Returns 0, or -1 with one sentence in err (without the
 * "retrovisor: " prefix); usage mistakes end with a hint to run --help. */
int cli_parse(int argc, char *const argv[], struct cli_opts *o, struct hv_err *err);

/* --memory SIZE: digits with an optional suffix, case-insensitive:
 * none = MiB (QEMU -m), B = bytes, K/KB/KiB, M/MB/MiB, G/GB/GiB, T/TB/TiB,
 * all powers of 1024. The result must be a multiple of 4 KiB within
 * [CLI_MIN_MEMORY, CLI_MAX_MEMORY]. Returns 0 or -1 with err. */
int cli_parse_size(const char *s, uint64_t *bytes, struct hv_err *err);

/* --max-instructions N: digits with an optional decimal suffix K (10^3),
 * M (10^6), G (10^9) or T (10^12), case-insensitive; at least 1.
 * Returns 0 or -1 with err. */
int cli_parse_count(const char *s, uint64_t *n, struct hv_err *err);

/* --harts N: 1..HV_MAX_HARTS. Returns 0 or -1 with err. */
int cli_parse_harts(const char *s, unsigned *n, struct hv_err *err);

/* --drive file=PATH[,snapshot=on|off][,slot=N]: comma-separated KEY=VALUE
 * pairs in any order, file required and non-empty (a path may not contain
 * a comma), each key once, N a decimal slot from 0 to HV_VIRTIO_SLOTS - 1.
 * Returns 0 or -1 with err. */
int cli_parse_drive(const char *s, struct cli_drive *d, struct hv_err *err);

/* --rng-seed N: a decimal or 0x-prefixed hexadecimal 64-bit number.
 * Returns 0 or -1 with err. */
int cli_parse_seed(const char *s, uint64_t *seed, struct hv_err *err);

/* --clock realtime|fast. Returns 0 or -1 with err. */
int cli_parse_clock(const char *s, enum cli_clock *clock, struct hv_err *err);

/* Options stored in a file (a snapshot's CONFIG section, a log's
 * configuration record, a bundle's log) never widen the host's exposure
 * on their own (docs/cli.md, "Options stored in files"): a forward they
 * ask for listens on loopback, whatever host address the file stored;
 * only a --net given on the command line may name another. */
void cli_stored_net(struct net_opts *n);

/* One sentence in err refusing a host path that only a file named: FILE
 * (a snapshot file, log or bundle, KIND says which; shown by its last
 * component, the user typed it) names PATH as WHAT; NAME_IT says how the
 * command line can name it instead ("--drive file=PATH"), or is NULL when
 * only --trust-stored-paths can. */
void cli_stored_refuse(struct hv_err *err, const char *kind, const char *file, const char *what,
		       const char *path, const char *name_it);

void cli_print_help(FILE *out);
void cli_print_run_help(FILE *out);

/* The machine that o describes, built once here for every command and
 * tool that makes one from options: drives (CLI_MAX_DRIVES entries, kept
 * by the caller) receive o's drives; rtc_ns is the wall clock at
 * power-on. Callers change what is theirs afterwards (max_insns for a
 * probe or a loop's start, replaying). */
void cli_machine_config(const struct cli_opts *o, struct machine_drive *drives, uint64_t rtc_ns,
			struct machine_config *cfg);

/* Where the machine o describes puts its virtio devices
 * (machine_virtio_place). Returns 0, or -1 with err. */
int cli_virtio_place(const struct cli_opts *o, int place[HV_VIRTIO_SLOTS], struct hv_err *err);

#endif
