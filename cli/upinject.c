// SPDX-License-Identifier: MIT
/*
 * The schedule of `up --inject FILE` (cli/upinject.h): read whole, checked
 * line by line before up makes anything, then handed out in epoch order.
 * A request is checked with the toolstack's own grammar (cli/tsreq.h),
 * so that a line accepted here is never refused as malformed when
 * applied; its meaning is checked when it is applied, as a client's is.
 */
#include "cli/upinject.h"
#include "cli/tsreq.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define UPINJECT_FILE_MAX (16u << 20)

/* The toolstack's requests (cli/toolstack.h) that a schedule may hold:
 * console attaches a client and means nothing here. */
static const char *const upinject_cmds[] = {
	"list",          "pause",           "unpause",      "destroy",  "shutdown",
	"partition",     "faults",          "sched-credit", "create",   "save",
	"save-system",   "restore",         "fork",         "snapshot", "snapshot-revert",
	"snapshot-list", "snapshot-delete", "quit",
};

static const char *upinject_ws(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\r')
		p++;
	return p;
}

/* One request: NULL if it is fine, else why not. */
static const char *upinject_check_request(const char *line)
{
	struct tsreq r;
	const char *why, *cmd;

	if (tsreq_parse(line, &r, &why) != 0)
		return why;
	if (!(cmd = tsreq_get(&r, "cmd")))
		return "a request names its command (\"cmd\":\"faults\", ...)";
	for (size_t i = 0; i < sizeof(upinject_cmds) / sizeof(upinject_cmds[0]); i++)
		if (!strcmp(cmd, upinject_cmds[i]))
			return NULL;
	return "its command is not a toolstack request that can be scheduled (partition, faults, "
	       "pause, unpause, shutdown, destroy, sched-credit, snapshot, ...)";
}

/* One line (NUL-terminated, without its newline): 0 and *r filled, 1 for a
 * blank or comment line, or -1 with err. */
static int upinject_line(const char *path, unsigned lineno, const char *line, uint64_t last,
			 struct upinject_req *r, struct hv_err *err)
{
	const char *p = upinject_ws(line), *why;
	char *end;

	if (!*p || *p == '#')
		return 1;
	if (*p < '0' || *p > '9') {
		hv_err_set(err, "%.300s:%u: a line is EPOCH {JSON request}, and it starts with %s",
			   path, lineno, *p == '{' ? "the request" : "no epoch");
		return -1;
	}
	errno = 0;
	r->epoch = strtoull(p, &end, 10);
	if (errno || (*end != ' ' && *end != '\t')) {
		hv_err_set(err, "%.300s:%u: the epoch is a whole number below 2^64, then a space",
			   path, lineno);
		return -1;
	}
	if (r->epoch < last) {
		hv_err_set(err,
			   "%.300s:%u: epoch %llu comes before the previous line's %llu (epochs "
			   "must not decrease)",
			   path, lineno, (unsigned long long)r->epoch, (unsigned long long)last);
		return -1;
	}
	p = upinject_ws(end);
	size_t len = strlen(p);
	while (len && (p[len - 1] == ' ' || p[len - 1] == '\t' || p[len - 1] == '\r'))
		len--;
	if (len >= UPINJECT_LINE_MAX) {
		hv_err_set(err, "%.300s:%u: a request is at most %d bytes", path, lineno,
			   UPINJECT_LINE_MAX - 1);
		return -1;
	}
	r->line = strndup(p, len);
	if (!r->line) {
		hv_err_set(err, "%.300s:%u: out of memory", path, lineno);
		return -1;
	}
	if ((why = upinject_check_request(r->line))) {
		hv_err_set(err, "%.300s:%u: %s", path, lineno, why);
		free(r->line);
		return -1;
	}
	return 0;
}

int upinject_parse(const char *path, const char *text, size_t len, struct upinject *in,
		   struct hv_err *err)
{
	char line[UPINJECT_LINE_MAX + 64];
	unsigned lineno = 0;
	size_t cap = 0;

	memset(in, 0, sizeof(*in));
	for (size_t i = 0; i < len;) {
		size_t k = 0;
		lineno++;
		while (i < len && text[i] != '\n') {
			if (!text[i] || k + 1 >= sizeof(line)) {
				hv_err_set(err, "%.300s:%u: %s", path, lineno,
					   text[i] ? "the line is too long (a request is at most "
						     "1023 bytes)" :
						     "the line holds a NUL byte");
				goto fail;
			}
			line[k++] = text[i++];
		}
		i++;
		line[k] = '\0';
		struct upinject_req r;
		int got = upinject_line(path, lineno, line, in->n ? in->req[in->n - 1].epoch : 0,
					&r, err);
		if (got < 0)
			goto fail;
		if (got > 0)
			continue;
		if (in->n == UPINJECT_MAX_REQUESTS) {
			hv_err_set(err, "%.300s:%u: a schedule holds at most %d requests", path,
				   lineno, UPINJECT_MAX_REQUESTS);
			free(r.line);
			goto fail;
		}
		if (in->n == cap) {
			cap = cap ? cap * 2 : 16;
			struct upinject_req *more = realloc(in->req, cap * sizeof(*more));
			if (!more) {
				hv_err_set(err, "%.300s:%u: out of memory", path, lineno);
				free(r.line);
				goto fail;
			}
			in->req = more;
		}
		in->req[in->n++] = r;
	}
	return 0;
fail:
	upinject_free(in);
	return -1;
}

int upinject_load(const char *path, struct upinject *in, struct hv_err *err)
{
	FILE *f = fopen(path, "rb");
	char *text = f ? malloc(UPINJECT_FILE_MAX + 1) : NULL;
	size_t len = text ? fread(text, 1, UPINJECT_FILE_MAX + 1, f) : 0;
	int r = -1;

	memset(in, 0, sizeof(*in));
	if (!f)
		hv_err_set(err, "cannot open the schedule %.300s: %s", path, strerror(errno));
	else if (!text || ferror(f))
		hv_err_set(err, "cannot read the schedule %.300s", path);
	else if (len > UPINJECT_FILE_MAX)
		hv_err_set(err, "the schedule %.300s is larger than 16 MiB", path);
	else
		r = upinject_parse(path, text, len, in, err);
	free(text);
	if (f)
		fclose(f);
	return r;
}

const char *upinject_next(struct upinject *in, uint64_t epoch)
{
	if (in->next == in->n || in->req[in->next].epoch > epoch)
		return NULL;
	return in->req[in->next++].line;
}

void upinject_free(struct upinject *in)
{
	for (size_t i = 0; i < in->n; i++)
		free(in->req[i].line);
	free(in->req);
	memset(in, 0, sizeof(*in));
}
