// SPDX-License-Identifier: MIT
/*
 * Fuzz target: a record log's configuration record (replay/config.c), the
 * text a replay rebuilds its machine from. Input: the record's text.
 * Parsed records are also put through replay_config_subst, as a bundle's
 * extraction does.
 */
#include "base/err.h"
#include "replay/config.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_cstr(data, size);
	struct replay_config c;
	struct hv_err err;

	if (replay_config_parse("fuzz.log", text, &c, &err) == 0) {
		if (c.nargs > 0) {
			char *from = strdup(c.args[c.nargs - 1]);

			if (from && from[0])
				replay_config_subst(&c, from, "/tmp/moved");
			free(from);
		}
		replay_config_free(&c);
	}
	free(text);
	return 0;
}
