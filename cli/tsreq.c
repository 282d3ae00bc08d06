// SPDX-License-Identifier: MIT
/*
 * The toolstack's request grammar (cli/tsreq.h): a flat JSON object read
 * in one pass, every string bounded by its buffer, every number by
 * strtoll's range; anything else is refused with one sentence.
 */
#include "cli/tsreq.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char *tsreq_ws(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\r')
		p++;
	return p;
}

/* A JSON string at p (after its quote) into out; NULL if malformed. Only
 * printable ASCII and the short escapes are taken: names never need more. */
static const char *tsreq_string(const char *p, char *out, size_t n)
{
	size_t k = 0;

	for (;;) {
		char c = *p++;
		if (c == '"')
			break;
		if (c == '\\') {
			c = *p++;
			if (c == 'n')
				c = '\n';
			else if (c == 't')
				c = '\t';
			else if (c != '"' && c != '\\' && c != '/')
				return NULL;
		} else if ((unsigned char)c < 0x20 || (unsigned char)c > 0x7e) {
			return NULL;
		}
		if (k + 1 >= n)
			return NULL;
		out[k++] = c;
	}
	out[k] = '\0';
	return p;
}

int tsreq_parse(const char *line, struct tsreq *r, const char **why)
{
	const char *p = tsreq_ws(line);

	memset(r, 0, sizeof(*r));
	*why = "a request is one JSON object on one line, {\"cmd\":\"...\",...}";
	if (*p++ != '{')
		return -1;
	p = tsreq_ws(p);
	if (*p == '}')
		return tsreq_ws(p + 1)[0] ? -1 : 0;
	for (;;) {
		if (r->n == TSREQ_MAX_KEYS) {
			*why = "a request has at most 8 keys";
			return -1;
		}
		if (*p++ != '"' || !(p = tsreq_string(p, r->key[r->n], sizeof(r->key[0]))))
			return -1;
		p = tsreq_ws(p);
		if (*p++ != ':')
			return -1;
		p = tsreq_ws(p);
		if (*p == '"') {
			if (!(p = tsreq_string(p + 1, r->str[r->n], sizeof(r->str[0]))))
				return -1;
		} else if (*p == '-' || (*p >= '0' && *p <= '9')) {
			char *end;
			errno = 0;
			r->num[r->n] = strtoll(p, &end, 10);
			if (errno || end == p)
				return -1;
			r->is_num[r->n] = true;
			p = end;
		} else if (!strncmp(p, "true", 4) || !strncmp(p, "false", 5)) {
			r->is_num[r->n] = true;
			r->num[r->n] = *p == 't';
			p += *p == 't' ? 4 : 5;
		} else {
			return -1;
		}
		r->n++;
		p = tsreq_ws(p);
		if (*p == '}')
			return tsreq_ws(p + 1)[0] ? -1 : 0;
		if (*p++ != ',')
			return -1;
		p = tsreq_ws(p);
	}
}

const char *tsreq_get(const struct tsreq *r, const char *key)
{
	for (unsigned i = 0; i < r->n; i++)
		if (!strcmp(r->key[i], key) && !r->is_num[i])
			return r->str[i];
	return NULL;
}

bool tsreq_num(const struct tsreq *r, const char *key, int64_t *v)
{
	for (unsigned i = 0; i < r->n; i++)
		if (!strcmp(r->key[i], key) && r->is_num[i]) {
			*v = r->num[i];
			return true;
		}
	return false;
}
