// SPDX-License-Identifier: MIT
/*
 * The example plugins' shared helpers (example.h): compiled into each
 * plugin, so that every .so stays one file a run can load. Arguments are
 * untrusted: numbers must be whole, and every refusal is one sentence
 * that names what was wrong.
 */
#include "plugins/examples/example.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

rv_machine *example_machine(rv_plugin *self, const rv_plugin_info *info)
{
#if RV_PLUGIN_ABI_BUILD >= 4
	(void)self;
	return info->machine;
#else
	(void)info;
	return (rv_machine *)(void *)self;
#endif
}

bool example_parse_u64(const char *s, uint64_t *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 0);
	return *s && *s != '-' && !*end && errno == 0;
}

int example_refuse(rv_plugin *self, const char *why)
{
	rv_plugin_fail(self, why);
	return -1;
}

int example_bad_arg(rv_plugin *self, const rv_plugin_arg *a, const char *usage)
{
	char why[256];

	snprintf(why, sizeof(why), "bad argument '%s=%.60s' (%s)", a->key, a->value, usage);
	return example_refuse(self, why);
}

FILE *example_open_out(rv_plugin *self, const char *path, FILE *fallback, char *buf, size_t cap)
{
	FILE *f = path && *path ? fopen(path, "w") : fallback;
	char why[256];

	if (!f) {
		snprintf(why, sizeof(why), "cannot create '%s': %s", path, strerror(errno));
		example_refuse(self, why);
		return NULL;
	}
	if (buf)
		setvbuf(f, buf, _IOFBF, cap);
	return f;
}

void example_close_out(FILE *f)
{
	if (!f)
		return;
	fflush(f);
	if (f != stdout && f != stderr)
		fclose(f);
}
