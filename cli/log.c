// SPDX-License-Identifier: MIT
/*
 * retrovisor log dump|stats|verify FILE (docs/replay.md; verify also takes
 * replay's --image ROLE=PATH and --trust-stored-paths): a log's events
 * one per line, its counts and size per instruction, or a quiet replay
 * that says whether the log verifies.
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/main.h"
#include "replay/log.h"

static void log_dump_event(const struct rlog_event *ev)
{
	printf("round %llu icount %llu ", (unsigned long long)ev->round,
	       (unsigned long long)ev->icount);
	if (ev->hart == RLOG_NO_HART)
		printf("hart - ");
	else
		printf("hart %u ", ev->hart);
	printf("%-8s %u bytes", rlog_type_name(ev->type), ev->len);
	if (ev->type == RLOG_CONSOLE || ev->type == RLOG_CONFIG) {
		printf(" \"");
		for (uint32_t i = 0; i < ev->len && i < 64; i++) {
			uint8_t b = ev->data[i];
			if (b >= 0x20 && b < 0x7f && b != '"' && b != '\\')
				putchar(b);
			else
				printf("\\x%02x", b);
		}
		printf(ev->len > 64 ? "...\"" : "\"");
	} else if ((ev->type == RLOG_DIGEST || ev->type == RLOG_END) && ev->len >= 40) {
		uint64_t v[5];
		for (int k = 0; k < 5; k++) {
			v[k] = 0;
			for (int b = 7; b >= 0; b--)
				v[k] = v[k] << 8 | ev->data[8 * k + b];
		}
		printf(" digest %016llx, %llu pages written", (unsigned long long)v[0],
		       (unsigned long long)v[3]);
		if (ev->type == RLOG_END)
			printf(", exit status %llu", (unsigned long long)v[4]);
	}
	putchar('\n');
}

int main_log(int argc, char **argv)
{
	struct hv_err err = { { 0 } };

	if (argc < 4)
		return main_replay_usage("log takes dump|stats|verify FILE");
	const char *verb = argv[2], *file = argv[3];
	if (strcmp(verb, "verify") == 0) {
		struct replay_args ra = { .file = file, .quiet = true };
		for (int i = 4; i < argc; i++) {
			if (strcmp(argv[i], "--trust-stored-paths") == 0) {
				ra.trust = true;
			} else if (strcmp(argv[i], "--image") == 0 && i + 1 < argc) {
				if (main_image_arg(&ra, argv[++i], &err) != 0)
					return main_fail(&err);
			} else {
				return main_replay_usage(
					"log verify takes FILE [--image ROLE=PATH]... "
					"[--trust-stored-paths]");
			}
		}
		int status = main_replay_args(&ra);
		if (status == CLI_EXIT_DIVERGED || status == CLI_EXIT_ERROR)
			fprintf(stderr, "retrovisor: %s does not verify\n", file);
		else
			fprintf(stderr, "retrovisor: %s verifies: the replay matched it\n", file);
		return status == CLI_EXIT_DIVERGED || status == CLI_EXIT_ERROR ? status :
										 CLI_EXIT_OK;
	}
	bool dump = strcmp(verb, "dump") == 0;
	if (argc != 4 || (!dump && strcmp(verb, "stats") != 0))
		return main_replay_usage("log takes dump|stats|verify FILE");
	struct rlog_reader *r = rlog_open(file, &err);
	if (!r)
		return main_fail(&err);
	uint64_t count[8] = { 0 }, bytes[8] = { 0 }, last_icount = 0;
	struct rlog_event ev;
	int got;
	while ((got = rlog_next(r, &ev, &err)) > 0) {
		if (dump)
			log_dump_event(&ev);
		if (ev.type < 8) {
			count[ev.type]++;
			bytes[ev.type] += ev.len;
		}
		last_icount = ev.icount;
	}
	bool truncated = rlog_truncated(r);
	rlog_close(r);
	if (got < 0)
		return main_fail(&err);
	if (!dump) {
		struct stat st;
		uint64_t size = stat(file, &st) == 0 ? (uint64_t)st.st_size : 0;
		printf("file        %s (%llu bytes%s)\n", file, (unsigned long long)size,
		       truncated ? ", interrupted recording" : "");
		printf("instructions %llu\n", (unsigned long long)last_icount);
		for (unsigned t = 1; t < 8; t++)
			if (count[t])
				printf("%-11s %llu events, %llu bytes of data\n", rlog_type_name(t),
				       (unsigned long long)count[t], (unsigned long long)bytes[t]);
		if (last_icount)
			printf("rate        %.0f log bytes per billion instructions\n",
			       (double)size * 1e9 / (double)last_icount);
	} else if (truncated) {
		printf("(interrupted recording: ends here)\n");
	}
	return CLI_EXIT_OK;
}
