// SPDX-License-Identifier: MIT
/*
 * `retrovisor loop`: the fast reset loop (docs/snapshots.md), the interface
 * fuzzers and fault-injection campaigns drive.
 *
 *   retrovisor loop [LOOP-OPTIONS] RUN-OPTIONS
 *
 * The loop first reaches its start state: a snapshot file (--restore), or
 * a boot that runs until --start-at ICOUNT, until the console shows
 * --start-on-output STR, or until the guest's SNAPSHOT request
 * (<retrovisor/pv.h>).
 * It takes an in-memory snapshot there, then for each iteration: restores
 * it (only the pages and blocks written since come back), optionally checks
 * that the state's digest equals the start's (--check-digest), hands the
 * iteration its input (typed on the console with --type, and/or served to
 * the guest's GET_INPUT request), and runs until the guest ends the
 * iteration (END_ITERATION), the console shows --until-output STR, the
 * --budget of instructions is spent, or the machine stops (panic,
 * shutdown, watchdog, deadlock). One line per iteration on stdout:
 *
 *   iteration I input NAME end KIND status S instructions N
 *
 * KIND is guest, output, budget, shutdown, panic, watchdog or deadlock. The
 * guest's console goes to stderr with --console, else nowhere. Inputs are
 * files (--input FILE, repeatable, or every file of --input-dir DIR in
 * name order), used in turn; without inputs every iteration gets an empty
 * one. --save-start FILE also saves the start state to a snapshot file
 * (with --iterations 0, that is all the loop does), for later loops and
 * campaigns to --restore. The network's host side (libslirp) starts over at
 * the start and at every restore, so each iteration makes its connections
 * afresh, as a restore in a new process would. Everything here is deterministic: the same start, input and budget
 * give the same iteration, so any iteration can be reproduced alone.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <retrovisor/pv.h>

#include "hv/platform/loader.h"
#include "cli/main.h"
#include "hv/platform/sbi.h"
#include "cli/snapshot.h"
#include "hv/dev/virtio/virtio_net.h"
#include "plugins/host.h"
#include "snapshot/snap.h"

#define LOOP_MAX_INPUTS 65536
#define LOOP_MAX_INPUT_SIZE (64u << 20)
#define LOOP_OP_CONSOLE 0x1000u /* pv_req.op of a console match (not a guest call) */

struct loop_input {
	char *name;
	uint8_t *data;
	size_t len;
};

struct loop {
	struct machine *m;
	struct loop_input *in;
	unsigned nin;
	const char *match;  /* console string that ends the phase, or NULL */
	size_t matched;     /* bytes of it matched so far */
	bool echo;          /* --console */
	const struct loop_input *cur;
};

/* The host side of the network starts over at the start and after every
 * restore: an iteration's guest reuses the ports and sequence numbers of
 * the connections the previous one made, which the old stack would still
 * hold, and every iteration, the first included, must meet the same host
 * side (connections made before the start are reset when used, as after a
 * restore in a new process). */
static int loop_net_restart(struct machine *m, struct hv_err *err)
{
	return m->net ? virtio_net_reset_backend(m->net, err) : 0;
}

/* Console sink: optional echo, and a search for l->match that stops the
 * machine at the exact instruction that printed its last byte. */
static void loop_console(void *opaque, const uint8_t *buf, size_t len)
{
	struct loop *l = opaque;

	if (l->echo)
		fwrite(buf, 1, len, stderr);
	if (!l->match)
		return;
	size_t n = strlen(l->match);
	for (size_t i = 0; i < len && l->match; i++) {
		/* Restart-on-mismatch matching; the markers used are short. */
		if (buf[i] == (uint8_t)l->match[l->matched]) {
			l->matched++;
		} else {
			l->matched = buf[i] == (uint8_t)l->match[0] ? 1 : 0;
		}
		if (l->matched == n) {
			l->matched = 0;
			l->match = NULL;
			l->m->pv_req.op = LOOP_OP_CONSOLE;
			machine_stop(l->m, STOP_GUEST_REQUEST, 0);
		}
	}
}

static int loop_read_file(const char *path, struct loop_input *in, struct hv_err *err)
{
	FILE *f = fopen(path, "rb");
	struct stat st;

	if (!f) {
		hv_err_set(err, "cannot open input '%s': %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode) ||
	    (uint64_t)st.st_size > LOOP_MAX_INPUT_SIZE) {
		hv_err_set(err, "input '%s' is not a regular file of at most %u MiB", path,
			   LOOP_MAX_INPUT_SIZE >> 20);
		fclose(f);
		return -1;
	}
	in->len = (size_t)st.st_size;
	in->data = malloc(in->len ? in->len : 1);
	in->name = strdup(path);
	if (!in->data || !in->name || fread(in->data, 1, in->len, f) != in->len) {
		hv_err_set(err, "cannot read input '%s'", path);
		fclose(f);
		return -1;
	}
	fclose(f);
	return 0;
}

static int loop_add_input(struct loop *l, const char *path, struct hv_err *err)
{
	if (l->nin == LOOP_MAX_INPUTS) {
		hv_err_set(err, "more than %d inputs", LOOP_MAX_INPUTS);
		return -1;
	}
	struct loop_input *n = realloc(l->in, (l->nin + 1) * sizeof(*n));
	if (!n) {
		hv_err_set(err, "out of host memory");
		return -1;
	}
	l->in = n;
	memset(&l->in[l->nin], 0, sizeof(l->in[0]));
	return loop_read_file(path, &l->in[l->nin++], err);
}

static int loop_cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int loop_add_dir(struct loop *l, const char *dir, struct hv_err *err)
{
	DIR *d = opendir(dir);
	char **names = NULL;
	size_t n = 0;
	struct dirent *e;
	int rc = 0;

	if (!d) {
		hv_err_set(err, "cannot open input folder '%s': %s", dir, strerror(errno));
		return -1;
	}
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		char **nn = realloc(names, (n + 1) * sizeof(*nn));
		if (!nn || asprintf(&nn[n], "%s/%s", dir, e->d_name) < 0) {
			names = nn ? nn : names;
			rc = -1;
			hv_err_set(err, "out of host memory");
			break;
		}
		names = nn;
		n++;
	}
	closedir(d);
	if (names)
		qsort(names, n, sizeof(*names), loop_cmp_names);
	for (size_t i = 0; i < n; i++) {
		if (!rc)
			rc = loop_add_input(l, names[i], err);
		free(names[i]);
	}
	free(names);
	if (!rc && n == 0) {
		hv_err_set(err, "input folder '%s' has no files", dir);
		rc = -1;
	}
	return rc;
}

/* "\n", "\t", "\\" and "\xHH" in --type and --*-output strings. */
static char *loop_unescape(const char *s)
{
	char *out = malloc(strlen(s) + 1), *p = out;

	if (!out)
		return NULL;
	while (*s) {
		if (s[0] == '\\' && s[1] == 'n') {
			*p++ = '\n';
			s += 2;
		} else if (s[0] == '\\' && s[1] == 't') {
			*p++ = '\t';
			s += 2;
		} else if (s[0] == '\\' && s[1] == '\\') {
			*p++ = '\\';
			s += 2;
		} else if (s[0] == '\\' && s[1] == 'x' && s[2] && s[3]) {
			char hex[3] = { s[2], s[3], 0 }, *end;
			long v = strtol(hex, &end, 16);
			if (*end) {
				*p++ = *s++;
				continue;
			}
			*p++ = (char)v;
			s += 4;
		} else {
			*p++ = *s++;
		}
	}
	*p = 0;
	return out;
}

static int loop_usage(const char *msg)
{
	fprintf(stderr, "retrovisor: %s; usage: retrovisor loop [--iterations N] [--budget N] "
		"[--input FILE]... [--input-dir DIR] [--type STR] [--until-output STR] "
		"[--start-at N | --start-on-output STR] [--save-start FILE] [--check-digest] "
		"[--console] "
		"(--restore FILE | RUN-OPTIONS)\n", msg);
	return CLI_EXIT_ERROR;
}

static const char *loop_end_kind(enum hv_stop why)
{
	switch (why) {
	case STOP_SHUTDOWN:
		return "shutdown";
	case STOP_REBOOT:
		return "reboot";
	case STOP_MAX_INSNS:
		return "budget";
	case STOP_PANIC:
		return "panic";
	case STOP_WATCHDOG:
		return "watchdog";
	case STOP_DEADLOCK:
		return "deadlock";
	case STOP_HOST_ERROR:
		return "host-error";
	default:
		return "stopped";
	}
}

/* Serve a guest request during an iteration. Returns 1 if the iteration
 * goes on, 0 if it ended (END_ITERATION: *status set). */
static int loop_request(struct loop *l, struct snapcli *sc, uint64_t *status, struct hv_err *err)
{
	struct machine *m = l->m;
	struct hart *h = m->hart[m->pv_req.hart];

	switch (m->pv_req.op) {
	case RV_PV_END_ITERATION:
		*status = m->pv_req.arg0;
		return 0;
	case RV_PV_GET_INPUT: {
		size_t len = l->cur ? l->cur->len : 0;
		size_t n = len < m->pv_req.arg1 ? len : (size_t)m->pv_req.arg1;
		if (!snapcli_ram_range(m, m->pv_req.arg0, m->pv_req.arg1) ||
		    (n && !machine_write_phys(m, m->pv_req.arg0, l->cur->data, n)))
			h->x[10] = (uint64_t)(int64_t)SBI_ERR_INVALID_ADDRESS;
		else
			h->x[11] = len;
		return 1;
	}
	default: {
		int r = snapcli_stop(sc, STOP_GUEST_REQUEST, err);
		return r < 0 ? -1 : 1;
	}
	}
}

int main_loop(int argc, char **argv)
{
	struct hv_err err = { { 0 } };
	struct loop l = { 0 };
	uint64_t iterations = 0, budget = 0, start_at = 0;
	const char *start_out = NULL, *until_out = NULL, *type = NULL, *save_start = NULL;
	bool iterations_set = false;
	bool check_digest = false;
	char **a = calloc((size_t)argc + 2, sizeof(char *));
	int n = 0, rc = CLI_EXIT_ERROR;
	char *type_s = NULL, *until_s = NULL, *start_s = NULL;
	struct snapcli sc;
	struct machine *m = NULL;
	struct plugin_host *ph = NULL;
	struct snap *start = NULL;
	bool have_sc = false;

	if (!a)
		return loop_usage("out of host memory");
	a[n++] = argv[0];
	a[n++] = "run";
	for (int i = 2; i < argc; i++) {
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(argv[i], "--iterations") == 0 && v) {
			iterations_set = true;
			if (strcmp(v, "0") != 0 && cli_parse_count(v, &iterations, &err))
				goto fail;
			i++;
		} else if (strcmp(argv[i], "--save-start") == 0 && v && *v) {
			save_start = v;
			i++;
		} else if (strcmp(argv[i], "--budget") == 0 && v) {
			if (cli_parse_count(v, &budget, &err))
				goto fail;
			i++;
		} else if (strcmp(argv[i], "--start-at") == 0 && v) {
			if (cli_parse_count(v, &start_at, &err))
				goto fail;
			i++;
		} else if (strcmp(argv[i], "--input") == 0 && v) {
			if (loop_add_input(&l, v, &err))
				goto fail;
			i++;
		} else if (strcmp(argv[i], "--input-dir") == 0 && v) {
			if (loop_add_dir(&l, v, &err))
				goto fail;
			i++;
		} else if (strcmp(argv[i], "--type") == 0 && v) {
			type = v;
			i++;
		} else if (strcmp(argv[i], "--until-output") == 0 && v && *v) {
			until_out = v;
			i++;
		} else if (strcmp(argv[i], "--start-on-output") == 0 && v && *v) {
			start_out = v;
			i++;
		} else if (strcmp(argv[i], "--check-digest") == 0) {
			check_digest = true;
		} else if (strcmp(argv[i], "--console") == 0) {
			l.echo = true;
		} else {
			a[n++] = argv[i];
		}
	}
	if (!iterations && !iterations_set)
		iterations = l.nin ? l.nin : 1;
	type_s = type ? loop_unescape(type) : NULL;
	until_s = until_out ? loop_unescape(until_out) : NULL;
	start_s = start_out ? loop_unescape(start_out) : NULL;
	if ((type && !type_s) || (until_out && !until_s) || (start_out && !start_s)) {
		hv_err_set(&err, "out of host memory");
		goto fail;
	}

	struct cli_opts cmd, eff;
	if (cli_parse(n, a, &cmd, &err) != 0)
		goto fail;
	if (cmd.cmd != CLI_CMD_RUN) {
		cli_print_run_help(stdout);
		rc = CLI_EXIT_OK;
		goto out;
	}
	have_sc = true; /* snapcli_options initialises sc first */
	if (snapcli_options(&cmd, &sc, &eff, &err) != 0)
		goto fail_sc;
	struct machine_drive drives[CLI_MAX_DRIVES];
	struct machine_config cfg;
	/* The loop's clock is fixed unless --rtc says otherwise: every
	 * iteration and every loop of the same harness sees the same time. */
	cli_machine_config(&eff, drives, (eff.rtc_set ? eff.rtc_s : 1767225600ull) * 1000000000ull,
			   &cfg);
	cfg.max_insns = start_at;
	struct loader_opts lo = { .kernel = eff.kernel, .initrd = eff.initrd, .bios = eff.bios };
	m = machine_create(&cfg, &err);
	if (!m || snapcli_attach(&sc, m, &lo, &err))
		goto fail;
	ph = plugin_host_create(m, &err);
	if (!ph)
		goto fail;
	for (unsigned i = 0; i < eff.nplugins; i++)
		if (plugin_host_load(ph, eff.plugin[i], &err) != 0)
			goto fail;
	if (plugin_host_attach(ph, false, false, &err) != 0)
		goto fail;
	l.m = m;
	m->console_out = loop_console;
	m->console_opaque = &l;
	/* Paced only when asked (hv/platform/pace.h); every iteration from its start. */
	m->pace.on = cmd.clock == CLI_CLOCK_REALTIME;
	pace_start(m);

	/* The start state. */
	if (!cmd.restore) {
		l.match = start_s;
		for (;;) {
			enum hv_stop why = machine_run(m);
			if (why == STOP_MAX_INSNS && start_at && m->total_insns == start_at)
				break;
			if (why == STOP_GUEST_REQUEST && (m->pv_req.op == LOOP_OP_CONSOLE ||
							  m->pv_req.op == RV_PV_SNAPSHOT)) {
				m->stop = STOP_NONE;
				break;
			}
			if (why == STOP_GUEST_REQUEST) {
				if (snapcli_stop(&sc, why, &err) < 0)
					goto fail;
				continue;
			}
			hv_err_set(&err, "the machine stopped (%s) at instruction %llu before the "
				   "loop's start (--start-at, --start-on-output or the guest's "
				   "SNAPSHOT request)", loop_end_kind(why),
				   (unsigned long long)m->total_insns);
			goto fail;
		}
	}
	m->stop = STOP_NONE;
	start = snap_take(m, &err);
	if (!start || loop_net_restart(m, &err) < 0)
		goto fail;
	icount_t start_icount = m->total_insns;
	if (save_start) {
		char *config = snapcli_config_text(&sc);
		struct snapfile_stats st;
		int r = config ? snapfile_save(m, save_start, config, NULL, false, &st, &err) : -1;
		free(config);
		if (r) {
			if (!config)
				hv_err_set(&err, "out of host memory");
			goto fail;
		}
		fprintf(stderr, "retrovisor: saved the loop's start to %s (%llu KiB)\n", save_start,
			(unsigned long long)(st.file_bytes >> 10));
	}
	uint64_t start_digest = check_digest ? machine_digest(m) : 0;
	fprintf(stderr, "retrovisor: loop starts at instruction %llu\n",
		(unsigned long long)start_icount);

	struct timespec t0, t1;
	unsigned digest_bad = 0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (uint64_t it = 0; it < iterations; it++) {
		if (it) {
			if (snap_restore(m, start, &err) < 0 || loop_net_restart(m, &err) < 0)
				goto fail;
			plugin_host_snapshot(ph, "", true);
		}
		if (check_digest && machine_digest(m) != start_digest) {
			printf("iteration %llu digest differs from the start's\n",
			       (unsigned long long)it);
			digest_bad++;
		}
		pace_start(m);
		l.cur = l.nin ? &l.in[it % l.nin] : NULL;
		l.match = until_s;
		l.matched = 0;
		if (type_s)
			machine_console_input(m, (const uint8_t *)type_s, strlen(type_s));
		m->cfg.max_insns = budget ? start_icount + budget : 0;
		uint64_t status = 0;
		const char *kind;
		for (;;) {
			enum hv_stop why = machine_run(m);
			if (why == STOP_GUEST_REQUEST) {
				m->stop = STOP_NONE;
				if (m->pv_req.op == LOOP_OP_CONSOLE) {
					kind = "output";
					break;
				}
				int r = loop_request(&l, &sc, &status, &err);
				if (r < 0)
					goto fail;
				if (r == 0) {
					kind = "guest";
					break;
				}
				continue;
			}
			if (why == STOP_HOST_ERROR) {
				/* Not an iteration's result: the loop cannot go on. */
				hv_err_set(&err, "%s; the loop cannot go on (iteration %llu)",
					   m->host_error[0] ? m->host_error : "a host failure",
					   (unsigned long long)it);
				fflush(stdout);
				rc = CLI_EXIT_INTERNAL;
				fprintf(stderr, "retrovisor: %s\n", err.msg);
				goto out;
			}
			kind = why == STOP_PLUGIN ? "plugin" : loop_end_kind(why);
			plugin_host_clear_stop(ph);
			status = why == STOP_SHUTDOWN ? (uint64_t)m->exit_status : 0;
			break;
		}
		printf("iteration %llu input %s end %s status %llu instructions %llu\n",
		       (unsigned long long)it, l.cur ? l.cur->name : "-", kind,
		       (unsigned long long)status,
		       (unsigned long long)(m->total_insns - start_icount));
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	fflush(stdout);
	fprintf(stderr, "retrovisor: %llu iterations in %.3f s (%.0f per second)%s\n",
		(unsigned long long)iterations, s, s > 0 ? (double)iterations / s : 0.0,
		check_digest ? (digest_bad ? ", digests DIFFERED" : ", every restore matched "
				"the start's digest") : "");
	rc = digest_bad ? CLI_EXIT_DIVERGED : CLI_EXIT_OK;
	goto out;
fail:
	fflush(stdout);
fail_sc:
	rc = main_fail(&err);
out:
	if (plugin_host_active(ph))
		plugin_host_exit(ph, rc);
	plugin_host_destroy(ph);
	snap_free(start);
	if (m)
		machine_destroy(m);
	if (have_sc)
		snapcli_free(&sc);
	for (unsigned i = 0; i < l.nin; i++) {
		free(l.in[i].name);
		free(l.in[i].data);
	}
	free(l.in);
	free(type_s);
	free(until_s);
	free(start_s);
	free(a);
	return rc;
}
