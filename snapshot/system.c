// SPDX-License-Identifier: MIT
/*
 * Snapshots of a system of domains (snapshot/system.h): a domain's record
 * is copied whole and its machine snapshotted with snap_take; on restore
 * the record comes back except what ties it to this process (its machine,
 * the callback of its service).
 */
#include "snapshot/system.h"

#include <stdlib.h>
#include <string.h>

#include "snapshot/snap.h"

struct system_snap {
	uint64_t epoch;
	int only;
	unsigned ndom;
	struct domain dom[SYSTEM_MAX_DOMAINS];
	struct snap *snap[SYSTEM_MAX_DOMAINS]; /* NULL: the domain was destroyed */
	unsigned nsw;
	struct switch_state *sw[SYSTEM_MAX_DOMAINS];
};

uint64_t system_snap_epoch(const struct system_snap *ss)
{
	return ss->epoch;
}

int system_snap_domain(const struct system_snap *ss)
{
	return ss->only;
}

void system_snap_free(struct system_snap *ss)
{
	if (!ss)
		return;
	for (unsigned i = 0; i < ss->ndom; i++)
		snap_free(ss->snap[i]);
	for (unsigned i = 0; i < ss->nsw; i++)
		switch_state_free(ss->sw[i]);
	free(ss);
}

struct system_snap *system_snap_take(struct hv_system *s, int only, struct hv_err *err)
{
	struct system_snap *ss = calloc(1, sizeof(*ss));

	if (!ss) {
		hv_err_set(err, "out of host memory for a snapshot");
		return NULL;
	}
	ss->epoch = system_epoch(s);
	ss->only = only < 0 ? -1 : only;
	ss->ndom = system_ndomains(s);
	for (unsigned i = 0; i < ss->ndom; i++) {
		struct domain *d = system_domain(s, i);
		if (only >= 0 && i != (unsigned)only)
			continue;
		ss->dom[i] = *d;
		if (d->state != DOMAIN_DESTROYED && !(ss->snap[i] = snap_take(d->m, err)))
			goto fail;
	}
	for (unsigned i = 0; only < 0 && system_switch(s, i); i++) {
		if (!(ss->sw[i] = switch_save(system_switch(s, i)))) {
			hv_err_set(err, "out of host memory for a snapshot");
			goto fail;
		}
		ss->nsw = i + 1;
	}
	return ss;
fail:
	system_snap_free(ss);
	return NULL;
}

/* Domain i as the snapshot holds it. */
static int domain_restore(struct hv_system *s, const struct system_snap *ss, unsigned i,
			  system_remake_fn remake, void *opaque, struct hv_err *err)
{
	struct domain *d = system_domain(s, i);
	const struct domain *saved = &ss->dom[i];

	if (!ss->snap[i]) {
		system_destroy_domain(s, i);
		return 0;
	}
	if (d->state == DOMAIN_DESTROYED) {
		struct machine *m = remake(opaque, i, err);
		if (!m || system_revive(s, i, m, err) != 0)
			return -1;
	}
	if (snap_restore(d->m, ss->snap[i], err) < 0)
		return -1;
	struct domain now = *d;
	*d = *saved;
	d->m = now.m;
	d->on_destroy = now.on_destroy;
	d->opaque = now.opaque;
	if (ss->only >= 0) {
		/* Its clock continues from the restored time at this epoch. */
		d->base_itime = d->m->itime;
		d->start_epoch = system_epoch(s);
	} else {
		/* Epoch numbers only grow (they order the system log): the
		 * system's time goes back, its epochs are renumbered. */
		d->start_epoch += system_epoch(s) - ss->epoch;
	}
	return 0;
}

int system_snap_restore(struct hv_system *s, const struct system_snap *ss, system_remake_fn remake,
			void *opaque, struct hv_err *err)
{
	if (ss->only >= 0)
		return domain_restore(s, ss, (unsigned)ss->only, remake, opaque, err);
	for (unsigned i = ss->ndom; i < system_ndomains(s); i++)
		system_destroy_domain(s, i); /* made after the snapshot */
	for (unsigned i = 0; i < ss->ndom; i++)
		if (domain_restore(s, ss, i, remake, opaque, err) != 0)
			return -1;
	for (unsigned i = 0; i < ss->nsw; i++)
		switch_load(system_switch(s, i), ss->sw[i], system_epoch(s) - ss->epoch);
	return 0;
}
