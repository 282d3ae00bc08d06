// SPDX-License-Identifier: MIT
/*
 * Fuzz target: a plugin's spec, `--plugin FILE[,key=value...]`
 * (plugins/spec.c), parsed as plugin_host_load does before it opens
 * anything. Input: the spec's text.
 *
 * Checked beyond the sanitizers: a parsed spec has a non-empty FILE
 * without a comma, its name is FILE's last component, every key is
 * non-empty and holds no '=' or ',', values hold no ',', everything
 * points into the one copy that plugin_spec_free releases, in order, and
 * vmlinux is the value of a vmlinux= argument; a refused one says why.
 */
#include "plugins/spec.h"
#include "tests/fuzz/fuzz.h"

#include <stdio.h>

static void fuzz_fail(const char *spec, const char *what)
{
	fprintf(stderr, "plugin spec '%s': %s\n", spec, what);
	abort();
}

/* s lies in [lo, hi) and is NUL-terminated there. */
static bool fuzz_inside(const char *s, const char *lo, const char *hi)
{
	return s >= lo && s + strlen(s) < hi;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_cstr(data, size);
	struct plugin_spec s;
	struct hv_err err = { { 0 } };

	if (plugin_spec_parse(text, &s, &err) != 0) {
		if (!err.msg[0])
			fuzz_fail(text, "refused without a sentence");
		free(text);
		return 0;
	}
	const char *lo = s.buf, *hi = s.buf + strlen(text) + 1, *last = s.buf;
	bool vmlinux_seen = false;

	if (!s.path || !s.path[0] || strchr(s.path, ',') || s.path != s.buf)
		fuzz_fail(text, "FILE is empty, holds a comma or is not first");
	if (!fuzz_inside(s.name, s.path, s.path + strlen(s.path) + 1) || strchr(s.name, '/'))
		fuzz_fail(text, "the name is not FILE's last component");
	if (s.nargs < 0 || s.nargs > PLUGIN_SPEC_MAX_ARGS)
		fuzz_fail(text, "argument count out of range");
	for (int i = 0; i < s.nargs; i++) {
		const rv_plugin_arg *a = &s.args[i];

		if (!fuzz_inside(a->key, lo, hi) || a->key <= last || !a->key[0] ||
		    strchr(a->key, '=') || strchr(a->key, ','))
			fuzz_fail(text, "a key is empty, misplaced or holds '=' or ','");
		if (!a->value || strchr(a->value, ','))
			fuzz_fail(text, "a value holds a comma");
		if (a->value[0] && (!fuzz_inside(a->value, lo, hi) || a->value <= a->key))
			fuzz_fail(text, "a value is outside the spec");
		if (s.vmlinux == a->value && strcmp(a->key, "vmlinux") == 0)
			vmlinux_seen = true;
		last = a->key;
	}
	if (s.vmlinux && !vmlinux_seen)
		fuzz_fail(text, "vmlinux is not a vmlinux= argument's value");
	plugin_spec_free(&s);
	free(text);
	return 0;
}
