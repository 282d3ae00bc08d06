// SPDX-License-Identifier: MIT
/*
 * The L2 switch between domains (switch.h): per-port outboxes filled by
 * the domains while an epoch runs, routing and delivery at the barrier.
 *
 * Routing is a learning bridge's (IEEE 802.1D, reduced): the source
 * address of every frame taken from port p teaches "that address is
 * behind p"; a frame to a learned unicast address goes to that port only
 * (not back to its own), a frame to a group address (I/G bit set:
 * broadcast, multicast) or to an unknown one floods every other port.
 * The table is small and replaced in order, which is enough for the
 * handful of domains a bridge joins and keeps routing deterministic.
 */
#include "hv/platform/switch.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv/dev/virtio/virtio_net.h"

struct sw_frame {
	uint8_t *data;
	uint32_t len;
};

struct sw_inflight {
	uint64_t due;
	int port;
	struct sw_frame f;
};

struct sw_port {
	struct hv_switch *sw;
	int id;
	bool plugged;
	unsigned group;
	switch_deliver_fn deliver;
	void *opaque;
	/* Written only by the port's domain while an epoch runs. */
	struct sw_frame out[SWITCH_OUTBOX_MAX];
	unsigned nout;
	uint64_t malformed, overflow;
};

struct sw_mac {
	uint8_t mac[6];
	int port;
};

struct hv_switch {
	char name[64];
	unsigned latency;
	uint64_t rng;
	struct switch_faults faults;
	struct sw_port *port[SWITCH_MAX_PORTS];
	unsigned nport;
	struct sw_mac mac[SWITCH_MAC_TABLE];
	unsigned nmac, mac_next;
	struct sw_inflight *fly;
	unsigned nfly;
	struct switch_stats st;
};

/* splitmix64: the faults' generator, advanced only at barriers. */
static uint64_t sw_rand(struct hv_switch *sw)
{
	uint64_t z = (sw->rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* One draw per rate, made whether or not the rate is zero, so that
 * changing one fault does not shift the others' draws. */
static bool sw_chance(struct hv_switch *sw, uint32_t ppm)
{
	return sw_rand(sw) % 1000000u < ppm;
}

struct hv_switch *switch_create(const char *name, unsigned latency, uint64_t seed,
				struct hv_err *err)
{
	struct hv_switch *sw = calloc(1, sizeof(*sw));

	if (!sw || !(sw->fly = calloc(SWITCH_INFLIGHT_MAX, sizeof(*sw->fly)))) {
		free(sw);
		hv_err_set(err, "out of host memory for bridge '%s'", name);
		return NULL;
	}
	snprintf(sw->name, sizeof(sw->name), "%s", name);
	sw->latency = latency ? latency : 1;
	sw->rng = seed;
	return sw;
}

void switch_destroy(struct hv_switch *sw)
{
	if (!sw)
		return;
	for (unsigned i = 0; i < sw->nport; i++) {
		for (unsigned k = 0; k < sw->port[i]->nout; k++)
			free(sw->port[i]->out[k].data);
		free(sw->port[i]);
	}
	for (unsigned i = 0; i < sw->nfly; i++)
		free(sw->fly[i].f.data);
	free(sw->fly);
	free(sw);
}

const char *switch_name(const struct hv_switch *sw)
{
	return sw->name;
}

/* The port's device sent a frame (the domain's own thread, mid-epoch). */
static void sw_port_send(void *opaque, const void *frame, size_t len)
{
	struct sw_port *p = opaque;

	if (!p->plugged)
		return;
	if (len < 14 || len > SWITCH_FRAME_MAX) {
		p->malformed++;
		return;
	}
	uint8_t *copy = p->nout < SWITCH_OUTBOX_MAX ? malloc(len) : NULL;
	if (!copy) {
		p->overflow++;
		return;
	}
	memcpy(copy, frame, len);
	p->out[p->nout++] = (struct sw_frame){ copy, (uint32_t)len };
}

int switch_add_port(struct hv_switch *sw, switch_deliver_fn deliver, void *opaque,
		    struct net_backend *be, struct hv_err *err)
{
	struct sw_port *p;

	if (sw->nport == SWITCH_MAX_PORTS) {
		hv_err_set(err, "bridge '%s' has its %d ports taken", sw->name, SWITCH_MAX_PORTS);
		return -1;
	}
	p = calloc(1, sizeof(*p));
	if (!p) {
		hv_err_set(err, "out of host memory for a port of bridge '%s'", sw->name);
		return -1;
	}
	p->sw = sw;
	p->id = (int)sw->nport;
	p->plugged = true;
	p->deliver = deliver;
	p->opaque = opaque;
	sw->port[sw->nport++] = p;
	switch_port_backend(sw, p->id, be);
	return p->id;
}

void switch_port_backend(struct hv_switch *sw, int port, struct net_backend *be)
{
	memset(be, 0, sizeof(*be));
	be->opaque = sw->port[port];
	be->send = sw_port_send;
}

void switch_unplug(struct hv_switch *sw, int port)
{
	struct sw_port *p = sw->port[port];

	p->plugged = false;
	for (unsigned k = 0; k < p->nout; k++)
		free(p->out[k].data);
	p->nout = 0;
	for (unsigned i = 0; i < sw->nmac; i++)
		if (sw->mac[i].port == port)
			sw->mac[i].port = -1;
}

void switch_plug_again(struct hv_switch *sw, int port)
{
	sw->port[port]->plugged = true;
}

void switch_set_group(struct hv_switch *sw, int port, unsigned group)
{
	sw->port[port]->group = group;
}

void switch_set_faults(struct hv_switch *sw, const struct switch_faults *f)
{
	sw->faults = *f;
}

const struct switch_faults *switch_get_faults(const struct hv_switch *sw)
{
	return &sw->faults;
}

const struct switch_stats *switch_get_stats(const struct hv_switch *sw)
{
	return &sw->st;
}

static void sw_learn(struct hv_switch *sw, const uint8_t *mac, int port)
{
	if (mac[0] & 1)
		return; /* a group address is never a source */
	for (unsigned i = 0; i < sw->nmac; i++) {
		if (!memcmp(sw->mac[i].mac, mac, 6)) {
			sw->mac[i].port = port;
			return;
		}
	}
	struct sw_mac *e = sw->nmac < SWITCH_MAC_TABLE ?
				   &sw->mac[sw->nmac++] :
				   &sw->mac[sw->mac_next++ % SWITCH_MAC_TABLE];
	memcpy(e->mac, mac, 6);
	e->port = port;
}

static int sw_lookup(const struct hv_switch *sw, const uint8_t *mac)
{
	for (unsigned i = 0; i < sw->nmac; i++)
		if (!memcmp(sw->mac[i].mac, mac, 6))
			return sw->mac[i].port;
	return -1;
}

/* Queue a copy of f for port dst at epoch due; false when the queue is
 * full or memory ran out (the frame is lost, as on a congested link). */
static bool sw_queue(struct hv_switch *sw, int dst, const struct sw_frame *f, uint64_t due)
{
	uint8_t *copy = sw->nfly < SWITCH_INFLIGHT_MAX ? malloc(f->len) : NULL;

	if (!copy) {
		sw->st.overflow++;
		return false;
	}
	memcpy(copy, f->data, f->len);
	sw->fly[sw->nfly++] = (struct sw_inflight){ due, dst, { copy, f->len } };
	return true;
}

static void sw_route(struct hv_switch *sw, struct sw_port *src, const struct sw_frame *f,
		     uint64_t epoch)
{
	const struct switch_faults *fl = &sw->faults;
	bool drop = sw_chance(sw, fl->drop_ppm);
	bool dup = sw_chance(sw, fl->dup_ppm);
	bool reorder = sw_chance(sw, fl->reorder_ppm);
	bool delay = sw_chance(sw, fl->delay_ppm);
	uint64_t due = epoch + sw->latency + (delay ? fl->delay_epochs : 0) + (reorder ? 1 : 0);

	sw->st.sent++;
	sw_learn(sw, f->data + 6, src->id);
	if (drop) {
		sw->st.dropped++;
		return;
	}
	sw->st.duplicated += dup;
	sw->st.reordered += reorder;
	int to = (f->data[0] & 1) ? -1 : sw_lookup(sw, f->data);
	if (to == src->id)
		return; /* the destination is behind the port it came from */
	if (to < 0)
		sw->st.flooded++;
	for (unsigned i = 0; i < sw->nport; i++) {
		struct sw_port *p = sw->port[i];
		if ((to >= 0 && p->id != to) || p == src || !p->plugged)
			continue;
		if (p->group != src->group) {
			sw->st.cut++;
			continue;
		}
		for (int copies = dup ? 2 : 1; copies > 0; copies--)
			if (!sw_queue(sw, p->id, f, due))
				break;
	}
}

void switch_barrier(struct hv_switch *sw, uint64_t epoch)
{
	for (unsigned i = 0; i < sw->nport; i++) {
		struct sw_port *p = sw->port[i];
		for (unsigned k = 0; k < p->nout; k++) {
			sw_route(sw, p, &p->out[k], epoch);
			free(p->out[k].data);
		}
		p->nout = 0;
		sw->st.malformed += p->malformed;
		sw->st.overflow += p->overflow;
		p->malformed = p->overflow = 0;
	}
	/* Deliver what the next epoch sees, in queue order; keep the rest. */
	unsigned keep = 0;
	for (unsigned i = 0; i < sw->nfly; i++) {
		struct sw_inflight *e = &sw->fly[i];
		if (e->due > epoch + 1) {
			sw->fly[keep++] = *e;
			continue;
		}
		struct sw_port *p = sw->port[e->port];
		if (p->plugged) {
			p->deliver(p->opaque, e->f.data, e->f.len);
			sw->st.delivered++;
		}
		free(e->f.data);
	}
	sw->nfly = keep;
}

struct switch_state {
	struct hv_switch sw; /* ports and frames not used */
	unsigned nport;
	bool plugged[SWITCH_MAX_PORTS];
	unsigned group[SWITCH_MAX_PORTS];
};

struct switch_state *switch_save(const struct hv_switch *sw)
{
	struct switch_state *st = calloc(1, sizeof(*st));

	if (!st || !(st->sw.fly = calloc(sw->nfly ? sw->nfly : 1, sizeof(*st->sw.fly)))) {
		free(st);
		return NULL;
	}
	struct sw_inflight *fly = st->sw.fly;
	st->sw = *sw;
	st->sw.fly = fly;
	st->sw.nfly = 0;
	for (unsigned i = 0; i < sw->nfly; i++) {
		const struct sw_inflight *e = &sw->fly[i];
		if (!(fly[i].f.data = malloc(e->f.len))) {
			switch_state_free(st);
			return NULL;
		}
		memcpy(fly[i].f.data, e->f.data, e->f.len);
		fly[i].f.len = e->f.len;
		fly[i].due = e->due;
		fly[i].port = e->port;
		st->sw.nfly++;
	}
	st->nport = sw->nport;
	for (unsigned i = 0; i < sw->nport; i++) {
		st->plugged[i] = sw->port[i]->plugged;
		st->group[i] = sw->port[i]->group;
	}
	return st;
}

void switch_load(struct hv_switch *sw, const struct switch_state *st, uint64_t shift)
{
	for (unsigned i = 0; i < sw->nfly; i++)
		free(sw->fly[i].f.data);
	sw->nfly = 0;
	for (unsigned i = 0; i < st->sw.nfly; i++) {
		const struct sw_inflight *e = &st->sw.fly[i];
		uint8_t *copy = malloc(e->f.len);
		if (!copy) {
			sw->st.overflow++;
			continue;
		}
		memcpy(copy, e->f.data, e->f.len);
		sw->fly[sw->nfly++] = (struct sw_inflight){ e->due + shift,
							    e->port,
							    { copy, e->f.len } };
	}
	sw->rng = st->sw.rng;
	sw->faults = st->sw.faults;
	memcpy(sw->mac, st->sw.mac, sizeof(sw->mac));
	sw->nmac = st->sw.nmac;
	sw->mac_next = st->sw.mac_next;
	sw->st = st->sw.st;
	for (unsigned i = 0; i < sw->nport; i++) {
		struct sw_port *p = sw->port[i];
		for (unsigned k = 0; k < p->nout; k++)
			free(p->out[k].data);
		p->nout = 0;
		p->malformed = p->overflow = 0;
		p->plugged = i < st->nport && st->plugged[i];
		p->group = i < st->nport ? st->group[i] : 0;
	}
}

void switch_state_free(struct switch_state *st)
{
	if (!st)
		return;
	for (unsigned i = 0; i < st->sw.nfly; i++)
		free(st->sw.fly[i].f.data);
	free(st->sw.fly);
	free(st);
}

void switch_write(const struct hv_switch *sw, FILE *f, uint64_t epoch)
{
	const struct switch_faults *fl = &sw->faults;

	fprintf(f, "sw rng %016" PRIx64 "\n", sw->rng);
	fprintf(f, "sw faults %u %u %u %u %u\n", fl->drop_ppm, fl->dup_ppm, fl->reorder_ppm,
		fl->delay_ppm, fl->delay_epochs);
	for (unsigned i = 0; i < sw->nport; i++)
		fprintf(f, "sw port %u %u %d\n", i, sw->port[i]->group, sw->port[i]->plugged);
	for (unsigned k = 0; k < sw->nmac; k++) {
		/* Oldest first: the order the table fills and replaces in. */
		const struct sw_mac *e = &sw->mac[(sw->mac_next + k) % sw->nmac];
		const uint8_t *m = e->mac;
		fprintf(f, "sw mac %02x:%02x:%02x:%02x:%02x:%02x %d\n", m[0], m[1], m[2], m[3],
			m[4], m[5], e->port);
	}
	for (unsigned i = 0; i < sw->nfly; i++) {
		const struct sw_inflight *e = &sw->fly[i];
		fprintf(f, "sw frame %" PRIu64 " %d ", e->due - epoch, e->port);
		for (uint32_t k = 0; k < e->f.len; k++)
			fprintf(f, "%02x", e->f.data[k]);
		fputc('\n', f);
	}
}

static int sw_map(const int *map, unsigned nmap, long p)
{
	return p >= 0 && (unsigned long)p < nmap ? map[p] : -2;
}

int switch_read_line(struct hv_switch *sw, const char *line, const int *map, unsigned nmap,
		     uint64_t epoch, struct hv_err *err)
{
	unsigned a[5], mac[6];
	long port;
	uint64_t v;
	int n = 0;

	if (sscanf(line, "sw rng %" SCNx64 "%n", &v, &n) == 1 && !line[n]) {
		sw->rng = v;
		return 0;
	}
	if (sscanf(line, "sw faults %u %u %u %u %u%n", &a[0], &a[1], &a[2], &a[3], &a[4], &n) ==
		    5 &&
	    !line[n] && a[0] <= 1000000 && a[1] <= 1000000 && a[2] <= 1000000 && a[3] <= 1000000 &&
	    a[4] <= 1000000) {
		sw->faults = (struct switch_faults){ a[0], a[1], a[2], a[3], a[4] };
		return 0;
	}
	if (sscanf(line, "sw port %ld %u %u%n", &port, &a[0], &a[1], &n) == 3 && !line[n] &&
	    a[0] <= 1000 && a[1] <= 1) {
		int to = sw_map(map, nmap, port);
		if (to == -2)
			goto bad;
		if (to >= 0 && (unsigned)to < sw->nport) {
			sw->port[to]->group = a[0];
			sw->port[to]->plugged = a[1] && sw->port[to]->plugged;
		}
		return 0;
	}
	if (sscanf(line, "sw mac %x:%x:%x:%x:%x:%x %ld%n", &mac[0], &mac[1], &mac[2], &mac[3],
		   &mac[4], &mac[5], &port, &n) == 7 &&
	    !line[n]) {
		int to = port == -1 ? -1 : sw_map(map, nmap, port);
		uint8_t m[6];
		for (unsigned k = 0; k < 6; k++)
			m[k] = (uint8_t)mac[k];
		if (to == -2 || mac[0] > 255 || mac[1] > 255 || mac[2] > 255 || mac[3] > 255 ||
		    mac[4] > 255 || mac[5] > 255)
			goto bad;
		if (to >= 0)
			sw_learn(sw, m, to);
		return 0;
	}
	if (sscanf(line, "sw frame %" SCNu64 " %ld %n", &v, &port, &n) == 2) {
		const char *hex = line + n;
		size_t len = strlen(hex) / 2;
		int to = sw_map(map, nmap, port);
		if (to == -2 || strlen(hex) % 2 || len < 14 || len > SWITCH_FRAME_MAX ||
		    v > 1000000 || strspn(hex, "0123456789abcdef") != 2 * len)
			goto bad;
		if (to < 0)
			return 0;
		uint8_t *data = malloc(len);
		if (!data || sw->nfly == SWITCH_INFLIGHT_MAX) {
			free(data);
			sw->st.overflow++;
			return 0;
		}
		for (size_t k = 0; k < len; k++) {
			unsigned b;
			sscanf(hex + 2 * k, "%2x", &b);
			data[k] = (uint8_t)b;
		}
		sw->fly[sw->nfly++] = (struct sw_inflight){ epoch + v,
							    to,
							    { data, (uint32_t)len } };
		return 0;
	}
bad:
	hv_err_set(err, "bridge '%s': a malformed line '%.60s'", sw->name, line);
	return -1;
}
