// SPDX-License-Identifier: MIT
/*
 * DWARF type layouts with libdw (DWARF 5 standard, sections 5.7 "Structure,
 * Union, Class and Interface Type Entries" and 2.17 for member locations;
 * DWARF 4 type units are read the same way through dwarf_get_units).
 *
 * Index: an open-addressing hash table from (kind, name) to a Dwarf_Die,
 * filled by scanning the direct children of each unit's root DIE. The
 * scan is incremental (scan_cu remembers the last unit indexed) because a
 * whole 6.1 vmlinux holds thousands of units while the types a caller
 * wants are usually defined in the first few. Names point into libdw's
 * string section data and stay valid until dwarf_end.
 *
 * Untrusted input: libdw bounds-checks DIE and attribute reads; here every
 * recursion (anonymous members, path components, array peeling) has a
 * fixed depth limit, and a member walk visits at most the DIE's children.
 */
#include "introspect/dwarf.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Nesting limits for hostile or pathological DWARF. */
#define DW_MAX_ANON_DEPTH 16
#define DW_MAX_PATH 16
#define DW_MAX_ARRAY_PEEL 8

enum dw_kind {
	DW_KIND_AGG = 1, /* struct, union or class tag */
	DW_KIND_TYPEDEF = 2,
};

struct dw_entry {
	const char *name; /* NULL: free slot */
	unsigned kind;
	Dwarf_Die die;
};

struct intro_dwarf {
	int fd;
	Dwarf *dbg;
	struct dw_entry *tab;
	size_t cap; /* power of two */
	size_t used;
	Dwarf_CU *scan_cu; /* last unit indexed, NULL before the first */
	int scan_done;
};

static uint64_t dw_hash(const char *s, unsigned kind)
{
	uint64_t h = 1469598103934665603ull ^ kind; /* FNV-1a */

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static struct dw_entry *dw_slot(struct dw_entry *tab, size_t cap, const char *name, unsigned kind)
{
	size_t i = dw_hash(name, kind) & (cap - 1);

	while (tab[i].name && (tab[i].kind != kind || strcmp(tab[i].name, name)))
		i = (i + 1) & (cap - 1);
	return &tab[i];
}

static int dw_grow(struct intro_dwarf *dw)
{
	size_t ncap = dw->cap ? dw->cap * 2 : 4096;
	struct dw_entry *ntab = calloc(ncap, sizeof(*ntab));

	if (!ntab)
		return -1;
	for (size_t i = 0; i < dw->cap; i++)
		if (dw->tab[i].name)
			*dw_slot(ntab, ncap, dw->tab[i].name, dw->tab[i].kind) = dw->tab[i];
	free(dw->tab);
	dw->tab = ntab;
	dw->cap = ncap;
	return 0;
}

/* Record die under (kind, name) unless a definition is already there. */
static int dw_index_add(struct intro_dwarf *dw, const char *name, unsigned kind, Dwarf_Die *die)
{
	struct dw_entry *e;

	if ((dw->used + 1) * 2 > dw->cap && dw_grow(dw) != 0)
		return -1;
	e = dw_slot(dw->tab, dw->cap, name, kind);
	if (e->name)
		return 0;
	e->name = name;
	e->kind = kind;
	e->die = *die;
	dw->used++;
	return 0;
}

static void dw_index_die(struct intro_dwarf *dw, Dwarf_Die *die)
{
	int tag = dwarf_tag(die);
	unsigned kind;
	const char *name;
	Dwarf_Attribute attr;

	if (tag == DW_TAG_structure_type || tag == DW_TAG_union_type || tag == DW_TAG_class_type)
		kind = DW_KIND_AGG;
	else if (tag == DW_TAG_typedef)
		kind = DW_KIND_TYPEDEF;
	else
		return;
	name = dwarf_diename(die);
	if (!name)
		return;
	/* A forward declaration ("struct task_struct;") has no layout. */
	if (kind == DW_KIND_AGG && dwarf_attr(die, DW_AT_declaration, &attr))
		return;
	dw_index_add(dw, name, kind, die);
}

/* Index units until (kind, name) is known or the units run out. */
static const struct dw_entry *dw_lookup(struct intro_dwarf *dw, const char *name, unsigned kind)
{
	for (;;) {
		if (dw->cap) {
			const struct dw_entry *e = dw_slot(dw->tab, dw->cap, name, kind);

			if (e->name)
				return e;
		}
		if (dw->scan_done)
			return NULL;

		Dwarf_CU *next;
		Dwarf_Half version;
		uint8_t unit_type;
		Dwarf_Die cudie, subdie, child;

		if (dwarf_get_units(dw->dbg, dw->scan_cu, &next, &version, &unit_type, &cudie,
				    &subdie) != 0) {
			dw->scan_done = 1;
			continue;
		}
		dw->scan_cu = next;
		if (dwarf_tag(&cudie) == DW_TAG_invalid || dwarf_child(&cudie, &child) != 0)
			continue;
		do
			dw_index_die(dw, &child);
		while (dwarf_siblingof(&child, &child) == 0);
	}
}

/* The aggregate DIE for a type name: a tag, or a typedef of one. */
static int dw_find_aggregate(struct intro_dwarf *dw, const char *type, Dwarf_Die *out)
{
	const struct dw_entry *e;
	Dwarf_Die peeled;

	if (!strncmp(type, "struct ", 7))
		type += 7;
	else if (!strncmp(type, "union ", 6))
		type += 6;
	e = dw_lookup(dw, type, DW_KIND_AGG);
	if (!e)
		e = dw_lookup(dw, type, DW_KIND_TYPEDEF);
	if (!e)
		return -1;
	peeled = e->die;
	if (dwarf_peel_type(&peeled, &peeled) != 0)
		return -1;
	int tag = dwarf_tag(&peeled);
	if (tag != DW_TAG_structure_type && tag != DW_TAG_union_type && tag != DW_TAG_class_type)
		return -1;
	/* A typedef may name a declaration; complete it through the index. */
	if (dwarf_hasattr(&peeled, DW_AT_declaration)) {
		const char *n = dwarf_diename(&peeled);

		if (!n || !(e = dw_lookup(dw, n, DW_KIND_AGG)))
			return -1;
		peeled = e->die;
	}
	*out = peeled;
	return 0;
}

/* The DIE's DW_AT_type, peeled of typedefs and qualifiers. */
static int dw_member_type(Dwarf_Die *die, Dwarf_Die *type)
{
	Dwarf_Attribute attr;

	if (!dwarf_attr_integrate(die, DW_AT_type, &attr) || !dwarf_formref_die(&attr, type))
		return -1;
	return dwarf_peel_type(type, type) == 0 ? 0 : -1;
}

/* DW_AT_data_member_location as a constant or a DW_OP_plus_uconst
 * expression (DWARF 5 section 5.7.6); union members have none (0). */
static int dw_member_location(Dwarf_Die *member, uint64_t *off)
{
	Dwarf_Attribute attr;
	Dwarf_Word w;

	if (dwarf_attr(member, DW_AT_data_member_location, &attr)) {
		Dwarf_Op *ops;
		size_t nops;

		if (dwarf_formudata(&attr, &w) == 0) {
			*off = w;
			return 0;
		}
		if (dwarf_getlocation(&attr, &ops, &nops) == 0 && nops == 1 &&
		    ops[0].atom == DW_OP_plus_uconst) {
			*off = ops[0].number;
			return 0;
		}
		return -1;
	}
	if (dwarf_attr(member, DW_AT_data_bit_offset, &attr)) {
		if (dwarf_formudata(&attr, &w) != 0)
			return -1;
		*off = w / 8;
		return 0;
	}
	*off = 0;
	return 0;
}

static int dw_is_aggregate(Dwarf_Die *die)
{
	int tag = dwarf_tag(die);

	return tag == DW_TAG_structure_type || tag == DW_TAG_union_type || tag == DW_TAG_class_type;
}

/* Find member name[0..len) in agg, looking through anonymous members.
 * On success *off is its offset from agg's start and *member its DIE. */
static int dw_find_member(Dwarf_Die *agg, const char *name, size_t len, uint64_t *off,
			  Dwarf_Die *member, int depth)
{
	Dwarf_Die child;

	if (depth > DW_MAX_ANON_DEPTH || dwarf_child(agg, &child) != 0)
		return -1;
	do {
		const char *n;
		uint64_t base;

		if (dwarf_tag(&child) != DW_TAG_member)
			continue;
		n = dwarf_diename(&child);
		if (n && strlen(n) == len && !memcmp(n, name, len)) {
			if (dw_member_location(&child, off) != 0)
				return -1;
			*member = child;
			return 0;
		}
		if (!n) {
			Dwarf_Die inner;
			uint64_t inner_off;

			if (dw_member_type(&child, &inner) != 0 || !dw_is_aggregate(&inner))
				continue;
			if (dw_find_member(&inner, name, len, &inner_off, member, depth + 1) != 0)
				continue;
			if (dw_member_location(&child, &base) != 0)
				return -1;
			*off = base + inner_off;
			return 0;
		}
	} while (dwarf_siblingof(&child, &child) == 0);
	return -1;
}

/* Resolve a dotted path; *member is the last component's DIE. */
static int dw_resolve(struct intro_dwarf *dw, const char *type, const char *path, uint64_t *off,
		      Dwarf_Die *member)
{
	Dwarf_Die cur;
	uint64_t total = 0;
	const char *p = path;

	if (!path || !*path || dw_find_aggregate(dw, type, &cur) != 0)
		return -1;
	for (int comp = 0; comp < DW_MAX_PATH; comp++) {
		const char *dot = strchr(p, '.');
		size_t len = dot ? (size_t)(dot - p) : strlen(p);
		uint64_t moff;

		for (int k = 0; k < DW_MAX_ARRAY_PEEL && dwarf_tag(&cur) == DW_TAG_array_type; k++)
			if (dw_member_type(&cur, &cur) != 0)
				return -1;
		if (!len || !dw_is_aggregate(&cur))
			return -1;
		if (dw_find_member(&cur, p, len, &moff, member, 0) != 0)
			return -1;
		total += moff;
		if (!dot) {
			*off = total;
			return 0;
		}
		if (dw_member_type(member, &cur) != 0)
			return -1;
		p = dot + 1;
	}
	return -1;
}

int intro_member_offset(struct intro_dwarf *dw, const char *type, const char *path,
			uint64_t *offset)
{
	Dwarf_Die member;

	return dw_resolve(dw, type, path, offset, &member);
}

int intro_member_size(struct intro_dwarf *dw, const char *type, const char *path, uint64_t *size)
{
	Dwarf_Die member, mtype;
	Dwarf_Word w;
	uint64_t off;

	if (dw_resolve(dw, type, path, &off, &member) != 0 || dw_member_type(&member, &mtype) != 0)
		return -1;
	if (dwarf_aggregate_size(&mtype, &w) == 0) {
		*size = w;
		return 0;
	}
	/* Pointers and base types carry DW_AT_byte_size themselves. */
	Dwarf_Attribute attr;
	if (dwarf_attr(&mtype, DW_AT_byte_size, &attr) && dwarf_formudata(&attr, &w) == 0) {
		*size = w;
		return 0;
	}
	return -1;
}

int intro_member_exists(struct intro_dwarf *dw, const char *type, const char *path)
{
	uint64_t off;

	return intro_member_offset(dw, type, path, &off) == 0;
}

int intro_struct_size(struct intro_dwarf *dw, const char *type, uint64_t *size)
{
	Dwarf_Die agg;
	Dwarf_Word w;

	if (dw_find_aggregate(dw, type, &agg) != 0 || dwarf_aggregate_size(&agg, &w) != 0)
		return -1;
	*size = w;
	return 0;
}

struct intro_dwarf *intro_dwarf_open(const char *path, struct hv_err *err)
{
	struct intro_dwarf *dw = calloc(1, sizeof(*dw));

	if (!dw) {
		hv_err_set(err, "%s: out of memory.", path);
		return NULL;
	}
	dw->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (dw->fd < 0) {
		hv_err_set(err, "%s: cannot open the debug-info file: %s.", path, strerror(errno));
		free(dw);
		return NULL;
	}
	dw->dbg = dwarf_begin(dw->fd, DWARF_C_READ);
	if (!dw->dbg) {
		hv_err_set(err,
			   "%s: no readable DWARF debug information (%s); build the kernel "
			   "with CONFIG_DEBUG_INFO.",
			   path, dwarf_errmsg(-1));
		close(dw->fd);
		free(dw);
		return NULL;
	}
	/* Read the first unit now so a file whose DWARF is truncated fails
	 * at open, with a sentence, rather than at the first lookup. */
	Dwarf_CU *first;
	Dwarf_Half version;
	uint8_t unit_type;
	Dwarf_Die cudie, subdie;
	if (dwarf_get_units(dw->dbg, NULL, &first, &version, &unit_type, &cudie, &subdie) != 0 ||
	    dwarf_tag(&cudie) == DW_TAG_invalid) {
		hv_err_set(err,
			   "%s: the DWARF has no readable unit (%s); the file is truncated "
			   "or corrupt.",
			   path, dwarf_errmsg(-1));
		intro_dwarf_close(dw);
		return NULL;
	}
	return dw;
}

void intro_dwarf_close(struct intro_dwarf *dw)
{
	if (!dw)
		return;
	if (dw->dbg)
		dwarf_end(dw->dbg);
	if (dw->fd >= 0)
		close(dw->fd);
	free(dw->tab);
	free(dw);
}
