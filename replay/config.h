/* SPDX-License-Identifier: MIT */
/*
 * A log's configuration record (config.c): the text the recorder writes
 * first and a replay rebuilds its machine from, one line each:
 *
 *   "retrovisor VERSION"             the recorder
 *   "arg VALUE"                      every `run` argument, in order
 *   "image ROLE PATH SHA256"         every image the run read
 *   "rtc_ns N"                       the wall clock at power-on
 *   "digest N"                       how digests hash pages (hv/machine.h's
 *                                    MACHINE_DIGEST_V*; absent: version 1)
 *
 * The text comes from an untrusted file: every line is parsed with
 * bounds, and a line that is too long, unknown or malformed is refused
 * with the line's number.
 */
#ifndef REPLAY_CONFIG_H
#define REPLAY_CONFIG_H

#include "hv/types.h"
#include "replay/bundle.h"

#define REPLAY_CONFIG_MAX_ARGS 256

struct replay_config {
	char *args[REPLAY_CONFIG_MAX_ARGS]; /* malloc'd */
	int nargs;
	struct bundle_image images[BUNDLE_MAX_IMAGES];
	unsigned nimages;
	uint64_t rtc_ns;
	bool have_rtc;
	unsigned digest_version; /* MACHINE_DIGEST_V1 when the line is absent */
};

/* Parse text (the record of log, named in errors) into c. On failure c
 * holds nothing to free. */
int replay_config_parse(const char *log, const char *text, struct replay_config *c,
			struct hv_err *err);
void replay_config_free(struct replay_config *c);
/* In every argument, replace the first occurrence of from by to (an
 * image moved: a bundle's copy). Returns -1 when out of host memory. */
int replay_config_subst(struct replay_config *c, const char *from, const char *to);

#endif
