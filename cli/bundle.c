// SPDX-License-Identifier: MIT
/*
 * retrovisor bundle --log FILE -o OUT (docs/replay.md): the log and every
 * image its configuration record names, in one file that replays
 * anywhere (replay/bundle.h).
 */
#include <stdio.h>
#include <string.h>

#include "cli/main.h"
#include "replay/bundle.h"
#include "replay/config.h"
#include "replay/session.h"

static int bundle_usage(const char *msg)
{
	fprintf(stderr, "retrovisor: %s; see docs/replay.md or 'retrovisor --help'\n", msg);
	return CLI_EXIT_ERROR;
}

int main_bundle(int argc, char **argv)
{
	const char *log = NULL, *out = NULL;
	struct hv_err err = { { 0 } };

	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--log") == 0 && i + 1 < argc)
			log = argv[++i];
		else if (strcmp(argv[i], "-o") == 0 && i + 1 < argc)
			out = argv[++i];
		else
			return bundle_usage("bundle takes --log FILE -o OUT");
	}
	if (!log || !out)
		return bundle_usage("bundle takes --log FILE -o OUT");
	struct replayer *rp = replayer_open(log, &err);
	if (!rp)
		return main_fail(&err);
	struct replay_config c;
	int bad = replay_config_parse(log, replayer_config(rp), &c, &err);
	replayer_close(rp);
	if (bad)
		return main_fail(&err);
	bad = bundle_write(out, log, c.images, c.nimages, &err);
	replay_config_free(&c);
	if (bad)
		return main_fail(&err);
	fprintf(stderr, "retrovisor: wrote %s: the log and %u images; replay it anywhere with "
		"'retrovisor replay %s'\n", out, c.nimages, out);
	return CLI_EXIT_OK;
}
