// SPDX-License-Identifier: MIT
/*
 * A plugin's changes (plugin.h: register and memory writes, bit flips,
 * interrupt-pending bits, block request faults, stop, snapshot and
 * restore requests). Changes are inputs (ARCHITECTURE.md section 1): each
 * is written as an HV_IN_DEBUG record (hv/cpu/debug.h) with the machine's
 * exact position, noted through the input funnel (a recording logs it)
 * and applied with debug_apply, the very function a replay uses. From an
 * instruction or trap callback (step boundaries) a change applies at
 * once; from any other callback (memory, MMIO, SBI, timer, block
 * requests, which come in the middle of an instruction) it waits in the
 * host's queue until that instruction is complete (the hart leaves its
 * block; exec.c calls the hooks' apply). In a replay the log's changes are
 * applied by the replayer; a plugin's own change calls then do nothing,
 * so a plugin can be loaded in the replay of its own recording.
 *
 * Every change finds its machine from the plugin handle (rv_plugin's
 * host); the ABI 4 forms (rv_machine_*) take the plugin's machine handle
 * and are the ABI 1-3 forms of the plugin behind it. Untrusted: hart
 * numbers, registers, addresses and lengths are checked before anything
 * is recorded.
 */
#include <stdio.h>
#include <string.h>
#include <stdlib.h>

#include "hv/dev/backend/disk.h"
#include "hv/platform/control.h"
#include "plugins/host_impl.h"

/* ---- The queue ---- */

void host_apply_queue(void *opaque, struct hart *h)
{
	struct plugin_host *ph = opaque;

	(void)h;
	ph->hooks.pending = false;
	for (unsigned i = 0; i < ph->nq; i++) {
		struct change *c = &ph->queue[i];
		uint64_t pos = debug_position(ph->m);
		memcpy(c->rec + 5, &pos, 8);
		machine_input_note(ph->m, HV_IN_DEBUG, c->rec, c->len);
		debug_apply(ph->m, c->rec, c->len);
	}
	ph->nq = 0;
}

void host_record(struct plugin_host *ph, uint8_t kind, uint32_t hart, uint64_t where,
		 const void *data, size_t len, bool apply)
{
	struct change c;
	uint64_t pos = debug_position(ph->m);

	if (len > 4096)
		return;
	c.rec[0] = kind;
	memcpy(c.rec + 1, &hart, 4);
	memcpy(c.rec + 5, &pos, 8);
	memcpy(c.rec + 13, &where, 8);
	if (len)
		memcpy(c.rec + DEBUG_INPUT_HEAD, data, len);
	c.len = DEBUG_INPUT_HEAD + len;
	if (!apply) {
		machine_input_note(ph->m, HV_IN_DEBUG, c.rec, c.len);
		return;
	}
	if (ph->boundary > 0) {
		machine_input_note(ph->m, HV_IN_DEBUG, c.rec, c.len);
		debug_apply(ph->m, c.rec, c.len);
		return;
	}
	if (ph->nq == ph->capq) {
		unsigned ncap = ph->capq ? 2 * ph->capq : 16;
		struct change *n = realloc(ph->queue, ncap * sizeof(*n));
		if (!n)
			return;
		ph->queue = n;
		ph->capq = ncap;
	}
	ph->queue[ph->nq++] = c;
	ph->hooks.pending = true;
	machine_kick(ph->m);
}

/* ---- The ABI ---- */

RV_PLUGIN_EXPORT int rv_reg_write(rv_plugin *self, uint32_t hart, uint32_t reg, uint64_t value)
{
	struct plugin_host *ph = self ? self->host : NULL;
	uint64_t old;

	if (!self || !ph->m || hart >= ph->m->nharts ||
	    debug_read_reg(ph->m->hart[hart], reg, &old))
		return -1;
	if (ph->replaying)
		return 0;
	host_record(ph, 1, hart, reg, &value, 8, true);
	return 0;
}

RV_PLUGIN_EXPORT int rv_mem_write_phys(rv_plugin *self, uint64_t paddr, const void *buf, size_t len)
{
	struct plugin_host *ph = self ? self->host : NULL;

	if (!self || !ph->m || !buf || len > 4096 || paddr < ph->m->ram.base ||
	    paddr - ph->m->ram.base > ph->m->ram.size ||
	    len > ph->m->ram.size - (paddr - ph->m->ram.base))
		return -1;
	if (ph->replaying || !len)
		return 0;
	host_record(ph, 2, 0, paddr, buf, len, true);
	return 0;
}

RV_PLUGIN_EXPORT int rv_mem_write_virt(rv_plugin *self, uint32_t hart, uint64_t vaddr,
				       const void *buf, size_t len)
{
	struct plugin_host *ph = self ? self->host : NULL;
	size_t done = 0;

	if (!self || !buf || len > 4096)
		return -1;
	while (done < len) {
		uint64_t pa;
		size_t chunk = HV_PAGE_SIZE - ((vaddr + done) & HV_PAGE_MASK);
		if (chunk > len - done)
			chunk = len - done;
		if (host_translate(ph, hart, vaddr + done, &pa) ||
		    rv_mem_write_phys(self, pa, (const uint8_t *)buf + done, chunk))
			return -1;
		done += chunk;
	}
	return 0;
}

RV_PLUGIN_EXPORT int rv_flip_reg(rv_plugin *self, uint32_t hart, uint32_t reg, uint32_t bit)
{
	struct plugin_host *ph = self ? self->host : NULL;
	uint64_t v;

	if (bit > 63 || !self || !ph->m || hart >= ph->m->nharts ||
	    debug_read_reg(ph->m->hart[hart], reg, &v))
		return -1;
	return rv_reg_write(self, hart, reg, v ^ (1ull << bit));
}

RV_PLUGIN_EXPORT int rv_flip_mem_phys(rv_plugin *self, uint64_t paddr, uint32_t bit)
{
	struct plugin_host *ph = self ? self->host : NULL;
	uint8_t b;

	if (bit > 7 || host_read_phys(ph, paddr, &b, 1) != 1)
		return -1;
	b ^= (uint8_t)(1u << bit);
	return rv_mem_write_phys(self, paddr, &b, 1);
}

RV_PLUGIN_EXPORT int rv_blk_fault(rv_plugin *self, uint32_t kind, uint64_t arg)
{
	struct plugin_host *ph = self ? self->host : NULL;
	bool ok;

	if (!self || !ph->blk.open)
		return -1;
	switch (kind) {
	case RV_BLK_FAIL:
		ok = true;
		break;
	case RV_BLK_LOST:
		ok = ph->blk.write;
		break;
	case RV_BLK_TORN:
		ok = ph->blk.write && arg < ph->blk.count;
		break;
	case RV_BLK_MISDIRECT:
		ok = ph->blk.write && arg <= ph->blk.capacity &&
		     ph->blk.count <= ph->blk.capacity - arg;
		break;
	case RV_BLK_ROT:
		ok = !ph->blk.write && arg < (uint64_t)ph->blk.count * DISK_SECTOR_SIZE * 8;
		break;
	default:
		ok = false;
	}
	if (!ok)
		return -1;
	ph->blk.mode = kind;
	ph->blk.arg = arg;
	return 0;
}

RV_PLUGIN_EXPORT int rv_irq_set(rv_plugin *self, uint32_t hart, uint32_t irq, bool level)
{
	struct plugin_host *ph = self ? self->host : NULL;
	uint64_t v = level;

	if (!self || !ph->m || hart >= ph->m->nharts || irq > 63 || !((1ull << irq) & 0x222))
		return -1;
	if (ph->replaying)
		return 0;
	host_record(ph, 4, hart, irq, &v, 8, true);
	return 0;
}

RV_PLUGIN_EXPORT void rv_request_stop(rv_plugin *self)
{
	struct plugin_host *ph = self ? self->host : NULL;

	if (!self || !ph->m || ph->stopper)
		return;
	ph->stopper = self;
	machine_stop(ph->m, STOP_PLUGIN, 0);
}

/* A snapshot or restore request by name: the command line's snapshot
 * service takes it at the stop (cli/snapshot.c); not while recording or
 * replaying (a snapshot tree is not part of a log). */
static void host_request(rv_plugin *self, const char *name, uint32_t op)
{
	struct plugin_host *ph = self ? self->host : NULL;

	if (!self || !ph->m || !name || ph->replaying || ph->recording)
		return;
	machine_post_named_request(ph->m, op, name);
}

RV_PLUGIN_EXPORT void rv_request_snapshot(rv_plugin *self, const char *name)
{
	host_request(self, name, PLUGIN_HOST_OP_SNAPSHOT);
}

RV_PLUGIN_EXPORT void rv_request_restore(rv_plugin *self, const char *name)
{
	host_request(self, name, PLUGIN_HOST_OP_RESTORE);
}

/* ---- The ABI 4 forms: the plugin behind the machine handle ---- */

RV_PLUGIN_EXPORT int rv_machine_reg_write(rv_machine *m, uint32_t hart, uint32_t reg,
					  uint64_t value)
{
	return rv_reg_write(machine_plugin(m), hart, reg, value);
}

RV_PLUGIN_EXPORT int rv_machine_mem_write_phys(rv_machine *m, uint64_t paddr, const void *buf,
					       size_t len)
{
	return rv_mem_write_phys(machine_plugin(m), paddr, buf, len);
}

RV_PLUGIN_EXPORT int rv_machine_mem_write_virt(rv_machine *m, uint32_t hart, uint64_t vaddr,
					       const void *buf, size_t len)
{
	return rv_mem_write_virt(machine_plugin(m), hart, vaddr, buf, len);
}

RV_PLUGIN_EXPORT int rv_machine_flip_reg(rv_machine *m, uint32_t hart, uint32_t reg, uint32_t bit)
{
	return rv_flip_reg(machine_plugin(m), hart, reg, bit);
}

RV_PLUGIN_EXPORT int rv_machine_flip_mem_phys(rv_machine *m, uint64_t paddr, uint32_t bit)
{
	return rv_flip_mem_phys(machine_plugin(m), paddr, bit);
}

RV_PLUGIN_EXPORT int rv_machine_blk_fault(rv_machine *m, uint32_t kind, uint64_t arg)
{
	return rv_blk_fault(machine_plugin(m), kind, arg);
}

RV_PLUGIN_EXPORT int rv_machine_irq_set(rv_machine *m, uint32_t hart, uint32_t irq, bool level)
{
	return rv_irq_set(machine_plugin(m), hart, irq, level);
}

RV_PLUGIN_EXPORT void rv_machine_request_stop(rv_machine *m)
{
	rv_request_stop(machine_plugin(m));
}

RV_PLUGIN_EXPORT void rv_machine_request_snapshot(rv_machine *m, const char *name)
{
	rv_request_snapshot(machine_plugin(m), name);
}

RV_PLUGIN_EXPORT void rv_machine_request_restore(rv_machine *m, const char *name)
{
	rv_request_restore(machine_plugin(m), name);
}

/* ---- The domain's network (ABI 5) ---- */

/* A domain's name as domcfg allows it (docs/domains.md): the toolstack
 * request it becomes then needs no escaping. */
static bool host_net_name(const char *s, char *out, size_t n)
{
	size_t k = 0;

	for (; s[k]; k++) {
		char c = s[k];
		if (k + 1 >= n || !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
				    (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.'))
			return false;
		out[k] = c;
	}
	out[k] = '\0';
	return k > 0;
}

RV_PLUGIN_EXPORT int rv_machine_net_request(rv_machine *m, const rv_net_request *req)
{
	struct rv_plugin *p = machine_plugin(m);
	struct plugin_net_request r = { 0 };

	if (!p || !req || !p->host->net)
		return -1;
	if (req->size < sizeof(*req)) {
		host_size_refuse(p, "rv_machine_net_request", "rv_net_request", req->size,
				 sizeof(*req));
		return -1;
	}
	r.what = req->what;
	if (req->what == RV_NET_PARTITION) {
		if (req->group > 1000 ||
		    (req->domain && !host_net_name(req->domain, r.domain, sizeof(r.domain))))
			return -1;
		r.group = req->group;
	} else if (req->what == RV_NET_FAULTS) {
		if (req->drop_ppm > 1000000 || req->duplicate_ppm > 1000000 ||
		    req->reorder_ppm > 1000000 || req->delay_ppm > 1000000 ||
		    req->delay_epochs > 1000000)
			return -1;
		r.drop_ppm = req->drop_ppm;
		r.duplicate_ppm = req->duplicate_ppm;
		r.reorder_ppm = req->reorder_ppm;
		r.delay_ppm = req->delay_ppm;
		r.delay_epochs = req->delay_epochs;
	} else {
		return -1;
	}
	if (p->host->replaying)
		return 0;
	return p->host->net(p->host->net_opaque, &r);
}
