// SPDX-License-Identifier: MIT
/*
 * The domains of `retrovisor up` (cli/updom.h). Each domain's keys become
 * `run` options and go through run's own parser and machine builder
 * (cli_parse, cli_machine_config), so a domain is the machine `retrovisor
 * run` would make from the same images; its network, if it has a vif, is
 * a NET_LINK device joined to its bridge's switch. One domain's console
 * may go to stdout (--console NAME); every other domain's goes to
 * LOGDIR/NAME.console.
 *
 * A domain saved by the toolstack (`xl save`) is a snapshot file
 * (snapshot/file.h) whose configuration is the domain's own block of a
 * configuration file, the bridge it was on declared before it: `xl
 * restore` parses it as `up` parses a file, builds the machine from it and
 * gives the machine the file's state.
 */
#include "cli/updom.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "base/sha256.h"
#include "cli/toolstack.h"
#include "hv/platform/control.h"
#include "hv/platform/loader.h"
#include "plugins/host.h"
#include "snapshot/file.h"
#include "snapshot/snap.h"

static void up_console_write(void *opaque, const uint8_t *buf, size_t len)
{
	struct up_console *c = opaque;

	if (c->f) {
		fwrite(buf, 1, len, c->f);
		fflush(c->f);
	}
	if (*c->ts)
		toolstack_console(*c->ts, c->id, buf, len);
}

/* The run options a domain's keys stand for; argv has room for 40
 * entries, bufs for 96 bytes (the numbers' text). */
static int up_domain_opts(const struct domcfg_domain *d, struct cli_opts *o, char **argv,
			  char *bufs, struct hv_err *err)
{
	int argc = 0;
	char *memory = bufs, *harts = bufs + 32, *seed = bufs + 64;

	snprintf(memory, 32, "%" PRIu64 "M", d->memory_mib);
	snprintf(harts, 32, "%u", d->vcpus);
	snprintf(seed, 32, "%" PRIu64, d->rng_seed);
	/* Options whose value is NULL are left out. */
	const char *const pairs[][2] = {
		{ "--kernel", d->kernel },
		{ "--initrd", d->initrd },
		{ "--append", d->cmdline },
		{ "--bios", d->bios },
		{ "--memory", d->memory_mib ? memory : NULL },
		{ "--harts", d->vcpus ? harts : NULL },
		{ "--rng-seed", seed },
	};
	argv[argc++] = "retrovisor";
	argv[argc++] = "run";
	for (unsigned k = 0; k < HV_ARRAY_LEN(pairs); k++) {
		if (pairs[k][1]) {
			argv[argc++] = (char *)pairs[k][0];
			argv[argc++] = (char *)pairs[k][1];
		}
	}
	for (unsigned k = 0; k < d->ndisk; k++) {
		argv[argc++] = "--drive";
		argv[argc++] = d->disk[k];
	}
	argv[argc] = NULL;
	if (cli_parse(argc, argv, o, err) != 0)
		return -1;
	return 0;
}

/* The domain's machine goes: its plugins see the end first. */
static void up_domain_gone(void *opaque, struct domain *d)
{
	struct up_domain *u = opaque;

	if (u->ph) {
		plugin_host_exit(u->ph, d->exit_status);
		plugin_host_destroy(u->ph);
		u->ph = NULL;
	}
}

/* The plugins the file gives domain d, loaded and attached. */
static int up_plugins(struct up_sys *us, struct up_domain *u, struct machine *m, struct hv_err *err)
{
	const struct domcfg_domain *d = u->cfg;

	if (!d->nplugin || us->no_plugins)
		return 0;
	u->ph = plugin_host_create(m, err);
	if (!u->ph)
		return -1;
	plugin_host_set_domain(u->ph, u->name);
	if (d->has_vif && !u->unplugged) {
		u->net = (struct upnet_queue){ .domain = u->name,
					       .bridge = d->bridge,
					       .replaying = us->replaying };
		plugin_host_set_net(u->ph, upnet_request, &u->net);
	}
	for (unsigned k = 0; k < d->nplugin; k++)
		if (plugin_host_load(u->ph, d->plugin[k], err) != 0)
			goto fail;
	if (plugin_host_attach(u->ph, false, false, err) == 0)
		return 0;
fail:
	plugin_host_destroy(u->ph);
	u->ph = NULL;
	return -1;
}

/* Domain id's machine from its keys, images loaded, console connected. */
static struct machine *up_machine(struct up_sys *us, struct up_domain *u, unsigned id,
				  struct hv_err *err)
{
	const struct domcfg_domain *d = u->cfg;
	struct cli_opts *o = &u->o;
	struct machine_config cfg;
	struct hv_err sub = { { 0 } };

	if (up_domain_opts(d, o, u->argv, u->bufs, &sub) != 0) {
		hv_err_set(err, "domain '%s' (line %u): %s", u->name, d->line, sub.msg);
		return NULL;
	}
	if (d->has_vif) {
		net_opts_init(&o->net);
		o->net.mode = NET_LINK;
		if (d->has_mac) {
			memcpy(o->net.mac, d->mac, sizeof(o->net.mac));
		} else {
			/* QEMU's prefix and the domain's number: distinct on a bridge. */
			o->net.mac[4] = 0x01;
			o->net.mac[5] = (uint8_t)(id + 1);
		}
	}
	cli_machine_config(o, u->drives, us->rtc_ns, &cfg);
	struct machine *m = machine_create(&cfg, &sub);
	if (!m) {
		hv_err_set(err, "domain '%s': %s", u->name, sub.msg);
		return NULL;
	}
	struct loader_opts lo = { .kernel = o->kernel, .initrd = o->initrd, .bios = o->bios };
	if (loader_load(m, &lo, &sub) != 0) {
		hv_err_set(err, "domain '%s': %s", u->name, sub.msg);
		machine_destroy(m);
		return NULL;
	}
	u->con.ts = &us->ts;
	u->con.id = id;
	machine_set_console_sink(m, up_console_write, &u->con);
	return m;
}

static int up_console_open(struct up_sys *us, struct up_domain *u, struct hv_err *err)
{
	if (us->console && !strcmp(us->console, u->name)) {
		u->con.f = stdout;
		return 0;
	}
	char path[4200];
	snprintf(path, sizeof(path), "%s/%s.console", us->log_dir, u->name);
	u->con.f = fopen(path, "w");
	if (u->con.f)
		return 0;
	hv_err_set(err, "cannot write domain '%s''s console to %.300s: %s", u->name, path,
		   strerror(errno));
	return -1;
}

int updom_add(struct up_sys *us, const struct domcfg_domain *d, const char *name, bool plug,
	      struct hv_err *err)
{
	unsigned id = system_ndomains(us->s);
	struct up_domain *u;
	struct machine *m;

	if (id >= SYSTEM_MAX_DOMAINS) {
		hv_err_set(err, "domain '%s' would be one more than the %d a system holds", name,
			   SYSTEM_MAX_DOMAINS);
		return -1;
	}
	if (system_find_live(us->s, name)) {
		hv_err_set(err, "there is already a domain named '%s'", name);
		return -1;
	}
	u = calloc(1, sizeof(*u));
	if (!u) {
		hv_err_set(err, "out of host memory");
		return -1;
	}
	u->cfg = d;
	snprintf(u->name, sizeof(u->name), "%s", name);
	u->unplugged = !plug;
	if (!(m = up_machine(us, u, id, err)))
		goto fail;
	if (up_console_open(us, u, err) != 0) {
		machine_destroy(m);
		goto fail;
	}
	struct domain_spec spec = {
		.name = u->name,
		.on_poweroff = d->on_poweroff,
		.on_reboot = d->on_reboot,
		.on_crash = d->on_crash,
		.lo = { .kernel = u->o.kernel, .initrd = u->o.initrd, .bios = u->o.bios },
		.on_destroy = up_domain_gone,
		.opaque = u,
	};
	if (system_add_domain(us->s, &spec, m, err) < 0)
		goto fail;
	us->ud[id] = u;
	if (up_plugins(us, u, m, err) != 0 ||
	    (plug && d->has_vif &&
	     system_plug(us->s, id, system_find_switch(us->s, d->bridge), err) != 0)) {
		system_destroy_domain(us->s, id);
		return -1;
	}
	return (int)id;
fail:
	if (u->con.f && u->con.f != stdout)
		fclose(u->con.f);
	free(u);
	return -1;
}

struct machine *updom_remake(struct up_sys *us, unsigned id, struct hv_err *err)
{
	struct up_domain *u = id < SYSTEM_MAX_DOMAINS ? us->ud[id] : NULL;
	struct machine *m;

	if (!u) {
		hv_err_set(err, "domain %u cannot be made again", id);
		return NULL;
	}
	if (!(m = up_machine(us, u, id, err)))
		return NULL;
	if (up_plugins(us, u, m, err) != 0) {
		machine_destroy(m);
		return NULL;
	}
	return m;
}

void updom_free(struct up_sys *us)
{
	for (unsigned i = 0; i < SYSTEM_MAX_DOMAINS; i++) {
		struct up_domain *u = us->ud[i];
		if (u && u->con.f && u->con.f != stdout)
			fclose(u->con.f);
		free(u);
		us->ud[i] = NULL;
	}
	for (unsigned i = 0; i < us->nfile; i++) {
		domcfg_free(us->file[i]);
		free(us->file[i]);
	}
	us->nfile = 0;
}
