// SPDX-License-Identifier: MIT
/*
 * The devices of a QEMU command line (interface in qemu_devs.h; the
 * grammar and the choices where QEMU and Retrovisor differ are in
 * qemu.c's opening and docs/qemu.md).
 *
 * QEMU creates drives and network back ends before any device, so a
 * -device may name one given later on the line: the values are checked
 * as they come, the references when everything is known (qemu_devs_emit).
 */
#include "cli/qemu_devs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/options.h"
#include "hv/dev/backend/net_slirp.h"

bool qemu_is(const char *p, size_t n, const char *s)
{
	return strlen(s) == n && memcmp(p, s, n) == 0;
}

bool qemu_item_next(const char **p, struct qemu_item *it)
{
	const char *s = *p, *end, *eq;
	size_t len;

	if (!*s)
		return false;
	end = strchr(s, ',');
	len = end ? (size_t)(end - s) : strlen(s);
	eq = memchr(s, '=', len);
	it->key = s;
	it->klen = eq ? (size_t)(eq - s) : len;
	it->val = eq ? eq + 1 : NULL;
	it->vlen = eq ? len - it->klen - 1 : 0;
	*p = end ? end + 1 : s + len;
	return true;
}

void qemu_rename(struct hv_err *err, const char *from, const char *to)
{
	size_t n = strlen(from);
	char rest[sizeof(err->msg)];

	if (strncmp(err->msg, from, n) != 0)
		return;
	strcpy(rest, err->msg + n);
	hv_err_set(err, "%s%s", to, rest);
}

static bool qemu_id_equal(const struct qemu_item *a, const struct qemu_item *b)
{
	return a->vlen == b->vlen && memcmp(a->val, b->val, a->vlen) == 0;
}

/* A key given twice in one option list. */
static int qemu_once(const char *opt, const char *val, const struct qemu_item *it,
		     const struct qemu_item *prev, struct hv_err *err)
{
	if (!prev->key)
		return 0;
	hv_err_set(err, "-%s '%s': %.*s= is given twice", opt, val, (int)it->klen, it->key);
	return -1;
}

/* Store the setting it of an option list in slot, the place for its key
 * (NULL: a key this option does not offer, or one without a value). */
static int qemu_setting(const char *opt, const char *val, const struct qemu_item *it,
			struct qemu_item *slot, struct hv_err *err)
{
	if (!slot || !it->val) {
		hv_err_set(err, "-%s '%s': the setting '%.*s' is not offered; %s", opt, val,
			   (int)it->klen, it->key, QEMU_DOC);
		return -1;
	}
	if (qemu_once(opt, val, it, slot, err) != 0)
		return -1;
	*slot = *it;
	return 0;
}

/* The index of the -drive (drive true) or -netdev with id=ref, or -1. */
static int qemu_find(const struct qemu_devs *st, bool drive, const struct qemu_item *ref)
{
	unsigned n = drive ? st->ndrives : st->nnetdevs;

	for (unsigned i = 0; i < n; i++) {
		if (qemu_id_equal(drive ? &st->drive[i].id : &st->netdev[i].id, ref))
			return (int)i;
	}
	return -1;
}

/*
 * The id=ID every -drive (drive true) or -netdev needs: present, not
 * empty, and not an earlier one's (st holds those before this one).
 */
static int qemu_check_id(const struct qemu_devs *st, bool drive, const char *val,
			 const struct qemu_item *id, struct hv_err *err)
{
	const char *opt = drive ? "drive" : "netdev";

	if (!id->key || id->vlen == 0) {
		hv_err_set(err, "-%s '%s': missing id=ID, which a -device %s,%s=ID names", opt, val,
			   drive ? "virtio-blk-device" : "virtio-net-device", opt);
		return -1;
	}
	if (qemu_find(st, drive, id) >= 0) {
		hv_err_set(err, "-%s '%s': another -%s has id=%.*s", opt, val, opt, (int)id->vlen,
			   id->val);
		return -1;
	}
	return 0;
}

int qemu_devs_drive(struct qemu_devs *st, const char *val, struct hv_err *err)
{
	struct qemu_drive *d = &st->drive[st->ndrives];
	struct qemu_item it, ifc = { 0 }, fmt = { 0 }, snap = { 0 }, media = { 0 };
	const char *p = val;

	if (st->ndrives == QEMU_SLOTS) {
		hv_err_set(err,
			   "more than %d -drive options (the virt machine has %d virtio-mmio "
			   "slots)",
			   QEMU_SLOTS, QEMU_SLOTS);
		return -1;
	}
	memset(d, 0, sizeof(*d));
	d->arg = val;
	d->snapshot = -1;
	while (qemu_item_next(&p, &it)) {
		struct qemu_item *slot = qemu_is(it.key, it.klen, "file")     ? &d->file :
					 qemu_is(it.key, it.klen, "id")       ? &d->id :
					 qemu_is(it.key, it.klen, "if")       ? &ifc :
					 qemu_is(it.key, it.klen, "format")   ? &fmt :
					 qemu_is(it.key, it.klen, "snapshot") ? &snap :
					 qemu_is(it.key, it.klen, "media")    ? &media :
										NULL;

		if (qemu_setting("drive", val, &it, slot, err) != 0)
			return -1;
	}
	if (!d->file.key || d->file.vlen == 0) {
		hv_err_set(err, "-drive '%s': missing file=IMG", val);
		return -1;
	}
	if (!ifc.key || !qemu_is(ifc.val, ifc.vlen, "none")) {
		hv_err_set(err,
			   "-drive '%s': only if=none is offered; write -drive "
			   "file=IMG,if=none,format=raw,id=ID with -device "
			   "virtio-blk-device,drive=ID (a virtio-mmio disk)",
			   val);
		return -1;
	}
	if (fmt.key && !qemu_is(fmt.val, fmt.vlen, "raw")) {
		hv_err_set(err,
			   "-drive '%s': format=%.*s is not offered; Retrovisor reads raw "
			   "images (qemu-img convert -O raw makes one)",
			   val, (int)fmt.vlen, fmt.val);
		return -1;
	}
	if (media.key && !qemu_is(media.val, media.vlen, "disk")) {
		hv_err_set(err, "-drive '%s': only media=disk is offered", val);
		return -1;
	}
	if (snap.key) {
		if (qemu_is(snap.val, snap.vlen, "on"))
			d->snapshot = 1;
		else if (qemu_is(snap.val, snap.vlen, "off"))
			d->snapshot = 0;
		else {
			hv_err_set(err, "-drive '%s': snapshot= must be on or off", val);
			return -1;
		}
	}
	if (qemu_check_id(st, true, val, &d->id, err) != 0)
		return -1;
	st->ndrives++;
	return 0;
}

int qemu_devs_netdev(struct qemu_devs *st, const char *val, struct hv_err *err)
{
	struct qemu_netdev *n = &st->netdev[st->nnetdevs];
	struct qemu_item it;
	const char *p = val;

	if (st->nnetdevs == QEMU_MAX_NETDEVS) {
		hv_err_set(err, "more than %d -netdev options", QEMU_MAX_NETDEVS);
		return -1;
	}
	memset(n, 0, sizeof(*n));
	n->arg = val;
	if (!qemu_item_next(&p, &it) || it.val || !qemu_is(it.key, it.klen, "user")) {
		hv_err_set(err,
			   "-netdev '%s': only user networking is offered (-netdev "
			   "user,id=ID[,hostfwd=RULE]...)",
			   val);
		return -1;
	}
	while (qemu_item_next(&p, &it)) {
		if (it.val && qemu_is(it.key, it.klen, "id")) {
			if (qemu_once("netdev", val, &it, &n->id, err) != 0)
				return -1;
			n->id = it;
		} else if (!it.val || !qemu_is(it.key, it.klen, "hostfwd")) {
			hv_err_set(err,
				   "-netdev '%s': the setting '%.*s' is not offered; user "
				   "networking takes id= and hostfwd= here (%s)",
				   val, (int)it.klen, it.key, QEMU_DOC);
			return -1;
		}
	}
	if (qemu_check_id(st, false, val, &n->id, err) != 0)
		return -1;
	st->nnetdevs++;
	return 0;
}

/* bus=virtio-mmio-bus.N: the slot N. */
static int qemu_bus(const char *val, const struct qemu_item *it, int *slot, struct hv_err *err)
{
	static const char bus[] = "virtio-mmio-bus.";
	size_t n = strlen(bus);

	if (it->vlen == n + 1 && memcmp(it->val, bus, n) == 0 && it->val[n] >= '0' &&
	    it->val[n] < '0' + QEMU_SLOTS) {
		*slot = it->val[n] - '0';
		return 0;
	}
	hv_err_set(err,
		   "-device '%s': bus=%.*s is not a bus of the virt machine; use "
		   "bus=virtio-mmio-bus.N with N from 0 to %d",
		   val, (int)it->vlen, it->val, QEMU_SLOTS - 1);
	return -1;
}

int qemu_devs_device(struct qemu_devs *st, const char *val, struct hv_err *err)
{
	struct qemu_device *d = &st->dev[st->ndevs];
	struct qemu_item it, bus = { 0 }, id = { 0 };
	const char *p = val, *ref;

	if (st->ndevs == QEMU_SLOTS) {
		hv_err_set(err,
			   "more than %d -device options (the virt machine has %d virtio-mmio "
			   "slots)",
			   QEMU_SLOTS, QEMU_SLOTS);
		return -1;
	}
	if (!qemu_item_next(&p, &it) || it.val) {
		hv_err_set(err,
			   "-device '%s': expected the device type first, as in -device "
			   "virtio-blk-device,drive=ID",
			   val);
		return -1;
	}
	memset(d, 0, sizeof(*d));
	d->arg = val;
	d->slot = -1;
	if (qemu_is(it.key, it.klen, "virtio-net-device")) {
		d->net = true;
	} else if (!qemu_is(it.key, it.klen, "virtio-blk-device")) {
		bool pci = it.klen > 4 && memcmp(it.key + it.klen - 4, "-pci", 4) == 0;
		bool rng = it.klen >= 10 && memcmp(it.key, "virtio-rng", 10) == 0;

		hv_err_set(err, "-device '%.*s' is not offered; %s", (int)it.klen, it.key,
			   rng ? "this command line has no entropy device, as QEMU's virt without "
				 "one; 'retrovisor run' has one by default, fed from a seeded stream "
				 "(--rng-seed N)" :
			   pci ? "the virt machine here has no PCI: use virtio-blk-device or "
				 "virtio-net-device (virtio-mmio)" :
				 "the devices are virtio-blk-device and virtio-net-device");
		return -1;
	}
	ref = d->net ? "netdev" : "drive";
	while (qemu_item_next(&p, &it)) {
		struct qemu_item *slot = qemu_is(it.key, it.klen, ref)             ? &d->ref :
					 qemu_is(it.key, it.klen, "bus")           ? &bus :
					 qemu_is(it.key, it.klen, "id")            ? &id :
					 d->net && qemu_is(it.key, it.klen, "mac") ? &d->mac :
										     NULL;

		if (qemu_setting("device", val, &it, slot, err) != 0)
			return -1;
	}
	if (!d->ref.key || d->ref.vlen == 0) {
		hv_err_set(err, "-device '%s': missing %s=ID", val, ref);
		return -1;
	}
	if (bus.key && qemu_bus(val, &bus, &d->slot, err) != 0)
		return -1;
	for (unsigned i = 0; i < st->ndevs; i++) {
		if (d->slot >= 0 && st->dev[i].slot == d->slot) {
			hv_err_set(err, "-device '%s': another -device is on virtio-mmio-bus.%d",
				   val, d->slot);
			return -1;
		}
	}
	st->ndevs++;
	return 0;
}

/* --net user,hostfwd=...[,mac=...][,slot=N] for a virtio-net-device. */
static int qemu_emit_net(const struct qemu_device *d, const struct qemu_netdev *nd,
			 qemu_push_fn push, void *ctx, struct hv_err *err)
{
	size_t len = strlen(nd->arg) + d->mac.vlen + 32;
	char *s = malloc(len), *w = s;
	const char *p = nd->arg;
	struct qemu_item it;
	struct net_opts no;
	int r = -1;

	if (!s) {
		hv_err_set(err, "out of host memory translating the QEMU command line");
		return -1;
	}
	w += sprintf(w, "user");
	while (qemu_item_next(&p, &it))
		if (it.val && qemu_is(it.key, it.klen, "hostfwd"))
			w += sprintf(w, ",hostfwd=%.*s", (int)it.vlen, it.val);
	if (d->mac.key)
		w += sprintf(w, ",mac=%.*s", (int)d->mac.vlen, d->mac.val);
	/* Checked here, before slot= is added, to name the QEMU options. */
	net_opts_init(&no);
	if (net_parse_opts(s, &no, err) != 0) {
		qemu_rename(err, "--net", d->mac.key ? "-netdev/-device" : "-netdev");
		goto out;
	}
	if (d->slot >= 0)
		sprintf(w, ",slot=%d", d->slot);
	r = push(ctx, "--net", s, err);
out:
	free(s);
	return r;
}

int qemu_devs_emit(struct qemu_devs *st, bool snapshot_all, qemu_push_fn push, void *ctx,
		   struct hv_err *err)
{
	bool have_net = false;
	unsigned ndrives = 0;

	for (unsigned i = 0; i < st->ndevs; i++) {
		const struct qemu_device *d = &st->dev[i];
		char slot[24] = "";

		if (d->slot >= 0)
			snprintf(slot, sizeof(slot), ",slot=%d", d->slot);
		if (d->net) {
			int at = qemu_find(st, false, &d->ref);
			struct qemu_netdev *nd = at < 0 ? NULL :
							  (struct qemu_netdev *)&st->netdev[at];

			if (!nd || nd->used || have_net) {
				hv_err_set(err, "-device '%s': %s", d->arg,
					   !nd      ? "no -netdev has that id" :
					   nd->used ? "another -device uses that -netdev" :
						      "Retrovisor offers one virtio-net-device");
				return -1;
			}
			nd->used = have_net = true;
			if (qemu_emit_net(d, nd, push, ctx, err) != 0)
				return -1;
			continue;
		}
		int at = qemu_find(st, true, &d->ref);
		struct qemu_drive *dr = at < 0 ? NULL : (struct qemu_drive *)&st->drive[at];
		if (!dr || dr->used || ndrives == CLI_MAX_DRIVES) {
			hv_err_set(
				err, "-device '%s': %s", d->arg,
				!dr ? "no -drive has that id" :
				dr->used ?
				      "another -device uses that -drive" :
				      "more than 7 disks (the eighth slot holds the entropy device)");
			return -1;
		}
		dr->used = true;
		ndrives++;
		/* QEMU writes a drive's file unless told otherwise. */
		bool snapshot = dr->snapshot == 1 || (dr->snapshot == -1 && snapshot_all);
		size_t len = dr->file.vlen + 48;
		char *s = malloc(len);
		if (!s) {
			hv_err_set(err, "out of host memory translating the QEMU command line");
			return -1;
		}
		snprintf(s, len, "file=%.*s,snapshot=%s%s", (int)dr->file.vlen, dr->file.val,
			 snapshot ? "on" : "off", slot);
		int r = push(ctx, "--drive", s, err);
		free(s);
		if (r != 0)
			return -1;
	}
	return 0;
}
