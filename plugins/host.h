/* SPDX-License-Identifier: MIT */
/*
 * The plugin host (host.c): what the command line calls to load plugins
 * and connect them to a machine. Plugins themselves see only
 * plugins/include/retrovisor/plugin.h.
 */
#ifndef PLUGINS_HOST_H
#define PLUGINS_HOST_H

#include "hv/machine.h"

/* pv_req.op values of a plugin's snapshot requests (STOP_GUEST_REQUEST;
 * the name is in m->pv_req_name). */
#define PLUGIN_HOST_OP_SNAPSHOT 0x2000u
#define PLUGIN_HOST_OP_RESTORE 0x2001u

/* Load FILE[,key=value...] (dlopen, ABI check). 0 or -1 with err. */
int plugin_host_load(const char *spec, struct hv_err *err);
/* Run the plugins' init against m and hook them in. 0 or -1 with err
 * (a plugin refused). Nothing happens without plugins. */
int plugin_host_attach(struct machine *m, bool replaying, bool recording, struct hv_err *err);
/* Events the command line sees. */
void plugin_host_exit(int status);
void plugin_host_snapshot(const char *name, bool restored);
void plugin_host_divergence(uint64_t icount);
/* After STOP_PLUGIN: one sentence, or NULL. */
const char *plugin_host_stop_message(void);
bool plugin_host_active(void);
/* The reset loop goes on after a plugin stopped an iteration. */
void plugin_host_clear_stop(void);
void plugin_host_unload(void);

/* Exit status of a run abandoned because a plugin crashed in one of its
 * callbacks: an internal failure (cli/options.h CLI_EXIT_INTERNAL). */
#define PLUGIN_HOST_CRASH_STATUS 1

/* For a handler of a fatal signal (async-signal-safe): if a plugin's
 * callback is running and sig is SIGSEGV, SIGBUS, SIGFPE, SIGILL or
 * SIGABRT, writes "retrovisor: plugin 'FILE' crashed in its CALLBACK
 * callback (signal SIG); the run is abandoned" to stderr and _exits with
 * PLUGIN_HOST_CRASH_STATUS; otherwise returns. The host's own handler,
 * installed while plugins are attached, calls it; so must any handler
 * installed over it (cli/main.c's terminal restorer). */
void plugin_host_crash_check(int sig);

#endif
