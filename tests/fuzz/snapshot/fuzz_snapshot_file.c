// SPDX-License-Identifier: MIT
/*
 * Fuzz target snapshot_file: one full snapshot file (snapshot/file.h), as
 * `retrovisor run --restore FILE` and `snapshot info FILE` take it. Input:
 * one byte of mode (snapfuzz.h: the file's bytes as they are, with the
 * checksums made right, or as decompressed sections), then the file. The
 * file is opened from memory (snapfile_open_mem, no parents), printed,
 * applied to the machine its configuration describes, built as the
 * command line builds it, and run for a few thousand instructions.
 */
#include <stdio.h>
#include <stdlib.h>

#include "tests/fuzz/fuzz.h"
#include "tests/fuzz/snapshot/snapfuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct snapfuzz_file file;
	struct hv_err err;

	if (size < 1)
		return 0;
	snapfuzz_build((enum snapfuzz_mode)(data[0] % 3), data + 1, size - 1, NULL, &file);
	struct snapfile *f = snapfile_open_mem("fuzz.rvsnap", file.data, file.len, NULL, &err);
	free(file.data);
	if (f)
		snapfuzz_restore(f);
	else if (getenv("RV_FUZZ_VERBOSE"))
		fprintf(stderr, "snapfuzz: open: %s\n", err.msg);
	return 0;
}
