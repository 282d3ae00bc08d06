// SPDX-License-Identifier: MIT
/*
 * The `retrovisor` program: which command argv names (a table; a bare
 * option list is `run`, cli/run.c), the engine a command that runs
 * machines gets (cli/engine.h: main takes those options out first), the
 * sentences of usage mistakes and failures, and nothing else. This is
 * the only place, with the commands' own files in cli/, that prints
 * errors and exits (STYLE.md, "Errors, three kinds"); every command
 * returns its exit status here (table in options.h and docs/cli.md).
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cli/engine.h"
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

/* `retrovisor qemu-system-riscv64 ARGS`: QEMU's line with its own argv[0]. */
static int main_qemu_argv0(int argc, char **argv)
{
	return main_qemu(argc - 1, argv + 1);
}

/* `retrovisor run OPTIONS`. */
static int main_run_argv(int argc, char **argv)
{
	struct cli_opts o;
	struct hv_err err = { { 0 } };

	if (cli_parse(argc, argv, &o, &err) != 0)
		return main_fail(&err);
	if (o.cmd == CLI_CMD_RUN_HELP) {
		cli_print_run_help(stdout);
		return CLI_EXIT_OK;
	}
	return main_run(&o, NULL);
}

/* Which engine options a command takes (engine.h): those that run
 * machines take them all, QEMU's line (its own grammar) only the
 * environment's, the others none. */
enum main_engine { MAIN_NO_MACHINE, MAIN_ENGINE_ENV, MAIN_ENGINE_OPTIONS };

static const struct main_command {
	const char *name;
	int (*fn)(int argc, char **argv);
	enum main_engine engine;
} main_commands[] = {
	{ "run", main_run_argv, MAIN_ENGINE_OPTIONS },
	{ CLI_QEMU_NAME, main_qemu_argv0, MAIN_ENGINE_ENV },
	{ "record", main_record, MAIN_ENGINE_OPTIONS },
	{ "replay", main_replay, MAIN_ENGINE_OPTIONS },
	{ "log", main_log, MAIN_ENGINE_OPTIONS }, /* log verify replays */
	{ "bundle", main_bundle, MAIN_NO_MACHINE },
	{ "snapshot", main_snapshot, MAIN_ENGINE_OPTIONS },
	{ "loop", main_loop, MAIN_ENGINE_OPTIONS },
	{ "worker", main_worker, MAIN_ENGINE_OPTIONS },
	{ "up", main_up, MAIN_ENGINE_OPTIONS },
	{ "xl", main_xl, MAIN_NO_MACHINE },
};

/* Run fn(argc, argv) on the engine the environment and (for
 * MAIN_ENGINE_OPTIONS, from argv[2] on) the command line choose. */
static int main_with_engine(int (*fn)(int argc, char **argv), int argc, char **argv,
			    enum main_engine how)
{
	struct cli_engine e = { 0 };
	struct hv_err err = { { 0 } };

	if (how == MAIN_NO_MACHINE)
		return fn(argc, argv);
	if ((how == MAIN_ENGINE_OPTIONS && cli_engine_take(&argc, argv, 2, &e, &err) != 0) ||
	    cli_engine_apply(&e, &err) != 0)
		return main_fail(&err);
	int status = fn(argc, argv);
	if (cli_engine_finish(&err) != 0)
		status = main_fail(&err);
	return status;
}

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
		return main_with_engine(main_qemu, argc, argv, MAIN_ENGINE_ENV);
	for (size_t i = 0; argc >= 2 && i < HV_ARRAY_LEN(main_commands); i++) {
		const struct main_command *c = &main_commands[i];

		if (strcmp(argv[1], c->name) == 0)
			return main_with_engine(c->fn, argc, argv, c->engine);
	}
	/* Not a command: --help, --version, or a mistake. */
	if (cli_parse(argc, argv, &o, &err) != 0)
		return main_fail(&err);
	if (o.cmd == CLI_CMD_VERSION)
		printf("retrovisor %s\n", CLI_VERSION);
	else
		cli_print_help(stdout);
	return CLI_EXIT_OK;
}
