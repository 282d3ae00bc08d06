// SPDX-License-Identifier: MIT
/*
 * A test plugin for tests/plugins:instances_test (several machines in one
 * process, each with its own plugin host). It keeps everything it has in
 * the user data of its callbacks, none in globals (a plugin file loaded
 * by two hosts is one copy in the process), and uses each kind of ABI
 * entry point: subscriptions (rv_on_block, rv_insn_on_exec, rv_on_exit),
 * a query without a handle (rv_reg_read, answered by the machine whose
 * callback runs) and a change through its handle (rv_flip_reg, recorded
 * and applied on its own machine). At exit it writes "insns N hash H" to
 * the file of its out= argument.
 *
 * Arguments: out=FILE (required), flip=N (after its Nth instruction,
 * flip bit 3 of a1 on that hart; 0 never).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "retrovisor/plugin.h"

RV_PLUGIN_EXPORT const uint32_t rv_plugin_abi[2] = { RV_PLUGIN_ABI_MIN, RV_PLUGIN_ABI_VERSION };

struct count {
	rv_plugin *self;
	char out[512];
	uint64_t insns, hash, flip;
};

static void count_exec(void *ud, uint32_t hart, uint64_t pc)
{
	struct count *c = ud;
	uint64_t a0 = 0;

	c->insns++;
	rv_reg_read(hart, 10, &a0);
	c->hash = (c->hash ^ pc ^ (a0 << 1) ^ hart) * 0x100000001b3ull;
	if (c->insns == c->flip)
		rv_flip_reg(c->self, hart, 11, 3);
}

static void count_block(void *ud, rv_block *b)
{
	struct count *c = ud;

	for (uint32_t i = 0; i < rv_block_insns(b); i++)
		rv_insn_on_exec(c->self, rv_block_insn(b, i), count_exec, c);
}

static void count_exit(void *ud, int status)
{
	struct count *c = ud;
	FILE *f = fopen(c->out, "w");

	(void)status;
	if (f) {
		fprintf(f, "insns %llu hash %016llx\n", (unsigned long long)c->insns,
			(unsigned long long)c->hash);
		fclose(f);
	}
	free(c);
}

RV_PLUGIN_EXPORT int rv_plugin_init(rv_plugin *self, const rv_plugin_info *info, int argc,
				    const rv_plugin_arg *argv)
{
	struct count *c = calloc(1, sizeof(*c));

	(void)info;
	if (!c) {
		rv_plugin_fail(self, "out of memory");
		return -1;
	}
	c->self = self;
	c->hash = 0xcbf29ce484222325ull;
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i].key, "out"))
			snprintf(c->out, sizeof(c->out), "%s", argv[i].value);
		else if (!strcmp(argv[i].key, "flip"))
			c->flip = strtoull(argv[i].value, NULL, 0);
	}
	if (!c->out[0]) {
		free(c);
		rv_plugin_fail(self, "out=FILE is required");
		return -1;
	}
	rv_on_block(self, count_block, c);
	rv_on_exit(self, count_exit, c);
	return 0;
}
