// SPDX-License-Identifier: MIT
/*
 * A whole system saved to files and started again (cli/upsave.h). Port
 * numbers on a bridge depend on the order domains joined it, which the
 * restored system does not repeat: the state file names each port's
 * domain, and the switch's lines are read through a map from saved ports
 * to the restored domains' ports.
 */
#include "cli/upsave.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/uplink.h"
#include "hv/machine.h"
#include "snapshot/file.h"

/* Version 2 hashes pages for its digests as digest version 2 does
 * (hv/machine.h); version 1 files are read too. */
#define UPSAVE_MAGIC "retrovisor-system-state 2"
#define UPSAVE_MAGIC_V1 "retrovisor-system-state 1"

static const char *const upsave_states[] = { "running", "paused", "stopped" };

/* The bridge's settings in up's file or a created one. */
static const struct domcfg_bridge *upsave_bridge(const struct up_sys *us, const char *name)
{
	for (unsigned f = 0; f <= us->nfile; f++) {
		const struct domcfg *c = f == 0 ? us->cfg : us->file[f - 1];
		for (unsigned i = 0; c && i < c->nbridge; i++)
			if (!strcmp(c->bridge[i].name, name))
				return &c->bridge[i];
	}
	return NULL;
}

static FILE *upsave_open(const char *dir, const char *name, const char *mode, char *path, size_t n,
			 struct hv_err *err)
{
	snprintf(path, n, "%s/%s", dir, name);
	FILE *f = fopen(path, mode);
	if (!f)
		hv_err_set(err, "cannot %s %.300s: %s", mode[0] == 'r' ? "read" : "write", path,
			   strerror(errno));
	return f;
}

int upsave_save(void *opaque, const char *dir, struct hv_err *err)
{
	struct up_sys *us = opaque;
	struct hv_system *s = us->s;
	char path[4200], *block;
	FILE *cfg = NULL, *st = NULL;
	int ret = -1;

	if (us->replaying)
		return 0; /* a replay writes no file */
	for (unsigned i = 0; system_switch(s, i); i++) {
		const struct domcfg_bridge *b = upsave_bridge(us, switch_name(system_switch(s, i)));
		if (!b || b->uplink) {
			hv_err_set(err,
				   "bridge '%s' has an uplink, whose host connections cannot be "
				   "saved; save its domains one by one (xl save)",
				   switch_name(system_switch(s, i)));
			return -1;
		}
	}
	if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
		hv_err_set(err, "cannot make %.300s: %s", dir, strerror(errno));
		return -1;
	}
	if (!(cfg = upsave_open(dir, "system.cfg", "w", path, sizeof(path), err)) ||
	    !(st = upsave_open(dir, "system.state", "w", path, sizeof(path), err)))
		goto out;
	uint64_t epoch = system_epoch(s);
	fprintf(cfg,
		"# A system saved by retrovisor xl save-system at epoch %" PRIu64
		" (docs/domains.md)\nepoch_us = %" PRIu64 "\n",
		epoch, us->cfg->epoch_us);
	fprintf(cfg, "cpus = %u\n", system_cpus(s));
	for (unsigned i = 0; system_switch(s, i); i++) {
		const struct domcfg_bridge *b = upsave_bridge(us, switch_name(system_switch(s, i)));
		fprintf(cfg, "%s'%s,latency=%u'%s", i ? ", " : "bridge = [ ", b->name, b->latency,
			system_switch(s, i + 1) ? "" : " ]\n");
	}
	fprintf(st, "%s\n", UPSAVE_MAGIC);
	for (unsigned i = 0; i < system_ndomains(s); i++) {
		struct domain *d = system_domain(s, i);
		struct snapfile_stats fs;
		if (d->state == DOMAIN_DESTROYED)
			continue;
		if (!(block = updom_block(us, i, false, err)))
			goto out;
		fprintf(cfg, "\n%s", block);
		snprintf(path, sizeof(path), "%s/%s.snap", dir, d->name);
		int r = snapfile_save(d->m, path, block, NULL, false, &fs, err);
		free(block);
		if (r != 0)
			goto out;
		/* Its next epoch ends one epoch_len after this. */
		uint64_t clock = d->base_itime + (epoch - d->start_epoch) * system_epoch_len(s);
		fprintf(st, "domain %s %s %" PRIu64 " %" PRIu64 " %s %d %016" PRIx64 "\n", d->name,
			upsave_states[d->state], d->restarts, clock,
			d->sw && !us->ud[i]->unplugged ? switch_name(d->sw) : "-",
			d->sw && !us->ud[i]->unplugged ? d->port : -1, machine_digest(d->m));
	}
	for (unsigned i = 0; system_switch(s, i); i++) {
		fprintf(st, "bridge %s\n", switch_name(system_switch(s, i)));
		switch_write(system_switch(s, i), st, epoch);
	}
	ret = 0;
out:
	if (cfg && fclose(cfg) != 0 && ret == 0) {
		hv_err_set(err, "cannot write %.300s/system.cfg", dir);
		ret = -1;
	}
	if (st && fclose(st) != 0 && ret == 0) {
		hv_err_set(err, "cannot write %.300s/system.state", dir);
		ret = -1;
	}
	return ret;
}

/* One domain line: the domain made from its block and file, as it was. */
static int upsave_domain(struct up_sys *us, const char *dir, char *line, const char *where,
			 int (*map)[SWITCH_MAX_PORTS], unsigned digest_version, struct hv_err *err)
{
	char name[DOMAIN_NAME_MAX], state[16], bridge[64], path[4200];
	uint64_t restarts, clock, digest;
	int port, n = 0, k;
	const struct domcfg_domain *d = NULL;

	if (sscanf(line, "domain %63s %15s %" SCNu64 " %" SCNu64 " %63s %d %" SCNx64 "%n", name,
		   state, &restarts, &clock, bridge, &port, &digest, &n) != 7 ||
	    line[n]) {
		hv_err_set(err, "%s: a malformed domain line", where);
		return -1;
	}
	for (k = 0; k < 3 && strcmp(state, upsave_states[k]); k++)
		;
	for (unsigned i = 0; i < us->cfg->ndom && !d; i++)
		if (!strcmp(us->cfg->dom[i].name, name))
			d = &us->cfg->dom[i];
	struct hv_switch *sw = strcmp(bridge, "-") ? system_find_switch(us->s, bridge) : NULL;
	if (k == 3 || !d || (strcmp(bridge, "-") && !sw) || port < -1 || port >= SWITCH_MAX_PORTS ||
	    (sw && port < 0)) {
		hv_err_set(err,
			   "%s: domain '%s': a state, domain, bridge or port that system.cfg "
			   "does not have",
			   where, name);
		return -1;
	}
	snprintf(path, sizeof(path), "%s/%s.snap", dir, name);
	struct snapfile *f = snapfile_open(path, err);
	if (!f)
		return -1;
	struct updom_state st = { updom_apply_file, f, NULL };
	int id = updom_add(us, d, name, sw != NULL, &st, err);
	snapfile_close(f);
	if (id < 0 ||
	    system_set_record(us->s, (unsigned)id, (enum domain_state)k, clock, restarts, err) != 0)
		return -1;
	struct domain *dom = system_domain(us->s, (unsigned)id);
	if (machine_digest_version(dom->m, digest_version) != digest) {
		hv_err_set(err,
			   "%s: domain '%s' restored from %.300s is not the one saved (its "
			   "digest differs)",
			   where, name, path);
		return -1;
	}
	if (sw) {
		for (unsigned i = 0; system_switch(us->s, i); i++)
			if (system_switch(us->s, i) == sw)
				map[i][port] = dom->port;
	}
	return 0;
}

int upsave_restore(struct up_sys *us, const char *dir, struct hv_err *err)
{
	static int map[SYSTEM_MAX_DOMAINS][SWITCH_MAX_PORTS];
	char path[4200], line[2 * SWITCH_FRAME_MAX + 64], where[4300];
	FILE *f = upsave_open(dir, "system.state", "r", path, sizeof(path), err);
	struct hv_switch *sw = NULL;
	unsigned lineno = 0, digest_version = MACHINE_DIGEST_V2;
	int ret = -1;

	if (!f)
		return -1;
	memset(map, 0xff, sizeof(map)); /* -1: a port with nothing behind it now */
	while (fgets(line, sizeof(line), f)) {
		size_t len = strlen(line);
		lineno++;
		snprintf(where, sizeof(where), "%.300s, line %u", path, lineno);
		if (!len || line[len - 1] != '\n') {
			hv_err_set(err, "%s: a line too long or unfinished", where);
			goto out;
		}
		line[len - 1] = '\0';
		if (lineno == 1) {
			if (!strcmp(line, UPSAVE_MAGIC_V1)) {
				digest_version = MACHINE_DIGEST_V1;
			} else if (strcmp(line, UPSAVE_MAGIC)) {
				hv_err_set(err, "%s: not a saved system's state", where);
				goto out;
			}
		} else if (!strncmp(line, "domain ", 7)) {
			if (sw) {
				hv_err_set(err, "%s: a domain after the bridges", where);
				goto out;
			}
			if (upsave_domain(us, dir, line, where, map, digest_version, err) != 0)
				goto out;
		} else if (!strncmp(line, "bridge ", 7)) {
			if (!(sw = system_find_switch(us->s, line + 7))) {
				hv_err_set(err, "%s: bridge '%.64s' is not in system.cfg", where,
					   line + 7);
				goto out;
			}
		} else if (!sw) {
			hv_err_set(err, "%s: a line outside any bridge", where);
			goto out;
		} else {
			unsigned b = 0;
			while (system_switch(us->s, b) != sw)
				b++;
			struct hv_err sub = { { 0 } };
			if (switch_read_line(sw, line, map[b], SWITCH_MAX_PORTS,
					     system_epoch(us->s), &sub) != 0) {
				hv_err_set(err, "%s: %s", where, sub.msg);
				goto out;
			}
		}
	}
	if (lineno == 0)
		hv_err_set(err, "%.300s is empty", path);
	else
		ret = 0;
out:
	fclose(f);
	return ret;
}
