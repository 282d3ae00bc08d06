/* SPDX-License-Identifier: MIT */
/*
 * Checks that a file given as --initrd is something Linux can unpack as an
 * initramfs (Documentation/driver-api/early-userspace/buffer-format.rst):
 * a sequence of "newc" cpio archives (magic 070701 or 070702), each ended
 * by a TRAILER!!! entry and optionally followed by zero padding, where any
 * member after the first may instead be a compressed archive (gzip, zstd,
 * xz, bzip2, lzma, lzo, lz4), which is accepted by its signature since
 * the kernel decompresses it. A corrupt image is reported with the offset
 * and the problem instead of becoming a kernel panic far into the boot.
 */
#ifndef HV_INITRD_H
#define HV_INITRD_H

#include "hv/types.h"

/* read(opaque, off, buf, len): copy len bytes at off; false if out of
 * range. Returns 0, or -1 with a sentence naming path in err. */
int initrd_check(const char *path, uint64_t size,
		 bool (*read)(void *opaque, uint64_t off, void *buf, size_t len), void *opaque,
		 struct hv_err *err);

#endif
