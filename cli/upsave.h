/* SPDX-License-Identifier: MIT */
/*
 * A whole system of domains saved to files (`retrovisor xl save-system
 * DIR`) and started again from them in another process (`retrovisor up
 * --restore DIR`); docs/domains.md, "A whole system in files". DIR holds:
 *
 *   system.cfg    a configuration file of the system as it is: its epoch
 *                 length, its bridges, every live domain's block (paths
 *                 absolute, MACs as the devices have them); `up
 *                 DIR/system.cfg` boots that system afresh
 *   NAME.snap     each live domain's snapshot file (snapshot/file.h)
 *   system.state  what the files above do not hold, as text:
 *                   retrovisor-system-state 1
 *                   domain NAME STATE RESTARTS CLOCK BRIDGE PORT DIGEST
 *                   bridge NAME   (then its switch's lines, switch.h)
 *                 STATE running, paused or stopped; CLOCK the machine
 *                 time its next epoch counts from; BRIDGE and PORT its
 *                 port (- -1: none, as a fork); DIGEST its machine's
 *                 digest, which the restore checks
 *
 * The restored system runs on from the saved point as the original ran
 * on from it. Not saved: bridges' uplinks (slirp's host connections; a
 * system with one is refused), plugins' state, consoles written so far.
 * Everything read is untrusted: a bad line names the file and the line.
 */
#ifndef CLI_UPSAVE_H
#define CLI_UPSAVE_H

#include "cli/updom.h"

/* Save us's system into dir (made if missing). 0, or -1 with err. */
int upsave_save(void *opaque, const char *dir, struct hv_err *err);
/* Add the domains of the system saved in dir to us's system (made from
 * dir/system.cfg, bridges included, no domain yet), each as it was. */
int upsave_restore(struct up_sys *us, const char *dir, struct hv_err *err);

#endif
