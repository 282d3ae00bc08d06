// SPDX-License-Identifier: MIT
/*
 * `retrovisor loop`: the command line of the fast reset loop
 * (docs/snapshots.md; the loop itself is snapshot/loop.c), the interface
 * fuzzers and fault-injection campaigns drive.
 *
 *   retrovisor loop [LOOP-OPTIONS] RUN-OPTIONS
 *
 * The loop first reaches its start state: a snapshot file (--restore), or
 * a boot that runs until --start-at ICOUNT, until the console shows
 * --start-on-output STR, or until the guest's SNAPSHOT request
 * (<retrovisor/pv.h>). Each iteration restores the start, optionally
 * checks that the state's digest equals the start's (--check-digest),
 * hands the iteration its input (typed on the console with --type, and/or
 * served to the guest's GET_INPUT request), and runs until the guest ends
 * the iteration (END_ITERATION), the console shows --until-output STR, the
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
 * campaigns to --restore. Here: the options, the input files, the
 * machine and its plugins, and the report; a host failure ends the loop
 * with the internal status.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli/main.h"
#include "cli/snapshot.h"
#include "hv/platform/control.h"
#include "hv/platform/loader.h"
#include "plugins/host.h"
#include "snapshot/loop.h"

#define LOOP_MAX_INPUTS 65536
#define LOOP_MAX_INPUT_SIZE (64u << 20)

struct loop_input {
	char *name;
	uint8_t *data;
	size_t len;
};

/* The inputs the command line names. */
struct loop {
	struct loop_input *in;
	unsigned nin;
};

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
	return main_usage(
		msg, "usage: retrovisor loop [--iterations N] [--budget N] "
		     "[--input FILE]... [--input-dir DIR] [--type STR] [--until-output STR] "
		     "[--start-at N | --start-on-output STR] [--save-start FILE] [--check-digest] "
		     "[--console] "
		     "(--restore FILE | RUN-OPTIONS)");
}

int main_loop(int argc, char **argv)
{
	struct hv_err err = { { 0 } };
	struct loop l = { 0 };
	uint64_t iterations = 0, budget = 0, start_at = 0;
	const char *start_out = NULL, *until_out = NULL, *type = NULL, *save_start = NULL;
	bool iterations_set = false;
	bool check_digest = false, echo = false;
	char **a = calloc((size_t)argc + 2, sizeof(char *));
	int n = 0, rc = CLI_EXIT_ERROR;
	char *type_s = NULL, *until_s = NULL, *start_s = NULL;
	struct snapcli sc;
	struct snaploop sl = { 0 };
	struct machine *m = NULL;
	struct plugin_host *ph = NULL;
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
			echo = true;
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
#ifdef RETROVISOR_TEST_HOOKS
	main_test_hooks(m);
#endif
	ph = plugin_host_create(m, &err);
	if (!ph)
		goto fail;
	for (unsigned i = 0; i < eff.nplugins; i++)
		if (plugin_host_load(ph, eff.plugin[i], &err) != 0)
			goto fail;
	if (plugin_host_attach(ph, false, false, &err) != 0)
		goto fail;
	snaploop_init(&sl, m, &sc.req, echo);
	/* Paced only when asked (hv/platform/pace.h); every iteration from its start. */
	machine_set_paced(m, cmd.clock == CLI_CLOCK_REALTIME);
	pace_start(m);

	if (!cmd.restore && snaploop_boot(&sl, start_at, start_s, &err) != 0)
		goto fail;
	if (snaploop_take_start(&sl, &err) != 0)
		goto fail;
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
	if (check_digest)
		snaploop_check_digests(&sl);
	fprintf(stderr, "retrovisor: loop starts at instruction %llu\n",
		(unsigned long long)sl.start_icount);

	struct timespec t0, t1;
	unsigned digest_bad = 0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (uint64_t it = 0; it < iterations; it++) {
		const struct loop_input *in = l.nin ? &l.in[it % l.nin] : NULL;
		struct snaploop_input input = { in ? in->name : NULL, in ? in->data : NULL,
						in ? in->len : 0 };
		struct snaploop_iter iter = { .input = in ? &input : NULL,
					      .type = type_s,
					      .until = until_s,
					      .budget = budget };
		struct snaploop_end end;
		int r = snaploop_iterate(&sl, it, &iter, &end, &err);
		if (end.digest_differs) {
			printf("iteration %llu digest differs from the start's\n",
			       (unsigned long long)it);
			digest_bad++;
		}
		if (r == SNAPLOOP_HOST_FAILED) {
			/* Not an iteration's result: the loop cannot go on. */
			fflush(stdout);
			rc = CLI_EXIT_INTERNAL;
			fprintf(stderr, "retrovisor: %s\n", err.msg);
			goto out;
		}
		if (r < 0)
			goto fail;
		if (end.why != STOP_GUEST_REQUEST)
			plugin_host_clear_stop(ph);
		printf("iteration %llu input %s end %s status %llu instructions %llu\n",
		       (unsigned long long)it, in ? in->name : "-", end.kind,
		       (unsigned long long)end.status, (unsigned long long)end.insns);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	fflush(stdout);
	fprintf(stderr, "retrovisor: %llu iterations in %.3f s (%.0f per second)%s\n",
		(unsigned long long)iterations, s, s > 0 ? (double)iterations / s : 0.0,
		check_digest ? (digest_bad ? ", digests DIFFERED" :
					     ", every restore matched "
					     "the start's digest") :
			       "");
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
	snaploop_free(&sl);
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
