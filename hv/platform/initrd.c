// SPDX-License-Identifier: MIT
/*
 * Initramfs format check (see initrd.h). The file is untrusted: every
 * header field is parsed as exactly eight hex digits, every size is
 * checked against what is left of the file before it is used, and the
 * walk ends after at most one step per header, so it is bounded by the
 * file's size.
 */
#include "hv/platform/initrd.h"

#include <string.h>

#define CPIO_HDR 110 /* "070701" + 13 fields of 8 hex digits */

static const struct {
	const char *name;
	uint8_t magic[6];
	size_t len;
} initrd_compressed[] = {
	{ "gzip", { 0x1f, 0x8b }, 2 },
	{ "gzip", { 0x1f, 0x9e }, 2 },
	{ "zstd", { 0x28, 0xb5, 0x2f, 0xfd }, 4 },
	{ "xz", { 0xfd, '7', 'z', 'X', 'Z', 0 }, 6 },
	{ "bzip2", { 'B', 'Z', 'h' }, 3 },
	{ "lzma", { 0x5d, 0, 0 }, 3 },
	{ "lzo", { 0x89, 'L', 'Z', 'O' }, 4 },
	{ "lz4", { 0x02, 0x21, 0x4c, 0x18 }, 4 },
};

static bool initrd_hex8(const char *s, uint64_t *v)
{
	*v = 0;
	for (int i = 0; i < 8; i++) {
		char c = s[i];
		unsigned d;
		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			d = (unsigned)(c - 'A' + 10);
		else
			return false;
		*v = *v << 4 | d;
	}
	return true;
}

static uint64_t align4(uint64_t v)
{
	return (v + 3) & ~3ull;
}

int initrd_check(const char *path, uint64_t size,
		 bool (*read)(void *opaque, uint64_t off, void *buf, size_t len), void *opaque,
		 struct hv_err *err)
{
	uint64_t off = 0;
	bool in_archive = false;

	if (size == 0) {
		hv_err_set(err, "%s: the initramfs is empty", path);
		return -1;
	}
	while (off < size) {
		char hdr[CPIO_HDR];
		uint64_t left = size - off;

		if (!in_archive) {
			/* Between archives: zero padding, another cpio archive,
			 * or a compressed one (which the kernel unpacks). */
			uint8_t b[6] = { 0 };
			size_t n = left < sizeof(b) ? (size_t)left : sizeof(b);
			if (!read(opaque, off, b, n))
				goto short_read;
			if (b[0] == 0) {
				off++;
				continue;
			}
			for (size_t i = 0; i < HV_ARRAY_LEN(initrd_compressed); i++)
				if (n >= initrd_compressed[i].len &&
				    memcmp(b, initrd_compressed[i].magic,
					   initrd_compressed[i].len) == 0)
					return 0;
			in_archive = true;
		}
		if (left < CPIO_HDR) {
			hv_err_set(err,
				   "%s: not a valid initramfs: a cpio header at offset 0x%llx is "
				   "cut short by the end of the file",
				   path, (unsigned long long)off);
			return -1;
		}
		if (!read(opaque, off, hdr, sizeof(hdr)))
			goto short_read;
		if (memcmp(hdr, "07070", 5) != 0 || (hdr[5] != '1' && hdr[5] != '2')) {
			hv_err_set(err,
				   "%s: not a valid initramfs: offset 0x%llx holds neither a cpio "
				   "(newc) header nor a compressed archive; give a cpio archive, "
				   "optionally compressed",
				   path, (unsigned long long)off);
			return -1;
		}
		uint64_t filesize, namesize;
		bool ok = true;
		for (int f = 0; f < 13; f++) {
			uint64_t v;
			ok = ok && initrd_hex8(hdr + 6 + 8 * f, &v);
			if (f == 6)
				filesize = v;
			if (f == 11)
				namesize = v;
		}
		if (!ok || namesize == 0 || namesize > 4096) {
			hv_err_set(err,
				   "%s: not a valid initramfs: the cpio header at offset 0x%llx "
				   "has malformed fields",
				   path, (unsigned long long)off);
			return -1;
		}
		uint64_t name_end = align4(CPIO_HDR + namesize);
		if (name_end > left || align4(filesize) > left - name_end) {
			hv_err_set(err,
				   "%s: not a valid initramfs: the cpio entry at offset 0x%llx "
				   "runs past the end of the file (truncated?)",
				   path, (unsigned long long)off);
			return -1;
		}
		char name[11] = { 0 };
		if (namesize == 11 && !read(opaque, off + CPIO_HDR, name, 10))
			goto short_read;
		off += name_end + align4(filesize);
		if (namesize == 11 && memcmp(name, "TRAILER!!!", 10) == 0)
			in_archive = false;
	}
	if (in_archive) {
		hv_err_set(err,
			   "%s: not a valid initramfs: the cpio archive has no TRAILER!!! "
			   "entry (truncated?)",
			   path);
		return -1;
	}
	return 0;
short_read:
	hv_err_set(err, "%s: could not read the initramfs at offset 0x%llx", path,
		   (unsigned long long)off);
	return -1;
}
