// SPDX-License-Identifier: MIT
/*
 * Fuzz target: a QEMU command line (cli/qemu.c, cli/qemu_devs.c) through
 * cli_qemu_translate and, when accepted, the `retrovisor run` command line
 * it makes through cli_parse, as main_qemu does before anything runs.
 * Input: the arguments after argv[0], separated by NUL bytes.
 *
 * A refusal must be one sentence on one line (control characters in the
 * values it quotes shown as '?'); an accepted line must give "retrovisor
 * run OPTIONS" ending in NULL within CLI_QEMU_MAX_ARGS, which cli_parse
 * either takes as a run with a kernel or refuses with a sentence (a slot
 * taken twice, a path too long); nothing may exit.
 */
#include "cli/options.h"
#include "cli/qemu.h"
#include "tests/fuzz/fuzz.h"

#include <stdio.h>

#define FUZZ_MAX_ARGS 256

static void fuzz_fail(const char *what)
{
	fprintf(stderr, "qemu command line: %s\n", what);
	abort();
}

static void fuzz_sentence(const struct hv_err *err)
{
	if (!err->msg[0] || strchr(err->msg, '\n'))
		fuzz_fail("refused without a one-line sentence");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_cstr(data, size);
	char *argv[FUZZ_MAX_ARGS + 2];
	int argc;
	static struct cli_opts o;
	struct cli_qemu q;
	struct hv_err err = { { 0 } };

	argc = fuzz_argv(text, size, "qemu-system-riscv64", argv, FUZZ_MAX_ARGS);
	if (cli_qemu_translate(argc, argv, &q, &err) != 0) {
		fuzz_sentence(&err);
		if (q.argc != 0)
			fuzz_fail("refused with options left");
	} else if (q.what == CLI_QEMU_RUN) {
		if (q.argc < 4 || q.argc > CLI_QEMU_MAX_ARGS || q.argv[q.argc] ||
		    strcmp(q.argv[0], "retrovisor") != 0 || strcmp(q.argv[1], "run") != 0)
			fuzz_fail("a malformed run command line");
		if (cli_parse(q.argc, q.argv, &o, &err) != 0 && !err.msg[0])
			fuzz_fail("run's parser refused without a sentence");
		else if (o.cmd != CLI_CMD_RUN || !o.kernel)
			fuzz_fail("translated into something other than a run with a kernel");
	} else if (q.what != CLI_QEMU_HELP && q.what != CLI_QEMU_VERSION) {
		fuzz_fail("accepted with nothing to do");
	}
	cli_qemu_free(&q);
	free(text);
	return 0;
}
