/* SPDX-License-Identifier: MIT */
/*
 * Reproducible-bug bundles (issue 4, item 6): one file holding a record
 * log and every image the recorded run needs (kernel, initramfs, firmware,
 * disk base and overlay), so that a failure captured on one machine, say
 * a CI job, replays on any other.
 *
 * Design. A bundle is a fixed header, an entry table sealed by a SHA-256,
 * then one zstd frame per entry, back to back in table order. Entry 0 is
 * always the log (role "log"); the others are images, each named by its
 * role ("kernel", "initrd", "bios", "drive0"), which is also the file name
 * it extracts to, so a role is restricted to a short [a-z0-9_] name and
 * can never be a path. Each entry records its uncompressed size and the
 * SHA-256 of its uncompressed bytes: for an image, the hash the recording
 * stored, which bundle_write checks against the bytes it actually packs,
 * so a bundle can only ever carry the images the log was made with.
 * Packing and extraction stream through fixed buffers (a 64 GiB disk needs
 * no more memory than a 4 KiB one).
 *
 * File layout (all integers little-endian):
 *
 *   header  "RVSRBNDL" magic, u32 version (BUNDLE_VERSION),
 *           u32 entry count (1 + number of images), u64 reserved (0)
 *                                                              24 bytes
 *   entry   char role[32] (NUL-terminated, NUL-padded), u64 size
 *           (uncompressed), u64 offset of its zstd frame in the file,
 *           u64 compressed size, u32 CRC-32 (IEEE 802.3, as zlib's
 *           crc32) of the compressed bytes, u32 reserved (0), u8
 *           sha256[32] of the uncompressed bytes       96 bytes, x count
 *   seal    u8 sha256[32] of the header and the whole entry table
 *   data    entry i's zstd frame (with zstd's content checksum) at
 *           offset[i]; the frames are contiguous, the first starts
 *           right after the seal and the last ends at the end of the file
 *
 * The file is untrusted. bundle_extract checks, before it writes anything,
 * the magic, the version, the entry count, the seal, every role (safe
 * name, unique, entry 0 and only entry 0 is "log"), every size against
 * BUNDLE_MAX_SIZE and every offset and compressed size against the file;
 * then, while extracting, that each frame is well-formed, ends exactly at
 * its compressed size, matches its CRC-32 (so any damage to the stored
 * bytes is caught, even a flip in a zstd header field that would still
 * decode), and decompresses to exactly its declared size (it stops
 * writing at the declared size, so no entry can expand beyond it), and
 * that the SHA-256 of what it wrote matches. It writes only to
 * DIR/<role> through a temporary DIR/.<role>.tmp opened without following
 * symbolic links, and on any error removes what it extracted. Errors are one
 * sentence naming the bundle, the offset and the problem.
 */
#ifndef REPLAY_BUNDLE_H
#define REPLAY_BUNDLE_H

#include "hv/types.h"

#define BUNDLE_VERSION 1u
#define BUNDLE_MAX_IMAGES 16
#define BUNDLE_MAX_SIZE (64ull << 30) /* per entry, uncompressed */
#define BUNDLE_ROLE_SIZE 32
#define BUNDLE_PATH_SIZE 4096
#define BUNDLE_LOG_ROLE "log"

struct bundle_image {
	char role[BUNDLE_ROLE_SIZE]; /* [a-z0-9_]{1,31}, not "log" */
	char path[BUNDLE_PATH_SIZE]; /* where the image is on this host */
	char sha256[65];             /* 64 hex digits, as sha256_hex spells it */
};

/*
 * Pack the log at LOG_PATH and the N images into OUT_PATH (written as
 * OUT_PATH.tmp, renamed when complete). Each image's SHA-256 is computed
 * over the very bytes packed and must equal imgs[i].sha256, else the
 * bundle is refused with a sentence naming the image (it changed since the
 * recording) and no OUT_PATH appears. Returns 0, or -1 with err set.
 */
int bundle_write(const char *out_path, const char *log_path, const struct bundle_image *imgs,
		 unsigned n, struct hv_err *err);

/* True if PATH starts with the bundle magic (nothing else is checked). */
bool bundle_is_bundle(const char *path);

/*
 * Extract the bundle at BUNDLE_PATH into DIR (created if missing, one
 * level): the log to DIR/log, each image to DIR/<role>, each verified
 * against its SHA-256. Fills LOG_PATH_OUT (BUNDLE_PATH_SIZE bytes) and
 * IMGS_OUT (BUNDLE_MAX_IMAGES entries: role, new path, hash) and *N_OUT.
 * Files of the same names already in DIR are replaced. Returns 0, or -1
 * with err set, having removed every file this call extracted (and DIR,
 * if this call created it).
 */
int bundle_extract(const char *bundle_path, const char *dir, char *log_path_out,
		   struct bundle_image *imgs_out, unsigned *n_out, struct hv_err *err);

/*
 * Where extraction puts the entries. For each entry in table order: begin
 * (ROLE already checked: a safe name, "log" first), write with its bytes
 * in order (never more than the entry declares, but they are unverified
 * until the end), then commit once every check passed, or discard if one
 * failed. prepare, if set, runs once after the table was checked and
 * before the first begin. A callback that fails returns -1 with err set,
 * which ends the extraction with that error (discard is still called
 * after a failed write or commit, not after a failed begin). The sink
 * undoes nothing it committed; its owner does, as bundle_extract does.
 */
struct bundle_sink {
	void *opaque;
	int (*prepare)(void *opaque, struct hv_err *err);
	int (*begin)(void *opaque, const char *role, struct hv_err *err);
	int (*write)(void *opaque, const uint8_t *buf, size_t len, struct hv_err *err);
	int (*commit)(void *opaque, struct hv_err *err);
	void (*discard)(void *opaque);
};

/*
 * Extract the LEN bytes of a bundle at BUF (named NAME in messages) into
 * SINK, with every check bundle_extract makes. Returns 0, or -1 with err
 * set.
 */
int bundle_unpack_mem(const char *name, const void *buf, size_t len, const struct bundle_sink *sink,
		      struct hv_err *err);

#endif
