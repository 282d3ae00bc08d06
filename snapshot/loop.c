// SPDX-License-Identifier: MIT
/*
 * The fast reset loop (loop.h). The console sink both echoes (optionally)
 * and searches for the string that ends the current phase; a match stops
 * the machine at the exact instruction that printed its last byte, as a
 * host request (SNAPLOOP_OP_CONSOLE), so that the loop tells it from the
 * guest's own requests.
 *
 * The loop's guest requests: GET_INPUT copies the iteration's input
 * (truncated to the guest's buffer) and answers its whole length;
 * END_ITERATION ends the iteration with its argument as the status. Every
 * other request goes to the struct snapreq. Guest-controlled: the buffer's
 * range (checked against RAM).
 */
#include "snapshot/loop.h"

#include <stdio.h>
#include <string.h>

#include "hv/platform/control.h"
#include "hv/platform/pace.h"
#include "hv/platform/sbi.h"
#include "snapshot/snap.h"

static void snaploop_console(void *opaque, const uint8_t *buf, size_t len)
{
	struct snaploop *l = opaque;

	if (l->echo)
		fwrite(buf, 1, len, stderr);
	if (!l->match)
		return;
	size_t n = strlen(l->match);
	for (size_t i = 0; i < len && l->match; i++) {
		/* Restart-on-mismatch matching; the markers used are short. */
		if (buf[i] == (uint8_t)l->match[l->matched]) {
			l->matched++;
		} else {
			l->matched = buf[i] == (uint8_t)l->match[0] ? 1 : 0;
		}
		if (l->matched == n) {
			l->matched = 0;
			l->match = NULL;
			machine_post_host_request(l->m, SNAPLOOP_OP_CONSOLE);
		}
	}
}

void snaploop_init(struct snaploop *l, struct machine *m, struct snapreq *req, bool echo)
{
	memset(l, 0, sizeof(*l));
	l->m = m;
	l->req = req;
	l->echo = echo;
	machine_set_console_sink(m, snaploop_console, l);
}

const char *snaploop_end_kind(enum hv_stop why)
{
	switch (why) {
	case STOP_SHUTDOWN:
		return "shutdown";
	case STOP_REBOOT:
		return "reboot";
	case STOP_MAX_INSNS:
		return "budget";
	case STOP_PANIC:
		return "panic";
	case STOP_WATCHDOG:
		return "watchdog";
	case STOP_DEADLOCK:
		return "deadlock";
	case STOP_HOST_ERROR:
		return "host-error";
	default:
		return "stopped";
	}
}

int snaploop_boot(struct snaploop *l, icount_t start_at, const char *start_out, struct hv_err *err)
{
	struct machine *m = l->m;

	l->match = start_out;
	for (;;) {
		enum hv_stop why = machine_run(m);
		if (why == STOP_MAX_INSNS && start_at && m->total_insns == start_at)
			return 0;
		if (why == STOP_GUEST_REQUEST &&
		    (m->pv_req.op == SNAPLOOP_OP_CONSOLE || m->pv_req.op == RV_PV_SNAPSHOT)) {
			machine_clear_stop(m);
			return 0;
		}
		if (why == STOP_GUEST_REQUEST) {
			machine_clear_stop(m);
			if (snapreq_serve(l->req, m, err) < 0)
				return -1;
			continue;
		}
		hv_err_set(err,
			   "the machine stopped (%s) at instruction %llu before the "
			   "loop's start (--start-at, --start-on-output or the guest's "
			   "SNAPSHOT request)",
			   snaploop_end_kind(why), (unsigned long long)m->total_insns);
		return -1;
	}
}

int snaploop_take_start(struct snaploop *l, struct hv_err *err)
{
	machine_clear_stop(l->m);
	l->start = snap_take(l->m, err);
	if (!l->start || snapreq_net_restart(l->m, err) < 0)
		return -1;
	l->start_icount = l->m->total_insns;
	return 0;
}

void snaploop_check_digests(struct snaploop *l)
{
	l->check_digest = true;
	l->start_digest = machine_digest(l->m);
}

/* Serve a guest request during an iteration. Returns 1 if the iteration
 * goes on, 0 if it ended (END_ITERATION: *status set), -1 with err. */
static int snaploop_request(struct snaploop *l, uint64_t *status, struct hv_err *err)
{
	struct machine *m = l->m;
	struct hart *h = m->hart[m->pv_req.hart];

	switch (m->pv_req.op) {
	case RV_PV_END_ITERATION:
		*status = m->pv_req.arg0;
		return 0;
	case RV_PV_GET_INPUT: {
		size_t len = l->cur ? l->cur->len : 0;
		size_t n = len < m->pv_req.arg1 ? len : (size_t)m->pv_req.arg1;
		if (!snapreq_ram_range(m, m->pv_req.arg0, m->pv_req.arg1) ||
		    (n && !machine_write_phys(m, m->pv_req.arg0, l->cur->data, n)))
			hart_set_sbi_error(h, SBI_ERR_INVALID_ADDRESS);
		else
			hart_set_sbi_value(h, len);
		return 1;
	}
	default:
		return snapreq_serve(l->req, m, err) < 0 ? -1 : 1;
	}
}

int snaploop_iterate(struct snaploop *l, uint64_t it, const struct snaploop_iter *in,
		     struct snaploop_end *end, struct hv_err *err)
{
	struct machine *m = l->m;

	memset(end, 0, sizeof(*end));
	if (it) {
		if (snap_restore(m, l->start, err) < 0 || snapreq_net_restart(m, err) < 0)
			return -1;
		if (l->req->notify)
			l->req->notify(l->req->notify_opaque, m, "", true);
	}
	end->digest_differs = l->check_digest && machine_digest(m) != l->start_digest;
	pace_start(m);
	l->cur = in->input;
	l->match = in->until;
	l->matched = 0;
	if (in->type)
		machine_console_input(m, (const uint8_t *)in->type, strlen(in->type));
	machine_set_insn_limit(m, in->budget ? l->start_icount + in->budget : 0);
	for (;;) {
		enum hv_stop why = machine_run(m);
		if (why == STOP_GUEST_REQUEST) {
			machine_clear_stop(m);
			end->why = why;
			if (m->pv_req.op == SNAPLOOP_OP_CONSOLE) {
				end->kind = "output";
				break;
			}
			int r = snaploop_request(l, &end->status, err);
			if (r < 0)
				return -1;
			if (r == 0) {
				end->kind = "guest";
				break;
			}
			continue;
		}
		if (why == STOP_HOST_ERROR) {
			hv_err_set(err, "%s; the loop cannot go on (iteration %llu)",
				   m->host_error[0] ? m->host_error : "a host failure",
				   (unsigned long long)it);
			return SNAPLOOP_HOST_FAILED;
		}
		end->why = why;
		end->kind = why == STOP_PLUGIN ? "plugin" : snaploop_end_kind(why);
		end->status = why == STOP_SHUTDOWN ? (uint64_t)m->exit_status : 0;
		break;
	}
	end->insns = m->total_insns - l->start_icount;
	return 0;
}

void snaploop_free(struct snaploop *l)
{
	snap_free(l->start);
	l->start = NULL;
}
