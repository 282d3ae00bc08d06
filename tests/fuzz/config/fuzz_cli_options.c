// SPDX-License-Identifier: MIT
/*
 * Fuzz target: the command line of `retrovisor` (cli/options.c cli_parse),
 * then what main does with an accepted `run` before any file is opened:
 * every --plugin spec parsed (plugins/spec.c) and the machine's
 * configuration built (cli_machine_config). Input: the arguments after
 * argv[0], separated by NUL bytes.
 *
 * The parser must return, never exit (libFuzzer reports an exit() as a
 * finding); an accepted command line must hold what options.h promises
 * (memory within limits and page-aligned, harts and counts in range,
 * --snapshot-at sorted without duplicates); a refused one says why.
 */
#include "cli/options.h"
#include "plugins/spec.h"
#include "tests/fuzz/fuzz.h"

#include <stdio.h>

#define FUZZ_MAX_ARGS 256

static void fuzz_fail(const char *what)
{
	fprintf(stderr, "cli_parse: %s\n", what);
	abort();
}

static void fuzz_check_run(const struct cli_opts *o)
{
	struct machine_drive drives[CLI_MAX_DRIVES];
	struct machine_config cfg;

	if (o->memory < CLI_MIN_MEMORY || o->memory > CLI_MAX_MEMORY || (o->memory & HV_PAGE_MASK))
		fuzz_fail("memory out of range");
	if (o->harts < 1 || o->harts > HV_MAX_HARTS)
		fuzz_fail("harts out of range");
	if (o->ndrives > CLI_MAX_DRIVES || o->nplugins > CLI_MAX_PLUGINS ||
	    o->nsnap_at > CLI_MAX_SNAP_AT)
		fuzz_fail("a repeated option over its limit");
	if (!o->kernel && !o->restore)
		fuzz_fail("accepted without --kernel or --restore");
	for (unsigned i = 1; i < o->nsnap_at; i++)
		if (o->snap_at[i - 1].icount >= o->snap_at[i].icount)
			fuzz_fail("--snapshot-at not in ascending order");
	for (unsigned i = 0; i < o->nplugins; i++) {
		struct plugin_spec s;
		struct hv_err err = { { 0 } };

		if (plugin_spec_parse(o->plugin[i], &s, &err) == 0)
			plugin_spec_free(&s);
		else if (!err.msg[0])
			fuzz_fail("a plugin spec refused without a sentence");
	}
	cli_machine_config(o, drives, 0, &cfg);
	if (cfg.ram_size != o->memory || cfg.nharts != o->harts || cfg.ndrives != o->ndrives)
		fuzz_fail("the machine's configuration differs from the options");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_cstr(data, size);
	char *argv[FUZZ_MAX_ARGS + 2];
	int argc;
	static struct cli_opts o;
	struct hv_err err = { { 0 } };

	argc = fuzz_argv(text, size, "retrovisor", argv, FUZZ_MAX_ARGS);
	if (cli_parse(argc, argv, &o, &err) != 0) {
		if (!err.msg[0])
			fuzz_fail("refused without a sentence");
	} else if (o.cmd == CLI_CMD_RUN) {
		fuzz_check_run(&o);
	} else if (o.cmd != CLI_CMD_HELP && o.cmd != CLI_CMD_RUN_HELP && o.cmd != CLI_CMD_VERSION) {
		fuzz_fail("accepted with no command");
	}
	free(text);
	return 0;
}
