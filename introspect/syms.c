// SPDX-License-Identifier: MIT
/*
 * ELF symbol tables with libelf (System V ABI, "Symbol Table"; RISC-V
 * ELF psABI for EM_RISCV).
 *
 * intro_syms_open copies what it needs out of the file: every defined,
 * named symbol goes into a name-sorted array (for intro_sym_addr), and the
 * STT_FUNC/STT_OBJECT ones (plus sized STT_NOTYPE ones, which is how
 * assembly entry points look) also into an address-sorted array (for
 * intro_sym_lookup, a binary search). Names live in one string pool owned
 * by the table. The file is untrusted: libelf bounds-checks section data
 * against the file size, elf_strptr bounds-checks names, and every
 * failure becomes a sentence in err.
 */
#include "introspect/syms.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef EM_RISCV
#define EM_RISCV 243
#endif

/* How far intro_sym_lookup looks back from the nearest start for a symbol
 * that covers the address (symbols nested in a larger one). */
#define SYMS_NEST_SCAN 64

struct sym {
	uint64_t value;
	uint64_t size;
	uint32_t name; /* offset in pool */
	uint8_t global;
};

struct intro_syms {
	struct sym *by_addr;
	size_t n_addr;
	struct sym *by_name;
	size_t n_name;
	char *pool;
};

/* The comparators get the string pool through qsort_r's argument. */
static int syms_cmp_addr(const void *a, const void *b, void *pool_arg)
{
	const struct sym *x = a, *y = b;
	const char *sort_pool = pool_arg;

	if (x->value != y->value)
		return x->value < y->value ? -1 : 1;
	/* Among aliases, globals sort last: the backward scan meets them
	 * first. */
	if (x->global != y->global)
		return x->global - y->global;
	return strcmp(sort_pool + x->name, sort_pool + y->name);
}

static int syms_cmp_name(const void *a, const void *b, void *pool_arg)
{
	const struct sym *x = a, *y = b;
	const char *sort_pool = pool_arg;
	int c = strcmp(sort_pool + x->name, sort_pool + y->name);

	if (c)
		return c;
	return y->global - x->global; /* globals first */
}

void intro_syms_close(struct intro_syms *syms)
{
	if (!syms)
		return;
	free(syms->by_addr);
	free(syms->by_name);
	free(syms->pool);
	free(syms);
}

/* Fill syms from the symbol table section scn (header sh). */
static int syms_load(struct intro_syms *syms, Elf *elf, Elf_Scn *scn, const GElf_Shdr *sh,
		     const char *path, struct hv_err *err)
{
	Elf_Data *data = elf_getdata(scn, NULL);
	size_t n, pool_len = 0, pool_cap = 1 << 20;

	if (!data || !data->d_buf || sh->sh_entsize != sizeof(Elf64_Sym)) {
		hv_err_set(err,
			   "%s: the symbol table cannot be read (%s); the file is truncated "
			   "or corrupt.",
			   path, elf_errmsg(-1));
		return -1;
	}
	n = data->d_size / sizeof(Elf64_Sym);
	syms->by_addr = calloc(n ? n : 1, sizeof(struct sym));
	syms->by_name = calloc(n ? n : 1, sizeof(struct sym));
	syms->pool = malloc(pool_cap);
	if (!syms->by_addr || !syms->by_name || !syms->pool) {
		hv_err_set(err, "%s: out of memory for %zu symbols.", path, n);
		return -1;
	}
	for (size_t i = 1; i < n; i++) {
		GElf_Sym s;
		const char *name;
		size_t len;

		if (!gelf_getsym(data, (int)i, &s))
			break;
		unsigned type = GELF_ST_TYPE(s.st_info);
		if (s.st_shndx == SHN_UNDEF || s.st_name == 0 || type == STT_SECTION ||
		    type == STT_FILE)
			continue;
		name = elf_strptr(elf, sh->sh_link, s.st_name);
		if (!name) {
			hv_err_set(err,
				   "%s: symbol %zu has a name outside its string table; the "
				   "file is corrupt.",
				   path, i);
			return -1;
		}
		len = strlen(name) + 1;
		if (pool_len + len > pool_cap || pool_len + len > UINT32_MAX) {
			char *p;

			if (pool_len + len > UINT32_MAX) {
				hv_err_set(err, "%s: the symbol names exceed 4 GiB.", path);
				return -1;
			}
			while (pool_len + len > pool_cap)
				pool_cap *= 2;
			p = realloc(syms->pool, pool_cap);
			if (!p) {
				hv_err_set(err, "%s: out of memory for symbol names.", path);
				return -1;
			}
			syms->pool = p;
		}
		memcpy(syms->pool + pool_len, name, len);

		struct sym e = {
			.value = s.st_value,
			.size = s.st_size,
			.name = (uint32_t)pool_len,
			.global = GELF_ST_BIND(s.st_info) != STB_LOCAL,
		};
		pool_len += len;
		syms->by_name[syms->n_name++] = e;
		/* Assembly entry points (riscv's handle_exception) are
		 * STT_NOTYPE with a size from .size; they count as code. */
		if (type == STT_FUNC || type == STT_OBJECT || (type == STT_NOTYPE && e.size))
			syms->by_addr[syms->n_addr++] = e;
	}
	qsort_r(syms->by_addr, syms->n_addr, sizeof(struct sym), syms_cmp_addr, syms->pool);
	qsort_r(syms->by_name, syms->n_name, sizeof(struct sym), syms_cmp_name, syms->pool);
	return 0;
}

struct intro_syms *intro_syms_open(const char *path, struct hv_err *err)
{
	struct intro_syms *syms = NULL;
	Elf *elf = NULL;
	Elf_Scn *scn = NULL;
	GElf_Ehdr eh;
	int fd, found = 0;

	if (elf_version(EV_CURRENT) == EV_NONE) {
		hv_err_set(err, "libelf is too old for this program (elf_version failed).");
		return NULL;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		hv_err_set(err, "%s: cannot open the symbol file: %s.", path, strerror(errno));
		return NULL;
	}
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF) {
		hv_err_set(err, "%s: not an ELF file (%s).", path,
			   elf ? "unknown format" : elf_errmsg(-1));
		goto fail;
	}
	if (gelf_getclass(elf) != ELFCLASS64 || !gelf_getehdr(elf, &eh) ||
	    eh.e_machine != EM_RISCV) {
		hv_err_set(err, "%s: not an ELF64 RISC-V file; a guest vmlinux is expected.", path);
		goto fail;
	}
	syms = calloc(1, sizeof(*syms));
	if (!syms) {
		hv_err_set(err, "%s: out of memory.", path);
		goto fail;
	}
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;

		if (!gelf_getshdr(scn, &sh)) {
			hv_err_set(err,
				   "%s: a section header cannot be read (%s); the file is "
				   "truncated or corrupt.",
				   path, elf_errmsg(-1));
			goto fail;
		}
		if (sh.sh_type != SHT_SYMTAB)
			continue;
		if (syms_load(syms, elf, scn, &sh, path, err) != 0)
			goto fail;
		found = 1;
		break;
	}
	if (!found) {
		if (elf_errno() != 0)
			hv_err_set(err, "%s: the section headers cannot be read (%s).", path,
				   elf_errmsg(-1));
		else
			hv_err_set(err, "%s: the file has no .symtab (was it stripped?).", path);
		goto fail;
	}
	elf_end(elf);
	close(fd);
	return syms;
fail:
	intro_syms_close(syms);
	if (elf)
		elf_end(elf);
	close(fd);
	return NULL;
}

int intro_sym_lookup(const struct intro_syms *syms, uint64_t addr, const char **name,
		     uint64_t *offset)
{
	size_t lo = 0, hi = syms->n_addr;

	/* hi becomes the number of symbols whose value is <= addr. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (syms->by_addr[mid].value <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t k = 0; k < SYMS_NEST_SCAN && hi > 0; k++, hi--) {
		const struct sym *s = &syms->by_addr[hi - 1];
		uint64_t off = addr - s->value;

		if ((s->size && off < s->size) || (!s->size && off == 0)) {
			*name = syms->pool + s->name;
			*offset = off;
			return 0;
		}
	}
	return -1;
}

static const struct sym *syms_find(const struct intro_syms *syms, const char *name)
{
	size_t lo = 0, hi = syms->n_name;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(syms->pool + syms->by_name[mid].name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < syms->n_name && !strcmp(syms->pool + syms->by_name[lo].name, name))
		return &syms->by_name[lo];
	return NULL;
}

int intro_sym_addr(const struct intro_syms *syms, const char *name, uint64_t *addr)
{
	const struct sym *s = syms_find(syms, name);

	if (!s)
		return -1;
	*addr = s->value;
	return 0;
}

int intro_sym_size(const struct intro_syms *syms, const char *name, uint64_t *size)
{
	const struct sym *s = syms_find(syms, name);

	if (!s)
		return -1;
	*size = s->size;
	return 0;
}

size_t intro_syms_count(const struct intro_syms *syms)
{
	return syms->n_addr;
}
