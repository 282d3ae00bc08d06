// SPDX-License-Identifier: MIT
/*
 * Fuzz target: the request schedule of `retrovisor up --inject FILE`
 * (cli/upinject.c), the whole text through upinject_parse. A refusal must
 * be one sentence on one line that starts with the file's name and a line
 * number within the text, and leave nothing behind; an accepted schedule
 * must hold requests in epoch order, each shorter than a socket line and
 * one the toolstack's grammar (cli/tsreq.h) reads with a command, and
 * upinject_next must hand out every one of them once, in order.
 */
#include "cli/tsreq.h"
#include "cli/upinject.h"
#include "tests/fuzz/fuzz.h"

#include <stdio.h>

static void fuzz_fail(const char *what)
{
	fprintf(stderr, "request schedule: %s\n", what);
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct tsreq r;
	struct upinject in;
	struct hv_err err = { { 0 } };
	unsigned lines = 1;
	const char *why;

	for (size_t i = 0; i < size; i++)
		lines += data[i] == '\n';
	if (upinject_parse("dir/f.inject", (const char *)data, size, &in, &err) != 0) {
		unsigned line;
		if (!err.msg[0] || strchr(err.msg, '\n'))
			fuzz_fail("refused without a one-line sentence");
		if (sscanf(err.msg, "dir/f.inject:%u:", &line) != 1 || line < 1 || line > lines)
			fuzz_fail("a refusal that does not name the file and a line of it");
		if (in.n || in.req)
			fuzz_fail("a refusal that keeps requests");
		return 0;
	}
	for (size_t i = 0; i < in.n; i++) {
		if (i && in.req[i].epoch < in.req[i - 1].epoch)
			fuzz_fail("requests out of epoch order");
		if (strlen(in.req[i].line) >= UPINJECT_LINE_MAX)
			fuzz_fail("a request longer than a socket line");
		if (tsreq_parse(in.req[i].line, &r, &why) != 0 || !tsreq_get(&r, "cmd"))
			fuzz_fail("an accepted request the toolstack would refuse as malformed");
	}
	size_t k = 0;
	for (size_t i = 0; i < in.n; i++) {
		uint64_t e = in.req[i].epoch;
		for (const char *q; (q = upinject_next(&in, e)); k++)
			if (q != in.req[k].line || in.req[k].epoch > e)
				fuzz_fail("a request handed out early or out of order");
	}
	if (k != in.n || upinject_next(&in, UINT64_MAX))
		fuzz_fail("not every request handed out once");
	upinject_free(&in);
	return 0;
}
