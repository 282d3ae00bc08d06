// SPDX-License-Identifier: MIT
/*
 * Fuzz target: a record log (replay/log.c) read from memory to its end,
 * and the checks a replay makes on what it read (replay/session.c's
 * replayer_open, cli/replay.c): the configuration event has no NUL byte,
 * parses as a configuration record (replay/config.c), and its command
 * line parses as a run (cli/options.c).
 *
 * Input: byte 0 even, the rest is the log file as is; odd, the rest
 * builds a log with valid checksums and frames (build.h), so that
 * mutations reach the event checks.
 */
#include "cli/options.h"
#include "replay/config.h"
#include "replay/log.h"
#include "tests/fuzz/log/build.h"

static void fuzz_check_config(const struct rlog_event *ev)
{
	struct replay_config c;
	struct hv_err err;
	char *text;

	if (memchr(ev->data, 0, ev->len))
		return; /* replayer_open refuses it */
	text = fuzz_cstr(ev->data, ev->len);
	if (replay_config_parse("fuzz.rlog", text, &c, &err) == 0) {
		char *argv[REPLAY_CONFIG_MAX_ARGS + 3];
		struct cli_opts o;
		int n = 0;

		argv[n++] = "retrovisor";
		argv[n++] = "run";
		for (int a = 0; a < c.nargs; a++)
			argv[n++] = c.args[a];
		argv[n] = NULL;
		(void)cli_parse(n, argv, &o, &err);
		replay_config_free(&c);
	}
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_buf built = { 0 };
	const uint8_t *log = data + 1;
	size_t len = size ? size - 1 : 0;
	struct rlog_reader *r;
	struct rlog_event ev;
	struct hv_err err;
	int got;

	if (size && (data[0] & 1)) {
		struct fuzz_in in = { data + 1, size - 1 };

		fuzz_build_log(&in, &built);
		log = built.p;
		len = built.n;
	}
	r = rlog_open_mem("fuzz.rlog", log, len, &err);
	if (r) {
		while ((got = rlog_next(r, &ev, &err)) > 0) {
			if (ev.type == RLOG_CONFIG)
				fuzz_check_config(&ev);
		}
		(void)rlog_truncated(r);
		(void)rlog_offset(r);
		rlog_close(r);
	}
	free(built.p);
	return 0;
}
