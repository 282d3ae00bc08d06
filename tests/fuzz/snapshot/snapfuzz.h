/* SPDX-License-Identifier: MIT */
/*
 * What the snapshot file harnesses share (snapfuzz.c): turning an input
 * into the bytes of snapshot files, and putting an opened file through
 * everything a restore does.
 *
 * Checksums stop blind mutation: a changed byte fails a CRC and the
 * parsers behind it are never reached. So each file of an input is in one
 * of three forms, chosen by the input's first byte (mode % 3):
 *
 *   SNAPFUZZ_RAW       the file's bytes as they are;
 *   SNAPFUZZ_SUMS      the file's bytes with every checksum made right
 *                      before parsing: each section's data CRC and header
 *                      CRC (as far as the sections' stored lengths fit in
 *                      the file), then the id (the hash of the section
 *                      headers) and the header's CRC;
 *   SNAPFUZZ_SECTIONS  the 64-byte header, then the sections decompressed:
 *                      { u32 type, u32 length, length bytes } each (a
 *                      length past the input's end is cut to it); the
 *                      harness compresses each one into a file with every
 *                      checksum right, and an END section of 4 bytes gets
 *                      the count of the sections before it. Mutations
 *                      reach the section parsers and the machine.
 *
 * In a chain (SUMS and SECTIONS) each child is also made to name its
 * parent's real id, in its header and (SECTIONS) in the first 16 bytes of
 * its PARENT section, so that chains reach the loader too.
 *
 * make_corpus.sh writes seeds of every form from real files.
 */
#ifndef TESTS_FUZZ_SNAPSHOT_SNAPFUZZ_H
#define TESTS_FUZZ_SNAPSHOT_SNAPFUZZ_H

#include <stddef.h>
#include <stdint.h>

#include "snapshot/file.h"

enum snapfuzz_mode { SNAPFUZZ_RAW, SNAPFUZZ_SUMS, SNAPFUZZ_SECTIONS };

/* One file of an input, as bytes of a snapshot file. */
struct snapfuzz_file {
	uint8_t *data; /* malloc'd */
	size_t len;
	uint8_t id[SNAPFILE_ID_SIZE];
};

/* in (len bytes) in form mode into f. parent_id (or NULL): the id the
 * file is made to name as its parent (SUMS and SECTIONS only). Aborts only
 * when the host is out of memory. */
void snapfuzz_build(enum snapfuzz_mode mode, const uint8_t *in, size_t len,
		    const uint8_t *parent_id, struct snapfuzz_file *f);

/* What a restore does with an opened file, as the command line does it:
 * print it (snapshot info) into a sink, make the machine its
 * configuration asks for (when that is small enough for a fuzzer: at
 * most 64 MiB, 4 harts, 2 drives, no network; every drive is one image of
 * 64 KiB of zeros, copy-on-write), apply the file, and run the machine for
 * a few thousand instructions. Closes f. */
void snapfuzz_restore(struct snapfile *f);

#endif
