// SPDX-License-Identifier: MIT
/*
 * Forking many machines from one snapshot (issue "Part 4", acceptance):
 *
 *   fork_mem SNAPSHOT-FILE N COMMAND MARKER
 *
 * loads a snapshot file (a Debian guest waiting at its shell), takes an
 * in-memory snapshot of it, forks N machines from that snapshot (each a
 * machine of the same shape that shares every frame and overlay block),
 * types COMMAND into each and runs each until its console shows MARKER,
 * then measures the process's resident memory growth against the size of
 * one full copy of the guest (its non-zero pages) and of its RAM. Prints
 *
 *   forks N guest_pages P copy_mib C ram_mib R forks_mib F
 *
 * and exits 0 only if every fork printed MARKER, every fork ended in the
 * same state (equal digests), and F < 2 * C. The memory is measured, not
 * estimated: VmRSS from /proc/self/status before the forks and after they
 * all ran, so host pages the forks copied on write, their block caches,
 * TLBs and device state all count.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/options.h"
#include "hv/platform/loader.h"
#include "hv/platform/machine.h"
#include "snapshot/file.h"
#include "snapshot/snap.h"

#define MAX_FORKS 64

struct sink {
	const char *marker;
	size_t matched;
	bool seen;
	struct machine *m;
};

static void sink_out(void *opaque, const uint8_t *buf, size_t len)
{
	struct sink *s = opaque;
	size_t n = strlen(s->marker);

	for (size_t i = 0; i < len && !s->seen; i++) {
		if (buf[i] == (uint8_t)s->marker[s->matched])
			s->matched++;
		else
			s->matched = buf[i] == (uint8_t)s->marker[0];
		if (s->matched == n) {
			s->seen = true;
			machine_stop(s->m, STOP_SHUTDOWN, 0);
		}
	}
}

static uint64_t rss_kib(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	unsigned long long kb = 0;

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %llu kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb;
}

/* The machine a snapshot file describes, made as `run --restore` makes it. */
static struct machine *make_machine(const char *config, struct cli_opts *o,
				    struct machine_drive *drives, struct hv_err *err)
{
	char *args[260] = { "retrovisor", "run" };
	int n = 2;
	char *text = strdup(config), *save = NULL;

	for (char *line = strtok_r(text, "\n", &save); line && n < 258;
	     line = strtok_r(NULL, "\n", &save))
		if (strncmp(line, "arg ", 4) == 0)
			args[n++] = line + 4;
	if (cli_parse(n, args, o, err) != 0)
		return NULL;
	struct machine_config cfg;
	cli_machine_config(o, drives, 0, &cfg);
	cfg.max_insns = 0; /* the forks run as long as this test says */
	cfg.watchdog_ticks = 0;
	/* text stays allocated: o points into it. */
	return machine_create(&cfg, err);
}

int main(int argc, char **argv)
{
	struct hv_err err = { { 0 } };
	static struct cli_opts opts[MAX_FORKS + 1];
	static struct machine_drive drives[MAX_FORKS + 1][CLI_MAX_DRIVES];
	struct machine *fork[MAX_FORKS];
	struct sink sink[MAX_FORKS];

	if (argc != 5 || atoi(argv[2]) < 1 || atoi(argv[2]) > MAX_FORKS) {
		fprintf(stderr, "usage: fork_mem SNAPSHOT-FILE N(1..%d) COMMAND MARKER\n",
			MAX_FORKS);
		return 2;
	}
	int nforks = atoi(argv[2]);
	struct snapfile *f = snapfile_open(argv[1], &err);
	if (!f) {
		fprintf(stderr, "fork_mem: %s\n", err.msg);
		return 2;
	}
	char *config = strdup(snapfile_config(f));
	struct machine *m = make_machine(config, &opts[MAX_FORKS], drives[MAX_FORKS], &err);
	if (!m || snapfile_apply(f, m, NULL, &err)) {
		fprintf(stderr, "fork_mem: %s\n", err.msg);
		return 2;
	}
	snapfile_close(f);
	struct snap *s = snap_take(m, &err);
	if (!s) {
		fprintf(stderr, "fork_mem: %s\n", err.msg);
		return 2;
	}
	uint64_t guest_pages = 0;
	for (uint64_t p = 0; p < m->ram.npages; p++) {
		static const uint8_t zero[HV_PAGE_SIZE];
		if (memcmp(m->ram.frame[p], zero, HV_PAGE_SIZE))
			guest_pages++;
	}
	uint64_t ram_bytes = m->ram.size;
	/* The forks share the snapshot's frames; the original machine goes. */
	machine_destroy(m);
	uint64_t before = rss_kib();
	uint64_t digest0 = 0;
	bool ok = true;
	for (int i = 0; i < nforks; i++) {
		fork[i] = make_machine(config, &opts[i], drives[i], &err);
		if (!fork[i] || snap_restore(fork[i], s, &err) < 0) {
			fprintf(stderr, "fork_mem: fork %d: %s\n", i, err.msg);
			return 2;
		}
		sink[i] = (struct sink){ .marker = argv[4], .m = fork[i] };
		fork[i]->console_out = sink_out;
		fork[i]->console_opaque = &sink[i];
		machine_console_input(fork[i], (const uint8_t *)argv[3], strlen(argv[3]));
		machine_console_input(fork[i], (const uint8_t *)"\n", 1);
		fork[i]->cfg.max_insns = fork[i]->total_insns + 2000000000ull;
		machine_run(fork[i]);
		if (!sink[i].seen) {
			fprintf(stderr, "fork_mem: fork %d never printed '%s'\n", i, argv[4]);
			ok = false;
		}
		uint64_t d = machine_digest(fork[i]);
		if (i == 0)
			digest0 = d;
		else if (d != digest0) {
			fprintf(stderr, "fork_mem: fork %d ended in another state than fork 0\n",
				i);
			ok = false;
		}
	}
	uint64_t after = rss_kib();
	double copy_mib = (double)guest_pages * HV_PAGE_SIZE / 1048576.0;
	double forks_mib = after > before ? (double)(after - before) / 1024.0 : 0.0;
	printf("forks %d guest_pages %llu copy_mib %.1f ram_mib %llu forks_mib %.1f\n", nforks,
	       (unsigned long long)guest_pages, copy_mib, (unsigned long long)(ram_bytes >> 20),
	       forks_mib);
	if (forks_mib >= 2 * copy_mib) {
		fprintf(stderr,
			"fork_mem: %d forks cost %.1f MiB, not less than two full copies "
			"of the guest (%.1f MiB)\n",
			nforks, forks_mib, 2 * copy_mib);
		ok = false;
	}
	for (int i = 0; i < nforks; i++)
		machine_destroy(fork[i]);
	snap_free(s);
	free(config);
	return ok ? 0 : 1;
}
