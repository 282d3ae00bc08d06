// SPDX-License-Identifier: MIT
/*
 * The command line's snapshot features (docs/snapshots.md): `run
 * --restore FILE`, `--snapshot-at ICOUNT=FILE`, wiring the paravirtual
 * requests of <retrovisor/pv.h> (served by snapshot/requests.c) and
 * `retrovisor snapshot save|load|info`.
 *
 * A snapshot file's CONFIG section holds the run options that made the
 * machine ("arg OPTION" lines, as a record log's configuration does), so
 * a restore makes the same machine without booting anything: the shape
 * (RAM, harts, drives, network, firmware mode) comes from the file; the
 * command line of the restoring run may repeat shape options only with the
 * same values, and adds run-control options (--max-instructions,
 * --watchdog, --print-digest, --snapshot-at, --net hostfwd).
 *
 * The file is untrusted, and so are its options: they never widen the
 * host's exposure on their own (docs/cli.md, "Options stored in files").
 * A forward it stores listens on loopback; a host file it names (drive,
 * kernel, initrd, firmware) is opened only when the command line names
 * it (--drive, --kernel, ...) or says --trust-stored-paths, and a drive
 * only the file names is never written through. The kernel, initrd and
 * firmware are in RAM already: only a guest reboot would open them, so
 * only a reboot is refused. Debugger, plugins and snapshot files are the
 * command line's alone.
 *
 * --snapshot-at stops the machine at exactly that instruction count (the
 * same exact stop as --max-instructions), saves, and runs on: a stop and a
 * continue are invisible to the guest, so the run is the same with or
 * without snapshots, and a restored file continues exactly.
 *
 * Paravirtual requests arrive as STOP_GUEST_REQUEST after the SBI call has
 * returned (pc past the ecall, a0/a1 written); snapshot/requests.c serves
 * them into its tree of guest-named snapshots, and the plugins hear of
 * each snapshot taken or restored.
 */
#include "cli/snapshot.h"

#include <stdlib.h>
#include <string.h>

#include "cli/main.h"
#include "hv/platform/control.h"
#include "hv/platform/loader.h"
#include "plugins/host.h"
#include "snapshot/file.h"
#include "snapshot/requests.h"

#define SNAPCLI_MAX_ARGS 256

_Static_assert(PLUGIN_HOST_OP_SNAPSHOT == SNAPREQ_OP_NAMED_SNAPSHOT &&
		       PLUGIN_HOST_OP_RESTORE == SNAPREQ_OP_NAMED_RESTORE,
	       "a plugin's snapshot requests are served by snapshot/requests.c");

static void snapcli_args_free(struct snapcli *sc)
{
	for (int i = 0; i < sc->nargs; i++)
		free(sc->args[i]);
	free(sc->args);
	sc->args = NULL;
	sc->nargs = 0;
}

/* The "arg" lines of a configuration text, as argv (after "run"). */
static int snapcli_config_args(struct snapcli *sc, const char *path, const char *text,
			       struct hv_err *err)
{
	const char *p = text;

	sc->args = calloc(SNAPCLI_MAX_ARGS + 3, sizeof(char *));
	if (!sc->args) {
		hv_err_set(err, "out of host memory");
		return -1;
	}
	sc->args[sc->nargs++] = strdup("retrovisor");
	sc->args[sc->nargs++] = strdup("run");
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		if (n > 4 && strncmp(p, "arg ", 4) == 0) {
			if (sc->nargs >= SNAPCLI_MAX_ARGS) {
				hv_err_set(err, "snapshot file '%s' holds too many options", path);
				return -1;
			}
			sc->args[sc->nargs++] = strndup(p + 4, n - 4);
		} else if (n && strncmp(p, "retrovisor ", 11) != 0) {
			hv_err_set(err,
				   "snapshot file '%s': its configuration has a line that is "
				   "not an option",
				   path);
			return -1;
		}
		p += n + (nl ? 1 : 0);
	}
	for (int i = 0; i < sc->nargs; i++)
		if (!sc->args[i]) {
			hv_err_set(err, "out of host memory");
			return -1;
		}
	return 0;
}

static char *snapcli_make_config(const struct cli_opts *o)
{
	size_t len = 64;
	for (int i = 0; i < o->nargs; i++)
		len += strlen(o->args[i]) + 6;
	char *cfg = malloc(len), *p = cfg;
	if (!cfg)
		return NULL;
	p += sprintf(p, "retrovisor " CLI_VERSION "\n");
	for (int i = 0; i < o->nargs; i++) {
		/* Options that say what a run does, not what the machine is,
		 * are not part of the machine's description. */
		const char *a = o->args[i];
		if (strncmp(a, "--snapshot-at", 13) == 0 || strncmp(a, "--restore", 9) == 0 ||
		    strncmp(a, "--max-instructions", 18) == 0 || strncmp(a, "--gdb", 5) == 0 ||
		    strncmp(a, "--clock", 7) == 0) {
			if (!strcmp(a, "--gdb-allow-remote"))
				continue;
			if (!strchr(a, '=') && i + 1 < o->nargs)
				i++;
			continue;
		}
		if (strcmp(a, "--snapshot-incremental") == 0 || strcmp(a, "--print-digest") == 0 ||
		    strcmp(a, "--paused") == 0 || strcmp(a, "--trust-stored-paths") == 0)
			continue;
		if (strncmp(a, "--plugin", 8) == 0) {
			if (!strchr(a, '=') && i + 1 < o->nargs)
				i++;
			continue;
		}
		if (strchr(a, '\n'))
			continue;
		p += sprintf(p, "arg %s\n", a);
	}
	return cfg;
}

/* The host files a restore may open: the command line's, or with
 * --trust-stored-paths the file's (fo). Drives may have moved: the file
 * checks that they hold the same images. Images only a reboot loads are
 * refused then (snapcli_reboot_check), not now. */
static int snapcli_stored_paths(const struct cli_opts *cmd, struct snapcli *sc,
				const struct cli_opts *fo, struct cli_opts *eff, struct hv_err *err)
{
	const char *file = cmd->restore;
	bool trust = cmd->trust_stored_paths;

	for (unsigned i = 0; i < fo->ndrives; i++) {
		char what[32], name_it[96];
		if (cmd->ndrives) {
			/* The path is the command line's, the slot the file's
			 * (snapcli_same_slots checked that they agree). */
			eff->drive[i] = cmd->drive[i];
			eff->drive[i].has_slot = fo->drive[i].has_slot;
			eff->drive[i].slot = fo->drive[i].slot;
			continue;
		}
		if (!trust) {
			snprintf(what, sizeof(what), "drive %u", i);
			snprintf(name_it, sizeof(name_it),
				 "--drive file=PATH for each of its %u "
				 "drives, in order",
				 fo->ndrives);
			cli_stored_refuse(err, "snapshot file", file, what, fo->drive[i].file,
					  name_it);
			return -1;
		}
		eff->drive[i].snapshot = true;
	}
	const struct {
		const char *cmd, *stored, *what, *opt;
		const char **eff;
	} img[] = {
		{ cmd->kernel, fo->kernel, "the kernel", "--kernel", &eff->kernel },
		{ cmd->initrd, fo->initrd, "the initrd", "--initrd", &eff->initrd },
		{ cmd->bios, fo->bios, "the firmware", "--bios", &eff->bios },
	};
	for (size_t i = 0; i < HV_ARRAY_LEN(img); i++) {
		if (img[i].cmd) {
			*img[i].eff = img[i].cmd;
			continue;
		}
		if (!img[i].stored || trust || sc->reboot_refused ||
		    (img[i].eff == &eff->bios && !strcmp(img[i].stored, "none")))
			continue;
		char name_it[64];
		snprintf(name_it, sizeof(name_it), "%s PATH for the guest's reboot to load",
			 img[i].opt);
		cli_stored_refuse(&sc->reboot_err, "snapshot file", file, img[i].what,
				  img[i].stored, name_it);
		sc->reboot_refused = true;
	}
	return 0;
}

int snapcli_reboot_check(const struct snapcli *sc, struct hv_err *err)
{
	if (!sc->reboot_refused)
		return 0;
	*err = sc->reboot_err;
	return -1;
}

/* A snapshot taken or restored at a request, for the plugins. */
static void snapcli_notify(void *opaque, struct machine *m, const char *name, bool restore)
{
	(void)opaque;
	plugin_host_snapshot(plugin_host_of(m), name, restore);
}

/* Virtio placement is part of the machine's shape: a slot the command line
 * names must be the one the device has in the file's machine. */
static int snapcli_same_slots(const struct cli_opts *cmd, const struct cli_opts *fo,
			      struct hv_err *err)
{
	int place[HV_VIRTIO_SLOTS];

	if (cli_virtio_place(fo, place, err) != 0)
		return -1;
	for (unsigned s = 0; s < HV_VIRTIO_SLOTS; s++) {
		const char *what = NULL;
		unsigned want = 0;
		int who = place[s];

		if (who >= 0 && (unsigned)who < cmd->ndrives && cmd->drive[who].has_slot &&
		    cmd->drive[who].slot != s) {
			what = "a drive";
			want = cmd->drive[who].slot;
		} else if (who == MACHINE_SLOT_NET && cmd->net.mode == NET_USER &&
			   cmd->net.has_slot && cmd->net.slot != s) {
			what = "the network";
			want = cmd->net.slot;
		}
		if (what) {
			hv_err_set(err,
				   "snapshot file '%s' is of another machine: it has %s in "
				   "virtio slot %u, not in slot %u as this command line asks",
				   cmd->restore, what, s, want);
			return -1;
		}
	}
	return 0;
}

int snapcli_options(const struct cli_opts *cmd, struct snapcli *sc, struct cli_opts *eff,
		    struct hv_err *err)
{
	memset(sc, 0, sizeof(*sc));
	snapreq_init(&sc->req, snapcli_notify, NULL);
	*eff = *cmd;
	if (!cmd->restore)
		goto done;
	sc->file = snapfile_open(cmd->restore, err);
	if (!sc->file)
		return -1;
	if (snapcli_config_args(sc, cmd->restore, snapfile_config(sc->file), err))
		return -1;
	struct cli_opts fo;
	if (cli_parse(sc->nargs, sc->args, &fo, err) != 0 || fo.cmd != CLI_CMD_RUN) {
		hv_err_set(err, "snapshot file '%s': its configuration is not a run's options",
			   cmd->restore);
		return -1;
	}
	if ((cmd->memory_set && cmd->memory != fo.memory) ||
	    (cmd->harts_set && cmd->harts != fo.harts) ||
	    (cmd->rng_set && cmd->rng_off != fo.rng_off) ||
	    (cmd->ndrives && cmd->ndrives != fo.ndrives) ||
	    (cmd->bios && loader_boot_mode(cmd->bios) != loader_boot_mode(fo.bios))) {
		hv_err_set(err,
			   "snapshot file '%s' is of another machine (%llu MiB, %u harts, "
			   "%u drives%s%s) than this command line asks for",
			   cmd->restore, (unsigned long long)(fo.memory >> 20), fo.harts,
			   fo.ndrives, fo.bios ? ", firmware boot" : "",
			   fo.rng_off ? ", no entropy device" : "");
		return -1;
	}
	if (snapcli_same_slots(cmd, &fo, err) != 0)
		return -1;
	*eff = fo;
	eff->restore = cmd->restore;
	eff->max_insns = cmd->max_insns;
	eff->print_digest = cmd->print_digest;
	eff->watchdog_s = cmd->watchdog_s;
	memcpy(eff->snap_at, cmd->snap_at, sizeof(eff->snap_at));
	eff->nsnap_at = cmd->nsnap_at;
	eff->snap_incremental = cmd->snap_incremental;
	eff->gdb = cmd->gdb;
	memcpy(eff->plugin, cmd->plugin, sizeof(eff->plugin));
	eff->nplugins = cmd->nplugins;
	eff->paused = cmd->paused;
	eff->gdb_allow_remote = cmd->gdb_allow_remote;
	eff->trust_stored_paths = cmd->trust_stored_paths;
	if (cmd->reboot_exit)
		eff->reboot_exit = true;
	if (cmd->net.mode != NET_NONE) {
		eff->net = cmd->net;
		eff->net.has_slot = fo.net.has_slot;
		eff->net.slot = fo.net.slot;
	} else {
		cli_stored_net(&eff->net);
	}
	if (snapcli_stored_paths(cmd, sc, &fo, eff, err))
		return -1;
done:
	sc->o = eff;
	return 0;
}

int snapcli_attach(struct snapcli *sc, struct machine *m, const struct loader_opts *lo,
		   struct hv_err *err)
{
	sc->m = m;
	sc->user_max = m->cfg.max_insns;
	machine_set_pv_host(m, true);
	if (sc->file) {
		if (snapfile_apply(sc->file, m, &sc->base, err))
			return -1;
		snapfile_close(sc->file);
		sc->file = NULL;
	} else if (loader_load(m, lo, err) != 0) {
		return -1;
	}
	while (sc->next_at < sc->o->nsnap_at && sc->o->snap_at[sc->next_at].icount < m->total_insns)
		sc->next_at++;
	snapcli_arm(sc);
	return 0;
}

void snapcli_arm(struct snapcli *sc)
{
	struct machine *m = sc->m;
	icount_t lim = sc->user_max;

	if (sc->next_at < sc->o->nsnap_at) {
		icount_t at = sc->o->snap_at[sc->next_at].icount;
		if (!lim || at < lim)
			lim = at;
	}
	machine_set_insn_limit(m, lim);
}

char *snapcli_config_text(const struct snapcli *sc)
{
	return snapcli_make_config(sc->o);
}

static int snapcli_save_next(struct snapcli *sc, struct hv_err *err)
{
	const struct cli_snap_at *at = &sc->o->snap_at[sc->next_at];
	struct snapfile_stats st;

	if (!sc->config) {
		sc->config = snapcli_make_config(sc->o);
		if (!sc->config) {
			hv_err_set(err, "out of host memory");
			return -1;
		}
	}
	bool incr = sc->o->snap_incremental && sc->base.snap;
	if (snapfile_save(sc->m, at->file, sc->config, &sc->base, incr, &st, err))
		return -1;
	fprintf(stderr,
		"retrovisor: saved a %s snapshot at instruction %llu to %s (%llu pages, "
		"%llu KiB)\n",
		incr ? "incremental" : "full", (unsigned long long)at->icount, at->file,
		(unsigned long long)st.pages, (unsigned long long)(st.file_bytes >> 10));
	sc->next_at++;
	return 0;
}

int snapcli_stop(struct snapcli *sc, enum hv_stop why, struct hv_err *err)
{
	struct machine *m = sc->m;

	if (why == STOP_MAX_INSNS && sc->next_at < sc->o->nsnap_at &&
	    m->total_insns == sc->o->snap_at[sc->next_at].icount) {
		if (snapcli_save_next(sc, err))
			return -1;
		if (sc->user_max && m->total_insns >= sc->user_max)
			return 0;
		machine_clear_stop(m);
		snapcli_arm(sc);
		return 1;
	}
	if (why == STOP_GUEST_REQUEST) {
		machine_clear_stop(m);
		if (snapreq_serve(&sc->req, m, err))
			return -1;
		return 1;
	}
	return 0;
}

void snapcli_free(struct snapcli *sc)
{
	snapfile_close(sc->file);
	snapfile_base_clear(&sc->base);
	snapreq_free(&sc->req);
	snapcli_args_free(sc);
	free(sc->config);
	memset(sc, 0, sizeof(*sc));
}

/* ---- retrovisor snapshot save|load|info ---- */

static int snapcli_usage(const char *msg)
{
	return main_usage(msg,
			  "usage: retrovisor snapshot save --at ICOUNT -o FILE "
			  "RUN-OPTIONS | snapshot load FILE [RUN-OPTIONS] | snapshot info FILE");
}

int main_snapshot(int argc, char **argv)
{
	struct hv_err err = { { 0 } };

	if (argc < 3)
		return snapcli_usage("snapshot needs save, load or info");
	if (strcmp(argv[2], "info") == 0) {
		if (argc != 4)
			return snapcli_usage("snapshot info takes one file");
		if (snapfile_info(argv[3], stdout, &err))
			return main_fail(&err);
		return CLI_EXIT_OK;
	}
	if (strcmp(argv[2], "load") == 0) {
		/* = run --restore FILE [RUN-OPTIONS] */
		if (argc < 4 || argv[3][0] == '-')
			return snapcli_usage("snapshot load needs the file to load");
		char **a = calloc((size_t)argc + 2, sizeof(char *));
		if (!a)
			return snapcli_usage("out of host memory");
		int n = 0;
		a[n++] = argv[0];
		a[n++] = "run";
		a[n++] = "--restore";
		a[n++] = argv[3];
		for (int i = 4; i < argc; i++)
			a[n++] = argv[i];
		struct cli_opts o;
		int rc = cli_parse(n, a, &o, &err) != 0 ? main_fail(&err) :
			 o.cmd != CLI_CMD_RUN ? (cli_print_run_help(stdout), CLI_EXIT_OK) :
						main_run(&o, NULL);
		free(a);
		return rc;
	}
	if (strcmp(argv[2], "save") == 0) {
		/* = run RUN-OPTIONS --snapshot-at ICOUNT=FILE --max-instructions ICOUNT */
		const char *at = NULL, *out = NULL;
		char **a = calloc((size_t)argc + 6, sizeof(char *));
		char spec[4200], maxi[64];
		int n = 0;
		if (!a)
			return snapcli_usage("out of host memory");
		a[n++] = argv[0];
		a[n++] = "run";
		for (int i = 3; i < argc; i++) {
			if (strcmp(argv[i], "--at") == 0 && i + 1 < argc)
				at = argv[++i];
			else if (strcmp(argv[i], "-o") == 0 && i + 1 < argc)
				out = argv[++i];
			else
				a[n++] = argv[i];
		}
		if (!at || !out || strlen(out) > 4096 || strlen(at) > 40) {
			free(a);
			return snapcli_usage("snapshot save needs --at ICOUNT and -o FILE");
		}
		snprintf(spec, sizeof(spec), "%s=%s", at, out);
		snprintf(maxi, sizeof(maxi), "%s", at);
		a[n++] = "--snapshot-at";
		a[n++] = spec;
		a[n++] = "--max-instructions";
		a[n++] = maxi;
		struct cli_opts o;
		int rc;
		if (cli_parse(n, a, &o, &err) != 0) {
			rc = main_fail(&err);
		} else {
			rc = main_run(&o, NULL);
			/* Reaching ICOUNT is the goal here, not a limit hit. */
			if (rc == CLI_EXIT_MAX_INSNS)
				rc = CLI_EXIT_OK;
		}
		free(a);
		return rc;
	}
	return snapcli_usage("unknown snapshot command");
}
