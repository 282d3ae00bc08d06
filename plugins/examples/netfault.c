// SPDX-License-Identifier: MIT
/*
 * netfault.so: a network fault at a chosen guest time, from inside a
 * domain under `retrovisor up` (ABI 5, rv_machine_net_request;
 * docs/domains.md, "Network faults").
 *
 *   plugin = [ 'netfault.so,at=MS[,domain=NAME][,group=N][,heal=MS]' ]
 *   plugin = [ 'netfault.so,at=MS,drop=PPM[,duplicate=PPM][,reorder=PPM]
 *               [,delay=PPM,delay_epochs=N]' ]
 *
 * When the domain's guest clock (hart 0's, rv_machine_time_ns) reaches
 * at= milliseconds, the plugin asks for one change of its bridge: with
 * any of drop=, duplicate=, reorder=, delay=, the bridge's fault rates
 * (all of them: those not given are 0); otherwise a partition, the port
 * of domain= (default: the plugin's own domain) into group= (default 1),
 * and back into group 0 at heal= milliseconds if given. Each request is
 * one line on stderr when it is queued. The request is applied at the end
 * of the epoch and recorded in the system log as a toolstack request, so
 * a recording replays the same with or without this plugin.
 *
 * The clock is looked at on every timer interrupt (rv_on_timer): a Linux
 * guest takes one at least at every wakeup, so the fault comes within a
 * tick of at=. A plugin loaded into several domains keeps each domain's
 * state behind its own callbacks' user data.
 *
 * Input not trusted: the arguments.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "plugins/examples/example.h"

RV_PLUGIN_EXPORT const uint32_t rv_plugin_abi[2] = { 5u, RV_PLUGIN_ABI_BUILD };

#define NETFAULT_USAGE                                                                  \
	"netfault.so takes at=MS, then domain=NAME, group=N, heal=MS for a partition, " \
	"or drop=, duplicate=, reorder=, delay= (PPM) and delay_epochs=N for faults"

struct netfault {
	rv_machine *m;
	const char *self; /* the domain's name */
	rv_net_request req;
	uint64_t at_ns, heal_ns; /* heal_ns 0: never */
	unsigned step;           /* 0 before at=, 1 before heal=, 2 done */
};

static void netfault_send(struct netfault *nf, uint32_t group, uint64_t now)
{
	rv_net_request r = nf->req;
	const char *who = r.domain ? r.domain : nf->self;

	if (r.what == RV_NET_PARTITION)
		r.group = group;
	int ret = rv_machine_net_request(nf->m, &r);
	if (r.what == RV_NET_PARTITION)
		fprintf(stderr, "netfault: %s at %" PRIu64 " ms: partition %s into group %u%s\n",
			nf->self, now / 1000000, who, group, ret ? " refused" : "");
	else
		fprintf(stderr,
			"netfault: %s at %" PRIu64 " ms: drop %u, duplicate %u, reorder %u, "
			"delay %u by %u epochs%s\n",
			nf->self, now / 1000000, r.drop_ppm, r.duplicate_ppm, r.reorder_ppm,
			r.delay_ppm, r.delay_epochs, ret ? " refused" : "");
}

static void netfault_on_timer(void *ud, uint32_t hart)
{
	struct netfault *nf = ud;
	uint64_t now = rv_machine_time_ns(nf->m, 0);

	(void)hart;
	if (nf->step == 0 && now >= nf->at_ns) {
		netfault_send(nf, nf->req.group, now);
		nf->step = nf->heal_ns && nf->req.what == RV_NET_PARTITION ? 1 : 2;
	} else if (nf->step == 1 && now >= nf->heal_ns) {
		netfault_send(nf, 0, now);
		nf->step = 2;
	}
}

static void netfault_on_exit(void *ud, int status)
{
	(void)status;
	free(ud);
}

RV_PLUGIN_EXPORT int rv_plugin_init(rv_plugin *self, const rv_plugin_info *info, int argc,
				    const rv_plugin_arg *argv)
{
	static const char *const ppm_keys[] = { "drop", "duplicate", "reorder", "delay",
						"delay_epochs" };
	struct netfault *nf;
	bool have_at = false;

	if (info->size < sizeof(*info) || !info->domain)
		return example_refuse(self, "netfault.so runs in a domain of retrovisor up");
	nf = calloc(1, sizeof(*nf));
	if (!nf)
		return example_refuse(self, "out of memory");
	nf->m = info->machine;
	nf->self = info->domain;
	nf->req.size = sizeof(nf->req);
	nf->req.what = RV_NET_PARTITION;
	nf->req.group = 1;
	uint32_t *ppm[] = { &nf->req.drop_ppm, &nf->req.duplicate_ppm, &nf->req.reorder_ppm,
			    &nf->req.delay_ppm, &nf->req.delay_epochs };
	for (int i = 0; i < argc; i++) {
		const rv_plugin_arg *a = &argv[i];
		uint64_t v = 0;
		bool num = example_parse_u64(a->value, &v);
		unsigned k = 0;
		while (k < 5 && strcmp(a->key, ppm_keys[k]))
			k++;
		if (!strcmp(a->key, "domain") && a->value[0]) {
			nf->req.domain = a->value;
		} else if (!strcmp(a->key, "at") && num && v <= UINT64_MAX / 1000000) {
			nf->at_ns = v * 1000000;
			have_at = true;
		} else if (!strcmp(a->key, "heal") && num && v && v <= UINT64_MAX / 1000000) {
			nf->heal_ns = v * 1000000;
		} else if (!strcmp(a->key, "group") && num && v <= 1000) {
			nf->req.group = (uint32_t)v;
		} else if (k < 5 && num && v <= 1000000) {
			*ppm[k] = (uint32_t)v;
			nf->req.what = RV_NET_FAULTS;
		} else {
			free(nf);
			return example_bad_arg(self, a, NETFAULT_USAGE);
		}
	}
	if (!have_at || (nf->heal_ns && nf->heal_ns <= nf->at_ns)) {
		free(nf);
		return example_refuse(self, NETFAULT_USAGE " (heal after at)");
	}
	rv_on_timer(self, netfault_on_timer, nf);
	rv_on_exit(self, netfault_on_exit, nf);
	return 0;
}
