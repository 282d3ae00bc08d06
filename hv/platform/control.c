// SPDX-License-Identifier: MIT
/*
 * The control surface of a machine (control.h): the only writes services
 * make to a machine's or a hart's fields. Each call is the store or copy
 * its comment in control.h names and nothing more, so that moving a
 * service onto it changes no run; the one call that stops a run does so
 * through machine_stop (the first stop wins).
 */
#include "hv/platform/control.h"

#include <stdio.h>
#include <string.h>

void machine_set_funnel(struct machine *m, const struct hv_funnel *f)
{
	if (f)
		m->funnel = *f;
	else
		memset(&m->funnel, 0, sizeof(m->funnel));
}

void machine_set_funnel_replaying(struct machine *m, bool replaying)
{
	m->funnel.replaying = replaying;
}

void machine_set_round_hook(struct machine *m, void (*fn)(void *opaque, struct machine *m),
			    void *opaque)
{
	m->round_hook = fn;
	m->round_opaque = opaque;
}

void machine_set_input_hook(struct machine *m, void (*fn)(void *opaque, enum hv_input type),
			    void *opaque)
{
	m->input_hook = fn;
	m->input_opaque = opaque;
}

void machine_set_console_sink(struct machine *m,
			      void (*fn)(void *opaque, const uint8_t *buf, size_t len),
			      void *opaque)
{
	m->console_out = fn;
	m->console_opaque = opaque;
}

void machine_set_host_poll(struct machine *m, int (*fn)(struct machine *m, int timeout_ms),
			   void *opaque)
{
	m->host_poll = fn;
	m->host_opaque = opaque;
}

void machine_set_pace_poll(struct machine *m, void (*fn)(void *opaque, struct machine *m),
			   void *opaque)
{
	m->pace.poll = fn;
	m->pace.poll_opaque = opaque;
}

void machine_set_paced(struct machine *m, bool on)
{
	m->pace.on = on;
}

void machine_set_pv_host(struct machine *m, bool on)
{
	m->pv_host = on;
}

void machine_set_insn_limit(struct machine *m, icount_t limit)
{
	m->cfg.max_insns = limit;
}

void machine_clear_stop(struct machine *m)
{
	m->stop = STOP_NONE;
}

void machine_clear_outcome(struct machine *m)
{
	m->stop = STOP_NONE;
	m->exit_status = 0;
}

void machine_post_host_request(struct machine *m, uint32_t op)
{
	m->pv_req.op = op;
	machine_stop(m, STOP_GUEST_REQUEST, 0);
}

void machine_post_named_request(struct machine *m, uint32_t op, const char *name)
{
	snprintf(m->pv_req_name, sizeof(m->pv_req_name), "%s", name);
	m->pv_req.op = op;
	m->pv_req.hart = m->cur ? m->cur->id : 0;
	machine_stop(m, STOP_GUEST_REQUEST, 0);
}

void machine_set_hooks(struct machine *m, struct hv_hooks *hooks)
{
	m->hooks = hooks;
}

void machine_kick(struct machine *m)
{
	if (m->cur)
		m->cur->exit_req = true;
}

void hart_set_sbi_error(struct hart *h, long error)
{
	h->x[10] = (uint64_t)(int64_t)error;
}

void hart_set_sbi_value(struct hart *h, uint64_t value)
{
	h->x[11] = value;
}

/* The machine's scheduler and console state, each field once: S names a
 * scalar, A an array of the same size in both structures (control.h sizes
 * them from struct machine). last_run, a pointer, is a hart index apart. */
/* clang-format off */
#define MACHINE_RUNSTATE_FIELDS(S, A)                                                         \
	S(itime) S(rounds) S(time_seen) S(total_insns) A(conin) S(conin_head) S(conin_len)    \
	S(uart_used) A(con_line) S(con_line_len) A(panic_msg) S(con_last_itime) A(blk_nreq)   \
	S(round_progressed)
#define MACHINE_COPY_S(f) to->f = from->f;
#define MACHINE_COPY_A(f) memcpy(to->f, from->f, sizeof(to->f));
/* clang-format on */

void machine_runstate_save(const struct machine *m, struct machine_runstate *rs)
{
	const struct machine *from = m;
	struct machine_runstate *to = rs;

	MACHINE_RUNSTATE_FIELDS(MACHINE_COPY_S, MACHINE_COPY_A)
	rs->last_run = m->last_run ? (int32_t)m->last_run->id : -1;
}

void machine_runstate_load(struct machine *m, const struct machine_runstate *rs)
{
	const struct machine_runstate *from = rs;
	struct machine *to = m;

	MACHINE_RUNSTATE_FIELDS(MACHINE_COPY_S, MACHINE_COPY_A)
	m->last_run = rs->last_run >= 0 && (unsigned)rs->last_run < m->nharts ?
			      m->hart[rs->last_run] :
			      NULL;
	m->blk_fault_set = false;
}

void machine_hart_load(struct machine *m, unsigned i, const struct hart *saved)
{
	memcpy(m->hart[i], saved, sizeof(struct hart));
	m->hart[i]->m = m;
	hart_flush_tlb(m->hart[i]);
	m->hart[i]->exit_req = true;
}

void machine_dirty_load(struct machine *m, const uint8_t *bytes)
{
	memcpy(m->ram.dirty, bytes, m->ram.npages);
}

void machine_dirty_load_bits(struct machine *m, const uint8_t *bits)
{
	for (uint64_t i = 0; i < m->ram.npages; i++)
		m->ram.dirty[i] = (bits[i / 8] >> (i % 8)) & 1;
}

void machine_keep_page_hashes(struct machine *m, const uint32_t *fid, const uint64_t *hash)
{
	m->ram.kept_fid = fid && hash ? fid : NULL;
	m->ram.kept_hash = fid && hash ? hash : NULL;
}

void machine_debug_freeze(struct machine *m, uint32_t mask)
{
	m->dbg->frozen = mask;
}

void machine_debug_drop_points(struct machine *m)
{
	if (!m->dbg)
		return;
	m->dbg->nbp = 0;
	m->dbg->nwp = 0;
}

void machine_debug_forget_skips(struct machine *m)
{
	if (m->dbg)
		memset(m->dbg->skip, 0, sizeof(m->dbg->skip));
}

void machine_debug_clear_stop(struct machine *m)
{
	m->dbg->stop.reason = DBG_STOP_NONE;
}

void machine_debug_clear_input_position(struct machine *m)
{
	if (m->dbg)
		m->dbg->input_position = 0;
}

bool machine_debug_stop_host(struct machine *m, unsigned hart)
{
	struct hv_debug *d = debug_get(m);

	if (!d)
		return false;
	d->stop.reason = DBG_STOP_HOST;
	d->stop.hart = hart;
	machine_stop(m, STOP_DEBUG, 0);
	return true;
}

void machine_debug_note_host_stop(struct machine *m, unsigned hart)
{
	m->dbg->stop.reason = DBG_STOP_HOST;
	m->dbg->stop.hart = hart;
}

void machine_debug_points_off(struct machine *m, struct hv_debug *saved)
{
	struct hv_debug *d = debug_get(m);

	*saved = *d;
	d->nbp = 0;
	d->nwp = 0;
	debug_clear_targets(m);
}

void machine_debug_points_back(struct machine *m, const struct hv_debug *saved)
{
	struct hv_debug *d = debug_get(m);

	d->nbp = saved->nbp;
	memcpy(d->bp, saved->bp, sizeof(d->bp));
	d->nwp = saved->nwp;
	memcpy(d->wp, saved->wp, sizeof(d->wp));
	d->active = d->nbp || d->nwp;
	for (unsigned i = 0; i < m->nharts; i++)
		hart_flush_tlb(m->hart[i]);
}

void machine_record_put(struct devstate_w *w, const struct machine_runstate *rs)
{
	devstate_put_u64(w, rs->itime);
	devstate_put_u64(w, rs->rounds);
	devstate_put_u64(w, rs->time_seen);
	devstate_put_u64(w, rs->total_insns);
	devstate_put_bytes(w, rs->conin, sizeof(rs->conin));
	devstate_put_u32(w, rs->conin_head);
	devstate_put_u32(w, rs->conin_len);
	devstate_put_u8(w, rs->uart_used);
	devstate_put_bytes(w, rs->con_line, sizeof(rs->con_line));
	devstate_put_u32(w, rs->con_line_len);
	devstate_put_bytes(w, rs->panic_msg, sizeof(rs->panic_msg));
	devstate_put_u64(w, rs->con_last_itime);
	devstate_put_u32(w, (uint32_t)rs->last_run);
	for (unsigned i = 0; i < HV_VIRTIO_SLOTS; i++)
		devstate_put_u64(w, rs->blk_nreq[i]);
	devstate_put_u8(w, rs->round_progressed);
}

int machine_record_get(struct devstate_r *r, unsigned nharts, struct machine_runstate *rs)
{
	rs->itime = devstate_get_u64(r);
	rs->rounds = devstate_get_u64(r);
	rs->time_seen = devstate_get_u64(r);
	rs->total_insns = devstate_get_u64(r);
	devstate_get_bytes(r, rs->conin, sizeof(rs->conin));
	rs->conin_head = devstate_get_u32(r);
	rs->conin_len = devstate_get_u32(r);
	rs->uart_used = devstate_get_bool(r);
	devstate_get_bytes(r, rs->con_line, sizeof(rs->con_line));
	rs->con_line_len = devstate_get_u32(r);
	devstate_get_bytes(r, rs->panic_msg, sizeof(rs->panic_msg));
	rs->con_last_itime = devstate_get_u64(r);
	rs->last_run = (int32_t)devstate_get_u32(r);
	for (unsigned i = 0; i < HV_VIRTIO_SLOTS; i++)
		rs->blk_nreq[i] = devstate_get_u64(r);
	rs->round_progressed = devstate_get_bool(r);
	if (r->error)
		return -1;
	if (rs->conin_head >= sizeof(rs->conin) || rs->conin_len > sizeof(rs->conin) ||
	    rs->con_line_len >= sizeof(rs->con_line) ||
	    memchr(rs->panic_msg, 0, sizeof(rs->panic_msg)) == NULL || rs->last_run < -1 ||
	    rs->last_run >= (int32_t)nharts)
		return devstate_r_fail(r, "a value of the machine record is out of range");
	return 0;
}
