/* SPDX-License-Identifier: MIT */
/*
 * QEMU's command line for `-machine virt` (`retrovisor qemu-system-riscv64
 * ARGS...`, or the binary run through a link named qemu-system-riscv64),
 * translated into the options of `retrovisor run`. The translation is all
 * this module does: main.c hands its result to cli_parse and main_run, so
 * a machine made from a QEMU command line is made as every other one is
 * (cli_machine_config). docs/qemu.md is the user's reference: the subset
 * accepted and every way it differs from QEMU.
 *
 * argv is untrusted: anything outside the subset is refused with one
 * sentence that names the option (and what to write instead where there
 * is an equivalent); nothing here opens a file or exits.
 */
#ifndef CLI_QEMU_H
#define CLI_QEMU_H

#include <stdio.h>

#include "hv/types.h"

/* The name that selects this command line, as a command or as argv[0]. */
#define CLI_QEMU_NAME "qemu-system-riscv64"

/* Room for "retrovisor run" and every option the translation can emit. */
#define CLI_QEMU_MAX_ARGS 64

enum cli_qemu_what {
	CLI_QEMU_RUN = 1, /* argv is a `retrovisor run` command line */
	CLI_QEMU_HELP,    /* -help, -h */
	CLI_QEMU_VERSION, /* -version */
};

struct cli_qemu {
	enum cli_qemu_what what;
	/* argv[0] "retrovisor", argv[1] "run", then the options; argv[argc]
	 * is NULL. Every string is the translation's own (cli_qemu_free). */
	int argc;
	char *argv[CLI_QEMU_MAX_ARGS + 1];
};

/* Translate QEMU's argv (argv[0] is the program's name, the options
 * follow) into q. Returns 0, or -1 with one sentence in err (without the
 * "retrovisor: " prefix); q is then empty. Either way cli_qemu_free
 * releases q. */
int cli_qemu_translate(int argc, char *const argv[], struct cli_qemu *q, struct hv_err *err);
void cli_qemu_free(struct cli_qemu *q);

void cli_qemu_print_help(FILE *out);

#endif
