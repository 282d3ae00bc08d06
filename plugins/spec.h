/* SPDX-License-Identifier: MIT */
/*
 * A plugin's command-line spec, `--plugin FILE[,key=value...]`, taken
 * apart before anything is loaded (spec.c). Pure: no file is opened, so
 * tests and the fuzzer (tests/fuzz/config:plugin_args) call it directly.
 */
#ifndef PLUGINS_SPEC_H
#define PLUGINS_SPEC_H

#include "base/err.h"
#include "plugins/include/retrovisor/plugin.h"

#define PLUGIN_SPEC_MAX_LEN 8192
#define PLUGIN_SPEC_MAX_ARGS 32

struct plugin_spec {
	char *buf;           /* the spec, split in place; everything below points into it */
	const char *path;    /* FILE, as given */
	const char *name;    /* its last path component */
	const char *vmlinux; /* the value of vmlinux=, or NULL */
	rv_plugin_arg args[PLUGIN_SPEC_MAX_ARGS]; /* what rv_plugin_init receives */
	int nargs;
};

/*
 * Splits spec at its commas: FILE, then key=value or bare key arguments
 * (a bare key's value is ""), in order; empty items between commas are
 * skipped. FILE and every key must be non-empty, the whole at most
 * PLUGIN_SPEC_MAX_LEN bytes with at most PLUGIN_SPEC_MAX_ARGS arguments.
 * Returns 0 (free with plugin_spec_free), or -1 with one sentence in err
 * and nothing to free.
 */
int plugin_spec_parse(const char *spec, struct plugin_spec *s, struct hv_err *err);
void plugin_spec_free(struct plugin_spec *s);

#endif
