/* SPDX-License-Identifier: MIT */
/*
 * ELF symbols of a guest image (a Linux vmlinux or any ELF64 RISC-V file
 * with a .symtab), read with libelf.
 *
 * The file is untrusted: a truncated or corrupt ELF makes intro_syms_open
 * fail with a sentence in err, never crash. Once open, the table is an
 * immutable copy (the file may change or vanish afterwards) and lookups
 * may run concurrently.
 */
#ifndef INTROSPECT_SYMS_H
#define INTROSPECT_SYMS_H

#include <stddef.h>
#include <stdint.h>

#include "hv/types.h"

struct intro_syms;

/* Read the symbol table of the ELF64 RISC-V file at path. Returns NULL
 * with a sentence in err on failure (not found, not ELF64 RISC-V, no
 * .symtab, truncated). */
struct intro_syms *intro_syms_open(const char *path, struct hv_err *err);

void intro_syms_close(struct intro_syms *syms);

/*
 * The symbol covering addr: the nearest function or object symbol (or
 * untyped symbol with a size, such as an assembly entry point) starting
 * at or below addr whose [value, value + size) contains it; a symbol of
 * size 0 covers only its own address. On success *name points into the
 * table (valid until intro_syms_close), *offset is addr - value and 0 is
 * returned; -1 when no symbol covers addr.
 */
int intro_sym_lookup(const struct intro_syms *syms, uint64_t addr, const char **name,
		     uint64_t *offset);

/* The value of the defined symbol called name (any type, global first
 * when a local of the same name exists). 0 or -1 if absent. */
int intro_sym_addr(const struct intro_syms *syms, const char *name, uint64_t *addr);

/* The size field of that symbol; 0 or -1 if absent. */
int intro_sym_size(const struct intro_syms *syms, const char *name, uint64_t *size);

/* Number of symbols intro_sym_lookup searches. */
size_t intro_syms_count(const struct intro_syms *syms);

#endif
