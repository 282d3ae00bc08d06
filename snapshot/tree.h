/* SPDX-License-Identifier: MIT */
/*
 * The snapshot tree: named in-memory snapshots of one machine, each
 * remembering the snapshot its state descends from (the one last taken or
 * restored before it), as QEMU's savevm tags and Simics' bookmarks, but
 * copy-on-write and in memory. gdb's `monitor snapshot NAME` / `restore
 * NAME`, the paravirtual SBI extension and the reset loop name snapshots
 * here. Names are 1 to SNAPTREE_NAME_MAX printable characters without
 * spaces (they come from gdb and from guests: checked).
 */
#ifndef SNAPSHOT_TREE_H
#define SNAPSHOT_TREE_H

#include <stdio.h>

#include "hv/platform/machine.h"

#define SNAPTREE_NAME_MAX 63
#define SNAPTREE_MAX 4096

struct snap;
struct snap_tree;

struct snap_tree *snaptree_create(void);
/* Frees every snapshot; the machines they came from may be gone. */
void snaptree_destroy(struct snap_tree *t);

/* Take a snapshot of m named name (replacing one of that name, whose
 * children then descend from its parent). 0 or -1 with err. */
int snaptree_take(struct snap_tree *t, struct machine *m, const char *name, struct hv_err *err);
/* Restore the snapshot named name into m; returns pages put back or -1. */
int64_t snaptree_restore(struct snap_tree *t, struct machine *m, const char *name,
			 struct hv_err *err);
/* Delete a snapshot (its children move up to its parent). */
int snaptree_delete(struct snap_tree *t, const char *name, struct hv_err *err);
/* The snapshot named name, or NULL. */
const struct snap *snaptree_find(const struct snap_tree *t, const char *name);
/* Print the tree, one snapshot per line, indented under its parent, with
 * its instruction count; the current one (last taken or restored) marked. */
void snaptree_print(const struct snap_tree *t, FILE *out);
unsigned snaptree_count(const struct snap_tree *t);

/* A valid snapshot name? */
bool snaptree_name_ok(const char *name);

#endif
