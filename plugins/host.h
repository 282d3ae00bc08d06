/* SPDX-License-Identifier: MIT */
/*
 * The plugin host (host.c, hooks.c, query.c, change.c): what the command
 * line calls to load plugins and connect them to a machine. A host is an
 * instance, one per machine that runs plugins, owned by whoever owns the
 * machine; plugins themselves see only
 * plugins/include/retrovisor/plugin.h.
 */
#ifndef PLUGINS_HOST_H
#define PLUGINS_HOST_H

#include "hv/platform/machine.h"

/* pv_req.op values of a plugin's snapshot requests (STOP_GUEST_REQUEST;
 * the name is in m->pv_req_name). */
#define PLUGIN_HOST_OP_SNAPSHOT 0x2000u
#define PLUGIN_HOST_OP_RESTORE 0x2001u

/* One machine's plugins (host_impl.h). Each machine that runs plugins
 * has its own host: two hosts in one process share nothing but the
 * crash handler (crash.c). */
struct plugin_host;

/* A host for m, with no plugins yet. NULL with err (out of host memory). */
struct plugin_host *plugin_host_create(struct machine *m, struct hv_err *err);
/* Load FILE[,key=value...] (dlopen, ABI check). 0 or -1 with err. A
 * plugin file loaded by two hosts is one copy in the process (dlopen):
 * its global variables are shared, what it keeps behind its callbacks'
 * user data is not. */
int plugin_host_load(struct plugin_host *ph, const char *spec, struct hv_err *err);
/* The machine is domain name (kept by pointer) of a system (`up`): given
 * to the plugins in their info (before plugin_host_attach). */
void plugin_host_set_domain(struct plugin_host *ph, const char *name);
/* A plugin's rv_machine_net_request, checked (names are letters, digits,
 * '-', '_', '.'; domain "" is the plugin's own), for the machine's owner
 * to apply between epochs. */
struct plugin_net_request {
	uint32_t what; /* RV_NET_PARTITION or RV_NET_FAULTS */
	char domain[64];
	uint32_t group;
	uint32_t drop_ppm, duplicate_ppm, reorder_ppm, delay_ppm, delay_epochs;
};
/* Called on the machine's thread during its epoch: 0 when queued, -1 to
 * refuse (the queue is full). */
typedef int (*plugin_host_net_fn)(void *opaque, const struct plugin_net_request *r);
/* Plugins' network requests go to fn(opaque); without it (a machine that
 * is no domain on a bridge) they are refused. */
void plugin_host_set_net(struct plugin_host *ph, plugin_host_net_fn fn, void *opaque);
/* Run the plugins' init against the host's machine and hook them in. 0 or
 * -1 with err (a plugin refused). Nothing happens without plugins. */
int plugin_host_attach(struct plugin_host *ph, bool replaying, bool recording, struct hv_err *err);
/* The host attached to m (its hooks), or NULL. */
struct plugin_host *plugin_host_of(const struct machine *m);
/* Events the command line sees; a NULL host has no plugins. */
void plugin_host_exit(struct plugin_host *ph, int status);
void plugin_host_snapshot(struct plugin_host *ph, const char *name, bool restored);
void plugin_host_divergence(struct plugin_host *ph, uint64_t icount);
/* After STOP_PLUGIN: one sentence, or NULL. */
const char *plugin_host_stop_message(struct plugin_host *ph);
bool plugin_host_active(const struct plugin_host *ph);
/* The reset loop goes on after a plugin stopped an iteration. */
void plugin_host_clear_stop(struct plugin_host *ph);
/* Whether any decoded block got instruction callbacks (then decoded code
 * must be dropped when the plugins go: block_flush_all). */
bool plugin_host_instrumented(const struct plugin_host *ph);
/* Unhooks the plugins from the machine, unloads them and frees ph
 * (NULL: nothing). */
void plugin_host_destroy(struct plugin_host *ph);

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
