// SPDX-License-Identifier: MIT
/*
 * retrovisor replay FILE|BUNDLE [--go-live N [--log NEW]] [--print-digest]
 *                   [--snapshot-at ICOUNT=FILE]... [--gdb SPEC [--paused]]
 *                   [--plugin FILE[,ARGS]]... [--from SNAPSHOT]
 *                   [--image ROLE=PATH]... [--trust-stored-paths]
 *                   [--clock realtime|fast]
 * (docs/replay.md): the run a log recorded, rebuilt from its configuration
 * record (replay/config.h) with every image checked against its recorded
 * SHA-256 (a bundle's copies replace the recorded paths). The rebuilt
 * command line goes through the same checks as one typed by a user. On a
 * divergence the log is re-run to narrow it (replay/narrow.h).
 *
 * The log is untrusted, and so are the options it stores: they never
 * widen the host's exposure on their own (docs/cli.md, "Options stored in
 * files"). A host file is opened only if it is a bundle's own copy (in a
 * folder we made), or the command line names it (--image ROLE=PATH) or
 * says --trust-stored-paths; the hash is checked in every case. Drives
 * are always copy-on-write, forwards listen on loopback (a replay opens
 * none anyway: its network has no host side), and the debugger, plugins
 * and snapshot files are the replay's own command line's.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/sha256.h"
#include "cli/main.h"
#include "replay/bundle.h"
#include "replay/config.h"
#include "replay/narrow.h"
#include "replay/session.h"

/* What a probe needs to rebuild the run (replay/narrow.h). */
struct replay_probe_ctx {
	const char *log;
	const struct cli_opts *o;
	const struct replay_config *c;
};

/* One probe: replay the log afresh to exactly k instructions, quietly,
 * without the snapshots, debugger or plugins of the replay it narrows. */
static bool replay_probe(void *opaque, uint64_t k, bool want_pages, struct replay_probe *out)
{
	const struct replay_probe_ctx *ctx = opaque;
	struct hv_err err = { { 0 } };
	struct replayer *rp = replayer_open(ctx->log, &err);
	struct main_session sess = { 0 };

	if (!rp)
		return false;
	sess.replay = rp;
	sess.rtc_ns_set = ctx->c->have_rtc;
	sess.rtc_ns = ctx->c->rtc_ns;
	sess.quiet = true;
	sess.stop_at = k;
	sess.want_pages = want_pages;
	struct cli_opts po = *ctx->o;
	po.nsnap_at = 0;
	po.gdb = NULL;
	po.nplugins = 0;
	po.clock = CLI_CLOCK_FAST;
	int status = main_run(&po, &sess);
	replayer_close(rp);
	out->digest = sess.digest_out;
	out->hart = sess.hart_out;
	out->pc = sess.pc_out;
	out->pages = sess.pages_out;
	out->npages = sess.npages_out;
	return status == CLI_EXIT_OK && (!want_pages || sess.pages_out);
}

int main_image_arg(struct replay_args *ra, const char *spec, struct hv_err *err)
{
	const char *eq = strchr(spec, '=');

	if (!eq || eq == spec || !eq[1] || (size_t)(eq - spec) >= BUNDLE_ROLE_SIZE) {
		hv_err_set(err,
			   "--image '%s': expected ROLE=PATH, such as --image kernel=Image "
			   "(the roles are the log's: 'retrovisor log dump' lists them)",
			   spec);
		return -1;
	}
	if (ra->nimages == BUNDLE_MAX_IMAGES) {
		hv_err_set(err, "more than %d --image options", BUNDLE_MAX_IMAGES);
		return -1;
	}
	ra->image[ra->nimages].role = spec;
	ra->image[ra->nimages].path = eq + 1;
	ra->nimages++;
	return 0;
}

/* The --image path given for ROLE, or NULL. */
static const char *replay_image_arg(const struct replay_args *ra, const char *role)
{
	size_t n = strlen(role);

	for (unsigned i = 0; i < ra->nimages; i++)
		if (!strncmp(ra->image[i].role, role, n) && ra->image[i].role[n] == '=')
			return ra->image[i].path;
	return NULL;
}

int main_image_paths(const struct replay_args *ra, const char *kind, const char *file,
		     const struct bundle_image *extracted, unsigned n, struct replay_config *c,
		     struct hv_err *err)
{
	for (unsigned i = 0; i < ra->nimages; i++) {
		bool known = false;
		for (unsigned j = 0; j < c->nimages; j++)
			known |= replay_image_arg(ra, c->images[j].role) == ra->image[i].path;
		if (!known) {
			hv_err_set(err, "--image %s: '%s' records no %.*s image", ra->image[i].role,
				   file, (int)(ra->image[i].path - 1 - ra->image[i].role),
				   ra->image[i].role);
			return -1;
		}
	}
	for (unsigned i = 0; i < c->nimages; i++) {
		struct bundle_image *im = &c->images[i];
		const char *path = replay_image_arg(ra, im->role);
		for (unsigned j = 0; !path && j < n; j++)
			if (strcmp(extracted[j].role, im->role) == 0)
				path = extracted[j].path;
		if (!path && !ra->trust) {
			char what[64], name_it[BUNDLE_ROLE_SIZE + 64];
			snprintf(what, sizeof(what), "its %s image", im->role);
			snprintf(name_it, sizeof(name_it), "--image %s=PATH", im->role);
			cli_stored_refuse(err, kind, file, what, im->path, name_it);
			return -1;
		}
		if (!path || !strcmp(path, im->path))
			continue;
		if (strlen(path) >= sizeof(im->path)) {
			hv_err_set(err, "--image %s: the path is too long", im->role);
			return -1;
		}
		if (replay_config_subst(c, im->path, path) != 0) {
			hv_err_set(err, "out of host memory");
			return -1;
		}
		snprintf(im->path, sizeof(im->path), "%s", path);
	}
	return 0;
}

/* Every host file the rebuilt run would open must be one of the log's
 * images as main_image_paths placed them, unless ra->trust: a log's
 * options could name files it records no image for. */
static int replay_check_paths(const struct replay_args *ra, const char *kind, const char *file,
			      const struct replay_config *c, struct cli_opts *o, struct hv_err *err)
{
	const char *paths[3 + CLI_MAX_DRIVES + 1];
	const char *what[3 + CLI_MAX_DRIVES + 1];
	unsigned n = 0;

	if (o->kernel)
		paths[n] = o->kernel, what[n++] = "the kernel";
	if (o->initrd)
		paths[n] = o->initrd, what[n++] = "the initrd";
	if (o->bios && strcmp(o->bios, "none") != 0)
		paths[n] = o->bios, what[n++] = "the firmware";
	for (unsigned i = 0; i < o->ndrives; i++)
		paths[n] = o->drive[i].file, what[n++] = "a drive";
	if (o->restore && !ra->from)
		paths[n] = o->restore, what[n++] = "the snapshot to start from";
	for (unsigned i = 0; i < n && !ra->trust; i++) {
		bool imaged = false;
		for (unsigned j = 0; j < c->nimages; j++)
			imaged |= !strcmp(paths[i], c->images[j].path);
		if (!imaged) {
			char w[96];
			snprintf(w, sizeof(w), "%s, which is not one of its recorded images",
				 what[i]);
			cli_stored_refuse(err, kind, file, w, paths[i], NULL);
			return -1;
		}
	}
	/* A recording never writes through (record.c refuses it); a log
	 * that says otherwise is not obeyed. */
	for (unsigned i = 0; i < o->ndrives; i++)
		o->drive[i].snapshot = true;
	cli_stored_net(&o->net);
	o->trust_stored_paths = ra->trust;
	return 0;
}

/* Removes what a bundle was unpacked to: its files and the folder. */
static void replay_remove_unpacked(const char *dir, const char *logpath,
				   const struct bundle_image *imgs, unsigned n)
{
	for (unsigned j = 0; j < n; j++)
		unlink(imgs[j].path);
	if (logpath)
		unlink(logpath);
	rmdir(dir);
}

int main_replay_args(const struct replay_args *ra)
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
			fprintf(stderr, "retrovisor: cannot make a folder to unpack %s: %s\n",
				ra->file, strerror(errno));
			return CLI_EXIT_ERROR;
		}
		if (bundle_extract(ra->file, dir, logpath, extracted, &nextracted, &err) != 0) {
			replay_remove_unpacked(dir, NULL, NULL, 0);
			return main_fail(&err);
		}
		log = logpath;
	}
	struct replayer *rp = replayer_open(log, &err);
	if (!rp) {
		if (from_bundle)
			replay_remove_unpacked(dir, logpath, extracted, nextracted);
		return main_fail(&err);
	}
	if (replayer_truncated(rp))
		fprintf(stderr,
			"retrovisor: %s is an interrupted recording; replaying it to its "
			"last whole chunk\n",
			log);
	struct replay_config c;
	if (replay_config_parse(log, replayer_config(rp), &c, &err) != 0) {
		replayer_close(rp);
		if (from_bundle)
			replay_remove_unpacked(dir, logpath, extracted, nextracted);
		return main_fail(&err);
	}
	/* Images: the bundle's copies, the command line's, or with
	 * --trust-stored-paths the recorded paths; each must hold exactly
	 * what was recorded. */
	if (main_image_paths(ra, from_bundle ? "bundle" : "log", ra->file, extracted, nextracted,
			     &c, &err) != 0)
		goto out_err;
	for (unsigned i = 0; i < c.nimages; i++) {
		const struct bundle_image *im = &c.images[i];
		const char *path = im->path;
		uint8_t d[SHA256_DIGEST_SIZE];
		char hex[SHA256_HEX_SIZE];
		if (sha256_file(path, d, &err) != 0)
			goto out_err;
		sha256_hex(d, hex);
		if (strcmp(hex, im->sha256) != 0) {
			hv_err_set(
				&err,
				"the %s image %s differs from the one recorded (SHA-256 %.16s..., "
				"recorded %.16s...); replay with the recorded image or its bundle",
				im->role, path, hex, im->sha256);
			goto out_err;
		}
	}
	char *run_argv[REPLAY_CONFIG_MAX_ARGS + 3];
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
	if (replay_check_paths(ra, from_bundle ? "bundle" : "log", ra->file, &c, &o, &err) != 0)
		goto out_err;
	if (ra->print_digest)
		o.print_digest = true;
	o.digest_version = c.digest_version;
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
	/* And the pace: a replay is paced only when its command line asks. */
	o.clock = ra->clock;
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
	if (status == CLI_EXIT_DIVERGED && replayer_bracket(rp, &from, &to)) {
		struct replay_probe_ctx ctx = { .log = log, .o = &o, .c = &c };
		replay_narrow(replay_probe, &ctx, from, to, stderr);
	}
	goto out;
out_err:
	status = main_fail(&err);
out:
	replay_config_free(&c);
	replayer_close(rp);
	if (from_bundle)
		replay_remove_unpacked(dir, logpath, extracted, nextracted);
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
				return main_replay_usage("too many --plugin options");
			ra.plugin[ra.nplugins++] = argv[++i];
		} else if (strcmp(argv[i], "--clock") == 0 && i + 1 < argc) {
			if (cli_parse_clock(argv[++i], &ra.clock, &err) != 0)
				return main_fail(&err);
		} else if (strcmp(argv[i], "--paused") == 0) {
			ra.paused = true;
		} else if (strcmp(argv[i], "--gdb-allow-remote") == 0) {
			ra.gdb_allow_remote = true;
		} else if (strcmp(argv[i], "--trust-stored-paths") == 0) {
			ra.trust = true;
		} else if (strcmp(argv[i], "--image") == 0 && i + 1 < argc) {
			if (main_image_arg(&ra, argv[++i], &err) != 0)
				return main_fail(&err);
		} else if (strcmp(argv[i], "--snapshot-at") == 0 && i + 1 < argc) {
			/* Parsed as run's option is, into a scratch set. */
			char *a[] = { argv[0],         "run",     "--kernel", "x",
				      "--snapshot-at", argv[++i], NULL };
			struct cli_opts so;
			if (ra.nsnap_at == CLI_MAX_SNAP_AT)
				return main_replay_usage("too many --snapshot-at options");
			if (cli_parse(6, a, &so, &err) != 0)
				return main_fail(&err);
			unsigned k = ra.nsnap_at++;
			while (k > 0 && ra.snap_at[k - 1].icount > so.snap_at[0].icount) {
				ra.snap_at[k] = ra.snap_at[k - 1];
				k--;
			}
			ra.snap_at[k] = so.snap_at[0];
		} else if (argv[i][0] == '-' || ra.file) {
			return main_replay_usage(
				"replay takes FILE [--go-live N [--log NEW]] [--print-digest] "
				"[--snapshot-at ICOUNT=FILE]... [--gdb SPEC [--paused]] "
				"[--plugin FILE[,ARGS]]... [--from SNAPSHOT] "
				"[--image ROLE=PATH]... [--trust-stored-paths] "
				"[--clock realtime|fast]");
		} else {
			ra.file = argv[i];
		}
	}
	if (!ra.file)
		return main_replay_usage("replay needs the log or bundle to replay");
	if (ra.live_log && !ra.go_live)
		return main_replay_usage(
			"replay --log NEW records what follows --go-live N; give both");
	return main_replay_args(&ra);
}
