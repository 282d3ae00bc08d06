/* SPDX-License-Identifier: MIT */
/*
 * The inside of snapshot files (format in file.h), shared by the writer
 * (file.c), the reader (file_read.c: containers, chains, checksums), the
 * loader (file_apply.c: section contents into a machine) and the printer
 * of `snapshot info` (file_info.c). Not part of the service's interface.
 *
 * A struct snapfile is a whole chain, read and checked as containers:
 * every section decompressed into memory, its contents not looked at yet
 * (that is file_apply.c's, against the machine they go into).
 */
#ifndef SNAPSHOT_FILE_IMPL_H
#define SNAPSHOT_FILE_IMPL_H

#include "hv/devstate.h"
#include "hv/platform/control.h"
#include "snapshot/file.h"

#define SNAPFILE_MAGIC "RVSNAPSH"
#define SNAPFILE_HEADER_SIZE 64u
#define SNAPFILE_SECTION_HEADER 32u
#define SNAPFILE_FLAG_INCREMENTAL 1u
#define SNAPFILE_MAX_SECTION (64u << 20) /* raw bytes of one section */
#define SNAPFILE_RAM_CHUNK 1024u         /* pages per RAM section */
#define SNAPFILE_DISK_CHUNK 1024u        /* blocks per DISK section */
#define SNAPFILE_ZSTD_LEVEL 1
#define SNAPFILE_MACHINE_VERSION MACHINE_RECORD_VERSION

enum snapfile_section {
	SEC_CONFIG = 1,
	SEC_PARENT = 2,
	SEC_MACHINE = 3,
	SEC_HART = 4,
	SEC_DEVICE = 5,
	SEC_DRIVE = 6,
	SEC_DISK = 7,
	SEC_RAM = 8,
	SEC_END = 9,
};

struct snapfile_sec {
	uint32_t type;
	uint64_t offset; /* of the section header in its file */
	uint8_t *raw;    /* decompressed */
	size_t len;
};

struct snapfile_one {
	char *path; /* the name errors give: a path, or the caller's name */
	uint8_t id[SNAPFILE_ID_SIZE], parent_id[SNAPFILE_ID_SIZE];
	bool incremental;
	struct snapfile_sec *sec;
	unsigned nsec;
};

struct snapfile {
	struct snapfile_one chain[SNAPFILE_MAX_DEPTH]; /* [0] is the root */
	unsigned depth;
	char *config;
	uint64_t ram_size;
	unsigned nharts;
	icount_t icount;
};

/* "snapshot file 'PATH' is damaged at byte OFF: WHAT; ...": -1. */
int snapfile_bad(struct hv_err *err, const char *path, uint64_t off, const char *what);
/* "... the TYPE section at byte N is malformed (WHAT or r's message)": -1. */
int snapfile_sec_fail(struct hv_err *err, const struct snapfile_one *o,
		      const struct snapfile_sec *sec, const struct devstate_r *r, const char *what);
/* The first section of a type, or NULL. */
const struct snapfile_sec *snapfile_find(const struct snapfile_one *o, uint32_t type);
/* A length-prefixed string (at most max bytes, no NUL inside) into a
 * malloc'd C string, or NULL with r's error set. */
char *snapfile_get_string(struct devstate_r *r, size_t max);

#endif
