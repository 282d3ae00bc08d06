// SPDX-License-Identifier: MIT
/*
 * The console and the input funnel. Guest console output goes to the
 * host (or a service's sink) and is scanned for Linux's panic lines when
 * --stop-on-panic asks; console input from the host is queued (bounded:
 * bytes a guest does not read are dropped) and handed to the guest by the
 * scheduler at round boundaries (sched.c). Every input from the host
 * passes machine_input_note first, so the recorder (replay/) sees each
 * one at the instruction it arrives at (ARCHITECTURE.md section 1).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "hv/machine.h"

/* Linux prints "Kernel panic - not syncing: REASON" and, after the stack
 * dump, "---[ end Kernel panic - not syncing: REASON ]---" (kernel/panic.c).
 * The console is deterministic output, so stopping on it is too. */
static void machine_console_scan(struct machine *m, const uint8_t *buf, size_t len)
{
	static const char begin[] = "Kernel panic - not syncing";
	static const char end[] = "---[ end Kernel panic";

	for (size_t i = 0; i < len; i++) {
		char c = (char)buf[i];
		if (c != '\n' && c != '\r') {
			if (m->con_line_len < sizeof(m->con_line) - 1)
				m->con_line[m->con_line_len++] = c;
			continue;
		}
		m->con_line[m->con_line_len] = '\0';
		m->con_line_len = 0;
		if (!m->panic_msg[0]) {
			const char *p = strstr(m->con_line, begin);
			if (p)
				snprintf(m->panic_msg, sizeof(m->panic_msg), "%s", p);
		} else if (strstr(m->con_line, end)) {
			machine_stop(m, STOP_PANIC, 0);
		}
	}
}

void machine_console_write(struct machine *m, const uint8_t *buf, size_t len)
{
	m->con_last_itime = m->cur ? m->cur->icount + m->cur->itime_offset : m->itime;
	if (m->cfg.stop_on_panic)
		machine_console_scan(m, buf, len);
	if (m->console_out) {
		m->console_out(m->console_opaque, buf, len);
		return;
	}
	while (len) {
		ssize_t n = write(STDOUT_FILENO, buf, len);
		if (n <= 0) {
			if (n < 0 && errno == EINTR)
				continue;
			return; /* console gone: the guest keeps running */
		}
		buf += n;
		len -= (size_t)n;
	}
}

void machine_input_note(struct machine *m, enum hv_input type, const void *data, size_t len)
{
	if (m->funnel.input)
		m->funnel.input(m->funnel.opaque, m, type, data, len);
	if (m->input_hook)
		m->input_hook(m->input_opaque, type);
}

void machine_host_stop(struct machine *m)
{
	machine_input_note(m, HV_IN_STOP, NULL, 0);
	machine_stop(m, STOP_SHUTDOWN, 0);
}

void machine_console_input(struct machine *m, const uint8_t *buf, size_t len)
{
	machine_input_note(m, HV_IN_CONSOLE, buf, len);
	for (size_t i = 0; i < len; i++) {
		if (m->conin_len == sizeof(m->conin))
			break; /* the guest is not reading; drop the excess */
		m->conin[(m->conin_head + m->conin_len) % sizeof(m->conin)] = buf[i];
		m->conin_len++;
	}
}

int machine_console_getc(struct machine *m)
{
	if (!m->conin_len)
		return -1;
	int c = m->conin[m->conin_head];
	m->conin_head = (m->conin_head + 1) % sizeof(m->conin);
	m->conin_len--;
	return c;
}
