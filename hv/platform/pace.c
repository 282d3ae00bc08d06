// SPDX-License-Identifier: MIT
/*
 * Realtime pacing of idle guest time (design in pace.h). The wait is cut
 * into slices of at most PACE_SLICE_MS, so that a debugger's interrupt
 * (the poll hook) and the end of the run are noticed; each slice waits for
 * host input where there is a source of it (stdin through m->host_poll,
 * the network's host side), else sleeps. Nothing here touches guest state.
 */
#include "hv/platform/pace.h"

#include <errno.h>
#include <time.h>

#include "hv/platform/machine.h"
#include "hv/dev/virtio/virtio_net.h"

/* Nanoseconds of guest time per instruction unit of the machine's clock. */
#define PACE_NS_PER_ITIME (1000000000ull / (HV_TIMEBASE_HZ * HV_INSNS_PER_TICK))

static uint64_t pace_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Guest nanoseconds in d instruction units, saturated. */
static uint64_t pace_ns(uint64_t d)
{
	uint64_t ns;

	return __builtin_mul_overflow(d, PACE_NS_PER_ITIME, &ns) ? ~0ull : ns;
}

static void pace_sleep_ms(int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

void pace_start(struct machine *m)
{
	m->pace.wall_ns = pace_now_ns();
	m->pace.itime = m->itime;
	m->pace.anchored = true;
}

/* One slice of at most ms: host input ended it (1) or not (0). */
static int pace_slice(struct machine *m, int ms)
{
	if (!m->funnel.replaying && m->host_poll) {
		int r = m->host_poll(m, ms);
		if (r > 0)
			return 1;
		if (r == 0)
			return 0;
		/* No input can come: only time passes. */
	} else if (!m->funnel.replaying && m->net) {
		int w = virtio_net_wait(m->net, -1, ms);
		if (w > 0 && (w & VIRTIO_NET_WAIT_FRAMES))
			return 1;
		if (w >= 0 && !(w & VIRTIO_NET_WAIT_QUIET))
			return 0;
	}
	pace_sleep_ms(ms);
	return 0;
}

enum pace_end pace_wait(struct machine *m, uint64_t next)
{
	struct pace *p = &m->pace;
	uint64_t now = pace_now_ns();

	/* Ahead of the wall clock from a busy stretch: the lead is not waited
	 * out (pace.h); never paired yet: the present is the reference. */
	if (!p->anchored ||
	    (m->itime >= p->itime && pace_ns(m->itime - p->itime) > now - p->wall_ns))
		pace_start(m);
	uint64_t target = next <= p->itime ? p->wall_ns : p->wall_ns + pace_ns(next - p->itime);
	if (target < p->wall_ns)
		target = ~0ull; /* saturated: wait for input for ever */

	while (m->stop == STOP_NONE) {
		now = pace_now_ns();
		if (now >= target)
			break;
		uint64_t left = (target - now + 999999) / 1000000;
		if (pace_slice(m, left < PACE_SLICE_MS ? (int)left : PACE_SLICE_MS))
			return PACE_INPUT;
		if (p->poll)
			p->poll(p->poll_opaque, m);
	}
	return PACE_DUE;
}
