// SPDX-License-Identifier: MIT
/*
 * The plugin host: one machine's plugins (struct plugin_host). This file
 * loads them (dlopen), negotiates the ABI version, runs their init,
 * attaches them to the machine's hooks (hv/hooks.h) and carries the
 * events the command line sees (exit, snapshots, divergence, stop
 * message); hooks.c dispatches the machine's events and takes
 * subscriptions, query.c answers queries (and Linux awareness), change.c
 * records a plugin's changes. host_impl.h holds what they share.
 *
 * Machines are instances: a host belongs to one machine and every plugin
 * handle to one host, so two machines in one process each run their own
 * plugins. Process-wide are only the fatal-signal handling (crash.c, the
 * signal disposition is per process; installed while any host is
 * attached) and the thread's marker of the running callback (crash.h,
 * plugin_host_cur), both thread-local. The reset loop's restores keep the
 * machine, so they keep its host.
 *
 * Changes a plugin makes are inputs (ARCHITECTURE.md section 1; change.c).
 *
 * Versions: a plugin's {min, cur} range must meet the host's; the version
 * agreed decides the layouts it is given (rv_plugin_arg, rv_task,
 * rv_module: ABI 4 sized, ABI 1-3 as they were). A sized struct the plugin
 * passes that is smaller than the host's refuses the plugin (during init)
 * or stops the run, with one line naming both sizes (host_size_refuse).
 *
 * Untrusted: plugin arguments (length-checked), and everything a plugin
 * passes (hart numbers, registers, addresses, lengths are checked here or
 * by the machine). A plugin itself is trusted code in the host process.
 */
#include "plugins/host_impl.h"

#include <dlfcn.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv/cpu/block.h"
#include "hv/platform/control.h"
#include "introspect/linux.h"
#include "introspect/syms.h"

_Thread_local struct plugin_host *plugin_host_cur;

/* ---- Loading ---- */

struct plugin_host *plugin_host_create(struct machine *m, struct hv_err *err)
{
	struct plugin_host *ph = calloc(1, sizeof(*ph));

	if (!ph) {
		hv_err_set(err, "out of host memory for the plugin host");
		return NULL;
	}
	ph->m = m;
	return ph;
}

static int host_fail(struct hv_err *err, struct rv_plugin *p, const char *what)
{
	hv_err_set(err, "plugin '%s': %s", p->spec.path, what);
	return -1;
}

static void plugin_free(struct rv_plugin *p)
{
	if (!p)
		return;
	if (p->dl)
		dlclose(p->dl);
	intro_syms_close(p->syms);
	intro_linux_close(p->linux);
	plugin_spec_free(&p->spec);
	free(p);
}

int plugin_host_load(struct plugin_host *ph, const char *spec, struct hv_err *err)
{
	struct rv_plugin *p;

	if (ph->np == HOST_MAX_PLUGINS) {
		hv_err_set(err, "more than %d plugins", HOST_MAX_PLUGINS);
		return -1;
	}
	p = calloc(1, sizeof(*p));
	if (!p) {
		hv_err_set(err, "--plugin '%s': out of host memory", spec);
		return -1;
	}
	p->host = ph;
	p->machine.plugin = p;
	if (plugin_spec_parse(spec, &p->spec, err) != 0) {
		free(p);
		return -1;
	}
	for (int i = 0; i < p->spec.nargs; i++)
		p->args_v1[i] = (struct host_arg_v1){ p->spec.args[i].key, p->spec.args[i].value };
	const char *path = p->spec.path;
	char resolved[4200];
	if (!strchr(path, '/')) {
		/* dlopen would search the library path: a plugin is a file. */
		snprintf(resolved, sizeof(resolved), "./%s", path);
		path = resolved;
	}
	dlerror();
	p->dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!p->dl) {
		const char *e = dlerror();
		hv_err_set(err, "plugin '%s' cannot be loaded: %s", p->spec.path,
			   e ? e : "unknown error");
		plugin_free(p);
		return -1;
	}
	const uint32_t *abi = dlsym(p->dl, "rv_plugin_abi");
	void *init = dlsym(p->dl, "rv_plugin_init");
	if (!abi || !init) {
		host_fail(err, p,
			  !abi ? "it does not export rv_plugin_abi (the ABI versions it "
				 "supports; see plugin.h)" :
				 "it does not export rv_plugin_init");
		plugin_free(p);
		return -1;
	}
	uint32_t pmin = abi[0], pcur = abi[1];
	uint32_t lo = pmin > RV_PLUGIN_ABI_MIN ? pmin : RV_PLUGIN_ABI_MIN;
	uint32_t hi = pcur < RV_PLUGIN_ABI_VERSION ? pcur : RV_PLUGIN_ABI_VERSION;
	if (pmin > pcur || lo > hi) {
		hv_err_set(err,
			   "plugin '%s' supports ABI versions %u to %u; this retrovisor "
			   "supports %u to %u: rebuild the plugin against this plugin.h",
			   p->spec.path, pmin, pcur, RV_PLUGIN_ABI_MIN, RV_PLUGIN_ABI_VERSION);
		plugin_free(p);
		return -1;
	}
	p->abi = hi;
	if (p->spec.vmlinux) {
		p->syms = intro_syms_open(p->spec.vmlinux, err);
		if (!p->syms) {
			char why[sizeof(err->msg)];
			memcpy(why, err->msg, sizeof(why));
			host_fail(err, p, why);
			plugin_free(p);
			return -1;
		}
	}
	ph->p[ph->np++] = p;
	return 0;
}

/* A plugin that crashes in its init is refused, not fatal: the signal
 * jumps back here and the run stops with one line (the process exits
 * right after, so nothing the plugin may have corrupted is used). */
static _Thread_local sigjmp_buf host_init_jmp;
static _Thread_local volatile sig_atomic_t host_init_signal;

static void host_init_crash(int sig)
{
	host_init_signal = sig;
	siglongjmp(host_init_jmp, 1);
}

static int host_call_init(struct rv_plugin *p, const rv_plugin_info *info)
{
	static const int sigs[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT };
	struct sigaction sa, old[HV_ARRAY_LEN(sigs)];
	int (*init)(rv_plugin *, const rv_plugin_info *, int,
		    const void *) = (int (*)(rv_plugin *, const rv_plugin_info *, int,
					     const void *))dlsym(p->dl, "rv_plugin_init");
	/* The arguments as the version agreed lays them out. */
	const void *argv = p->abi >= 4 ? (const void *)p->spec.args : (const void *)p->args_v1;
	volatile int r = -1;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = host_init_crash;
	sa.sa_flags = SA_NODEFER;
	for (unsigned i = 0; i < HV_ARRAY_LEN(sigs); i++)
		sigaction(sigs[i], &sa, &old[i]);
	host_init_signal = 0;
	/* Queries from init answer for this host's machine (not HOST_CALL:
	 * a crash jumps back past its restoring). */
	struct plugin_host *outer = plugin_host_cur;
	plugin_host_cur = p->host;
	if (sigsetjmp(host_init_jmp, 1) == 0)
		r = init(p, info, p->spec.nargs, argv);
	plugin_host_cur = outer;
	for (unsigned i = 0; i < HV_ARRAY_LEN(sigs); i++)
		sigaction(sigs[i], &old[i], NULL);
	return host_init_signal ? -1000 - host_init_signal : r;
}

int plugin_host_attach(struct plugin_host *ph, bool replaying, bool recording, struct hv_err *err)
{
	struct machine *m = ph->m;

	if (!ph->np)
		return 0;
	ph->replaying = replaying;
	ph->recording = recording;
	host_hooks_init(ph);
	machine_set_hooks(m, &ph->hooks);
	for (unsigned i = 0; i < ph->np; i++) {
		struct rv_plugin *p = ph->p[i];
		rv_plugin_info info = {
			.size = sizeof(info),
			.abi_version = p->abi,
			.nharts = m->nharts,
			.ram_base = m->ram.base,
			.ram_size = m->ram.size,
			.replaying = replaying,
			.recording = recording,
			.vmlinux = p->spec.vmlinux,
			.machine = &p->machine,
			.domain = ph->domain,
		};
		int r = host_call_init(p, &info);
		if (r <= -1000) {
			hv_err_set(err,
				   "plugin '%s' crashed in its rv_plugin_init (%s); it is not "
				   "used",
				   p->spec.path, strsignal(-r - 1000));
			machine_set_hooks(m, NULL);
			return -1;
		}
		if (p->size_refused) {
			hv_err_set(err, "plugin '%s' is refused: %s", p->spec.path, p->msg);
			machine_set_hooks(m, NULL);
			return -1;
		}
		if (r != 0) {
			hv_err_set(err, "plugin '%s' refused to start%s%s", p->spec.path,
				   p->msg[0] ? ": " : " (its rv_plugin_init returned non-zero)",
				   p->msg);
			machine_set_hooks(m, NULL);
			return -1;
		}
	}
	/* From now on a plugin that crashes in a callback is named. */
	plugin_crash_install();
	ph->attached = true;
	/* Code decoded before the plugins subscribed to blocks must be
	 * decoded again (for them to subscribe its instructions). */
	for (unsigned i = 0; i < ph->np; i++)
		for (unsigned j = 0; ph->p[i] && j < ph->p[i]->nblock; j++)
			if (ph->p[i]->block[j].cb) {
				block_flush_all(m);
				return 0;
			}
	return 0;
}

bool plugin_host_instrumented(const struct plugin_host *ph)
{
	return ph && ph->instrumented;
}

struct plugin_host *plugin_host_of(const struct machine *m)
{
	if (!m || !m->hooks || m->hooks->apply != host_apply_queue)
		return NULL;
	return m->hooks->opaque;
}

/* ---- Events from the command line ---- */

void plugin_host_exit(struct plugin_host *ph, int status)
{
	if (!ph)
		return;
	FOR_SUBS(ph, exit, nexit, rv_exit_cb, status);
}

void plugin_host_snapshot(struct plugin_host *ph, const char *name, bool restored)
{
	if (!ph)
		return;
	FOR_SUBS(ph, snapshot, nsnapshot, rv_snapshot_cb, name ? name : "", restored);
}

void plugin_host_divergence(struct plugin_host *ph, uint64_t icount)
{
	if (!ph)
		return;
	FOR_SUBS(ph, divergence, ndivergence, rv_divergence_cb, icount);
}

const char *plugin_host_stop_message(struct plugin_host *ph)
{
	if (!ph || !ph->stopper)
		return NULL;
	snprintf(ph->strbuf, sizeof(ph->strbuf), "plugin %s stopped the run%s%s",
		 ph->stopper->spec.name, ph->stopper->msg[0] ? ": " : "", ph->stopper->msg);
	return ph->strbuf;
}

bool plugin_host_active(const struct plugin_host *ph)
{
	return ph && ph->np != 0;
}

void plugin_host_clear_stop(struct plugin_host *ph)
{
	if (ph)
		ph->stopper = NULL;
}

void plugin_host_destroy(struct plugin_host *ph)
{
	if (!ph)
		return;
	if (ph->attached)
		plugin_crash_uninstall();
	for (unsigned i = 0; i < ph->np; i++)
		plugin_free(ph->p[i]);
	free(ph->slots);
	free(ph->slot_hash);
	free(ph->queue);
	if (ph->m && ph->m->hooks == &ph->hooks)
		machine_set_hooks(ph->m, NULL);
	free(ph);
}

/* ---- The ABI: lifetime ---- */

RV_PLUGIN_EXPORT void rv_plugin_fail(rv_plugin *self, const char *message)
{
	if (self && message && !self->size_refused)
		snprintf(self->msg, sizeof(self->msg), "%s", message);
}

void host_size_refuse(struct rv_plugin *p, const char *fn, const char *type, uint32_t got,
		      uint32_t want)
{
	if (p->size_refused)
		return;
	snprintf(p->msg, sizeof(p->msg),
		 "%s was given an %s of %u bytes, where this retrovisor's "
		 "is %u bytes: rebuild the plugin against its plugin.h",
		 fn, type, got, want);
	p->size_refused = true;
	if (p->host->attached)
		rv_request_stop(p);
}

void plugin_host_set_domain(struct plugin_host *ph, const char *name)
{
	ph->domain = name;
}

void plugin_host_set_net(struct plugin_host *ph, plugin_host_net_fn fn, void *opaque)
{
	ph->net = fn;
	ph->net_opaque = opaque;
}
