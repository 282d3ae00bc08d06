/* SPDX-License-Identifier: MIT */
/*
 * The grammar of the toolstack's requests (cli/toolstack.h): one flat
 * JSON object on a line, its values strings, whole numbers or booleans
 * (a boolean reads as the number 1 or 0), at most TSREQ_MAX_KEYS keys.
 * Strings are printable ASCII with the short escapes \" \\ \/ \n \t, keys
 * shorter than 32 bytes and values than TSREQ_STR_MAX: names and paths
 * never need more. The socket (cli/toolstack.c) and the schedule of `up
 * --inject` (cli/upinject.c) read requests with it, so a schedule line
 * accepted before a run is never refused as malformed in it.
 */
#ifndef CLI_TSREQ_H
#define CLI_TSREQ_H

#include <stdbool.h>
#include <stdint.h>

#define TSREQ_MAX_KEYS 8
#define TSREQ_STR_MAX 512

struct tsreq {
	unsigned n;
	char key[TSREQ_MAX_KEYS][32];
	char str[TSREQ_MAX_KEYS][TSREQ_STR_MAX];
	bool is_num[TSREQ_MAX_KEYS];
	int64_t num[TSREQ_MAX_KEYS];
};

/* Parse line into r: 0, or -1 with *why a sentence saying what a
 * request looks like. */
int tsreq_parse(const char *line, struct tsreq *r, const char **why);

/* The string value of key, or NULL (absent, or a number). */
const char *tsreq_get(const struct tsreq *r, const char *key);

/* The number value of key into *v; false if absent or a string. */
bool tsreq_num(const struct tsreq *r, const char *key, int64_t *v);

#endif
