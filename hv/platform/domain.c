// SPDX-License-Identifier: MIT
/*
 * Domains run in epochs (domain.h): the epoch loop, its host threads and
 * the barrier. The threads are a fixed pool started at the first epoch;
 * each epoch the main thread lists the running domains, every thread
 * (the main one too) takes the next domain from the list until none is
 * left, and the main thread waits for all before the barrier. A domain is
 * touched by one thread per epoch and by none during the barrier but the
 * main one, so domains need no locks; the switches' outboxes are each
 * written by their own domain only (switch.h).
 *
 * Waking a sleeping thread takes 20 us and more (a futex wake, the host
 * scheduler), a good part of an epoch of 500 us of guest time. So a
 * thread that waits (a worker for the next epoch, the main thread for the
 * workers) first spins on the pool's counters and only then sleeps on the
 * condition variable; the counters are atomics, and the mutex orders only
 * the sleeping. The spin is short (spin_ns, 10 us): on a quiet host most
 * waits end within it, and on a host whose other work takes our CPUs,
 * where the awaited thread may wait for the spinning one's CPU, it wastes
 * little (a limit that adapted to failed spins, halving, lost more on a
 * quiet host than it saved on a busy one: experiments/domain-results.md).
 * Spinning is off when there are more threads than host CPUs.
 */
#include "hv/platform/domain.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hv/dev/backend/net_slirp.h"
#include "hv/dev/virtio/virtio_net.h"
#include "hv/platform/reset.h"

struct hv_system {
	uint64_t epoch_len, epoch;
	unsigned threads;
	unsigned cpus; /* the capacity in vcpus; 0: no contention */
	struct domain *dom[SYSTEM_MAX_DOMAINS];
	unsigned ndom;
	struct hv_switch *sw[SYSTEM_MAX_DOMAINS];
	unsigned nsw;

	/* The epoch's work list and the pool. */
	struct domain *run[SYSTEM_MAX_DOMAINS];
	unsigned nrun;
	/* Work items: domains that share a frame pool (a fork and its
	 * parent) share frames and decoded and translated code, none of them
	 * locked, so they run in one item, on one thread (group[i]: run[i]'s
	 * item). A domain's epoch does not depend on which thread runs it. */
	unsigned group[SYSTEM_MAX_DOMAINS];
	unsigned ngroups;
	unsigned next; /* atomic: the next work item to take */
	pthread_t tid[SYSTEM_MAX_DOMAINS];
	unsigned nworkers;
	pthread_mutex_t mu;
	pthread_cond_t go, done;
	uint64_t generation; /* atomic: bumped for each epoch's work */
	unsigned busy;       /* atomic: workers not done with this epoch */
	bool quit;           /* atomic */
	uint64_t spin_ns;    /* how long a waiting thread spins (see above) */
	system_hold_fn hold; /* a debugger's (system_set_hold) */
	void *hold_opaque;
};

struct hv_system *system_create(uint64_t epoch_len, unsigned threads, struct hv_err *err)
{
	struct hv_system *s;

	if (!epoch_len || !threads || threads > SYSTEM_MAX_DOMAINS) {
		hv_err_set(err,
			   "an epoch of %llu instructions on %u threads cannot run "
			   "(epochs must be longer than 0, threads 1 to %d)",
			   (unsigned long long)epoch_len, threads, SYSTEM_MAX_DOMAINS);
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		hv_err_set(err, "out of host memory");
		return NULL;
	}
	s->epoch_len = epoch_len;
	s->threads = threads;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	s->spin_ns = cpus > 0 && threads <= (unsigned long)cpus ? SYSTEM_SPIN_NS : 0;
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->go, NULL);
	pthread_cond_init(&s->done, NULL);
	return s;
}

static void system_stop_workers(struct hv_system *s)
{
	pthread_mutex_lock(&s->mu);
	__atomic_store_n(&s->quit, true, __ATOMIC_RELEASE);
	pthread_cond_broadcast(&s->go);
	pthread_mutex_unlock(&s->mu);
	for (unsigned i = 0; i < s->nworkers; i++)
		pthread_join(s->tid[i], NULL);
	s->nworkers = 0;
}

void system_destroy(struct hv_system *s)
{
	if (!s)
		return;
	system_stop_workers(s);
	for (unsigned i = 0; i < s->ndom; i++) {
		system_destroy_domain(s, i);
		free(s->dom[i]);
	}
	for (unsigned i = 0; i < s->nsw; i++)
		switch_destroy(s->sw[i]);
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->go);
	pthread_cond_destroy(&s->done);
	free(s);
}

int system_add_domain(struct hv_system *s, const struct domain_spec *spec, struct machine *m,
		      struct hv_err *err)
{
	struct domain *d;

	if (s->ndom == SYSTEM_MAX_DOMAINS) {
		hv_err_set(err, "domain '%s' would be one more than the %d a system holds",
			   spec->name, SYSTEM_MAX_DOMAINS);
		goto fail;
	}
	if (!spec->name[0] || strlen(spec->name) >= DOMAIN_NAME_MAX) {
		hv_err_set(err, "a domain's name must have 1 to %d characters",
			   DOMAIN_NAME_MAX - 1);
		goto fail;
	}
	if (system_find_live(s, spec->name)) {
		hv_err_set(err, "there is already a domain named '%s'", spec->name);
		goto fail;
	}
	d = calloc(1, sizeof(*d));
	if (!d) {
		hv_err_set(err, "out of host memory");
		goto fail;
	}
	d->id = s->ndom;
	snprintf(d->name, sizeof(d->name), "%s", spec->name);
	d->m = m;
	d->state = DOMAIN_RUNNING;
	d->on_poweroff = spec->on_poweroff;
	d->on_reboot = spec->on_reboot;
	d->on_crash = spec->on_crash;
	d->lo = spec->lo;
	d->on_destroy = spec->on_destroy;
	d->opaque = spec->opaque;
	d->weight = SYSTEM_DEFAULT_WEIGHT;
	d->active = true;
	d->base_itime = m->itime;
	d->start_epoch = s->epoch;
	d->port = -1;
	s->dom[s->ndom++] = d;
	return (int)d->id;
fail:
	machine_destroy(m);
	return -1;
}

int system_add_switch(struct hv_system *s, struct hv_switch *sw, struct hv_err *err)
{
	if (system_find_switch(s, switch_name(sw))) {
		hv_err_set(err, "there is already a bridge named '%s'", switch_name(sw));
	} else if (s->nsw == SYSTEM_MAX_DOMAINS) {
		hv_err_set(err, "too many bridges (at most %d)", SYSTEM_MAX_DOMAINS);
	} else {
		s->sw[s->nsw++] = sw;
		return 0;
	}
	switch_destroy(sw);
	return -1;
}

static void domain_deliver(void *opaque, const void *frame, size_t len)
{
	struct domain *d = opaque;

	virtio_net_input(d->m->net, frame, len);
}

int system_plug(struct hv_system *s, unsigned id, struct hv_switch *sw, struct hv_err *err)
{
	struct domain *d = system_domain(s, id);
	struct net_backend be;

	if (!d || !d->m || !d->m->net || d->m->cfg.net->mode != NET_LINK) {
		hv_err_set(err, "domain %u has no network device to join to bridge '%s'", id,
			   switch_name(sw));
		return -1;
	}
	if (d->sw) {
		hv_err_set(err, "domain '%s' is already on bridge '%s'", d->name,
			   switch_name(d->sw));
		return -1;
	}
	d->port = switch_add_port(sw, domain_deliver, d, &be, err);
	if (d->port < 0)
		return -1;
	d->sw = sw;
	virtio_net_set_backend(d->m->net, &be);
	return 0;
}

unsigned system_ndomains(const struct hv_system *s)
{
	return s->ndom;
}

struct domain *system_domain(struct hv_system *s, unsigned id)
{
	return id < s->ndom ? s->dom[id] : NULL;
}

struct domain *system_find(struct hv_system *s, const char *name)
{
	struct domain *live = system_find_live(s, name);

	/* Else the last destroyed domain of that name, for how it ended. */
	for (unsigned i = s->ndom; !live && i-- > 0;)
		if (!strcmp(s->dom[i]->name, name))
			return s->dom[i];
	return live;
}

struct domain *system_find_live(struct hv_system *s, const char *name)
{
	for (unsigned i = 0; i < s->ndom; i++)
		if (s->dom[i]->state != DOMAIN_DESTROYED && !strcmp(s->dom[i]->name, name))
			return s->dom[i];
	return NULL;
}

struct hv_switch *system_find_switch(struct hv_system *s, const char *name)
{
	for (unsigned i = 0; i < s->nsw; i++)
		if (!strcmp(switch_name(s->sw[i]), name))
			return s->sw[i];
	return NULL;
}

struct hv_switch *system_switch(struct hv_system *s, unsigned i)
{
	return i < s->nsw ? s->sw[i] : NULL;
}

uint64_t system_epoch(const struct hv_system *s)
{
	return s->epoch;
}

uint64_t system_epoch_len(const struct hv_system *s)
{
	return s->epoch_len;
}

/* What its epoch's run cost the domain: rounds end past the budget, and
 * the excess is paid back later. */
static void domain_charge(struct domain *d)
{
	if (d->budget != SYSTEM_NO_BUDGET && d->used > d->budget)
		d->debt += d->used - d->budget;
	d->active = d->used > 0 || d->budget == 0;
}

/* One domain's share of the epoch (any thread). */
static void domain_run_epoch(const struct hv_system *s, struct domain *d)
{
	struct machine *m = d->m;
	icount_t start = m->total_insns;

	m->epoch_end = d->base_itime + (s->epoch - d->start_epoch + 1) * s->epoch_len;
	m->epoch_budget_end = d->budget == SYSTEM_NO_BUDGET ? ~0ull : start + d->budget;
	if (m->stop == STOP_EPOCH)
		m->stop = STOP_NONE;
	if (m->itime >= m->epoch_end) {
		/* The last epoch's final round already went past this one. */
		d->last_stop = STOP_EPOCH;
		d->used = 0;
		return;
	}
	d->last_stop = machine_run(m);
	d->exit_status = m->exit_status;
	d->used = m->total_insns - start;
	if (d->last_stop != STOP_DEBUG) /* else domain_hold charges it, at its end */
		domain_charge(d);
}

void system_set_hold(struct hv_system *s, system_hold_fn fn, void *opaque)
{
	s->hold = fn;
	s->hold_opaque = opaque;
}

/* Domain d stopped for its debugger mid-epoch (main thread): it goes on
 * with its epoch each time the debugger lets it go, until the epoch's end;
 * one the debugger keeps (it is gone, or the run ends) ends its epoch there. */
static void domain_hold(struct hv_system *s, struct domain *d)
{
	while (d->last_stop == STOP_DEBUG) {
		bool go = s->hold(s->hold_opaque, d);
		struct machine *m = d->m;
		if (!m) { /* destroyed meanwhile */
			d->last_stop = STOP_EPOCH;
			return;
		}
		icount_t start = m->total_insns - d->used;
		m->stop = STOP_NONE;
		/* An interrupt at the epoch's last round boundary: no round more. */
		if (!go || m->itime >= m->epoch_end) {
			machine_stop(m, STOP_EPOCH, 0);
			d->last_stop = STOP_EPOCH;
		} else {
			d->last_stop = machine_run(m);
			d->exit_status = m->exit_status;
		}
		d->used = m->total_insns - start;
		if (d->last_stop != STOP_DEBUG)
			domain_charge(d);
	}
}

/* Capacity total shared by weight among the n domains of d[], share
 * i at most lim[i]; what a limited share cannot take goes to the others
 * (Xen's credit_xtra), so every share is either its limit or its weight's
 * part of what the limited ones left. */
static void sched_share_out(uint64_t total, struct domain *const *d, const uint64_t *lim,
			    unsigned n, uint64_t *out)
{
	bool fixed[SYSTEM_MAX_DOMAINS] = { false };
	uint64_t weights = 0;
	bool again = true;

	for (unsigned i = 0; i < n; i++)
		weights += d[i]->weight;
	while (again && weights) {
		again = false;
		for (unsigned i = 0; i < n; i++) {
			unsigned __int128 fair = (unsigned __int128)total * d[i]->weight / weights;
			if (fixed[i] || fair < lim[i])
				continue;
			out[i] = lim[i];
			fixed[i] = again = true;
			total -= lim[i];
			weights -= d[i]->weight;
		}
	}
	for (unsigned i = 0; i < n; i++)
		if (!fixed[i])
			out[i] = (uint64_t)((unsigned __int128)total * d[i]->weight / weights);
}

/* The budgets of the epoch's running domains (domain.h, system_set_sched):
 * single-threaded, in id order, from the last epoch's results only. */
static void system_share(struct hv_system *s)
{
	struct domain *active[SYSTEM_MAX_DOMAINS] = { NULL };
	uint64_t lim[SYSTEM_MAX_DOMAINS] = { 0 }, alim[SYSTEM_MAX_DOMAINS] = { 0 };
	uint64_t share[SYSTEM_MAX_DOMAINS], ashare[SYSTEM_MAX_DOMAINS];
	uint64_t vcpus = 0;
	unsigned nactive = 0;

	for (unsigned i = 0; i < s->nrun; i++) {
		struct domain *d = s->run[i];
		uint64_t full = d->m->nharts * s->epoch_len;
		lim[i] = d->cap && d->cap < 100 * d->m->nharts ? d->cap * s->epoch_len / 100 : full;
		vcpus += d->m->nharts;
		if (d->active) {
			alim[nactive] = lim[i];
			active[nactive++] = d;
		}
	}
	uint64_t total = (s->cpus ? s->cpus : vcpus) * s->epoch_len;
	sched_share_out(total, s->run, lim, s->nrun, share);
	sched_share_out(total, active, alim, nactive, ashare);
	for (unsigned i = 0, a = 0; i < s->nrun; i++) {
		struct domain *d = s->run[i];
		uint64_t mine = d->active ? ashare[a++] : share[i];
		if (mine >= d->m->nharts * s->epoch_len) {
			/* No contention and no cap: as if alone. */
			d->budget = SYSTEM_NO_BUDGET;
			d->debt = 0;
		} else if (mine > d->debt) {
			d->budget = mine - d->debt;
			d->debt = 0;
		} else {
			d->budget = 0;
			d->debt -= mine;
		}
	}
}

static void system_take_work(struct hv_system *s)
{
	unsigned i;

	while ((i = __atomic_fetch_add(&s->next, 1, __ATOMIC_RELAXED)) < s->ngroups)
		for (unsigned k = 0; k < s->nrun; k++)
			if (s->group[k] == i)
				domain_run_epoch(s, s->run[k]);
}

unsigned system_work_items(const struct hv_system *s)
{
	return s->ngroups;
}

/* group[] and ngroups for this epoch's run[]. */
static void system_group_work(struct hv_system *s)
{
	s->ngroups = 0;
	for (unsigned i = 0; i < s->nrun; i++) {
		unsigned k = 0;
		while (k < i && s->run[k]->m->ram.pool != s->run[i]->m->ram.pool)
			k++;
		s->group[i] = k < i ? s->group[k] : s->ngroups++;
	}
}

void system_set_spin(struct hv_system *s, uint64_t ns)
{
	s->spin_ns = ns;
}

static uint64_t system_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void system_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ volatile("yield");
#endif
}

/* A worker's wait: the next epoch's work, or the end. */
static bool system_work_posted(struct hv_system *s, uint64_t seen)
{
	return __atomic_load_n(&s->generation, __ATOMIC_ACQUIRE) != seen ||
	       __atomic_load_n(&s->quit, __ATOMIC_ACQUIRE);
}

/* The main thread's wait: every worker done with the epoch. */
static bool system_workers_done(struct hv_system *s, uint64_t unused)
{
	(void)unused;
	return __atomic_load_n(&s->busy, __ATOMIC_ACQUIRE) == 0;
}

/* Wait for ready(s, arg), spinning for at most s->spin_ns, then sleeping
 * on cond (whoever makes ready true signals cond holding s->mu). */
static void system_wait(struct hv_system *s, bool (*ready)(struct hv_system *, uint64_t),
			uint64_t arg, pthread_cond_t *cond)
{
	uint64_t start = 0;

	for (unsigned n = 0; !ready(s, arg); n++) {
		if (n % 64 == 0) {
			uint64_t now = s->spin_ns ? system_now_ns() : 0;
			if (!n)
				start = now;
			if (now - start >= s->spin_ns) {
				pthread_mutex_lock(&s->mu);
				while (!ready(s, arg))
					pthread_cond_wait(cond, &s->mu);
				pthread_mutex_unlock(&s->mu);
				return;
			}
		}
		system_cpu_relax();
	}
}

static void *system_worker(void *arg)
{
	struct hv_system *s = arg;
	uint64_t seen = 0;

	for (;;) {
		system_wait(s, system_work_posted, seen, &s->go);
		if (__atomic_load_n(&s->quit, __ATOMIC_ACQUIRE))
			return NULL;
		seen = __atomic_load_n(&s->generation, __ATOMIC_ACQUIRE);
		system_take_work(s);
		if (__atomic_sub_fetch(&s->busy, 1, __ATOMIC_ACQ_REL) == 0) {
			pthread_mutex_lock(&s->mu);
			pthread_cond_signal(&s->done);
			pthread_mutex_unlock(&s->mu);
		}
	}
}

static int system_start_workers(struct hv_system *s, struct hv_err *err)
{
	while (s->nworkers + 1 < s->threads) {
		if (pthread_create(&s->tid[s->nworkers], NULL, system_worker, s) != 0) {
			hv_err_set(err, "could not start host thread %u of %u", s->nworkers + 2,
				   s->threads);
			return -1;
		}
		s->nworkers++;
	}
	return 0;
}

void system_destroy_domain(struct hv_system *s, unsigned id)
{
	struct domain *d = system_domain(s, id);

	if (!d || d->state == DOMAIN_DESTROYED)
		return;
	/* d->sw stays: the bridge a snapshot may bring it back to. */
	if (d->sw)
		switch_unplug(d->sw, d->port);
	if (d->on_destroy)
		d->on_destroy(d->opaque, d);
	machine_destroy(d->m);
	d->m = NULL;
	d->state = DOMAIN_DESTROYED;
}

static void domain_apply(struct hv_system *s, struct domain *d, enum domain_policy p)
{
	struct hv_err err = { { 0 } };

	switch (p) {
	case DOMAIN_DESTROY:
		system_destroy_domain(s, d->id);
		return;
	case DOMAIN_PRESERVE:
		d->state = DOMAIN_STOPPED;
		return;
	case DOMAIN_RESTART:
		if (machine_reset(d->m, &d->lo, &err) != 0) {
			snprintf(d->error, sizeof(d->error), "restart failed: %s", err.msg);
			system_destroy_domain(s, d->id);
			return;
		}
		d->m->stop = STOP_NONE;
		d->m->exit_status = 0;
		d->m->panic_msg[0] = '\0';
		d->restarts++;
		return;
	}
}

/* How a domain's run ended decides what happens to it (domain.h). */
static void domain_after_epoch(struct hv_system *s, struct domain *d)
{
	switch (d->last_stop) {
	case STOP_EPOCH:
		return;
	case STOP_SHUTDOWN:
		domain_apply(s, d, d->on_poweroff);
		return;
	case STOP_REBOOT:
		domain_apply(s, d, d->on_reboot);
		return;
	case STOP_PANIC:
	case STOP_WATCHDOG:
	case STOP_DEADLOCK:
		domain_apply(s, d, d->on_crash);
		return;
	case STOP_HOST_ERROR:
		snprintf(d->error, sizeof(d->error), "%s",
			 d->m->host_error[0] ? d->m->host_error : "the host failed");
		system_destroy_domain(s, d->id);
		return;
	default:
		d->state = DOMAIN_STOPPED;
		return;
	}
}

int system_run_epoch(struct hv_system *s, struct hv_err *err)
{
	if (s->threads > 1 && system_start_workers(s, err) != 0)
		return -1;
	s->nrun = 0;
	for (unsigned i = 0; i < s->ndom; i++)
		if (s->dom[i]->state == DOMAIN_RUNNING)
			s->run[s->nrun++] = s->dom[i];
	system_share(s);
	system_group_work(s);
	s->next = 0;
	/* One work item is the main thread's alone: no wake, no wait. */
	bool pool = s->nworkers && s->ngroups > 1;
	if (pool) {
		__atomic_store_n(&s->busy, s->nworkers, __ATOMIC_RELAXED);
		pthread_mutex_lock(&s->mu);
		__atomic_store_n(&s->generation, s->generation + 1, __ATOMIC_RELEASE);
		pthread_cond_broadcast(&s->go);
		pthread_mutex_unlock(&s->mu);
	}
	system_take_work(s);
	if (pool)
		system_wait(s, system_workers_done, 0, &s->done);
	for (unsigned i = 0; s->hold && i < s->nrun; i++)
		domain_hold(s, s->run[i]);
	/* The barrier: one thread, domains in id order, switches in order
	 * (a domain destroyed while a debugger held the system is gone). */
	for (unsigned i = 0; i < s->nrun; i++)
		if (s->run[i]->m)
			domain_after_epoch(s, s->run[i]);
	for (unsigned i = 0; i < s->nsw; i++)
		switch_barrier(s->sw[i], s->epoch);
	s->epoch++;
	int live = 0;
	for (unsigned i = 0; i < s->ndom; i++)
		live += s->dom[i]->state == DOMAIN_RUNNING || s->dom[i]->state == DOMAIN_PAUSED;
	return live;
}

int system_pause(struct hv_system *s, unsigned id, struct hv_err *err)
{
	struct domain *d = system_domain(s, id);

	if (!d || d->state != DOMAIN_RUNNING) {
		hv_err_set(err, "domain %u is not running", id);
		return -1;
	}
	d->state = DOMAIN_PAUSED;
	return 0;
}

int system_unpause(struct hv_system *s, unsigned id, struct hv_err *err)
{
	struct domain *d = system_domain(s, id);

	if (!d || d->state != DOMAIN_PAUSED) {
		hv_err_set(err, "domain %u is not paused", id);
		return -1;
	}
	/* Its clock stood still while paused: its epochs count from now. */
	d->base_itime = d->m->itime;
	d->start_epoch = s->epoch;
	d->state = DOMAIN_RUNNING;
	d->active = true;
	return 0;
}

int system_set_sched(struct hv_system *s, unsigned id, unsigned weight, unsigned cap,
		     struct hv_err *err)
{
	struct domain *d = system_domain(s, id);

	if (!d || !d->m) {
		hv_err_set(err, "domain %u does not exist or was destroyed", id);
		return -1;
	}
	if (weight < 1 || weight > SYSTEM_MAX_WEIGHT) {
		hv_err_set(err, "domain '%s': a weight of %u is not 1 to %d", d->name, weight,
			   SYSTEM_MAX_WEIGHT);
		return -1;
	}
	if (cap > 100 * d->m->nharts) {
		hv_err_set(err, "domain '%s': a cap of %u %% is more than its %u vcpus' %u %%",
			   d->name, cap, d->m->nharts, 100 * d->m->nharts);
		return -1;
	}
	d->weight = weight;
	d->cap = cap;
	return 0;
}

int system_get_sched(struct hv_system *s, unsigned id, unsigned *weight, unsigned *cap,
		     struct hv_err *err)
{
	struct domain *d = system_domain(s, id);

	if (!d) {
		hv_err_set(err, "there is no domain %u", id);
		return -1;
	}
	*weight = d->weight;
	*cap = d->cap;
	return 0;
}

int system_set_cpus(struct hv_system *s, unsigned cpus, struct hv_err *err)
{
	if (cpus > SYSTEM_MAX_CPUS) {
		hv_err_set(err, "a system of %u cpus is larger than the %d its domains can use",
			   cpus, SYSTEM_MAX_CPUS);
		return -1;
	}
	s->cpus = cpus;
	return 0;
}

unsigned system_cpus(const struct hv_system *s)
{
	return s->cpus;
}

uint64_t system_digest(struct hv_system *s)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (unsigned i = 0; i < s->ndom; i++) {
		struct domain *d = s->dom[i];
		uint64_t v = d->m ? machine_digest(d->m) : (uint64_t)d->last_stop;
		h = (h ^ v ^ ((uint64_t)d->id << 56)) * 0x100000001b3ull;
	}
	return h;
}

int system_revive(struct hv_system *s, unsigned id, struct machine *m, struct hv_err *err)
{
	struct domain *d = system_domain(s, id);

	if (!d || d->state != DOMAIN_DESTROYED || !m) {
		hv_err_set(err, "domain %u is not destroyed, or has no machine to come back in",
			   id);
		machine_destroy(m);
		return -1;
	}
	d->m = m;
	d->state = DOMAIN_RUNNING;
	d->error[0] = '\0';
	d->base_itime = m->itime;
	d->start_epoch = s->epoch;
	if (d->sw && m->net) {
		struct net_backend be;
		switch_port_backend(d->sw, d->port, &be);
		switch_plug_again(d->sw, d->port);
		virtio_net_set_backend(m->net, &be);
	}
	return 0;
}

int system_set_record(struct hv_system *s, unsigned id, enum domain_state state,
		      uint64_t base_itime, uint64_t restarts, struct hv_err *err)
{
	struct domain *d = system_domain(s, id);

	if (!d || d->state == DOMAIN_DESTROYED || state == DOMAIN_DESTROYED) {
		hv_err_set(err, "domain %u cannot be destroyed or come back that way", id);
		return -1;
	}
	d->state = state;
	d->base_itime = base_itime;
	d->start_epoch = s->epoch;
	d->restarts = restarts;
	return 0;
}
