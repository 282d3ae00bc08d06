// SPDX-License-Identifier: MIT
/*
 * A test plugin for tests/plugins:instances_test (several machines in one
 * process, each with its own plugin host). It keeps everything it has in
 * the user data of its callbacks, none in globals (a plugin file loaded
 * by two hosts is one copy in the process; the one global is the list of
 * instances count_plugin_unsubscribe searches), and uses each kind of ABI
 * entry point: subscriptions (rv_on_block, rv_insn_on_exec, rv_on_exit),
 * a query (a register read, answered by its own machine) and a change
 * (rv_flip_reg, recorded and applied on its own machine). At exit it
 * writes "insns N hash H" to the file of its out= argument (followed by
 * "(rv_unsubscribe failed)" if stop= could not unsubscribe, and by
 * "domain NAME" under retrovisor up, from info->domain).
 *
 * Built twice: count_plugin.so against ABI 4 (the rv_machine_* forms
 * through info->machine; unsubscribing) and count_plugin_v1.so with
 * RV_PLUGIN_ABI_BUILD 1 (the handle-less rv_reg_read, rv_flip_reg through
 * the plugin handle, the ABI 1 argument layout): both must behave alike.
 *
 * Arguments: out=FILE (required), flip=N (after its Nth instruction,
 * flip bit 3 of a1 on that hart; 0 never), stop=N (ABI 4: after its Nth
 * instruction, unsubscribe its block subscription from inside that
 * instruction's callback; 0 never).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "retrovisor/plugin.h"

RV_PLUGIN_EXPORT const uint32_t rv_plugin_abi[2] = { RV_PLUGIN_ABI_BUILD, RV_PLUGIN_ABI_BUILD };

struct count {
	rv_plugin *self;
#if RV_PLUGIN_ABI_BUILD >= 4
	rv_machine *m;
#endif
	rv_sub blocks;
	char out[512];
	char domain[64]; /* info->domain under retrovisor up, else empty */
	uint64_t insns, hash, flip, stop;
	bool unsubscribe_failed;
};

#define COUNT_MAX 8
static struct count *count_all[COUNT_MAX];

static void count_exec(void *ud, uint32_t hart, uint64_t pc)
{
	struct count *c = ud;
	uint64_t a0 = 0;

	c->insns++;
#if RV_PLUGIN_ABI_BUILD >= 4
	rv_machine_reg_read(c->m, hart, 10, &a0);
	if (c->insns == c->flip)
		rv_machine_flip_reg(c->m, hart, 11, 3);
	if (c->insns == c->stop && rv_unsubscribe(c->self, c->blocks) != 0)
		c->unsubscribe_failed = true;
#else
	rv_reg_read(hart, 10, &a0);
	if (c->insns == c->flip)
		rv_flip_reg(c->self, hart, 11, 3);
#endif
	c->hash = (c->hash ^ pc ^ (a0 << 1) ^ hart) * 0x100000001b3ull;
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
		fprintf(f, "insns %llu hash %016llx%s%s%s\n", (unsigned long long)c->insns,
			(unsigned long long)c->hash,
			c->unsubscribe_failed ? " (rv_unsubscribe failed)" : "",
			c->domain[0] ? " domain " : "", c->domain);
		fclose(f);
	}
	for (unsigned i = 0; i < COUNT_MAX; i++)
		if (count_all[i] == c)
			count_all[i] = NULL;
	free(c);
}

#if RV_PLUGIN_ABI_BUILD >= 4
/* For the test, outside any callback: the instance writing to out
 * removes its block subscription. rv_unsubscribe's result, or -2 if there
 * is no such instance. */
RV_PLUGIN_EXPORT int count_plugin_unsubscribe(const char *out)
{
	for (unsigned i = 0; i < COUNT_MAX; i++)
		if (count_all[i] && !strcmp(count_all[i]->out, out))
			return rv_unsubscribe(count_all[i]->self, count_all[i]->blocks);
	return -2;
}
#endif

RV_PLUGIN_EXPORT int rv_plugin_init(rv_plugin *self, const rv_plugin_info *info, int argc,
				    const rv_plugin_arg *argv)
{
	struct count *c = calloc(1, sizeof(*c));

	if (!c || info->abi_version != RV_PLUGIN_ABI_BUILD) {
		free(c);
		rv_plugin_fail(self, "out of memory, or not the ABI version it was built for");
		return -1;
	}
	c->self = self;
#if RV_PLUGIN_ABI_BUILD >= 4
	c->m = info->machine;
	if (info->size >= offsetof(rv_plugin_info, domain) + sizeof(info->domain) && info->domain)
		snprintf(c->domain, sizeof(c->domain), "%s", info->domain);
	if (argc > 0 && argv[0].size != sizeof(argv[0])) {
		free(c);
		rv_plugin_fail(self, "the host's rv_plugin_arg is not ABI 4's");
		return -1;
	}
#endif
	c->hash = 0xcbf29ce484222325ull;
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i].key, "out"))
			snprintf(c->out, sizeof(c->out), "%s", argv[i].value);
		else if (!strcmp(argv[i].key, "flip"))
			c->flip = strtoull(argv[i].value, NULL, 0);
		else if (!strcmp(argv[i].key, "stop"))
			c->stop = strtoull(argv[i].value, NULL, 0);
	}
	if (!c->out[0]) {
		free(c);
		rv_plugin_fail(self, "out=FILE is required");
		return -1;
	}
#if RV_PLUGIN_ABI_BUILD >= 4
	c->blocks = rv_on_block(self, count_block, c);
#else
	rv_on_block(self, count_block, c); /* returns nothing before ABI 4 */
#endif
	rv_on_exit(self, count_exit, c);
	for (unsigned i = 0; i < COUNT_MAX; i++)
		if (!count_all[i]) {
			count_all[i] = c;
			break;
		}
	return 0;
}
