// SPDX-License-Identifier: MIT
/*
 * retrovisor bundle --log FILE -o OUT [--image ROLE=PATH]...
 *                   [--trust-stored-paths]
 * (docs/replay.md): the log and every image its configuration record
 * names, in one file that replays anywhere (replay/bundle.h). The images
 * are host files the log chose: as for a replay (replay.c), one is read
 * only where the command line names it or trusts the log, and must hold
 * what was recorded.
 */
#include <stdio.h>
#include <string.h>

#include "cli/main.h"
#include "replay/bundle.h"
#include "replay/config.h"
#include "replay/session.h"

int main_bundle(int argc, char **argv)
{
	const char *log = NULL, *out = NULL;
	struct replay_args ra = { 0 };
	struct hv_err err = { { 0 } };
	static const char usage[] = "bundle takes --log FILE -o OUT [--image ROLE=PATH]... "
				    "[--trust-stored-paths]";

	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--log") == 0 && i + 1 < argc) {
			log = argv[++i];
		} else if (strcmp(argv[i], "-o") == 0 && i + 1 < argc) {
			out = argv[++i];
		} else if (strcmp(argv[i], "--trust-stored-paths") == 0) {
			ra.trust = true;
		} else if (strcmp(argv[i], "--image") == 0 && i + 1 < argc) {
			if (main_image_arg(&ra, argv[++i], &err) != 0)
				return main_fail(&err);
		} else {
			return main_replay_usage(usage);
		}
	}
	if (!log || !out)
		return main_replay_usage(usage);
	struct replayer *rp = replayer_open(log, &err);
	if (!rp)
		return main_fail(&err);
	struct replay_config c;
	int bad = replay_config_parse(log, replayer_config(rp), &c, &err);
	replayer_close(rp);
	if (bad)
		return main_fail(&err);
	bad = main_image_paths(&ra, "log", log, NULL, 0, &c, &err) ||
	      bundle_write(out, log, c.images, c.nimages, &err);
	replay_config_free(&c);
	if (bad)
		return main_fail(&err);
	fprintf(stderr,
		"retrovisor: wrote %s: the log and %u images; replay it anywhere with "
		"'retrovisor replay %s'\n",
		out, c.nimages, out);
	return CLI_EXIT_OK;
}
