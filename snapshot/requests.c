// SPDX-License-Identifier: MIT
/*
 * Snapshot requests made from inside a run (requests.h): the guest's
 * paravirtual SNAPSHOT and RESTORE (<retrovisor/pv.h>) and a plugin's
 * named snapshot and restore, served into a snapshot tree.
 *
 * A RESTORE makes the SNAPSHOT call of that tag return again, on the hart
 * that made it, with a1 the number of restores of the tag since it was
 * taken (taking it again starts the count over). Every answer goes into
 * the registers through the machine's control surface
 * (hv/platform/control.h); the machine's state changes only through
 * snaptree_take/snaptree_restore.
 */
#include "snapshot/requests.h"

#include <stdio.h>
#include <string.h>

#include "hv/dev/virtio/virtio_net.h"
#include "hv/platform/control.h"
#include "hv/platform/sbi.h"
#include "snapshot/tree.h"

void snapreq_init(struct snapreq *r, snapreq_notify_fn *notify, void *opaque)
{
	memset(r, 0, sizeof(*r));
	r->notify = notify;
	r->notify_opaque = opaque;
}

void snapreq_free(struct snapreq *r)
{
	snaptree_destroy(r->tree);
	r->tree = NULL;
}

bool snapreq_ram_range(const struct machine *m, uint64_t pa, uint64_t size)
{
	return pa >= m->ram.base && pa - m->ram.base <= m->ram.size &&
	       size <= m->ram.size - (pa - m->ram.base);
}

int snapreq_net_restart(struct machine *m, struct hv_err *err)
{
	return m->net ? virtio_net_reset_backend(m->net, err) : 0;
}

static void snapreq_notify(struct snapreq *r, struct machine *m, const char *name, bool restore)
{
	if (r->notify)
		r->notify(r->notify_opaque, m, name, restore);
}

/* The guest's snapshot names: "guest-TAG". */
static void snapreq_guest_name(char *buf, size_t n, uint64_t tag)
{
	snprintf(buf, n, "guest-%llu", (unsigned long long)tag);
}

/* A plugin's request (plugins/change.c), by name. Its failure is told on
 * stderr; the run goes on. */
static int snapreq_named(struct snapreq *r, struct machine *m)
{
	struct hv_err e2;
	bool restore = m->pv_req.op == SNAPREQ_OP_NAMED_RESTORE;
	int64_t rc = restore ? snaptree_restore(r->tree, m, m->pv_req_name, &e2) :
			       snaptree_take(r->tree, m, m->pv_req_name, &e2);

	if (rc >= 0 && restore)
		rc = snapreq_net_restart(m, &e2);
	if (rc < 0)
		fprintf(stderr, "retrovisor: a plugin's snapshot request: %s\n", e2.msg);
	else
		snapreq_notify(r, m, m->pv_req_name, restore);
	return 0;
}

int snapreq_serve(struct snapreq *r, struct machine *m, struct hv_err *err)
{
	struct hart *h = m->hart[m->pv_req.hart];
	char name[64];

	if (!r->tree && !(r->tree = snaptree_create())) {
		hv_err_set(err, "out of host memory");
		return -1;
	}
	if (m->pv_req.op == SNAPREQ_OP_NAMED_SNAPSHOT || m->pv_req.op == SNAPREQ_OP_NAMED_RESTORE)
		return snapreq_named(r, m);
	snapreq_guest_name(name, sizeof(name), m->pv_req.arg0);
	switch (m->pv_req.op) {
	case RV_PV_SNAPSHOT: {
		struct hv_err e2;
		if (m->pv_req.arg0 >= RV_PV_TAGS) {
			hart_set_sbi_error(h, SBI_ERR_INVALID_PARAM);
			return 0;
		}
		r->restores[m->pv_req.arg0] = 0;
		r->taker[m->pv_req.arg0] = m->pv_req.hart;
		if (snaptree_take(r->tree, m, name, &e2) != 0) {
			fprintf(stderr, "retrovisor: guest snapshot %s: %s\n", name, e2.msg);
			hart_set_sbi_error(h, SBI_ERR_FAILED);
		} else {
			snapreq_notify(r, m, name, false);
		}
		return 0;
	}
	case RV_PV_RESTORE: {
		struct hv_err e2;
		uint64_t tag = m->pv_req.arg0;
		if (tag >= RV_PV_TAGS || !snaptree_find(r->tree, name)) {
			hart_set_sbi_error(h, SBI_ERR_INVALID_PARAM);
			return 0;
		}
		if (snaptree_restore(r->tree, m, name, &e2) < 0 ||
		    snapreq_net_restart(m, &e2) < 0) {
			hv_err_set(err, "restoring guest snapshot %s: %s", name, e2.msg);
			return -1;
		}
		/* The SNAPSHOT call returns again, on the hart that made it,
		 * saying how often. */
		hart_set_sbi_value(m->hart[r->taker[tag]], ++r->restores[tag]);
		snapreq_notify(r, m, name, true);
		return 0;
	}
	case RV_PV_GET_INPUT:
		/* Outside a loop the input is empty; the range is still checked. */
		if (!snapreq_ram_range(m, m->pv_req.arg0, m->pv_req.arg1))
			hart_set_sbi_error(h, SBI_ERR_INVALID_ADDRESS);
		else
			hart_set_sbi_value(h, 0);
		return 0;
	default:
		/* END_ITERATION and GET_INPUT outside a loop. */
		hart_set_sbi_error(h, SBI_ERR_NOT_SUPPORTED);
		return 0;
	}
}
