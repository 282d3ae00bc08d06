/* SPDX-License-Identifier: MIT */
/*
 * The domains of `retrovisor up` (docs/domains.md): building a domain's
 * machine from its configuration (the machine `retrovisor run` would make
 * from the same keys), its console, its plugins and its port on a bridge;
 * and the toolstack's operations that make domains while the system runs
 * (create, restore from a file, fork, and the machines a whole-system
 * snapshot brings back). Everything here runs on the main thread, between
 * epochs.
 */
#ifndef CLI_UPDOM_H
#define CLI_UPDOM_H

#include <stdio.h>

#include "cli/domcfg.h"
#include "cli/options.h"
#include "cli/upnet.h"
#include "hv/platform/domain.h"

struct toolstack;
struct plugin_host;

/* Where a domain's console goes: its log file (or stdout), and the
 * toolstack's clients attached to it. */
struct up_console {
	FILE *f;
	struct toolstack **ts;
	unsigned id;
};

/* What a domain's machine keeps pointing to while it lives. */
struct up_domain {
	const struct domcfg_domain *cfg; /* in one of up_sys's files */
	char name[DOMAIN_NAME_MAX];      /* its own: a fork or restore renames */
	bool unplugged;                  /* a fork: no port on a bridge */
	struct cli_opts o;
	char *argv[40];
	char bufs[96];
	struct machine_drive drives[CLI_MAX_DRIVES];
	struct up_console con;
	struct plugin_host *ph;
	struct upnet_queue net; /* its plugins' network requests (upnet.h) */
};

#define UP_MAX_FILES 32

struct up_sys {
	struct hv_system *s;
	const struct domcfg *cfg; /* up's own file */
	struct toolstack *ts;
	const char *log_dir;
	const char *console; /* the domain whose console is stdout */
	uint64_t rtc_ns;
	bool replaying;          /* up --replay: xl save writes no file */
	bool no_plugins;         /* up --no-plugins: the files' plugin keys are ignored */
	unsigned digest_version; /* the domains' (machine_config); 0: current */
	struct up_domain *ud[SYSTEM_MAX_DOMAINS]; /* by domain id */
	/* The configuration files read (up's own first), kept while the
	 * system lives: the domains' keys point into them. */
	struct domcfg *file[UP_MAX_FILES];
	unsigned nfile;
};

/* Where a new domain's machine gets its state: its images (NULL), or
 * give (a snapshot file's or another domain's state, into the machine
 * just made, nothing loaded). */
struct updom_state {
	int (*give)(void *arg, struct machine *m, struct hv_err *err);
	void *arg;
	const uint8_t *mac; /* not NULL: the network device's address */
};

/* Build domain d of a file (kept by the caller in u->file) under name
 * and add it to the system: machine, console, plugins, port on its bridge
 * (plug). Returns its id, or -1 with err set. */
int updom_add(struct up_sys *u, const struct domcfg_domain *d, const char *name, bool plug,
	      const struct updom_state *st, struct hv_err *err);
/* A fresh machine of the shape of domain id, built as when it was added
 * and not yet holding any state (whole-system snapshots bring back
 * destroyed domains into one). Its console and plugins are set up again. */
struct machine *updom_remake(struct up_sys *u, unsigned id, struct hv_err *err);
void updom_free(struct up_sys *u);

/* Domain id's block of a configuration file, paths absolute, its MAC as
 * its device has it, its scheduling as it is, with the line declaring its
 * bridge or not (malloc'd; NULL with err). */
char *updom_block(struct up_sys *us, unsigned id, bool with_bridge, struct hv_err *err);
/* A struct updom_state's give for an open snapshot file (arg). */
int updom_apply_file(void *arg, struct machine *m, struct hv_err *err);

/* The toolstack's operations (cli/toolstack.h, struct toolstack_host,
 * opaque the struct up_sys). */
void updom_host(struct up_sys *u, struct toolstack_host *h);

#endif
