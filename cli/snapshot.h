/* SPDX-License-Identifier: MIT */
/*
 * The command line's snapshot features (snapshot.c): restoring a run
 * from a snapshot file, --snapshot-at, wiring the guest's paravirtual
 * requests (snapshot/requests.h), and the `snapshot` and `loop` commands
 * (loop.c; the reset loop itself is snapshot/loop.h).
 */
#ifndef CLI_SNAPSHOT_H
#define CLI_SNAPSHOT_H

#include "cli/options.h"
#include "hv/platform/machine.h"
#include "snapshot/file.h"
#include "snapshot/requests.h"

struct loader_opts;

struct snapcli {
	const struct cli_opts *o; /* the effective options */
	struct snapfile *file;    /* --restore: the file, until applied */
	char **args;              /* its configuration's options (owned) */
	int nargs;
	struct machine *m;
	icount_t user_max;         /* --max-instructions (0: none) */
	unsigned next_at;          /* next --snapshot-at to save */
	struct snapfile_base base; /* what was last saved or loaded */
	char *config;              /* the CONFIG text of saved files */
	struct snapreq req;        /* the guest's and plugins' snapshot requests */
	/* --restore: a guest reboot would open an image only the file names
	 * (kernel, initrd, firmware) without --trust-stored-paths. */
	bool reboot_refused;
	struct hv_err reboot_err;
};

/* The options a run really uses: cmd's, or with --restore the file's
 * machine with cmd's run-control options. eff points into sc (keep sc
 * until the run ends). 0 or -1 with err. */
int snapcli_options(const struct cli_opts *cmd, struct snapcli *sc, struct cli_opts *eff,
		    struct hv_err *err);
/* A guest asked to reboot: 0 if the machine may load its images again,
 * -1 with err when one of them is a host path only the restored file
 * named. */
int snapcli_reboot_check(const struct snapcli *sc, struct hv_err *err);
/* Give m its first state: the file's, or the images lo loads; and arm
 * the --snapshot-at stops. 0 or -1 with err. */
int snapcli_attach(struct snapcli *sc, struct machine *m, const struct loader_opts *lo,
		   struct hv_err *err);
/* Set m's instruction limit to the next snapshot or the user's limit. */
void snapcli_arm(struct snapcli *sc);
/* machine_run stopped with why: 1 if it was for us and the run goes on, 0
 * if the run ends, -1 with err on failure. */
int snapcli_stop(struct snapcli *sc, enum hv_stop why, struct hv_err *err);
void snapcli_free(struct snapcli *sc);
/* The CONFIG text of a snapshot file of this run (malloc'd, or NULL). */
char *snapcli_config_text(const struct snapcli *sc);

int main_snapshot(int argc, char **argv);
int main_loop(int argc, char **argv);

#endif
