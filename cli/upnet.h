/* SPDX-License-Identifier: MIT */
/*
 * The network requests of a domain's plugins under `retrovisor up`
 * (plugin.h's rv_machine_net_request, ABI 5; docs/domains.md, "Network
 * faults").
 *
 * A plugin asks during an epoch, on whichever host thread runs its
 * domain. The plugin host checks the request (plugins/host.h); here it
 * becomes at once the toolstack's request line for the domain's bridge
 * and waits in the domain's own queue, which only that thread touches
 * during the epoch. At the barrier the main thread applies every domain's
 * queue in domain order through toolstack_apply, the very path of a
 * client's request, which records each line in the system log as a
 * toolstack request: a replay applies the log's lines, and the queues of
 * a replay stay empty (requests its plugins make are dropped), so a
 * recording replays the same with or without the plugins loaded.
 */
#ifndef CLI_UPNET_H
#define CLI_UPNET_H

#include "cli/toolstack.h"
#include "plugins/host.h"

#define UPNET_MAX 16 /* requests a domain's plugins may queue per epoch */
#define UPNET_LINE 256

struct upnet_queue {
	const char *domain; /* the domain's name (kept by pointer) */
	const char *bridge; /* its vif's bridge */
	bool replaying;     /* requests are dropped */
	unsigned n;
	char line[UPNET_MAX][UPNET_LINE];
};

/* plugin_host_net_fn: queue r for the next barrier (opaque is the
 * domain's struct upnet_queue). */
int upnet_request(void *opaque, const struct plugin_net_request *r);
/* At the barrier: apply q's requests in order (ts NULL: dropped) and
 * empty it. */
void upnet_apply(struct upnet_queue *q, struct toolstack *ts);

#endif
