/* SPDX-License-Identifier: MIT */
/*
 * Domains: several machines on one deterministic hypervisor
 * (ARCHITECTURE.md section 6, docs/domains.md).
 *
 * A system holds domains (each a machine of its own: harts, RAM, devices,
 * console) and the switches that join their networks. It runs them in
 * epochs: in epoch k every running domain runs until its own machine time
 * (instruction units, from its own instruction count) reaches
 * base + (k - start + 1) * epoch_len, stopping at the first round boundary
 * there (STOP_EPOCH); then, with all of them stopped, the barrier moves
 * frames between domains (switch.h) and applies each stopped domain's
 * policy. Within an epoch the domains share nothing, so they may run on
 * separate host threads (system_create's threads): which thread runs
 * which domain changes nothing, and the whole system is bit-identical for
 * any number of threads.
 *
 * Policies (xl.cfg's on_poweroff, on_reboot, on_crash): destroy (the
 * domain goes, its machine freed, its ports unplugged), restart (the
 * machine is reset and boots again from its images, its clock and disks
 * kept), preserve (the domain stays, stopped, for inspection). A crash is
 * a kernel panic on the console or the watchdog; a host failure in one
 * domain destroys that domain and is reported; the others go on.
 */
#ifndef HV_PLATFORM_DOMAIN_H
#define HV_PLATFORM_DOMAIN_H

#include "hv/platform/loader.h"
#include "hv/platform/machine.h"
#include "hv/platform/switch.h"

#define SYSTEM_MAX_DOMAINS 64
#define DOMAIN_NAME_MAX 64

enum domain_policy { DOMAIN_DESTROY, DOMAIN_RESTART, DOMAIN_PRESERVE };

enum domain_state {
	DOMAIN_RUNNING,
	DOMAIN_PAUSED,    /* by the toolstack: not run until unpaused */
	DOMAIN_STOPPED,   /* preserved after it stopped */
	DOMAIN_DESTROYED, /* gone; its slot keeps its name and how it ended */
};

struct domain;

struct domain_spec {
	const char *name;
	enum domain_policy on_poweroff, on_reboot, on_crash;
	/* The images a restart boots again (kept by pointer). */
	struct loader_opts lo;
	/* Optional: called when the domain's machine is about to be freed
	 * (destroyed by its policy, the toolstack or system_destroy), while
	 * it is still whole; what a service attached to it goes first. */
	void (*on_destroy)(void *opaque, struct domain *d);
	void *opaque;
};

struct domain {
	unsigned id;
	char name[DOMAIN_NAME_MAX];
	struct machine *m;
	enum domain_state state;
	enum domain_policy on_poweroff, on_reboot, on_crash;
	struct loader_opts lo;
	/* Machine time of the domain at the epoch it joined, and that epoch. */
	uint64_t base_itime, start_epoch;
	/* How its last run ended, and the exit status of a poweroff. */
	enum hv_stop last_stop;
	int exit_status;
	uint64_t restarts;
	char error[600]; /* a host failure, or why a restart failed */
	/* Its network's port on a switch, if joined (kept when destroyed). */
	struct hv_switch *sw;
	int port;
	void (*on_destroy)(void *opaque, struct domain *d);
	void *opaque;
	/* Its scheduling (system_set_sched): weight 1..65535 (default 256),
	 * cap in percent of one vcpu (0: none). Its budget is the
	 * instructions it may retire in the current epoch (SYSTEM_NO_BUDGET:
	 * no limit), debt what it retired past earlier budgets (they end at
	 * round boundaries) and not yet paid back; used what it retired in
	 * its last epoch; active: it did not idle that whole epoch. */
	unsigned weight, cap;
	uint64_t budget, debt, used;
	bool active;
};

#define SYSTEM_DEFAULT_WEIGHT 256
#define SYSTEM_MAX_WEIGHT 65535
#define SYSTEM_MAX_CPUS (SYSTEM_MAX_DOMAINS * HV_MAX_HARTS)
#define SYSTEM_NO_BUDGET (~0ull)

struct hv_system;

/* A system running epochs of epoch_len instruction units (a multiple of
 * nothing in particular; 0 is refused) on threads host threads (>= 1). */
struct hv_system *system_create(uint64_t epoch_len, unsigned threads, struct hv_err *err);
/* Destroys every domain's machine and every switch given to it. */
void system_destroy(struct hv_system *s);
/* How long a host thread of the pool spins for its next work (or the main
 * thread for the others) before it sleeps; set before the first epoch.
 * The default is SYSTEM_SPIN_NS, or 0 (sleep at once) when there are more
 * threads than host CPUs. Which one changes nothing the domains compute. */
#define SYSTEM_SPIN_NS 10000ull
void system_set_spin(struct hv_system *s, uint64_t ns);

/* Add a running domain made of m (the system owns m from now on, also on
 * failure). Returns its id, or -1 with err set: a duplicate name, too many
 * domains. */
int system_add_domain(struct hv_system *s, const struct domain_spec *spec, struct machine *m,
		      struct hv_err *err);
/* Give the system a switch (it owns and destroys it). */
int system_add_switch(struct hv_system *s, struct hv_switch *sw, struct hv_err *err);
/* Join domain id's network device (its machine made with a NET_LINK net)
 * to a port of sw. */
int system_plug(struct hv_system *s, unsigned id, struct hv_switch *sw, struct hv_err *err);

unsigned system_ndomains(const struct hv_system *s);
struct domain *system_domain(struct hv_system *s, unsigned id);
/* The domain named name: the live one, else the last destroyed one. */
struct domain *system_find(struct hv_system *s, const char *name);
/* The domain named name that is not destroyed (names of destroyed domains
 * may be used again), or NULL. */
struct domain *system_find_live(struct hv_system *s, const char *name);
struct hv_switch *system_find_switch(struct hv_system *s, const char *name);
/* The system's i-th bridge, or NULL past the last. */
struct hv_switch *system_switch(struct hv_system *s, unsigned i);
uint64_t system_epoch(const struct hv_system *s);
uint64_t system_epoch_len(const struct hv_system *s);

/* Run one epoch and its barrier. Returns the number of domains still
 * running or paused afterwards (0: nothing left to run), or -1 with err
 * set when the threads could not be started. */
int system_run_epoch(struct hv_system *s, struct hv_err *err);
/* How many work items the last epoch had: its running domains, counting
 * those that share a frame pool (a fork and its parent) as one, since
 * they share unlocked frames and code and so run on one thread. */
unsigned system_work_items(const struct hv_system *s);

/*
 * A debugger's hold (cli/up_gdb.h): after every domain ran its share of an
 * epoch, for each whose run stopped for its debugger (STOP_DEBUG) before
 * the epoch's end, the system calls hold on the main thread, which returns
 * once the debugger lets the domain go: true, and the domain goes on with
 * its epoch (and may stop again); false, and it ends its epoch where it is
 * (the debugger is gone, or the run ends). Only then comes the barrier:
 * the other domains wait there, so a debugger that stops and resumes a
 * domain changes nothing the system computes. hold may apply toolstack
 * operations; a domain it destroys is left out of the barrier.
 */
typedef bool (*system_hold_fn)(void *opaque, struct domain *d);
void system_set_hold(struct hv_system *s, system_hold_fn fn, void *opaque);

/* Toolstack operations (between epochs). */
int system_pause(struct hv_system *s, unsigned id, struct hv_err *err);
int system_unpause(struct hv_system *s, unsigned id, struct hv_err *err);
void system_destroy_domain(struct hv_system *s, unsigned id);

/* For snapshots (snapshot/system.h), between epochs: bring destroyed
 * domain id back in machine m (of the shape it had; the system owns m from
 * now on, also on failure), running, on the port of the bridge it was on. */
int system_revive(struct hv_system *s, unsigned id, struct machine *m, struct hv_err *err);
/* A domain brought from a system saved to files (cli/upsave.c): its state
 * (running, paused or stopped), restarts, and the machine time its epochs
 * count from, as of the current epoch. */
int system_set_record(struct hv_system *s, unsigned id, enum domain_state state,
		      uint64_t base_itime, uint64_t restarts, struct hv_err *err);

/* Scheduling in the manner of Xen's credit scheduler (docs/domains.md,
 * "Scheduling"). At each epoch's start the system's capacity, cpus *
 * epoch_len instructions (cpus 0: as many vcpus as the running domains
 * have, so no contention), is shared by weight among the domains that
 * were active in their last epoch, each share at most its cap and its
 * vcpus * epoch_len, what one share cannot take going to the others; a
 * domain idle its whole last epoch gets the share it would have among all
 * of them, should it wake. A domain that spends its budget is descheduled
 * until the epoch's end (its clock goes there: steal time). Settings take
 * effect from the next epoch. Refused: weight outside 1..65535, cap above
 * 100 per vcpu, a destroyed or unknown domain, cpus above
 * SYSTEM_MAX_CPUS. */
int system_set_sched(struct hv_system *s, unsigned id, unsigned weight, unsigned cap,
		     struct hv_err *err);
int system_get_sched(struct hv_system *s, unsigned id, unsigned *weight, unsigned *cap,
		     struct hv_err *err);
int system_set_cpus(struct hv_system *s, unsigned cpus, struct hv_err *err);
unsigned system_cpus(const struct hv_system *s);

/* A digest of every live domain's machine (machine_digest), in id order,
 * combined: equal for equal systems. */
uint64_t system_digest(struct hv_system *s);

#endif
