// SPDX-License-Identifier: MIT
/*
 * The snapshot tree (tree.h). A flat array of nodes, each naming its
 * parent by index (-1 for a root); the tree is small (named by people and
 * harnesses), so lookups are linear. Deleting a node re-parents its
 * children, so the tree stays a tree whatever the order of deletions.
 */
#include "snapshot/tree.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "snapshot/snap.h"

struct snap_node {
	char name[SNAPTREE_NAME_MAX + 1];
	struct snap *snap;
	int parent;
};

struct snap_tree {
	struct snap_node *node;
	unsigned n, cap;
	int current; /* the node the machine's state descends from, or -1 */
};

bool snaptree_name_ok(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > SNAPTREE_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isgraph((unsigned char)name[i]))
			return false;
	return true;
}

struct snap_tree *snaptree_create(void)
{
	struct snap_tree *t = calloc(1, sizeof(*t));

	if (t)
		t->current = -1;
	return t;
}

void snaptree_destroy(struct snap_tree *t)
{
	if (!t)
		return;
	for (unsigned i = 0; i < t->n; i++)
		snap_free(t->node[i].snap);
	free(t->node);
	free(t);
}

static int snaptree_index(const struct snap_tree *t, const char *name)
{
	for (unsigned i = 0; i < t->n; i++)
		if (strcmp(t->node[i].name, name) == 0)
			return (int)i;
	return -1;
}

const struct snap *snaptree_find(const struct snap_tree *t, const char *name)
{
	int i = snaptree_index(t, name);

	return i < 0 ? NULL : t->node[i].snap;
}

unsigned snaptree_count(const struct snap_tree *t)
{
	return t->n;
}

/* Remove node i: children move to its parent, indices above i shift. */
static void snaptree_remove(struct snap_tree *t, unsigned i)
{
	int up = t->node[i].parent;

	snap_free(t->node[i].snap);
	for (unsigned k = 0; k < t->n; k++)
		if (t->node[k].parent == (int)i)
			t->node[k].parent = up;
	if (t->current == (int)i)
		t->current = up;
	memmove(&t->node[i], &t->node[i + 1], (t->n - i - 1) * sizeof(t->node[0]));
	t->n--;
	for (unsigned k = 0; k < t->n; k++)
		if (t->node[k].parent > (int)i)
			t->node[k].parent--;
	if (t->current > (int)i)
		t->current--;
}

int snaptree_take(struct snap_tree *t, struct machine *m, const char *name, struct hv_err *err)
{
	if (!snaptree_name_ok(name)) {
		hv_err_set(err,
			   "'%.80s' is not a snapshot name (1 to %d printable characters, "
			   "no spaces)",
			   name, SNAPTREE_NAME_MAX);
		return -1;
	}
	struct snap *s = snap_take(m, err);
	if (!s)
		return -1;
	int old = snaptree_index(t, name);
	if (old >= 0)
		snaptree_remove(t, (unsigned)old);
	if (t->n == SNAPTREE_MAX) {
		snap_free(s);
		hv_err_set(err, "the snapshot tree is full (%d snapshots); delete some first",
			   SNAPTREE_MAX);
		return -1;
	}
	if (t->n == t->cap) {
		unsigned ncap = t->cap ? t->cap * 2 : 16;
		struct snap_node *nn = realloc(t->node, ncap * sizeof(*nn));
		if (!nn) {
			snap_free(s);
			hv_err_set(err, "out of host memory taking a snapshot");
			return -1;
		}
		t->node = nn;
		t->cap = ncap;
	}
	struct snap_node *nd = &t->node[t->n];
	snprintf(nd->name, sizeof(nd->name), "%s", name);
	nd->snap = s;
	nd->parent = t->current;
	t->current = (int)t->n++;
	return 0;
}

int64_t snaptree_restore(struct snap_tree *t, struct machine *m, const char *name,
			 struct hv_err *err)
{
	int i = snaptree_index(t, name);

	if (i < 0) {
		hv_err_set(err, "no snapshot named '%.80s'", name);
		return -1;
	}
	int64_t r = snap_restore(m, t->node[i].snap, err);
	if (r >= 0)
		t->current = i;
	return r;
}

int snaptree_delete(struct snap_tree *t, const char *name, struct hv_err *err)
{
	int i = snaptree_index(t, name);

	if (i < 0) {
		hv_err_set(err, "no snapshot named '%.80s'", name);
		return -1;
	}
	snaptree_remove(t, (unsigned)i);
	return 0;
}

static void snaptree_print_from(const struct snap_tree *t, int parent, unsigned depth, FILE *out)
{
	for (unsigned i = 0; i < t->n; i++) {
		if (t->node[i].parent != parent)
			continue;
		fprintf(out, "%*s%s %s at instruction %llu\n", (int)(2 * depth), "",
			(int)i == t->current ? "*" : "-", t->node[i].name,
			(unsigned long long)snap_icount(t->node[i].snap));
		if (depth < SNAPTREE_MAX)
			snaptree_print_from(t, (int)i, depth + 1, out);
	}
}

void snaptree_print(const struct snap_tree *t, FILE *out)
{
	if (!t->n)
		fprintf(out, "no snapshots\n");
	snaptree_print_from(t, -1, 0, out);
}
