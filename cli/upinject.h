/* SPDX-License-Identifier: MIT */
/*
 * A schedule of toolstack requests for `retrovisor up ... --inject FILE`
 * (docs/domains.md, "Injected requests"): one request a line,
 *
 *   EPOCH {"cmd":"faults","bridge":"br0","drop":300000}
 *
 * applied at the top of that epoch, counted from the start of this run
 * (also for --restore), as if a client had sent it then. Blank lines and
 * lines starting with '#' are skipped. The file is untrusted input and is
 * checked whole before anything starts: each line is a whole number (the
 * epochs must not decrease) and one flat JSON object on the line (string,
 * integer and boolean values) naming a known "cmd"; the first bad line is
 * refused as FILE:LINE and the problem. What a request means (its bridge,
 * its domain, its ranges) is the toolstack's to check when it is applied,
 * as for any client; it is recorded like any request, so a recording
 * replays without the file.
 */
#ifndef CLI_UPINJECT_H
#define CLI_UPINJECT_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

#define UPINJECT_LINE_MAX 1024 /* a request, as the toolstack's socket takes */
#define UPINJECT_MAX_REQUESTS 100000

struct upinject_req {
	uint64_t epoch;
	char *line; /* the JSON object */
};

struct upinject {
	struct upinject_req *req;
	size_t n;
	size_t next; /* the first request not yet handed out */
};

/* Read and check FILE (path: its name in refusals). Returns 0, or -1
 * with err naming path:LINE; nothing is kept on failure. */
int upinject_load(const char *path, struct upinject *in, struct hv_err *err);
int upinject_parse(const char *path, const char *text, size_t len, struct upinject *in,
		   struct hv_err *err);

/* The next request due at or before epoch, or NULL: call until NULL at
 * the top of each epoch. */
const char *upinject_next(struct upinject *in, uint64_t epoch);

void upinject_free(struct upinject *in);

#endif
