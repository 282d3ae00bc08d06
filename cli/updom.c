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
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "base/sha256.h"
#include "cli/toolstack.h"
#include "cli/upsave.h"
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
				  const struct updom_state *st, struct hv_err *err)
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
		if (st && st->mac) {
			memcpy(o->net.mac, st->mac, sizeof(o->net.mac));
		} else if (d->has_mac) {
			memcpy(o->net.mac, d->mac, sizeof(o->net.mac));
		} else {
			/* QEMU's prefix and the domain's number: distinct on a bridge. */
			o->net.mac[4] = 0x01;
			o->net.mac[5] = (uint8_t)(id + 1);
		}
	}
	cli_machine_config(o, u->drives, us->rtc_ns, &cfg);
	cfg.digest_version = us->digest_version;
	struct machine *m = machine_create(&cfg, &sub);
	if (!m) {
		hv_err_set(err, "domain '%s': %s", u->name, sub.msg);
		return NULL;
	}
	struct loader_opts lo = { .kernel = o->kernel, .initrd = o->initrd, .bios = o->bios };
	if (st ? st->give(st->arg, m, &sub) != 0 : loader_load(m, &lo, &sub) != 0) {
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
	/* A domain made while the system runs may take the name of one that
	 * was destroyed: its console goes on after the other's. */
	u->con.f = fopen(path, system_epoch(us->s) ? "a" : "w");
	if (u->con.f)
		return 0;
	hv_err_set(err, "cannot write domain '%s''s console to %.300s: %s", u->name, path,
		   strerror(errno));
	return -1;
}

int updom_add(struct up_sys *us, const struct domcfg_domain *d, const char *name, bool plug,
	      const struct updom_state *st, struct hv_err *err)
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
	if (!(m = up_machine(us, u, id, st, err)))
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
	if (system_set_sched(us->s, id, d->weight, d->cap, err) != 0 ||
	    up_plugins(us, u, m, err) != 0 ||
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
	if (!(m = up_machine(us, u, id, NULL, err)))
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

/* ---- The toolstack's operations ---- */

static int updom_keep_file(struct up_sys *us, struct domcfg *c, struct hv_err *err)
{
	if (us->nfile == UP_MAX_FILES) {
		hv_err_set(err, "the system has read %d files already; start it again to read more",
			   UP_MAX_FILES);
		return -1;
	}
	us->file[us->nfile++] = c;
	return 0;
}

/* The bridges of c the system lacks, made with c's settings. */
static int updom_bridges(struct up_sys *us, const struct domcfg *c, struct hv_err *err)
{
	for (unsigned i = 0; i < c->nbridge; i++) {
		const struct domcfg_bridge *b = &c->bridge[i];
		if (system_find_switch(us->s, b->name))
			continue;
		struct hv_switch *sw = switch_create(b->name, b->latency, b->seed, err);
		if (!sw || system_add_switch(us->s, sw, err) != 0)
			return -1;
		switch_set_faults(sw, &b->faults);
	}
	return 0;
}

/* A file's text (at most 1 MiB), NUL-terminated; NULL with err. */
static char *updom_read(const char *path, size_t *len, struct hv_err *err)
{
	FILE *f = fopen(path, "r");
	char *text = f ? malloc(1u << 20) : NULL;

	*len = text ? fread(text, 1, (1u << 20) - 1, f) : 0;
	if (text)
		text[*len] = '\0';
	if (!text)
		hv_err_set(err, "cannot read %.300s: %s", path,
			   f ? "out of memory" : strerror(errno));
	if (f)
		fclose(f);
	return text;
}

/* The digest of a created file: its text, then each image's digest. */
static int updom_cfg_digest(const struct domcfg *c, const char *text, size_t len, char *hex,
			    struct hv_err *err)
{
	struct sha256_ctx ctx;
	uint8_t sum[SHA256_DIGEST_SIZE];

	sha256_init(&ctx);
	sha256_update(&ctx, text, len);
	for (unsigned i = 0; i < c->ndom; i++) {
		const struct domcfg_domain *d = &c->dom[i];
		const char *img[3 + DOMCFG_MAX_DISKS] = { d->kernel, d->initrd, d->bios };
		for (unsigned j = 0; j < d->ndisk; j++)
			img[3 + j] = d->disk[j];
		for (unsigned j = 0; j < 3 + d->ndisk; j++) {
			char path[4200];
			if (!img[j] || !strcmp(img[j], "none"))
				continue;
			snprintf(path, sizeof(path), "%s", img[j] + (j >= 3 ? 5 : 0));
			char *comma = j >= 3 ? strchr(path, ',') : NULL;
			if (comma)
				*comma = '\0';
			if (sha256_file(path, sum, err) != 0)
				return -1;
			sha256_update(&ctx, sum, sizeof(sum));
		}
	}
	sha256_final(&ctx, sum);
	sha256_hex(sum, hex);
	return 0;
}

static int updom_check_digest(const char *what, const char *expect, const char *hex,
			      struct hv_err *err)
{
	if (!expect || !strcmp(expect, hex))
		return 0;
	hv_err_set(err, "%s has changed since the recording (its SHA-256 differs)", what);
	return -1;
}

static int updom_create(void *opaque, const char *path, const char *expect, char *sha_hex,
			struct hv_err *err)
{
	struct up_sys *us = opaque;
	struct domcfg *c = calloc(1, sizeof(*c));
	size_t len;
	char *text = c ? updom_read(path, &len, err) : NULL;
	int ret = -1;

	if (!text || domcfg_parse(path, text, len, true, c, err) != 0) {
		free(text);
		free(c);
		return -1;
	}
	if (updom_cfg_digest(c, text, len, sha_hex, err) != 0 ||
	    updom_check_digest(path, expect, sha_hex, err) != 0)
		goto out;
	for (unsigned i = 0; i < c->ndom; i++) {
		if (system_find_live(us->s, c->dom[i].name)) {
			hv_err_set(err, "%.300s:%u: there is already a domain named '%s'", path,
				   c->dom[i].line, c->dom[i].name);
			goto out;
		}
	}
	if (updom_bridges(us, c, err) != 0 || updom_keep_file(us, c, err) != 0)
		goto out;
	ret = 0;
	for (unsigned i = 0; i < c->ndom && ret == 0; i++)
		ret = updom_add(us, &c->dom[i], c->dom[i].name, true, NULL, err) < 0 ? -1 : 0;
	free(text);
	return ret;
out:
	free(text);
	domcfg_free(c);
	free(c);
	return -1;
}

/* One value of a saved domain's block, quoted as the file's syntax
 * allows; false if it contains both kinds of quote. */
static bool updom_put(FILE *f, const char *key, const char *v)
{
	char q = strchr(v, '\'') ? '"' : '\'';

	if (strchr(v, q))
		return false;
	fprintf(f, "%s = %c%s%c\n", key, q, v, q);
	return true;
}

static bool updom_put_path(FILE *f, const char *key, const char *path)
{
	char abs[PATH_MAX];

	if (!strcmp(path, "none") || path[0] == '/' || !realpath(path, abs))
		return updom_put(f, key, path);
	return updom_put(f, key, abs);
}

static const char *updom_policy(enum domain_policy p)
{
	return p == DOMAIN_DESTROY ? "destroy" : p == DOMAIN_RESTART ? "restart" : "preserve";
}

/* Domain u's block of a configuration file: what `xl restore` makes it
 * from. Paths absolute; its MAC as its device has it. NULL with err. */
char *updom_block(struct up_sys *us, unsigned id, bool with_bridge, struct hv_err *err)
{
	const struct up_domain *u = us->ud[id];
	unsigned weight, cap;
	const struct domcfg_domain *d = u->cfg;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	bool ok = f != NULL;

	if (!f) {
		hv_err_set(err, "out of host memory");
		return NULL;
	}
	fprintf(f, "# Domain '%s', saved by retrovisor xl save (docs/domains.md)\n", u->name);
	if (d->has_vif && with_bridge)
		fprintf(f, "bridge = [ '%s' ]\n", d->bridge);
	ok &= updom_put(f, "name", u->name);
	const char *paths[][2] = { { "kernel", d->kernel },
				   { "initrd", d->initrd },
				   { "bios", d->bios } };
	for (unsigned k = 0; k < HV_ARRAY_LEN(paths); k++)
		if (paths[k][1])
			ok &= updom_put_path(f, paths[k][0], paths[k][1]);
	if (d->cmdline)
		ok &= updom_put(f, "cmdline", d->cmdline);
	if (d->memory_mib)
		fprintf(f, "memory = %" PRIu64 "\n", d->memory_mib);
	if (d->vcpus)
		fprintf(f, "vcpus = %u\n", d->vcpus);
	fprintf(f, "rng_seed = %" PRIu64 "\n", d->rng_seed);
	/* The scheduling it has now (xl sched-credit may have changed it). */
	if (system_get_sched(us->s, id, &weight, &cap, err) != 0) {
		fclose(f);
		free(text);
		return NULL;
	}
	fprintf(f, "weight = %u\ncap = %u\n", weight, cap);
	for (unsigned k = 0; k < d->ndisk; k++) {
		/* "file=PATH[,options]": PATH made absolute. */
		const char *opts = strchr(d->disk[k], ',');
		char path[4200], abs[PATH_MAX];
		snprintf(path, sizeof(path), "%.*s", opts ? (int)(opts - d->disk[k] - 5) : 4100,
			 d->disk[k] + 5);
		const char *p = realpath(path, abs) ? abs : path;
		ok &= !strchr(p, '\'') && !(opts && strchr(opts, '\''));
		fprintf(f, "%s  'file=%s%s',\n%s", k ? "" : "disk = [\n", p, opts ? opts : "",
			k + 1 == d->ndisk ? "]\n" : "");
	}
	if (d->has_vif) {
		const uint8_t *mac = u->o.net.mac;
		fprintf(f, "vif = [ 'bridge=%s,mac=%02x:%02x:%02x:%02x:%02x:%02x' ]\n", d->bridge,
			mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
	}
	for (unsigned k = 0; k < d->nplugin; k++) {
		fprintf(f, "%s", k ? "" : "plugin = [\n");
		ok &= !strchr(d->plugin[k], '\'');
		fprintf(f, "  '%s',\n%s", d->plugin[k], k + 1 == d->nplugin ? "]\n" : "");
	}
	fprintf(f, "on_poweroff = '%s'\non_reboot = '%s'\non_crash = '%s'\n",
		updom_policy(d->on_poweroff), updom_policy(d->on_reboot),
		updom_policy(d->on_crash));
	if (fclose(f) != 0 || !ok) {
		hv_err_set(err,
			   "domain '%s' cannot be saved: a path or argument has both kinds "
			   "of quote mark",
			   u->name);
		free(text);
		return NULL;
	}
	return text;
}

static int updom_save(void *opaque, unsigned id, const char *path, struct hv_err *err)
{
	struct up_sys *us = opaque;
	struct domain *d = system_domain(us->s, id);
	struct snapfile_stats st;
	char *block;

	/* A replay writes no file: what a later restore reads is the file
	 * the recording wrote, checked by its digest. */
	if (us->replaying)
		return 0;
	if (!(block = updom_block(us, id, true, err)))
		return -1;
	int ret = snapfile_save(d->m, path, block, NULL, false, &st, err);
	free(block);
	return ret;
}

int updom_apply_file(void *arg, struct machine *m, struct hv_err *err)
{
	return snapfile_apply(arg, m, NULL, err);
}

static int updom_restore(void *opaque, const char *path, const char *name, const char *expect,
			 char *sha_hex, struct hv_err *err)
{
	struct up_sys *us = opaque;
	uint8_t sum[SHA256_DIGEST_SIZE];
	struct snapfile *f = NULL;
	struct domcfg *c = NULL;
	int ret = -1;

	if (sha256_file(path, sum, err) != 0)
		return -1;
	sha256_hex(sum, sha_hex);
	if (updom_check_digest(path, expect, sha_hex, err) != 0 || !(f = snapfile_open(path, err)))
		return -1;
	const char *block = snapfile_config(f);
	c = calloc(1, sizeof(*c));
	if (!c || domcfg_parse(path, block, strlen(block), true, c, err) != 0 || c->ndom != 1) {
		if (c && !err->msg[0])
			hv_err_set(err, "%.300s was not saved by xl save (it holds no domain)",
				   path);
		free(c);
		goto out;
	}
	if (updom_bridges(us, c, err) != 0 || updom_keep_file(us, c, err) != 0) {
		domcfg_free(c);
		free(c);
		goto out;
	}
	struct updom_state st = { updom_apply_file, f, NULL };
	ret = updom_add(us, &c->dom[0], name ? name : c->dom[0].name, true, &st, err) < 0 ? -1 : 0;
out:
	snapfile_close(f);
	return ret;
}

static int updom_give_snap(void *arg, struct machine *m, struct hv_err *err)
{
	return snap_restore(m, arg, err) < 0 ? -1 : 0;
}

static int updom_fork(void *opaque, unsigned id, const char *name, struct hv_err *err)
{
	struct up_sys *us = opaque;
	struct domain *d = system_domain(us->s, id);
	struct snap *s = snap_take(d->m, err);

	if (!s)
		return -1;
	/* Unplugged: a copy of the parent, MAC and addresses included, on
	 * the parent's bridge would take its traffic. */
	struct updom_state st = { updom_give_snap, s, us->ud[id]->o.net.mac };
	int child = updom_add(us, us->ud[id]->cfg, name, false, &st, err);
	unsigned weight, cap;
	snap_free(s);
	/* Its parent's scheduling as it is now. */
	if (child < 0 || system_get_sched(us->s, id, &weight, &cap, err) != 0 ||
	    system_set_sched(us->s, (unsigned)child, weight, cap, err) != 0)
		return -1;
	return 0;
}

static struct machine *updom_remake_op(void *opaque, unsigned id, struct hv_err *err)
{
	return updom_remake(opaque, id, err);
}

void updom_host(struct up_sys *us, struct toolstack_host *h)
{
	*h = (struct toolstack_host){
		.create = updom_create,
		.save = updom_save,
		.restore = updom_restore,
		.fork = updom_fork,
		.remake = updom_remake_op,
		.save_system = upsave_save,
		.opaque = us,
	};
}
