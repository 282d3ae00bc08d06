// SPDX-License-Identifier: MIT
/*
 * `--plugin FILE[,key=value...]` parsing (grammar in spec.h). The spec
 * comes from the command line or from a log's configuration record and is
 * untrusted: its length and argument count are bounded, every failure is
 * a sentence naming the spec, and the result only points into one copy of
 * it, so nothing outlives plugin_spec_free.
 */
#include "plugins/spec.h"

#include <stdlib.h>
#include <string.h>

void plugin_spec_free(struct plugin_spec *s)
{
	free(s->buf);
	memset(s, 0, sizeof(*s));
}

int plugin_spec_parse(const char *spec, struct plugin_spec *s, struct hv_err *err)
{
	char *item, *next;

	memset(s, 0, sizeof(*s));
	if (strlen(spec) > PLUGIN_SPEC_MAX_LEN) {
		hv_err_set(err, "--plugin: the spec is longer than %d bytes", PLUGIN_SPEC_MAX_LEN);
		return -1;
	}
	s->buf = strdup(spec);
	if (!s->buf) {
		hv_err_set(err, "--plugin '%s': out of host memory", spec);
		return -1;
	}
	next = strchr(s->buf, ',');
	if (next)
		*next++ = '\0';
	if (s->buf[0] == '\0') {
		hv_err_set(err, "--plugin '%s': no FILE; expected FILE[,key=value...]", spec);
		goto fail;
	}
	s->path = s->buf;
	for (item = next; item; item = next) {
		char *eq;

		next = strchr(item, ',');
		if (next)
			*next++ = '\0';
		if (item[0] == '\0')
			continue;
		if (s->nargs == PLUGIN_SPEC_MAX_ARGS) {
			hv_err_set(err, "plugin '%s': more than %d arguments", s->path,
				   PLUGIN_SPEC_MAX_ARGS);
			goto fail;
		}
		eq = strchr(item, '=');
		if (eq == item) {
			hv_err_set(err,
				   "plugin '%s': the argument '%s' has no key; expected "
				   "key=value",
				   s->path, item);
			goto fail;
		}
		if (eq)
			*eq = '\0';
		s->args[s->nargs].size = sizeof(s->args[0]);
		s->args[s->nargs].key = item;
		s->args[s->nargs].value = eq ? eq + 1 : "";
		if (eq && strcmp(item, "vmlinux") == 0)
			s->vmlinux = eq + 1;
		s->nargs++;
	}
	const char *slash = strrchr(s->path, '/');
	s->name = slash ? slash + 1 : s->path;
	return 0;
fail:
	plugin_spec_free(s);
	return -1;
}
