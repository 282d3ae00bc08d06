/* SPDX-License-Identifier: MIT */
/*
 * The domain configuration file of `retrovisor up FILE` (docs/domains.md),
 * in the spirit of Xen's xl.cfg: `key = value` lines, `#` comments,
 * values "string" or 'string', integers, or [ 'a', 'b' ] lists (a list
 * may span lines). Keys before the first `name =` are the system's; each
 * `name =` starts a domain, and the keys after it are that domain's:
 *
 *   system:  epoch_us = N          guest microseconds per epoch (default 500)
 *            threads = N           host threads (default 1; --threads wins)
 *            cpus = N              the capacity the domains share (default
 *                                  0: as many as their vcpus, no contention)
 *            bridge = [ 'NAME[,latency=EPOCHS][,drop=PPM][,duplicate=PPM]
 *                        [,reorder=PPM][,delay=PPM:EPOCHS][,seed=N]
 *                        [,uplink=user[,hostfwd=RULE]...]', ... ]
 *                                  (uplink: run's --net user on the bridge)
 *   domain:  name, kernel, initrd, cmdline, bios, memory (MiB), vcpus,
 *            disk = [ 'PATH' or 'file=PATH[,snapshot=on|off]', ... ],
 *            vif = [ 'bridge=NAME[,mac=52:54:00:XX:XX:XX]' ] (one),
 *            plugin = [ 'FILE.so[,key=value...]', ... ] (run's --plugin;
 *            the plugin's info->domain names the domain),
 *            rng_seed = N, on_poweroff / on_reboot / on_crash =
 *            "destroy" | "restart" | "preserve",
 *            weight = 1..65535 (default 256), cap = percent of one vcpu
 *            (0: none; at most 100 per vcpu), as Xen's credit scheduler
 *
 * Relative paths are relative to the file's folder. The file is
 * untrusted input: every error names the file, the line and the problem,
 * and nothing starts until the whole file is accepted (unknown keys,
 * duplicate domain or bridge names, a vif naming no bridge, a missing
 * image are all refused here).
 */
#ifndef CLI_DOMCFG_H
#define CLI_DOMCFG_H

#include "hv/dev/backend/net_slirp.h"
#include "hv/platform/domain.h"

#define DOMCFG_MAX_DISKS 4
#define DOMCFG_MAX_BRIDGES 8
#define DOMCFG_MAX_PLUGINS 4

struct domcfg_bridge {
	char name[32];
	unsigned line;
	unsigned latency;
	uint64_t seed;
	struct switch_faults faults;
	bool uplink;                /* a slirp uplink (cli/uplink.h) */
	struct net_opts uplink_net; /* its options, as run's --net user */
};

struct domcfg_domain {
	char name[DOMAIN_NAME_MAX];
	unsigned line;
	/* Allocated; paths resolved against the file's folder. */
	char *kernel, *initrd, *cmdline, *bios;
	char *disk[DOMCFG_MAX_DISKS];
	unsigned ndisk;
	char *plugin[DOMCFG_MAX_PLUGINS]; /* run's --plugin specs, file resolved */
	unsigned nplugin;
	uint64_t memory_mib; /* 0: run's default */
	unsigned vcpus;      /* 0: run's default */
	uint64_t rng_seed;
	bool has_vif, has_mac;
	char bridge[32];
	uint8_t mac[6];
	enum domain_policy on_poweroff, on_reboot, on_crash;
	unsigned weight, cap, cap_line; /* system_set_sched's */
};

struct domcfg {
	uint64_t epoch_us;
	unsigned threads;
	unsigned cpus; /* system_set_cpus's */
	struct domcfg_bridge bridge[DOMCFG_MAX_BRIDGES];
	unsigned nbridge;
	struct domcfg_domain dom[SYSTEM_MAX_DOMAINS];
	unsigned ndom;
};

/* Parse len bytes of text read from path (named in errors; its folder
 * resolves relative paths). check_files: refuse images that cannot be
 * opened for reading. Returns 0, or -1 with "PATH:LINE: problem" in err;
 * c is then freed. */
int domcfg_parse(const char *path, const char *text, size_t len, bool check_files, struct domcfg *c,
		 struct hv_err *err);
/* Read and parse the file at path. */
int domcfg_load(const char *path, struct domcfg *c, struct hv_err *err);
void domcfg_free(struct domcfg *c);

#endif
