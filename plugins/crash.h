/* SPDX-License-Identifier: MIT */
/*
 * Which plugin callback is running, for the report of a plugin that
 * crashes in one (crash.c). The host sets the marker around every
 * dispatch with PLUGIN_CALL (two stores before the call, two after, so
 * that nested dispatches restore the outer one); the fatal-signal handler
 * reads it. Used by the plugin host's files only (host_impl.h's
 * HOST_CALL).
 */
#ifndef PLUGINS_CRASH_H
#define PLUGINS_CRASH_H

/* Per thread: the handler runs on the thread that faulted. */
extern _Thread_local const char *volatile plugin_crash_plugin;   /* the plugin's FILE, or NULL */
extern _Thread_local const char *volatile plugin_crash_callback; /* e.g. "rv_on_trap" */

/* Runs the statement call as plugin `plugin`'s callback `cb`. */
#define PLUGIN_CALL(plugin, cb, call)                            \
	do {                                                     \
		const char *outer_plugin_ = plugin_crash_plugin; \
		const char *outer_cb_ = plugin_crash_callback;   \
		plugin_crash_plugin = (plugin);                  \
		plugin_crash_callback = (cb);                    \
		call;                                            \
		plugin_crash_plugin = outer_plugin_;             \
		plugin_crash_callback = outer_cb_;               \
	} while (0)

/* Installs the handler of SIGSEGV, SIGBUS, SIGFPE, SIGILL and SIGABRT
 * (on an alternate stack, so that a plugin's stack overflow is reported
 * too) for as long as plugins are attached; counted, so that each
 * attached host installs once and uninstalls once; the last uninstall
 * puts back what was there. */
void plugin_crash_install(void);
void plugin_crash_uninstall(void);

#endif
