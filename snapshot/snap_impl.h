/* SPDX-License-Identifier: MIT */
/*
 * The inside of an in-memory snapshot, shared by snap.c (take, restore,
 * fork), tree.c and file.c (snapshot files). Not part of the service's
 * interface: other modules use snap.h.
 */
#ifndef SNAPSHOT_SNAP_IMPL_H
#define SNAPSHOT_SNAP_IMPL_H

#include "hv/devstate.h"
#include "hv/platform/control.h"
#include "hv/platform/machine.h"

struct snap {
	struct ram_frozen *ram;
	uint64_t ram_size;
	unsigned nharts;
	struct hart *harts;
	unsigned ndev;
	struct devstate_w dev[HV_MAX_DEVS];
	const char *dev_name[HV_MAX_DEVS]; /* static strings of the devices */
	gpa_t dev_base[HV_MAX_DEVS];
	unsigned ndisks;
	struct disk_snap *disk[HV_VIRTIO_SLOTS];
	struct machine_runstate mach;
	/* Pages written since the last record/replay digest (ram.dirty): part
	 * of a recording's or replay's state, so that the next digest after a
	 * restore covers what it would have covered. */
	uint8_t *dirty;
};

#endif
