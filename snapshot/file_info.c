// SPDX-License-Identifier: MIT
/*
 * What a snapshot file holds, in words (`retrovisor snapshot info`): the
 * machine, the chain from the leaf up, each file's sections, pages and
 * blocks, and the configuration. The file was checked as a container by
 * file_read.c; the few fields of section contents read here are checked
 * here, before anything is printed.
 */
#include "snapshot/file_impl.h"

#include <string.h>

#include "base/le.h"

int snapfile_print(const struct snapfile *f, FILE *out, struct hv_err *err)
{
	/* RAM sections start u64 first, u32 count, u32 present; DISK
	 * sections u32 drive, u32 count. */
	for (unsigned c = 0; c < f->depth; c++) {
		const struct snapfile_one *o = &f->chain[c];
		for (unsigned i = 0; i < o->nsec; i++) {
			const struct snapfile_sec *sec = &o->sec[i];
			if ((sec->type == SEC_RAM && sec->len < 16) ||
			    (sec->type == SEC_DISK && sec->len < 8))
				return snapfile_bad(err, o->path, sec->offset,
						    "a section is "
						    "shorter than its fixed fields");
		}
	}
	fprintf(out, "snapshot file %s\n", f->chain[f->depth - 1].path);
	fprintf(out, "format version %u\n", SNAPFILE_VERSION);
	fprintf(out, "machine: %llu MiB RAM, %u harts\n", (unsigned long long)(f->ram_size >> 20),
		f->nharts);
	fprintf(out, "instructions retired: %llu\n", (unsigned long long)f->icount);
	for (unsigned c = f->depth; c-- > 0;) {
		const struct snapfile_one *o = &f->chain[c];
		uint64_t pages = 0, raw = 0, blocks = 0;
		char id[2 * SNAPFILE_ID_SIZE + 1];
		for (unsigned i = 0; i < SNAPFILE_ID_SIZE; i++)
			snprintf(id + 2 * i, 3, "%02x", o->id[i]);
		for (unsigned i = 0; i < o->nsec; i++) {
			const struct snapfile_sec *sec = &o->sec[i];
			raw += sec->len;
			if (sec->type == SEC_RAM)
				pages += le_get32(sec->raw + 12);
			if (sec->type == SEC_DISK)
				blocks += le_get32(sec->raw + 4);
		}
		fprintf(out,
			"%s %s: id %s, %s, %u sections, %llu pages, %llu disk blocks, "
			"%llu bytes of state\n",
			c + 1 == f->depth ? "file" : "parent", o->path, id,
			o->incremental ? "incremental" : "full", o->nsec, (unsigned long long)pages,
			(unsigned long long)blocks, (unsigned long long)raw);
	}
	fprintf(out, "configuration:\n%s", f->config);
	if (f->config[0] && f->config[strlen(f->config) - 1] != '\n')
		fputc('\n', out);
	return 0;
}

int snapfile_info(const char *path, FILE *out, struct hv_err *err)
{
	struct snapfile *f = snapfile_open(path, err);

	if (!f)
		return -1;
	int rc = snapfile_print(f, out, err);
	snapfile_close(f);
	return rc;
}
