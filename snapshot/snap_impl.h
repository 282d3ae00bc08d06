/* SPDX-License-Identifier: MIT */
/*
 * The inside of an in-memory snapshot, shared by snap.c (take, restore,
 * fork), tree.c and file.c (snapshot files). Not part of the service's
 * interface: other modules use snap.h.
 */
#ifndef SNAPSHOT_SNAP_IMPL_H
#define SNAPSHOT_SNAP_IMPL_H

#include "hv/devstate.h"
#include "hv/platform/machine.h"

/* The machine's scalar state outside harts, devices and memory. */
struct snap_machine {
	uint64_t itime, rounds, time_seen;
	icount_t total_insns;
	uint8_t conin[sizeof(((struct machine *)0)->conin)];
	uint32_t conin_head, conin_len;
	bool uart_used;
	char con_line[sizeof(((struct machine *)0)->con_line)];
	uint32_t con_line_len;
	char panic_msg[sizeof(((struct machine *)0)->panic_msg)];
	uint64_t con_last_itime;
	int32_t last_run; /* hart index, or -1 */
	uint64_t blk_nreq[HV_VIRTIO_SLOTS];
	bool round_progressed;
};

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
	struct snap_machine mach;
	/* Pages written since the last record/replay digest (ram.dirty): part
	 * of a recording's or replay's state, so that the next digest after a
	 * restore covers what it would have covered. */
	uint8_t *dirty;
};

/* Copy the machine's scalar state in and out. */
void snap_machine_save(const struct machine *m, struct snap_machine *sm);
void snap_machine_load(struct machine *m, const struct snap_machine *sm);

#endif
