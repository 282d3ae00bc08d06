// SPDX-License-Identifier: MIT
/*
 * `retrovisor xl COMMAND ...`: the toolstack's command-line client
 * (docs/domains.md). It turns a command into one JSON request on the
 * control socket of a running `retrovisor up` (cli/toolstack.h), prints
 * the reply for people (list as a table) and exits 0, or prints the
 * error's sentence and exits 2. `xl console NAME` relays the domain's
 * console to this terminal and this terminal's input to the domain until
 * either side closes.
 */
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cli/main.h"
#include "cli/options.h"
#include "cli/toolstack.h"

static int xl_usage(const char *msg)
{
	return main_usage(msg, "usage: retrovisor xl [--control PATH] "
			       "list | pause NAME | unpause NAME | destroy NAME | shutdown NAME | "
			       "console NAME | partition BRIDGE NAME GROUP | heal BRIDGE NAME | "
			       "faults BRIDGE drop=PPM[,duplicate=PPM][,reorder=PPM]"
			       "[,delay=PPM,delay_epochs=N] | create FILE | save [-c] NAME FILE | "
			       "save-system DIR | sched-credit [-d NAME [-w WEIGHT] [-c CAP]] | "
			       "restore FILE [NAME] | fork NAME NEWNAME | snapshot TAG [NAME] | "
			       "snapshot-revert TAG | snapshot-delete TAG | snapshot-list | quit "
			       "(docs/domains.md)");
}

/* The one socket in the runtime folder, when --control is not given. */
static int xl_find(char *out, size_t n)
{
	char probe[200];
	toolstack_default_path("x", probe, sizeof(probe));
	*strrchr(probe, '/') = '\0';
	DIR *d = opendir(probe);
	int found = 0;
	struct dirent *e;

	while (d && (e = readdir(d))) {
		size_t l = strlen(e->d_name);
		if (l > 5 && !strcmp(e->d_name + l - 5, ".sock")) {
			found++;
			snprintf(out, n, "%.150s/%.40s", probe, e->d_name);
		}
	}
	if (d)
		closedir(d);
	if (found == 1)
		return 0;
	fprintf(stderr,
		"retrovisor: %s hypervisor is up in %s; name its socket with "
		"--control PATH\n",
		found ? "more than one" : "no", probe);
	return -1;
}

static int xl_connect(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (strlen(path) >= sizeof(a.sun_path) || fd < 0) {
		fprintf(stderr, "retrovisor: cannot use the control socket %s\n", path);
		return -1;
	}
	strcpy(a.sun_path, path);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
		fprintf(stderr,
			"retrovisor: no hypervisor answers on %s (%s); is "
			"'retrovisor up' running?\n",
			path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* One reply line, up to n - 1 bytes; -1 when the hypervisor went away. */
static int xl_reply(int fd, char *buf, size_t n)
{
	size_t k = 0;

	while (k + 1 < n) {
		ssize_t r = read(fd, buf + k, 1);
		if (r <= 0)
			return -1;
		if (buf[k] == '\n')
			break;
		k++;
	}
	buf[k] = '\0';
	return 0;
}

/* The string value of "key" in a reply (the server's own JSON: no
 * escapes but \" and \\). */
static const char *xl_field(const char *json, const char *key, char *out, size_t n)
{
	char pat[64];
	snprintf(pat, sizeof(pat), "\"%s\":", key);
	const char *p = strstr(json, pat);
	size_t k = 0;

	if (!p)
		return NULL;
	p += strlen(pat);
	if (*p == '"') {
		for (p++; *p && *p != '"' && k + 1 < n; p++) {
			if (*p == '\\' && p[1])
				p++;
			out[k++] = *p;
		}
	} else {
		while (*p && *p != ',' && *p != '}' && k + 1 < n)
			out[k++] = *p++;
	}
	out[k] = '\0';
	return out;
}

#define XL_COLS 5

/* Each object of the reply's array (the one after "ARRAY":[, each opening
 * with {"FIRST":) as its keys' values, handed to row. */
static void xl_rows(const char *reply, const char *array, const char *const *keys, unsigned n,
		    void (*row)(char (*v)[140]))
{
	char v[XL_COLS][140], pat[40];
	const char *p = strstr(reply, array);

	snprintf(pat, sizeof(pat), "{\"%s\":", keys[0]);
	while (p && (p = strstr(p, pat))) {
		const char *end = strchr(p, '}');
		char one[400];
		size_t l = end ? (size_t)(end - p + 1) : strlen(p);
		snprintf(one, sizeof(one), "%.*s", (int)l, p);
		for (unsigned k = 0; k < n; k++)
			if (!xl_field(one, keys[k], v[k], sizeof(v[k])))
				v[k][0] = '\0';
		row(v);
		p += l;
	}
}

static void xl_list_row(char (*v)[140])
{
	printf("%-20s %4s %-10s %8s %16s\n", v[1], v[0], v[2], v[3], v[4]);
}

static void xl_print_list(const char *reply)
{
	static const char *const keys[] = { "id", "name", "state", "restarts", "icount" };

	printf("%-20s %4s %-10s %8s %16s\n", "Name", "ID", "State", "Restarts", "Instructions");
	xl_rows(reply, "\"domains\":[", keys, 5, xl_list_row);
}

/* A name as a JSON string's contents: names are printable ASCII here. */
static int xl_name(const char *s, const char *what)
{
	if (!*s || strlen(s) >= TOOLSTACK_PATH_MAX)
		return xl_usage(what);
	for (const char *p = s; *p; p++)
		if (*p == '"' || *p == '\\' || (unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
			return xl_usage(what);
	return 0;
}

static int xl_console(int fd)
{
	struct pollfd p[2] = { { .fd = fd, .events = POLLIN }, { .fd = 0, .events = POLLIN } };
	char buf[4096];

	fprintf(stderr, "retrovisor: attached; end with Ctrl-D (the domain goes on)\n");
	for (;;) {
		if (poll(p, 2, -1) < 0 && errno != EINTR)
			return CLI_EXIT_ERROR;
		if (p[0].revents) {
			ssize_t n = read(fd, buf, sizeof(buf));
			if (n <= 0)
				return CLI_EXIT_OK; /* the domain or the hypervisor is gone */
			(void)!write(1, buf, (size_t)n);
		}
		if (p[1].revents) {
			ssize_t n = read(0, buf, sizeof(buf));
			if (n <= 0)
				return CLI_EXIT_OK;
			if (write(fd, buf, (size_t)n) != n)
				return CLI_EXIT_OK;
		}
	}
}

/* A file argument as the absolute path the hypervisor needs (its own
 * working folder is not ours); -1 if too long for a request. */
static int xl_abs(const char *file, char *out, size_t n)
{
	char cwd[TOOLSTACK_PATH_MAX];

	if (file[0] == '/')
		snprintf(out, n, "%s", file);
	else if (getcwd(cwd, sizeof(cwd)))
		snprintf(out, n, "%s/%s", cwd, file);
	else
		return xl_usage(
			"the current folder's path is too long; give FILE as an absolute path");
	if (strlen(out) + 1 >= TOOLSTACK_PATH_MAX)
		return xl_usage("FILE's absolute path is too long (at most 511 bytes)");
	return 0;
}

/* The requests that make domains and take snapshots, into req. */
static int xl_domains_request(const char *cmd, int nargs, char *const *a, char *req, size_t n)
{
	char file[TOOLSTACK_PATH_MAX + 8];
	bool keep = nargs > 0 && !strcmp(a[0], "-c");

	if (!strcmp(cmd, "create") || !strcmp(cmd, "restore")) {
		if (nargs < 1 || nargs > (cmd[0] == 'c' ? 1 : 2))
			return xl_usage("create takes FILE, restore FILE [NAME]");
		if (xl_abs(a[0], file, sizeof(file)))
			return -1;
		snprintf(req, n, "{\"cmd\":\"%s\",\"file\":\"%s\"%s%s%s}\n", cmd, file,
			 nargs == 2 ? ",\"name\":\"" : "", nargs == 2 ? a[1] : "",
			 nargs == 2 ? "\"" : "");
	} else if (!strcmp(cmd, "save")) {
		if (nargs != 2 + keep)
			return xl_usage("save takes [-c] NAME FILE");
		if (xl_abs(a[1 + keep], file, sizeof(file)))
			return -1;
		snprintf(req, n,
			 "{\"cmd\":\"save\",\"domain\":\"%s\",\"file\":\"%s\",\"keep\":%s}\n",
			 a[keep], file, keep ? "true" : "false");
	} else if (!strcmp(cmd, "save-system")) {
		if (nargs != 1)
			return xl_usage("save-system takes DIR");
		if (xl_abs(a[0], file, sizeof(file)))
			return -1;
		snprintf(req, n, "{\"cmd\":\"save-system\",\"file\":\"%s\"}\n", file);
	} else if (!strcmp(cmd, "fork")) {
		if (nargs != 2)
			return xl_usage("fork takes NAME NEWNAME");
		snprintf(req, n, "{\"cmd\":\"fork\",\"domain\":\"%s\",\"name\":\"%s\"}\n", a[0],
			 a[1]);
	} else if (!strcmp(cmd, "sched-credit")) {
		/* Xen's: sched-credit [-d NAME [-w WEIGHT] [-c CAP]]; none: list. */
		size_t k = 0;
		if (nargs == 0) {
			snprintf(req, n, "{\"cmd\":\"list\"}\n");
			return 0;
		}
		if (nargs < 2 || nargs % 2 || strcmp(a[0], "-d"))
			return xl_usage(
				"sched-credit takes -d NAME [-w WEIGHT] [-c CAP], or nothing");
		k += (size_t)snprintf(req, n, "{\"cmd\":\"sched-credit\",\"domain\":\"%s\"", a[1]);
		for (int i = 2; i < nargs; i += 2) {
			char *end;
			long v = strtol(a[i + 1], &end, 10);
			if ((strcmp(a[i], "-w") && strcmp(a[i], "-c")) || *end || end == a[i + 1])
				return xl_usage("sched-credit's settings are -w WEIGHT and -c CAP");
			k += (size_t)snprintf(req + k, n - k, ",\"%s\":%ld",
					      a[i][1] == 'w' ? "weight" : "cap", v);
		}
		snprintf(req + k, n - k, "}\n");
	} else if (!strcmp(cmd, "snapshot")) {
		if (nargs < 1 || nargs > 2)
			return xl_usage("snapshot takes TAG, or TAG NAME for one domain");
		snprintf(req, n, "{\"cmd\":\"snapshot\",\"tag\":\"%s\"%s%s%s}\n", a[0],
			 nargs == 2 ? ",\"domain\":\"" : "", nargs == 2 ? a[1] : "",
			 nargs == 2 ? "\"" : "");
	} else if (!strcmp(cmd, "snapshot-revert") || !strcmp(cmd, "snapshot-delete")) {
		if (nargs != 1)
			return xl_usage("snapshot-revert and snapshot-delete take TAG");
		snprintf(req, n, "{\"cmd\":\"%s\",\"tag\":\"%s\"}\n", cmd, a[0]);
	} else if (!strcmp(cmd, "snapshot-list")) {
		if (nargs)
			return xl_usage("snapshot-list takes nothing more");
		snprintf(req, n, "{\"cmd\":\"snapshot-list\"}\n");
	} else {
		char msg[120];
		snprintf(msg, sizeof(msg), "unknown xl command '%.40s'", cmd);
		return xl_usage(msg);
	}
	return 0;
}

static void xl_sched_row(char (*v)[140])
{
	printf("%-20s %4s %6s %4s\n", v[1], v[0], v[2], v[3]);
}

/* The reply to one domain's sched-credit: {"ok":true,"name":...}. */
static void xl_sched_one(char (*v)[140])
{
	xl_sched_row(v + 1);
}

/* sched-credit's table: from list's reply, or one domain's settings. */
static void xl_print_sched(const char *reply)
{
	static const char *const keys[] = { "id", "name", "weight", "cap" };

	printf("%-20s %4s %6s %4s\n", "Name", "ID", "Weight", "Cap");
	if (strstr(reply, "\"domains\":["))
		xl_rows(reply, "\"domains\":[", keys, 4, xl_sched_row);
	else
		xl_rows(reply, "{", (const char *const[]){ "ok", "id", "name", "weight", "cap" }, 5,
			xl_sched_one);
}

static void xl_snapshot_row(char (*v)[140])
{
	printf("%-24s %10s %s\n", v[0], v[1], v[2][0] ? v[2] : "(whole system)");
}

static void xl_print_snapshots(const char *reply)
{
	static const char *const keys[] = { "tag", "epoch", "domain" };

	printf("%-24s %10s %s\n", "Tag", "Epoch", "Domain");
	xl_rows(reply, "\"snapshots\":[", keys, 3, xl_snapshot_row);
}

int main_xl(int argc, char **argv)
{
	const char *control = NULL;
	char path[200], req[1400], reply[TOOLSTACK_MAX_CLIENTS * 1024 + 16384];
	int i = 2;

	if (argc > 3 && !strcmp(argv[2], "--control")) {
		control = argv[3];
		i = 4;
	}
	if (i >= argc)
		return xl_usage("xl needs a command");
	const char *cmd = argv[i];
	int nargs = argc - i - 1;
	char *const *a = argv + i + 1;

	for (int k = 0; k < nargs; k++)
		if (xl_name(a[k], "a name or setting holds a quote, a backslash or a control "
				  "character"))
			return CLI_EXIT_ERROR;
	if (!strcmp(cmd, "list") || !strcmp(cmd, "quit")) {
		if (nargs)
			return xl_usage("list and quit take nothing more");
		snprintf(req, sizeof(req), "{\"cmd\":\"%s\"}\n", cmd);
	} else if (!strcmp(cmd, "pause") || !strcmp(cmd, "unpause") || !strcmp(cmd, "destroy") ||
		   !strcmp(cmd, "shutdown") || !strcmp(cmd, "console")) {
		if (nargs != 1)
			return xl_usage("this command takes one domain name");
		snprintf(req, sizeof(req), "{\"cmd\":\"%s\",\"domain\":\"%s\"}\n", cmd, a[0]);
	} else if (!strcmp(cmd, "partition") || !strcmp(cmd, "heal")) {
		char *end = NULL;
		long group = cmd[0] == 'h' ? 0 : nargs == 3 ? strtol(a[2], &end, 10) : -1;
		if (nargs != (cmd[0] == 'h' ? 2 : 3) || (end && *end) || group < 0)
			return xl_usage("partition takes BRIDGE NAME GROUP, heal BRIDGE NAME");
		snprintf(req, sizeof(req),
			 "{\"cmd\":\"partition\",\"bridge\":\"%s\",\"domain\":\"%s\",\"group\":%ld}\n",
			 a[0], a[1], group);
	} else if (!strcmp(cmd, "faults")) {
		if (nargs != 2)
			return xl_usage("faults takes BRIDGE and KEY=PPM settings");
		size_t k = (size_t)snprintf(req, sizeof(req),
					    "{\"cmd\":\"faults\",\"bridge\":\"%s\"", a[0]);
		char settings[200];
		snprintf(settings, sizeof(settings), "%s", a[1]);
		for (char *tok = strtok(settings, ","); tok; tok = strtok(NULL, ",")) {
			char *eq = strchr(tok, '='), *end;
			if (!eq || (strcmp(eq + 1, "") && (strtol(eq + 1, &end, 10), *end)))
				return xl_usage("faults settings are KEY=PPM");
			*eq = '\0';
			k += (size_t)snprintf(req + k, sizeof(req) - k, ",\"%s\":%s", tok, eq + 1);
		}
		snprintf(req + k, sizeof(req) - k, "}\n");
	} else if (xl_domains_request(cmd, nargs, a, req, sizeof(req)) != 0) {
		return CLI_EXIT_ERROR;
	}
	if (!control) {
		if (xl_find(path, sizeof(path)) != 0)
			return CLI_EXIT_ERROR;
		control = path;
	}
	int fd = xl_connect(control);
	if (fd < 0)
		return CLI_EXIT_ERROR;
	if (write(fd, req, strlen(req)) != (ssize_t)strlen(req) ||
	    xl_reply(fd, reply, sizeof(reply)) != 0) {
		fprintf(stderr, "retrovisor: the hypervisor on %s closed the connection\n",
			control);
		close(fd);
		return CLI_EXIT_ERROR;
	}
	char err[400];
	if (!strstr(reply, "\"ok\":true")) {
		fprintf(stderr, "retrovisor: %s\n",
			xl_field(reply, "error", err, sizeof(err)) ? err : reply);
		close(fd);
		return CLI_EXIT_ERROR;
	}
	int status = CLI_EXIT_OK;
	if (!strcmp(cmd, "list"))
		xl_print_list(reply);
	else if (!strcmp(cmd, "snapshot-list"))
		xl_print_snapshots(reply);
	else if (!strcmp(cmd, "sched-credit"))
		xl_print_sched(reply);
	else if (!strcmp(cmd, "console"))
		status = xl_console(fd);
	close(fd);
	return status;
}
