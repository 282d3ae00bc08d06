// SPDX-License-Identifier: MIT
/*
 * gdb on the domains of `retrovisor up` (cli/up_gdb.h): the options, a
 * gdb session per debugged domain whose machine the system runs
 * (gdbsess_opts.owner_runs), the system's hold (domain.h) and the wait at
 * an epoch boundary. Both waits are one loop that serves every halted stub
 * and the toolstack, sleeping a millisecond when neither had anything to
 * say. What gdb sends is untrusted and checked by the stub (gdbstub.h);
 * what the command line gives is checked here.
 */
#include "cli/up_gdb.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli/toolstack.h"
#include "gdbstub/session.h"

int up_gdb_parse(struct up_gdb_opts *o, int argc, char **argv, int *i, char *msg, size_t n)
{
	const char *a = argv[*i];

	if (!strcmp(a, "--paused") || !strcmp(a, "--gdb-allow-remote")) {
		*(a[2] == 'p' ? &o->paused : &o->allow_remote) = true;
		return 1;
	}
	if (strcmp(a, "--gdb"))
		return 0;
	if (*i + 1 >= argc) {
		snprintf(msg, n, "--gdb needs a domain: --gdb NAME[=tcp:HOST:PORT|unix:PATH]");
		return -1;
	}
	const char *v = argv[++*i], *eq = strchr(v, '=');
	size_t len = eq ? (size_t)(eq - v) : strlen(v);
	if (o->n == UP_GDB_MAX) {
		snprintf(msg, n, "up takes at most %d --gdb options", UP_GDB_MAX);
		return -1;
	}
	if (len == 0 || len >= DOMAIN_NAME_MAX) {
		snprintf(msg, n, "--gdb '%.60s' does not start with a domain's name", v);
		return -1;
	}
	char *name = o->name[o->n];
	memcpy(name, v, len);
	name[len] = '\0';
	for (unsigned k = 0; k < o->n; k++)
		if (!strcmp(o->name[k], name)) {
			snprintf(msg, n, "--gdb names domain '%s' twice", name);
			return -1;
		}
	if (!eq) {
		/* One port each: 1234, 1235, ... in the order given. */
		snprintf(o->spec[o->n], sizeof(o->spec[0]), "tcp:127.0.0.1:%u",
			 UP_GDB_DEFAULT_PORT + o->n);
	} else if ((strncmp(eq + 1, "tcp:", 4) && strncmp(eq + 1, "unix:", 5)) ||
		   strlen(eq + 1) >= sizeof(o->spec[0])) {
		snprintf(msg, n,
			 "--gdb '%.60s': expected NAME=tcp:[HOST]:PORT or NAME=unix:PATH, such "
			 "as --gdb %s=tcp:127.0.0.1:1234",
			 v, name);
		return -1;
	} else {
		snprintf(o->spec[o->n], sizeof(o->spec[0]), "%s", eq + 1);
	}
	o->n++;
	return 1;
}

/* Stubs whose domain's machine is gone (destroyed, or replaced by a
 * restore) are closed: gdb is told the domain exited. */
static void up_gdb_check(struct up_gdb *g)
{
	for (unsigned k = 0; k < g->n; k++) {
		struct up_gdb_stub *st = &g->stub[k];
		struct domain *d = system_domain(g->s, st->id);
		if (!st->gs || (d->m && d->m == st->m && d->m->dbg))
			continue;
		gdbsess_close_lost(st->gs, d->exit_status);
		st->gs = NULL;
		fprintf(stderr, "retrovisor: domain '%s' is gone: its gdb stub is closed\n",
			d->name);
	}
}

/* gdb's `kill`: the domain is destroyed, as by `xl destroy`. */
static void up_gdb_kill(struct up_gdb *g, struct up_gdb_stub *st)
{
	struct domain *d = system_domain(g->s, st->id);

	gdbsess_close(st->gs, 0);
	st->gs = NULL;
	snprintf(d->error, sizeof(d->error), "gdb killed it");
	system_destroy_domain(g->s, st->id);
}

/* The system waits: every halted stub and the toolstack are served until
 * want (NULL: every stub) lets its domain go. False if want's domain is
 * gone or up is to end. */
static bool up_gdb_wait(struct up_gdb *g, struct up_gdb_stub *want)
{
	const struct timespec ms = { .tv_nsec = 1000000 };

	while (!g->quit) {
		bool waiting = false, moved = false;
		for (unsigned k = 0; k < g->n; k++) {
			struct up_gdb_stub *st = &g->stub[k];
			if (!st->gs || !gdbsess_halted(st->gs))
				continue;
			enum gdbsess_serve r = gdbsess_serve(st->gs);
			if (r == GDBSESS_KILL)
				up_gdb_kill(g, st);
			moved |= r != GDBSESS_WAIT;
			waiting |= r == GDBSESS_WAIT && (!want || st == want);
		}
		if (!waiting)
			break;
		if (g->ts && toolstack_poll(g->ts))
			g->quit = true;
		up_gdb_check(g);
		if (!moved)
			nanosleep(&ms, NULL);
	}
	return !g->quit && (!want || want->gs);
}

/* The system's hold (system_set_hold): d stopped for its gdb mid-epoch. */
static bool up_gdb_hold(void *opaque, struct domain *d)
{
	struct up_gdb *g = opaque;

	for (unsigned k = 0; k < g->n; k++) {
		struct up_gdb_stub *st = &g->stub[k];
		if (st->gs && st->id == d->id) {
			gdbsess_stopped(st->gs);
			return up_gdb_wait(g, st);
		}
	}
	return false;
}

int up_gdb_open(struct up_gdb *g, const struct up_gdb_opts *o, struct hv_system *s,
		struct toolstack *ts, const char *file, bool recording, struct hv_err *err)
{
	memset(g, 0, sizeof(*g));
	g->s = s;
	g->ts = ts;
	if ((o->paused || o->allow_remote) && !o->n) {
		hv_err_set(err, "--%s needs --gdb NAME", o->paused ? "paused" : "gdb-allow-remote");
		return -1;
	}
	if (o->n && recording) {
		hv_err_set(err,
			   "--gdb cannot debug a recording: gdb's writes and the requests made "
			   "while gdb holds the system are not in the log (debug its replay: "
			   "up --replay LOG --gdb NAME)");
		return -1;
	}
	for (unsigned k = 0; k < o->n; k++) {
		struct domain *d = system_find_live(s, o->name[k]);
		if (!d || !d->m) {
			hv_err_set(err, "--gdb %s: %.300s defines no such domain", o->name[k],
				   file);
			up_gdb_close(g, 0);
			return -1;
		}
		char who[DOMAIN_NAME_MAX + 16];
		snprintf(who, sizeof(who), "domain '%s'", d->name);
		struct gdbsess_opts go = {
			.spec = o->spec[k],
			.allow_remote = o->allow_remote,
			.paused = o->paused,
			.owner_runs = true,
			.who = who,
		};
		struct gdbsess *gs = gdbsess_open(d->m, &go, err);
		if (!gs) {
			up_gdb_close(g, 0);
			return -1;
		}
		g->stub[g->n++] = (struct up_gdb_stub){ .id = d->id, .m = d->m, .gs = gs };
	}
	if (g->n)
		system_set_hold(s, up_gdb_hold, g);
	return 0;
}

bool up_gdb_boundary(struct up_gdb *g)
{
	if (!g->n)
		return false;
	up_gdb_check(g);
	for (unsigned k = 0; k < g->n; k++)
		if (g->stub[k].gs)
			gdbsess_poll(g->stub[k].gs);
	up_gdb_wait(g, NULL);
	return g->quit;
}

void up_gdb_close(struct up_gdb *g, int status)
{
	if (!g->s)
		return;
	up_gdb_check(g);
	for (unsigned k = 0; k < g->n; k++)
		gdbsess_close(g->stub[k].gs, status);
	if (g->n)
		system_set_hold(g->s, NULL, NULL);
	memset(g, 0, sizeof(*g));
}
