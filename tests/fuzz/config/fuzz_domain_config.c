// SPDX-License-Identifier: MIT
/*
 * Fuzz target: the domain configuration file of `retrovisor up`
 * (cli/domcfg.c), the whole text through domcfg_parse without checking
 * that images exist. A refusal must be one sentence on one line that
 * starts with the file's name and a line number within the text; an
 * accepted file must hold at least one domain, each with a kernel, and
 * every vif's bridge must be one of the file's; nothing may exit.
 */
#include "cli/domcfg.h"
#include "tests/fuzz/fuzz.h"

#include <stdio.h>

static void fuzz_fail(const char *what)
{
	fprintf(stderr, "domain configuration: %s\n", what);
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct domcfg c;
	struct hv_err err = { { 0 } };
	unsigned lines = 1;

	for (size_t i = 0; i < size; i++)
		lines += data[i] == '\n';
	if (domcfg_parse("dir/f.cfg", (const char *)data, size, false, &c, &err) != 0) {
		unsigned line;
		if (!err.msg[0] || strchr(err.msg, '\n'))
			fuzz_fail("refused without a one-line sentence");
		if (sscanf(err.msg, "dir/f.cfg:%u:", &line) != 1 || line < 1 || line > lines)
			fuzz_fail("a refusal that does not name the file and a line of it");
		return 0;
	}
	if (!c.ndom)
		fuzz_fail("accepted without a domain");
	for (unsigned i = 0; i < c.ndom; i++) {
		const struct domcfg_domain *d = &c.dom[i];
		if (!d->kernel || !d->name[0])
			fuzz_fail("a domain without a name or a kernel");
		if (d->has_vif) {
			unsigned b = 0;
			while (b < c.nbridge && strcmp(c.bridge[b].name, d->bridge))
				b++;
			if (b == c.nbridge)
				fuzz_fail("a vif on a bridge the file does not define");
		}
	}
	domcfg_free(&c);
	return 0;
}
