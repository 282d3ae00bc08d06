// SPDX-License-Identifier: MIT
/*
 * In-memory snapshots (snap.h). Harts are copied whole and their TLBs and
 * jump caches emptied on restore (they point at frames and blocks of the
 * moment they were filled). Devices serialise through their save ops into
 * one buffer per device, in bus order, and restore from it; the machine's
 * scalar state (time, rounds, instruction count, console input queue and
 * line scanner) is copied.
 */
#include "snapshot/snap.h"

#include <stdlib.h>
#include <string.h>

#include "hv/block.h"
#include "hv/devstate.h"

struct snap {
	uint32_t *fids;
	unsigned nharts;
	struct hart *harts;
	struct devstate_w dev[HV_MAX_DEVS];
	unsigned ndev;
	uint64_t itime, rounds, time_seen;
	icount_t total_insns;
	uint8_t conin[sizeof(((struct machine *)0)->conin)];
	unsigned conin_head, conin_len;
	bool uart_used;
	char con_line[sizeof(((struct machine *)0)->con_line)];
	unsigned con_line_len;
	char panic_msg[sizeof(((struct machine *)0)->panic_msg)];
	uint64_t con_last_itime;
	int last_run; /* hart index, or -1 */
};

struct snap *snap_take(struct machine *m, struct hv_err *err)
{
	struct snap *s = calloc(1, sizeof(*s));

	if (!s)
		goto oom;
	s->harts = malloc(m->nharts * sizeof(struct hart));
	if (!s->harts)
		goto oom;
	s->nharts = m->nharts;
	for (unsigned i = 0; i < m->nharts; i++)
		memcpy(&s->harts[i], m->hart[i], sizeof(struct hart));
	s->ndev = m->ndev;
	for (unsigned i = 0; i < m->ndev; i++) {
		devstate_w_init(&s->dev[i]);
		if (m->dev[i]->ops->save)
			m->dev[i]->ops->save(m->dev[i]->opaque, &s->dev[i]);
		if (s->dev[i].error)
			goto oom;
	}
	s->fids = ram_freeze(m);
	if (!s->fids)
		goto oom;
	s->itime = m->itime;
	s->rounds = m->rounds;
	s->time_seen = m->time_seen;
	s->total_insns = m->total_insns;
	memcpy(s->conin, m->conin, sizeof(s->conin));
	s->conin_head = m->conin_head;
	s->conin_len = m->conin_len;
	s->uart_used = m->uart_used;
	memcpy(s->con_line, m->con_line, sizeof(s->con_line));
	s->con_line_len = m->con_line_len;
	memcpy(s->panic_msg, m->panic_msg, sizeof(s->panic_msg));
	s->con_last_itime = m->con_last_itime;
	s->last_run = m->last_run ? (int)m->last_run->id : -1;
	return s;
oom:
	hv_err_set(err, "out of host memory taking a snapshot");
	snap_free(m, s);
	return NULL;
}

int64_t snap_restore(struct machine *m, const struct snap *s, struct hv_err *err)
{
	if (s->nharts != m->nharts || s->ndev != m->ndev) {
		hv_err_set(err, "the snapshot was taken from another machine");
		return -1;
	}
	uint64_t changed = ram_thaw(m, s->fids);
	for (unsigned i = 0; i < m->nharts; i++) {
		memcpy(m->hart[i], &s->harts[i], sizeof(struct hart));
		m->hart[i]->m = m;
		hart_flush_tlb(m->hart[i]);
		m->hart[i]->exit_req = true;
	}
	for (unsigned i = 0; i < m->ndev; i++) {
		const struct hv_dev *d = m->dev[i];
		if (!d->ops->restore)
			continue;
		struct devstate_r r;
		devstate_r_init(&r, s->dev[i].buf, s->dev[i].len);
		if (d->ops->restore(d->opaque, &r) != 0) {
			hv_err_set(err, "device %s refused its snapshot state", d->name);
			return -1;
		}
	}
	m->itime = s->itime;
	m->rounds = s->rounds;
	m->time_seen = s->time_seen;
	m->total_insns = s->total_insns;
	memcpy(m->conin, s->conin, sizeof(m->conin));
	m->conin_head = s->conin_head;
	m->conin_len = s->conin_len;
	m->uart_used = s->uart_used;
	memcpy(m->con_line, s->con_line, sizeof(m->con_line));
	m->con_line_len = s->con_line_len;
	memcpy(m->panic_msg, s->panic_msg, sizeof(m->panic_msg));
	m->con_last_itime = s->con_last_itime;
	m->last_run = s->last_run >= 0 ? m->hart[s->last_run] : NULL;
	m->stop = STOP_NONE;
	m->exit_status = 0;
	block_reap(m->blocks);
	return (int64_t)changed;
}

void snap_free(struct machine *m, struct snap *s)
{
	if (!s)
		return;
	ram_release(m, s->fids);
	for (unsigned i = 0; i < s->ndev; i++)
		devstate_w_free(&s->dev[i]);
	free(s->harts);
	free(s);
}
