/* SPDX-License-Identifier: MIT */
/*
 * The plugin host's private header: the structures the host's files
 * share (host.c loading and lifetime, hooks.c subscriptions and
 * dispatch, query.c queries and Linux awareness, change.c recorded
 * changes). A struct plugin_host is one machine's set of plugins; every
 * plugin handle (rv_plugin) points to its host, and holds the ABI 4
 * machine handle (rv_machine) that points back to it, so an ABI function
 * that takes either finds its machine from it. The forms of ABI 1-3 that
 * take no handle (rv_hart_count, rv_reg_read, rv_mem_read_*, ...) find it
 * through plugin_host_cur: the host whose plugin callback is running on
 * this thread, set around every dispatch by HOST_CALL (and NULL outside
 * one, where they answer as for no machine).
 *
 * Subscriptions are entries of fixed arrays in the plugin handle; an
 * entry whose cb is NULL is free (unsubscribed), so that removing one
 * inside a dispatch loop neither moves nor frees anything the loop reads.
 * Every entry carries its rv_sub; an instruction callback's entry carries
 * the block subscription that made it and that one's rv_sub, and is live
 * while the two still match.
 */
#ifndef PLUGINS_HOST_IMPL_H
#define PLUGINS_HOST_IMPL_H

#include "hv/cpu/block.h"
#include "hv/cpu/debug.h"
#include "hv/hooks.h"
#include "hv/cpu/insn.h"
#include "plugins/crash.h"
#include "plugins/host.h"
#include "plugins/include/retrovisor/plugin.h"
#include "plugins/spec.h"

#define HOST_MAX_PLUGINS 16
#define HOST_MAX_SUBS 64 /* subscriptions of one kind per plugin */
#define SLOT_MAX_CBS 8

struct intro_syms;
struct intro_linux;

/* A subscription. Slots intern instruction entries by their bytes: no
 * padding. */
struct cb_entry {
	void *cb; /* NULL: free */
	void *ud;
	const struct rv_plugin *owner;
	rv_sub id;                     /* an instruction entry: its parent's */
	const struct cb_entry *parent; /* an instruction entry's block subscription */
};

struct mem_sub {
	uint64_t lo, hi;
	uint32_t flags;
	void *cb, *ud;
	const struct rv_plugin *owner;
	rv_sub id;
};

/* The ABI 4 machine handle: the plugin's view of its machine. */
struct rv_machine {
	struct rv_plugin *plugin;
};

/* The layouts of ABI 1-3 (plugin.h with RV_PLUGIN_ABI_BUILD < 4), given
 * to plugins that agreed one of those versions. */
struct host_arg_v1 {
	const char *key, *value;
};

struct host_task_v1 {
	uint64_t addr;
	int32_t pid, tgid;
	char comm[16];
};

struct host_module_v1 {
	uint64_t addr, base, size;
	char name[64];
};

struct rv_plugin {
	struct plugin_host *host;  /* the host (machine) this plugin belongs to */
	struct rv_machine machine; /* its handle for ABI 4 queries and changes */
	struct plugin_spec spec;   /* path, name, arguments */
	struct host_arg_v1 args_v1[PLUGIN_SPEC_MAX_ARGS]; /* spec.args as ABI 1-3 */
	void *dl;
	uint32_t abi;
	char msg[256];
	bool size_refused; /* it gave the host a struct smaller than the host's */
	rv_sub last_sub;
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
	const char *domain;     /* plugin_host_set_domain's name, or NULL */
	plugin_host_net_fn net; /* plugin_host_set_net's, or NULL */
	void *net_opaque;
	struct rv_plugin *p[HOST_MAX_PLUGINS];
	unsigned np;
	struct hv_hooks hooks; /* hooks.opaque is this host */
	bool attached;
	/* Some decoded block got instruction callbacks: decoded code must be
	 * dropped before it runs without them (unsubscribe, unload). */
	bool instrumented;
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
	struct rv_plugin *stopper;
	char strbuf[1024];
	/* The block being offered to plugins' block callbacks (one at a
	 * time: decoding does not nest), and the block subscription whose
	 * callback runs (rv_insn_on_exec's parent). */
	struct rv_block decoding;
	const struct cb_entry *decoding_sub;
	/* The block request being offered to plugins (rv_blk_fault). */
	struct {
		bool open, write;
		uint32_t count, mode;
		uint64_t capacity, arg;
	} blk;
};

/* The host whose plugin callback runs on this thread, or NULL. */
extern _Thread_local struct plugin_host *plugin_host_cur;

/* Runs the statement call as plugin p's callback cb (a name for the
 * crash report), with plugin_host_cur its host; nested calls restore the
 * outer one. */
#define HOST_CALL(p, cb, call)                                     \
	do {                                                       \
		struct plugin_host *outer_host_ = plugin_host_cur; \
		plugin_host_cur = (p)->host;                       \
		PLUGIN_CALL((p)->spec.path, cb, call);             \
		plugin_host_cur = outer_host_;                     \
	} while (0)

/* Every plugin's live field callbacks, each as HOST_CALL "rv_on_<field>".
 * An entry unsubscribed during the loop is skipped from then on. */
#define FOR_SUBS(ph, field, count, type, ...)                        \
	for (unsigned k_ = 0; k_ < (ph)->np; k_++)                   \
		for (unsigned j_ = 0; j_ < (ph)->p[k_]->count; j_++) \
			if ((ph)->p[k_]->field[j_].cb)               \
	HOST_CALL((ph)->p[k_], "rv_on_" #field,                      \
		  ((type)(ph)->p[k_]->field[j_].cb)((ph)->p[k_]->field[j_].ud, __VA_ARGS__))

/* The plugin behind an ABI 4 machine handle (NULL for NULL). */
static inline struct rv_plugin *machine_plugin(const rv_machine *m)
{
	return m ? m->plugin : NULL;
}

/* hooks.c: the machine's hooks, pointing at ph. */
void host_hooks_init(struct plugin_host *ph);
/* change.c: applies the changes queued during an instruction (the
 * hooks' apply); notes (and applies now, or queues) one change record. */
void host_apply_queue(void *opaque, struct hart *h);
void host_record(struct plugin_host *ph, uint8_t kind, uint32_t hart, uint64_t where,
		 const void *data, size_t len, bool apply);
/* host.c: the plugin gave fn a struct type of got bytes where the host's
 * is want: it is refused (at init) or stops the run, with one line naming
 * both sizes. */
void host_size_refuse(struct rv_plugin *p, const char *fn, const char *type, uint32_t got,
		      uint32_t want);
/* query.c: a hart's virtual address to physical (0, or -1), and guest
 * physical memory (bytes read). */
int host_translate(struct plugin_host *ph, uint32_t hart, uint64_t vaddr, uint64_t *paddr);
size_t host_read_phys(struct plugin_host *ph, uint64_t paddr, void *buf, size_t len);

#endif
