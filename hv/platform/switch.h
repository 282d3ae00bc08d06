/* SPDX-License-Identifier: MIT */
/*
 * A virtual L2 switch joining the virtio-net devices of domains
 * (ARCHITECTURE.md section 6; docs/domains.md): one per named bridge.
 *
 * Determinism: while an epoch runs, each domain's frames only go into its
 * port's outbox, touched by no one else (domains may run on separate
 * threads). At the barrier, with every domain stopped, switch_barrier
 * takes the outboxes in port order and each in the order its frames were
 * sent, learns source addresses, applies the link's faults with a
 * pseudo-random generator seeded from the configuration, and queues each
 * frame for delivery `latency` epochs later (at least one: a frame never
 * reaches another domain in the epoch it was sent). Frames due are then
 * handed to their ports in the order they were queued. Nothing depends on
 * host time or on which thread ran which domain, so the whole system is
 * the same for any number of threads.
 *
 * Guests are untrusted: a frame shorter than an Ethernet header or longer
 * than SWITCH_FRAME_MAX is dropped, and a port's outbox and the frames in
 * flight are bounded (the excess is dropped and counted), so no guest can
 * make the host hold more than a fixed amount per port.
 */
#ifndef HV_PLATFORM_SWITCH_H
#define HV_PLATFORM_SWITCH_H

#include <stdio.h>

#include "hv/types.h"

#define SWITCH_MAX_PORTS 64
#define SWITCH_FRAME_MAX 65536
#define SWITCH_OUTBOX_MAX 1024   /* frames a port may send per epoch */
#define SWITCH_INFLIGHT_MAX 8192 /* frames queued for later epochs, all ports */
#define SWITCH_MAC_TABLE 256

struct net_backend;
struct hv_switch;

/* Faults of the link (docs/domains.md), rates in parts per million of
 * frames; delay adds epochs to a frame's latency, reorder delays a frame
 * by one more epoch so that the next ones overtake it. */
struct switch_faults {
	uint32_t drop_ppm;
	uint32_t dup_ppm;
	uint32_t reorder_ppm;
	uint32_t delay_ppm;
	uint32_t delay_epochs;
};

struct switch_stats {
	uint64_t sent;      /* frames taken from outboxes */
	uint64_t delivered; /* frames handed to ports */
	uint64_t flooded;   /* frames sent to every other port (broadcast, unknown) */
	uint64_t dropped;   /* by a fault */
	uint64_t cut;       /* between ports of different partition groups */
	uint64_t malformed; /* too short or too long */
	uint64_t overflow;  /* an outbox or the in-flight queue was full */
	uint64_t duplicated;
	uint64_t reordered;
};

/* Hands a frame to the device behind a port (virtio_net_input); valid
 * only during the call. */
typedef void (*switch_deliver_fn)(void *opaque, const void *frame, size_t len);

/* A switch named name (kept), latency epochs (>= 1) between a send and its
 * delivery, seed for its faults. NULL with err set on failure. */
struct hv_switch *switch_create(const char *name, unsigned latency, uint64_t seed,
				struct hv_err *err);
void switch_destroy(struct hv_switch *sw);
const char *switch_name(const struct hv_switch *sw);

/* A new port delivering through deliver(opaque); *be receives the backend
 * the port's device sends through (virtio_net_set_backend). Returns the
 * port number, or -1 with err set (too many ports). */
int switch_add_port(struct hv_switch *sw, switch_deliver_fn deliver, void *opaque,
		    struct net_backend *be, struct hv_err *err);
/* The port's device is gone (its domain destroyed): frames to it are
 * dropped from now on, its outbox is emptied. */
void switch_unplug(struct hv_switch *sw, int port);
/* The port's device is back (a domain brought back by a snapshot). */
void switch_plug_again(struct hv_switch *sw, int port);

/* Partitions: ports in different groups cannot reach each other (group 0
 * everywhere: one network). Takes effect at the next barrier. */
void switch_set_group(struct hv_switch *sw, int port, unsigned group);
void switch_set_faults(struct hv_switch *sw, const struct switch_faults *f);
const struct switch_faults *switch_get_faults(const struct hv_switch *sw);

/* The barrier after epoch `epoch` (every domain stopped): route what the
 * epoch sent and deliver what is due at epoch + 1. */
void switch_barrier(struct hv_switch *sw, uint64_t epoch);

const struct switch_stats *switch_get_stats(const struct hv_switch *sw);

/* The switch's state at a barrier (its outboxes are empty then): fault
 * generator and settings, each port's group and whether it is plugged,
 * the MAC table, the frames in flight, the counters. Ports added after it
 * was saved are unplugged when it is loaded. NULL: out of host memory. */
struct switch_state;
struct switch_state *switch_save(const struct hv_switch *sw);
/* shift: epochs to add to the saved frames' due epochs (the system's
 * epochs went on since). */
void switch_load(struct hv_switch *sw, const struct switch_state *st, uint64_t shift);
void switch_state_free(struct switch_state *st);
/* The state as text lines, for a system saved to files (cli/upsave.c):
 *   sw rng HEX                      the fault generator
 *   sw faults DROP DUP REORDER DELAY DELAY_EPOCHS
 *   sw port P GROUP PLUGGED         each port
 *   sw mac XX:XX:XX:XX:XX:XX P      the MAC table, oldest first
 *   sw frame DUE P HEX              in flight to port P, DUE epochs from now
 * (epoch: the current epoch, which DUE is counted from). */
void switch_write(const struct hv_switch *sw, FILE *f, uint64_t epoch);
/* One such line, read into sw: port P of the file is port map[P] here
 * (map has nmap entries; -1: that port is gone, its frames dropped), DUE
 * counted from epoch. Lines must come in the order written (ports before
 * frames). 0, or -1 with err on a malformed line (untrusted input). */
int switch_read_line(struct hv_switch *sw, const char *line, const int *map, unsigned nmap,
		     uint64_t epoch, struct hv_err *err);

/* The backend of port (as switch_add_port gave it), for a device made
 * again behind it. */
void switch_port_backend(struct hv_switch *sw, int port, struct net_backend *be);

#endif
