// SPDX-License-Identifier: MIT
/*
 * Plugins' network requests as toolstack request lines (upnet.h). The
 * names in them were checked by the plugin host (letters, digits, '-',
 * '_', '.') or by the configuration's parser, so a line needs no
 * escaping; it is at most UPNET_LINE bytes, under TOOLSTACK_LINE_MAX.
 */
#include "cli/upnet.h"

#include <stdio.h>

#include "plugins/include/retrovisor/plugin.h"

int upnet_request(void *opaque, const struct plugin_net_request *r)
{
	struct upnet_queue *q = opaque;

	if (q->replaying)
		return 0;
	if (q->n == UPNET_MAX)
		return -1;
	char *line = q->line[q->n++];
	if (r->what == RV_NET_PARTITION)
		snprintf(line, UPNET_LINE,
			 "{\"cmd\":\"partition\",\"bridge\":\"%s\",\"domain\":\"%s\",\"group\":%u}",
			 q->bridge, r->domain[0] ? r->domain : q->domain, r->group);
	else
		snprintf(line, UPNET_LINE,
			 "{\"cmd\":\"faults\",\"bridge\":\"%s\",\"drop\":%u,\"duplicate\":%u,"
			 "\"reorder\":%u,\"delay\":%u,\"delay_epochs\":%u}",
			 q->bridge, r->drop_ppm, r->duplicate_ppm, r->reorder_ppm, r->delay_ppm,
			 r->delay_epochs);
	return 0;
}

void upnet_apply(struct upnet_queue *q, struct toolstack *ts)
{
	for (unsigned i = 0; ts && i < q->n; i++)
		toolstack_apply(ts, q->line[i]);
	q->n = 0;
}
