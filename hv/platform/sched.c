// SPDX-License-Identifier: MIT
/*
 * The deterministic scheduler and the reasons a run stops.
 *
 * Scheduler (ARCHITECTURE.md section 1): all harts run on this one thread
 * in rounds. In each round every hart runs until its local clock reaches
 * the round's end (cfg.quantum instructions of time), in hart order; a hart
 * that stalls (WFI, HSM stopped) has the rest of the round added to its
 * clock as idle time. When no hart made progress in a round, time jumps to
 * the earliest timer deadline (with realtime pacing, pace.h, once the host's
 * wall clock has caught up with it: the host waits, the guest sees nothing
 * of it). Device events from the host (console input)
 * are delivered only at round boundaries. So the interleaving, the clock
 * and every interrupt depend on the guest and the inputs alone.
 *
 * A run ends at the first machine_stop (the guest powering off, a panic,
 * a deadlock, the instruction limit, the watchdog, a host error); later
 * reasons are ignored, so the first one is what the run reports.
 */
#include <stdarg.h>
#include <stdio.h>

#include "hv/cpu/block.h"
#include "hv/cpu/debug.h"
#include "hv/cpu/exec.h"
#include "hv/platform/machine.h"
#include "hv/platform/pace.h"
#include "hv/dev/rtc.h"
#include "hv/dev/uart.h"
#include "hv/dev/virtio/virtio_net.h"

#define MACHINE_INPUT_POLL_ROUNDS 64u

/* Console input goes to the UART once the guest uses the UART (always in
 * full-machine boot, where firmware drives it); until then a paravirtual
 * guest reads it through the SBI console. */
static void machine_deliver_input(struct machine *m)
{
	if (!m->uart || (m->cfg.boot == BOOT_PV && !m->uart_used))
		return;
	while (m->conin_len && uart_rx_room(m->uart))
		uart_push_rx(m->uart, (uint8_t)machine_console_getc(m));
}

/* The injected nondeterminism of test builds (cfg.perturb_at). */
static void machine_test_perturb(struct machine *m)
{
	uint64_t last = m->ram.npages - 1;

	m->ram.frame[last][HV_PAGE_SIZE - 1] ^= 1;
	m->ram.dirty[last] = 1;
	m->cfg.perturb_at = 0;
}

static uint64_t hart_itime(const struct hart *h)
{
	return h->icount + h->itime_offset;
}

/* Host input ended an idle period early: the guest gets it now, and the
 * log says so (HV_IN_IDLE: a replay ends the period at the same round). */
static bool machine_idle_woken(struct machine *m)
{
	machine_deliver_input(m);
	if (m->net)
		virtio_net_poll(m->net);
	machine_input_note(m, HV_IN_IDLE, NULL, 0);
	return true;
}

/* Time passes without instructions, to t: every hart's clock moves by the
 * same amount, and timers that came due are raised. */
static void machine_skip_to(struct machine *m, uint64_t t)
{
	if (t > m->itime) {
		uint64_t delta = t - m->itime;
		for (unsigned i = 0; i < m->nharts; i++)
			m->hart[i]->itime_offset += delta;
		m->itime = t;
	}
	for (unsigned i = 0; i < m->nharts; i++)
		hart_timer_update(m->hart[i]);
	if (m->rtc) {
		m->cur = m->hart[0];
		rtc_tick(m->rtc);
		m->cur = NULL;
	}
}

/* Everyone waits: advance the clock to the earliest event, or report that
 * none can come. Returns false if the machine must stop. */
static bool machine_idle(struct machine *m)
{
	uint64_t next = ~0ull;

	/* The idle time added at the end of the round may itself have made
	 * a timer fire: then someone can run now. */
	for (unsigned i = 0; i < m->nharts; i++)
		if (exec_runnable(m->hart[i]))
			return true;

	for (unsigned i = 0; i < m->nharts; i++) {
		struct hart *h = m->hart[i];
		if (h->hsm == HSM_STOPPED)
			continue;
		if (h->timer_deadline != ~0ull && h->timer_deadline + h->itime_offset < next)
			next = h->timer_deadline + h->itime_offset;
	}
	uint64_t rtc_mtime;
	if (m->rtc && rtc_next_deadline(m->rtc, &rtc_mtime) &&
	    rtc_mtime < ~0ull / HV_INSNS_PER_TICK && rtc_mtime * HV_INSNS_PER_TICK < next)
		next = rtc_mtime * HV_INSNS_PER_TICK;
	/* A deadline the guest set past the end of time never comes: jumping
	 * there, the next round's end would wrap and no hart would run again. */
	if (next >= HV_ITIME_MAX)
		next = ~0ull;
	/* A domain among others: what can wake it next may come from another
	 * domain at the epoch's end, so the clock goes no further than that
	 * and the run stops there (machine_run). */
	if (m->epoch_end && next > m->epoch_end) {
		next = m->epoch_end > m->itime ? m->epoch_end : m->itime;
		m->epoch_idle = true;
	}
	if (m->funnel.replaying) {
		/* The log says whether host input ended this idle period. */
		if (m->funnel.idle_ends_early && m->funnel.idle_ends_early(m->funnel.opaque, m))
			return true;
		if (next == ~0ull)
			return false;
	} else if (next == ~0ull) {
		/* Only the outside world can wake the guest now. */
		int r = -1;
		while (m->host_poll && (r = m->host_poll(m, -1)) == 0 && m->stop == STOP_NONE)
			;
		return r >= 0 && machine_idle_woken(m);
	}
	if (m->pace.on && next > m->itime) {
		/* Realtime: the wall clock catches up first (pace.h). */
		if (pace_wait(m, next) == PACE_INPUT)
			return machine_idle_woken(m);
	} else if (m->net && !m->funnel.replaying && next > m->itime) {
		/* With a network, idle guest time passes at most as fast as
		 * host time (in steps of at most 10 ms), so that the host
		 * side of TCP connections keeps up; frames that arrive end
		 * the idle period early. Frames are inputs (section 1). */
		uint64_t ns = (next - m->itime) *
			      (1000000000ull / (HV_TIMEBASE_HZ * HV_INSNS_PER_TICK));
		int r = virtio_net_wait(m->net, -1, ns >= 10000000 ? 10 : (int)(ns / 1000000));
		if (r > 0 && (r & VIRTIO_NET_WAIT_FRAMES) && virtio_net_poll(m->net) > 0) {
			machine_input_note(m, HV_IN_IDLE, NULL, 0);
			return true;
		}
	}
	machine_skip_to(m, next);
	return true;
}

/* A domain that spent its epoch's instruction budget (domain.h) is
 * descheduled until the epoch's end: its clock goes on there as a Xen
 * vCPU's does while it is not running (steal time), and the timers that
 * came due meanwhile fire when it runs again. */
static void machine_deschedule(struct machine *m)
{
	machine_skip_to(m, m->epoch_end);
	machine_stop(m, STOP_EPOCH, 0);
}

enum hv_stop machine_run(struct machine *m)
{
	uint64_t rounds = 0;

	if (m->epoch_idle && m->stop == STOP_NONE) {
		m->epoch_idle = false;
		/* Frames the barrier queued (domain.h) wake an idle guest now,
		 * as at a round's end below, not at its next timer. */
		if (m->net)
			virtio_net_deliver_queued(m->net);
		if (!machine_idle(m))
			machine_stop(m, STOP_DEADLOCK, 0);
		else if (m->epoch_idle && m->itime >= m->epoch_end)
			machine_stop(m, STOP_EPOCH, 0);
	}
	if (m->epoch_end && m->stop == STOP_NONE && m->total_insns >= m->epoch_budget_end)
		machine_deschedule(m);

	while (m->stop == STOP_NONE) {
		uint64_t round_end = m->itime + m->cfg.quantum;

		for (unsigned i = 0; i < m->nharts && m->stop == STOP_NONE; i++) {
			struct hart *h = m->hart[i];
			uint64_t local = hart_itime(h);

			if (local >= round_end)
				continue;
			if (HV_UNLIKELY(m->dbg) && ((m->dbg->frozen >> i) & 1)) {
				/* Held by a debugger (scheduler locking): it idles
				 * through the round, its clock going on. */
				h->itime_offset += round_end - local;
				hart_timer_update(h);
				continue;
			}
			icount_t limit = h->icount + (round_end - local);
			if (m->cfg.perturb_at > m->total_insns &&
			    limit - h->icount > m->cfg.perturb_at - m->total_insns)
				limit = h->icount + (m->cfg.perturb_at - m->total_insns);
			if (m->cfg.max_insns) {
				if (m->total_insns >= m->cfg.max_insns) {
					machine_stop(m, STOP_MAX_INSNS, 0);
					break;
				}
				icount_t left = m->cfg.max_insns - m->total_insns;
				if (limit - h->icount > left)
					limit = h->icount + left;
			}
			/* Another hart ran since this one's LR: its reservation
			 * cannot be trusted (an SC may fail, spec 8.2). */
			if (m->last_run != h && m->nharts > 1)
				h->resv_valid = false;
			m->last_run = h;
			m->cur = h;
			/* Retry a hart stuck in a trap loop once per round: another
			 * hart or a device may have repaired its vector meanwhile. */
			if (h->trap_loop_round != m->rounds)
				h->trap_loop = false;
			icount_t before = h->icount;
			exec_run(h, limit);
			m->cur = NULL;
			m->total_insns += h->icount - before;
			if (h->icount != before)
				m->round_progressed = true;
			if (m->stop != STOP_NONE)
				break;
			if (m->cfg.perturb_at && m->total_insns == m->cfg.perturb_at &&
			    h->icount == limit) {
				machine_test_perturb(m);
				if (!m->cfg.max_insns || m->total_insns < m->cfg.max_insns) {
					i--; /* the same hart goes on with its slice */
					continue;
				}
			}
			if (m->cfg.max_insns && m->total_insns >= m->cfg.max_insns) {
				machine_stop(m, STOP_MAX_INSNS, 0);
				break;
			}
			local = hart_itime(h);
			if (local < round_end && h->icount < limit) {
				/* Stalled: idle until the end of the round. */
				h->itime_offset += round_end - local;
				hart_timer_update(h);
			}
		}
		if (m->stop != STOP_NONE)
			break;
		m->itime = round_end;
		if (m->funnel.boundary)
			m->funnel.boundary(m->funnel.opaque, m);
		if (m->rtc) {
			m->cur = m->hart[0];
			rtc_tick(m->rtc);
			m->cur = NULL;
		}
		if (++rounds % MACHINE_INPUT_POLL_ROUNDS == 0 && m->host_poll &&
		    !m->funnel.replaying)
			m->host_poll(m, 0);
		machine_deliver_input(m);
		/* Frames queued for the guest reach it; the host side is asked
		 * for more only when the run takes input from the host. */
		if (m->net && m->funnel.replaying)
			virtio_net_deliver_queued(m->net);
		else if (m->net)
			virtio_net_poll(m->net);
		bool progressed = m->round_progressed;
		m->round_progressed = false;
		if (!progressed && !machine_idle(m))
			machine_stop(m, STOP_DEADLOCK, 0);
		if (m->cfg.watchdog_ticks &&
		    m->itime > m->con_last_itime + m->cfg.watchdog_ticks * HV_INSNS_PER_TICK)
			machine_stop(m, STOP_WATCHDOG, 0);
		m->rounds++;
		if (m->round_hook)
			m->round_hook(m->round_opaque, m);
		if (m->epoch_end && m->itime >= m->epoch_end)
			machine_stop(m, STOP_EPOCH, 0);
		else if (m->epoch_end && m->total_insns >= m->epoch_budget_end &&
			 m->stop == STOP_NONE)
			machine_deschedule(m);
	}
	block_reap(m->blocks);
	return m->stop;
}
