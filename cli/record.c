// SPDX-License-Identifier: MIT
/*
 * retrovisor record --log FILE [--digest-interval N] RUN-OPTIONS...
 * (docs/replay.md): a run whose inputs are logged. The log starts with a
 * configuration record (replay/config.h): the recorder's version, every
 * `run` argument, the SHA-256 of every image the run reads, and the wall
 * clock; a replay rebuilds the run from it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/sha256.h"
#include "hv/machine.h"
#include "cli/main.h"
#include "replay/config.h"

/* Append "image ROLE PATH HASH" for a file the run reads. */
static int record_add_image(char **cfg, size_t *len, size_t *cap, const char *role,
			    const char *path, struct hv_err *err)
{
	uint8_t d[SHA256_DIGEST_SIZE];
	char hex[SHA256_HEX_SIZE];

	if (sha256_file(path, d, err) != 0)
		return -1;
	sha256_hex(d, hex);
	size_t need = strlen(role) + strlen(path) + strlen(hex) + 16;
	if (*len + need >= *cap) {
		size_t ncap = (*cap + need) * 2;
		char *n = realloc(*cfg, ncap);
		if (!n) {
			hv_err_set(err, "out of host memory");
			return -1;
		}
		*cfg = n;
		*cap = ncap;
	}
	*len += (size_t)snprintf(*cfg + *len, *cap - *len, "image %s %s %s\n", role, path, hex);
	return 0;
}

static int record_append(char **cfg, size_t *len, size_t *cap, const char *line)
{
	size_t need = strlen(line) + 2;

	if (*len + need >= *cap) {
		size_t ncap = (*cap + need) * 2;
		char *n = realloc(*cfg, ncap);
		if (!n)
			return -1;
		*cfg = n;
		*cap = ncap;
	}
	*len += (size_t)snprintf(*cfg + *len, *cap - *len, "%s\n", line);
	return 0;
}

char *record_config(int argc, char **argv, const struct cli_opts *o, struct hv_err *err)
{
	size_t len = 0, cap = 4096;
	char *cfg = malloc(cap);

	if (!cfg) {
		hv_err_set(err, "out of host memory");
		return NULL;
	}
	cfg[0] = '\0';
	record_append(&cfg, &len, &cap, "retrovisor " CLI_VERSION);
	/* How this recording's digests hash pages; a log without the line is
	 * of version 1. */
	char digest_line[32];
	snprintf(digest_line, sizeof(digest_line), "digest %u", MACHINE_DIGEST_CURRENT);
#ifdef RETROVISOR_TEST_HOOKS
	/* Test builds: RETROVISOR_TEST_OLD_LOG set writes no digest line, as
	 * the recorders before digest version 2 did (tests/replay). */
	if (!getenv("RETROVISOR_TEST_OLD_LOG"))
#endif
		record_append(&cfg, &len, &cap, digest_line);
	for (int i = 2; i < argc; i++) {
		char line[8192];
		/* Trust is the replaying user's to give, never the log's; pacing
		 * (--clock) changes nothing a replay sees. */
		if (strcmp(argv[i], "--trust-stored-paths") == 0 ||
		    strncmp(argv[i], "--clock=", 8) == 0)
			continue;
		if (strcmp(argv[i], "--clock") == 0) {
			i++;
			continue;
		}
		if (strchr(argv[i], '\n') || strlen(argv[i]) > sizeof(line) - 8) {
			free(cfg);
			hv_err_set(err, "an argument contains a newline or is too long to record");
			return NULL;
		}
		snprintf(line, sizeof(line), "arg %s", argv[i]);
		if (record_append(&cfg, &len, &cap, line) != 0) {
			free(cfg);
			hv_err_set(err, "out of host memory");
			return NULL;
		}
	}
	int bad = o->kernel ? record_add_image(&cfg, &len, &cap, "kernel", o->kernel, err) : 0;
	if (!bad && o->restore)
		bad = record_add_image(&cfg, &len, &cap, "snapshot", o->restore, err);
	if (!bad && o->initrd)
		bad = record_add_image(&cfg, &len, &cap, "initrd", o->initrd, err);
	if (!bad && o->bios && strcmp(o->bios, "none") != 0)
		bad = record_add_image(&cfg, &len, &cap, "bios", o->bios, err);
	for (unsigned i = 0; !bad && i < o->ndrives; i++) {
		char role[16];
		if (!o->drive[i].snapshot) {
			hv_err_set(err,
				   "--drive %s: snapshot=off would change the image while "
				   "recording, and a replay needs it as it was; record with the "
				   "default copy-on-write overlay",
				   o->drive[i].file);
			bad = -1;
			break;
		}
		snprintf(role, sizeof(role), "drive%u", i);
		bad = record_add_image(&cfg, &len, &cap, role, o->drive[i].file, err);
	}
	if (bad) {
		free(cfg);
		return NULL;
	}
	return cfg;
}

int main_record(int argc, char **argv)
{
	const char *log = NULL;
	uint64_t interval = 0;
	char *run_argv[REPLAY_CONFIG_MAX_ARGS + 2];
	int run_argc = 0;
	struct cli_opts o;
	struct hv_err err = { { 0 } };

	run_argv[run_argc++] = argv[0];
	run_argv[run_argc++] = "run";
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--log") == 0 && i + 1 < argc) {
			log = argv[++i];
		} else if (strncmp(argv[i], "--log=", 6) == 0) {
			log = argv[i] + 6;
		} else if (strcmp(argv[i], "--digest-interval") == 0 && i + 1 < argc) {
			if (cli_parse_count(argv[++i], &interval, &err) != 0)
				return main_fail(&err);
		} else if (run_argc < REPLAY_CONFIG_MAX_ARGS) {
			run_argv[run_argc++] = argv[i];
		} else {
			return main_replay_usage("too many arguments");
		}
	}
	run_argv[run_argc] = NULL;
	if (!log || !*log)
		return main_replay_usage("record needs --log FILE");
	if (cli_parse(run_argc, run_argv, &o, &err) != 0)
		return main_fail(&err);
	if (o.cmd != CLI_CMD_RUN)
		return main_replay_usage("record takes the options of run");
#ifdef RETROVISOR_TEST_HOOKS
	/* RETROVISOR_TEST_OLD_LOG=v1: the digests too are made as before
	 * version 2 (a log as an older recorder wrote it); any other value
	 * leaves them of the current version (a log that lies about them). */
	const char *old = getenv("RETROVISOR_TEST_OLD_LOG");
	if (old && !strcmp(old, "v1"))
		o.digest_version = MACHINE_DIGEST_V1;
#endif

	char *cfg = record_config(run_argc, run_argv, &o, &err);
	if (!cfg)
		return main_fail(&err);
	struct main_session sess = {
		.record_log = log,
		.digest_interval = interval,
		.config = cfg,
	};
	int status = main_run(&o, &sess);
	free(cfg);
	return status;
}
