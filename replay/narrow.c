// SPDX-License-Identifier: MIT
/*
 * Narrowing by re-running (narrow.h, docs/replay.md): execute the log
 * twice more and bisect over the instruction count for the first point at
 * which the two executions' states differ. That finds nondeterminism in
 * the executions themselves, to the instruction. If the two agree through
 * the bracket, the recording saw something its log does not hold, which
 * no re-run can place more precisely than the bracket.
 */
#include "replay/narrow.h"

#include <stdlib.h>

/* Two fresh executions compared after k instructions: 1 if they differ,
 * 0 if not, -1 if a probe failed. second keeps the second one's state. */
static int narrow_pair(replay_probe_fn probe, void *opaque, uint64_t k, struct replay_probe *second)
{
	struct replay_probe first = { 0 };

	*second = (struct replay_probe){ 0 };
	if (!probe(opaque, k, false, &first) || !probe(opaque, k, false, second))
		return -1;
	return first.digest != second->digest;
}

/* The guest pages in which two executions differ after k instructions. */
static void narrow_pages(replay_probe_fn probe, void *opaque, uint64_t k, FILE *out)
{
	struct replay_probe a = { 0 }, b = { 0 };
	unsigned shown = 0;
	uint64_t differ = 0;

	if (!probe(opaque, k, true, &a))
		return;
	if (!probe(opaque, k, true, &b)) {
		free(a.pages);
		return;
	}
	for (uint64_t p = 0; p < a.npages && p < b.npages; p++) {
		if (a.pages[p] == b.pages[p])
			continue;
		differ++;
		if (shown++ < 16)
			fprintf(out, "  page 0x%llx differs\n",
				(unsigned long long)(HV_RAM_BASE + (p << HV_PAGE_SHIFT)));
	}
	if (differ > shown)
		fprintf(out, "  ... %llu pages differ in all\n", (unsigned long long)differ);
	free(a.pages);
	free(b.pages);
}

void replay_narrow(replay_probe_fn probe, void *opaque, uint64_t from, uint64_t to, FILE *out)
{
	struct replay_probe last;
	uint64_t lo = from, hi = to;

	if (to == 0)
		return;
	fprintf(out,
		"retrovisor: narrowing by re-running the log (two executions per step, "
		"about %u steps)\n",
		2 + (unsigned)(64 - __builtin_clzll(to - from + 1)));
	int d = narrow_pair(probe, opaque, hi, &last);
	if (d < 0) {
		fprintf(out, "retrovisor: could not re-run the log to narrow the divergence\n");
		return;
	}
	if (d == 0) {
		fprintf(out,
			"retrovisor: two more executions of the log agree up to instruction "
			"%llu: the recorded run saw something the log does not hold between "
			"instructions %llu and %llu\n",
			(unsigned long long)to, (unsigned long long)from, (unsigned long long)to);
		return;
	}
	while (hi - lo > 1) {
		uint64_t mid = lo + (hi - lo) / 2;
		d = narrow_pair(probe, opaque, mid, &last);
		if (d < 0) {
			fprintf(out, "retrovisor: could not re-run the log to narrow the "
				     "divergence\n");
			return;
		}
		if (d)
			hi = mid;
		else
			lo = mid;
	}
	if (lo == 0 || probe(opaque, lo, false, &last))
		fprintf(out,
			"retrovisor: executions of this log are nondeterministic: they agree "
			"after %llu instructions and differ after %llu; instruction %llu ran on "
			"hart %u after pc 0x%llx\n",
			(unsigned long long)lo, (unsigned long long)hi, (unsigned long long)hi,
			last.hart, (unsigned long long)last.pc);
	narrow_pages(probe, opaque, hi, out);
}
