// SPDX-License-Identifier: MIT
/*
 * The plugin host: loads plugins (dlopen), negotiates the ABI version,
 * implements every function of plugins/include/retrovisor/plugin.h, and
 * connects plugins to the machine's hooks (hv/hooks.h).
 *
 * One machine per process at a time (the rv_* queries take no machine
 * handle): plugin_host_attach points the host at the machine the run uses;
 * the reset loop's restores keep it.
 *
 * Changes a plugin makes are inputs (ARCHITECTURE.md section 1): each is
 * written as an HV_IN_DEBUG record (hv/debug.h) with the machine's exact
 * position, noted through the input funnel (a recording logs it) and
 * applied with debug_apply, the very function a replay uses. From an
 * instruction or trap callback (step boundaries) a change applies at once;
 * from any other callback (memory, MMIO, SBI, timer, block requests, which
 * come in the middle of an instruction) it waits in a queue until that
 * instruction is complete (the hart leaves its block; exec.c applies the
 * queue). In a replay the log's changes are applied by the replayer; a
 * plugin's own change calls then do nothing, so a plugin can be loaded in
 * the replay of its own recording.
 *
 * Untrusted: plugin arguments (length-checked), and everything a plugin
 * passes (hart numbers, registers, addresses, lengths are checked here or
 * by the machine). A plugin itself is trusted code in the host process.
 */
#include "plugins/host.h"

#include <dlfcn.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv/block.h"
#include "hv/debug.h"
#include "hv/disk.h"
#include "hv/hooks.h"
#include "hv/insn.h"
#include "hv/mmu.h"
#include "introspect/linux.h"
#include "introspect/syms.h"
#include "plugins/include/retrovisor/plugin.h"
#include "plugins/crash.h"
#include "plugins/spec.h"

#define HOST_MAX_PLUGINS 16
#define HOST_MAX_SUBS 64 /* subscriptions of one kind per plugin */
#define SLOT_MAX_CBS 8

struct cb_entry {
	void *cb;
	void *ud;
	const struct rv_plugin *owner;
};

struct mem_sub {
	uint64_t lo, hi;
	uint32_t flags;
	void *cb, *ud;
	const struct rv_plugin *owner;
};

struct rv_plugin {
	struct plugin_spec spec; /* path, name, arguments */
	void *dl;
	uint32_t abi;
	char msg[256];
	struct intro_syms *syms;
	struct intro_linux *linux; /* opened on first use */
	bool linux_failed;
	/* Subscriptions. */
	struct cb_entry exit[HOST_MAX_SUBS], block[HOST_MAX_SUBS], trap[HOST_MAX_SUBS],
		sbi[HOST_MAX_SUBS], priv[HOST_MAX_SUBS], satp[HOST_MAX_SUBS], mmio[HOST_MAX_SUBS],
		timer[HOST_MAX_SUBS], snapshot[HOST_MAX_SUBS], divergence[HOST_MAX_SUBS],
		blk[HOST_MAX_SUBS];
	unsigned nexit, nblock, ntrap, nsbi, npriv, nsatp, nmmio, ntimer, nsnapshot, ndivergence,
		nblk;
	struct mem_sub mem[HOST_MAX_SUBS];
	unsigned nmem;
};

struct slot {
	unsigned n;
	struct cb_entry e[SLOT_MAX_CBS];
};

struct rv_insn {
	const struct insn *in;
	uint64_t vaddr, paddr;
	uint32_t index;
	struct rv_block *b;
};

struct rv_block {
	uint64_t vaddr, paddr;
	unsigned n;
	struct rv_insn insn[BLOCK_MAX_INSNS];
	/* Subscriptions made during this callback, per instruction. */
	struct slot subs[BLOCK_MAX_INSNS];
};

struct change {
	uint8_t rec[DEBUG_INPUT_HEAD + 4096];
	size_t len;
};

struct plugin_host {
	struct machine *m;
	struct rv_plugin *p[HOST_MAX_PLUGINS];
	unsigned np;
	struct hv_hooks hooks;
	struct slot *slots;
	uint32_t nslots, capslots;
	/* slot lookup: open addressing on a hash of the entries; 0 empty,
	 * else slot index + 1. */
	uint32_t *slot_hash;
	uint32_t hash_cap;
	bool replaying, recording;
	int boundary; /* > 0: in a callback at a step boundary */
	struct change *queue;
	unsigned nq, capq;
	bool stop_requested;
	struct rv_plugin *stopper;
	char strbuf[1024];
	/* The block request being offered to plugins (rv_blk_fault). */
	struct {
		bool open, write;
		uint32_t count, mode;
		uint64_t capacity, arg;
	} blk;
};

static struct plugin_host host;

/* ---- Loading ---- */

static int host_fail(struct hv_err *err, struct rv_plugin *p, const char *what)
{
	hv_err_set(err, "plugin '%s': %s", p->spec.path, what);
	return -1;
}

static void plugin_free(struct rv_plugin *p)
{
	if (!p)
		return;
	if (p->dl)
		dlclose(p->dl);
	intro_syms_close(p->syms);
	intro_linux_close(p->linux);
	plugin_spec_free(&p->spec);
	free(p);
}

int plugin_host_load(const char *spec, struct hv_err *err)
{
	struct rv_plugin *p;

	if (host.np == HOST_MAX_PLUGINS) {
		hv_err_set(err, "more than %d plugins", HOST_MAX_PLUGINS);
		return -1;
	}
	p = calloc(1, sizeof(*p));
	if (!p) {
		hv_err_set(err, "--plugin '%s': out of host memory", spec);
		return -1;
	}
	if (plugin_spec_parse(spec, &p->spec, err) != 0) {
		free(p);
		return -1;
	}
	const char *path = p->spec.path;
	char resolved[4200];
	if (!strchr(path, '/')) {
		/* dlopen would search the library path: a plugin is a file. */
		snprintf(resolved, sizeof(resolved), "./%s", path);
		path = resolved;
	}
	dlerror();
	p->dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!p->dl) {
		const char *e = dlerror();
		hv_err_set(err, "plugin '%s' cannot be loaded: %s", p->spec.path,
			   e ? e : "unknown error");
		plugin_free(p);
		return -1;
	}
	const uint32_t *abi = dlsym(p->dl, "rv_plugin_abi");
	void *init = dlsym(p->dl, "rv_plugin_init");
	if (!abi || !init) {
		host_fail(err, p, !abi ? "it does not export rv_plugin_abi (the ABI versions it "
			  "supports; see plugin.h)" : "it does not export rv_plugin_init");
		plugin_free(p);
		return -1;
	}
	uint32_t pmin = abi[0], pcur = abi[1];
	uint32_t lo = pmin > RV_PLUGIN_ABI_MIN ? pmin : RV_PLUGIN_ABI_MIN;
	uint32_t hi = pcur < RV_PLUGIN_ABI_VERSION ? pcur : RV_PLUGIN_ABI_VERSION;
	if (pmin > pcur || lo > hi) {
		hv_err_set(err, "plugin '%s' supports ABI versions %u to %u; this retrovisor "
			   "supports %u to %u: rebuild the plugin against this plugin.h", p->spec.path,
			   pmin, pcur, RV_PLUGIN_ABI_MIN, RV_PLUGIN_ABI_VERSION);
		plugin_free(p);
		return -1;
	}
	p->abi = hi;
	if (p->spec.vmlinux) {
		p->syms = intro_syms_open(p->spec.vmlinux, err);
		if (!p->syms) {
			char why[sizeof(err->msg)];
			memcpy(why, err->msg, sizeof(why));
			host_fail(err, p, why);
			plugin_free(p);
			return -1;
		}
	}
	host.p[host.np++] = p;
	return 0;
}

/* ---- Hooks: code ---- */

static uint64_t slot_key(const struct slot *s)
{
	uint64_t h = 0xcbf29ce484222325ull ^ s->n;
	const uint8_t *p = (const uint8_t *)s->e;

	for (size_t i = 0; i < s->n * sizeof(s->e[0]); i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}

static bool slot_same(const struct slot *a, const struct slot *b)
{
	return a->n == b->n && !memcmp(a->e, b->e, a->n * sizeof(a->e[0]));
}

/* Grow the hash to twice the slots (load at most one half). */
static bool slot_hash_grow(void)
{
	uint32_t ncap = host.hash_cap ? 2 * host.hash_cap : 1024;
	uint32_t *n = calloc(ncap, sizeof(*n));

	if (!n)
		return false;
	for (uint32_t i = 0; i < host.nslots; i++) {
		uint32_t j = (uint32_t)slot_key(&host.slots[i]) & (ncap - 1);
		while (n[j])
			j = (j + 1) & (ncap - 1);
		n[j] = i + 1;
	}
	free(host.slot_hash);
	host.slot_hash = n;
	host.hash_cap = ncap;
	return true;
}

/* The slot holding exactly these callbacks (made on first use): the
 * executor calls a slot's callbacks; many instructions share one. */
static uint32_t slot_intern(const struct slot *s)
{
	if (2 * (host.nslots + 1) > host.hash_cap && !slot_hash_grow())
		return 0;
	uint32_t j = (uint32_t)slot_key(s) & (host.hash_cap - 1);
	while (host.slot_hash[j]) {
		if (slot_same(&host.slots[host.slot_hash[j] - 1], s))
			return host.slot_hash[j];
		j = (j + 1) & (host.hash_cap - 1);
	}
	if (host.nslots == host.capslots) {
		uint32_t ncap = host.capslots ? 2 * host.capslots : 64;
		struct slot *n = realloc(host.slots, ncap * sizeof(*n));
		if (!n)
			return 0;
		host.slots = n;
		host.capslots = ncap;
	}
	host.slots[host.nslots] = *s;
	host.slot_hash[j] = host.nslots + 1;
	return ++host.nslots;
}

static void hook_block(void *opaque, struct machine *m, uint64_t vpc, gpa_t pa,
		       const struct insn *insns, unsigned n, uint32_t *slots)
{
	static struct rv_block b; /* one at a time: decoding does not nest */

	(void)opaque;
	(void)m;
	b.vaddr = vpc;
	b.paddr = pa;
	b.n = n;
	for (unsigned i = 0; i < n; i++) {
		b.insn[i].in = &insns[i];
		b.insn[i].vaddr = vpc + insns[i].pcoff;
		b.insn[i].paddr = pa + insns[i].pcoff;
		b.insn[i].index = i;
		b.insn[i].b = &b;
		b.subs[i].n = 0;
	}
	for (unsigned k = 0; k < host.np; k++)
		for (unsigned j = 0; j < host.p[k]->nblock; j++)
			PLUGIN_CALL(host.p[k]->spec.path, "rv_on_block",
				    ((void (*)(void *, rv_block *))host.p[k]->block[j].cb)(
					    host.p[k]->block[j].ud, &b));
	for (unsigned i = 0; i < n; i++)
		slots[i] = b.subs[i].n ? slot_intern(&b.subs[i]) : 0;
}

static void hook_insn(void *opaque, struct hart *h, uint32_t slot)
{
	(void)opaque;
	if (slot == 0 || slot > host.nslots)
		return;
	const struct slot *s = &host.slots[slot - 1];
	host.boundary++;
	for (unsigned i = 0; i < s->n; i++)
		PLUGIN_CALL(s->e[i].owner->spec.path, "rv_insn_on_exec",
			    ((void (*)(void *, uint32_t, uint64_t))s->e[i].cb)(s->e[i].ud, h->id,
									       h->pc));
	host.boundary--;
}

/* ---- Hooks: events ---- */

/* Every plugin's field callbacks, each as PLUGIN_CALL "rv_on_<field>". */
#define FOR_SUBS(field, count, type, ...)                                             \
	for (unsigned k_ = 0; k_ < host.np; k_++)                                    \
		for (unsigned j_ = 0; j_ < host.p[k_]->count; j_++)                  \
			PLUGIN_CALL(host.p[k_]->spec.path, "rv_on_" #field,          \
				    ((type)host.p[k_]->field[j_].cb)(host.p[k_]->field[j_].ud, \
								     __VA_ARGS__))

static bool mem_match(const struct mem_sub *s, uint64_t va, gpa_t pa, unsigned size, bool write)
{
	uint64_t a = (s->flags & RV_MEM_PHYSICAL) ? pa : va;

	if (a >= s->hi || a + size <= s->lo)
		return false;
	return (write && (s->flags & RV_MEM_WRITE)) || (!write && (s->flags & RV_MEM_READ));
}

static bool hook_mem_page(void *opaque, uint64_t va_page, gpa_t pa_page)
{
	(void)opaque;
	for (unsigned k = 0; k < host.np; k++)
		for (unsigned j = 0; j < host.p[k]->nmem; j++) {
			const struct mem_sub *s = &host.p[k]->mem[j];
			uint64_t a = (s->flags & RV_MEM_PHYSICAL) ? pa_page : va_page;
			if (a < s->hi && a + HV_PAGE_SIZE > s->lo)
				return true;
		}
	return false;
}

static void hook_mem(void *opaque, struct hart *h, uint64_t va, gpa_t pa, unsigned size,
		     bool write, uint64_t value)
{
	(void)opaque;
	for (unsigned k = 0; k < host.np; k++)
		for (unsigned j = 0; j < host.p[k]->nmem; j++) {
			const struct mem_sub *s = &host.p[k]->mem[j];
			if (mem_match(s, va, pa, size, write))
				PLUGIN_CALL(host.p[k]->spec.path, "rv_on_mem",
					    ((void (*)(void *, uint32_t, uint64_t, uint64_t, uint32_t,
						       bool, uint64_t))s->cb)(s->ud, h->id, va, pa, size,
									      write, value));
		}
}

static void hook_trap(void *opaque, struct hart *h, uint64_t cause, uint64_t tval,
		      uint64_t epc, unsigned from)
{
	(void)opaque;
	(void)from;
	host.boundary++;
	FOR_SUBS(trap, ntrap, void (*)(void *, uint32_t, uint64_t, uint64_t, uint64_t, uint32_t),
		 h->id, cause, tval, epc, h->priv);
	host.boundary--;
}

static void hook_priv(void *opaque, struct hart *h, unsigned from, unsigned to)
{
	(void)opaque;
	FOR_SUBS(priv, npriv, void (*)(void *, uint32_t, uint32_t, uint32_t), h->id, from, to);
}

static void hook_satp(void *opaque, struct hart *h)
{
	(void)opaque;
	FOR_SUBS(satp, nsatp, void (*)(void *, uint32_t, uint64_t), h->id, h->satp);
}

static void hook_sbi(void *opaque, struct hart *h)
{
	uint64_t args[6];

	(void)opaque;
	for (unsigned i = 0; i < 6; i++)
		args[i] = h->x[10 + i];
	FOR_SUBS(sbi, nsbi, void (*)(void *, uint32_t, uint64_t, uint64_t, const uint64_t *), h->id,
		 h->x[17], h->x[16], args);
}

static void hook_mmio(void *opaque, struct machine *m, gpa_t pa, unsigned size, bool write,
		      uint64_t value, const char *device)
{
	(void)opaque;
	uint32_t hart = m->cur ? m->cur->id : 0;
	FOR_SUBS(mmio, nmmio,
		 void (*)(void *, uint32_t, uint64_t, uint32_t, bool, uint64_t, const char *),
		 hart, pa, size, write, value, device);
}

static void hook_timer(void *opaque, struct hart *h)
{
	(void)opaque;
	FOR_SUBS(timer, ntimer, void (*)(void *, uint32_t), h->id);
}

static void host_record(uint8_t kind, uint32_t hart, uint64_t where, const void *data,
			size_t len, bool apply);

static uint32_t hook_blk(void *opaque, struct machine *m, unsigned device, uint64_t nth,
			 bool write, uint64_t sector, uint32_t count, uint64_t *arg)
{
	bool fail = false;

	(void)opaque;
	host.blk.open = true;
	host.blk.write = write;
	host.blk.count = count;
	host.blk.capacity = m->disk[device] ? disk_size(m->disk[device]) / DISK_SECTOR_SIZE : 0;
	host.blk.mode = HV_BLK_OK;
	for (unsigned k = 0; k < host.np; k++)
		for (unsigned j = 0; j < host.p[k]->nblk; j++) {
			bool f = false;

			PLUGIN_CALL(host.p[k]->spec.path, "rv_on_blk_request",
				    f = ((bool (*)(void *, uint32_t, uint64_t, bool, uint64_t,
						   uint32_t))host.p[k]->blk[j].cb)(host.p[k]->blk[j].ud,
										   device, nth, write,
										   sector, count));
			fail = fail || f;
		}
	host.blk.open = false;
	if (host.replaying)
		return HV_BLK_OK;
	if (fail || host.blk.mode == HV_BLK_FAIL) {
		/* Record the verdict: the request being served now fails. */
		host_record(3, device, nth, NULL, 0, false);
		return HV_BLK_FAIL;
	}
	if (host.blk.mode != HV_BLK_OK) {
		uint64_t rec[2] = { host.blk.mode, host.blk.arg };
		host_record(3, device, nth, rec, sizeof(rec), false);
		*arg = host.blk.arg;
	}
	return host.blk.mode;
}

static void hook_divergence(void *opaque, uint64_t icount)
{
	(void)opaque;
	plugin_host_divergence(icount);
}

/* ---- Changes ---- */

static void host_apply_queue(void *opaque, struct hart *h)
{
	(void)opaque;
	(void)h;
	host.hooks.pending = false;
	for (unsigned i = 0; i < host.nq; i++) {
		struct change *c = &host.queue[i];
		uint64_t pos = debug_position(host.m);
		memcpy(c->rec + 5, &pos, 8);
		machine_input_note(host.m, HV_IN_DEBUG, c->rec, c->len);
		debug_apply(host.m, c->rec, c->len);
	}
	host.nq = 0;
}

/* Note (and apply now, or queue) one change record. */
static void host_record(uint8_t kind, uint32_t hart, uint64_t where, const void *data,
			size_t len, bool apply)
{
	struct change c;
	uint64_t pos = debug_position(host.m);

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
		machine_input_note(host.m, HV_IN_DEBUG, c.rec, c.len);
		return;
	}
	if (host.boundary > 0) {
		machine_input_note(host.m, HV_IN_DEBUG, c.rec, c.len);
		debug_apply(host.m, c.rec, c.len);
		return;
	}
	if (host.nq == host.capq) {
		unsigned ncap = host.capq ? 2 * host.capq : 16;
		struct change *n = realloc(host.queue, ncap * sizeof(*n));
		if (!n)
			return;
		host.queue = n;
		host.capq = ncap;
	}
	host.queue[host.nq++] = c;
	host.hooks.pending = true;
	if (host.m->cur)
		host.m->cur->exit_req = true;
}

/* ---- Attaching ---- */

/* A plugin that crashes in its init is refused, not fatal: the signal
 * jumps back here and the run stops with one line (the process exits
 * right after, so nothing the plugin may have corrupted is used). */
static sigjmp_buf host_init_jmp;
static volatile sig_atomic_t host_init_signal;

static void host_init_crash(int sig)
{
	host_init_signal = sig;
	siglongjmp(host_init_jmp, 1);
}

static int host_call_init(struct rv_plugin *p, const rv_plugin_info *info)
{
	static const int sigs[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT };
	struct sigaction sa, old[HV_ARRAY_LEN(sigs)];
	int (*init)(rv_plugin *, const rv_plugin_info *, int, const rv_plugin_arg *) =
		(int (*)(rv_plugin *, const rv_plugin_info *, int,
			 const rv_plugin_arg *))dlsym(p->dl, "rv_plugin_init");
	volatile int r = -1;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = host_init_crash;
	sa.sa_flags = SA_NODEFER;
	for (unsigned i = 0; i < HV_ARRAY_LEN(sigs); i++)
		sigaction(sigs[i], &sa, &old[i]);
	host_init_signal = 0;
	if (sigsetjmp(host_init_jmp, 1) == 0)
		r = init(p, info, p->spec.nargs, p->spec.args);
	for (unsigned i = 0; i < HV_ARRAY_LEN(sigs); i++)
		sigaction(sigs[i], &old[i], NULL);
	return host_init_signal ? -1000 - host_init_signal : r;
}

int plugin_host_attach(struct machine *m, bool replaying, bool recording, struct hv_err *err)
{
	if (!host.np)
		return 0;
	host.m = m;
	host.replaying = replaying;
	host.recording = recording;
	host.hooks = (struct hv_hooks){
		.block = hook_block,
		.insn = hook_insn,
		.trap = hook_trap,
		.priv = hook_priv,
		.satp = hook_satp,
		.sbi = hook_sbi,
		.mmio = hook_mmio,
		.timer = hook_timer,
		.blk_request = hook_blk,
		.apply = host_apply_queue,
		.mem_page = hook_mem_page,
		.mem = hook_mem,
		.divergence = hook_divergence,
	};
	m->hooks = &host.hooks;
	for (unsigned i = 0; i < host.np; i++) {
		struct rv_plugin *p = host.p[i];
		rv_plugin_info info = {
			.size = sizeof(info),
			.abi_version = p->abi,
			.nharts = m->nharts,
			.ram_base = m->ram.base,
			.ram_size = m->ram.size,
			.replaying = replaying,
			.recording = recording,
			.vmlinux = p->spec.vmlinux,
		};
		int r = host_call_init(p, &info);
		if (r <= -1000) {
			hv_err_set(err, "plugin '%s' crashed in its rv_plugin_init (%s); it is not "
				   "used", p->spec.path, strsignal(-r - 1000));
			m->hooks = NULL;
			return -1;
		}
		if (r != 0) {
			hv_err_set(err, "plugin '%s' refused to start%s%s", p->spec.path,
				   p->msg[0] ? ": " : " (its rv_plugin_init returned non-zero)",
				   p->msg);
			m->hooks = NULL;
			return -1;
		}
	}
	/* From now on a plugin that crashes in a callback is named. */
	plugin_crash_install();
	/* Code decoded before the plugins subscribed must be decoded again. */
	block_flush_all(m);
	return 0;
}

void plugin_host_exit(int status)
{
	for (unsigned i = 0; i < host.np; i++) {
		struct rv_plugin *p = host.p[i];
		for (unsigned j = 0; j < p->nexit; j++)
			PLUGIN_CALL(p->spec.path, "rv_on_exit",
				    ((void (*)(void *, int))p->exit[j].cb)(p->exit[j].ud, status));
	}
}

void plugin_host_snapshot(const char *name, bool restored)
{
	FOR_SUBS(snapshot, nsnapshot, void (*)(void *, const char *, bool), name ? name : "",
		 restored);
}

void plugin_host_divergence(uint64_t icount)
{
	FOR_SUBS(divergence, ndivergence, void (*)(void *, uint64_t), icount);
}

const char *plugin_host_stop_message(void)
{
	if (!host.stopper)
		return NULL;
	snprintf(host.strbuf, sizeof(host.strbuf), "plugin %s stopped the run%s%s",
		 host.stopper->spec.name, host.stopper->msg[0] ? ": " : "", host.stopper->msg);
	return host.strbuf;
}

void plugin_host_unload(void)
{
	plugin_crash_uninstall();
	for (unsigned i = 0; i < host.np; i++)
		plugin_free(host.p[i]);
	free(host.slots);
	free(host.slot_hash);
	free(host.queue);
	if (host.m)
		host.m->hooks = NULL;
	memset(&host, 0, sizeof(host));
}

bool plugin_host_active(void)
{
	return host.np != 0;
}

void plugin_host_clear_stop(void)
{
	host.stopper = NULL;
}

/* ---- The ABI: lifetime and subscriptions ---- */

#define SUBSCRIBE(field, count)                                  \
	do {                                                     \
		if (!self || self->count >= HOST_MAX_SUBS)       \
			return;                                  \
		self->field[self->count].cb = (void *)cb;        \
		self->field[self->count].ud = ud;                \
		self->field[self->count].owner = self;           \
		self->count++;                                   \
	} while (0)

RV_PLUGIN_EXPORT void rv_plugin_fail(rv_plugin *self, const char *message)
{
	if (self && message)
		snprintf(self->msg, sizeof(self->msg), "%s", message);
}

RV_PLUGIN_EXPORT void rv_on_exit(rv_plugin *self, void (*cb)(void *, int), void *ud)
{
	SUBSCRIBE(exit, nexit);
}

RV_PLUGIN_EXPORT void rv_on_block(rv_plugin *self, void (*cb)(void *, rv_block *), void *ud)
{
	SUBSCRIBE(block, nblock);
}

RV_PLUGIN_EXPORT void rv_on_trap(rv_plugin *self,
				 void (*cb)(void *, uint32_t, uint64_t, uint64_t, uint64_t, uint32_t),
				 void *ud)
{
	SUBSCRIBE(trap, ntrap);
}

RV_PLUGIN_EXPORT void rv_on_sbi(rv_plugin *self,
				void (*cb)(void *, uint32_t, uint64_t, uint64_t, const uint64_t[6]),
				void *ud)
{
	SUBSCRIBE(sbi, nsbi);
}

RV_PLUGIN_EXPORT void rv_on_priv(rv_plugin *self, void (*cb)(void *, uint32_t, uint32_t, uint32_t),
				 void *ud)
{
	SUBSCRIBE(priv, npriv);
}

RV_PLUGIN_EXPORT void rv_on_satp(rv_plugin *self, void (*cb)(void *, uint32_t, uint64_t), void *ud)
{
	SUBSCRIBE(satp, nsatp);
}

RV_PLUGIN_EXPORT void rv_on_mmio(rv_plugin *self,
				 void (*cb)(void *, uint32_t, uint64_t, uint32_t, bool, uint64_t,
					    const char *),
				 void *ud)
{
	SUBSCRIBE(mmio, nmmio);
}

RV_PLUGIN_EXPORT void rv_on_timer(rv_plugin *self, void (*cb)(void *, uint32_t), void *ud)
{
	SUBSCRIBE(timer, ntimer);
}

RV_PLUGIN_EXPORT void rv_on_snapshot(rv_plugin *self, void (*cb)(void *, const char *, bool),
				     void *ud)
{
	SUBSCRIBE(snapshot, nsnapshot);
}

RV_PLUGIN_EXPORT void rv_on_divergence(rv_plugin *self, void (*cb)(void *, uint64_t), void *ud)
{
	SUBSCRIBE(divergence, ndivergence);
}

RV_PLUGIN_EXPORT void rv_on_blk_request(rv_plugin *self,
					bool (*cb)(void *, uint32_t, uint64_t, bool, uint64_t,
						   uint32_t),
					void *ud)
{
	SUBSCRIBE(blk, nblk);
}

RV_PLUGIN_EXPORT void rv_on_mem(rv_plugin *self, uint64_t lo, uint64_t hi, uint32_t flags,
				void (*cb)(void *, uint32_t, uint64_t, uint64_t, uint32_t, bool,
					   uint64_t),
				void *ud)
{
	if (!self || self->nmem >= HOST_MAX_SUBS || lo >= hi)
		return;
	self->mem[self->nmem++] = (struct mem_sub){ lo, hi, flags, (void *)cb, ud, self };
	if (host.m)
		for (unsigned i = 0; i < host.m->nharts; i++)
			hart_flush_tlb(host.m->hart[i]);
}

/* ---- The ABI: code ---- */

RV_PLUGIN_EXPORT uint32_t rv_block_insns(const rv_block *b)
{
	return b ? b->n : 0;
}

RV_PLUGIN_EXPORT uint64_t rv_block_vaddr(const rv_block *b)
{
	return b ? b->vaddr : 0;
}

RV_PLUGIN_EXPORT uint64_t rv_block_paddr(const rv_block *b)
{
	return b ? b->paddr : 0;
}

RV_PLUGIN_EXPORT rv_insn *rv_block_insn(rv_block *b, uint32_t i)
{
	return b && i < b->n ? &b->insn[i] : NULL;
}

RV_PLUGIN_EXPORT uint64_t rv_insn_vaddr(const rv_insn *in)
{
	return in ? in->vaddr : 0;
}

RV_PLUGIN_EXPORT uint64_t rv_insn_paddr(const rv_insn *in)
{
	return in ? in->paddr : 0;
}

RV_PLUGIN_EXPORT uint32_t rv_insn_raw(const rv_insn *in)
{
	return in ? in->in->raw : 0;
}

RV_PLUGIN_EXPORT uint32_t rv_insn_size(const rv_insn *in)
{
	return in ? in->in->len : 0;
}

RV_PLUGIN_EXPORT uint32_t rv_insn_class(const rv_insn *in)
{
	if (!in)
		return 0;
	uint32_t c = isa_table[in->in->id].cls, r = 0;
	if (c & ISA_CLASS_LOAD)
		r |= RV_INSN_LOAD;
	if (c & ISA_CLASS_STORE)
		r |= RV_INSN_STORE;
	if (c & ISA_CLASS_BRANCH)
		r |= RV_INSN_BRANCH;
	if (c & ISA_CLASS_JUMP)
		r |= RV_INSN_JUMP;
	if (c & (ISA_CLASS_SYSTEM | ISA_CLASS_CSR | ISA_CLASS_FENCE))
		r |= RV_INSN_SYSTEM;
	if (c & ISA_CLASS_AMO)
		r |= RV_INSN_ATOMIC;
	if (c & ISA_CLASS_FP)
		r |= RV_INSN_FLOAT;
	return r;
}

RV_PLUGIN_EXPORT const char *rv_insn_mnemonic(const rv_insn *in)
{
	return in ? isa_table[in->in->id].mnemonic : "";
}

RV_PLUGIN_EXPORT size_t rv_insn_disas(const rv_insn *in, char *buf, size_t cap)
{
	if (!in || !buf || !cap)
		return 0;
	isa_disasm(in->in->raw, in->vaddr, buf, cap);
	return strlen(buf);
}

RV_PLUGIN_EXPORT void rv_insn_on_exec(rv_plugin *self, rv_insn *in,
				      void (*cb)(void *, uint32_t, uint64_t), void *ud)
{
	if (!self || !in || !cb)
		return;
	struct slot *s = &in->b->subs[in->index];
	if (s->n < SLOT_MAX_CBS)
		s->e[s->n++] = (struct cb_entry){ (void *)cb, ud, self };
}

/* ---- The ABI: queries ---- */

RV_PLUGIN_EXPORT uint32_t rv_hart_count(void)
{
	return host.m ? host.m->nharts : 0;
}

RV_PLUGIN_EXPORT int rv_reg_read(uint32_t hart, uint32_t reg, uint64_t *value)
{
	if (!host.m || hart >= host.m->nharts || !value)
		return -1;
	return debug_read_reg(host.m->hart[hart], reg, value);
}

RV_PLUGIN_EXPORT uint64_t rv_icount(uint32_t hart)
{
	if (!host.m || hart >= host.m->nharts)
		return 0;
	const struct hart *h = host.m->hart[hart];
	/* Inside a block the hart's count lags; the running hart's exact
	 * count is what the executor synchronised for the callback. */
	return h->icount;
}

RV_PLUGIN_EXPORT uint64_t rv_total_icount(void)
{
	if (!host.m)
		return 0;
	uint64_t n = 0;
	for (unsigned i = 0; i < host.m->nharts; i++)
		n += host.m->hart[i]->icount;
	return n;
}

/* Guest time is derived from instructions (hv/machine.h): 1e9 /
 * (HV_TIMEBASE_HZ * HV_INSNS_PER_TICK) nanoseconds each. */
_Static_assert(1000000000ull % (HV_TIMEBASE_HZ * HV_INSNS_PER_TICK) == 0,
	       "an instruction must last a whole number of nanoseconds");
#define HOST_NS_PER_INSN (1000000000ull / (HV_TIMEBASE_HZ * HV_INSNS_PER_TICK))

RV_PLUGIN_EXPORT uint64_t rv_time_ns(uint32_t hart)
{
	if (!host.m || hart >= host.m->nharts)
		return 0;
	/* The hart's local clock (hart.c), not hart_time(): that one moves
	 * m->time_seen, which the guest reads. */
	const struct hart *h = host.m->hart[hart];
	return (h->icount + h->itime_offset) * HOST_NS_PER_INSN;
}

RV_PLUGIN_EXPORT int rv_translate(uint32_t hart, uint64_t vaddr, uint64_t *paddr)
{
	gpa_t pa;

	if (!host.m || hart >= host.m->nharts || !paddr)
		return -1;
	if (mmu_translate_debug(host.m->hart[hart], vaddr, &pa))
		return -1;
	*paddr = pa;
	return 0;
}

RV_PLUGIN_EXPORT size_t rv_mem_read_phys(uint64_t paddr, void *buf, size_t len)
{
	size_t done = 0;

	while (host.m && done < len) {
		size_t chunk = HV_PAGE_SIZE - ((paddr + done) & HV_PAGE_MASK);
		if (chunk > len - done)
			chunk = len - done;
		if (!machine_read_phys(host.m, paddr + done, (uint8_t *)buf + done, chunk))
			break;
		done += chunk;
	}
	return done;
}

RV_PLUGIN_EXPORT size_t rv_mem_read_virt(uint32_t hart, uint64_t vaddr, void *buf, size_t len)
{
	size_t done = 0;

	while (host.m && done < len) {
		uint64_t pa;
		size_t chunk = HV_PAGE_SIZE - ((vaddr + done) & HV_PAGE_MASK);
		if (chunk > len - done)
			chunk = len - done;
		if (rv_translate(hart, vaddr + done, &pa) ||
		    rv_mem_read_phys(pa, (uint8_t *)buf + done, chunk) != chunk)
			break;
		done += chunk;
	}
	return done;
}

RV_PLUGIN_EXPORT const char *rv_symbol(rv_plugin *self, uint64_t vaddr, uint64_t *offset)
{
	const char *name;
	uint64_t off;

	if (!self || !self->syms || intro_sym_lookup(self->syms, vaddr, &name, &off) != 0)
		return NULL;
	if (offset)
		*offset = off;
	return name;
}

RV_PLUGIN_EXPORT int rv_symbol_addr(rv_plugin *self, const char *name, uint64_t *vaddr)
{
	if (!self || !self->syms || !name || !vaddr)
		return -1;
	return intro_sym_addr(self->syms, name, vaddr);
}

/* ---- The ABI: changes ---- */

RV_PLUGIN_EXPORT int rv_reg_write(rv_plugin *self, uint32_t hart, uint32_t reg, uint64_t value)
{
	uint64_t old;

	if (!self || !host.m || hart >= host.m->nharts ||
	    debug_read_reg(host.m->hart[hart], reg, &old))
		return -1;
	if (host.replaying)
		return 0;
	host_record(1, hart, reg, &value, 8, true);
	return 0;
}

RV_PLUGIN_EXPORT int rv_mem_write_phys(rv_plugin *self, uint64_t paddr, const void *buf,
				       size_t len)
{
	if (!self || !host.m || !buf || len > 4096 || paddr < host.m->ram.base ||
	    paddr - host.m->ram.base > host.m->ram.size ||
	    len > host.m->ram.size - (paddr - host.m->ram.base))
		return -1;
	if (host.replaying || !len)
		return 0;
	host_record(2, 0, paddr, buf, len, true);
	return 0;
}

RV_PLUGIN_EXPORT int rv_mem_write_virt(rv_plugin *self, uint32_t hart, uint64_t vaddr,
				       const void *buf, size_t len)
{
	size_t done = 0;

	if (!self || !buf || len > 4096)
		return -1;
	while (done < len) {
		uint64_t pa;
		size_t chunk = HV_PAGE_SIZE - ((vaddr + done) & HV_PAGE_MASK);
		if (chunk > len - done)
			chunk = len - done;
		if (rv_translate(hart, vaddr + done, &pa) ||
		    rv_mem_write_phys(self, pa, (const uint8_t *)buf + done, chunk))
			return -1;
		done += chunk;
	}
	return 0;
}

RV_PLUGIN_EXPORT int rv_flip_reg(rv_plugin *self, uint32_t hart, uint32_t reg, uint32_t bit)
{
	uint64_t v;

	if (bit > 63 || !host.m || hart >= host.m->nharts ||
	    debug_read_reg(host.m->hart[hart], reg, &v))
		return -1;
	return rv_reg_write(self, hart, reg, v ^ (1ull << bit));
}

RV_PLUGIN_EXPORT int rv_flip_mem_phys(rv_plugin *self, uint64_t paddr, uint32_t bit)
{
	uint8_t b;

	if (bit > 7 || rv_mem_read_phys(paddr, &b, 1) != 1)
		return -1;
	b ^= (uint8_t)(1u << bit);
	return rv_mem_write_phys(self, paddr, &b, 1);
}

RV_PLUGIN_EXPORT int rv_blk_fault(rv_plugin *self, uint32_t kind, uint64_t arg)
{
	bool ok;

	if (!self || !host.blk.open)
		return -1;
	switch (kind) {
	case RV_BLK_FAIL:
		ok = true;
		break;
	case RV_BLK_LOST:
		ok = host.blk.write;
		break;
	case RV_BLK_TORN:
		ok = host.blk.write && arg < host.blk.count;
		break;
	case RV_BLK_MISDIRECT:
		ok = host.blk.write && arg <= host.blk.capacity &&
		     host.blk.count <= host.blk.capacity - arg;
		break;
	case RV_BLK_ROT:
		ok = !host.blk.write && arg < (uint64_t)host.blk.count * DISK_SECTOR_SIZE * 8;
		break;
	default:
		ok = false;
	}
	if (!ok)
		return -1;
	host.blk.mode = kind;
	host.blk.arg = arg;
	return 0;
}

RV_PLUGIN_EXPORT int rv_irq_set(rv_plugin *self, uint32_t hart, uint32_t irq, bool level)
{
	uint64_t v = level;

	if (!self || !host.m || hart >= host.m->nharts || irq > 63 || !((1ull << irq) & 0x222))
		return -1;
	if (host.replaying)
		return 0;
	host_record(4, hart, irq, &v, 8, true);
	return 0;
}

RV_PLUGIN_EXPORT void rv_request_stop(rv_plugin *self)
{
	if (!self || !host.m || host.stopper)
		return;
	host.stopper = self;
	machine_stop(host.m, STOP_PLUGIN, 0);
}

RV_PLUGIN_EXPORT void rv_request_snapshot(rv_plugin *self, const char *name)
{
	if (!self || !host.m || !name || host.replaying || host.recording)
		return;
	snprintf(host.m->pv_req_name, sizeof(host.m->pv_req_name), "%s", name);
	host.m->pv_req.op = PLUGIN_HOST_OP_SNAPSHOT;
	host.m->pv_req.hart = host.m->cur ? host.m->cur->id : 0;
	machine_stop(host.m, STOP_GUEST_REQUEST, 0);
}

RV_PLUGIN_EXPORT void rv_request_restore(rv_plugin *self, const char *name)
{
	if (!self || !host.m || !name || host.replaying || host.recording)
		return;
	snprintf(host.m->pv_req_name, sizeof(host.m->pv_req_name), "%s", name);
	host.m->pv_req.op = PLUGIN_HOST_OP_RESTORE;
	host.m->pv_req.hart = host.m->cur ? host.m->cur->id : 0;
	machine_stop(host.m, STOP_GUEST_REQUEST, 0);
}

/* ---- The ABI: Linux ---- */

static int host_read_phys(void *opaque, uint64_t pa, void *buf, size_t len)
{
	(void)opaque;
	return host.m && machine_read_phys(host.m, pa, buf, len) ? 0 : -1;
}

static const struct intro_mem host_mem = { NULL, host_read_phys };

static struct intro_linux *host_linux(rv_plugin *self)
{
	struct hv_err err;

	if (!self || !self->spec.vmlinux || self->linux_failed)
		return NULL;
	if (!self->linux) {
		self->linux = intro_linux_open(self->spec.vmlinux, &err);
		if (!self->linux) {
			fprintf(stderr, "retrovisor: plugin %s: %s\n", self->spec.name, err.msg);
			self->linux_failed = true;
		}
	}
	return self->linux;
}

static void host_task(const struct intro_task *t, rv_task *out)
{
	memset(out, 0, sizeof(*out));
	out->addr = t->task;
	out->pid = t->pid;
	out->tgid = t->tgid;
	memcpy(out->comm, t->comm, sizeof(out->comm) - 1);
}

RV_PLUGIN_EXPORT int rv_linux_current(rv_plugin *self, uint32_t hart, rv_task *task)
{
	struct intro_linux *lx = host_linux(self);
	uint64_t addr;
	struct intro_task t = { 0 };

	if (!lx || !task || hart >= host.m->nharts)
		return -1;
	const struct hart *h = host.m->hart[hart];
	if (intro_linux_current(lx, &host_mem, h->satp, h->x[4], h->sscratch, h->priv, &addr) ||
	    intro_linux_task_info(lx, &host_mem, h->satp, addr, &t.pid, &t.tgid, t.comm))
		return -1;
	t.task = addr;
	host_task(&t, task);
	return 0;
}

struct host_walk {
	int (*tcb)(void *, const rv_task *);
	int (*mcb)(void *, const rv_module *);
	void *ud;
};

static int host_task_cb(void *opaque, const struct intro_task *t)
{
	struct host_walk *w = opaque;
	rv_task rt;

	host_task(t, &rt);
	return w->tcb(w->ud, &rt);
}

static int host_module_cb(void *opaque, const struct intro_module *mod)
{
	struct host_walk *w = opaque;
	rv_module rm;

	memset(&rm, 0, sizeof(rm));
	rm.addr = mod->module;
	rm.base = mod->base;
	rm.size = mod->size;
	snprintf(rm.name, sizeof(rm.name), "%s", mod->name);
	return w->mcb(w->ud, &rm);
}

RV_PLUGIN_EXPORT int rv_linux_tasks(rv_plugin *self, uint32_t hart,
				    int (*cb)(void *, const rv_task *), void *ud)
{
	struct intro_linux *lx = host_linux(self);
	struct host_walk w = { .tcb = cb, .ud = ud };

	if (!lx || !cb || hart >= host.m->nharts)
		return -1;
	return intro_linux_tasks(lx, &host_mem, host.m->hart[hart]->satp, host_task_cb, &w);
}

RV_PLUGIN_EXPORT int rv_linux_modules(rv_plugin *self, uint32_t hart,
				      int (*cb)(void *, const rv_module *), void *ud)
{
	struct intro_linux *lx = host_linux(self);
	struct host_walk w = { .mcb = cb, .ud = ud };

	if (!lx || !cb || hart >= host.m->nharts)
		return -1;
	return intro_linux_modules(lx, &host_mem, host.m->hart[hart]->satp, host_module_cb, &w);
}

RV_PLUGIN_EXPORT const char *rv_syscall_name(uint64_t nr)
{
	return intro_syscall_name(nr);
}

RV_PLUGIN_EXPORT uint32_t rv_syscall_nargs(uint64_t nr)
{
	return (uint32_t)intro_syscall_nargs(nr);
}
