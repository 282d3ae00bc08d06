// SPDX-License-Identifier: MIT
/*
 * Fuzz target snapshot_chain: an incremental snapshot file and its
 * parents (snapshot/file.h). Input: one byte of mode (snapfuzz.h), one
 * byte n (1 + n % 4 files), then the files, leaf first, each a u32
 * length and its bytes (a length past the input's end is cut to it). The
 * leaf is opened from memory; its parents come from a snapfile_source
 * that hands out the next file of the input whatever name it is asked
 * for. In the SUMS and SECTIONS forms each file names its parent's real
 * id, so chains pass the id checks and reach the loader; the opened chain
 * is put through a restore as in snapshot_file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/fuzz.h"
#include "tests/fuzz/snapshot/snapfuzz.h"

#define CHAIN_MAX 4

struct chain {
	struct snapfuzz_file file[CHAIN_MAX];
	unsigned n, next;
};

static int chain_read(void *opaque, const char *name, const char *child, uint8_t **data,
		      size_t *len, char **found, struct hv_err *err)
{
	struct chain *c = opaque;

	(void)child;
	if (c->next >= c->n) {
		hv_err_set(err, "cannot open snapshot file '%s': no such file", name);
		return -1;
	}
	const struct snapfuzz_file *f = &c->file[c->next++];
	*data = malloc(f->len ? f->len : 1);
	*found = strdup(name);
	if (!*data || !*found)
		abort();
	memcpy(*data, f->data, f->len);
	*len = f->len;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	struct chain c = { .n = 0 };
	const uint8_t *part[CHAIN_MAX];
	size_t plen[CHAIN_MAX];
	struct hv_err err;

	if (size < 2)
		return 0;
	enum snapfuzz_mode mode = (enum snapfuzz_mode)(fuzz_take(&in, 1) % 3);
	c.n = 1 + (unsigned)fuzz_take(&in, 1) % CHAIN_MAX;
	for (unsigned i = 0; i < c.n; i++) {
		size_t l = (size_t)fuzz_take(&in, 4);
		if (l > in.n)
			l = in.n;
		part[i] = in.p;
		plen[i] = l;
		in.p += l;
		in.n -= l;
	}
	/* Root first, so that each child can name its parent's id. */
	for (unsigned i = c.n; i-- > 0;)
		snapfuzz_build(mode, part[i], plen[i], i + 1 < c.n ? c.file[i + 1].id : NULL,
			       &c.file[i]);
	struct snapfile_source parents = { .read = chain_read, .opaque = &c };
	c.next = 1;
	struct snapfile *f = snapfile_open_mem("leaf.rvsnap", c.file[0].data, c.file[0].len,
					       &parents, &err);
	for (unsigned i = 0; i < c.n; i++)
		free(c.file[i].data);
	if (f)
		snapfuzz_restore(f);
	else if (getenv("RV_FUZZ_VERBOSE"))
		fprintf(stderr, "snapfuzz: open: %s\n", err.msg);
	return 0;
}
