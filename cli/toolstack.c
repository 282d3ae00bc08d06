// SPDX-License-Identifier: MIT
/*
 * The toolstack's server side (toolstack.h): a non-blocking Unix socket
 * polled by `up` between epochs, and the requests (their grammar, flat
 * JSON objects, is cli/tsreq.c). Nothing here blocks the system: clients
 * are polled with a zero timeout, replies are sent without waiting (a
 * client that cannot take a reply at once is dropped), console bytes a
 * client cannot take are dropped for that client.
 */
#include "cli/toolstack.h"
#include "cli/tsreq.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "base/sha256.h"
#include "hv/platform/control.h"
#include "snapshot/system.h"

_Static_assert(TSREQ_STR_MAX == TOOLSTACK_PATH_MAX, "a request's strings are its paths");

struct ts_client {
	int fd;
	char buf[TOOLSTACK_LINE_MAX + 1];
	size_t len;
	int console;  /* the domain whose console this client shows, or -1 */
	bool applied; /* toolstack_apply's: errors go to stderr */
};

struct toolstack {
	int lfd;
	char path[108];
	struct hv_system *s;
	struct ts_client c[TOOLSTACK_MAX_CLIENTS];
	bool quit;
	toolstack_input_fn rec;
	void *rec_opaque;
	struct toolstack_host host;
	struct ts_snap {
		char tag[64];
		struct system_snap *ss;
	} snap[TOOLSTACK_MAX_SNAPSHOTS];
};

/* ---- Replies ---- */

static void ts_drop(struct ts_client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->len = 0;
	c->console = -1;
}

static void ts_send(struct ts_client *c, const char *s, size_t len)
{
	if (c->fd < 0)
		return;
	ssize_t n = send(c->fd, s, len, MSG_NOSIGNAL | MSG_DONTWAIT);
	if (n != (ssize_t)len)
		ts_drop(c); /* gone, or not reading its replies */
}

static void ts_reply_error(struct ts_client *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void ts_reply_error(struct ts_client *c, const char *fmt, ...)
{
	char msg[300], out[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (c->applied)
		fprintf(stderr,
			"retrovisor: a request not from a client (a plugin's, --inject's or "
			"a replayed one) failed: %s\n",
			msg);
	/* Names in messages came through tsreq_parse: no quote or backslash
	 * needs escaping but those two, which it kept. */
	size_t k = 0;
	k += (size_t)snprintf(out, sizeof(out), "{\"ok\":false,\"error\":\"");
	for (const char *p = msg; *p && k + 4 < sizeof(out); p++) {
		if (*p == '"' || *p == '\\')
			out[k++] = '\\';
		out[k++] = *p == '\n' ? ' ' : *p;
	}
	k += (size_t)snprintf(out + k, sizeof(out) - k, "\"}\n");
	ts_send(c, out, k < sizeof(out) ? k : sizeof(out) - 1);
}

static void ts_reply_ok(struct ts_client *c)
{
	ts_send(c, "{\"ok\":true}\n", 12);
}

static const char *ts_state(enum domain_state s)
{
	static const char *const names[] = { "running", "paused", "stopped", "destroyed" };
	return names[s];
}

static void ts_list(struct toolstack *t, struct ts_client *c)
{
	char out[SYSTEM_MAX_DOMAINS * 256 + 64];
	size_t k = (size_t)snprintf(out, sizeof(out),
				    "{\"ok\":true,\"epoch\":%" PRIu64 ",\"domains\":[",
				    system_epoch(t->s));

	for (unsigned i = 0; i < system_ndomains(t->s); i++) {
		const struct domain *d = system_domain(t->s, i);
		k += (size_t)snprintf(
			out + k, sizeof(out) - k,
			"%s{\"id\":%u,\"name\":\"%s\",\"state\":\"%s\",\"restarts\":%" PRIu64
			",\"icount\":%" PRIu64 ",\"weight\":%u,\"cap\":%u}",
			i ? "," : "", d->id, d->name, ts_state(d->state), d->restarts,
			d->m ? (uint64_t)d->m->total_insns : 0, d->weight, d->cap);
	}
	k += (size_t)snprintf(out + k, sizeof(out) - k, "]}\n");
	ts_send(c, out, k);
}

/* The domain or bridge (kind) the request names under the key kind, or
 * NULL with the client answered. */
static void *ts_named(struct toolstack *t, struct ts_client *c, const struct tsreq *r,
		      const char *kind)
{
	const char *name = tsreq_get(r, kind);
	void *found = !name          ? NULL :
		      kind[0] == 'd' ? (void *)system_find(t->s, name) :
				       (void *)system_find_switch(t->s, name);

	if (!name)
		ts_reply_error(c, "this request names its %s (\"%s\":\"NAME\")", kind, kind);
	else if (!found)
		ts_reply_error(c, "there is no %s named '%s'", kind, name);
	return found;
}

#define ts_domain(t, c, r) ((struct domain *)ts_named(t, c, r, "domain"))
#define ts_bridge(t, c, r) ((struct hv_switch *)ts_named(t, c, r, "bridge"))

/* ---- Requests that make domains, write files and take snapshots ---- */

/* A string as a JSON string's contents (quote and backslash escaped). */
static size_t ts_escape(char *out, size_t n, const char *str)
{
	size_t k = 0;

	for (; *str && k + 3 < n; str++) {
		if (*str == '"' || *str == '\\')
			out[k++] = '\\';
		out[k++] = *str;
	}
	out[k] = '\0';
	return k;
}

/* Record a request that read a file as it was applied: with the digest
 * of what it read, which a replay checks before applying it. */
static void ts_record_read(struct toolstack *t, const char *cmd, const struct tsreq *r,
			   const char *sha)
{
	char line[3 * TOOLSTACK_PATH_MAX + 256], a[2 * TOOLSTACK_PATH_MAX],
		b[2 * TOOLSTACK_PATH_MAX];
	const char *name = tsreq_get(r, "name");

	if (!t->rec || !sha[0])
		return;
	ts_escape(a, sizeof(a), tsreq_get(r, "file"));
	ts_escape(b, sizeof(b), name ? name : "");
	int n = snprintf(line, sizeof(line),
			 "{\"cmd\":\"%s\",\"file\":\"%s\"%s%s%s,\"sha256\":\"%s\"}", cmd, a,
			 name ? ",\"name\":\"" : "", b, name ? "\"" : "", sha);
	t->rec(t->rec_opaque, -1, line, (size_t)n);
}

static struct ts_snap *ts_snap_find(struct toolstack *t, const char *tag)
{
	for (unsigned i = 0; i < TOOLSTACK_MAX_SNAPSHOTS; i++)
		if (t->snap[i].ss && !strcmp(t->snap[i].tag, tag))
			return &t->snap[i];
	return NULL;
}

static void ts_snapshot(struct toolstack *t, struct ts_client *c, const struct tsreq *r)
{
	const char *tag = tsreq_get(r, "tag"), *dom = tsreq_get(r, "domain");
	struct domain *d = dom ? system_find_live(t->s, dom) : NULL;
	struct ts_snap *free_slot = NULL;
	struct hv_err err = { { 0 } };

	if (!tag || !tag[0] || strlen(tag) >= sizeof(free_slot->tag)) {
		ts_reply_error(c, "a snapshot is named by \"tag\" (1 to 63 characters)");
		return;
	}
	if (ts_snap_find(t, tag)) {
		ts_reply_error(c, "there is already a snapshot '%s'; delete it first", tag);
		return;
	}
	if (dom && !d) {
		ts_reply_error(c, "there is no live domain named '%s'", dom);
		return;
	}
	for (unsigned i = 0; i < TOOLSTACK_MAX_SNAPSHOTS && !free_slot; i++)
		if (!t->snap[i].ss)
			free_slot = &t->snap[i];
	if (!free_slot) {
		ts_reply_error(c, "the toolstack holds %d snapshots; delete one first",
			       TOOLSTACK_MAX_SNAPSHOTS);
		return;
	}
	free_slot->ss = system_snap_take(t->s, d ? (int)d->id : -1, &err);
	if (!free_slot->ss) {
		ts_reply_error(c, "%s", err.msg);
		return;
	}
	snprintf(free_slot->tag, sizeof(free_slot->tag), "%s", tag);
	char out[160];
	int n = snprintf(out, sizeof(out), "{\"ok\":true,\"epoch\":%" PRIu64 "}\n",
			 system_epoch(t->s));
	ts_send(c, out, (size_t)n);
}

static void ts_snapshot_list(struct toolstack *t, struct ts_client *c)
{
	char out[TOOLSTACK_MAX_SNAPSHOTS * 200 + 64];
	size_t k = (size_t)snprintf(out, sizeof(out), "{\"ok\":true,\"snapshots\":[");
	bool first = true;

	for (unsigned i = 0; i < TOOLSTACK_MAX_SNAPSHOTS; i++) {
		const struct ts_snap *p = &t->snap[i];
		if (!p->ss)
			continue;
		int only = system_snap_domain(p->ss);
		char tag[140];
		ts_escape(tag, sizeof(tag), p->tag);
		k += (size_t)snprintf(out + k, sizeof(out) - k,
				      "%s{\"tag\":\"%s\",\"epoch\":%" PRIu64 ",\"domain\":\"%s\"}",
				      first ? "" : ",", tag, system_snap_epoch(p->ss),
				      only < 0 ? "" : system_domain(t->s, (unsigned)only)->name);
		first = false;
	}
	k += (size_t)snprintf(out + k, sizeof(out) - k, "]}\n");
	ts_send(c, out, k);
}

/* The requests of this part; false if cmd is none of them. */
static bool ts_domains_request(struct toolstack *t, struct ts_client *c, const struct tsreq *r,
			       const char *cmd)
{
	const struct toolstack_host *h = &t->host;
	struct hv_err err = { { 0 } };
	const char *file = tsreq_get(r, "file"), *name = tsreq_get(r, "name"),
		   *tag = tsreq_get(r, "tag");
	const char *expect = tsreq_get(r, "sha256");
	char sha[SHA256_HEX_SIZE] = "";
	struct domain *d = NULL;
	struct ts_snap *p;
	int ret;

	if (!strcmp(cmd, "snapshot")) {
		ts_snapshot(t, c, r);
		return true;
	}
	if (!strcmp(cmd, "snapshot-list")) {
		ts_snapshot_list(t, c);
		return true;
	}
	if (!strcmp(cmd, "snapshot-revert") || !strcmp(cmd, "snapshot-delete")) {
		if (!tag || !(p = ts_snap_find(t, tag))) {
			ts_reply_error(c, "there is no snapshot '%s'", tag ? tag : "");
			return true;
		}
		if (cmd[9] == 'd') {
			system_snap_free(p->ss);
			p->ss = NULL;
			ts_reply_ok(c);
		} else if (system_snap_restore(t->s, p->ss, h->remake, h->opaque, &err) != 0) {
			ts_reply_error(c, "%s", err.msg);
		} else {
			ts_reply_ok(c);
		}
		return true;
	}
	if (strcmp(cmd, "create") && strcmp(cmd, "save") && strcmp(cmd, "restore") &&
	    strcmp(cmd, "fork") && strcmp(cmd, "save-system"))
		return false;
	if (!h->create) {
		ts_reply_error(c, "this system cannot make domains while it runs");
		return true;
	}
	if (!strcmp(cmd, "save") || !strcmp(cmd, "fork")) {
		if (!(d = ts_domain(t, c, r)))
			return true;
		if (d->state == DOMAIN_DESTROYED) {
			ts_reply_error(c, "domain '%s' is destroyed", d->name);
			return true;
		}
	}
	if (strcmp(cmd, "fork") && (!file || file[0] != '/')) {
		ts_reply_error(c, "%s takes the absolute path of a file (\"file\":\"/...\")", cmd);
		return true;
	}
	if (!strcmp(cmd, "create")) {
		ret = h->create(h->opaque, file, expect, sha, &err);
		ts_record_read(t, cmd, r, sha);
	} else if (!strcmp(cmd, "restore")) {
		ret = h->restore(h->opaque, file, name, expect, sha, &err);
		ts_record_read(t, cmd, r, sha);
	} else if (!strcmp(cmd, "save-system")) {
		ret = h->save_system(h->opaque, file, &err);
	} else if (!strcmp(cmd, "fork")) {
		ret = name ? h->fork(h->opaque, d->id, name, &err) : -1;
		if (!name)
			hv_err_set(&err, "fork names the new domain (\"name\":\"NAME\")");
	} else {
		int64_t keep = 0;
		tsreq_num(r, "keep", &keep);
		ret = h->save(h->opaque, d->id, file, &err);
		if (ret == 0 && !keep)
			system_destroy_domain(t->s, d->id);
	}
	if (ret != 0)
		ts_reply_error(c, "%s", err.msg);
	else
		ts_reply_ok(c);
	return true;
}

static void ts_request(struct toolstack *t, struct ts_client *c, const char *line)
{
	struct tsreq r;
	const char *why, *cmd;
	struct hv_err err = { { 0 } };
	struct domain *d;
	struct hv_switch *sw;

	bool parsed = tsreq_parse(line, &r, &why) == 0;

	cmd = parsed ? tsreq_get(&r, "cmd") : NULL;
	/* Requests that read files are recorded with the files' digest. */
	if (t->rec && !(cmd && (!strcmp(cmd, "create") || !strcmp(cmd, "restore"))))
		t->rec(t->rec_opaque, -1, line, strlen(line));
	if (!parsed) {
		ts_reply_error(c, "%s", why);
		ts_drop(c);
		return;
	}
	if (!cmd) {
		ts_reply_error(c, "a request names its command (\"cmd\":\"list\", ...)");
		return;
	}
	if (!strcmp(cmd, "list")) {
		ts_list(t, c);
	} else if (!strcmp(cmd, "quit")) {
		t->quit = true;
		ts_reply_ok(c);
	} else if (!strcmp(cmd, "pause") || !strcmp(cmd, "unpause") || !strcmp(cmd, "destroy") ||
		   !strcmp(cmd, "shutdown") || !strcmp(cmd, "console")) {
		if (!(d = ts_domain(t, c, &r)))
			return;
		if (d->state == DOMAIN_DESTROYED && strcmp(cmd, "destroy")) {
			ts_reply_error(c, "domain '%s' is destroyed", d->name);
			return;
		}
		int ret = 0;
		if (!strcmp(cmd, "pause"))
			ret = system_pause(t->s, d->id, &err);
		else if (!strcmp(cmd, "unpause"))
			ret = system_unpause(t->s, d->id, &err);
		else if (!strcmp(cmd, "destroy"))
			system_destroy_domain(t->s, d->id);
		else if (!strcmp(cmd, "shutdown"))
			machine_host_stop(d->m); /* powers off at its next epoch */
		else
			c->console = (int)d->id;
		if (ret != 0)
			ts_reply_error(c, "%s", err.msg);
		else
			ts_reply_ok(c);
	} else if (!strcmp(cmd, "partition")) {
		int64_t group;
		if (!(sw = ts_bridge(t, c, &r)) || !(d = ts_domain(t, c, &r)))
			return;
		if (!tsreq_num(&r, "group", &group) || group < 0 || group > 1000) {
			ts_reply_error(c, "partition takes \"group\": 0 (everyone) to 1000");
			return;
		}
		if (d->sw != sw) {
			ts_reply_error(c, "domain '%s' is not on bridge '%s'", d->name,
				       switch_name(sw));
			return;
		}
		switch_set_group(sw, d->port, (unsigned)group);
		ts_reply_ok(c);
	} else if (!strcmp(cmd, "sched-credit")) {
		int64_t v;
		unsigned weight, cap;
		if (!(d = ts_domain(t, c, &r)))
			return;
		if (system_get_sched(t->s, d->id, &weight, &cap, &err) != 0) {
			ts_reply_error(c, "%s", err.msg);
			return;
		}
		if (tsreq_num(&r, "weight", &v))
			weight = v < 0 || v > SYSTEM_MAX_WEIGHT ? 0 : (unsigned)v;
		if (tsreq_num(&r, "cap", &v))
			cap = v < 0 || v > 100 * HV_MAX_HARTS ? ~0u : (unsigned)v;
		if (system_set_sched(t->s, d->id, weight, cap, &err) != 0) {
			ts_reply_error(c, "%s", err.msg);
			return;
		}
		char out[200];
		int n = snprintf(
			out, sizeof(out),
			"{\"ok\":true,\"name\":\"%s\",\"id\":%u,\"weight\":%u,\"cap\":%u}\n",
			d->name, d->id, weight, cap);
		ts_send(c, out, (size_t)n);
	} else if (!strcmp(cmd, "faults")) {
		if (!(sw = ts_bridge(t, c, &r)))
			return;
		struct switch_faults f = *switch_get_faults(sw);
		int64_t v;
		const char *keys[] = { "drop", "duplicate", "reorder", "delay", "delay_epochs" };
		uint32_t *dst[] = { &f.drop_ppm, &f.dup_ppm, &f.reorder_ppm, &f.delay_ppm,
				    &f.delay_epochs };
		for (unsigned i = 0; i < HV_ARRAY_LEN(keys); i++) {
			if (!tsreq_num(&r, keys[i], &v))
				continue;
			if (v < 0 || v > 1000000) {
				ts_reply_error(c, "%s is %s (0 to 1000000)", keys[i],
					       i == 4 ? "in epochs" : "in parts per million");
				return;
			}
			*dst[i] = (uint32_t)v;
		}
		switch_set_faults(sw, &f);
		ts_reply_ok(c);
	} else if (ts_domains_request(t, c, &r, cmd)) {
		return;
	} else {
		ts_reply_error(c,
			       "unknown command '%s' (list, pause, unpause, destroy, shutdown, "
			       "console, partition, faults, sched-credit, create, save, save-system, "
			       "restore, fork, "
			       "snapshot, snapshot-revert, snapshot-list, snapshot-delete, quit)",
			       cmd);
	}
}

/* ---- The socket ---- */

void toolstack_default_path(const char *name, char *out, size_t n)
{
	const char *run = getenv("XDG_RUNTIME_DIR");

	if (run && run[0] == '/')
		snprintf(out, n, "%s/retrovisor/%s.sock", run, name);
	else
		snprintf(out, n, "/tmp/retrovisor-%u/%s.sock", (unsigned)getuid(), name);
}

/* The toolstack without a socket. */
static struct toolstack *ts_new(struct hv_system *s, int lfd, const char *path, struct hv_err *err)
{
	struct toolstack *t = calloc(1, sizeof(*t));

	if (!t) {
		hv_err_set(err, "out of host memory");
		return NULL;
	}
	t->lfd = lfd;
	t->s = s;
	snprintf(t->path, sizeof(t->path), "%s", path ? path : "");
	for (unsigned i = 0; i < TOOLSTACK_MAX_CLIENTS; i++) {
		t->c[i].fd = -1;
		t->c[i].console = -1;
	}
	return t;
}

struct toolstack *toolstack_open(const char *path, struct hv_system *s, struct hv_err *err)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	struct toolstack *t;
	char dir[sizeof(a.sun_path)];

	if (!path)
		return ts_new(s, -1, NULL, err);
	if (strlen(path) >= sizeof(a.sun_path)) {
		hv_err_set(err, "the control socket path '%.200s' is longer than %zu bytes", path,
			   sizeof(a.sun_path) - 1);
		return NULL;
	}
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
			hv_err_set(err, "cannot make the control socket's folder %s: %s", dir,
				   strerror(errno));
			return NULL;
		}
	}
	strcpy(a.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		hv_err_set(err, "cannot make a Unix socket: %s", strerror(errno));
		return NULL;
	}
	/* A socket file nobody answers is a dead hypervisor's: replace it. */
	int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (probe >= 0 && connect(probe, (struct sockaddr *)&a, sizeof(a)) == 0) {
		close(probe);
		close(fd);
		hv_err_set(err,
			   "another hypervisor answers on %s; give this one another with "
			   "--control PATH",
			   path);
		return NULL;
	}
	if (probe >= 0)
		close(probe);
	unlink(path);
	mode_t old = umask(0177);
	int b = bind(fd, (struct sockaddr *)&a, sizeof(a));
	umask(old);
	if (b != 0 || listen(fd, 8) != 0) {
		hv_err_set(err, "cannot listen on %s: %s", path, strerror(errno));
		close(fd);
		return NULL;
	}
	t = ts_new(s, fd, path, err);
	if (!t) {
		close(fd);
		unlink(path);
	}
	return t;
}

void toolstack_close(struct toolstack *t)
{
	if (!t)
		return;
	for (unsigned i = 0; i < TOOLSTACK_MAX_CLIENTS; i++)
		ts_drop(&t->c[i]);
	for (unsigned i = 0; i < TOOLSTACK_MAX_SNAPSHOTS; i++)
		system_snap_free(t->snap[i].ss);
	if (t->lfd >= 0) {
		close(t->lfd);
		unlink(t->path);
	}
	free(t);
}

static void ts_read(struct toolstack *t, struct ts_client *c)
{
	char buf[512];
	ssize_t n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);

	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		ts_drop(c); /* a request cut short is dropped with it */
		return;
	}
	if (n < 0)
		return;
	if (c->console >= 0) {
		toolstack_apply_console(t, (unsigned)c->console, (const uint8_t *)buf, (size_t)n);
		return;
	}
	for (ssize_t i = 0; i < n && c->fd >= 0; i++) {
		if (buf[i] != '\n') {
			if (c->len == TOOLSTACK_LINE_MAX) {
				ts_reply_error(c, "a request is longer than %d bytes",
					       TOOLSTACK_LINE_MAX);
				ts_drop(c);
				return;
			}
			c->buf[c->len++] = buf[i];
			continue;
		}
		c->buf[c->len] = '\0';
		c->len = 0;
		ts_request(t, c, c->buf);
		if (c->console >= 0) {
			/* What follows the request on a console is input. */
			if (i + 1 < n)
				toolstack_apply_console(t, (unsigned)c->console,
							(const uint8_t *)buf + i + 1,
							(size_t)(n - i - 1));
			return;
		}
	}
}

void toolstack_set_host(struct toolstack *t, const struct toolstack_host *h)
{
	t->host = *h;
}

void toolstack_set_recorder(struct toolstack *t, toolstack_input_fn fn, void *opaque)
{
	t->rec = fn;
	t->rec_opaque = opaque;
}

void toolstack_apply(struct toolstack *t, const char *line)
{
	struct ts_client none = { .fd = -1, .console = -1, .applied = true };

	ts_request(t, &none, line);
}

void toolstack_apply_console(struct toolstack *t, unsigned id, const uint8_t *buf, size_t len)
{
	struct domain *d = system_domain(t->s, id);

	if (t->rec)
		t->rec(t->rec_opaque, (int)id, buf, len);
	if (d && d->m)
		machine_console_input(d->m, buf, len);
}

bool toolstack_poll(struct toolstack *t)
{
	struct pollfd p[TOOLSTACK_MAX_CLIENTS + 1];
	unsigned who[TOOLSTACK_MAX_CLIENTS + 1], np = 0;

	if (t->lfd < 0)
		return t->quit;
	p[np] = (struct pollfd){ .fd = t->lfd, .events = POLLIN };
	who[np++] = TOOLSTACK_MAX_CLIENTS;
	for (unsigned i = 0; i < TOOLSTACK_MAX_CLIENTS; i++)
		if (t->c[i].fd >= 0) {
			p[np] = (struct pollfd){ .fd = t->c[i].fd, .events = POLLIN };
			who[np++] = i;
		}
	if (poll(p, np, 0) <= 0)
		return t->quit;
	for (unsigned k = 1; k < np; k++)
		if (p[k].revents)
			ts_read(t, &t->c[who[k]]);
	if (p[0].revents & POLLIN) {
		int fd = accept4(t->lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		unsigned i = 0;
		while (fd >= 0 && i < TOOLSTACK_MAX_CLIENTS && t->c[i].fd >= 0)
			i++;
		if (fd >= 0 && i == TOOLSTACK_MAX_CLIENTS) {
			static const char busy[] =
				"{\"ok\":false,\"error\":\"too many toolstack clients\"}\n";
			(void)!send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
			close(fd);
		} else if (fd >= 0) {
			t->c[i].fd = fd;
			t->c[i].len = 0;
			t->c[i].console = -1;
		}
	}
	return t->quit;
}

void toolstack_console(struct toolstack *t, unsigned id, const uint8_t *buf, size_t len)
{
	for (unsigned i = 0; t && i < TOOLSTACK_MAX_CLIENTS; i++) {
		struct ts_client *c = &t->c[i];
		if (c->fd >= 0 && c->console == (int)id)
			/* Output a client cannot take now is lost for it alone. */
			(void)!send(c->fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
	}
}
