/* SPDX-License-Identifier: MIT */
/*
 * The record log of a whole system (`retrovisor up FILE --record LOG`,
 * `retrovisor up --replay LOG`; docs/domains.md, "Record and replay").
 *
 * A system of domains has three kinds of input, each applied between two
 * epochs: the toolstack's requests, the console bytes a client types into
 * a domain, and the frames a bridge's slirp uplink hands to its switch
 * (cli/uplink.h; the host network). Everything else follows from
 * the configuration and the images. The log holds the configuration (the
 * file's text and path, so relative image paths resolve as they did), the
 * SHA-256 of every image, each input with the epoch it was applied after,
 * the system digest every N epochs, and the digest at the end; a replay
 * rebuilds the system from the log, applies the inputs at their epochs
 * and compares every digest, naming the first epoch that differs.
 *
 * Text, one record per line, each ending in its CRC-32 (so a damaged line
 * is found, not misread):
 *   retrovisor-system-log 3 <crc>        (version 1 logs, without net
 *                                          records, are read too; versions
 *                                          1 and 2 hash pages as digest
 *                                          version 1 does, hv/machine.h)
 *   path <hex of the configuration file's path> <crc>
 *   config <hex of its text> <crc>
 *   rtc <ns since 1970 at power-on> <crc>   (an input: the domains' clock)
 *   image <sha256 hex> <hex of the path> <crc>
 *   restore <hex of DIR> <crc>  (version 2: up --restore DIR; its files
 *                                 are images)
 *   E <epoch> req <hex of the request line> <crc>
 *   E <epoch> con <domain id> <hex of the bytes> <crc>
 *   E <epoch> net <bridge's place in the file> <hex of the frame> <crc>
 *   E <epoch> digest <16 hex> <crc>
 *   E <epoch> end <16 hex> <crc>
 * The log is written to LOG.tmp and renamed when the run ends. It is
 * untrusted when read: every field is checked, and a bad line is one
 * sentence naming the file and the line.
 */
#ifndef CLI_UPLOG_H
#define CLI_UPLOG_H

#include <stdio.h>

#include "hv/types.h"

enum uplog_kind { UPLOG_REQ, UPLOG_CON, UPLOG_DIGEST, UPLOG_END, UPLOG_NET };

struct uplog_event {
	enum uplog_kind kind;
	uint64_t epoch;
	unsigned domain; /* UPLOG_CON; UPLOG_NET: the bridge */
	uint64_t digest; /* UPLOG_DIGEST, UPLOG_END */
	uint8_t *data;   /* UPLOG_REQ (NUL-terminated), UPLOG_CON, UPLOG_NET */
	size_t len;
};

struct uplog_writer {
	FILE *f;
	char *path, *tmp;
};

/* Start LOG.tmp with the header. */
int uplog_create(struct uplog_writer *w, const char *path, const char *cfg_path,
		 const char *cfg_text, size_t cfg_len, uint64_t rtc_ns, struct hv_err *err);
void uplog_image(struct uplog_writer *w, const char *image, const char *sha256_hex);
/* The system was restored from the files in dir (cli/upsave.h), which
 * follow as images. */
void uplog_restore(struct uplog_writer *w, const char *dir);
void uplog_event(struct uplog_writer *w, const struct uplog_event *e);
/* Flush and rename to LOG (0), or drop LOG.tmp (abandon). */
int uplog_finish(struct uplog_writer *w, struct hv_err *err);
void uplog_abandon(struct uplog_writer *w);

struct uplog {
	char *cfg_path;
	char *restore_dir; /* NULL, or where the system was restored from */
	char *cfg_text;
	size_t cfg_len;
	uint64_t rtc_ns;
	bool has_rtc;
	unsigned version; /* 1, 2 or 3 */
	unsigned nimages;
	char **image, **image_sha;
	struct uplog_event *ev;
	size_t nev;
};

int uplog_read(const char *path, struct uplog *log, struct hv_err *err);
/* The same from an open stream; path names it in errors. */
int uplog_read_stream(FILE *f, const char *path, struct uplog *log, struct hv_err *err);
void uplog_free(struct uplog *log);

#endif
