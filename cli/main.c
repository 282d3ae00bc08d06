// SPDX-License-Identifier: MIT
/*
 * The `retrovisor` program: which command argv names (a table; a bare
 * option list is `run`, cli/run.c), the sentences of usage mistakes and
 * failures, and nothing else. This is the only place, with the commands'
 * own files in cli/, that prints errors and exits (STYLE.md, "Errors,
 * three kinds"); every command returns its exit status here (table in
 * options.h and docs/cli.md).
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cli/main.h"
#include "cli/options.h"
#include "cli/qemu.h"
#include "cli/snapshot.h"

int main_fail(const struct hv_err *err)
{
	fprintf(stderr, "retrovisor: %s\n", err->msg);
	return CLI_EXIT_ERROR;
}

int main_usage(const char *msg, const char *help)
{
	fprintf(stderr, "retrovisor: %s; %s\n", msg, help);
	return CLI_EXIT_ERROR;
}

int main_replay_usage(const char *msg)
{
	return main_usage(msg, "see docs/replay.md or 'retrovisor --help'");
}

static const struct main_command {
	const char *name;
	int (*fn)(int argc, char **argv);
	bool own_argv0;
} main_commands[] = {
	{ CLI_QEMU_NAME, main_qemu, true }, { "record", main_record, false },
	{ "replay", main_replay, false },   { "log", main_log, false },
	{ "bundle", main_bundle, false },   { "snapshot", main_snapshot, false },
	{ "loop", main_loop, false },       { "worker", main_worker, false },
	{ "up", main_up, false },           { "xl", main_xl, false },
};

int main(int argc, char **argv)
{
	struct cli_opts o;
	struct hv_err err = { { 0 } };

	/* A file that reaches the size limit (ulimit -f) makes write fail with
	 * EFBIG, which the writer reports and cleans up after, instead of the
	 * signal killing the process with a half-written temporary file. */
	signal(SIGXFSZ, SIG_IGN);
	/* QEMU's command line through a link of its name. */
	const char *base = argc >= 1 ? strrchr(argv[0], '/') : NULL;
	if (argc >= 1 && strcmp(base ? base + 1 : argv[0], CLI_QEMU_NAME) == 0)
		return main_qemu(argc, argv);
	for (size_t i = 0; argc >= 2 && i < HV_ARRAY_LEN(main_commands); i++) {
		const struct main_command *c = &main_commands[i];

		if (strcmp(argv[1], c->name) == 0)
			return c->own_argv0 ? c->fn(argc - 1, argv + 1) : c->fn(argc, argv);
	}
	if (cli_parse(argc, argv, &o, &err) != 0)
		return main_fail(&err);
	switch (o.cmd) {
	case CLI_CMD_HELP:
		cli_print_help(stdout);
		return CLI_EXIT_OK;
	case CLI_CMD_RUN_HELP:
		cli_print_run_help(stdout);
		return CLI_EXIT_OK;
	case CLI_CMD_VERSION:
		printf("retrovisor %s\n", CLI_VERSION);
		return CLI_EXIT_OK;
	default:
		return main_run(&o, NULL);
	}
}
