// SPDX-License-Identifier: MIT
/*
 * A plugin that crashes in a callback: the run is abandoned with one line
 * naming the plugin and the callback, and exit status
 * PLUGIN_HOST_CRASH_STATUS (host.h), instead of a bare "Segmentation
 * fault" of the hypervisor.
 *
 * A plugin is trusted code in the host process, so nothing it may have
 * corrupted is used: the handler only reads the marker crash.h keeps,
 * writes with write(2) and leaves with _exit (POSIX async-signal-safe
 * functions, signal-safety(7)). A fault outside any plugin callback is
 * not ours: the handler puts back the action that was there before (the
 * terminal restorer of cli/main.c, or the default) and raises the signal
 * again, so the process ends as it would have without plugins. A crash in
 * rv_plugin_init is host.c's own case (the plugin is refused).
 *
 * Process-wide by nature (signal dispositions and the alternate stack
 * belong to the process): installed while any machine's plugin host is
 * attached (a count). The marker of the running callback is per thread.
 */
#include "plugins/crash.h"

#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "hv/types.h"
#include "plugins/host.h"

_Thread_local const char *volatile plugin_crash_plugin;
_Thread_local const char *volatile plugin_crash_callback;

static const struct {
	int sig;
	const char *name;
} crash_signals[] = {
	{ SIGSEGV, "SIGSEGV" }, { SIGBUS, "SIGBUS" },   { SIGFPE, "SIGFPE" },
	{ SIGILL, "SIGILL" },   { SIGABRT, "SIGABRT" },
};

static struct sigaction crash_old[HV_ARRAY_LEN(crash_signals)];
/* Hosts attached (each machine's plugin host installs once): the signal
 * disposition is per process, so the handler stays while any is. */
static unsigned crash_users;
static stack_t crash_old_stack;
/* The handler's stack: a plugin that overflows its own still gets its
 * line (SIGSTKSZ is not a constant on every libc). */
static char crash_stack[64 * 1024];

static size_t crash_append(char *buf, size_t n, size_t cap, const char *s)
{
	while (*s && n < cap)
		buf[n++] = *s++;
	return n;
}

void plugin_host_crash_check(int sig)
{
	const char *plugin = plugin_crash_plugin, *cb = plugin_crash_callback;
	const char *name = NULL;
	char line[1024];
	size_t n = 0;

	for (size_t i = 0; i < HV_ARRAY_LEN(crash_signals); i++)
		if (crash_signals[i].sig == sig)
			name = crash_signals[i].name;
	if (!plugin || !name)
		return;
	n = crash_append(line, n, sizeof(line) - 1, "retrovisor: plugin '");
	n = crash_append(line, n, sizeof(line) - 1, plugin);
	n = crash_append(line, n, sizeof(line) - 1, "' crashed in its ");
	n = crash_append(line, n, sizeof(line) - 1, cb ? cb : "unknown");
	n = crash_append(line, n, sizeof(line) - 1, " callback (signal ");
	n = crash_append(line, n, sizeof(line) - 1, name);
	n = crash_append(line, n, sizeof(line) - 1, "); the run is abandoned");
	line[n++] = '\n';
	for (size_t done = 0; done < n;) {
		ssize_t w = write(STDERR_FILENO, line + done, n - done);

		if (w <= 0)
			break;
		done += (size_t)w;
	}
	_exit(PLUGIN_HOST_CRASH_STATUS);
}

static void crash_handler(int sig)
{
	plugin_host_crash_check(sig);
	for (size_t i = 0; i < HV_ARRAY_LEN(crash_signals); i++) {
		if (crash_signals[i].sig == sig) {
			/* Blocked while we run: delivered with the old action
			 * as soon as this returns. */
			sigaction(sig, &crash_old[i], NULL);
			raise(sig);
			return;
		}
	}
}

void plugin_crash_install(void)
{
	struct sigaction sa;
	stack_t st = { .ss_sp = crash_stack, .ss_size = sizeof(crash_stack) };

	if (crash_users++)
		return;
	if (sigaltstack(&st, &crash_old_stack) != 0)
		crash_old_stack.ss_flags = SS_DISABLE;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = crash_handler;
	sa.sa_flags = SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < HV_ARRAY_LEN(crash_signals); i++)
		sigaction(crash_signals[i].sig, &sa, &crash_old[i]);
}

void plugin_crash_uninstall(void)
{
	if (!crash_users || --crash_users)
		return;
	for (size_t i = 0; i < HV_ARRAY_LEN(crash_signals); i++)
		sigaction(crash_signals[i].sig, &crash_old[i], NULL);
	sigaltstack(&crash_old_stack, NULL);
}
