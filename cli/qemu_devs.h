/* SPDX-License-Identifier: MIT */
/*
 * The devices of a QEMU command line (qemu.c): -drive and -netdev back
 * ends, named by id, and the -device options that use them, collected in
 * any order and emitted as `retrovisor run`'s --drive and --net, one per
 * -device in the order of the -device options, with slot=N for
 * bus=virtio-mmio-bus.N. Also the option-list helpers qemu.c shares.
 * Internal to qemu.c; docs/qemu.md is the user's reference.
 *
 * Untrusted: every value (argv). Pointers kept here point into argv.
 */
#ifndef CLI_QEMU_DEVS_H
#define CLI_QEMU_DEVS_H

#include "hv/types.h"

#define QEMU_DOC "docs/qemu.md lists what is accepted"
#define QEMU_SLOTS 8 /* virtio-mmio transports of QEMU's virt machine */
#define QEMU_MAX_NETDEVS 4

/* One KEY=VALUE item of a QEMU option list; val is NULL without '='. */
struct qemu_item {
	const char *key, *val;
	size_t klen, vlen;
};

struct qemu_drive {
	const char *arg; /* the -drive value, for messages */
	struct qemu_item file, id;
	int snapshot; /* -1: not given */
	bool used;
};

struct qemu_netdev {
	const char *arg;
	struct qemu_item id;
	bool used;
};

struct qemu_device {
	const char *arg;
	bool net;
	struct qemu_item ref, mac; /* drive= or netdev=, mac= */
	int slot;                  /* -1: QEMU's default order */
};

struct qemu_devs {
	struct qemu_drive drive[QEMU_SLOTS];
	unsigned ndrives;
	struct qemu_netdev netdev[QEMU_MAX_NETDEVS];
	unsigned nnetdevs;
	struct qemu_device dev[QEMU_SLOTS];
	unsigned ndevs;
};

/* Whether the n bytes at p are s. */
bool qemu_is(const char *p, size_t n, const char *s);
/* The next comma-separated item of *p; false at the end. */
bool qemu_item_next(const char **p, struct qemu_item *it);
/* A parser of `run` said FROM ("--memory '...'"); the user wrote TO. */
void qemu_rename(struct hv_err *err, const char *from, const char *to);

/* -drive, -netdev and -device values: 0, or -1 with err. */
int qemu_devs_drive(struct qemu_devs *ds, const char *val, struct hv_err *err);
int qemu_devs_netdev(struct qemu_devs *ds, const char *val, struct hv_err *err);
int qemu_devs_device(struct qemu_devs *ds, const char *val, struct hv_err *err);

/* Receives one option of `run` and its value; 0, or -1 with err. */
typedef int (*qemu_push_fn)(void *ctx, const char *opt, const char *val, struct hv_err *err);

/* Emit --drive and --net for the devices, which are checked against the
 * back ends they name; a drive writes through to its file unless it says
 * snapshot=on or snapshot_all (-snapshot), as on QEMU. 0, or -1 with err. */
int qemu_devs_emit(struct qemu_devs *ds, bool snapshot_all, qemu_push_fn push, void *ctx,
		   struct hv_err *err);

#endif
