// SPDX-License-Identifier: MIT
/*
 * The record, replay, log and bundle commands (docs/replay.md).
 *
 *   retrovisor record --log FILE [--digest-interval N] RUN-OPTIONS...
 *   retrovisor replay FILE|BUNDLE [--go-live N [--log NEW]] [--print-digest]
 *   retrovisor log dump|stats|verify FILE
 *   retrovisor bundle --log FILE -o OUT
 *
 * A log's configuration record is text, one line each:
 *   "retrovisor VERSION"             the recorder
 *   "arg VALUE"                      every `run` argument, in order
 *   "image ROLE PATH SHA256"         every image the run read
 *   "rtc_ns N"                       the wall clock at power-on
 * A replay rebuilds the `run` command line from the arg lines, checks each
 * image's SHA-256 (refusing, with the role and file, one that differs),
 * and runs with the recorded clock. The text comes from an untrusted file:
 * every line is parsed with bounds, and the rebuilt command line goes
 * through the same checks as one typed by a user.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/main.h"
#include "replay/bundle.h"
#include "replay/log.h"
#include "replay/session.h"
#include "replay/sha256.h"

#define SESSION_MAX_ARGS 256

static int session_usage(const char *msg)
{
	fprintf(stderr, "retrovisor: %s; see docs/replay.md or 'retrovisor --help'\n", msg);
	return CLI_EXIT_ERROR;
}

/* Append "image ROLE PATH HASH" for a file the run reads. */
static int session_add_image(char **cfg, size_t *len, size_t *cap, const char *role,
			     const char *path, struct hv_err *err)
{
	uint8_t d[SHA256_DIGEST_SIZE];
	char hex[SHA256_HEX_SIZE];

	if (sha256_file(path, d, err) != 0)
		return -1;
	sha256_hex(d, hex);
	size_t need = strlen(role) + strlen(path) + strlen(hex) + 16;
	if (*len + need >= *cap) {
		size_t ncap = (*cap + need) * 2;
		char *n = realloc(*cfg, ncap);
		if (!n) {
			hv_err_set(err, "out of host memory");
			return -1;
		}
		*cfg = n;
		*cap = ncap;
	}
	*len += (size_t)snprintf(*cfg + *len, *cap - *len, "image %s %s %s\n", role, path, hex);
	return 0;
}

static int session_append(char **cfg, size_t *len, size_t *cap, const char *line)
{
	size_t need = strlen(line) + 2;

	if (*len + need >= *cap) {
		size_t ncap = (*cap + need) * 2;
		char *n = realloc(*cfg, ncap);
		if (!n)
			return -1;
		*cfg = n;
		*cap = ncap;
	}
	*len += (size_t)snprintf(*cfg + *len, *cap - *len, "%s\n", line);
	return 0;
}

int main_record(int argc, char **argv)
{
	const char *log = NULL;
	uint64_t interval = 0;
	char *run_argv[SESSION_MAX_ARGS + 2];
	int run_argc = 0;
	struct cli_opts o;
	struct hv_err err = { { 0 } };

	run_argv[run_argc++] = argv[0];
	run_argv[run_argc++] = "run";
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--log") == 0 && i + 1 < argc) {
			log = argv[++i];
		} else if (strncmp(argv[i], "--log=", 6) == 0) {
			log = argv[i] + 6;
		} else if (strcmp(argv[i], "--digest-interval") == 0 && i + 1 < argc) {
			if (cli_parse_count(argv[++i], &interval, &err) != 0)
				return main_fail(&err);
		} else if (run_argc < SESSION_MAX_ARGS) {
			run_argv[run_argc++] = argv[i];
		} else {
			return session_usage("too many arguments");
		}
	}
	run_argv[run_argc] = NULL;
	if (!log || !*log)
		return session_usage("record needs --log FILE");
	if (cli_parse(run_argc, run_argv, &o, &err) != 0)
		return main_fail(&err);
	if (o.cmd != CLI_CMD_RUN)
		return session_usage("record takes the options of run");

	size_t len = 0, cap = 4096;
	char *cfg = malloc(cap);
	if (!cfg)
		return session_usage("out of host memory");
	cfg[0] = '\0';
	session_append(&cfg, &len, &cap, "retrovisor " CLI_VERSION);
	for (int i = 2; i < run_argc; i++) {
		char line[8192];
		if (strchr(run_argv[i], '\n') || strlen(run_argv[i]) > sizeof(line) - 8) {
			free(cfg);
			return session_usage("an argument contains a newline or is too long to record");
		}
		snprintf(line, sizeof(line), "arg %s", run_argv[i]);
		if (session_append(&cfg, &len, &cap, line) != 0) {
			free(cfg);
			return session_usage("out of host memory");
		}
	}
	int bad = o.kernel ? session_add_image(&cfg, &len, &cap, "kernel", o.kernel, &err) : 0;
	if (!bad && o.restore)
		bad = session_add_image(&cfg, &len, &cap, "snapshot", o.restore, &err);
	if (!bad && o.initrd)
		bad = session_add_image(&cfg, &len, &cap, "initrd", o.initrd, &err);
	if (!bad && o.bios && strcmp(o.bios, "none") != 0)
		bad = session_add_image(&cfg, &len, &cap, "bios", o.bios, &err);
	for (unsigned i = 0; !bad && i < o.ndrives; i++) {
		char role[16];
		if (!o.drive[i].snapshot) {
			free(cfg);
			hv_err_set(&err, "--drive %s: snapshot=off would change the image while "
				   "recording, and a replay needs it as it was; record with the "
				   "default copy-on-write overlay", o.drive[i].file);
			return main_fail(&err);
		}
		snprintf(role, sizeof(role), "drive%u", i);
		bad = session_add_image(&cfg, &len, &cap, role, o.drive[i].file, &err);
	}
	if (bad) {
		free(cfg);
		return main_fail(&err);
	}
	struct main_session sess = {
		.record_log = log,
		.digest_interval = interval,
		.config = cfg,
	};
	int status = main_run(&o, &sess);
	free(cfg);
	return status;
}

/* A parsed configuration record. */
struct session_config {
	char *args[SESSION_MAX_ARGS];
	int nargs;
	struct bundle_image images[BUNDLE_MAX_IMAGES];
	unsigned nimages;
	uint64_t rtc_ns;
	bool have_rtc;
};

static void session_config_free(struct session_config *c)
{
	for (int i = 0; i < c->nargs; i++)
		free(c->args[i]);
	c->nargs = 0;
}

static int session_config_parse(const char *log, const char *text, struct session_config *c,
				struct hv_err *err)
{
	const char *p = text;
	unsigned lineno = 0;

	memset(c, 0, sizeof(*c));
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		char line[8192];

		lineno++;
		if (n >= sizeof(line))
			goto bad;
		memcpy(line, p, n);
		line[n] = '\0';
		p += n + (nl ? 1 : 0);
		if (strncmp(line, "retrovisor ", 11) == 0) {
			continue;
		} else if (strncmp(line, "arg ", 4) == 0) {
			if (c->nargs >= SESSION_MAX_ARGS)
				goto bad;
			c->args[c->nargs] = strdup(line + 4);
			if (!c->args[c->nargs])
				goto bad;
			c->nargs++;
		} else if (strncmp(line, "image ", 6) == 0) {
			struct bundle_image *im = &c->images[c->nimages];
			char role[64], path[4200], hex[80];
			if (c->nimages >= BUNDLE_MAX_IMAGES ||
			    sscanf(line + 6, "%63s %4199s %79s", role, path, hex) != 3 ||
			    strlen(role) >= sizeof(im->role) || strlen(path) >= sizeof(im->path) ||
			    strlen(hex) != 64)
				goto bad;
			snprintf(im->role, sizeof(im->role), "%s", role);
			snprintf(im->path, sizeof(im->path), "%s", path);
			snprintf(im->sha256, sizeof(im->sha256), "%s", hex);
			c->nimages++;
		} else if (strncmp(line, "rtc_ns ", 7) == 0) {
			char *end;
			errno = 0;
			c->rtc_ns = strtoull(line + 7, &end, 10);
			if (errno || *end)
				goto bad;
			c->have_rtc = true;
		} else if (line[0]) {
			goto bad;
		}
	}
	return 0;
bad:
	hv_err_set(err, "%s: line %u of the configuration record is malformed", log, lineno);
	session_config_free(c);
	return -1;
}

/* Replace every occurrence of from in *arg by to. */
static int session_subst(char **arg, const char *from, const char *to)
{
	char *s = *arg, *hit = strstr(s, from);

	if (!hit || !*from)
		return 0;
	size_t len = strlen(s) - strlen(from) + strlen(to) + 1;
	char *n = malloc(len);
	if (!n)
		return -1;
	snprintf(n, len, "%.*s%s%s", (int)(hit - s), s, to, hit + strlen(from));
	free(s);
	*arg = n;
	return 0;
}

/* One probe: replay log afresh to exactly k instructions; returns its
 * state's digest (and the hart that ran last and its pc). */
static bool session_probe(const char *log, const struct cli_opts *o,
			  const struct session_config *c, uint64_t k, struct main_session *out,
			  bool want_pages)
{
	struct hv_err err = { { 0 } };
	struct replayer *rp = replayer_open(log, &err);

	if (!rp)
		return false;
	memset(out, 0, sizeof(*out));
	out->replay = rp;
	out->rtc_ns_set = c->have_rtc;
	out->rtc_ns = c->rtc_ns;
	out->quiet = true;
	out->stop_at = k;
	out->want_pages = want_pages;
	struct cli_opts po = *o;
	po.nsnap_at = 0; /* a probe saves nothing and has no debugger */
	po.gdb = NULL;
	po.nplugins = 0;
	int status = main_run(&po, out);
	replayer_close(rp);
	return status == CLI_EXIT_OK && (!want_pages || out->pages_out);
}

/* Two fresh executions of the log, compared after k instructions:
 * 1 if they differ, 0 if not, -1 if a probe failed. */
static int session_probe_pair(const char *log, const struct cli_opts *o,
			      const struct session_config *c, uint64_t k,
			      struct main_session *second)
{
	struct main_session first;

	if (!session_probe(log, o, c, k, &first, false) || !session_probe(log, o, c, k, second, false))
		return -1;
	return first.digest_out != second->digest_out;
}

/* The guest pages in which the two executions differ after k instructions. */
static void session_diff_pages(const char *log, const struct cli_opts *o,
			       const struct session_config *c, uint64_t k)
{
	struct main_session a, b;
	unsigned shown = 0;
	uint64_t differ = 0;

	if (!session_probe(log, o, c, k, &a, true))
		return;
	if (!session_probe(log, o, c, k, &b, true)) {
		free(a.pages_out);
		return;
	}
	for (uint64_t p = 0; p < a.npages_out && p < b.npages_out; p++) {
		if (a.pages_out[p] == b.pages_out[p])
			continue;
		differ++;
		if (shown++ < 16)
			fprintf(stderr, "  page 0x%llx differs\n",
				(unsigned long long)(HV_RAM_BASE + (p << HV_PAGE_SHIFT)));
	}
	if (differ > shown)
		fprintf(stderr, "  ... %llu pages differ in all\n", (unsigned long long)differ);
	free(a.pages_out);
	free(b.pages_out);
}

/*
 * Narrowing by re-running (docs/replay.md): execute the log twice more
 * and bisect over the instruction count for the first point at which the
 * two executions' states differ. That finds nondeterminism in the
 * executions themselves, to the instruction. If the two agree through
 * the bracket, the recording saw something its log does not hold, which
 * no re-run can place more precisely than the bracket.
 */
static void session_narrow(const char *log, const struct cli_opts *o,
			   const struct session_config *c, uint64_t from, uint64_t to)
{
	struct main_session probe;
	uint64_t lo = from, hi = to;

	if (to == 0)
		return;
	fprintf(stderr, "retrovisor: narrowing by re-running the log (two executions per step, "
		"about %u steps)\n", 2 + (unsigned)(64 - __builtin_clzll(to - from + 1)));
	int d = session_probe_pair(log, o, c, hi, &probe);
	if (d < 0) {
		fprintf(stderr, "retrovisor: could not re-run the log to narrow the divergence\n");
		return;
	}
	if (d == 0) {
		fprintf(stderr, "retrovisor: two more executions of the log agree up to instruction "
			"%llu: the recorded run saw something the log does not hold between "
			"instructions %llu and %llu\n", (unsigned long long)to,
			(unsigned long long)from, (unsigned long long)to);
		return;
	}
	while (hi - lo > 1) {
		uint64_t mid = lo + (hi - lo) / 2;
		d = session_probe_pair(log, o, c, mid, &probe);
		if (d < 0) {
			fprintf(stderr, "retrovisor: could not re-run the log to narrow the "
				"divergence\n");
			return;
		}
		if (d)
			hi = mid;
		else
			lo = mid;
	}
	if (lo == 0 || session_probe(log, o, c, lo, &probe, false))
		fprintf(stderr, "retrovisor: executions of this log are nondeterministic: they agree "
			"after %llu instructions and differ after %llu; instruction %llu ran on "
			"hart %u after pc 0x%llx\n", (unsigned long long)lo,
			(unsigned long long)hi, (unsigned long long)hi, probe.hart_out,
			(unsigned long long)probe.pc_out);
	session_diff_pages(log, o, c, hi);
}

struct replay_args {
	const char *file;
	uint64_t go_live;
	const char *live_log;
	bool print_digest;
	bool quiet;
	struct cli_snap_at snap_at[CLI_MAX_SNAP_AT];
	unsigned nsnap_at;
	const char *gdb;
	bool paused, gdb_allow_remote;
	const char *from; /* --from SNAPSHOT */
	const char *plugin[CLI_MAX_PLUGINS];
	unsigned nplugins;
};

static int session_replay(const struct replay_args *ra)
{
	struct hv_err err = { { 0 } };
	char dir[512];
	char logpath[BUNDLE_PATH_SIZE];
	struct bundle_image extracted[BUNDLE_MAX_IMAGES];
	unsigned nextracted = 0;
	bool from_bundle = bundle_is_bundle(ra->file);
	const char *log = ra->file;
	int status = CLI_EXIT_ERROR;

	if (from_bundle) {
		const char *tmp = getenv("TMPDIR");
		snprintf(dir, sizeof(dir), "%.400s/retrovisor-bundle-XXXXXX",
			 tmp && *tmp ? tmp : "/tmp");
		if (!mkdtemp(dir)) {
			fprintf(stderr, "retrovisor: cannot make a folder to unpack %s: %s\n", ra->file,
				strerror(errno));
			return CLI_EXIT_ERROR;
		}
		if (bundle_extract(ra->file, dir, logpath, extracted, &nextracted, &err) != 0)
			return main_fail(&err);
		log = logpath;
	}
	struct replayer *rp = replayer_open(log, &err);
	if (!rp)
		return main_fail(&err);
	if (replayer_truncated(rp))
		fprintf(stderr, "retrovisor: %s is an interrupted recording; replaying it to its "
			"last whole chunk\n", log);
	struct session_config c;
	if (session_config_parse(log, replayer_config(rp), &c, &err) != 0) {
		replayer_close(rp);
		return main_fail(&err);
	}
	/* Images: the bundle's copies, or the recorded paths, which must hold
	 * exactly what was recorded. */
	for (unsigned i = 0; i < c.nimages; i++) {
		const struct bundle_image *im = &c.images[i];
		const char *path = im->path;
		for (unsigned j = 0; j < nextracted; j++)
			if (strcmp(extracted[j].role, im->role) == 0)
				path = extracted[j].path;
		uint8_t d[SHA256_DIGEST_SIZE];
		char hex[SHA256_HEX_SIZE];
		if (sha256_file(path, d, &err) != 0)
			goto out_err;
		sha256_hex(d, hex);
		if (strcmp(hex, im->sha256) != 0) {
			hv_err_set(&err, "the %s image %s differs from the one recorded (SHA-256 %.16s..., "
				   "recorded %.16s...); replay with the recorded image or its bundle",
				   im->role, path, hex, im->sha256);
			goto out_err;
		}
		if (path != im->path)
			for (int a = 0; a < c.nargs; a++)
				if (session_subst(&c.args[a], im->path, path) != 0)
					goto out_err;
	}
	char *run_argv[SESSION_MAX_ARGS + 3];
	int n = 0;
	run_argv[n++] = "retrovisor";
	run_argv[n++] = "run";
	for (int a = 0; a < c.nargs; a++)
		run_argv[n++] = c.args[a];
	run_argv[n] = NULL;
	struct cli_opts o;
	if (cli_parse(n, run_argv, &o, &err) != 0 || o.cmd != CLI_CMD_RUN) {
		if (o.cmd != CLI_CMD_RUN)
			hv_err_set(&err, "%s: the recorded command line is not a run", log);
		goto out_err;
	}
	if (ra->print_digest)
		o.print_digest = true;
	/* The snapshots this replay saves are its own command line's, never
	 * the recorded run's (that would overwrite its files). */
	memcpy(o.snap_at, ra->snap_at, sizeof(o.snap_at));
	o.nsnap_at = ra->nsnap_at;
	o.snap_incremental = false;
	/* Likewise the debugger: this replay's own. */
	o.gdb = ra->gdb;
	o.paused = ra->paused;
	o.gdb_allow_remote = ra->gdb_allow_remote;
	/* And plugins: the log holds the recorded run's changes; a replay
	 * loads only the plugins it is given. */
	memcpy(o.plugin, ra->plugin, sizeof(o.plugin));
	o.nplugins = ra->nplugins;
	if (ra->from)
		o.restore = ra->from;
	if (ra->live_log)
		replayer_record_live(rp, ra->live_log, 0);
	struct main_session sess = {
		.replay = rp,
		.replay_from = ra->from != NULL,
		.go_live = ra->go_live,
		.rtc_ns_set = c.have_rtc,
		.rtc_ns = c.rtc_ns,
		.quiet = ra->quiet,
	};
	status = main_run(&o, &sess);
	uint64_t from, to;
	if (status == CLI_EXIT_DIVERGED && replayer_bracket(rp, &from, &to))
		session_narrow(log, &o, &c, from, to);
	goto out;
out_err:
	status = main_fail(&err);
out:
	session_config_free(&c);
	replayer_close(rp);
	if (from_bundle) {
		for (unsigned j = 0; j < nextracted; j++)
			unlink(extracted[j].path);
		unlink(logpath);
		rmdir(dir);
	}
	return status;
}

int main_replay(int argc, char **argv)
{
	struct replay_args ra = { 0 };
	struct hv_err err = { { 0 } };

	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--go-live") == 0 && i + 1 < argc) {
			if (cli_parse_count(argv[++i], &ra.go_live, &err) != 0)
				return main_fail(&err);
		} else if (strcmp(argv[i], "--print-digest") == 0) {
			ra.print_digest = true;
		} else if (strcmp(argv[i], "--log") == 0 && i + 1 < argc) {
			ra.live_log = argv[++i];
		} else if (strcmp(argv[i], "--gdb") == 0 && i + 1 < argc) {
			ra.gdb = argv[++i];
		} else if (strcmp(argv[i], "--from") == 0 && i + 1 < argc) {
			ra.from = argv[++i];
		} else if (strcmp(argv[i], "--plugin") == 0 && i + 1 < argc) {
			if (ra.nplugins == CLI_MAX_PLUGINS)
				return session_usage("too many --plugin options");
			ra.plugin[ra.nplugins++] = argv[++i];
		} else if (strcmp(argv[i], "--paused") == 0) {
			ra.paused = true;
		} else if (strcmp(argv[i], "--gdb-allow-remote") == 0) {
			ra.gdb_allow_remote = true;
		} else if (strcmp(argv[i], "--snapshot-at") == 0 && i + 1 < argc) {
			/* Parsed as run's option is, into a scratch set. */
			char *a[] = { argv[0], "run", "--kernel", "x", "--snapshot-at", argv[++i], NULL };
			struct cli_opts so;
			if (ra.nsnap_at == CLI_MAX_SNAP_AT)
				return session_usage("too many --snapshot-at options");
			if (cli_parse(6, a, &so, &err) != 0)
				return main_fail(&err);
			unsigned k = ra.nsnap_at++;
			while (k > 0 && ra.snap_at[k - 1].icount > so.snap_at[0].icount) {
				ra.snap_at[k] = ra.snap_at[k - 1];
				k--;
			}
			ra.snap_at[k] = so.snap_at[0];
		} else if (argv[i][0] == '-' || ra.file) {
			return session_usage("replay takes FILE [--go-live N [--log NEW]] [--print-digest] "
					     "[--snapshot-at ICOUNT=FILE]... [--gdb SPEC [--paused]] [--plugin FILE[,ARGS]]... [--from SNAPSHOT]");
		} else {
			ra.file = argv[i];
		}
	}
	if (!ra.file)
		return session_usage("replay needs the log or bundle to replay");
	if (ra.live_log && !ra.go_live)
		return session_usage("replay --log NEW records what follows --go-live N; give both");
	return session_replay(&ra);
}

static void session_dump_event(const struct rlog_event *ev)
{
	printf("round %llu icount %llu ", (unsigned long long)ev->round,
	       (unsigned long long)ev->icount);
	if (ev->hart == RLOG_NO_HART)
		printf("hart - ");
	else
		printf("hart %u ", ev->hart);
	printf("%-8s %u bytes", rlog_type_name(ev->type), ev->len);
	if (ev->type == RLOG_CONSOLE || ev->type == RLOG_CONFIG) {
		printf(" \"");
		for (uint32_t i = 0; i < ev->len && i < 64; i++) {
			uint8_t b = ev->data[i];
			if (b >= 0x20 && b < 0x7f && b != '"' && b != '\\')
				putchar(b);
			else
				printf("\\x%02x", b);
		}
		printf(ev->len > 64 ? "...\"" : "\"");
	} else if ((ev->type == RLOG_DIGEST || ev->type == RLOG_END) && ev->len >= 40) {
		uint64_t v[5];
		for (int k = 0; k < 5; k++) {
			v[k] = 0;
			for (int b = 7; b >= 0; b--)
				v[k] = v[k] << 8 | ev->data[8 * k + b];
		}
		printf(" digest %016llx, %llu pages written", (unsigned long long)v[0],
		       (unsigned long long)v[3]);
		if (ev->type == RLOG_END)
			printf(", exit status %llu", (unsigned long long)v[4]);
	}
	putchar('\n');
}

int main_log(int argc, char **argv)
{
	struct hv_err err = { { 0 } };

	if (argc != 4)
		return session_usage("log takes dump|stats|verify FILE");
	const char *verb = argv[2], *file = argv[3];
	if (strcmp(verb, "verify") == 0) {
		struct replay_args ra = { .file = file, .quiet = true };
		int status = session_replay(&ra);
		if (status == CLI_EXIT_DIVERGED || status == CLI_EXIT_ERROR)
			fprintf(stderr, "retrovisor: %s does not verify\n", file);
		else
			fprintf(stderr, "retrovisor: %s verifies: the replay matched it\n", file);
		return status == CLI_EXIT_DIVERGED || status == CLI_EXIT_ERROR ? status : CLI_EXIT_OK;
	}
	bool dump = strcmp(verb, "dump") == 0;
	if (!dump && strcmp(verb, "stats") != 0)
		return session_usage("log takes dump|stats|verify FILE");
	struct rlog_reader *r = rlog_open(file, &err);
	if (!r)
		return main_fail(&err);
	uint64_t count[8] = { 0 }, bytes[8] = { 0 }, last_icount = 0;
	struct rlog_event ev;
	int got;
	while ((got = rlog_next(r, &ev, &err)) > 0) {
		if (dump)
			session_dump_event(&ev);
		if (ev.type < 8) {
			count[ev.type]++;
			bytes[ev.type] += ev.len;
		}
		last_icount = ev.icount;
	}
	bool truncated = rlog_truncated(r);
	rlog_close(r);
	if (got < 0)
		return main_fail(&err);
	if (!dump) {
		struct stat st;
		uint64_t size = stat(file, &st) == 0 ? (uint64_t)st.st_size : 0;
		printf("file        %s (%llu bytes%s)\n", file, (unsigned long long)size,
		       truncated ? ", interrupted recording" : "");
		printf("instructions %llu\n", (unsigned long long)last_icount);
		for (unsigned t = 1; t < 8; t++)
			if (count[t])
				printf("%-11s %llu events, %llu bytes of data\n", rlog_type_name(t),
				       (unsigned long long)count[t], (unsigned long long)bytes[t]);
		if (last_icount)
			printf("rate        %.0f log bytes per billion instructions\n",
			       (double)size * 1e9 / (double)last_icount);
	} else if (truncated) {
		printf("(interrupted recording: ends here)\n");
	}
	return CLI_EXIT_OK;
}

int main_bundle(int argc, char **argv)
{
	const char *log = NULL, *out = NULL;
	struct hv_err err = { { 0 } };

	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--log") == 0 && i + 1 < argc)
			log = argv[++i];
		else if (strcmp(argv[i], "-o") == 0 && i + 1 < argc)
			out = argv[++i];
		else
			return session_usage("bundle takes --log FILE -o OUT");
	}
	if (!log || !out)
		return session_usage("bundle takes --log FILE -o OUT");
	struct replayer *rp = replayer_open(log, &err);
	if (!rp)
		return main_fail(&err);
	struct session_config c;
	int bad = session_config_parse(log, replayer_config(rp), &c, &err);
	replayer_close(rp);
	if (bad)
		return main_fail(&err);
	bad = bundle_write(out, log, c.images, c.nimages, &err);
	session_config_free(&c);
	if (bad)
		return main_fail(&err);
	fprintf(stderr, "retrovisor: wrote %s: the log and %u images; replay it anywhere with "
		"'retrovisor replay %s'\n", out, c.nimages, out);
	return CLI_EXIT_OK;
}
