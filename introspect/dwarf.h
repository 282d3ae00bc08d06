/* SPDX-License-Identifier: MIT */
/*
 * Type layouts from the DWARF of a guest image (a Linux vmlinux built with
 * debug info), read with libdw from elfutils.
 *
 * Lookups go through a name index (struct/union tags and typedefs at the
 * top level of every unit, type units included) that is built lazily:
 * the first lookup scans units only until the name appears, later misses
 * resume the scan where it stopped. The first complete definition of a
 * name wins (a kernel without struct randomization has one layout per
 * name). The file is untrusted: a corrupt DWARF makes open or a lookup
 * fail, never crash, and every walk over types is bounded in depth.
 *
 * Not thread-safe: the index grows during lookups.
 */
#ifndef INTROSPECT_DWARF_H
#define INTROSPECT_DWARF_H

#include <stdint.h>

#include "hv/types.h"

struct intro_dwarf;

/* Open path's DWARF. NULL with a sentence in err when the file cannot be
 * read or carries no DWARF. */
struct intro_dwarf *intro_dwarf_open(const char *path, struct hv_err *err);

void intro_dwarf_close(struct intro_dwarf *dw);

/* sizeof(struct type) (type is a struct or union tag, optionally written
 * "struct x" / "union x", or a typedef of one). 0 or -1 if unknown. */
int intro_struct_size(struct intro_dwarf *dw, const char *type, uint64_t *size);

/*
 * offsetof(type, path): path is a member name or a dotted path through
 * nested aggregates ("tasks.next", "thread_info.flags"). Members of
 * anonymous structs and unions are found as if they were direct members,
 * as C allows. An array member on the way stands for its element 0
 * ("mem.base" is mem[0].base). A bit-field reports the byte holding its
 * first bit. 0 or -1 if unknown.
 */
int intro_member_offset(struct intro_dwarf *dw, const char *type, const char *path,
			uint64_t *offset);

/* sizeof(((type *)0)->path) with the same path rules; 0 or -1. */
int intro_member_size(struct intro_dwarf *dw, const char *type, const char *path, uint64_t *size);

/* Whether the struct has the member (path rules as above). */
int intro_member_exists(struct intro_dwarf *dw, const char *type, const char *path);

#endif
