// SPDX-License-Identifier: MIT
/*
 * `retrovisor up FILE`: a hypervisor with the domains a configuration file
 * describes (cli/domcfg.h, docs/domains.md), run as one deterministic
 * system (hv/platform/domain.h) on --threads host threads.
 *
 * Each domain is built as cli/updom.h says (the machine `retrovisor run`
 * would make from the same keys). The whole file is checked before
 * anything starts. When a domain stops, one line on stderr says how and
 * what its policy did; the command ends when no domain is left running,
 * or after --max-epochs.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/domcfg.h"
#include "cli/main.h"
#include "cli/options.h"
#include "cli/toolstack.h"
#include "cli/updom.h"
#include "cli/upinject.h"
#include "cli/upsave.h"
#include "cli/up_gdb.h"
#include "cli/uplink.h"
#include "cli/uplog.h"
#include "base/sha256.h"
#include "hv/dev/backend/net_slirp.h"
#include "hv/platform/control.h"
#include "hv/platform/domain.h"
#include "plugins/host.h"

/* Guest time: 10^8 instruction units a second (hv/machine.h). */
#define UP_UNITS_PER_US (HV_TIMEBASE_HZ * HV_INSNS_PER_TICK / 1000000ull)

struct up_opts {
	const char *file;
	unsigned threads;
	const char *console;
	const char *log_dir;
	uint64_t max_epochs;
	bool print_digest;
	bool no_plugins; /* the configuration's plugin keys are ignored */
	bool rtc_set;
	uint64_t rtc_s;
	const char *control;         /* NULL: the default path; "none": no toolstack */
	const char *record, *replay; /* the system log (cli/uplog.h) */
	const char *restore;         /* a system saved by xl save-system */
	const char *inject;          /* a schedule of requests (cli/upinject.h) */
	char restore_cfg[4200];      /* its system.cfg */
	uint64_t digest_every;       /* epochs between digests in the log */
	struct up_gdb_opts gdb;
};

static int up_usage(const char *msg)
{
	fprintf(stderr,
		"retrovisor: %s; usage: retrovisor up FILE [--threads N] "
		"[--console NAME] [--log-dir DIR] [--control PATH|none] [--max-epochs N] "
		"[--rtc SECONDS] [--print-digest] [--no-plugins] [--record LOG [--digest-every N]] "
		"[--inject FILE] "
		"[--gdb NAME[=ADDR]]... [--paused], or retrovisor up --restore DIR ..., or "
		"retrovisor up --replay LOG [--threads N] ... (docs/domains.md)\n",
		msg);
	return CLI_EXIT_ERROR;
}

static int up_parse(int argc, char **argv, struct up_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->log_dir = ".";
	o->digest_every = 2000;
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		uint64_t n;

		if (a[0] != '-') {
			if (o->file)
				return up_usage("up takes one configuration file");
			o->file = a;
			continue;
		}
		char gmsg[200];
		int g = up_gdb_parse(&o->gdb, argc, argv, &i, gmsg, sizeof(gmsg));
		if (g < 0)
			return up_usage(gmsg);
		if (g > 0)
			continue;
		if (!strcmp(a, "--print-digest") || !strcmp(a, "--no-plugins")) {
			*(a[2] == 'p' ? &o->print_digest : &o->no_plugins) = true;
			continue;
		}
		if (!v)
			return up_usage("an option of up lacks its value");
		i++;
		if (!strcmp(a, "--console")) {
			o->console = v;
		} else if (!strcmp(a, "--log-dir")) {
			o->log_dir = v;
		} else if (!strcmp(a, "--control")) {
			o->control = v;
		} else if (!strcmp(a, "--record")) {
			o->record = v;
		} else if (!strcmp(a, "--restore")) {
			o->restore = v;
		} else if (!strcmp(a, "--replay")) {
			o->replay = v;
		} else if (!strcmp(a, "--inject")) {
			o->inject = v;
		} else if (!strcmp(a, "--threads") || !strcmp(a, "--max-epochs") ||
			   !strcmp(a, "--rtc") || !strcmp(a, "--digest-every")) {
			char *end;
			errno = 0;
			n = strtoull(v, &end, 10);
			if (errno || end == v || *end || v[0] == '-') {
				char msg[160];
				snprintf(msg, sizeof(msg), "%s '%.40s' is not a whole number", a,
					 v);
				return up_usage(msg);
			}
			if (a[2] == 't') {
				if (n < 1 || n > SYSTEM_MAX_DOMAINS)
					return up_usage("--threads takes 1 to 64");
				o->threads = (unsigned)n;
			} else if (a[2] == 'm') {
				o->max_epochs = n;
			} else if (a[2] == 'd') {
				if (n < 1)
					return up_usage("--digest-every takes 1 or more epochs");
				o->digest_every = n;
			} else {
				o->rtc_s = n;
				o->rtc_set = true;
			}
		} else {
			char msg[200];
			snprintf(msg, sizeof(msg), "unknown option '%.60s' for up", a);
			return up_usage(msg);
		}
	}
	if (o->restore) {
		if (o->file || o->replay)
			return up_usage("--restore DIR takes the system from DIR (a replay of a "
					"restored system takes DIR from its log)");
		snprintf(o->restore_cfg, sizeof(o->restore_cfg), "%s/system.cfg", o->restore);
		o->file = o->restore_cfg;
	}
	if (o->replay && (o->file || o->record))
		return up_usage(
			"a replay takes its configuration from the log, and records nothing");
	if (!o->file && !o->replay)
		return up_usage("up needs a configuration file");
	if (o->replay && o->inject)
		return up_usage("a replay applies the requests of its log, not --inject's");
	if (o->replay && (o->control || o->max_epochs || o->rtc_set))
		return up_usage("a replay has no toolstack, takes its clock from the log and ends "
				"where the log ends");
	return -1;
}

static const char *up_policy_name(enum domain_policy p)
{
	return p == DOMAIN_DESTROY ? "destroyed" : p == DOMAIN_RESTART ? "restarted" : "preserved";
}

/* One line for a domain whose state an epoch changed. */
static void up_report(const struct domain *d, enum domain_state was, uint64_t restarts)
{
	const char *how;
	enum domain_policy p;

	switch (d->last_stop) {
	case STOP_SHUTDOWN:
		how = "powered off";
		p = d->on_poweroff;
		break;
	case STOP_REBOOT:
		how = "asked to reboot";
		p = d->on_reboot;
		break;
	case STOP_PANIC:
	case STOP_WATCHDOG:
	case STOP_DEADLOCK:
		how = "crashed";
		p = d->on_crash;
		break;
	default:
		how = "stopped";
		p = DOMAIN_PRESERVE;
		break;
	}
	if (d->error[0] && was != DOMAIN_DESTROYED) {
		fprintf(stderr, "retrovisor: domain '%s' destroyed: %s\n", d->name, d->error);
		return;
	}
	if (d->state == was && d->restarts == restarts)
		return;
	if (d->state == DOMAIN_PAUSED || was == DOMAIN_PAUSED || was == DOMAIN_DESTROYED)
		return; /* the toolstack's doing: its client was answered */
	if (d->state == DOMAIN_DESTROYED && d->last_stop == STOP_EPOCH) {
		fprintf(stderr, "retrovisor: domain '%s' destroyed by the toolstack\n", d->name);
		return;
	}
	if (d->last_stop == STOP_SHUTDOWN)
		fprintf(stderr, "retrovisor: domain '%s' %s (status %d): %s\n", d->name, how,
			d->exit_status, up_policy_name(p));
	else
		fprintf(stderr, "retrovisor: domain '%s' %s: %s\n", d->name, how,
			up_policy_name(p));
}

/* The system log's side of a run: its writer or what it replays. */
struct up_log {
	struct uplog_writer w;
	bool recording;
	struct hv_system *s;
	struct uplog in;
	size_t next;                           /* the replay's next event */
	struct uplink *ul[DOMCFG_MAX_BRIDGES]; /* each bridge's uplink, or NULL */
};

/* A frame a bridge's uplink hands to its switch: recorded. */
static void up_log_frame(void *opaque, unsigned bridge, const void *frame, size_t len)
{
	struct up_log *l = opaque;
	struct uplog_event e = { .kind = UPLOG_NET,
				 .epoch = system_epoch(l->s),
				 .domain = bridge,
				 .data = (uint8_t *)frame,
				 .len = len };

	uplog_event(&l->w, &e);
}

static void up_log_input(void *opaque, int domain, const void *data, size_t len)
{
	struct up_log *l = opaque;
	struct uplog_event e = {
		.kind = domain < 0 ? UPLOG_REQ : UPLOG_CON,
		.epoch = system_epoch(l->s),
		.domain = domain < 0 ? 0 : (unsigned)domain,
		.data = (uint8_t *)data,
		.len = len,
	};

	uplog_event(&l->w, &e);
}

/* One image with its SHA-256: recorded, or checked as the k-th of the
 * recording's. */
static int up_image(struct up_log *l, const char *path, unsigned *k, struct hv_err *err)
{
	uint8_t sum[SHA256_DIGEST_SIZE];
	char hex[SHA256_HEX_SIZE];

	if (sha256_file(path, sum, err) != 0)
		return -1;
	sha256_hex(sum, hex);
	if (l->recording) {
		uplog_image(&l->w, path, hex);
	} else if (*k >= l->in.nimages || strcmp(l->in.image[*k], path) ||
		   strcmp(l->in.image_sha[*k], hex)) {
		hv_err_set(err,
			   "image %.300s is not the one the log was recorded with "
			   "(its SHA-256 or its place differ)",
			   path);
		return -1;
	}
	(*k)++;
	return 0;
}

/* Each image every domain boots from, and for a system restored from
 * files (restore: their folder) its state and its domains' files, with
 * their SHA-256: recorded, or checked against the recording. */
static int up_images(const struct domcfg *c, const char *restore, struct up_log *l,
		     struct hv_err *err)
{
	unsigned k = 0;
	char path[4200];

	for (unsigned i = 0; i < c->ndom; i++) {
		const struct domcfg_domain *d = &c->dom[i];
		const char *img[3 + DOMCFG_MAX_DISKS] = { d->kernel, d->initrd, d->bios };
		for (unsigned j = 0; j < d->ndisk; j++)
			img[3 + j] = d->disk[j] + 5; /* after "file=" */
		for (unsigned j = 0; j < 3 + d->ndisk; j++) {
			if (!img[j] || !strcmp(img[j], "none"))
				continue;
			snprintf(path, sizeof(path), "%s", img[j]);
			char *comma = j >= 3 ? strchr(path, ',') : NULL;
			if (comma)
				*comma = '\0';
			if (up_image(l, path, &k, err) != 0)
				return -1;
		}
		snprintf(path, sizeof(path), "%s/%s.snap", restore ? restore : "", d->name);
		if (restore && up_image(l, path, &k, err) != 0)
			return -1;
	}
	snprintf(path, sizeof(path), "%s/system.state", restore ? restore : "");
	if (restore && up_image(l, path, &k, err) != 0)
		return -1;
	if (!l->recording && k != l->in.nimages) {
		hv_err_set(err, "the log was recorded with %u images, the system has %u",
			   l->in.nimages, k);
		return -1;
	}
	return 0;
}

/* The file's text, for the log. */
static char *up_read_text(const char *path, size_t *len, struct hv_err *err)
{
	FILE *f = fopen(path, "r");
	char *text = f ? malloc(1u << 20) : NULL;

	*len = text ? fread(text, 1, (1u << 20) - 1, f) : 0;
	if (f)
		fclose(f);
	if (!text)
		hv_err_set(err, "cannot read %.300s again for the log", path);
	return text;
}

/* A replay at the top of epoch e: the digests the recording took there
 * are compared, the inputs it applied there applied. Returns 1 at the
 * log's end (with the last digest compared), 0 to go on, -1 diverged. */
static int up_replay_step(struct up_log *l, struct toolstack *ts, struct hv_err *err)
{
	uint64_t e = system_epoch(l->s);

	while (l->next < l->in.nev && l->in.ev[l->next].epoch == e) {
		const struct uplog_event *ev = &l->in.ev[l->next++];
		uint64_t now;
		switch (ev->kind) {
		case UPLOG_REQ:
			toolstack_apply(ts, (const char *)ev->data);
			break;
		case UPLOG_CON:
			toolstack_apply_console(ts, ev->domain, ev->data, ev->len);
			break;
		case UPLOG_NET:
			if (ev->domain >= DOMCFG_MAX_BRIDGES || !l->ul[ev->domain]) {
				hv_err_set(err,
					   "the log has a frame at epoch %" PRIu64
					   " from the uplink of bridge %u, which has none",
					   e, ev->domain);
				return -1;
			}
			uplink_inject(l->ul[ev->domain], ev->data, ev->len);
			break;
		case UPLOG_DIGEST:
		case UPLOG_END:
			now = system_digest(l->s);
			if (now != ev->digest) {
				hv_err_set(err,
					   "the replay diverged: after epoch %" PRIu64
					   " the system's "
					   "digest is %016" PRIx64 ", the recording's %016" PRIx64,
					   e, now, ev->digest);
				return -1;
			}
			if (ev->kind == UPLOG_END)
				return 1;
			break;
		}
	}
	if (l->next < l->in.nev && l->in.ev[l->next].epoch < e) {
		hv_err_set(err,
			   "the replay diverged: the log goes on after epoch %" PRIu64
			   " where the system ended",
			   e);
		return -1;
	}
	return 0;
}

int main_up(int argc, char **argv)
{
	static struct up_log log;
	struct up_opts uo;
	struct hv_err err = { { 0 } };
	static struct domcfg cfg;
	static struct up_sys us;
	static struct up_gdb gdb;
	static struct upinject inject;
	struct hv_system *s = NULL;
	int r = up_parse(argc, argv, &uo), status = CLI_EXIT_ERROR;

	if (r >= 0)
		return r;
	memset(&log, 0, sizeof(log));
	memset(&us, 0, sizeof(us));
	memset(&gdb, 0, sizeof(gdb));
	if (uo.inject && upinject_load(uo.inject, &inject, &err) != 0)
		return main_fail(&err);
	if (uo.replay) {
		if (uplog_read(uo.replay, &log.in, &err) != 0)
			return main_fail(&err);
		uo.file = log.in.cfg_path;
		uo.restore = log.in.restore_dir; /* a system restored from files */
		if (domcfg_parse(uo.file, log.in.cfg_text, log.in.cfg_len, true, &cfg, &err) != 0) {
			uplog_free(&log.in);
			return main_fail(&err);
		}
	} else if (domcfg_load(uo.file, &cfg, &err) != 0) {
		return main_fail(&err);
	}
	if (uo.console) {
		unsigned i = 0;
		while (i < cfg.ndom && strcmp(cfg.dom[i].name, uo.console))
			i++;
		if (i == cfg.ndom) {
			hv_err_set(&err, "--console %.64s: %s defines no such domain", uo.console,
				   uo.file);
			goto out;
		}
	}
	unsigned threads = uo.threads ? uo.threads : cfg.threads ? cfg.threads : 1;
	s = system_create(cfg.epoch_us * UP_UNITS_PER_US, threads, &err);
	if (!s || system_set_cpus(s, cfg.cpus, &err) != 0)
		goto out;
	for (unsigned i = 0; i < cfg.nbridge; i++) {
		const struct domcfg_bridge *b = &cfg.bridge[i];
		struct hv_switch *sw = switch_create(b->name, b->latency, b->seed, &err);
		if (!sw || system_add_switch(s, sw, &err) != 0)
			goto out;
		switch_set_faults(sw, &b->faults);
		/* A replay's uplink has no slirp: its frames come from the log. */
		if (b->uplink &&
		    !(log.ul[i] = uplink_create(sw, i, uo.replay ? NULL : &b->uplink_net, &err)))
			goto out;
	}
	uint64_t rtc_ns = uo.replay  ? log.in.rtc_ns :
			  uo.rtc_set ? uo.rtc_s * 1000000000ull :
				       (uint64_t)time(NULL) * 1000000000ull;
	/* The log first: a replay checks the files it reads before reading them. */
	log.s = s;
	if (uo.record) {
		size_t len;
		char *text = up_read_text(uo.file, &len, &err);
		if (!text ||
		    uplog_create(&log.w, uo.record, uo.file, text, len, rtc_ns, &err) != 0) {
			free(text);
			goto out;
		}
		free(text);
		log.recording = true;
		if (uo.restore)
			uplog_restore(&log.w, uo.restore);
	}
	if ((uo.record || uo.replay) && up_images(&cfg, uo.restore, &log, &err) != 0)
		goto out;
	us.s = s;
	us.log_dir = uo.log_dir;
	us.console = uo.console;
	us.rtc_ns = rtc_ns;
	us.replaying = uo.replay != NULL;
	/* A log of version 1 or 2 has digests made the first way. */
	us.digest_version = uo.replay && log.in.version < 3 ? MACHINE_DIGEST_V1 : 0;
	us.no_plugins = uo.no_plugins;
	us.cfg = &cfg;
	if (uo.restore && upsave_restore(&us, uo.restore, &err) != 0)
		goto out;
	for (unsigned i = 0; i < cfg.ndom && !uo.restore; i++) {
		const struct domcfg_domain *d = &cfg.dom[i];
		int id = updom_add(&us, d, d->name, true, NULL, &err);
		if (id < 0)
			goto out;
	}
	char control[4200] = "";
	if (uo.replay) {
		us.ts = toolstack_open(NULL, s, &err); /* the log's requests only */
		if (!us.ts)
			goto out;
	} else if (!uo.control || strcmp(uo.control, "none")) {
		if (uo.control) {
			snprintf(control, sizeof(control), "%s", uo.control);
		} else {
			/* NAME.sock for FILE NAME.cfg */
			const char *base = strrchr(uo.file, '/');
			char name[256];
			snprintf(name, sizeof(name), "%s", base ? base + 1 : uo.file);
			char *dot = strrchr(name, '.');
			if (dot && dot != name)
				*dot = '\0';
			toolstack_default_path(name, control, sizeof(control));
		}
		us.ts = toolstack_open(control, s, &err);
		if (!us.ts)
			goto out;
	} else if (!(us.ts = toolstack_open(NULL, s, &err))) {
		goto out; /* no socket: the plugins' network requests only */
	}
	if (us.ts) {
		struct toolstack_host host;
		updom_host(&us, &host);
		toolstack_set_host(us.ts, &host);
	}
	if (us.ts && log.recording)
		toolstack_set_recorder(us.ts, up_log_input, &log);
	if (up_gdb_open(&gdb, &uo.gdb, s, uo.replay ? NULL : us.ts, uo.file, uo.record, &err))
		goto out;
	fprintf(stderr,
		"retrovisor: %u domain%s up on %u host thread%s, epochs of %" PRIu64
		" us of guest time%s%s\n",
		cfg.ndom, cfg.ndom == 1 ? "" : "s", threads, threads == 1 ? "" : "s", cfg.epoch_us,
		control[0] ? "; toolstack on " : "", control);
	bool ended = false;
	for (uint64_t e = 0; !uo.max_epochs || e < uo.max_epochs; e++) {
		enum domain_state was[SYSTEM_MAX_DOMAINS];
		uint64_t restarts[SYSTEM_MAX_DOMAINS];
		unsigned ndom = system_ndomains(s);
		for (unsigned i = 0; i < ndom; i++) {
			was[i] = system_domain(s, i)->state;
			restarts[i] = system_domain(s, i)->restarts;
		}
		/* What the domains' plugins asked during the last epoch
		 * (none in a replay), in domain order, as the toolstack's. */
		for (unsigned i = 0; i < ndom; i++)
			if (us.ud[i])
				upnet_apply(&us.ud[i]->net, us.ts);
		/* --inject's requests due now, as the toolstack's: recorded. */
		for (const char *q; uo.inject && (q = upinject_next(&inject, e));)
			toolstack_apply(us.ts, q);
		/* The host network, at this one point of each epoch. */
		for (unsigned i = 0; i < cfg.nbridge && !uo.replay; i++)
			if (log.ul[i])
				uplink_step(log.ul[i], log.recording ? up_log_frame : NULL, &log);
		if (uo.replay) {
			int step = up_replay_step(&log, us.ts, &err);
			if (step < 0) {
				status = CLI_EXIT_DIVERGED;
				goto out;
			}
			if (step > 0) {
				ended = true;
				break;
			}
		} else if (us.ts && toolstack_poll(us.ts)) {
			fprintf(stderr, "retrovisor: the toolstack asked to quit\n");
			break;
		}
		if (up_gdb_boundary(&gdb)) {
			fprintf(stderr, "retrovisor: the toolstack asked to quit\n");
			break;
		}
		int live = system_run_epoch(s, &err);
		if (live < 0)
			goto out;
		for (unsigned i = 0; i < ndom; i++)
			up_report(system_domain(s, i), was[i], restarts[i]);
		if (log.recording && system_epoch(s) % uo.digest_every == 0) {
			struct uplog_event ev = { .kind = UPLOG_DIGEST,
						  .epoch = system_epoch(s),
						  .digest = system_digest(s) };
			uplog_event(&log.w, &ev);
		}
		if (live == 0)
			break;
	}
	if (uo.replay && !ended) {
		int step = up_replay_step(&log, us.ts, &err);
		if (step <= 0) {
			if (step == 0)
				hv_err_set(&err,
					   "the replay diverged: the system ended at epoch %" PRIu64
					   " before the log's end",
					   system_epoch(s));
			status = CLI_EXIT_DIVERGED;
			goto out;
		}
	}
	if (uo.replay)
		fprintf(stderr,
			"retrovisor: replay matched the log: %zu records (inputs and "
			"digests), %" PRIu64 " epochs\n",
			log.next, system_epoch(s));
	if (log.recording) {
		struct uplog_event ev = { .kind = UPLOG_END,
					  .epoch = system_epoch(s),
					  .digest = system_digest(s) };
		uplog_event(&log.w, &ev);
		log.recording = false;
		if (uplog_finish(&log.w, &err) != 0)
			goto out;
	}
	if (uo.print_digest) {
		printf("retrovisor: system digest %016" PRIx64 " after %" PRIu64 " epochs\n",
		       system_digest(s), system_epoch(s));
		/* Each domain's own, to compare with a run of it alone. */
		for (unsigned i = 0; i < system_ndomains(s); i++) {
			const struct domain *d = system_domain(s, i);
			if (d->m)
				printf("retrovisor: domain '%s' digest %016" PRIx64 "\n", d->name,
				       machine_digest(d->m));
		}
	}
	status = CLI_EXIT_OK;
out:
	if (status != CLI_EXIT_OK && status != CLI_EXIT_DIVERGED)
		main_fail(&err);
	else if (status == CLI_EXIT_DIVERGED)
		fprintf(stderr, "retrovisor: %s\n", err.msg);
	if (log.recording)
		uplog_abandon(&log.w);
	uplog_free(&log.in);
	toolstack_close(us.ts);
	us.ts = NULL;
	up_gdb_close(&gdb, status);
	system_destroy(s);
	for (unsigned i = 0; i < DOMCFG_MAX_BRIDGES; i++)
		uplink_destroy(log.ul[i]);
	updom_free(&us);
	domcfg_free(&cfg);
	upinject_free(&inject);
	return status;
}
