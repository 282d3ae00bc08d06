// SPDX-License-Identifier: MIT
/*
 * Image files for the boot loader (loader.c): opening a kernel, initrd or
 * firmware from a file or from memory, recognising its format, and
 * claiming and writing the guest RAM it goes to.
 *
 * Recognising a file (loader_classify), in this order:
 *   1. empty                                  -> rejected
 *   2. starts with \x7fELF                    -> ELF; anything malformed,
 *      32-bit, big-endian or for another machine is rejected
 *   3. Image header magic at 48 or magic2 at 56 -> Linux RISC-V Image
 *      (Documentation/arch/riscv/boot-image-header.rst)
 *   4. gzip, zstd, xz, bzip2, lz4, lzop, lzma-alone, U-Boot uImage, or a
 *      text file (a "#!" script or a first 4 KiB of printable text with a
 *      newline)                               -> rejected, named
 *   5. anything else                          -> raw binary
 * Step 4 can misjudge a raw binary only if its first bytes spell one of
 * the signatures as instructions (a floating-point store, a reserved
 * 48-bit encoding, c.fsd ...) or its first 4 KiB are all printable with
 * no zero byte; real code practically never is. Such a program can be
 * given as an ELF file instead.
 *
 *
 * A kernel or initrd may also come from memory (struct loader_image):
 * struct image_file then reads from the buffer instead of the file
 * descriptor, and everything past opening it is the same code.
 *
 * Untrusted input: every byte of every file; a file that changes size
 * while it is read is an error, not a short image. Guest RAM is written
 * only inside regions claimed with loader_region_claim: in RAM, and apart
 * from every other piece (overlaps are errors, where QEMU lets the later
 * piece win).
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hv/platform/loader_impl.h"

/* ---- files ---- */

static int file_open(struct image_file *f, const char *path, const char *role, struct hv_err *err)
{
	struct stat st;
	ssize_t n;

	f->path = path;
	f->role = role;
	f->mem = NULL;
	f->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (f->fd < 0) {
		hv_err_set(err, "%s: cannot open the %s: %s", path, role, strerror(errno));
		return -1;
	}
	if (fstat(f->fd, &st) != 0) {
		hv_err_set(err, "%s: cannot stat the %s: %s", path, role, strerror(errno));
		goto fail;
	}
	if (S_ISDIR(st.st_mode)) {
		hv_err_set(err, "%s: is a directory, not a %s image", path, role);
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		hv_err_set(err, "%s: is not a regular file; give the %s as a file", path, role);
		goto fail;
	}
	if (st.st_size == 0) {
		hv_err_set(err, "%s: the %s is empty", path, role);
		goto fail;
	}
	f->size = (uint64_t)st.st_size;
	do
		n = pread(f->fd, f->head, sizeof(f->head), 0);
	while (n < 0 && errno == EINTR);
	if (n <= 0) {
		hv_err_set(err, "%s: cannot read the %s: %s", path, role,
			   n < 0 ? strerror(errno) : "the file shrank while being read");
		goto fail;
	}
	f->head_len = (size_t)n;
	return 0;
fail:
	close(f->fd);
	f->fd = -1;
	return -1;
}

static int mem_open(struct image_file *f, const struct loader_image *img, const char *role,
		    struct hv_err *err)
{
	f->path = img->name;
	f->role = role;
	f->fd = -1;
	f->mem = img->data;
	f->size = img->size;
	if (img->size == 0) {
		hv_err_set(err, "%s: the %s is empty", img->name, role);
		return -1;
	}
	f->head_len = img->size < sizeof(f->head) ? img->size : sizeof(f->head);
	memcpy(f->head, img->data, f->head_len);
	return 0;
}

/* The file at path, or img if it is given. */
int loader_image_open(struct image_file *f, const char *path, const struct loader_image *img,
		      const char *role, struct hv_err *err)
{
	return img ? mem_open(f, img, role, err) : file_open(f, path, role, err);
}

/* Up to len bytes at off, as pread: the count, 0 at the end, -1 and
 * errno on failure. */
ssize_t loader_image_pread(const struct image_file *f, void *buf, size_t len, uint64_t off)
{
	if (!f->mem)
		return pread(f->fd, buf, len, (off_t)off);
	if (off >= f->size)
		return 0;
	if (len > f->size - off)
		len = (size_t)(f->size - off);
	memcpy(buf, f->mem + off, len);
	return (ssize_t)len;
}

void loader_image_close(struct image_file *f)
{
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
}

static bool head_has(const struct image_file *f, size_t off, const void *magic, size_t len)
{
	return f->head_len >= off + len && memcmp(f->head + off, magic, len) == 0;
}

/* Formats we can name but not boot: the compressed ones a kernel build
 * produces (Image.gz, Image.zst ...) and U-Boot wrappers. */
static const struct {
	const char *magic;
	size_t len;
	const char *what;
	const char *hint;
} loader_foreign[] = {
	{ "\x1f\x8b", 2, "a gzip-compressed file", "decompress it first" },
	{ "\x28\xb5\x2f\xfd", 4, "a zstd-compressed file", "decompress it first" },
	{ "\xfd"
	  "7zXZ\0",
	  6, "an xz-compressed file", "decompress it first" },
	{ "\x04\x22\x4d\x18", 4, "an lz4-compressed file", "decompress it first" },
	{ "\x02\x21\x4c\x18", 4, "an lz4-compressed file", "decompress it first" },
	{ "\x89LZO\0\r\n\x1a\n", 9, "an lzop-compressed file", "decompress it first" },
	{ "\x5d\0\0", 3, "an lzma-compressed file", "decompress it first" },
	{ "\x27\x05\x19\x56", 4, "a U-Boot uImage", "give the Image or vmlinux it wraps instead" },
};

static bool head_is_text(const struct image_file *f)
{
	bool newline = false;

	for (size_t i = 0; i < f->head_len; i++) {
		uint8_t c = f->head[i];

		if (c == '\n')
			newline = true;
		else if (!(c == '\t' || c == '\r' || (c >= 0x20 && c < 0x7f)))
			return false;
	}
	return newline;
}

/* Decide what f is (see the file comment); -1 with err for rejects. */
int loader_classify(const struct image_file *f, struct hv_err *err)
{
	if (head_has(f, 0, ELFMAG, SELFMAG))
		return LOADER_FMT_ELF;
	if (head_has(f, 48, IMAGE_MAGIC, 8) || head_has(f, 56, IMAGE_MAGIC2, 4))
		return LOADER_FMT_IMAGE;
	for (size_t i = 0; i < HV_ARRAY_LEN(loader_foreign); i++) {
		if (head_has(f, 0, loader_foreign[i].magic, loader_foreign[i].len)) {
			hv_err_set(err, "%s: the %s is %s; %s", f->path, f->role,
				   loader_foreign[i].what, loader_foreign[i].hint);
			return -1;
		}
	}
	/* bzip2: "BZh" and a block size digit. */
	if (head_has(f, 0, "BZh", 3) && f->head_len > 3 && f->head[3] >= '1' && f->head[3] <= '9') {
		hv_err_set(err, "%s: the %s is a bzip2-compressed file; decompress it first",
			   f->path, f->role);
		return -1;
	}
	if (head_has(f, 0, "#!", 2)) {
		hv_err_set(err, "%s: the %s is a script, not a kernel or firmware image", f->path,
			   f->role);
		return -1;
	}
	if (head_is_text(f)) {
		hv_err_set(err, "%s: the %s is a text file, not a kernel or firmware image",
			   f->path, f->role);
		return -1;
	}
	return LOADER_FMT_RAW;
}

/* ---- guest RAM ---- */

bool loader_ram_contains(const struct loader *l, gpa_t start, uint64_t size)
{
	return machine_ram_contains(l->m, start, size);
}

/* Claim [start, start+size) for `what` of `file`: it must be in RAM and
 * must not overlap anything placed before. */
int loader_region_claim(struct loader *l, const char *file, const char *what, gpa_t start,
			uint64_t size)
{
	struct region *r;

	if (size == 0)
		return 0;
	if (!loader_ram_contains(l, start, size)) {
		if (start >= l->ram_base && start < l->ram_end)
			hv_err_set(l->err,
				   "%s: the %s at 0x%llx (size 0x%llx) does not fit in RAM "
				   "0x%llx-0x%llx; use a larger --memory",
				   file ? file : "device tree", what, (unsigned long long)start,
				   (unsigned long long)size, (unsigned long long)l->ram_base,
				   (unsigned long long)(l->ram_end - 1));
		else
			hv_err_set(l->err,
				   "%s: %s at 0x%llx (size 0x%llx) is outside RAM 0x%llx-0x%llx",
				   file ? file : "device tree", what, (unsigned long long)start,
				   (unsigned long long)size, (unsigned long long)l->ram_base,
				   (unsigned long long)(l->ram_end - 1));
		return -1;
	}
	for (size_t i = 0; i < l->nreg; i++) {
		const struct region *o = &l->reg[i];

		if (start < o->end && o->start < start + size) {
			hv_err_set(l->err,
				   "%s: the %s at 0x%llx-0x%llx overlaps the %s at 0x%llx-0x%llx",
				   file ? file : (o->file ? o->file : "loader"), what,
				   (unsigned long long)start,
				   (unsigned long long)(start + size - 1), o->what,
				   (unsigned long long)o->start, (unsigned long long)(o->end - 1));
			return -1;
		}
	}
	if (l->nreg == LOADER_MAX_REGIONS) {
		hv_err_set(l->err, "%s: has more than %d loadable pieces", file ? file : "loader",
			   LOADER_MAX_REGIONS);
		return -1;
	}
	r = &l->reg[l->nreg++];
	r->start = start;
	r->end = start + size;
	r->file = file;
	snprintf(r->what, sizeof(r->what), "%s", what);
	return 0;
}

int loader_ram_write(struct loader *l, const char *file, gpa_t pa, const void *buf, size_t len)
{
	if (!machine_write_phys(l->m, pa, buf, len)) {
		hv_err_set(l->err, "%s: cannot write 0x%zx bytes to guest RAM at 0x%llx",
			   file ? file : "loader", len, (unsigned long long)pa);
		return -1;
	}
	return 0;
}

/* Copy len bytes at file offset off to guest RAM at pa. The caller has
 * checked off + len <= f->size and claimed the RAM range. */
int loader_ram_copy_file(struct loader *l, const struct image_file *f, uint64_t off, gpa_t pa,
			 uint64_t len)
{
	while (len > 0) {
		size_t want = len < LOADER_CHUNK ? (size_t)len : LOADER_CHUNK;
		ssize_t n = loader_image_pread(f, l->buf, want, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			hv_err_set(l->err, "%s: cannot read the %s at offset 0x%llx: %s", f->path,
				   f->role, (unsigned long long)off,
				   n < 0 ? strerror(errno) : "the file shrank while being read");
			return -1;
		}
		if (loader_ram_write(l, f->path, pa, l->buf, (size_t)n) != 0)
			return -1;
		off += (uint64_t)n;
		pa += (uint64_t)n;
		len -= (uint64_t)n;
	}
	return 0;
}

/* Zero guest RAM explicitly: ELF .bss must read as zero whatever was
 * there before (a reset machine, a snapshot being reused). */
int loader_ram_zero(struct loader *l, const char *file, gpa_t pa, uint64_t len)
{
	memset(l->buf, 0, LOADER_CHUNK);
	while (len > 0) {
		size_t n = len < LOADER_CHUNK ? (size_t)len : LOADER_CHUNK;

		if (loader_ram_write(l, file, pa, l->buf, n) != 0)
			return -1;
		pa += n;
		len -= n;
	}
	return 0;
}
