// SPDX-License-Identifier: MIT
/*
 * What every layer of the core may do to a machine as a whole (hv/machine.h):
 * ask its run to stop (a guest's poweroff through syscon or SBI, a host
 * failure anywhere), and name a virtio-mmio slot. Stopping only marks the
 * machine and the running hart; the scheduler (hv/platform/sched.c) ends
 * the run at the next block boundary, so the stop is at an exact icount.
 */
#include <stdarg.h>
#include <stdio.h>

#include "hv/machine.h"

void machine_host_error(struct machine *m, const char *fmt, ...)
{
	va_list ap;

	if (m->stop != STOP_NONE)
		return;
	va_start(ap, fmt);
	vsnprintf(m->host_error, sizeof(m->host_error), fmt, ap);
	va_end(ap);
	machine_stop(m, STOP_HOST_ERROR, 0);
}

void machine_stop(struct machine *m, enum hv_stop why, int status)
{
	if (m->stop != STOP_NONE)
		return;
	m->stop = why;
	m->exit_status = status;
	if (m->cur)
		m->cur->exit_req = true;
}

bool machine_slot_parse(const char *s, size_t len, unsigned *slot)
{
	if (len != 1 || s[0] < '0' || s[0] >= '0' + HV_VIRTIO_SLOTS)
		return false;
	*slot = (unsigned)(s[0] - '0');
	return true;
}
