// SPDX-License-Identifier: MIT
/*
 * Parsing a log's configuration record (config.h). The text is untrusted:
 * lines are copied with bounds, counts are checked against the fixed
 * capacities, numbers must be whole, and the first bad line is refused
 * by number.
 */
#include "replay/config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv/machine.h"

void replay_config_free(struct replay_config *c)
{
	for (int i = 0; i < c->nargs; i++)
		free(c->args[i]);
	c->nargs = 0;
}

/* One line; 0 if understood, -1 if not, -2 if a digest version this
 * build does not know. */
static int config_line(struct replay_config *c, const char *line)
{
	if (strncmp(line, "retrovisor ", 11) == 0)
		return 0;
	if (strncmp(line, "arg ", 4) == 0) {
		if (c->nargs >= REPLAY_CONFIG_MAX_ARGS)
			return -1;
		c->args[c->nargs] = strdup(line + 4);
		if (!c->args[c->nargs])
			return -1;
		c->nargs++;
		return 0;
	}
	if (strncmp(line, "image ", 6) == 0) {
		struct bundle_image *im = &c->images[c->nimages];
		char role[64], path[4200], hex[80];

		if (c->nimages >= BUNDLE_MAX_IMAGES ||
		    sscanf(line + 6, "%63s %4199s %79s", role, path, hex) != 3 ||
		    strlen(role) >= sizeof(im->role) || strlen(path) >= sizeof(im->path) ||
		    strlen(hex) != 64)
			return -1;
		snprintf(im->role, sizeof(im->role), "%s", role);
		snprintf(im->path, sizeof(im->path), "%s", path);
		snprintf(im->sha256, sizeof(im->sha256), "%s", hex);
		c->nimages++;
		return 0;
	}
	if (strcmp(line, "digest 1") == 0 || strcmp(line, "digest 2") == 0) {
		c->digest_version = (unsigned)(line[7] - '0');
		return 0;
	}
	if (strncmp(line, "digest ", 7) == 0)
		return -2;
	if (strncmp(line, "rtc_ns ", 7) == 0) {
		char *end;

		errno = 0;
		c->rtc_ns = strtoull(line + 7, &end, 10);
		if (errno || *end || !line[7])
			return -1;
		c->have_rtc = true;
		return 0;
	}
	return line[0] ? -1 : 0;
}

int replay_config_parse(const char *log, const char *text, struct replay_config *c,
			struct hv_err *err)
{
	const char *p = text;
	unsigned lineno = 0;

	memset(c, 0, sizeof(*c));
	c->digest_version = MACHINE_DIGEST_V1;
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		char line[8192];

		lineno++;
		if (n >= sizeof(line))
			goto bad;
		memcpy(line, p, n);
		line[n] = '\0';
		p += n + (nl ? 1 : 0);
		int r = config_line(c, line);
		if (r == -2) {
			hv_err_set(err,
				   "%s: its digests are of version '%.20s', which this retrovisor "
				   "does not know; replay it with the retrovisor that recorded it",
				   log, line + 7);
			replay_config_free(c);
			return -1;
		}
		if (r != 0)
			goto bad;
	}
	return 0;
bad:
	hv_err_set(err, "%s: line %u of the configuration record is malformed", log, lineno);
	replay_config_free(c);
	return -1;
}

/* Replace the first occurrence of from in *arg by to. */
static int config_subst_one(char **arg, const char *from, const char *to)
{
	char *s = *arg, *hit = strstr(s, from);

	if (!hit || !*from)
		return 0;
	size_t len = strlen(s) - strlen(from) + strlen(to) + 1;
	char *n = malloc(len);
	if (!n)
		return -1;
	snprintf(n, len, "%.*s%s%s", (int)(hit - s), s, to, hit + strlen(from));
	free(s);
	*arg = n;
	return 0;
}

int replay_config_subst(struct replay_config *c, const char *from, const char *to)
{
	for (int a = 0; a < c->nargs; a++)
		if (config_subst_one(&c->args[a], from, to) != 0)
			return -1;
	return 0;
}
