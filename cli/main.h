/* SPDX-License-Identifier: MIT */
/*
 * What the command line's files share: main.c (run, the console, how a
 * run ended) and the commands that reuse main_run: record.c, replay.c,
 * log.c, bundle.c, snapshot.c and loop.c.
 */
#ifndef CLI_MAIN_H
#define CLI_MAIN_H

#include "cli/options.h"
#include "replay/config.h"

struct replayer;

/* What a run records or replays. */
struct main_session {
	const char *record_log; /* record: the log to write */
	uint64_t digest_interval;
	const char *config;      /* record: the configuration text */
	struct replayer *replay; /* replay: the open log */
	bool replay_from;        /* replay --from: the machine starts from a snapshot */
	uint64_t go_live;
	bool rtc_ns_set; /* replay: the recorded wall clock */
	uint64_t rtc_ns;
	bool quiet; /* verify: discard the guest's console */
	/* A probe (divergence narrowing): stop after exactly stop_at
	 * instructions, report nothing, and hand back the machine's digest,
	 * the hart that ran last and its pc. */
	icount_t stop_at;
	uint64_t digest_out;
	unsigned hart_out;
	uint64_t pc_out;
	/* If pages_out is set: a hash of every page (malloc'd, npages_out
	 * entries; the caller frees it), to list the pages that differ. */
	bool want_pages;
	uint64_t *pages_out;
	uint64_t npages_out;
};

/* Run a machine for o (sess may be NULL); returns the exit status. */
int main_run(const struct cli_opts *o, struct main_session *sess);
/* Print "retrovisor: MSG" and return CLI_EXIT_ERROR. */
int main_fail(const struct hv_err *err);
/* Print "retrovisor: MSG; HELP" (HELP the command's usage or where to
 * read it) and return CLI_EXIT_ERROR. */
int main_usage(const char *msg, const char *help);
/* main_usage for the commands of docs/replay.md (record, replay, log,
 * bundle). */
int main_replay_usage(const char *msg);
/* The exit status for a run that stopped with why, after one line on
 * stderr saying how (none for a shutdown). */
int main_stop_status(struct machine *m, enum hv_stop why);
/* The configuration text with the wall clock the run really used
 * (malloc'd, or NULL). */
char *main_config_with_clock(const char *config, uint64_t rtc_ns);
/* A log's configuration text for `run` arguments argv[2..argc-1] (o is
 * their parse): the recorder, every argument, every image's SHA-256
 * (record.c). malloc'd, or NULL with err. */
char *record_config(int argc, char **argv, const struct cli_opts *o, struct hv_err *err);

/* What `replay` was asked (replay.c); `log verify` replays quietly. */
struct replay_args {
	const char *file;
	uint64_t go_live;
	const char *live_log;
	bool print_digest;
	bool quiet;
	struct cli_snap_at snap_at[CLI_MAX_SNAP_AT];
	unsigned nsnap_at;
	const char *gdb;
	bool paused, gdb_allow_remote;
	const char *from; /* --from SNAPSHOT */
	const char *plugin[CLI_MAX_PLUGINS];
	unsigned nplugins;
	/* --image ROLE=PATH: where a recorded image is on this host (its
	 * SHA-256 is still checked); --trust-stored-paths: open the paths the
	 * log recorded. Without either, a replay opens no host file the log
	 * alone names (docs/replay.md). */
	struct main_image {
		const char *role, *path;
	} image[BUNDLE_MAX_IMAGES];
	unsigned nimages;
	bool trust;
	enum cli_clock clock; /* --clock; default fast */
};
int main_replay_args(const struct replay_args *ra);
/* Parse one --image ROLE=PATH into ra. 0, or -1 with err. */
int main_image_arg(struct replay_args *ra, const char *spec, struct hv_err *err);
/* Point every recorded image of c at the host file the command line (ra)
 * or a bundle (extracted, n of them) names for its role; a path only the
 * log names is refused (KIND FILE in the sentence) unless ra->trust. 0,
 * or -1 with err. */
int main_image_paths(const struct replay_args *ra, const char *kind, const char *file,
		     const struct bundle_image *extracted, unsigned n, struct replay_config *c,
		     struct hv_err *err);

int main_record(int argc, char **argv);
/* `worker`: runs experiments from one start state (worker.c). */
int main_worker(int argc, char **argv);
/* up FILE: the domains a configuration file describes (up.c). */
int main_up(int argc, char **argv);
/* xl COMMAND: the toolstack's client (xl.c). */
int main_xl(int argc, char **argv);
int main_replay(int argc, char **argv);
int main_log(int argc, char **argv);
int main_bundle(int argc, char **argv);
/* `qemu-system-riscv64 ARGS...`: argv[0] is that name (qemu_main.c). */
int main_qemu(int argc, char **argv);

#ifdef RETROVISOR_TEST_HOOKS
/* Test builds: the faults the environment asks for, armed on a new
 * machine (RETROVISOR_TEST_HOST_ERROR, main.c). */
void main_test_hooks(struct machine *m);
#endif

#endif
