// SPDX-License-Identifier: MIT
/*
 * Boot image loader (see loader.h for the three boot modes).
 *
 * Placement follows QEMU 7.2 hw/riscv/boot.c and hw/riscv/virt.c:
 *
 *   firmware  ELF at its physical addresses, raw at RAM base (0x8000_0000)
 *   kernel    ELF at its physical addresses; Image at RAM base +
 *             text_offset; raw at the "kernel start": 0x8020_0000 in
 *             paravirtual mode, RAM base with --bios none, and the
 *             firmware's end rounded up to 2 MiB with --bios FILE
 *             (riscv_calc_kernel_start_addr), which is 0x8020_0000 for
 *             OpenSBI
 *   initrd    kernel start + min(RAM size / 2, 128 MiB) (riscv_load_initrd)
 *   DTB       min(RAM end, 3 GiB) - DTB size, rounded down to 2 MiB
 *             (riscv_load_fdt)
 *   fw info   OpenSBI's struct fw_dynamic_info, 64 bytes below the DTB
 *             (QEMU keeps it in the reset ROM, which this machine lacks)
 *
 * Two deliberate differences from QEMU: the entry of an ELF kernel is its
 * e_entry (translated through the segment's p_vaddr -> load address when
 * it is a virtual address outside RAM), where QEMU jumps to the lowest
 * load address; and overlapping pieces are an error here, where QEMU
 * silently lets the later one win.
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
 * An initrd must be an initramfs Linux can unpack: cpio archives, the
 * later ones possibly compressed (initrd.c checks it once it is in RAM).
 *
 * Untrusted input: every byte of every file. All offsets, sizes and
 * address sums are checked for overflow before use; nothing is written to
 * guest RAM outside [RAM base, RAM end).
 *
 * A kernel or initrd may also come from memory (struct loader_image):
 * struct image_file then reads from the buffer instead of the file
 * descriptor, and everything past opening it is the same code.
 */
#include "hv/loader.h"

#include "hv/initrd.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hv/fdt.h"

#define MiB (1024ull * 1024ull)
#define GiB (1024ull * MiB)
#define LOADER_ALIGN_2M (2 * MiB)
#define LOADER_DTB_LIMIT (3 * GiB)     /* riscv_load_fdt: 32-bit reachable */
#define LOADER_INITRD_MAX_OFF (128 * MiB) /* riscv_load_initrd */
#define LOADER_HEAD_SIZE 4096
#define LOADER_CHUNK (1 * MiB)
#define LOADER_MAX_REGIONS 4096 /* a sane bound on loadable segments */

#define IMAGE_HDR_SIZE 64
#define IMAGE_MAGIC "RISCV\0\0\0"
#define IMAGE_MAGIC2 "RSC\x05"
#define IMAGE_FLAG_BE 1ull

struct region {
	gpa_t start, end; /* [start, end) */
	const char *file; /* NULL for pieces the loader made (DTB, fw info) */
	char what[48];
};

struct loader {
	struct machine *m;
	gpa_t ram_base, ram_end;
	struct region *reg;
	size_t nreg;
	uint8_t *buf; /* LOADER_CHUNK bytes for copying files into RAM */
	struct hv_err *err;
};

struct image_file {
	const char *path;
	const char *role; /* "kernel", "initrd", "firmware" */
	int fd;           /* -1 for an image in memory */
	const uint8_t *mem; /* the image in memory, or NULL */
	uint64_t size;
	uint8_t head[LOADER_HEAD_SIZE];
	size_t head_len;
};

static uint64_t le_read(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static void le_write64(uint8_t *p, uint64_t v)
{
	for (unsigned i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

static uint64_t align_down(uint64_t v, uint64_t a)
{
	return v & ~(a - 1);
}

enum hv_boot loader_boot_mode(const char *bios)
{
	if (!bios)
		return BOOT_PV;
	if (strcmp(bios, "none") == 0)
		return BOOT_BARE;
	return BOOT_BIOS;
}

/* ---- files ---- */

static int file_open(struct image_file *f, const char *path, const char *role,
		     struct hv_err *err)
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
static int image_open(struct image_file *f, const char *path, const struct loader_image *img,
		      const char *role, struct hv_err *err)
{
	return img ? mem_open(f, img, role, err) : file_open(f, path, role, err);
}

/* Up to len bytes at off, as pread: the count, 0 at the end, -1 and
 * errno on failure. */
static ssize_t image_pread(const struct image_file *f, void *buf, size_t len, uint64_t off)
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

static void file_close(struct image_file *f)
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
	{ "\xfd" "7zXZ\0", 6, "an xz-compressed file", "decompress it first" },
	{ "\x04\x22\x4d\x18", 4, "an lz4-compressed file", "decompress it first" },
	{ "\x02\x21\x4c\x18", 4, "an lz4-compressed file", "decompress it first" },
	{ "\x89LZO\0\r\n\x1a\n", 9, "an lzop-compressed file", "decompress it first" },
	{ "\x5d\0\0", 3, "an lzma-compressed file", "decompress it first" },
	{ "\x27\x05\x19\x56", 4, "a U-Boot uImage",
	  "give the Image or vmlinux it wraps instead" },
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
static int loader_classify(const struct image_file *f, struct hv_err *err)
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
	if (head_has(f, 0, "BZh", 3) && f->head_len > 3 && f->head[3] >= '1' &&
	    f->head[3] <= '9') {
		hv_err_set(err, "%s: the %s is a bzip2-compressed file; decompress it first",
			   f->path, f->role);
		return -1;
	}
	if (head_has(f, 0, "#!", 2)) {
		hv_err_set(err, "%s: the %s is a script, not a kernel or firmware image",
			   f->path, f->role);
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

static bool ram_contains(const struct loader *l, gpa_t start, uint64_t size)
{
	return start >= l->ram_base && start <= l->ram_end && size <= l->ram_end - start;
}

/* Claim [start, start+size) for `what` of `file`: it must be in RAM and
 * must not overlap anything placed before. */
static int region_claim(struct loader *l, const char *file, const char *what, gpa_t start,
			uint64_t size)
{
	struct region *r;

	if (size == 0)
		return 0;
	if (!ram_contains(l, start, size)) {
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

static int ram_write(struct loader *l, const char *file, gpa_t pa, const void *buf,
		     size_t len)
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
static int ram_copy_file(struct loader *l, const struct image_file *f, uint64_t off, gpa_t pa,
			 uint64_t len)
{
	while (len > 0) {
		size_t want = len < LOADER_CHUNK ? (size_t)len : LOADER_CHUNK;
		ssize_t n = image_pread(f, l->buf, want, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			hv_err_set(l->err, "%s: cannot read the %s at offset 0x%llx: %s", f->path,
				   f->role, (unsigned long long)off,
				   n < 0 ? strerror(errno) : "the file shrank while being read");
			return -1;
		}
		if (ram_write(l, f->path, pa, l->buf, (size_t)n) != 0)
			return -1;
		off += (uint64_t)n;
		pa += (uint64_t)n;
		len -= (uint64_t)n;
	}
	return 0;
}

/* Zero guest RAM explicitly: ELF .bss must read as zero whatever was
 * there before (a reset machine, a snapshot being reused). */
static int ram_zero(struct loader *l, const char *file, gpa_t pa, uint64_t len)
{
	memset(l->buf, 0, LOADER_CHUNK);
	while (len > 0) {
		size_t n = len < LOADER_CHUNK ? (size_t)len : LOADER_CHUNK;

		if (ram_write(l, file, pa, l->buf, n) != 0)
			return -1;
		pa += n;
		len -= n;
	}
	return 0;
}

/* ---- ELF ---- */

struct elf_seg {
	uint64_t off, filesz, memsz, paddr, vaddr;
	unsigned index;
};

static const char *elf_machine_name(unsigned em)
{
	switch (em) {
	case EM_386: return "i386";
	case EM_X86_64: return "x86-64";
	case EM_ARM: return "32-bit Arm";
	case EM_AARCH64: return "AArch64";
	case EM_PPC: return "PowerPC";
	case EM_PPC64: return "PowerPC64";
	case EM_MIPS: return "MIPS";
	case EM_S390: return "s390";
	case EM_SPARCV9: return "SPARC64";
	case EM_LOONGARCH: return "LoongArch";
	default: return "another architecture";
	}
}

/* Checks libelf does not make for us, on the raw identification bytes,
 * so a truncated or foreign file gets a precise sentence. */
static int elf_check_ident(const struct image_file *f, struct hv_err *err)
{
	unsigned em;

	if (f->head_len < EI_NIDENT) {
		hv_err_set(err, "%s: truncated ELF header (%zu bytes)", f->path, f->head_len);
		return -1;
	}
	if (f->head[EI_CLASS] == ELFCLASS32) {
		hv_err_set(err, "%s: is a 32-bit ELF file (ELFCLASS32); the %s must be RV64 "
			   "(ELFCLASS64)", f->path, f->role);
		return -1;
	}
	if (f->head[EI_CLASS] != ELFCLASS64) {
		hv_err_set(err, "%s: bad ELF class %u in the ELF header", f->path,
			   f->head[EI_CLASS]);
		return -1;
	}
	if (f->head[EI_DATA] != ELFDATA2LSB) {
		hv_err_set(err, "%s: is not a little-endian ELF file (EI_DATA %u); RISC-V "
			   "needs ELFDATA2LSB", f->path, f->head[EI_DATA]);
		return -1;
	}
	if (f->head_len < sizeof(Elf64_Ehdr)) {
		hv_err_set(err, "%s: truncated ELF header (%zu of %zu bytes)", f->path,
			   f->head_len, sizeof(Elf64_Ehdr));
		return -1;
	}
	em = (unsigned)le_read(f->head + offsetof(Elf64_Ehdr, e_machine), 2);
	if (em != EM_RISCV) {
		hv_err_set(err, "%s: is an ELF file for %s (e_machine %u), not RISC-V", f->path,
			   elf_machine_name(em), em);
		return -1;
	}
	return 0;
}

/* Validate the program headers and collect the PT_LOAD segments with
 * memory. Returns the count, or -1 with err. */
static int elf_collect(const struct image_file *f, Elf *elf, struct elf_seg **out,
		       struct hv_err *err)
{
	size_t phnum;
	struct elf_seg *seg;
	int n = 0;

	if (elf_getphdrnum(elf, &phnum) != 0) {
		hv_err_set(err, "%s: bad ELF program header table: %s", f->path, elf_errmsg(-1));
		return -1;
	}
	if (phnum == 0) {
		hv_err_set(err, "%s: the ELF file has no program headers", f->path);
		return -1;
	}
	if (phnum > LOADER_MAX_REGIONS) {
		hv_err_set(err, "%s: the ELF file has %zu program headers, more than %d", f->path,
			   phnum, LOADER_MAX_REGIONS);
		return -1;
	}
	seg = calloc(phnum, sizeof(*seg));
	if (!seg) {
		hv_err_set(err, "%s: out of memory reading the ELF program headers", f->path);
		return -1;
	}
	for (size_t i = 0; i < phnum; i++) {
		GElf_Phdr ph;
		uint64_t end;

		if (!gelf_getphdr(elf, (int)i, &ph)) {
			hv_err_set(err, "%s: cannot read ELF program header %zu: %s", f->path, i,
				   elf_errmsg(-1));
			goto fail;
		}
		if (ph.p_type != PT_LOAD || ph.p_memsz == 0)
			continue;
		if (ph.p_filesz > ph.p_memsz) {
			hv_err_set(err, "%s: ELF segment %zu has p_filesz 0x%llx larger than "
				   "p_memsz 0x%llx", f->path, i,
				   (unsigned long long)ph.p_filesz,
				   (unsigned long long)ph.p_memsz);
			goto fail;
		}
		if (__builtin_add_overflow(ph.p_offset, ph.p_filesz, &end) || end > f->size) {
			hv_err_set(err, "%s: ELF segment %zu data at offset 0x%llx (size 0x%llx) "
				   "extends past the end of the file (size 0x%llx)", f->path, i,
				   (unsigned long long)ph.p_offset,
				   (unsigned long long)ph.p_filesz, (unsigned long long)f->size);
			goto fail;
		}
		if (__builtin_add_overflow(ph.p_paddr, ph.p_memsz, &end) ||
		    __builtin_add_overflow(ph.p_vaddr, ph.p_memsz, &end)) {
			hv_err_set(err, "%s: ELF segment %zu at 0x%llx has size 0x%llx, which "
				   "wraps around the address space", f->path, i,
				   (unsigned long long)ph.p_paddr,
				   (unsigned long long)ph.p_memsz);
			goto fail;
		}
		seg[n].off = ph.p_offset;
		seg[n].filesz = ph.p_filesz;
		seg[n].memsz = ph.p_memsz;
		seg[n].paddr = ph.p_paddr;
		seg[n].vaddr = ph.p_vaddr;
		seg[n].index = (unsigned)i;
		n++;
	}
	if (n == 0) {
		hv_err_set(err, "%s: the ELF file has no loadable segments", f->path);
		goto fail;
	}
	*out = seg;
	return n;
fail:
	free(seg);
	return -1;
}

struct placed {
	gpa_t start, end, entry;
};

/*
 * GNU ld puts the ELF and program headers in the first PT_LOAD segment
 * when there is room below the first section, so a program linked with
 * -Ttext=0x80000000 has a segment starting at 0x7ffff000, below RAM. The
 * part below RAM may be dropped if it holds no byte of any allocated
 * section (only headers and padding): QEMU loads the same bytes into
 * unmapped space, where they vanish. Without section headers nothing is
 * dropped.
 */
static void elf_trim_below_ram(const struct loader *l, Elf *elf, struct elf_seg *s)
{
	uint64_t cut = l->ram_base - s->paddr;
	Elf_Scn *scn = NULL;
	size_t nsec = 0;

	if (s->paddr >= l->ram_base || cut >= s->memsz || cut > s->filesz)
		return;
	if (elf_getshdrnum(elf, &nsec) != 0 || nsec == 0)
		return;
	while ((scn = elf_nextscn(elf, scn)) != NULL) {
		GElf_Shdr sh;

		if (!gelf_getshdr(scn, &sh))
			return;
		if (!(sh.sh_flags & SHF_ALLOC) || sh.sh_type == SHT_NOBITS || sh.sh_size == 0)
			continue;
		if (sh.sh_offset < s->off + cut && s->off < sh.sh_offset + sh.sh_size)
			return;
	}
	s->paddr += cut;
	s->vaddr += cut;
	s->off += cut;
	s->filesz -= cut;
	s->memsz -= cut;
}

/*
 * Load an ELF at its physical addresses. A Linux vmlinux is linked at a
 * virtual address in the top half (0xffffffff8...) and its p_paddr may be
 * an offset from 0 rather than a RAM address (the generic linker script's
 * AT(ADDR(x) - LOAD_OFFSET)); when the physical addresses do not fit in
 * RAM and every segment is linked in the top half, the image is moved as
 * a whole to reloc_base, as the equivalent Image would be.
 */
static int loader_load_elf(struct loader *l, const struct image_file *f, bool may_reloc,
			   gpa_t reloc_base, struct placed *p)
{
	Elf *elf;
	GElf_Ehdr eh;
	struct elf_seg *seg = NULL;
	char *copy = NULL;
	int n, ret = -1;
	uint64_t delta = 0, lo = UINT64_MAX, hi = 0;
	bool fits = true, high = true;
	gpa_t entry;

	if (elf_check_ident(f, l->err) != 0)
		return -1;
	if (elf_version(EV_CURRENT) == EV_NONE) {
		hv_err_set(l->err, "%s: libelf is unusable: %s", f->path, elf_errmsg(-1));
		return -1;
	}
	if (f->mem) {
		/* elf_memory takes a mutable image (libelf may convert it in
		 * place); ours is the caller's and read-only. */
		copy = malloc(f->size);
		if (!copy) {
			hv_err_set(l->err, "%s: out of host memory reading the ELF file", f->path);
			return -1;
		}
		memcpy(copy, f->mem, f->size);
		elf = elf_memory(copy, f->size);
	} else {
		elf = elf_begin(f->fd, ELF_C_READ, NULL);
	}
	if (!elf || elf_kind(elf) != ELF_K_ELF || !gelf_getehdr(elf, &eh)) {
		hv_err_set(l->err, "%s: malformed ELF file: %s", f->path, elf_errmsg(-1));
		goto out;
	}
	if (eh.e_type != ET_EXEC && eh.e_type != ET_DYN) {
		hv_err_set(l->err, "%s: is not an executable ELF file (e_type %u%s)", f->path,
			   eh.e_type,
			   eh.e_type == ET_REL ? ", a relocatable object: link it first" : "");
		goto out;
	}
	if (eh.e_phnum != 0 && eh.e_phentsize != sizeof(Elf64_Phdr)) {
		hv_err_set(l->err, "%s: bad ELF program header size %u (expected %zu)", f->path,
			   eh.e_phentsize, sizeof(Elf64_Phdr));
		goto out;
	}
	n = elf_collect(f, elf, &seg, l->err);
	if (n < 0)
		goto out;

	for (int i = 0; i < n; i++) {
		elf_trim_below_ram(l, elf, &seg[i]);
		if (!ram_contains(l, seg[i].paddr, seg[i].memsz))
			fits = false;
		if (!(seg[i].vaddr >> 63))
			high = false;
		if (seg[i].paddr < lo)
			lo = seg[i].paddr;
	}
	if (!fits && high && may_reloc)
		delta = reloc_base - lo; /* modular: applied with unsigned wrap */

	lo = UINT64_MAX;
	for (int i = 0; i < n; i++) {
		gpa_t pa = seg[i].paddr + delta;
		char what[48];

		snprintf(what, sizeof(what), "ELF segment %u", seg[i].index);
		if (region_claim(l, f->path, what, pa, seg[i].memsz) != 0)
			goto out;
		if (ram_copy_file(l, f, seg[i].off, pa, seg[i].filesz) != 0 ||
		    ram_zero(l, f->path, pa + seg[i].filesz, seg[i].memsz - seg[i].filesz) != 0)
			goto out;
		if (pa < lo)
			lo = pa;
		if (pa + seg[i].memsz > hi)
			hi = pa + seg[i].memsz;
	}

	entry = eh.e_entry;
	if (!ram_contains(l, entry, 1)) {
		for (int i = 0; i < n; i++) {
			if (entry - seg[i].vaddr < seg[i].memsz) {
				entry = seg[i].paddr + delta + (entry - seg[i].vaddr);
				break;
			}
		}
	}
	if (!ram_contains(l, entry, 1)) {
		hv_err_set(l->err, "%s: the ELF entry point 0x%llx is outside RAM 0x%llx-0x%llx "
			   "and inside no loadable segment", f->path,
			   (unsigned long long)eh.e_entry, (unsigned long long)l->ram_base,
			   (unsigned long long)(l->ram_end - 1));
		goto out;
	}
	p->start = lo;
	p->end = hi;
	p->entry = entry;
	ret = 0;
out:
	free(seg);
	if (elf)
		elf_end(elf);
	free(copy);
	return ret;
}

/* ---- Image and raw ---- */

static int loader_load_blob(struct loader *l, const struct image_file *f, gpa_t at,
			    uint64_t reserve, struct placed *p)
{
	if (region_claim(l, f->path, f->role, at, reserve) != 0 ||
	    ram_copy_file(l, f, 0, at, f->size) != 0)
		return -1;
	p->start = at;
	p->end = at + reserve;
	p->entry = at;
	return 0;
}

/*
 * Linux RISC-V Image: loaded at RAM base + text_offset (but never below
 * the mode's kernel start, i.e. over firmware). image_size is the memory
 * the kernel uses from its load address (text, data and bss), which can
 * be more than the file; 0 means an old header without it.
 */
static int loader_load_image(struct loader *l, const struct image_file *f, gpa_t kstart,
			     struct placed *p)
{
	uint64_t text_offset, image_size, flags, reserve;
	gpa_t at;

	if (f->head_len < IMAGE_HDR_SIZE) {
		hv_err_set(l->err, "%s: truncated Linux Image header (%zu of %d bytes)", f->path,
			   f->head_len, IMAGE_HDR_SIZE);
		return -1;
	}
	text_offset = le_read(f->head + 8, 8);
	image_size = le_read(f->head + 16, 8);
	flags = le_read(f->head + 24, 8);
	if (flags & IMAGE_FLAG_BE) {
		hv_err_set(l->err, "%s: is a big-endian Linux Image; RISC-V guests here are "
			   "little-endian", f->path);
		return -1;
	}
	if (text_offset >= l->ram_end - l->ram_base) {
		hv_err_set(l->err, "%s: Linux Image text_offset 0x%llx is beyond RAM (size "
			   "0x%llx)", f->path, (unsigned long long)text_offset,
			   (unsigned long long)(l->ram_end - l->ram_base));
		return -1;
	}
	at = l->ram_base + text_offset;
	if (at < kstart)
		at = kstart;
	reserve = image_size > f->size ? image_size : f->size;
	if (!ram_contains(l, at, reserve)) {
		hv_err_set(l->err, "%s: the Linux Image needs 0x%llx bytes at 0x%llx (image_size "
			   "0x%llx) but RAM ends at 0x%llx; use a larger --memory", f->path,
			   (unsigned long long)reserve, (unsigned long long)at,
			   (unsigned long long)image_size, (unsigned long long)(l->ram_end - 1));
		return -1;
	}
	return loader_load_blob(l, f, at, reserve, p);
}

/* Load a kernel or firmware file of any bootable format. raw_at is where
 * a raw binary goes; a kernel ELF may be relocated there (vmlinux). */
static int loader_load_file(struct loader *l, const char *path, const struct loader_image *img,
			    const char *role, gpa_t raw_at, bool is_kernel, struct placed *p,
			    int *format)
{
	struct image_file f;
	int fmt, ret = -1;

	if (image_open(&f, path, img, role, l->err) != 0)
		return -1;
	fmt = loader_classify(&f, l->err);
	if (fmt == LOADER_FMT_ELF)
		ret = loader_load_elf(l, &f, is_kernel, raw_at, p);
	else if (fmt == LOADER_FMT_IMAGE && is_kernel)
		ret = loader_load_image(l, &f, raw_at, p);
	else if (fmt > 0)
		ret = loader_load_blob(l, &f, raw_at, f.size, p);
	file_close(&f);
	*format = fmt;
	return ret;
}

struct initrd_ram {
	struct machine *m;
	gpa_t base;
};

static bool initrd_ram_read(void *opaque, uint64_t off, void *buf, size_t len)
{
	const struct initrd_ram *r = opaque;

	return machine_read_phys(r->m, r->base + off, buf, len);
}

static int loader_load_initrd(struct loader *l, const char *path, const struct loader_image *img,
			      gpa_t kernel_start, struct placed *p)
{
	struct image_file f;
	uint64_t ram_size = l->ram_end - l->ram_base;
	uint64_t off = ram_size / 2 < LOADER_INITRD_MAX_OFF ? ram_size / 2
							     : LOADER_INITRD_MAX_OFF;
	gpa_t at = kernel_start + off;
	int ret = -1;

	if (image_open(&f, path, img, "initrd", l->err) != 0)
		return -1;
	path = f.path;
	if (!ram_contains(l, at, f.size)) {
		hv_err_set(l->err, "%s: the initrd (size 0x%llx) does not fit in RAM at 0x%llx "
			   "(RAM ends at 0x%llx); use a larger --memory", path,
			   (unsigned long long)f.size, (unsigned long long)at,
			   (unsigned long long)(l->ram_end - 1));
		goto out;
	}
	if (region_claim(l, path, "initrd", at, f.size) != 0 ||
	    ram_copy_file(l, &f, 0, at, f.size) != 0)
		goto out;
	struct initrd_ram src = { l->m, at };
	if (initrd_check(path, f.size, initrd_ram_read, &src, l->err) != 0)
		goto out;
	p->start = at;
	p->end = at + f.size;
	p->entry = 0;
	ret = 0;
out:
	file_close(&f);
	return ret;
}

/* ---- device tree, firmware handoff, harts ---- */

static int loader_place_dtb(struct loader *l, gpa_t *addr)
{
	struct machine *m = l->m;
	gpa_t top = l->ram_end;
	gpa_t at;

	if (l->ram_base < LOADER_DTB_LIMIT && top > LOADER_DTB_LIMIT)
		top = LOADER_DTB_LIMIT;
	if (!m->fdt || m->fdt_size == 0 || m->fdt_size > top - l->ram_base) {
		hv_err_set(l->err, "device tree: the blob (size 0x%zx) does not fit below 0x%llx",
			   m->fdt_size, (unsigned long long)top);
		return -1;
	}
	at = align_down(top - m->fdt_size, LOADER_ALIGN_2M);
	if (at < l->ram_base) {
		hv_err_set(l->err, "device tree: no 2 MiB-aligned room for the blob (size "
			   "0x%zx) in RAM 0x%llx-0x%llx", m->fdt_size,
			   (unsigned long long)l->ram_base, (unsigned long long)(l->ram_end - 1));
		return -1;
	}
	if (region_claim(l, NULL, "device tree", at, m->fdt_size) != 0 ||
	    ram_write(l, NULL, at, m->fdt, m->fdt_size) != 0)
		return -1;
	m->dtb_addr = at;
	*addr = at;
	return 0;
}

/* OpenSBI fw_dynamic_info, version 2: tells the firmware where the next
 * stage is and in which mode to enter it. QEMU fills it the same way
 * (riscv_rom_copy_firmware_info): boot hart 0, no options. */
static int loader_place_fw_dyn(struct loader *l, gpa_t dtb, gpa_t next, gpa_t *addr)
{
	uint8_t info[LOADER_FW_DYN_SIZE];
	gpa_t at = dtb - 64;

	le_write64(info + 0, LOADER_FW_DYN_MAGIC);
	le_write64(info + 8, LOADER_FW_DYN_VERSION);
	le_write64(info + 16, next);
	le_write64(info + 24, LOADER_FW_DYN_NEXT_MODE_S);
	le_write64(info + 32, 0);
	le_write64(info + 40, 0);
	if (dtb < l->ram_base + 64) {
		hv_err_set(l->err, "device tree: no room for the firmware handoff info below "
			   "it at 0x%llx", (unsigned long long)dtb);
		return -1;
	}
	if (region_claim(l, NULL, "firmware handoff info", at, sizeof(info)) != 0 ||
	    ram_write(l, NULL, at, info, sizeof(info)) != 0)
		return -1;
	*addr = at;
	return 0;
}

/*
 * Hart registers at the first instruction, as QEMU's reset vector leaves
 * them: a0 = mhartid, a1 = DTB, a2 = fw_dynamic_info (firmware mode).
 * Paravirtual: the SBI spec's boot protocol — only the boot hart runs, in
 * S-mode; the others wait in HSM STOPPED until sbi_hart_start.
 */
static void loader_setup_harts(struct machine *m, enum hv_boot boot, gpa_t pc, gpa_t dtb,
			       gpa_t fw_dyn)
{
	for (unsigned i = 0; i < m->nharts; i++) {
		struct hart *h = m->hart[i];

		h->pc = pc;
		h->x[10] = i;
		h->x[11] = dtb;
		if (boot == BOOT_BIOS)
			h->x[12] = fw_dyn;
		if (boot == BOOT_PV) {
			h->priv = PRIV_S;
			h->hsm = i == 0 ? HSM_STARTED : HSM_STOPPED;
		} else {
			h->priv = PRIV_M;
			h->hsm = HSM_STARTED;
		}
		hart_flush_tlb(h);
	}
}

int loader_load(struct machine *m, const struct loader_opts *o, struct hv_err *err)
{
	struct loader l = { .m = m, .err = err };
	enum hv_boot boot = loader_boot_mode(o->bios);
	struct loader_info info = { 0 };
	struct placed fw = { 0 }, k = { 0 }, rd = { 0 };
	gpa_t kstart, dtb = 0, fw_dyn = 0;
	const char *kernel = o->kernel_mem ? o->kernel_mem->name : o->kernel;
	int fmt, ret = -1;

	if (!kernel) {
		hv_err_set(err, "no kernel given; name one with --kernel");
		return -1;
	}
	if (m->cfg.boot != boot) {
		hv_err_set(err, "%s: the machine was created for another boot mode than "
			   "--bios asks for", kernel);
		return -1;
	}
	l.ram_base = m->ram.base;
	l.ram_end = m->ram.base + m->ram.size;
	l.reg = calloc(LOADER_MAX_REGIONS, sizeof(*l.reg));
	l.buf = malloc(LOADER_CHUNK);
	if (!l.reg || !l.buf) {
		hv_err_set(err, "%s: out of host memory while loading", kernel);
		goto out;
	}

	switch (boot) {
	case BOOT_PV:
		kstart = LOADER_KERNEL_ADDR;
		break;
	case BOOT_BARE:
		kstart = l.ram_base;
		break;
	default:
		if (loader_load_file(&l, o->bios, NULL, "firmware", l.ram_base, false, &fw,
				     &fmt) != 0)
			goto out;
		/* riscv_calc_kernel_start_addr: RV64 kernels are 2 MiB aligned. */
		kstart = align_up(fw.end, LOADER_ALIGN_2M);
		break;
	}
	if (loader_load_file(&l, o->kernel, o->kernel_mem, "kernel", kstart, true, &k, &fmt) != 0)
		goto out;
	info.kernel_format = (enum loader_format)fmt;
	if ((o->initrd || o->initrd_mem) &&
	    loader_load_initrd(&l, o->initrd, o->initrd_mem, k.start, &rd) != 0)
		goto out;
	if (fdt_build(m, rd.start, rd.end, err) != 0 || loader_place_dtb(&l, &dtb) != 0)
		goto out;
	if (boot == BOOT_BIOS && loader_place_fw_dyn(&l, dtb, k.entry, &fw_dyn) != 0)
		goto out;
	loader_setup_harts(m, boot, boot == BOOT_BIOS ? fw.entry : k.entry, dtb, fw_dyn);

	info.kernel_start = k.start;
	info.kernel_end = k.end;
	info.kernel_entry = k.entry;
	info.fw_start = fw.start;
	info.fw_end = fw.end;
	info.fw_entry = fw.entry;
	info.fw_dyn_addr = fw_dyn;
	info.initrd_start = rd.start;
	info.initrd_end = rd.end;
	info.dtb_addr = dtb;
	info.dtb_size = m->fdt_size;
	if (o->info)
		*o->info = info;
	ret = 0;
out:
	free(l.reg);
	free(l.buf);
	return ret;
}
