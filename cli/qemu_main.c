// SPDX-License-Identifier: MIT
/*
 * `retrovisor qemu-system-riscv64 ARGS...`, also the binary run through a
 * link named qemu-system-riscv64 (so that a course's Makefile can say
 * QEMU=path/to/link): the QEMU command line is translated into run's
 * options (qemu.c), parsed by cli_parse and run by main_run, exactly as
 * `retrovisor run` with those options would run. docs/qemu.md is the
 * user's reference.
 */
#include <stdio.h>

#include "cli/main.h"
#include "cli/qemu.h"

int main_qemu(int argc, char **argv)
{
	struct hv_err err = { { 0 } };
	struct cli_qemu q;
	struct cli_opts o;
	int status;

	if (cli_qemu_translate(argc, argv, &q, &err) != 0)
		return main_fail(&err);
	switch (q.what) {
	case CLI_QEMU_HELP:
		cli_qemu_print_help(stdout);
		return CLI_EXIT_OK;
	case CLI_QEMU_VERSION:
		printf("retrovisor %s, running QEMU 7.2's qemu-system-riscv64 command line for "
		       "-machine virt (docs/qemu.md)\n",
		       CLI_VERSION);
		return CLI_EXIT_OK;
	default:
		break;
	}
	if (cli_parse(q.argc, q.argv, &o, &err) != 0) {
		cli_qemu_free(&q);
		return main_fail(&err);
	}
	status = main_run(&o, NULL);
	cli_qemu_free(&q);
	return status;
}
